/*
 * fuzz_http_status.c: libFuzzer harness for how an answer's status and
 * body decide success (docker_http_status_error) and for the state an
 * action re-checks (docker_json_state). The first two bytes are the
 * status (0-999), the third the request flags, the rest the body. Only
 * 2xx, and 304 when the caller allows it, may succeed; every failure has
 * a message without a control character; nothing crashes or leaks.
 *
 * fuzz-sources: backend/util/util.c backend/core/model.c
 * fuzz-sources: backend/docker/docker-json.c
 * fuzz-sources: backend/docker/docker-http.c backend/util/http.c
 * fuzz-libs: -lcurl -ljansson -lm
 */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "docker/docker.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct docker_state st;
	const char *body;
	char *msg, *cause = NULL;
	size_t len, i;
	long status;
	int flags, ok;

	if (size < 3)
		return 0;
	status = ((long)data[0] << 8 | data[1]) % 1000;
	flags = data[2] & DOCKER_HTTP_304_OK;
	body = (const char *)data + 3;
	len = size - 3;
	msg =
	    docker_http_status_error(status, flags, len > 0 ? body : NULL, len);
	ok = (status >= 200 && status < 300) ||
	     (status == 304 && (flags & DOCKER_HTTP_304_OK));
	if (ok != (msg == NULL))
		abort();
	if (msg != NULL) {
		if (*msg == '\0')
			abort();
		for (i = 0; msg[i] != '\0'; i++) {
			if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
				abort();
		}
	}
	free(msg);
	if (docker_json_state(body, len, &st, &cause) == 0) {
		if (!docker_id_valid(st.id) || st.stop_timeout < -1 ||
		    memchr(st.started, '\0', sizeof st.started) == NULL)
			abort();
	} else
		free(cause);
	return 0;
}
