/*
 * vm.c: the VM backend's connection to libvirt. A struct vm holds one
 * connection to the profile's libvirt URI and the profile's domain: it
 * connects (with keepalive and a close callback, reconnecting with backoff
 * when the link dies), follows the domain's events, and maps libvirt's
 * states to the model's. The rest of a struct vm's life is in the other
 * vm-*.c files: stats (vm-stats.c), the profile lock (vm-lock.c), defining
 * the domain (vm-define.c), lifecycle operations (vm-lifecycle.c),
 * resources (vm-resources.c) and the engine component (vm-component.c).
 *
 * libvirt's event loop runs on a thread of its own. Its callbacks touch
 * only a small refcounted "sink" per connection (flags under a mutex and
 * a wake byte on a pipe); the owner of the struct vm (the engine thread,
 * or the CLI) polls that pipe and does the work on its own thread.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "vm/vm.h"

#define VM_KEEPALIVE_INTERVAL 5 /* seconds */
#define VM_KEEPALIVE_COUNT    3
#define VM_BACKOFF_MAX        30 /* seconds */

static pthread_once_t vm_loop_once = PTHREAD_ONCE_INIT;
static int vm_loop_ok;

static void vm_drop(struct vm *, const char *);

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

const char *
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

void
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
 * when running as root and no session daemon is listening; on macOS
 * Homebrew's session daemon, whose socket is under Homebrew's prefix
 * (platform_darwin). The caller frees the result.
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
	if (platform_host->libvirt_socket != NULL)
		return xasprintf("%s?socket=%s", platform_host->libvirt_uri,
		                 platform_host->libvirt_socket);
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

/*
 * Whether a URI names libvirt on another host (qemu+ssh://user@mac/session,
 * qemu://host/system, qemu+tcp://...): files berth makes here (the disk,
 * the console log) do not exist there. qemu:///session, qemu+unix:///...
 * and test:// are local.
 */
int
vm_uri_is_remote(const char *uri)
{
	const char *s = strstr(uri, "://"), *plus = strchr(uri, '+');

	if (s == NULL)
		return 0;
	if (plus != NULL && plus < s &&
	    (strncmp(plus, "+ssh:", 5) == 0 ||
	     strncmp(plus, "+libssh", 7) == 0 ||
	     strncmp(plus, "+tcp:", 5) == 0 || strncmp(plus, "+tls:", 5) == 0))
		return 1;
	/* a host part: anything but the third slash after the scheme */
	return s[3] != '/' && s[3] != '\0';
}

/* The value of ?NAME= in a URI (not unescaped), or NULL; caller frees. */
static char *
vm_uri_param(const char *uri, const char *name)
{
	const char *q = strchr(uri, '?'), *v;
	size_t n = strlen(name);

	for (v = q; v != NULL; v = strchr(v + 1, '&')) {
		if (strncmp(v + 1, name, n) == 0 && v[1 + n] == '=')
			return xstrndup(v + 2 + n, strcspn(v + 2 + n, "&"));
	}
	return NULL;
}

/* The user@ of a remote URI, or NULL; caller frees. */
static char *
vm_uri_user(const char *uri)
{
	const char *h = strstr(uri, "://"), *at;
	size_t n;

	if (h == NULL)
		return NULL;
	h += 3;
	n = strcspn(h, "/?");
	at = memchr(h, '@', n);
	return at != NULL ? xstrndup(h, (size_t)(at - h)) : NULL;
}

/* One line saying why a connection failed and what fixes it. */
static char *
vm_conn_error(const char *uri, const char *msg)
{
	const char *fix = NULL;
	char *sock, *user, *r;

	if (strstr(msg, "no connection driver") != NULL)
		fix = "check vm.uri in the profile (for example "
		      "qemu:///session, qemu:///system or test:///default)";
	else if (vm_uri_is_remote(uri) &&
	         strstr(msg, "ermission denied (publickey") != NULL)
		/* ssh's refusal, not the local socket's permissions */
		fix = "the remote host refused the SSH key: check keyfile= "
		      "in vm.uri and that its public key is in that user's "
		      "~/.ssh/authorized_keys there";
	else if (strstr(msg, "ermission denied") != NULL)
		fix = "add yourself to the 'libvirt' group, or use "
		      "qemu:///session";
	else if (vm_uri_is_remote(uri) &&
	         (sock = vm_uri_param(uri, "socket")) != NULL &&
	         strstr(msg, "nc: ") != NULL &&
	         (strstr(msg, "No such file") != NULL ||
	          strstr(msg, "onnection refused") != NULL)) {
		/* ssh got in; nothing listens at ?socket= on the far side */
		user = vm_uri_user(uri);
		r = xasprintf(
		    "libvirt: cannot connect to %s: no libvirt daemon "
		    "listens at %s on that host: start it there as "
		    "%s (macOS: brew services start libvirt)",
		    uri, sock, user != NULL ? user : "that user");
		free(user);
		free(sock);
		return r;
	} else if (strncmp(uri, "qemu+ssh", 8) == 0 ||
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
	vm->is_remote = vm_uri_is_remote(vm->uri);
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
int
vm_reconnect_in(const struct vm *vm)
{
	uint64_t now = util_mono_ms();

	if (vm->conn != NULL || vm->retry_at == 0)
		return -1;
	return vm->retry_at > now ? (int)(vm->retry_at - now) : 0;
}

/* Look the domain up; 0 found, -1 not there (state NOT_CREATED). */
int
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

enum model_vm_state
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

void
vm_set_reason(struct vm *vm, int st, int reason)
{
	const char *r = vm_reason_text(st, reason);

	free(vm->m.reason);
	vm->m.reason = r != NULL ? xstrdup(r) : NULL;
}

/* Ask libvirt for the domain's state now (one cheap call). */
int
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

int
vm_is_live(enum model_vm_state st)
{
	return st == MODEL_VM_RUNNING || st == MODEL_VM_BLOCKED ||
	       st == MODEL_VM_PAUSED || st == MODEL_VM_SHUTTING_DOWN;
}

/* Read the persistent XML again when something may have changed it. */
void
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
	/*
	 * The port is on the loopback of libvirt's host: a remote one's is
	 * not reachable from here, so no socket forward is started to it.
	 */
	vm->m.ssh = vm->info.ssh_port > 0 && !vm->is_remote
	                ? xasprintf("127.0.0.1:%d", vm->info.ssh_port)
	                : NULL;
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
