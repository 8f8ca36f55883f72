/*
 * cmd-theme.c: `berth theme`: list, validate, roles and show. The role
 * list (and its section of berth-theme(5), `roles --man`) comes from
 * theme_roles[], so the loader, the command and the manual cannot
 * disagree.
 */

#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

/* Last: term.h defines capability names (lines, columns...) as macros. */
#include <curses.h>
#include <term.h>

static int cmd_theme_list(struct cmd_ctx *, struct cmd_args *);
static int cmd_theme_validate(struct cmd_ctx *, struct cmd_args *);
static int cmd_theme_roles(struct cmd_ctx *, struct cmd_args *);
static int cmd_theme_show(struct cmd_ctx *, struct cmd_args *);
static int cmd_theme_preview(struct cmd_ctx *, struct cmd_args *);

/* The argument counts are checked before a subcommand's options are read. */
static const struct cmd_entry cmd_theme_subs[] = {
    {.name = "list", .usage = "", .exec = cmd_theme_list},
    {.name = "validate",
     .usage = "FILE...",
     .args = "FILE...",
     .min_args = 1,
     .max_args = -1,
     .kind = CMD_KIND_FILE,
     .exec = cmd_theme_validate},
    {.name = "roles",
     .usage = "[--man]",
     .options =
         (const struct cmd_option[]){
             {0, "man", NULL, "the list of berth-theme(5), in roff",
              CMD_KIND_NONE, 0},
             {0, NULL, NULL, NULL, CMD_KIND_NONE, 0},
         },
     .max_args = 1,
     .opts_until = -1,
     .exec = cmd_theme_roles},
    {.name = "show",
     .usage = "[NAME]",
     .args = "[NAME]",
     .max_args = 1,
     .kind = CMD_KIND_THEME,
     .exec = cmd_theme_show},
    {.name = "preview",
     .usage = "[NAME] [--colors N]",
     .args = "[NAME]",
     .options =
         (const struct cmd_option[]){
             {0, "colors", "N", "draw as a terminal of N colours would",
              CMD_KIND_NONE, 0},
             {0, NULL, NULL, NULL, CMD_KIND_NONE, 0},
         },
     .max_args = 3,
     .opts_until = -1,
     .kind = CMD_KIND_THEME,
     .exec = cmd_theme_preview},
    {.name = NULL},
};

/*
 * The theme this run would use: --theme, else the profile's theme:, else
 * default. The caller frees.
 */
static char *
cmd_theme_current(struct cmd_ctx *ctx)
{
	struct profile *p;
	char *cause = NULL, *name;

	if (ctx->theme != NULL)
		return xstrdup(ctx->theme);
	if ((p = profile_open(ctx->profile, &cause)) == NULL) {
		free(cause);
		return xstrdup("default");
	}
	name = xstrdup(p->theme != NULL && *p->theme != '\0' ? p->theme
	                                                     : "default");
	profile_free(p);
	return name;
}

/* Every theme: a '*' on the current one, name, where it comes from, path. */
static int
cmd_theme_list(struct cmd_ctx *ctx, struct cmd_args *a)
{
	char **names, *path, *cause, *current;
	const char *source;
	size_t n, i;

	(void)a;
	current = cmd_theme_current(ctx);
	names = theme_list_names(&n);
	for (i = 0; i < n; i++) {
		cause = NULL;
		source = "?";
		path = theme_find(names[i], &source, &cause);
		printf("%c %-20s %-8s %s\n",
		       strcmp(names[i], current) == 0 ? '*' : ' ', names[i],
		       source, path != NULL ? path : "");
		free(path);
		free(cause);
		free(names[i]);
	}
	free(names);
	free(current);
	return BERTH_EXIT_OK;
}

/* Check files; print each problem as file:line:col: message. */
static int
cmd_theme_validate(struct cmd_ctx *ctx, struct cmd_args *a)
{
	struct config_errors errs = {NULL, 0};
	struct theme *t;
	int i, bad = 0;

	(void)ctx;
	for (i = 0; i < a->argc; i++) {
		if ((t = theme_load_file(a->argv[i], &errs)) == NULL)
			bad = 1;
		theme_free(t);
	}
	config_errors_print(&errs, stderr);
	config_errors_free(&errs);
	return bad ? BERTH_EXIT_USAGE : BERTH_EXIT_OK;
}

/* Print text for roff: escape backslashes and hyphens. */
static void
cmd_theme_roff(const char *s, FILE *f)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else
			fputc(*s, f);
	}
}

/* Attribute bits as words ("bold reverse"), or "normal"; caller frees. */
static char *
cmd_theme_attrs(int attrs)
{
	struct theme_style st;

	memset(&st, 0, sizeof st);
	st.attrs = attrs;
	if (attrs == 0)
		return xstrdup("normal");
	return theme_style_format(&st);
}

/*
 * The role list of berth-theme(5), generated: man/berth-theme.5 holds this
 * output between its ROLES markers and a test compares the two.
 */
static void
cmd_theme_roles_man(FILE *f)
{
	char *def, *mono;
	int i;

	for (i = 0; i < THEME_NROLES; i++) {
		def = theme_style_format(&theme_roles[i].def);
		mono = cmd_theme_attrs(theme_roles[i].mono);
		fputs(".TP\n.B ", f);
		cmd_theme_roff(theme_roles[i].name, f);
		fprintf(f, "\n%c",
		        toupper((unsigned char)theme_roles[i].help[0]));
		cmd_theme_roff(theme_roles[i].help + 1, f);
		fputs(".\nDefault: \\fI", f);
		cmd_theme_roff(def, f);
		fputs("\\fP; without colour: \\fI", f);
		cmd_theme_roff(mono, f);
		fputs("\\fP.\n", f);
		free(def);
		free(mono);
	}
}

static int
cmd_theme_roles(struct cmd_ctx *ctx, struct cmd_args *a)
{
	char *def, *mono;
	int i;

	(void)ctx;
	if (a->argc > 0)
		return cmd_usage_error(&cmd_theme_entry, "unknown option %s",
		                       a->argv[0]);
	if (cmd_args_has(a, "man")) {
		cmd_theme_roles_man(stdout);
		return BERTH_EXIT_OK;
	}
	printf("%-16s %-24s %-16s %s\n", "ROLE", "DEFAULT", "NO COLOUR",
	       "HELP");
	for (i = 0; i < THEME_NROLES; i++) {
		def = theme_style_format(&theme_roles[i].def);
		mono = cmd_theme_attrs(theme_roles[i].mono);
		printf("%-16s %-24s %-16s %s\n", theme_roles[i].name, def, mono,
		       theme_roles[i].help);
		free(def);
		free(mono);
	}
	return BERTH_EXIT_OK;
}

/*
 * Print a theme as a complete theme file, every role in the short form
 * (which says everything about a role) with inherits resolved, so the
 * output loads back to the same theme.
 */
static int
cmd_theme_show(struct cmd_ctx *ctx, struct cmd_args *a)
{
	struct theme *t;
	char *name, *cause = NULL, *desc, *style;
	size_t j;
	int i;

	name = a->argc > 0 ? xstrdup(a->argv[0]) : cmd_theme_current(ctx);
	if ((t = theme_open(name, &cause)) == NULL) {
		fprintf(stderr, "berth: %s\n", cause);
		free(cause);
		free(name);
		return BERTH_EXIT_USAGE;
	}
	printf("# theme %s (%s)\n", theme_get_name(t), theme_get_path(t));
	if (theme_get_description(t) != NULL) {
		desc = util_sanitize_dup(theme_get_description(t),
		                         strlen(theme_get_description(t)));
		printf("description: \"");
		for (j = 0; desc[j] != '\0'; j++) {
			if (desc[j] == '"' || desc[j] == '\\')
				putchar('\\');
			putchar(desc[j]);
		}
		printf("\"\n");
		free(desc);
	}
	for (i = 0; i < THEME_NROLES; i++) {
		style = theme_style_format(theme_get_style(t, i));
		/* In YAML " #" starts a comment: quote colours like #rrggbb. */
		printf(strchr(style, '#') != NULL ? "%s:%*s\"%s\"\n"
		                                  : "%s:%*s%s\n",
		       theme_roles[i].name,
		       (int)(16 - strlen(theme_roles[i].name)), "", style);
		free(style);
	}
	theme_free(t);
	free(name);
	return BERTH_EXIT_OK;
}

/* The SGR parameters for one colour as foreground (base 30) or bg (40). */
static void
cmd_theme_sgr_color(char *buf, size_t size, int c, int base)
{
	size_t len = strlen(buf);

	if (c < 0)
		snprintf(buf + len, size - len, ";%d", base + 9);
	else if (c < 8)
		snprintf(buf + len, size - len, ";%d", base + c);
	else if (c < 16)
		snprintf(buf + len, size - len, ";%d", base + 60 + c - 8);
	else if (c < 256)
		snprintf(buf + len, size - len, ";%d;5;%d", base + 8, c);
	else
		snprintf(buf + len, size - len, ";%d;2;%d;%d;%d", base + 8,
		         (c >> 16) & 0xff, (c >> 8) & 0xff, c & 0xff);
}

/*
 * Print every role of a theme in its own style, as the dashboard would
 * draw it on this terminal (or with --colors N), straight to stdout with
 * SGR sequences: a quick way to judge a theme on a dark or light terminal.
 */
static int
cmd_theme_preview(struct cmd_ctx *ctx, struct cmd_args *a)
{
	static const struct {
		int bit, sgr;
	} attrs[] = {
	    {THEME_A_BOLD, 1},
	    {THEME_A_DIM, 2},
	    {THEME_A_UNDERLINE, 4},
	    {THEME_A_REVERSE, 7},
	};
	struct theme_resolved r;
	enum theme_depth depth;
	struct theme *t;
	const char *name = a->argc > 0 ? a->argv[0] : NULL, *value;
	char *cur = NULL, *cause = NULL, *style, sgr[64], *end;
	int i, colors = -1, err;
	size_t j;

	if (a->argc > 1)
		return cmd_usage_error(&cmd_theme_entry, "one theme at a time");
	for (j = 0; j < a->nvalues; j++) {
		value = a->values[j].value;
		colors = (int)strtol(value, &end, 10);
		if (*value == '\0' || *end != '\0' || colors < 0)
			return cmd_usage_error(
			    &cmd_theme_entry,
			    "--colors needs a number of colours");
	}
	if (colors < 0) {
		/* What the terminal's terminfo entry says. */
		colors = 0;
		if (setupterm(NULL, STDOUT_FILENO, &err) == OK)
			colors = tigetnum("colors");
		if (colors < 0)
			colors = 0;
	}
	if (name == NULL)
		name = cur = cmd_theme_current(ctx);
	if ((t = theme_open(name, &cause)) == NULL) {
		fprintf(stderr, "berth: %s\n", cause);
		free(cause);
		free(cur);
		return BERTH_EXIT_USAGE;
	}
	depth = theme_depth(colors, ctx->no_color);
	printf("# theme %s at %s\n", theme_get_name(t),
	       theme_depth_name(depth));
	for (i = 0; i < THEME_NROLES; i++) {
		theme_resolve(t, i, depth, &r);
		snprintf(sgr, sizeof sgr, "\033[0");
		for (j = 0; j < nitems(attrs); j++) {
			if (r.attrs & attrs[j].bit)
				snprintf(sgr + strlen(sgr),
				         sizeof sgr - strlen(sgr), ";%d",
				         attrs[j].sgr);
		}
		if (depth != THEME_DEPTH_MONO) {
			cmd_theme_sgr_color(sgr, sizeof sgr, r.fg, 30);
			cmd_theme_sgr_color(sgr, sizeof sgr, r.bg, 40);
		}
		style = theme_style_format(theme_get_style(t, i));
		printf("%-16s %smThe quick brown fox 0123\033[0m  %s\n",
		       theme_roles[i].name, sgr, style);
		free(style);
	}
	theme_free(t);
	free(cur);
	return BERTH_EXIT_OK;
}

const struct cmd_entry cmd_theme_entry = {
    .name = "theme",
    .usage = "list|validate FILE...|roles [--man]|show [NAME]|"
             "preview [NAME] [--colors N]",
    .help = "list, check and show colour themes",
    .max_args = -1,
    .subs = cmd_theme_subs,
    .line = &dialog_command_theme,
};
