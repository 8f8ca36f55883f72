/*
 * docker-http.c: HTTP to the Docker daemon over libcurl, for the engine's
 * poll loop. All transfers live on one multi handle: its socket and timer
 * callbacks tell us which fds to poll and when to call back, so the
 * engine polls them with everything else and nothing blocks. The multi
 * handle's connection cache keeps request/response connections alive
 * between calls. Request/response calls have a total timeout; streams
 * (events, followed logs) only a connect timeout, their liveness is the
 * owner's /_ping. The CLI drives the same transfers with
 * docker_http_run(). Each request is one of berth's HTTP client's calls
 * (util/http.c), which sets up the handle, keeps the body and the
 * API-Version header, and words libcurl's errors.
 */

#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "docker/docker.h"

#define HTTP_DEFAULT_TIMEOUT_MS 10000
#define HTTP_CONNECT_TIMEOUT_MS 5000
#define HTTP_API_MAX            "1.52"
#define HTTP_API_MIN            "1.24"

struct http_req {
	struct docker_req pub; /* first: callers see only this part */
	struct docker_http *h;
	struct http_call *call;
	CURL *easy; /* the call's */
	int flags;
	long timeout_ms; /* this call's, for its message */
	docker_http_data_cb data_cb;
	docker_http_done_cb done_cb;
	void (*cleanup)(void *); /* frees arg when done_cb never runs */
	int cancelled;
	int added; /* on the multi handle (not while inside libcurl) */
	struct http_req *next, *prev;
};

struct http_sock {
	curl_socket_t fd;
	int what; /* CURL_POLL_* */
};

struct docker_http {
	CURLM *multi;
	char *socket; /* unix socket path or NULL */
	char *base;   /* http://localhost */
	char *where;  /* for messages: the socket path or host */
	char version[16];
	long timeout_ms;
	struct http_sock *socks;
	size_t nsocks;
	uint64_t timer_at; /* monotonic ms, 0 = none */
	struct http_req *reqs;
	size_t nreqs;
	int depth;                /* inside curl_multi_socket_action */
	int deferred;             /* requests started inside a callback */
	struct http_req *zombies; /* cancelled inside a callback */
};

static void http_check_done(struct docker_http *);
static void http_req_free(struct http_req *);

static int
http_socket_cb(CURL *easy, curl_socket_t fd, int what, void *arg, void *sp)
{
	struct docker_http *h = arg;
	size_t i;

	for (i = 0; i < h->nsocks; i++) {
		if (h->socks[i].fd == fd)
			break;
	}
	if (what == CURL_POLL_REMOVE) {
		if (i < h->nsocks)
			h->socks[i] = h->socks[--h->nsocks];
		return 0;
	}
	if (i == h->nsocks) {
		h->socks =
		    xreallocarray(h->socks, h->nsocks + 1, sizeof *h->socks);
		h->socks[h->nsocks++].fd = fd;
	}
	h->socks[i].what = what;
	return 0;
}

static int
http_timer_cb(CURLM *multi, long ms, void *arg)
{
	struct docker_http *h = arg;

	h->timer_at = ms < 0 ? 0 : util_mono_ms() + (uint64_t)ms;
	return 0;
}

/* A transport for an endpoint; the caller frees it with docker_http_free. */
struct docker_http *
docker_http_new(const struct endpoint *ep)
{
	struct docker_http *h;
	const char *env;

	h = xcalloc(1, sizeof *h);
	if ((h->multi = curl_multi_init()) == NULL)
		fatal("curl_multi_init failed");
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, http_socket_cb);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, http_timer_cb);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	h->socket = ep->socket != NULL ? xstrdup(ep->socket) : NULL;
	h->base = xstrdup(ep->base);
	h->where = xstrdup(ep->socket != NULL ? ep->socket : ep->host);
	h->timeout_ms = HTTP_DEFAULT_TIMEOUT_MS;
	/* Tests shorten the wait for a frozen daemon. */
	if ((env = getenv("BERTH_DOCKER_TIMEOUT_MS")) != NULL &&
	    atol(env) >= 100)
		h->timeout_ms = atol(env);
	return h;
}

void
docker_http_free(struct docker_http *h)
{
	if (h == NULL)
		return;
	while (h->reqs != NULL)
		docker_http_cancel(h, &h->reqs->pub);
	while (h->zombies != NULL) {
		struct http_req *z = h->zombies;

		h->zombies = z->next;
		http_req_free(z);
	}
	curl_multi_cleanup(h->multi);
	free(h->socks);
	free(h->socket);
	free(h->base);
	free(h->where);
	free(h);
}

/* Use API version v ("1.41") as the path prefix; NULL = none. */
void
docker_http_set_version(struct docker_http *h, const char *v)
{
	snprintf(h->version, sizeof h->version, "%s", v != NULL ? v : "");
}

const char *
docker_http_version(const struct docker_http *h)
{
	return h->version;
}

void
docker_http_set_timeout(struct docker_http *h, long ms)
{
	h->timeout_ms = ms;
}

long
docker_http_timeout(const struct docker_http *h)
{
	return h->timeout_ms;
}

static int
http_version_cmp(const char *a, const char *b)
{
	long am = strtol(a, NULL, 10), bm = strtol(b, NULL, 10);
	const char *ad = strchr(a, '.'), *bd = strchr(b, '.');
	long an = ad != NULL ? strtol(ad + 1, NULL, 10) : 0;
	long bn = bd != NULL ? strtol(bd + 1, NULL, 10) : 0;

	if (am != bm)
		return am < bm ? -1 : 1;
	return an < bn ? -1 : an > bn;
}

/*
 * The API version to speak given the server's API-Version header (NULL
 * when it sent none), like the moby client: the server's version, capped
 * at the newest one berth knows; DOCKER_API_VERSION overrides. The caller
 * frees the result.
 */
char *
docker_api_negotiate(const char *server)
{
	const char *env = getenv("DOCKER_API_VERSION");
	const char *p;

	if (env != NULL && *env != '\0')
		return xstrdup(env);
	if (server == NULL || *server == '\0')
		return xstrdup(HTTP_API_MIN);
	for (p = server; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p) && *p != '.')
			return xstrdup(HTTP_API_MIN);
	}
	if (http_version_cmp(server, HTTP_API_MAX) > 0)
		return xstrdup(HTTP_API_MAX);
	return xstrdup(server);
}

/*
 * Free the request's arg with fn if the request ends without its done
 * callback (cancelled, or the transport freed): the owner of an arg that
 * only the done callback frees sets this.
 */
void
docker_http_set_cleanup(struct docker_req *req, void (*fn)(void *))
{
	((struct http_req *)req)->cleanup = fn;
}

/* The socket a transfer reads from, or -1 when it has none yet. */
int
docker_http_req_fd(struct docker_req *req)
{
	struct http_req *r = (struct http_req *)req;
	curl_socket_t fd = CURL_SOCKET_BAD;

	if (r->easy == NULL || !r->added ||
	    curl_easy_getinfo(r->easy, CURLINFO_ACTIVESOCKET, &fd) !=
	        CURLE_OK ||
	    fd == CURL_SOCKET_BAD)
		return -1;
	return (int)fd;
}

/*
 * Percent-encode a path segment or query value; the caller frees it. Dots
 * are encoded too, so a name such as ".." stays one segment instead of
 * being folded away by libcurl's dot-segment removal.
 */
char *
docker_http_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = xmalloc(strlen(s) * 3 + 1), *o = out;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || c == '-' || c == '_' || c == '~')
			*o++ = (char)c;
		else {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	*o = '\0';
	return out;
}

/* A 2xx body chunk of a call with a data callback. */
static int
http_data(void *arg, const char *p, size_t len)
{
	struct http_req *r = arg;

	return r->data_cb(&r->pub, p, len);
}

/*
 * Start a call: method ("GET", "POST", "DELETE", "HEAD"), path with its
 * query ("/containers/json?all=1"). With data_cb, a 2xx body goes to it
 * chunk by chunk (return nonzero to end the transfer). done_cb runs once
 * when the transfer ends, unless it was cancelled. The request belongs to
 * the transport.
 */
struct docker_req *
docker_http_start(struct docker_http *h, const char *method, const char *path,
                  int flags, docker_http_data_cb data_cb,
                  docker_http_done_cb done_cb, void *arg)
{
	struct http_req *r = xcalloc(1, sizeof *r);
	struct http_opts o;
	char *url;

	r->h = h;
	r->flags = flags;
	r->timeout_ms = h->timeout_ms;
	r->data_cb = data_cb;
	r->done_cb = done_cb;
	r->pub.arg = arg;
	if ((flags & DOCKER_HTTP_UNVERSIONED) || h->version[0] == '\0')
		url = xasprintf("%s%s", h->base, path);
	else
		url = xasprintf("%s/v%s%s", h->base, h->version, path);
	memset(&o, 0, sizeof o);
	o.url = url;
	o.socket = h->socket;
	o.method = method;
	o.header = "API-Version";
	o.connect_timeout_ms = h->timeout_ms < HTTP_CONNECT_TIMEOUT_MS
	                           ? h->timeout_ms
	                           : (long)HTTP_CONNECT_TIMEOUT_MS;
	if (!(flags & DOCKER_HTTP_STREAM))
		o.timeout_ms = h->timeout_ms;
	else /* read a busy stream in big gulps (see docker_logs_batch) */
		o.buffer_size = 128L * 1024;
	o.max_body = DOCKER_HTTP_MAX_BODY;
	if (data_cb != NULL) {
		o.data = http_data;
		o.arg = r;
	}
	r->call = http_new(&o);
	r->easy = http_handle(r->call);
	free(url);
	curl_easy_setopt(r->easy, CURLOPT_PRIVATE, r);

	r->next = h->reqs;
	if (h->reqs != NULL)
		h->reqs->prev = r;
	h->reqs = r;
	h->nreqs++;
	/* libcurl refuses recursive calls: add it once out of callbacks. */
	if (h->depth == 0) {
		curl_multi_add_handle(h->multi, r->easy);
		r->added = 1;
	} else
		h->deferred = 1;
	return &r->pub;
}

static void
http_unlink(struct docker_http *h, struct http_req *r)
{
	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		h->reqs = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	r->next = r->prev = NULL;
	h->nreqs--;
}

static void
http_req_free(struct http_req *r)
{
	if (r->added)
		curl_multi_remove_handle(r->h->multi, r->easy);
	http_free(r->call);
	free(r->pub.body);
	free(r->pub.error);
	free(r->pub.api_version);
	free(r);
}

/*
 * End a call without its done callback. Safe from inside any callback,
 * including the request's own data callback.
 */
void
docker_http_cancel(struct docker_http *h, struct docker_req *req)
{
	struct http_req *r = (struct http_req *)req;

	if (req == NULL || r->cancelled)
		return;
	r->cancelled = 1;
	http_stop(r->call);
	r->done_cb = NULL;
	r->data_cb = NULL;
	if (r->cleanup != NULL)
		r->cleanup(r->pub.arg);
	r->cleanup = NULL;
	http_unlink(h, r);
	if (h->depth > 0) {
		r->next = h->zombies;
		h->zombies = r;
	} else
		http_req_free(r);
}

/*
 * Whether a complete answer is a success: a 2xx status, or 304 where the
 * API gives it a meaning and the caller said so (start of a running
 * container, stop of a stopped one). Anything else, a redirect included,
 * fails with the daemon's own message. NULL on success, else a message
 * the caller frees.
 */
char *
docker_http_status_error(long status, int flags, const char *body, size_t len)
{
	if (http_status_ok(status))
		return NULL;
	if (status == 304 && (flags & DOCKER_HTTP_304_OK))
		return NULL;
	if (status >= 300 && status < 400 && (body == NULL || len == 0))
		return xasprintf("Docker answered HTTP %ld (a redirect, not "
		                 "followed)",
		                 status);
	return docker_json_error(body, len, status);
}

/* The message for a finished transfer that failed, or NULL. */
static char *
http_error(struct http_req *r, CURLcode rc)
{
	struct docker_http *h = r->h;
	long secs = (r->timeout_ms + 999) / 1000;

	switch (rc) {
	case CURLE_OK:
		return docker_http_status_error(r->pub.status, r->flags,
		                                r->pub.body, r->pub.len);
	case CURLE_OPERATION_TIMEDOUT:
		return xasprintf("Docker is not responding (no answer from "
		                 "%s within %ld s)",
		                 h->where, secs);
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		return xasprintf(
		    "cannot connect to the Docker daemon at %s: %s", h->where,
		    http_strerror(r->call, rc));
	case CURLE_WRITE_ERROR:
		if (http_too_big(r->call))
			return xasprintf("Docker's answer is too large (over "
			                 "%d MiB); ignored",
			                 DOCKER_HTTP_MAX_BODY / 1024 / 1024);
		return xstrdup("stream closed");
	case CURLE_GOT_NOTHING:
		return xasprintf("Docker closed the connection without an "
		                 "answer (%s)",
		                 h->where);
	default:
		return xasprintf("Docker at %s: %s", h->where,
		                 http_strerror(r->call, rc));
	}
}

/* Report transfers that finished and free them. */
static void
http_check_done(struct docker_http *h)
{
	struct http_req *r;
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
		                  (char **)&r);
		if (r == NULL || r->cancelled)
			continue;
		r->pub.status = http_status(r->call);
		r->pub.body = http_take_body(r->call, &r->pub.len);
		r->pub.api_version = http_take_header(r->call);
		r->pub.error = http_error(r, msg->data.result);
		r->pub.timed_out = msg->data.result == CURLE_OPERATION_TIMEDOUT;
		http_unlink(h, r);
		curl_multi_remove_handle(h->multi, r->easy);
		r->added = 0;
		if (r->done_cb != NULL)
			r->done_cb(&r->pub);
		http_req_free(r);
	}
	while (h->zombies != NULL) {
		r = h->zombies;
		h->zombies = r->next;
		http_req_free(r);
	}
}

/* Put requests started from inside a libcurl callback on the handle. */
static void
http_add_deferred(struct docker_http *h)
{
	struct http_req *r;

	if (!h->deferred)
		return;
	h->deferred = 0;
	for (r = h->reqs; r != NULL; r = r->next) {
		if (!r->added) {
			curl_multi_add_handle(h->multi, r->easy);
			r->added = 1;
		}
	}
}

/* Add the transport's fds to pfd (up to max); lower *timeout if due. */
int
docker_http_prepare(struct docker_http *h, struct pollfd *pfd, int max,
                    int *timeout)
{
	uint64_t now;
	int n = 0;
	size_t i;

	http_add_deferred(h);
	for (i = 0; i < h->nsocks && n < max; i++) {
		pfd[n].fd = h->socks[i].fd;
		pfd[n].events = 0;
		if (h->socks[i].what & CURL_POLL_IN)
			pfd[n].events |= POLLIN;
		if (h->socks[i].what & CURL_POLL_OUT)
			pfd[n].events |= POLLOUT;
		pfd[n].revents = 0;
		n++;
	}
	if (h->timer_at != 0) {
		now = util_mono_ms();
		if (h->timer_at <= now)
			*timeout = 0;
		else if (*timeout < 0 || h->timer_at - now < (uint64_t)*timeout)
			*timeout = (int)(h->timer_at - now);
	}
	return n;
}

/* Let libcurl work on the fds that are ready and on its timer. */
void
docker_http_dispatch(struct docker_http *h, const struct pollfd *pfd, int n)
{
	int i, running, mask;

	h->depth++;
	for (i = 0; i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		mask = 0;
		if (pfd[i].revents & (POLLIN | POLLHUP))
			mask |= CURL_CSELECT_IN;
		if (pfd[i].revents & POLLOUT)
			mask |= CURL_CSELECT_OUT;
		if (pfd[i].revents & (POLLERR | POLLNVAL))
			mask |= CURL_CSELECT_ERR;
		curl_multi_socket_action(h->multi, pfd[i].fd, mask, &running);
	}
	if (h->timer_at != 0 && h->timer_at <= util_mono_ms()) {
		h->timer_at = 0;
		curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0,
		                         &running);
	}
	h->depth--;
	http_check_done(h);
	http_add_deferred(h);
}

/* Transfers in flight. */
int
docker_http_busy(const struct docker_http *h)
{
	return (int)h->nreqs;
}

/*
 * Drive the transfers from the calling thread for at most timeout_ms (-1:
 * until none is left). For the CLI and tests.
 */
void
docker_http_run(struct docker_http *h, int timeout_ms)
{
	struct pollfd pfd[256];
	uint64_t deadline = util_mono_ms() + (uint64_t)timeout_ms;
	int n, t;

	while (h->nreqs > 0) {
		t = 1000;
		if (timeout_ms >= 0) {
			uint64_t now = util_mono_ms();

			if (now >= deadline)
				break;
			if (deadline - now < (uint64_t)t)
				t = (int)(deadline - now);
		}
		n = docker_http_prepare(h, pfd, (int)nitems(pfd), &t);
		if (poll(pfd, (nfds_t)n, t) == -1 && errno != EINTR)
			break;
		docker_http_dispatch(h, pfd, n);
	}
}
