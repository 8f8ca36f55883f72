/*
 * cmd-import.c: `berth import colima [NAME|FILE]` and `berth import lima
 * NAME|FILE`: a Colima or Lima instance's settings as a new berth
 * profile. The file is read by the one YAML reader (conf-yaml.c); each
 * key it holds is either mapped to profile keys or reported as not
 * mapped, with why, and the profile is written by the writer `berth
 * profile new` uses. Both tools' files are theirs to change, so a key
 * this does not know is reported, never an error.
 */

#include "config.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static int cmd_import_colima(struct cmd_ctx *, struct cmd_args *);
static int cmd_import_lima(struct cmd_ctx *, struct cmd_args *);

static const struct cmd_option cmd_import_options[] = {
    {0, "as", "PROFILE",
     "name of the new profile (default colima, colima-NAME or lima-NAME)",
     CMD_KIND_NONE, 0},
    {0, NULL, NULL, NULL, CMD_KIND_NONE, 0},
};

static const struct cmd_entry cmd_import_subs[] = {
    {.name = "colima",
     .usage = "[NAME|FILE] [--as PROFILE]",
     .args = "[NAME|FILE]",
     .options = cmd_import_options,
     .max_args = -1,
     .opts_until = -1,
     .kind = CMD_KIND_FILE,
     .exec = cmd_import_colima},
    {.name = "lima",
     .usage = "NAME|FILE [--as PROFILE]",
     .args = "NAME|FILE",
     .options = cmd_import_options,
     .min_args = 1,
     .max_args = -1,
     .opts_until = -1,
     .kind = CMD_KIND_FILE,
     .exec = cmd_import_lima},
    {.name = NULL},
};

const struct cmd_entry cmd_import_entry = {
    .name = "import",
    .usage = "colima [NAME|FILE]|lima NAME|FILE [--as PROFILE]",
    .help = "make a profile from a Colima or Lima instance's settings",
    .max_args = -1,
    .subs = cmd_import_subs,
};

/* What the two tools' files are and how their values read. */
struct import_tool {
	const char *name;    /* "colima" */
	const char *home;    /* its folder's variable: COLIMA_HOME */
	const char *dir;     /* its default folder under ~: .colima */
	const char *file;    /* an instance's file: colima.yaml */
	const char *cpus;    /* the key of the vCPU count */
	int writable_def;    /* a mount's writable when it says nothing */
	int home_by_default; /* no mounts: the home folder, writable */
};
static const struct import_tool import_colima = {
    "colima", "COLIMA_HOME", ".colima", "colima.yaml", "cpu", 0, 1};
static const struct import_tool import_lima = {
    "lima", "LIMA_HOME", ".lima", "lima.yaml", "cpus", 0, 0};

/* What was read, and the report. */
struct import {
	const struct import_tool *tool;
	char *cpus, *memory, *disk, *arch, *mount_type, *watch;
	struct profile_write_mount *mounts;
	size_t nmounts;
	char **provision;
	size_t nprovision;
	char **lines; /* the report, one entry a line */
	size_t nlines;
	size_t nunmapped;
};

static void BERTH_PRINTFLIKE(2, 3)
    report(struct import *im, const char *fmt, ...)
{
	va_list ap;
	char *clean;

	/* Values come from another tool's file: nothing for the terminal. */
	va_start(ap, fmt);
	clean = util_sanitize_vasprintf(fmt, ap);
	va_end(ap);
	im->lines = xreallocarray(im->lines, im->nlines + 1, sizeof *im->lines);
	im->lines[im->nlines++] = clean;
}

static void BERTH_PRINTFLIKE(3, 4)
    not_mapped(struct import *im, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *why;

	va_start(ap, fmt);
	why = xvasprintf(fmt, ap);
	va_end(ap);
	report(im, "  not mapped  %s: %s", key, why);
	free(why);
	im->nunmapped++;
}

/* A node as a one-line summary for the report. */
static const char *
shown(const yaml_node_t *n)
{
	const char *s = conf_yaml_scalar(n);

	if (s != NULL)
		return s;
	if (n != NULL && n->type == YAML_SEQUENCE_NODE)
		return "(a list)";
	return "(a mapping)";
}

/* A YAML null: nothing said, the tool's default. */
static int
is_null(const yaml_node_t *n)
{
	const char *s = conf_yaml_scalar(n);

	return n == NULL ||
	       (s != NULL && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	        (*s == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0));
}

static int
is_true(const yaml_node_t *n)
{
	const char *s = conf_yaml_scalar(n);

	return s != NULL && (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 ||
	                     strcmp(s, "yes") == 0);
}

/*
 * A YAML node as JSON: a plain scalar that reads as a boolean, a number
 * or null is one (as dockerd's daemon.json wants them), the rest strings.
 */
static json_t *
to_json(struct conf_yaml *y, const yaml_node_t *n, int depth)
{
	const char *s = conf_yaml_scalar(n);
	json_t *j;
	char *end;
	size_t i;

	if (n == NULL || depth > 32)
		return json_null();
	if (n->type == YAML_MAPPING_NODE) {
		j = json_object();
		for (i = 0; i < conf_yaml_count(n); i++) {
			s = conf_yaml_scalar(conf_yaml_key(y, n, i));
			if (s != NULL)
				json_object_set_new(
				    j, s,
				    to_json(y, conf_yaml_value(y, n, i),
				            depth + 1));
		}
		return j;
	}
	if (n->type == YAML_SEQUENCE_NODE) {
		j = json_array();
		for (i = 0; i < conf_yaml_count(n); i++)
			json_array_append_new(
			    j, to_json(y, conf_yaml_item(y, n, i), depth + 1));
		return j;
	}
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return json_string(s);
	if (is_null(n))
		return json_null();
	if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0)
		return json_boolean(strcmp(s, "true") == 0);
	if (*s != '\0') {
		long long v = strtoll(s, &end, 10);

		if (*end == '\0')
			return json_integer(v);
		double d = strtod(s, &end);
		if (*end == '\0')
			return json_real(d);
	}
	return json_string(s);
}

/* A string in single quotes for sh. The caller frees. */
static char *
sh_quote(const char *s)
{
	char *out = xmalloc(strlen(s) * 4 + 3), *o = out;

	*o++ = '\'';
	for (; *s != '\0'; s++) {
		if (*s == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else
			*o++ = *s;
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}

static void
add_provision(struct import *im, char *cmd)
{
	im->provision = xreallocarray(im->provision, im->nprovision + 1,
	                              sizeof *im->provision);
	im->provision[im->nprovision++] = cmd;
}

/*
 * Colima's docker: is dockerd's daemon.json. berth has no key for it, so
 * the first boot's provisioning writes it and restarts dockerd.
 */
static void
map_docker(struct import *im, struct conf_yaml *y, const yaml_node_t *v)
{
	json_t *j;
	char *text, *q;

	if (v->type != YAML_MAPPING_NODE) {
		not_mapped(im, "docker", "not a mapping");
		return;
	}
	if (conf_yaml_count(v) == 0)
		return; /* {}: dockerd's defaults, as berth's guest has */
	j = to_json(y, v, 0);
	text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	q = sh_quote(text);
	add_provision(
	    im, xasprintf("mkdir -p /etc/docker && printf '%%s\\n' %s "
	                  ">/etc/docker/daemon.json && (systemctl restart "
	                  "docker || service docker restart)",
	                  q));
	report(im,
	       "  mapped      docker: (daemon.json) -> provision: writes "
	       "/etc/docker/daemon.json %s",
	       text);
	free(q);
	free(text);
}

/* provision: [{mode: system, script: ...}]: the system ones run as root. */
static void
map_provision(struct import *im, struct conf_yaml *y, const yaml_node_t *v)
{
	const yaml_node_t *it;
	const char *mode, *script;
	size_t i;

	for (i = 0; i < conf_yaml_count(v); i++) {
		it = conf_yaml_item(y, v, i);
		mode = conf_yaml_scalar(conf_yaml_get(y, it, "mode"));
		script = conf_yaml_scalar(conf_yaml_get(y, it, "script"));
		if (script == NULL) {
			not_mapped(im, "provision", "item %zu has no script",
			           i);
			continue;
		}
		if (mode != NULL && strcmp(mode, "system") != 0) {
			not_mapped(im, "provision",
			           "item %zu runs in mode %s; berth runs "
			           "provisioning as root only",
			           i, mode);
			continue;
		}
		add_provision(im, xstrdup(script));
		report(im,
		       "  mapped      provision[%zu] (mode system) -> "
		       "provision: run as root after the first boot",
		       i);
	}
}

/* mounts: [{location, mountPoint, writable}]. */
static void
map_mounts(struct import *im, struct conf_yaml *y, const yaml_node_t *v)
{
	const yaml_node_t *it, *w;
	struct profile_write_mount *m;
	const char *loc, *point;
	size_t i, n = conf_yaml_count(v);

	if (v->type != YAML_SEQUENCE_NODE) {
		not_mapped(im, "mounts", "not a list");
		return;
	}
	im->mounts = xcalloc(n + 1, sizeof *im->mounts);
	for (i = 0; i < n; i++) {
		it = conf_yaml_item(y, v, i);
		if ((loc = conf_yaml_scalar(
		         conf_yaml_get(y, it, "location"))) == NULL) {
			not_mapped(im, "mounts", "item %zu has no location", i);
			continue;
		}
		m = &im->mounts[im->nmounts++];
		m->host = xstrdup(loc);
		point = conf_yaml_scalar(conf_yaml_get(y, it, "mountPoint"));
		m->guest =
		    point != NULL && *point != '\0' ? xstrdup(point) : NULL;
		w = conf_yaml_get(y, it, "writable");
		m->writable = w != NULL && !is_null(w) ? is_true(w)
		                                       : im->tool->writable_def;
		report(im,
		       "  mapped      mounts[%zu]: %s%s%s -> mounts[%zu]: "
		       "host %s, %s",
		       i, loc, m->guest != NULL ? " at " : "",
		       m->guest != NULL ? m->guest : "", im->nmounts - 1, loc,
		       m->writable ? "writable" : "read-only");
	}
}

/* A size as the tool writes it: Colima in GiB (a number), Lima "4GiB". */
static void
map_size(struct import *im, const char *key, const yaml_node_t *v,
         const char *pkey, char **out)
{
	const char *s = conf_yaml_scalar(v);
	uint64_t bytes;
	char *canon;

	if (s == NULL || units_parse_size(s, &bytes, NULL) != 0) {
		not_mapped(im, key, "'%s' is not a size", shown(v));
		return;
	}
	canon = units_format_size_exact(bytes);
	report(im, "  mapped      %s: %s -> %s: %s", key, s, pkey, canon);
	*out = canon;
}

/* mountType: the same three, with Lima's reverse-sshfs as berth's sshfs. */
static void
map_mount_type(struct import *im, const yaml_node_t *v)
{
	const char *s = conf_yaml_scalar(v);
	const char *to = NULL;

	if (s == NULL)
		to = NULL;
	else if (strcmp(s, "9p") == 0 || strcmp(s, "virtiofs") == 0 ||
	         strcmp(s, "sshfs") == 0)
		to = s;
	else if (strcmp(s, "reverse-sshfs") == 0)
		to = "sshfs";
	if (to == NULL) {
		not_mapped(im, "mountType",
		           "'%s' (berth shares folders by 9p, virtiofs or "
		           "sshfs)",
		           shown(v));
		return;
	}
	im->mount_type = xstrdup(to);
	report(im, "  mapped      mountType: %s -> mounts[].type: %s", s, to);
}

/* Why a key berth has no counterpart for is left out. */
static const struct {
	const char *key;
	const char *why;
} import_unmapped[] = {
    {"runtime", "berth's VM runs Docker"},
    {"kubernetes", "berth does not run Kubernetes"},
    {"network", "berth's VM uses libvirt's user network"},
    {"networks", "berth's VM uses libvirt's user network"},
    {"vmType", "berth runs the VM with libvirt (vm.accel picks KVM/HVF)"},
    {"env", "berth has no guest environment key; use provision"},
    {"images", "berth boots its own image (vm.image)"},
    {"portForwards", "berth forwards published container ports itself"},
    {"containerd", "berth's VM runs Docker"},
    {"ssh", "berth manages the VM's SSH (vm.ssh_port, vm.ssh_user)"},
    {"forwardAgent", "berth does not forward an SSH agent"},
    {"cpuType", "berth lets libvirt pick the CPU model"},
};

/* Walk the instance's file: every top-level key mapped or reported. */
static void
import_walk(struct conf_yaml *y, yaml_node_t *root, void *arg)
{
	struct import *im = arg;
	const yaml_node_t *v;
	const char *key, *s;
	size_t i, j;

	if (root == NULL || root->type != YAML_MAPPING_NODE) {
		if (root != NULL && !is_null(root))
			not_mapped(im, "(file)", "not a mapping of keys");
		return;
	}
	for (i = 0; i < conf_yaml_count(root); i++) {
		if ((key = conf_yaml_scalar(conf_yaml_key(y, root, i))) == NULL)
			continue;
		v = conf_yaml_value(y, root, i);
		s = conf_yaml_scalar(v);
		if (is_null(v) ||
		    (v->type != YAML_SCALAR_NODE && conf_yaml_count(v) == 0 &&
		     strcmp(key, "mounts") != 0))
			continue; /* the tool's default */
		if (strcmp(key, im->tool->cpus) == 0) {
			long n = s != NULL ? strtol(s, NULL, 10) : 0;

			if (n < 1)
				not_mapped(im, key, "'%s' is not a CPU count",
				           shown(v));
			else {
				im->cpus = xasprintf("%ld", n);
				report(im,
				       "  mapped      %s: %s -> vm.cpus: %ld",
				       key, s, n);
			}
		} else if (strcmp(key, "memory") == 0)
			map_size(im, key, v, "vm.memory", &im->memory);
		else if (strcmp(key, "disk") == 0)
			map_size(im, key, v, "vm.disk", &im->disk);
		else if (strcmp(key, "arch") == 0) {
			if (s != NULL && (strcmp(s, "x86_64") == 0 ||
			                  strcmp(s, "aarch64") == 0)) {
				im->arch = xstrdup(s);
				report(im,
				       "  mapped      arch: %s -> vm.arch: %s",
				       s, s);
			} else if (s == NULL || (strcmp(s, "host") != 0 &&
			                         strcmp(s, "default") != 0))
				not_mapped(
				    im, key,
				    "'%s' (berth runs x86_64 or aarch64)",
				    shown(v));
		} else if (strcmp(key, "mounts") == 0)
			map_mounts(im, y, v);
		else if (strcmp(key, "mountType") == 0)
			map_mount_type(im, v);
		else if (strcmp(key, "mountInotify") == 0) {
			if (is_true(v)) {
				im->watch = xstrdup("native");
				report(im,
				       "  mapped      mountInotify: %s -> "
				       "mounts[].watch: native",
				       s);
			}
		} else if (strcmp(key, "runtime") == 0 && s != NULL &&
		           strcmp(s, "docker") == 0)
			report(im,
			       "  mapped      runtime: docker -> berth's VM "
			       "runs Docker");
		else if (strcmp(key, "docker") == 0 &&
		         im->tool == &import_colima)
			map_docker(im, y, v);
		else if (strcmp(key, "provision") == 0)
			map_provision(im, y, v);
		else {
			for (j = 0; j < nitems(import_unmapped); j++) {
				if (strcmp(import_unmapped[j].key, key) == 0)
					break;
			}
			not_mapped(im, key, "%s",
			           j < nitems(import_unmapped)
			               ? import_unmapped[j].why
			               : "berth has no such setting");
		}
	}
	/* Colima shares the home folder when the list is empty. */
	if (im->nmounts == 0 && im->tool->home_by_default) {
		free(im->mounts);
		im->mounts = xcalloc(1, sizeof *im->mounts);
		im->mounts[0].host = xstrdup("~");
		im->mounts[0].writable = 1;
		im->nmounts = 1;
		report(im, "  mapped      mounts: [] (Colima shares your home "
		           "folder) -> mounts[0]: host ~, writable");
	}
}

/* Free what the walk collected. */
static void
import_free(struct import *im)
{
	size_t i;

	free(im->cpus);
	free(im->memory);
	free(im->disk);
	free(im->arch);
	free(im->mount_type);
	free(im->watch);
	for (i = 0; i < im->nmounts; i++) {
		free((char *)im->mounts[i].host);
		free((char *)im->mounts[i].guest);
	}
	free(im->mounts);
	for (i = 0; i < im->nprovision; i++)
		free(im->provision[i]);
	free(im->provision);
	for (i = 0; i < im->nlines; i++)
		free(im->lines[i]);
	free(im->lines);
}

/* Only the first document of the file is read, as the tools read it. */
static const struct conf_yaml_kind import_yaml = {
    .one_document = NULL,
};

/*
 * berth import TOOL [NAME|FILE] [--as PROFILE]: find the instance's file
 * ($TOOL_HOME or ~/.TOOL, NAME/FILE), map it, print the report and write
 * the profile.
 */
static int
import_run(const struct import_tool *tool, struct cmd_args *a)
{
	struct config_errors errs = {NULL, 0};
	struct profile_write_spec spec;
	struct import im;
	const char *inst = a->argc > 0 ? a->argv[0] : "default";
	const char *as = cmd_args_get(a, "as"), *home = getenv(tool->home);
	char *path, *buf, *name, *cause = NULL, *header, *t;
	size_t len, i;
	int rc;

	if (a->argc > 1)
		return cmd_usage_error(
		    &cmd_import_entry, "usage: berth import %s %s", tool->name,
		    tool == &import_lima ? cmd_import_subs[1].usage
		                         : cmd_import_subs[0].usage);
	if (profile_is_file(inst))
		path = paths_expand_tilde(inst);
	else if (profile_name_check(inst, &cause) != 0) {
		/* an instance name is a folder name: the same rules keep it one
		 */
		fprintf(stderr, "berth: %s instance %s\n", tool->name, cause);
		free(cause);
		return BERTH_EXIT_USAGE;
	} else if (home != NULL && *home != '\0')
		path = xasprintf("%s/%s/%s", home, inst, tool->file);
	else {
		t = xasprintf("~/%s/%s/%s", tool->dir, inst, tool->file);
		path = paths_expand_tilde(t);
		free(t);
	}
	if ((buf = util_read_file(path, &len, &cause)) == NULL) {
		fprintf(stderr, "berth: no %s instance %s: %s\n", tool->name,
		        inst, cause);
		free(cause);
		free(path);
		return BERTH_EXIT_USAGE;
	}
	memset(&im, 0, sizeof im);
	im.tool = tool;
	if (conf_yaml_read(buf, len, path, &import_yaml, import_walk, &im,
	                   &errs) != 0) {
		config_errors_print(&errs, stderr);
		config_errors_free(&errs);
		import_free(&im);
		free(buf);
		free(path);
		return BERTH_EXIT_USAGE;
	}
	config_errors_free(&errs);
	free(buf);

	if (as != NULL)
		name = xstrdup(as);
	else if (strcmp(inst, "default") == 0 && tool == &import_colima)
		name = xstrdup("colima");
	else if (profile_is_file(inst))
		name = xstrdup(tool->name);
	else
		name = xasprintf("%s-%s", tool->name, inst);
	printf("%s %s (%s):\n", tool->name, inst, path);
	for (i = 0; i < im.nlines; i++)
		printf("%s\n", im.lines[i]);
	for (i = 0; i < im.nmounts; i++) {
		im.mounts[i].type = im.mount_type;
		im.mounts[i].watch = im.watch;
	}
	header = xasprintf("Imported from %s instance %s (%s) by `berth "
	                   "import %s`; %zu setting%s not mapped (the command "
	                   "printed why).",
	                   tool->name, inst, path, tool->name, im.nunmapped,
	                   im.nunmapped == 1 ? " was" : "s were");
	memset(&spec, 0, sizeof spec);
	spec.name = name;
	spec.header = header;
	spec.cpus = im.cpus;
	spec.memory = im.memory;
	spec.disk = im.disk;
	spec.arch = im.arch;
	spec.mounts = im.mounts;
	spec.nmounts = im.nmounts;
	spec.provision = im.provision;
	spec.nprovision = im.nprovision;
	rc = cmd_profile_file_write(&spec);
	free(header);
	free(name);
	free(path);
	import_free(&im);
	return rc;
}

static int
cmd_import_colima(struct cmd_ctx *ctx, struct cmd_args *a)
{
	(void)ctx;
	return import_run(&import_colima, a);
}

static int
cmd_import_lima(struct cmd_ctx *ctx, struct cmd_args *a)
{
	(void)ctx;
	if (a->argc == 0)
		return cmd_usage_error(&cmd_import_entry,
		                       "usage: berth import lima %s",
		                       cmd_import_subs[1].usage);
	return import_run(&import_lima, a);
}
