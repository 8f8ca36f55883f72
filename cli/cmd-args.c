/*
 * cmd-args.c: the one option parser. A command declares its options in
 * its table entry (struct cmd_option); cmd_args_parse reads a command
 * line against them with getopt_long, so every command gets the same
 * rules (clustered letters, --long=VALUE, unique prefixes of long names,
 * "--") and the same messages, and fills a struct cmd_args its exec reads.
 */

#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* The options every command takes besides its own. */
const struct cmd_option cmd_args_common[] = {
    {'p', "profile", "NAME",
     "profile to use (default: $BERTH_PROFILE, else default)", CMD_KIND_PROFILE,
     0},
    {'h', "help", NULL, "show this help", CMD_KIND_NONE, CMD_OPT_FINAL},
    {0, NULL, NULL, NULL, CMD_KIND_NONE, 0},
};

/* How many options a command may declare; getopt_long needs arrays. */
#define CMD_ARGS_MAX 32

/* getopt_long's val for long option i of the merged list, when no letter. */
#define CMD_ARGS_LONG 256

static size_t
cmd_args_count(const struct cmd_option *o)
{
	size_t n = 0;

	while (o != NULL && (o[n].ch != 0 || o[n].name != NULL))
		n++;
	return n;
}

/* Whether option o is the one key names: its long name, else its letter. */
static int
cmd_args_match(const struct cmd_option *o, const char *key)
{
	if (o->name != NULL && strcmp(o->name, key) == 0)
		return 1;
	return o->ch != 0 && key[0] == o->ch && key[1] == '\0';
}

/* Add an argument; argv has room for every word of the command line. */
static void
cmd_args_push(struct cmd_args *a, char *arg)
{
	a->argv[a->argc++] = arg;
	a->argv[a->argc] = NULL;
}

/*
 * Parse argv (argv[0] is the command's name) against c's options, plus
 * -p/-h for a command of the table (top == c); a subcommand reports its
 * errors with top's usage. Returns 0 with *a filled (cmd_args_free it), 1
 * after printing help for -h, -1 after printing a usage error. The
 * CMD_MAIN entry (berth's own options) keeps getopt's own messages and
 * leaves -p to its caller.
 */
int
cmd_args_parse(struct cmd_ctx *ctx, const struct cmd_entry *c,
               const struct cmd_entry *top, int argc, char **argv,
               struct cmd_args *a)
{
	const struct cmd_option *list[CMD_ARGS_MAX];
	struct option lo[CMD_ARGS_MAX + 1];
	char so[CMD_ARGS_MAX * 2 + 4];
	const struct cmd_option *o;
	size_t n = 0, nlo = 0, i, len;
	int ch, is_main = (c->flags & CMD_MAIN) != 0;

	memset(a, 0, sizeof *a);
	a->argv = xcalloc((size_t)argc + 1, sizeof *a->argv);
	a->values = xcalloc((size_t)argc + 1, sizeof *a->values);
	a->nwords = argc - 1;
	/* A subcommand without options takes its words as they are. */
	if (c != top && c->options == NULL) {
		for (i = 1; i < (size_t)argc; i++)
			cmd_args_push(a, argv[i]);
		return 0;
	}

	for (i = 0; i < cmd_args_count(c->options) && n < CMD_ARGS_MAX - 2; i++)
		list[n++] = &c->options[i];
	if (c == top && !is_main) {
		for (i = 0; i < cmd_args_count(cmd_args_common); i++)
			list[n++] = &cmd_args_common[i];
	}
	/* "+": options end at the first argument; ":": no getopt messages */
	len = (size_t)snprintf(so, sizeof so, "%s", is_main ? "+" : "+:");
	for (i = 0; i < n; i++) {
		o = list[i];
		if (o->ch != 0) {
			so[len++] = (char)o->ch;
			if (o->value != NULL)
				so[len++] = ':';
		}
		if (o->name != NULL)
			lo[nlo++] = (struct option){
			    o->name,
			    o->value != NULL ? required_argument : no_argument,
			    NULL, o->ch != 0 ? o->ch : CMD_ARGS_LONG + (int)i};
	}
	so[len] = '\0';
	lo[nlo] = (struct option){NULL, 0, NULL, 0};

	optind = 0; /* GNU getopt: start again on this argv */
	for (;;) {
		ch = getopt_long(argc, argv, so, lo, NULL);
		if (ch == -1) {
			/* An argument: go on if options may follow it. */
			if (optind >= argc || c->opts_until == 0 ||
			    (c->opts_until > 0 && a->argc >= c->opts_until))
				break;
			cmd_args_push(a, argv[optind++]);
			/* At the end: getopt would rewind to a "--". */
			if (optind >= argc)
				break;
			continue;
		}
		if (ch == ':') {
			cmd_usage_error(top, "option %s needs a value",
			                argv[optind - 1]);
			return -1;
		}
		if (ch == '?') {
			if (is_main)
				fprintf(stderr,
				        "berth --help lists the options\n");
			else if (optopt != 0 && optopt < CMD_ARGS_LONG)
				cmd_usage_error(top, "unknown option -%c",
				                optopt);
			else
				cmd_usage_error(top, "unknown option %s",
				                argv[optind - 1]);
			return -1;
		}
		o = NULL;
		for (i = 0; i < n && o == NULL; i++) {
			if (ch >= CMD_ARGS_LONG ? ch == CMD_ARGS_LONG + (int)i
			                        : ch == list[i]->ch)
				o = list[i];
		}
		if (o == &cmd_args_common[0]) {
			/* -p: a bad name is refused before anything else */
			ctx->profile = optarg;
			ctx->profile_given = 1;
			if (!cmd_profile_name_ok(ctx))
				return -1;
			continue;
		}
		if (o == &cmd_args_common[1]) {
			cmd_help(top, stdout);
			return 1;
		}
		a->values[a->nvalues].opt = o;
		a->values[a->nvalues++].value =
		    o->value != NULL ? optarg : NULL;
		if (o->flags & CMD_OPT_FINAL)
			return 0;
	}
	while (optind < argc)
		cmd_args_push(a, argv[optind++]);
	if (c->max_args >= 0 && a->argc > c->max_args) {
		cmd_usage_error(top, "unexpected argument '%s'",
		                a->argv[c->max_args]);
		return -1;
	}
	return 0;
}

/* How many times the option key (long name, else letter) was given. */
int
cmd_args_has(const struct cmd_args *a, const char *key)
{
	size_t i;
	int n = 0;

	for (i = 0; i < a->nvalues; i++) {
		if (cmd_args_match(a->values[i].opt, key))
			n++;
	}
	return n;
}

/* The value the option key was last given, or NULL. */
const char *
cmd_args_get(const struct cmd_args *a, const char *key)
{
	size_t i;

	for (i = a->nvalues; i > 0; i--) {
		if (cmd_args_match(a->values[i - 1].opt, key))
			return a->values[i - 1].value;
	}
	return NULL;
}

/* Free what cmd_args_parse allocated; the strings are argv's. */
void
cmd_args_free(struct cmd_args *a)
{
	free(a->argv);
	free(a->values);
	memset(a, 0, sizeof *a);
}

/* An option as help shows it: "-p, --profile NAME"; the caller frees. */
static char *
cmd_option_label(const struct cmd_option *o)
{
	char letter[8] = "    ";

	if (o->ch != 0)
		snprintf(letter, sizeof letter, "-%c%s", o->ch,
		         o->name != NULL ? ", " : "");
	return xasprintf("%s%s%s%s%s", letter, o->name != NULL ? "--" : "",
	                 o->name != NULL ? o->name : "",
	                 o->value != NULL ? " " : "",
	                 o->value != NULL ? o->value : "");
}

/* One line an option, indented, hidden ones left out. */
void
cmd_help_options(const struct cmd_option *o, int indent, FILE *f)
{
	char *label;

	for (; o != NULL && (o->ch != 0 || o->name != NULL); o++) {
		if (o->flags & CMD_OPT_HIDDEN)
			continue;
		label = cmd_option_label(o);
		if (strlen(label) > 20)
			fprintf(f, "%*s%s\n%*s%-20s %s\n", indent, "", label,
			        indent, "", "", o->help);
		else
			fprintf(f, "%*s%-20s %s\n", indent, "", label, o->help);
		free(label);
	}
}

/*
 * A command's help (berth CMD --help, berth help CMD): its usage, what it
 * does, its subcommands with their options, and every option it takes.
 */
void
cmd_help(const struct cmd_entry *c, FILE *f)
{
	const struct cmd_entry *s;

	fprintf(f, "usage: berth %s%s%s\n  %s\n", c->name,
	        *c->usage != '\0' ? " " : "", c->usage, c->help);
	if (c->subs != NULL) {
		fprintf(f, "\nCommands:\n");
		for (s = c->subs; s->name != NULL; s++) {
			fprintf(f, "  %s%s%s\n", s->name,
			        *s->usage != '\0' ? " " : "", s->usage);
			cmd_help_options(s->options, 4, f);
		}
	}
	fprintf(f, "\nOptions:\n");
	cmd_help_options(c->options, 2, f);
	cmd_help_options(cmd_args_common, 2, f);
}

/* A subcommand's help (berth profile new --help): its usage and options. */
void
cmd_help_sub(const struct cmd_entry *c, const struct cmd_entry *s, FILE *f)
{
	fprintf(f, "usage: berth %s %s%s%s\n  %s\n", c->name, s->name,
	        *s->usage != '\0' ? " " : "", s->usage, c->help);
	fprintf(f, "\nOptions:\n");
	cmd_help_options(s->options, 2, f);
	cmd_help_options(cmd_args_common, 2, f);
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
		fprintf(stderr, "usage: berth %s%s%s\n", c->name,
		        *c->usage != '\0' ? " " : "", c->usage);
	return BERTH_EXIT_USAGE;
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
