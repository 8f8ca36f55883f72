/*
 * engine.c: the backend thread. It owns every connection through its
 * components (VM, Docker, mounts, socket), runs their I/O from one poll()
 * loop, takes commands from the UI through a queue and publishes immutable
 * snapshots, waking the UI with a byte on a pipe.
 *
 * The same engine runs without a thread for one-shot CLI commands:
 * engine_run_once() ticks every component and waits until their first
 * refresh has landed, then the caller reads engine_snapshot().
 *
 * Threads: the thread that made the engine (the UI) calls engine_start,
 * engine_ack_wake, engine_stop and engine_free; any thread may call
 * engine_send and engine_snapshot. Everything else, every component
 * callback included, runs on the engine's owner: its thread while it
 * runs, else the caller of engine_run_once (or engine_free, which
 * destroys the components after the thread has ended). Debug builds
 * assert this (berth_assert_thread, util.h).
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "image/image.h"
#include "mounts/mounts.h"
#include "vm/vm.h"
#include "docker/docker.h"
#include "socket/socket.h"

#define ENGINE_MAX_POLLFDS  256
#define ENGINE_MAX_MESSAGES 50

/* Components, registered in this one table (NULL-terminated). */
const struct engine_component *const engine_components[] = {
    &vm_component,     /* libvirt: the VM, its stats and events */
    &socket_component, /* the forwarded docker.sock and context */
    &docker_component, /* the Docker Engine API */
    &mounts_component, /* shared folders and polling mode */
    NULL,
};

struct engine {
	struct profile *profile;
	int threaded;
	pthread_t thread;
	int running;
	pthread_t creator; /* made the engine: starts, stops, frees it */
	pthread_t owner;   /* runs the components (debug checks only) */

	pthread_mutex_t lock;
	int cmd_pipe[2];  /* UI -> engine: a command is queued */
	int wake_pipe[2]; /* engine -> UI: a snapshot is ready */
	int wake_pending;
	struct engine_cmd *queue;
	size_t nqueue;
	int stop;

	struct model *current;
	uint64_t seq;
	int changed;

	void **state; /* one per component */
	int created;  /* components exist (made on the first pass) */
	size_t ncomponents;

	uint64_t interval_ms;
	uint64_t next_tick;

	struct model_message messages[ENGINE_MAX_MESSAGES];
	size_t nmessages;
};

static void engine_publish(struct engine *);
static void engine_components_create(struct engine *);
static void engine_components_destroy(struct engine *);

static void
set_nonblock_cloexec(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/*
 * Create an engine for a profile; the engine takes ownership of the
 * profile. With threaded set, engine_start() runs it on its own thread.
 */
struct engine *
engine_create(struct profile *profile, int threaded)
{
	struct engine *e = xcalloc(1, sizeof *e);

	e->profile = profile;
	e->threaded = threaded;
	berth_set_thread(&e->creator);
	berth_set_thread(&e->owner);
	pthread_mutex_init(&e->lock, NULL);
	if (pipe(e->cmd_pipe) != 0 || pipe(e->wake_pipe) != 0)
		fatal("pipe: %s", strerror(errno));
	set_nonblock_cloexec(e->cmd_pipe[0]);
	set_nonblock_cloexec(e->cmd_pipe[1]);
	set_nonblock_cloexec(e->wake_pipe[0]);
	set_nonblock_cloexec(e->wake_pipe[1]);
	e->interval_ms = profile->refresh_ms ? profile->refresh_ms : 2000;
	for (e->ncomponents = 0; engine_components[e->ncomponents] != NULL;
	     e->ncomponents++)
		;
	e->state = xcalloc(e->ncomponents + 1, sizeof *e->state);
	/* The VM component creates VMs from images through image/'s job. */
	vm_component_set_jobs(&create_jobs);
	/* A disk grown live grows in the guest through the agent. */
	vm_set_guest_exec(replay_agent_exec);
	/*
	 * Components connect (libvirt, Docker) when they are created, so
	 * that happens on the first pass, on the engine thread, never on
	 * the caller's (the UI's) thread.
	 */
	e->changed = 1;
	engine_publish(e);
	return e;
}

static void
engine_components_create(struct engine *e)
{
	size_t i;

	for (i = 0; i < e->ncomponents; i++) {
		const struct engine_component *c = engine_components[i];

		e->state[i] =
		    c->create != NULL ? c->create(e, e->profile) : NULL;
	}
	e->created = 1;
	e->next_tick = 0;
}

static void
engine_components_destroy(struct engine *e)
{
	size_t i;

	for (i = e->ncomponents; i > 0; i--) {
		const struct engine_component *c = engine_components[i - 1];

		if (c->destroy != NULL && e->state[i - 1] != NULL)
			c->destroy(e->state[i - 1]);
		e->state[i - 1] = NULL;
	}
}

/* The profile in use; it changes with a switch, on the engine thread. */
const struct profile *
engine_profile(const struct engine *e)
{
	berth_assert_thread(&e->owner);
	return e->profile;
}

uint64_t
engine_interval(const struct engine *e)
{
	return e->interval_ms;
}

/* Nonzero for a long-running engine (dashboard), zero for a one-shot CLI. */
int
engine_threaded(const struct engine *e)
{
	return e->threaded;
}

int
engine_wake_fd(const struct engine *e)
{
	return e->wake_pipe[0];
}

/* The UI read the wake byte; the next publish may wake it again. */
void
engine_ack_wake(struct engine *e)
{
	char buf[64];

	berth_assert_thread(&e->creator);
	while (read(e->wake_pipe[0], buf, sizeof buf) > 0)
		;
	pthread_mutex_lock(&e->lock);
	e->wake_pending = 0;
	pthread_mutex_unlock(&e->lock);
}

/* The newest snapshot, with a reference the caller drops (model_unref). */
struct model *
engine_snapshot(struct engine *e)
{
	struct model *m;

	pthread_mutex_lock(&e->lock);
	m = model_ref(e->current);
	pthread_mutex_unlock(&e->lock);
	return m;
}

/* Components call this when their state changed and a snapshot is due. */
void
engine_changed(struct engine *e)
{
	berth_assert_thread(&e->owner);
	e->changed = 1;
}

void
engine_message(struct engine *e, int level, const char *fmt, ...)
{
	struct model_message *msg;
	va_list ap;

	berth_assert_thread(&e->owner);
	if (e->nmessages == ENGINE_MAX_MESSAGES) {
		free(e->messages[0].text);
		memmove(e->messages, e->messages + 1,
		        (ENGINE_MAX_MESSAGES - 1) * sizeof *e->messages);
		e->nmessages--;
	}
	msg = &e->messages[e->nmessages++];
	msg->when_ms = util_now_ms();
	msg->level = level;
	va_start(ap, fmt);
	msg->text = xvasprintf(fmt, ap);
	va_end(ap);
	e->changed = 1;
}

void
engine_cmd_free(struct engine_cmd *cmd)
{
	free(cmd->arg);
	free(cmd->arg2);
}

/* Queue a command for the engine (any thread). */
void
engine_send(struct engine *e, enum engine_cmd_type type, const char *arg,
            const char *arg2, long long num)
{
	struct engine_cmd *cmd;
	char b = 'c';

	pthread_mutex_lock(&e->lock);
	e->queue = xreallocarray(e->queue, e->nqueue + 1, sizeof *e->queue);
	cmd = &e->queue[e->nqueue++];
	cmd->type = type;
	cmd->arg = arg != NULL ? xstrdup(arg) : NULL;
	cmd->arg2 = arg2 != NULL ? xstrdup(arg2) : NULL;
	cmd->num = num;
	pthread_mutex_unlock(&e->lock);
	if (write(e->cmd_pipe[1], &b, 1) == -1 && errno != EAGAIN)
		fatal("engine pipe: %s", strerror(errno));
}

/*
 * Switch to another profile: load it, tear the components down and build
 * them again. On error the current profile stays.
 */
int
engine_switch_profile(struct engine *e, const char *name, char **cause)
{
	struct profile *p;

	berth_assert_thread(&e->owner);
	if ((p = profile_open(name, cause)) == NULL)
		return -1;
	engine_components_destroy(e);
	profile_free(e->profile);
	e->profile = p;
	e->interval_ms = p->refresh_ms ? p->refresh_ms : 2000;
	engine_components_create(e);
	engine_message(e, 0, "switched to profile %s", name);
	e->changed = 1;
	return 0;
}

static void
engine_handle(struct engine *e, struct engine_cmd *cmd)
{
	size_t i;
	char *cause = NULL;

	switch (cmd->type) {
	case ENGINE_CMD_REFRESH:
		e->next_tick = 0;
		return;
	case ENGINE_CMD_SET_INTERVAL:
		if (cmd->num >= 100 && cmd->num <= 3600000) {
			e->interval_ms = (uint64_t)cmd->num;
			e->next_tick = util_mono_ms() + e->interval_ms;
			e->changed = 1;
		}
		return;
	case ENGINE_CMD_PROFILE_SWITCH:
		if (engine_switch_profile(e, cmd->arg, &cause) != 0) {
			engine_message(e, 2, "%s", cause);
			free(cause);
		}
		return;
	default:
		break;
	}
	for (i = 0; i < e->ncomponents; i++) {
		const struct engine_component *c = engine_components[i];

		if (c->command != NULL && c->command(e->state[i], cmd))
			return;
	}
	engine_message(e, 1, "nothing here handles that command yet");
}

static void
engine_drain_commands(struct engine *e)
{
	struct engine_cmd *q;
	size_t n, i;
	char buf[64];

	while (read(e->cmd_pipe[0], buf, sizeof buf) > 0)
		;
	pthread_mutex_lock(&e->lock);
	q = e->queue;
	n = e->nqueue;
	e->queue = NULL;
	e->nqueue = 0;
	pthread_mutex_unlock(&e->lock);
	for (i = 0; i < n; i++) {
		engine_handle(e, &q[i]);
		engine_cmd_free(&q[i]);
	}
	free(q);
}

/*
 * Build a new snapshot from every component and make it current. Once
 * sealed it is never written again: readers share it without a lock.
 */
static void
engine_publish(struct engine *e)
{
	struct model *m = model_new(), *old;
	size_t i;
	char b = 'w';
	int wake = 0;

	berth_assert_thread(&e->owner);
	m->seq = ++e->seq;
	m->profile = xstrdup(e->profile->name);
	m->refresh_ms = e->interval_ms;
	m->theme =
	    e->profile->theme != NULL ? xstrdup(e->profile->theme) : NULL;
	if (e->nmessages > 0) {
		m->messages = xcalloc(e->nmessages, sizeof *m->messages);
		for (i = 0; i < e->nmessages; i++) {
			m->messages[i] = e->messages[i];
			m->messages[i].text = xstrdup(e->messages[i].text);
		}
		m->nmessages = e->nmessages;
	}
	for (i = 0; i < e->ncomponents; i++) {
		const struct engine_component *c = engine_components[i];

		if (c->fill != NULL && e->state[i] != NULL)
			c->fill(e->state[i], m);
	}
	model_seal(m);
	pthread_mutex_lock(&e->lock);
	old = e->current;
	e->current = m;
	if (!e->wake_pending) {
		e->wake_pending = 1;
		wake = 1;
	}
	pthread_mutex_unlock(&e->lock);
	if (old != NULL)
		model_unref(old);
	if (wake && write(e->wake_pipe[1], &b, 1) == -1 && errno != EAGAIN)
		fatal("engine pipe: %s", strerror(errno));
	e->changed = 0;
}

/* One pass of the loop: poll at most max_wait_ms, then do what is due. */
static void
engine_pass(struct engine *e, int max_wait_ms)
{
	struct pollfd pfd[ENGINE_MAX_POLLFDS];
	int start[64], count[64];
	int n = 1, timeout, k;
	uint64_t now;
	size_t i;

	berth_assert_thread(&e->owner);
	if (!e->created) {
		engine_components_create(e);
		e->changed = 1;
	}
	now = util_mono_ms();
	if (now >= e->next_tick) {
		for (i = 0; i < e->ncomponents; i++) {
			const struct engine_component *c = engine_components[i];

			if (c->tick != NULL && e->state[i] != NULL)
				c->tick(e->state[i]);
		}
		e->next_tick = now + e->interval_ms;
	}
	timeout = (int)(e->next_tick - now);
	if (max_wait_ms >= 0 && timeout > max_wait_ms)
		timeout = max_wait_ms;

	pfd[0].fd = e->cmd_pipe[0];
	pfd[0].events = POLLIN;
	pfd[0].revents = 0;
	for (i = 0; i < e->ncomponents && i < nitems(start); i++) {
		const struct engine_component *c = engine_components[i];

		start[i] = n;
		count[i] = 0;
		if (c->prepare != NULL && e->state[i] != NULL) {
			k = c->prepare(e->state[i], pfd + n,
			               ENGINE_MAX_POLLFDS - n, &timeout);
			count[i] = k;
			n += k;
		}
	}
	if (timeout < 0)
		timeout = 0;
	if (e->changed)
		timeout = 0;
	if (poll(pfd, (nfds_t)n, timeout) == -1 && errno != EINTR)
		fatal("poll: %s", strerror(errno));

	for (i = 0; i < e->ncomponents && i < nitems(start); i++) {
		const struct engine_component *c = engine_components[i];

		if (c->dispatch != NULL && e->state[i] != NULL)
			c->dispatch(e->state[i], pfd + start[i], count[i]);
	}
	if (pfd[0].revents & POLLIN)
		engine_drain_commands(e);
	if (e->changed)
		engine_publish(e);
}

static void *
engine_main(void *arg)
{
	struct engine *e = arg;

	berth_set_thread(&e->owner);
	for (;;) {
		pthread_mutex_lock(&e->lock);
		if (e->stop) {
			pthread_mutex_unlock(&e->lock);
			break;
		}
		pthread_mutex_unlock(&e->lock);
		engine_pass(e, -1);
	}
	return NULL;
}

void
engine_start(struct engine *e)
{
	berth_assert_thread(&e->creator);
	if (!e->threaded || e->running)
		return;
	if (pthread_create(&e->thread, NULL, engine_main, e) != 0)
		fatal("cannot start the engine thread");
	e->running = 1;
}

void
engine_stop(struct engine *e)
{
	char b = 's';

	berth_assert_thread(&e->creator);
	if (!e->running)
		return;
	pthread_mutex_lock(&e->lock);
	e->stop = 1;
	pthread_mutex_unlock(&e->lock);
	if (write(e->cmd_pipe[1], &b, 1) == -1 && errno != EAGAIN)
		fatal("engine pipe: %s", strerror(errno));
	pthread_join(e->thread, NULL);
	e->running = 0;
	/* the components are the caller's again (engine_free destroys them) */
	berth_set_thread(&e->owner);
}

static int
engine_any_pending(struct engine *e)
{
	size_t i;

	for (i = 0; i < e->ncomponents; i++) {
		const struct engine_component *c = engine_components[i];

		if (c->pending != NULL && e->state[i] != NULL &&
		    c->pending(e->state[i]))
			return 1;
	}
	return 0;
}

/*
 * Run loop passes on the calling thread until nothing is pending or
 * timeout_ms has passed (for CLI commands), then publish.
 */
void
engine_run_pending(struct engine *e, uint64_t timeout_ms)
{
	uint64_t deadline = util_mono_ms() + timeout_ms;

	/* not beside a running engine thread: the caller owns the engine */
	BERTH_ASSERT(!e->running);
	berth_assert_thread(&e->owner);
	do {
		engine_pass(e, 50);
		if (e->nqueue > 0)
			engine_drain_commands(e);
	} while (engine_any_pending(e) && util_mono_ms() < deadline);
	e->changed = 1;
	engine_publish(e);
}

/* Tick every component once and wait for the results (CLI commands). */
void
engine_run_once(struct engine *e, uint64_t timeout_ms)
{
	e->next_tick = 0;
	engine_run_pending(e, timeout_ms);
}

void
engine_free(struct engine *e)
{
	size_t i;

	engine_stop(e);
	engine_components_destroy(e);
	for (i = 0; i < e->nqueue; i++)
		engine_cmd_free(&e->queue[i]);
	free(e->queue);
	for (i = 0; i < e->nmessages; i++)
		free(e->messages[i].text);
	model_unref(e->current);
	close(e->cmd_pipe[0]);
	close(e->cmd_pipe[1]);
	close(e->wake_pipe[0]);
	close(e->wake_pipe[1]);
	profile_free(e->profile);
	free(e->state);
	pthread_mutex_destroy(&e->lock);
	free(e);
}
