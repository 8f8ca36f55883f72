/*
 * test_vm.c: the VM backend against libvirt's test:///default driver,
 * in-process (its state is shared by every connection of one process):
 * lifecycle operations end in libvirt's state, a change made on another
 * connection reaches the model through events within a second without a
 * refresh, resources change live or "on restart", and the engine
 * component publishes the VM into snapshots.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libvirt/libvirt.h>

#include "vm/vm.h"

static char home[] = "/tmp/berth-test-vm.XXXXXX";

static struct profile *
test_profile(void)
{
	struct profile *p = profile_defaults("tv");

	free(p->vm.uri);
	p->vm.uri = strdup("test:///default");
	free(p->vm.domain);
	p->vm.domain = strdup("test");
	return p;
}

static struct model_vm
snapshot(struct vm *vm)
{
	struct model_vm m;

	memset(&m, 0, sizeof m);
	vm_fill(vm, &m);
	return m;
}

static void
test_lifecycle(void **state)
{
	struct profile *p = test_profile();
	struct vm *vm = vm_new(p);
	struct model_vm m;
	char *cause = NULL;

	assert_int_equal(vm_connect(vm, &cause), 0);
	assert_int_equal(vm_refresh(vm, 1, &cause), 0);
	m = snapshot(vm);
	assert_int_equal(m.state, MODEL_VM_RUNNING);
	assert_true(m.adopted);
	assert_string_equal(m.accel, "test");
	model_vm_clear(&m);

	assert_int_equal(vm_op_run(vm, VM_OP_SUSPEND, NULL, NULL, &cause), 0);
	assert_int_equal(vm_refresh(vm, 0, NULL), 0);
	m = snapshot(vm);
	assert_int_equal(m.state, MODEL_VM_PAUSED);
	assert_null(m.operation);
	model_vm_clear(&m);

	assert_int_equal(vm_op_run(vm, VM_OP_RESUME, NULL, NULL, &cause), 0);
	assert_int_equal(vm_op_run(vm, VM_OP_SHUTDOWN, NULL, NULL, &cause), 0);
	assert_int_equal(vm_refresh(vm, 0, NULL), 0);
	m = snapshot(vm);
	assert_int_equal(m.state, MODEL_VM_SHUTOFF);
	model_vm_clear(&m);

	/* pausing a stopped VM is refused with a reason */
	assert_int_equal(vm_op_run(vm, VM_OP_SUSPEND, NULL, NULL, &cause), -1);
	assert_non_null(strstr(cause, "not running"));
	free(cause);
	cause = NULL;

	assert_int_equal(vm_op_run(vm, VM_OP_START, NULL, NULL, &cause), 0);
	m = snapshot(vm);
	assert_int_equal(m.state, MODEL_VM_RUNNING);
	model_vm_clear(&m);
	vm_free(vm);
	profile_free(p);
}

/* Another client destroys the domain: the model follows by event. */
static void
test_events_without_polling(void **state)
{
	struct profile *p = test_profile();
	struct vm *vm = vm_new(p);
	virConnectPtr other;
	virDomainPtr d;
	struct model_vm m;
	uint64_t t0;
	int got = 0;

	assert_int_equal(vm_connect(vm, NULL), 0);
	assert_int_equal(vm_refresh(vm, 0, NULL), 0);
	m = snapshot(vm);
	assert_int_equal(m.state, MODEL_VM_RUNNING);
	model_vm_clear(&m);

	other = virConnectOpen("test:///default");
	assert_non_null(other);
	d = virDomainLookupByName(other, "test");
	assert_non_null(d);
	t0 = util_mono_ms();
	assert_int_equal(virDomainDestroy(d), 0);
	while (!got && util_mono_ms() - t0 < 1000) {
		if (vm_wait_events(vm, 100))
			got = vm_poll_events(vm);
	}
	assert_true(got);
	m = snapshot(vm); /* no vm_refresh: the event did it */
	assert_int_equal(m.state, MODEL_VM_SHUTOFF);
	model_vm_clear(&m);

	got = 0;
	t0 = util_mono_ms();
	assert_int_equal(virDomainCreate(d), 0);
	while (!got && util_mono_ms() - t0 < 1000) {
		if (vm_wait_events(vm, 100))
			got = vm_poll_events(vm);
	}
	m = snapshot(vm);
	assert_int_equal(m.state, MODEL_VM_RUNNING);
	model_vm_clear(&m);
	virDomainFree(d);
	virConnectClose(other);
	vm_free(vm);
	profile_free(p);
}

static void
test_resources(void **state)
{
	struct profile *p = test_profile();
	struct vm *vm = vm_new(p);
	enum vm_set_result res;
	struct model_vm m;
	char *cause = NULL;

	assert_int_equal(vm_connect(vm, NULL), 0);
	assert_int_equal(vm_refresh(vm, 0, NULL), 0);
	/* test:///default: 2 vCPUs (max 2), 2 GiB of 8 GiB, 16 host CPUs */
	assert_int_equal(vm_set(vm, "memory", "1GiB", &res, &cause), 0);
	assert_int_equal(res, VM_SET_LIVE);
	m = snapshot(vm);
	assert_true(m.mem_current == 1ULL << 30);
	model_vm_clear(&m);

	assert_int_equal(vm_set(vm, "cpus", "1", &res, &cause), 0);
	assert_int_equal(res, VM_SET_RESTART); /* no live unplug */
	m = snapshot(vm);
	assert_int_equal(m.vcpus, 2);
	assert_int_equal(m.vcpus_pending, 1);
	model_vm_clear(&m);

	assert_int_equal(vm_set(vm, "cpus", "0", &res, &cause), -1);
	assert_non_null(strstr(cause, "not a vCPU count"));
	free(cause);
	cause = NULL;
	assert_int_equal(vm_set(vm, "colour", "blue", &res, &cause), -1);
	assert_non_null(strstr(cause, "unknown resource"));
	free(cause);
	vm_free(vm);
	profile_free(p);
}

/* The engine component publishes the VM and runs commands. */
static void
test_engine_component(void **state)
{
	struct engine *e = engine_create(test_profile(), 0);
	struct model *m;
	uint64_t t0;

	engine_run_once(e, 2000);
	m = engine_snapshot(e);
	assert_int_equal(m->vm.conn, MODEL_CONN_UP);
	assert_string_equal(m->vm.domain, "test");
	assert_int_equal(m->vm.state, MODEL_VM_RUNNING);
	model_unref(m);

	engine_send(e, ENGINE_CMD_VM_DESTROY, NULL, NULL, 0);
	t0 = util_mono_ms();
	do {
		engine_run_pending(e, 200);
		m = engine_snapshot(e);
		if (m->vm.state == MODEL_VM_SHUTOFF)
			break;
		model_unref(m);
		m = NULL;
	} while (util_mono_ms() - t0 < 2000);
	assert_non_null(m);
	assert_int_equal(m->vm.state, MODEL_VM_SHUTOFF);
	model_unref(m);
	engine_free(e);
}

/*
 * Which URIs name another host (issue 15: the remote Mac): berth makes the
 * disk and console log there through libvirt, not in its own folders.
 */
static void
test_uri_is_remote(void **state)
{
	(void)state;
	assert_true(vm_uri_is_remote("qemu+ssh://me@mac.local/session?"
	                             "socket=/Users/me/.cache/libvirt/"
	                             "libvirt-sock&keyfile=/k&no_verify=1"));
	assert_true(vm_uri_is_remote("qemu+ssh://me@127.0.0.1:2222/session"));
	assert_true(vm_uri_is_remote("qemu+libssh2://me@host/system"));
	assert_true(vm_uri_is_remote("qemu+tcp://host/system"));
	assert_true(vm_uri_is_remote("qemu://host/system"));
	/* a transport to a local daemon is still the local daemon */
	assert_false(vm_uri_is_remote("qemu+unix:///session?socket=/s"));
	assert_false(vm_uri_is_remote("qemu:///session"));
	assert_false(vm_uri_is_remote("qemu:///system"));
	assert_false(vm_uri_is_remote("qemu:///session?socket=/tmp/s"));
	assert_false(vm_uri_is_remote("test:///default"));
	assert_false(vm_uri_is_remote("auto"));
}

static int
setup(void **state)
{
	if (mkdtemp(home) == NULL)
		return -1;
	setenv("BERTH_HOME", home, 1);
	return 0;
}

static int
teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", home);
	int r = system(cmd);

	free(cmd);
	return r == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lifecycle),
	    cmocka_unit_test(test_events_without_polling),
	    cmocka_unit_test(test_resources),
	    cmocka_unit_test(test_engine_component),
	    cmocka_unit_test(test_uri_is_remote),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
