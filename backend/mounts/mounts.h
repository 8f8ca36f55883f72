/*
 * mounts.h: shared folders and polling mode. mounts-scan.c keeps a snapshot
 * of a host folder and turns each pass into changes; mounts-watch-inotify.c
 * hears them natively instead; mounts-replay.c makes the guest's kernel see
 * them (through the guest agent or, in mounts-replay-ssh.c, over SSH);
 * mounts-pin.c holds the guest's folders so watchers keep their inodes;
 * mounts-watcher.c is the thread a mount that drives all that;
 * mounts-guest.c is the watchers' shared way to the guest (libvirt, SSH);
 * mounts.c is the engine component holding a watcher a mount.
 */

#ifndef BERTH_MOUNTS_H
#define BERTH_MOUNTS_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

/* mounts-scan.c: the polling scanner. A scan keeps a snapshot of one host
 * folder (path -> inode, size, mtime, mode, type) and turns each pass into
 * a list of changes: created, modified, deleted, type-changed. */
enum scan_type {
	SCAN_FILE,
	SCAN_DIR,
	SCAN_LINK,
	SCAN_OTHER,
};

enum scan_kind {
	SCAN_CREATED,
	SCAN_MODIFIED,
	SCAN_DELETED,
	SCAN_TYPE_CHANGED,
};

/* One change; path is relative to the scan's root ("" is the root). */
struct scan_change {
	enum scan_kind kind;
	enum scan_type type;     /* the type now (before, for deletions) */
	enum scan_type old_type; /* for SCAN_TYPE_CHANGED */
	char *path;              /* owned by the list */
	int64_t mtime_ns;        /* mtime seen, 0 for deletions */
	uint32_t mode;           /* st_mode seen, 0 for deletions */
};

struct scan_changes {
	struct scan_change *v;
	size_t n, cap;
};

struct scan_options {
	const char *const *ignore; /* globs, see scan_ignored() */
	size_t nignore;
	uint64_t max_files;   /* 0 = no limit */
	uint64_t interval_ms; /* recently changed directories: every interval */
	uint64_t cold_ms;     /* settled directories: at least this often */
	uint64_t hot_ms;      /* a directory settles this long after a change */
	uint64_t racy_ms;     /* stat closer than this to an mtime is "racy" */
	unsigned budget_pct;  /* CPU share of a core kept to, 0: none */
	int full;             /* every pass visits everything (no tiers) */
};

/* Figures of the last pass and totals. */
struct scan_stats {
	uint64_t files, dirs, links, others;
	uint64_t errors; /* unreadable directories + other errors of the pass */
	uint64_t vanished;     /* entries gone between listing and stat */
	uint64_t absorbed;     /* changes a replay caused, not reported */
	uint64_t stats;        /* stat calls in the last pass */
	uint64_t listed;       /* directories re-read in the last pass */
	uint64_t visited;      /* directories visited in the last pass */
	uint64_t pass_us;      /* duration of the last pass */
	uint64_t full_pass_us; /* duration of the last pass that saw all */
	uint64_t cold_ms;      /* the cold period in force (the budget's) */
	uint64_t cpu_pct;      /* CPU share of a core over the last window */
	uint64_t passes;
	int truncated; /* max_files reached: some entries are not watched */
};

struct scan;

#define SCAN_DEFAULT_IGNORE_N 2
extern const char *const scan_default_ignore[SCAN_DEFAULT_IGNORE_N];

/*
 * Settled directories every 150 % of the interval, stretched past that
 * only to keep a pass within SCAN_BUDGET_PERCENT of a core (at most
 * SCAN_COLD_MAX times the interval); wake-ups every 1/8.
 */
#define SCAN_COLD_PERCENT   150
#define SCAN_BUDGET_PERCENT 30
#define SCAN_COLD_MAX       20
#define SCAN_STEPS          8

void scan_options_default(struct scan_options *);
void scan_options_interval(struct scan_options *, uint64_t);
uint64_t scan_step_ms(const struct scan_options *);
struct scan *scan_new(const char *, const struct scan_options *, char **);
void scan_free(struct scan *);
int scan_pass(struct scan *, uint64_t, struct scan_changes *, char **);
uint64_t scan_next_due(const struct scan *);
const struct scan_stats *scan_get_stats(const struct scan *);
const char *scan_root(const struct scan *);
int scan_guard(struct scan *, const char *, uint64_t);
int scan_mark_dir(struct scan *, const char *);
char *scan_gitignore_glob(const char *, uint64_t *);
size_t scan_gitignore_load(const char *, char ***, size_t *, uint64_t *);
void scan_each_dir(const struct scan *, void (*)(const char *, void *), void *);
/* One entry of the snapshot, as scan_each_entry() shows it. */
struct scan_entry {
	const char *path; /* relative to the root, never "" */
	enum scan_type type;
	uint32_t mode;
	int64_t size, mtime_ns;
};
void scan_each_entry(const struct scan *,
                     void (*)(const struct scan_entry *, void *), void *);
int scan_ignored(const struct scan_options *, const char *, int);
void scan_changes_add(struct scan_changes *, enum scan_kind, enum scan_type,
                      enum scan_type, const char *);
void scan_changes_clear(struct scan_changes *);
const char *scan_kind_name(enum scan_kind);
const char *scan_type_name(enum scan_type);

/* mounts-replay.c: making the guest see host changes. */
/* Operations on one guest path (a mask). */
#define REPLAY_OP_ATTRIB 0x1  /* utimensat with its own times: IN_ATTRIB */
#define REPLAY_OP_WRITE  0x2  /* open for append, close: IN_CLOSE_WRITE */
#define REPLAY_OP_READ   0x4  /* open for read, close: IN_CLOSE_NOWRITE */
#define REPLAY_OP_MKDIR  0x8  /* new folder, renamed and back: IN_MOVED_TO */
#define REPLAY_OP_RMDIR  0x10 /* gone folder, made and removed: IN_DELETE */
/* At most this many folder dances (mkdir, rmdir) a pass: two forks each. */
#define REPLAY_DANCE_MAX 32

struct replay_item {
	char *path; /* guest path, owned */
	char *rel;  /* host path relative to the mount, owned (guard) */
	unsigned ops;
	int is_dir;
	int sticky; /* keep S_ISVTX: chmod +t instead of -t */
};

/* A coalesced set of guest paths: adding the same path again ORs ops. */
struct replay_batch {
	struct replay_item *v;
	size_t n, cap;
	size_t *table; /* open addressing: index + 1, 0 = empty */
	size_t tcap;
	uint64_t changes;  /* host changes folded in */
	int64_t newest_ns; /* newest mtime among them (latency) */
};

struct replay_result {
	uint64_t ok, failed, gone;
	char boot[64]; /* the guest's boot id, "" if not told */
};

extern const char replay_guest_script[];

char *replay_map_path(const char *, const char *);
unsigned replay_ops(enum profile_replay, int);
void replay_batch_add(struct replay_batch *, const char *, const char *,
                      unsigned, int);
void replay_batch_add_mode(struct replay_batch *, const char *, const char *,
                           unsigned, int, int);
void replay_batch_add_changes(struct replay_batch *, const char *,
                              const struct scan_changes *, enum profile_replay,
                              int);
void replay_batch_clear(struct replay_batch *);
char *replay_batch_encode(const struct replay_batch *, size_t, size_t, size_t *,
                          size_t *);
int replay_parse_output(const char *, struct replay_result *);
char *replay_agent_request(const char *, size_t);
char *replay_agent_request_for(const char *, const char *, const char *,
                               size_t);
char *replay_agent_status_request(long long);
void *replay_base64_decode(const char *, size_t *);

/* Where and how to reach the guest over SSH (mounts-replay-ssh.c). */
struct replay_ssh {
	char *host;
	int port;
	char *user;
	char *key;         /* private key file */
	char *known_hosts; /* UserKnownHostsFile */
	char *alias;       /* HostKeyAlias */
};

/* An ssh command line to the guest and what it holds to free. */
struct replay_ssh_argv {
	char *v[48];
	char *port, *own[2];
};

char *replay_shell_quote(const char *);
char *replay_ssh_command(const char *, const char *);
int replay_ssh_argv_make(struct replay_ssh_argv *, const struct replay_ssh *,
                         const char *const *, char *, char **);
void replay_ssh_argv_clear(struct replay_ssh_argv *);
int replay_ssh_exec(const struct replay_ssh *, const char *, const char *,
                    const char *, size_t, uint64_t, char **, int *, char **);

struct _virDomain;
int replay_agent_exec(struct _virDomain *, const char *, const char *,
                      const char *, size_t, uint64_t, char **, int *, char **);

/* mounts-guest.c: the watchers' way to the guest, shared by them. */
struct mounts_guest;
struct mounts_guest *mounts_guest_new(const struct profile *);
void mounts_guest_free(struct mounts_guest *);
const char *mounts_guest_state_dir(const struct mounts_guest *);
int mounts_guest_present(struct mounts_guest *, size_t);
int mounts_guest_running(struct mounts_guest *);
int mounts_guest_exec(struct mounts_guest *, enum profile_transport, uint64_t *,
                      const char **, const char *, const char *, const char *,
                      size_t, uint64_t, char **, int *, char **);
int mounts_guest_ssh(struct mounts_guest *, struct replay_ssh *, char **);

/* mounts-watcher.c: one mount's watcher thread and its figures. */
struct mounts_watcher;
struct mounts_watcher *mounts_watcher_new(const struct profile_mount *,
                                          struct mounts_guest *,
                                          void (*)(void *), void *);
void mounts_watcher_stop(struct mounts_watcher *);
void mounts_watcher_free(struct mounts_watcher *);
void mounts_watcher_set_watch(struct mounts_watcher *, enum profile_watch);
void mounts_watcher_fill(struct mounts_watcher *, struct model_mount *);
const char *mounts_watch_name(enum profile_watch);
int mounts_watch_parse(const char *, enum profile_watch *);

/*
 * mounts.c: the mounts engine component. One watcher per mount with
 * watch: poll|native scans (or listens to inotify), replays and reports
 * its figures; ENGINE_CMD_MOUNT_WATCH flips a mount live.
 */
extern const struct engine_component mounts_component;
struct mounts;
struct mounts *mounts_new(const struct profile *, void (*)(void *), void *);
void mounts_free(struct mounts *);
int mounts_set_watch(struct mounts *, size_t, enum profile_watch);
void mounts_fill(struct mounts *, struct model *);
extern const char *const mounts_env_hint[];

/*
 * mounts-watch-inotify.c (Linux), mounts-watch-fsevents-darwin.c (macOS):
 * native mode, the directories that saw something (platform_host->watch
 * names it; winotify_new fails with a cause where there is none).
 */
struct winotify;
struct winotify *winotify_new(const char *, const struct scan_options *,
                              char **);
void winotify_free(struct winotify *);
int winotify_fd(const struct winotify *);
int winotify_read(struct winotify *, char ***, size_t *, char **);

/* mounts-pin.c: holding the guest's folders. */
#define PIN_GROUP_MAX 256 /* directories one guest holder keeps open */
#define PIN_GROUPS_MAX                                                         \
	64 /* holders beyond what a fresh pin needs: pin afresh */

/* Lines for the guest's pin script, in the order they must run. */
struct pin_plan {
	char **line;
	size_t n, cap;
	size_t pins; /* P lines among them */
};

struct pin_result {
	uint64_t pinned, failed;
	int unsupported;   /* the guest shell cannot hold descriptors >= 10 */
	char boot[64];     /* the guest's boot id */
	long long holders; /* answer to a C line, -1 if none */
};

/* A folder a full pin may hold (pin_choose). */
struct pin_cand {
	const char *rel;
	int held;     /* held now; after pin_choose: chosen */
	size_t order; /* in the snapshot */
};

struct pinset;

extern const char pin_guest_script[];
extern const char pin_guest_launcher[];

struct pinset *pinset_new(const char *);
void pinset_free(struct pinset *);
void pinset_set_limit(struct pinset *, size_t);
size_t pinset_total(const struct pinset *);
size_t pin_demand_max(size_t);
size_t pin_choose(struct pin_cand *, size_t, size_t);
const char *pinset_key(const struct pinset *);
size_t pinset_count(const struct pinset *);
size_t pinset_groups(const struct pinset *);
int pinset_needs_full(const struct pinset *);
void pinset_invalidate(struct pinset *);
void pinset_plan_full(struct pinset *, const struct scan *, struct pin_plan *);
void pinset_plan_changes(struct pinset *, const struct scan_changes *,
                         struct pin_plan *);
int pinset_check_boot(struct pinset *, const char *);
void pinset_set_boot(struct pinset *, const char *);
void pinset_plan_check(const struct pinset *, struct pin_plan *);
int pinset_check_holders(struct pinset *, long long);
void pin_plan_clear(struct pin_plan *);
char *pin_plan_encode(const struct pin_plan *, size_t, size_t, size_t *,
                      size_t *);
int pin_parse_output(const char *, struct pin_result *);

/*
 * mounts-sync.c, mounts-sync-receiver.c: type: sync mounts. One long-lived
 * SSH connection a mount runs msync_receiver (perl) in the guest; berth
 * sends the host's files over it (framed, batched, one acknowledgement a
 * batch) so the guest keeps its own copy at the mount's guest path. On
 * connecting, the guest's manifest says what it has and only what differs
 * goes (a restart resumes); then the watcher's changes follow. One-way
 * (sync: host-to-guest): the host wins, guest files the host lacks are
 * deleted. Two-way (sync: both): the receiver also watches the copy
 * (inotify) and sends the guest's changes back when asked; a base of
 * what both sides last agreed on says which side changed, and a change
 * on both is a conflict that keeps both copies.
 */
enum msync_state {
	MSYNC_OFF,        /* not started */
	MSYNC_CONNECTING, /* starting the receiver, reading its manifest */
	MSYNC_COPYING,    /* the first sync after connecting */
	MSYNC_WATCHING,   /* in step, sending changes */
	MSYNC_FAILED,     /* connection lost; retried */
};

struct msync_stats {
	enum msync_state state;
	uint64_t copy_files, copy_bytes; /* the first sync's work */
	uint64_t done_files, done_bytes; /* of it, sent */
	uint64_t sent_files, sent_bytes; /* everything sent, this process */
	uint64_t deleted, failed, refused, connects;
	uint64_t files, bytes; /* in the host folder, as last synced */
	uint64_t fetched, fetched_bytes; /* guest changes taken (both) */
	uint64_t conflicts;              /* both sides changed: both kept */
	uint64_t renamed;   /* renames carried as renames, either way */
	uint64_t dropped;   /* guest changes the ignore globs name */
	char conflict[256]; /* the last conflict copy's name */
	int64_t lag_ms;     /* newest change to the guest's answer */
	char error[256];    /* the last error, "" if none */
};

/* A two-way mount asks the guest for its changes this often (ms). */
#define MSYNC_COLLECT_MS 250

struct msync;
extern const char msync_receiver[];

struct msync *msync_new(const char *, const char *,
                        const struct scan_options *);
void msync_free(struct msync *);
char *msync_remote_command(const char *, int);
void msync_set_two_way(struct msync *, const char *);
int msync_start(struct msync *, char *const[], char **);
int msync_start_ssh(struct msync *, const struct replay_ssh *, char **);
int msync_running(const struct msync *);
int msync_two_way(const struct msync *);
int msync_pending(const struct msync *);
void msync_stop(struct msync *);
int msync_full(struct msync *, const struct scan *, char **);
int msync_changes(struct msync *, const struct scan_changes *, char **);
int msync_exchange(struct msync *, const struct scan_changes *, char **);
int msync_step(struct msync *, struct mounts_guest *, const struct scan *,
               const struct scan_changes *);
void msync_resync(struct msync *);
void msync_get_stats(struct msync *, struct msync_stats *);
void msync_set_status_file(struct msync *, const char *);
void msync_set_notify(struct msync *, void (*)(void *), void *);
void msync_off(struct msync *);
char *msync_status_path(const char *, const char *);
char *msync_base_path(const char *, const char *);
const char *msync_state_name(enum msync_state);
int msync_path_ok(const char *);
int msync_link_ok(const char *, const char *);

#endif /* BERTH_MOUNTS_H */
