/*
 * docker.h: berth's Docker Engine API client. Endpoint resolution
 * (docker-endpoint.c), the libcurl transport driven from the engine's poll loop
 * (docker-http.c), JSON parsers (docker-json.c), the log frame demuxer and
 * bounded log buffer (docker-logs.c), stats maths and the cgroup reader
 * (docker-stats.c), the client that ties them together (docker.c, with
 * docker-sync.c keeping its view current and docker-actions.c), and the
 * engine component (docker-component.c). Nothing here includes curses.
 */

#ifndef BERTH_DOCKER_H
#define BERTH_DOCKER_H

#include "core/core.h"

/* docker-endpoint.c: where the daemon is, resolved like the docker CLI does. */
struct endpoint {
	char *host;    /* unix:///var/run/docker.sock, tcp://h:p */
	char *socket;  /* unix socket path, NULL for tcp */
	char *base;    /* URL base: http://localhost or http://h:p */
	char *source;  /* profile, DOCKER_HOST, context NAME, default */
	int forwarded; /* the socket berth forwards (docker.forward: ssh) */
	int from_vm;   /* ... from the profile's VM (not docker.ssh_host) */
};
int endpoint_resolve(const struct profile *, struct endpoint *, char **);
int endpoint_parse_host(const char *, struct endpoint *, char **);
void endpoint_clear(struct endpoint *);

/*
 * docker-http.c: HTTP over libcurl. Every call is a transfer on one multi
 * handle whose sockets and timer the owner polls (prepare/dispatch), so
 * calls run concurrently and never block the engine. Finished transfers
 * report through their done callback; the request is freed after it
 * returns. Streams hand each chunk to a data callback instead of keeping
 * a body.
 */
#define DOCKER_HTTP_STREAM      0x1 /* no total timeout; body to data_cb */
#define DOCKER_HTTP_UNVERSIONED 0x2 /* no /vX.Y prefix (for /_ping) */
#define DOCKER_HTTP_304_OK      0x4 /* 304 Not Modified is a success */

#define DOCKER_HTTP_MAX_BODY (16 * 1024 * 1024)

struct docker_http;
struct docker_req {
	long status;       /* HTTP status, 0 if none arrived */
	char *body;        /* NUL-terminated body (not for streams) */
	size_t len;        /* body length */
	char *error;       /* transport or daemon error, NULL on 2xx */
	char *api_version; /* API-Version response header, or NULL */
	int timed_out;     /* no (complete) answer within the timeout */
	void *arg;         /* the caller's, given to docker_http_start */
	/* The transport's own fields follow in docker-http.c. */
};
typedef int (*docker_http_data_cb)(struct docker_req *, const char *, size_t);
typedef void (*docker_http_done_cb)(struct docker_req *);

struct docker_http *docker_http_new(const struct endpoint *);
void docker_http_free(struct docker_http *);
void docker_http_set_version(struct docker_http *, const char *);
const char *docker_http_version(const struct docker_http *);
void docker_http_set_timeout(struct docker_http *, long);
long docker_http_timeout(const struct docker_http *);
struct docker_req *docker_http_start(struct docker_http *, const char *,
                                     const char *, int, docker_http_data_cb,
                                     docker_http_done_cb, void *);
void docker_http_cancel(struct docker_http *, struct docker_req *);
void docker_http_set_cleanup(struct docker_req *, void (*)(void *));
int docker_http_req_fd(struct docker_req *);
int docker_http_prepare(struct docker_http *, struct pollfd *, int, int *);
void docker_http_dispatch(struct docker_http *, const struct pollfd *, int);
int docker_http_busy(const struct docker_http *);
void docker_http_run(struct docker_http *, int);
char *docker_http_escape(const char *);
char *docker_http_status_error(long, int, const char *, size_t);
char *docker_api_negotiate(const char *);

/* docker-json.c: the daemon's JSON into model structs (text sanitized). */
int docker_json_version(const char *, size_t, struct model_docker *, char **);
int docker_json_info(const char *, size_t, struct model_docker *, char **);
int docker_json_containers(const char *, size_t, struct model_container **,
                           size_t *, char **);
int docker_json_inspect(const char *, size_t, char **, int *, int *, char **);
char *docker_json_error(const char *, size_t, long);
int docker_id_valid(const char *);
int docker_name_valid(const char *);

/* What an action needs to know of a container (docker_json_state). */
struct docker_state {
	char id[65];
	int running, paused;
	char started[40]; /* State.StartedAt */
	int stop_timeout; /* Config.StopTimeout in seconds, -1 = none */
};
int docker_json_state(const char *, size_t, struct docker_state *, char **);

struct docker_event {
	char type[32];
	char action[64];
	char id[72];
	int64_t time_ns;
	/* Actor.Attributes: empty when absent */
	char name[256], image[256], exit_code[16];
};
int docker_json_event(const char *, size_t, struct docker_event *, char **);

/* docker-stats.c: the figures docker stats shows, from two samples. */
struct docker_sample {
	int valid;
	uint64_t when_ms;      /* monotonic time of the sample */
	uint64_t cpu_total_ns; /* container CPU time */
	uint64_t system_ns;    /* host CPU time (/proc/stat), 0 if unknown */
	int online_cpus;
	uint64_t mem_usage;    /* raw usage */
	uint64_t mem_inactive; /* inactive_file (v2) / total_inactive_file */
	uint64_t mem_limit;
	uint64_t rx, tx, rd, wr; /* cumulative bytes */
	uint64_t pids;
	int brief; /* CPU and memory used only: limit, rx..wr, pids unknown */
};
int docker_json_stats(const char *, size_t, struct docker_sample *, char **);
double docker_stats_cpu_pct(const struct docker_sample *,
                            const struct docker_sample *);
uint64_t docker_stats_mem_used(const struct docker_sample *);
void docker_stats_apply(struct model_container *, const struct docker_sample *,
                        const struct docker_sample *);

/*
 * The cgroup reader: the same figures from the host's cgroup files, or
 * through a docker_cgfs from files read elsewhere (the guest's).
 */
struct docker_cgfs {
	/* path's first size-1 bytes into buf, NUL-terminated; -1 if none */
	int (*read)(const struct docker_cgfs *, const char *, char *, size_t);
	/* 1 if path is a file or a directory */
	int (*exists)(const struct docker_cgfs *, const char *);
};
struct docker_cgroup {
	int version; /* 1 or 2, 0 = not usable */
	char *root;  /* /sys/fs/cgroup */
	uint64_t machine_memory;
	int online_cpus;
	uint64_t system_ns; /* host CPU for a batch of samples, 0 = read */
	const struct docker_cgfs *fs; /* NULL: this host's files */
};
int docker_cgroup_init(struct docker_cgroup *, const char *);
int docker_cgroup_init_fs(struct docker_cgroup *, const char *,
                          const struct docker_cgfs *);
void docker_cgroup_batch(struct docker_cgroup *);
void docker_cgroup_clear(struct docker_cgroup *);
int docker_cgroup_sample(const struct docker_cgroup *, const char *,
                         struct docker_sample *);
int docker_cgroup_sample_part(const struct docker_cgroup *, const char *, int,
                              struct docker_sample *);
uint64_t docker_cgroup_system_ns(const char *);

/*
 * docker-guest.c: the cgroup reader for a daemon in the guest. A reader
 * in the guest (awk, started once over the forward's ssh connection)
 * answers each request with the raw cgroup and /proc files of the
 * containers asked for, in one round trip; the parser above reads them
 * from that dump. Its output is untrusted: bounded and checked.
 */
#define DOCKER_GUEST_MAX_ANSWER (4 * 1024 * 1024) /* bytes of one answer */
#define DOCKER_GUEST_MAX_FILE   (64 * 1024)       /* bytes kept of a file */
#define DOCKER_GUEST_MAX_FILES  65536
#define DOCKER_GUEST_TIMEOUT_MS 10000 /* an answer later than this: gone */
#define DOCKER_GUEST_RETRY_MS   30000 /* then the reader is tried again */
struct docker_guest_file {
	char *path;
	char *data;
	size_t len;
};
struct docker_guest_dump {
	struct docker_cgfs fs; /* first: the parser's view of the files */
	struct docker_guest_file *files;
	size_t nfiles;
};
struct docker_guest;
void docker_guest_dump_init(struct docker_guest_dump *);
int docker_guest_parse(struct docker_guest_dump *, const char *, size_t,
                       char **);
void docker_guest_dump_clear(struct docker_guest_dump *);
const char *docker_guest_script(void);
char *docker_guest_command(void);
struct docker_guest *docker_guest_new(const struct profile *);
void docker_guest_free(struct docker_guest *);
int docker_guest_usable(struct docker_guest *);
int docker_guest_busy(const struct docker_guest *);
void docker_guest_pause(struct docker_guest *);
char *docker_guest_line(unsigned, char *const *, size_t);
int docker_guest_request(struct docker_guest *, char *const *, size_t, char **);
int docker_guest_prepare(struct docker_guest *, struct pollfd *, int, int *);
int docker_guest_dispatch(struct docker_guest *, const struct pollfd *, int,
                          char **);
int docker_guest_sample(struct docker_guest *, const char *, int,
                        struct docker_sample *);

/*
 * docker-logs.c: the 8-byte frame demuxer and a bounded line buffer.
 * Lines come out whole (split at '\n', or at DOCKER_LOG_MAX_LINE bytes),
 * marked with their stream: 1 stdout, 2 stderr, 0 raw (TTY).
 */
#define DOCKER_LOG_MAX_LINE 8192

typedef void (*docker_line_cb)(void *, int, const char *, size_t);
struct docker_demux {
	int raw;
	unsigned char hdr[8];
	size_t hdrlen;
	uint32_t remaining; /* payload bytes left in the current frame */
	int stream;
	char *part[3]; /* partial line per stream */
	size_t partlen[3];
	int error;
};
void docker_demux_init(struct docker_demux *, int);
int docker_demux_feed(struct docker_demux *, const char *, size_t,
                      docker_line_cb, void *);
void docker_demux_flush(struct docker_demux *, docker_line_cb, void *);
void docker_demux_clear(struct docker_demux *);

struct docker_logbuf {
	struct model_log_line *lines; /* ring */
	size_t cap, n, head;          /* head = oldest */
	size_t bytes, max_bytes;
	int truncated;
	int timestamps; /* lines start with an RFC 3339 time */
	int merged;     /* several streams: fill sorts the lines by time */
};
void docker_logbuf_init(struct docker_logbuf *, size_t, size_t, int);
void docker_logbuf_push(struct docker_logbuf *, int, const char *, size_t);
void docker_logbuf_push_src(struct docker_logbuf *, int, int, const char *,
                            size_t);
void docker_logbuf_clear(struct docker_logbuf *);
void docker_logbuf_fill(const struct docker_logbuf *, struct model_logs *);
size_t docker_log_split_time(const char *, size_t);
char *docker_log_take_time(const char **, size_t *);
int docker_log_time_cmp(const char *, const char *);

/* docker.c: the client the engine component and the CLI share. */
struct docker;
struct docker *docker_open(struct engine *, const struct profile *);
void docker_close(struct docker *);
int docker_wait(struct docker *, uint64_t);
void docker_refresh(struct docker *);
void docker_refresh_full(struct docker *);
void docker_fill_docker(struct docker *, struct model_docker *);
int docker_errors(const struct docker *);
const struct endpoint *docker_endpoint(const struct docker *);
void docker_set_stats_source(struct docker *, int);
void docker_set_visible(struct docker *, const char *);
void docker_set_brief(struct docker *, int);
void docker_set_live(struct docker *, int);
#define DOCKER_WANT_FACTS 0x1 /* /version and /info */
#define DOCKER_WANT_LIST  0x2 /* the container list */
void docker_set_want(struct docker *, int);
int docker_unknown(const struct docker *);
const char *docker_stats_error(const struct docker *);
int docker_take_dirty(struct docker *);
void docker_poll(struct docker *, int);
void docker_ping(struct docker *);
int docker_busy(struct docker *);

/* docker-actions.c: container actions. */
int docker_action(struct docker *, enum engine_cmd_type, const char *,
                  long long);

/*
 * docker-follow.c: a container's log stream, or the streams of several
 * (a compose project's, merged by time). since/until are API values
 * (docker_log_time_arg), NULL for none.
 */
struct docker_logs_opts {
	long long tail; /* -1 all */
	int follow, timestamps;
	const char *since, *until;
};
int docker_logs_start(struct docker *, const char *, long long, int, int);
int docker_logs_start_opts(struct docker *, const char *const *, size_t,
                           const char *, const struct docker_logs_opts *);
void docker_logs_stop(struct docker *);
/* Lines go to fn instead of the buffer, with their source's name. */
typedef void (*docker_log_hook)(void *, const char *, int, const char *,
                                size_t);
void docker_set_line_hook(struct docker *, docker_log_hook, void *);

/* docker-component.c: the client in the engine. */
extern const struct engine_component docker_component;

/*
 * Inside backend/docker/ only: a struct docker's fields and the calls the
 * docker*.c files share. Nothing outside this folder touches them.
 */
#define DOCKER_BACKOFF_MIN_MS 500
#define DOCKER_BACKOFF_MAX_MS 30000
/* A forwarded socket appears when the VM is up: look for it often. */
#define DOCKER_BACKOFF_FWD_MS  1000
#define DOCKER_LOG_LINES       5000
#define DOCKER_LOG_BYTES       (2 * 1024 * 1024)
#define DOCKER_EVENT_MAX       (64 * 1024)
#define DOCKER_RECHECK_MS      300
#define DOCKER_RECHECK_TRIES   5 /* 300 ms, then doubling: 9.3 s in all */
#define DOCKER_LOG_PUBLISH_MS  250
#define DOCKER_LOG_BATCH_MS    25
#define DOCKER_EVENTS_SHORT_MS 2000  /* a stream that ends sooner is none */
#define DOCKER_EVENTS_RETRY_MS 30000 /* then try it again this often */
#define DOCKER_EVENTS_GOOD_MS  5000  /* a stream this old works again */
#define DOCKER_STOP_GRACE_S    10    /* the daemon's default stop grace */

enum docker_stats_mode {
	DOCKER_STATS_AUTO,
	DOCKER_STATS_API,
	DOCKER_STATS_CGROUP,
	DOCKER_STATS_GUEST,
};

struct docker_ct {
	struct model_container c;
	struct docker_sample prev;
	int mark;
};

/*
 * What an event says the list will show: "paused", or "!running" for
 * anything but running. NULL: nothing known.
 */
struct docker_recheck {
	char id[65];
	const char *want;
	int tries;
	uint64_t at;
};

struct docker_refetch {
	struct docker *d;
	struct docker_req *req;
	char id[65];
	int again;        /* another event came while in flight */
	const char *want; /* a recheck's expectation; see docker_recheck */
	int tries;
};

/* One container's stream of the logs being read. */
struct docker_log_src {
	struct docker *d;
	size_t idx;
	char *id, *name;
	int tty;
	struct docker_req *inspect, *stream;
	struct docker_demux demux;
};

struct docker_logs {
	char *id, *name; /* merged: the key asked with and its title */
	int tty, timestamps, follow, merged;
	long long tail;
	char *since, *until;
	struct docker_log_src *srcs;
	size_t nsrcs;
	struct docker_logbuf buf;
	char *error;
	uint64_t seq;
	int active;
	uint64_t published; /* when new lines last reached a snapshot */
	int unpublished;    /* lines wait for the next publish */
	uint64_t last_data; /* when the stream last gave bytes */
};

struct docker {
	struct engine *engine; /* NULL for the CLI */
	struct endpoint ep;
	char *ep_error;
	struct docker_http *http;

	enum model_conn conn;
	char *error;
	struct model_docker facts; /* versions, OS, counts; no containers */
	struct docker_ct *cts;
	size_t ncts;
	int loaded;

	struct docker_req *ping, *version_req, *info_req, *list_req;
	struct docker_req *events;
	char *evbuf;
	size_t evlen;
	int resync;
	uint64_t retry_at, backoff_ms;

	struct docker_refetch **refetch; /* containers being re-listed */
	size_t nrefetch;
	char gone[16][65]; /* recently destroyed: late answers ignored */
	size_t ngone;
	/* named by events: listed again shortly, until the list agrees */
	struct docker_recheck recheck[32];
	size_t nrecheck;
	uint64_t recheck_at; /* the earliest due, 0 for none */

	char **visible; /* "+ID": every figure of it, even when brief */
	size_t nvisible;
	int visible_set;
	int brief; /* the others: the list's figures only (the dashboard) */
	int nstats;
	enum docker_stats_mode stats_mode;
	struct docker_cgroup cg;
	int cg_state;  /* 0 unknown, 1 usable, -1 not */
	int cg_misses; /* refreshes in a row where no cgroup was found */
	const char *stats_source;
	struct docker_guest *guest; /* the guest's reader; NULL: not used */
	char **guest_ids;           /* the containers it was asked for */
	size_t nguest_ids;
	int guest_misses; /* answers in a row that had none of them */
	int http_pfds;    /* of docker_prepare's pollfds, curl's */

	struct docker_logs logs;
	docker_log_hook line_hook;
	void *line_arg;

	/* the newest container events, for the model (berth events) */
	struct model_ct_event kept[MODEL_CT_EVENTS];
	size_t nkept;
	uint64_t kept_seq;

	int nactions;
	int nerrors;
	int nunknown; /* containers the daemon does not know (404) */
	int want;     /* DOCKER_WANT_*: what a sync fetches */
	/*
	 * The daemon (or a socket proxy before it) gives no usable /events:
	 * the list is fetched at every refresh instead; the stream is tried
	 * again now and then.
	 */
	int no_events;
	uint64_t events_started; /* when the current stream was started */
	uint64_t events_retry_at;
	char *stats_error; /* why the last stats call failed, NULL if none */
	int live;          /* events stream, liveness pings and stats */
	int dirty;         /* changed since docker_take_dirty() */
	int wait_stats;    /* docker_wait() also waits for stats calls */
};

/* docker.c */
int docker_pending(void *);
int docker_prepare(void *, struct pollfd *, int, int *);
void docker_dispatch(void *, const struct pollfd *, int);

/* docker-sync.c */
void docker_msg(struct docker *, int, const char *, ...) BERTH_PRINTFLIKE(3, 4);
void docker_changed(struct docker *);
struct docker_ct *docker_find(struct docker *, const char *);
const char *docker_name_of(struct docker *, const char *);
void docker_connect(struct docker *);
void docker_cancel(struct docker *, struct docker_req **);
void docker_on_list(struct docker_req *);
void docker_sync(struct docker *);
void docker_events_start(struct docker *);
void docker_recheck_run(struct docker *);
void docker_refetch_drop(struct docker *, struct docker_refetch *);

/* docker-exec.c */
char **docker_exec_argv(const char *, const char *, char *const *, int, int,
                        int *);
char *docker_exec_line(const char *, char *const *, int);

/* docker-follow.c */
void docker_logs_changed(struct docker *);
int docker_logs_busy(const struct docker *);
int docker_logs_streaming(const struct docker *);
void docker_logs_abort(struct docker *, const char *);
void docker_logs_batch(struct docker *, struct pollfd *, int, int *);

#endif /* BERTH_DOCKER_H */
