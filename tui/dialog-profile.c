/*
 * dialog-profile.c: the profile picker (p). Lists every profile, user and
 * shipped, each with its VM state (asked of the engine on opening, so
 * libvirt is never called from here); Enter switches the
 * whole dashboard to the selection without restarting berth (the engine
 * tears its components down and builds them for the new profile); s does
 * the same and starts the new profile's VM. The last row, "new…" (or n),
 * asks for a name and writes a new profile with the writer `berth profile
 * new` uses (a commented file with its own domain and context), then
 * selects it.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tui/dashboard.h"

struct dialog_profile_data {
	char **names;
	size_t n;
	int sel; /* n: the "new…" row */
	int naming;
	char name[PROFILE_NAME_MAX + 1];
	size_t len;
};

/* Read the names again and select `name` (NULL: keep the selection). */
static void
dialog_profile_reload(struct dialog_profile_data *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->names[i]);
	free(p->names);
	p->names = profile_list_names(&p->n);
	for (i = 0; name != NULL && i < p->n; i++) {
		if (strcmp(p->names[i], name) == 0)
			p->sel = (int)i;
	}
	if ((size_t)p->sel > p->n)
		p->sel = (int)p->n;
}

/*
 * Write the profile named in the prompt: the skeleton of `berth profile
 * new`, its own names. A small local file, written here like an edit of
 * the resources dialog's profile.
 */
static int
dialog_profile_create(struct dash *d, struct dialog_profile_data *p)
{
	struct profile_write_spec spec;
	char *text, *path, *cause = NULL;
	size_t len;

	memset(&spec, 0, sizeof spec);
	spec.name = p->name;
	if ((text = profile_write_text(&spec, &len, &cause)) == NULL ||
	    (path = profile_write_new(p->name, text, len, 0, &cause)) == NULL) {
		dash_set_status(d, 2, "%s", cause);
		free(cause);
		free(text);
		return DASH_REDRAW;
	}
	free(text);
	dash_set_status(d, 0,
	                "profile %s: %s (Enter switches to it; berth profile "
	                "edit %s changes it)",
	                p->name, path, p->name);
	free(path);
	p->naming = 0;
	dialog_profile_reload(p, p->name);
	engine_send(d->engine, ENGINE_CMD_LIST_PROFILES, NULL, NULL, 0);
	return DASH_REDRAW;
}

int
dialog_profile_open(struct dash *d)
{
	struct dialog_profile_data *p = xcalloc(1, sizeof *p);
	size_t i;

	p->names = profile_list_names(&p->n);
	/* The engine fills model.profiles with every profile's VM state. */
	engine_send(d->engine, ENGINE_CMD_LIST_PROFILES, NULL, NULL, 0);
	for (i = 0; i < p->n; i++) {
		if (d->model->profile != NULL &&
		    strcmp(p->names[i], d->model->profile) == 0)
			p->sel = (int)i;
	}
	if (d->dialog != NULL)
		dash_close_dialog(d);
	d->dialog = &dialog_profile;
	d->dialog_data = p;
	return DASH_REDRAW;
}

static void
dialog_profile_size(const struct dash *d, int *h, int *w)
{
	const struct dialog_profile_data *p = d->dialog_data;

	*h = (int)p->n + 6;
	if (*h > d->rows - 4)
		*h = d->rows - 4;
	if (*h < 7)
		*h = 7;
	*w = 60;
}

static void
dialog_profile_draw(struct dash *d, WINDOW *w, int rows, int cols)
{
	struct dialog_profile_data *p = d->dialog_data;
	int attr = theme_attr(THEME_DIALOG), y, top = 0, body = rows - 4;
	size_t i;

	wbkgdset(w, ' ' | attr);
	werase(w);
	draw_box(w, 0, 0, rows, cols, theme_attr(THEME_DIALOG_BORDER));
	draw_text(w, 0, 2, cols - 4,
	          theme_attr(THEME_DIALOG_BORDER) | (int)A_BOLD, " Profiles ");
	if (p->sel >= body)
		top = p->sel - body + 1;
	for (i = (size_t)top, y = 1; i < p->n && y <= body; i++, y++) {
		int cur = d->model->profile != NULL &&
		          strcmp(p->names[i], d->model->profile) == 0;
		int a = (int)i == p->sel ? theme_attr(THEME_SELECTION) : attr;
		const char *state = "…";
		size_t k;

		draw_fill(w, y, 1, cols - 2, a);
		if (d->ascii)
			state = "...";
		for (k = 0; k < d->model->nprofiles; k++) {
			if (strcmp(d->model->profiles[k].name, p->names[i]) ==
			    0)
				state = d->model->profiles[k].state ==
				                MODEL_VM_UNKNOWN
				            ? "invalid or unreachable"
				            : model_vm_state_name(
				                  d->model->profiles[k].state);
		}
		if (cur)
			state = d->model->vm.conn == MODEL_CONN_UP
			            ? model_vm_state_name(d->model->vm.state)
			            : draw_conn_name(d->model->vm.conn);
		draw_printf(w, y, 2, cols - 4, a, "%s %-24s %s",
		            cur ? "*" : " ", p->names[i], state);
	}
	if (y <= body) {
		int a =
		    (size_t)p->sel == p->n ? theme_attr(THEME_SELECTION) : attr;

		draw_fill(w, y, 1, cols - 2, a);
		if (p->naming)
			draw_printf(w, y, 2, cols - 4, a, "+ name: %s_",
			            p->name);
		else
			draw_text(w, y, 2, cols - 4, a,
			          d->ascii ? "+ new..." : "+ new…");
	}
	draw_text(w, rows - 2, 2, cols - 4, theme_attr(THEME_DIM),
	          p->naming ? "Enter create the profile   Esc back"
	                    : "Enter switch   s and start   n new   Esc "
	                      "cancel");
}

static int
dialog_profile_key(struct dash *d, int ch)
{
	struct dialog_profile_data *p = d->dialog_data;
	enum key_scope s = KEY_SCOPE_MOVE;
	char *name;

	if (p->naming) {
		switch (ch) {
		case 27:
			p->naming = 0;
			return DASH_REDRAW;
		case '\n':
		case '\r':
		case KEY_ENTER:
			if (p->len == 0)
				return DASH_REDRAW;
			return dialog_profile_create(d, p);
		case KEY_BACKSPACE:
		case 127:
		case 8:
			if (p->len > 0)
				p->name[--p->len] = '\0';
			return DASH_REDRAW;
		default:
			/* profile_name_check says why a name will not do */
			if (ch > ' ' && ch < 0x7f &&
			    p->len < PROFILE_NAME_MAX) {
				p->name[p->len++] = (char)ch;
				p->name[p->len] = '\0';
			}
			return DASH_REDRAW;
		}
	}
	if (ch == 'n' || ((size_t)p->sel == p->n &&
	                  (ch == '\n' || ch == '\r' || ch == KEY_ENTER))) {
		p->sel = (int)p->n;
		p->naming = 1;
		p->len = 0;
		p->name[0] = '\0';
		return DASH_REDRAW;
	}
	switch (ch) {
	case 27:
	case 'q':
		dash_close_dialog(d);
		return DASH_REDRAW;
	case 's':
	case '\n':
	case '\r':
	case KEY_ENTER:
		if ((size_t)p->sel >= p->n)
			return DASH_REDRAW; /* s on "new…" */
		name = xstrdup(p->names[p->sel]);
		dash_close_dialog(d);
		if (d->model->profile != NULL &&
		    strcmp(name, d->model->profile) == 0) {
			free(name);
			if (ch == 's')
				return dash_send(d, ENGINE_CMD_VM_START, NULL,
				                 NULL, 0);
			dash_set_status(d, 0, "already on this profile");
			return DASH_REDRAW;
		}
		dash_set_status(d, 0, "switching to profile %s%s", name,
		                ch == 's' ? " and starting its VM" : "");
		engine_send(d->engine, ENGINE_CMD_PROFILE_SWITCH, name, NULL,
		            0);
		/* Commands run in order: the start reaches the new profile. */
		if (ch == 's')
			engine_send(d->engine, ENGINE_CMD_VM_START, NULL, NULL,
			            0);
		free(name);
		return DASH_REDRAW | DASH_COMMAND;
	default:
		break;
	}
	switch (keys_lookup(&s, 1, ch)) {
	case ACT_UP:
		if (p->sel > 0)
			p->sel--;
		return DASH_REDRAW;
	case ACT_DOWN:
		if ((size_t)p->sel < p->n)
			p->sel++;
		return DASH_REDRAW;
	case ACT_TOP:
		p->sel = 0;
		return DASH_REDRAW;
	case ACT_BOTTOM:
		p->sel = (int)p->n;
		return DASH_REDRAW;
	default:
		return 0;
	}
}

static void
dialog_profile_close(struct dash *d)
{
	struct dialog_profile_data *p = d->dialog_data;
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->names[i]);
	free(p->names);
	free(p);
}

const struct dialog dialog_profile = {
    .name = "profile",
    .size = dialog_profile_size,
    .draw = dialog_profile_draw,
    .key = dialog_profile_key,
    .close = dialog_profile_close,
};
