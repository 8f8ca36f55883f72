/*
 * pane-socket.c: the Socket pane. The host socket the Docker CLI uses, how
 * it is provided (an ssh forward berth supervises, or none: a plain host
 * socket), its health and /_ping latency, API and engine versions, the
 * Docker context and whether it is current, the export line to paste and,
 * when containers publish ports, a Ports line: what the forward carries
 * to the host's 127.0.0.1 and what it could not. Keys: r re-creates the
 * forward, c toggles the context.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tui/dashboard.h"

static int
pane_socket_height(const struct dash *d)
{
	/* The Ports line only while there are ports to show. */
	return d->model != NULL && d->model->socket.nports > 0 ? 5 : 4;
}

/* "Ports 8080→80 web · 5432 in use (db) · 53/udp not forwarded" */
static void
pane_socket_ports(WINDOW *w, int y, int cols, const struct model_socket *s)
{
	int dim = theme_attr(THEME_DIM), def = theme_attr(THEME_DEFAULT);
	int err = theme_attr(THEME_STATUS_ERROR), x = 1, i;
	const struct model_fport *p;

	x += draw_text(w, y, x, cols - x - 1, dim, "Ports ");
	for (i = 0; i < s->nports && x < cols - 2; i++) {
		p = &s->ports[i];
		if (i > 0)
			x += draw_text(w, y, x, cols - x - 1, dim, " · ");
		if (p->proto != NULL && strcmp(p->proto, "tcp") != 0)
			x += draw_printf(w, y, x, cols - x - 1, dim,
			                 "%d/%s not forwarded", p->host_port,
			                 p->proto);
		else if (p->error != NULL)
			x += draw_printf(w, y, x, cols - x - 1, err, "%d: %s",
			                 p->host_port, p->error);
		else
			x += draw_printf(w, y, x, cols - x - 1, def, "%d→%d",
			                 p->host_port, p->container_port);
		if (p->container != NULL)
			x += draw_printf(w, y, x, cols - x - 1, dim, " %s",
			                 p->container);
	}
}

static void
pane_socket_draw(struct dash *d, WINDOW *w, int rows, int cols)
{
	const struct model_socket *s = &d->model->socket;
	const struct model_docker *k = &d->model->docker;
	int dim = theme_attr(THEME_DIM), def = theme_attr(THEME_DEFAULT);
	const char *path = s->path, *api, *engine;
	char *endpoint = NULL;
	int x, y = 1;

	draw_rule(w, 0, 0, cols, "3 Socket", dash_pane_focused(d, &pane_socket),
	          s->source);
	if (rows < 2)
		return;
	if (path == NULL && k->endpoint != NULL &&
	    strncmp(k->endpoint, "unix://", 7) == 0)
		path = k->endpoint + 7;
	x = 1;
	if (path == NULL) {
		draw_text(w, y, x, cols - 2, dim,
		          "not connected: no socket known yet");
		if (rows > 2)
			draw_text(w, y + 1, 1, cols - 2, dim,
			          "the socket, its health and DOCKER_HOST show "
			          "here");
		return;
	}
	x += draw_text(w, y, x, cols - x - 1, def, path);
	x += draw_printf(w, y, x, cols - x - 1, dim, "  (%s)",
	                 s->mode != NULL ? s->mode : "none");
	if (s->path != NULL) {
		x += draw_text(w, y, x, cols - x - 1,
		               theme_attr(s->healthy ? THEME_STATUS_OK
		                                     : THEME_STATUS_ERROR),
		               s->healthy ? "  healthy" : "  down");
		if (s->healthy)
			x += draw_printf(w, y, x, cols - x - 1, dim,
			                 " ping %.1f ms", s->ping_ms);
		else if (s->error != NULL)
			x += draw_printf(w, y, x, cols - x - 1,
			                 theme_attr(THEME_STATUS_ERROR), ": %s",
			                 s->error);
		if (s->restarts > 0)
			draw_printf(w, y, x, cols - x - 1, dim,
			            "  restarted %d×", s->restarts);
	} else
		draw_text(w, y, x, cols - x - 1,
		          theme_attr(k->conn == MODEL_CONN_UP
		                         ? THEME_STATUS_OK
		                         : THEME_STATUS_ERROR),
		          k->conn == MODEL_CONN_UP ? "  answering" : "  down");
	if (++y >= rows)
		return;
	api = s->api_version != NULL ? s->api_version : k->api_version;
	engine = s->engine_version != NULL ? s->engine_version : k->version;
	x = 1;
	x += draw_text(w, y, x, cols - x - 1, dim, "API ");
	x += draw_text(w, y, x, cols - x - 1, def, api != NULL ? api : "—");
	x += draw_text(w, y, x, cols - x - 1, dim, "  engine ");
	x += draw_text(w, y, x, cols - x - 1, def,
	               engine != NULL ? engine : "—");
	x += draw_text(w, y, x, cols - x - 1, dim, "  context ");
	x += draw_text(w, y, x, cols - x - 1, def,
	               s->context != NULL ? s->context : "—");
	if (s->context != NULL)
		draw_text(w, y, x, cols - x - 1, dim,
		          s->context_current ? " (current)" : " (not current)");
	if (++y >= rows)
		return;
	endpoint = xasprintf("export DOCKER_HOST=unix://%s", path);
	draw_text(w, y, 1, cols - 2, theme_attr(THEME_KEY_LABEL) | def,
	          endpoint);
	free(endpoint);
	if (++y >= rows || s->nports == 0)
		return;
	pane_socket_ports(w, y, cols, s);
}

static int
pane_socket_restart(struct dash *d)
{
	dash_set_status(d, 0, "re-creating the socket forward");
	return dash_send(d, ENGINE_CMD_SOCKET_RESTART, NULL, NULL, 0);
}

static int
pane_socket_context(struct dash *d)
{
	return dash_send(d, ENGINE_CMD_CONTEXT_TOGGLE, NULL, NULL, 0);
}

static const struct dash_binding pane_socket_actions[] = {
    {ACT_SOCKET_RESTART, pane_socket_restart},
    {ACT_CONTEXT_TOGGLE, pane_socket_context},
};

const struct pane pane_socket = {
    .name = "socket",
    .title = "Socket",
    .scope = KEY_SCOPE_SOCKET,
    .height = pane_socket_height,
    .draw = pane_socket_draw,
    .actions = pane_socket_actions,
    .nactions = nitems(pane_socket_actions),
};
