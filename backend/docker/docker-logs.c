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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/*
 * The time a line read with timestamps=1 starts with (allocated; only
 * digits and "-:.TZ+", see above), NULL if none; *p and *len move past it
 * and the space after it.
 */
char *
docker_log_take_time(const char **p, size_t *len)
{
	size_t tl = docker_log_split_time(*p, *len);
	char *ts;

	if (tl == 0)
		return NULL;
	ts = xstrndup(*p, tl);
	*p += tl;
	*len -= tl;
	if (*len > 0 && **p == ' ') {
		(*p)++;
		(*len)--;
	}
	return ts;
}

/* Append a line (sanitized here), dropping the oldest past the bounds. */
void
docker_logbuf_push(struct docker_logbuf *lb, int stream, const char *p,
                   size_t len)
{
	docker_logbuf_push_src(lb, 0, stream, p, len);
}

/* The same for the line of source src (merged logs). */
void
docker_logbuf_push_src(struct docker_logbuf *lb, int src, int stream,
                       const char *p, size_t len)
{
	struct model_log_line *l;
	char *ts = NULL, *text;
	size_t size;

	if (lb->lines == NULL)
		lb->lines = xcalloc(lb->cap, sizeof *lb->lines);
	if (lb->timestamps)
		ts = docker_log_take_time(&p, &len);
	text = util_sanitize_dup(p, len);
	size = strlen(text) + (ts != NULL ? strlen(ts) : 0);
	while (lb->n > 0 &&
	       (lb->n == lb->cap || lb->bytes + size > lb->max_bytes))
		logbuf_drop_oldest(lb);
	l = &lb->lines[(lb->head + lb->n) % lb->cap];
	l->text = text;
	l->timestamp = ts;
	l->stream = stream;
	l->src = src;
	lb->n++;
	lb->bytes += size;
}

/* A line's place in time, read once for the sort. */
struct logbuf_key {
	long long sec;
	long nsec;
	size_t idx; /* arrival order: equal times keep it */
	int ok;     /* unreadable times go first */
};

static int
logbuf_cmp(const void *a, const void *b)
{
	const struct logbuf_key *x = a, *y = b;

	if (x->ok != y->ok)
		return x->ok - y->ok;
	if (x->sec != y->sec)
		return x->sec < y->sec ? -1 : 1;
	if (x->nsec != y->nsec)
		return x->nsec < y->nsec ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Sort lines by time, keeping arrival order between equal times. */
static void
logbuf_sort(struct model_log_line *lines, size_t n)
{
	struct logbuf_key *k = xcalloc(n, sizeof *k);
	struct model_log_line *copy = xcalloc(n, sizeof *copy);
	size_t i;

	for (i = 0; i < n; i++) {
		k[i].idx = i;
		k[i].ok = lines[i].timestamp != NULL &&
		          units_parse_time(lines[i].timestamp, &k[i].sec,
		                           &k[i].nsec) == 0;
	}
	qsort(k, n, sizeof *k, logbuf_cmp);
	memcpy(copy, lines, n * sizeof *lines);
	for (i = 0; i < n; i++)
		lines[i] = copy[k[i].idx];
	free(copy);
	free(k);
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
		ml->lines[i].src = s->src;
		ml->lines[i].text = xstrdup(s->text);
		ml->lines[i].timestamp =
		    s->timestamp != NULL ? xstrdup(s->timestamp) : NULL;
	}
	/*
	 * Each stream comes in its own order; merged, the lines are put in
	 * the order of their times (a stable sort: equal times keep the
	 * order they arrived in).
	 */
	if (lb->merged)
		logbuf_sort(ml->lines, lb->n);
}

/* ---- times -------------------------------------------------------------- */

/*
 * Compare two lines' times (NULL or unreadable ones first). Docker trims
 * trailing zeros of the fraction in some versions, so the strings are
 * compared as times, not as text.
 */
int
docker_log_time_cmp(const char *a, const char *b)
{
	long long as = 0, bs = 0;
	long an = 0, bn = 0;
	int ao = a != NULL && units_parse_time(a, &as, &an) == 0;
	int bo = b != NULL && units_parse_time(b, &bs, &bn) == 0;

	if (ao != bo)
		return ao - bo;
	if (as != bs)
		return as < bs ? -1 : 1;
	if (an != bn)
		return an < bn ? -1 : 1;
	return 0;
}
