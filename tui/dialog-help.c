/*
 * dialog-help.c: the help screen (?), generated from the key table so it
 * always lists every bound key, grouped by where it applies, each pane's
 * keys followed by its own help lines. j/k scroll, any other key closes
 * it.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tui/dashboard.h"

struct dialog_help_data {
	char **lines;
	int *heads; /* nonzero: a scope heading */
	size_t n;
	int top;
};

static void
dialog_help_add(struct dialog_help_data *h, char *line, int head)
{
	h->lines = xreallocarray(h->lines, h->n + 1, sizeof *h->lines);
	h->heads = xreallocarray(h->heads, h->n + 1, sizeof *h->heads);
	h->lines[h->n] = line;
	h->heads[h->n] = head;
	h->n++;
}

int
dialog_help_open(struct dash *d)
{
	struct dialog_help_data *h = xcalloc(1, sizeof *h);
	size_t i;
	int s;
	char *keys;

	for (s = 0; s < KEY_SCOPE_NSCOPES; s++) {
		dialog_help_add(h, xstrdup(keys_scope_name((enum key_scope)s)),
		                1);
		for (i = 0; i < keys_ntable; i++) {
			if ((int)keys_table[i].scope != s)
				continue;
			keys = keys_describe(keys_table[i].action);
			dialog_help_add(
			    h,
			    xasprintf("  %-14s %-16s %s",
			              *keys != '\0' ? keys : "(none)",
			              keys_table[i].name, keys_table[i].help),
			    0);
			free(keys);
		}
		for (i = 0; i < DASH_NPANES; i++) {
			const char *const *l = dash_panes[i]->help;

			if ((int)dash_panes[i]->scope != s || l == NULL)
				continue;
			for (; *l != NULL; l++)
				dialog_help_add(h, xstrdup(*l), 0);
		}
	}
	dialog_help_add(h,
	                xstrdup("Remap keys in ~/.config/berth/config.yaml "
	                        "(keys: ACTION: KEY); see berth(1)."),
	                1);
	if (d->dialog != NULL)
		dash_close_dialog(d);
	d->dialog = &dialog_help;
	d->dialog_data = h;
	return DASH_REDRAW;
}

static void
dialog_help_size(const struct dash *d, int *h, int *w)
{
	*h = d->rows - 2;
	*w = d->cols - 2 > 100 ? 100 : d->cols - 2;
}

static void
dialog_help_draw(struct dash *d, WINDOW *w, int rows, int cols)
{
	struct dialog_help_data *h = d->dialog_data;
	int attr = theme_attr(THEME_DIALOG), y, body = rows - 2;
	size_t i;

	if (h->top > (int)h->n - body)
		h->top = (int)h->n - body;
	if (h->top < 0)
		h->top = 0;
	wbkgdset(w, ' ' | attr);
	werase(w);
	draw_box(w, 0, 0, rows, cols, theme_attr(THEME_DIALOG_BORDER));
	draw_text(w, 0, 2, cols - 4,
	          theme_attr(THEME_DIALOG_BORDER) | (int)A_BOLD,
	          " Help: keys (j/k scroll, Esc closes) ");
	for (i = (size_t)h->top, y = 1; i < h->n && y < rows - 1; i++, y++)
		draw_text(w, y, 2, cols - 4,
		          h->heads[i]
		              ? theme_attr(THEME_TITLE_ACTIVE) | (int)A_BOLD
		              : attr,
		          h->lines[i]);
	if ((int)h->n > body)
		draw_printf(w, rows - 1, cols - 16, 14,
		            theme_attr(THEME_DIALOG_BORDER), " %d/%zu ",
		            h->top + 1, h->n);
}

static int
dialog_help_key(struct dash *d, int ch)
{
	struct dialog_help_data *h = d->dialog_data;
	enum key_scope s = KEY_SCOPE_MOVE;

	switch (keys_lookup(&s, 1, ch)) {
	case ACT_UP:
		h->top--;
		return DASH_REDRAW;
	case ACT_DOWN:
		h->top++;
		return DASH_REDRAW;
	case ACT_PAGE_UP:
		h->top -= d->rows - 6;
		return DASH_REDRAW;
	case ACT_PAGE_DOWN:
		h->top += d->rows - 6;
		return DASH_REDRAW;
	case ACT_TOP:
		h->top = 0;
		return DASH_REDRAW;
	case ACT_BOTTOM:
		h->top = (int)h->n;
		return DASH_REDRAW;
	default:
		dash_close_dialog(d);
		return DASH_REDRAW;
	}
}

static void
dialog_help_close(struct dash *d)
{
	struct dialog_help_data *h = d->dialog_data;
	size_t i;

	for (i = 0; i < h->n; i++)
		free(h->lines[i]);
	free(h->lines);
	free(h->heads);
	free(h);
}

const struct dialog dialog_help = {
    .name = "help",
    .size = dialog_help_size,
    .draw = dialog_help_draw,
    .key = dialog_help_key,
    .close = dialog_help_close,
};
