/*
 * docker-follow.c: a container's log stream: the logs request (after an
 * inspect that says whether the container has a TTY), its frames through
 * the demuxer into the bounded buffer (docker-logs.c), and publishing new
 * lines to the engine at a bounded rate. Merged logs (a compose project)
 * are one such stream per container, each a source with its own inspect,
 * request and demuxer, into the one buffer, which then sorts by time.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "docker/docker.h"

/*
 * A chatty container must not make the engine copy the log buffer into a
 * snapshot for every line: publish new lines at most every
 * DOCKER_LOG_PUBLISH_MS (the rest go with the next one, on a timer).
 */
void
docker_logs_changed(struct docker *d)
{
	uint64_t now = util_mono_ms();

	if (now >= d->logs.published + DOCKER_LOG_PUBLISH_MS) {
		d->logs.published = now;
		d->logs.unpublished = 0;
		docker_changed(d);
	} else
		d->logs.unpublished = 1;
}

static void
docker_log_line(void *arg, int stream, const char *line, size_t len)
{
	struct docker_log_src *src = arg;
	struct docker *d = src->d;

	if (d->line_hook != NULL)
		d->line_hook(d->line_arg, src->name, stream, line, len);
	else
		docker_logbuf_push_src(&d->logs.buf, (int)src->idx, stream,
		                       line, len);
	d->logs.seq++;
	docker_logs_changed(d);
}

/* Send log lines to fn instead of the buffer (the CLI prints them). */
void
docker_set_line_hook(struct docker *d, docker_log_hook fn, void *arg)
{
	d->line_hook = fn;
	d->line_arg = arg;
}

/* Keep the first error of the logs (the stream or a source's). */
static void
docker_logs_fail(struct docker *d, const struct docker_log_src *src,
                 const char *why)
{
	if (d->logs.error != NULL)
		return;
	d->logs.error =
	    d->logs.merged ? xasprintf("%s: %s", src->name, why) : xstrdup(why);
}

static int
docker_on_logs_data(struct docker_req *r, const char *p, size_t len)
{
	struct docker_log_src *src = r->arg;
	struct docker *d = src->d;

	d->logs.last_data = util_mono_ms();
	if (docker_demux_feed(&src->demux, p, len, docker_log_line, src) != 0) {
		docker_logs_fail(d, src,
		                 "Docker sent a broken log stream "
		                 "(not multiplexed frames)");
		docker_msg(d, 2, "logs: %s", d->logs.error);
		return -1;
	}
	return 0;
}

/* Whether no source is asking or streaming any more. */
static int
docker_logs_all_done(const struct docker *d)
{
	size_t i;

	for (i = 0; i < d->logs.nsrcs; i++) {
		if (d->logs.srcs[i].inspect != NULL ||
		    d->logs.srcs[i].stream != NULL)
			return 0;
	}
	return 1;
}

static void
docker_on_logs_done(struct docker_req *r)
{
	struct docker_log_src *src = r->arg;
	struct docker *d = src->d;

	src->stream = NULL;
	docker_demux_flush(&src->demux, docker_log_line, src);
	if (r->error != NULL) {
		int first = d->logs.error == NULL;

		docker_logs_fail(d, src, r->error);
		if (d->engine == NULL)
			docker_msg(d, 2, "logs: %s",
			           first ? d->logs.error : r->error);
		else
			d->nerrors++;
	}
	if (docker_logs_all_done(d))
		d->logs.active = 0;
	docker_changed(d);
}

static void
docker_on_logs_inspect(struct docker_req *r)
{
	struct docker_log_src *src = r->arg;
	struct docker *d = src->d;
	struct docker_ct *ct;
	char *id = NULL, *cause = NULL, *path, *q;

	src->inspect = NULL;
	if (r->error != NULL ||
	    docker_json_inspect(r->body, r->len, &id, &src->tty, NULL,
	                        &cause) != 0) {
		if (r->error != NULL && r->status == 404)
			d->nunknown++;
		docker_logs_fail(d, src, r->error != NULL ? r->error : cause);
		docker_msg(d, 2, "logs: %s",
		           r->error != NULL ? r->error : cause);
		free(cause);
		if (docker_logs_all_done(d))
			d->logs.active = 0;
		docker_changed(d);
		return;
	}
	free(src->id);
	src->id = id;
	if ((ct = docker_find(d, id)) != NULL) {
		free(src->name);
		src->name = xstrdup(ct->c.name);
	}
	if (!d->logs.merged) {
		free(d->logs.id);
		d->logs.id = xstrdup(id);
		free(d->logs.name);
		d->logs.name = xstrdup(src->name);
		d->logs.tty = src->tty;
	}
	docker_demux_init(&src->demux, src->tty);
	q = d->logs.tail >= 0 ? xasprintf("%lld", d->logs.tail)
	                      : xstrdup("all");
	path = xasprintf("/containers/%s/logs?stdout=1&stderr=1&"
	                 "follow=%d&timestamps=%d&tail=%s%s%s%s%s",
	                 id, d->logs.follow, d->logs.timestamps, q,
	                 d->logs.since != NULL ? "&since=" : "",
	                 d->logs.since != NULL ? d->logs.since : "",
	                 d->logs.until != NULL ? "&until=" : "",
	                 d->logs.until != NULL ? d->logs.until : "");
	src->stream = docker_http_start(
	    d->http, "GET", path, d->logs.follow ? DOCKER_HTTP_STREAM : 0,
	    docker_on_logs_data, docker_on_logs_done, src);
	free(path);
	free(q);
	docker_changed(d);
}

/*
 * Read a container's logs (tail lines, -1 = all), following them when
 * follow is set, into the bounded buffer (or the line hook). Replaces
 * any logs being read.
 */
int
docker_logs_start(struct docker *d, const char *id, long long tail, int follow,
                  int timestamps)
{
	struct docker_logs_opts o = {
	    .tail = tail, .follow = follow, .timestamps = timestamps};

	return docker_logs_start_opts(d, &id, 1, NULL, &o);
}

/*
 * Read the logs of n containers. With a title (the merged view's, e.g. a
 * project's name) their lines go into one buffer sorted by time, each
 * marked with its container (timestamps are then always asked for);
 * without one, n must be 1. Replaces any logs being read.
 */
int
docker_logs_start_opts(struct docker *d, const char *const *ids, size_t n,
                       const char *title, const struct docker_logs_opts *o)
{
	struct docker_log_src *src;
	char *e, *path;
	size_t i;

	docker_logs_stop(d);
	if (d->conn != MODEL_CONN_UP || n == 0) {
		docker_msg(d, 2, "logs: %s",
		           d->error != NULL ? d->error
		           : n == 0         ? "no containers given"
		                            : "Docker is not connected");
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (ids[i] == NULL || !docker_name_valid(ids[i])) {
			d->nunknown++;
			docker_msg(d, 2, "logs: no such container: %s",
			           ids[i] != NULL ? ids[i] : "");
			return -1;
		}
	}
	d->logs.merged = title != NULL;
	if (d->logs.merged) {
		char *key = xstrdup("");

		for (i = 0; i < n; i++) {
			char *k =
			    xasprintf("%s%s%s", key, i > 0 ? " " : "", ids[i]);

			free(key);
			key = k;
		}
		d->logs.id = key;
		d->logs.name = xstrdup(title);
	} else {
		d->logs.id = xstrdup(ids[0]);
		d->logs.name = xstrdup(docker_name_of(d, ids[0]));
	}
	d->logs.tail = o->tail;
	d->logs.follow = o->follow;
	d->logs.timestamps = o->timestamps || d->logs.merged;
	d->logs.since = o->since != NULL ? xstrdup(o->since) : NULL;
	d->logs.until = o->until != NULL ? xstrdup(o->until) : NULL;
	d->logs.active = 1;
	docker_logbuf_clear(&d->logs.buf);
	docker_logbuf_init(&d->logs.buf, DOCKER_LOG_LINES, DOCKER_LOG_BYTES,
	                   d->logs.timestamps);
	d->logs.buf.merged = d->logs.merged;
	d->logs.srcs = xcalloc(n, sizeof *d->logs.srcs);
	d->logs.nsrcs = n;
	for (i = 0; i < n; i++) {
		src = &d->logs.srcs[i];
		src->d = d;
		src->idx = i;
		src->id = xstrdup(ids[i]);
		src->name = xstrdup(docker_name_of(d, ids[i]));
		e = docker_http_escape(ids[i]);
		path = xasprintf("/containers/%s/json", e);
		src->inspect = docker_http_start(d->http, "GET", path, 0, NULL,
		                                 docker_on_logs_inspect, src);
		free(path);
		free(e);
	}
	docker_changed(d);
	return 0;
}

/* Cancel every source's requests; their state stays for the snapshot. */
static void
docker_logs_cancel(struct docker *d)
{
	size_t i;

	for (i = 0; i < d->logs.nsrcs; i++) {
		if (d->http != NULL) {
			docker_cancel(d, &d->logs.srcs[i].inspect);
			docker_cancel(d, &d->logs.srcs[i].stream);
		}
	}
}

void
docker_logs_stop(struct docker *d)
{
	size_t i;

	docker_logs_cancel(d);
	for (i = 0; i < d->logs.nsrcs; i++) {
		docker_demux_clear(&d->logs.srcs[i].demux);
		free(d->logs.srcs[i].id);
		free(d->logs.srcs[i].name);
	}
	free(d->logs.srcs);
	d->logs.srcs = NULL;
	d->logs.nsrcs = 0;
	free(d->logs.id);
	free(d->logs.name);
	free(d->logs.error);
	free(d->logs.since);
	free(d->logs.until);
	d->logs.id = d->logs.name = d->logs.error = NULL;
	d->logs.since = d->logs.until = NULL;
	d->logs.active = 0;
	d->logs.merged = 0;
	d->logs.tty = 0;
	d->logs.unpublished = 0;
	docker_logbuf_clear(&d->logs.buf);
	docker_logbuf_init(&d->logs.buf, DOCKER_LOG_LINES, DOCKER_LOG_BYTES, 0);
	docker_changed(d);
}

/* An inspect in flight, or (for the CLI, which waits) any stream. */
int
docker_logs_busy(const struct docker *d)
{
	size_t i;

	for (i = 0; i < d->logs.nsrcs; i++) {
		if (d->logs.srcs[i].inspect != NULL ||
		    (d->engine == NULL && d->logs.srcs[i].stream != NULL))
			return 1;
	}
	return 0;
}

/* Whether any stream is open (the snapshot's "following"). */
int
docker_logs_streaming(const struct docker *d)
{
	size_t i;

	for (i = 0; i < d->logs.nsrcs; i++) {
		if (d->logs.srcs[i].stream != NULL)
			return 1;
	}
	return 0;
}

/* The daemon went away: end the streams with why. */
void
docker_logs_abort(struct docker *d, const char *why)
{
	if (docker_logs_all_done(d))
		return;
	docker_logs_cancel(d);
	d->logs.active = 0;
	free(d->logs.error);
	d->logs.error = xstrdup(why);
	docker_msg(d, 2, "logs: %s", why);
}

/*
 * A container that logs without pause would wake the engine for every
 * few lines (the daemon writes each frame on its own). While the streams
 * are busy, leave their sockets out of the poll for DOCKER_LOG_BATCH_MS so
 * the kernel gathers the data and libcurl reads it in one go.
 */
void
docker_logs_batch(struct docker *d, struct pollfd *pfd, int n, int *timeout)
{
	uint64_t now, until;
	int fd, i, left;
	size_t k;

	if (!docker_logs_streaming(d) || d->logs.last_data == 0)
		return;
	now = util_mono_ms();
	until = d->logs.last_data + DOCKER_LOG_BATCH_MS;
	if (now >= until)
		return;
	for (k = 0; k < d->logs.nsrcs; k++) {
		if (d->logs.srcs[k].stream == NULL ||
		    (fd = docker_http_req_fd(d->logs.srcs[k].stream)) < 0)
			continue;
		for (i = 0; i < n; i++) {
			if (pfd[i].fd == fd)
				pfd[i].events = 0;
		}
	}
	left = (int)(until - now);
	if (*timeout < 0 || left < *timeout)
		*timeout = left;
}
