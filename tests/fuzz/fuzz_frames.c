/*
 * fuzz_frames.c: libFuzzer harness for the Docker log frame demuxer and
 * the bounded log buffer. The first input byte picks raw (TTY) or
 * multiplexed mode and a chunking pattern; the rest is the stream. The
 * same stream fed whole and fed in chunks must give the same lines (or
 * the same failure), no line may exceed DOCKER_LOG_MAX_LINE, and the
 * buffer must stay within its line and byte bounds with nothing but
 * printable text in it. Merged (merged logs of several containers), the
 * lines a snapshot gets are in the order of their times.
 *
 * fuzz-sources: backend/util/util.c backend/util/units.c
 * fuzz-sources: backend/docker/docker-logs.c
 * fuzz-libs: -lm
 */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "docker/docker.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct trace {
	uint64_t hash;
	size_t lines;
	struct docker_logbuf *lb;
};

static void
fuzz_line(void *arg, int stream, const char *line, size_t len)
{
	struct trace *t = arg;
	size_t i;

	if (len > DOCKER_LOG_MAX_LINE || stream < 0 || stream > 2)
		abort();
	t->hash = t->hash * 31 + (uint64_t)stream + 7;
	for (i = 0; i < len; i++)
		t->hash = t->hash * 131 + (unsigned char)line[i];
	t->hash = t->hash * 31 + 0x0a;
	t->lines++;
	if (t->lb != NULL)
		docker_logbuf_push(t->lb, stream, line, len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct docker_demux a, b;
	struct docker_logbuf lb;
	struct model_logs ml;
	struct trace ta, tb;
	int raw, ra, rb = 0;
	size_t off, step, i, k;

	if (size < 2)
		return 0;
	raw = data[0] & 1;
	step = (size_t)(data[0] >> 1) + 1;
	data++;
	size--;

	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	memset(&ta, 0, sizeof ta);
	memset(&tb, 0, sizeof tb);
	docker_logbuf_init(&lb, 16, 512, data[0] & 1);
	lb.merged = (data[0] & 2) != 0;
	tb.lb = &lb;

	docker_demux_init(&a, raw);
	ra = docker_demux_feed(&a, (const char *)data, size, fuzz_line, &ta);
	if (ra == 0)
		docker_demux_flush(&a, fuzz_line, &ta);

	docker_demux_init(&b, raw);
	for (off = 0; off < size && rb == 0; off += k) {
		k = size - off < step ? size - off : step;
		rb = docker_demux_feed(&b, (const char *)data + off, k,
		                       fuzz_line, &tb);
		/* Vary the chunk size as we go. */
		step = step % 13 + 1;
	}
	if (rb == 0)
		docker_demux_flush(&b, fuzz_line, &tb);

	if (ra != rb ||
	    (ra == 0 && (ta.hash != tb.hash || ta.lines != tb.lines)))
		abort();
	if (lb.n > lb.cap || lb.bytes > lb.max_bytes + DOCKER_LOG_MAX_LINE * 4)
		abort();
	for (i = 0; i < lb.n; i++) {
		const char *s = lb.lines[(lb.head + i) % lb.cap].text;

		for (; *s != '\0'; s++) {
			if ((unsigned char)*s < 0x20 || *s == 0x7f)
				abort();
		}
	}
	memset(&ml, 0, sizeof ml);
	docker_logbuf_fill(&lb, &ml);
	for (i = 1; i < ml.nlines; i++) {
		if (lb.merged && docker_log_time_cmp(ml.lines[i - 1].timestamp,
		                                     ml.lines[i].timestamp) > 0)
			abort();
	}
	/* Freed apart: the comparison above reads the line before. */
	for (i = 0; i < ml.nlines; i++) {
		free(ml.lines[i].text);
		free(ml.lines[i].timestamp);
	}
	free(ml.lines);
	docker_demux_clear(&a);
	docker_demux_clear(&b);
	docker_logbuf_clear(&lb);
	return 0;
}
