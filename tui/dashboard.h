/*
 * dashboard.h: the dashboard's internal API, shared by the loop
 * (dashboard.c), the panes (pane-*.c), the views (view-*.c), the dialogs
 * (dialog-*.c), the key table (keys.c), the layout, the drawing helpers and
 * the terminal code. Everything here runs on the UI thread only.
 */

#ifndef BERTH_DASHBOARD_H
#define BERTH_DASHBOARD_H

#include <curses.h>

#include "tui/tui.h"

/* Effects a handler asks the loop for; the loop does each once per pass. */
#define DASH_REDRAW  0x01 /* redraw what is visible */
#define DASH_REPAINT 0x02 /* clear the terminal and paint everything */
#define DASH_LAYOUT  0x04 /* recompute the layout (focus, zoom, view) */
#define DASH_QUIT    0x08 /* leave the loop */
#define DASH_COMMAND 0x10 /* a command went to the engine */

/* Where a key binding applies; the focused pane or view picks the scope. */
enum key_scope {
	KEY_SCOPE_GLOBAL,
	KEY_SCOPE_MOVE,
	KEY_SCOPE_VM,
	KEY_SCOPE_MOUNTS,
	KEY_SCOPE_SOCKET,
	KEY_SCOPE_CONTAINERS,
	KEY_SCOPE_VIEW,
	KEY_SCOPE_LOGS,
	KEY_SCOPE_NSCOPES
};

enum key_action {
	ACT_NONE,
	ACT_QUIT,
	ACT_HELP,
	ACT_NEXT_PANE,
	ACT_PREV_PANE,
	ACT_PANE_1,
	ACT_PANE_2,
	ACT_PANE_3,
	ACT_PANE_4,
	ACT_ZOOM,
	ACT_COMMAND,
	ACT_PROFILE,
	ACT_REPAINT,
	ACT_FASTER,
	ACT_SLOWER,
	ACT_UP,
	ACT_DOWN,
	ACT_PAGE_UP,
	ACT_PAGE_DOWN,
	ACT_TOP,
	ACT_BOTTOM,
	ACT_VM_START,
	ACT_VM_CREATE,
	ACT_VM_STOP,
	ACT_VM_FORCE,
	ACT_VM_RESTART,
	ACT_VM_EDIT,
	ACT_MOUNT_WATCH,
	ACT_SOCKET_RESTART,
	ACT_CONTEXT_TOGGLE,
	ACT_CT_START,
	ACT_CT_STOP,
	ACT_CT_RESTART,
	ACT_CT_REMOVE,
	ACT_CT_LOGS,
	ACT_CT_INSPECT,
	ACT_CT_FILTER,
	ACT_CT_SORT,
	ACT_CT_REVERSE,
	ACT_CT_GROUP,
	ACT_CT_PROJECT_LOGS,
	ACT_CT_COPY,
	ACT_CT_EXEC,
	ACT_VIEW_BACK,
	ACT_LOG_FOLLOW,
	ACT_LOG_SEARCH,
	ACT_LOG_NEXT,
	ACT_LOG_PREV,
	ACT_LOG_WRAP,
	ACT_LOG_TIMES,
	ACT_LOG_SINCE,
	ACT_LOG_SAVE,
	ACT_LOG_COPY,
	ACT_NACTIONS
};

/* keys.c: the ONE key-binding table and its remapping from config.yaml. */
#define KEYS_MAX 4
struct key_def {
	enum key_action action;
	const char *name; /* "vm-start": the name config.yaml uses */
	enum key_scope scope;
	const char *keys;  /* default keys, space separated */
	const char *label; /* word on the F-key bar, NULL = not shown there */
	const char *help;  /* one line for the help screen */
};
extern const struct key_def keys_table[];
extern const size_t keys_ntable;
void keys_reset(void);
int keys_load_config(const char *, struct config_errors *);
enum key_action keys_lookup(const enum key_scope *, size_t, int);
int keys_bound(enum key_action, int *, int);
const char *keys_scope_name(enum key_scope);
int keys_parse(const char *);
const char *keys_name(int, char *, size_t);
char *keys_describe(enum key_action);
const struct key_def *keys_find(const char *);

struct rect {
	int y, x, h, w;
};

struct dash;

/* What an action does in a pane, a view or everywhere: one table row. */
struct dash_binding {
	enum key_action action;
	int (*fn)(struct dash *);
};
#define DASH_BINDINGS(t) (t), nitems(t)

/*
 * A pane: a descriptor registered in dash_panes[] (dashboard.c). A pane
 * owns its state (htop's MainPanel, tmux's window_clock_mode_data): create
 * makes it when the dashboard opens, free ends it, and the pane's own
 * functions reach it with dash_pane_data. Nothing else touches it; what
 * others need (the selected container) goes through the pane's functions.
 */
struct pane {
	const char *name;  /* "vm", used by the command line */
	const char *title; /* "VM" */
	enum key_scope scope;
	/*
	 * The main pane (one pane sets it): it takes the room the others
	 * leave, the right-hand column when the terminal is wide, and it has
	 * the focus until another pane wants it.
	 */
	int main;
	void *(*create)(void); /* its state; NULL = none */
	void (*free)(void *);  /* ends what create made */
	/* The profile changed: forget what pointed into the old one. */
	void (*reset)(struct dash *);
	/* Rows wanted in the stacked layout, including the title row. */
	int (*height)(const struct dash *);
	/*
	 * Draw into the pane's window, erased beforehand. The loop draws
	 * every pass and sends the window only when its cells changed.
	 */
	void (*draw)(struct dash *, WINDOW *, int, int);
	/* After each pass that drew: tell the engine what is on show. */
	void (*shown)(struct dash *);
	const struct dash_binding *actions; /* what its keys do */
	size_t nactions;
	/*
	 * Whether the pane should have the focus when the dashboard opens:
	 * 1 yes, 0 no, -1 not known yet (NULL = never). The first pane
	 * saying yes gets it, unless the user has moved the focus.
	 */
	int (*wants_focus)(const struct dash *);
	/*
	 * Whether one of its keys belongs on the key bar now (NULL = all):
	 * a key that cannot act in this state only takes the room of one
	 * that can.
	 */
	int (*key_shown)(const struct dash *, enum key_action);
	/* Lines the help screen shows below its keys (NULL-terminated). */
	const char *const *help;
};
extern const struct pane pane_vm, pane_mounts, pane_socket, pane_containers;
#define DASH_NPANES 4

/* A full-body view (logs, inspect) that replaces the panes while open. */
struct view {
	const char *name;
	const char *title;
	/* Its own keys besides KEY_SCOPE_VIEW; KEY_SCOPE_NSCOPES = none. */
	enum key_scope scope;
	void (*draw)(struct dash *, WINDOW *, int, int);
	const struct dash_binding *actions;
	size_t nactions;
	void (*close)(struct dash *);
};
extern const struct view view_logs, view_inspect;
int view_logs_open(struct dash *, const char *, const char *);
int view_logs_open_merged(struct dash *, const char *, const char *);
int view_inspect_open(struct dash *, const char *);
const char *view_inspect_id(const struct dash *);

/* A modal dialog drawn over everything in a centred window. */
struct dialog {
	const char *name;
	void (*size)(const struct dash *, int *, int *);
	void (*draw)(struct dash *, WINDOW *, int, int);
	int (*key)(struct dash *, int);
	void (*close)(struct dash *);
};
extern const struct dialog dialog_confirm, dialog_resources, dialog_profile,
    dialog_help;
int dialog_confirm_open(struct dash *, const char *, enum engine_cmd_type,
                        const char *, long long);
int dialog_confirm_quit(struct dash *, const char *);
int dialog_resources_open(struct dash *);
int dialog_profile_open(struct dash *);
int dialog_help_open(struct dash *);

/* The one-line prompt in the status line (":" commands, "/" filters). */
struct prompt;
typedef int (*prompt_done_cb)(struct dash *, const char *);
typedef void (*prompt_change_cb)(struct dash *, const char *);
typedef char **(*prompt_complete_cb)(struct dash *, const char *, size_t *);
int dialog_command_prompt(struct dash *, const char *, const char *,
                          prompt_change_cb, prompt_done_cb, prompt_complete_cb);
int dialog_command_open(struct dash *);
int dialog_command_run(struct dash *, const char *);
int dialog_command_key(struct dash *, int);
void dialog_command_draw(struct dash *, WINDOW *, int);
void dialog_command_free(struct dash *);

struct dash {
	struct cmd_ctx *ctx;
	struct engine *engine;
	struct model *model; /* newest snapshot, a reference we hold */
	struct theme *theme;
	char *theme_name;
	int theme_follows;  /* the profile's theme: applies (no --theme, :theme)
	                     */
	char *theme_wanted; /* the profile theme last applied or tried */
	int ascii;
	int color;

	int rows, cols;
	int too_small;
	int focus;         /* index into dash_panes */
	int focus_settled; /* the user or wants_focus chose it */
	int zoom;

	struct rect header, body, footer, pane[DASH_NPANES];
	int visible[DASH_NPANES];
	WINDOW *win_header, *win_footer, *win_body;
	WINDOW *win_pane[DASH_NPANES];
	WINDOW *win_dialog;
	void *pane_data[DASH_NPANES]; /* each pane's own state */
	/* Hash of the cells each window showed when last sent. */
	uint64_t drawn[DASH_NPANES];
	uint64_t view_drawn, header_drawn, footer_drawn;
	int dirty; /* send every window on the next pass, changed or not */
	uint64_t interval_sent; /* asked of the engine, not yet published */

	const struct view *view;
	void *view_data;
	const struct dialog *dialog;
	void *dialog_data;
	struct prompt *prompt;

	char *status;       /* local message on the status line, or NULL */
	uint64_t status_ms; /* when status was set: newer engine messages win */
	uint64_t status_hold_ms; /* ...but not before this (wall clock ms) */
	int status_level;
};

extern const struct pane *const dash_panes[DASH_NPANES];

/* dashboard.c */
int dash_dispatch(struct dash *, const struct dash_binding *, size_t,
                  enum key_action);
void dash_set_status(struct dash *, int, const char *, ...)
    BERTH_PRINTFLIKE(3, 4);
int dash_send(struct dash *, enum engine_cmd_type, const char *, const char *,
              long long);
int dash_switch_theme(struct dash *, const char *);
int dash_focus(struct dash *, int);
void dash_close_dialog(struct dash *);
void dash_close_view(struct dash *);
int dash_pane_main(void);
void *dash_pane_data(const struct dash *, const struct pane *);
int dash_pane_focused(const struct dash *, const struct pane *);
const struct rect *dash_pane_rect(const struct dash *, const struct pane *);
int dash_focus_pane(struct dash *, const struct pane *);

/* pane-containers.c: the selection and filter others may use. */
const struct model_container *pane_containers_selected(struct dash *);
int pane_containers_set_filter(struct dash *, const char *);

/* layout.c */
void layout_compute(struct dash *);
#define LAYOUT_MIN_COLS 80
#define LAYOUT_MIN_ROWS 24

/* term.c: the terminal, its signals and its restoration on every exit. */
#define TERM_SIG_HUP   0x01
#define TERM_SIG_TERM  0x02
#define TERM_SIG_INT   0x04
#define TERM_SIG_TSTP  0x08
#define TERM_SIG_WINCH 0x10
#define TERM_SIG_CONT  0x20
#define TERM_SIG_QUIT  0x40
int term_open(struct cmd_ctx *, char **);
void term_close(void);
int term_signal_fd(void);
int term_take_signals(void);
void term_suspend(void);
int term_run(char *const[]);
void term_size(int *, int *);
void term_block_signals(int);
int term_active(void);
/* Longer texts are refused: about 75 KB once in base64, what most take. */
#define TERM_CLIPBOARD_MAX 56000
int term_clipboard(const char *, size_t, char **);

/* draw.c: shared drawing helpers. */
void draw_init(int);
int draw_ascii(void);
int draw_text(WINDOW *, int, int, int, int, const char *);
int draw_text_tail(WINDOW *, int, int, int, int, const char *);
int draw_printf(WINDOW *, int, int, int, int, const char *, ...)
    BERTH_PRINTFLIKE(6, 7);
int draw_width(const char *);
size_t draw_cut(const char *, int);
void draw_fill(WINDOW *, int, int, int, int);
void draw_rule(WINDOW *, int, int, int, const char *, int, const char *);
void draw_vline(WINDOW *, int, int, int, int);
void draw_meter(WINDOW *, int, int, int, double);
void draw_sparkline(WINDOW *, int, int, int, const struct model_history *,
                    double);
void draw_box(WINDOW *, int, int, int, int, int);
const char *draw_conn_name(enum model_conn);
int draw_state_attr(const char *);
uint64_t draw_hash(uint64_t, const void *, size_t);
uint64_t draw_digest(WINDOW *);
char *draw_size(uint64_t);
#define DRAW_HASH_INIT 1469598103934665603ULL

#endif /* BERTH_DASHBOARD_H */
