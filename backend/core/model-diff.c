/*
 * model-diff.c: what changed in the snapshots the engine publishes, as a
 * list of events (berth events). The VM's state, the socket's health and
 * each mount's watch mode are compared with what was last said of them;
 * container events are the
 * daemon's own, numbered by the Docker component, so none is lost between
 * two snapshots however fast a container came and went. The engine stays
 * the one poller: this only reads what it published.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "mounts/mounts.h"

static struct model_event *model_diff_add(struct model_event **, size_t *,
                                          enum model_event_type);

const char *
model_event_type_name(enum model_event_type t)
{
	switch (t) {
	case MODEL_EVENT_VM:
		return "vm";
	case MODEL_EVENT_SOCKET:
		return "socket";
	case MODEL_EVENT_MOUNT:
		return "mount";
	case MODEL_EVENT_CONTAINER:
		break;
	}
	return "container";
}

static struct model_event *
model_diff_add(struct model_event **ev, size_t *n, enum model_event_type t)
{
	struct model_event *e;

	*ev = xreallocarray(*ev, *n + 1, sizeof **ev);
	e = &(*ev)[(*n)++];
	memset(e, 0, sizeof *e);
	e->type = t;
	return e;
}

static char *
model_diff_dup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/*
 * The VM's state in one word, and why; NULL while libvirt is still being
 * reached (no event until it is known either way).
 */
static const char *
model_diff_vm_state(const struct model_vm *vm, const char **detail)
{
	*detail = NULL;
	switch (vm->conn) {
	case MODEL_CONN_UP:
		*detail = vm->reason;
		return model_vm_state_name(vm->state);
	case MODEL_CONN_DOWN:
		*detail = vm->conn_error;
		return "unreachable";
	case MODEL_CONN_NONE:
	case MODEL_CONN_CONNECTING:
		break;
	}
	return NULL;
}

/*
 * Remember what was said of key (*last), and say whether it is news:
 * NULL state (not known yet) is never news.
 */
static int
model_diff_news(char **last, const char *state, char **previous)
{
	if (state == NULL || (*last != NULL && strcmp(*last, state) == 0))
		return 0;
	*previous = *last;
	*last = xstrdup(state);
	return 1;
}

static void
model_diff_vm(struct model_diff *df, const struct model *new,
              struct model_event **ev, size_t *n)
{
	const char *now, *detail;
	char *was = NULL;
	struct model_event *e;

	now = model_diff_vm_state(&new->vm, &detail);
	if (!model_diff_news(&df->vm, now, &was))
		return;
	e = model_diff_add(ev, n, MODEL_EVENT_VM);
	e->name = model_diff_dup(new->vm.domain);
	e->state = xstrdup(now);
	e->previous = was;
	e->detail = model_diff_dup(detail);
}

/*
 * The socket: up when its last /_ping answered, down when it failed;
 * unknown before the first answer either way.
 */
static void
model_diff_socket(struct model_diff *df, const struct model *new,
                  struct model_event **ev, size_t *n)
{
	const struct model_socket *s = &new->socket;
	const char *now = NULL;
	char *was = NULL;
	struct model_event *e;

	if (s->path != NULL && s->healthy)
		now = "up";
	else if (s->path != NULL && s->error != NULL)
		now = "down";
	if (!model_diff_news(&df->socket, now, &was))
		return;
	e = model_diff_add(ev, n, MODEL_EVENT_SOCKET);
	e->name = xstrdup(s->path);
	e->state = xstrdup(now);
	e->previous = was;
	e->detail = s->healthy ? NULL : model_diff_dup(s->error);
}

/* Each mount's watch mode, by host folder. */
static void
model_diff_mounts(struct model_diff *df, const struct model *new,
                  struct model_event **ev, size_t *n)
{
	const struct model_mount *mm;
	struct model_event *e;
	char *was = NULL;
	size_t i, k;

	for (i = 0; i < new->nmounts; i++) {
		mm = &new->mounts[i];
		for (k = 0; k < df->nmounts; k++) {
			if (strcmp(df->mount_hosts[k], mm->host) == 0)
				break;
		}
		if (k == df->nmounts) {
			df->mount_hosts = xreallocarray(
			    df->mount_hosts, k + 1, sizeof *df->mount_hosts);
			df->mount_states = xreallocarray(
			    df->mount_states, k + 1, sizeof *df->mount_states);
			df->mount_hosts[k] = xstrdup(mm->host);
			df->mount_states[k] = NULL;
			df->nmounts++;
		}
		if (!model_diff_news(&df->mount_states[k],
		                     mounts_watch_name(mm->watch), &was))
			continue;
		e = model_diff_add(ev, n, MODEL_EVENT_MOUNT);
		e->name = xstrdup(mm->host);
		e->guest = model_diff_dup(mm->guest);
		e->state = xstrdup(df->mount_states[k]);
		e->previous = was;
		e->detail = model_mount_note_text(&mm->note);
	}
}

/*
 * The container events numbered after *seq, which moves on to the newest.
 * A smaller newest number means the Docker component began again (a
 * profile switch): its events are all new.
 */
static void
model_diff_containers(const struct model *new, uint64_t *seq,
                      struct model_event **ev, size_t *n)
{
	const struct model_docker *d = &new->docker;
	struct model_event *e;
	size_t i;

	if (d->nevents == 0)
		return;
	if (d->events[d->nevents - 1].seq < *seq)
		*seq = 0;
	if (*seq > 0 && d->events[0].seq > *seq + 1) {
		e = model_diff_add(ev, n, MODEL_EVENT_CONTAINER);
		e->action = xstrdup("missed");
		e->detail = xasprintf(
		    "%llu container events came faster than "
		    "they were read",
		    (unsigned long long)(d->events[0].seq - *seq - 1));
	}
	for (i = 0; i < d->nevents; i++) {
		const struct model_ct_event *ce = &d->events[i];

		if (ce->seq <= *seq)
			continue;
		e = model_diff_add(ev, n, MODEL_EVENT_CONTAINER);
		e->name = model_diff_dup(ce->name);
		e->action = xstrdup(ce->action);
		e->id = xstrdup(ce->id);
		e->image = model_diff_dup(ce->image);
		e->exit_code = model_diff_dup(ce->exit_code);
		e->time_ns = ce->time_ns;
	}
	*seq = d->events[d->nevents - 1].seq;
}

/*
 * What snapshot m says that was not said yet (the first snapshot's
 * states are all news), in *out; returns how many. The caller frees
 * them with model_diff_free.
 */
size_t
model_diff_next(struct model_diff *df, const struct model *m,
                struct model_event **out)
{
	size_t n = 0;

	*out = NULL;
	model_diff_vm(df, m, out, &n);
	model_diff_socket(df, m, out, &n);
	model_diff_mounts(df, m, out, &n);
	model_diff_containers(m, &df->ct_seq, out, &n);
	return n;
}

void
model_diff_clear(struct model_diff *df)
{
	size_t i;

	free(df->vm);
	free(df->socket);
	for (i = 0; i < df->nmounts; i++) {
		free(df->mount_hosts[i]);
		free(df->mount_states[i]);
	}
	free(df->mount_hosts);
	free(df->mount_states);
	memset(df, 0, sizeof *df);
}

void
model_diff_free(struct model_event *ev, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(ev[i].name);
		free(ev[i].guest);
		free(ev[i].state);
		free(ev[i].previous);
		free(ev[i].detail);
		free(ev[i].action);
		free(ev[i].id);
		free(ev[i].image);
		free(ev[i].exit_code);
	}
	free(ev);
}
