/*
 * docker-guest.c: container figures when Docker runs in the guest. The
 * cgroup reader of docker-stats.c needs the daemon's cgroup files; in
 * the guest they are out of reach, and the stats API costs the guest's
 * daemon several milliseconds of CPU per container per refresh.
 *
 * So a small reader runs in the guest: one awk process, started once
 * over ssh (the forward's control master when it is up, so no new
 * login), kept open, and asked for all the containers of a refresh in
 * one request line. It answers with the raw files the parser reads
 * (cgroup v1 or v2, cgroupfs or systemd layout, /proc/PID/net/dev of
 * each container's init, the first line of /proc/stat), nothing
 * computed: docker_cgroup_sample reads them from the parsed dump through
 * a docker_cgfs, so the local and the guest figures share one parser.
 * awk forks nothing and reads each file with one open; an idle reader
 * costs nothing. Its answer is untrusted: its size is capped, each
 * record checked, and anything else is ignored.
 *
 * Protocol (lines): berth sends "Q SEQ ID...", each ID bare for the
 * list's figures or "+ID" for all of them; the reader answers
 * "B SEQ", then per file "F PATH" and its lines each prefixed with ".",
 * then "E SEQ".
 */

#include "config.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "docker/docker.h"
#include "socket/socket.h"

struct docker_guest {
	char *state_dir, *ctl_path, *key, *known_hosts, *alias, *user, *host;
	int port;
	pid_t pid;
	int in_fd, out_fd;
	char *buf; /* the answer so far */
	size_t len, size;
	unsigned seq;
	int busy;         /* a request is out */
	uint64_t sent_ms; /* when it went */
	uint64_t retry_at;
	int fails; /* failures since the last answer */
	struct docker_guest_dump dump;
	struct docker_cgroup cg;
};

static int guest_dump_read(const struct docker_cgfs *, const char *, char *,
                           size_t);
static int guest_dump_exists(const struct docker_cgfs *, const char *);
static void guest_stop(struct docker_guest *);

/*
 * The reader (mawk, gawk and busybox awk). dump(path, mode) prints a file
 * as "F path" and ".line"s; mode 1 keeps the first line only, mode 2 only
 * memory.stat's inactive_file lines (the rest is 40 lines nobody reads).
 * The answer goes out in one printf of one string: mawk -W interactive
 * writes each printf, and each piece of one, as it comes, and every write was
 * an ssh channel packet for the guest's sshd to encrypt (55 writes a request at
 * 50 containers; the sshd relaying them cost the TCG guest 14-31 % of a
 * CPU, bench/README.md). A container's files are gathered in O first so
 * that A grows once a container, not once a line.
 * net(d) keeps each container's init PID (PID[d]) and reads its
 * /proc/PID/net/dev straight away, saying the PID as cgroup.procs would:
 * one file fewer of eight a container and refresh. When the PID is gone
 * (the container stopped or restarted) cgroup.procs is read again, and
 * every 16th request forgets them all, which bounds both a reused PID's
 * wrong figures and the array.
 * No single quote in here: it travels inside one on ssh's command line.
 */
static const char guest_awk[] =
    "function dump(p, mode,  l, n) {\n"
    "  n = 0; FIRST = \"\"\n"
    "  while ((getline l < p) > 0) {\n"
    "    if (n++ == 0) { O = O \"F \" p \"\\n\"; FIRST = l }\n"
    "    if (mode == 2 && l !~ /^(total_)?inactive_file /) continue\n"
    "    O = O \".\" l \"\\n\"\n"
    "    if (mode == 1) break\n"
    "  }\n"
    "  close(p); return n\n"
    "}\n"
    "function net(d,  p) {\n"
    "  p = PID[d]\n"
    "  if (p != \"\" && dump(\"/proc/\" p \"/net/dev\", 0)) {\n"
    "    O = O \"F \" d \"/cgroup.procs\\n.\" p \"\\n\"; return\n"
    "  }\n"
    "  if (dump(d \"/cgroup.procs\", 1) && FIRST ~ /^[0-9]+$/) {\n"
    "    PID[d] = FIRST; dump(\"/proc/\" FIRST \"/net/dev\", 0)\n"
    "  } else delete PID[d]\n"
    "}\n"
    "function v2(id, full,  d, i) {\n"
    "  for (i = 0; i < 2; i++) {\n"
    "    d = i ? R \"/system.slice/docker-\" id \".scope\" : R \"/docker/\" "
    "id\n"
    "    if (!dump(d \"/cpu.stat\", 0)) continue\n"
    "    dump(d \"/memory.current\", 1); dump(d \"/memory.stat\", 2)\n"
    "    if (!full) return\n"
    "    dump(d \"/memory.max\", 1); dump(d \"/io.stat\", 0)\n"
    "    dump(d \"/pids.current\", 1); net(d); return\n"
    "  }\n"
    "}\n"
    "function v1(id, full,  c, d, i, k) {\n"
    "  for (c = 1; c <= (full ? 5 : 3); c++) for (i = 0; i < 2; i++) {\n"
    "    d = R \"/\" C[c] (i ? \"/system.slice/docker-\" id \".scope\" : "
    "\"/docker/\" id)\n"
    "    if (c <= 2 && dump(d \"/cpuacct.usage\", 1)) { c = 2; break }\n"
    "    if (c == 3 && dump(d \"/memory.usage_in_bytes\", 1)) {\n"
    "      dump(d \"/memory.stat\", 2); if (!full) break\n"
    "      dump(d \"/memory.limit_in_bytes\", 1); net(d); break\n"
    "    }\n"
    "    if (c == 4 && "
    "dump(d \"/blkio.throttle.io_service_bytes_recursive\", 0)) break\n"
    "    if (c == 5 && dump(d \"/pids.current\", 1)) break\n"
    "  }\n"
    "}\n"
    "BEGIN { R = \"/sys/fs/cgroup\"; split(\"cpuacct cpu,cpuacct memory "
    "blkio pids\", C, \" \") }\n"
    "$1 == \"Q\" && $2 ~ /^[0-9]+$/ {\n"
    "  if (++q % 16 == 0) split(\"\", PID)\n"
    "  O = \"B \" $2 \"\\n\"\n"
    "  dump(\"/proc/stat\", 1); dump(\"/proc/meminfo\", 1)\n"
    "  dump(\"/sys/devices/system/cpu/online\", 1)\n"
    "  two = dump(R \"/cgroup.controllers\", 1)\n"
    "  if (!two) dump(R \"/memory/memory.usage_in_bytes\", 1)\n"
    "  for (f = 3; f <= NF; f++) if ($f ~ /^[+]?[0-9a-f]+$/) {\n"
    "    full = $f ~ /^[+]/; id = full ? substr($f, 2) : $f\n"
    "    if (two) v2(id, full); else v1(id, full)\n"
    "    A = A O; O = \"\"\n"
    "  }\n"
    "  A = A O \"E \" $2 \"\\n\"; printf \"%s\", A; A = O = \"\"; fflush()\n"
    "}\n";

/*
 * The guest's shell command that runs the reader. mawk fills its whole
 * input buffer before it looks at a line unless told -W interactive
 * (which also writes unbuffered: the program prints a container at a
 * time); other awks read a pipe as it comes.
 */
static const char guest_sh[] =
    "LC_ALL=C; export LC_ALL; P='%s'; "
    "case $(awk -W version 2>&1 </dev/null) in *mawk*) "
    "exec awk -W interactive \"$P\";; esac; exec awk \"$P\"";

/* The reader's program (the unit test and the benchmark run it). */
const char *
docker_guest_script(void)
{
	return guest_awk;
}

/* The command line that starts it in the guest (caller frees). */
char *
docker_guest_command(void)
{
	return xasprintf(guest_sh, guest_awk);
}

/* ---- the dump: the answer's files, sorted by path -------------------- */

void
docker_guest_dump_init(struct docker_guest_dump *dm)
{
	memset(dm, 0, sizeof *dm);
	dm->fs.read = guest_dump_read;
	dm->fs.exists = guest_dump_exists;
}

void
docker_guest_dump_clear(struct docker_guest_dump *dm)
{
	size_t i;

	for (i = 0; i < dm->nfiles; i++) {
		free(dm->files[i].path);
		free(dm->files[i].data);
	}
	free(dm->files);
	dm->files = NULL;
	dm->nfiles = 0;
}

static int
guest_file_cmp(const void *a, const void *b)
{
	const struct docker_guest_file *fa = a, *fb = b;

	return strcmp(fa->path, fb->path);
}

/* A path the reader may name: absolute, printable, no "..", not long. */
static int
guest_path_ok(const char *p, size_t len)
{
	size_t i;

	if (len == 0 || len >= 400 || p[0] != '/')
		return 0;
	for (i = 0; i < len; i++) {
		if ((unsigned char)p[i] <= ' ' || (unsigned char)p[i] >= 0x7f)
			return 0;
		if (p[i] == '.' && i + 1 < len && p[i + 1] == '.')
			return 0;
	}
	return 1;
}

/*
 * Parse an answer (len bytes, need not be NUL-terminated) into dm, whose
 * files it replaces. Lines other than records are ignored; a file past
 * DOCKER_GUEST_MAX_FILE bytes is cut; past DOCKER_GUEST_MAX_FILES files
 * the rest are dropped. -1 with a cause when it is no answer at all.
 */
int
docker_guest_parse(struct docker_guest_dump *dm, const char *buf, size_t len,
                   char **cause)
{
	struct docker_guest_file *cur = NULL;
	size_t pos = 0, alloc = 0, n;
	const char *line, *nl;
	int begun = 0, ended = 0;

	docker_guest_dump_clear(dm);
	while (pos < len) {
		line = buf + pos;
		nl = memchr(line, '\n', len - pos);
		n = nl != NULL ? (size_t)(nl - line) : len - pos;
		pos += n + (nl != NULL);
		if (n >= 2 && line[0] == 'B' && line[1] == ' ')
			begun = 1;
		else if (n >= 2 && line[0] == 'E' && line[1] == ' ') {
			ended = 1;
			break;
		} else if (n >= 2 && line[0] == 'F' && line[1] == ' ') {
			cur = NULL;
			if (!guest_path_ok(line + 2, n - 2) ||
			    dm->nfiles >= DOCKER_GUEST_MAX_FILES)
				continue;
			if (dm->nfiles == alloc) {
				alloc = alloc == 0 ? 64 : alloc * 2;
				dm->files = xreallocarray(dm->files, alloc,
				                          sizeof *dm->files);
			}
			cur = &dm->files[dm->nfiles++];
			cur->path = xstrndup(line + 2, n - 2);
			cur->data = xstrdup("");
			cur->len = 0;
		} else if (n >= 1 && line[0] == '.' && cur != NULL) {
			size_t add = n - 1;

			if (cur->len + add + 1 > DOCKER_GUEST_MAX_FILE)
				add = DOCKER_GUEST_MAX_FILE - 1 - cur->len;
			cur->data =
			    xreallocarray(cur->data, cur->len + add + 2, 1);
			memcpy(cur->data + cur->len, line + 1, add);
			cur->len += add;
			if (cur->len + 1 < DOCKER_GUEST_MAX_FILE)
				cur->data[cur->len++] = '\n';
			cur->data[cur->len] = '\0';
		}
	}
	if (!begun || !ended) {
		docker_guest_dump_clear(dm);
		util_set_cause(cause, "the guest's stats reader gave %s",
		               begun ? "a cut answer" : "no answer");
		return -1;
	}
	if (dm->nfiles > 0)
		qsort(dm->files, dm->nfiles, sizeof *dm->files, guest_file_cmp);
	return 0;
}

/* The first file whose path is not below key, by binary search. */
static size_t
guest_lower_bound(const struct docker_guest_dump *dm, const char *key)
{
	size_t lo = 0, hi = dm->nfiles, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(dm->files[mid].path, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
guest_dump_read(const struct docker_cgfs *fs, const char *path, char *buf,
                size_t size)
{
	const struct docker_guest_dump *dm = (const void *)fs;
	size_t i = guest_lower_bound(dm, path), n;

	if (size == 0 || i >= dm->nfiles ||
	    strcmp(dm->files[i].path, path) != 0)
		return -1;
	n = dm->files[i].len < size - 1 ? dm->files[i].len : size - 1;
	memcpy(buf, dm->files[i].data, n);
	buf[n] = '\0';
	return 0;
}

/* A file, or a directory some file of the dump is below. */
static int
guest_dump_exists(const struct docker_cgfs *fs, const char *path)
{
	const struct docker_guest_dump *dm = (const void *)fs;
	char dir[512];
	size_t i, len;

	i = guest_lower_bound(dm, path);
	if (i < dm->nfiles && strcmp(dm->files[i].path, path) == 0)
		return 1;
	len = (size_t)snprintf(dir, sizeof dir, "%s/", path);
	if (len >= sizeof dir)
		return 0;
	i = guest_lower_bound(dm, dir);
	return i < dm->nfiles && strncmp(dm->files[i].path, dir, len) == 0;
}

/* ---- the reader: one ssh, kept open ---------------------------------- */

/*
 * The reader of a profile whose Docker socket berth forwards over ssh,
 * or NULL for another profile. The ssh is started at the first request.
 */
struct docker_guest *
docker_guest_new(const struct profile *p)
{
	struct docker_guest *g;
	char *cause = NULL, *dir;

	if (p == NULL || p->docker.forward != PROFILE_FORWARD_SSH)
		return NULL;
	if ((dir = supervisor_state_dir(p->name, &cause)) == NULL) {
		free(cause);
		return NULL;
	}
	g = xcalloc(1, sizeof *g);
	g->state_dir = dir;
	g->ctl_path = xasprintf("%s/ctl.sock", dir);
	g->key = xasprintf("%s/ssh/id_ed25519", dir);
	g->known_hosts = xasprintf("%s/ssh/known_hosts", dir);
	g->alias = xasprintf("berth-%s", p->name);
	g->user = xstrdup(p->vm.ssh_user != NULL ? p->vm.ssh_user : "root");
	/* As the forward finds its host (socket-forward.c, forward_new). */
	if (p->docker.ssh_host != NULL || p->docker.ssh_port > 0) {
		g->host =
		    xstrdup(p->docker.ssh_host != NULL ? p->docker.ssh_host
		                                       : "127.0.0.1");
		g->port = p->docker.ssh_port > 0 ? p->docker.ssh_port : 22;
	} else {
		g->host = xstrdup("127.0.0.1");
		g->port = p->vm.ssh_port > 0 ? p->vm.ssh_port : 22;
	}
	g->pid = 0;
	g->in_fd = g->out_fd = -1;
	docker_guest_dump_init(&g->dump);
	return g;
}

void
docker_guest_free(struct docker_guest *g)
{
	if (g == NULL)
		return;
	guest_stop(g);
	docker_guest_dump_clear(&g->dump);
	docker_cgroup_clear(&g->cg);
	free(g->state_dir);
	free(g->ctl_path);
	free(g->key);
	free(g->known_hosts);
	free(g->alias);
	free(g->user);
	free(g->host);
	free(g->buf);
	free(g);
}

/* End the ssh (and with it the reader) and forget any answer under way. */
static void
guest_stop(struct docker_guest *g)
{
	if (g->in_fd != -1)
		close(g->in_fd);
	if (g->out_fd != -1)
		close(g->out_fd);
	g->in_fd = g->out_fd = -1;
	if (g->pid > 0) {
		kill(g->pid, SIGTERM);
		while (waitpid(g->pid, NULL, 0) == -1 && errno == EINTR)
			;
	}
	g->pid = 0;
	g->busy = 0;
	g->len = 0;
}

/*
 * The reader failed: the next refresh starts another (a restarted
 * forward takes its sessions with it); a second failure in a row gives
 * the guest up for a while, and the API serves until the retry.
 */
static int
guest_fail(struct docker_guest *g, char **cause, const char *why)
{
	guest_stop(g);
	if (++g->fails >= 2)
		g->retry_at = util_mono_ms() + DOCKER_GUEST_RETRY_MS;
	util_set_cause(cause, "%s", why);
	return -1;
}

/* Can a request go now (not backing off after a failure)? */
int
docker_guest_usable(struct docker_guest *g)
{
	return g != NULL && util_mono_ms() >= g->retry_at;
}

/* Leave the guest alone for a while (it finds nothing to read). */
void
docker_guest_pause(struct docker_guest *g)
{
	guest_stop(g);
	g->retry_at = util_mono_ms() + DOCKER_GUEST_RETRY_MS;
}

int
docker_guest_busy(const struct docker_guest *g)
{
	return g != NULL && g->busy;
}

static int
guest_start(struct docker_guest *g, char **cause)
{
	char *argv[64], *own[2], *port, *cmd, *ctl;
	int n;
	pid_t pid;

	/*
	 * Only through the forward's own connection and key: without them
	 * there is no guest to ask yet (and no ssh-keygen here).
	 */
	if (access(g->key, R_OK) != 0 || access(g->ctl_path, F_OK) != 0) {
		util_set_cause(cause, "the guest's ssh connection is not up");
		return -1;
	}
	port = xasprintf("%d", g->port);
	ctl = xasprintf("ControlPath=%s", g->ctl_path);
	cmd = docker_guest_command();
	n = ssh_args(argv, g->key, g->known_hosts, g->alias, port, g->user,
	             own);
	/* Join the forward's connection when it is up: no new login. */
	argv[n++] = (char *)"-o";
	argv[n++] = (char *)"ControlMaster=no";
	argv[n++] = (char *)"-o";
	argv[n++] = ctl;
	argv[n++] = (char *)"--";
	argv[n++] = g->host;
	argv[n++] = cmd;
	argv[n] = NULL;
	pid = proc_start_io(argv, PROC_PGROUP, &g->in_fd, &g->out_fd, cause);
	free(own[0]);
	free(own[1]);
	free(port);
	free(ctl);
	free(cmd);
	if (pid == -1)
		return -1;
	g->pid = pid;
	return 0;
}

/*
 * The request line: "Q SEQ ID...\n", ids that are not a container's
 * (hex, after an optional "+") left out (caller frees).
 */
char *
docker_guest_line(unsigned seq, char *const *ids, size_t nids)
{
	char *line, *next;
	size_t i;

	line = xasprintf("Q %u", seq);
	for (i = 0; i < nids; i++) {
		if (ids[i] == NULL ||
		    !docker_id_valid(ids[i] + (ids[i][0] == '+')))
			continue;
		next = xasprintf("%s %s", line, ids[i]);
		free(line);
		line = next;
	}
	next = xasprintf("%s\n", line);
	free(line);
	return next;
}

/*
 * Ask for the files of these containers (ids checked here: hex only).
 * An id is asked for the list's figures only (CPU and memory used: 3 files
 * of 7 in cgroup v2), "+ID" for all of them (limit, PIDs, block I/O,
 * network too): the guest's kernel time is mostly in the files it opens.
 * Starts the reader first if it is not running. -1 with a cause (and a
 * pause of DOCKER_GUEST_RETRY_MS) when the request cannot go.
 */
int
docker_guest_request(struct docker_guest *g, char *const *ids, size_t nids,
                     char **cause)
{
	char *line;
	size_t len, off = 0;
	ssize_t w;

	if (g->busy)
		return 0;
	/*
	 * A reader that ended while idle (the forward's connection went
	 * with a restart of its ssh): start another now, not after a pause.
	 */
	if (g->pid > 0 && waitpid(g->pid, NULL, WNOHANG) == g->pid) {
		g->pid = 0;
		guest_stop(g);
	}
	if (g->pid <= 0 && guest_start(g, cause) != 0) {
		g->fails++;
		g->retry_at = util_mono_ms() + DOCKER_GUEST_RETRY_MS;
		return -1;
	}
	line = docker_guest_line(++g->seq, ids, nids);
	len = strlen(line);
	while (off < len) {
		w = send(g->in_fd, line + off, len - off, MSG_NOSIGNAL);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			free(line);
			return guest_fail(g, cause,
			                  "the guest's stats reader is gone");
		}
		off += (size_t)w;
	}
	free(line);
	g->busy = 1;
	g->len = 0;
	g->sent_ms = util_mono_ms();
	return 0;
}

int
docker_guest_prepare(struct docker_guest *g, struct pollfd *pfd, int max,
                     int *timeout)
{
	uint64_t now, at;
	int left;

	if (g == NULL || !g->busy || max < 1)
		return 0;
	pfd[0].fd = g->out_fd;
	pfd[0].events = POLLIN;
	pfd[0].revents = 0;
	now = util_mono_ms();
	at = g->sent_ms + DOCKER_GUEST_TIMEOUT_MS;
	left = at > now ? (int)(at - now) : 0;
	if (*timeout < 0 || left < *timeout)
		*timeout = left;
	return 1;
}

/* The answer's end, "E SEQ\n", at the end of what came so far? */
static int
guest_complete(struct docker_guest *g)
{
	char want[32];
	size_t wl;

	wl = (size_t)snprintf(want, sizeof want, "E %u\n", g->seq);
	if (g->len < wl || memcmp(g->buf + g->len - wl, want, wl) != 0)
		return 0;
	return g->len == wl || g->buf[g->len - wl - 1] == '\n';
}

/*
 * Read what the reader wrote. 1 when its answer is in (parsed: sample
 * with docker_guest_sample), 0 while it is not, -1 with a cause when the
 * reader failed (gone, too slow, too much, garbage).
 */
int
docker_guest_dispatch(struct docker_guest *g, const struct pollfd *pfd, int n,
                      char **cause)
{
	char tmp[65536], *why = NULL;
	ssize_t r;
	int i, ready = 0;

	if (g == NULL || !g->busy)
		return 0;
	for (i = 0; i < n; i++)
		if (pfd[i].fd == g->out_fd && pfd[i].revents != 0)
			ready = 1;
	while (ready) {
		r = read(g->out_fd, tmp, sizeof tmp);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && errno == EAGAIN)
			break;
		if (r <= 0)
			return guest_fail(g, cause,
			                  "the guest's stats reader ended");
		if (g->len + (size_t)r > DOCKER_GUEST_MAX_ANSWER)
			return guest_fail(g, cause,
			                  "the guest's stats reader said too "
			                  "much");
		if (g->len + (size_t)r > g->size) {
			g->size = g->len + (size_t)r + 65536;
			g->buf = xreallocarray(g->buf, g->size, 1);
		}
		memcpy(g->buf + g->len, tmp, (size_t)r);
		g->len += (size_t)r;
	}
	if (g->len > 0 && guest_complete(g)) {
		g->busy = 0;
		docker_cgroup_clear(&g->cg);
		if (docker_guest_parse(&g->dump, g->buf, g->len, &why) != 0) {
			guest_fail(g, cause, why);
			free(why);
			return -1;
		}
		docker_cgroup_init_fs(&g->cg, NULL, &g->dump.fs);
		docker_cgroup_batch(&g->cg);
		g->fails = 0;
		return 1;
	}
	if (util_mono_ms() >= g->sent_ms + DOCKER_GUEST_TIMEOUT_MS)
		return guest_fail(g, cause,
		                  "the guest's stats reader did not answer");
	return 0;
}

/*
 * A container's sample from the last answer; -1 if it was not in it.
 * full: it was asked as "+ID" (else the sample is brief: CPU and memory
 * used only).
 */
int
docker_guest_sample(struct docker_guest *g, const char *id, int full,
                    struct docker_sample *s)
{
	return docker_cgroup_sample_part(&g->cg, id, full, s);
}
