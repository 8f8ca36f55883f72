/*
 * model.c: the snapshot the engine publishes. A snapshot is built by the
 * engine thread, then never changed; readers take a reference. Copy and
 * clear helpers give components deep copies of their state.
 */

#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

static char *
dup_or_null(const char *s)
{
	return s == NULL ? NULL : xstrdup(s);
}

void
model_history_push(struct model_history *h, float v)
{
	h->v[h->head] = v;
	h->head = (h->head + 1) % MODEL_HISTORY;
	if (h->n < MODEL_HISTORY)
		h->n++;
}

/* Sample i, 0 = oldest held. */
float
model_history_get(const struct model_history *h, int i)
{
	int start = (h->head - h->n + MODEL_HISTORY) % MODEL_HISTORY;

	return h->v[(start + i) % MODEL_HISTORY];
}

const char *
model_vm_state_name(enum model_vm_state s)
{
	switch (s) {
	case MODEL_VM_NOT_CREATED:
		return "not created";
	case MODEL_VM_RUNNING:
		return "running";
	case MODEL_VM_BLOCKED:
		return "blocked";
	case MODEL_VM_PAUSED:
		return "paused";
	case MODEL_VM_SHUTTING_DOWN:
		return "shutting down";
	case MODEL_VM_SHUTOFF:
		return "stopped";
	case MODEL_VM_CRASHED:
		return "crashed";
	case MODEL_VM_PMSUSPENDED:
		return "suspended";
	case MODEL_VM_UNKNOWN:
		break;
	}
	return "unknown";
}

/*
 * Whether a VM in state s certainly runs no guest (so no Docker daemon
 * in it answers): not created, stopped, crashed, paused, suspended or
 * on its way down. Unknown is not stopped: libvirt may just be away.
 */
int
model_vm_stopped(enum model_vm_state s)
{
	return s != MODEL_VM_UNKNOWN && s != MODEL_VM_RUNNING &&
	       s != MODEL_VM_BLOCKED;
}

struct model *
model_new(void)
{
	struct model *m = xcalloc(1, sizeof *m);

	m->refs = 1;
	return m;
}

#ifdef BERTH_DEBUG
static uint64_t
model_digest_bytes(uint64_t h, const void *p, size_t len)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= b[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/*
 * What a sealed snapshot must keep: struct model itself (the VM, socket
 * and Docker parts are in it by value) but its refcount, and every array
 * it points to, element by element. Strings are not followed.
 */
static uint64_t
model_digest(const struct model *m)
{
	const size_t from = offsetof(struct model, frozen);
	struct model top;
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	/* bytes, padding included, and not refs: other threads change it */
	memcpy((char *)&top + from, (const char *)m + from, sizeof top - from);
	top.seal = 0;
	h = model_digest_bytes(h, (char *)&top + from, sizeof top - from);
	h = model_digest_bytes(h, m->vm.vcpu_pct,
	                       (size_t)m->vm.nvcpu_pct * sizeof(double));
	h = model_digest_bytes(h, m->mounts, m->nmounts * sizeof *m->mounts);
	h = model_digest_bytes(h, m->socket.ports,
	                       (size_t)m->socket.nports *
	                           sizeof *m->socket.ports);
	h = model_digest_bytes(h, m->docker.containers,
	                       m->docker.ncontainers *
	                           sizeof *m->docker.containers);
	for (i = 0; i < m->docker.ncontainers; i++)
		h = model_digest_bytes(h, m->docker.containers[i].ports,
		                       m->docker.containers[i].nports *
		                           sizeof(struct model_port));
	h = model_digest_bytes(h, m->docker.events,
	                       m->docker.nevents * sizeof *m->docker.events);
	h = model_digest_bytes(h, m->docker.logs.lines,
	                       m->docker.logs.nlines *
	                           sizeof *m->docker.logs.lines);
	h = model_digest_bytes(h, m->messages,
	                       m->nmessages * sizeof *m->messages);
	h = model_digest_bytes(h, m->profiles,
	                       m->nprofiles * sizeof *m->profiles);
	return h;
}
#endif

/*
 * The engine publishes m: nobody writes it any more (debug builds note
 * what it holds, to check that at every model_ref and the last unref).
 */
void
model_seal(struct model *m)
{
	BERTH_ASSERT(!m->frozen);
	m->frozen = 1;
#ifdef BERTH_DEBUG
	m->seal = model_digest(m);
#endif
}

/* Debug builds: a sealed snapshot is as it was published. */
static void
model_check(const struct model *m)
{
	BERTH_ASSERT(!m->frozen || model_digest(m) == m->seal);
}

struct model *
model_ref(struct model *m)
{
	int refs = __atomic_add_fetch(&m->refs, 1, __ATOMIC_ACQ_REL);

	BERTH_ASSERT(refs > 1); /* a reference to take one from */
	(void)refs;
	model_check(m);
	return m;
}

void
model_unref(struct model *m)
{
	size_t i;
	int refs;

	if (m == NULL)
		return;
	refs = __atomic_sub_fetch(&m->refs, 1, __ATOMIC_ACQ_REL);
	BERTH_ASSERT(refs >= 0); /* one unref too many */
	if (refs != 0)
		return;
	model_check(m);
	free(m->profile);
	free(m->theme);
	model_vm_clear(&m->vm);
	for (i = 0; i < m->nmounts; i++)
		model_mount_clear(&m->mounts[i]);
	free(m->mounts);
	model_socket_clear(&m->socket);
	model_docker_clear(&m->docker);
	for (i = 0; i < m->nmessages; i++)
		free(m->messages[i].text);
	free(m->messages);
	for (i = 0; i < m->nprofiles; i++)
		free(m->profiles[i].name);
	free(m->profiles);
	free(m);
}

void
model_vm_copy(struct model_vm *d, const struct model_vm *s)
{
	*d = *s;
	d->uri = dup_or_null(s->uri);
	d->conn_error = dup_or_null(s->conn_error);
	d->domain = dup_or_null(s->domain);
	d->reason = dup_or_null(s->reason);
	d->accel = dup_or_null(s->accel);
	d->ip = dup_or_null(s->ip);
	d->hostname = dup_or_null(s->hostname);
	d->os = dup_or_null(s->os);
	d->operation = dup_or_null(s->operation);
	d->ssh = dup_or_null(s->ssh);
	if (s->nvcpu_pct > 0) {
		d->vcpu_pct = xcalloc((size_t)s->nvcpu_pct, sizeof(double));
		memcpy(d->vcpu_pct, s->vcpu_pct,
		       (size_t)s->nvcpu_pct * sizeof(double));
	} else
		d->vcpu_pct = NULL;
}

void
model_vm_clear(struct model_vm *v)
{
	free(v->uri);
	free(v->conn_error);
	free(v->domain);
	free(v->reason);
	free(v->accel);
	free(v->ip);
	free(v->hostname);
	free(v->os);
	free(v->operation);
	free(v->ssh);
	free(v->vcpu_pct);
	memset(v, 0, sizeof *v);
}

void
model_mount_copy(struct model_mount *d, const struct model_mount *s)
{
	*d = *s;
	d->host = dup_or_null(s->host);
	d->guest = dup_or_null(s->guest);
	d->type = dup_or_null(s->type);
	d->note.detail = dup_or_null(s->note.detail);
}

void
model_mount_clear(struct model_mount *m)
{
	free(m->host);
	free(m->guest);
	free(m->type);
	free(m->note.detail);
	memset(m, 0, sizeof *m);
}

/* Replace a note with a kind, its number and a copy of detail (or NULL). */
void
model_mount_note_set(struct model_mount_note *n,
                     enum model_mount_note_kind kind, long long num,
                     const char *detail)
{
	free(n->detail);
	n->kind = kind;
	n->num = num;
	n->detail = detail != NULL ? xstrdup(detail) : NULL;
}

/* A note's words, NULL for none (caller frees): the one place they live. */
char *
model_mount_note_text(const struct model_mount_note *n)
{
	const char *d = n->detail != NULL ? n->detail : "";

	switch (n->kind) {
	case MOUNT_NOTE_NONE:
		break;
	case MOUNT_NOTE_ERROR:
		return xstrdup(d);
	case MOUNT_NOTE_NATIVE_UNAVAILABLE:
		return xasprintf("native watching unavailable (%s): polling "
		                 "instead",
		                 d);
	case MOUNT_NOTE_NATIVE_STOPPED:
		return xasprintf("native watching stopped (%s): polling", d);
	case MOUNT_NOTE_TRUNCATED:
		return xasprintf("stopped at %llu files (max_files): the rest "
		                 "is not watched; add ignore: patterns",
		                 (unsigned long long)n->num);
	case MOUNT_NOTE_PIN_UNSUPPORTED:
		return xstrdup("the guest's shell cannot hold folders open "
		               "(install bash): watchers see only the share's "
		               "top folder");
	case MOUNT_NOTE_PIN_FAILED:
		return xasprintf("cannot hold the share's folders open in the "
		                 "guest: %s",
		                 d);
	case MOUNT_NOTE_QUEUED:
		return xasprintf("%s; %llu changes queued", d,
		                 (unsigned long long)n->num);
	case MOUNT_NOTE_STANDBY:
		if (n->num <= 0)
			return xstrdup("watched by another berth; this one "
			               "takes over when it stops");
		return xasprintf("watched by another berth (pid %lld); this "
		                 "one takes over when it stops%s%s",
		                 n->num, n->detail != NULL ? " · " : "", d);
	case MOUNT_NOTE_GITIGNORE:
		return xasprintf(
		    ".gitignore: %llu negated (!) patterns are not "
		    "supported: what they keep stays ignored",
		    (unsigned long long)n->num);
	case MOUNT_NOTE_READ_ONLY:
		return xstrdup("read-only mount: replay can only open for "
		               "reading (IN_CLOSE_NOWRITE)");
	}
	return NULL;
}

void
model_socket_copy(struct model_socket *d, const struct model_socket *s)
{
	int i;

	*d = *s;
	d->path = dup_or_null(s->path);
	d->source = dup_or_null(s->source);
	d->mode = dup_or_null(s->mode);
	d->error = dup_or_null(s->error);
	d->api_version = dup_or_null(s->api_version);
	d->engine_version = dup_or_null(s->engine_version);
	d->context = dup_or_null(s->context);
	d->stage = dup_or_null(s->stage);
	d->guest = dup_or_null(s->guest);
	d->ports = NULL;
	if (s->nports > 0) {
		d->ports = xcalloc((size_t)s->nports, sizeof *d->ports);
		for (i = 0; i < s->nports; i++) {
			d->ports[i] = s->ports[i];
			d->ports[i].proto = dup_or_null(s->ports[i].proto);
			d->ports[i].container =
			    dup_or_null(s->ports[i].container);
			d->ports[i].state = dup_or_null(s->ports[i].state);
			d->ports[i].error = dup_or_null(s->ports[i].error);
		}
	}
}

void
model_fport_clear(struct model_fport *p)
{
	free(p->proto);
	free(p->container);
	free(p->state);
	free(p->error);
	memset(p, 0, sizeof *p);
}

void
model_socket_clear(struct model_socket *s)
{
	int i;

	free(s->path);
	free(s->source);
	free(s->mode);
	free(s->error);
	free(s->api_version);
	free(s->engine_version);
	free(s->context);
	free(s->stage);
	free(s->guest);
	for (i = 0; i < s->nports; i++)
		model_fport_clear(&s->ports[i]);
	free(s->ports);
	memset(s, 0, sizeof *s);
}

void
model_container_copy(struct model_container *d, const struct model_container *s)
{
	size_t i;

	*d = *s;
	d->id = dup_or_null(s->id);
	d->name = dup_or_null(s->name);
	d->image = dup_or_null(s->image);
	d->command = dup_or_null(s->command);
	d->state = dup_or_null(s->state);
	d->status = dup_or_null(s->status);
	d->project = dup_or_null(s->project);
	d->service = dup_or_null(s->service);
	d->ports = NULL;
	if (s->nports > 0) {
		d->ports = xcalloc(s->nports, sizeof *d->ports);
		for (i = 0; i < s->nports; i++) {
			d->ports[i] = s->ports[i];
			d->ports[i].ip = dup_or_null(s->ports[i].ip);
			d->ports[i].proto = dup_or_null(s->ports[i].proto);
		}
	}
}

void
model_container_clear(struct model_container *c)
{
	size_t i;

	free(c->id);
	free(c->name);
	free(c->image);
	free(c->command);
	free(c->state);
	free(c->status);
	free(c->project);
	free(c->service);
	for (i = 0; i < c->nports; i++) {
		free(c->ports[i].ip);
		free(c->ports[i].proto);
	}
	free(c->ports);
	memset(c, 0, sizeof *c);
}

void
model_docker_copy(struct model_docker *d, const struct model_docker *s)
{
	size_t i;

	*d = *s;
	d->error = dup_or_null(s->error);
	d->endpoint = dup_or_null(s->endpoint);
	d->source = dup_or_null(s->source);
	d->version = dup_or_null(s->version);
	d->api_version = dup_or_null(s->api_version);
	d->os = dup_or_null(s->os);
	d->kernel = dup_or_null(s->kernel);
	d->stats_source = dup_or_null(s->stats_source);
	model_logs_copy(&d->logs, &s->logs);
	d->events = NULL;
	if (s->nevents > 0) {
		d->events = xcalloc(s->nevents, sizeof *d->events);
		for (i = 0; i < s->nevents; i++)
			model_ct_event_copy(&d->events[i], &s->events[i]);
	}
	d->containers = NULL;
	if (s->ncontainers > 0) {
		d->containers = xcalloc(s->ncontainers, sizeof *d->containers);
		for (i = 0; i < s->ncontainers; i++)
			model_container_copy(&d->containers[i],
			                     &s->containers[i]);
	}
}

void
model_docker_clear(struct model_docker *d)
{
	size_t i;

	free(d->error);
	free(d->endpoint);
	free(d->source);
	free(d->version);
	free(d->api_version);
	free(d->os);
	free(d->kernel);
	for (i = 0; i < d->ncontainers; i++)
		model_container_clear(&d->containers[i]);
	free(d->containers);
	free(d->stats_source);
	model_logs_clear(&d->logs);
	for (i = 0; i < d->nevents; i++)
		model_ct_event_clear(&d->events[i]);
	free(d->events);
	memset(d, 0, sizeof *d);
}

void
model_ct_event_copy(struct model_ct_event *d, const struct model_ct_event *s)
{
	*d = *s;
	d->action = dup_or_null(s->action);
	d->id = dup_or_null(s->id);
	d->name = dup_or_null(s->name);
	d->image = dup_or_null(s->image);
	d->exit_code = dup_or_null(s->exit_code);
}

void
model_ct_event_clear(struct model_ct_event *e)
{
	free(e->action);
	free(e->id);
	free(e->name);
	free(e->image);
	free(e->exit_code);
	memset(e, 0, sizeof *e);
}

void
model_logs_copy(struct model_logs *d, const struct model_logs *s)
{
	size_t i;

	*d = *s;
	d->id = dup_or_null(s->id);
	d->name = dup_or_null(s->name);
	d->error = dup_or_null(s->error);
	d->srcs = NULL;
	if (s->nsrcs > 0) {
		d->srcs = xcalloc(s->nsrcs, sizeof *d->srcs);
		for (i = 0; i < s->nsrcs; i++)
			d->srcs[i] = dup_or_null(s->srcs[i]);
	}
	d->lines = NULL;
	if (s->nlines > 0) {
		d->lines = xcalloc(s->nlines, sizeof *d->lines);
		for (i = 0; i < s->nlines; i++) {
			d->lines[i].stream = s->lines[i].stream;
			d->lines[i].src = s->lines[i].src;
			d->lines[i].text = dup_or_null(s->lines[i].text);
			d->lines[i].timestamp =
			    dup_or_null(s->lines[i].timestamp);
		}
	}
}

void
model_logs_clear(struct model_logs *l)
{
	size_t i;

	for (i = 0; i < l->nlines; i++) {
		free(l->lines[i].text);
		free(l->lines[i].timestamp);
	}
	free(l->lines);
	for (i = 0; i < l->nsrcs; i++)
		free(l->srcs[i]);
	free(l->srcs);
	free(l->id);
	free(l->name);
	free(l->error);
	memset(l, 0, sizeof *l);
}
