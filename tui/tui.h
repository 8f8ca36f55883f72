/*
 * tui.h: berth's dashboard: its entry point and its themes' curses side.
 * Only files under tui/ include curses; dashboard.h has the panes, views
 * and dialogs.
 */

#ifndef BERTH_TUI_H
#define BERTH_TUI_H

#include "core/core.h"

struct cmd_entry;
struct cmd_line;

/* Options that apply to every command, parsed in main.c. */
struct cmd_ctx {
	const char *profile; /* -p NAME, BERTH_PROFILE, or "default" */
	int profile_given;   /* -p or $BERTH_PROFILE named it */
	int no_color;        /* --no-color or NO_COLOR */
	int ascii;           /* --ascii or a non-UTF-8 locale */
	int mouse;           /* --mouse */
	long max_iterations; /* --max-iterations N (tests), 0 = forever */
	const char *theme;   /* --theme NAME */
	/* The command table (cli/cmd.c), which the ':' line runs from. */
	const struct cmd_entry *const *commands;
};

/* dashboard.c: the full-screen dashboard (berth with no subcommand). */
int dashboard_run(struct cmd_ctx *);

/*
 * dialog-command.c: what each command of the table does on the ':' line
 * (struct cmd_line in cli/cli.h); cmd_table's entries point at these.
 */
extern const struct cmd_line dialog_command_start;
extern const struct cmd_line dialog_command_stop;
extern const struct cmd_line dialog_command_force_stop;
extern const struct cmd_line dialog_command_restart;
extern const struct cmd_line dialog_command_set;
extern const struct cmd_line dialog_command_profile;
extern const struct cmd_line dialog_command_theme;
extern const struct cmd_line dialog_command_interval;
extern const struct cmd_line dialog_command_filter;
extern const struct cmd_line dialog_command_help;
extern const struct cmd_line dialog_command_quit;

/*
 * theme.c: a loaded theme (conf-theme.c) on the terminal. After
 * start_color(), theme_init_curses() makes colour pairs for what the
 * terminal has (truecolor -> 256 -> 16 -> 8 -> mono attributes);
 * theme_attr() then gives the curses attributes of a role.
 */
void theme_init_curses(const struct theme *, int, int);
int theme_attr(enum theme_role);

#endif /* BERTH_TUI_H */
