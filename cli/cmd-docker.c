/*
 * cmd-docker.c: the Docker commands of the CLI: `berth ps`, `berth logs`,
 * `berth docker-info` and `berth container ACTION NAME…`. They use the
 * Docker component without an engine (backend/docker/docker.c): connect, run
 * the calls, print, exit. Text from the daemon comes as it was sent: --json
 * carries it so (escaped by jansson), tables and log lines are sanitized
 * here as they are printed. Exit codes: 0 done, 1 the daemon said no, 2 a
 * container the user named does not exist.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "docker/docker.h"
#include "cli/cli.h"
#include "vm/vm.h"

/*
 * Whether profile p's VM is certainly not running (libvirt answers and
 * says so): its forwarded socket then has no daemon behind it.
 */
static int
cmd_docker_vm_stopped(const struct profile *p)
{
	struct vm *vm = vm_new(p);
	struct model_vm m;
	int stopped = 0;

	memset(&m, 0, sizeof m);
	vm_set_oneshot(vm, 1);
	if (vm_connect(vm, NULL) == 0 && vm_refresh(vm, 0, NULL) == 0) {
		vm_fill(vm, &m);
		stopped = m.conn == MODEL_CONN_UP && model_vm_stopped(m.state);
		model_vm_clear(&m);
	}
	vm_free(vm);
	return stopped;
}

/*
 * Open the profile's Docker endpoint and connect, fetching only what the
 * command needs (DOCKER_WANT_*); NULL after a message.
 */
static struct docker *
cmd_docker_connect(struct cmd_ctx *ctx, int *rc, int want)
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
	docker_set_want(d, want);
	docker_refresh(d);
	docker_wait(d, 60000);
	memset(&md, 0, sizeof md);
	docker_fill_docker(d, &md);
	if (md.conn != MODEL_CONN_UP) {
		/* never another daemon's list: say why the VM's is not there */
		if (p != NULL && docker_endpoint(d)->from_vm &&
		    cmd_docker_vm_stopped(p))
			fprintf(stderr, "berth: %s\n", MODEL_VM_NOT_RUNNING);
		else
			fprintf(stderr, "berth: %s\n",
			        md.error != NULL ? md.error
			                         : "Docker is not reachable");
		profile_free(p);
		model_docker_clear(&md);
		docker_close(d);
		*rc = BERTH_EXIT_FAILED;
		return NULL;
	}
	model_docker_clear(&md);
	profile_free(p);
	return d;
}

/*
 * The exit code for what happened: 1 when the daemon refused something,
 * 2 when every failure was a container that does not exist.
 */
static int
cmd_docker_rc(struct docker *d)
{
	if (docker_errors(d) > docker_unknown(d))
		return BERTH_EXIT_FAILED;
	if (docker_unknown(d) > 0)
		return BERTH_EXIT_USAGE;
	return BERTH_EXIT_OK;
}

/* Daemon text for a terminal (NULL as ""); the caller frees it. */
static char *
cmd_docker_safe(const char *s)
{
	return s != NULL ? util_sanitize_dup(s, strlen(s)) : xstrdup("");
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

/*
 * Parse each --interval given, in order (the last one counts); prints a
 * usage error and returns -1 at a bad one.
 */
static int
cmd_docker_interval(const struct cmd_entry *c, const struct cmd_args *a,
                    uint64_t *ms)
{
	char *cause = NULL;
	size_t i;

	for (i = 0; i < a->nvalues; i++) {
		if (!util_streq(a->values[i].opt->name, "interval"))
			continue;
		if (units_parse_duration(a->values[i].value, ms, &cause) != 0 ||
		    *ms < 100) {
			cmd_usage_error(c, "--interval: %s",
			                cause != NULL ? cause
			                              : "at least 100ms");
			free(cause);
			return -1;
		}
	}
	return 0;
}

static int
cmd_ps_shown(const struct model_container *c, int all)
{
	return all || strcmp(c->state, "running") == 0 ||
	       strcmp(c->state, "paused") == 0 ||
	       strcmp(c->state, "restarting") == 0;
}

/* One row of the ps table, sanitized; the caller frees it. */
static char *
cmd_ps_row(const struct model_container *c)
{
	char *ports = cmd_docker_ports(c), *row, *safe;

	row = xasprintf("%-12.12s  %-24s  %-20s  %-24s  %s\n", c->id, c->name,
	                c->image != NULL ? c->image : "",
	                c->status != NULL ? c->status : c->state, ports);
	safe = cmd_docker_safe(row);
	/* util_sanitize shows the row's own newline as ^J: put it back. */
	if (strlen(safe) >= 2 && strcmp(safe + strlen(safe) - 2, "^J") == 0)
		strcpy(safe + strlen(safe) - 2, "\n");
	free(row);
	free(ports);
	return safe;
}

/* The list as text: one JSON line, or a table. The caller frees it. */
static char *
cmd_ps_render(const struct model_docker *md, int all, int json)
{
	char *out, *next, *row;
	size_t i;

	if (json) {
		json_t *o = json_object(), *arr = json_array();

		json_object_set_new(
		    o, "connection",
		    json_string(md->conn == MODEL_CONN_UP ? "up" : "down"));
		json_object_set_new(o, "error", cmd_docker_jstr(md->error));
		for (i = 0; i < md->ncontainers; i++) {
			if (cmd_ps_shown(&md->containers[i], all))
				json_array_append_new(arr,
				                      cmd_docker_container_json(
				                          &md->containers[i]));
		}
		json_object_set_new(o, "containers", arr);
		out = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
		json_decref(o);
		return out;
	}
	out = xasprintf("%-12s  %-24s  %-20s  %-24s  %s\n", "CONTAINER ID",
	                "NAME", "IMAGE", "STATUS", "PORTS");
	if (md->conn != MODEL_CONN_UP && md->error != NULL) {
		next = xasprintf("%s(%s)\n", out, md->error);
		free(out);
		out = next;
	}
	for (i = 0; i < md->ncontainers; i++) {
		const struct model_container *c = &md->containers[i];

		if (!cmd_ps_shown(c, all))
			continue;
		row = cmd_ps_row(c);
		next = xasprintf("%s%s", out, row);
		free(row);
		free(out);
		out = next;
	}
	return out;
}

/*
 * berth ps --watch: keep the list current from the events stream and
 * print it again whenever it changes. Ends on a signal.
 */
static int
cmd_ps_watch(struct docker *d, int all, int json, uint64_t interval)
{
	struct model_docker md;
	char *last = NULL, *now;
	uint64_t next = 0, t;

	docker_set_live(d, 0);
	for (;;) {
		if (util_mono_ms() >= next) {
			docker_refresh(d);
			next = util_mono_ms() + interval;
		}
		t = util_mono_ms();
		docker_poll(d, next > t ? (int)(next - t) : 0);
		if (!docker_take_dirty(d))
			continue;
		memset(&md, 0, sizeof md);
		docker_fill_docker(d, &md);
		now = cmd_ps_render(&md, all, json);
		model_docker_clear(&md);
		if (last == NULL || strcmp(now, last) != 0) {
			free(last);
			last = now;
			/* Stop when nobody reads any more. */
			if (printf("%s\n", now) < 0 || fflush(stdout) != 0)
				break;
		} else
			free(now);
	}
	free(last);
	docker_close(d);
	return BERTH_EXIT_OK;
}

static int
cmd_ps_exec(struct cmd_ctx *ctx, struct cmd_args *a)
{
	struct docker *d;
	struct model_docker md;
	int all = cmd_args_has(a, "all"), json = cmd_args_has(a, "json");
	int watch = cmd_args_has(a, "watch"), rc = BERTH_EXIT_OK;
	uint64_t interval = 2000;
	size_t i;

	if (cmd_docker_interval(&cmd_ps_entry, a, &interval) != 0)
		return BERTH_EXIT_USAGE;
	if (a->argc > 0)
		return cmd_usage_error(&cmd_ps_entry, "unexpected argument %s",
		                       a->argv[0]);
	if ((d = cmd_docker_connect(ctx, &rc, DOCKER_WANT_LIST)) == NULL)
		return rc;
	if (watch)
		return cmd_ps_watch(d, all, json, interval);
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

			if (cmd_ps_shown(c, all))
				json_array_append_new(
				    arr, cmd_docker_container_json(c));
		}
		cmd_docker_print_json(arr);
	} else {
		printf("%-12s  %-24s  %-20s  %-24s  %s\n", "CONTAINER ID",
		       "NAME", "IMAGE", "STATUS", "PORTS");
		for (i = 0; i < md.ncontainers; i++) {
			const struct model_container *c = &md.containers[i];
			char *row;

			if (!cmd_ps_shown(c, all))
				continue;
			row = cmd_ps_row(c);
			fputs(row, stdout);
			free(row);
		}
	}
	model_docker_clear(&md);
	docker_close(d);
	return BERTH_EXIT_OK;
}

const struct cmd_entry cmd_ps_entry = {
    .name = "ps",
    .usage = "[-a] [--json] [--watch [--interval DUR]]",
    .help = "list containers (-a: stopped ones too; --watch: live)",
    .options =
        (const struct cmd_option[]){
            {'a', "all", NULL, "stopped containers too", CMD_KIND_NONE, 0},
            {0, "json", NULL, "print JSON", CMD_KIND_NONE, 0},
            {0, "watch", NULL, "print the list again whenever it changes",
             CMD_KIND_NONE, 0},
            {0, "interval", "DUR",
             "--watch: list every DUR without events (2s)", CMD_KIND_NONE, 0},
            {0, NULL, NULL, NULL, CMD_KIND_NONE, 0},
        },
    .max_args = -1,
    .exec = cmd_ps_exec,
};

static int
cmd_docker_info_exec(struct cmd_ctx *ctx, struct cmd_args *a)
{
	struct docker *d;
	struct model_docker md;
	int json = cmd_args_has(a, "json"), rc = BERTH_EXIT_OK;
	char *mem;

	if (a->argc > 0)
		return cmd_usage_error(&cmd_docker_info_entry,
		                       "unexpected argument %s", a->argv[0]);
	if ((d = cmd_docker_connect(
	         ctx, &rc, DOCKER_WANT_FACTS | DOCKER_WANT_LIST)) == NULL)
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
		json_object_set_new(o, "cpus", json_integer(md.ncpu));
		json_object_set_new(o, "memory_bytes",
		                    json_integer((json_int_t)md.mem_total));
		json_object_set_new(o, "containers",
		                    json_integer((json_int_t)md.ncontainers));
		json_object_set_new(o, "running", json_integer(md.running));
		json_object_set_new(o, "paused", json_integer(md.paused));
		json_object_set_new(o, "stopped", json_integer(md.stopped));
		cmd_docker_print_json(o);
	} else {
		char *ver =
		    cmd_docker_safe(md.version != NULL ? md.version : "?");
		char *api = cmd_docker_safe(
		    md.api_version != NULL ? md.api_version : "?");
		char *os = cmd_docker_safe(md.os != NULL ? md.os : "?");
		char *kernel =
		    cmd_docker_safe(md.kernel != NULL ? md.kernel : "?");

		mem = units_format_size(md.mem_total);
		printf("Endpoint:        %s\n", md.endpoint);
		printf("Source:          %s\n", md.source);
		printf("Engine version:  %s\n", ver);
		printf("API version:     %s\n", api);
		printf("OS:              %s\n", os);
		printf("Kernel:          %s\n", kernel);
		free(ver);
		free(api);
		free(os);
		free(kernel);
		printf("Cgroup version:  %d\n", md.cgroup_version);
		printf("CPUs:            %d\n", md.ncpu);
		printf("Memory:          %s\n", mem);
		printf("Containers:      %zu (%d running, %d paused, %d "
		       "stopped)\n",
		       md.ncontainers, md.running, md.paused, md.stopped);
		free(mem);
	}
	model_docker_clear(&md);
	/* What could not be read was said on stderr: not a success. */
	rc = cmd_docker_rc(d);
	docker_close(d);
	return rc;
}

const struct cmd_entry cmd_docker_info_entry = {
    .name = "docker-info",
    .usage = "[--json]",
    .help = "show the Docker daemon berth talks to and where it came from",
    .options =
        (const struct cmd_option[]){
            {0, "json", NULL, "print JSON", CMD_KIND_NONE, 0},
            {0, NULL, NULL, NULL, CMD_KIND_NONE, 0},
        },
    .max_args = -1,
    .exec = cmd_docker_info_exec,
};

#define CMD_LOGS_QUIET_MS 250

/*
 * What berth logs prints. Merged (--project), each line is prefixed with
 * its container's name and held until the stream has been quiet for a
 * moment, so the lines of different containers come out in time order.
 */
struct cmd_logs {
	int merged, timestamps;
	size_t width; /* of the name column */
	struct cmd_logs_line {
		char *name, *ts, *text;
		int stream;
		size_t order;
	} * held;
	size_t nheld, order;
	uint64_t last; /* when the last line came */
};

/* Print one line: stderr frames to stderr, sanitized. */
static void
cmd_logs_print(const struct cmd_logs *cl, const char *name, int stream,
               const char *ts, const char *text)
{
	FILE *f = stream == 2 ? stderr : stdout;

	if (cl->merged)
		fprintf(f, "%-*s | ", (int)cl->width, name);
	if (ts != NULL)
		fprintf(f, "%s ", ts);
	fprintf(f, "%s\n", text);
	if (stream != 2)
		fflush(stdout);
}

static void
cmd_logs_line(void *arg, const char *name, int stream, const char *line,
              size_t len)
{
	struct cmd_logs *cl = arg;
	struct cmd_logs_line *h;
	char *ts = NULL, *text;

	if (!cl->merged) {
		text = util_sanitize_dup(line, len);
		cmd_logs_print(cl, name, stream, NULL, text);
		free(text);
		return;
	}
	/* merged logs always carry their time; shown with -t only */
	ts = docker_log_take_time(&line, &len);
	cl->held = xreallocarray(cl->held, cl->nheld + 1, sizeof *cl->held);
	h = &cl->held[cl->nheld++];
	h->name = util_sanitize_dup(name, strlen(name));
	h->ts = ts;
	h->text = util_sanitize_dup(line, len);
	h->stream = stream;
	h->order = cl->order++;
	cl->last = util_mono_ms();
}

static int
cmd_logs_cmp(const void *a, const void *b)
{
	const struct cmd_logs_line *x = a, *y = b;
	int c = docker_log_time_cmp(x->ts, y->ts);

	if (c != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Print the held lines in time order. */
static void
cmd_logs_flush(struct cmd_logs *cl)
{
	size_t i;

	if (cl->nheld == 0)
		return;
	qsort(cl->held, cl->nheld, sizeof *cl->held, cmd_logs_cmp);
	for (i = 0; i < cl->nheld; i++) {
		cmd_logs_print(cl, cl->held[i].name, cl->held[i].stream,
		               cl->timestamps ? cl->held[i].ts : NULL,
		               cl->held[i].text);
		free(cl->held[i].name);
		free(cl->held[i].ts);
		free(cl->held[i].text);
	}
	cl->nheld = 0;
}

/*
 * Follow until the stream ends. A stream has no total timeout, so ping
 * the daemon every few seconds: a frozen one ends it with a message.
 */
static void
cmd_logs_follow(struct docker *d, struct cmd_logs *cl)
{
	uint64_t next_ping = util_mono_ms() + 5000;

	while (docker_busy(d)) {
		docker_poll(d, cl->merged ? 100 : 1000);
		/*
		 * A quiet moment (no line for CMD_LOGS_QUIET_MS): what came is
		 * all there is for now, the backlogs of every container too.
		 */
		if (cl->nheld > 0 &&
		    util_mono_ms() >= cl->last + CMD_LOGS_QUIET_MS)
			cmd_logs_flush(cl);
		if (util_mono_ms() >= next_ping) {
			docker_ping(d);
			next_ping = util_mono_ms() + 5000;
		}
	}
}

/*
 * The running and stopped containers of a compose project (the label
 * com.docker.compose.project); *n of them, ids allocated. NULL after a
 * message when there are none.
 */
static char **
cmd_logs_project(struct docker *d, const char *project, size_t *n,
                 size_t *width)
{
	struct model_docker md;
	char **ids = NULL;
	size_t i, w;

	*n = 0;
	memset(&md, 0, sizeof md);
	docker_fill_docker(d, &md);
	for (i = 0; i < md.ncontainers; i++) {
		const struct model_container *c = &md.containers[i];

		if (c->project == NULL || strcmp(c->project, project) != 0)
			continue;
		ids = xreallocarray(ids, *n + 1, sizeof *ids);
		ids[(*n)++] = xstrdup(c->id);
		w = strlen(c->name);
		if (w > *width)
			*width = w;
	}
	model_docker_clear(&md);
	if (*n == 0) {
		char *safe = cmd_docker_safe(project);

		fprintf(stderr,
		        "berth: no containers of compose project %s "
		        "(berth ps lists them)\n",
		        safe);
		free(safe);
	}
	return ids;
}

/* --since/--until: a duration, an RFC 3339 time or Unix seconds. */
static int
cmd_logs_time(struct cmd_args *a, const char *opt, char **out)
{
	const char *v = cmd_args_get(a, opt);
	char *cause = NULL;

	*out = NULL;
	if (v == NULL)
		return 0;
	if ((*out = units_time_arg(v, time(NULL), &cause)) == NULL) {
		cmd_usage_error(&cmd_logs_entry, "--%s: %s", opt, cause);
		free(cause);
		return -1;
	}
	return 0;
}

static int
cmd_logs_exec(struct cmd_ctx *ctx, struct cmd_args *a)
{
	struct docker *d;
	struct docker_logs_opts o = {.tail = -1};
	struct cmd_logs cl;
	const char *v, *project = cmd_args_get(a, "project");
	char *end, *since = NULL, *until = NULL, **ids = NULL;
	size_t i, n = 0;
	int rc = BERTH_EXIT_OK;

	memset(&cl, 0, sizeof cl);
	o.follow = cmd_args_has(a, "follow");
	o.timestamps = cl.timestamps = cmd_args_has(a, "timestamps");
	for (i = 0; i < a->nvalues; i++) {
		if (!util_streq(a->values[i].opt->name, "tail"))
			continue;
		if (strcmp((v = a->values[i].value), "all") == 0) {
			o.tail = -1;
			continue;
		}
		o.tail = strtoll(v, &end, 10);
		if (*end != '\0' || o.tail < 0)
			return cmd_usage_error(
			    &cmd_logs_entry,
			    "--tail needs a number or all, not %s", v);
	}
	if (project != NULL ? a->argc != 0 : a->argc != 1)
		return cmd_usage_error(&cmd_logs_entry,
		                       project != NULL
		                           ? "give --project or a container, "
		                             "not both"
		                           : "give exactly one container");
	if (cmd_logs_time(a, "since", &since) != 0)
		return BERTH_EXIT_USAGE;
	if (cmd_logs_time(a, "until", &until) != 0) {
		free(since);
		return BERTH_EXIT_USAGE;
	}
	o.since = since;
	o.until = until;
	/* Logs need no list (a broken one must not fail them); a project does.
	 */
	d = cmd_docker_connect(ctx, &rc,
	                       project != NULL ? DOCKER_WANT_LIST : 0);
	if (d != NULL && project != NULL &&
	    (ids = cmd_logs_project(d, project, &n, &cl.width)) == NULL)
		rc = BERTH_EXIT_FAILED;
	if (d != NULL && rc == BERTH_EXIT_OK) {
		cl.merged = project != NULL;
		docker_set_line_hook(d, cmd_logs_line, &cl);
		if ((cl.merged
		         ? docker_logs_start_opts(d, (const char *const *)ids,
		                                  n, project, &o)
		         : docker_logs_start_opts(d,
		                                  (const char *const *)a->argv,
		                                  1, NULL, &o)) == 0) {
			if (o.follow)
				cmd_logs_follow(d, &cl);
			else
				docker_wait(d, 600000);
		}
		cmd_logs_flush(&cl);
		rc = cmd_docker_rc(d);
	}
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	free(cl.held);
	free(since);
	free(until);
	docker_close(d);
	return rc;
}

const struct cmd_entry cmd_logs_entry = {
    .name = "logs",
    .usage = "CONTAINER|--project NAME [-f] [--tail N] [--since T] "
             "[--until T] [-t]",
    .args = "CONTAINER",
    .help = "print a container's logs, or a compose project's merged by "
            "time (-f: follow them)",
    .options =
        (const struct cmd_option[]){
            {'f', "follow", NULL, "follow until the container stops",
             CMD_KIND_NONE, 0},
            {'n', "tail", "N", "the last N lines (a number or all)",
             CMD_KIND_NONE, 0},
            {0, "since", "T",
             "lines from T on: a duration back from now (10m, 2h, 1h30m), "
             "an RFC 3339 time (2024-05-01T10:00:00Z) or Unix seconds",
             CMD_KIND_NONE, 0},
            {0, "until", "T", "lines up to T (the same forms as --since)",
             CMD_KIND_NONE, 0},
            {'t', "timestamps", NULL, "show each line's time", CMD_KIND_NONE,
             0},
            {'P', "project", "NAME",
             "every container of a compose project, lines merged by time "
             "and prefixed with the container's name",
             CMD_KIND_NONE, 0},
            {0, NULL, NULL, NULL, CMD_KIND_NONE, 0},
        },
    /* Options before or after the container, as with docker. */
    .max_args = -1,
    .opts_until = -1,
    .kind = CMD_KIND_CONTAINER,
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
cmd_container_exec(struct cmd_ctx *ctx, struct cmd_args *a)
{
	const struct cmd_container_action *act = NULL;
	struct docker *d;
	long long num = 0, t = 0;
	char *end;
	int rc, i;
	size_t k;

	if (cmd_args_has(a, "force"))
		num |= 1;
	if (cmd_args_has(a, "volumes"))
		num |= 2;
	for (k = 0; k < a->nvalues; k++) {
		if (!util_streq(a->values[k].opt->name, "time"))
			continue;
		t = strtoll(a->values[k].value, &end, 10);
		if (*end != '\0' || t < 0 || t > 3600)
			return cmd_usage_error(
			    &cmd_container_entry,
			    "-t needs seconds (0-3600), not %s",
			    a->values[k].value);
	}
	if (a->argc == 0)
		return cmd_usage_error(&cmd_container_entry, "no action given");
	for (k = 0; k < nitems(cmd_container_actions); k++) {
		if (strcmp(a->argv[0], cmd_container_actions[k].name) == 0)
			act = &cmd_container_actions[k];
	}
	if (act == NULL)
		return cmd_usage_error(&cmd_container_entry,
		                       "unknown action %s", a->argv[0]);
	if (a->argc < 2)
		return cmd_usage_error(&cmd_container_entry,
		                       "no container given");
	if (act->type == ENGINE_CMD_CT_STOP ||
	    act->type == ENGINE_CMD_CT_RESTART)
		num = t;
	if ((d = cmd_docker_connect(ctx, &rc, 0)) == NULL)
		return rc;
	for (i = 1; i < a->argc; i++)
		docker_action(d, act->type, a->argv[i], num);
	docker_wait(d, 3700000);
	rc = cmd_docker_rc(d);
	docker_close(d);
	return rc;
}

const struct cmd_entry cmd_container_entry = {
    .name = "container",
    .usage = "start|stop|restart|kill|pause|unpause|rm [-f] [-v] [-t SECS] "
             "NAME...",
    .args = "start|stop|restart|kill|pause|unpause|rm NAME...",
    .help = "act on containers (the daemon's error is shown as it is)",
    .options =
        (const struct cmd_option[]){
            {'f', "force", NULL, "rm: a running one too", CMD_KIND_NONE, 0},
            {'v', "volumes", NULL, "rm: its anonymous volumes too",
             CMD_KIND_NONE, 0},
            {'t', "time", "SECS", "stop, restart: the grace period",
             CMD_KIND_NONE, 0},
            {0, NULL, NULL, NULL, CMD_KIND_NONE, 0},
        },
    /* Options before and after the action: berth container rm -f NAME. */
    .max_args = -1,
    .opts_until = 1,
    .kind = CMD_KIND_CONTAINER,
    .words = (const char *const[]){"start", "stop", "restart", "kill", "pause",
                                   "unpause", "rm", NULL},
    .exec = cmd_container_exec,
};

/* Ids of the containers the user named (names or id prefixes). */
static char *
cmd_stats_ids(const struct model_docker *md, int argc, char **argv, int *rc)
{
	char *ids = xstrdup(""), *next;
	size_t i, len;
	int k, found;

	for (k = 0; k < argc; k++) {
		len = strlen(argv[k]);
		found = 0;
		for (i = 0; i < md->ncontainers && !found; i++) {
			const struct model_container *c = &md->containers[i];

			if (strcmp(c->name, argv[k]) == 0 ||
			    (len >= 3 && strncmp(c->id, argv[k], len) == 0)) {
				next = xasprintf("%s%s ", ids, c->id);
				free(ids);
				ids = next;
				found = 1;
			}
		}
		if (!found) {
			char *safe = cmd_docker_safe(argv[k]);

			fprintf(stderr, "berth: no such container: %s\n", safe);
			free(safe);
			*rc = BERTH_EXIT_USAGE;
		}
	}
	return ids;
}

/*
 * Print one sample: a table, or one JSON array per sample (an empty one
 * when nothing runs). Returns how many running containers that were
 * asked for have no figures.
 */
static int
cmd_stats_print(const struct model_docker *md, const char *ids, int json)
{
	char *mem, *lim, *rx, *tx, *rd, *wr, *name;
	json_t *arr = json ? json_array() : NULL;
	int missing = 0;
	size_t i;

	if (!json)
		printf("%-12s  %-24s  %7s  %-22s  %6s  %-21s  %-21s  %s\n",
		       "CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT",
		       "MEM %", "NET RX/TX per s", "BLOCK R/W per s", "PIDS");
	for (i = 0; i < md->ncontainers; i++) {
		const struct model_container *c = &md->containers[i];

		if (*ids != '\0' && strstr(ids, c->id) == NULL)
			continue;
		if (!c->has_stats) {
			if (strcmp(c->state, "running") == 0)
				missing++;
			continue;
		}
		if (json) {
			json_t *o = json_object();

			json_object_set_new(o, "id", json_string(c->id));
			json_object_set_new(o, "name", json_string(c->name));
			json_object_set_new(o, "cpu_percent",
			                    json_real(c->cpu_pct));
			json_object_set_new(
			    o, "memory_used_bytes",
			    json_integer((json_int_t)c->mem_used));
			json_object_set_new(
			    o, "memory_limit_bytes",
			    json_integer((json_int_t)c->mem_limit));
			json_object_set_new(o, "memory_percent",
			                    json_real(c->mem_pct));
			json_object_set_new(o, "net_rx_bytes_per_s",
			                    json_real(c->rx_bps));
			json_object_set_new(o, "net_tx_bytes_per_s",
			                    json_real(c->tx_bps));
			json_object_set_new(o, "block_read_bytes_per_s",
			                    json_real(c->rd_bps));
			json_object_set_new(o, "block_write_bytes_per_s",
			                    json_real(c->wr_bps));
			json_object_set_new(o, "pids",
			                    json_integer((json_int_t)c->pids));
			json_object_set_new(o, "source",
			                    cmd_docker_jstr(md->stats_source));
			json_array_append_new(arr, o);
			continue;
		}
		mem = units_format_size(c->mem_used);
		lim = units_format_size(c->mem_limit);
		rx = units_format_size((uint64_t)c->rx_bps);
		tx = units_format_size((uint64_t)c->tx_bps);
		rd = units_format_size((uint64_t)c->rd_bps);
		wr = units_format_size((uint64_t)c->wr_bps);
		name = cmd_docker_safe(c->name);
		printf("%-12.12s  %-24s  %6.2f%%  %9s / %-10s  %5.2f%%  %9s / "
		       "%-9s  %9s / %-9s  %llu\n",
		       c->id, name, c->cpu_pct, mem, lim, c->mem_pct, rx, tx,
		       rd, wr, (unsigned long long)c->pids);
		free(name);
		free(mem);
		free(lim);
		free(rx);
		free(tx);
		free(rd);
		free(wr);
	}
	if (json) {
		char *line = json_dumps(arr, JSON_COMPACT | JSON_ENSURE_ASCII);

		printf("%s\n", line);
		free(line);
		json_decref(arr);
	}
	fflush(stdout);
	return missing;
}

/*
 * berth stats: the figures docker stats shows, from two of berth's own
 * samples an interval apart (cgroup files when the daemon is local,
 * one-shot API calls otherwise); --no-stream prints once.
 */
static int
cmd_stats_exec(struct cmd_ctx *ctx, struct cmd_args *a)
{
	struct docker *d;
	struct model_docker md;
	int json = cmd_args_has(a, "json"), once = cmd_args_has(a, "no-stream");
	int rc = BERTH_EXIT_OK, samples = 0;
	uint64_t interval = 0, next;
	char *ids;

	if (cmd_docker_interval(&cmd_stats_entry, a, &interval) != 0)
		return BERTH_EXIT_USAGE;
	if (interval == 0)
		interval = once ? 1000 : 2000;
	if ((d = cmd_docker_connect(ctx, &rc, DOCKER_WANT_LIST)) == NULL)
		return rc;
	if (docker_errors(d) > 0) { /* the list failed, and said why */
		docker_close(d);
		return BERTH_EXIT_FAILED;
	}
	memset(&md, 0, sizeof md);
	docker_fill_docker(d, &md);
	ids = cmd_stats_ids(&md, a->argc, a->argv, &rc);
	model_docker_clear(&md);
	if (rc != BERTH_EXIT_OK) {
		free(ids);
		docker_close(d);
		return rc;
	}
	docker_set_visible(d, ids);
	docker_set_live(d, 1);
	for (;;) {
		next = util_mono_ms() + interval;
		docker_refresh(d);
		docker_wait(d, 60000);
		/*
		 * The first sample may take long (the guest's reader starts
		 * with it): the second still comes an interval after it, so
		 * the rates cover one.
		 */
		if (samples == 0)
			next = util_mono_ms() + interval;
		if (++samples >= 2) {
			memset(&md, 0, sizeof md);
			docker_fill_docker(d, &md);
			if (md.conn != MODEL_CONN_UP && md.error != NULL) {
				fprintf(stderr, "berth: %s\n", md.error);
				rc = BERTH_EXIT_FAILED;
			} else if (cmd_stats_print(&md, ids, json) > 0 &&
			           docker_stats_error(d) != NULL) {
				/* Say why figures are missing. */
				fprintf(stderr, "berth: no stats: %s\n",
				        docker_stats_error(d));
				rc = BERTH_EXIT_FAILED;
			}
			model_docker_clear(&md);
			if (once)
				break;
		}
		while (util_mono_ms() < next)
			docker_poll(d, (int)(next - util_mono_ms()));
	}
	free(ids);
	docker_close(d);
	return rc;
}

const struct cmd_entry cmd_stats_entry = {
    .name = "stats",
    .usage = "[--no-stream] [--json] [--interval DUR] [CONTAINER...]",
    .args = "[CONTAINER...]",
    .help = "live CPU, memory, network and block I/O of running containers",
    .options =
        (const struct cmd_option[]){
            {0, "no-stream", NULL, "print once", CMD_KIND_NONE, 0},
            {0, "json", NULL, "one JSON array a sample", CMD_KIND_NONE, 0},
            {0, "interval", "DUR", "time between samples (2s; 1s once)",
             CMD_KIND_NONE, 0},
            {0, NULL, NULL, NULL, CMD_KIND_NONE, 0},
        },
    .max_args = -1,
    .kind = CMD_KIND_CONTAINER,
    .exec = cmd_stats_exec,
};
