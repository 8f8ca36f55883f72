/*
 * socket-ports.c: containers' published ports on the host's 127.0.0.1. The
 * forward's supervisor runs this while its ssh is up: it follows the
 * guest daemon's container start/die events through the forwarded
 * socket (the Docker backend's HTTP client), lists the running
 * containers' published ports after each burst, and adds or cancels
 * `-L 127.0.0.1:P:GUEST:P` on ssh's control master (through the ctl
 * callback the forward gives, so ports never call back into the forward),
 * so every port rides the one supervised connection. A host port already
 * taken is kept in the list with why, and tried again later; UDP ports
 * are listed as not forwarded (ssh carries TCP only).
 */

#include "config.h"

#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "docker/docker.h"
#include "socket/socket.h"

#define PORTS_RELIST_MS       30000 /* list again even without an event */
#define PORTS_RETRY_MS        5000  /* a port that failed is tried again */
#define PORTS_EVENTS_RETRY_MS 2000  /* an ended event stream, reopened */

struct pfwd {
	int host_port;
	int container_port;
	char *guest_ip; /* where the guest listens, for -L */
	char *proto;
	char *container;
	int active; /* ssh forwards it */
	int want;   /* the last list has it */
	int unsure; /* a forward request failed: ssh may have made it */
	char *error;
	uint64_t next_try;
};

struct ports {
	ports_ctl_fn ctl; /* adds or cancels a -L on the forward's ssh */
	void *ctl_arg;
	char *socket;
	struct docker_http *http;
	struct docker_req *events;
	uint64_t events_next; /* an ended stream is opened again from then */
	struct docker_req *list;
	int list_due;
	uint64_t next_list;
	int up;
	struct pfwd *v;
	size_t n;
};

static void ports_events_done(struct docker_req *);
static int ports_events_data(struct docker_req *, const char *, size_t);
static void ports_list_done(struct docker_req *);

/*
 * Ports for the forward whose host socket is socket_path; ctl(ctl_arg, ...)
 * adds or cancels a port forward on its ssh.
 */
struct ports *
ports_new(const char *socket_path, ports_ctl_fn ctl, void *ctl_arg)
{
	struct ports *p = xcalloc(1, sizeof *p);

	p->ctl = ctl;
	p->ctl_arg = ctl_arg;
	p->socket = xstrdup(socket_path);
	return p;
}

static void
ports_entry_free(struct pfwd *e)
{
	free(e->guest_ip);
	free(e->proto);
	free(e->container);
	free(e->error);
}

static char *
ports_spec(const struct pfwd *e)
{
	return xasprintf("127.0.0.1:%d:%s:%d", e->host_port, e->guest_ip,
	                 e->host_port);
}

/* Drop the HTTP client (its requests go with it). */
static void
ports_disconnect(struct ports *p)
{
	if (p->http != NULL)
		docker_http_free(p->http);
	p->http = NULL;
	p->events = NULL;
	p->list = NULL;
}

void
ports_free(struct ports *p)
{
	size_t i;

	if (p == NULL)
		return;
	ports_disconnect(p);
	for (i = 0; i < p->n; i++)
		ports_entry_free(&p->v[i]);
	free(p->v);
	free(p->socket);
	free(p);
}

static int
ports_events_data(struct docker_req *r, const char *buf, size_t len)
{
	struct ports *p = r->arg;

	(void)buf;
	(void)len;
	/* Any start or die: list again (one list covers a burst). */
	p->list_due = 1;
	return 0;
}

static void
ports_events_done(struct docker_req *r)
{
	struct ports *p = r->arg;

	p->events = NULL;
	p->list_due = 1;
	/* A daemon that ends the stream at once is not asked again at once. */
	p->events_next = util_mono_ms() + PORTS_EVENTS_RETRY_MS;
}

/* Whether something on the host already listens on 127.0.0.1:port. */
static int
ports_host_taken(int port)
{
	struct sockaddr_in sin;
	int fd, rc, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return 0;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rc = bind(fd, (struct sockaddr *)&sin, sizeof sin);
	close(fd);
	return rc != 0 && errno == EADDRINUSE;
}

/* Bring ssh's forwards in line with what the last list wants. */
static void
ports_apply(struct ports *p)
{
	uint64_t now = util_mono_ms();
	char *spec, *cause = NULL;
	size_t i, j;

	for (i = 0; i < p->n; i++) {
		struct pfwd *e = &p->v[i];

		if (e->want || (!e->active && !e->unsure))
			continue;
		spec = ports_spec(e);
		p->ctl(p->ctl_arg, "cancel", spec, NULL);
		free(spec);
		e->active = 0;
		e->unsure = 0;
	}
	for (i = 0, j = 0; i < p->n; i++) {
		if (!p->v[i].want) {
			ports_entry_free(&p->v[i]);
			continue;
		}
		p->v[j++] = p->v[i];
	}
	p->n = j;
	for (i = 0; i < p->n; i++) {
		struct pfwd *e = &p->v[i];

		if (e->active || strcmp(e->proto, "tcp") != 0 ||
		    now < e->next_try)
			continue;
		free(e->error);
		e->error = NULL;
		spec = ports_spec(e);
		if (e->unsure) {
			/*
			 * The last request failed late (a timeout under load):
			 * the master may have bound the port all the same, and
			 * its listener would read as "in use on the host".
			 */
			p->ctl(p->ctl_arg, "cancel", spec, NULL);
			e->unsure = 0;
		}
		if (ports_host_taken(e->host_port)) {
			e->error = xasprintf("127.0.0.1:%d is already in use "
			                     "on the host",
			                     e->host_port);
			e->next_try = now + PORTS_RETRY_MS;
			free(spec);
			continue;
		}
		if (p->ctl(p->ctl_arg, "forward", spec, &cause) == 0)
			e->active = 1;
		else {
			e->error = cause;
			cause = NULL;
			e->unsure = 1;
			e->next_try = now + PORTS_RETRY_MS;
		}
		free(spec);
	}
}

/* The list of running containers: who publishes which port. */
static void
ports_list_done(struct docker_req *r)
{
	struct ports *p = r->arg;
	struct model_container *c = NULL;
	const struct model_port *mp;
	const char *ip;
	size_t n = 0, i, j, k;
	char *cause = NULL;

	p->list = NULL;
	if (r->error != NULL || r->body == NULL ||
	    docker_json_containers(r->body, r->len, &c, &n, &cause) != 0) {
		free(cause);
		p->next_list = util_mono_ms() + PORTS_RETRY_MS;
		return;
	}
	for (i = 0; i < p->n; i++)
		p->v[i].want = 0;
	for (i = 0; i < n; i++) {
		for (j = 0; j < c[i].nports; j++) {
			mp = &c[i].ports[j];
			if (mp->public_port <= 0 || mp->proto == NULL)
				continue;
			/* Published on every address (or v6 any): reach it
			 * on the guest's loopback; a v4 address as is. */
			ip = mp->ip;
			if (ip == NULL || *ip == '\0' ||
			    strcmp(ip, "0.0.0.0") == 0 || strcmp(ip, "::") == 0)
				ip = "127.0.0.1";
			else if (strchr(ip, ':') != NULL)
				continue;
			for (k = 0; k < p->n; k++)
				if (p->v[k].host_port == mp->public_port &&
				    strcmp(p->v[k].proto, mp->proto) == 0)
					break;
			if (k < p->n && p->v[k].want)
				continue; /* its v6 twin */
			if (k == p->n) {
				p->v =
				    xreallocarray(p->v, p->n + 1, sizeof *p->v);
				memset(&p->v[k], 0, sizeof p->v[k]);
				p->v[k].host_port = mp->public_port;
				p->v[k].proto = xstrdup(mp->proto);
				p->v[k].guest_ip = xstrdup(ip);
				p->n++;
			}
			p->v[k].want = 1;
			p->v[k].container_port = mp->private_port;
			free(p->v[k].container);
			p->v[k].container =
			    xstrdup(c[i].name != NULL ? c[i].name : c[i].id);
		}
	}
	for (i = 0; i < n; i++)
		model_container_clear(&c[i]);
	free(c);
	ports_apply(p);
}

/*
 * Once per pass of the supervisor: with the forward up (up set), keep the
 * event stream open and list when something happened; with it down, every
 * forward went with ssh.
 */
void
ports_tick(struct ports *p, int up)
{
	struct endpoint ep;
	uint64_t now = util_mono_ms();
	char *host, *q, *path;
	size_t i;

	if (!up) {
		if (p->up) {
			ports_disconnect(p);
			for (i = 0; i < p->n; i++) {
				p->v[i].active = 0;
				p->v[i].next_try = 0;
			}
		}
		p->up = 0;
		return;
	}
	if (!p->up) {
		p->up = 1;
		p->list_due = 1;
	}
	if (p->http == NULL) {
		memset(&ep, 0, sizeof ep);
		host = xasprintf("unix://%s", p->socket);
		if (endpoint_parse_host(host, &ep, NULL) != 0) {
			free(host);
			return;
		}
		free(host);
		p->http = docker_http_new(&ep);
		endpoint_clear(&ep);
	}
	if (p->events == NULL && now >= p->events_next) {
		q = docker_http_escape("{\"type\":[\"container\"],\"event\":"
		                       "[\"start\",\"die\"]}");
		path = xasprintf("/events?filters=%s", q);
		p->events =
		    docker_http_start(p->http, "GET", path, DOCKER_HTTP_STREAM,
		                      ports_events_data, ports_events_done, p);
		free(path);
		free(q);
	}
	if (p->list == NULL && (p->list_due || now >= p->next_list)) {
		p->list_due = 0;
		p->next_list = now + PORTS_RELIST_MS;
		p->list = docker_http_start(p->http, "GET", "/containers/json",
		                            0, NULL, ports_list_done, p);
	}
	/* A port that failed is due again. */
	for (i = 0; i < p->n; i++)
		if (!p->v[i].active && p->v[i].error != NULL &&
		    now >= p->v[i].next_try) {
			ports_apply(p);
			break;
		}
}

/* The HTTP client's descriptors, and how soon a retry is due. */
int
ports_prepare(struct ports *p, struct pollfd *pfd, int max, int *timeout)
{
	uint64_t now = util_mono_ms();
	size_t i;
	int left;

	if (p->http == NULL)
		return 0;
	for (i = 0; i < p->n; i++)
		if (!p->v[i].active && p->v[i].error != NULL) {
			left = p->v[i].next_try > now
			           ? (int)(p->v[i].next_try - now)
			           : 0;
			if (*timeout < 0 || left < *timeout)
				*timeout = left;
		}
	if (p->list_due && (*timeout < 0 || *timeout > 0))
		*timeout = 0;
	return docker_http_prepare(p->http, pfd, max, timeout);
}

/* Run the HTTP client; up says whether the forward is up, as for tick. */
void
ports_dispatch(struct ports *p, const struct pollfd *pfd, int n, int up)
{
	if (p->http != NULL)
		docker_http_dispatch(p->http, pfd, n);
	ports_tick(p, up);
}

/* The list as forward.json carries it (a new reference). */
json_t *
ports_json(const struct ports *p)
{
	json_t *a = json_array(), *o;
	size_t i;

	for (i = 0; i < p->n; i++) {
		const struct pfwd *e = &p->v[i];
		const char *state;

		if (strcmp(e->proto, "tcp") != 0)
			state = "udp not forwarded";
		else if (e->active)
			state = "forwarded";
		else if (e->error != NULL)
			state = "error";
		else
			state = "pending";
		o = json_pack("{s:i, s:i, s:s, s:s?, s:s, s:s?}", "host_port",
		              e->host_port, "container_port", e->container_port,
		              "proto", e->proto, "container", e->container,
		              "state", state, "error", e->error);
		if (o != NULL)
			json_array_append_new(a, o);
	}
	return a;
}

/* forward.json's list into a snapshot's socket section. */
void
ports_fill(json_t *a, struct model_socket *s)
{
	json_t *o;
	size_t i;
	const char *v;

	for (i = 0; i < (size_t)s->nports; i++)
		model_fport_clear(&s->ports[i]);
	free(s->ports);
	s->ports = NULL;
	s->nports = 0;
	if (!json_is_array(a) || json_array_size(a) == 0)
		return;
	s->ports = xcalloc(json_array_size(a), sizeof *s->ports);
	json_array_foreach(a, i, o)
	{
		struct model_fport *mp = &s->ports[s->nports++];

		mp->host_port =
		    (int)json_integer_value(json_object_get(o, "host_port"));
		mp->container_port = (int)json_integer_value(
		    json_object_get(o, "container_port"));
		if ((v = json_string_value(json_object_get(o, "proto"))) !=
		    NULL)
			mp->proto = util_sanitize_dup(v, strlen(v));
		if ((v = json_string_value(json_object_get(o, "container"))) !=
		    NULL)
			mp->container = util_sanitize_dup(v, strlen(v));
		if ((v = json_string_value(json_object_get(o, "state"))) !=
		    NULL)
			mp->state = util_sanitize_dup(v, strlen(v));
		if ((v = json_string_value(json_object_get(o, "error"))) !=
		    NULL)
			mp->error = util_sanitize_dup(v, strlen(v));
	}
}
