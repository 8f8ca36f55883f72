/*
 * docker.c: the Docker client that the engine component and the CLI share.
 * docker_open resolves the endpoint and makes the transport; each refresh
 * pings for liveness, resyncs when needed (docker-sync.c) and samples stats
 * of the running containers that are visible, from the host's cgroup files
 * when the daemon is local and through one-shot API calls otherwise, all at
 * once over the transport's multi handle. Actions (docker-actions.c) and
 * logs (docker-logs.c) are calls and streams on the same handle. When the
 * daemon stops answering, every call ends within its timeout and the pane
 * says "Docker is not responding".
 *
 * The CLI uses the same object without an engine (docker_open(NULL, …)):
 * it drives the transfers itself with docker_wait() and gets messages on
 * stdout/stderr instead of the message list. docker-component.c plugs it
 * into the engine.
 */

#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "docker/docker.h"

static void docker_guest_ids_clear(struct docker *);
static void docker_guest_poll(struct docker *, const struct pollfd *, int);

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
	else if (env != NULL && strcmp(env, "guest") == 0)
		d->stats_mode = DOCKER_STATS_GUEST;
	/* Docker in the guest: its cgroups are read there (docker-guest.c). */
	if (d->http != NULL && d->ep.forwarded &&
	    (d->stats_mode == DOCKER_STATS_AUTO ||
	     d->stats_mode == DOCKER_STATS_GUEST))
		d->guest = docker_guest_new(p);
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
	for (i = 0; i < d->nkept; i++)
		model_ct_event_clear(&d->kept[i]);
	model_docker_clear(&d->facts);
	docker_cgroup_clear(&d->cg);
	docker_guest_free(d->guest);
	docker_guest_ids_clear(d);
	endpoint_clear(&d->ep);
	free(d->ep_error);
	free(d->error);
	free(d->stats_error);
	free(d);
}

static int
docker_is_visible(struct docker *d, const char *id)
{
	size_t i;

	if (!d->visible_set)
		return 1;
	for (i = 0; i < d->nvisible; i++) {
		const char *v = d->visible[i] + (d->visible[i][0] == '+');

		if (strncmp(id, v, strlen(v)) == 0)
			return 1;
	}
	return 0;
}

/*
 * Does this container need every figure (limit, PIDs, network, block
 * I/O), or only the list's (CPU, memory used)? Every figure unless the
 * dashboard said brief, and then for the ids it marked "+ID" (the one
 * its inspect view shows).
 */
static int
docker_wants_full(struct docker *d, const char *id)
{
	size_t i;

	if (!d->brief)
		return 1;
	for (i = 0; i < d->nvisible; i++) {
		const char *v = d->visible[i] + 1;

		if (d->visible[i][0] == '+' && strncmp(id, v, strlen(v)) == 0)
			return 1;
	}
	return 0;
}

/*
 * Keep stats on these containers only (space-separated ids or prefixes,
 * "+ID" for one whose every figure is wanted while brief); NULL or "" =
 * all running containers.
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

/*
 * brief = 1: only the figures of the containers list (CPU %, memory
 * used) for the containers not marked "+ID" in the visible set; the
 * guest's reader then reads 3 files a container instead of 7 (cgroup
 * v2). The others stay unknown in the model (stats_brief). 0, the
 * default (the CLI): every figure. The host's cgroup files and the API
 * give every figure either way.
 */
void
docker_set_brief(struct docker *d, int brief)
{
	d->brief = brief;
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
	/* A forwarded daemon's containers are not this host's. */
	if (d->stats_mode == DOCKER_STATS_API ||
	    d->stats_mode == DOCKER_STATS_GUEST ||
	    (d->ep.forwarded && d->stats_mode != DOCKER_STATS_CGROUP))
		return 0;
	if (d->cg_state == 0) {
		docker_cgroup_clear(&d->cg);
		d->cg_state = docker_cgroup_init(&d->cg, NULL) == 0 ? 1 : -1;
		d->cg_misses = 0;
	}
	return d->cg_state == 1;
}

/* One one-shot stats call for a container. */
static void
docker_stats_api(struct docker *d, const char *id)
{
	struct docker_stats_call *sc;
	struct docker_req *req;
	char *path;

	sc = xcalloc(1, sizeof *sc);
	sc->d = d;
	snprintf(sc->id, sizeof sc->id, "%s", id);
	path = xasprintf("/containers/%s/stats?stream=false&one-shot=true", id);
	req = docker_http_start(d->http, "GET", path, 0, NULL, docker_on_stats,
	                        sc);
	docker_http_set_cleanup(req, free);
	free(path);
	d->nstats++;
}

static void
docker_guest_ids_clear(struct docker *d)
{
	size_t i;

	for (i = 0; i < d->nguest_ids; i++)
		free(d->guest_ids[i]);
	free(d->guest_ids);
	d->guest_ids = NULL;
	d->nguest_ids = 0;
}

/* A container asked of the guest's reader, without its "+" (full). */
static const char *
guest_id(const char *asked)
{
	return asked + (asked[0] == '+');
}

/* The reader failed: say why, and ask the API for what it was asked. */
static void
docker_guest_failed(struct docker *d, char *cause)
{
	size_t i;

	free(d->stats_error);
	d->stats_error = cause != NULL ? cause : xstrdup("guest reader failed");
	if (d->stats_mode == DOCKER_STATS_GUEST)
		return;
	for (i = 0; i < d->nguest_ids; i++)
		docker_stats_api(d, guest_id(d->guest_ids[i]));
	if (d->nguest_ids > 0)
		d->stats_source = "api";
}

/*
 * Ask the guest's reader for the running, visible containers, all in
 * one request, each "+ID" when every figure of it is wanted. -1 when it
 * cannot (the API is used instead).
 */
static int
docker_stats_guest(struct docker *d)
{
	char *cause = NULL;
	size_t i;

	docker_guest_ids_clear(d);
	for (i = 0; i < d->ncts; i++) {
		struct docker_ct *ct = &d->cts[i];

		if (strcmp(ct->c.state, "running") != 0 ||
		    !docker_is_visible(d, ct->c.id))
			continue;
		d->guest_ids = xreallocarray(d->guest_ids, d->nguest_ids + 1,
		                             sizeof *d->guest_ids);
		d->guest_ids[d->nguest_ids++] =
		    xasprintf("%s%s", docker_wants_full(d, ct->c.id) ? "+" : "",
		              ct->c.id);
	}
	if (d->nguest_ids == 0)
		return 0;
	if (docker_guest_request(d->guest, d->guest_ids, d->nguest_ids,
	                         &cause) != 0) {
		free(d->stats_error);
		d->stats_error = cause;
		return d->stats_mode == DOCKER_STATS_GUEST ? 0 : -1;
	}
	return 0;
}

/* The reader's answer is in: the figures of the containers asked for. */
static void
docker_guest_answered(struct docker *d)
{
	struct docker_sample cur;
	size_t i, found = 0;

	for (i = 0; i < d->nguest_ids; i++) {
		const char *id = guest_id(d->guest_ids[i]);

		if (docker_guest_sample(d->guest, id, id != d->guest_ids[i],
		                        &cur) != 0)
			continue;
		docker_stats_got(d, id, &cur);
		found++;
	}
	if (found > 0) {
		d->stats_source = "guest";
		d->guest_misses = 0;
		free(d->stats_error);
		d->stats_error = NULL;
		return;
	}
	/*
	 * None found: just stopped, or the guest's cgroups are laid out in
	 * a way the reader does not know. After three such answers the
	 * guest is given up for a while.
	 */
	if (d->nguest_ids > 0 && ++d->guest_misses >= 3) {
		d->guest_misses = 0;
		docker_guest_failed(d, xstrdup("the guest's stats reader finds "
		                               "no container cgroups"));
		docker_guest_pause(d->guest);
	}
}

/* Read the guest reader's answer, if one came. */
static void
docker_guest_poll(struct docker *d, const struct pollfd *pfd, int n)
{
	char *cause = NULL;
	int r = docker_guest_dispatch(d->guest, pfd, n, &cause);

	if (r == 1)
		docker_guest_answered(d);
	else if (r == -1)
		docker_guest_failed(d, cause);
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
	size_t i, tried = 0, found = 0;
	const char *source = NULL;

	if (d->nstats > 0 || docker_guest_busy(d->guest))
		return;
	if (docker_guest_usable(d->guest) && docker_stats_guest(d) == 0)
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
		docker_stats_api(d, ct->c.id);
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

int
docker_pending(void *arg)
{
	struct docker *d = arg;

	if (d->http == NULL)
		return 0;
	if (d->conn != MODEL_CONN_UP)
		return d->ping != NULL;
	return d->version_req != NULL || d->info_req != NULL ||
	       d->list_req != NULL || d->nactions > 0 || docker_logs_busy(d) ||
	       (d->wait_stats &&
	        (d->nstats > 0 || docker_guest_busy(d->guest)));
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
	int n, g, t;

	while (docker_pending(d)) {
		uint64_t now = util_mono_ms();

		if (now >= deadline)
			return -1;
		t = deadline - now > 1000 ? 1000 : (int)(deadline - now);
		n = docker_http_prepare(d->http, pfd, (int)nitems(pfd) - 1, &t);
		g = docker_guest_prepare(d->guest, pfd + n, 1, &t);
		if (poll(pfd, (nfds_t)(n + g), t) == -1 && errno != EINTR)
			return -1;
		docker_http_dispatch(d->http, pfd, n);
		docker_guest_poll(d, pfd, n + g);
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
	md->logs.following = docker_logs_streaming(d) && d->logs.follow;
	md->logs.tty = d->logs.tty;
	md->logs.seq = d->logs.seq;
	md->logs.merged = d->logs.merged;
	if (d->logs.merged && d->logs.nsrcs > 0) {
		md->logs.srcs = xcalloc(d->logs.nsrcs, sizeof *md->logs.srcs);
		md->logs.nsrcs = d->logs.nsrcs;
		for (i = 0; i < d->logs.nsrcs; i++)
			md->logs.srcs[i] = xstrdup(d->logs.srcs[i].name);
	}
	if (d->nkept > 0) {
		md->events = xcalloc(d->nkept, sizeof *md->events);
		for (i = 0; i < d->nkept; i++)
			model_ct_event_copy(&md->events[i], &d->kept[i]);
		md->nevents = d->nkept;
	}
}

int
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
	n = docker_http_prepare(d->http, pfd, max > 0 ? max - 1 : 0, timeout);
	docker_logs_batch(d, pfd, n, timeout);
	d->http_pfds = n; /* the guest reader's pipe comes after curl's */
	return n + docker_guest_prepare(d->guest, pfd + n, max - n, timeout);
}

void
docker_dispatch(void *arg, const struct pollfd *pfd, int n)
{
	struct docker *d = arg;

	if (d->http == NULL)
		return;
	docker_http_dispatch(d->http, pfd, n < d->http_pfds ? n : d->http_pfds);
	docker_guest_poll(d, pfd, n);
	docker_recheck_run(d);
	if (d->logs.unpublished)
		docker_logs_changed(d);
	/* Reconnect on the backoff timer, not only on the refresh tick. */
	if (d->conn != MODEL_CONN_UP && d->ping == NULL &&
	    util_mono_ms() >= d->retry_at)
		docker_connect(d);
}
