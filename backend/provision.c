/*
 * provision.c: first boot of a VM made from a cloud image. berth writes a
 * cloud-init NoCloud seed (user-data and meta-data on a volume labelled
 * "cidata", made with xorriso or genisoimage) that the guest reads once:
 * root (or vm.ssh_user) gets the profile's ssh key (forward.c makes it),
 * docker.io and qemu-guest-agent are installed, the data disk (virtio
 * serial "berth-data") is formatted once and mounted on /var/lib/docker
 * before Docker starts, the profile's 9p/virtiofs shares go into fstab at
 * their guest paths, inotify limits are raised, the hostname is the domain
 * name, and the profile's `provision:` scripts run once. An image without
 * cloud-init ignores the seed; berth then treats it as already provisioned
 * (see provision_wait_cloud_init in tui/cmd-create.c's stages).
 */

#include "config.h"

#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forward.h"
#include "image.h"

/* Append printf output to a growing string. */
static void provision_add(char **s, const char *fmt, ...)
    BERTH_PRINTFLIKE(2, 3);

static void
provision_add(char **s, const char *fmt, ...)
{
	va_list ap;
	char *t, *u;

	va_start(ap, fmt);
	if (vasprintf(&t, fmt, ap) == -1)
		t = NULL;
	va_end(ap);
	if (t == NULL)
		abort();
	u = xasprintf("%s%s", *s, t);
	free(*s);
	free(t);
	*s = u;
}

/* A YAML double-quoted scalar for s (caller frees). */
static char *
provision_quote(const char *s)
{
	char *r = xstrdup("\"");
	char one[8];

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			snprintf(one, sizeof one, "\\%c", c);
		else if (c == '\n')
			snprintf(one, sizeof one, "\\n");
		else if (c == '\t')
			snprintf(one, sizeof one, "\\t");
		else if (c < 0x20 || c == 0x7f)
			snprintf(one, sizeof one, "\\x%02x", c);
		else
			snprintf(one, sizeof one, "%c", c);
		provision_add(&r, "%s", one);
	}
	provision_add(&r, "\"");
	return r;
}

/*
 * The #cloud-config user-data for a profile: domain is the hostname,
 * pubkey the public key line (caller frees the result).
 */
char *
provision_user_data(const struct profile *p, const char *domain,
                    const char *pubkey)
{
	const char *user = p->vm.ssh_user != NULL && *p->vm.ssh_user != '\0'
	                       ? p->vm.ssh_user
	                       : "root";
	char *s = xstrdup("#cloud-config\n"), *q, *k = provision_quote(pubkey);
	size_t i, n = 0;

	q = provision_quote(domain);
	provision_add(&s, "hostname: %s\nfqdn: %s\n", q, q);
	free(q);
	provision_add(&s,
	              "disable_root: false\nssh_pwauth: false\n"
	              "ssh_authorized_keys:\n  - %s\n",
	              k);
	if (strcmp(user, "root") != 0) {
		q = provision_quote(user);
		provision_add(&s,
		              "users:\n  - default\n  - name: %s\n"
		              "    groups: [docker]\n"
		              "    sudo: \"ALL=(ALL) NOPASSWD:ALL\"\n"
		              "    shell: /bin/bash\n"
		              "    ssh_authorized_keys:\n      - %s\n",
		              q, k);
		free(q);
	}
	free(k);
	/* The data disk before anything installs Docker onto the root. */
	provision_add(
	    &s, "bootcmd:\n  - [sh, -c, \"d=/dev/disk/by-id/virtio-berth-data; "
	        "[ -e $d ] || exit 0; blkid $d >/dev/null || mkfs.ext4 -q -L "
	        "berth-data $d; mkdir -p /var/lib/docker; mountpoint -q "
	        "/var/lib/docker || mount $d /var/lib/docker\"]\n");
	provision_add(&s, "mounts:\n  - [LABEL=berth-data, /var/lib/docker, "
	                  "ext4, \"defaults,nofail\", \"0\", \"2\"]\n");
	for (i = 0; i < p->nmounts; i++) {
		const struct profile_mount *m = &p->mounts[i];
		const char *g = m->guest != NULL ? m->guest : m->host;
		int vfs = m->type == PROFILE_MOUNT_VIRTIOFS;
		char *tag, *gq;

		if (m->type == PROFILE_MOUNT_SSHFS)
			continue;
		/* vm_define's tags: the guest path, else shareN. */
		if (g != NULL && g[0] == '/' && strlen(g) < 200)
			tag = provision_quote(g);
		else
			tag = xasprintf("share%zu", n);
		n++;
		gq = provision_quote(g);
		provision_add(&s, "  - [%s, %s, %s, \"%s%s\", \"0\", \"0\"]\n",
		              tag, gq, vfs ? "virtiofs" : "9p",
		              vfs ? "nofail"
		                  : "trans=virtio,version=9p2000.L,"
		                    "msize=262144,nofail",
		              m->writable ? "" : ",ro");
		free(gq);
		free(tag);
	}
	provision_add(&s,
	              "write_files:\n  - path: /etc/sysctl.d/90-berth.conf\n"
	              "    content: |\n"
	              "      fs.inotify.max_user_watches = 524288\n"
	              "      fs.inotify.max_user_instances = 8192\n"
	              "      fs.inotify.max_queued_events = 1048576\n");
	provision_add(&s, "package_update: true\npackages:\n  - docker.io\n"
	                  "  - qemu-guest-agent\n");
	provision_add(&s, "runcmd:\n  - [sysctl, --system]\n"
	                  "  - [sh, -c, \"mount -a || true\"]\n"
	                  "  - [systemctl, enable, --now, qemu-guest-agent]\n"
	                  "  - [systemctl, enable, --now, docker]\n");
	if (strcmp(user, "root") != 0) {
		q = provision_quote(user);
		provision_add(&s, "  - [usermod, -aG, docker, %s]\n", q);
		free(q);
	}
	for (i = 0; i < p->nprovision; i++) {
		q = provision_quote(p->provision[i]);
		provision_add(&s, "  - [sh, -c, %s]\n", q);
		free(q);
	}
	return s;
}

/* meta-data: instance-id (stable for this create) and the hostname. */
char *
provision_meta_data(const struct profile *p, const char *domain)
{
	char *q = provision_quote(domain), *r;

	(void)p;
	r = xasprintf("instance-id: berth-%s-%llu\nlocal-hostname: %s\n",
	              domain, (unsigned long long)(util_now_ms() / 1000), q);
	free(q);
	return r;
}

/* xorriso or genisoimage when one is on PATH, else NULL. */
const char *
provision_iso_tool(void)
{
	static const char *const tools[] = {"xorriso", "genisoimage",
	                                    "mkisofs"};
	const char *path = getenv("PATH");
	size_t i;

	if (path == NULL)
		path = "/usr/bin:/bin";
	for (i = 0; i < sizeof tools / sizeof tools[0]; i++) {
		char *dirs = xstrdup(path), *d, *save = NULL;
		int found = 0;

		for (d = strtok_r(dirs, ":", &save); d != NULL && !found;
		     d = strtok_r(NULL, ":", &save)) {
			char *f = xasprintf("%s/%s", d, tools[i]);

			found = access(f, X_OK) == 0;
			free(f);
		}
		free(dirs);
		if (found)
			return tools[i];
	}
	return NULL;
}

/*
 * Write <state_dir>/seed/{user-data,meta-data} and, with an ISO tool,
 * <state_dir>/seed.iso (labelled cidata). *iso gets the ISO path, or NULL
 * when no tool exists (the caller says so; the seed directory stays for
 * an HTTP data source). Returns -1 with *cause on failure.
 */
int
provision_seed(const struct profile *p, const char *domain,
               const char *state_dir, char **iso, char **cause)
{
	char *dir = xasprintf("%s/seed", state_dir), *key = NULL, *pubf, *pub,
	     *ud, *md, *udf, *mdf, *out;
	const char *tool;
	int r = -1;

	*iso = NULL;
	if (util_mkdir_p(dir, 0700, cause) != 0 ||
	    forward_ensure_key(state_dir, p->name, &key, NULL, cause) != 0) {
		free(dir);
		return -1;
	}
	pubf = xasprintf("%s.pub", key);
	free(key);
	pub = util_read_file(pubf, NULL, cause);
	free(pubf);
	if (pub == NULL) {
		free(dir);
		return -1;
	}
	pub[strcspn(pub, "\r\n")] = '\0';
	ud = provision_user_data(p, domain, pub);
	md = provision_meta_data(p, domain);
	free(pub);
	udf = xasprintf("%s/user-data", dir);
	mdf = xasprintf("%s/meta-data", dir);
	if (util_write_file_atomic(udf, ud, strlen(ud), 0600, 0, cause) != 0 ||
	    util_write_file_atomic(mdf, md, strlen(md), 0600, 0, cause) != 0)
		goto out;
	if ((tool = provision_iso_tool()) == NULL) {
		r = 0;
		goto out;
	}
	out = xasprintf("%s/seed.iso", state_dir);
	{
		char *tmp = xasprintf("%s.tmp", out);
		char *argv[16];
		int n = 0;

		argv[n++] = (char *)tool;
		if (strcmp(tool, "xorriso") == 0) {
			argv[n++] = (char *)"-as";
			argv[n++] = (char *)"genisoimage";
		}
		argv[n++] = (char *)"-quiet";
		argv[n++] = (char *)"-output";
		argv[n++] = tmp;
		argv[n++] = (char *)"-volid";
		argv[n++] = (char *)"cidata";
		argv[n++] = (char *)"-joliet";
		argv[n++] = (char *)"-rock";
		argv[n++] = udf;
		argv[n++] = mdf;
		argv[n] = NULL;
		unlink(tmp);
		if (disk_run(argv, cause) == 0 && rename(tmp, out) == 0) {
			*iso = out;
			out = NULL;
			r = 0;
		} else {
			if (cause != NULL && *cause == NULL)
				util_set_cause(cause, "rename %s failed", tmp);
			unlink(tmp);
		}
		free(tmp);
		free(out);
	}
out:
	free(ud);
	free(md);
	free(udf);
	free(mdf);
	free(dir);
	return r;
}
