/*
 * profile.c: loading profiles. A profile is a YAML mapping read with the
 * one YAML reader (conf-yaml.c) into a struct profile; which keys exist, their
 * types, ranges and defaults all come from schema_keys[] (profile-schema.c).
 * Every problem is collected as FILE:LINE:COL: message (1-based, from the
 * parser's node marks) so `berth profile validate` can list them all.
 *
 * Lookup: a name (profile_name_check says what one may be) is looked for
 * in the user's profile directory, then among the shipped profiles (the
 * fallback and the templates). A path is read only where a command takes a
 * FILE argument (profile_open_file).
 */

#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"

/* The state of one load: where errors go and where marks come from. */
struct loader {
	const char *file;
	struct config_errors *errs;
	struct conf_yaml *y;
	struct profile *p;
	yaml_node_t **mount_nodes; /* node marking each mount's target */
};

/*
 * Limits that keep hostile files (and YAML aliases, which let one node be
 * visited many times) from costing more than a moment: no real profile
 * comes near them.
 */
#define PROFILE_MAX_BYTES  (1024 * 1024)
#define PROFILE_MAX_PAIRS  256  /* keys in one mapping */
#define PROFILE_MAX_MOUNTS 256  /* entries in mounts */
#define PROFILE_MAX_ITEMS  4096 /* entries in a list of strings */

static void loader_mapping(struct loader *, yaml_node_t *, const char *,
                           const char *, void *);

/* All problems joined by newlines; the caller frees. */
static char *
errors_join(const struct config_errors *errs)
{
	char *s = NULL, *t, *line;
	const struct config_error *e;
	size_t i;

	for (i = 0; i < errs->n; i++) {
		e = &errs->list[i];
		if (e->line > 0)
			line = xasprintf("%s:%d:%d: %s", e->file, e->line,
			                 e->col, e->message);
		else
			line = xasprintf("%s: %s", e->file, e->message);
		if (s == NULL)
			s = line;
		else {
			t = xasprintf("%s\n%s", s, line);
			free(s);
			free(line);
			s = t;
		}
	}
	return s != NULL ? s : xstrdup("invalid profile");
}

static void BERTH_PRINTFLIKE(3, 4)
    loader_error(struct loader *ld, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	conf_yaml_error(ld->errs, ld->file, n, "%s", msg);
	free(msg);
}

static const char *
node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_SCALAR_NODE:
		return "a scalar";
	default:
		return "nothing";
	}
}

static const char *
scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* A plain empty, ~ or null scalar: the key is there without a value. */
static int
is_null(const yaml_node_t *n)
{
	const char *s;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	s = scalar(n);
	return *s == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	       strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

/* Whether some schema key lies under `prefix` ("vm" has "vm.cpus"). */
static int
has_children(const char *prefix)
{
	size_t i, len = strlen(prefix);

	for (i = 0; i < schema_nkeys; i++) {
		if (strncmp(schema_keys[i].path, prefix, len) == 0 &&
		    schema_keys[i].path[len] == '.')
			return 1;
	}
	return 0;
}

static void
mount_free_fields(struct profile_mount *m)
{
	const struct schema_key *k;
	size_t i, j, *n;
	char ***list;

	for (i = 0; i < schema_nkeys; i++) {
		k = &schema_keys[i];
		if (strncmp(k->path, "mounts[].", 9) != 0)
			continue;
		if (k->type == SCHEMA_STRING || k->type == SCHEMA_PATH ||
		    (k->type == SCHEMA_ENUM && k->size == 0))
			free(*(char **)(void *)((char *)m + k->offset));
		else if (k->type == SCHEMA_LIST) {
			list = (char ***)(void *)((char *)m + k->offset);
			n = (size_t *)(void *)((char *)m + k->count_offset);
			for (j = 0; j < *n; j++)
				free((*list)[j]);
			free(*list);
		}
	}
}

/* Load a list of strings into the field of `k`. */
static void
loader_list(struct loader *ld, const struct schema_key *k, yaml_node_t *v,
            const char *display, void *base)
{
	char ***list = (char ***)(void *)((char *)base + k->offset);
	size_t *n = (size_t *)(void *)((char *)base + k->count_offset), j,
	       count;
	yaml_node_t *item;

	if (v->type != YAML_SEQUENCE_NODE) {
		loader_error(ld, v, "%s: expected a list, got %s", display,
		             node_kind(v));
		return;
	}
	if ((count = conf_yaml_count(v)) > PROFILE_MAX_ITEMS) {
		loader_error(ld, v, "%s: more than %d items", display,
		             PROFILE_MAX_ITEMS);
		return;
	}
	for (j = 0; j < *n; j++)
		free((*list)[j]);
	free(*list);
	*list = NULL;
	*n = 0;
	for (j = 0; j < count; j++) {
		if ((item = conf_yaml_item(ld->y, v, j)) == NULL)
			continue;
		if (item->type != YAML_SCALAR_NODE || is_null(item)) {
			loader_error(
			    ld, item, "%s: list items must be strings, got %s",
			    display,
			    is_null(item) ? "nothing" : node_kind(item));
			continue;
		}
		*list = xreallocarray(*list, *n + 1, sizeof **list);
		(*list)[(*n)++] = xstrdup(scalar(item));
	}
}

/* Load mounts: a list of mappings, each with the mounts[] keys. */
static void
loader_mounts(struct loader *ld, const struct schema_key *k, yaml_node_t *v,
              struct profile *p)
{
	const struct schema_key *mk;
	struct profile_mount *m;
	yaml_node_t *item, *target;
	char *display;
	size_t i, j, idx, count;

	if (v->type != YAML_SEQUENCE_NODE) {
		loader_error(ld, v, "%s: expected a list of mounts, got %s",
		             k->path, node_kind(v));
		return;
	}
	if ((count = conf_yaml_count(v)) > PROFILE_MAX_MOUNTS) {
		loader_error(ld, v, "%s: more than %d mounts", k->path,
		             PROFILE_MAX_MOUNTS);
		return;
	}
	for (idx = 0; idx < count; idx++) {
		if ((item = conf_yaml_item(ld->y, v, idx)) == NULL)
			continue;
		if (item->type != YAML_MAPPING_NODE) {
			loader_error(
			    ld, item,
			    "mounts[%zu]: expected a mapping with host:, "
			    "got %s",
			    idx, node_kind(item));
			continue;
		}
		p->mounts =
		    xreallocarray(p->mounts, p->nmounts + 1, sizeof *p->mounts);
		ld->mount_nodes = xreallocarray(ld->mount_nodes, p->nmounts + 1,
		                                sizeof *ld->mount_nodes);
		m = &p->mounts[p->nmounts];
		memset(m, 0, sizeof *m);
		m->line = conf_yaml_line(item);
		ld->mount_nodes[p->nmounts] = item;
		p->nmounts++;
		schema_apply_defaults(m, "mounts[].", ld->p->name);
		display = xasprintf("mounts[%zu].", idx);
		loader_mapping(ld, item, "mounts[].", display, m);
		for (i = 0; i < schema_nkeys; i++) {
			mk = &schema_keys[i];
			if (strncmp(mk->path, "mounts[].", 9) != 0)
				continue;
			if ((mk->flags & SCHEMA_F_REQUIRED) &&
			    conf_yaml_get(ld->y, item, mk->path + 9) == NULL)
				loader_error(
				    ld, item,
				    "mounts[%zu]: missing required key "
				    "'%s'",
				    idx, mk->path + 9);
			if ((mk->flags & SCHEMA_F_AS_HOST) &&
			    *(char **)(void *)((char *)m + mk->offset) ==
			        NULL &&
			    m->host != NULL)
				*(char **)(void *)((char *)m + mk->offset) =
				    xstrdup(m->host);
		}
		free(display);
	}

	/* Two mounts on one guest path would hide each other. */
	for (j = 1; j < p->nmounts; j++) {
		if (p->mounts[j].guest == NULL)
			continue;
		for (i = 0; i < j; i++) {
			if (p->mounts[i].guest == NULL ||
			    strcmp(p->mounts[i].guest, p->mounts[j].guest) != 0)
				continue;
			target =
			    conf_yaml_get(ld->y, ld->mount_nodes[j], "guest");
			if (target == NULL)
				target = conf_yaml_get(
				    ld->y, ld->mount_nodes[j], "host");
			if (target == NULL)
				target = ld->mount_nodes[j];
			loader_error(
			    ld, target,
			    "duplicate mount target '%s' (the mount at "
			    "line %d uses it too)",
			    p->mounts[j].guest, p->mounts[i].line);
			break;
		}
	}
}

/* Load one value into the field of `k`. */
static void
loader_leaf(struct loader *ld, const struct schema_key *k, yaml_node_t *v,
            const char *display, void *base)
{
	char *cause = NULL;

	if (is_null(v)) {
		if (k->flags & SCHEMA_F_REQUIRED)
			loader_error(ld, v, "%s: needs a value", display);
		return;
	}
	if (k->type == SCHEMA_MOUNTS) {
		loader_mounts(ld, k, v, base);
		return;
	}
	if (k->type == SCHEMA_LIST) {
		loader_list(ld, k, v, display, base);
		return;
	}
	if (v->type != YAML_SCALAR_NODE) {
		if (k->type == SCHEMA_ENUM) {
			char *c = NULL;

			/* The message lists the choices. */
			schema_set_text(k, base, "", NULL, &c);
			loader_error(ld, v, "%s: expected %s, got %s", display,
			             strstr(c, "one of") ? strstr(c, "one of")
			                                 : c,
			             node_kind(v));
			free(c);
			return;
		}
		loader_error(ld, v, "%s: expected %s %s, got %s", display,
		             k->type == SCHEMA_INT ? "an" : "a",
		             schema_type_name(k->type), node_kind(v));
		return;
	}
	if (schema_set_text(k, base, scalar(v), NULL, &cause) != 0) {
		loader_error(ld, v, "%s: %s", display, cause);
		free(cause);
	}
}

/*
 * Walk a mapping whose keys are looked up as `prefix`KEY in the schema and
 * shown as `display`KEY in messages; values land in `base`.
 */
static void
loader_mapping(struct loader *ld, yaml_node_t *node, const char *prefix,
               const char *display, void *base)
{
	yaml_node_t *key, *val, *pk = NULL;
	const struct schema_key *k, *sug;
	char *lookup, *shown;
	size_t i, j, n = conf_yaml_count(node);

	if (n > PROFILE_MAX_PAIRS) {
		loader_error(ld, node, "%smore than %d keys", display,
		             PROFILE_MAX_PAIRS);
		return;
	}
	for (i = 0; i < n; i++) {
		key = conf_yaml_key(ld->y, node, i);
		val = conf_yaml_value(ld->y, node, i);
		if (key == NULL || val == NULL)
			continue;
		if (key->type != YAML_SCALAR_NODE) {
			loader_error(ld, key, "%skeys must be plain names",
			             display);
			continue;
		}
		for (j = 0; j < i; j++) {
			pk = conf_yaml_key(ld->y, node, j);
			if (pk != NULL && pk->type == YAML_SCALAR_NODE &&
			    strcmp(scalar(pk), scalar(key)) == 0)
				break;
		}
		if (j < i) {
			loader_error(ld, key,
			             "duplicate key '%s%s' (first at line %d)",
			             display, scalar(key), conf_yaml_line(pk));
			continue;
		}
		lookup = xasprintf("%s%s", prefix, scalar(key));
		shown = xasprintf("%s%s", display, scalar(key));
		if (strchr(scalar(key), '.') != NULL ||
		    strstr(scalar(key), "[]") != NULL) {
			/* "vm.cpus: 2" would bypass the nesting (and
			 * "mounts[].host" would land in the wrong struct). */
			loader_error(ld, key,
			             "unknown key '%s' (write nested keys as "
			             "YAML mappings, not dotted names)",
			             shown);
		} else if ((k = schema_find(lookup)) != NULL)
			loader_leaf(ld, k, val, shown, base);
		else if (has_children(lookup)) {
			char *np = xasprintf("%s.", lookup);
			char *nd = xasprintf("%s.", shown);

			if (val->type == YAML_MAPPING_NODE)
				loader_mapping(ld, val, np, nd, base);
			else if (!is_null(val))
				loader_error(ld, val,
				             "%s: expected a mapping, got %s",
				             shown, node_kind(val));
			free(np);
			free(nd);
		} else if ((sug = schema_suggest(lookup)) != NULL) {
			size_t plen = strlen(prefix);

			if (strncmp(sug->path, prefix, plen) == 0)
				loader_error(ld, key,
				             "unknown key '%s' (did you mean "
				             "'%s%s'?)",
				             shown, display, sug->path + plen);
			else
				loader_error(ld, key,
				             "unknown key '%s' (did you mean "
				             "'%s'?)",
				             shown, sug->path);
		} else
			loader_error(ld, key, "unknown key '%s'", shown);
		free(lookup);
		free(shown);
	}
}

/* "dev" from ".../dev.yaml". */
static char *
name_from_path(const char *file)
{
	const char *base = util_basename(file);
	size_t len = strlen(base);

	if (len > 5 && strcmp(base + len - 5, ".yaml") == 0)
		len -= 5;
	else if (len > 4 && strcmp(base + len - 4, ".yml") == 0)
		len -= 4;
	return xstrndup(base, len);
}

/* A profile with every default; the caller frees it with profile_free. */
struct profile *
profile_defaults(const char *name)
{
	struct profile *p = xcalloc(1, sizeof *p);

	p->name = xstrdup(name != NULL ? name : "default");
	schema_apply_defaults(p, NULL, p->name);
	return p;
}

/* A profile is one document; its syntax errors have the standard words. */
static const struct conf_yaml_kind profile_yaml = {
    .one_document = "a profile is one YAML document; remove this one",
};

/* Walk a profile's root node (NULL: empty) into the profile. */
static void
profile_walk(struct conf_yaml *y, yaml_node_t *root, void *arg)
{
	struct loader *ld = arg;

	ld->y = y;
	if (root == NULL || is_null(root))
		return;
	if (root->type != YAML_MAPPING_NODE)
		loader_error(ld, root,
		             "a profile is a mapping of keys (vm:, "
		             "mounts:, docker:, ...), not %s",
		             node_kind(root));
	else
		loader_mapping(ld, root, "", "", ld->p);
}

/*
 * Load a profile from `len` bytes of YAML. `file` names it in messages,
 * `name` is the profile name (NULL: from the file name). Returns the
 * profile (caller frees), or NULL with every problem added to `errs`.
 */
struct profile *
profile_load_buffer(const char *buf, size_t len, const char *file,
                    const char *name, struct config_errors *errs)
{
	struct loader ld;
	struct profile *p;
	size_t before = errs->n;
	char *pname;

	if (file == NULL)
		file = "-";
	pname = name != NULL ? xstrdup(name) : name_from_path(file);
	p = profile_defaults(pname);
	free(pname);
	p->path = xstrdup(file);

	memset(&ld, 0, sizeof ld);
	ld.file = file;
	ld.errs = errs;
	ld.p = p;

	if (len > PROFILE_MAX_BYTES) {
		config_errors_add(
		    errs, file, 0, 0,
		    "%zu bytes is too large for a profile (at most "
		    "%d)",
		    len, PROFILE_MAX_BYTES);
		profile_free(p);
		return NULL;
	}
	conf_yaml_read(buf, len, file, &profile_yaml, profile_walk, &ld, errs);
	free(ld.mount_nodes);
	if (errs->n != before) {
		profile_free(p);
		return NULL;
	}
	return p;
}

/* Load a profile file; see profile_load_buffer. */
struct profile *
profile_load_file(const char *path, const char *name,
                  struct config_errors *errs)
{
	struct profile *p;
	char *buf, *cause = NULL;
	struct stat sb;
	size_t len;

	/* A device or a FIFO could be read forever. */
	if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		config_errors_add(errs, path, 0, 0, "not a regular file");
		return NULL;
	}
	if (stat(path, &sb) == 0 && sb.st_size > PROFILE_MAX_BYTES) {
		config_errors_add(errs, path, 0, 0,
		                  "%lld bytes is too large for a profile (at "
		                  "most %d)",
		                  (long long)sb.st_size, PROFILE_MAX_BYTES);
		return NULL;
	}
	if ((buf = util_read_file(path, &len, &cause)) == NULL) {
		config_errors_add_cause(errs, path, cause);
		return NULL;
	}
	p = profile_load_buffer(buf, len, path, name, errs);
	free(buf);
	return p;
}

/*
 * Whether `name` is a profile name: ASCII letters, digits, '-', '_' and
 * '.', not starting with '.', 1 to PROFILE_NAME_MAX bytes. This is the one
 * place that decides it; a name becomes a file name (profiles/NAME.yaml), a
 * state folder (state/NAME) and a domain (berth-NAME), so nothing else may
 * pass: no '/', no "..", no control characters. Returns 0, or -1 and a
 * cause that quotes the name sanitised.
 */
int
profile_name_check(const char *name, char **cause)
{
	size_t len = strlen(name), i;
	char *shown;
	const char *why = NULL;

	if (len == 0)
		why = "is empty";
	else if (len > PROFILE_NAME_MAX)
		why = "is longer than " PROFILE_NAME_MAX_TEXT " bytes";
	else if (name[0] == '.')
		why = "starts with '.'";
	for (i = 0; why == NULL && i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.'))
			why = "holds a character other than letters, digits, "
			      "'-', '_' and '.'";
	}
	if (why == NULL)
		return 0;
	/* Quote no more than a line of it, made safe for a terminal. */
	shown = util_sanitize_dup(name, len > 80 ? 80 : len);
	util_set_cause(cause, "'%s%s' is not a profile name: it %s", shown,
	               len > 80 ? "..." : "", why);
	free(shown);
	return -1;
}

/*
 * Whether a command's argument means a profile FILE rather than a name: it
 * holds a '/' or ends in .yaml. Only arguments documented as FILE ask.
 */
int
profile_is_file(const char *arg)
{
	size_t len = strlen(arg);

	return strchr(arg, '/') != NULL ||
	       (len >= 5 && strcmp(arg + len - 5, ".yaml") == 0);
}

/*
 * The file of profile `name`: a user profile, else a shipped one. Names
 * only (profile_name_check); a path is refused. Returns an allocated path
 * or NULL and a cause: the one "no profile" message every command prints.
 */
char *
profile_find(const char *name, char **cause)
{
	char *user, *shipped, *path;

	if (profile_name_check(name, cause) != 0)
		return NULL;
	user = paths_user_profiles_dir();
	path = xasprintf("%s/%s.yaml", user, name);
	if (access(path, R_OK) == 0) {
		free(user);
		return path;
	}
	free(path);
	shipped = paths_shipped_dir("profiles");
	path = xasprintf("%s/%s.yaml", shipped, name);
	if (access(path, R_OK) == 0) {
		free(user);
		free(shipped);
		return path;
	}
	free(path);
	util_set_cause(cause,
	               "no profile '%s' (looked in %s and %s; berth profile "
	               "list shows them)",
	               name, user, shipped);
	free(user);
	free(shipped);
	return NULL;
}

/*
 * Load the profile file at `path` (a command's FILE argument, or the file a
 * loaded profile came from), named `name` (NULL: from the file name).
 * Returns the profile (caller frees) or NULL and a cause holding every
 * problem, one per line.
 */
struct profile *
profile_open_file(const char *path, const char *name, char **cause)
{
	struct config_errors errs = {NULL, 0};
	struct profile *p;
	char *full = paths_expand_tilde(path);

	p = profile_load_file(full, name, &errs);
	free(full);
	if (p == NULL) {
		if (cause != NULL)
			*cause = errors_join(&errs);
		config_errors_free(&errs);
	}
	return p;
}

/*
 * Find and load profile `name` (a name, never a path). Returns the profile
 * (caller frees) or NULL and a cause holding every problem, one per line.
 */
struct profile *
profile_open(const char *name, char **cause)
{
	struct profile *p;
	char *path;

	if ((path = profile_find(name, cause)) == NULL)
		return NULL;
	p = profile_open_file(path, name, cause);
	free(path);
	return p;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Add the profile names of the *.yaml files in `dir`. A file whose name is
 * not a profile name (profile_name_check) is left out, its path added to
 * `bad` when that is given, so no listing shows a name that the commands
 * would refuse (or an escape sequence hidden in a file name).
 */
static void
add_names(const char *dir, char ***names, size_t *n, char ***bad, size_t *nbad)
{
	DIR *d;
	struct dirent *de;
	size_t len, i;
	char *name;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= 5 ||
		    strcmp(de->d_name + len - 5, ".yaml") != 0)
			continue;
		name = xstrndup(de->d_name, len - 5);
		if (profile_name_check(name, NULL) != 0) {
			if (bad != NULL) {
				*bad = xreallocarray(*bad, *nbad + 2,
				                     sizeof **bad);
				(*bad)[(*nbad)++] =
				    xasprintf("%s/%s", dir, de->d_name);
				(*bad)[*nbad] = NULL;
			}
			free(name);
			continue;
		}
		for (i = 0; i < *n; i++) {
			if (strcmp((*names)[i], name) == 0)
				break;
		}
		if (i < *n) {
			free(name);
			continue;
		}
		*names = xreallocarray(*names, *n + 2, sizeof **names);
		(*names)[(*n)++] = name;
	}
	closedir(d);
}

/*
 * Names of every profile, user and shipped, sorted and without repeats.
 * The array is NULL-terminated; the caller frees it and each name. When
 * `bad` is given it gets the NULL-terminated paths of the files left out
 * because their names are not profile names (caller frees them too).
 */
char **
profile_list_names_bad(size_t *np, char ***bad)
{
	char **names = NULL, *dir;
	size_t n = 0, nbad = 0;

	if (bad != NULL)
		*bad = NULL;
	dir = paths_user_profiles_dir();
	add_names(dir, &names, &n, bad, &nbad);
	free(dir);
	dir = paths_shipped_dir("profiles");
	add_names(dir, &names, &n, bad, &nbad);
	free(dir);
	if (names == NULL)
		names = xcalloc(1, sizeof *names);
	else
		names[n] = NULL;
	if (bad != NULL && *bad == NULL)
		*bad = xcalloc(1, sizeof **bad);
	qsort(names, n, sizeof *names, cmp_names);
	if (np != NULL)
		*np = n;
	return names;
}

/* Names of every profile; see profile_list_names_bad. */
char **
profile_list_names(size_t *np)
{
	return profile_list_names_bad(np, NULL);
}

/* The profile to use: -p NAME, else $BERTH_PROFILE, else "default". */
const char *
profile_current_name(const char *given)
{
	const char *env = getenv("BERTH_PROFILE");

	if (given != NULL)
		return given;
	if (env != NULL && *env != '\0')
		return env;
	return "default";
}

/*
 * The mount tag of the index'th shared (non-sshfs) mount whose guest path
 * is guest (caller frees). The guest path itself when QEMU takes it, so a
 * guest mounts the tag where it says without being told; else "shareN",
 * which the guest learns the place of from its mount table (cloud-init's
 * mounts:, berth.mount=TAG:/path on a kernel command line). vm_define and
 * the cloud-init seed both name tags here, so they always agree.
 */
char *
profile_mount_tag(const char *guest, size_t index)
{
	if (guest != NULL && guest[0] == '/' &&
	    strlen(guest) <= PROFILE_MOUNT_TAG_MAX)
		return xstrdup(guest);
	return xasprintf("share%zu", index);
}

/* Free a profile and everything it holds. */
void
profile_free(struct profile *p)
{
	const struct schema_key *k;
	size_t i, j, *n;
	char ***list;

	if (p == NULL)
		return;
	for (i = 0; i < schema_nkeys; i++) {
		k = &schema_keys[i];
		if (strchr(k->path, '[') != NULL)
			continue;
		if (k->type == SCHEMA_STRING || k->type == SCHEMA_PATH ||
		    (k->type == SCHEMA_ENUM && k->size == 0))
			free(*(char **)(void *)((char *)p + k->offset));
		else if (k->type == SCHEMA_LIST) {
			list = (char ***)(void *)((char *)p + k->offset);
			n = (size_t *)(void *)((char *)p + k->count_offset);
			for (j = 0; j < *n; j++)
				free((*list)[j]);
			free(*list);
		}
	}
	for (i = 0; i < p->nmounts; i++)
		mount_free_fields(&p->mounts[i]);
	free(p->mounts);
	free(p->name);
	free(p->path);
	free(p);
}
