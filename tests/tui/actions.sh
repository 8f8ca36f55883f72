#!/bin/sh
# Container actions from the dashboard against the real dockerd: stop
# through the confirm dialog (and the container really stops), cancel a
# remove, the logs view of a container printing escape sequences (shown as
# text: the screen and the terminal title stay clean), search and wrap in
# the logs, and the details view.
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$BERTH_SRCDIR/tests/tui/lib-tui.sh"

tui_need_docker
tui_setup
stopme="$TUI_TAG-stop"
noisy="$TUI_TAG-esc"
tui_container "$stopme" sh -c 'trap "exit 0" TERM; while :; do sleep 1; done'
# Colours, a title change (OSC 0), clear-screen and a bell, on stdout and
# stderr, then one long line for wrapping.
tui_container "$noisy" sh -c '
printf "\033[31mred\033[0m \033]0;pwned-title\007 \033[2J\033[H bell\007 out-1\n"
echo "needle on stderr" >&2
sleep 1  # stdout and stderr are separate pipes: keep their order certain
i=0; while [ $i -lt 30 ]; do echo "line-$i"; i=$((i+1)); done
printf "%s" "long-start"; i=0; while [ $i -lt 30 ]; do printf "%s" "-xxxxxxxxx"; i=$((i+1)); done; echo "-long-end"
echo "needle on stdout"
trap "exit 0" TERM; while :; do sleep 1; done'

TUI_CONTAINERS="$TUI_CONTAINERS $TUI_TAG-web"
docker run -d --network none --name "$TUI_TAG-web" \
	--label com.docker.compose.project=tuiproj \
	--label com.docker.compose.service=web berth-busybox:test \
	sh -c 'trap "exit 0" TERM; while :; do sleep 1; done' >/dev/null

state() { docker inspect -f '{{.State.Status}}' "$1" 2>/dev/null; }

tui_start 80 24 -- -p demo
check "dashboard up" tui_wait '4 Containers' 10
tui_keys / "$TUI_TAG" Enter
check "both test containers listed" tui_wait "$noisy" 15
check "stop-me listed" tui_wait "$stopme" 10

check "the compose container is listed" tui_wait "$TUI_TAG-web" 10

# Sort and group.
tui_keys o
check "o sorts by state" tui_wait 'sort state' 10
tui_keys O
check "O reverses" tui_wait 'sorted by state, reversed' 10
tui_keys O o o o o
check "o cycles back to name" tui_wait 'sort name' 10
tui_keys c
check "c groups by compose project" tui_wait '▾ tuiproj' 10
check "containers without a project have their group" \
	tui_wait '▾ \(no compose project\)' 10
under() { tui_cap | grep -A1 '▾ tuiproj' | tail -1; }
like_soon "the project's container is under its header" "$TUI_TAG-web" 10 under
tui_keys c
check "c again ungroups" tui_wait_gone '▾ tuiproj' 10

# Select stop-me (sorted by name: -esc, -stop, -web) and stop it.
tui_keys g j S
check "S asks for confirmation" tui_wait "Stop container $stopme\\?" 10
tui_keys n
check "n cancels" tui_wait_gone 'Confirm' 10
sleep 0.5
is "cancelled stop leaves it running" "$(state "$stopme")" running
tui_keys S
check "S asks again" tui_wait "Stop container $stopme\\?" 10
tui_keys y
_i=0
while [ "$_i" -lt 150 ] && [ "$(state "$stopme")" = running ]; do
	sleep 0.1
	_i=$((_i + 1))
done
is "y really stops the container" "$(state "$stopme")" exited
check "the table shows it exited" tui_wait "$stopme +[^ ]+ +exited" 10

tui_keys d
check "d asks before removing" tui_wait "Remove container $stopme" 10
tui_keys Escape
check "Esc cancels" tui_wait_gone 'Confirm' 10
is "container still there" "$(state "$stopme")" exited

# Logs of the noisy container.
tui_keys g l
check "logs view opens" tui_wait "Logs: $noisy" 10
check "logs arrive, following the end" tui_wait 'needle on stdout' 10
tui_keys g
check "g goes to the top of the logs" tui_wait 'out-1' 10
screen=$(tui_cap)
like "escape sequences are shown as text" "$screen" '\^\[\[31mred\^\[\[0m'
like "OSC title shown as text" "$screen" '\^\[\]0;pwned-title\^G'
title=$(tmux -S "$TUI_SOCK" display -p '#{pane_title}')
case $title in
*pwned*) not_ok "terminal title untouched (got '$title')" ;;
*) ok "terminal title untouched" ;;
esac
like "header still on screen (no clear-screen got through)" \
	"$(tui_cap | head -1)" 'berth +profile demo'
esc=$(printf '\033')
colours=$(tui_cap -e | grep -c "$esc\\[[0-9;]*31mred" || true)
is "no red text on screen" "$colours" 0

tui_keys / needle Enter
check "search finds the stderr line first" \
	tui_wait 'needle on stderr' 10
check "stderr line is marked" tui_wait '^▌ needle on stderr' 10
tui_keys n
check "n moves to the next match" tui_wait 'needle on stdout' 10
if tui_wait_gone 'needle on stderr' 10; then
	ok "the first match scrolled away"
else
	tui_cap | sed 's/^/# /'
	not_ok "the first match scrolled away"
fi
tui_keys N
check "N goes back to the previous match" tui_wait 'needle on stderr' 10
tui_keys w G
check "w wraps long lines" tui_wait 'following, wrap' 10
check "the long line's end is visible when wrapped" tui_wait '^(↪|>) +ong-end' 10
tui_keys w
if tui_wait_gone 'ong-end' 10; then
	ok "without wrap the long line is cut"
else
	tui_cap | sed 's/^/# /'
	not_ok "without wrap the long line is cut"
fi
tui_keys Escape
check "Esc leaves the logs" tui_wait '4 Containers' 10

tui_keys g Enter
check "Enter opens the details" tui_wait 'Details' 10
check "details show the image" tui_wait 'image +berth-busybox:test' 10
tui_keys q
check "q closes the details" tui_wait '4 Containers' 10

tui_keys q
tui_is_exit "q quits" 0
check "terminal sane" tui_stty_sane
check "no sanitizer report" tui_stderr_clean
done_testing
