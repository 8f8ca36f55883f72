/*
 * dashboard.c: the full-screen dashboard's loop. The UI thread only draws
 * and reads keys: it poll()s stdin, the signal self-pipe and the engine's
 * wake pipe; the engine thread does all backend I/O and publishes immutable
 * snapshots. Key handlers return an effect mask (redraw, repaint, layout,
 * quit); the loop applies it once per pass and calls doupdate() once.
 *
 * What the UI thread owns: everything in struct dash (the windows, the
 * focus and layout, the status line, the open view, dialog and prompt, and
 * each pane's own state behind pane_data), the curses library, the key
 * table and the theme. The engine thread never touches any of it. From the
 * engine the UI thread only reads snapshots: d->model is an immutable
 * model it holds a reference on (engine_snapshot), swapped for the newest
 * when the wake pipe fires; it writes nothing into one. What it wants done
 * goes the other way as commands (engine_send), copied into the engine's
 * queue.
 *
 * Nothing is written to the terminal when nothing visible changed: each
 * pass draws every visible window, hashes its cells (draw_digest) and sends
 * only the windows whose hash moved, and curses then sends only the cells
 * that differ. No pane lists what it shows: what it drew is what counts.
 * The loop never names a pane: it goes through dash_panes[] and the hooks
 * of struct pane.
 */

#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tui/dashboard.h"

/* How long a start-up notice stays over the engine's messages. */
#define DASH_NOTICE_HOLD_MS 10000

/* The panes, in focus order (keys 1-4). */
const struct pane *const dash_panes[DASH_NPANES] = {
    &pane_vm,
    &pane_mounts,
    &pane_socket,
    &pane_containers,
};

/* Refresh intervals + and - step through. */
static const uint64_t dash_intervals[] = {500, 1000, 2000, 5000, 10000, 30000};

static int dash_act_quit(struct dash *);
static int dash_act_help(struct dash *);
static int dash_act_next(struct dash *);
static int dash_act_prev(struct dash *);
static int dash_act_pane1(struct dash *);
static int dash_act_pane2(struct dash *);
static int dash_act_pane3(struct dash *);
static int dash_act_pane4(struct dash *);
static int dash_act_zoom(struct dash *);
static int dash_act_command(struct dash *);
static int dash_act_profile(struct dash *);
static int dash_act_repaint(struct dash *);
static int dash_act_faster(struct dash *);
static int dash_act_slower(struct dash *);

/* What the global actions do; panes and views handle the rest. */
static const struct dash_binding dash_global_actions[] = {
    {ACT_QUIT, dash_act_quit},       {ACT_HELP, dash_act_help},
    {ACT_NEXT_PANE, dash_act_next},  {ACT_PREV_PANE, dash_act_prev},
    {ACT_PANE_1, dash_act_pane1},    {ACT_PANE_2, dash_act_pane2},
    {ACT_PANE_3, dash_act_pane3},    {ACT_PANE_4, dash_act_pane4},
    {ACT_ZOOM, dash_act_zoom},       {ACT_COMMAND, dash_act_command},
    {ACT_PROFILE, dash_act_profile}, {ACT_REPAINT, dash_act_repaint},
    {ACT_FASTER, dash_act_faster},   {ACT_SLOWER, dash_act_slower},
};

/* Run the row of table for action a; -1 when the table has none. */
int
dash_dispatch(struct dash *d, const struct dash_binding *table, size_t n,
              enum key_action a)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (table[i].action == a)
			return table[i].fn(d);
	}
	return -1;
}

/* The action a in the open view, else in the focused pane. */
static int
dash_local_action(struct dash *d, enum key_action a)
{
	if (d->view != NULL)
		return dash_dispatch(d, d->view->actions, d->view->nactions, a);
	return dash_dispatch(d, dash_panes[d->focus]->actions,
	                     dash_panes[d->focus]->nactions, a);
}

/* A local message for the status line, replacing the model's newest. */
void
dash_set_status(struct dash *d, int level, const char *fmt, ...)
{
	va_list ap;

	free(d->status);
	va_start(ap, fmt);
	d->status = xvasprintf(fmt, ap);
	va_end(ap);
	d->status_level = level;
	d->status_ms = util_now_ms();
	d->status_hold_ms = 0;
}

/*
 * Whether the local status line still wins over the engine's newest
 * message: it is newer, or it is held (a notice the user must get to see
 * although the engine speaks at once, like the TERM fallback at start).
 */
static int
dash_status_shown(const struct dash *d, const struct model_message *msg)
{
	return d->status != NULL &&
	       (msg == NULL || msg->when_ms < d->status_ms ||
	        util_now_ms() < d->status_hold_ms);
}

/* Queue a command for the engine; returns the effect for the caller. */
int
dash_send(struct dash *d, enum engine_cmd_type type, const char *arg,
          const char *arg2, long long num)
{
	engine_send(d->engine, type, arg, arg2, num);
	return DASH_COMMAND | DASH_REDRAW;
}

/* Where p is in dash_panes, or -1. */
static int
dash_pane_index(const struct pane *p)
{
	int i;

	for (i = 0; i < DASH_NPANES; i++) {
		if (dash_panes[i] == p)
			return i;
	}
	return -1;
}

/* The main pane's index (struct pane's main), else the first pane's. */
int
dash_pane_main(void)
{
	int i;

	for (i = 0; i < DASH_NPANES; i++) {
		if (dash_panes[i]->main)
			return i;
	}
	return 0;
}

/* p's own state, made by its create hook; NULL if it has none. */
void *
dash_pane_data(const struct dash *d, const struct pane *p)
{
	int i = dash_pane_index(p);

	return i < 0 ? NULL : d->pane_data[i];
}

int
dash_pane_focused(const struct dash *d, const struct pane *p)
{
	return dash_pane_index(p) == d->focus;
}

/* Where p is on screen, or NULL when it is not (zoom, a view). */
const struct rect *
dash_pane_rect(const struct dash *d, const struct pane *p)
{
	int i = dash_pane_index(p);

	return i < 0 || !d->visible[i] ? NULL : &d->pane[i];
}

int
dash_focus_pane(struct dash *d, const struct pane *p)
{
	return dash_focus(d, dash_pane_index(p));
}

int
dash_focus(struct dash *d, int i)
{
	if (i < 0 || i >= DASH_NPANES)
		return 0;
	if (d->view != NULL)
		dash_close_view(d);
	d->focus = i;
	d->focus_settled = 1;
	return DASH_LAYOUT | DASH_REDRAW;
}

/*
 * Until the focus is settled, give it to the first pane that wants it
 * (wants_focus) once every pane knows; the main pane keeps it if none
 * does.
 */
static int
dash_initial_focus(struct dash *d)
{
	int i, r, want = -1;

	if (d->focus_settled)
		return 0;
	for (i = 0; i < DASH_NPANES; i++) {
		if (dash_panes[i]->wants_focus == NULL)
			continue;
		if ((r = dash_panes[i]->wants_focus(d)) < 0)
			return 0;
		if (r > 0 && want == -1)
			want = i;
	}
	d->focus_settled = 1;
	if (want == -1 || want == d->focus)
		return 0;
	d->focus = want;
	return DASH_LAYOUT | DASH_REDRAW;
}

void
dash_close_dialog(struct dash *d)
{
	if (d->dialog != NULL && d->dialog->close != NULL)
		d->dialog->close(d);
	d->dialog = NULL;
	d->dialog_data = NULL;
	if (d->win_dialog != NULL) {
		delwin(d->win_dialog);
		d->win_dialog = NULL;
	}
	d->dirty = 1;
}

void
dash_close_view(struct dash *d)
{
	if (d->view != NULL && d->view->close != NULL)
		d->view->close(d);
	d->view = NULL;
	d->view_data = NULL;
	d->dirty = 1;
}

/* Load and apply a theme by name; on error the status line says why. */
int
dash_switch_theme(struct dash *d, const char *name)
{
	struct theme *t;
	char *cause = NULL;

	if ((t = theme_open(name, &cause)) == NULL) {
		dash_set_status(d, 2, "theme %s: %s", name,
		                cause != NULL ? cause : "cannot load");
		free(cause);
		return DASH_REDRAW;
	}
	theme_free(d->theme);
	d->theme = t;
	free(d->theme_name);
	d->theme_name = xstrdup(name);
	theme_init_curses(t, d->color ? COLORS : 0, !d->color);
	return DASH_REPAINT;
}

static int
dash_act_quit(struct dash *d)
{
	if (d->model->busy)
		return dialog_confirm_quit(
		    d, "An operation is still running. Quit anyway?");
	return DASH_QUIT;
}

static int
dash_act_help(struct dash *d)
{
	return dialog_help_open(d);
}

static int
dash_act_next(struct dash *d)
{
	return dash_focus(d, (d->focus + 1) % DASH_NPANES);
}

static int
dash_act_prev(struct dash *d)
{
	return dash_focus(d, (d->focus - 1 + DASH_NPANES) % DASH_NPANES);
}

static int
dash_act_pane1(struct dash *d)
{
	return dash_focus(d, 0);
}

static int
dash_act_pane2(struct dash *d)
{
	return dash_focus(d, 1);
}

static int
dash_act_pane3(struct dash *d)
{
	return dash_focus(d, 2);
}

static int
dash_act_pane4(struct dash *d)
{
	return dash_focus(d, 3);
}

static int
dash_act_zoom(struct dash *d)
{
	d->zoom = !d->zoom;
	return DASH_LAYOUT | DASH_REDRAW;
}

static int
dash_act_command(struct dash *d)
{
	return dialog_command_open(d);
}

static int
dash_act_profile(struct dash *d)
{
	return dialog_profile_open(d);
}

static int
dash_act_repaint(struct dash *d)
{
	(void)d;
	return DASH_REPAINT;
}

static int
dash_interval_step(struct dash *d, int dir)
{
	uint64_t cur = d->interval_sent != 0 ? d->interval_sent
	                                     : d->model->refresh_ms,
	         next = cur;
	size_t i;

	if (dir < 0) {
		for (i = nitems(dash_intervals); i > 0; i--) {
			if (dash_intervals[i - 1] < cur) {
				next = dash_intervals[i - 1];
				break;
			}
		}
	} else {
		for (i = 0; i < nitems(dash_intervals); i++) {
			if (dash_intervals[i] > cur) {
				next = dash_intervals[i];
				break;
			}
		}
	}
	if (next == cur) {
		dash_set_status(d, 0, "refresh interval stays %llu ms",
		                (unsigned long long)cur);
		return DASH_REDRAW;
	}
	dash_set_status(d, 0, "refresh every %llu ms",
	                (unsigned long long)next);
	d->interval_sent = next;
	return dash_send(d, ENGINE_CMD_SET_INTERVAL, NULL, NULL,
	                 (long long)next);
}

static int
dash_act_faster(struct dash *d)
{
	return dash_interval_step(d, -1);
}

static int
dash_act_slower(struct dash *d)
{
	return dash_interval_step(d, 1);
}

/* A mouse click focuses the pane under it; the wheel moves. */
static int
dash_mouse(struct dash *d)
{
	MEVENT ev;
	int i;

	if (getmouse(&ev) != OK || d->dialog != NULL || d->prompt != NULL)
		return 0;
	if (ev.bstate & BUTTON4_PRESSED)
		return dash_local_action(d, ACT_UP);
	if (ev.bstate & BUTTON5_PRESSED)
		return dash_local_action(d, ACT_DOWN);
	for (i = 0; i < DASH_NPANES; i++) {
		struct rect *r = &d->pane[i];

		if (d->visible[i] && ev.y >= r->y && ev.y < r->y + r->h &&
		    ev.x >= r->x && ev.x < r->x + r->w)
			return dash_focus(d, i);
	}
	return 0;
}

/* One key: the prompt or dialog first, then the scopes in order. */
static int
dash_key(struct dash *d, int ch)
{
	enum key_scope scopes[4];
	enum key_action a;
	size_t n = 0;
	int eff;
	char buf[32];

	if (ch == KEY_RESIZE)
		return 0; /* SIGWINCH did the work */
	if (ch == KEY_MOUSE)
		return dash_mouse(d);
	if (d->prompt != NULL)
		return dialog_command_key(d, ch);
	if (d->dialog != NULL)
		return d->dialog->key(d, ch);
	if (d->status != NULL) {
		free(d->status);
		d->status = NULL;
	}
	if (d->view != NULL) {
		scopes[n++] = KEY_SCOPE_VIEW;
		if (d->view->scope != KEY_SCOPE_NSCOPES)
			scopes[n++] = d->view->scope;
	} else
		scopes[n++] = dash_panes[d->focus]->scope;
	scopes[n++] = KEY_SCOPE_MOVE;
	scopes[n++] = KEY_SCOPE_GLOBAL;
	a = keys_lookup(scopes, n, ch);
	if (a == ACT_NONE) {
		dash_set_status(d, 0, "%s: no action here (? for help)",
		                keys_name(ch, buf, sizeof buf));
		return DASH_REDRAW;
	}
	if (d->too_small && a != ACT_QUIT && a != ACT_REPAINT)
		return 0;
	if ((eff = dash_local_action(d, a)) >= 0)
		return eff;
	if ((eff = dash_dispatch(d, DASH_BINDINGS(dash_global_actions), a)) >=
	    0)
		return eff;
	return 0;
}

/* (Re)create the windows for the current layout. */
static void
dash_windows(struct dash *d)
{
	int i;

	if (d->win_header != NULL)
		delwin(d->win_header);
	if (d->win_footer != NULL)
		delwin(d->win_footer);
	if (d->win_body != NULL)
		delwin(d->win_body);
	d->win_header = d->win_footer = d->win_body = NULL;
	for (i = 0; i < DASH_NPANES; i++) {
		if (d->win_pane[i] != NULL)
			delwin(d->win_pane[i]);
		d->win_pane[i] = NULL;
	}
	if (d->win_dialog != NULL) {
		delwin(d->win_dialog);
		d->win_dialog = NULL;
	}
	layout_compute(d);
	d->dirty = 1;
	if (d->too_small)
		return;
	d->win_header = newwin(1, d->cols, 0, 0);
	d->win_footer = newwin(2, d->cols, d->rows - 2, 0);
	if (d->view != NULL)
		d->win_body = newwin(d->body.h, d->body.w, d->body.y, 0);
	for (i = 0; i < DASH_NPANES; i++) {
		struct rect *r = &d->pane[i];

		if (d->visible[i])
			d->win_pane[i] = newwin(r->h, r->w, r->y, r->x);
	}
}

static const char *
dash_vm_word(const struct model *m)
{
	if (m->vm.conn != MODEL_CONN_UP)
		return m->vm.conn == MODEL_CONN_NONE
		           ? "—"
		           : draw_conn_name(m->vm.conn);
	return model_vm_state_name(m->vm.state);
}

/* The header: profile, VM state, socket health, Docker, refresh. */
static void
dash_draw_header(struct dash *d)
{
	const struct model *m = d->model;
	WINDOW *w = d->win_header;
	int hattr = theme_attr(THEME_HEADER), x = 0;
	const char *vm = dash_vm_word(m), *sock;
	char *every = units_format_duration(m->refresh_ms);

	if (m->socket.path == NULL)
		sock = m->docker.conn == MODEL_CONN_UP ? "ok" : "—";
	else
		sock = m->socket.healthy ? "ok" : "down";
	draw_fill(w, 0, 0, d->cols, hattr);
	x += draw_text(w, 0, x, d->cols, hattr | (int)A_BOLD, " berth ");
	x += draw_printf(w, 0, x, d->cols - x, hattr, " profile %s ",
	                 m->profile != NULL ? m->profile : "?");
	x += draw_printf(w, 0, x, d->cols - x, hattr, " VM %s ", vm);
	x += draw_printf(w, 0, x, d->cols - x, hattr, " socket %s ", sock);
	if (m->docker.conn == MODEL_CONN_UP && m->docker.version != NULL)
		x += draw_printf(w, 0, x, d->cols - x, hattr, " Docker %s ",
		                 m->docker.version);
	else
		x += draw_printf(w, 0, x, d->cols - x, hattr, " Docker %s ",
		                 draw_conn_name(m->docker.conn));
	x += draw_printf(w, 0, x, d->cols - x, hattr, " every %s ", every);
	if (m->busy)
		x += draw_text(w, 0, x, d->cols - x, hattr | (int)A_BOLD,
		               " busy ");
	if (d->cols - x > 8)
		draw_text(w, 0, d->cols - 7, 7, hattr, "? help ");
	free(every);
}

static const struct model_message *
dash_last_message(const struct model *m)
{
	return m->nmessages > 0 ? &m->messages[m->nmessages - 1] : NULL;
}

static const struct key_def *
dash_footer_defs(struct dash *d, const struct key_def **out, size_t max)
{
	const struct pane *pane = d->view != NULL ? NULL : dash_panes[d->focus];
	enum key_scope first = pane == NULL ? KEY_SCOPE_VIEW : pane->scope;
	size_t i, n = 0, pass;

	for (pass = 0; pass < 3; pass++) {
		enum key_scope s =
		    pass == 0 ? first
		    : pass == 1
		        ? (d->view != NULL ? d->view->scope : KEY_SCOPE_NSCOPES)
		        : KEY_SCOPE_GLOBAL;

		for (i = 0; i < keys_ntable && n < max - 1; i++) {
			if (keys_table[i].scope != s ||
			    keys_table[i].label == NULL)
				continue;
			if (pass == 0 && pane != NULL &&
			    pane->key_shown != NULL &&
			    !pane->key_shown(d, keys_table[i].action))
				continue;
			out[n++] = &keys_table[i];
		}
	}
	out[n] = NULL;
	return out[0];
}

/* Draw one "key Label" item of the key bar; returns the columns used. */
static int
dash_footer_item(WINDOW *w, int x, int maxw, const struct key_def *def)
{
	int codes[1], kw;
	char buf[32];

	if (keys_bound(def->action, codes, 1) == 0)
		return 0;
	keys_name(codes[0], buf, sizeof buf);
	kw = draw_width(buf) + 1 + (int)strlen(def->label) + 1;
	if (kw > maxw)
		return -1;
	x += draw_text(w, 0, x, maxw, theme_attr(THEME_KEY_HINT), buf);
	x += draw_text(w, 0, x, 1, theme_attr(THEME_KEY_LABEL), " ");
	draw_text(w, 0, x, maxw, theme_attr(THEME_KEY_LABEL), def->label);
	return kw;
}

/*
 * The F-key bar: the focused pane's (or view's) keys from the left, the
 * global ones from the right, so Help and Quit always show.
 */
static void
dash_draw_footer(struct dash *d)
{
	WINDOW *w = d->win_footer;
	const struct key_def *defs[48];
	const struct model_message *msg = dash_last_message(d->model);
	int x = 0, i, n, right = 0, used;

	werase(w);
	draw_fill(w, 0, 0, d->cols, theme_attr(THEME_KEY_LABEL));
	dash_footer_defs(d, defs, nitems(defs));
	for (n = 0; defs[n] != NULL; n++)
		;
	/* Global keys, right-aligned, from the last. */
	for (i = n - 1; i >= 0 && defs[i]->scope == KEY_SCOPE_GLOBAL; i--) {
		int codes[1], kw;
		char buf[32];

		if (keys_bound(defs[i]->action, codes, 1) == 0)
			continue;
		keys_name(codes[0], buf, sizeof buf);
		kw = draw_width(buf) + 1 + (int)strlen(defs[i]->label) + 1;
		if (right + kw > d->cols / 2)
			break;
		right += kw;
	}
	used = d->cols - right;
	for (i = i + 1; i < n; i++) {
		int k = dash_footer_item(w, used, d->cols - used, defs[i]);

		if (k > 0)
			used += k;
	}
	for (i = 0; i < n && defs[i]->scope != KEY_SCOPE_GLOBAL; i++) {
		int k = dash_footer_item(w, x, d->cols - right - x, defs[i]);

		if (k < 0)
			break;
		x += k;
	}
	if (d->prompt != NULL) {
		/* completions and errors show above the line being edited */
		if (d->status != NULL) {
			draw_fill(w, 0, 0, d->cols, theme_attr(THEME_DEFAULT));
			draw_text(w, 0, 0, d->cols,
			          theme_attr(d->status_level >= 2
			                         ? THEME_STATUS_ERROR
			                         : THEME_DEFAULT),
			          d->status);
		}
		dialog_command_draw(d, w, 1);
	} else if (dash_status_shown(d, msg))
		draw_text(w, 1, 0, d->cols,
		          theme_attr(d->status_level >= 2   ? THEME_STATUS_ERROR
		                     : d->status_level == 1 ? THEME_STATUS_WARN
		                                            : THEME_DEFAULT),
		          d->status);
	else if (msg != NULL) {
		time_t t = (time_t)(msg->when_ms / 1000);
		struct tm tm;
		char ts[16];

		localtime_r(&t, &tm);
		strftime(ts, sizeof ts, "%H:%M:%S", &tm);
		x = draw_text(w, 1, 0, d->cols, theme_attr(THEME_DIM), ts);
		draw_text(w, 1, x + 1, d->cols - x - 1,
		          theme_attr(msg->level >= 2   ? THEME_STATUS_ERROR
		                     : msg->level == 1 ? THEME_STATUS_WARN
		                                       : THEME_DEFAULT),
		          msg->text);
	}
}

/* Below 80x24: one centred line and nothing else. */
static void
dash_draw_too_small(struct dash *d)
{
	const char *msg = "terminal too small (need 80x24)";
	int len = (int)strlen(msg), y = d->rows / 2, x = (d->cols - len) / 2;

	werase(stdscr);
	if (x < 0)
		x = 0;
	draw_text(stdscr, y, x, d->cols, theme_attr(THEME_STATUS_WARN), msg);
	wnoutrefresh(stdscr);
}

/*
 * Queue w for the terminal if its cells differ from what was sent last
 * (*drawn), or everything is to be sent; returns whether it was queued.
 */
static int
dash_send_window(struct dash *d, WINDOW *w, uint64_t *drawn)
{
	uint64_t h = draw_digest(w);

	if (!d->dirty && h == *drawn)
		return 0;
	*drawn = h;
	wnoutrefresh(w);
	return 1;
}

/* Draw everything; returns nonzero when doupdate() has work. */
static int
dash_draw(struct dash *d)
{
	int i, any = 0, dh, dw;

	if (d->too_small) {
		if (d->dirty)
			dash_draw_too_small(d);
		any = d->dirty;
		d->dirty = 0;
		return any;
	}
	if (d->dirty) {
		/* stdscr sits under everything; keep it blank. */
		werase(stdscr);
		wnoutrefresh(stdscr);
		any = 1;
	}
	dash_draw_header(d);
	any |= dash_send_window(d, d->win_header, &d->header_drawn);
	if (d->view != NULL) {
		werase(d->win_body);
		d->view->draw(d, d->win_body, d->body.h, d->body.w);
		any |= dash_send_window(d, d->win_body, &d->view_drawn);
	}
	for (i = 0; i < DASH_NPANES && d->view == NULL; i++) {
		struct rect *r = &d->pane[i];

		if (!d->visible[i])
			continue;
		werase(d->win_pane[i]);
		dash_panes[i]->draw(d, d->win_pane[i], r->h, r->w);
		any |= dash_send_window(d, d->win_pane[i], &d->drawn[i]);
		/* a pane not at the left edge has a gap line before it */
		if (r->x > 0 && d->dirty) {
			draw_vline(stdscr, d->body.y, r->x - 1, d->body.h,
			           theme_attr(THEME_BORDER_INACTIVE));
			wnoutrefresh(stdscr);
		}
	}
	dash_draw_footer(d);
	any |= dash_send_window(d, d->win_footer, &d->footer_drawn);
	if (d->dialog != NULL && (any || d->win_dialog == NULL)) {
		d->dialog->size(d, &dh, &dw);
		if (dh > d->rows)
			dh = d->rows;
		if (dw > d->cols)
			dw = d->cols;
		if (d->win_dialog == NULL)
			d->win_dialog = newwin(dh, dw, (d->rows - dh) / 2,
			                       (d->cols - dw) / 2);
		werase(d->win_dialog);
		d->dialog->draw(d, d->win_dialog, dh, dw);
		touchwin(d->win_dialog);
		wnoutrefresh(d->win_dialog);
		any = 1;
	}
	d->dirty = 0;
	return any;
}

/* After a pass: each pane tells the engine what it shows. */
static void
dash_shown(struct dash *d)
{
	int i;

	for (i = 0; i < DASH_NPANES; i++) {
		if (dash_panes[i]->shown != NULL)
			dash_panes[i]->shown(d);
	}
}

/* Take the newest snapshot; returns effects (a theme change repaints). */
static int
dash_take_snapshot(struct dash *d)
{
	struct model *m;
	char *old_theme;
	int want[DASH_NPANES], i, relayout = 0;

	engine_ack_wake(d->engine);
	m = engine_snapshot(d->engine);
	if (m == d->model) {
		model_unref(m);
		return 0;
	}
	old_theme = d->model != NULL && d->model->profile != NULL
	                ? xstrdup(d->model->profile)
	                : NULL;
	for (i = 0; i < DASH_NPANES; i++)
		want[i] = d->model != NULL ? dash_panes[i]->height(d) : -1;
	model_unref(d->model);
	d->model = m;
	/* A pane that wants other rows now (mounts appeared): lay out again. */
	for (i = 0; i < DASH_NPANES; i++)
		relayout |= dash_panes[i]->height(d) != want[i];
	if (relayout && d->win_header != NULL)
		dash_windows(d);
	if (m->refresh_ms == d->interval_sent)
		d->interval_sent = 0;
	/* A profile switch resets what pointed into the old one. */
	if (old_theme != NULL && m->profile != NULL &&
	    strcmp(old_theme, m->profile) != 0) {
		for (i = 0; i < DASH_NPANES; i++) {
			if (dash_panes[i]->reset != NULL)
				dash_panes[i]->reset(d);
		}
		d->interval_sent = 0;
		if (d->view != NULL)
			dash_close_view(d);
	}
	free(old_theme);
	if (dash_initial_focus(d) != 0 && d->win_header != NULL)
		dash_windows(d);
	/* Per-profile themes: follow the profile's theme: unless told not to.
	 */
	if (d->theme_follows && m->theme != NULL &&
	    (d->theme_wanted == NULL ||
	     strcmp(m->theme, d->theme_wanted) != 0)) {
		free(d->theme_wanted);
		d->theme_wanted = xstrdup(m->theme);
		if (d->theme_name == NULL ||
		    strcmp(m->theme, d->theme_name) != 0)
			return dash_switch_theme(d, m->theme);
	}
	return 0;
}

static void
dash_resize(struct dash *d)
{
	term_size(&d->rows, &d->cols);
	resizeterm(d->rows, d->cols);
	dash_windows(d);
	clearok(curscr, TRUE);
}

/* Theme for this run: --theme, else the profile's, else default. */
static void
dash_initial_theme(struct dash *d, const struct profile *p)
{
	const char *name = d->ctx->theme;
	char *cause = NULL;

	d->theme_follows = name == NULL;
	if (name == NULL)
		name = p->theme != NULL ? p->theme : "default";
	d->theme = theme_open(name, &cause);
	if (d->theme == NULL && strcmp(name, "default") != 0) {
		dash_set_status(d, 1, "theme %s: %s; using default", name,
		                cause != NULL ? cause : "cannot load");
		free(cause);
		cause = NULL;
		name = "default";
		d->theme = theme_open(name, &cause);
	}
	free(cause);
	d->theme_name = xstrdup(name);
}

static void
dash_free(struct dash *d)
{
	int i;

	if (d->prompt != NULL)
		dialog_command_free(d);
	if (d->dialog != NULL)
		dash_close_dialog(d);
	if (d->view != NULL)
		dash_close_view(d);
	for (i = 0; i < DASH_NPANES; i++) {
		if (d->win_pane[i] != NULL)
			delwin(d->win_pane[i]);
		if (d->pane_data[i] != NULL)
			dash_panes[i]->free(d->pane_data[i]);
	}
	if (d->win_header != NULL)
		delwin(d->win_header);
	if (d->win_footer != NULL)
		delwin(d->win_footer);
	if (d->win_body != NULL)
		delwin(d->win_body);
	model_unref(d->model);
	theme_free(d->theme);
	free(d->theme_name);
	free(d->theme_wanted);
	free(d->status);
}

/* Read config.yaml's keys: section; errors go to stderr. */
static int
dash_load_keys(void)
{
	struct config_errors errs = {NULL, 0};
	char *dir = paths_config_dir(), *file;
	int rc;

	file = xasprintf("%s/config.yaml", dir);
	rc = keys_load_config(file, &errs);
	if (rc != 0)
		config_errors_print(&errs, stderr);
	config_errors_free(&errs);
	free(file);
	free(dir);
	return rc;
}

/* Handle the signals the self-pipe reported; returns effects. */
static int
dash_signals(struct dash *d, int *exit_code)
{
	int bits = term_take_signals();

	/* the shell's 128 + signal; the terminal is restored on the way out */
	if (bits & TERM_SIG_HUP) {
		*exit_code = 128 + SIGHUP;
		return DASH_QUIT;
	}
	if (bits & TERM_SIG_TERM) {
		*exit_code = 128 + SIGTERM;
		return DASH_QUIT;
	}
	if (bits & TERM_SIG_QUIT) {
		*exit_code = 128 + SIGQUIT;
		return DASH_QUIT;
	}
	if (bits & TERM_SIG_TSTP) {
		term_suspend();
		dash_resize(d);
		return DASH_REPAINT;
	}
	if (bits & (TERM_SIG_WINCH | TERM_SIG_CONT)) {
		dash_resize(d);
		return DASH_REPAINT;
	}
	if (bits & TERM_SIG_INT)
		return dash_act_quit(d);
	return 0;
}

/* The dashboard: berth with no subcommand. Returns an exit code. */
int
dashboard_run(struct cmd_ctx *ctx)
{
	struct dash dash, *d = &dash;
	struct profile *p;
	char *cause = NULL, *notice = NULL;
	struct pollfd pfd[3];
	long passes = 0;
	int eff, ch, exit_code = BERTH_EXIT_OK, timeout, r, i;
	uint64_t now;

	memset(d, 0, sizeof *d);
	d->ctx = ctx;
	/*
	 * A write to a pipe or socket whose reader is gone (a child's stdin,
	 * a closed connection) must give EPIPE, not end the dashboard: the
	 * engine thread has SIGPIPE blocked, this thread runs the
	 * components' teardown on the way out.
	 */
	signal(SIGPIPE, SIG_IGN);
	if (dash_load_keys() != 0)
		return BERTH_EXIT_USAGE;
	if ((p = profile_open(ctx->profile, &cause)) == NULL) {
		fprintf(stderr, "berth: %s\n", cause);
		free(cause);
		return BERTH_EXIT_USAGE;
	}
	for (i = 0; i < DASH_NPANES; i++) {
		if (dash_panes[i]->create != NULL)
			d->pane_data[i] = dash_panes[i]->create();
	}
	dash_initial_theme(d, p);
	if ((r = term_open(ctx, &notice)) != 0) {
		fprintf(stderr, "berth: %s\n", notice);
		free(notice);
		profile_free(p);
		dash_free(d);
		return r == -2 ? BERTH_EXIT_USAGE : BERTH_EXIT_FAILED;
	}
	if (notice != NULL) {
		/* the engine's first messages must not hide it at once */
		dash_set_status(d, 1, "%s", notice);
		d->status_hold_ms = d->status_ms + DASH_NOTICE_HOLD_MS;
		free(notice);
	}
	d->ascii = ctx->ascii;
	draw_init(d->ascii);
	d->color = !ctx->no_color && has_colors();
	if (d->color) {
		start_color();
		use_default_colors();
	}
	theme_init_curses(d->theme, d->color ? COLORS : 0, !d->color);

	/*
	 * Paint at once from a placeholder model: the components connect
	 * while the engine is created, and a remote libvirt can take seconds.
	 */
	d->model = model_new();
	d->model->profile = xstrdup(p->name);
	d->model->refresh_ms = p->refresh_ms != 0 ? p->refresh_ms : 2000;
	d->model->vm.conn = MODEL_CONN_CONNECTING;
	d->model->docker.conn = MODEL_CONN_CONNECTING;
	d->focus = dash_pane_main();
	dash_resize(d);
	if (dash_draw(d))
		doupdate();

	d->engine = engine_create(p, 1);
	term_block_signals(1);
	engine_start(d->engine);
	term_block_signals(0);
	dash_take_snapshot(d);

	for (;;) {
		if (dash_draw(d))
			doupdate();
		if (!d->too_small)
			dash_shown(d);
		if (ctx->max_iterations > 0 && ++passes >= ctx->max_iterations)
			break;
		timeout = ctx->max_iterations > 0 ? 50 : -1;
		now = util_now_ms();
		/* wake when a held notice lets the engine's messages show */
		if (d->status != NULL && d->status_hold_ms > now &&
		    (timeout < 0 ||
		     d->status_hold_ms - now < (uint64_t)timeout))
			timeout = (int)(d->status_hold_ms - now);
		pfd[0] = (struct pollfd){STDIN_FILENO, POLLIN, 0};
		pfd[1] = (struct pollfd){term_signal_fd(), POLLIN, 0};
		pfd[2] = (struct pollfd){engine_wake_fd(d->engine), POLLIN, 0};
		if (poll(pfd, 3, timeout) == -1 && errno != EINTR)
			fatal("poll: %s", strerror(errno));
		eff = 0;
		if (pfd[1].revents & POLLIN)
			eff |= dash_signals(d, &exit_code);
		if (eff & DASH_QUIT)
			break;
		if (pfd[2].revents & POLLIN)
			eff |= dash_take_snapshot(d);
		if (pfd[0].revents & (POLLHUP | POLLERR)) {
			exit_code = 128 + SIGHUP;
			break;
		}
		if (pfd[0].revents & POLLIN) {
			while ((ch = getch()) != ERR) {
				eff |= dash_key(d, ch);
				if (eff & DASH_QUIT)
					break;
			}
		}
		if (eff & DASH_QUIT)
			break;
		if (eff & DASH_LAYOUT)
			dash_windows(d);
		if (eff & DASH_REPAINT) {
			dash_windows(d);
			clearok(curscr, TRUE);
		}
		if (eff & DASH_REDRAW)
			d->dirty = 1;
	}
	term_close();
	engine_free(d->engine);
	dash_free(d);
	return exit_code;
}
