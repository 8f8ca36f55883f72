/*
 * layout.c: where each part of the dashboard goes for the terminal's size.
 * A header line on top, the key bar and the status line at the bottom, and
 * in between either the four panes or an open view (logs, inspect):
 *
 * - narrow (under 140 columns): the panes stack, each as tall as it wants,
 *   and Containers takes what is left;
 * - wide: VM, Mounts and Socket in a left column, Containers on the right;
 * - zoomed (z): the focused pane alone;
 * - under 80x24: nothing but a centred "terminal too small" notice.
 */

#include "config.h"

#include "tui/dashboard.h"

#define LAYOUT_WIDE_COLS   140
#define LAYOUT_MIN_CT_ROWS 5
#define LAYOUT_SIDE_MIN    56
#define LAYOUT_SIDE_MAX    72

static void
layout_set(struct rect *r, int y, int x, int h, int w)
{
	r->y = y;
	r->x = x;
	r->h = h < 0 ? 0 : h;
	r->w = w < 0 ? 0 : w;
}

/* Stack panes [from, to) in a column; the last one takes the rest. */
static void
layout_column(struct dash *d, int from, int to, int y, int x, int h, int w)
{
	int want[DASH_NPANES], i, used = 0, rest, last = to - 1;

	for (i = from; i < to; i++) {
		want[i] = dash_panes[i]->height(d);
		if (i != last)
			used += want[i];
	}
	rest = h - used;
	/* Keep room for the last pane: shrink the others to 2 rows. */
	for (i = last - 1; i >= from && rest < LAYOUT_MIN_CT_ROWS; i--) {
		if (want[i] > 2) {
			int give = want[i] - 2;

			if (give > LAYOUT_MIN_CT_ROWS - rest)
				give = LAYOUT_MIN_CT_ROWS - rest;
			want[i] -= give;
			rest += give;
		}
	}
	for (i = from; i < to; i++) {
		layout_set(&d->pane[i], y, x, i == last ? rest : want[i], w);
		d->visible[i] = d->pane[i].h > 0;
		y += d->pane[i].h;
	}
}

/* Compute every rectangle for d->rows x d->cols. */
void
layout_compute(struct dash *d)
{
	int i, side;

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
		layout_column(d, 0, DASH_NPANES, d->body.y, 0, d->body.h,
		              d->cols);
		return;
	}
	side = d->cols * 2 / 5;
	if (side < LAYOUT_SIDE_MIN)
		side = LAYOUT_SIDE_MIN;
	if (side > LAYOUT_SIDE_MAX)
		side = LAYOUT_SIDE_MAX;
	layout_column(d, 0, DASH_NPANES - 1, d->body.y, 0, d->body.h, side);
	layout_set(&d->pane[DASH_NPANES - 1], d->body.y, side + 1, d->body.h,
	           d->cols - side - 1);
	d->visible[DASH_NPANES - 1] = 1;
}
