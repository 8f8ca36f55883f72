/*
 * docker-logs.c: container logs. Without a TTY the daemon multiplexes
 * stdout and stderr into frames of an 8-byte header ([stream, 0, 0, 0,
 * size as big-endian u32]) and a payload; with a TTY the stream is raw.
 * libcurl hands us arbitrary chunks, so the demuxer keeps its place in a
 * header or payload between calls and reassembles lines per stream. Lines
 * land in a bounded ring (lines and bytes) after util_sanitize, so a
 * chatty container cannot grow berth's memory and no escape sequence
 * from a container reaches the terminal.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "docker/docker.h"

void
docker_demux_init(struct docker_demux *dm, int raw)
{
	docker_demux_clear(dm);
	dm->raw = raw;
}

void
docker_demux_clear(struct docker_demux *dm)
{
	int i;

	for (i = 0; i < 3; i++)
		free(dm->part[i]);
	memset(dm, 0, sizeof *dm);
}

static void
demux_emit(int stream, const char *p, size_t len, docker_line_cb cb, void *arg)
{
	if (len > 0 && p[len - 1] == '\r')
		len--;
	cb(arg, stream, p, len);
}

/* Add payload bytes of one stream to its line; emit complete lines. */
static void
demux_text(struct docker_demux *dm, int s, const char *p, size_t len,
           docker_line_cb cb, void *arg)
{
	const char *nl;
	size_t take, room;

	while (len > 0) {
		nl = memchr(p, '\n', len);
		take = nl != NULL ? (size_t)(nl - p) : len;
		room = DOCKER_LOG_MAX_LINE - dm->partlen[s];
		if (take >= room) {
			/* An overlong line is cut into pieces. */
			take = room;
			nl = NULL;
		}
		if (nl != NULL && dm->partlen[s] == 0) {
			demux_emit(s, p, take, cb, arg);
		} else {
			if (dm->part[s] == NULL)
				dm->part[s] = xmalloc(DOCKER_LOG_MAX_LINE);
			memcpy(dm->part[s] + dm->partlen[s], p, take);
			dm->partlen[s] += take;
			if (nl != NULL ||
			    dm->partlen[s] == DOCKER_LOG_MAX_LINE) {
				demux_emit(s, dm->part[s], dm->partlen[s], cb,
				           arg);
				dm->partlen[s] = 0;
			}
		}
		if (nl != NULL)
			take++;
		p += take;
		len -= take;
	}
}

/*
 * Feed a chunk of the logs stream; complete lines go to cb. Returns -1
 * (and stays failed) when the stream is not valid multiplexed data.
 */
int
docker_demux_feed(struct docker_demux *dm, const char *p, size_t len,
                  docker_line_cb cb, void *arg)
{
	size_t take;

	if (dm->error)
		return -1;
	if (dm->raw) {
		demux_text(dm, 0, p, len, cb, arg);
		return 0;
	}
	while (len > 0) {
		if (dm->remaining == 0) {
			take = 8 - dm->hdrlen;
			if (take > len)
				take = len;
			memcpy(dm->hdr + dm->hdrlen, p, take);
			dm->hdrlen += take;
			p += take;
			len -= take;
			if (dm->hdrlen < 8)
				break;
			dm->hdrlen = 0;
			if (dm->hdr[0] > 2 || dm->hdr[1] != 0 ||
			    dm->hdr[2] != 0 || dm->hdr[3] != 0) {
				dm->error = 1;
				return -1;
			}
			dm->stream = dm->hdr[0] == 2 ? 2 : 1;
			dm->remaining = (uint32_t)dm->hdr[4] << 24 |
			                (uint32_t)dm->hdr[5] << 16 |
			                (uint32_t)dm->hdr[6] << 8 | dm->hdr[7];
			continue;
		}
		take = dm->remaining < len ? dm->remaining : len;
		demux_text(dm, dm->stream, p, take, cb, arg);
		dm->remaining -= (uint32_t)take;
		p += take;
		len -= take;
	}
	return 0;
}

/* The stream ended: emit lines that had no newline yet. */
void
docker_demux_flush(struct docker_demux *dm, docker_line_cb cb, void *arg)
{
	int s;

	for (s = 0; s < 3; s++) {
		if (dm->partlen[s] > 0) {
			demux_emit(s, dm->part[s], dm->partlen[s], cb, arg);
			dm->partlen[s] = 0;
		}
	}
}

/* ---- the bounded buffer ----------------------------------------------- */

void
docker_logbuf_init(struct docker_logbuf *lb, size_t max_lines, size_t max_bytes,
                   int timestamps)
{
	memset(lb, 0, sizeof *lb);
	lb->cap = max_lines > 0 ? max_lines : 1;
	lb->max_bytes = max_bytes;
	lb->timestamps = timestamps;
}

static void
logbuf_drop_oldest(struct docker_logbuf *lb)
{
	struct model_log_line *l = &lb->lines[lb->head];

	lb->bytes -=
	    strlen(l->text) + (l->timestamp != NULL ? strlen(l->timestamp) : 0);
	free(l->text);
	free(l->timestamp);
	memset(l, 0, sizeof *l);
	lb->head = (lb->head + 1) % lb->cap;
	lb->n--;
	lb->truncated = 1;
}

void
docker_logbuf_clear(struct docker_logbuf *lb)
{
	while (lb->n > 0)
		logbuf_drop_oldest(lb);
	free(lb->lines);
	lb->lines = NULL;
	lb->truncated = 0;
}

/*
 * Length of the RFC 3339 timestamp that starts a line read with
 * timestamps=1 ("2024-01-02T03:04:05.123456789Z "), 0 if none.
 */
size_t
docker_log_split_time(const char *p, size_t len)
{
	size_t i;

	if (len < 20 || p[0] < '0' || p[0] > '9' || p[4] != '-' || p[10] != 'T')
		return 0;
	for (i = 0; i < len && i < 40; i++) {
		if (p[i] == ' ')
			return i;
		if (!((p[i] >= '0' && p[i] <= '9') || strchr("-:.TZ+", p[i])))
			return 0;
	}
	return i == len ? i : 0;
}

/* Append a line (sanitized here), dropping the oldest past the bounds. */
void
docker_logbuf_push(struct docker_logbuf *lb, int stream, const char *p,
                   size_t len)
{
	struct model_log_line *l;
	char *ts = NULL, *text;
	size_t tl, size;

	if (lb->lines == NULL)
		lb->lines = xcalloc(lb->cap, sizeof *lb->lines);
	if (lb->timestamps && (tl = docker_log_split_time(p, len)) > 0) {
		ts = xstrndup(p, tl);
		p += tl;
		len -= tl;
		if (len > 0 && *p == ' ') {
			p++;
			len--;
		}
	}
	text = util_sanitize_dup(p, len);
	size = strlen(text) + (ts != NULL ? strlen(ts) : 0);
	while (lb->n > 0 &&
	       (lb->n == lb->cap || lb->bytes + size > lb->max_bytes))
		logbuf_drop_oldest(lb);
	l = &lb->lines[(lb->head + lb->n) % lb->cap];
	l->text = text;
	l->timestamp = ts;
	l->stream = stream;
	lb->n++;
	lb->bytes += size;
}

/* Copy the buffer, oldest first, into a snapshot's logs (lines only). */
void
docker_logbuf_fill(const struct docker_logbuf *lb, struct model_logs *ml)
{
	size_t i;

	ml->lines = NULL;
	ml->nlines = lb->n;
	ml->truncated = lb->truncated;
	if (lb->n == 0)
		return;
	ml->lines = xcalloc(lb->n, sizeof *ml->lines);
	for (i = 0; i < lb->n; i++) {
		const struct model_log_line *s =
		    &lb->lines[(lb->head + i) % lb->cap];

		ml->lines[i].stream = s->stream;
		ml->lines[i].text = xstrdup(s->text);
		ml->lines[i].timestamp =
		    s->timestamp != NULL ? xstrdup(s->timestamp) : NULL;
	}
}

/* ---- a container's log stream ---------------------------------------- */

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
