/*
 * dialog-command.c: the one-line prompt on the status line and the ':'
 * command line built on it. The prompt edits a line (Left/Right, Home/End,
 * C-a/C-e, C-u, Backspace), Tab completes, Enter runs, Esc cancels. The
 * '/' filters use the same prompt with a callback on every change.
 *
 * The commands are the CLI's table (cmd_table in cli/cmd.c, handed over
 * in cmd_ctx.commands): an entry with a `line` runs here, through the
 * engine; the struct cmd_line objects below say how (arguments, what
 * completes them, the function).
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "tui/dashboard.h"

#define PROMPT_MAX 256

struct prompt {
	char *label;
	char buf[PROMPT_MAX];
	size_t len, cursor;
	char *orig;
	prompt_change_cb change;
	prompt_done_cb done;
	prompt_complete_cb complete;
};

static int cmdline_vm(struct dash *, int, char **);
static int cmdline_set(struct dash *, int, char **);
static int cmdline_profile(struct dash *, int, char **);
static int cmdline_theme(struct dash *, int, char **);
static int cmdline_quit(struct dash *, int, char **);
static int cmdline_interval(struct dash *, int, char **);
static int cmdline_help(struct dash *, int, char **);
static int cmdline_filter(struct dash *, int, char **);

/* What each ':' command takes and does; cmd_table's entries point here. */
const struct cmd_line dialog_command_start = {
    .args = "",
    .help = "start the VM",
    .run = cmdline_vm,
};
const struct cmd_line dialog_command_stop = {
    .args = "",
    .help = "shut the VM down",
    .run = cmdline_vm,
};
const struct cmd_line dialog_command_force_stop = {
    .args = "",
    .help = "force the VM off",
    .run = cmdline_vm,
};
const struct cmd_line dialog_command_restart = {
    .args = "",
    .help = "restart the VM",
    .run = cmdline_vm,
};
const struct cmd_line dialog_command_set = {
    .args = "cpus|memory|disk VALUE",
    .help = "change a VM resource",
    .min_args = 2,
    .max_args = 2,
    .words = (const char *const[]){"cpus", "memory", "disk", NULL},
    .run = cmdline_set,
};
const struct cmd_line dialog_command_profile = {
    .args = "NAME",
    .help = "switch to another profile",
    .max_args = 1,
    .kind = CMD_KIND_PROFILE,
    .run = cmdline_profile,
};
const struct cmd_line dialog_command_theme = {
    .args = "NAME",
    .help = "switch the colour theme",
    .min_args = 1,
    .max_args = 1,
    .kind = CMD_KIND_THEME,
    .run = cmdline_theme,
};
const struct cmd_line dialog_command_interval = {
    .args = "DURATION",
    .help = "refresh interval (500ms, 2s, 1m)",
    .min_args = 1,
    .max_args = 1,
    .run = cmdline_interval,
};
const struct cmd_line dialog_command_filter = {
    .args = "[TEXT]",
    .help = "filter the containers",
    .max_args = -1,
    .run = cmdline_filter,
};
const struct cmd_line dialog_command_help = {
    .args = "",
    .help = "show the keys",
    .max_args = -1,
    .run = cmdline_help,
};
const struct cmd_line dialog_command_quit = {
    .args = "",
    .help = "quit berth",
    .max_args = -1,
    .run = cmdline_quit,
};

/* The i-th command of the table the ':' line runs, or NULL after the last. */
static const struct cmd_entry *
dialog_command_nth(struct dash *d, size_t *i)
{
	const struct cmd_entry *const *t =
	    d->ctx != NULL ? d->ctx->commands : NULL;

	while (t != NULL && t[*i] != NULL) {
		if (t[(*i)++]->line != NULL)
			return t[*i - 1];
	}
	return NULL;
}

/* The ':' line's command called name (len bytes), or NULL. */
static const struct cmd_entry *
dialog_command_find(struct dash *d, const char *name, size_t len)
{
	const struct cmd_entry *c;
	size_t i = 0;

	while ((c = dialog_command_nth(d, &i)) != NULL) {
		if (strlen(c->name) == len && strncmp(c->name, name, len) == 0)
			return c;
	}
	return NULL;
}

/* What the first argument of c completes to; the caller frees. */
static char **
dialog_command_candidates(const struct cmd_line *l, size_t *n)
{
	char **v;
	size_t i;

	*n = 0;
	if (l->kind == CMD_KIND_PROFILE)
		return profile_list_names(n);
	if (l->kind == CMD_KIND_THEME)
		return theme_list_names(n);
	for (i = 0; l->words != NULL && l->words[i] != NULL; i++)
		;
	v = xcalloc(i + 1, sizeof *v);
	for (i = 0; l->words != NULL && l->words[i] != NULL; i++)
		v[(*n)++] = xstrdup(l->words[i]);
	return v;
}

/* Open a prompt with label and initial text on the status line. */
int
dialog_command_prompt(struct dash *d, const char *label, const char *initial,
                      prompt_change_cb change, prompt_done_cb done,
                      prompt_complete_cb complete)
{
	struct prompt *p = xcalloc(1, sizeof *p);

	if (d->prompt != NULL)
		dialog_command_free(d);
	p->label = xstrdup(label);
	if (initial != NULL) {
		snprintf(p->buf, sizeof p->buf, "%s", initial);
		p->len = p->cursor = strlen(p->buf);
	}
	p->orig = xstrdup(p->buf);
	p->change = change;
	p->done = done;
	p->complete = complete;
	d->prompt = p;
	return DASH_REDRAW;
}

void
dialog_command_free(struct dash *d)
{
	struct prompt *p = d->prompt;

	if (p == NULL)
		return;
	free(p->label);
	free(p->orig);
	free(p);
	d->prompt = NULL;
}

static char **
dialog_command_names(struct dash *d, const char *line, size_t *n)
{
	const struct cmd_entry *c;
	char **v;
	size_t i = 0, len = strlen(line);

	while (dialog_command_nth(d, &i) != NULL)
		;
	v = xcalloc(i + 1, sizeof *v);
	*n = i = 0;
	while ((c = dialog_command_nth(d, &i)) != NULL) {
		if (strncmp(c->name, line, len) == 0)
			v[(*n)++] = xstrdup(c->name);
	}
	return v;
}

/* Candidates for the word under the cursor of a command line. */
static char **
dialog_command_complete(struct dash *d, const char *line, size_t *n)
{
	const char *sp = strchr(line, ' ');
	const struct cmd_entry *c;
	char **all, **v;
	size_t k, na = 0, wl;
	const char *word;

	*n = 0;
	if (sp == NULL)
		return dialog_command_names(d, line, n);
	c = dialog_command_find(d, line, (size_t)(sp - line));
	if (c == NULL ||
	    (c->line->kind == CMD_KIND_NONE && c->line->words == NULL))
		return NULL;
	word = strrchr(line, ' ') + 1;
	if (strchr(sp + 1, ' ') != NULL)
		return NULL; /* only the first argument completes */
	wl = strlen(word);
	all = dialog_command_candidates(c->line, &na);
	v = xcalloc(na + 1, sizeof *v);
	for (k = 0; k < na; k++) {
		if (strncmp(all[k], word, wl) == 0)
			v[(*n)++] = all[k];
		else
			free(all[k]);
	}
	free(all);
	return v;
}

/* Tab: complete the last word to the longest common prefix. */
static void
dialog_command_tab(struct dash *d)
{
	struct prompt *p = d->prompt;
	char **v, *word, list[256];
	size_t n = 0, i, common, o = 0;

	if (p->complete == NULL)
		return;
	p->buf[p->len] = '\0';
	v = p->complete(d, p->buf, &n);
	if (v == NULL || n == 0) {
		dash_set_status(d, 1, "no completion");
		free(v);
		return;
	}
	word = strrchr(p->buf, ' ');
	word = word != NULL ? word + 1 : p->buf;
	common = strlen(v[0]);
	for (i = 1; i < n; i++) {
		size_t k = 0;

		while (k < common && v[i][k] == v[0][k])
			k++;
		common = k;
	}
	if (common > strlen(word) &&
	    (size_t)(word - p->buf) + common < PROMPT_MAX - 2) {
		memcpy(word, v[0], common);
		p->len = (size_t)(word - p->buf) + common;
		if (n == 1)
			p->buf[p->len++] = ' ';
		p->buf[p->len] = '\0';
		p->cursor = p->len;
	}
	if (n > 1) {
		list[0] = '\0';
		for (i = 0; i < n && o < sizeof list - 1; i++)
			o += (size_t)snprintf(list + o, sizeof list - o, "%s%s",
			                      i > 0 ? " " : "", v[i]);
		dash_set_status(d, 0, "%s", list);
	}
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* A key while the prompt is open. */
int
dialog_command_key(struct dash *d, int ch)
{
	struct prompt *p = d->prompt;
	prompt_done_cb done;
	char *line;
	int eff;

	free(d->status);
	d->status = NULL;
	switch (ch) {
	case 27:
		if (p->change != NULL)
			p->change(d, p->orig);
		dialog_command_free(d);
		return DASH_REDRAW;
	case '\n':
	case '\r':
	case KEY_ENTER:
		p->buf[p->len] = '\0';
		line = xstrdup(p->buf);
		done = p->done;
		dialog_command_free(d);
		eff = done != NULL ? done(d, line) : 0;
		free(line);
		return eff | DASH_REDRAW;
	case '\t':
		dialog_command_tab(d);
		return DASH_REDRAW;
	case KEY_LEFT:
		if (p->cursor > 0)
			p->cursor--;
		return DASH_REDRAW;
	case KEY_RIGHT:
		if (p->cursor < p->len)
			p->cursor++;
		return DASH_REDRAW;
	case KEY_HOME:
	case 1:
		p->cursor = 0;
		return DASH_REDRAW;
	case KEY_END:
	case 5:
		p->cursor = p->len;
		return DASH_REDRAW;
	case 21:
		p->len = p->cursor = 0;
		break;
	case KEY_BACKSPACE:
	case 127:
	case 8:
		if (p->cursor == 0) {
			if (p->len == 0) {
				if (p->change != NULL)
					p->change(d, p->orig);
				dialog_command_free(d);
				return DASH_REDRAW;
			}
			return 0;
		}
		memmove(p->buf + p->cursor - 1, p->buf + p->cursor,
		        p->len - p->cursor);
		p->cursor--;
		p->len--;
		break;
	default:
		if (ch < ' ' || ch > 0xff || ch == 0x7f ||
		    p->len >= PROMPT_MAX - 1)
			return 0;
		memmove(p->buf + p->cursor + 1, p->buf + p->cursor,
		        p->len - p->cursor);
		p->buf[p->cursor++] = (char)ch;
		p->len++;
		break;
	}
	p->buf[p->len] = '\0';
	if (p->change != NULL)
		p->change(d, p->buf);
	return DASH_REDRAW;
}

/* The prompt on row y of the footer, with a block for the cursor. */
void
dialog_command_draw(struct dash *d, WINDOW *w, int y)
{
	struct prompt *p = d->prompt;
	int x, input = theme_attr(THEME_INPUT);
	char before[PROMPT_MAX], at[8] = " ";

	draw_fill(w, y, 0, d->cols, input);
	x = draw_text(w, y, 0, d->cols, input | (int)A_BOLD, p->label);
	memcpy(before, p->buf, p->cursor);
	before[p->cursor] = '\0';
	x += draw_text(w, y, x, d->cols - x - 1, input, before);
	if (p->cursor < p->len)
		at[0] = p->buf[p->cursor];
	x += draw_text(w, y, x, 1, input | (int)A_REVERSE, at);
	if (p->cursor + 1 < p->len)
		draw_text(w, y, x, d->cols - x, input, p->buf + p->cursor + 1);
}

static int
dialog_command_done(struct dash *d, const char *line)
{
	return dialog_command_run(d, line);
}

int
dialog_command_open(struct dash *d)
{
	return dialog_command_prompt(d, ":", NULL, NULL, dialog_command_done,
	                             dialog_command_complete);
}

/* Run one command line ("set cpus 4"); errors go to the status line. */
int
dialog_command_run(struct dash *d, const char *line)
{
	char *copy = xstrdup(line), *argv[8], *tok, *save = NULL;
	const struct cmd_entry *c;
	const struct cmd_line *l;
	int argc = 0, eff = DASH_REDRAW;

	for (tok = strtok_r(copy, " \t", &save); tok != NULL && argc < 8;
	     tok = strtok_r(NULL, " \t", &save))
		argv[argc++] = tok;
	if (argc == 0) {
		free(copy);
		return 0;
	}
	if ((c = dialog_command_find(d, argv[0], strlen(argv[0]))) == NULL)
		dash_set_status(d, 2, ":%s: unknown command (Tab completes)",
		                argv[0]);
	else if (argc - 1 < (l = c->line)->min_args ||
	         (l->max_args >= 0 && argc - 1 > l->max_args))
		dash_set_status(d, 2, "usage: :%s %s", argv[0], l->args);
	else
		eff = l->run(d, argc, argv);
	free(copy);
	return eff;
}

static int
cmdline_vm(struct dash *d, int argc, char **argv)
{
	static const struct {
		const char *name;
		enum engine_cmd_type type;
	} map[] = {
	    {"start", ENGINE_CMD_VM_START},
	    {"stop", ENGINE_CMD_VM_SHUTDOWN},
	    {"force-stop", ENGINE_CMD_VM_DESTROY},
	    {"restart", ENGINE_CMD_VM_REBOOT},
	};
	size_t i;

	(void)argc;
	for (i = 0; i < nitems(map); i++) {
		if (strcmp(map[i].name, argv[0]) == 0) {
			dash_set_status(d, 0, "VM: %s", argv[0]);
			return dash_send(d, map[i].type, NULL, NULL, 0);
		}
	}
	return DASH_REDRAW;
}

static int
cmdline_set(struct dash *d, int argc, char **argv)
{
	char *cause = NULL;
	uint64_t v;
	long n;
	char *end;

	(void)argc;
	if (strcmp(argv[1], "cpus") == 0) {
		n = strtol(argv[2], &end, 10);
		if (*end != '\0' || n < 1 || n > 512) {
			dash_set_status(d, 2,
			                "cpus: '%s' is not a number "
			                "from 1 to 512",
			                argv[2]);
			return DASH_REDRAW;
		}
	} else if (strcmp(argv[1], "memory") == 0 ||
	           strcmp(argv[1], "disk") == 0) {
		if (units_parse_size(argv[2], &v, &cause) != 0) {
			dash_set_status(d, 2, "%s: %s", argv[1], cause);
			free(cause);
			return DASH_REDRAW;
		}
	} else {
		dash_set_status(d, 2,
		                ":set: unknown resource '%s' (cpus, "
		                "memory, disk)",
		                argv[1]);
		return DASH_REDRAW;
	}
	dash_set_status(d, 0, "setting %s to %s", argv[1], argv[2]);
	return dash_send(d, ENGINE_CMD_VM_SET, argv[1], argv[2], 0);
}

static int
cmdline_profile(struct dash *d, int argc, char **argv)
{
	char *cause = NULL;

	if (argc == 1)
		return dialog_profile_open(d);
	/* The same rule as -p, said at once, before the engine is asked. */
	if (profile_name_check(argv[1], &cause) != 0) {
		dash_set_status(d, 2, "%s", cause);
		free(cause);
		return DASH_REDRAW;
	}
	dash_set_status(d, 0, "switching to profile %s", argv[1]);
	return dash_send(d, ENGINE_CMD_PROFILE_SWITCH, argv[1], NULL, 0);
}

static int
cmdline_theme(struct dash *d, int argc, char **argv)
{
	(void)argc;
	d->theme_follows = 0; /* the user chose; profile switches keep it */
	return dash_switch_theme(d, argv[1]);
}

static int
cmdline_quit(struct dash *d, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (d->model->busy)
		return dialog_confirm_quit(
		    d, "An operation is still running. Quit anyway?");
	return DASH_QUIT;
}

static int
cmdline_interval(struct dash *d, int argc, char **argv)
{
	uint64_t ms;
	char *cause = NULL;

	(void)argc;
	if (units_parse_duration(argv[1], &ms, &cause) != 0 || ms < 100 ||
	    ms > 3600000) {
		dash_set_status(d, 2, "interval: %s",
		                cause != NULL ? cause
		                              : "must be from 100ms to 1h");
		free(cause);
		return DASH_REDRAW;
	}
	dash_set_status(d, 0, "refresh every %s", argv[1]);
	return dash_send(d, ENGINE_CMD_SET_INTERVAL, NULL, NULL, (long long)ms);
}

static int
cmdline_help(struct dash *d, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return dialog_help_open(d);
}

static int
cmdline_filter(struct dash *d, int argc, char **argv)
{
	return pane_containers_set_filter(d, argc > 1 ? argv[1] : NULL);
}
