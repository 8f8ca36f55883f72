#!/bin/sh
# guest-pins.sh: what holding a 9p share's folders open costs, and that
# it works at size. Boots berth's TCG test guest with the benchmark tree
# (gen-tree.pl: 100,000 files in 6,000 folders) as a 9p share, starts
# `berth watch -f 1 off` (watch off holds the folders, issue 17) and
# reports:
#  - the time from the start until every folder is held (pinned=N), with
#    mounts[].hold_max raised above the folder count;
#  - the guest memory it takes (MemAvailable before/after, the holders'
#    own RSS) and the number of holder processes;
#  - QEMU's host descriptors and RSS before and after (its 9p server
#    keeps a host descriptor per open folder, up to its own limit);
#  - then `berth watch 1 on`, and:
#  - host change -> event of a watcher started in the guest AFTER the
#    pinning (`inw -r` on the whole share, 6,000 watches), for writes to
#    random files at depth >= 5: p50/p95 and how many it missed;
#  - the baseline, first, in the same boot: berth's replay without the
#    pins (the profile says type: virtiofs, so berth holds nothing; the
#    share stays 9p), same watcher, same kind of edits: a watch on a
#    subfolder of a cache=none 9p share hears nothing, so "missed" is the
#    point. NB (default 10) baseline edits, N (default 30) with pins.
# COST_ONLY=1 measures the holding alone (no baseline, no watcher).
# Run from a build directory (BERTH, BERTH_SRCDIR); the tree lives in
# ${BENCH_DIR:-/tmp/berth-bench-scan}.
. "${BERTH_SRCDIR:?}/tests/lib.sh"
. "$BERTH_SRCDIR/tests/vm/lib.sh"
tcg_or_skip
guest_paths >/dev/null 2>&1 || { echo "guest-pins: no test guest"; exit 1; }
t_home
B=${BENCH_DIR:-/tmp/berth-bench-scan}
mkdir -p "$B"
[ -d "$B/tree" ] || perl "$BERTH_SRCDIR/bench/scan/gen-tree.pl" "$B/tree"
W=$(mktemp -d "${TMPDIR:-/tmp}/berth-pins.XXXXXX")
DOM=berth-pins-$$
BG=
T_CLEANUP='[ -n "$BG" ] && kill $BG 2>/dev/null; guest_cleanup; rm -rf "$W"'
trap 'exit 1' INT TERM HUP
GUEST_MEM=${GUEST_MEM:-1024} guest_domxml "$DOM" "$B/tree=share0" >"$W/dom.xml"
guest_start "$DOM" "$W/dom.xml" || exit 1
guest_wait_agent "$DOM" "$GUEST_URI" 120 || { echo "no agent"; exit 1; }
guest_exec "$DOM" sh -c 'kill $(pidof inw) 2>/dev/null' # the boot-time one
avail() { guest_exec "$DOM" sh -c 'sed -n "s/^MemAvailable: *//p" /proc/meminfo'; }
sleep 2
before=$(avail)
QPID=$(cat "/run/libvirt/qemu/$DOM.pid" 2>/dev/null)
qemu_figs() { # descriptors and RSS of QEMU
	echo "$(ls "/proc/$QPID/fd" | wc -l) fds, $(sed -n 's/^VmRSS:[[:space:]]*//p' "/proc/$QPID/status")"
}
profile() { # TYPE [WATCH [HOLD_MAX]]
	cat >"$BERTH_HOME/config/profiles/pins.yaml" <<P
vm:
  uri: $GUEST_URI
  domain: $DOM
mounts:
  - host: $B/tree
    guest: /mnt/share0
    type: $1
    watch: ${2:-off}
    interval: ${INTERVAL:-1s}
    hold_max: ${3:-5000}
P
}
inw_start() { # LOG: a guest watcher on every folder, until it is ready
	guest_exec "$DOM" sh -c "inw -r /mnt/share0 >$1 2>&1 &"
	_t=$(date +%s)
	guest_log_wait "$DOM" "$1" '^INW-READY' 600
	echo "in-guest watcher (inw -r, every folder) ready after $(($(date +%s) - _t)) s"
}
measure() { # LOG N LABEL
	python3 "$BERTH_SRCDIR/bench/scan/guest-nested.py" "$B/tree" "$DOM" \
		"$1" "$2" "$3"
}

# --- baseline: the replay without pins (COST_ONLY=1: skipped) ---
if [ -z "${COST_ONLY:-}" ]; then
	profile virtiofs
	"$BERTH" -p pins watch -f 1 on >"$W/base.out" 2>&1 &
	BG=$!
	wait_until 600 file_has "$W/base.out" '^ready:'
	sleep 3
	inw_start /run/inw-base.log
	measure /run/inw-base.log "${NB:-10}" "without pins (baseline)"
	kill $BG
	wait $BG 2>/dev/null
	BG=
	guest_exec "$DOM" sh -c 'kill $(pidof inw) 2>/dev/null'
fi

# --- berth as it runs: every folder held, from watch off ---
profile 9p off 100000
qbefore=$(qemu_figs)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$(date +%s%N)
"$BERTH" -p pins watch -f 1 off >"$W/watch.out" 2>&1 &
BG=$!
# Every folder the watcher tracks (ignore: globs left out) held.
allheld() {
	tail -n 1 "$W/watch.out" |
		sed -n 's/.* dirs=\([0-9]*\) .* pinned=\([0-9]*\).*/\1 \2/p' |
		{ read -r d p && [ "$d" = "$p" ]; }
}
if ! wait_until 600 allheld; then
	echo "guest-pins: not every folder held after 600 s"
	tail -n 2 "$W/watch.out"
	exit 1
fi
t1=$(date +%s%N)
after=$(avail)
hold=$(guest_exec "$DOM" sh -c 'n=0 r=0; for f in /run/berth-pin/*; do for p in $(cat $f); do n=$((n+1)); r=$((r+$(sed -n "s/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p" /proc/$p/status))); done; done; echo "$n $r"')
ndirs=$(tail -n 1 "$W/watch.out" | sed -n 's/.* dirs=\([0-9]*\) .*/\1/p')
echo "folders: $ndirs; on -> all held: $(((t1 - t0) / 1000000)) ms (the first scan included)"
echo "guest MemAvailable: $before -> $after; holders: ${hold% *} processes, ${hold#* } kB RSS in all"
echo "QEMU: $qbefore -> $(qemu_figs); its limit: $(sed -n 's/^Max open files *//p' "/proc/$QPID/limits")"
echo "load average (1/5/15 min) at the start: $load0, now: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -z "${COST_ONLY:-}" ]; then
	"$BERTH" -p pins watch 1 on 2>/dev/null
	wait_until 10 file_has "$W/watch.out" 'profile says watch poll'
	inw_start /run/inw2.log
	measure /run/inw2.log "${N:-30}" "with pins"
fi
echo "berth: $(tail -n 1 "$W/watch.out")"
kill $BG
wait $BG 2>/dev/null
BG=

# --- the default limit: a new berth holds 5,000 and says so ---
profile 9p off
"$BERTH" -p pins watch -f 1 off >"$W/limit.out" 2>&1 &
BG=$!
wait_until 600 last_has "$W/limit.out" ' pinned=5000 of=6000'
echo "default hold_max: $(tail -n 1 "$W/limit.out")"
echo "guest holders: $(guest_exec "$DOM" sh -c 'cat /run/berth-pin/* | wc -l') processes; QEMU: $(qemu_figs)"
