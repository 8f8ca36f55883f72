/*
 * mounts-watch-fsevents-darwin.c: native mode on macOS, the same
 * interface as mounts-watch-inotify.c (winotify_*: the watcher thread
 * polls a descriptor and reads directories to look at). One FSEvents
 * stream covers the whole tree (kqueue would need a descriptor a file),
 * with file-level events and no deferral, delivered on a dispatch queue
 * of its own; the callback queues the directory of each path and wakes
 * the watcher through a pipe. FSEvents coalesces: an event's flags say
 * "look at this path", never what happened, so the scanner stats it as
 * a poll would. Dropped events (MustScanSubDirs, User/KernelDropped) or
 * a moved root end native mode with a cause, and the mount polls: a
 * full rescan. Compiled by tests/port/macos.sh; run only on a Mac.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_CORESERVICES_CORESERVICES_H
#include <CoreServices/CoreServices.h>
#else
#include "compat/fsevents.h"
#endif

#include "core/core.h"
#include "mounts/mounts.h"

struct winotify {
	char *root;  /* as FSEvents spells it: realpath (/private/var) */
	size_t rlen; /* strlen(root) */
	struct scan_options opt;
	FSEventStreamRef stream;
	dispatch_queue_t queue;
	int pipe[2]; /* the callback writes a byte, the watcher polls [0] */

	pthread_mutex_t lock; /* guards what follows, filled by the queue */
	char **dirs;
	size_t n;
	int dropped; /* FSEvents lost events: rescan everything */
};

static void winotify_callback(ConstFSEventStreamRef, void *, size_t, void *,
                              const FSEventStreamEventFlags[],
                              const FSEventStreamEventId[]);

/* The directory to look at for path (caller frees), relative to root. */
static char *
winotify_dir_of(const struct winotify *w, const char *path,
                FSEventStreamEventFlags f)
{
	const char *rel, *slash;

	if (strncmp(path, w->root, w->rlen) != 0 ||
	    (path[w->rlen] != '/' && path[w->rlen] != '\0'))
		return NULL;
	rel = path + w->rlen;
	while (*rel == '/')
		rel++;
	/* a new directory is looked at itself; anything else, its parent */
	if ((f & kFSEventStreamEventFlagItemIsDir) &&
	    (f & (kFSEventStreamEventFlagItemCreated |
	          kFSEventStreamEventFlagItemRenamed)))
		return xstrdup(rel);
	if ((slash = strrchr(rel, '/')) == NULL)
		return xstrdup("");
	return xstrndup(rel, (size_t)(slash - rel));
}

/* On the stream's dispatch queue: queue the paths, wake the watcher. */
static void
winotify_callback(ConstFSEventStreamRef ref, void *info, size_t n, void *paths,
                  const FSEventStreamEventFlags flags[],
                  const FSEventStreamEventId ids[])
{
	struct winotify *w = info;
	char **p = paths, *dir;
	size_t i;

	(void)ref;
	(void)ids;
	pthread_mutex_lock(&w->lock);
	for (i = 0; i < n; i++) {
		if (flags[i] & (kFSEventStreamEventFlagMustScanSubDirs |
		                kFSEventStreamEventFlagUserDropped |
		                kFSEventStreamEventFlagKernelDropped |
		                kFSEventStreamEventFlagRootChanged)) {
			w->dropped = 1;
			continue;
		}
		if ((dir = winotify_dir_of(w, p[i], flags[i])) == NULL)
			continue;
		if (scan_ignored(&w->opt, dir, 1)) {
			free(dir);
			continue;
		}
		w->dirs = xreallocarray(w->dirs, w->n + 1, sizeof *w->dirs);
		w->dirs[w->n++] = dir;
	}
	pthread_mutex_unlock(&w->lock);
	/* a full pipe already says "read me" */
	(void)!write(w->pipe[1], "", 1);
}

struct winotify *
winotify_new(const char *root, const struct scan_options *o, char **cause)
{
	FSEventStreamContext ctx = {0, NULL, NULL, NULL, NULL};
	struct winotify *w;
	CFStringRef s;
	CFArrayRef paths;
	char *real;

	if ((real = realpath(root, NULL)) == NULL) {
		util_set_cause(cause, "%s: %s", root, strerror(errno));
		return NULL;
	}
	w = xcalloc(1, sizeof *w);
	w->root = real;
	w->rlen = strlen(real);
	while (w->rlen > 1 && w->root[w->rlen - 1] == '/')
		w->root[--w->rlen] = '\0';
	w->opt = *o;
	pthread_mutex_init(&w->lock, NULL);
	if (pipe2(w->pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		util_set_cause(cause, "pipe: %s", strerror(errno));
		w->pipe[0] = w->pipe[1] = -1;
		winotify_free(w);
		return NULL;
	}
	ctx.info = w;
	s = CFStringCreateWithCString(kCFAllocatorDefault, w->root,
	                              kCFStringEncodingUTF8);
	paths = CFArrayCreate(kCFAllocatorDefault, (const void **)&s, 1,
	                      &kCFTypeArrayCallBacks);
	/* latency 0.05 s: FSEvents batches a burst, the watcher settles it */
	w->stream =
	    FSEventStreamCreate(kCFAllocatorDefault, winotify_callback, &ctx,
	                        paths, kFSEventStreamEventIdSinceNow, 0.05,
	                        kFSEventStreamCreateFlagFileEvents |
	                            kFSEventStreamCreateFlagNoDefer);
	CFRelease(paths);
	CFRelease(s);
	if (w->stream == NULL) {
		util_set_cause(cause, "FSEventStreamCreate failed for %s",
		               root);
		winotify_free(w);
		return NULL;
	}
	w->queue = dispatch_queue_create("berth.fsevents", NULL);
	FSEventStreamSetDispatchQueue(w->stream, w->queue);
	if (!FSEventStreamStart(w->stream)) {
		util_set_cause(cause, "FSEventStreamStart failed for %s", root);
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
	if (w->stream != NULL) {
		/* after Invalidate the queue runs no more callbacks of ours */
		FSEventStreamStop(w->stream);
		FSEventStreamInvalidate(w->stream);
		FSEventStreamRelease(w->stream);
	}
	if (w->queue != NULL)
		dispatch_release(w->queue);
	if (w->pipe[0] != -1)
		close(w->pipe[0]);
	if (w->pipe[1] != -1)
		close(w->pipe[1]);
	for (i = 0; i < w->n; i++)
		free(w->dirs[i]);
	free(w->dirs);
	pthread_mutex_destroy(&w->lock);
	free(w->root);
	free(w);
}

int
winotify_fd(const struct winotify *w)
{
	return w->pipe[0];
}

/*
 * Read what is pending: *dirs gets the relative paths of directories to
 * look at (caller frees each and the array). Returns -1 with a cause when
 * FSEvents dropped events (*dirs freed and emptied): the caller rescans
 * everything.
 */
int
winotify_read(struct winotify *w, char ***dirs, size_t *n, char **cause)
{
	char buf[256];
	size_t i;
	int dropped;

	while (read(w->pipe[0], buf, sizeof buf) > 0)
		;
	pthread_mutex_lock(&w->lock);
	dropped = w->dropped;
	for (i = 0; i < w->n; i++) {
		*dirs = xreallocarray(*dirs, *n + 1, sizeof **dirs);
		(*dirs)[(*n)++] = w->dirs[i];
	}
	free(w->dirs);
	w->dirs = NULL;
	w->n = 0;
	pthread_mutex_unlock(&w->lock);
	if (dropped) {
		/* as inotify's overflow: *dirs freed, everything rescanned */
		for (i = 0; i < *n; i++)
			free((*dirs)[i]);
		free(*dirs);
		*dirs = NULL;
		*n = 0;
		util_set_cause(cause, "FSEvents dropped events (rescan)");
		return -1;
	}
	return 0;
}
