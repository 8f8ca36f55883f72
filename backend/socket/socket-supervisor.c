/*
 * socket-supervisor.c: who owns a profile's socket forward. The owner
 * holds a write lock on <state>/forward.lock in the profile's state dir
 * (made 0700 here); it is a dashboard or a detached supervisor process
 * (`berth socket start`, docker.persist) that this file starts, finds and
 * stops. The supervisor's own loop is forward_run in socket-forward.c.
 */

#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "socket/socket.h"

/*
 * The profile's state dir, created 0700 (and tightened to 0700 if it is
 * ours and looser). Returns it (caller frees) or NULL with *cause.
 */
char *
supervisor_state_dir(const char *profile, char **cause)
{
	char *dir = paths_state_dir(profile);
	struct stat sb;

	if (util_mkdir_p(dir, 0700, cause) != 0) {
		free(dir);
		return NULL;
	}
	if (lstat(dir, &sb) != 0) {
		util_set_cause(cause, "%s: %s", dir, strerror(errno));
		free(dir);
		return NULL;
	}
	if (!S_ISDIR(sb.st_mode)) {
		util_set_cause(cause, "%s is not a directory", dir);
		free(dir);
		return NULL;
	}
	if (sb.st_uid != geteuid()) {
		util_set_cause(cause,
		               "%s is owned by uid %ld, not you; refusing to "
		               "keep sockets and keys there",
		               dir, (long)sb.st_uid);
		free(dir);
		return NULL;
	}
	if ((sb.st_mode & 077) != 0 && chmod(dir, 0700) != 0) {
		util_set_cause(cause, "chmod 0700 %s: %s", dir,
		               strerror(errno));
		free(dir);
		return NULL;
	}
	return dir;
}

/*
 * Lock files this process owns. POSIX record locks belong to the process
 * and go away when it closes ANY descriptor of the file, so nothing here
 * may open and close a lock file this process holds: check this list first.
 */
static pthread_mutex_t supervisor_owned_mutex = PTHREAD_MUTEX_INITIALIZER;
static char *supervisor_owned[8];

int
supervisor_owned_has(const char *path)
{
	size_t i;
	int found = 0;

	pthread_mutex_lock(&supervisor_owned_mutex);
	for (i = 0; i < nitems(supervisor_owned); i++)
		if (supervisor_owned[i] != NULL &&
		    strcmp(supervisor_owned[i], path) == 0)
			found = 1;
	pthread_mutex_unlock(&supervisor_owned_mutex);
	return found;
}

void
supervisor_owned_set(const char *path, int owned)
{
	size_t i;

	pthread_mutex_lock(&supervisor_owned_mutex);
	for (i = 0; i < nitems(supervisor_owned); i++) {
		if (owned && supervisor_owned[i] == NULL) {
			supervisor_owned[i] = xstrdup(path);
			break;
		}
		if (!owned && supervisor_owned[i] != NULL &&
		    strcmp(supervisor_owned[i], path) == 0) {
			free(supervisor_owned[i]);
			supervisor_owned[i] = NULL;
			break;
		}
	}
	pthread_mutex_unlock(&supervisor_owned_mutex);
}

/*
 * The process owning a profile's forward, or 0; *supervisor is set when
 * it is a supervisor (berth socket start) rather than a dashboard.
 */
pid_t
supervisor_owner_pid(const char *profile, int *supervisor)
{
	char *dir = paths_state_dir(profile), *lock, *st, *buf;
	struct flock fl;
	json_t *j;
	pid_t pid = 0;
	int fd;

	if (supervisor != NULL)
		*supervisor = 0;
	lock = xasprintf("%s/forward.lock", dir);
	if (supervisor_owned_has(lock))
		pid = getpid();
	else if ((fd = open(lock, O_RDWR | O_CLOEXEC)) != -1) {
		memset(&fl, 0, sizeof fl);
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
			pid = fl.l_pid;
		close(fd);
	}
	if (pid > 0 && supervisor != NULL) {
		st = xasprintf("%s/forward.json", dir);
		if ((buf = util_read_file(st, NULL, NULL)) != NULL) {
			j = json_loads(buf, 0, NULL);
			if (j != NULL && json_integer_value(
			                     json_object_get(j, "owner_pid")) ==
			                     (json_int_t)pid)
				*supervisor = json_is_true(
				    json_object_get(j, "supervisor"));
			json_decref(j);
			free(buf);
		}
		free(st);
	}
	free(lock);
	free(dir);
	return pid;
}

/* End a profile's supervisor (berth socket stop, berth stop). */
int
supervisor_stop(const char *profile, char **cause)
{
	int supervisor, i;
	pid_t pid = supervisor_owner_pid(profile, &supervisor);

	if (pid <= 0)
		return 0;
	if (!supervisor || pid == getpid()) {
		util_set_cause(cause,
		               "the forward belongs to a berth dashboard (pid "
		               "%ld); it stops when that berth exits",
		               (long)pid);
		return -1;
	}
	if (kill(pid, SIGTERM) != 0) {
		util_set_cause(cause, "kill %ld: %s", (long)pid,
		               strerror(errno));
		return -1;
	}
	for (i = 0; i < 50; i++) {
		if (supervisor_owner_pid(profile, NULL) != pid)
			return 0;
		usleep(100000);
	}
	util_set_cause(cause, "supervisor pid %ld did not stop within 5 s",
	               (long)pid);
	return -1;
}

/*
 * Start a detached supervisor for a profile (docker.persist) by running
 * `berth -p PROFILE socket start --wait 0 [--target HOST:PORT]`. Returns
 * the pid of that short-lived starter (reap it) or -1.
 */
int
supervisor_spawn(const char *profile, const char *target, char **cause)
{
	char *exe = platform_self_exe(), *argv[12];
	pid_t pid;
	int n = 0;

	if (exe == NULL) {
		util_set_cause(cause, "cannot find berth's own executable to "
		                      "start a supervisor");
		return -1;
	}
	argv[n++] = exe;
	argv[n++] = (char *)"-p";
	argv[n++] = (char *)profile;
	argv[n++] = (char *)"socket";
	argv[n++] = (char *)"start";
	argv[n++] = (char *)"--wait";
	argv[n++] = (char *)"0";
	if (target != NULL) {
		argv[n++] = (char *)"--target";
		argv[n++] = (char *)target;
	}
	argv[n] = NULL;
	pid = proc_start(argv, 0, NULL, NULL);
	free(exe);
	if (pid == -1) {
		util_set_cause(cause, "starting the supervisor: %s",
		               strerror(errno));
		return -1;
	}
	return (int)pid;
}

/*
 * The VM runs: make sure its forward does too, in a detached supervisor
 * that outlives this process (berth start, a dashboard finding the VM
 * up). target is the VM's "host:port" for sshd (NULL when the profile
 * names it). Waits up to 3 s for the supervisor to own the forward, so a
 * `berth stop` right after finds it. Returns 0, or -1 with *cause.
 */
int
supervisor_ensure(const struct profile *p, const char *target, char **cause)
{
	pid_t starter;
	int i;

	if (p->docker.forward != PROFILE_FORWARD_SSH ||
	    supervisor_owner_pid(p->name, NULL) > 0)
		return 0;
	if ((starter = supervisor_spawn(p->name, target, cause)) < 0)
		return -1;
	for (i = 0; i < 30; i++) {
		if (supervisor_owner_pid(p->name, NULL) > 0)
			break;
		if (waitpid(starter, NULL, WNOHANG) == starter) {
			starter = 0;
			if (supervisor_owner_pid(p->name, NULL) <= 0) {
				util_set_cause(
				    cause, "the socket forward's supervisor "
				           "stopped; see supervisor.log in "
				           "the profile's state dir");
				return -1;
			}
			break;
		}
		usleep(100000);
	}
	return 0;
}
