/*
 * fuzz_profile_name.c: libFuzzer harness for the profile-name check (the
 * one rule every command applies to -p, $BERTH_PROFILE, :profile and the
 * names of profile files). Any bytes must get a yes or a no with a reason,
 * never a crash; a yes must hold only letters, digits, '-', '_' and '.',
 * not start with '.', and fit in PROFILE_NAME_MAX bytes (checked here by
 * a second, plainer reading of the rule); a no's reason must be safe to
 * print on a terminal; and a name refused by the check must be refused by
 * profile_find too, before any path is built from it.
 *
 * fuzz-sources: backend/util/util.c backend/util/paths.c backend/util/units.c
 * fuzz-sources: backend/conf/profile.c backend/conf/profile-schema.c
 * fuzz-sources: backend/conf/profile-edit.c backend/conf/conf-yaml.c
 * fuzz-libs: -lyaml -lm
 * fuzz-seconds: 5
 */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* Lookups go to folders that do not exist, never the user's own. */
	setenv("BERTH_HOME", "/nonexistent/berth-fuzz", 1);
	setenv("BERTH_DATADIR", "/nonexistent/berth-fuzz", 1);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char allowed[] = "abcdefghijklmnopqrstuvwxyz"
	                              "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                              "0123456789-_.";
	char *name, *cause = NULL, *path;
	const unsigned char *c;
	size_t len;
	int ok;

	/* A C string: up to the first NUL, as argv and getenv give it. */
	name = xmalloc(size + 1);
	memcpy(name, data, size);
	name[size] = '\0';
	len = strlen(name);

	ok = profile_name_check(name, &cause) == 0;
	if (ok != (len > 0 && len <= PROFILE_NAME_MAX && name[0] != '.' &&
	           strspn(name, allowed) == len))
		abort(); /* the check and the rule disagree */
	if (ok && cause != NULL)
		abort();
	if (!ok) {
		if (cause == NULL ||
		    strstr(cause, "is not a profile name") == NULL)
			abort(); /* a refusal always says why */
		for (c = (const unsigned char *)cause; *c != '\0'; c++) {
			if (*c < 0x20 || *c == 0x7f)
				abort(); /* a raw control character */
		}
		free(cause);
		cause = NULL;
		if ((path = profile_find(name, &cause)) != NULL)
			abort(); /* found a file for a refused name */
		if (cause == NULL ||
		    strstr(cause, "is not a profile name") == NULL)
			abort(); /* refused for another reason: it looked */
	}
	free(cause);
	free(name);
	return 0;
}
