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

#include <ctype.h>
#include <dirent.h>
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

#define MSYNC_IO_MS        30000 /* no progress for this long: the link is dead */
#define MSYNC_BATCH        (4u * 1024 * 1024) /* bytes between two answers */
#define MSYNC_BATCH_OPS    4000               /* frames between two answers */
#define MSYNC_FLUSH        (256u * 1024)      /* buffered before writing */
#define MSYNC_RETRY_MS     3000
#define MSYNC_STATUS_MS    500
#define MSYNC_LINE_MAX     256
#define MSYNC_PATH_MAX     65536
#define MSYNC_ENTRIES_MAX  50000000
#define MSYNC_BASE_SAVE_MS 10000         /* the base saved at most this often */
#define MSYNC_COUNT_MS     2000          /* files and bytes counted again */
#define MSYNC_TMP_PREFIX   ".berth-tmp." /* a guest file on its way in */

/* An entry of the guest's manifest. */
struct msync_entry {
	char *path;
	char *target; /* links */
	char type;    /* f d l o */
	int seen;     /* the host has it */
	int64_t size, mtime, ctime;
	uint32_t mode;
};

/* A list of paths. */
struct mlist {
	char **v;
	size_t n, cap;
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

	/* Two-way (sync: both): the base, what waits for an answer. */
	int both;
	unsigned gen; /* first syncs, for mbase_prune */
	char **redo;  /* renames the guest could not make: sent whole */
	size_t nredo, credo;
	char guest_name[64]; /* for the guest's conflict copies */
	char copy_id[17];    /* the guest copy's id the base is for */
	char *base_path;     /* NULL: kept in memory only */
	struct mbase **bb;
	size_t nb, bn;
	int base_dirty;
	uint64_t base_save_at;
	struct mpend *pend;
	size_t npend, cpend;
	struct mrename *ren;
	size_t nren, cren;
	struct mlist ign;  /* ignored guest folders this receiver was told */
	int recount;       /* files and bytes to count again (a change) */
	uint64_t count_at; /* not before then */

	pthread_mutex_t lock; /* st */
	struct msync_stats st;
};

static int msync_flush(struct msync *, char **);
static void mpend_apply(struct msync *, int);
static void msync_renames_drop(struct msync *);
static void mbase_save(struct msync *);
static void mbase_clear(struct msync *);
static void mbase_load(struct msync *);
static int msync_changes_two(struct msync *, const struct scan_changes *,
                             char **);
static int msync_full_two(struct msync *, const struct scan *, char **);
static int msync_collect(struct msync *, char **);
static void msync_count_conflict(struct msync *, const char *, const char *);
static void msync_rename_failed(struct msync *, const char *);
static int msync_redo(struct msync *, char **);
static void mlist_add(struct mlist *, const char *);
static void mlist_free(struct mlist *);

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
	mbase_clear(ms);
	free(ms->base_path);
	free(ms->pend);
	free(ms->ren);
	mlist_free(&ms->ign);
	free(ms->rbuf);
	free(ms->wbuf);
	free(ms->host);
	free(ms->guest);
	free(ms->status_path);
	pthread_mutex_destroy(&ms->lock);
	free(ms);
}

/*
 * Make ms two-way (sync: both): guest changes come back, conflicts keep
 * both copies. The base (what both sides last agreed on) is kept in file
 * base_path (NULL: in memory only) and read from it now.
 */
void
msync_set_two_way(struct msync *ms, const char *base_path)
{
	ms->both = 1;
	free(ms->base_path);
	ms->base_path = base_path != NULL ? xstrdup(base_path) : NULL;
	mbase_load(ms);
}

/* Where the figures of host folder `host` are published under state dir
 * `state` (caller frees): the CLI's sync-status reads them. */
char *
msync_status_path(const char *state, const char *host)
{
	uint32_t h = util_hash(host, strlen(host));

	return xasprintf("%s/sync-%08x.json", state, (unsigned)h);
}

/* Where the base of host folder `host` is kept under `state`. */
char *
msync_base_path(const char *state, const char *host)
{
	uint32_t h = util_hash(host, strlen(host));

	return xasprintf("%s/sync-%08x.base", state, (unsigned)h);
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
	if (j != NULL)
		json_object_update_new(
		    j,
		    json_pack("{s:s, s:I, s:I, s:I, s:s, s:I, s:I}",
		              "direction", ms->both ? "both" : "host-to-guest",
		              "fetched", (json_int_t)st.fetched,
		              "fetched_bytes", (json_int_t)st.fetched_bytes,
		              "conflicts", (json_int_t)st.conflicts, "conflict",
		              st.conflict, "renamed", (json_int_t)st.renamed,
		              "dropped", (json_int_t)st.dropped));
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

/* Does an ignore glob name the path or a folder it is in? *dir_len (when
 * given): the length of the ignored folder, 0 when a glob names the path
 * as a file. */
static int
msync_ignored_at(const struct msync *ms, const char *path, int is_dir,
                 size_t *dir_len)
{
	char buf[MSYNC_PATH_MAX];
	size_t i, n = strlen(path);

	if (dir_len != NULL)
		*dir_len = 0;
	if (ms->o == NULL || n >= sizeof buf)
		return 0;
	for (i = 0; i < n; i++) {
		if (path[i] != '/')
			continue;
		memcpy(buf, path, i);
		buf[i] = '\0';
		if (scan_ignored(ms->o, buf, 1)) {
			if (dir_len != NULL)
				*dir_len = i;
			return 1;
		}
	}
	if (!scan_ignored(ms->o, path, is_dir))
		return 0;
	if (dir_len != NULL && is_dir)
		*dir_len = n;
	return 1;
}

static int
msync_ignored(const struct msync *ms, const char *path, int is_dir)
{
	return msync_ignored_at(ms, path, is_dir, NULL);
}

/* ---- the connection ---- */

/* The guest command line: perl as root (sudo when the SSH user is not)
 * running the receiver on the guest folder (caller frees). */
char *
msync_remote_command(const char *guest, int both)
{
	char *qs = replay_shell_quote(msync_receiver);
	char *qg = replay_shell_quote(guest), *cmd;

	cmd = xasprintf("sh -c 'r=; [ \"$(id -u)\" = 0 ] || r=\"sudo -n\"; "
	                "exec $r perl -e \"$1\" -- \"$2\" $3' berth %s %s %s",
	                qs, qg, both ? "both" : "one");
	free(qs);
	free(qg);
	return cmd;
}

int
msync_two_way(const struct msync *ms)
{
	return ms->both;
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

	mpend_apply(ms, 0); /* never acknowledged */
	msync_renames_drop(ms);
	if (ms->both)
		mbase_save(ms);
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

/* Two strings of a and b bytes (a path and a message or target), each
 * NUL-terminated (caller frees both). */
static int
msync_read_two(struct msync *ms, size_t a, size_t b, char **pa, char **pb,
               char **cause)
{
	if ((*pa = msync_read_bytes(ms, a, cause)) == NULL)
		return -1;
	if ((*pb = msync_read_bytes(ms, b, cause)) == NULL) {
		free(*pa);
		*pa = NULL;
		return -1;
	}
	return 0;
}

/* Start the receiver with argv (its standard input and output are the
 * protocol) and wait for its greeting. */
int
msync_start(struct msync *ms, char *const argv[], char **cause)
{
	char line[MSYNC_LINE_MAX];

	msync_stop(ms);
	mlist_free(&ms->ign); /* a new receiver knows none */
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
	if (strncmp(line, "BERTH-SYNC 1 ", 13) == 0) {
		/* Two-way: the guest's name, for its conflict copies, and the
		 * copy's id (in its mark): a copy made anew (a new VM, another
		 * guest path) has another, and a base for the old one would
		 * read its emptiness as deletions. */
		char *id = strrchr(line + 13, ' ');
		size_t i, n;

		if (id == NULL || strlen(id + 1) != 16) {
			util_set_cause(cause, "the guest's receiver spoke "
			                      "garbage");
			msync_stop(ms);
			return -1;
		}
		*id++ = '\0';
		n = strnlen(line + 13, sizeof ms->guest_name - 1);
		memcpy(ms->guest_name, line + 13, n);
		ms->guest_name[n] = '\0';
		for (i = 0; ms->guest_name[i] != '\0'; i++) {
			if (!isalnum((unsigned char)ms->guest_name[i]) &&
			    strchr("._-", ms->guest_name[i]) == NULL)
				ms->guest_name[i] = '_';
		}
		if (strcmp(id, ms->copy_id) != 0) {
			if (ms->bn > 0)
				msync_error(ms, "a new copy in the guest: "
				                "merged with the host, nothing "
				                "deleted");
			mbase_clear(ms);
			snprintf(ms->copy_id, sizeof ms->copy_id, "%s", id);
			ms->base_dirty = 1;
		}
	} else if (strcmp(line, "BERTH-SYNC 1") != 0) {
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

	cmd = msync_remote_command(ms->guest, ms->both);
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
			if (msync_read_two(ms, pl, ml, &p, &msg, cause) != 0)
				return -1;
			msync_error(ms, "%s: %s", p, msg);
			free(p);
			free(msg);
			continue;
		}
		if (sscanf(line, "N %llu", &pl) == 1 && pl < MSYNC_PATH_MAX) {
			/* A rename the guest could not make: sent whole. */
			if ((p = msync_read_bytes(ms, pl, cause)) == NULL)
				return -1;
			msync_rename_failed(ms, p);
			free(p);
			continue;
		}
		if (sscanf(line, "K %llu %llu", &pl, &ml) == 2 &&
		    pl < MSYNC_PATH_MAX && ml < MSYNC_PATH_MAX) {
			/* The guest had changed it too: its copy was kept
			 * (renamed to msg, or left where it is). */
			if (msync_read_two(ms, pl, ml, &p, &msg, cause) != 0)
				return -1;
			msync_count_conflict(ms, p, msg);
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
	mpend_apply(ms, 1);
	return msync_redo(ms, cause);
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
		if (msync_read_two(ms, pl, tl, &e->path, &e->target, cause) !=
		    0)
			return -1;
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

static void
mlist_add(struct mlist *l, const char *path)
{
	if (l->n == l->cap) {
		l->cap = l->cap * 2 + 256;
		l->v = xreallocarray(l->v, l->cap, sizeof *l->v);
	}
	l->v[l->n++] = xstrdup(path);
}

static void
mlist_free(struct mlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

/* The host entries the first sync will send, with the totals. */
struct msync_plan {
	struct msync *ms;
	struct mlist send;
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
	mlist_add(&pl->send, e->path);
	pl->files++; /* entries: files, folders and links */
	if (e->type == SCAN_FILE)
		pl->bytes += (uint64_t)e->size;
}

/* ---- two-way (sync: both) ---- */

/*
 * What both sides last agreed on for a path (the base), as a state:
 * type (f d l), and for files size, mtime to the second and mode, for
 * folders the mode, for links a hash of the target (a link's own mtime
 * cannot be kept). A side whose state equals the base did not change
 * since; one that differs did. Kept in a chained table, saved to the
 * state folder (base_path) so a restart knows which side changed while
 * berth was away.
 */
struct mstate {
	char type; /* 0: absent */
	int64_t size, mtime;
	uint32_t mode;
	uint64_t ino; /* the host's inode (renames), not compared */
};

struct mbase {
	char *path;
	uint32_t hash;
	unsigned gen; /* last first sync that saw it (stale ones go) */
	struct mstate st;
	struct mbase *next;
};

/* A base change that waits for the guest's acknowledgement. */
struct mpend {
	char *path;
	struct mstate st; /* type 0: forget the path (and what is under it) */
	char *to;         /* a rename of path (and what is under it) to this */
};

/* A guest file written next to its place, renamed in at the end of the
 * answer (after one syncfs for all of them). */
struct mrename {
	char *tmp, *dst, *path;
	struct mstate st;
	int base; /* becomes the base (not a conflict copy) */
};

static int
mstate_same(const struct mstate *a, const struct mstate *b)
{
	return a->type == b->type && a->size == b->size &&
	       a->mtime == b->mtime && a->mode == b->mode;
}

static void
mstate_link(struct mstate *st, const char *target)
{
	st->type = 'l';
	st->size = (int64_t)util_hash(target, strlen(target));
	st->mtime = 0;
	st->mode = 0;
}

/* The host's path as a state; type 0 when absent or another kind. */
static void
mstate_host(struct msync *ms, const char *rel, struct mstate *st)
{
	char *path = xasprintf("%s/%s", ms->host, rel), target[4096];
	struct stat sb;
	ssize_t n;

	memset(st, 0, sizeof *st);
	if (lstat(path, &sb) != 0)
		;
	else if (S_ISREG(sb.st_mode)) {
		st->ino = (uint64_t)sb.st_ino;
		st->type = 'f';
		st->size = (int64_t)sb.st_size;
		st->mtime = (int64_t)sb.st_mtime;
		st->mode = sb.st_mode & 07777;
	} else if (S_ISDIR(sb.st_mode)) {
		st->type = 'd';
		st->mode = sb.st_mode & 07777;
		st->ino = (uint64_t)sb.st_ino;
	} else if (S_ISLNK(sb.st_mode) &&
	           (n = readlink(path, target, sizeof target - 1)) >= 0) {
		target[n] = '\0';
		mstate_link(st, target);
	}
	free(path);
}

/* A state from the guest's words (manifest or change record). */
static void
mstate_guest(struct mstate *st, char type, int64_t size, int64_t mtime,
             uint32_t mode, const char *target)
{
	memset(st, 0, sizeof *st);
	if (type == 'f') {
		st->type = 'f';
		st->size = size;
		st->mtime = mtime;
		st->mode = mode & 07777;
	} else if (type == 'd') {
		st->type = 'd';
		st->mode = mode & 07777;
	} else if (type == 'l')
		mstate_link(st, target != NULL ? target : "");
}

static struct mbase *
mbase_get(struct msync *ms, const char *path)
{
	uint32_t h = util_hash(path, strlen(path));
	struct mbase *b;

	if (ms->nb == 0)
		return NULL;
	for (b = ms->bb[h % ms->nb]; b != NULL; b = b->next) {
		if (b->hash == h && strcmp(b->path, path) == 0)
			return b;
	}
	return NULL;
}

static void
mbase_set(struct msync *ms, const char *path, const struct mstate *st)
{
	uint32_t h = util_hash(path, strlen(path));
	struct mbase *b = mbase_get(ms, path), **nbb, *next;
	size_t i, nnb;

	ms->base_dirty = 1;
	if (b != NULL) {
		b->st = *st;
		b->gen = ms->gen;
		return;
	}
	if (ms->bn >= ms->nb) {
		nnb = ms->nb * 2 + 1024;
		nbb = xcalloc(nnb, sizeof *nbb);
		for (i = 0; i < ms->nb; i++) {
			for (b = ms->bb[i]; b != NULL; b = next) {
				next = b->next;
				b->next = nbb[b->hash % nnb];
				nbb[b->hash % nnb] = b;
			}
		}
		free(ms->bb);
		ms->bb = nbb;
		ms->nb = nnb;
	}
	b = xcalloc(1, sizeof *b);
	b->path = xstrdup(path);
	b->hash = h;
	b->st = *st;
	b->gen = ms->gen;
	b->next = ms->bb[h % ms->nb];
	ms->bb[h % ms->nb] = b;
	ms->bn++;
}

/* Forget path and, when tree, everything under it. */
static void
mbase_del(struct msync *ms, const char *path, int tree)
{
	size_t i, n = strlen(path);
	struct mbase **pp, *b;

	for (i = 0; i < ms->nb; i++) {
		if (!tree && i != util_hash(path, n) % ms->nb)
			continue;
		for (pp = &ms->bb[i]; (b = *pp) != NULL;) {
			if (strcmp(b->path, path) == 0 ||
			    (tree && strncmp(b->path, path, n) == 0 &&
			     b->path[n] == '/')) {
				*pp = b->next;
				free(b->path);
				free(b);
				ms->bn--;
				ms->base_dirty = 1;
			} else
				pp = &b->next;
		}
	}
}

static void
mbase_clear(struct msync *ms)
{
	size_t i;
	struct mbase *b, *next;

	for (i = 0; i < ms->nb; i++) {
		for (b = ms->bb[i]; b != NULL; b = next) {
			next = b->next;
			free(b->path);
			free(b);
		}
	}
	free(ms->bb);
	ms->bb = NULL;
	ms->nb = ms->bn = 0;
}

/* A rename: path and what is under it are now under `to`. */
static void
mbase_rename(struct msync *ms, const char *path, const char *to)
{
	size_t n = strlen(path), i, k = 0, cap = 0;
	struct mbase *b;
	char **old = NULL, *np;
	struct mstate *sts = NULL;

	for (i = 0; i < ms->nb; i++) {
		for (b = ms->bb[i]; b != NULL; b = b->next) {
			if (strcmp(b->path, path) != 0 &&
			    (strncmp(b->path, path, n) != 0 ||
			     b->path[n] != '/'))
				continue;
			if (k == cap) {
				cap = cap * 2 + 16;
				old = xreallocarray(old, cap, sizeof *old);
				sts = xreallocarray(sts, cap, sizeof *sts);
			}
			old[k] = xstrdup(b->path);
			sts[k++] = b->st;
		}
	}
	for (i = 0; i < k; i++) {
		np = xasprintf("%s%s", to, old[i] + n);
		mbase_del(ms, old[i], 0);
		mbase_set(ms, np, &sts[i]);
		free(np);
		free(old[i]);
	}
	free(old);
	free(sts);
}

/* Forget what the last first sync saw on neither side. */
static void
mbase_prune(struct msync *ms)
{
	struct mbase **pp, *b;
	size_t i;

	for (i = 0; i < ms->nb; i++) {
		for (pp = &ms->bb[i]; (b = *pp) != NULL;) {
			if (b->gen != ms->gen) {
				*pp = b->next;
				free(b->path);
				free(b);
				ms->bn--;
				ms->base_dirty = 1;
			} else
				pp = &b->next;
		}
	}
}

#define MBASE_MAGIC "berth-sync-base 1 "

/*
 * Save the base (temporary file, fsync, rename): "T SIZE MTIME MODE
 * PLEN\n" PATH per entry. A lost or stale base loses nothing: a side
 * that differs from it counts as changed, and a change on both sides is
 * a conflict, which keeps both.
 */
static void
mbase_save(struct msync *ms)
{
	char *buf, *cause = NULL;
	size_t len, cap = 65536, i, pl;
	struct mbase *b;
	int n;

	if (ms->base_path == NULL || !ms->base_dirty)
		return;
	buf = xmalloc(cap);
	len = (size_t)snprintf(buf, cap, "%s%s\n", MBASE_MAGIC, ms->copy_id);
	for (i = 0; i < ms->nb; i++) {
		for (b = ms->bb[i]; b != NULL; b = b->next) {
			pl = strlen(b->path);
			if (cap - len < pl + MSYNC_LINE_MAX) {
				cap = cap * 2 + pl + MSYNC_LINE_MAX;
				buf = xreallocarray(buf, cap, 1);
			}
			n = snprintf(
			    buf + len, cap - len, "%c %lld %lld %lu %llu %zu\n",
			    b->st.type, (long long)b->st.size,
			    (long long)b->st.mtime, (unsigned long)b->st.mode,
			    (unsigned long long)b->st.ino, pl);
			len += (size_t)n;
			memcpy(buf + len, b->path, pl);
			len += pl;
		}
	}
	if (util_write_file_atomic(ms->base_path, buf, len, 0600, 0, &cause) !=
	    0) {
		msync_error(ms, "%s", cause);
		free(cause);
	} else
		ms->base_dirty = 0;
	ms->base_save_at = util_mono_ms() + MSYNC_BASE_SAVE_MS;
	free(buf);
}

/* Read the saved base; none (a first sync) is an empty base. */
static void
mbase_load(struct msync *ms)
{
	char *text, *p, *end, *nl;
	unsigned long long pl, ino;
	unsigned long mode;
	long long size, mtime;
	struct mstate st;
	char t, *path;
	size_t len;

	mbase_clear(ms);
	if (ms->base_path == NULL ||
	    (text = util_read_file(ms->base_path, &len, NULL)) == NULL)
		return;
	end = text + len;
	p = text;
	if (len < strlen(MBASE_MAGIC) ||
	    memcmp(p, MBASE_MAGIC, strlen(MBASE_MAGIC)) != 0) {
		free(text);
		return;
	}
	p += strlen(MBASE_MAGIC);
	if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL || nl - p != 16) {
		free(text);
		return;
	}
	memcpy(ms->copy_id, p, 16);
	ms->copy_id[16] = '\0';
	for (p = nl + 1; p < end; p = nl + 1 + pl) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL ||
		    sscanf(p, "%c %lld %lld %lu %llu %llu", &t, &size, &mtime,
		           &mode, &ino, &pl) != 6 ||
		    pl == 0 || pl > (unsigned long long)(end - nl - 1))
			break;
		path = xstrndup(nl + 1, (size_t)pl);
		memset(&st, 0, sizeof st);
		st.type = t;
		st.size = size;
		st.mtime = mtime;
		st.mode = (uint32_t)mode;
		st.ino = (uint64_t)ino;
		if (msync_path_ok(path) && (t == 'f' || t == 'd' || t == 'l'))
			mbase_set(ms, path, &st);
		free(path);
	}
	ms->base_dirty = 0;
	free(text);
}
/* After the guest's acknowledgement: the sent states become the base. */
static void
mpend_apply(struct msync *ms, int ok)
{
	size_t i;

	for (i = 0; i < ms->npend; i++) {
		if (ok && ms->pend[i].to != NULL)
			mbase_rename(ms, ms->pend[i].path, ms->pend[i].to);
		else if (ok && ms->pend[i].st.type == 0)
			mbase_del(ms, ms->pend[i].path, 1);
		else if (ok && ms->pend[i].st.type != 'r')
			mbase_set(ms, ms->pend[i].path, &ms->pend[i].st);
		free(ms->pend[i].path);
		free(ms->pend[i].to);
	}
	ms->npend = 0;
}

static void
mpend_add(struct msync *ms, const char *path, const struct mstate *st)
{
	if (!ms->both)
		return;
	if (ms->npend == ms->cpend) {
		ms->cpend = ms->cpend * 2 + 256;
		ms->pend = xreallocarray(ms->pend, ms->cpend, sizeof *ms->pend);
	}
	ms->pend[ms->npend].path = xstrdup(path);
	ms->pend[ms->npend].st = *st;
	ms->pend[ms->npend].to = NULL;
	ms->npend++;
}

/* Send the host's path as it is now (both ways: its state is the base
 * once the guest has it). */
static int
msync_send_two(struct msync *ms, const char *rel, uint64_t *bytes, char **cause)
{
	struct mstate st;
	int r;

	mstate_host(ms, rel, &st);
	r = msync_send_path(ms, rel, bytes, cause);
	if (r == 0)
		mpend_add(ms, rel, &st);
	return r;
}

/* Is this one of berth's own names (a guest file on its way in)? */
static int
msync_own_name(const char *rel)
{
	const char *base = strrchr(rel, '/');

	base = base != NULL ? base + 1 : rel;
	return strncmp(base, MSYNC_TMP_PREFIX, strlen(MSYNC_TMP_PREFIX)) == 0;
}

static void
msync_count_conflict(struct msync *ms, const char *path, const char *kept)
{
	pthread_mutex_lock(&ms->lock);
	ms->st.conflicts++;
	snprintf(ms->st.conflict, sizeof ms->st.conflict, "%s", kept);
	pthread_mutex_unlock(&ms->lock);
	msync_error(ms, "%s: changed on both sides; %s", path,
	            *kept != '\0' ? kept : "kept the changed copy");
}

/* "NAME.conflict-GUEST-TIME", free on the host, for the guest's copy
 * that lost (caller frees). */
static char *
msync_conflict_name(struct msync *ms, const char *rel)
{
	const char *who = *ms->guest_name != '\0' ? ms->guest_name : "guest";
	char when[32], *name, *path;
	struct stat sb;
	struct tm tm;
	time_t now = time(NULL);
	int i;

	localtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y%m%d-%H%M%S", &tm);
	name = xasprintf("%s.conflict-%s-%s", rel, who, when);
	for (i = 1;; i++) {
		path = xasprintf("%s/%s", ms->host, name);
		if (lstat(path, &sb) != 0) {
			free(path);
			return name;
		}
		free(path);
		free(name);
		name = xasprintf("%s.conflict-%s-%s-%d", rel, who, when, i);
	}
}

/* Make the host folders above rel (a file in the way: -1). */
static int
msync_host_parents(struct msync *ms, const char *rel)
{
	char *path = xasprintf("%s/%s", ms->host, rel), *s;
	size_t root = strlen(ms->host);
	struct stat sb;
	int rc = 0;

	for (s = path + root + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		if (lstat(path, &sb) != 0) {
			if (mkdir(path, 0755) != 0 && errno != EEXIST)
				rc = -1;
		} else if (!S_ISDIR(sb.st_mode))
			rc = -1;
		*s = '/';
		if (rc != 0)
			break;
	}
	free(path);
	return rc;
}

/* Read and drop n bytes of the receiver's output. */
static int
msync_drop(struct msync *ms, uint64_t n, char **cause)
{
	size_t t;

	while (n > 0) {
		if (ms->rlen == 0 && msync_fill(ms, cause) != 0)
			return -1;
		t = ms->rlen < n ? ms->rlen : (size_t)n;
		memmove(ms->rbuf, ms->rbuf + t, ms->rlen - t);
		ms->rlen -= t;
		n -= t;
	}
	return 0;
}

/*
 * A guest file's bytes (n of them, in the receiver's output) into a
 * temporary file beside host path `dst`, mode and mtime set; it is
 * renamed in at the end of the answer. Returns -1 when the connection
 * failed; a host-side failure is counted and the bytes are skipped.
 */
static int
msync_take_file(struct msync *ms, const char *rel, const char *dst,
                const struct mstate *st, int base, char **cause)
{
	char *dir = util_dirname(dst), *tmp;
	uint64_t left = (uint64_t)st->size;
	struct timespec tv[2];
	size_t take;
	int fd, bad = 0;

	tmp = xasprintf("%s/%sXXXXXX", dir, MSYNC_TMP_PREFIX);
	free(dir);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd == -1)
		bad = errno;
	while (left > 0) {
		if (ms->rlen == 0 && msync_fill(ms, cause) != 0) {
			if (fd != -1) {
				close(fd);
				unlink(tmp);
			}
			free(tmp);
			return -1;
		}
		take = ms->rlen < left ? ms->rlen : (size_t)left;
		if (fd != -1 && !bad &&
		    write(fd, ms->rbuf, take) != (ssize_t)take)
			bad = errno != 0 ? errno : EIO;
		memmove(ms->rbuf, ms->rbuf + take, ms->rlen - take);
		ms->rlen -= take;
		left -= take;
	}
	if (fd != -1 && !bad) {
		tv[0].tv_sec = tv[1].tv_sec = (time_t)st->mtime;
		tv[0].tv_nsec = tv[1].tv_nsec = 0;
		if (fchmod(fd, st->mode & 07777) != 0 || futimens(fd, tv) != 0)
			bad = errno;
	}
	if (fd != -1)
		close(fd);
	if (bad) {
		if (fd != -1)
			unlink(tmp);
		free(tmp);
		pthread_mutex_lock(&ms->lock);
		ms->st.failed++;
		pthread_mutex_unlock(&ms->lock);
		msync_error(ms, "%s: cannot write it on the host: %s", rel,
		            strerror(bad));
		return 0;
	}
	if (ms->nren == ms->cren) {
		ms->cren = ms->cren * 2 + 64;
		ms->ren = xreallocarray(ms->ren, ms->cren, sizeof *ms->ren);
	}
	ms->ren[ms->nren].tmp = tmp;
	ms->ren[ms->nren].dst = xstrdup(dst);
	ms->ren[ms->nren].path = xstrdup(rel);
	ms->ren[ms->nren].st = *st;
	ms->ren[ms->nren].base = base;
	ms->nren++;
	return 0;
}

static void
mrename_clear(struct mrename *r)
{
	free(r->tmp);
	free(r->dst);
	free(r->path);
}

/* The answer is read: make the written files durable (one syncfs), then
 * rename them in; each becomes the base. */
static void
msync_renames(struct msync *ms)
{
	size_t i;
	int fd;

	if (ms->nren == 0)
		return;
	if ((fd = open(ms->host, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)platform_sync_fs(fd);
		close(fd);
	}
	for (i = 0; i < ms->nren; i++) {
		if (rename(ms->ren[i].tmp, ms->ren[i].dst) == 0) {
			struct stat sb;

			if (lstat(ms->ren[i].dst, &sb) == 0)
				ms->ren[i].st.ino = (uint64_t)sb.st_ino;
			if (ms->ren[i].base)
				mbase_set(ms, ms->ren[i].path, &ms->ren[i].st);
		} else {
			unlink(ms->ren[i].tmp);
			pthread_mutex_lock(&ms->lock);
			ms->st.failed++;
			pthread_mutex_unlock(&ms->lock);
			msync_error(ms, "%s: cannot write it on the host: %s",
			            ms->ren[i].path, strerror(errno));
		}
		mrename_clear(&ms->ren[i]);
	}
	ms->nren = 0;
}

/* The connection failed mid-answer: the files not renamed in go. */
static void
msync_renames_drop(struct msync *ms)
{
	size_t i;

	for (i = 0; i < ms->nren; i++) {
		unlink(ms->ren[i].tmp);
		mrename_clear(&ms->ren[i]);
	}
	ms->nren = 0;
}

/*
 * Delete host path rel, which the guest deleted: a folder with what it
 * holds that is still as both sides last agreed; what the host changed
 * or added in it since stays (and goes to the guest).
 */
static void
msync_host_delete(struct msync *ms, const char *rel, const struct mstate *hs)
{
	char *path = xasprintf("%s/%s", ms->host, rel), *sub;
	struct mstate cs;
	struct mbase *b;
	struct dirent *de;
	DIR *d;
	int rc;

	if (hs->type == 'd' && (d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			sub = xasprintf("%s/%s", rel, de->d_name);
			mstate_host(ms, sub, &cs);
			b = mbase_get(ms, sub);
			if (cs.type != 0 && b != NULL &&
			    mstate_same(&cs, &b->st))
				msync_host_delete(ms, sub, &cs);
			free(sub);
		}
		closedir(d);
	}
	rc = hs->type == 'd' ? rmdir(path) : unlink(path);
	if (rc == 0 || errno == ENOENT) {
		mbase_del(ms, rel, 1);
		pthread_mutex_lock(&ms->lock);
		ms->st.fetched++;
		pthread_mutex_unlock(&ms->lock);
	} else if (hs->type == 'd' && (errno == ENOTEMPTY || errno == EEXIST))
		mbase_del(ms, rel, 0);
	else {
		pthread_mutex_lock(&ms->lock);
		ms->st.failed++;
		pthread_mutex_unlock(&ms->lock);
		msync_error(ms, "%s: cannot delete it on the host: %s", rel,
		            strerror(errno));
	}
	free(path);
}

/*
 * A guest change under an ignored folder, the first len bytes of rel (or
 * an ignored folder): tell the receiver once per connection, so it stops
 * reporting what happens in it (a build cache's churn would otherwise
 * travel to be dropped here). Paths named by a file glob still travel.
 */
static void
msync_tell_ignored(struct msync *ms, const char *rel, size_t len)
{
	char *dir;
	size_t i;

	if (!ms->both)
		return;
	dir = xstrndup(rel, len);
	for (i = 0; i < ms->ign.n; i++) {
		if (strcmp(ms->ign.v[i], dir) == 0)
			break;
	}
	if (i == ms->ign.n) {
		mlist_add(&ms->ign, dir);
		msync_frame(ms, 'I', 0, 0, 0, dir);
	}
	free(dir);
}

/*
 * One guest change (a record of the receiver's "C" answer; a file's
 * bytes follow in the stream): applied to the host unless the host
 * changed the path too since the base, which is a conflict: the host's
 * copy stays and the guest's is kept beside it as NAME.conflict-HOST-
 * TIME (a file or link), or, for a guest delete, the host's copy goes
 * back to the guest. Returns -1 when the connection failed.
 */
static int
msync_take(struct msync *ms, const struct mstate *gs, const char *rel,
           const char *target, char **cause)
{
	struct mstate hs;
	struct mbase *b;
	char *dst, *name = NULL, *lnk;
	uint64_t bytes;
	int skip, ignored, host_same, rc = 0;
	size_t ilen;

	ignored = msync_path_ok(rel) &&
	          msync_ignored_at(ms, rel, gs->type == 'd', &ilen);
	skip = !msync_path_ok(rel) || msync_own_name(rel) || ignored ||
	       (gs->type == 'l' && !msync_link_ok(rel, target));
	if (skip) {
		if (ignored) {
			pthread_mutex_lock(&ms->lock);
			ms->st.dropped++;
			pthread_mutex_unlock(&ms->lock);
			if (ilen > 0) /* a folder, not a file glob */
				msync_tell_ignored(ms, rel, ilen);
		}
		return gs->type == 'f'
		           ? msync_drop(ms, (uint64_t)gs->size, cause)
		           : 0;
	}
	mstate_host(ms, rel, &hs);
	b = mbase_get(ms, rel);
	host_same = b != NULL ? mstate_same(&hs, &b->st) : hs.type == 0;
	if (gs->type == 0) { /* gone in the guest */
		if (hs.type == 0)
			mbase_del(ms, rel, 1);
		else if (b != NULL && host_same)
			msync_host_delete(ms, rel, &hs);
		else {
			msync_count_conflict(ms, rel, "");
			rc =
			    msync_send_two(ms, rel, &bytes, cause) < 0 ? -1 : 0;
		}
		return rc;
	}
	if (hs.type != 0 && mstate_same(&hs, gs)) {
		mbase_set(ms, rel, gs);
		return gs->type == 'f'
		           ? msync_drop(ms, (uint64_t)gs->size, cause)
		           : 0;
	}
	if (gs->type == 'd' && hs.type == 'd') {
		if (host_same) {
			dst = xasprintf("%s/%s", ms->host, rel);
			(void)chmod(dst, gs->mode & 07777);
			free(dst);
		}
		mbase_set(ms, rel, gs);
		return 0;
	}
	if (hs.type != 0 && !host_same) {
		/* Changed on both sides: the host's stays. */
		name = msync_conflict_name(ms, rel);
		msync_count_conflict(ms, rel, name);
		rel = name;
		if (gs->type == 'd') {
			free(name);
			return 0;
		}
	}
	if (msync_host_parents(ms, rel) != 0) {
		msync_error(ms, "%s: a parent on the host is not a folder",
		            rel);
		pthread_mutex_lock(&ms->lock);
		ms->st.failed++;
		pthread_mutex_unlock(&ms->lock);
		rc = gs->type == 'f' ? msync_drop(ms, (uint64_t)gs->size, cause)
		                     : 0;
		free(name);
		return rc;
	}
	dst = xasprintf("%s/%s", ms->host, rel);
	pthread_mutex_lock(&ms->lock);
	ms->st.fetched++;
	ms->st.fetched_bytes += gs->type == 'f' ? (uint64_t)gs->size : 0;
	pthread_mutex_unlock(&ms->lock);
	if (gs->type == 'f') {
		if (hs.type == 'd' && name == NULL)
			msync_host_delete(ms, rel, &hs);
		rc = msync_take_file(ms, rel, dst, gs, name == NULL, cause);
	} else if (gs->type == 'd') {
		if (hs.type != 0 && hs.type != 'd')
			(void)unlink(dst);
		if (mkdir(dst, gs->mode & 07777) == 0 || errno == EEXIST)
			mbase_set(ms, rel, gs);
	} else {
		lnk = xasprintf("%s.%sl", dst, MSYNC_TMP_PREFIX);
		(void)unlink(lnk);
		if (symlink(target, lnk) == 0 && rename(lnk, dst) == 0) {
			if (name == NULL)
				mbase_set(ms, rel, gs);
		} else
			(void)unlink(lnk);
		free(lnk);
	}
	free(dst);
	free(name);
	return rc;
}

/*
 * A guest rename of `from` to `to` (an "r" record): the host renames its
 * copy too, so its watchers see a rename and no byte travels, when the
 * host's copy is as both sides last agreed and nothing is at `to`. Else
 * it is taken as the guest deleting `from` and the guest is asked for
 * `to` whole ("G"). Returns -1 when the connection failed.
 */
static int
msync_take_rename(struct msync *ms, const char *from, const char *to,
                  char **cause)
{
	struct mstate hs, ht, gone;
	struct mbase *b;
	char *hf, *hto;
	int ok = 0;

	if (msync_path_ok(from) && msync_path_ok(to) && !msync_own_name(from) &&
	    !msync_own_name(to)) {
		mstate_host(ms, from, &hs);
		mstate_host(ms, to, &ht);
		b = mbase_get(ms, from);
		ok = hs.type != 0 && b != NULL && mstate_same(&hs, &b->st) &&
		     ht.type == 0 && mbase_get(ms, to) == NULL &&
		     !msync_ignored(ms, from, hs.type == 'd') &&
		     !msync_ignored(ms, to, hs.type == 'd') &&
		     msync_host_parents(ms, to) == 0;
	}
	if (ok) {
		hf = xasprintf("%s/%s", ms->host, from);
		hto = xasprintf("%s/%s", ms->host, to);
		ok = rename(hf, hto) == 0;
		free(hf);
		free(hto);
	}
	if (ok) {
		mbase_rename(ms, from, to);
		pthread_mutex_lock(&ms->lock);
		ms->st.renamed++;
		pthread_mutex_unlock(&ms->lock);
		return 0;
	}
	memset(&gone, 0, sizeof gone);
	if (msync_take(ms, &gone, from, "", cause) != 0)
		return -1;
	if (msync_path_ok(to))
		msync_frame(ms, 'G', 1, 0, 0, to); /* with what it holds */
	return 0;
}

/*
 * Ask the receiver for the guest's changes since the last time ("C")
 * and take them; what a conflict sends back goes in one more batch.
 */
static int
msync_collect(struct msync *ms, char **cause)
{
	char line[MSYNC_LINE_MAX], t, *p, *g;
	unsigned long long mode, pl, tl;
	long long size, mtime, ctime;
	struct mstate gs;
	int rc;

	msync_put(ms, "C 0 0 0 0\n", 10);
	if (msync_flush(ms, cause) != 0)
		return -1;
	for (;;) {
		if (msync_read_line(ms, line, sizeof line, cause) != 0)
			return -1;
		if (strcmp(line, "END") == 0)
			break;
		if (strcmp(line, "O") == 0) {
			/* The guest's event queue overflowed: compare all. */
			ms->need_full = 1;
			continue;
		}
		if (sscanf(line, "E %llu %llu", &pl, &tl) == 2 &&
		    pl < MSYNC_PATH_MAX && tl < MSYNC_PATH_MAX) {
			if (msync_read_two(ms, pl, tl, &p, &g, cause) != 0)
				return -1;
			msync_error(ms, "%s%s%s", p, *p != '\0' ? ": " : "", g);
			free(p);
			free(g);
			continue;
		}
		if (sscanf(line, "%c %lld %lld %lld %llu %llu %llu", &t, &size,
		           &mtime, &ctime, &mode, &pl, &tl) != 7 ||
		    strchr("fdlxr", t) == NULL || size < 0 || pl == 0 ||
		    pl >= MSYNC_PATH_MAX || tl >= MSYNC_PATH_MAX) {
			util_set_cause(cause, "bad change record from the "
			                      "guest");
			return -1;
		}
		if (msync_read_two(ms, pl, tl, &p, &g, cause) != 0)
			return -1;
		if (t == 'r') {
			rc = msync_take_rename(ms, p, g, cause);
		} else {
			mstate_guest(&gs, t, size, mtime, (uint32_t)mode, g);
			rc = msync_take(ms, &gs, p, g, cause);
		}
		free(p);
		free(g);
		if (rc != 0)
			return -1;
	}
	msync_renames(ms);
	if (ms->batch_ops > 0)
		return msync_ack(ms, cause);
	return 0;
}

/* The first two-way sync's plan: what goes each way. */
struct msync_two {
	struct msync *ms;
	struct mlist send, fetch, conflict, hdel;
	uint64_t bytes, all_files, all_bytes;
};

/* A guest manifest entry as a state (a file cut short is absent). */
static int
msync_entry_state(const struct msync_entry *g, struct mstate *st)
{
	if (g == NULL || (g->type == 'f' && g->mtime == 0)) {
		memset(st, 0, sizeof *st);
		return 0;
	}
	mstate_guest(st, g->type, g->size, g->mtime, g->mode, g->target);
	return st->type != 0;
}

static void
msync_plan_two(const struct scan_entry *e, void *arg)
{
	struct msync_two *pl = arg;
	struct msync *ms = pl->ms;
	struct msync_entry *g;
	struct mstate hs, gs;
	struct mbase *b;

	if (e->type == SCAN_OTHER || !msync_path_ok(e->path) ||
	    msync_own_name(e->path))
		return;
	if (e->type == SCAN_FILE) {
		pl->all_files++;
		pl->all_bytes += (uint64_t)e->size;
	}
	if ((g = msync_find(ms, e->path)) != NULL)
		g->seen = 1;
	if ((b = mbase_get(ms, e->path)) != NULL)
		b->gen = ms->gen;
	mstate_host(ms, e->path, &hs);
	if (hs.type == 0)
		return; /* gone since the pass: its change comes next */
	if (msync_entry_state(g, &gs) && mstate_same(&hs, &gs)) {
		mbase_set(ms, e->path, &hs); /* in step */
		return;
	}
	if (gs.type == 0) {
		/* Not in the guest: deleted there, or new on the host. */
		if (b != NULL && mstate_same(&hs, &b->st))
			mlist_add(&pl->hdel, e->path);
		else {
			mlist_add(&pl->send, e->path);
			pl->bytes += hs.type == 'f' ? (uint64_t)hs.size : 0;
		}
	} else if ((hs.type == 'd' && gs.type == 'd') ||
	           (b != NULL && mstate_same(&gs, &b->st))) {
		mlist_add(&pl->send, e->path); /* the host changed it */
		pl->bytes += hs.type == 'f' ? (uint64_t)hs.size : 0;
	} else if (b != NULL && mstate_same(&hs, &b->st))
		mlist_add(&pl->fetch, e->path); /* the guest changed it */
	else {
		mlist_add(&pl->conflict, e->path); /* both did */
		pl->bytes += hs.type == 'f' ? (uint64_t)hs.size : 0;
	}
}

static void
msync_count_entry(const struct scan_entry *e, void *arg)
{
	(void)e;
	(*(size_t *)arg)++;
}

/* Can guest folder m[i], which the host lacks, go with all it holds
 * (nothing in it is new or changed in the guest, or ignored)? */
static int
msync_dir_deletable(struct msync *ms, size_t i)
{
	const char *d = ms->m[i].path;
	size_t n = strlen(d), j;
	struct mstate gs;
	struct mbase *b;

	for (j = i + 1; j < ms->nm; j++) {
		if (strncmp(ms->m[j].path, d, n) != 0)
			break;
		if (ms->m[j].path[n] != '/')
			continue;
		if (msync_ignored(ms, ms->m[j].path, ms->m[j].type == 'd'))
			return 0;
		if (!msync_entry_state(&ms->m[j], &gs))
			continue;
		b = mbase_get(ms, ms->m[j].path);
		if (b == NULL || !mstate_same(&gs, &b->st))
			return 0;
	}
	return 1;
}

/* Count one entry of the first sync done. */
static void
msync_progress(struct msync *ms, uint64_t bytes)
{
	pthread_mutex_lock(&ms->lock);
	ms->st.done_files++;
	ms->st.done_bytes += bytes;
	pthread_mutex_unlock(&ms->lock);
	msync_publish(ms, 0);
}

/*
 * The first two-way sync after connecting, from the guest's manifest,
 * the host's snapshot and the base: a side equal to the base did not
 * change, so the other side's copy (or deletion) wins; both changed is a
 * conflict (both kept); no base is a change on both sides, except that
 * what only one side has is copied to the other (never deleted).
 */
static int
msync_full_two(struct msync *ms, const struct scan *s, char **cause)
{
	struct msync_two pl = {.ms = ms};
	struct msync_entry *g;
	struct mstate gs, hs, none = {0};
	struct mbase *b;
	const char *last_del = NULL;
	uint64_t bytes;
	size_t i, ld = 0;
	int rc = -1, r;

	/* A side that is empty while the base is not was more likely
	 * replaced (a wiped folder, a new disk) than emptied on purpose:
	 * merge, delete nothing. */
	if (ms->bn > 0) {
		size_t nhost = 0;

		scan_each_entry(s, msync_count_entry, &nhost);
		if (nhost == 0 || ms->nm == 0) {
			msync_error(ms,
			            "the %s copy was empty: merged with the "
			            "other, nothing deleted",
			            nhost == 0 ? "host's" : "guest's");
			mbase_clear(ms);
		}
	}
	ms->gen++;
	scan_each_entry(s, msync_plan_two, &pl);
	for (i = 0; i < ms->nm; i++) {
		g = &ms->m[i];
		if (g->seen || !msync_path_ok(g->path) ||
		    msync_own_name(g->path) ||
		    msync_ignored(ms, g->path, g->type == 'd'))
			continue;
		if (last_del != NULL && strncmp(g->path, last_del, ld) == 0 &&
		    g->path[ld] == '/')
			continue;
		if ((b = mbase_get(ms, g->path)) != NULL)
			b->gen = ms->gen;
		if (!msync_entry_state(g, &gs) ||
		    (b != NULL && mstate_same(&gs, &b->st))) {
			/* The host deleted it (or it was cut short). */
			if (g->type == 'd' && !msync_dir_deletable(ms, i)) {
				mlist_add(&pl.fetch, g->path);
				continue;
			}
			msync_frame(ms, 'X', 0, 0, 0, g->path);
			mpend_add(ms, g->path, &none);
			last_del = g->path;
			ld = strlen(last_del);
			pthread_mutex_lock(&ms->lock);
			ms->st.deleted++;
			pthread_mutex_unlock(&ms->lock);
			if (msync_maybe_ack(ms, cause) != 0)
				goto out;
		} else
			mlist_add(&pl.fetch, g->path); /* new in the guest */
	}
	pthread_mutex_lock(&ms->lock);
	ms->st.copy_files = pl.send.n + pl.conflict.n + pl.fetch.n;
	ms->st.copy_bytes = pl.bytes;
	ms->st.done_files = ms->st.done_bytes = 0;
	ms->st.files = pl.all_files;
	ms->st.bytes = pl.all_bytes;
	pthread_mutex_unlock(&ms->lock);
	msync_set_state(ms, MSYNC_COPYING);
	for (i = 0; i < pl.conflict.n; i++) {
		/* The guest's copy is kept under a conflict name. */
		msync_frame(ms, 'K', 0, 0, 0, pl.conflict.v[i]);
		mlist_add(&pl.send, pl.conflict.v[i]);
	}
	for (i = 0; i < pl.send.n; i++) {
		if ((r = msync_send_two(ms, pl.send.v[i], &bytes, cause)) < 0)
			goto out;
		pthread_mutex_lock(&ms->lock);
		ms->st.sent_files += r == 0;
		ms->st.sent_bytes += bytes;
		pthread_mutex_unlock(&ms->lock);
		msync_progress(ms, bytes);
		if (msync_maybe_ack(ms, cause) != 0)
			goto out;
	}
	for (i = 0; i < pl.fetch.n; i++) {
		msync_frame(ms, 'G', 0, 0, 0, pl.fetch.v[i]);
		msync_progress(ms, 0);
	}
	if (msync_ack(ms, cause) != 0)
		goto out;
	/* What the guest deleted goes on the host, the deepest first, and
	 * only while the host's copy is still the base's. */
	for (i = pl.hdel.n; i-- > 0;) {
		mstate_host(ms, pl.hdel.v[i], &hs);
		b = mbase_get(ms, pl.hdel.v[i]);
		if (hs.type != 0 && b != NULL && mstate_same(&hs, &b->st))
			msync_host_delete(ms, pl.hdel.v[i], &hs);
	}
	if (msync_collect(ms, cause) != 0)
		goto out;
	mbase_prune(ms);
	mbase_save(ms);
	ms->need_full = 0;
	pthread_mutex_lock(&ms->lock);
	ms->st.done_files = ms->st.copy_files;
	ms->st.done_bytes = ms->st.copy_bytes;
	pthread_mutex_unlock(&ms->lock);
	msync_set_state(ms, MSYNC_WATCHING);
	rc = 0;
out:
	mlist_free(&pl.send);
	mlist_free(&pl.fetch);
	mlist_free(&pl.conflict);
	mlist_free(&pl.hdel);
	return rc;
}

/* Send host path rel and, for a folder, everything in it. */
static int
msync_send_tree(struct msync *ms, const char *rel, char **cause)
{
	char *path, *sub;
	struct dirent *de;
	struct stat sb;
	uint64_t bytes;
	DIR *d;
	int rc = 0;

	if (msync_send_two(ms, rel, &bytes, cause) < 0)
		return -1;
	path = xasprintf("%s/%s", ms->host, rel);
	if (lstat(path, &sb) != 0 || !S_ISDIR(sb.st_mode) ||
	    (d = opendir(path)) == NULL) {
		free(path);
		return 0;
	}
	free(path);
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		sub = xasprintf("%s/%s", rel, de->d_name);
		if (!msync_own_name(sub) &&
		    !msync_ignored(ms, sub, de->d_type == DT_DIR))
			rc = msync_send_tree(ms, sub, cause);
		free(sub);
	}
	closedir(d);
	return rc;
}

/* The guest answered N for the rename to `to`: its base stays as it
 * was; the old path is deleted and the new one sent whole after it. */
static void
msync_rename_failed(struct msync *ms, const char *to)
{
	size_t i;

	for (i = 0; i < ms->npend; i++) {
		if (ms->pend[i].to == NULL || strcmp(ms->pend[i].to, to) != 0)
			continue;
		if (ms->nredo + 2 > ms->credo) {
			ms->credo = ms->credo * 2 + 16;
			ms->redo = xreallocarray(ms->redo, ms->credo,
			                         sizeof *ms->redo);
		}
		ms->redo[ms->nredo++] = ms->pend[i].path;
		ms->redo[ms->nredo++] = ms->pend[i].to;
		ms->pend[i].path = xstrdup("");
		ms->pend[i].to = NULL;
		ms->pend[i].st.type = 'r'; /* nothing to do at the answer */
		return;
	}
}

/* After an answer: the renames it refused, as a delete and a copy. */
static int
msync_redo(struct msync *ms, char **cause)
{
	struct mstate none = {0};
	size_t i, n = ms->nredo;
	char **v = ms->redo;
	int rc = 0;

	if (n == 0)
		return 0;
	ms->redo = NULL;
	ms->nredo = ms->credo = 0;
	for (i = 0; i + 1 < n; i += 2) {
		if (rc == 0) {
			msync_frame(ms, 'X', 0, 0, 0, v[i]);
			mpend_add(ms, v[i], &none);
			rc = msync_send_tree(ms, v[i + 1], cause);
		}
		free(v[i]);
		free(v[i + 1]);
	}
	free(v);
	return rc == 0 ? msync_ack(ms, cause) : -1;
}

/* Is path `p` rel or under it? */
static int
msync_under(const char *p, const char *rel)
{
	size_t n = strlen(rel);

	return strncmp(p, rel, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

/* A rename found in a pass: a path gone from the host whose base inode
 * (and, for a file, size, mtime and mode) is a new path's now. */
struct mmove {
	const char *from, *to;
	int dir;
};

/*
 * Renames among a pass's changes, sent as such ("R": the guest renames
 * its copy, so its kernel raises IN_MOVED_FROM and IN_MOVED_TO) before
 * the other changes. Returns how many were found, in *mv (caller frees).
 */
static size_t
msync_moves(struct msync *ms, const struct scan_changes *ch, struct mmove **mv)
{
	struct mstate hs, gone_st;
	struct mbase *b;
	size_t i, j, k, n = 0, cap = 0;
	const char **gone = NULL;
	size_t ngone = 0;

	*mv = NULL;
	for (i = 0; i < ch->n; i++) {
		const char *p = ch->v[i].path;

		if (*p == '\0' || !msync_path_ok(p) ||
		    (b = mbase_get(ms, p)) == NULL || b->st.ino == 0)
			continue;
		mstate_host(ms, p, &hs);
		if (hs.type != 0)
			continue;
		gone = xreallocarray(gone, ngone + 1, sizeof *gone);
		gone[ngone++] = p;
	}
	for (i = 0; i < ch->n && ngone > 0; i++) {
		const char *p = ch->v[i].path;

		if (*p == '\0' || !msync_path_ok(p) || msync_own_name(p) ||
		    mbase_get(ms, p) != NULL ||
		    msync_ignored(ms, p, ch->v[i].type == SCAN_DIR))
			continue;
		for (k = 0; k < n; k++) {
			if ((*mv)[k].dir && msync_under(p, (*mv)[k].to))
				break;
		}
		if (k < n)
			continue; /* moved with its folder */
		mstate_host(ms, p, &hs);
		if (hs.type != 'f' && hs.type != 'd')
			continue;
		for (j = 0; j < ngone; j++) {
			if (gone[j] == NULL)
				continue;
			b = mbase_get(ms, gone[j]);
			gone_st = b->st;
			if (gone_st.ino != hs.ino || gone_st.type != hs.type ||
			    (hs.type == 'f' && !mstate_same(&gone_st, &hs)))
				continue;
			if (n == cap) {
				cap = cap * 2 + 8;
				*mv = xreallocarray(*mv, cap, sizeof **mv);
			}
			(*mv)[n].from = gone[j];
			(*mv)[n].to = p;
			(*mv)[n].dir = hs.type == 'd';
			n++;
			gone[j] = NULL;
			break;
		}
	}
	free(gone);
	return n;
}

/* One host change: a delete when gone, else the path as it is now. */
static int
msync_change(struct msync *ms, const struct scan_change *c, int gone,
             char **cause)
{
	struct mstate none = {0};
	uint64_t bytes;
	int r;

	if (c->mtime_ns > ms->newest_ns)
		ms->newest_ns = c->mtime_ns;
	if (gone) {
		msync_frame(ms, 'X', 0, 0, 0, c->path);
		mpend_add(ms, c->path, &none);
		pthread_mutex_lock(&ms->lock);
		ms->st.deleted++;
		pthread_mutex_unlock(&ms->lock);
	} else {
		r = ms->both ? msync_send_two(ms, c->path, &bytes, cause)
		             : msync_send_path(ms, c->path, &bytes, cause);
		if (r < 0)
			return -1;
		pthread_mutex_lock(&ms->lock);
		ms->st.sent_files += r == 0;
		ms->st.sent_bytes += bytes;
		pthread_mutex_unlock(&ms->lock);
	}
	return msync_maybe_ack(ms, cause);
}

/* Close a pass's batch; its lag is from its newest change (now if the
 * changes carried no time). */
static int
msync_changes_end(struct msync *ms, char **cause)
{
	if (ms->newest_ns == 0) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ms->newest_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	}
	return msync_ack(ms, cause);
}

/* A pass's host changes, both ways: what equals the base is in step
 * already (often the host's side of a guest change berth wrote). */
static int
msync_changes_two(struct msync *ms, const struct scan_changes *ch, char **cause)
{
	const struct scan_change *c;
	struct mstate hs, none = {0};
	struct mmove *mv;
	struct mbase *b;
	size_t i, k, nmv;
	char *old;
	int covered;

	nmv = msync_moves(ms, ch, &mv);
	for (k = 0; k < nmv; k++) {
		msync_frame(ms, 'R', 0, 0, strlen(mv[k].to), mv[k].from);
		msync_put(ms, mv[k].to, strlen(mv[k].to));
		mpend_add(ms, mv[k].from, &none);
		ms->pend[ms->npend - 1].to = xstrdup(mv[k].to);
		pthread_mutex_lock(&ms->lock);
		ms->st.renamed++;
		pthread_mutex_unlock(&ms->lock);
	}
	for (i = 0; i < ch->n; i++) {
		c = &ch->v[i];
		if (*c->path == '\0' || !msync_path_ok(c->path) ||
		    msync_own_name(c->path) ||
		    msync_ignored(ms, c->path, c->type == SCAN_DIR))
			continue;
		mstate_host(ms, c->path, &hs);
		b = mbase_get(ms, c->path);
		/* Covered by a rename: its two ends, what went with a folder
		 * (unchanged since: its base is the old path's). */
		for (covered = 0, k = 0; k < nmv && !covered; k++) {
			if (strcmp(c->path, mv[k].from) == 0 ||
			    strcmp(c->path, mv[k].to) == 0)
				covered = 1;
			else if (mv[k].dir && msync_under(c->path, mv[k].from))
				covered = hs.type == 0;
			else if (mv[k].dir && msync_under(c->path, mv[k].to)) {
				old = xasprintf("%s%s", mv[k].from,
				                c->path + strlen(mv[k].to));
				b = mbase_get(ms, old);
				covered = b != NULL && mstate_same(&hs, &b->st);
				free(old);
			}
		}
		if (covered)
			continue;
		if (hs.type == 0 ? b == NULL
		                 : b != NULL && mstate_same(&hs, &b->st))
			continue;
		if (msync_change(ms, c, hs.type == 0, cause) != 0) {
			free(mv);
			return -1;
		}
	}
	free(mv);
	return ms->batch_ops > 0 ? msync_changes_end(ms, cause) : 0;
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
	if (ms->both) {
		rc = msync_full_two(ms, s, cause);
		goto out;
	}
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
	for (i = 0; i < pl.send.n; i++) {
		if ((r = msync_send_path(ms, pl.send.v[i], &bytes, cause)) < 0)
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
	mlist_free(&pl.send);
	msync_manifest_clear(ms);
	return rc;
}

/* Send a pass's changes (the host as it is now at each path), one batch. */
int
msync_changes(struct msync *ms, const struct scan_changes *ch, char **cause)
{
	const struct scan_change *c;
	size_t i;

	if (ms->both)
		return msync_changes_two(ms, ch, cause);
	if (ch->n == 0)
		return 0;
	for (i = 0; i < ch->n; i++) {
		c = &ch->v[i];
		if (*c->path == '\0' ||
		    msync_ignored(ms, c->path, c->type == SCAN_DIR))
			continue;
		if (msync_change(ms, c, c->kind == SCAN_DELETED, cause) != 0)
			return -1;
	}
	return msync_changes_end(ms, cause);
}

/*
 * In step: send a pass's host changes and, two-way, take the guest's
 * (the base is saved now and then).
 */
int
msync_exchange(struct msync *ms, const struct scan_changes *ch, char **cause)
{
	int rc = msync_changes(ms, ch, cause);

	if (rc == 0 && ms->both && !ms->need_full)
		rc = msync_collect(ms, cause);
	if (ms->both && util_mono_ms() >= ms->base_save_at)
		mbase_save(ms);
	return rc;
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

static void
msync_count_entry_host(const struct scan_entry *e, void *arg)
{
	uint64_t *fb = arg;

	if (e->type == SCAN_FILE && msync_path_ok(e->path) &&
	    !msync_own_name(e->path)) {
		fb[0]++;
		fb[1] += (uint64_t)e->size;
	}
}

/*
 * The host folder's files and bytes as the snapshot has them, counted
 * again after changes (the first sync counts them too), at most every
 * MSYNC_COUNT_MS: a walk of the snapshot, no stat.
 */
static void
msync_recount(struct msync *ms, const struct scan *s,
              const struct scan_changes *ch)
{
	uint64_t fb[2] = {0, 0};

	if (ch != NULL && ch->n > 0)
		ms->recount = 1;
	if (!ms->recount || s == NULL || util_mono_ms() < ms->count_at)
		return;
	scan_each_entry(s, msync_count_entry_host, fb);
	pthread_mutex_lock(&ms->lock);
	ms->st.files = fb[0];
	ms->st.bytes = fb[1];
	pthread_mutex_unlock(&ms->lock);
	ms->recount = 0;
	ms->count_at = util_mono_ms() + MSYNC_COUNT_MS;
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
	else if (rc == 0) {
		rc = msync_exchange(ms, ch, &cause);
		msync_recount(ms, s, ch);
	}
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
