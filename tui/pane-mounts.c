/*
 * pane-mounts.c: the Mounts pane. One line per shared folder: host path ->
 * guest path, type, rw/ro, whether the domain has it, the watch mode
 * (off/poll/native) and, in polling mode, the scanner's live figures.
 * Key: w cycles the selected mount's watch mode.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tui/dashboard.h"

static const char *const pane_mounts_watch[] = {
    [PROFILE_WATCH_OFF] = "off",
    [PROFILE_WATCH_POLL] = "poll",
    [PROFILE_WATCH_NATIVE] = "native",
};

/* The pane's own state (struct pane's create). */
struct pane_mounts_data {
	int sel; /* index into the model's mounts */
};

static struct pane_mounts_data *
pane_mounts_data(const struct dash *d)
{
	return dash_pane_data(d, &pane_mounts);
}

static void *
pane_mounts_create(void)
{
	return xcalloc(1, sizeof(struct pane_mounts_data));
}

/* A new profile has other mounts: select the first. */
static void
pane_mounts_reset(struct dash *d)
{
	pane_mounts_data(d)->sel = 0;
}

static int
pane_mounts_height(const struct dash *d)
{
	size_t n = d->model->nmounts;

	if (n < 1)
		return 2; /* the rule and "no shared folders" */
	if (n > 4)
		n = 4;
	return (int)n +
	       2; /* the rule, the mounts, the selected one's figures */
}

/*
 * A sync mount's figures (mounts-sync.c): the first sync's progress in
 * entries and bytes, or the folder in step with the lag of the last batch
 * and the bytes sent. Its last error is the mount's note.
 */
static void
pane_mounts_sync(WINDOW *w, int y, int x, int cols,
                 const struct model_mount *mt)
{
	int dim = theme_attr(THEME_DIM);
	char *done, *total, *bytes, *sent, lag[32] = "—", back[48] = "";

	if (strcmp(mt->sync_state, "copying") == 0) {
		done = units_format_size(mt->sync_done_bytes);
		total = units_format_size(mt->sync_total_bytes);
		draw_printf(
		    w, y, x, cols - x, theme_attr(THEME_STATUS_WARN),
		    "initial copy %llu%% · %llu/%llu entries · %s of %s",
		    (unsigned long long)(mt->sync_total_bytes > 0
		                             ? mt->sync_done_bytes * 100 /
		                                   mt->sync_total_bytes
		                         : mt->sync_total > 0
		                             ? mt->sync_done * 100 /
		                                   mt->sync_total
		                             : 100),
		    (unsigned long long)mt->sync_done,
		    (unsigned long long)mt->sync_total, done, total);
		free(done);
		free(total);
		return;
	}
	if (strcmp(mt->sync_state, "off") == 0) {
		draw_text(
		    w, y, x, cols - x, dim,
		    "sync paused: w keeps the guest's copy in step again");
		return;
	}
	if (mt->sync_lag_ms >= 0)
		snprintf(lag, sizeof lag, "%lld ms",
		         (long long)mt->sync_lag_ms);
	bytes = units_format_size(mt->sync_bytes);
	sent = units_format_size(mt->sync_sent_bytes);
	if (mt->sync_both)
		snprintf(back, sizeof back, " · back %llu",
		         (unsigned long long)mt->sync_fetched);
	x += draw_printf(w, y, x, cols - x,
	                 strcmp(mt->sync_state, "watching") == 0
	                     ? dim
	                     : theme_attr(THEME_STATUS_WARN),
	                 "sync %s · %llu files %s · lag %s · sent %s%s",
	                 mt->sync_state, (unsigned long long)mt->files, bytes,
	                 lag, sent, back);
	/* Conflicts stand out: two copies of a file wait for the user. */
	if (mt->sync_conflicts > 0)
		draw_printf(w, y, x, cols - x, theme_attr(THEME_STATUS_WARN),
		            " · conflicts %llu",
		            (unsigned long long)mt->sync_conflicts);
	free(bytes);
	free(sent);
}

/*
 * One line of a watched mount's figures: folders, last and full pass,
 * replayed, queued, failed, latency host change -> guest event, errors,
 * and the 9p folders held open in the guest.
 */
static void
pane_mounts_detail(WINDOW *w, int y, int cols, const struct model_mount *mt)
{
	int dim = theme_attr(THEME_DIM), x = 1;
	char lat[32] = "—", held[80] = "";
	char *note = model_mount_note_text(&mt->note);

	/* A note (a warning, an error) comes first: the mount's line had
	 * no room for it. */
	if (note != NULL)
		x += draw_printf(
		    w, y, x, cols - x, theme_attr(THEME_STATUS_WARN), "%s%s",
		    note,
		    mt->watch != PROFILE_WATCH_OFF && mt->passes > 0 ? " · "
		                                                     : "");
	free(note);
	if (mt->sync_state != NULL) {
		pane_mounts_sync(w, y, x, cols, mt);
		return;
	}
	/* 9p folders are held whatever the mode; "of" when a limit applies. */
	if (mt->pinned >= 0 && mt->pin_total > 0)
		snprintf(held, sizeof held, " · held %lld of %llu folders",
		         (long long)mt->pinned,
		         (unsigned long long)mt->pin_total);
	else if (mt->pinned >= 0)
		snprintf(held, sizeof held, " · %lld folders held in guest",
		         (long long)mt->pinned);
	if (mt->watch == PROFILE_WATCH_OFF || mt->passes == 0) {
		if (mt->watch == PROFILE_WATCH_OFF &&
		    mt->note.kind == MOUNT_NOTE_NONE) {
			x += draw_printf(
			    w, y, x, cols - 1 - x, dim, "%s",
			    "w: watch this folder and replay host changes "
			    "in the guest");
			draw_text(w, y, x, cols - 1 - x, dim, held);
		}
		return;
	}
	if (mt->latency_ms >= 0)
		snprintf(lat, sizeof lat, "%lld ms", (long long)mt->latency_ms);
	x += draw_printf(w, y, x, cols - x, dim,
	                 "%llu files %llu folders · pass %llu ms · replayed "
	                 "%llu, queued %llu · latency %s",
	                 (unsigned long long)mt->files,
	                 (unsigned long long)mt->dirs,
	                 (unsigned long long)mt->last_pass_ms,
	                 (unsigned long long)mt->replayed,
	                 (unsigned long long)mt->queued, lat);
	/* Polling's worst case: the cold period, the budget's if longer. */
	if (mt->watch == PROFILE_WATCH_POLL && mt->cold_ms > 0) {
		char *every = units_format_duration(mt->cold_ms);

		x += draw_printf(w, y, x, cols - x, dim,
		                 " · each file every %s", every);
		free(every);
	}
	if (mt->failed > 0 || mt->errors > 0)
		x += draw_printf(w, y, x, cols - x,
		                 theme_attr(THEME_STATUS_WARN),
		                 " · %llu failed, %llu errors",
		                 (unsigned long long)mt->failed,
		                 (unsigned long long)mt->errors);
	draw_text(w, y, x, cols - x, dim, held);
}

static void
pane_mounts_draw(struct dash *d, WINDOW *w, int rows, int cols)
{
	struct pane_mounts_data *mo = pane_mounts_data(d);
	const struct model *m = d->model;
	int y, x, top = 0, dim = theme_attr(THEME_DIM);
	size_t i, sel_i;
	int detail;
	char right[32];

	snprintf(right, sizeof right, "%zu", m->nmounts);
	draw_rule(w, 0, 0, cols, "2 Mounts", dash_pane_focused(d, &pane_mounts),
	          m->nmounts > 0 ? right : NULL);
	if (rows < 2)
		return;
	if (m->nmounts == 0) {
		draw_text(w, 1, 1, cols - 2, dim,
		          "no shared folders in this profile (mounts: in its "
		          "YAML)");
		return;
	}
	if (mo->sel >= rows - 1)
		top = mo->sel - (rows - 2);
	/* A row to spare below the mounts: the selected one's figures. */
	detail = (size_t)(rows - 1) > m->nmounts - (size_t)top;
	sel_i = (size_t)mo->sel;
	for (i = (size_t)top, y = 1; i < m->nmounts && y < rows; i++, y++) {
		const struct model_mount *mt = &m->mounts[i];
		int sel =
		    dash_pane_focused(d, &pane_mounts) && (int)i == mo->sel;
		int base = sel ? theme_attr(THEME_SELECTION) : 0;
		int hw = (cols - 40) / 2;

		if (sel)
			draw_fill(w, y, 0, cols, base);
		x = 1;
		x += draw_text_tail(w, y, x, hw,
		                    base | theme_attr(THEME_DEFAULT), mt->host);
		/* Both ways for a two-way sync mount. */
		x += draw_text(w, y, x, 4, base | dim,
		               mt->sync_both ? (draw_ascii() ? " <> " : " ↔ ")
		                             : (draw_ascii() ? " -> " : " → "));
		x += draw_text_tail(w, y, x, hw,
		                    base | theme_attr(THEME_DEFAULT),
		                    mt->guest != NULL ? mt->guest : mt->host);
		x = 2 + 2 * hw + 4;
		x += draw_printf(w, y, x, cols - x, base | dim, " %s %s",
		                 mt->type != NULL ? mt->type : "?",
		                 mt->writable ? "rw" : "ro");
		if (!mt->present)
			x += draw_text(w, y, x, cols - x,
			               base | theme_attr(THEME_STATUS_WARN),
			               " missing");
		x += draw_text(w, y, x, cols - x, base | dim, " watch ");
		x += draw_text(w, y, x, cols - x,
		               base | theme_attr(mt->watch == PROFILE_WATCH_OFF
		                                     ? THEME_DIM
		                                     : THEME_STATUS_OK),
		               pane_mounts_watch[mt->watch]);
		if (mt->watch == PROFILE_WATCH_POLL && mt->last_pass_ms > 0)
			x += draw_printf(w, y, x, cols - x, base | dim,
			                 " %llu files %llums/pass %llu replayed"
			                 "%s",
			                 (unsigned long long)mt->files,
			                 (unsigned long long)mt->last_pass_ms,
			                 (unsigned long long)mt->replayed,
			                 mt->failed > 0 ? " !" : "");
		if (mt->note.kind != MOUNT_NOTE_NONE) {
			char *note = model_mount_note_text(&mt->note);

			draw_printf(w, y, x, cols - x,
			            base | theme_attr(THEME_STATUS_WARN), " %s",
			            detail && sel_i == i ? "!" : note);
			free(note);
		}
	}
	if (detail && y < rows && mo->sel >= 0 && sel_i < m->nmounts)
		pane_mounts_detail(w, y, cols, &m->mounts[mo->sel]);
}

static int
pane_mounts_up(struct dash *d)
{
	struct pane_mounts_data *mo = pane_mounts_data(d);

	if (mo->sel > 0)
		mo->sel--;
	return DASH_REDRAW;
}

static int
pane_mounts_down(struct dash *d)
{
	struct pane_mounts_data *mo = pane_mounts_data(d);

	if ((size_t)mo->sel + 1 < d->model->nmounts)
		mo->sel++;
	return DASH_REDRAW;
}

static int
pane_mounts_top(struct dash *d)
{
	struct pane_mounts_data *mo = pane_mounts_data(d);

	mo->sel = 0;
	return DASH_REDRAW;
}

static int
pane_mounts_bottom(struct dash *d)
{
	struct pane_mounts_data *mo = pane_mounts_data(d);
	size_t n = d->model->nmounts;

	mo->sel = n > 0 ? (int)n - 1 : 0;
	return DASH_REDRAW;
}

/* w: off -> poll -> native -> off for the selected mount. */
static int
pane_mounts_watch_next(struct dash *d)
{
	struct pane_mounts_data *mo = pane_mounts_data(d);
	const struct model_mount *mt;
	enum profile_watch next;

	if (d->model->nmounts == 0 || (size_t)mo->sel >= d->model->nmounts) {
		dash_set_status(d, 1, "no mount selected");
		return DASH_REDRAW;
	}
	mt = &d->model->mounts[mo->sel];
	next = mt->watch == PROFILE_WATCH_OFF    ? PROFILE_WATCH_POLL
	       : mt->watch == PROFILE_WATCH_POLL ? PROFILE_WATCH_NATIVE
	                                         : PROFILE_WATCH_OFF;
	dash_set_status(d, 0, "%s: watch %s", mt->host,
	                pane_mounts_watch[next]);
	return dash_send(d, ENGINE_CMD_MOUNT_WATCH, pane_mounts_watch[next],
	                 NULL, mo->sel);
}

static const struct dash_binding pane_mounts_actions[] = {
    {ACT_UP, pane_mounts_up},
    {ACT_DOWN, pane_mounts_down},
    {ACT_TOP, pane_mounts_top},
    {ACT_BOTTOM, pane_mounts_bottom},
    {ACT_MOUNT_WATCH, pane_mounts_watch_next},
};

/* What polling mode makes of each kind of host change (berth(1), Events). */
static const char *const pane_mounts_help[] = {
    "  Polling mode: what a host change raises in the guest (berth(1), "
    "Events)",
    "    create file    ATTRIB, OPEN, CLOSE_WRITE on it; no CREATE",
    "    modify         ATTRIB, OPEN, CLOSE_WRITE on it, once; no MODIFY",
    "    delete file    ATTRIB on its folder; no DELETE (not safe on a "
    "share)",
    "    rename file    the new name as a create, the old as a delete; no "
    "MOVED_*",
    "    mkdir          MOVED_FROM, MOVED_TO|ISDIR (renamed away and back)",
    "    rmdir          CREATE|ISDIR, DELETE|ISDIR (made and removed)",
    "    rename folder  the new name as a mkdir, the old as an rmdir",
    "  type: sync (a copy on the guest's disk): every change is native",
    "    (CREATE, CLOSE_WRITE, DELETE, MOVED_*); sync: both brings guest",
    "    changes back; changed on both sides: both kept, the guest's as",
    "    NAME.conflict-GUEST-TIME (berth mount sync-status)",
    NULL,
};

const struct pane pane_mounts = {
    .name = "mounts",
    .title = "Mounts",
    .scope = KEY_SCOPE_MOUNTS,
    .create = pane_mounts_create,
    .free = free,
    .reset = pane_mounts_reset,
    .height = pane_mounts_height,
    .draw = pane_mounts_draw,
    .actions = pane_mounts_actions,
    .nactions = nitems(pane_mounts_actions),
    .help = pane_mounts_help,
};
