/*
 * cmd.c: the table of CLI subcommands and what they share: dispatch, usage
 * text generated from the table, option parsing that accepts -p PROFILE
 * after any subcommand.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

/* Every subcommand, in the order berth --help lists them. */
const struct cmd_entry *const cmd_table[] = {
    /* the VM */
    &cmd_start_entry,
    &cmd_stop_entry,
    &cmd_restart_entry,
    &cmd_pause_entry,
    &cmd_resume_entry,
    &cmd_status_entry,
    &cmd_set_entry,
    &cmd_list_entry,
    &cmd_create_entry,
    &cmd_delete_entry,
    &cmd_console_log_entry,
    &cmd_image_entry,
    /* Docker */
    &cmd_ps_entry,
    &cmd_logs_entry,
    &cmd_container_entry,
    &cmd_stats_entry,
    &cmd_docker_info_entry,
    /* the socket */
    &cmd_socket_entry,
    &cmd_context_entry,
    &cmd_ports_entry,
    /* shared folders */
    &cmd_watch_entry,
    &cmd_scan_entry,
    /* configuration */
    &cmd_profile_entry,
    &cmd_theme_entry,
    NULL,
};

const struct cmd_entry *
cmd_find(const char *name)
{
	size_t i;

	for (i = 0; cmd_table[i] != NULL; i++) {
		if (strcmp(cmd_table[i]->name, name) == 0)
			return cmd_table[i];
	}
	return NULL;
}

void
cmd_usage(FILE *f)
{
	size_t i;

	fprintf(
	    f,
	    "usage: berth [-p PROFILE] [--theme NAME] [--no-color] [--ascii] "
	    "[--mouse]\n"
	    "       berth [-p PROFILE] COMMAND [ARGS]\n"
	    "       berth --help | --version\n\n"
	    "Without a command, berth opens the dashboard.\n\n"
	    "Commands:\n");
	for (i = 0; cmd_table[i] != NULL; i++) {
		const struct cmd_entry *c = cmd_table[i];
		char *s = xasprintf("%s %s", c->name, c->usage);

		if (strlen(s) > 38)
			fprintf(f, "  %s\n  %-38s %s\n", s, "", c->help);
		else
			fprintf(f, "  %-38s %s\n", s, c->help);
		free(s);
	}
	fprintf(
	    f,
	    "\nOptions:\n"
	    "  -p, --profile NAME   profile to use (default: $BERTH_PROFILE, "
	    "else default)\n"
	    "      --theme NAME     colour theme for this run\n"
	    "      --no-color       monochrome (also NO_COLOR=1)\n"
	    "      --ascii          ASCII borders and graphs\n"
	    "      --mouse          enable mouse support in the dashboard\n"
	    "  -h, --help           show this help\n"
	    "  -V, --version        show the version\n\n"
	    "Exit status: 0 done, 1 failed (the daemon, libvirt or the guest "
	    "said no),\n"
	    "2 usage (bad option or value, unknown profile or container).\n"
	    "See berth(1), berth-profile(5) and berth-theme(5).\n");
}

/* Print a usage error for a subcommand; returns BERTH_EXIT_USAGE. */
int
cmd_usage_error(const struct cmd_entry *c, const char *fmt, ...)
{
	va_list ap;

	fputs("berth: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (c != NULL)
		fprintf(stderr, "usage: berth %s %s\n", c->name, c->usage);
	return BERTH_EXIT_USAGE;
}

/*
 * getopt_long for a subcommand that also takes -p/--profile and -h/--help.
 * Returns the option character like getopt_long, -1 at the end, '?' after
 * printing a usage error. 'h' prints usage and is returned as 'h'.
 */
int
cmd_getopt(struct cmd_ctx *ctx, const struct cmd_entry *c, int argc,
           char **argv, const char *shortopts, const struct option *longopts,
           int *idx)
{
	static struct option merged[64];
	static char opts[128];
	size_t n = 0, i;
	int ch;

	snprintf(opts, sizeof opts, "+:p:h%s", shortopts);
	if (longopts != NULL) {
		for (i = 0; longopts[i].name != NULL && n < nitems(merged) - 3;
		     i++)
			merged[n++] = longopts[i];
	}
	merged[n++] = (struct option){"profile", required_argument, NULL, 'p'};
	merged[n++] = (struct option){"help", no_argument, NULL, 'h'};
	merged[n] = (struct option){NULL, 0, NULL, 0};

	for (;;) {
		ch = getopt_long(argc, argv, opts, merged, idx);
		if (ch == 'p') {
			ctx->profile = optarg;
			ctx->profile_given = 1;
			if (cmd_profile_name_ok(ctx))
				continue;
			return '?';
		}
		if (ch == 'h') {
			printf("usage: berth %s %s\n  %s\n", c->name, c->usage,
			       c->help);
			return 'h';
		}
		if (ch == ':') {
			cmd_usage_error(c, "option %s needs a value",
			                argv[optind - 1]);
			return '?';
		}
		if (ch == '?') {
			if (optopt != 0)
				cmd_usage_error(c, "unknown option -%c",
				                optopt);
			else
				cmd_usage_error(c, "unknown option %s",
				                argv[optind - 1]);
			return '?';
		}
		return ch;
	}
}

/*
 * Run a command made of subcommands (berth profile, berth theme): parse
 * the shared options, then find argv's subcommand in subs and check its
 * argument count.
 */
int
cmd_run_sub(struct cmd_ctx *ctx, const struct cmd_entry *c,
            const struct cmd_sub *subs, size_t nsubs, int argc, char **argv)
{
	size_t i;
	int ch, n;

	while ((ch = cmd_getopt(ctx, c, argc, argv, "", NULL, NULL)) != -1) {
		if (ch == 'h')
			return BERTH_EXIT_OK;
		return BERTH_EXIT_USAGE;
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		return cmd_usage_error(c, "missing command");
	for (i = 0; i < nsubs; i++) {
		if (strcmp(subs[i].name, argv[0]) != 0)
			continue;
		n = argc - 1;
		if (n < subs[i].min_args ||
		    (subs[i].max_args >= 0 && n > subs[i].max_args))
			return cmd_usage_error(c, "usage: berth %s %s %s",
			                       c->name, subs[i].name,
			                       subs[i].usage);
		return subs[i].exec(ctx, argc, argv);
	}
	return cmd_usage_error(c, "unknown command '%s'", argv[0]);
}

int
cmd_isatty_stdout(void)
{
	return isatty(STDOUT_FILENO);
}

/*
 * Whether ctx->profile (from -p or $BERTH_PROFILE) is a profile name;
 * prints why not. Called as soon as a name is given, before any command
 * builds a path from it.
 */
int
cmd_profile_name_ok(const struct cmd_ctx *ctx)
{
	char *cause = NULL;

	if (profile_name_check(ctx->profile, &cause) == 0)
		return 1;
	fprintf(stderr, "berth: %s\n", cause);
	free(cause);
	return 0;
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

/* Run the subcommand argv[0]; argv[0] == NULL opens the dashboard. */
int
cmd_run(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct cmd_entry *c;

	if (!cmd_profile_name_ok(ctx))
		return BERTH_EXIT_USAGE;
	if (argc == 0)
		return dashboard_run(ctx);
	if ((c = cmd_find(argv[0])) == NULL) {
		fprintf(
		    stderr,
		    "berth: unknown command '%s' (berth --help lists them)\n",
		    argv[0]);
		return BERTH_EXIT_USAGE;
	}
	optind = 0; /* GNU getopt: reinitialise for the subcommand */
	return c->exec(ctx, argc, argv);
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
