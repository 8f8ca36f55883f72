/*
 * view-inspect.c: the details of one container over the whole body: ids,
 * image, command, creation time, state, ports, compose labels and the
 * live figures. It reads the same snapshot as the table, so it updates
 * with every refresh. Esc or q goes back.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tui/dashboard.h"

struct view_inspect_data {
	char *id;
	int top;
};

int
view_inspect_open(struct dash *d, const char *id)
{
	struct view_inspect_data *v = xcalloc(1, sizeof *v);

	if (d->view != NULL)
		dash_close_view(d);
	v->id = xstrdup(id);
	d->view = &view_inspect;
	d->view_data = v;
	return DASH_LAYOUT | DASH_REDRAW;
}

/* The container the open view shows; NULL when it is not this view. */
const char *
view_inspect_id(const struct dash *d)
{
	const struct view_inspect_data *v = d->view_data;

	return d->view == &view_inspect && v != NULL ? v->id : NULL;
}

static const struct model_container *
view_inspect_find(const struct dash *d)
{
	const struct view_inspect_data *v = d->view_data;
	const struct model_docker *k = &d->model->docker;
	size_t i;

	for (i = 0; i < k->ncontainers; i++) {
		if (k->containers[i].id != NULL &&
		    strcmp(k->containers[i].id, v->id) == 0)
			return &k->containers[i];
	}
	return NULL;
}

static void
view_inspect_line(WINDOW *w, int *y, int rows, int top, int cols,
                  const char *key, const char *value)
{
	int row = *y - top;

	(*y)++;
	if (row < 1 || row >= rows)
		return;
	draw_text(w, row, 2, 16, theme_attr(THEME_DIM), key);
	draw_text(w, row, 19, cols - 20, theme_attr(THEME_DEFAULT),
	          value != NULL && *value != '\0' ? value : "—");
}

static void
view_inspect_draw(struct dash *d, WINDOW *w, int rows, int cols)
{
	struct view_inspect_data *v = d->view_data;
	const struct model_container *c = view_inspect_find(d);
	char buf[512], *a, *b;
	int y = 1;
	size_t i, o;
	time_t t;
	struct tm tm;

	draw_rule(w, 0, 0, cols, "Details", 1,
	          c != NULL && c->name != NULL ? c->name : v->id);
	if (c == NULL) {
		draw_text(w, 1, 2, cols - 3, theme_attr(THEME_STATUS_WARN),
		          "this container is gone");
		return;
	}
	view_inspect_line(w, &y, rows, v->top, cols, "name", c->name);
	view_inspect_line(w, &y, rows, v->top, cols, "id", c->id);
	view_inspect_line(w, &y, rows, v->top, cols, "image", c->image);
	view_inspect_line(w, &y, rows, v->top, cols, "command", c->command);
	t = (time_t)c->created;
	localtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
	view_inspect_line(w, &y, rows, v->top, cols, "created",
	                  c->created > 0 ? buf : NULL);
	view_inspect_line(w, &y, rows, v->top, cols, "state", c->state);
	view_inspect_line(w, &y, rows, v->top, cols, "status", c->status);
	o = 0;
	buf[0] = '\0';
	for (i = 0; i < c->nports && o < sizeof buf; i++)
		o += (size_t)snprintf(
		    buf + o, sizeof buf - o, "%s%s%s%d->%d/%s",
		    i > 0 ? ", " : "",
		    c->ports[i].ip != NULL ? c->ports[i].ip : "",
		    c->ports[i].ip != NULL ? ":" : "", c->ports[i].public_port,
		    c->ports[i].private_port,
		    c->ports[i].proto != NULL ? c->ports[i].proto : "tcp");
	view_inspect_line(w, &y, rows, v->top, cols, "ports", buf);
	view_inspect_line(w, &y, rows, v->top, cols, "compose project",
	                  c->project);
	view_inspect_line(w, &y, rows, v->top, cols, "compose service",
	                  c->service);
	if (c->has_stats) {
		snprintf(buf, sizeof buf, "%.1f %%", c->cpu_pct);
		view_inspect_line(w, &y, rows, v->top, cols, "cpu", buf);
		/*
		 * Right after the view opens the last sample may have the
		 * list's figures only (stats_brief): the others are "—"
		 * until the next refresh, the rates until the one after.
		 */
		a = units_format_size(c->mem_used);
		b = units_format_size(c->mem_limit);
		if (c->stats_brief)
			snprintf(buf, sizeof buf, "%s of —", a);
		else
			snprintf(buf, sizeof buf, "%s of %s (%.1f %%)", a, b,
			         c->mem_pct);
		free(a);
		free(b);
		view_inspect_line(w, &y, rows, v->top, cols, "memory", buf);
		snprintf(buf, sizeof buf, "%llu", (unsigned long long)c->pids);
		view_inspect_line(w, &y, rows, v->top, cols, "pids",
		                  c->stats_brief ? "—" : buf);
		snprintf(buf, sizeof buf, "rx %.0f B/s  tx %.0f B/s", c->rx_bps,
		         c->tx_bps);
		view_inspect_line(w, &y, rows, v->top, cols, "network",
		                  c->rates_unknown ? "—" : buf);
		snprintf(buf, sizeof buf, "read %.0f B/s  write %.0f B/s",
		         c->rd_bps, c->wr_bps);
		view_inspect_line(w, &y, rows, v->top, cols, "block I/O",
		                  c->rates_unknown ? "—" : buf);
		if (y - v->top < rows) {
			draw_text(w, y - v->top, 2, 16, theme_attr(THEME_DIM),
			          "cpu history");
			draw_sparkline(w, y - v->top, 19, cols - 21,
			               &c->cpu_hist, 0);
		}
		y++;
	} else
		view_inspect_line(w, &y, rows, v->top, cols, "stats",
		                  "none (not running, or not on screen)");
}

static int
view_inspect_back(struct dash *d)
{
	dash_close_view(d);
	return DASH_LAYOUT | DASH_REDRAW;
}

static int
view_inspect_up(struct dash *d)
{
	struct view_inspect_data *v = d->view_data;

	if (v->top > 0)
		v->top--;
	return DASH_REDRAW;
}

static int
view_inspect_down(struct dash *d)
{
	struct view_inspect_data *v = d->view_data;

	if (v->top < 20)
		v->top++;
	return DASH_REDRAW;
}

static int
view_inspect_top(struct dash *d)
{
	struct view_inspect_data *v = d->view_data;

	v->top = 0;
	return DASH_REDRAW;
}

static const struct dash_binding view_inspect_actions[] = {
    {ACT_VIEW_BACK, view_inspect_back},
    {ACT_UP, view_inspect_up},
    {ACT_DOWN, view_inspect_down},
    {ACT_TOP, view_inspect_top},
};

static void
view_inspect_close(struct dash *d)
{
	struct view_inspect_data *v = d->view_data;

	free(v->id);
	free(v);
}

const struct view view_inspect = {
    .name = "inspect",
    .title = "Details",
    .scope = KEY_SCOPE_NSCOPES,
    .draw = view_inspect_draw,
    .actions = view_inspect_actions,
    .nactions = nitems(view_inspect_actions),
    .close = view_inspect_close,
};
