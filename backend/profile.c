/*
 * profile.c: PLACEHOLDER until the profile loader lands (issue 2).
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "backend.h"

struct profile *
profile_defaults(const char *name)
{
	struct profile *p = xcalloc(1, sizeof *p);

	p->name = xstrdup(name);
	p->vm.uri = xstrdup("qemu:///system");
	p->vm.domain = xasprintf("berth-%s", name);
	p->vm.cpus = 2;
	p->vm.memory = 2ULL << 30;
	p->vm.disk = 20ULL << 30;
	p->docker.guest_socket = xstrdup("/var/run/docker.sock");
	p->refresh_ms = 2000;
	p->theme = xstrdup("default");
	return p;
}

struct profile *
profile_open(const char *name, char **cause)
{
	return profile_defaults(name);
}

const char *
profile_current_name(const char *given)
{
	const char *env = getenv("BERTH_PROFILE");

	if (given != NULL)
		return given;
	if (env != NULL && *env != '\0')
		return env;
	return "default";
}

void
profile_free(struct profile *p)
{
	if (p == NULL)
		return;
	free(p->name);
	free(p->vm.uri);
	free(p->vm.domain);
	free(p->docker.guest_socket);
	free(p->theme);
	free(p);
}
