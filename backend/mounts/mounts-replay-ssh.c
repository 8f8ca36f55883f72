/*
 * guest-ssh.c: the second transport of polling mode: run the replay and
 * pin scripts in the guest over SSH instead of the QEMU guest agent, for
 * guests without an agent (or with guest-exec disabled).
 *
 * The same contract as replay_agent_exec(): `sh -c SCRIPT berth [ARG]`
 * with the input on standard input and standard output collected. The
 * script and its argument are berth's constants, single-quoted for the
 * remote shell; paths only ever travel on standard input. ssh runs with
 * the profile's own key and known_hosts (the ones the socket forward
 * uses), BatchMode, and no ssh_config, so nothing of the user's setup
 * changes what runs. One connection per batch: a pass's chunks are few.
 */

#include "config.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "socket/socket.h"
#include "mounts/mounts.h"

extern char **environ;

/*
 * The most a guest command may print: what qemu-ga keeps of a guest-exec's
 * output (16 MiB), so both transports take the same. berth's scripts print
 * a line per failure or held folder; more is a guest gone wrong.
 */
#define REPLAY_SSH_OUT_MAX (16u * 1024 * 1024)

/* s single-quoted for a POSIX shell (caller frees). */
char *
replay_shell_quote(const char *s)
{
	size_t n = 2, i;
	char *out, *o;

	for (i = 0; s[i] != '\0'; i++)
		n += s[i] == '\'' ? 4 : 1;
	out = o = xmalloc(n + 1);
	*o++ = '\'';
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else
			*o++ = s[i];
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}

/* The remote command line for `sh -c script berth [arg]` (caller frees). */
char *
replay_ssh_command(const char *script, const char *arg)
{
	char *qs = replay_shell_quote(script), *qa = NULL, *cmd;

	if (arg != NULL)
		qa = replay_shell_quote(arg);
	cmd = xasprintf("sh -c %s berth%s%s", qs, qa != NULL ? " " : "",
	                qa != NULL ? qa : "");
	free(qs);
	free(qa);
	return cmd;
}

/* Append to a buffer of *cap bytes that doubles (NUL kept after the data). */
static void
ssh_buf_add(char **buf, size_t *len, size_t *cap, const char *data, size_t n)
{
	if (*len + n + 1 > *cap) {
		while (*len + n + 1 > *cap)
			*cap = *cap < 4096 ? 4096 : *cap * 2;
		*buf = xreallocarray(*buf, *cap, 1);
	}
	memcpy(*buf + *len, data, n);
	*len += n;
	(*buf)[*len] = '\0';
}

/*
 * Run `sh -c script berth [arg]` on t's host over ssh with input on its
 * standard input, at most budget_ms. *out gets its standard output
 * (caller frees), *code its exit status. Returns -1 with a cause (ssh's
 * own message when it gave one) when the guest could not be reached.
 */
int
replay_ssh_exec(const struct replay_ssh *t, const char *script, const char *arg,
                const char *input, size_t len, uint64_t budget_ms, char **out,
                int *code, char **cause)
{
	posix_spawn_file_actions_t fa;
	char *argv[40], *cmd, *port, *own[2], *errbuf = NULL;
	int in[2] = {-1, -1}, ou[2] = {-1, -1}, er[2] = {-1, -1};
	int n = 0, rc, status, open_fds;
	size_t sent = 0, olen = 0, elen = 0, ocap = 0, ecap = 0;
	uint64_t deadline = util_mono_ms() + budget_ms;
	pid_t pid;

	*out = NULL;
	*code = -1;
	if (t->host == NULL || t->port <= 0) {
		util_set_cause(cause, "no SSH address for the guest (set "
		                      "vm.ssh_port or docker.ssh_host)");
		return -1;
	}
	/* stdin is a socket pair: send(MSG_NOSIGNAL) cannot raise SIGPIPE
	 * when ssh dies first. */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, in) != 0 || pipe(ou) != 0 ||
	    pipe(er) != 0) {
		util_set_cause(cause, "pipe: %s", strerror(errno));
		goto fail_pipes;
	}
	cmd = replay_ssh_command(script, arg);
	port = xasprintf("%d", t->port);
	n = ssh_args(argv, t->key, t->known_hosts, t->alias, port, t->user,
	             own);
	argv[n++] = (char *)"--";
	argv[n++] = t->host;
	argv[n++] = cmd;
	argv[n] = NULL;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, ou[1], 1);
	posix_spawn_file_actions_adddup2(&fa, er[1], 2);
#if defined(__GLIBC__) &&                                                      \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#else
	posix_spawn_file_actions_addclose(&fa, in[1]);
	posix_spawn_file_actions_addclose(&fa, ou[0]);
	posix_spawn_file_actions_addclose(&fa, er[0]);
#endif
	rc = posix_spawnp(&pid, "ssh", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	free(cmd);
	free(port);
	free(own[0]);
	free(own[1]);
	close(in[0]);
	close(ou[1]);
	close(er[1]);
	in[0] = ou[1] = er[1] = -1;
	if (rc != 0) {
		util_set_cause(cause, "ssh: %s", strerror(rc));
		goto fail_pipes;
	}
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	if (len == 0) {
		close(in[1]);
		in[1] = -1;
	}
	/* in[0] went to ssh; in[1] is closed once the input is sent. */
	/* Feed the input while reading both outputs, until both end. */
	open_fds = 2;
	while (open_fds > 0) {
		struct pollfd p[3];
		int np = 0, left = (int)(deadline - util_mono_ms());
		char buf[4096];
		ssize_t r;
		int i;

		if (util_mono_ms() >= deadline) {
			util_set_cause(cause,
			               "ssh: guest command still running after "
			               "%llu ms",
			               (unsigned long long)budget_ms);
			goto fail_kill;
		}
		if (ou[0] >= 0)
			p[np++] =
			    (struct pollfd){.fd = ou[0], .events = POLLIN};
		if (er[0] >= 0)
			p[np++] =
			    (struct pollfd){.fd = er[0], .events = POLLIN};
		if (in[1] >= 0)
			p[np++] =
			    (struct pollfd){.fd = in[1], .events = POLLOUT};
		if (poll(p, (nfds_t)np, left) < 0 && errno != EINTR) {
			util_set_cause(cause, "poll: %s", strerror(errno));
			goto fail_kill;
		}
		for (i = 0; i < np; i++) {
			if (p[i].revents == 0)
				continue;
			if (p[i].fd == in[1]) {
				r = send(in[1], input + sent, len - sent,
				         MSG_NOSIGNAL);
				if (r > 0)
					sent += (size_t)r;
				if ((r < 0 && errno != EAGAIN) || sent == len) {
					close(in[1]);
					in[1] = -1;
				}
				continue;
			}
			r = read(p[i].fd, buf, sizeof buf);
			if (r > 0) {
				if (p[i].fd == ou[0] &&
				    olen + (size_t)r > REPLAY_SSH_OUT_MAX) {
					util_set_cause(
					    cause,
					    "ssh: the guest command "
					    "printed more than %u MiB",
					    REPLAY_SSH_OUT_MAX >> 20);
					goto fail_kill;
				}
				if (p[i].fd == ou[0])
					ssh_buf_add(out, &olen, &ocap, buf,
					            (size_t)r);
				else if (elen < 4096)
					ssh_buf_add(&errbuf, &elen, &ecap, buf,
					            (size_t)r);
				continue;
			}
			if (r < 0 && errno == EINTR)
				continue;
			close(p[i].fd);
			if (p[i].fd == ou[0])
				ou[0] = -1;
			else
				er[0] = -1;
			open_fds--;
		}
	}
	if (in[1] >= 0)
		close(in[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	*code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	if (*code == 255) {
		/* ssh's own failure: its first line says why. */
		char *msg =
		    errbuf != NULL
		        ? util_sanitize_dup(errbuf, strcspn(errbuf, "\r\n"))
		        : NULL;

		util_set_cause(cause, "ssh %s@%s:%d: %s", t->user, t->host,
		               t->port,
		               msg != NULL && *msg != '\0' ? msg : "failed");
		free(msg);
		free(errbuf);
		free(*out);
		*out = NULL;
		return -1;
	}
	free(errbuf);
	if (*out == NULL)
		*out = xstrdup("");
	return 0;

fail_kill:
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	free(*out);
	*out = NULL;
fail_pipes:
	free(errbuf);
	for (n = 0; n < 2; n++) {
		if (in[n] >= 0)
			close(in[n]);
		if (ou[n] >= 0)
			close(ou[n]);
		if (er[n] >= 0)
			close(er[n]);
	}
	return -1;
}
