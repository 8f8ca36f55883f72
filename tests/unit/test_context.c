/*
 * test_context.c: the Docker context store as context.c writes it: the
 * meta directory named by the hex SHA-256 of the context name, meta.json
 * contents, refusing a context berth did not make, and activation that
 * keeps config.json's other keys and puts the previous context back; the
 * forward's published-port list as the model gets it (ports.c). Runs
 * against a private DOCKER_CONFIG in a temporary directory.
 */

#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "socket/socket.h"

static char tmpdir[] = "/tmp/berth-test-context.XXXXXX";
static char *cfg, *state;

static void
write_text(const char *path, const char *text)
{
	char *cause = NULL;

	if (util_write_file_atomic(path, text, strlen(text), 0600, 0, &cause) !=
	    0)
		fail_msg("%s", cause);
}

/* The directory is the SHA-256 of the name, as docker/cli's store has it
 * (`printf %s berth-test | sha256sum`). */
static void
test_meta_path(void **unused)
{
	char *p = context_meta_path("/cfg", "berth-test");

	(void)unused;
	assert_string_equal(p, "/cfg/contexts/meta/"
	                       "dd3a476069f3ca0fb34d7827fdf569a4b55a92d8876e594"
	                       "73cae99652bda1671/meta.json");
	free(p);
	p = context_meta_path("/cfg", "default");
	assert_string_equal(p, "/cfg/contexts/meta/"
	                       "37a8eec1ce19687d132fe29051dca629d164e2c4958ba14"
	                       "1d5f4133a33f0688f/meta.json");
	free(p);
}

static void
test_meta_json(void **unused)
{
	char *s = context_meta_json("berth-dev", "/run/b/docker.sock", "dev");
	json_t *j = json_loads(s, 0, NULL), *ep;

	(void)unused;
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "Name")),
	                    "berth-dev");
	ep = json_object_get(json_object_get(j, "Endpoints"), "docker");
	assert_non_null(ep);
	assert_string_equal(json_string_value(json_object_get(ep, "Host")),
	                    "unix:///run/b/docker.sock");
	assert_true(json_is_false(json_object_get(ep, "SkipTLSVerify")));
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(j, "Metadata"),
	                                      "BerthProfile")),
	    "dev");
	assert_int_equal(json_object_size(j), 3);
	json_decref(j);
	free(s);
}

static void
test_write(void **unused)
{
	char *cause = NULL, *meta, *text, *want;
	struct stat sb;

	(void)unused;
	assert_int_equal(
	    context_write("berth-t", "/s/docker.sock", "t", &cause), 0);
	meta = context_meta_path(cfg, "berth-t");
	text = util_read_file(meta, NULL, NULL);
	want = context_meta_json("berth-t", "/s/docker.sock", "t");
	assert_non_null(text);
	assert_string_equal(text, want);
	assert_int_equal(stat(meta, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0644);
	assert_true(context_exists("berth-t"));
	assert_false(context_exists("berth-nope"));
	free(text);
	free(want);
	/* Updating to another socket rewrites it. */
	assert_int_equal(context_write("berth-t", "/other.sock", "t", &cause),
	                 0);
	text = util_read_file(meta, NULL, NULL);
	assert_non_null(strstr(text, "unix:///other.sock"));
	free(text);
	free(meta);
}

static void
test_foreign(void **unused)
{
	char *cause = NULL, *meta, *dir, *text;
	const char *mine = "{\"Name\":\"mine\",\"Metadata\":{},\"Endpoints\":"
	                   "{\"docker\":{\"Host\":\"tcp://h:2375\"}}}";

	(void)unused;
	meta = context_meta_path(cfg, "mine");
	dir = xstrndup(meta, strlen(meta) - strlen("/meta.json"));
	assert_int_equal(util_mkdir_p(dir, 0755, NULL), 0);
	write_text(meta, mine);
	assert_int_equal(context_write("mine", "/s.sock", "t", &cause), -1);
	assert_non_null(strstr(cause, "not made by berth"));
	text = util_read_file(meta, NULL, NULL);
	assert_string_equal(text, mine);
	free(text);
	free(cause);
	free(dir);
	free(meta);
}

static void
test_activate(void **unused)
{
	char *cause = NULL, *note = NULL, *cur = NULL, *path, *text;
	json_t *j;

	(void)unused;
	path = xasprintf("%s/config.json", cfg);
	write_text(path, "{\"auths\":{\"r.invalid\":{}},\"currentContext\":"
	                 "\"mine\",\"zzz\":1}");
	assert_int_equal(context_activate("berth-t", state, &cause), 0);
	assert_int_equal(context_current(&cur, NULL), 0);
	assert_string_equal(cur, "berth-t");
	free(cur);
	text = util_read_file(path, NULL, NULL);
	j = json_loads(text, 0, NULL);
	assert_non_null(json_object_get(j, "auths"));
	assert_int_equal(json_integer_value(json_object_get(j, "zzz")), 1);
	json_decref(j);
	free(text);

	assert_int_equal(context_deactivate("berth-t", state, &note, &cause),
	                 0);
	assert_null(note);
	assert_int_equal(context_current(&cur, NULL), 0);
	assert_string_equal(cur, "mine");
	free(cur);

	/* Not current: nothing changes, a note says so. */
	assert_int_equal(context_deactivate("berth-t", state, &note, &cause),
	                 0);
	assert_non_null(note);
	free(note);
	assert_int_equal(context_current(&cur, NULL), 0);
	assert_string_equal(cur, "mine");
	free(cur);
	free(path);
}

static void
test_invalid_config(void **unused)
{
	char *cause = NULL, *path, *text;
	const char *bad = "{\"currentContext\": \"x\",";

	(void)unused;
	path = xasprintf("%s/config.json", cfg);
	write_text(path, bad);
	assert_int_equal(context_activate("berth-t", state, &cause), -1);
	assert_non_null(strstr(cause, "not valid JSON"));
	free(cause);
	text = util_read_file(path, NULL, NULL);
	assert_string_equal(text, bad);
	free(text);
	unlink(path);
	free(path);
}

/*
 * forward.json's port list into the model (ports.c): the daemon's text
 * (container names) arrives sanitized, a previous list is replaced, and
 * no list clears it.
 */
static void
test_ports_fill(void **unused)
{
	struct model_socket ms;
	json_t *a;

	(void)unused;
	memset(&ms, 0, sizeof ms);
	a = json_loads("[{\"host_port\":8080,\"container_port\":80,"
	               "\"proto\":\"tcp\",\"container\":\"web\\u001b[2J\","
	               "\"state\":\"forwarded\"},"
	               "{\"host_port\":5353,\"container_port\":53,"
	               "\"proto\":\"udp\",\"state\":\"udp not forwarded\"},"
	               "{\"host_port\":9000,\"container_port\":9000,"
	               "\"proto\":\"tcp\",\"container\":\"db\","
	               "\"state\":\"error\",\"error\":\"in use\"}]",
	               0, NULL);
	assert_non_null(a);
	ports_fill(a, &ms);
	ports_fill(a, &ms); /* again: replaced, not appended */
	assert_int_equal(ms.nports, 3);
	assert_int_equal(ms.ports[0].host_port, 8080);
	assert_int_equal(ms.ports[0].container_port, 80);
	assert_null(strchr(ms.ports[0].container, '\033'));
	assert_string_equal(ms.ports[1].state, "udp not forwarded");
	assert_null(ms.ports[1].container);
	assert_string_equal(ms.ports[2].error, "in use");
	json_decref(a);
	ports_fill(NULL, &ms);
	assert_int_equal(ms.nports, 0);
	assert_null(ms.ports);
	model_socket_clear(&ms);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_meta_path),
	    cmocka_unit_test(test_meta_json),
	    cmocka_unit_test(test_write),
	    cmocka_unit_test(test_foreign),
	    cmocka_unit_test(test_activate),
	    cmocka_unit_test(test_invalid_config),
	    cmocka_unit_test(test_ports_fill),
	};
	char *cmd;
	int rc;

	if (mkdtemp(tmpdir) == NULL)
		return 1;
	cfg = xasprintf("%s/docker", tmpdir);
	state = xasprintf("%s/state", tmpdir);
	mkdir(cfg, 0700);
	mkdir(state, 0700);
	setenv("DOCKER_CONFIG", cfg, 1);
	unsetenv("DOCKER_CONTEXT");
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	cmd = xasprintf("rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		rc = rc != 0 ? rc : 1;
	free(cmd);
	free(cfg);
	free(state);
	return rc;
}
