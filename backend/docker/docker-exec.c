/*
 * docker-exec.c: the command line of `docker exec` into a container, for
 * berth exec (cli/cmd-ssh.c) and the dashboard's x (tui/pane-containers.c),
 * which run it with the terminal; and the same as a line for a shell, to
 * say when the docker CLI is missing.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "docker/docker.h"

/* s quoted for a POSIX shell ('it'"'"'s'); the caller frees it. */
static char *
docker_exec_quote(const char *s)
{
	size_t len = strlen(s), n = 0;
	char *q = xmalloc(len * 4 + 3);

	if (*s != '\0' && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	                            "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                            "0123456789-_./=:@,+%") == len) {
		memcpy(q, s, len + 1);
		return q;
	}
	q[n++] = '\'';
	for (; *s != '\0'; s++) {
		if (*s == '\'') {
			memcpy(q + n, "'\\''", 4);
			n += 4;
		} else
			q[n++] = *s;
	}
	q[n++] = '\'';
	q[n] = '\0';
	return q;
}

/* With no command: bash where the image has it, else sh. */
static char docker_exec_shell[] =
    "command -v bash >/dev/null && exec bash || exec sh";

/*
 * The argv of `docker exec` into container through the daemon at host
 * (unix://…, what DOCKER_HOST holds): words, or a shell (bash where the
 * image has it, else sh) when nwords is 0; -it with a terminal. berth exec
 * and the dashboard's x both run it. *exec_at is the index of "exec":
 * from there it is the command to run in the VM. The caller frees the
 * array, not the words.
 */
char **
docker_exec_argv(const char *host, const char *container, char *const *words,
                 int nwords, int tty, int *exec_at)
{
	char **argv = xcalloc(12 + (size_t)nwords, sizeof *argv);
	int i, n = 0;

	argv[n++] = (char *)"docker";
	argv[n++] = (char *)"--host";
	argv[n++] = (char *)host;
	*exec_at = n;
	argv[n++] = (char *)"exec";
	argv[n++] = (char *)(tty ? "-it" : "-i");
	argv[n++] = (char *)container;
	if (nwords > 0) {
		for (i = 0; i < nwords; i++)
			argv[n++] = words[i];
	} else {
		argv[n++] = (char *)"sh";
		argv[n++] = (char *)"-c";
		argv[n++] = docker_exec_shell;
	}
	argv[n] = NULL;
	return argv;
}

/*
 * A command line for a shell: prefix, then argv from index from, quoted.
 * With the docker CLI missing, berth exec and x print the same through
 * the VM: docker_exec_line("berth -p P ssh -- docker", argv, exec_at). The
 * caller frees it.
 */
char *
docker_exec_line(const char *prefix, char *const *argv, int from)
{
	char *line = xstrdup(prefix), *q, *next;
	int i;

	for (i = from; argv[i] != NULL; i++) {
		q = docker_exec_quote(argv[i]);
		next = xasprintf("%s %s", line, q);
		free(q);
		free(line);
		line = next;
	}
	return line;
}
