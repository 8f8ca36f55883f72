/*
 * util.h: what every part of berth uses: allocation that cannot fail,
 * strings and files (util.c), sizes and durations (units.c), where files
 * live (paths.c), running other programs (proc.c), hashing (hash.c) and
 * the HTTP client (http.c).
 *
 * Conventions (see ../shared/STYLE.md): allocation cannot fail (x* wrappers
 * abort), recoverable errors return -1 or NULL and an allocated message in
 * `char **cause` that the caller shows and frees.
 */

#ifndef BERTH_UTIL_H
#define BERTH_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <poll.h>
#include <stdio.h>
#include <sys/types.h>

#include "compat/compat.h"

#define BERTH_PRINTFLIKE(a, b) __attribute__((format(printf, a, b)))
#define nitems(a)              (sizeof(a) / sizeof((a)[0]))

/*
 * Debug checks, on with --enable-debug (BERTH_DEBUG; ./check's ASan build
 * has it), nothing at all otherwise. They state the threading rules of
 * doc/ARCHITECTURE.md where they can be checked:
 *   BERTH_ASSERT(e)          an invariant;
 *   BERTH_ASSERT_LOCKED(m)   the pthread mutex m is held (by some thread:
 *                            a default mutex does not say by which);
 *   berth_set_thread(t)      the calling thread owns what *t guards;
 *   berth_assert_thread(t)   the caller is that thread.
 */
#ifdef BERTH_DEBUG
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#define BERTH_ASSERT(e)        assert(e)
#define BERTH_ASSERT_LOCKED(m) assert(pthread_mutex_trylock(m) == EBUSY)
#define berth_set_thread(t)                                                    \
	__atomic_store_n((t), pthread_self(), __ATOMIC_RELEASE)
#define berth_assert_thread(t)                                                 \
	assert(pthread_equal(__atomic_load_n((t), __ATOMIC_ACQUIRE),           \
	                     pthread_self()))
#else
#define BERTH_ASSERT(e)        ((void)0)
#define BERTH_ASSERT_LOCKED(m) ((void)0)
#define berth_set_thread(t)    ((void)0)
#define berth_assert_thread(t) ((void)0)
#endif

/* Exit codes, documented in berth(1). */
#define BERTH_EXIT_OK     0
#define BERTH_EXIT_FAILED 1
#define BERTH_EXIT_USAGE  2

/* util.c: allocation that cannot fail, strings, files. */
typedef void (*util_fatal_hook)(void);
void util_set_fatal_hook(util_fatal_hook);
void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xreallocarray(void *, size_t, size_t);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);
char *xasprintf(const char *, ...) BERTH_PRINTFLIKE(1, 2);
char *xvasprintf(const char *, va_list);
void fatal(const char *, ...) BERTH_PRINTFLIKE(1, 2) __attribute__((noreturn));
void util_set_cause(char **, const char *, ...) BERTH_PRINTFLIKE(2, 3);
char *util_read_file(const char *, size_t *, char **);
int util_write_file_atomic(const char *, const void *, size_t, mode_t, int,
                           char **);
int util_lock_dir(const char *, unsigned int, char **);
char *util_dirname(const char *);
int util_mkdir_p(const char *, mode_t, char **);
uint64_t util_now_ms(void);
uint64_t util_mono_ms(void);
size_t util_sanitize(char *, size_t, const char *, size_t);
char *util_sanitize_dup(const char *, size_t);
char *util_sanitize_vasprintf(const char *, va_list);
char *util_base64_encode(const void *, size_t);
char *util_utf8_repair(const char *, size_t, size_t *);
int util_pidlock(const char *, long *);
long util_pidlock_owner(const char *);

/* FNV-1a, 32 bits, of len bytes: the tables' and file names' hash. */
static inline uint32_t
util_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}
const char *util_basename(const char *);
int util_streq(const char *, const char *);
size_t util_levenshtein(const char *, const char *);

/*
 * units.c: sizes ("512MiB", "8GiB", "1.5G"; a bare "4" is 4GiB) and
 * durations ("500ms", "2s"), RFC 3339 times and the --since/--until
 * values of the Docker API built from them.
 */
int units_parse_size(const char *, uint64_t *, char **);
int units_parse_duration(const char *, uint64_t *, char **);
char *units_format_size(uint64_t);
char *units_format_duration(uint64_t);
char *units_format_size_exact(uint64_t);
char *units_format_duration_exact(uint64_t);
int units_parse_time(const char *, long long *, long *);
char *units_time_arg(const char *, time_t, char **);
char *units_format_uptime(uint64_t);

/* paths.c: where configuration, state and caches live. */
char *paths_config_dir(void);
char *paths_state_dir(const char *);
char *paths_cache_dir(void);
char *paths_user_profiles_dir(void);
char *paths_shipped_dir(const char *);
char *paths_expand_tilde(const char *);
int paths_theme_name_ok(const char *);
char *paths_theme_find(const char *, int, const char **, char **);

/* hash.c: SHA-256 and SHA-512 (libcrypto), incremental or in one go. */
enum hash_kind { HASH_SHA256, HASH_SHA512 };
struct hash;
struct hash *hash_init(enum hash_kind);
void hash_update(struct hash *, const void *, size_t);
int hash_update_fd(struct hash *, int);
void hash_final(struct hash *, char *);
void hash_free(struct hash *);
size_t hash_hex_len(enum hash_kind);
void hash_hex(enum hash_kind, const void *, size_t, char *);

/*
 * proc.c: the one process runner: argv (never a shell), explicit standard
 * descriptors (never the terminal), nothing else inherited, a deadline,
 * capped captures, and a cause that says how the program ended.
 */
#define PROC_CAP     (1024 * 1024) /* default cap of each capture */
#define PROC_OUT     0x1 /* capture standard output (else /dev/null) */
#define PROC_MERGE   0x2 /* standard error joins the output capture */
#define PROC_PGROUP  0x4 /* own process group: ^C is for berth, not it */
#define PROC_CAPKILL 0x8 /* output past the cap: a runaway, killed */
struct proc {
	/* what to run (the caller's) */
	char *const *argv;    /* argv[0] is looked up on PATH without a '/' */
	int flags;            /* PROC_* */
	const char *input;    /* standard input; NULL: /dev/null */
	size_t input_len;     /* bytes of input */
	uint64_t timeout_ms;  /* killed after this long; 0: no deadline */
	size_t cap;           /* most kept of each capture; 0: PROC_CAP */
	void (*tick)(void *); /* called about once a second while it runs */
	void *tick_arg;
	/* how it went (proc_run fills; proc_free frees) */
	char *out; /* standard output (first cap bytes), NUL-terminated */
	size_t out_len;
	int out_cut; /* standard output went past the cap */
	char *err;   /* standard error (last cap bytes), NUL-terminated */
	size_t err_len;
	int err_cut;   /* standard error went past the cap */
	int status;    /* the wait status */
	int code;      /* its exit status; -1 if it did not exit by itself */
	int timed_out; /* killed at the deadline */
	int error;     /* why it did not start (an errno value), or 0 */
};
int proc_run(struct proc *, char **);
void proc_free(struct proc *);
pid_t proc_start(char *const[], int, int *, char **);
pid_t proc_start_io(char *const[], int, int *, int *, char **);

/* http.c: the one HTTP client (libcurl), blocking or on a multi handle. */
#define HTTP_WEB 0x1 /* redirects, http(s) only, >= 400 fails, env proxies */
typedef int (*http_data_cb)(void *, const char *, size_t);
typedef void (*http_progress_cb)(void *, uint64_t);
struct http_opts {
	const char *url;
	const char *socket; /* a unix socket to connect to; NULL: TCP */
	const char *method; /* NULL/"GET", "POST" (no body), "HEAD", other */
	const char *header; /* keep this answer header's value */
	int flags;          /* HTTP_* */
	long connect_timeout_ms; /* 0: libcurl's */
	long timeout_ms;         /* the whole transfer; 0: none */
	long stall_s;         /* fail below 1 byte/s for this long; 0: never */
	long buffer_size;     /* receive buffer; 0: libcurl's */
	uint64_t resume_from; /* ask for the rest from this byte */
	size_t max_body;      /* a kept body fails over this (too big) */
	http_data_cb data;    /* a 2xx body goes here, not kept; !0 stops */
	http_progress_cb
	    progress; /* the expected body length, as it is known */
	void *arg;    /* for data and progress */
};
struct http_call;
void http_global_init(void);
struct http_call *http_new(const struct http_opts *);
void *http_handle(struct http_call *);
int http_perform(struct http_call *);
void http_stop(struct http_call *);
long http_status(struct http_call *);
int http_status_ok(long);
const char *http_body(const struct http_call *, size_t *);
char *http_take_body(struct http_call *, size_t *);
char *http_take_header(struct http_call *);
int http_too_big(const struct http_call *);
const char *http_strerror(const struct http_call *, int);
void http_free(struct http_call *);

/*
 * platform.c, platform-linux.c, platform-darwin.c: what differs between
 * the host systems berth runs on. platform.c holds both systems'
 * descriptions (plain data, so tests on Linux can read the Mac's) and
 * the pure logic over them; the build picks one of platform-linux.c or
 * platform-darwin.c (Makefile.am, by configure's host), which sets
 * platform_host and holds the calls only that system has. Nothing else
 * tests __APPLE__ or __linux__; tests/port/macos.sh fails on a Linux-only
 * call outside these files and compat/.
 */
struct platform {
	const char *name;  /* as uname -s says: "Linux", "Darwin" */
	const char *accel; /* libvirt's domain type for the hypervisor */
	const char *watch; /* native file events: "inotify", "fsevents" */
	/* seed ISO tools to try, in order, NULL-terminated */
	const char *const *iso_tools;
	const char *libvirt_uri;    /* the default vm.uri */
	const char *libvirt_socket; /* its socket, NULL: libvirt's default */
	size_t sun_path_max;        /* bytes of a unix socket path, NUL too */
	const char *packages;       /* ./quickstart's package manager */
	/* UEFI firmware of aarch64 guests, NULL: libvirt's choice */
	const char *aarch64_firmware;
};
extern const struct platform platform_linux;
extern const struct platform platform_darwin;
extern const struct platform *const platform_host;
char **platform_iso_argv(const char *, const char *, const char *,
                         const char *const *);
int platform_socket_path_check(const struct platform *, const char *, char **);
const char *platform_arch(void);
const char *platform_firmware(const struct platform *, const char *);
int platform_host_is_guest(void);
char *platform_self_exe(void);
int platform_proc_info(pid_t, char **, uint64_t *);
int platform_sync_fs(int);

#endif /* BERTH_UTIL_H */
