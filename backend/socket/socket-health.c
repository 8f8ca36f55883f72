/*
 * socket-health.c: whether a host Docker socket may be used and whether
 * the daemon behind it answers. A socket path that is a symlink, not a
 * socket, or owned by another user is refused, and a stale socket is
 * removed only when it lies in berth's own state dir. Health is GET
 * /_ping through the socket with a short timeout (berth's HTTP client,
 * util/http.c).
 */

#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <curl/curl.h> /* the CURLE_* results of http_perform */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "socket/socket.h"

static char *health_dirname(const char *);
static int health_get(const char *, const char *, long, char **, char **,
                      long *, char **);

/* Whether something accepts connections on the unix socket at path. */
int
health_socket_live(const char *path)
{
	struct sockaddr_un sun;
	int fd, rc;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path)
		return 0;
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return 0;
	rc = connect(fd, (struct sockaddr *)&sun, sizeof sun);
	close(fd);
	return rc == 0;
}

/* Parent directory of a path (caller frees). */
static char *
health_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/*
 * Refuse a socket path berth must not serve or trust: too long for
 * sun_path, a symlink, another user's, or not a socket. Returns 0 when the
 * path is absent or an own socket.
 */
int
health_path_refused(const char *path, char **cause)
{
	struct stat sb;

	if (path[0] != '/') {
		util_set_cause(cause, "socket path %s is not absolute", path);
		return -1;
	}
	/* 108 bytes on Linux, 104 on macOS (platform.c) */
	if (platform_socket_path_check(platform_host, path, cause) != 0)
		return -1;
	if (lstat(path, &sb) != 0)
		return 0;
	if (S_ISLNK(sb.st_mode)) {
		util_set_cause(cause,
		               "%s is a symlink; berth refuses to serve a "
		               "socket through a link (remove it)",
		               path);
		return -1;
	}
	if (sb.st_uid != geteuid()) {
		util_set_cause(cause,
		               "%s is owned by uid %ld, not you; refusing to "
		               "use it",
		               path, (long)sb.st_uid);
		return -1;
	}
	if (!S_ISSOCK(sb.st_mode)) {
		util_set_cause(cause,
		               "%s exists and is not a socket; refusing to "
		               "replace it",
		               path);
		return -1;
	}
	return 0;
}

/*
 * Check a host socket path before berth creates a socket there: short
 * enough for sun_path, not a symlink, not another user's, not something
 * other than a socket. A socket nobody listens on is stale: it is removed
 * when it lies in state_dir, else refused. *live is set when a live socket
 * is already there (left alone). Returns 0 when the path may be used.
 */
int
health_check_path(const char *path, const char *state_dir, int *live,
                  char **cause)
{
	struct stat sb;
	char *dir, *rdir = NULL, *rstate = NULL;
	int inside;

	*live = 0;
	if (health_path_refused(path, cause) != 0)
		return -1;
	dir = health_dirname(path);
	if (lstat(dir, &sb) != 0) {
		util_set_cause(cause, "socket directory %s: %s", dir,
		               strerror(errno));
		free(dir);
		return -1;
	}
	if (lstat(path, &sb) != 0) {
		free(dir);
		if (errno == ENOENT)
			return 0;
		util_set_cause(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (health_socket_live(path)) {
		*live = 1;
		free(dir);
		return 0;
	}
	/* A stale socket: remove it only inside berth's own state dir. */
	inside = 0;
	if (state_dir != NULL) {
		rdir = realpath(dir, NULL);
		rstate = realpath(state_dir, NULL);
		inside =
		    rdir != NULL && rstate != NULL && strcmp(rdir, rstate) == 0;
	}
	free(rdir);
	free(rstate);
	free(dir);
	if (!inside) {
		util_set_cause(
		    cause,
		    "%s is a stale socket outside berth's state "
		    "dir; berth leaves it alone (remove it yourself)",
		    path);
		return -1;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		util_set_cause(cause, "removing stale socket %s: %s", path,
		               strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * GET a URL on the unix socket at path with a total timeout: the body in
 * *body and, when api is not NULL, the API-Version header in *api (both
 * the caller's to free). 0, else -1 with *cause, or -2 when no answer came
 * in time.
 */
static int
health_get(const char *path, const char *url, long timeout_ms, char **body,
           char **api, long *code, char **cause)
{
	struct http_opts o;
	struct http_call *c;
	struct stat sb;
	int rc;

	*body = NULL;
	memset(&o, 0, sizeof o);
	o.url = url;
	o.socket = path;
	o.timeout_ms = timeout_ms;
	o.max_body = 65536;
	o.header = api != NULL ? "API-Version" : NULL;
	c = http_new(&o);
	rc = http_perform(c);
	if (rc == CURLE_OK) {
		*code = http_status(c);
		*body = http_take_body(c, NULL);
		if (api != NULL) {
			free(*api);
			*api = http_take_header(c);
		}
		http_free(c);
		return 0;
	}
	if (rc == CURLE_COULDNT_CONNECT) {
		if (lstat(path, &sb) != 0)
			util_set_cause(cause, "no socket at %s", path);
		else
			util_set_cause(cause,
			               "nothing listens on %s (connection "
			               "refused)",
			               path);
	} else if (rc == CURLE_OPERATION_TIMEDOUT) {
		util_set_cause(cause, "no answer on %s within %ld ms", path,
		               timeout_ms);
		http_free(c);
		return -2;
	} else if (rc == CURLE_GOT_NOTHING || rc == CURLE_RECV_ERROR)
		util_set_cause(cause,
		               "%s accepted the connection but closed it: "
		               "the daemon behind it is not answering",
		               path);
	else
		util_set_cause(cause, "%s: %s", path, http_strerror(c, rc));
	http_free(c);
	return -1;
}

/*
 * GET /_ping through the socket at path within timeout_ms. Returns 0 when
 * the daemon answered OK, with the latency in *ms and its API version in
 * *api (caller frees, may be NULL); else -1 and *cause, or -2 when the
 * socket took the request but no answer came in time (a busy daemon).
 */
int
health_ping(const char *path, long timeout_ms, double *ms, char **api,
            char **cause)
{
	struct timespec t0, t1;
	char *body = NULL, *version = NULL;
	long code = 0;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = health_get(path, "http://localhost/_ping", timeout_ms, &body,
	                &version, &code, cause);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (rc == 0 &&
	    (code != 200 || body == NULL || strncmp(body, "OK", 2) != 0)) {
		util_set_cause(cause, "/_ping on %s answered HTTP %ld", path,
		               code);
		rc = -1;
	}
	free(body);
	if (rc != 0) {
		free(version);
		return rc;
	}
	*ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	      (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	if (api != NULL)
		*api = version;
	else
		free(version);
	return 0;
}

/* The daemon's version from /version (caller frees), or NULL. */
char *
health_engine_version(const char *path, long timeout_ms)
{
	char *body = NULL, *v = NULL;
	const char *s;
	long code = 0;
	json_t *j;

	if (health_get(path, "http://localhost/version", timeout_ms, &body,
	               NULL, &code, NULL) != 0)
		return NULL;
	if (code == 200 && (j = json_loads(body, 0, NULL)) != NULL) {
		if ((s = json_string_value(json_object_get(j, "Version"))) !=
		    NULL)
			v = util_sanitize_dup(s, strlen(s));
		json_decref(j);
	}
	free(body);
	return v;
}
