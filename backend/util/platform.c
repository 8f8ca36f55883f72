/*
 * platform.c: the two host systems described as data, and the pure logic
 * over a description: the seed ISO tool's argv, the unix socket path
 * limit. Which description is this host's is platform-linux.c's or
 * platform-darwin.c's business (platform_host); the tests read both.
 */

#include "config.h"

#include <string.h>
#include <unistd.h>

#include "util/util.h"

static const char *const platform_linux_iso[] = {"xorriso", "genisoimage",
                                                 "mkisofs", NULL};
/* a Mac has hdiutil; xorriso (Homebrew) first when it is there */
static const char *const platform_darwin_iso[] = {"xorriso", "genisoimage",
                                                  "mkisofs", "hdiutil", NULL};

const struct platform platform_linux = {
    .name = "Linux",
    .accel = "kvm",
    .watch = "inotify",
    .iso_tools = platform_linux_iso,
    .libvirt_uri = "qemu:///system",
    .libvirt_socket = NULL,
    .sun_path_max = 108,
    .packages = "apt-get",
    .aarch64_firmware = "/usr/share/AAVMF/AAVMF_CODE.fd",
};

/*
 * Homebrew's libvirt runs as the user (brew services start libvirt), a
 * session daemon whose socket is under Homebrew's prefix: /opt/homebrew
 * on Apple silicon, /usr/local on Intel Macs. Its QEMU ships the UEFI
 * firmware of aarch64 guests in its share folder.
 */
const struct platform platform_darwin = {
    .name = "Darwin",
    .accel = "hvf",
    .watch = "fsevents",
    .iso_tools = platform_darwin_iso,
    .libvirt_uri = "qemu:///session",
#if defined(__x86_64__)
    .libvirt_socket = "/usr/local/var/run/libvirt/libvirt-sock",
    .aarch64_firmware = "/usr/local/share/qemu/edk2-aarch64-code.fd",
#else
    .libvirt_socket = "/opt/homebrew/var/run/libvirt/libvirt-sock",
    .aarch64_firmware = "/opt/homebrew/share/qemu/edk2-aarch64-code.fd",
#endif
    .sun_path_max = 104,
    .packages = "brew",
};

/*
 * The argv that makes a cloud-init seed ISO (volume cidata) at out with
 * tool: from the folder dir for hdiutil, which takes a folder, else from
 * the files (NULL-terminated). The caller frees the array, not the
 * strings (the arguments' or static).
 */
char **
platform_iso_argv(const char *tool, const char *out, const char *dir,
                  const char *const *files)
{
	char **argv;
	size_t n = 0, nf = 0;

	while (files[nf] != NULL)
		nf++;
	argv = xcalloc(nf + 16, sizeof *argv);
	argv[n++] = (char *)tool;
	if (strcmp(tool, "hdiutil") == 0) {
		argv[n++] = (char *)"makehybrid";
		argv[n++] = (char *)"-quiet";
		argv[n++] = (char *)"-iso";
		argv[n++] = (char *)"-joliet";
		argv[n++] = (char *)"-default-volume-name";
		argv[n++] = (char *)"cidata";
		argv[n++] = (char *)"-o";
		argv[n++] = (char *)out;
		argv[n++] = (char *)dir;
		argv[n] = NULL;
		return argv;
	}
	if (strcmp(tool, "xorriso") == 0) {
		argv[n++] = (char *)"-as";
		argv[n++] = (char *)"genisoimage";
	}
	argv[n++] = (char *)"-quiet";
	argv[n++] = (char *)"-output";
	argv[n++] = (char *)out;
	argv[n++] = (char *)"-volid";
	argv[n++] = (char *)"cidata";
	argv[n++] = (char *)"-joliet";
	argv[n++] = (char *)"-rock";
	while (*files != NULL)
		argv[n++] = (char *)*files++;
	argv[n] = NULL;
	return argv;
}

/*
 * Whether path fits in a unix socket address on p (104 bytes on macOS,
 * 108 on Linux, the NUL included). Returns -1 with *cause saying how to
 * shorten it.
 */
int
platform_socket_path_check(const struct platform *p, const char *path,
                           char **cause)
{
	if (strlen(path) < p->sun_path_max)
		return 0;
	util_set_cause(cause,
	               "socket path %s is %zu bytes, over this platform's "
	               "unix socket limit of %zu; set a shorter BERTH_HOME "
	               "(e.g. BERTH_HOME=~/.berth) or docker.socket",
	               path, strlen(path), p->sun_path_max - 1);
	return -1;
}

/*
 * This build's architecture as libvirt spells it: the default vm.arch
 * (aarch64 on Apple silicon, x86_64 on a PC).
 */
const char *
platform_arch(void)
{
#if defined(__aarch64__)
	return "aarch64";
#else
	return "x86_64"; /* also what profiles and images default to */
#endif
}

/*
 * The UEFI firmware for a guest of arch on p when the file is there
 * (aarch64 only: x86 guests boot with SeaBIOS), else NULL: the domain
 * then asks libvirt for any EFI firmware.
 */
const char *
platform_firmware(const struct platform *p, const char *arch)
{
	if (arch == NULL || strcmp(arch, "aarch64") != 0 ||
	    p->aarch64_firmware == NULL ||
	    access(p->aarch64_firmware, R_OK) != 0)
		return NULL;
	return p->aarch64_firmware;
}
