/*
 * mounts-watcher.c: the watcher behind polling mode, one thread a mount.
 * With watch: poll it runs the tiered scanner (mounts-scan.c), with watch:
 * native it lets inotify say which directories to look at (falling back
 * to polling when the host cannot watch), and either way each pass's
 * changes are coalesced into one batch and replayed in the guest
 * (mounts-replay.c) in one round trip (mounts-guest.c). A batch that
 * cannot be delivered (VM down, agent silent) stays queued and grows by
 * coalescing; nothing is dropped. 9p shares also keep the guest's folders
 * held open (mounts-pin.c), whatever the mode: with watch off the thread
 * still scans while the VM runs, to hold new folders, but replays
 * nothing, so a watcher started before polling is turned on hears it.
 *
 * A thread, because a pass over a huge folder or an agent round trip on
 * a TCG guest can take longer than the engine may block. Two kinds of
 * state: the figures and the note under w->lock, which the engine thread
 * copies (mounts_watcher_fill) and the UI may change (mode, stop); and
 * the thread's own (snapshot, batch, pins, timers), which no lock guards
 * because nothing else touches it. Each step below says which it uses.
 * The lock is never held across a scan, a guest round trip or a wait
 * other than on w->cond.
 */

#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "core/core.h"
#include "mounts/mounts.h"

#define MOUNTS_CHUNK        (16 * 1024) /* input bytes per guest-exec (~400 paths) */
#define MOUNTS_RETRY_MS     3000
#define MOUNTS_GUARD_MS     10000
#define MOUNTS_PIN_CHECK_MS 10000 /* how often to ask the guest's boot id */
#define MOUNTS_PUBLISH_MS   1000  /* figures for a standby, at most */
#define MOUNTS_ADOPT_MS     1000  /* a standby re-reads them */
#define MOUNTS_VM_CHECK_MS  10000 /* watch off: is the VM still up? */

struct mounts_watcher {
	const struct profile_mount *pm;
	struct mounts_guest *g;
	const char *state_dir; /* g's, NULL: none */
	void (*notify)(void *);
	void *notify_arg;
	pthread_t thread;
	int started;

	/* Under lock: asked by the engine thread. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum profile_watch mode; /* what the user asked for */
	int stop;

	/* Under lock: figures the engine thread copies. */
	enum profile_watch active; /* native may fall back to poll */
	uint64_t files, dirs, last_pass_ms, full_pass_ms, cold_ms;
	uint64_t replayed, queued, failed, errors, changes, passes;
	int64_t latency_ms;
	int64_t pinned;         /* -1: not a 9p share, or not holding */
	uint64_t pin_total;     /* folders to hold when the limit applies */
	const char *via;        /* the transport of the last guest command */
	uint64_t git_negations; /* "!" lines of .gitignore, not supported */
	struct model_mount_note note;

	/* The watcher thread's own. */
	int lock_fd;          /* this mount's watch lock, -1 when not held */
	char *published;      /* the figures last written for standbys */
	uint64_t publish_at;  /* not before (monotonic ms) */
	char boot[64];        /* the guest's boot id, as the last replay said */
	uint64_t agent_retry; /* auto: ssh until then, the agent failed */
	char **ign;           /* the scanner's ignore globs */
	size_t nign;
	const char *guest;           /* the guest folder */
	enum profile_watch run_mode; /* the mode of this pass */
	struct scan *s;              /* the snapshot, NULL: none yet */
	struct winotify *in;         /* native mode's inotify, or NULL */
	struct scan_options o;
	struct scan_changes ch; /* this pass's changes */
	struct replay_batch b;  /* what the guest has not seen yet */
	struct pinset *pins;    /* 9p: the guest's folders held open */
	struct msync *sync;     /* type: sync: the guest's copy */
	uint64_t step;          /* batching: passes at most this often */
	uint64_t retry_at;      /* replay again not before (0: at once) */
	uint64_t pin_retry_at, pin_check_at;
	int native_failed; /* inotify failed: poll until the mode changes */
	int reload;        /* .gitignore changed: a new snapshot */
	int was_on;        /* watched since the last time it was off */
	int vm_up;         /* watch off, 9p: the domain runs (hold) */
	uint64_t vm_check_at;
};

static void *mwatch_thread(void *);
static void mwatch_unlock(struct mounts_watcher *);

/* A watch mode's name, as profiles, the CLI and the status file spell it. */
const char *
mounts_watch_name(enum profile_watch w)
{
	static const char *const names[] = {"off", "poll", "native"};

	return (size_t)w < nitems(names) ? names[w] : "?";
}

/* "off", "poll" (or "on"), "native". */
int
mounts_watch_parse(const char *s, enum profile_watch *w)
{
	if (strcmp(s, "off") == 0)
		*w = PROFILE_WATCH_OFF;
	else if (strcmp(s, "poll") == 0 || strcmp(s, "on") == 0)
		*w = PROFILE_WATCH_POLL;
	else if (strcmp(s, "native") == 0)
		*w = PROFILE_WATCH_NATIVE;
	else
		return -1;
	return 0;
}

static void
mwatch_notify(struct mounts_watcher *w)
{
	if (w->notify != NULL)
		w->notify(w->notify_arg);
}

/*
 * Set the mount's note (takes w->lock) and tell the engine. With watch
 * off the folders are held quietly: no note but the standby's.
 */
static void
mwatch_note(struct mounts_watcher *w, enum model_mount_note_kind kind,
            long long num, const char *detail)
{
	if (w->run_mode == PROFILE_WATCH_OFF && kind != MOUNT_NOTE_STANDBY)
		return;
	pthread_mutex_lock(&w->lock);
	model_mount_note_set(&w->note, kind, num, detail);
	pthread_mutex_unlock(&w->lock);
	mwatch_notify(w);
}

/* The guest command through the mount's transport (mounts-guest.c). */
static int
mwatch_exec(struct mounts_watcher *w, const char *script, const char *arg,
            const char *input, size_t len, uint64_t budget, char **out,
            int *code, char **cause)
{
	const char *via = NULL;
	int rc;

	rc = mounts_guest_exec(w->g, w->pm->transport, &w->agent_retry, &via,
	                       script, arg, input, len, budget, out, code,
	                       cause);
	if (via != NULL) {
		pthread_mutex_lock(&w->lock);
		w->via = via;
		pthread_mutex_unlock(&w->lock);
	}
	return rc;
}

/*
 * Deliver the batch in chunks of MOUNTS_CHUNK input bytes; delivered
 * chunks leave the batch, the rest stays queued. Returns -1 and a cause
 * when the guest could not be reached.
 */
static int
mwatch_deliver(struct mounts_watcher *w, struct replay_batch *b, char **cause)
{
	struct replay_result res;
	struct replay_batch rest = {0};
	size_t from = 0, next, len, i, lines;
	char *input, *out;
	int rc = 0, code;

	while (from < b->n) {
		input = replay_batch_encode(b, from, MOUNTS_CHUNK, &next, &len);
		memset(&res, 0, sizeof res);
		if (len > 0) {
			/* 10 s plus 30 ms a path: forks are slow under TCG. */
			for (i = lines = 0; i < len; i++)
				lines += input[i] == '\n';
			rc = mwatch_exec(w, replay_guest_script, NULL, input,
			                 len, 10000 + 30 * (uint64_t)lines,
			                 &out, &code, cause);
			if (rc == 0 && (code != 0 ||
			                replay_parse_output(out, &res) != 0)) {
				util_set_cause(cause,
				               "guest replay failed (exit %d)",
				               code);
				rc = -1;
			}
			if (rc == 0)
				free(out);
			else {
				free(out);
				free(input);
				break;
			}
		}
		free(input);
		if (res.boot[0] != '\0')
			snprintf(w->boot, sizeof w->boot, "%s", res.boot);
		pthread_mutex_lock(&w->lock);
		w->replayed += res.ok;
		w->failed += res.failed;
		pthread_mutex_unlock(&w->lock);
		from = next;
	}
	/* Keep what was not delivered. */
	for (i = from; i < b->n; i++)
		replay_batch_add_mode(&rest, b->v[i].path, b->v[i].rel,
		                      b->v[i].ops, b->v[i].is_dir,
		                      b->v[i].sticky);
	rest.changes = from < b->n ? b->changes : 0;
	rest.newest_ns = b->newest_ns;
	replay_batch_clear(b);
	*b = rest;
	return rc;
}

/*
 * Run a pin plan in the guest, chunk by chunk (an empty plan still runs
 * once: it asks the guest's boot id). Returns 1 when the guest's shell
 * cannot hold folders, -1 with a cause when the guest could not be
 * reached or answered badly; then the pins are invalidated.
 */
static int
mwatch_pin_run(struct mounts_watcher *w, struct pinset *ps,
               const struct pin_plan *pl, struct pin_result *sum, char **cause)
{
	struct pin_result r;
	size_t from = 0, next, len, i, lines;
	char *input, *out;
	int code, rc = 0;

	memset(sum, 0, sizeof *sum);
	sum->holders = -1;
	do {
		input = pin_plan_encode(pl, from, MOUNTS_CHUNK, &next, &len);
		for (i = lines = 0; i < len; i++)
			lines += input[i] == '\n';
		rc = mwatch_exec(w, pin_guest_launcher, pin_guest_script, input,
		                 len, 10000 + 20 * (uint64_t)lines, &out, &code,
		                 cause);
		free(input);
		if (rc != 0)
			break;
		if (code != 0 || pin_parse_output(out, &r) != 0) {
			util_set_cause(
			    cause, "guest pin script failed (exit %d)", code);
			free(out);
			rc = -1;
			break;
		}
		free(out);
		if (r.unsupported) {
			rc = 1;
			break;
		}
		sum->pinned += r.pinned;
		sum->failed += r.failed;
		memcpy(sum->boot, r.boot, sizeof sum->boot);
		if (r.holders >= 0)
			sum->holders = r.holders;
		from = next;
	} while (from < pl->n);
	if (rc != 0)
		pinset_invalidate(ps);
	return rc;
}

/* Let go of every folder this share holds (off where it cannot hold). */
static void
mwatch_unpin(struct mounts_watcher *w, struct pinset *ps)
{
	struct pin_plan pl = {0};
	struct pin_result r;
	char *cause = NULL;

	pl.line = xcalloc(1, sizeof *pl.line);
	pl.line[0] = xasprintf("X %s- %s-off-", pinset_key(ps), pinset_key(ps));
	pl.n = pl.cap = 1;
	if (mwatch_pin_run(w, ps, &pl, &r, &cause) < 0)
		free(cause);
	pin_plan_clear(&pl);
}

/*
 * Bring the guest's pins up to date before this pass's replay, so a new
 * folder is held before its parent's event makes a watcher look it up:
 * every folder afresh when the guest's holders are not known to be right
 * (first pass, another boot, a failed run), else the pass's folder
 * changes. check: also ask the boot id when nothing changed.
 */
static int
mwatch_pin(struct mounts_watcher *w, struct pinset *ps, const struct scan *s,
           const struct scan_changes *ch, int check, char **cause)
{
	struct pin_plan pl = {0};
	struct pin_result r = {0};
	int rc = 0, full = 0, round;

	for (round = 0; round < 2; round++) {
		full = pinset_needs_full(ps);
		if (full)
			pinset_plan_full(ps, s, &pl);
		else if (round == 0)
			pinset_plan_changes(ps, ch, &pl);
		if (pl.n == 0 && !check)
			break;
		if (check && !full)
			pinset_plan_check(ps, &pl);
		rc = mwatch_pin_run(w, ps, &pl, &r, cause);
		pin_plan_clear(&pl);
		if (rc == 0 && full)
			pinset_set_boot(ps, r.boot);
		if (rc != 0 || full)
			break;
		/* A new boot, or holders that died (the agent's service
		 * restarted), lost folders: pin afresh, at once. */
		pinset_check_boot(ps, r.boot);
		if (check)
			pinset_check_holders(ps, r.holders);
		if (!pinset_needs_full(ps))
			break;
	}
	pin_plan_clear(&pl);
	if (rc == 0 && full && r.pinned == 0 && r.failed > 0) {
		/* The share is not mounted in the guest (yet). */
		pinset_invalidate(ps);
		util_set_cause(cause, "the guest has no folders under %s yet",
		               w->pm->guest != NULL ? w->pm->guest
		                                    : w->pm->host);
		rc = -1;
	}
	return rc;
}

/* <state>/watch-<hash of the host folder>.<ext> (caller frees). */
static char *
mwatch_state_file(const struct mounts_watcher *w, const char *ext)
{
	uint32_t h = util_hash(w->pm->host, strlen(w->pm->host));

	return xasprintf("%s/watch-%08x.%s", w->state_dir, (unsigned)h, ext);
}

/*
 * One berth at a time watches a mount: two would replay every change
 * twice and sweep each other's folder holders in the guest. The lock is
 * a flock on <state>/watch-<hash of the host folder>.lock holding the
 * owner's pid; it goes when the owner exits. Returns 0 when this process
 * holds it (or there is no state folder to lock in), else -1 with the
 * other berth's pid in *owner (0 if unknown).
 */
static int
mwatch_lock(struct mounts_watcher *w, long *owner)
{
	char *path;
	int fd;

	*owner = 0;
	if (w->lock_fd != -1 || w->state_dir == NULL)
		return 0;
	path = mwatch_state_file(w, "lock");
	fd = util_pidlock(path, owner);
	free(path);
	if (fd == -1 && *owner == 0)
		return 0; /* cannot lock: watch anyway */
	if (fd == -1) {
		if (*owner < 0)
			*owner = 0; /* held, by whom the file does not say */
		return -1;
	}
	w->lock_fd = fd;
	return 0;
}

static void
mwatch_unlock(struct mounts_watcher *w)
{
	char *path;

	if (w->lock_fd != -1) {
		/* Figures of a watcher that stopped are no one's. */
		path = mwatch_state_file(w, "json");
		unlink(path);
		free(path);
		close(w->lock_fd);
	}
	w->lock_fd = -1;
	free(w->published);
	w->published = NULL;
}

/*
 * The owner's figures for a berth standing by (a dashboard while a
 * background watcher runs): <state>/watch-<hash>.json, rewritten when
 * they changed, at most every MOUNTS_PUBLISH_MS.
 */
static void
mwatch_publish(struct mounts_watcher *w)
{
	json_t *j;
	char *text, *path, *note, *cause = NULL;

	if (w->lock_fd == -1 || util_mono_ms() < w->publish_at)
		return;
	pthread_mutex_lock(&w->lock);
	note = model_mount_note_text(&w->note);
	j = json_pack(
	    "{s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
	    "s:I, s:I, s:I, s:I, s:s?, s:s?}",
	    "pid", (json_int_t)getpid(), "active", mounts_watch_name(w->active),
	    "files", (json_int_t)w->files, "dirs", (json_int_t)w->dirs,
	    "last_pass_ms", (json_int_t)w->last_pass_ms, "cold_ms",
	    (json_int_t)w->cold_ms, "replayed", (json_int_t)w->replayed,
	    "queued", (json_int_t)w->queued, "failed", (json_int_t)w->failed,
	    "errors", (json_int_t)w->errors, "latency_ms",
	    (json_int_t)w->latency_ms, "passes", (json_int_t)w->passes,
	    "pinned", (json_int_t)w->pinned, "pin_total",
	    (json_int_t)w->pin_total, "via", w->via, "note", note);
	pthread_mutex_unlock(&w->lock);
	free(note);
	text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (text == NULL || util_streq(text, w->published)) {
		free(text);
		return;
	}
	path = mwatch_state_file(w, "json");
	if (util_write_file_atomic(path, text, strlen(text), 0600, 0, &cause) ==
	    0) {
		free(w->published);
		w->published = text;
		w->publish_at = util_mono_ms() + MOUNTS_PUBLISH_MS;
	} else {
		free(text);
		free(cause);
	}
	free(path);
}

/* Show the owner's published figures while standing by. */
static void
mwatch_adopt(struct mounts_watcher *w, long owner)
{
	char *path = mwatch_state_file(w, "json");
	json_t *j = json_load_file(path, 0, NULL), *v;
	const char *via, *note;

	free(path);
	pthread_mutex_lock(&w->lock);
	if (j != NULL &&
	    json_integer_value(json_object_get(j, "pid")) == owner) {
#define MWATCH_GET(field)                                                      \
	if (json_is_integer(v = json_object_get(j, #field)))                   \
		w->field = json_integer_value(v);
		MWATCH_GET(files)
		MWATCH_GET(dirs)
		MWATCH_GET(last_pass_ms)
		MWATCH_GET(cold_ms)
		MWATCH_GET(replayed)
		MWATCH_GET(queued)
		MWATCH_GET(failed)
		MWATCH_GET(errors)
		MWATCH_GET(latency_ms)
		MWATCH_GET(passes)
		MWATCH_GET(pinned)
		MWATCH_GET(pin_total)
#undef MWATCH_GET
		via = json_string_value(json_object_get(j, "via"));
		w->via = util_streq(via, "ssh")     ? "ssh"
		         : util_streq(via, "agent") ? "agent"
		                                    : NULL;
		note = json_string_value(json_object_get(j, "note"));
	} else
		note = NULL;
	/* The owner's note is its words already: shown as they are. */
	model_mount_note_set(&w->note, MOUNT_NOTE_STANDBY,
	                     owner > 0 ? owner : 0, owner > 0 ? note : NULL);
	pthread_mutex_unlock(&w->lock);
	json_decref(j);
	mwatch_notify(w);
}

/*
 * The scanner's options from the mount: its ignore globs (or the
 * defaults), plus with gitignore: true the globs of the folder's top
 * .gitignore, read now (the list is the watcher's own, in w->ign).
 */
static void
mwatch_options(struct mounts_watcher *w, struct scan_options *o)
{
	const char *const *base = (const char *const *)w->pm->ignore;
	size_t i, nbase = w->pm->nignore;
	uint64_t skipped = 0;

	if (w->pm->ignore == NULL) {
		base = scan_default_ignore;
		nbase = SCAN_DEFAULT_IGNORE_N;
	}
	for (i = 0; i < w->nign; i++)
		free(w->ign[i]);
	free(w->ign);
	w->ign = xcalloc(nbase + 1, sizeof *w->ign);
	for (i = 0; i < nbase; i++)
		w->ign[i] = xstrdup(base[i]);
	w->nign = nbase;
	if (w->pm->gitignore) {
		scan_gitignore_load(w->pm->host, &w->ign, &w->nign, &skipped);
		pthread_mutex_lock(&w->lock);
		w->git_negations = skipped;
		pthread_mutex_unlock(&w->lock);
	}
	scan_options_default(o);
	o->ignore = (const char *const *)w->ign;
	o->nignore = w->nign;
	if (w->pm->max_files != 0)
		o->max_files = w->pm->max_files;
	if (w->pm->interval_ms != 0)
		scan_options_interval(o, w->pm->interval_ms);
	/* A sync mount with native events learns of each change from
	 * inotify; the scanner's own rounds are only a safety net, as slow as
	 * the budget may ever make them (they made an idle sync mount cost
	 * what polling does). */
	if (w->sync != NULL && w->pm->watch != PROFILE_WATCH_POLL)
		o->cold_ms = o->interval_ms * SCAN_COLD_MAX;
}

/* Sleep until `until` (monotonic ms), a mode change or stop. */
static void
mwatch_wait(struct mounts_watcher *w, uint64_t until, enum profile_watch seen)
{
	struct timespec ts;
	uint64_t now = util_mono_ms(), real;

	if (until <= now)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	real = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 +
	       (until - now);
	ts.tv_sec = (time_t)(real / 1000);
	ts.tv_nsec = (long)(real % 1000) * 1000000;
	pthread_mutex_lock(&w->lock);
	while (!w->stop && w->mode == seen && util_mono_ms() < until) {
		if (pthread_cond_timedwait(&w->cond, &w->lock, &ts) ==
		    ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&w->lock);
}

/*
 * Block on the inotify descriptor until `until`, marking changed dirs.
 * Returns -1 when native watching broke down (the caller polls instead).
 */
static int
mwatch_wait_native(struct mounts_watcher *w, struct winotify *in,
                   struct scan *s, uint64_t until)
{
	struct pollfd pfd;
	char **dirs = NULL, *cause = NULL;
	size_t n = 0, i;
	uint64_t now;
	int got = 0, rc = 0;

	pfd.fd = winotify_fd(in);
	pfd.events = POLLIN;
	for (;;) {
		now = util_mono_ms();
		if (now >= until || got)
			break;
		pthread_mutex_lock(&w->lock);
		if (w->stop || w->mode != PROFILE_WATCH_NATIVE) {
			pthread_mutex_unlock(&w->lock);
			break;
		}
		pthread_mutex_unlock(&w->lock);
		/* Short slices so a mode change is seen within 200 ms. */
		if (poll(&pfd, 1,
		         (int)(until - now < 200 ? until - now : 200)) <= 0)
			continue;
		if (winotify_read(in, &dirs, &n, &cause) != 0) {
			mwatch_note(w, MOUNT_NOTE_NATIVE_STOPPED, 0, cause);
			free(cause);
			cause = NULL;
			rc = -1;
			break;
		}
		for (i = 0; i < n; i++) {
			scan_mark_dir(s, dirs[i]);
			free(dirs[i]);
		}
		free(dirs);
		dirs = NULL;
		got = n > 0;
		n = 0;
	}
	/* Coalesce: let a burst settle for a moment before the pass. */
	if (got) {
		struct timespec ts = {0, 20 * 1000000};

		nanosleep(&ts, NULL);
		while (poll(&pfd, 1, 0) > 0 &&
		       winotify_read(in, &dirs, &n, &cause) == 0) {
			for (i = 0; i < n; i++) {
				scan_mark_dir(s, dirs[i]);
				free(dirs[i]);
			}
			free(dirs);
			dirs = NULL;
			n = 0;
		}
		free(cause);
	}
	return rc;
}

/* ---- the watcher thread's steps ---- */

/*
 * Copy the snapshot's figures out (takes w->lock). first: the snapshot
 * was just taken (its pass is the first); else a pass over it ended and
 * its changes are in the batch.
 */
static void
mwatch_figures(struct mounts_watcher *w, int first)
{
	const struct scan_stats *st = scan_get_stats(w->s);

	pthread_mutex_lock(&w->lock);
	w->active = w->run_mode == PROFILE_WATCH_OFF ? PROFILE_WATCH_OFF
	            : w->in != NULL                  ? PROFILE_WATCH_NATIVE
	                                             : PROFILE_WATCH_POLL;
	w->files = st->files + st->links + st->others;
	w->dirs = st->dirs;
	w->last_pass_ms = st->pass_us / 1000;
	w->cold_ms = st->cold_ms;
	if (first)
		w->passes = 1;
	else {
		w->full_pass_ms = st->full_pass_us / 1000;
		w->errors = st->errors;
		w->changes += w->ch.n;
		w->passes++;
		w->queued = w->b.n;
	}
	pthread_mutex_unlock(&w->lock);
}

/*
 * Turn the mount off (called without w->lock): drop the batch, and with
 * hold (a 9p share of a running VM) keep the snapshot and the guest's
 * folder holders, so on again reaches watchers started meanwhile; without,
 * drop the snapshot too, let the holders go (best effort: when the VM is
 * down they went with it; a guest libvirt does not know, such as an SSH
 * transport's, would keep them for ever) and give up the watch lock.
 * Then the figures and the note under w->lock.
 */
static void
mwatch_turn_off(struct mounts_watcher *w, int hold)
{
	replay_batch_clear(&w->b);
	winotify_free(w->in);
	w->in = NULL;
	if (w->sync != NULL)
		msync_off(w->sync);
	if (!hold) {
		scan_free(w->s);
		w->s = NULL;
		if (w->pins != NULL)
			mwatch_unpin(w, w->pins);
		pinset_free(w->pins);
		w->pins = NULL;
		mwatch_unlock(w);
	}
	w->was_on = 0;
	w->native_failed = 0;
	pthread_mutex_lock(&w->lock);
	if (!hold) {
		w->pinned = -1;
		w->pin_total = 0;
		w->passes = w->files = w->dirs = 0;
		w->last_pass_ms = w->errors = 0;
	}
	w->active = PROFILE_WATCH_OFF;
	w->queued = 0;
	model_mount_note_set(&w->note, MOUNT_NOTE_NONE, 0, NULL);
	pthread_mutex_unlock(&w->lock);
	mwatch_notify(w);
}

/*
 * Watch off on a 9p share: hold its folders while the domain runs (asked
 * every MOUNTS_VM_CHECK_MS; no lock held). Returns 1 to hold.
 */
static int
mwatch_hold(struct mounts_watcher *w)
{
	if (w->pm->type != PROFILE_MOUNT_9P)
		return 0;
	if (util_mono_ms() >= w->vm_check_at) {
		w->vm_up = mounts_guest_running(w->g);
		w->vm_check_at = util_mono_ms() + MOUNTS_VM_CHECK_MS;
	}
	return w->vm_up;
}

/*
 * Wait while the mount is off, turning it off on the way if it was on
 * (w->lock held but while doing that). A 9p share of a running VM is
 * held meanwhile: then return 0 with PROFILE_WATCH_OFF in w->run_mode
 * (a pass that holds and replays nothing). Returns 0 with the pass's
 * mode in w->run_mode, or -1 when the thread is to stop.
 */
static int
mwatch_wait_on(struct mounts_watcher *w)
{
	uint64_t until;
	int stop, hold;

	pthread_mutex_lock(&w->lock);
	while (!w->stop && w->mode == PROFILE_WATCH_OFF) {
		pthread_mutex_unlock(&w->lock);
		hold = mwatch_hold(w);
		if (w->was_on || (!hold && (w->s != NULL || w->pins != NULL)))
			mwatch_turn_off(w, hold);
		pthread_mutex_lock(&w->lock);
		if (hold || w->stop || w->mode != PROFILE_WATCH_OFF)
			break;
		if (w->pm->type != PROFILE_MOUNT_9P) {
			pthread_cond_wait(&w->cond, &w->lock);
			continue;
		}
		/* Ask again whether the VM runs by then. */
		until = w->vm_check_at;
		pthread_mutex_unlock(&w->lock);
		mwatch_wait(w, until, PROFILE_WATCH_OFF);
		pthread_mutex_lock(&w->lock);
	}
	stop = w->stop;
	w->run_mode = w->mode;
	pthread_mutex_unlock(&w->lock);
	if (stop)
		return -1;
	w->was_on = w->run_mode != PROFILE_WATCH_OFF;
	return 0;
}

/*
 * Have a snapshot (no lock held but mwatch_note's and mwatch_figures'):
 * unless another berth watches the mount (then show its figures for a
 * while), scan the folder and get the guest's pins ready. Returns -1
 * when there is none to pass over yet.
 */
static int
mwatch_start(struct mounts_watcher *w)
{
	char *cause = NULL;
	long owner;

	if (w->s != NULL)
		return 0;
	if (mwatch_lock(w, &owner) != 0) {
		mwatch_adopt(w, owner);
		mwatch_wait(w, util_mono_ms() + MOUNTS_ADOPT_MS, w->run_mode);
		return -1;
	}
	if ((w->s = scan_new(w->pm->host, &w->o, &cause)) == NULL ||
	    scan_pass(w->s, util_mono_ms(), &w->ch, &cause) != 0) {
		mwatch_note(w, MOUNT_NOTE_ERROR, 0, cause);
		free(cause);
		scan_free(w->s);
		w->s = NULL;
		mwatch_wait(w, util_mono_ms() + MOUNTS_RETRY_MS, w->run_mode);
		return -1;
	}
	mwatch_note(w, MOUNT_NOTE_NONE, 0, NULL);
	if (w->sync != NULL)
		msync_resync(w->sync); /* a new snapshot: compare it all */
	if (w->pm->type == PROFILE_MOUNT_9P && w->pins == NULL) {
		w->pins = pinset_new(w->guest);
		pinset_set_limit(w->pins, (size_t)w->pm->hold_max);
		w->pin_retry_at = w->pin_check_at = 0;
	}
	mwatch_figures(w, 1);
	return 0;
}

/*
 * Native mode's inotify (the thread's own; no lock): set it up when asked
 * for and not known to fail, drop it in poll mode. A host that cannot
 * watch gets a note, and polling.
 */
static void
mwatch_native(struct mounts_watcher *w)
{
	char *cause = NULL;

	if (w->run_mode == PROFILE_WATCH_NATIVE && w->in == NULL &&
	    !w->native_failed &&
	    (w->in = winotify_new(w->pm->host, &w->o, &cause)) == NULL) {
		w->native_failed = 1;
		mwatch_note(w, MOUNT_NOTE_NATIVE_UNAVAILABLE, 0, cause);
		free(cause);
	}
	if (w->run_mode != PROFILE_WATCH_NATIVE && w->in != NULL) {
		winotify_free(w->in);
		w->in = NULL;
		w->native_failed = 0;
	}
}

/*
 * Sleep until the snapshot has work due, inotify speaks or a replay is to
 * be retried, at least a step so changes batch (w->lock held only inside
 * the waits and for the check after). Returns -1 when the mode changed or
 * the thread is to stop meanwhile.
 */
static int
mwatch_wait_due(struct mounts_watcher *w)
{
	uint64_t due = scan_next_due(w->s), until;
	int changed;

	if (due < util_mono_ms() + w->step)
		due = util_mono_ms() + w->step;
	if (w->b.n > 0 && w->retry_at > 0 && w->retry_at < due)
		due = w->retry_at;
	until = util_mono_ms() + 4 * w->o.cold_ms;
	if (w->sync != NULL && due < until)
		until = due; /* its safety net is slow: the schedule's hot
		              * folders (a new one inotify may not watch yet) */
	if (w->sync != NULL && msync_two_way(w->sync)) {
		/* The guest's changes are asked for this often. */
		uint64_t ask = util_mono_ms() + MSYNC_COLLECT_MS;

		if (ask < due)
			due = ask;
		if (ask < until)
			until = ask;
	}
	if (w->in != NULL) {
		if (mwatch_wait_native(w, w->in, w->s, until) != 0) {
			winotify_free(w->in);
			w->in = NULL;
			w->native_failed = 1;
		}
	} else
		mwatch_wait(w, due, w->run_mode);
	pthread_mutex_lock(&w->lock);
	changed = w->stop || w->mode != w->run_mode;
	pthread_mutex_unlock(&w->lock);
	return changed ? -1 : 0;
}

/*
 * A modify is replayed once. The scanner reports a file whose mtime was
 * within racy_ms of its stat once more at its next visit, since a second
 * write in the same clock tick would look the same. That visit came after
 * the replay (in native mode at once: the replay's own IN_ATTRIB on the
 * host marks the folder), so one modify was replayed twice. So when this
 * pass saw a racy change, its folders are looked at again once the racy
 * window is over, before the replay: the report coalesces into the same
 * batch item. Changes that pass finds are added to ch (not the repeats:
 * they are the same changes). The thread's own; no lock.
 */
static int
mwatch_settle(struct mounts_watcher *w, char **cause)
{
	struct scan_changes more = {0}, one = {NULL, 1, 1};
	const struct scan_change *c;
	struct timespec ts;
	int64_t now_ns, newest = 0, window = (int64_t)w->o.racy_ms * 1000000;
	char *parent, *slash;
	size_t i, n = w->ch.n;

	clock_gettime(CLOCK_REALTIME, &ts);
	now_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	for (i = 0; i < n; i++) {
		c = &w->ch.v[i];
		if (c->kind == SCAN_DELETED || c->type == SCAN_DIR ||
		    c->mtime_ns <= now_ns - window)
			continue;
		if (c->mtime_ns > newest)
			newest = c->mtime_ns;
		parent = xstrdup(c->path);
		slash = strrchr(parent, '/');
		*(slash != NULL ? slash : parent) = '\0';
		scan_mark_dir(w->s, parent);
		free(parent);
	}
	if (newest == 0)
		return 0;
	if (newest + window > now_ns) {
		ts.tv_sec = (time_t)((newest + window - now_ns) / 1000000000);
		ts.tv_nsec =
		    (long)((newest + window - now_ns) % 1000000000) + 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		nanosleep(&ts, NULL);
	}
	if (scan_pass(w->s, util_mono_ms(), &more, cause) != 0) {
		scan_changes_clear(&more);
		return -1;
	}
	for (i = 0; i < more.n; i++) {
		c = &more.v[i];
		if (c->kind == SCAN_MODIFIED && c->type != SCAN_DIR) {
			/* A repeat, or a later write: the batch merges it. */
			one.v = &more.v[i];
			scan_guard(w->s, c->path,
			           util_mono_ms() + MOUNTS_GUARD_MS);
			replay_batch_add_changes(&w->b, w->guest, &one,
			                         w->pm->replay,
			                         w->pm->writable);
			continue;
		}
		scan_changes_add(&w->ch, c->kind, c->type, c->old_type,
		                 c->path);
		w->ch.v[w->ch.n - 1].mtime_ns = c->mtime_ns;
		w->ch.v[w->ch.n - 1].mode = c->mode;
	}
	scan_changes_clear(&more);
	return 0;
}

/*
 * A pass over the snapshot (no lock held during it): guard the changed
 * paths against their own replay's echo, fold the changes into the batch,
 * copy the figures out. Returns -1 when the folder cannot be scanned (the
 * snapshot goes; the next round starts afresh).
 */
static int
mwatch_scan(struct mounts_watcher *w)
{
	const struct scan_change *c;
	char *cause = NULL;
	size_t i;

	/* Settling feeds the replay batch: only a pass that replays. */
	if (scan_pass(w->s, util_mono_ms(), &w->ch, &cause) != 0 ||
	    (w->run_mode != PROFILE_WATCH_OFF && w->sync == NULL &&
	     mwatch_settle(w, &cause) != 0)) {
		mwatch_note(w, MOUNT_NOTE_ERROR, 0, cause);
		free(cause);
		scan_free(w->s);
		w->s = NULL;
		return -1;
	}
	for (i = 0; i < w->ch.n && w->run_mode != PROFILE_WATCH_OFF; i++) {
		c = &w->ch.v[i];
		if (c->kind != SCAN_DELETED && w->sync == NULL)
			scan_guard(w->s, c->path,
			           util_mono_ms() + MOUNTS_GUARD_MS);
	}
	for (i = 0; i < w->ch.n && w->pm->gitignore; i++) {
		if (strcmp(w->ch.v[i].path, ".gitignore") == 0)
			w->reload = 1;
	}
	if (w->run_mode != PROFILE_WATCH_OFF && w->sync == NULL)
		replay_batch_add_changes(&w->b, w->guest, &w->ch, w->pm->replay,
		                         w->pm->writable);
	mwatch_figures(w, 0);
	if (scan_get_stats(w->s)->truncated)
		mwatch_note(w, MOUNT_NOTE_TRUNCATED, (long long)w->o.max_files,
		            NULL);
	return 0;
}

/*
 * Bring the guest's folder holders (9p) up to date with the pass, before
 * its replay (no lock held during the round trip): after a boot the last
 * replay saw, a full pin. Then, under w->lock, how many are held and the
 * note: why not, or a "cannot hold" note cleared. A failure retries later.
 */
static void
mwatch_pins(struct mounts_watcher *w)
{
	char *cause = NULL;
	int check, rc, quiet;

	if (w->pins == NULL)
		return;
	if (w->boot[0] != '\0') {
		pinset_check_boot(w->pins, w->boot);
		w->boot[0] = '\0';
	}
	if (util_mono_ms() < w->pin_retry_at) {
		pinset_invalidate(w->pins);
		return;
	}
	check = util_mono_ms() >= w->pin_check_at;
	rc = mwatch_pin(w, w->pins, w->s, &w->ch, check, &cause);
	if (rc < 0)
		w->pin_retry_at = util_mono_ms() + MOUNTS_RETRY_MS;
	else if (rc == 0 && check)
		w->pin_check_at = util_mono_ms() + MOUNTS_PIN_CHECK_MS;
	quiet = w->run_mode == PROFILE_WATCH_OFF;
	pthread_mutex_lock(&w->lock);
	/* Watch off: a guest that cannot be reached holds nothing shown. */
	w->pinned = rc == 0 ? (int64_t)pinset_count(w->pins) : quiet ? -1 : 0;
	w->pin_total = rc == 0 && pinset_count(w->pins) < pinset_total(w->pins)
	                   ? pinset_total(w->pins)
	                   : 0;
	if (rc < 0 && quiet)
		w->vm_check_at = 0; /* the VM may have stopped: ask */
	if (rc == 1)
		model_mount_note_set(&w->note, MOUNT_NOTE_PIN_UNSUPPORTED, 0,
		                     NULL);
	else if (rc < 0 && !quiet)
		model_mount_note_set(&w->note, MOUNT_NOTE_PIN_FAILED, 0, cause);
	else if (w->note.kind == MOUNT_NOTE_PIN_FAILED)
		model_mount_note_set(&w->note, MOUNT_NOTE_NONE, 0, NULL);
	pthread_mutex_unlock(&w->lock);
	free(cause);
	if (rc == 1) {
		pinset_free(w->pins);
		w->pins = NULL;
	}
}

/*
 * Replay the batch when due (no lock held during the round trip). Then,
 * under w->lock: what stays queued, and either why (a "queued" note) or
 * the latency of the newest change, with the "queued" note cleared.
 */
static void
mwatch_replay(struct mounts_watcher *w)
{
	int64_t newest = w->b.newest_ns, now_ns = 0;
	struct timespec ts;
	char *cause = NULL;
	int rc;

	if (w->b.n == 0 || util_mono_ms() < w->retry_at)
		return;
	rc = mwatch_deliver(w, &w->b, &cause);
	w->retry_at = rc != 0 ? util_mono_ms() + MOUNTS_RETRY_MS : 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	now_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	pthread_mutex_lock(&w->lock);
	if (rc != 0)
		model_mount_note_set(&w->note, MOUNT_NOTE_QUEUED,
		                     (long long)w->b.n, cause);
	else {
		if (newest > 0 && now_ns > newest)
			w->latency_ms = (now_ns - newest) / 1000000;
		if (w->note.kind == MOUNT_NOTE_QUEUED)
			model_mount_note_set(&w->note, MOUNT_NOTE_NONE, 0,
			                     NULL);
	}
	w->queued = w->b.n;
	pthread_mutex_unlock(&w->lock);
	free(cause);
}

/*
 * A sync mount's step instead of pins and replay (mounts-sync.c): its
 * first sync or the pass's changes; a failure is the mount's note.
 */
static void
mwatch_sync(struct mounts_watcher *w)
{
	struct msync_stats st;

	if (msync_step(w->sync, w->g, w->s, &w->ch) != 0) {
		msync_get_stats(w->sync, &st);
		if (st.state == MSYNC_FAILED)
			mwatch_note(w, MOUNT_NOTE_ERROR, 0, st.error);
	} else if (w->note.kind == MOUNT_NOTE_ERROR)
		mwatch_note(w, MOUNT_NOTE_NONE, 0, NULL);
}

/*
 * .gitignore changed: a new snapshot with its globs at the next round
 * (what is queued is still delivered). The thread's own; no lock.
 */
static void
mwatch_reload(struct mounts_watcher *w)
{
	w->reload = 0;
	mwatch_options(w, &w->o);
	scan_free(w->s);
	w->s = NULL;
	winotify_free(w->in);
	w->in = NULL;
	if (w->pins != NULL)
		pinset_invalidate(w->pins);
}

/*
 * The watcher thread: wait to be on, have a snapshot, wait for work,
 * pass over it, hold the guest's folders, replay, publish the figures;
 * until told to stop.
 */
static void *
mwatch_thread(void *arg)
{
	struct mounts_watcher *w = arg;
	size_t i;

	mwatch_options(w, &w->o);
	w->step = scan_step_ms(&w->o);
	while (mwatch_wait_on(w) == 0) {
		if (mwatch_start(w) != 0)
			continue;
		mwatch_native(w);
		if (w->sync != NULL && msync_pending(w->sync))
			mwatch_sync(w); /* the first sync: at once */
		if (mwatch_wait_due(w) != 0 || mwatch_scan(w) != 0)
			continue;
		if (w->sync != NULL)
			mwatch_sync(w);
		else
			mwatch_pins(w);
		scan_changes_clear(&w->ch);
		mwatch_replay(w);
		mwatch_publish(w);
		if (w->reload)
			mwatch_reload(w);
		mwatch_notify(w);
	}
	scan_free(w->s);
	winotify_free(w->in);
	replay_batch_clear(&w->b);
	scan_changes_clear(&w->ch);
	if (w->sync != NULL)
		msync_stop(w->sync); /* the guest keeps its copy */
	pinset_free(w->pins); /* the guest keeps them for the next berth */
	mwatch_unlock(w);
	for (i = 0; i < w->nign; i++)
		free(w->ign[i]);
	free(w->ign);
	w->ign = NULL;
	w->nign = 0;
	return NULL;
}

/* ---- what mounts.c calls ---- */

/*
 * A watcher for mount pm (which, like g, must outlive it), its thread
 * started; notify(arg) is called from that thread when figures change.
 */
struct mounts_watcher *
mounts_watcher_new(const struct profile_mount *pm, struct mounts_guest *g,
                   void (*notify)(void *), void *arg)
{
	struct mounts_watcher *w = xcalloc(1, sizeof *w);

	w->pm = pm;
	w->g = g;
	w->state_dir = mounts_guest_state_dir(g);
	w->notify = notify;
	w->notify_arg = arg;
	w->mode = pm->watch;
	if (pm->type == PROFILE_MOUNT_SYNC && w->mode == PROFILE_WATCH_OFF)
		w->mode = PROFILE_WATCH_NATIVE; /* a sync mount always syncs */
	w->active = PROFILE_WATCH_OFF;
	w->latency_ms = -1;
	w->pinned = -1;
	w->lock_fd = -1;
	w->guest = pm->guest != NULL ? pm->guest : pm->host;
	if (pm->type == PROFILE_MOUNT_SYNC) {
		/* The watcher's for its life: the engine thread reads it. */
		char *status = w->state_dir != NULL
		                   ? msync_status_path(w->state_dir, pm->host)
		                   : NULL;

		w->sync = msync_new(pm->host, w->guest, &w->o);
		if (pm->sync == PROFILE_SYNC_BOTH) {
			char *base =
			    w->state_dir != NULL
			        ? msync_base_path(w->state_dir, pm->host)
			        : NULL;

			msync_set_two_way(w->sync, base);
			free(base);
		}
		msync_set_status_file(w->sync, status);
		msync_set_notify(w->sync, notify, arg);
		free(status);
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	if (pthread_create(&w->thread, NULL, mwatch_thread, w) != 0)
		fatal("cannot start a mount watcher thread");
	w->started = 1;
	return w;
}

/* Ask the thread to stop; mounts_watcher_free() waits for it. */
void
mounts_watcher_stop(struct mounts_watcher *w)
{
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

void
mounts_watcher_free(struct mounts_watcher *w)
{
	if (w == NULL)
		return;
	mounts_watcher_stop(w);
	if (w->started)
		pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	msync_free(w->sync);
	free(w->note.detail);
	free(w);
}

/* Flip the mount's mode; the thread applies it at once. */
void
mounts_watcher_set_watch(struct mounts_watcher *w, enum profile_watch mode)
{
	pthread_mutex_lock(&w->lock);
	w->mode = mode;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

/*
 * Copy the figures and the note into mm (takes w->lock); with no note of
 * its own, a hint about how the mount is set up.
 */
void
mounts_watcher_fill(struct mounts_watcher *w, struct model_mount *mm)
{
	const struct model_mount_note *n = &w->note;

	pthread_mutex_lock(&w->lock);
	mm->watch = w->mode;
	mm->files = w->files;
	mm->dirs = w->dirs;
	mm->last_pass_ms = w->last_pass_ms;
	mm->cold_ms = w->cold_ms;
	mm->replayed = w->replayed;
	mm->queued = w->queued;
	mm->failed = w->failed;
	mm->errors = w->errors;
	mm->latency_ms = w->latency_ms;
	mm->passes = w->passes;
	mm->pinned = w->pinned;
	mm->pin_total = w->pin_total;
	mm->via = w->via;
	if (w->sync != NULL) {
		struct msync_stats st;

		msync_get_stats(w->sync, &st);
		mm->sync_state = msync_state_name(st.state);
		mm->sync_done = st.done_files;
		mm->sync_total = st.copy_files;
		mm->sync_done_bytes = st.done_bytes;
		mm->sync_total_bytes = st.copy_bytes;
		mm->sync_bytes = st.bytes;
		mm->sync_sent_bytes = st.sent_bytes;
		mm->sync_lag_ms = st.lag_ms;
		mm->sync_both = msync_two_way(w->sync);
		mm->sync_fetched = st.fetched;
		mm->sync_conflicts = st.conflicts;
		if (st.state != MSYNC_OFF)
			mm->files = st.files;
	}
	if (n->kind != MOUNT_NOTE_NONE)
		model_mount_note_set(&mm->note, n->kind, n->num, n->detail);
	else if (w->git_negations > 0 && w->mode != PROFILE_WATCH_OFF)
		model_mount_note_set(&mm->note, MOUNT_NOTE_GITIGNORE,
		                     (long long)w->git_negations, NULL);
	else if (!w->pm->writable && w->mode != PROFILE_WATCH_OFF)
		model_mount_note_set(&mm->note, MOUNT_NOTE_READ_ONLY, 0, NULL);
	pthread_mutex_unlock(&w->lock);
}
