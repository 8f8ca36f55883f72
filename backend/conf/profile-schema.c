/*
 * profile-schema.c: the ONE table of profile keys. Each entry names a key
 * path ("vm.cpus", "mounts[].watch"), its type, range or choices, default
 * (as text, parsed exactly like a value from a file), help and where the
 * value lives in struct profile or struct profile_mount. The loader, the
 * defaults, the validation messages, `berth profile keys` and the key list
 * of berth-profile(5) all read this table; nothing else knows the keys.
 *
 * Defaults may contain "<profile>", replaced by the profile's name. Keys
 * under "mounts[]." are relative to one struct profile_mount.
 */

#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf/conf.h"

#define KIB 1024LL
#define MIB (1024LL * KIB)
#define GIB (1024LL * MIB)
#define TIB (1024LL * GIB)

#define P(f) offsetof(struct profile, f)
#define M(f) offsetof(struct profile_mount, f)

static const char *const accel_choices[] = {"auto", "kvm", "hvf", "qemu", NULL};
static const char *const mount_type_choices[] = {"9p", "virtiofs", "sshfs",
                                                 "sync", NULL};
static const char *const sync_choices[] = {"both", "host-to-guest", NULL};
static const char *const watch_choices[] = {"off", "poll", "native", NULL};
static const char *const replay_choices[] = {"both", "attrib", "close_write",
                                             NULL};
static const char *const forward_choices[] = {"ssh", "none", NULL};
static const char *const transport_choices[] = {"auto", "agent", "ssh", NULL};

static int check_absolute(const char *, char **);
static int check_socket(const char *, char **);
static int check_sha256(const char *, char **);
static int check_uri(const char *, char **);
static int check_domain(const char *, char **);
static int check_context(const char *, char **);
static int check_theme(const char *, char **);

const struct schema_key schema_keys[] = {
    /* vm: the libvirt domain. */
    {.path = "vm.uri",
     .type = SCHEMA_STRING,
     .def = "qemu:///session",
     .help = "libvirt connection URI (qemu:///session, qemu:///system, "
             "qemu+ssh://host/system, test:///default)",
     .offset = P(vm.uri),
     .check = check_uri},
    {.path = "vm.domain",
     .type = SCHEMA_STRING,
     .def = "berth-<profile>",
     .help = "libvirt domain name; an existing domain of that name is "
             "adopted",
     .offset = P(vm.domain),
     .check = check_domain},
    {.path = "vm.accel",
     .type = SCHEMA_ENUM,
     .choices = accel_choices,
     .def = "auto",
     .help = "hardware acceleration: auto picks kvm (Linux), hvf (macOS) "
             "or plain qemu (TCG)",
     .offset = P(vm.accel),
     .size = 0},
    {.path = "vm.arch",
     .type = SCHEMA_STRING,
     .def = NULL,
     .help = "guest architecture (x86_64, aarch64); unset = the host's",
     .offset = P(vm.arch)},
    {.path = "vm.cpus",
     .type = SCHEMA_INT,
     .min = 1,
     .max = 256,
     .def = "2",
     .help = "virtual CPUs at boot",
     .offset = P(vm.cpus),
     .size = sizeof(int)},
    {.path = "vm.memory",
     .type = SCHEMA_SIZE,
     .min = 128 * MIB,
     .max = 16 * TIB,
     .def = "2GiB",
     .help = "guest memory",
     .offset = P(vm.memory)},
    {.path = "vm.max_memory",
     .type = SCHEMA_SIZE,
     .min = 0,
     .max = 16 * TIB,
     .def = "0",
     .help = "memory ceiling for growing a running VM; 0 = twice "
             "vm.memory",
     .offset = P(vm.max_memory)},
    {.path = "vm.max_cpus",
     .type = SCHEMA_INT,
     .min = 0,
     .max = 256,
     .def = "0",
     .help = "CPU ceiling for hot-adding CPUs; 0 = the host's CPU count",
     .offset = P(vm.max_cpus),
     .size = sizeof(int)},
    {.path = "vm.disk",
     .type = SCHEMA_SIZE,
     .min = 1 * GIB,
     .max = 64 * TIB,
     .def = "20GiB",
     .help = "root disk size; the disk only grows",
     .offset = P(vm.disk)},
    {.path = "vm.image",
     .type = SCHEMA_STRING,
     .def = NULL,
     .help = "cloud image to create the disk from: an https:// URL or a "
             "local path",
     .offset = P(vm.image)},
    {.path = "vm.image_sha256",
     .type = SCHEMA_STRING,
     .def = NULL,
     .help = "expected SHA-256 of vm.image (64 hex digits); checked after "
             "download",
     .offset = P(vm.image_sha256),
     .check = check_sha256},
    {.path = "vm.kernel",
     .type = SCHEMA_PATH,
     .def = NULL,
     .help = "kernel for direct boot, instead of booting from the disk",
     .offset = P(vm.kernel),
     .check = check_absolute},
    {.path = "vm.initrd",
     .type = SCHEMA_PATH,
     .def = NULL,
     .help = "initrd for direct boot",
     .offset = P(vm.initrd),
     .check = check_absolute},
    {.path = "vm.cmdline",
     .type = SCHEMA_STRING,
     .def = NULL,
     .help = "kernel command line for direct boot",
     .offset = P(vm.cmdline)},
    {.path = "vm.ssh_port",
     .type = SCHEMA_INT,
     .min = 0,
     .max = 65535,
     .def = "0",
     .help = "host port forwarded to the guest's sshd; 0 = pick a free "
             "port",
     .offset = P(vm.ssh_port),
     .size = sizeof(int)},
    {.path = "vm.ssh_user",
     .type = SCHEMA_STRING,
     .def = "root",
     .help = "user berth logs in as over SSH",
     .offset = P(vm.ssh_user)},
    {.path = "vm.shutdown_timeout",
     .type = SCHEMA_DURATION,
     .min = 1000,
     .max = 3600000,
     .def = "60s",
     .help = "how long a graceful shutdown may take before berth offers "
             "a force stop",
     .offset = P(vm.shutdown_timeout_ms)},

    /* mounts: host folders shared into the guest. */
    {.path = "mounts",
     .type = SCHEMA_MOUNTS,
     .def = "[]",
     .help = "host folders shared into the VM, a list of mappings with "
             "the mounts[] keys below",
     .offset = P(mounts),
     .count_offset = P(nmounts)},
    {.path = "mounts[].host",
     .type = SCHEMA_PATH,
     .def = NULL,
     .help = "host folder to share (required; ~ is your home; made when a "
             "local VM starts if missing)",
     .offset = M(host),
     .flags = SCHEMA_F_REQUIRED,
     .check = check_absolute},
    {.path = "mounts[].guest",
     .type = SCHEMA_PATH,
     .def = NULL,
     .help = "mount point in the guest; default: the same path as host",
     .offset = M(guest),
     .flags = SCHEMA_F_AS_HOST,
     .check = check_absolute},
    {.path = "mounts[].type",
     .type = SCHEMA_ENUM,
     .choices = mount_type_choices,
     .def = "9p",
     .help = "how the folder is shared: 9p, virtiofs (Linux hosts), "
             "sshfs, or sync (a copy on the guest's own disk, kept in "
             "step over SSH)",
     .offset = M(type),
     .size = sizeof(int)},
    {.path = "mounts[].writable",
     .type = SCHEMA_BOOL,
     .def = "true",
     .help = "whether the guest may write to the folder",
     .offset = M(writable)},
    {.path = "mounts[].watch",
     .type = SCHEMA_ENUM,
     .choices = watch_choices,
     .def = "off",
     .help = "propagate host changes to watchers in the guest: off, poll "
             "(scan and replay) or native (inotify)",
     .offset = M(watch),
     .size = sizeof(int)},
    {.path = "mounts[].interval",
     .type = SCHEMA_DURATION,
     .min = 100,
     .max = 3600000,
     .def = "1s",
     .help = "time between two scans in poll mode",
     .offset = M(interval_ms)},
    {.path = "mounts[].ignore",
     .type = SCHEMA_LIST,
     .def = "[.git, node_modules/.cache]",
     .help = "names or relative paths the watcher skips",
     .offset = M(ignore),
     .count_offset = M(nignore)},
    {.path = "mounts[].gitignore",
     .type = SCHEMA_BOOL,
     .def = "false",
     .help = "also skip what the folder's top .gitignore names "
             "(negations and nested .gitignore files are not read)",
     .offset = M(gitignore)},
    {.path = "mounts[].replay",
     .type = SCHEMA_ENUM,
     .choices = replay_choices,
     .def = "both",
     .help = "guest events replayed for a host change: attrib, "
             "close_write or both",
     .offset = M(replay),
     .size = sizeof(int)},
    {.path = "mounts[].transport",
     .type = SCHEMA_ENUM,
     .choices = transport_choices,
     .def = "auto",
     .help = "how polling mode reaches the guest: agent (QEMU guest "
             "agent), ssh (the profile's key, vm.ssh_port or "
             "docker.ssh_host) or auto (the agent, else ssh)",
     .offset = M(transport),
     .size = sizeof(int)},
    {.path = "mounts[].sync",
     .type = SCHEMA_ENUM,
     .choices = sync_choices,
     .def = "both",
     .help = "type: sync only: which way changes go: both (the "
             "default: guest changes come back, a change on both sides "
             "keeps both copies) or host-to-guest (the host wins)",
     .offset = M(sync),
     .size = sizeof(int)},
    {.path = "mounts[].max_files",
     .type = SCHEMA_INT,
     .min = 1,
     .max = 100000000,
     .def = "200000",
     .help = "most files a poll-mode scan tracks; beyond it the mount "
             "reports an error",
     .offset = M(max_files),
     .size = sizeof(uint64_t)},
    {.path = "mounts[].hold_max",
     .type = SCHEMA_INT,
     .min = 0,
     .max = 100000000,
     .def = "5000",
     .help = "9p: most folders held open in the guest from the start "
             "(whatever the watch mode); the others are held when a "
             "change is seen in them, up to twice this",
     .offset = M(hold_max),
     .size = sizeof(uint64_t)},

    /* docker: the socket the host's Docker CLI talks to. */
    {.path = "docker.socket",
     .type = SCHEMA_PATH,
     .def = "auto",
     .help = "host socket; auto = <state dir>/docker.sock",
     .offset = P(docker.socket),
     .check = check_socket},
    {.path = "docker.guest_socket",
     .type = SCHEMA_STRING,
     .def = "/var/run/docker.sock",
     .help = "Docker daemon socket inside the guest",
     .offset = P(docker.guest_socket),
     .check = check_absolute},
    {.path = "docker.forward",
     .type = SCHEMA_ENUM,
     .choices = forward_choices,
     .def = "ssh",
     .help = "how the guest socket reaches the host: ssh (a supervised "
             "ssh -L) or none (docker.socket is used as it is)",
     .offset = P(docker.forward),
     .size = sizeof(int)},
    {.path = "docker.context",
     .type = SCHEMA_STRING,
     .def = "berth-<profile>",
     .help = "Docker context berth creates for the socket",
     .offset = P(docker.context),
     .check = check_context},
    {.path = "docker.activate",
     .type = SCHEMA_BOOL,
     .def = "false",
     .help = "make the context current when the VM starts",
     .offset = P(docker.activate)},
    {.path = "docker.persist",
     .type = SCHEMA_BOOL,
     .def = "false",
     .help = "kept for old profiles: the forward now always lives "
             "with the VM, not with a berth process",
     .offset = P(docker.persist)},
    {.path = "docker.ssh_host",
     .type = SCHEMA_STRING,
     .def = NULL,
     .help = "sshd the forward connects to instead of the VM's forwarded "
             "SSH port (127.0.0.1:vm.ssh_port); for a guest reached "
             "another way",
     .offset = P(docker.ssh_host)},
    {.path = "docker.ssh_port",
     .type = SCHEMA_INT,
     .min = 0,
     .max = 65535,
     .def = "0",
     .help = "port of docker.ssh_host's sshd; 0 = the VM's SSH port",
     .offset = P(docker.ssh_port),
     .size = sizeof(int)},

    /* The rest. */
    {.path = "provision",
     .type = SCHEMA_LIST,
     .def = "[]",
     .help = "shell commands run as root in the guest after its first "
             "boot, in order",
     .offset = P(provision),
     .count_offset = P(nprovision)},
    {.path = "refresh",
     .type = SCHEMA_DURATION,
     .min = 100,
     .max = 3600000,
     .def = "2s",
     .help = "how often the dashboard refreshes",
     .offset = P(refresh_ms)},
    {.path = "theme",
     .type = SCHEMA_STRING,
     .def = "default",
     .help = "colour theme (berth theme list), or a theme file's path",
     .offset = P(theme),
     .check = check_theme},
};
const size_t schema_nkeys = nitems(schema_keys);

static const char *const type_names[] = {
    [SCHEMA_STRING] = "string",     [SCHEMA_INT] = "integer",
    [SCHEMA_SIZE] = "size",         [SCHEMA_DURATION] = "duration",
    [SCHEMA_BOOL] = "boolean",      [SCHEMA_ENUM] = "enum",
    [SCHEMA_PATH] = "path",         [SCHEMA_LIST] = "list",
    [SCHEMA_MOUNTS] = "mount list",
};

static int
check_absolute(const char *s, char **cause)
{
	if (*s == '/')
		return 0;
	util_set_cause(
	    cause, "'%s' is not an absolute path (start it with / or ~/)", s);
	return -1;
}

/*
 * A host socket: "auto" or an absolute path. Its length against sun_path
 * is checked where the socket is made (socket-forward.c), which also sees the
 * derived paths under the state directory.
 */
static int
check_socket(const char *s, char **cause)
{
	if (strcmp(s, "auto") == 0)
		return 0;
	return check_absolute(s, cause);
}

static int
check_sha256(const char *s, char **cause)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (!isxdigit((unsigned char)s[i]))
			break;
	}
	if (i == 64 && s[i] == '\0')
		return 0;
	util_set_cause(cause, "'%s' is not a SHA-256 (64 hex digits)", s);
	return -1;
}

static int
check_uri(const char *s, char **cause)
{
	const char *p = strstr(s, "://");

	if (p != NULL && p != s)
		return 0;
	util_set_cause(cause,
	               "'%s' is not a libvirt URI (like qemu:///session or "
	               "test:///default)",
	               s);
	return -1;
}

static int
check_domain(const char *s, char **cause)
{
	const char *p;

	for (p = s; *p != '\0'; p++) {
		if (*p == '/' || (unsigned char)*p < 0x20)
			break;
	}
	if (*s != '\0' && *p == '\0')
		return 0;
	util_set_cause(cause, "'%s' is not a usable domain name", s);
	return -1;
}

/* Docker's rule for context names: [a-zA-Z0-9][a-zA-Z0-9_.+-]*. */
/*
 * A theme the dashboard can find: a name in the user's or the shipped
 * themes, or a file's path (with a '/', as --theme takes it). Whether the
 * file is a valid theme is `berth theme validate`'s job.
 */
static int
check_theme(const char *s, char **cause)
{
	char *path;

	/* Without its file the dashboard still has default's colours. */
	if (strcmp(s, "default") == 0)
		return 0;
	if (strchr(s, '/') != NULL) {
		if (access(s, R_OK) == 0)
			return 0;
		util_set_cause(cause, "theme file '%s': %s", s,
		               strerror(errno));
		return -1;
	}
	if ((path = paths_theme_find(s, 0, NULL, cause)) == NULL)
		return -1;
	free(path);
	return 0;
}

static int
check_context(const char *s, char **cause)
{
	const char *p;

	if (isalnum((unsigned char)*s)) {
		for (p = s + 1; *p != '\0'; p++) {
			if (!isalnum((unsigned char)*p) &&
			    strchr("_.+-", *p) == NULL)
				break;
		}
		if (*p == '\0')
			return 0;
	}
	util_set_cause(cause,
	               "'%s' is not a Docker context name (letters, digits "
	               "and _.+-, starting with a letter or digit)",
	               s);
	return -1;
}

const char *
schema_type_name(enum schema_type t)
{
	if ((size_t)t >= nitems(type_names) || type_names[t] == NULL)
		return "?";
	return type_names[t];
}

/* The entry for a key path ("vm.cpus", "mounts[].type"), or NULL. */
const struct schema_key *
schema_find(const char *path)
{
	size_t i;

	for (i = 0; i < schema_nkeys; i++) {
		if (strcmp(schema_keys[i].path, path) == 0)
			return &schema_keys[i];
	}
	return NULL;
}

/*
 * The key closest to a misspelt one, for "did you mean": the smallest edit
 * distance, only if it is small against the key's length. Also matches a
 * key given without its section ("cpus" for "vm.cpus").
 */
const struct schema_key *
schema_suggest(const char *path)
{
	const struct schema_key *best = NULL;
	size_t i, d, bestd = (size_t)-1, limit, len = strlen(path);
	const char *dot;

	for (i = 0; i < schema_nkeys; i++) {
		d = util_levenshtein(path, schema_keys[i].path);
		if (d < bestd) {
			bestd = d;
			best = &schema_keys[i];
		}
	}
	limit = len < 6 ? 1 : (len < 12 ? 2 : 3);
	if (best != NULL && bestd <= limit)
		return best;
	/* "cpus" at the top level, or "vm.host" in the wrong section. */
	dot = strrchr(path, '.');
	for (i = 0; i < schema_nkeys; i++) {
		const char *kd = strrchr(schema_keys[i].path, '.');
		const char *leaf = dot ? dot + 1 : path;

		if (kd != NULL && strcmp(kd + 1, leaf) == 0)
			return &schema_keys[i];
	}
	return NULL;
}

static int
parse_bool(const char *s, int *out)
{
	static const char *const yes[] = {"true", "yes", "on", NULL};
	static const char *const no[] = {"false", "no", "off", NULL};
	size_t i;

	for (i = 0; yes[i] != NULL; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

/* Parse a decimal integer with no junk; -1 if it is not one. */
static int
parse_int(const char *s, long long *out)
{
	char *end;

	if (*s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	*out = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	return 0;
}

static char *
choices_text(const char *const *choices)
{
	char *s = xstrdup(""), *t;
	size_t i;

	for (i = 0; choices[i] != NULL; i++) {
		t = xasprintf("%s%s%s", s, i ? ", " : "", choices[i]);
		free(s);
		s = t;
	}
	return s;
}

static void
free_list(char ***list, size_t *n)
{
	size_t i;

	for (i = 0; i < *n; i++)
		free((*list)[i]);
	free(*list);
	*list = NULL;
	*n = 0;
}

/*
 * Split the flow-style text "[a, b]" (or "a, b") into a list. Only for
 * defaults and one-line values; files give lists as YAML sequences.
 */
static void
split_list(const char *text, char ***list, size_t *n)
{
	char *copy = xstrdup(text), *p = copy, *item, *end;
	size_t len = strlen(p);

	while (isspace((unsigned char)*p))
		p++;
	len = strlen(p);
	while (len > 0 && isspace((unsigned char)p[len - 1]))
		p[--len] = '\0';
	if (*p == '[' && len > 0 && p[len - 1] == ']') {
		p[len - 1] = '\0';
		p++;
	}
	while ((item = strsep(&p, ",")) != NULL) {
		while (isspace((unsigned char)*item))
			item++;
		end = item + strlen(item);
		while (end > item && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (*item == '\0')
			continue;
		*list = xreallocarray(*list, *n + 1, sizeof **list);
		(*list)[(*n)++] = xstrdup(item);
	}
	free(copy);
}

/*
 * Parse `text` as a value of `k` and store it in `base` (a struct profile,
 * or a struct profile_mount for "mounts[]." keys). "<profile>" in text is
 * replaced by `name`. On error returns -1 and a message without the key's
 * name; the stored value is unchanged.
 */
int
schema_set_text(const struct schema_key *k, void *base, const char *text,
                const char *name, char **cause)
{
	/* void *: the field's own type, not char's, sets its alignment */
	void *field = (char *)base + k->offset;
	char *s, *at;
	long long ll;
	uint64_t u;
	int b;
	size_t i;

	switch (k->type) {
	case SCHEMA_STRING:
	case SCHEMA_PATH:
		if ((at = strstr(text, "<profile>")) != NULL && name != NULL)
			s = xasprintf("%.*s%s%s", (int)(at - text), text, name,
			              at + strlen("<profile>"));
		else if (k->type == SCHEMA_PATH)
			s = paths_expand_tilde(text);
		else
			s = xstrdup(text);
		/* Given values are checked; derived defaults (a profile
		 * name in a context name) are taken as they are. */
		if (k->check != NULL && name == NULL &&
		    k->check(s, cause) != 0) {
			free(s);
			return -1;
		}
		free(*(char **)field);
		*(char **)field = s;
		return 0;
	case SCHEMA_INT:
		if (parse_int(text, &ll) != 0) {
			util_set_cause(cause, "'%s' is not an integer", text);
			return -1;
		}
		if (ll < k->min || ll > k->max) {
			util_set_cause(cause,
			               "%lld is out of range (%lld..%lld)", ll,
			               k->min, k->max);
			return -1;
		}
		if (k->size == sizeof(uint64_t))
			*(uint64_t *)field = (uint64_t)ll;
		else
			*(int *)field = (int)ll;
		return 0;
	case SCHEMA_SIZE:
	case SCHEMA_DURATION: {
		char *c = NULL, *lo, *hi;
		int r = k->type == SCHEMA_SIZE
		            ? units_parse_size(text, &u, &c)
		            : units_parse_duration(text, &u, &c);
		if (r != 0) {
			*cause = c;
			return -1;
		}
		if (u < (uint64_t)k->min || u > (uint64_t)k->max) {
			if (k->type == SCHEMA_SIZE) {
				lo = units_format_size((uint64_t)k->min);
				hi = units_format_size((uint64_t)k->max);
			} else {
				lo = units_format_duration((uint64_t)k->min);
				hi = units_format_duration((uint64_t)k->max);
			}
			/* A byte count from before bare numbers meant GiB. */
			util_set_cause(
			    cause, "%s is out of range (%s..%s)%s", text, lo,
			    hi,
			    k->type == SCHEMA_SIZE &&
			            text[strspn(text, "0123456789. ")] == '\0'
			        ? "; a number without a unit is GiB"
			        : "");
			free(lo);
			free(hi);
			return -1;
		}
		*(uint64_t *)field = u;
		return 0;
	}
	case SCHEMA_BOOL:
		if (parse_bool(text, &b) != 0) {
			util_set_cause(
			    cause, "'%s' is not a boolean (use true or false)",
			    text);
			return -1;
		}
		*(int *)field = b;
		return 0;
	case SCHEMA_ENUM:
		for (i = 0; k->choices[i] != NULL; i++) {
			if (strcmp(k->choices[i], text) == 0)
				break;
		}
		if (k->choices[i] == NULL) {
			s = choices_text(k->choices);
			util_set_cause(cause, "'%s' is not one of %s", text, s);
			free(s);
			return -1;
		}
		if (k->size == 0) {
			free(*(char **)field);
			*(char **)field = xstrdup(text);
		} else
			*(int *)field = (int)i;
		return 0;
	case SCHEMA_LIST: {
		char ***list = (char ***)field;
		size_t *n = (size_t *)(void *)((char *)base + k->count_offset);

		free_list(list, n);
		split_list(text, list, n);
		return 0;
	}
	case SCHEMA_MOUNTS: {
		char **items = NULL;

		i = 0;
		split_list(text, &items, &i);
		if (i != 0) {
			util_set_cause(cause, "mounts are set as a YAML list");
			free_list(&items, &i);
			return -1;
		}
		return 0;
	}
	}
	util_set_cause(cause, "unknown key type");
	return -1;
}

/* A value as text, the way a profile would spell it; the caller frees. */
char *
schema_format(const struct schema_key *k, const void *base)
{
	const void *field = (const char *)base + k->offset;
	const char *s;
	char *out, *t;
	size_t i, n;

	switch (k->type) {
	case SCHEMA_STRING:
	case SCHEMA_PATH:
		s = *(char *const *)field;
		return xstrdup(s != NULL ? s : "");
	case SCHEMA_INT:
		if (k->size == sizeof(uint64_t))
			return xasprintf("%llu", (unsigned long long)*(
			                             const uint64_t *)field);
		return xasprintf("%d", *(const int *)field);
	case SCHEMA_SIZE:
		return units_format_size_exact(*(const uint64_t *)field);
	case SCHEMA_DURATION:
		return units_format_duration_exact(*(const uint64_t *)field);
	case SCHEMA_BOOL:
		return xstrdup(*(const int *)field ? "true" : "false");
	case SCHEMA_ENUM:
		if (k->size == 0) {
			s = *(char *const *)field;
			return xstrdup(s != NULL ? s : "");
		}
		i = (size_t) * (const int *)field;
		for (n = 0; k->choices[n] != NULL; n++)
			;
		return xstrdup(i < n ? k->choices[i] : "?");
	case SCHEMA_LIST: {
		char *const *list = *(char **const *)field;

		n = *(const size_t *)(const void *)((const char *)base +
		                                    k->count_offset);
		out = xstrdup("[");
		for (i = 0; i < n; i++) {
			t = xasprintf("%s%s%s", out, i ? ", " : "", list[i]);
			free(out);
			out = t;
		}
		t = xasprintf("%s]", out);
		free(out);
		return t;
	}
	case SCHEMA_MOUNTS:
		n = *(const size_t *)(const void *)((const char *)base +
		                                    k->count_offset);
		return xasprintf("%zu mount%s", n, n == 1 ? "" : "s");
	}
	return xstrdup("?");
}

/*
 * Set every default of one level: the top-level keys when `prefix` is
 * NULL, else the keys under `prefix` ("mounts[]."). Defaults always parse
 * (the unit tests check it).
 */
void
schema_apply_defaults(void *base, const char *prefix, const char *name)
{
	const struct schema_key *k;
	size_t i, plen = prefix ? strlen(prefix) : 0;
	char *cause = NULL;

	for (i = 0; i < schema_nkeys; i++) {
		k = &schema_keys[i];
		if (prefix != NULL ? strncmp(k->path, prefix, plen) != 0
		                   : strchr(k->path, '[') != NULL)
			continue;
		if (k->def == NULL || k->type == SCHEMA_MOUNTS)
			continue;
		if (schema_set_text(k, base, k->def, name, &cause) != 0)
			fatal("default of %s: %s", k->path, cause);
	}
}
