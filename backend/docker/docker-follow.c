/*
 * docker-follow.c: a container's log stream: the logs request (after an
 * inspect that says whether the container has a TTY), its frames through
 * the demuxer into the bounded buffer (docker-logs.c), and publishing new
 * lines to the engine at a bounded rate.
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
	struct docker *d = arg;

	if (d->line_hook != NULL)
		d->line_hook(d->line_arg, stream, line, len);
	else
		docker_logbuf_push(&d->logs.buf, stream, line, len);
	d->logs.seq++;
	docker_logs_changed(d);
}

/* Send log lines to fn instead of the buffer (the CLI prints them). */
void
docker_set_line_hook(struct docker *d, docker_line_cb fn, void *arg)
{
	d->line_hook = fn;
	d->line_arg = arg;
}

static int
docker_on_logs_data(struct docker_req *r, const char *p, size_t len)
{
	struct docker *d = r->arg;

	d->logs.last_data = util_mono_ms();
	if (docker_demux_feed(&d->logs.demux, p, len, docker_log_line, d) !=
	    0) {
		free(d->logs.error);
		d->logs.error = xstrdup("Docker sent a broken log stream "
		                        "(not multiplexed frames)");
		docker_msg(d, 2, "logs: %s", d->logs.error);
		return -1;
	}
	return 0;
}

static void
docker_on_logs_done(struct docker_req *r)
{
	struct docker *d = r->arg;

	d->logs.stream = NULL;
	docker_demux_flush(&d->logs.demux, docker_log_line, d);
	d->logs.active = 0;
	if (r->error != NULL && d->logs.error == NULL) {
		d->logs.error = xstrdup(r->error);
		if (d->engine == NULL)
			docker_msg(d, 2, "logs: %s", r->error);
		else
			d->nerrors++;
	}
	docker_changed(d);
}

static void
docker_on_logs_inspect(struct docker_req *r)
{
	struct docker *d = r->arg;
	struct docker_ct *ct;
	char *id = NULL, *cause = NULL, *path;
	int tty = 0;

	d->logs.inspect = NULL;
	if (r->error != NULL) {
		if (r->status == 404)
			d->nunknown++;
		d->logs.error = xstrdup(r->error);
		d->logs.active = 0;
		docker_msg(d, 2, "logs: %s", r->error);
		return;
	}
	if (docker_json_inspect(r->body, r->len, &id, &tty, NULL, &cause) !=
	    0) {
		d->logs.error = cause;
		d->logs.active = 0;
		docker_msg(d, 2, "logs: %s", cause);
		return;
	}
	free(d->logs.id);
	d->logs.id = id;
	d->logs.tty = tty;
	if ((ct = docker_find(d, id)) != NULL) {
		free(d->logs.name);
		d->logs.name = xstrdup(ct->c.name);
	}
	docker_demux_init(&d->logs.demux, tty);
	path = d->logs.tail >= 0
	           ? xasprintf("/containers/%s/logs?stdout=1&stderr=1&"
	                       "follow=%d&timestamps=%d&tail=%lld",
	                       id, d->logs.follow, d->logs.timestamps,
	                       d->logs.tail)
	           : xasprintf("/containers/%s/logs?stdout=1&stderr=1&"
	                       "follow=%d&timestamps=%d&tail=all",
	                       id, d->logs.follow, d->logs.timestamps);
	d->logs.stream = docker_http_start(
	    d->http, "GET", path, d->logs.follow ? DOCKER_HTTP_STREAM : 0,
	    docker_on_logs_data, docker_on_logs_done, d);
	free(path);
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
	char *e, *path;

	docker_logs_stop(d);
	if (d->conn != MODEL_CONN_UP || id == NULL || *id == '\0') {
		docker_msg(d, 2, "logs: %s",
		           d->error != NULL ? d->error
		                            : "Docker is not connected");
		return -1;
	}
	if (!docker_name_valid(id)) {
		d->nunknown++;
		docker_msg(d, 2, "logs: no such container: %s", id);
		return -1;
	}
	d->logs.id = xstrdup(id);
	d->logs.name = xstrdup(docker_name_of(d, id));
	d->logs.tail = tail;
	d->logs.follow = follow;
	d->logs.timestamps = timestamps;
	d->logs.active = 1;
	docker_logbuf_clear(&d->logs.buf);
	docker_logbuf_init(&d->logs.buf, DOCKER_LOG_LINES, DOCKER_LOG_BYTES,
	                   timestamps);
	e = docker_http_escape(id);
	path = xasprintf("/containers/%s/json", e);
	d->logs.inspect = docker_http_start(d->http, "GET", path, 0, NULL,
	                                    docker_on_logs_inspect, d);
	free(path);
	free(e);
	docker_changed(d);
	return 0;
}

void
docker_logs_stop(struct docker *d)
{
	if (d->http != NULL) {
		docker_cancel(d, &d->logs.inspect);
		docker_cancel(d, &d->logs.stream);
	}
	docker_demux_clear(&d->logs.demux);
	free(d->logs.id);
	free(d->logs.name);
	free(d->logs.error);
	d->logs.id = d->logs.name = d->logs.error = NULL;
	d->logs.active = 0;
	d->logs.unpublished = 0;
	docker_logbuf_clear(&d->logs.buf);
	docker_logbuf_init(&d->logs.buf, DOCKER_LOG_LINES, DOCKER_LOG_BYTES, 0);
	docker_changed(d);
}
