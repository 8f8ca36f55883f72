/*
 * test_theme.c: the theme loader (every error class with its exact
 * file:line:col), colour parsing, the reduction of colours to what a
 * terminal has (#rrggbb to 256, 16 and 8 colours, monochrome), the shipped
 * themes (all backend/conf/conf-theme.c), and the colour pairs
 * tui/theme.c makes in a real (headless) curses screen.
 */

#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curses.h>

#include "conf/conf.h"
#include "tui/tui.h" /* theme_init_curses, theme_attr */

static char *test_home; /* private BERTH_HOME */

/* Load a buffer; returns the theme (or NULL) and leaves errors in *e. */
static struct theme *
load(const char *text, struct config_errors *e)
{
	memset(e, 0, sizeof *e);
	return theme_load_buffer(text, strlen(text), "t.yaml", e);
}

/*
 * Assert that text fails with exactly one error at line:col whose message
 * contains `want`.
 */
static void
expect_error(const char *text, int line, int col, const char *want)
{
	struct config_errors e;
	struct theme *t = load(text, &e);

	if (e.n != 1 || e.list[0].line != line || e.list[0].col != col ||
	    strstr(e.list[0].message, want) == NULL) {
		size_t i;

		print_error("for:\n%s\nwant 1 error %d:%d containing '%s', "
		            "got %zu:\n",
		            text, line, col, want, e.n);
		for (i = 0; i < e.n; i++)
			print_error("  %s:%d:%d: %s\n", e.list[i].file,
			            e.list[i].line, e.list[i].col,
			            e.list[i].message);
		fail();
	}
	assert_null(t);
	assert_string_equal(e.list[0].file, "t.yaml");
	config_errors_free(&e);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* The role table: complete, unique, findable, with help. */
static void
test_role_table(void **state)
{
	int i, j;

	(void)state;
	for (i = 0; i < THEME_NROLES; i++) {
		assert_non_null(theme_roles[i].name);
		assert_non_null(theme_roles[i].help);
		assert_true(strlen(theme_roles[i].help) > 5);
		assert_int_equal(theme_role_find(theme_roles[i].name), i);
		assert_string_equal(theme_role_name(i), theme_roles[i].name);
		for (j = 0; j < i; j++)
			assert_string_not_equal(theme_roles[i].name,
			                        theme_roles[j].name);
	}
	/* The enum and the table agree on the names the panes use. */
	assert_int_equal(theme_role_find("selection"), THEME_SELECTION);
	assert_int_equal(theme_role_find("dim"), THEME_DIM);
	assert_int_equal(theme_role_find("match"), THEME_MATCH);
	assert_int_equal(theme_role_find("default"), THEME_DEFAULT);
	assert_int_equal(theme_role_find("header"), THEME_HEADER);
	assert_int_equal(theme_role_find("nope"), -1);
	assert_null(theme_role_name(THEME_NROLES));
}

static void
test_parse_color(void **state)
{
	static const struct {
		const char *text;
		enum theme_color_kind kind;
		int index;
		uint32_t rgb;
	} good[] = {
	    {"default", THEME_COLOR_DEFAULT, 0, 0},
	    {"Default", THEME_COLOR_DEFAULT, 0, 0},
	    {"black", THEME_COLOR_INDEX, 0, 0},
	    {"red", THEME_COLOR_INDEX, 1, 0},
	    {"white", THEME_COLOR_INDEX, 7, 0},
	    {"bright-black", THEME_COLOR_INDEX, 8, 0},
	    {"grey", THEME_COLOR_INDEX, 8, 0},
	    {"gray", THEME_COLOR_INDEX, 8, 0},
	    {"bright-red", THEME_COLOR_INDEX, 9, 0},
	    {"brightred", THEME_COLOR_INDEX, 9, 0},
	    {"bright_cyan", THEME_COLOR_INDEX, 14, 0},
	    {"BRIGHT-WHITE", THEME_COLOR_INDEX, 15, 0},
	    {"0", THEME_COLOR_INDEX, 0, 0},
	    {"255", THEME_COLOR_INDEX, 255, 0},
	    {"colour42", THEME_COLOR_INDEX, 42, 0},
	    {"color208", THEME_COLOR_INDEX, 208, 0},
	    {"#ff8000", THEME_COLOR_RGB, 0, 0xff8000},
	    {"#00FFaa", THEME_COLOR_RGB, 0, 0x00ffaa},
	};
	static const struct {
		const char *text, *want;
	} bad[] = {
	    {"", "empty colour"},
	    {"256", "colour index 256 out of range 0..255"},
	    {"-1", "out of range 0..255"},
	    {"1000000", "out of range 0..255"},
	    {"#12345", "expected #rrggbb"},
	    {"#1234567", "expected #rrggbb"},
	    {"#gg0000", "expected #rrggbb"},
	    {"redd", "did you mean 'red'?"},
	    {"magneta", "did you mean 'magenta'?"},
	    {"bright-rde", "did you mean 'bright-red'?"},
	    {"chartreuse", "expected a colour name"},
	    {"12a", "invalid colour '12a'"},
	    {"colourx", "invalid colour"},
	};
	struct theme_color c;
	char *cause;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(good); i++) {
		cause = NULL;
		if (theme_parse_color(good[i].text, &c, &cause) != 0)
			fail_msg("%s: %s", good[i].text, cause);
		assert_int_equal(c.kind, good[i].kind);
		if (c.kind == THEME_COLOR_INDEX)
			assert_int_equal(c.index, good[i].index);
		if (c.kind == THEME_COLOR_RGB)
			assert_int_equal(c.rgb, good[i].rgb);
	}
	for (i = 0; i < nitems(bad); i++) {
		cause = NULL;
		assert_int_equal(theme_parse_color(bad[i].text, &c, &cause),
		                 -1);
		assert_non_null(cause);
		if (strstr(cause, bad[i].want) == NULL)
			fail_msg("'%s': got '%s', want '%s'", bad[i].text,
			         cause, bad[i].want);
		free(cause);
	}
}

/* Short form styles parse, and every formatted style parses back. */
static void
test_style_roundtrip(void **state)
{
	struct theme_style st, back;
	char *s, *cause = NULL;
	int i;

	(void)state;
	assert_int_equal(theme_parse_style("bold red on default", &st, NULL),
	                 0);
	assert_int_equal(st.attrs, THEME_A_BOLD);
	assert_int_equal(st.fg.kind, THEME_COLOR_INDEX);
	assert_int_equal(st.fg.index, 1);
	assert_int_equal(st.bg.kind, THEME_COLOR_DEFAULT);

	assert_int_equal(theme_parse_style("on blue", &st, NULL), 0);
	assert_int_equal(st.fg.kind, THEME_COLOR_DEFAULT);
	assert_int_equal(st.bg.index, 4);

	assert_int_equal(
	    theme_parse_style("underline reverse #102030 on 17", &st, NULL), 0);
	assert_int_equal(st.attrs, THEME_A_UNDERLINE | THEME_A_REVERSE);
	assert_int_equal(st.fg.rgb, 0x102030);
	assert_int_equal(st.bg.index, 17);

	assert_int_equal(theme_parse_style("normal", &st, NULL), 0);
	assert_int_equal(st.attrs, 0);

	assert_int_equal(theme_parse_style("bodl red", &st, &cause), -1);
	assert_string_equal(cause, "unknown attribute or colour 'bodl' (did "
	                           "you mean 'bold'?)");
	free(cause);
	cause = NULL;
	assert_int_equal(theme_parse_style("bold rde", &st, &cause), -1);
	assert_non_null(strstr(cause, "did you mean 'red'?"));
	free(cause);
	cause = NULL;
	assert_int_equal(theme_parse_style("red blue", &st, &cause), -1);
	assert_non_null(strstr(cause, "unexpected 'blue'"));
	free(cause);
	cause = NULL;
	assert_int_equal(theme_parse_style("bold on", &st, &cause), -1);
	assert_non_null(strstr(cause, "needs a colour after 'on'"));
	free(cause);

	for (i = 0; i < THEME_NROLES; i++) {
		s = theme_style_format(&theme_roles[i].def);
		assert_int_equal(theme_parse_style(s, &back, NULL), 0);
		assert_memory_equal(&back, &theme_roles[i].def, sizeof back);
		free(s);
	}
	memset(&st, 0, sizeof st);
	st.fg.kind = THEME_COLOR_RGB;
	st.fg.rgb = 0xabcdef;
	st.bg.kind = THEME_COLOR_INDEX;
	st.bg.index = 200;
	st.attrs = THEME_A_DIM;
	s = theme_style_format(&st);
	assert_string_equal(s, "dim #abcdef on 200");
	assert_int_equal(theme_parse_style(s, &back, NULL), 0);
	assert_memory_equal(&back, &st, sizeof back);
	free(s);
}

static void
test_depth(void **state)
{
	(void)state;
	assert_int_equal(theme_depth(0, 0), THEME_DEPTH_MONO);
	assert_int_equal(theme_depth(2, 0), THEME_DEPTH_MONO);
	assert_int_equal(theme_depth(8, 0), THEME_DEPTH_8);
	assert_int_equal(theme_depth(16, 0), THEME_DEPTH_16);
	assert_int_equal(theme_depth(88, 0), THEME_DEPTH_16);
	assert_int_equal(theme_depth(256, 0), THEME_DEPTH_256);
	assert_int_equal(theme_depth(0x1000000, 0), THEME_DEPTH_DIRECT);
	assert_int_equal(theme_depth(256, 1), THEME_DEPTH_MONO);
}

/* #rrggbb to the xterm-256 cube and grey ramp. */
static void
test_rgb_to_256(void **state)
{
	int i;

	(void)state;
	assert_int_equal(theme_rgb_to_256(0xff0000), 196);
	assert_int_equal(theme_rgb_to_256(0x000000), 16);
	assert_int_equal(theme_rgb_to_256(0xffffff), 231);
	assert_int_equal(theme_rgb_to_256(0x87afd7), 110);
	assert_int_equal(theme_rgb_to_256(0x005f87), 24);
	assert_int_equal(theme_rgb_to_256(0x808080), 244); /* grey ramp */
	assert_int_equal(theme_rgb_to_256(0x121212), 233);
	assert_int_equal(theme_rgb_to_256(0xfe0101), 196); /* near red */
	/* nord0 (46,52,64): grey 237 (58,58,58) beats 236 (48,48,48). */
	assert_int_equal(theme_rgb_to_256(0x2e3440), 237);
	/* Every index above 15 maps back to itself from its own RGB. */
	for (i = 16; i < 256; i++)
		assert_int_equal(theme_rgb_to_256(theme_index_rgb(i)), i);
	assert_int_equal(theme_index_rgb(196), 0xff0000);
	assert_int_equal(theme_index_rgb(232), 0x080808);
	assert_int_equal(theme_index_rgb(255), 0xeeeeee);
}

/* #rrggbb to the ANSI colour of the same hue (16 and 8 colours). */
static void
test_rgb_to_ansi(void **state)
{
	int i;

	(void)state;
	assert_int_equal(theme_rgb_to_ansi(0xff0000, 16), 9);
	assert_int_equal(theme_rgb_to_ansi(0xcc0000, 16), 1);
	assert_int_equal(theme_rgb_to_ansi(0x800000, 16), 1);
	assert_int_equal(theme_rgb_to_ansi(0x000000, 16), 0);
	assert_int_equal(theme_rgb_to_ansi(0xffffff, 16), 15);
	assert_int_equal(theme_rgb_to_ansi(0x0000ff, 16), 12);
	assert_int_equal(theme_rgb_to_ansi(0x000080, 16), 4);
	assert_int_equal(theme_rgb_to_ansi(0x808080, 16), 8);
	assert_int_equal(theme_rgb_to_ansi(0xd0d0d0, 16), 7);
	assert_int_equal(theme_rgb_to_ansi(0xff8000, 16), 11); /* orange */
	assert_int_equal(theme_rgb_to_ansi(0xff00a0, 16), 13); /* pink */
	/* Muted colours keep their hue instead of all turning grey. */
	assert_int_equal(theme_rgb_to_ansi(0xbf616a, 16), 1); /* nord red */
	assert_int_equal(theme_rgb_to_ansi(0xa3be8c, 16), 2); /* green */
	assert_int_equal(theme_rgb_to_ansi(0xebcb8b, 16), 3); /* yellow */
	assert_int_equal(theme_rgb_to_ansi(0x88c0d0, 16), 6); /* frost */
	assert_int_equal(theme_rgb_to_ansi(0xb48ead, 16), 5); /* purple */
	assert_int_equal(theme_rgb_to_ansi(0x4c566a, 16), 8); /* grey-blue */
	assert_int_equal(theme_rgb_to_ansi(0xeceff4, 16),
	                 7); /* L 239: nearer 229 */
	/* 8 colours: bright folds to base. */
	assert_int_equal(theme_rgb_to_ansi(0xff0000, 8), 1);
	assert_int_equal(theme_rgb_to_ansi(0xffffff, 8), 7);
	assert_int_equal(theme_rgb_to_ansi(0x00ff00, 8), 2);
	assert_int_equal(theme_rgb_to_ansi(0x202020, 8), 0);
	for (i = 0; i < 16; i++)
		assert_int_equal(theme_rgb_to_ansi(theme_index_rgb(i), 16), i);
	for (i = 0; i < 16; i++)
		assert_int_equal(theme_rgb_to_ansi(theme_index_rgb(i), 8),
		                 i & 7);
}

/* Resolve a style given in short form at a depth. */
static void
resolve_text(const char *style, enum theme_depth depth,
             struct theme_resolved *r)
{
	struct config_errors e;
	struct theme *t;
	char *text = xasprintf("default: %s\n", style);

	t = load(text, &e);
	assert_non_null(t);
	theme_resolve(t, THEME_DEFAULT, depth, r);
	theme_free(t);
	free(text);
}

static void
test_resolve(void **state)
{
	struct theme_resolved r;
	struct config_errors e;
	struct theme *t;

	(void)state;
	/* The built-in defaults: ANSI indices pass through. */
	theme_resolve(NULL, THEME_BORDER_ACTIVE, THEME_DEPTH_256, &r);
	assert_int_equal(r.fg, 2);
	assert_int_equal(r.bg, -1);
	assert_int_equal(r.attrs, THEME_A_BOLD);
	theme_resolve(NULL, THEME_BORDER_ACTIVE, THEME_DEPTH_8, &r);
	assert_int_equal(r.fg, 2);
	theme_resolve(NULL, THEME_MATCH, THEME_DEPTH_16, &r);
	assert_int_equal(r.fg, 0);
	assert_int_equal(r.bg, 3);

	/* #rrggbb at every depth. */
	resolve_text("\"#ff0000 on #005f87\"", THEME_DEPTH_DIRECT, &r);
	assert_int_equal(r.fg, 0xff0000);
	assert_int_equal(r.bg, 0x005f87);
	resolve_text("\"#ff0000 on #005f87\"", THEME_DEPTH_256, &r);
	assert_int_equal(r.fg, 196);
	assert_int_equal(r.bg, 24);
	resolve_text("\"#ff0000 on #005f87\"", THEME_DEPTH_16, &r);
	assert_int_equal(r.fg, 9);
	assert_true(r.bg >= 0 && r.bg < 16);
	resolve_text("\"#ff0000 on #005f87\"", THEME_DEPTH_8, &r);
	assert_int_equal(r.fg, 1);
	assert_int_equal(r.attrs, THEME_A_BOLD); /* bright -> base + bold */
	assert_true(r.bg >= 0 && r.bg < 8);

	/* Palette indices above 15 on small terminals. */
	resolve_text("196 on 21", THEME_DEPTH_256, &r);
	assert_int_equal(r.fg, 196);
	assert_int_equal(r.bg, 21);
	resolve_text("196 on 21", THEME_DEPTH_16, &r);
	assert_int_equal(r.fg, 9);
	assert_int_equal(r.bg, 12); /* 0000ff: full blue is bright blue */
	resolve_text("196 on 21", THEME_DEPTH_8, &r);
	assert_int_equal(r.fg, 1);
	assert_int_equal(r.bg, 4);

	/* 8 colours: bright fg gains bold, bright bg just loses brightness,
	 * bright-black fg becomes the default colour dimmed. */
	resolve_text("bright-cyan on bright-blue", THEME_DEPTH_8, &r);
	assert_int_equal(r.fg, 6);
	assert_int_equal(r.bg, 4);
	assert_int_equal(r.attrs, THEME_A_BOLD);
	resolve_text("bright-black", THEME_DEPTH_8, &r);
	assert_int_equal(r.fg, -1);
	assert_int_equal(r.attrs, THEME_A_DIM);
	resolve_text("bright-black", THEME_DEPTH_16, &r);
	assert_int_equal(r.fg, 8);
	assert_int_equal(r.attrs, 0);

	/* Direct colour: ANSI 0..7 stay palette colours, nothing below 8
	 * is emitted as RGB. */
	resolve_text("\"yellow on #000001\"", THEME_DEPTH_DIRECT, &r);
	assert_int_equal(r.fg, 3);
	assert_int_equal(r.bg, 8);
	resolve_text("bright-red", THEME_DEPTH_DIRECT, &r);
	assert_int_equal(r.fg, 0xff0000);

	/* Monochrome: a coloured theme falls back to the table's attrs. */
	resolve_text("bold red", THEME_DEPTH_MONO, &r);
	assert_int_equal(r.fg, -1);
	assert_int_equal(r.bg, -1);
	assert_int_equal(r.attrs, theme_roles[THEME_DEFAULT].mono);
	/* ...and a colourless theme keeps its own. */
	t = load("inherits: mono\ndefault: underline\n", &e);
	assert_non_null(t);
	theme_resolve(t, THEME_DEFAULT, THEME_DEPTH_MONO, &r);
	assert_int_equal(r.attrs, THEME_A_UNDERLINE);
	theme_free(t);
	theme_resolve(NULL, THEME_SELECTION, THEME_DEPTH_MONO, &r);
	assert_int_equal(r.attrs, THEME_A_REVERSE);
}

/* Roles drawn next to each other, which must look different. */
static const enum theme_role groups[][6] = {
    {THEME_BORDER_ACTIVE, THEME_BORDER_INACTIVE, -1},
    {THEME_TITLE_ACTIVE, THEME_TITLE_INACTIVE, -1},
    {THEME_DEFAULT, THEME_SELECTION, THEME_MATCH, THEME_STDERR, THEME_DIM, -1},
    {THEME_STATUS_OK, THEME_STATUS_WARN, THEME_STATUS_ERROR, -1},
    {THEME_METER_FILL, THEME_METER_EMPTY, -1},
    {THEME_KEY_HINT, THEME_KEY_LABEL, -1},
    {THEME_TABLE_HEADER, THEME_DEFAULT, THEME_SELECTION, -1},
    {THEME_DIALOG, THEME_DIALOG_BORDER, THEME_INPUT, THEME_SELECTION, -1},
    {THEME_HEADER, THEME_DEFAULT, -1},
};

/* Every group is distinct in theme t at depth d. */
static void
check_distinct(const struct theme *t, const char *name, enum theme_depth d)
{
	struct theme_resolved a, b;
	size_t g, i, j;

	for (g = 0; g < nitems(groups); g++) {
		for (i = 0; groups[g][i] != (enum theme_role) - 1; i++) {
			theme_resolve(t, groups[g][i], d, &a);
			if (a.fg != -1 && a.fg == a.bg)
				fail_msg("%s at %s: %s has fg == bg", name,
				         theme_depth_name(d),
				         theme_role_name(groups[g][i]));
			for (j = 0; j < i; j++) {
				theme_resolve(t, groups[g][j], d, &b);
				if (memcmp(&a, &b, sizeof a) == 0)
					fail_msg("%s at %s: %s looks like %s",
					         name, theme_depth_name(d),
					         theme_role_name(groups[g][i]),
					         theme_role_name(groups[g][j]));
			}
		}
	}
}

static void
test_mono_distinct(void **state)
{
	(void)state;
	check_distinct(NULL, "built-in", THEME_DEPTH_MONO);
}

static const char *const shipped[] = {"default", "mono", "high-contrast",
                                      "light", "nord256"};

/* Every shipped theme loads, and keeps neighbours distinct at all depths. */
static void
test_shipped_themes(void **state)
{
	struct config_errors e = {NULL, 0};
	struct theme *t, *other;
	char *cause = NULL, *path, *dir, *user;
	size_t i;
	int d, r;

	(void)state;
	for (i = 0; i < nitems(shipped); i++) {
		path = xasprintf("%s/themes/%s.yaml", getenv("BERTH_DATADIR"),
		                 shipped[i]);
		t = theme_load_file(path, &e);
		if (t == NULL) {
			config_errors_print(&e, stderr);
			fail_msg("%s does not load", path);
		}
		assert_int_equal(e.n, 0);
		assert_non_null(theme_get_description(t));
		for (d = THEME_DEPTH_MONO; d <= THEME_DEPTH_DIRECT; d++)
			check_distinct(t, shipped[i], d);
		/* A user's default.yaml changes no shipped theme. */
		dir = xasprintf("%s/config/themes", test_home);
		assert_int_equal(util_mkdir_p(dir, 0700, NULL), 0);
		user = xasprintf("%s/default.yaml", dir);
		write_file(user, "description: odd\nheader: magenta on cyan\n"
		                 "selection: underline\ndim: underline\n"
		                 "key_hint: dim\ninput: red\n");
		other = theme_load_file(path, &e);
		assert_non_null(other);
		if (strcmp(shipped[i], "default") != 0)
			for (r = 0; r < THEME_NROLES; r++)
				assert_memory_equal(theme_get_style(t, r),
				                    theme_get_style(other, r),
				                    sizeof(struct theme_style));
		unlink(user);
		free(user);
		free(dir);
		theme_free(other);
		theme_free(t);
		free(path);

		t = theme_open(shipped[i], &cause);
		assert_non_null(t);
		assert_string_equal(theme_get_name(t), shipped[i]);
		theme_free(t);
	}
}

/* themes/default.yaml is the role table; mono.yaml is its mono column. */
static void
test_default_matches_table(void **state)
{
	struct theme *def, *mono;
	const struct theme_style *st;
	char *cause = NULL;
	int i;

	(void)state;
	def = theme_open("default", &cause);
	mono = theme_open("mono", &cause);
	assert_non_null(def);
	assert_non_null(mono);
	for (i = 0; i < THEME_NROLES; i++) {
		st = theme_get_style(def, i);
		if (memcmp(st, &theme_roles[i].def, sizeof *st) != 0)
			fail_msg("default.yaml and the table differ on %s",
			         theme_roles[i].name);
		st = theme_get_style(mono, i);
		assert_int_equal(st->fg.kind, THEME_COLOR_DEFAULT);
		assert_int_equal(st->bg.kind, THEME_COLOR_DEFAULT);
		if (st->attrs != theme_roles[i].mono)
			fail_msg("mono.yaml and the table differ on %s",
			         theme_roles[i].name);
	}
	theme_free(def);
	theme_free(mono);
}

/* Each error class, with its exact position. */
static void
test_errors(void **state)
{
	(void)state;
	expect_error("header: {fg: red\n", 2, 1, "YAML syntax error");
	expect_error("header:\n  fg: red\n bg: blue\n", 3, 2,
	             "YAML syntax error");
	expect_error("dim: {fg: #777777}\n", 2, 1,
	             "write #rrggbb colours in quotes");
	expect_error("- header\n", 1, 1, "a theme is a mapping");
	expect_error("heder: bold\n", 1, 1,
	             "unknown role 'heder' (did you mean 'header'?)");
	expect_error("inherit: default\n", 1, 1, "did you mean 'inherits'?");
	expect_error("xyzzy: bold\n", 1, 1, "berth theme roles lists them");
	expect_error("header:\n  fgg: red\n", 2, 3,
	             "unknown key 'fgg' in role 'header' (did you mean "
	             "'fg'?)");
	expect_error("header: {color: red}\n", 1, 10,
	             "expected fg, bg, bold, dim, reverse or underline");
	expect_error("header: {fg: redd}\n", 1, 14,
	             "unknown colour 'redd' (did you mean 'red'?)");
	expect_error("selection:\n  bg: 256\n", 2, 7,
	             "colour index 256 out of range 0..255");
	expect_error("selection: {bg: \"#12345\"}\n", 1, 17,
	             "invalid colour '#12345' (expected #rrggbb)");
	expect_error("dim:\n  fg: #777777\n", 2, 6,
	             "fg has no value (write #rrggbb colours in quotes");
	expect_error("header: {bold: maybe}\n", 1, 16,
	             "bold must be true or false, not 'maybe'");
	expect_error("header: {reverse: [1]}\n", 1, 19,
	             "reverse must be true or false, not a list");
	expect_error("header: {fg: {a: b}}\n", 1, 14,
	             "fg must be a colour, not a mapping");
	expect_error("header: [red]\n", 1, 9,
	             "role 'header' must be a mapping");
	expect_error("header:\n", 1, 8, "role 'header' has no style");
	expect_error("description: [a]\n", 1, 14,
	             "description must be a string");
	expect_error("header: bold\nheader: dim\n", 2, 1,
	             "duplicate key 'header' (first on line 1)");
	expect_error("header:\n  fg: red\n  bold: true\n  fg: blue\n", 4, 3,
	             "duplicate key 'fg' (first on line 2)");
	expect_error("header: bold\n---\nheader: dim\n", 3, 1,
	             "one YAML document");
	/* Short form: the column of the bad word, plain and quoted. */
	expect_error("header: bold rde on default\n", 1, 14,
	             "role 'header': unknown colour 'rde'");
	expect_error("header: \"bold red on blu\"\n", 1, 22,
	             "unknown colour 'blu' (did you mean 'blue'?)");
	expect_error("header: red green\n", 1, 13, "unexpected 'green'");
	expect_error("inherits: no-such-theme\n", 1, 11,
	             "no theme 'no-such-theme'");
	expect_error("inherits: ../etc/passwd\n", 1, 11, "invalid theme name");
	expect_error("inherits: {a: b}\n", 1, 11,
	             "inherits must be a theme name, not a mapping");
}

/* Several problems: all reported, in file order, nothing else. */
static void
test_many_errors(void **state)
{
	static const char text[] = "header: {fg: blu}\n"
	                           "border_active: {bold: 2}\n"
	                           "selection: {bg: 999}\n"
	                           "nope: bold\n"
	                           "header: dim\n";
	static const int want[][2] = {
	    {1, 14}, {2, 23}, {3, 17}, {4, 1}, {5, 1}};
	struct config_errors e;
	size_t i;

	(void)state;
	assert_null(load(text, &e));
	assert_int_equal(e.n, nitems(want));
	for (i = 0; i < e.n; i++) {
		assert_int_equal(e.list[i].line, want[i][0]);
		assert_int_equal(e.list[i].col, want[i][1]);
	}
	config_errors_free(&e);
}

/* A valid file: forms, merging with the base, booleans, no errors. */
static void
test_valid(void **state)
{
	static const char text[] =
	    "# comment\n"
	    "description: mine\n"
	    "header: {fg: \"#102030\", bold: false, underline: yes}\n"
	    "selection: bold bright-yellow on 17\n"
	    "dim:\n"
	    "  fg: 244\n"
	    "  dim: on\n"
	    "status_ok: {bg: blue}\n";
	const struct theme_style *st;
	struct config_errors e;
	struct theme *t;

	(void)state;
	t = load(text, &e);
	assert_non_null(t);
	assert_int_equal(e.n, 0);
	assert_string_equal(theme_get_name(t), "t");
	assert_string_equal(theme_get_description(t), "mine");
	st = theme_get_style(t, THEME_HEADER);
	assert_int_equal(st->fg.kind, THEME_COLOR_RGB);
	assert_int_equal(st->fg.rgb, 0x102030);
	/* A role is what it says: nothing of the default (bold reverse). */
	assert_int_equal(st->attrs, THEME_A_UNDERLINE);
	assert_int_equal(st->bg.kind, THEME_COLOR_DEFAULT);
	st = theme_get_style(t, THEME_SELECTION);
	assert_int_equal(st->attrs, THEME_A_BOLD);
	assert_int_equal(st->fg.index, 11);
	assert_int_equal(st->bg.index, 17);
	st = theme_get_style(t, THEME_DIM);
	assert_int_equal(st->fg.index, 244);
	assert_int_equal(st->attrs, THEME_A_DIM);
	st = theme_get_style(t, THEME_STATUS_OK);
	assert_int_equal(st->fg.kind, THEME_COLOR_DEFAULT); /* not green */
	assert_int_equal(st->bg.index, 4);
	/* Roles not mentioned keep the defaults. */
	assert_memory_equal(theme_get_style(t, THEME_MATCH),
	                    &theme_roles[THEME_MATCH].def, sizeof *st);
	theme_free(t);

	/* An empty file is the default theme. */
	t = load("", &e);
	assert_non_null(t);
	assert_memory_equal(theme_get_style(t, THEME_BORDER_ACTIVE),
	                    &theme_roles[THEME_BORDER_ACTIVE].def, sizeof *st);
	theme_free(t);
}

/*
 * inherits: from shipped themes, a user theme shadowing and extending the
 * shipped theme of the same name, and loops.
 */
static void
test_inherits(void **state)
{
	struct config_errors e;
	struct theme *t, *light;
	char *dir, *path, *cause = NULL, *p2;
	const char *source;

	(void)state;
	t = load("inherits: light\nheader: bold\n", &e);
	assert_non_null(t);
	light = theme_open("light", &cause);
	assert_non_null(light);
	assert_memory_equal(theme_get_style(t, THEME_STATUS_WARN),
	                    theme_get_style(light, THEME_STATUS_WARN),
	                    sizeof(struct theme_style));
	assert_int_equal(theme_get_style(t, THEME_HEADER)->attrs, THEME_A_BOLD);
	assert_int_equal(theme_get_style(t, THEME_HEADER)->fg.kind,
	                 THEME_COLOR_DEFAULT);
	theme_free(t);
	theme_free(light);

	dir = xasprintf("%s/config/themes", test_home);
	assert_int_equal(util_mkdir_p(dir, 0700, NULL), 0);

	/* ~/.config/berth/themes/default.yaml builds on the shipped one. */
	path = xasprintf("%s/default.yaml", dir);
	write_file(path, "inherits: default\nheader: red\n");
	p2 = theme_find("default", &source, NULL);
	assert_string_equal(p2, path);
	assert_string_equal(source, "user");
	free(p2);
	t = theme_open("default", &cause);
	if (t == NULL)
		fail_msg("%s", cause);
	assert_int_equal(theme_get_style(t, THEME_HEADER)->fg.index, 1);
	assert_memory_equal(theme_get_style(t, THEME_MATCH),
	                    &theme_roles[THEME_MATCH].def,
	                    sizeof(struct theme_style));
	theme_free(t);
	unlink(path);
	free(path);

	/* a -> b -> a */
	path = xasprintf("%s/a.yaml", dir);
	write_file(path, "description: a\ninherits: b\n");
	free(path);
	path = xasprintf("%s/b.yaml", dir);
	write_file(path, "inherits: a\n");
	memset(&e, 0, sizeof e);
	assert_null(theme_load_file(path, &e));
	assert_int_equal(e.n, 1);
	assert_int_equal(e.list[0].line, 1);
	assert_int_equal(e.list[0].col, 11);
	assert_non_null(strstr(e.list[0].message, "(b -> a -> b)"));
	config_errors_free(&e);
	assert_null(theme_open("a", &cause));
	assert_non_null(strstr(cause, "inherits from itself"));
	free(cause);
	cause = NULL;
	unlink(path);
	free(path);
	path = xasprintf("%s/a.yaml", dir);
	unlink(path);
	free(path);

	/* A broken parent is reported where inherits names it. */
	path = xasprintf("%s/broken.yaml", dir);
	write_file(path, "header: {fg: nope}\n");
	expect_error("\ninherits: broken\n", 2, 11,
	             "theme 'broken' is invalid");
	unlink(path);
	free(path);
	free(dir);
}

/* Names: user and shipped, sorted, once each; theme_open by path. */
static void
test_list(void **state)
{
	char **names, *dir, *path, *cause = NULL;
	struct theme *t;
	size_t n, i, j, found = 0;

	(void)state;
	dir = xasprintf("%s/config/themes", test_home);
	assert_int_equal(util_mkdir_p(dir, 0700, NULL), 0);
	path = xasprintf("%s/zz-mine.yaml", dir);
	write_file(path, "header: bold\n");
	free(path);
	path = xasprintf("%s/mono.yaml", dir); /* shadows shipped mono */
	write_file(path, "header: dim\n");

	names = theme_list_names(&n);
	for (i = 0; i < n; i++) {
		if (i > 0)
			assert_true(strcmp(names[i - 1], names[i]) < 0);
		for (j = 0; j < nitems(shipped); j++)
			found += strcmp(names[i], shipped[j]) == 0;
	}
	assert_int_equal(found, nitems(shipped));
	assert_string_equal(names[n - 1], "zz-mine");
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);

	t = theme_open("mono", &cause);
	assert_non_null(t);
	assert_string_equal(theme_get_path(t), path);
	theme_free(t);
	unlink(path);
	t = theme_open(path, &cause); /* gone */
	assert_null(t);
	assert_non_null(strstr(cause, "No such file"));
	free(cause);
	cause = NULL;
	free(path);
	path = xasprintf("%s/zz-mine.yaml", dir);
	t = theme_open(path, &cause); /* by path */
	assert_non_null(t);
	theme_free(t);
	unlink(path);
	free(path);
	free(dir);

	assert_null(theme_open("no-such", &cause));
	assert_non_null(strstr(cause, "no theme 'no-such'"));
	free(cause);
	cause = NULL;
	assert_null(theme_open(".hidden", &cause));
	free(cause);
}

/* Files that are not themes are refused before they are read. */
static void
test_file_limits(void **state)
{
	struct config_errors e = {NULL, 0};
	char *path = xasprintf("%s/big.yaml", test_home);
	FILE *f;
	int i;

	(void)state;
	assert_null(theme_load_file("/dev/zero", &e));
	assert_int_equal(e.n, 1);
	assert_string_equal(e.list[0].message, "not a regular file");
	config_errors_free(&e);

	f = fopen(path, "w");
	assert_non_null(f);
	for (i = 0; i < 1024 * 1024 / 16 + 1; i++)
		fputs("# 16 bytes line\n", f);
	assert_int_equal(fclose(f), 0);
	assert_null(theme_load_file(path, &e));
	assert_int_equal(e.n, 1);
	assert_int_equal(e.list[0].line, 0);
	assert_non_null(strstr(e.list[0].message, "too large (1048592 bytes"));
	config_errors_free(&e);
	unlink(path);
	free(path);
}

/* The colours of a pair, through the widest call curses has. */
static int
pair_colors(int pair, int *fg, int *bg)
{
#if defined(NCURSES_EXT_COLORS)
	return extended_pair_content(pair, fg, bg);
#else
	short f, b;
	int rc = pair_content((short)pair, &f, &b);

	*fg = f;
	*bg = b;
	return rc;
#endif
}

/* Colour pairs in a real curses screen (xterm-256color, headless). */
static void
test_curses(void **state)
{
	struct theme *t, *nord;
	char *cause = NULL;
	SCREEN *scr;
	FILE *out, *in;
	int fg, bg, a;

	(void)state;
	out = fopen("/dev/null", "w");
	in = fopen("/dev/null", "r");
	assert_non_null(out);
	assert_non_null(in);
	if ((scr = newterm("xterm-256color", out, in)) == NULL) {
		fclose(out);
		fclose(in);
		skip(); /* no terminfo entry for xterm-256color */
	}
	start_color();
	assert_int_equal(COLORS, 256);
	t = theme_open("default", &cause);
	nord = theme_open("nord256", &cause);
	assert_non_null(t);
	assert_non_null(nord);

	theme_init_curses(t, COLORS, 0);
	a = theme_attr(THEME_BORDER_ACTIVE);
	assert_int_equal(PAIR_NUMBER(a), THEME_BORDER_ACTIVE + 1);
	assert_true(a & A_BOLD);
	assert_int_equal(pair_colors(PAIR_NUMBER(a), &fg, &bg), OK);
	assert_int_equal(fg, COLOR_GREEN);
	assert_int_equal(bg, -1);
	assert_true(theme_attr(THEME_SELECTION) & A_REVERSE);

	theme_init_curses(nord, COLORS, 0); /* switching redefines pairs */
	a = theme_attr(THEME_BORDER_ACTIVE);
	fg = bg = 0;
	assert_int_equal(pair_colors(PAIR_NUMBER(a), &fg, &bg), OK);
	assert_int_equal(fg, theme_rgb_to_256(0x88c0d0));

	theme_init_curses(t, 8, 0);
	a = theme_attr(THEME_DIM);
	assert_true(a & A_DIM); /* bright-black on 8 colours */
	assert_int_equal(pair_colors(PAIR_NUMBER(a), &fg, &bg), OK);
	assert_int_equal(fg, -1);

	theme_init_curses(t, COLORS, 1); /* NO_COLOR */
	for (a = 0; a < THEME_NROLES; a++)
		assert_int_equal(PAIR_NUMBER(theme_attr(a)), 0);
	assert_int_equal(theme_attr(THEME_SELECTION), A_REVERSE);
	assert_int_equal(theme_attr(THEME_HEADER), A_BOLD | A_REVERSE);
	assert_int_equal(theme_attr(THEME_NROLES), A_NORMAL);

	theme_free(t);
	theme_free(nord);
	endwin();
	delscreen(scr);
	fclose(out);
	fclose(in);
}

/* Direct colour (xterm-direct: COLORS = 2^24): #rrggbb goes out as is. */
static void
test_curses_direct(void **state)
{
	struct theme *nord, *def;
	char *cause = NULL;
	SCREEN *scr;
	FILE *out, *in;
	int fg, bg, a;

	(void)state;
	out = fopen("/dev/null", "w");
	in = fopen("/dev/null", "r");
	assert_non_null(out);
	assert_non_null(in);
	if ((scr = newterm("xterm-direct", out, in)) == NULL) {
		fclose(out);
		fclose(in);
		print_message("# no terminfo entry for xterm-direct "
		              "(ncurses-term), skipping\n");
		skip();
	}
	start_color();
	assert_true(COLORS >= 0x1000000);
	nord = theme_open("nord256", &cause);
	def = theme_open("default", &cause);
	assert_non_null(nord);
	assert_non_null(def);
	theme_init_curses(nord, COLORS, 0);
	a = theme_attr(THEME_BORDER_ACTIVE);
	assert_int_equal(pair_colors(PAIR_NUMBER(a), &fg, &bg), OK);
	assert_int_equal(fg, 0x88c0d0);
	assert_int_equal(bg, -1);
	theme_init_curses(def, COLORS, 0);
	a = theme_attr(THEME_BORDER_ACTIVE); /* green stays palette green */
	assert_int_equal(pair_colors(PAIR_NUMBER(a), &fg, &bg), OK);
	assert_int_equal(fg, COLOR_GREEN);
	theme_free(nord);
	theme_free(def);
	endwin();
	delscreen(scr);
	fclose(out);
	fclose(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_role_table),
	    cmocka_unit_test(test_parse_color),
	    cmocka_unit_test(test_style_roundtrip),
	    cmocka_unit_test(test_depth),
	    cmocka_unit_test(test_rgb_to_256),
	    cmocka_unit_test(test_rgb_to_ansi),
	    cmocka_unit_test(test_resolve),
	    cmocka_unit_test(test_mono_distinct),
	    cmocka_unit_test(test_shipped_themes),
	    cmocka_unit_test(test_default_matches_table),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_many_errors),
	    cmocka_unit_test(test_valid),
	    cmocka_unit_test(test_inherits),
	    cmocka_unit_test(test_list),
	    cmocka_unit_test(test_file_limits),
	    cmocka_unit_test(test_curses),
	    cmocka_unit_test(test_curses_direct),
	};
	char tmpl[] = "/tmp/berth-test-theme.XXXXXX", *data, *cmd;
	const char *src = getenv("BERTH_SRCDIR");
	int rc;

	if ((test_home = mkdtemp(tmpl)) == NULL)
		return 1;
	setenv("BERTH_HOME", test_home, 1);
	data = xstrdup(src != NULL && *src != '\0' ? src : BERTH_SRCDIR);
	setenv("BERTH_DATADIR", data, 1);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	cmd = xasprintf("rm -rf '%s'", test_home);
	if (system(cmd) != 0)
		rc = 1;
	free(cmd);
	free(data);
	return rc;
}
