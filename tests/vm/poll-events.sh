#!/bin/sh
# poll-events: which guest inotify events polling mode produces for each
# kind of host change, on the real TCG test guest with a recursive watcher
# (inw -r, which like inotifywait -r adds a watch on IN_CREATE|IN_ISDIR
# and IN_MOVED_TO|IN_ISDIR) running in the 9p share. The table asserted
# here is the one in berth(1), "Events" (what is produced, and what
# cannot be):
#   create file  ATTRIB, OPEN, CLOSE_WRITE on it; no CREATE
#   modify       ATTRIB, OPEN, CLOSE_WRITE on it, once; no MODIFY
#   delete file  ATTRIB on its folder; no DELETE
#   rename file  the new name as a create, the old as a delete; no MOVED_*
#   mkdir        MOVED_FROM + MOVED_TO,ISDIR on it (renamed away and
#                back): the watcher learns it and hears files made in it
#   rmdir        CREATE,ISDIR + DELETE,ISDIR on it (made and removed)
#   rename dir   the new name as a mkdir, the old as an rmdir
# and: an edit three folders deep is heard, the dance leaves no name and
# no changed byte on the host, and berth's own watcher does not replay
# its dance (each folder's MOVED_TO comes once).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

poll_guest_init pev
G=/mnt/share0
mkdir -p "$S/src/a/b" "$S/olddir/sub" "$S/dold"
echo 'export const c = 1;' >"$S/src/a/b/c.js"
echo 'gone' >"$S/gone.js"
echo 'renamed' >"$S/ren-old.js"
echo 'in a folder' >"$S/olddir/sub/f.js"
echo 'moved folder' >"$S/dold/m.js"

poll_guest_boot

cat >"$BERTH_HOME/config/profiles/pev.yaml" <<EOF
vm:
  uri: $GUEST_URI
  domain: $DOM
mounts:
  - host: $S
    guest: $G
    watch: off
    interval: 500ms
EOF

"$BERTH" -p pev watch -f 1 on >"$W/watch.out" 2>"$W/watch.err" &
BG=$!
wait_out() { wait_until "${2:-30}" last_has "$W/watch.out" "$1"; }
check "the share's 6 folders are pinned in the guest" wait_out ' pinned=6( |$)'

LOG=/run/inw-r.log
guest_exec "$DOM" sh -c "inw -r $G >$LOG 2>&1 &"
check "recursive watcher ready" guest_log_wait "$DOM" "$LOG" '^INW-READY$'
guest_exec "$DOM" ls -R "$G" >/dev/null # lookups drop unpinned dentries

# events_for PATH: the masks logged for PATH, in order, space separated.
events_for() {
	guest_exec "$DOM" cat "$LOG" | grep -E "^INW [0-9.]+ $1 " |
		awk '{ print $4 }' | tr '\n' ' '
}
# Guest-side marker: once it shows, every event raised before is logged.
n_marker=0
marker() {
	n_marker=$((n_marker + 1))
	guest_exec "$DOM" touch "$G/marker$n_marker" &&
		guest_log_wait "$DOM" "$LOG" \
			"^INW [0-9.]+ $G/marker$n_marker CREATE"
}
log_wait() { guest_log_wait "$DOM" "$LOG" "^INW [0-9.]+ $1 $2" "${3:-20}"; }
has() { # NAME EVENTS WORD...: each WORD is one of EVENTS' masks
	_n=$1 _e=" $2 "
	shift 2
	for _w; do
		case $_e in
		*" $_w "*) ;;
		*)
			not_ok "$_n: $_w (got: $_e)"
			return
			;;
		esac
	done
	ok "$_n"
}
lacks() { # NAME EVENTS PATTERN: no mask matches the grep -E PATTERN
	if printf '%s\n' $2 | grep -Eq -- "$3"; then
		not_ok "$1 (got: $2)"
	else
		ok "$1"
	fi
}
stamp() { (cd "$S" && find . -type f ! -name 'marker*' | sort | xargs md5sum); }

# --- modify, three folders deep: once ---
echo 'export const c = 2;' >"$S/src/a/b/c.js"
check "modify 3 deep: CLOSE_WRITE" log_wait "$G/src/a/b/c.js" CLOSE_WRITE
# --- create file ---
echo 'new' >"$S/new.js"
check "create: CLOSE_WRITE" log_wait "$G/new.js" CLOSE_WRITE
# --- delete file ---
rm "$S/gone.js"
# --- rename file ---
mv "$S/ren-old.js" "$S/ren-new.js"
check "rename: CLOSE_WRITE on the new name" log_wait "$G/ren-new.js" \
	CLOSE_WRITE
# --- mkdir, then a file in it ---
mkdir "$S/newdir"
check "mkdir: MOVED_TO,ISDIR" log_wait "$G/newdir" 'MOVED_TO,ISDIR'
echo 'inner' >"$S/newdir/inner.js"
check "a file in the new folder is heard" log_wait "$G/newdir/inner.js" \
	CLOSE_WRITE
# --- mkdir -p with a file, in one go ---
mkdir -p "$S/tree/x"
echo 'deep' >"$S/tree/x/f.js"
check "mkdir -p: MOVED_TO,ISDIR on its top" log_wait "$G/tree" \
	'MOVED_TO,ISDIR'
check "a file made with the new tree is heard" log_wait "$G/tree/x/f.js" \
	CLOSE_WRITE
# --- rmdir (a tree) ---
rm -rf "$S/olddir"
check "rmdir: DELETE,ISDIR" log_wait "$G/olddir" 'DELETE,ISDIR'
# --- rename a folder ---
mv "$S/dold" "$S/dnew"
check "folder renamed: MOVED_TO,ISDIR on the new name" log_wait "$G/dnew" \
	'MOVED_TO,ISDIR'
check "folder renamed: DELETE,ISDIR on the old name" log_wait "$G/dold" \
	'DELETE,ISDIR'
echo 'moved folder 2' >"$S/dnew/m.js"
check "a file in the renamed folder is heard" log_wait "$G/dnew/m.js" \
	CLOSE_WRITE
# Two more passes, then everything raised is in the log.
sleep 2
marker

ev=$(events_for "$G/src/a/b/c.js")
has "modify: ATTRIB OPEN CLOSE_WRITE" "$ev" ATTRIB OPEN CLOSE_WRITE
lacks "modify: no MODIFY (the replay never writes)" "$ev" '^MODIFY'
is "modify: replayed once" \
	"$(printf '%s\n' $ev | grep -c '^CLOSE_WRITE')" 1
ev=$(events_for "$G/new.js")
has "create: ATTRIB OPEN CLOSE_WRITE" "$ev" ATTRIB OPEN CLOSE_WRITE
lacks "create: no CREATE (cannot be made safely)" "$ev" '^CREATE'
ev=$(events_for "$G/gone.js")
is "delete file: nothing on the name (no DELETE)" "$ev" ""
ev=$(events_for "$G")
has "delete/create: ATTRIB,ISDIR on the folder" "$ev" ATTRIB,ISDIR
ev=$(events_for "$G/ren-new.js")
has "rename: new name ATTRIB OPEN CLOSE_WRITE" "$ev" ATTRIB OPEN CLOSE_WRITE
lacks "rename: no MOVED_TO on the new name" "$ev" MOVED
is "rename: nothing on the old name" "$(events_for "$G/ren-old.js")" ""
ev=$(events_for "$G/newdir")
has "mkdir: MOVED_FROM,ISDIR MOVED_TO,ISDIR" "$ev" MOVED_FROM,ISDIR \
	MOVED_TO,ISDIR
is "mkdir: danced once (berth does not replay its dance)" \
	"$(printf '%s\n' $ev | grep -c '^MOVED_TO')" 1
lacks "mkdir -p: only the top danced" "$(events_for "$G/tree/x")" MOVED
ev=$(events_for "$G/olddir")
has "rmdir: CREATE,ISDIR DELETE,ISDIR" "$ev" CREATE,ISDIR DELETE,ISDIR
lacks "rmdir: only the top" "$(events_for "$G/olddir/sub")" 'CREATE|DELETE'
ev=$(events_for "$G/dnew")
has "folder renamed: MOVED_TO,ISDIR" "$ev" MOVED_TO,ISDIR
is "folder renamed: danced once" \
	"$(printf '%s\n' $ev | grep -c '^MOVED_TO')" 1
is "no dance name is left on the host" \
	"$(find "$S" -name '.berth-mv.*')" ""
like "the watcher counted no failed replay" "$(tail -n 1 "$W/watch.out")" \
	'failed=0 '

# The dance changes no byte: the host tree before and after its replay.
before=$(stamp)
mkdir "$S/quiet"
echo 'q' >"$S/quiet/q.js"
after_host=$(stamp)
check "mkdir quiet: MOVED_TO,ISDIR" log_wait "$G/quiet" 'MOVED_TO,ISDIR'
check "its file heard" log_wait "$G/quiet/q.js" CLOSE_WRITE
is "the dance changed no byte on the host" "$(stamp)" "$after_host"
like "the host tree is the one made" "$after_host" 'quiet/q.js'
case $before in *quiet*) not_ok "stamp before has no quiet/" ;; *) ok "stamp before has no quiet/" ;; esac

if [ -n "${POLL_DEBUG:-}" ]; then
	guest_exec "$DOM" cat "$LOG" | sed 's/^/# log: /'
	sed 's/^/# watch.out: /' "$W/watch.out" | tail -5
	sed 's/^/# watch.err: /' "$W/watch.err"
fi
kill $BG 2>/dev/null
wait $BG 2>/dev/null
BG=
done_testing
