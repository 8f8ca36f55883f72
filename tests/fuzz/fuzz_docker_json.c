/*
 * fuzz_docker_json.c: libFuzzer harness for the Docker JSON parsers: the
 * container list, inspect, events, stats and error messages. Any input
 * must parse or give a cause, never crash or leak, and nothing parsed may
 * carry a control character (everything shown is sanitized).
 *
 * fuzz-sources: backend/util.c backend/model.c backend/docker-json.c
 * fuzz-libs: -ljansson -lm
 */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "docker.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

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
			fuzz_clean(list[i].name);
			fuzz_clean(list[i].image);
			fuzz_clean(list[i].command);
			fuzz_clean(list[i].status);
			fuzz_clean(list[i].project);
			for (p = 0; p < list[i].nports; p++)
				fuzz_clean(list[i].ports[p].ip);
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
	fuzz_clean(md.version);
	fuzz_clean(md.os);
	model_docker_clear(&md);
	msg = docker_json_error(buf, size, 500);
	fuzz_clean(msg);
	free(msg);
	return 0;
}
