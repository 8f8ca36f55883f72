/*
 * draw.c: drawing helpers every pane, view and dialog shares: clipped and
 * sanitized text, rules and boxes, meters and sparklines in UTF-8 or ASCII,
 * and the hashes panes use to tell whether what they show has changed.
 *
 * Text that came from outside (container names, logs, daemon errors) is
 * passed through util_sanitize here, so no escape sequence can reach the
 * terminal whatever a caller forgets.
 */

#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "tui/dashboard.h"

#ifndef CCHARW_MAX
#define CCHARW_MAX 5 /* characters in a cell: ncurses' value */
#endif

static int draw_is_ascii = 1;

static const char *const spark_utf8[] = {" ", "▁", "▂", "▃", "▄",
                                         "▅", "▆", "▇", "█"};
static const char spark_ascii[] = " ._-=+*#%";

/* Choose UTF-8 or ASCII glyphs for the rest of the run. */
void
draw_init(int ascii)
{
	draw_is_ascii = ascii;
}

int
draw_ascii(void)
{
	return draw_is_ascii;
}

/* Decode one UTF-8 sequence; returns its length (1 for a bad byte). */
static size_t
draw_utf8(const unsigned char *s, size_t len, unsigned int *cp)
{
	size_t n, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0)
		n = 2;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4;
	else {
		*cp = '?';
		return 1;
	}
	if (n > len) {
		*cp = '?';
		return 1;
	}
	*cp = s[0] & (0x7f >> n);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*cp = '?';
			return 1;
		}
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	return n;
}

/* The ASCII stand-in for a code point the terminal cannot show. */
static int
draw_ascii_for(unsigned int cp)
{
	switch (cp) {
	case 0x2014: /* em dash */
	case 0x2013:
	case 0x2500:
		return '-';
	case 0x00b7: /* middle dot */
		return '.';
	case 0x00d7: /* multiplication sign */
		return 'x';
	case 0x2192: /* right arrow */
		return '>';
	default:
		return '?';
	}
}

/* Display width of one code point (0 for combining, 2 for wide). */
static int
draw_cp_width(unsigned int cp)
{
	int w;

	if (cp < 0x80)
		return 1;
	if (draw_is_ascii)
		return 1; /* shown as '?' */
	w = wcwidth((wchar_t)cp);
	return w < 0 ? 1 : w;
}

/* Columns the (already sanitized) text takes on screen. */
int
draw_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i = 0;
	unsigned int cp;
	int w = 0;

	while (i < len) {
		i += draw_utf8(p + i, len - i, &cp);
		w += draw_cp_width(cp);
	}
	return w;
}

/* Bytes of s that fit in cols columns (for wrapping long lines). */
size_t
draw_cut(const char *s, int cols)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i = 0, n;
	unsigned int cp;
	int w = 0, cw;

	while (i < len) {
		n = draw_utf8(p + i, len - i, &cp);
		cw = draw_cp_width(cp);
		if (w + cw > cols)
			break;
		w += cw;
		i += n;
	}
	return i;
}

/*
 * Draw text at y,x in at most maxw columns with attr; untrusted bytes are
 * sanitized first. Returns the columns used.
 */
int
draw_text(WINDOW *win, int y, int x, int maxw, int attr, const char *s)
{
	char buf[1024], *clean;
	const unsigned char *p;
	size_t len, i = 0, n;
	unsigned int cp;
	int used = 0, cw;

	if (s == NULL || maxw <= 0)
		return 0;
	len = strlen(s);
	if (len * 4 + 1 <= sizeof buf) {
		util_sanitize(buf, sizeof buf, s, len);
		clean = buf;
	} else
		clean = util_sanitize_dup(s, len);
	p = (const unsigned char *)clean;
	len = strlen(clean);
	wattrset(win, attr);
	wmove(win, y, x);
	while (i < len) {
		n = draw_utf8(p + i, len - i, &cp);
		cw = draw_cp_width(cp);
		if (used + cw > maxw)
			break;
		if (cp < 0x80 || !draw_is_ascii)
			waddnstr(win, (const char *)p + i, (int)n);
		else
			waddch(win, (chtype)draw_ascii_for(cp));
		used += cw;
		i += n;
	}
	wattrset(win, A_NORMAL);
	if (clean != buf)
		free(clean);
	return used;
}

/*
 * Like draw_text, but when s is too wide keep its end ("…/src/app"), the
 * informative part of a path. Returns the columns used.
 */
int
draw_text_tail(WINDOW *win, int y, int x, int maxw, int attr, const char *s)
{
	const char *p = s;
	int used;

	if (s == NULL || maxw <= 1)
		return 0;
	if (draw_width(s) <= maxw)
		return draw_text(win, y, x, maxw, attr, s);
	while (*p != '\0' && draw_width(p) > maxw - 1) {
		p++;
		while ((*p & 0xc0) == 0x80)
			p++;
	}
	used = draw_text(win, y, x, 1, attr, draw_is_ascii ? "<" : "…");
	return used + draw_text(win, y, x + used, maxw - used, attr, p);
}

int
draw_printf(WINDOW *win, int y, int x, int maxw, int attr, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	n = draw_text(win, y, x, maxw, attr, s);
	free(s);
	return n;
}

/* Blank w columns at y,x with attr (a table row, a status line). */
void
draw_fill(WINDOW *win, int y, int x, int w, int attr)
{
	wattrset(win, attr);
	mvwhline(win, y, x, ' ', w);
	wattrset(win, A_NORMAL);
}

/*
 * A pane's title row: "━ 1 VM ━━━━ right ━" when focused, thin line when
 * not, so focus shows even without colour.
 */
void
draw_rule(WINDOW *win, int y, int x, int w, const char *title, int focused,
          const char *right)
{
	const char *line =
	    draw_is_ascii ? (focused ? "=" : "-") : (focused ? "━" : "─");
	int lattr =
	    theme_attr(focused ? THEME_BORDER_ACTIVE : THEME_BORDER_INACTIVE);
	int tattr =
	    theme_attr(focused ? THEME_TITLE_ACTIVE : THEME_TITLE_INACTIVE);
	int i, col, rw;

	wattrset(win, lattr);
	wmove(win, y, x);
	for (i = 0; i < w; i++)
		waddstr(win, line);
	wattrset(win, A_NORMAL);
	col = x + 1;
	if (title != NULL && w > 4) {
		draw_text(win, y, col, 1, lattr, " ");
		col += 1;
		col += draw_text(win, y, col, w - 4, tattr, title);
		draw_text(win, y, col, 1, lattr, " ");
		col++;
	}
	if (right != NULL && *right != '\0') {
		rw = draw_width(right);
		if (x + w - rw - 3 <= col)
			rw = x + w - col -
			     4; /* cut it short rather than drop it */
		if (rw > 0) {
			draw_text(win, y, x + w - rw - 3, 1, lattr, " ");
			draw_text(win, y, x + w - rw - 2, rw,
			          theme_attr(THEME_DIM), right);
			draw_text(win, y, x + w - 2, 1, lattr, " ");
		}
	}
}

void
draw_vline(WINDOW *win, int y, int x, int h, int attr)
{
	int i;

	wattrset(win, attr);
	for (i = 0; i < h; i++)
		mvwaddstr(win, y + i, x, draw_is_ascii ? "|" : "│");
	wattrset(win, A_NORMAL);
}

/* A box around a dialog. */
void
draw_box(WINDOW *win, int y, int x, int h, int w, int attr)
{
	const char *hz = draw_is_ascii ? "-" : "─",
	           *vt = draw_is_ascii ? "|" : "│";
	const char *c[4] = {"┌", "┐", "└", "┘"};
	int i;

	if (draw_is_ascii)
		c[0] = c[1] = c[2] = c[3] = "+";
	wattrset(win, attr);
	for (i = 1; i < w - 1; i++) {
		mvwaddstr(win, y, x + i, hz);
		mvwaddstr(win, y + h - 1, x + i, hz);
	}
	for (i = 1; i < h - 1; i++) {
		mvwaddstr(win, y + i, x, vt);
		mvwaddstr(win, y + i, x + w - 1, vt);
	}
	mvwaddstr(win, y, x, c[0]);
	mvwaddstr(win, y, x + w - 1, c[1]);
	mvwaddstr(win, y + h - 1, x, c[2]);
	mvwaddstr(win, y + h - 1, x + w - 1, c[3]);
	wattrset(win, A_NORMAL);
}

/* A horizontal meter of w cells filled to frac (0..1). */
void
draw_meter(WINDOW *win, int y, int x, int w, double frac)
{
	static const char *const part[] = {"",  "▏", "▎", "▍",
	                                   "▌", "▋", "▊", "▉"};
	int fill_attr = theme_attr(THEME_METER_FILL);
	int empty_attr = theme_attr(THEME_METER_EMPTY);
	int full, eighths, i;

	if (w <= 0)
		return;
	if (frac < 0 || frac != frac)
		frac = 0;
	if (frac > 1)
		frac = 1;
	full = (int)(frac * w);
	eighths = (int)((frac * w - full) * 8);
	wmove(win, y, x);
	wattrset(win, fill_attr);
	for (i = 0; i < full; i++)
		waddstr(win, draw_is_ascii ? "#" : "█");
	if (full < w && eighths > 0 && !draw_is_ascii) {
		waddstr(win, part[eighths]);
		full++;
	}
	wattrset(win, empty_attr);
	for (i = full; i < w; i++)
		waddstr(win, draw_is_ascii ? "." : "░");
	wattrset(win, A_NORMAL);
}

/*
 * A sparkline of the newest w samples of h, scaled to max (0 = the largest
 * sample held).
 */
void
draw_sparkline(WINDOW *win, int y, int x, int w, const struct model_history *h,
               double max)
{
	int i, start, level;
	double v;

	if (w <= 0)
		return;
	if (max <= 0) {
		for (i = 0; i < h->n; i++)
			if (model_history_get(h, i) > max)
				max = model_history_get(h, i);
	}
	if (max <= 0)
		max = 1;
	start = h->n > w ? h->n - w : 0;
	wattrset(win, theme_attr(THEME_SPARKLINE));
	wmove(win, y, x);
	for (i = 0; i < w; i++) {
		if (start + i >= h->n) {
			waddch(win, ' ');
			continue;
		}
		v = model_history_get(h, start + i) / max;
		level = (int)(v * 8 + 0.5);
		if (level < 0)
			level = 0;
		if (level > 8)
			level = 8;
		if (v > 0 && level == 0)
			level = 1;
		if (draw_is_ascii)
			waddch(win, (chtype)spark_ascii[level]);
		else
			waddstr(win, spark_utf8[level]);
	}
	wattrset(win, A_NORMAL);
}

const char *
draw_conn_name(enum model_conn c)
{
	switch (c) {
	case MODEL_CONN_CONNECTING:
		return "connecting";
	case MODEL_CONN_UP:
		return "connected";
	case MODEL_CONN_DOWN:
		return "down";
	case MODEL_CONN_NONE:
		break;
	}
	return "not connected";
}

/* The theme role for a container or VM state word. */
int
draw_state_attr(const char *state)
{
	if (state == NULL)
		return theme_attr(THEME_DIM);
	if (strcmp(state, "running") == 0)
		return theme_attr(THEME_STATUS_OK);
	if (strcmp(state, "paused") == 0 || strcmp(state, "restarting") == 0 ||
	    strcmp(state, "created") == 0 || strcmp(state, "blocked") == 0 ||
	    strcmp(state, "shutting down") == 0 ||
	    strcmp(state, "suspended") == 0)
		return theme_attr(THEME_STATUS_WARN);
	if (strcmp(state, "dead") == 0 || strcmp(state, "crashed") == 0 ||
	    strcmp(state, "removing") == 0)
		return theme_attr(THEME_STATUS_ERROR);
	return theme_attr(THEME_DIM);
}

/* FNV-1a, enough to tell whether a window's cells changed. */
uint64_t
draw_hash(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/*
 * A hash of what w shows: every cell's characters, attributes and colour
 * pair, and where its cursor is. The loop sends a window to the terminal
 * only when this moves, so whatever a pane draws counts and nothing needs
 * listing by hand.
 */
uint64_t
draw_digest(WINDOW *w)
{
	uint64_t h = DRAW_HASH_INIT;
	int y, x, rows, cols, cur[2];
	attr_t attrs;
	short pair;
#if defined(NCURSES_WIDECHAR) && NCURSES_WIDECHAR
	cchar_t cc;
	wchar_t wch[CCHARW_MAX + 1];
#else
	chtype ch;
#endif

	getmaxyx(w, rows, cols);
	getyx(w, cur[0], cur[1]);
	for (y = 0; y < rows; y++) {
		for (x = 0; x < cols; x++) {
#if defined(NCURSES_WIDECHAR) && NCURSES_WIDECHAR
			memset(wch, 0, sizeof wch);
			if (mvwin_wch(w, y, x, &cc) == ERR ||
			    getcchar(&cc, wch, &attrs, &pair, NULL) == ERR)
				continue;
			h = draw_hash(h, wch, sizeof wch);
#else
			ch = mvwinch(w, y, x);
			attrs = ch & A_ATTRIBUTES & ~A_COLOR;
			pair = (short)PAIR_NUMBER(ch);
			h = draw_hash(h, &ch, sizeof ch);
#endif
			h = draw_hash(h, &attrs, sizeof attrs);
			h = draw_hash(h, &pair, sizeof pair);
		}
	}
	wmove(w, cur[0], cur[1]);
	return draw_hash(h, cur, sizeof cur);
}

/* A size for a narrow column: "1.5G", "512M"; the caller frees it. */
char *
draw_size(uint64_t bytes)
{
	static const char units[] = "BKMGTP";
	double v = (double)bytes;
	size_t i = 0;

	while (v >= 1024.0 && i < sizeof units - 2) {
		v /= 1024.0;
		i++;
	}
	if (i == 0)
		return xasprintf("%lluB", (unsigned long long)bytes);
	if (v < 10)
		return xasprintf("%.1f%c", v, units[i]);
	return xasprintf("%.0f%c", v, units[i]);
}
