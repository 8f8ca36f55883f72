#!/bin/sh
# The Mounts pane driving polling mode on the real TCG test guest: `w`
# turns a 9p share's watch on from the keyboard and the selected mount's
# line shows the folders berth holds in the guest; a host edit two
# folders down wakes a watcher started in the guest after that, and the
# pane's figures move (replayed, latency); `w` `w` (native, off) lets the
# folders go, and the choice is saved to the profile.
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$BERTH_SRCDIR/tests/vm/lib.sh"
. "$BERTH_SRCDIR/tests/tui/lib-tui.sh"

tcg_or_skip
guest_paths >/dev/null 2>&1 || skip_all "tests/vm/build-guest.sh failed"
tui_setup
S=$T_HOME/share
DOM=berth-tuiw-$$
T_CLEANUP='tui_cleanup; guest_cleanup'
trap 'exit 1' INT TERM HUP
mkdir -p "$S/src/deep"
echo 'export default 1;' >"$S/src/deep/view.js"
echo 'top' >"$S/top.js"
GUEST_CONSOLE=$T_HOME/console.log guest_domxml "$DOM" "$S=share0" >"$T_HOME/dom.xml"
check "guest starts" guest_start "$DOM" "$T_HOME/dom.xml"
if ! guest_wait_agent "$DOM" "$GUEST_URI" 120; then
	not_ok "agent answers within 120 s"
	done_testing
	exit 1
fi
cat >"$BERTH_HOME/config/profiles/tw.yaml" <<EOF2
vm:
  uri: $GUEST_URI
  domain: $DOM
docker:
  forward: none
mounts:
  - host: $S
    guest: /mnt/share0
    watch: off   # w in the Mounts pane changes this
    interval: 500ms
EOF2

tui_start 120 40 -- -p tw
check "dashboard up, the guest running" tui_wait '^ running' 20
tui_keys 2
check "2 focuses the Mounts pane" tui_wait '^━ 2 Mounts' 10
check "the share is listed, watch off" tui_wait '/mnt/share0 +9p rw +watch off' 10
tui_keys w
check "w: watch poll" tui_wait '/mnt/share0 .*watch poll' 10
check "the pane shows the 2 folders held in the guest" \
	tui_wait '2 folders held in guest' 30
like "saved to the profile, comment kept" \
	"$(cat "$BERTH_HOME/config/profiles/tw.yaml")" 'watch: poll +# w in the Mounts'

guest_exec "$DOM" sh -c 'inw -r /mnt/share0/src >/run/inw2.log 2>&1 &'
gw() { guest_log_wait "$DOM" /run/inw2.log "$1"; } # PATTERN
check "a watcher in the guest is ready" gw '^INW-READY$'
echo 'export default 2;' >"$S/src/deep/view.js"
check "a host edit two folders down wakes it" \
	gw '^INW [0-9.]+ /mnt/share0/src/deep/view\.js CLOSE_WRITE'
check "the pane's figures moved: replayed, latency" \
	tui_wait 'replayed [1-9][0-9]*, queued 0 · latency [0-9]+ ms' 15

tui_keys w
check "w: watch native" tui_wait '/mnt/share0 .*watch native' 10
tui_keys w
check "w: watch off" tui_wait '/mnt/share0 .*watch off' 10
# Issue 17: the folders stay held with watch off while the VM runs, so a
# watcher started now still hears the next "on" (poll-pins.sh).
held=$(guest_exec "$DOM" ls /run/berth-pin 2>/dev/null)
sleep 2
like "off keeps the folders held while the VM runs" \
	"$(guest_exec "$DOM" ls /run/berth-pin 2>/dev/null)" '^m[0-9a-f]{8}-'
is "... the same holders" "$(guest_exec "$DOM" ls /run/berth-pin 2>/dev/null)" "$held"
check "the pane still shows them" tui_wait '2 folders held in guest' 10
like "off saved to the profile" "$(cat "$BERTH_HOME/config/profiles/tw.yaml")" \
	'watch: off'
tui_keys q
tui_is_exit "q quits" 0
done_testing
