/*
 * test_domxml.c: domain XML built from a spec reads back the same, holds
 * what libvirt needs (vCPU maximum above current, balloon with free page
 * reporting where supported, discard on the disks, agent channel,
 * 9p shares, the pinned slirp NIC), escapes hostile paths, and foreign or
 * broken XML is read or refused cleanly; a shared folder is found however
 * its path is quoted.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "vm/vm.h"
#include "test-xpath.h"

static struct domxml_mount mounts[] = {
    {.host = "/home/u/src & <tmp>", .tag = "share0"},
    {.host = "/data", .tag = "share1", .readonly = 1},
};

static struct domxml_spec
spec(void)
{
	struct domxml_spec s;

	memset(&s, 0, sizeof s);
	s.name = "berth-dev";
	s.profile = "dev";
	s.type = "qemu";
	s.arch = "x86_64";
	s.vcpus = 2;
	s.vcpus_max = 4;
	s.memory = 1ULL << 30;
	s.memory_max = 2ULL << 30;
	s.kernel = "/boot/vmlinux";
	s.initrd = "/boot/initrd.cpio";
	s.cmdline = "console=ttyS0 quiet";
	s.disk = "/state/dev/disk.raw";
	s.disk_format = "raw";
	s.serial_log = "/state/dev/console.log";
	s.ssh_port = 2222;
	s.mounts = mounts;
	s.nmounts = 2;
	return s;
}

static void
assert_xp(const char *xml, const char *expr, const char *want)
{
	char *got = xp(xml, expr);

	if (strcmp(got, want) != 0)
		fail_msg("%s: got '%s', want '%s'", expr, got, want);
	free(got);
}

static void
test_build_has_what_libvirt_needs(void **state)
{
	struct domxml_spec s = spec();
	char *cause = NULL, *xml = domxml_build(&s, &cause);

	assert_non_null(xml);
	assert_xp(xml, "string(/domain/@type)", "qemu");
	assert_xp(xml, "string(/domain/vcpu)", "4");
	assert_xp(xml, "string(/domain/vcpu/@current)", "2");
	assert_xp(xml, "string(/domain/memory)", "2097152");
	assert_xp(xml, "string(/domain/currentMemory)", "1048576");
	assert_xp(xml, "string(/domain/devices/memballoon/@model)", "virtio");
	assert_xp(xml, "string(/domain/os/kernel)", "/boot/vmlinux");
	assert_xp(xml, "string(/domain/os/cmdline)", "console=ttyS0 quiet");
	assert_xp(xml, "count(/domain/devices/filesystem)", "2");
	assert_xp(xml, "string(/domain/devices/filesystem[2]/target/@dir)",
	          "share1");
	assert_xp(xml, "count(/domain/devices/filesystem[2]/readonly)", "1");
	assert_xp(xml, "string(/domain/devices/channel/target/@name)",
	          "org.qemu.guest_agent.0");
	assert_xp(xml, "string(/domain/devices/serial/source/@path)",
	          "/state/dev/console.log");
	assert_xp(xml, "string(/domain/qemu:commandline/qemu:arg[2]/@value)",
	          "user,id=berthnet0,hostfwd=tcp:127.0.0.1:2222-:22");
	assert_xp(xml, "string(/domain/qemu:commandline/qemu:arg[4]/@value)",
	          "virtio-net-pci,netdev=berthnet0,id=berthnic0,bus=pci.0,"
	          "addr=0x1e");
	free(xml);
}

static void
test_roundtrip(void **state)
{
	struct domxml_spec s = spec();
	struct domxml_info info;
	char *cause = NULL, *xml = domxml_build(&s, &cause);

	assert_non_null(xml);
	assert_int_equal(domxml_parse(xml, &info, &cause), 0);
	assert_string_equal(info.name, "berth-dev");
	assert_true(info.berth);
	assert_string_equal(info.profile, "dev");
	assert_string_equal(domxml_accel_name(info.type), "tcg");
	assert_int_equal(info.vcpus, 2);
	assert_int_equal(info.vcpus_max, 4);
	assert_true(info.memory == 1ULL << 30);
	assert_true(info.memory_max == 2ULL << 30);
	assert_int_equal(info.ndisks, 1);
	assert_string_equal(info.disks[0].target, "vda");
	assert_string_equal(info.disks[0].source, "/state/dev/disk.raw");
	assert_int_equal(info.nfs, 2);
	/* a hostile path survives intact: built, not pasted */
	assert_string_equal(info.fs[0].source, "/home/u/src & <tmp>");
	assert_string_equal(info.fs[0].driver, "9p");
	assert_false(info.fs[0].readonly);
	assert_true(info.fs[1].readonly);
	assert_int_equal(info.ssh_port, 2222);
	assert_true(info.agent);
	domxml_info_free(&info);
	free(xml);
}

/* An image VM: system overlay (boot), data disk and cloud-init seed. */
static void
test_image_disks(void **state)
{
	struct domxml_spec s = spec();
	struct domxml_info info;
	char *xml;

	s.kernel = NULL;
	s.disk = "/state/dev/disk.qcow2";
	s.disk_format = "qcow2";
	s.disk_boot = 1;
	s.data_disk = "/state/dev/data.qcow2";
	s.seed = "/state/dev/seed.iso";
	xml = domxml_build(&s, NULL);
	assert_non_null(xml);
	assert_xp(xml, "string(/domain/os/boot/@dev)", "hd");
	assert_xp(xml, "count(/domain/os/kernel)", "0");
	assert_xp(xml, "string(/domain/devices/disk[2]/serial)", "berth-data");
	assert_xp(xml, "count(/domain/devices/disk[3]/readonly)", "1");
	assert_int_equal(domxml_parse(xml, &info, NULL), 0);
	assert_int_equal(info.ndisks, 3);
	assert_string_equal(info.disks[1].target, "vdb");
	assert_string_equal(info.disks[1].source, "/state/dev/data.qcow2");
	assert_string_equal(info.disks[0].format, "qcow2");
	domxml_info_free(&info);
	/* the guest's TRIM reaches the system and data disks, not the
	 * read-only seed */
	assert_xp(xml, "string(/domain/devices/disk[1]/driver/@discard)",
	          "unmap");
	assert_xp(xml, "string(/domain/devices/disk[2]/driver/@discard)",
	          "unmap");
	assert_xp(xml, "count(/domain/devices/disk[3]/driver/@discard)", "0");
	free(xml);
}

/*
 * Free page reporting and autodeflate only where the spec says libvirt
 * and QEMU support them; the plain balloon otherwise, as before.
 */
static void
test_balloon_reporting(void **state)
{
	struct domxml_spec s = spec();
	char *xml;

	xml = domxml_build(&s, NULL);
	assert_non_null(xml);
	assert_xp(xml, "string(/domain/devices/memballoon/@model)", "virtio");
	assert_xp(xml, "count(/domain/devices/memballoon/@freePageReporting)",
	          "0");
	assert_xp(xml, "count(/domain/devices/memballoon/@autodeflate)", "0");
	assert_xp(xml, "string(/domain/devices/memballoon/stats/@period)", "2");
	assert_xp(xml, "string(/domain/devices/disk[1]/driver/@discard)",
	          "unmap");
	free(xml);

	s.free_page_reporting = 1;
	xml = domxml_build(&s, NULL);
	assert_non_null(xml);
	assert_xp(xml, "string(/domain/devices/memballoon/@freePageReporting)",
	          "on");
	assert_xp(xml, "string(/domain/devices/memballoon/@autodeflate)", "on");
	assert_xp(xml, "string(/domain/devices/memballoon/stats/@period)", "2");
	free(xml);
}

/* Which connections get it: QEMU from libvirt 6.9 and QEMU 5.1. */
static void
test_free_page_reporting_versions(void **state)
{
	/* Debian 12 */
	assert_true(vm_free_page_reporting("QEMU", 9000000, 7002000));
	assert_true(vm_free_page_reporting("QEMU", 6009000, 5001000));
	assert_false(vm_free_page_reporting("QEMU", 6008000, 7002000));
	assert_false(vm_free_page_reporting("QEMU", 9000000, 5000001));
	assert_false(vm_free_page_reporting("Test", 9000000, 7002000));
	assert_false(vm_free_page_reporting(NULL, 9000000, 7002000));
}

static void
test_hostile_name_is_escaped(void **state)
{
	struct domxml_spec s = spec();
	struct domxml_info info;
	char *xml;

	s.name = "x</name><vcpu>64</vcpu><name>y";
	s.cmdline = "a='b' & c";
	xml = domxml_build(&s, NULL);
	assert_non_null(xml);
	assert_int_equal(domxml_parse(xml, &info, NULL), 0);
	assert_string_equal(info.name, "x</name><vcpu>64</vcpu><name>y");
	assert_int_equal(info.vcpus_max, 4);
	assert_xp(xml, "string(/domain/os/cmdline)", "a='b' & c");
	domxml_info_free(&info);
	free(xml);
}

static void
test_build_refuses_bad_spec(void **state)
{
	struct domxml_spec s = spec();
	char *cause = NULL;

	s.vcpus = 5; /* above the maximum */
	assert_null(domxml_build(&s, &cause));
	assert_non_null(strstr(cause, "vCPU"));
	free(cause);
	s = spec();
	s.kernel = NULL; /* and no disk boot */
	cause = NULL;
	assert_null(domxml_build(&s, &cause));
	assert_non_null(strstr(cause, "vm.kernel"));
	free(cause);
}

/* A virt-manager domain berth did not write: read as it is. */
static void
test_parse_foreign(void **state)
{
	static const char xml[] =
	    "<domain type='kvm'><name>win</name>"
	    "<memory unit='GiB'>4</memory>"
	    "<vcpu placement='static'>3</vcpu>"
	    "<devices><disk type='file' device='disk'>"
	    "<driver name='qemu' type='qcow2'/>"
	    "<source file='/var/lib/libvirt/images/win.qcow2'/>"
	    "<target dev='sda' bus='sata'/></disk>"
	    "<disk type='file' device='cdrom'><target dev='sdb'/></disk>"
	    "<interface type='network'><source network='default'/>"
	    "</interface></devices></domain>";
	struct domxml_info info;

	assert_int_equal(domxml_parse(xml, &info, NULL), 0);
	assert_false(info.berth);
	assert_null(info.profile);
	assert_string_equal(domxml_accel_name(info.type), "kvm");
	assert_int_equal(info.vcpus, 3);
	assert_int_equal(info.vcpus_max, 3);
	assert_true(info.memory == 4ULL << 30);
	assert_true(info.memory_max == 4ULL << 30);
	assert_int_equal(info.ndisks, 2);
	assert_string_equal(info.disks[0].format, "qcow2");
	assert_null(info.disks[1].source);
	assert_string_equal(info.disks[1].device, "cdrom");
	assert_int_equal(info.nfs, 0);
	assert_int_equal(info.ssh_port, 0);
	assert_false(info.agent);
	domxml_info_free(&info);
}

/*
 * The mounts pane's "missing": how the old code asked whether a host
 * folder is shared, by searching the XML text for the source element
 * with the path escaped the one way libvirt usually writes it.
 */
static int
strstr_has_fs(const char *xml, const char *dir)
{
	char esc[256], *o = esc, a[300], b[300];

	for (; *dir != '\0'; dir++) {
		switch (*dir) {
		case '&':
			o = stpcpy(o, "&amp;");
			break;
		case '\'':
			o = stpcpy(o, "&apos;");
			break;
		case '"':
			o = stpcpy(o, "&quot;");
			break;
		case '<':
			o = stpcpy(o, "&lt;");
			break;
		case '>':
			o = stpcpy(o, "&gt;");
			break;
		default:
			*o++ = *dir;
		}
	}
	*o = '\0';
	snprintf(a, sizeof a, "<source dir='%s'/>", esc);
	snprintf(b, sizeof b, "<source dir=\"%s\"/>", esc);
	return strstr(xml, a) != NULL || strstr(xml, b) != NULL;
}

/*
 * A shared folder is found by its unescaped path, however the XML quotes
 * it: & and ' written as character references, a double-quoted value
 * holding a bare ', a space before "/>". A path that only looks like the
 * escaped form, or a <source> that is not a filesystem's, does not count.
 */
static void
test_has_fs_quoting(void **state)
{
	static const char xml[] =
	    "<domain type='qemu'><name>d</name>"
	    "<description>&lt;source dir='/src/old'/&gt;</description>"
	    "<!-- <source dir='/src/gone'/> -->"
	    "<devices>"
	    "<filesystem type='mount'><source dir='/src/a&#38;b'/>"
	    "<target dir='share0'/></filesystem>"
	    "<filesystem type='mount'><source dir=\"/src/it's\" />"
	    "<target dir='share1'/></filesystem>"
	    "<filesystem type='mount'><source dir='/src/x&amp;amp;y'/>"
	    "<target dir='share2'/></filesystem>"
	    "<filesystem type='mount'>"
	    "<source dir='/src/q&quot;&lt;&gt;' accessmode='mapped'/>"
	    "<target dir='share3'/></filesystem>"
	    "<disk type='dir'><source dir='/src/disk'/></disk>"
	    "</devices></domain>";
	struct domxml_info info;

	assert_int_equal(domxml_parse(xml, &info, NULL), 0);
	assert_true(domxml_has_fs(&info, "/src/a&b"));
	assert_true(domxml_has_fs(&info, "/src/it's"));
	assert_true(domxml_has_fs(&info, "/src/x&amp;y"));
	assert_true(domxml_has_fs(&info, "/src/q\"<>"));
	assert_false(domxml_has_fs(&info, "/src/x&y"));
	assert_false(domxml_has_fs(&info, "/src/old"));
	assert_false(domxml_has_fs(&info, "/src/gone"));
	assert_false(domxml_has_fs(&info, "/src/disk"));
	assert_false(domxml_has_fs(&info, "/src/a"));
	domxml_info_free(&info);

	/* The text search got each of these wrong. */
	assert_false(strstr_has_fs(xml, "/src/a&b"));
	assert_false(strstr_has_fs(xml, "/src/it's"));
	assert_false(strstr_has_fs(xml, "/src/q\"<>"));
	assert_true(strstr_has_fs(xml, "/src/old") ||
	            strstr_has_fs(xml, "/src/gone"));
	assert_true(strstr_has_fs(xml, "/src/disk"));
}

/* What libvirt writes for berth's own shares is found too. */
static void
test_has_fs_roundtrip(void **state)
{
	struct domxml_spec s = spec();
	struct domxml_info info;
	char *xml = domxml_build(&s, NULL);

	assert_non_null(xml);
	assert_int_equal(domxml_parse(xml, &info, NULL), 0);
	assert_true(domxml_has_fs(&info, "/home/u/src & <tmp>"));
	assert_true(domxml_has_fs(&info, "/data"));
	assert_false(domxml_has_fs(&info, "/home/u/src"));
	domxml_info_free(&info);
	free(xml);
}

static void
test_parse_garbage(void **state)
{
	struct domxml_info info;
	char *cause = NULL;

	assert_int_equal(domxml_parse("<domain><name>x</nam", &info, &cause),
	                 -1);
	assert_non_null(strstr(cause, "does not parse"));
	assert_null(strchr(cause, '\n'));
	free(cause);
	cause = NULL;
	assert_int_equal(
	    domxml_parse("<network><name>x</name></network>", &info, &cause),
	    -1);
	assert_non_null(strstr(cause, "<domain>"));
	free(cause);
	cause = NULL;
	assert_int_equal(domxml_parse("", &info, &cause), -1);
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_build_has_what_libvirt_needs),
	    cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_image_disks),
	    cmocka_unit_test(test_balloon_reporting),
	    cmocka_unit_test(test_free_page_reporting_versions),
	    cmocka_unit_test(test_hostile_name_is_escaped),
	    cmocka_unit_test(test_build_refuses_bad_spec),
	    cmocka_unit_test(test_parse_foreign),
	    cmocka_unit_test(test_parse_garbage),
	    cmocka_unit_test(test_has_fs_quoting),
	    cmocka_unit_test(test_has_fs_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
