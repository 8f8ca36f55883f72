/*
 * cmd-image.c: `berth image list|pull|rm|prune`, the cache of base images
 * VMs are built on (backend/image/image.c). pull downloads the profile's
 * vm.image (or the default for its architecture) the way `berth create`
 * would, with a progress bar on a terminal and nothing extra when piped.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "image/image.h"
#include "cli/cli.h"

static int cmd_image_exec(struct cmd_ctx *, struct cmd_args *);

const struct cmd_entry cmd_image_entry = {
    .name = "image",
    .usage = "list | pull | rm NAME... | prune",
    .args = "list|pull|rm NAME...|prune",
    .help = "list, download or remove cached VM base images",
    .max_args = -1,
    .kind = CMD_KIND_IMAGE,
    .words = (const char *const[]){"list", "ls", "pull", "rm", "prune", NULL},
    .exec = cmd_image_exec,
};

/* The progress bar: 24 cells, bytes, rate, ETA; stderr is a terminal. */
void
cmd_image_progress(void *arg, const struct image_progress *pr)
{
	int *shown = arg, cells = 0, i;
	char bar[25], *t = image_progress_text(pr);

	if (pr->total > 0)
		cells = (int)(pr->done * 24 / pr->total);
	for (i = 0; i < 24; i++)
		bar[i] = i < cells ? '#' : '-';
	bar[24] = '\0';
	fprintf(stderr, "\r\033[Kdownloading [%s] %s", bar, t);
	free(t);
	if (shown != NULL)
		*shown = 1;
}

static int
cmd_image_list(void)
{
	struct image_entry *v;
	char *cause = NULL, *sz;
	size_t n, i;

	if ((v = image_list(&n, &cause)) == NULL) {
		fprintf(stderr, "berth: %s\n", cause);
		free(cause);
		return BERTH_EXIT_FAILED;
	}
	if (n > 0 && isatty(STDOUT_FILENO))
		printf("%-60s %10s  %s\n", "NAME", "SIZE", "STATE");
	for (i = 0; i < n; i++) {
		sz = units_format_size(v[i].size);
		printf("%-60s %10s  %s\n", v[i].name, sz,
		       v[i].partial ? "partial" : "complete");
		free(sz);
	}
	image_list_free(v, n);
	return BERTH_EXIT_OK;
}

static int
cmd_image_pull(struct cmd_ctx *ctx)
{
	struct profile *p;
	char *cause = NULL, *note = NULL, *path;
	int shown = 0, tty = isatty(STDERR_FILENO);

	if ((p = cmd_profile_open(ctx)) == NULL)
		return BERTH_EXIT_USAGE;
	path = image_resolve(p, tty ? cmd_image_progress : NULL, &shown, &note,
	                     &cause);
	if (shown)
		fprintf(stderr, "\n");
	profile_free(p);
	if (note != NULL)
		fprintf(stderr, "berth: %s\n", note);
	free(note);
	if (path == NULL) {
		fprintf(stderr, "berth: %s\n", cause);
		free(cause);
		return BERTH_EXIT_FAILED;
	}
	printf("%s\n", path);
	free(path);
	return BERTH_EXIT_OK;
}

static int
cmd_image_exec(struct cmd_ctx *ctx, struct cmd_args *a)
{
	char *cause = NULL, **names;
	const char *sub;
	size_t n, i;
	int k, rc = BERTH_EXIT_OK;

	if (a->argc == 0)
		return cmd_usage_error(&cmd_image_entry,
		                       "missing subcommand (list, pull, rm, "
		                       "prune)");
	sub = a->argv[0];
	if (strcmp(sub, "rm") != 0 && a->argc > 1)
		return cmd_usage_error(&cmd_image_entry,
		                       "unexpected argument '%s'", a->argv[1]);
	if (strcmp(sub, "list") == 0 || strcmp(sub, "ls") == 0)
		return cmd_image_list();
	if (strcmp(sub, "pull") == 0)
		return cmd_image_pull(ctx);
	if (strcmp(sub, "rm") == 0) {
		if (a->argc < 2)
			return cmd_usage_error(&cmd_image_entry,
			                       "rm needs image names (berth "
			                       "image list)");
		for (k = 1; k < a->argc; k++) {
			if (image_remove(a->argv[k], &cause) != 0) {
				fprintf(stderr, "berth: %s\n", cause);
				free(cause);
				cause = NULL;
				rc = BERTH_EXIT_FAILED;
			} else
				printf("removed %s\n", a->argv[k]);
		}
		return rc;
	}
	if (strcmp(sub, "prune") == 0) {
		if (image_prune(&names, &n, &cause) != 0) {
			fprintf(stderr, "berth: %s\n", cause);
			free(cause);
			return BERTH_EXIT_FAILED;
		}
		for (i = 0; i < n; i++) {
			printf("removed %s\n", names[i]);
			free(names[i]);
		}
		free(names);
		return BERTH_EXIT_OK;
	}
	return cmd_usage_error(&cmd_image_entry, "unknown subcommand '%s'",
	                       sub);
}
