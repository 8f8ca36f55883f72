/*
 * compat/compat.h: what some platforms lack, declared under one name.
 * configure checks each function (AC_REPLACE_FUNCS) or flag
 * (AC_CHECK_DECLS) and builds compat/NAME.c only where it is missing;
 * everything else calls pipe2, accept4 and socket(... SOCK_CLOEXEC ...) as
 * on Linux. macOS has none of the three.
 */
#ifndef BERTH_COMPAT_H
#define BERTH_COMPAT_H

#include <sys/types.h>
#include <sys/socket.h>

/* pipe2.c */
#ifndef HAVE_PIPE2
int pipe2(int[2], int);
#endif

/* accept4.c */
#ifndef HAVE_ACCEPT4
int accept4(int, struct sockaddr *, socklen_t *, int);
#endif

/*
 * socket.c: SOCK_CLOEXEC and SOCK_NONBLOCK as socket() type flags. Where
 * the system has no such flags, they get bits no socket type uses and
 * socket() becomes compat_socket(), which applies them with fcntl.
 */
#if defined(HAVE_DECL_SOCK_CLOEXEC) && !HAVE_DECL_SOCK_CLOEXEC
#define SOCK_CLOEXEC  0x10000000
#define SOCK_NONBLOCK 0x20000000
int compat_socket(int, int, int);
#define socket(d, t, p) compat_socket(d, t, p)
#endif

#endif
