/*
 * cmd-vm.c: the VM commands: berth start, stop [--force], restart, pause,
 * resume, status [--json] [--watch], set --cpus/--memory/--disk, list
 * [--json], with their options in their table entries. They drive the same
 * backend calls as the dashboard (vm.c); progress goes to stderr on a terminal
 * and nothing extra when piped.
 */

#include "config.h"

#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "mounts/mounts.h"
#include "socket/socket.h"
#include "vm/vm.h"

static volatile sig_atomic_t cmd_vm_stop_watch;

/*
 * Open the profile and connect; prints the one-line error itself and sets
 * *rc: a usage error for the profile, a failure for libvirt.
 */
static struct vm *
cmd_vm_open(struct cmd_ctx *ctx, struct profile **pp, int quiet_conn,
            int oneshot, int *rc)
{
	struct profile *p;
	struct vm *vm;
	char *cause = NULL;

	if ((p = cmd_profile_open(ctx)) == NULL) {
		*rc = BERTH_EXIT_USAGE;
		return NULL;
	}
	vm = vm_new(p);
	vm_set_oneshot(vm, oneshot);
	if (vm_connect(vm, &cause) != 0 && !quiet_conn) {
		fprintf(stderr, "berth: %s\n", cause);
		free(cause);
		*rc = BERTH_EXIT_FAILED;
		vm_free(vm);
		profile_free(p);
		return NULL;
	}
	free(cause);
	*pp = p;
	return vm;
}

/* Progress on a terminal: redraw the line only when its text changes. */
static void
cmd_vm_progress(void *arg, const char *text)
{
	static char last[256];
	int *shown = arg;

	if (*shown && strncmp(last, text, sizeof last - 1) == 0)
		return;
	snprintf(last, sizeof last, "%s", text);
	fprintf(stderr, "\r\033[K%s", text);
	*shown = 1;
}

/* Run a lifecycle operation and print the state libvirt ends in. */
static int
cmd_vm_op(struct cmd_ctx *ctx, const struct cmd_entry *c, enum vm_op op)
{
	struct profile *p = NULL;
	struct vm *vm;
	struct model_vm m;
	char *cause = NULL;
	int shown = 0, tty = isatty(STDERR_FILENO), r, rc;
	int supervisor = 0;

	if ((vm = cmd_vm_open(ctx, &p, 0, 0, &rc)) == NULL)
		return rc;
	if (vm_lock_wait(vm, c->name, VM_LOCK_WAIT_MS, &cause) != 0) {
		fprintf(stderr, "berth: %s\n", cause);
		free(cause);
		vm_free(vm);
		profile_free(p);
		return BERTH_EXIT_FAILED;
	}
	vm_refresh(vm, 0, NULL);
	/* restart is VM_OP_REBOOT: the power cycle the dashboard's R runs */
	r = vm_op_run(vm, op, tty ? cmd_vm_progress : NULL, &shown, &cause);
	if (shown)
		fprintf(stderr, "\r\033[K");
	if (r != 0) {
		fprintf(stderr, "berth: %s\n", cause);
		free(cause);
		vm_free(vm);
		profile_free(p);
		return BERTH_EXIT_FAILED;
	}
	/* The forward lives as long as the VM: end its supervisor too. */
	if ((op == VM_OP_SHUTDOWN || op == VM_OP_DESTROY) &&
	    supervisor_owner_pid(p->name, &supervisor) > 0 && supervisor &&
	    supervisor_stop(p->name, &cause) != 0) {
		fprintf(stderr, "berth: %s\n", cause);
		free(cause);
		cause = NULL;
	}
	vm_refresh(vm, 0, NULL);
	memset(&m, 0, sizeof m);
	vm_fill(vm, &m);
	/*
	 * The socket lives with the VM: whichever berth started it (or
	 * found it running) leaves a supervised forward behind. Not for
	 * the test driver's VMs, nor a VM with no sshd port to reach.
	 */
	if ((op == VM_OP_START || op == VM_OP_REBOOT || op == VM_OP_RESUME) &&
	    m.state == MODEL_VM_RUNNING && m.uri != NULL &&
	    strncmp(m.uri, "test:", 5) != 0 &&
	    (m.ssh != NULL || p->docker.ssh_host != NULL ||
	     p->docker.ssh_port > 0) &&
	    supervisor_ensure(p, m.ssh, &cause) != 0) {
		fprintf(stderr, "berth: %s\n", cause);
		free(cause);
		cause = NULL;
	}
	printf("%s: %s\n", m.domain, model_vm_state_name(m.state));
	model_vm_clear(&m);
	vm_free(vm);
	profile_free(p);
	return BERTH_EXIT_OK;
}

static int cmd_start_exec(struct cmd_ctx *, struct cmd_args *);
static int cmd_stop_exec(struct cmd_ctx *, struct cmd_args *);
static int cmd_restart_exec(struct cmd_ctx *, struct cmd_args *);
static int cmd_pause_exec(struct cmd_ctx *, struct cmd_args *);
static int cmd_resume_exec(struct cmd_ctx *, struct cmd_args *);
static int cmd_status_exec(struct cmd_ctx *, struct cmd_args *);
static int cmd_set_exec(struct cmd_ctx *, struct cmd_args *);
static int cmd_list_exec(struct cmd_ctx *, struct cmd_args *);

const struct cmd_entry cmd_start_entry = {
    .name = "start",
    .usage = "[-p PROFILE]",
    .help = "start the profile's VM (define it first if needed)",
    .exec = cmd_start_exec,
    .line = &dialog_command_start,
};
const struct cmd_entry cmd_stop_entry = {
    .name = "stop",
    .usage = "[-p PROFILE] [--force]",
    .help = "shut the VM down (guest agent or ACPI); --force pulls the plug",
    .options =
        (const struct cmd_option[]){
            {'f', "force", NULL, "pull the plug (no shutdown)", CMD_KIND_NONE,
             0},
            {0, NULL, NULL, NULL, CMD_KIND_NONE, 0},
        },
    .exec = cmd_stop_exec,
    .line = &dialog_command_stop,
};
const struct cmd_entry cmd_restart_entry = {
    .name = "restart",
    .usage = "[-p PROFILE]",
    .help = "shut the VM down and start it again",
    .exec = cmd_restart_exec,
    .line = &dialog_command_restart,
};
const struct cmd_entry cmd_pause_entry = {
    .name = "pause",
    .usage = "[-p PROFILE]",
    .help = "pause the VM's CPUs",
    .exec = cmd_pause_exec,
};
const struct cmd_entry cmd_resume_entry = {
    .name = "resume",
    .usage = "[-p PROFILE]",
    .help = "resume a paused VM",
    .exec = cmd_resume_exec,
};
const struct cmd_entry cmd_status_entry = {
    .name = "status",
    .usage = "[-p PROFILE] [--json] [--watch]",
    .help = "show the VM's state, resources and guest facts",
    .options =
        (const struct cmd_option[]){
            {'j', "json", NULL, "print JSON (berth(1) lists the fields)",
             CMD_KIND_NONE, 0},
            {'w', "watch", NULL,
             "a line each time the connection or the state changes (-j: JSON)",
             CMD_KIND_NONE, 0},
            {0, NULL, NULL, NULL, CMD_KIND_NONE, 0},
        },
    .exec = cmd_status_exec,
};
const struct cmd_entry cmd_set_entry = {
    .name = "set",
    .usage = "[-p PROFILE] [--cpus N] [--memory SIZE] [--disk SIZE]",
    .help = "change vCPUs, memory or disk (live when possible)",
    .options =
        (const struct cmd_option[]){
            {'c', "cpus", "N", "vCPUs", CMD_KIND_NONE, 0},
            {'m', "memory", "SIZE", "memory (2GiB, 512MiB)", CMD_KIND_NONE, 0},
            {'d', "disk", "SIZE", "the data disk's size (it only grows)",
             CMD_KIND_NONE, 0},
            {0, NULL, NULL, NULL, CMD_KIND_NONE, 0},
        },
    .exec = cmd_set_exec,
    .line = &dialog_command_set,
};
const struct cmd_entry cmd_list_entry = {
    .name = "list",
    .usage = "[--json]",
    .help = "every profile with its VM state",
    .options =
        (const struct cmd_option[]){
            {'j', "json", NULL, "print JSON", CMD_KIND_NONE, 0},
            {0, NULL, NULL, NULL, CMD_KIND_NONE, 0},
        },
    .max_args = -1,
    .exec = cmd_list_exec,
};

static int
cmd_start_exec(struct cmd_ctx *ctx, struct cmd_args *a)
{
	int r = cmd_create_first_start(ctx, a); /* cmd-create.c */

	if (r != -1)
		return r;
	return cmd_vm_op(ctx, &cmd_start_entry, VM_OP_START);
}

static int
cmd_stop_exec(struct cmd_ctx *ctx, struct cmd_args *a)
{
	return cmd_vm_op(ctx, &cmd_stop_entry,
	                 cmd_args_has(a, "force") ? VM_OP_DESTROY
	                                          : VM_OP_SHUTDOWN);
}

static int
cmd_restart_exec(struct cmd_ctx *ctx, struct cmd_args *a)
{
	(void)a;
	return cmd_vm_op(ctx, &cmd_restart_entry, VM_OP_REBOOT);
}

static int
cmd_pause_exec(struct cmd_ctx *ctx, struct cmd_args *a)
{
	(void)a;
	return cmd_vm_op(ctx, &cmd_pause_entry, VM_OP_SUSPEND);
}

static int
cmd_resume_exec(struct cmd_ctx *ctx, struct cmd_args *a)
{
	(void)a;
	return cmd_vm_op(ctx, &cmd_resume_entry, VM_OP_RESUME);
}

static const char *
cmd_vm_conn_name(enum model_conn c)
{
	switch (c) {
	case MODEL_CONN_UP:
		return "up";
	case MODEL_CONN_DOWN:
		return "down";
	case MODEL_CONN_CONNECTING:
		return "connecting";
	case MODEL_CONN_NONE:
		break;
	}
	return "none";
}

static json_t *
jstr(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *
jsize(uint64_t v)
{
	return v > 0 ? json_integer((json_int_t)v) : json_null();
}

/* Which disk the model's disk figures describe, in JSON and in text. */
static const char *
cmd_vm_disk_kind(const struct model_vm *m)
{
	return m->disk_kind == MODEL_DISK_DATA ? "data" : "first";
}

/*
 * The disk as status --json shows it: which disk (the data disk holding
 * /var/lib/docker that vm.disk sizes, or the domain's first disk), its
 * capacity and what it takes on the host (0 is a real answer: a fresh
 * sparse disk); null when no disk is known, as the text leaves it out.
 */
static json_t *
cmd_vm_disk_json(const struct model_vm *m)
{
	json_t *d;

	if (m->disk_capacity == 0)
		return json_null();
	d = json_object();
	json_object_set_new(d, "kind", json_string(cmd_vm_disk_kind(m)));
	json_object_set_new(d, "capacity_bytes",
	                    json_integer((json_int_t)m->disk_capacity));
	json_object_set_new(d, "allocation_bytes",
	                    json_integer((json_int_t)m->disk_allocation));
	json_object_set_new(d, "guest_size_bytes", jsize(m->disk_guest_size));
	json_object_set_new(d, "guest_free_bytes",
	                    m->disk_guest_size > 0
	                        ? json_integer((json_int_t)m->disk_guest_free)
	                        : json_null());
	return d;
}

/* The JSON object berth status --json prints; berth(1) lists the fields. */
static json_t *
cmd_vm_json(const char *profile, const struct model_vm *m, long locked_by)
{
	json_t *o = json_object(), *a;
	int i;

	json_object_set_new(o, "profile", json_string(profile));
	json_object_set_new(o, "uri", jstr(m->uri));
	json_object_set_new(o, "connection",
	                    json_string(cmd_vm_conn_name(m->conn)));
	json_object_set_new(o, "error", jstr(m->conn_error));
	json_object_set_new(o, "domain", jstr(m->domain));
	json_object_set_new(o, "adopted", json_boolean(m->adopted));
	json_object_set_new(o, "state",
	                    json_string(model_vm_state_name(m->state)));
	json_object_set_new(o, "reason", jstr(m->reason));
	json_object_set_new(o, "accel", jstr(m->accel));
	json_object_set_new(o, "cpus", json_integer(m->vcpus));
	json_object_set_new(o, "cpus_max", json_integer(m->vcpus_max));
	json_object_set_new(o, "cpus_pending",
	                    m->vcpus_pending > 0
	                        ? json_integer(m->vcpus_pending)
	                        : json_null());
	json_object_set_new(o, "memory_bytes", jsize(m->mem_current));
	json_object_set_new(o, "memory_max_bytes", jsize(m->mem_max));
	json_object_set_new(o, "memory_pending_bytes", jsize(m->mem_pending));
	json_object_set_new(o, "memory_used_bytes", jsize(m->mem_used));
	json_object_set_new(o, "memory_available_bytes",
	                    jsize(m->mem_available));
	json_object_set_new(o, "memory_host_rss_bytes", jsize(m->mem_rss));
	json_object_set_new(o, "disk", cmd_vm_disk_json(m));
	json_object_set_new(o, "cpu_percent", json_real(m->cpu_pct));
	a = json_array();
	for (i = 0; i < m->nvcpu_pct; i++)
		json_array_append_new(a, json_real(m->vcpu_pct[i]));
	json_object_set_new(o, "cpu_percent_per_cpu", a);
	json_object_set_new(o, "uptime_s",
	                    json_integer((json_int_t)m->uptime_s));
	json_object_set_new(o, "ip", jstr(m->ip));
	json_object_set_new(o, "hostname", jstr(m->hostname));
	json_object_set_new(o, "os", jstr(m->os));
	json_object_set_new(o, "agent", json_boolean(m->agent));
	json_object_set_new(o, "ssh", jstr(m->ssh));
	json_object_set_new(o, "host_cpus", json_integer(m->host_cpus));
	json_object_set_new(o, "host_memory_bytes", jsize(m->host_memory));
	json_object_set_new(o, "locked_by",
	                    locked_by > 0 ? json_integer(locked_by)
	                                  : json_null());
	return o;
}

static void
cmd_vm_print_text(const char *profile, const struct model_vm *m, long locked_by)
{
	char *a, *b, *c;

	printf("profile   %s\n", profile);
	printf("uri       %s\n", m->uri);
	if (m->conn != MODEL_CONN_UP) {
		printf("libvirt   %s\n",
		       m->conn_error != NULL ? m->conn_error : "not connected");
		return;
	}
	printf("domain    %s%s\n", m->domain, m->adopted ? " (adopted)" : "");
	if (m->reason != NULL)
		printf("state     %s (%s)\n", model_vm_state_name(m->state),
		       m->reason);
	else
		printf("state     %s\n", model_vm_state_name(m->state));
	if (m->state == MODEL_VM_NOT_CREATED)
		return;
	printf("accel     %s\n", m->accel != NULL ? m->accel : "unknown");
	printf("vcpus     %d (max %d", m->vcpus, m->vcpus_max);
	if (m->vcpus_pending > 0)
		printf(", %d on restart", m->vcpus_pending);
	printf(")\n");
	a = units_format_size(m->mem_current);
	b = units_format_size(m->mem_max);
	printf("memory    %s (max %s", a, b);
	free(a);
	free(b);
	if (m->mem_pending > 0) {
		c = units_format_size(m->mem_pending);
		printf(", %s on restart", c);
		free(c);
	}
	if (m->mem_used > 0) {
		c = units_format_size(m->mem_used);
		printf(", %s used", c);
		free(c);
	}
	if (m->mem_rss > 0) {
		c = units_format_size(m->mem_rss);
		printf(", %s on the host", c);
		free(c);
	}
	printf(")\n");
	if (m->disk_capacity > 0) {
		a = units_format_size(m->disk_capacity);
		b = units_format_size(m->disk_allocation);
		printf("disk      %s (%s on the host", a, b);
		if (m->disk_guest_size > 0) {
			c = units_format_size(m->disk_guest_free);
			printf(", %s free in the guest", c);
			free(c);
		}
		printf("), %s\n", m->disk_kind == MODEL_DISK_DATA
		                      ? "the data disk (/var/lib/docker)"
		                      : "the domain's first disk");
		free(a);
		free(b);
	}
	if (m->uptime_s > 0) {
		a = units_format_uptime(m->uptime_s);
		printf("uptime    %s\n", a);
		free(a);
	}
	printf("agent     %s\n", m->agent ? "yes" : "no");
	if (m->ip != NULL)
		printf("ip        %s\n", m->ip);
	if (m->hostname != NULL)
		printf("hostname  %s\n", m->hostname);
	if (m->os != NULL)
		printf("os        %s\n", m->os);
	if (m->ssh != NULL)
		printf("ssh       %s\n", m->ssh);
	if (locked_by > 0)
		printf("lock      held by berth pid %ld\n", locked_by);
}

static void
cmd_vm_watch_stop(int sig)
{
	cmd_vm_stop_watch = 1;
}

static void
cmd_vm_watch_notify(void *arg, int level, const char *text)
{
	int *json = arg;

	/* With --json stdout is JSON only: the notes go to stderr. */
	fprintf(*json ? stderr : stdout, "%s\n", text);
	fflush(*json ? stderr : stdout);
}

/*
 * berth status --watch: one line each time the connection or the state
 * changes, driven by libvirt's events (and reconnects), until interrupted;
 * with --json that line is status --json's object, on one line.
 */
static int
cmd_vm_watch(struct vm *vm, const char *profile, int json)
{
	struct model_vm m;
	enum model_conn last_conn = MODEL_CONN_NONE;
	enum model_vm_state last_state = MODEL_VM_UNKNOWN;
	int first = 1;
	struct sigaction sa;
	json_t *o;
	time_t t;
	char when[16];

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = cmd_vm_watch_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	vm_set_notify(vm, cmd_vm_watch_notify, &json);
	vm_refresh(vm, 0, NULL);
	while (!cmd_vm_stop_watch) {
		memset(&m, 0, sizeof m);
		vm_fill(vm, &m);
		if (json &&
		    (first || m.conn != last_conn || m.state != last_state)) {
			o = cmd_vm_json(profile, &m, vm_lock_owner(vm));
			json_dumpf(o, stdout,
			           JSON_COMPACT | JSON_PRESERVE_ORDER);
			json_decref(o);
			putchar('\n');
			fflush(stdout);
			last_conn = m.conn;
			last_state = m.state;
			first = 0;
		} else if (first || m.conn != last_conn ||
		           m.state != last_state) {
			t = time(NULL);
			strftime(when, sizeof when, "%H:%M:%S", localtime(&t));
			printf("%s %s libvirt=%s state=%s\n", when, m.domain,
			       cmd_vm_conn_name(m.conn),
			       m.conn == MODEL_CONN_UP
			           ? model_vm_state_name(m.state)
			           : "unknown");
			fflush(stdout);
			last_conn = m.conn;
			last_state = m.state;
			first = 0;
		}
		model_vm_clear(&m);
		vm_wait_events(vm, 200);
		if (vm_poll_events(vm) && vm_connected(vm))
			vm_refresh(vm, 0, NULL);
		if (vm_reconnect_due(vm, util_mono_ms()))
			vm_refresh(vm, 0, NULL);
	}
	return BERTH_EXIT_OK;
}

static int
cmd_status_exec(struct cmd_ctx *ctx, struct cmd_args *a)
{
	struct profile *p = NULL;
	struct vm *vm;
	struct model_vm m;
	json_t *o;
	char *cause = NULL;
	int json = cmd_args_has(a, "json"), watch = cmd_args_has(a, "watch");
	int rc = BERTH_EXIT_OK;
	long locked_by;

	if ((vm = cmd_vm_open(ctx, &p, 1, !watch, &rc)) == NULL)
		return rc;
	if (watch) {
		rc = cmd_vm_watch(vm, p->name, json);
		vm_free(vm);
		profile_free(p);
		return rc;
	}
	if (vm_connected(vm) && vm_refresh(vm, 1, &cause) != 0) {
		fprintf(stderr, "berth: %s\n", cause);
		free(cause);
		rc = BERTH_EXIT_FAILED;
	}
	memset(&m, 0, sizeof m);
	vm_fill(vm, &m);
	locked_by = vm_lock_owner(vm);
	if (m.conn != MODEL_CONN_UP) {
		fprintf(stderr, "berth: %s\n",
		        m.conn_error != NULL ? m.conn_error : "not connected");
		rc = BERTH_EXIT_FAILED;
	}
	if (json) {
		o = cmd_vm_json(p->name, &m, locked_by);
		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(o);
	} else if (m.conn == MODEL_CONN_UP)
		cmd_vm_print_text(p->name, &m, locked_by);
	model_vm_clear(&m);
	vm_free(vm);
	profile_free(p);
	return rc;
}

/* What set did beyond the change (the guest's filesystem grown): said. */
static void
cmd_set_notify(void *arg, int level, const char *text)
{
	if (level == 0)
		printf("%s\n", text);
	else
		fprintf(stderr, "berth: %s\n", text);
	fflush(stdout);
}

static int
cmd_set_exec(struct cmd_ctx *ctx, struct cmd_args *a)
{
	const char *keys[3] = {NULL, NULL, NULL}, *vals[3];
	static const char *names[3] = {"cpus", "memory", "disk"};
	struct profile *p = NULL;
	struct vm *vm;
	enum vm_set_result res;
	char *cause = NULL;
	int i, rc = BERTH_EXIT_OK;

	/* In this order, whatever the command line's; the last value wins. */
	for (i = 0; i < 3; i++) {
		if ((vals[i] = cmd_args_get(a, names[i])) != NULL)
			keys[i] = names[i];
	}
	if (a->nvalues == 0)
		return cmd_usage_error(&cmd_set_entry,
		                       "say what to change: --cpus, --memory "
		                       "or --disk");
	/* A value that cannot be one is a usage error, found first. */
	for (i = 0; i < 3; i++) {
		long cpus;
		uint64_t bytes;
		const char *pkey;
		char *canon;

		if (keys[i] == NULL)
			continue;
		if (vm_set_parse(keys[i], vals[i], &cpus, &bytes, &pkey, &canon,
		                 &cause) != 0) {
			rc = cmd_usage_error(&cmd_set_entry, "%s", cause);
			free(cause);
			return rc;
		}
		free(canon);
	}
	if ((vm = cmd_vm_open(ctx, &p, 0, 0, &rc)) == NULL)
		return rc;
	vm_set_notify(vm, cmd_set_notify, NULL);
	/* A disk grown live grows in the guest through the agent. */
	vm_set_guest_exec(replay_agent_exec);
	if (vm_lock_wait(vm, "set", VM_LOCK_WAIT_MS, &cause) != 0) {
		fprintf(stderr, "berth: %s\n", cause);
		free(cause);
		vm_free(vm);
		profile_free(p);
		return BERTH_EXIT_FAILED;
	}
	for (i = 0; i < 3; i++) {
		if (keys[i] == NULL)
			continue;
		if (vm_set(vm, keys[i], vals[i], &res, &cause) != 0) {
			fprintf(stderr, "berth: %s\n", cause);
			free(cause);
			cause = NULL;
			rc = BERTH_EXIT_FAILED;
			break;
		}
		printf("%s %s: %s\n", keys[i], vals[i],
		       res == VM_SET_RESTART ? "saved; applies on restart"
		       : res == VM_SET_SAME  ? "unchanged"
		                             : "applied");
	}
	vm_free(vm);
	profile_free(p);
	return rc;
}

/* Every profile with its VM state; profiles on one URI share a call. */
static int
cmd_list_exec(struct cmd_ctx *ctx, struct cmd_args *a)
{
	struct profile **profs;
	char **names, **uris, *cause, *mem, *disk;
	const char **doms;
	enum model_vm_state *states;
	size_t n = 0, i;
	int json = cmd_args_has(a, "json");
	json_t *arr = NULL, *o;

	(void)
	    ctx; /* list has no arguments of its own; extra ones are ignored */
	names = cmd_profile_names(&n);
	profs = xcalloc(n + 1, sizeof *profs);
	uris = xcalloc(n + 1, sizeof *uris);
	doms = xcalloc(n + 1, sizeof *doms);
	states = xcalloc(n + 1, sizeof *states);
	for (i = 0; i < n; i++) {
		cause = NULL;
		profs[i] = profile_open(names[i], &cause);
		free(cause);
		if (profs[i] != NULL) {
			uris[i] = vm_default_uri(profs[i]->vm.uri);
			doms[i] = profs[i]->vm.domain;
		}
	}
	vm_profile_states(profs, n, states);
	if (json)
		arr = json_array();
	else
		printf("%-16s %-12s %-5s %-8s %-8s %s\n", "PROFILE", "STATE",
		       "CPUS", "MEMORY", "DISK", "URI");
	for (i = 0; i < n; i++) {
		if (profs[i] == NULL) {
			if (!json)
				printf("%-16s %-12s\n", names[i], "invalid");
			continue;
		}
		mem = units_format_size(profs[i]->vm.memory);
		disk = units_format_size(profs[i]->vm.disk);
		if (json) {
			o = json_object();
			json_object_set_new(o, "profile",
			                    json_string(names[i]));
			json_object_set_new(
			    o, "state",
			    json_string(model_vm_state_name(states[i])));
			json_object_set_new(o, "domain", jstr(doms[i]));
			json_object_set_new(o, "uri", json_string(uris[i]));
			json_object_set_new(o, "cpus",
			                    json_integer(profs[i]->vm.cpus));
			json_object_set_new(
			    o, "memory_bytes",
			    json_integer((json_int_t)profs[i]->vm.memory));
			json_object_set_new(
			    o, "disk_bytes",
			    json_integer((json_int_t)profs[i]->vm.disk));
			json_array_append_new(arr, o);
		} else
			printf("%-16s %-12s %-5d %-8s %-8s %s\n", names[i],
			       model_vm_state_name(states[i]),
			       profs[i]->vm.cpus, mem, disk, uris[i]);
		free(mem);
		free(disk);
	}
	if (json) {
		json_dumpf(arr, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(arr);
	}
	for (i = 0; i < n; i++) {
		profile_free(profs[i]);
		free(uris[i]);
		free(names[i]);
	}
	free(names);
	free(profs);
	free(uris);
	free(doms);
	free(states);
	return BERTH_EXIT_OK;
}
