/*
 * cmd-socket.c: `berth socket` and `berth context`. `berth socket` shows
 * the host Docker socket the way the Socket pane does (path, mode, health,
 * latency, restarts, context); `start` leaves a small detached supervisor
 * owning the forward (what docker.persist uses), `stop` ends it, `restart`
 * asks it to restart ssh, `key` prints the public key the guest must
 * accept. `berth context activate|deactivate` switches the Docker CLI's
 * current context to berth's and back.
 */

#include "config.h"

#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "socket/socket.h"
#include "cli/cli.h"
#include "vm/vm.h"

static volatile sig_atomic_t cmd_socket_stop;
static volatile sig_atomic_t cmd_socket_restart;
static int cmd_socket_wake[2] = {-1, -1};

/* The socket's state as the Socket pane shows it (observer, one check). */
static void
cmd_socket_observe(const struct profile *p, struct model_socket *ms)
{
	struct forward *f = forward_new(p, 0);
	char *cur = NULL;

	forward_tick(f);
	memset(ms, 0, sizeof *ms);
	forward_fill(f, ms);
	forward_free(f);
	ms->context =
	    xstrdup(p->docker.context != NULL ? p->docker.context : "berth");
	if (context_current(&cur, NULL) == 0 && cur != NULL)
		ms->context_current = strcmp(cur, ms->context) == 0;
	free(cur);
}

static void
cmd_socket_print_json(const struct profile *p, const struct model_socket *ms)
{
	json_t *j = json_object();
	char *s;

	json_object_set_new(j, "profile", json_string(p->name));
	json_object_set_new(j, "path", json_string(ms->path));
	json_object_set_new(j, "mode", json_string(ms->mode));
	json_object_set_new(j, "source", json_string(ms->source));
	json_object_set_new(j, "guest",
	                    ms->guest != NULL ? json_string(ms->guest)
	                                      : json_null());
	json_object_set_new(j, "healthy", json_boolean(ms->healthy));
	json_object_set_new(j, "stage",
	                    ms->stage != NULL ? json_string(ms->stage)
	                                      : json_null());
	json_object_set_new(j, "error",
	                    ms->error != NULL ? json_string(ms->error)
	                                      : json_null());
	json_object_set_new(j, "ping_ms",
	                    ms->healthy ? json_real(ms->ping_ms) : json_null());
	json_object_set_new(j, "api_version",
	                    ms->api_version != NULL
	                        ? json_string(ms->api_version)
	                        : json_null());
	json_object_set_new(j, "engine_version",
	                    ms->engine_version != NULL
	                        ? json_string(ms->engine_version)
	                        : json_null());
	json_object_set_new(j, "restarts", json_integer(ms->restarts));
	json_object_set_new(j, "last_restart_ms",
	                    json_integer((json_int_t)ms->last_restart_ms));
	json_object_set_new(j, "pid", json_integer(ms->pid));
	json_object_set_new(j, "owner_pid", json_integer(ms->owner_pid));
	json_object_set_new(j, "supervisor", json_boolean(ms->persist));
	json_object_set_new(j, "context", json_string(ms->context));
	json_object_set_new(j, "context_exists",
	                    json_boolean(context_exists(ms->context)));
	json_object_set_new(j, "context_current",
	                    json_boolean(ms->context_current));
	s = json_dumps(j, JSON_INDENT(2));
	json_decref(j);
	printf("%s\n", s);
	free(s);
}

static void
cmd_socket_print_text(const struct model_socket *ms)
{
	uint64_t now = util_now_ms();
	char *ago;

	printf("socket    %s\n", ms->path);
	if (ms->guest != NULL)
		printf("mode      %s, from %s\n", ms->mode, ms->guest);
	else
		printf("mode      %s\n", ms->mode);
	if (ms->healthy)
		printf("health    up, /_ping %.1f ms, API %s, Docker %s\n",
		       ms->ping_ms, ms->api_version ? ms->api_version : "?",
		       ms->engine_version ? ms->engine_version : "?");
	else
		printf("health    down: %s\n",
		       ms->error != NULL ? ms->error : "unknown");
	printf("stage     %s\n", ms->stage != NULL ? ms->stage : "-");
	if (ms->owner_pid > 0)
		printf("owner     %s pid %d, ssh pid %d\n",
		       ms->persist ? "supervisor" : "berth", ms->owner_pid,
		       ms->pid);
	if (ms->restarts > 0 && ms->last_restart_ms <= now) {
		ago = units_format_duration(now - ms->last_restart_ms);
		printf("restarts  %d, last %s ago\n", ms->restarts, ago);
		free(ago);
	} else
		printf("restarts  %d\n", ms->restarts);
	printf("context   %s%s%s\n", ms->context,
	       context_exists(ms->context) ? "" : " (not created yet)",
	       ms->context_current ? " (current)" : "");
	printf("export    DOCKER_HOST=unix://%s\n", ms->path);
}

/* berth socket [--json]: one check, printed; exit 1 when down. */
static int
cmd_socket_status(struct cmd_ctx *ctx, int json)
{
	struct profile *p = cmd_profile_open(ctx);
	struct model_socket ms;
	int rc;

	if (p == NULL)
		return BERTH_EXIT_USAGE;
	cmd_socket_observe(p, &ms);
	if (json)
		cmd_socket_print_json(p, &ms);
	else
		cmd_socket_print_text(&ms);
	rc = ms.healthy ? BERTH_EXIT_OK : BERTH_EXIT_FAILED;
	model_socket_clear(&ms);
	profile_free(p);
	return rc;
}

static void
cmd_socket_signal(int sig)
{
	int saved = errno;

	if (sig == SIGUSR1)
		cmd_socket_restart = 1;
	else
		cmd_socket_stop = 1;
	if (cmd_socket_wake[1] != -1 && write(cmd_socket_wake[1], "s", 1) < 0) {
		/* Nothing to do: the loop wakes up at its next timeout. */
	}
	errno = saved;
}

/*
 * Run the supervisor loop in this process until a signal. ready_fd gets a
 * byte once the first start settled. Returns an exit code.
 */
static int
cmd_socket_supervise(const struct profile *p, const char *target, int ready_fd)
{
	struct sigaction sa;
	struct forward *f;
	sigset_t set;
	char *cause = NULL;
	int rc;

	if (pipe(cmd_socket_wake) != 0)
		return BERTH_EXIT_FAILED;
	fcntl(cmd_socket_wake[0], F_SETFL, O_NONBLOCK);
	fcntl(cmd_socket_wake[1], F_SETFL, O_NONBLOCK);
	fcntl(cmd_socket_wake[0], F_SETFD, FD_CLOEXEC);
	fcntl(cmd_socket_wake[1], F_SETFD, FD_CLOEXEC);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = cmd_socket_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_UNBLOCK, &set, NULL);

	f = forward_new(p, 1);
	if (target != NULL)
		forward_set_target(f, target);
	/*
	 * The context exists from the first start, whether or not anyone
	 * makes it current: docker --context berth-PROFILE works at once.
	 */
	if (p->docker.context != NULL && *p->docker.context != '\0' &&
	    strchr(p->docker.context, '/') == NULL &&
	    context_write(p->docker.context, forward_path(f), p->name,
	                  &cause) != 0) {
		fprintf(stderr, "berth: %s\n", cause);
		free(cause);
	}
	rc = forward_run(f, cmd_socket_wake[0], &cmd_socket_stop,
	                 &cmd_socket_restart, ready_fd);
	if (rc == -1)
		fprintf(stderr, "berth: another berth process already runs "
		                "this profile's forward\n");
	else if (rc != 0) {
		struct model_socket ms;

		memset(&ms, 0, sizeof ms);
		forward_fill(f, &ms);
		fprintf(stderr, "berth: %s\n",
		        ms.error != NULL ? ms.error : "forward refused");
		model_socket_clear(&ms);
	}
	forward_free(f);
	close(cmd_socket_wake[0]);
	close(cmd_socket_wake[1]);
	return rc == 0 ? BERTH_EXIT_OK : BERTH_EXIT_FAILED;
}

/*
 * Check the socket path before starting a supervisor, so a refused path
 * (symlink, another user's, too long, a stale socket outside the state
 * dir) is reported here rather than in the supervisor's log. A stale
 * socket in the state dir is removed. Returns 0 when the path is usable.
 */
static int
cmd_socket_preflight(const struct profile *p)
{
	struct forward *f = forward_new(p, 0);
	char *cause = NULL, *dir = NULL;
	int live, rc;

	dir = supervisor_state_dir(p->name, &cause);
	if (dir == NULL)
		rc = -1;
	else
		rc = health_check_path(forward_path(f), dir, &live, &cause);
	if (rc != 0)
		fprintf(stderr, "berth: %s\n", cause);
	else if (live)
		fprintf(stderr,
		        "berth: %s already answers and no berth process owns "
		        "it; berth will only watch it\n",
		        forward_path(f));
	free(cause);
	free(dir);
	forward_free(f);
	return rc;
}

/*
 * The VM's sshd address as its domain says ("127.0.0.1:PORT", caller
 * frees), for a profile that leaves vm.ssh_port at 0 (berth picked the
 * port when it defined the VM); NULL when there is no such domain.
 */
static char *
cmd_socket_vm_target(struct cmd_ctx *ctx, const struct profile *p)
{
	struct model_vm m;
	struct vm *vm;
	char *cause = NULL, *target = NULL;

	if (p->docker.ssh_host != NULL || p->docker.ssh_port > 0 ||
	    p->vm.ssh_port > 0 || p->vm.uri == NULL ||
	    strncmp(p->vm.uri, "test:", 5) == 0)
		return NULL;
	(void)ctx;
	vm = vm_new(p);
	vm_set_oneshot(vm, 1);
	if (vm_connect(vm, &cause) == 0) {
		vm_refresh(vm, 0, NULL);
		memset(&m, 0, sizeof m);
		vm_fill(vm, &m);
		if (m.ssh != NULL)
			target = xstrdup(m.ssh);
		model_vm_clear(&m);
	}
	free(cause);
	vm_free(vm);
	return target;
}

/*
 * berth socket start: a detached supervisor (fork, setsid, fork), then
 * wait up to `wait_s` seconds for the socket to answer.
 */
static int
cmd_socket_start(struct cmd_ctx *ctx, const char *target, long wait_s)
{
	struct profile *p = cmd_profile_open(ctx);
	struct model_socket ms;
	char *dir, *cause = NULL, *log, b, *own_target = NULL;
	pid_t pid, owner;
	int ready[2], status, rc, i;

	if (p == NULL)
		return BERTH_EXIT_USAGE;
	if (p->docker.forward != PROFILE_FORWARD_SSH) {
		fprintf(stderr,
		        "berth: profile %s has docker.forward: none; "
		        "there is nothing to forward\n",
		        p->name);
		profile_free(p);
		return BERTH_EXIT_USAGE;
	}
	if ((dir = supervisor_state_dir(p->name, &cause)) == NULL) {
		fprintf(stderr, "berth: %s\n", cause);
		free(cause);
		profile_free(p);
		return BERTH_EXIT_FAILED;
	}
	owner = supervisor_owner_pid(p->name, NULL);
	if (owner <= 0 && cmd_socket_preflight(p) != 0) {
		free(dir);
		profile_free(p);
		return BERTH_EXIT_FAILED;
	}
	if (owner <= 0 && target == NULL)
		target = own_target = cmd_socket_vm_target(ctx, p);
	if (owner <= 0) {
		if (pipe(ready) != 0)
			fatal("pipe: %s", strerror(errno));
		log = xasprintf("%s/supervisor.log", dir);
		pid = cmd_detach(log);
		free(log);
		if (pid == 0) {
			close(ready[0]);
			_exit(cmd_socket_supervise(p, target, ready[1]));
		}
		close(ready[1]);
		waitpid(pid, &status, 0);
		/* One byte when the first start settled, EOF if it quit. */
		while ((rc = (int)read(ready[0], &b, 1)) == -1 &&
		       errno == EINTR)
			;
		close(ready[0]);
		if (rc <= 0)
			fprintf(stderr,
			        "berth: the supervisor stopped; see "
			        "%s/supervisor.log\n",
			        dir);
	}
	free(dir);
	for (i = 0; i <= wait_s * 5; i++) {
		cmd_socket_observe(p, &ms);
		if (ms.healthy || i == wait_s * 5 ||
		    (ms.stage != NULL && strcmp(ms.stage, "refused") == 0))
			break;
		model_socket_clear(&ms);
		usleep(200000);
	}
	if (wait_s == 0)
		rc = ms.owner_pid > 0 ? BERTH_EXIT_OK : BERTH_EXIT_FAILED;
	else
		rc = ms.healthy ? BERTH_EXIT_OK : BERTH_EXIT_FAILED;
	if (ms.healthy)
		printf("socket forward up: export DOCKER_HOST=unix://%s\n",
		       ms.path);
	else if (ms.owner_pid > 0)
		printf("socket forward starting (supervisor pid %d): %s\n",
		       ms.owner_pid, ms.error != NULL ? ms.error : ms.stage);
	else
		fprintf(stderr, "berth: socket forward not started: %s\n",
		        ms.error != NULL ? ms.error : "see supervisor.log");
	model_socket_clear(&ms);
	free(own_target);
	profile_free(p);
	return rc;
}

static int
cmd_socket_stop_cmd(struct cmd_ctx *ctx)
{
	char *cause = NULL;

	if (!cmd_profile_exists(ctx))
		return BERTH_EXIT_USAGE;
	if (supervisor_stop(ctx->profile, &cause) != 0) {
		fprintf(stderr, "berth: %s\n", cause);
		free(cause);
		return BERTH_EXIT_FAILED;
	}
	return BERTH_EXIT_OK;
}

static int
cmd_socket_restart_cmd(struct cmd_ctx *ctx)
{
	int supervisor;
	pid_t pid;

	if (!cmd_profile_exists(ctx))
		return BERTH_EXIT_USAGE;
	if ((pid = supervisor_owner_pid(ctx->profile, &supervisor)) <= 0) {
		fprintf(stderr,
		        "berth: no forward is running for %s (berth "
		        "socket start)\n",
		        ctx->profile);
		return BERTH_EXIT_FAILED;
	}
	if (!supervisor) {
		fprintf(
		    stderr,
		    "berth: the forward belongs to the dashboard (pid %ld); "
		    "restart it from the Socket pane\n",
		    (long)pid);
		return BERTH_EXIT_FAILED;
	}
	if (kill(pid, SIGUSR1) != 0) {
		fprintf(stderr, "berth: kill %ld: %s\n", (long)pid,
		        strerror(errno));
		return BERTH_EXIT_FAILED;
	}
	return BERTH_EXIT_OK;
}

/* berth socket key: the public key a guest must accept. */
static int
cmd_socket_key(struct cmd_ctx *ctx)
{
	char *dir, *key = NULL, *note = NULL, *cause = NULL, *pub, *text;

	if (!cmd_profile_exists(ctx))
		return BERTH_EXIT_USAGE;
	if ((dir = supervisor_state_dir(ctx->profile, &cause)) == NULL ||
	    ssh_ensure_key(dir, ctx->profile, &key, &note, &cause) != 0) {
		fprintf(stderr, "berth: %s\n", cause);
		free(cause);
		free(dir);
		return BERTH_EXIT_FAILED;
	}
	if (note != NULL)
		fprintf(stderr, "berth: %s\n", note);
	pub = xasprintf("%s.pub", key);
	if ((text = util_read_file(pub, NULL, &cause)) == NULL) {
		fprintf(stderr, "berth: %s\n", cause);
		free(cause);
	} else
		fputs(text, stdout);
	free(text);
	free(pub);
	free(key);
	free(note);
	free(dir);
	return text != NULL ? BERTH_EXIT_OK : BERTH_EXIT_FAILED;
}

static int
cmd_socket_exec(struct cmd_ctx *ctx, struct cmd_args *a)
{
	const char *sub = a->argc > 0 ? a->argv[0] : NULL;
	const char *target = cmd_args_get(a, "target");
	struct profile *p;
	long wait_s = 15;
	int json = cmd_args_has(a, "json");
	int supervise = cmd_args_has(a, "supervise"), rc;
	char *end;
	size_t i;

	for (i = 0; i < a->nvalues; i++) {
		if (!util_streq(a->values[i].opt->name, "wait"))
			continue;
		wait_s = strtol(a->values[i].value, &end, 10);
		if (*end != '\0' || wait_s < 0 || wait_s > 3600)
			return cmd_usage_error(&cmd_socket_entry,
			                       "--wait needs seconds (0-3600)");
	}
	if (a->argc > 1)
		return cmd_usage_error(&cmd_socket_entry,
		                       "unexpected argument %s", a->argv[1]);
	if (supervise) {
		if ((p = cmd_profile_open(ctx)) == NULL)
			return BERTH_EXIT_USAGE;
		rc = cmd_socket_supervise(p, target, -1);
		profile_free(p);
		return rc;
	}
	if (sub == NULL || strcmp(sub, "status") == 0)
		return cmd_socket_status(ctx, json);
	if (strcmp(sub, "start") == 0)
		return cmd_socket_start(ctx, target, wait_s);
	if (strcmp(sub, "stop") == 0)
		return cmd_socket_stop_cmd(ctx);
	if (strcmp(sub, "restart") == 0)
		return cmd_socket_restart_cmd(ctx);
	if (strcmp(sub, "key") == 0)
		return cmd_socket_key(ctx);
	return cmd_usage_error(&cmd_socket_entry, "unknown subcommand %s", sub);
}

const struct cmd_entry cmd_socket_entry = {
    .name = "socket",
    .usage = "[--json] | start [--wait S]|stop|restart|key",
    .args = "[status|start|stop|restart|key]",
    .help = "the host Docker socket: health, forward supervisor, ssh key",
    .options =
        (const struct cmd_option[]){
            {0, "json", NULL, "status as JSON", CMD_KIND_NONE, 0},
            {0, "wait", "S", "start: wait S seconds for an answer (15)",
             CMD_KIND_NONE, 0},
            {0, "supervise", NULL, "run the supervisor in this process",
             CMD_KIND_NONE, CMD_OPT_HIDDEN},
            {0, "target", "HOST:PORT", "the guest's sshd (berth's own)",
             CMD_KIND_NONE, CMD_OPT_HIDDEN},
            {0, NULL, NULL, NULL, CMD_KIND_NONE, 0},
        },
    /* Options before or after the subcommand. */
    .max_args = -1,
    .opts_until = -1,
    .words = (const char *const[]){"status", "start", "stop", "restart", "key",
                                   NULL},
    .exec = cmd_socket_exec,
};

/* berth context activate|deactivate */
static int
cmd_context_exec(struct cmd_ctx *ctx, struct cmd_args *a)
{
	struct profile *p;
	struct forward *f;
	char *dir, *cause = NULL, *note = NULL;
	const char *sub;
	int rc = BERTH_EXIT_OK;

	if (a->argc != 1)
		return cmd_usage_error(&cmd_context_entry,
		                       "say activate or deactivate");
	sub = a->argv[0];
	if (strcmp(sub, "activate") != 0 && strcmp(sub, "deactivate") != 0)
		return cmd_usage_error(&cmd_context_entry,
		                       "unknown subcommand %s", sub);
	if ((p = cmd_profile_open(ctx)) == NULL)
		return BERTH_EXIT_USAGE;
	if (p->docker.context == NULL || *p->docker.context == '\0' ||
	    strchr(p->docker.context, '/') != NULL) {
		fprintf(stderr,
		        "berth: docker.context must be a context name\n");
		profile_free(p);
		return BERTH_EXIT_USAGE;
	}
	if ((dir = supervisor_state_dir(p->name, &cause)) == NULL) {
		fprintf(stderr, "berth: %s\n", cause);
		free(cause);
		profile_free(p);
		return BERTH_EXIT_FAILED;
	}
	if (strcmp(sub, "activate") == 0) {
		f = forward_new(p, 0);
		if (context_write(p->docker.context, forward_path(f), p->name,
		                  &cause) != 0 ||
		    context_activate(p->docker.context, dir, &cause) != 0) {
			fprintf(stderr, "berth: %s\n", cause);
			rc = BERTH_EXIT_FAILED;
		} else
			printf("Docker context %s is now current (%s)\n",
			       p->docker.context, forward_path(f));
		forward_free(f);
	} else if (context_deactivate(p->docker.context, dir, &note, &cause) !=
	           0) {
		fprintf(stderr, "berth: %s\n", cause);
		rc = BERTH_EXIT_FAILED;
	} else if (note != NULL)
		printf("%s\n", note);
	else
		printf("Docker context %s deactivated\n", p->docker.context);
	free(note);
	free(cause);
	free(dir);
	profile_free(p);
	return rc;
}

const struct cmd_entry cmd_context_entry = {
    .name = "context",
    .usage = "activate|deactivate",
    .args = "activate|deactivate",
    .help = "make berth's Docker context current, or put the old one back",
    .max_args = -1,
    .words = (const char *const[]){"activate", "deactivate", NULL},
    .exec = cmd_context_exec,
};

/*
 * berth ports [--json]: the published ports the socket forward carries
 * to the host's 127.0.0.1, as its supervisor last wrote them. Exit 1
 * when a port could not be forwarded (a host port already in use).
 */
static int
cmd_ports_exec(struct cmd_ctx *ctx, struct cmd_args *args)
{
	struct profile *p;
	struct model_socket ms;
	json_t *a, *o;
	char *s;
	int json = cmd_args_has(args, "json"), i, failed = 0;

	if (args->argc > 0)
		return cmd_usage_error(&cmd_ports_entry,
		                       "unexpected argument %s", args->argv[0]);
	if ((p = cmd_profile_open(ctx)) == NULL)
		return BERTH_EXIT_USAGE;
	cmd_socket_observe(p, &ms);
	for (i = 0; i < ms.nports; i++)
		if (ms.ports[i].error != NULL)
			failed = 1;
	if (json) {
		a = json_array();
		for (i = 0; i < ms.nports; i++) {
			const struct model_fport *fp = &ms.ports[i];

			o = json_pack("{s:i, s:s, s:i, s:s?, s:s?, s:s?, s:s?}",
			              "host_port", fp->host_port, "host",
			              "127.0.0.1", "container_port",
			              fp->container_port, "proto", fp->proto,
			              "container", fp->container, "state",
			              fp->state, "error", fp->error);
			if (o != NULL)
				json_array_append_new(a, o);
		}
		s = json_dumps(a, JSON_INDENT(2));
		json_decref(a);
		printf("%s\n", s);
		free(s);
	} else if (ms.nports == 0)
		printf("no published ports%s\n",
		       ms.owner_pid > 0 ? ""
		                        : " (no supervisor runs the forward)");
	else {
		printf("%-22s %-10s %-20s %s\n", "HOST", "CONTAINER", "NAME",
		       "STATE");
		for (i = 0; i < ms.nports; i++) {
			const struct model_fport *fp = &ms.ports[i];
			char *h =
			    xasprintf("127.0.0.1:%d/%s", fp->host_port,
			              fp->proto != NULL ? fp->proto : "tcp");

			printf("%-22s %-10d %-20s %s%s%s\n", h,
			       fp->container_port,
			       fp->container != NULL ? fp->container : "-",
			       fp->state != NULL ? fp->state : "-",
			       fp->error != NULL ? ": " : "",
			       fp->error != NULL ? fp->error : "");
			free(h);
		}
	}
	model_socket_clear(&ms);
	profile_free(p);
	return failed ? BERTH_EXIT_FAILED : BERTH_EXIT_OK;
}

const struct cmd_entry cmd_ports_entry = {
    .name = "ports",
    .usage = "[-p PROFILE] [--json]",
    .help = "containers' published ports forwarded to the host's 127.0.0.1",
    .options =
        (const struct cmd_option[]){
            {0, "json", NULL, "print JSON", CMD_KIND_NONE, 0},
            {0, NULL, NULL, NULL, CMD_KIND_NONE, 0},
        },
    .max_args = -1,
    .exec = cmd_ports_exec,
};
