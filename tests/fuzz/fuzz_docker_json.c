/*
 * fuzz_docker_json.c: libFuzzer harness for the Docker JSON parsers: the
 * container list, inspect, events, stats and error messages. Any input
 * must parse or give a cause, never crash or leak. Strings of the list
 * and the version come as sent but always valid UTF-8 (bad bytes become
 * U+FFFD) and sanitize to text without a control character; causes and
 * error messages carry none at all.
 *
 * fuzz-sources: backend/util/util.c backend/core/model.c
 * fuzz-sources: backend/docker/docker-json.c
 * fuzz-libs: -ljansson -lm
 */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "docker/docker.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
static void fuzz_clean(const char *);

/* Valid UTF-8 (no NUL inside by construction), and clean once sanitized. */
static void
fuzz_raw(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, n, len;
	char *clean;

	if (s == NULL)
		return;
	len = strlen(s);
	for (i = 0; i < len; i += n) {
		if (p[i] < 0x80)
			n = 1;
		else if ((p[i] & 0xe0) == 0xc0 && p[i] >= 0xc2)
			n = 2;
		else if ((p[i] & 0xf0) == 0xe0)
			n = 3;
		else if ((p[i] & 0xf8) == 0xf0 && p[i] <= 0xf4)
			n = 4;
		else
			abort();
		if (i + n > len)
			abort();
		for (size_t k = 1; k < n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				abort();
		}
	}
	clean = util_sanitize_dup(s, len);
	fuzz_clean(clean);
	free(clean);
}

static void
fuzz_clean(const char *s)
{
	if (s == NULL)
		return;
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct model_container *list = NULL;
	struct model_docker md;
	struct docker_event ev;
	struct docker_sample s;
	char *cause = NULL, *id = NULL, *msg;
	size_t n = 0, i, p;
	int tty, pid;

	if (docker_json_containers(buf, size, &list, &n, &cause) == 0) {
		for (i = 0; i < n; i++) {
			if (!docker_id_valid(list[i].id))
				abort();
			fuzz_raw(list[i].name);
			fuzz_raw(list[i].image);
			fuzz_raw(list[i].command);
			fuzz_raw(list[i].status);
			fuzz_raw(list[i].project);
			for (p = 0; p < list[i].nports; p++)
				fuzz_raw(list[i].ports[p].ip);
			model_container_clear(&list[i]);
		}
		free(list);
	} else {
		fuzz_clean(cause);
		free(cause);
	}
	cause = NULL;
	if (docker_json_inspect(buf, size, &id, &tty, &pid, &cause) == 0)
		free(id);
	free(cause);
	cause = NULL;
	if (docker_json_event(buf, size, &ev, &cause) == 0) {
		fuzz_clean(ev.type);
		fuzz_clean(ev.action);
	}
	free(cause);
	cause = NULL;
	docker_json_stats(buf, size, &s, &cause);
	free(cause);
	cause = NULL;
	memset(&md, 0, sizeof md);
	docker_json_version(buf, size, &md, &cause);
	free(cause);
	cause = NULL;
	docker_json_info(buf, size, &md, &cause);
	free(cause);
	fuzz_raw(md.version);
	fuzz_raw(md.os);
	model_docker_clear(&md);
	msg = docker_json_error(buf, size, 500);
	fuzz_clean(msg);
	free(msg);
	return 0;
}
