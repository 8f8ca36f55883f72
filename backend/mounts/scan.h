/*
 * scan.h: the polling scanner. A scan keeps a snapshot of one host folder
 * (path -> inode, size, mtime, mode, type) and turns each pass into a list
 * of changes: created, modified, deleted, type-changed.
 */

#ifndef BERTH_SCAN_H
#define BERTH_SCAN_H

#include <stddef.h>
#include <stdint.h>

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
	uint64_t passes;
	int truncated; /* max_files reached: some entries are not watched */
};

struct scan;

#define SCAN_DEFAULT_IGNORE_N 2
extern const char *const scan_default_ignore[SCAN_DEFAULT_IGNORE_N];

void scan_options_default(struct scan_options *);
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
int scan_ignored(const struct scan_options *, const char *, int);
void scan_changes_add(struct scan_changes *, enum scan_kind, enum scan_type,
                      enum scan_type, const char *);
void scan_changes_clear(struct scan_changes *);
const char *scan_kind_name(enum scan_kind);
const char *scan_type_name(enum scan_type);

#endif /* BERTH_SCAN_H */
