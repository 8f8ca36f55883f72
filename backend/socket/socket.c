/*
 * socket.c: the Socket engine component. It wraps a forward (socket-forward.c):
 * in a long-running berth (threaded engine) it may own the forward and
 * run ssh, in a one-shot command it only observes. It follows the VM's
 * forwarded SSH port through the last published snapshot, keeps the
 * Docker context (socket-context.c) pointing at the host socket, activates it
 * once when docker.activate is set, and hands the forward to a detached
 * supervisor when docker.persist is set.
 */

#include "config.h"

#include <sys/wait.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "socket/socket.h"

struct socket_state {
	struct engine *engine;
	struct forward *forward;
	char *profile;
	char *context;
	int activate;
	int persist;
	int may_own;
	int context_written; /* written once the socket answered */
	int activated;
	char *context_error;
	pid_t starter; /* `berth socket start` spawned for docker.persist */
	int handed_off;
	uint64_t handed_off_ms; /* when this berth last started one */
	int context_is_current;
	int vm_was_running;
};

static void *
socket_create(struct engine *e, const struct profile *p)
{
	struct socket_state *s = xcalloc(1, sizeof *s);

	s->engine = e;
	s->profile = xstrdup(p->name);
	/* No usable docker.context: berth leaves contexts alone. */
	if (p->docker.context != NULL && *p->docker.context != '\0' &&
	    strchr(p->docker.context, '/') == NULL)
		s->context = xstrdup(p->docker.context);
	s->activate = p->docker.activate;
	/*
	 * The forward lives with the VM, not with this berth: a dashboard
	 * hands it to a detached supervisor (docker.persist is always on),
	 * so quitting never takes the socket down.
	 */
	s->persist = p->docker.forward == PROFILE_FORWARD_SSH;
	s->may_own = 0;
	s->forward = forward_new(p, s->may_own);
	return s;
}

static void
socket_destroy(void *arg)
{
	struct socket_state *s = arg;

	forward_free(s->forward);
	if (s->starter > 0)
		waitpid(s->starter, NULL, 0);
	free(s->profile);
	free(s->context);
	free(s->context_error);
	free(s);
}

static int
socket_prepare(void *arg, struct pollfd *pfd, int max, int *timeout)
{
	struct socket_state *s = arg;

	return forward_prepare(s->forward, pfd, max, timeout);
}

static void
socket_dispatch(void *arg, const struct pollfd *pfd, int n)
{
	struct socket_state *s = arg;
	char *msg;
	int level;

	forward_dispatch(s->forward, pfd, n);
	while ((msg = forward_take_message(s->forward, &level)) != NULL) {
		engine_message(s->engine, level, "%s", msg);
		free(msg);
	}
}

/* Write the context (and activate it once) when the socket answers. */
static void
socket_context(struct socket_state *s, const struct model_socket *ms)
{
	char *cause = NULL, *dir, *cur = NULL;

	if (s->context == NULL)
		return;
	if (ms->healthy && !s->context_written &&
	    (forward_is_owner(s->forward) || s->handed_off)) {
		if (context_write(s->context, ms->path, s->profile, &cause) !=
		    0) {
			engine_message(s->engine, 1, "%s", cause);
			free(s->context_error);
			s->context_error = cause;
			cause = NULL;
		} else if (s->activate && !s->activated) {
			dir = supervisor_state_dir(s->profile, &cause);
			if (dir != NULL &&
			    context_activate(s->context, dir, &cause) == 0)
				engine_message(
				    s->engine, 0,
				    "Docker context %s is now current",
				    s->context);
			else
				engine_message(s->engine, 1, "%s", cause);
			free(dir);
			free(cause);
			cause = NULL;
			s->activated = 1;
		}
		s->context_written = 1;
	}
	if (context_current(&cur, NULL) == 0)
		s->context_is_current =
		    cur != NULL && strcmp(cur, s->context) == 0;
	free(cur);
}

/* docker.persist: start a detached supervisor once, then observe it. */
static void
socket_hand_off(struct socket_state *s, const char *target)
{
	char *cause = NULL;
	pid_t pid;

	if (s->starter > 0 && waitpid(s->starter, NULL, WNOHANG) == s->starter)
		s->starter = 0;
	if (!engine_threaded(s->engine) || s->starter > 0)
		return;
	if (supervisor_owner_pid(s->profile, NULL) > 0) {
		s->handed_off = 1;
		return;
	}
	/* None runs (never started, or it died): start one, not often. */
	if (s->handed_off && util_mono_ms() - s->handed_off_ms < 10000)
		return;
	s->handed_off = 1;
	s->handed_off_ms = util_mono_ms();
	pid = supervisor_spawn(s->profile, target, &cause);
	if (pid < 0) {
		engine_message(s->engine, 2, "%s", cause);
		free(cause);
		return;
	}
	s->starter = pid;
	engine_message(s->engine, 0,
	               "socket forward handed to a supervisor: it runs "
	               "while the VM does");
}

static void
socket_tick(void *arg)
{
	struct socket_state *s = arg;
	struct model *m = engine_snapshot(s->engine);
	struct model_socket ms;
	const char *target = NULL;
	char *cause = NULL;
	int running = m->vm.state == MODEL_VM_RUNNING;

	if (running)
		target = m->vm.ssh;
	forward_set_target(s->forward, target);
	/*
	 * A forward that follows the VM stops with it: ours through the
	 * target going away, a docker.persist supervisor explicitly.
	 */
	if (forward_from_vm(s->forward) && s->vm_was_running && !running &&
	    m->vm.state != MODEL_VM_UNKNOWN && s->persist) {
		if (supervisor_stop(s->profile, &cause) != 0) {
			engine_message(s->engine, 1, "%s", cause);
			free(cause);
		} else
			engine_message(s->engine, 0,
			               "the VM stopped; so did its socket "
			               "forward");
		s->handed_off = 0;
	}
	s->vm_was_running = running;
	if (s->persist && (!forward_from_vm(s->forward) || target != NULL))
		socket_hand_off(s, target);
	forward_tick(s->forward);
	socket_dispatch(s, NULL, 0);
	memset(&ms, 0, sizeof ms);
	forward_fill(s->forward, &ms);
	socket_context(s, &ms);
	model_socket_clear(&ms);
	model_unref(m);
	engine_changed(s->engine);
}

static int
socket_command(void *arg, const struct engine_cmd *cmd)
{
	struct socket_state *s = arg;
	char *cause = NULL, *note = NULL, *dir, *cur = NULL;
	int supervisor = 0;
	pid_t owner;

	switch (cmd->type) {
	case ENGINE_CMD_SOCKET_RESTART:
		if (forward_is_owner(s->forward)) {
			forward_restart(s->forward);
			engine_message(s->engine, 0,
			               "restarting the socket "
			               "forward");
		} else if ((owner = supervisor_owner_pid(s->profile,
		                                         &supervisor)) > 0 &&
		           supervisor && kill(owner, SIGUSR1) == 0)
			engine_message(s->engine, 0,
			               "restarting the socket forward "
			               "(supervisor pid %ld)",
			               (long)owner);
		else
			engine_message(s->engine, 1,
			               "no supervisor runs the forward to "
			               "restart");
		engine_changed(s->engine);
		return 1;
	case ENGINE_CMD_CONTEXT_TOGGLE:
		if (s->context == NULL) {
			engine_message(s->engine, 1,
			               "docker.context is not a context name");
			return 1;
		}
		if ((dir = supervisor_state_dir(s->profile, &cause)) == NULL) {
			engine_message(s->engine, 2, "%s", cause);
			free(cause);
			return 1;
		}
		context_current(&cur, NULL);
		if (cur != NULL && strcmp(cur, s->context) == 0) {
			if (context_deactivate(s->context, dir, &note,
			                       &cause) != 0)
				engine_message(s->engine, 2, "%s", cause);
			else
				engine_message(s->engine, 0,
				               "Docker context %s deactivated",
				               s->context);
		} else if (context_write(s->context, forward_path(s->forward),
		                         s->profile, &cause) != 0 ||
		           context_activate(s->context, dir, &cause) != 0)
			engine_message(s->engine, 2, "%s", cause);
		else
			engine_message(s->engine, 0,
			               "Docker context %s is now current",
			               s->context);
		free(cur);
		free(note);
		free(cause);
		free(dir);
		cur = NULL;
		if (context_current(&cur, NULL) == 0)
			s->context_is_current =
			    cur != NULL && strcmp(cur, s->context) == 0;
		free(cur);
		engine_changed(s->engine);
		return 1;
	default:
		return 0;
	}
}

static void
socket_fill(void *arg, struct model *m)
{
	struct socket_state *s = arg;

	forward_fill(s->forward, &m->socket);
	free(m->socket.context);
	m->socket.context = s->context != NULL ? xstrdup(s->context) : NULL;
	m->socket.context_current = s->context_is_current;
	if (s->persist)
		m->socket.persist = 1;
}

static int
socket_pending(void *arg)
{
	struct socket_state *s = arg;

	return forward_pending(s->forward);
}

const struct engine_component socket_component = {
    .name = "socket",
    .create = socket_create,
    .destroy = socket_destroy,
    .prepare = socket_prepare,
    .dispatch = socket_dispatch,
    .tick = socket_tick,
    .command = socket_command,
    .fill = socket_fill,
    .pending = socket_pending,
};
