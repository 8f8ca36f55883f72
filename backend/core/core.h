/*
 * core.h: the model the dashboard and the CLI read (model.c), and the
 * engine thread that owns every connection, runs the components and
 * publishes model snapshots (engine.c). Nothing under backend/ includes
 * curses.
 */

#ifndef BERTH_CORE_H
#define BERTH_CORE_H

#include "conf/conf.h"

/*
 * model.c: the immutable snapshot the engine publishes and the TUI renders.
 * A snapshot is refcounted; readers hold a reference while drawing. The
 * engine thread builds it (each component's fill), seals it (model_seal)
 * and publishes it; after that it is only read, from any thread.
 */
#define MODEL_HISTORY 120

struct model_history {
	float v[MODEL_HISTORY];
	int n;    /* samples held, <= MODEL_HISTORY */
	int head; /* index of the next write */
};
void model_history_push(struct model_history *, float);
float model_history_get(const struct model_history *, int);

enum model_conn {
	MODEL_CONN_NONE,
	MODEL_CONN_CONNECTING,
	MODEL_CONN_UP,
	MODEL_CONN_DOWN,
};

enum model_vm_state {
	MODEL_VM_UNKNOWN,
	MODEL_VM_NOT_CREATED,
	MODEL_VM_RUNNING,
	MODEL_VM_BLOCKED,
	MODEL_VM_PAUSED,
	MODEL_VM_SHUTTING_DOWN,
	MODEL_VM_SHUTOFF,
	MODEL_VM_CRASHED,
	MODEL_VM_PMSUSPENDED,
};
const char *model_vm_state_name(enum model_vm_state);
int model_vm_stopped(enum model_vm_state);
/* What a forwarded profile's Docker says while its VM is not up. */
#define MODEL_VM_NOT_RUNNING "the VM is not running"

struct model_vm {
	enum model_conn conn;
	char *uri;
	char *conn_error; /* why down, NULL when up */
	int retry_in_s;   /* next reconnect attempt */
	char *domain;
	int adopted; /* existing domain berth did not define */
	enum model_vm_state state;
	char *reason; /* libvirt state reason, human words */
	char *accel;  /* kvm | hvf | tcg | test */
	int vcpus, vcpus_max, vcpus_pending;        /* pending 0 = none */
	uint64_t mem_current, mem_max, mem_pending; /* bytes */
	uint64_t mem_used, mem_available;           /* from balloon stats */
	uint64_t mem_rss; /* the QEMU process's resident memory on the host */
	/* virtual size, and the bytes the disk file takes on the host */
	uint64_t disk_capacity, disk_allocation;
	/*
	 * Which disk those describe: an image VM's data disk (data.qcow2,
	 * /var/lib/docker; the one vm.disk sizes), else the domain's first
	 * disk; NONE when no size is known.
	 */
	enum { MODEL_DISK_NONE, MODEL_DISK_DATA, MODEL_DISK_FIRST } disk_kind;
	/* The filesystem on that disk as the guest agent sees it; 0 unknown. */
	uint64_t disk_guest_size, disk_guest_free;
	double cpu_pct; /* total, 100 = one host CPU */
	double *vcpu_pct;
	int nvcpu_pct;
	double rd_bps, wr_bps, rx_bps, tx_bps;
	uint64_t uptime_s;
	char *ip;
	char *hostname;
	char *os;
	int agent; /* guest agent answers */
	int host_cpus;
	uint64_t host_memory;
	struct model_history cpu_hist, mem_hist;
	char *operation; /* running operation and its progress, or NULL */
	char *ssh;       /* "127.0.0.1:PORT" forwarded guest sshd, or NULL */
};

/*
 * A mount's note (a warning or a hint) as a value: the watcher says which
 * and what the words need; model_mount_note_text() words it for the pane
 * and the CLI, so rewording a message changes nothing else.
 */
enum model_mount_note_kind {
	MOUNT_NOTE_NONE,
	MOUNT_NOTE_ERROR, /* detail: why the folder is not scanned */
	MOUNT_NOTE_NATIVE_UNAVAILABLE, /* detail: why; polling instead */
	MOUNT_NOTE_NATIVE_STOPPED,     /* detail: why; polling */
	MOUNT_NOTE_TRUNCATED,          /* num: max_files reached */
	MOUNT_NOTE_PIN_UNSUPPORTED, /* the guest's shell cannot hold folders */
	MOUNT_NOTE_PIN_FAILED,      /* detail: why the folders are not held */
	MOUNT_NOTE_QUEUED,  /* detail: why not delivered; num: changes queued */
	MOUNT_NOTE_STANDBY, /* num: owner's pid (0 unknown); detail: its note */
	MOUNT_NOTE_GITIGNORE, /* num: negated .gitignore patterns skipped */
	MOUNT_NOTE_READ_ONLY, /* replay can only open for reading */
};

struct model_mount_note {
	enum model_mount_note_kind kind;
	char *detail; /* owned, NULL when none */
	long long num;
};

struct model_mount {
	char *host, *guest;
	char *type; /* 9p | virtiofs | sshfs */
	int writable;
	int present; /* in the domain XML */
	enum profile_watch watch;
	uint64_t files, dirs;
	uint64_t last_pass_ms;
	uint64_t cold_ms; /* polling: every file stat'ed this often, 0 n/a */
	uint64_t replayed, queued, failed, errors;
	int64_t latency_ms; /* last host change -> guest event, -1 unknown */
	struct model_mount_note note;
	uint64_t passes; /* scan passes since watching began */
	int64_t pinned;  /* 9p folders held open in the guest, -1 n/a */
	const char *via; /* "agent" or "ssh" once a replay went; static */
	/* Folders to hold when mounts[].hold_max leaves some, else 0. */
	uint64_t pin_total;
	/* type: sync (mounts-sync.c); sync_state is NULL for other types. */
	const char *sync_state; /* static: off, copying, watching, ... */
	uint64_t sync_done, sync_total; /* the first sync's entries */
	uint64_t sync_done_bytes, sync_total_bytes;
	uint64_t sync_bytes, sync_sent_bytes;  /* in the folder; sent */
	int64_t sync_lag_ms;                   /* last batch, -1 unknown */
	int sync_both;                         /* two-way */
	uint64_t sync_fetched, sync_conflicts; /* guest changes taken */
};

/* A container's published port as the socket forward carries it. */
struct model_fport {
	int host_port;      /* on the host's 127.0.0.1 (= the guest's) */
	int container_port; /* inside the container */
	char *proto;        /* tcp | udp */
	char *container;    /* its name */
	char *state;        /* forwarded | error | udp not forwarded */
	char *error;        /* why not, NULL when forwarded */
};

struct model_socket {
	char *path;   /* host socket */
	char *source; /* where the endpoint came from */
	char *mode;   /* forward (ssh) | none */
	int healthy;
	double ping_ms;
	char *error;
	char *api_version, *engine_version;
	char *context;
	int context_current;
	int restarts;
	uint64_t last_restart_ms;
	/* Appended by the socket forward (socket-forward.c). */
	char *stage;         /* what the forward is doing now, in words */
	char *guest;         /* user@host:port:/guest.sock, NULL for none */
	int pid;             /* ssh process, 0 = none */
	int owner_pid;       /* process that supervises the forward, 0 = none */
	int persist;         /* the forward outlives berth (docker.persist) */
	uint64_t checked_ms; /* wall clock of the last /_ping */
	struct model_fport *ports; /* published ports (socket-ports.c) */
	int nports;
};

struct model_port {
	char *ip;
	int private_port, public_port;
	char *proto;
};

struct model_container {
	char *id;
	char *name;
	char *image;
	char *command;
	int64_t created;
	char *state; /* running, exited, paused, created, restarting, dead */
	char *status;
	struct model_port *ports;
	size_t nports;
	char *project, *service; /* compose labels */
	int has_stats;
	double cpu_pct;
	uint64_t mem_used, mem_limit;
	double mem_pct;
	double rx_bps, tx_bps, rd_bps, wr_bps;
	uint64_t pids;
	struct model_history cpu_hist, mem_hist;
	/*
	 * Only the list's figures were read (cpu_pct, mem_used): mem_limit,
	 * mem_pct and pids are unknown, not 0. rates_unknown: rx..wr_bps
	 * need two samples with every figure (the first after a brief one).
	 */
	int stats_brief, rates_unknown;
};

/* A container's log lines, bounded; newest last (docker-logs.c). */
struct model_log_line {
	char *text;      /* sanitized */
	char *timestamp; /* RFC 3339 from the daemon, or NULL */
	int stream;      /* 1 stdout, 2 stderr, 0 raw (TTY) */
	int src;         /* index in model_logs.srcs (merged logs) */
};
struct model_logs {
	char *id;   /* container followed, NULL when none */
	char *name; /* its name */
	struct model_log_line *lines;
	size_t nlines;
	int truncated; /* older lines were dropped */
	int following; /* the stream is open */
	int tty;       /* raw stream (no stdout/stderr marks) */
	char *error;   /* why the stream ended, or NULL */
	uint64_t seq;  /* grows with every appended line */
	int merged;    /* several containers' lines, sorted by time */
	char **srcs;   /* their names (merged) */
	size_t nsrcs;
};
void model_logs_copy(struct model_logs *, const struct model_logs *);
void model_logs_clear(struct model_logs *);

/*
 * A container event as the daemon sent it on /events, numbered by the
 * Docker component (docker-sync.c) so a reader of successive snapshots
 * (berth events) sees each once; a snapshot holds the newest
 * MODEL_CT_EVENTS.
 */
#define MODEL_CT_EVENTS 64
struct model_ct_event {
	uint64_t seq;    /* from 1, in the order they came */
	int64_t time_ns; /* the daemon's timeNano, 0 unknown */
	char *action;    /* create, start, die, stop, destroy, ... */
	char *id;
	char *name, *image; /* the event's attributes, NULL when absent */
	char *exit_code;    /* die: the exit code, else NULL */
};
void model_ct_event_copy(struct model_ct_event *,
                         const struct model_ct_event *);
void model_ct_event_clear(struct model_ct_event *);

struct model_docker {
	enum model_conn conn;
	char *error;
	char *endpoint; /* unix:///… */
	char *source;   /* profile, DOCKER_HOST, context NAME, default */
	char *version, *api_version, *os, *kernel;
	int cgroup_version;
	int ncpu;
	uint64_t mem_total;
	int running, paused, stopped;
	struct model_container *containers;
	size_t ncontainers;
	char *stats_source; /* cgroup | api, NULL before the first sample */
	int no_events;      /* no /events: the list is fetched every refresh */
	struct model_logs logs;
	struct model_ct_event *events; /* oldest first, <= MODEL_CT_EVENTS */
	size_t nevents;
};

struct model_message {
	uint64_t when_ms;
	int level; /* 0 info, 1 warning, 2 error */
	char *text;
};

struct model_profile_state {
	char *name;
	enum model_vm_state state; /* MODEL_VM_UNKNOWN: invalid profile */
};

struct model {
	int refs;
	/*
	 * Set by model_seal when the engine publishes the snapshot; from
	 * then on nobody writes it. Debug builds keep a digest in seal and
	 * check it in model_ref and at the last model_unref.
	 */
	int frozen;
	uint64_t seal;
	uint64_t seq; /* increases with every published snapshot */
	char *profile;
	uint64_t refresh_ms;
	struct model_vm vm;
	struct model_mount *mounts;
	size_t nmounts;
	struct model_socket socket;
	struct model_docker docker;
	struct model_message *messages; /* newest last */
	size_t nmessages;
	int busy;    /* an operation is running */
	char *theme; /* the profile's theme: (the dashboard follows it) */
	/* Every profile's VM state, after ENGINE_CMD_LIST_PROFILES. */
	struct model_profile_state *profiles;
	size_t nprofiles;
};

struct model *model_new(void);
struct model *model_ref(struct model *);
void model_unref(struct model *);
void model_seal(struct model *);
void model_vm_copy(struct model_vm *, const struct model_vm *);
void model_vm_clear(struct model_vm *);
void model_mount_copy(struct model_mount *, const struct model_mount *);
void model_mount_clear(struct model_mount *);
char *model_mount_note_text(const struct model_mount_note *);
void model_mount_note_set(struct model_mount_note *, enum model_mount_note_kind,
                          long long, const char *);
void model_socket_copy(struct model_socket *, const struct model_socket *);
void model_socket_clear(struct model_socket *);
void model_fport_clear(struct model_fport *);
void model_container_copy(struct model_container *,
                          const struct model_container *);
void model_container_clear(struct model_container *);
void model_docker_copy(struct model_docker *, const struct model_docker *);
void model_docker_clear(struct model_docker *);

/*
 * model-diff.c: successive snapshots as events for scripts (berth events).
 * A model_diff remembers what was said; model_diff_next says what a new
 * snapshot changed.
 */
enum model_event_type {
	MODEL_EVENT_VM,
	MODEL_EVENT_SOCKET,
	MODEL_EVENT_MOUNT,
	MODEL_EVENT_CONTAINER,
};

struct model_event {
	enum model_event_type type;
	char *name;  /* domain, socket path, mount's host folder, container */
	char *state; /* vm, socket, mount: the new state */
	char *previous; /* the state before, NULL for the first said */
	char *detail;   /* why (a reason, an error, a mount's note), or NULL */
	char *guest;    /* mount: the guest folder */
	char *action, *id, *image, *exit_code; /* container: the daemon's */
	int64_t time_ns; /* container: the daemon's time, else 0 (now) */
};

struct model_diff {
	char *vm, *socket; /* the states last said, NULL for none */
	char **mount_hosts, **mount_states;
	size_t nmounts;
	uint64_t ct_seq; /* the last container event said */
};

const char *model_event_type_name(enum model_event_type);
size_t model_diff_next(struct model_diff *, const struct model *,
                       struct model_event **);
void model_diff_free(struct model_event *, size_t);
void model_diff_clear(struct model_diff *);

/*
 * engine.c: the backend thread. It owns every connection, runs components
 * and publishes snapshots; the UI sends commands and reads snapshots.
 */
struct engine;

enum engine_cmd_type {
	ENGINE_CMD_REFRESH,      /* refresh everything now */
	ENGINE_CMD_SET_INTERVAL, /* num = ms */
	ENGINE_CMD_VM_START,
	ENGINE_CMD_VM_SHUTDOWN,
	ENGINE_CMD_VM_DESTROY,
	ENGINE_CMD_VM_REBOOT,
	ENGINE_CMD_VM_SUSPEND,
	ENGINE_CMD_VM_RESUME,
	ENGINE_CMD_VM_SET, /* arg = key (cpus|memory|disk), arg2 = value */
	ENGINE_CMD_VM_CREATE,
	ENGINE_CMD_CT_START, /* arg = container id */
	ENGINE_CMD_CT_STOP,
	ENGINE_CMD_CT_RESTART,
	ENGINE_CMD_CT_KILL,
	ENGINE_CMD_CT_PAUSE,
	ENGINE_CMD_CT_UNPAUSE,
	ENGINE_CMD_CT_REMOVE, /* num bit 0 = force, bit 1 = volumes */
	ENGINE_CMD_CT_LOGS,   /* arg = id, num = tail; starts following */
	ENGINE_CMD_CT_LOGS_STOP,
	/* arg = ids, space separated, arg2 = since; one view of them all */
	ENGINE_CMD_CT_LOGS_MERGED,
	/*
	 * arg = space separated ids to keep stats on; num bit 0 = brief:
	 * only the list's figures (CPU, memory used) except for "+ID"s
	 */
	ENGINE_CMD_CT_VISIBLE,
	ENGINE_CMD_MOUNT_WATCH, /* num = mount index, arg = off|poll|native */
	ENGINE_CMD_SOCKET_RESTART,
	ENGINE_CMD_CONTEXT_TOGGLE,
	ENGINE_CMD_PROFILE_SWITCH, /* arg = profile name */
	ENGINE_CMD_LIST_PROFILES,  /* fill model.profiles with VM states */
};

struct engine_cmd {
	enum engine_cmd_type type;
	char *arg;
	char *arg2;
	long long num;
};

/*
 * A component plugs a concern (VM, Docker, mounts, socket) into the engine.
 * All callbacks run on the engine thread. `fill` copies the component's
 * state into a new snapshot.
 */
struct engine_component {
	const char *name;
	void *(*create)(struct engine *, const struct profile *);
	void (*destroy)(void *);
	/* Add pollfds (up to max) and lower *timeout_ms if needed. */
	int (*prepare)(void *, struct pollfd *, int, int *);
	void (*dispatch)(void *, const struct pollfd *, int);
	void (*tick)(void *); /* once per refresh interval */
	int (*command)(void *, const struct engine_cmd *); /* 1 = handled */
	void (*fill)(void *, struct model *);
	/* Nonzero while work started by the first tick is in flight. */
	int (*pending)(void *);
};

struct engine *engine_create(struct profile *, int);
int engine_switch_profile(struct engine *, const char *, char **);
void engine_start(struct engine *);
void engine_stop(struct engine *);
void engine_free(struct engine *);
int engine_wake_fd(const struct engine *);
void engine_ack_wake(struct engine *);
struct model *engine_snapshot(struct engine *);
void engine_send(struct engine *, enum engine_cmd_type, const char *,
                 const char *, long long);
void engine_run_once(struct engine *, uint64_t);
void engine_run_pending(struct engine *, uint64_t);
void engine_changed(struct engine *);
void engine_message(struct engine *, int, const char *, ...)
    BERTH_PRINTFLIKE(3, 4);
const struct profile *engine_profile(const struct engine *);
uint64_t engine_interval(const struct engine *);
int engine_threaded(const struct engine *);
void engine_cmd_free(struct engine_cmd *);

/* The registered components, in order (engine.c). */
extern const struct engine_component *const engine_components[];

#endif /* BERTH_CORE_H */
