/*
 * replay.h: replaying host changes inside the guest so its inotify
 * watchers fire. A batch coalesces the changes of a pass into guest
 * paths with operations; replay_agent_exec() runs the guest script on a
 * chunk of it through the QEMU guest agent in one guest-exec, and
 * replay_ssh_exec() (guest-ssh.c) does the same over SSH.
 */

#ifndef BERTH_REPLAY_H
#define BERTH_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "mounts/scan.h"

/* Operations on one guest path (a mask). */
#define REPLAY_OP_ATTRIB 0x1 /* utimensat with its own times: IN_ATTRIB */
#define REPLAY_OP_WRITE  0x2 /* open for append, close: IN_CLOSE_WRITE */
#define REPLAY_OP_READ   0x4 /* open for read, close: IN_CLOSE_NOWRITE */

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
char *replay_base64_encode(const void *, size_t);
void *replay_base64_decode(const char *, size_t *);

/* Where and how to reach the guest over SSH (guest-ssh.c). */
struct replay_ssh {
	char *host;
	int port;
	char *user;
	char *key;         /* private key file */
	char *known_hosts; /* UserKnownHostsFile */
	char *alias;       /* HostKeyAlias */
};

char *replay_shell_quote(const char *);
char *replay_ssh_command(const char *, const char *);
int replay_ssh_exec(const struct replay_ssh *, const char *, const char *,
                    const char *, size_t, uint64_t, char **, int *, char **);

struct _virDomain;
int replay_agent_exec(struct _virDomain *, const char *, const char *,
                      const char *, size_t, uint64_t, char **, int *, char **);

/*
 * mounts.c: the mounts engine component. One watcher thread per mount
 * with watch: poll|native scans (or listens to inotify), replays and
 * reports its figures; ENGINE_CMD_MOUNT_WATCH flips a mount live.
 */
extern const struct engine_component mounts_component;
struct mounts;
struct mounts *mounts_new(const struct profile *, void (*)(void *), void *);
void mounts_free(struct mounts *);
int mounts_set_watch(struct mounts *, size_t, enum profile_watch);
void mounts_fill(struct mounts *, struct model *);
const char *mounts_watch_name(enum profile_watch);
int mounts_watch_parse(const char *, enum profile_watch *);
extern const char *const mounts_env_hint[];

/* watch-inotify.c: native mode on Linux (NULL elsewhere, with a cause). */
struct winotify;
struct winotify *winotify_new(const char *, const struct scan_options *,
                              char **);
void winotify_free(struct winotify *);
int winotify_fd(const struct winotify *);
int winotify_read(struct winotify *, char ***, size_t *, char **);

#endif /* BERTH_REPLAY_H */
