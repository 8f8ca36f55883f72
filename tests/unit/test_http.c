/*
 * test_http.c: berth's HTTP client (util/http.c) against a server on a
 * unix socket in a thread of this test: no network. It checks what every
 * caller relies on: the status, the kept body and its cap, the one kept
 * header, a 2xx body handed to the data callback (and an error body kept
 * instead), the error text, a timeout, and the methods on the wire.
 */

#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <curl/curl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/util.h"

/* One connection: read the request head, answer with reply, close. */
struct server {
	int fd;
	const char *reply; /* NULL: say nothing, keep the connection */
	char request[4096];
	pthread_t thread;
	char path[108];
	char dir[64];
};

static void *
server_main(void *arg)
{
	struct server *s = arg;
	size_t len = 0;
	ssize_t n;
	int c;

	if ((c = accept(s->fd, NULL, NULL)) == -1)
		return NULL;
	while (len + 1 < sizeof s->request &&
	       (n = read(c, s->request + len, sizeof s->request - 1 - len)) >
	           0) {
		len += (size_t)n;
		s->request[len] = '\0';
		if (strstr(s->request, "\r\n\r\n") != NULL)
			break;
	}
	if (s->reply == NULL)
		sleep(2); /* longer than the client waits */
	else if (write(c, s->reply, strlen(s->reply)) < 0)
		s->request[0] = '\0'; /* the client went: the test fails */
	close(c);
	return NULL;
}

static void
server_start(struct server *s, const char *reply)
{
	struct sockaddr_un sa;

	memset(s, 0, sizeof *s);
	snprintf(s->dir, sizeof s->dir, "/tmp/test_http.XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(s->path, sizeof s->path, "%s/sock", s->dir);
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", s->path);
	s->fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(s->fd != -1);
	assert_int_equal(bind(s->fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(s->fd, 4), 0);
	s->reply = reply;
	assert_int_equal(pthread_create(&s->thread, NULL, server_main, s), 0);
}

static void
server_stop(struct server *s)
{
	pthread_join(s->thread, NULL);
	close(s->fd);
	unlink(s->path);
	rmdir(s->dir);
}

/* GET on the test server with the options most callers use. */
static struct http_call *
get(struct server *s, const char *method, size_t max_body, int *rc)
{
	struct http_opts o;
	struct http_call *c;

	memset(&o, 0, sizeof o);
	o.url = "http://localhost/_ping";
	o.socket = s->path;
	o.method = method;
	o.header = "API-Version";
	o.timeout_ms = 500;
	o.max_body = max_body;
	c = http_new(&o);
	*rc = http_perform(c);
	return c;
}

static void
test_kept_body_and_header(void **state)
{
	struct server s;
	struct http_call *c;
	char *body, *h;
	size_t len;
	int rc;

	(void)state;
	server_start(&s, "HTTP/1.1 200 OK\r\nAPI-Version:  1.47 \r\n"
	                 "Content-Length: 2\r\n\r\nOK");
	c = get(&s, NULL, 100, &rc);
	server_stop(&s);
	assert_int_equal(rc, CURLE_OK);
	assert_int_equal(http_status(c), 200);
	assert_string_equal(http_body(c, &len), "OK");
	assert_int_equal(len, 2);
	assert_false(http_too_big(c));
	assert_non_null(strstr(s.request, "GET /_ping HTTP/1.1\r\n"));
	assert_non_null(strstr(s.request, "User-Agent: berth/"));
	h = http_take_header(c);
	assert_string_equal(h, "1.47");
	free(h);
	body = http_take_body(c, &len);
	assert_string_equal(body, "OK");
	assert_null(http_body(c, &len));
	assert_int_equal(len, 0);
	free(body);
	http_free(c);
}

static void
test_body_cap(void **state)
{
	struct server s;
	struct http_call *c;
	int rc;

	(void)state;
	server_start(&s, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"
	                 "0123456789");
	c = get(&s, NULL, 9, &rc);
	server_stop(&s);
	assert_int_equal(rc, CURLE_WRITE_ERROR);
	assert_true(http_too_big(c));
	http_free(c);

	server_start(&s, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"
	                 "0123456789");
	c = get(&s, NULL, 10, &rc);
	server_stop(&s);
	assert_int_equal(rc, CURLE_OK);
	assert_false(http_too_big(c));
	http_free(c);
}

static size_t got;

static int
count_data(void *arg, const char *p, size_t len)
{
	(void)p;
	got += len;
	return arg != NULL; /* nonzero: stop */
}

/* A 2xx body goes to data and is not kept; an error body is kept. */
static void
test_data_callback(void **state)
{
	struct server s;
	struct http_opts o;
	struct http_call *c;
	int rc, i;
	static const char *const replies[] = {
	    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
	    "HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope",
	    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
	};

	(void)state;
	for (i = 0; i < 3; i++) {
		server_start(&s, replies[i]);
		memset(&o, 0, sizeof o);
		o.url = "http://localhost/logs";
		o.socket = s.path;
		o.timeout_ms = 500;
		o.max_body = 100;
		o.data = count_data;
		o.arg = i == 2 ? &s : NULL;
		got = 0;
		c = http_new(&o);
		rc = http_perform(c);
		server_stop(&s);
		if (i == 0) {
			assert_int_equal(rc, CURLE_OK);
			assert_int_equal(got, 5);
			assert_null(http_body(c, NULL));
		} else if (i == 1) {
			assert_int_equal(rc, CURLE_OK);
			assert_int_equal(http_status(c), 404);
			assert_false(http_status_ok(http_status(c)));
			assert_int_equal(got, 0);
			assert_string_equal(http_body(c, NULL), "nope");
		} else {
			assert_int_equal(rc, CURLE_WRITE_ERROR);
			assert_false(http_too_big(c));
		}
		http_free(c);
	}
}

static void
test_methods(void **state)
{
	static const char *const methods[] = {"POST", "DELETE", "HEAD"};
	struct server s;
	struct http_call *c;
	char want[32];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < nitems(methods); i++) {
		server_start(&s, "HTTP/1.1 204 No Content\r\n\r\n");
		c = get(&s, methods[i], 100, &rc);
		server_stop(&s);
		assert_int_equal(rc, CURLE_OK);
		assert_int_equal(http_status(c), 204);
		snprintf(want, sizeof want, "%s /_ping ", methods[i]);
		assert_memory_equal(s.request, want, strlen(want));
		if (strcmp(methods[i], "POST") == 0) {
			assert_non_null(strstr(s.request, "Content-Length: 0"));
			assert_null(strstr(s.request, "Expect:"));
		}
		http_free(c);
	}
}

static void
test_errors(void **state)
{
	struct server s;
	struct http_opts o;
	struct http_call *c;
	uint64_t t0;
	int rc;

	(void)state;
	/* Nothing at the path: libcurl's detailed message, not the generic. */
	memset(&o, 0, sizeof o);
	o.url = "http://localhost/_ping";
	o.socket = "/nonexistent/berth-test.sock";
	o.timeout_ms = 500;
	c = http_new(&o);
	rc = http_perform(c);
	assert_int_equal(rc, CURLE_COULDNT_CONNECT);
	assert_string_not_equal(http_strerror(c, rc),
	                        curl_easy_strerror(CURLE_COULDNT_CONNECT));
	assert_true(http_strerror(c, rc)[0] != '\0');
	assert_string_equal(http_strerror(NULL, rc),
	                    curl_easy_strerror(CURLE_COULDNT_CONNECT));
	http_free(c);

	/* A server that never answers: the total timeout ends it. */
	server_start(&s, NULL);
	t0 = util_mono_ms();
	c = get(&s, NULL, 100, &rc);
	assert_int_equal(rc, CURLE_OPERATION_TIMEDOUT);
	assert_true(util_mono_ms() - t0 < 1900);
	server_stop(&s);
	http_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kept_body_and_header),
	    cmocka_unit_test(test_body_cap),
	    cmocka_unit_test(test_data_callback),
	    cmocka_unit_test(test_methods),
	    cmocka_unit_test(test_errors),
	};

	http_global_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
