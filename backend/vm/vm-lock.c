/*
 * vm-lock.c: the profile lock, so one action at a time changes a VM.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vm/vm.h"

/*
 * --- the lock: one action at a time on a profile ---------------------
 *
 * Any number of dashboards and CLI commands look at a profile; an action
 * (start, stop, set, create, delete) holds <state>/lock only while it
 * runs. The file says "PID ACTION" so a second action can name who is
 * busy with the VM.
 */

static char *
vm_lock_path(struct vm *vm)
{
	return xasprintf("%s/lock", vm->state_dir);
}

/* A duplicate of the profile lock this vm holds (caller closes), or -1. */
int
vm_lock_dup(struct vm *vm)
{
	return vm->lock_fd == -1 ? -1 : fcntl(vm->lock_fd, F_DUPFD_CLOEXEC, 0);
}

/*
 * Hold the profile lock through fd, a vm_lock_dup() of another vm in this
 * process (a job working for it); this vm closes it.
 */
void
vm_lock_adopt(struct vm *vm, int fd)
{
	if (vm->lock_fd != -1)
		close(vm->lock_fd);
	vm->lock_fd = fd;
}

/* Give the profile's lock back (an action ended); a dup() keeps it held. */
void
vm_unlock(struct vm *vm)
{
	if (vm->lock_fd != -1)
		close(vm->lock_fd);
	vm->lock_fd = -1;
}

/* The action named in the lock file at fd after the pid, or "". */
static void
vm_lock_what(int fd, char *buf, size_t size)
{
	char text[96], *sp, *nl;
	ssize_t len = pread(fd, text, sizeof text - 1, 0);

	text[len > 0 ? len : 0] = '\0';
	*buf = '\0';
	if ((sp = strchr(text, ' ')) == NULL)
		return;
	if ((nl = strchr(++sp, '\n')) != NULL)
		*nl = '\0';
	/* only a plain word: the file is anyone's to write */
	if (*sp == '\0' ||
	    strspn(sp, "abcdefghijklmnopqrstuvwxyz -") != strlen(sp))
		return;
	snprintf(buf, size, "%s", sp);
}

/*
 * Take the profile's lock for the action what (start, set…; NULL when
 * not said), waiting up to wait_ms for another action to end; kept until
 * vm_unlock or vm_free. On failure *cause names the holder and its
 * action when the file says them.
 */
int
vm_lock_wait(struct vm *vm, const char *what, int wait_ms, char **cause)
{
	char *path, *line, held[96];
	uint64_t until = util_mono_ms() + (wait_ms > 0 ? (uint64_t)wait_ms : 0);
	int fd, rfd;
	long pid;

	if (vm->lock_fd != -1)
		return 0;
	if (util_mkdir_p(vm->state_dir, 0700, cause) != 0)
		return -1;
	path = vm_lock_path(vm);
	while ((fd = util_pidlock(path, &pid)) == -1 && pid != 0 &&
	       util_mono_ms() < until)
		usleep(50 * 1000);
	if (fd == -1) {
		held[0] = '\0';
		if (pid != 0 &&
		    (rfd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
			vm_lock_what(rfd, held, sizeof held);
			close(rfd);
		}
		if (pid == 0)
			util_set_cause(cause, "%s: %s", path, strerror(errno));
		else if (pid > 0 && *held != '\0')
			util_set_cause(
			    cause,
			    "profile %s is busy (berth pid %ld: %s); "
			    "try again when it ends",
			    vm->profile->name, pid, held);
		else if (pid > 0)
			util_set_cause(
			    cause,
			    "profile %s is busy (berth pid %ld); try "
			    "again when it ends",
			    vm->profile->name, pid);
		else
			util_set_cause(cause,
			               "profile %s is busy (lock %s held); try "
			               "again when it ends",
			               vm->profile->name, path);
		free(path);
		return -1;
	}
	free(path);
	if (what != NULL) {
		line = xasprintf("%ld %s\n", (long)getpid(), what);
		if (ftruncate(fd, 0) != 0 ||
		    pwrite(fd, line, strlen(line), 0) !=
		        (ssize_t)strlen(line)) {
			/* the action is only a hint */
		}
		free(line);
	}
	vm->lock_fd = fd;
	return 0;
}

/* The pid of another berth holding the lock, 0 when nobody else does. */
long
vm_lock_owner(struct vm *vm)
{
	char *path;
	long pid;

	if (vm->lock_fd != -1)
		return 0;
	path = vm_lock_path(vm);
	pid = util_pidlock_owner(path);
	free(path);
	return pid;
}
