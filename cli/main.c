/*
 * main.c: berth's entry point. Parses the options every command shares,
 * then runs a subcommand from cmd_table or the dashboard. Only main exits.
 */

#include "config.h"

#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

enum {
	OPT_NO_COLOR = 256,
	OPT_ASCII,
	OPT_MOUSE,
	OPT_MAX_ITERATIONS,
	OPT_THEME,
};

static const struct option main_options[] = {
    {"profile", required_argument, NULL, 'p'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {"no-color", no_argument, NULL, OPT_NO_COLOR},
    {"ascii", no_argument, NULL, OPT_ASCII},
    {"mouse", no_argument, NULL, OPT_MOUSE},
    {"max-iterations", required_argument, NULL, OPT_MAX_ITERATIONS},
    {"theme", required_argument, NULL, OPT_THEME},
    {NULL, 0, NULL, 0},
};

int
main(int argc, char **argv)
{
	struct cmd_ctx ctx;
	const char *env, *codeset;
	char *end;
	int ch;

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

	while ((ch = getopt_long(argc, argv, "+p:hV", main_options, NULL)) !=
	       -1) {
		switch (ch) {
		case 'p':
			ctx.profile = optarg;
			ctx.profile_given = 1;
			break;
		case 'h':
			cmd_usage(stdout);
			return BERTH_EXIT_OK;
		case 'V':
			printf("berth %s\n", PACKAGE_VERSION);
			return BERTH_EXIT_OK;
		case OPT_NO_COLOR:
			ctx.no_color = 1;
			break;
		case OPT_ASCII:
			ctx.ascii = 1;
			break;
		case OPT_MOUSE:
			ctx.mouse = 1;
			break;
		case OPT_THEME:
			ctx.theme = optarg;
			break;
		case OPT_MAX_ITERATIONS:
			ctx.max_iterations = strtol(optarg, &end, 10);
			if (*end != '\0' || ctx.max_iterations <= 0) {
				fprintf(
				    stderr,
				    "berth: --max-iterations needs a positive "
				    "number\n");
				return BERTH_EXIT_USAGE;
			}
			break;
		default:
			fprintf(stderr, "berth --help lists the options\n");
			return BERTH_EXIT_USAGE;
		}
	}
	return cmd_run(&ctx, argc - optind, argv + optind);
}
