/*
 * docker-actions.c: container actions (start, stop, restart, kill, pause,
 * unpause, remove) as calls on the transport. A stop or restart first
 * reads the container's state (its own stop grace sets the deadline), and
 * an action whose answer came late is checked again before it is called
 * a failure.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "docker/docker.h"

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
