/*
 * socket-ssh.c: how berth runs ssh. Every ssh berth starts (the socket
 * forward, the mounts' replay, provisioning) begins with the same
 * arguments: no ssh_config, the profile's own ed25519 key and nothing
 * else, batch mode, and the profile's own known_hosts under a host key
 * alias, so the first contact with a new guest is accepted into that
 * private file only and a changed key later is refused. This file makes
 * that key, builds those arguments, and asks a running control master to
 * add or cancel a port forward (ssh -O).
 */

#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "socket/socket.h"

/*
 * The start of every ssh berth runs: no ssh_config, the profile's key and
 * nothing else, batch mode, the profile's own known_hosts under a host
 * key alias (trust on first use), a connect timeout, quiet, -p and -l.
 * Fills argv from 0 and returns how many; own[0..1] get two strings the
 * caller frees after the spawn. The caller adds its options, "--", host.
 */
int
ssh_args(char **argv, const char *key, const char *known_hosts,
         const char *alias, const char *port, const char *user, char *own[2])
{
	int n = 0;

	own[0] = xasprintf("UserKnownHostsFile=%s", known_hosts);
	own[1] = xasprintf("HostKeyAlias=%s", alias);
	argv[n++] = (char *)"ssh";
	argv[n++] = (char *)"-F";
	argv[n++] = (char *)"none";
	argv[n++] = (char *)"-T";
	argv[n++] = (char *)"-i";
	argv[n++] = (char *)key;
	argv[n++] = (char *)"-o";
	argv[n++] = (char *)"IdentitiesOnly=yes";
	argv[n++] = (char *)"-o";
	argv[n++] = (char *)"BatchMode=yes";
	argv[n++] = (char *)"-o";
	argv[n++] = own[0];
	argv[n++] = (char *)"-o";
	argv[n++] = (char *)"GlobalKnownHostsFile=/dev/null";
	argv[n++] = (char *)"-o";
	argv[n++] = (char *)"StrictHostKeyChecking=accept-new";
	argv[n++] = (char *)"-o";
	argv[n++] = own[1];
	argv[n++] = (char *)"-o";
	argv[n++] = (char *)"ConnectTimeout=10";
	argv[n++] = (char *)"-o";
	argv[n++] = (char *)"LogLevel=ERROR";
	argv[n++] = (char *)"-p";
	argv[n++] = (char *)port;
	argv[n++] = (char *)"-l";
	argv[n++] = (char *)user;
	return n;
}

/*
 * Make sure the profile's ssh key exists in <state>/ssh with safe
 * permissions, generating it with ssh-keygen the first time. *keyp gets
 * the private key path (caller frees); *note a message when permissions
 * were fixed (caller frees, may stay NULL).
 */
int
ssh_ensure_key(const char *state_dir, const char *profile, char **keyp,
               char **note, char **cause)
{
	char *dir = xasprintf("%s/ssh", state_dir), *key, *comment;
	struct stat sb;
	char *argv[12];
	struct proc pr = {.argv = argv};
	int n = 0, r;

	*keyp = NULL;
	if (note != NULL)
		*note = NULL;
	if (util_mkdir_p(dir, 0700, cause) != 0) {
		free(dir);
		return -1;
	}
	key = xasprintf("%s/id_ed25519", dir);
	free(dir);
	if (lstat(key, &sb) != 0) {
		comment = xasprintf("berth-%s", profile);
		argv[n++] = (char *)"ssh-keygen";
		argv[n++] = (char *)"-q";
		argv[n++] = (char *)"-t";
		argv[n++] = (char *)"ed25519";
		argv[n++] = (char *)"-N";
		argv[n++] = (char *)"";
		argv[n++] = (char *)"-C";
		argv[n++] = comment;
		argv[n++] = (char *)"-f";
		argv[n++] = key;
		argv[n] = NULL;
		r = proc_run(&pr, cause);
		proc_free(&pr);
		if (r != 0) {
			free(comment);
			free(key);
			return -1;
		}
		free(comment);
		if (lstat(key, &sb) != 0) {
			util_set_cause(cause, "ssh-keygen made no %s", key);
			free(key);
			return -1;
		}
	}
	if (!S_ISREG(sb.st_mode)) {
		util_set_cause(cause, "%s is not a regular file", key);
		free(key);
		return -1;
	}
	if (sb.st_uid != geteuid()) {
		util_set_cause(
		    cause,
		    "%s is owned by uid %ld, so ssh will not use it; "
		    "remove it and berth makes a new key",
		    key, (long)sb.st_uid);
		free(key);
		return -1;
	}
	if ((sb.st_mode & 077) != 0) {
		if (chmod(key, 0600) != 0) {
			util_set_cause(
			    cause,
			    "%s has mode %04o and chmod 0600 failed: "
			    "%s",
			    key, (unsigned)(sb.st_mode & 07777),
			    strerror(errno));
			free(key);
			return -1;
		}
		if (note != NULL)
			*note = xasprintf("fixed permissions of %s (was "
			                  "%04o, ssh needs 0600)",
			                  key, (unsigned)(sb.st_mode & 07777));
	}
	*keyp = key;
	return 0;
}

/*
 * Ask the ssh running as control master on ctl_path (connected to host)
 * to add (op "forward") or drop (op "cancel") the local port forward spec
 * ("127.0.0.1:P:H:P"). Waits at most 5 s. Returns 0, or -1 with ssh's own
 * words in *cause.
 */
int
ssh_ctl(const char *ctl_path, const char *host, const char *op,
        const char *spec, char **cause)
{
	char *argv[16], *line, *clean, *why = NULL;
	struct proc pr = {
	    .argv = argv, .flags = PROC_MERGE, .timeout_ms = 5000};
	size_t len;
	int n = 0;

	argv[n++] = (char *)"ssh";
	argv[n++] = (char *)"-F";
	argv[n++] = (char *)"none";
	argv[n++] = (char *)"-o";
	argv[n++] = (char *)"LogLevel=ERROR";
	argv[n++] = (char *)"-S";
	argv[n++] = (char *)ctl_path;
	argv[n++] = (char *)"-O";
	argv[n++] = (char *)op;
	argv[n++] = (char *)"-L";
	argv[n++] = (char *)spec;
	argv[n++] = (char *)"--";
	argv[n++] = (char *)host;
	argv[n] = NULL;
	if (proc_run(&pr, &why) == 0) {
		proc_free(&pr);
		return 0;
	}
	if (pr.error != 0) {
		/* it did not start: the runner's cause says why */
		if (cause != NULL)
			*cause = why;
		else
			free(why);
		proc_free(&pr);
		return -1;
	}
	free(why);
	/* ssh prints a line of its own; keep the last non-empty one. */
	len = pr.out_len;
	while (len > 0 && (pr.out[len - 1] == '\n' || pr.out[len - 1] == '\r'))
		len--;
	pr.out[len] = '\0';
	line = strrchr(pr.out, '\n');
	line = line != NULL ? line + 1 : pr.out;
	clean = util_sanitize_dup(line, strlen(line));
	util_set_cause(cause, "ssh -O %s %s: %s", op, spec,
	               *clean != '\0' ? clean : "failed");
	free(clean);
	proc_free(&pr);
	return -1;
}
