/*
 * view-logs.c: a container's logs over the whole body. The engine follows
 * the stream (ENGINE_CMD_CT_LOGS) into a bounded buffer in the snapshot;
 * this view only shows it: follow (f, G), scroll, search (/ then n, N),
 * wrap or cut long lines (w), stderr lines marked in the gutter, times
 * shown or not (t; always asked for, so no new request), lines from a
 * time on (T: asks the daemon again), the buffer saved to a file (s) and
 * a line copied with OSC 52 (y). Merged logs (a compose project, P in the
 * Containers pane) prefix each line with its container's name in a
 * colour of its own. Esc or q goes back and stops the stream.
 *
 * Lines were sanitized by the backend and are sanitized again when drawn,
 * so escape sequences a container prints show as text (^[[31m) and never
 * reach the terminal.
 */

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tui/dashboard.h"

#define VIEW_LOGS_TAIL       1000
#define VIEW_LOGS_SINCE_TAIL 5000 /* from a time on: as much as is kept */
#define VIEW_LOGS_NAME_MAX   24   /* widest name prefix of merged logs */
#define VIEW_LOGS_TIME_W     24   /* 2024-05-01T10:00:00.123Z */

struct view_logs_data {
	char *id; /* the container's; merged: the ids, space separated */
	char *name;
	int merged;
	int follow;
	int wrap;
	int timestamps;
	int top; /* first display row when not following */
	char *search;
	long match;      /* log line of the current match, -1 none */
	char *since;     /* as typed (for the title and the prompt) */
	char *since_arg; /* as the daemon takes it */
	long copy_line;  /* the last line on screen, -1 none */
	int body_h, body_w;
};

/*
 * The colours of merged logs' names: roles of the theme that stand out
 * from the text, so a theme recolours them too (and NO_COLOR makes them
 * plain, the names still there to read). The first four differ in colour
 * in the default theme (green, cyan, yellow, magenta).
 */
static const enum theme_role view_logs_palette[] = {
    THEME_STATUS_OK,     THEME_SPARKLINE,    THEME_STATUS_WARN,
    THEME_DIALOG_BORDER, THEME_TITLE_ACTIVE, THEME_KEY_LABEL,
    THEME_STATUS_ERROR,  THEME_TABLE_HEADER,
};

/* One display row: a log line, or a part of one when wrapping. */
struct view_logs_row {
	size_t line;
	size_t off, len;
};

/* Ask the engine for the view's logs (again, after T). */
static void
view_logs_request(struct dash *d)
{
	struct view_logs_data *v = d->view_data;

	engine_send(d->engine,
	            v->merged ? ENGINE_CMD_CT_LOGS_MERGED : ENGINE_CMD_CT_LOGS,
	            v->id, v->since_arg,
	            v->since_arg != NULL ? VIEW_LOGS_SINCE_TAIL
	                                 : VIEW_LOGS_TAIL);
}

static int
view_logs_start(struct dash *d, const char *id, const char *name, int merged)
{
	struct view_logs_data *v = xcalloc(1, sizeof *v);

	if (d->view != NULL)
		dash_close_view(d);
	v->id = xstrdup(id);
	v->name = xstrdup(name != NULL ? name : id);
	v->merged = merged;
	v->follow = 1;
	v->match = -1;
	v->copy_line = -1;
	d->view = &view_logs;
	d->view_data = v;
	view_logs_request(d);
	return DASH_LAYOUT | DASH_REDRAW | DASH_COMMAND;
}

int
view_logs_open(struct dash *d, const char *id, const char *name)
{
	return view_logs_start(d, id, name, 0);
}

/* The merged logs of the containers in ids (space separated). */
int
view_logs_open_merged(struct dash *d, const char *ids, const char *project)
{
	return view_logs_start(d, ids, project, 1);
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

/* The width of the name column of merged logs, 0 when not merged. */
static int
view_logs_name_w(const struct model_logs *l)
{
	size_t i;
	int w = 0, k;

	if (!l->merged)
		return 0;
	for (i = 0; i < l->nsrcs; i++) {
		k = l->srcs[i] != NULL ? draw_width(l->srcs[i]) : 0;
		if (k > w)
			w = k;
	}
	return w > VIEW_LOGS_NAME_MAX ? VIEW_LOGS_NAME_MAX : w;
}

/* Columns before each line's text: its time, its container's name. */
static int
view_logs_prefix_w(const struct view_logs_data *v, const struct model_logs *l)
{
	int w = view_logs_name_w(l);

	return (w > 0 ? w + 1 : 0) + (v->timestamps ? VIEW_LOGS_TIME_W + 1 : 0);
}

/*
 * A daemon's time ("2024-05-01T10:00:00.123456789Z") as the view shows
 * it, to the millisecond in UTC; a time it cannot read as it came (the
 * backend let only digits and "-:.TZ+" through).
 */
static void
view_logs_time(const char *ts, char *buf, size_t size)
{
	long long sec;
	long nsec;
	time_t t;
	struct tm tm;

	if (ts == NULL) {
		snprintf(buf, size, "%s", "");
		return;
	}
	if (units_parse_time(ts, &sec, &nsec) != 0 ||
	    (t = (time_t)sec, gmtime_r(&t, &tm) == NULL)) {
		snprintf(buf, size, "%.*s", VIEW_LOGS_TIME_W, ts);
		return;
	}
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
	         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	         tm.tm_min, tm.tm_sec, nsec / 1000000);
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
	if (l == NULL)
		return 0;
	w -= view_logs_prefix_w(v, l);
	if (w < 1)
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
	int y, body = rows - 1, text_w = cols - 2, first, name_w, pw;
	char title[256], right[256], ts[64];
	const char *t;

	snprintf(title, sizeof title, "Logs: %s%s", v->merged ? "project " : "",
	         v->name);
	snprintf(right, sizeof right, "%s%s%s%s%s%s%s",
	         v->follow ? "following" : "paused", v->wrap ? ", wrap" : "",
	         v->timestamps ? ", times" : "",
	         v->since != NULL ? ", since " : "",
	         v->since != NULL ? v->since : "",
	         v->search != NULL ? ", search " : "",
	         v->search != NULL ? v->search : "");
	draw_rule(w, 0, 0, cols, title, 1, right);
	v->body_h = body;
	v->body_w = text_w;
	v->copy_line = -1;
	if (l == NULL) {
		draw_text(w, 1, 1, cols - 2, theme_attr(THEME_DIM),
		          d->model->docker.conn == MODEL_CONN_UP
		              ? "waiting for the log stream..."
		              : "Docker not connected: no logs");
		return;
	}
	n = view_logs_rows(d, text_w, &r);
	name_w = view_logs_name_w(l);
	pw = view_logs_prefix_w(v, l);
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
		if (r[i].off == 0 && v->timestamps) {
			view_logs_time(ln->timestamp, ts, sizeof ts);
			draw_text(w, y, 2, VIEW_LOGS_TIME_W,
			          theme_attr(THEME_DIM), ts);
		}
		if (r[i].off == 0 && name_w > 0 && ln->src >= 0 &&
		    (size_t)ln->src < l->nsrcs && l->srcs[ln->src] != NULL)
			draw_text(
			    w, y, pw - name_w + 1, name_w,
			    theme_attr(
			        view_logs_palette[(size_t)ln->src %
			                          nitems(view_logs_palette)]),
			    l->srcs[ln->src]);
		t = ln->text != NULL ? ln->text : "";
		seg = xstrndup(t + r[i].off, r[i].len);
		draw_text(w, y, 2 + pw, text_w - pw,
		          ln->stream == 2 && !match ? theme_attr(THEME_STDERR)
		                                    : attr,
		          seg);
		free(seg);
		v->copy_line = (long)r[i].line;
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

static int
view_logs_times(struct dash *d)
{
	struct view_logs_data *v = d->view_data;

	v->timestamps = !v->timestamps;
	dash_set_status(d, 0, "times %s", v->timestamps ? "shown" : "hidden");
	return DASH_REDRAW;
}

/* T's answer: the logs from then on, asked of the daemon again. */
static int
view_logs_since_done(struct dash *d, const char *text)
{
	struct view_logs_data *v = d->view_data;
	char *arg = NULL, *cause = NULL;

	if (*text != '\0' &&
	    (arg = units_time_arg(text, time(NULL), &cause)) == NULL) {
		dash_set_status(d, 2, "%s", cause);
		free(cause);
		return DASH_REDRAW;
	}
	free(v->since);
	free(v->since_arg);
	v->since = *text != '\0' ? xstrdup(text) : NULL;
	v->since_arg = arg;
	v->follow = 1;
	v->match = -1;
	view_logs_request(d);
	if (v->since != NULL)
		dash_set_status(d, 0, "logs since %s", v->since);
	else
		dash_set_status(d, 0, "the last %d lines", VIEW_LOGS_TAIL);
	return DASH_REDRAW | DASH_COMMAND;
}

static int
view_logs_since(struct dash *d)
{
	struct view_logs_data *v = d->view_data;

	return dialog_command_prompt(
	    d, "since (10m, 2h, 2024-05-01T10:00:00Z; empty: the last lines): ",
	    v->since, NULL, view_logs_since_done, NULL);
}

/* One line as saved: its time and name when the view shows them. */
static void
view_logs_save_line(const struct view_logs_data *v, const struct model_logs *l,
                    const struct model_log_line *ln, char **buf, size_t *len,
                    size_t *cap)
{
	char ts[64];
	const char *name = l->merged && ln->src >= 0 &&
	                           (size_t)ln->src < l->nsrcs &&
	                           l->srcs[ln->src] != NULL
	                       ? l->srcs[ln->src]
	                       : NULL;
	char *line;
	size_t n;

	view_logs_time(ln->timestamp, ts, sizeof ts);
	line = xasprintf("%s%s%s%s%s\n", v->timestamps ? ts : "",
	                 v->timestamps ? " " : "", name != NULL ? name : "",
	                 name != NULL ? " | " : "",
	                 ln->text != NULL ? ln->text : "");
	n = strlen(line);
	if (*len + n + 1 > *cap) {
		*cap = (*len + n + 1) * 2;
		*buf = xreallocarray(*buf, *cap, 1);
	}
	memcpy(*buf + *len, line, n + 1);
	*len += n;
	free(line);
}

/* s's answer: every line the view holds, written whole or not at all. */
static int
view_logs_save_done(struct dash *d, const char *text)
{
	struct view_logs_data *v = d->view_data;
	const struct model_logs *l = view_logs_model(d);
	char *path, *buf = NULL, *cause = NULL;
	size_t i, len = 0, cap = 0;
	struct stat sb;
	const char *home = getenv("HOME");

	if (*text == '\0')
		return DASH_REDRAW;
	if (l == NULL) {
		dash_set_status(d, 2, "no logs to save yet");
		return DASH_REDRAW;
	}
	if (text[0] == '~' && text[1] == '/' && home != NULL)
		path = xasprintf("%s%s", home, text + 1);
	else
		path = xstrdup(text);
	/* a file there is the user's: never replaced by a save */
	if (lstat(path, &sb) == 0) {
		dash_set_status(d, 2, "not saved: %s exists", path);
		free(path);
		return DASH_REDRAW;
	}
	for (i = 0; i < l->nlines; i++)
		view_logs_save_line(v, l, &l->lines[i], &buf, &len, &cap);
	if (util_write_file_atomic(path, buf != NULL ? buf : "", len, 0644, 0,
	                           &cause) != 0) {
		dash_set_status(d, 2, "not saved: %s", cause);
		free(cause);
	} else
		dash_set_status(d, 0, "saved %zu line%s to %s", l->nlines,
		                l->nlines == 1 ? "" : "s", path);
	free(buf);
	free(path);
	return DASH_REDRAW;
}

static int
view_logs_save(struct dash *d)
{
	struct view_logs_data *v = d->view_data;
	char stamp[32], *name, *def, *c;
	time_t now = time(NULL);
	struct tm tm;
	int rc;

	if (localtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm) == 0)
		snprintf(stamp, sizeof stamp, "%lld", (long long)now);
	/* the name as a file name: no '/', nothing a shell would mind */
	name = xstrdup(v->name);
	for (c = name; *c != '\0'; c++) {
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' ||
		      *c == '.'))
			*c = '_';
	}
	def = xasprintf("./%s-%s.log", name[0] == '.' ? "logs" : name, stamp);
	rc = dialog_command_prompt(d, "save to: ", def, NULL,
	                           view_logs_save_done, NULL);
	free(def);
	free(name);
	return rc;
}

/*
 * y: copy a line with OSC 52: the search match when there is one, else
 * the last line on screen (the newest while following). Its text only,
 * as the backend sanitized it: no control character goes out.
 */
static int
view_logs_copy(struct dash *d)
{
	struct view_logs_data *v = d->view_data;
	const struct model_logs *l = view_logs_model(d);
	long k = v->match >= 0 ? v->match : v->copy_line;
	const char *t;
	char *safe, *cause = NULL;

	if (l == NULL || k < 0 || (size_t)k >= l->nlines) {
		dash_set_status(d, 1, "no line to copy");
		return DASH_REDRAW;
	}
	t = l->lines[k].text != NULL ? l->lines[k].text : "";
	safe = util_sanitize_dup(t, strlen(t));
	if (term_clipboard(safe, strlen(safe), &cause) != 0) {
		dash_set_status(d, 2, "not copied: %s", cause);
		free(cause);
	} else
		dash_set_status(d, 0,
		                "copied line %ld (%zu bytes) to the "
		                "clipboard",
		                k + 1, strlen(safe));
	free(safe);
	return DASH_REDRAW;
}

static const struct dash_binding view_logs_actions[] = {
    {ACT_VIEW_BACK, view_logs_back},      {ACT_UP, view_logs_up},
    {ACT_DOWN, view_logs_down},           {ACT_PAGE_UP, view_logs_page_up},
    {ACT_PAGE_DOWN, view_logs_page_down}, {ACT_TOP, view_logs_top},
    {ACT_BOTTOM, view_logs_bottom},       {ACT_LOG_FOLLOW, view_logs_follow},
    {ACT_LOG_WRAP, view_logs_wrap},       {ACT_LOG_SEARCH, view_logs_search},
    {ACT_LOG_NEXT, view_logs_next},       {ACT_LOG_PREV, view_logs_prev},
    {ACT_LOG_TIMES, view_logs_times},     {ACT_LOG_SINCE, view_logs_since},
    {ACT_LOG_SAVE, view_logs_save},       {ACT_LOG_COPY, view_logs_copy},
};

static void
view_logs_close(struct dash *d)
{
	struct view_logs_data *v = d->view_data;

	engine_send(d->engine, ENGINE_CMD_CT_LOGS_STOP, v->id, NULL, 0);
	free(v->id);
	free(v->name);
	free(v->search);
	free(v->since);
	free(v->since_arg);
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
