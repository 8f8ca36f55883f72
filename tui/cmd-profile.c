#include "config.h"
#include "tui.h"
static int
cmd_profile_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	return BERTH_EXIT_FAILED;
}
const struct cmd_entry cmd_profile_entry = {
    .name = "profile",
    .usage = "list|show NAME|validate FILE...|keys|path NAME",
    .help = "list, show and check profiles",
    .exec = cmd_profile_exec,
};
