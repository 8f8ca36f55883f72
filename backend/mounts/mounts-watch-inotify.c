/*
 * mounts-watch-inotify.c: native mode on Linux. inotify watches every directory
 * of the mount (never through a symlink, never an ignored one) and says
 * which directories saw something; the scanner then looks at exactly
 * those, so native and polling mode share the diff, the feedback guard
 * and the replay. Elsewhere (or without inotify) winotify_new() fails
 * with a cause and the mount polls.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "mounts/mounts.h"

#ifdef HAVE_INOTIFY_INIT1
#include <dirent.h>
#include <sys/inotify.h>
#include <sys/vfs.h>

/* Filesystems whose changes may come from elsewhere: inotify misses them. */
static const struct {
	unsigned long magic;
	const char *name;
} winotify_remote[] = {
    {0x6969, "NFS"},      {0x517b, "SMB"},     {0xff534d42, "CIFS"},
    {0xfe534d42, "SMB2"}, {0x01021997, "9p"},  {0x65735546, "FUSE"},
    {0x00c36400, "Ceph"}, {0x5346414f, "AFS"},
};

#define WINOTIFY_MASK                                                          \
	(IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB |      \
	 IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF |         \
	 IN_ONLYDIR | IN_DONT_FOLLOW)

struct winotify {
	int fd;
	char *root;
	struct scan_options opt;
	char **paths; /* relative dir path by watch descriptor */
	size_t npaths;
};

static int winotify_add_tree(struct winotify *, const char *, char **);
static void winotify_drop(char ***, size_t *);

static int
winotify_add(struct winotify *w, const char *rel, char **cause)
{
	char *full = *rel ? xasprintf("%s/%s", w->root, rel) : xstrdup(w->root);
	int wd = inotify_add_watch(w->fd, full, WINOTIFY_MASK);

	free(full);
	if (wd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0; /* gone meanwhile */
		util_set_cause(cause, "%s",
		               errno == ENOSPC ? "too many directories for "
		                                 "fs.inotify.max_user_watches"
		                               : strerror(errno));
		return -1;
	}
	if ((size_t)wd >= w->npaths) {
		size_t n = (size_t)wd * 2 + 16;

		w->paths = xreallocarray(w->paths, n, sizeof *w->paths);
		memset(w->paths + w->npaths, 0,
		       (n - w->npaths) * sizeof *w->paths);
		w->npaths = n;
	}
	free(w->paths[wd]);
	w->paths[wd] = xstrdup(rel);
	return 0;
}

/* Watch rel and every directory below it. */
static int
winotify_add_tree(struct winotify *w, const char *rel, char **cause)
{
	char *full, *sub;
	DIR *d;
	struct dirent *e;
	int rc = 0;

	if (winotify_add(w, rel, cause) != 0)
		return -1;
	full = *rel ? xasprintf("%s/%s", w->root, rel) : xstrdup(w->root);
	d = opendir(full);
	free(full);
	if (d == NULL)
		return 0;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (e->d_type != DT_DIR || strcmp(e->d_name, ".") == 0 ||
		    strcmp(e->d_name, "..") == 0)
			continue; /* DT_LNK is never entered */
		sub = *rel ? xasprintf("%s/%s", rel, e->d_name)
		           : xstrdup(e->d_name);
		if (!scan_ignored(&w->opt, sub, 1))
			rc = winotify_add_tree(w, sub, cause);
		free(sub);
	}
	closedir(d);
	return rc;
}

struct winotify *
winotify_new(const char *root, const struct scan_options *o, char **cause)
{
	struct winotify *w;
	struct statfs sf;
	size_t i;

	if (statfs(root, &sf) == 0) {
		for (i = 0; i < nitems(winotify_remote); i++) {
			if ((unsigned long)sf.f_type !=
			    winotify_remote[i].magic)
				continue;
			util_set_cause(
			    cause,
			    "%s is on %s: inotify does not see changes "
			    "made elsewhere",
			    root, winotify_remote[i].name);
			return NULL;
		}
	}
	w = xcalloc(1, sizeof *w);
	w->root = xstrdup(root);
	w->opt = *o;
	if ((w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0) {
		util_set_cause(cause, "inotify: %s", strerror(errno));
		free(w->root);
		free(w);
		return NULL;
	}
	if (winotify_add_tree(w, "", cause) != 0) {
		winotify_free(w);
		return NULL;
	}
	return w;
}

void
winotify_free(struct winotify *w)
{
	size_t i;

	if (w == NULL)
		return;
	close(w->fd);
	for (i = 0; i < w->npaths; i++)
		free(w->paths[i]);
	free(w->paths);
	free(w->root);
	free(w);
}

int
winotify_fd(const struct winotify *w)
{
	return w->fd;
}

/* Lost events: what was read is moot, everything is rescanned. */
static void
winotify_drop(char ***dirs, size_t *n)
{
	size_t i;

	for (i = 0; i < *n; i++)
		free((*dirs)[i]);
	free(*dirs);
	*dirs = NULL;
	*n = 0;
}

/*
 * Read what is pending: *dirs gets the relative paths of directories to
 * look at (caller frees each and the array). New directories are watched
 * at once. Returns -1 with a cause on queue overflow (*dirs freed and
 * emptied: the caller rescans everything) or a watch failure.
 */
int
winotify_read(struct winotify *w, char ***dirs, size_t *n, char **cause)
{
	char buf[65536] __attribute__((aligned(8)));
	const struct inotify_event *ev;
	ssize_t got;
	size_t off;
	char *sub;

	for (;;) {
		got = read(w->fd, buf, sizeof buf);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return 0;
		for (off = 0; off < (size_t)got; off += sizeof *ev + ev->len) {
			ev = (const struct inotify_event *)(void *)(buf + off);
			if (ev->mask & IN_Q_OVERFLOW) {
				util_set_cause(cause, "inotify queue overflow");
				winotify_drop(dirs, n);
				return -1;
			}
			if (ev->wd < 0 || (size_t)ev->wd >= w->npaths ||
			    w->paths[ev->wd] == NULL)
				continue;
			*dirs = xreallocarray(*dirs, *n + 1, sizeof **dirs);
			(*dirs)[(*n)++] = xstrdup(w->paths[ev->wd]);
			if ((ev->mask & IN_ISDIR) &&
			    (ev->mask & (IN_CREATE | IN_MOVED_TO)) &&
			    ev->len > 0) {
				sub = *w->paths[ev->wd]
				          ? xasprintf("%s/%s", w->paths[ev->wd],
				                      ev->name)
				          : xstrdup(ev->name);
				if (!scan_ignored(&w->opt, sub, 1) &&
				    winotify_add_tree(w, sub, cause) != 0) {
					free(sub);
					return -1;
				}
				free(sub);
			}
			if (ev->mask & IN_IGNORED) {
				free(w->paths[ev->wd]);
				w->paths[ev->wd] = NULL;
			}
		}
	}
}

#else

struct winotify *
winotify_new(const char *root, const struct scan_options *o, char **cause)
{
	(void)root;
	(void)o;
	util_set_cause(cause, "no native watcher on this platform");
	return NULL;
}

void
winotify_free(struct winotify *w)
{
	(void)w;
}

int
winotify_fd(const struct winotify *w)
{
	(void)w;
	return -1;
}

int
winotify_read(struct winotify *w, char ***dirs, size_t *n, char **cause)
{
	(void)w;
	(void)dirs;
	(void)n;
	util_set_cause(cause, "no native watcher on this platform");
	return -1;
}

#endif
