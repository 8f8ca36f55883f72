/*
 * vm-lifecycle.c: lifecycle operations on the domain (start, shut down,
 * destroy, reboot, suspend, resume). An operation begins with one libvirt
 * call and is polled until the domain reaches the state it wants or a
 * deadline passes, so the engine never blocks on a slow guest; the CLI
 * runs the same steps to the end (vm_op_run).
 */

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "vm/vm.h"

#define VM_START_TIMEOUT_MS 120000
#define VM_DEFAULT_SHUTDOWN 60000

/* --- lifecycle -------------------------------------------------------- */

const char *
vm_op_name(enum vm_op op)
{
	static const char *names[] = {
	    [VM_OP_NONE] = "idle",         [VM_OP_START] = "starting",
	    [VM_OP_SHUTDOWN] = "stopping", [VM_OP_DESTROY] = "forcing off",
	    [VM_OP_REBOOT] = "restarting", [VM_OP_SUSPEND] = "pausing",
	    [VM_OP_RESUME] = "resuming",
	};

	return names[op];
}

static uint64_t
vm_shutdown_timeout(const struct vm *vm)
{
	uint64_t t = vm->profile->vm.shutdown_timeout_ms;

	return t > 0 ? t : VM_DEFAULT_SHUTDOWN;
}

static void
vm_set_operation(struct vm *vm, const char *text)
{
	free(vm->m.operation);
	vm->m.operation = text != NULL ? xstrdup(text) : NULL;
}

/*
 * QEMU refuses to start when a shared folder does not exist ("cannot
 * initialize fsdev"): on a local hypervisor, make the profile's missing
 * share folders first (the shipped profile shares ~/src, which a new user
 * may not have). A remote host's folders are its own business.
 */
static void
vm_make_share_dirs(struct vm *vm)
{
	const struct profile *p = vm->profile;
	struct stat sb;
	char *cause = NULL;
	size_t i;

	if (vm->is_test || strncmp(vm->uri, "qemu:///", 8) != 0)
		return;
	for (i = 0; i < p->nmounts; i++) {
		const char *h = p->mounts[i].host;

		if (h == NULL || *h != '/' || stat(h, &sb) == 0 ||
		    errno != ENOENT)
			continue;
		if (util_mkdir_p(h, 0755, &cause) != 0) {
			free(cause); /* libvirt's own error says the rest */
			cause = NULL;
		}
	}
}

/* Boot the defined domain (0, or -1 with libvirt's error). */
static int
vm_begin_start(struct vm *vm)
{
	int r;

	vm_make_share_dirs(vm);
	vm->op_deadline = util_mono_ms() + VM_START_TIMEOUT_MS;
	r = virDomainCreate(vm->dom);
	vm->started_ms = util_now_ms();
	return r;
}

/* Ask the guest to shut down (0, or -1 with libvirt's error). */
static int
vm_begin_shutdown(struct vm *vm)
{
	int r = -1;

	vm->op_deadline = util_mono_ms() + vm_shutdown_timeout(vm);
	/* The agent works in guests without acpid; ACPI otherwise. */
	if (!vm->is_test && vm->m.agent)
		r = virDomainShutdownFlags(vm->dom,
		                           VIR_DOMAIN_SHUTDOWN_GUEST_AGENT);
	if (r != 0 && !vm->is_test)
		r = virDomainShutdownFlags(
		    vm->dom, VIR_DOMAIN_SHUTDOWN_GUEST_AGENT |
		                 VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN);
	if (r != 0)
		r = virDomainShutdown(vm->dom);
	return r;
}

/*
 * Start an operation: issue the libvirt call. Returns 1 when it is already
 * complete, 0 when vm_op_poll must follow it, -1 with *cause on error.
 * The caller holds the profile lock.
 *
 * VM_OP_REBOOT is a power cycle (shut down, then start the domain's
 * definition again), not a guest reboot: a reboot keeps the running
 * definition, so changes that apply on restart would stay pending. The
 * CLI's restart and the dashboard's R both run it.
 */
int
vm_op_begin(struct vm *vm, enum vm_op op, char **cause)
{
	enum model_vm_state st;
	int r = 0;

	if (vm->lock_fd == -1 &&
	    vm_lock_wait(vm, vm_op_name(op), 0, cause) != 0)
		return -1;
	if (vm->conn == NULL) {
		util_set_cause(cause, "%s",
		               vm->m.conn_error != NULL
		                   ? vm->m.conn_error
		                   : "libvirt: not connected");
		return -1;
	}
	if (vm->op != VM_OP_NONE) {
		util_set_cause(cause, "%s is busy (%s)", vm->domain,
		               vm_op_name(vm->op));
		return -1;
	}
	if (op == VM_OP_START && vm_lookup(vm) != 0 &&
	    vm_define(vm, cause) != 0)
		return -1;
	if (vm_lookup(vm) != 0) {
		util_set_cause(cause, "domain %s does not exist on %s",
		               vm->domain, vm->uri);
		return -1;
	}
	if (vm_state_now(vm, &st) != 0) {
		util_set_cause(cause, "libvirt: %s", vm_last_error());
		return -1;
	}
	vm->m.state = st;
	switch (op) {
	case VM_OP_START:
		if (vm_is_live(st)) {
			if (st == MODEL_VM_PAUSED)
				util_set_cause(
				    cause, "%s is paused; use `berth resume`",
				    vm->domain);
			return st == MODEL_VM_PAUSED ? -1 : 1;
		}
		r = vm_begin_start(vm);
		break;
	case VM_OP_SHUTDOWN:
		if (!vm_is_live(st))
			return 1;
		r = vm_begin_shutdown(vm);
		break;
	case VM_OP_DESTROY:
		if (!vm_is_live(st))
			return 1;
		vm->op_deadline = util_mono_ms() + 30000;
		r = virDomainDestroy(vm->dom);
		break;
	case VM_OP_REBOOT:
		if (st == MODEL_VM_PAUSED) {
			util_set_cause(cause,
			               "%s is paused; use `berth resume` first",
			               vm->domain);
			return -1;
		}
		/* a domain already off only needs the start half */
		vm->op_starting = !vm_is_live(st);
		r = vm->op_starting ? vm_begin_start(vm)
		                    : vm_begin_shutdown(vm);
		break;
	case VM_OP_SUSPEND:
		if (st == MODEL_VM_PAUSED)
			return 1;
		if (!vm_is_live(st)) {
			util_set_cause(cause, "%s is not running", vm->domain);
			return -1;
		}
		vm->op_deadline = util_mono_ms() + 30000;
		r = virDomainSuspend(vm->dom);
		break;
	case VM_OP_RESUME:
		if (st != MODEL_VM_PAUSED) {
			if (vm_is_live(st))
				return 1;
			util_set_cause(cause, "%s is not paused", vm->domain);
			return -1;
		}
		vm->op_deadline = util_mono_ms() + 30000;
		r = virDomainResume(vm->dom);
		break;
	case VM_OP_NONE:
		return 1;
	}
	if (r != 0) {
		util_set_cause(cause, "libvirt: %s %s: %s", vm_op_name(op),
		               vm->domain, vm_last_error());
		return -1;
	}
	vm->info_dirty = 1;
	vm->op = op;
	vm->op_started = vm->op_retry = util_mono_ms();
	vm_set_operation(vm, vm_op_name(op));
	return 0;
}

/*
 * Check the running operation against libvirt's state: 1 done, 0 still
 * going, -1 failed or timed out (*cause says what to do next).
 */
int
vm_op_poll(struct vm *vm, char **cause)
{
	enum model_vm_state st;
	enum vm_op op = vm->op;
	int done = 0;
	char *text;

	if (op == VM_OP_NONE)
		return 1;
	if (vm->conn == NULL) {
		vm->op = VM_OP_NONE;
		vm_set_operation(vm, NULL);
		util_set_cause(cause, "%s: lost the libvirt connection",
		               vm->domain);
		return -1;
	}
	if (vm_state_now(vm, &st) != 0) {
		vm->op = VM_OP_NONE;
		vm_set_operation(vm, NULL);
		util_set_cause(cause, "libvirt: %s", vm_last_error());
		return -1;
	}
	vm->m.state = st;
	switch (op) {
	case VM_OP_START:
	case VM_OP_RESUME:
		done = st == MODEL_VM_RUNNING || st == MODEL_VM_BLOCKED;
		break;
	case VM_OP_SHUTDOWN:
	case VM_OP_DESTROY:
		done = !vm_is_live(st);
		break;
	case VM_OP_REBOOT:
		if (vm->op_starting) {
			done = st == MODEL_VM_RUNNING || st == MODEL_VM_BLOCKED;
			break;
		}
		if (vm_is_live(st))
			break;
		/* off: boot the definition, with what was pending */
		vm->op_starting = 1;
		if (vm_begin_start(vm) != 0) {
			vm->op = VM_OP_NONE;
			vm_set_operation(vm, NULL);
			util_set_cause(cause, "libvirt: starting %s again: %s",
			               vm->domain, vm_last_error());
			return -1;
		}
		vm->info_dirty = 1;
		break;
	case VM_OP_SUSPEND:
		done = st == MODEL_VM_PAUSED;
		break;
	case VM_OP_NONE:
		done = 1;
		break;
	}
	if (done) {
		vm->op = VM_OP_NONE;
		vm_set_operation(vm, NULL);
		vm->info_dirty = 1;
		return 1;
	}
	if (util_mono_ms() >= vm->op_deadline) {
		vm->op = VM_OP_NONE;
		vm_set_operation(vm, NULL);
		if (op == VM_OP_SHUTDOWN ||
		    (op == VM_OP_REBOOT && !vm->op_starting))
			util_set_cause(
			    cause,
			    "%s did not stop within %llus (the guest "
			    "ignored the shutdown request); use "
			    "`berth stop --force`",
			    vm->domain,
			    (unsigned long long)(vm_shutdown_timeout(vm) /
			                         1000));
		else
			util_set_cause(cause, "%s: %s timed out (state %s)",
			               vm->domain, vm_op_name(op),
			               model_vm_state_name(st));
		return -1;
	}
	/*
	 * A guest still booting when asked to stop ignores ACPI (no acpid)
	 * and has no agent yet: ask its agent again every few seconds.
	 */
	if ((op == VM_OP_SHUTDOWN ||
	     (op == VM_OP_REBOOT && !vm->op_starting)) &&
	    !vm->is_test && util_mono_ms() - vm->op_retry >= 2000) {
		vm->op_retry = util_mono_ms();
		if (virDomainShutdownFlags(
		        vm->dom, VIR_DOMAIN_SHUTDOWN_GUEST_AGENT) != 0)
			virResetLastError();
	}
	text = xasprintf(
	    "%s %s (%llus)", vm_op_name(op), vm->domain,
	    (unsigned long long)((util_mono_ms() - vm->op_started) / 1000));
	vm_set_operation(vm, text);
	free(text);
	return 0;
}

/* Run an operation to its end (CLI), reporting progress. */
int
vm_op_run(struct vm *vm, enum vm_op op, vm_progress_cb progress, void *arg,
          char **cause)
{
	int r = vm_op_begin(vm, op, cause);

	while (r == 0) {
		vm_wait_events(vm, 200);
		vm_poll_events(vm);
		r = vm_op_poll(vm, cause);
		if (r == 0 && progress != NULL && vm->m.operation != NULL)
			progress(arg, vm->m.operation);
	}
	return r < 0 ? -1 : 0;
}
