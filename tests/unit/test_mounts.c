/*
 * test_mounts.c: the mounts watcher threads without a guest. A real
 * folder, libvirt's test:///default driver (which has no guest agent):
 * turning a mount on takes a snapshot, host changes are detected and
 * queued, an undeliverable batch stays queued and grows by coalescing
 * (never dropped) with a note saying why, off drops it, the figures reach
 * the model.
 */

#include "config.h"

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

static void
nap(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* The mount's figures now (a fresh model each time). */
static struct model_mount
figures(struct mounts *m)
{
	struct model *model = model_new();
	struct model_mount mm;

	mounts_fill(m, model);
	model_mount_copy(&mm, &model->mounts[0]);
	model_unref(model);
	return mm;
}

/* Wait up to 10 s for pred(figures). */
static int
wait_for(struct mounts *m, int (*pred)(const struct model_mount *))
{
	struct model_mount mm;
	int i, ok = 0;

	for (i = 0; i < 200 && !ok; i++) {
		mm = figures(m);
		ok = pred(&mm);
		model_mount_clear(&mm);
		if (!ok)
			nap(50);
	}
	return ok;
}

static int
has_snapshot(const struct model_mount *mm)
{
	return mm->passes > 0 && mm->files == 2;
}

static int
has_queued3(const struct model_mount *mm)
{
	/* a.js, b.js and their parent (the root): coalesced to 3 paths */
	return mm->queued == 3 && mm->note.kind == MOUNT_NOTE_QUEUED;
}

static int
has_snapshot3(const struct model_mount *mm)
{
	return mm->passes > 0 && mm->files == 3 && mm->queued == 0;
}

static int
has_queued2(const struct model_mount *mm)
{
	/* n.js and its parent, the root */
	return mm->queued == 2 && mm->note.kind == MOUNT_NOTE_QUEUED;
}

static int
is_off(const struct model_mount *mm)
{
	return mm->queued == 0 && mm->note.kind == MOUNT_NOTE_NONE;
}

static void
write_file(const char *dir, const char *name, const char *data)
{
	char *p = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	fputs(data, f);
	fclose(f);
	free(p);
}

static void
test_watch_queue_never_drops(void **state)
{
	char dir[] = "/tmp/berth-mounts.XXXXXX", *cmd;
	struct profile *p;
	struct mounts *m;
	struct model_mount mm;
	char *note;
	int i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	write_file(dir, "a.js", "1");
	write_file(dir, "old.js", "1");
	p = profile_defaults("t");
	free(p->vm.uri);
	p->vm.uri = xstrdup("test:///default");
	free(p->vm.domain);
	p->vm.domain = xstrdup("test");
	p->mounts = xcalloc(1, sizeof *p->mounts);
	p->nmounts = 1;
	p->mounts[0].host = xstrdup(dir);
	p->mounts[0].guest = xstrdup("/work");
	p->mounts[0].writable = 1;
	p->mounts[0].watch = PROFILE_WATCH_OFF;
	p->mounts[0].interval_ms = 100;

	nap(100); /* older than racy_ms: no second report of old.js */
	m = mounts_new(p, NULL, NULL);
	mm = figures(m);
	assert_int_equal(mm.watch, PROFILE_WATCH_OFF);
	assert_int_equal(mm.passes, 0);
	assert_string_equal(mm.guest, "/work");
	model_mount_clear(&mm);

	assert_int_equal(mounts_set_watch(m, 0, PROFILE_WATCH_POLL), 0);
	assert_true(wait_for(m, has_snapshot));

	/* Three rounds of changes: the batch cannot be delivered (the test
	 * driver has no agent), so it stays queued and coalesces. */
	for (i = 0; i < 3; i++) {
		write_file(dir, "a.js", i % 2 ? "22" : "333");
		write_file(dir, "b.js", "new");
		nap(300);
	}
	if (!wait_for(m, has_queued3)) {
		mm = figures(m);
		print_message("queued %llu note %d %s\n",
		              (unsigned long long)mm.queued, (int)mm.note.kind,
		              mm.note.detail != NULL ? mm.note.detail : "");
		fail();
	}
	mm = figures(m);
	assert_int_equal(mm.replayed, 0);
	assert_int_equal(mm.note.kind, MOUNT_NOTE_QUEUED);
	assert_int_equal(mm.note.num, 3);
	assert_non_null(mm.note.detail); /* why: no agent */
	note = model_mount_note_text(&mm.note);
	assert_non_null(strstr(note, "; 3 changes queued"));
	free(note);
	assert_true(mm.latency_ms == -1);
	model_mount_clear(&mm);

	assert_int_equal(mounts_set_watch(m, 0, PROFILE_WATCH_OFF), 0);
	assert_true(wait_for(m, is_off));

	/* Native: inotify says where to look; the same queue fills. */
	assert_int_equal(mounts_set_watch(m, 0, PROFILE_WATCH_NATIVE), 0);
	assert_true(wait_for(m, has_snapshot3));
	write_file(dir, "n.js", "native");
	if (!wait_for(m, has_queued2)) {
		mm = figures(m);
		print_message("native: queued %llu passes %llu note %d\n",
		              (unsigned long long)mm.queued,
		              (unsigned long long)mm.passes, (int)mm.note.kind);
		fail();
	}
	mm = figures(m);
	assert_int_equal(mm.watch, PROFILE_WATCH_NATIVE);
	/* No fallback note: only the delivery failure is noted. */
	assert_int_equal(mm.note.kind, MOUNT_NOTE_QUEUED);
	model_mount_clear(&mm);
	assert_int_equal(mounts_set_watch(m, 0, PROFILE_WATCH_OFF), 0);
	assert_true(wait_for(m, is_off));
	assert_int_equal(mounts_set_watch(m, 5, PROFILE_WATCH_POLL), -1);
	mounts_free(m);
	profile_free(p);
	cmd = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

/*
 * A note's words, kind by kind: what the pane and `berth watch` show.
 * These are the texts the watcher used to write itself.
 */
static void
test_note_text(void **state)
{
	static const struct {
		enum model_mount_note_kind kind;
		long long num;
		const char *detail, *want;
	} t[] = {
	    {MOUNT_NOTE_NONE, 0, NULL, NULL},
	    {MOUNT_NOTE_ERROR, 0, "cannot open /x: No such file or directory",
	     "cannot open /x: No such file or directory"},
	    {MOUNT_NOTE_NATIVE_UNAVAILABLE, 0, "inotify: too many watches",
	     "native watching unavailable (inotify: too many watches): "
	     "polling instead"},
	    {MOUNT_NOTE_NATIVE_STOPPED, 0, "queue overflow",
	     "native watching stopped (queue overflow): polling"},
	    {MOUNT_NOTE_TRUNCATED, 200000, NULL,
	     "stopped at 200000 files (max_files): the rest is not watched; "
	     "add ignore: patterns"},
	    {MOUNT_NOTE_PIN_UNSUPPORTED, 0, NULL,
	     "the guest's shell cannot hold folders open (install bash): "
	     "watchers see only the share's top folder"},
	    {MOUNT_NOTE_PIN_FAILED, 0, "guest agent: no answer",
	     "cannot hold the share's folders open in the guest: guest "
	     "agent: no answer"},
	    {MOUNT_NOTE_QUEUED, 7, "guest agent: no answer",
	     "guest agent: no answer; 7 changes queued"},
	    {MOUNT_NOTE_STANDBY, 4242, NULL,
	     "watched by another berth (pid 4242); this one takes over when "
	     "it stops"},
	    {MOUNT_NOTE_STANDBY, 4242, "ssh: refused; 2 changes queued",
	     "watched by another berth (pid 4242); this one takes over when "
	     "it stops · ssh: refused; 2 changes queued"},
	    {MOUNT_NOTE_STANDBY, 0, "ignored",
	     "watched by another berth; this one takes over when it stops"},
	    {MOUNT_NOTE_GITIGNORE, 2, NULL,
	     ".gitignore: 2 negated (!) patterns are not supported: what they "
	     "keep stays ignored"},
	    {MOUNT_NOTE_READ_ONLY, 0, NULL,
	     "read-only mount: replay can only open for reading "
	     "(IN_CLOSE_NOWRITE)"},
	};
	struct model_mount a = {0}, b;
	size_t i;
	char *got;

	(void)state;
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		model_mount_note_set(&a.note, t[i].kind, t[i].num, t[i].detail);
		model_mount_copy(&b, &a);
		got = model_mount_note_text(&b.note);
		if (t[i].want == NULL)
			assert_null(got);
		else
			assert_string_equal(got, t[i].want);
		free(got);
		model_mount_clear(&b);
	}
	model_mount_clear(&a);
}

static void
test_watch_names(void **state)
{
	enum profile_watch w;

	(void)state;
	assert_int_equal(mounts_watch_parse("on", &w), 0);
	assert_int_equal(w, PROFILE_WATCH_POLL);
	assert_int_equal(mounts_watch_parse("native", &w), 0);
	assert_int_equal(w, PROFILE_WATCH_NATIVE);
	assert_int_equal(mounts_watch_parse("off", &w), 0);
	assert_int_equal(w, PROFILE_WATCH_OFF);
	assert_int_equal(mounts_watch_parse("sideways", &w), -1);
	assert_string_equal(mounts_watch_name(PROFILE_WATCH_POLL), "poll");
	assert_non_null(mounts_env_hint[0]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_watch_names),
	    cmocka_unit_test(test_note_text),
	    cmocka_unit_test(test_watch_queue_never_drops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
