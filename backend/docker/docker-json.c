/*
 * docker-json.c: the Docker daemon's JSON answers turned into berth's model
 * structs with jansson. Names, images, commands, labels and statuses are
 * kept as the daemon sent them (bytes that are not UTF-8 become U+FFFD),
 * so --json output carries the real strings; whoever shows them on a
 * terminal sanitizes them there (draw_text, the CLI's tables). Error
 * messages, which go straight into messages, are sanitized here. Ids are
 * checked to be plain hex before they go into a URL. Broken or truncated
 * JSON gives a one-line cause, never a crash.
 */

#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "docker/docker.h"

/* Parse len bytes of JSON; NULL and a cause when it is not JSON. */
static json_t *
json_parse(const char *buf, size_t len, const char *what, char **cause)
{
	json_error_t jerr;
	json_t *root;

	char *fixed;
	size_t flen;

	if (buf == NULL || len == 0) {
		util_set_cause(cause, "Docker sent an empty %s", what);
		return NULL;
	}
	/* One bad byte in one name must not lose the whole answer. */
	if ((fixed = util_utf8_repair(buf, len, &flen)) != NULL) {
		root = json_loadb(fixed, flen, JSON_ALLOW_NUL, &jerr);
		free(fixed);
	} else
		root = json_loadb(buf, len, JSON_ALLOW_NUL, &jerr);
	if (root == NULL) {
		char *msg = util_sanitize_dup(jerr.text, strlen(jerr.text));

		util_set_cause(cause, "Docker sent a broken %s (%s at byte %d)",
		               what, msg, jerr.position);
		free(msg);
	}
	return root;
}

/*
 * A copy of a JSON string member as sent (valid UTF-8, up to a NUL), or
 * NULL when absent. Not safe for a terminal as it is.
 */
static char *
json_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		return NULL;
	return xstrdup(json_string_value(v));
}

static int64_t
json_int(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (json_is_integer(v))
		return (int64_t)json_integer_value(v);
	if (json_is_real(v))
		return (int64_t)json_real_value(v);
	return 0;
}

static uint64_t
json_u64(json_t *o, const char *key)
{
	int64_t v = json_int(o, key);

	return v < 0 ? 0 : (uint64_t)v;
}

/* 64 lower-case hex digits (a full container id). */
int
docker_id_valid(const char *id)
{
	size_t i;

	if (id == NULL)
		return 0;
	for (i = 0; id[i] != '\0'; i++) {
		if (!((id[i] >= '0' && id[i] <= '9') ||
		      (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	}
	return i == 64;
}

/* /version: engine version, API version, OS and kernel. */
int
docker_json_version(const char *buf, size_t len, struct model_docker *d,
                    char **cause)
{
	json_t *root = json_parse(buf, len, "version", cause);
	char *os, *arch;

	if (root == NULL)
		return -1;
	if (!json_is_object(root)) {
		json_decref(root);
		util_set_cause(cause, "Docker's version is not an object");
		return -1;
	}
	free(d->version);
	d->version = json_str(root, "Version");
	free(d->api_version);
	d->api_version = json_str(root, "ApiVersion");
	free(d->kernel);
	d->kernel = json_str(root, "KernelVersion");
	os = json_str(root, "Os");
	arch = json_str(root, "Arch");
	if (os != NULL && d->os == NULL)
		d->os =
		    arch != NULL ? xasprintf("%s/%s", os, arch) : xstrdup(os);
	free(os);
	free(arch);
	json_decref(root);
	return 0;
}

/* /info: OS, cgroup version, CPUs, memory and container counts. */
int
docker_json_info(const char *buf, size_t len, struct model_docker *d,
                 char **cause)
{
	json_t *root = json_parse(buf, len, "info", cause);
	char *cg, *os;

	if (root == NULL)
		return -1;
	if (!json_is_object(root)) {
		json_decref(root);
		util_set_cause(cause, "Docker's info is not an object");
		return -1;
	}
	if ((os = json_str(root, "OperatingSystem")) != NULL) {
		free(d->os);
		d->os = os;
	}
	if (d->kernel == NULL)
		d->kernel = json_str(root, "KernelVersion");
	cg = json_str(root, "CgroupVersion");
	d->cgroup_version = cg != NULL ? atoi(cg) : 1;
	free(cg);
	d->ncpu = (int)json_int(root, "NCPU");
	d->mem_total = json_u64(root, "MemTotal");
	d->running = (int)json_int(root, "ContainersRunning");
	d->paused = (int)json_int(root, "ContainersPaused");
	d->stopped = (int)json_int(root, "ContainersStopped");
	json_decref(root);
	return 0;
}

/* One container object of /containers/json into c. */
static int
json_container(json_t *o, struct model_container *c)
{
	json_t *names, *ports, *labels, *p;
	const char *name;
	size_t i, n;

	memset(c, 0, sizeof *c);
	if (!json_is_object(o))
		return -1;
	c->id = json_str(o, "Id");
	if (!docker_id_valid(c->id)) {
		model_container_clear(c);
		return -1;
	}
	names = json_object_get(o, "Names");
	name = json_string_value(json_array_get(names, 0));
	if (name != NULL) {
		if (*name == '/')
			name++;
		c->name = xstrdup(name);
	} else
		c->name = xstrndup(c->id, 12);
	c->image = json_str(o, "Image");
	c->command = json_str(o, "Command");
	c->created = json_int(o, "Created");
	c->state = json_str(o, "State");
	c->status = json_str(o, "Status");
	if (c->state == NULL)
		c->state = xstrdup("unknown");
	labels = json_object_get(o, "Labels");
	c->project = json_str(labels, "com.docker.compose.project");
	c->service = json_str(labels, "com.docker.compose.service");
	ports = json_object_get(o, "Ports");
	n = json_is_array(ports) ? json_array_size(ports) : 0;
	if (n > 256)
		n = 256;
	if (n > 0) {
		c->ports = xcalloc(n, sizeof *c->ports);
		json_array_foreach(ports, i, p)
		{
			struct model_port *mp;

			if (i >= n)
				break;
			mp = &c->ports[c->nports++];
			mp->ip = json_str(p, "IP");
			mp->private_port = (int)json_int(p, "PrivatePort");
			mp->public_port = (int)json_int(p, "PublicPort");
			mp->proto = json_str(p, "Type");
		}
	}
	return 0;
}

/*
 * /containers/json: the list into a new array the caller frees (each entry
 * with model_container_clear). Entries without a valid id are skipped.
 */
int
docker_json_containers(const char *buf, size_t len,
                       struct model_container **out, size_t *nout, char **cause)
{
	json_t *root = json_parse(buf, len, "container list", cause), *o;
	struct model_container *list;
	size_t i, n = 0;

	*out = NULL;
	*nout = 0;
	if (root == NULL)
		return -1;
	if (!json_is_array(root)) {
		json_decref(root);
		util_set_cause(cause, "Docker's container list is not a list");
		return -1;
	}
	list = xcalloc(json_array_size(root) + 1, sizeof *list);
	json_array_foreach(root, i, o)
	{
		if (json_container(o, &list[n]) == 0)
			n++;
	}
	json_decref(root);
	*out = list;
	*nout = n;
	return 0;
}

/*
 * /containers/{id}/json: the full id and name (caller frees) and whether
 * the container has a TTY and its main pid.
 */
int
docker_json_inspect(const char *buf, size_t len, char **id, int *tty, int *pid,
                    char **cause)
{
	json_t *root = json_parse(buf, len, "container", cause);
	json_t *cfg, *state;

	if (root == NULL)
		return -1;
	*id = json_str(root, "Id");
	if (!docker_id_valid(*id)) {
		free(*id);
		*id = NULL;
		json_decref(root);
		util_set_cause(cause, "Docker sent a container without an id");
		return -1;
	}
	cfg = json_object_get(root, "Config");
	*tty = json_is_true(json_object_get(cfg, "Tty"));
	state = json_object_get(root, "State");
	if (pid != NULL)
		*pid = (int)json_int(state, "Pid");
	json_decref(root);
	return 0;
}

/*
 * /containers/{id}/json for an action: the full id, whether it runs or is
 * paused, when it last started and its own stop grace (Config.StopTimeout,
 * -1 when it has none).
 */
int
docker_json_state(const char *buf, size_t len, struct docker_state *st,
                  char **cause)
{
	json_t *root = json_parse(buf, len, "container", cause);
	json_t *cfg, *state, *v;
	char *id;

	memset(st, 0, sizeof *st);
	st->stop_timeout = -1;
	if (root == NULL)
		return -1;
	id = json_str(root, "Id");
	if (!docker_id_valid(id)) {
		free(id);
		json_decref(root);
		util_set_cause(cause, "Docker sent a container without an id");
		return -1;
	}
	memcpy(st->id, id, sizeof st->id);
	free(id);
	state = json_object_get(root, "State");
	st->running = json_is_true(json_object_get(state, "Running"));
	st->paused = json_is_true(json_object_get(state, "Paused"));
	v = json_object_get(state, "StartedAt");
	if (json_is_string(v))
		snprintf(st->started, sizeof st->started, "%s",
		         json_string_value(v));
	cfg = json_object_get(root, "Config");
	v = json_object_get(cfg, "StopTimeout");
	if (json_is_integer(v) && json_integer_value(v) >= 0 &&
	    json_integer_value(v) <= 86400)
		st->stop_timeout = (int)json_integer_value(v);
	json_decref(root);
	return 0;
}

/* A container name or id as the user may give it: [/]name, no slashes. */
int
docker_name_valid(const char *name)
{
	size_t i;

	if (name == NULL)
		return 0;
	if (*name == '/')
		name++;
	if (!isalnum((unsigned char)name[0]))
		return 0;
	for (i = 0; name[i] != '\0'; i++) {
		if (!isalnum((unsigned char)name[i]) && name[i] != '_' &&
		    name[i] != '.' && name[i] != '-')
			return 0;
	}
	return i <= 255;
}

/*
 * A body that is not JSON (a proxy's HTML page, plain text) as one line:
 * tags dropped, runs of white space as one space. The caller frees it.
 */
static char *
json_error_text(const char *buf, size_t len)
{
	char *text = xmalloc(len + 1), *msg;
	size_t i, o = 0;
	int tag = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '<' && !tag) {
			tag = 1;
			c = ' ';
		} else if (tag) {
			tag = c != '>';
			continue;
		}
		if (isspace(c)) {
			if (o > 0 && text[o - 1] != ' ')
				text[o++] = ' ';
			continue;
		}
		text[o++] = (char)c;
	}
	while (o > 0 && text[o - 1] == ' ')
		o--;
	text[o] = '\0';
	msg = util_sanitize_dup(text, o);
	free(text);
	return msg;
}

/*
 * The daemon's own words for a failed call ({"message": "..."}), else
 * the HTTP status. The caller frees the result.
 */
char *
docker_json_error(const char *buf, size_t len, long status)
{
	json_t *root = NULL;
	char *msg = NULL;

	if (buf != NULL && len > 0)
		root = json_loadb(buf, len, 0, NULL);
	if (root != NULL) {
		json_t *v = json_object_get(root, "message");

		if (json_is_string(v))
			msg = util_sanitize_dup(json_string_value(v),
			                        json_string_length(v));
		json_decref(root);
	}
	if (msg == NULL && buf != NULL && len > 0 && len < 512)
		msg = json_error_text(buf, len);
	if (msg == NULL || *msg == '\0') {
		free(msg);
		return xasprintf("Docker answered HTTP %ld", status);
	}
	return msg;
}

static void
json_copy_str(char *dst, size_t size, json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (json_is_string(v))
		util_sanitize(dst, size, json_string_value(v),
		              json_string_length(v));
	else
		dst[0] = '\0';
}

/* One /events object: type, action and actor id. */
int
docker_json_event(const char *buf, size_t len, struct docker_event *ev,
                  char **cause)
{
	json_t *root = json_parse(buf, len, "event", cause);
	json_t *actor, *attrs;

	memset(ev, 0, sizeof *ev);
	if (root == NULL)
		return -1;
	json_copy_str(ev->type, sizeof ev->type, root, "Type");
	json_copy_str(ev->action, sizeof ev->action, root, "Action");
	if (ev->action[0] == '\0')
		json_copy_str(ev->action, sizeof ev->action, root, "status");
	actor = json_object_get(root, "Actor");
	json_copy_str(ev->id, sizeof ev->id, actor, "ID");
	if (ev->id[0] == '\0')
		json_copy_str(ev->id, sizeof ev->id, root, "id");
	ev->time_ns = json_int(root, "timeNano");
	attrs = json_object_get(actor, "Attributes");
	json_copy_str(ev->name, sizeof ev->name, attrs, "name");
	json_copy_str(ev->image, sizeof ev->image, attrs, "image");
	json_copy_str(ev->exit_code, sizeof ev->exit_code, attrs, "exitCode");
	json_decref(root);
	if (ev->type[0] == '\0' || ev->action[0] == '\0') {
		util_set_cause(cause, "Docker sent an event without a type");
		return -1;
	}
	return 0;
}

/* Sum a blkio list's Read and Write entries (cgroup v1 and v2 alike). */
static void
json_blkio(json_t *list, uint64_t *rd, uint64_t *wr)
{
	json_t *e;
	size_t i;

	*rd = *wr = 0;
	json_array_foreach(list, i, e)
	{
		const char *op = json_string_value(json_object_get(e, "op"));

		if (op == NULL)
			continue;
		if (strcasecmp(op, "read") == 0)
			*rd += json_u64(e, "value");
		else if (strcasecmp(op, "write") == 0)
			*wr += json_u64(e, "value");
	}
}

/* One stats object (stream=false, one-shot=true) into a sample. */
int
docker_json_stats(const char *buf, size_t len, struct docker_sample *s,
                  char **cause)
{
	json_t *root = json_parse(buf, len, "stats", cause);
	json_t *cpu, *usage, *mem, *mstats, *nets, *n, *v;
	const char *key;

	memset(s, 0, sizeof *s);
	if (root == NULL)
		return -1;
	cpu = json_object_get(root, "cpu_stats");
	usage = json_object_get(cpu, "cpu_usage");
	s->cpu_total_ns = json_u64(usage, "total_usage");
	s->system_ns = json_u64(cpu, "system_cpu_usage");
	s->online_cpus = (int)json_int(cpu, "online_cpus");
	if (s->online_cpus == 0) {
		v = json_object_get(usage, "percpu_usage");
		s->online_cpus = (int)json_array_size(v);
	}
	mem = json_object_get(root, "memory_stats");
	mstats = json_object_get(mem, "stats");
	s->mem_usage = json_u64(mem, "usage");
	s->mem_limit = json_u64(mem, "limit");
	/* What the docker CLI subtracts: total_inactive_file on v1. */
	if (json_object_get(mstats, "total_inactive_file") != NULL)
		s->mem_inactive = json_u64(mstats, "total_inactive_file");
	else
		s->mem_inactive = json_u64(mstats, "inactive_file");
	nets = json_object_get(root, "networks");
	json_object_foreach(nets, key, n)
	{
		s->rx += json_u64(n, "rx_bytes");
		s->tx += json_u64(n, "tx_bytes");
	}
	json_blkio(json_object_get(json_object_get(root, "blkio_stats"),
	                           "io_service_bytes_recursive"),
	           &s->rd, &s->wr);
	s->pids = json_u64(json_object_get(root, "pids_stats"), "current");
	json_decref(root);
	if (s->cpu_total_ns == 0 && s->mem_usage == 0) {
		util_set_cause(cause,
		               "no stats (the container is not running)");
		return -1;
	}
	s->valid = 1;
	return 0;
}
