/*
 * test_engine.c: the debug checks of --enable-debug (util.h's BERTH_ASSERT
 * family) stop the program where doc/ARCHITECTURE.md's threading rules
 * are broken: a component call off the engine's thread, a published
 * snapshot written, a lock not held. Each broken rule runs in a forked
 * child that must die of SIGABRT; the same calls done right must not.
 * Without BERTH_DEBUG the checks are compiled out and the file skips.
 */

#include "config.h"

#include <sys/wait.h>

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/core.h"

#ifdef BERTH_DEBUG
/* How fn(arg) ends in a child: 0 returned, else the signal that ended it. */
static int
in_child(void (*fn)(void *), void *arg)
{
	pid_t pid;
	int st;

	fflush(NULL);
	if ((pid = fork()) == 0) {
		/* the assertion's own message is not the test's output */
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(3);
		fn(arg);
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (WIFSIGNALED(st))
		return WTERMSIG(st);
	return WEXITSTATUS(st) == 0 ? 0 : -1;
}

static struct engine *
new_engine(void)
{
	return engine_create(profile_defaults("te"), 0);
}

static void *
changed_thread(void *arg)
{
	engine_changed(arg);
	return NULL;
}

/* engine_changed from a thread that does not own the engine. */
static void
changed_elsewhere(void *arg)
{
	struct engine *e = new_engine();
	pthread_t t;

	(void)arg;
	pthread_create(&t, NULL, changed_thread, e);
	pthread_join(t, NULL);
	engine_free(e);
}

static void
changed_here(void *arg)
{
	struct engine *e = new_engine();

	(void)arg;
	engine_changed(e);
	engine_message(e, 0, "on the owner's thread");
	engine_free(e);
}

static void
test_engine_thread(void **state)
{
	assert_int_equal(in_child(changed_here, NULL), 0);
	assert_int_equal(in_child(changed_elsewhere, NULL), SIGABRT);
}

/* A reader writes into the snapshot it was given, then takes another ref. */
static void
snapshot_written(void *arg)
{
	struct engine *e = new_engine();
	struct model *m = engine_snapshot(e);

	m->vm.state = *(int *)arg ? MODEL_VM_RUNNING : m->vm.state;
	model_unref(engine_snapshot(e));
	model_unref(m);
	engine_free(e);
}

static void
test_snapshot_sealed(void **state)
{
	int write = 0;

	assert_int_equal(in_child(snapshot_written, &write), 0);
	write = 1;
	assert_int_equal(in_child(snapshot_written, &write), SIGABRT);
}

static void
lock_held(void *arg)
{
	pthread_mutex_t mx = PTHREAD_MUTEX_INITIALIZER;

	if (*(int *)arg)
		pthread_mutex_lock(&mx);
	BERTH_ASSERT_LOCKED(&mx);
}

static void
test_assert_locked(void **state)
{
	int locked = 1;

	assert_int_equal(in_child(lock_held, &locked), 0);
	locked = 0;
	assert_int_equal(in_child(lock_held, &locked), SIGABRT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_engine_thread),
	    cmocka_unit_test(test_snapshot_sealed),
	    cmocka_unit_test(test_assert_locked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
#else
int
main(void)
{
	printf("1..0 # SKIP the checks need configure --enable-debug\n");
	return 0;
}
#endif
