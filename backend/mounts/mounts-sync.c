/*
 * mounts-sync.c: berth's half of a type: sync mount (host-to-guest). One
 * long-lived connection runs msync_receiver (mounts-sync-receiver.c) in
 * the guest, over SSH with the profile's key and compression; frames go
 * in batches, each closed by an "S" that the guest answers with its
 * counts and failures, so a batch costs one round trip and no process.
 *
 * On connecting, the guest lists its copy (the manifest); berth compares
 * it with the watcher's snapshot of the host folder and sends only what
 * differs: a file whose type, size, mode or mtime (to the second, what
 * the guest can set) differs or that was copied within the second of its
 * mtime, a link whose target differs, a folder whose
 * mode differs; guest entries the host lacks are deleted (the host wins),
 * except what the mount's ignore globs name. That makes a restart, or a
 * connection killed mid-burst, resume without recopying and without
 * losing anything: the guest sets a file's mtime only once its bytes are
 * all written, so a file cut short has its ctime no later than its mtime,
 * which always counts as differing. After that, the
 * watcher's changes are sent as they come; any failure drops the
 * connection and the next step starts over with a manifest.
 *
 * The watcher thread owns a struct msync; only the figures (under
 * ms->lock) are read by others. Paths and link targets that could leave
 * the folder are refused on both sides.
 */

#include "config.h"

#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "core/core.h"
#include "socket/socket.h"
#include "mounts/mounts.h"

#define MSYNC_IO_MS       30000 /* no progress for this long: the link is dead */
#define MSYNC_BATCH       (4u * 1024 * 1024) /* bytes between two answers */
#define MSYNC_BATCH_OPS   4000               /* frames between two answers */
#define MSYNC_FLUSH       (256u * 1024)      /* buffered before writing */
#define MSYNC_RETRY_MS    3000
#define MSYNC_STATUS_MS   500
#define MSYNC_LINE_MAX    256
#define MSYNC_PATH_MAX    65536
#define MSYNC_ENTRIES_MAX 50000000

/* An entry of the guest's manifest. */
struct msync_entry {
	char *path;
	char *target; /* links */
	char type;    /* f d l o */
	int seen;     /* the host has it */
	int64_t size, mtime, ctime;
	uint32_t mode;
};

struct msync {
	char *host, *guest;
	const struct scan_options *o;
	char *status_path; /* NULL: none */
	uint64_t status_at;
	void (*notify)(void *); /* figures changed (a watcher's) */
	void *notify_arg;

	/* The connection. */
	pid_t pid;
	int in, out; /* its standard input (a socket), output */
	char *rbuf;
	size_t rlen, rcap;
	char *wbuf;
	size_t wlen, wcap;
	uint64_t seq;
	uint64_t batch_bytes, batch_ops;
	uint64_t retry_at;
	int need_full;
	int64_t newest_ns; /* newest change in the open batch */

	/* The manifest while comparing. */
	struct msync_entry *m;
	size_t nm, cm;

	pthread_mutex_t lock; /* st */
	struct msync_stats st;
};

static int msync_flush(struct msync *, char **);

const char *
msync_state_name(enum msync_state s)
{
	static const char *const names[] = {"off", "connecting", "copying",
	                                    "watching", "failed"};

	return (size_t)s < nitems(names) ? names[s] : "?";
}

/* A sync mount of host folder `host` copied to `guest`; o (its ignore
 * globs) must outlive it. */
struct msync *
msync_new(const char *host, const char *guest, const struct scan_options *o)
{
	struct msync *ms = xcalloc(1, sizeof *ms);

	ms->host = xstrdup(host);
	ms->guest = xstrdup(guest);
	ms->o = o;
	ms->pid = -1;
	ms->in = ms->out = -1;
	ms->need_full = 1;
	ms->st.lag_ms = -1;
	pthread_mutex_init(&ms->lock, NULL);
	return ms;
}

static void
msync_manifest_clear(struct msync *ms)
{
	size_t i;

	for (i = 0; i < ms->nm; i++) {
		free(ms->m[i].path);
		free(ms->m[i].target);
	}
	free(ms->m);
	ms->m = NULL;
	ms->nm = ms->cm = 0;
}

void
msync_free(struct msync *ms)
{
	if (ms == NULL)
		return;
	msync_stop(ms);
	msync_manifest_clear(ms);
	free(ms->rbuf);
	free(ms->wbuf);
	free(ms->host);
	free(ms->guest);
	free(ms->status_path);
	pthread_mutex_destroy(&ms->lock);
	free(ms);
}

/* Where the figures of host folder `host` are published under state dir
 * `state` (caller frees): the CLI's sync-status reads them. */
char *
msync_status_path(const char *state, const char *host)
{
	uint32_t h = util_hash(host, strlen(host));

	return xasprintf("%s/sync-%08x.json", state, (unsigned)h);
}

void
msync_set_status_file(struct msync *ms, const char *path)
{
	free(ms->status_path);
	ms->status_path = path != NULL ? xstrdup(path) : NULL;
}

/* Write the figures for sync-status, at most every MSYNC_STATUS_MS unless
 * forced. */
static void
msync_publish(struct msync *ms, int force)
{
	struct msync_stats st;
	char *text, *cause = NULL;
	json_t *j;

	if (!force && util_mono_ms() < ms->status_at)
		return;
	ms->status_at = util_mono_ms() + MSYNC_STATUS_MS;
	if (ms->notify != NULL)
		ms->notify(ms->notify_arg);
	if (ms->status_path == NULL)
		return;
	msync_get_stats(ms, &st);
	j = json_pack(
	    "{s:I, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
	    "s:I, s:I, s:I, s:I, s:I, s:I, s:s}",
	    "pid", (json_int_t)getpid(), "host", ms->host, "guest", ms->guest,
	    "state", msync_state_name(st.state), "copy_files",
	    (json_int_t)st.copy_files, "copy_bytes", (json_int_t)st.copy_bytes,
	    "done_files", (json_int_t)st.done_files, "done_bytes",
	    (json_int_t)st.done_bytes, "sent_files", (json_int_t)st.sent_files,
	    "sent_bytes", (json_int_t)st.sent_bytes, "deleted",
	    (json_int_t)st.deleted, "failed", (json_int_t)st.failed, "refused",
	    (json_int_t)st.refused, "connects", (json_int_t)st.connects,
	    "files", (json_int_t)st.files, "bytes", (json_int_t)st.bytes,
	    "lag_ms", (json_int_t)st.lag_ms, "error", st.error);
	text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (text != NULL &&
	    util_write_file_atomic(ms->status_path, text, strlen(text), 0600, 0,
	                           &cause) != 0)
		free(cause);
	free(text);
}

/* notify(arg) is called (at most every MSYNC_STATUS_MS while copying)
 * when the figures change. */
void
msync_set_notify(struct msync *ms, void (*notify)(void *), void *arg)
{
	ms->notify = notify;
	ms->notify_arg = arg;
}

void
msync_get_stats(struct msync *ms, struct msync_stats *st)
{
	pthread_mutex_lock(&ms->lock);
	*st = ms->st;
	pthread_mutex_unlock(&ms->lock);
}

static void
msync_set_state(struct msync *ms, enum msync_state s)
{
	pthread_mutex_lock(&ms->lock);
	ms->st.state = s;
	pthread_mutex_unlock(&ms->lock);
	msync_publish(ms, 1);
}

/* Remember the last error (sanitised: it may come from the guest). */
static void msync_error(struct msync *ms, const char *fmt, ...)
    BERTH_PRINTFLIKE(2, 3);
static void
msync_error(struct msync *ms, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = util_sanitize_vasprintf(fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&ms->lock);
	snprintf(ms->st.error, sizeof ms->st.error, "%s", s);
	pthread_mutex_unlock(&ms->lock);
	free(s);
}

/* A path berth may send: relative, no empty, "." or ".." component. */
int
msync_path_ok(const char *p)
{
	const char *c = p, *e;
	size_t n;

	if (*p == '\0' || *p == '/')
		return 0;
	for (;;) {
		e = strchr(c, '/');
		n = e != NULL ? (size_t)(e - c) : strlen(c);
		if (n == 0 || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
		if (e == NULL)
			return 1;
		c = e + 1;
	}
}

/* Does a link at `path` to `target` stay inside the folder (read as
 * text: every link is checked, so none leads out through another)? */
int
msync_link_ok(const char *path, const char *target)
{
	const char *c, *e;
	size_t depth = 0, n;

	if (*target == '\0' || *target == '/')
		return 0;
	for (c = path; (e = strchr(c, '/')) != NULL; c = e + 1)
		depth++;
	for (c = target; *c != '\0'; c = e != NULL ? e + 1 : c + n) {
		e = strchr(c, '/');
		n = e != NULL ? (size_t)(e - c) : strlen(c);
		if (n == 0 || (n == 1 && c[0] == '.'))
			;
		else if (n == 2 && c[0] == '.' && c[1] == '.') {
			if (depth == 0)
				return 0;
			depth--;
		} else
			depth++;
		if (e == NULL)
			break;
	}
	return 1;
}

/* Does an ignore glob name the path or a folder it is in? */
static int
msync_ignored(const struct msync *ms, const char *path, int is_dir)
{
	char buf[MSYNC_PATH_MAX];
	size_t i;

	if (ms->o == NULL)
		return 0;
	if (strlen(path) >= sizeof buf)
		return 0;
	for (i = 0; path[i] != '\0'; i++) {
		if (path[i] != '/')
			continue;
		memcpy(buf, path, i);
		buf[i] = '\0';
		if (scan_ignored(ms->o, buf, 1))
			return 1;
	}
	return scan_ignored(ms->o, path, is_dir);
}

/* ---- the connection ---- */

/* The guest command line: perl as root (sudo when the SSH user is not)
 * running the receiver on the guest folder (caller frees). */
char *
msync_remote_command(const char *guest)
{
	char *qs = replay_shell_quote(msync_receiver);
	char *qg = replay_shell_quote(guest), *cmd;

	cmd = xasprintf("sh -c 'r=; [ \"$(id -u)\" = 0 ] || r=\"sudo -n\"; "
	                "exec $r perl -e \"$1\" -- \"$2\"' berth %s %s",
	                qs, qg);
	free(qs);
	free(qg);
	return cmd;
}

int
msync_running(const struct msync *ms)
{
	return ms->pid > 0;
}

/* End the connection: ask the receiver to quit, then make sure. */
void
msync_stop(struct msync *ms)
{
	int status, i;

	if (ms->pid <= 0)
		return;
	if (ms->in != -1) {
		ms->wlen = 0;
		(void)send(ms->in, "Q 0 0 0 0\n", 10,
		           MSG_NOSIGNAL | MSG_DONTWAIT);
		close(ms->in);
	}
	if (ms->out != -1)
		close(ms->out);
	ms->in = ms->out = -1;
	for (i = 0; i < 20; i++) {
		struct timespec ts = {0, 10 * 1000000};

		if (waitpid(ms->pid, &status, WNOHANG) != 0)
			break;
		nanosleep(&ts, NULL);
	}
	if (i == 20) {
		kill(ms->pid, SIGKILL);
		waitpid(ms->pid, &status, 0);
	}
	ms->pid = -1;
	ms->rlen = ms->wlen = 0;
	ms->batch_bytes = ms->batch_ops = 0;
}

/* Read more of the receiver's output (waits at most MSYNC_IO_MS). */
static int
msync_fill(struct msync *ms, char **cause)
{
	struct pollfd pfd = {.fd = ms->out, .events = POLLIN};
	ssize_t r;
	int pr;

	if (ms->rcap - ms->rlen < 65536) {
		ms->rcap = ms->rcap * 2 + 65536;
		ms->rbuf = xreallocarray(ms->rbuf, ms->rcap, 1);
	}
	for (;;) {
		r = read(ms->out, ms->rbuf + ms->rlen, ms->rcap - ms->rlen);
		if (r > 0) {
			ms->rlen += (size_t)r;
			return 0;
		}
		if (r == 0) {
			util_set_cause(cause, "the guest's receiver ended");
			return -1;
		}
		if (errno != EAGAIN && errno != EINTR) {
			util_set_cause(cause, "reading from the guest: %s",
			               strerror(errno));
			return -1;
		}
		pr = poll(&pfd, 1, MSYNC_IO_MS);
		if (pr == 0) {
			util_set_cause(cause,
			               "the guest did not answer within %d s",
			               MSYNC_IO_MS / 1000);
			return -1;
		}
	}
}

/* The next line of the receiver's output, without its newline, in buf. */
static int
msync_read_line(struct msync *ms, char *buf, size_t size, char **cause)
{
	char *nl;
	size_t n;

	for (;;) {
		nl = ms->rlen > 0 ? memchr(ms->rbuf, '\n', ms->rlen) : NULL;
		if (nl != NULL)
			break;
		if (ms->rlen > MSYNC_LINE_MAX) {
			util_set_cause(cause, "the guest's receiver spoke "
			                      "garbage");
			return -1;
		}
		if (msync_fill(ms, cause) != 0)
			return -1;
	}
	n = (size_t)(nl - ms->rbuf);
	if (n >= size) {
		util_set_cause(cause, "the guest's receiver spoke garbage");
		return -1;
	}
	memcpy(buf, ms->rbuf, n);
	buf[n] = '\0';
	memmove(ms->rbuf, nl + 1, ms->rlen - n - 1);
	ms->rlen -= n + 1;
	return 0;
}

/* n bytes of the receiver's output (caller frees; NUL-terminated). */
static char *
msync_read_bytes(struct msync *ms, size_t n, char **cause)
{
	char *s;

	while (ms->rlen < n) {
		if (msync_fill(ms, cause) != 0)
			return NULL;
	}
	s = xmalloc(n + 1);
	memcpy(s, ms->rbuf, n);
	s[n] = '\0';
	memmove(ms->rbuf, ms->rbuf + n, ms->rlen - n);
	ms->rlen -= n;
	return s;
}

/* Start the receiver with argv (its standard input and output are the
 * protocol) and wait for its greeting. */
int
msync_start(struct msync *ms, char *const argv[], char **cause)
{
	char line[MSYNC_LINE_MAX];

	msync_stop(ms);
	ms->pid = proc_start_io(argv, PROC_PGROUP, &ms->in, &ms->out, cause);
	if (ms->pid < 0)
		return -1;
	if (msync_read_line(ms, line, sizeof line, cause) != 0) {
		msync_stop(ms);
		return -1;
	}
	if (strncmp(line, "BERTH-SYNC-REFUSED ", 19) == 0) {
		char *shown = util_sanitize_dup(line + 19, strlen(line + 19));

		util_set_cause(cause, "%s", shown);
		free(shown);
		msync_stop(ms);
		return -1;
	}
	if (strcmp(line, "BERTH-SYNC 1") != 0) {
		char *shown = util_sanitize_dup(line, strlen(line));

		util_set_cause(cause, "the guest's receiver said '%s'", shown);
		free(shown);
		msync_stop(ms);
		return -1;
	}
	ms->need_full = 1;
	pthread_mutex_lock(&ms->lock);
	ms->st.connects++;
	pthread_mutex_unlock(&ms->lock);
	return 0;
}

/* Start the receiver in the guest over ssh -C with the profile's key. */
int
msync_start_ssh(struct msync *ms, const struct replay_ssh *t, char **cause)
{
	static const char *const opts[] = {
	    "-C", "-o", "ServerAliveInterval=10", "-o", "ServerAliveCountMax=3",
	    NULL};
	struct replay_ssh_argv a;
	char *cmd;
	int rc;

	cmd = msync_remote_command(ms->guest);
	if (replay_ssh_argv_make(&a, t, opts, cmd, cause) != 0) {
		free(cmd);
		return -1;
	}
	rc = msync_start(ms, a.v, cause);
	if (rc != 0 && cause != NULL && *cause != NULL) {
		char *c = xasprintf("ssh %s@%s:%d: %s (sync mounts need perl "
		                    "and root or sudo in the guest)",
		                    t->user, t->host, t->port, *cause);

		free(*cause);
		*cause = c;
	}
	free(cmd);
	replay_ssh_argv_clear(&a);
	return rc;
}

/* ---- sending ---- */

static void
msync_put(struct msync *ms, const void *p, size_t n)
{
	if (ms->wcap - ms->wlen < n) {
		ms->wcap = ms->wlen + n + MSYNC_FLUSH;
		ms->wbuf = xreallocarray(ms->wbuf, ms->wcap, 1);
	}
	memcpy(ms->wbuf + ms->wlen, p, n);
	ms->wlen += n;
}

/* Write what is buffered (waits at most MSYNC_IO_MS for progress). */
static int
msync_flush(struct msync *ms, char **cause)
{
	struct pollfd pfd = {.fd = ms->in, .events = POLLOUT};
	size_t off = 0;
	ssize_t w;

	while (off < ms->wlen) {
		w = send(ms->in, ms->wbuf + off, ms->wlen - off,
		         MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0) {
			off += (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR) {
			util_set_cause(cause, "writing to the guest: %s",
			               strerror(errno));
			return -1;
		}
		if (poll(&pfd, 1, MSYNC_IO_MS) == 0) {
			util_set_cause(cause, "the guest took nothing for %d s",
			               MSYNC_IO_MS / 1000);
			return -1;
		}
	}
	ms->wlen = 0;
	return 0;
}

/* One frame's header and path. */
static void
msync_frame(struct msync *ms, char op, uint32_t mode, int64_t mtime,
            uint64_t len, const char *path)
{
	char h[MSYNC_LINE_MAX];
	size_t pl = strlen(path);
	int n;

	n = snprintf(h, sizeof h, "%c %lu %lld %llu %zu\n", op,
	             (unsigned long)mode, (long long)mtime,
	             (unsigned long long)len, pl);
	msync_put(ms, h, (size_t)n);
	msync_put(ms, path, pl);
	ms->batch_ops++;
}

/*
 * Send host file `rel` (its bytes as it has them now). The length is the
 * size fstat gave; a file that shrinks while read is padded to it: the
 * change that shrank it is heard and sent next, and its newer mtime
 * differs from the one sent if berth stops first.
 */
static int
msync_send_file(struct msync *ms, const char *rel, uint64_t *bytes,
                char **cause)
{
	char *path = xasprintf("%s/%s", ms->host, rel);
	struct stat sb;
	uint64_t left;
	size_t room;
	ssize_t r;
	int fd, rc = 0, shrunk = 0;

	*bytes = 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	free(path);
	if (fd == -1 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		if (fd != -1)
			close(fd);
		return 1; /* gone or changed type: its change comes next */
	}
	msync_frame(ms, 'F', sb.st_mode & 07777, (int64_t)sb.st_mtime,
	            (uint64_t)sb.st_size, rel);
	for (left = (uint64_t)sb.st_size; left > 0;) {
		if (ms->wlen >= MSYNC_FLUSH && msync_flush(ms, cause) != 0) {
			rc = -1;
			break;
		}
		if (ms->wcap - ms->wlen < 65536) {
			ms->wcap = ms->wlen + MSYNC_FLUSH + 65536;
			ms->wbuf = xreallocarray(ms->wbuf, ms->wcap, 1);
		}
		room = ms->wcap - ms->wlen;
		if (room > left)
			room = (size_t)left;
		r = shrunk ? 0 : read(fd, ms->wbuf + ms->wlen, room);
		if (r <= 0) {
			/* Shrunk (or unreadable): pad so the frame stays whole.
			 */
			if (r < 0 && errno == EINTR)
				continue;
			shrunk = 1;
			memset(ms->wbuf + ms->wlen, 0, room);
			r = (ssize_t)room;
		}
		ms->wlen += (size_t)r;
		left -= (uint64_t)r;
	}
	close(fd);
	*bytes = (uint64_t)sb.st_size;
	ms->batch_bytes += (uint64_t)sb.st_size;
	return rc;
}

/*
 * Send one host entry as it is now: a file, a folder, a link (refused
 * when it leaves the folder: counted, and any old copy deleted), or a
 * delete when it is gone. *bytes gets the file bytes sent. Returns 1 when
 * nothing was sent for it (refused, gone, not a kind berth copies).
 */
static int
msync_send_path(struct msync *ms, const char *rel, uint64_t *bytes,
                char **cause)
{
	char *path, target[4096];
	struct stat sb;
	ssize_t n;
	int rc;

	*bytes = 0;
	if (!msync_path_ok(rel))
		return 1;
	path = xasprintf("%s/%s", ms->host, rel);
	rc = lstat(path, &sb);
	if (rc != 0) {
		free(path);
		msync_frame(ms, 'X', 0, 0, 0, rel);
		return 0;
	}
	if (S_ISREG(sb.st_mode)) {
		free(path);
		return msync_send_file(ms, rel, bytes, cause);
	}
	rc = 0;
	if (S_ISDIR(sb.st_mode))
		msync_frame(ms, 'D', sb.st_mode & 07777, 0, 0, rel);
	else if (S_ISLNK(sb.st_mode) &&
	         (n = readlink(path, target, sizeof target - 1)) > 0) {
		target[n] = '\0';
		if (msync_link_ok(rel, target)) {
			msync_frame(ms, 'L', 0, 0, (uint64_t)n, rel);
			msync_put(ms, target, (size_t)n);
		} else {
			pthread_mutex_lock(&ms->lock);
			ms->st.refused++;
			pthread_mutex_unlock(&ms->lock);
			msync_error(ms,
			            "%s: link to %s leaves the folder; not "
			            "copied",
			            rel, target);
			msync_frame(ms, 'X', 0, 0, 0, rel);
			rc = 1;
		}
	} else
		rc = 1;
	free(path);
	return rc;
}

/*
 * Close the batch: an "S" and the guest's answer, its failures counted
 * and the last one kept. Returns -1 when the connection failed.
 */
static int
msync_ack(struct msync *ms, char **cause)
{
	char line[MSYNC_LINE_MAX], *p, *msg;
	unsigned long long seq, ok, failed, pl, ml;
	struct timespec ts;
	int64_t now;
	int n;

	/* The sequence number rides in the mode field. */
	n = snprintf(line, sizeof line, "S %llu 0 0 0\n",
	             (unsigned long long)++ms->seq);
	msync_put(ms, line, (size_t)n);
	if (msync_flush(ms, cause) != 0)
		return -1;
	for (;;) {
		if (msync_read_line(ms, line, sizeof line, cause) != 0)
			return -1;
		if (sscanf(line, "E %llu %llu", &pl, &ml) == 2 &&
		    pl < MSYNC_PATH_MAX && ml < MSYNC_PATH_MAX) {
			if ((p = msync_read_bytes(ms, pl, cause)) == NULL)
				return -1;
			if ((msg = msync_read_bytes(ms, ml, cause)) == NULL) {
				free(p);
				return -1;
			}
			msync_error(ms, "%s: %s", p, msg);
			free(p);
			free(msg);
			continue;
		}
		if (sscanf(line, "A %llu %llu %llu", &seq, &ok, &failed) == 3 &&
		    seq == ms->seq)
			break;
		util_set_cause(cause, "the guest's receiver spoke garbage");
		return -1;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	pthread_mutex_lock(&ms->lock);
	ms->st.failed += failed;
	if (ms->newest_ns > 0 && now > ms->newest_ns)
		ms->st.lag_ms = (now - ms->newest_ns) / 1000000;
	pthread_mutex_unlock(&ms->lock);
	ms->newest_ns = 0;
	ms->batch_bytes = ms->batch_ops = 0;
	return 0;
}

/* Close the batch when it is big enough. */
static int
msync_maybe_ack(struct msync *ms, char **cause)
{
	if (ms->batch_bytes < MSYNC_BATCH && ms->batch_ops < MSYNC_BATCH_OPS)
		return 0;
	return msync_ack(ms, cause);
}

/* ---- the first sync ---- */

static int
msync_entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct msync_entry *)a)->path,
	              ((const struct msync_entry *)b)->path);
}

/* Ask for and read the guest's manifest into ms->m, sorted. */
static int
msync_manifest(struct msync *ms, char **cause)
{
	char line[MSYNC_LINE_MAX], t;
	unsigned long long pl, tl, mode;
	long long size, mtime, ctime;
	struct msync_entry *e;

	msync_manifest_clear(ms);
	msync_put(ms, "M 0 0 0 0\n", 10);
	if (msync_flush(ms, cause) != 0)
		return -1;
	for (;;) {
		if (msync_read_line(ms, line, sizeof line, cause) != 0)
			return -1;
		if (strcmp(line, "END") == 0)
			break;
		if (sscanf(line, "%c %lld %lld %lld %llu %llu %llu", &t, &size,
		           &mtime, &ctime, &mode, &pl, &tl) != 7 ||
		    pl == 0 || pl >= MSYNC_PATH_MAX || tl >= MSYNC_PATH_MAX ||
		    ms->nm >= MSYNC_ENTRIES_MAX) {
			util_set_cause(cause, "bad manifest line from the "
			                      "guest");
			return -1;
		}
		if (ms->nm == ms->cm) {
			ms->cm = ms->cm * 2 + 1024;
			ms->m = xreallocarray(ms->m, ms->cm, sizeof *ms->m);
		}
		e = &ms->m[ms->nm];
		memset(e, 0, sizeof *e);
		e->type = t;
		e->size = size;
		e->mtime = mtime;
		e->ctime = ctime;
		e->mode = (uint32_t)mode;
		if ((e->path = msync_read_bytes(ms, pl, cause)) == NULL ||
		    (e->target = msync_read_bytes(ms, tl, cause)) == NULL) {
			free(e->path);
			return -1;
		}
		ms->nm++;
	}
	if (ms->nm > 1)
		qsort(ms->m, ms->nm, sizeof *ms->m, msync_entry_cmp);
	return 0;
}

static struct msync_entry *
msync_find(struct msync *ms, const char *path)
{
	struct msync_entry key = {.path = (char *)path};

	if (ms->nm == 0)
		return NULL;
	return bsearch(&key, ms->m, ms->nm, sizeof *ms->m, msync_entry_cmp);
}

/* Does guest folder m[i] hold something the ignore globs name (which
 * deleting the folder would take with it)? */
static int
msync_keeps_ignored(const struct msync *ms, size_t i)
{
	const char *d = ms->m[i].path;
	size_t n = strlen(d), j;

	for (j = i + 1; j < ms->nm; j++) {
		if (strncmp(ms->m[j].path, d, n) != 0)
			break;
		if (ms->m[j].path[n] != '/')
			continue;
		if (msync_ignored(ms, ms->m[j].path, ms->m[j].type == 'd'))
			return 1;
	}
	return 0;
}

/* The host entries the first sync will send, with the totals. */
struct msync_plan {
	struct msync *ms;
	char **path;
	size_t n, cap;
	uint64_t files, bytes; /* to send */
	uint64_t all_files, all_bytes;
};

/* Does the guest's copy differ from host entry e? */
static int
msync_differs(struct msync *ms, const struct scan_entry *e,
              const struct msync_entry *g)
{
	char *path, target[4096];
	ssize_t n;

	if (g == NULL)
		return 1;
	switch (e->type) {
	case SCAN_FILE:
		/* ctime is when the guest set the mtime, last: not after it,
		 * the copy was cut short (or written in the guest), or made
		 * in the second the host wrote it, which may have been
		 * written again in that second at the same size ("racy", as
		 * git says). Either way it goes again. */
		return g->type != 'f' || g->size != e->size ||
		       g->mtime != (int64_t)(e->mtime_ns / 1000000000) ||
		       g->ctime <= g->mtime ||
		       (g->mode & 07777) != (e->mode & 07777);
	case SCAN_DIR:
		return g->type != 'd' || (g->mode & 07777) != (e->mode & 07777);
	case SCAN_LINK:
		if (g->type != 'l')
			return 1;
		path = xasprintf("%s/%s", ms->host, e->path);
		n = readlink(path, target, sizeof target - 1);
		free(path);
		if (n < 0)
			return 1;
		target[n] = '\0';
		return strcmp(target, g->target) != 0;
	default:
		return 0;
	}
}

static void
msync_plan_entry(const struct scan_entry *e, void *arg)
{
	struct msync_plan *pl = arg;
	struct msync_entry *g;

	if (e->type == SCAN_OTHER || !msync_path_ok(e->path))
		return;
	if (e->type == SCAN_FILE) {
		pl->all_files++;
		pl->all_bytes += (uint64_t)e->size;
	}
	g = msync_find(pl->ms, e->path);
	if (g != NULL)
		g->seen = 1;
	if (!msync_differs(pl->ms, e, g))
		return;
	if (pl->n == pl->cap) {
		pl->cap = pl->cap * 2 + 256;
		pl->path = xreallocarray(pl->path, pl->cap, sizeof *pl->path);
	}
	pl->path[pl->n++] = xstrdup(e->path);
	pl->files++; /* entries: files, folders and links */
	if (e->type == SCAN_FILE)
		pl->bytes += (uint64_t)e->size;
}

/*
 * The first sync after connecting: compare the guest's manifest with the
 * snapshot s, delete what the host lacks, send what differs, counting
 * progress. Returns -1 with a cause when the connection failed.
 */
int
msync_full(struct msync *ms, const struct scan *s, char **cause)
{
	struct msync_plan pl = {.ms = ms};
	const char *last_del = NULL;
	uint64_t bytes;
	size_t i, ld = 0;
	int rc = -1, r;

	msync_set_state(ms, MSYNC_CONNECTING);
	if (msync_manifest(ms, cause) != 0)
		goto out;
	scan_each_entry(s, msync_plan_entry, &pl);
	pthread_mutex_lock(&ms->lock);
	ms->st.copy_files = pl.files;
	ms->st.copy_bytes = pl.bytes;
	ms->st.done_files = ms->st.done_bytes = 0;
	ms->st.files = pl.all_files;
	ms->st.bytes = pl.all_bytes;
	pthread_mutex_unlock(&ms->lock);
	msync_set_state(ms, MSYNC_COPYING);
	/* What the host lacks goes first (a folder with what it holds). */
	for (i = 0; i < ms->nm; i++) {
		const struct msync_entry *g = &ms->m[i];

		if (g->seen || msync_ignored(ms, g->path, g->type == 'd'))
			continue;
		if (last_del != NULL && strncmp(g->path, last_del, ld) == 0 &&
		    g->path[ld] == '/')
			continue;
		if (g->type == 'd' && msync_keeps_ignored(ms, i))
			continue; /* its other entries go one by one */
		msync_frame(ms, 'X', 0, 0, 0, g->path);
		last_del = g->path;
		ld = strlen(last_del);
		pthread_mutex_lock(&ms->lock);
		ms->st.deleted++;
		pthread_mutex_unlock(&ms->lock);
		if (msync_maybe_ack(ms, cause) != 0)
			goto out;
	}
	for (i = 0; i < pl.n; i++) {
		if ((r = msync_send_path(ms, pl.path[i], &bytes, cause)) < 0)
			goto out;
		pthread_mutex_lock(&ms->lock);
		ms->st.done_files++;
		ms->st.done_bytes += bytes;
		ms->st.sent_files += r == 0;
		ms->st.sent_bytes += bytes;
		pthread_mutex_unlock(&ms->lock);
		if (msync_maybe_ack(ms, cause) != 0)
			goto out;
		msync_publish(ms, 0);
	}
	if (msync_ack(ms, cause) != 0)
		goto out;
	ms->need_full = 0;
	pthread_mutex_lock(&ms->lock);
	ms->st.done_files = ms->st.copy_files;
	ms->st.done_bytes = ms->st.copy_bytes;
	pthread_mutex_unlock(&ms->lock);
	msync_set_state(ms, MSYNC_WATCHING);
	rc = 0;
out:
	for (i = 0; i < pl.n; i++)
		free(pl.path[i]);
	free(pl.path);
	msync_manifest_clear(ms);
	return rc;
}

/* Send a pass's changes (the host as it is now at each path), one batch. */
int
msync_changes(struct msync *ms, const struct scan_changes *ch, char **cause)
{
	const struct scan_change *c;
	uint64_t bytes;
	size_t i;
	int r;

	if (ch->n == 0)
		return 0;
	for (i = 0; i < ch->n; i++) {
		c = &ch->v[i];
		if (*c->path == '\0' ||
		    msync_ignored(ms, c->path, c->type == SCAN_DIR))
			continue;
		if (c->mtime_ns > ms->newest_ns)
			ms->newest_ns = c->mtime_ns;
		if (c->kind == SCAN_DELETED) {
			msync_frame(ms, 'X', 0, 0, 0, c->path);
			pthread_mutex_lock(&ms->lock);
			ms->st.deleted++;
			pthread_mutex_unlock(&ms->lock);
		} else {
			if ((r = msync_send_path(ms, c->path, &bytes, cause)) <
			    0)
				return -1;
			pthread_mutex_lock(&ms->lock);
			ms->st.sent_files += r == 0;
			ms->st.sent_bytes += bytes;
			pthread_mutex_unlock(&ms->lock);
		}
		if (msync_maybe_ack(ms, cause) != 0)
			return -1;
	}
	if (ms->newest_ns == 0) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ms->newest_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	}
	return msync_ack(ms, cause);
}

/* Is the first sync (or a reconnect) still to do? */
int
msync_pending(const struct msync *ms)
{
	return !msync_running(ms) || ms->need_full;
}

/* Watching turned off: end the connection; on again compares it all. */
void
msync_off(struct msync *ms)
{
	msync_stop(ms);
	ms->need_full = 1;
	ms->retry_at = 0;
	msync_set_state(ms, MSYNC_OFF);
}

/* The next step must compare everything again (a new snapshot). */
void
msync_resync(struct msync *ms)
{
	ms->need_full = 1;
}

/*
 * The watcher's step for a sync mount after a pass over snapshot s with
 * changes ch: connect through g's SSH when not connected (and not
 * waiting to retry) and do the first sync, else send the changes. A
 * failure drops the connection; the next step after MSYNC_RETRY_MS
 * starts over with a manifest, so nothing is lost. Returns -1 when not
 * in step.
 */
int
msync_step(struct msync *ms, struct mounts_guest *g, const struct scan *s,
           const struct scan_changes *ch)
{
	struct replay_ssh t;
	char *cause = NULL;
	int rc = 0;

	if (!msync_running(ms)) {
		if (util_mono_ms() < ms->retry_at)
			return -1;
		msync_set_state(ms, MSYNC_CONNECTING);
		if (mounts_guest_ssh(g, &t, &cause) != 0 ||
		    msync_start_ssh(ms, &t, &cause) != 0)
			rc = -1;
	}
	if (rc == 0 && ms->need_full)
		rc = msync_full(ms, s, &cause);
	else if (rc == 0)
		rc = msync_changes(ms, ch, &cause);
	if (rc != 0) {
		msync_error(ms, "%s", cause != NULL ? cause : "failed");
		msync_stop(ms);
		ms->retry_at = util_mono_ms() + MSYNC_RETRY_MS;
		msync_set_state(ms, MSYNC_FAILED);
	} else
		msync_publish(ms, 1);
	free(cause);
	return rc;
}
