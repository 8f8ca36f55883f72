/*
 * test_proc.c: the process runner (proc.c): argv reaches the program as
 * it is, input is fed, output captured and capped, the deadline kills,
 * the cause says how a program ended, and a child gets neither the
 * caller's terminal nor its other descriptors.
 */

#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/util.h"

/* Run argv with flags; returns proc_run's result, *cause kept. */
static int
run(struct proc *p, char *const argv[], int flags, char **cause)
{
	p->argv = argv;
	p->flags = flags;
	*cause = NULL;
	return proc_run(p, cause);
}

/* Spaces, quotes, $ and globs arrive as they are: no shell between. */
static void
test_argv_as_is(void **state)
{
	char *argv[] = {"printf",      "[%s]\n", "a b", "\"q\" 'x'",
	                "$HOME $(id)", "*",      "",    NULL};
	struct proc p = {0};
	char *cause;

	(void)state;
	assert_int_equal(run(&p, argv, PROC_OUT, &cause), 0);
	assert_null(cause);
	assert_string_equal(p.out,
	                    "[a b]\n[\"q\" 'x']\n[$HOME $(id)]\n[*]\n[]\n");
	assert_int_equal(p.code, 0);
	proc_free(&p);
}

/* Input is fed while the output is read: more than a pipe holds, so a
 * runner that wrote it all first would deadlock; NUL bytes survive. */
static void
test_input_fed(void **state)
{
	char *argv[] = {"cat", NULL};
	struct proc p = {0};
	size_t n = 512 * 1024, i;
	char *in = xmalloc(n), *cause;

	(void)state;
	for (i = 0; i < n; i++)
		in[i] = (char)(i % 251);
	p.input = in;
	p.input_len = n;
	assert_int_equal(run(&p, argv, PROC_OUT, &cause), 0);
	assert_int_equal(p.out_len, n);
	assert_memory_equal(p.out, in, n);
	assert_false(p.out_cut);
	proc_free(&p);

	/* empty input: the program sees end of file at once */
	p = (struct proc){.input = ""};
	assert_int_equal(run(&p, argv, PROC_OUT, &cause), 0);
	assert_int_equal(p.out_len, 0);
	proc_free(&p);
	free(in);
}

/* Each stream keeps at most cap bytes: the output its start, standard
 * error its end, and both say they were cut. */
static void
test_capture_capped(void **state)
{
	char *argv[] = {"sh", "-c",
	                "head -c 5000 /dev/zero | tr '\\0' a; "
	                "i=0; while [ $i -lt 300 ]; do echo line$i >&2; "
	                "i=$((i+1)); done; exit 3",
	                NULL};
	struct proc p = {.cap = 1000};
	char *cause;

	(void)state;
	assert_int_equal(run(&p, argv, PROC_OUT, &cause), -1);
	assert_int_equal(p.out_len, 1000);
	assert_true(p.out_cut);
	assert_int_equal(strspn(p.out, "a"), 1000);
	assert_int_equal(p.err_len, 1000);
	assert_true(p.err_cut);
	assert_non_null(strstr(p.err, "line299\n"));
	assert_null(strstr(p.err, "line0\n"));
	assert_int_equal(p.code, 3);
	/* the cause quotes the end of standard error */
	assert_non_null(cause);
	assert_true(strncmp(cause, "sh exited with 3: ", 18) == 0);
	assert_non_null(strstr(cause, "line299"));
	free(cause);
	proc_free(&p);

	/* the default cap is PROC_CAP */
	argv[2] = "head -c 2000000 /dev/zero";
	p = (struct proc){0};
	assert_int_equal(run(&p, argv, PROC_OUT, &cause), 0);
	assert_int_equal(p.out_len, PROC_CAP);
	assert_true(p.out_cut);
	proc_free(&p);
}

/* With PROC_CAPKILL, output past the cap is a runaway: killed at once. */
static void
test_capkill(void **state)
{
	char *argv[] = {"yes", NULL};
	struct proc p = {.cap = 1000, .timeout_ms = 30000};
	uint64_t t0 = util_mono_ms();
	char *cause;

	(void)state;
	assert_int_equal(run(&p, argv, PROC_OUT | PROC_CAPKILL, &cause), -1);
	assert_true(util_mono_ms() - t0 < 10000);
	assert_false(p.timed_out);
	assert_true(p.out_cut);
	assert_int_equal(p.out_len, 1000);
	assert_string_equal(cause, "yes killed by signal 9");
	free(cause);
	proc_free(&p);
}

/* How a program ended, in one sentence. */
static void
test_causes(void **state)
{
	char *fail[] = {"sh", "-c",
	                "echo out; echo 'oops: no\\033[2J' >&2; "
	                "exit 1",
	                NULL};
	char *quiet[] = {"sh", "-c", "exit 4", NULL};
	char *sig[] = {"sh", "-c", "kill -9 $$", NULL};
	char *missing[] = {"berth-no-such-program", "x", NULL};
	char *missing_path[] = {"/nonexistent/qemu-img", NULL};
	char *ssh[] = {"ssh", NULL};
	struct proc p = {0};
	char *cause, *path;

	(void)state;
	assert_int_equal(run(&p, fail, PROC_OUT, &cause), -1);
	/* standard output is not the cause; escapes are shown, not sent */
	assert_string_equal(cause, "sh exited with 1: oops: no^[[2J");
	assert_string_equal(p.out, "out\n");
	free(cause);
	proc_free(&p);

	assert_int_equal(run(&p, fail, PROC_MERGE, &cause), -1);
	assert_string_equal(cause, "sh exited with 1: out^Joops: no^[[2J");
	free(cause);
	proc_free(&p);

	assert_int_equal(run(&p, quiet, 0, &cause), -1);
	assert_string_equal(cause, "sh exited with 4");
	assert_int_equal(p.code, 4);
	free(cause);
	proc_free(&p);

	assert_int_equal(run(&p, sig, 0, &cause), -1);
	assert_string_equal(cause, "sh killed by signal 9");
	assert_int_equal(p.code, -1);
	free(cause);
	proc_free(&p);

	assert_int_equal(run(&p, missing, 0, &cause), -1);
	assert_string_equal(cause, "berth-no-such-program not found in PATH");
	assert_int_equal(p.error, ENOENT);
	assert_int_equal(p.code, -1);
	free(cause);
	proc_free(&p);

	assert_int_equal(run(&p, missing_path, 0, &cause), -1);
	assert_string_equal(cause, "/nonexistent/qemu-img not found");
	free(cause);
	proc_free(&p);

	/* a program berth needs says what to install */
	path = getenv("PATH") != NULL ? xstrdup(getenv("PATH")) : NULL;
	setenv("PATH", "/nonexistent", 1);
	assert_int_equal(run(&p, ssh, 0, &cause), -1);
	assert_string_equal(cause, "ssh not found in PATH: install the "
	                           "OpenSSH client");
	free(cause);
	proc_free(&p);
	if (path != NULL)
		setenv("PATH", path, 1);
	free(path);
}

/* The deadline kills a program that would run for 30 s, also one that
 * closed its output first, and says so. */
static void
test_deadline(void **state)
{
	char *sleeper[] = {"sleep", "30", NULL};
	char *closed[] = {"sh", "-c", "exec >/dev/null 2>&1; sleep 30", NULL};
	char *const *argvs[] = {sleeper, closed};
	uint64_t t0;
	size_t i;
	char *cause;

	(void)state;
	for (i = 0; i < nitems(argvs); i++) {
		struct proc p = {.timeout_ms = 1000};

		t0 = util_mono_ms();
		assert_int_equal(run(&p, argvs[i], PROC_OUT, &cause), -1);
		assert_true(util_mono_ms() - t0 < 5000);
		assert_true(p.timed_out);
		assert_int_equal(p.code, -1);
		assert_true(WIFSIGNALED(p.status));
		assert_int_equal(WTERMSIG(p.status), SIGKILL);
		assert_non_null(cause);
		assert_true(strcmp(cause, "sleep timed out after 1s") == 0 ||
		            strcmp(cause, "sh timed out after 1s") == 0);
		free(cause);
		proc_free(&p);
	}
}

/* The tick runs while the program does. */
static void
count_tick(void *arg)
{
	(*(int *)arg)++;
}

static void
test_tick(void **state)
{
	char *argv[] = {"sleep", "2", NULL};
	int ticks = 0;
	struct proc p = {.tick = count_tick, .tick_arg = &ticks};
	char *cause;

	(void)state;
	assert_int_equal(run(&p, argv, 0, &cause), 0);
	assert_true(ticks >= 1);
	proc_free(&p);
}

/* readlink of path (caller frees), "" if it is not a link. */
static char *
link_of(const char *path)
{
	char buf[4096];
	ssize_t n = readlink(path, buf, sizeof buf - 1);

	buf[n > 0 ? n : 0] = '\0';
	return xstrdup(buf);
}

/*
 * The child's 0, 1 and 2 are never the caller's: with the caller's own
 * three on a file of ours (as a terminal would be), the child sees
 * /dev/null and our pipes, and the file stays empty.
 */
static void
test_not_the_terminal(void **state)
{
	/*
	 * $$ is the shell, whose descriptors are the ones it was given
	 * (dash redirects a command's in the shell itself, so the pipe).
	 */
	char *argv[] = {"sh", "-c",
	                "echo leaked; echo leaked >&2; "
	                "readlink /proc/$$/fd/0 /proc/$$/fd/1 /proc/$$/fd/2 "
	                "| cat >&2",
	                NULL};
	char tmpl[] = "/tmp/test_proc.XXXXXX", *cause;
	int fd, saved[3], i, r;
	struct proc p = {0};
	struct stat sb;

	(void)state;
	assert_true((fd = mkstemp(tmpl)) != -1);
	fflush(stdout);
	fflush(stderr);
	for (i = 0; i < 3; i++) {
		saved[i] = dup(i);
		dup2(fd, i);
	}
	r = run(&p, argv, 0, &cause);
	for (i = 0; i < 3; i++) {
		dup2(saved[i], i);
		close(saved[i]);
	}
	assert_int_equal(r, 0);
	assert_int_equal(fstat(fd, &sb), 0);
	assert_int_equal(sb.st_size, 0);
	/* 0 and 1 are /dev/null; 2 is our pipe */
	assert_true(strncmp(p.err, "leaked\n/dev/null\n/dev/null\npipe:", 32) ==
	            0);
	assert_null(strstr(p.err, tmpl));
	proc_free(&p);

	/* with input and PROC_OUT: a socket and a pipe */
	p = (struct proc){.input = "x", .input_len = 1};
	assert_int_equal(run(&p, argv, PROC_OUT, &cause), 0);
	assert_string_equal(p.out, "leaked\n");
	assert_true(strncmp(p.err, "leaked\nsocket:", 14) == 0);
	assert_non_null(strstr(p.err, "\npipe:"));
	proc_free(&p);
	close(fd);
	unlink(tmpl);
}

/* A descriptor the caller opened without O_CLOEXEC is not inherited. */
static void
test_no_inherited_fds(void **state)
{
	/* the shell's descriptors, listed while it waits for ls */
	char *argv[] = {"sh", "-c", "ls -l /proc/$$/fd; exit 0", NULL};
	char tmpl[] = "/tmp/test_proc_leak.XXXXXX", *cause, *self, *lnk;
	struct proc p = {0};
	int fd, flags;

	(void)state;
	assert_true((fd = mkstemp(tmpl)) != -1);
	flags = fcntl(fd, F_GETFD);
	assert_int_equal(fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC), 0);
	/* the caller does hold it, inheritable */
	self = xasprintf("/proc/self/fd/%d", fd);
	lnk = link_of(self);
	assert_string_equal(lnk, tmpl);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);

	assert_int_equal(run(&p, argv, PROC_OUT, &cause), 0);
	assert_null(strstr(p.out, tmpl));
	/* nothing past 0, 1 and 2 */
	assert_non_null(strstr(p.out, " 0 -> /dev/null\n"));
	assert_non_null(strstr(p.out, " 1 -> pipe:"));
	assert_non_null(strstr(p.out, " 2 -> pipe:"));
	assert_null(strstr(p.out, " 3 -> "));
	assert_null(strstr(p.out, " 4 -> "));
	proc_free(&p);

	/* the long-lived mode as well: its descriptors, seen from here */
	{
		char *sleeper[] = {"sleep", "30", NULL};
		char *comm = NULL, *path, *l0, *l1, *l2, *l3;
		pid_t pid;
		int efd, status, i;

		pid = proc_start(sleeper, PROC_PGROUP, &efd, &cause);
		assert_true(pid > 0);
		assert_true(efd > 2);
		assert_true(fcntl(efd, F_GETFD) & FD_CLOEXEC);
		assert_int_equal(getpgid(pid), pid);
		/* wait for the exec: then its descriptors are final */
		path = xasprintf("/proc/%ld/comm", (long)pid);
		for (i = 0; i < 500; i++) {
			free(comm);
			comm = util_read_file(path, NULL, NULL);
			if (comm != NULL && strcmp(comm, "sleep\n") == 0)
				break;
			poll(NULL, 0, 10);
		}
		assert_string_equal(comm, "sleep\n");
		free(comm);
		free(path);
		path = xasprintf("/proc/%ld/fd/0", (long)pid);
		l0 = link_of(path);
		path[strlen(path) - 1] = '1';
		l1 = link_of(path);
		path[strlen(path) - 1] = '2';
		l2 = link_of(path);
		/* sleep opens its own files after the exec (glibc's locale
		 * files, closed again): only a descriptor that stays was
		 * inherited. */
		path[strlen(path) - 1] = '3';
		l3 = link_of(path);
		for (i = 0; i < 500 && strcmp(l3, "") != 0; i++) {
			free(l3);
			poll(NULL, 0, 10);
			l3 = link_of(path);
		}
		assert_string_equal(l0, "/dev/null");
		assert_string_equal(l1, "/dev/null");
		assert_true(strncmp(l2, "pipe:", 5) == 0);
		assert_string_equal(l3, "");
		free(l0);
		free(l1);
		free(l2);
		free(l3);
		free(path);
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));
		close(efd);
	}
	{
		char *missing[] = {"berth-no-such-program", NULL};
		int efd = 7;

		assert_int_equal(proc_start(missing, 0, &efd, &cause), -1);
		assert_int_equal(errno, ENOENT);
		assert_int_equal(efd, -1);
		assert_string_equal(cause,
		                    "berth-no-such-program not found in PATH");
		free(cause);
	}
	close(fd);
	unlink(tmpl);
	free(self);
	free(lnk);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_argv_as_is),
	    cmocka_unit_test(test_input_fed),
	    cmocka_unit_test(test_capture_capped),
	    cmocka_unit_test(test_capkill),
	    cmocka_unit_test(test_causes),
	    cmocka_unit_test(test_deadline),
	    cmocka_unit_test(test_tick),
	    cmocka_unit_test(test_not_the_terminal),
	    cmocka_unit_test(test_no_inherited_fds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
