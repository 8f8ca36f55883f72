/*
 * vm-define.c: defining the profile's domain. The profile says what the
 * VM is (CPUs, memory, disk or kernel, shares, the SSH port); this file
 * picks the accelerator and a free port, prepares the disk from an image
 * when the profile names one (backend/image/image-disk.c) and defines the
 * domain from vm-domxml.c's XML. An existing domain is adopted as it is.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "image/image.h"

#include "vm/vm.h"

/* --- defining a domain from the profile ------------------------------- */

/* A free TCP port on 127.0.0.1, 0 if none. */
static int
vm_free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;

	if (fd == -1)
		return 0;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/*
 * Pick the domain type: vm.accel when set, else what the host's domain
 * capabilities offer: hvf on macOS, kvm only when it can work here, else
 * qemu (TCG). /dev/kvm existing is not enough: nested KVM (this host
 * itself a guest) passes libvirt's checks and then hangs early in the
 * guest kernel, so a nested host gets TCG unless vm.accel says kvm.
 * Returns the type the caller frees; *why explains the choice.
 */
char *
vm_pick_accel(struct vm *vm, char **why)
{
	const char *a = vm->profile->vm.accel;
	char *caps;

	if (why != NULL)
		*why = NULL;
	if (vm->is_test)
		return xstrdup("test");
	if (a != NULL && *a != '\0' && strcmp(a, "auto") != 0) {
		if (strcmp(a, "tcg") == 0)
			return xstrdup("qemu");
		return xstrdup(a);
	}
	/* the platform's hypervisor: kvm on Linux, hvf on macOS */
	caps = virConnectGetDomainCapabilities(vm->conn, NULL, NULL, NULL,
	                                       platform_host->accel, 0);
	if (caps != NULL) {
		free(caps);
		if (!platform_host_is_guest())
			return xstrdup(platform_host->accel);
		if (why != NULL)
			*why =
			    xstrdup("this host is itself a virtual machine "
			            "and nested KVM is unreliable; using TCG "
			            "(set vm.accel: kvm to force KVM)");
		return xstrdup("qemu");
	}
	if (why != NULL)
		*why = xstrdup("no hardware acceleration offered by libvirt; "
		               "using TCG (slow)");
	return xstrdup("qemu");
}

/*
 * Whether the balloon may report free pages: libvirt's QEMU driver knows
 * freePageReporting from 6.9.0 and QEMU's virtio-balloon has
 * free-page-reporting from 5.1 (Debian 12: libvirt 9.0, QEMU 7.2). Older
 * ones, and other drivers (test://), get the plain balloon: an attribute
 * they do not know would fail the definition. driver is
 * virConnectGetType's answer, the versions are major * 1000000 + minor *
 * 1000 + release.
 */
int
vm_free_page_reporting(const char *driver, unsigned long libvirt,
                       unsigned long qemu)
{
	return driver != NULL && strcmp(driver, "QEMU") == 0 &&
	       libvirt >= 6009000 && qemu >= 5001000;
}

/* vm_free_page_reporting for this connection. */
static int
vm_conn_free_page_reporting(struct vm *vm)
{
	unsigned long lib = 0, hv = 0;

	if (vm->is_test || virConnectGetLibVersion(vm->conn, &lib) != 0 ||
	    virConnectGetVersion(vm->conn, &hv) != 0)
		return 0;
	return vm_free_page_reporting(virConnectGetType(vm->conn), lib, hv);
}

/*
 * The profile describes a guest berth can define: a kernel, an image, or
 * (with neither) the default cloud image, except on libvirt's test driver,
 * whose fake domains never download anything.
 */
static int
vm_profile_has_guest(const struct vm *vm)
{
	const struct profile *p = vm->profile;

	if (vm->is_test)
		return (p->vm.kernel != NULL && *p->vm.kernel != '\0') ||
		       (p->vm.image != NULL && *p->vm.image != '\0');
	return (p->vm.kernel != NULL && *p->vm.kernel != '\0') ||
	       image_source(p) != NULL;
}

/* The pool a remote libvirt keeps berth's disks in. */
#define VM_REMOTE_POOL "default"

/*
 * The disk on a remote libvirt (a Mac's session daemon over SSH): a file
 * berth made here would not exist there, so the disk is a volume
 * DOMAIN.raw in the remote's storage pool "default", made through libvirt.
 * A session daemon has no such pool until someone makes one; the error
 * says how.
 */
static int
vm_make_remote_disk(struct vm *vm, uint64_t size, char **path, char **cause)
{
	virStoragePoolPtr pool;
	virStorageVolPtr vol;
	char *name, *xml;

	pool = virStoragePoolLookupByName(vm->conn, VM_REMOTE_POOL);
	if (pool == NULL) {
		util_set_cause(cause,
		               "%s has no storage pool '" VM_REMOTE_POOL
		               "' for %s's disk; make one on that host: "
		               "`virsh pool-define-as " VM_REMOTE_POOL
		               " dir --target ~/.local/share/libvirt/images "
		               "&& virsh pool-build " VM_REMOTE_POOL
		               " && virsh pool-start " VM_REMOTE_POOL
		               " && virsh pool-autostart " VM_REMOTE_POOL "`",
		               vm->uri, vm->domain);
		return -1;
	}
	if (virStoragePoolIsActive(pool) != 1 &&
	    virStoragePoolCreate(pool, 0)) {
		util_set_cause(cause,
		               "libvirt: cannot start storage pool '%s': %s",
		               VM_REMOTE_POOL, vm_last_error());
		virStoragePoolFree(pool);
		return -1;
	}
	name = xasprintf("%s.raw", vm->domain);
	vol = virStorageVolLookupByName(pool, name);
	if (vol == NULL) {
		xml =
		    xasprintf("<volume><name>%s</name>"
		              "<capacity unit='bytes'>%llu</capacity>"
		              "<allocation>0</allocation>"
		              "<target><format type='raw'/></target></volume>",
		              name, (unsigned long long)size);
		vol = virStorageVolCreateXML(pool, xml, 0);
		free(xml);
	}
	free(name);
	virStoragePoolFree(pool);
	if (vol == NULL || (*path = virStorageVolGetPath(vol)) == NULL) {
		util_set_cause(cause,
		               "libvirt: cannot make %s's disk on %s: %s",
		               vm->domain, vm->uri, vm_last_error());
		if (vol != NULL)
			virStorageVolFree(vol);
		return -1;
	}
	virStorageVolFree(vol);
	return 0;
}

/*
 * Remove the disk vm_make_remote_disk made for DOMAIN (berth delete); a
 * missing pool or volume is fine. 0, or -1 with libvirt's error in *cause.
 */
int
vm_remote_disk_delete(virConnectPtr conn, const char *domain, char **cause)
{
	virStoragePoolPtr pool;
	virStorageVolPtr vol;
	char *name;
	int r = 0;

	if ((pool = virStoragePoolLookupByName(conn, VM_REMOTE_POOL)) == NULL)
		return 0;
	name = xasprintf("%s.raw", domain);
	vol = virStorageVolLookupByName(pool, name);
	if (vol != NULL && virStorageVolDelete(vol, 0) != 0) {
		util_set_cause(cause, "libvirt: cannot remove volume %s: %s",
		               name, vm_last_error());
		r = -1;
	}
	if (vol != NULL)
		virStorageVolFree(vol);
	free(name);
	virStoragePoolFree(pool);
	virResetLastError();
	return r;
}

/* Make the disk file: a sparse raw file, or a qcow2 overlay of the image. */
static int
vm_make_disk(struct vm *vm, char **path, const char **format, char **cause)
{
	const struct profile *p = vm->profile;
	uint64_t size = p->vm.disk ? p->vm.disk : 20ULL << 30;
	struct stat sb;
	int fd;

	if (vm->is_remote) {
		if (p->vm.kernel == NULL || *p->vm.kernel == '\0') {
			util_set_cause(
			    cause,
			    "profile %s: a remote libvirt (%s) needs "
			    "vm.kernel (and vm.initrd) naming files "
			    "on that host; berth cannot copy an image "
			    "there yet (run berth on that host with "
			    "qemu:///session instead)",
			    p->name, vm->uri);
			return -1;
		}
		*format = "raw";
		return vm_make_remote_disk(vm, size, path, cause);
	}
	if (image_source(p) != NULL) {
		char *data = NULL, *seed = NULL;

		/* image.h: base image (downloaded once), overlay, data disk,
		 * seed; vm_define attaches the last two. */
		*format = "qcow2";
		if (disk_prepare(p, vm->domain, vm->state_dir, NULL, NULL, path,
		                 &data, &seed, NULL, cause) != 0)
			return -1;
		free(data);
		free(seed);
		return 0;
	}
	*path = xasprintf("%s/disk.raw", vm->state_dir);
	*format = "raw";
	if (stat(*path, &sb) == 0)
		return 0;
	fd = open(*path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1 || ftruncate(fd, (off_t)size) != 0) {
		util_set_cause(cause, "%s: %s", *path, strerror(errno));
		if (fd != -1)
			close(fd);
		free(*path);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * Define the profile's domain when it does not exist yet. An existing
 * domain is never touched.
 */
int
vm_define(struct vm *vm, char **cause)
{
	const struct profile *p = vm->profile;
	struct domxml_spec s;
	struct domxml_mount *mounts = NULL;
	char *xml, *disk = NULL, *type, *why = NULL, *log, *kernel = NULL,
	           *initrd = NULL, *data_disk = NULL, *seed = NULL,
	           *seed_url = NULL, *place = NULL, *cmdline = NULL, *t;
	const char *format = NULL, *gp;
	uint64_t hostmem;
	size_t i, n = 0;
	virDomainPtr d;
	int hostcpus;

	if (vm->conn == NULL) {
		util_set_cause(cause, "%s",
		               vm->m.conn_error != NULL
		                   ? vm->m.conn_error
		                   : "libvirt: not connected");
		return -1;
	}
	if (vm_lookup(vm) == 0)
		return 0;
	if (!vm_profile_has_guest(vm)) {
		util_set_cause(cause,
		               "domain %s does not exist on %s, and profile %s "
		               "has no vm.image or vm.kernel to define it from",
		               vm->domain, vm->uri, p->name);
		return -1;
	}
	if (util_mkdir_p(vm->state_dir, 0700, cause) != 0)
		return -1;
	hostcpus = vm->m.host_cpus > 0 ? vm->m.host_cpus : 1;
	hostmem = vm->m.host_memory;

	memset(&s, 0, sizeof s);
	s.name = vm->domain;
	s.profile = p->name;
	type = vm_pick_accel(vm, &why);
	s.type = type;
	s.arch = p->vm.arch != NULL && *p->vm.arch != '\0' ? p->vm.arch
	                                                   : platform_arch();
	s.firmware = platform_firmware(platform_host, s.arch);
	s.vcpus = p->vm.cpus > 0 ? p->vm.cpus : 1;
	s.vcpus_max = p->vm.max_cpus > 0 ? p->vm.max_cpus : hostcpus;
	if (s.vcpus_max < s.vcpus)
		s.vcpus_max = s.vcpus;
	s.memory = p->vm.memory ? p->vm.memory : 2ULL << 30;
	s.memory_max = p->vm.max_memory;
	if (s.memory_max == 0) {
		s.memory_max = s.memory * 2;
		if (hostmem > VM_MEM_MARGIN &&
		    s.memory_max > hostmem - VM_MEM_MARGIN)
			s.memory_max = hostmem - VM_MEM_MARGIN;
	}
	if (s.memory_max < s.memory)
		s.memory_max = s.memory;
	if (p->vm.kernel != NULL && *p->vm.kernel != '\0') {
		kernel = paths_expand_tilde(p->vm.kernel);
		s.kernel = kernel;
		if (p->vm.initrd != NULL && *p->vm.initrd != '\0') {
			initrd = paths_expand_tilde(p->vm.initrd);
			s.initrd = initrd;
		}
		s.cmdline = p->vm.cmdline;
	}
	if (vm_make_disk(vm, &disk, &format, cause) != 0)
		goto fail;
	s.disk = disk;
	s.disk_format = format;
	s.disk_boot = s.kernel == NULL;
	if (vm->is_remote) {
		/* the console log beside the disk, on the remote host */
		t = strrchr(disk, '/');
		log = t != NULL ? xasprintf("%.*s/%s.console.log",
		                            (int)(t - disk), disk, vm->domain)
		                : NULL;
	} else {
		disk_attach(vm->state_dir, &data_disk, &seed);
		s.smbios_serial = seed_url = disk_seed_url(vm->state_dir);
		log = xasprintf("%s/console.log", vm->state_dir);
	}
	s.data_disk = data_disk;
	s.seed = seed;
	s.serial_log = log;
	s.ssh_port = p->vm.ssh_port > 0 ? p->vm.ssh_port : vm_free_port();
	s.free_page_reporting = vm_conn_free_page_reporting(vm);
	if (p->nmounts > 0)
		mounts = xcalloc(p->nmounts, sizeof *mounts);
	for (i = 0; i < p->nmounts; i++) {
		const struct profile_mount *pm = &p->mounts[i];

		if (pm->type == PROFILE_MOUNT_SSHFS ||
		    pm->type == PROFILE_MOUNT_SYNC)
			continue;
		mounts[n].host = pm->host;
		/*
		 * The tag is the guest path where QEMU takes it: the guest
		 * mounts an absolute tag at that path (tests/vm/README.md).
		 * A longer path gets shareN, placed by cloud-init's mount
		 * table or, for a kernel boot, berth.mount=shareN:PATH.
		 */
		gp = pm->guest != NULL && *pm->guest != '\0' ? pm->guest
		                                             : pm->host;
		mounts[n].tag = profile_mount_tag(gp, n);
		if (gp != NULL && gp[0] == '/' &&
		    strcmp(mounts[n].tag, gp) != 0 &&
		    strpbrk(gp, " \t\n") == NULL) {
			t = xasprintf("%s berth.mount=%s:%s",
			              place != NULL ? place : "", mounts[n].tag,
			              gp);
			free(place);
			place = t;
		}
		mounts[n].virtiofs = pm->type == PROFILE_MOUNT_VIRTIOFS;
		mounts[n].readonly = !pm->writable;
		n++;
	}
	s.mounts = mounts;
	s.nmounts = n;
	if (s.kernel != NULL && place != NULL) {
		cmdline = xasprintf("%s%s", s.cmdline != NULL ? s.cmdline : "",
		                    s.cmdline != NULL ? place : place + 1);
		s.cmdline = cmdline;
	}
	xml = domxml_build(&s, cause);
	free(cmdline);
	free(place);
	for (i = 0; i < n; i++)
		free((char *)mounts[i].tag);
	free(mounts);
	free(log);
	if (xml == NULL)
		goto fail;
	d = virDomainDefineXML(vm->conn, xml);
	free(xml);
	if (d == NULL) {
		util_set_cause(cause, "libvirt: cannot define %s: %s",
		               vm->domain, vm_last_error());
		goto fail;
	}
	virDomainFree(d);
	vm_notify(vm, 0, "defined domain %s (%s, %d vCPUs, %s)", vm->domain,
	          domxml_accel_name(type), s.vcpus,
	          s.disk_boot ? "disk boot" : "kernel boot");
	if (why != NULL)
		vm_notify(vm, 1, "%s", why);
	free(why);
	free(type);
	free(disk);
	free(kernel);
	free(initrd);
	free(data_disk);
	free(seed);
	free(seed_url);
	return vm_lookup(vm);
fail:
	free(data_disk);
	free(seed);
	free(seed_url);
	free(why);
	free(type);
	free(disk);
	free(kernel);
	free(initrd);
	return -1;
}
