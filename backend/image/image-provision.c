/*
 * image-provision.c: first boot of a VM made from a cloud image. berth writes a
 * cloud-init NoCloud seed (user-data and meta-data on a volume labelled
 * "cidata", made with xorriso or genisoimage) that the guest reads once:
 * root (or vm.ssh_user) gets the profile's ssh key (socket-ssh.c makes it),
 * docker.io and qemu-guest-agent are installed, the data disk (virtio
 * serial "berth-data") is formatted once and mounted on /var/lib/docker
 * before Docker starts, the profile's 9p/virtiofs shares go into fstab at
 * their guest paths, inotify limits are raised, the hostname is the domain
 * name, and the profile's `provision:` scripts run once. An image without
 * cloud-init ignores the seed; berth then treats it as already provisioned
 * (image-create.c's provisioning stage). With no ISO tool on the host the seed
 * is served over HTTP on 127.0.0.1 while the VM first boots, and the
 * domain's SMBIOS serial says ds=nocloud;s=http://10.0.2.2:PORT/ (slirp's
 * address of the host).
 */

#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "socket/socket.h"
#include "image/image.h"

struct provision_server {
	int fd;
	int wake[2];
	char *dir;
	pthread_t thread;
	int hits; /* files served */
};

static int provision_pick_port(const char *, char **);

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
 * The guest side of provisioning, run by cloud-init at every boot (from
 * /var/lib/cloud/scripts/per-boot, so a boot after a failed try goes on
 * where it stopped, and a boot after a good one finds every step done and
 * skips it in a second). Each step is named in /run/berth-provision.step
 * and in cloud-init-output.log, so the host can say which one failed; a
 * failed step exits non-zero, which makes cloud-init's status "error" at
 * once instead of leaving the host waiting. Docker is Debian's docker.io:
 * it comes from the archive the image already trusts and is reached
 * through the same mirror (or the apt proxy a profile sets), with Debian's
 * security updates; Docker's own repository would need a third-party key
 * and another host. --no-install-recommends keeps git, perl and
 * needrestart out; apparmor is named because Debian's kernels enable
 * AppArmor and runc cannot start a container there without it. The data
 * disk's filesystem grows to a disk made bigger while the VM was off
 * (`berth set --disk`; the root's is cloud-init's growpart), and
 * fstrim.timer (daily, by the drop-in in the user-data) hands the blocks
 * of deleted images back to the host through the disks' discard=unmap.
 */
static const char provision_script[] =
    "st=/run/berth-provision.step\n"
    "say() { echo \"berth-provision: $*\"; }\n"
    "step() { echo \"$1\" >$st; say \"step: $1\"; }\n"
    "fail() { echo \"failed: $1\" >$st; say \"FAILED: $1\"; exit 1; }\n"
    "have() { dpkg-query -W -f '${Status}' \"$1\" 2>/dev/null |"
    " grep -q 'ok installed'; }\n"
    "export DEBIAN_FRONTEND=noninteractive\n"
    "step sysctl\n"
    "sysctl -q --system >/dev/null 2>&1 || say 'sysctl: some keys failed'\n"
    "step mounts\n"
    "mount -a || say 'mount -a: some mounts failed (nofail)'\n"
    "step 'disk space'\n"
    "d=/dev/disk/by-id/virtio-berth-data\n"
    "if [ -e $d ] && mountpoint -q /var/lib/docker; then\n"
    "\tresize2fs $d >/dev/null 2>&1 || say 'resize2fs: data disk not "
    "grown'\n"
    "fi\n"
    "systemctl enable --now fstrim.timer >/dev/null 2>&1 ||"
    " say 'fstrim.timer did not start'\n"
    "need=\n"
    "for p in docker.io apparmor qemu-guest-agent; do\n"
    "\thave $p || need=\"$need $p\"\n"
    "done\n"
    "if [ -n \"$need\" ]; then\n"
    "\tstep 'apt-get update'\n"
    "\tapt-get -q update || { sleep 5; apt-get -q update; } ||"
    " fail 'apt-get update'\n"
    "\tstep \"apt-get install$need\"\n"
    "\tapt-get -q -y --no-install-recommends"
    " -o Dpkg::Options::=--force-confold install $need ||"
    " fail \"apt-get install$need\"\n"
    "fi\n"
    "step qemu-guest-agent\n"
    "systemctl start qemu-guest-agent || say 'qemu-guest-agent did not "
    "start'\n"
    "if [ -n \"${BERTH_USER:-}\" ] && ! id -nG \"$BERTH_USER\" |"
    " grep -qw docker; then\n"
    "\tstep \"docker group for $BERTH_USER\"\n"
    "\tusermod -aG docker \"$BERTH_USER\" || fail \"usermod $BERTH_USER\"\n"
    "fi\n"
    "step 'start docker'\n"
    "systemctl enable --now docker.socket docker.service ||"
    " fail 'start docker'\n"
    "step 'wait for dockerd'\n"
    "i=0\n"
    "until docker info >/dev/null 2>&1; do\n"
    "\ti=$((i + 1))\n"
    "\t[ $i -lt 120 ] || fail 'dockerd did not answer docker info in 120 "
    "s'\n"
    "\tsleep 1\n"
    "done\n"
    "echo ready >$st\n"
    "say 'Docker ready'\n";

/*
 * berth's daemon.json: containers' logs rotate (json-file, which `docker
 * logs` and berth's log view read), so a chatty container cannot fill the
 * data disk.
 */
static const char provision_daemon_json[] =
    "{\n"
    "  \"log-driver\": \"json-file\",\n"
    "  \"log-opts\": {\"max-size\": \"10m\", \"max-file\": \"3\"}\n"
    "}\n";

/* Append s as the lines of a YAML literal block indented by six spaces. */
static void
provision_add_block(char **out, const char *s)
{
	const char *e;

	while (*s != '\0') {
		e = strchr(s, '\n');
		if (e == NULL)
			e = s + strlen(s);
		provision_add(out, "      %.*s\n", (int)(e - s), s);
		s = *e == '\n' ? e + 1 : e;
	}
}

/*
 * The #cloud-config user-data for a profile: domain is the hostname,
 * pubkey the public key line (caller frees the result). Everything that
 * installs or starts something is in provision_script, run at every boot;
 * cloud-init's own modules only write files, keys and fstab lines.
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
	/* No locale: berth needs none, and cloud-init's default runs
	 * locale-gen, which an image without the locales package (like the
	 * test's look-alike) lacks: the module fails and cloud-init's
	 * status says error. */
	provision_add(&s, "locale: false\n");
	provision_add(&s,
	              "disable_root: false\nssh_pwauth: false\n"
	              "ssh_authorized_keys:\n  - %s\n",
	              k);
	if (strcmp(user, "root") != 0) {
		/* No groups: [docker] here: cloud-init would make the group
		 * before docker.io's postinst, whose addgroup --system then
		 * fails on a non-system group of that name. */
		q = provision_quote(user);
		provision_add(&s,
		              "users:\n  - default\n  - name: %s\n"
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
		const char *g =
		    m->guest != NULL && *m->guest != '\0' ? m->guest : m->host;
		int vfs = m->type == PROFILE_MOUNT_VIRTIOFS;
		char *tag, *tq, *gq;

		if (m->type == PROFILE_MOUNT_SSHFS ||
		    m->type == PROFILE_MOUNT_SYNC)
			continue;
		tag = profile_mount_tag(g, n++);
		tq = provision_quote(tag);
		gq = provision_quote(g);
		provision_add(&s, "  - [%s, %s, %s, \"%s%s\", \"0\", \"0\"]\n",
		              tq, gq, vfs ? "virtiofs" : "9p",
		              vfs ? "nofail"
		                  : "trans=virtio,version=9p2000.L,"
		                    "msize=262144,nofail",
		              m->writable ? "" : ",ro");
		free(gq);
		free(tq);
		free(tag);
	}
	provision_add(&s,
	              "write_files:\n  - path: /etc/sysctl.d/90-berth.conf\n"
	              "    content: |\n"
	              "      fs.inotify.max_user_watches = 524288\n"
	              "      fs.inotify.max_user_instances = 8192\n"
	              "      fs.inotify.max_queued_events = 1048576\n");
	provision_add(&s, "  - path: /etc/systemd/system/fstrim.timer.d/"
	                  "berth.conf\n"
	                  "    content: |\n"
	                  "      [Timer]\n"
	                  "      OnCalendar=\n"
	                  "      OnCalendar=daily\n");
	provision_add(&s, "  - path: /etc/docker/daemon.json\n"
	                  "    content: |\n");
	provision_add_block(&s, provision_daemon_json);
	provision_add(&s, "  - path: /var/lib/cloud/scripts/per-boot/"
	                  "berth-provision\n"
	                  "    permissions: \"0755\"\n"
	                  "    content: |\n");
	provision_add(&s, "      #!/bin/sh\n"
	                  "      # berth-provision: from berth's user-data\n");
	/* A user name is letters, digits, '.', '_' and '-' (else cloud-init
	 * could not make it either), so it needs no quoting here. */
	if (strcmp(user, "root") != 0 &&
	    strspn(user, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                 "0123456789._-") == strlen(user))
		provision_add(&s, "      BERTH_USER=%s\n", user);
	provision_add_block(&s, provision_script);
	/* The profile's own scripts: once, after the first boot's Docker. */
	if (p->nprovision > 0)
		provision_add(&s, "runcmd:\n");
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

/*
 * The first of the platform's seed ISO tools on PATH (xorriso,
 * genisoimage, mkisofs; hdiutil on macOS), else NULL.
 */
const char *
provision_iso_tool(void)
{
	const char *const *tools = platform_host->iso_tools;
	const char *path = getenv("PATH");
	size_t i;

	if (path == NULL)
		path = "/usr/bin:/bin";
	for (i = 0; tools[i] != NULL; i++) {
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
	    ssh_ensure_key(state_dir, p->name, &key, NULL, cause) != 0) {
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
		r = provision_pick_port(state_dir, cause);
		goto out;
	}
	out = xasprintf("%s/seed.iso", state_dir);
	{
		char *tmp = xasprintf("%s.tmp", out);
		const char *files[] = {udf, mdf, NULL};
		char **argv = platform_iso_argv(tool, tmp, dir, files);
		struct proc pr = {.argv = argv};

		unlink(tmp);
		r = proc_run(&pr, cause);
		proc_free(&pr);
		free(argv);
		if (r == 0 && rename(tmp, out) == 0) {
			*iso = out;
			out = NULL;
			r = 0;
		} else {
			r = -1;
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

/* Choose the loopback port the seed will be served on; <state>/seed-port. */
static int
provision_pick_port(const char *state_dir, char **cause)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	char *f, buf[16];
	int fd, r;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		util_set_cause(cause, "socket: %s", strerror(errno));
		return -1;
	}
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
		util_set_cause(cause, "bind 127.0.0.1: %s", strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	snprintf(buf, sizeof buf, "%u\n", (unsigned)ntohs(sa.sin_port));
	f = xasprintf("%s/seed-port", state_dir);
	r = util_write_file_atomic(f, buf, strlen(buf), 0600, 0, cause);
	free(f);
	return r;
}

/* Answer one request: GET of meta-data, user-data or vendor-data. */
static void
provision_answer(struct provision_server *ps, int c)
{
	static const char *const files[] = {"meta-data", "user-data",
	                                    "vendor-data"};
	char req[1024], *body = NULL, *head, *f;
	const char *status = "404 Not Found";
	struct pollfd pfd = {c, POLLIN, 0};
	size_t len = 0, i, blen = 0;
	ssize_t n;

	while (len < sizeof req - 1 && poll(&pfd, 1, 5000) == 1) {
		n = read(c, req + len, sizeof req - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		req[len] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL ||
		    strstr(req, "\n\n") != NULL)
			break;
	}
	req[len] = '\0';
	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		char *want = xasprintf("GET /%s ", files[i]);

		if (strncmp(req, want, strlen(want)) == 0) {
			f = xasprintf("%s/%s", ps->dir, files[i]);
			body = util_read_file(f, &blen, NULL);
			free(f);
			if (body == NULL) { /* vendor-data: none is fine */
				body = xstrdup("");
				blen = 0;
			}
			status = "200 OK";
			ps->hits++;
		}
		free(want);
	}
	head = xasprintf("HTTP/1.0 %s\r\nContent-Type: text/plain\r\n"
	                 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
	                 status, blen);
	if (write(c, head, strlen(head)) >= 0 && blen > 0 &&
	    write(c, body, blen) < 0)
		errno = 0;
	free(head);
	free(body);
}

static void *
provision_loop(void *arg)
{
	struct provision_server *ps = arg;
	struct pollfd pfd[2];
	int c;

	for (;;) {
		pfd[0].fd = ps->fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = ps->wake[0];
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents != 0)
			break;
		if ((pfd[0].revents & POLLIN) == 0)
			continue;
		if ((c = accept4(ps->fd, NULL, NULL, SOCK_CLOEXEC)) == -1)
			continue;
		provision_answer(ps, c);
		close(c);
	}
	return NULL;
}

/*
 * Serve <state>/seed/ on 127.0.0.1:<state>/seed-port from a thread, for a
 * guest whose SMBIOS serial points there. Returns NULL with *cause when
 * the port cannot be had; stop with provision_serve_stop.
 */
struct provision_server *
provision_serve(const char *state_dir, char **cause)
{
	struct provision_server *ps;
	struct sockaddr_in sa;
	char *f = xasprintf("%s/seed-port", state_dir), *s;
	long port;
	int one = 1;

	s = util_read_file(f, NULL, cause);
	free(f);
	if (s == NULL)
		return NULL;
	port = strtol(s, NULL, 10);
	free(s);
	ps = xcalloc(1, sizeof *ps);
	ps->dir = xasprintf("%s/seed", state_dir);
	ps->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (ps->fd != -1)
		setsockopt(ps->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (ps->fd == -1 || port <= 0 || port > 65535 ||
	    bind(ps->fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    listen(ps->fd, 8) != 0 || pipe2(ps->wake, O_CLOEXEC) != 0) {
		util_set_cause(cause,
		               "cannot serve the cloud-init seed on "
		               "127.0.0.1:%ld: %s",
		               port, strerror(errno));
		if (ps->fd != -1)
			close(ps->fd);
		free(ps->dir);
		free(ps);
		return NULL;
	}
	if (pthread_create(&ps->thread, NULL, provision_loop, ps) != 0) {
		util_set_cause(cause, "cannot start the seed server thread");
		close(ps->fd);
		close(ps->wake[0]);
		close(ps->wake[1]);
		free(ps->dir);
		free(ps);
		return NULL;
	}
	return ps;
}

/* How many seed files the guest fetched so far. */
int
provision_serve_hits(const struct provision_server *ps)
{
	return ps != NULL ? ps->hits : 0;
}

void
provision_serve_stop(struct provision_server *ps)
{
	if (ps == NULL)
		return;
	if (write(ps->wake[1], "x", 1) < 0)
		errno = 0;
	pthread_join(ps->thread, NULL);
	close(ps->fd);
	close(ps->wake[0]);
	close(ps->wake[1]);
	free(ps->dir);
	free(ps);
}
