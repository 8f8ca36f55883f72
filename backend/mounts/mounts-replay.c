/*
 * mounts-replay.c: make the guest kernel raise inotify events for host changes
 * that crossed a 9p/virtiofs share silently, without changing a byte of
 * content or the host file's times.
 *
 * For a changed file the guest (a) sets its attributes to what they
 * already are -> IN_ATTRIB, and/or (b) opens it for append and closes it
 * without writing (IN_OPEN + IN_CLOSE_WRITE, which tools that ignore
 * ATTRIB wait for). The host sees only its ctime move.
 *
 * (a) was first `touch -c -r F F` (utimensat with the file's own times),
 * but a Linux 9p client keeps the superblock's default one-second time
 * granularity, so the guest kernel truncates the times it sends and the
 * host file's mtime lost its fraction (measured on the test guest). A
 * chmod that keeps the mode raises the same IN_ATTRIB and changes no
 * time: `chmod -t` (or `+t` when the sticky bit is set, tested by the
 * shell itself), so no mode is ever read on one side and written on the
 * other. Forks are what cost in a TCG guest (tens of ms each), so the
 * script forks once per batch: one `chmod -t` for every path, the rest
 * shell builtins. The append open goes through /proc/self/fd of
 * a descriptor opened for reading first, so a file deleted on the host in
 * the meantime is never re-created. Creations and deletions are surfaced
 * on the parent directory (its own times rewritten). On a read-only mount
 * neither is possible; an open for reading (IN_OPEN + IN_CLOSE_NOWRITE)
 * is what is left.
 *
 * Folders are what recursive watchers act on (inotifywait -r, watchdog
 * and chokidar add a watch on IN_CREATE|IN_ISDIR or IN_MOVED_TO|IN_ISDIR
 * and drop one on IN_DELETE|IN_ISDIR), and a 9p client raises those only
 * for what the guest itself does. So a folder new on the host (the top of
 * a new tree) is renamed away and back in the guest: `mv -T NEW
 * .berth-mv.PID.K`, then back (IN_MOVED_FROM + IN_MOVED_TO|IN_ISDIR on
 * NEW). A directory rename never overwrites bytes (onto a non-empty
 * folder or a file it fails), -T keeps mv from moving into a folder that
 * appeared meanwhile, and berth's own watcher cannot see the dance (its
 * thread is waiting for this script; the inode, mtime and listing are
 * the same after). The files of the batch are replayed after a pause
 * (one `sleep` a batch), so the watcher has added its watch first. A
 * folder gone on the host (the top of a deleted tree) is made and removed
 * in the guest: mkdir fails when the name exists again and rmdir when the
 * folder is not empty, so nothing of the host's is ever removed; this
 * raises IN_CREATE|IN_ISDIR then IN_DELETE|IN_ISDIR. Files get no such
 * dance: a guest unlink cannot be tied to an inode, so a placeholder made
 * and removed could take a file the host wrote meanwhile with it, and a
 * file renamed away and back could overwrite one (berth(1), "Events").
 *
 * Transport: one guest-exec of /bin/sh per batch through the QEMU guest
 * agent, or one ssh session (mounts-replay-ssh.c). The script is a constant;
 * the paths travel as its standard input ("input-data", base64, for the agent),
 * one "OP PATH" line each, so no path is ever interpolated into a shell
 * command. The script only uses POSIX sh, chmod, xargs and wc, which busybox
 * and coreutils both have.
 */

#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <libvirt/libvirt.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>

#include "core/core.h"
#include "mounts/mounts.h"

/*
 * The guest side, POSIX sh (busybox ash, dash). Ops: a = attrib,
 * w = open for append, b = both, r = open for read; A and B for files
 * with the sticky bit (chmod +t keeps it); d = a new folder's rename
 * dance, D = a gone folder made and removed (they come first in a chunk;
 * two forks each, at most REPLAY_DANCE_MAX a pass). A rename back that
 * fails (the host made a non-empty folder of that name within the
 * dance) leaves the folder as .berth-mv.*: it is counted failed and
 * named on a "kept=" line, never overwritten. The attrib paths of a batch go
 * NUL-separated to ONE `chmod -t` through xargs; everything else is a
 * shell builtin, because a fork costs tens of milliseconds under TCG.
 * `[ -f ]` before an open keeps a FIFO from blocking the batch; the
 * append open goes through the descriptor opened for reading, so a file
 * deleted meanwhile is never re-created. Missing paths count as gone,
 * and so does a path the host deleted between the check and the open or
 * chmod (C locale, so chmod's ENOENT reads the same on every guest).
 */
const char replay_guest_script[] =
    "export LC_ALL=C\n"
    "exec 4>&1\n"
    "n=$(\n"
    "{\n"
    "ok=0 bad=0 gone=0 k=0 s=0\n"
    "while IFS= read -r l; do\n"
    "  o=${l%% *} p=${l#* }\n"
    "  case $s$o in 1[!dD]) s=2; sleep 0.2 ;; esac\n"
    "  case $o in\n"
    "  d) t=${p%/*}/.berth-mv.$$.$k k=$((k+1))\n"
    "     if [ ! -d \"$p\" ] || [ -L \"$p\" ]; then gone=$((gone+1))\n"
    "     elif [ -e \"$t\" ] || ! mv -T -- \"$p\" \"$t\"; then\n"
    "       if [ -e \"$p\" ]; then bad=$((bad+1)); else gone=$((gone+1)); fi\n"
    "     elif mv -T -- \"$t\" \"$p\"; then ok=$((ok+1)) s=1\n"
    "     else bad=$((bad+1)); echo \"kept=$t\" >&4; fi ;;\n"
    "  D) if [ -e \"$p\" ] || [ -L \"$p\" ] || ! mkdir -- \"$p\"; then\n"
    "       gone=$((gone+1))\n"
    "     elif rmdir -- \"$p\"; then ok=$((ok+1))\n"
    "     else bad=$((bad+1)); fi ;;\n"
    "  a) if [ -e \"$p\" ]; then printf '%s\\0' \"$p\"; ok=$((ok+1))\n"
    "     else gone=$((gone+1)); fi ;;\n"
    "  A) if chmod +t \"$p\"; then ok=$((ok+1))\n"
    "     elif [ -e \"$p\" ]; then bad=$((bad+1))\n"
    "     else gone=$((gone+1)); fi ;;\n"
    "  r) if [ -e \"$p\" ] && { :; } 3<\"$p\"; then ok=$((ok+1))\n"
    "     else gone=$((gone+1)); fi ;;\n"
    "  *) if [ ! -f \"$p\" ]; then gone=$((gone+1)); continue; fi\n"
    "     case $o in b) printf '%s\\0' \"$p\" ;; B) chmod +t \"$p\" ;; esac\n"
    "     if { : >>/proc/self/fd/3; } 3<\"$p\"; then ok=$((ok+1))\n"
    "     elif [ -e \"$p\" ]; then bad=$((bad+1))\n"
    "     else gone=$((gone+1)); fi ;;\n"
    "  esac\n"
    "done 2>/dev/null\n"
    "echo \"ok=$ok bad=$bad gone=$gone\" >&4\n"
    "} | xargs -0 -r chmod -t 2>&1 | grep -vc 'No such file or directory'\n"
    ")\n"
    "echo \"chmodfail=$n\"\n"
    "b=; read -r b 2>/dev/null </proc/sys/kernel/random/boot_id\n"
    "echo \"boot=$b\"\n";

/* The guest path of rel under the mount's guest folder (caller frees). */
char *
replay_map_path(const char *guest_root, const char *rel)
{
	size_t n = strlen(guest_root);

	while (n > 1 && guest_root[n - 1] == '/')
		n--;
	if (*rel == '\0')
		return xstrndup(guest_root, n);
	if (n == 1 && guest_root[0] == '/')
		return xasprintf("/%s", rel);
	return xasprintf("%.*s/%s", (int)n, guest_root, rel);
}

/* What a changed file gets for a mount's replay: setting. */
unsigned
replay_ops(enum profile_replay mode, int writable)
{
	if (!writable)
		return REPLAY_OP_READ;
	switch (mode) {
	case PROFILE_REPLAY_ATTRIB:
		return REPLAY_OP_ATTRIB;
	case PROFILE_REPLAY_CLOSE_WRITE:
		return REPLAY_OP_WRITE;
	default:
		return REPLAY_OP_ATTRIB | REPLAY_OP_WRITE;
	}
}

static void
replay_table_grow(struct replay_batch *b)
{
	size_t i, j, mask;

	free(b->table);
	b->tcap = b->tcap ? b->tcap * 2 : 256;
	b->table = xcalloc(b->tcap, sizeof *b->table);
	mask = b->tcap - 1;
	for (i = 0; i < b->n; i++) {
		for (j = util_hash(b->v[i].path, strlen(b->v[i].path)) & mask;
		     b->table[j] != 0; j = (j + 1) & mask)
			;
		b->table[j] = i + 1;
	}
}

/*
 * Add ops for a guest path (rel: host-relative, for the feedback guard).
 * The same path twice is one item with both ops: a burst of writes to a
 * file is one replay, and nothing is ever dropped.
 */
void
replay_batch_add(struct replay_batch *b, const char *path, const char *rel,
                 unsigned ops, int is_dir)
{
	replay_batch_add_mode(b, path, rel, ops, is_dir, 0);
}

/* The same, for a file whose sticky bit must survive the attrib op. */
void
replay_batch_add_mode(struct replay_batch *b, const char *path, const char *rel,
                      unsigned ops, int is_dir, int sticky)
{
	size_t j, mask;
	struct replay_item *it;

	if ((b->n + 1) * 2 > b->tcap)
		replay_table_grow(b);
	mask = b->tcap - 1;
	for (j = util_hash(path, strlen(path)) & mask; b->table[j] != 0;
	     j = (j + 1) & mask) {
		it = &b->v[b->table[j] - 1];
		if (strcmp(it->path, path) == 0) {
			it->ops |= ops;
			it->sticky = sticky;
			return;
		}
	}
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->v = xreallocarray(b->v, b->cap, sizeof *b->v);
	}
	it = &b->v[b->n++];
	it->path = xstrdup(path);
	it->rel = xstrdup(rel);
	it->ops = ops;
	it->is_dir = is_dir;
	it->sticky = sticky;
	b->table[j] = b->n;
}

/* The parent of a relative path ("" for a top-level name); caller frees. */
static char *
replay_parent(const char *rel)
{
	const char *slash = strrchr(rel, '/');

	return slash != NULL ? xstrndup(rel, (size_t)(slash - rel))
	                     : xstrdup("");
}

/* Whether path is an item of b. */
static int
replay_batch_has(const struct replay_batch *b, const char *path)
{
	size_t j, mask;

	if (b->tcap == 0)
		return 0;
	mask = b->tcap - 1;
	for (j = util_hash(path, strlen(path)) & mask; b->table[j] != 0;
	     j = (j + 1) & mask)
		if (strcmp(b->v[b->table[j] - 1].path, path) == 0)
			return 1;
	return 0;
}

/*
 * The folders of c created (or deleted: gone) whose parent was not, the
 * tops of new (gone) trees: a recursive watcher learns (forgets) the rest
 * of the tree with its top. Not the dance's own name, never the root.
 */
static void
replay_tops(const struct scan_changes *c, int gone, struct replay_batch *tops)
{
	struct replay_batch all = {0};
	const struct scan_change *ch;
	const char *base;
	char *parent;
	size_t i;

	for (i = 0; i < c->n; i++) {
		ch = &c->v[i];
		if (ch->type == SCAN_DIR &&
		    ch->kind == (gone ? SCAN_DELETED : SCAN_CREATED))
			replay_batch_add(&all, ch->path, ch->path, 0, 1);
	}
	for (i = 0; i < all.n && tops->n < REPLAY_DANCE_MAX; i++) {
		base = strrchr(all.v[i].path, '/');
		base = base != NULL ? base + 1 : all.v[i].path;
		if (*base == '\0' || strncmp(base, ".berth-mv.", 10) == 0)
			continue;
		parent = replay_parent(all.v[i].path);
		if (!replay_batch_has(&all, parent))
			replay_batch_add(tops, all.v[i].path, all.v[i].path, 0,
			                 1);
		free(parent);
	}
	replay_batch_clear(&all);
}

/*
 * Fold a pass's changes into the batch: files get the mount's ops,
 * directories and the parents of creations and deletions get their own
 * times rewritten (or are opened for reading on a read-only mount). On a
 * writable mount the tops of new and gone trees get their folder dance.
 */
void
replay_batch_add_changes(struct replay_batch *b, const char *guest_root,
                         const struct scan_changes *c, enum profile_replay mode,
                         int writable)
{
	unsigned fops = replay_ops(mode, writable);
	unsigned dops = writable ? REPLAY_OP_ATTRIB : REPLAY_OP_READ;
	struct replay_batch made = {0}, gone = {0};
	const struct scan_change *ch;
	char *g, *parent;
	size_t i;

	if (writable) {
		replay_tops(c, 0, &made);
		replay_tops(c, 1, &gone);
	}
	for (i = 0; i < c->n; i++) {
		ch = &c->v[i];
		b->changes++;
		if (ch->mtime_ns > b->newest_ns)
			b->newest_ns = ch->mtime_ns;
		if (ch->kind != SCAN_MODIFIED || ch->type == SCAN_DIR) {
			parent = replay_parent(ch->path);
			g = replay_map_path(guest_root, parent);
			replay_batch_add(b, g, parent, dops, 1);
			free(g);
			free(parent);
		}
		if (ch->kind == SCAN_DELETED) {
			if (ch->type == SCAN_DIR &&
			    replay_batch_has(&gone, ch->path)) {
				g = replay_map_path(guest_root, ch->path);
				replay_batch_add(b, g, ch->path,
				                 REPLAY_OP_RMDIR, 1);
				free(g);
			}
			continue;
		}
		g = replay_map_path(guest_root, ch->path);
		if (ch->type == SCAN_FILE)
			replay_batch_add_mode(b, g, ch->path, fops, 0,
			                      (ch->mode & S_ISVTX) != 0);
		else if (ch->type == SCAN_DIR)
			replay_batch_add_mode(
			    b, g, ch->path,
			    dops | (replay_batch_has(&made, ch->path)
			                ? REPLAY_OP_MKDIR
			                : 0),
			    1, (ch->mode & S_ISVTX) != 0);
		free(g);
	}
	replay_batch_clear(&made);
	replay_batch_clear(&gone);
}

void
replay_batch_clear(struct replay_batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		free(b->v[i].path);
		free(b->v[i].rel);
	}
	free(b->v);
	free(b->table);
	memset(b, 0, sizeof *b);
}

/* An item's op letter for the guest script. */
static char
replay_op_letter(const struct replay_item *it)
{
	char op;

	if (it->ops & REPLAY_OP_MKDIR)
		op = 'd';
	else if (it->ops & REPLAY_OP_RMDIR)
		op = 'D';
	else if ((it->ops & REPLAY_OP_ATTRIB) && (it->ops & REPLAY_OP_WRITE))
		op = it->sticky ? 'B' : 'b';
	else if (it->ops & REPLAY_OP_WRITE)
		op = 'w';
	else if (it->ops & REPLAY_OP_ATTRIB)
		op = it->sticky ? 'A' : 'a';
	else
		op = 'r';
	return op;
}

/*
 * The script's input for items [from, ...): "OP PATH\n" lines, stopping
 * before max_bytes, the folder dances of the chunk first (the files
 * after them wait for watchers to add their watches). *next is where the
 * next chunk starts; *skipped counts paths that cannot travel on a line
 * (a newline in the name). Returns the text (caller frees), length in
 * *len.
 */
char *
replay_batch_encode(const struct replay_batch *b, size_t from, size_t max_bytes,
                    size_t *next, size_t *len)
{
	char *out = xmalloc(max_bytes + 1);
	size_t i, end, n = 0, plen;
	const struct replay_item *it;
	int round;

	for (end = from; end < b->n; end++) {
		it = &b->v[end];
		if (strchr(it->path, '\n') != NULL)
			continue;
		plen = strlen(it->path);
		if (n + plen + 3 > max_bytes && n > 0)
			break;
		if (n + plen + 3 <= max_bytes)
			n += plen + 3;
	}
	n = 0;
	for (round = 0; round < 2; round++)
		for (i = from; i < end; i++) {
			it = &b->v[i];
			plen = strlen(it->path);
			if (strchr(it->path, '\n') != NULL ||
			    plen + 3 > max_bytes)
				continue; /* cannot travel on a line */
			if ((round == 0) !=
			    ((it->ops & (REPLAY_OP_MKDIR | REPLAY_OP_RMDIR)) !=
			     0))
				continue;
			out[n++] = replay_op_letter(it);
			out[n++] = ' ';
			memcpy(out + n, it->path, plen);
			n += plen;
			out[n++] = '\n';
		}
	out[n] = '\0';
	*next = end;
	*len = n;
	return out;
}

/* The first line of s that starts with key, or NULL. */
static const char *
replay_line(const char *s, const char *key)
{
	const char *p;

	for (p = s; (p = strstr(p, key)) != NULL; p++)
		if (p == s || p[-1] == '\n')
			return p;
	return NULL;
}

/*
 * Parse the script's output: "ok=N bad=N gone=N", "chmodfail=N" and
 * "boot=ID" lines ("kept=PATH" lines, which may hold anything, before).
 */
int
replay_parse_output(const char *s, struct replay_result *r)
{
	unsigned long long ok, bad, gone, cf = 0;
	const char *p;

	if (s == NULL || (p = replay_line(s, "ok=")) == NULL)
		return -1;
	if (sscanf(p, "ok=%llu bad=%llu gone=%llu", &ok, &bad, &gone) != 3)
		return -1;
	/* Failed chmods (one stderr line each) move from ok to failed. */
	if ((p = replay_line(s, "chmodfail=")) != NULL &&
	    sscanf(p, "chmodfail=%llu", &cf) == 1 && cf > ok)
		cf = ok;
	r->ok = ok - cf;
	r->failed = bad + cf;
	r->gone = gone;
	r->boot[0] = '\0';
	if ((p = replay_line(s, "boot=")) != NULL) {
		size_t n = strcspn(p + 5, " \n");

		if (n >= sizeof r->boot)
			n = sizeof r->boot - 1;
		memcpy(r->boot, p + 5, n);
		r->boot[n] = '\0';
	}
	return 0;
}

static const char replay_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Decode base64 (NUL-terminated result, caller frees); NULL if invalid. */
void *
replay_base64_decode(const char *s, size_t *len)
{
	size_t n = strlen(s), i, o = 0;
	unsigned char *out = xmalloc(n / 4 * 3 + 4);
	uint32_t v = 0;
	int bits = 0;
	const char *c;

	for (i = 0; i < n; i++) {
		if (s[i] == '=')
			break;
		if (s[i] == '\n' || s[i] == '\r')
			continue;
		if ((c = strchr(replay_b64, s[i])) == NULL || s[i] == '\0') {
			free(out);
			return NULL;
		}
		v = v << 6 | (uint32_t)(c - replay_b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(v >> bits);
		}
	}
	out[o] = '\0';
	if (len != NULL)
		*len = o;
	return out;
}

/*
 * The guest-exec request running `/bin/sh -c script berth [arg]` with
 * input as its standard input (caller frees).
 */
char *
replay_agent_request_for(const char *script, const char *arg, const char *input,
                         size_t len)
{
	json_t *req, *argv;
	char *b64 = util_base64_encode(input, len), *out;

	argv = json_pack("[s, s, s]", "-c", script, "berth");
	if (argv != NULL && arg != NULL)
		json_array_append_new(argv, json_string(arg));
	req = json_pack("{s:s, s:{s:s, s:o, s:s, s:b}}", "execute",
	                "guest-exec", "arguments", "path", "/bin/sh", "arg",
	                argv, "input-data", b64, "capture-output", 1);
	free(b64);
	if (req == NULL)
		fatal("jansson: cannot build a request");
	out = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (out == NULL)
		fatal("jansson: cannot encode a request");
	return out;
}

/* The guest-exec-status request for the command pid (caller frees). */
char *
replay_agent_status_request(long long pid)
{
	json_t *req;
	char *out;

	req = json_pack("{s:s, s:{s:I}}", "execute", "guest-exec-status",
	                "arguments", "pid", (json_int_t)pid);
	if (req == NULL)
		fatal("jansson: cannot build a request");
	out = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (out == NULL)
		fatal("jansson: cannot encode a request");
	return out;
}

/* The replay's guest-exec request for one chunk of input. */
char *
replay_agent_request(const char *input, size_t len)
{
	return replay_agent_request_for(replay_guest_script, NULL, input, len);
}

static void
replay_sleep_ms(unsigned ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/*
 * Run `/bin/sh -c script berth [arg]` in the guest with input on its
 * standard input: guest-exec, then guest-exec-status until it exited (its
 * status can be collected once), at most budget_ms. Blocks the calling
 * thread (a mount's watcher, never the UI) for the round trip. *out gets
 * its standard output (caller frees), *code its exit status.
 */
int
replay_agent_exec(struct _virDomain *dom, const char *script, const char *arg,
                  const char *input, size_t len, uint64_t budget_ms, char **out,
                  int *code, char **cause)
{
	char *req, *resp;
	json_t *j, *ret, *v;
	json_error_t err;
	long long pid;
	uint64_t t0 = util_mono_ms();
	unsigned nap = 2;
	int exited = 0;

	*out = NULL;
	*code = -1;
	req = replay_agent_request_for(script, arg, input, len);
	resp = virDomainQemuAgentCommand(dom, req, 10, 0);
	free(req);
	if (resp == NULL) {
		virErrorPtr e = virGetLastError();

		util_set_cause(cause, "guest agent: %s",
		               e != NULL && e->message != NULL ? e->message
		                                               : "no answer");
		return -1;
	}
	j = json_loads(resp, 0, &err);
	free(resp);
	ret = j != NULL ? json_object_get(j, "return") : NULL;
	v = ret != NULL ? json_object_get(ret, "pid") : NULL;
	if (!json_is_integer(v)) {
		util_set_cause(cause, "guest agent: guest-exec gave no pid");
		json_decref(j);
		return -1;
	}
	pid = json_integer_value(v);
	json_decref(j);

	while (!exited) {
		if (util_mono_ms() > t0 + budget_ms) {
			util_set_cause(
			    cause,
			    "guest agent: guest command still running after "
			    "%llu ms",
			    (unsigned long long)(util_mono_ms() - t0));
			return -1;
		}
		replay_sleep_ms(nap);
		if (nap < 50)
			nap *= 2;
		req = replay_agent_status_request(pid);
		resp = virDomainQemuAgentCommand(dom, req, 10, 0);
		free(req);
		if (resp == NULL) {
			virErrorPtr e = virGetLastError();

			util_set_cause(cause, "guest agent: %s",
			               e != NULL && e->message != NULL
			                   ? e->message
			                   : "no answer");
			return -1;
		}
		j = json_loads(resp, 0, &err);
		free(resp);
		ret = j != NULL ? json_object_get(j, "return") : NULL;
		if (ret == NULL) {
			json_decref(j);
			util_set_cause(cause, "guest agent: bad status reply");
			return -1;
		}
		exited = json_is_true(json_object_get(ret, "exited"));
		if (exited) {
			v = json_object_get(ret, "exitcode");
			*code = json_is_integer(v) ? (int)json_integer_value(v)
			                           : -1;
			v = json_object_get(ret, "out-data");
			if (json_is_string(v))
				*out = replay_base64_decode(
				    json_string_value(v), NULL);
		}
		json_decref(j);
	}
	return 0;
}
