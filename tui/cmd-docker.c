/*
 * cmd-docker.c: the Docker commands of the CLI: `berth ps`, `berth logs`,
 * `berth docker-info` and `berth container ACTION NAME…`. They use the
 * Docker component without an engine (backend/docker.c): connect, run the
 * calls, print, exit. Text from the daemon was sanitized by the backend;
 * log lines are sanitized here as they are printed.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "docker.h"
#include "tui.h"

/* Open the profile's Docker endpoint and connect; NULL after a message. */
static struct docker *
cmd_docker_connect(struct cmd_ctx *ctx, int *rc)
{
	struct profile *p;
	struct docker *d;
	struct model_docker md;
	char *cause = NULL;

	p = profile_open(ctx->profile, &cause);
	if (p == NULL && ctx->profile_given) {
		fprintf(stderr, "berth: %s\n", cause);
		free(cause);
		*rc = BERTH_EXIT_USAGE;
		return NULL;
	}
	free(cause);
	d = docker_open(NULL, p);
	profile_free(p);
	docker_refresh(d);
	docker_wait(d, 60000);
	memset(&md, 0, sizeof md);
	docker_fill_docker(d, &md);
	if (md.conn != MODEL_CONN_UP) {
		fprintf(stderr, "berth: %s\n",
		        md.error != NULL ? md.error
		                         : "Docker is not reachable");
		model_docker_clear(&md);
		docker_close(d);
		*rc = BERTH_EXIT_FAILED;
		return NULL;
	}
	model_docker_clear(&md);
	return d;
}

static json_t *
cmd_docker_jstr(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *
cmd_docker_container_json(const struct model_container *c)
{
	json_t *o = json_object(), *ports = json_array();
	size_t i;

	json_object_set_new(o, "id", json_string(c->id));
	json_object_set_new(o, "name", cmd_docker_jstr(c->name));
	json_object_set_new(o, "image", cmd_docker_jstr(c->image));
	json_object_set_new(o, "command", cmd_docker_jstr(c->command));
	json_object_set_new(o, "created", json_integer(c->created));
	json_object_set_new(o, "state", cmd_docker_jstr(c->state));
	json_object_set_new(o, "status", cmd_docker_jstr(c->status));
	for (i = 0; i < c->nports; i++) {
		json_t *p = json_object();

		json_object_set_new(p, "ip", cmd_docker_jstr(c->ports[i].ip));
		json_object_set_new(p, "private",
		                    json_integer(c->ports[i].private_port));
		json_object_set_new(p, "public",
		                    json_integer(c->ports[i].public_port));
		json_object_set_new(p, "proto",
		                    cmd_docker_jstr(c->ports[i].proto));
		json_array_append_new(ports, p);
	}
	json_object_set_new(o, "ports", ports);
	json_object_set_new(o, "project", cmd_docker_jstr(c->project));
	json_object_set_new(o, "service", cmd_docker_jstr(c->service));
	return o;
}

static void
cmd_docker_print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_ENSURE_ASCII);

	printf("%s\n", s);
	free(s);
	json_decref(j);
}

/* "0.0.0.0:8080->80/tcp, 443/tcp" like docker ps. */
static char *
cmd_docker_ports(const struct model_container *c)
{
	char *out = xstrdup(""), *next;
	size_t i;

	for (i = 0; i < c->nports; i++) {
		const struct model_port *p = &c->ports[i];

		if (p->public_port > 0)
			next = xasprintf("%s%s%s:%d->%d/%s", out,
			                 *out != '\0' ? ", " : "",
			                 p->ip != NULL ? p->ip : "",
			                 p->public_port, p->private_port,
			                 p->proto != NULL ? p->proto : "tcp");
		else
			next =
			    xasprintf("%s%s%d/%s", out,
			              *out != '\0' ? ", " : "", p->private_port,
			              p->proto != NULL ? p->proto : "tcp");
		free(out);
		out = next;
	}
	return out;
}

static int
cmd_ps_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"all", no_argument, NULL, 'a'},
	    {"json", no_argument, NULL, 'j'},
	    {NULL, 0, NULL, 0},
	};
	struct docker *d;
	struct model_docker md;
	int ch, all = 0, json = 0, rc = BERTH_EXIT_OK;
	size_t i;

	while ((ch = cmd_getopt(ctx, &cmd_ps_entry, argc, argv, "a", longopts,
	                        NULL)) != -1) {
		if (ch == 'h')
			return BERTH_EXIT_OK;
		if (ch == '?')
			return BERTH_EXIT_USAGE;
		if (ch == 'a')
			all = 1;
		else if (ch == 'j')
			json = 1;
	}
	if (optind < argc)
		return cmd_usage_error(&cmd_ps_entry, "unexpected argument %s",
		                       argv[optind]);
	if ((d = cmd_docker_connect(ctx, &rc)) == NULL)
		return rc;
	memset(&md, 0, sizeof md);
	docker_fill_docker(d, &md);
	if (docker_errors(d) > 0 || md.containers == NULL) {
		model_docker_clear(&md);
		docker_close(d);
		return BERTH_EXIT_FAILED;
	}
	if (json) {
		json_t *arr = json_array();

		for (i = 0; i < md.ncontainers; i++) {
			const struct model_container *c = &md.containers[i];

			if (all || strcmp(c->state, "exited") != 0)
				json_array_append_new(
				    arr, cmd_docker_container_json(c));
		}
		cmd_docker_print_json(arr);
	} else {
		printf("%-12s  %-24s  %-20s  %-24s  %s\n", "CONTAINER ID",
		       "NAME", "IMAGE", "STATUS", "PORTS");
		for (i = 0; i < md.ncontainers; i++) {
			const struct model_container *c = &md.containers[i];
			char *ports;

			if (!all && strcmp(c->state, "running") != 0 &&
			    strcmp(c->state, "paused") != 0 &&
			    strcmp(c->state, "restarting") != 0)
				continue;
			ports = cmd_docker_ports(c);
			printf("%-12.12s  %-24s  %-20s  %-24s  %s\n", c->id,
			       c->name, c->image != NULL ? c->image : "",
			       c->status != NULL ? c->status : c->state, ports);
			free(ports);
		}
	}
	model_docker_clear(&md);
	docker_close(d);
	return BERTH_EXIT_OK;
}

const struct cmd_entry cmd_ps_entry = {
    .name = "ps",
    .usage = "[-a] [--json]",
    .help = "list containers (-a: stopped ones too)",
    .exec = cmd_ps_exec,
};

static int
cmd_docker_info_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {NULL, 0, NULL, 0},
	};
	struct docker *d;
	struct model_docker md;
	int ch, json = 0, rc = BERTH_EXIT_OK;
	char *mem;

	while ((ch = cmd_getopt(ctx, &cmd_docker_info_entry, argc, argv, "",
	                        longopts, NULL)) != -1) {
		if (ch == 'h')
			return BERTH_EXIT_OK;
		if (ch == '?')
			return BERTH_EXIT_USAGE;
		if (ch == 'j')
			json = 1;
	}
	if (optind < argc)
		return cmd_usage_error(&cmd_docker_info_entry,
		                       "unexpected argument %s", argv[optind]);
	if ((d = cmd_docker_connect(ctx, &rc)) == NULL)
		return rc;
	memset(&md, 0, sizeof md);
	docker_fill_docker(d, &md);
	if (json) {
		json_t *o = json_object();

		json_object_set_new(o, "endpoint",
		                    cmd_docker_jstr(md.endpoint));
		json_object_set_new(o, "source", cmd_docker_jstr(md.source));
		json_object_set_new(o, "version", cmd_docker_jstr(md.version));
		json_object_set_new(o, "api_version",
		                    cmd_docker_jstr(md.api_version));
		json_object_set_new(o, "os", cmd_docker_jstr(md.os));
		json_object_set_new(o, "kernel", cmd_docker_jstr(md.kernel));
		json_object_set_new(o, "cgroup_version",
		                    json_integer(md.cgroup_version));
		json_object_set_new(o, "ncpu", json_integer(md.ncpu));
		json_object_set_new(o, "mem_total",
		                    json_integer((json_int_t)md.mem_total));
		json_object_set_new(o, "containers",
		                    json_integer((json_int_t)md.ncontainers));
		json_object_set_new(o, "running", json_integer(md.running));
		json_object_set_new(o, "paused", json_integer(md.paused));
		json_object_set_new(o, "stopped", json_integer(md.stopped));
		cmd_docker_print_json(o);
	} else {
		mem = units_format_size(md.mem_total);
		printf("Endpoint:        %s\n", md.endpoint);
		printf("Source:          %s\n", md.source);
		printf("Engine version:  %s\n",
		       md.version != NULL ? md.version : "?");
		printf("API version:     %s\n",
		       md.api_version != NULL ? md.api_version : "?");
		printf("OS:              %s\n", md.os != NULL ? md.os : "?");
		printf("Kernel:          %s\n",
		       md.kernel != NULL ? md.kernel : "?");
		printf("Cgroup version:  %d\n", md.cgroup_version);
		printf("CPUs:            %d\n", md.ncpu);
		printf("Memory:          %s\n", mem);
		printf("Containers:      %zu (%d running, %d paused, %d "
		       "stopped)\n",
		       md.ncontainers, md.running, md.paused, md.stopped);
		free(mem);
	}
	model_docker_clear(&md);
	docker_close(d);
	return BERTH_EXIT_OK;
}

const struct cmd_entry cmd_docker_info_entry = {
    .name = "docker-info",
    .usage = "[--json]",
    .help = "show the Docker daemon berth talks to and where it came from",
    .exec = cmd_docker_info_exec,
};

/* Print one log line: stderr frames to stderr, sanitized. */
static void
cmd_logs_line(void *arg, int stream, const char *line, size_t len)
{
	char *s = util_sanitize_dup(line, len);

	fprintf(stream == 2 ? stderr : stdout, "%s\n", s);
	if (stream != 2)
		fflush(stdout);
	free(s);
}

static int
cmd_logs_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"follow", no_argument, NULL, 'f'},
	    {"tail", required_argument, NULL, 'n'},
	    {"timestamps", no_argument, NULL, 't'},
	    {NULL, 0, NULL, 0},
	};
	struct docker *d;
	long long tail = -1;
	int ch, follow = 0, timestamps = 0, rc = BERTH_EXIT_OK;
	char *end, *name = NULL;

	/* Options may come before or after the container, as with docker. */
	while (optind < argc) {
		ch = cmd_getopt(ctx, &cmd_logs_entry, argc, argv, "fn:t",
		                longopts, NULL);
		if (ch == -1) {
			if (optind < argc) {
				if (name != NULL)
					return cmd_usage_error(
					    &cmd_logs_entry,
					    "give exactly one container");
				name = argv[optind++];
			}
			continue;
		}
		if (ch == 'h')
			return BERTH_EXIT_OK;
		if (ch == '?')
			return BERTH_EXIT_USAGE;
		if (ch == 'f')
			follow = 1;
		else if (ch == 't')
			timestamps = 1;
		else if (ch == 'n') {
			if (strcmp(optarg, "all") == 0) {
				tail = -1;
				continue;
			}
			tail = strtoll(optarg, &end, 10);
			if (*end != '\0' || tail < 0)
				return cmd_usage_error(
				    &cmd_logs_entry,
				    "--tail needs a number or all, not %s",
				    optarg);
		}
	}
	if (name == NULL)
		return cmd_usage_error(&cmd_logs_entry,
		                       "give exactly one container");
	if ((d = cmd_docker_connect(ctx, &rc)) == NULL)
		return rc;
	docker_set_line_hook(d, cmd_logs_line, NULL);
	if (docker_logs_start(d, name, tail, follow, timestamps) == 0)
		docker_wait(d, follow ? UINT64_MAX / 2 : 600000);
	rc = docker_errors(d) > 0 ? BERTH_EXIT_FAILED : BERTH_EXIT_OK;
	docker_close(d);
	return rc;
}

const struct cmd_entry cmd_logs_entry = {
    .name = "logs",
    .usage = "CONTAINER [-f] [--tail N] [--timestamps]",
    .help = "print a container's logs (-f: follow them)",
    .exec = cmd_logs_exec,
};

struct cmd_container_action {
	const char *name;
	enum engine_cmd_type type;
};

static const struct cmd_container_action cmd_container_actions[] = {
    {"start", ENGINE_CMD_CT_START},     {"stop", ENGINE_CMD_CT_STOP},
    {"restart", ENGINE_CMD_CT_RESTART}, {"kill", ENGINE_CMD_CT_KILL},
    {"pause", ENGINE_CMD_CT_PAUSE},     {"unpause", ENGINE_CMD_CT_UNPAUSE},
    {"rm", ENGINE_CMD_CT_REMOVE},
};

static int
cmd_container_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"force", no_argument, NULL, 'f'},
	    {"volumes", no_argument, NULL, 'v'},
	    {"time", required_argument, NULL, 't'},
	    {NULL, 0, NULL, 0},
	};
	const struct cmd_container_action *act = NULL;
	struct docker *d;
	long long num = 0, t = 0;
	int ch, rc = BERTH_EXIT_OK, i;
	size_t k;
	char *end;

	while ((ch = cmd_getopt(ctx, &cmd_container_entry, argc, argv,
	                        "fvt:", longopts, NULL)) != -1) {
		if (ch == 'h')
			return BERTH_EXIT_OK;
		if (ch == '?')
			return BERTH_EXIT_USAGE;
		if (ch == 'f')
			num |= 1;
		else if (ch == 'v')
			num |= 2;
		else if (ch == 't') {
			t = strtoll(optarg, &end, 10);
			if (*end != '\0' || t < 0 || t > 3600)
				return cmd_usage_error(
				    &cmd_container_entry,
				    "-t needs seconds (0-3600), not %s",
				    optarg);
		}
	}
	if (optind >= argc)
		return cmd_usage_error(&cmd_container_entry, "no action given");
	for (k = 0; k < nitems(cmd_container_actions); k++) {
		if (strcmp(argv[optind], cmd_container_actions[k].name) == 0)
			act = &cmd_container_actions[k];
	}
	if (act == NULL)
		return cmd_usage_error(&cmd_container_entry,
		                       "unknown action %s", argv[optind]);
	/* Options may also follow the action: berth container rm -f NAME. */
	optind++;
	while ((ch = cmd_getopt(ctx, &cmd_container_entry, argc, argv,
	                        "fvt:", longopts, NULL)) != -1) {
		if (ch == 'h')
			return BERTH_EXIT_OK;
		if (ch == '?')
			return BERTH_EXIT_USAGE;
		if (ch == 'f')
			num |= 1;
		else if (ch == 'v')
			num |= 2;
		else if (ch == 't') {
			t = strtoll(optarg, &end, 10);
			if (*end != '\0' || t < 0 || t > 3600)
				return cmd_usage_error(
				    &cmd_container_entry,
				    "-t needs seconds (0-3600), not %s",
				    optarg);
		}
	}
	if (optind >= argc)
		return cmd_usage_error(&cmd_container_entry,
		                       "no container given");
	if (act->type == ENGINE_CMD_CT_STOP ||
	    act->type == ENGINE_CMD_CT_RESTART)
		num = t;
	if ((d = cmd_docker_connect(ctx, &rc)) == NULL)
		return rc;
	for (i = optind; i < argc; i++)
		docker_action(d, act->type, argv[i], num);
	docker_wait(d, 3700000);
	rc = docker_errors(d) > 0 ? BERTH_EXIT_FAILED : BERTH_EXIT_OK;
	docker_close(d);
	return rc;
}

const struct cmd_entry cmd_container_entry = {
    .name = "container",
    .usage = "start|stop|restart|kill|pause|unpause|rm [-f] [-v] [-t SECS] "
             "NAME...",
    .help = "act on containers (the daemon's error is shown as it is)",
    .exec = cmd_container_exec,
};
