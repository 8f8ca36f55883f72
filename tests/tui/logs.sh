#!/bin/sh
# The logs tools of the dashboard against the real dockerd: y copies a
# container's id with OSC 52 (tmux with set-clipboard on keeps it as a
# paste buffer; with it off berth says the copy would be dropped), t shows
# the lines' times, y copies a log line (sanitized), s saves the lines
# to a file (never over one), T asks for the lines since a time, and P
# merges a compose project's logs by time with a coloured name per
# container (plain with NO_COLOR).
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$BERTH_SRCDIR/tests/tui/lib-tui.sh"

tui_need_docker
tui_setup
proj="tuilogs$$"
a="$TUI_TAG-a"
b="$TUI_TAG-b"
c="$TUI_TAG-c"
TUI_CONTAINERS="$a $b"
# a and b interleave in time (alpha-1, bravo-1, alpha-2), 2 s apart, from
# the same moment (the host's clock is theirs): a slow docker run cannot
# shift one against the other.
at=$(($(date +%s) + 10))
wait_at="while [ \$(date +%s) -lt $at ]; do sleep 0.1; done"
docker run -d --network none --name "$a" \
	--label "com.docker.compose.project=$proj" berth-busybox:test sh -c "
$wait_at; echo alpha-1; sleep 4
printf 'alpha-2 \\033[31mred\\033]52;c;ZXZpbA==\\007\\n'
trap 'exit 0' TERM; while :; do sleep 1; done" >/dev/null
docker run -d --network none --name "$b" \
	--label "com.docker.compose.project=$proj" berth-busybox:test sh -c "
$wait_at; sleep 2; echo bravo-1
trap 'exit 0' TERM; while :; do sleep 1; done" >/dev/null
tui_container "$c" sh -c 'echo charlie; trap "exit 0" TERM; while :; do sleep 1; done'
id_a=$(docker inspect -f '{{.Id}}' "$a")
wait_until 20 sh -c "docker logs $a 2>&1 | grep -q alpha-2"

tx() { tmux -S "$TUI_SOCK" "$@"; }
buffer() { tx show-buffer 2>/dev/null; }

tui_start 120 30 -- -p demo
check "dashboard up" tui_wait '4 Containers' 10
tui_keys / "$TUI_TAG" Enter
check "the test containers are listed" tui_wait "$c" 15

# --- y in the Containers pane ------------------------------------------------
tui_keys g
tx set -g set-clipboard on
tx delete-buffer 2>/dev/null
tui_keys y
check "y says what it copied" \
	tui_wait "copied $a's id $(echo "$id_a" | cut -c1-12) to the clipboard" 10
is_soon "y: the id reached tmux as OSC 52 (show-buffer)" "$id_a" 10 buffer
tx set -g set-clipboard external
tx delete-buffer 2>/dev/null
tui_keys y
check "y where tmux drops OSC 52 says so" \
	tui_wait 'not copied: tmux drops OSC 52 from programs: tmux set -g set-clipboard on' 10
is "and sends nothing" "$(buffer)" ""
tx set -g set-clipboard on

# P on a container of no project.
tui_keys G P
check "P on a container without a project says so" \
	tui_wait "$c is not part of a compose project" 10

# --- the logs view -----------------------------------------------------------
tui_keys g l
check "l opens a's logs" tui_wait "Logs: $a" 10
check "its lines arrive" tui_wait 'alpha-2' 10
check "the key bar shows the new keys" tui_wait 't Time T Since s Save y Copy' 10
tui_keys t
check "t shows each line's time before it" \
	tui_wait '^  [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z alpha-1$' 10
check "the title says so" tui_wait 'following, times' 10
want_t=$(docker logs -t "$a" 2>&1 | sed -n 's/^\(.*T[0-9:]*\.[0-9][0-9][0-9]\)[0-9]*Z alpha-1$/\1Z/p')
like "the time is the daemon's, to the millisecond" "$(tui_cap)" "^  $want_t alpha-1"
cap=$(tui_cap -e | grep -F "alpha-1")
# in the dim role's colours, the text after it in its own
like "the time is drawn in its own colours" "$cap" \
	"$(printf '\033')\\[[0-9;]+m$want_t$(printf '\033')\\[[0-9;]+m alpha-1"
tui_keys t
check "t again hides the times" tui_wait '^  alpha-1$' 10

# y: the last line on screen, sanitized (the OSC 52 the container printed
# is text, not a copy).
tx delete-buffer 2>/dev/null
tui_keys y
check "y in the logs says which line" tui_wait 'copied line 2 \(' 10
is_soon "y copies the last line, control characters as text" \
	'alpha-2 ^[[31mred^[]52;c;ZXZpbA==^G' 10 buffer
tui_keys / alpha-1 Enter
tx delete-buffer 2>/dev/null
tui_keys y
check "after a search, y copies the match" tui_wait 'copied line 1 \(' 10
is_soon "the matched line" 'alpha-1' 10 buffer

# s: save to a file.
tui_keys s
check "s offers ./NAME-DATE-TIME.log" tui_wait "save to: \\./$a-[0-9]{8}-[0-9]{6}\\.log" 10
tui_keys C-u "$T_HOME/saved.log" Enter
check "s says where and how many lines" tui_wait "saved 2 lines to $T_HOME/saved.log" 10
is "the file holds the lines" "$(cat "$T_HOME/saved.log" 2>&1)" \
	"$(printf 'alpha-1\nalpha-2 ^[[31mred^[]52;c;ZXZpbA==^G')"
is "and no temporary file is left" "$(ls "$T_HOME" | grep -c 'saved\.log\.')" 0
tui_keys t s C-u "$T_HOME/saved-t.log" Enter
check "s with times shown" tui_wait "saved 2 lines to $T_HOME/saved-t.log" 10
like "saves the times too" "$(head -1 "$T_HOME/saved-t.log")" "^$want_t alpha-1\$"
tui_keys t s C-u "$T_HOME/saved.log" Enter
check "s never replaces a file" tui_wait "not saved: $T_HOME/saved.log exists" 10
tui_keys s C-u "$T_HOME/no/such/dir/x.log" Enter
check "s into a missing folder says why" \
	tui_wait "not saved: $T_HOME/no/such/dir/x.log: cannot write in" 10

# T: the lines since a time.
tui_keys T
check "T asks since when" tui_wait 'since \(10m, 2h, ' 10
tui_keys C-u soon Enter
check "T with a bad time says why" tui_wait "bad time 'soon'" 10
tui_keys T C-u 1s Enter
check "T 1s: the older lines are gone" tui_wait_gone '^  alpha-1' 10
check "the title says since when" tui_wait 'following, since 1s' 10
tui_keys T C-u 1h Enter
check "T 1h: they are back" tui_wait '^  alpha-1$' 10
tui_keys T C-u Enter
check "T with nothing: the last lines again" tui_wait 'the last 1000 lines' 10
check "the title drops since" tui_wait_gone 'since 1h' 10
# ? lists the new keys with their help, from the key table.
tui_keys '?' G
check "? lists log-times" tui_wait "log-times +show each line's time" 10
check "? lists log-copy" tui_wait 'log-copy +copy the matched line' 10
check "? lists ct-project-logs" tui_wait 'ct-project-logs +the merged logs of' 10
tui_keys Escape
check "the help closes" tui_wait_gone 'log-times' 10
tui_keys Escape
check "Esc leaves the logs" tui_wait '4 Containers' 10

# --- P: the project's logs merged ---------------------------------------------
tui_keys g P
check "P opens the project's logs" tui_wait "Logs: project $proj" 10
check "its lines arrive" tui_wait 'alpha-2' 10
# b's lines come on a stream of their own: they may be merged in later
merged() { tui_line 3 5 | sed 's/ *$//'; }
is_soon "merged by time, each line after its container's name" \
	"$(printf '  %s alpha-1\n  %s bravo-1\n  %s alpha-2 ^[[31mred^[]52;c;ZXZpbA==^G' "$a" "$b" "$a")" \
	10 merged
# the SGR before each name: a colour, one per container
sgr() { tui_cap -e | grep -F "$1" | head -1 | sed "s/$(printf '\033')/E/g" | sed -n "s/.*\\(E\\[[0-9;]*m\\)$2.*/\\1/p"; }
ca=$(sgr alpha-1 "$a")
cb=$(sgr bravo-1 "$b")
like "a's name has a colour" "$ca" '3[0-9]'
like "b's name has a colour" "$cb" '3[0-9]'
check "each its own" [ "$ca" != "$cb" ]
tui_keys s C-u "$T_HOME/merged.log" Enter
check "s in merged logs" tui_wait "saved 3 lines to $T_HOME/merged.log" 10
is "the file has the names" "$(sed -n 2p "$T_HOME/merged.log")" "$b | bravo-1"
tui_keys q
check "q leaves them" tui_wait '4 Containers' 10
tui_keys q
tui_is_exit "berth exits 0" 0
check "no sanitizer report" tui_stderr_clean

# NO_COLOR: the names are still there, without colour.
tui_start 120 30 NO_COLOR=1 -- -p demo
check "dashboard up (NO_COLOR)" tui_wait '4 Containers' 10
tui_keys / "$TUI_TAG" Enter
check "listed (NO_COLOR)" tui_wait "$c" 15
tui_keys g P
check "P (NO_COLOR)" tui_wait "  $b bravo-1" 10
ca=$(sgr alpha-1 "$a")
case $ca in *3[0-9]*) not_ok "NO_COLOR: the name has no colour ($ca)" ;;
*) ok "NO_COLOR: the name has no colour" ;; esac
tui_keys q q
tui_is_exit "berth exits 0 (NO_COLOR)" 0

# Outside tmux, on a terminal whose terminfo has no Ms and that is not
# known to take OSC 52: y says the copy would be lost and sends nothing.
# (tmux sets TERM_PROGRAM too; berth would take it for a terminal that
# copies.)
tui_start 120 30 TERM=vt100 TMUX= TERM_PROGRAM= -- -p demo
check "dashboard up (vt100)" tui_wait 'Containers' 10
tx set -g set-clipboard on
tui_keys 4 / "$TUI_TAG" Enter
check "listed (vt100)" tui_wait "$c" 15
tx delete-buffer 2>/dev/null
tui_keys g y
check "y on a terminal without OSC 52 says so" \
	tui_wait 'not copied: the terminal \(TERM=vt100\) does not say it takes OSC 52' 10
is "and sends nothing" "$(buffer)" ""
tui_keys q
tui_is_exit "berth exits 0 (vt100)" 0

done_testing
