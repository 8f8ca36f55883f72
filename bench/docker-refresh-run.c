/*
 * docker-refresh-run.c: the measuring half of bench/docker-refresh. It
 * drives berth's Docker component the way the engine does and reports,
 * as key=value lines:
 *
 *   refresh N       N full refreshes (list + stats of every running
 *                   container): wall ms per refresh (median) and the
 *                   daemon's CPU ms per refresh (dockerd + containerd +
 *                   shims, from /proc)
 *   baseline N CMD  the same figures for running CMD N times
 *   idle SECS MS    berth's own CPU while refreshing every MS for SECS
 *   guest SECS MS   the same, and the "guest's" CPU over it: the daemon
 *                   plus every process under GUEST_ROOT_PID (the sshd
 *                   playing the guest: the forward's and the reader's
 *                   sessions, the reader), and the wall time of each
 *                   refresh's stats (median, max)
 *   cpu SECS CMD    the guest's CPU while CMD runs for SECS (then killed)
 *   reader SECS MS  the kept reader alone, asked for every running
 *                   container every MS: the guest's CPU over SECS
 *   command         the shell command that starts the guest's reader
 *   script          the reader's awk program alone
 *   rtt N           the guest reader alone: N round trips asking for no
 *                   container, N asking for all of them as the dashboard
 *                   does (the list's figures only), N asking for every
 *                   figure of all of them ("+ID"), interleaved
 * guest and reader ask for the list's figures only, as the dashboard does
 * for its rows (every figure only for the container its inspect view
 * shows); BENCH_GUEST_FULL=1 asks for every figure of every container.
 * BERTH_BENCH_PROFILE names the profile (default: none, the local daemon).
 * BENCH_GUEST_SNAP, when set, is a shell command run with "start" where
 * the CPU window opens and "end" where it closes: bench/docker-refresh-vm
 * reads the real guest's /proc there (this machine's is not the guest's).
 */

#include "config.h"

#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "docker/docker.h"

/*
 * CPU ticks of dockerd, containerd and the shims, per pid. Processes come
 * and go (shims of other containers), so usage is summed per pid over
 * the ones seen in the second sample.
 */
struct proc_cpu {
	long pid;
	unsigned long long ticks;
};

/* A process's parent, from /proc/PID/stat; 0 if gone. */
static long
parent_of(long pid)
{
	char path[64], buf[1024], *p;
	long ppid = 0;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(buf, sizeof buf, f) != NULL &&
	    (p = strrchr(buf, ')')) != NULL)
		sscanf(p + 2, "%*c %ld", &ppid);
	fclose(f);
	return ppid;
}

/* Is pid root or below it? */
static int
under(long pid, long root)
{
	int depth;

	for (depth = 0; depth < 64 && pid > 1; depth++) {
		if (pid == root)
			return 1;
		pid = parent_of(pid);
	}
	return 0;
}

static size_t
daemon_ticks(struct proc_cpu *out, size_t max)
{
	DIR *dir = opendir("/proc");
	struct dirent *de;
	char path[300], buf[1024], *p;
	unsigned long long ut, st;
	long long cut, cst;
	const char *env = getenv("GUEST_ROOT_PID");
	long root = env != NULL ? atol(env) : 0;
	size_t n = 0;
	FILE *f;

	if (dir == NULL)
		return 0;
	while ((de = readdir(dir)) != NULL && n < max) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(buf, sizeof buf, f) == NULL) {
			fclose(f);
			continue;
		}
		fclose(f);
		if (strstr(buf, "(dockerd)") == NULL &&
		    strstr(buf, "(containerd)") == NULL &&
		    strstr(buf, "(containerd-shim") == NULL &&
		    (root <= 0 || !under(atol(de->d_name), root)))
			continue;
		/*
		 * After the command: state is field 3, utime 14, stime 15,
		 * and 16, 17 the children it reaped: a short-lived process
		 * (a reader run a refresh) is never seen itself.
		 */
		p = strrchr(buf, ')');
		if (p == NULL || sscanf(p + 2,
		                        "%*c %*d %*d %*d %*d %*d %*u %*u %*u "
		                        "%*u %*u %llu %llu %lld %lld",
		                        &ut, &st, &cut, &cst) != 4)
			continue;
		out[n].pid = atol(de->d_name);
		out[n].ticks =
		    ut + st + (unsigned long long)cut + (unsigned long long)cst;
		n++;
	}
	closedir(dir);
	return n;
}

static struct proc_cpu cpu_before[4096];
static size_t ncpu_before;

/* Run BENCH_GUEST_SNAP with what (start, end), if set. */
static void
guest_snap(const char *what)
{
	const char *c = getenv("BENCH_GUEST_SNAP");
	char *cmd;

	if (c == NULL || *c == '\0')
		return;
	cmd = xasprintf("%s %s", c, what);
	if (system(cmd) != 0)
		fprintf(stderr, "docker-refresh-run: %s failed\n", cmd);
	free(cmd);
}

static void
daemon_cpu_start(void)
{
	ncpu_before = daemon_ticks(cpu_before, nitems(cpu_before));
	guest_snap("start");
}

/* Daemon CPU ms since daemon_cpu_start(). */
static double
daemon_cpu_ms(void)
{
	static struct proc_cpu now[4096];
	size_t n = daemon_ticks(now, nitems(now)), i, j;
	unsigned long long total = 0, base;

	guest_snap("end");
	for (i = 0; i < n; i++) {
		base = 0;
		for (j = 0; j < ncpu_before; j++) {
			if (cpu_before[j].pid == now[i].pid) {
				base = cpu_before[j].ticks;
				break;
			}
		}
		if (now[i].ticks >= base)
			total += now[i].ticks - base;
	}
	return (double)total * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* BENCH_GUEST_FULL=1: every figure of every container, not the list's. */
static int
bench_full(void)
{
	const char *v = getenv("BENCH_GUEST_FULL");

	return v != NULL && strcmp(v, "1") == 0;
}

/* The running containers' ids as the guest reader is asked ("+ID"). */
static char **
bench_ids(const struct model_docker *md, int full, size_t *n)
{
	char **ids = calloc(md->ncontainers + 1, sizeof *ids);
	size_t i;

	*n = 0;
	for (i = 0; i < md->ncontainers; i++)
		if (strcmp(md->containers[i].state, "running") == 0)
			ids[(*n)++] = xasprintf("%s%s", full ? "+" : "",
			                        md->containers[i].id);
	return ids;
}

static void
bench_ids_free(char **ids, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

static struct docker *
bench_open(void)
{
	const char *name = getenv("BERTH_BENCH_PROFILE");
	struct profile *p = NULL;
	struct docker *d;
	struct model_docker md;
	char *cause = NULL;

	if (name != NULL && (p = profile_open(name, &cause)) == NULL) {
		fprintf(stderr, "docker-refresh-run: %s\n", cause);
		exit(1);
	}
	d = docker_open(NULL, p);
	profile_free(p);
	docker_refresh(d);
	docker_wait(d, 30000);
	memset(&md, 0, sizeof md);
	docker_fill_docker(d, &md);
	if (md.conn != MODEL_CONN_UP) {
		fprintf(stderr, "docker-refresh-run: %s\n",
		        md.error != NULL ? md.error : "no Docker");
		exit(1);
	}
	model_docker_clear(&md);
	return d;
}

/* How many containers got figures, and from where; then close d. */
static void
bench_report_end(struct docker *d)
{
	struct model_docker md;
	size_t i, sampled = 0;

	memset(&md, 0, sizeof md);
	docker_fill_docker(d, &md);
	for (i = 0; i < md.ncontainers; i++)
		sampled += md.containers[i].has_stats;
	printf("sampled=%zu\nsource=%s\n", sampled,
	       md.stats_source != NULL ? md.stats_source : "none");
	model_docker_clear(&md);
	docker_close(d);
}

static int
bench_refresh(int n)
{
	struct docker *d = bench_open();
	double *wall = calloc((size_t)n, sizeof *wall), t0;
	int k;

	docker_set_live(d, 1);
	docker_refresh_full(d); /* warm: the first stats sample */
	docker_wait(d, 60000);
	daemon_cpu_start();
	for (k = 0; k < n; k++) {
		t0 = now_ms();
		docker_refresh_full(d);
		docker_wait(d, 60000);
		wall[k] = now_ms() - t0;
		usleep(200000);
	}
	printf("daemon_cpu_ms=%.1f\n", daemon_cpu_ms() / n);
	printf("wall_ms=%.1f\n", median(wall, n));
	bench_report_end(d);
	free(wall);
	return 0;
}

static int
bench_baseline(int n, char **argv)
{
	double *wall = calloc((size_t)n, sizeof *wall), t0;
	int k, status;
	pid_t pid;

	daemon_cpu_start();
	for (k = 0; k < n; k++) {
		t0 = now_ms();
		if ((pid = fork()) == 0) {
			if (freopen("/dev/null", "w", stdout) == NULL)
				_exit(127);
			execvp(argv[0], argv);
			_exit(127);
		}
		waitpid(pid, &status, 0);
		wall[k] = now_ms() - t0;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "docker-refresh-run: %s failed\n",
			        argv[0]);
			return 1;
		}
		usleep(200000);
	}
	printf("daemon_cpu_ms=%.1f\n", daemon_cpu_ms() / n);
	printf("wall_ms=%.1f\n", median(wall, n));
	free(wall);
	return 0;
}

/* What the engine does at a refresh interval, for secs seconds. */
static int
bench_idle(int secs, int interval)
{
	struct docker *d = bench_open();
	struct model_docker md;
	struct rusage r0, r1;
	double t0, end, next, cpu;

	docker_set_live(d, 0);
	getrusage(RUSAGE_SELF, &r0);
	t0 = now_ms();
	end = t0 + secs * 1000.0;
	next = t0;
	while (now_ms() < end) {
		if (now_ms() >= next) {
			docker_refresh(d);
			next += interval;
		}
		docker_poll(
		    d, (int)(next - now_ms()) > 0 ? (int)(next - now_ms()) : 0);
		if (docker_take_dirty(d)) {
			/* The engine copies the state into a snapshot. */
			memset(&md, 0, sizeof md);
			docker_fill_docker(d, &md);
			model_docker_clear(&md);
		}
	}
	getrusage(RUSAGE_SELF, &r1);
	cpu = (r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) * 1000.0 +
	      (r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) / 1000.0 +
	      (r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) * 1000.0 +
	      (r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) / 1000.0;
	printf("own_cpu_pct=%.3f\n", cpu / (now_ms() - t0) * 100.0);
	memset(&md, 0, sizeof md);
	docker_fill_docker(d, &md);
	printf("source=%s\n",
	       md.stats_source != NULL ? md.stats_source : "none");
	model_docker_clear(&md);
	docker_close(d);
	return 0;
}

/*
 * The engine's refresh loop at interval ms for secs seconds; the guest's
 * CPU over it and the wall time from each refresh to its stats.
 */
static int
bench_guest(int secs, int interval)
{
	struct docker *d = bench_open();
	struct model_docker md;
	double t0, end, next, start = 0, *wall;
	int nwall = 0, max = secs * 1000 / interval + 2;

	wall = calloc((size_t)max, sizeof *wall);
	docker_set_brief(d, !bench_full());
	docker_set_live(d, 1);
	docker_refresh(d); /* warm: the reader starts, a first sample */
	docker_wait(d, 60000);
	daemon_cpu_start();
	t0 = now_ms();
	end = t0 + secs * 1000.0;
	next = t0;
	while (now_ms() < end) {
		if (now_ms() >= next) {
			docker_refresh(d);
			start = docker_busy(d) ? now_ms() : 0;
			next += interval;
		}
		docker_poll(
		    d, (int)(next - now_ms()) > 0 ? (int)(next - now_ms()) : 0);
		if (start > 0 && !docker_busy(d)) {
			if (nwall < max)
				wall[nwall++] = now_ms() - start;
			start = 0;
		}
		if (docker_take_dirty(d)) {
			memset(&md, 0, sizeof md);
			docker_fill_docker(d, &md);
			model_docker_clear(&md);
		}
	}
	printf("guest_cpu_pct=%.2f\n", daemon_cpu_ms() / (now_ms() - t0) * 100);
	if (nwall > 0) {
		printf("stats_wall_ms=%.1f\n", median(wall, nwall));
		printf("stats_wall_max_ms=%.1f\n", wall[nwall - 1]);
	}
	bench_report_end(d);
	free(wall);
	return 0;
}

/* The guest's CPU while argv runs for secs seconds. */
static int
bench_cpu(int secs, char **argv)
{
	double t0;
	pid_t pid;

	daemon_cpu_start();
	t0 = now_ms();
	if ((pid = fork()) == 0) {
		setpgid(0, 0);
		if (freopen("/dev/null", "w", stdout) == NULL)
			_exit(127);
		execvp(argv[0], argv);
		_exit(127);
	}
	sleep((unsigned)secs);
	printf("guest_cpu_pct=%.2f\n", daemon_cpu_ms() / (now_ms() - t0) * 100);
	/* docker stats ignores SIGTERM */
	kill(-pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return 0;
}

/* One round trip of the guest reader for these ids; its wall ms. */
static double
rtt_once(struct docker_guest *g, char **ids, size_t n)
{
	struct pollfd pfd[1];
	char *cause = NULL;
	double t0 = now_ms();
	int r = 0, t, k;

	if (docker_guest_request(g, ids, n, &cause) != 0) {
		fprintf(stderr, "docker-refresh-run: %s\n", cause);
		exit(1);
	}
	while (r == 0) {
		t = -1;
		k = docker_guest_prepare(g, pfd, 1, &t);
		poll(pfd, (nfds_t)k, t);
		r = docker_guest_dispatch(g, pfd, k, &cause);
	}
	if (r < 0) {
		fprintf(stderr, "docker-refresh-run: %s\n", cause);
		exit(1);
	}
	return now_ms() - t0;
}

/*
 * The kept reader alone, asked for every running container every
 * interval ms for secs seconds: the guest's CPU over it, to set beside
 * one ssh command a refresh (no /_ping, no list: only the reading).
 */
static int
bench_reader(int secs, int interval)
{
	struct docker *d = bench_open();
	const char *name = getenv("BERTH_BENCH_PROFILE");
	struct profile *p = profile_open(name != NULL ? name : "default", NULL);
	struct docker_guest *g = docker_guest_new(p);
	struct model_docker md;
	double t0, end;
	char **ids;
	size_t nids = 0;

	if (g == NULL) {
		fprintf(stderr,
		        "docker-refresh-run: not a forwarded profile\n");
		return 1;
	}
	memset(&md, 0, sizeof md);
	docker_fill_docker(d, &md);
	ids = bench_ids(&md, bench_full(), &nids);
	rtt_once(g, ids, nids); /* the reader starts */
	daemon_cpu_start();
	t0 = now_ms();
	end = t0 + secs * 1000.0;
	while (now_ms() < end) {
		rtt_once(g, ids, nids);
		usleep((useconds_t)interval * 1000);
	}
	printf("guest_cpu_pct=%.2f\n", daemon_cpu_ms() / (now_ms() - t0) * 100);
	bench_ids_free(ids, nids);
	model_docker_clear(&md);
	docker_guest_free(g);
	profile_free(p);
	docker_close(d);
	return 0;
}

/*
 * The reader alone: empty requests against ones for all containers, the
 * list's figures (as the dashboard asks) and every figure, interleaved.
 */
static int
bench_rtt(int n)
{
	struct docker *d = bench_open();
	const char *name = getenv("BERTH_BENCH_PROFILE");
	struct profile *p = profile_open(name != NULL ? name : "default", NULL);
	struct docker_guest *g = docker_guest_new(p);
	struct model_docker md;
	struct docker_sample s;
	double *e = calloc((size_t)n, sizeof *e),
	       *f = calloc((size_t)n, sizeof *f),
	       *x = calloc((size_t)n, sizeof *x);
	char **ids, **every;
	size_t i, nids = 0, found = 0, found_every = 0;
	int k;

	if (g == NULL) {
		fprintf(stderr,
		        "docker-refresh-run: not a forwarded profile\n");
		return 1;
	}
	memset(&md, 0, sizeof md);
	docker_fill_docker(d, &md);
	ids = bench_ids(&md, 0, &nids);
	every = bench_ids(&md, 1, &nids);
	rtt_once(g, ids, 0); /* warm: the reader starts */
	for (k = 0; k < n; k++) {
		e[k] = rtt_once(g, ids, 0);
		f[k] = rtt_once(g, ids, nids);
		x[k] = rtt_once(g, every, nids);
	}
	for (i = 0; i < nids; i++)
		found_every +=
		    docker_guest_sample(g, ids[i], 1, &s) == 0 && s.pids > 0;
	rtt_once(g, ids, nids);
	for (i = 0; i < nids; i++)
		found += docker_guest_sample(g, ids[i], 0, &s) == 0;
	printf("containers=%zu\nfound=%zu\nfound_every=%zu\n", nids, found,
	       found_every);
	printf("rtt_empty_ms=%.1f\nrtt_list_ms=%.1f\nrtt_full_ms=%.1f\n",
	       median(e, n), median(f, n), median(x, n));
	bench_ids_free(ids, nids);
	bench_ids_free(every, nids);
	model_docker_clear(&md);
	docker_guest_free(g);
	profile_free(p);
	docker_close(d);
	free(e);
	free(f);
	free(x);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "refresh") == 0)
		return bench_refresh(atoi(argv[2]));
	if (argc >= 4 && strcmp(argv[1], "baseline") == 0)
		return bench_baseline(atoi(argv[2]), argv + 3);
	if (argc >= 4 && strcmp(argv[1], "idle") == 0)
		return bench_idle(atoi(argv[2]), atoi(argv[3]));
	if (argc >= 4 && strcmp(argv[1], "guest") == 0)
		return bench_guest(atoi(argv[2]), atoi(argv[3]));
	if (argc >= 4 && strcmp(argv[1], "cpu") == 0)
		return bench_cpu(atoi(argv[2]), argv + 3);
	if (argc >= 2 && strcmp(argv[1], "command") == 0) {
		char *c = docker_guest_command();

		puts(c);
		free(c);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "script") == 0) {
		fputs(docker_guest_script(), stdout);
		return 0;
	}
	if (argc >= 4 && strcmp(argv[1], "reader") == 0)
		return bench_reader(atoi(argv[2]), atoi(argv[3]));
	if (argc >= 3 && strcmp(argv[1], "rtt") == 0)
		return bench_rtt(atoi(argv[2]));
	fprintf(stderr, "usage: docker-refresh-run refresh N | baseline N "
	                "CMD... | idle SECS INTERVAL_MS | guest SECS "
	                "INTERVAL_MS | cpu SECS CMD... | reader SECS "
	                "INTERVAL_MS | command | rtt N\n");
	return 2;
}
