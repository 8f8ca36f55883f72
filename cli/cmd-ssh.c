/*
 * cmd-ssh.c: getting into the VM and its containers: `berth ssh [-- CMD…]`
 * runs the system ssh with the arguments of every ssh berth runs
 * (socket-ssh.c: the profile's key and known_hosts, no ssh_config) to the
 * guest the socket forward reaches; `berth ssh-config` prints the same as
 * a Host block for ~/.ssh/config; `berth exec CONTAINER [CMD…]` runs
 * `docker exec` through the profile's Docker endpoint. Each replaces
 * berth's process with ssh or docker (exec), so the terminal passes
 * through and the exit status is theirs.
 */

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "docker/docker.h"
#include "socket/socket.h"
#include "vm/vm.h"

/* Where berth's ssh goes for profile p, and with what. */
struct cmd_ssh_target {
	struct profile *p;
	char *host, *user, *key, *known_hosts, *alias;
	int port;
};

static void
cmd_ssh_target_free(struct cmd_ssh_target *t)
{
	profile_free(t->p);
	free(t->host);
	free(t->user);
	free(t->key);
	free(t->known_hosts);
	free(t->alias);
}

/*
 * The guest's SSH address as the socket forward finds it: the profile's
 * docker.ssh_host/ssh_port, else the port libvirt forwards to the running
 * VM's sshd. Prints the error itself and returns an exit code.
 */
static int
cmd_ssh_target(struct cmd_ctx *ctx, struct cmd_ssh_target *t)
{
	struct vm *vm;
	struct model_vm m;
	char *cause = NULL, *note = NULL, *state_dir, *colon;
	int rc = BERTH_EXIT_OK;

	memset(t, 0, sizeof *t);
	if ((t->p = cmd_profile_open(ctx)) == NULL)
		return BERTH_EXIT_USAGE;
	if (t->p->docker.ssh_host != NULL || t->p->docker.ssh_port > 0) {
		t->host = xstrdup(t->p->docker.ssh_host != NULL
		                      ? t->p->docker.ssh_host
		                      : "127.0.0.1");
		t->port =
		    t->p->docker.ssh_port > 0 ? t->p->docker.ssh_port : 22;
	} else {
		vm = vm_new(t->p);
		vm_set_oneshot(vm, 1);
		memset(&m, 0, sizeof m);
		if (vm_connect(vm, &cause) != 0 ||
		    vm_refresh(vm, 0, &cause) != 0) {
			fprintf(stderr, "berth: %s\n", cause);
			rc = BERTH_EXIT_FAILED;
		} else {
			vm_fill(vm, &m);
			if (m.state != MODEL_VM_RUNNING) {
				fprintf(stderr,
				        "berth: %s (profile %s: %s); "
				        "berth -p %s start starts it\n",
				        MODEL_VM_NOT_RUNNING, t->p->name,
				        model_vm_state_name(m.state),
				        t->p->name);
				rc = BERTH_EXIT_FAILED;
			} else if (m.ssh == NULL ||
			           (colon = strrchr(m.ssh, ':')) == NULL ||
			           (t->port = atoi(colon + 1)) <= 0) {
				fprintf(stderr,
				        "berth: the VM of profile %s has no "
				        "SSH port forward (vm.ssh_port), and "
				        "the profile no docker.ssh_host\n",
				        t->p->name);
				rc = BERTH_EXIT_FAILED;
			} else
				t->host =
				    xstrndup(m.ssh, (size_t)(colon - m.ssh));
		}
		free(cause);
		cause = NULL;
		model_vm_clear(&m);
		vm_free(vm);
		if (rc != BERTH_EXIT_OK)
			return rc;
	}
	t->user =
	    xstrdup(t->p->vm.ssh_user != NULL ? t->p->vm.ssh_user : "root");
	t->alias = xasprintf("berth-%s", t->p->name);
	if ((state_dir = supervisor_state_dir(t->p->name, &cause)) == NULL ||
	    ssh_ensure_key(state_dir, t->p->name, &t->key, &note, &cause) !=
	        0) {
		fprintf(stderr, "berth: %s\n", cause);
		free(cause);
		free(state_dir);
		return BERTH_EXIT_FAILED;
	}
	if (note != NULL)
		fprintf(stderr, "berth: %s\n", note);
	free(note);
	t->known_hosts = xasprintf("%s/ssh/known_hosts", state_dir);
	free(state_dir);
	return BERTH_EXIT_OK;
}

static int
cmd_ssh_exec(struct cmd_ctx *ctx, struct cmd_args *a)
{
	struct cmd_ssh_target t;
	char **argv, *own[2], *port;
	int i, j, n, rc;

	if ((rc = cmd_ssh_target(ctx, &t)) != BERTH_EXIT_OK) {
		cmd_ssh_target_free(&t);
		return rc;
	}
	argv = xcalloc(40 + (size_t)a->argc, sizeof *argv);
	port = xasprintf("%d", t.port);
	n = ssh_args(argv, t.key, t.known_hosts, t.alias, port, t.user, own);
	/*
	 * Berth's other ssh never want a terminal (-T); here ssh decides as
	 * it does on its own: a terminal for a shell on a terminal.
	 */
	for (i = j = 0; i < n; i++) {
		if (strcmp(argv[i], "-T") != 0)
			argv[j++] = argv[i];
	}
	n = j;
	argv[n++] = (char *)"--";
	argv[n++] = t.host;
	for (i = 0; i < a->argc; i++)
		argv[n++] = a->argv[i];
	argv[n] = NULL;
	fflush(NULL);
	execvp("ssh", argv);
	fprintf(stderr, "berth: ssh: %s%s\n", strerror(errno),
	        errno == ENOENT ? " (install the OpenSSH client)" : "");
	free(own[0]);
	free(own[1]);
	free(port);
	free(argv);
	cmd_ssh_target_free(&t);
	return BERTH_EXIT_FAILED;
}

/* A value for ssh_config: quoted when it has a blank (paths). */
static void
cmd_ssh_config_line(const char *key, const char *value)
{
	if (strpbrk(value, " \t") != NULL)
		printf("  %s \"%s\"\n", key, value);
	else
		printf("  %s %s\n", key, value);
}

static int
cmd_ssh_config_exec(struct cmd_ctx *ctx, struct cmd_args *a)
{
	struct cmd_ssh_target t;
	char *port;
	int rc;

	(void)a;
	if ((rc = cmd_ssh_target(ctx, &t)) != BERTH_EXIT_OK) {
		cmd_ssh_target_free(&t);
		return rc;
	}
	/* The options of ssh_args, as ~/.ssh/config spells them. */
	port = xasprintf("%d", t.port);
	printf("Host %s\n", t.alias);
	cmd_ssh_config_line("HostName", t.host);
	cmd_ssh_config_line("Port", port);
	cmd_ssh_config_line("User", t.user);
	cmd_ssh_config_line("IdentityFile", t.key);
	cmd_ssh_config_line("IdentitiesOnly", "yes");
	cmd_ssh_config_line("UserKnownHostsFile", t.known_hosts);
	cmd_ssh_config_line("GlobalKnownHostsFile", "/dev/null");
	cmd_ssh_config_line("StrictHostKeyChecking", "accept-new");
	cmd_ssh_config_line("HostKeyAlias", t.alias);
	cmd_ssh_config_line("ConnectTimeout", "10");
	cmd_ssh_config_line("LogLevel", "ERROR");
	free(port);
	cmd_ssh_target_free(&t);
	return BERTH_EXIT_OK;
}

static int
cmd_exec_exec(struct cmd_ctx *ctx, struct cmd_args *a)
{
	struct profile *p;
	struct endpoint ep;
	char **argv, *cause = NULL, *via, *line;
	int at, tty = isatty(STDIN_FILENO);

	p = profile_open(ctx->profile, &cause);
	if (p == NULL && ctx->profile_given) {
		fprintf(stderr, "berth: %s\n", cause);
		free(cause);
		return BERTH_EXIT_USAGE;
	}
	free(cause);
	cause = NULL;
	memset(&ep, 0, sizeof ep);
	if (endpoint_resolve(p, &ep, &cause) != 0) {
		fprintf(stderr, "berth: %s\n", cause);
		free(cause);
		profile_free(p);
		return BERTH_EXIT_FAILED;
	}
	/* The docker CLI talks to the daemon the rest of berth talks to. */
	unsetenv("DOCKER_CONTEXT");
	argv = docker_exec_argv(ep.host, a->argv[0], a->argv + 1, a->argc - 1,
	                        tty, &at);
	fflush(NULL);
	execvp("docker", argv);
	if (errno == ENOENT) {
		fprintf(stderr,
		        "berth: the docker CLI is not installed here; the "
		        "same through the VM:\n");
		via = xasprintf("berth%s%s ssh -- docker",
		                ctx->profile_given ? " -p " : "",
		                ctx->profile_given ? ctx->profile : "");
		line = docker_exec_line(via, argv, at);
		printf("%s\n", line);
		free(line);
		free(via);
	} else
		fprintf(stderr, "berth: docker: %s\n", strerror(errno));
	free(argv);
	endpoint_clear(&ep);
	profile_free(p);
	return BERTH_EXIT_FAILED;
}

const struct cmd_entry cmd_ssh_entry = {
    .name = "ssh",
    .usage = "[-- COMMAND [ARG...]]",
    .args = "[-- COMMAND [ARG...]]",
    .help = "a shell in the VM, or run a command there, over SSH",
    .max_args = -1,
    .exec = cmd_ssh_exec,
};

const struct cmd_entry cmd_ssh_config_entry = {
    .name = "ssh-config",
    .usage = "",
    .help = "print a Host block for ~/.ssh/config (ssh berth-PROFILE)",
    .exec = cmd_ssh_config_exec,
};

const struct cmd_entry cmd_exec_entry = {
    .name = "exec",
    .usage = "CONTAINER [COMMAND [ARG...]]",
    .args = "CONTAINER [COMMAND [ARG...]]",
    .help = "run a command (or a shell: bash, else sh) in a container",
    .min_args = 1,
    .max_args = -1,
    .kind = CMD_KIND_CONTAINER,
    .exec = cmd_exec_exec,
};
