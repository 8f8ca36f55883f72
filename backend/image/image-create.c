/*
 * image-create.c: making a VM from an image and bringing it up to "docker ps
 * works", in named stages with elapsed times: downloading, creating disks
 * (then the domain is defined), booting (the guest's sshd answers through
 * the slirp forward), provisioning (cloud-init finished, or none in the
 * image: already provisioned), Docker ready (dockerd answers in the
 * guest), socket forwarded (the host socket answers _ping). A failure
 * names its stage and the serial console log. Also `berth delete`: the
 * domain and its system disk go, the data disk stays unless asked.
 */

#include "config.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/image.h"
#include "socket/socket.h"

static const char *const create_stage_names[CREATE_NSTAGES] = {
    [CREATE_DOWNLOAD] = "downloading", [CREATE_DISKS] = "creating disks",
    [CREATE_BOOT] = "booting",         [CREATE_PROVISION] = "provisioning",
    [CREATE_DOCKER] = "Docker ready",  [CREATE_SOCKET] = "socket forwarded",
};

struct create_run {
	const struct profile *p;
	create_cb cb;
	void *arg;
	enum create_stage stage;
	uint64_t t0;
	char *state_dir;
	char *detail; /* the running stage's latest progress text */
};

const char *
create_stage_name(enum create_stage s)
{
	return create_stage_names[s];
}

static void
create_report(struct create_run *r, int done, const char *detail)
{
	struct create_report rep;

	if (r->cb == NULL)
		return;
	rep.stage = r->stage;
	rep.done = done;
	rep.elapsed_ms = util_mono_ms() - r->t0;
	rep.detail = detail;
	r->cb(r->arg, &rep);
	/* kept for create_tick(), which says it again with the new time */
	if (detail != r->detail) {
		free(r->detail);
		r->detail = !done && detail != NULL ? xstrdup(detail) : NULL;
	}
}

/*
 * A second went by inside one long call (ssh to a slow guest): report the
 * stage again so its counter moves (a CLI line, the dashboard's pane).
 */
static void
create_tick(struct create_run *r)
{
	if (r != NULL)
		create_report(r, 0, r->detail);
}

static void
create_begin(struct create_run *r, enum create_stage s)
{
	r->stage = s;
	r->t0 = util_mono_ms();
	create_report(r, 0, NULL);
}

/* A stage failed: name it and point at the console log. */
static int
create_fail(struct create_run *r, char *why, char **cause)
{
	util_set_cause(cause,
	               "%s failed after %llu s: %s (serial console: "
	               "%s/console.log; berth console-log -p %s)",
	               create_stage_names[r->stage],
	               (unsigned long long)((util_mono_ms() - r->t0) / 1000),
	               why != NULL ? why : "unknown error", r->state_dir,
	               r->p->name);
	free(why);
	return -1;
}

static void
create_image_progress(void *arg, const struct image_progress *pr)
{
	struct create_run *r = arg;
	char *t = image_progress_text(pr);

	create_report(r, 0, t);
	free(t);
}

static uint64_t
create_timeout_ms(void)
{
	const char *s = getenv("BERTH_CREATE_TIMEOUT_S");
	long v = s != NULL ? strtol(s, NULL, 10) : 0;

	return (uint64_t)(v > 0 ? v : 600) * 1000;
}

/* <state>/first-boot: created, not yet brought up to a Docker socket. */
static void
create_mark_first_boot(const char *state_dir, int on)
{
	char *f = xasprintf("%s/first-boot", state_dir);

	if (on)
		util_write_file_atomic(f, "", 0, 0600, 0, NULL);
	else
		unlink(f);
	free(f);
}

/* Was the profile's VM created and never brought up? */
int
create_first_boot_pending(const struct profile *p)
{
	char *d = paths_state_dir(p->name), *f = xasprintf("%s/first-boot", d);
	int r = access(f, F_OK) == 0;

	free(f);
	free(d);
	return r;
}

/*
 * What the downloading stage says of a base image whose checksum was
 * verified: image.c records it in BASE.sha256 (64 or 128 hex digits).
 * NULL when none was (caller frees).
 */
static char *
create_sum_note(const char *base)
{
	char *f = xasprintf("%s.sha256", base),
	     *s = util_read_file(f, NULL, NULL);
	size_t n = s != NULL ? strspn(s, "0123456789abcdefABCDEF") : 0;

	free(f);
	free(s);
	if (n == 128)
		return xstrdup("SHA-512 checked");
	if (n == 64)
		return xstrdup("SHA-256 checked");
	return NULL;
}

/*
 * Stages 1-2: the base image (downloaded unless cached), the disks, the
 * seed, the domain. Nothing is defined until every file exists, and each
 * file is made under a temporary name, so an interrupted create leaves
 * nothing half-made: the next one resumes the download and goes on.
 */
int
create_vm(struct vm *vm, const struct profile *p, create_cb cb, void *arg,
          char **cause)
{
	struct create_run r = {p, cb, arg, CREATE_DOWNLOAD, 0, NULL, NULL};
	struct model_vm m;
	char *base, *sys = NULL, *data = NULL, *seed = NULL, *note = NULL,
	            *why = NULL;
	int rc = -1;

	r.state_dir = paths_state_dir(p->name);
	memset(&m, 0, sizeof m);
	vm_fill(vm, &m);
	if (m.state != MODEL_VM_NOT_CREATED) {
		util_set_cause(cause,
		               "%s already exists (berth delete -p %s "
		               "first to make it anew)",
		               m.domain, p->name);
		goto out;
	}
	if (image_source(p) != NULL) {
		create_begin(&r, CREATE_DOWNLOAD);
		base = image_resolve(p, create_image_progress, &r, &note, &why);
		if (base == NULL) {
			rc = create_fail(&r, why, cause);
			goto out;
		}
		if (note == NULL)
			note = create_sum_note(base);
		free(base);
		create_report(&r, 1, note);
		create_begin(&r, CREATE_DISKS);
		if (disk_prepare(p, m.domain, r.state_dir, NULL, NULL, &sys,
		                 &data, &seed, NULL, &why) != 0) {
			rc = create_fail(&r, why, cause);
			goto out;
		}
	} else
		create_begin(&r, CREATE_DISKS);
	if (vm_define(vm, &why) != 0) {
		rc = create_fail(&r, why, cause);
		goto out;
	}
	create_mark_first_boot(r.state_dir, 1);
	create_report(&r, 1,
	              seed != NULL  ? "system overlay, data disk, seed ISO"
	              : sys != NULL ? "system overlay, data disk, seed over "
	                              "HTTP (no xorriso or genisoimage)"
	                            : NULL);
	rc = 0;
out:
	free(note);
	free(sys);
	free(data);
	free(seed);
	free(r.state_dir);
	free(r.detail);
	model_vm_clear(&m);
	return rc;
}

/* Does an SSH server answer on 127.0.0.1:port (its banner)? */
static int
create_ssh_banner(int port)
{
	struct sockaddr_in sa;
	struct pollfd pfd;
	char buf[8];
	int fd, ok = 0;
	ssize_t n;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 3000) == 1 &&
		    (n = read(fd, buf, sizeof buf)) >= 4 &&
		    memcmp(buf, "SSH-", 4) == 0)
			ok = 1;
	}
	close(fd);
	return ok;
}

/* create_tick for the process runner, which passes a void pointer. */
static void
create_tick_cb(void *r)
{
	create_tick(r);
}

/*
 * Run a command in the guest over ssh with the profile's key; *out gets
 * its stdout (caller frees). Returns the exit status, -1 if ssh could not
 * run. Each second it runs, r's stage is reported again (create_tick).
 */
static int
create_ssh(struct create_run *r, const struct profile *p, const char *key,
           int port, const char *cmd, char **out)
{
	const char *user = p->vm.ssh_user != NULL && *p->vm.ssh_user != '\0'
	                       ? p->vm.ssh_user
	                       : "root";
	char portbuf[16], *argv[32];
	struct proc pr = {.argv = argv,
	                  .flags = PROC_OUT,
	                  .cap = 4095,
	                  /* the guest may take minutes */
	                  .tick = create_tick_cb,
	                  .tick_arg = r};
	size_t len;
	int n = 0;

	*out = NULL;
	snprintf(portbuf, sizeof portbuf, "%d", port);
	argv[n++] = (char *)"ssh";
	argv[n++] = (char *)"-q";
	argv[n++] = (char *)"-i";
	argv[n++] = (char *)key;
	argv[n++] = (char *)"-p";
	argv[n++] = portbuf;
	argv[n++] = (char *)"-l";
	argv[n++] = (char *)user;
	argv[n++] = (char *)"-o";
	argv[n++] = (char *)"BatchMode=yes";
	argv[n++] = (char *)"-o";
	argv[n++] = (char *)"IdentitiesOnly=yes";
	argv[n++] = (char *)"-o";
	argv[n++] = (char *)"StrictHostKeyChecking=no";
	argv[n++] = (char *)"-o";
	argv[n++] = (char *)"UserKnownHostsFile=/dev/null";
	argv[n++] = (char *)"-o";
	argv[n++] = (char *)"ConnectTimeout=10";
	argv[n++] = (char *)"-o";
	argv[n++] = (char *)"LogLevel=ERROR";
	argv[n++] = (char *)"127.0.0.1";
	argv[n++] = (char *)cmd;
	argv[n] = NULL;
	proc_run(&pr, NULL);
	if (pr.error != 0) {
		proc_free(&pr);
		return -1;
	}
	len = pr.out_len;
	while (len > 0 && (pr.out[len - 1] == '\n' || pr.out[len - 1] == '\r'))
		len--;
	*out = util_sanitize_dup(pr.out, len);
	n = pr.code;
	proc_free(&pr);
	return n;
}

/*
 * One look at cloud-init in the guest, one line (create_ssh shows a
 * newline as ^J): its status word, '|', the step berth's provisioning
 * script is on ("none" when the image has no cloud-init: nothing to wait
 * for).
 */
static const char create_ci_status[] =
    "command -v cloud-init >/dev/null 2>&1 || { echo none; exit 0; }; "
    "s=$(cloud-init status 2>/dev/null | sed -n 's/^status: *//p'); "
    "echo \"${s:-unknown}|$(head -n1 /run/berth-provision.step "
    "2>/dev/null)\"; exit 0";

/* What a failed provisioning shows: cloud-init's errors, the log's tail. */
static const char create_ci_failure[] =
    "cloud-init status --long 2>&1 | grep -v '^ *$' | tail -n 6; "
    "echo '--- tail of /var/log/cloud-init-output.log:'; "
    "tail -n 12 /var/log/cloud-init-output.log 2>&1 | cut -c1-200";

/*
 * Read one create_ci_status answer. Still running: report the step and
 * leave *detail NULL. Finished: *detail says how (caller frees). Failed
 * (cloud-init's status is error): -1 with *why naming the step and the
 * tail of cloud-init-output.log, fetched at once, so a failure never
 * waits for the timeout.
 */
static int
create_ci_poll(struct create_run *r, const struct profile *p, const char *key,
               int port, const char *out, char **detail, char **why)
{
	char *status = xstrdup(out), *step, *bar, *more = NULL, *t;

	*detail = NULL;
	step = (bar = strchr(status, '|')) != NULL ? bar + 1 : NULL;
	if (bar != NULL)
		*bar = '\0';
	if (strcmp(status, "none") == 0 || strcmp(status, "disabled") == 0) {
		*detail =
		    xasprintf("already provisioned (no cloud-init %s)",
		              *status == 'n' ? "in the image" : "enabled");
	} else if (strcmp(status, "done") == 0) {
		*detail =
		    xasprintf("cloud-init done%s%s",
		              step != NULL && *step != '\0' ? ", berth: " : "",
		              step != NULL ? step : "");
	} else if (strcmp(status, "error") == 0 ||
	           strcmp(status, "degraded") == 0) {
		create_ssh(r, p, key, port, create_ci_failure, &more);
		/* The tail's lines again (create_ssh made them ^J). */
		while (more != NULL && (t = strstr(more, "^J")) != NULL) {
			t[0] = '\n';
			memmove(t + 1, t + 2, strlen(t + 2) + 1);
		}
		*why = xasprintf(
		    "cloud-init: %s%s%s\n%s", status,
		    step != NULL && *step != '\0' ? " at step: " : "",
		    step != NULL ? step : "", more != NULL ? more : "");
		free(more);
		free(status);
		return -1;
	} else {
		t = xasprintf("cloud-init %s%s%s", status,
		              step != NULL && *step != '\0' ? ": " : "",
		              step != NULL ? step : "");
		create_report(r, 0, t);
		free(t);
	}
	free(status);
	return 0;
}

static void
create_vm_progress(void *arg, const char *text)
{
	struct create_run *r = arg;

	create_report(r, 0, text);
}

/*
 * Stages 3-6 for a defined VM: start it (unless running), then wait for
 * sshd, cloud-init, dockerd and the host socket in turn. The forward is
 * handed to a detached supervisor (berth socket start), so it outlives
 * this command. Each wait ends after BERTH_CREATE_TIMEOUT_S (600 s).
 */
int
create_bring_up(struct vm *vm, const struct profile *p, create_cb cb, void *arg,
                char **cause)
{
	struct create_run r = {p, cb, arg, CREATE_BOOT, 0, NULL, NULL};
	struct model_vm m;
	struct forward *f = NULL;
	struct provision_server *ps = NULL;
	char *why = NULL, *key = NULL, *out = NULL, *detail, *seed_url;
	const char *colon;
	uint64_t limit = create_timeout_ms();
	double ping_ms;
	int port = 0, rc = -1, st;
	pid_t starter;

	r.state_dir = paths_state_dir(p->name);
	memset(&m, 0, sizeof m);
	create_begin(&r, CREATE_BOOT);
	/* A seed without an ISO is served while the guest first boots. */
	if ((seed_url = disk_seed_url(r.state_dir)) != NULL &&
	    (ps = provision_serve(r.state_dir, &why)) == NULL) {
		free(seed_url);
		rc = create_fail(&r, why, cause);
		why = NULL; /* create_fail freed it */
		goto out;
	}
	free(seed_url);
	if (vm_op_run(vm, VM_OP_START, create_vm_progress, &r, &why) != 0) {
		rc = create_fail(&r, why, cause);
		why = NULL; /* create_fail freed it */
		goto out;
	}
	vm_refresh(vm, 0, NULL);
	vm_fill(vm, &m);
	if (m.ssh == NULL || (colon = strrchr(m.ssh, ':')) == NULL ||
	    (port = atoi(colon + 1)) <= 0) {
		rc = create_fail(&r,
		                 xasprintf("%s has no ssh port forward berth "
		                           "can use",
		                           m.domain),
		                 cause);
		goto out;
	}
	while (!create_ssh_banner(port)) {
		if (util_mono_ms() - r.t0 > limit) {
			rc = create_fail(
			    &r,
			    xasprintf("no ssh banner on 127.0.0.1:%d", port),
			    cause);
			goto out;
		}
		create_report(&r, 0, "waiting for the guest's sshd");
		usleep(500000);
	}
	create_report(&r, 1, NULL);

	create_begin(&r, CREATE_PROVISION);
	if (ssh_ensure_key(r.state_dir, p->name, &key, NULL, &why) != 0) {
		rc = create_fail(&r, why, cause);
		why = NULL; /* create_fail freed it */
		goto out;
	}
	for (;;) {
		free(out);
		st = create_ssh(&r, p, key, port, create_ci_status, &out);
		if (st == 0 &&
		    create_ci_poll(&r, p, key, port, out, &detail, &why) != 0) {
			rc = create_fail(&r, why, cause);
			why = NULL; /* create_fail freed it */
			goto out;
		}
		if (st == 0 && detail != NULL)
			break;
		if (util_mono_ms() - r.t0 > limit) {
			rc = create_fail(
			    &r,
			    st != 0 ? xasprintf("cannot log in as %s with %s "
			                        "on port %d",
			                        p->vm.ssh_user != NULL
			                            ? p->vm.ssh_user
			                            : "root",
			                        key, port)
			            : xasprintf("cloud-init still running: %s",
			                        out),
			    cause);
			goto out;
		}
		if (st != 0)
			create_report(&r, 0, "logging in");
		sleep(st == 0 ? 2 : 1);
	}
	if (ps != NULL) {
		char *t = xasprintf("%s (seed over HTTP, %d files fetched)",
		                    detail, provision_serve_hits(ps));

		free(detail);
		detail = t;
	}
	provision_serve_stop(ps);
	ps = NULL;
	create_report(&r, 1, detail);
	free(detail);

	create_begin(&r, CREATE_DOCKER);
	for (;;) {
		free(out);
		st = create_ssh(&r, p, key, port,
		                "docker version --format '{{.Server.Version}}'",
		                &out);
		if (st == 0)
			break;
		if (util_mono_ms() - r.t0 > limit) {
			rc = create_fail(&r,
			                 xasprintf("dockerd does not answer in "
			                           "the guest"),
			                 cause);
			goto out;
		}
		create_report(&r, 0, "waiting for dockerd");
		sleep(1);
	}
	out[strcspn(out, "\n")] = '\0';
	detail = xasprintf("Docker %s", out);
	create_report(&r, 1, detail);
	free(detail);

	create_begin(&r, CREATE_SOCKET);
	if (p->docker.forward == PROFILE_FORWARD_NONE) {
		create_report(&r, 1, "docker.forward: none");
		create_mark_first_boot(r.state_dir, 0);
		rc = 0;
		goto out;
	}
	f = forward_new(p, 0);
	if (supervisor_owner_pid(p->name, NULL) <= 0) {
		starter = supervisor_spawn(p->name, m.ssh, &why);
		if (starter < 0) {
			rc = create_fail(&r, why, cause);
			why = NULL; /* create_fail freed it */
			goto out;
		}
		waitpid(starter, NULL, 0);
	}
	for (;;) {
		free(why);
		why = NULL;
		if (health_ping(forward_path(f), 5000, &ping_ms, NULL, &why) ==
		    0)
			break;
		if (util_mono_ms() - r.t0 > limit) {
			rc = create_fail(&r, why, cause);
			why = NULL; /* create_fail freed it */
			goto out;
		}
		create_report(&r, 0, "waiting for the forward");
		usleep(300000);
	}
	create_report(&r, 1, forward_path(f));
	create_mark_first_boot(r.state_dir, 0);
	rc = 0;
out:
	provision_serve_stop(ps);
	if (f != NULL)
		forward_free(f);
	free(why);
	free(out);
	free(key);
	free(r.state_dir);
	free(r.detail);
	model_vm_clear(&m);
	return rc;
}

/*
 * Delete a profile's VM: force it off, undefine it (with its snapshots'
 * metadata and NVRAM), remove the system overlay and seed, and with data
 * the data disk. The cached base image stays (berth image prune).
 */
int
create_delete(const struct profile *p, const char *uri, const char *domain,
              int data, char **cause)
{
	char *dir = paths_state_dir(p->name);
	virConnectPtr c;
	virDomainPtr d;
	virErrorPtr e;
	int rc = 0;

	if ((c = virConnectOpen(uri)) == NULL) {
		e = virGetLastError();
		util_set_cause(cause, "libvirt %s: %s", uri,
		               e != NULL && e->message ? e->message
		                                       : "no reason");
		free(dir);
		return -1;
	}
	if ((d = virDomainLookupByName(c, domain)) != NULL) {
		if (virDomainIsActive(d) == 1)
			virDomainDestroy(d);
		if (virDomainUndefineFlags(
		        d, VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
		               VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
		               VIR_DOMAIN_UNDEFINE_NVRAM) != 0 &&
		    virDomainUndefine(d) != 0) {
			e = virGetLastError();
			util_set_cause(cause, "cannot undefine %s: %s", domain,
			               e != NULL && e->message ? e->message
			                                       : "no reason");
			rc = -1;
		}
		virDomainFree(d);
	}
	virResetLastError();
	/* vm-define.c put a remote host's disk in its storage pool */
	if (rc == 0 && vm_uri_is_remote(uri))
		rc = vm_remote_disk_delete(c, domain, cause);
	virConnectClose(c);
	if (rc == 0)
		rc = disk_remove(dir, data, cause);
	free(dir);
	return rc;
}

/* --- the dashboard's job ---------------------------------------------- */

struct create_job {
	pthread_mutex_t lock;
	int refs;                /* the thread's and the engine's */
	int pipe[2];             /* thread -> engine: something changed */
	struct profile *profile; /* the job's own copy */
	int lock_fd;             /* a dup of the engine's profile lock */
	int create, start;       /* stages 1-2, stages 3-6 */
	/*
	 * The latest stage report, kept rather than formatted: the line is
	 * made when read, so its seconds count on while a stage blocks in
	 * one long call (ssh, qemu-img) between reports.
	 */
	int have_stage;
	struct create_report rep; /* its detail is in detail */
	char *detail;
	uint64_t stage_t0; /* mono ms the stage began */
	char *done_stages; /* "downloading 12 s, creating disks 1 s" */
	char *result;      /* final message */
	int done, failed;
};

static void
create_job_unref(struct create_job *j)
{
	int last;

	pthread_mutex_lock(&j->lock);
	last = --j->refs == 0;
	pthread_mutex_unlock(&j->lock);
	if (!last)
		return;
	close(j->pipe[0]);
	close(j->pipe[1]);
	if (j->lock_fd != -1)
		close(j->lock_fd);
	profile_free(j->profile);
	free(j->detail);
	free(j->done_stages);
	free(j->result);
	pthread_mutex_destroy(&j->lock);
	free(j);
}

static void
create_job_poke(struct create_job *j)
{
	char b = 'j';

	if (write(j->pipe[1], &b, 1) == -1 && errno != EAGAIN)
		return; /* the engine still sees the state at its next tick */
}

/* Stage reports become the VM pane's operation line (create_job_read). */
static void
create_job_report(void *arg, const struct create_report *rep)
{
	struct create_job *j = arg;
	char *detail = rep->detail != NULL ? xstrdup(rep->detail) : NULL;

	/* Finished stages stay on the line with their times, as the CLI
	 * prints them one a line. */
	pthread_mutex_lock(&j->lock);
	if (rep->done) {
		char *t =
		    xasprintf("%s%s%s %.0f s",
		              j->done_stages != NULL ? j->done_stages : "",
		              j->done_stages != NULL ? ", " : "",
		              create_stage_name(rep->stage),
		              (double)rep->elapsed_ms / 1000.0);
		free(j->done_stages);
		j->done_stages = t;
	}
	free(j->detail);
	j->detail = detail;
	j->rep = *rep;
	j->rep.detail = NULL;
	j->stage_t0 = util_mono_ms() - rep->elapsed_ms;
	j->have_stage = 1;
	pthread_mutex_unlock(&j->lock);
	create_job_poke(j);
}

static void *
create_job_main(void *arg)
{
	struct create_job *j = arg;
	struct vm *vm = vm_new(j->profile);
	char *cause = NULL, *result, *nl;
	int rc;

	vm_lock_adopt(vm, j->lock_fd);
	j->lock_fd = -1;
	rc = vm_connect(vm, &cause);
	if (rc == 0 && j->create)
		rc = create_vm(vm, j->profile, create_job_report, j, &cause);
	if (rc == 0 && j->start)
		rc = create_bring_up(vm, j->profile, create_job_report, j,
		                     &cause);
	if (rc != 0) {
		result = cause != NULL ? cause : xstrdup("create failed");
		/* One message line: a failed provisioning's log tail has
		 * several (the CLI prints them as they are). */
		for (nl = result; (nl = strchr(nl, '\n')) != NULL;)
			*nl = ' ';
	} else if (j->start)
		result = xstrdup("the VM is up and Docker answers on the host "
		                 "socket");
	else
		result = xstrdup("the VM is created: press s to start it");
	vm_free(vm);
	pthread_mutex_lock(&j->lock);
	j->result = result;
	j->failed = rc != 0;
	j->done = 1;
	pthread_mutex_unlock(&j->lock);
	create_job_poke(j);
	create_job_unref(j);
	return NULL;
}

/*
 * Start a job that creates the profile's VM (create) and/or brings it up
 * (start). lock_fd is a dup of the caller's profile lock, taken over by
 * the job. The caller polls create_job_fd() and calls create_job_read().
 */
struct create_job *
create_job_start(const struct profile *p, int lock_fd, int create, int start,
                 char **cause)
{
	struct create_job *j;
	pthread_attr_t attr;
	pthread_t t;

	j = xcalloc(1, sizeof *j);
	if (pipe(j->pipe) != 0) {
		util_set_cause(cause, "pipe: %s", strerror(errno));
		free(j);
		if (lock_fd != -1)
			close(lock_fd);
		return NULL;
	}
	fcntl(j->pipe[0], F_SETFL, O_NONBLOCK);
	fcntl(j->pipe[1], F_SETFL, O_NONBLOCK);
	fcntl(j->pipe[0], F_SETFD, FD_CLOEXEC);
	fcntl(j->pipe[1], F_SETFD, FD_CLOEXEC);
	pthread_mutex_init(&j->lock, NULL);
	j->refs = 2;
	j->lock_fd = lock_fd;
	j->create = create;
	j->start = start;
	/* A private copy, re-read from the file the profile came from. */
	j->profile = p->path != NULL
	                 ? profile_open_file(p->path, p->name, cause)
	                 : profile_open(p->name, cause);
	if (j->profile == NULL) {
		j->refs = 1;
		create_job_unref(j);
		return NULL;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, create_job_main, j) != 0) {
		pthread_attr_destroy(&attr);
		util_set_cause(cause, "cannot start the create job");
		j->refs = 1;
		create_job_unref(j);
		return NULL;
	}
	pthread_attr_destroy(&attr);
	return j;
}

int
create_job_fd(const struct create_job *j)
{
	return j->pipe[0];
}

/*
 * Collect what the job reported: *text gets the progress line as of now
 * (allocated; NULL before the first stage), its seconds counting while the
 * stage runs, and when the job has finished, *result its final message and
 * *failed whether it failed; returns 1 then (the caller releases the job).
 */
int
create_job_read(struct create_job *j, char **text, char **result, int *failed)
{
	char buf[64];
	int done;

	while (read(j->pipe[0], buf, sizeof buf) > 0)
		;
	pthread_mutex_lock(&j->lock);
	*text = NULL;
	if (j->have_stage)
		*text = xasprintf(
		    "%s %s%s%s (%.0f s)%s%s", create_stage_name(j->rep.stage),
		    j->rep.done ? "done" : "…", j->detail != NULL ? ": " : "",
		    j->detail != NULL ? j->detail : "",
		    (double)(j->rep.done ? j->rep.elapsed_ms
		                         : util_mono_ms() - j->stage_t0) /
		        1000.0,
		    j->done_stages != NULL ? " · done: " : "",
		    j->done_stages != NULL ? j->done_stages : "");
	done = j->done;
	*result = NULL;
	if (done) {
		*result = j->result;
		j->result = NULL;
		*failed = j->failed;
	}
	pthread_mutex_unlock(&j->lock);
	return done;
}

/* The engine is done with the job; a running job finishes on its own. */
void
create_job_release(struct create_job *j)
{
	if (j != NULL)
		create_job_unref(j);
}

/*
 * The create job for the VM's engine component, which may not call image/
 * itself (image/ calls vm/): the engine hands it these.
 */
const struct vm_jobs create_jobs = {
    .source = image_source,
    .first_boot_pending = create_first_boot_pending,
    .start = create_job_start,
    .fd = create_job_fd,
    .read = create_job_read,
    .release = create_job_release,
};
