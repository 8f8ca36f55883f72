/*
 * test_platform.c: the platform interface's pure parts (platform.c) for
 * both systems, the Mac's included: the seed ISO tool's argv (hdiutil on
 * a Mac), the unix socket path limit (104 bytes there, 108 here); and
 * this host's calls (platform-linux.c): a process's name and CPU time.
 */

#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <sys/utsname.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "util/util.h"
#include "image/image.h"
#include "vm/vm.h"
#include "test-xpath.h"

/* argv joined by spaces (caller frees). */
static char *
joined(char **argv)
{
	char *s = xstrdup(""), *t;
	size_t i;

	for (i = 0; argv[i] != NULL; i++) {
		t = xasprintf("%s%s%s", s, i ? " " : "", argv[i]);
		free(s);
		s = t;
	}
	return s;
}

static void
test_iso_argv(void **state)
{
	const char *files[] = {"/s/seed/user-data", "/s/seed/meta-data", NULL};
	char **argv, *s;

	(void)state;
	argv =
	    platform_iso_argv("hdiutil", "/s/seed.iso.tmp", "/s/seed", files);
	s = joined(argv);
	assert_string_equal(s, "hdiutil makehybrid -quiet -iso -joliet "
	                       "-default-volume-name cidata -o "
	                       "/s/seed.iso.tmp /s/seed");
	free(s);
	free(argv);
	argv = platform_iso_argv("xorriso", "/o.iso", "/s/seed", files);
	s = joined(argv);
	assert_string_equal(s, "xorriso -as genisoimage -quiet -output /o.iso "
	                       "-volid cidata -joliet -rock "
	                       "/s/seed/user-data /s/seed/meta-data");
	free(s);
	free(argv);
	argv = platform_iso_argv("genisoimage", "/o.iso", "/s/seed", files);
	s = joined(argv);
	assert_string_equal(s, "genisoimage -quiet -output /o.iso -volid "
	                       "cidata -joliet -rock /s/seed/user-data "
	                       "/s/seed/meta-data");
	free(s);
	free(argv);
}

/* The Mac tries hdiutil last, Linux never. */
static void
test_iso_tools(void **state)
{
	const char *const *t;
	int mac = 0, lin = 0;

	(void)state;
	for (t = platform_darwin.iso_tools; *t != NULL; t++)
		mac += strcmp(*t, "hdiutil") == 0;
	for (t = platform_linux.iso_tools; *t != NULL; t++)
		lin += strcmp(*t, "hdiutil") == 0;
	assert_int_equal(mac, 1);
	assert_int_equal(lin, 0);
	assert_string_equal(platform_linux.iso_tools[0], "xorriso");
}

static void
xp_is(const char *xml, const char *expr, const char *want)
{
	char *got = xp(xml, expr);

	if (strcmp(got, want) != 0)
		fail_msg("%s: got '%s', want '%s' in\n%s", expr, got, want,
		         xml);
	free(got);
}

/* An aarch64 guest booting a cloud image's disk, as on a Mac. */
static struct domxml_spec
mac_spec(const char *type, const char *firmware)
{
	struct domxml_spec s;

	memset(&s, 0, sizeof s);
	s.name = "berth-mac";
	s.profile = "mac";
	s.type = type;
	s.arch = "aarch64";
	s.vcpus = 2;
	s.vcpus_max = 4;
	s.memory = 1ULL << 30;
	s.memory_max = 2ULL << 30;
	s.disk = "/state/mac/disk.qcow2";
	s.disk_format = "qcow2";
	s.disk_boot = 1;
	s.firmware = firmware;
	return s;
}

/* hvf on Apple silicon: machine virt, Homebrew QEMU's UEFI, host CPU. */
static void
test_domain_hvf_aarch64(void **state)
{
	struct domxml_spec s =
	    mac_spec("hvf", platform_darwin.aarch64_firmware);
	char *xml, *cause = NULL;

	(void)state;
	xml = domxml_build(&s, &cause);
	assert_non_null(xml);
	xp_is(xml, "string(/domain/@type)", "hvf");
	xp_is(xml, "string(/domain/os/type/@arch)", "aarch64");
	xp_is(xml, "string(/domain/os/type/@machine)", "virt");
	/* Homebrew's prefix: /opt/homebrew (Apple silicon), /usr/local */
	assert_non_null(strstr(platform_darwin.aarch64_firmware,
	                       "/share/qemu/edk2-aarch64-code.fd"));
	xp_is(xml, "string(/domain/os/loader)",
	      platform_darwin.aarch64_firmware);
	xp_is(xml, "string(/domain/os/loader/@type)", "pflash");
	xp_is(xml, "string(/domain/os/loader/@readonly)", "yes");
	xp_is(xml, "string(/domain/cpu/@mode)", "host-passthrough");
	xp_is(xml, "count(/domain/features/acpi)", "0");
	free(xml);
	/* the VM pane says what libvirt's type is */
	assert_string_equal(domxml_accel_name("hvf"), "hvf");
	assert_string_equal(domxml_accel_name("qemu"), "tcg");
}

/* No firmware file: libvirt picks an EFI one; TCG gets a 64-bit CPU. */
static void
test_domain_aarch64_tcg(void **state)
{
	struct domxml_spec s = mac_spec("qemu", NULL);
	struct utsname u;
	char *xml, *cause = NULL;

	(void)state;
	xml = domxml_build(&s, &cause);
	assert_non_null(xml);
	xp_is(xml, "string(/domain/os/@firmware)", "efi");
	xp_is(xml, "count(/domain/os/loader)", "0");
	xp_is(xml, "string(/domain/cpu/@mode)", "custom");
	xp_is(xml, "string(/domain/cpu/model)", "cortex-a57");
	free(xml);
	/* x86 guests: no loader, no cpu element (unchanged) */
	s.arch = "x86_64";
	s.firmware = NULL;
	xml = domxml_build(&s, &cause);
	assert_non_null(xml);
	xp_is(xml, "count(/domain/os/loader)", "0");
	xp_is(xml, "count(/domain/cpu)", "0");
	xp_is(xml, "string(/domain/os/@firmware)", "");
	free(xml);
	/* firmware only for aarch64 and only when the file is there */
	assert_null(platform_firmware(&platform_darwin, "x86_64"));
	assert_null(platform_firmware(&platform_darwin, "aarch64"));
	assert_int_equal(uname(&u), 0);
	assert_string_equal(platform_arch(), strcmp(u.machine, "aarch64") == 0
	                                         ? "aarch64"
	                                         : "x86_64");
}

/* The arm64 Debian cloud image for an Apple silicon Mac (uname: arm64). */
static void
test_arm64_image(void **state)
{
	(void)state;
	assert_string_equal(image_default_url("arm64"),
	                    "https://cloud.debian.org/images/cloud/bookworm/"
	                    "latest/debian-12-generic-arm64.qcow2");
	assert_string_equal(image_default_url("aarch64"),
	                    image_default_url("arm64"));
}

/* A path of n bytes under /tmp (caller frees). */
static char *
path_of(size_t n)
{
	char *p = xmalloc(n + 1);

	memset(p, 'a', n);
	memcpy(p, "/tmp/", 5);
	p[n] = '\0';
	return p;
}

static void
test_socket_limit(void **state)
{
	char *p, *cause = NULL;

	(void)state;
	p = path_of(103);
	assert_int_equal(
	    platform_socket_path_check(&platform_darwin, p, &cause), 0);
	free(p);
	p = path_of(104);
	assert_int_equal(
	    platform_socket_path_check(&platform_darwin, p, &cause), -1);
	assert_non_null(strstr(cause, " is 104 bytes, over this platform's "
	                              "unix socket limit of 103; set a "
	                              "shorter BERTH_HOME"));
	free(cause);
	cause = NULL;
	/* the same path fits on Linux, up to 107 bytes */
	assert_int_equal(platform_socket_path_check(&platform_linux, p, &cause),
	                 0);
	free(p);
	p = path_of(108);
	assert_int_equal(platform_socket_path_check(&platform_linux, p, &cause),
	                 -1);
	assert_non_null(strstr(cause, "limit of 107;"));
	free(cause);
	free(p);
}

static void
test_descriptions(void **state)
{
	(void)state;
	struct utsname u;

	assert_int_equal(uname(&u), 0);
	assert_ptr_equal(platform_host, strcmp(u.sysname, "Darwin") == 0
	                                    ? &platform_darwin
	                                    : &platform_linux);
	assert_string_equal(platform_linux.accel, "kvm");
	assert_string_equal(platform_darwin.accel, "hvf");
	assert_string_equal(platform_darwin.libvirt_uri, "qemu:///session");
	assert_non_null(strstr(platform_darwin.libvirt_socket,
	                       "/var/run/libvirt/libvirt-sock"));
	assert_null(platform_linux.libvirt_socket);
	assert_string_equal(platform_darwin.watch, "fsevents");
	assert_string_equal(platform_darwin.packages, "brew");
}

/* This process's name and a CPU time that grows as it works. */
static void
test_proc_info(void **state)
{
	char *name = NULL;
	uint64_t before = 0, after = 0, ms = util_now_ms();
	volatile unsigned long x = 0;

	(void)state;
	assert_int_equal(platform_proc_info(getpid(), &name, &before), 0);
	assert_string_equal(name, "test_platform");
	free(name);
	while (util_now_ms() - ms < 100)
		x++;
	assert_int_equal(platform_proc_info(getpid(), NULL, &after), 0);
	assert_true(after > before);
	assert_int_equal(platform_proc_info(-5, NULL, &after), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_iso_argv),
	    cmocka_unit_test(test_iso_tools),
	    cmocka_unit_test(test_socket_limit),
	    cmocka_unit_test(test_descriptions),
	    cmocka_unit_test(test_proc_info),
	    cmocka_unit_test(test_domain_hvf_aarch64),
	    cmocka_unit_test(test_domain_aarch64_tcg),
	    cmocka_unit_test(test_arm64_image),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
