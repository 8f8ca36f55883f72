/*
 * conf-theme-colour.c: a theme's colours and styles as words and numbers:
 * parsing a colour ("red", "#rrggbb", "238") or a style's short form
 * ("bold red on default"), formatting them back, and reducing a colour to
 * what the terminal can show (truecolour, 256, 16, none). No curses and no
 * YAML here; conf-theme.c loads the files.
 */

#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"

/* Colour names; index = palette index. */
static const char *const theme_color_names[16] = {
    "black",        "red",
    "green",        "yellow",
    "blue",         "magenta",
    "cyan",         "white",
    "bright-black", "bright-red",
    "bright-green", "bright-yellow",
    "bright-blue",  "bright-magenta",
    "bright-cyan",  "bright-white",
};

/* Attribute words, for the short form and for `show`. */
static const struct {
	const char *name;
	int bit;
} theme_attr_names[] = {
    {"bold", THEME_A_BOLD},
    {"dim", THEME_A_DIM},
    {"reverse", THEME_A_REVERSE},
    {"underline", THEME_A_UNDERLINE},
};

/*
 * xterm's default palette, used to measure distances to the 16 ANSI
 * colours. Terminals differ; these are only for choosing the nearest.
 */
static const uint32_t theme_ansi_rgb[16] = {
    0x000000, 0xcd0000, 0x00cd00, 0xcdcd00, 0x0000ee, 0xcd00cd,
    0x00cdcd, 0xe5e5e5, 0x7f7f7f, 0xff0000, 0x00ff00, 0xffff00,
    0x5c5cff, 0xff00ff, 0x00ffff, 0xffffff,
};

/* The six levels of each axis of the xterm 6x6x6 cube (16..231). */
static const int theme_cube_levels[6] = {0, 0x5f, 0x87, 0xaf, 0xd7, 0xff};

/* A suggestion among colour names, for a word that is not a colour. */
static const char *
theme_suggest_color(const char *word)
{
	static const char *const extra[] = {"default", "grey", "gray"};
	const char *names[nitems(theme_color_names) + nitems(extra)];
	size_t i, n = 0;

	for (i = 0; i < nitems(theme_color_names); i++)
		names[n++] = theme_color_names[i];
	for (i = 0; i < nitems(extra); i++)
		names[n++] = extra[i];
	return theme_suggest(word, names, n);
}

/*
 * Parse a decimal number made only of digits, saturating at 10^7; -1 if it
 * is not one.
 */
static long
theme_parse_number(const char *s)
{
	long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		if (v < 1000000) /* big enough to be out of range */
			v = v * 10 + (*s - '0');
	}
	return v;
}

/*
 * Parse one colour: a name (red, bright-red, brightred, grey), default, a
 * palette index 0..255 (also colour123), or #rrggbb. On error returns -1
 * and an allocated message in *cause.
 */
int
theme_parse_color(const char *s, struct theme_color *c, char **cause)
{
	const char *name, *hint;
	char buf[32];
	long v;
	size_t i;

	memset(c, 0, sizeof *c);
	if (*s == '\0') {
		util_set_cause(cause, "empty colour");
		return -1;
	}
	if (strcasecmp(s, "default") == 0) {
		c->kind = THEME_COLOR_DEFAULT;
		return 0;
	}
	if (s[0] == '#') {
		for (i = 1; i < 7 && isxdigit((unsigned char)s[i]); i++)
			;
		if (i != 7 || s[7] != '\0') {
			util_set_cause(
			    cause, "invalid colour '%s' (expected #rrggbb)", s);
			return -1;
		}
		c->kind = THEME_COLOR_RGB;
		c->rgb = (uint32_t)strtoul(s + 1, NULL, 16);
		return 0;
	}
	name = s;
	if (strncasecmp(name, "colour", 6) == 0)
		name += 6;
	else if (strncasecmp(name, "color", 5) == 0)
		name += 5;
	if (isdigit((unsigned char)*name) || *name == '-') {
		v = theme_parse_number(name);
		if (v < 0 && *name != '-') {
			util_set_cause(cause, "invalid colour '%s'", s);
			return -1;
		}
		if (v < 0 || v > 255) {
			util_set_cause(
			    cause, "colour index %s out of range 0..255", name);
			return -1;
		}
		c->kind = THEME_COLOR_INDEX;
		c->index = (int)v;
		return 0;
	}
	if (name != s) {
		util_set_cause(cause, "invalid colour '%s'", s);
		return -1;
	}
	if (strcasecmp(s, "grey") == 0 || strcasecmp(s, "gray") == 0) {
		c->kind = THEME_COLOR_INDEX;
		c->index = ANSI_BRIGHT_BLACK;
		return 0;
	}
	/* brightred and bright_red are bright-red. */
	if (strncasecmp(s, "bright", 6) == 0 && strlen(s) < sizeof buf - 1) {
		name = s + 6;
		if (*name == '-' || *name == '_')
			name++;
		snprintf(buf, sizeof buf, "bright-%s", name);
	} else
		snprintf(buf, sizeof buf, "%.30s", s);
	for (i = 0; i < nitems(theme_color_names); i++) {
		if (strcasecmp(buf, theme_color_names[i]) == 0) {
			c->kind = THEME_COLOR_INDEX;
			c->index = (int)i;
			return 0;
		}
	}
	if ((hint = theme_suggest_color(s)) != NULL)
		util_set_cause(
		    cause, "unknown colour '%s' (did you mean '%s'?)", s, hint);
	else
		util_set_cause(cause,
		               "unknown colour '%s' (expected a colour name, "
		               "default, 0..255 or #rrggbb)",
		               s);
	return -1;
}

/* The attribute bit of a word, or 0. */
int
theme_attr_bit(const char *word)
{
	size_t i;

	for (i = 0; i < nitems(theme_attr_names); i++) {
		if (strcasecmp(word, theme_attr_names[i].name) == 0)
			return theme_attr_names[i].bit;
	}
	return 0;
}

/* Position of an attribute bit in theme_attr_names. */
static size_t
theme_attr_index(int bit)
{
	size_t i;

	for (i = 0; i < nitems(theme_attr_names); i++) {
		if (theme_attr_names[i].bit == bit)
			break;
	}
	return i;
}

/* The word of an attribute bit ("bold"). */
const char *
theme_attr_word(int bit)
{
	return theme_attr_names[theme_attr_index(bit)].name;
}

/*
 * Replace the message for a word that is no colour when it looks like a
 * misspelt attribute ("bodl red").
 */
static void
theme_suggest_attr(const char *word, char **why)
{
	const char *names[nitems(theme_attr_names)], *hint;
	size_t i;

	for (i = 0; i < nitems(theme_attr_names); i++)
		names[i] = theme_attr_names[i].name;
	if (strstr(*why, "did you mean") != NULL ||
	    (hint = theme_suggest(word, names, nitems(names))) == NULL)
		return;
	free(*why);
	*why = xasprintf("unknown attribute or colour '%s' (did you mean "
	                 "'%s'?)",
	                 word, hint);
}

/*
 * Parse the short form of a style: attribute words, then an optional
 * foreground, then optionally "on" and a background, e.g. "bold red on
 * default", "reverse", "on blue", "normal". What is not said is the
 * terminal's default. On error *cause names the bad word; *offset (if not
 * NULL) is set to its byte offset in s.
 */
int
theme_parse_short(const char *s, struct theme_style *st, size_t *offset,
                  char **cause)
{
	char *copy, *word, *next, *why = NULL;
	int state = 0, bit; /* 0 attrs/fg, 1 after fg, 2 after on, 3 done */
	int rc = -1;

	memset(st, 0, sizeof *st);
	copy = xstrdup(s);
	for (word = copy; *word != '\0'; word = next) {
		while (*word == ' ' || *word == '\t')
			word++;
		if (*word == '\0')
			break;
		next = word + strcspn(word, " \t");
		if (*next != '\0')
			*next++ = '\0';
		if (offset != NULL)
			*offset = (size_t)(word - copy);
		if (state == 0 && (bit = theme_attr_bit(word)) != 0) {
			st->attrs |= bit;
			continue;
		}
		if (state == 0 && (strcasecmp(word, "normal") == 0 ||
		                   strcasecmp(word, "none") == 0))
			continue;
		if (state <= 1 && strcasecmp(word, "on") == 0) {
			state = 2;
			continue;
		}
		if (state == 0) {
			if (theme_parse_color(word, &st->fg, &why) != 0) {
				theme_suggest_attr(word, &why);
				goto out;
			}
			state = 1;
			continue;
		}
		if (state == 2) {
			if (theme_parse_color(word, &st->bg, &why) != 0)
				goto out;
			state = 3;
			continue;
		}
		why = xasprintf("unexpected '%s' in style '%s' (expected "
		                "[ATTRIBUTES] [COLOUR] [on COLOUR])",
		                word, s);
		goto out;
	}
	if (state == 2) {
		if (offset != NULL)
			*offset = strlen(s);
		why = xasprintf("style '%s' needs a colour after 'on'", s);
		goto out;
	}
	rc = 0;
out:
	free(copy);
	if (rc != 0) {
		if (cause != NULL)
			*cause = why;
		else
			free(why);
	}
	return rc;
}

/* Parse a style in short form ("bold red on default"). */
int
theme_parse_style(const char *s, struct theme_style *st, char **cause)
{
	return theme_parse_short(s, st, NULL, cause);
}

/* A colour as a theme file would write it; the caller frees. */
char *
theme_color_format(const struct theme_color *c)
{
	switch (c->kind) {
	case THEME_COLOR_DEFAULT:
		break;
	case THEME_COLOR_INDEX:
		if (c->index >= 0 && c->index < 16)
			return xstrdup(theme_color_names[c->index]);
		return xasprintf("%d", c->index);
	case THEME_COLOR_RGB:
		return xasprintf("#%06x", (unsigned)(c->rgb & 0xffffff));
	}
	return xstrdup("default");
}

/* A style in short form, parseable by theme_parse_style; caller frees. */
char *
theme_style_format(const struct theme_style *st)
{
	char *out = xstrdup(""), *tmp, *fg, *bg;
	size_t i;

	for (i = 0; i < nitems(theme_attr_names); i++) {
		if (st->attrs & theme_attr_names[i].bit) {
			tmp = xasprintf("%s%s%s", out, *out ? " " : "",
			                theme_attr_names[i].name);
			free(out);
			out = tmp;
		}
	}
	fg = theme_color_format(&st->fg);
	bg = theme_color_format(&st->bg);
	if (st->fg.kind != THEME_COLOR_DEFAULT ||
	    st->bg.kind != THEME_COLOR_DEFAULT || *out == '\0') {
		tmp = xasprintf("%s%s%s", out, *out ? " " : "", fg);
		free(out);
		out = tmp;
	}
	if (st->bg.kind != THEME_COLOR_DEFAULT) {
		tmp = xasprintf("%s on %s", out, bg);
		free(out);
		out = tmp;
	}
	free(fg);
	free(bg);
	return out;
}

/* ------------------------------------------------------------------------
 * Degradation: from what the file says to what the terminal has.
 */

/* The depth to draw with, from curses' COLORS and NO_COLOR/--no-color. */
enum theme_depth
theme_depth(int colors, int no_color)
{
	if (no_color || colors < 8)
		return THEME_DEPTH_MONO;
	if (colors >= 0x1000000)
		return THEME_DEPTH_DIRECT;
	if (colors >= 256)
		return THEME_DEPTH_256;
	if (colors >= 16)
		return THEME_DEPTH_16;
	return THEME_DEPTH_8;
}

const char *
theme_depth_name(enum theme_depth d)
{
	static const char *const names[] = {
	    [THEME_DEPTH_MONO] = "monochrome",
	    [THEME_DEPTH_8] = "8 colours",
	    [THEME_DEPTH_16] = "16 colours",
	    [THEME_DEPTH_256] = "256 colours",
	    [THEME_DEPTH_DIRECT] = "direct colour",
	};

	if ((int)d < 0 || d >= nitems(names))
		return "?";
	return names[d];
}

/* The RGB value of an xterm palette index (0..255). */
uint32_t
theme_index_rgb(int i)
{
	int r, g, b, v;

	if (i < 0)
		i = 0;
	if (i < 16)
		return theme_ansi_rgb[i];
	if (i < 232) {
		i -= 16;
		r = theme_cube_levels[i / 36];
		g = theme_cube_levels[(i / 6) % 6];
		b = theme_cube_levels[i % 6];
		return (uint32_t)(r << 16 | g << 8 | b);
	}
	if (i > 255)
		i = 255;
	v = 8 + (i - 232) * 10;
	return (uint32_t)(v << 16 | v << 8 | v);
}

/*
 * Squared distance between two colours, weighted by how strongly the eye
 * responds to each channel (the "redmean" approximation).
 */
static long
theme_distance(uint32_t a, uint32_t b)
{
	long ar = (a >> 16) & 0xff, ag = (a >> 8) & 0xff, ab = a & 0xff;
	long br = (b >> 16) & 0xff, bg = (b >> 8) & 0xff, bb = b & 0xff;
	long rmean = (ar + br) / 2, dr = ar - br, dg = ag - bg, db = ab - bb;

	return (((512 + rmean) * dr * dr) >> 8) + 4 * dg * dg +
	       (((767 - rmean) * db * db) >> 8);
}

/* Index of the nearest cube level to one channel value. */
static int
theme_cube_step(int v)
{
	int i, best = 0;

	for (i = 1; i < 6; i++) {
		if (abs(theme_cube_levels[i] - v) <
		    abs(theme_cube_levels[best] - v))
			best = i;
	}
	return best;
}

/*
 * The nearest xterm-256 colour to an RGB value, among the 6x6x6 cube and
 * the grey ramp (16..255): those are the same on every terminal, unlike
 * 0..15, which the user's palette redefines.
 */
int
theme_rgb_to_256(uint32_t rgb)
{
	int r = (rgb >> 16) & 0xff, g = (rgb >> 8) & 0xff, b = rgb & 0xff;
	int cube, grey, avg;

	cube = 16 + 36 * theme_cube_step(r) + 6 * theme_cube_step(g) +
	       theme_cube_step(b);
	avg = (r + g + b) / 3;
	if (avg < 8)
		grey = 232;
	else if (avg > 238)
		grey = 255;
	else
		grey = 232 + (avg - 8 + 5) / 10;
	if (grey > 255)
		grey = 255;
	if (theme_distance(rgb, theme_index_rgb(grey)) <
	    theme_distance(rgb, theme_index_rgb(cube)))
		return grey;
	return cube;
}

/*
 * The ANSI colour (of 16, or of 8 when n is 8) that best stands for an RGB
 * value. Plain RGB distance sends every muted colour (Nord, Solarized) to
 * grey, so this goes by hue: a colour with little chroma becomes the
 * nearest grey (black, bright-black, white, bright-white by luminance),
 * any other the ANSI hue nearest to its own, bright when its brightest
 * channel is near full. The ANSI colours' own xterm values map to
 * themselves. With n = 8 bright colours fold to their base colour.
 */
int
theme_rgb_to_ansi(uint32_t rgb, int n)
{
	static const struct {
		int level, index;
	} greys[] = {{0, 0}, {127, 8}, {229, 7}, {255, 15}};
	/* ANSI index of each 60-degree hue sector, from red. */
	static const int hues[6] = {1, 3, 2, 6, 4, 5};
	int r = (rgb >> 16) & 0xff, g = (rgb >> 8) & 0xff, b = rgb & 0xff;
	int max, min, chroma, lum, h, i, best = 0, sector;

	max = r > g ? (r > b ? r : b) : (g > b ? g : b);
	min = r < g ? (r < b ? r : b) : (g < b ? g : b);
	chroma = max - min;
	if (chroma < 32) {
		lum = (299 * r + 587 * g + 114 * b) / 1000;
		for (i = 1; i < (int)nitems(greys); i++) {
			if (abs(greys[i].level - lum) <
			    abs(greys[best].level - lum))
				best = i;
		}
		i = greys[best].index;
	} else {
		/* Hue in degrees, 0..359. */
		if (max == r)
			h = 60 * (g - b) / chroma;
		else if (max == g)
			h = 120 + 60 * (b - r) / chroma;
		else
			h = 240 + 60 * (r - g) / chroma;
		if (h < 0)
			h += 360;
		sector = ((h + 30) / 60) % 6;
		i = hues[sector] + (max >= 0xf0 ? 8 : 0);
	}
	if (n <= 8 && i >= 8)
		i -= 8;
	return i;
}

/*
 * Reduce one colour to a depth. Returns the curses colour number (-1 for
 * default). For an 8-colour foreground a bright colour becomes its base
 * colour plus bold (*attrs gains THEME_A_BOLD), the usual meaning of bold on
 * such terminals; bright-black becomes the default colour dimmed, because
 * bold black is invisible on many dark terminals.
 */
int
theme_color_map(const struct theme_color *c, enum theme_depth depth, int fg,
                int *attrs)
{
	int i;

	if (c->kind == THEME_COLOR_DEFAULT || depth == THEME_DEPTH_MONO)
		return -1;
	switch (depth) {
	case THEME_DEPTH_DIRECT:
		if (c->kind == THEME_COLOR_INDEX && c->index < 8)
			return c->index;
		i = (int)(c->kind == THEME_COLOR_RGB
		              ? c->rgb
		              : theme_index_rgb(c->index));
		/* Values below 8 mean palette colours in direct mode. */
		return i < 8 ? 8 : i;
	case THEME_DEPTH_256:
		if (c->kind == THEME_COLOR_INDEX)
			return c->index;
		return theme_rgb_to_256(c->rgb);
	case THEME_DEPTH_16:
		if (c->kind == THEME_COLOR_INDEX && c->index < 16)
			return c->index;
		return theme_rgb_to_ansi(c->kind == THEME_COLOR_RGB
		                             ? c->rgb
		                             : theme_index_rgb(c->index),
		                         16);
	case THEME_DEPTH_8:
		if (c->kind == THEME_COLOR_INDEX && c->index < 16)
			i = c->index;
		else if (!fg)
			return theme_rgb_to_ansi(
			    c->kind == THEME_COLOR_RGB
			        ? c->rgb
			        : theme_index_rgb(c->index),
			    8);
		else
			i = theme_rgb_to_ansi(c->kind == THEME_COLOR_RGB
			                          ? c->rgb
			                          : theme_index_rgb(c->index),
			                      16);
		if (i < 8)
			return i;
		if (!fg)
			return i - 8;
		if (i == ANSI_BRIGHT_BLACK) {
			*attrs |= THEME_A_DIM;
			return -1;
		}
		*attrs |= THEME_A_BOLD;
		return i - 8;
	case THEME_DEPTH_MONO:
		break;
	}
	return -1;
}
