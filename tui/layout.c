/*
 * layout.c: where each part of the dashboard goes for the terminal's size.
 * A header line on top, the key bar and the status line at the bottom, and
 * in between either the four panes or an open view (logs, inspect):
 *
 * - narrow (under 140 columns): the panes stack, each as tall as it wants,
 *   and the main pane (Containers) takes what is left;
 * - wide: the other panes in a left column, the main pane on the right;
 * - zoomed (z): the focused pane alone;
 * - under 80x24: nothing but a centred "terminal too small" notice.
 */

#include "config.h"

#include "tui/dashboard.h"

#define LAYOUT_WIDE_COLS     140
#define LAYOUT_MIN_MAIN_ROWS 5
#define LAYOUT_SIDE_MIN      56
#define LAYOUT_SIDE_MAX      72

static void
layout_set(struct rect *r, int y, int x, int h, int w)
{
	r->y = y;
	r->x = x;
	r->h = h < 0 ? 0 : h;
	r->w = w < 0 ? 0 : w;
}

/*
 * Stack the panes in[0..n) (indexes into dash_panes) in a column; the main
 * pane among them, else the last, takes the rows the others leave.
 */
static void
layout_column(struct dash *d, const int *in, int n, int y, int x, int h, int w)
{
	int want[DASH_NPANES], i, used = 0, rest, fill = n - 1;

	for (i = 0; i < n; i++) {
		if (dash_panes[in[i]]->main)
			fill = i;
	}
	for (i = 0; i < n; i++) {
		want[i] = dash_panes[in[i]]->height(d);
		if (i != fill)
			used += want[i];
	}
	rest = h - used;
	/* Keep room for the filling pane: shrink the others to 2 rows. */
	for (i = n - 1; i >= 0 && rest < LAYOUT_MIN_MAIN_ROWS; i--) {
		if (i != fill && want[i] > 2) {
			int give = want[i] - 2;

			if (give > LAYOUT_MIN_MAIN_ROWS - rest)
				give = LAYOUT_MIN_MAIN_ROWS - rest;
			want[i] -= give;
			rest += give;
		}
	}
	for (i = 0; i < n; i++) {
		struct rect *r = &d->pane[in[i]];

		layout_set(r, y, x, i == fill ? rest : want[i], w);
		d->visible[in[i]] = r->h > 0;
		y += r->h;
	}
}

/* Compute every rectangle for d->rows x d->cols. */
void
layout_compute(struct dash *d)
{
	int i, n, side, fill = dash_pane_main(), in[DASH_NPANES];

	for (i = 0; i < DASH_NPANES; i++) {
		d->visible[i] = 0;
		layout_set(&d->pane[i], 0, 0, 0, 0);
	}
	d->too_small = d->cols < LAYOUT_MIN_COLS || d->rows < LAYOUT_MIN_ROWS;
	layout_set(&d->header, 0, 0, 1, d->cols);
	layout_set(&d->footer, d->rows - 2, 0, 2, d->cols);
	layout_set(&d->body, 1, 0, d->rows - 3, d->cols);
	if (d->too_small || d->view != NULL)
		return;
	if (d->zoom) {
		d->pane[d->focus] = d->body;
		d->visible[d->focus] = 1;
		return;
	}
	if (d->cols < LAYOUT_WIDE_COLS) {
		for (i = 0; i < DASH_NPANES; i++)
			in[i] = i;
		layout_column(d, in, DASH_NPANES, d->body.y, 0, d->body.h,
		              d->cols);
		return;
	}
	side = d->cols * 2 / 5;
	if (side < LAYOUT_SIDE_MIN)
		side = LAYOUT_SIDE_MIN;
	if (side > LAYOUT_SIDE_MAX)
		side = LAYOUT_SIDE_MAX;
	for (i = n = 0; i < DASH_NPANES; i++) {
		if (i != fill)
			in[n++] = i;
	}
	layout_column(d, in, n, d->body.y, 0, d->body.h, side);
	layout_set(&d->pane[fill], d->body.y, side + 1, d->body.h,
	           d->cols - side - 1);
	d->visible[fill] = 1;
}
