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

tui_start 80 24 -- -p fresh
check "dashboard up, no VM" tui_wait 'press c to create' 10
check "the VM pane has the focus" tui_wait '^━ 1 VM ━' 10
# at 80 columns too: keys that cannot act on a VM not created give way
keybar() { tui_cap | tail -n 2; }
like_soon "its key bar shows c Create at 80 columns" '(^| )c Create' 10 keybar
bar=$(keybar)
unlike_start=$(printf '%s\n' "$bar" | grep -Ec '(^| )(s Start|S Stop|F Force|R Restart)')
is "and no start, stop, force or restart" "$unlike_start" 0
unlike_focus=$(tui_cap | grep -c '^━ 4 Containers')
is "the Containers pane does not" "$unlike_focus" 0
tui_keys q
tui_is_exit "quits" 0

tui_profile withvm
tui_start 100 30 -- -p withvm
check "dashboard up, a running VM" tui_wait 'running +accel test' 10
tui_settle
check "with a VM the Containers pane keeps the focus" \
	tui_wait '^━ 4 Containers ━' 10
tui_keys 1
check "its VM pane's bar offers s Start again" tui_wait '^s Start S Stop' 10
unlike_create=$(tui_cap | tail -n 2 | grep -c 'c Create')
is "and no c Create for a VM that exists" "$unlike_create" 0
tui_keys q
tui_is_exit "quits" 0
check "no sanitizer report" tui_stderr_clean
done_testing
