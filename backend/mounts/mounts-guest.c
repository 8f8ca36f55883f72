/*
 * mounts-guest.c: how the mount watchers reach the guest. One libvirt
 * connection (this subsystem's own, opened on first use) and one SSH
 * address and key serve every watcher of the profile, each under its own
 * lock; a guest command goes through the guest agent, over SSH, or (auto)
 * the agent with SSH when the agent cannot be used. The domain's XML,
 * read once a connection, says which host folders the domain shares.
 */

#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "core/core.h"
#include "mounts/mounts.h"
#include "socket/socket.h"
#include "vm/vm.h"

#define MOUNTS_GUEST_RETRY_MS 3000  /* before connecting again */
#define MOUNTS_AGENT_RETRY_MS 60000 /* auto: try the agent again after */

struct mounts_guest {
	const struct profile *p;

	/* conn_lock: the connection, held across libvirt calls (slow). */
	pthread_mutex_t conn_lock;
	virConnectPtr conn;
	uint64_t conn_retry; /* monotonic ms before which not to retry */
	int xml_checked;     /* mounts_guest_check_xml() ran on this conn */
	char *conn_error;

	/* lock: what the engine thread reads, never held across a call. */
	pthread_mutex_t lock;
	int *present; /* per mount: in the domain XML, -1 not known yet */

	/* ssh_lock: the SSH transport (address from the profile or the
	 * domain, the profile's key). */
	pthread_mutex_t ssh_lock;
	struct replay_ssh ssh;
	char *state_dir; /* NULL: no state dir, so no key */
	int key_ready;   /* ssh_ensure_key() succeeded */
};

static void mounts_guest_quiet(void *, virErrorPtr);
static void mounts_guest_check_xml(struct mounts_guest *, virDomainPtr);
static virDomainPtr mounts_guest_domain(struct mounts_guest *, char **);

/* libvirt's default handler prints to stderr, under the dashboard. */
static void
mounts_guest_quiet(void *arg, virErrorPtr e)
{
	(void)arg;
	(void)e;
}

/*
 * The guest's SSH address as the socket forward finds it in the profile:
 * docker.ssh_host/ssh_port, else the VM's forwarded vm.ssh_port on this
 * host; the profile's own key and known_hosts.
 */
static void
mounts_guest_ssh_init(struct mounts_guest *g, const struct profile *p)
{
	char *cause = NULL;

	if (p->docker.ssh_host != NULL || p->docker.ssh_port > 0) {
		g->ssh.host =
		    xstrdup(p->docker.ssh_host != NULL ? p->docker.ssh_host
		                                       : "127.0.0.1");
		g->ssh.port = p->docker.ssh_port > 0 ? p->docker.ssh_port : 22;
	} else if (p->vm.ssh_port > 0) {
		g->ssh.host = xstrdup("127.0.0.1");
		g->ssh.port = p->vm.ssh_port;
	}
	g->ssh.user = xstrdup(p->vm.ssh_user != NULL ? p->vm.ssh_user : "root");
	g->ssh.alias = xasprintf("berth-%s", p->name);
	if (p->name != NULL &&
	    (g->state_dir = supervisor_state_dir(p->name, &cause)) != NULL) {
		g->ssh.key = xasprintf("%s/ssh/id_ed25519", g->state_dir);
		g->ssh.known_hosts =
		    xasprintf("%s/ssh/known_hosts", g->state_dir);
	}
	free(cause);
}

/* The way to the guest of profile p (which must outlive it). */
struct mounts_guest *
mounts_guest_new(const struct profile *p)
{
	struct mounts_guest *g = xcalloc(1, sizeof *g);
	size_t i;

	/* Errors come back as causes; nothing may print under curses. */
	virSetErrorFunc(NULL, mounts_guest_quiet);
	g->p = p;
	pthread_mutex_init(&g->conn_lock, NULL);
	pthread_mutex_init(&g->lock, NULL);
	pthread_mutex_init(&g->ssh_lock, NULL);
	g->present = xcalloc(p->nmounts + 1, sizeof *g->present);
	for (i = 0; i < p->nmounts; i++)
		g->present[i] = -1;
	mounts_guest_ssh_init(g, p);
	return g;
}

/* Only once no watcher uses it. */
void
mounts_guest_free(struct mounts_guest *g)
{
	if (g == NULL)
		return;
	if (g->conn != NULL)
		virConnectClose(g->conn);
	free(g->conn_error);
	pthread_mutex_destroy(&g->conn_lock);
	pthread_mutex_destroy(&g->lock);
	pthread_mutex_destroy(&g->ssh_lock);
	free(g->present);
	free(g->ssh.host);
	free(g->ssh.user);
	free(g->ssh.key);
	free(g->ssh.known_hosts);
	free(g->ssh.alias);
	free(g->state_dir);
	free(g);
}

/* The profile's state folder (NULL: none), as long as g lives. */
const char *
mounts_guest_state_dir(const struct mounts_guest *g)
{
	return g->state_dir;
}

/* Is mount i's host folder shared by the domain: 1, 0, -1 not known. */
int
mounts_guest_present(struct mounts_guest *g, size_t i)
{
	int present;

	if (i >= g->p->nmounts)
		return -1;
	pthread_mutex_lock(&g->lock);
	present = g->present[i];
	pthread_mutex_unlock(&g->lock);
	return present;
}

/*
 * Read the domain's XML once per connection (conn_lock held): which mount
 * is a <filesystem> source of the domain, and, with no SSH address in the
 * profile, the port berth forwarded to the guest's sshd when it defined
 * the VM (vm.ssh_port: 0 picks one).
 */
static void
mounts_guest_check_xml(struct mounts_guest *g, virDomainPtr dom)
{
	struct domxml_info info;
	char *xml;
	int parsed;
	size_t i;

	BERTH_ASSERT_LOCKED(&g->conn_lock);
	if (g->xml_checked)
		return;
	if ((xml = virDomainGetXMLDesc(dom, 0)) == NULL)
		return;
	g->xml_checked = 1;
	parsed = domxml_parse(xml, &info, NULL) == 0;
	free(xml);
	pthread_mutex_lock(&g->lock);
	for (i = 0; i < g->p->nmounts; i++)
		g->present[i] =
		    parsed && domxml_has_fs(&info, g->p->mounts[i].host);
	pthread_mutex_unlock(&g->lock);
	pthread_mutex_lock(&g->ssh_lock);
	if (g->ssh.host == NULL && parsed && info.ssh_port > 0) {
		g->ssh.host = xstrdup("127.0.0.1");
		g->ssh.port = info.ssh_port;
	}
	pthread_mutex_unlock(&g->ssh_lock);
	if (parsed)
		domxml_info_free(&info);
}

/* The profile's domain, through this subsystem's connection. */
static virDomainPtr
mounts_guest_domain(struct mounts_guest *g, char **cause)
{
	virDomainPtr dom = NULL;
	virErrorPtr e;

	pthread_mutex_lock(&g->conn_lock);
	if (g->conn == NULL && util_mono_ms() >= g->conn_retry) {
		g->conn = virConnectOpen(g->p->vm.uri);
		if (g->conn != NULL)
			virConnSetErrorFunc(g->conn, NULL, mounts_guest_quiet);
		else {
			e = virGetLastError();
			free(g->conn_error);
			g->conn_error = xstrdup(e != NULL && e->message != NULL
			                            ? e->message
			                            : "cannot connect");
			g->conn_retry = util_mono_ms() + MOUNTS_GUEST_RETRY_MS;
		}
	}
	if (g->conn == NULL) {
		util_set_cause(cause, "libvirt %s: %s", g->p->vm.uri,
		               g->conn_error != NULL ? g->conn_error
		                                     : "not connected");
		pthread_mutex_unlock(&g->conn_lock);
		return NULL;
	}
	dom = virDomainLookupByName(g->conn, g->p->vm.domain);
	if (dom != NULL)
		mounts_guest_check_xml(g, dom);
	if (dom == NULL) {
		e = virGetLastError();
		util_set_cause(cause, "domain %s: %s", g->p->vm.domain,
		               e != NULL && e->message != NULL ? e->message
		                                               : "not found");
		if (virConnectIsAlive(g->conn) != 1) {
			virConnectClose(g->conn);
			g->conn = NULL;
			g->xml_checked = 0;
		}
	}
	pthread_mutex_unlock(&g->conn_lock);
	return dom;
}

/*
 * Is the profile's domain running (1), or not, or unknown (0)? Holding a
 * 9p share's folders with watch off waits for it rather than failing a
 * guest command every few seconds while the VM is down.
 */
int
mounts_guest_running(struct mounts_guest *g)
{
	virDomainPtr dom = mounts_guest_domain(g, NULL);
	int active;

	if (dom == NULL)
		return 0;
	active = virDomainIsActive(dom) == 1;
	virDomainFree(dom);
	return active;
}

/*
 * The guest's SSH address and the profile's key (made if needed) in *t,
 * whose strings live as long as g. Returns -1 with a cause without them.
 */
int
mounts_guest_ssh(struct mounts_guest *g, struct replay_ssh *t, char **cause)
{
	char *key = NULL;

	if (g->ssh.key == NULL) {
		util_set_cause(cause, "no state folder for the profile's SSH "
		                      "key");
		return -1;
	}
	pthread_mutex_lock(&g->ssh_lock);
	if (!g->key_ready &&
	    ssh_ensure_key(g->state_dir, g->p->name, &key, NULL, cause) == 0)
		g->key_ready = 1;
	pthread_mutex_unlock(&g->ssh_lock);
	free(key);
	if (!g->key_ready)
		return -1;
	pthread_mutex_lock(&g->ssh_lock);
	*t = g->ssh;
	pthread_mutex_unlock(&g->ssh_lock);
	if (t->host == NULL) {
		/* Learn the forwarded port from the domain's XML. */
		virDomainPtr dom = mounts_guest_domain(g, NULL);

		if (dom != NULL)
			virDomainFree(dom);
		pthread_mutex_lock(&g->ssh_lock);
		*t = g->ssh;
		pthread_mutex_unlock(&g->ssh_lock);
	}
	return 0;
}

/* Run a guest command over SSH (making the profile's key if needed). */
static int
mounts_guest_ssh_exec(struct mounts_guest *g, const char *script,
                      const char *arg, const char *input, size_t len,
                      uint64_t budget, char **out, int *code, char **cause)
{
	struct replay_ssh t;

	if (mounts_guest_ssh(g, &t, cause) != 0)
		return -1;
	return replay_ssh_exec(&t, script, arg, input, len, budget, out, code,
	                       cause);
}

/*
 * Run `sh -c script berth [arg]` in the guest through the mount's
 * transport: the guest agent, SSH, or (auto) the agent and SSH when the
 * agent cannot be used, then SSH for a minute before the agent again.
 * *agent_retry and *via are the calling watcher's own: when auto next
 * tries the agent, and the transport that worked ("agent", "ssh").
 */
int
mounts_guest_exec(struct mounts_guest *g, enum profile_transport t,
                  uint64_t *agent_retry, const char **via, const char *script,
                  const char *arg, const char *input, size_t len,
                  uint64_t budget, char **out, int *code, char **cause)
{
	char *acause = NULL, *scause = NULL;
	virDomainPtr dom;
	int rc = -1, have_ssh;

	if (t != PROFILE_TRANSPORT_SSH &&
	    (t == PROFILE_TRANSPORT_AGENT || util_mono_ms() >= *agent_retry)) {
		if ((dom = mounts_guest_domain(g, &acause)) != NULL) {
			rc = replay_agent_exec(dom, script, arg, input, len,
			                       budget, out, code, &acause);
			virDomainFree(dom);
		}
		pthread_mutex_lock(&g->ssh_lock);
		have_ssh = g->ssh.host != NULL;
		pthread_mutex_unlock(&g->ssh_lock);
		if (rc == 0 || t == PROFILE_TRANSPORT_AGENT || !have_ssh) {
			if (rc == 0)
				*via = "agent";
			else if (cause != NULL) {
				free(*cause);
				*cause = acause;
				acause = NULL;
			}
			free(acause);
			return rc;
		}
	}
	rc = mounts_guest_ssh_exec(g, script, arg, input, len, budget, out,
	                           code, &scause);
	if (rc == 0) {
		*via = "ssh";
		if (acause != NULL)
			*agent_retry = util_mono_ms() + MOUNTS_AGENT_RETRY_MS;
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
