/*
 * profile-write.c: making and removing whole profile files, for `berth
 * profile new`, `profile rm`, `profile edit` and `berth import`. A new
 * profile is a commented skeleton (or a copy of another profile) with
 * each value set by profile_splice, the same edit `profile set` makes, so
 * every value is checked by the loader and quoted the one way; the new
 * profile always gets a VM domain and a Docker context named after itself
 * (two copies of one file sharing berth-example would drive one VM). The
 * file is written atomically (temporary file, fsync, rename) under the
 * profile folder's lock, and never over an existing profile.
 */

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"

/* How long making or removing a profile waits for another edit. */
#define PROFILE_WRITE_LOCK_MS 10000

/* Width the skeleton's comments keep to. */
#define PROFILE_WRITE_WIDTH 76

/*
 * Append `text` to *buf as comment lines, word-wrapped, indented by
 * `indent` columns.
 */
static void
comment(char **buf, int indent, const char *text)
{
	int room = PROFILE_WRITE_WIDTH - indent - 2, len;
	const char *p = text;
	char *t;

	if (*p == '\0') {
		t = xasprintf("%s%*s#\n", *buf, indent, "");
		free(*buf);
		*buf = t;
	}
	while (*p != '\0') {
		len = (int)strcspn(p, "\n");
		if (len > room) {
			int cut;

			for (cut = room; cut > 0 && p[cut] != ' '; cut--)
				;
			if (cut > 0)
				len = cut;
		}
		t = xasprintf("%s%*s#%s%.*s\n", *buf, indent, "",
		              len > 0 ? " " : "", len, p);
		free(*buf);
		*buf = t;
		p += len;
		while (*p == ' ' || *p == '\n')
			p++;
	}
}

/* The help of a key from the one schema table, as a comment. */
static void
comment_key(char **buf, int indent, const char *path)
{
	const struct schema_key *k = schema_find(path);

	if (k != NULL)
		comment(buf, indent, k->help);
}

/* Append "KEY: VALUE" in column indent. */
static void
line(char **buf, int indent, const char *key, const char *value)
{
	char *t = xasprintf("%s%*s%s: %s\n", *buf, indent, "", key, value);

	free(*buf);
	*buf = t;
}

/*
 * The commented skeleton of a new profile: the keys most profiles set,
 * each under the help the schema gives it, with their defaults (the
 * splices then put the spec's values in).
 */
static char *
skeleton(const struct profile_write_spec *s)
{
	char *buf = xstrdup(""), *t;

	t = xasprintf(
	    "%s: a berth profile. A key left out takes its default; "
	    "`berth profile keys` and berth-profile(5) list every key, "
	    "`berth profile edit %s` edits this file and checks it.",
	    s->name, s->name);
	comment(&buf, 0, t);
	free(t);
	if (s->header != NULL) {
		comment(&buf, 0, "");
		comment(&buf, 0, s->header);
	}
	comment(&buf, 0, "");
	comment(&buf, 0,
	        "Sizes: 512MiB, 8GiB, 1.5G; a number without a unit is GiB. "
	        "Durations: 500ms, 2s, 1m.");
	t = xasprintf("%svm:\n", buf);
	free(buf);
	buf = t;
	comment_key(&buf, 2, "vm.uri");
	line(&buf, 2, "uri", schema_find("vm.uri")->def);
	comment_key(&buf, 2, "vm.domain");
	line(&buf, 2, "domain", "berth-PROFILE");
	comment_key(&buf, 2, "vm.cpus");
	line(&buf, 2, "cpus", schema_find("vm.cpus")->def);
	comment_key(&buf, 2, "vm.memory");
	line(&buf, 2, "memory", schema_find("vm.memory")->def);
	comment_key(&buf, 2, "vm.disk");
	line(&buf, 2, "disk", schema_find("vm.disk")->def);
	t = xasprintf("%sdocker:\n", buf);
	free(buf);
	buf = t;
	comment_key(&buf, 2, "docker.context");
	line(&buf, 2, "context", "berth-PROFILE");
	comment(&buf, 0,
	        "Host folders shared into the VM: a list of mappings "
	        "(host: ~/src, writable: true, watch: poll; berth profile "
	        "keys lists every mounts[] key).");
	/* An empty "mounts:" takes the splices' items in block style. */
	t = xasprintf("%smounts:%s\n", buf, s->nmounts == 0 ? " []" : "");
	free(buf);
	buf = t;
	return buf;
}

/*
 * Set one key of the text in *buf (profile_splice); *buf is replaced. On
 * error returns -1 and a cause naming the key.
 */
static int
set(char **buf, size_t *len, const char *key, const char *value, char **cause)
{
	char *out;
	size_t outlen;

	if ((out = profile_splice(*buf, *len, key, value, &outlen, cause)) ==
	    NULL)
		return -1;
	free(*buf);
	*buf = out;
	*len = outlen;
	return 0;
}

/* A size as the file should say it: "4" becomes "4GiB". */
static char *
size_text(const char *value)
{
	uint64_t v;

	if (units_parse_size(value, &v, NULL) != 0)
		return xstrdup(value); /* the splice says what is wrong */
	return units_format_size_exact(v);
}

/*
 * The text of a new profile made from spec: a copy of spec->from (a
 * profile file) or the commented skeleton, with its own domain and context
 * (berth-NAME) and the spec's values. Every step is checked by the
 * loader. Returns the text (caller frees, length in *lenp) or NULL and a
 * cause.
 */
char *
profile_write_text(const struct profile_write_spec *s, size_t *lenp,
                   char **cause)
{
	struct config_errors errs = {NULL, 0};
	const struct profile_write_mount *m;
	struct profile *p;
	char *buf, *own, *t, *key;
	size_t len, i, base = 0;
	int r = 0;

	if (profile_name_check(s->name, cause) != 0)
		return NULL;
	/* Commands read "NAME.yaml" as a file: such a profile is unusable. */
	if (profile_is_file(s->name)) {
		util_set_cause(cause,
		               "'%s' ends in .yaml; a profile is named without "
		               "it",
		               s->name);
		return NULL;
	}
	if (s->from != NULL) {
		if ((t = util_read_file(s->from, &len, cause)) == NULL)
			return NULL;
		/* Its mounts stay; the spec's are added after them. */
		if ((p = profile_load_buffer(t, len, s->from, s->name,
		                             &errs)) == NULL) {
			util_set_cause(cause,
			               "%s has errors (berth profile "
			               "validate shows them)",
			               s->from);
			config_errors_free(&errs);
			free(t);
			return NULL;
		}
		base = p->nmounts;
		profile_free(p);
		own =
		    xasprintf("%s: copied from %s by `berth profile new`.%s%s",
		              s->name, s->from, s->header != NULL ? "\n" : "",
		              s->header != NULL ? s->header : "");
		buf = xstrdup("");
		comment(&buf, 0, own);
		free(own);
		own = xasprintf("%s%.*s", buf, (int)len, t);
		free(buf);
		free(t);
		buf = own;
	} else
		buf = skeleton(s);
	len = strlen(buf);

	own = xasprintf("berth-%s", s->name);
	r = set(&buf, &len, "vm.domain", own, cause);
	if (r == 0)
		r = set(&buf, &len, "docker.context", own, cause);
	free(own);
	if (r == 0 && s->cpus != NULL)
		r = set(&buf, &len, "vm.cpus", s->cpus, cause);
	if (r == 0 && s->memory != NULL) {
		t = size_text(s->memory);
		r = set(&buf, &len, "vm.memory", t, cause);
		free(t);
	}
	if (r == 0 && s->disk != NULL) {
		t = size_text(s->disk);
		r = set(&buf, &len, "vm.disk", t, cause);
		free(t);
	}
	if (r == 0 && s->arch != NULL)
		r = set(&buf, &len, "vm.arch", s->arch, cause);
	if (r == 0 && s->nprovision > 0) {
		/* A flow list, each command quoted the way set quotes. */
		own = xstrdup("[");
		for (i = 0; i < s->nprovision; i++) {
			key = profile_quote_scalar(s->provision[i]);
			t = xasprintf("%s%s%s", own, i > 0 ? ", " : "", key);
			free(key);
			free(own);
			own = t;
		}
		t = xasprintf("%s]", own);
		free(own);
		r = set(&buf, &len, "provision", t, cause);
		free(t);
	}
	for (i = 0; r == 0 && i < s->nmounts; i++) {
		m = &s->mounts[i];
		key = xasprintf("mounts[%zu].host", base + i);
		r = set(&buf, &len, key, m->host, cause);
		free(key);
		if (r == 0 && m->guest != NULL) {
			key = xasprintf("mounts[%zu].guest", base + i);
			r = set(&buf, &len, key, m->guest, cause);
			free(key);
		}
		if (r == 0 && m->type != NULL) {
			key = xasprintf("mounts[%zu].type", base + i);
			r = set(&buf, &len, key, m->type, cause);
			free(key);
		}
		if (r == 0 && m->writable != -1) {
			key = xasprintf("mounts[%zu].writable", base + i);
			r = set(&buf, &len, key, m->writable ? "true" : "false",
			        cause);
			free(key);
		}
		if (r == 0 && m->watch != NULL) {
			key = xasprintf("mounts[%zu].watch", base + i);
			r = set(&buf, &len, key, m->watch, cause);
			free(key);
		}
	}
	if (r != 0) {
		free(buf);
		return NULL;
	}
	*lenp = len;
	return buf;
}

/* The file a user profile `name` lives in; the caller frees. */
static char *
user_path(const char *name)
{
	char *dir = paths_user_profiles_dir(), *path;

	path = xasprintf("%s/%s.yaml", dir, name);
	free(dir);
	return path;
}

/*
 * Write profile `name` (a new one) from text[0..len): checked by the
 * loader first, then written atomically into the user's profile folder,
 * under its lock. A profile of that name, the user's or (unless
 * `over_shipped`: the user's own version of it) a shipped one, is never
 * replaced. Returns the file's path (caller frees) or NULL and a cause.
 */
char *
profile_write_new(const char *name, const char *text, size_t len,
                  int over_shipped, char **cause)
{
	struct config_errors errs = {NULL, 0};
	struct profile *p;
	struct stat sb;
	char *dir, *path, *old;
	int lock;

	if (profile_name_check(name, cause) != 0)
		return NULL;
	path = user_path(name);
	if ((p = profile_load_buffer(text, len, path, name, &errs)) == NULL) {
		util_set_cause(cause, "the new profile has errors: %s",
		               errs.n > 0 ? errs.list[0].message : "?");
		config_errors_free(&errs);
		free(path);
		return NULL;
	}
	profile_free(p);
	dir = paths_user_profiles_dir();
	if (util_mkdir_p(dir, 0755, cause) != 0 ||
	    (lock = util_lock_dir(dir, PROFILE_WRITE_LOCK_MS, cause)) == -1) {
		free(dir);
		free(path);
		return NULL;
	}
	free(dir);
	/* lstat: a dangling link is a name taken too. */
	if (lstat(path, &sb) == 0)
		old = xstrdup(path);
	else
		old = over_shipped ? NULL : profile_find(name, NULL);
	if (old != NULL) {
		util_set_cause(cause,
		               "profile %s exists (%s); pick another name, or "
		               "berth profile rm %s first",
		               name, old, name);
		free(old);
		free(path);
		if (lock >= 0)
			close(lock);
		return NULL;
	}
	if (util_write_file_atomic(path, text, len, 0644, 0, cause) != 0) {
		free(path);
		path = NULL;
	}
	if (lock >= 0)
		close(lock);
	return path;
}

/*
 * Remove the user's profile `name`. A shipped profile is not the user's
 * to remove, and a file whose mode allows no writing was protected by its
 * owner (as profile_set leaves it alone). The NAME.yaml.bak an edit left
 * stays. Returns 0 (the removed path in *pathp, caller frees) or -1 and a
 * cause.
 */
int
profile_write_remove(const char *name, char **pathp, char **cause)
{
	struct stat sb;
	char *path, *dir, *found;
	int lock, r = -1;

	if ((found = profile_find(name, cause)) == NULL)
		return -1;
	path = user_path(name);
	dir = paths_user_profiles_dir();
	if ((lock = util_lock_dir(dir, PROFILE_WRITE_LOCK_MS, cause)) == -1)
		goto out;
	if (lstat(path, &sb) != 0) {
		util_set_cause(cause,
		               "profile %s is shipped with berth (%s); only "
		               "your own profiles (in %s) can be removed",
		               name, found, dir);
	} else if (S_ISREG(sb.st_mode) && (sb.st_mode & 0222) == 0) {
		util_set_cause(cause,
		               "%s is read-only (mode %04o), so it was not "
		               "removed; make it writable (chmod u+w) first",
		               path, (unsigned int)(sb.st_mode & 07777));
	} else if (unlink(path) != 0) {
		util_set_cause(cause, "%s: %s", path, strerror(errno));
	} else {
		r = 0;
		*pathp = path;
		path = NULL;
	}
	if (lock >= 0)
		close(lock);
out:
	free(found);
	free(dir);
	free(path);
	return r;
}
