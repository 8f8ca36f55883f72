/*
 * docker-stats.c: the figures `docker stats` shows, computed the way the
 * docker CLI computes them, and a reader that takes the same samples from
 * the host's cgroup files instead of the daemon. The Docker stats API is
 * the expensive part of watching containers (the daemon walks the cgroups
 * and encodes JSON for every call); when the daemon runs on this host its
 * containers' cgroups are right here and cost the daemon nothing to read.
 * cgroup v1 and v2, with the cgroupfs and systemd drivers.
 */

#include "config.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "docker/docker.h"

static uint64_t cg_system_ns(const struct docker_cgroup *, const char *);

/*
 * CPU % from two samples, as docker stats does: container CPU delta over
 * host CPU delta, times the online CPUs, times 100 (100 = one CPU). 0
 * until there are two samples.
 */
double
docker_stats_cpu_pct(const struct docker_sample *prev,
                     const struct docker_sample *cur)
{
	double cpu, sys;
	int ncpu;

	if (!prev->valid || !cur->valid ||
	    cur->cpu_total_ns <= prev->cpu_total_ns)
		return 0.0;
	cpu = (double)(cur->cpu_total_ns - prev->cpu_total_ns);
	ncpu = cur->online_cpus > 0 ? cur->online_cpus : 1;
	if (cur->system_ns > prev->system_ns) {
		sys = (double)(cur->system_ns - prev->system_ns);
		return cpu / sys * ncpu * 100.0;
	}
	/* No host figure (not Linux): use the wall time between samples. */
	if (cur->when_ms > prev->when_ms)
		return cpu / ((double)(cur->when_ms - prev->when_ms) * 1e6) *
		       100.0;
	return 0.0;
}

/* Memory used as docker stats shows it: usage minus inactive file pages. */
uint64_t
docker_stats_mem_used(const struct docker_sample *s)
{
	if (s->mem_inactive < s->mem_usage)
		return s->mem_usage - s->mem_inactive;
	return s->mem_usage;
}

static double
stats_rate(uint64_t prev, uint64_t cur, double secs)
{
	if (secs <= 0 || cur < prev)
		return 0.0;
	return (double)(cur - prev) / secs;
}

/*
 * Fill a container's figures from its previous and current samples. A
 * brief sample (the list's figures only) leaves the others unknown, and
 * the rates stay unknown until two samples in a row have every figure.
 */
void
docker_stats_apply(struct model_container *c, const struct docker_sample *prev,
                   const struct docker_sample *cur)
{
	double secs = 0;

	if (!cur->valid)
		return;
	c->has_stats = 1;
	c->stats_brief = cur->brief;
	c->mem_used = docker_stats_mem_used(cur);
	c->mem_limit = cur->brief ? 0 : cur->mem_limit;
	c->mem_pct = c->mem_limit > 0
	                 ? (double)c->mem_used / (double)c->mem_limit * 100.0
	                 : 0.0;
	c->pids = cur->brief ? 0 : cur->pids;
	if (prev->valid && cur->when_ms > prev->when_ms)
		secs = (double)(cur->when_ms - prev->when_ms) / 1000.0;
	if (prev->valid)
		c->cpu_pct = docker_stats_cpu_pct(prev, cur);
	c->rates_unknown = cur->brief || (prev->valid && prev->brief);
	if (c->rates_unknown)
		c->rx_bps = c->tx_bps = c->rd_bps = c->wr_bps = 0;
	else if (prev->valid) {
		c->rx_bps = stats_rate(prev->rx, cur->rx, secs);
		c->tx_bps = stats_rate(prev->tx, cur->tx, secs);
		c->rd_bps = stats_rate(prev->rd, cur->rd, secs);
		c->wr_bps = stats_rate(prev->wr, cur->wr, secs);
	}
	if (prev->valid)
		model_history_push(&c->cpu_hist, (float)c->cpu_pct);
	if (!cur->brief)
		model_history_push(&c->mem_hist, (float)c->mem_pct);
}

/* ---- the cgroup reader ------------------------------------------------ */

/* Read a small file of this host into buf (NUL-terminated); -1 if none. */
static int
cg_local_read(const struct docker_cgfs *fs, const char *path, char *buf,
              size_t size)
{
	FILE *f = fopen(path, "re");
	size_t n;

	(void)fs;
	if (f == NULL)
		return -1;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	return 0;
}

static int
cg_local_exists(const struct docker_cgfs *fs, const char *path)
{
	(void)fs;
	return access(path, F_OK) == 0;
}

static const struct docker_cgfs cg_local = {
    .read = cg_local_read,
    .exists = cg_local_exists,
};

/* Read a file, from this host or the guest's dump, as cg says. */
static int
cg_read(const struct docker_cgroup *cg, const char *path, char *buf,
        size_t size)
{
	const struct docker_cgfs *fs = cg->fs != NULL ? cg->fs : &cg_local;

	return fs->read(fs, path, buf, size);
}

static int
cg_read_u64(const struct docker_cgroup *cg, const char *dir, const char *file,
            uint64_t *v)
{
	char path[512], buf[64];

	snprintf(path, sizeof path, "%s/%s", dir, file);
	if (cg_read(cg, path, buf, sizeof buf) != 0)
		return -1;
	if (strncmp(buf, "max", 3) == 0) {
		*v = UINT64_MAX;
		return 0;
	}
	*v = strtoull(buf, NULL, 10);
	return 0;
}

/* A "key value" line's value in a flat-keyed file such as memory.stat. */
static int
cg_read_key(const struct docker_cgroup *cg, const char *dir, const char *file,
            const char *key, uint64_t *v)
{
	char path[512], buf[8192], *p;
	size_t klen = strlen(key);

	snprintf(path, sizeof path, "%s/%s", dir, file);
	if (cg_read(cg, path, buf, sizeof buf) != 0)
		return -1;
	for (p = buf; p != NULL && *p != '\0';) {
		if (strncmp(p, key, klen) == 0 && p[klen] == ' ') {
			*v = strtoull(p + klen + 1, NULL, 10);
			return 0;
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return -1;
}

static int
cg_isdir(const struct docker_cgroup *cg, const char *path)
{
	const struct docker_cgfs *fs = cg->fs != NULL ? cg->fs : &cg_local;

	return fs->exists(fs, path);
}

/* The container's directory under one hierarchy, or -1. */
static int
cg_find(const struct docker_cgroup *cg, const char *base, const char *id,
        char *out, size_t size)
{
	static const char *const layouts[] = {
	    "%s/docker/%s",                    /* cgroupfs driver */
	    "%s/system.slice/docker-%s.scope", /* systemd driver */
	};
	size_t i;

	for (i = 0; i < nitems(layouts); i++) {
		snprintf(out, size, layouts[i], base, id);
		if (cg_isdir(cg, out))
			return 0;
	}
	return -1;
}

/*
 * Host CPU time in ns from /proc/stat's cpu line, as dockerd reads it;
 * path NULL is this host's /proc/stat.
 */
uint64_t
docker_cgroup_system_ns(const char *path)
{
	struct docker_cgroup cg = {0};

	return cg_system_ns(&cg, path != NULL ? path : "/proc/stat");
}

/* The same from cg's files (a guest's clock ticks are 100 a second too). */
static uint64_t
cg_system_ns(const struct docker_cgroup *cg, const char *path)
{
	char buf[512];
	unsigned long long v[7] = {0};
	long tck = sysconf(_SC_CLK_TCK);
	uint64_t sum = 0;
	int i;

	if (cg_read(cg, path, buf, sizeof buf) != 0 ||
	    strncmp(buf, "cpu ", 4) != 0)
		return 0;
	if (sscanf(buf + 4, "%llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
	           &v[2], &v[3], &v[4], &v[5], &v[6]) != 7)
		return 0;
	for (i = 0; i < 7; i++)
		sum += v[i];
	return sum * (1000000000ULL / (uint64_t)(tck > 0 ? tck : 100));
}

static uint64_t
cg_machine_memory(const struct docker_cgroup *cg)
{
	uint64_t kb = 0;

	if (cg_read_key(cg, "/proc", "meminfo", "MemTotal:", &kb) != 0) {
		char buf[4096], *p;

		if (cg_read(cg, "/proc/meminfo", buf, sizeof buf) == 0 &&
		    (p = strstr(buf, "MemTotal:")) != NULL)
			kb = strtoull(p + 9, NULL, 10);
	}
	return kb * 1024;
}

/*
 * The online CPUs from a cpu list such as /sys/devices/system/cpu/online
 * ("0-3,6"); 0 when it makes no sense.
 */
static int
cg_cpu_list(const char *s)
{
	unsigned long a, b;
	char *end;
	long n = 0;

	while (*s != '\0' && *s != '\n') {
		a = strtoul(s, &end, 10);
		if (end == s)
			return 0;
		b = a;
		if (*end == '-') {
			s = end + 1;
			b = strtoul(s, &end, 10);
			if (end == s || b < a)
				return 0;
		}
		if (b - a >= 65536 || n + (long)(b - a + 1) > 65536)
			return 0;
		n += (long)(b - a + 1);
		s = end;
		if (*s == ',')
			s++;
		else if (*s != '\0' && *s != '\n')
			return 0;
	}
	return (int)n;
}

/* Which cgroup layout root (default /sys/fs/cgroup) has; -1 if none. */
int
docker_cgroup_init(struct docker_cgroup *cg, const char *root)
{
	return docker_cgroup_init_fs(cg, root, NULL);
}

/*
 * The same with the files read through fs (NULL: this host's), for a
 * reader whose cgroups are elsewhere: the guest's (docker-guest.c). fs
 * must outlive cg.
 */
int
docker_cgroup_init_fs(struct docker_cgroup *cg, const char *root,
                      const struct docker_cgfs *fs)
{
	char path[512], buf[256];

	memset(cg, 0, sizeof *cg);
	cg->fs = fs;
	cg->root = xstrdup(root != NULL ? root : "/sys/fs/cgroup");
	snprintf(path, sizeof path, "%s/cgroup.controllers", cg->root);
	if (cg_isdir(cg, path))
		cg->version = 2;
	else {
		snprintf(path, sizeof path, "%s/memory", cg->root);
		if (cg_isdir(cg, path))
			cg->version = 1;
	}
	cg->machine_memory = cg_machine_memory(cg);
	if (fs == NULL)
		cg->online_cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	else if (cg_read(cg, "/sys/devices/system/cpu/online", buf,
	                 sizeof buf) == 0)
		cg->online_cpus = cg_cpu_list(buf);
	return cg->version != 0 ? 0 : -1;
}

/* Host CPU time for a batch of samples, from cg's own /proc/stat. */
void
docker_cgroup_batch(struct docker_cgroup *cg)
{
	cg->system_ns = cg_system_ns(cg, "/proc/stat");
}

void
docker_cgroup_clear(struct docker_cgroup *cg)
{
	free(cg->root);
	memset(cg, 0, sizeof *cg);
}

/* Sum the byte counters of every interface but lo in the pid's netns. */
static void
cg_net(const struct docker_cgroup *cg, const char *procsdir,
       struct docker_sample *s)
{
	char path[512], buf[4096], *line, *save = NULL;
	unsigned long long rx, tx;
	char name[64];
	long pid;

	snprintf(path, sizeof path, "%s/cgroup.procs", procsdir);
	if (cg_read(cg, path, buf, 64) != 0 || (pid = atol(buf)) <= 0)
		return;
	snprintf(path, sizeof path, "/proc/%ld/net/dev", pid);
	if (cg_read(cg, path, buf, sizeof buf) != 0)
		return;
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':');

		if (colon == NULL)
			continue;
		*colon = ' ';
		if (sscanf(line, "%63s %llu %*u %*u %*u %*u %*u %*u %*u %llu",
		           name, &rx, &tx) != 3 ||
		    strcmp(name, "lo") == 0)
			continue;
		s->rx += rx;
		s->tx += tx;
	}
}

/* Sum "Read"/"Write" (v1) or rbytes=/wbytes= (v2) over all devices. */
static void
cg_blkio(const struct docker_cgroup *cg, const char *path,
         struct docker_sample *s)
{
	char buf[8192], *line, *save = NULL, *p;
	char op[16];
	unsigned long long v;
	int version = cg->version;

	if (cg_read(cg, path, buf, sizeof buf) != 0)
		return;
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (version == 1) {
			if (sscanf(line, "%*s %15s %llu", op, &v) != 2)
				continue;
			if (strcmp(op, "Read") == 0)
				s->rd += v;
			else if (strcmp(op, "Write") == 0)
				s->wr += v;
			continue;
		}
		if ((p = strstr(line, "rbytes=")) != NULL)
			s->rd += strtoull(p + 7, NULL, 10);
		if ((p = strstr(line, "wbytes=")) != NULL)
			s->wr += strtoull(p + 7, NULL, 10);
	}
}

/*
 * Sample container id from its cgroup files: the same figures dockerd
 * would put in a stats answer. -1 when its cgroup is not on this host.
 */
int
docker_cgroup_sample(const struct docker_cgroup *cg, const char *id,
                     struct docker_sample *s)
{
	return docker_cgroup_sample_part(cg, id, 1, s);
}

/*
 * The same, and with full = 0 only the figures of the containers list
 * (CPU and memory used): the guest's reader then sends only those files.
 * The sample says brief, and docker_stats_apply leaves the rest unknown.
 */
int
docker_cgroup_sample_part(const struct docker_cgroup *cg, const char *id,
                          int full, struct docker_sample *s)
{
	char dir[512], base[256], path[600];

	memset(s, 0, sizeof *s);
	if (cg->version == 0 || !docker_id_valid(id))
		return -1;
	s->system_ns =
	    cg->system_ns != 0 ? cg->system_ns : cg_system_ns(cg, "/proc/stat");
	s->online_cpus = cg->online_cpus;
	s->brief = !full;
	if (cg->version == 2) {
		if (cg_find(cg, cg->root, id, dir, sizeof dir) != 0)
			return -1;
		if (cg_read_key(cg, dir, "cpu.stat", "usage_usec",
		                &s->cpu_total_ns) != 0)
			return -1;
		s->cpu_total_ns *= 1000;
		cg_read_u64(cg, dir, "memory.current", &s->mem_usage);
		cg_read_key(cg, dir, "memory.stat", "inactive_file",
		            &s->mem_inactive);
		if (full) {
			cg_read_u64(cg, dir, "memory.max", &s->mem_limit);
			snprintf(path, sizeof path, "%s/io.stat", dir);
			cg_blkio(cg, path, s);
			cg_read_u64(cg, dir, "pids.current", &s->pids);
			cg_net(cg, dir, s);
		}
	} else {
		snprintf(base, sizeof base, "%s/cpuacct", cg->root);
		if (!cg_isdir(cg, base))
			snprintf(base, sizeof base, "%s/cpu,cpuacct", cg->root);
		if (cg_find(cg, base, id, dir, sizeof dir) != 0 ||
		    cg_read_u64(cg, dir, "cpuacct.usage", &s->cpu_total_ns) !=
		        0)
			return -1;
		snprintf(base, sizeof base, "%s/memory", cg->root);
		if (cg_find(cg, base, id, dir, sizeof dir) == 0) {
			cg_read_u64(cg, dir, "memory.usage_in_bytes",
			            &s->mem_usage);
			cg_read_key(cg, dir, "memory.stat",
			            "total_inactive_file", &s->mem_inactive);
			if (full) {
				cg_read_u64(cg, dir, "memory.limit_in_bytes",
				            &s->mem_limit);
				cg_net(cg, dir, s);
			}
		}
		snprintf(base, sizeof base, "%s/blkio", cg->root);
		if (full && cg_find(cg, base, id, dir, sizeof dir) == 0) {
			snprintf(path, sizeof path,
			         "%s/blkio.throttle.io_service_bytes_recursive",
			         dir);
			cg_blkio(cg, path, s);
		}
		snprintf(base, sizeof base, "%s/pids", cg->root);
		if (full && cg_find(cg, base, id, dir, sizeof dir) == 0)
			cg_read_u64(cg, dir, "pids.current", &s->pids);
	}
	/* dockerd reports the host's memory for containers without a limit. */
	if (full && cg->machine_memory > 0 &&
	    (s->mem_limit == 0 || s->mem_limit > cg->machine_memory))
		s->mem_limit = cg->machine_memory;
	s->when_ms = util_mono_ms();
	s->valid = 1;
	return 0;
}
