/*
 * cli.h: berth's command line: the command table (cmd.c), the options every
 * command shares, and the subcommands (cmd-*.c). main.c runs one command or
 * the dashboard.
 */

#ifndef BERTH_CLI_H
#define BERTH_CLI_H

#include <getopt.h>

#include "tui/tui.h"

/*
 * A CLI subcommand. `exec` gets argv starting at the subcommand's name and
 * returns an exit code (BERTH_EXIT_*).
 */
struct cmd_entry {
	const char *name;
	const char *usage; /* arguments, after "berth NAME " */
	const char *help;  /* one line for berth --help */
	int (*exec)(struct cmd_ctx *, int, char **);
};

/*
 * A second-level subcommand (berth profile list, berth theme validate…):
 * its name, usage, how many arguments it takes after its name (-1 = any)
 * and what runs it (argv starts at its name).
 */
struct cmd_sub {
	const char *name;
	const char *usage;
	int min_args, max_args;
	int (*exec)(struct cmd_ctx *, int, char **);
};

/* cmd.c */
extern const struct cmd_entry *const cmd_table[];
const struct cmd_entry *cmd_find(const char *);
int cmd_run(struct cmd_ctx *, int, char **);
void cmd_usage(FILE *);
int cmd_usage_error(const struct cmd_entry *, const char *, ...)
    BERTH_PRINTFLIKE(2, 3);
int cmd_getopt(struct cmd_ctx *, const struct cmd_entry *, int, char **,
               const char *, const struct option *, int *);
int cmd_isatty_stdout(void);
int cmd_profile_name_ok(const struct cmd_ctx *);
struct profile *cmd_profile_open(const struct cmd_ctx *);
int cmd_profile_exists(const struct cmd_ctx *);
char **cmd_profile_names(size_t *);
int cmd_run_sub(struct cmd_ctx *, const struct cmd_entry *,
                const struct cmd_sub *, size_t, int, char **);
pid_t cmd_detach(const char *);

/* The subcommands (cmd-*.c). */
extern const struct cmd_entry cmd_profile_entry;
extern const struct cmd_entry cmd_theme_entry;
extern const struct cmd_entry cmd_socket_entry;
extern const struct cmd_entry cmd_context_entry;
extern const struct cmd_entry cmd_ports_entry;
extern const struct cmd_entry cmd_scan_entry;
extern const struct cmd_entry cmd_watch_entry;
extern const struct cmd_entry cmd_start_entry; /* cmd-vm.c */
extern const struct cmd_entry cmd_stop_entry;
extern const struct cmd_entry cmd_restart_entry;
extern const struct cmd_entry cmd_pause_entry;
extern const struct cmd_entry cmd_resume_entry;
extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_set_entry;
extern const struct cmd_entry cmd_list_entry;
extern const struct cmd_entry cmd_ps_entry; /* cmd-docker.c */
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
int cmd_create_first_start(struct cmd_ctx *, int, char **);

#endif /* BERTH_CLI_H */
