/*
 * compat/pipe2.c: pipe2() where the system has none (macOS): pipe() and
 * then fcntl. Not atomic: a fork in another thread between the two may
 * inherit the ends, which is why the system's pipe2 is used where it
 * exists.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "compat/compat.h"

int
pipe2(int fds[2], int flags)
{
	int i, fl;

	if ((flags & ~(O_CLOEXEC | O_NONBLOCK)) != 0) {
		errno = EINVAL;
		return -1;
	}
	if (pipe(fds) != 0)
		return -1;
	for (i = 0; i < 2; i++) {
		if ((flags & O_CLOEXEC) &&
		    fcntl(fds[i], F_SETFD, FD_CLOEXEC) == -1)
			goto fail;
		if ((flags & O_NONBLOCK) &&
		    ((fl = fcntl(fds[i], F_GETFL)) == -1 ||
		     fcntl(fds[i], F_SETFL, fl | O_NONBLOCK) == -1))
			goto fail;
	}
	return 0;

fail:
	i = errno;
	close(fds[0]);
	close(fds[1]);
	errno = i;
	return -1;
}
