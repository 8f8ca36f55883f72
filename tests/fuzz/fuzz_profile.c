/*
 * fuzz_profile.c: libFuzzer harness for the profile loader and the
 * comment-keeping editor. Any input must give a profile or errors, never a
 * crash, leak or hang; an edit that succeeds must give text that loads.
 *
 * fuzz-sources: backend/util/util.c backend/util/paths.c backend/util/units.c
 * fuzz-sources: backend/conf/profile.c backend/conf/profile-schema.c
 * fuzz-sources: backend/conf/profile-edit.c backend/conf/conf-yaml.c
 * fuzz-libs: -lyaml -lm
 * fuzz-seeds: profiles tests/unit/data
 * fuzz-dict: tests/fuzz/profile.dict
 */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Keys the editor is asked to set, and values to set them to. */
static const char *const edit_keys[] = {
    "vm.cpus",       "vm.memory",        "mounts[0].watch", "mounts[1].host",
    "docker.socket", "mounts[0].ignore", "refresh",         "theme",
};
static const char *const edit_values[] = {
    "4", "8GiB", "poll", "/src", "a: b", "[x, y]", "1s", "#x",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_errors errs = {NULL, 0};
	struct profile *p;
	char *out, *cause = NULL;
	size_t outlen, k;

	p = profile_load_buffer((const char *)data, size, "fuzz.yaml", "fuzz",
	                        &errs);
	if (p == NULL && errs.n == 0)
		abort(); /* a refusal always says why */
	profile_free(p);
	config_errors_free(&errs);

	if (size == 0)
		return 0;
	k = data[0] % nitems(edit_keys);
	out = profile_splice((const char *)data + 1, size - 1, edit_keys[k],
	                     edit_values[k], &outlen, &cause);
	if (out != NULL) {
		p = profile_load_buffer(out, outlen, "out.yaml", "fuzz", &errs);
		if (p == NULL)
			abort(); /* the editor wrote a profile that fails */
		profile_free(p);
		free(out);
	}
	free(cause);
	return 0;
}
