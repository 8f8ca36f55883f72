/*
 * bench-socket.c: N concurrent GETs on a Docker unix socket with libcurl's
 * multi interface; prints how many answered 200, how many were lost, and
 * the latency distribution. bench/socket/run.sh runs it on berth's
 * forwarded socket and on the daemon's own socket in the same run.
 *
 * usage: bench-socket SOCKET PATH N
 * prints: ok=N lost=N median_ms=X p95_ms=X max_ms=X wall_ms=X
 */

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct req {
	CURL *easy;
	double start, end;
	long code;
	int done;
	size_t bytes;
};

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static size_t
sink(char *p, size_t size, size_t n, void *arg)
{
	struct req *r = arg;

	(void)p;
	r->bytes += size * n;
	return size * n;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct req *reqs;
	double *lat, t0, t1;
	CURLM *multi;
	CURLMsg *msg;
	char *url;
	int n, i, running, left, ok = 0;

	if (argc != 4 || (n = atoi(argv[3])) <= 0) {
		fprintf(stderr, "usage: bench-socket SOCKET PATH N\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	reqs = calloc((size_t)n, sizeof *reqs);
	lat = calloc((size_t)n, sizeof *lat);
	if (reqs == NULL || lat == NULL)
		return 1;
	if ((url = malloc(strlen(argv[2]) + 32)) == NULL)
		return 1;
	sprintf(url, "http://localhost%s", argv[2]);
	multi = curl_multi_init();
	/* Every request on its own connection, all at once. */
	curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, 0L);
	curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, 0L);
	t0 = now_ms();
	for (i = 0; i < n; i++) {
		CURL *e = curl_easy_init();

		reqs[i].easy = e;
		curl_easy_setopt(e, CURLOPT_URL, url);
		curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, argv[1]);
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 30000L);
		curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
		curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink);
		curl_easy_setopt(e, CURLOPT_WRITEDATA, &reqs[i]);
		curl_easy_setopt(e, CURLOPT_PRIVATE, &reqs[i]);
		reqs[i].start = now_ms();
		curl_multi_add_handle(multi, e);
	}
	do {
		curl_multi_perform(multi, &running);
		while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
			struct req *r;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			                  (char **)&r);
			r->end = now_ms();
			r->done = 1;
			if (msg->data.result == CURLE_OK)
				curl_easy_getinfo(msg->easy_handle,
				                  CURLINFO_RESPONSE_CODE,
				                  &r->code);
		}
		if (running > 0)
			curl_multi_poll(multi, NULL, 0, 100, NULL);
	} while (running > 0);
	t1 = now_ms();
	for (i = 0; i < n; i++) {
		if (reqs[i].done && reqs[i].code == 200 && reqs[i].bytes > 0)
			lat[ok++] = reqs[i].end - reqs[i].start;
		curl_multi_remove_handle(multi, reqs[i].easy);
		curl_easy_cleanup(reqs[i].easy);
	}
	qsort(lat, (size_t)ok, sizeof *lat, cmp_double);
	printf("ok=%d lost=%d median_ms=%.2f p95_ms=%.2f max_ms=%.2f "
	       "wall_ms=%.2f\n",
	       ok, n - ok, ok ? lat[ok / 2] : 0.0,
	       ok ? lat[(ok * 95) / 100 < ok ? (ok * 95) / 100 : ok - 1] : 0.0,
	       ok ? lat[ok - 1] : 0.0, t1 - t0);
	curl_multi_cleanup(multi);
	curl_global_cleanup();
	free(url);
	free(reqs);
	free(lat);
	return ok == n ? 0 : 1;
}
