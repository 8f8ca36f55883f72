/*
 * docker.c: the Docker engine component. It resolves the endpoint, pings
 * the daemon to negotiate the API version, loads /version, /info and the
 * container list, then keeps the list current from ONE /events stream
 * (re-listing only the container an event names). Each refresh it pings
 * for liveness and samples stats of the running containers that are
 * visible, from the host's cgroup files when the daemon is local and
 * through one-shot API calls otherwise, all at once over the transport's
 * multi handle. Actions and logs are calls and streams on the same
 * handle. When the daemon stops answering, every call ends within its
 * timeout, the pane says "Docker is not responding" and berth reconnects
 * with backoff, then resyncs.
 *
 * The CLI uses the same object without an engine (docker_open(NULL, …)):
 * it drives the transfers itself with docker_wait() and gets messages on
 * stdout/stderr instead of the message list.
 */

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "docker/docker.h"

#define DOCKER_BACKOFF_MIN_MS 500
#define DOCKER_BACKOFF_MAX_MS 30000
/* A forwarded socket appears when the VM is up: look for it often. */
#define DOCKER_BACKOFF_FWD_MS  1000
#define DOCKER_LOG_LINES       5000
#define DOCKER_LOG_BYTES       (2 * 1024 * 1024)
#define DOCKER_EVENT_MAX       (64 * 1024)
#define DOCKER_RECHECK_MS      300
#define DOCKER_RECHECK_TRIES   5 /* 300 ms, then doubling: 9.3 s in all */
#define DOCKER_LOG_PUBLISH_MS  250
#define DOCKER_LOG_BATCH_MS    25
#define DOCKER_EVENTS_SHORT_MS 2000  /* a stream that ends sooner is none */
#define DOCKER_EVENTS_RETRY_MS 30000 /* then try it again this often */
#define DOCKER_EVENTS_GOOD_MS  5000  /* a stream this old works again */
#define DOCKER_STOP_GRACE_S    10    /* the daemon's default stop grace */

enum docker_stats_mode {
	DOCKER_STATS_AUTO,
	DOCKER_STATS_API,
	DOCKER_STATS_CGROUP,
};

struct docker_ct {
	struct model_container c;
	struct docker_sample prev;
	int mark;
};

/*
 * What an event says the list will show: "paused", or "!running" for
 * anything but running. NULL: nothing known.
 */
struct docker_recheck {
	char id[65];
	const char *want;
	int tries;
	uint64_t at;
};

struct docker_refetch {
	struct docker *d;
	struct docker_req *req;
	char id[65];
	int again;        /* another event came while in flight */
	const char *want; /* a recheck's expectation; see docker_recheck */
	int tries;
};

struct docker_logs {
	char *id, *name;
	int tty, timestamps, follow;
	long long tail;
	struct docker_req *inspect, *stream;
	struct docker_demux demux;
	struct docker_logbuf buf;
	char *error;
	uint64_t seq;
	int active;
	uint64_t published; /* when new lines last reached a snapshot */
	int unpublished;    /* lines wait for the next publish */
	uint64_t last_data; /* when the stream last gave bytes */
};

struct docker {
	struct engine *engine; /* NULL for the CLI */
	struct endpoint ep;
	char *ep_error;
	struct docker_http *http;

	enum model_conn conn;
	char *error;
	struct model_docker facts; /* versions, OS, counts; no containers */
	struct docker_ct *cts;
	size_t ncts;
	int loaded;

	struct docker_req *ping, *version_req, *info_req, *list_req;
	struct docker_req *events;
	char *evbuf;
	size_t evlen;
	int resync;
	uint64_t retry_at, backoff_ms;

	struct docker_refetch **refetch; /* containers being re-listed */
	size_t nrefetch;
	char gone[16][65]; /* recently destroyed: late answers ignored */
	size_t ngone;
	/* named by events: listed again shortly, until the list agrees */
	struct docker_recheck recheck[32];
	size_t nrecheck;
	uint64_t recheck_at; /* the earliest due, 0 for none */

	char **visible;
	size_t nvisible;
	int visible_set;
	int nstats;
	enum docker_stats_mode stats_mode;
	struct docker_cgroup cg;
	int cg_state;  /* 0 unknown, 1 usable, -1 not */
	int cg_misses; /* refreshes in a row where no cgroup was found */
	const char *stats_source;

	struct docker_logs logs;
	docker_line_cb line_hook;
	void *line_arg;

	int nactions;
	int nerrors;
	int nunknown; /* containers the daemon does not know (404) */
	int want;     /* DOCKER_WANT_*: what a sync fetches */
	/*
	 * The daemon (or a socket proxy before it) gives no usable /events:
	 * the list is fetched at every refresh instead; the stream is tried
	 * again now and then.
	 */
	int no_events;
	uint64_t events_started; /* when the current stream was started */
	uint64_t events_retry_at;
	char *stats_error; /* why the last stats call failed, NULL if none */
	int live;          /* events stream, liveness pings and stats */
	int dirty;         /* changed since docker_take_dirty() */
	int wait_stats;    /* docker_wait() also waits for stats calls */
};

static void docker_connect(struct docker *);
static void docker_down(struct docker *, const char *);
static void docker_sync(struct docker *);
static void docker_events_start(struct docker *);
static void docker_refetch(struct docker *, const char *, const char *, int);
static void docker_refetch_drop(struct docker *, struct docker_refetch *);
static int docker_prepare(void *, struct pollfd *, int, int *);
static void docker_dispatch(void *, const struct pollfd *, int);

/* A message for the user: the engine's list, or stdout/stderr (CLI). */
static void BERTH_PRINTFLIKE(3, 4)
    docker_msg(struct docker *d, int level, const char *fmt, ...)
{
	va_list ap;
	char *s, *raw;

	va_start(ap, fmt);
	raw = xvasprintf(fmt, ap);
	va_end(ap);
	/* Names in messages are as the daemon or the user gave them. */
	s = util_sanitize_dup(raw, strlen(raw));
	free(raw);
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

static void
docker_changed(struct docker *d)
{
	d->dirty = 1;
	if (d->engine != NULL)
		engine_changed(d->engine);
}

static struct docker_ct *
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
static const char *
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

/* Create the component for a profile; engine NULL = CLI use. */
struct docker *
docker_open(struct engine *e, const struct profile *p)
{
	struct docker *d = xcalloc(1, sizeof *d);
	const char *env;

	d->engine = e;
	d->live = e != NULL;
	d->conn = MODEL_CONN_CONNECTING;
	d->backoff_ms = DOCKER_BACKOFF_MIN_MS;
	d->want = DOCKER_WANT_FACTS | DOCKER_WANT_LIST;
	if (endpoint_resolve(p, &d->ep, &d->ep_error) != 0) {
		d->conn = MODEL_CONN_DOWN;
		d->error = xstrdup(d->ep_error);
	} else
		d->http = docker_http_new(&d->ep);
	env = getenv("BERTH_DOCKER_STATS");
	if (env != NULL && strcmp(env, "api") == 0)
		d->stats_mode = DOCKER_STATS_API;
	else if (env != NULL && strcmp(env, "cgroup") == 0)
		d->stats_mode = DOCKER_STATS_CGROUP;
	docker_logbuf_init(&d->logs.buf, DOCKER_LOG_LINES, DOCKER_LOG_BYTES, 0);
	return d;
}

static void
docker_cts_free(struct docker *d)
{
	size_t i;

	for (i = 0; i < d->ncts; i++)
		model_container_clear(&d->cts[i].c);
	free(d->cts);
	d->cts = NULL;
	d->ncts = 0;
}

void
docker_close(struct docker *d)
{
	size_t i;

	if (d == NULL)
		return;
	docker_logs_stop(d);
	while (d->nrefetch > 0) {
		docker_http_cancel(d->http, d->refetch[0]->req);
		docker_refetch_drop(d, d->refetch[0]);
	}
	free(d->refetch);
	docker_http_free(d->http);
	docker_logbuf_clear(&d->logs.buf);
	free(d->logs.error);
	docker_cts_free(d);
	for (i = 0; i < d->nvisible; i++)
		free(d->visible[i]);
	free(d->visible);
	free(d->evbuf);
	model_docker_clear(&d->facts);
	docker_cgroup_clear(&d->cg);
	endpoint_clear(&d->ep);
	free(d->ep_error);
	free(d->error);
	free(d->stats_error);
	free(d);
}

static void
docker_set_error(struct docker *d, const char *err)
{
	free(d->error);
	d->error = err != NULL ? xstrdup(err) : NULL;
}

/* ---- connection ------------------------------------------------------ */

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
static void
docker_connect(struct docker *d)
{
	if (d->http == NULL || d->ping != NULL)
		return;
	d->ping =
	    docker_http_start(d->http, "GET", "/_ping", DOCKER_HTTP_UNVERSIONED,
	                      NULL, docker_on_ping, d);
}

static void
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
	if (d->logs.stream != NULL || d->logs.inspect != NULL) {
		docker_cancel(d, &d->logs.stream);
		docker_cancel(d, &d->logs.inspect);
		d->logs.active = 0;
		free(d->logs.error);
		d->logs.error = xstrdup(why);
		docker_msg(d, 2, "logs: %s", why);
	}
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

static void
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
static void
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

/* ---- events ---------------------------------------------------------- */

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
static void
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

static void
docker_event_line(struct docker *d, const char *line, size_t len)
{
	struct docker_event ev;
	char *cause = NULL;

	if (docker_json_event(line, len, &ev, &cause) != 0) {
		free(cause);
		return;
	}
	if (strcmp(ev.type, "container") != 0 || !docker_id_valid(ev.id) ||
	    docker_event_ignored(ev.action))
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

static void
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

static void
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
	filter = xasprintf("{\"id\":[\"%s\"]}", id);
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

/* ---- stats ----------------------------------------------------------- */

static int
docker_is_visible(struct docker *d, const char *id)
{
	size_t i;

	if (!d->visible_set)
		return 1;
	for (i = 0; i < d->nvisible; i++) {
		if (strncmp(id, d->visible[i], strlen(d->visible[i])) == 0)
			return 1;
	}
	return 0;
}

/*
 * Keep stats on these containers only (space-separated ids or prefixes);
 * NULL or "" = all running containers.
 */
void
docker_set_visible(struct docker *d, const char *ids)
{
	char *copy, *tok, *save = NULL;
	size_t i;

	for (i = 0; i < d->nvisible; i++)
		free(d->visible[i]);
	free(d->visible);
	d->visible = NULL;
	d->nvisible = 0;
	d->visible_set = ids != NULL && *ids != '\0';
	if (!d->visible_set)
		return;
	copy = xstrdup(ids);
	for (tok = strtok_r(copy, " \t,", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t,", &save)) {
		d->visible = xreallocarray(d->visible, d->nvisible + 1,
		                           sizeof *d->visible);
		d->visible[d->nvisible++] = xstrdup(tok);
	}
	free(copy);
}

/* 1 = api, 2 = cgroup, 0 = automatic (cgroup files when local). */
void
docker_set_stats_source(struct docker *d, int mode)
{
	d->stats_mode = (enum docker_stats_mode)mode;
	d->cg_state = 0;
}

static void
docker_stats_got(struct docker *d, const char *id,
                 const struct docker_sample *cur)
{
	struct docker_ct *ct = docker_find(d, id);

	if (ct == NULL || strcmp(ct->c.state, "running") != 0)
		return;
	docker_stats_apply(&ct->c, &ct->prev, cur);
	ct->prev = *cur;
	docker_changed(d);
}

struct docker_stats_call {
	struct docker *d;
	char id[65];
};

static void
docker_on_stats(struct docker_req *r)
{
	struct docker_stats_call *sc = r->arg;
	struct docker *d = sc->d;
	struct docker_sample cur;
	char *cause = NULL;

	d->nstats--;
	if (r->error == NULL &&
	    docker_json_stats(r->body, r->len, &cur, &cause) == 0) {
		cur.when_ms = util_mono_ms();
		docker_stats_got(d, sc->id, &cur);
	} else {
		/* Kept for whoever asked for figures and got none. */
		free(d->stats_error);
		d->stats_error = cause != NULL ? cause : xstrdup(r->error);
		cause = NULL;
	}
	free(cause);
	free(sc);
}

/* Can the cgroup files of this daemon's containers be read here? */
static int
docker_cgroup_usable(struct docker *d)
{
	if (d->stats_mode == DOCKER_STATS_API)
		return 0;
	if (d->cg_state == 0) {
		docker_cgroup_clear(&d->cg);
		d->cg_state = docker_cgroup_init(&d->cg, NULL) == 0 ? 1 : -1;
		d->cg_misses = 0;
	}
	return d->cg_state == 1;
}

/*
 * Sample the running, visible containers: from cgroup files when they
 * are here (cheap for the daemon), else one one-shot API call each, all
 * issued at once.
 */
static void
docker_stats_refresh(struct docker *d)
{
	struct docker_sample cur;
	struct docker_stats_call *sc;
	struct docker_req *req;
	size_t i, tried = 0, found = 0;
	char *path;
	const char *source = NULL;

	if (d->nstats > 0)
		return;
	/* One reading of the host's CPU time serves the whole batch. */
	if (docker_cgroup_usable(d))
		d->cg.system_ns = docker_cgroup_system_ns(NULL);
	for (i = 0; i < d->ncts; i++) {
		struct docker_ct *ct = &d->cts[i];

		if (strcmp(ct->c.state, "running") != 0 ||
		    !docker_is_visible(d, ct->c.id))
			continue;
		tried++;
		if (d->cg_state == 1 &&
		    docker_cgroup_sample(&d->cg, ct->c.id, &cur) == 0) {
			docker_stats_got(d, ct->c.id, &cur);
			source = "cgroup";
			found++;
			continue;
		}
		if (d->stats_mode == DOCKER_STATS_CGROUP)
			continue;
		sc = xcalloc(1, sizeof *sc);
		sc->d = d;
		snprintf(sc->id, sizeof sc->id, "%s", ct->c.id);
		path = xasprintf("/containers/%s/stats?stream=false&one-shot="
		                 "true",
		                 ct->c.id);
		req = docker_http_start(d->http, "GET", path, 0, NULL,
		                        docker_on_stats, sc);
		docker_http_set_cleanup(req, free);
		free(path);
		d->nstats++;
		if (source == NULL)
			source = "api";
	}
	if (source != NULL)
		d->stats_source = source;
	/*
	 * A container that just stopped has no cgroup; a daemon elsewhere
	 * (in a VM) has none here at all: stop looking after a few tries.
	 */
	if (d->cg_state == 1 && tried > 0) {
		d->cg_misses = found > 0 ? 0 : d->cg_misses + 1;
		if (d->cg_misses >= 3)
			d->cg_state = -1;
	}
}

/* ---- actions --------------------------------------------------------- */

/* The state an action leaves, for the re-check after a timeout. */
enum docker_after {
	DOCKER_AFTER_RUNNING,   /* start, unpause */
	DOCKER_AFTER_STOPPED,   /* stop, kill */
	DOCKER_AFTER_RESTARTED, /* running, started again since */
	DOCKER_AFTER_PAUSED,
	DOCKER_AFTER_GONE, /* remove */
};

struct docker_action_def {
	enum engine_cmd_type type;
	const char *method;
	const char *path; /* after /containers/{id} */
	const char *verb; /* for errors: "cannot start web: …" */
	const char *done; /* "started web" */
	int flags;        /* DOCKER_HTTP_304_OK where the API defines it */
	int grace;        /* the daemon waits the stop grace before answering */
	enum docker_after after;
};

static const struct docker_action_def docker_actions[] = {
    {ENGINE_CMD_CT_START, "POST", "/start", "start", "started",
     DOCKER_HTTP_304_OK, 0, DOCKER_AFTER_RUNNING},
    {ENGINE_CMD_CT_STOP, "POST", "/stop", "stop", "stopped", DOCKER_HTTP_304_OK,
     1, DOCKER_AFTER_STOPPED},
    {ENGINE_CMD_CT_RESTART, "POST", "/restart", "restart", "restarted", 0, 1,
     DOCKER_AFTER_RESTARTED},
    {ENGINE_CMD_CT_KILL, "POST", "/kill", "kill", "killed", 0, 0,
     DOCKER_AFTER_STOPPED},
    {ENGINE_CMD_CT_PAUSE, "POST", "/pause", "pause", "paused", 0, 0,
     DOCKER_AFTER_PAUSED},
    {ENGINE_CMD_CT_UNPAUSE, "POST", "/unpause", "unpause", "unpaused", 0, 0,
     DOCKER_AFTER_RUNNING},
    {ENGINE_CMD_CT_REMOVE, "DELETE", "", "remove", "removed", 0, 0,
     DOCKER_AFTER_GONE},
};

/*
 * One action in flight: for stop and restart, first the container's state
 * (its own stop grace sets the deadline; restart needs its start time),
 * then the call, then, if that timed out, the state again: an action that
 * did what it should is not called a failure because its answer was late.
 */
struct docker_action_call {
	struct docker *d;
	const struct docker_action_def *def;
	char *name;  /* for messages */
	char *ename; /* escaped, for the path */
	long long num;
	struct docker_state before;
	char *timeout_error; /* the call's error while re-checking */
};

static void docker_action_send(struct docker_action_call *);

static void
docker_action_free(void *arg)
{
	struct docker_action_call *ac = arg;

	ac->d->nactions--;
	free(ac->name);
	free(ac->ename);
	free(ac->timeout_error);
	free(ac);
}

/* Start a GET of the container's state, done by cb. */
static void
docker_action_inspect(struct docker_action_call *ac, docker_http_done_cb cb)
{
	char *path = xasprintf("/containers/%s/json", ac->ename);
	struct docker_req *req;

	req = docker_http_start(ac->d->http, "GET", path, 0, NULL, cb, ac);
	docker_http_set_cleanup(req, docker_action_free);
	free(path);
}

/* The action ends: say how, count an unknown container apart. */
static void
docker_action_end(struct docker_action_call *ac, const struct docker_req *r,
                  const char *error)
{
	struct docker *d = ac->d;

	if (error != NULL) {
		if (r != NULL && r->status == 404)
			d->nunknown++;
		docker_msg(d, 2, "cannot %s %s: %s", ac->def->verb, ac->name,
		           error);
	} else
		docker_msg(d, 0, "%s %s", ac->def->done, ac->name);
	docker_action_free(ac);
}

static void
docker_on_action_recheck(struct docker_req *r)
{
	struct docker_action_call *ac = r->arg;
	struct docker_state st;
	char *cause = NULL;
	int ok = 0;

	if (ac->def->after == DOCKER_AFTER_GONE)
		ok = r->status == 404;
	else if (r->error == NULL &&
	         docker_json_state(r->body, r->len, &st, &cause) == 0) {
		switch (ac->def->after) {
		case DOCKER_AFTER_RUNNING:
			ok = st.running && !st.paused;
			break;
		case DOCKER_AFTER_STOPPED:
			ok = !st.running;
			break;
		case DOCKER_AFTER_RESTARTED:
			ok = st.running &&
			     strcmp(st.started, ac->before.started) != 0;
			break;
		case DOCKER_AFTER_PAUSED:
			ok = st.paused;
			break;
		case DOCKER_AFTER_GONE:
			break;
		}
	}
	free(cause);
	docker_action_end(ac, NULL, ok ? NULL : ac->timeout_error);
}

static void
docker_on_action(struct docker_req *r)
{
	struct docker_action_call *ac = r->arg;

	if (r->error != NULL && r->timed_out && ac->d->conn == MODEL_CONN_UP) {
		ac->timeout_error = xstrdup(r->error);
		docker_action_inspect(ac, docker_on_action_recheck);
		return;
	}
	docker_action_end(ac, r, r->error);
}

static void
docker_on_action_before(struct docker_req *r)
{
	struct docker_action_call *ac = r->arg;
	char *cause = NULL;

	if (r->error != NULL) {
		docker_action_end(ac, r, r->error);
		return;
	}
	if (docker_json_state(r->body, r->len, &ac->before, &cause) != 0) {
		docker_action_end(ac, r, cause);
		free(cause);
		return;
	}
	docker_action_send(ac);
}

/*
 * The call itself. One that waits for the stop grace (the -t given, else
 * the container's own, else Docker's 10 s) gets that much more than the
 * usual timeout.
 */
static void
docker_action_send(struct docker_action_call *ac)
{
	struct docker *d = ac->d;
	const struct docker_action_def *def = ac->def;
	struct docker_req *req;
	char *path, *query = NULL;
	long saved = docker_http_timeout(d->http), grace;

	if (def->grace) {
		if (ac->num > 0 && ac->num <= 3600) {
			query = xasprintf("?t=%lld", ac->num);
			grace = (long)ac->num;
		} else if (ac->before.stop_timeout >= 0)
			grace = ac->before.stop_timeout;
		else
			grace = DOCKER_STOP_GRACE_S;
		docker_http_set_timeout(d->http, saved + grace * 1000);
	} else if (def->type == ENGINE_CMD_CT_REMOVE)
		query = xasprintf("?force=%d&v=%d", (int)(ac->num & 1) ? 1 : 0,
		                  (int)(ac->num & 2) ? 1 : 0);
	path = xasprintf("/containers/%s%s%s", ac->ename, def->path,
	                 query != NULL ? query : "");
	req = docker_http_start(d->http, def->method, path, def->flags, NULL,
	                        docker_on_action, ac);
	docker_http_set_cleanup(req, docker_action_free);
	docker_http_set_timeout(d->http, saved);
	free(path);
	free(query);
}

/*
 * Start a container action on id (or name). num: stop/restart timeout in
 * seconds (0 = the container's own grace), remove flags (bit 0 force,
 * bit 1 volumes). The result arrives as a message. Returns -1 when it
 * cannot be sent.
 */
int
docker_action(struct docker *d, enum engine_cmd_type type, const char *id,
              long long num)
{
	const struct docker_action_def *def = NULL;
	struct docker_action_call *ac;
	size_t i;

	for (i = 0; i < nitems(docker_actions); i++) {
		if (docker_actions[i].type == type)
			def = &docker_actions[i];
	}
	if (def == NULL || id == NULL || *id == '\0')
		return -1;
	if (d->conn != MODEL_CONN_UP) {
		docker_msg(d, 2, "cannot %s %s: %s", def->verb, id,
		           d->error != NULL ? d->error
		                            : "Docker is not connected");
		return -1;
	}
	/* "../x" is no container; the daemon would only redirect it. */
	if (!docker_name_valid(id)) {
		d->nunknown++;
		docker_msg(d, 2, "cannot %s %s: no such container", def->verb,
		           id);
		return -1;
	}
	ac = xcalloc(1, sizeof *ac);
	ac->d = d;
	ac->def = def;
	ac->num = num;
	ac->name = xstrdup(docker_name_of(d, id));
	ac->ename = docker_http_escape(id);
	ac->before.stop_timeout = -1;
	d->nactions++;
	if (def->grace)
		docker_action_inspect(ac, docker_on_action_before);
	else
		docker_action_send(ac);
	return 0;
}

/* ---- logs ------------------------------------------------------------ */

/*
 * A chatty container must not make the engine copy the log buffer into a
 * snapshot for every line: publish new lines at most every
 * DOCKER_LOG_PUBLISH_MS (the rest go with the next one, on a timer).
 */
static void
docker_logs_changed(struct docker *d)
{
	uint64_t now = util_mono_ms();

	if (now >= d->logs.published + DOCKER_LOG_PUBLISH_MS) {
		d->logs.published = now;
		d->logs.unpublished = 0;
		docker_changed(d);
	} else
		d->logs.unpublished = 1;
}

static void
docker_log_line(void *arg, int stream, const char *line, size_t len)
{
	struct docker *d = arg;

	if (d->line_hook != NULL)
		d->line_hook(d->line_arg, stream, line, len);
	else
		docker_logbuf_push(&d->logs.buf, stream, line, len);
	d->logs.seq++;
	docker_logs_changed(d);
}

/* Send log lines to fn instead of the buffer (the CLI prints them). */
void
docker_set_line_hook(struct docker *d, docker_line_cb fn, void *arg)
{
	d->line_hook = fn;
	d->line_arg = arg;
}

static int
docker_on_logs_data(struct docker_req *r, const char *p, size_t len)
{
	struct docker *d = r->arg;

	d->logs.last_data = util_mono_ms();
	if (docker_demux_feed(&d->logs.demux, p, len, docker_log_line, d) !=
	    0) {
		free(d->logs.error);
		d->logs.error = xstrdup("Docker sent a broken log stream "
		                        "(not multiplexed frames)");
		docker_msg(d, 2, "logs: %s", d->logs.error);
		return -1;
	}
	return 0;
}

static void
docker_on_logs_done(struct docker_req *r)
{
	struct docker *d = r->arg;

	d->logs.stream = NULL;
	docker_demux_flush(&d->logs.demux, docker_log_line, d);
	d->logs.active = 0;
	if (r->error != NULL && d->logs.error == NULL) {
		d->logs.error = xstrdup(r->error);
		if (d->engine == NULL)
			docker_msg(d, 2, "logs: %s", r->error);
		else
			d->nerrors++;
	}
	docker_changed(d);
}

static void
docker_on_logs_inspect(struct docker_req *r)
{
	struct docker *d = r->arg;
	struct docker_ct *ct;
	char *id = NULL, *cause = NULL, *path;
	int tty = 0;

	d->logs.inspect = NULL;
	if (r->error != NULL) {
		if (r->status == 404)
			d->nunknown++;
		d->logs.error = xstrdup(r->error);
		d->logs.active = 0;
		docker_msg(d, 2, "logs: %s", r->error);
		return;
	}
	if (docker_json_inspect(r->body, r->len, &id, &tty, NULL, &cause) !=
	    0) {
		d->logs.error = cause;
		d->logs.active = 0;
		docker_msg(d, 2, "logs: %s", cause);
		return;
	}
	free(d->logs.id);
	d->logs.id = id;
	d->logs.tty = tty;
	if ((ct = docker_find(d, id)) != NULL) {
		free(d->logs.name);
		d->logs.name = xstrdup(ct->c.name);
	}
	docker_demux_init(&d->logs.demux, tty);
	path = d->logs.tail >= 0
	           ? xasprintf("/containers/%s/logs?stdout=1&stderr=1&"
	                       "follow=%d&timestamps=%d&tail=%lld",
	                       id, d->logs.follow, d->logs.timestamps,
	                       d->logs.tail)
	           : xasprintf("/containers/%s/logs?stdout=1&stderr=1&"
	                       "follow=%d&timestamps=%d&tail=all",
	                       id, d->logs.follow, d->logs.timestamps);
	d->logs.stream = docker_http_start(
	    d->http, "GET", path, d->logs.follow ? DOCKER_HTTP_STREAM : 0,
	    docker_on_logs_data, docker_on_logs_done, d);
	free(path);
	docker_changed(d);
}

/*
 * Read a container's logs (tail lines, -1 = all), following them when
 * follow is set, into the bounded buffer (or the line hook). Replaces
 * any logs being read.
 */
int
docker_logs_start(struct docker *d, const char *id, long long tail, int follow,
                  int timestamps)
{
	char *e, *path;

	docker_logs_stop(d);
	if (d->conn != MODEL_CONN_UP || id == NULL || *id == '\0') {
		docker_msg(d, 2, "logs: %s",
		           d->error != NULL ? d->error
		                            : "Docker is not connected");
		return -1;
	}
	if (!docker_name_valid(id)) {
		d->nunknown++;
		docker_msg(d, 2, "logs: no such container: %s", id);
		return -1;
	}
	d->logs.id = xstrdup(id);
	d->logs.name = xstrdup(docker_name_of(d, id));
	d->logs.tail = tail;
	d->logs.follow = follow;
	d->logs.timestamps = timestamps;
	d->logs.active = 1;
	docker_logbuf_clear(&d->logs.buf);
	docker_logbuf_init(&d->logs.buf, DOCKER_LOG_LINES, DOCKER_LOG_BYTES,
	                   timestamps);
	e = docker_http_escape(id);
	path = xasprintf("/containers/%s/json", e);
	d->logs.inspect = docker_http_start(d->http, "GET", path, 0, NULL,
	                                    docker_on_logs_inspect, d);
	free(path);
	free(e);
	docker_changed(d);
	return 0;
}

void
docker_logs_stop(struct docker *d)
{
	if (d->http != NULL) {
		docker_cancel(d, &d->logs.inspect);
		docker_cancel(d, &d->logs.stream);
	}
	docker_demux_clear(&d->logs.demux);
	free(d->logs.id);
	free(d->logs.name);
	free(d->logs.error);
	d->logs.id = d->logs.name = d->logs.error = NULL;
	d->logs.active = 0;
	d->logs.unpublished = 0;
	docker_logbuf_clear(&d->logs.buf);
	docker_logbuf_init(&d->logs.buf, DOCKER_LOG_LINES, DOCKER_LOG_BYTES, 0);
	docker_changed(d);
}

/* ---- the component --------------------------------------------------- */

/* One refresh: connect or check liveness, resync if needed, stats. */
void
docker_refresh(struct docker *d)
{
	if (d->http == NULL)
		return;
	if (d->conn != MODEL_CONN_UP) {
		if (util_mono_ms() >= d->retry_at)
			docker_connect(d);
		return;
	}
	if (!d->live)
		return;
	docker_connect(d); /* liveness */
	if (d->no_events && d->events != NULL &&
	    util_mono_ms() >= d->events_started + DOCKER_EVENTS_GOOD_MS) {
		d->no_events = 0; /* the stream is back and stays */
		docker_changed(d);
	}
	if (d->no_events && !d->resync) {
		if (d->events == NULL && util_mono_ms() >= d->events_retry_at)
			docker_events_start(d);
		if (d->list_req == NULL)
			d->list_req = docker_http_start(
			    d->http, "GET", "/containers/json?all=1", 0, NULL,
			    docker_on_list, d);
	} else if (d->events == NULL || d->resync)
		docker_sync(d);
	if (d->loaded)
		docker_stats_refresh(d);
}

/*
 * A full refresh, as after a reconnect: the list again, liveness and
 * stats (the benchmark times this).
 */
void
docker_refresh_full(struct docker *d)
{
	if (d->http != NULL && d->conn == MODEL_CONN_UP && d->list_req == NULL)
		d->list_req =
		    docker_http_start(d->http, "GET", "/containers/json?all=1",
		                      0, NULL, docker_on_list, d);
	docker_refresh(d);
}

static int
docker_pending(void *arg)
{
	struct docker *d = arg;

	if (d->http == NULL)
		return 0;
	if (d->conn != MODEL_CONN_UP)
		return d->ping != NULL;
	return d->version_req != NULL || d->info_req != NULL ||
	       d->list_req != NULL || d->nactions > 0 ||
	       d->logs.inspect != NULL ||
	       (d->engine == NULL && d->logs.stream != NULL) ||
	       (d->wait_stats && d->nstats > 0);
}

/*
 * Drive the transfers from the calling thread (CLI) until nothing the
 * caller waits for is in flight or timeout_ms passed. Returns 0 when done.
 */
int
docker_wait(struct docker *d, uint64_t timeout_ms)
{
	uint64_t deadline = util_mono_ms() + timeout_ms;
	struct pollfd pfd[256];
	int n, t;

	while (docker_pending(d)) {
		uint64_t now = util_mono_ms();

		if (now >= deadline)
			return -1;
		t = deadline - now > 1000 ? 1000 : (int)(deadline - now);
		n = docker_http_prepare(d->http, pfd, (int)nitems(pfd), &t);
		if (poll(pfd, (nfds_t)n, t) == -1 && errno != EINTR)
			return -1;
		docker_http_dispatch(d->http, pfd, n);
	}
	return 0;
}

/*
 * Live mode for the CLI (berth ps --watch, berth stats): the events
 * stream, liveness pings and stats, as the engine component has them.
 * With wait_stats, docker_wait() also waits for stats calls.
 */
void
docker_set_live(struct docker *d, int wait_stats)
{
	d->live = 1;
	d->wait_stats = wait_stats;
}

/* Nonzero once if anything changed since the last call. */
int
docker_take_dirty(struct docker *d)
{
	int dirty = d->dirty;

	d->dirty = 0;
	return dirty;
}

/* One pass of a CLI loop: poll the transfers for at most max_ms. */
void
docker_poll(struct docker *d, int max_ms)
{
	struct pollfd pfd[256];
	int n, t = max_ms;

	if (d->http == NULL) {
		poll(NULL, 0, max_ms);
		return;
	}
	n = docker_prepare(d, pfd, (int)nitems(pfd), &t);
	if (poll(pfd, (nfds_t)n, t < 0 ? max_ms : t) == -1 && errno != EINTR)
		return;
	docker_dispatch(d, pfd, n);
}

/*
 * Check the daemon is alive (a /_ping on its own connection): a stream
 * such as followed logs has no total timeout of its own. A failed ping
 * marks the daemon down and ends the streams with the reason.
 */
void
docker_ping(struct docker *d)
{
	if (d->conn == MODEL_CONN_UP)
		docker_connect(d);
}

/* Something the CLI waits for is still in flight. */
int
docker_busy(struct docker *d)
{
	return docker_pending(d);
}

/* Where this object talks to (owned by it). */
const struct endpoint *
docker_endpoint(const struct docker *d)
{
	return &d->ep;
}

/*
 * What a sync fetches (DOCKER_WANT_*; both by default): a CLI command
 * asks only for what it shows, so it cannot fail on something else.
 */
void
docker_set_want(struct docker *d, int want)
{
	d->want = want;
}

/* Actions and logs that failed because the container does not exist. */
int
docker_unknown(const struct docker *d)
{
	return d->nunknown;
}

/* Why the last stats call gave no figures, or NULL. */
const char *
docker_stats_error(const struct docker *d)
{
	return d->stats_error;
}

/* Errors reported so far (the CLI's exit status). */
int
docker_errors(const struct docker *d)
{
	return d->nerrors;
}

/* Copy the component's state into a snapshot's Docker part. */
void
docker_fill_docker(struct docker *d, struct model_docker *md)
{
	size_t i;

	model_docker_clear(md);
	model_docker_copy(md, &d->facts);
	md->conn = d->conn;
	md->no_events = d->no_events;
	md->error = d->error != NULL ? xstrdup(d->error) : NULL;
	md->endpoint = xstrdup(d->ep.host != NULL ? d->ep.host : "");
	md->source = xstrdup(d->ep.source != NULL ? d->ep.source : "");
	if (d->http != NULL && docker_http_version(d->http)[0] != '\0') {
		free(md->api_version);
		md->api_version = xstrdup(docker_http_version(d->http));
	}
	md->stats_source =
	    d->stats_source != NULL ? xstrdup(d->stats_source) : NULL;
	if (d->loaded) {
		md->running = md->paused = md->stopped = 0;
		md->containers = xcalloc(d->ncts + 1, sizeof *md->containers);
		for (i = 0; i < d->ncts; i++) {
			const char *st = d->cts[i].c.state;

			model_container_copy(&md->containers[i], &d->cts[i].c);
			if (strcmp(st, "running") == 0)
				md->running++;
			else if (strcmp(st, "paused") == 0)
				md->paused++;
			else
				md->stopped++;
		}
		md->ncontainers = d->ncts;
	}
	docker_logbuf_fill(&d->logs.buf, &md->logs);
	md->logs.id = d->logs.id != NULL ? xstrdup(d->logs.id) : NULL;
	md->logs.name = d->logs.name != NULL ? xstrdup(d->logs.name) : NULL;
	md->logs.error = d->logs.error != NULL ? xstrdup(d->logs.error) : NULL;
	md->logs.following = d->logs.stream != NULL && d->logs.follow;
	md->logs.tty = d->logs.tty;
	md->logs.seq = d->logs.seq;
}

static void *
docker_create(struct engine *e, const struct profile *p)
{
	return docker_open(e, p);
}

static void
docker_destroy(void *arg)
{
	docker_close(arg);
}

/*
 * A container that logs without pause would wake the engine for every
 * few lines (the daemon writes each frame on its own). While the stream
 * is busy, leave its socket out of the poll for DOCKER_LOG_BATCH_MS so
 * the kernel gathers the data and libcurl reads it in one go.
 */
static void
docker_logs_batch(struct docker *d, struct pollfd *pfd, int n, int *timeout)
{
	uint64_t now, until;
	int fd, i, left;

	if (d->logs.stream == NULL || d->logs.last_data == 0)
		return;
	now = util_mono_ms();
	until = d->logs.last_data + DOCKER_LOG_BATCH_MS;
	if (now >= until || (fd = docker_http_req_fd(d->logs.stream)) < 0)
		return;
	for (i = 0; i < n; i++) {
		if (pfd[i].fd == fd)
			pfd[i].events = 0;
	}
	left = (int)(until - now);
	if (*timeout < 0 || left < *timeout)
		*timeout = left;
}

static int
docker_prepare(void *arg, struct pollfd *pfd, int max, int *timeout)
{
	struct docker *d = arg;
	int n;

	if (d->http == NULL)
		return 0;
	if (d->conn != MODEL_CONN_UP && d->ping == NULL && d->retry_at != 0) {
		uint64_t now = util_mono_ms();
		int left = d->retry_at > now ? (int)(d->retry_at - now) : 0;

		if (*timeout < 0 || left < *timeout)
			*timeout = left;
	}
	if (d->recheck_at != 0) {
		uint64_t now = util_mono_ms();
		int left = d->recheck_at > now ? (int)(d->recheck_at - now) : 0;

		if (*timeout < 0 || left < *timeout)
			*timeout = left;
	}
	if (d->logs.unpublished) {
		uint64_t now = util_mono_ms();
		uint64_t at = d->logs.published + DOCKER_LOG_PUBLISH_MS;
		int left = at > now ? (int)(at - now) : 0;

		if (*timeout < 0 || left < *timeout)
			*timeout = left;
	}
	n = docker_http_prepare(d->http, pfd, max, timeout);
	docker_logs_batch(d, pfd, n, timeout);
	return n;
}

static void
docker_dispatch(void *arg, const struct pollfd *pfd, int n)
{
	struct docker *d = arg;

	if (d->http == NULL)
		return;
	docker_http_dispatch(d->http, pfd, n);
	docker_recheck_run(d);
	if (d->logs.unpublished)
		docker_logs_changed(d);
	/* Reconnect on the backoff timer, not only on the refresh tick. */
	if (d->conn != MODEL_CONN_UP && d->ping == NULL &&
	    util_mono_ms() >= d->retry_at)
		docker_connect(d);
}

static void
docker_tick(void *arg)
{
	docker_refresh(arg);
}

static int
docker_command(void *arg, const struct engine_cmd *cmd)
{
	struct docker *d = arg;

	switch (cmd->type) {
	case ENGINE_CMD_CT_START:
	case ENGINE_CMD_CT_STOP:
	case ENGINE_CMD_CT_RESTART:
	case ENGINE_CMD_CT_KILL:
	case ENGINE_CMD_CT_PAUSE:
	case ENGINE_CMD_CT_UNPAUSE:
	case ENGINE_CMD_CT_REMOVE:
		docker_action(d, cmd->type, cmd->arg, cmd->num);
		return 1;
	case ENGINE_CMD_CT_LOGS:
		/* num = tail (0: 200); arg2 "timestamps" asks for them. */
		docker_logs_start(d, cmd->arg, cmd->num > 0 ? cmd->num : 200, 1,
		                  cmd->arg2 != NULL &&
		                      strstr(cmd->arg2, "timestamps") != NULL);
		return 1;
	case ENGINE_CMD_CT_LOGS_STOP:
		docker_logs_stop(d);
		return 1;
	case ENGINE_CMD_CT_VISIBLE:
		docker_set_visible(d, cmd->arg);
		return 1;
	case ENGINE_CMD_REFRESH:
		d->resync = 1;
		return 0;
	default:
		return 0;
	}
}

static void
docker_fill(void *arg, struct model *m)
{
	struct docker *d = arg;

	docker_fill_docker(d, &m->docker);
	/*
	 * A forwarded socket has no daemon behind it while the VM is down:
	 * say that rather than a connect error. The VM component fills the
	 * snapshot first (engine_components[] order).
	 */
	if (d->ep.from_vm && m->docker.conn != MODEL_CONN_UP &&
	    m->vm.conn == MODEL_CONN_UP && model_vm_stopped(m->vm.state)) {
		free(m->docker.error);
		m->docker.error = xstrdup(MODEL_VM_NOT_RUNNING);
	}
}

const struct engine_component docker_component = {
    .name = "docker",
    .create = docker_create,
    .destroy = docker_destroy,
    .prepare = docker_prepare,
    .dispatch = docker_dispatch,
    .tick = docker_tick,
    .command = docker_command,
    .fill = docker_fill,
    .pending = docker_pending,
};
