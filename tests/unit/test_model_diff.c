/*
 * test_model_diff.c: what berth events says of successive snapshots
 * (model-diff.c): the first states, only changes after, nothing while a
 * state is unknown, each container event once, a gap and a restart of
 * the numbering.
 */

#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/core.h"

static struct model *
snap(enum model_conn conn, enum model_vm_state st, int healthy,
     const char *watch_host, enum profile_watch w)
{
	struct model *m = model_new();

	m->vm.conn = conn;
	m->vm.state = st;
	m->vm.domain = xstrdup("dom");
	m->socket.path = xstrdup("/s.sock");
	m->socket.healthy = healthy;
	m->socket.error = healthy ? NULL : xstrdup("refused");
	if (watch_host != NULL) {
		m->mounts = xcalloc(1, sizeof *m->mounts);
		m->mounts[0].host = xstrdup(watch_host);
		m->mounts[0].watch = w;
		m->nmounts = 1;
	}
	return m;
}

/* Add container events seq from..to (action "a<seq>"). */
static void
ct_events(struct model *m, uint64_t from, uint64_t to)
{
	uint64_t s;
	size_t i = 0;

	m->docker.events =
	    xcalloc((size_t)(to - from + 1), sizeof(struct model_ct_event));
	for (s = from; s <= to; s++, i++) {
		m->docker.events[i].seq = s;
		m->docker.events[i].action =
		    xasprintf("a%llu", (unsigned long long)s);
		m->docker.events[i].id = xstrdup("id");
	}
	m->docker.nevents = i;
}

static size_t
next(struct model_diff *df, struct model *m, struct model_event **ev)
{
	size_t n = model_diff_next(df, m, ev);

	model_unref(m);
	return n;
}

static void
test_first_then_changes(void **state)
{
	struct model_diff df = {0};
	struct model_event *ev;
	size_t n;

	(void)state;
	/* libvirt not answered yet: nothing said of the VM */
	n = next(&df,
	         snap(MODEL_CONN_CONNECTING, MODEL_VM_UNKNOWN, 1, "/h",
	              PROFILE_WATCH_OFF),
	         &ev);
	assert_int_equal(n, 2);
	assert_int_equal(ev[0].type, MODEL_EVENT_SOCKET);
	assert_string_equal(ev[0].state, "up");
	assert_null(ev[0].previous);
	assert_int_equal(ev[1].type, MODEL_EVENT_MOUNT);
	assert_string_equal(ev[1].state, "off");
	model_diff_free(ev, n);

	n = next(
	    &df,
	    snap(MODEL_CONN_UP, MODEL_VM_RUNNING, 1, "/h", PROFILE_WATCH_OFF),
	    &ev);
	assert_int_equal(n, 1);
	assert_int_equal(ev[0].type, MODEL_EVENT_VM);
	assert_string_equal(ev[0].name, "dom");
	assert_string_equal(ev[0].state, "running");
	assert_null(ev[0].previous);
	model_diff_free(ev, n);

	/* the same again: nothing */
	n = next(
	    &df,
	    snap(MODEL_CONN_UP, MODEL_VM_RUNNING, 1, "/h", PROFILE_WATCH_OFF),
	    &ev);
	assert_int_equal(n, 0);
	model_diff_free(ev, n);

	n = next(
	    &df,
	    snap(MODEL_CONN_UP, MODEL_VM_SHUTOFF, 0, "/h", PROFILE_WATCH_POLL),
	    &ev);
	assert_int_equal(n, 3);
	assert_string_equal(ev[0].state, "stopped");
	assert_string_equal(ev[0].previous, "running");
	assert_string_equal(ev[1].state, "down");
	assert_string_equal(ev[1].previous, "up");
	assert_string_equal(ev[1].detail, "refused");
	assert_string_equal(ev[2].state, "poll");
	assert_string_equal(ev[2].previous, "off");
	model_diff_free(ev, n);

	n = next(&df,
	         snap(MODEL_CONN_DOWN, MODEL_VM_SHUTOFF, 0, "/h",
	              PROFILE_WATCH_POLL),
	         &ev);
	assert_int_equal(n, 1);
	assert_string_equal(ev[0].state, "unreachable");
	assert_string_equal(ev[0].previous, "stopped");
	model_diff_free(ev, n);
	model_diff_clear(&df);
}

static void
test_containers(void **state)
{
	struct model_diff df = {0};
	struct model_event *ev;
	struct model *m;
	size_t n;

	(void)state;
	m = snap(MODEL_CONN_UP, MODEL_VM_RUNNING, 1, NULL, PROFILE_WATCH_OFF);
	ct_events(m, 1, 3);
	n = next(&df, m, &ev);
	assert_int_equal(n, 5); /* vm, socket, three container events */
	assert_string_equal(ev[2].action, "a1");
	assert_string_equal(ev[4].action, "a3");
	model_diff_free(ev, n);

	/* 2..5 kept: 2 and 3 were said, 4 and 5 are new */
	m = snap(MODEL_CONN_UP, MODEL_VM_RUNNING, 1, NULL, PROFILE_WATCH_OFF);
	ct_events(m, 2, 5);
	n = next(&df, m, &ev);
	assert_int_equal(n, 2);
	assert_string_equal(ev[0].action, "a4");
	assert_string_equal(ev[1].action, "a5");
	model_diff_free(ev, n);

	/* 9..10: 6 to 8 fell out of the ring before they were read */
	m = snap(MODEL_CONN_UP, MODEL_VM_RUNNING, 1, NULL, PROFILE_WATCH_OFF);
	ct_events(m, 9, 10);
	n = next(&df, m, &ev);
	assert_int_equal(n, 3);
	assert_string_equal(ev[0].action, "missed");
	assert_non_null(strstr(ev[0].detail, "3 container events"));
	assert_string_equal(ev[1].action, "a9");
	model_diff_free(ev, n);

	/* the Docker component began again (a profile switch): all new */
	m = snap(MODEL_CONN_UP, MODEL_VM_RUNNING, 1, NULL, PROFILE_WATCH_OFF);
	ct_events(m, 1, 2);
	n = next(&df, m, &ev);
	assert_int_equal(n, 2);
	assert_string_equal(ev[0].action, "a1");
	model_diff_free(ev, n);
	model_diff_clear(&df);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_first_then_changes),
	    cmocka_unit_test(test_containers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
