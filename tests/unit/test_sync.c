/*
 * test_sync.c: type: sync mounts without a VM. The guest's receiver
 * (perl, mounts-sync-receiver.c) runs on this host over a pipe with a
 * temporary folder as the "guest" copy; berth's side (mounts-sync.c)
 * drives it from a real scan of a host folder. Every operation, mode
 * bits and mtimes, the symlink and path rules (escaping ones refused,
 * nothing written outside), a resume that sends nothing when unchanged,
 * deletions of what the host lacks (ignored paths kept), and a
 * connection killed mid-burst followed by a resume that loses nothing
 * and does not recopy what arrived.
 */

#include "config.h"

#include <sys/stat.h>
#include <sys/time.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/core.h"
#include "mounts/mounts.h"

struct fx {
	char dir[256], host[300], guest[300];
	struct scan *s;
	struct scan_options o;
	struct scan_changes ch;
	const char *ign[2];
};

static void
put(const char *root, const char *rel, const char *text, mode_t mode)
{
	char *p = xasprintf("%s/%s", root, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(chmod(p, mode), 0);
	free(p);
}

static void
mk(const char *root, const char *rel)
{
	char *p = xasprintf("%s/%s", root, rel);

	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
}

static int
exists(const char *root, const char *rel)
{
	char *p = xasprintf("%s/%s", root, rel);
	struct stat sb;
	int r = lstat(p, &sb) == 0;

	free(p);
	return r;
}

static int
fx_setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof *f);

	snprintf(f->dir, sizeof f->dir, "%s/berth-sync-XXXXXX",
	         getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->host, sizeof f->host, "%s/host", f->dir);
	snprintf(f->guest, sizeof f->guest, "%s/guest/copy", f->dir);
	assert_int_equal(mkdir(f->host, 0755), 0);
	scan_options_default(&f->o);
	f->ign[0] = ".git";
	f->ign[1] = "*.cache";
	f->o.ignore = f->ign;
	f->o.nignore = 2;
	f->o.full = 1;
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;
	char *cmd = xasprintf("rm -rf '%s'", f->dir);

	assert_int_equal(system(cmd), 0);
	free(cmd);
	scan_free(f->s);
	scan_changes_clear(&f->ch);
	free(f);
	return 0;
}

/* A receiver on this host keeping f->guest; with cut > 0 the connection
 * dies after that many bytes (dd ends; perl sees the end mid-frame). */
static struct msync *
start(struct fx *f, size_t cut)
{
	struct msync *ms = msync_new(f->host, f->guest, &f->o);
	char *cause = NULL, *script = NULL, ncut[32];
	char *argv[8];
	int i = 0;

	if (cut == 0) {
		argv[i++] = (char *)"perl";
		argv[i++] = (char *)"-e";
		argv[i++] = (char *)msync_receiver;
		argv[i++] = (char *)"--";
		argv[i++] = f->guest;
	} else {
		snprintf(ncut, sizeof ncut, "%zu", cut);
		script = xstrdup("dd bs=65536 iflag=count_bytes count=\"$2\" "
		                 "status=none | perl -e \"$0\" -- \"$1\"");
		argv[i++] = (char *)"sh";
		argv[i++] = (char *)"-c";
		argv[i++] = script;
		argv[i++] = (char *)msync_receiver;
		argv[i++] = f->guest;
		argv[i++] = ncut;
	}
	argv[i] = NULL;
	if (msync_start(ms, argv, &cause) != 0)
		fail_msg("start: %s", cause);
	free(script);
	return ms;
}

/* Make every host entry 100 s old: copies made now are not "racy". */
static void
age(struct fx *f)
{
	char *cmd = xasprintf("find '%s' -exec touch -h -d @%lld {} +", f->host,
	                      (long long)time(NULL) - 100);

	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static void
rescan(struct fx *f)
{
	char *cause = NULL;

	scan_changes_clear(&f->ch);
	if (f->s == NULL) {
		f->s = scan_new(f->host, &f->o, &cause);
		assert_non_null(f->s);
	}
	if (scan_pass(f->s, util_mono_ms() + 100000, &f->ch, &cause) != 0)
		fail_msg("scan: %s", cause);
}

/* Are the two trees the same (types, bytes, modes, mtimes to the second,
 * link targets), except paths that are ignored? */
static void
same_tree(struct fx *f, const char *rel)
{
	char *hp = xasprintf("%s/%s", f->host, rel);
	char *gp = xasprintf("%s/%s", f->guest, rel);
	struct stat hs, gs;
	struct dirent *de;
	DIR *d;

	assert_int_equal(lstat(hp, &hs), 0);
	if (lstat(gp, &gs) != 0)
		fail_msg("%s missing in the guest copy", rel);
	assert_int_equal(hs.st_mode & S_IFMT, gs.st_mode & S_IFMT);
	if (S_ISREG(hs.st_mode)) {
		size_t hl, gl;
		char *hb = util_read_file(hp, &hl, NULL);
		char *gb = util_read_file(gp, &gl, NULL);

		assert_int_equal(hl, gl);
		assert_memory_equal(hb, gb, hl);
		assert_int_equal(hs.st_mode & 07777, gs.st_mode & 07777);
		assert_int_equal(hs.st_mtime, gs.st_mtime);
		free(hb);
		free(gb);
	} else if (S_ISLNK(hs.st_mode)) {
		char ht[512], gt[512];
		ssize_t hn = readlink(hp, ht, sizeof ht),
		        gn = readlink(gp, gt, sizeof gt);

		assert_int_equal(hn, gn);
		assert_memory_equal(ht, gt, (size_t)hn);
	} else if (S_ISDIR(hs.st_mode)) {
		if (*rel != '\0')
			assert_int_equal(hs.st_mode & 07777,
			                 gs.st_mode & 07777);
		d = opendir(hp);
		assert_non_null(d);
		while ((de = readdir(d)) != NULL) {
			char *r;

			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			r = *rel != '\0' ? xasprintf("%s/%s", rel, de->d_name)
			                 : xstrdup(de->d_name);
			if (!scan_ignored(&f->o, r, 0) &&
			    !scan_ignored(&f->o, r, 1))
				same_tree(f, r);
			free(r);
		}
		closedir(d);
		/* And nothing more in the guest's copy. */
		d = opendir(gp);
		assert_non_null(d);
		while ((de = readdir(d)) != NULL) {
			char *r = xasprintf("%s/%s", rel, de->d_name);

			if (strcmp(de->d_name, ".") != 0 &&
			    strcmp(de->d_name, "..") != 0 &&
			    !exists(f->host, *rel != '\0' ? r : de->d_name) &&
			    !scan_ignored(&f->o, *rel != '\0' ? r : de->d_name,
			                  0))
				fail_msg("%s/%s is in the guest copy only", rel,
				         de->d_name);
			free(r);
		}
		closedir(d);
	}
	free(hp);
	free(gp);
}

static void
tree(struct fx *f)
{
	char *p;

	mk(f->host, "src");
	mk(f->host, "src/deep");
	mk(f->host, "private");
	chmod((p = xasprintf("%s/private", f->host)), 0700);
	free(p);
	put(f->host, "README", "hello\n", 0644);
	put(f->host, "run.sh", "#!/bin/sh\necho hi\n", 0755);
	put(f->host, "src/deep/a.c", "int a;\n", 0600);
	put(f->host, "private/key", "secret", 0400);
	put(f->host, "empty", "", 0644);
	assert_int_equal(
	    symlink("src/deep/a.c", (p = xasprintf("%s/link", f->host))), 0);
	free(p);
	assert_int_equal(
	    symlink("../a.c", (p = xasprintf("%s/src/deep/up", f->host))), 0);
	free(p);
	mk(f->host, ".git");
	put(f->host, ".git/HEAD", "ref\n", 0644);
}

/* Every kind of entry arrives with its bits; .git (ignored) does not. */
static void
test_first_sync(void **state)
{
	struct fx *f = *state;
	struct msync_stats st;
	struct msync *ms;
	char *cause = NULL;

	tree(f);
	rescan(f);
	ms = start(f, 0);
	if (msync_full(ms, f->s, &cause) != 0)
		fail_msg("full: %s", cause);
	msync_get_stats(ms, &st);
	assert_int_equal(st.state, MSYNC_WATCHING);
	assert_int_equal(st.failed, 0);
	assert_int_equal(st.refused, 0);
	assert_int_equal(st.files, 5);
	assert_int_equal(st.done_files, st.copy_files);
	assert_int_equal(st.sent_bytes, 6 + 18 + 7 + 6);
	same_tree(f, "");
	assert_false(exists(f->guest, ".git"));
	msync_free(ms);
}

/* A restart with nothing changed sends nothing; a guest-only file goes,
 * one the ignore globs name stays. */
static void
test_resume(void **state)
{
	struct fx *f = *state;
	struct msync_stats st;
	struct msync *ms;
	char *cause = NULL, *p;

	tree(f);
	mk(f->host, "keep");
	age(f);
	rescan(f);
	ms = start(f, 0);
	assert_int_equal(msync_full(ms, f->s, &cause), 0);
	msync_free(ms);

	ms = start(f, 0);
	assert_int_equal(msync_full(ms, f->s, &cause), 0);
	msync_get_stats(ms, &st);
	assert_int_equal(st.sent_files, 0);
	assert_int_equal(st.sent_bytes, 0);
	assert_int_equal(st.deleted, 0);
	msync_free(ms);

	mk(f->guest, "stale");
	put(f->guest, "stale/x", "x", 0644);
	put(f->guest, "keep/a.cache", "c", 0644);
	mk(f->guest, "gone");
	put(f->guest, "gone/b.cache", "c", 0644);
	put(f->guest, "gone/other", "o", 0644);
	put(f->guest, "README", "guest edit\n", 0644); /* the host wins */
	ms = start(f, 0);
	assert_int_equal(msync_full(ms, f->s, &cause), 0);
	msync_get_stats(ms, &st);
	/* stale (with stale/x), gone/other; not gone: b.cache is ignored */
	assert_int_equal(st.deleted, 2);
	assert_int_equal(st.sent_files, 1);
	assert_false(exists(f->guest, "stale"));
	assert_true(exists(f->guest, "keep/a.cache"));
	assert_true(exists(f->guest, "gone/b.cache"));
	assert_false(exists(f->guest, "gone/other"));
	msync_free(ms);
	p = xasprintf("rm -r '%s/gone'", f->guest); /* kept: compared alone */
	assert_int_equal(system(p), 0);
	free(p);
	same_tree(f, "");
}

/* Live changes: modify in place, create, delete, type change, mode. */
static void
test_changes(void **state)
{
	struct fx *f = *state;
	struct msync *ms;
	char *cause = NULL, *p, *q;
	struct stat before, after;

	tree(f);
	rescan(f);
	ms = start(f, 0);
	assert_int_equal(msync_full(ms, f->s, &cause), 0);
	p = xasprintf("%s/README", f->guest);
	assert_int_equal(stat(p, &before), 0);

	put(f->host, "README", "changed, longer\n", 0644);
	put(f->host, "new.txt", "new\n", 0644);
	p[0] = p[0]; /* README is rewritten in place: the same inode */
	q = xasprintf("%s/src/deep/a.c", f->host);
	assert_int_equal(unlink(q), 0);
	free(q);
	q = xasprintf("%s/empty", f->host);
	assert_int_equal(unlink(q), 0);
	assert_int_equal(mkdir(q, 0750), 0);
	free(q);
	mk(f->host, "newdir");
	put(f->host, "newdir/inner", "in\n", 0644);
	q = xasprintf("%s/run.sh", f->host);
	assert_int_equal(chmod(q, 0700), 0);
	free(q);
	rescan(f);
	assert_true(f->ch.n > 0);
	if (msync_changes(ms, &f->ch, &cause) != 0)
		fail_msg("changes: %s", cause);
	assert_int_equal(stat(p, &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);
	free(p);
	same_tree(f, "");

	/* A folder deleted with what it holds. */
	q = xasprintf("rm -rf '%s/src'", f->host);
	assert_int_equal(system(q), 0);
	free(q);
	rescan(f);
	assert_int_equal(msync_changes(ms, &f->ch, &cause), 0);
	assert_false(exists(f->guest, "src"));
	same_tree(f, "");
	msync_free(ms);
}

/* Links out of the folder are not copied (and counted); the receiver
 * refuses escaping paths and links on its own, and never writes through
 * a link in the guest. */
static void
test_refused(void **state)
{
	struct fx *f = *state;
	struct msync_stats st;
	struct msync *ms;
	char *cause = NULL, *p, *outside, *frames, *argv[6];
	struct proc pr = {0};

	tree(f);
	assert_int_equal(
	    symlink("/etc/passwd", (p = xasprintf("%s/abs", f->host))), 0);
	free(p);
	assert_int_equal(
	    symlink("../../x", (p = xasprintf("%s/src/out", f->host))), 0);
	free(p);
	rescan(f);
	ms = start(f, 0);
	assert_int_equal(msync_full(ms, f->s, &cause), 0);
	msync_get_stats(ms, &st);
	assert_int_equal(st.refused, 2);
	assert_non_null(strstr(st.error, "leaves the folder"));
	assert_false(exists(f->guest, "abs"));
	assert_false(exists(f->guest, "src/out"));
	msync_free(ms);

	assert_true(msync_path_ok("a/b"));
	assert_false(msync_path_ok("../a"));
	assert_false(msync_path_ok("a/../b"));
	assert_false(msync_path_ok("/a"));
	assert_false(msync_path_ok("a//b"));
	assert_false(msync_path_ok("a/./b"));
	assert_false(msync_path_ok(""));
	assert_true(msync_link_ok("a/l", "../b"));
	assert_true(msync_link_ok("a/b/l", "../../c/d"));
	assert_false(msync_link_ok("a/l", "../../b"));
	assert_false(msync_link_ok("l", "/etc"));
	assert_false(msync_link_ok("l", "x/../../y"));

	/* The receiver alone, fed hostile frames. */
	outside = xasprintf("%s/outside", f->dir);
	assert_int_equal(mkdir(outside, 0755), 0);
	assert_int_equal(symlink(outside, (p = xasprintf("%s/trap", f->guest))),
	                 0);
	free(p);
	frames = xasprintf("F 420 0 1 4\n../xy"
	                   "F 420 0 1 2\n/xy"
	                   "F 420 0 1 5\na/../xy"
	                   "F 420 0 1 6\ntrap/xy"
	                   "L 0 0 5 2\nl2../.."
	                   "L 0 0 4 2\nl3/etc"
	                   "D 493 0 0 6\ntrap/d"
	                   "X 0 0 0 6\ntrap/x"
	                   "F 420 0 2 4\nokayok"
	                   "S 9 0 0 0\n");
	argv[0] = (char *)"perl";
	argv[1] = (char *)"-e";
	argv[2] = (char *)msync_receiver;
	argv[3] = (char *)"--";
	argv[4] = f->guest;
	argv[5] = NULL;
	pr.argv = argv;
	pr.flags = PROC_OUT;
	pr.input = frames;
	pr.input_len = strlen(frames);
	pr.timeout_ms = 20000;
	proc_run(&pr, NULL);
	assert_int_equal(pr.code, 0);
	assert_non_null(strstr(pr.out, "A 9 1 8\n"));
	assert_non_null(strstr(pr.out, "refused: not a plain relative path"));
	assert_non_null(strstr(pr.out, "refused: the link leaves the folder"));
	assert_non_null(strstr(pr.out, "refused: a parent is not a folder"));
	assert_true(exists(f->guest, "okay"));
	assert_false(exists(f->guest, "l2"));
	assert_false(exists(f->guest, "l3"));
	assert_false(exists(f->dir, "xy"));
	assert_false(exists(f->dir, "guest/xy"));
	assert_false(exists(outside, "xy"));
	assert_false(exists(outside, "d"));
	proc_free(&pr);
	free(frames);
	free(outside);
}

/* The connection dies mid-burst (big files and many small ones); the
 * resume completes the copy, sending less than all of it again. */
static void
test_killed(void **state)
{
	struct fx *f = *state;
	struct msync_stats st;
	struct msync *ms;
	char *cause = NULL, name[64], *big;
	uint64_t total = 0;
	int i;

	mk(f->host, "many");
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof name, "many/f%03d", i);
		put(f->host, name, "some bytes of a small file\n", 0644);
		total += 27;
	}
	big = xmalloc(1024 * 1024 + 1);
	for (i = 0; i < 3; i++) {
		memset(big, 'a' + i, 1024 * 1024);
		big[1024 * 1024] = '\0';
		snprintf(name, sizeof name, "big%d", i);
		put(f->host, name, big, 0644);
		total += 1024 * 1024;
	}
	free(big);
	age(f);
	rescan(f);

	ms = start(f, 1500000); /* past the small files and the first big */
	assert_int_equal(msync_full(ms, f->s, &cause), -1);
	assert_non_null(cause);
	if (getenv("DEBUG_SYNC"))
		fprintf(stderr, "killed: %s\n", cause);
	free(cause);
	cause = NULL;
	msync_free(ms);
	if (getenv("DEBUG_SYNC")) {
		char *c = xasprintf("ls -la '%s' | head; ls '%s/many' | wc -l",
		                    f->guest, f->guest);
		system(c);
	}

	ms = start(f, 0);
	if (msync_full(ms, f->s, &cause) != 0)
		fail_msg("resume: %s", cause);
	msync_get_stats(ms, &st);
	if (st.sent_bytes == 0 || st.sent_bytes >= total)
		fail_msg("resume sent %llu bytes of %llu",
		         (unsigned long long)st.sent_bytes,
		         (unsigned long long)total);
	assert_int_equal(st.failed, 0);
	msync_free(ms);
	same_tree(f, "");

	/* Rewritten in place at the same size, cut mid-file: the half-written
	 * copy (its mtime not set by berth) differs all the same. */
	big = xmalloc(1024 * 1024 + 1);
	for (i = 0; i < 3; i++) {
		memset(big, 'x' + i, 1024 * 1024);
		big[1024 * 1024] = '\0';
		snprintf(name, sizeof name, "big%d", i);
		put(f->host, name, big, 0644);
	}
	free(big);
	rescan(f);
	ms = start(f, 1500000);
	assert_int_equal(msync_changes(ms, &f->ch, &cause), -1);
	free(cause);
	cause = NULL;
	msync_free(ms);
	ms = start(f, 0);
	if (msync_full(ms, f->s, &cause) != 0)
		fail_msg("resume: %s", cause);
	msync_get_stats(ms, &st);
	assert_true(st.sent_bytes >= 1024 * 1024);
	msync_free(ms);
	same_tree(f, "");
}

/* Written again in the second it was copied, at the same size: the copy
 * (its ctime not after its mtime) counts as differing, and a resume
 * sends it. */
static void
test_racy(void **state)
{
	struct fx *f = *state;
	struct timeval tv[2];
	struct msync_stats st;
	struct msync *ms;
	char *cause = NULL, *p = NULL;

	put(f->host, "same", "aaaa", 0644);
	p = xasprintf("%s/same", f->host);
	tv[0].tv_sec = tv[1].tv_sec = time(NULL) + 1000; /* copied "before" */
	tv[0].tv_usec = tv[1].tv_usec = 0;
	assert_int_equal(utimes(p, tv), 0);
	rescan(f);
	ms = start(f, 0);
	assert_int_equal(msync_full(ms, f->s, &cause), 0);
	msync_free(ms);
	put(f->host, "same", "bbbb", 0644);
	assert_int_equal(utimes(p, tv), 0);
	free(p);
	scan_free(f->s);
	f->s = NULL;
	rescan(f);
	ms = start(f, 0);
	assert_int_equal(msync_full(ms, f->s, &cause), 0);
	msync_get_stats(ms, &st);
	assert_int_equal(st.sent_files, 1);
	msync_free(ms);
	same_tree(f, "");
}

/* The profile side: sync: both (the default) is refused for now, with
 * its file:line:col. */
/*
 * The copy is a mirror, so a guest folder berth did not make is refused
 * whole when it is not empty (a guest path like /root given by mistake
 * would otherwise be emptied); an empty one is taken, and marked.
 */
static void
test_foreign_folder(void **state)
{
	struct fx *f = *state;
	struct msync *ms = msync_new(f->host, f->guest, &f->o);
	char *cause = NULL, *parent = xasprintf("%s/guest", f->dir), *mark;
	char *argv[] = {(char *)"perl", (char *)"-e", (char *)msync_receiver,
	                (char *)"--",   f->guest,     NULL};

	assert_int_equal(mkdir(parent, 0755), 0);
	assert_int_equal(mkdir(f->guest, 0755), 0);
	put(f->guest, "precious", "keep me", 0644);
	put(f->host, "README", "hello\n", 0644);
	assert_int_equal(msync_start(ms, argv, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "is not empty"));
	free(cause);
	cause = NULL;
	assert_true(exists(f->guest, "precious"));
	mark = xasprintf("%s/.copy.berth-sync", parent);
	assert_int_equal(access(mark, F_OK), -1);
	/* Emptied by its owner: taken, marked, and mirrored from then on. */
	free(parent);
	parent = xasprintf("%s/precious", f->guest);
	assert_int_equal(unlink(parent), 0);
	age(f);
	rescan(f);
	if (msync_start(ms, argv, &cause) != 0)
		fail_msg("start: %s", cause);
	assert_int_equal(access(mark, F_OK), 0);
	if (msync_full(ms, f->s, &cause) != 0)
		fail_msg("full: %s", cause);
	same_tree(f, "");
	msync_free(ms);
	free(mark);
	free(parent);
}

/* ---- two-way (sync: both) ---- */

/* A two-way receiver on this host keeping f->guest, its base in f->dir. */
static struct msync *
start2(struct fx *f)
{
	struct msync *ms = msync_new(f->host, f->guest, &f->o);
	char *cause = NULL, *base = xasprintf("%s/base", f->dir);
	char *argv[] = {(char *)"perl",
	                (char *)"-e",
	                (char *)msync_receiver,
	                (char *)"--",
	                f->guest,
	                (char *)"both",
	                NULL};

	msync_set_two_way(ms, base);
	free(base);
	if (msync_start(ms, argv, &cause) != 0)
		fail_msg("start: %s", cause);
	return ms;
}

/* A pass over the host and an exchange both ways. */
static void
exchange(struct fx *f, struct msync *ms)
{
	char *cause = NULL;

	rescan(f);
	if (msync_exchange(ms, &f->ch, &cause) != 0)
		fail_msg("exchange: %s", cause);
}

static char *
text(const char *root, const char *rel)
{
	char *p = xasprintf("%s/%s", root, rel), *t;

	t = util_read_file(p, NULL, NULL);
	free(p);
	if (t == NULL)
		fail_msg("%s/%s: cannot read", root, rel);
	return t;
}

/* The only entry of folder root/dir whose name starts with prefix
 * (caller frees), or NULL. */
static char *
find_prefix(const char *root, const char *dir, const char *prefix)
{
	char *p = xasprintf("%s/%s", root, dir), *found = NULL;
	struct dirent *de;
	DIR *d = opendir(p);

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0) {
			assert_null(found);
			found = xstrdup(de->d_name);
		}
	}
	closedir(d);
	free(p);
	return found;
}

/* Guest writes (nested folders, many files, modes, a link, an edit)
 * come back byte-identical, and are not sent back to the guest. */
static void
test_two_guest_changes(void **state)
{
	struct fx *f = *state;
	struct msync_stats st;
	struct msync *ms;
	char *cause = NULL, rel[64], body[64], *p;
	uint64_t sent, dropped, fetched;
	static char big[512 * 1024];
	int i, fd;

	tree(f);
	age(f);
	rescan(f);
	ms = start2(f);
	if (msync_full(ms, f->s, &cause) != 0)
		fail_msg("full: %s", cause);
	same_tree(f, "");
	msync_get_stats(ms, &st);
	sent = st.sent_files;

	mk(f->guest, "node_modules");
	for (i = 0; i < 40; i++) {
		snprintf(rel, sizeof rel, "node_modules/p%d", i);
		mk(f->guest, rel);
		snprintf(rel, sizeof rel, "node_modules/p%d/lib", i);
		mk(f->guest, rel);
		for (int j = 0; j < 10; j++) {
			snprintf(rel, sizeof rel, "node_modules/p%d/lib/f%d.js",
			         i, j);
			snprintf(body, sizeof body, "module %d %d\n", i, j);
			put(f->guest, rel, body, j == 0 ? 0755 : 0644);
		}
	}
	put(f->guest, "README", "edited in the guest\n", 0644);
	assert_int_equal(
	    symlink("README", (p = xasprintf("%s/readme", f->guest))), 0);
	free(p);
	mk(f->guest, "build.cache"); /* ignored: stays in the guest */
	put(f->guest, "build.cache/x", "x", 0644);
	exchange(f, ms);
	msync_get_stats(ms, &st);
	assert_int_equal(st.failed, 0);
	assert_int_equal(st.conflicts, 0);
	assert_true(st.fetched >= 40 * 12 + 2);
	assert_false(exists(f->host, "build.cache"));
	p = text(f->host, "README");
	assert_string_equal(p, "edited in the guest\n");
	free(p);
	p = text(f->host, "node_modules/p39/lib/f9.js");
	assert_string_equal(p, "module 39 9\n");
	free(p);
	assert_null(find_prefix(f->host, "", ".berth-tmp."));
	same_tree(f, "");

	/* The host's watcher sees those files now: none goes back. */
	exchange(f, ms);
	exchange(f, ms);
	msync_get_stats(ms, &st);
	assert_int_equal(st.sent_files, sent);
	assert_int_equal(st.conflicts, 0);

	/* The receiver was told build.cache is ignored: what happens in it
	 * is no longer reported (before, each change travelled and was
	 * dropped here). */
	assert_true(st.dropped > 0);
	dropped = st.dropped;
	for (i = 0; i < 50; i++) {
		snprintf(rel, sizeof rel, "build.cache/o%d", i);
		put(f->guest, rel, "object", 0644);
	}
	mk(f->guest, "build.cache/sub");
	put(f->guest, "build.cache/sub/o", "object", 0644);
	exchange(f, ms);
	msync_get_stats(ms, &st);
	assert_int_equal(st.dropped, dropped);
	assert_false(exists(f->host, "build.cache"));

	/* A writer that keeps its file open (a log) is seen once the file
	 * is quiet for one collect, without waiting for the close. */
	p = xasprintf("%s/app.log", f->guest);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	free(p);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "one\n", 4), 4);
	exchange(f, ms);
	exchange(f, ms);
	p = text(f->host, "app.log");
	assert_string_equal(p, "one\n");
	free(p);
	assert_int_equal(write(fd, "two\n", 4), 4);
	exchange(f, ms);
	exchange(f, ms);
	p = text(f->host, "app.log");
	assert_string_equal(p, "one\ntwo\n");
	free(p);
	close(fd);

	/* A big file growing while open is not sent at each collect: once,
	 * when it is closed. */
	memset(big, 'b', sizeof big);
	p = xasprintf("%s/big.bin", f->guest);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(write(fd, big, sizeof big),
		                 (ssize_t)sizeof big);
	close(fd);
	exchange(f, ms);
	msync_get_stats(ms, &st);
	fetched = st.fetched_bytes;
	fd = open(p, O_WRONLY | O_APPEND);
	free(p);
	assert_true(fd >= 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(write(fd, big, sizeof big),
		                 (ssize_t)sizeof big);
		exchange(f, ms);
	}
	msync_get_stats(ms, &st);
	assert_int_equal(st.fetched_bytes, fetched);
	close(fd);
	exchange(f, ms);
	msync_get_stats(ms, &st);
	assert_int_equal(st.fetched_bytes, fetched + 7 * sizeof big);

	/* Deleted in the guest: deleted on the host. */
	p = xasprintf("rm -r '%s/node_modules/p3' '%s/run.sh'", f->guest,
	              f->guest);
	assert_int_equal(system(p), 0);
	free(p);
	exchange(f, ms);
	assert_false(exists(f->host, "node_modules/p3"));
	assert_false(exists(f->host, "run.sh"));
	assert_true(exists(f->host, "node_modules/p4/lib/f0.js"));
	same_tree(f, "");
	msync_get_stats(ms, &st);
	assert_int_equal(st.sent_files, sent);
	msync_free(ms);
}

/* Changed on both sides while connected: both copies are kept, the
 * host's under the name and the guest's as NAME.conflict-HOST-TIME, on
 * both sides; whichever side noticed first. */
static void
test_two_conflict(void **state)
{
	struct fx *f = *state;
	struct msync_stats st;
	struct msync *ms;
	char *cause = NULL, *name, *p;

	tree(f);
	age(f);
	rescan(f);
	ms = start2(f);
	assert_int_equal(msync_full(ms, f->s, &cause), 0);

	/* The guest's edit is not yet collected when the host's arrives:
	 * the receiver keeps the guest's copy aside. */
	put(f->guest, "README", "guest wrote this\n", 0644);
	put(f->host, "README", "host wrote this, longer\n", 0644);
	rescan(f);
	assert_int_equal(msync_changes(ms, &f->ch, &cause), 0);
	msync_get_stats(ms, &st);
	assert_int_equal(st.conflicts, 1);
	exchange(f, ms);
	exchange(f, ms);
	name = find_prefix(f->host, "", "README.conflict-");
	assert_non_null(name);
	p = text(f->host, name);
	assert_string_equal(p, "guest wrote this\n");
	free(p);
	p = text(f->guest, "README");
	assert_string_equal(p, "host wrote this, longer\n");
	free(p);
	free(name);
	same_tree(f, "");

	/* The host's edit is not yet sent when the guest's arrives: the
	 * host keeps its copy and writes the guest's beside it. */
	put(f->host, "run.sh", "#!/bin/sh\necho host\n", 0755);
	put(f->guest, "run.sh", "#!/bin/sh\necho the guest\n", 0755);
	assert_int_equal(msync_exchange(ms, &(struct scan_changes){0}, &cause),
	                 0);
	msync_get_stats(ms, &st);
	assert_int_equal(st.conflicts, 2);
	p = text(f->host, "run.sh");
	assert_string_equal(p, "#!/bin/sh\necho host\n");
	free(p);
	name = find_prefix(f->host, "", "run.sh.conflict-");
	assert_non_null(name);
	{
		/* Named after the guest (here this machine's node name). */
		char node[128], *want;

		assert_int_equal(gethostname(node, sizeof node), 0);
		want = xasprintf("run.sh.conflict-%s-2", node);
		assert_int_equal(strncmp(name, want, strlen(want)), 0);
		free(want);
	}
	p = text(f->host, name);
	assert_string_equal(p, "#!/bin/sh\necho the guest\n");
	free(p);
	free(name);
	exchange(f, ms);
	exchange(f, ms);
	same_tree(f, "");
	msync_free(ms);
}

/* Changes made while berth was away are told apart by the saved base:
 * each side's change wins over the other's unchanged copy (deletions
 * too), a change on both is a conflict, and a second restart moves
 * nothing. */
static void
test_two_restart(void **state)
{
	struct fx *f = *state;
	struct msync_stats st;
	struct msync *ms;
	char *cause = NULL, *p, *name;

	tree(f);
	put(f->host, "both.txt", "base\n", 0644);
	age(f);
	rescan(f);
	ms = start2(f);
	assert_int_equal(msync_full(ms, f->s, &cause), 0);
	msync_free(ms); /* saves the base */

	put(f->host, "README", "host edit while away\n", 0644);
	put(f->guest, "run.sh", "#!/bin/sh\necho guest edit while away\n",
	    0755);
	p = xasprintf("%s/empty", f->host);
	assert_int_equal(unlink(p), 0);
	free(p);
	p = xasprintf("%s/src/deep/a.c", f->guest);
	assert_int_equal(unlink(p), 0);
	free(p);
	put(f->host, "both.txt", "host side\n", 0644);
	put(f->guest, "both.txt", "guest side!\n", 0644);
	put(f->guest, "guest-new", "new\n", 0644);

	rescan(f);
	ms = start2(f);
	if (msync_full(ms, f->s, &cause) != 0)
		fail_msg("full: %s", cause);
	msync_get_stats(ms, &st);
	assert_int_equal(st.conflicts, 1);
	assert_int_equal(st.failed, 0);
	p = text(f->guest, "README");
	assert_string_equal(p, "host edit while away\n");
	free(p);
	p = text(f->host, "run.sh");
	assert_string_equal(p, "#!/bin/sh\necho guest edit while away\n");
	free(p);
	assert_false(exists(f->guest, "empty"));
	assert_false(exists(f->host, "src/deep/a.c"));
	assert_true(exists(f->host, "guest-new"));
	p = text(f->host, "both.txt");
	assert_string_equal(p, "host side\n");
	free(p);
	exchange(f, ms);
	exchange(f, ms);
	name = find_prefix(f->host, "", "both.txt.conflict-");
	assert_non_null(name);
	p = text(f->host, name);
	assert_string_equal(p, "guest side!\n");
	free(p);
	free(name);
	same_tree(f, "");
	msync_free(ms);

	rescan(f);
	ms = start2(f);
	assert_int_equal(msync_full(ms, f->s, &cause), 0);
	msync_get_stats(ms, &st);
	assert_int_equal(st.sent_bytes, 0);
	assert_int_equal(st.fetched, 0);
	assert_int_equal(st.deleted, 0);
	assert_int_equal(st.conflicts, 0);
	msync_free(ms);
}

/* Host renames (a file, a folder) are renames in the guest (its inode
 * kept: the kernel raises IN_MOVED_FROM/TO); one whose old guest copy
 * changed meanwhile is kept as a conflict and the new name sent whole. */
static void
test_two_rename(void **state)
{
	struct fx *f = *state;
	struct msync_stats st;
	struct msync *ms;
	char *cause = NULL, *a, *b, *name;
	struct stat before, after, dbefore, dafter;

	tree(f);
	age(f);
	rescan(f);
	ms = start2(f);
	assert_int_equal(msync_full(ms, f->s, &cause), 0);
	a = xasprintf("%s/README", f->guest);
	assert_int_equal(lstat(a, &before), 0);
	free(a);
	a = xasprintf("%s/src", f->guest);
	assert_int_equal(lstat(a, &dbefore), 0);
	free(a);

	a = xasprintf("%s/README", f->host);
	b = xasprintf("%s/README.md", f->host);
	assert_int_equal(rename(a, b), 0);
	free(a);
	free(b);
	a = xasprintf("%s/src", f->host);
	b = xasprintf("%s/source", f->host);
	assert_int_equal(rename(a, b), 0);
	free(a);
	free(b);
	exchange(f, ms);
	msync_get_stats(ms, &st);
	assert_int_equal(st.renamed, 2);
	assert_int_equal(st.failed, 0);
	a = xasprintf("%s/README.md", f->guest);
	assert_int_equal(lstat(a, &after), 0);
	free(a);
	assert_int_equal(before.st_ino, after.st_ino);
	a = xasprintf("%s/source", f->guest);
	assert_int_equal(lstat(a, &dafter), 0);
	free(a);
	assert_int_equal(dbefore.st_ino, dafter.st_ino);
	assert_false(exists(f->guest, "README"));
	assert_false(exists(f->guest, "src"));
	exchange(f, ms);
	same_tree(f, "");
	msync_get_stats(ms, &st);
	assert_int_equal(st.conflicts, 0);

	/* The guest changed the old name first: kept aside, the new name
	 * arrives whole. */
	put(f->guest, "run.sh", "#!/bin/sh\necho guest\n", 0755);
	a = xasprintf("%s/run.sh", f->host);
	b = xasprintf("%s/start.sh", f->host);
	assert_int_equal(rename(a, b), 0);
	free(a);
	free(b);
	rescan(f);
	assert_int_equal(msync_changes(ms, &f->ch, &cause), 0);
	a = text(f->guest, "start.sh");
	assert_string_equal(a, "#!/bin/sh\necho hi\n");
	free(a);
	assert_false(exists(f->guest, "run.sh"));
	exchange(f, ms);
	exchange(f, ms);
	name = find_prefix(f->host, "", "run.sh.conflict-");
	assert_non_null(name);
	a = text(f->host, name);
	assert_string_equal(a, "#!/bin/sh\necho guest\n");
	free(a);
	free(name);
	msync_get_stats(ms, &st);
	assert_int_equal(st.conflicts, 1);
	same_tree(f, "");
	msync_free(ms);
}

static ino_t
ino(const char *root, const char *rel)
{
	char *p = xasprintf("%s/%s", root, rel);
	struct stat sb;

	if (lstat(p, &sb) != 0)
		fail_msg("%s: %s", p, strerror(errno));
	free(p);
	return sb.st_ino;
}

static void
mv(const char *root, const char *from, const char *to)
{
	char *a = xasprintf("%s/%s", root, from),
	     *b = xasprintf("%s/%s", root, to);

	assert_int_equal(rename(a, b), 0);
	free(a);
	free(b);
}

/* Guest renames of a file and a folder are renames on the host (the
 * same inodes, no bytes fetched); an edit just before a rename arrives
 * with it; a rename of a file the host changed meanwhile keeps both. */
static void
test_two_guest_rename(void **state)
{
	struct fx *f = *state;
	struct msync_stats st;
	struct msync *ms;
	char *cause = NULL, *t;
	ino_t readme, src;
	uint64_t sent, fetched_bytes;

	tree(f);
	age(f);
	rescan(f);
	ms = start2(f);
	assert_int_equal(msync_full(ms, f->s, &cause), 0);
	exchange(f, ms);
	readme = ino(f->host, "README");
	src = ino(f->host, "src");
	msync_get_stats(ms, &st);
	sent = st.sent_files;
	fetched_bytes = st.fetched_bytes;

	mv(f->guest, "README", "README.md");
	mv(f->guest, "src", "source");
	exchange(f, ms);
	msync_get_stats(ms, &st);
	assert_int_equal(st.renamed, 2);
	assert_int_equal(st.failed, 0);
	assert_int_equal(st.fetched_bytes, fetched_bytes);
	assert_false(exists(f->host, "README"));
	assert_false(exists(f->host, "src"));
	assert_true(ino(f->host, "README.md") == readme);
	assert_true(ino(f->host, "source") == src);
	assert_true(exists(f->host, "source/deep/a.c"));
	same_tree(f, "");
	/* The host's watcher sees the renames: nothing goes back. */
	exchange(f, ms);
	exchange(f, ms);
	msync_get_stats(ms, &st);
	assert_int_equal(st.sent_files, sent);
	assert_int_equal(st.conflicts, 0);

	/* Written, then renamed, within one collect. */
	put(f->guest, "run.sh", "#!/bin/sh\necho renamed\n", 0755);
	mv(f->guest, "run.sh", "start.sh");
	exchange(f, ms);
	assert_false(exists(f->host, "run.sh"));
	t = text(f->host, "start.sh");
	assert_string_equal(t, "#!/bin/sh\necho renamed\n");
	free(t);
	same_tree(f, "");

	/* The host changed the file the guest renames: the host's stays
	 * under the old name, the guest's arrives under the new. */
	put(f->host, "empty", "host edit\n", 0644);
	mv(f->guest, "empty", "empty2");
	scan_changes_clear(&f->ch); /* the host's edit not seen yet */
	assert_int_equal(msync_exchange(ms, &f->ch, &cause), 0);
	exchange(f, ms);
	exchange(f, ms);
	t = text(f->host, "empty");
	assert_string_equal(t, "host edit\n");
	free(t);
	t = text(f->host, "empty2");
	assert_string_equal(t, "");
	free(t);
	t = text(f->guest, "empty");
	assert_string_equal(t, "host edit\n");
	free(t);
	same_tree(f, "");
	msync_free(ms);
}

/* A copy made anew in the guest (a new VM: no mark, another id) or a
 * side found empty is merged, never read as deletions. */
static void
test_two_new_copy(void **state)
{
	struct fx *f = *state;
	struct msync_stats st;
	struct msync *ms;
	char *cause = NULL, *cmd;

	tree(f);
	age(f);
	rescan(f);
	ms = start2(f);
	assert_int_equal(msync_full(ms, f->s, &cause), 0);
	msync_free(ms);

	/* A new guest: its copy and mark are gone. */
	cmd = xasprintf("rm -rf '%s' '%s/guest/.copy.berth-sync'", f->guest,
	                f->dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	ms = start2(f);
	assert_int_equal(msync_full(ms, f->s, &cause), 0);
	msync_get_stats(ms, &st);
	assert_int_equal(st.fetched, 0); /* no host delete */
	assert_true(exists(f->host, "README"));
	same_tree(f, "");
	msync_free(ms);

	/* The same copy, emptied while berth was away (mark kept). */
	cmd = xasprintf("rm -rf '%s'/* '%s'/.git", f->guest, f->guest);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	ms = start2(f);
	assert_int_equal(msync_full(ms, f->s, &cause), 0);
	msync_get_stats(ms, &st);
	assert_int_equal(st.fetched, 0);
	assert_true(exists(f->host, "src/deep/a.c"));
	assert_non_null(strstr(st.error, "guest's copy was empty"));
	same_tree(f, "");
	msync_free(ms);
}

static void
test_profile(void **state)
{
	struct config_errors errs = {NULL, 0};
	struct profile *p;
	const char *bad = "mounts:\n  - host: /tmp/x\n    type: sync\n"
	                  "    sync: sideways\n";
	const char *none = "mounts:\n  - host: /tmp/x\n    type: sync\n";
	const char *good = "mounts:\n  - host: /tmp/x\n    type: sync\n"
	                   "    sync: host-to-guest\n";

	(void)state;
	assert_null(
	    profile_load_buffer(bad, strlen(bad), "t.yaml", "t", &errs));
	assert_int_equal(errs.n, 1);
	assert_int_equal(errs.list[0].line, 4);
	assert_int_equal(errs.list[0].col, 11);
	config_errors_free(&errs);
	p = profile_load_buffer(none, strlen(none), "t.yaml", "t", &errs);
	assert_non_null(p);
	assert_int_equal(p->mounts[0].type, PROFILE_MOUNT_SYNC);
	assert_int_equal(p->mounts[0].sync, PROFILE_SYNC_BOTH);
	profile_free(p);
	p = profile_load_buffer(good, strlen(good), "t.yaml", "t", &errs);
	assert_non_null(p);
	assert_int_equal(p->mounts[0].type, PROFILE_MOUNT_SYNC);
	assert_int_equal(p->mounts[0].sync, PROFILE_SYNC_HOST_TO_GUEST);
	profile_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_first_sync, fx_setup,
	                                    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_resume, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_changes, fx_setup,
	                                    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_refused, fx_setup,
	                                    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_killed, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_racy, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_foreign_folder, fx_setup,
	                                    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_two_guest_changes, fx_setup,
	                                    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_two_conflict, fx_setup,
	                                    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_two_restart, fx_setup,
	                                    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_two_rename, fx_setup,
	                                    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_two_guest_rename, fx_setup,
	                                    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_two_new_copy, fx_setup,
	                                    fx_teardown),
	    cmocka_unit_test(test_profile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
