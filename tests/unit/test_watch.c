/*
 * test_watch.c: the native watcher's contract (winotify_*, mounts.h),
 * which inotify keeps here and FSEvents keeps on a Mac: a change gives
 * the directory to look at (the scanner stats what is in it), a new
 * directory is watched from the read that reports it, a burst is read
 * at once as one set of directories, and lost events (inotify's queue
 * overflow, FSEvents' dropped events) make winotify_read fail with a
 * cause: the watcher then stops native mode and the mount polls, a full
 * rescan.
 */

#include "config.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/core.h"
#include "mounts/mounts.h"

struct fx {
	char dir[64];
	struct scan_options o;
	struct winotify *w;
	char **seen; /* distinct directories read */
	size_t nseen;
	size_t reads; /* winotify_read calls that returned something */
};

static void
fx_file(struct fx *f, const char *rel)
{
	char p[512];
	int fd;

	snprintf(p, sizeof p, "%s/%s", f->dir, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_int_not_equal(fd, -1);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
}

static void
fx_mkdir(struct fx *f, const char *rel)
{
	char p[512];

	snprintf(p, sizeof p, "%s/%s", f->dir, rel);
	assert_int_equal(mkdir(p, 0755), 0);
}

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof *f);
	char *cause = NULL;

	snprintf(f->dir, sizeof f->dir, "/tmp/berth-watch.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	fx_mkdir(f, "a");
	fx_mkdir(f, "a/b");
	scan_options_default(&f->o);
	f->w = winotify_new(f->dir, &f->o, &cause);
	if (f->w == NULL)
		fail_msg("winotify_new: %s", cause);
	*state = f;
	return 0;
}

static void
fx_forget(struct fx *f)
{
	size_t i;

	for (i = 0; i < f->nseen; i++)
		free(f->seen[i]);
	free(f->seen);
	f->seen = NULL;
	f->nseen = f->reads = 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char *cmd = xasprintf("rm -rf '%s'", f->dir);

	winotify_free(f->w);
	fx_forget(f);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(f);
	return 0;
}

/*
 * Read until the descriptor stays quiet for quiet_ms (at most 5 s),
 * keeping the distinct directories. Returns winotify_read's last result.
 */
static int
fx_collect(struct fx *f, int quiet_ms, char **cause)
{
	struct pollfd pfd = {.fd = winotify_fd(f->w), .events = POLLIN};
	uint64_t start = util_mono_ms();
	char **dirs;
	size_t n, i, j;

	while (util_mono_ms() - start < 5000 &&
	       poll(&pfd, 1, f->reads == 0 ? 2000 : quiet_ms) > 0) {
		dirs = NULL;
		n = 0;
		if (winotify_read(f->w, &dirs, &n, cause) != 0) {
			/* lost events: nothing half-read is left over */
			assert_null(dirs);
			assert_int_equal(n, 0);
			return -1;
		}
		f->reads += n > 0;
		for (i = 0; i < n; i++) {
			for (j = 0; j < f->nseen; j++)
				if (strcmp(f->seen[j], dirs[i]) == 0)
					break;
			if (j == f->nseen) {
				f->seen = xreallocarray(f->seen, f->nseen + 1,
				                        sizeof *f->seen);
				f->seen[f->nseen++] = dirs[i];
			} else
				free(dirs[i]);
		}
		free(dirs);
	}
	return 0;
}

static int
fx_saw(const struct fx *f, const char *dir)
{
	size_t i;

	for (i = 0; i < f->nseen; i++)
		if (strcmp(f->seen[i], dir) == 0)
			return 1;
	return 0;
}

/* A file written deep down: its directory to look at, and only it. */
static void
test_watch_path(void **state)
{
	struct fx *f = *state;
	char *cause = NULL;

	fx_file(f, "a/b/f");
	assert_int_equal(fx_collect(f, 200, &cause), 0);
	assert_int_equal(f->nseen, 1);
	assert_string_equal(f->seen[0], "a/b");
	fx_forget(f);
	fx_file(f, "top");
	assert_int_equal(fx_collect(f, 200, &cause), 0);
	assert_int_equal(f->nseen, 1);
	assert_string_equal(f->seen[0], "");
}

/* A new directory: reported in its parent, then watched itself. */
static void
test_watch_new_dir(void **state)
{
	struct fx *f = *state;
	char *cause = NULL;

	fx_mkdir(f, "a/c");
	assert_int_equal(fx_collect(f, 200, &cause), 0);
	assert_true(fx_saw(f, "a"));
	fx_forget(f);
	fx_file(f, "a/c/g");
	assert_int_equal(fx_collect(f, 200, &cause), 0);
	assert_true(fx_saw(f, "a/c"));
	assert_false(fx_saw(f, "a/b"));
}

/*
 * A burst of 300 files in two directories is read as those two
 * directories, in far fewer reads than files: the scanner looks at each
 * once.
 */
static void
test_watch_burst(void **state)
{
	struct fx *f = *state;
	char *cause = NULL, rel[64];
	int i;

	for (i = 0; i < 300; i++) {
		snprintf(rel, sizeof rel, i % 2 ? "a/f%d" : "a/b/f%d", i);
		fx_file(f, rel);
	}
	assert_int_equal(fx_collect(f, 200, &cause), 0);
	assert_int_equal(f->nseen, 2);
	assert_true(fx_saw(f, "a"));
	assert_true(fx_saw(f, "a/b"));
	assert_true(f->reads < 300);
}

/* More events than the queue holds: a cause, and native mode ends. */
static void
test_watch_overflow(void **state)
{
	struct fx *f = *state;
	char *cause = NULL, *q, p[512];
	long max = 0;
	int i;

	q = util_read_file("/proc/sys/fs/inotify/max_queued_events", NULL,
	                   NULL);
	if (q != NULL)
		max = strtol(q, NULL, 10);
	free(q);
	if (max <= 0 || max > 200000) {
		printf("# skip: max_queued_events is %ld (a queue that size "
		       "takes too long to overflow here)\n",
		       max);
		skip();
	}
	/* each round: create, modify, close, delete: >= 3 events */
	for (i = 0; i < max / 2 + 100; i++) {
		fx_file(f, "a/o");
		snprintf(p, sizeof p, "%s/a/o", f->dir);
		unlink(p);
	}
	assert_int_equal(fx_collect(f, 200, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "overflow"));
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_watch_path, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_watch_new_dir, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_watch_burst, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_watch_overflow, setup,
	                                    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
