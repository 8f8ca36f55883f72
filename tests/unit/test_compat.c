/*
 * test_compat.c: the compat/ fallbacks (pipe2, accept4, socket() with
 * SOCK_CLOEXEC/SOCK_NONBLOCK) that macOS builds use. They are compiled
 * here under test names, whatever this system has, so Linux runs the same
 * code a Mac would: the flags asked for are set, the others are not.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* Every header the compat files include is in: now rename them. */
#define pipe2         test_pipe2
#define accept4       test_accept4
#define compat_socket test_socket
int test_pipe2(int[2], int);
int test_accept4(int, struct sockaddr *, socklen_t *, int);
int test_socket(int, int, int);

#include "compat/accept4.c"
#include "compat/pipe2.c"
#include "compat/socket.c"

static int
is_cloexec(int fd)
{
	int f = fcntl(fd, F_GETFD);

	assert_int_not_equal(f, -1);
	return (f & FD_CLOEXEC) != 0;
}

static int
is_nonblock(int fd)
{
	int f = fcntl(fd, F_GETFL);

	assert_int_not_equal(f, -1);
	return (f & O_NONBLOCK) != 0;
}

static void
test_pipe2_flags(void **state)
{
	int fds[2], i;

	(void)state;
	assert_int_equal(test_pipe2(fds, O_CLOEXEC), 0);
	for (i = 0; i < 2; i++) {
		assert_true(is_cloexec(fds[i]));
		assert_false(is_nonblock(fds[i]));
		close(fds[i]);
	}
	assert_int_equal(test_pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
	for (i = 0; i < 2; i++) {
		assert_true(is_cloexec(fds[i]));
		assert_true(is_nonblock(fds[i]));
		close(fds[i]);
	}
	assert_int_equal(test_pipe2(fds, 0), 0);
	for (i = 0; i < 2; i++) {
		assert_false(is_cloexec(fds[i]));
		assert_false(is_nonblock(fds[i]));
		close(fds[i]);
	}
	/* the pipe works */
	assert_int_equal(test_pipe2(fds, O_NONBLOCK), 0);
	assert_int_equal(write(fds[1], "x", 1), 1);
	assert_int_equal(read(fds[0], &i, sizeof i), 1);
	assert_int_equal(read(fds[0], &i, sizeof i), -1);
	assert_int_equal(errno, EAGAIN);
	close(fds[0]);
	close(fds[1]);
	errno = 0;
	assert_int_equal(test_pipe2(fds, 0x40000000), -1);
	assert_int_equal(errno, EINVAL);
}

/* A listening loopback socket made by the fallback socket(). */
static int
listener(struct sockaddr_in *sa)
{
	socklen_t len = sizeof *sa;
	int fd = test_socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_int_not_equal(fd, -1);
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)sa, sizeof *sa), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)sa, &len), 0);
	return fd;
}

static void
test_socket_flags(void **state)
{
	struct sockaddr_in sa;
	int fd;

	(void)state;
	fd = listener(&sa);
	assert_true(is_cloexec(fd));
	assert_false(is_nonblock(fd));
	close(fd);
	fd = test_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_int_not_equal(fd, -1);
	assert_false(is_cloexec(fd));
	assert_true(is_nonblock(fd));
	close(fd);
	fd = test_socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_not_equal(fd, -1);
	assert_false(is_cloexec(fd));
	assert_false(is_nonblock(fd));
	close(fd);
}

static void
test_accept4_flags(void **state)
{
	static const int flags[] = {SOCK_CLOEXEC, SOCK_NONBLOCK,
	                            SOCK_CLOEXEC | SOCK_NONBLOCK, 0};
	struct sockaddr_in sa;
	size_t i;
	int l, c, a;

	(void)state;
	l = listener(&sa);
	for (i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		c = test_socket(AF_INET, SOCK_STREAM, 0);
		assert_int_equal(connect(c, (struct sockaddr *)&sa, sizeof sa),
		                 0);
		a = test_accept4(l, NULL, NULL, flags[i]);
		assert_int_not_equal(a, -1);
		assert_int_equal(is_cloexec(a), (flags[i] & SOCK_CLOEXEC) != 0);
		assert_int_equal(is_nonblock(a),
		                 (flags[i] & SOCK_NONBLOCK) != 0);
		close(a);
		close(c);
	}
	errno = 0;
	assert_int_equal(test_accept4(l, NULL, NULL, 0x1), -1);
	assert_int_equal(errno, EINVAL);
	close(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pipe2_flags),
	    cmocka_unit_test(test_socket_flags),
	    cmocka_unit_test(test_accept4_flags),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
