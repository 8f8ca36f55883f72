/*
 * tui.h: berth's dashboard: its entry point and themes. Only files under
 * tui/ include curses; dashboard.h has the panes, views and dialogs.
 */

#ifndef BERTH_TUI_H
#define BERTH_TUI_H

#include "core/core.h"

/* Options that apply to every command, parsed in main.c. */
struct cmd_ctx {
	const char *profile; /* -p NAME, BERTH_PROFILE, or "default" */
	int profile_given;   /* -p or $BERTH_PROFILE named it */
	int no_color;        /* --no-color or NO_COLOR */
	int ascii;           /* --ascii or a non-UTF-8 locale */
	int mouse;           /* --mouse */
	long max_iterations; /* --max-iterations N (tests), 0 = forever */
	const char *theme;   /* --theme NAME */
};

/* dashboard.c: the full-screen dashboard (berth with no subcommand). */
int dashboard_run(struct cmd_ctx *);

/* theme.c: colour roles loaded from YAML. */
enum theme_role {
	THEME_DEFAULT,
	THEME_HEADER,
	THEME_BORDER_ACTIVE,
	THEME_BORDER_INACTIVE,
	THEME_TITLE_ACTIVE,
	THEME_TITLE_INACTIVE,
	THEME_SELECTION,
	THEME_TABLE_HEADER,
	THEME_STATUS_OK,
	THEME_STATUS_WARN,
	THEME_STATUS_ERROR,
	THEME_DIM,
	THEME_SPARKLINE,
	THEME_METER_FILL,
	THEME_METER_EMPTY,
	THEME_KEY_HINT,
	THEME_KEY_LABEL,
	THEME_DIALOG,
	THEME_DIALOG_BORDER,
	THEME_INPUT,
	THEME_STDERR,
	THEME_MATCH,
	THEME_NROLES
};

/* Attribute bits of a theme style (curses-free so tests can use them). */
#define THEME_A_BOLD      0x1
#define THEME_A_DIM       0x2
#define THEME_A_REVERSE   0x4
#define THEME_A_UNDERLINE 0x8

/* A colour as written in a theme file. */
enum theme_color_kind {
	THEME_COLOR_DEFAULT, /* the terminal's own colour (-1) */
	THEME_COLOR_INDEX,   /* palette index 0..255 (0..15 = ANSI names) */
	THEME_COLOR_RGB,     /* #rrggbb */
};
struct theme_color {
	enum theme_color_kind kind;
	int index;    /* THEME_COLOR_INDEX */
	uint32_t rgb; /* THEME_COLOR_RGB: 0xrrggbb */
};
struct theme_style {
	struct theme_color fg, bg;
	int attrs; /* THEME_A_BOLD | THEME_A_DIM | ... */
};

/* The ONE table of roles: loader, validation, theme roles and man page. */
struct theme_role_def {
	const char *name;
	struct theme_style def; /* default style (= themes/default.yaml) */
	int mono;               /* attributes when there is no colour */
	const char *help;
};
extern const struct theme_role_def theme_roles[THEME_NROLES];

/* What the terminal can show, from COLORS and NO_COLOR. */
enum theme_depth {
	THEME_DEPTH_MONO,
	THEME_DEPTH_8,
	THEME_DEPTH_16,
	THEME_DEPTH_256,
	THEME_DEPTH_DIRECT, /* COLORS >= 2^24: colour numbers are 0xrrggbb */
};
/* A role reduced to one depth: curses colour numbers (-1 = default). */
struct theme_resolved {
	int fg, bg;
	int attrs;
};

/*
 * A loaded theme. theme_init_curses() (after start_color) makes colour
 * pairs for what the terminal has (truecolor -> 256 -> 16 -> 8 -> mono
 * attributes); theme_attr() then gives the curses attributes of a role.
 */
struct theme;
struct theme *theme_load_file(const char *, struct config_errors *);
struct theme *theme_load_buffer(const char *, size_t, const char *,
                                struct config_errors *);
struct theme *theme_open(const char *, char **);
char **theme_list_names(size_t *);
void theme_free(struct theme *);
void theme_init_curses(const struct theme *, int, int);
int theme_attr(enum theme_role);
const char *theme_role_name(enum theme_role);
int theme_role_find(const char *);
const char *theme_get_name(const struct theme *);
const char *theme_get_path(const struct theme *);
const char *theme_get_description(const struct theme *);
const struct theme_style *theme_get_style(const struct theme *,
                                          enum theme_role);
char *theme_find(const char *, const char **, char **);
int theme_parse_color(const char *, struct theme_color *, char **);
int theme_parse_style(const char *, struct theme_style *, char **);
char *theme_color_format(const struct theme_color *);
char *theme_style_format(const struct theme_style *);
enum theme_depth theme_depth(int, int);
const char *theme_depth_name(enum theme_depth);
uint32_t theme_index_rgb(int);
int theme_rgb_to_256(uint32_t);
int theme_rgb_to_ansi(uint32_t, int);
void theme_resolve(const struct theme *, enum theme_role, enum theme_depth,
                   struct theme_resolved *);

#endif /* BERTH_TUI_H */
