/*
 * mounts.c: the mounts engine component. Every mount of the profile gets
 * a watcher (mounts-watcher.c: a thread that scans, replays and reports
 * its figures), and they share one way to the guest (mounts-guest.c).
 * The engine thread only flips modes and copies figures; a byte on a
 * pipe tells it that figures changed.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/core.h"
#include "mounts/mounts.h"

/* Tools that poll on their own when told to; berth's replay replaces it. */
const char *const mounts_env_hint[] = {
    "CHOKIDAR_USEPOLLING=true",   /* chokidar: webpack-dev-server, vite */
    "WATCHPACK_POLLING=true",     /* webpack 5 */
    "WATCHFILES_FORCE_POLLING=1", /* uvicorn --reload, watchfiles */
    "TSC_WATCHFILE=PriorityPollingInterval", /* tsc --watch */
    NULL,
};

struct mounts {
	const struct profile *p;
	struct mounts_guest *g;
	struct mounts_watcher **w;
	size_t n;
};

/*
 * Watchers for every mount of the profile (which must outlive them);
 * notify(arg) is called from watcher threads when figures change.
 */
struct mounts *
mounts_new(const struct profile *p, void (*notify)(void *), void *arg)
{
	struct mounts *m = xcalloc(1, sizeof *m);
	size_t i;

	m->p = p;
	m->g = mounts_guest_new(p);
	m->n = p->nmounts;
	m->w = xcalloc(m->n + 1, sizeof *m->w);
	for (i = 0; i < m->n; i++)
		m->w[i] = mounts_watcher_new(&p->mounts[i], m->g, notify, arg);
	return m;
}

void
mounts_free(struct mounts *m)
{
	size_t i;

	if (m == NULL)
		return;
	/* Stop them all first: their last round trips end together. */
	for (i = 0; i < m->n; i++)
		mounts_watcher_stop(m->w[i]);
	for (i = 0; i < m->n; i++)
		mounts_watcher_free(m->w[i]);
	mounts_guest_free(m->g);
	free(m->w);
	free(m);
}

/* Flip one mount's mode; the watcher applies it at once. */
int
mounts_set_watch(struct mounts *m, size_t i, enum profile_watch mode)
{
	if (i >= m->n)
		return -1;
	mounts_watcher_set_watch(m->w[i], mode);
	return 0;
}

/* Copy the figures into a snapshot. */
void
mounts_fill(struct mounts *m, struct model *model)
{
	static const char *const types[] = {"9p", "virtiofs", "sshfs", "sync"};
	size_t i;

	model->mounts = xcalloc(m->n + 1, sizeof *model->mounts);
	model->nmounts = m->n;
	for (i = 0; i < m->n; i++) {
		const struct profile_mount *pm = &m->p->mounts[i];
		struct model_mount *mm = &model->mounts[i];

		mm->host = xstrdup(pm->host);
		mm->guest = xstrdup(pm->guest != NULL ? pm->guest : pm->host);
		mm->type = xstrdup(
		    (size_t)pm->type < nitems(types) ? types[pm->type] : "?");
		mm->writable = pm->writable;
		mm->present = pm->type == PROFILE_MOUNT_SYNC ||
		              mounts_guest_present(m->g, i) != 0;
		mounts_watcher_fill(m->w[i], mm);
	}
}

/* ---- the engine component ---- */

struct mounts_comp {
	struct engine *e;
	struct mounts *m;
	int pipe[2];
	enum profile_watch *watch; /* last applied, per mount */
	time_t seen_mtime;         /* of the profile file */
};

static void
mounts_comp_notify(void *arg)
{
	struct mounts_comp *c = arg;
	char b = 'm';

	if (write(c->pipe[1], &b, 1) == -1) {
		/* Full pipe: a wake-up is already pending. */
	}
}

static void *
mounts_comp_create(struct engine *e, const struct profile *p)
{
	struct mounts_comp *c = xcalloc(1, sizeof *c);
	size_t i;

	c->e = e;
	if (pipe(c->pipe) != 0)
		fatal("pipe: %s", strerror(errno));
	fcntl(c->pipe[0], F_SETFL, O_NONBLOCK);
	fcntl(c->pipe[1], F_SETFL, O_NONBLOCK);
	fcntl(c->pipe[0], F_SETFD, FD_CLOEXEC);
	fcntl(c->pipe[1], F_SETFD, FD_CLOEXEC);
	c->m = mounts_new(p, mounts_comp_notify, c);
	c->watch = xcalloc(p->nmounts + 1, sizeof *c->watch);
	for (i = 0; i < p->nmounts; i++)
		c->watch[i] = p->mounts[i].watch;
	return c;
}

static void
mounts_comp_destroy(void *arg)
{
	struct mounts_comp *c = arg;

	mounts_free(c->m);
	free(c->watch);
	close(c->pipe[0]);
	close(c->pipe[1]);
	free(c);
}

static int
mounts_comp_prepare(void *arg, struct pollfd *pfd, int max, int *timeout)
{
	struct mounts_comp *c = arg;

	if (max < 1)
		return 0;
	pfd[0].fd = c->pipe[0];
	pfd[0].events = POLLIN;
	pfd[0].revents = 0;
	return 1;
}

static void
mounts_comp_dispatch(void *arg, const struct pollfd *pfd, int n)
{
	struct mounts_comp *c = arg;
	char buf[64];

	if (n < 1 || !(pfd[0].revents & POLLIN))
		return;
	while (read(c->pipe[0], buf, sizeof buf) > 0)
		;
	engine_changed(c->e);
}

/* ENGINE_CMD_MOUNT_WATCH: num = mount index, arg = off|poll|native. */
static int
mounts_comp_command(void *arg, const struct engine_cmd *cmd)
{
	struct mounts_comp *c = arg;
	const struct profile *p = engine_profile(c->e);
	enum profile_watch mode;
	char *key, *cause = NULL;

	if (cmd->type != ENGINE_CMD_MOUNT_WATCH)
		return 0;
	if (cmd->arg == NULL || mounts_watch_parse(cmd->arg, &mode) != 0 ||
	    cmd->num < 0 || (size_t)cmd->num >= c->m->n) {
		engine_message(c->e, 2, "watch: no mount %lld or bad mode %s",
		               cmd->num, cmd->arg != NULL ? cmd->arg : "");
		return 1;
	}
	mounts_set_watch(c->m, (size_t)cmd->num, mode);
	c->watch[cmd->num] = mode;
	key = xasprintf("mounts[%lld].watch", cmd->num);
	if (p->path == NULL)
		engine_message(c->e, 1,
		               "%s: watch %s (not saved: the profile has no "
		               "file)",
		               p->mounts[cmd->num].host,
		               mounts_watch_name(mode));
	else if (profile_save(p, key, mounts_watch_name(mode), &cause) != 0) {
		engine_message(c->e, 1, "%s: watch %s, not saved: %s",
		               p->mounts[cmd->num].host,
		               mounts_watch_name(mode), cause);
		free(cause);
	} else
		engine_message(c->e, 0, "%s: watch %s (saved)",
		               p->mounts[cmd->num].host,
		               mounts_watch_name(mode));
	free(key);
	engine_changed(c->e);
	return 1;
}

/*
 * Follow the profile file: `berth watch MOUNT on|off` from a shell edits
 * it, and a running dashboard applies the change on its next tick.
 */
static void
mounts_comp_tick(void *arg)
{
	struct mounts_comp *c = arg;
	const struct profile *p = engine_profile(c->e);
	struct profile *np;
	struct stat sb;
	size_t i;

	if (p->path == NULL || stat(p->path, &sb) != 0 ||
	    (sb.st_mtime == c->seen_mtime && c->seen_mtime != 0))
		return;
	c->seen_mtime = sb.st_mtime;
	if ((np = profile_open(p->name, NULL)) == NULL)
		return;
	for (i = 0; i < np->nmounts && i < c->m->n; i++) {
		if (np->mounts[i].watch != c->watch[i]) {
			c->watch[i] = np->mounts[i].watch;
			mounts_set_watch(c->m, i, c->watch[i]);
			engine_message(c->e, 0, "%s: watch %s (profile)",
			               np->mounts[i].host,
			               mounts_watch_name(c->watch[i]));
		}
	}
	profile_free(np);
}

static void
mounts_comp_fill(void *arg, struct model *m)
{
	struct mounts_comp *c = arg;

	if (m->mounts != NULL)
		return; /* someone else filled them */
	mounts_fill(c->m, m);
}

const struct engine_component mounts_component = {
    .name = "mounts",
    .create = mounts_comp_create,
    .destroy = mounts_comp_destroy,
    .prepare = mounts_comp_prepare,
    .dispatch = mounts_comp_dispatch,
    .tick = mounts_comp_tick,
    .command = mounts_comp_command,
    .fill = mounts_comp_fill,
};
