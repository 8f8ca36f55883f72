/*
 * mounts-pin.c: keep the guest's dentries of a 9p share's directories alive.
 *
 * A Linux 9p client mounted cache=none (or mmap) never keeps an unused
 * dentry: once the last reference goes, the dentry is dropped and the
 * next lookup of the same directory makes a new inode. An inotify watch
 * holds the old inode, not the dentry, so a watch on a SUBFOLDER of the
 * share goes deaf after its first walk: events the replay raises land on
 * the new inode. The share's root is pinned by the mount, which is why
 * top-level files always worked. Measured on the test guest (Linux 6.1):
 * with an open descriptor on every directory, watches on nested folders
 * hear every replay; without, none (tests/vm/nested-watch-9p.sh).
 *
 * So berth keeps one open descriptor on every directory of a watched 9p
 * share, in small guest processes ("holders": a `sleep` that inherited up
 * to PIN_GROUP_MAX descriptors). The guest script (pin_guest_script) runs
 * through guest-exec like the replay, reads lines on its standard input,
 * and never interpolates a path into a command:
 *   P GROUP PATH   open PATH on the next descriptor of GROUP's holder
 *   K GROUP        stop GROUP's holders
 *   X PREFIX KEEP  stop every holder named PREFIX* but not KEEP*
 *   C PREFIX       say how many holders named PREFIX* are all alive
 * A group's directories are pinned by a new holder BEFORE the old one is
 * stopped: the new open finds the still-pinned dentry (the same inode the
 * watcher holds), where the other order would drop it for a moment.
 * Holders are named KEY-EPOCH-N: KEY from the guest folder, EPOCH new for
 * every full pin (at start, after a guest reboot, or to compact), so a
 * full pin ends with "X KEY- KEY-EPOCH-" and sweeps what an earlier berth
 * left behind.
 *
 * Directories deleted on the host are unpinned on the pass that sees it:
 * until then the guest keeps their dentries, so a guest `mkdir` of the
 * same name would say it exists. Watches placed before a directory was
 * pinned stay deaf; watchers started after berth holds the share (with
 * any watch mode, mounts-watcher.c) are fine. With a limit (hold_max) a
 * full pin holds the shallowest folders and the ones held already, and
 * the folder of a change is held on demand, up to twice the limit.
 */

#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/core.h"
#include "mounts/mounts.h"

/*
 * The guest side: bash when the guest has it, else /bin/sh, which must
 * take descriptors above 9 (busybox ash does, dash does not: then the
 * script says "unsupported=1" and berth shows it). A holder gets
 * /dev/null for its standard streams so guest-exec sees the end of its
 * output; `comm` is checked before a kill so a recycled pid is spared.
 * A holder's first folder is always descriptor 20, which a zombie no
 * longer has. The holder is /bin/sleep by path: a busybox shell built
 * "standalone" runs a bare `sleep` as an applet in the forked shell, whose comm
 * then says "sh" (seen on the test guest: holders were never stopped).
 * Under systemd a holder starts through `systemd-run --scope`, which execs
 * it in a scope of its own with the descriptors kept: in the agent's
 * service it would die with the agent (a qemu-guest-agent upgrade restarts
 * it), and the watchers on its folders would go deaf. Until the exec its
 * comm says "systemd-run", which counts as a holder too. Before its first
 * exec a new holder's comm is the script shell's own: the script waits
 * that out (execd: 1,000 quick looks, then up to 5 s more, 10 ms apart:
 * on a loaded machine the child may not run for longer than the quick
 * looks take, which test_pin saw under make -j2 at load 9), or a check
 * right after would count it dead and a stop would pass it by and leave
 * it holding. A stop waits the same way for a listed holder that has not
 * exec'd yet: it is another run's, still going in the guest (a run whose
 * ssh or guest-exec berth gave up on at its time limit, or a berth of
 * another profile sharing the folder), which wrote the pid before its
 * exec; passed by, its file removed, it held the folders for ever.
 */
const char pin_guest_script[] =
    "d=${BERTH_PIN_DIR:-/run/berth-pin}\n"
    "[ -d $d ] || mkdir -p $d || exit 1\n"
    "boot=; read -r boot 2>/dev/null </proc/sys/kernel/random/boot_id\n"
    "if ! (exec 19</) 2>/dev/null; then\n"
    "  echo \"pinned=0 failed=0 unsupported=1 boot=$boot\"; exit 0\n"
    "fi\n"
    "fd=20 g= ok=0 bad=0 sl=sleep me=\n"
    "read -r me 2>/dev/null </proc/$$/comm\n"
    "[ -x /bin/sleep ] && sl=/bin/sleep\n"
    "[ -d /run/systemd/system ] && command -v systemd-run >/dev/null 2>&1 &&\n"
    "  sl=\"systemd-run --scope --quiet --collect $sl\"\n"
    "execd() {\n"
    "  n=0\n"
    "  while [ $n -lt 1500 ]; do\n"
    "    c=; read -r c </proc/$1/comm 2>/dev/null\n"
    "    [ \"$c\" = \"$me\" ] || return 0; n=$((n+1))\n"
    "    [ $n -gt 1000 ] && sleep 0.01 2>/dev/null\n"
    "  done\n"
    "}\n"
    "flush() {\n"
    "  if [ $fd -gt 20 ]; then\n"
    "    $sl 2147483647 </dev/null >/dev/null 2>&1 &\n"
    "    h=$!\n"
    "    echo $h >>\"$d/$g\"\n"
    "    execd $h\n"
    "    while [ $fd -gt 20 ]; do fd=$((fd-1)); eval \"exec $fd<&-\"; done\n"
    "  fi\n"
    "  g=\n"
    "}\n"
    "stop() {\n"
    "  [ -f \"$1\" ] || return 0\n"
    "  while read -r pid; do\n"
    "    execd $pid\n"
    "    case $c in sleep|systemd-run) kill $pid 2>/dev/null ;; esac\n"
    "  done <\"$1\"\n"
    "  rm -f \"$1\"\n"
    "}\n"
    "while IFS= read -r l; do\n"
    "  o=${l%% *} r=${l#* }\n"
    "  case $o in\n"
    "  P) id=${r%% *} p=${r#* }\n"
    "     case $id in ''|*[!A-Za-z0-9_-]*) bad=$((bad+1)); continue ;; esac\n"
    "     [ \"$id\" = \"$g\" ] || { flush; g=$id; }\n"
    "     if [ $fd -lt 276 ] && [ -d \"$p\" ] &&\n"
    "        eval \"exec $fd<\\\"\\$p\\\"\" 2>/dev/null; then\n"
    "       fd=$((fd+1)) ok=$((ok+1))\n"
    "     else bad=$((bad+1)); fi ;;\n"
    "  K) flush\n"
    "     case $r in ''|*[!A-Za-z0-9_-]*) continue ;; esac\n"
    "     stop \"$d/$r\" ;;\n"
    "  X) flush\n"
    "     pre=${r%% *} keep=${r#* }\n"
    "     case $pre$keep in ''|*[!A-Za-z0-9_-]*) continue ;; esac\n"
    "     for f in \"$d/$pre\"*; do\n"
    "       case ${f##*/} in \"$keep\"*) ;; *) stop \"$f\" ;; esac\n"
    "     done ;;\n"
    "  C) case $r in ''|*[!A-Za-z0-9_-]*) continue ;; esac\n"
    "     held=0\n"
    "     for f in \"$d/$r\"*; do\n"
    "       [ -f \"$f\" ] || continue\n"
    "       all=1\n"
    "       while read -r pid; do\n"
    "         c=; read -r c </proc/$pid/comm 2>/dev/null\n"
    "         case $c in sleep|systemd-run) ;; *) all=0 ;; esac\n"
    "         [ -e /proc/$pid/fd/20 ] || all=0\n"
    "       done <\"$f\"\n"
    "       held=$((held+all))\n"
    "     done\n"
    "     echo \"holders=$held\" ;;\n"
    "  esac\n"
    "done\n"
    "flush\n"
    "echo \"pinned=$ok failed=$bad boot=$boot\"\n";

/* Run the script ($1) with bash when there is one. */
const char pin_guest_launcher[] = "for s in /bin/bash /usr/bin/bash; do\n"
                                  "  [ -x $s ] && exec $s -c \"$1\" berth-pin\n"
                                  "done\n"
                                  "exec /bin/sh -c \"$1\" berth-pin\n";

struct pin_entry {
	struct pin_entry *next;
	uint32_t group;
	char rel[];
};

struct pinset {
	char *guest_root;
	char key[16];   /* "m" + 8 hex digits of the guest folder */
	char epoch[24]; /* new for every full pin */
	unsigned epochs;
	struct pin_entry **bucket;
	size_t nbucket, n;
	uint32_t *live; /* directories per group number */
	size_t ngroups, groups_alive;
	uint32_t cur;    /* group new directories go to */
	int cur_open;    /* cur may take more this pass */
	int need_full;   /* the guest's holders are not known to be right */
	char boot[64];   /* the guest's boot id when pinned */
	uint32_t *dirty; /* groups that lost a directory this pass */
	size_t ndirty;
	size_t limit; /* most folders a full pin holds (SIZE_MAX: all) */
	size_t total; /* folders the share has, as the last pass saw */
};

struct pinset *
pinset_new(const char *guest_root)
{
	struct pinset *ps = xcalloc(1, sizeof *ps);

	ps->guest_root = xstrdup(guest_root);
	snprintf(ps->key, sizeof ps->key, "m%08x",
	         (unsigned)util_hash(guest_root, strlen(guest_root)));
	ps->nbucket = 1024;
	ps->bucket = xcalloc(ps->nbucket, sizeof *ps->bucket);
	ps->need_full = 1;
	ps->limit = SIZE_MAX;
	return ps;
}

/*
 * Hold at most limit folders from the start (SIZE_MAX: all); the others
 * are held on demand, up to twice the limit (pin_demand_max).
 */
void
pinset_set_limit(struct pinset *ps, size_t limit)
{
	ps->limit = limit;
}

/* Folders the share has (below its root), as the last plan saw. */
size_t
pinset_total(const struct pinset *ps)
{
	return ps->total;
}

/* The most folders held on demand with a limit: twice the limit. */
size_t
pin_demand_max(size_t limit)
{
	return limit > SIZE_MAX / 2 ? SIZE_MAX : 2 * limit;
}

static void
pinset_drop_all(struct pinset *ps)
{
	struct pin_entry *e, *next;
	size_t i;

	for (i = 0; i < ps->nbucket; i++) {
		for (e = ps->bucket[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
		ps->bucket[i] = NULL;
	}
	ps->n = 0;
	free(ps->live);
	ps->live = NULL;
	ps->ngroups = ps->groups_alive = 0;
	ps->cur_open = 0;
	ps->ndirty = 0;
}

void
pinset_free(struct pinset *ps)
{
	if (ps == NULL)
		return;
	pinset_drop_all(ps);
	free(ps->bucket);
	free(ps->dirty);
	free(ps->guest_root);
	free(ps);
}

const char *
pinset_key(const struct pinset *ps)
{
	return ps->key;
}

/* Directories pinned (as far as berth knows). */
size_t
pinset_count(const struct pinset *ps)
{
	return ps->n;
}

/* Holder groups alive in the guest (as far as berth knows). */
size_t
pinset_groups(const struct pinset *ps)
{
	return ps->groups_alive;
}

int
pinset_needs_full(const struct pinset *ps)
{
	return ps->need_full;
}

/* The guest's holders are gone or unknown: the next plan pins afresh. */
void
pinset_invalidate(struct pinset *ps)
{
	ps->need_full = 1;
}

/*
 * Compare the guest's boot id with the one the pins were made in: a new
 * boot lost every holder. Returns 1 when a full pin is now needed.
 */
int
pinset_check_boot(struct pinset *ps, const char *boot)
{
	if (boot == NULL || *boot == '\0')
		return ps->need_full;
	if (ps->boot[0] != '\0' && strcmp(ps->boot, boot) != 0)
		ps->need_full = 1;
	snprintf(ps->boot, sizeof ps->boot, "%s", boot);
	return ps->need_full;
}

/* Record the boot id a full pin was made in. */
void
pinset_set_boot(struct pinset *ps, const char *boot)
{
	if (boot != NULL && *boot != '\0')
		snprintf(ps->boot, sizeof ps->boot, "%s", boot);
}

static struct pin_entry **
pinset_slot(struct pinset *ps, const char *rel)
{
	struct pin_entry **pe;

	for (pe = &ps->bucket[util_hash(rel, strlen(rel)) & (ps->nbucket - 1)];
	     *pe != NULL; pe = &(*pe)->next) {
		if (strcmp((*pe)->rel, rel) == 0)
			break;
	}
	return pe;
}

static void
pinset_grow(struct pinset *ps)
{
	struct pin_entry **old = ps->bucket, *e, *next, **slot;
	size_t i, nold = ps->nbucket;

	ps->nbucket *= 2;
	ps->bucket = xcalloc(ps->nbucket, sizeof *ps->bucket);
	for (i = 0; i < nold; i++) {
		for (e = old[i]; e != NULL; e = next) {
			next = e->next;
			slot = &ps->bucket[util_hash(e->rel, strlen(e->rel)) &
			                   (ps->nbucket - 1)];
			e->next = *slot;
			*slot = e;
		}
	}
	free(old);
}

static void
pin_plan_add(struct pin_plan *pl, char *line, int is_pin)
{
	if (pl->n == pl->cap) {
		pl->cap = pl->cap ? pl->cap * 2 : 64;
		pl->line = xreallocarray(pl->line, pl->cap, sizeof *pl->line);
	}
	pl->line[pl->n++] = line;
	pl->pins += is_pin != 0;
}

/* A group number for the next directory: a new holder when full. */
static uint32_t
pinset_take_group(struct pinset *ps)
{
	if (!ps->cur_open || ps->live[ps->cur] >= PIN_GROUP_MAX) {
		ps->live =
		    xreallocarray(ps->live, ps->ngroups + 1, sizeof *ps->live);
		ps->cur = (uint32_t)ps->ngroups++;
		ps->live[ps->cur] = 0;
		ps->cur_open = 1;
		ps->groups_alive++;
	}
	ps->live[ps->cur]++;
	return ps->cur;
}

/* Pin rel in the current group (a P line), if it is not pinned yet. */
static void
pinset_add(struct pinset *ps, const char *rel, struct pin_plan *pl)
{
	struct pin_entry **pe = pinset_slot(ps, rel), *e;
	size_t len = strlen(rel);
	char *g;

	if (*pe != NULL || strchr(rel, '\n') != NULL)
		return;
	e = xmalloc(sizeof *e + len + 1);
	memcpy(e->rel, rel, len + 1);
	e->group = pinset_take_group(ps);
	e->next = NULL;
	*pe = e;
	ps->n++;
	g = replay_map_path(ps->guest_root, rel);
	pin_plan_add(pl,
	             xasprintf("P %s-%s-%u %s", ps->key, ps->epoch,
	                       (unsigned)e->group, g),
	             1);
	free(g);
	if (ps->n * 2 > ps->nbucket)
		pinset_grow(ps);
}

struct pin_collect {
	struct pinset *ps;
	struct pin_cand *v;
	size_t n, cap;
};

static void
pinset_full_cb(const char *rel, void *arg)
{
	struct pin_collect *c = arg;

	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 256;
		c->v = xreallocarray(c->v, c->cap, sizeof *c->v);
	}
	c->v[c->n].rel = rel;
	c->v[c->n].held = *pinset_slot(c->ps, rel) != NULL;
	c->v[c->n].order = c->n;
	c->n++;
}

static size_t
pin_depth(const char *rel)
{
	size_t d = 0;

	for (; *rel != '\0'; rel++)
		d += *rel == '/';
	return d;
}

static int
pin_cand_cmp(const void *a, const void *b)
{
	const struct pin_cand *x = a, *y = b;
	size_t dx, dy;

	if (x->held != y->held)
		return x->held ? -1 : 1;
	dx = pin_depth(x->rel);
	dy = pin_depth(y->rel);
	if (dx != dy)
		return dx < dy ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int
pin_cand_order_cmp(const void *a, const void *b)
{
	const struct pin_cand *x = a, *y = b;

	return x->order < y->order ? -1 : x->order > y->order;
}

/*
 * Which folders a full pin holds with a limit: v is reordered so that
 * the chosen come first, and their number is returned. Folders held
 * already come first (a full pin that compacts must not let go of what a
 * watcher may be using), up to pin_demand_max(limit); then the shallowest
 * (a watcher walks down from the top), in the snapshot's order, up to
 * the limit. The chosen keep the snapshot's order among themselves
 * (parents before children).
 */
size_t
pin_choose(struct pin_cand *v, size_t n, size_t limit)
{
	size_t held = 0, take, i;

	if (n <= limit)
		return n;
	qsort(v, n, sizeof *v, pin_cand_cmp);
	for (i = 0; i < n && v[i].held; i++)
		held++;
	if (held > pin_demand_max(limit))
		held = pin_demand_max(limit);
	take = held > limit ? held : limit;
	for (i = 0; i < n; i++)
		v[i].held = i < take; /* now: chosen */
	qsort(v, take, sizeof *v, pin_cand_order_cmp);
	return take;
}

/*
 * Pin every directory of the snapshot (up to the limit) afresh under a
 * new epoch, then stop every older holder of this folder (also an
 * earlier berth's).
 */
void
pinset_plan_full(struct pinset *ps, const struct scan *s, struct pin_plan *pl)
{
	struct pin_collect c = {ps, NULL, 0, 0};
	size_t i, take;
	char **rels;

	scan_each_dir(s, pinset_full_cb, &c);
	take = pin_choose(c.v, c.n, ps->limit);
	/* The names live in the snapshot, the held marks in ps: copy the
	 * chosen before the set is emptied. */
	rels = xcalloc(take + 1, sizeof *rels);
	for (i = 0; i < take; i++)
		rels[i] = xstrdup(c.v[i].rel);
	ps->total = c.n;
	free(c.v);
	pinset_drop_all(ps);
	snprintf(ps->epoch, sizeof ps->epoch, "%lx%x",
	         (unsigned long)time(NULL) & 0xffffff, ++ps->epochs);
	for (i = 0; i < take; i++) {
		pinset_add(ps, rels[i], pl);
		free(rels[i]);
	}
	free(rels);
	pin_plan_add(pl, xasprintf("X %s- %s-%s-", ps->key, ps->key, ps->epoch),
	             0);
	ps->cur_open = 0;
	ps->need_full = 0;
}

/* Did group g lose a folder this pass? */
static int
pinset_is_dirty(const struct pinset *ps, uint32_t g)
{
	size_t i;

	for (i = 0; i < ps->ndirty; i++) {
		if (ps->dirty[i] == g)
			return 1;
	}
	return 0;
}

static void
pinset_mark_dirty(struct pinset *ps, uint32_t g)
{
	if (pinset_is_dirty(ps, g))
		return;
	ps->dirty = xreallocarray(ps->dirty, ps->ndirty + 1, sizeof *ps->dirty);
	ps->dirty[ps->ndirty++] = g;
}

static void
pinset_remove(struct pinset *ps, const char *rel)
{
	struct pin_entry **pe = pinset_slot(ps, rel), *e = *pe;

	if (e == NULL)
		return;
	*pe = e->next;
	ps->n--;
	ps->live[e->group]--;
	pinset_mark_dirty(ps, e->group);
	free(e);
}

/* The folder holding rel (caller frees), NULL for the root's entries. */
static char *
pin_parent(const char *rel)
{
	const char *slash = strrchr(rel, '/');

	if (slash == NULL || slash == rel)
		return NULL;
	return xasprintf("%.*s", (int)(slash - rel), rel);
}

/* Hold rel now if the limit leaves room for it (on demand). */
static void
pinset_demand(struct pinset *ps, const char *rel, struct pin_plan *pl)
{
	if (ps->n < pin_demand_max(ps->limit))
		pinset_add(ps, rel, pl);
}

/*
 * Follow a pass's changes: new directories are pinned in a new holder;
 * a holder that lost a directory has its other directories pinned in a
 * new one first, then is stopped. With too many holders, pin afresh.
 */
void
pinset_plan_changes(struct pinset *ps, const struct scan_changes *c,
                    struct pin_plan *pl)
{
	const struct scan_change *ch;
	struct pin_entry *e, **moved = NULL;
	size_t i, nmoved = 0;
	char *parent;
	int is_dir;

	ps->cur_open = 0; /* one pass's new directories share a holder */
	for (i = 0; i < c->n; i++) {
		ch = &c->v[i];
		if ((ch->kind == SCAN_DELETED && ch->type == SCAN_DIR) ||
		    (ch->kind == SCAN_TYPE_CHANGED &&
		     ch->old_type == SCAN_DIR)) {
			pinset_remove(ps, ch->path);
			ps->total -= ps->total > 0;
		}
	}
	/* New folders are held at once; with a limit, so is the folder of
	 * any change (on demand), up to twice the limit. */
	for (i = 0; i < c->n; i++) {
		ch = &c->v[i];
		is_dir = (ch->kind == SCAN_CREATED ||
		          ch->kind == SCAN_TYPE_CHANGED) &&
		         ch->type == SCAN_DIR;
		ps->total += is_dir;
		if (is_dir)
			pinset_demand(ps, ch->path, pl);
		if (ch->kind != SCAN_DELETED && ps->n < ps->total &&
		    (parent = pin_parent(ch->path)) != NULL) {
			pinset_demand(ps, parent, pl);
			free(parent);
		}
	}
	/* Compact when holders outnumber what a fresh pin needs by far. */
	if (ps->groups_alive >
	    (ps->n + PIN_GROUP_MAX - 1) / PIN_GROUP_MAX + PIN_GROUPS_MAX)
		ps->need_full = 1;
	if (ps->ndirty == 0)
		return;
	/* Survivors of dirty groups move to the current holder. */
	for (i = 0; i < ps->nbucket; i++) {
		for (e = ps->bucket[i]; e != NULL; e = e->next) {
			if (!pinset_is_dirty(ps, e->group))
				continue;
			moved = xreallocarray(moved, nmoved + 1, sizeof *moved);
			moved[nmoved++] = e;
		}
	}
	for (i = 0; i < nmoved; i++) {
		char *g = replay_map_path(ps->guest_root, moved[i]->rel);

		ps->live[moved[i]->group]--;
		moved[i]->group = pinset_take_group(ps);
		pin_plan_add(pl,
		             xasprintf("P %s-%s-%u %s", ps->key, ps->epoch,
		                       (unsigned)moved[i]->group, g),
		             1);
		free(g);
	}
	free(moved);
	for (i = 0; i < ps->ndirty; i++) {
		pin_plan_add(pl,
		             xasprintf("K %s-%s-%u", ps->key, ps->epoch,
		                       (unsigned)ps->dirty[i]),
		             0);
		ps->groups_alive--;
	}
	ps->ndirty = 0;
}

/* A line asking how many of this epoch's holders are all alive. */
void
pinset_plan_check(const struct pinset *ps, struct pin_plan *pl)
{
	pin_plan_add(pl, xasprintf("C %s-%s-", ps->key, ps->epoch), 0);
}

/*
 * The guest's count of live holders against what berth made: fewer
 * means some died (the agent's service restarted, say): pin afresh.
 * Returns 1 when a full pin is now needed.
 */
int
pinset_check_holders(struct pinset *ps, long long holders)
{
	if (holders >= 0 && (size_t)holders < ps->groups_alive)
		ps->need_full = 1;
	return ps->need_full;
}

void
pin_plan_clear(struct pin_plan *pl)
{
	size_t i;

	for (i = 0; i < pl->n; i++)
		free(pl->line[i]);
	free(pl->line);
	memset(pl, 0, sizeof *pl);
}

/*
 * The script's input for lines [from, ...), stopping before max_bytes;
 * *next is where the next chunk starts. A line longer than a chunk is
 * left out. Returns the text (caller frees), its length in *len.
 */
char *
pin_plan_encode(const struct pin_plan *pl, size_t from, size_t max_bytes,
                size_t *next, size_t *len)
{
	char *out = xmalloc(max_bytes + 1);
	size_t i, n = 0, l;

	for (i = from; i < pl->n; i++) {
		l = strlen(pl->line[i]);
		if (n + l + 1 > max_bytes && n > 0)
			break;
		if (l + 1 > max_bytes)
			continue;
		memcpy(out + n, pl->line[i], l);
		n += l;
		out[n++] = '\n';
	}
	out[n] = '\0';
	*next = i;
	*len = n;
	return out;
}

/* Parse "[holders=N ]pinned=N failed=N [unsupported=1 ]boot=ID". */
int
pin_parse_output(const char *s, struct pin_result *r)
{
	unsigned long long ok, bad;
	long long holders;
	const char *p, *h;
	size_t n;

	memset(r, 0, sizeof *r);
	if (s == NULL || (p = strstr(s, "pinned=")) == NULL ||
	    sscanf(p, "pinned=%llu failed=%llu", &ok, &bad) != 2)
		return -1;
	r->pinned = ok;
	r->failed = bad;
	r->unsupported = strstr(p, "unsupported=1") != NULL;
	r->holders = -1;
	if ((h = strstr(s, "holders=")) != NULL &&
	    sscanf(h, "holders=%lld", &holders) == 1)
		r->holders = holders;
	if ((p = strstr(p, "boot=")) != NULL) {
		p += 5;
		n = strcspn(p, " \n");
		if (n >= sizeof r->boot)
			n = sizeof r->boot - 1;
		memcpy(r->boot, p, n);
		r->boot[n] = '\0';
	}
	return 0;
}
