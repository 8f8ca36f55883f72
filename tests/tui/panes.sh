#!/bin/sh
# The dashboard's panes on the demo profile (libvirt test:///default and the
# real dockerd): all four present at 80x24 and 160x48 (golden screens),
# focus with Tab, BTab and 1-4, zoom, the containers filter, and a resize
# from 160x48 to 60x20 (too small) and back.
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$BERTH_SRCDIR/tests/tui/lib-tui.sh"

tui_need_docker
tui_setup
tui_container "$TUI_TAG-web" sh -c 'trap "exit 0" TERM; while :; do sleep 1; done'

# The focused pane's title rule is drawn thick (━); the others thin (─).
focused() {
	tui_cap | grep -oE '(^|│)━ [0-9] [A-Z][A-Za-z]+ ' | grep -oE '[0-9]' | head -1
}

tui_start 80 24 -- -p demo
check "dashboard starts with the four panes" \
	tui_wait '4 Containers' 10
for p in '1 VM' '2 Mounts' '3 Socket' '4 Containers'; do
	check "pane '$p' is on screen at 80x24" tui_wait "$p" 10
done
check "VM pane shows the test domain running" tui_wait 'running +accel' 10
check "socket pane shows a healthy socket" tui_wait 'healthy ping' 10
check "our container is listed" tui_wait "$TUI_TAG-web" 15

# Filter the table down to our container so other tests' containers do not
# change the screen, then compare with the golden screen.
tui_keys / "$TUI_TAG" Enter
check "filter shows only our container" tui_wait "/$TUI_TAG  sort" 10
tui_wait "$TUI_TAG-web +berth-busybo[^ ]* +running +[0-9]" 10
tui_golden main-80x24

is "Containers has the focus at start" "$(focused)" 4
tui_keys Tab
is_soon "Tab moves the focus to VM" 1 10 focused
tui_keys Tab
is_soon "Tab again: Mounts" 2 10 focused
tui_keys BTab
is_soon "Shift-Tab goes back to VM" 1 10 focused
tui_keys 3
is_soon "3 focuses Socket" 3 10 focused
tui_keys 4
is_soon "4 focuses Containers" 4 10 focused
tui_keys 1
is_soon "1 focuses VM" 1 10 focused
bar() { tui_cap | tail -2; }
like_soon "the key bar shows the VM pane's keys" \
	's Start S Stop F Force R Restart e Edit' 10 bar

tui_keys z
tui_wait_gone '4 Containers' 10
screen=$(tui_cap)
like "zoom: the VM pane fills the screen" "$screen" '1 VM'
if printf '%s\n' "$screen" | grep -Eq '2 Mounts|3 Socket|4 Containers'; then
	not_ok "zoom hides the other panes"
else
	ok "zoom hides the other panes"
fi
tui_golden zoom-vm-80x24
tui_keys z
check "z again unzooms" tui_wait '4 Containers' 10

tui_keys 4
tui_resize 160 48
check "160x48: wide layout puts Containers beside VM" \
	tui_wait '1 VM .*│.*4 Containers' 10
tui_golden main-160x48
tui_resize 60 20
check "60x20: terminal too small" tui_wait 'terminal too small \(need 80x24\)' 10
tui_keys j k Tab
sleep 0.3
check "keys while too small do not crash" kill -0 "$(tui_pid)"
tui_resize 160 48
check "back to 160x48: panes again" tui_wait '1 VM .*│.*4 Containers' 10
tui_resize 80 24
check "back to 80x24: stacked" tui_wait '^━ 4 Containers' 10
tui_golden main-80x24-again

tui_keys q
tui_is_exit "q quits with status 0" 0
check "terminal sane after q" tui_stty_sane
check "no sanitizer report" tui_stderr_clean
done_testing
