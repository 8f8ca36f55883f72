/*
 * socket-ssh.c: how berth runs ssh. Every ssh berth starts (the socket
 * forward, the mounts' replay, provisioning) begins with the same
 * arguments: no ssh_config, the profile's own ed25519 key and nothing
 * else, batch mode, and the profile's own known_hosts under a host key
 * alias, so the first contact with a new guest is accepted into that
 * private file only and a changed key later is refused. This file makes
 * that key, builds those arguments, and asks a running control master to
 * add or cancel a port forward (ssh -O).
 */

#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "socket/socket.h"

extern char **environ;

static int ssh_run_wait(char *const[], char **);

/*
 * The start of every ssh berth runs: no ssh_config, the profile's key and
 * nothing else, batch mode, the profile's own known_hosts under a host
 * key alias (trust on first use), a connect timeout, quiet, -p and -l.
 * Fills argv from 0 and returns how many; own[0..1] get two strings the
 * caller frees after the spawn. The caller adds its options, "--", host.
 */
int
ssh_args(char **argv, const char *key, const char *known_hosts,
         const char *alias, const char *port, const char *user, char *own[2])
{
	int n = 0;

	own[0] = xasprintf("UserKnownHostsFile=%s", known_hosts);
	own[1] = xasprintf("HostKeyAlias=%s", alias);
	argv[n++] = (char *)"ssh";
	argv[n++] = (char *)"-F";
	argv[n++] = (char *)"none";
	argv[n++] = (char *)"-T";
	argv[n++] = (char *)"-i";
	argv[n++] = (char *)key;
	argv[n++] = (char *)"-o";
	argv[n++] = (char *)"IdentitiesOnly=yes";
	argv[n++] = (char *)"-o";
	argv[n++] = (char *)"BatchMode=yes";
	argv[n++] = (char *)"-o";
	argv[n++] = own[0];
	argv[n++] = (char *)"-o";
	argv[n++] = (char *)"GlobalKnownHostsFile=/dev/null";
	argv[n++] = (char *)"-o";
	argv[n++] = (char *)"StrictHostKeyChecking=accept-new";
	argv[n++] = (char *)"-o";
	argv[n++] = own[1];
	argv[n++] = (char *)"-o";
	argv[n++] = (char *)"ConnectTimeout=10";
	argv[n++] = (char *)"-o";
	argv[n++] = (char *)"LogLevel=ERROR";
	argv[n++] = (char *)"-p";
	argv[n++] = (char *)port;
	argv[n++] = (char *)"-l";
	argv[n++] = (char *)user;
	return n;
}

/*
 * A spawned program starts with no signal blocked and the usual signals
 * at their default action, whatever the spawning thread had.
 */
void
ssh_spawn_signals(posix_spawnattr_t *attr)
{
	static const int defaults[] = {SIGINT,  SIGTERM, SIGHUP, SIGQUIT,
	                               SIGPIPE, SIGUSR1, SIGCHLD};
	sigset_t none, def;
	short flags = 0;
	size_t i;

	sigemptyset(&none);
	sigemptyset(&def);
	for (i = 0; i < nitems(defaults); i++)
		sigaddset(&def, defaults[i]);
	posix_spawnattr_getflags(attr, &flags);
	posix_spawnattr_setflags(attr, flags | POSIX_SPAWN_SETSIGMASK |
	                                   POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setsigmask(attr, &none);
	posix_spawnattr_setsigdefault(attr, &def);
}

/* Run a program (argv[0] from PATH) and wait; returns its exit status. */
static int
ssh_run_wait(char *const argv[], char **cause)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	pid_t pid;
	int rc, status;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawnattr_init(&attr);
	ssh_spawn_signals(&attr);
	rc = posix_spawnp(&pid, argv[0], &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rc != 0) {
		if (rc == ENOENT)
			util_set_cause(cause,
			               "%s not found in PATH: install the "
			               "OpenSSH client",
			               argv[0]);
		else
			util_set_cause(cause, "%s: %s", argv[0], strerror(rc));
		return -1;
	}
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			util_set_cause(cause, "waitpid: %s", strerror(errno));
			return -1;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		util_set_cause(cause, "%s failed (status %d)", argv[0], status);
		return -1;
	}
	return 0;
}

/*
 * Make sure the profile's ssh key exists in <state>/ssh with safe
 * permissions, generating it with ssh-keygen the first time. *keyp gets
 * the private key path (caller frees); *note a message when permissions
 * were fixed (caller frees, may stay NULL).
 */
int
ssh_ensure_key(const char *state_dir, const char *profile, char **keyp,
               char **note, char **cause)
{
	char *dir = xasprintf("%s/ssh", state_dir), *key, *comment;
	struct stat sb;
	char *argv[12];
	int n = 0;

	*keyp = NULL;
	if (note != NULL)
		*note = NULL;
	if (util_mkdir_p(dir, 0700, cause) != 0) {
		free(dir);
		return -1;
	}
	key = xasprintf("%s/id_ed25519", dir);
	free(dir);
	if (lstat(key, &sb) != 0) {
		comment = xasprintf("berth-%s", profile);
		argv[n++] = (char *)"ssh-keygen";
		argv[n++] = (char *)"-q";
		argv[n++] = (char *)"-t";
		argv[n++] = (char *)"ed25519";
		argv[n++] = (char *)"-N";
		argv[n++] = (char *)"";
		argv[n++] = (char *)"-C";
		argv[n++] = comment;
		argv[n++] = (char *)"-f";
		argv[n++] = key;
		argv[n] = NULL;
		if (ssh_run_wait(argv, cause) != 0) {
			free(comment);
			free(key);
			return -1;
		}
		free(comment);
		if (lstat(key, &sb) != 0) {
			util_set_cause(cause, "ssh-keygen made no %s", key);
			free(key);
			return -1;
		}
	}
	if (!S_ISREG(sb.st_mode)) {
		util_set_cause(cause, "%s is not a regular file", key);
		free(key);
		return -1;
	}
	if (sb.st_uid != geteuid()) {
		util_set_cause(
		    cause,
		    "%s is owned by uid %ld, so ssh will not use it; "
		    "remove it and berth makes a new key",
		    key, (long)sb.st_uid);
		free(key);
		return -1;
	}
	if ((sb.st_mode & 077) != 0) {
		if (chmod(key, 0600) != 0) {
			util_set_cause(
			    cause,
			    "%s has mode %04o and chmod 0600 failed: "
			    "%s",
			    key, (unsigned)(sb.st_mode & 07777),
			    strerror(errno));
			free(key);
			return -1;
		}
		if (note != NULL)
			*note = xasprintf("fixed permissions of %s (was "
			                  "%04o, ssh needs 0600)",
			                  key, (unsigned)(sb.st_mode & 07777));
	}
	*keyp = key;
	return 0;
}

/*
 * Ask the ssh running as control master on ctl_path (connected to host)
 * to add (op "forward") or drop (op "cancel") the local port forward spec
 * ("127.0.0.1:P:H:P"). Waits at most 5 s. Returns 0, or -1 with ssh's own
 * words in *cause.
 */
int
ssh_ctl(const char *ctl_path, const char *host, const char *op,
        const char *spec, char **cause)
{
	posix_spawn_file_actions_t fa;
	char *argv[16], buf[512], err[512];
	size_t elen = 0;
	uint64_t deadline = util_mono_ms() + 5000;
	int n = 0, pfd[2], rc, status = 0, left;
	struct pollfd p;
	ssize_t r;
	pid_t pid;

	if (pipe(pfd) != 0) {
		util_set_cause(cause, "pipe: %s", strerror(errno));
		return -1;
	}
	fcntl(pfd[0], F_SETFD, FD_CLOEXEC);
	argv[n++] = (char *)"ssh";
	argv[n++] = (char *)"-F";
	argv[n++] = (char *)"none";
	argv[n++] = (char *)"-o";
	argv[n++] = (char *)"LogLevel=ERROR";
	argv[n++] = (char *)"-S";
	argv[n++] = (char *)ctl_path;
	argv[n++] = (char *)"-O";
	argv[n++] = (char *)op;
	argv[n++] = (char *)"-L";
	argv[n++] = (char *)spec;
	argv[n++] = (char *)"--";
	argv[n++] = (char *)host;
	argv[n] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
	rc = posix_spawnp(&pid, "ssh", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (rc != 0) {
		close(pfd[0]);
		util_set_cause(cause, "ssh: %s", strerror(rc));
		return -1;
	}
	for (;;) {
		left = (int)(deadline - util_mono_ms());
		if (left <= 0) {
			kill(pid, SIGKILL);
			break;
		}
		p.fd = pfd[0];
		p.events = POLLIN;
		if (poll(&p, 1, left) < 0 && errno != EINTR)
			break;
		r = read(pfd[0], buf, sizeof buf);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (elen + (size_t)r < sizeof err) {
			memcpy(err + elen, buf, (size_t)r);
			elen += (size_t)r;
		}
	}
	close(pfd[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	/* ssh prints a line of its own; keep the last non-empty one. */
	while (elen > 0 && (err[elen - 1] == '\n' || err[elen - 1] == '\r'))
		elen--;
	err[elen] = '\0';
	{
		char *line = strrchr(err, '\n'), *clean;

		line = line != NULL ? line + 1 : err;
		clean = util_sanitize_dup(line, strlen(line));
		util_set_cause(cause, "ssh -O %s %s: %s", op, spec,
		               *clean != '\0' ? clean : "failed");
		free(clean);
	}
	return -1;
}
