/*
 * docker-endpoint.c: find the Docker daemon the way the docker CLI does. A
 * profile whose socket is forwarded from its VM (docker.forward: ssh)
 * talks only to that socket, up or not: another daemon's containers
 * would pass for the VM's. Otherwise, in order: the profile's
 * docker.socket, DOCKER_HOST, DOCKER_CONTEXT, the currentContext of
 * $DOCKER_CONFIG/config.json (default ~/.docker), and finally
 * /var/run/docker.sock. A context's endpoint lives in
 * contexts/meta/<sha256 of its name>/meta.json. The winner's source is
 * recorded so the Containers pane can say where the socket came from.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "docker/docker.h"

#define ENDPOINT_DEFAULT "unix:///var/run/docker.sock"

void
endpoint_clear(struct endpoint *ep)
{
	free(ep->host);
	free(ep->socket);
	free(ep->base);
	free(ep->source);
	memset(ep, 0, sizeof *ep);
}

/*
 * Fill ep's host, socket and base from a DOCKER_HOST-style string. ssh://
 * and anything libcurl cannot reach directly is refused with a cause.
 */
int
endpoint_parse_host(const char *host, struct endpoint *ep, char **cause)
{
	const char *rest;
	size_t len;

	if (strncmp(host, "unix://", 7) == 0) {
		rest = host + 7;
		if (*rest != '/') {
			util_set_cause(cause,
			               "%s: a unix socket path must be "
			               "absolute",
			               host);
			return -1;
		}
		if (strlen(rest) >= 108) {
			util_set_cause(cause,
			               "%s: socket path too long (the "
			               "limit is 107 bytes)",
			               host);
			return -1;
		}
		ep->host = xstrdup(host);
		ep->socket = xstrdup(rest);
		ep->base = xstrdup("http://localhost");
		return 0;
	}
	if (strncmp(host, "tcp://", 6) == 0) {
		rest = host + 6;
		len = strcspn(rest, "/");
		if (len == 0) {
			util_set_cause(cause, "%s: no address", host);
			return -1;
		}
		ep->host = xstrdup(host);
		ep->socket = NULL;
		ep->base = xasprintf("http://%.*s", (int)len, rest);
		return 0;
	}
	if (strncmp(host, "ssh://", 6) == 0) {
		util_set_cause(cause,
		               "%s: ssh:// endpoints are not spoken directly; "
		               "let berth forward the socket (profile "
		               "docker.forward: ssh) or forward it yourself "
		               "(ssh -L) and use unix://",
		               host);
		return -1;
	}
	if (*host == '/') {
		char *u = xasprintf("unix://%s", host);
		int r = endpoint_parse_host(u, ep, cause);

		free(u);
		return r;
	}
	util_set_cause(cause,
	               "%s: unsupported Docker host (use unix:// or "
	               "tcp://)",
	               host);
	return -1;
}

/* $DOCKER_CONFIG, else ~/.docker; the caller frees it. */
static char *
endpoint_config_dir(void)
{
	const char *dir = getenv("DOCKER_CONFIG"), *home;

	if (dir != NULL && *dir != '\0')
		return xstrdup(dir);
	home = getenv("HOME");
	return xasprintf("%s/.docker", home != NULL ? home : "");
}

/* currentContext from config.json, or NULL when unset or unreadable. */
static char *
endpoint_current_context(const char *cfgdir, char **cause)
{
	char *path = xasprintf("%s/config.json", cfgdir), *name = NULL;
	json_error_t jerr;
	json_t *root, *v;

	root = json_load_file(path, 0, &jerr);
	if (root == NULL) {
		/* A missing file is normal; a broken one is worth saying. */
		if (strstr(jerr.text, "unable to open") == NULL)
			util_set_cause(cause, "%s:%d: %s", path, jerr.line,
			               jerr.text);
		free(path);
		return NULL;
	}
	v = json_object_get(root, "currentContext");
	if (json_is_string(v) && *json_string_value(v) != '\0')
		name = xstrdup(json_string_value(v));
	json_decref(root);
	free(path);
	return name;
}

/* The docker endpoint host of context name, or NULL and a cause. */
static char *
endpoint_context_host(const char *cfgdir, const char *name, char **cause)
{
	char hex[65], *path, *host = NULL;
	json_error_t jerr;
	json_t *root, *v;

	hash_hex(HASH_SHA256, name, strlen(name), hex);
	path = xasprintf("%s/contexts/meta/%s/meta.json", cfgdir, hex);
	root = json_load_file(path, 0, &jerr);
	if (root == NULL) {
		if (strstr(jerr.text, "unable to open") != NULL)
			util_set_cause(cause,
			               "context \"%s\" not found "
			               "(no %s)",
			               name, path);
		else
			util_set_cause(cause, "context \"%s\": %s:%d: %s", name,
			               path, jerr.line, jerr.text);
		free(path);
		return NULL;
	}
	v = json_object_get(json_object_get(root, "Endpoints"), "docker");
	v = json_object_get(v, "Host");
	if (json_is_string(v) && *json_string_value(v) != '\0')
		host = xstrdup(json_string_value(v));
	else
		util_set_cause(cause,
		               "context \"%s\" has no docker endpoint "
		               "(%s)",
		               name, path);
	json_decref(root);
	free(path);
	return host;
}

/*
 * Resolve the endpoint for a profile (which may be NULL). On success ep
 * holds allocated strings the caller frees with endpoint_clear.
 */
int
endpoint_resolve(const struct profile *p, struct endpoint *ep, char **cause)
{
	const char *env;
	char *cfgdir, *name = NULL, *host = NULL, *source = NULL, *why = NULL;
	int r;

	memset(ep, 0, sizeof *ep);
	if (p != NULL && p->docker.socket != NULL &&
	    strcmp(p->docker.socket, "auto") != 0 &&
	    *p->docker.socket != '\0') {
		host = xstrdup(p->docker.socket);
		source = xstrdup("profile");
	} else if (p != NULL && p->name != NULL &&
	           p->docker.forward == PROFILE_FORWARD_SSH) {
		/* berth's forwarded socket, even before the forward is up */
		char *dir = paths_state_dir(p->name);

		host = xasprintf("unix://%s/docker.sock", dir);
		source = xstrdup("profile (forwarded)");
		free(dir);
	} else if (p != NULL && p->docker.socket != NULL && p->name != NULL &&
	           strcmp(p->docker.socket, "auto") == 0) {
		/* "auto": berth's forwarded socket, when it is there. */
		char *dir = paths_state_dir(p->name);
		char *path = xasprintf("%s/docker.sock", dir);

		if (access(path, F_OK) == 0) {
			host = xasprintf("unix://%s", path);
			source = xstrdup("profile (forwarded)");
		}
		free(path);
		free(dir);
	}
	if (host == NULL && (env = getenv("DOCKER_HOST")) != NULL &&
	    *env != '\0') {
		host = xstrdup(env);
		source = xstrdup("DOCKER_HOST");
	}
	if (host == NULL) {
		cfgdir = endpoint_config_dir();
		env = getenv("DOCKER_CONTEXT");
		if (env != NULL && *env != '\0')
			name = xstrdup(env);
		else
			name = endpoint_current_context(cfgdir, &why);
		if (why != NULL) {
			free(cfgdir);
			util_set_cause(cause, "%s", why);
			free(why);
			return -1;
		}
		if (name != NULL && strcmp(name, "default") != 0) {
			host = endpoint_context_host(cfgdir, name, cause);
			if (host == NULL) {
				free(name);
				free(cfgdir);
				return -1;
			}
			source = xasprintf("context %s", name);
		}
		free(name);
		free(cfgdir);
	}
	if (host == NULL) {
		host = xstrdup(ENDPOINT_DEFAULT);
		source = xstrdup("default");
	}
	r = endpoint_parse_host(host, ep, cause);
	free(host);
	if (r != 0) {
		free(source);
		endpoint_clear(ep);
		return -1;
	}
	ep->source = source;
	ep->forwarded = p != NULL && p->docker.forward == PROFILE_FORWARD_SSH;
	ep->from_vm = ep->forwarded && p->docker.ssh_host == NULL &&
	              p->docker.ssh_port == 0;
	return 0;
}
