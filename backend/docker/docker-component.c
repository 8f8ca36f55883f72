/*
 * docker-component.c: the Docker client (docker.c) in the engine. The
 * engine's commands become actions, log streams and the visible set, and
 * a snapshot gets the client's model.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "docker/docker.h"

static void *
docker_create(struct engine *e, const struct profile *p)
{
	return docker_open(e, p);
}

static void
docker_destroy(void *arg)
{
	docker_close(arg);
}

static void
docker_tick(void *arg)
{
	docker_refresh(arg);
}

/*
 * Follow one container's logs, or (merged) those of the containers in
 * arg, space separated, under their compose project's name. num = tail
 * (0: 200), arg2 = since (an API value) or NULL. Times are always asked
 * for: the view shows or hides them (t) without asking again.
 */
static void
docker_component_logs(struct docker *d, const struct engine_cmd *cmd)
{
	struct docker_logs_opts o = {
	    .tail = cmd->num > 0 ? cmd->num : 200,
	    .follow = 1,
	    .timestamps = 1,
	    .since = cmd->arg2 != NULL && *cmd->arg2 != '\0' ? cmd->arg2 : NULL,
	};
	char *copy, *tok, *save = NULL, *title;
	const char **ids = NULL;
	const struct docker_ct *ct;
	size_t n = 0;

	if (cmd->type == ENGINE_CMD_CT_LOGS) {
		docker_logs_start_opts(d, (const char *const *)&cmd->arg, 1,
		                       NULL, &o);
		return;
	}
	copy = xstrdup(cmd->arg != NULL ? cmd->arg : "");
	for (tok = strtok_r(copy, " ", &save); tok != NULL;
	     tok = strtok_r(NULL, " ", &save)) {
		ids = xreallocarray(ids, n + 1, sizeof *ids);
		ids[n++] = tok;
	}
	ct = n > 0 ? docker_find(d, ids[0]) : NULL;
	title = xstrdup(ct != NULL && ct->c.project != NULL ? ct->c.project
	                                                    : "containers");
	/* The view finds its logs by the key it asked with. */
	if (docker_logs_start_opts(d, ids, n, title, &o) == 0) {
		free(d->logs.id);
		d->logs.id = xstrdup(cmd->arg);
	}
	free(title);
	free(ids);
	free(copy);
}

static int
docker_command(void *arg, const struct engine_cmd *cmd)
{
	struct docker *d = arg;

	switch (cmd->type) {
	case ENGINE_CMD_CT_START:
	case ENGINE_CMD_CT_STOP:
	case ENGINE_CMD_CT_RESTART:
	case ENGINE_CMD_CT_KILL:
	case ENGINE_CMD_CT_PAUSE:
	case ENGINE_CMD_CT_UNPAUSE:
	case ENGINE_CMD_CT_REMOVE:
		docker_action(d, cmd->type, cmd->arg, cmd->num);
		return 1;
	case ENGINE_CMD_CT_LOGS:
	case ENGINE_CMD_CT_LOGS_MERGED:
		docker_component_logs(d, cmd);
		return 1;
	case ENGINE_CMD_CT_LOGS_STOP:
		docker_logs_stop(d);
		return 1;
	case ENGINE_CMD_CT_VISIBLE:
		docker_set_visible(d, cmd->arg);
		docker_set_brief(d, (int)(cmd->num & 1));
		return 1;
	case ENGINE_CMD_REFRESH:
		d->resync = 1;
		return 0;
	default:
		return 0;
	}
}

static void
docker_fill(void *arg, struct model *m)
{
	struct docker *d = arg;

	docker_fill_docker(d, &m->docker);
	/*
	 * A forwarded socket has no daemon behind it while the VM is down:
	 * say that rather than a connect error. The VM component fills the
	 * snapshot first (engine_components[] order).
	 */
	if (d->ep.from_vm && m->docker.conn != MODEL_CONN_UP &&
	    m->vm.conn == MODEL_CONN_UP && model_vm_stopped(m->vm.state)) {
		free(m->docker.error);
		m->docker.error = xstrdup(MODEL_VM_NOT_RUNNING);
	}
}

const struct engine_component docker_component = {
    .name = "docker",
    .create = docker_create,
    .destroy = docker_destroy,
    .prepare = docker_prepare,
    .dispatch = docker_dispatch,
    .tick = docker_tick,
    .command = docker_command,
    .fill = docker_fill,
    .pending = docker_pending,
};
