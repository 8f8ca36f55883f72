/*
 * vm-component.c: the VM in the engine. It owns a struct vm for the
 * engine's profile, runs its events, refreshes and operations from the
 * engine's loop, turns the UI's commands into VM actions, and drives the
 * create job (through the vm_jobs hooks) when a VM comes from an image.
 */

#include "config.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "vm/vm.h"

/* The create job's calls; NULL until the engine hands them over. */
static const struct vm_jobs *vm_comp_jobs;

struct vm_comp {
	struct engine *engine;
	struct vm *vm;
	struct model_profile_state *profiles; /* ENGINE_CMD_LIST_PROFILES */
	size_t nprofiles;
	struct create_job *job; /* creating or first start from an image */
	char *job_text;         /* its latest stage line */
};

/* Every profile's VM state, for the profile picker. */
static void
vm_comp_list_profiles(struct vm_comp *c)
{
	struct profile **profs;
	enum model_vm_state *states;
	char **names, *cause;
	size_t n = 0, i;

	for (i = 0; i < c->nprofiles; i++)
		free(c->profiles[i].name);
	free(c->profiles);
	names = profile_list_names(&n);
	profs = xcalloc(n + 1, sizeof *profs);
	states = xcalloc(n + 1, sizeof *states);
	for (i = 0; i < n; i++) {
		cause = NULL;
		profs[i] = profile_open(names[i], &cause);
		free(cause);
	}
	vm_profile_states(profs, n, states);
	c->profiles = xcalloc(n + 1, sizeof *c->profiles);
	for (i = 0; i < n; i++) {
		c->profiles[i].name = names[i];
		c->profiles[i].state = states[i];
		profile_free(profs[i]);
	}
	c->nprofiles = n;
	free(names);
	free(profs);
	free(states);
}

/* The create job's calls, from the engine (which sees image/ and vm/). */
void
vm_component_set_jobs(const struct vm_jobs *jobs)
{
	vm_comp_jobs = jobs;
}

static void
vm_comp_notify(void *arg, int level, const char *text)
{
	struct vm_comp *c = arg;

	engine_message(c->engine, level, "%s", text);
}

static void *
vm_comp_create(struct engine *e, const struct profile *p)
{
	struct vm_comp *c = xcalloc(1, sizeof *c);
	char *cause = NULL;

	c->engine = e;
	c->vm = vm_new(p);
	vm_set_notify(c->vm, vm_comp_notify, c);
	/* No profile lock here: each action takes it while it runs. */
	if (vm_connect(c->vm, &cause) != 0) {
		engine_message(e, 2, "%s; retrying in %ds", cause,
		               c->vm->backoff_s);
		free(cause);
	}
	return c;
}

static void
vm_comp_destroy(void *arg)
{
	struct vm_comp *c = arg;

	size_t i;

	if (c->job != NULL) /* a running job finishes by itself */
		vm_comp_jobs->release(c->job);
	free(c->job_text);
	vm_free(c->vm);
	for (i = 0; i < c->nprofiles; i++)
		free(c->profiles[i].name);
	free(c->profiles);
	free(c);
}

static int
vm_comp_prepare(void *arg, struct pollfd *pfd, int max, int *timeout)
{
	struct vm_comp *c = arg;
	int fd = vm_event_fd(c->vm), in = vm_reconnect_in(c->vm);

	if (in > 1000)
		in = in % 1000 + 1; /* wake for the countdown */
	if (in >= 0 && in < *timeout)
		*timeout = in;
	int n = 0;

	if (c->vm->op != VM_OP_NONE && *timeout > 250)
		*timeout = 250;
	/* a job's stage counts seconds: look at it twice a second */
	if (c->job != NULL && *timeout > 500)
		*timeout = 500;
	if (fd != -1 && n < max) {
		pfd[n].fd = fd;
		pfd[n].events = POLLIN;
		pfd[n++].revents = 0;
	}
	if (c->job != NULL && n < max) {
		pfd[n].fd = vm_comp_jobs->fd(c->job);
		pfd[n].events = POLLIN;
		pfd[n++].revents = 0;
	}
	return n;
}

/* Take what the create job reported; at its end, say how it went. */
static void
vm_comp_job_poll(struct vm_comp *c)
{
	char *text, *result;
	int failed = 0, done;

	done = vm_comp_jobs->read(c->job, &text, &result, &failed);
	/* publish only a changed line (the seconds tick while it runs) */
	if (text != NULL && !util_streq(text, c->job_text)) {
		free(c->job_text);
		c->job_text = text;
		engine_changed(c->engine);
	} else
		free(text);
	if (!done)
		return;
	engine_message(c->engine, failed ? 2 : 0, "%s", result);
	free(result);
	free(c->job_text);
	c->job_text = NULL;
	vm_comp_jobs->release(c->job);
	c->job = NULL;
	vm_refresh(c->vm, 0, NULL);
	engine_changed(c->engine);
}

/*
 * Start a create job when the VM comes from an image and is not created
 * yet (create, and start with start set) or was created and never brought
 * up (start): the stages run on the job's thread. Returns 1 if it took the
 * command.
 */
static int
vm_comp_job_begin(struct vm_comp *c, int start)
{
	const struct profile *p = c->vm->profile;
	enum model_vm_state st = c->vm->m.state;
	char *cause = NULL;
	int fresh = st == MODEL_VM_NOT_CREATED;

	if (vm_comp_jobs == NULL || c->vm->is_test || !vm_connected(c->vm) ||
	    vm_comp_jobs->source(p) == NULL)
		return 0;
	if (!fresh &&
	    !(start && (st == MODEL_VM_SHUTOFF || st == MODEL_VM_RUNNING) &&
	      vm_comp_jobs->first_boot_pending(p)))
		return 0;
	if (c->job != NULL) {
		engine_message(c->engine, 1, "%s",
		               c->job_text != NULL ? c->job_text
		                                   : "already creating");
		return 1;
	}
	if (vm_lock_wait(c->vm, fresh ? "create" : "start", 0, &cause) != 0) {
		engine_message(c->engine, 2, "%s", cause);
		free(cause);
		return 1;
	}
	/* the job holds the lock (a dup) until it ends */
	c->job =
	    vm_comp_jobs->start(p, vm_lock_dup(c->vm), fresh, start, &cause);
	vm_unlock(c->vm);
	if (c->job == NULL) {
		engine_message(c->engine, 2, "%s", cause);
		free(cause);
		return 1;
	}
	c->job_text = xstrdup(fresh ? "creating…" : "starting…");
	engine_changed(c->engine);
	return 1;
}

/*
 * An action ended (or was refused): give the profile's lock back unless
 * an operation still runs on it, so other berths may act.
 */
static void
vm_comp_release(struct vm_comp *c)
{
	if (c->vm->op == VM_OP_NONE)
		vm_unlock(c->vm);
}

static void
vm_comp_op_poll(struct vm_comp *c)
{
	char *cause = NULL, *before;
	enum vm_op op = c->vm->op;
	int r;

	if (op == VM_OP_NONE)
		return;
	before =
	    c->vm->m.operation != NULL ? xstrdup(c->vm->m.operation) : NULL;
	r = vm_op_poll(c->vm, &cause);
	vm_comp_release(c);
	if (r < 0) {
		engine_message(c->engine, 2, "%s", cause);
		free(cause);
	} else if (r == 1)
		engine_message(c->engine, 0, "%s: %s", c->vm->domain,
		               model_vm_state_name(c->vm->m.state));
	/* publish only what changed: the loop must not spin meanwhile */
	if (r != 0 || !util_streq(before, c->vm->m.operation))
		engine_changed(c->engine);
	free(before);
}

static void
vm_comp_dispatch(void *arg, const struct pollfd *pfd, int n)
{
	struct vm_comp *c = arg;
	int in, i, events = 0;

	for (i = 0; i < n; i++) {
		if (!(pfd[i].revents & (POLLIN | POLLHUP)))
			continue;
		if (c->job == NULL || pfd[i].fd != vm_comp_jobs->fd(c->job))
			events = 1;
	}
	/* every pass, not only when it wrote: its seconds count on */
	if (c->job != NULL)
		vm_comp_job_poll(c);
	if (events) {
		if (vm_poll_events(c->vm)) {
			if (vm_connected(c->vm))
				vm_refresh(c->vm, 0, NULL);
			engine_changed(c->engine);
		}
	}
	if (vm_reconnect_due(c->vm, util_mono_ms())) {
		vm_refresh(c->vm, 1, NULL);
		engine_changed(c->engine);
	} else if ((in = vm_reconnect_in(c->vm)) >= 0 &&
	           (in + 999) / 1000 != c->vm->m.retry_in_s) {
		/* the "retrying in Ns" countdown, once a second */
		c->vm->m.retry_in_s = (in + 999) / 1000;
		engine_changed(c->engine);
	}
	vm_comp_op_poll(c);
}

static void
vm_comp_tick(void *arg)
{
	struct vm_comp *c = arg;

	if (vm_connected(c->vm))
		vm_refresh(c->vm, 1, NULL);
	engine_changed(c->engine);
}

static int
vm_comp_command(void *arg, const struct engine_cmd *cmd)
{
	static const struct {
		enum engine_cmd_type type;
		enum vm_op op;
	} ops[] = {
	    {ENGINE_CMD_VM_START, VM_OP_START},
	    {ENGINE_CMD_VM_SHUTDOWN, VM_OP_SHUTDOWN},
	    {ENGINE_CMD_VM_DESTROY, VM_OP_DESTROY},
	    {ENGINE_CMD_VM_REBOOT, VM_OP_REBOOT},
	    {ENGINE_CMD_VM_SUSPEND, VM_OP_SUSPEND},
	    {ENGINE_CMD_VM_RESUME, VM_OP_RESUME},
	};
	struct vm_comp *c = arg;
	enum vm_set_result res;
	char *cause = NULL;
	size_t i;
	int r;

	if (cmd->type == ENGINE_CMD_LIST_PROFILES) {
		vm_comp_list_profiles(c);
		engine_changed(c->engine);
		return 1;
	}
	if (cmd->type == ENGINE_CMD_VM_SET ||
	    cmd->type == ENGINE_CMD_VM_CREATE) {
		if (c->job != NULL) {
			engine_message(c->engine, 1, "%s: wait for it to end",
			               c->job_text);
			return 1;
		}
		/* c does what berth start does on a new VM: create it
		 * and bring it up to a forwarded Docker socket. */
		if (cmd->type == ENGINE_CMD_VM_CREATE &&
		    vm_comp_job_begin(c, 1))
			return 1;
		if (cmd->type == ENGINE_CMD_VM_CREATE)
			r = vm_lock_wait(c->vm, "create", 0, &cause) == 0
			        ? vm_define(c->vm, &cause)
			        : -1;
		else if (cmd->arg == NULL || cmd->arg2 == NULL) {
			r = -1;
			cause =
			    xstrdup("resource change needs a key and value");
		} else
			r = vm_set(c->vm, cmd->arg, cmd->arg2, &res, &cause);
		if (r != 0)
			engine_message(c->engine, 2, "%s", cause);
		else if (cmd->type == ENGINE_CMD_VM_SET)
			engine_message(
			    c->engine, 0, "%s %s: %s", cmd->arg, cmd->arg2,
			    res == VM_SET_RESTART ? "applies on restart"
			    : res == VM_SET_SAME  ? "unchanged"
			                          : "applied");
		free(cause);
		vm_comp_release(c);
		vm_refresh(c->vm, 0, NULL);
		engine_changed(c->engine);
		return 1;
	}
	for (i = 0; i < nitems(ops); i++) {
		if (ops[i].type != cmd->type)
			continue;
		if (c->job != NULL) {
			engine_message(c->engine, 1, "%s: wait for it to end",
			               c->job_text);
			return 1;
		}
		/* R on a VM that is off is a start: the first one a job's */
		if ((ops[i].op == VM_OP_START ||
		     (ops[i].op == VM_OP_REBOOT &&
		      !vm_is_live(c->vm->m.state))) &&
		    vm_comp_job_begin(c, 1))
			return 1;
		r = vm_op_begin(c->vm, ops[i].op, &cause);
		vm_comp_release(c);
		if (r < 0) {
			engine_message(c->engine, 2, "%s", cause);
			free(cause);
		} else if (r == 1)
			engine_message(c->engine, 0, "%s is already %s",
			               c->vm->domain,
			               model_vm_state_name(c->vm->m.state));
		engine_changed(c->engine);
		return 1;
	}
	return 0;
}

static void
vm_comp_fill(void *arg, struct model *m)
{
	struct vm_comp *c = arg;

	size_t i;

	vm_fill(c->vm, &m->vm);
	if (c->vm->op != VM_OP_NONE)
		m->busy = 1;
	if (c->job != NULL) {
		free(m->vm.operation);
		m->vm.operation = xstrdup(c->job_text);
		m->busy = 1;
	}
	if (c->nprofiles > 0) {
		m->profiles = xcalloc(c->nprofiles, sizeof *m->profiles);
		for (i = 0; i < c->nprofiles; i++) {
			m->profiles[i].name = xstrdup(c->profiles[i].name);
			m->profiles[i].state = c->profiles[i].state;
		}
		m->nprofiles = c->nprofiles;
	}
}

static int
vm_comp_pending(void *arg)
{
	struct vm_comp *c = arg;

	return c->vm->op != VM_OP_NONE;
}

const struct engine_component vm_component = {
    .name = "vm",
    .create = vm_comp_create,
    .destroy = vm_comp_destroy,
    .prepare = vm_comp_prepare,
    .dispatch = vm_comp_dispatch,
    .tick = vm_comp_tick,
    .command = vm_comp_command,
    .fill = vm_comp_fill,
    .pending = vm_comp_pending,
};
