/*
 * test_pin.c: keeping a 9p share's folders open in the guest. The plans
 * (every folder of a real scan, parents first, in holders of at most
 * PIN_GROUP_MAX; new folders in a new holder; a holder that lost a folder
 * re-pins its others BEFORE it is stopped; a new boot pins afresh), the
 * chunked encoding, the script's output, and the guest script itself run
 * by this host's bash and busybox ash on real folders: the holder really
 * holds them, K and X stop exactly what they name, hostile names are
 * data.
 */

#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
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
	struct scan *s;
	struct scan_changes ch;
};

static void
fx_mkdir(const struct fx *f, const char *rel)
{
	char *p = xasprintf("%s/%s", f->dir, rel);

	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
}

static void
fx_scan(struct fx *f)
{
	struct scan_options o;
	char *cause = NULL;

	scan_options_default(&o);
	o.full = 1;
	if (f->s == NULL) {
		f->s = scan_new(f->dir, &o, &cause);
		assert_non_null(f->s);
	}
	scan_changes_clear(&f->ch);
	assert_int_equal(scan_pass(f->s, util_mono_ms(), &f->ch, &cause), 0);
}

static void
fx_done(struct fx *f)
{
	char *cmd = xasprintf("rm -rf '%s'", f->dir);

	assert_int_equal(system(cmd), 0);
	free(cmd);
	scan_free(f->s);
	scan_changes_clear(&f->ch);
}

static void
fx_init(struct fx *f)
{
	memset(f, 0, sizeof *f);
	snprintf(f->dir, sizeof f->dir, "/tmp/berth-pin.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
}

/* The index of the line starting with prefix, or -1. */
static int
plan_find(const struct pin_plan *pl, const char *line)
{
	size_t i;

	for (i = 0; i < pl->n; i++) {
		if (strcmp(pl->line[i], line) == 0)
			return (int)i;
	}
	return -1;
}

/* "P GROUP PATH" -> GROUP (static buffer). */
static const char *
plan_group_of(const struct pin_plan *pl, const char *path)
{
	static char g[64];
	size_t i, n;
	const char *sp;

	for (i = 0; i < pl->n; i++) {
		if (pl->line[i][0] != 'P' ||
		    (sp = strchr(pl->line[i] + 2, ' ')) == NULL ||
		    strcmp(sp + 1, path) != 0)
			continue;
		n = (size_t)(sp - (pl->line[i] + 2));
		memcpy(g, pl->line[i] + 2, n);
		g[n] = '\0';
		return g;
	}
	return NULL;
}

static void
test_full_plan(void **state)
{
	struct fx f;
	struct pinset *ps = pinset_new("/mnt/src");
	struct pin_plan pl = {0};
	char *x;
	int a, ab;

	(void)state;
	fx_init(&f);
	fx_mkdir(&f, "a");
	fx_mkdir(&f, "a/b");
	fx_mkdir(&f, "c");
	fx_mkdir(&f, "sp ace");
	fx_scan(&f);
	assert_true(pinset_needs_full(ps));
	pinset_plan_full(ps, f.s, &pl);
	assert_false(pinset_needs_full(ps));
	assert_int_equal(pl.pins, 4);
	assert_int_equal(pl.n, 5);
	assert_int_equal(pinset_count(ps), 4);
	assert_int_equal(pinset_groups(ps), 1);
	assert_non_null(plan_group_of(&pl, "/mnt/src/a"));
	assert_non_null(plan_group_of(&pl, "/mnt/src/sp ace"));
	assert_null(plan_group_of(&pl, "/mnt/src")); /* the mount pins it */
	/* Parents before children; one holder for all four. */
	a = -1;
	ab = -1;
	for (size_t i = 0; i < pl.n; i++) {
		if (strstr(pl.line[i], " /mnt/src/a/b") != NULL)
			ab = (int)i;
		else if (strstr(pl.line[i], " /mnt/src/a") != NULL)
			a = (int)i;
	}
	assert_true(a >= 0 && ab > a);
	/* Group names: KEY-EPOCH-N, then X sweeps every other epoch. */
	assert_int_equal(strncmp(plan_group_of(&pl, "/mnt/src/c"),
	                         pinset_key(ps), strlen(pinset_key(ps))),
	                 0);
	x = pl.line[pl.n - 1];
	assert_int_equal(x[0], 'X');
	assert_non_null(strstr(x, pinset_key(ps)));
	{
		char *g = xstrdup(plan_group_of(&pl, "/mnt/src/c")), *want;

		*strrchr(g, '-') = '\0'; /* KEY-EPOCH */
		want = xasprintf("X %s- %s-", pinset_key(ps), g);
		assert_string_equal(x, want);
		free(want);
		free(g);
	}
	pin_plan_clear(&pl);
	pinset_free(ps);
	fx_done(&f);
}

/* The limit's choice: held ones first, then the shallowest, in order. */
static void
test_choose(void **state)
{
	struct pin_cand v[] = {
	    {"a", 0, 0},     {"a/b", 0, 1}, {"a/b/c", 1, 2},
	    {"a/b/d", 0, 3}, {"e", 0, 4},   {"e/f", 0, 5},
	};
	size_t n = sizeof v / sizeof v[0];

	(void)state;
	assert_int_equal(pin_demand_max(5), 10);
	assert_int_equal(pin_demand_max(SIZE_MAX), SIZE_MAX);
	/* Under the limit: all, in their order. */
	assert_int_equal(pin_choose(v, n, 6), 6);
	assert_string_equal(v[0].rel, "a");
	/* Limit 3: a/b/c (held), then a and e (depth 0); snapshot order. */
	assert_int_equal(pin_choose(v, n, 3), 3);
	assert_string_equal(v[0].rel, "a");
	assert_string_equal(v[1].rel, "a/b/c");
	assert_string_equal(v[2].rel, "e");
	/* Limit 0 holds nothing from the start (and nothing on demand). */
	{
		struct pin_cand w[] = {{"a", 0, 0}, {"b", 0, 1}};

		assert_int_equal(pin_choose(w, 2, 0), 0);
	}
	/* Held beyond the limit are kept up to twice it. */
	{
		struct pin_cand w[] = {
		    {"x/1", 1, 0}, {"x/2", 1, 1}, {"x/3", 1, 2},
		    {"x", 0, 3},   {"y", 0, 4},
		};

		assert_int_equal(pin_choose(w, 5, 1), 2);
		assert_string_equal(w[0].rel, "x/1");
		assert_string_equal(w[1].rel, "x/2");
	}
}

/*
 * A share with more folders than the limit: a full pin holds the
 * shallowest; a change in a folder not held holds it (on demand), a new
 * folder is held at once, up to twice the limit.
 */
static void
test_limit_on_demand(void **state)
{
	struct fx f;
	struct pinset *ps = pinset_new("/m");
	struct pin_plan pl = {0};
	char name[32], *p;
	int i;

	(void)state;
	fx_init(&f);
	fx_mkdir(&f, "a");
	fx_mkdir(&f, "a/b");
	fx_mkdir(&f, "a/b/c");
	fx_mkdir(&f, "a/b/c/d");
	fx_mkdir(&f, "e");
	fx_scan(&f);
	pinset_set_limit(ps, 3);
	pinset_plan_full(ps, f.s, &pl);
	assert_int_equal(pl.pins, 3);
	assert_int_equal(pinset_count(ps), 3);
	assert_int_equal(pinset_total(ps), 5);
	assert_non_null(plan_group_of(&pl, "/m/a"));
	assert_non_null(plan_group_of(&pl, "/m/e"));
	assert_non_null(plan_group_of(&pl, "/m/a/b"));
	assert_null(plan_group_of(&pl, "/m/a/b/c/d"));
	pin_plan_clear(&pl);

	/* A file changed three folders deep: its folder is held. */
	p = xasprintf("%s/a/b/c/d/x.js", f.dir);
	{
		FILE *fp = fopen(p, "w");

		assert_non_null(fp);
		fclose(fp);
	}
	free(p);
	fx_scan(&f);
	pinset_plan_changes(ps, &f.ch, &pl);
	assert_non_null(plan_group_of(&pl, "/m/a/b/c/d"));
	assert_int_equal(pl.pins, 1);
	assert_int_equal(pinset_count(ps), 4);
	pin_plan_clear(&pl);

	/* A folder made on the host: held at once. */
	fx_mkdir(&f, "new");
	fx_scan(&f);
	pinset_plan_changes(ps, &f.ch, &pl);
	assert_non_null(plan_group_of(&pl, "/m/new"));
	assert_int_equal(pinset_count(ps), 5);
	assert_int_equal(pinset_total(ps), 6);
	pin_plan_clear(&pl);

	/* Twice the limit (6) is the most: of three new folders, one. */
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof name, "n%d", i);
		fx_mkdir(&f, name);
	}
	fx_scan(&f);
	pinset_plan_changes(ps, &f.ch, &pl);
	assert_int_equal(pl.pins, 1);
	assert_int_equal(pinset_count(ps), 6);
	assert_int_equal(pinset_total(ps), 9);
	pin_plan_clear(&pl);

	/* A full pin again (compaction, a new boot) keeps what is held. */
	pinset_invalidate(ps);
	pinset_plan_full(ps, f.s, &pl);
	assert_int_equal(pl.pins, 6);
	assert_non_null(plan_group_of(&pl, "/m/a/b/c/d"));
	assert_non_null(plan_group_of(&pl, "/m/new"));
	pin_plan_clear(&pl);
	pinset_free(ps);
	fx_done(&f);
}

/* More folders than one holder takes: holders of PIN_GROUP_MAX. */
static void
test_full_plan_groups(void **state)
{
	struct fx f;
	struct pinset *ps = pinset_new("/g");
	struct pin_plan pl = {0};
	char name[32];
	int i;

	(void)state;
	fx_init(&f);
	for (i = 0; i < PIN_GROUP_MAX + 10; i++) {
		snprintf(name, sizeof name, "d%03d", i);
		fx_mkdir(&f, name);
	}
	fx_scan(&f);
	pinset_plan_full(ps, f.s, &pl);
	assert_int_equal(pl.pins, PIN_GROUP_MAX + 10);
	assert_int_equal(pinset_groups(ps), 2);
	pin_plan_clear(&pl);
	pinset_free(ps);
	fx_done(&f);
}

static void
test_changes_plan(void **state)
{
	struct fx f;
	struct pinset *ps = pinset_new("/m");
	struct pin_plan pl = {0};
	char *g_a, *g_new, *g_c, *kill, *p;
	int ip, ik;

	(void)state;
	fx_init(&f);
	fx_mkdir(&f, "a");
	fx_mkdir(&f, "c");
	fx_scan(&f);
	pinset_plan_full(ps, f.s, &pl);
	g_a = xstrdup(plan_group_of(&pl, "/m/a"));
	pin_plan_clear(&pl);

	/* Nothing changed: nothing to do. */
	fx_scan(&f);
	pinset_plan_changes(ps, &f.ch, &pl);
	assert_int_equal(pl.n, 0);

	/* A new folder: pinned in a new holder; files are not pinned. */
	fx_mkdir(&f, "n");
	p = xasprintf("%s/file", f.dir);
	assert_int_equal(close(creat(p, 0644)), 0);
	free(p);
	fx_scan(&f);
	pinset_plan_changes(ps, &f.ch, &pl);
	assert_int_equal(pl.n, 1);
	g_new = xstrdup(plan_group_of(&pl, "/m/n"));
	assert_string_not_equal(g_new, g_a);
	assert_int_equal(pinset_count(ps), 3);
	assert_int_equal(pinset_groups(ps), 2);
	pin_plan_clear(&pl);

	/* Deleting a: c (same holder) is pinned in a new one, THEN the
	 * old holder is stopped. */
	p = xasprintf("%s/a", f.dir);
	assert_int_equal(rmdir(p), 0);
	free(p);
	fx_scan(&f);
	pinset_plan_changes(ps, &f.ch, &pl);
	assert_int_equal(pl.pins, 1);
	g_c = xstrdup(plan_group_of(&pl, "/m/c"));
	assert_string_not_equal(g_c, g_a);
	kill = xasprintf("K %s", g_a);
	ik = plan_find(&pl, kill);
	p = xasprintf("P %s /m/c", g_c);
	ip = plan_find(&pl, p);
	assert_true(ip >= 0 && ik > ip);
	assert_int_equal(pinset_count(ps), 2);
	assert_int_equal(pinset_groups(ps), 2);
	pin_plan_clear(&pl);
	free(p);
	free(kill);

	/* A folder that became a file is unpinned the same way. */
	p = xasprintf("%s/n", f.dir);
	assert_int_equal(rmdir(p), 0);
	assert_int_equal(close(creat(p, 0644)), 0);
	free(p);
	fx_scan(&f);
	pinset_plan_changes(ps, &f.ch, &pl);
	kill = xasprintf("K %s", g_new);
	assert_true(plan_find(&pl, kill) >= 0);
	assert_null(plan_group_of(&pl, "/m/n"));
	assert_int_equal(pinset_count(ps), 1);
	pin_plan_clear(&pl);
	free(kill);

	free(g_a);
	free(g_new);
	free(g_c);
	pinset_free(ps);
	fx_done(&f);
}

/* Too many holders: the next plan pins afresh under a new epoch. */
static void
test_compaction(void **state)
{
	struct fx f;
	struct pinset *ps = pinset_new("/m");
	struct pin_plan pl = {0};
	char name[32];
	int i;

	(void)state;
	fx_init(&f);
	fx_scan(&f);
	pinset_plan_full(ps, f.s, &pl);
	pin_plan_clear(&pl);
	for (i = 0; i <= PIN_GROUPS_MAX + 2 && !pinset_needs_full(ps); i++) {
		snprintf(name, sizeof name, "d%d", i);
		fx_mkdir(&f, name);
		fx_scan(&f);
		/* One more folder each pass: one more holder. */
		pinset_plan_changes(ps, &f.ch, &pl);
		pin_plan_clear(&pl);
	}
	/* A fresh pin needs one holder: PIN_GROUPS_MAX more is too many. */
	assert_int_equal(i, PIN_GROUPS_MAX + 2);
	assert_true(pinset_needs_full(ps));
	pinset_plan_full(ps, f.s, &pl);
	assert_int_equal(pinset_groups(ps), 1);
	assert_int_equal(pl.pins, PIN_GROUPS_MAX + 2);
	pin_plan_clear(&pl);
	pinset_free(ps);
	fx_done(&f);
}

/* A big share needs many holders from the start: that is no reason to
 * pin afresh on every pass. */
static void
test_big_share_is_not_compacted(void **state)
{
	struct fx f;
	struct pinset *ps = pinset_new("/m");
	struct pin_plan pl = {0};
	char name[32];
	int i, n = (PIN_GROUPS_MAX + 2) * PIN_GROUP_MAX;

	(void)state;
	fx_init(&f);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof name, "d%05d", i);
		fx_mkdir(&f, name);
	}
	fx_scan(&f);
	pinset_plan_full(ps, f.s, &pl);
	pin_plan_clear(&pl);
	assert_int_equal(pinset_groups(ps), PIN_GROUPS_MAX + 2);
	fx_scan(&f);
	pinset_plan_changes(ps, &f.ch, &pl);
	assert_int_equal(pl.n, 0);
	assert_false(pinset_needs_full(ps));
	pinset_free(ps);
	fx_done(&f);
}

static void
test_boot(void **state)
{
	struct fx f;
	struct pinset *ps = pinset_new("/m");
	struct pin_plan pl = {0};

	(void)state;
	fx_init(&f);
	fx_scan(&f);
	pinset_plan_full(ps, f.s, &pl);
	pin_plan_clear(&pl);
	assert_false(pinset_check_boot(ps, "aaaa"));
	assert_false(pinset_check_boot(ps, "aaaa"));
	assert_false(pinset_check_boot(ps, ""));
	assert_true(pinset_check_boot(ps, "bbbb")); /* rebooted */
	assert_true(pinset_needs_full(ps));
	/* The full pin made in the new boot records it: no loop. */
	pinset_plan_full(ps, f.s, &pl);
	pin_plan_clear(&pl);
	pinset_set_boot(ps, "cccc");
	assert_false(pinset_check_boot(ps, "cccc"));
	assert_false(pinset_needs_full(ps));
	pinset_free(ps);
	fx_done(&f);

	/* Holders that died: fewer alive than made means pin afresh. */
	fx_init(&f);
	fx_mkdir(&f, "a");
	fx_scan(&f);
	ps = pinset_new("/m");
	pinset_plan_full(ps, f.s, &pl);
	pin_plan_clear(&pl);
	assert_int_equal(pinset_groups(ps), 1);
	pinset_plan_check(ps, &pl);
	assert_int_equal(pl.n, 1);
	assert_int_equal(pl.line[0][0], 'C');
	pin_plan_clear(&pl);
	assert_false(pinset_check_holders(ps, -1)); /* not asked */
	assert_false(pinset_check_holders(ps, 1));
	assert_true(pinset_check_holders(ps, 0));
	pinset_free(ps);
	fx_done(&f);
}

static void
test_encode_and_parse(void **state)
{
	struct pin_plan pl = {0};
	struct pin_result r;
	size_t next, len;
	char *s;

	(void)state;
	pl.line = xcalloc(3, sizeof *pl.line);
	pl.line[0] = xstrdup("P g-1 /a");
	pl.line[1] = xstrdup("P g-1 /bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	pl.line[2] = xstrdup("K g-0");
	pl.n = pl.cap = 3;
	s = pin_plan_encode(&pl, 0, 20, &next, &len);
	assert_string_equal(s, "P g-1 /a\n");
	assert_int_equal(next, 1);
	free(s);
	s = pin_plan_encode(&pl, 1, 20, &next, &len); /* too long: left out */
	assert_string_equal(s, "K g-0\n");
	assert_int_equal(next, 3);
	free(s);
	pin_plan_clear(&pl);

	assert_int_equal(pin_parse_output("pinned=3 failed=1 boot=ab-cd\n", &r),
	                 0);
	assert_int_equal(r.pinned, 3);
	assert_int_equal(r.failed, 1);
	assert_false(r.unsupported);
	assert_string_equal(r.boot, "ab-cd");
	assert_int_equal(
	    pin_parse_output("pinned=0 failed=0 unsupported=1 boot=x\n", &r),
	    0);
	assert_true(r.unsupported);
	assert_int_equal(pin_parse_output("nonsense", &r), -1);
	assert_int_equal(pin_parse_output(NULL, &r), -1);
}

/* Run the guest script with `shell` (argv[0] words), input on stdin. */
static char *
run_script(const char *shell, const char *pindir, const char *input)
{
	char tmpl[] = "/tmp/berth-pin-in.XXXXXX", *cmd, out[512] = "";
	FILE *fp;
	int fd = mkstemp(tmpl);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, input, strlen(input)),
	                 (ssize_t)strlen(input));
	close(fd);
	setenv("BERTH_PIN_DIR", pindir, 1);
	setenv("BERTH_PIN_SCRIPT", pin_guest_script, 1);
	cmd =
	    xasprintf("%s -c \"$BERTH_PIN_SCRIPT\" berth-pin <%s", shell, tmpl);
	fp = popen(cmd, "r");
	assert_non_null(fp);
	out[fread(out, 1, sizeof out - 1, fp)] = '\0';
	assert_int_equal(pclose(fp), 0);
	unlink(tmpl);
	free(cmd);
	return xstrdup(out);
}

/* The pids a holder file lists (up to max), or 0 if it is not there. */
static size_t
holder_pids(const char *pindir, const char *group, pid_t *pid, size_t max)
{
	char *p = xasprintf("%s/%s", pindir, group);
	FILE *fp = fopen(p, "r");
	size_t n = 0;
	long v;

	free(p);
	if (fp == NULL)
		return 0;
	while (n < max && fscanf(fp, "%ld", &v) == 1)
		pid[n++] = (pid_t)v;
	fclose(fp);
	return n;
}

/* Does process pid hold a descriptor on path? */
static int
holds(pid_t pid, const char *path)
{
	char *d = xasprintf("/proc/%ld/fd", (long)pid), *l, buf[PATH_MAX];
	DIR *dp = opendir(d);
	struct dirent *e;
	ssize_t n;
	int found = 0;

	if (dp == NULL) {
		free(d);
		return 0;
	}
	while (!found && (e = readdir(dp)) != NULL) {
		l = xasprintf("%s/%s", d, e->d_name);
		n = readlink(l, buf, sizeof buf - 1);
		if (n > 0) {
			buf[n] = '\0';
			found = strcmp(buf, path) == 0;
		}
		free(l);
	}
	closedir(dp);
	free(d);
	return found;
}

/* Is pid a live process (not gone, not a zombie nobody reaped)? */
static int
alive(pid_t pid)
{
	char *p = xasprintf("/proc/%ld/stat", (long)pid), buf[512], *rp;
	FILE *fp = fopen(p, "r");
	size_t n;

	free(p);
	if (fp == NULL)
		return 0;
	n = fread(buf, 1, sizeof buf - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	rp = strrchr(buf, ')');
	return rp != NULL && rp[1] == ' ' && rp[2] != 'Z' && rp[2] != 'X';
}

/* Wait up to a second for pid to end. */
static int
ended(pid_t pid)
{
	int i;

	for (i = 0; i < 50 && alive(pid); i++)
		usleep(20000);
	return !alive(pid);
}

static char *script_pindir; /* for the teardown after a failure */

/* Stop what a failed script test left running, remove its folders. */
static int
script_teardown(void **state)
{
	char *cmd;

	(void)state;
	if (script_pindir == NULL)
		return 0;
	cmd = xasprintf("cat '%s'/* 2>/dev/null | xargs -r kill 2>/dev/null; "
	                "rm -rf \"$(dirname '%s')\"",
	                script_pindir, script_pindir);
	if (system(cmd) != 0)
		print_message("# teardown: %s failed\n", cmd);
	free(cmd);
	free(script_pindir);
	script_pindir = NULL;
	return 0;
}

/*
 * A holder between its fork and its exec: a process running as the
 * script's shell (so with its comm) that becomes /bin/sleep after 2 s,
 * listed in a holder file; "X" must stop it (it used to skip it as not
 * a holder and remove the file, and the holder stayed).
 */
static void
late_holder_is_stopped(const char *shell, const char *pindir)
{
	char *cmd, *file, line[32] = "";
	FILE *fp;
	long pid;
	int gone;

	cmd = xasprintf("%s -c 'sleep 2; exec /bin/sleep 2147483647' "
	                "</dev/null >/dev/null 2>&1 & echo $!",
	                shell);
	fp = popen(cmd, "r");
	assert_non_null(fp);
	assert_non_null(fgets(line, sizeof line, fp));
	pclose(fp);
	free(cmd);
	pid = strtol(line, NULL, 10);
	assert_true(pid > 1);
	file = xasprintf("%s/k-e3-0", pindir);
	fp = fopen(file, "w");
	assert_non_null(fp);
	fprintf(fp, "%ld\n", pid);
	fclose(fp);
	free(file);
	free(run_script(shell, pindir, "X k- k-off-\n"));
	gone = ended((pid_t)pid);
	if (!gone)
		kill((pid_t)pid, SIGKILL);
	assert_true(gone);
	assert_int_equal(holder_pids(pindir, "k-e3-0", &(pid_t){0}, 1), 0);
}

static void
script_with(const char *shell)
{
	struct fx f;
	char *pindir, *in, *out, *a, *weird, *b;
	pid_t pid[4], pid2[4];
	size_t n;

	fx_init(&f);
	fx_mkdir(&f, "pins");
	fx_mkdir(&f, "a");
	fx_mkdir(&f, "q\"uo$(touch x)te `id` ;");
	fx_mkdir(&f, "b");
	pindir = xasprintf("%s/pins", f.dir);
	script_pindir = xstrdup(pindir);
	a = xasprintf("%s/a", f.dir);
	weird = xasprintf("%s/q\"uo$(touch x)te `id` ;", f.dir);
	b = xasprintf("%s/b", f.dir);

	in = xasprintf("P k-e1-0 %s\nP k-e1-0 %s\nP k-e1-0 %s/missing\n"
	               "P bad/id %s\nP k-e1-1 %s\n",
	               a, weird, f.dir, a, b);
	out = run_script(shell, pindir, in);
	assert_non_null(strstr(out, "pinned=3 failed=2 boot="));
	free(out);
	free(in);
	n = holder_pids(pindir, "k-e1-0", pid, 4);
	assert_int_equal(n, 1);
	assert_true(holds(pid[0], a));
	assert_true(holds(pid[0], weird));
	assert_false(holds(pid[0], b));
	assert_int_equal(holder_pids(pindir, "k-e1-1", pid2, 4), 1);
	assert_true(holds(pid2[0], b));
	{
		char *x = xasprintf("%s/x", f.dir);

		assert_int_equal(access(x, F_OK), -1); /* names are data */
		free(x);
	}

	/* C counts the holders that are all alive. */
	out = run_script(shell, pindir, "C k-e1-\n");
	assert_non_null(strstr(out, "holders=2\n"));
	free(out);

	/* K stops one holder, X every other epoch; both only theirs. */
	out = run_script(shell, pindir, "K k-e1-1\n");
	free(out);
	assert_int_equal(holder_pids(pindir, "k-e1-1", pid2, 4), 0);
	assert_true(ended(pid2[0]));
	assert_true(alive(pid[0]));
	out = run_script(shell, pindir, "C k-e1-\n");
	assert_non_null(strstr(out, "holders=1\n"));
	free(out);
	in = xasprintf("P k-e2-0 %s\nX k- k-e2-\n", b);
	out = run_script(shell, pindir, in);
	free(in);
	free(out);
	assert_int_equal(holder_pids(pindir, "k-e1-0", pid2, 4), 0);
	assert_true(ended(pid[0]));
	assert_int_equal(holder_pids(pindir, "k-e2-0", pid, 4), 1);
	assert_true(holds(pid[0], b));
	/* A holder killed behind berth's back is not counted. */
	assert_int_equal(kill(pid[0], SIGKILL), 0);
	assert_true(ended(pid[0]));
	out = run_script(shell, pindir, "C k-e2-\n");
	assert_non_null(strstr(out, "holders=0\n"));
	free(out);
	out = run_script(shell, pindir, "X k- k-off-\n");
	free(out);
	assert_int_equal(holder_pids(pindir, "k-e2-0", pid2, 4), 0);

	/* A listed holder that has not exec'd yet (another run's, still
	 * going in the guest) is waited for and stopped, not passed by. */
	late_holder_is_stopped(shell, pindir);

	/* An empty run only tells the boot id. */
	out = run_script(shell, pindir, "");
	assert_non_null(strstr(out, "pinned=0 failed=0 boot="));
	free(out);
	free(pindir);
	free(a);
	free(weird);
	free(b);
	fx_done(&f);
	free(script_pindir);
	script_pindir = NULL;
}

static void
test_script_bash(void **state)
{
	(void)state;
	if (access("/bin/bash", X_OK) != 0) {
		print_message("# bash is not installed\n");
		skip();
	}
	script_with("/bin/bash");
}

static void
test_script_busybox_ash(void **state)
{
	(void)state;
	if (system("busybox ash -c : >/dev/null 2>&1") != 0) {
		print_message("# busybox is not installed: no ash run\n");
		skip();
	}
	script_with("busybox ash");
}

/* dash takes no descriptor above 9: the script says so, pins nothing. */
static void
test_script_dash(void **state)
{
	char *out;

	(void)state;
	if (access("/bin/dash", X_OK) != 0) {
		print_message("# dash is not installed\n");
		skip();
	}
	out = run_script("/bin/dash", "/tmp", "P k-e-0 /tmp\n");
	assert_non_null(strstr(out, "unsupported=1"));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_plan),
	    cmocka_unit_test(test_full_plan_groups),
	    cmocka_unit_test(test_choose),
	    cmocka_unit_test(test_limit_on_demand),
	    cmocka_unit_test(test_changes_plan),
	    cmocka_unit_test(test_compaction),
	    cmocka_unit_test(test_big_share_is_not_compacted),
	    cmocka_unit_test(test_boot),
	    cmocka_unit_test(test_encode_and_parse),
	    cmocka_unit_test_teardown(test_script_bash, script_teardown),
	    cmocka_unit_test_teardown(test_script_busybox_ash, script_teardown),
	    cmocka_unit_test(test_script_dash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
