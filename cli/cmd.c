/*
 * cmd.c: the command table and what its commands share: dispatch (to a
 * command, or to the subcommand a command of subcommands names), the help
 * text, berth --help and berth(1)'s synopsis generated from the table, and
 * `berth help`. The dashboard's ':' line reads the same table (through
 * cmd_ctx.commands) for the commands it runs.
 */

#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

static int cmd_help_exec(struct cmd_ctx *, struct cmd_args *);

/* berth's own options, before any command (main.c). */
const struct cmd_entry cmd_main_entry = {
    .name = "berth",
    .usage = "[-p PROFILE] [--theme NAME] [--no-color] [--ascii] [--mouse]",
    .options =
        (const struct cmd_option[]){
            {'p', "profile", "NAME",
             "profile to use (default: $BERTH_PROFILE, else default)",
             CMD_KIND_PROFILE, 0},
            {0, "theme", "NAME", "colour theme for this run", CMD_KIND_THEME,
             0},
            {0, "no-color", NULL, "monochrome (also NO_COLOR=1)", CMD_KIND_NONE,
             0},
            {0, "ascii", NULL, "ASCII borders and graphs", CMD_KIND_NONE, 0},
            {0, "mouse", NULL, "enable mouse support in the dashboard",
             CMD_KIND_NONE, 0},
            {0, "max-iterations", "N",
             "leave the dashboard after N passes (tests)", CMD_KIND_NONE,
             CMD_OPT_HIDDEN},
            {'h', "help", NULL, "show this help", CMD_KIND_NONE, CMD_OPT_FINAL},
            {'V', "version", NULL, "show the version", CMD_KIND_NONE,
             CMD_OPT_FINAL},
            {0, NULL, NULL, NULL, CMD_KIND_NONE, 0},
        },
    .max_args = -1,
    .flags = CMD_MAIN,
};

const struct cmd_entry cmd_help_entry = {
    .name = "help",
    .usage = "[COMMAND]",
    .args = "[COMMAND]",
    .help = "show a command's usage and every option",
    .options =
        (const struct cmd_option[]){
            {0, "man", NULL, "print the synopsis lines of berth(1)",
             CMD_KIND_NONE, CMD_OPT_HIDDEN},
            {0, NULL, NULL, NULL, CMD_KIND_NONE, 0},
        },
    .max_args = 1,
    .kind = CMD_KIND_COMMAND,
    .exec = cmd_help_exec,
    .line = &dialog_command_help,
};

/* The dashboard's own commands: only on its ':' line. */
static const struct cmd_entry cmd_force_stop_entry = {
    .name = "force-stop",
    .help = "force the VM off",
    .flags = CMD_LINE_ONLY,
    .line = &dialog_command_force_stop,
};
static const struct cmd_entry cmd_interval_entry = {
    .name = "interval",
    .help = "refresh interval",
    .flags = CMD_LINE_ONLY,
    .line = &dialog_command_interval,
};
static const struct cmd_entry cmd_filter_entry = {
    .name = "filter",
    .help = "filter the containers",
    .flags = CMD_LINE_ONLY,
    .line = &dialog_command_filter,
};
static const struct cmd_entry cmd_quit_entry = {
    .name = "quit",
    .help = "quit berth",
    .flags = CMD_LINE_ONLY,
    .line = &dialog_command_quit,
};
static const struct cmd_entry cmd_q_entry = {
    .name = "q",
    .help = "quit berth",
    .flags = CMD_LINE_ONLY,
    .line = &dialog_command_quit,
};

/*
 * Every command, in the order berth --help lists them (and the ':' line
 * completes them).
 */
const struct cmd_entry *const cmd_table[] = {
    /* the VM */
    &cmd_start_entry,
    &cmd_stop_entry,
    &cmd_force_stop_entry,
    &cmd_restart_entry,
    &cmd_pause_entry,
    &cmd_resume_entry,
    &cmd_status_entry,
    &cmd_set_entry,
    &cmd_list_entry,
    &cmd_events_entry,
    &cmd_create_entry,
    &cmd_delete_entry,
    &cmd_console_log_entry,
    &cmd_ssh_entry,
    &cmd_ssh_config_entry,
    &cmd_image_entry,
    /* Docker */
    &cmd_ps_entry,
    &cmd_logs_entry,
    &cmd_container_entry,
    &cmd_exec_entry,
    &cmd_stats_entry,
    &cmd_docker_info_entry,
    /* the socket */
    &cmd_socket_entry,
    &cmd_context_entry,
    &cmd_ports_entry,
    /* shared folders */
    &cmd_watch_entry,
    &cmd_scan_entry,
    &cmd_mount_entry,
    /* configuration */
    &cmd_profile_entry,
    &cmd_import_entry,
    &cmd_theme_entry,
    &cmd_completion_entry,
    /* the dashboard */
    &cmd_interval_entry,
    &cmd_filter_entry,
    &cmd_help_entry,
    &cmd_quit_entry,
    &cmd_q_entry,
    NULL,
};

/* The command of the CLI called name, or NULL. */
const struct cmd_entry *
cmd_find(const char *name)
{
	size_t i;

	for (i = 0; cmd_table[i] != NULL; i++) {
		if ((cmd_table[i]->flags & CMD_LINE_ONLY) == 0 &&
		    strcmp(cmd_table[i]->name, name) == 0)
			return cmd_table[i];
	}
	return NULL;
}

void
cmd_usage(FILE *f)
{
	size_t i;

	fprintf(f,
	        "usage: berth %s\n"
	        "       berth [-p PROFILE] COMMAND [ARGS]\n"
	        "       berth --help | --version\n\n"
	        "Without a command, berth opens the dashboard.\n\n"
	        "Commands:\n",
	        cmd_main_entry.usage);
	for (i = 0; cmd_table[i] != NULL; i++) {
		const struct cmd_entry *c = cmd_table[i];
		char *s;

		if (c->flags & CMD_LINE_ONLY)
			continue;
		s = xasprintf("%s %s", c->name, c->usage);
		if (strlen(s) > 38)
			fprintf(f, "  %s\n  %-38s %s\n", s, "", c->help);
		else
			fprintf(f, "  %-38s %s\n", s, c->help);
		free(s);
	}
	fprintf(f, "\nOptions:\n");
	cmd_help_options(cmd_main_entry.options, 2, f);
	fprintf(
	    f,
	    "\nExit status: 0 done, 1 failed (the daemon, libvirt or the guest "
	    "said no),\n"
	    "2 usage (bad option or value, unknown profile or container).\n"
	    "See berth(1), berth-profile(5) and berth-theme(5).\n");
}

/* Text for roff: backslashes and hyphens escaped. */
static void
cmd_roff(const char *s, size_t len, FILE *f)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '\\')
			fputs("\\e", f);
		else if (s[i] == '-')
			fputs("\\-", f);
		else
			fputc(s[i], f);
	}
}

/*
 * Arguments for roff: a word in capitals is a placeholder (italic, in
 * lower case), another word is typed as it is (bold), the rest ([ ] | ...)
 * stays roman.
 */
static void
cmd_roff_args(const char *s, FILE *f)
{
	size_t len, i;
	int upper;

	while (*s != '\0') {
		len = strspn(s, "abcdefghijklmnopqrstuvwxyz"
		                "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_");
		if (len == 0) {
			fputc(*s++, f);
			continue;
		}
		for (upper = 1, i = 0; i < len; i++) {
			if (s[i] >= 'a' && s[i] <= 'z')
				upper = 0;
		}
		fputs(upper ? "\\fI" : "\\fB", f);
		for (i = 0; i < len; i++) {
			if (s[i] == '-')
				fputs("\\-", f);
			else
				fputc(upper && s[i] >= 'A' && s[i] <= 'Z'
				          ? s[i] - 'A' + 'a'
				          : s[i],
				      f);
		}
		fputs("\\fR", f);
		s += len;
	}
}

/* One synopsis line of berth(1): berth NAME [SUB], options, arguments. */
static void
cmd_man_line(const struct cmd_entry *c, const struct cmd_entry *sub, FILE *f)
{
	const struct cmd_entry *e = sub != NULL ? sub : c;
	const struct cmd_option *o;
	const char *sep = "";
	char *lower;
	size_t i;

	fputs(".br\n.B berth ", f);
	cmd_roff(c->name, strlen(c->name), f);
	if (sub != NULL) {
		fputc(' ', f);
		cmd_roff(sub->name, strlen(sub->name), f);
	}
	fputc('\n', f);
	for (o = e->options; o != NULL && (o->ch != 0 || o->name != NULL);
	     o++) {
		if (o->flags & CMD_OPT_HIDDEN)
			continue;
		fprintf(f, "%s[", sep);
		if (o->ch != 0)
			fprintf(f, "\\fB\\-%c\\fR%s", o->ch,
			        o->name != NULL ? "|" : "");
		if (o->name != NULL) {
			fputs("\\fB\\-\\-", f);
			cmd_roff(o->name, strlen(o->name), f);
			fputs("\\fR", f);
		}
		if (o->value != NULL) {
			lower = xstrdup(o->value);
			for (i = 0; lower[i] != '\0'; i++)
				lower[i] =
				    (char)tolower((unsigned char)lower[i]);
			fputs(" \\fI", f);
			cmd_roff(lower, strlen(lower), f);
			fputs("\\fR", f);
			free(lower);
		}
		fputc(']', f);
		sep = " ";
	}
	if (e->args != NULL && *e->args != '\0') {
		fputs(sep, f);
		cmd_roff_args(e->args, f);
		sep = " ";
	}
	if (*sep != '\0')
		fputc('\n', f);
}

/*
 * The command lines of berth(1)'s SYNOPSIS, generated: man/berth.1 holds
 * this output between its COMMANDS markers and a test compares the two.
 */
static void
cmd_man(FILE *f)
{
	const struct cmd_entry *c, *s;
	size_t i;

	for (i = 0; cmd_table[i] != NULL; i++) {
		c = cmd_table[i];
		if (c->flags & CMD_LINE_ONLY)
			continue;
		if (c->subs == NULL)
			cmd_man_line(c, NULL, f);
		for (s = c->subs; s != NULL && s->name != NULL; s++)
			cmd_man_line(c, s, f);
	}
}

/* berth help [COMMAND]: the commands, or one command's help. */
static int
cmd_help_exec(struct cmd_ctx *ctx, struct cmd_args *a)
{
	const struct cmd_entry *c;

	(void)ctx;
	if (cmd_args_has(a, "man")) {
		cmd_man(stdout);
		return BERTH_EXIT_OK;
	}
	if (a->argc == 0) {
		cmd_usage(stdout);
		return BERTH_EXIT_OK;
	}
	if ((c = cmd_find(a->argv[0])) == NULL) {
		fprintf(
		    stderr,
		    "berth: unknown command '%s' (berth --help lists them)\n",
		    a->argv[0]);
		return BERTH_EXIT_USAGE;
	}
	cmd_help(c, stdout);
	return BERTH_EXIT_OK;
}
/* Whether -h or --help comes before any "--" in argv[1..]. */
static int
cmd_wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)
			return 1;
	return 0;
}

/*
 * Run the subcommand of c that the first argument names (berth profile
 * list, berth theme show NAME): check its argument count, parse its own
 * options, run it.
 */
static int
cmd_run_sub(struct cmd_ctx *ctx, const struct cmd_entry *c, struct cmd_args *a)
{
	const struct cmd_entry *s;
	struct cmd_args sa;
	int n, rc;

	if (a->argc == 0)
		return cmd_usage_error(c, "missing command");
	for (s = c->subs; s->name != NULL; s++) {
		if (strcmp(s->name, a->argv[0]) != 0)
			continue;
		if (cmd_wants_help(a->argc, a->argv)) {
			cmd_help_sub(c, s, stdout);
			return BERTH_EXIT_OK;
		}
		n = a->argc - 1;
		if (n < s->min_args || (s->max_args >= 0 && n > s->max_args))
			return cmd_usage_error(c, "usage: berth %s %s %s",
			                       c->name, s->name, s->usage);
		if (cmd_args_parse(ctx, s, c, a->argc, a->argv, &sa) == 0)
			rc = s->exec(ctx, &sa);
		else
			rc = BERTH_EXIT_USAGE;
		cmd_args_free(&sa);
		return rc;
	}
	return cmd_usage_error(c, "unknown command '%s'", a->argv[0]);
}

/* Ask q on the terminal (berth delete, profile rm); "y" or "yes" agree. */
int
cmd_confirm(const char *q)
{
	char line[64];

	fprintf(stderr, "%s [y/N] ", q);
	fflush(stderr);
	if (fgets(line, sizeof line, stdin) == NULL)
		return 0;
	line[strcspn(line, "\r\n")] = '\0';
	return strcmp(line, "y") == 0 || strcmp(line, "yes") == 0;
}

int
cmd_isatty_stdout(void)
{
	return isatty(STDOUT_FILENO);
}

/*
 * Open the command's profile. NULL after printing the one message every
 * command gives (an unknown profile, a bad name, a profile with errors);
 * the caller returns BERTH_EXIT_USAGE.
 */
struct profile *
cmd_profile_open(const struct cmd_ctx *ctx)
{
	struct profile *p;
	char *cause = NULL;

	if ((p = profile_open(ctx->profile, &cause)) == NULL) {
		fprintf(stderr, "berth: %s\n", cause);
		free(cause);
	}
	return p;
}

/*
 * Whether the command's profile exists, for commands that only use its
 * name (its state folder); prints the same message as cmd_profile_open.
 */
int
cmd_profile_exists(const struct cmd_ctx *ctx)
{
	char *path, *cause = NULL;

	if ((path = profile_find(ctx->profile, &cause)) == NULL) {
		fprintf(stderr, "berth: %s\n", cause);
		free(cause);
		return 0;
	}
	free(path);
	return 1;
}

/*
 * Every profile name, as profile_list_names gives them; each file left out
 * because its name is not a profile name is reported on standard error,
 * sanitised (a file name may hold an escape sequence). The caller frees.
 */
char **
cmd_profile_names(size_t *np)
{
	char **names, **bad, *shown;
	size_t i;

	names = profile_list_names_bad(np, &bad);
	for (i = 0; bad[i] != NULL; i++) {
		shown = util_sanitize_dup(bad[i], strlen(bad[i]));
		fprintf(
		    stderr,
		    "berth: left out %s: its name is not a profile name "
		    "(letters, digits, '-', '_' and '.', at most %d bytes); "
		    "rename it\n",
		    shown, PROFILE_NAME_MAX);
		free(shown);
		free(bad[i]);
	}
	free(bad);
	return names;
}

/*
 * Run the command argv[0] (argc == 0 opens the dashboard): parse its
 * options, then run it or the subcommand it names.
 */
int
cmd_run(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct cmd_entry *c;
	struct cmd_args a;
	int rc;

	if (!cmd_profile_name_ok(ctx))
		return BERTH_EXIT_USAGE;
	if (argc == 0) {
		ctx->commands = cmd_table; /* for the ':' line */
		return dashboard_run(ctx);
	}
	if ((c = cmd_find(argv[0])) == NULL) {
		fprintf(
		    stderr,
		    "berth: unknown command '%s' (berth --help lists them)\n",
		    argv[0]);
		return BERTH_EXIT_USAGE;
	}
	if (c->subs == NULL && cmd_wants_help(argc, argv)) {
		cmd_help(c, stdout); /* also after words: berth image pull -h */
		return BERTH_EXIT_OK;
	}
	rc = cmd_args_parse(ctx, c, c, argc, argv, &a);
	if (rc == 0)
		rc = c->subs != NULL ? cmd_run_sub(ctx, c, &a)
		                     : c->exec(ctx, &a);
	else
		rc = rc > 0 ? BERTH_EXIT_OK : BERTH_EXIT_USAGE;
	cmd_args_free(&a);
	return rc;
}

/*
 * Start a detached process (fork, setsid, fork). Returns the pid of the
 * short-lived middle child to the caller, who must waitpid() it, and 0 in
 * the detached grandchild: a new session, standard input and output on
 * /dev/null, standard error appended to log (or /dev/null).
 */
pid_t
cmd_detach(const char *log)
{
	pid_t pid;
	int fd;

	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1)
		fatal("fork: %s", strerror(errno));
	if (pid != 0)
		return pid;
	setsid();
	if (fork() != 0)
		_exit(0);
	fd = log != NULL ? open(log, O_WRONLY | O_CREAT | O_APPEND, 0600) : -1;
	if (fd != -1) {
		dup2(fd, 2);
		close(fd);
	}
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, 0);
		dup2(fd, 1);
		if (log == NULL)
			dup2(fd, 2);
		close(fd);
	}
	return 0;
}
