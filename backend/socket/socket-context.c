/*
 * socket-context.c: the Docker context that points the Docker CLI at berth's
 * host socket, written in Docker's own store format so `docker --context NAME`
 * and `docker context ls` see it without the Docker CLI being run:
 * $DOCKER_CONFIG/contexts/meta/<hex sha256 of NAME>/meta.json holds
 * {"Name":…,"Metadata":{…},"Endpoints":{"docker":{"Host":"unix://…",
 * "SkipTLSVerify":false}}} (docker/cli cli/context/store).
 *
 * berth marks its contexts with Metadata.BerthProfile and never writes a
 * context that lacks the mark, nor any other context's files. Activation
 * sets "currentContext" in config.json, keeping every other key, and
 * remembers the previous value in the profile's state dir so deactivation
 * can put it back. A config.json that is not valid JSON is left untouched.
 */

#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "socket/socket.h"

/* $DOCKER_CONFIG, else ~/.docker (caller frees). */
char *
context_docker_config_dir(void)
{
	const char *env = getenv("DOCKER_CONFIG");

	if (env != NULL && *env != '\0')
		return xstrdup(env);
	return paths_expand_tilde("~/.docker");
}

/* Where a context's meta.json lives under a Docker config dir. */
char *
context_meta_path(const char *cfgdir, const char *name)
{
	char hex[65];

	hash_hex(HASH_SHA256, name, strlen(name), hex);
	return xasprintf("%s/contexts/meta/%s/meta.json", cfgdir, hex);
}

/* The meta.json text for a context on a unix socket (caller frees). */
char *
context_meta_json(const char *name, const char *socket_path,
                  const char *profile)
{
	json_t *j;
	char *host = xasprintf("unix://%s", socket_path), *desc, *s;

	desc = xasprintf("berth profile %s", profile);
	j = json_pack("{s:s, s:{s:s, s:s}, s:{s:{s:s, s:b}}}", "Name", name,
	              "Metadata", "Description", desc, "BerthProfile", profile,
	              "Endpoints", "docker", "Host", host, "SkipTLSVerify", 0);
	free(host);
	free(desc);
	if (j == NULL)
		fatal("cannot build context metadata");
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (s == NULL)
		fatal("cannot format context metadata");
	return s;
}

/* Whether a context of that name is in the store. */
int
context_exists(const char *name)
{
	char *cfg = context_docker_config_dir(), *meta;
	int rc;

	if (strcmp(name, "default") == 0) {
		free(cfg);
		return 1;
	}
	meta = context_meta_path(cfg, name);
	rc = access(meta, F_OK) == 0;
	free(meta);
	free(cfg);
	return rc;
}

/*
 * Create or update the context `name` pointing at socket_path. A context
 * of that name that berth did not make is left alone (error). Returns 0.
 */
int
context_write(const char *name, const char *socket_path, const char *profile,
              char **cause)
{
	char *cfg = context_docker_config_dir(), *meta, *dir, *old, *text;
	json_t *j;
	int rc = -1;

	meta = context_meta_path(cfg, name);
	text = context_meta_json(name, socket_path, profile);
	if ((old = util_read_file(meta, NULL, NULL)) != NULL) {
		if (strcmp(old, text) == 0) {
			rc = 0;
			goto out;
		}
		j = json_loads(old, 0, NULL);
		if (j == NULL || json_string_value(json_object_get(
		                     json_object_get(j, "Metadata"),
		                     "BerthProfile")) == NULL) {
			util_set_cause(cause,
			               "Docker context %s exists and was not "
			               "made by berth; left alone (set "
			               "docker.context to another name)",
			               name);
			json_decref(j);
			goto out;
		}
		json_decref(j);
	}
	dir = xstrndup(meta, strlen(meta) - strlen("/meta.json"));
	if (util_mkdir_p(dir, 0755, cause) != 0) {
		char *c = *cause;

		*cause = xasprintf("cannot write the Docker context: %s", c);
		free(c);
		free(dir);
		goto out;
	}
	free(dir);
	if (util_write_file_atomic(meta, text, strlen(text), 0644, 0, cause) ==
	    0)
		rc = 0;
out:
	free(old);
	free(text);
	free(meta);
	free(cfg);
	return rc;
}

/*
 * Load config.json: *jp gets the object ({} when the file is absent) and
 * *modep its mode. -1 with *cause when it is unreadable or not JSON.
 */
static int
context_load_config(const char *path, json_t **jp, mode_t *modep, char **cause)
{
	json_error_t err;
	struct stat sb;
	char *buf;

	*modep = 0600;
	if (stat(path, &sb) != 0) {
		if (errno != ENOENT) {
			util_set_cause(cause, "%s: %s", path, strerror(errno));
			return -1;
		}
		*jp = json_object();
		return 0;
	}
	*modep = sb.st_mode & 0777;
	if ((buf = util_read_file(path, NULL, cause)) == NULL)
		return -1;
	*jp = json_loads(buf, 0, &err);
	free(buf);
	if (*jp == NULL || !json_is_object(*jp)) {
		util_set_cause(cause,
		               "%s is not valid JSON (line %d: %s); berth left "
		               "it untouched",
		               path, err.line,
		               *jp == NULL ? err.text : "not an object");
		json_decref(*jp);
		*jp = NULL;
		return -1;
	}
	return 0;
}

static int
context_save_config(const char *path, json_t *j, mode_t mode, char **cause)
{
	char *s = json_dumps(j, JSON_INDENT(8) | JSON_PRESERVE_ORDER), *dir;
	int rc;

	if (s == NULL) {
		util_set_cause(cause, "cannot format %s", path);
		return -1;
	}
	dir = xstrndup(path, strrchr(path, '/') - path);
	rc = util_mkdir_p(dir, 0700, cause);
	free(dir);
	if (rc == 0) {
		size_t len = strlen(s);

		s = xreallocarray(s, len + 2, 1);
		s[len] = '\n';
		s[len + 1] = '\0';
		rc = util_write_file_atomic(path, s, len + 1, mode, 0, cause);
	}
	free(s);
	return rc;
}

/*
 * The current context from config.json: *name (caller frees) is NULL when
 * none is set. DOCKER_CONTEXT, when set, wins as it does for the CLI.
 */
int
context_current(char **name, char **cause)
{
	char *cfg = context_docker_config_dir(), *path;
	const char *env = getenv("DOCKER_CONTEXT"), *s;
	json_t *j;
	mode_t mode;
	int rc;

	*name = NULL;
	if (env != NULL && *env != '\0') {
		*name = xstrdup(env);
		free(cfg);
		return 0;
	}
	path = xasprintf("%s/config.json", cfg);
	rc = context_load_config(path, &j, &mode, cause);
	if (rc == 0) {
		s = json_string_value(json_object_get(j, "currentContext"));
		if (s != NULL && *s != '\0')
			*name = xstrdup(s);
		json_decref(j);
	}
	free(path);
	free(cfg);
	return rc;
}

/*
 * Make `name` the current context, remembering the previous one in
 * state_dir/context.previous (unless berth's is current already).
 */
int
context_activate(const char *name, const char *state_dir, char **cause)
{
	char *cfg = context_docker_config_dir(), *path, *prevfile;
	const char *cur;
	json_t *j;
	mode_t mode;
	int rc = -1;

	path = xasprintf("%s/config.json", cfg);
	prevfile = xasprintf("%s/context.previous", state_dir);
	if (context_load_config(path, &j, &mode, cause) != 0)
		goto out;
	cur = json_string_value(json_object_get(j, "currentContext"));
	if (cur != NULL && strcmp(cur, name) == 0) {
		json_decref(j);
		rc = 0;
		goto out;
	}
	if (util_write_file_atomic(prevfile, cur != NULL ? cur : "",
	                           cur != NULL ? strlen(cur) : 0, 0600, 0,
	                           cause) != 0) {
		json_decref(j);
		goto out;
	}
	json_object_set_new(j, "currentContext", json_string(name));
	rc = context_save_config(path, j, mode, cause);
	json_decref(j);
out:
	free(prevfile);
	free(path);
	free(cfg);
	return rc;
}

/*
 * Put back the context that was current before context_activate. When
 * `name` is no longer current, nothing changes and *note says so (caller
 * frees).
 */
int
context_deactivate(const char *name, const char *state_dir, char **note,
                   char **cause)
{
	char *cfg = context_docker_config_dir(), *path, *prevfile, *prev;
	const char *cur;
	json_t *j;
	mode_t mode;
	int rc = -1;

	*note = NULL;
	path = xasprintf("%s/config.json", cfg);
	prevfile = xasprintf("%s/context.previous", state_dir);
	if (context_load_config(path, &j, &mode, cause) != 0)
		goto out;
	cur = json_string_value(json_object_get(j, "currentContext"));
	if (cur == NULL || strcmp(cur, name) != 0) {
		*note = xasprintf("the current Docker context is %s, not %s; "
		                  "left as it is",
		                  cur != NULL ? cur : "default", name);
		json_decref(j);
		rc = 0;
		goto out;
	}
	prev = util_read_file(prevfile, NULL, NULL);
	if (prev != NULL)
		prev[strcspn(prev, "\n")] = '\0';
	if (prev != NULL && *prev != '\0' && strcmp(prev, name) != 0 &&
	    context_exists(prev))
		json_object_set_new(j, "currentContext", json_string(prev));
	else
		json_object_del(j, "currentContext");
	free(prev);
	rc = context_save_config(path, j, mode, cause);
	json_decref(j);
	if (rc == 0)
		unlink(prevfile);
out:
	free(prevfile);
	free(path);
	free(cfg);
	return rc;
}

/*
 * Remove the context `name` that berth made for profile (after making it
 * no longer current); one made by someone else, or for another profile,
 * is left alone. Returns 0, or -1 with *cause.
 */
int
context_remove(const char *name, const char *profile, const char *state_dir,
               char **cause)
{
	char *cfg = context_docker_config_dir(), *meta, *dir, *old,
	     *note = NULL;
	const char *owner;
	json_t *j = NULL;
	int rc = 0;

	meta = context_meta_path(cfg, name);
	if ((old = util_read_file(meta, NULL, NULL)) == NULL)
		goto out; /* none: nothing to do */
	j = json_loads(old, 0, NULL);
	owner = json_string_value(
	    json_object_get(json_object_get(j, "Metadata"), "BerthProfile"));
	if (owner == NULL || strcmp(owner, profile) != 0)
		goto out;
	if (context_deactivate(name, state_dir, &note, cause) != 0) {
		rc = -1;
		goto out;
	}
	if (unlink(meta) != 0 && errno != ENOENT) {
		util_set_cause(cause, "cannot remove %s: %s", meta,
		               strerror(errno));
		rc = -1;
		goto out;
	}
	dir = xstrndup(meta, strlen(meta) - strlen("/meta.json"));
	rmdir(dir);
	free(dir);
out:
	json_decref(j);
	free(note);
	free(old);
	free(meta);
	free(cfg);
	return rc;
}
