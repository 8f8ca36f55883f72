/*
 * test_docker.c: the pure parts of the Docker client: the JSON parsers
 * (including hostile and broken input), the log frame demuxer across
 * every chunk boundary, the bounded log buffer, the docker stats maths,
 * the cgroup reader on a fake cgroup tree, SHA-256 and endpoint
 * resolution with a fake $HOME / $DOCKER_CONFIG holding contexts.
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

#include "docker/docker.h"

static const char *ID1 =
    "4a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9";
static const char *ID2 =
    "5a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9";

/* ---- sha256 ---- */

static void
test_sha256(void **state)
{
	char hex[65];
	char *million;

	hash_hex(HASH_SHA256, "", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649"
	                         "b934ca495991b7852b855");
	hash_hex(HASH_SHA256, "abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a3961"
	                         "77a9cb410ff61f20015ad");
	hash_hex(HASH_SHA256,
	         "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
	         hex);
	assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964f"
	                         "f2167f6ecedd419db06c1");
	million = malloc(1000000);
	memset(million, 'a', 1000000);
	hash_hex(HASH_SHA256, million, 1000000, hex);
	free(million);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a49"
	                         "7200e046d39ccc7112cd0");
}

/* ---- endpoint ---- */

static char *tmpdir;

static void
write_file(const char *path, const char *text)
{
	char *cause = NULL;
	char *dir = xstrdup(path);

	*strrchr(dir, '/') = '\0';
	assert_int_equal(util_mkdir_p(dir, 0755, &cause), 0);
	free(dir);
	assert_int_equal(
	    util_write_file_atomic(path, text, strlen(text), 0644, 0, &cause),
	    0);
}

static void
make_context(const char *cfgdir, const char *name, const char *host)
{
	char hex[65], *path, *json;

	hash_hex(HASH_SHA256, name, strlen(name), hex);
	path = xasprintf("%s/contexts/meta/%s/meta.json", cfgdir, hex);
	json = xasprintf("{\"Name\":\"%s\",\"Metadata\":{},\"Endpoints\":{"
	                 "\"docker\":{\"Host\":\"%s\",\"SkipTLSVerify\":"
	                 "false}}}",
	                 name, host);
	write_file(path, json);
	free(path);
	free(json);
}

static int
endpoint_setup(void **state)
{
	char tmpl[] = "/tmp/berth-ep.XXXXXX";

	tmpdir = xstrdup(mkdtemp(tmpl));
	setenv("HOME", tmpdir, 1);
	unsetenv("DOCKER_HOST");
	unsetenv("DOCKER_CONTEXT");
	unsetenv("DOCKER_CONFIG");
	return 0;
}

static int
endpoint_teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);

	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(tmpdir);
	return 0;
}

static void
test_endpoint_order(void **state)
{
	struct endpoint ep;
	struct profile *p = profile_defaults("t");
	char *cause = NULL, *home_docker, *alt;

	free(p->docker.socket);
	p->docker.socket = NULL;
	/* The docker CLI's order is for profiles that forward nothing. */
	p->docker.forward = PROFILE_FORWARD_NONE;
	/* Nothing set: the default socket. */
	assert_int_equal(endpoint_resolve(p, &ep, &cause), 0);
	assert_string_equal(ep.socket, "/var/run/docker.sock");
	assert_string_equal(ep.source, "default");
	endpoint_clear(&ep);

	/* currentContext in ~/.docker/config.json. */
	home_docker = xasprintf("%s/.docker", tmpdir);
	make_context(home_docker, "colima", "unix:///tmp/colima.sock");
	alt = xasprintf("%s/config.json", home_docker);
	write_file(alt, "{\"auths\":{},\"currentContext\":\"colima\"}");
	free(alt);
	assert_int_equal(endpoint_resolve(p, &ep, &cause), 0);
	assert_string_equal(ep.socket, "/tmp/colima.sock");
	assert_string_equal(ep.source, "context colima");
	endpoint_clear(&ep);

	/* DOCKER_CONTEXT beats currentContext. */
	make_context(home_docker, "other", "tcp://127.0.0.1:2375");
	setenv("DOCKER_CONTEXT", "other", 1);
	assert_int_equal(endpoint_resolve(p, &ep, &cause), 0);
	assert_null(ep.socket);
	assert_string_equal(ep.base, "http://127.0.0.1:2375");
	assert_string_equal(ep.source, "context other");
	endpoint_clear(&ep);

	/* "default" means the default endpoint. */
	setenv("DOCKER_CONTEXT", "default", 1);
	assert_int_equal(endpoint_resolve(p, &ep, &cause), 0);
	assert_string_equal(ep.source, "default");
	endpoint_clear(&ep);

	/* A context that does not exist is an error naming it. */
	setenv("DOCKER_CONTEXT", "nope", 1);
	assert_int_equal(endpoint_resolve(p, &ep, &cause), -1);
	assert_non_null(strstr(cause, "\"nope\""));
	free(cause);
	cause = NULL;

	/* DOCKER_HOST beats contexts. */
	setenv("DOCKER_HOST", "unix:///tmp/dh.sock", 1);
	assert_int_equal(endpoint_resolve(p, &ep, &cause), 0);
	assert_string_equal(ep.socket, "/tmp/dh.sock");
	assert_string_equal(ep.source, "DOCKER_HOST");
	endpoint_clear(&ep);

	/* "auto" is berth's forwarded socket, only once it is there. */
	{
		char *sock, *dir;

		setenv("BERTH_HOME", tmpdir, 1);
		p->docker.socket = xstrdup("auto");
		assert_int_equal(endpoint_resolve(p, &ep, &cause), 0);
		assert_string_equal(ep.source, "DOCKER_HOST");
		endpoint_clear(&ep);
		dir = paths_state_dir(p->name);
		sock = xasprintf("%s/docker.sock", dir);
		write_file(sock, "");
		assert_int_equal(endpoint_resolve(p, &ep, &cause), 0);
		assert_string_equal(ep.socket, sock);
		assert_string_equal(ep.source, "profile (forwarded)");
		endpoint_clear(&ep);
		free(p->docker.socket);
		free(sock);
		free(dir);
		unsetenv("BERTH_HOME");
	}

	/*
	 * A profile whose VM's socket berth forwards talks to that socket
	 * only, before it exists too: not DOCKER_HOST (set here), a context
	 * or /var/run/docker.sock, whose containers would pass for the VM's.
	 */
	{
		char *sock, *dir;

		setenv("BERTH_HOME", tmpdir, 1);
		p->docker.forward = PROFILE_FORWARD_SSH;
		p->docker.socket = xstrdup("auto");
		dir = paths_state_dir(p->name);
		sock = xasprintf("%s/docker.sock", dir);
		unlink(sock);
		assert_int_equal(endpoint_resolve(p, &ep, &cause), 0);
		assert_string_equal(ep.socket, sock);
		assert_string_equal(ep.source, "profile (forwarded)");
		assert_int_equal(ep.forwarded, 1);
		assert_int_equal(ep.from_vm, 1);
		endpoint_clear(&ep);
		/* forwarded from another sshd than the VM's */
		p->docker.ssh_host = xstrdup("build-box");
		assert_int_equal(endpoint_resolve(p, &ep, &cause), 0);
		assert_string_equal(ep.socket, sock);
		assert_int_equal(ep.from_vm, 0);
		endpoint_clear(&ep);
		free(p->docker.ssh_host);
		p->docker.ssh_host = NULL;
		free(p->docker.socket);
		p->docker.socket = NULL;
		p->docker.forward = PROFILE_FORWARD_NONE;
		free(sock);
		free(dir);
		unsetenv("BERTH_HOME");
	}

	/* The profile's socket beats everything. */
	p->docker.socket = xstrdup("unix:///tmp/profile.sock");
	assert_int_equal(endpoint_resolve(p, &ep, &cause), 0);
	assert_string_equal(ep.socket, "/tmp/profile.sock");
	assert_string_equal(ep.source, "profile");
	endpoint_clear(&ep);
	free(p->docker.socket);
	p->docker.socket = NULL;

	/* DOCKER_CONFIG moves the config directory. */
	unsetenv("DOCKER_HOST");
	unsetenv("DOCKER_CONTEXT");
	alt = xasprintf("%s/alt", tmpdir);
	make_context(alt, "vm", "unix:///tmp/vm.sock");
	free(home_docker);
	home_docker = xasprintf("%s/config.json", alt);
	write_file(home_docker, "{\"currentContext\":\"vm\"}");
	setenv("DOCKER_CONFIG", alt, 1);
	assert_int_equal(endpoint_resolve(p, &ep, &cause), 0);
	assert_string_equal(ep.socket, "/tmp/vm.sock");
	endpoint_clear(&ep);
	/* A broken config.json is reported, not ignored. */
	write_file(home_docker, "{\"currentContext\":");
	assert_int_equal(endpoint_resolve(p, &ep, &cause), -1);
	assert_non_null(strstr(cause, "config.json"));
	free(cause);
	unsetenv("DOCKER_CONFIG");
	free(alt);
	free(home_docker);
	profile_free(p);
}

static void
test_endpoint_hosts(void **state)
{
	struct endpoint ep;
	char *cause = NULL;

	memset(&ep, 0, sizeof ep);
	assert_int_equal(endpoint_parse_host("ssh://me@mac", &ep, &cause), -1);
	assert_non_null(strstr(cause, "forward"));
	free(cause);
	assert_int_equal(endpoint_parse_host("npipe:////./pipe/x", &ep, &cause),
	                 -1);
	free(cause);
	assert_int_equal(endpoint_parse_host("unix://relative", &ep, &cause),
	                 -1);
	free(cause);
	assert_int_equal(endpoint_parse_host("/run/d.sock", &ep, &cause), 0);
	assert_string_equal(ep.socket, "/run/d.sock");
	endpoint_clear(&ep);
}

/* ---- JSON ---- */

static void
test_json_containers(void **state)
{
	char *json = xasprintf(
	    "[{\"Id\":\"%s\",\"Names\":[\"/web\\u001b[31m\"],\"Image\":"
	    "\"nginx\",\"Command\":\"nginx -g\",\"Created\":1700000000,"
	    "\"State\":\"running\",\"Status\":\"Up 2 minutes\",\"Ports\":[{"
	    "\"IP\":\"0.0.0.0\",\"PrivatePort\":80,\"PublicPort\":8080,"
	    "\"Type\":"
	    "\"tcp\"}],\"Labels\":{\"com.docker.compose.project\":\"shop\","
	    "\"com.docker.compose.service\":\"web\"}},"
	    "{\"Id\":\"../../etc\",\"Names\":[\"/bad\"]}]",
	    ID1);
	struct model_container *list;
	size_t n, i;
	char *cause = NULL;

	assert_int_equal(
	    docker_json_containers(json, strlen(json), &list, &n, &cause), 0);
	assert_int_equal(n, 1); /* the entry with a bad id is dropped */
	assert_string_equal(list[0].id, ID1);
	/* As sent: --json carries it; tables sanitize when they print. */
	assert_string_equal(list[0].name, "web\x1b[31m");
	assert_string_equal(list[0].image, "nginx");
	assert_string_equal(list[0].state, "running");
	assert_int_equal(list[0].created, 1700000000);
	assert_int_equal(list[0].nports, 1);
	assert_int_equal(list[0].ports[0].public_port, 8080);
	assert_string_equal(list[0].project, "shop");
	assert_string_equal(list[0].service, "web");
	for (i = 0; i < n; i++)
		model_container_clear(&list[i]);
	free(list);
	free(json);

	/* Truncated JSON: a clear error. */
	assert_int_equal(
	    docker_json_containers("[{\"Id\":\"ab", 10, &list, &n, &cause), -1);
	assert_non_null(strstr(cause, "broken container list"));
	free(cause);
	/*
	 * Invalid UTF-8 in one name: that name shows U+FFFD, the rest of
	 * the list is kept.
	 */
	json = xasprintf("[{\"Id\":\"%s\",\"Names\":[\"/a\xff\xfe"
	                 "b\"]},{\"Id\":\"%s\",\"Names\":[\"/ok\"]}]",
	                 ID1, ID2);
	assert_int_equal(
	    docker_json_containers(json, strlen(json), &list, &n, &cause), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].name, "a\xef\xbf\xbd\xef\xbf\xbd"
	                                  "b");
	assert_string_equal(list[1].name, "ok");
	for (i = 0; i < n; i++)
		model_container_clear(&list[i]);
	free(list);
	free(json);
	assert_int_equal(docker_json_containers("{}", 2, &list, &n, &cause),
	                 -1);
	free(cause);
}

static void
test_json_misc(void **state)
{
	struct model_docker md;
	struct docker_event ev;
	char *cause = NULL, *id = NULL, *msg, *json;
	int tty = -1, pid = 0;

	memset(&md, 0, sizeof md);
	json = "{\"Version\":\"20.10.24\",\"ApiVersion\":\"1.41\",\"Os\":"
	       "\"linux\",\"Arch\":\"amd64\",\"KernelVersion\":\"6.1.0\"}";
	assert_int_equal(docker_json_version(json, strlen(json), &md, &cause),
	                 0);
	json = "{\"OperatingSystem\":\"Debian GNU/Linux 12\",\"CgroupVersion\":"
	       "\"2\",\"NCPU\":4,\"MemTotal\":8000000000,\"ContainersRunning\":"
	       "2,\"ContainersPaused\":1,\"ContainersStopped\":3}";
	assert_int_equal(docker_json_info(json, strlen(json), &md, &cause), 0);
	assert_string_equal(md.version, "20.10.24");
	assert_string_equal(md.api_version, "1.41");
	assert_string_equal(md.os, "Debian GNU/Linux 12");
	assert_int_equal(md.cgroup_version, 2);
	assert_int_equal(md.ncpu, 4);
	assert_int_equal(md.running, 2);
	assert_int_equal(md.stopped, 3);
	model_docker_clear(&md);

	json = xasprintf("{\"Id\":\"%s\",\"Config\":{\"Tty\":true},\"State\":"
	                 "{\"Pid\":42}}",
	                 ID1);
	assert_int_equal(
	    docker_json_inspect(json, strlen(json), &id, &tty, &pid, &cause),
	    0);
	assert_string_equal(id, ID1);
	assert_int_equal(tty, 1);
	assert_int_equal(pid, 42);
	free(id);
	free(json);

	json = xasprintf("{\"status\":\"start\",\"id\":\"%s\",\"Type\":"
	                 "\"container\",\"Action\":\"start\",\"Actor\":{"
	                 "\"ID\":\"%s\"},\"timeNano\":5}",
	                 ID1, ID1);
	assert_int_equal(docker_json_event(json, strlen(json), &ev, &cause), 0);
	assert_string_equal(ev.type, "container");
	assert_string_equal(ev.action, "start");
	assert_string_equal(ev.id, ID1);
	free(json);
	assert_int_equal(docker_json_event("{\"x\":1}", 7, &ev, &cause), -1);
	free(cause);

	json = "{\"message\":\"Container abc is not running\"}";
	msg = docker_json_error(json, strlen(json), 409);
	assert_string_equal(msg, "Container abc is not running");
	free(msg);
	json = "{\"message\":\"bad\\u001b]0;x\\u0007\"}";
	msg = docker_json_error(json, strlen(json), 500);
	assert_string_equal(msg, "bad^[]0;x^G");
	assert_null(strchr(msg, 0x1b));
	assert_null(strchr(msg, 0x07));
	free(msg);
	msg = docker_json_error(NULL, 0, 502);
	assert_string_equal(msg, "Docker answered HTTP 502");
	free(msg);

	/* Only 2xx succeeds; 304 only where the caller allows it. */
	assert_null(docker_http_status_error(200, 0, NULL, 0));
	assert_null(docker_http_status_error(204, 0, NULL, 0));
	assert_null(docker_http_status_error(304, DOCKER_HTTP_304_OK, NULL, 0));
	msg = docker_http_status_error(301, 0, NULL, 0);
	assert_non_null(strstr(msg, "HTTP 301 (a redirect, not followed)"));
	free(msg);
	msg = docker_http_status_error(304, 0, NULL, 0);
	assert_non_null(msg);
	free(msg);
	msg = docker_http_status_error(302, DOCKER_HTTP_304_OK, "moved", 5);
	assert_string_equal(msg, "moved");
	free(msg);
	json = "{\"message\":\"No such container: x\"}";
	msg = docker_http_status_error(404, 0, json, strlen(json));
	assert_string_equal(msg, "No such container: x");
	free(msg);
	msg = docker_http_status_error(0, 0, NULL, 0);
	assert_non_null(msg);
	free(msg);
	msg = docker_http_status_error(199, 0, NULL, 0);
	assert_non_null(msg);
	free(msg);

	/* What an action needs of a container: state, start, grace. */
	{
		struct docker_state st;

		json = xasprintf("{\"Id\":\"%s\",\"State\":{\"Running\":"
		                 "true,\"Paused\":false,\"StartedAt\":\"2024-"
		                 "01-02T03:04:05Z\"},\"Config\":{"
		                 "\"StopTimeout\":25}}",
		                 ID1);
		assert_int_equal(
		    docker_json_state(json, strlen(json), &st, &cause), 0);
		assert_string_equal(st.id, ID1);
		assert_true(st.running);
		assert_false(st.paused);
		assert_string_equal(st.started, "2024-01-02T03:04:05Z");
		assert_int_equal(st.stop_timeout, 25);
		free(json);
		json = xasprintf("{\"Id\":\"%s\",\"State\":{}}", ID1);
		assert_int_equal(
		    docker_json_state(json, strlen(json), &st, &cause), 0);
		assert_int_equal(st.stop_timeout, -1);
		assert_false(st.running);
		free(json);
		assert_int_equal(docker_json_state("{}", 2, &st, &cause), -1);
		free(cause);
	}

	/* Names the user may give; the rest never reach a URL. */
	assert_true(docker_name_valid("web"));
	assert_true(docker_name_valid("/web.1_a-b"));
	assert_true(docker_name_valid("4a1b2c"));
	assert_false(docker_name_valid("../x"));
	assert_false(docker_name_valid(".."));
	assert_false(docker_name_valid("a/b"));
	assert_false(docker_name_valid(""));
	assert_false(docker_name_valid("-x"));
	assert_false(docker_name_valid("a\x1b"));
	msg = docker_http_escape("a.b/..");
	assert_string_equal(msg, "a%2Eb%2F%2E%2E");
	free(msg);
	assert_true(docker_id_valid(ID1));
	assert_false(docker_id_valid("abc"));
	assert_false(docker_id_valid(NULL));
}

static void
test_api_negotiate(void **state)
{
	char *v;

	unsetenv("DOCKER_API_VERSION");
	v = docker_api_negotiate("1.41");
	assert_string_equal(v, "1.41");
	free(v);
	v = docker_api_negotiate("1.52");
	assert_string_equal(v, "1.52");
	free(v);
	v = docker_api_negotiate("1.99");
	assert_string_equal(v, "1.52");
	free(v);
	v = docker_api_negotiate(NULL);
	assert_string_equal(v, "1.24");
	free(v);
	v = docker_api_negotiate("1.4x;rm");
	assert_string_equal(v, "1.24");
	free(v);
	setenv("DOCKER_API_VERSION", "1.43", 1);
	v = docker_api_negotiate("1.47");
	assert_string_equal(v, "1.43");
	free(v);
	unsetenv("DOCKER_API_VERSION");
}

/* ---- stats maths ---- */

static void
test_stats_json_and_maths(void **state)
{
	/* Figures shaped like a cgroup v1 answer from dockerd 20.10. */
	const char *a =
	    "{\"cpu_stats\":{\"cpu_usage\":{\"total_usage\":1000000000,"
	    "\"percpu_usage\":[1,2]},\"system_cpu_usage\":100000000000,"
	    "\"online_cpus\":2},\"memory_stats\":{\"usage\":104857600,"
	    "\"limit\":"
	    "2147483648,\"stats\":{\"cache\":20971520,\"total_inactive_file\":"
	    "10485760,\"inactive_file\":1}},\"networks\":{\"eth0\":{\"rx_"
	    "bytes\":"
	    "1000,\"tx_bytes\":500},\"eth1\":{\"rx_bytes\":1000,\"tx_bytes\":"
	    "500}},\"blkio_stats\":{\"io_service_bytes_recursive\":[{\"op\":"
	    "\"Read\",\"value\":4096},{\"op\":\"Write\",\"value\":8192},{"
	    "\"op\":"
	    "\"Total\",\"value\":12288}]},\"pids_stats\":{\"current\":7}}";
	const char *b =
	    "{\"cpu_stats\":{\"cpu_usage\":{\"total_usage\":1500000000},"
	    "\"system_cpu_usage\":102000000000,\"online_cpus\":2},"
	    "\"memory_stats\":{\"usage\":209715200,\"limit\":2147483648,"
	    "\"stats\":{\"inactive_file\":5242880}},\"networks\":{\"eth0\":{"
	    "\"rx_bytes\":4000,\"tx_bytes\":1500}},\"pids_stats\":{\"current\":"
	    "3}}";
	struct docker_sample s1, s2;
	struct model_container c;
	char *cause = NULL;

	assert_int_equal(docker_json_stats(a, strlen(a), &s1, &cause), 0);
	assert_int_equal(docker_json_stats(b, strlen(b), &s2, &cause), 0);
	assert_int_equal(s1.online_cpus, 2);
	/* v1: usage - total_inactive_file, as the docker CLI does. */
	assert_int_equal(docker_stats_mem_used(&s1), 104857600 - 10485760);
	/* v2: usage - inactive_file. */
	assert_int_equal(docker_stats_mem_used(&s2), 209715200 - 5242880);
	assert_int_equal(s1.rx, 2000);
	assert_int_equal(s1.rd, 4096);
	assert_int_equal(s1.wr, 8192);
	assert_int_equal(s1.pids, 7);
	/* 0.5 s of CPU over 2 s of host time on 2 CPUs = 50 %. */
	assert_float_equal(docker_stats_cpu_pct(&s1, &s2), 50.0, 1e-9);
	/* No previous sample, no CPU figure. */
	memset(&s1.valid, 0, sizeof s1.valid);
	assert_float_equal(docker_stats_cpu_pct(&s1, &s2), 0.0, 1e-9);
	s1.valid = 1;

	memset(&c, 0, sizeof c);
	s1.when_ms = 1000;
	s2.when_ms = 3000;
	docker_stats_apply(&c, &s1, &s2);
	assert_true(c.has_stats);
	assert_float_equal(c.cpu_pct, 50.0, 1e-9);
	assert_float_equal(c.rx_bps, (4000 - 2000) / 2.0, 1e-9);
	assert_float_equal(
	    c.mem_pct, (209715200.0 - 5242880.0) / 2147483648.0 * 100.0, 1e-9);
	assert_int_equal(c.cpu_hist.n, 1);
	assert_int_equal(c.pids, 3);

	/* Usage below inactive (odd but seen): keep usage. */
	s2.mem_inactive = s2.mem_usage + 1;
	assert_int_equal(docker_stats_mem_used(&s2), s2.mem_usage);
	/* A stopped container's answer has nothing in it. */
	assert_int_equal(
	    docker_json_stats("{\"read\":\"0001\"}", 15, &s1, &cause), -1);
	free(cause);
	assert_int_equal(docker_json_stats("{\"cpu_st", 8, &s1, &cause), -1);
	free(cause);
}

/* A fake cgroup tree of each kind gives the same figures. */
static void
test_cgroup_reader(void **state)
{
	char tmpl[] = "/tmp/berth-cg.XXXXXX";
	char *root = mkdtemp(tmpl), *p, *cmd;
	struct docker_cgroup cg;
	struct docker_sample s;

	/* cgroup v1, cgroupfs driver. */
	p = xasprintf("%s/cpuacct/docker/%s/cpuacct.usage", root, ID1);
	write_file(p, "123456789\n");
	free(p);
	p = xasprintf("%s/memory/docker/%s/memory.usage_in_bytes", root, ID1);
	write_file(p, "104857600\n");
	free(p);
	p = xasprintf("%s/memory/docker/%s/memory.stat", root, ID1);
	write_file(p, "cache 20971520\ninactive_file 1\ntotal_cache 1\n"
	              "total_inactive_file 10485760\n");
	free(p);
	p = xasprintf("%s/memory/docker/%s/memory.limit_in_bytes", root, ID1);
	write_file(p, "9223372036854771712\n");
	free(p);
	p = xasprintf("%s/blkio/docker/%s/"
	              "blkio.throttle.io_service_bytes_recursive",
	              root, ID1);
	write_file(p, "8:0 Read 4096\n8:0 Write 8192\n8:0 Total 12288\n"
	              "8:16 Read 1\nTotal 12289\n");
	free(p);
	p = xasprintf("%s/pids/docker/%s/pids.current", root, ID1);
	write_file(p, "5\n");
	free(p);
	assert_int_equal(docker_cgroup_init(&cg, root), 0);
	assert_int_equal(cg.version, 1);
	assert_int_equal(docker_cgroup_sample(&cg, ID1, &s), 0);
	assert_int_equal(s.cpu_total_ns, 123456789);
	assert_int_equal(docker_stats_mem_used(&s), 104857600 - 10485760);
	assert_true(s.mem_limit == cg.machine_memory); /* no limit: host's */
	assert_int_equal(s.rd, 4097);
	assert_int_equal(s.wr, 8192);
	assert_int_equal(s.pids, 5);
	assert_true(s.system_ns > 0);
	/* Not here: the caller falls back to the API. */
	assert_int_equal(docker_cgroup_sample(&cg,
	                                      "0123456789abcdef0123456789"
	                                      "abcdef0123456789abcdef012345"
	                                      "6789abcdef",
	                                      &s),
	                 -1);
	docker_cgroup_clear(&cg);
	cmd = xasprintf("rm -rf '%s'/*", root);
	assert_int_equal(system(cmd), 0);
	free(cmd);

	/* cgroup v2, systemd driver. */
	p = xasprintf("%s/cgroup.controllers", root);
	write_file(p, "cpu memory io pids\n");
	free(p);
	p = xasprintf("%s/system.slice/docker-%s.scope/cpu.stat", root, ID1);
	write_file(p, "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n");
	free(p);
	p = xasprintf("%s/system.slice/docker-%s.scope/memory.current", root,
	              ID1);
	write_file(p, "209715200\n");
	free(p);
	p = xasprintf("%s/system.slice/docker-%s.scope/memory.stat", root, ID1);
	write_file(p, "anon 1\nfile 2\nactive_file 3\ninactive_file 5242880\n");
	free(p);
	p = xasprintf("%s/system.slice/docker-%s.scope/memory.max", root, ID1);
	write_file(p, "536870912\n");
	free(p);
	p = xasprintf("%s/system.slice/docker-%s.scope/io.stat", root, ID1);
	write_file(p, "8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0\n"
	              "8:16 rbytes=1 wbytes=2 rios=1 wios=1\n");
	free(p);
	p = xasprintf("%s/system.slice/docker-%s.scope/pids.current", root,
	              ID1);
	write_file(p, "2\n");
	free(p);
	assert_int_equal(docker_cgroup_init(&cg, root), 0);
	assert_int_equal(cg.version, 2);
	assert_int_equal(docker_cgroup_sample(&cg, ID1, &s), 0);
	assert_int_equal(s.cpu_total_ns, 2500000);
	assert_int_equal(docker_stats_mem_used(&s), 209715200 - 5242880);
	if (cg.machine_memory > 536870912)
		assert_int_equal(s.mem_limit, 536870912);
	assert_int_equal(s.rd, 101);
	assert_int_equal(s.wr, 202);
	assert_int_equal(s.pids, 2);
	docker_cgroup_clear(&cg);
	cmd = xasprintf("rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

/* The guest reader's answer, parsed, gives what the files say. */
static void
test_guest_dump(void **state)
{
	struct docker_guest_dump dm;
	struct docker_cgroup cg;
	struct docker_sample s;
	char *ans, *cause = NULL;
	char *d = xasprintf("/sys/fs/cgroup/system.slice/docker-%s.scope", ID1);

	(void)state;
	docker_guest_dump_init(&dm);
	ans = xasprintf(
	    "B 3\n"
	    "F /proc/stat\n.cpu  100 0 100 800 0 0 0 0 0 0\n"
	    "F /proc/meminfo\n.MemTotal:        2000000 kB\n"
	    "F /sys/devices/system/cpu/online\n.0-1,3\n"
	    "F /sys/fs/cgroup/cgroup.controllers\n.cpu memory io pids\n"
	    "F %s/cpu.stat\n.usage_usec 2500\n.user_usec 2000\n"
	    "F %s/memory.current\n.209715200\n"
	    "F %s/memory.stat\n.inactive_file 5242880\n"
	    "F %s/memory.max\n.max\n"
	    "F %s/io.stat\n.8:0 rbytes=100 wbytes=200 rios=1\n"
	    ".8:16 rbytes=1 wbytes=2\n"
	    "F %s/pids.current\n.2\n"
	    "F %s/cgroup.procs\n.4242\n"
	    "F /proc/4242/net/dev\n.Inter-|   Receive\n. face |bytes\n"
	    ".    lo: 999 1 0 0 0 0 0 0 999 1 0 0 0 0 0 0\n"
	    ".  eth0: 300 2 0 0 0 0 0 0 400 3 0 0 0 0 0 0\n"
	    "E 3\n",
	    d, d, d, d, d, d, d);
	assert_int_equal(docker_guest_parse(&dm, ans, strlen(ans), &cause), 0);
	assert_int_equal(docker_cgroup_init_fs(&cg, NULL, &dm.fs), 0);
	assert_int_equal(cg.version, 2);
	assert_int_equal(cg.online_cpus, 3);
	assert_true(cg.machine_memory == 2000000ULL * 1024);
	docker_cgroup_batch(&cg);
	assert_true(cg.system_ns == 1000ULL * (1000000000ULL / 100));
	assert_int_equal(docker_cgroup_sample(&cg, ID1, &s), 0);
	assert_int_equal(s.cpu_total_ns, 2500000);
	assert_int_equal(docker_stats_mem_used(&s), 209715200 - 5242880);
	assert_true(s.mem_limit == 2000000ULL * 1024); /* max: the guest's */
	assert_int_equal(s.rd, 101);
	assert_int_equal(s.wr, 202);
	assert_int_equal(s.pids, 2);
	assert_int_equal(s.rx, 300);
	assert_int_equal(s.tx, 400);
	assert_int_equal(s.online_cpus, 3);
	/* Not in the answer: the caller asks the API. */
	assert_int_equal(docker_cgroup_sample(&cg,
	                                      "0123456789abcdef0123456789"
	                                      "abcdef0123456789abcdef012345"
	                                      "6789abcdef",
	                                      &s),
	                 -1);
	docker_cgroup_clear(&cg);
	free(ans);
	free(d);
	docker_guest_dump_clear(&dm);
}

/*
 * The request line: bare ids for the list's figures, "+ID" for every
 * figure, anything else left out.
 */
static void
test_guest_line(void **state)
{
	char *plus1 = xasprintf("+%s", ID1), *line, *want;
	char *ids[] = {(char *)ID2, plus1,           (char *)"+",
	               (char *)"",  (char *)"++ab",  (char *)"+zz",
	               NULL,        (char *)"Q 9 x", (char *)ID1};

	(void)state;
	line = docker_guest_line(7, ids, nitems(ids));
	want = xasprintf("Q 7 %s +%s %s\n", ID2, ID1, ID1);
	assert_string_equal(line, want);
	free(line);
	free(want);
	line = docker_guest_line(8, ids, 0);
	assert_string_equal(line, "Q 8\n");
	free(line);
	free(plus1);
}

/* Is the file in the dump? */
static int
dump_has(const struct docker_guest_dump *dm, const char *path)
{
	size_t i;

	for (i = 0; i < dm->nfiles; i++)
		if (strcmp(dm->files[i].path, path) == 0)
			return 1;
	return 0;
}

/*
 * Run the reader's program with one awk on a fake cgroup tree (its root
 * R replaced by root): the answers to "Q 1 ID1 +ID2" and "Q 2 +ID1 ID2",
 * one after the other, in out. 0 if that awk is not here.
 */
static int
guest_awk_run(const char *awk, const char *root, char **out)
{
	const char *prog = docker_guest_script();
	const char *at = strstr(prog, "\"/sys/fs/cgroup\"");
	char *file, *text, *cmd, buf[4096];
	FILE *f;
	size_t n, len = 0;
	char *sp = strchr(awk, ' ');

	cmd = xasprintf("command -v %.*s >/dev/null 2>&1",
	                sp != NULL ? (int)(sp - awk) : (int)strlen(awk), awk);
	if (system(cmd) != 0) {
		free(cmd);
		return 0;
	}
	free(cmd);
	assert_non_null(at);
	text = xasprintf("%.*s\"%s\"%s", (int)(at - prog), prog, root,
	                 at + strlen("\"/sys/fs/cgroup\""));
	file = xasprintf("%s/reader.awk", root);
	write_file(file, text);
	free(text);
	cmd = xasprintf("printf 'Q 1 %s +%s\\nQ 2 +%s %s\\n' | LC_ALL=C %s -f "
	                "'%s'",
	                ID1, ID2, ID1, ID2, awk, file);
	f = popen(cmd, "r");
	assert_non_null(f);
	*out = xstrdup("");
	while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
		*out = xreallocarray(*out, len + n + 1, 1);
		memcpy(*out + len, buf, n);
		len += n;
		(*out)[len] = '\0';
	}
	assert_int_equal(pclose(f), 0);
	free(cmd);
	free(file);
	return 1;
}

/*
 * The reader's program in every awk here (mawk, gawk, busybox awk, the
 * one true awk): a bare id gets the list's files only (v2: cpu.stat,
 * memory.current, memory.stat; v1: cpuacct.usage, memory.usage_in_bytes,
 * memory.stat), "+ID" every file, and the parsed samples say which.
 */
static void
test_guest_awk_brief(void **state)
{
	static const char *const awks[] = {"mawk -W interactive", "gawk",
	                                   "busybox awk", "original-awk"};
	static const char *const full_only_v2[] = {
	    "memory.max", "io.stat", "pids.current", "cgroup.procs"};
	static const char *const full_only_v1[] = {
	    "memory/docker/%s/memory.limit_in_bytes",
	    "memory/docker/%s/cgroup.procs",
	    "blkio/docker/%s/blkio.throttle.io_service_bytes_recursive",
	    "pids/docker/%s/pids.current"};
	char tmpl[] = "/tmp/berth-awk.XXXXXX";
	char *root = mkdtemp(tmpl), *p, *cmd, *out, *e, *pid;
	const char *ids[2] = {ID1, ID2};
	struct docker_guest_dump dm;
	struct docker_cgroup cg;
	struct docker_sample s;
	size_t a, i, k, ran = 0;
	int v, q;

	(void)state;
	pid = xasprintf("%ld\n", (long)getpid());
	docker_guest_dump_init(&dm);
	for (v = 2; v >= 1; v--) {
		cmd = xasprintf("rm -rf '%s'/*", root);
		assert_int_equal(system(cmd), 0);
		free(cmd);
		for (k = 0; k < 2; k++) {
			/* ID1 in the systemd layout, ID2 in cgroupfs' */
			char *d =
			    v == 1 ? NULL
			    : k == 0
			        ? xasprintf("%s/system.slice/docker-%s.scope",
			                    root, ids[k])
			        : xasprintf("%s/docker/%s", root, ids[k]);

			if (v == 2) {
				p = xasprintf("%s/cpu.stat", d);
				write_file(p, "usage_usec 2500\n");
				free(p);
				p = xasprintf("%s/memory.current", d);
				write_file(p, "209715200\n");
				free(p);
				p = xasprintf("%s/memory.stat", d);
				write_file(p,
				           "anon 1\ninactive_file 5242880\n");
				free(p);
				p = xasprintf("%s/memory.max", d);
				write_file(p, "536870912\n");
				free(p);
				p = xasprintf("%s/io.stat", d);
				write_file(p, "8:0 rbytes=100 wbytes=200\n");
				free(p);
				p = xasprintf("%s/pids.current", d);
				write_file(p, "2\n");
				free(p);
				p = xasprintf("%s/cgroup.procs", d);
				write_file(p, pid);
				free(p);
				free(d);
				continue;
			}
			p = xasprintf("%s/cpuacct/docker/%s/cpuacct.usage",
			              root, ids[k]);
			write_file(p, "2500000\n");
			free(p);
			p = xasprintf("%s/memory/docker/%s/"
			              "memory.usage_in_bytes",
			              root, ids[k]);
			write_file(p, "209715200\n");
			free(p);
			p = xasprintf("%s/memory/docker/%s/memory.stat", root,
			              ids[k]);
			write_file(p, "total_inactive_file 5242880\n");
			free(p);
			p = xasprintf("%s/memory/docker/%s/"
			              "memory.limit_in_bytes",
			              root, ids[k]);
			write_file(p, "536870912\n");
			free(p);
			p = xasprintf("%s/memory/docker/%s/cgroup.procs", root,
			              ids[k]);
			write_file(p, pid);
			free(p);
			p = xasprintf("%s/blkio/docker/%s/blkio.throttle."
			              "io_service_bytes_recursive",
			              root, ids[k]);
			write_file(p, "8:0 Read 100\n8:0 Write 200\n");
			free(p);
			p = xasprintf("%s/pids/docker/%s/pids.current", root,
			              ids[k]);
			write_file(p, "2\n");
			free(p);
		}
		if (v == 2) {
			p = xasprintf("%s/cgroup.controllers", root);
			write_file(p, "cpu memory io pids\n");
			free(p);
		}
		for (a = 0; a < nitems(awks); a++) {
			if (!guest_awk_run(awks[a], root, &out)) {
				if (v == 2)
					print_message("# %s: not installed, "
					              "not tried\n",
					              awks[a]);
				continue;
			}
			ran++;
			/* the two answers, one after the other */
			e = strstr(out, "E 1\n");
			assert_non_null(e);
			for (q = 1; q <= 2; q++) {
				const char *ans = q == 1 ? out : e + 4;
				size_t len = q == 1 ? (size_t)(e + 4 - out)
				                    : strlen(e + 4);

				assert_int_equal(
				    docker_guest_parse(&dm, ans, len, NULL), 0);
				assert_int_equal(
				    docker_cgroup_init_fs(&cg, root, &dm.fs),
				    0);
				assert_int_equal(cg.version, v);
				docker_cgroup_batch(&cg);
				for (k = 0; k < 2; k++) {
					/* Q 1: ID2 full; Q 2: ID1 full */
					int full = (q == 1) == (k == 1);
					char *d =
					    k == 0
					        ? xasprintf("%s/system.slice/"
					                    "docker-%s.scope",
					                    root, ids[k])
					        : xasprintf("%s/docker/%s",
					                    root, ids[k]);

					for (i = 0; i < 4; i++) {
						char *f;

						if (v == 2)
							f = xasprintf(
							    "%s/%s", d,
							    full_only_v2[i]);
						else {
							char *rel = xasprintf(
							    full_only_v1[i],
							    ids[k]);

							f = xasprintf(
							    "%s/%s", root, rel);
							free(rel);
						}
						assert_int_equal(
						    dump_has(&dm, f), full);
						free(f);
					}
					free(d);
					assert_int_equal(
					    docker_cgroup_sample_part(
					        &cg, ids[k], full, &s),
					    0);
					assert_int_equal(s.brief, !full);
					assert_int_equal(s.cpu_total_ns,
					                 2500000);
					assert_int_equal(
					    docker_stats_mem_used(&s),
					    209715200 - 5242880);
					assert_int_equal(s.pids, full ? 2 : 0);
					assert_int_equal(s.rd, full ? 100 : 0);
					if (full)
						assert_true(
						    s.mem_limit == 536870912 ||
						    s.mem_limit ==
						        cg.machine_memory);
					else
						assert_int_equal(s.mem_limit,
						                 0);
				}
				docker_cgroup_clear(&cg);
			}
			free(out);
		}
	}
	/* mawk is the guest's (Debian's default): it must have run */
	assert_true(ran >= 2);
	docker_guest_dump_clear(&dm);
	free(pid);
	cmd = xasprintf("rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

/*
 * A brief sample leaves the limit, PIDs and rates unknown (not 0 shown
 * as real); the rates come back with the second sample with every
 * figure, as the inspect view says.
 */
static void
test_stats_apply_brief(void **state)
{
	struct docker_sample a, b, c3, d4;
	struct model_container c;

	(void)state;
	memset(&a, 0, sizeof a);
	a.valid = a.brief = 1;
	a.when_ms = 1000;
	a.cpu_total_ns = 1000000000;
	a.system_ns = 100000000000ULL;
	a.online_cpus = 2;
	a.mem_usage = 300;
	a.mem_inactive = 100;
	b = a;
	b.when_ms = 3000;
	b.cpu_total_ns = 1500000000;
	b.system_ns = 102000000000ULL;
	memset(&c, 0, sizeof c);
	docker_stats_apply(&c, &a, &b);
	assert_true(c.has_stats);
	assert_true(c.stats_brief);
	assert_true(c.rates_unknown);
	assert_float_equal(c.cpu_pct, 50.0, 1e-9);
	assert_int_equal(c.mem_used, 200);
	assert_int_equal(c.mem_limit, 0);
	assert_int_equal(c.pids, 0);
	assert_int_equal(c.mem_hist.n, 0); /* no limit, no memory % */
	/* the inspect view opens: the first full sample */
	c3 = b;
	c3.brief = 0;
	c3.when_ms = 5000;
	c3.mem_limit = 1000;
	c3.pids = 4;
	c3.rx = 5000;
	c3.rd = 7000;
	docker_stats_apply(&c, &b, &c3);
	assert_false(c.stats_brief);
	assert_true(c.rates_unknown); /* one full sample: no rate yet */
	assert_float_equal(c.rx_bps, 0.0, 1e-9);
	assert_int_equal(c.mem_limit, 1000);
	assert_float_equal(c.mem_pct, 20.0, 1e-9);
	assert_int_equal(c.pids, 4);
	/* the second: rates */
	d4 = c3;
	d4.when_ms = 7000;
	d4.rx = 9000;
	d4.rd = 8000;
	docker_stats_apply(&c, &c3, &d4);
	assert_false(c.rates_unknown);
	assert_float_equal(c.rx_bps, 2000.0, 1e-9);
	assert_float_equal(c.rd_bps, 500.0, 1e-9);
	/* back to the list: brief again, unknown again */
	b.when_ms = 9000;
	docker_stats_apply(&c, &d4, &b);
	assert_true(c.stats_brief);
	assert_true(c.rates_unknown);
	assert_int_equal(c.pids, 0);
}

/*
 * Garbage from the guest: no crash, no figures it did not give, and an
 * answer without its end is no answer.
 */
static void
test_guest_hostile(void **state)
{
	struct docker_guest_dump dm;
	struct docker_cgroup cg;
	struct docker_sample s;
	char *buf, *cause = NULL;
	size_t i, len = 256 * 1024;
	unsigned seed = 18;
	int round;
	static const char *const cut[] = {
	    "",
	    "B 1\n",
	    "B 1\nF /proc/stat\n.cpu 1 2 3",
	    "F /x\n.1\nE 1\n",
	    "E 1\nB 1\n",
	};

	(void)state;
	docker_guest_dump_init(&dm);
	for (i = 0; i < nitems(cut); i++) {
		assert_int_equal(
		    docker_guest_parse(&dm, cut[i], strlen(cut[i]), &cause),
		    -1);
		assert_non_null(cause);
		free(cause);
		cause = NULL;
		assert_int_equal(dm.nfiles, 0);
	}
	/* Bad paths are dropped with their lines. */
	buf = xstrdup("B 1\nF ../etc/shadow\n.x\nF /a/../b\n.y\nF /ok\x01\n.z\n"
	              "F \nF /sys/fs/cgroup/cgroup.controllers\n.cpu\nE 1\n");
	assert_int_equal(docker_guest_parse(&dm, buf, strlen(buf), &cause), 0);
	assert_int_equal(dm.nfiles, 1);
	free(buf);
	/* Random bytes, record-shaped random bytes, NULs, huge lines. */
	buf = xmalloc(len);
	for (round = 0; round < 40; round++) {
		for (i = 0; i < len; i++) {
			unsigned r = (unsigned)rand_r(&seed);

			if (round % 2 == 0)
				buf[i] = (char)r;
			else
				buf[i] = "F.\n /0123456789abcdefcpu:=-"[r % 26];
		}
		memcpy(buf, "B 1\nF /sys/fs/cgroup/cgroup.controllers\n", 40);
		if (round % 4 == 1) {
			/* a file far past the per-file cap */
			memset(buf + 40, '.', len - 50);
		}
		memcpy(buf + len - 5, "\nE 1\n", 5);
		if (docker_guest_parse(&dm, buf, len, &cause) != 0) {
			free(cause);
			cause = NULL;
			continue;
		}
		for (i = 0; i < dm.nfiles; i++)
			assert_true(dm.files[i].len < DOCKER_GUEST_MAX_FILE);
		docker_cgroup_init_fs(&cg, NULL, &dm.fs);
		docker_cgroup_batch(&cg);
		docker_cgroup_sample(&cg, ID1, &s);
		docker_cgroup_clear(&cg);
	}
	free(buf);
	/* Figures that are not numbers read as 0, never as something else. */
	buf = xasprintf("B 1\nF /sys/fs/cgroup/cgroup.controllers\n.x\n"
	                "F /sys/fs/cgroup/docker/%s/cpu.stat\n.usage_usec "
	                "zz\nF /sys/fs/cgroup/docker/%s/cgroup.procs\n"
	                ".-1\nF /sys/devices/system/cpu/online\n.9-2\nE 1\n",
	                ID1, ID1);
	assert_int_equal(docker_guest_parse(&dm, buf, strlen(buf), &cause), 0);
	assert_int_equal(docker_cgroup_init_fs(&cg, NULL, &dm.fs), 0);
	assert_int_equal(cg.online_cpus, 0);
	assert_int_equal(docker_cgroup_sample(&cg, ID1, &s), 0);
	assert_int_equal(s.cpu_total_ns, 0);
	assert_int_equal(s.rx, 0);
	docker_cgroup_clear(&cg);
	free(buf);
	docker_guest_dump_clear(&dm);
}

/* ---- logs ---- */

struct collected {
	char text[64][256];
	int stream[64];
	int n;
};

static void
collect(void *arg, int stream, const char *line, size_t len)
{
	struct collected *c = arg;

	assert_true(c->n < 64);
	assert_true(len < 256);
	memcpy(c->text[c->n], line, len);
	c->text[c->n][len] = '\0';
	c->stream[c->n] = stream;
	c->n++;
}

static size_t
frame(unsigned char *out, int stream, const char *text)
{
	size_t len = strlen(text);

	out[0] = (unsigned char)stream;
	out[1] = out[2] = out[3] = 0;
	out[4] = (unsigned char)(len >> 24);
	out[5] = (unsigned char)(len >> 16);
	out[6] = (unsigned char)(len >> 8);
	out[7] = (unsigned char)len;
	memcpy(out + 8, text, len);
	return len + 8;
}

/* Every split of a multiplexed stream into two and three chunks. */
static void
test_demux_boundaries(void **state)
{
	unsigned char buf[512];
	size_t len = 0, i, j;
	struct docker_demux dm;
	struct collected c;

	len += frame(buf + len, 1, "out one\nout ");
	len += frame(buf + len, 2, "err one\n");
	len += frame(buf + len, 1, "two\r\n");
	len += frame(buf + len, 2, "");
	len += frame(buf + len, 2, "err two\nlast");
	for (i = 0; i <= len; i++) {
		for (j = i; j <= len; j += 3) {
			memset(&dm, 0, sizeof dm);
			memset(&c, 0, sizeof c);
			docker_demux_init(&dm, 0);
			assert_int_equal(
			    docker_demux_feed(&dm, (char *)buf, i, collect, &c),
			    0);
			assert_int_equal(docker_demux_feed(&dm, (char *)buf + i,
			                                   j - i, collect, &c),
			                 0);
			assert_int_equal(docker_demux_feed(&dm, (char *)buf + j,
			                                   len - j, collect,
			                                   &c),
			                 0);
			docker_demux_flush(&dm, collect, &c);
			docker_demux_clear(&dm);
			assert_int_equal(c.n, 5);
			assert_string_equal(c.text[0], "out one");
			assert_int_equal(c.stream[0], 1);
			assert_string_equal(c.text[1], "err one");
			assert_int_equal(c.stream[1], 2);
			assert_string_equal(c.text[2], "out two");
			assert_int_equal(c.stream[2], 1);
			assert_string_equal(c.text[3], "err two");
			assert_string_equal(c.text[4], "last");
			assert_int_equal(c.stream[4], 2);
		}
	}
}

static void
test_demux_raw_and_bad(void **state)
{
	struct docker_demux dm;
	struct collected c;

	memset(&dm, 0, sizeof dm);
	memset(&c, 0, sizeof c);
	docker_demux_init(&dm, 1);
	assert_int_equal(
	    docker_demux_feed(&dm, "a\x01 tty\r\nb", 9, collect, &c), 0);
	docker_demux_flush(&dm, collect, &c);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.text[0], "a\x01 tty");
	assert_int_equal(c.stream[0], 0);
	assert_string_equal(c.text[1], "b");
	docker_demux_clear(&dm);

	/* Not multiplexed data: an error, and it stays failed. */
	docker_demux_init(&dm, 0);
	assert_int_equal(
	    docker_demux_feed(&dm, "hello world\n", 12, collect, &c), -1);
	assert_int_equal(
	    docker_demux_feed(&dm, "\x01\0\0\0\0\0\0\0", 8, collect, &c), -1);
	docker_demux_clear(&dm);
}

static int nlong;
static void
count_long(void *arg, int stream, const char *line, size_t len)
{
	assert_true(len <= DOCKER_LOG_MAX_LINE);
	nlong++;
}

static void
test_demux_long_line(void **state)
{
	struct docker_demux dm;
	char *big = xmalloc(DOCKER_LOG_MAX_LINE * 3);

	memset(&dm, 0, sizeof dm);
	memset(big, 'x', DOCKER_LOG_MAX_LINE * 3);
	docker_demux_init(&dm, 1);
	nlong = 0;
	docker_demux_feed(&dm, big, DOCKER_LOG_MAX_LINE * 3, count_long, NULL);
	docker_demux_flush(&dm, count_long, NULL);
	assert_int_equal(nlong, 3);
	docker_demux_clear(&dm);
	free(big);
}

static void
test_logbuf(void **state)
{
	struct docker_logbuf lb;
	struct model_logs ml;
	char line[64];
	int i;

	docker_logbuf_init(&lb, 10, 1 << 20, 1);
	for (i = 0; i < 25; i++) {
		snprintf(line, sizeof line,
		         "2024-01-02T03:04:05.123456789Z line %d\x1b[2J", i);
		docker_logbuf_push(&lb, i % 2 ? 2 : 1, line, strlen(line));
	}
	assert_int_equal(lb.n, 10);
	assert_true(lb.truncated);
	memset(&ml, 0, sizeof ml);
	docker_logbuf_fill(&lb, &ml);
	assert_int_equal(ml.nlines, 10);
	assert_string_equal(ml.lines[0].text, "line 15^[[2J");
	assert_string_equal(ml.lines[0].timestamp,
	                    "2024-01-02T03:04:05.123456789Z");
	assert_int_equal(ml.lines[0].stream, 2);
	assert_string_equal(ml.lines[9].text, "line 24^[[2J");
	model_logs_clear(&ml);
	docker_logbuf_clear(&lb);

	/* The byte bound holds too. */
	docker_logbuf_init(&lb, 1000, 100, 0);
	for (i = 0; i < 50; i++)
		docker_logbuf_push(&lb, 1, "0123456789", 10);
	assert_true(lb.bytes <= 100);
	assert_int_equal(lb.n, 10);
	docker_logbuf_clear(&lb);
	assert_int_equal(docker_log_split_time("no time here at all", 19), 0);
}

/*
 * Merged logs: lines of several streams come out in the order of their
 * times, whatever order they arrived in; equal times keep arrival order,
 * and lines without a readable time go first.
 */
static void
test_logbuf_merged(void **state)
{
	struct docker_logbuf lb;
	struct model_logs ml;
	static const struct {
		int src;
		const char *line;
	} in[] = {
	    {0, "2024-05-01T10:00:01.5Z a-2"},
	    {0, "2024-05-01T10:00:03.000000001Z a-4"},
	    {1, "2024-05-01T10:00:01.25Z b-1"}, /* trimmed zeros */
	    {1, "2024-05-01T10:00:03.000000001Z b-same"},
	    {0, "2024-05-01T10:00:00.999999999Z a-1"},
	    {1, "no time at all"},
	    {1, "2024-05-01T10:00:02Z b-3"},
	};
	static const char *const want[] = {
	    "no time at all", "a-1", "b-1", "a-2", "b-3", "a-4", "b-same"};
	size_t i;

	(void)state;
	docker_logbuf_init(&lb, 100, 1 << 20, 1);
	lb.merged = 1;
	for (i = 0; i < nitems(in); i++)
		docker_logbuf_push_src(&lb, in[i].src, 1, in[i].line,
		                       strlen(in[i].line));
	memset(&ml, 0, sizeof ml);
	docker_logbuf_fill(&lb, &ml);
	assert_int_equal(ml.nlines, nitems(want));
	for (i = 0; i < nitems(want); i++)
		assert_string_equal(ml.lines[i].text, want[i]);
	assert_int_equal(ml.lines[1].src, 0);
	assert_int_equal(ml.lines[2].src, 1);
	assert_string_equal(ml.lines[2].timestamp, "2024-05-01T10:00:01.25Z");
	model_logs_clear(&ml);
	docker_logbuf_clear(&lb);
	/* compared as times, not as text: ".5" is after ".25" */
	assert_true(docker_log_time_cmp("2024-05-01T10:00:01.5Z",
	                                "2024-05-01T10:00:01.25Z") > 0);
	assert_true(docker_log_time_cmp(NULL, "2024-05-01T10:00:01Z") < 0);
	assert_int_equal(docker_log_time_cmp("2024-05-01T12:00:00+02:00",
	                                     "2024-05-01T10:00:00Z"),
	                 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sha256),
	    cmocka_unit_test_setup_teardown(test_endpoint_order, endpoint_setup,
	                                    endpoint_teardown),
	    cmocka_unit_test(test_endpoint_hosts),
	    cmocka_unit_test(test_json_containers),
	    cmocka_unit_test(test_json_misc),
	    cmocka_unit_test(test_api_negotiate),
	    cmocka_unit_test(test_stats_json_and_maths),
	    cmocka_unit_test(test_cgroup_reader),
	    cmocka_unit_test(test_guest_dump),
	    cmocka_unit_test(test_guest_line),
	    cmocka_unit_test(test_guest_awk_brief),
	    cmocka_unit_test(test_stats_apply_brief),
	    cmocka_unit_test(test_guest_hostile),
	    cmocka_unit_test(test_demux_boundaries),
	    cmocka_unit_test(test_demux_raw_and_bad),
	    cmocka_unit_test(test_demux_long_line),
	    cmocka_unit_test(test_logbuf),
	    cmocka_unit_test(test_logbuf_merged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
