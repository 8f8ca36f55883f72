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
 * The file is read by the one YAML reader (conf-yaml.c). Errors come back
 * as file:line:col: message and nothing is applied.
 */

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    {ACT_CT_PROJECT_LOGS, "ct-project-logs", KEY_SCOPE_CONTAINERS, "P", NULL,
     "the merged logs of the container's compose project"},
    {ACT_CT_COPY, "ct-copy", KEY_SCOPE_CONTAINERS, "y", NULL,
     "copy the container's id to the clipboard (OSC 52)"},
    {ACT_CT_EXEC, "ct-exec", KEY_SCOPE_CONTAINERS, "x", NULL,
     "a shell in the container (docker exec: bash, else sh)"},

    {ACT_VIEW_BACK, "back", KEY_SCOPE_VIEW, "Esc q", "Back", "close the view"},

    {ACT_LOG_FOLLOW, "log-follow", KEY_SCOPE_LOGS, "f", "Follow",
     "follow new lines, or stop"},
    {ACT_LOG_SEARCH, "log-search", KEY_SCOPE_LOGS, "/", "Search",
     "search the logs"},
    {ACT_LOG_NEXT, "log-next", KEY_SCOPE_LOGS, "n", "Next", "next match"},
    {ACT_LOG_PREV, "log-prev", KEY_SCOPE_LOGS, "N", "Prev", "previous match"},
    {ACT_LOG_WRAP, "log-wrap", KEY_SCOPE_LOGS, "w", "Wrap",
     "wrap long lines, or cut them"},
    {ACT_LOG_TIMES, "log-times", KEY_SCOPE_LOGS, "t", "Time",
     "show each line's time, or hide it"},
    {ACT_LOG_SINCE, "log-since", KEY_SCOPE_LOGS, "T", "Since",
     "the lines from a time on (10m, 2h, 2024-05-01T10:00:00Z)"},
    {ACT_LOG_SAVE, "log-save", KEY_SCOPE_LOGS, "s", "Save",
     "save the lines held to a file"},
    {ACT_LOG_COPY, "log-copy", KEY_SCOPE_LOGS, "y", "Copy",
     "copy the matched line, else the last on screen (OSC 52)"},
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

/* Read the key names of one scalar ("q F10") into codes; 0 or -1. */
static int
keys_config_names(const yaml_node_t *v, const char *file,
                  const struct key_def *def, int *codes, int *n,
                  struct config_errors *errs)
{
	char *copy, *tok, *save = NULL;
	int code, bad = 0;

	copy = xstrdup(conf_yaml_scalar(v));
	for (tok = strtok_r(copy, " ", &save); tok != NULL;
	     tok = strtok_r(NULL, " ", &save)) {
		code = keys_parse(tok);
		if (code == -1) {
			conf_yaml_error(
			    errs, file, v,
			    "%s: unknown key '%s' (use a character, "
			    "C-x, F1-F12, Tab, BTab, Enter, Esc, "
			    "Space, "
			    "Up, Down, PgUp, PgDn, Home, End)",
			    def->name, tok);
			bad = 1;
		} else if (*n == KEYS_MAX) {
			conf_yaml_error(errs, file, v, "%s: at most %d keys",
			                def->name, KEYS_MAX);
			bad = 1;
		} else
			codes[(*n)++] = code;
	}
	free(copy);
	return bad ? -1 : 0;
}

/* Parse one value: a scalar of space-separated names, or a sequence. */
static int
keys_config_value(struct conf_yaml *y, const yaml_node_t *v, const char *file,
                  const struct key_def *def, int *codes, int *n,
                  struct config_errors *errs)
{
	const yaml_node_t *item;
	size_t i, count;
	int bad = 0;

	*n = 0;
	if (v->type == YAML_SCALAR_NODE)
		bad = keys_config_names(v, file, def, codes, n, errs) != 0;
	else if (v->type == YAML_SEQUENCE_NODE) {
		count = conf_yaml_count(v);
		for (i = 0; i < count; i++) {
			item = conf_yaml_item(y, v, i);
			if (conf_yaml_scalar(item) == NULL) {
				conf_yaml_error(errs, file, item,
				                "%s: expected a key name",
				                def->name);
				return -1;
			}
			if (keys_config_names(item, file, def, codes, n,
			                      errs) != 0)
				bad = 1;
		}
	} else {
		conf_yaml_error(errs, file, v,
		                "%s: expected a key name or a list of them",
		                def->name);
		return -1;
	}
	if (*n == 0 && !bad) {
		conf_yaml_error(errs, file, v, "%s: no key given", def->name);
		bad = 1;
	}
	return bad ? -1 : 0;
}

/* Within the keys: mapping; new bindings go to codes/ncodes. */
static int
keys_config_map(struct conf_yaml *y, const yaml_node_t *map, const char *file,
                int codes[][KEYS_MAX], int *ncodes, int *set,
                struct config_errors *errs)
{
	const struct key_def *def;
	const yaml_node_t *k, *v;
	const char *name;
	size_t i, n = conf_yaml_count(map);
	int rc = 0;

	for (i = 0; i < n; i++) {
		k = conf_yaml_key(y, map, i);
		v = conf_yaml_value(y, map, i);
		if ((name = conf_yaml_scalar(k)) == NULL) {
			conf_yaml_error(errs, file, k,
			                "keys: expected an action name");
			return -1;
		}
		def = keys_find(name);
		if (def == NULL) {
			const char *best = NULL;
			size_t j, d, bestd = 4;

			for (j = 0; j < keys_ntable; j++) {
				d = util_levenshtein(keys_table[j].name, name);
				if (d < bestd) {
					bestd = d;
					best = keys_table[j].name;
				}
			}
			conf_yaml_error(errs, file, k,
			                "keys: unknown action '%s'%s%s%s", name,
			                best != NULL ? " (did you mean '" : "",
			                best != NULL ? best : "",
			                best != NULL ? "'?)" : "");
			rc = -1;
		} else if (keys_config_value(y, v, file, def,
		                             codes[def->action],
		                             &ncodes[def->action], errs) != 0)
			rc = -1;
		else
			set[def->action] = 1;
	}
	return rc;
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

/* What reading config.yaml fills in. */
struct keys_config {
	const char *file;
	int (*codes)[KEYS_MAX];
	int *ncodes, *set;
	struct config_errors *errs;
	int rc;
};

/* A syntax error is libyaml's own words, at its position. */
static void
keys_syntax_error(const struct conf_yaml *y, const yaml_parser_t *parser,
                  int later, struct config_errors *errs)
{
	(void)later;
	config_errors_add(errs, y->file, (int)parser->problem_mark.line + 1,
	                  (int)parser->problem_mark.column + 1, "%s",
	                  parser->problem != NULL ? parser->problem
	                                          : "YAML error");
}

/* config.yaml is one document, like profiles and themes. */
static const struct conf_yaml_kind keys_yaml = {
    .one_document = "a config file holds one YAML document",
    .syntax = keys_syntax_error,
};

/* Find the keys: section in the root mapping; other sections are skipped. */
static void
keys_config_walk(struct conf_yaml *y, yaml_node_t *root, void *arg)
{
	struct keys_config *kc = arg;
	const yaml_node_t *v;
	const char *name;
	size_t i, n = root != NULL && root->type == YAML_MAPPING_NODE
	                  ? conf_yaml_count(root)
	                  : 0;

	for (i = 0; i < n; i++) {
		name = conf_yaml_scalar(conf_yaml_key(y, root, i));
		if (name == NULL || strcmp(name, "keys") != 0)
			continue;
		v = conf_yaml_value(y, root, i);
		if (v->type == YAML_MAPPING_NODE) {
			if (keys_config_map(y, v, kc->file, kc->codes,
			                    kc->ncodes, kc->set, kc->errs) != 0)
				kc->rc = -1;
		} else if (v->type != YAML_SCALAR_NODE ||
		           v->data.scalar.length != 0) {
			conf_yaml_error(kc->errs, kc->file, v,
			                "keys: expected a mapping of action to "
			                "key");
			kc->rc = -1;
		}
	}
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
	struct keys_config kc;
	char *buf, *cause = NULL;
	size_t i, len;
	int rc;

	keys_reset();
	if (access(file, F_OK) != 0 && errno == ENOENT)
		return 0;
	if ((buf = util_read_file(file, &len, &cause)) == NULL) {
		config_errors_add_cause(errs, file, cause);
		return -1;
	}
	memcpy(codes, keys_bound_codes, sizeof codes);
	memcpy(ncodes, keys_nbound, sizeof ncodes);
	memset(set, 0, sizeof set);
	memset(&kc, 0, sizeof kc);
	kc.file = file;
	kc.codes = codes;
	kc.ncodes = ncodes;
	kc.set = set;
	kc.errs = errs;
	rc = conf_yaml_read(buf, len, file, &keys_yaml, keys_config_walk, &kc,
	                    errs);
	free(buf);
	if (rc != 0 || kc.rc != 0)
		rc = -1;
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
