/*
 * compat/accept4.c: accept4() where the system has none (macOS): accept()
 * and then fcntl for SOCK_CLOEXEC and SOCK_NONBLOCK (the new socket
 * inherits neither from the listening one there).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "compat/compat.h"

int
accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags)
{
	int c, fl, e;

	if ((flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK)) != 0) {
		errno = EINVAL;
		return -1;
	}
	if ((c = accept(fd, sa, len)) == -1)
		return -1;
	if ((flags & SOCK_CLOEXEC) && fcntl(c, F_SETFD, FD_CLOEXEC) == -1)
		goto fail;
	if ((flags & SOCK_NONBLOCK) &&
	    ((fl = fcntl(c, F_GETFL)) == -1 ||
	     fcntl(c, F_SETFL, fl | O_NONBLOCK) == -1))
		goto fail;
	return c;

fail:
	e = errno;
	close(c);
	errno = e;
	return -1;
}
