/*
 * theme.c: a theme on the terminal. The theme itself (its roles, loading,
 * colour parsing and the reduction to what the terminal has) is pure code
 * in backend/conf/conf-theme.c; this file only turns a resolved theme into
 * curses colour pairs and attributes. The user's palette is never changed
 * (no init_color).
 */

#include "config.h"

#include <curses.h>

#include "tui/tui.h"

static int theme_curses_bits(int);

/* What theme_init_curses computed: the curses attributes of each role. */
static int theme_curses_attrs[THEME_NROLES];

/* Curses attributes for theme attribute bits. */
static int
theme_curses_bits(int attrs)
{
	int a = A_NORMAL;

	if (attrs & THEME_A_BOLD)
		a |= A_BOLD;
	if (attrs & THEME_A_DIM)
		a |= A_DIM;
	if (attrs & THEME_A_REVERSE)
		a |= A_REVERSE;
	if (attrs & THEME_A_UNDERLINE)
		a |= A_UNDERLINE;
	return a;
}

/*
 * Make the colour pairs of a theme (NULL = built-in defaults) for a
 * terminal with `colors` colours, or none when no_color is set. Call after
 * start_color(); this calls use_default_colors() so `default` shows the
 * terminal's own colours, and uses pairs 1..THEME_NROLES. Calling it again
 * (another theme, :theme) redefines the same pairs.
 */
void
theme_init_curses(const struct theme *t, int colors, int no_color)
{
	struct theme_resolved r;
	enum theme_depth depth;
	int i, pair, defaults = 1, ok;

	if (!has_colors())
		no_color = 1;
	depth = theme_depth(colors, no_color);
	if (depth != THEME_DEPTH_MONO && use_default_colors() == ERR)
		defaults = 0;
#if !defined(NCURSES_EXT_COLORS)
	if (depth == THEME_DEPTH_DIRECT)
		depth = THEME_DEPTH_8;
#endif
	for (i = 0; i < THEME_NROLES; i++) {
		theme_resolve(t, i, depth, &r);
		theme_curses_attrs[i] = theme_curses_bits(r.attrs);
		if (depth == THEME_DEPTH_MONO)
			continue;
		if (!defaults) {
			/* No -1: white on black is the classic default. */
			if (r.fg == -1)
				r.fg = COLOR_WHITE;
			if (r.bg == -1)
				r.bg = COLOR_BLACK;
		}
		pair = i + 1;
		if (pair >= COLOR_PAIRS)
			continue;
#if defined(NCURSES_EXT_COLORS)
		ok = init_extended_pair(pair, r.fg, r.bg);
#else
		ok = init_pair(pair, r.fg, r.bg);
#endif
		if (ok != ERR)
			theme_curses_attrs[i] |= (int)COLOR_PAIR(pair);
	}
}

/* The curses attributes of a role, after theme_init_curses. */
int
theme_attr(enum theme_role role)
{
	if ((int)role < 0 || role >= THEME_NROLES)
		return A_NORMAL;
	return theme_curses_attrs[role];
}
