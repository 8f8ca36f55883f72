/*
 * cmd-profile-file.c: `berth profile new`, `profile rm` and `profile
 * edit`: profiles made, removed and edited without knowing where their
 * files live. The files are written by backend/conf/profile-write.c (new)
 * and checked by the one loader; `rm --with-vm` deletes the VM through
 * `berth delete` itself.
 */

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "vm/vm.h"

/* A --mount PATH as the profile should say it: absolute, or from ~. */
static char *
mount_path(const char *arg)
{
	char *cwd, *s;

	if (arg[0] == '/' || arg[0] == '~')
		return xstrdup(arg);
	if ((cwd = getcwd(NULL, 0)) == NULL)
		return xstrdup(arg); /* the loader says it is not absolute */
	s = xasprintf("%s/%s", cwd, strcmp(arg, ".") == 0 ? "" : arg);
	if (strlen(s) > 1 && s[strlen(s) - 1] == '/')
		s[strlen(s) - 1] = '\0';
	free(cwd);
	return s;
}

/*
 * Write a new profile from spec and say where it went; the message every
 * way of making one prints. Returns an exit code.
 */
int
cmd_profile_file_write(const struct profile_write_spec *spec)
{
	char *text, *path, *cause = NULL, *shown;
	size_t len;

	if ((text = profile_write_text(spec, &len, &cause)) == NULL ||
	    (path = profile_write_new(spec->name, text, len, 0, &cause)) ==
	        NULL) {
		shown = util_sanitize_dup(cause, strlen(cause));
		fprintf(stderr, "berth: %s\n", shown);
		free(shown);
		free(cause);
		free(text);
		return BERTH_EXIT_USAGE;
	}
	printf("profile %s: %s (domain and context berth-%s)\n", spec->name,
	       path, spec->name);
	free(path);
	free(text);
	return BERTH_EXIT_OK;
}

/* berth profile new NAME [--from PROFILE] [--cpus N] [--memory SIZE]... */
int
cmd_profile_file_new(struct cmd_ctx *ctx, struct cmd_args *a)
{
	struct profile_write_spec spec;
	struct profile_write_mount *mounts = NULL;
	const char *from = cmd_args_get(a, "from");
	char *from_path = NULL, *cause = NULL;
	size_t i, n = 0;
	int rc;

	(void)ctx;
	if (a->argc != 1)
		return cmd_usage_error(
		    &cmd_profile_entry,
		    "usage: berth profile new NAME [options]");
	memset(&spec, 0, sizeof spec);
	spec.name = a->argv[0];
	if (from != NULL) {
		from_path = profile_is_file(from) ? paths_expand_tilde(from)
		                                  : profile_find(from, &cause);
		if (from_path == NULL) {
			fprintf(stderr, "berth: %s\n", cause);
			free(cause);
			return BERTH_EXIT_USAGE;
		}
	}
	spec.from = from_path;
	spec.cpus = cmd_args_get(a, "cpus");
	spec.memory = cmd_args_get(a, "memory");
	spec.disk = cmd_args_get(a, "disk");
	mounts = xcalloc(a->nvalues + 1, sizeof *mounts);
	for (i = 0; i < a->nvalues; i++) {
		if (strcmp(a->values[i].opt->name, "mount") != 0)
			continue;
		mounts[n].host = mount_path(a->values[i].value);
		mounts[n].writable = -1;
		n++;
	}
	spec.mounts = mounts;
	spec.nmounts = n;
	rc = cmd_profile_file_write(&spec);
	for (i = 0; i < n; i++)
		free((char *)mounts[i].host);
	free(mounts);
	free(from_path);
	return rc;
}

/*
 * Whether profile `name` has a VM: 1 (its domain and state in *what,
 * caller frees), 0, or -1 after printing why it cannot be told.
 */
static int
profile_has_vm(const char *name, char **what)
{
	struct profile *p;
	struct model_vm m;
	struct vm *vm;
	char *cause = NULL;
	int r;

	if ((p = profile_open(name, &cause)) == NULL) {
		fprintf(stderr,
		        "berth: profile %s has errors, so berth cannot tell "
		        "whether it has a VM; fix them first (berth profile "
		        "edit %s):\n%s\n",
		        name, name, cause);
		free(cause);
		return -1;
	}
	vm = vm_new(p);
	if (vm_connect(vm, &cause) != 0) {
		fprintf(stderr,
		        "berth: cannot tell whether profile %s has a VM: %s\n",
		        name, cause);
		free(cause);
		vm_free(vm);
		profile_free(p);
		return -1;
	}
	vm_refresh(vm, 0, NULL);
	memset(&m, 0, sizeof m);
	vm_fill(vm, &m);
	r = m.state != MODEL_VM_NOT_CREATED;
	if (r)
		*what = xasprintf("%s (%s)", m.domain,
		                  model_vm_state_name(m.state));
	model_vm_clear(&m);
	vm_free(vm);
	profile_free(p);
	return r;
}

/* `berth delete --yes --data` of profile `name`, run from its table entry. */
static int
delete_vm(struct cmd_ctx *ctx, const char *name)
{
	char *argv[] = {"delete", "--yes", "--data", NULL};
	struct cmd_ctx dctx = *ctx;
	struct cmd_args da;
	int rc;

	dctx.profile = name;
	dctx.profile_given = 1;
	if (cmd_args_parse(&dctx, &cmd_delete_entry, &cmd_delete_entry, 3, argv,
	                   &da) != 0)
		return BERTH_EXIT_FAILED;
	rc = cmd_delete_entry.exec(&dctx, &da);
	cmd_args_free(&da);
	return rc;
}

/* berth profile rm NAME [--with-vm] [--yes] */
int
cmd_profile_file_rm(struct cmd_ctx *ctx, struct cmd_args *a)
{
	const char *name;
	char *path, *cause = NULL, *what = NULL, *q, *user;
	int with_vm = cmd_args_has(a, "with-vm"), yes = cmd_args_has(a, "yes");
	int has, rc;

	if (a->argc != 1)
		return cmd_usage_error(
		    &cmd_profile_entry,
		    "usage: berth profile rm NAME [--with-vm] "
		    "[--yes]");
	name = a->argv[0];
	if ((path = profile_find(name, &cause)) == NULL) {
		fprintf(stderr, "berth: %s\n", cause);
		free(cause);
		return BERTH_EXIT_USAGE;
	}
	/* A shipped profile is refused before libvirt is asked anything. */
	user = paths_user_profiles_dir();
	if (strncmp(path, user, strlen(user)) != 0 ||
	    path[strlen(user)] != '/') {
		fprintf(stderr,
		        "berth: profile %s is shipped with berth (%s); only "
		        "your own profiles (in %s) can be removed\n",
		        name, path, user);
		free(user);
		free(path);
		return BERTH_EXIT_USAGE;
	}
	free(user);
	if ((has = profile_has_vm(name, &what)) == -1) {
		free(path);
		return BERTH_EXIT_FAILED;
	}
	if (has && !with_vm) {
		fprintf(stderr,
		        "berth: profile %s has a VM, %s; delete it first "
		        "(berth -p %s delete), or add --with-vm\n",
		        name, what, name);
		free(what);
		free(path);
		return BERTH_EXIT_FAILED;
	}
	if (!yes) {
		if (!isatty(STDIN_FILENO)) {
			fprintf(stderr,
			        "berth: profile rm %s: add --yes to remove it "
			        "without a terminal to confirm on\n",
			        name);
			free(what);
			free(path);
			return BERTH_EXIT_FAILED;
		}
		q = has ? xasprintf("Remove profile %s (%s) and delete its VM "
		                    "%s with all its disks?",
		                    name, path, what)
		        : xasprintf("Remove profile %s (%s)?", name, path);
		rc = cmd_confirm(q);
		free(q);
		if (!rc) {
			fprintf(stderr, "berth: nothing removed\n");
			free(what);
			free(path);
			return BERTH_EXIT_FAILED;
		}
	}
	free(what);
	free(path);
	if (has && (rc = delete_vm(ctx, name)) != BERTH_EXIT_OK) {
		fprintf(stderr,
		        "berth: profile %s kept: its VM was not "
		        "deleted\n",
		        name);
		return rc;
	}
	if (profile_write_remove(name, &path, &cause) != 0) {
		fprintf(stderr, "berth: %s\n", cause);
		free(cause);
		return BERTH_EXIT_FAILED;
	}
	printf("profile %s: removed %s\n", name, path);
	free(path);
	return BERTH_EXIT_OK;
}

/* The lines of berth's own note at the top of a file being edited. */
#define EDIT_MARK "# berth: "

/* Drop berth's note (the leading EDIT_MARK lines) from text. */
static char *
edit_strip(const char *text)
{
	const char *p = text;

	while (strncmp(p, EDIT_MARK, strlen(EDIT_MARK)) == 0) {
		p += strcspn(p, "\n");
		if (*p == '\n')
			p++;
	}
	return xstrdup(p);
}

/*
 * The note above a text with errors: each as FILE:LINE:COL (the line
 * counted in the file as the editor shows it, note included), as one
 * comment line. Returns the note (caller frees) and its line count.
 */
static char *
edit_note(const struct config_errors *errs, const char *file, int *nlines)
{
	char *note, *t, *msg;
	size_t i;
	int n = (int)errs->n + 2;

	note = xasprintf("%sthis profile has errors and was not saved. Fix "
	                 "them and save, or quit\n%swithout saving to keep "
	                 "the old file (these lines go away on save).\n",
	                 EDIT_MARK, EDIT_MARK);
	for (i = 0; i < errs->n; i++) {
		msg = util_sanitize_dup(errs->list[i].message,
		                        strlen(errs->list[i].message));
		msg[strcspn(msg, "\n")] = '\0';
		if (errs->list[i].line > 0)
			t = xasprintf("%s%s%s:%d:%d: %s\n", note, EDIT_MARK,
			              file, errs->list[i].line + n,
			              errs->list[i].col, msg);
		else
			t = xasprintf("%s%s%s: %s\n", note, EDIT_MARK, file,
			              msg);
		free(msg);
		free(note);
		note = t;
	}
	*nlines = n;
	return note;
}

/*
 * Run the user's editor on file with the terminal: $VISUAL, else $EDITOR,
 * else vi, through sh as git does ("code --wait" is a command line).
 * Returns its exit status, or -1 when it could not be run.
 */
static int
edit_run(const char *file)
{
	const char *ed = getenv("VISUAL");
	char *cmd;
	pid_t pid;
	int status;
	void (*oint)(int), (*oquit)(int);

	if (ed == NULL || *ed == '\0')
		ed = getenv("EDITOR");
	if (ed == NULL || *ed == '\0')
		ed = "vi";
	cmd = xasprintf("%s \"$1\"", ed);
	fflush(stdout);
	fflush(stderr);
	/* ^C in the editor is the editor's. */
	oint = signal(SIGINT, SIG_IGN);
	oquit = signal(SIGQUIT, SIG_IGN);
	if ((pid = fork()) == -1) {
		free(cmd);
		signal(SIGINT, oint);
		signal(SIGQUIT, oquit);
		return -1;
	}
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		execl("/bin/sh", "sh", "-c", cmd, "sh", file, (char *)NULL);
		_exit(127);
	}
	free(cmd);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	signal(SIGINT, oint);
	signal(SIGQUIT, oquit);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* Write len bytes of text to the temporary file fd names, from the start. */
static int
edit_put(const char *file, const char *text, char **cause)
{
	FILE *f;

	if ((f = fopen(file, "w")) == NULL ||
	    fwrite(text, 1, strlen(text), f) != strlen(text) ||
	    fclose(f) != 0) {
		util_set_cause(cause, "%s: %s", file, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Save the edited text as profile name's file: the user's file in place
 * (its old text kept as .bak, as profile set does), or a new user
 * profile for a shipped one. Refused when the file changed on disk while
 * it was edited (the edit would undo that change).
 */
static int
edit_save(const char *name, const char *path, int shipped, const char *orig,
          const char *text, char **cause)
{
	struct stat sb;
	char *now, *dest;
	size_t len;
	int r;

	if (shipped) {
		dest = profile_write_new(name, text, strlen(text), 1, cause);
		free(dest);
		return dest != NULL ? 0 : -1;
	}
	if ((now = util_read_file(path, &len, cause)) == NULL)
		return -1;
	if (strcmp(now, orig) != 0) {
		util_set_cause(cause, "%s changed while it was edited", path);
		free(now);
		return -1;
	}
	free(now);
	if (stat(path, &sb) != 0) {
		util_set_cause(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	r = util_write_file_atomic(path, text, strlen(text), sb.st_mode & 07777,
	                           1, cause);
	return r;
}

/* berth profile edit NAME */
int
cmd_profile_file_edit(struct cmd_ctx *ctx, struct cmd_args *a)
{
	struct config_errors errs = {NULL, 0};
	struct profile *p;
	struct stat sb;
	const char *name = a->argc > 0 ? a->argv[0] : ctx->profile;
	const char *tmpdir = getenv("TMPDIR");
	char *path, *real = NULL, *user, *orig, *cur, *note = NULL, *shown;
	char *back, *cause = NULL, tmp[4096];
	size_t len;
	int fd, shipped, nlines = 0, rc = BERTH_EXIT_FAILED, st;

	if (a->argc > 1)
		return cmd_usage_error(&cmd_profile_entry,
		                       "usage: berth profile edit [NAME]");
	if ((path = profile_find(name, &cause)) == NULL) {
		fprintf(stderr, "berth: %s\n", cause);
		free(cause);
		return BERTH_EXIT_USAGE;
	}
	user = paths_user_profiles_dir();
	shipped =
	    strncmp(path, user, strlen(user)) != 0 || path[strlen(user)] != '/';
	free(user);
	/* A linked profile is edited where the link points, as set does. */
	if (!shipped && (real = realpath(path, NULL)) != NULL) {
		free(path);
		path = real;
	}
	if (!shipped && stat(path, &sb) == 0 && (sb.st_mode & 0222) == 0) {
		fprintf(stderr,
		        "berth: %s is read-only (mode %04o); make it writable "
		        "(chmod u+w) to edit it\n",
		        path, (unsigned int)(sb.st_mode & 07777));
		free(path);
		return BERTH_EXIT_FAILED;
	}
	if ((orig = util_read_file(path, &len, &cause)) == NULL) {
		fprintf(stderr, "berth: %s\n", cause);
		free(cause);
		free(path);
		return BERTH_EXIT_FAILED;
	}
	snprintf(tmp, sizeof tmp, "%s/berth-%s-XXXXXX.yaml",
	         tmpdir != NULL && *tmpdir != '\0' ? tmpdir : "/tmp", name);
	if ((fd = mkstemps(tmp, 5)) == -1) {
		fprintf(stderr, "berth: %s: %s\n", tmp, strerror(errno));
		free(orig);
		free(path);
		return BERTH_EXIT_FAILED;
	}
	close(fd);
	cur = xstrdup(orig);
	for (;;) {
		char *shown_text =
		    xasprintf("%s%s", note != NULL ? note : "", cur);

		if (edit_put(tmp, shown_text, &cause) != 0) {
			free(shown_text);
			break;
		}
		if ((st = edit_run(tmp)) != 0) {
			fprintf(stderr,
			        "berth: the editor %s; %s is unchanged\n",
			        st == -1 ? "could not be run"
			                 : "exited with an error",
			        path);
			free(shown_text);
			break;
		}
		if ((back = util_read_file(tmp, &len, &cause)) == NULL) {
			free(shown_text);
			break;
		}
		if (strcmp(back, shown_text) == 0) {
			/* Quit without a change: nothing to save. */
			free(shown_text);
			free(back);
			if (note == NULL) {
				printf("profile %s: no changes\n", name);
				rc = BERTH_EXIT_OK;
			} else
				fprintf(stderr,
				        "berth: the edit still has errors; "
				        "%s is unchanged\n",
				        path);
			break;
		}
		free(shown_text);
		free(cur);
		cur = edit_strip(back);
		free(back);
		free(note);
		note = NULL;
		config_errors_free(&errs);
		if ((p = profile_load_buffer(cur, strlen(cur), tmp, name,
		                             &errs)) != NULL) {
			profile_free(p);
			if (edit_save(name, path, shipped, orig, cur, &cause) !=
			    0)
				break;
			printf("profile %s: saved %s\n", name,
			       shipped ? "as your own profile" : path);
			rc = BERTH_EXIT_OK;
			break;
		}
		note = edit_note(&errs, tmp, &nlines);
	}
	if (cause != NULL) {
		shown = util_sanitize_dup(cause, strlen(cause));
		fprintf(stderr, "berth: %s; the edit is kept in %s\n", shown,
		        tmp);
		free(shown);
		free(cause);
	} else
		unlink(tmp);
	config_errors_free(&errs);
	free(note);
	free(cur);
	free(orig);
	free(path);
	return rc;
}
