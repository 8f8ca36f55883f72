/*
 * platform-darwin.c: this host is macOS. The calls only macOS has:
 * _NSGetExecutablePath for the executable, libproc for a process's name
 * and CPU time, sysctl for whether the Mac is itself a guest. Native file
 * events are FSEvents (mounts-watch-fsevents-darwin.c). Built by
 * tests/port/macos.sh on every check; run only on a Mac.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/sysctl.h>

#include <libproc.h>
#include <limits.h>
#include <mach-o/dyld.h>
#include <mach/mach_time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"

const struct platform *const platform_host = &platform_darwin;

/* The Mac runs under a hypervisor itself (kern.hv_vmm_present). */
int
platform_host_is_guest(void)
{
	int v = 0;
	size_t len = sizeof v;

	if (sysctlbyname("kern.hv_vmm_present", &v, &len, NULL, 0) != 0)
		return 0;
	return v != 0;
}

/* This program's own executable (caller frees), or NULL. */
char *
platform_self_exe(void)
{
	char buf[PATH_MAX];
	uint32_t size = sizeof buf;

	if (_NSGetExecutablePath(buf, &size) != 0)
		return NULL;
	return realpath(buf, NULL);
}

/*
 * A process's name (caller frees) and CPU time in ns (user + system),
 * from libproc. Returns -1 when the process is gone. The task info's
 * times are Mach absolute time units (ns on Intel, not on Apple silicon).
 */
int
platform_proc_info(pid_t pid, char **name, uint64_t *cpu_ns)
{
	struct proc_taskinfo ti;
	mach_timebase_info_data_t tb;
	char buf[2 * MAXCOMLEN + 1];

	if (proc_pidinfo(pid, PROC_PIDTASKINFO, 0, &ti, sizeof ti) !=
	    (int)sizeof ti)
		return -1;
	if (name != NULL) {
		if (proc_name(pid, buf, sizeof buf) <= 0)
			return -1;
		*name = xstrdup(buf);
	}
	if (cpu_ns != NULL) {
		if (mach_timebase_info(&tb) != 0 || tb.denom == 0)
			tb.numer = tb.denom = 1;
		*cpu_ns = (ti.pti_total_user + ti.pti_total_system) * tb.numer /
		          tb.denom;
	}
	return 0;
}

/* macOS has no syncfs: sync(2) flushes every filesystem. */
int
platform_sync_fs(int fd)
{
	(void)fd;
	sync();
	return 0;
}
