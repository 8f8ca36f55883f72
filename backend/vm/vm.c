/*
 * vm.c: the VM backend on libvirt. A struct vm holds one connection to the
 * profile's libvirt URI and the profile's domain: it connects (with
 * keepalive and a close callback, reconnecting with backoff when the link
 * dies), defines the domain from the profile or adopts an existing one as
 * it is, runs lifecycle operations, changes resources (live when libvirt
 * allows, always persistently, saved to the profile), and samples stats
 * with one virConnectGetAllDomainStats call per refresh.
 *
 * libvirt's event loop runs on a thread of its own. Its callbacks touch
 * only a small refcounted "sink" per connection (flags under a mutex and
 * a wake byte on a pipe); the owner of the struct vm (the engine thread,
 * or the CLI) polls that pipe and does the work on its own thread.
 *
 * vm_component at the bottom plugs a struct vm into the engine.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "image/image.h"
#include "vm/vm.h"

#define VM_KEEPALIVE_INTERVAL 5 /* seconds */
#define VM_KEEPALIVE_COUNT    3
#define VM_BACKOFF_MAX        30 /* seconds */
#define VM_FACTS_EVERY_MS     10000
#define VM_MEM_MARGIN         (512ULL << 20)
#define VM_MEM_MIN            (128ULL << 20)
#define VM_START_TIMEOUT_MS   120000
#define VM_DEFAULT_SHUTDOWN   60000

extern char **environ;

/* What libvirt's event thread tells the owner of one connection. */
struct vm_sink {
	pthread_mutex_t lock;
	int refs;
	int pipe[2];
	char *domain; /* only events for this domain count */
	int changed;  /* a lifecycle event for the domain */
	int agent;    /* agent connected (1) / disconnected (0), -1 none */
	int closed;   /* the connection closed */
	int reason;   /* VIR_CONNECT_CLOSE_REASON_* */
};

typedef void (*vm_notify_cb)(void *, int, const char *);

struct vm {
	const struct profile *profile; /* borrowed */
	char *uri;
	char *domain;
	char *state_dir;

	virConnectPtr conn;
	virDomainPtr dom;
	struct vm_sink *sink;
	int cb_life, cb_agent;
	char *last_error; /* last reconnect failure announced */
	int close_cb;     /* close callback registered (holds a sink ref) */
	int no_events;    /* one-shot use: no event callbacks, no keepalive */
	int is_test;      /* test:// driver */

	struct model_vm m;
	struct domxml_info info;
	int have_info, info_dirty;

	/* Previous sample, for rates. */
	uint64_t prev_ms, prev_cpu, prev_rd, prev_wr, prev_rx, prev_tx;
	uint64_t *prev_vcpu;
	int nprev_vcpu;
	int have_prev;
	uint64_t facts_at;
	uint64_t started_ms; /* wall clock of the start we saw, 0 unknown */

	/* Reconnect. */
	int backoff_s;
	uint64_t retry_at; /* mono ms, 0 = not scheduled */
	int ever_up;

	/* The running operation. */
	enum vm_op op;
	int op_starting; /* VM_OP_REBOOT: stopped, now starting again */
	uint64_t op_deadline;
	uint64_t op_started;
	uint64_t op_retry; /* last agent shutdown request */

	int lock_fd;

	vm_notify_cb notify;
	void *notify_arg;
};

static pthread_once_t vm_loop_once = PTHREAD_ONCE_INIT;
static int vm_loop_ok;

static void vm_drop(struct vm *, const char *);
static int vm_lookup(struct vm *);
static int vm_state_now(struct vm *, enum model_vm_state *);
static int vm_profile_differs(struct vm *, const char *, long, uint64_t);

/* libvirt reports errors through us; keep them off the terminal. */
static void
vm_quiet_error(void *arg, virErrorPtr err)
{
}

static void *
vm_loop_main(void *arg)
{
	sigset_t set;

	sigfillset(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	for (;;) {
		if (virEventRunDefaultImpl() < 0)
			usleep(100000);
	}
	return NULL;
}

/* Start libvirt's event loop on its own thread, once per process. */
static void
vm_loop_init(void)
{
	pthread_t t;

	virSetErrorFunc(NULL, vm_quiet_error);
	if (virInitialize() < 0 || virEventRegisterDefaultImpl() < 0)
		return;
	if (pthread_create(&t, NULL, vm_loop_main, NULL) != 0)
		return;
	pthread_detach(t);
	vm_loop_ok = 1;
}

static const char *
vm_last_error(void)
{
	const char *s = virGetLastErrorMessage();

	return s != NULL ? s : "unknown libvirt error";
}

/* Sink: created per connection, shared with libvirt's callbacks. */
static struct vm_sink *
vm_sink_new(const char *domain)
{
	struct vm_sink *s = xcalloc(1, sizeof *s);

	pthread_mutex_init(&s->lock, NULL);
	s->refs = 1;
	s->agent = -1;
	s->domain = xstrdup(domain);
	if (pipe(s->pipe) != 0)
		fatal("pipe: %s", strerror(errno));
	fcntl(s->pipe[0], F_SETFL, O_NONBLOCK);
	fcntl(s->pipe[1], F_SETFL, O_NONBLOCK);
	fcntl(s->pipe[0], F_SETFD, FD_CLOEXEC);
	fcntl(s->pipe[1], F_SETFD, FD_CLOEXEC);
	return s;
}

static struct vm_sink *
vm_sink_ref(struct vm_sink *s)
{
	pthread_mutex_lock(&s->lock);
	s->refs++;
	pthread_mutex_unlock(&s->lock);
	return s;
}

static void
vm_sink_unref(void *arg)
{
	struct vm_sink *s = arg;
	int last;

	pthread_mutex_lock(&s->lock);
	last = --s->refs == 0;
	pthread_mutex_unlock(&s->lock);
	if (!last)
		return;
	close(s->pipe[0]);
	close(s->pipe[1]);
	free(s->domain);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static void
vm_sink_wake(struct vm_sink *s)
{
	char b = 'e';

	if (write(s->pipe[1], &b, 1) == -1) {
		/* full pipe: the reader has a wake pending anyway */
	}
}

static int
vm_event_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail,
                   void *opaque)
{
	struct vm_sink *s = opaque;
	const char *name = virDomainGetName(dom);

	if (name == NULL || strcmp(name, s->domain) != 0)
		return 0;
	pthread_mutex_lock(&s->lock);
	s->changed = 1;
	pthread_mutex_unlock(&s->lock);
	vm_sink_wake(s);
	return 0;
}

static void
vm_event_agent(virConnectPtr conn, virDomainPtr dom, int state, int reason,
               void *opaque)
{
	struct vm_sink *s = opaque;
	const char *name = virDomainGetName(dom);

	if (name == NULL || strcmp(name, s->domain) != 0)
		return;
	pthread_mutex_lock(&s->lock);
	s->agent =
	    state == VIR_CONNECT_DOMAIN_EVENT_AGENT_LIFECYCLE_STATE_CONNECTED;
	pthread_mutex_unlock(&s->lock);
	vm_sink_wake(s);
}

static void
vm_event_close(virConnectPtr conn, int reason, void *opaque)
{
	struct vm_sink *s = opaque;

	pthread_mutex_lock(&s->lock);
	s->closed = 1;
	s->reason = reason;
	pthread_mutex_unlock(&s->lock);
	vm_sink_wake(s);
}

static const char *
vm_close_reason(int reason)
{
	switch (reason) {
	case VIR_CONNECT_CLOSE_REASON_ERROR:
		return "I/O error";
	case VIR_CONNECT_CLOSE_REASON_EOF:
		return "libvirtd closed the connection";
	case VIR_CONNECT_CLOSE_REASON_KEEPALIVE:
		return "keepalive timeout";
	case VIR_CONNECT_CLOSE_REASON_CLIENT:
		return "closed by berth";
	}
	return "unknown reason";
}

static void
vm_notify(struct vm *vm, int level, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (vm->notify == NULL)
		return;
	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	vm->notify(vm->notify_arg, level, s);
	free(s);
}

/* Messages (reconnects, definitions) go to this callback. */
void
vm_set_notify(struct vm *vm, void (*cb)(void *, int, const char *), void *arg)
{
	vm->notify = cb;
	vm->notify_arg = arg;
}

/*
 * The URI to use: the profile's, or qemu:///session, or qemu:///system
 * when running as root and no session daemon is listening. The caller
 * frees the result.
 */
char *
vm_default_uri(const char *configured)
{
	const char *rt = getenv("XDG_RUNTIME_DIR"), *home = getenv("HOME");
	char *sock;
	int have_session = 0;

	if (configured != NULL && *configured != '\0' &&
	    strcmp(configured, "auto") != 0 &&
	    strcmp(configured, "qemu:///session") != 0)
		return xstrdup(configured);
	if (geteuid() != 0)
		return xstrdup("qemu:///session");
	if (rt != NULL && *rt != '\0') {
		sock = xasprintf("%s/libvirt/libvirt-sock", rt);
		have_session |= access(sock, F_OK) == 0;
		free(sock);
	}
	if (home != NULL) {
		sock = xasprintf("%s/.cache/libvirt/libvirt-sock", home);
		have_session |= access(sock, F_OK) == 0;
		free(sock);
	}
	return xstrdup(have_session ? "qemu:///session" : "qemu:///system");
}

/* One line saying why a connection failed and what fixes it. */
static char *
vm_conn_error(const char *uri, const char *msg)
{
	const char *fix = NULL;

	if (strstr(msg, "no connection driver") != NULL)
		fix = "check vm.uri in the profile (for example "
		      "qemu:///session, qemu:///system or test:///default)";
	else if (strstr(msg, "ermission denied") != NULL)
		fix = "add yourself to the 'libvirt' group, or use "
		      "qemu:///session";
	else if (strncmp(uri, "qemu+ssh", 8) == 0 ||
	         strncmp(uri, "qemu+tcp", 8) == 0)
		fix = "check that the remote host is reachable and runs "
		      "libvirtd (macOS: brew services start libvirt); pass "
		      "?socket=PATH if the remote socket is not the default";
	else if (strstr(msg, "Failed to connect socket") != NULL ||
	         strstr(msg, "Connection refused") != NULL ||
	         strstr(msg, "No such file") != NULL) {
		if (strstr(uri, "/session") != NULL)
			fix = "start a session daemon as your user: "
			      "`libvirtd --daemon` (macOS: brew services "
			      "start libvirt)";
		else
			fix = "start libvirtd as root: `libvirtd --daemon` "
			      "(or `systemctl start libvirtd`)";
	}
	if (fix != NULL)
		return xasprintf("libvirt: cannot connect to %s: %s; %s", uri,
		                 msg, fix);
	return xasprintf("libvirt: cannot connect to %s: %s", uri, msg);
}

/* A struct vm for a profile, not connected yet. The profile must outlive
 * it. */
struct vm *
vm_new(const struct profile *p)
{
	struct vm *vm = xcalloc(1, sizeof *vm);

	vm->profile = p;
	vm->uri = vm_default_uri(p->vm.uri);
	vm->domain = xstrdup(
	    p->vm.domain != NULL && *p->vm.domain != '\0' ? p->vm.domain : "");
	if (*vm->domain == '\0') {
		free(vm->domain);
		vm->domain = xasprintf("berth-%s", p->name);
	}
	vm->state_dir = paths_state_dir(p->name);
	vm->is_test = strncmp(vm->uri, "test:", 5) == 0;
	vm->lock_fd = -1;
	vm->cb_life = vm->cb_agent = -1;
	vm->m.conn = MODEL_CONN_NONE;
	vm->m.uri = xstrdup(vm->uri);
	vm->m.domain = xstrdup(vm->domain);
	vm->m.state = MODEL_VM_UNKNOWN;
	return vm;
}

void
vm_free(struct vm *vm)
{
	if (vm == NULL)
		return;
	vm_drop(vm, NULL);
	if (vm->lock_fd != -1)
		close(vm->lock_fd);
	model_vm_clear(&vm->m);
	free(vm->last_error);
	domxml_info_free(&vm->info);
	free(vm->prev_vcpu);
	free(vm->uri);
	free(vm->domain);
	free(vm->state_dir);
	free(vm);
}

/*
 * One-shot readers (berth status) skip event registration and keepalive:
 * three fewer round trips, and nothing would read the events.
 */
void
vm_set_oneshot(struct vm *vm, int oneshot)
{
	vm->no_events = oneshot;
}

int
vm_connected(const struct vm *vm)
{
	return vm->conn != NULL;
}

/* Close the connection (if any); with a reason, schedule a reconnect. */
static void
vm_drop(struct vm *vm, const char *reason)
{
	if (vm->conn != NULL) {
		if (vm->cb_life != -1)
			virConnectDomainEventDeregisterAny(vm->conn,
			                                   vm->cb_life);
		if (vm->cb_agent != -1)
			virConnectDomainEventDeregisterAny(vm->conn,
			                                   vm->cb_agent);
		if (vm->close_cb && virConnectUnregisterCloseCallback(
		                        vm->conn, vm_event_close) == 0)
			vm_sink_unref(vm->sink);
		vm->close_cb = 0;
		if (vm->dom != NULL)
			virDomainFree(vm->dom);
		virConnectClose(vm->conn);
	}
	vm->cb_life = vm->cb_agent = -1;
	vm->dom = NULL;
	vm->conn = NULL;
	if (vm->sink != NULL)
		vm_sink_unref(vm->sink);
	vm->sink = NULL;
	vm->have_prev = 0;
	if (reason == NULL)
		return;
	vm->backoff_s = vm->backoff_s == 0 ? 1 : vm->backoff_s * 2;
	if (vm->backoff_s > VM_BACKOFF_MAX)
		vm->backoff_s = VM_BACKOFF_MAX;
	vm->retry_at = util_mono_ms() + (uint64_t)vm->backoff_s * 1000;
	vm->m.conn = MODEL_CONN_DOWN;
	free(vm->m.conn_error);
	vm->m.conn_error = xstrdup(reason);
	vm->m.retry_in_s = vm->backoff_s;
	vm->m.state = MODEL_VM_UNKNOWN;
	vm->m.agent = 0;
	vm_notify(vm, 2, "libvirt: disconnected (%s), retrying in %ds", reason,
	          vm->backoff_s);
}

/*
 * Connect to the profile's URI, register for events and look the domain
 * up. On failure the model says why and a retry is scheduled.
 */
int
vm_connect(struct vm *vm, char **cause)
{
	virNodeInfo ni;
	char *err;

	pthread_once(&vm_loop_once, vm_loop_init);
	if (!vm_loop_ok) {
		util_set_cause(cause, "libvirt: cannot start the event loop");
		return -1;
	}
	if (vm->conn != NULL)
		return 0;
	vm->m.conn = MODEL_CONN_CONNECTING;
	vm->conn = virConnectOpen(vm->uri);
	if (vm->conn == NULL) {
		err = vm_conn_error(vm->uri, vm_last_error());
		vm->backoff_s = vm->backoff_s == 0 ? 1 : vm->backoff_s * 2;
		if (vm->backoff_s > VM_BACKOFF_MAX)
			vm->backoff_s = VM_BACKOFF_MAX;
		vm->retry_at = util_mono_ms() + (uint64_t)vm->backoff_s * 1000;
		vm->m.conn = MODEL_CONN_DOWN;
		vm->m.retry_in_s = vm->backoff_s;
		free(vm->m.conn_error);
		vm->m.conn_error = xstrdup(err);
		/* The first attempt's caller reports it; later ones announce.
		 */
		if (!vm->ever_up && vm->last_error == NULL)
			vm->last_error = xstrdup(err);
		if (cause != NULL)
			*cause = err;
		else
			free(err);
		return -1;
	}
	if (vm->no_events)
		goto connected;
	vm->sink = vm_sink_new(vm->domain);
	/* Keepalive needs the event loop; local drivers do not support it. */
	virConnectSetKeepAlive(vm->conn, VM_KEEPALIVE_INTERVAL,
	                       VM_KEEPALIVE_COUNT);
	/*
	 * Only remote connections ever close by themselves. berth drops this
	 * reference itself after unregistering: some drivers (test://)
	 * accept the callback but never call a free function.
	 */
	vm->close_cb =
	    virConnectRegisterCloseCallback(vm->conn, vm_event_close,
	                                    vm_sink_ref(vm->sink), NULL) == 0;
	if (!vm->close_cb)
		vm_sink_unref(vm->sink);
	vm->cb_life = virConnectDomainEventRegisterAny(
	    vm->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
	    VIR_DOMAIN_EVENT_CALLBACK(vm_event_lifecycle),
	    vm_sink_ref(vm->sink), vm_sink_unref);
	if (vm->cb_life == -1)
		vm_sink_unref(vm->sink);
	vm->cb_agent = virConnectDomainEventRegisterAny(
	    vm->conn, NULL, VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE,
	    VIR_DOMAIN_EVENT_CALLBACK(vm_event_agent), vm_sink_ref(vm->sink),
	    vm_sink_unref);
	if (vm->cb_agent == -1)
		vm_sink_unref(vm->sink);

connected:
	if (virNodeGetInfo(vm->conn, &ni) == 0) {
		vm->m.host_cpus = (int)ni.cpus;
		vm->m.host_memory = (uint64_t)ni.memory << 10;
	}
	if (vm->ever_up)
		vm_notify(vm, 0, "libvirt: reconnected to %s", vm->uri);
	vm->ever_up = 1;
	vm->backoff_s = 0;
	vm->retry_at = 0;
	vm->m.conn = MODEL_CONN_UP;
	vm->m.retry_in_s = 0;
	free(vm->m.conn_error);
	vm->m.conn_error = NULL;
	vm->info_dirty = 1;
	vm_lookup(vm);
	return 0;
}

/* Reconnect when the backoff has run out; 1 = connected now. */
int
vm_reconnect_due(struct vm *vm, uint64_t now)
{
	if (vm->conn != NULL || vm->retry_at == 0 || now < vm->retry_at)
		return 0;
	if (vm_connect(vm, NULL) != 0) {
		/* The model counts down; a message only when the cause changes.
		 */
		if (!util_streq(vm->last_error, vm->m.conn_error)) {
			vm_notify(vm, 1, "%s; retrying in %ds",
			          vm->m.conn_error, vm->backoff_s);
			free(vm->last_error);
			vm->last_error = xstrdup(vm->m.conn_error);
		}
		return 0;
	}
	free(vm->last_error);
	vm->last_error = NULL;
	return 1;
}

/* Milliseconds until the next reconnect attempt, -1 when none. */
static int
vm_reconnect_in(const struct vm *vm)
{
	uint64_t now = util_mono_ms();

	if (vm->conn != NULL || vm->retry_at == 0)
		return -1;
	return vm->retry_at > now ? (int)(vm->retry_at - now) : 0;
}

/* Look the domain up; 0 found, -1 not there (state NOT_CREATED). */
static int
vm_lookup(struct vm *vm)
{
	if (vm->dom != NULL)
		return 0;
	if (vm->conn == NULL)
		return -1;
	vm->dom = virDomainLookupByName(vm->conn, vm->domain);
	if (vm->dom == NULL) {
		vm->m.state = MODEL_VM_NOT_CREATED;
		free(vm->m.reason);
		vm->m.reason = NULL;
		return -1;
	}
	vm->info_dirty = 1;
	return 0;
}

int
vm_event_fd(const struct vm *vm)
{
	return vm->sink != NULL ? vm->sink->pipe[0] : -1;
}

/*
 * Handle what the event thread reported: a closed connection (drop it and
 * schedule a reconnect) or a lifecycle change (read the new state). Returns
 * 1 when the model changed.
 */
int
vm_poll_events(struct vm *vm)
{
	struct vm_sink *s = vm->sink;
	int changed, closed, reason, agent;
	enum model_vm_state st;
	char buf[64];

	if (s == NULL)
		return 0;
	while (read(s->pipe[0], buf, sizeof buf) > 0)
		;
	pthread_mutex_lock(&s->lock);
	changed = s->changed;
	closed = s->closed;
	reason = s->reason;
	agent = s->agent;
	s->changed = 0;
	s->agent = -1;
	pthread_mutex_unlock(&s->lock);

	if (closed) {
		vm_drop(vm, vm_close_reason(reason));
		return 1;
	}
	if (agent != -1) {
		vm->m.agent = agent;
		vm->facts_at = 0; /* fetch guest facts on the next refresh */
	}
	if (changed) {
		vm->info_dirty = 1;
		if (vm->dom == NULL)
			vm_lookup(vm);
		if (vm_state_now(vm, &st) == 0) {
			if (st == MODEL_VM_RUNNING &&
			    vm->m.state != MODEL_VM_RUNNING &&
			    vm->m.state != MODEL_VM_PAUSED)
				vm->started_ms = util_now_ms();
			vm->m.state = st;
		}
	}
	return changed || agent != -1;
}

/* Wait up to timeout_ms for an event; 1 = something arrived. */
int
vm_wait_events(struct vm *vm, int timeout_ms)
{
	struct pollfd pfd;

	if (vm->sink == NULL) {
		if (timeout_ms > 0)
			usleep((useconds_t)timeout_ms * 1000);
		return 0;
	}
	pfd.fd = vm->sink->pipe[0];
	pfd.events = POLLIN;
	return poll(&pfd, 1, timeout_ms) > 0;
}

static enum model_vm_state
vm_map_state(int st)
{
	switch (st) {
	case VIR_DOMAIN_RUNNING:
		return MODEL_VM_RUNNING;
	case VIR_DOMAIN_BLOCKED:
		return MODEL_VM_BLOCKED;
	case VIR_DOMAIN_PAUSED:
		return MODEL_VM_PAUSED;
	case VIR_DOMAIN_SHUTDOWN:
		return MODEL_VM_SHUTTING_DOWN;
	case VIR_DOMAIN_SHUTOFF:
		return MODEL_VM_SHUTOFF;
	case VIR_DOMAIN_CRASHED:
		return MODEL_VM_CRASHED;
	case VIR_DOMAIN_PMSUSPENDED:
		return MODEL_VM_PMSUSPENDED;
	}
	return MODEL_VM_UNKNOWN;
}

/* libvirt's state reasons in words (the common ones). */
static const char *
vm_reason_text(int st, int reason)
{
	static const struct {
		int st, reason;
		const char *text;
	} table[] = {
	    {VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_BOOTED, "booted"},
	    {VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_UNPAUSED, "resumed"},
	    {VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_RESTORED, "restored"},
	    {VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_MIGRATED, "migrated"},
	    {VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_USER, "paused by user"},
	    {VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_IOERROR, "disk I/O error"},
	    {VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_STARTING_UP, "starting"},
	    {VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_SHUTDOWN, "shut down"},
	    {VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_DESTROYED,
	     "destroyed (forced off)"},
	    {VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_CRASHED, "crashed"},
	    {VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_FAILED, "failed to start"},
	    {VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_SAVED, "saved"},
	    {VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_DAEMON,
	     "stopped while libvirtd was down"},
	    {VIR_DOMAIN_SHUTDOWN, VIR_DOMAIN_SHUTDOWN_USER, "shutting down"},
	    {VIR_DOMAIN_CRASHED, VIR_DOMAIN_CRASHED_PANICKED, "guest panicked"},
	};
	size_t i;

	for (i = 0; i < nitems(table); i++) {
		if (table[i].st == st && table[i].reason == reason)
			return table[i].text;
	}
	return NULL;
}

static void
vm_set_reason(struct vm *vm, int st, int reason)
{
	const char *r = vm_reason_text(st, reason);

	free(vm->m.reason);
	vm->m.reason = r != NULL ? xstrdup(r) : NULL;
}

/* Ask libvirt for the domain's state now (one cheap call). */
static int
vm_state_now(struct vm *vm, enum model_vm_state *out)
{
	int st, reason;

	if (vm->dom == NULL && vm_lookup(vm) != 0) {
		/* undefined (a transient domain that stopped, say) */
		*out = MODEL_VM_NOT_CREATED;
		return 0;
	}
	if (virDomainGetState(vm->dom, &st, &reason, 0) != 0) {
		virErrorPtr e = virGetLastError();

		if (e != NULL && e->code == VIR_ERR_NO_DOMAIN) {
			virDomainFree(vm->dom);
			vm->dom = NULL;
			*out = MODEL_VM_NOT_CREATED;
			return 0;
		}
		return -1;
	}
	*out = vm_map_state(st);
	vm_set_reason(vm, st, reason);
	return 0;
}

static int
vm_is_live(enum model_vm_state st)
{
	return st == MODEL_VM_RUNNING || st == MODEL_VM_BLOCKED ||
	       st == MODEL_VM_PAUSED || st == MODEL_VM_SHUTTING_DOWN;
}

/* Read the persistent XML again when something may have changed it. */
static void
vm_read_info(struct vm *vm)
{
	char *xml;

	if (!vm->info_dirty && vm->have_info)
		return;
	if (vm->dom == NULL)
		return;
	xml = virDomainGetXMLDesc(vm->dom, VIR_DOMAIN_XML_INACTIVE);
	if (xml == NULL)
		return;
	domxml_info_free(&vm->info);
	vm->have_info = domxml_parse(xml, &vm->info, NULL) == 0;
	free(xml);
	vm->info_dirty = 0;
	free(vm->m.accel);
	vm->m.accel = xstrdup(domxml_accel_name(vm->info.type));
	vm->m.adopted = !vm->info.berth;
	free(vm->m.ssh);
	vm->m.ssh = vm->info.ssh_port > 0
	                ? xasprintf("127.0.0.1:%d", vm->info.ssh_port)
	                : NULL;
}

static int
param_ull(const virTypedParameterPtr p, int n, const char *name,
          unsigned long long *v)
{
	return virTypedParamsGetULLong(p, n, name, v) == 1;
}

static double
rate(uint64_t now, uint64_t prev, uint64_t dt_ms)
{
	if (dt_ms == 0 || now < prev)
		return 0;
	return (double)(now - prev) * 1000.0 / (double)dt_ms;
}

/* Take hostname, OS and the first IPv4 address from agent answers. */
static void
vm_apply_facts(struct vm *vm, virTypedParameterPtr p, int n)
{
	unsigned int ifc = 0, ac;
	const char *s, *type, *addr;
	char key[64];
	int i, j;

	if (virTypedParamsGetString(p, n, "hostname", &s) == 1) {
		free(vm->m.hostname);
		vm->m.hostname = util_sanitize_dup(s, strlen(s));
	}
	if (virTypedParamsGetString(p, n, "os.pretty-name", &s) == 1 ||
	    virTypedParamsGetString(p, n, "os.name", &s) == 1 ||
	    virTypedParamsGetString(p, n, "os.kernel-release", &s) == 1) {
		free(vm->m.os);
		vm->m.os = util_sanitize_dup(s, strlen(s));
	}
	if (virTypedParamsGetUInt(p, n, "if.count", &ifc) != 1)
		return;
	for (i = 0; i < (int)ifc; i++) {
		snprintf(key, sizeof key, "if.%d.addr.count", i);
		ac = 0;
		virTypedParamsGetUInt(p, n, key, &ac);
		for (j = 0; j < (int)ac; j++) {
			snprintf(key, sizeof key, "if.%d.addr.%d.type", i, j);
			if (virTypedParamsGetString(p, n, key, &type) != 1 ||
			    strcmp(type, "ipv4") != 0)
				continue;
			snprintf(key, sizeof key, "if.%d.addr.%d.addr", i, j);
			if (virTypedParamsGetString(p, n, key, &addr) != 1 ||
			    strncmp(addr, "127.", 4) == 0)
				continue;
			free(vm->m.ip);
			vm->m.ip = util_sanitize_dup(addr, strlen(addr));
			return;
		}
	}
}

/*
 * Guest facts from the agent: one call for hostname, OS and interfaces;
 * when a guest cannot answer one of them, ask for each on its own.
 */
static void
vm_read_facts(struct vm *vm)
{
	static const unsigned int types[] = {
	    VIR_DOMAIN_GUEST_INFO_HOSTNAME,
	    VIR_DOMAIN_GUEST_INFO_OS,
	    VIR_DOMAIN_GUEST_INFO_INTERFACES,
	};
	virTypedParameterPtr p = NULL;
	int n = 0, ok = 0;
	size_t i;

	if (vm->is_test || vm->dom == NULL)
		return;
	if (virDomainGetGuestInfo(vm->dom, types[0] | types[1] | types[2], &p,
	                          &n, 0) == 0) {
		vm_apply_facts(vm, p, n);
		virTypedParamsFree(p, n);
		vm->m.agent = 1;
		return;
	}
	for (i = 0; i < nitems(types); i++) {
		p = NULL;
		n = 0;
		if (virDomainGetGuestInfo(vm->dom, types[i], &p, &n, 0) != 0)
			continue;
		ok = 1;
		vm_apply_facts(vm, p, n);
		virTypedParamsFree(p, n);
	}
	vm->m.agent = ok;
}

/*
 * Guest facts are cached in the state dir for VM_FACTS_EVERY_MS, keyed by
 * the domain's run id, so a one-shot `berth status` next to a dashboard
 * (or right after another status) does not wait for the agent again.
 */
static char *
vm_facts_path(const struct vm *vm)
{
	return xasprintf("%s/guest-facts.json", vm->state_dir);
}

static void
vm_facts_save(struct vm *vm)
{
	json_t *o = json_object();
	char *path, *text;

	json_object_set_new(o, "domain", json_string(vm->domain));
	json_object_set_new(o, "id",
	                    json_integer((json_int_t)virDomainGetID(vm->dom)));
	json_object_set_new(o, "time_ms",
	                    json_integer((json_int_t)util_now_ms()));
	if (vm->m.hostname != NULL)
		json_object_set_new(o, "hostname", json_string(vm->m.hostname));
	if (vm->m.os != NULL)
		json_object_set_new(o, "os", json_string(vm->m.os));
	if (vm->m.ip != NULL)
		json_object_set_new(o, "ip", json_string(vm->m.ip));
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (text != NULL && util_mkdir_p(vm->state_dir, 0700, NULL) == 0) {
		path = vm_facts_path(vm);
		util_write_file_atomic(path, text, strlen(text), 0600, 0, NULL);
		free(path);
	}
	free(text);
}

/* Use cached facts when they are for this run and fresh: 0, else -1. */
static int
vm_facts_load(struct vm *vm)
{
	char *path = vm_facts_path(vm), *text;
	json_t *o, *v;
	int r = -1;
	uint64_t t, now = util_now_ms();

	text = util_read_file(path, NULL, NULL);
	free(path);
	if (text == NULL)
		return -1;
	o = json_loads(text, 0, NULL);
	free(text);
	if (o == NULL)
		return -1;
	t = (uint64_t)json_integer_value(json_object_get(o, "time_ms"));
	if (util_streq(json_string_value(json_object_get(o, "domain")),
	               vm->domain) &&
	    json_integer_value(json_object_get(o, "id")) ==
	        (json_int_t)virDomainGetID(vm->dom) &&
	    t <= now && now - t < VM_FACTS_EVERY_MS) {
		if ((v = json_object_get(o, "hostname")) != NULL &&
		    json_is_string(v)) {
			free(vm->m.hostname);
			vm->m.hostname = util_sanitize_dup(
			    json_string_value(v), strlen(json_string_value(v)));
		}
		if ((v = json_object_get(o, "os")) != NULL &&
		    json_is_string(v)) {
			free(vm->m.os);
			vm->m.os = util_sanitize_dup(
			    json_string_value(v), strlen(json_string_value(v)));
		}
		if ((v = json_object_get(o, "ip")) != NULL &&
		    json_is_string(v)) {
			free(vm->m.ip);
			vm->m.ip = util_sanitize_dup(
			    json_string_value(v), strlen(json_string_value(v)));
		}
		vm->m.agent = 1;
		r = 0;
	}
	json_decref(o);
	return r;
}

/*
 * The disk vm.disk sizes: an image VM's data disk (data.qcow2, holding
 * /var/lib/docker), else the first real disk. -1 when there is none.
 */
static int
vm_main_disk(const struct domxml_info *info)
{
	size_t i, l;
	int first = -1;

	for (i = 0; i < info->ndisks; i++) {
		const struct domxml_disk *d = &info->disks[i];

		if (d->device != NULL && strcmp(d->device, "disk") != 0)
			continue;
		if (d->source != NULL && (l = strlen(d->source)) >= 11 &&
		    strcmp(d->source + l - 11, "/data.qcow2") == 0)
			return (int)i;
		if (first == -1)
			first = (int)i;
	}
	return first;
}

/* Which disk vm_main_disk chose, for the model: the data disk or not. */
static int
vm_disk_kind(const struct domxml_info *info, int i)
{
	const char *src = info->disks[i].source;
	size_t l;

	return src != NULL && (l = strlen(src)) >= 11 &&
	               strcmp(src + l - 11, "/data.qcow2") == 0
	           ? MODEL_DISK_DATA
	           : MODEL_DISK_FIRST;
}

/* Disk size when libvirt's stats do not say: block info, else the file. */
static void
vm_disk_offline(struct vm *vm)
{
	virDomainBlockInfo bi;
	struct stat sb;
	const struct domxml_disk *d;
	int i;

	vm->m.disk_capacity = vm->m.disk_allocation = 0;
	vm->m.disk_kind = MODEL_DISK_NONE;
	if (!vm->have_info || (i = vm_main_disk(&vm->info)) < 0)
		return;
	d = &vm->info.disks[i];
	if (!vm->is_test && d->target != NULL &&
	    virDomainGetBlockInfo(vm->dom, d->target, &bi, 0) == 0) {
		vm->m.disk_capacity = bi.capacity;
		vm->m.disk_allocation = bi.allocation;
		vm->m.disk_kind = vm_disk_kind(&vm->info, i);
		return;
	}
	if (d->source != NULL && stat(d->source, &sb) == 0) {
		vm->m.disk_capacity = (uint64_t)sb.st_size;
		vm->m.disk_allocation = (uint64_t)sb.st_blocks * 512;
		vm->m.disk_kind = vm_disk_kind(&vm->info, i);
	}
}

/*
 * Uptime of a local QEMU from its pid file (system or session daemon),
 * when berth did not see it start; remote domains show 0 until then.
 */
static void
vm_uptime_local(struct vm *vm)
{
	const char *rt = getenv("XDG_RUNTIME_DIR"), *home = getenv("HOME");
	char *dirs[2] = {NULL, NULL}, *path;
	struct stat sb;
	size_t i;

	if (vm->started_ms != 0 || strncmp(vm->uri, "qemu:///", 8) != 0)
		return;
	if (strncmp(vm->uri, "qemu:///session", 15) == 0) {
		if (rt != NULL && *rt == '/')
			dirs[0] = xasprintf("%s/libvirt/qemu/run", rt);
		if (home != NULL && *home == '/')
			dirs[1] = xasprintf("%s/.cache/libvirt/qemu/run", home);
	} else {
		dirs[0] = xstrdup("/run/libvirt/qemu");
		dirs[1] = xstrdup("/var/run/libvirt/qemu");
	}
	for (i = 0; i < nitems(dirs) && vm->started_ms == 0; i++) {
		if (dirs[i] == NULL)
			continue;
		path = xasprintf("%s/%s.pid", dirs[i], vm->domain);
		if (stat(path, &sb) == 0)
			vm->started_ms = (uint64_t)sb.st_mtime * 1000;
		free(path);
	}
	free(dirs[0]);
	free(dirs[1]);
}

/*
 * Refresh the model: one virConnectGetAllDomainStats call for the state,
 * CPU, balloon, vCPU, block and network counters; rates from the previous
 * sample. With facts set, also ask the guest agent (when due).
 */
int
vm_refresh(struct vm *vm, int facts, char **cause)
{
	virDomainStatsRecordPtr *recs = NULL, rec = NULL;
	unsigned int types =
	    VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_CPU_TOTAL |
	    VIR_DOMAIN_STATS_BALLOON | VIR_DOMAIN_STATS_VCPU |
	    VIR_DOMAIN_STATS_INTERFACE | VIR_DOMAIN_STATS_BLOCK;
	unsigned long long v, cpu = 0, rd = 0, wr = 0, rx = 0, tx = 0;
	unsigned int cnt;
	int i, n, st = 0, reason = 0, nv = 0, have_vcpu, have_balloon, di_main;
	uint64_t now = util_mono_ms(), dt;
	char key[64];
	virDomainInfo di;
	virDomainPtr doms[2];

	if (vm->conn == NULL) {
		util_set_cause(cause, "%s",
		               vm->m.conn_error != NULL
		                   ? vm->m.conn_error
		                   : "libvirt: not connected");
		return -1;
	}
	if (vm->dom == NULL && vm_lookup(vm) != 0)
		return 0;
	vm_read_info(vm);

	/*
	 * The stats RPC of virConnectGetAllDomainStats, restricted to this
	 * domain: asking for every domain on a busy host queries every
	 * other QEMU too.
	 */
	doms[0] = vm->dom;
	doms[1] = NULL;
	n = virDomainListGetStats(doms, types, &recs, 0);
	if (n < 0) {
		util_set_cause(cause, "libvirt: %s", vm_last_error());
		return -1;
	}
	for (i = 0; i < n; i++) {
		const char *name = virDomainGetName(recs[i]->dom);

		if (name != NULL && strcmp(name, vm->domain) == 0)
			rec = recs[i];
	}
	if (rec == NULL) {
		/* gone since the lookup */
		virDomainStatsRecordListFree(recs);
		if (vm->dom != NULL)
			virDomainFree(vm->dom);
		vm->dom = NULL;
		vm->m.state = MODEL_VM_NOT_CREATED;
		return 0;
	}
	virTypedParamsGetInt(rec->params, rec->nparams, "state.state", &st);
	virTypedParamsGetInt(rec->params, rec->nparams, "state.reason",
	                     &reason);
	vm->m.state = vm_map_state(st);
	vm_set_reason(vm, st, reason);
	dt = vm->have_prev ? now - vm->prev_ms : 0;

	cnt = 0;
	have_vcpu = virTypedParamsGetUInt(rec->params, rec->nparams,
	                                  "vcpu.current", &cnt) == 1;
	if (have_vcpu) {
		vm->m.vcpus = (int)cnt;
		if (virTypedParamsGetUInt(rec->params, rec->nparams,
		                          "vcpu.maximum", &cnt) == 1)
			vm->m.vcpus_max = (int)cnt;
		nv = vm->m.vcpus_max;
	}
	have_balloon =
	    param_ull(rec->params, rec->nparams, "balloon.current", &v);
	if (have_balloon) {
		vm->m.mem_current = (uint64_t)v << 10;
		if (param_ull(rec->params, rec->nparams, "balloon.maximum", &v))
			vm->m.mem_max = (uint64_t)v << 10;
		vm->m.mem_used = vm->m.mem_available = 0;
		if (param_ull(rec->params, rec->nparams, "balloon.available",
		              &v)) {
			unsigned long long usable;

			vm->m.mem_available = (uint64_t)v << 10;
			if (param_ull(rec->params, rec->nparams,
			              "balloon.usable", &usable) &&
			    usable <= v)
				vm->m.mem_used = (uint64_t)(v - usable) << 10;
		}
	}
	if ((!have_vcpu || !have_balloon) && vm->dom != NULL &&
	    virDomainGetInfo(vm->dom, &di) == 0) {
		/* the test driver's stats carry only the state */
		if (!have_vcpu) {
			vm->m.vcpus = di.nrVirtCpu;
			vm->m.vcpus_max =
			    vm->have_info ? vm->info.vcpus_max : di.nrVirtCpu;
		}
		if (!have_balloon) {
			vm->m.mem_current = (uint64_t)di.memory << 10;
			vm->m.mem_max = (uint64_t)di.maxMem << 10;
		}
	}
	if (!vm_is_live(vm->m.state) && vm->have_info) {
		vm->m.vcpus = vm->info.vcpus;
		vm->m.vcpus_max = vm->info.vcpus_max;
		vm->m.mem_current = vm->info.memory;
		vm->m.mem_max = vm->info.memory_max;
	}
	/* What the next boot will use, when it differs from now. */
	vm->m.vcpus_pending = vm->m.mem_pending = 0;
	if (vm_is_live(vm->m.state) && vm->have_info) {
		if (vm->info.vcpus != vm->m.vcpus)
			vm->m.vcpus_pending = vm->info.vcpus;
		if (vm->info.memory != vm->m.mem_current && have_balloon &&
		    vm->info.memory > vm->m.mem_max)
			vm->m.mem_pending = vm->info.memory;
		else if (vm->info.memory_max != vm->m.mem_max &&
		         vm->info.memory > vm->m.mem_max)
			vm->m.mem_pending = vm->info.memory;
	}

	/* CPU: 100% is one host CPU busy. */
	param_ull(rec->params, rec->nparams, "cpu.time", &cpu);
	vm->m.cpu_pct =
	    dt > 0 && cpu >= vm->prev_cpu
	        ? (double)(cpu - vm->prev_cpu) / 1e6 / (double)dt * 100.0
	        : 0;
	if (nv > 0) {
		if (vm->nprev_vcpu != nv) {
			vm->prev_vcpu = xreallocarray(vm->prev_vcpu, (size_t)nv,
			                              sizeof(uint64_t));
			memset(vm->prev_vcpu, 0, (size_t)nv * sizeof(uint64_t));
			vm->nprev_vcpu = nv;
			dt = 0;
		}
		free(vm->m.vcpu_pct);
		vm->m.vcpu_pct = xcalloc((size_t)nv, sizeof(double));
		vm->m.nvcpu_pct = nv;
		for (i = 0; i < nv; i++) {
			v = 0;
			snprintf(key, sizeof key, "vcpu.%d.time", i);
			if (!param_ull(rec->params, rec->nparams, key, &v))
				continue;
			if (dt > 0 && v >= vm->prev_vcpu[i])
				vm->m.vcpu_pct[i] =
				    (double)(v - vm->prev_vcpu[i]) / 1e6 /
				    (double)dt * 100.0;
			vm->prev_vcpu[i] = v;
		}
	}

	cnt = 0;
	virTypedParamsGetUInt(rec->params, rec->nparams, "block.count", &cnt);
	for (i = 0; i < (int)cnt; i++) {
		snprintf(key, sizeof key, "block.%d.rd.bytes", i);
		if (param_ull(rec->params, rec->nparams, key, &v))
			rd += v;
		snprintf(key, sizeof key, "block.%d.wr.bytes", i);
		if (param_ull(rec->params, rec->nparams, key, &v))
			wr += v;
	}
	di_main = vm->have_info ? vm_main_disk(&vm->info) : -1;
	snprintf(key, sizeof key, "block.%d.capacity", di_main);
	if (di_main >= 0 && di_main < (int)cnt &&
	    param_ull(rec->params, rec->nparams, key, &v)) {
		vm->m.disk_capacity = v;
		vm->m.disk_kind = vm_disk_kind(&vm->info, di_main);
		snprintf(key, sizeof key, "block.%d.allocation", di_main);
		if (param_ull(rec->params, rec->nparams, key, &v))
			vm->m.disk_allocation = v;
	} else
		vm_disk_offline(vm);
	cnt = 0;
	virTypedParamsGetUInt(rec->params, rec->nparams, "net.count", &cnt);
	for (i = 0; i < (int)cnt; i++) {
		snprintf(key, sizeof key, "net.%d.rx.bytes", i);
		if (param_ull(rec->params, rec->nparams, key, &v))
			rx += v;
		snprintf(key, sizeof key, "net.%d.tx.bytes", i);
		if (param_ull(rec->params, rec->nparams, key, &v))
			tx += v;
	}
	vm->m.rd_bps = dt > 0 ? rate(rd, vm->prev_rd, dt) : 0;
	vm->m.wr_bps = dt > 0 ? rate(wr, vm->prev_wr, dt) : 0;
	vm->m.rx_bps = dt > 0 ? rate(rx, vm->prev_rx, dt) : 0;
	vm->m.tx_bps = dt > 0 ? rate(tx, vm->prev_tx, dt) : 0;
	vm->prev_cpu = cpu;
	vm->prev_rd = rd;
	vm->prev_wr = wr;
	vm->prev_rx = rx;
	vm->prev_tx = tx;
	vm->prev_ms = now;
	vm->have_prev = 1;
	virDomainStatsRecordListFree(recs);

	if (vm_is_live(vm->m.state)) {
		vm_uptime_local(vm);
		vm->m.uptime_s =
		    vm->started_ms != 0 && util_now_ms() > vm->started_ms
		        ? (util_now_ms() - vm->started_ms) / 1000
		        : 0;
		if (facts && (vm->facts_at == 0 ||
		              now - vm->facts_at >= VM_FACTS_EVERY_MS)) {
			if (!vm->no_events || vm_facts_load(vm) != 0) {
				vm_read_facts(vm);
				if (vm->m.agent)
					vm_facts_save(vm);
			}
			vm->facts_at = now;
		}
		model_history_push(&vm->m.cpu_hist, (float)vm->m.cpu_pct);
		model_history_push(
		    &vm->m.mem_hist,
		    vm->m.mem_available > 0
		        ? (float)((double)vm->m.mem_used * 100.0 /
		                  (double)vm->m.mem_available)
		        : 0);
	} else {
		vm->m.uptime_s = 0;
		vm->started_ms = 0;
		vm->m.agent = 0;
		vm->m.cpu_pct = 0;
		vm->facts_at = 0;
		free(vm->m.ip);
		vm->m.ip = NULL;
	}
	return 0;
}

/* Deep-copy the current model into a snapshot's VM part. */
void
vm_fill(struct vm *vm, struct model_vm *out)
{
	model_vm_clear(out);
	model_vm_copy(out, &vm->m);
}

/*
 * --- the lock: one action at a time on a profile ---------------------
 *
 * Any number of dashboards and CLI commands look at a profile; an action
 * (start, stop, set, create, delete) holds <state>/lock only while it
 * runs. The file says "PID ACTION" so a second action can name who is
 * busy with the VM.
 */

static char *
vm_lock_path(struct vm *vm)
{
	return xasprintf("%s/lock", vm->state_dir);
}

/* A duplicate of the profile lock this vm holds (caller closes), or -1. */
int
vm_lock_dup(struct vm *vm)
{
	return vm->lock_fd == -1 ? -1 : fcntl(vm->lock_fd, F_DUPFD_CLOEXEC, 0);
}

/*
 * Hold the profile lock through fd, a vm_lock_dup() of another vm in this
 * process (a job working for it); this vm closes it.
 */
void
vm_lock_adopt(struct vm *vm, int fd)
{
	if (vm->lock_fd != -1)
		close(vm->lock_fd);
	vm->lock_fd = fd;
}

/* Give the profile's lock back (an action ended); a dup() keeps it held. */
void
vm_unlock(struct vm *vm)
{
	if (vm->lock_fd != -1)
		close(vm->lock_fd);
	vm->lock_fd = -1;
}

/* The action named in the lock file at fd after the pid, or "". */
static void
vm_lock_what(int fd, char *buf, size_t size)
{
	char text[96], *sp, *nl;
	ssize_t len = pread(fd, text, sizeof text - 1, 0);

	text[len > 0 ? len : 0] = '\0';
	*buf = '\0';
	if ((sp = strchr(text, ' ')) == NULL)
		return;
	if ((nl = strchr(++sp, '\n')) != NULL)
		*nl = '\0';
	/* only a plain word: the file is anyone's to write */
	if (*sp == '\0' ||
	    strspn(sp, "abcdefghijklmnopqrstuvwxyz -") != strlen(sp))
		return;
	snprintf(buf, size, "%s", sp);
}

/*
 * Take the profile's lock for the action what (start, set…; NULL when
 * not said), waiting up to wait_ms for another action to end; kept until
 * vm_unlock or vm_free. On failure *cause names the holder and its
 * action when the file says them.
 */
int
vm_lock_wait(struct vm *vm, const char *what, int wait_ms, char **cause)
{
	char *path, *line, held[96];
	uint64_t until = util_mono_ms() + (wait_ms > 0 ? (uint64_t)wait_ms : 0);
	int fd, rfd;
	long pid;

	if (vm->lock_fd != -1)
		return 0;
	if (util_mkdir_p(vm->state_dir, 0700, cause) != 0)
		return -1;
	path = vm_lock_path(vm);
	while ((fd = util_pidlock(path, &pid)) == -1 && pid != 0 &&
	       util_mono_ms() < until)
		usleep(50 * 1000);
	if (fd == -1) {
		held[0] = '\0';
		if (pid != 0 &&
		    (rfd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
			vm_lock_what(rfd, held, sizeof held);
			close(rfd);
		}
		if (pid == 0)
			util_set_cause(cause, "%s: %s", path, strerror(errno));
		else if (pid > 0 && *held != '\0')
			util_set_cause(
			    cause,
			    "profile %s is busy (berth pid %ld: %s); "
			    "try again when it ends",
			    vm->profile->name, pid, held);
		else if (pid > 0)
			util_set_cause(
			    cause,
			    "profile %s is busy (berth pid %ld); try "
			    "again when it ends",
			    vm->profile->name, pid);
		else
			util_set_cause(cause,
			               "profile %s is busy (lock %s held); try "
			               "again when it ends",
			               vm->profile->name, path);
		free(path);
		return -1;
	}
	free(path);
	if (what != NULL) {
		line = xasprintf("%ld %s\n", (long)getpid(), what);
		if (ftruncate(fd, 0) != 0 ||
		    pwrite(fd, line, strlen(line), 0) !=
		        (ssize_t)strlen(line)) {
			/* the action is only a hint */
		}
		free(line);
	}
	vm->lock_fd = fd;
	return 0;
}

/* The pid of another berth holding the lock, 0 when nobody else does. */
long
vm_lock_owner(struct vm *vm)
{
	char *path;
	long pid;

	if (vm->lock_fd != -1)
		return 0;
	path = vm_lock_path(vm);
	pid = util_pidlock_owner(path);
	free(path);
	return pid;
}

/* --- defining a domain from the profile ------------------------------- */

static int
vm_run(char *const argv[], char **cause)
{
	pid_t pid;
	int status;

	if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) != 0) {
		util_set_cause(cause, "cannot run %s: %s", argv[0],
		               strerror(errno));
		return -1;
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		util_set_cause(cause, "%s failed (exit %d)", argv[0],
		               WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return -1;
	}
	return 0;
}

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

/* The host runs under a hypervisor itself (CPUID hypervisor bit). */
static int
vm_host_is_guest(void)
{
	char *s = util_read_file("/proc/cpuinfo", NULL, NULL);
	int r;

	if (s == NULL)
		return 0;
	r = strstr(s, " hypervisor") != NULL;
	free(s);
	return r;
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
#ifdef __APPLE__
	caps = virConnectGetDomainCapabilities(vm->conn, NULL, NULL, NULL,
	                                       "hvf", 0);
	if (caps != NULL) {
		free(caps);
		return xstrdup("hvf");
	}
#else
	caps = virConnectGetDomainCapabilities(vm->conn, NULL, NULL, NULL,
	                                       "kvm", 0);
	if (caps != NULL) {
		free(caps);
		if (!vm_host_is_guest())
			return xstrdup("kvm");
		if (why != NULL)
			*why =
			    xstrdup("this host is itself a virtual machine "
			            "and nested KVM is unreliable; using TCG "
			            "(set vm.accel: kvm to force KVM)");
		return xstrdup("qemu");
	}
#endif
	if (why != NULL)
		*why = xstrdup("no hardware acceleration offered by libvirt; "
		               "using TCG (slow)");
	return xstrdup("qemu");
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

/* Make the disk file: a sparse raw file, or a qcow2 overlay of the image. */
static int
vm_make_disk(struct vm *vm, char **path, const char **format, char **cause)
{
	const struct profile *p = vm->profile;
	uint64_t size = p->vm.disk ? p->vm.disk : 20ULL << 30;
	struct stat sb;
	int fd;

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
	           *seed_url = NULL;
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
	s.arch =
	    p->vm.arch != NULL && *p->vm.arch != '\0' ? p->vm.arch : "x86_64";
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
	disk_attach(vm->state_dir, &data_disk, &seed);
	s.data_disk = data_disk;
	s.seed = seed;
	s.smbios_serial = seed_url = disk_seed_url(vm->state_dir);
	log = xasprintf("%s/console.log", vm->state_dir);
	s.serial_log = log;
	s.ssh_port = p->vm.ssh_port > 0 ? p->vm.ssh_port : vm_free_port();
	if (p->nmounts > 0)
		mounts = xcalloc(p->nmounts, sizeof *mounts);
	for (i = 0; i < p->nmounts; i++) {
		const struct profile_mount *pm = &p->mounts[i];

		if (pm->type == PROFILE_MOUNT_SSHFS)
			continue;
		mounts[n].host = pm->host;
		/*
		 * The tag is the guest path: the guest mounts an absolute
		 * tag at that path (tests/vm/README.md), so a share lands
		 * where the profile says without berth knowing the guest.
		 */
		gp = pm->guest != NULL && *pm->guest != '\0' ? pm->guest
		                                             : pm->host;
		if (gp != NULL && gp[0] == '/' && strlen(gp) < 200)
			mounts[n].tag = xstrdup(gp);
		else
			mounts[n].tag = xasprintf("share%zu", n);
		mounts[n].virtiofs = pm->type == PROFILE_MOUNT_VIRTIOFS;
		mounts[n].readonly = !pm->writable;
		n++;
	}
	s.mounts = mounts;
	s.nmounts = n;
	xml = domxml_build(&s, cause);
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

/* --- lifecycle -------------------------------------------------------- */

const char *
vm_op_name(enum vm_op op)
{
	static const char *names[] = {
	    [VM_OP_NONE] = "idle",         [VM_OP_START] = "starting",
	    [VM_OP_SHUTDOWN] = "stopping", [VM_OP_DESTROY] = "forcing off",
	    [VM_OP_REBOOT] = "restarting", [VM_OP_SUSPEND] = "pausing",
	    [VM_OP_RESUME] = "resuming",
	};

	return names[op];
}

static uint64_t
vm_shutdown_timeout(const struct vm *vm)
{
	uint64_t t = vm->profile->vm.shutdown_timeout_ms;

	return t > 0 ? t : VM_DEFAULT_SHUTDOWN;
}

static void
vm_set_operation(struct vm *vm, const char *text)
{
	free(vm->m.operation);
	vm->m.operation = text != NULL ? xstrdup(text) : NULL;
}

/*
 * QEMU refuses to start when a shared folder does not exist ("cannot
 * initialize fsdev"): on a local hypervisor, make the profile's missing
 * share folders first (the shipped profile shares ~/src, which a new user
 * may not have). A remote host's folders are its own business.
 */
static void
vm_make_share_dirs(struct vm *vm)
{
	const struct profile *p = vm->profile;
	struct stat sb;
	char *cause = NULL;
	size_t i;

	if (vm->is_test || strncmp(vm->uri, "qemu:///", 8) != 0)
		return;
	for (i = 0; i < p->nmounts; i++) {
		const char *h = p->mounts[i].host;

		if (h == NULL || *h != '/' || stat(h, &sb) == 0 ||
		    errno != ENOENT)
			continue;
		if (util_mkdir_p(h, 0755, &cause) != 0) {
			free(cause); /* libvirt's own error says the rest */
			cause = NULL;
		}
	}
}

/* Boot the defined domain (0, or -1 with libvirt's error). */
static int
vm_begin_start(struct vm *vm)
{
	int r;

	vm_make_share_dirs(vm);
	vm->op_deadline = util_mono_ms() + VM_START_TIMEOUT_MS;
	r = virDomainCreate(vm->dom);
	vm->started_ms = util_now_ms();
	return r;
}

/* Ask the guest to shut down (0, or -1 with libvirt's error). */
static int
vm_begin_shutdown(struct vm *vm)
{
	int r = -1;

	vm->op_deadline = util_mono_ms() + vm_shutdown_timeout(vm);
	/* The agent works in guests without acpid; ACPI otherwise. */
	if (!vm->is_test && vm->m.agent)
		r = virDomainShutdownFlags(vm->dom,
		                           VIR_DOMAIN_SHUTDOWN_GUEST_AGENT);
	if (r != 0 && !vm->is_test)
		r = virDomainShutdownFlags(
		    vm->dom, VIR_DOMAIN_SHUTDOWN_GUEST_AGENT |
		                 VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN);
	if (r != 0)
		r = virDomainShutdown(vm->dom);
	return r;
}

/*
 * Start an operation: issue the libvirt call. Returns 1 when it is already
 * complete, 0 when vm_op_poll must follow it, -1 with *cause on error.
 * The caller holds the profile lock.
 *
 * VM_OP_REBOOT is a power cycle (shut down, then start the domain's
 * definition again), not a guest reboot: a reboot keeps the running
 * definition, so changes that apply on restart would stay pending. The
 * CLI's restart and the dashboard's R both run it.
 */
int
vm_op_begin(struct vm *vm, enum vm_op op, char **cause)
{
	enum model_vm_state st;
	int r = 0;

	if (vm->lock_fd == -1 &&
	    vm_lock_wait(vm, vm_op_name(op), 0, cause) != 0)
		return -1;
	if (vm->conn == NULL) {
		util_set_cause(cause, "%s",
		               vm->m.conn_error != NULL
		                   ? vm->m.conn_error
		                   : "libvirt: not connected");
		return -1;
	}
	if (vm->op != VM_OP_NONE) {
		util_set_cause(cause, "%s is busy (%s)", vm->domain,
		               vm_op_name(vm->op));
		return -1;
	}
	if (op == VM_OP_START && vm_lookup(vm) != 0 &&
	    vm_define(vm, cause) != 0)
		return -1;
	if (vm_lookup(vm) != 0) {
		util_set_cause(cause, "domain %s does not exist on %s",
		               vm->domain, vm->uri);
		return -1;
	}
	if (vm_state_now(vm, &st) != 0) {
		util_set_cause(cause, "libvirt: %s", vm_last_error());
		return -1;
	}
	vm->m.state = st;
	switch (op) {
	case VM_OP_START:
		if (vm_is_live(st)) {
			if (st == MODEL_VM_PAUSED)
				util_set_cause(
				    cause, "%s is paused; use `berth resume`",
				    vm->domain);
			return st == MODEL_VM_PAUSED ? -1 : 1;
		}
		r = vm_begin_start(vm);
		break;
	case VM_OP_SHUTDOWN:
		if (!vm_is_live(st))
			return 1;
		r = vm_begin_shutdown(vm);
		break;
	case VM_OP_DESTROY:
		if (!vm_is_live(st))
			return 1;
		vm->op_deadline = util_mono_ms() + 30000;
		r = virDomainDestroy(vm->dom);
		break;
	case VM_OP_REBOOT:
		if (st == MODEL_VM_PAUSED) {
			util_set_cause(cause,
			               "%s is paused; use `berth resume` first",
			               vm->domain);
			return -1;
		}
		/* a domain already off only needs the start half */
		vm->op_starting = !vm_is_live(st);
		r = vm->op_starting ? vm_begin_start(vm)
		                    : vm_begin_shutdown(vm);
		break;
	case VM_OP_SUSPEND:
		if (st == MODEL_VM_PAUSED)
			return 1;
		if (!vm_is_live(st)) {
			util_set_cause(cause, "%s is not running", vm->domain);
			return -1;
		}
		vm->op_deadline = util_mono_ms() + 30000;
		r = virDomainSuspend(vm->dom);
		break;
	case VM_OP_RESUME:
		if (st != MODEL_VM_PAUSED) {
			if (vm_is_live(st))
				return 1;
			util_set_cause(cause, "%s is not paused", vm->domain);
			return -1;
		}
		vm->op_deadline = util_mono_ms() + 30000;
		r = virDomainResume(vm->dom);
		break;
	case VM_OP_NONE:
		return 1;
	}
	if (r != 0) {
		util_set_cause(cause, "libvirt: %s %s: %s", vm_op_name(op),
		               vm->domain, vm_last_error());
		return -1;
	}
	vm->info_dirty = 1;
	vm->op = op;
	vm->op_started = vm->op_retry = util_mono_ms();
	vm_set_operation(vm, vm_op_name(op));
	return 0;
}

/*
 * Check the running operation against libvirt's state: 1 done, 0 still
 * going, -1 failed or timed out (*cause says what to do next).
 */
int
vm_op_poll(struct vm *vm, char **cause)
{
	enum model_vm_state st;
	enum vm_op op = vm->op;
	int done = 0;
	char *text;

	if (op == VM_OP_NONE)
		return 1;
	if (vm->conn == NULL) {
		vm->op = VM_OP_NONE;
		vm_set_operation(vm, NULL);
		util_set_cause(cause, "%s: lost the libvirt connection",
		               vm->domain);
		return -1;
	}
	if (vm_state_now(vm, &st) != 0) {
		vm->op = VM_OP_NONE;
		vm_set_operation(vm, NULL);
		util_set_cause(cause, "libvirt: %s", vm_last_error());
		return -1;
	}
	vm->m.state = st;
	switch (op) {
	case VM_OP_START:
	case VM_OP_RESUME:
		done = st == MODEL_VM_RUNNING || st == MODEL_VM_BLOCKED;
		break;
	case VM_OP_SHUTDOWN:
	case VM_OP_DESTROY:
		done = !vm_is_live(st);
		break;
	case VM_OP_REBOOT:
		if (vm->op_starting) {
			done = st == MODEL_VM_RUNNING || st == MODEL_VM_BLOCKED;
			break;
		}
		if (vm_is_live(st))
			break;
		/* off: boot the definition, with what was pending */
		vm->op_starting = 1;
		if (vm_begin_start(vm) != 0) {
			vm->op = VM_OP_NONE;
			vm_set_operation(vm, NULL);
			util_set_cause(cause, "libvirt: starting %s again: %s",
			               vm->domain, vm_last_error());
			return -1;
		}
		vm->info_dirty = 1;
		break;
	case VM_OP_SUSPEND:
		done = st == MODEL_VM_PAUSED;
		break;
	case VM_OP_NONE:
		done = 1;
		break;
	}
	if (done) {
		vm->op = VM_OP_NONE;
		vm_set_operation(vm, NULL);
		vm->info_dirty = 1;
		return 1;
	}
	if (util_mono_ms() >= vm->op_deadline) {
		vm->op = VM_OP_NONE;
		vm_set_operation(vm, NULL);
		if (op == VM_OP_SHUTDOWN ||
		    (op == VM_OP_REBOOT && !vm->op_starting))
			util_set_cause(
			    cause,
			    "%s did not stop within %llus (the guest "
			    "ignored the shutdown request); use "
			    "`berth stop --force`",
			    vm->domain,
			    (unsigned long long)(vm_shutdown_timeout(vm) /
			                         1000));
		else
			util_set_cause(cause, "%s: %s timed out (state %s)",
			               vm->domain, vm_op_name(op),
			               model_vm_state_name(st));
		return -1;
	}
	/*
	 * A guest still booting when asked to stop ignores ACPI (no acpid)
	 * and has no agent yet: ask its agent again every few seconds.
	 */
	if ((op == VM_OP_SHUTDOWN ||
	     (op == VM_OP_REBOOT && !vm->op_starting)) &&
	    !vm->is_test && util_mono_ms() - vm->op_retry >= 2000) {
		vm->op_retry = util_mono_ms();
		if (virDomainShutdownFlags(
		        vm->dom, VIR_DOMAIN_SHUTDOWN_GUEST_AGENT) != 0)
			virResetLastError();
	}
	text = xasprintf(
	    "%s %s (%llus)", vm_op_name(op), vm->domain,
	    (unsigned long long)((util_mono_ms() - vm->op_started) / 1000));
	vm_set_operation(vm, text);
	free(text);
	return 0;
}

/* Run an operation to its end (CLI), reporting progress. */
int
vm_op_run(struct vm *vm, enum vm_op op, vm_progress_cb progress, void *arg,
          char **cause)
{
	int r = vm_op_begin(vm, op, cause);

	while (r == 0) {
		vm_wait_events(vm, 200);
		vm_poll_events(vm);
		r = vm_op_poll(vm, cause);
		if (r == 0 && progress != NULL && vm->m.operation != NULL)
			progress(arg, vm->m.operation);
	}
	return r < 0 ? -1 : 0;
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
	} else if (d->source == NULL) {
		util_set_cause(cause, "%s's disk is not a file berth can grow",
		               vm->domain);
		return -1;
	} else if (d->format != NULL && strcmp(d->format, "qcow2") == 0) {
		char *sz = xasprintf("%llu", (unsigned long long)bytes);
		char *argv[] = {"qemu-img", "resize",  "-q", "-f",
		                "qcow2",    d->source, sz,   NULL};
		int r = vm_run(argv, cause);

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

/*
 * States of several domains on one URI (berth list) with one connection
 * and one virConnectGetAllDomainStats call.
 */
int
vm_list_states(const char *uri, const char *const *names, size_t n,
               enum model_vm_state *out, char **cause)
{
	virConnectPtr c;
	virDomainStatsRecordPtr *recs = NULL;
	int i, nr, st;
	size_t j;

	pthread_once(&vm_loop_once, vm_loop_init);
	for (j = 0; j < n; j++)
		out[j] = MODEL_VM_NOT_CREATED;
	if ((c = virConnectOpen(uri)) == NULL) {
		char *e = vm_conn_error(uri, vm_last_error());

		if (cause != NULL)
			*cause = e;
		else
			free(e);
		for (j = 0; j < n; j++)
			out[j] = MODEL_VM_UNKNOWN;
		return -1;
	}
	nr = virConnectGetAllDomainStats(c, VIR_DOMAIN_STATS_STATE, &recs, 0);
	for (i = 0; i < nr; i++) {
		const char *name = virDomainGetName(recs[i]->dom);

		st = 0;
		virTypedParamsGetInt(recs[i]->params, recs[i]->nparams,
		                     "state.state", &st);
		for (j = 0; j < n; j++) {
			if (name != NULL && strcmp(names[j], name) == 0)
				out[j] = vm_map_state(st);
		}
	}
	if (recs != NULL)
		virDomainStatsRecordListFree(recs);
	virConnectClose(c);
	return 0;
}

/*
 * VM states of loaded profiles (NULL entries are invalid profiles and get
 * MODEL_VM_UNKNOWN): profiles on the same URI share one connection and
 * one stats call.
 */
void
vm_profile_states(struct profile *const *profs, size_t n,
                  enum model_vm_state *states)
{
	char **uris = xcalloc(n + 1, sizeof *uris);
	const char **group = xcalloc(n + 1, sizeof *group);
	size_t *idx = xcalloc(n + 1, sizeof *idx), i, j, g;
	enum model_vm_state *one = xcalloc(n + 1, sizeof *one);

	for (i = 0; i < n; i++) {
		states[i] = MODEL_VM_UNKNOWN;
		if (profs[i] != NULL)
			uris[i] = vm_default_uri(profs[i]->vm.uri);
	}
	for (i = 0; i < n; i++) {
		if (uris[i] == NULL)
			continue;
		for (g = 0, j = i; j < n; j++) {
			if (uris[j] != NULL && strcmp(uris[j], uris[i]) == 0) {
				group[g] = profs[j]->vm.domain;
				idx[g++] = j;
			}
		}
		vm_list_states(uris[i], group, g, one, NULL);
		for (j = 0; j < g; j++) {
			states[idx[j]] = one[j];
			if (idx[j] != i) {
				free(uris[idx[j]]);
				uris[idx[j]] = NULL;
			}
		}
		free(uris[i]);
		uris[i] = NULL;
	}
	free(uris);
	free(group);
	free(idx);
	free(one);
}

/* --- the engine component -------------------------------------------- */

struct vm_comp {
	struct engine *engine;
	struct vm *vm;
	struct model_profile_state *profiles; /* ENGINE_CMD_LIST_PROFILES */
	size_t nprofiles;
	struct create_job *job; /* creating or first start from an image */
	char *job_text;         /* its latest stage line */
};

/* Every profile's VM state, for the profile picker. */
static void
vm_comp_list_profiles(struct vm_comp *c)
{
	struct profile **profs;
	enum model_vm_state *states;
	char **names, *cause;
	size_t n = 0, i;

	for (i = 0; i < c->nprofiles; i++)
		free(c->profiles[i].name);
	free(c->profiles);
	names = profile_list_names(&n);
	profs = xcalloc(n + 1, sizeof *profs);
	states = xcalloc(n + 1, sizeof *states);
	for (i = 0; i < n; i++) {
		cause = NULL;
		profs[i] = profile_open(names[i], &cause);
		free(cause);
	}
	vm_profile_states(profs, n, states);
	c->profiles = xcalloc(n + 1, sizeof *c->profiles);
	for (i = 0; i < n; i++) {
		c->profiles[i].name = names[i];
		c->profiles[i].state = states[i];
		profile_free(profs[i]);
	}
	c->nprofiles = n;
	free(names);
	free(profs);
	free(states);
}

static void
vm_comp_notify(void *arg, int level, const char *text)
{
	struct vm_comp *c = arg;

	engine_message(c->engine, level, "%s", text);
}

static void *
vm_comp_create(struct engine *e, const struct profile *p)
{
	struct vm_comp *c = xcalloc(1, sizeof *c);
	char *cause = NULL;

	c->engine = e;
	c->vm = vm_new(p);
	vm_set_notify(c->vm, vm_comp_notify, c);
	/* No profile lock here: each action takes it while it runs. */
	if (vm_connect(c->vm, &cause) != 0) {
		engine_message(e, 2, "%s; retrying in %ds", cause,
		               c->vm->backoff_s);
		free(cause);
	}
	return c;
}

static void
vm_comp_destroy(void *arg)
{
	struct vm_comp *c = arg;

	size_t i;

	create_job_release(c->job); /* a running job finishes by itself */
	free(c->job_text);
	vm_free(c->vm);
	for (i = 0; i < c->nprofiles; i++)
		free(c->profiles[i].name);
	free(c->profiles);
	free(c);
}

static int
vm_comp_prepare(void *arg, struct pollfd *pfd, int max, int *timeout)
{
	struct vm_comp *c = arg;
	int fd = vm_event_fd(c->vm), in = vm_reconnect_in(c->vm);

	if (in > 1000)
		in = in % 1000 + 1; /* wake for the countdown */
	if (in >= 0 && in < *timeout)
		*timeout = in;
	int n = 0;

	if (c->vm->op != VM_OP_NONE && *timeout > 250)
		*timeout = 250;
	/* a job's stage counts seconds: look at it twice a second */
	if (c->job != NULL && *timeout > 500)
		*timeout = 500;
	if (fd != -1 && n < max) {
		pfd[n].fd = fd;
		pfd[n].events = POLLIN;
		pfd[n++].revents = 0;
	}
	if (c->job != NULL && n < max) {
		pfd[n].fd = create_job_fd(c->job);
		pfd[n].events = POLLIN;
		pfd[n++].revents = 0;
	}
	return n;
}

/* Take what the create job reported; at its end, say how it went. */
static void
vm_comp_job_poll(struct vm_comp *c)
{
	char *text, *result;
	int failed = 0, done;

	done = create_job_read(c->job, &text, &result, &failed);
	/* publish only a changed line (the seconds tick while it runs) */
	if (text != NULL && !util_streq(text, c->job_text)) {
		free(c->job_text);
		c->job_text = text;
		engine_changed(c->engine);
	} else
		free(text);
	if (!done)
		return;
	engine_message(c->engine, failed ? 2 : 0, "%s", result);
	free(result);
	free(c->job_text);
	c->job_text = NULL;
	create_job_release(c->job);
	c->job = NULL;
	vm_refresh(c->vm, 0, NULL);
	engine_changed(c->engine);
}

/*
 * Start a create job when the VM comes from an image and is not created
 * yet (create, and start with start set) or was created and never brought
 * up (start): the stages run on the job's thread. Returns 1 if it took the
 * command.
 */
static int
vm_comp_job_begin(struct vm_comp *c, int start)
{
	const struct profile *p = c->vm->profile;
	enum model_vm_state st = c->vm->m.state;
	char *cause = NULL;
	int fresh = st == MODEL_VM_NOT_CREATED;

	if (c->vm->is_test || !vm_connected(c->vm) || image_source(p) == NULL)
		return 0;
	if (!fresh &&
	    !(start && (st == MODEL_VM_SHUTOFF || st == MODEL_VM_RUNNING) &&
	      create_first_boot_pending(p)))
		return 0;
	if (c->job != NULL) {
		engine_message(c->engine, 1, "%s",
		               c->job_text != NULL ? c->job_text
		                                   : "already creating");
		return 1;
	}
	if (vm_lock_wait(c->vm, fresh ? "create" : "start", 0, &cause) != 0) {
		engine_message(c->engine, 2, "%s", cause);
		free(cause);
		return 1;
	}
	/* the job holds the lock (a dup) until it ends */
	c->job = create_job_start(p, vm_lock_dup(c->vm), fresh, start, &cause);
	vm_unlock(c->vm);
	if (c->job == NULL) {
		engine_message(c->engine, 2, "%s", cause);
		free(cause);
		return 1;
	}
	c->job_text = xstrdup(fresh ? "creating…" : "starting…");
	engine_changed(c->engine);
	return 1;
}

/*
 * An action ended (or was refused): give the profile's lock back unless
 * an operation still runs on it, so other berths may act.
 */
static void
vm_comp_release(struct vm_comp *c)
{
	if (c->vm->op == VM_OP_NONE)
		vm_unlock(c->vm);
}

static void
vm_comp_op_poll(struct vm_comp *c)
{
	char *cause = NULL, *before;
	enum vm_op op = c->vm->op;
	int r;

	if (op == VM_OP_NONE)
		return;
	before =
	    c->vm->m.operation != NULL ? xstrdup(c->vm->m.operation) : NULL;
	r = vm_op_poll(c->vm, &cause);
	vm_comp_release(c);
	if (r < 0) {
		engine_message(c->engine, 2, "%s", cause);
		free(cause);
	} else if (r == 1)
		engine_message(c->engine, 0, "%s: %s", c->vm->domain,
		               model_vm_state_name(c->vm->m.state));
	/* publish only what changed: the loop must not spin meanwhile */
	if (r != 0 || !util_streq(before, c->vm->m.operation))
		engine_changed(c->engine);
	free(before);
}

static void
vm_comp_dispatch(void *arg, const struct pollfd *pfd, int n)
{
	struct vm_comp *c = arg;
	int in, i, events = 0;

	for (i = 0; i < n; i++) {
		if (!(pfd[i].revents & (POLLIN | POLLHUP)))
			continue;
		if (c->job == NULL || pfd[i].fd != create_job_fd(c->job))
			events = 1;
	}
	/* every pass, not only when it wrote: its seconds count on */
	if (c->job != NULL)
		vm_comp_job_poll(c);
	if (events) {
		if (vm_poll_events(c->vm)) {
			if (vm_connected(c->vm))
				vm_refresh(c->vm, 0, NULL);
			engine_changed(c->engine);
		}
	}
	if (vm_reconnect_due(c->vm, util_mono_ms())) {
		vm_refresh(c->vm, 1, NULL);
		engine_changed(c->engine);
	} else if ((in = vm_reconnect_in(c->vm)) >= 0 &&
	           (in + 999) / 1000 != c->vm->m.retry_in_s) {
		/* the "retrying in Ns" countdown, once a second */
		c->vm->m.retry_in_s = (in + 999) / 1000;
		engine_changed(c->engine);
	}
	vm_comp_op_poll(c);
}

static void
vm_comp_tick(void *arg)
{
	struct vm_comp *c = arg;

	if (vm_connected(c->vm))
		vm_refresh(c->vm, 1, NULL);
	engine_changed(c->engine);
}

static int
vm_comp_command(void *arg, const struct engine_cmd *cmd)
{
	static const struct {
		enum engine_cmd_type type;
		enum vm_op op;
	} ops[] = {
	    {ENGINE_CMD_VM_START, VM_OP_START},
	    {ENGINE_CMD_VM_SHUTDOWN, VM_OP_SHUTDOWN},
	    {ENGINE_CMD_VM_DESTROY, VM_OP_DESTROY},
	    {ENGINE_CMD_VM_REBOOT, VM_OP_REBOOT},
	    {ENGINE_CMD_VM_SUSPEND, VM_OP_SUSPEND},
	    {ENGINE_CMD_VM_RESUME, VM_OP_RESUME},
	};
	struct vm_comp *c = arg;
	enum vm_set_result res;
	char *cause = NULL;
	size_t i;
	int r;

	if (cmd->type == ENGINE_CMD_LIST_PROFILES) {
		vm_comp_list_profiles(c);
		engine_changed(c->engine);
		return 1;
	}
	if (cmd->type == ENGINE_CMD_VM_SET ||
	    cmd->type == ENGINE_CMD_VM_CREATE) {
		if (c->job != NULL) {
			engine_message(c->engine, 1, "%s: wait for it to end",
			               c->job_text);
			return 1;
		}
		/* c does what berth start does on a new VM: create it
		 * and bring it up to a forwarded Docker socket. */
		if (cmd->type == ENGINE_CMD_VM_CREATE &&
		    vm_comp_job_begin(c, 1))
			return 1;
		if (cmd->type == ENGINE_CMD_VM_CREATE)
			r = vm_lock_wait(c->vm, "create", 0, &cause) == 0
			        ? vm_define(c->vm, &cause)
			        : -1;
		else if (cmd->arg == NULL || cmd->arg2 == NULL) {
			r = -1;
			cause =
			    xstrdup("resource change needs a key and value");
		} else
			r = vm_set(c->vm, cmd->arg, cmd->arg2, &res, &cause);
		if (r != 0)
			engine_message(c->engine, 2, "%s", cause);
		else if (cmd->type == ENGINE_CMD_VM_SET)
			engine_message(
			    c->engine, 0, "%s %s: %s", cmd->arg, cmd->arg2,
			    res == VM_SET_RESTART ? "applies on restart"
			    : res == VM_SET_SAME  ? "unchanged"
			                          : "applied");
		free(cause);
		vm_comp_release(c);
		vm_refresh(c->vm, 0, NULL);
		engine_changed(c->engine);
		return 1;
	}
	for (i = 0; i < nitems(ops); i++) {
		if (ops[i].type != cmd->type)
			continue;
		if (c->job != NULL) {
			engine_message(c->engine, 1, "%s: wait for it to end",
			               c->job_text);
			return 1;
		}
		/* R on a VM that is off is a start: the first one a job's */
		if ((ops[i].op == VM_OP_START ||
		     (ops[i].op == VM_OP_REBOOT &&
		      !vm_is_live(c->vm->m.state))) &&
		    vm_comp_job_begin(c, 1))
			return 1;
		r = vm_op_begin(c->vm, ops[i].op, &cause);
		vm_comp_release(c);
		if (r < 0) {
			engine_message(c->engine, 2, "%s", cause);
			free(cause);
		} else if (r == 1)
			engine_message(c->engine, 0, "%s is already %s",
			               c->vm->domain,
			               model_vm_state_name(c->vm->m.state));
		engine_changed(c->engine);
		return 1;
	}
	return 0;
}

static void
vm_comp_fill(void *arg, struct model *m)
{
	struct vm_comp *c = arg;

	size_t i;

	vm_fill(c->vm, &m->vm);
	if (c->vm->op != VM_OP_NONE)
		m->busy = 1;
	if (c->job != NULL) {
		free(m->vm.operation);
		m->vm.operation = xstrdup(c->job_text);
		m->busy = 1;
	}
	if (c->nprofiles > 0) {
		m->profiles = xcalloc(c->nprofiles, sizeof *m->profiles);
		for (i = 0; i < c->nprofiles; i++) {
			m->profiles[i].name = xstrdup(c->profiles[i].name);
			m->profiles[i].state = c->profiles[i].state;
		}
		m->nprofiles = c->nprofiles;
	}
}

static int
vm_comp_pending(void *arg)
{
	struct vm_comp *c = arg;

	return c->vm->op != VM_OP_NONE;
}

const struct engine_component vm_component = {
    .name = "vm",
    .create = vm_comp_create,
    .destroy = vm_comp_destroy,
    .prepare = vm_comp_prepare,
    .dispatch = vm_comp_dispatch,
    .tick = vm_comp_tick,
    .command = vm_comp_command,
    .fill = vm_comp_fill,
    .pending = vm_comp_pending,
};
