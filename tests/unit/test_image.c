/*
 * test_image.c: the pure parts of image.c, disk.c and provision.c: cache
 * file names for URLs, the default image per architecture, the progress
 * text, qcow2/raw detection, and the cloud-init user-data, which must stay
 * valid YAML that carries hostile profile text (quotes, backslashes,
 * newlines, control characters) through unchanged.
 */

#include "config.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <yaml.h>

#include "image/image.h"

/* Every scalar of a YAML document, in order; fails the test on a parse
 * error. */
static char **
scalars(const char *doc, size_t *n)
{
	yaml_parser_t p;
	yaml_event_t e;
	char **v = NULL;
	int done = 0;

	*n = 0;
	assert_true(yaml_parser_initialize(&p));
	yaml_parser_set_input_string(&p, (const unsigned char *)doc,
	                             strlen(doc));
	while (!done) {
		if (!yaml_parser_parse(&p, &e))
			fail_msg("user-data is not YAML: %s (line %zu)",
			         p.problem, p.problem_mark.line + 1);
		if (e.type == YAML_SCALAR_EVENT) {
			v = xreallocarray(v, *n + 1, sizeof *v);
			v[(*n)++] = xstrndup((const char *)e.data.scalar.value,
			                     e.data.scalar.length);
		}
		done = e.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&e);
	}
	yaml_parser_delete(&p);
	return v;
}

static int
has(char **v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(v[i], s) == 0)
			return 1;
	}
	return 0;
}

/* The scalar holding berth's provisioning script (not freed apart). */
static const char *
script_of(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strncmp(v[i], "#!/bin/sh\n", 10) == 0)
			return v[i];
	}
	fail_msg("no provisioning script in the user-data");
	return NULL;
}

static void
freev(char **v, size_t n)
{
	while (n > 0)
		free(v[--n]);
	free(v);
}

static void
test_cache_path(void **state)
{
	char *a, *b, *c, *d;

	(void)state;
	setenv("BERTH_HOME", "/tmp/berth-test-image-home", 1);
	a = image_cache_path("https://example.org/a/debian.qcow2");
	b = image_cache_path("https://example.org/b/debian.qcow2");
	c = image_cache_path("https://example.org/a/debian.qcow2?x=1#f");
	d = image_cache_path("https://example.org/a/$(rm -rf ~)'..qcow2");
	assert_string_equal(util_basename(a) + 12, "-debian.qcow2");
	assert_string_not_equal(a, b); /* same name, other URL */
	assert_string_equal(util_basename(c) + 12, "-debian.qcow2");
	assert_null(strchr(util_basename(d), '$'));
	assert_null(strchr(util_basename(d), '\''));
	assert_null(strchr(util_basename(d), ' '));
	assert_int_equal(
	    strncmp(a, "/tmp/berth-test-image-home/cache/images/", 40), 0);
	free(a);
	free(b);
	free(c);
	free(d);
	a = image_cache_path("https://example.org/");
	assert_string_equal(util_basename(a) + 12, "-image");
	free(a);
}

static void
test_defaults(void **state)
{
	(void)state;
	assert_non_null(strstr(image_default_url("x86_64"),
	                       "debian-12-generic-amd64.qcow2"));
	assert_non_null(strstr(image_default_url("amd64"), "amd64"));
	assert_non_null(strstr(image_default_url("aarch64"),
	                       "debian-12-generic-arm64.qcow2"));
	assert_string_equal(image_default_url("arm64"),
	                    image_default_url("aarch64"));
	assert_null(image_default_url("sparc"));
	assert_non_null(image_default_url(NULL)); /* the host's */
	assert_true(image_is_url("https://x/y"));
	assert_true(image_is_url("http://x/y"));
	assert_false(image_is_url("file:///x"));
	assert_false(image_is_url("/x/y.qcow2"));
}

/* The one answer the CLI and the dashboard share (issue 12). */
static void
test_source(void **state)
{
	struct profile *p = profile_defaults("t");

	(void)state;
	free(p->vm.arch);
	p->vm.arch = xstrdup("x86_64");
	assert_string_equal(image_source(p), image_default_url("x86_64"));
	p->vm.kernel = xstrdup("/boot/vmlinuz");
	assert_null(image_source(p)); /* a kernel-booted VM */
	p->vm.image = xstrdup("file:///x.qcow2");
	assert_string_equal(image_source(p), "file:///x.qcow2");
	free(p->vm.kernel);
	p->vm.kernel = NULL;
	assert_string_equal(image_source(p), "file:///x.qcow2");
	free(p->vm.arch);
	p->vm.arch = xstrdup("sparc");
	free(p->vm.image);
	p->vm.image = NULL;
	assert_null(image_source(p));
	profile_free(p);
}

static void
test_progress_text(void **state)
{
	struct image_progress pr = {512ULL << 20, 1ULL << 30, 8.0 * 1048576,
	                            64};
	char *t;

	(void)state;
	t = image_progress_text(&pr);
	assert_non_null(strstr(t, "(50%)"));
	assert_non_null(strstr(t, "/s"));
	assert_non_null(strstr(t, "ETA 1:04"));
	free(t);
	pr.total = 0;
	pr.eta_s = -1;
	t = image_progress_text(&pr);
	assert_null(strstr(t, "ETA"));
	assert_null(strstr(t, "%"));
	free(t);
}

static void
test_format_of(void **state)
{
	char path[] = "/tmp/berth-test-image-XXXXXX", *cause = NULL;
	const char *fmt = NULL;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "QFI\xfb\0\0\0\3", 8), 8);
	close(fd);
	assert_int_equal(disk_format_of(path, &fmt, &cause), 0);
	assert_string_equal(fmt, "qcow2");
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "\0\0\0\0", 4), 4);
	close(fd);
	assert_int_equal(disk_format_of(path, &fmt, &cause), 0);
	assert_string_equal(fmt, "raw");
	unlink(path);
	assert_int_equal(disk_format_of(path, &fmt, &cause), -1);
	assert_non_null(strstr(cause, "No such file"));
	free(cause);
}

static void
test_user_data(void **state)
{
	const char *hostile = "echo \"a\\b\" 'c'\n: ok; printf '\\t' \x01#x";
	struct profile *p = profile_defaults("t");
	struct profile_mount m[2];
	const char *sc;
	char *ud, *md, **v;
	size_t n;

	(void)state;
	p->provision = xcalloc(2, sizeof *p->provision);
	p->provision[0] = xstrdup(hostile);
	p->provision[1] = xstrdup("apt-get install -y make");
	p->nprovision = 2;
	memset(m, 0, sizeof m);
	m[0].host = (char *)"/home/u/src: \"x\"";
	m[0].guest = (char *)"/work/src: \"x\"";
	m[0].type = PROFILE_MOUNT_9P;
	m[0].writable = 1;
	/* QEMU takes at most 31 bytes of tag: a longer path is share1. */
	m[1].host = (char *)"/Users/somebody/Development/projects";
	m[1].type = PROFILE_MOUNT_9P;
	p->mounts = m;
	p->nmounts = 2;
	ud = provision_user_data(p, "berth-t", "ssh-ed25519 AAAA k\"ey");
	assert_int_equal(strncmp(ud, "#cloud-config\n", 14), 0);
	v = scalars(ud, &n);
	assert_true(has(v, n, hostile));
	assert_true(has(v, n, "apt-get install -y make"));
	assert_true(has(v, n, "ssh-ed25519 AAAA k\"ey"));
	assert_true(has(v, n, "berth-t"));
	assert_true(has(v, n, "/work/src: \"x\"")); /* tag and mount point */
	assert_true(has(v, n, "share1"));
	assert_true(has(v, n, "/Users/somebody/Development/projects"));
	assert_null(strstr(ud, "share0"));
	/* Installing and starting is the per-boot script's: a boot after a
	 * failure goes on, and each step is named for the host. */
	assert_true(
	    has(v, n, "/var/lib/cloud/scripts/per-boot/berth-provision"));
	sc = script_of(v, n);
	assert_non_null(strstr(sc, "for p in docker.io apparmor "
	                           "qemu-guest-agent; do"));
	assert_non_null(strstr(sc, "--no-install-recommends"));
	assert_non_null(strstr(sc, "until docker info"));
	assert_non_null(strstr(sc, "/run/berth-provision.step"));
	/* Deleted images go back to the host: a daily fstrim, through the
	 * disks' discard=unmap; a data disk grown while off grows its
	 * filesystem at boot. */
	assert_non_null(strstr(sc, "systemctl enable --now fstrim.timer"));
	assert_true(has(v, n, "/etc/systemd/system/fstrim.timer.d/berth.conf"));
	assert_true(has(v, n, "[Timer]\nOnCalendar=\nOnCalendar=daily\n"));
	assert_non_null(strstr(sc, "\tresize2fs $d "));
	assert_null(strstr(sc, "BERTH_USER="));
	assert_true(has(v, n, "/etc/docker/daemon.json"));
	assert_null(strstr(ud, "package_update"));
	assert_non_null(strstr(ud, "\nlocale: false\n"));
	assert_true(has(v, n, "LABEL=berth-data"));
	assert_true(has(v, n, "/var/lib/docker"));
	assert_non_null(strstr(ud, "fs.inotify.max_user_watches = 524288"));
	assert_null(strstr(ud, "users:")); /* root by default */
	freev(v, n);
	free(ud);
	free(p->vm.ssh_user);
	p->vm.ssh_user = xstrdup("dev");
	ud = provision_user_data(p, "berth-t", "ssh-ed25519 AAAA k");
	v = scalars(ud, &n);
	assert_true(has(v, n, "dev"));
	assert_true(has(v, n, "ALL=(ALL) NOPASSWD:ALL"));
	/* The docker group is the script's, after docker.io made it. */
	assert_non_null(strstr(script_of(v, n), "\nBERTH_USER=dev\n"));
	assert_null(strstr(ud, "[docker]"));
	freev(v, n);
	free(ud);
	md = provision_meta_data(p, "berth-t");
	v = scalars(md, &n);
	assert_true(has(v, n, "local-hostname"));
	assert_true(has(v, n, "berth-t"));
	freev(v, n);
	free(md);
	p->mounts = NULL;
	p->nmounts = 0;
	profile_free(p);
}

/* SHA-512 against known digests (Python's hashlib), across the padding
 * boundaries at 111/112 and 127/128/129 bytes. */
static void
test_sha512(void **state)
{
	static const struct {
		size_t n;
		const char *hex;
	} want[] = {
	    {0,
	     "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
	     "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3"
	     "e"},
	    {111,
	     "3dfde1184fd99f233f98be4250f4edb9b535157909b668334370742204d97e"
	     "047f1fd6a74bb5ba447f337286f421d9af957811f7ef62a458771457da126cb65"
	     "e"},
	    {112,
	     "acc96c509e6d01787330a4c6a241e2cda9dcc2529dbe4288dbbcc3812133233c"
	     "4698831127cf6ed0b333632b22715a5ce53a0a1002a684367b71c98aa6d1d90"
	     "0"},
	    {127,
	     "a315910cb7812a8e66d87c0c49a42d93dbe97bf0240ee995792292c529256d93"
	     "f40199a59b3f6266343f302651fea1589e2040a2f3756126d3fe4f421a72079"
	     "d"},
	    {128,
	     "31f33a52b36dc2e70c83b604fa999a5cabf33bf70e4556fbed7bff10870c1b7b"
	     "241dd3f15d1ade24599f068fc58ab51e0028b0f0c98895c23358e8dee032ce0"
	     "6"},
	    {129,
	     "748fec3280c9165199f8c260e87eea61cbbe1b23ef1567c220df65b37e3fcced"
	     "15fa7f63c9a381fde38ddd4eb2b09b67f77d03c5e0a639b487e8c48343590c9"
	     "7"},
	    {1000,
	     "76f1e766ac03deff8c614780dc1f26825ad762f92fbba09e2552cd70b2d63338"
	     "16e7edec5d8820e8460601ea18d55b4fb154528db99a0bf17670f15f74c82cb"
	     "7"},
	};
	unsigned char buf[1000];
	char out[129];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof buf; i++)
		buf[i] = (unsigned char)((i * 7 + 1) & 255);
	for (i = 0; i < nitems(want); i++) {
		hash_hex(HASH_SHA512, buf, want[i].n, out);
		assert_string_equal(out, want[i].hex);
	}
	hash_hex(HASH_SHA512, "abc", 3, out);
	assert_string_equal(
	    out,
	    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
	    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}

/*
 * The incremental digest equals the one-shot one however the bytes are
 * cut, and hashing a file through its fd (the resumed .part) too.
 */
static void
test_hash_incremental(void **state)
{
	static const enum hash_kind kinds[] = {HASH_SHA256, HASH_SHA512};
	static const size_t cuts[] = {1, 63, 64, 65, 127, 128, 1000, 4096};
	unsigned char buf[10000];
	char one[129], inc[129], viafd[129], tmpl[] = "/tmp/test_hash.XXXXXX";
	struct hash *h;
	size_t i, k, off, n;
	int fd;

	(void)state;
	for (i = 0; i < sizeof buf; i++)
		buf[i] = (unsigned char)((i * 31 + 7) & 255);
	fd = mkstemp(tmpl);
	assert_true(fd != -1);
	assert_int_equal(write(fd, buf, sizeof buf), (ssize_t)sizeof buf);
	for (k = 0; k < nitems(kinds); k++) {
		hash_hex(kinds[k], buf, sizeof buf, one);
		assert_int_equal(strlen(one), hash_hex_len(kinds[k]));
		for (i = 0; i < nitems(cuts); i++) {
			h = hash_init(kinds[k]);
			for (off = 0; off < sizeof buf; off += n) {
				n = sizeof buf - off < cuts[i]
				        ? sizeof buf - off
				        : cuts[i];
				hash_update(h, buf + off, n);
			}
			hash_final(h, inc);
			assert_string_equal(inc, one);
		}
		/* Part of it in memory, the rest from the file. */
		h = hash_init(kinds[k]);
		hash_update(h, buf, 100);
		assert_int_equal(lseek(fd, 100, SEEK_SET), 100);
		assert_int_equal(hash_update_fd(h, fd), 0);
		hash_final(h, viafd);
		assert_string_equal(viafd, one);
	}
	hash_free(hash_init(HASH_SHA256)); /* dropped unfinished: no leak */
	hash_free(NULL);
	close(fd);
	unlink(tmpl);
	hash_hex(HASH_SHA256, "abc", 3, one);
	assert_string_equal(one, "ba7816bf8f01cfea414140de5dae2223b00361a3961"
	                         "77a9cb410ff61f20015ad");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cache_path),
	    cmocka_unit_test(test_sha512),
	    cmocka_unit_test(test_hash_incremental),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_source),
	    cmocka_unit_test(test_progress_text),
	    cmocka_unit_test(test_format_of),
	    cmocka_unit_test(test_user_data),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
