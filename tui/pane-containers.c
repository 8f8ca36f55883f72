/*
 * pane-containers.c: the Containers pane. A table (name, image, state,
 * CPU %, memory, ports, uptime) that can be filtered (/), sorted (o, O)
 * and grouped by compose project (c). Actions on the selected container:
 * s start, S stop (asks), r restart, d remove (asks), l logs, P its
 * compose project's logs merged, y copy its id, Enter details.
 */

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "docker/docker.h"
#include "tui/dashboard.h"

enum pane_containers_sort {
	CT_SORT_NAME,
	CT_SORT_STATE,
	CT_SORT_CPU,
	CT_SORT_MEM,
	CT_SORT_UPTIME,
	CT_SORT_N
};

/* The pane's own state (struct pane's create): no one else touches it. */
struct pane_containers_data {
	int sel, top;
	char *sel_id; /* keeps the selection across refreshes */
	char *filter;
	enum pane_containers_sort sort;
	int reverse;
	int group;
	char *visible_ids; /* last ENGINE_CMD_CT_VISIBLE sent */
	char *rows_ids;    /* the rows' part of it */
};

static const char *const pane_containers_sorts[CT_SORT_N] = {
    [CT_SORT_NAME] = "name",     [CT_SORT_STATE] = "state",
    [CT_SORT_CPU] = "cpu",       [CT_SORT_MEM] = "memory",
    [CT_SORT_UPTIME] = "uptime",
};

/* qsort has no context argument everywhere; the UI thread sorts alone. */
static const struct pane_containers_data *pane_containers_sorting;

static struct pane_containers_data *
pane_containers_data(const struct dash *d)
{
	return dash_pane_data(d, &pane_containers);
}

static void *
pane_containers_create(void)
{
	return xcalloc(1, sizeof(struct pane_containers_data));
}

static void
pane_containers_free(void *data)
{
	struct pane_containers_data *ct = data;

	free(ct->sel_id);
	free(ct->filter);
	free(ct->visible_ids);
	free(ct->rows_ids);
	free(ct);
}

/* A new profile: the rows and what the engine samples start over. */
static void
pane_containers_reset(struct dash *d)
{
	struct pane_containers_data *ct = pane_containers_data(d);

	ct->sel = ct->top = 0;
	free(ct->visible_ids);
	ct->visible_ids = NULL;
	free(ct->rows_ids);
	ct->rows_ids = NULL;
}

static int
pane_containers_height(const struct dash *d)
{
	(void)d;
	return 6;
}

static int
pane_containers_match(const struct model_container *c, const char *filter)
{
	if (filter == NULL || *filter == '\0')
		return 1;
	return (c->name != NULL && strcasestr(c->name, filter) != NULL) ||
	       (c->image != NULL && strcasestr(c->image, filter) != NULL) ||
	       (c->project != NULL && strcasestr(c->project, filter) != NULL) ||
	       (c->state != NULL && strcasecmp(c->state, filter) == 0);
}

static int
pane_containers_strcmp(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "");
}

static int
pane_containers_cmp(const void *va, const void *vb)
{
	const struct model_container *a =
	    *(const struct model_container *const *)va;
	const struct model_container *b =
	    *(const struct model_container *const *)vb;
	const struct pane_containers_data *ct = pane_containers_sorting;
	int r = 0;

	if (ct->group) {
		r = pane_containers_strcmp(a->project, b->project);
		if (r != 0)
			return r;
	}
	switch (ct->sort) {
	case CT_SORT_STATE:
		r = pane_containers_strcmp(a->state, b->state);
		break;
	case CT_SORT_CPU:
		r = a->cpu_pct < b->cpu_pct   ? 1
		    : a->cpu_pct > b->cpu_pct ? -1
		                              : 0;
		break;
	case CT_SORT_MEM:
		r = a->mem_used < b->mem_used   ? 1
		    : a->mem_used > b->mem_used ? -1
		                                : 0;
		break;
	case CT_SORT_UPTIME:
		r = a->created < b->created   ? 1
		    : a->created > b->created ? -1
		                              : 0;
		break;
	case CT_SORT_NAME:
	case CT_SORT_N:
		break;
	}
	if (r == 0)
		r = pane_containers_strcmp(a->name, b->name);
	if (r == 0)
		r = pane_containers_strcmp(a->id, b->id);
	return ct->reverse ? -r : r;
}

/*
 * The rows on show after filter, sort and grouping; *out (the caller frees
 * it) points into the current snapshot. With grouping, a NULL row stands
 * for the header of the group of the row after it.
 */
static size_t
pane_containers_rows(struct dash *d, const struct model_container ***out)
{
	struct pane_containers_data *ct = pane_containers_data(d);
	const struct model_docker *k = &d->model->docker;
	const struct model_container **v, **rows;
	size_t i, n = 0, m = 0;

	v = xcalloc(k->ncontainers + 1, sizeof *v);
	for (i = 0; i < k->ncontainers; i++) {
		if (pane_containers_match(&k->containers[i], ct->filter))
			v[n++] = &k->containers[i];
	}
	pane_containers_sorting = ct;
	qsort(v, n, sizeof *v, pane_containers_cmp);
	if (!ct->group) {
		*out = v;
		return n;
	}
	rows = xcalloc(n * 2 + 1, sizeof *rows);
	for (i = 0; i < n; i++) {
		if (i == 0 || pane_containers_strcmp(v[i]->project,
		                                     v[i - 1]->project) != 0)
			rows[m++] = NULL;
		rows[m++] = v[i];
	}
	free(v);
	*out = rows;
	return m;
}

/* Keep the selection on the same container across snapshots. */
static void
pane_containers_fix_sel(struct dash *d, const struct model_container **rows,
                        size_t n)
{
	struct pane_containers_data *ct = pane_containers_data(d);
	size_t i;

	if (ct->sel_id != NULL) {
		for (i = 0; i < n; i++) {
			if (rows[i] != NULL && rows[i]->id != NULL &&
			    strcmp(rows[i]->id, ct->sel_id) == 0) {
				ct->sel = (int)i;
				return;
			}
		}
	}
	if (ct->sel >= (int)n)
		ct->sel = n > 0 ? (int)n - 1 : 0;
	if (ct->sel < 0)
		ct->sel = 0;
	if (n > 0 && rows[ct->sel] == NULL && (size_t)ct->sel + 1 < n)
		ct->sel++;
	free(ct->sel_id);
	ct->sel_id = n > 0 && rows[ct->sel] != NULL && rows[ct->sel]->id != NULL
	                 ? xstrdup(rows[ct->sel]->id)
	                 : NULL;
}

/* The selected container (in the current snapshot), or NULL. */
const struct model_container *
pane_containers_selected(struct dash *d)
{
	struct pane_containers_data *ct = pane_containers_data(d);
	const struct model_container **rows, *c = NULL;
	size_t n = pane_containers_rows(d, &rows);

	pane_containers_fix_sel(d, rows, n);
	if ((size_t)ct->sel < n)
		c = rows[ct->sel];
	free(rows);
	return c;
}

/* "5m", "3h", "2d" since the container was created, "—" if not running. */
static void
pane_containers_uptime(const struct model_container *c, char *buf, size_t len)
{
	long long s = (long long)time(NULL) - (long long)c->created;

	if (c->state == NULL || strcmp(c->state, "running") != 0 ||
	    c->created <= 0)
		snprintf(buf, len, "—");
	else if (s < 60)
		snprintf(buf, len, "<1m");
	else if (s < 3600)
		snprintf(buf, len, "%lldm", s / 60);
	else if (s < 86400)
		snprintf(buf, len, "%lldh", s / 3600);
	else
		snprintf(buf, len, "%lldd", s / 86400);
}

static void
pane_containers_ports(const struct model_container *c, char *buf, size_t len)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < c->nports && o < len; i++) {
		if (c->ports[i].public_port > 0)
			o += (size_t)snprintf(
			    buf + o, len - o, "%s%d->%d", o > 0 ? "," : "",
			    c->ports[i].public_port, c->ports[i].private_port);
		else
			o += (size_t)snprintf(buf + o, len - o, "%s%d",
			                      o > 0 ? "," : "",
			                      c->ports[i].private_port);
	}
}

struct pane_containers_cols {
	int name, image, state, cpu, mem, ports, up;
};

/*
 * Column widths for the rows on show: names get what they need up to 2/3
 * of the flexible room, ports what they need, images the rest.
 */
static void
pane_containers_widths(int cols, const struct model_container **rows, size_t n,
                       int indent, struct pane_containers_cols *c)
{
	int flex, name = 4, ports = 5, w;
	size_t i;
	char buf[128];

	c->state = 10;
	c->cpu = 6;
	c->mem = 7;
	c->up = 4;
	flex = cols - 2 - c->state - c->cpu - c->mem - c->up - 6;
	if (flex < 20)
		flex = 20;
	for (i = 0; i < n; i++) {
		if (rows[i] == NULL)
			continue;
		w = draw_width(rows[i]->name != NULL ? rows[i]->name : "") +
		    indent;
		if (w + 2 > name)
			name = w + 2;
		pane_containers_ports(rows[i], buf, sizeof buf);
		w = draw_width(buf);
		if (w > ports)
			ports = w;
	}
	if (name > flex * 2 / 3)
		name = flex * 2 / 3;
	if (ports > flex / 4)
		ports = flex / 4;
	c->name = name;
	c->ports = ports;
	c->image = flex - name - ports;
}

static void
pane_containers_draw(struct dash *d, WINDOW *w, int rows, int cols)
{
	struct pane_containers_data *ct = pane_containers_data(d);
	const struct model_docker *k = &d->model->docker;
	const struct model_container **list;
	struct pane_containers_cols cw;
	size_t n, i;
	int y, x, body, hdr = theme_attr(THEME_TABLE_HEADER),
	                dim = theme_attr(THEME_DIM);
	char right[256], buf[128], noev[64] = "", src[48] = "";

	/* Without /events the list is only as fresh as the last refresh. */
	if (k->no_events) {
		uint64_t ms = d->model->refresh_ms;

		if (ms % 1000 == 0)
			snprintf(noev, sizeof noev,
			         "no events: listing every %llu s  ",
			         (unsigned long long)(ms / 1000));
		else
			snprintf(noev, sizeof noev,
			         "no events: listing every %.1f s  ",
			         (double)ms / 1000);
	}
	/*
	 * Where the figures come from (guest reader, cgroup files or the
	 * API, which costs the daemon most): said when it fits, else left
	 * out whole before the user's own filter and sort are cut.
	 */
	if (k->stats_source != NULL)
		snprintf(src, sizeof src, "  stats: %s", k->stats_source);
	for (;;) {
		snprintf(right, sizeof right,
		         "%s%d running %d stopped%s%s%s  sort %s%s", noev,
		         k->running, k->stopped, src,
		         ct->filter != NULL ? "  /" : "",
		         ct->filter != NULL ? ct->filter : "",
		         pane_containers_sorts[ct->sort],
		         ct->reverse ? " (rev)" : "");
		if (src[0] == '\0' ||
		    draw_width(right) <= cols - draw_width("4 Containers") - 6)
			break;
		src[0] = '\0';
	}
	draw_rule(w, 0, 0, cols, "4 Containers",
	          dash_pane_focused(d, &pane_containers),
	          k->conn == MODEL_CONN_UP ? right : NULL);
	if (rows < 2)
		return;
	if (k->conn != MODEL_CONN_UP) {
		x = draw_printf(w, 1, 1, cols - 2,
		                theme_attr(k->conn == MODEL_CONN_DOWN
		                               ? THEME_STATUS_ERROR
		                               : THEME_DIM),
		                "Docker %s", draw_conn_name(k->conn));
		if (k->error != NULL)
			draw_printf(w, 1, 1 + x, cols - 2 - x,
			            theme_attr(THEME_STATUS_ERROR), ": %s",
			            k->error);
		return;
	}
	n = pane_containers_rows(d, &list);
	pane_containers_fix_sel(d, list, n);
	pane_containers_widths(cols, list, n, ct->group ? 2 : 0, &cw);
	draw_fill(w, 1, 0, cols, hdr);
	x = 1;
	draw_text(w, 1, x, cw.name, hdr, "NAME");
	x += cw.name + 1;
	draw_text(w, 1, x, cw.image, hdr, "IMAGE");
	x += cw.image + 1;
	draw_text(w, 1, x, cw.state, hdr, "STATE");
	x += cw.state + 1;
	draw_text(w, 1, x + cw.cpu - 4, 4, hdr, "CPU%");
	x += cw.cpu + 1;
	draw_text(w, 1, x + cw.mem - 3, 3, hdr, "MEM");
	x += cw.mem + 1;
	draw_text(w, 1, x, cw.ports, hdr, "PORTS");
	x += cw.ports + 1;
	draw_text(w, 1, x, cw.up, hdr, "UP");
	body = rows - 2;
	if (n == 0) {
		draw_text(w, 2, 1, cols - 2, dim,
		          ct->filter != NULL ? "no container matches the filter"
		                             : "no containers");
		free(list);
		return;
	}
	if (ct->sel < ct->top)
		ct->top = ct->sel;
	if (ct->sel >= ct->top + body)
		ct->top = ct->sel - body + 1;
	if (ct->top > 0 && (int)n - ct->top < body)
		ct->top = (int)n > body ? (int)n - body : 0;
	for (i = (size_t)ct->top, y = 2; i < n && y < rows; i++, y++) {
		const struct model_container *c = list[i];
		int sel = (int)i == ct->sel;
		int base = sel && dash_pane_focused(d, &pane_containers)
		               ? theme_attr(THEME_SELECTION)
		               : 0;
		int def = base ? base : theme_attr(THEME_DEFAULT);

		if (c == NULL) {
			const struct model_container *next =
			    i + 1 < n ? list[i + 1] : NULL;

			draw_printf(w, y, 1, cols - 2, hdr | (int)A_BOLD,
			            "%s %s", draw_ascii() ? "+" : "▾",
			            next != NULL && next->project != NULL
			                ? next->project
			                : "(no compose project)");
			continue;
		}
		if (base)
			draw_fill(w, y, 0, cols, base);
		else if (sel)
			draw_text(w, y, 0, 1, dim, ">");
		x = 1 + (ct->group ? 2 : 0);
		draw_text(w, y, x, cw.name - (x - 1), def,
		          c->name != NULL ? c->name : c->id);
		x = 1 + cw.name + 1;
		draw_text(w, y, x, cw.image, base ? base : dim, c->image);
		x += cw.image + 1;
		draw_text(w, y, x, cw.state,
		          base ? base : draw_state_attr(c->state), c->state);
		x += cw.state + 1;
		if (c->has_stats)
			snprintf(buf, sizeof buf, "%*.1f", cw.cpu, c->cpu_pct);
		else
			snprintf(buf, sizeof buf, "%*s", cw.cpu, "—");
		draw_text(w, y, x + (c->has_stats ? 0 : cw.cpu - 1), cw.cpu,
		          def, c->has_stats ? buf : "—");
		x += cw.cpu + 1;
		if (c->has_stats) {
			char *s = draw_size(c->mem_used);

			snprintf(buf, sizeof buf, "%*s", cw.mem, s);
			free(s);
			draw_text(w, y, x, cw.mem, def, buf);
		} else
			draw_text(w, y, x + cw.mem - 1, 1, def, "—");
		x += cw.mem + 1;
		pane_containers_ports(c, buf, sizeof buf);
		draw_text(w, y, x, cw.ports, base ? base : dim, buf);
		x += cw.ports + 1;
		pane_containers_uptime(c, buf, sizeof buf);
		draw_text(w, y, x, cw.up, def, buf);
	}
	free(list);
}

/*
 * Tell the engine which running containers are on screen, so it samples
 * stats for those only, and only the figures the rows show (CPU, memory
 * used: brief); "+ID" for the one the inspect view shows, which shows
 * them all. "-" matches no id: nothing on screen, no stats (an empty
 * list would mean all). While a view is open the rows' set stays.
 */
static void
pane_containers_send(struct dash *d, char *ids)
{
	struct pane_containers_data *ct = pane_containers_data(d);

	if (ct->visible_ids == NULL || strcmp(ct->visible_ids, ids) != 0) {
		free(ct->visible_ids);
		ct->visible_ids = ids;
		engine_send(d->engine, ENGINE_CMD_CT_VISIBLE, ids, NULL, 1);
	} else
		free(ids);
}

static void
pane_containers_shown(struct dash *d)
{
	struct pane_containers_data *ct = pane_containers_data(d);
	const struct rect *r = dash_pane_rect(d, &pane_containers);
	const struct model_container **rows;
	size_t n, i, len = 0, first, last, size;
	const char *inspected;
	char *ids;

	if (d->view != NULL) {
		if ((inspected = view_inspect_id(d)) != NULL)
			pane_containers_send(
			    d,
			    xasprintf("%s +%.64s",
			              ct->rows_ids != NULL ? ct->rows_ids : "-",
			              inspected));
		return;
	}
	n = pane_containers_rows(d, &rows);
	first = last = 0;
	if (r != NULL && r->h > 2) {
		first = (size_t)ct->top;
		last = first + (size_t)r->h - 2;
		if (last > n)
			last = n;
	}
	size = (last > first ? last - first : 0) * 66 + 2;
	ids = xcalloc(1, size);
	for (i = first; i < last; i++) {
		if (rows[i] == NULL || rows[i]->state == NULL ||
		    strcmp(rows[i]->state, "running") != 0 ||
		    rows[i]->id == NULL)
			continue;
		len += (size_t)snprintf(ids + len, size - len, "%s%.64s",
		                        len > 0 ? " " : "", rows[i]->id);
	}
	free(rows);
	if (len == 0)
		snprintf(ids, size, "-");
	free(ct->rows_ids);
	ct->rows_ids = xstrdup(ids);
	pane_containers_send(d, ids);
}

static void
pane_containers_filter_change(struct dash *d, const char *text)
{
	struct pane_containers_data *ct = pane_containers_data(d);

	free(ct->filter);
	ct->filter = *text != '\0' ? xstrdup(text) : NULL;
	ct->sel = 0;
	ct->top = 0;
	free(ct->sel_id);
	ct->sel_id = NULL;
}

/* ":filter text": show the matching containers here, focused. */
int
pane_containers_set_filter(struct dash *d, const char *text)
{
	struct pane_containers_data *ct = pane_containers_data(d);

	free(ct->filter);
	ct->filter = text != NULL ? xstrdup(text) : NULL;
	ct->sel = ct->top = 0;
	return dash_focus_pane(d, &pane_containers) | DASH_REDRAW;
}

static int
pane_containers_filter_done(struct dash *d, const char *text)
{
	pane_containers_filter_change(d, text);
	return DASH_REDRAW;
}

/* Move the selection by delta rows, skipping group headers. */
static int
pane_containers_move(struct dash *d, int delta)
{
	struct pane_containers_data *ct = pane_containers_data(d);
	const struct model_container **rows;
	size_t n = pane_containers_rows(d, &rows);
	int sel = ct->sel + delta, step = delta < 0 ? -1 : 1;

	if (sel < 0)
		sel = 0;
	if (sel >= (int)n)
		sel = (int)n - 1;
	while (sel >= 0 && sel < (int)n && rows[sel] == NULL)
		sel += step;
	if (sel < 0 || sel >= (int)n) {
		for (sel = step < 0 ? 0 : (int)n - 1;
		     sel >= 0 && sel < (int)n && rows[sel] == NULL; sel -= step)
			;
	}
	if (sel >= 0 && sel < (int)n) {
		ct->sel = sel;
		free(ct->sel_id);
		ct->sel_id = rows[sel] != NULL && rows[sel]->id != NULL
		                 ? xstrdup(rows[sel]->id)
		                 : NULL;
	}
	free(rows);
	return DASH_REDRAW;
}

static int
pane_containers_page(const struct dash *d)
{
	const struct rect *r = dash_pane_rect(d, &pane_containers);
	int h = (r != NULL ? r->h : 0) - 3;

	return h > 1 ? h : 1;
}

static int
pane_containers_up(struct dash *d)
{
	return pane_containers_move(d, -1);
}

static int
pane_containers_down(struct dash *d)
{
	return pane_containers_move(d, 1);
}

static int
pane_containers_page_up(struct dash *d)
{
	return pane_containers_move(d, -pane_containers_page(d));
}

static int
pane_containers_page_down(struct dash *d)
{
	return pane_containers_move(d, pane_containers_page(d));
}

static int
pane_containers_top(struct dash *d)
{
	return pane_containers_move(d, -1000000);
}

static int
pane_containers_bottom(struct dash *d)
{
	return pane_containers_move(d, 1000000);
}

static int
pane_containers_filter(struct dash *d)
{
	struct pane_containers_data *ct = pane_containers_data(d);

	return dialog_command_prompt(d, "/", ct->filter,
	                             pane_containers_filter_change,
	                             pane_containers_filter_done, NULL);
}

static int
pane_containers_sorted(struct dash *d)
{
	struct pane_containers_data *ct = pane_containers_data(d);

	dash_set_status(d, 0, "sorted by %s%s", pane_containers_sorts[ct->sort],
	                ct->reverse ? ", reversed" : "");
	return DASH_REDRAW;
}

static int
pane_containers_sort(struct dash *d)
{
	struct pane_containers_data *ct = pane_containers_data(d);

	ct->sort = (ct->sort + 1) % CT_SORT_N;
	return pane_containers_sorted(d);
}

static int
pane_containers_reverse(struct dash *d)
{
	struct pane_containers_data *ct = pane_containers_data(d);

	ct->reverse = !ct->reverse;
	return pane_containers_sorted(d);
}

static int
pane_containers_group(struct dash *d)
{
	struct pane_containers_data *ct = pane_containers_data(d);

	ct->group = !ct->group;
	dash_set_status(d, 0, "grouping by compose project %s",
	                ct->group ? "on" : "off");
	return DASH_REDRAW;
}

/* The selected container, or NULL after saying there is none. */
static const struct model_container *
pane_containers_target(struct dash *d)
{
	const struct model_container *c = pane_containers_selected(d);

	if (c == NULL || c->id == NULL) {
		dash_set_status(d, 1, "no container selected");
		return NULL;
	}
	return c;
}

static int
pane_containers_start(struct dash *d)
{
	const struct model_container *c = pane_containers_target(d);

	if (c == NULL)
		return DASH_REDRAW;
	dash_set_status(d, 0, "starting %s", c->name);
	return dash_send(d, ENGINE_CMD_CT_START, c->id, NULL, 0);
}

static int
pane_containers_restart(struct dash *d)
{
	const struct model_container *c = pane_containers_target(d);

	if (c == NULL)
		return DASH_REDRAW;
	dash_set_status(d, 0, "restarting %s", c->name);
	return dash_send(d, ENGINE_CMD_CT_RESTART, c->id, NULL, 0);
}

static int
pane_containers_stop(struct dash *d)
{
	const struct model_container *c = pane_containers_target(d);
	char *q;

	if (c == NULL)
		return DASH_REDRAW;
	q = xasprintf("Stop container %s?", c->name);
	dialog_confirm_open(d, q, ENGINE_CMD_CT_STOP, c->id, 0);
	free(q);
	return DASH_REDRAW;
}

/* Remove asks; a running container is killed (force), and it says so. */
static int
pane_containers_remove(struct dash *d)
{
	const struct model_container *c = pane_containers_target(d);
	char *q;

	if (c == NULL)
		return DASH_REDRAW;
	q = xasprintf("Remove container %s%s?", c->name,
	              c->state != NULL && strcmp(c->state, "running") == 0
	                  ? " (running: it will be killed)"
	                  : "");
	dialog_confirm_open(d, q, ENGINE_CMD_CT_REMOVE, c->id, 1);
	free(q);
	return DASH_REDRAW;
}

static int
pane_containers_logs(struct dash *d)
{
	const struct model_container *c = pane_containers_target(d);

	return c == NULL ? DASH_REDRAW : view_logs_open(d, c->id, c->name);
}

/* P: the merged logs of every container of the selected one's project. */
static int
pane_containers_project_logs(struct dash *d)
{
	const struct model_container *c = pane_containers_target(d);
	const struct model_docker *k = &d->model->docker;
	char *ids = NULL, *more;
	size_t i;
	int rc;

	if (c == NULL)
		return DASH_REDRAW;
	if (c->project == NULL) {
		dash_set_status(d, 1, "%s is not part of a compose project",
		                c->name);
		return DASH_REDRAW;
	}
	for (i = 0; i < k->ncontainers; i++) {
		if (k->containers[i].project == NULL ||
		    strcmp(k->containers[i].project, c->project) != 0)
			continue;
		more = xasprintf("%s%s%s", ids != NULL ? ids : "",
		                 ids != NULL ? " " : "", k->containers[i].id);
		free(ids);
		ids = more;
	}
	rc = view_logs_open_merged(d, ids, c->project);
	free(ids);
	return rc;
}

/* y: the container's id on the clipboard (OSC 52). */
static int
pane_containers_copy(struct dash *d)
{
	const struct model_container *c = pane_containers_target(d);
	char *cause = NULL;

	if (c == NULL)
		return DASH_REDRAW;
	if (term_clipboard(c->id, strlen(c->id), &cause) != 0) {
		dash_set_status(d, 2, "not copied: %s", cause);
		free(cause);
	} else
		dash_set_status(d, 0, "copied %s's id %.12s to the clipboard",
		                c->name, c->id);
	return DASH_REDRAW;
}

static int
pane_containers_inspect(struct dash *d)
{
	const struct model_container *c = pane_containers_target(d);

	return c == NULL ? DASH_REDRAW : view_inspect_open(d, c->id);
}

/*
 * x: a shell in the container, the dashboard stepping aside meanwhile;
 * the argv is berth exec's (cmd-ssh.c), to the daemon the engine talks to.
 */
static int
pane_containers_exec(struct dash *d)
{
	const struct model_container *c = pane_containers_target(d);
	const struct model *m = d->model;
	char **argv, *via, *line;
	int at, r;

	if (c == NULL || m->docker.endpoint == NULL ||
	    *m->docker.endpoint == '\0')
		return DASH_REDRAW;
	argv = docker_exec_argv(m->docker.endpoint,
	                        c->name != NULL ? c->name : c->id, NULL, 0, 1,
	                        &at);
	r = term_run(argv);
	if (r == -1 && errno == ENOENT) {
		/* A forwarded socket's VM has the docker CLI: say that way. */
		if (m->socket.mode != NULL &&
		    strcmp(m->socket.mode, "ssh") == 0) {
			via =
			    xasprintf("berth -p %s ssh -- docker", m->profile);
			line = docker_exec_line(via, argv, at);
			free(via);
		} else
			line = docker_exec_line("docker", argv, 1);
		dash_set_status(d, 1, "no docker CLI here; the same: %s", line);
		free(line);
		free(argv);
		return DASH_REDRAW;
	}
	if (r == -1)
		dash_set_status(d, 2, "docker exec: %s", strerror(errno));
	else if (r != 0)
		dash_set_status(d, 1, "the shell in %s exited %d", c->name, r);
	free(argv);
	return DASH_REPAINT | DASH_LAYOUT;
}

static const struct dash_binding pane_containers_actions[] = {
    {ACT_UP, pane_containers_up},
    {ACT_DOWN, pane_containers_down},
    {ACT_PAGE_UP, pane_containers_page_up},
    {ACT_PAGE_DOWN, pane_containers_page_down},
    {ACT_TOP, pane_containers_top},
    {ACT_BOTTOM, pane_containers_bottom},
    {ACT_CT_FILTER, pane_containers_filter},
    {ACT_CT_SORT, pane_containers_sort},
    {ACT_CT_REVERSE, pane_containers_reverse},
    {ACT_CT_GROUP, pane_containers_group},
    {ACT_CT_START, pane_containers_start},
    {ACT_CT_STOP, pane_containers_stop},
    {ACT_CT_RESTART, pane_containers_restart},
    {ACT_CT_REMOVE, pane_containers_remove},
    {ACT_CT_LOGS, pane_containers_logs},
    {ACT_CT_INSPECT, pane_containers_inspect},
    {ACT_CT_PROJECT_LOGS, pane_containers_project_logs},
    {ACT_CT_COPY, pane_containers_copy},
    {ACT_CT_EXEC, pane_containers_exec},
};

const struct pane pane_containers = {
    .name = "containers",
    .title = "Containers",
    .scope = KEY_SCOPE_CONTAINERS,
    .main = 1,
    .create = pane_containers_create,
    .free = pane_containers_free,
    .reset = pane_containers_reset,
    .height = pane_containers_height,
    .draw = pane_containers_draw,
    .shown = pane_containers_shown,
    .actions = pane_containers_actions,
    .nactions = nitems(pane_containers_actions),
};
