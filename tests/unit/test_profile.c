/*
 * test_profile.c: the profile schema, loader, lookup and comment-keeping
 * edits (profile.c, profile-schema.c, profile-edit.c). Every error class
 * is checked with its exact file:line:col; every edit is checked byte by
 * byte against the original text.
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

#include "core/core.h"

#define GIB (1024ULL * 1024 * 1024)

static char *tmpdir; /* BERTH_HOME and BERTH_DATADIR live here */

/* Write a file under tmpdir; returns its path (caller frees). */
static char *
write_tmp(const char *rel, const char *text)
{
	char *path = xasprintf("%s/%s", tmpdir, rel), *dir, *cause = NULL;

	dir = xstrdup(path);
	*strrchr(dir, '/') = '\0';
	assert_int_equal(util_mkdir_p(dir, 0755, &cause), 0);
	free(dir);
	assert_int_equal(
	    util_write_file_atomic(path, text, strlen(text), 0644, 0, &cause),
	    0);
	return path;
}

static char *
read_all(const char *path, size_t *len)
{
	char *cause = NULL, *buf = util_read_file(path, len, &cause);

	if (buf == NULL)
		fail_msg("%s", cause);
	return buf;
}

static int
setup(void **state)
{
	char t[] = "/tmp/berth-test-profile.XXXXXX";

	(void)state;
	if (mkdtemp(t) == NULL)
		return -1;
	tmpdir = xstrdup(t);
	setenv("HOME", "/home/tester", 1);
	setenv("BERTH_HOME", tmpdir, 1);
	setenv("BERTH_DATADIR", tmpdir, 1); /* shipped = tmpdir/profiles */
	unsetenv("BERTH_PROFILE");
	/* theme: must name a theme that exists (shipped = tmpdir/themes). */
	free(write_tmp("themes/a.yaml", ""));
	free(write_tmp("themes/b.yaml", ""));
	free(write_tmp("themes/x.yaml", ""));
	free(write_tmp("themes/mono.yaml", ""));
	free(write_tmp("themes/nord256.yaml", ""));
	return 0;
}

static int
teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);

	(void)state;
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", tmpdir);
	free(cmd);
	free(tmpdir);
	return 0;
}

/* Load text as "t.yaml"; returns the profile or NULL (errors in errs). */
static struct profile *
load(const char *text, struct config_errors *errs)
{
	return profile_load_buffer(text, strlen(text), "t.yaml", NULL, errs);
}

/* Assert error i is exactly t.yaml:LINE:COL: MESSAGE. */
static void
err_is(const struct config_errors *errs, size_t i, int line, int col,
       const char *message)
{
	if (i >= errs->n)
		fail_msg("only %zu errors, wanted #%zu: %s", errs->n, i,
		         message);
	assert_string_equal(errs->list[i].file, "t.yaml");
	if (errs->list[i].line != line || errs->list[i].col != col)
		fail_msg("error '%s' at %d:%d, wanted %d:%d",
		         errs->list[i].message, errs->list[i].line,
		         errs->list[i].col, line, col);
	assert_string_equal(errs->list[i].message, message);
}

/* Load text that must fail with exactly one error. */
static void
one_error(const char *text, int line, int col, const char *message)
{
	struct config_errors errs = {NULL, 0};
	struct profile *p = load(text, &errs);

	assert_null(p);
	if (errs.n != 1) {
		config_errors_print(&errs, stderr);
		fail_msg("%zu errors for one problem", errs.n);
	}
	err_is(&errs, 0, line, col, message);
	config_errors_free(&errs);
}

/* theme: names a theme that exists, or a readable file (issue 13). */
static void
test_theme_check(void **state)
{
	struct config_errors errs = {NULL, 0};
	struct profile *p;
	char *path, *text;
	size_t len;

	(void)state;
	one_error("vm:\n  cpus: 2\ntheme: no-such-theme\n", 3, 8,
	          "theme: no theme 'no-such-theme' (berth theme list shows "
	          "them)");
	one_error("theme: .hidden\n", 1, 8,
	          "theme: invalid theme name '.hidden'");
	one_error("theme: ./none.yaml\n", 1, 8,
	          "theme: theme file './none.yaml': No such file or "
	          "directory");
	/* Shipped (tmpdir/themes), the user's (config/themes), a path. */
	p = load("theme: mono\n", &errs);
	assert_non_null(p);
	profile_free(p);
	free(write_tmp("config/themes/mine.yaml", ""));
	p = load("theme: mine\n", &errs);
	assert_non_null(p);
	profile_free(p);
	path = write_tmp("elsewhere/t.yaml", "");
	text = xasprintf("theme: %s\n", path);
	p = load(text, &errs);
	assert_non_null(p);
	assert_int_equal(errs.n, 0);
	profile_free(p);
	free(text);
	free(path);
	/* An edit to a theme that does not exist is refused. */
	assert_null(
	    profile_splice("theme: mono\n", 12, "theme", "nope", &len, &text));
	assert_non_null(strstr(text, "no theme 'nope'"));
	free(text);
}

/* ---- schema ---------------------------------------------------------- */

static void
test_schema_table(void **state)
{
	const struct schema_key *k;
	struct config_errors errs = {NULL, 0};
	struct profile *p;
	char *cause;
	size_t i, j;

	(void)state;
	assert_true(schema_nkeys >= 38);
	for (i = 0; i < schema_nkeys; i++) {
		k = &schema_keys[i];
		int mount = strncmp(k->path, "mounts[].", 9) == 0;

		/* Every key has help and is found under its own name. */
		assert_non_null(k->help);
		if (strlen(k->help) < 10)
			fail_msg("%s: help too short", k->path);
		assert_ptr_equal(schema_find(k->path), k);
		for (j = 0; j < i; j++)
			assert_string_not_equal(schema_keys[j].path, k->path);
		assert_true(k->offset < (mount ? sizeof(struct profile_mount)
		                               : sizeof(struct profile)));
		if (k->type == SCHEMA_ENUM) {
			assert_non_null(k->choices);
			assert_non_null(k->choices[0]);
		}
		if (k->type == SCHEMA_INT || k->type == SCHEMA_SIZE ||
		    k->type == SCHEMA_DURATION)
			assert_true(k->min <= k->max);
		if (k->def == NULL) {
			/* Only text may be unset. */
			if (k->type != SCHEMA_STRING && k->type != SCHEMA_PATH)
				fail_msg("%s has no default", k->path);
			continue;
		}
		/* The default parses and is in range. */
		p = profile_load_buffer("mounts:\n  - host: /a\n", 20, "t",
		                        NULL, &errs);
		assert_non_null(p);
		cause = NULL;
		if (k->type != SCHEMA_MOUNTS &&
		    schema_set_text(k, mount ? (void *)p->mounts : (void *)p,
		                    k->def, "x", &cause) != 0)
			fail_msg("%s: default '%s': %s", k->path, k->def,
			         cause);
		profile_free(p);
	}
	assert_null(schema_find("vm.nope"));
	assert_string_equal(schema_type_name(SCHEMA_DURATION), "duration");
}

static void
test_schema_suggest(void **state)
{
	(void)state;
	assert_string_equal(schema_suggest("vm.cpu")->path, "vm.cpus");
	assert_string_equal(schema_suggest("vm.memroy")->path, "vm.memory");
	assert_string_equal(schema_suggest("mounts[].wach")->path,
	                    "mounts[].watch");
	assert_string_equal(schema_suggest("cpus")->path, "vm.cpus");
	assert_null(schema_suggest("colour"));
}

/* Mount tags: the guest path while QEMU takes it (31 bytes), else shareN. */
static void
test_mount_tag(void **state)
{
	char *t;

	(void)state;
	t = profile_mount_tag("/work/src", 0);
	assert_string_equal(t, "/work/src");
	free(t);
	t = profile_mount_tag("/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 3); /* 31 */
	assert_string_equal(t, "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	free(t);
	t = profile_mount_tag("/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", 3); /* 32 */
	assert_string_equal(t, "share3");
	free(t);
	t = profile_mount_tag("relative", 1);
	assert_string_equal(t, "share1");
	free(t);
	t = profile_mount_tag(NULL, 2);
	assert_string_equal(t, "share2");
	free(t);
}

static void
test_defaults(void **state)
{
	struct profile *p = profile_defaults("dev");

	(void)state;
	assert_string_equal(p->name, "dev");
	assert_null(p->path);
	assert_string_equal(p->vm.uri, "qemu:///session");
	assert_string_equal(p->vm.domain, "berth-dev");
	assert_string_equal(p->vm.accel, "auto");
	assert_null(p->vm.arch);
	assert_int_equal(p->vm.cpus, 2);
	assert_int_equal(p->vm.memory, 2 * GIB);
	assert_int_equal(p->vm.max_memory, 0);
	assert_int_equal(p->vm.max_cpus, 0);
	assert_int_equal(p->vm.disk, 20 * GIB);
	assert_null(p->vm.image);
	assert_int_equal(p->vm.ssh_port, 0);
	assert_string_equal(p->vm.ssh_user, "root");
	assert_int_equal(p->vm.shutdown_timeout_ms, 60000);
	assert_int_equal(p->nmounts, 0);
	assert_string_equal(p->docker.socket, "auto");
	assert_string_equal(p->docker.guest_socket, "/var/run/docker.sock");
	assert_int_equal(p->docker.forward, PROFILE_FORWARD_SSH);
	assert_string_equal(p->docker.context, "berth-dev");
	assert_int_equal(p->docker.activate, 0);
	assert_int_equal(p->docker.persist, 0);
	assert_int_equal(p->nprovision, 0);
	assert_int_equal(p->refresh_ms, 2000);
	assert_string_equal(p->theme, "default");
	profile_free(p);
}

/* ---- loading --------------------------------------------------------- */

static const char full_profile[] =
    "vm:\n"
    "  uri: qemu:///system\n"
    "  domain: mine\n"
    "  accel: kvm\n"
    "  arch: aarch64\n"
    "  cpus: 6\n"
    "  memory: 1.5G\n"
    "  max_memory: 8GiB\n"
    "  max_cpus: 8\n"
    "  disk: 60GiB\n"
    "  image: https://example.org/debian.qcow2\n"
    "  image_sha256: "
    "0123456789abcdef0123456789abcdef0123456789ABCDEF0123456789abcdef\n"
    "  kernel: ~/vmlinuz\n"
    "  initrd: /boot/initrd\n"
    "  cmdline: console=ttyS0\n"
    "  ssh_port: 2222\n"
    "  ssh_user: dev\n"
    "  shutdown_timeout: 2m\n"
    "mounts:\n"
    "  - host: ~/src\n"
    "  - host: /data\n"
    "    guest: /mnt/data\n"
    "    type: virtiofs\n"
    "    writable: no\n"
    "    watch: poll\n"
    "    interval: 500ms\n"
    "    ignore: [.git, dist]\n"
    "    replay: close_write\n"
    "    max_files: 1000\n"
    "docker:\n"
    "  socket: ~/d.sock\n"
    "  guest_socket: /run/docker.sock\n"
    "  forward: none\n"
    "  context: ctx\n"
    "  activate: true\n"
    "  persist: yes\n"
    "provision:\n"
    "  - apt-get update\n"
    "  - 'echo hi: there'\n"
    "refresh: 250ms\n"
    "theme: nord256\n";

static void
test_load_every_key(void **state)
{
	struct config_errors errs = {NULL, 0};
	struct profile *p = load(full_profile, &errs);
	struct profile_mount *m;

	(void)state;
	if (p == NULL) {
		config_errors_print(&errs, stderr);
		fail();
	}
	assert_string_equal(p->name, "t");
	assert_string_equal(p->path, "t.yaml");
	assert_string_equal(p->vm.uri, "qemu:///system");
	assert_string_equal(p->vm.domain, "mine");
	assert_string_equal(p->vm.accel, "kvm");
	assert_string_equal(p->vm.arch, "aarch64");
	assert_int_equal(p->vm.cpus, 6);
	assert_int_equal(p->vm.memory, 3 * GIB / 2);
	assert_int_equal(p->vm.max_memory, 8 * GIB);
	assert_int_equal(p->vm.max_cpus, 8);
	assert_int_equal(p->vm.disk, 60 * GIB);
	assert_string_equal(p->vm.image, "https://example.org/debian.qcow2");
	assert_string_equal(
	    p->vm.image_sha256,
	    "0123456789abcdef0123456789abcdef0123456789ABCDEF0123456789abcdef");
	assert_string_equal(p->vm.kernel, "/home/tester/vmlinuz");
	assert_string_equal(p->vm.initrd, "/boot/initrd");
	assert_string_equal(p->vm.cmdline, "console=ttyS0");
	assert_int_equal(p->vm.ssh_port, 2222);
	assert_string_equal(p->vm.ssh_user, "dev");
	assert_int_equal(p->vm.shutdown_timeout_ms, 120000);

	assert_int_equal(p->nmounts, 2);
	m = &p->mounts[0];
	assert_string_equal(m->host, "/home/tester/src");
	assert_string_equal(m->guest, "/home/tester/src"); /* same as host */
	assert_int_equal(m->type, PROFILE_MOUNT_9P);
	assert_int_equal(m->writable, 1);
	assert_int_equal(m->watch, PROFILE_WATCH_OFF);
	assert_int_equal(m->interval_ms, 1000);
	assert_int_equal(m->nignore, 2);
	assert_string_equal(m->ignore[0], ".git");
	assert_string_equal(m->ignore[1], "node_modules/.cache");
	assert_int_equal(m->replay, PROFILE_REPLAY_BOTH);
	assert_int_equal(m->max_files, 200000);
	assert_int_equal(m->line, 20);
	m = &p->mounts[1];
	assert_string_equal(m->host, "/data");
	assert_string_equal(m->guest, "/mnt/data");
	assert_int_equal(m->type, PROFILE_MOUNT_VIRTIOFS);
	assert_int_equal(m->writable, 0);
	assert_int_equal(m->watch, PROFILE_WATCH_POLL);
	assert_int_equal(m->interval_ms, 500);
	assert_int_equal(m->nignore, 2);
	assert_string_equal(m->ignore[1], "dist");
	assert_int_equal(m->replay, PROFILE_REPLAY_CLOSE_WRITE);
	assert_int_equal(m->max_files, 1000);
	assert_int_equal(m->line, 21);

	assert_string_equal(p->docker.socket, "/home/tester/d.sock");
	assert_string_equal(p->docker.guest_socket, "/run/docker.sock");
	assert_int_equal(p->docker.forward, PROFILE_FORWARD_NONE);
	assert_string_equal(p->docker.context, "ctx");
	assert_int_equal(p->docker.activate, 1);
	assert_int_equal(p->docker.persist, 1);
	assert_int_equal(p->nprovision, 2);
	assert_string_equal(p->provision[1], "echo hi: there");
	assert_int_equal(p->refresh_ms, 250);
	assert_string_equal(p->theme, "nord256");
	assert_int_equal(errs.n, 0);
	profile_free(p);
}

static void
test_load_empty_and_nulls(void **state)
{
	struct config_errors errs = {NULL, 0};
	struct profile *p;

	(void)state;
	/* An empty file, a file of comments and empty sections: defaults. */
	p = load("", &errs);
	assert_non_null(p);
	assert_int_equal(p->vm.cpus, 2);
	profile_free(p);
	p = load("# nothing here\n", &errs);
	assert_non_null(p);
	profile_free(p);
	p = load("vm:\ndocker:\nmounts: []\nvm_x_never: ~\n", &errs);
	assert_null(p);
	err_is(&errs, 0, 4, 1, "unknown key 'vm_x_never'");
	config_errors_free(&errs);
	p = load("vm:\n  image: ~\n  cpus:\nmounts: []\n", &errs);
	assert_non_null(p);
	assert_int_equal(p->vm.cpus, 2);
	assert_null(p->vm.image);
	profile_free(p);
	assert_int_equal(errs.n, 0);
}

static void
test_error_syntax(void **state)
{
	(void)state;
	one_error("vm:\n  cpus: 2\n bad: [\n", 3, 2,
	          "YAML syntax error: did not find expected key (while "
	          "parsing a block mapping at line 1)");
	one_error("vm: {cpus: 2\n", 2, 1,
	          "YAML syntax error: did not find expected ',' or '}' "
	          "(while parsing a flow mapping at line 1)");
	one_error("vm:\n\tcpus: 2\n", 2, 1,
	          "YAML syntax error: found character that cannot start any "
	          "token (while scanning for the next token at line 2)");
	/* Not UTF-8: the position comes from the byte offset. */
	one_error("vm:\n  uri: \xff\n", 2, 8,
	          "not valid text: invalid leading UTF-8 octet");
}

static void
test_error_unknown_key(void **state)
{
	(void)state;
	one_error("vm:\n  cpu: 4\n", 2, 3,
	          "unknown key 'vm.cpu' (did you mean 'vm.cpus'?)");
	one_error("mounts:\n  - host: /a\n    wach: poll\n", 3, 5,
	          "unknown key 'mounts[0].wach' (did you mean "
	          "'mounts[0].watch'?)");
	one_error("cpus: 4\n", 1, 1,
	          "unknown key 'cpus' (did you mean 'vm.cpus'?)");
	one_error("theme: x\ncolour: red\n", 2, 1, "unknown key 'colour'");
	one_error("vm.cpus: 3\n", 1, 1,
	          "unknown key 'vm.cpus' (write nested keys as YAML mappings, "
	          "not dotted names)");
	one_error("mounts[].host: /a\n", 1, 1,
	          "unknown key 'mounts[].host' (write nested keys as YAML "
	          "mappings, not dotted names)");
	one_error("mounts:\n  - host: /a\n    x.y: 1\n", 3, 5,
	          "unknown key 'mounts[0].x.y' (write nested keys as YAML "
	          "mappings, not dotted names)");
	/* What the file says is quoted sanitized: no escape reaches a tty. */
	one_error("\"\\e[2J\": 1\n", 1, 1, "unknown key '^[[2J'");
	one_error("vm:\n  cpus:\n    x: 1\n", 3, 5,
	          "vm.cpus: expected an integer, got a mapping");
}

static void
test_error_types(void **state)
{
	(void)state;
	one_error("vm:\n  cpus: four\n", 2, 9,
	          "vm.cpus: 'four' is not an integer");
	one_error("vm:\n  memory: lots\n", 2, 11,
	          "vm.memory: 'lots' is not a size (use a number and a unit "
	          "such as 512MiB, 8GiB or 1.5G)");
	one_error("refresh: 5\n", 1, 10,
	          "refresh: '5' needs a unit (ms, s, m or h), for example "
	          "5s");
	one_error("docker:\n  activate: maybe\n", 2, 13,
	          "docker.activate: 'maybe' is not a boolean (use true or "
	          "false)");
	one_error("mounts:\n  host: /a\n", 2, 3,
	          "mounts: expected a list of mounts, got a mapping");
	one_error("mounts:\n  - /a\n", 2, 5,
	          "mounts[0]: expected a mapping with host:, got a scalar");
	one_error("provision: echo\n", 1, 12,
	          "provision: expected a list, got a scalar");
	one_error("provision:\n  - [a]\n", 2, 5,
	          "provision: list items must be strings, got a list");
	one_error("vm: 4\n", 1, 5, "vm: expected a mapping, got a scalar");
	one_error("- a\n", 1, 1,
	          "a profile is a mapping of keys (vm:, mounts:, docker:, "
	          "...), not a list");
	one_error("vm:\n  ? [a]\n  : 1\n", 2, 5, "vm.keys must be plain names");
}

static void
test_error_range(void **state)
{
	(void)state;
	one_error("vm:\n  cpus: 0\n", 2, 9,
	          "vm.cpus: 0 is out of range (1..256)");
	one_error("vm:\n  cpus: 257\n", 2, 9,
	          "vm.cpus: 257 is out of range (1..256)");
	one_error("vm:\n  ssh_port: 70000\n", 2, 13,
	          "vm.ssh_port: 70000 is out of range (0..65535)");
	one_error("vm:\n  memory: 1MiB\n", 2, 11,
	          "vm.memory: 1MiB is out of range (128MiB..16TiB)");
	one_error("refresh: 10ms\n", 1, 10,
	          "refresh: 10ms is out of range (100ms..1h)");
	one_error("refresh: 2h\n", 1, 10,
	          "refresh: 2h is out of range (100ms..1h)");
	one_error("mounts:\n  - host: /a\n    max_files: 0\n", 3, 16,
	          "mounts[0].max_files: 0 is out of range (1..100000000)");
}

/* Per-key checks of text values. */
static void
test_error_checks(void **state)
{
	(void)state;
	one_error("mounts:\n  - host: src\n", 2, 11,
	          "mounts[0].host: 'src' is not an absolute path (start it "
	          "with / or ~/)");
	one_error("mounts:\n  - host: /a\n    guest: data\n", 3, 12,
	          "mounts[0].guest: 'data' is not an absolute path (start it "
	          "with / or ~/)");
	one_error("vm:\n  uri: session\n", 2, 8,
	          "vm.uri: 'session' is not a libvirt URI (like "
	          "qemu:///session or test:///default)");
	one_error("vm:\n  image_sha256: abc\n", 2, 17,
	          "vm.image_sha256: 'abc' is not a SHA-256 (64 hex digits)");
	one_error("vm:\n  domain: a/b\n", 2, 11,
	          "vm.domain: 'a/b' is not a usable domain name");
	one_error("docker:\n  context: -x\n", 2, 12,
	          "docker.context: '-x' is not a Docker context name "
	          "(letters, digits and _.+-, starting with a letter or "
	          "digit)");
	one_error("docker:\n  socket: run/d.sock\n", 2, 11,
	          "docker.socket: 'run/d.sock' is not an absolute path (start "
	          "it with / or ~/)");
}

static const char cyclic[] = "mounts: &m\n  - host: /a\n  - *m\n";

/* Aliases and sizes cannot make the loader loop or take long. */
static void
test_error_hostile(void **state)
{
	struct config_errors errs = {NULL, 0};
	char *big;
	size_t i;

	(void)state;
	one_error(cyclic, 1, 9,
	          "mounts[1]: expected a mapping with host:, got a list");
	one_error("vm: &v\n  vm: *v\n", 2, 3, "unknown key 'vm.vm'");
	big = xmalloc(2 * 1024 * 1024 + 1);
	memset(big, '#', 2 * 1024 * 1024);
	big[2 * 1024 * 1024] = '\0';
	assert_null(load(big, &errs));
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.list[0].message,
	                    "2097152 bytes is too large for a profile (at "
	                    "most 1048576)");
	config_errors_free(&errs);
	free(big);
	big = xstrdup("mounts:\n");
	for (i = 0; i < 300; i++) {
		char *t = xasprintf("%s  - host: /m%zu\n", big, i);

		free(big);
		big = t;
	}
	one_error(big, 2, 3, "mounts: more than 256 mounts");
	free(big);
}

static void
test_error_enum(void **state)
{
	(void)state;
	one_error("vm:\n  accel: tcg\n", 2, 10,
	          "vm.accel: 'tcg' is not one of auto, kvm, hvf, qemu");
	one_error("mounts:\n  - host: /a\n    type: nfs\n", 3, 11,
	          "mounts[0].type: 'nfs' is not one of 9p, virtiofs, sshfs, "
	          "sync");
	one_error("mounts:\n  - host: /a\n    watch: yes\n", 3, 12,
	          "mounts[0].watch: 'yes' is not one of off, poll, native");
	one_error("docker:\n  forward: [ssh]\n", 2, 12,
	          "docker.forward: expected one of ssh, none, got a list");
}

static void
test_error_duplicates(void **state)
{
	(void)state;
	one_error("vm:\n  cpus: 2\n  memory: 4G\n  cpus: 3\n", 4, 3,
	          "duplicate key 'vm.cpus' (first at line 2)");
	one_error("theme: a\nrefresh: 1s\ntheme: b\n", 3, 1,
	          "duplicate key 'theme' (first at line 1)");
	one_error("mounts:\n  - host: /a\n    guest: /x\n  - host: /b\n"
	          "    guest: /x\n",
	          5, 12,
	          "duplicate mount target '/x' (the mount at line 2 uses it "
	          "too)");
	/* The target defaults to host: the error points at host. */
	one_error("mounts:\n  - host: /a\n  - host: /a\n", 3, 11,
	          "duplicate mount target '/a' (the mount at line 2 uses it "
	          "too)");
}

static void
test_error_required(void **state)
{
	(void)state;
	one_error("mounts:\n  - guest: /x\n", 2, 5,
	          "mounts[0]: missing required key 'host'");
	one_error("mounts:\n  - host:\n", 2, 10,
	          "mounts[0].host: needs a value");
	one_error("theme: a\n---\ntheme: b\n", 2, 1,
	          "a profile is one YAML document; remove this one");
}

/* Several problems are all reported, in file order. */
static void
test_error_many(void **state)
{
	struct config_errors errs = {NULL, 0};
	char *path, *cause = NULL;
	FILE *f;
	char buf[1024];
	size_t n;

	(void)state;
	assert_null(
	    load("vm:\n  cpu: 4\n  cpus: 0\n  accel: tcg\nx: 1\n", &errs));
	assert_int_equal(errs.n, 4);
	err_is(&errs, 0, 2, 3,
	       "unknown key 'vm.cpu' (did you mean 'vm.cpus'?)");
	err_is(&errs, 1, 3, 9, "vm.cpus: 0 is out of range (1..256)");
	err_is(&errs, 3, 5, 1, "unknown key 'x'");

	/* Printed one per line as FILE:LINE:COL: message. */
	path = xasprintf("%s/errs.txt", tmpdir);
	f = fopen(path, "w+");
	assert_non_null(f);
	config_errors_print(&errs, f);
	rewind(f);
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_non_null(strstr(buf, "t.yaml:3:9: vm.cpus: 0 is out of range "
	                            "(1..256)\nt.yaml:4:10: vm.accel:"));
	config_errors_free(&errs);
	assert_int_equal(errs.n, 0);
	free(path);
	free(cause);
}

/* ---- lookup ---------------------------------------------------------- */

static void
test_lookup(void **state)
{
	struct profile *p;
	char *cause = NULL, *path, *want, **names;
	size_t n;

	(void)state;
	free(write_tmp("profiles/default.yaml", "vm:\n  cpus: 3\n"));
	free(write_tmp("profiles/shipped-only.yaml", "vm:\n  cpus: 5\n"));
	free(write_tmp("config/profiles/default.yaml", "vm:\n  cpus: 7\n"));
	free(write_tmp("config/profiles/broken.yaml",
	               "vm:\n  cpus: 0\n  accel: x\n"));
	free(write_tmp("config/profiles/notes.txt", "not a profile\n"));

	/* The user's profile wins over the shipped one of the same name. */
	p = profile_open("default", &cause);
	assert_non_null(p);
	assert_int_equal(p->vm.cpus, 7);
	assert_string_equal(p->name, "default");
	assert_string_equal(p->vm.domain, "berth-default");
	profile_free(p);
	p = profile_open("shipped-only", &cause);
	assert_non_null(p);
	assert_int_equal(p->vm.cpus, 5);
	assert_string_equal(p->docker.context, "berth-shipped-only");
	profile_free(p);

	/*
	 * A path is not a name: profile_open refuses it, profile_open_file
	 * (a command's FILE argument) reads it, named after the file.
	 */
	path = write_tmp("elsewhere/dev.yaml", "theme: mono\n");
	assert_null(profile_open(path, &cause));
	assert_non_null(strstr(cause, "is not a profile name"));
	free(cause);
	cause = NULL;
	p = profile_open_file(path, NULL, &cause);
	assert_non_null(p);
	assert_string_equal(p->name, "dev");
	assert_string_equal(p->vm.domain, "berth-dev");
	assert_string_equal(p->theme, "mono");
	profile_free(p);
	free(path);

	/* Invalid: NULL and every problem, one per line. */
	p = profile_open("broken", &cause);
	assert_null(p);
	want = xasprintf("%s/config/profiles/broken.yaml:2:9: vm.cpus: 0 is "
	                 "out of range (1..256)\n%s/config/profiles/"
	                 "broken.yaml:3:10: vm.accel: 'x' is not one of auto, "
	                 "kvm, hvf, qemu",
	                 tmpdir, tmpdir);
	assert_string_equal(cause, want);
	free(want);
	free(cause);
	cause = NULL;

	assert_null(profile_open("nope", &cause));
	assert_non_null(strstr(cause, "no profile 'nope'"));
	free(cause);
	cause = NULL;
	assert_null(profile_find("../x", &cause));
	free(cause);
	cause = NULL;

	path = profile_find("default", &cause);
	want = xasprintf("%s/config/profiles/default.yaml", tmpdir);
	assert_string_equal(path, want);
	free(path);
	free(want);

	names = profile_list_names(&n);
	assert_int_equal(n, 3);
	assert_string_equal(names[0], "broken");
	assert_string_equal(names[1], "default");
	assert_string_equal(names[2], "shipped-only");
	assert_null(names[3]);
	while (n > 0)
		free(names[--n]);
	free(names);

	assert_string_equal(profile_current_name("x"), "x");
	assert_string_equal(profile_current_name(NULL), "default");
	setenv("BERTH_PROFILE", "env", 1);
	assert_string_equal(profile_current_name(NULL), "env");
	assert_string_equal(profile_current_name("x"), "x");
	unsetenv("BERTH_PROFILE");
}

/* ---- comment-preserving edits ----------------------------------------- */

static char *commented;
static size_t commented_len;

static int
setup_commented(void **state)
{
	const char *src = getenv("BERTH_SRCDIR");
	char *path;

	if (setup(state) != 0)
		return -1;
	path = xasprintf("%s/tests/unit/data/commented.yaml",
	                 src != NULL ? src : BERTH_SRCDIR);
	commented = read_all(path, &commented_len);
	free(path);
	return 0;
}

static int
teardown_commented(void **state)
{
	free(commented);
	return teardown(state);
}

/*
 * Check that `out` is `in` with the bytes `old` at offset `at` replaced by
 * `new` and every other byte the same.
 */
static void
diff_is(const char *in, size_t inlen, const char *out, size_t outlen, size_t at,
        const char *old, const char *new)
{
	assert_true(at + strlen(old) <= inlen);
	assert_int_equal(outlen + strlen(old), inlen + strlen(new));
	assert_memory_equal(in, out, at);
	assert_memory_equal(in + at, old, strlen(old));
	assert_memory_equal(out + at, new, strlen(new));
	assert_memory_equal(in + at + strlen(old), out + at + strlen(new),
	                    inlen - at - strlen(old));
}

/* Byte offset of the n-th (0-based) occurrence of needle. */
static size_t
offset_of(const char *hay, const char *needle, int nth)
{
	const char *p = hay;

	for (;;) {
		p = strstr(p, needle);
		assert_non_null(p);
		if (nth-- == 0)
			return (size_t)(p - hay);
		p++;
	}
}

static char *
splice_ok(const char *key, const char *value, size_t *outlen)
{
	char *cause = NULL, *out;

	out = profile_splice(commented, commented_len, key, value, outlen,
	                     &cause);
	if (out == NULL)
		fail_msg("%s=%s: %s", key, value, cause);
	return out;
}

static void
test_splice_replace_scalar(void **state)
{
	struct config_errors errs = {NULL, 0};
	struct profile *p;
	size_t len, at;
	char *out;

	(void)state;
	/* vm.cpus: only the "2" changes. */
	out = splice_ok("vm.cpus", "6", &len);
	at = offset_of(commented, "cpus: 2", 0) + 6;
	diff_is(commented, commented_len, out, len, at, "2", "6");
	p = profile_load_buffer(out, len, "t.yaml", NULL, &errs);
	assert_non_null(p);
	assert_int_equal(p->vm.cpus, 6);
	profile_free(p);
	free(out);

	/* A quoted scalar: the quotes are part of the replaced bytes. */
	out = splice_ok("vm.memory", "8GiB", &len);
	at = offset_of(commented, "\"2GiB\"", 0);
	diff_is(commented, commented_len, out, len, at, "\"2GiB\"", "8GiB");
	free(out);

	/* Odd spacing before the value stays. */
	out = splice_ok("vm.uri", "qemu:///system", &len);
	at = offset_of(commented, "qemu:///session", 0);
	diff_is(commented, commented_len, out, len, at, "qemu:///session",
	        "qemu:///system");
	free(out);

	/* A value that needs quotes gets them and reads back the same. */
	out = splice_ok("vm.uri", "test:///x #2: y", &len);
	at = offset_of(commented, "qemu:///session", 0);
	diff_is(commented, commented_len, out, len, at, "qemu:///session",
	        "\"test:///x #2: y\"");
	p = profile_load_buffer(out, len, "t.yaml", NULL, &errs);
	assert_non_null(p);
	assert_string_equal(p->vm.uri, "test:///x #2: y");
	profile_free(p);
	free(out);
}

static void
test_splice_mounts(void **state)
{
	struct config_errors errs = {NULL, 0};
	struct profile *p;
	size_t len, at;
	char *out;

	(void)state;
	/* mounts[0].watch exists: replaced in place. */
	out = splice_ok("mounts[0].watch", "poll", &len);
	at = offset_of(commented, "watch: off", 0) + 7;
	diff_is(commented, commented_len, out, len, at, "off", "poll");
	free(out);

	/* mounts[1].watch is missing: one line after its last key. */
	out = splice_ok("mounts[1].watch", "poll", &len);
	at = offset_of(commented, "type: virtiofs", 0) +
	     strlen("type: virtiofs");
	diff_is(commented, commented_len, out, len, at, "",
	        "\n    watch: poll");
	p = profile_load_buffer(out, len, "t.yaml", NULL, &errs);
	assert_non_null(p);
	assert_int_equal(p->mounts[0].watch, PROFILE_WATCH_OFF);
	assert_int_equal(p->mounts[1].watch, PROFILE_WATCH_POLL);
	profile_free(p);
	free(out);

	/* A flow list is replaced as a whole. */
	out = splice_ok("mounts[0].ignore", ".git, dist", &len);
	at = offset_of(commented, "[.git, node_modules]", 0);
	diff_is(commented, commented_len, out, len, at, "[.git, node_modules]",
	        "[.git, dist]");
	free(out);

	/* A new mount is appended to the list. */
	out = splice_ok("mounts[2].host", "/opt/x", &len);
	at = offset_of(commented, "type: virtiofs", 0) +
	     strlen("type: virtiofs");
	diff_is(commented, commented_len, out, len, at, "",
	        "\n  - host: /opt/x");
	p = profile_load_buffer(out, len, "t.yaml", NULL, &errs);
	assert_non_null(p);
	assert_int_equal(p->nmounts, 3);
	assert_string_equal(p->mounts[2].guest, "/opt/x");
	profile_free(p);
	free(out);
}

static void
test_splice_insert(void **state)
{
	size_t len, at;
	char *out, *cause = NULL;

	(void)state;
	/* A missing key goes after the last key of its mapping, with the
	 * indentation of its siblings (after the trailing comment). */
	out = splice_ok("vm.disk", "40GiB", &len);
	at = offset_of(commented, "shutdown_timeout: 30s", 0) +
	     strlen("shutdown_timeout: 30s");
	diff_is(commented, commented_len, out, len, at, "", "\n  disk: 40GiB");
	free(out);

	/* A missing section is created after the last top-level key. */
	out = splice_ok("docker.activate", "true", &len);
	at = offset_of(commented, "theme: default", 0) +
	     strlen("theme: default");
	diff_is(commented, commented_len, out, len, at, "",
	        "\ndocker:\n  activate: true");
	free(out);

	/* Into an empty file, into "vm:" with nothing under it, flow. */
	out = profile_splice("", strlen(""), "vm.cpus", "3", &len, &cause);
	assert_string_equal(out, "vm:\n  cpus: 3\n");
	free(out);
	out = profile_splice("# c\nvm:   # x\n", strlen("# c\nvm:   # x\n"),
	                     "vm.cpus", "3", &len, &cause);
	assert_string_equal(out, "# c\nvm:   # x\n  cpus: 3\n");
	free(out);
	out = profile_splice("vm: {cpus: 2}\n", strlen("vm: {cpus: 2}\n"),
	                     "vm.memory", "1G", &len, &cause);
	assert_string_equal(out, "vm: {cpus: 2, memory: 1G}\n");
	free(out);
	out = profile_splice("mounts: []\n", strlen("mounts: []\n"),
	                     "mounts[0].host", "/a", &len, &cause);
	assert_string_equal(out, "mounts: [{host: /a}]\n");
	free(out);
	out = profile_splice("vm:\n    cpus: 2\n", strlen("vm:\n    cpus: 2\n"),
	                     "vm.ssh_port", "22", &len, &cause);
	assert_string_equal(out, "vm:\n    cpus: 2\n    ssh_port: 22\n");
	free(out);
	out = profile_splice("vm:\n  image:\n", strlen("vm:\n  image:\n"),
	                     "vm.image", "/i.qcow2", &len, &cause);
	assert_string_equal(out, "vm:\n  image: /i.qcow2\n");
	free(out);
}

/* Marks count characters: text before the value may be multi-byte. */
static void
test_splice_utf8(void **state)
{
	const char in[] =
	    "\xef\xbb\xbf# caf\xc3\xa9 \xe6\x97\xa5\n"
	    "vm:\n  uri: \"t:///\xc3\xa9\xc3\xa9\" # \xf0\x9f\x98\x80\n"
	    "  cpus: 3\n";
	const char want[] = "\xef\xbb\xbf# caf\xc3\xa9 \xe6\x97\xa5\n"
	                    "vm:\n  uri: \"t:///\xc3\xa9\xc3\xa9\" # "
	                    "\xf0\x9f\x98\x80\n"
	                    "  cpus: 12\n";
	char *cause = NULL, *out;
	size_t len;

	(void)state;
	out = profile_splice(in, sizeof in - 1, "vm.cpus", "12", &len, &cause);
	assert_non_null(out);
	assert_string_equal(out, want);
	free(out);
}

/* CRLF counts as two characters in marks, like two bytes. */
static void
test_splice_crlf(void **state)
{
	const char in[] = "# x\r\nvm:\r\n  cpus: 2\r\n  memory: 1G\r\n";
	char *cause = NULL, *out;
	size_t len;

	(void)state;
	out = profile_splice(in, strlen(in), "vm.memory", "2G", &len, &cause);
	assert_non_null(out);
	assert_string_equal(out, "# x\r\nvm:\r\n  cpus: 2\r\n  memory: "
	                         "2G\r\n");
	free(out);
}

static void
test_splice_refused(void **state)
{
	char *cause = NULL, *out;
	size_t len;

	(void)state;
	assert_null(profile_splice(commented, commented_len, "vm.cpus", "0",
	                           &len, &cause));
	assert_string_equal(cause, "vm.cpus=0 refused: vm.cpus: 0 is out of "
	                           "range (1..256)");
	free(cause);
	cause = NULL;
	assert_null(profile_splice(commented, commented_len, "vm.cpu", "2",
	                           &len, &cause));
	assert_string_equal(cause,
	                    "unknown key 'vm.cpu' (did you mean 'vm.cpus'?)");
	free(cause);
	cause = NULL;
	assert_null(profile_splice(commented, commented_len, "mounts[7].watch",
	                           "poll", &len, &cause));
	assert_string_equal(cause, "there is no item 7 (the list has 2)");
	free(cause);
	cause = NULL;
	/* A new mount without host would not load. */
	assert_null(profile_splice(commented, commented_len, "mounts[2].watch",
	                           "poll", &len, &cause));
	assert_non_null(strstr(cause, "missing required key 'host'"));
	free(cause);
	cause = NULL;
	assert_null(profile_splice(commented, commented_len, "vm..cpus", "2",
	                           &len, &cause));
	free(cause);
	cause = NULL;
	assert_null(profile_splice("vm: [\n", strlen("vm: [\n"), "vm.cpus", "2",
	                           &len, &cause));
	assert_string_equal(cause, "line 2: the profile is not valid YAML "
	                           "(did not find expected node content); "
	                           "fix it first");
	free(cause);
	cause = NULL;
	/* Aliases point marks elsewhere (here: back at their own list). */
	assert_null(profile_splice(cyclic, strlen(cyclic), "vm.cpus", "2", &len,
	                           &cause));
	assert_non_null(strstr(cause, "uses YAML aliases"));
	free(cause);
	cause = NULL;
	/* An alias of a scalar is refused too; an anchor alone is fine. */
	assert_null(profile_splice("x: &n 2\nvm:\n  cpus: *n\n",
	                           strlen("x: &n 2\nvm:\n  cpus: *n\n"),
	                           "vm.cpus", "3", &len, &cause));
	assert_non_null(strstr(cause, "uses YAML aliases"));
	free(cause);
	cause = NULL;
	out =
	    profile_splice("vm: &v\n  cpus: 1\n", strlen("vm: &v\n  cpus: 1\n"),
	                   "vm.cpus", "3", &len, &cause);
	assert_non_null(out);
	assert_string_equal(out, "vm: &v\n  cpus: 3\n");
	free(out);
}

static void
test_set_file(void **state)
{
	char *path, *bak, *buf, *cause = NULL;
	size_t len;
	struct stat sb;

	(void)state;
	path = write_tmp("config/profiles/edit.yaml", commented);
	bak = xasprintf("%s.bak", path);

	/* Refused: the file is untouched and no .bak appears. */
	assert_int_equal(profile_set(path, "vm.memory", "1KiB", &cause), -2);
	assert_non_null(strstr(cause, "out of range"));
	free(cause);
	cause = NULL;
	buf = read_all(path, &len);
	assert_int_equal(len, commented_len);
	assert_memory_equal(buf, commented, len);
	free(buf);
	assert_int_not_equal(stat(bak, &sb), 0);

	/* Accepted: the new text, the old one kept as .bak. */
	assert_int_equal(profile_set(path, "mounts[1].watch", "poll", &cause),
	                 0);
	buf = read_all(bak, &len);
	assert_int_equal(len, commented_len);
	assert_memory_equal(buf, commented, len);
	free(buf);
	buf = read_all(path, &len);
	assert_int_equal(len, commented_len + strlen("\n    watch: poll"));
	assert_non_null(strstr(buf, "type: virtiofs\n    watch: poll\n"));
	free(buf);

	assert_int_equal(
	    profile_set("/nonexistent/x.yaml", "vm.cpus", "2", &cause), -1);
	free(cause);
	free(bak);
	free(path);
}

/* Editing a shipped profile by name writes a user copy. */
static void
test_set_named(void **state)
{
	char *shipped, *user, *buf, *cause = NULL;
	size_t len;
	struct profile *p;
	struct stat sb;

	(void)state;
	shipped =
	    write_tmp("profiles/tmpl.yaml", "# template\nvm:\n  cpus: 2\n");
	user = xasprintf("%s/config/profiles/tmpl.yaml", tmpdir);
	assert_int_not_equal(stat(user, &sb), 0);
	assert_int_equal(profile_set_named("tmpl", "vm.cpus", "4", &cause), 0);
	buf = read_all(shipped, &len);
	assert_string_equal(buf, "# template\nvm:\n  cpus: 2\n");
	free(buf);
	buf = read_all(user, &len);
	assert_string_equal(buf, "# template\nvm:\n  cpus: 4\n");
	free(buf);
	p = profile_open("tmpl", &cause);
	assert_non_null(p);
	assert_int_equal(p->vm.cpus, 4);
	profile_free(p);

	/* The second edit goes to the user copy, with a .bak. */
	assert_int_equal(profile_set_named("tmpl", "refresh", "1s", &cause), 0);
	buf = read_all(user, &len);
	assert_string_equal(buf, "# template\nvm:\n  cpus: 4\nrefresh: 1s\n");
	free(buf);
	free(user);
	user = xasprintf("%s/config/profiles/tmpl.yaml.bak", tmpdir);
	assert_int_equal(stat(user, &sb), 0);

	/* profile_save edits where a loaded profile came from. */
	p = profile_open("tmpl", &cause);
	assert_non_null(p);
	assert_int_equal(profile_save(p, "theme", "mono", &cause), 0);
	profile_free(p);
	user[strlen(user) - 4] = '\0'; /* the file, not its .bak */
	buf = read_all(user, &len);
	assert_string_equal(buf, "# template\nvm:\n  cpus: 4\nrefresh: "
	                         "1s\ntheme: mono\n");
	free(buf);
	free(write_tmp("profiles/other.yaml", "theme: a\n"));
	p = profile_open("other", &cause);
	assert_non_null(p);
	assert_int_equal(profile_save(p, "theme", "b", &cause), 0);
	profile_free(p);
	buf = xasprintf("%s/profiles/other.yaml", tmpdir);
	free(user);
	user = read_all(buf, &len);
	assert_string_equal(user, "theme: a\n"); /* shipped: untouched */
	free(buf);
	free(user);
	user = xasprintf("%s/config/profiles/other.yaml", tmpdir);
	buf = read_all(user, &len);
	assert_string_equal(buf, "theme: b\n");
	free(buf);
	p = profile_defaults("none");
	assert_int_equal(profile_save(p, "theme", "b", &cause), -1);
	assert_string_equal(cause, "profile none has no file to save to");
	free(cause);
	cause = NULL;
	profile_free(p);
	assert_int_equal(profile_set_named("tmpl", "vm.cpus", "x", &cause), -2);
	free(cause);
	cause = NULL;
	assert_int_equal(profile_set_named("absent", "vm.cpus", "2", &cause),
	                 -1);
	free(cause);
	free(user);
	free(shipped);
}

/* The one rule for profile names, and that lookups and listings obey it. */
static void
test_name_check(void **state)
{
	static const char *const good[] = {
	    "default",
	    "dev",
	    "a",
	    "A-b_c.d",
	    "x..y",
	    "1",
	    "-",
	    "v1.2",
	    /* 64 bytes, the most */
	    "0123456789012345678901234567890123456789012345678901234567890123",
	};
	static const char *const bad[] = {
	    "",
	    ".",
	    "..",
	    ".hidden",
	    "../x",
	    "../../somewhere",
	    "a/b",
	    "/etc/shadow",
	    "~",
	    "~/x",
	    "a b",
	    "a\tb",
	    "x\033[31m",
	    "bel\007",
	    "caf\xc3\xa9",
	    "x\n",
	    "a:b",
	    "a*",
	    "$HOME",
	    "a\\b",
	    /* 65 bytes, one too many */
	    "01234567890123456789012345678901234567890123456789012345678901234",
	};
	char *cause = NULL, *path, **names, **skipped;
	size_t i, n;

	(void)state;
	for (i = 0; i < nitems(good); i++) {
		if (profile_name_check(good[i], &cause) != 0)
			fail_msg("'%s' refused: %s", good[i], cause);
	}
	for (i = 0; i < nitems(bad); i++) {
		if (profile_name_check(bad[i], &cause) == 0)
			fail_msg("'%s' accepted", bad[i]);
		assert_non_null(strstr(cause, "is not a profile name"));
		/* The message quotes the name, never a raw control char. */
		assert_null(strchr(cause, '\033'));
		assert_null(strchr(cause, '\007'));
		assert_null(strchr(cause, '\n'));
		free(cause);
		cause = NULL;
		/* Nothing that builds a path from a name lets it through. */
		assert_null(profile_find(bad[i], &cause));
		assert_non_null(strstr(cause, "is not a profile name"));
		free(cause);
		cause = NULL;
		assert_null(profile_open(bad[i], &cause));
		free(cause);
		cause = NULL;
	}
	/* A NULL cause is allowed (a yes/no question). */
	assert_int_equal(profile_name_check("x/y", NULL), -1);
	/* A long bad name is quoted cut short. */
	path = xasprintf("%0200d/", 0);
	assert_int_equal(profile_name_check(path, &cause), -1);
	assert_true(strlen(cause) < 200);
	free(cause);
	cause = NULL;
	free(path);

	/* A profile FILE whose name is not a name is left out, and said. */
	free(write_tmp("config/profiles/ok.yaml", "vm:\n  cpus: 2\n"));
	free(write_tmp("config/profiles/\033[31mred.yaml", "{}\n"));
	free(write_tmp("config/profiles/sp ace.yaml", "{}\n"));
	names = profile_list_names_bad(&n, &skipped);
	for (i = 0; i < n; i++)
		assert_int_equal(profile_name_check(names[i], NULL), 0);
	for (i = 0; i < n && strcmp(names[i], "ok") != 0; i++)
		;
	assert_true(i < n);
	for (i = 0; skipped[i] != NULL; i++)
		;
	assert_int_equal(i, 2);
	for (i = 0; skipped[i] != NULL; i++)
		free(skipped[i]);
	free(skipped);
	while (n > 0)
		free(names[--n]);
	free(names);

	/* profile_is_file: what a FILE argument counts as a path. */
	assert_true(profile_is_file("./x"));
	assert_true(profile_is_file("x.yaml"));
	assert_true(profile_is_file("/etc/shadow"));
	assert_false(profile_is_file("dev"));
	assert_false(profile_is_file("x.yml"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_schema_table),
	    cmocka_unit_test(test_schema_suggest),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_mount_tag),
	    cmocka_unit_test(test_load_every_key),
	    cmocka_unit_test(test_load_empty_and_nulls),
	    cmocka_unit_test(test_error_syntax),
	    cmocka_unit_test(test_error_unknown_key),
	    cmocka_unit_test(test_error_types),
	    cmocka_unit_test(test_error_range),
	    cmocka_unit_test(test_error_checks),
	    cmocka_unit_test(test_error_hostile),
	    cmocka_unit_test(test_error_enum),
	    cmocka_unit_test(test_error_duplicates),
	    cmocka_unit_test(test_error_required),
	    cmocka_unit_test(test_error_many),
	    cmocka_unit_test(test_lookup),
	    cmocka_unit_test(test_name_check),
	    cmocka_unit_test(test_splice_replace_scalar),
	    cmocka_unit_test(test_splice_mounts),
	    cmocka_unit_test(test_splice_insert),
	    cmocka_unit_test(test_splice_utf8),
	    cmocka_unit_test(test_splice_crlf),
	    cmocka_unit_test(test_splice_refused),
	    cmocka_unit_test(test_set_file),
	    cmocka_unit_test(test_set_named),
	    cmocka_unit_test(test_theme_check),
	};

	return cmocka_run_group_tests(tests, setup_commented,
	                              teardown_commented);
}
