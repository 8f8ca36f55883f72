/*
 * platform-linux.c: this host is Linux. The calls only Linux has: /proc
 * for the executable, a process's name and CPU time and the CPU's
 * hypervisor flag. Native file events are inotify
 * (backend/mounts/mounts-watch-inotify.c).
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <limits.h>

#include "util/util.h"

const struct platform *const platform_host = &platform_linux;

/* The host runs under a hypervisor itself (the CPU's hypervisor flag). */
int
platform_host_is_guest(void)
{
	char *s = util_read_file("/proc/cpuinfo", NULL, NULL);
	int r;

	if (s == NULL)
		return 0;
	r = strstr(s, " hypervisor") != NULL;
	free(s);
	return r;
}

/* This program's own executable (caller frees), or NULL. */
char *
platform_self_exe(void)
{
	char buf[PATH_MAX];
	ssize_t n;

	if ((n = readlink("/proc/self/exe", buf, sizeof buf - 1)) <= 0)
		return NULL;
	buf[n] = '\0';
	return xstrdup(buf);
}

/*
 * A process's name (caller frees) and CPU time in ns (user + system),
 * from /proc/PID/stat. Returns -1 when the process is gone.
 */
int
platform_proc_info(pid_t pid, char **name, uint64_t *cpu_ns)
{
	char path[64], *s, *open, *close;
	unsigned long long ut = 0, st = 0;
	long hz = sysconf(_SC_CLK_TCK);

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((s = util_read_file(path, NULL, NULL)) == NULL)
		return -1;
	/* "PID (NAME) S ..." where NAME may hold spaces and parentheses */
	if ((open = strchr(s, '(')) == NULL ||
	    (close = strrchr(s, ')')) == NULL || close < open ||
	    sscanf(close + 1,
	           " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
	           &ut, &st) != 2) {
		free(s);
		return -1;
	}
	if (name != NULL)
		*name = xstrndup(open + 1, (size_t)(close - open - 1));
	if (cpu_ns != NULL)
		*cpu_ns =
		    (ut + st) * (1000000000ULL / (uint64_t)(hz > 0 ? hz : 100));
	free(s);
	return 0;
}

/* Make what was written on fd's filesystem durable, all at once. */
int
platform_sync_fs(int fd)
{
	return syncfs(fd);
}
