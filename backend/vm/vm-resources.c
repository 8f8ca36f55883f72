/*
 * vm-resources.c: changing CPUs, memory and disk size. A change is applied
 * live when libvirt allows, always to the persistent definition, and saved
 * to the profile file (keeping its comments).
 */

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "vm/vm.h"

#define VM_MEM_MIN (128ULL << 20)

/* How long the guest may take to grow its filesystem (TCG is slow). */
#define VM_GROW_BUDGET_MS 120000

static int vm_profile_differs(struct vm *, const char *, long, uint64_t);

/* The guest command runner (vm_set_guest_exec), NULL when none. */
static vm_guest_exec_cb vm_guest_exec;

/*
 * The guest side of growing a disk's filesystem, run by `sh -c` with "DEV
 * BYTES" as $1: find what is mounted from the disk (itself or its last
 * mounted partition; a disk the guest does not see, or nothing mounted
 * from it, is nothing to grow), wait until the guest sees the new size,
 * grow the partition (growpart; 1 is "already as big") and then the
 * filesystem, and print the mount point and the KiB free there (awk would
 * print bytes in %g notation). Each failure says what and exits non-zero.
 * Only /proc, /sys and POSIX tools, so a busybox guest runs it too.
 */
static const char vm_grow_script[] =
    "set -- $1\n"
    "dev=$(readlink -f \"$1\") && [ -b \"$dev\" ] || exit 0\n"
    "want=$2\n"
    "set -- $(awk -v d=\"$dev\" 'index($1, d) == 1 { l = $1 \" \" $2 \" \" $3 }"
    " END { print l }' /proc/mounts)\n"
    "[ $# -eq 3 ] || exit 0\n"
    "part=$1 mnt=$2 fstype=$3\n"
    "i=0\n"
    "while [ $(($(cat \"/sys/class/block/${dev##*/}/size\") * 512)) -lt"
    " \"$want\" ]; do\n"
    "\ti=$((i + 1))\n"
    "\t[ $i -le 50 ] || { echo \"$dev still has its old size\"; exit 4; }\n"
    "\tsleep 0.2\n"
    "done\n"
    "if [ -e \"/sys/class/block/${part##*/}/partition\" ]; then\n"
    "\tn=$(cat \"/sys/class/block/${part##*/}/partition\")\n"
    "\tgrowpart \"$dev\" \"$n\" >/dev/null 2>&1; r=$?\n"
    "\t[ $r -le 1 ] || { echo \"growpart $dev $n failed ($r)\"; exit 6; }\n"
    "fi\n"
    "case $fstype in\n"
    "ext2 | ext3 | ext4) resize2fs \"$part\" >/dev/null 2>&1 ||"
    " { echo \"resize2fs $part failed\"; exit 7; } ;;\n"
    "xfs) xfs_growfs \"$mnt\" >/dev/null 2>&1 ||"
    " { echo \"xfs_growfs $mnt failed\"; exit 7; } ;;\n"
    "btrfs) btrfs filesystem resize max \"$mnt\" >/dev/null 2>&1 ||"
    " { echo \"btrfs resize $mnt failed\"; exit 7; } ;;\n"
    "*) echo \"cannot grow a $fstype filesystem\"; exit 8 ;;\n"
    "esac\n"
    "echo \"$mnt $(df -P -k \"$mnt\" | awk 'NR == 2 { print $4 }')\"\n";

/*
 * Set how vm_set runs a command in the guest (the engine and the CLI hand
 * over the mounts subsystem's agent runner: vm/ cannot call mounts/).
 */
void
vm_set_guest_exec(vm_guest_exec_cb cb)
{
	vm_guest_exec = cb;
}

/*
 * After a live resize of disk d to bytes, grow the guest's partition and
 * filesystem on it through the guest agent. Never fails the change (the
 * disk did grow): says how it went, or the command to run by hand.
 */
static void
vm_grow_guest_fs(struct vm *vm, const struct domxml_disk *d, int data,
                 uint64_t bytes)
{
	char *arg, *out = NULL, *cause = NULL, *free_s, *mnt, *end;
	unsigned long long avail;
	int code = -1, r;

	if (vm->is_test || d->target == NULL ||
	    strspn(d->target, "abcdefghijklmnopqrstuvwxyz0123456789") !=
	        strlen(d->target))
		return;
	if (vm_guest_exec == NULL) {
		vm_notify(
		    vm, 1,
		    "grow the filesystem in the guest: growpart and "
		    "resize2fs (or reboot: cloud images grow it at boot)");
		return;
	}
	arg = data ? xasprintf("/dev/disk/by-id/virtio-berth-data %llu",
	                       (unsigned long long)bytes)
	           : xasprintf("/dev/%s %llu", d->target,
	                       (unsigned long long)bytes);
	r = vm_guest_exec(vm->dom, vm_grow_script, arg, NULL, 0,
	                  VM_GROW_BUDGET_MS, &out, &code, &cause);
	free(arg);
	if (r == 0 && code == 0 && (out == NULL || *out == '\0'))
		; /* nothing mounted from the disk: nothing to grow */
	else if (r == 0 && code == 0 &&
	         (mnt = strtok_r(out, " \n", &end)) != NULL &&
	         sscanf(end, "%llu", &avail) == 1) {
		free_s = units_format_size((uint64_t)avail * 1024);
		mnt = util_sanitize_dup(mnt, strlen(mnt));
		vm_notify(vm, 0, "grew the guest's filesystem on %s: %s free",
		          mnt, free_s);
		free(mnt);
		free(free_s);
	} else {
		char *why = r != 0 ? cause
		            : out != NULL
		                ? util_sanitize_dup(out, strcspn(out, "\n"))
		                : NULL;

		vm_notify(vm, 1,
		          "the disk grew, its filesystem in the guest did "
		          "not (%s): run growpart and resize2fs there, or "
		          "reboot",
		          why != NULL && *why != '\0' ? why : "no answer");
		if (why != cause)
			free(why);
	}
	free(out);
	free(cause);
	vm->facts_at = 0; /* the free space the pane shows changed */
}

/* --- resources -------------------------------------------------------- */

/* Save an accepted change in the profile file, keeping its comments. */
static int
vm_persist(struct vm *vm, const char *key, const char *value, char **cause)
{
	char *err = NULL;

	const struct profile *p = vm->profile;
	int r;

	if (p->path == NULL)
		return 0; /* built-in defaults: nothing to edit */
	/* A shipped profile is copied to the user's directory first. */
	r = profile_save(p, key, value, &err);
	if (r != 0) {
		util_set_cause(
		    cause, "applied, but could not save %s in %s: %s", key,
		    vm->profile->path, err != NULL ? err : "unknown error");
		free(err);
		return -1;
	}
	return 0;
}

static int
vm_set_cpus(struct vm *vm, int n, enum vm_set_result *res, char **cause)
{
	int host = vm->m.host_cpus, cfgmax, cfgcur, cur, livemax, i;
	int live = vm_is_live(vm->m.state);
	unsigned int flags;
	char list[32];

	if (n < 1 || (host > 0 && n > host)) {
		util_set_cause(cause,
		               "%d vCPUs is out of range: this host allows "
		               "1-%d",
		               n, host > 0 ? host : 1);
		return -1;
	}
	cfgmax = virDomainGetVcpusFlags(vm->dom, VIR_DOMAIN_AFFECT_CONFIG |
	                                             VIR_DOMAIN_VCPU_MAXIMUM);
	cfgcur = virDomainGetVcpusFlags(vm->dom, VIR_DOMAIN_AFFECT_CONFIG);
	cur = live ? virDomainGetVcpusFlags(vm->dom, VIR_DOMAIN_AFFECT_LIVE)
	           : cfgcur;
	livemax =
	    live ? virDomainGetVcpusFlags(vm->dom, VIR_DOMAIN_AFFECT_LIVE |
	                                               VIR_DOMAIN_VCPU_MAXIMUM)
	         : cfgmax;
	if (cfgmax < 0 || cfgcur < 0 || cur < 0 || livemax < 0) {
		util_set_cause(cause, "libvirt: %s", vm_last_error());
		return -1;
	}
	if (n > cfgmax &&
	    virDomainSetVcpusFlags(vm->dom, (unsigned int)n,
	                           VIR_DOMAIN_AFFECT_CONFIG |
	                               VIR_DOMAIN_VCPU_MAXIMUM) != 0) {
		util_set_cause(cause,
		               "libvirt: cannot raise the vCPU maximum: %s",
		               vm_last_error());
		return -1;
	}
	if (virDomainSetVcpusFlags(vm->dom, (unsigned int)n,
	                           VIR_DOMAIN_AFFECT_CONFIG) != 0) {
		util_set_cause(cause, "libvirt: cannot set vCPUs: %s",
		               vm_last_error());
		return -1;
	}
	vm->info_dirty = 1;
	if (!live) {
		*res = VM_SET_LIVE;
		return 0;
	}
	/*
	 * As many as run now: unchanged only if no other count was pending
	 * for the next boot; otherwise this cancelled it.
	 */
	if (n == cur) {
		*res = n == cfgcur ? VM_SET_SAME : VM_SET_LIVE;
		return 0;
	}
	/* Hot-unplug times out in libvirt and leaves stale counts. */
	if (n < cur || n > livemax) {
		*res = VM_SET_RESTART;
		return 0;
	}
	flags = VIR_DOMAIN_AFFECT_LIVE;
	if (virDomainSetVcpusFlags(vm->dom, (unsigned int)n, flags) != 0) {
		vm_notify(vm, 1,
		          "live vCPU change failed (%s); applies on "
		          "restart",
		          vm_last_error());
		*res = VM_SET_RESTART;
		return 0;
	}
	/*
	 * Without udev the new CPUs stay offline: online them through the
	 * agent. The guest needs a moment to see a new CPU, so retry
	 * briefly; a guest without an agent keeps them offline (noted).
	 */
	if (!vm->is_test) {
		snprintf(list, sizeof list, "%d-%d", cur, n - 1);
		for (i = 0; i < 15; i++) {
			if (virDomainSetGuestVcpus(vm->dom, list, 1, 0) == 0)
				break;
			usleep(200000);
		}
		if (i == 15)
			vm_notify(vm, 1,
			          "vCPUs %s added but not onlined in the guest "
			          "(no guest agent?): %s",
			          list, vm_last_error());
	}
	*res = VM_SET_LIVE;
	return 0;
}

static int
vm_set_memory(struct vm *vm, uint64_t bytes, enum vm_set_result *res,
              char **cause)
{
	uint64_t host = vm->m.host_memory, limit;
	unsigned long kib = (unsigned long)(bytes >> 10), livemax;
	int live = vm_is_live(vm->m.state);
	char *a, *b, *c;

	limit = host > VM_MEM_MARGIN * 2 ? host - VM_MEM_MARGIN : host;
	if (bytes < VM_MEM_MIN || (host > 0 && bytes > limit)) {
		a = units_format_size(bytes);
		b = units_format_size(limit);
		c = units_format_size(host);
		util_set_cause(cause,
		               "memory %s is out of range: this host allows "
		               "128MiB-%s (%s total minus a 512MiB margin)",
		               a, b, c);
		free(a);
		free(b);
		free(c);
		return -1;
	}
	vm_read_info(vm);
	if (vm->have_info && bytes > vm->info.memory_max &&
	    virDomainSetMemoryFlags(vm->dom, kib,
	                            VIR_DOMAIN_AFFECT_CONFIG |
	                                VIR_DOMAIN_MEM_MAXIMUM) != 0) {
		util_set_cause(cause,
		               "libvirt: cannot raise the memory maximum: %s",
		               vm_last_error());
		return -1;
	}
	if (virDomainSetMemoryFlags(vm->dom, kib, VIR_DOMAIN_AFFECT_CONFIG) !=
	    0) {
		util_set_cause(cause, "libvirt: cannot set memory: %s",
		               vm_last_error());
		return -1;
	}
	vm->info_dirty = 1;
	if (!live) {
		*res = VM_SET_LIVE;
		return 0;
	}
	livemax = virDomainGetMaxMemory(vm->dom);
	if (livemax == 0 || kib > livemax) {
		*res = VM_SET_RESTART;
		return 0;
	}
	if (virDomainSetMemoryFlags(vm->dom, kib, VIR_DOMAIN_AFFECT_LIVE) !=
	    0) {
		vm_notify(vm, 1,
		          "balloon change failed (%s); applies on restart",
		          vm_last_error());
		*res = VM_SET_RESTART;
		return 0;
	}
	*res = VM_SET_LIVE;
	return 0;
}

static int
vm_set_disk(struct vm *vm, uint64_t bytes, enum vm_set_result *res,
            char **cause)
{
	const struct domxml_disk *d;
	uint64_t cur;
	char *a, *b;
	int i;

	vm_read_info(vm);
	if (!vm->have_info || (i = vm_main_disk(&vm->info)) < 0) {
		util_set_cause(cause, "%s has no disk to resize", vm->domain);
		return -1;
	}
	d = &vm->info.disks[i];
	vm_refresh(vm, 0, NULL);
	cur = vm->m.disk_capacity;
	if (cur == 0) {
		util_set_cause(cause, "cannot read the size of %s's disk %s",
		               vm->domain, d->target != NULL ? d->target : "?");
		return -1;
	}
	if (bytes < cur) {
		a = units_format_size(cur);
		b = units_format_size(bytes);
		util_set_cause(cause,
		               "disks only grow: %s's disk is %s, %s would "
		               "shrink it (nothing changed)",
		               vm->domain, a, b);
		free(a);
		free(b);
		return -1;
	}
	if (bytes == cur) {
		*res = VM_SET_SAME;
		return 0;
	}
	if (vm_is_live(vm->m.state)) {
		if (virDomainBlockResize(vm->dom, d->target, bytes,
		                         VIR_DOMAIN_BLOCK_RESIZE_BYTES) != 0) {
			util_set_cause(cause, "libvirt: cannot grow %s: %s",
			               d->target, vm_last_error());
			return -1;
		}
		if (vm->m.state == MODEL_VM_RUNNING)
			vm_grow_guest_fs(vm, d, vm_disk_is_data(&vm->info, i),
			                 bytes);
	} else if (d->source == NULL) {
		util_set_cause(cause, "%s's disk is not a file berth can grow",
		               vm->domain);
		return -1;
	} else if (vm->is_remote) {
		/* the file is on the other host: its pool grows it */
		virStorageVolPtr vol =
		    virStorageVolLookupByPath(vm->conn, d->source);
		int r = vol != NULL ? virStorageVolResize(vol, bytes, 0) : -1;

		if (vol != NULL)
			virStorageVolFree(vol);
		if (r != 0) {
			util_set_cause(cause, "libvirt: cannot grow %s: %s",
			               d->source, vm_last_error());
			return -1;
		}
	} else if (d->format != NULL && strcmp(d->format, "qcow2") == 0) {
		char *sz = xasprintf("%llu", (unsigned long long)bytes);
		char *argv[] = {"qemu-img", "resize",  "-q", "-f",
		                "qcow2",    d->source, sz,   NULL};
		/* never the terminal: qemu-img wrote over the dashboard */
		struct proc pr = {.argv = argv};
		int r = proc_run(&pr, cause);

		proc_free(&pr);
		free(sz);
		if (r != 0)
			return -1;
	} else if (truncate(d->source, (off_t)bytes) != 0) {
		util_set_cause(cause, "%s: %s", d->source, strerror(errno));
		return -1;
	}
	*res = VM_SET_LIVE;
	return 0;
}

/*
 * Parse a resource value as a user typed it (key cpus|memory|disk): the
 * vCPU count or the bytes, the profile key and the canonical text (caller
 * frees). Returns 0, or -1 and a cause when the value cannot be one: a
 * usage error, found before anything is asked of libvirt.
 */
int
vm_set_parse(const char *key, const char *value, long *n, uint64_t *bytes,
             const char **pkey, char **canon, char **cause)
{
	char *end, *err = NULL;

	*n = 0;
	*bytes = 0;
	if (strcmp(key, "cpus") == 0) {
		errno = 0;
		*n = strtol(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0' || *n < 1 ||
		    *n > 1024) {
			util_set_cause(
			    cause, "--cpus: '%s' is not a vCPU count", value);
			return -1;
		}
		*pkey = "vm.cpus";
		*canon = xasprintf("%ld", *n);
	} else if (strcmp(key, "memory") == 0 || strcmp(key, "disk") == 0) {
		if (units_parse_size(value, bytes, &err) != 0) {
			util_set_cause(cause, "--%s: %s", key,
			               err != NULL ? err : "bad size");
			free(err);
			return -1;
		}
		*pkey = strcmp(key, "memory") == 0 ? "vm.memory" : "vm.disk";
		*canon = units_format_size_exact(*bytes);
	} else {
		util_set_cause(cause,
		               "unknown resource '%s' (cpus, memory, "
		               "disk)",
		               key);
		return -1;
	}
	return 0;
}

/*
 * Change a resource (key cpus|memory|disk, value as a user typed it):
 * validate everything first, then apply live when libvirt allows, always
 * for the next boot, and save it to the profile. *res says how it landed.
 */
int
vm_set(struct vm *vm, const char *key, const char *value,
       enum vm_set_result *res, char **cause)
{
	uint64_t bytes = 0;
	long n = 0;
	char *canon;
	const char *pkey;
	int r;

	*res = VM_SET_SAME;
	if (vm_set_parse(key, value, &n, &bytes, &pkey, &canon, cause) != 0)
		return -1;
	if (vm->lock_fd == -1 && vm_lock_wait(vm, "set", 0, cause) != 0) {
		free(canon);
		return -1;
	}
	if (vm->conn == NULL) {
		util_set_cause(cause, "%s",
		               vm->m.conn_error != NULL
		                   ? vm->m.conn_error
		                   : "libvirt: not connected");
		free(canon);
		return -1;
	}
	if (vm_lookup(vm) != 0) {
		/* No domain yet: the profile decides at definition. */
		if (strcmp(key, "cpus") == 0 && vm->m.host_cpus > 0 &&
		    n > vm->m.host_cpus) {
			util_set_cause(cause,
			               "%ld vCPUs is out of range: this host "
			               "allows 1-%d",
			               n, vm->m.host_cpus);
			free(canon);
			return -1;
		}
		r = vm_persist(vm, pkey, canon, cause);
		*res = VM_SET_RESTART;
		free(canon);
		return r;
	}
	vm_refresh(vm, 0, NULL);
	if (strcmp(key, "cpus") == 0)
		r = vm_set_cpus(vm, (int)n, res, cause);
	else if (strcmp(key, "memory") == 0)
		r = vm_set_memory(vm, bytes, res, cause);
	else
		r = vm_set_disk(vm, bytes, res, cause);
	/*
	 * The domain may already be as asked while the profile says
	 * otherwise (a change saved, then undone): save it all the same, or
	 * the next definition from the profile brings the old value back.
	 */
	if (r == 0 &&
	    (*res != VM_SET_SAME || vm_profile_differs(vm, key, n, bytes))) {
		r = vm_persist(vm, pkey, canon, cause);
		if (*res == VM_SET_SAME)
			*res = VM_SET_LIVE;
	}
	free(canon);
	vm_refresh(vm, 0, NULL);
	return r;
}

/*
 * Whether the profile file, as it is on disk now (the loaded copy may
 * predate a save), has another value for key than n / bytes. A file that
 * cannot be read counts as different: saving it says why.
 */
static int
vm_profile_differs(struct vm *vm, const char *key, long n, uint64_t bytes)
{
	const struct profile *cur = vm->profile;
	struct profile *p;
	char *cause = NULL;
	int differs;

	if (cur->path == NULL)
		return 0; /* built-in defaults: nothing to edit */
	if ((p = profile_open(cur->path, &cause)) == NULL) {
		free(cause);
		return 1;
	}
	if (strcmp(key, "cpus") == 0)
		differs = p->vm.cpus != n;
	else if (strcmp(key, "memory") == 0)
		differs = p->vm.memory != bytes;
	else
		differs = p->vm.disk != bytes;
	profile_free(p);
	return differs;
}
