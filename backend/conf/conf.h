/*
 * conf.h: berth's configuration: a profile loaded from YAML through the
 * one schema table (profile.c, profile-schema.c), its edits that keep the
 * user's comments (profile-edit.c), new and removed profile files
 * (profile-write.c), colour themes (conf-theme.c), the one
 * YAML reader they share (conf-yaml.c), and the file:line:col errors
 * profiles and themes report.
 */

#ifndef BERTH_CONF_H
#define BERTH_CONF_H

#include <yaml.h>

#include "util/util.h"

struct config_errors; /* conf-yaml.c: profiles and themes report them */

/* profile.c: a profile, loaded from YAML through one schema table. */
enum profile_mount_type {
	PROFILE_MOUNT_9P,
	PROFILE_MOUNT_VIRTIOFS,
	PROFILE_MOUNT_SSHFS,
	PROFILE_MOUNT_SYNC, /* a copy on the guest's disk (mounts-sync.c) */
};
/* Which way a sync mount copies: both is not written yet. */
enum profile_sync {
	PROFILE_SYNC_BOTH,
	PROFILE_SYNC_HOST_TO_GUEST,
};
enum profile_watch {
	PROFILE_WATCH_OFF,
	PROFILE_WATCH_POLL,
	PROFILE_WATCH_NATIVE,
};
enum profile_replay {
	PROFILE_REPLAY_BOTH,
	PROFILE_REPLAY_ATTRIB,
	PROFILE_REPLAY_CLOSE_WRITE,
};

/* How polling mode reaches the guest. */
enum profile_transport {
	PROFILE_TRANSPORT_AUTO, /* the guest agent, else SSH */
	PROFILE_TRANSPORT_AGENT,
	PROFILE_TRANSPORT_SSH,
};
enum profile_forward {
	PROFILE_FORWARD_SSH,
	PROFILE_FORWARD_NONE,
};

struct profile_mount {
	char *host;  /* ~ expanded */
	char *guest; /* default: same path as host */
	enum profile_mount_type type;
	int writable;
	enum profile_watch watch;
	uint64_t interval_ms;
	char **ignore;
	size_t nignore;
	enum profile_replay replay;
	uint64_t max_files;
	uint64_t hold_max; /* 9p: folders held from the start */
	int gitignore;     /* also skip what the folder's .gitignore names */
	enum profile_transport transport;
	enum profile_sync sync; /* type: sync only */
	int line; /* 1-based line of the entry in the file, 0 if none */
};

struct profile {
	char *name; /* profile name (file name without .yaml) */
	char *path; /* file it was loaded from, NULL for pure defaults */

	struct {
		char *uri;
		char *domain; /* default berth-<name> */
		char *accel;  /* auto | kvm | hvf | qemu */
		char *arch;
		int cpus;
		uint64_t memory;     /* bytes */
		uint64_t max_memory; /* bytes; 0 = derived */
		int max_cpus;        /* 0 = derived */
		uint64_t disk;       /* bytes */
		char *image;
		char *image_sha256;
		char *kernel;
		char *initrd;
		char *cmdline;
		int ssh_port; /* 0 = pick a free port */
		char *ssh_user;
		uint64_t shutdown_timeout_ms;
	} vm;

	struct profile_mount *mounts;
	size_t nmounts;

	struct {
		char *socket; /* "auto" = <state>/docker.sock, NULL = resolve */
		char *guest_socket;
		enum profile_forward forward;
		char *context;
		int activate;
		int persist;
		char *ssh_host; /* forward target; NULL = the VM's ssh port */
		int ssh_port;   /* 0 = the VM's */
	} docker;

	char **provision;
	size_t nprovision;

	uint64_t refresh_ms;
	char *theme;
};

struct profile *profile_defaults(const char *);
struct profile *profile_load_file(const char *, const char *,
                                  struct config_errors *);
struct profile *profile_load_buffer(const char *, size_t, const char *,
                                    const char *, struct config_errors *);
/* A profile name: at most this many bytes (profile_name_check). */
#define PROFILE_NAME_MAX      64
#define PROFILE_NAME_MAX_TEXT "64"
int profile_name_check(const char *, char **);
int profile_is_file(const char *);
char *profile_find(const char *, char **);
struct profile *profile_open(const char *, char **);
struct profile *profile_open_file(const char *, const char *, char **);
char **profile_list_names(size_t *);
char **profile_list_names_bad(size_t *, char ***);
const char *profile_current_name(const char *);
void profile_free(struct profile *);
/* QEMU refuses a 9p/virtiofs mount tag longer than this (bytes). */
#define PROFILE_MOUNT_TAG_MAX 31
char *profile_mount_tag(const char *, size_t);
int profile_set(const char *, const char *, const char *, char **);
int profile_set_named(const char *, const char *, const char *, char **);
int profile_save(const struct profile *, const char *, const char *, char **);
char *profile_splice(const char *, size_t, const char *, const char *, size_t *,
                     char **);
char *profile_quote_scalar(const char *);

/* profile-write.c: new profiles (commented, their own names) and removal. */
struct profile_write_mount {
	const char *host;
	const char *guest; /* NULL: the default (same as host) */
	const char *type;  /* NULL: the default */
	int writable;      /* -1: the default */
	const char *watch; /* NULL: the default */
};
struct profile_write_spec {
	const char *name;
	const char *from;   /* a profile file to copy; NULL: the skeleton */
	const char *header; /* more comment for the top; NULL: none */
	const char *cpus;   /* values as text; NULL: keep */
	const char *memory;
	const char *disk;
	const char *arch;
	const struct profile_write_mount *mounts; /* added to from's */
	size_t nmounts;
	char *const *provision; /* commands; replace from's */
	size_t nprovision;
};
char *profile_write_text(const struct profile_write_spec *, size_t *, char **);
char *profile_write_new(const char *, const char *, size_t, int, char **);
int profile_write_remove(const char *, char **, char **);

/* conf-yaml.c: the one YAML reader: one document, errors at file:line:col. */
/* One problem found in a profile or theme: file:line:col: message. */
struct config_error {
	char *file;
	int line; /* 1-based, 0 = unknown */
	int col;  /* 1-based, 0 = unknown */
	char *message;
};
struct config_errors {
	struct config_error *list;
	size_t n;
};
void config_errors_add(struct config_errors *, const char *, int, int,
                       const char *, ...) BERTH_PRINTFLIKE(5, 6);
void config_errors_add_cause(struct config_errors *, const char *, char *);
void config_errors_print(const struct config_errors *, FILE *);
void config_errors_free(struct config_errors *);

struct conf_yaml {
	yaml_document_t doc;
	const char *file; /* names it in errors */
	const char *buf;  /* the text, for byte offsets */
	size_t len;
};
/* How one kind of file words a syntax error and a second document. */
struct conf_yaml_kind {
	/* The error at a second document; NULL: the rest is not read. */
	const char *one_document;
	int mark_root; /* place it at the document's root, not its start */
	/* Word a syntax error (later: not in the first document); NULL:
	 * conf_yaml_syntax_error. */
	void (*syntax)(const struct conf_yaml *, const yaml_parser_t *, int,
	               struct config_errors *);
};
typedef void conf_yaml_walk_cb(struct conf_yaml *, yaml_node_t *, void *);
int conf_yaml_read(const char *, size_t, const char *,
                   const struct conf_yaml_kind *, conf_yaml_walk_cb *, void *,
                   struct config_errors *);
void conf_yaml_syntax_error(const struct conf_yaml *, const yaml_parser_t *,
                            int, struct config_errors *);
yaml_node_t *conf_yaml_root(struct conf_yaml *);
yaml_node_t *conf_yaml_node(struct conf_yaml *, int);
size_t conf_yaml_count(const yaml_node_t *);
yaml_node_t *conf_yaml_key(struct conf_yaml *, const yaml_node_t *, size_t);
yaml_node_t *conf_yaml_value(struct conf_yaml *, const yaml_node_t *, size_t);
yaml_node_t *conf_yaml_item(struct conf_yaml *, const yaml_node_t *, size_t);
yaml_node_t *conf_yaml_get(struct conf_yaml *, const yaml_node_t *,
                           const char *);
const char *conf_yaml_scalar(const yaml_node_t *);
int conf_yaml_line(const yaml_node_t *);
int conf_yaml_col(const yaml_node_t *);
void conf_yaml_error(struct config_errors *, const char *, const yaml_node_t *,
                     const char *, ...) BERTH_PRINTFLIKE(4, 5);
size_t conf_yaml_byte(const struct conf_yaml *, size_t);
int conf_yaml_has_alias(struct conf_yaml *);

/* profile-schema.c: the ONE table of profile keys. */
enum schema_type {
	SCHEMA_STRING,
	SCHEMA_INT,
	SCHEMA_SIZE,
	SCHEMA_DURATION,
	SCHEMA_BOOL,
	SCHEMA_ENUM,
	SCHEMA_PATH,
	SCHEMA_LIST, /* list of strings */
	SCHEMA_MOUNTS,
};
struct schema_key {
	const char *path; /* "vm.cpus", "mounts[].host" */
	enum schema_type type;
	long long min, max;         /* ints, sizes (bytes), durations (ms) */
	const char *const *choices; /* enums, NULL-terminated */
	const char *def;            /* default as text, NULL = none */
	const char *help;
	size_t offset; /* into struct profile or struct profile_mount */
	/* How the loader stores the value (appended by the profile loader). */
	size_t size; /* INT: sizeof field; ENUM: sizeof(int), 0 = text */
	size_t count_offset; /* LIST, MOUNTS: offset of the size_t count */
	int flags;           /* SCHEMA_F_* */
	/* Extra check of a text value after ~ expansion; NULL = none. */
	int (*check)(const char *, char **);
};
#define SCHEMA_F_REQUIRED 0x1 /* must be given */
#define SCHEMA_F_AS_HOST  0x2 /* default: the mount's host path */
extern const struct schema_key schema_keys[];
extern const size_t schema_nkeys;
const struct schema_key *schema_find(const char *);
const char *schema_type_name(enum schema_type);
const struct schema_key *schema_suggest(const char *);
int schema_set_text(const struct schema_key *, void *, const char *,
                    const char *, char **);
char *schema_format(const struct schema_key *, const void *);
void schema_apply_defaults(void *, const char *, const char *);

/* conf-theme.c: colour themes: the role table and loading. */
enum theme_role {
	THEME_DEFAULT,
	THEME_HEADER,
	THEME_BORDER_ACTIVE,
	THEME_BORDER_INACTIVE,
	THEME_TITLE_ACTIVE,
	THEME_TITLE_INACTIVE,
	THEME_SELECTION,
	THEME_TABLE_HEADER,
	THEME_STATUS_OK,
	THEME_STATUS_WARN,
	THEME_STATUS_ERROR,
	THEME_DIM,
	THEME_SPARKLINE,
	THEME_METER_FILL,
	THEME_METER_EMPTY,
	THEME_KEY_HINT,
	THEME_KEY_LABEL,
	THEME_DIALOG,
	THEME_DIALOG_BORDER,
	THEME_INPUT,
	THEME_STDERR,
	THEME_MATCH,
	THEME_NROLES
};

/* Attribute bits of a theme style (tui/theme.c maps them to curses). */
#define THEME_A_BOLD      0x1
#define THEME_A_DIM       0x2
#define THEME_A_REVERSE   0x4
#define THEME_A_UNDERLINE 0x8

/* A colour as written in a theme file. */
enum theme_color_kind {
	THEME_COLOR_DEFAULT, /* the terminal's own colour (-1) */
	THEME_COLOR_INDEX,   /* palette index 0..255 (0..15 = ANSI names) */
	THEME_COLOR_RGB,     /* #rrggbb */
};
struct theme_color {
	enum theme_color_kind kind;
	int index;    /* THEME_COLOR_INDEX */
	uint32_t rgb; /* THEME_COLOR_RGB: 0xrrggbb */
};
struct theme_style {
	struct theme_color fg, bg;
	int attrs; /* THEME_A_BOLD | THEME_A_DIM | ... */
};

/* The ONE table of roles: loader, validation, theme roles and man page. */
struct theme_role_def {
	const char *name;
	struct theme_style def; /* default style (= themes/default.yaml) */
	int mono;               /* attributes when there is no colour */
	const char *help;
};
extern const struct theme_role_def theme_roles[THEME_NROLES];

/* What the terminal can show, from COLORS and NO_COLOR. */
enum theme_depth {
	THEME_DEPTH_MONO,
	THEME_DEPTH_8,
	THEME_DEPTH_16,
	THEME_DEPTH_256,
	THEME_DEPTH_DIRECT, /* COLORS >= 2^24: colour numbers are 0xrrggbb */
};
/* A role reduced to one depth: curses colour numbers (-1 = default). */
struct theme_resolved {
	int fg, bg;
	int attrs;
};

/* A loaded theme; tui/theme.c shows it with curses. */
struct theme;
struct theme *theme_load_file(const char *, struct config_errors *);
struct theme *theme_load_buffer(const char *, size_t, const char *,
                                struct config_errors *);
struct theme *theme_open(const char *, char **);
char **theme_list_names(size_t *);
void theme_free(struct theme *);
const char *theme_role_name(enum theme_role);
int theme_role_find(const char *);
const char *theme_get_name(const struct theme *);
const char *theme_get_path(const struct theme *);
const char *theme_get_description(const struct theme *);
const struct theme_style *theme_get_style(const struct theme *,
                                          enum theme_role);
char *theme_find(const char *, const char **, char **);
const char *theme_suggest(const char *, const char *const *, size_t);

/* conf-theme-colour.c: colours and styles as words, and depths. */
/* The 16 ANSI colours, by palette index. */
enum {
	ANSI_BLACK,
	ANSI_RED,
	ANSI_GREEN,
	ANSI_YELLOW,
	ANSI_BLUE,
	ANSI_MAGENTA,
	ANSI_CYAN,
	ANSI_WHITE,
	ANSI_BRIGHT_BLACK,
};
int theme_parse_color(const char *, struct theme_color *, char **);
int theme_parse_style(const char *, struct theme_style *, char **);
char *theme_color_format(const struct theme_color *);
char *theme_style_format(const struct theme_style *);
enum theme_depth theme_depth(int, int);
const char *theme_depth_name(enum theme_depth);
uint32_t theme_index_rgb(int);
int theme_rgb_to_256(uint32_t);
int theme_rgb_to_ansi(uint32_t, int);
void theme_resolve(const struct theme *, enum theme_role, enum theme_depth,
                   struct theme_resolved *);
int theme_color_map(const struct theme_color *, enum theme_depth, int, int *);
int theme_attr_bit(const char *);
const char *theme_attr_word(int);
int theme_parse_short(const char *, struct theme_style *, size_t *, char **);

#endif /* BERTH_CONF_H */
