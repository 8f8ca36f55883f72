/*
 * proc.c: the one way berth runs another program (ssh, ssh-keygen,
 * qemu-img, xorriso, berth itself), in the manner of tmux's job.c.
 *
 * A program runs from an argument vector, never through a shell, so
 * nothing in a path or a profile value is ever interpreted. Its standard
 * input, output and error are always given explicitly: /dev/null or a
 * pipe of ours, never the terminal, where the dashboard owns the screen.
 * Every other descriptor is closed in the child, so a child cannot hold
 * berth's sockets, locks or pipes open. It starts with no signal blocked
 * and the usual signals at their default action, whatever the spawning
 * thread had. proc_run waits for it under an optional deadline, keeps a
 * capped copy of its output and turns its end into one sentence
 * ("qemu-img exited with 1: ...", "ssh killed by signal 9", "... timed
 * out after 5s"); proc_start starts a long-lived one (ssh -N, the
 * detached supervisor) and returns its pid.
 */

#include "config.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"

extern char **environ;

/* How much of standard error a cause quotes: its end, where the error is. */
#define PROC_TAIL 1024

/* What a program missing from PATH comes in, for the "not found" cause. */
static const struct {
	const char *name;
	const char *package;
} proc_packages[] = {
    {"qemu-img", "qemu-utils (Debian/Ubuntu) or qemu (Homebrew)"},
    {"ssh", "the OpenSSH client"},
    {"ssh-keygen", "the OpenSSH client"},
};

static int proc_pipe(int[2]);
static void proc_close(int *);
static void proc_actions(posix_spawn_file_actions_t *, int, int, int);
static void proc_attr(posix_spawnattr_t *, int);
static int proc_spawn(pid_t *, char *const[], int, int, int, int);
static void proc_spawn_cause(char **, const char *, int);
static void proc_keep(char **, size_t *, size_t *, int *, size_t, int,
                      const char *, size_t);
static void proc_decode(struct proc *, char **);
static void proc_reap(struct proc *, pid_t, uint64_t);

/* A pipe whose two ends are close-on-exec (compat/ has pipe2 for macOS). */
static int
proc_pipe(int fds[2])
{
	return pipe2(fds, O_CLOEXEC);
}

/* Close *fd if open and mark it closed. */
static void
proc_close(int *fd)
{
	if (*fd != -1) {
		close(*fd);
		*fd = -1;
	}
}

/*
 * The child's descriptors: in, out and err become 0, 1 and 2 (-1 means
 * /dev/null), and nothing else survives the exec. Our own pipes are
 * close-on-exec already; the explicit close covers whatever another
 * thread or a library opened without O_CLOEXEC.
 */
static void
proc_actions(posix_spawn_file_actions_t *fa, int in, int out, int err)
{
	posix_spawn_file_actions_init(fa);
	if (in == -1)
		posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY,
		                                 0);
	else
		posix_spawn_file_actions_adddup2(fa, in, 0);
	if (out == -1)
		posix_spawn_file_actions_addopen(fa, 1, "/dev/null", O_WRONLY,
		                                 0);
	else
		posix_spawn_file_actions_adddup2(fa, out, 1);
	if (err == -1)
		posix_spawn_file_actions_addopen(fa, 2, "/dev/null", O_WRONLY,
		                                 0);
	else
		posix_spawn_file_actions_adddup2(fa, err, 2);
#if defined(__GLIBC__) &&                                                      \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
	posix_spawn_file_actions_addclosefrom_np(fa, 3);
#elif !defined(POSIX_SPAWN_CLOEXEC_DEFAULT)
	{
		/* No closefrom action: close each inheritable descriptor. */
		long max = sysconf(_SC_OPEN_MAX);
		int fd, fl;

		if (max < 0 || max > 4096)
			max = 4096;
		for (fd = 3; fd < max; fd++) {
			if ((fl = fcntl(fd, F_GETFD)) != -1 &&
			    (fl & FD_CLOEXEC) == 0)
				posix_spawn_file_actions_addclose(fa, fd);
		}
	}
#endif
}

/*
 * Signals at their defaults and none blocked (the dashboard's threads
 * block and ignore some); with PROC_PGROUP a process group of its own, so
 * the terminal's ^C is for berth and not the child.
 */
static void
proc_attr(posix_spawnattr_t *attr, int flags)
{
	static const int defaults[] = {SIGINT,  SIGTERM, SIGHUP, SIGQUIT,
	                               SIGPIPE, SIGUSR1, SIGCHLD};
	sigset_t none, def;
	short sf = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
	size_t i;

	posix_spawnattr_init(attr);
	sigemptyset(&none);
	sigemptyset(&def);
	for (i = 0; i < nitems(defaults); i++)
		sigaddset(&def, defaults[i]);
	posix_spawnattr_setsigmask(attr, &none);
	posix_spawnattr_setsigdefault(attr, &def);
	if (flags & PROC_PGROUP) {
		sf |= POSIX_SPAWN_SETPGROUP;
		posix_spawnattr_setpgroup(attr, 0);
	}
#ifdef POSIX_SPAWN_CLOEXEC_DEFAULT
	sf |= POSIX_SPAWN_CLOEXEC_DEFAULT;
#endif
	posix_spawnattr_setflags(attr, sf);
}

/*
 * posix_spawnp with our descriptors and attributes. Returns 0 or the
 * error number: posix_spawn returns it and leaves errno alone.
 */
static int
proc_spawn(pid_t *pid, char *const argv[], int flags, int in, int out, int err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int rc;

	proc_actions(&fa, in, out, err);
	proc_attr(&attr, flags);
	rc = posix_spawnp(pid, argv[0], &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return rc;
}

/* Why a program did not start: missing ones say what to install. */
static void
proc_spawn_cause(char **cause, const char *prog, int error)
{
	const char *base = util_basename(prog);
	size_t i;

	if (error != ENOENT) {
		util_set_cause(cause, "cannot run %s: %s", prog,
		               strerror(error));
		return;
	}
	if (strchr(prog, '/') != NULL) {
		util_set_cause(cause, "%s not found", prog);
		return;
	}
	for (i = 0; i < nitems(proc_packages); i++) {
		if (strcmp(base, proc_packages[i].name) == 0) {
			util_set_cause(cause,
			               "%s not found in PATH: install %s", prog,
			               proc_packages[i].package);
			return;
		}
	}
	util_set_cause(cause, "%s not found in PATH", prog);
}

/*
 * Add n bytes to a capture of at most cap bytes (NUL kept after them).
 * Past the cap, tail keeps the end (standard error, where the error is)
 * and otherwise the start (data); *cut says some was dropped.
 */
static void
proc_keep(char **buf, size_t *len, size_t *size, int *cut, size_t cap, int tail,
          const char *data, size_t n)
{
	if (!tail && *len + n > cap) {
		*cut = 1;
		n = cap - *len;
	}
	if (*len + n + 1 > *size) {
		while (*len + n + 1 > *size)
			*size = *size < 4096 ? 4096 : *size * 2;
		*buf = xreallocarray(*buf, *size, 1);
	}
	memcpy(*buf + *len, data, n);
	*len += n;
	if (tail && *len > cap) {
		memmove(*buf, *buf + (*len - cap), cap);
		*len = cap;
		*cut = 1;
	}
	(*buf)[*len] = '\0';
}

/* The cause of a run that did not end with exit status 0. */
static void
proc_decode(struct proc *p, char **cause)
{
	const char *prog = p->argv[0], *text;
	char *msg, *d;
	size_t len;

	if (p->timed_out) {
		d = units_format_duration(p->timeout_ms);
		util_set_cause(cause, "%s timed out after %s", prog, d);
		free(d);
		return;
	}
	if (WIFSIGNALED(p->status)) {
		util_set_cause(cause, "%s killed by signal %d", prog,
		               WTERMSIG(p->status));
		return;
	}
	/* Quote the end of what it said, without the last newline. */
	text = (p->flags & PROC_MERGE) ? p->out : p->err;
	len = (p->flags & PROC_MERGE) ? p->out_len : p->err_len;
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	if (len > PROC_TAIL) {
		text += len - PROC_TAIL;
		len = PROC_TAIL;
	}
	if (len == 0) {
		util_set_cause(cause, "%s exited with %d", prog, p->code);
		return;
	}
	msg = util_sanitize_dup(text, len);
	util_set_cause(cause, "%s exited with %d: %s", prog, p->code, msg);
	free(msg);
}

/*
 * Wait for pid once its output has ended: by the deadline (0: none),
 * after which it is killed. A child can close its output and keep
 * running, so the wait polls rather than blocks when there is a deadline.
 */
static void
proc_reap(struct proc *p, pid_t pid, uint64_t deadline)
{
	int waited = 10;
	pid_t r;

	for (;;) {
		r = waitpid(pid, &p->status, deadline != 0 ? WNOHANG : 0);
		if (r == pid)
			return;
		if (r == -1 && errno != EINTR) {
			p->status = 0;
			return;
		}
		if (r == -1)
			continue;
		if (util_mono_ms() >= deadline) {
			p->timed_out = 1;
			kill((p->flags & PROC_PGROUP) ? -pid : pid, SIGKILL);
			deadline = 0;
			continue;
		}
		poll(NULL, 0, waited);
		if (waited < 200)
			waited *= 2;
	}
}

/*
 * Run p->argv to its end. Standard input gets p->input (or /dev/null),
 * standard output goes to p->out when PROC_OUT (else /dev/null), standard
 * error to p->err (or into p->out with PROC_MERGE); each keeps at most
 * p->cap bytes, and with PROC_CAPKILL a program whose output goes past
 * that is killed. p->tick, if set, is called about once a second while the
 * program runs. Returns 0 when it exited with status 0; otherwise -1
 * with a cause saying why (not found, its exit status and the end of its
 * standard error, a signal, the deadline) and p->code its exit status
 * (-1 when it did not exit by itself). The caller frees with proc_free.
 */
int
proc_run(struct proc *p, char **cause)
{
	int in[2] = {-1, -1}, ou[2] = {-1, -1}, er[2] = {-1, -1};
	size_t sent = 0, osize = 0, esize = 0;
	size_t cap = p->cap != 0 ? p->cap : PROC_CAP;
	uint64_t deadline = 0, now;
	pid_t pid;
	int rc, i;

	p->out = p->err = NULL;
	p->out_len = p->err_len = 0;
	p->out_cut = p->err_cut = 0;
	p->status = 0;
	p->code = -1;
	p->timed_out = 0;
	p->error = 0;
	if (p->flags & PROC_MERGE)
		p->flags |= PROC_OUT;

	/*
	 * Standard input is a socket pair: send(MSG_NOSIGNAL) cannot raise
	 * SIGPIPE when the child exits without reading it all.
	 */
	if (p->input != NULL) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, in) != 0)
			goto fail_errno;
		fcntl(in[0], F_SETFD, FD_CLOEXEC);
		fcntl(in[1], F_SETFD, FD_CLOEXEC);
	}
	if (((p->flags & PROC_OUT) && proc_pipe(ou) != 0) ||
	    (!(p->flags & PROC_MERGE) && proc_pipe(er) != 0))
		goto fail_errno;
	rc = proc_spawn(&pid, p->argv, p->flags, in[0], ou[1],
	                (p->flags & PROC_MERGE) ? ou[1] : er[1]);
	/* The child's ends are its own now. */
	proc_close(&in[0]);
	proc_close(&ou[1]);
	proc_close(&er[1]);
	if (rc != 0) {
		p->error = rc;
		proc_spawn_cause(cause, p->argv[0], rc);
		goto fail;
	}
	if (in[1] != -1) {
		fcntl(in[1], F_SETFL, O_NONBLOCK);
		if (p->input_len == 0)
			proc_close(&in[1]);
	}
	if (p->timeout_ms != 0)
		deadline = util_mono_ms() + p->timeout_ms;

	/* Feed the input and read the outputs until both outputs end. */
	while (ou[0] != -1 || er[0] != -1) {
		struct pollfd pf[3];
		char buf[65536]; /* a pipe's worth: fewer wakeups */
		int n = 0, wait = -1, k;
		ssize_t r;

		now = util_mono_ms();
		if (deadline != 0 && now >= deadline) {
			p->timed_out = 1;
			kill((p->flags & PROC_PGROUP) ? -pid : pid, SIGKILL);
			break;
		}
		if (deadline != 0)
			wait = (int)(deadline - now);
		if (p->tick != NULL && (wait == -1 || wait > 1000))
			wait = 1000;
		if (ou[0] != -1)
			pf[n++] =
			    (struct pollfd){.fd = ou[0], .events = POLLIN};
		if (er[0] != -1)
			pf[n++] =
			    (struct pollfd){.fd = er[0], .events = POLLIN};
		if (in[1] != -1)
			pf[n++] =
			    (struct pollfd){.fd = in[1], .events = POLLOUT};
		if ((k = poll(pf, (nfds_t)n, wait)) == -1 && errno != EINTR)
			break;
		if (k == 0 && p->tick != NULL)
			p->tick(p->tick_arg);
		for (i = 0; k > 0 && i < n; i++) {
			if (pf[i].revents == 0)
				continue;
			if (pf[i].fd == in[1]) {
				r = send(in[1], p->input + sent,
				         p->input_len - sent, MSG_NOSIGNAL);
				if (r > 0)
					sent += (size_t)r;
				if ((r == -1 && errno != EAGAIN &&
				     errno != EINTR) ||
				    sent == p->input_len)
					proc_close(&in[1]);
				continue;
			}
			r = read(pf[i].fd, buf, sizeof buf);
			if (r == -1 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (r > 0 && pf[i].fd == ou[0])
				proc_keep(&p->out, &p->out_len, &osize,
				          &p->out_cut, cap, 0, buf, (size_t)r);
			else if (r > 0)
				proc_keep(&p->err, &p->err_len, &esize,
				          &p->err_cut, cap, 1, buf, (size_t)r);
			else
				proc_close(pf[i].fd == ou[0] ? &ou[0] : &er[0]);
		}
		if (p->out_cut && (p->flags & PROC_CAPKILL)) {
			kill((p->flags & PROC_PGROUP) ? -pid : pid, SIGKILL);
			break;
		}
	}
	for (i = 0; i < 2; i++) {
		proc_close(&in[i]);
		proc_close(&ou[i]);
		proc_close(&er[i]);
	}
	proc_reap(p, pid, p->timed_out ? 0 : deadline);
	if (p->out == NULL)
		p->out = xstrdup("");
	if (p->err == NULL)
		p->err = xstrdup("");
	if (!p->timed_out && WIFEXITED(p->status))
		p->code = WEXITSTATUS(p->status);
	if (p->code == 0)
		return 0;
	proc_decode(p, cause);
	return -1;

fail_errno:
	p->error = errno;
	util_set_cause(cause, "cannot run %s: %s", p->argv[0], strerror(errno));
fail:
	for (i = 0; i < 2; i++) {
		proc_close(&in[i]);
		proc_close(&ou[i]);
		proc_close(&er[i]);
	}
	p->out = xstrdup("");
	p->err = xstrdup("");
	return -1;
}

/* Free what proc_run captured (p itself is the caller's). */
void
proc_free(struct proc *p)
{
	free(p->out);
	free(p->err);
	p->out = p->err = NULL;
}

/*
 * Start a long-lived program and return its pid without waiting (the
 * caller reaps it). Standard input and output are /dev/null; standard
 * error goes to a pipe whose non-blocking, close-on-exec read end *errfd
 * gets, or to /dev/null when errfd is NULL. flags: PROC_PGROUP. Returns
 * -1 with a cause (and errno set) when it cannot start.
 */
pid_t
proc_start(char *const argv[], int flags, int *errfd, char **cause)
{
	int er[2] = {-1, -1}, rc;
	pid_t pid;

	if (errfd != NULL) {
		*errfd = -1;
		if (proc_pipe(er) != 0) {
			rc = errno;
			util_set_cause(cause, "cannot run %s: %s", argv[0],
			               strerror(rc));
			errno = rc;
			return -1;
		}
	}
	rc = proc_spawn(&pid, argv, flags, -1, -1, er[1]);
	proc_close(&er[1]);
	if (rc != 0) {
		proc_close(&er[0]);
		proc_spawn_cause(cause, argv[0], rc);
		errno = rc;
		return -1;
	}
	if (errfd != NULL) {
		fcntl(er[0], F_SETFL, O_NONBLOCK);
		*errfd = er[0];
	}
	return pid;
}

/*
 * Start a long-lived program to talk to, without waiting (the caller
 * reaps it). *infd gets a socket that is its standard input (write with
 * send(MSG_NOSIGNAL): a child that is gone cannot raise SIGPIPE); *outfd
 * the non-blocking read end of its standard output. Standard error is
 * /dev/null. Both are close-on-exec. flags: PROC_PGROUP. Returns -1 with
 * a cause when it cannot start.
 */
pid_t
proc_start_io(char *const argv[], int flags, int *infd, int *outfd,
              char **cause)
{
	int in[2] = {-1, -1}, ou[2] = {-1, -1}, rc;
	pid_t pid;

	*infd = *outfd = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, in) != 0 ||
	    proc_pipe(ou) != 0) {
		rc = errno;
		proc_close(&in[0]);
		proc_close(&in[1]);
		util_set_cause(cause, "cannot run %s: %s", argv[0],
		               strerror(rc));
		errno = rc;
		return -1;
	}
	fcntl(in[0], F_SETFD, FD_CLOEXEC);
	fcntl(in[1], F_SETFD, FD_CLOEXEC);
	rc = proc_spawn(&pid, argv, flags, in[1], ou[1], -1);
	proc_close(&in[1]);
	proc_close(&ou[1]);
	if (rc != 0) {
		proc_close(&in[0]);
		proc_close(&ou[0]);
		proc_spawn_cause(cause, argv[0], rc);
		errno = rc;
		return -1;
	}
	fcntl(ou[0], F_SETFL, O_NONBLOCK);
	*infd = in[0];
	*outfd = ou[0];
	return pid;
}
