/*
 * cmd-mount.c: `berth mount sync-status [--json]`, how each type: sync
 * mount of the profile stands: the state of its copy in the guest (the
 * first sync's progress, watching, failed), files, bytes, lag and the
 * last error, as the berth keeping it in step (a dashboard or a
 * background watcher) publishes them in the profile's state folder.
 */

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "socket/socket.h"
#include "mounts/mounts.h"
#include "cli/cli.h"

/* Mount i's published figures, or NULL when no live berth keeps it. */
static json_t *
cmd_mount_sync_read(const char *state, const struct profile_mount *m)
{
	char *path;
	json_t *j;
	json_int_t pid;

	if (state == NULL)
		return NULL;
	path = msync_status_path(state, m->host);
	j = json_load_file(path, 0, NULL);
	free(path);
	if (j == NULL)
		return NULL;
	pid = json_integer_value(json_object_get(j, "pid"));
	if (pid <= 0 || (kill((pid_t)pid, 0) != 0 && errno == ESRCH)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static uint64_t
cmd_mount_num(json_t *j, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(j, key));

	return v > 0 ? (uint64_t)v : 0;
}

static int
cmd_mount_sync_status(struct cmd_ctx *ctx, struct cmd_args *a)
{
	static const char *const keys[] = {
	    "copy_files", "copy_bytes",    "done_files", "done_bytes",
	    "sent_files", "sent_bytes",    "deleted",    "failed",
	    "refused",    "connects",      "files",      "bytes",
	    "fetched",    "fetched_bytes", "conflicts",  "renamed",
	    "dropped"};
	struct profile *p;
	char *state, *cause = NULL, *err, *shown;
	json_t *arr, *o, *j;
	size_t i, k, n = 0;
	int json = cmd_args_has(a, "json");

	if ((p = cmd_profile_open(ctx)) == NULL)
		return BERTH_EXIT_USAGE;
	state = supervisor_state_dir(p->name, &cause);
	free(cause);
	arr = json_array();
	if (!json)
		printf("%-3s %-11s %-16s %9s %9s %7s %9s  %s\n", "#", "STATE",
		       "PROGRESS", "FILES", "BYTES", "LAG", "CONFLICTS",
		       "HOST <-> GUEST");
	for (i = 0; i < p->nmounts; i++) {
		const struct profile_mount *m = &p->mounts[i];
		uint64_t df, cf, db, cb, lag;
		const char *st, *e;
		char prog[64], *bytes, lagt[32];

		if (m->type != PROFILE_MOUNT_SYNC)
			continue;
		n++;
		j = cmd_mount_sync_read(state, m);
		st = j != NULL ? json_string_value(json_object_get(j, "state"))
		               : NULL;
		if (st == NULL)
			st = "stopped";
		e = j != NULL ? json_string_value(json_object_get(j, "error"))
		              : NULL;
		err = util_sanitize_dup(e != NULL ? e : "",
		                        e != NULL ? strlen(e) : 0);
		if (json) {
			o = json_pack(
			    "{s:I, s:s, s:s, s:s, s:s, s:b}", "mount",
			    (json_int_t)(i + 1), "host", m->host, "guest",
			    m->guest != NULL ? m->guest : m->host, "direction",
			    m->sync == PROFILE_SYNC_BOTH ? "both"
			                                 : "host-to-guest",
			    "state", st, "running", j != NULL);
			for (k = 0; k < nitems(keys); k++)
				json_object_set_new(
				    o, keys[k],
				    json_integer(
				        (json_int_t)cmd_mount_num(j, keys[k])));
			lag = j != NULL ? (uint64_t)json_integer_value(
			                      json_object_get(j, "lag_ms"))
			                : 0;
			json_object_set_new(
			    o, "lag_ms",
			    j != NULL && json_integer_value(
			                     json_object_get(j, "lag_ms")) >= 0
			        ? json_integer((json_int_t)lag)
			        : json_null());
			json_object_set_new(o, "error",
			                    *err != '\0' ? json_string(err)
			                                 : json_null());
			json_array_append_new(arr, o);
		} else {
			df = cmd_mount_num(j, "done_files");
			cf = cmd_mount_num(j, "copy_files");
			db = cmd_mount_num(j, "done_bytes");
			cb = cmd_mount_num(j, "copy_bytes");
			if (j == NULL)
				snprintf(prog, sizeof prog, "-");
			else if (strcmp(st, "copying") == 0)
				snprintf(
				    prog, sizeof prog, "%llu%% %llu/%llu",
				    (unsigned long long)(cb > 0 ? db * 100 / cb
				                         : cf > 0
				                             ? df * 100 / cf
				                             : 100),
				    (unsigned long long)df,
				    (unsigned long long)cf);
			else
				snprintf(prog, sizeof prog, "in step");
			bytes = units_format_size(cmd_mount_num(j, "bytes"));
			if (j != NULL && json_integer_value(
			                     json_object_get(j, "lag_ms")) >= 0)
				snprintf(lagt, sizeof lagt, "%lld ms",
				         (long long)json_integer_value(
				             json_object_get(j, "lag_ms")));
			else
				snprintf(lagt, sizeof lagt, "-");
			shown = util_sanitize_dup(m->host, strlen(m->host));
			printf(
			    "%-3zu %-11s %-16s %9llu %9s %7s %9llu  %s %s "
			    "%s\n",
			    i + 1, st, prog,
			    (unsigned long long)cmd_mount_num(j, "files"),
			    j != NULL ? bytes : "-", lagt,
			    (unsigned long long)cmd_mount_num(j, "conflicts"),
			    shown, m->sync == PROFILE_SYNC_BOTH ? "<->" : "->",
			    m->guest != NULL ? m->guest : m->host);
			free(shown);
			free(bytes);
			if (*err != '\0')
				printf("    last error: %s\n", err);
			e = j != NULL ? json_string_value(
			                    json_object_get(j, "conflict"))
			              : NULL;
			if (e != NULL && *e != '\0') {
				shown = util_sanitize_dup(e, strlen(e));
				printf(
				    "    last conflict: both copies kept; the "
				    "other side's is %s\n",
				    shown);
				free(shown);
			}
		}
		free(err);
		json_decref(j);
	}
	if (json) {
		json_dumpf(arr, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("\n");
	} else if (n == 0)
		printf("(no type: sync mounts in profile %s)\n", p->name);
	else
		printf("\nA dashboard (berth) or a background watcher (berth "
		       "watch -d) keeps sync mounts in step.\n");
	json_decref(arr);
	free(state);
	profile_free(p);
	return BERTH_EXIT_OK;
}

static const struct cmd_entry cmd_mount_subs[] = {
    {.name = "sync-status",
     .usage = "[--json]",
     .options =
         (const struct cmd_option[]){
             {'j', "json", NULL, "print JSON", CMD_KIND_NONE, 0},
             {0, NULL, NULL, NULL, CMD_KIND_NONE, 0},
         },
     .max_args = 1,
     .opts_until = -1,
     .exec = cmd_mount_sync_status},
    {.name = NULL},
};

const struct cmd_entry cmd_mount_entry = {
    .name = "mount",
    .usage = "sync-status [--json]",
    .help = "how the profile's type: sync mounts stand",
    .max_args = -1,
    .subs = cmd_mount_subs,
};
