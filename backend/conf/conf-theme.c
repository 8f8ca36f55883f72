/*
 * conf-theme.c: colour themes. A theme maps the roles the dashboard draws with
 * (header, borders, selection, statuses...) to a foreground, a background
 * and attributes, read from a small YAML file. One table, theme_roles[],
 * names every role with its default style, its monochrome attributes and
 * its help; the loader, `berth theme validate|roles|show` and
 * berth-theme(5) all read it.
 *
 * Colours are written as ANSI names (red, bright-red), `default` (the
 * terminal's own colour, so its background shows through), a 256-colour
 * index or #rrggbb. They are reduced to what the terminal has when curses
 * starts: direct colour, 256, 16, 8 or none (attributes only). All of it
 * is pure, tested without a terminal; tui/theme.c (theme_init_curses) only
 * turns theme_resolve's result into colour pairs.
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

/* Longest inherits chain before we call it a loop. */
#define THEME_MAX_DEPTH 8

/* Largest theme file read (bytes). */
#define THEME_MAX_SIZE (1024 * 1024)

struct theme {
	char *name;
	char *path;
	char *description;
	struct theme_style roles[THEME_NROLES];
	int colourless; /* every colour is `default`: keep attrs in mono */
};

/* Shorthands for the role table. */
#define C_DEF                                                                  \
	{                                                                      \
		THEME_COLOR_DEFAULT, 0, 0                                      \
	}
#define C_IDX(i)                                                               \
	{                                                                      \
		THEME_COLOR_INDEX, (i), 0                                      \
	}

/*
 * Every role, in enum order. The defaults use only the 16 ANSI colours and
 * `default` backgrounds so they follow the user's terminal palette and read
 * on dark and light backgrounds alike; emphasis comes from bold and reverse
 * rather than from white or black text. `mono` must keep roles that are
 * drawn next to each other distinguishable without any colour; meters and
 * sparklines are drawn with block characters, which reverse would blank.
 */
const struct theme_role_def theme_roles[THEME_NROLES] = {
    [THEME_DEFAULT] = {"default",
                       {C_DEF, C_DEF, 0},
                       0,
                       "ordinary text and pane contents"},
    [THEME_HEADER] = {"header",
                      {C_DEF, C_DEF, THEME_A_BOLD | THEME_A_REVERSE},
                      THEME_A_BOLD | THEME_A_REVERSE,
                      "the header line (profile, VM state, socket health)"},
    [THEME_BORDER_ACTIVE] = {"border_active",
                             {C_IDX(ANSI_GREEN), C_DEF, THEME_A_BOLD},
                             THEME_A_BOLD,
                             "border of the focused pane"},
    [THEME_BORDER_INACTIVE] = {"border_inactive",
                               {C_DEF, C_DEF, 0},
                               0,
                               "border of the other panes"},
    [THEME_TITLE_ACTIVE] = {"title_active",
                            {C_IDX(ANSI_GREEN), C_DEF, THEME_A_BOLD},
                            THEME_A_BOLD | THEME_A_UNDERLINE,
                            "title of the focused pane"},
    [THEME_TITLE_INACTIVE] = {"title_inactive",
                              {C_DEF, C_DEF, 0},
                              0,
                              "title of the other panes"},
    [THEME_SELECTION] = {"selection",
                         {C_DEF, C_DEF, THEME_A_REVERSE},
                         THEME_A_REVERSE,
                         "the selected row of a list or table"},
    [THEME_TABLE_HEADER] = {"table_header",
                            {C_DEF, C_DEF, THEME_A_BOLD | THEME_A_UNDERLINE},
                            THEME_A_BOLD | THEME_A_UNDERLINE,
                            "column headings of a table"},
    [THEME_STATUS_OK] = {"status_ok",
                         {C_IDX(ANSI_GREEN), C_DEF, 0},
                         0,
                         "healthy states: running, up, ok"},
    [THEME_STATUS_WARN] = {"status_warn",
                           {C_IDX(ANSI_YELLOW), C_DEF, 0},
                           THEME_A_BOLD,
                           "states that need attention: paused, pending"},
    [THEME_STATUS_ERROR] = {"status_error",
                            {C_IDX(ANSI_RED), C_DEF, THEME_A_BOLD},
                            THEME_A_BOLD | THEME_A_UNDERLINE,
                            "failures: crashed, down, error messages"},
    [THEME_DIM] = {"dim",
                   {C_IDX(ANSI_BRIGHT_BLACK), C_DEF, 0},
                   THEME_A_DIM,
                   "secondary text: units, hints, stopped containers"},
    [THEME_SPARKLINE] = {"sparkline",
                         {C_IDX(ANSI_CYAN), C_DEF, 0},
                         0,
                         "CPU and memory history graphs"},
    [THEME_METER_FILL] = {"meter_fill",
                          {C_IDX(ANSI_GREEN), C_DEF, 0},
                          THEME_A_BOLD,
                          "the used part of a meter"},
    [THEME_METER_EMPTY] = {"meter_empty",
                           {C_IDX(ANSI_BRIGHT_BLACK), C_DEF, 0},
                           THEME_A_DIM,
                           "the free part of a meter"},
    [THEME_KEY_HINT] = {"key_hint",
                        {C_DEF, C_DEF, THEME_A_BOLD},
                        THEME_A_BOLD,
                        "a key in the footer and help screen (the 's' of "
                        "'s stop')"},
    [THEME_KEY_LABEL] = {"key_label",
                         {C_IDX(ANSI_CYAN), C_DEF, 0},
                         0,
                         "what a key does, next to the key in the footer"},
    [THEME_DIALOG] = {"dialog",
                      {C_DEF, C_DEF, 0},
                      0,
                      "text inside dialogs and the command line"},
    [THEME_DIALOG_BORDER] = {"dialog_border",
                             {C_IDX(ANSI_MAGENTA), C_DEF, THEME_A_BOLD},
                             THEME_A_BOLD,
                             "border and title of dialogs"},
    [THEME_INPUT] = {"input",
                     {C_DEF, C_DEF, THEME_A_UNDERLINE},
                     THEME_A_UNDERLINE,
                     "editable fields in dialogs"},
    [THEME_STDERR] = {"stderr",
                      {C_IDX(ANSI_RED), C_DEF, 0},
                      THEME_A_BOLD,
                      "log lines a container wrote to stderr"},
    [THEME_MATCH] = {"match",
                     {C_IDX(ANSI_BLACK), C_IDX(ANSI_YELLOW), 0},
                     THEME_A_BOLD | THEME_A_UNDERLINE,
                     "search and filter matches"},
};

/* Keys of a theme file besides role names. */
static const char *const theme_meta_keys[] = {"inherits", "description"};

/* Keys of a role given as a mapping. */
static const char *const theme_style_keys[] = {"fg",  "bg",      "bold",
                                               "dim", "reverse", "underline"};

/* The files being loaded through inherits, innermost last. */
struct theme_chain {
	char *paths[THEME_MAX_DEPTH + 1]; /* real paths */
	char *names[THEME_MAX_DEPTH + 1];
	int n;
};

static struct theme *theme_load_file_chain(const char *, struct theme_chain *,
                                           struct config_errors *);
static int theme_chain_has(const struct theme_chain *, const char *);

const char *
theme_role_name(enum theme_role role)
{
	if ((int)role < 0 || role >= THEME_NROLES)
		return NULL;
	return theme_roles[role].name;
}

/* Role index of a name, or -1. */
int
theme_role_find(const char *name)
{
	int i;

	for (i = 0; i < THEME_NROLES; i++) {
		if (strcmp(theme_roles[i].name, name) == 0)
			return i;
	}
	return -1;
}

const char *
theme_get_name(const struct theme *t)
{
	return t->name;
}

const char *
theme_get_path(const struct theme *t)
{
	return t->path;
}

const char *
theme_get_description(const struct theme *t)
{
	return t->description;
}

const struct theme_style *
theme_get_style(const struct theme *t, enum theme_role role)
{
	return &t->roles[role];
}

void
theme_free(struct theme *t)
{
	if (t == NULL)
		return;
	free(t->name);
	free(t->path);
	free(t->description);
	free(t);
}

/* The closest of `names` to `word` if it is plausibly a typo, else NULL. */
const char *
theme_suggest(const char *word, const char *const *names, size_t n)
{
	const char *best = NULL;
	size_t i, d, bestd = (size_t)-1, limit;

	limit = strlen(word) / 3;
	if (limit < 2)
		limit = 2;
	for (i = 0; i < n; i++) {
		d = util_levenshtein(word, names[i]);
		if (d < bestd) {
			bestd = d;
			best = names[i];
		}
	}
	return bestd <= limit ? best : NULL;
}

/*
 * Resolve a role of a theme (NULL = built-in defaults) for a depth: the
 * colour numbers and attribute bits to draw with. In monochrome, a theme
 * that uses no colour keeps its own attributes; any other theme falls back
 * to the role table's monochrome attributes, chosen to keep neighbouring
 * roles distinct.
 */
void
theme_resolve(const struct theme *t, enum theme_role role,
              enum theme_depth depth, struct theme_resolved *out)
{
	const struct theme_style *st;

	memset(out, 0, sizeof *out);
	out->fg = out->bg = -1;
	if ((int)role < 0 || role >= THEME_NROLES)
		return;
	st = t != NULL ? &t->roles[role] : &theme_roles[role].def;
	if (depth == THEME_DEPTH_MONO) {
		if (t != NULL && t->colourless)
			out->attrs = st->attrs;
		else
			out->attrs = theme_roles[role].mono;
		return;
	}
	out->attrs = st->attrs;
	out->fg = theme_color_map(&st->fg, depth, 1, &out->attrs);
	out->bg = theme_color_map(&st->bg, depth, 0, &out->attrs);
}

/* ------------------------------------------------------------------------
 * Loading.
 */

/* State while walking one theme document. */
struct theme_parse {
	struct theme_chain *chain;
	const char *file;
	struct config_errors *errors;
	struct conf_yaml *y;
	struct theme *t;
	int nerrors;
};

/* Record an error at a node's position. */
static void BERTH_PRINTFLIKE(3, 4)
    theme_error(struct theme_parse *p, const yaml_node_t *node, const char *fmt,
                ...)
{
	va_list ap;
	char *msg, *clean;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	/* Messages quote the file's text: keep escapes off the terminal. */
	clean = util_sanitize_dup(msg, strlen(msg));
	conf_yaml_error(p->errors, p->file, node, "%s", clean);
	free(clean);
	free(msg);
	p->nerrors++;
}

/* What kind of node this is, for "wrong type" messages. */
static const char *
theme_node_kind(const yaml_node_t *node)
{
	if (node == NULL)
		return "nothing";
	switch (node->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return "a string";
	}
}

/* Is a scalar empty and plain, that is YAML's null (often a lost #)? */
static int
theme_scalar_is_null(const yaml_node_t *node)
{
	return node->type == YAML_SCALAR_NODE &&
	       node->data.scalar.length == 0 &&
	       node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/*
 * Check a mapping for duplicate keys, reporting each repeat with the line
 * of the first. Returns a flag array (caller frees): 1 = skip this pair.
 */
static char *
theme_check_duplicates(struct theme_parse *p, yaml_node_t *map,
                       const char *what)
{
	yaml_node_t *ka, *kb;
	size_t n = conf_yaml_count(map), i, j;
	char *skip = xcalloc(n + 1, 1);
	const char *sa, *sb;

	for (i = 0; i < n; i++) {
		ka = conf_yaml_key(p->y, map, i);
		if ((sa = conf_yaml_scalar(ka)) == NULL)
			continue;
		for (j = 0; j < i; j++) {
			kb = conf_yaml_key(p->y, map, j);
			if ((sb = conf_yaml_scalar(kb)) == NULL || skip[j] ||
			    strcmp(sa, sb) != 0)
				continue;
			theme_error(p, ka,
			            "duplicate %s '%s' (first on line %d)",
			            what, sa, conf_yaml_line(kb));
			skip[i] = 1;
			break;
		}
	}
	return skip;
}

/*
 * A colour value at a node, for error messages that point into it.
 * Returns 0 and fills c, or -1 after recording the error.
 */
static int
theme_node_color(struct theme_parse *p, yaml_node_t *node, const char *key,
                 struct theme_color *c)
{
	const char *s = conf_yaml_scalar(node);
	char *cause = NULL;

	if (s == NULL) {
		theme_error(p, node, "%s must be a colour, not %s", key,
		            theme_node_kind(node));
		return -1;
	}
	if (theme_scalar_is_null(node)) {
		theme_error(p, node,
		            "%s has no value (write #rrggbb colours in quotes: "
		            "\"#rrggbb\")",
		            key);
		return -1;
	}
	if (theme_parse_color(s, c, &cause) != 0) {
		theme_error(p, node, "%s: %s", key, cause);
		free(cause);
		return -1;
	}
	return 0;
}

/* A boolean value: true/false, yes/no, on/off. */
static int
theme_node_bool(struct theme_parse *p, yaml_node_t *node, const char *key,
                int *v)
{
	static const char *const yes[] = {"true", "yes", "on"};
	static const char *const no[] = {"false", "no", "off"};
	const char *s = conf_yaml_scalar(node);
	size_t i;

	if (s != NULL) {
		for (i = 0; i < nitems(yes); i++) {
			if (strcasecmp(s, yes[i]) == 0) {
				*v = 1;
				return 0;
			}
			if (strcasecmp(s, no[i]) == 0) {
				*v = 0;
				return 0;
			}
		}
		theme_error(p, node, "%s must be true or false, not '%s'", key,
		            s);
		return -1;
	}
	theme_error(p, node, "%s must be true or false, not %s", key,
	            theme_node_kind(node));
	return -1;
}

/*
 * A role given as a mapping. Like the short form it replaces the whole
 * style: what it leaves out is the terminal's default colour and no
 * attribute, so a role reads the same whatever it would have inherited.
 */
static void
theme_role_mapping(struct theme_parse *p, yaml_node_t *map, const char *role,
                   struct theme_style *st)
{
	yaml_node_t *k, *v;
	const char *key, *hint;
	struct theme_color c;
	char *skip;
	size_t i, n;
	int b, bit;

	skip = theme_check_duplicates(p, map, "key");
	n = conf_yaml_count(map);
	for (i = 0; i < n; i++) {
		k = conf_yaml_key(p->y, map, i);
		v = conf_yaml_value(p->y, map, i);
		if (skip[i])
			continue;
		if ((key = conf_yaml_scalar(k)) == NULL) {
			theme_error(p, k, "keys of role '%s' must be strings",
			            role);
			continue;
		}
		if (strcmp(key, "fg") == 0 || strcmp(key, "bg") == 0) {
			if (theme_node_color(p, v, key, &c) == 0)
				*(key[0] == 'f' ? &st->fg : &st->bg) = c;
			continue;
		}
		if ((bit = theme_attr_bit(key)) != 0 &&
		    strcmp(key, theme_attr_word(bit)) == 0) {
			if (theme_node_bool(p, v, key, &b) == 0)
				st->attrs =
				    b ? st->attrs | bit : st->attrs & ~bit;
			continue;
		}
		hint = theme_suggest(key, theme_style_keys,
		                     nitems(theme_style_keys));
		if (hint != NULL)
			theme_error(
			    p, k,
			    "unknown key '%s' in role '%s' (did you mean "
			    "'%s'?)",
			    key, role, hint);
		else
			theme_error(
			    p, k,
			    "unknown key '%s' in role '%s' (expected fg, "
			    "bg, bold, dim, reverse or underline)",
			    key, role);
	}
	free(skip);
}

/* A role given as a short-form string: replaces the whole style. */
static void
theme_role_string(struct theme_parse *p, yaml_node_t *v, const char *role,
                  struct theme_style *st)
{
	struct theme_style parsed;
	yaml_node_t at;
	size_t offset = 0;
	char *cause = NULL;

	if (theme_scalar_is_null(v)) {
		theme_error(p, v,
		            "role '%s' has no style (give a mapping or a "
		            "string like \"bold red on default\")",
		            role);
		return;
	}
	if (theme_parse_short((const char *)v->data.scalar.value, &parsed,
	                      &offset, &cause) != 0) {
		/* Point at the bad word when the scalar is on one line. */
		at = *v;
		if (v->start_mark.line == v->end_mark.line &&
		    memchr(v->data.scalar.value, '\n', v->data.scalar.length) ==
		        NULL) {
			if (v->data.scalar.style ==
			        YAML_SINGLE_QUOTED_SCALAR_STYLE ||
			    v->data.scalar.style ==
			        YAML_DOUBLE_QUOTED_SCALAR_STYLE)
				offset++;
			if (v->data.scalar.style ==
			        YAML_DOUBLE_QUOTED_SCALAR_STYLE ||
			    v->data.scalar.style ==
			        YAML_SINGLE_QUOTED_SCALAR_STYLE ||
			    v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
				at.start_mark.column += offset;
		}
		theme_error(p, &at, "role '%s': %s", role, cause);
		free(cause);
		return;
	}
	*st = parsed;
}

/*
 * Apply `inherits: NAME`: the parent's roles become the base. A theme may
 * inherit its own name: ~/.config/berth/themes/default.yaml with
 * `inherits: default` builds on the shipped default, because files already
 * being loaded are skipped in the lookup.
 */
static void
theme_inherit(struct theme_parse *p, yaml_node_t *v, struct theme *t,
              struct theme_chain *chain)
{
	struct config_errors perrs = {NULL, 0};
	const struct config_error *e;
	const char *name = conf_yaml_scalar(v);
	struct theme *parent;
	char *path = NULL, *cause = NULL, *loop;
	int first, i, looped = 0;

	if (name == NULL || theme_scalar_is_null(v)) {
		theme_error(p, v, "inherits must be a theme name, not %s",
		            name == NULL ? theme_node_kind(v) : "nothing");
		return;
	}
	if (!paths_theme_name_ok(name)) {
		theme_error(p, v, "inherits: invalid theme name '%s'", name);
		return;
	}
	for (first = 0; first < 2; first++) {
		free(cause);
		cause = NULL;
		if ((path = paths_theme_find(name, first, NULL, &cause)) ==
		    NULL)
			break;
		if (!theme_chain_has(chain, path))
			break;
		looped = 1;
		free(path);
		path = NULL;
	}
	if (path == NULL) {
		if (looped) {
			loop = xstrdup("");
			for (i = 0; i < chain->n; i++) {
				char *tmp = xasprintf("%s%s -> ", loop,
				                      chain->names[i]);
				free(loop);
				loop = tmp;
			}
			theme_error(p, v,
			            "inherits: theme '%s' inherits from "
			            "itself (%s%s)",
			            name, loop, name);
			free(loop);
		} else
			theme_error(p, v, "inherits: %s", cause);
		free(cause);
		return;
	}
	free(cause);
	if (chain->n >= THEME_MAX_DEPTH) {
		theme_error(p, v, "inherits: more than %d levels",
		            THEME_MAX_DEPTH);
		free(path);
		return;
	}
	parent = theme_load_file_chain(path, chain, &perrs);
	if (parent == NULL) {
		e = perrs.n > 0 ? &perrs.list[0] : NULL;
		if (e != NULL && e->line > 0)
			theme_error(p, v,
			            "inherits: theme '%s' is invalid: "
			            "%s:%d:%d: %s",
			            name, e->file, e->line, e->col, e->message);
		else
			theme_error(p, v, "inherits: theme '%s' is invalid: %s",
			            name, e != NULL ? e->message : path);
	} else {
		memcpy(t->roles, parent->roles, sizeof t->roles);
		theme_free(parent);
	}
	config_errors_free(&perrs);
	free(path);
}

/* Walk the root mapping of a theme document into t. */
static void
theme_walk(struct theme_parse *p, yaml_node_t *root, struct theme *t)
{
	const char *names[THEME_NROLES + nitems(theme_meta_keys)];
	yaml_node_t *k, *v;
	const char *key, *hint;
	char *skip;
	size_t i, n, nnames = 0;
	int role;

	if (root->type != YAML_MAPPING_NODE) {
		theme_error(p, root,
		            "a theme is a mapping of role names to styles, "
		            "not %s",
		            theme_node_kind(root));
		return;
	}
	skip = theme_check_duplicates(p, root, "key");
	n = conf_yaml_count(root);

	/* inherits first: it sets the base the roles below override. */
	for (i = 0; i < n; i++) {
		key = conf_yaml_scalar(conf_yaml_key(p->y, root, i));
		if (!skip[i] && key != NULL && strcmp(key, "inherits") == 0)
			theme_inherit(p, conf_yaml_value(p->y, root, i), t,
			              p->chain);
	}

	for (i = 0; i < THEME_NROLES; i++)
		names[nnames++] = theme_roles[i].name;
	for (i = 0; i < nitems(theme_meta_keys); i++)
		names[nnames++] = theme_meta_keys[i];
	for (i = 0; i < n; i++) {
		k = conf_yaml_key(p->y, root, i);
		v = conf_yaml_value(p->y, root, i);
		if (skip[i])
			continue;
		if ((key = conf_yaml_scalar(k)) == NULL) {
			theme_error(p, k, "role names must be strings, not %s",
			            theme_node_kind(k));
			continue;
		}
		if (strcmp(key, "inherits") == 0)
			continue;
		if (strcmp(key, "description") == 0) {
			if (conf_yaml_scalar(v) == NULL)
				theme_error(
				    p, v,
				    "description must be a string, not %s",
				    theme_node_kind(v));
			else {
				free(t->description);
				t->description = util_sanitize_dup(
				    conf_yaml_scalar(v), v->data.scalar.length);
			}
			continue;
		}
		if ((role = theme_role_find(key)) < 0) {
			hint = theme_suggest(key, names, nnames);
			if (hint != NULL)
				theme_error(p, k,
				            "unknown role '%s' (did you mean "
				            "'%s'?)",
				            key, hint);
			else
				theme_error(
				    p, k,
				    "unknown role '%s' (berth theme roles "
				    "lists them)",
				    key);
			continue;
		}
		if (v->type == YAML_MAPPING_NODE) {
			memset(&t->roles[role], 0, sizeof t->roles[role]);
			theme_role_mapping(p, v, key, &t->roles[role]);
		} else if (v->type == YAML_SCALAR_NODE)
			theme_role_string(p, v, key, &t->roles[role]);
		else
			theme_error(
			    p, v,
			    "role '%s' must be a mapping (fg, bg, bold, "
			    "...) or a string like \"bold red on "
			    "default\", not %s",
			    key, theme_node_kind(v));
	}
	free(skip);
}

/* Does any role of the theme use a colour? */
static int
theme_uses_colour(const struct theme *t)
{
	int i;

	for (i = 0; i < THEME_NROLES; i++) {
		if (t->roles[i].fg.kind != THEME_COLOR_DEFAULT ||
		    t->roles[i].bg.kind != THEME_COLOR_DEFAULT)
			return 1;
	}
	return 0;
}

/* The theme name of a path: its file name without .yaml. */
static char *
theme_name_of(const char *path)
{
	const char *base = util_basename(path);
	size_t len = strlen(base);

	if (len > 5 && strcmp(base + len - 5, ".yaml") == 0)
		len -= 5;
	else if (len > 4 && strcmp(base + len - 4, ".yml") == 0)
		len -= 4;
	return xstrndup(base, len);
}

/* Order errors by position, keeping the order of equal ones. */
static void
theme_sort_errors(struct config_errors *errors, size_t from)
{
	struct config_error tmp;
	size_t i, j;

	for (i = from + 1; i < errors->n; i++) {
		tmp = errors->list[i];
		for (j = i; j > from; j--) {
			const struct config_error *e = &errors->list[j - 1];

			if (e->line < tmp.line ||
			    (e->line == tmp.line && e->col <= tmp.col))
				break;
			errors->list[j] = errors->list[j - 1];
		}
		errors->list[j] = tmp;
	}
}

/*
 * A hint for a syntax error: in YAML `#` after a space starts a comment,
 * so an unquoted #rrggbb near the error is the likely cause.
 */
static const char *
theme_syntax_hint(const char *buf, size_t len, size_t line)
{
	size_t cur = 1, i, start = 0;

	for (i = 0; i <= len; i++) {
		if (i < len && buf[i] != '\n')
			continue;
		if (cur + 1 >= line && cur <= line) {
			const char *h = memchr(buf + start, '#', i - start);

			if (h != NULL && h > buf + start &&
			    (h[-1] == ' ' || h[-1] == '\t') &&
			    (size_t)(buf + i - h) >= 7 &&
			    isxdigit((unsigned char)h[1]))
				return " (write #rrggbb colours in quotes: "
				       "\"#rrggbb\")";
		}
		cur++;
		start = i + 1;
	}
	return "";
}

/* A syntax error, with the #rrggbb hint when it fits. */
static void
theme_syntax_error(const struct conf_yaml *y, const yaml_parser_t *parser,
                   int later, struct config_errors *errors)
{
	int line = (int)parser->problem_mark.line + 1,
	    col = (int)parser->problem_mark.column + 1;

	if (later)
		config_errors_add(
		    errors, y->file, line, col, "YAML syntax error: %s",
		    parser->problem != NULL ? parser->problem : "unknown");
	else
		config_errors_add(
		    errors, y->file, line, col, "YAML syntax error: %s%s%s%s",
		    parser->problem != NULL ? parser->problem
		                            : "unknown problem",
		    parser->context != NULL ? " " : "",
		    parser->context != NULL ? parser->context : "",
		    theme_syntax_hint(y->buf, y->len,
		                      parser->problem_mark.line + 1));
}

/* A theme file is one document: a second would be silently ignored. */
static const struct conf_yaml_kind theme_yaml = {
    .one_document = "a theme file holds one YAML document",
    .mark_root = 1,
    .syntax = theme_syntax_error,
};

/* Walk a theme document's root (NULL: empty) into p->t. */
static void
theme_walk_root(struct conf_yaml *y, yaml_node_t *root, void *arg)
{
	struct theme_parse *p = arg;

	p->y = y;
	if (root != NULL)
		theme_walk(p, root, p->t);
	p->y = NULL;
}

/*
 * Load a theme from a buffer; `file` names it in errors, `chain` holds the
 * files being loaded by inherits. Returns NULL if anything was wrong
 * (every problem is in errors), else a theme the caller frees with
 * theme_free.
 */
static struct theme *
theme_load(const char *buf, size_t len, const char *file,
           struct theme_chain *chain, struct config_errors *errors)
{
	struct theme_parse p;
	struct theme *t;
	size_t first = errors->n;
	int i, failed;

	t = xcalloc(1, sizeof *t);
	t->name = theme_name_of(file);
	t->path = xstrdup(file);
	for (i = 0; i < THEME_NROLES; i++)
		t->roles[i] = theme_roles[i].def;

	memset(&p, 0, sizeof p);
	p.file = file;
	p.errors = errors;
	p.chain = chain;
	p.t = t;
	failed = conf_yaml_read(buf, len, file, &theme_yaml, theme_walk_root,
	                        &p, errors) != 0;
	theme_sort_errors(errors, first);
	if (p.nerrors != 0 || failed) {
		theme_free(t);
		return NULL;
	}
	t->colourless = !theme_uses_colour(t);
	return t;
}

/* Load a theme from a buffer; see theme_load. */
struct theme *
theme_load_buffer(const char *buf, size_t len, const char *file,
                  struct config_errors *errors)
{
	struct theme_chain chain;

	memset(&chain, 0, sizeof chain);
	return theme_load(buf, len, file, &chain, errors);
}

/* Is a file (compared by real path) already being loaded? */
static int
theme_chain_has(const struct theme_chain *chain, const char *path)
{
	char *rp = realpath(path, NULL);
	int i, found = 0;

	for (i = 0; i < chain->n && !found; i++)
		found = strcmp(chain->paths[i], rp != NULL ? rp : path) == 0;
	free(rp);
	return found;
}

/* Read and load one file, remembering it in the inherits chain. */
static struct theme *
theme_load_file_chain(const char *path, struct theme_chain *chain,
                      struct config_errors *errors)
{
	struct theme *t;
	struct stat sb;
	char *buf, *cause = NULL, *rp;
	size_t len;

	/* Only regular files, and not huge ones: /dev/zero must not hang. */
	if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		config_errors_add(errors, path, 0, 0, "not a regular file");
		return NULL;
	}
	if (stat(path, &sb) == 0 && sb.st_size > THEME_MAX_SIZE) {
		config_errors_add(errors, path, 0, 0,
		                  "too large (%lld bytes; a theme is at most "
		                  "%d)",
		                  (long long)sb.st_size, THEME_MAX_SIZE);
		return NULL;
	}
	if ((buf = util_read_file(path, &len, &cause)) == NULL) {
		config_errors_add_cause(errors, path, cause);
		return NULL;
	}
	if ((rp = realpath(path, NULL)) == NULL)
		rp = xstrdup(path);
	chain->paths[chain->n] = rp;
	chain->names[chain->n] = theme_name_of(path);
	chain->n++;
	t = theme_load(buf, len, path, chain, errors);
	chain->n--;
	free(chain->paths[chain->n]);
	free(chain->names[chain->n]);
	free(buf);
	return t;
}

/* Load a theme file; NULL with every problem in errors. Caller frees. */
struct theme *
theme_load_file(const char *path, struct config_errors *errors)
{
	struct theme_chain chain;

	memset(&chain, 0, sizeof chain);
	return theme_load_file_chain(path, &chain, errors);
}

/*
 * Where theme NAME lives: the user's config dir, then the shipped themes.
 * Returns the path (caller frees) and sets *source to "user" or "shipped",
 * or NULL with *cause.
 */
char *
theme_find(const char *name, const char **source, char **cause)
{
	return paths_theme_find(name, 0, source, cause);
}

/*
 * Open a theme by name (user themes shadow shipped ones) or by a path
 * containing '/'. NULL and *cause (the first problem) on failure.
 */
struct theme *
theme_open(const char *name, char **cause)
{
	struct config_errors errors = {NULL, 0};
	const struct config_error *e;
	struct theme *t;
	char *path;

	if (strchr(name, '/') != NULL)
		path = xstrdup(name);
	else if ((path = theme_find(name, NULL, cause)) == NULL)
		return NULL;
	if ((t = theme_load_file(path, &errors)) == NULL) {
		e = errors.n > 0 ? &errors.list[0] : NULL;
		if (e == NULL)
			util_set_cause(cause, "%s: cannot load", path);
		else if (e->line > 0)
			util_set_cause(cause, "%s:%d:%d: %s%s", e->file,
			               e->line, e->col, e->message,
			               errors.n > 1 ? " (and more)" : "");
		else
			util_set_cause(cause, "%s: %s", e->file, e->message);
	}
	config_errors_free(&errors);
	free(path);
	return t;
}

static int
theme_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Every theme name, user and shipped, sorted and without repeats. The
 * caller frees each name and the array.
 */
char **
theme_list_names(size_t *np)
{
	char **names = NULL, *dirs[2], *conf, *name;
	struct dirent *de;
	size_t n = 0, i, out;
	DIR *d;
	int k;

	conf = paths_config_dir();
	dirs[0] = xasprintf("%s/themes", conf);
	free(conf);
	dirs[1] = paths_shipped_dir("themes");
	for (k = 0; k < 2; k++) {
		if ((d = opendir(dirs[k])) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			size_t len = strlen(de->d_name);

			if (len <= 5 || strcmp(de->d_name + len - 5, ".yaml"))
				continue;
			name = xstrndup(de->d_name, len - 5);
			if (!paths_theme_name_ok(name)) {
				free(name);
				continue;
			}
			names = xreallocarray(names, n + 1, sizeof *names);
			names[n++] = name;
		}
		closedir(d);
	}
	free(dirs[0]);
	free(dirs[1]);
	if (n > 0)
		qsort(names, n, sizeof *names, theme_cmp);
	for (i = 0, out = 0; i < n; i++) {
		if (out > 0 && strcmp(names[out - 1], names[i]) == 0)
			free(names[i]);
		else
			names[out++] = names[i];
	}
	*np = out;
	return names;
}
