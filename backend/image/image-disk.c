/*
 * image-disk.c: a VM's disks. The system disk is a qcow2 overlay on the cached
 * base image (image.c), so the base stays pristine and one download
 * serves every profile; the data disk (vm.disk, a qcow2 of its own) holds
 * the guest's /var/lib/docker and survives `berth delete` unless --data.
 * Each is made under a temporary name and renamed, so an interrupted
 * create leaves no half-made disk behind. qemu-img runs through the
 * process runner (proc.c): an argv, never a shell.
 */

#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/image.h"

/* qcow2 or raw, from the file's magic. */
int
disk_format_of(const char *path, const char **fmt, char **cause)
{
	unsigned char m[4];
	int fd;
	ssize_t n;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		util_set_cause(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	n = read(fd, m, sizeof m);
	close(fd);
	*fmt = n == 4 && memcmp(m, "QFI\xfb", 4) == 0 ? "qcow2" : "raw";
	return 0;
}

/* Make path with qemu-img under path.tmp, then rename. */
static int
disk_make(char **argv, int tmp_at, const char *path, char **cause)
{
	char *tmp = xasprintf("%s.tmp", path);
	struct proc pr = {.argv = argv};
	int r;

	unlink(tmp);
	argv[tmp_at] = tmp;
	r = proc_run(&pr, cause);
	proc_free(&pr);
	if (r == 0 && rename(tmp, path) != 0) {
		util_set_cause(cause, "rename %s: %s", tmp, strerror(errno));
		r = -1;
	}
	if (r != 0)
		unlink(tmp);
	free(tmp);
	return r;
}

/* A qcow2 overlay at path on base (qcow2 or raw), as large as the base,
 * or size bytes when larger (0 = the base's size). */
int
disk_create_overlay(const char *base, const char *path, uint64_t size,
                    char **cause)
{
	const char *fmt;
	char *argv[12], sz[32];
	int n = 0;

	if (disk_format_of(base, &fmt, cause) != 0)
		return -1;
	argv[n++] = (char *)"qemu-img";
	argv[n++] = (char *)"create";
	argv[n++] = (char *)"-q";
	argv[n++] = (char *)"-f";
	argv[n++] = (char *)"qcow2";
	argv[n++] = (char *)"-F";
	argv[n++] = (char *)fmt;
	argv[n++] = (char *)"-b";
	argv[n++] = (char *)base;
	argv[n++] = NULL; /* the .tmp name */
	if (size > 0) {
		snprintf(sz, sizeof sz, "%llu", (unsigned long long)size);
		argv[n++] = sz;
	}
	argv[n] = NULL;
	return disk_make(argv, 9, path, cause);
}

/* An empty qcow2 of size bytes (sparse: costs nothing until written). */
int
disk_create_data(const char *path, uint64_t size, char **cause)
{
	char *argv[8], sz[32];

	snprintf(sz, sizeof sz, "%llu", (unsigned long long)size);
	argv[0] = (char *)"qemu-img";
	argv[1] = (char *)"create";
	argv[2] = (char *)"-q";
	argv[3] = (char *)"-f";
	argv[4] = (char *)"qcow2";
	argv[5] = NULL;
	argv[6] = sz;
	argv[7] = NULL;
	return disk_make(argv, 5, path, cause);
}

/* <state>/disk.qcow2 and <state>/data.qcow2 (caller frees). */
char *
disk_system_path(const char *state_dir)
{
	return xasprintf("%s/disk.qcow2", state_dir);
}

char *
disk_data_path(const char *state_dir)
{
	return xasprintf("%s/data.qcow2", state_dir);
}

/*
 * Everything a VM made from an image needs before it is defined: resolve
 * (maybe download) the base image, make whichever disk is missing, and
 * write the cloud-init seed (image-provision.c) when there is none. Existing
 * disks are kept as they are. *sys, *data and *seed get the paths (*seed
 * NULL when no ISO tool exists), *note a remark for the user; each is
 * caller-freed. domain is the hostname the seed gives the guest.
 */
int
disk_prepare(const struct profile *p, const char *domain, const char *state_dir,
             image_progress_cb cb, void *arg, char **sys, char **data,
             char **seed, char **note, char **cause)
{
	char *base = NULL, *iso;
	uint64_t size = p->vm.disk ? p->vm.disk : 20ULL << 30;

	*sys = *data = *seed = NULL;
	if (note != NULL)
		*note = NULL;
	if (util_mkdir_p(state_dir, 0700, cause) != 0)
		return -1;
	*sys = disk_system_path(state_dir);
	*data = disk_data_path(state_dir);
	iso = xasprintf("%s/seed.iso", state_dir);
	if (access(*sys, F_OK) != 0) {
		base = image_resolve(p, cb, arg, note, cause);
		if (base == NULL ||
		    disk_create_overlay(base, *sys, 0, cause) != 0)
			goto fail;
		free(base);
		base = NULL;
	}
	if (access(*data, F_OK) != 0 &&
	    disk_create_data(*data, size, cause) != 0)
		goto fail;
	if (access(iso, F_OK) == 0) {
		*seed = iso;
		return 0;
	}
	free(iso);
	iso = NULL;
	if (provision_seed(p, domain, state_dir, seed, cause) == 0)
		return 0;
fail:
	free(iso);
	free(base);
	free(*sys);
	free(*data);
	*sys = *data = NULL;
	return -1;
}

/* The data disk and seed of a state dir, each NULL when not there
 * (vm_define attaches what exists; caller frees). */
void
disk_attach(const char *state_dir, char **data, char **seed)
{
	*data = disk_data_path(state_dir);
	*seed = xasprintf("%s/seed.iso", state_dir);
	if (access(*data, F_OK) != 0) {
		free(*data);
		*data = NULL;
	}
	if (access(*seed, F_OK) != 0) {
		free(*seed);
		*seed = NULL;
	}
}

/*
 * The SMBIOS serial that points cloud-init at the seed served over HTTP
 * (provision_serve), when the seed has no ISO: "ds=nocloud;s=URL/" with
 * slirp's address of the host. NULL when there is no such seed; caller
 * frees.
 */
char *
disk_seed_url(const char *state_dir)
{
	char *f = xasprintf("%s/seed-port", state_dir), *s, *iso;
	long port;

	s = util_read_file(f, NULL, NULL);
	free(f);
	iso = xasprintf("%s/seed.iso", state_dir);
	port = s != NULL ? strtol(s, NULL, 10) : 0;
	free(s);
	if (port <= 0 || port > 65535 || access(iso, F_OK) == 0) {
		free(iso);
		return NULL;
	}
	free(iso);
	return xasprintf("ds=nocloud;s=http://10.0.2.2:%ld/", port);
}

/*
 * Remove what a VM's state dir holds for its disks: the system overlay,
 * the seed, and with data the data disk. Missing files are fine.
 */
int
disk_remove(const char *state_dir, int data, char **cause)
{
	static const char *const files[] = {
	    "disk.qcow2",     "disk.raw",  "seed.iso",  "disk.qcow2.tmp",
	    "data.qcow2.tmp", "seed-port", "first-boot"};
	size_t i;
	char *f;

	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		f = xasprintf("%s/%s", state_dir, files[i]);
		if (unlink(f) != 0 && errno != ENOENT) {
			util_set_cause(cause, "%s: %s", f, strerror(errno));
			free(f);
			return -1;
		}
		free(f);
	}
	if (data) {
		static const char *const keys[] = {"ssh/id_ed25519",
		                                   "ssh/id_ed25519.pub"};

		f = disk_data_path(state_dir);
		if (unlink(f) != 0 && errno != ENOENT) {
			util_set_cause(cause, "%s: %s", f, strerror(errno));
			free(f);
			return -1;
		}
		free(f);
		/* Everything goes with the data: the profile's ssh key too
		 * (the next create makes a new one and seeds it). */
		for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
			f = xasprintf("%s/%s", state_dir, keys[i]);
			if (unlink(f) != 0 && errno != ENOENT) {
				util_set_cause(cause, "%s: %s", f,
				               strerror(errno));
				free(f);
				return -1;
			}
			free(f);
		}
		f = xasprintf("%s/ssh", state_dir);
		rmdir(f); /* only when nothing else is in it */
		free(f);
	}
	return 0;
}
