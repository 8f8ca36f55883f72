/*
 * cmd-create.c: `berth create` (make the profile's VM from its image
 * without starting it), `berth delete [--data] [--yes]`, `berth
 * console-log [-n N]`, and the first `berth start` of a VM that does not
 * exist yet, which creates it and waits through every stage until the
 * Docker socket answers on the host (backend/image/image-create.c). Stage lines
 * go to stderr with their times; the progress line only on a terminal.
 */

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/image.h"
#include "socket/socket.h"
#include "cli/cli.h"

static int cmd_create_exec(struct cmd_ctx *, struct cmd_args *);
static int cmd_delete_exec(struct cmd_ctx *, struct cmd_args *);
static int cmd_console_log_exec(struct cmd_ctx *, struct cmd_args *);

const struct cmd_entry cmd_create_entry = {
    .name = "create",
    .usage = "[-p PROFILE]",
    .help = "create the profile's VM from its image (no start)",
    .exec = cmd_create_exec,
};
const struct cmd_entry cmd_delete_entry = {
    .name = "delete",
    .usage = "[--data] [--yes]",
    .help = "delete the VM and its system disk (--data: the data disk too)",
    .options =
        (const struct cmd_option[]){
            {0, "data", NULL, "the data disk, ssh key and Docker context too",
             CMD_KIND_NONE, 0},
            {'y', "yes", NULL, "do not ask", CMD_KIND_NONE, 0},
            {0, NULL, NULL, NULL, CMD_KIND_NONE, 0},
        },
    .exec = cmd_delete_exec,
};
const struct cmd_entry cmd_console_log_entry = {
    .name = "console-log",
    .usage = "[-n LINES]",
    .help = "print the tail of the VM's serial console log",
    .options =
        (const struct cmd_option[]){
            {'n', NULL, "LINES", "how many lines (40)", CMD_KIND_NONE, 0},
            {0, NULL, NULL, NULL, CMD_KIND_NONE, 0},
        },
    .exec = cmd_console_log_exec,
};

struct cmd_create_state {
	int tty;
	int shown; /* a progress line is on screen */
	uint64_t total_ms;
};

/* Stage reports: a live line on a terminal, one line per finished stage. */
static void
cmd_create_report(void *arg, const struct create_report *r)
{
	struct cmd_create_state *s = arg;

	if (!r->done) {
		if (!s->tty)
			return;
		fprintf(stderr, "\r\033[K%s (%llu s)%s%s",
		        create_stage_name(r->stage),
		        (unsigned long long)(r->elapsed_ms / 1000),
		        r->detail != NULL ? ": " : "",
		        r->detail != NULL ? r->detail : "");
		s->shown = 1;
		return;
	}
	if (s->shown)
		fprintf(stderr, "\r\033[K");
	s->shown = 0;
	s->total_ms += r->elapsed_ms;
	fprintf(stderr, "stage %-17s %7.1f s%s%s\n",
	        create_stage_name(r->stage), (double)r->elapsed_ms / 1000.0,
	        r->detail != NULL ? "  " : "",
	        r->detail != NULL ? r->detail : "");
}

/*
 * Open the profile, connect and lock it for the action what (waiting a
 * while for another one); prints its own error and sets *rc: a usage
 * error for the profile, a failure for libvirt.
 */
static struct vm *
cmd_create_open(struct cmd_ctx *ctx, const char *what, struct profile **pp,
                int *rc)
{
	struct profile *p;
	struct vm *vm;
	char *cause = NULL;

	*rc = BERTH_EXIT_USAGE;
	if ((p = cmd_profile_open(ctx)) == NULL)
		return NULL;
	*rc = BERTH_EXIT_FAILED;
	vm = vm_new(p);
	if (vm_connect(vm, &cause) != 0 ||
	    vm_lock_wait(vm, what, VM_LOCK_WAIT_MS, &cause) != 0) {
		fprintf(stderr, "berth: %s\n", cause);
		free(cause);
		vm_free(vm);
		profile_free(p);
		return NULL;
	}
	vm_refresh(vm, 0, NULL);
	*pp = p;
	return vm;
}

static int
cmd_create_finish(struct vm *vm, struct profile *p, int rc, char *cause,
                  struct cmd_create_state *s)
{
	if (s->shown)
		fprintf(stderr, "\r\033[K");
	if (rc != 0) {
		fprintf(stderr, "berth: %s\n", cause);
		free(cause);
	} else if (s->total_ms > 0)
		fprintf(stderr, "stage %-17s %7.1f s\n", "total",
		        (double)s->total_ms / 1000.0);
	vm_free(vm);
	profile_free(p);
	return rc != 0 ? BERTH_EXIT_FAILED : BERTH_EXIT_OK;
}

static int
cmd_create_exec(struct cmd_ctx *ctx, struct cmd_args *a)
{
	struct cmd_create_state s = {isatty(STDERR_FILENO), 0, 0};
	struct profile *p;
	struct vm *vm;
	char *cause = NULL;
	int rc;

	(void)a;
	if ((vm = cmd_create_open(ctx, "create", &p, &rc)) == NULL)
		return rc;
	rc = create_vm(vm, p, cmd_create_report, &s, &cause);
	if (rc == 0) {
		struct model_vm m;

		memset(&m, 0, sizeof m);
		vm_refresh(vm, 0, NULL);
		vm_fill(vm, &m);
		printf("%s: created\n", m.domain);
		model_vm_clear(&m);
	}
	return cmd_create_finish(vm, p, rc, cause, &s);
}

/*
 * `berth start` of a VM that does not exist yet (or was made by `berth
 * create` and never started): create it, then bring it up to a forwarded
 * Docker socket. Returns -1 when it is an existing VM (or cannot be made
 * from an image), so the caller does a plain start.
 */
int
cmd_create_first_start(struct cmd_ctx *ctx, struct cmd_args *a)
{
	struct cmd_create_state s = {isatty(STDERR_FILENO), 0, 0};
	struct profile *p;
	struct model_vm m;
	struct vm *vm;
	char *cause = NULL;
	int rc, fresh;

	/*
	 * Only a bare `berth start` (as before the table: any word after
	 * start, even -p, left it to the plain start).
	 */
	if (a->nwords > 0)
		return -1;
	if ((vm = cmd_create_open(ctx, "start", &p, &rc)) == NULL)
		return rc == BERTH_EXIT_USAGE
		           ? rc
		           : BERTH_EXIT_FAILED; /* said why */
	memset(&m, 0, sizeof m);
	vm_fill(vm, &m);
	fresh = m.state == MODEL_VM_NOT_CREATED;
	if ((!fresh &&
	     !((m.state == MODEL_VM_SHUTOFF || m.state == MODEL_VM_RUNNING) &&
	       create_first_boot_pending(p))) ||
	    m.conn != MODEL_CONN_UP || image_source(p) == NULL ||
	    strncmp(m.uri, "test:", 5) == 0) {
		model_vm_clear(&m);
		vm_free(vm);
		profile_free(p);
		return -1;
	}
	rc = fresh ? create_vm(vm, p, cmd_create_report, &s, &cause) : 0;
	if (rc == 0)
		rc = create_bring_up(vm, p, cmd_create_report, &s, &cause);
	if (rc == 0)
		printf("%s: running\n", m.domain);
	model_vm_clear(&m);
	return cmd_create_finish(vm, p, rc, cause, &s);
}

static int
cmd_delete_exec(struct cmd_ctx *ctx, struct cmd_args *a)
{
	struct profile *p;
	struct model_vm m;
	struct vm *vm;
	char *cause = NULL, *q, *dir, *data_path;
	int data = cmd_args_has(a, "data"), yes = cmd_args_has(a, "yes");
	int rc, have_data;

	if ((vm = cmd_create_open(ctx, "delete", &p, &rc)) == NULL)
		return rc;
	memset(&m, 0, sizeof m);
	vm_fill(vm, &m);
	dir = paths_state_dir(p->name);
	data_path = disk_data_path(dir);
	have_data = access(data_path, F_OK) == 0;
	if (m.adopted) {
		fprintf(stderr,
		        "berth: %s was not made by berth; berth delete only "
		        "removes VMs it created (use virsh undefine)\n",
		        m.domain);
		rc = BERTH_EXIT_FAILED;
		goto out;
	}
	if (!yes) {
		if (!isatty(STDIN_FILENO)) {
			fprintf(stderr,
			        "berth: delete %s: add --yes to delete "
			        "without a terminal to confirm on\n",
			        m.domain);
			rc = BERTH_EXIT_FAILED;
			goto out;
		}
		q = xasprintf("Delete %s (%s) and its system disk?%s", m.domain,
		              model_vm_state_name(m.state),
		              !have_data ? ""
		              : data     ? " The data disk (/var/lib/docker) "
		                           "is deleted too."
		                         : " The data disk is kept (--data "
		                           "deletes it).");
		rc = cmd_confirm(q);
		free(q);
		if (!rc) {
			fprintf(stderr, "berth: nothing deleted\n");
			rc = BERTH_EXIT_FAILED;
			goto out;
		}
	}
	supervisor_stop(p->name, NULL);
	if (create_delete(p, m.uri, m.domain, data, &cause) != 0) {
		fprintf(stderr, "berth: %s\n", cause);
		free(cause);
		rc = BERTH_EXIT_FAILED;
		goto out;
	}
	/* --data leaves nothing of the VM: its Docker context goes too */
	if (data && p->docker.context != NULL &&
	    context_remove(p->docker.context, p->name, dir, &cause) != 0) {
		fprintf(stderr, "berth: the Docker context %s stays: %s\n",
		        p->docker.context, cause);
		free(cause);
		cause = NULL;
	}
	printf("%s: deleted%s\n", m.domain,
	       have_data && !data ? " (data disk kept)" : "");
	rc = BERTH_EXIT_OK;
out:
	free(dir);
	free(data_path);
	model_vm_clear(&m);
	vm_free(vm);
	profile_free(p);
	return rc;
}

static int
cmd_console_log_exec(struct cmd_ctx *ctx, struct cmd_args *a)
{
	struct profile *p;
	char *cause = NULL, *dir, *path, *s, *clean;
	const char *start, *n;
	long lines = 40;
	size_t len, i;

	/* Each -n is checked, as given; the last one counts. */
	for (i = 0; i < a->nvalues; i++) {
		n = a->values[i].value;
		errno = 0;
		lines = strtol(n, &s, 10);
		if (errno != 0 || *s != '\0' || lines < 1)
			return cmd_usage_error(&cmd_console_log_entry,
			                       "-n wants a positive number, "
			                       "not '%s'",
			                       n);
	}
	if ((p = cmd_profile_open(ctx)) == NULL)
		return BERTH_EXIT_USAGE;
	dir = paths_state_dir(p->name);
	path = xasprintf("%s/console.log", dir);
	free(dir);
	profile_free(p);
	if ((s = util_read_file(path, &len, &cause)) == NULL) {
		fprintf(stderr, "berth: %s\n", cause);
		free(cause);
		free(path);
		return BERTH_EXIT_FAILED;
	}
	free(path);
	while (len > 0 && s[len - 1] == '\n')
		len--;
	start = s + len;
	while (start > s && lines > 0) {
		start--;
		if (*start == '\n' && --lines == 0) {
			start++;
			break;
		}
	}
	/* The guest's text may hold escapes: keep newlines, clean the rest. */
	for (;;) {
		const char *nl = memchr(start, '\n', (size_t)(s + len - start));
		size_t l = nl != NULL ? (size_t)(nl - start)
		                      : (size_t)(s + len - start);

		clean = util_sanitize_dup(start, l);
		printf("%s\n", clean);
		free(clean);
		if (nl == NULL)
			break;
		start = nl + 1;
	}
	free(s);
	return BERTH_EXIT_OK;
}
