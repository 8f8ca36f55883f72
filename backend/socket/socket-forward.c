/*
 * socket-forward.c: the Docker socket forward. The Docker CLI on the host
 * reaches the daemon in the guest through a unix socket that `ssh -N -L
 * HOST_SOCK:GUEST_SOCK` serves; this file runs that ssh, checks it with
 * /_ping through the host socket, and restarts it with backoff when ssh
 * exits or the ping keeps failing: the forward dying silently after sleep
 * is the most reported Colima/Lima failure.
 *
 * One process at a time owns a profile's forward: it holds a write lock
 * on <state>/forward.lock, runs ssh and writes <state>/forward.json after
 * every change. Any other berth process observes: it pings the socket
 * itself (so health is always first-hand) and reads the rest from that
 * file. The owner is the dashboard (the forward stops with it) or, with
 * docker.persist or `berth socket start`, a small supervisor process.
 *
 * ssh runs with a per-profile ed25519 key and a per-profile known_hosts in
 * the state dir (socket-ssh.c). Host keys are checked; the first contact with a
 * new guest is accepted into that private file only (StrictHostKeyChecking
 * accept-new under a per-profile HostKeyAlias), so a changed key later is
 * refused. ssh is started by the process runner (proc.c) from an argument
 * vector, never through a shell; its stderr is a pipe, whose end of file tells
 * at once that ssh exited and whose last line says why.
 *
 * Safety: the state dir is 0700 and the socket 0600; a socket path that is
 * a symlink, not a socket, or owned by another user is refused, and a
 * stale socket is removed only when it lies in berth's own state dir
 * (socket-health.c).
 */

#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "socket/socket.h"

#define FORWARD_PING_TIMEOUT_MS 1000
#define FORWARD_START_POLL_MS   150
#define FORWARD_START_TIMEOUT   15000 /* ssh up but no socket: restart */
#define FORWARD_BACKOFF_MIN_MS  500
#define FORWARD_BACKOFF_MAX_MS  10000
#define FORWARD_PING_FAILS      2  /* failed pings before a restart */
#define FORWARD_SLOW_PINGS      10 /* unanswered pings before a restart */
#define FORWARD_ALIVE_INTERVAL  5  /* ServerAliveInterval, seconds */

enum forward_phase {
	PHASE_IDLE,     /* no ssh; a start is due at next_start */
	PHASE_STARTING, /* ssh runs, the socket is not answering yet */
	PHASE_UP,       /* ssh runs and /_ping answered */
	PHASE_REFUSED,  /* configuration or path problem; no retries */
};

struct forward {
	/* What to forward, from the profile. */
	char *profile;
	char *state_dir; /* NULL when it could not be made */
	char *path;      /* host socket */
	char *guest_socket;
	char *user;
	char *host; /* sshd host; NULL = not known yet */
	int port;
	int ssh;     /* forward over ssh; 0 = health only */
	int from_vm; /* the target is the VM's forwarded port */
	int persist; /* docker.persist */
	uint64_t refresh_ms;
	int may_own; /* this process may run ssh */
	char *key;   /* <state>/ssh/id_ed25519 */
	char *known_hosts;
	char *lock_path;
	char *status_path;
	char *log_path;
	char *ctl_path;      /* ssh's control socket: port forwards join it */
	struct ports *ports; /* the supervisor's port forwards, or NULL */
	json_t *ports_seen;  /* observer: the owner's port list */

	/* Ownership. */
	int lock_fd;
	int owner;
	pid_t owner_pid; /* observed owner (another process) */

	/* The ssh child, when owner. */
	pid_t pid;
	int err_fd;
	char errbuf[2048];
	size_t errlen;
	char *last_err; /* last non-empty line ssh printed */
	enum forward_phase phase;
	uint64_t phase_since; /* mono ms */
	uint64_t next_start;  /* mono ms */
	uint64_t next_poll;   /* mono ms, while starting */
	int nfail;            /* starts in a row that never came up */
	int ping_fails;
	int slow_pings; /* pings in a row the daemon did not answer in time */
	int restarts;
	int started_once;
	uint64_t last_restart_ms; /* wall clock */

	/* What the last check found. */
	int healthy;
	double ping_ms;
	uint64_t checked_ms;
	char *api_version;
	char *engine_version;
	char *stage;
	char *error;
	int pending;          /* first check not done yet */
	char *status_written; /* last forward.json written */

	/* Messages for the engine: text and level, oldest first. */
	char *msgs[8];
	int levels[8];
	int nmsgs;
};

static void forward_set_str(char **, const char *);
static void forward_message(struct forward *, int, const char *, ...)
    BERTH_PRINTFLIKE(3, 4);
static int forward_spawn(struct forward *, char **);
static void forward_kill(struct forward *);
static void forward_write_status(struct forward *);
static void forward_read_status(struct forward *);
static int forward_try_lock(struct forward *);
static int forward_up(const struct forward *);
static int forward_ports_ctl(void *, const char *, const char *, char **);

static void
forward_set_str(char **dst, const char *s)
{
	if (*dst != NULL && s != NULL && strcmp(*dst, s) == 0)
		return;
	free(*dst);
	*dst = s != NULL ? xstrdup(s) : NULL;
}

static void
forward_message(struct forward *f, int level, const char *fmt, ...)
{
	va_list ap;
	int i;

	if (f->nmsgs == (int)nitems(f->msgs)) {
		free(f->msgs[0]);
		for (i = 1; i < f->nmsgs; i++) {
			f->msgs[i - 1] = f->msgs[i];
			f->levels[i - 1] = f->levels[i];
		}
		f->nmsgs--;
	}
	va_start(ap, fmt);
	f->msgs[f->nmsgs] = xvasprintf(fmt, ap);
	va_end(ap);
	f->levels[f->nmsgs++] = level;
}

/* The oldest queued message (caller frees) and its level, or NULL. */
char *
forward_take_message(struct forward *f, int *level)
{
	char *s;
	int i;

	if (f->nmsgs == 0)
		return NULL;
	s = f->msgs[0];
	*level = f->levels[0];
	for (i = 1; i < f->nmsgs; i++) {
		f->msgs[i - 1] = f->msgs[i];
		f->levels[i - 1] = f->levels[i];
	}
	f->nmsgs--;
	return s;
}

/* Split "host:port" into f->host and f->port; NULL clears the target. */
void
forward_set_target(struct forward *f, const char *hostport)
{
	const char *colon;
	char *host = NULL;
	int port = 0;

	if (!f->from_vm)
		return;
	if (hostport != NULL && (colon = strrchr(hostport, ':')) != NULL) {
		host = xstrndup(hostport, (size_t)(colon - hostport));
		port = atoi(colon + 1);
	}
	if (host != NULL && port > 0 && f->host != NULL &&
	    strcmp(host, f->host) == 0 && port == f->port) {
		free(host);
		return;
	}
	if (f->pid > 0) {
		forward_kill(f);
		f->phase = PHASE_IDLE;
	}
	free(f->host);
	f->host = port > 0 ? host : NULL;
	if (port <= 0)
		free(host);
	f->port = port;
	f->next_start = 0;
}

/* The host socket path docker.forward: none checks. */
static char *
forward_none_path(const struct profile *p)
{
	const char *dh = getenv("DOCKER_HOST");

	if (p->docker.socket != NULL && strcmp(p->docker.socket, "auto") != 0)
		return paths_expand_tilde(p->docker.socket);
	if (dh != NULL && strncmp(dh, "unix://", 7) == 0)
		return xstrdup(dh + 7);
	return xstrdup("/var/run/docker.sock");
}

/*
 * A forward for a profile. may_own says whether this process may run ssh
 * (the dashboard, a supervisor) or only observe (a one-shot command).
 * Never fails: problems show up in the forward's stage and error.
 */
struct forward *
forward_new(const struct profile *p, int may_own)
{
	struct forward *f = xcalloc(1, sizeof *f);
	char *cause = NULL, *dir;

	f->profile = xstrdup(p->name);
	f->lock_fd = -1;
	f->err_fd = -1;
	f->may_own = may_own;
	f->pending = 1;
	f->persist = p->docker.persist;
	f->refresh_ms = p->refresh_ms != 0 ? p->refresh_ms : 2000;
	f->ssh = p->docker.forward == PROFILE_FORWARD_SSH;
	f->guest_socket =
	    xstrdup(p->docker.guest_socket != NULL ? p->docker.guest_socket
	                                           : "/var/run/docker.sock");
	f->user = xstrdup(p->vm.ssh_user != NULL ? p->vm.ssh_user : "root");
	if (p->docker.ssh_host != NULL || p->docker.ssh_port > 0) {
		f->host =
		    xstrdup(p->docker.ssh_host != NULL ? p->docker.ssh_host
		                                       : "127.0.0.1");
		f->port = p->docker.ssh_port > 0 ? p->docker.ssh_port : 22;
	} else {
		f->from_vm = 1;
		if (p->vm.ssh_port > 0) {
			f->host = xstrdup("127.0.0.1");
			f->port = p->vm.ssh_port;
		}
	}
	f->state_dir = supervisor_state_dir(p->name, &cause);
	if (!f->ssh) {
		f->path = forward_none_path(p);
		f->phase = PHASE_IDLE;
		forward_set_str(&f->stage, "checking");
	} else if (f->state_dir == NULL) {
		dir = paths_state_dir(p->name);
		f->path = p->docker.socket != NULL &&
		                  strcmp(p->docker.socket, "auto") != 0
		              ? paths_expand_tilde(p->docker.socket)
		              : xasprintf("%s/docker.sock", dir);
		free(dir);
		f->phase = PHASE_REFUSED;
		forward_set_str(&f->stage, "refused");
		forward_set_str(&f->error, cause);
	} else {
		if (p->docker.socket == NULL ||
		    strcmp(p->docker.socket, "auto") == 0)
			f->path = xasprintf("%s/docker.sock", f->state_dir);
		else
			f->path = paths_expand_tilde(p->docker.socket);
		f->key = xasprintf("%s/ssh/id_ed25519", f->state_dir);
		f->known_hosts = xasprintf("%s/ssh/known_hosts", f->state_dir);
		f->lock_path = xasprintf("%s/forward.lock", f->state_dir);
		f->status_path = xasprintf("%s/forward.json", f->state_dir);
		f->log_path = xasprintf("%s/forward.log", f->state_dir);
		f->ctl_path = xasprintf("%s/ctl.sock", f->state_dir);
		forward_set_str(&f->stage, "not started");
	}
	free(cause);
	return f;
}

/* Stop ssh (when owner), give up the lock and free the forward. */
void
forward_free(struct forward *f)
{
	int i;

	if (f == NULL)
		return;
	forward_stop(f);
	if (f->lock_fd != -1)
		close(f->lock_fd);
	if (f->owner)
		supervisor_owned_set(f->lock_path, 0);
	for (i = 0; i < f->nmsgs; i++)
		free(f->msgs[i]);
	free(f->profile);
	free(f->state_dir);
	free(f->path);
	free(f->guest_socket);
	free(f->user);
	free(f->host);
	free(f->key);
	free(f->known_hosts);
	free(f->lock_path);
	free(f->status_path);
	free(f->log_path);
	free(f->ctl_path);
	if (f->ports_seen != NULL)
		json_decref(f->ports_seen);
	free(f->last_err);
	free(f->api_version);
	free(f->engine_version);
	free(f->stage);
	free(f->error);
	free(f->status_written);
	free(f);
}

int
forward_is_owner(const struct forward *f)
{
	return f->owner;
}

const char *
forward_path(const struct forward *f)
{
	return f->path;
}

/* Whether the forward goes to the VM's SSH port (no docker.ssh_host). */
int
forward_from_vm(const struct forward *f)
{
	return f->ssh && f->from_vm;
}

/*
 * Open the lock file; with take set, try to take the owner's write lock.
 * Returns 1 when this process owns the forward. Otherwise fills
 * f->owner_pid with the process holding it (0 = nobody).
 */
static int
forward_try_lock(struct forward *f)
{
	struct flock fl;
	int fd;

	if (f->owner)
		return 1;
	if (f->lock_path == NULL)
		return 0;
	if (supervisor_owned_has(f->lock_path)) {
		/* Another forward in this very process owns it. */
		f->owner_pid = getpid();
		return 0;
	}
	if (f->lock_fd == -1) {
		fd = open(f->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd == -1)
			return 0;
		f->lock_fd = fd;
	}
	memset(&fl, 0, sizeof fl);
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (f->may_own && fcntl(f->lock_fd, F_SETLK, &fl) == 0) {
		f->owner = 1;
		f->owner_pid = getpid();
		supervisor_owned_set(f->lock_path, 1);
		return 1;
	}
	memset(&fl, 0, sizeof fl);
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	f->owner_pid = 0;
	if (fcntl(f->lock_fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
		f->owner_pid = fl.l_pid;
	return 0;
}

/* Start ssh; the caller checked the path. */
static int
forward_spawn(struct forward *f, char **cause)
{
	char *argv[64], *fwd, *alias, *alive, *port, *own[2], *ctl;
	char *note = NULL, *key = NULL;
	int n = 0, efd;
	pid_t pid;

	if (ssh_ensure_key(f->state_dir, f->profile, &key, &note, cause) != 0)
		return -1;
	if (note != NULL) {
		forward_message(f, 1, "%s", note);
		free(note);
	}
	free(key);

	fwd = xasprintf("%s:%s", f->path, f->guest_socket);
	/*
	 * A control master, so published ports join this one connection
	 * (ssh -O forward); a control socket left by a killed ssh would
	 * only turn multiplexing off, so it goes first (our state dir).
	 */
	unlink(f->ctl_path);
	ctl = xasprintf("ControlPath=%s", f->ctl_path);
	alias = xasprintf("berth-%s", f->profile);
	alive = xasprintf("ServerAliveInterval=%d", FORWARD_ALIVE_INTERVAL);
	port = xasprintf("%d", f->port);
	n = ssh_args(argv, f->key, f->known_hosts, alias, port, f->user, own);
	argv[n++] = (char *)"-N";
	argv[n++] = (char *)"-o";
	argv[n++] = (char *)"ExitOnForwardFailure=yes";
	argv[n++] = (char *)"-o";
	argv[n++] = alive;
	argv[n++] = (char *)"-o";
	argv[n++] = (char *)"ServerAliveCountMax=3";
	argv[n++] = (char *)"-o";
	argv[n++] = (char *)"ControlMaster=yes";
	argv[n++] = (char *)"-o";
	argv[n++] = ctl;
	argv[n++] = (char *)"-o";
	argv[n++] = (char *)"StreamLocalBindMask=0177";
	argv[n++] = (char *)"-o";
	argv[n++] = (char *)"StreamLocalBindUnlink=no";
	argv[n++] = (char *)"-L";
	argv[n++] = fwd;
	argv[n++] = (char *)"--";
	argv[n++] = f->host;
	argv[n] = NULL;

	/*
	 * Its own process group: the terminal's ^C is for berth, not ssh.
	 * Its standard error is read for the reason it exits (f->err_fd).
	 */
	pid = proc_start(argv, PROC_PGROUP, &efd, cause);
	free(fwd);
	free(ctl);
	free(alias);
	free(own[0]);
	free(own[1]);
	free(alive);
	free(port);
	if (pid == -1) {
		f->pid = 0;
		return -1;
	}
	f->pid = pid;
	f->err_fd = efd;
	f->errlen = 0;
	forward_set_str(&f->last_err, NULL);
	return 0;
}

/* Whether the owner's forward is up (ssh runs and /_ping answered). */
static int
forward_up(const struct forward *f)
{
	return f->owner && f->phase == PHASE_UP;
}

/*
 * The ports' way to add or cancel a port forward on the running ssh
 * (ssh_ctl through its control socket); arg is the forward.
 */
static int
forward_ports_ctl(void *arg, const char *op, const char *spec, char **cause)
{
	struct forward *f = arg;

	if (f->pid <= 0 || f->host == NULL || f->ctl_path == NULL) {
		util_set_cause(cause, "the socket forward is not running");
		return -1;
	}
	/* ssh may take seconds under load: show the port as pending. */
	forward_write_status(f);
	return ssh_ctl(f->ctl_path, f->host, op, spec, cause);
}

/* Keep the last complete line ssh wrote on stderr, and log everything. */
static void
forward_read_stderr(struct forward *f)
{
	char buf[1024], *nl, *start, *line;
	ssize_t n;
	FILE *log = NULL;

	for (;;) {
		n = read(f->err_fd, buf, sizeof buf);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (log == NULL && f->log_path != NULL)
			log = fopen(f->log_path, "a");
		if (log != NULL)
			fwrite(buf, 1, (size_t)n, log);
		if (f->errlen + (size_t)n >= sizeof f->errbuf)
			f->errlen = 0;
		memcpy(f->errbuf + f->errlen, buf, (size_t)n);
		f->errlen += (size_t)n;
		f->errbuf[f->errlen] = '\0';
		start = f->errbuf;
		while ((nl = strchr(start, '\n')) != NULL) {
			*nl = '\0';
			if (nl > start && nl[-1] == '\r')
				nl[-1] = '\0';
			if (*start != '\0') {
				line = util_sanitize_dup(start, strlen(start));
				free(f->last_err);
				f->last_err = line;
			}
			start = nl + 1;
		}
		f->errlen = strlen(start);
		memmove(f->errbuf, start, f->errlen + 1);
	}
	if (log != NULL)
		fclose(log);
}

/*
 * Reap ssh if it exited (non-blocking). Returns 1 when it is gone, with
 * the reason in *why (caller frees).
 */
static int
forward_reap(struct forward *f, char **why)
{
	int status;
	pid_t r;

	*why = NULL;
	if (f->pid <= 0)
		return 1;
	r = waitpid(f->pid, &status, WNOHANG);
	if (r == 0)
		return 0;
	if (f->err_fd != -1) {
		forward_read_stderr(f);
		close(f->err_fd);
		f->err_fd = -1;
	}
	if (r == f->pid) {
		if (f->last_err != NULL)
			*why = xasprintf("ssh exited: %s", f->last_err);
		else if (WIFSIGNALED(status))
			*why = xasprintf("ssh was killed by signal %d",
			                 WTERMSIG(status));
		else
			*why = xasprintf("ssh exited with status %d",
			                 WEXITSTATUS(status));
	} else
		*why = xstrdup("ssh is gone");
	f->pid = 0;
	return 1;
}

/* Stop ssh and remove the socket it served (ours only). */
static void
forward_kill(struct forward *f)
{
	struct stat sb;
	char *why;
	int i;

	if (f->pid > 0) {
		kill(f->pid, SIGTERM);
		for (i = 0; i < 100; i++) {
			if (forward_reap(f, &why)) {
				free(why);
				break;
			}
			usleep(10000);
		}
		if (f->pid > 0) {
			kill(f->pid, SIGKILL);
			waitpid(f->pid, NULL, 0);
			f->pid = 0;
		}
	}
	if (f->err_fd != -1) {
		close(f->err_fd);
		f->err_fd = -1;
	}
	if (f->owner && f->ssh && lstat(f->path, &sb) == 0 &&
	    S_ISSOCK(sb.st_mode) && sb.st_uid == geteuid() &&
	    !health_socket_live(f->path))
		unlink(f->path);
}

/* Words for why ssh failed, with what to do about it. */
static char *
forward_explain(struct forward *f, const char *why)
{
	if (why == NULL)
		return xstrdup("ssh exited");
	if (strstr(why, "Connection refused") != NULL ||
	    strstr(why, "kex_exchange_identification") != NULL ||
	    strstr(why, "Connection reset") != NULL ||
	    strstr(why, "Connection closed") != NULL ||
	    strstr(why, "timed out") != NULL)
		return xasprintf("guest sshd at %s:%d not answering yet (%s)",
		                 f->host, f->port, why);
	if (strstr(why, "Permission denied") != NULL)
		return xasprintf("%s; the guest must accept berth's key %s.pub "
		                 "for %s",
		                 why, f->key, f->user);
	if (strstr(why, "Host key verification failed") != NULL ||
	    strstr(why, "IDENTIFICATION HAS CHANGED") != NULL)
		return xasprintf("%s; if the VM was re-created, run ssh-keygen "
		                 "-R berth-%s -f %s",
		                 why, f->profile, f->known_hosts);
	if (strstr(why, "Address already in use") != NULL)
		return xasprintf("%s; another process serves %s", why, f->path);
	return xstrdup(why);
}

/* Schedule the next start with backoff after a failure. */
static void
forward_backoff(struct forward *f, uint64_t now)
{
	uint64_t d = FORWARD_BACKOFF_MIN_MS;
	int i;

	for (i = 1; i < f->nfail && d < FORWARD_BACKOFF_MAX_MS; i++)
		d *= 2;
	if (d > FORWARD_BACKOFF_MAX_MS)
		d = FORWARD_BACKOFF_MAX_MS;
	f->next_start = f->nfail <= 1 ? now : now + d;
}

/* ssh went away or stopped working: note why and plan the restart. */
static void
forward_down(struct forward *f, const char *why, uint64_t now)
{
	char *text = forward_explain(f, why);

	if (f->phase == PHASE_UP)
		forward_message(f, 1, "socket forward down: %s", text);
	forward_set_str(&f->error, text);
	free(text);
	if (f->phase != PHASE_UP)
		f->nfail++;
	else
		f->nfail = 1;
	f->phase = PHASE_IDLE;
	f->healthy = 0;
	forward_backoff(f, now);
	forward_set_str(&f->stage, f->next_start > now ? "waiting to retry"
	                                               : "restarting");
}

/* Start ssh now if the path and target allow it. */
static void
forward_start(struct forward *f, uint64_t now)
{
	char *cause = NULL;
	int live;

	if (f->host == NULL || f->port <= 0) {
		forward_set_str(&f->stage, "waiting for the VM's SSH port");
		forward_set_str(&f->error, "the VM is not running or its SSH "
		                           "port is not known yet");
		return;
	}
	if (health_check_path(f->path, f->state_dir, &live, &cause) != 0) {
		f->phase = PHASE_REFUSED;
		forward_set_str(&f->stage, "refused");
		forward_set_str(&f->error, cause);
		forward_message(f, 2, "%s", cause);
		free(cause);
		return;
	}
	if (live) {
		/* Someone else serves it; don't fight over the path. */
		forward_set_str(&f->stage, "socket served by another process");
		forward_set_str(&f->error,
		                "another process listens on the socket; berth "
		                "checks it but does not run the forward");
		f->next_start = now + FORWARD_BACKOFF_MAX_MS;
		return;
	}
	if (forward_spawn(f, &cause) != 0) {
		forward_set_str(&f->error, cause);
		forward_set_str(&f->stage, "waiting to retry");
		free(cause);
		f->nfail++;
		forward_backoff(f, now);
		if (f->next_start == now)
			f->next_start = now + FORWARD_BACKOFF_MIN_MS;
		return;
	}
	if (f->started_once) {
		f->restarts++;
		f->last_restart_ms = util_now_ms();
	}
	f->started_once = 1;
	f->phase = PHASE_STARTING;
	f->phase_since = now;
	f->next_poll = now;
	f->ping_fails = 0;
	f->slow_pings = 0;
	forward_set_str(&f->stage, "connecting to the guest's sshd");
}

/*
 * Ping the socket and record what it says. Returns 0 when healthy, -2
 * when the daemon was too slow to answer, else -1.
 */
static int
forward_check(struct forward *f)
{
	char *api = NULL, *cause = NULL;
	double ms;
	int was = f->healthy, rc;

	f->checked_ms = util_now_ms();
	if ((rc = health_ping(f->path, FORWARD_PING_TIMEOUT_MS, &ms, &api,
	                      &cause)) != 0) {
		f->healthy = 0;
		forward_set_str(&f->error, cause);
		free(cause);
		return rc;
	}
	f->healthy = 1;
	f->ping_ms = ms;
	forward_set_str(&f->error, NULL);
	if (api != NULL) {
		forward_set_str(&f->api_version, api);
		free(api);
	}
	if (!was || f->engine_version == NULL) {
		free(f->engine_version);
		f->engine_version =
		    health_engine_version(f->path, FORWARD_PING_TIMEOUT_MS);
	}
	return 0;
}

/* Make sure the socket is 0600 once ssh has made it. */
static void
forward_fix_mode(struct forward *f)
{
	struct stat sb;

	if (lstat(f->path, &sb) == 0 && S_ISSOCK(sb.st_mode) &&
	    sb.st_uid == geteuid() && (sb.st_mode & 077) != 0)
		chmod(f->path, 0600);
}

/* Owner: advance the ssh state machine; runs on ticks and timeouts. */
static void
forward_owner_step(struct forward *f, int tick)
{
	uint64_t now = util_mono_ms();
	char *why = NULL;
	int rc;

	if (f->phase == PHASE_REFUSED)
		return;
	if (f->pid > 0 && forward_reap(f, &why)) {
		forward_down(f, why, now);
		free(why);
	}
	if (f->phase == PHASE_IDLE && now >= f->next_start) {
		forward_start(f, now);
		if (f->phase != PHASE_STARTING)
			return;
	}
	if (f->phase == PHASE_STARTING && now >= f->next_poll) {
		f->next_poll = now + FORWARD_START_POLL_MS;
		if (health_socket_live(f->path)) {
			forward_set_str(&f->stage,
			                "forwarding; waiting for the daemon");
			if (forward_check(f) != 0) {
				/*
				 * ssh serves the socket but the daemon
				 * behind it does not answer yet (a guest
				 * still booting): ping again in a second,
				 * not every poll, so the engine is not
				 * held up by timeouts.
				 */
				f->next_poll = now + 1000;
			} else {
				forward_fix_mode(f);
				if (f->restarts > 0)
					forward_message(
					    f, 0,
					    "socket forward restarted (%d "
					    "restart%s)",
					    f->restarts,
					    f->restarts == 1 ? "" : "s");
				f->phase = PHASE_UP;
				f->nfail = 0;
				f->ping_fails = 0;
				forward_set_str(&f->stage, "up");
			}
		} else if (now - f->phase_since > FORWARD_START_TIMEOUT) {
			forward_kill(f);
			forward_down(f,
			             "ssh connected but never opened the "
			             "socket",
			             now);
		}
		return;
	}
	if (f->phase == PHASE_UP && tick) {
		if ((rc = forward_check(f)) == 0) {
			f->ping_fails = 0;
			f->slow_pings = 0;
			forward_set_str(&f->stage, "up");
		} else if (rc == -2 && ++f->slow_pings < FORWARD_SLOW_PINGS) {
			/*
			 * ssh runs and the socket took the request: the
			 * daemon is busy (an image import on a slow guest).
			 * A restart would cut the transfers in flight, and
			 * ssh's keepalive notices a dead link by itself.
			 */
			forward_set_str(&f->stage, "up; the daemon is slow to "
			                           "answer");
		} else if (++f->ping_fails >= FORWARD_PING_FAILS ||
		           f->slow_pings >= FORWARD_SLOW_PINGS) {
			why = xstrdup(f->error != NULL ? f->error
			                               : "ping failed");
			forward_kill(f);
			forward_down(f, why, now);
			free(why);
			if (now >= f->next_start)
				forward_start(f, now);
		} else
			forward_set_str(&f->stage, "up; ping failed once");
	}
}

/*
 * Add ssh's stderr pipe to the engine's poll set and shorten the timeout
 * while a start or retry is due. Returns the number of pollfds used.
 */
int
forward_prepare(struct forward *f, struct pollfd *pfd, int max, int *timeout)
{
	uint64_t now = util_mono_ms(), due = 0;
	int n = 0;

	if (!f->owner)
		return 0;
	if (f->err_fd != -1 && max > 0) {
		pfd[0].fd = f->err_fd;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		n = 1;
	}
	if (f->phase == PHASE_STARTING)
		due = f->next_poll;
	else if (f->phase == PHASE_IDLE)
		due = f->next_start;
	if (due != 0) {
		int left = due > now ? (int)(due - now) : 0;

		if (*timeout < 0 || left < *timeout)
			*timeout = left;
	}
	return n;
}

/* Read ssh's stderr; notice at once when it exits; run due retries. */
void
forward_dispatch(struct forward *f, const struct pollfd *pfd, int n)
{
	if (!f->owner)
		return;
	if (n > 0 && f->err_fd != -1 && pfd[0].fd == f->err_fd &&
	    (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0)
		forward_read_stderr(f);
	forward_owner_step(f, 0);
	forward_write_status(f);
}

/* Observer: ping, and read the owner's view from its status file. */
static void
forward_observe(struct forward *f)
{
	char *cause = NULL;

	if (f->ssh && f->phase == PHASE_REFUSED)
		return;
	if (f->ssh && health_path_refused(f->path, &cause) != 0) {
		f->healthy = 0;
		forward_set_str(&f->stage, "refused");
		forward_set_str(&f->error, cause);
		free(cause);
		return;
	}
	forward_check(f);
	if (!f->ssh) {
		forward_set_str(&f->stage, f->healthy ? "up" : "down");
		return;
	}
	if (f->owner_pid > 0)
		forward_read_status(f);
	else {
		forward_set_str(&f->stage, "not running");
		if (f->healthy)
			forward_set_str(&f->error,
			                "the socket answers, but no berth "
			                "process supervises it");
		else
			forward_set_str(
			    &f->error,
			    "no berth process runs the forward (berth "
			    "start, or berth socket "
			    "start)");
	}
}

/* Once per refresh: become owner if possible, then check or supervise. */
void
forward_tick(struct forward *f)
{
	if (f->ssh && f->phase != PHASE_REFUSED)
		forward_try_lock(f);
	if (f->owner) {
		forward_owner_step(f, 1);
		forward_write_status(f);
	} else
		forward_observe(f);
	f->pending = f->owner && f->phase == PHASE_STARTING &&
	             util_mono_ms() - f->phase_since < 5000;
}

/* Nonzero while the first start is still coming up (one-shot callers). */
int
forward_pending(struct forward *f)
{
	if (!f->owner)
		return 0;
	return f->phase == PHASE_STARTING &&
	       util_mono_ms() - f->phase_since < 5000;
}

/* Restart the forward now (the Socket pane's key, SIGUSR1). */
void
forward_restart(struct forward *f)
{
	if (!f->owner)
		return;
	if (f->phase == PHASE_REFUSED)
		f->phase = PHASE_IDLE;
	forward_kill(f);
	f->phase = PHASE_IDLE;
	f->healthy = 0;
	f->nfail = 0;
	f->next_start = 0;
	forward_set_str(&f->stage, "restarting");
	forward_owner_step(f, 0);
	forward_write_status(f);
}

/* Stop ssh and remove the socket (owner only). */
void
forward_stop(struct forward *f)
{
	if (!f->owner)
		return;
	forward_kill(f);
	f->phase = PHASE_IDLE;
	f->healthy = 0;
	forward_set_str(&f->stage, "stopped");
	if (f->status_path != NULL)
		unlink(f->status_path);
	free(f->status_written);
	f->status_written = NULL;
}

/* Write <state>/forward.json for observers (owner only). */
static void
forward_write_status(struct forward *f)
{
	json_t *j;
	char *s;

	if (!f->owner || f->status_path == NULL)
		return;
	j = json_pack("{s:i, s:b, s:i, s:i, s:I, s:b, s:s?, s:s?, s:s?}",
	              "owner_pid", (int)getpid(), "supervisor", f->may_own == 2,
	              "pid", (int)f->pid, "restarts", f->restarts,
	              "last_restart_ms", (json_int_t)f->last_restart_ms,
	              "healthy", f->healthy, "stage", f->stage, "error",
	              f->error, "host", f->host);
	if (j == NULL)
		return;
	json_object_set_new(j, "port", json_integer(f->port));
	if (f->ports != NULL)
		json_object_set_new(j, "ports", ports_json(f->ports));
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (s == NULL)
		return;
	/* Unchanged: no rewrite (and no fsync) every refresh. */
	if (f->status_written != NULL && strcmp(s, f->status_written) == 0) {
		free(s);
		return;
	}
	if (util_write_file_atomic(f->status_path, s, strlen(s), 0600, 0,
	                           NULL) == 0) {
		free(f->status_written);
		f->status_written = s;
	} else
		free(s);
}

/* Read the owner's status file into f (observer). */
static void
forward_read_status(struct forward *f)
{
	char *buf;
	json_t *j;
	const char *s;

	if (f->status_path == NULL ||
	    (buf = util_read_file(f->status_path, NULL, NULL)) == NULL)
		return;
	j = json_loads(buf, 0, NULL);
	free(buf);
	if (j == NULL)
		return;
	f->pid = (pid_t)json_integer_value(json_object_get(j, "pid"));
	f->restarts = (int)json_integer_value(json_object_get(j, "restarts"));
	f->last_restart_ms =
	    (uint64_t)json_integer_value(json_object_get(j, "last_restart_ms"));
	f->persist = json_is_true(json_object_get(j, "supervisor"));
	if ((s = json_string_value(json_object_get(j, "stage"))) != NULL) {
		if (f->healthy || strcmp(s, "up") != 0)
			forward_set_str(&f->stage, s);
		else
			forward_set_str(&f->stage, "up per owner, but the "
			                           "socket does not answer");
	}
	/* The owner knows why better than a failed ping does. */
	if (!f->healthy &&
	    (s = json_string_value(json_object_get(j, "error"))) != NULL)
		forward_set_str(&f->error, s);
	if ((s = json_string_value(json_object_get(j, "host"))) != NULL) {
		forward_set_str(&f->host, s);
		f->port = (int)json_integer_value(json_object_get(j, "port"));
	}
	if (f->ports_seen != NULL)
		json_decref(f->ports_seen);
	f->ports_seen = json_incref(json_object_get(j, "ports"));
	json_decref(j);
}

/* Copy the forward's state into a snapshot's socket section. */
void
forward_fill(struct forward *f, struct model_socket *s)
{
	forward_set_str(&s->path, f->path);
	forward_set_str(&s->mode, f->ssh ? "ssh" : "none");
	forward_set_str(&s->source,
	                f->ssh ? (f->from_vm ? "vm" : "profile") : "host");
	s->healthy = f->healthy;
	s->ping_ms = f->healthy ? f->ping_ms : 0;
	forward_set_str(&s->error, f->healthy ? NULL : f->error);
	forward_set_str(&s->api_version, f->api_version);
	forward_set_str(&s->engine_version, f->engine_version);
	s->restarts = f->restarts;
	s->last_restart_ms = f->last_restart_ms;
	forward_set_str(&s->stage, f->stage);
	free(s->guest);
	s->guest = NULL;
	if (f->ssh && f->host != NULL)
		s->guest = xasprintf("%s@%s:%d:%s", f->user, f->host, f->port,
		                     f->guest_socket);
	s->pid = (int)f->pid;
	s->owner_pid = f->owner ? (int)getpid() : (int)f->owner_pid;
	s->persist = f->persist;
	s->checked_ms = f->checked_ms;
	if (f->ports != NULL) {
		json_t *a = ports_json(f->ports);

		ports_fill(a, s);
		json_decref(a);
	} else
		ports_fill(f->owner_pid > 0 ? f->ports_seen : NULL, s);
}

/*
 * The supervisor loop (berth socket --supervise, berth socket start):
 * owns the forward until *stop is set, restarting it when *restart is set.
 * wake_fd (a self-pipe's read end, -1 = none) interrupts the wait for
 * signals. ready_fd (-1 = none) gets one byte after the first start
 * attempt settled. Returns 0, -1 when another process owns the forward,
 * -2 when its path is refused (the reason is in the forward's error).
 */
int
forward_run(struct forward *f, int wake_fd, volatile sig_atomic_t *stop,
            volatile sig_atomic_t *restart, int ready_fd)
{
	struct pollfd pfd[32];
	uint64_t next_tick = 0, now, interval;
	int n, np, timeout, i;
	char buf[64];

	f->may_own = 2; /* a supervisor */
	for (i = 0; i < 20 && !forward_try_lock(f); i++)
		usleep(100000);
	if (!f->owner)
		return -1;
	if (f->ssh)
		f->ports = ports_new(f->path, forward_ports_ctl, f);
	interval = f->refresh_ms;
	while (!*stop) {
		now = util_mono_ms();
		if (*restart) {
			*restart = 0;
			forward_restart(f);
		}
		if (now >= next_tick) {
			forward_tick(f);
			next_tick = now + interval;
		}
		if (ready_fd != -1 && f->phase != PHASE_STARTING) {
			if (write(ready_fd, "r", 1) == -1) {
				/* The waiting parent is gone; carry on. */
			}
			close(ready_fd);
			ready_fd = -1;
		}
		if (f->phase == PHASE_REFUSED)
			break;
		if (f->ports != NULL) {
			ports_tick(f->ports, forward_up(f));
			forward_write_status(f);
		}
		timeout = (int)(next_tick - now);
		n = forward_prepare(f, pfd, 1, &timeout);
		np = f->ports != NULL
		         ? ports_prepare(f->ports, pfd + n,
		                         (int)nitems(pfd) - n - 1, &timeout)
		         : 0;
		if (wake_fd != -1) {
			pfd[n + np].fd = wake_fd;
			pfd[n + np].events = POLLIN;
			pfd[n + np].revents = 0;
		}
		if (poll(pfd, (nfds_t)(n + np + (wake_fd != -1)), timeout) >
		        0 &&
		    wake_fd != -1 && (pfd[n + np].revents & POLLIN))
			while (read(wake_fd, buf, sizeof buf) > 0)
				;
		forward_dispatch(f, pfd, n);
		if (f->ports != NULL)
			ports_dispatch(f->ports, pfd + n, np, forward_up(f));
	}
	if (ready_fd != -1)
		close(ready_fd);
	ports_free(f->ports);
	f->ports = NULL;
	i = f->phase == PHASE_REFUSED;
	forward_stop(f);
	return i ? -2 : 0;
}
