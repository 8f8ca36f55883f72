/*
 * mounts.c: the mounts engine component and the watcher behind polling
 * mode. Every mount of the profile gets a watcher thread; with watch:
 * poll it runs the tiered scanner (scan.c), with watch: native it lets
 * inotify say which directories to look at (falling back to polling when
 * the host cannot watch), and either way each pass's changes are
 * coalesced into one batch and replayed in the guest (replay.c) in one
 * guest-agent round trip. A batch that cannot be delivered (VM down,
 * agent silent) stays queued and grows by coalescing; nothing is dropped.
 *
 * Threads, because a pass over a huge folder or an agent round trip on a
 * TCG guest can take longer than the engine may block: the engine thread
 * only flips modes and copies figures; a byte on a pipe tells it that
 * figures changed. The libvirt connection is this component's own,
 * opened on first use and shared by the watchers under a lock.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "core/core.h"
#include "socket/socket.h"
#include "mounts/mounts.h"
#include "vm/vm.h"

#define MOUNTS_CHUNK        (16 * 1024) /* input bytes per guest-exec (~400 paths) */
#define MOUNTS_RETRY_MS     3000
#define MOUNTS_GUARD_MS     10000
#define MOUNTS_PIN_CHECK_MS 10000 /* how often to ask the guest's boot id */
#define MOUNTS_PUBLISH_MS   1000  /* figures for a standby, at most */
#define MOUNTS_ADOPT_MS     1000  /* a standby re-reads them */
#define MOUNTS_PIN_NOTE     "cannot hold"

/* Tools that poll on their own when told to; berth's replay replaces it. */
const char *const mounts_env_hint[] = {
    "CHOKIDAR_USEPOLLING=true",   /* chokidar: webpack-dev-server, vite */
    "WATCHPACK_POLLING=true",     /* webpack 5 */
    "WATCHFILES_FORCE_POLLING=1", /* uvicorn --reload, watchfiles */
    "TSC_WATCHFILE=PriorityPollingInterval", /* tsc --watch */
    NULL,
};

struct mwatch {
	struct mounts *m;
	size_t index;
	const struct profile_mount *pm;
	pthread_t thread;
	int started;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum profile_watch mode; /* what the user asked for */
	int stop;

	/* Figures, under lock. */
	enum profile_watch active; /* native may fall back to poll */
	int present; /* in the domain XML: 1, 0, -1 not known yet */
	uint64_t files, dirs, last_pass_ms, full_pass_ms;
	uint64_t replayed, queued, failed, errors, changes, passes;
	int64_t latency_ms;
	int64_t pinned;         /* -1: not a 9p share, or not watching */
	const char *via;        /* the transport of the last guest command */
	uint64_t git_negations; /* "!" lines of .gitignore, not supported */
	char *note;

	/* The watcher thread's own. */
	int lock_fd;          /* this mount's watch lock, -1 when not held */
	char *published;      /* the figures last written for standbys */
	uint64_t publish_at;  /* not before (monotonic ms) */
	char boot[64];        /* the guest's boot id, as the last replay said */
	uint64_t agent_retry; /* auto: ssh until then, the agent failed */
	char **ign;           /* the scanner's ignore globs */
	size_t nign;
};

struct mounts {
	const struct profile *p;
	struct mwatch *w;
	size_t n;
	void (*notify)(void *);
	void *notify_arg;

	pthread_mutex_t conn_lock;
	virConnectPtr conn;
	uint64_t conn_retry; /* monotonic ms before which not to retry */
	int xml_checked;     /* mounts_check_present() ran on this conn */
	char *conn_error;

	/* The SSH transport: address from the profile, the profile's key. */
	struct replay_ssh ssh;
	char *state_dir; /* NULL: no state dir, so no key */
	int key_ready;   /* ssh_ensure_key() succeeded (under ssh_lock) */
	pthread_mutex_t ssh_lock;
};

static void *mounts_thread(void *);
static void mounts_quiet(void *, virErrorPtr);

const char *
mounts_watch_name(enum profile_watch w)
{
	static const char *const names[] = {"off", "poll", "native"};

	return (size_t)w < nitems(names) ? names[w] : "?";
}

/* "off", "poll" (or "on"), "native". */
int
mounts_watch_parse(const char *s, enum profile_watch *w)
{
	if (strcmp(s, "off") == 0)
		*w = PROFILE_WATCH_OFF;
	else if (strcmp(s, "poll") == 0 || strcmp(s, "on") == 0)
		*w = PROFILE_WATCH_POLL;
	else if (strcmp(s, "native") == 0)
		*w = PROFILE_WATCH_NATIVE;
	else
		return -1;
	return 0;
}

static void mwatch_note(struct mwatch *w, const char *fmt, ...)
    BERTH_PRINTFLIKE(2, 3);

/* Set the mount's note (under lock) and tell the engine. */
static void
mwatch_note(struct mwatch *w, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	if (fmt != NULL) {
		va_start(ap, fmt);
		s = xvasprintf(fmt, ap);
		va_end(ap);
	}
	pthread_mutex_lock(&w->lock);
	free(w->note);
	w->note = s;
	pthread_mutex_unlock(&w->lock);
	if (w->m->notify != NULL)
		w->m->notify(w->m->notify_arg);
}

/*
 * The guest's SSH address as the socket forward finds it in the profile:
 * docker.ssh_host/ssh_port, else the VM's forwarded vm.ssh_port on this
 * host; the profile's own key and known_hosts.
 */
static void
mounts_ssh_init(struct mounts *m, const struct profile *p)
{
	char *cause = NULL;

	if (p->docker.ssh_host != NULL || p->docker.ssh_port > 0) {
		m->ssh.host =
		    xstrdup(p->docker.ssh_host != NULL ? p->docker.ssh_host
		                                       : "127.0.0.1");
		m->ssh.port = p->docker.ssh_port > 0 ? p->docker.ssh_port : 22;
	} else if (p->vm.ssh_port > 0) {
		m->ssh.host = xstrdup("127.0.0.1");
		m->ssh.port = p->vm.ssh_port;
	}
	m->ssh.user = xstrdup(p->vm.ssh_user != NULL ? p->vm.ssh_user : "root");
	m->ssh.alias = xasprintf("berth-%s", p->name);
	if (p->name != NULL &&
	    (m->state_dir = supervisor_state_dir(p->name, &cause)) != NULL) {
		m->ssh.key = xasprintf("%s/ssh/id_ed25519", m->state_dir);
		m->ssh.known_hosts =
		    xasprintf("%s/ssh/known_hosts", m->state_dir);
	}
	free(cause);
}

static virDomainPtr mounts_domain(struct mounts *, char **);

/* Run a guest command over SSH (making the profile's key if needed). */
static int
mounts_ssh_exec(struct mounts *m, const char *script, const char *arg,
                const char *input, size_t len, uint64_t budget, char **out,
                int *code, char **cause)
{
	struct replay_ssh t;
	char *key = NULL;

	if (m->ssh.key == NULL) {
		util_set_cause(cause, "no state folder for the profile's SSH "
		                      "key");
		return -1;
	}
	pthread_mutex_lock(&m->ssh_lock);
	if (!m->key_ready &&
	    ssh_ensure_key(m->state_dir, m->p->name, &key, NULL, cause) == 0)
		m->key_ready = 1;
	pthread_mutex_unlock(&m->ssh_lock);
	free(key);
	if (!m->key_ready)
		return -1;
	pthread_mutex_lock(&m->ssh_lock);
	t = m->ssh; /* its strings live as long as m */
	pthread_mutex_unlock(&m->ssh_lock);
	if (t.host == NULL) {
		/* Learn the forwarded port from the domain's XML. */
		virDomainPtr dom = mounts_domain(m, NULL);

		if (dom != NULL)
			virDomainFree(dom);
		pthread_mutex_lock(&m->ssh_lock);
		t = m->ssh;
		pthread_mutex_unlock(&m->ssh_lock);
	}
	return replay_ssh_exec(&t, script, arg, input, len, budget, out, code,
	                       cause);
}

/*
 * Watchers for every mount of the profile (which must outlive them);
 * notify(arg) is called from watcher threads when figures change.
 */
struct mounts *
mounts_new(const struct profile *p, void (*notify)(void *), void *arg)
{
	struct mounts *m = xcalloc(1, sizeof *m);
	size_t i;

	/* Errors come back as causes; nothing may print under curses. */
	virSetErrorFunc(NULL, mounts_quiet);
	m->p = p;
	m->notify = notify;
	m->notify_arg = arg;
	pthread_mutex_init(&m->conn_lock, NULL);
	pthread_mutex_init(&m->ssh_lock, NULL);
	mounts_ssh_init(m, p);
	m->n = p->nmounts;
	m->w = xcalloc(m->n + 1, sizeof *m->w);
	for (i = 0; i < m->n; i++) {
		struct mwatch *w = &m->w[i];

		w->m = m;
		w->index = i;
		w->pm = &p->mounts[i];
		w->mode = w->pm->watch;
		w->active = PROFILE_WATCH_OFF;
		w->latency_ms = -1;
		w->pinned = -1;
		w->present = -1;
		w->lock_fd = -1;
		pthread_mutex_init(&w->lock, NULL);
		pthread_cond_init(&w->cond, NULL);
		if (pthread_create(&w->thread, NULL, mounts_thread, w) != 0)
			fatal("cannot start a mount watcher thread");
		w->started = 1;
	}
	return m;
}

void
mounts_free(struct mounts *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n; i++) {
		struct mwatch *w = &m->w[i];

		pthread_mutex_lock(&w->lock);
		w->stop = 1;
		pthread_cond_signal(&w->cond);
		pthread_mutex_unlock(&w->lock);
	}
	for (i = 0; i < m->n; i++) {
		struct mwatch *w = &m->w[i];

		if (w->started)
			pthread_join(w->thread, NULL);
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->cond);
		free(w->note);
	}
	if (m->conn != NULL)
		virConnectClose(m->conn);
	free(m->conn_error);
	pthread_mutex_destroy(&m->conn_lock);
	pthread_mutex_destroy(&m->ssh_lock);
	free(m->ssh.host);
	free(m->ssh.user);
	free(m->ssh.key);
	free(m->ssh.known_hosts);
	free(m->ssh.alias);
	free(m->state_dir);
	free(m->w);
	free(m);
}

/* Flip one mount's mode; the watcher applies it at once. */
int
mounts_set_watch(struct mounts *m, size_t i, enum profile_watch mode)
{
	struct mwatch *w;

	if (i >= m->n)
		return -1;
	w = &m->w[i];
	pthread_mutex_lock(&w->lock);
	w->mode = mode;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

/* Copy the figures into a snapshot. */
void
mounts_fill(struct mounts *m, struct model *model)
{
	size_t i;

	model->mounts = xcalloc(m->n + 1, sizeof *model->mounts);
	model->nmounts = m->n;
	for (i = 0; i < m->n; i++) {
		struct mwatch *w = &m->w[i];
		struct model_mount *mm = &model->mounts[i];
		static const char *const types[] = {"9p", "virtiofs", "sshfs"};

		mm->host = xstrdup(w->pm->host);
		mm->guest =
		    xstrdup(w->pm->guest != NULL ? w->pm->guest : w->pm->host);
		mm->type = xstrdup((size_t)w->pm->type < nitems(types)
		                       ? types[w->pm->type]
		                       : "?");
		mm->writable = w->pm->writable;
		pthread_mutex_lock(&w->lock);
		mm->present = w->present != 0;
		mm->watch = w->mode;
		mm->files = w->files;
		mm->dirs = w->dirs;
		mm->last_pass_ms = w->last_pass_ms;
		mm->replayed = w->replayed;
		mm->queued = w->queued;
		mm->failed = w->failed;
		mm->errors = w->errors;
		mm->latency_ms = w->latency_ms;
		mm->passes = w->passes;
		mm->pinned = w->pinned;
		mm->via = w->via;
		if (w->note != NULL)
			mm->note = xstrdup(w->note);
		else if (w->git_negations > 0 && w->mode != PROFILE_WATCH_OFF)
			mm->note = xasprintf(
			    ".gitignore: %llu negated (!) patterns are not "
			    "supported: what they keep stays ignored",
			    (unsigned long long)w->git_negations);
		else if (!w->pm->writable && w->mode != PROFILE_WATCH_OFF)
			mm->note =
			    xstrdup("read-only mount: replay can only "
			            "open for reading (IN_CLOSE_NOWRITE)");
		pthread_mutex_unlock(&w->lock);
	}
}

/* libvirt's default handler prints to stderr, under the dashboard. */
static void
mounts_quiet(void *arg, virErrorPtr e)
{
	(void)arg;
	(void)e;
}

/* A path as libvirt writes it in an attribute (caller frees). */
static char *
mounts_xml_attr(const char *in)
{
	char *out = xmalloc(strlen(in) * 6 + 1), *o = out;
	const char *rep;

	for (; *in != '\0'; in++) {
		switch (*in) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '\'':
			rep = "&apos;";
			break;
		case '"':
			rep = "&quot;";
			break;
		default:
			*o++ = *in;
			continue;
		}
		o = stpcpy(o, rep);
	}
	*o = '\0';
	return out;
}

/*
 * Is each mount's host folder a <filesystem> source of the domain? Asked
 * once per connection (under conn_lock); shown in the pane.
 */
static void
mounts_check_present(struct mounts *m, virDomainPtr dom)
{
	char *xml, *a, *b, *e;
	size_t i;
	int found;

	BERTH_ASSERT_LOCKED(&m->conn_lock);
	if (m->xml_checked)
		return;
	if ((xml = virDomainGetXMLDesc(dom, 0)) == NULL)
		return;
	m->xml_checked = 1;
	for (i = 0; i < m->n; i++) {
		struct mwatch *w = &m->w[i];

		e = mounts_xml_attr(w->pm->host);
		a = xasprintf("<source dir='%s'/>", e);
		b = xasprintf("<source dir=\"%s\"/>", e);
		found = strstr(xml, a) != NULL || strstr(xml, b) != NULL;
		free(a);
		free(b);
		free(e);
		pthread_mutex_lock(&w->lock);
		w->present = found;
		pthread_mutex_unlock(&w->lock);
	}
	/* No SSH address in the profile: the port berth forwarded to the
	 * guest's sshd when it defined the VM (vm.ssh_port: 0 picks one). */
	pthread_mutex_lock(&m->ssh_lock);
	if (m->ssh.host == NULL) {
		struct domxml_info info;

		memset(&info, 0, sizeof info);
		if (domxml_parse(xml, &info, NULL) == 0 && info.ssh_port > 0) {
			m->ssh.host = xstrdup("127.0.0.1");
			m->ssh.port = info.ssh_port;
		}
		domxml_info_free(&info);
	}
	pthread_mutex_unlock(&m->ssh_lock);
	free(xml);
}

/* The profile's domain, through this component's connection. */
static virDomainPtr
mounts_domain(struct mounts *m, char **cause)
{
	virDomainPtr dom = NULL;
	virErrorPtr e;

	pthread_mutex_lock(&m->conn_lock);
	if (m->conn == NULL && util_mono_ms() >= m->conn_retry) {
		m->conn = virConnectOpen(m->p->vm.uri);
		if (m->conn != NULL)
			virConnSetErrorFunc(m->conn, NULL, mounts_quiet);
		else {
			e = virGetLastError();
			free(m->conn_error);
			m->conn_error = xstrdup(e != NULL && e->message != NULL
			                            ? e->message
			                            : "cannot connect");
			m->conn_retry = util_mono_ms() + MOUNTS_RETRY_MS;
		}
	}
	if (m->conn == NULL) {
		util_set_cause(cause, "libvirt %s: %s", m->p->vm.uri,
		               m->conn_error != NULL ? m->conn_error
		                                     : "not connected");
		pthread_mutex_unlock(&m->conn_lock);
		return NULL;
	}
	dom = virDomainLookupByName(m->conn, m->p->vm.domain);
	if (dom != NULL)
		mounts_check_present(m, dom);
	if (dom == NULL) {
		e = virGetLastError();
		util_set_cause(cause, "domain %s: %s", m->p->vm.domain,
		               e != NULL && e->message != NULL ? e->message
		                                               : "not found");
		if (virConnectIsAlive(m->conn) != 1) {
			virConnectClose(m->conn);
			m->conn = NULL;
			m->xml_checked = 0;
		}
	}
	pthread_mutex_unlock(&m->conn_lock);
	return dom;
}

#define MOUNTS_AGENT_RETRY_MS 60000 /* auto: try the agent again after */

/*
 * Run `sh -c script berth [arg]` in the guest through the mount's
 * transport: the guest agent, SSH, or (auto) the agent and SSH when the
 * agent cannot be used, then SSH for a minute before the agent again.
 */
static int
mwatch_exec(struct mwatch *w, const char *script, const char *arg,
            const char *input, size_t len, uint64_t budget, char **out,
            int *code, char **cause)
{
	enum profile_transport t = w->pm->transport;
	char *acause = NULL, *scause = NULL;
	virDomainPtr dom;
	int rc = -1, have_ssh;

	if (t != PROFILE_TRANSPORT_SSH && (t == PROFILE_TRANSPORT_AGENT ||
	                                   util_mono_ms() >= w->agent_retry)) {
		if ((dom = mounts_domain(w->m, &acause)) != NULL) {
			rc = replay_agent_exec(dom, script, arg, input, len,
			                       budget, out, code, &acause);
			virDomainFree(dom);
		}
		pthread_mutex_lock(&w->m->ssh_lock);
		have_ssh = w->m->ssh.host != NULL;
		pthread_mutex_unlock(&w->m->ssh_lock);
		if (rc == 0 || t == PROFILE_TRANSPORT_AGENT || !have_ssh) {
			if (rc == 0)
				w->via = "agent";
			else if (cause != NULL) {
				free(*cause);
				*cause = acause;
				acause = NULL;
			}
			free(acause);
			return rc;
		}
	}
	rc = mounts_ssh_exec(w->m, script, arg, input, len, budget, out, code,
	                     &scause);
	if (rc == 0) {
		w->via = "ssh";
		if (acause != NULL)
			w->agent_retry = util_mono_ms() + MOUNTS_AGENT_RETRY_MS;
	} else if (acause != NULL)
		util_set_cause(cause, "%s; %s", acause, scause);
	else if (cause != NULL) {
		free(*cause);
		*cause = scause;
		scause = NULL;
	}
	free(acause);
	free(scause);
	return rc;
}

/*
 * Deliver the batch in chunks of MOUNTS_CHUNK input bytes; delivered
 * chunks leave the batch, the rest stays queued. Returns -1 and a cause
 * when the guest could not be reached.
 */
static int
mwatch_deliver(struct mwatch *w, struct replay_batch *b, char **cause)
{
	struct replay_result res;
	struct replay_batch rest = {0};
	size_t from = 0, next, len, i, lines;
	char *input, *out;
	int rc = 0, code;

	while (from < b->n) {
		input = replay_batch_encode(b, from, MOUNTS_CHUNK, &next, &len);
		memset(&res, 0, sizeof res);
		if (len > 0) {
			/* 10 s plus 30 ms a path: forks are slow under TCG. */
			for (i = lines = 0; i < len; i++)
				lines += input[i] == '\n';
			rc = mwatch_exec(w, replay_guest_script, NULL, input,
			                 len, 10000 + 30 * (uint64_t)lines,
			                 &out, &code, cause);
			if (rc == 0 && (code != 0 ||
			                replay_parse_output(out, &res) != 0)) {
				util_set_cause(cause,
				               "guest replay failed (exit %d)",
				               code);
				rc = -1;
			}
			if (rc == 0)
				free(out);
			else {
				free(out);
				free(input);
				break;
			}
		}
		free(input);
		if (res.boot[0] != '\0')
			snprintf(w->boot, sizeof w->boot, "%s", res.boot);
		pthread_mutex_lock(&w->lock);
		w->replayed += res.ok;
		w->failed += res.failed;
		pthread_mutex_unlock(&w->lock);
		from = next;
	}
	/* Keep what was not delivered. */
	for (i = from; i < b->n; i++)
		replay_batch_add_mode(&rest, b->v[i].path, b->v[i].rel,
		                      b->v[i].ops, b->v[i].is_dir,
		                      b->v[i].sticky);
	rest.changes = from < b->n ? b->changes : 0;
	rest.newest_ns = b->newest_ns;
	replay_batch_clear(b);
	*b = rest;
	return rc;
}

/*
 * Run a pin plan in the guest, chunk by chunk (an empty plan still runs
 * once: it asks the guest's boot id). Returns 1 when the guest's shell
 * cannot hold folders, -1 with a cause when the guest could not be
 * reached or answered badly; then the pins are invalidated.
 */
static int
mwatch_pin_run(struct mwatch *w, struct pinset *ps, const struct pin_plan *pl,
               struct pin_result *sum, char **cause)
{
	struct pin_result r;
	size_t from = 0, next, len, i, lines;
	char *input, *out;
	int code, rc = 0;

	memset(sum, 0, sizeof *sum);
	sum->holders = -1;
	do {
		input = pin_plan_encode(pl, from, MOUNTS_CHUNK, &next, &len);
		for (i = lines = 0; i < len; i++)
			lines += input[i] == '\n';
		rc = mwatch_exec(w, pin_guest_launcher, pin_guest_script, input,
		                 len, 10000 + 20 * (uint64_t)lines, &out, &code,
		                 cause);
		free(input);
		if (rc != 0)
			break;
		if (code != 0 || pin_parse_output(out, &r) != 0) {
			util_set_cause(
			    cause, "guest pin script failed (exit %d)", code);
			free(out);
			rc = -1;
			break;
		}
		free(out);
		if (r.unsupported) {
			rc = 1;
			break;
		}
		sum->pinned += r.pinned;
		sum->failed += r.failed;
		memcpy(sum->boot, r.boot, sizeof sum->boot);
		if (r.holders >= 0)
			sum->holders = r.holders;
		from = next;
	} while (from < pl->n);
	if (rc != 0)
		pinset_invalidate(ps);
	return rc;
}

/*
 * Bring the guest's pins up to date before this pass's replay, so a new
 * folder is held before its parent's event makes a watcher look it up:
 * every folder afresh when the guest's holders are not known to be right
 * (first pass, another boot, a failed run), else the pass's folder
 * changes. check: also ask the boot id when nothing changed.
 */
static int
mwatch_pin(struct mwatch *w, struct pinset *ps, const struct scan *s,
           const struct scan_changes *ch, int check, char **cause)
{
	struct pin_plan pl = {0};
	struct pin_result r = {0};
	int rc = 0, full = 0, round;

	for (round = 0; round < 2; round++) {
		full = pinset_needs_full(ps);
		if (full)
			pinset_plan_full(ps, s, &pl);
		else if (round == 0)
			pinset_plan_changes(ps, ch, &pl);
		if (pl.n == 0 && !check)
			break;
		if (check && !full)
			pinset_plan_check(ps, &pl);
		rc = mwatch_pin_run(w, ps, &pl, &r, cause);
		pin_plan_clear(&pl);
		if (rc == 0 && full)
			pinset_set_boot(ps, r.boot);
		if (rc != 0 || full)
			break;
		/* A new boot, or holders that died (the agent's service
		 * restarted), lost folders: pin afresh, at once. */
		pinset_check_boot(ps, r.boot);
		if (check)
			pinset_check_holders(ps, r.holders);
		if (!pinset_needs_full(ps))
			break;
	}
	pin_plan_clear(&pl);
	if (rc == 0 && full && r.pinned == 0 && r.failed > 0) {
		/* The share is not mounted in the guest (yet). */
		pinset_invalidate(ps);
		util_set_cause(cause, "the guest has no folders under %s yet",
		               w->pm->guest != NULL ? w->pm->guest
		                                    : w->pm->host);
		rc = -1;
	}
	pthread_mutex_lock(&w->lock);
	w->pinned = rc == 0 ? (int64_t)pinset_count(ps) : 0;
	pthread_mutex_unlock(&w->lock);
	return rc;
}

/* Let go of every folder this share pinned (watching turned off). */
static void
mwatch_unpin(struct mwatch *w, struct pinset *ps)
{
	struct pin_plan pl = {0};
	struct pin_result r;
	char *cause = NULL;

	pl.line = xcalloc(1, sizeof *pl.line);
	pl.line[0] = xasprintf("X %s- %s-off-", pinset_key(ps), pinset_key(ps));
	pl.n = pl.cap = 1;
	if (mwatch_pin_run(w, ps, &pl, &r, &cause) < 0)
		free(cause);
	pin_plan_clear(&pl);
}

/* <state>/watch-<hash of the host folder>.<ext> (caller frees). */
static char *
mwatch_state_file(const struct mwatch *w, const char *ext)
{
	uint32_t h = util_hash(w->pm->host, strlen(w->pm->host));

	return xasprintf("%s/watch-%08x.%s", w->m->state_dir, (unsigned)h, ext);
}

/*
 * One berth at a time watches a mount: two would replay every change
 * twice and sweep each other's folder holders in the guest. The lock is
 * a flock on <state>/watch-<hash of the host folder>.lock holding the
 * owner's pid; it goes when the owner exits. Returns 0 when this process
 * holds it (or there is no state folder to lock in), else -1 with the
 * other berth's pid in *owner (0 if unknown).
 */
static int
mwatch_lock(struct mwatch *w, long *owner)
{
	char *path;
	int fd;

	*owner = 0;
	if (w->lock_fd != -1 || w->m->state_dir == NULL)
		return 0;
	path = mwatch_state_file(w, "lock");
	fd = util_pidlock(path, owner);
	free(path);
	if (fd == -1 && *owner == 0)
		return 0; /* cannot lock: watch anyway */
	if (fd == -1) {
		if (*owner < 0)
			*owner = 0; /* held, by whom the file does not say */
		return -1;
	}
	w->lock_fd = fd;
	return 0;
}

static void
mwatch_unlock(struct mwatch *w)
{
	char *path;

	if (w->lock_fd != -1) {
		/* Figures of a watcher that stopped are no one's. */
		path = mwatch_state_file(w, "json");
		unlink(path);
		free(path);
		close(w->lock_fd);
	}
	w->lock_fd = -1;
	free(w->published);
	w->published = NULL;
}

/*
 * The owner's figures for a berth standing by (a dashboard while a
 * background watcher runs): <state>/watch-<hash>.json, rewritten when
 * they changed, at most every MOUNTS_PUBLISH_MS.
 */
static void
mwatch_publish(struct mwatch *w)
{
	json_t *j;
	char *text, *path, *cause = NULL;

	if (w->lock_fd == -1 || util_mono_ms() < w->publish_at)
		return;
	pthread_mutex_lock(&w->lock);
	j = json_pack(
	    "{s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
	    "s:I, s:I, s:s?, s:s?}",
	    "pid", (json_int_t)getpid(), "active", mounts_watch_name(w->active),
	    "files", (json_int_t)w->files, "dirs", (json_int_t)w->dirs,
	    "last_pass_ms", (json_int_t)w->last_pass_ms, "replayed",
	    (json_int_t)w->replayed, "queued", (json_int_t)w->queued, "failed",
	    (json_int_t)w->failed, "errors", (json_int_t)w->errors,
	    "latency_ms", (json_int_t)w->latency_ms, "passes",
	    (json_int_t)w->passes, "pinned", (json_int_t)w->pinned, "via",
	    w->via, "note", w->note);
	pthread_mutex_unlock(&w->lock);
	text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (text == NULL || util_streq(text, w->published)) {
		free(text);
		return;
	}
	path = mwatch_state_file(w, "json");
	if (util_write_file_atomic(path, text, strlen(text), 0600, 0, &cause) ==
	    0) {
		free(w->published);
		w->published = text;
		w->publish_at = util_mono_ms() + MOUNTS_PUBLISH_MS;
	} else {
		free(text);
		free(cause);
	}
	free(path);
}

/* Show the owner's published figures while standing by. */
static void
mwatch_adopt(struct mwatch *w, long owner)
{
	char *path = mwatch_state_file(w, "json");
	json_t *j = json_load_file(path, 0, NULL), *v;
	const char *via, *note;

	free(path);
	pthread_mutex_lock(&w->lock);
	if (j != NULL &&
	    json_integer_value(json_object_get(j, "pid")) == owner) {
#define MWATCH_GET(field)                                                      \
	if (json_is_integer(v = json_object_get(j, #field)))                   \
		w->field = json_integer_value(v);
		MWATCH_GET(files)
		MWATCH_GET(dirs)
		MWATCH_GET(last_pass_ms)
		MWATCH_GET(replayed)
		MWATCH_GET(queued)
		MWATCH_GET(failed)
		MWATCH_GET(errors)
		MWATCH_GET(latency_ms)
		MWATCH_GET(passes)
		MWATCH_GET(pinned)
#undef MWATCH_GET
		via = json_string_value(json_object_get(j, "via"));
		w->via = util_streq(via, "ssh")     ? "ssh"
		         : util_streq(via, "agent") ? "agent"
		                                    : NULL;
		note = json_string_value(json_object_get(j, "note"));
	} else
		note = NULL;
	free(w->note);
	if (owner > 0)
		w->note = xasprintf("watched by another berth (pid %ld); this "
		                    "one takes over when it stops%s%s",
		                    owner, note != NULL ? " · " : "",
		                    note != NULL ? note : "");
	else
		w->note = xstrdup("watched by another berth; this one takes "
		                  "over when it stops");
	pthread_mutex_unlock(&w->lock);
	json_decref(j);
	if (w->m->notify != NULL)
		w->m->notify(w->m->notify_arg);
}

/*
 * The scanner's options from the mount: its ignore globs (or the
 * defaults), plus with gitignore: true the globs of the folder's top
 * .gitignore, read now (the list is the watcher's own, in w->ign).
 */
static void
mwatch_options(struct mwatch *w, struct scan_options *o)
{
	const char *const *base = (const char *const *)w->pm->ignore;
	size_t i, nbase = w->pm->nignore;
	uint64_t skipped = 0;

	if (w->pm->ignore == NULL) {
		base = scan_default_ignore;
		nbase = SCAN_DEFAULT_IGNORE_N;
	}
	for (i = 0; i < w->nign; i++)
		free(w->ign[i]);
	free(w->ign);
	w->ign = xcalloc(nbase + 1, sizeof *w->ign);
	for (i = 0; i < nbase; i++)
		w->ign[i] = xstrdup(base[i]);
	w->nign = nbase;
	if (w->pm->gitignore) {
		scan_gitignore_load(w->pm->host, &w->ign, &w->nign, &skipped);
		pthread_mutex_lock(&w->lock);
		w->git_negations = skipped;
		pthread_mutex_unlock(&w->lock);
	}
	scan_options_default(o);
	o->ignore = (const char *const *)w->ign;
	o->nignore = w->nign;
	if (w->pm->max_files != 0)
		o->max_files = w->pm->max_files;
	if (w->pm->interval_ms != 0) {
		o->interval_ms = w->pm->interval_ms;
		o->cold_ms = 2 * w->pm->interval_ms;
	}
}

/* Sleep until `until` (monotonic ms), a mode change or stop. */
static void
mwatch_wait(struct mwatch *w, uint64_t until, enum profile_watch seen)
{
	struct timespec ts;
	uint64_t now = util_mono_ms(), real;

	if (until <= now)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	real = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 +
	       (until - now);
	ts.tv_sec = (time_t)(real / 1000);
	ts.tv_nsec = (long)(real % 1000) * 1000000;
	pthread_mutex_lock(&w->lock);
	while (!w->stop && w->mode == seen && util_mono_ms() < until) {
		if (pthread_cond_timedwait(&w->cond, &w->lock, &ts) ==
		    ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&w->lock);
}

/*
 * Block on the inotify descriptor until `until`, marking changed dirs.
 * Returns -1 when native watching broke down (the caller polls instead).
 */
static int
mwatch_wait_native(struct mwatch *w, struct winotify *in, struct scan *s,
                   uint64_t until)
{
	struct pollfd pfd;
	char **dirs = NULL, *cause = NULL;
	size_t n = 0, i;
	uint64_t now;
	int got = 0, rc = 0;

	pfd.fd = winotify_fd(in);
	pfd.events = POLLIN;
	for (;;) {
		now = util_mono_ms();
		if (now >= until || got)
			break;
		pthread_mutex_lock(&w->lock);
		if (w->stop || w->mode != PROFILE_WATCH_NATIVE) {
			pthread_mutex_unlock(&w->lock);
			break;
		}
		pthread_mutex_unlock(&w->lock);
		/* Short slices so a mode change is seen within 200 ms. */
		if (poll(&pfd, 1,
		         (int)(until - now < 200 ? until - now : 200)) <= 0)
			continue;
		if (winotify_read(in, &dirs, &n, &cause) != 0) {
			mwatch_note(w, "native watching stopped (%s): polling",
			            cause);
			free(cause);
			cause = NULL;
			rc = -1;
			break;
		}
		for (i = 0; i < n; i++) {
			scan_mark_dir(s, dirs[i]);
			free(dirs[i]);
		}
		free(dirs);
		dirs = NULL;
		got = n > 0;
		n = 0;
	}
	/* Coalesce: let a burst settle for a moment before the pass. */
	if (got) {
		struct timespec ts = {0, 20 * 1000000};

		nanosleep(&ts, NULL);
		while (poll(&pfd, 1, 0) > 0 &&
		       winotify_read(in, &dirs, &n, &cause) == 0) {
			for (i = 0; i < n; i++) {
				scan_mark_dir(s, dirs[i]);
				free(dirs[i]);
			}
			free(dirs);
			dirs = NULL;
			n = 0;
		}
		free(cause);
	}
	return rc;
}

static void *
mounts_thread(void *arg)
{
	struct mwatch *w = arg;
	struct scan *s = NULL;
	struct winotify *in = NULL;
	struct scan_options o;
	struct scan_changes ch = {0};
	struct replay_batch b = {0};
	struct pinset *pins = NULL;
	enum profile_watch mode;
	const struct scan_stats *st;
	char *cause = NULL;
	const char *guest;
	uint64_t due, step, retry_at = 0, pin_retry_at = 0, pin_check_at = 0;
	size_t i;
	int native_failed = 0, reload = 0, was_on = 0;

	mwatch_options(w, &o);
	guest = w->pm->guest != NULL ? w->pm->guest : w->pm->host;
	step = o.interval_ms / 4 > 0 ? o.interval_ms / 4 : 1;
	for (;;) {
		pthread_mutex_lock(&w->lock);
		while (!w->stop && w->mode == PROFILE_WATCH_OFF) {
			if (s != NULL || w->active != PROFILE_WATCH_OFF ||
			    was_on) {
				/* Off drops the snapshot: on again starts
				 * clean. */
				scan_free(s);
				s = NULL;
				winotify_free(in);
				in = NULL;
				replay_batch_clear(&b);
				pthread_mutex_unlock(&w->lock);
				if (pins != NULL) {
					mwatch_unpin(w, pins);
					pinset_free(pins);
					pins = NULL;
				} else if (was_on &&
				           w->pm->type == PROFILE_MOUNT_9P) {
					long owner;

					/* Turned off while standing by: if
					 * the owner is gone, its folders are
					 * no one's; let them go. */
					if (mwatch_lock(w, &owner) == 0) {
						pins = pinset_new(guest);
						mwatch_unpin(w, pins);
						pinset_free(pins);
						pins = NULL;
					}
				}
				pthread_mutex_lock(&w->lock);
				was_on = 0;
				w->pinned = -1;
				mwatch_unlock(w);
				w->active = PROFILE_WATCH_OFF;
				w->queued = 0;
				w->passes = w->files = w->dirs = 0;
				w->last_pass_ms = w->errors = 0;
				native_failed = 0;
				free(w->note);
				w->note = NULL;
				pthread_mutex_unlock(&w->lock);
				if (w->m->notify != NULL)
					w->m->notify(w->m->notify_arg);
				pthread_mutex_lock(&w->lock);
				continue;
			}
			pthread_cond_wait(&w->cond, &w->lock);
		}
		if (w->stop) {
			pthread_mutex_unlock(&w->lock);
			break;
		}
		mode = w->mode;
		was_on = 1;
		pthread_mutex_unlock(&w->lock);

		if (s == NULL) {
			long owner;

			if (mwatch_lock(w, &owner) != 0) {
				mwatch_adopt(w, owner);
				mwatch_wait(w, util_mono_ms() + MOUNTS_ADOPT_MS,
				            mode);
				continue;
			}
			if ((s = scan_new(w->pm->host, &o, &cause)) == NULL ||
			    scan_pass(s, util_mono_ms(), &ch, &cause) != 0) {
				mwatch_note(w, "%s", cause);
				free(cause);
				cause = NULL;
				scan_free(s);
				s = NULL;
				mwatch_wait(w, util_mono_ms() + MOUNTS_RETRY_MS,
				            mode);
				continue;
			}
			mwatch_note(w, NULL);
			if (w->pm->type == PROFILE_MOUNT_9P && pins == NULL) {
				pins = pinset_new(guest);
				pin_retry_at = pin_check_at = 0;
			}
			pthread_mutex_lock(&w->lock);
			w->passes = 1;
			st = scan_get_stats(s);
			w->files = st->files + st->links + st->others;
			w->dirs = st->dirs;
			w->last_pass_ms = st->pass_us / 1000;
			pthread_mutex_unlock(&w->lock);
		}
		if (mode == PROFILE_WATCH_NATIVE && in == NULL &&
		    !native_failed) {
			if ((in = winotify_new(w->pm->host, &o, &cause)) ==
			    NULL) {
				native_failed = 1;
				mwatch_note(w,
				            "native watching unavailable (%s): "
				            "polling instead",
				            cause);
				free(cause);
				cause = NULL;
			}
		}
		if (mode != PROFILE_WATCH_NATIVE && in != NULL) {
			winotify_free(in);
			in = NULL;
			native_failed = 0;
		}
		pthread_mutex_lock(&w->lock);
		w->active =
		    in != NULL ? PROFILE_WATCH_NATIVE : PROFILE_WATCH_POLL;
		pthread_mutex_unlock(&w->lock);

		/* Wait for due work (or inotify), batching by a step. */
		due = scan_next_due(s);
		if (due < util_mono_ms() + step)
			due = util_mono_ms() + step;
		if (b.n > 0 && retry_at > 0 && retry_at < due)
			due = retry_at;
		if (in != NULL) {
			if (mwatch_wait_native(
			        w, in, s, util_mono_ms() + 4 * o.cold_ms) !=
			    0) {
				winotify_free(in);
				in = NULL;
				native_failed = 1;
			}
		} else
			mwatch_wait(w, due, mode);
		pthread_mutex_lock(&w->lock);
		if (w->stop || w->mode != mode) {
			pthread_mutex_unlock(&w->lock);
			continue;
		}
		pthread_mutex_unlock(&w->lock);

		if (scan_pass(s, util_mono_ms(), &ch, &cause) != 0) {
			mwatch_note(w, "%s", cause);
			free(cause);
			cause = NULL;
			scan_free(s);
			s = NULL;
			continue;
		}
		for (i = 0; i < ch.n; i++) {
			if (ch.v[i].kind != SCAN_DELETED)
				scan_guard(s, ch.v[i].path,
				           util_mono_ms() + MOUNTS_GUARD_MS);
			if (w->pm->gitignore &&
			    strcmp(ch.v[i].path, ".gitignore") == 0)
				reload = 1;
		}
		replay_batch_add_changes(&b, guest, &ch, w->pm->replay,
		                         w->pm->writable);
		st = scan_get_stats(s);
		pthread_mutex_lock(&w->lock);
		w->files = st->files + st->links + st->others;
		w->dirs = st->dirs;
		w->last_pass_ms = st->pass_us / 1000;
		w->full_pass_ms = st->full_pass_us / 1000;
		w->errors = st->errors;
		w->changes += ch.n;
		w->passes++;
		w->queued = b.n;
		pthread_mutex_unlock(&w->lock);
		if (st->truncated)
			mwatch_note(w,
			            "stopped at %llu files (max_files): the "
			            "rest is not watched; add ignore: patterns",
			            (unsigned long long)o.max_files);

		if (pins != NULL && w->boot[0] != '\0') {
			pinset_check_boot(pins, w->boot);
			w->boot[0] = '\0';
		}
		if (pins != NULL && util_mono_ms() >= pin_retry_at) {
			int check = util_mono_ms() >= pin_check_at;
			int rc = mwatch_pin(w, pins, s, &ch, check, &cause);

			if (rc == 1) {
				mwatch_note(w,
				            "the guest's shell cannot hold "
				            "folders open (install bash): "
				            "watchers see only the share's top "
				            "folder");
				pinset_free(pins);
				pins = NULL;
			} else if (rc < 0) {
				mwatch_note(w,
				            "%s the share's folders open "
				            "in the guest: %s",
				            MOUNTS_PIN_NOTE, cause);
				free(cause);
				cause = NULL;
				pin_retry_at = util_mono_ms() + MOUNTS_RETRY_MS;
			} else {
				if (check)
					pin_check_at = util_mono_ms() +
					               MOUNTS_PIN_CHECK_MS;
				pthread_mutex_lock(&w->lock);
				if (w->note != NULL &&
				    strncmp(w->note, MOUNTS_PIN_NOTE,
				            strlen(MOUNTS_PIN_NOTE)) == 0) {
					free(w->note);
					w->note = NULL;
				}
				pthread_mutex_unlock(&w->lock);
			}
		} else if (pins != NULL)
			pinset_invalidate(pins);
		scan_changes_clear(&ch);

		if (b.n > 0 && util_mono_ms() >= retry_at) {
			int64_t newest = b.newest_ns;

			if (mwatch_deliver(w, &b, &cause) != 0) {
				mwatch_note(w, "%s; %zu changes queued", cause,
				            b.n);
				free(cause);
				cause = NULL;
				retry_at = util_mono_ms() + MOUNTS_RETRY_MS;
			} else {
				struct timespec ts;
				int64_t now_ns;

				retry_at = 0;
				clock_gettime(CLOCK_REALTIME, &ts);
				now_ns = (int64_t)ts.tv_sec * 1000000000 +
				         ts.tv_nsec;
				pthread_mutex_lock(&w->lock);
				if (newest > 0 && now_ns > newest)
					w->latency_ms =
					    (now_ns - newest) / 1000000;
				if (w->note != NULL &&
				    strstr(w->note, "queued") != NULL) {
					free(w->note);
					w->note = NULL;
				}
				pthread_mutex_unlock(&w->lock);
			}
			pthread_mutex_lock(&w->lock);
			w->queued = b.n;
			pthread_mutex_unlock(&w->lock);
		}
		mwatch_publish(w);
		if (reload) {
			/* .gitignore changed: a new snapshot with its globs
			 * (what is queued is still delivered). */
			reload = 0;
			mwatch_options(w, &o);
			scan_free(s);
			s = NULL;
			winotify_free(in);
			in = NULL;
			if (pins != NULL)
				pinset_invalidate(pins);
		}
		if (w->m->notify != NULL)
			w->m->notify(w->m->notify_arg);
	}
	scan_free(s);
	winotify_free(in);
	replay_batch_clear(&b);
	scan_changes_clear(&ch);
	pinset_free(pins); /* the guest keeps them for the next berth */
	mwatch_unlock(w);
	for (i = 0; i < w->nign; i++)
		free(w->ign[i]);
	free(w->ign);
	w->ign = NULL;
	w->nign = 0;
	return NULL;
}

/* ---- the engine component ---- */

struct mounts_comp {
	struct engine *e;
	struct mounts *m;
	int pipe[2];
	enum profile_watch *watch; /* last applied, per mount */
	time_t seen_mtime;         /* of the profile file */
};

static void
mounts_comp_notify(void *arg)
{
	struct mounts_comp *c = arg;
	char b = 'm';

	if (write(c->pipe[1], &b, 1) == -1) {
		/* Full pipe: a wake-up is already pending. */
	}
}

static void *
mounts_comp_create(struct engine *e, const struct profile *p)
{
	struct mounts_comp *c = xcalloc(1, sizeof *c);
	size_t i;

	c->e = e;
	if (pipe(c->pipe) != 0)
		fatal("pipe: %s", strerror(errno));
	fcntl(c->pipe[0], F_SETFL, O_NONBLOCK);
	fcntl(c->pipe[1], F_SETFL, O_NONBLOCK);
	fcntl(c->pipe[0], F_SETFD, FD_CLOEXEC);
	fcntl(c->pipe[1], F_SETFD, FD_CLOEXEC);
	c->m = mounts_new(p, mounts_comp_notify, c);
	c->watch = xcalloc(p->nmounts + 1, sizeof *c->watch);
	for (i = 0; i < p->nmounts; i++)
		c->watch[i] = p->mounts[i].watch;
	return c;
}

static void
mounts_comp_destroy(void *arg)
{
	struct mounts_comp *c = arg;

	mounts_free(c->m);
	free(c->watch);
	close(c->pipe[0]);
	close(c->pipe[1]);
	free(c);
}

static int
mounts_comp_prepare(void *arg, struct pollfd *pfd, int max, int *timeout)
{
	struct mounts_comp *c = arg;

	if (max < 1)
		return 0;
	pfd[0].fd = c->pipe[0];
	pfd[0].events = POLLIN;
	pfd[0].revents = 0;
	return 1;
}

static void
mounts_comp_dispatch(void *arg, const struct pollfd *pfd, int n)
{
	struct mounts_comp *c = arg;
	char buf[64];

	if (n < 1 || !(pfd[0].revents & POLLIN))
		return;
	while (read(c->pipe[0], buf, sizeof buf) > 0)
		;
	engine_changed(c->e);
}

/* ENGINE_CMD_MOUNT_WATCH: num = mount index, arg = off|poll|native. */
static int
mounts_comp_command(void *arg, const struct engine_cmd *cmd)
{
	struct mounts_comp *c = arg;
	const struct profile *p = engine_profile(c->e);
	enum profile_watch mode;
	char *key, *cause = NULL;

	if (cmd->type != ENGINE_CMD_MOUNT_WATCH)
		return 0;
	if (cmd->arg == NULL || mounts_watch_parse(cmd->arg, &mode) != 0 ||
	    cmd->num < 0 || (size_t)cmd->num >= c->m->n) {
		engine_message(c->e, 2, "watch: no mount %lld or bad mode %s",
		               cmd->num, cmd->arg != NULL ? cmd->arg : "");
		return 1;
	}
	mounts_set_watch(c->m, (size_t)cmd->num, mode);
	c->watch[cmd->num] = mode;
	key = xasprintf("mounts[%lld].watch", cmd->num);
	if (p->path == NULL)
		engine_message(c->e, 1,
		               "%s: watch %s (not saved: the profile has no "
		               "file)",
		               p->mounts[cmd->num].host,
		               mounts_watch_name(mode));
	else if (profile_save(p, key, mounts_watch_name(mode), &cause) != 0) {
		engine_message(c->e, 1, "%s: watch %s, not saved: %s",
		               p->mounts[cmd->num].host,
		               mounts_watch_name(mode), cause);
		free(cause);
	} else
		engine_message(c->e, 0, "%s: watch %s (saved)",
		               p->mounts[cmd->num].host,
		               mounts_watch_name(mode));
	free(key);
	engine_changed(c->e);
	return 1;
}

/*
 * Follow the profile file: `berth watch MOUNT on|off` from a shell edits
 * it, and a running dashboard applies the change on its next tick.
 */
static void
mounts_comp_tick(void *arg)
{
	struct mounts_comp *c = arg;
	const struct profile *p = engine_profile(c->e);
	struct profile *np;
	struct stat sb;
	size_t i;

	if (p->path == NULL || stat(p->path, &sb) != 0 ||
	    (sb.st_mtime == c->seen_mtime && c->seen_mtime != 0))
		return;
	c->seen_mtime = sb.st_mtime;
	if ((np = profile_open(p->name, NULL)) == NULL)
		return;
	for (i = 0; i < np->nmounts && i < c->m->n; i++) {
		if (np->mounts[i].watch != c->watch[i]) {
			c->watch[i] = np->mounts[i].watch;
			mounts_set_watch(c->m, i, c->watch[i]);
			engine_message(c->e, 0, "%s: watch %s (profile)",
			               np->mounts[i].host,
			               mounts_watch_name(c->watch[i]));
		}
	}
	profile_free(np);
}

static void
mounts_comp_fill(void *arg, struct model *m)
{
	struct mounts_comp *c = arg;

	if (m->mounts != NULL)
		return; /* someone else filled them */
	mounts_fill(c->m, m);
}

const struct engine_component mounts_component = {
    .name = "mounts",
    .create = mounts_comp_create,
    .destroy = mounts_comp_destroy,
    .prepare = mounts_comp_prepare,
    .dispatch = mounts_comp_dispatch,
    .tick = mounts_comp_tick,
    .command = mounts_comp_command,
    .fill = mounts_comp_fill,
};
