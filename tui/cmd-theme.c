#include "config.h"
#include "tui.h"
static int
cmd_theme_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	return BERTH_EXIT_FAILED;
}
const struct cmd_entry cmd_theme_entry = {
    .name = "theme",
    .usage = "list|validate FILE...",
    .help = "list and check themes",
    .exec = cmd_theme_exec,
};
