/*
 * test_dashboard.c: the pure parts of the dashboard: key names, the key
 * table and its remapping from config.yaml (with file:line:col errors),
 * scope lookup, the layout for each terminal size, and the text helpers
 * (display widths, cutting, hashes, a window's digest). The screens
 * themselves are tested through tmux in tests/tui/.
 */

#include "config.h"

#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tui/dashboard.h"

/* Write text to a temporary config file; the caller unlinks and frees. */
static char *
write_config(const char *text)
{
	char *path = xstrdup("/tmp/berth-test-keys.XXXXXX");
	int fd = mkstemp(path);
	FILE *f;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* Load text as config.yaml; returns rc and the errors joined by '\n'. */
static int
load(const char *text, char **out)
{
	struct config_errors errs = {NULL, 0};
	char *path = write_config(text), *s = xstrdup(""), *t;
	size_t i;
	int rc;

	rc = keys_load_config(path, &errs);
	for (i = 0; i < errs.n; i++) {
		t = xasprintf("%s%d:%d: %s\n", s, errs.list[i].line,
		              errs.list[i].col, errs.list[i].message);
		free(s);
		s = t;
	}
	config_errors_free(&errs);
	unlink(path);
	free(path);
	*out = s;
	return rc;
}

static void
test_key_names(void **state)
{
	static const char *const names[] = {
	    "s",  "S",    "?",    "/",    ":",    "+",     "C-l", "C-c",
	    "F1", "F10",  "F12",  "Tab",  "BTab", "Enter", "Esc", "Space",
	    "Up", "Down", "PgUp", "PgDn", "Home", "End",
	};
	char buf[32];
	size_t i;

	(void)state;
	assert_int_equal(keys_parse("s"), 's');
	assert_int_equal(keys_parse("C-l"), 12);
	assert_int_equal(keys_parse("c-L"), 12);
	assert_int_equal(keys_parse("F10"), KEY_F(10));
	assert_int_equal(keys_parse("Tab"), '\t');
	assert_int_equal(keys_parse("S-Tab"), KEY_BTAB);
	assert_int_equal(keys_parse("Enter"), '\n');
	assert_int_equal(keys_parse(""), -1);
	assert_int_equal(keys_parse("F13"), -1);
	assert_int_equal(keys_parse("F0"), -1);
	assert_int_equal(keys_parse("Hyper-L"), -1);
	assert_int_equal(keys_parse("C-1"), -1);
	assert_int_equal(keys_parse("ss"), -1);
	for (i = 0; i < nitems(names); i++) {
		int code = keys_parse(names[i]);

		assert_int_not_equal(code, -1);
		assert_string_equal(keys_name(code, buf, sizeof buf), names[i]);
	}
}

/* Every default binding parses, and the defaults load without a clash. */
static void
test_key_defaults(void **state)
{
	char *errs;
	int codes[KEYS_MAX];
	size_t i;

	(void)state;
	assert_int_equal(keys_load_config("/nonexistent/config.yaml", NULL), 0);
	for (i = 0; i < keys_ntable; i++) {
		assert_true(keys_bound(keys_table[i].action, codes, KEYS_MAX) >
		            0);
		assert_non_null(keys_find(keys_table[i].name));
		assert_non_null(keys_table[i].help);
	}
	assert_int_equal(load("# nothing here\n", &errs), 0);
	assert_string_equal(errs, "");
	free(errs);
	assert_int_equal(load("theme: light\nkeys:\n", &errs), 0);
	assert_string_equal(errs, "");
	free(errs);
}

/* The focused pane's scope wins over movement and global keys. */
static void
test_key_scopes(void **state)
{
	enum key_scope vm[] = {KEY_SCOPE_VM, KEY_SCOPE_MOVE, KEY_SCOPE_GLOBAL};
	enum key_scope ct[] = {KEY_SCOPE_CONTAINERS, KEY_SCOPE_MOVE,
	                       KEY_SCOPE_GLOBAL};
	enum key_scope logs[] = {KEY_SCOPE_VIEW, KEY_SCOPE_LOGS, KEY_SCOPE_MOVE,
	                         KEY_SCOPE_GLOBAL};

	(void)state;
	keys_reset();
	assert_int_equal(keys_lookup(vm, 3, 's'), ACT_VM_START);
	assert_int_equal(keys_lookup(ct, 3, 's'), ACT_CT_START);
	assert_int_equal(keys_lookup(vm, 3, 'q'), ACT_QUIT);
	assert_int_equal(keys_lookup(logs, 4, 'q'), ACT_VIEW_BACK);
	assert_int_equal(keys_lookup(logs, 4, '/'), ACT_LOG_SEARCH);
	assert_int_equal(keys_lookup(ct, 3, '/'), ACT_CT_FILTER);
	assert_int_equal(keys_lookup(ct, 3, '\r'), ACT_CT_INSPECT);
	assert_int_equal(keys_lookup(ct, 3, KEY_ENTER), ACT_CT_INSPECT);
	assert_int_equal(keys_lookup(vm, 3, KEY_DOWN), ACT_DOWN);
	assert_int_equal(keys_lookup(vm, 3, 'Z'), ACT_NONE);
}

static void
test_key_remap(void **state)
{
	enum key_scope g[] = {KEY_SCOPE_CONTAINERS, KEY_SCOPE_MOVE,
	                      KEY_SCOPE_GLOBAL};
	char *errs, *d;

	(void)state;
	assert_int_equal(load("# mine\nkeys:\n  quit: X\n  ct-logs: [L, F4]\n"
	                      "  zoom: \"Z C-z\"\n",
	                      &errs),
	                 0);
	assert_string_equal(errs, "");
	free(errs);
	assert_int_equal(keys_lookup(g, 3, 'X'), ACT_QUIT);
	assert_int_equal(keys_lookup(g, 3, 'q'), ACT_NONE);
	assert_int_equal(keys_lookup(g, 3, 'L'), ACT_CT_LOGS);
	assert_int_equal(keys_lookup(g, 3, KEY_F(4)), ACT_CT_LOGS);
	assert_int_equal(keys_lookup(g, 3, 'l'), ACT_NONE);
	assert_int_equal(keys_lookup(g, 3, 26), ACT_ZOOM);
	d = keys_describe(ACT_CT_LOGS);
	assert_string_equal(d, "L/F4");
	free(d);
	/* Untouched actions keep their defaults. */
	assert_int_equal(keys_lookup(g, 3, '?'), ACT_HELP);
	keys_reset();
	assert_int_equal(keys_lookup(g, 3, 'q'), ACT_QUIT);
}

/* Errors name the place; nothing is applied when any is found. */
static void
test_key_errors(void **state)
{
	enum key_scope g[] = {KEY_SCOPE_GLOBAL};
	char *errs;

	(void)state;
	assert_int_equal(load("keys:\n  quitt: x\n", &errs), -1);
	assert_string_equal(errs, "2:3: keys: unknown action 'quitt' (did "
	                          "you mean 'quit'?)\n");
	free(errs);

	assert_int_equal(load("keys:\n  quit: x\n  help: Hyper-H\n", &errs),
	                 -1);
	assert_non_null(strstr(errs, "3:9: help: unknown key 'Hyper-H'"));
	free(errs);
	assert_int_equal(keys_lookup(g, 1, 'x'), ACT_NONE); /* not applied */

	/* x is the Containers pane's shell: a global x would hide it. */
	assert_int_equal(load("keys:\n  quit: x\n", &errs), -1);
	assert_non_null(strstr(errs, "'x' is bound to both"));
	free(errs);

	assert_int_equal(load("keys:\n  zoom: q\n", &errs), -1);
	assert_non_null(strstr(errs, "'q' is bound to both zoom and quit"));
	free(errs);

	assert_int_equal(load("keys:\n  help: [a, b, c, d, e]\n", &errs), -1);
	assert_non_null(strstr(errs, "help: at most 4 keys"));
	free(errs);

	assert_int_equal(load("keys:\n  help: {a: b}\n", &errs), -1);
	assert_non_null(strstr(errs, "2:9: help: expected a key name"));
	free(errs);

	assert_int_equal(load("keys: [a, b]\n", &errs), -1);
	assert_non_null(strstr(errs, "1:7: keys: expected a mapping"));
	free(errs);

	assert_int_equal(load("keys:\n  help: [a, b\n", &errs), -1);
	assert_true(strlen(errs) > 0);
	free(errs);
	keys_reset();
}

/* A dash with an empty model, sized rows x cols. */
static void
layout_dash(struct dash *d, int rows, int cols)
{
	memset(d, 0, sizeof *d);
	d->model = model_new();
	d->rows = rows;
	d->cols = cols;
	d->focus = dash_pane_main();
}

static void
test_layout(void **state)
{
	struct dash d;
	int i, sum = 0;

	(void)state;
	layout_dash(&d, 24, 80);
	layout_compute(&d);
	assert_false(d.too_small);
	assert_int_equal(d.header.y, 0);
	assert_int_equal(d.footer.y, 22);
	assert_int_equal(d.body.h, 21);
	for (i = 0; i < DASH_NPANES; i++) {
		assert_true(d.visible[i]);
		assert_int_equal(d.pane[i].w, 80);
		assert_int_equal(d.pane[i].y, 1 + sum);
		sum += d.pane[i].h;
	}
	assert_int_equal(sum, 21); /* Containers takes the rest */
	assert_int_equal(d.pane[0].h, pane_vm.height(&d));
	assert_true(d.pane[3].h >= 5);

	/* Wide: a side column and Containers beside it, full height. */
	d.rows = 48;
	d.cols = 160;
	layout_compute(&d);
	assert_int_equal(d.pane[3].y, 1);
	assert_int_equal(d.pane[3].h, 45);
	assert_int_equal(d.pane[3].x, d.pane[0].w + 1);
	assert_int_equal(d.pane[3].x + d.pane[3].w, 160);
	assert_int_equal(d.pane[0].x, 0);
	assert_int_equal(d.pane[1].y, d.pane[0].y + d.pane[0].h);
	assert_int_equal(d.pane[2].y + d.pane[2].h, 46);

	/* Zoom: the focused pane alone, over the whole body. */
	d.zoom = 1;
	d.focus = 1;
	layout_compute(&d);
	assert_true(d.visible[1]);
	assert_false(d.visible[0] || d.visible[2] || d.visible[3]);
	assert_int_equal(d.pane[1].h, 45);
	assert_int_equal(d.pane[1].w, 160);

	/* Too small: nothing but the notice. */
	d.zoom = 0;
	d.rows = 20;
	d.cols = 60;
	layout_compute(&d);
	assert_true(d.too_small);
	for (i = 0; i < DASH_NPANES; i++)
		assert_false(d.visible[i]);
	d.rows = 24;
	d.cols = 79;
	layout_compute(&d);
	assert_true(d.too_small);
	d.cols = 80;
	d.rows = 23;
	layout_compute(&d);
	assert_true(d.too_small);
	model_unref(d.model);
}

static void
test_text(void **state)
{
	uint64_t a, b;

	(void)state;
	if (setlocale(LC_ALL, "C.UTF-8") == NULL)
		skip();
	draw_init(0);
	assert_int_equal(draw_width("hello"), 5);
	assert_int_equal(draw_width("h\xc3\xa9llo"), 5); /* héllo */
	assert_int_equal(draw_width("\xe6\x97\xa5\xe6\x9c\xac"), 4); /* 日本 */
	assert_int_equal(draw_cut("\xe6\x97\xa5\xe6\x9c\xac", 3), 3);
	assert_int_equal(draw_cut("\xe6\x97\xa5\xe6\x9c\xac", 4), 6);
	assert_int_equal(draw_cut("abcdef", 4), 4);
	assert_int_equal(draw_cut("ab", 10), 2);
	draw_init(1);
	assert_int_equal(draw_width("\xe6\x97\xa5\xe6\x9c\xac"), 2);
	draw_init(0);

	a = draw_hash(DRAW_HASH_INIT, "running", 7);
	b = draw_hash(DRAW_HASH_INIT, "runninh", 7);
	assert_true(a != b);
	assert_true(draw_hash(DRAW_HASH_INIT, "", 0) == DRAW_HASH_INIT);
}

/*
 * A window's digest moves with whatever is drawn into it (a character, an
 * attribute, a wide character), and only then: redraw needs no list of
 * fields.
 */
static void
test_digest(void **state)
{
	FILE *out, *in;
	SCREEN *scr;
	WINDOW *w;
	uint64_t blank, a, b;

	(void)state;
	if (setlocale(LC_ALL, "C.UTF-8") == NULL)
		skip();
	out = fopen("/dev/null", "w");
	in = fopen("/dev/null", "r");
	assert_non_null(out);
	assert_non_null(in);
	if ((scr = newterm("xterm", out, in)) == NULL) {
		fclose(out);
		fclose(in);
		skip();
	}
	draw_init(0);
	w = newwin(3, 20, 0, 0);
	assert_non_null(w);
	blank = draw_digest(w);
	assert_true(draw_digest(w) == blank);

	draw_text(w, 1, 2, 10, 0, "running");
	a = draw_digest(w);
	assert_true(a != blank);
	werase(w);
	draw_text(w, 1, 2, 10, 0, "running");
	assert_true(draw_digest(w) == a); /* the same drawing, the same hash */
	werase(w);
	draw_text(w, 1, 2, 10, 0, "runninh");
	assert_true(draw_digest(w) != a);
	werase(w);
	draw_text(w, 1, 2, 10, (int)A_BOLD, "running");
	assert_true(draw_digest(w) != a);
	werase(w);
	draw_text(w, 1, 2, 10, 0, "\xe6\x97\xa5"); /* 日 */
	b = draw_digest(w);
	werase(w);
	draw_text(w, 1, 2, 10, 0, "\xe6\x9c\xac"); /* 本 */
	assert_true(draw_digest(w) != b);
	werase(w);
	assert_true(draw_digest(w) == blank);

	delwin(w);
	endwin();
	delscreen(scr);
	fclose(out);
	fclose(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_key_names),
	    cmocka_unit_test(test_key_defaults),
	    cmocka_unit_test(test_key_scopes),
	    cmocka_unit_test(test_key_remap),
	    cmocka_unit_test(test_key_errors),
	    cmocka_unit_test(test_layout),
	    cmocka_unit_test(test_digest),
	    cmocka_unit_test(test_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
