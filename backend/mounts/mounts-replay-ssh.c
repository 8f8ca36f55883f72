/*
 * mounts-replay-ssh.c: the second transport of polling mode: run the replay and
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
 * ssh runs through the process runner (proc.c), which feeds the input
 * and keeps the deadline.
 */

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "socket/socket.h"
#include "mounts/mounts.h"

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

/*
 * a->v: ssh with the profile's key and arguments to t, the options opts
 * (NULL-ended, may be NULL), then cmd. Returns -1 with a cause when t has
 * no address; else 0, and replay_ssh_argv_clear frees what a holds (not
 * cmd).
 */
int
replay_ssh_argv_make(struct replay_ssh_argv *a, const struct replay_ssh *t,
                     const char *const *opts, char *cmd, char **cause)
{
	int n;

	memset(a, 0, sizeof *a);
	if (t->host == NULL || t->port <= 0) {
		util_set_cause(cause, "no SSH address for the guest (set "
		                      "vm.ssh_port or docker.ssh_host)");
		return -1;
	}
	a->port = xasprintf("%d", t->port);
	n = ssh_args(a->v, t->key, t->known_hosts, t->alias, a->port, t->user,
	             a->own);
	for (; opts != NULL && *opts != NULL; opts++)
		a->v[n++] = (char *)*opts;
	a->v[n++] = (char *)"--";
	a->v[n++] = t->host;
	a->v[n++] = cmd;
	a->v[n] = NULL;
	return 0;
}

void
replay_ssh_argv_clear(struct replay_ssh_argv *a)
{
	free(a->port);
	free(a->own[0]);
	free(a->own[1]);
	memset(a, 0, sizeof *a);
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
	struct replay_ssh_argv a;
	char *cmd, *msg;
	struct proc pr = {.argv = a.v,
	                  .flags = PROC_OUT | PROC_CAPKILL,
	                  .input = input != NULL ? input : "",
	                  .input_len = len,
	                  .timeout_ms = budget_ms,
	                  .cap = REPLAY_SSH_OUT_MAX};

	*out = NULL;
	*code = -1;
	cmd = replay_ssh_command(script, arg);
	if (replay_ssh_argv_make(&a, t, NULL, cmd, cause) != 0) {
		free(cmd);
		return -1;
	}
	proc_run(&pr, NULL);
	free(cmd);
	replay_ssh_argv_clear(&a);
	if (pr.error != 0) {
		util_set_cause(cause, "ssh: %s", strerror(pr.error));
		goto fail;
	}
	if (pr.timed_out) {
		util_set_cause(cause,
		               "ssh: guest command still running after %llu ms",
		               (unsigned long long)budget_ms);
		goto fail;
	}
	if (pr.out_cut) {
		util_set_cause(
		    cause, "ssh: the guest command printed more than %u MiB",
		    REPLAY_SSH_OUT_MAX >> 20);
		goto fail;
	}
	*code = pr.code;
	if (*code == 255) {
		/* ssh's own failure: its first line says why. */
		msg = util_sanitize_dup(pr.err, strcspn(pr.err, "\r\n"));
		util_set_cause(cause, "ssh %s@%s:%d: %s", t->user, t->host,
		               t->port, *msg != '\0' ? msg : "failed");
		free(msg);
		goto fail;
	}
	*out = pr.out;
	pr.out = NULL;
	proc_free(&pr);
	return 0;

fail:
	proc_free(&pr);
	return -1;
}
