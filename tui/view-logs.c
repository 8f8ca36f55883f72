/*
 * view-logs.c: a container's logs over the whole body. The engine follows
 * the stream (ENGINE_CMD_CT_LOGS) into a bounded buffer in the snapshot;
 * this view only shows it: follow (f, G), scroll, search (/ then n, N),
 * wrap or cut long lines (w), stderr lines marked in the gutter. Esc or q
 * goes back and stops the stream.
 *
 * Lines were sanitized by the backend and are sanitized again when drawn,
 * so escape sequences a container prints show as text (^[[31m) and never
 * reach the terminal.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tui/dashboard.h"

#define VIEW_LOGS_TAIL 1000

struct view_logs_data {
	char *id;
	char *name;
	int follow;
	int wrap;
	int top; /* first display row when not following */
	char *search;
	long match; /* log line of the current match, -1 none */
	int body_h, body_w;
};

/* One display row: a log line, or a part of one when wrapping. */
struct view_logs_row {
	size_t line;
	size_t off, len;
};

int
view_logs_open(struct dash *d, const char *id, const char *name)
{
	struct view_logs_data *v = xcalloc(1, sizeof *v);

	if (d->view != NULL)
		dash_close_view(d);
	v->id = xstrdup(id);
	v->name = xstrdup(name != NULL ? name : id);
	v->follow = 1;
	v->match = -1;
	d->view = &view_logs;
	d->view_data = v;
	engine_send(d->engine, ENGINE_CMD_CT_LOGS, id, NULL, VIEW_LOGS_TAIL);
	return DASH_LAYOUT | DASH_REDRAW | DASH_COMMAND;
}

static const struct model_logs *
view_logs_model(const struct dash *d)
{
	const struct view_logs_data *v = d->view_data;
	const struct model_logs *l = &d->model->docker.logs;

	if (l->id == NULL || strcmp(l->id, v->id) != 0)
		return NULL;
	return l;
}

/* Lay the lines out in rows of width w; the caller frees *rows. */
static size_t
view_logs_rows(const struct dash *d, int w, struct view_logs_row **rows)
{
	const struct view_logs_data *v = d->view_data;
	const struct model_logs *l = view_logs_model(d);
	size_t i, n = 0, cap = 0, off, len, cut;
	const char *t;

	*rows = NULL;
	if (l == NULL || w < 1)
		return 0;
	for (i = 0; i < l->nlines; i++) {
		t = l->lines[i].text != NULL ? l->lines[i].text : "";
		len = strlen(t);
		off = 0;
		do {
			if (n == cap) {
				cap = cap == 0 ? 256 : cap * 2;
				*rows =
				    xreallocarray(*rows, cap, sizeof **rows);
			}
			cut = v->wrap ? draw_cut(t + off, w) : len - off;
			if (v->wrap && cut == 0 && off < len)
				cut = len - off; /* one glyph wider than w */
			(*rows)[n].line = i;
			(*rows)[n].off = off;
			(*rows)[n].len = cut;
			n++;
			off += cut;
		} while (v->wrap && off < len);
	}
	return n;
}

static void
view_logs_draw(struct dash *d, WINDOW *w, int rows, int cols)
{
	struct view_logs_data *v = d->view_data;
	const struct model_logs *l = view_logs_model(d);
	struct view_logs_row *r = NULL;
	size_t n, i;
	int y, body = rows - 1, text_w = cols - 2, first;
	char title[256], right[128];
	const char *t;

	snprintf(title, sizeof title, "Logs: %s", v->name);
	snprintf(right, sizeof right, "%s%s%s%s",
	         v->follow ? "following" : "paused", v->wrap ? ", wrap" : "",
	         v->search != NULL ? ", search " : "",
	         v->search != NULL ? v->search : "");
	draw_rule(w, 0, 0, cols, title, 1, right);
	v->body_h = body;
	v->body_w = text_w;
	if (l == NULL) {
		draw_text(w, 1, 1, cols - 2, theme_attr(THEME_DIM),
		          d->model->docker.conn == MODEL_CONN_UP
		              ? "waiting for the log stream..."
		              : "Docker not connected: no logs");
		return;
	}
	n = view_logs_rows(d, text_w, &r);
	if (l->error != NULL)
		body--;
	if (v->follow || v->top > (int)n - body)
		v->top = (int)n - body;
	if (v->top < 0)
		v->top = 0;
	first = v->top;
	if (n == 0)
		draw_text(w, 1, 2, cols - 3, theme_attr(THEME_DIM),
		          l->following ? "(no output yet)" : "(no output)");
	for (i = (size_t)first, y = 1; i < n && y <= body; i++, y++) {
		const struct model_log_line *ln = &l->lines[r[i].line];
		char *seg;
		int match = v->match >= 0 && (size_t)v->match == r[i].line;
		int attr =
		    match ? theme_attr(THEME_MATCH) : theme_attr(THEME_DEFAULT);

		if (ln->stream == 2 && r[i].off == 0)
			draw_text(w, y, 0, 1, theme_attr(THEME_STDERR),
			          draw_ascii() ? "!" : "▌");
		else if (r[i].off > 0)
			draw_text(w, y, 0, 1, theme_attr(THEME_DIM),
			          draw_ascii() ? ">" : "↪");
		t = ln->text != NULL ? ln->text : "";
		seg = xstrndup(t + r[i].off, r[i].len);
		draw_text(w, y, 2, text_w,
		          ln->stream == 2 && !match ? theme_attr(THEME_STDERR)
		                                    : attr,
		          seg);
		free(seg);
	}
	if (l->error != NULL)
		draw_printf(w, rows - 1, 1, cols - 2,
		            theme_attr(THEME_STATUS_WARN), "stream ended: %s",
		            l->error);
	free(r);
}

static void
view_logs_search_done_cb(struct dash *d, const char *text)
{
	struct view_logs_data *v = d->view_data;

	free(v->search);
	v->search = *text != '\0' ? xstrdup(text) : NULL;
	v->match = -1;
}

/* Find the next (dir 1) or previous (-1) line matching the search. */
static int
view_logs_find(struct dash *d, int dir)
{
	struct view_logs_data *v = d->view_data;
	const struct model_logs *l = view_logs_model(d);
	struct view_logs_row *r = NULL;
	long i, start, n;
	size_t nrows, k;

	if (v->search == NULL || l == NULL || l->nlines == 0) {
		dash_set_status(d, 1, "no search (press / first)");
		return DASH_REDRAW;
	}
	n = (long)l->nlines;
	if (v->match >= 0)
		start = v->match + dir;
	else {
		/* from the top of the screen (forward) or its bottom */
		nrows = view_logs_rows(d, v->body_w, &r);
		k = (size_t)v->top;
		if (dir < 0 && nrows > 0)
			k = (size_t)v->top + (size_t)v->body_h - 1 < nrows
			        ? (size_t)v->top + (size_t)v->body_h - 1
			        : nrows - 1;
		start = k < nrows ? (long)r[k].line : 0;
		free(r);
	}
	for (i = 0; i < n; i++) {
		long j = ((start + dir * i) % n + n) % n;
		const char *t = l->lines[j].text;

		if (t != NULL && strcasestr(t, v->search) != NULL) {
			v->match = j;
			v->follow = 0;
			/* scroll the match to the middle */
			nrows = view_logs_rows(d, v->body_w, &r);
			for (k = 0; k < nrows && r[k].line != (size_t)j; k++)
				;
			v->top = (int)k - v->body_h / 2;
			if (v->top < 0)
				v->top = 0;
			free(r);
			if (dir > 0 && j < start)
				dash_set_status(d, 0,
				                "search wrapped to the top");
			else if (dir < 0 && j > start)
				dash_set_status(d, 0,
				                "search wrapped to the bottom");
			return DASH_REDRAW;
		}
	}
	dash_set_status(d, 1, "not found: %s", v->search);
	return DASH_REDRAW;
}

static int
view_logs_search_done(struct dash *d, const char *text)
{
	view_logs_search_done_cb(d, text);
	if (*text == '\0')
		return DASH_REDRAW;
	return view_logs_find(d, 1);
}

static int
view_logs_scroll(struct dash *d, int delta)
{
	struct view_logs_data *v = d->view_data;

	v->follow = 0;
	v->top += delta;
	if (v->top < 0)
		v->top = 0;
	return DASH_REDRAW;
}

/* Esc or q: back to the panes (closing the view stops the stream). */
static int
view_logs_back(struct dash *d)
{
	dash_close_view(d);
	return DASH_LAYOUT | DASH_REDRAW;
}

static int
view_logs_up(struct dash *d)
{
	return view_logs_scroll(d, -1);
}

static int
view_logs_down(struct dash *d)
{
	return view_logs_scroll(d, 1);
}

static int
view_logs_page(const struct dash *d)
{
	const struct view_logs_data *v = d->view_data;

	return v->body_h > 1 ? v->body_h - 1 : 1;
}

static int
view_logs_page_up(struct dash *d)
{
	return view_logs_scroll(d, -view_logs_page(d));
}

static int
view_logs_page_down(struct dash *d)
{
	return view_logs_scroll(d, view_logs_page(d));
}

static int
view_logs_top(struct dash *d)
{
	struct view_logs_data *v = d->view_data;

	v->follow = 0;
	v->top = 0;
	return DASH_REDRAW;
}

static int
view_logs_bottom(struct dash *d)
{
	struct view_logs_data *v = d->view_data;

	v->follow = 1;
	return DASH_REDRAW;
}

static int
view_logs_follow(struct dash *d)
{
	struct view_logs_data *v = d->view_data;

	v->follow = !v->follow;
	return DASH_REDRAW;
}

static int
view_logs_wrap(struct dash *d)
{
	struct view_logs_data *v = d->view_data;

	v->wrap = !v->wrap;
	return DASH_REDRAW;
}

static int
view_logs_search(struct dash *d)
{
	struct view_logs_data *v = d->view_data;

	return dialog_command_prompt(d, "search: ", v->search, NULL,
	                             view_logs_search_done, NULL);
}

static int
view_logs_next(struct dash *d)
{
	return view_logs_find(d, 1);
}

static int
view_logs_prev(struct dash *d)
{
	return view_logs_find(d, -1);
}

static const struct dash_binding view_logs_actions[] = {
    {ACT_VIEW_BACK, view_logs_back},      {ACT_UP, view_logs_up},
    {ACT_DOWN, view_logs_down},           {ACT_PAGE_UP, view_logs_page_up},
    {ACT_PAGE_DOWN, view_logs_page_down}, {ACT_TOP, view_logs_top},
    {ACT_BOTTOM, view_logs_bottom},       {ACT_LOG_FOLLOW, view_logs_follow},
    {ACT_LOG_WRAP, view_logs_wrap},       {ACT_LOG_SEARCH, view_logs_search},
    {ACT_LOG_NEXT, view_logs_next},       {ACT_LOG_PREV, view_logs_prev},
};

static void
view_logs_close(struct dash *d)
{
	struct view_logs_data *v = d->view_data;

	engine_send(d->engine, ENGINE_CMD_CT_LOGS_STOP, v->id, NULL, 0);
	free(v->id);
	free(v->name);
	free(v->search);
	free(v);
}

const struct view view_logs = {
    .name = "logs",
    .title = "Logs",
    .scope = KEY_SCOPE_LOGS,
    .draw = view_logs_draw,
    .actions = view_logs_actions,
    .nactions = nitems(view_logs_actions),
    .close = view_logs_close,
};
