/*
 * main.c: berth's entry point. Parses berth's own options (cmd_main_entry
 * in the table), then runs a command from cmd_table or the dashboard. Only
 * main exits.
 */

#include "config.h"

#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

int
main(int argc, char **argv)
{
	struct cmd_ctx ctx;
	const char *env, *codeset;
	struct cmd_args a;
	char *end;
	size_t i;
	int rc;

	setlocale(LC_ALL, "");
	/*
	 * Numbers in profiles, JSON and messages always use a '.': under
	 * de_DE printf would write "1,5GiB" and strtod would refuse "1.5".
	 */
	setlocale(LC_NUMERIC, "C");
	/* libcurl's global state, before any thread can make a handle. */
	http_global_init();
	memset(&ctx, 0, sizeof ctx);
	ctx.profile = profile_current_name(NULL);
	/* $BERTH_PROFILE names a profile as surely as -p does. */
	env = getenv("BERTH_PROFILE");
	ctx.profile_given = env != NULL && *env != '\0';
	env = getenv("NO_COLOR");
	ctx.no_color = env != NULL && *env != '\0';
	codeset = nl_langinfo(CODESET);
	ctx.ascii = codeset == NULL || strcmp(codeset, "UTF-8") != 0;

	/* berth's own options come from the table like a command's. */
	if (cmd_args_parse(&ctx, &cmd_main_entry, &cmd_main_entry, argc, argv,
	                   &a) != 0) {
		cmd_args_free(&a);
		return BERTH_EXIT_USAGE;
	}
	if (cmd_args_has(&a, "help")) {
		cmd_usage(stdout);
		cmd_args_free(&a);
		return BERTH_EXIT_OK;
	}
	if (cmd_args_has(&a, "version")) {
		printf("berth %s\n", PACKAGE_VERSION);
		cmd_args_free(&a);
		return BERTH_EXIT_OK;
	}
	for (i = 0; i < a.nvalues; i++) {
		const char *name = a.values[i].opt->name,
		           *v = a.values[i].value;

		if (strcmp(name, "profile") == 0) {
			ctx.profile = v;
			ctx.profile_given = 1;
		} else if (strcmp(name, "no-color") == 0)
			ctx.no_color = 1;
		else if (strcmp(name, "ascii") == 0)
			ctx.ascii = 1;
		else if (strcmp(name, "mouse") == 0)
			ctx.mouse = 1;
		else if (strcmp(name, "theme") == 0)
			ctx.theme = v;
		else if (strcmp(name, "max-iterations") == 0) {
			ctx.max_iterations = strtol(v, &end, 10);
			if (*end != '\0' || ctx.max_iterations <= 0) {
				fprintf(
				    stderr,
				    "berth: --max-iterations needs a positive "
				    "number\n");
				cmd_args_free(&a);
				return BERTH_EXIT_USAGE;
			}
		}
	}
	rc = cmd_run(&ctx, a.argc, a.argv);
	cmd_args_free(&a);
	return rc;
}
