#include "config.h"
#include "tui.h"
int
dashboard_run(struct cmd_ctx *ctx)
{
	printf("berth dashboard placeholder (profile %s)\n", ctx->profile);
	return 0;
}
