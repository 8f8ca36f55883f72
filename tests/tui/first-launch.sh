#!/bin/sh
# The first launch (issue 12): with no VM yet, the dashboard opens on the
# VM pane, which says "press c to create", and its key bar shows c Create
# (on the Containers pane c would toggle compose grouping). With a VM,
# the Containers pane keeps the focus.
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$BERTH_SRCDIR/tests/tui/lib-tui.sh"

tui_setup
cat >"$BERTH_HOME/config/profiles/fresh.yaml" <<EOF2
vm:
  uri: test:///default
  domain: berth-fresh
docker:
  forward: none
  socket: $T_HOME/no-docker.sock
EOF2

tui_start 100 30 -- -p fresh
check "dashboard up, no VM" tui_wait 'press c to create' 10
check "the VM pane has the focus" tui_wait '^━ 1 VM ━' 5
like "its key bar shows c Create" "$(tui_cap | tail -n 2)" '(^| )c Create'
unlike_focus=$(tui_cap | grep -c '^━ 4 Containers')
is "the Containers pane does not" "$unlike_focus" 0
tui_keys q
is "quits" "$(tui_wait_exit 10)" 0

tui_profile withvm
tui_start 100 30 -- -p withvm
check "dashboard up, a running VM" tui_wait 'running +accel test' 10
tui_settle
check "with a VM the Containers pane keeps the focus" \
	tui_wait '^━ 4 Containers ━' 5
tui_keys q
is "quits" "$(tui_wait_exit 10)" 0
check "no sanitizer report" tui_stderr_clean
done_testing
