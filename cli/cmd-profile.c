/*
 * cmd-profile.c: `berth profile`: list, show, validate, keys, path and set
 * (new, edit and rm are in cmd-profile-file.c).
 * Everything a subcommand prints about keys comes from schema_keys[], so
 * `keys`, `keys --man` (the key list of berth-profile(5)) and the loader
 * cannot disagree.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static int cmd_profile_list(struct cmd_ctx *, struct cmd_args *);
static int cmd_profile_show(struct cmd_ctx *, struct cmd_args *);
static int cmd_profile_validate(struct cmd_ctx *, struct cmd_args *);
static int cmd_profile_keys(struct cmd_ctx *, struct cmd_args *);
static int cmd_profile_path(struct cmd_ctx *, struct cmd_args *);
static int cmd_profile_set(struct cmd_ctx *, struct cmd_args *);

/* The argument counts are checked before a subcommand's options are read. */
static const struct cmd_entry cmd_profile_subs[] = {
    {.name = "list", .usage = "", .exec = cmd_profile_list},
    {.name = "show",
     .usage = "[NAME|FILE]",
     .args = "[NAME|FILE]",
     .max_args = 1,
     .kind = CMD_KIND_PROFILE,
     .exec = cmd_profile_show},
    {.name = "validate",
     .usage = "FILE...",
     .args = "FILE...",
     .min_args = 1,
     .max_args = -1,
     .kind = CMD_KIND_FILE,
     .exec = cmd_profile_validate},
    {.name = "keys",
     .usage = "[--man]",
     .options =
         (const struct cmd_option[]){
             {0, "man", NULL, "the list of berth-profile(5), in roff",
              CMD_KIND_NONE, 0},
             {0, NULL, NULL, NULL, CMD_KIND_NONE, 0},
         },
     .max_args = 1,
     .opts_until = -1,
     .exec = cmd_profile_keys},
    {.name = "path",
     .usage = "[NAME]",
     .args = "[NAME]",
     .max_args = 1,
     .kind = CMD_KIND_PROFILE,
     .exec = cmd_profile_path},
    {.name = "set",
     .usage = "NAME|FILE KEY VALUE",
     .args = "NAME|FILE KEY VALUE",
     .min_args = 3,
     .max_args = 3,
     .kind = CMD_KIND_PROFILE,
     .exec = cmd_profile_set},
    {.name = "new",
     .usage = "NAME [--from PROFILE] [--cpus N] [--memory SIZE] [--disk "
              "SIZE] [--mount PATH]...",
     .args = "NAME",
     .options =
         (const struct cmd_option[]){
             {0, "from", "PROFILE",
              "copy this profile (a name or a FILE), comments and all",
              CMD_KIND_PROFILE, 0},
             {'c', "cpus", "N", "virtual CPUs", CMD_KIND_NONE, 0},
             {'m', "memory", "SIZE", "memory (4 = 4GiB)", CMD_KIND_NONE, 0},
             {'d', "disk", "SIZE", "disk size (60 = 60GiB)", CMD_KIND_NONE, 0},
             {0, "mount", "PATH", "share a host folder (repeat for more)",
              CMD_KIND_FILE, 0},
             {0, NULL, NULL, NULL, CMD_KIND_NONE, 0},
         },
     .min_args = 1,
     .max_args = -1,
     .opts_until = -1,
     .exec = cmd_profile_file_new},
    {.name = "edit",
     .usage = "[NAME]",
     .args = "[NAME]",
     .max_args = 1,
     .kind = CMD_KIND_PROFILE,
     .exec = cmd_profile_file_edit},
    {.name = "rm",
     .usage = "NAME [--with-vm] [--yes]",
     .args = "NAME",
     .options =
         (const struct cmd_option[]){
             {0, "with-vm", NULL,
              "delete its VM too, with every disk (as delete --data)",
              CMD_KIND_NONE, 0},
             {'y', "yes", NULL, "do not ask", CMD_KIND_NONE, 0},
             {0, NULL, NULL, NULL, CMD_KIND_NONE, 0},
         },
     .min_args = 1,
     .max_args = -1,
     .opts_until = -1,
     .kind = CMD_KIND_PROFILE,
     .exec = cmd_profile_file_rm},
    {.name = NULL},
};

/* Where a profile name resolves: "user", "shipped" or "file". */
static const char *
profile_source(const char *path)
{
	char *dir = paths_user_profiles_dir();
	size_t len = strlen(dir);
	const char *s = "shipped";

	if (strncmp(path, dir, len) == 0 && path[len] == '/')
		s = "user";
	free(dir);
	return s;
}

static int
cmd_profile_list(struct cmd_ctx *ctx, struct cmd_args *a)
{
	char **names, *path, *cause, *shown, *spath;
	size_t n, i;

	(void)a;
	names = cmd_profile_names(&n);
	for (i = 0; i < n; i++) {
		cause = NULL;
		path = profile_find(names[i], &cause);
		/* File names are the user's, but may hold anything. */
		shown = util_sanitize_dup(names[i], strlen(names[i]));
		spath = util_sanitize_dup(path ? path : "",
		                          path ? strlen(path) : 0);
		printf("%c %-20s %-8s %s\n",
		       strcmp(names[i], ctx->profile) == 0 ? '*' : ' ', shown,
		       path ? profile_source(path) : "?", spath);
		free(shown);
		free(spath);
		free(path);
		free(cause);
		free(names[i]);
	}
	free(names);
	return BERTH_EXIT_OK;
}

/* The text a default stands for in `keys` output and the man page. */
static const char *
key_default(const struct schema_key *k)
{
	if (k->flags & SCHEMA_F_AS_HOST)
		return "same as host";
	if (k->flags & SCHEMA_F_REQUIRED)
		return "required";
	if (k->def == NULL)
		return "unset";
	return k->def;
}

/* The range or choices of a key as text; the caller frees. */
static char *
key_range(const struct schema_key *k)
{
	char *s, *t, *lo, *hi;
	size_t i;

	switch (k->type) {
	case SCHEMA_INT:
		return xasprintf("%lld..%lld", k->min, k->max);
	case SCHEMA_SIZE:
	case SCHEMA_DURATION:
		if (k->type == SCHEMA_SIZE) {
			lo = units_format_size((uint64_t)k->min);
			hi = units_format_size((uint64_t)k->max);
		} else {
			lo = units_format_duration((uint64_t)k->min);
			hi = units_format_duration((uint64_t)k->max);
		}
		s = xasprintf("%s..%s", lo, hi);
		free(lo);
		free(hi);
		return s;
	case SCHEMA_ENUM:
		s = xstrdup("");
		for (i = 0; k->choices[i] != NULL; i++) {
			t = xasprintf("%s%s%s", s, i ? "|" : "", k->choices[i]);
			free(s);
			s = t;
		}
		return s;
	case SCHEMA_BOOL:
		return xstrdup("true|false");
	default:
		return xstrdup("");
	}
}

/* Print text for roff: escape backslashes and hyphens. */
static void
roff_puts(const char *s, FILE *f)
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

/*
 * The key list of berth-profile(5), generated: man/berth-profile.5 holds
 * this output between its KEYS markers and a test compares the two.
 */
static void
keys_man(FILE *f)
{
	const struct schema_key *k;
	char *range;
	size_t i;

	for (i = 0; i < schema_nkeys; i++) {
		k = &schema_keys[i];
		range = key_range(k);
		fputs(".TP\n.B ", f);
		roff_puts(k->path, f);
		fputs("\n", f);
		fprintf(f, "%s", schema_type_name(k->type));
		if (*range != '\0') {
			fputs(", ", f);
			roff_puts(range, f);
		}
		fputs("; default ", f);
		roff_puts(key_default(k), f);
		fputs(".\n.br\n", f);
		roff_puts(k->help, f);
		fputs(".\n", f);
		free(range);
	}
}

/* Width `berth profile keys` keeps to. */
#define KEYS_WIDTH 80

/* A key's type and range as one cell ("integer 1..256"); caller frees. */
static char *
key_type_range(const struct schema_key *k)
{
	char *range = key_range(k), *s;

	s = xasprintf("%s%s%s", schema_type_name(k->type),
	              *range != '\0' ? " " : "", range);
	free(range);
	return s;
}

/* Print `text` word-wrapped, each line indented `indent` columns. */
static void
keys_wrap(const char *text, int indent)
{
	int room = KEYS_WIDTH - indent, len;
	const char *p = text;

	while (*p != '\0') {
		len = (int)strlen(p);
		if (len > room) {
			/* Break at the last space that fits, or a long word. */
			for (len = room; len > 0 && p[len] != ' '; len--)
				;
			if (len == 0)
				len = (int)strcspn(p, " ");
		}
		printf("%*s%.*s\n", indent, "", len, p);
		p += len;
		while (*p == ' ')
			p++;
	}
}

/*
 * The key table for a terminal: KEY, TYPE (with its range) and DEFAULT in
 * columns as wide as their longest cell, the help on the lines below,
 * under TYPE; no line longer than 80 columns.
 */
static int
cmd_profile_keys(struct cmd_ctx *ctx, struct cmd_args *a)
{
	const struct schema_key *k;
	char *tr;
	int kw = 3, tw = 4, len;
	size_t i;

	(void)ctx;
	if (a->argc > 0)
		return cmd_usage_error(&cmd_profile_entry, "unknown option %s",
		                       a->argv[0]);
	if (cmd_args_has(a, "man")) {
		keys_man(stdout);
		return BERTH_EXIT_OK;
	}
	for (i = 0; i < schema_nkeys; i++) {
		k = &schema_keys[i];
		if ((len = (int)strlen(k->path)) > kw)
			kw = len;
		tr = key_type_range(k);
		if ((len = (int)strlen(tr)) > tw)
			tw = len;
		free(tr);
	}
	printf("%-*s  %-*s  %s\n", kw, "KEY", tw, "TYPE", "DEFAULT");
	for (i = 0; i < schema_nkeys; i++) {
		k = &schema_keys[i];
		tr = key_type_range(k);
		printf("%-*s  %-*s  %s\n", kw, k->path, tw, tr, key_default(k));
		free(tr);
		keys_wrap(k->help, kw + 2);
	}
	return BERTH_EXIT_OK;
}

/* Print `key: value`, with "# default" when the value is the default. */
static void
show_key(const char *shown, const struct schema_key *k, const void *base,
         const void *defaults)
{
	char *v = schema_format(k, base), *d = schema_format(k, defaults);
	char *clean = util_sanitize_dup(v, strlen(v));

	printf("%s: %s%s\n", shown, *clean != '\0' ? clean : "~",
	       strcmp(v, d) == 0 ? "  # default" : "");
	free(clean);
	free(v);
	free(d);
}

static int
cmd_profile_show(struct cmd_ctx *ctx, struct cmd_args *a)
{
	const char *name = a->argc > 0 ? a->argv[0] : ctx->profile;
	const struct schema_key *k;
	struct profile *p, *def;
	struct profile_mount mdef;
	char *cause = NULL, *shown, *path, *spath;
	size_t i, j;

	/*
	 * NAME|FILE: a path is read as the profile file it names. An unknown
	 * name gets the message every command gives; a profile's problems
	 * are file:line:col lines, as validate prints them.
	 */
	if (a->argc > 0 && profile_is_file(name))
		p = profile_open_file(name, NULL, &cause);
	else if ((path = profile_find(name, &cause)) == NULL) {
		fprintf(stderr, "berth: %s\n", cause);
		free(cause);
		return BERTH_EXIT_USAGE;
	} else {
		p = profile_open_file(path, name, &cause);
		free(path);
	}
	if (p == NULL) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		return BERTH_EXIT_USAGE;
	}
	def = profile_defaults(p->name);
	/* A FILE argument's name (and path) may hold anything. */
	shown = util_sanitize_dup(p->name, strlen(p->name));
	spath = p->path != NULL ? util_sanitize_dup(p->path, strlen(p->path))
	                        : xstrdup("defaults");
	printf("# profile %s (%s)\n", shown, spath);
	free(shown);
	free(spath);
	for (i = 0; i < schema_nkeys; i++) {
		k = &schema_keys[i];
		if (strchr(k->path, '[') != NULL)
			continue;
		if (k->type != SCHEMA_MOUNTS) {
			show_key(k->path, k, p, def);
			continue;
		}
		if (p->nmounts == 0)
			printf("mounts: []  # default\n");
		for (j = 0; j < p->nmounts; j++) {
			const struct schema_key *mk;
			size_t m;

			memset(&mdef, 0, sizeof mdef);
			schema_apply_defaults(&mdef, "mounts[].", p->name);
			mdef.guest = xstrdup(p->mounts[j].host);
			for (m = 0; m < schema_nkeys; m++) {
				mk = &schema_keys[m];
				if (strncmp(mk->path, "mounts[].", 9) != 0)
					continue;
				shown = xasprintf("mounts[%zu].%s", j,
				                  mk->path + 9);
				show_key(shown, mk, &p->mounts[j], &mdef);
				free(shown);
			}
			free(mdef.guest);
			for (m = 0; m < mdef.nignore; m++)
				free(mdef.ignore[m]);
			free(mdef.ignore);
		}
	}
	profile_free(def);
	profile_free(p);
	return BERTH_EXIT_OK;
}

static int
cmd_profile_validate(struct cmd_ctx *ctx, struct cmd_args *a)
{
	struct config_errors errs = {NULL, 0};
	struct profile *p;
	int i, bad = 0;

	(void)ctx;
	for (i = 0; i < a->argc; i++) {
		p = profile_load_file(a->argv[i], NULL, &errs);
		if (p == NULL)
			bad = 1;
		profile_free(p);
	}
	config_errors_print(&errs, stderr);
	config_errors_free(&errs);
	return bad ? BERTH_EXIT_USAGE : BERTH_EXIT_OK;
}

static int
cmd_profile_path(struct cmd_ctx *ctx, struct cmd_args *a)
{
	const char *name = a->argc > 0 ? a->argv[0] : ctx->profile;
	char *path, *cause = NULL;

	if ((path = profile_find(name, &cause)) == NULL) {
		fprintf(stderr, "berth: %s\n", cause);
		free(cause);
		return BERTH_EXIT_USAGE;
	}
	printf("%s\n", path);
	free(path);
	return BERTH_EXIT_OK;
}

static int
cmd_profile_set(struct cmd_ctx *ctx, struct cmd_args *a)
{
	char *cause = NULL, *path, **argv = a->argv;
	int r;

	(void)ctx;
	/* NAME|FILE: a path is edited as it is; a name must exist. */
	if (profile_is_file(argv[0])) {
		path = paths_expand_tilde(argv[0]);
		r = profile_set(path, argv[1], argv[2], &cause);
		free(path);
	} else if ((path = profile_find(argv[0], &cause)) == NULL) {
		fprintf(stderr, "berth: %s\n", cause);
		free(cause);
		return BERTH_EXIT_USAGE;
	} else {
		free(path);
		r = profile_set_named(argv[0], argv[1], argv[2], &cause);
	}
	if (r != 0) {
		fprintf(stderr, "berth: %s\n", cause);
		free(cause);
		return r == -2 ? BERTH_EXIT_USAGE : BERTH_EXIT_FAILED;
	}
	return BERTH_EXIT_OK;
}

const struct cmd_entry cmd_profile_entry = {
    .name = "profile",
    .usage = "list|show [NAME|FILE]|validate FILE...|keys [--man]|"
             "path [NAME]|set NAME|FILE KEY VALUE|new NAME [OPTIONS]|"
             "edit [NAME]|rm NAME",
    .help = "list, show, check, make, edit and remove profiles",
    .max_args = -1,
    .subs = cmd_profile_subs,
    .line = &dialog_command_profile,
};
