/*
 * docker-sync.c: a struct docker's view of the daemon kept current. It
 * pings the daemon to negotiate the API version, loads /version, /info
 * and the container list, then keeps the list current from ONE /events
 * stream (re-listing only the container an event names, and re-checking
 * what an event said until the list agrees). When the daemon stops
 * answering it is marked down and reconnected with backoff, then resynced.
 * Also the helpers every docker*.c file shares: messages, the container
 * table, the change flag.
 */

#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker/docker.h"

static void docker_down(struct docker *, const char *);
static void docker_refetch(struct docker *, const char *, const char *, int);

/* A message for the user: the engine's list, or stdout/stderr (CLI). */
void
docker_msg(struct docker *d, int level, const char *fmt, ...)
{
	va_list ap;
	char *s;

	/* Names in messages are as the daemon or the user gave them. */
	va_start(ap, fmt);
	s = util_sanitize_vasprintf(fmt, ap);
	va_end(ap);
	if (level >= 2)
		d->nerrors++;
	if (d->engine != NULL)
		engine_message(d->engine, level, "%s", s);
	else if (level >= 1)
		fprintf(stderr, "berth: %s\n", s);
	else
		printf("%s\n", s);
	free(s);
}

void
docker_changed(struct docker *d)
{
	d->dirty = 1;
	if (d->engine != NULL)
		engine_changed(d->engine);
}

struct docker_ct *
docker_find(struct docker *d, const char *id)
{
	size_t i;

	for (i = 0; i < d->ncts; i++) {
		if (strcmp(d->cts[i].c.id, id) == 0)
			return &d->cts[i];
	}
	return NULL;
}

/* The container's name for messages (or the id/name the user gave). */
const char *
docker_name_of(struct docker *d, const char *id)
{
	size_t i, len = strlen(id);

	for (i = 0; i < d->ncts; i++) {
		if (strcmp(d->cts[i].c.name, id) == 0)
			return d->cts[i].c.name;
		if (len >= 4 && strncmp(d->cts[i].c.id, id, len) == 0)
			return d->cts[i].c.name;
	}
	return id;
}

static void
docker_set_error(struct docker *d, const char *err)
{
	free(d->error);
	d->error = err != NULL ? xstrdup(err) : NULL;
}

static void
docker_on_ping(struct docker_req *r)
{
	struct docker *d = r->arg;
	char *v;

	d->ping = NULL;
	if (r->error != NULL) {
		docker_down(d, r->error);
		return;
	}
	if (d->conn == MODEL_CONN_UP) {
		/* Liveness: the stream may have died while we were away. */
		if (d->events == NULL && d->live && !d->no_events)
			docker_sync(d);
		return;
	}
	v = docker_api_negotiate(r->api_version);
	docker_http_set_version(d->http, v);
	free(v);
	d->conn = MODEL_CONN_UP;
	d->cg_state = 0; /* look for the containers' cgroups again */
	docker_set_error(d, NULL);
	docker_sync(d);
	docker_changed(d);
}

/* Ping: first contact (negotiation) or the liveness check. */
void
docker_connect(struct docker *d)
{
	if (d->http == NULL || d->ping != NULL)
		return;
	d->ping =
	    docker_http_start(d->http, "GET", "/_ping", DOCKER_HTTP_UNVERSIONED,
	                      NULL, docker_on_ping, d);
}

void
docker_cancel(struct docker *d, struct docker_req **r)
{
	if (*r != NULL) {
		docker_http_cancel(d->http, *r);
		*r = NULL;
	}
}

/* The daemon is gone or frozen: say why and retry with backoff. */
static void
docker_down(struct docker *d, const char *why)
{
	if (d->conn != MODEL_CONN_DOWN || !util_streq(d->error, why))
		docker_changed(d);
	d->conn = MODEL_CONN_DOWN;
	docker_set_error(d, why);
	docker_cancel(d, &d->events);
	docker_cancel(d, &d->version_req);
	docker_cancel(d, &d->info_req);
	docker_cancel(d, &d->list_req);
	while (d->nrefetch > 0) {
		docker_http_cancel(d->http, d->refetch[0]->req);
		docker_refetch_drop(d, d->refetch[0]);
	}
	d->evlen = 0;
	/* A followed log stream would wait forever on a frozen daemon. */
	docker_logs_abort(d, why);
	d->retry_at = util_mono_ms() + d->backoff_ms;
	d->backoff_ms *= 2;
	if (d->backoff_ms > DOCKER_BACKOFF_MAX_MS)
		d->backoff_ms = DOCKER_BACKOFF_MAX_MS;
	if (d->ep.forwarded && d->backoff_ms > DOCKER_BACKOFF_FWD_MS)
		d->backoff_ms = DOCKER_BACKOFF_FWD_MS;
}

static void
docker_on_version(struct docker_req *r)
{
	struct docker *d = r->arg;
	char *cause = NULL;

	d->version_req = NULL;
	if (r->error != NULL)
		docker_msg(d, d->engine != NULL ? 1 : 2, "version: %s",
		           r->error);
	else if (docker_json_version(r->body, r->len, &d->facts, &cause) != 0) {
		docker_msg(d, d->engine != NULL ? 1 : 2, "%s", cause);
		free(cause);
	}
	docker_changed(d);
}

static void
docker_on_info(struct docker_req *r)
{
	struct docker *d = r->arg;
	char *cause = NULL;

	d->info_req = NULL;
	if (r->error != NULL)
		docker_msg(d, d->engine != NULL ? 1 : 2, "info: %s", r->error);
	else if (docker_json_info(r->body, r->len, &d->facts, &cause) != 0) {
		docker_msg(d, d->engine != NULL ? 1 : 2, "%s", cause);
		free(cause);
	}
	docker_changed(d);
}

/* Put a fresh entry for c in the list, keeping its stats and history. */
static void
docker_upsert(struct docker *d, struct model_container *c)
{
	struct docker_ct *ct = docker_find(d, c->id);

	if (ct == NULL) {
		d->cts = xreallocarray(d->cts, d->ncts + 1, sizeof *d->cts);
		ct = &d->cts[d->ncts++];
		memset(ct, 0, sizeof *ct);
		ct->c = *c;
		return;
	}
	c->has_stats = ct->c.has_stats;
	c->cpu_pct = ct->c.cpu_pct;
	c->mem_used = ct->c.mem_used;
	c->mem_limit = ct->c.mem_limit;
	c->mem_pct = ct->c.mem_pct;
	c->rx_bps = ct->c.rx_bps;
	c->tx_bps = ct->c.tx_bps;
	c->rd_bps = ct->c.rd_bps;
	c->wr_bps = ct->c.wr_bps;
	c->pids = ct->c.pids;
	c->stats_brief = ct->c.stats_brief;
	c->rates_unknown = ct->c.rates_unknown;
	c->cpu_hist = ct->c.cpu_hist;
	c->mem_hist = ct->c.mem_hist;
	if (strcmp(c->state, "running") != 0) {
		c->has_stats = 0;
		memset(&ct->prev, 0, sizeof ct->prev);
	}
	model_container_clear(&ct->c);
	ct->c = *c;
}

static void
docker_remove(struct docker *d, const char *id)
{
	struct docker_ct *ct = docker_find(d, id);
	size_t i;

	if (ct == NULL)
		return;
	i = (size_t)(ct - d->cts);
	model_container_clear(&ct->c);
	memmove(ct, ct + 1, (d->ncts - i - 1) * sizeof *ct);
	d->ncts--;
}

void
docker_on_list(struct docker_req *r)
{
	struct docker *d = r->arg;
	struct model_container *list;
	char *cause = NULL;
	size_t n, i;

	d->list_req = NULL;
	if (r->error != NULL) {
		if (d->engine == NULL || d->conn != MODEL_CONN_UP)
			docker_set_error(d, r->error);
		docker_msg(d, d->engine != NULL ? 1 : 2, "%s", r->error);
		return;
	}
	if (docker_json_containers(r->body, r->len, &list, &n, &cause) != 0) {
		docker_msg(d, 2, "%s", cause);
		free(cause);
		return;
	}
	for (i = 0; i < d->ncts; i++)
		d->cts[i].mark = 0;
	for (i = 0; i < n; i++) {
		docker_upsert(d, &list[i]);
		docker_find(d, list[i].id)->mark = 1;
	}
	free(list);
	for (i = d->ncts; i > 0; i--) {
		if (!d->cts[i - 1].mark)
			docker_remove(d, d->cts[i - 1].c.id);
	}
	d->loaded = 1;
	d->resync = 0;
	d->backoff_ms = DOCKER_BACKOFF_MIN_MS;
	docker_changed(d);
}

/* Fresh facts, a fresh list and (with an engine) the events stream. */
void
docker_sync(struct docker *d)
{
	if (d->live && d->events == NULL &&
	    (!d->no_events || util_mono_ms() >= d->events_retry_at))
		docker_events_start(d);
	if (d->version_req == NULL && (d->want & DOCKER_WANT_FACTS))
		d->version_req = docker_http_start(
		    d->http, "GET", "/version", 0, NULL, docker_on_version, d);
	if (d->info_req == NULL && (d->want & DOCKER_WANT_FACTS))
		d->info_req = docker_http_start(d->http, "GET", "/info", 0,
		                                NULL, docker_on_info, d);
	if (d->list_req == NULL && (d->want & DOCKER_WANT_LIST))
		d->list_req =
		    docker_http_start(d->http, "GET", "/containers/json?all=1",
		                      0, NULL, docker_on_list, d);
}

/* Actions that change nothing the list shows. */
static int
docker_event_ignored(const char *action)
{
	static const char *const ignored[] = {
	    "exec_",  "attach", "detach", "resize",       "top",
	    "commit", "export", "copy",   "archive-path", "extract-to-dir"};
	size_t i;

	for (i = 0; i < nitems(ignored); i++) {
		if (strncmp(action, ignored[i], strlen(ignored[i])) == 0)
			return 1;
	}
	return 0;
}

/*
 * List container id again DOCKER_RECHECK_MS << tries from now, expecting
 * want. The daemon sends some events (die, pause) before its list shows
 * the change, and under load a die can precede the list by seconds.
 */
static void
docker_recheck_add(struct docker *d, const char *id, const char *want,
                   int tries)
{
	struct docker_recheck *rc = NULL;
	uint64_t at = util_mono_ms() + ((uint64_t)DOCKER_RECHECK_MS << tries);
	size_t i;

	for (i = 0; i < d->nrecheck; i++) {
		if (strcmp(d->recheck[i].id, id) == 0) {
			rc = &d->recheck[i];
			break;
		}
	}
	if (rc == NULL) {
		if (d->nrecheck == nitems(d->recheck)) {
			d->resync = 1; /* too many at once: list them all */
			return;
		}
		rc = &d->recheck[d->nrecheck++];
		memcpy(rc->id, id, 64);
		rc->id[64] = '\0';
		rc->at = at;
	} else if (at < rc->at)
		rc->at = at;
	rc->want = want; /* the latest event says what to expect */
	rc->tries = tries;
	if (d->recheck_at == 0 || rc->at < d->recheck_at)
		d->recheck_at = rc->at;
}

/* List the containers named by recent events once more, when due. */
void
docker_recheck_run(struct docker *d)
{
	struct docker_recheck due[nitems(d->recheck)];
	uint64_t now = util_mono_ms();
	size_t i, n = 0, kept = 0;

	if (d->recheck_at == 0 || now < d->recheck_at)
		return;
	d->recheck_at = 0;
	for (i = 0; i < d->nrecheck; i++) {
		if (d->recheck[i].at <= now) {
			due[n++] = d->recheck[i];
			continue;
		}
		d->recheck[kept++] = d->recheck[i];
		if (d->recheck_at == 0 || d->recheck[i].at < d->recheck_at)
			d->recheck_at = d->recheck[i].at;
	}
	d->nrecheck = kept;
	if (d->conn != MODEL_CONN_UP)
		return; /* the resync on reconnect lists everything */
	for (i = 0; i < n; i++)
		docker_refetch(d, due[i].id, due[i].want, due[i].tries);
}

/* What the list should show after a container event, or NULL. */
static const char *
docker_event_want(const char *action)
{
	if (strcmp(action, "die") == 0)
		return "!running";
	if (strcmp(action, "pause") == 0)
		return "paused";
	if (strcmp(action, "unpause") == 0)
		return "running";
	return NULL;
}

/* Whether a listed state is what the event said: see docker_recheck. */
static int
docker_state_agrees(const char *state, const char *want)
{
	if (want == NULL || state == NULL)
		return 1;
	if (want[0] == '!')
		return strcmp(state, want + 1) != 0;
	return strcmp(state, want) == 0;
}

/* Keep the event for the model: berth events prints each once. */
static void
docker_event_keep(struct docker *d, const struct docker_event *ev)
{
	struct model_ct_event *e;

	if (d->nkept == nitems(d->kept)) {
		model_ct_event_clear(&d->kept[0]);
		memmove(d->kept, d->kept + 1,
		        (nitems(d->kept) - 1) * sizeof *d->kept);
		d->nkept--;
	}
	e = &d->kept[d->nkept++];
	e->seq = ++d->kept_seq;
	e->time_ns = ev->time_ns;
	e->action = xstrdup(ev->action);
	e->id = xstrdup(ev->id);
	e->name = ev->name[0] != '\0' ? xstrdup(ev->name) : NULL;
	e->image = ev->image[0] != '\0' ? xstrdup(ev->image) : NULL;
	e->exit_code = ev->exit_code[0] != '\0' ? xstrdup(ev->exit_code) : NULL;
	/*
	 * No docker_changed: the refetch it starts publishes (a healthcheck's
	 * exec_* events ride on the next snapshot, not one each).
	 */
}

static void
docker_event_line(struct docker *d, const char *line, size_t len)
{
	struct docker_event ev;
	char *cause = NULL;

	if (docker_json_event(line, len, &ev, &cause) != 0) {
		free(cause);
		return;
	}
	if (strcmp(ev.type, "container") != 0 || !docker_id_valid(ev.id))
		return;
	docker_event_keep(d, &ev);
	if (docker_event_ignored(ev.action))
		return;
	if (strcmp(ev.action, "destroy") == 0) {
		memcpy(d->gone[d->ngone], ev.id, sizeof d->gone[0]);
		d->gone[d->ngone][64] = '\0';
		d->ngone = (d->ngone + 1) % nitems(d->gone);
		docker_remove(d, ev.id);
		docker_changed(d);
		return;
	}
	docker_refetch(d, ev.id, NULL, 0);
	docker_recheck_add(d, ev.id, docker_event_want(ev.action), 0);
}

/* Split the events stream into JSON lines. */
static int
docker_on_events_data(struct docker_req *r, const char *p, size_t len)
{
	struct docker *d = r->arg;
	const char *nl;
	size_t take;

	d->backoff_ms = DOCKER_BACKOFF_MIN_MS;
	if (d->no_events) { /* it works again */
		d->no_events = 0;
		docker_changed(d);
	}
	while (len > 0) {
		nl = memchr(p, '\n', len);
		take = nl != NULL ? (size_t)(nl - p) : len;
		if (d->evlen + take > DOCKER_EVENT_MAX)
			d->evlen = DOCKER_EVENT_MAX + 1; /* drop this line */
		else {
			d->evbuf =
			    xreallocarray(d->evbuf, d->evlen + take + 1, 1);
			memcpy(d->evbuf + d->evlen, p, take);
			d->evlen += take;
		}
		if (nl == NULL)
			break;
		if (d->evlen <= DOCKER_EVENT_MAX && d->evlen > 0)
			docker_event_line(d, d->evbuf, d->evlen);
		d->evlen = 0;
		p = nl + 1;
		len -= take + 1;
	}
	return 0;
}

static void
docker_on_events_done(struct docker_req *r)
{
	struct docker *d = r->arg;
	uint64_t now = util_mono_ms();
	char *why;

	d->events = NULL;
	d->evlen = 0;
	/*
	 * Refused with an HTTP answer (a socket proxy with EVENTS=0 says
	 * 403), or ended at once: the daemon itself answers (its ping
	 * did), so do without events and list at every refresh, rather than
	 * reconnect forever.
	 */
	if (d->no_events || (r->status >= 300 && !r->timed_out) ||
	    (r->error == NULL && r->status >= 200 &&
	     now < d->events_started + DOCKER_EVENTS_SHORT_MS)) {
		if (!d->no_events)
			docker_msg(d, 1,
			           "no Docker events (%s); listing the "
			           "containers at every refresh instead",
			           r->error != NULL
			               ? r->error
			               : "the stream ended at once");
		d->no_events = 1;
		d->events_retry_at = now + DOCKER_EVENTS_RETRY_MS;
		docker_changed(d);
		return;
	}
	why = xasprintf("the Docker event stream ended%s%s; reconnecting",
	                r->error != NULL ? ": " : "",
	                r->error != NULL ? r->error : "");
	docker_down(d, why);
	d->conn = MODEL_CONN_CONNECTING;
	free(why);
}

void
docker_events_start(struct docker *d)
{
	char *f = docker_http_escape("{\"type\":[\"container\"]}");
	char *path = xasprintf("/events?filters=%s", f);

	d->evlen = 0;
	d->events_started = util_mono_ms();
	d->events =
	    docker_http_start(d->http, "GET", path, DOCKER_HTTP_STREAM,
	                      docker_on_events_data, docker_on_events_done, d);
	free(path);
	free(f);
}

void
docker_refetch_drop(struct docker *d, struct docker_refetch *rf)
{
	size_t i;

	for (i = 0; i < d->nrefetch; i++) {
		if (d->refetch[i] == rf) {
			d->refetch[i] = d->refetch[--d->nrefetch];
			break;
		}
	}
	free(rf);
}

static int
docker_is_gone(struct docker *d, const char *id)
{
	size_t i;

	for (i = 0; i < nitems(d->gone); i++) {
		if (strcmp(d->gone[i], id) == 0)
			return 1;
	}
	return 0;
}

static void
docker_on_refetch(struct docker_req *r)
{
	struct docker_refetch *rf = r->arg;
	struct docker *d = rf->d;
	struct model_container *list = NULL;
	char *cause = NULL;
	size_t n = 0, i;

	if (r->error == NULL &&
	    docker_json_containers(r->body, r->len, &list, &n, &cause) == 0) {
		for (i = 0; i < n; i++) {
			if (docker_is_gone(d, list[i].id)) {
				model_container_clear(&list[i]);
				continue;
			}
			/* Not there yet: look again, later each time. */
			if (!docker_state_agrees(list[i].state, rf->want) &&
			    rf->tries + 1 < DOCKER_RECHECK_TRIES)
				docker_recheck_add(d, rf->id, rf->want,
				                   rf->tries + 1);
			docker_upsert(d, &list[i]);
		}
		if (n == 0)
			docker_remove(d, rf->id);
		free(list);
		docker_changed(d);
	}
	free(cause);
	if (rf->again && d->conn == MODEL_CONN_UP) {
		char id[65];
		const char *want = rf->want;
		int tries = rf->tries;

		memcpy(id, rf->id, sizeof id);
		docker_refetch_drop(d, rf);
		docker_refetch(d, id, want, tries);
		return;
	}
	docker_refetch_drop(d, rf);
}

/*
 * Re-list one container (named by an event), expecting want (NULL: no
 * expectation) on its tries-th recheck. An id in flight is listed again
 * once that answer is in.
 */
static void
docker_refetch(struct docker *d, const char *id, const char *want, int tries)
{
	struct docker_refetch *rf;
	char *f, *filter, *path;
	json_t *j;
	size_t i;

	for (i = 0; i < d->nrefetch; i++) {
		if (strcmp(d->refetch[i]->id, id) == 0) {
			d->refetch[i]->again = 1;
			if (want != NULL) {
				d->refetch[i]->want = want;
				d->refetch[i]->tries = tries;
			}
			return;
		}
	}
	rf = xcalloc(1, sizeof *rf);
	rf->d = d;
	rf->want = want;
	rf->tries = tries;
	snprintf(rf->id, sizeof rf->id, "%s", id);
	/* {"id":["ID"]}; ids are checked hex, so only memory can fail. */
	if ((j = json_pack("{s:[s]}", "id", id)) == NULL ||
	    (filter = json_dumps(j, JSON_COMPACT)) == NULL)
		fatal("out of memory building a JSON filter");
	json_decref(j);
	f = docker_http_escape(filter);
	path = xasprintf("/containers/json?all=1&filters=%s", f);
	rf->req = docker_http_start(d->http, "GET", path, 0, NULL,
	                            docker_on_refetch, rf);
	d->refetch =
	    xreallocarray(d->refetch, d->nrefetch + 1, sizeof *d->refetch);
	d->refetch[d->nrefetch++] = rf;
	free(path);
	free(f);
	free(filter);
}
