#!/bin/sh
# poll-pins: a 9p share's folders are held from the start, whatever the
# watch mode (issue 17), against the real TCG test guest. berth runs with
# watch OFF (`berth watch -f MOUNT off` holds the folders and replays
# nothing, as the dashboard does), a recursive watcher is started in the
# guest then, and:
#  - with watch off, host edits still raise nothing in the guest;
#  - `berth watch MOUNT on` from another shell: an edit three folders deep
#    is heard by that watcher (CLOSE_WRITE); before issue 17 no folder was
#    held until polling was on, so the watch placed on the deep folder's
#    first inode went deaf;
#  - a folder made on the host is held at once, and a file written in it
#    is heard by a watcher that has a watch there;
#  - `berth watch MOUNT off` keeps the folders held (the same holder
#    processes), a folder made while off is held too, and on again still
#    reaches the watcher started at the beginning.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

poll_guest_init pins
mkdir -p "$S/one/two/three"
echo 'export default 1;' >"$S/one/two/three/deep.js"
echo 'top' >"$S/top.txt"

poll_guest_boot
guest_exec "$DOM" sh -c 'kill $(pidof inw) 2>/dev/null' # the boot-time one

cat >"$BERTH_HOME/config/profiles/pins.yaml" <<EOF
vm:
  uri: $GUEST_URI
  domain: $DOM
mounts:
  - host: $S
    guest: /mnt/share0
    watch: off
    interval: 500ms
EOF

wait_out() { wait_until "${2:-30}" last_has "$W/watch.out" "$1"; }
log_wait() { guest_log_wait "$DOM" "$1" "$2" "${3:-20}"; } # LOG PATTERN
holders() { guest_exec "$DOM" sh -c 'cat /run/berth-pin/* 2>/dev/null | sort'; }
debug() {
	tail -n 3 "$W/watch.out" | sed 's/^/# out: /'
	tail -n 3 "$W/watch.err" | sed 's/^/# err: /'
	guest_exec "$DOM" cat "$1" 2>/dev/null | tail -n 5 | sed 's/^/# guest: /'
}

# --- watch off: berth holds the folders, replays nothing ---
"$BERTH" -p pins watch -f 1 off >"$W/watch.out" 2>"$W/watch.err" &
BG=$!
check "watch off: the share's 3 folders are held in the guest" \
	wait_out ' pinned=3( |$)' 60 || debug /dev/null
like "nothing is replayed with watch off" "$(tail -n 1 "$W/watch.out")" \
	' replayed=0 '
held_off=$(holders)
check "holder processes recorded in /run/berth-pin" test -n "$held_off"

guest_exec "$DOM" sh -c 'inw -r /mnt/share0 >/run/inw-r.log 2>&1 &'
check "recursive watcher started while watch is off" \
	log_wait /run/inw-r.log '^INW-READY$'
# Lookups drop every dentry nothing holds: without the pins the deep
# folder would now have a new inode, not the one watched.
guest_exec "$DOM" ls -R /mnt/share0 >/dev/null
echo 'export default 2;' >"$S/one/two/three/deep.js"
sleep 2
guest_exec "$DOM" touch /mnt/share0/marker-off
log_wait /run/inw-r.log '^INW [0-9.]+ /mnt/share0/marker-off CREATE' >/dev/null
if guest_log_has "$DOM" /run/inw-r.log 'deep\.js'; then
	not_ok "watch off: a host edit raises nothing in the guest"
else
	ok "watch off: a host edit raises nothing in the guest"
fi

# --- on, from another shell: the watcher started while off hears it ---
"$BERTH" -p pins watch 1 on 2>"$W/on.err"
check "berth watch 1 on succeeds" test $? -eq 0
check "the running berth applied it" \
	wait_until 10 file_has "$W/watch.err" 'profile says watch poll'
sleep 1
echo 'export default 3;' >"$S/one/two/three/deep.js"
check "edit three folders deep: CLOSE_WRITE heard by the watcher started while off" \
	log_wait /run/inw-r.log \
	'^INW [0-9.]+ /mnt/share0/one/two/three/deep\.js CLOSE_WRITE' 30 ||
	debug /run/inw-r.log

# --- a folder made on the host is held at once ---
mkdir "$S/one/made"
check "a folder made on the host is held" wait_out ' pinned=4( |$)'
guest_exec "$DOM" sh -c 'inw /mnt/share0/one/made >/run/inw-made.log 2>&1 &'
check "a watcher of the new folder is ready" \
	log_wait /run/inw-made.log '^INW-READY$'
guest_exec "$DOM" ls -R /mnt/share0 >/dev/null
echo 'new' >"$S/one/made/new.js"
check "a file written in the new folder is heard there" \
	log_wait /run/inw-made.log \
	'^INW [0-9.]+ /mnt/share0/one/made/new\.js CLOSE_WRITE' 30 ||
	debug /run/inw-made.log

# --- off keeps them; a folder made while off is held too ---
held_on=$(holders)
"$BERTH" -p pins watch 1 off 2>"$W/off.err"
check "the running berth applied off" \
	wait_until 10 file_has "$W/watch.err" 'profile says watch off'
sleep 2
is "off keeps the same holder processes" "$(holders)" "$held_on"
mkdir "$S/one/two/while-off"
check "a folder made on the host while off is held" wait_out ' pinned=5( |$)'
guest_exec "$DOM" ls -R /mnt/share0 >/dev/null
"$BERTH" -p pins watch 1 on 2>/dev/null
ons() { [ "$(grep -c 'profile says watch poll' "$W/watch.err")" -ge "$1" ]; }
check "on again" wait_until 10 ons 2
sleep 1
echo 'export default 4;' >"$S/one/two/three/deep.js"
deep_heard() {
	[ "$(guest_exec "$DOM" cat /run/inw-r.log |
		grep -c '/mnt/share0/one/two/three/deep\.js CLOSE_WRITE')" -ge 2 ]
}
check "on again: the first watcher still hears the deep folder" \
	wait_until 30 deep_heard || debug /run/inw-r.log
kill $BG 2>/dev/null
wait $BG 2>/dev/null
BG=
check "holders outlive the berth that made them (stopping lets the guest keep them)" \
	test -n "$(holders)"
done_testing
