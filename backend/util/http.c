/*
 * http.c: berth's one HTTP client, over libcurl. It makes the easy handle
 * for every request berth sends (the Docker API on a unix socket or TCP,
 * the socket forward's health check, image downloads) with the options
 * they share: where to connect, timeouts, proxies, redirects, the body
 * kept with a cap or handed on chunk by chunk, one header kept, and the
 * error text. A blocking request is http_perform; the Docker transport
 * puts the same handles (http_handle) on its own multi handle, driven
 * from the engine's poll loop (docker-http.c). curl_global_init runs
 * once, from main, before any thread starts (http_global_init).
 */

#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "util/util.h"

struct http_call {
	CURL *easy;
	struct curl_slist *headers;
	char *name; /* the header to keep, with its ':' */
	size_t max_body;
	http_data_cb data;
	http_progress_cb progress;
	void *arg;
	int stopped;
	int too_big;
	char *body;
	size_t len, cap;
	char *header;
	char errbuf[CURL_ERROR_SIZE];
};

static size_t http_write_cb(char *, size_t, size_t, void *);
static size_t http_header_cb(char *, size_t, size_t, void *);
static int http_xferinfo_cb(void *, curl_off_t, curl_off_t, curl_off_t,
                            curl_off_t);

/*
 * libcurl's global state: once, from main, before any thread makes a
 * handle (curl_global_init is not thread-safe on older libcurl).
 */
void
http_global_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatal("curl_global_init failed");
}

/* Keep an answer's bytes, up to max_body; 0 when over the cap. */
static int
http_keep(struct http_call *c, const char *p, size_t len)
{
	if (c->len + len > c->max_body) {
		c->too_big = 1;
		return -1;
	}
	if (c->len + len + 1 > c->cap) {
		while (c->len + len + 1 > c->cap)
			c->cap = c->cap ? c->cap * 2 : 4096;
		c->body = xreallocarray(c->body, c->cap, 1);
	}
	memcpy(c->body + c->len, p, len);
	c->len += len;
	c->body[c->len] = '\0';
	return 0;
}

/* A 2xx body goes to the data callback when there is one, else is kept. */
static size_t
http_write_cb(char *p, size_t size, size_t n, void *arg)
{
	struct http_call *c = arg;
	size_t len = size * n;

	if (c->stopped)
		return 0;
	if (c->data != NULL && http_status_ok(http_status(c)))
		return c->data(c->arg, p, len) != 0 ? 0 : len;
	return http_keep(c, p, len) != 0 ? 0 : len;
}

static size_t
http_header_cb(char *p, size_t size, size_t n, void *arg)
{
	struct http_call *c = arg;
	size_t len = size * n, k = strlen(c->name);

	if (len > k && strncasecmp(p, c->name, k) == 0) {
		while (k < len && (p[k] == ' ' || p[k] == '\t'))
			k++;
		while (len > k && isspace((unsigned char)p[len - 1]))
			len--;
		free(c->header);
		c->header = util_sanitize_dup(p + k, len - k);
	}
	return size * n;
}

static int
http_xferinfo_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow,
                 curl_off_t ultotal, curl_off_t ulnow)
{
	struct http_call *c = arg;

	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	c->progress(c->arg, dltotal > 0 ? (uint64_t)dltotal : 0);
	return 0;
}

/*
 * A request as o says, not started yet: http_perform runs it here, or
 * the caller adds http_handle to its multi handle. The caller frees it
 * with http_free; o's strings are copied.
 */
struct http_call *
http_new(const struct http_opts *o)
{
	struct http_call *c = xcalloc(1, sizeof *c);
	CURL *e;

	if ((c->easy = e = curl_easy_init()) == NULL)
		fatal("curl_easy_init failed");
	c->max_body = o->max_body;
	c->data = o->data;
	c->progress = o->progress;
	c->arg = o->arg;
	curl_easy_setopt(e, CURLOPT_URL, o->url);
	if (o->socket != NULL)
		curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, o->socket);
	else
		curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "berth/" PACKAGE_VERSION);
	if (o->flags & HTTP_WEB) {
		/* The web: proxies from the environment, redirects. */
		curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(e, CURLOPT_MAXREDIRS, 10L);
		curl_easy_setopt(e, CURLOPT_FAILONERROR, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
		curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
		curl_easy_setopt(e, CURLOPT_PROTOCOLS,
		                 (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
		curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS,
		                 (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	} else {
		/* A local daemon: straight there, a redirect is an answer. */
		curl_easy_setopt(e, CURLOPT_PROXY, "");
		curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	}
	if (o->connect_timeout_ms > 0)
		curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
		                 o->connect_timeout_ms);
	if (o->timeout_ms > 0)
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, o->timeout_ms);
	if (o->stall_s > 0) {
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, o->stall_s);
	}
	if (o->buffer_size > 0)
		curl_easy_setopt(e, CURLOPT_BUFFERSIZE, o->buffer_size);
	if (o->resume_from > 0)
		curl_easy_setopt(e, CURLOPT_RESUME_FROM_LARGE,
		                 (curl_off_t)o->resume_from);
	if (o->method == NULL || strcmp(o->method, "GET") == 0)
		;
	else if (strcmp(o->method, "POST") == 0) {
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, 0L);
	} else if (strcmp(o->method, "HEAD") == 0)
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	else
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, o->method);
	c->headers = curl_slist_append(NULL, "Expect:");
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
	if (o->header != NULL) {
		c->name = xasprintf("%s:", o->header);
		curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, http_header_cb);
		curl_easy_setopt(e, CURLOPT_HEADERDATA, c);
	}
	if (o->progress != NULL) {
		curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, http_xferinfo_cb);
		curl_easy_setopt(e, CURLOPT_XFERINFODATA, c);
	}
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
	return c;
}

/* The libcurl easy handle, for a caller that drives it on a multi. */
void *
http_handle(struct http_call *c)
{
	return c->easy;
}

/* Run the request to its end on this thread; the CURLcode (0: done). */
int
http_perform(struct http_call *c)
{
	return (int)curl_easy_perform(c->easy);
}

/* Refuse any more of the body: the transfer ends with a write error. */
void
http_stop(struct http_call *c)
{
	c->stopped = 1;
}

/* The answer's status so far (0 before the status line). */
long
http_status(struct http_call *c)
{
	long code = 0;

	curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &code);
	return code;
}

/* Whether a status is a success (2xx). */
int
http_status_ok(long status)
{
	return status >= 200 && status < 300;
}

/* The kept body (NUL-terminated, NULL when none) and its length. */
const char *
http_body(const struct http_call *c, size_t *len)
{
	if (len != NULL)
		*len = c->len;
	return c->body;
}

/* The kept body, now the caller's to free. */
char *
http_take_body(struct http_call *c, size_t *len)
{
	char *b = c->body;

	if (len != NULL)
		*len = c->len;
	c->body = NULL;
	c->len = c->cap = 0;
	return b;
}

/* The kept header's value (sanitized), now the caller's, or NULL. */
char *
http_take_header(struct http_call *c)
{
	char *h = c->header;

	c->header = NULL;
	return h;
}

/* Whether the body went over the cap (the result is a write error). */
int
http_too_big(const struct http_call *c)
{
	return c->too_big;
}

/*
 * What went wrong with a transfer that ended with result: libcurl's
 * detailed message when it gave one, else (or with c NULL) its generic
 * one.
 */
const char *
http_strerror(const struct http_call *c, int result)
{
	if (c != NULL && c->errbuf[0] != '\0')
		return c->errbuf;
	return curl_easy_strerror((CURLcode)result);
}

void
http_free(struct http_call *c)
{
	if (c == NULL)
		return;
	curl_easy_cleanup(c->easy);
	curl_slist_free_all(c->headers);
	free(c->name);
	free(c->body);
	free(c->header);
	free(c);
}
