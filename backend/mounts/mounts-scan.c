/*
 * mounts-scan.c: the polling scanner behind polling mode. It walks a host
 * folder with openat/fstatat (getdents64 on Linux, readdir elsewhere), keeps a
 * snapshot of every entry in a hash table keyed by its relative path and
 * linked into a tree, and reports each pass as created / modified /
 * deleted / type-changed entries.
 *
 * A plain full pass every second costs as much as find(1) and more than
 * a watcher deserves, so passes are tiered:
 *  - a directory is re-read only when its own mtime (or inode) changed:
 *    creations, deletions and renames all change the parent's mtime;
 *  - the files of a directory that changed within hot_ms are re-stat'ed
 *    every interval_ms; settled directories every cold_ms, their due
 *    times spread evenly so each pass does a similar share of the work,
 *    and kept on that rhythm however late a pass runs.
 * A file cannot be skipped (an edit leaves its directory's mtime alone),
 * so the cost is one stat per file per cold period and the latency of a
 * change is uniform over that period: cold_ms trades one for the other.
 * Worst case: a change anywhere is seen within cold_ms plus the caller's
 * wake-up granularity (scan_next_due() says when to call again).
 *
 * A big tree can make one stat per file per cold period cost more than a
 * watcher should (300,000 files: three quarters of a core here). The
 * scanner measures its own CPU time over each cold period and, when it
 * is over budget_pct of a core, stretches the cold period to what keeps
 * it there (never below the asked-for one, never past SCAN_COLD_MAX
 * intervals), and shrinks it back when the tree gets cheaper. The
 * period in force is in scan_stats.cold_ms, so the worst case above
 * stays a stated figure.
 *
 * Symlinks are never followed: every directory is opened relative to its
 * parent with O_NOFOLLOW and every entry is stat'ed with
 * AT_SYMLINK_NOFOLLOW, so nothing outside the root is ever visited and
 * symlink loops cannot happen. Entries that vanish mid-pass are deleted,
 * unreadable ones are counted as errors and keep their last state.
 *
 * Timestamps have the granularity of the kernel's coarse clock, so a
 * second write in the same tick as the previous stat keeps the same
 * mtime. An entry whose mtime was within racy_ms of the stat is "racy":
 * the next visit reports it modified once more even if it looks the same
 * (directories are re-read instead), so no write is ever lost.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_SYS_SYSCALL_H
#include <sys/syscall.h>
#endif

#include "core/core.h"
#include "mounts/mounts.h"

#define SCAN_MAX_DEPTH 128
#define SCAN_DIRBUF    32768

const char *const scan_default_ignore[SCAN_DEFAULT_IGNORE_N] = {
    ".git",
    "node_modules/.cache",
};

struct slot {
	uint32_t hash;
	struct node *n;
};

/* One entry of the snapshot. Directories link their children. */
struct node {
	struct node *parent, *child, *next, *prev;
	uint32_t name_off; /* where the last component starts in path */
	uint32_t hash;
	uint8_t type;
	uint8_t racy;
	uint8_t unreadable; /* a directory we may not open (counted) */
	uint32_t mode;
	uint64_t dev, ino;
	int64_t size, mtime_ns;
	uint64_t seen;        /* listing number that last saw it */
	uint64_t checked;     /* pass number that last stat'ed it */
	uint64_t guard_until; /* feedback guard, monotonic ms */
	/* Directories only. */
	uint64_t next_due, subtree_due, last_change;
	int changed_ever;
	char path[]; /* relative to the root, "" for the root */
};

struct scan {
	char *root;
	struct scan_options opt;
	char **ignore; /* owned copies of opt.ignore */

	struct node *top;   /* NULL before the first pass */
	struct slot *table; /* open addressing; the hash saves a node visit */
	size_t tcap, tn;

	uint64_t gen;    /* listing marks */
	uint64_t passno; /* pass marks */
	int fresh;       /* the listing under way starts from no children */
	int indexed;     /* the table holds every node (built after pass 1) */
	uint64_t unreadable;   /* directories known to be unreadable */
	struct node **newdirs; /* directories found by listings, to read */
	size_t nnew, capnew;
	uint64_t now; /* monotonic ms of the running pass */
	int64_t real_ns;
	uint64_t window_at, window_cpu, window_stats; /* the budget's */
	struct scan_changes *out; /* NULL: build without reporting */
	struct scan_stats st;
	char *dirbuf;
};

static struct node *scan_node_new(struct scan *, struct node *, const char *,
                                  size_t, const struct stat *);
static void scan_node_remove(struct scan *, struct node *, int);
static int scan_relist(struct scan *, struct node *, int, int);

const char *
scan_kind_name(enum scan_kind k)
{
	static const char *const names[] = {"created", "modified", "deleted",
	                                    "type-changed"};

	return (size_t)k < nitems(names) ? names[k] : "?";
}

const char *
scan_type_name(enum scan_type t)
{
	static const char *const names[] = {"file", "dir", "link", "other"};

	return (size_t)t < nitems(names) ? names[t] : "?";
}

/* Defaults: 1 s for active directories, 1.5 s for settled ones. */
void
scan_options_default(struct scan_options *o)
{
	memset(o, 0, sizeof *o);
	o->ignore = scan_default_ignore;
	o->nignore = SCAN_DEFAULT_IGNORE_N;
	o->max_files = 1000000;
	scan_options_interval(o, 1000);
	o->hot_ms = 60000;
	o->racy_ms = 50;
	o->budget_pct = SCAN_BUDGET_PERCENT;
}

/*
 * Set the interval and the cold period that goes with it. Settled
 * directories get SCAN_COLD_PERCENT of the interval: at 1 s, every file is
 * stat'ed every 1.5 s, so a change waits 0.75 s at the median and 1.5 s
 * at worst (bench/README.md, "Polling scanner", has the settings tried).
 */
void
scan_options_interval(struct scan_options *o, uint64_t interval_ms)
{
	o->interval_ms = interval_ms;
	o->cold_ms = interval_ms * SCAN_COLD_PERCENT / 100;
}

/*
 * How long a caller sleeps at least between two passes: the due times are
 * spread, so each wake-up does a share of the cold period's work and
 * reports what it saw; smaller steps report sooner after a stat, larger
 * ones open the upper folders less often.
 */
uint64_t
scan_step_ms(const struct scan_options *o)
{
	return o->interval_ms / SCAN_STEPS > 0 ? o->interval_ms / SCAN_STEPS
	                                       : 1;
}

void
scan_changes_add(struct scan_changes *c, enum scan_kind kind,
                 enum scan_type type, enum scan_type old_type, const char *path)
{
	struct scan_change *ch;

	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->v = xreallocarray(c->v, c->cap, sizeof *c->v);
	}
	ch = &c->v[c->n++];
	ch->kind = kind;
	ch->type = type;
	ch->old_type = old_type;
	ch->path = xstrdup(path);
	ch->mtime_ns = 0;
	ch->mode = 0;
}

void
scan_changes_clear(struct scan_changes *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->v[i].path);
	free(c->v);
	memset(c, 0, sizeof *c);
}

/*
 * Does an ignore glob match a relative path? A pattern without '/'
 * matches any component's name (".git", "*.swp"); one with '/' matches
 * the path or any tail of it that starts at a component
 * ("node_modules/.cache"); a leading '/' anchors it to the root; a
 * trailing '/' limits it to directories.
 */
int
scan_ignored(const struct scan_options *o, const char *path, int is_dir)
{
	char pat[1024];
	const char *p, *base;
	size_t i, len;
	int anchored;

	base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	for (i = 0; i < o->nignore; i++) {
		p = o->ignore[i];
		len = strlen(p);
		if (len == 0 || len >= sizeof pat)
			continue;
		memcpy(pat, p, len + 1);
		if (pat[len - 1] == '/') {
			if (!is_dir)
				continue;
			pat[--len] = '\0';
		}
		anchored = pat[0] == '/';
		p = anchored ? pat + 1 : pat;
		if (*p == '\0')
			continue;
		/* Cheap reject: the last components must match. */
		{
			const char *last = strrchr(p, '/');

			last = last != NULL ? last + 1 : p;
			if (strpbrk(last, "*?[\\") == NULL &&
			    strcmp(last, base) != 0)
				continue;
		}
		if (!anchored && strchr(p, '/') == NULL) {
			if (fnmatch(p, base, 0) == 0)
				return 1;
			continue;
		}
		if (fnmatch(p, path, FNM_PATHNAME) == 0)
			return 1;
		if (anchored)
			continue;
		for (base = strchr(path, '/'); base != NULL;
		     base = strchr(base + 1, '/')) {
			if (fnmatch(p, base + 1, FNM_PATHNAME) == 0)
				return 1;
		}
		base = strrchr(path, '/');
		base = base != NULL ? base + 1 : path;
	}
	return 0;
}

static enum scan_type
scan_mode_type(mode_t m)
{
	if (S_ISREG(m))
		return SCAN_FILE;
	if (S_ISDIR(m))
		return SCAN_DIR;
	if (S_ISLNK(m))
		return SCAN_LINK;
	return SCAN_OTHER;
}

static int64_t
scan_mtime_ns(const struct stat *sb)
{
/* macOS names it st_mtimespec (configure checks the member) */
#ifdef HAVE_STRUCT_STAT_ST_MTIMESPEC
	return (int64_t)sb->st_mtimespec.tv_sec * 1000000000 +
	       sb->st_mtimespec.tv_nsec;
#else
	return (int64_t)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec;
#endif
}

static int64_t
scan_real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A clock in microseconds: monotonic for pass times, the calling
 * thread's CPU time for the budget (a pass runs on one thread). */
static uint64_t
scan_clock_us(clockid_t clock)
{
	struct timespec ts;

	if (clock_gettime(clock, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static struct node *
scan_lookup(const struct scan *s, const char *path, size_t len, uint32_t h)
{
	size_t i, mask = s->tcap - 1;
	const struct slot *sl;

	if (s->tcap == 0)
		return NULL;
	for (i = h & mask; (sl = &s->table[i])->n != NULL; i = (i + 1) & mask) {
		if (sl->hash == h && strncmp(sl->n->path, path, len) == 0 &&
		    sl->n->path[len] == '\0')
			return sl->n;
	}
	return NULL;
}

static void
scan_table_insert(struct scan *s, struct node *n)
{
	size_t i, mask, j, k;
	struct slot *old;

	if ((s->tn + 1) * 2 > s->tcap) {
		old = s->table;
		j = s->tcap;
		s->tcap = s->tcap ? s->tcap * 2 : 1024;
		s->table = xcalloc(s->tcap, sizeof *s->table);
		mask = s->tcap - 1;
		for (i = 0; i < j; i++) {
			if (old[i].n == NULL)
				continue;
			for (k = old[i].hash & mask; s->table[k].n != NULL;
			     k = (k + 1) & mask)
				;
			s->table[k] = old[i];
		}
		free(old);
	}
	mask = s->tcap - 1;
	for (i = n->hash & mask; s->table[i].n != NULL; i = (i + 1) & mask)
		;
	s->table[i].hash = n->hash;
	s->table[i].n = n;
	s->tn++;
}

/* Linear probing: delete by shifting the following run back. */
static void
scan_table_delete(struct scan *s, struct node *n)
{
	size_t i, j, k, mask = s->tcap - 1;

	for (i = n->hash & mask; s->table[i].n != n; i = (i + 1) & mask)
		if (s->table[i].n == NULL)
			return;
	s->table[i].n = NULL;
	s->tn--;
	for (j = (i + 1) & mask; s->table[j].n != NULL; j = (j + 1) & mask) {
		k = s->table[j].hash & mask;
		if ((j > i && (k <= i || k > j)) ||
		    (j < i && k <= i && k > j)) {
			s->table[i] = s->table[j];
			s->table[j].n = NULL;
			i = j;
		}
	}
}

static void
scan_count(struct scan *s, enum scan_type t, int delta)
{
	uint64_t *c;

	switch (t) {
	case SCAN_FILE:
		c = &s->st.files;
		break;
	case SCAN_DIR:
		c = &s->st.dirs;
		break;
	case SCAN_LINK:
		c = &s->st.links;
		break;
	default:
		c = &s->st.others;
		break;
	}
	*c += (uint64_t)(int64_t)delta;
}

static void
scan_report(struct scan *s, enum scan_kind k, enum scan_type t,
            enum scan_type old, const char *path)
{
	if (s->out != NULL)
		scan_changes_add(s->out, k, t, old, path);
}

/* Report a change of node n, with the mtime it has now. */
static void
scan_report_node(struct scan *s, enum scan_kind k, enum scan_type old,
                 const struct node *n)
{
	if (s->out == NULL)
		return;
	scan_changes_add(s->out, k, n->type, old, n->path);
	if (k != SCAN_DELETED) {
		s->out->v[s->out->n - 1].mtime_ns = n->mtime_ns;
		s->out->v[s->out->n - 1].mode = n->mode;
	}
}

static void
scan_set_stat(struct scan *s, struct node *n, const struct stat *sb)
{
	n->type = (uint8_t)scan_mode_type(sb->st_mode);
	n->mode = (uint32_t)sb->st_mode;
	n->dev = (uint64_t)sb->st_dev;
	n->ino = (uint64_t)sb->st_ino;
	n->size = (int64_t)sb->st_size;
	n->mtime_ns = scan_mtime_ns(sb);
	n->racy = n->mtime_ns > s->real_ns - (int64_t)s->opt.racy_ms * 1000000;
}

/*
 * The next slot of a directory last due at base: base plus a whole number
 * of periods, the first one after now. Counting from the slot rather than
 * from the (late) visit keeps every directory's period exact: a visit
 * lands up to a wake-up step after its slot, and counting from the visit
 * would add that lateness to every period (a 2 s period became 2.1-2.2 s).
 * A directory with no slot yet (new, made due by scan_mark_dir) starts
 * its rhythm now.
 */
static uint64_t
scan_next_slot(uint64_t base, uint64_t now, uint64_t period)
{
	if (base == 0 || base > now)
		return now + period;
	return now + period - (now - base) % period;
}

/* When a directory is due next (first slots: scan_spread()). */
static void
scan_schedule(struct scan *s, struct node *d, int changed, int initial)
{
	if (changed) {
		d->last_change = s->now;
		d->changed_ever = 1;
	}
	if (s->opt.full)
		d->next_due = s->now;
	else if (initial)
		d->next_due = s->now + 1 + d->hash % (s->st.cold_ms + 1);
	else if (d->changed_ever && s->now - d->last_change < s->opt.hot_ms)
		d->next_due =
		    scan_next_slot(d->next_due, s->now, s->opt.interval_ms);
	else
		d->next_due =
		    scan_next_slot(d->next_due, s->now, s->st.cold_ms);
	d->subtree_due = d->next_due;
}

/* A node for name under parent; the caller reports it. */
static struct node *
scan_node_new(struct scan *s, struct node *parent, const char *name,
              size_t nlen, const struct stat *sb)
{
	size_t plen = parent != NULL ? strlen(parent->path) : 0, off;
	struct node *n;

	off = plen == 0 ? 0 : plen + 1;
	n = xmalloc(sizeof *n + off + nlen + 1);
	memset(n, 0, sizeof *n);
	if (plen != 0) {
		memcpy(n->path, parent->path, plen);
		n->path[plen] = '/';
	}
	memcpy(n->path + off, name, nlen);
	n->path[off + nlen] = '\0';
	n->name_off = (uint32_t)off;
	n->hash = util_hash(n->path, off + nlen);
	scan_set_stat(s, n, sb);
	n->parent = parent;
	if (parent != NULL) {
		n->next = parent->child;
		if (parent->child != NULL)
			parent->child->prev = n;
		parent->child = n;
	}
	if (s->indexed)
		scan_table_insert(s, n);
	scan_count(s, n->type, 1);
	return n;
}

/* Drop a node and its subtree, reporting deletions children first. */
static void
scan_node_remove(struct scan *s, struct node *n, int report)
{
	while (n->child != NULL)
		scan_node_remove(s, n->child, report);
	if (report)
		scan_report(s, SCAN_DELETED, n->type, n->type, n->path);
	if (n->parent != NULL) {
		if (n->prev != NULL)
			n->prev->next = n->next;
		else
			n->parent->child = n->next;
		if (n->next != NULL)
			n->next->prev = n->prev;
	}
	if (s->indexed)
		scan_table_delete(s, n);
	if (n->unreadable)
		s->unreadable--;
	scan_count(s, n->type, -1);
	free(n);
}

/* Open a child directory without following a symlink. */
static int
scan_open_dir(int dfd, const char *name)
{
	return openat(dfd, name,
	              O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC
#ifdef O_NONBLOCK
	                  | O_NONBLOCK
#endif
	);
}

/* Is this directory (dev, ino) already one of its ancestors (a loop)? */
static int
scan_is_loop(const struct node *parent, const struct stat *sb)
{
	for (; parent != NULL; parent = parent->parent) {
		if (parent->ino == (uint64_t)sb->st_ino &&
		    parent->dev == (uint64_t)sb->st_dev)
			return 1;
	}
	return 0;
}

/*
 * The directory's entries, one callback per name. Linux reads raw
 * getdents64 records into one buffer (no DIR allocation, no per-entry
 * copy); elsewhere fdopendir on a duplicate of the descriptor.
 */
struct scan_dirent {
	const char *name;
	size_t len;
	int dtype; /* DT_* or DT_UNKNOWN */
};
typedef void (*scan_dirent_cb)(struct scan *, struct node *, int, int,
                               const struct scan_dirent *);

static int
scan_read_dir(struct scan *s, struct node *d, int dfd, int depth,
              scan_dirent_cb cb)
{
	struct scan_dirent de;

#ifdef SYS_getdents64
	struct linux_dirent64 {
		uint64_t d_ino;
		int64_t d_off;
		unsigned short d_reclen;
		unsigned char d_type;
		char d_name[];
	} * e;
	long got, off;

	if (lseek(dfd, 0, SEEK_SET) == -1)
		return -1;
	for (;;) {
		got = syscall(SYS_getdents64, dfd, s->dirbuf, SCAN_DIRBUF);
		if (got == -1 && errno == EINTR)
			continue;
		if (got == -1)
			return -1;
		if (got == 0)
			break;
		for (off = 0; off < got; off += e->d_reclen) {
			e = (struct linux_dirent64 *)(void *)(s->dirbuf + off);
			if (e->d_name[0] == '.' &&
			    (e->d_name[1] == '\0' ||
			     (e->d_name[1] == '.' && e->d_name[2] == '\0')))
				continue;
			de.name = e->d_name;
			de.len = strlen(e->d_name);
			de.dtype = e->d_type;
			cb(s, d, dfd, depth, &de);
		}
	}
	return 0;
#else
	DIR *dir;
	struct dirent *e;
	int fd2;

	if ((fd2 = dup(dfd)) == -1)
		return -1;
	if ((dir = fdopendir(fd2)) == NULL) {
		close(fd2);
		return -1;
	}
	rewinddir(dir);
	while ((e = readdir(dir)) != NULL) {
		if (e->d_name[0] == '.' &&
		    (e->d_name[1] == '\0' ||
		     (e->d_name[1] == '.' && e->d_name[2] == '\0')))
			continue;
		de.name = e->d_name;
		de.len = strlen(e->d_name);
#ifdef DT_UNKNOWN
		de.dtype = e->d_type;
#else
		de.dtype = 0;
#endif
		cb(s, d, dfd, depth, &de);
	}
	closedir(dir);
	return 0;
#endif
}

static enum scan_type
scan_dtype(int dtype, int *known)
{
	*known = 1;
	switch (dtype) {
	case DT_REG:
		return SCAN_FILE;
	case DT_DIR:
		return SCAN_DIR;
	case DT_LNK:
		return SCAN_LINK;
	case DT_UNKNOWN:
		*known = 0;
		return SCAN_OTHER;
	default:
		return SCAN_OTHER;
	}
}

/* A new directory: read all of it, reporting its contents as created. */
static void
scan_descend_new(struct scan *s, struct node *n, int dfd, int depth)
{
	int cfd;

	scan_schedule(s, n, s->out != NULL, s->out == NULL);
	if (depth >= SCAN_MAX_DEPTH) {
		s->st.errors++;
		return;
	}
	if ((cfd = scan_open_dir(dfd, n->path + n->name_off)) == -1) {
		if ((errno == EACCES || errno == EPERM) && !n->unreadable) {
			n->unreadable = 1;
			s->unreadable++;
		} else if (errno != EACCES && errno != EPERM)
			s->st.vanished++;
		return;
	}
	scan_relist(s, n, cfd, depth + 1);
	close(cfd);
}

/* One name from a directory listing: match it against the snapshot. */
static void
scan_relist_entry(struct scan *s, struct node *d, int dfd, int depth,
                  const struct scan_dirent *de)
{
	char *path = s->dirbuf + SCAN_DIRBUF; /* scratch after the records */
	size_t plen = strlen(d->path), len;
	struct node *n;
	struct stat sb;
	enum scan_type t;
	int known;

	len = plen == 0 ? de->len : plen + 1 + de->len;
	if (len >= PATH_MAX) {
		s->st.errors++;
		return;
	}
	if (plen == 0)
		memcpy(path, de->name, de->len + 1);
	else {
		memcpy(path, d->path, plen);
		path[plen] = '/';
		memcpy(path + plen + 1, de->name, de->len + 1);
	}
	t = scan_dtype(de->dtype, &known);
	/* A directory with no children yet (a first listing) has no match. */
	n = s->fresh ? NULL : scan_lookup(s, path, len, util_hash(path, len));
	if (n != NULL && (!known || t == n->type)) {
		n->seen = s->gen;
		return;
	}
	/* New, or its type changed: stat it. */
	if (fstatat(dfd, de->name, &sb, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno == ENOENT)
			s->st.vanished++;
		else
			s->st.errors++;
		if (n != NULL)
			n->seen = s->gen; /* keep; re-checked next time */
		return;
	}
	s->st.stats++;
	t = scan_mode_type(sb.st_mode);
	if (n != NULL && t == n->type) {
		n->seen = s->gen;
		return;
	}
	if (scan_ignored(&s->opt, path, t == SCAN_DIR)) {
		if (n != NULL)
			scan_node_remove(s, n, 1);
		return;
	}
	if (n != NULL) {
		enum scan_type old = n->type;

		/* Removing n reports its children; report n itself once. */
		while (n->child != NULL)
			scan_node_remove(s, n->child, 1);
		scan_count(s, old, -1);
		scan_set_stat(s, n, &sb);
		scan_count(s, n->type, 1);
		n->seen = s->gen;
		scan_report_node(s, SCAN_TYPE_CHANGED, old, n);
	} else {
		if (s->opt.max_files != 0 &&
		    s->st.files + s->st.dirs + s->st.links + s->st.others >=
		        s->opt.max_files) {
			s->st.truncated = 1;
			return;
		}
		if (t == SCAN_DIR && scan_is_loop(d, &sb)) {
			s->st.errors++;
			return;
		}
		n = scan_node_new(s, d, de->name, de->len, &sb);
		n->seen = s->gen;
		scan_report_node(s, SCAN_CREATED, n->type, n);
	}
	n->checked = s->passno;
	if (n->type == SCAN_DIR) {
		/* Read it once this listing is done with the buffer. */
		if (s->nnew == s->capnew) {
			s->capnew = s->capnew ? s->capnew * 2 : 64;
			s->newdirs = xreallocarray(s->newdirs, s->capnew,
			                           sizeof *s->newdirs);
		}
		s->newdirs[s->nnew++] = n;
	}
}

/*
 * Re-read a directory: new names are created (directories read in full),
 * names no longer there are deleted. Returns 1 when something changed.
 */
static int
scan_relist(struct scan *s, struct node *d, int dfd, int depth)
{
	struct node *n, *next;
	size_t before = s->out != NULL ? s->out->n : 0, start = s->nnew, i;
	uint64_t mark;

	s->st.listed++;
	mark = ++s->gen;
	s->fresh = d->child == NULL; /* names are unique within a listing */
	if (scan_read_dir(s, d, dfd, depth, scan_relist_entry) == -1) {
		s->st.errors++;
		s->nnew = start;
		return 0;
	}
	for (n = d->child; n != NULL; n = next) {
		next = n->next;
		if (n->seen < mark)
			scan_node_remove(s, n, 1);
	}
	/* Deeper listings push above start and pop back to where they began. */
	for (i = start; i < s->nnew; i++)
		scan_descend_new(s, s->newdirs[i], dfd, depth);
	s->nnew = start;
	return s->out != NULL && s->out->n != before;
}

/* Compare one entry with a fresh stat; report what differs. */
static int
scan_check_entry(struct scan *s, struct node *n, int dfd)
{
	struct stat sb;
	enum scan_type t, old;
	int64_t m;

	if (fstatat(dfd, n->path + n->name_off, &sb, AT_SYMLINK_NOFOLLOW) ==
	    -1) {
		if (errno == ENOENT || errno == ENOTDIR) {
			s->st.vanished++;
			scan_node_remove(s, n, 1);
			return 1;
		}
		s->st.errors++;
		return 0;
	}
	s->st.stats++;
	t = scan_mode_type(sb.st_mode);
	if (t != n->type) {
		old = n->type;
		scan_count(s, old, -1);
		scan_set_stat(s, n, &sb);
		scan_count(s, t, 1);
		scan_report_node(s, SCAN_TYPE_CHANGED, old, n);
		if (t == SCAN_DIR)
			scan_descend_new(s, n, dfd, 0);
		return 1;
	}
	m = scan_mtime_ns(&sb);
	if (n->ino == (uint64_t)sb.st_ino && n->size == (int64_t)sb.st_size &&
	    n->mtime_ns == m && n->mode == (uint32_t)sb.st_mode) {
		if (!n->racy)
			return 0;
		n->racy = 0;
		scan_report_node(s, SCAN_MODIFIED, t, n);
		return 1;
	}
	/*
	 * Feedback guard: a replay may have rewritten the times with less
	 * precision (microseconds, seconds) than the host keeps. Same inode,
	 * size and mode with the old mtime truncated is that, not an edit.
	 */
	if (n->guard_until >= s->now && n->ino == (uint64_t)sb.st_ino &&
	    n->size == (int64_t)sb.st_size && n->mode == (uint32_t)sb.st_mode &&
	    (m == n->mtime_ns - n->mtime_ns % 1000 ||
	     m == n->mtime_ns - n->mtime_ns % 1000000000)) {
		n->mtime_ns = m;
		s->st.absorbed++;
		return 0;
	}
	scan_set_stat(s, n, &sb);
	scan_report_node(s, SCAN_MODIFIED, t, n);
	return 1;
}

/* Visit one due directory: its own stat, a listing if needed, its files. */
static int
scan_check_dir(struct scan *s, struct node *d, int dfd, int depth)
{
	struct stat sb;
	struct node *n, *next;
	int changed = 0, relist;

	s->st.visited++;
	if (fstat(dfd, &sb) == -1) {
		s->st.errors++;
		return 0;
	}
	relist = d->racy || d->ino != (uint64_t)sb.st_ino ||
	         d->dev != (uint64_t)sb.st_dev ||
	         d->mtime_ns != scan_mtime_ns(&sb);
	if (d->parent != NULL && d->mode != (uint32_t)sb.st_mode) {
		scan_report(s, SCAN_MODIFIED, SCAN_DIR, SCAN_DIR, d->path);
		changed = 1;
	}
	scan_set_stat(s, d, &sb);
	if (relist)
		changed |= scan_relist(s, d, dfd, depth);
	for (n = d->child; n != NULL; n = next) {
		next = n->next;
		/* Directories check themselves; new entries were just stat'ed.
		 */
		if (n->type == SCAN_DIR || n->checked == s->passno)
			continue;
		changed |= scan_check_entry(s, n, dfd);
	}
	return changed;
}

/*
 * The first pass only builds the tree (every listing is fresh, nothing is
 * looked up), so a one-shot `berth scan` never pays for the table; the
 * table is filled from the tree when something first needs it.
 */
static void
scan_index_tree(struct scan *s, struct node *n)
{
	struct node *c;

	scan_table_insert(s, n);
	for (c = n->child; c != NULL; c = c->next)
		scan_index_tree(s, c);
}

static void
scan_index(struct scan *s)
{
	if (s->indexed || s->top == NULL)
		return;
	s->indexed = 1;
	scan_index_tree(s, s->top);
}

static void
scan_free_tree(struct node *n)
{
	struct node *c, *next;

	for (c = n->child; c != NULL; c = next) {
		next = c->next;
		scan_free_tree(c);
	}
	free(n);
}

/*
 * Spread the directories' first slots over the cold period in tree order
 * (the i-th of n directories at i/n of it) and set the earliest due time
 * below each. A wake-up then visits a run of neighbours and opens their
 * common parents once; spread by path hash, each wake-up visited folders
 * all over the tree and re-opened most parents every time (a quarter
 * more pass time at 8 wake-ups a period). Phase-locked slots keep the
 * order.
 */
static uint64_t
scan_spread(struct scan *s, struct node *d, uint64_t *i, uint64_t n)
{
	struct node *c;
	uint64_t due, x;

	if (!s->opt.full)
		d->next_due = s->now + 1 + (*i)++ * s->st.cold_ms / n;
	due = d->next_due;
	for (c = d->child; c != NULL; c = c->next) {
		if (c->type == SCAN_DIR && (x = scan_spread(s, c, i, n)) < due)
			due = x;
	}
	d->subtree_due = due;
	return due;
}

/*
 * Walk the tree to every due directory, opening each level relative to
 * its parent. Subtrees with nothing due are skipped without a syscall.
 */
static void
scan_visit(struct scan *s, struct node *d, int dfd, int depth)
{
	struct node *n, *next;
	uint64_t due;
	int cfd, changed, again = 0;

	if (s->opt.full || d->next_due <= s->now) {
		changed = scan_check_dir(s, d, dfd, depth);
		scan_schedule(s, d, changed, 0);
	}
	if (depth >= SCAN_MAX_DEPTH)
		return;
	for (n = d->child; n != NULL; n = next) {
		next = n->next;
		if (n->type != SCAN_DIR ||
		    (!s->opt.full && n->subtree_due > s->now))
			continue;
		if ((cfd = scan_open_dir(dfd, n->path + n->name_off)) == -1) {
			if (errno == EACCES || errno == EPERM) {
				/* Counted while it lasts, not only when visited
				 */
				if (!n->unreadable) {
					n->unreadable = 1;
					s->unreadable++;
				}
				n->next_due = n->subtree_due =
				    s->now + s->st.cold_ms;
			} else
				again = 1; /* gone or replaced: re-read d */
			continue;
		}
		if (n->unreadable) {
			/* Readable again: its listing was never read. */
			n->unreadable = 0;
			n->racy = 1;
			n->next_due = 0;
			s->unreadable--;
		}
		scan_visit(s, n, cfd, depth + 1);
		close(cfd);
	}
	if (again) {
		d->racy = 1;
		if (scan_check_dir(s, d, dfd, depth))
			scan_schedule(s, d, 1, 0);
	}
	due = d->next_due;
	for (n = d->child; n != NULL; n = n->next) {
		if (n->type == SCAN_DIR && n->subtree_due < due)
			due = n->subtree_due;
	}
	d->subtree_due = due;
}

/*
 * Start watching root (not read yet; the first scan_pass() takes the
 * snapshot). The options are copied. Returns NULL and a cause if root is
 * not a readable directory.
 */
struct scan *
scan_new(const char *root, const struct scan_options *opt, char **cause)
{
	struct scan *s;
	struct stat sb;
	size_t i;

	if (stat(root, &sb) == -1) {
		util_set_cause(cause, "%s: %s", root, strerror(errno));
		return NULL;
	}
	if (!S_ISDIR(sb.st_mode)) {
		util_set_cause(cause, "%s: not a directory", root);
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	s->root = xstrdup(root);
	s->opt = *opt;
	if (s->opt.interval_ms == 0)
		s->opt.interval_ms = 1000;
	if (s->opt.cold_ms < s->opt.interval_ms)
		s->opt.cold_ms = s->opt.interval_ms;
	s->st.cold_ms = s->opt.cold_ms; /* the budget may stretch it */
	s->ignore = xcalloc(opt->nignore + 1, sizeof *s->ignore);
	for (i = 0; i < opt->nignore; i++)
		s->ignore[i] = xstrdup(opt->ignore[i]);
	s->opt.ignore = (const char *const *)s->ignore;
	s->dirbuf = xmalloc(SCAN_DIRBUF + PATH_MAX + 1);
	return s;
}

void
scan_free(struct scan *s)
{
	size_t i;

	if (s == NULL)
		return;
	if (s->indexed) {
		/* Every node is in the table: free without unlinking. */
		for (i = 0; i < s->tcap; i++)
			free(s->table[i].n);
	} else if (s->top != NULL)
		scan_free_tree(s->top);
	for (i = 0; i < s->opt.nignore; i++)
		free(s->ignore[i]);
	free(s->ignore);
	free(s->table);
	free(s->newdirs);
	free(s->dirbuf);
	free(s->root);
	free(s);
}

/*
 * Add a pass's CPU time and stat calls to the budget's window; once the
 * window spans a cold period, set the period that keeps a sweep (one stat
 * per entry, at the window's cost per stat) within budget_pct of a core.
 * Counting stats rather than periods keeps it right when passes overrun
 * (a loaded machine: every directory due at every pass). Changes under a
 * tenth are left alone so the rhythm does not jitter; slots keep their
 * phase (scan_next_slot() counts whole periods of the new length).
 */
static void
scan_budget(struct scan *s, uint64_t cpu_us)
{
	uint64_t span, want, lo, hi, entries;

	if (s->opt.budget_pct == 0 || s->opt.full)
		return;
	s->window_cpu += cpu_us;
	s->window_stats += s->st.stats;
	span = s->now - s->window_at;
	if (span < s->st.cold_ms || span == 0)
		return;
	entries = s->st.files + s->st.dirs + s->st.links + s->st.others + 1;
	s->st.cpu_pct = s->window_cpu / 10 / span;
	/* No stat in a whole period: nothing to watch, nothing to stretch. */
	want = s->window_stats == 0
	           ? 0
	           : s->window_cpu * entries / s->window_stats / 10 /
	                 s->opt.budget_pct;
	lo = s->opt.cold_ms;
	hi = s->opt.interval_ms * SCAN_COLD_MAX;
	if (hi < lo)
		hi = lo;
	want = want < lo ? lo : want > hi ? hi : want;
	if (want * 10 > s->st.cold_ms * 11 || want * 10 < s->st.cold_ms * 9 ||
	    (want == lo && s->st.cold_ms != lo))
		s->st.cold_ms = want;
	s->window_at = s->now;
	s->window_cpu = s->window_stats = 0;
}

/*
 * One pass at monotonic time now_ms: the first takes the snapshot and
 * reports nothing; later ones append changes to *out (owned by the
 * caller). Returns -1 with a cause when the root itself cannot be read.
 */
int
scan_pass(struct scan *s, uint64_t now_ms, struct scan_changes *out,
          char **cause)
{
	struct stat sb;
	uint64_t t0 = scan_clock_us(CLOCK_MONOTONIC),
	         c0 = scan_clock_us(CLOCK_THREAD_CPUTIME_ID), i;
	int fd, first = s->top == NULL;

	if ((fd = open(s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		util_set_cause(cause, "%s: %s", s->root, strerror(errno));
		return -1;
	}
	s->now = now_ms;
	s->passno++;
	s->real_ns = scan_real_ns();
	s->st.errors = s->st.vanished = s->st.stats = 0;
	s->st.listed = s->st.visited = 0;
	s->st.truncated = 0;
	if (first) {
		if (fstat(fd, &sb) == -1) {
			util_set_cause(cause, "%s: %s", s->root,
			               strerror(errno));
			close(fd);
			return -1;
		}
		s->out = NULL;
		s->top = scan_node_new(s, NULL, "", 0, &sb);
		s->top->racy = 0;
		scan_count(s, SCAN_DIR, -1); /* the root is not counted */
		scan_relist(s, s->top, fd, 0);
		scan_schedule(s, s->top, 0, 1);
		i = 0;
		scan_spread(s, s->top, &i, s->st.dirs + 1);
		s->st.visited = s->st.dirs + 1;
	} else {
		s->out = out;
		scan_index(s);
		scan_visit(s, s->top, fd, 0);
	}
	s->out = NULL;
	close(fd);
	s->st.errors += s->unreadable;
	s->st.passes++;
	s->st.pass_us = scan_clock_us(CLOCK_MONOTONIC) - t0;
	if (first || s->opt.full)
		s->st.full_pass_us = s->st.pass_us;
	if (first)
		s->window_at = now_ms;
	else
		scan_budget(s, scan_clock_us(CLOCK_THREAD_CPUTIME_ID) - c0);
	return 0;
}

/* Monotonic ms at which the next pass has work to do. */
uint64_t
scan_next_due(const struct scan *s)
{
	if (s->top == NULL)
		return 0;
	return s->top->subtree_due;
}

const struct scan_stats *
scan_get_stats(const struct scan *s)
{
	return &s->st;
}

const char *
scan_root(const struct scan *s)
{
	return s->root;
}

/*
 * Feedback guard: a replay of path is about to touch it from the guest;
 * until until_ms, a change that only lost mtime precision is absorbed.
 * Returns -1 if the path is not in the snapshot.
 */
int
scan_guard(struct scan *s, const char *path, uint64_t until_ms)
{
	struct node *n;
	size_t len = strlen(path);

	if (s->top == NULL)
		return -1;
	scan_index(s);
	if ((n = scan_lookup(s, path, len, util_hash(path, len))) == NULL)
		return -1;
	n->guard_until = until_ms;
	return 0;
}

/*
 * Make the directory rel (relative to the root) due at once, e.g. because
 * inotify said something in it changed; the next pass checks it whatever
 * its tier. Returns -1 if it is not a known directory.
 */
int
scan_mark_dir(struct scan *s, const char *rel)
{
	struct node *n;
	size_t len = strlen(rel);

	if (s->top == NULL)
		return -1;
	scan_index(s);
	n = len == 0 ? s->top : scan_lookup(s, rel, len, util_hash(rel, len));
	if (n == NULL || n->type != SCAN_DIR)
		return -1;
	n->next_due = 0;
	for (; n != NULL; n = n->parent)
		n->subtree_due = 0;
	return 0;
}

static void
scan_each_dir_below(const struct node *d, void (*fn)(const char *, void *),
                    void *arg)
{
	const struct node *c;

	for (c = d->child; c != NULL; c = c->next) {
		if (c->type != SCAN_DIR)
			continue;
		fn(c->path, arg);
		scan_each_dir_below(c, fn, arg);
	}
}

/* Call fn for every directory of the snapshot below the root, parents
 * before their children. */
void
scan_each_dir(const struct scan *s, void (*fn)(const char *, void *), void *arg)
{
	if (s->top != NULL)
		scan_each_dir_below(s->top, fn, arg);
}

static void
scan_each_entry_below(const struct node *d,
                      void (*fn)(const struct scan_entry *, void *), void *arg)
{
	const struct node *c;
	struct scan_entry e;

	for (c = d->child; c != NULL; c = c->next) {
		e.path = c->path;
		e.type = (enum scan_type)c->type;
		e.mode = c->mode;
		e.size = c->size;
		e.mtime_ns = c->mtime_ns;
		fn(&e, arg);
		if (c->type == SCAN_DIR)
			scan_each_entry_below(c, fn, arg);
	}
}

/* Call fn for every entry of the snapshot below the root, parents before
 * their children (type: sync's first sync walks it). */
void
scan_each_entry(const struct scan *s,
                void (*fn)(const struct scan_entry *, void *), void *arg)
{
	if (s->top != NULL)
		scan_each_entry_below(s->top, fn, arg);
}

/*
 * One .gitignore line as an ignore glob (caller frees), or NULL for a
 * blank line, a comment, or what these globs cannot say: a negation
 * ("!keep.log", counted in *skipped). git anchors a pattern with a slash
 * before its end to the folder of the .gitignore; "**" + "/" in front
 * means any depth, "/" + "**" at the end everything inside.
 */
char *
scan_gitignore_glob(const char *line, uint64_t *skipped)
{
	size_t n = strlen(line);
	char *p, *slash;
	int anywhere = 0, anchor;

	while (n > 0 &&
	       (line[n - 1] == '\n' || line[n - 1] == '\r' ||
	        (line[n - 1] == ' ' && (n < 2 || line[n - 2] != '\\'))))
		n--;
	if (n == 0 || line[0] == '#')
		return NULL;
	if (line[0] == '!') {
		(*skipped)++;
		return NULL;
	}
	if (line[0] == '\\' && (line[1] == '#' || line[1] == '!')) {
		line++;
		n--;
	}
	p = xstrndup(line, n);
	while (strncmp(p, "**/", 3) == 0) {
		memmove(p, p + 3, strlen(p + 3) + 1);
		anywhere = 1;
	}
	slash = strchr(p, '/');
	anchor = !anywhere && slash != NULL && slash[1] != '\0' && p[0] != '/';
	n = strlen(p);
	if (n >= 3 && strcmp(p + n - 3, "/**") == 0)
		p[n - 2] = '\0'; /* "dir/" + "**": the folder itself */
	if (*p == '\0' || strcmp(p, "/") == 0) {
		free(p);
		return NULL;
	}
	if (anchor) {
		char *a = xasprintf("/%s", p);

		free(p);
		p = a;
	}
	return p;
}

/*
 * The globs of root/.gitignore (only the top one; nested .gitignore files
 * are not read) appended to *v. Returns how many, 0 when there is none.
 */
size_t
scan_gitignore_load(const char *root, char ***v, size_t *n, uint64_t *skipped)
{
	char *path = xasprintf("%s/.gitignore", root), line[4096], *g;
	FILE *fp = fopen(path, "r");
	size_t added = 0;

	free(path);
	if (fp == NULL)
		return 0;
	while (fgets(line, sizeof line, fp) != NULL) {
		if ((g = scan_gitignore_glob(line, skipped)) == NULL)
			continue;
		*v = xreallocarray(*v, *n + 1, sizeof **v);
		(*v)[(*n)++] = g;
		added++;
	}
	fclose(fp);
	return added;
}
