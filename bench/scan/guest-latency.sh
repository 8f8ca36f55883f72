#!/bin/sh
# guest-latency.sh: boot berth's TCG test guest with a 9p share, run
# `berth watch -f` on it and measure host change -> in-guest replay
# latency (guest-latency.py), then check the guest's own inotify watcher
# saw the replays. Run from a build directory (BERTH, BERTH_SRCDIR).
. "${BERTH_SRCDIR:?}/tests/lib.sh"
. "$BERTH_SRCDIR/tests/vm/lib.sh"
tcg_or_skip
guest_paths >/dev/null 2>&1 || { echo "guest-latency: no test guest"; exit 1; }
t_home
W=$(mktemp -d "${TMPDIR:-/tmp}/berth-lat.XXXXXX")
DOM=berth-lat-$$
BG=
T_CLEANUP='[ -n "$BG" ] && kill $BG 2>/dev/null; guest_cleanup; rm -rf "$W"'
mkdir -p "$W/share"
for i in $(seq 1 50); do echo "file $i" >"$W/share/lat$i.txt"; done
guest_domxml "$DOM" "$W/share=share0" >"$W/dom.xml"
guest_start "$DOM" "$W/dom.xml" || exit 1
guest_wait_agent "$DOM" "$GUEST_URI" 120 || { echo "no agent"; exit 1; }
guest_inw_wait "$DOM" '^INW-READY$' 30
cat >"$BERTH_HOME/config/profiles/lat.yaml" <<P
vm:
  uri: $GUEST_URI
  domain: $DOM
mounts:
  - host: $W/share
    guest: /mnt/share0
    watch: off
    interval: ${INTERVAL:-1s}
P
"$BERTH" -p lat watch -f 1 on >"$W/watch.out" 2>&1 &
BG=$!
sleep 3
python3 "$BERTH_SRCDIR/bench/scan/guest-latency.py" "$W/share" "${N:-30}"
n=$(guest_inw_log "$DOM" | grep -c 'lat[0-9]*\.txt ATTRIB')
echo "guest inw saw $n ATTRIB events on lat*.txt (one per replay)"
echo "berth: $(tail -1 "$W/watch.out")"
