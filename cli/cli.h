/*
 * cli.h: berth's command line: the command table (cmd.c), its one option
 * parser (cmd-args.c) and the commands (cmd-*.c). main.c runs one command
 * or the dashboard.
 */

#ifndef BERTH_CLI_H
#define BERTH_CLI_H

#include "tui/tui.h"

/*
 * What an argument or an option's value names: what Tab offers on the ':'
 * line and what shell completion will offer (issue 16).
 */
enum cmd_kind {
	CMD_KIND_NONE, /* free text: a number, a size, a duration */
	CMD_KIND_COMMAND,
	CMD_KIND_PROFILE,
	CMD_KIND_THEME,
	CMD_KIND_CONTAINER,
	CMD_KIND_MOUNT,
	CMD_KIND_IMAGE,
	CMD_KIND_FILE,
};

/* cmd_option flags. */
#define CMD_OPT_HIDDEN 0x1 /* for tests and berth's own children: unlisted */
#define CMD_OPT_FINAL  0x2 /* ends parsing at once (-h, -V) */

/*
 * One option of a command: its letter and long name (either may be
 * missing), the name of its value (NULL for a flag), its help line and
 * what its value names. A list of them ends with an all-zero entry.
 */
struct cmd_option {
	int ch;
	const char *name;
	const char *value;
	const char *help;
	enum cmd_kind kind;
	int flags;
};

/*
 * A command as the dashboard's ':' line runs it (tui/dialog-command.c):
 * its arguments after ":NAME ", how many it takes (-1: any), what the
 * first one completes to (a kind, or fixed words) and what runs it
 * through the engine (argv starts at the command's name).
 */
struct dash;
struct cmd_line {
	const char *args;
	const char *help;
	int min_args, max_args;
	enum cmd_kind kind;
	const char *const *words;
	int (*run)(struct dash *, int, char **);
};

/*
 * What the parser made of a command line: the options given, in order
 * (each with its value), and the arguments. argv is NULL-terminated; nwords
 * counts every word after the command's name, options included.
 */
struct cmd_args_value {
	const struct cmd_option *opt;
	char *value;
};
struct cmd_args {
	int argc;
	char **argv;
	int nwords;
	size_t nvalues;
	struct cmd_args_value *values;
};

/* cmd_entry flags. */
#define CMD_LINE_ONLY 0x1 /* a ':' line command the CLI does not have */
#define CMD_MAIN      0x2 /* berth's own options, before any command */

/*
 * A command: the one table (cmd_table) drives the CLI, its --help and
 * berth(1)'s synopsis, the dashboard's ':' line and completion.
 *
 * usage is the text after "berth NAME " in usage messages; args the
 * arguments alone (the options come from the table). Options are read
 * until opts_until arguments were seen (-1: anywhere, 0: only before the
 * first); a command with subs runs the one its first argument names.
 * exec gets the parsed command line and returns an exit code
 * (BERTH_EXIT_*).
 */
struct cmd_entry {
	const char *name;
	const char *usage;
	const char *args;
	const char *help;
	const struct cmd_option *options;
	int min_args, max_args;
	int opts_until;
	enum cmd_kind kind;
	const char *const *words;
	const struct cmd_entry *subs; /* ends with a NULL name */
	int flags;
	int (*exec)(struct cmd_ctx *, struct cmd_args *);
	const struct cmd_line *line;
};

/* cmd-args.c */
extern const struct cmd_option cmd_args_common[];
int cmd_args_parse(struct cmd_ctx *, const struct cmd_entry *,
                   const struct cmd_entry *, int, char **, struct cmd_args *);
int cmd_args_has(const struct cmd_args *, const char *);
const char *cmd_args_get(const struct cmd_args *, const char *);
void cmd_args_free(struct cmd_args *);
void cmd_help_options(const struct cmd_option *, int, FILE *);
void cmd_help_sub(const struct cmd_entry *, const struct cmd_entry *, FILE *);
int cmd_usage_error(const struct cmd_entry *, const char *, ...)
    BERTH_PRINTFLIKE(2, 3);
void cmd_help(const struct cmd_entry *, FILE *);
int cmd_profile_name_ok(const struct cmd_ctx *);

/* cmd.c */
extern const struct cmd_entry *const cmd_table[];
extern const struct cmd_entry cmd_main_entry;
extern const struct cmd_entry cmd_help_entry;
const struct cmd_entry *cmd_find(const char *);
int cmd_run(struct cmd_ctx *, int, char **);
void cmd_usage(FILE *);
int cmd_confirm(const char *);
int cmd_isatty_stdout(void);
struct profile *cmd_profile_open(const struct cmd_ctx *);
int cmd_profile_exists(const struct cmd_ctx *);
char **cmd_profile_names(size_t *);
pid_t cmd_detach(const char *);

/* cmd-profile-file.c: profile new, edit and rm (and import's writer). */
struct profile_write_spec;
int cmd_profile_file_write(const struct profile_write_spec *);
int cmd_profile_file_new(struct cmd_ctx *, struct cmd_args *);
int cmd_profile_file_edit(struct cmd_ctx *, struct cmd_args *);
int cmd_profile_file_rm(struct cmd_ctx *, struct cmd_args *);
extern const struct cmd_entry cmd_import_entry; /* cmd-import.c */

/* cmd-completion.c: berth completion bash|zsh|fish. */
extern const struct cmd_entry cmd_completion_entry;

/* The subcommands (cmd-*.c). */
extern const struct cmd_entry cmd_profile_entry;
extern const struct cmd_entry cmd_theme_entry;
extern const struct cmd_entry cmd_socket_entry;
extern const struct cmd_entry cmd_context_entry;
extern const struct cmd_entry cmd_ports_entry;
extern const struct cmd_entry cmd_scan_entry;
extern const struct cmd_entry cmd_watch_entry;
extern const struct cmd_entry cmd_mount_entry;
extern const struct cmd_entry cmd_start_entry; /* cmd-vm.c */
extern const struct cmd_entry cmd_stop_entry;
extern const struct cmd_entry cmd_restart_entry;
extern const struct cmd_entry cmd_pause_entry;
extern const struct cmd_entry cmd_resume_entry;
extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_set_entry;
extern const struct cmd_entry cmd_list_entry;
extern const struct cmd_entry cmd_events_entry; /* cmd-events.c */
extern const struct cmd_entry cmd_ps_entry;     /* cmd-docker.c */
extern const struct cmd_entry cmd_logs_entry;
extern const struct cmd_entry cmd_docker_info_entry;
extern const struct cmd_entry cmd_container_entry;
extern const struct cmd_entry cmd_stats_entry;
extern const struct cmd_entry cmd_image_entry; /* cmd-image.c */
struct image_progress;
void cmd_image_progress(void *, const struct image_progress *);
extern const struct cmd_entry cmd_create_entry; /* cmd-create.c */
extern const struct cmd_entry cmd_delete_entry;
extern const struct cmd_entry cmd_console_log_entry;
int cmd_create_first_start(struct cmd_ctx *, struct cmd_args *);
extern const struct cmd_entry cmd_ssh_entry; /* cmd-ssh.c */
extern const struct cmd_entry cmd_ssh_config_entry;
extern const struct cmd_entry cmd_exec_entry;

#endif /* BERTH_CLI_H */
