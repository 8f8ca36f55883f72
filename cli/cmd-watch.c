/*
 * cmd-watch.c: `berth scan PATH`, one pass of the polling scanner for
 * users diagnosing a slow folder (or, with --watch, the changes it sees
 * pass by pass), and `berth watch MOUNT on|off|native|status`, which
 * flips a mount's polling mode and saves it to the profile; -f watches in
 * this process, -d in a detached one that outlives the shell (and the
 * dashboard) until every mount is off or `berth watch --stop`.
 */

#include "config.h"

#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "socket/socket.h"
#include "mounts/mounts.h"
#include "cli/cli.h"

static volatile sig_atomic_t cmd_watch_stop;

static void
cmd_watch_sigint(int sig)
{
	(void)sig;
	cmd_watch_stop = 1;
}

static void
cmd_scan_summary(const char *path, const struct scan_stats *st, FILE *f)
{
	fprintf(f,
	        "%s: %llu files, %llu dirs, %llu links, %llu other in "
	        "%.3f s (%llu stat calls, %llu unreadable)\n",
	        path, (unsigned long long)st->files,
	        (unsigned long long)st->dirs, (unsigned long long)st->links,
	        (unsigned long long)st->others, st->pass_us / 1e6,
	        (unsigned long long)st->stats, (unsigned long long)st->errors);
	if (st->truncated)
		fprintf(f,
		        "warning: stopped at the file limit; raise --max-files "
		        "(mounts[].max_files) or add ignore patterns\n");
}

/* Sleep until monotonic time `until` or a signal. */
static void
cmd_scan_sleep_until(uint64_t until)
{
	uint64_t now = util_mono_ms();
	struct timespec ts;

	if (until <= now)
		return;
	ts.tv_sec = (time_t)((until - now) / 1000);
	ts.tv_nsec = (long)((until - now) % 1000) * 1000000;
	nanosleep(&ts, NULL);
}

static int
cmd_scan_exec(struct cmd_ctx *ctx, struct cmd_args *a)
{
	const struct cmd_entry *c = &cmd_scan_entry;
	struct scan_options o;
	struct scan_changes ch = {0};
	struct scan *s;
	const char **ign = NULL, *val, *path;
	size_t nign = 0, i, k;
	uint64_t v, due, step;
	char *cause = NULL, *end;
	int ch_opt, watch = 0, no_default = 0, verbose = 0, cold_set = 0, rc;

	(void)ctx;
	scan_options_default(&o);
	/* In the command line's order: -i raises a shorter --cold before it. */
	for (k = 0; k < a->nvalues; k++) {
		ch_opt = a->values[k].opt->ch;
		val = a->values[k].value;
		switch (ch_opt) {
		case 'w':
			watch = 1;
			break;
		case 'i':
		case 'c':
			if (units_parse_duration(val, &v, &cause) != 0 ||
			    v < 10) {
				rc = cmd_usage_error(
				    c, "%s: %s", val,
				    cause != NULL ? cause : "at least 10ms");
				free(cause);
				free(ign);
				return rc;
			}
			if (ch_opt == 'i') {
				if (!cold_set || o.cold_ms < v)
					scan_options_interval(&o, v);
				else
					o.interval_ms = v;
			} else {
				o.cold_ms = v;
				cold_set = 1;
			}
			break;
		case 'f':
			o.full = 1;
			break;
		case 'I':
			ign = xreallocarray(ign, nign + 1, sizeof *ign);
			ign[nign++] = val;
			break;
		case 'N':
			no_default = 1;
			break;
		case 'm':
			errno = 0;
			o.max_files = strtoull(val, &end, 10);
			if (errno != 0 || *end != '\0' || *val == '\0') {
				free(ign);
				return cmd_usage_error(c, "bad --max-files: %s",
				                       val);
			}
			break;
		case 'v':
			verbose = 1;
			break;
		case 'b':
			errno = 0;
			o.budget_pct = (unsigned)strtoul(val, &end, 10);
			if (errno != 0 || *end != '\0' || *val == '\0' ||
			    o.budget_pct > 100) {
				free(ign);
				return cmd_usage_error(
				    c, "bad --budget: %s (0-100)", val);
			}
			break;
		}
	}
	if (a->argc != 1) {
		free(ign);
		return cmd_usage_error(c, "one PATH, please");
	}
	path = a->argv[0];
	if (!no_default) {
		for (i = 0; i < SCAN_DEFAULT_IGNORE_N; i++) {
			ign = xreallocarray(ign, nign + 1, sizeof *ign);
			ign[nign++] = scan_default_ignore[i];
		}
	}
	o.ignore = ign;
	o.nignore = nign;
	if ((s = scan_new(path, &o, &cause)) == NULL) {
		fprintf(stderr, "berth: %s\n", cause);
		free(cause);
		free(ign);
		return BERTH_EXIT_FAILED;
	}
	free(ign);
	if (scan_pass(s, util_mono_ms(), &ch, &cause) != 0) {
		fprintf(stderr, "berth: %s\n", cause);
		free(cause);
		scan_free(s);
		return BERTH_EXIT_FAILED;
	}
	cmd_scan_summary(path, scan_get_stats(s), watch ? stderr : stdout);
	if (watch) {
		signal(SIGINT, cmd_watch_sigint);
		signal(SIGTERM, cmd_watch_sigint);
		step = scan_step_ms(&o);
		while (!cmd_watch_stop) {
			/* Wake at the next due directory, batching by step. */
			due = scan_next_due(s);
			if (due < util_mono_ms() + step)
				due = util_mono_ms() + step;
			cmd_scan_sleep_until(due);
			if (cmd_watch_stop)
				break;
			if (scan_pass(s, util_mono_ms(), &ch, &cause) != 0) {
				fprintf(stderr, "berth: %s\n", cause);
				free(cause);
				scan_free(s);
				return BERTH_EXIT_FAILED;
			}
			for (i = 0; i < ch.n; i++) {
				char *safe = util_sanitize_dup(
				    ch.v[i].path, strlen(ch.v[i].path));

				printf(
				    "%llu.%03llu %s %s %s\n",
				    (unsigned long long)(util_now_ms() / 1000),
				    (unsigned long long)(util_now_ms() % 1000),
				    scan_kind_name(ch.v[i].kind),
				    scan_type_name(ch.v[i].type), safe);
				free(safe);
			}
			if (ch.n > 0)
				fflush(stdout);
			if (verbose) {
				const struct scan_stats *st = scan_get_stats(s);

				fprintf(stderr,
				        "pass: %llu dirs visited, %llu listed, "
				        "%llu stats, %.1f ms, cold %llu ms, "
				        "cpu %llu%%\n",
				        (unsigned long long)st->visited,
				        (unsigned long long)st->listed,
				        (unsigned long long)st->stats,
				        st->pass_us / 1e3,
				        (unsigned long long)st->cold_ms,
				        (unsigned long long)st->cpu_pct);
			}
			scan_changes_clear(&ch);
		}
	}
	scan_changes_clear(&ch);
	scan_free(s);
	return BERTH_EXIT_OK;
}

const struct cmd_entry cmd_scan_entry = {
    .name = "scan",
    .usage = "[-w] [-i INTERVAL] [--full] [--ignore GLOB]... PATH",
    .args = "PATH",
    .help = "scan a folder like polling mode does (files, dirs, time)",
    .options =
        (const struct cmd_option[]){
            {'w', "watch", NULL, "keep polling, a line per change",
             CMD_KIND_NONE, 0},
            {'i', "interval", "DUR", "how often changed folders are read (1s)",
             CMD_KIND_NONE, 0},
            {'c', "cold", "DUR",
             "how often settled folders are read (1.5 x -i)", CMD_KIND_NONE, 0},
            {'f', "full", NULL, "read every folder every pass", CMD_KIND_NONE,
             0},
            {'I', "ignore", "GLOB", "leave out what matches (repeatable)",
             CMD_KIND_NONE, 0},
            {'N', "no-default-ignore", NULL,
             "do not skip .git and node_modules/.cache", CMD_KIND_NONE, 0},
            {'m', "max-files", "N", "stop after N files", CMD_KIND_NONE, 0},
            {'b', "budget", "PCT",
             "-w: stretch -c to keep to PCT % of a core (30; 0: never)",
             CMD_KIND_NONE, 0},
            {'v', "verbose", NULL, "-w: figures of every pass", CMD_KIND_NONE,
             0},
            {0, NULL, NULL, NULL, CMD_KIND_NONE, 0},
        },
    .max_args = -1,
    .kind = CMD_KIND_FILE,
    .exec = cmd_scan_exec,
};

/* MOUNT: a 1-based index, or the mount's host or guest path. */
static int
cmd_watch_find(const struct profile *p, const char *arg, size_t *idx)
{
	char *end, *exp;
	unsigned long n;
	size_t i;

	n = strtoul(arg, &end, 10);
	if (*arg != '\0' && *end == '\0') {
		if (n < 1 || n > p->nmounts)
			return -1;
		*idx = n - 1;
		return 0;
	}
	exp = paths_expand_tilde(arg);
	for (i = 0; i < p->nmounts; i++) {
		if (strcmp(p->mounts[i].host, exp) == 0 ||
		    (p->mounts[i].guest != NULL &&
		     strcmp(p->mounts[i].guest, exp) == 0)) {
			*idx = i;
			free(exp);
			return 0;
		}
	}
	free(exp);
	return -1;
}

static long cmd_watch_bg_pid(const char *);

static void
cmd_watch_status(const struct profile *p, FILE *f)
{
	size_t i;
	long bg;

	fprintf(f, "%-3s %-6s %-8s %-5s %s\n", "#", "WATCH", "TYPE", "RW",
	        "HOST -> GUEST");
	for (i = 0; i < p->nmounts; i++) {
		const struct profile_mount *m = &p->mounts[i];
		static const char *const types[] = {"9p", "virtiofs", "sshfs",
		                                    "sync"};

		fprintf(f, "%-3zu %-6s %-8s %-5s %s -> %s\n", i + 1,
		        mounts_watch_name(m->watch),
		        (size_t)m->type < nitems(types) ? types[m->type] : "?",
		        m->writable ? "rw" : "ro", m->host,
		        m->guest != NULL ? m->guest : m->host);
	}
	if (p->nmounts == 0)
		fprintf(f, "(no mounts in profile %s)\n", p->name);
	else if ((bg = cmd_watch_bg_pid(p->name)) > 0)
		fprintf(f, "background watcher: pid %ld (berth watch --stop)\n",
		        bg);
	fprintf(f, "\nTools that only react with their own polling can be "
	           "forced into it inside\nthe container; with berth's "
	           "replay on, you should not need these:\n");
	for (i = 0; mounts_env_hint[i] != NULL; i++)
		fprintf(f, "  %s\n", mounts_env_hint[i]);
}

/*
 * Run the watchers in this process until Ctrl-C, printing figures. The
 * profile is re-read every second, so `berth watch MOUNT off` from
 * another shell flips this one live.
 */
static int
cmd_watch_foreground(struct profile *p, size_t idx, enum profile_watch mode)
{
	struct mounts *m;
	struct model *model;
	struct profile *np;
	enum profile_watch cur = mode;
	uint64_t last = 0, reread = util_mono_ms() + 1000;
	int64_t lastpinned = -1;
	uint64_t lastqueued = 0;
	int ready = 0;
	char *lastnote = NULL;

	p->mounts[idx].watch = mode;
	m = mounts_new(p, NULL, NULL);
	signal(SIGINT, cmd_watch_sigint);
	signal(SIGTERM, cmd_watch_sigint);
	if (mode == PROFILE_WATCH_OFF)
		fprintf(stderr,
		        "holding the folders of %s in the guest (watch off); "
		        "Ctrl-C stops\n",
		        p->mounts[idx].host);
	else
		fprintf(stderr, "watching %s (%s); Ctrl-C stops\n",
		        p->mounts[idx].host, mounts_watch_name(mode));
	while (!cmd_watch_stop) {
		struct timespec ts = {0, 200 * 1000000};
		struct model_mount *mm;
		char *mnote;

		nanosleep(&ts, NULL);
		if (p->path != NULL && util_mono_ms() >= reread) {
			reread = util_mono_ms() + 1000;
			np = profile_open(p->name, NULL);
			if (np != NULL && idx < np->nmounts &&
			    np->mounts[idx].watch != cur) {
				cur = np->mounts[idx].watch;
				mounts_set_watch(m, idx, cur);
				fprintf(stderr, "profile says watch %s\n",
				        mounts_watch_name(cur));
			}
			profile_free(np);
		}
		model = model_new();
		mounts_fill(m, model);
		mm = &model->mounts[idx];
		mnote = model_mount_note_text(&mm->note);
		if (!ready && mm->passes > 0) {
			ready = 1;
			printf("ready: %llu files, %llu dirs in %llu ms\n",
			       (unsigned long long)mm->files,
			       (unsigned long long)mm->dirs,
			       (unsigned long long)mm->last_pass_ms);
			fflush(stdout);
		}
		if (mm->replayed + mm->failed != last ||
		    mm->pinned != lastpinned || mm->queued != lastqueued ||
		    !util_streq(mnote != NULL ? mnote : "",
		                lastnote != NULL ? lastnote : "")) {
			char pinned[80] = "";
			char *note =
			    mnote != NULL
			        ? util_sanitize_dup(mnote, strlen(mnote))
			        : NULL;

			if (mm->pinned >= 0)
				snprintf(pinned, sizeof pinned, " pinned=%lld",
				         (long long)mm->pinned);
			if (mm->pinned >= 0 && mm->pin_total > 0)
				snprintf(pinned + strlen(pinned),
				         sizeof pinned - strlen(pinned),
				         " of=%llu",
				         (unsigned long long)mm->pin_total);
			if (mm->via != NULL)
				snprintf(pinned + strlen(pinned),
				         sizeof pinned - strlen(pinned),
				         " via=%s", mm->via);
			printf("files=%llu dirs=%llu pass=%llums cold=%llums "
			       "queued=%llu "
			       "replayed=%llu failed=%llu latency=%lldms "
			       "in-domain=%s%s%s%s\n",
			       (unsigned long long)mm->files,
			       (unsigned long long)mm->dirs,
			       (unsigned long long)mm->last_pass_ms,
			       (unsigned long long)mm->cold_ms,
			       (unsigned long long)mm->queued,
			       (unsigned long long)mm->replayed,
			       (unsigned long long)mm->failed,
			       (long long)mm->latency_ms,
			       mm->present ? "yes" : "no", pinned,
			       note != NULL ? " note: " : "",
			       note != NULL ? note : "");
			fflush(stdout);
			free(note);
			last = mm->replayed + mm->failed;
			lastpinned = mm->pinned;
			lastqueued = mm->queued;
			free(lastnote);
			lastnote = mnote;
			mnote = NULL;
		}
		free(mnote);
		model_unref(model);
	}
	mounts_free(m);
	free(lastnote);
	return BERTH_EXIT_OK;
}

/* <state>/watch.pid: the background watcher's pid, flock'd while it runs. */
static char *
cmd_watch_pidfile(const char *profile, char **cause)
{
	char *dir = supervisor_state_dir(profile, cause), *path;

	if (dir == NULL)
		return NULL;
	path = xasprintf("%s/watch.pid", dir);
	free(dir);
	return path;
}

/* The running background watcher's pid, 0 if none. */
static long
cmd_watch_bg_pid(const char *profile)
{
	char *path = cmd_watch_pidfile(profile, NULL);
	long pid;

	if (path == NULL)
		return 0;
	pid = util_pidlock_owner(path); /* held: it runs */
	free(path);
	return pid > 0 ? pid : 0;
}

static int
cmd_watch_any_on(const struct profile *p)
{
	size_t i;

	for (i = 0; i < p->nmounts; i++) {
		if (p->mounts[i].watch != PROFILE_WATCH_OFF)
			return 1;
	}
	return 0;
}

/* Do two profiles share the same mounts (hosts, in order)? */
static int
cmd_watch_same_mounts(const struct profile *a, const struct profile *b)
{
	size_t i;

	if (a->nmounts != b->nmounts)
		return 0;
	for (i = 0; i < a->nmounts; i++) {
		if (!util_streq(a->mounts[i].host, b->mounts[i].host) ||
		    !util_streq(a->mounts[i].guest, b->mounts[i].guest))
			return 0;
	}
	return 1;
}

/* Log each mount's note when it changes (the background watcher's log). */
static void
cmd_watch_log_notes(struct mounts *m, char ***notes, size_t *n)
{
	struct model *model = model_new();
	char stamp[16];
	time_t now = time(NULL);
	size_t i;

	mounts_fill(m, model);
	if (*n < model->nmounts) {
		*notes = xreallocarray(*notes, model->nmounts, sizeof **notes);
		for (i = *n; i < model->nmounts; i++)
			(*notes)[i] = NULL;
		*n = model->nmounts;
	}
	strftime(stamp, sizeof stamp, "%H:%M:%S", localtime(&now));
	for (i = 0; i < model->nmounts; i++) {
		char *note = model_mount_note_text(&model->mounts[i].note);

		if (util_streq(note, (*notes)[i])) {
			free(note);
			continue;
		}
		if (note != NULL) {
			char *clean = util_sanitize_dup(note, strlen(note));

			fprintf(stderr, "%s %s: %s\n", stamp,
			        model->mounts[i].host, clean);
			free(clean);
		} else
			fprintf(stderr, "%s %s: ok\n", stamp,
			        model->mounts[i].host);
		free((*notes)[i]);
		(*notes)[i] = note;
	}
	model_unref(model);
}

/*
 * The background watcher: every mount of the profile with its saved
 * mode, following the profile file (re-read each second) until every
 * mount is off or a signal. Its log is the detached stderr.
 */
static int
cmd_watch_background(struct profile *p, int lock_fd)
{
	struct mounts *m;
	struct profile *np;
	char **notes = NULL;
	size_t i, nnotes = 0;
	int idle = 0;

	signal(SIGINT, cmd_watch_sigint);
	signal(SIGTERM, cmd_watch_sigint);
	signal(SIGHUP, cmd_watch_sigint);
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr,
	        "berth watch: background watcher of profile %s, pid %ld\n",
	        p->name, (long)getpid());
	m = mounts_new(p, NULL, NULL);
	while (!cmd_watch_stop) {
		struct timespec ts = {1, 0};

		nanosleep(&ts, NULL);
		cmd_watch_log_notes(m, &notes, &nnotes);
		if (p->path == NULL ||
		    (np = profile_open(p->name, NULL)) == NULL)
			continue;
		if (!cmd_watch_same_mounts(p, np)) {
			fprintf(stderr, "berth watch: the profile's mounts "
			                "changed; starting again\n");
			mounts_free(m);
			profile_free(p);
			p = np;
			m = mounts_new(p, NULL, NULL);
			continue;
		}
		for (i = 0; i < np->nmounts; i++) {
			if (np->mounts[i].watch != p->mounts[i].watch) {
				p->mounts[i].watch = np->mounts[i].watch;
				mounts_set_watch(m, i, np->mounts[i].watch);
				fprintf(stderr, "berth watch: %s: watch %s\n",
				        p->mounts[i].host,
				        mounts_watch_name(np->mounts[i].watch));
			}
		}
		profile_free(np);
		/* Nothing left to watch for a few seconds: done. */
		idle = cmd_watch_any_on(p) ? 0 : idle + 1;
		if (idle >= 3) {
			fprintf(stderr, "berth watch: every mount is off; "
			                "stopping\n");
			break;
		}
	}
	mounts_free(m);
	profile_free(p);
	for (i = 0; i < nnotes; i++)
		free(notes[i]);
	free(notes);
	close(lock_fd);
	return BERTH_EXIT_OK;
}

/* berth watch -d: start the background watcher (fork, setsid, fork). */
static int
cmd_watch_detach(struct profile *p)
{
	char *path, *cause = NULL, *log, buf[32];
	int fd, rp[2], status, len;
	long pid = cmd_watch_bg_pid(p->name);
	pid_t child;

	if (pid > 0) {
		fprintf(stderr,
		        "berth: profile %s already has a background "
		        "watcher (pid %ld); it follows the profile\n",
		        p->name, pid);
		return BERTH_EXIT_OK;
	}
	if (!cmd_watch_any_on(p)) {
		fprintf(stderr,
		        "berth: no mount of profile %s has watch on; "
		        "berth watch -d MOUNT on turns one on\n",
		        p->name);
		return BERTH_EXIT_USAGE;
	}
	if ((path = cmd_watch_pidfile(p->name, &cause)) == NULL) {
		fprintf(stderr, "berth: %s\n", cause);
		free(cause);
		return BERTH_EXIT_FAILED;
	}
	if (pipe(rp) != 0)
		fatal("pipe: %s", strerror(errno));
	log = xasprintf("%.*s.log", (int)(strlen(path) - 4), path);
	child = cmd_detach(log);
	if (child == 0) {
		close(rp[0]);
		if ((fd = util_pidlock(path, &pid)) == -1)
			_exit(BERTH_EXIT_FAILED); /* another one won */
		if (write(rp[1], "", 1) != 1) {
			/* the parent only waits for it */
		}
		close(rp[1]);
		_exit(cmd_watch_background(p, fd));
	}
	close(rp[1]);
	waitpid(child, &status, 0);
	len = (int)read(rp[0], buf, 1);
	close(rp[0]);
	pid = cmd_watch_bg_pid(p->name);
	if (len != 1 || pid <= 0) {
		fprintf(stderr,
		        "berth: the background watcher did not start\n");
		free(path);
		free(log);
		return BERTH_EXIT_FAILED;
	}
	fprintf(stderr,
	        "watching in the background (pid %ld); it follows the "
	        "profile and stops when every mount is off, or with berth "
	        "watch --stop; log: %s\n",
	        pid, log);
	free(path);
	free(log);
	return BERTH_EXIT_OK;
}

/* berth watch --stop: end the background watcher, wait for it. */
static int
cmd_watch_stop_bg(const struct profile *p)
{
	long pid = cmd_watch_bg_pid(p->name);
	int i;

	if (pid <= 0) {
		fprintf(stderr, "berth: profile %s has no background watcher\n",
		        p->name);
		return BERTH_EXIT_OK;
	}
	if (kill((pid_t)pid, SIGTERM) != 0) {
		fprintf(stderr, "berth: stopping pid %ld: %s\n", pid,
		        strerror(errno));
		return BERTH_EXIT_FAILED;
	}
	for (i = 0; i < 100 && cmd_watch_bg_pid(p->name) > 0; i++) {
		struct timespec ts = {0, 100 * 1000000};

		nanosleep(&ts, NULL);
	}
	if (cmd_watch_bg_pid(p->name) > 0) {
		fprintf(stderr, "berth: pid %ld did not stop within 10 s\n",
		        pid);
		return BERTH_EXIT_FAILED;
	}
	fprintf(stderr, "background watcher (pid %ld) stopped\n", pid);
	return BERTH_EXIT_OK;
}

static int
cmd_watch_exec(struct cmd_ctx *ctx, struct cmd_args *a)
{
	const struct cmd_entry *c = &cmd_watch_entry;
	struct profile *p;
	enum profile_watch mode;
	char *cause = NULL, *key, **argv = a->argv;
	size_t idx;
	int fg = cmd_args_has(a, "foreground") > 0;
	int bg = cmd_args_has(a, "detach") > 0,
	    stop = cmd_args_has(a, "stop") > 0;
	int argc = a->argc, rc;

	if (fg + bg + stop > 1)
		return cmd_usage_error(c,
		                       "-f, -d and --stop exclude each other");
	if ((p = cmd_profile_open(ctx)) == NULL)
		return BERTH_EXIT_USAGE;
	if (argc == 1 && strcmp(argv[0], "status") == 0) {
		cmd_watch_status(p, stdout);
		profile_free(p);
		return BERTH_EXIT_OK;
	}
	if (stop || (bg && argc == 0)) {
		rc = stop ? cmd_watch_stop_bg(p) : cmd_watch_detach(p);
		profile_free(p);
		return rc;
	}
	if (argc != 2) {
		profile_free(p);
		return cmd_usage_error(c, "MOUNT and on|off|native|status");
	}
	if (cmd_watch_find(p, argv[0], &idx) != 0) {
		rc = cmd_usage_error(c,
		                     "no mount %s in profile %s (berth watch "
		                     "status lists them)",
		                     argv[0], p->name);
		profile_free(p);
		return rc;
	}
	if (strcmp(argv[1], "status") == 0) {
		cmd_watch_status(p, stdout);
		profile_free(p);
		return BERTH_EXIT_OK;
	}
	if (mounts_watch_parse(argv[1], &mode) != 0) {
		profile_free(p);
		return cmd_usage_error(c, "%s: want on, off, native or status",
		                       argv[1]);
	}
	if (p->path != NULL) {
		key = xasprintf("mounts[%zu].watch", idx);
		rc = profile_save(p, key, mounts_watch_name(mode), &cause);
		free(key);
		if (rc != 0) {
			fprintf(stderr, "berth: %s\n", cause);
			free(cause);
			profile_free(p);
			return rc == -2 ? BERTH_EXIT_USAGE : BERTH_EXIT_FAILED;
		}
		fprintf(stderr, "%s: watch %s (saved to profile %s)\n",
		        p->mounts[idx].host, mounts_watch_name(mode), p->name);
	} else
		fprintf(stderr,
		        "%s: watch %s (profile %s has no file; not "
		        "saved)\n",
		        p->mounts[idx].host, mounts_watch_name(mode), p->name);
	rc = BERTH_EXIT_OK;
	p->mounts[idx].watch = mode;
	if (!fg && !bg && mode != PROFILE_WATCH_OFF)
		fprintf(stderr,
		        "a running dashboard or background watcher "
		        "applies it within seconds; berth watch -f runs "
		        "the watcher here, -d in the background\n");
	/* -f off on 9p: hold the share's folders, replaying nothing. */
	if (fg && (mode != PROFILE_WATCH_OFF ||
	           p->mounts[idx].type == PROFILE_MOUNT_9P))
		rc = cmd_watch_foreground(p, idx, mode);
	if (bg)
		rc = cmd_watch_detach(p);
	profile_free(p);
	return rc;
}

const struct cmd_entry cmd_watch_entry = {
    .name = "watch",
    .usage = "[-f|-d] MOUNT on|off|native|status | -d | --stop",
    .args = "[MOUNT on|off|native|status]",
    .help = "polling mode of a mount: replay host changes in the guest",
    .options =
        (const struct cmd_option[]){
            {'f', "foreground", NULL, "watch in this process until Ctrl-C",
             CMD_KIND_NONE, 0},
            {'d', "detach", NULL, "watch in a background process",
             CMD_KIND_NONE, 0},
            {0, "stop", NULL, "end the background watcher", CMD_KIND_NONE, 0},
            {0, NULL, NULL, NULL, CMD_KIND_NONE, 0},
        },
    .max_args = -1,
    .kind = CMD_KIND_MOUNT,
    .exec = cmd_watch_exec,
};
