/*
 * dialog-confirm.c: "are you sure?" before a destructive action (stop or
 * remove a container, shut the VM down, quit while busy). y or Enter goes
 * ahead and sends the command; n, Esc or q cancels.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tui/dashboard.h"

struct dialog_confirm_data {
	char *text;
	enum engine_cmd_type type;
	char *arg;
	long long num;
	int quit; /* yes = quit berth */
};

static int
dialog_confirm_setup(struct dash *d, const char *text)
{
	struct dialog_confirm_data *c = xcalloc(1, sizeof *c);

	if (d->dialog != NULL)
		dash_close_dialog(d);
	c->text = xstrdup(text);
	d->dialog = &dialog_confirm;
	d->dialog_data = c;
	return DASH_REDRAW;
}

/* Ask text; yes sends the command (type, arg, num). */
int
dialog_confirm_open(struct dash *d, const char *text, enum engine_cmd_type t,
                    const char *arg, long long num)
{
	struct dialog_confirm_data *c;

	dialog_confirm_setup(d, text);
	c = d->dialog_data;
	c->type = t;
	c->arg = arg != NULL ? xstrdup(arg) : NULL;
	c->num = num;
	return DASH_REDRAW;
}

/* Ask text; yes quits berth. */
int
dialog_confirm_quit(struct dash *d, const char *text)
{
	struct dialog_confirm_data *c;

	dialog_confirm_setup(d, text);
	c = d->dialog_data;
	c->quit = 1;
	return DASH_REDRAW;
}

static void
dialog_confirm_size(const struct dash *d, int *h, int *w)
{
	const struct dialog_confirm_data *c = d->dialog_data;

	*h = 6;
	*w = draw_width(c->text) + 6;
	if (*w < 36)
		*w = 36;
	if (*w > d->cols - 4)
		*w = d->cols - 4;
}

static void
dialog_confirm_draw(struct dash *d, WINDOW *w, int h, int cols)
{
	const struct dialog_confirm_data *c = d->dialog_data;
	int attr = theme_attr(THEME_DIALOG), x;

	wbkgdset(w, ' ' | attr);
	werase(w);
	draw_box(w, 0, 0, h, cols, theme_attr(THEME_DIALOG_BORDER));
	draw_text(w, 0, 2, cols - 4,
	          theme_attr(THEME_DIALOG_BORDER) | (int)A_BOLD, " Confirm ");
	draw_text(w, 2, 3, cols - 6, attr | (int)A_BOLD, c->text);
	x = (cols - 22) / 2;
	x += draw_text(w, 4, x, 3, theme_attr(THEME_KEY_HINT), "y");
	x += draw_text(w, 4, x, 6, attr, " Yes  ");
	x += draw_text(w, 4, x, 3, theme_attr(THEME_KEY_HINT), "n");
	draw_text(w, 4, x, 10, attr, " No/Esc");
}

static int
dialog_confirm_key(struct dash *d, int ch)
{
	struct dialog_confirm_data *c = d->dialog_data;
	int eff = DASH_REDRAW;

	switch (ch) {
	case 'y':
	case 'Y':
	case '\n':
	case '\r':
	case KEY_ENTER:
		if (c->quit)
			eff |= DASH_QUIT;
		else
			eff |= dash_send(d, c->type, c->arg, NULL, c->num);
		dash_close_dialog(d);
		return eff;
	case 'n':
	case 'N':
	case 'q':
	case 27:
		dash_set_status(d, 0, "cancelled");
		dash_close_dialog(d);
		return eff;
	default:
		return 0;
	}
}

static void
dialog_confirm_close(struct dash *d)
{
	struct dialog_confirm_data *c = d->dialog_data;

	free(c->text);
	free(c->arg);
	free(c);
}

const struct dialog dialog_confirm = {
    .name = "confirm",
    .size = dialog_confirm_size,
    .draw = dialog_confirm_draw,
    .key = dialog_confirm_key,
    .close = dialog_confirm_close,
};
