#!/bin/sh
# replay-ssh: polling mode's second transport, SSH. A private sshd
# (tests/env/sshd.sh) plays the guest, and the mount's guest folder G is a
# copy of the host folder S on this machine, watched by inw
# (tests/vm/inw.c). With transport: ssh:
#  - host edits in S, top-level and two folders down, raise CLOSE_WRITE
#    and ATTRIB on the same files in G, whose content and mtime stay;
#  - G's subfolders are held open (the pin script runs over SSH too);
#  - with sshd stopped the watcher says ssh's error and keeps the change
#    queued; once sshd is back the change is delivered, nothing lost;
#  - off lets go of the held folders;
#  - native mode replays one host modify once.
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

command -v ssh >/dev/null || skip_all "ssh client not installed"
command -v sshd >/dev/null || [ -x /usr/sbin/sshd ] ||
	skip_all "openssh-server not installed (tests/env/install-deps.sh)"
command -v cc >/dev/null || skip_all "no C compiler to build the watcher"

t_home
W=$T_HOME/w
S=$W/host
G=$W/guest
SSHD_DIR=$T_HOME/sshd
BG=
INW=
# Stop the watchers, sshd, and any folder holder left on G.
# Holders this test left in the host's /run/berth-pin (it plays the guest):
# stop them and drop their files.
unhold() {
	for _f in /run/berth-pin/*; do
		[ -f "$_f" ] || continue
		for _p in $(cat "$_f"); do
			if ls -l "/proc/$_p/fd" 2>/dev/null | grep -qF "$G"; then
				kill "$_p" 2>/dev/null
				rm -f "$_f"
			fi
		done
	done
	for _p in /proc/[0-9]*; do
		ls -l "$_p/fd" 2>/dev/null | grep -qF "$G" && kill "${_p#/proc/}" 2>/dev/null
	done
	return 0
}
T_CLEANUP='[ -n "$BG" ] && kill $BG 2>/dev/null; "$BERTH" -p rs watch --stop >/dev/null 2>&1; [ -n "$INW" ] && kill $INW 2>/dev/null; "$BERTH_SRCDIR/tests/env/sshd.sh" stop "$SSHD_DIR" >/dev/null 2>&1; unhold'
trap 'exit 1' INT TERM HUP
export HOME=$T_HOME/home
mkdir -p "$HOME" "$S/src/deep"
echo 'export const a = 1;' >"$S/app.js"
echo 'export default 1;' >"$S/src/deep/view.js"
cp -a "$S" "$G"

cc -O2 -o "$W/inw" "$BERTH_SRCDIR/tests/vm/inw.c" ||
	skip_all "the watcher (tests/vm/inw.c) does not build"
"$W/inw" -r "$G" >"$W/inw.log" 2>&1 &
INW=$!

# socket key wants an existing profile: a placeholder until the port is known.
printf 'vm:\n  ssh_user: %s\n' "$(id -un)" >"$T_HOME/config/profiles/rs.yaml"
"$BERTH" -p rs socket key >"$W/berth.pub" 2>"$W/key.err"
check "berth socket key makes the profile's key" test -s "$W/berth.pub"
SSHD_PORT=$("$BERTH_SRCDIR/tests/env/sshd.sh" start "$SSHD_DIR" "$W/berth.pub") ||
	skip_all "the private sshd did not start"
cat >"$T_HOME/config/profiles/rs.yaml" <<EOF2
vm:
  uri: test:///default
  domain: berth-no-such-domain
  ssh_user: $(id -un)
docker:
  ssh_host: 127.0.0.1
  ssh_port: $SSHD_PORT
mounts:
  - host: $S
    guest: $G
    watch: off
    interval: 300ms
    transport: ssh
EOF2

waitfor() { wait_until "${3:-20}" file_has "$1" "$2"; } # FILE PATTERN [SECONDS]
last() { tail -n 1 "$W/watch.out"; }
lastis() { wait_until "${2:-20}" last_has "$W/watch.out" "$1"; } # PATTERN [SECONDS]
# count: app.js CLOSE_WRITE events the guest's watcher logged; more N: above N.
count() { grep -c "$G/app\\.js CLOSE_WRITE" "$W/inw.log"; }
more() { [ "$(count)" -gt "$1" ]; }
stamp() { stat -c '%s %Y.%y' "$1"; md5sum <"$1"; }

check "the guest's watcher is ready" waitfor "$W/inw.log" '^INW-READY$'
"$BERTH" -p rs watch -f 1 on >"$W/watch.out" 2>"$W/watch.err" &
BG=$!
check "berth watch took its snapshot" waitfor "$W/watch.out" '^ready:'
check "the guest's 2 subfolders are held, over ssh" lastis ' pinned=2 via=ssh'

before_g=$(stamp "$G/app.js")
before_n=$(stamp "$G/src/deep/view.js")
echo 'export const a = 2;' >"$S/app.js"
echo 'export default 2;' >"$S/src/deep/view.js"
check "top-level edit: CLOSE_WRITE in the guest folder" waitfor "$W/inw.log" \
	"^INW [0-9.]+ $G/app\\.js CLOSE_WRITE"
check "nested edit: CLOSE_WRITE in the guest folder" waitfor "$W/inw.log" \
	"^INW [0-9.]+ $G/src/deep/view\\.js CLOSE_WRITE"
# The batch's ATTRIBs come after its CLOSE_WRITEs (one chmod at its end).
check "and ATTRIB" waitfor "$W/inw.log" "^INW [0-9.]+ $G/app\\.js ATTRIB"
is "the guest file's content and mtime are kept" "$(stamp "$G/app.js")" "$before_g"
is "the nested one's too" "$(stamp "$G/src/deep/view.js")" "$before_n"
check "the figures say ssh, nothing failed" lastis 'failed=0 .*via=ssh'

# sshd down: ssh's error, the change stays queued; back: delivered.
"$BERTH_SRCDIR/tests/env/sshd.sh" stop "$SSHD_DIR" >/dev/null 2>&1
n0=$(count)
echo 'export const a = 3;' >"$S/app.js"
check "sshd down: the watcher says ssh failed and keeps the change" \
	lastis 'queued=[1-9].*note: .*ssh .*(refused|closed|reset|timed out|failed)'
echo "# $(last | sed 's/.*note: //')"
"$BERTH_SRCDIR/tests/env/sshd.sh" restart "$SSHD_DIR" >/dev/null 2>&1
check "sshd back: the queued change is delivered" lastis 'queued=0 ' 30
check "the guest watcher heard it" wait_until 20 more "$n0"

# One berth at a time watches a mount: a second one stands by (no double
# replay, no fight over the guest's holders) and takes over when the
# first stops.
"$BERTH" -p rs watch -f 1 on >"$W/second.out" 2>&1 &
B2=$!
check "a second berth on the same mount stands by" \
	waitfor "$W/second.out" "watched by another berth \\(pid $BG\\)"
kill $BG 2>/dev/null
wait $BG 2>/dev/null
BG=$B2
check "and takes over when the first stops" \
	waitfor "$W/second.out" ' pinned=2 via=ssh$' 30

# off: the holders go.
"$BERTH" -p rs watch 1 off 2>/dev/null
# held: live processes holding a folder of G open (one being killed may
# still show its descriptors for a moment: settle asks twice in a row).
held() {
	for p in /proc/[0-9]*; do
		ls -l "$p/fd" 2>/dev/null | grep -qF "$G/src" &&
			alive "${p#/proc/}" && echo "${p#/proc/}"
	done
}
# show_holders PID...: what a failed check needs to tell why they stayed
# (comm, start time, parent; the pin files that list them).
show_holders() {
	for p in "$@"; do
		echo "# holder $p: $(ps -o stat=,lstart=,ppid=,comm=,cmd= -p "$p" | cut -c1-200)"
		grep -lx "$p" /run/berth-pin/* 2>/dev/null | sed 's/^/#   listed in /'
	done
	return 0
}
settle() {
	_i=0
	while [ $_i -lt 200 ]; do
		[ -z "$(held)" ] && sleep 0.3 && [ -z "$(held)" ] && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}
settle
h=$(held)
is "off lets go of the held folders" "$h" ""
show_holders $h
kill $BG 2>/dev/null
wait $BG 2>/dev/null
BG=

# In the background: berth watch -d keeps watching after its shell ends;
# a foreground watcher stands by for it; --stop ends it; turning the last
# mount off ends it too.
out=$("$BERTH" -p rs watch -d 1 on 2>&1)
like "watch -d starts a background watcher" "$out" \
	'watching in the background \(pid [0-9]+\)'
dpid=$(printf '%s\n' "$out" | sed -n 's/.*(pid \([0-9]*\)).*/\1/p' | head -1)
check "it runs on after the command returned" alive "$dpid"
like "the profile says poll" "$(cat "$T_HOME/config/profiles/rs.yaml")" 'watch: poll'
# An edit made before the detached watcher's first snapshot is part of
# it, not a change (it used to get 2 s, short on a loaded machine): edit
# again every 3 s until one is replayed, for 30 s at most.
replays_edit() {
	_n0=$(count)
	for _e in 1 2 3 4 5 6 7 8 9 10; do
		echo "export const a = 9$_e;" >"$S/app.js"
		wait_until 3 more "$_n0" && return 0
	done
	return 1
}
check "it replays a host edit" replays_edit
like "watch -d again says it already runs" \
	"$("$BERTH" -p rs watch -d 2>&1)" "already has a background watcher \\(pid $dpid\\)"
"$BERTH" -p rs watch -f 1 on >"$W/third.out" 2>&1 &
BG=$!
check "watch -f stands by for the background watcher" \
	waitfor "$W/third.out" "watched by another berth \\(pid $dpid\\)"
check "and shows the background watcher's figures" waitfor "$W/third.out" \
	"replayed=[1-9][0-9]* .*pinned=2 via=ssh note: watched by another berth \\(pid $dpid\\)"
like "watch --stop ends it" "$("$BERTH" -p rs watch --stop 2>&1)" \
	"background watcher \\(pid $dpid\\) stopped"
check "its process is gone" dead "$dpid" 100
check "the one standing by takes over" waitfor "$W/third.out" ' pinned=2 via=ssh$' 30
kill $BG 2>/dev/null
wait $BG 2>/dev/null
BG=
out=$("$BERTH" -p rs watch -d 2>&1)
dpid=$(printf '%s\n' "$out" | sed -n 's/.*(pid \([0-9]*\)).*/\1/p' | head -1)
check "watch -d with the profile's modes" alive "$dpid"
"$BERTH" -p rs watch 1 off 2>/dev/null
check "turning the last mount off ends it" dead "$dpid" 100
[ -n "$dpid" ] && kill "$dpid" 2>/dev/null

# transport: auto without a reachable guest agent (the profile's domain
# does not exist) goes over SSH.
sed 's/transport: ssh/transport: auto/' "$T_HOME/config/profiles/rs.yaml" \
	>"$T_HOME/config/profiles/ra.yaml"
"$BERTH" -p ra socket key >/dev/null 2>&1
cp "$T_HOME/state/rs/ssh/id_ed25519" "$T_HOME/state/rs/ssh/id_ed25519.pub" \
	"$T_HOME/state/ra/ssh/"
"$BERTH" -p ra watch -f 1 on >"$W/watch.out" 2>"$W/watch.err" &
BG=$!
check "auto: no guest agent, so over ssh" lastis ' pinned=2 via=ssh'
[ -n "${DEBUG:-}" ] && { sed "s/^/# out: /" "$W/watch.out"; sed "s/^/# err: /" "$W/watch.err"; }
"$BERTH" -p ra watch 1 off 2>/dev/null
settle
h=$(held)
is "auto: off lets go of the held folders" "$h" ""
show_holders $h
kill $BG 2>/dev/null
wait $BG 2>/dev/null
BG=

# Native mode: one host modify is replayed once. The pass inotify starts
# stats the file within racy_ms of its write, and its second look (the
# racy one) came after the replay, a second replay of the same modify.
"$BERTH" -p rs watch -f 1 native >"$W/watch.out" 2>"$W/watch.err" &
BG=$!
check "native: the watcher is up" lastis ' pinned=2 via=ssh'
twice=
for i in 1 2 3; do
	n0=$(count)
	echo "export const a = 1$i;" >"$S/app.js"
	wait_until 20 more "$n0"
	sleep 4 # the next passes, the cold one included
	[ "$(($(count) - n0))" -eq 1 ] || twice="$twice $i:$(($(count) - n0))"
done
is "native: each modify is replayed once" "${twice:-once}" once
"$BERTH" -p rs watch 1 off 2>/dev/null
settle
kill $BG 2>/dev/null
wait $BG 2>/dev/null
BG=

# A guest that floods: every command prints without end. berth stops
# reading at 16 MiB (what qemu-ga keeps of a guest-exec), says so, and
# its memory stays bounded.
SSHD_FORCE_COMMAND='yes flood' \
	"$BERTH_SRCDIR/tests/env/sshd.sh" restart "$SSHD_DIR" >/dev/null 2>&1
"$BERTH" -p rs watch -f 1 on >"$W/watch.out" 2>"$W/watch.err" &
BG=$!
check "a flooding guest: berth says the command printed too much" \
	waitfor "$W/watch.out" 'more than 16 MiB' 60
hwm=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$BG/status")
check "and its memory stays bounded (${hwm:-?} KiB < 200 MiB)" \
	[ "${hwm:-999999999}" -lt 204800 ]
"$BERTH" -p rs watch 1 off 2>/dev/null
kill $BG 2>/dev/null
wait $BG 2>/dev/null
BG=
done_testing
