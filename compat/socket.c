/*
 * compat/socket.c: socket() with the SOCK_CLOEXEC and SOCK_NONBLOCK type
 * flags where the system has no such flags (macOS): compat.h gives them
 * private bits and sends socket() here, which strips them, creates the
 * socket and applies them with fcntl.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "compat/compat.h"

int
compat_socket(int domain, int type, int protocol)
{
	int fd, fl, e, flags = type & (SOCK_CLOEXEC | SOCK_NONBLOCK);

	/* (socket): the system's, not compat.h's macro */
	if ((fd = (socket)(domain, type & ~flags, protocol)) == -1)
		return -1;
	if ((flags & SOCK_CLOEXEC) && fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		goto fail;
	if ((flags & SOCK_NONBLOCK) &&
	    ((fl = fcntl(fd, F_GETFL)) == -1 ||
	     fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1))
		goto fail;
	return fd;

fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}
