/*
 * keys.c: the ONE table of key bindings. Each action has a name (what
 * config.yaml's keys: section uses), a scope (global, a pane, a view), its
 * default keys, the word the F-key bar shows and a line of help. The loop,
 * the footer, the help screen, the man page and the remapping all read it.
 *
 * Remapping: ~/.config/berth/config.yaml
 *
 *   keys:
 *     ct-remove: D          # one key
 *     quit: [q, F10]        # or a list
 *
 * Errors come back as file:line:col: message and nothing is applied.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "tui/dashboard.h"

/* Every binding. Order within a scope is the order of the F-key bar. */
const struct key_def keys_table[] = {
    {ACT_NEXT_PANE, "next-pane", KEY_SCOPE_GLOBAL, "Tab", NULL,
     "focus the next pane"},
    {ACT_PREV_PANE, "prev-pane", KEY_SCOPE_GLOBAL, "BTab", NULL,
     "focus the previous pane"},
    {ACT_PANE_1, "pane-vm", KEY_SCOPE_GLOBAL, "1", NULL, "focus the VM pane"},
    {ACT_PANE_2, "pane-mounts", KEY_SCOPE_GLOBAL, "2", NULL,
     "focus the Mounts pane"},
    {ACT_PANE_3, "pane-socket", KEY_SCOPE_GLOBAL, "3", NULL,
     "focus the Socket pane"},
    {ACT_PANE_4, "pane-containers", KEY_SCOPE_GLOBAL, "4", NULL,
     "focus the Containers pane"},
    {ACT_ZOOM, "zoom", KEY_SCOPE_GLOBAL, "z", "Zoom",
     "zoom the focused pane; again to unzoom"},
    {ACT_COMMAND, "command", KEY_SCOPE_GLOBAL, ": F2", "Cmd",
     "command line (Tab completes)"},
    {ACT_PROFILE, "profile", KEY_SCOPE_GLOBAL, "p", "Profile",
     "pick and switch profile"},
    {ACT_REPAINT, "repaint", KEY_SCOPE_GLOBAL, "C-l", NULL,
     "repaint the whole screen"},
    {ACT_FASTER, "faster", KEY_SCOPE_GLOBAL, "+", NULL, "refresh more often"},
    {ACT_SLOWER, "slower", KEY_SCOPE_GLOBAL, "-", NULL, "refresh less often"},
    {ACT_HELP, "help", KEY_SCOPE_GLOBAL, "? F1", "Help", "show this help"},
    {ACT_QUIT, "quit", KEY_SCOPE_GLOBAL, "q F10", "Quit",
     "quit (asks while an operation runs)"},

    {ACT_UP, "up", KEY_SCOPE_MOVE, "k Up", NULL, "move up"},
    {ACT_DOWN, "down", KEY_SCOPE_MOVE, "j Down", NULL, "move down"},
    {ACT_PAGE_UP, "page-up", KEY_SCOPE_MOVE, "PgUp C-b", NULL, "page up"},
    {ACT_PAGE_DOWN, "page-down", KEY_SCOPE_MOVE, "PgDn C-f Space", NULL,
     "page down"},
    {ACT_TOP, "top", KEY_SCOPE_MOVE, "g Home", NULL, "go to the top"},
    {ACT_BOTTOM, "bottom", KEY_SCOPE_MOVE, "G End", NULL, "go to the bottom"},

    {ACT_VM_START, "vm-start", KEY_SCOPE_VM, "s", "Start", "start the VM"},
    {ACT_VM_STOP, "vm-stop", KEY_SCOPE_VM, "S", "Stop",
     "shut the VM down (asks)"},
    {ACT_VM_FORCE, "vm-force-stop", KEY_SCOPE_VM, "F", "Force",
     "force the VM off (asks)"},
    {ACT_VM_RESTART, "vm-restart", KEY_SCOPE_VM, "R", "Restart",
     "restart the VM (asks)"},
    {ACT_VM_EDIT, "vm-edit", KEY_SCOPE_VM, "e", "Edit",
     "edit vCPUs, memory and disk"},
    {ACT_VM_CREATE, "vm-create", KEY_SCOPE_VM, "c", "Create",
     "create the VM from its image (stages shown)"},

    {ACT_MOUNT_WATCH, "mount-watch", KEY_SCOPE_MOUNTS, "w", "Watch",
     "cycle watch mode: off, poll, native"},

    {ACT_SOCKET_RESTART, "socket-restart", KEY_SCOPE_SOCKET, "r", "Restart",
     "re-create the socket forward"},
    {ACT_CONTEXT_TOGGLE, "context-toggle", KEY_SCOPE_SOCKET, "c", "Context",
     "make the Docker context current or not"},

    {ACT_CT_START, "ct-start", KEY_SCOPE_CONTAINERS, "s", "Start",
     "start the container"},
    {ACT_CT_STOP, "ct-stop", KEY_SCOPE_CONTAINERS, "S", "Stop",
     "stop the container (asks)"},
    {ACT_CT_RESTART, "ct-restart", KEY_SCOPE_CONTAINERS, "r", "Restart",
     "restart the container"},
    {ACT_CT_REMOVE, "ct-remove", KEY_SCOPE_CONTAINERS, "d", "Remove",
     "remove the container (asks)"},
    {ACT_CT_LOGS, "ct-logs", KEY_SCOPE_CONTAINERS, "l", "Logs",
     "show the container's logs"},
    {ACT_CT_INSPECT, "ct-inspect", KEY_SCOPE_CONTAINERS, "Enter i", "Inspect",
     "show the container's details"},
    {ACT_CT_FILTER, "ct-filter", KEY_SCOPE_CONTAINERS, "/", "Filter",
     "filter by name, image or project"},
    {ACT_CT_SORT, "ct-sort", KEY_SCOPE_CONTAINERS, "o", "Sort",
     "sort by name, state, cpu, memory, uptime"},
    {ACT_CT_REVERSE, "ct-reverse", KEY_SCOPE_CONTAINERS, "O", NULL,
     "reverse the sort order"},
    {ACT_CT_GROUP, "ct-group", KEY_SCOPE_CONTAINERS, "c", "Group",
     "group containers by compose project"},

    {ACT_VIEW_BACK, "back", KEY_SCOPE_VIEW, "Esc q", "Back", "close the view"},

    {ACT_LOG_FOLLOW, "log-follow", KEY_SCOPE_LOGS, "f", "Follow",
     "follow new lines, or stop"},
    {ACT_LOG_SEARCH, "log-search", KEY_SCOPE_LOGS, "/", "Search",
     "search the logs"},
    {ACT_LOG_NEXT, "log-next", KEY_SCOPE_LOGS, "n", "Next", "next match"},
    {ACT_LOG_PREV, "log-prev", KEY_SCOPE_LOGS, "N", "Prev", "previous match"},
    {ACT_LOG_WRAP, "log-wrap", KEY_SCOPE_LOGS, "w", "Wrap",
     "wrap long lines, or cut them"},
};
const size_t keys_ntable = nitems(keys_table);

static const char *const keys_scope_names[KEY_SCOPE_NSCOPES] = {
    [KEY_SCOPE_GLOBAL] = "global",
    [KEY_SCOPE_MOVE] = "movement",
    [KEY_SCOPE_VM] = "VM pane",
    [KEY_SCOPE_MOUNTS] = "Mounts pane",
    [KEY_SCOPE_SOCKET] = "Socket pane",
    [KEY_SCOPE_CONTAINERS] = "Containers pane",
    [KEY_SCOPE_VIEW] = "logs and inspect views",
    [KEY_SCOPE_LOGS] = "logs view",
};

/* Names of the special keys; single printable characters name themselves. */
static const struct {
	const char *name;
	int code;
} keys_names[] = {
    {"Tab", '\t'},        {"BTab", KEY_BTAB},  {"S-Tab", KEY_BTAB},
    {"Enter", '\n'},      {"Esc", 27},         {"Space", ' '},
    {"Up", KEY_UP},       {"Down", KEY_DOWN},  {"Left", KEY_LEFT},
    {"Right", KEY_RIGHT}, {"PgUp", KEY_PPAGE}, {"PgDn", KEY_NPAGE},
    {"Home", KEY_HOME},   {"End", KEY_END},    {"Backspace", KEY_BACKSPACE},
    {"Del", KEY_DC},      {"Insert", KEY_IC},
};

static int keys_bound_codes[ACT_NACTIONS][KEYS_MAX];
static int keys_nbound[ACT_NACTIONS];

const char *
keys_scope_name(enum key_scope s)
{
	return keys_scope_names[s];
}

/* Key code for a name ("s", "C-l", "F10", "PgDn"), or -1. */
int
keys_parse(const char *name)
{
	size_t i;
	char *end;
	long n;

	if (name == NULL || *name == '\0')
		return -1;
	if (name[1] == '\0' && name[0] > ' ' && name[0] < 0x7f)
		return (unsigned char)name[0];
	for (i = 0; i < nitems(keys_names); i++) {
		if (strcasecmp(keys_names[i].name, name) == 0)
			return keys_names[i].code;
	}
	if ((name[0] == 'C' || name[0] == 'c') && name[1] == '-' &&
	    name[2] != '\0' && name[3] == '\0') {
		char c = name[2];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c >= 'a' && c <= 'z')
			return c - 'a' + 1;
		return -1;
	}
	if ((name[0] == 'F' || name[0] == 'f') && name[1] >= '1' &&
	    name[1] <= '9') {
		n = strtol(name + 1, &end, 10);
		if (*end == '\0' && n >= 1 && n <= 12)
			return KEY_F(n);
	}
	return -1;
}

/* The name of a key code, for the footer and help. */
const char *
keys_name(int code, char *buf, size_t size)
{
	size_t i;

	for (i = 0; i < nitems(keys_names); i++) {
		if (keys_names[i].code == code) {
			snprintf(buf, size, "%s", keys_names[i].name);
			return buf;
		}
	}
	if (code >= KEY_F(1) && code <= KEY_F(12))
		snprintf(buf, size, "F%d", code - KEY_F(0));
	else if (code >= 1 && code <= 26)
		snprintf(buf, size, "C-%c", 'a' + code - 1);
	else if (code > ' ' && code < 0x7f)
		snprintf(buf, size, "%c", code);
	else
		snprintf(buf, size, "#%d", code);
	return buf;
}

/* Bind a space-separated list of key names to an action. */
static int
keys_bind_list(enum key_action a, const char *list)
{
	char *copy = xstrdup(list), *tok, *save = NULL;
	int code;

	keys_nbound[a] = 0;
	for (tok = strtok_r(copy, " ", &save); tok != NULL;
	     tok = strtok_r(NULL, " ", &save)) {
		code = keys_parse(tok);
		if (code != -1 && keys_nbound[a] < KEYS_MAX)
			keys_bound_codes[a][keys_nbound[a]++] = code;
	}
	free(copy);
	return 0;
}

/* Back to the defaults of the table. */
void
keys_reset(void)
{
	size_t i;

	memset(keys_nbound, 0, sizeof keys_nbound);
	for (i = 0; i < keys_ntable; i++)
		keys_bind_list(keys_table[i].action, keys_table[i].keys);
}

const struct key_def *
keys_find(const char *name)
{
	size_t i;

	for (i = 0; i < keys_ntable; i++) {
		if (strcmp(keys_table[i].name, name) == 0)
			return &keys_table[i];
	}
	return NULL;
}

static int
keys_normalise(int ch)
{
	if (ch == '\r' || ch == KEY_ENTER)
		return '\n';
	if (ch == 127 || ch == 8)
		return KEY_BACKSPACE;
	return ch;
}

/* The action bound to ch, trying the scopes in order. */
enum key_action
keys_lookup(const enum key_scope *scopes, size_t nscopes, int ch)
{
	size_t s, i;
	int k;

	ch = keys_normalise(ch);
	for (s = 0; s < nscopes; s++) {
		for (i = 0; i < keys_ntable; i++) {
			enum key_action a = keys_table[i].action;

			if (keys_table[i].scope != scopes[s])
				continue;
			for (k = 0; k < keys_nbound[a]; k++) {
				if (keys_bound_codes[a][k] == ch)
					return a;
			}
		}
	}
	return ACT_NONE;
}

/* The keys bound to an action, up to max; returns how many. */
int
keys_bound(enum key_action a, int *out, int max)
{
	int i;

	for (i = 0; i < keys_nbound[a] && i < max; i++)
		out[i] = keys_bound_codes[a][i];
	return i;
}

/* "k/Up": the keys of an action joined by '/'; the caller frees it. */
char *
keys_describe(enum key_action a)
{
	char buf[32], out[160] = "";
	size_t len = 0;
	int i;

	for (i = 0; i < keys_nbound[a] && len < sizeof out - 1; i++) {
		len += (size_t)snprintf(
		    out + len, sizeof out - len, "%s%s", i > 0 ? "/" : "",
		    keys_name(keys_bound_codes[a][i], buf, sizeof buf));
	}
	return xstrdup(out);
}

/*
 * The next event; 0 on a syntax error. After an error libyaml keeps
 * returning success with empty events, which must not loop forever.
 */
static int
keys_next(yaml_parser_t *p, yaml_event_t *e)
{
	if (!yaml_parser_parse(p, e))
		return 0;
	if (e->type == YAML_NO_EVENT || p->error != YAML_NO_ERROR) {
		yaml_event_delete(e);
		return 0;
	}
	return 1;
}

/* Parse one value: a scalar of space-separated names, or a sequence. */
static int
keys_config_value(yaml_parser_t *p, yaml_event_t *ev, const char *file,
                  const struct key_def *def, int *codes, int *n,
                  struct config_errors *errs)
{
	yaml_event_t e;
	char *copy, *tok, *save = NULL;
	int code, bad = 0, seq = ev->type == YAML_SEQUENCE_START_EVENT;

	*n = 0;
	if (ev->type != YAML_SCALAR_EVENT && !seq) {
		config_errors_add(errs, file, (int)ev->start_mark.line + 1,
		                  (int)ev->start_mark.column + 1,
		                  "%s: expected a key name or a list of them",
		                  def->name);
		return -1;
	}
	for (;;) {
		if (seq) {
			if (!keys_next(p, &e))
				return -1;
			if (e.type == YAML_SEQUENCE_END_EVENT) {
				yaml_event_delete(&e);
				break;
			}
		} else
			e = *ev;
		if (e.type != YAML_SCALAR_EVENT) {
			config_errors_add(errs, file,
			                  (int)e.start_mark.line + 1,
			                  (int)e.start_mark.column + 1,
			                  "%s: expected a key name", def->name);
			if (seq)
				yaml_event_delete(&e);
			return -1;
		}
		copy = xstrdup((const char *)e.data.scalar.value);
		for (tok = strtok_r(copy, " ", &save); tok != NULL;
		     tok = strtok_r(NULL, " ", &save)) {
			code = keys_parse(tok);
			if (code == -1) {
				config_errors_add(
				    errs, file, (int)e.start_mark.line + 1,
				    (int)e.start_mark.column + 1,
				    "%s: unknown key '%s' (use a character, "
				    "C-x, F1-F12, Tab, BTab, Enter, Esc, "
				    "Space, "
				    "Up, Down, PgUp, PgDn, Home, End)",
				    def->name, tok);
				bad = 1;
			} else if (*n == KEYS_MAX) {
				config_errors_add(
				    errs, file, (int)e.start_mark.line + 1,
				    (int)e.start_mark.column + 1,
				    "%s: at most %d keys", def->name, KEYS_MAX);
				bad = 1;
			} else
				codes[(*n)++] = code;
		}
		free(copy);
		if (seq)
			yaml_event_delete(&e);
		else
			break;
	}
	if (*n == 0 && !bad) {
		config_errors_add(errs, file, (int)ev->start_mark.line + 1,
		                  (int)ev->start_mark.column + 1,
		                  "%s: no key given", def->name);
		bad = 1;
	}
	return bad ? -1 : 0;
}

/* Skip a whole node whose start event was just read. */
static int
keys_skip(yaml_parser_t *p, yaml_event_t *ev)
{
	yaml_event_t e;
	int depth;

	if (ev->type != YAML_MAPPING_START_EVENT &&
	    ev->type != YAML_SEQUENCE_START_EVENT)
		return 0;
	depth = 1;
	while (depth > 0) {
		if (!keys_next(p, &e))
			return -1;
		if (e.type == YAML_MAPPING_START_EVENT ||
		    e.type == YAML_SEQUENCE_START_EVENT)
			depth++;
		else if (e.type == YAML_MAPPING_END_EVENT ||
		         e.type == YAML_SEQUENCE_END_EVENT)
			depth--;
		yaml_event_delete(&e);
	}
	return 0;
}

/* Within the keys: mapping; new bindings go to codes/ncodes. */
static int
keys_config_map(yaml_parser_t *p, const char *file, int codes[][KEYS_MAX],
                int *ncodes, int *set, struct config_errors *errs)
{
	yaml_event_t k, v;
	const struct key_def *def;
	int rc = 0;

	for (;;) {
		if (!keys_next(p, &k))
			return -1;
		if (k.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&k);
			return rc;
		}
		if (k.type != YAML_SCALAR_EVENT) {
			config_errors_add(errs, file,
			                  (int)k.start_mark.line + 1,
			                  (int)k.start_mark.column + 1,
			                  "keys: expected an action name");
			yaml_event_delete(&k);
			return -1;
		}
		if (!keys_next(p, &v)) {
			yaml_event_delete(&k);
			return -1;
		}
		def = keys_find((const char *)k.data.scalar.value);
		if (def == NULL) {
			const char *best = NULL;
			size_t i, d, bestd = 4;

			for (i = 0; i < keys_ntable; i++) {
				d = util_levenshtein(
				    keys_table[i].name,
				    (const char *)k.data.scalar.value);
				if (d < bestd) {
					bestd = d;
					best = keys_table[i].name;
				}
			}
			config_errors_add(
			    errs, file, (int)k.start_mark.line + 1,
			    (int)k.start_mark.column + 1,
			    "keys: unknown action '%s'%s%s%s",
			    (const char *)k.data.scalar.value,
			    best != NULL ? " (did you mean '" : "",
			    best != NULL ? best : "",
			    best != NULL ? "'?)" : "");
			rc = -1;
			keys_skip(p, &v);
		} else if (keys_config_value(p, &v, file, def,
		                             codes[def->action],
		                             &ncodes[def->action], errs) != 0)
			rc = -1;
		else
			set[def->action] = 1;
		yaml_event_delete(&k);
		yaml_event_delete(&v);
	}
}

/*
 * Two actions that can be active at once must not share a key: the global
 * and movement scopes are seen from every pane and view.
 */
static int
keys_conflicts(const char *file, int codes[][KEYS_MAX], const int *ncodes,
               struct config_errors *errs)
{
	size_t i, j;
	int a, b, rc = 0;
	char buf[32];

	for (i = 0; i < keys_ntable; i++) {
		for (j = i + 1; j < keys_ntable; j++) {
			const struct key_def *x = &keys_table[i],
			                     *y = &keys_table[j];
			int shared = x->scope == y->scope ||
			             (x->scope <= KEY_SCOPE_MOVE &&
			              y->scope <= KEY_SCOPE_CONTAINERS) ||
			             (y->scope <= KEY_SCOPE_MOVE &&
			              x->scope <= KEY_SCOPE_CONTAINERS);

			if (!shared)
				continue;
			for (a = 0; a < ncodes[x->action]; a++) {
				for (b = 0; b < ncodes[y->action]; b++) {
					if (codes[x->action][a] !=
					    codes[y->action][b])
						continue;
					config_errors_add(
					    errs, file, 0, 0,
					    "keys: '%s' is bound to both %s "
					    "and %s",
					    keys_name(codes[x->action][a], buf,
					              sizeof buf),
					    x->name, y->name);
					rc = -1;
				}
			}
		}
	}
	return rc;
}

/*
 * Read the keys: section of a config file (missing file = defaults).
 * On any error nothing changes and errs says why, file:line:col.
 */
int
keys_load_config(const char *file, struct config_errors *errs)
{
	static int codes[ACT_NACTIONS][KEYS_MAX];
	int ncodes[ACT_NACTIONS], set[ACT_NACTIONS];
	yaml_parser_t p;
	yaml_event_t e, v;
	FILE *f;
	int rc = 0, depth = 0, done = 0;
	size_t i;

	keys_reset();
	if ((f = fopen(file, "r")) == NULL)
		return 0;
	memcpy(codes, keys_bound_codes, sizeof codes);
	memcpy(ncodes, keys_nbound, sizeof ncodes);
	memset(set, 0, sizeof set);
	yaml_parser_initialize(&p);
	yaml_parser_set_input_file(&p, f);
	while (!done) {
		if (!keys_next(&p, &e)) {
			config_errors_add(
			    errs, file, (int)p.problem_mark.line + 1,
			    (int)p.problem_mark.column + 1, "%s",
			    p.problem != NULL ? p.problem : "YAML error");
			rc = -1;
			break;
		}
		switch (e.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_MAPPING_START_EVENT:
			depth++;
			break;
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_SCALAR_EVENT:
			if (depth != 1)
				break;
			if (!keys_next(&p, &v)) {
				config_errors_add(
				    errs, file, (int)p.problem_mark.line + 1,
				    (int)p.problem_mark.column + 1, "%s",
				    p.problem != NULL ? p.problem
				                      : "YAML error");
				rc = -1;
				done = 1;
				break;
			}
			if (strcmp((const char *)e.data.scalar.value, "keys") ==
			    0) {
				if (v.type == YAML_MAPPING_START_EVENT) {
					if (keys_config_map(&p, file, codes,
					                    ncodes, set,
					                    errs) != 0)
						rc = -1;
				} else if (v.type != YAML_SCALAR_EVENT ||
				           v.data.scalar.length != 0) {
					config_errors_add(
					    errs, file,
					    (int)v.start_mark.line + 1,
					    (int)v.start_mark.column + 1,
					    "keys: expected a mapping of "
					    "action "
					    "to key");
					rc = -1;
				}
			} else
				keys_skip(&p, &v);
			yaml_event_delete(&v);
			break;
		default:
			break;
		}
		yaml_event_delete(&e);
	}
	yaml_parser_delete(&p);
	fclose(f);
	if (rc == 0 && keys_conflicts(file, codes, ncodes, errs) != 0)
		rc = -1;
	if (rc != 0)
		return -1;
	for (i = 0; i < ACT_NACTIONS; i++) {
		if (!set[i])
			continue;
		memcpy(keys_bound_codes[i], codes[i], sizeof codes[i]);
		keys_nbound[i] = ncodes[i];
	}
	return 0;
}
