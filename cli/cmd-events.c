/*
 * cmd-events.c: `berth events [--json]`, what changes for scripts: the
 * VM's state, the socket's health, each mount's watch mode and the
 * daemon's container events, a line each (a JSON object with --json, as
 * `limactl watch --json` prints). It runs the dashboard's engine without
 * the dashboard and says what each snapshot changed (model-diff.c), so
 * there is one poller and one truth.
 */

#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"

/* How long the start may take before the profile is called unreachable. */
#define CMD_EVENTS_START_MS 15000

static volatile sig_atomic_t cmd_events_stop;

static void
cmd_events_signal(int sig)
{
	(void)sig;
	cmd_events_stop = 1;
}

/* RFC 3339 in UTC, to the millisecond: ns since the epoch, 0 for now. */
static void
cmd_events_time(int64_t ns, char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;
	time_t t;
	char day[32];

	if (ns > 0) {
		ts.tv_sec = (time_t)(ns / 1000000000);
		ts.tv_nsec = (long)(ns % 1000000000);
	} else
		clock_gettime(CLOCK_REALTIME, &ts);
	t = ts.tv_sec;
	gmtime_r(&t, &tm);
	strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%03ldZ", day, ts.tv_nsec / 1000000);
}

static json_t *
cmd_events_jstr(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

/* The JSON object of one event; berth(1) lists the fields. */
static json_t *
cmd_events_json(const char *profile, const struct model_event *e,
                const char *when)
{
	json_t *o = json_object();

	json_object_set_new(o, "time", json_string(when));
	json_object_set_new(o, "type",
	                    json_string(model_event_type_name(e->type)));
	json_object_set_new(o, "profile", json_string(profile));
	json_object_set_new(o, "name", cmd_events_jstr(e->name));
	if (e->type == MODEL_EVENT_CONTAINER) {
		json_object_set_new(o, "action", cmd_events_jstr(e->action));
		json_object_set_new(o, "id", cmd_events_jstr(e->id));
		json_object_set_new(o, "image", cmd_events_jstr(e->image));
		json_object_set_new(o, "exit_code",
		                    e->exit_code != NULL
		                        ? json_integer(atoll(e->exit_code))
		                        : json_null());
	} else {
		json_object_set_new(o, "state", cmd_events_jstr(e->state));
		json_object_set_new(o, "previous",
		                    cmd_events_jstr(e->previous));
	}
	if (e->type == MODEL_EVENT_MOUNT)
		json_object_set_new(o, "guest", cmd_events_jstr(e->guest));
	json_object_set_new(o, "detail", cmd_events_jstr(e->detail));
	return o;
}

/* One readable line; the daemon's and guest's words are sanitized. */
static char *
cmd_events_text(const struct model_event *e, const char *when)
{
	char *line, *clean;

	if (e->type == MODEL_EVENT_CONTAINER)
		line = xasprintf("%s container %s %s%s%s%s%s%s%s", when,
		                 e->name != NULL ? e->name : "-", e->action,
		                 e->exit_code != NULL ? " exit " : "",
		                 e->exit_code != NULL ? e->exit_code : "",
		                 e->image != NULL ? " image " : "",
		                 e->image != NULL ? e->image : "",
		                 e->detail != NULL ? ": " : "",
		                 e->detail != NULL ? e->detail : "");
	else
		line = xasprintf("%s %s %s %s%s%s%s%s%s", when,
		                 model_event_type_name(e->type),
		                 e->name != NULL ? e->name : "-", e->state,
		                 e->previous != NULL ? " (was " : "",
		                 e->previous != NULL ? e->previous : "",
		                 e->previous != NULL ? ")" : "",
		                 e->detail != NULL ? ": " : "",
		                 e->detail != NULL ? e->detail : "");
	clean = util_sanitize_dup(line, strlen(line));
	free(line);
	return clean;
}

/* Print the events, a line each, flushed; -1 when stdout is gone. */
static int
cmd_events_print(const char *profile, const struct model_event *ev, size_t n,
                 int json)
{
	char when[64], *s;
	json_t *o;
	size_t i;

	for (i = 0; i < n; i++) {
		cmd_events_time(ev[i].time_ns, when, sizeof when);
		if (json) {
			o = cmd_events_json(profile, &ev[i], when);
			s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
			json_decref(o);
		} else
			s = cmd_events_text(&ev[i], when);
		if (s == NULL)
			continue;
		printf("%s\n", s);
		free(s);
		if (fflush(stdout) != 0)
			return -1;
	}
	return 0;
}

/*
 * Why the profile cannot be followed, once the first snapshot says:
 * libvirt unreachable, or the daemon unreachable while nothing explains
 * it (a forwarded socket of a stopped VM does). NULL when all is well;
 * *known is zero while the answers are still coming.
 */
static const char *
cmd_events_unreachable(const struct model *m, int *known)
{
	int forwarded =
	    m->socket.mode != NULL && strcmp(m->socket.mode, "none") != 0;

	*known = 0;
	if (m->vm.conn == MODEL_CONN_NONE ||
	    m->vm.conn == MODEL_CONN_CONNECTING)
		return NULL;
	if (m->vm.conn == MODEL_CONN_DOWN)
		return m->vm.conn_error != NULL ? m->vm.conn_error
		                                : "libvirt is not reachable";
	if (forwarded && model_vm_stopped(m->vm.state)) {
		*known = 1;
		return NULL;
	}
	if (m->docker.conn == MODEL_CONN_UP) {
		*known = 1;
		return NULL;
	}
	if (m->docker.conn == MODEL_CONN_DOWN && m->docker.error != NULL &&
	    !forwarded)
		return m->docker.error;
	return NULL;
}

static int
cmd_events_exec(struct cmd_ctx *ctx, struct cmd_args *a)
{
	struct profile *p;
	struct engine *e;
	struct model *m = NULL;
	struct model_diff df;
	struct model_event *ev;
	struct sigaction sa;
	struct pollfd pfd;
	const char *why = NULL;
	char *profile;
	uint64_t deadline;
	size_t n;
	int json = cmd_args_has(a, "json"), known = 0, rc = BERTH_EXIT_OK;

	if ((p = cmd_profile_open(ctx)) == NULL)
		return BERTH_EXIT_USAGE;
	profile = xstrdup(p->name);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = cmd_events_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	memset(&df, 0, sizeof df);
	e = engine_create(p, 1); /* the engine owns p */
	engine_start(e);
	pfd.fd = engine_wake_fd(e);
	pfd.events = POLLIN;
	deadline = util_mono_ms() + CMD_EVENTS_START_MS;
	while (!cmd_events_stop) {
		if (poll(&pfd, 1, 200) == -1 && errno != EINTR)
			fatal("poll: %s", strerror(errno));
		engine_ack_wake(e);
		if (m != NULL)
			model_unref(m);
		m = engine_snapshot(e);
		if (!known) {
			why = cmd_events_unreachable(m, &known);
			if (why == NULL && !known && util_mono_ms() >= deadline)
				why = m->vm.conn != MODEL_CONN_UP
				          ? "libvirt did not answer in time"
				      : m->docker.error != NULL
				          ? m->docker.error
				          : "Docker did not answer in time";
			if (why != NULL) {
				char *clean =
				    util_sanitize_dup(why, strlen(why));

				fprintf(stderr, "berth: profile %s: %s\n",
				        profile, clean);
				free(clean);
				rc = BERTH_EXIT_FAILED;
				break;
			}
			if (!known)
				continue;
		}
		n = model_diff_next(&df, m, &ev);
		if (cmd_events_print(profile, ev, n, json) != 0)
			cmd_events_stop = 1; /* the reader went away */
		model_diff_free(ev, n);
	}
	if (m != NULL)
		model_unref(m);
	engine_free(e);
	model_diff_clear(&df);
	free(profile);
	return rc;
}

const struct cmd_entry cmd_events_entry = {
    .name = "events",
    .usage = "[-p PROFILE] [--json]",
    .help = "follow VM, socket, mount and container changes, a line each",
    .options =
        (const struct cmd_option[]){
            {'j', "json", NULL,
             "a JSON object a line (berth(1) lists the fields)", CMD_KIND_NONE,
             0},
            {0, NULL, NULL, NULL, CMD_KIND_NONE, 0},
        },
    .exec = cmd_events_exec,
};
