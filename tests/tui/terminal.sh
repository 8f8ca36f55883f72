#!/bin/sh
# Terminal hygiene: ASCII under LANG=C, no colour under NO_COLOR and
# --no-color, SIGHUP, SIGTERM, SIGQUIT, Ctrl-C and a crash leave a sane
# terminal (TERM=dumb is refused), Ctrl-Z
# suspends and the screen comes back whole, an unknown TERM falls back with
# a notice, and --max-iterations ends a headless run.
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$BERTH_SRCDIR/tests/tui/lib-tui.sh"

tui_need_docker
tui_setup
esc=$(printf '\033')

# LANG=C: every byte on screen is ASCII.
tui_start 80 24 LANG=C LC_ALL=C -- -p demo
check "LANG=C: dashboard up" tui_wait '4 Containers' 10
check "LANG=C: ASCII rules" tui_wait '^- 1 VM -' 10
nonascii=$(tui_cap | LC_ALL=C grep -c '[^ -~]' || true)
is "LANG=C: no byte outside printable ASCII" "$nonascii" 0
tui_keys q
tui_wait_exit 30 >/dev/null

# --ascii in a UTF-8 locale does the same.
tui_start 80 24 -- -p demo --ascii
check "--ascii: ASCII rules" tui_wait '^- 1 VM -' 10
nonascii=$(tui_cap | LC_ALL=C grep -c '[^ -~]' || true)
is "--ascii: no byte outside printable ASCII" "$nonascii" 0
tui_keys q
tui_wait_exit 30 >/dev/null

# NO_COLOR: attributes only, no colour escapes (39/49 are "default").
for how in NO_COLOR --no-color; do
	if [ "$how" = NO_COLOR ]; then
		tui_start 80 24 NO_COLOR=1 -- -p demo
	else
		tui_start 80 24 -- -p demo --no-color
	fi
	check "$how: dashboard up" tui_wait '4 Containers' 10
	n=$(tui_cap -e | grep -o "$esc\\[[0-9;]*m" | tr -d "$esc[m" | tr ';' '\n' |
		grep -Ec '^(3[0-8]|4[0-8]|9[0-7]|10[0-7])$' || true)
	is "$how: no colour escapes on screen" "$n" 0
	tui_keys q
	tui_wait_exit 30 >/dev/null
done

# With colour the same screen does use colours (the check above can fail).
tui_start 80 24 -- -p demo
check "colour: dashboard up" tui_wait '4 Containers' 10
coloured() {
	[ "$(tui_cap -e | grep -o "$esc\\[[0-9;]*m" | tr -d "$esc[m" | tr ';' '\n' |
		grep -Ec '^(3[0-8]|4[0-8]|9[0-7]|10[0-7])$' || true)" -gt 0 ]
}
check "colour: the default theme uses colours" wait_until 10 coloured

# Ctrl-L repaints: something else wrote on the terminal (a wall message).
tty=$(tmux -S "$TUI_SOCK" display -p '#{pane_tty}')
# berth's next update can land on it first (its relative cursor moves
# start from where it left the cursor, not where the garbage did): write
# it again until the screen shows it whole, up to 3 times.
garbage() {
	for _try in 1 2 3; do
		printf '\033[5;10HWALL-MESSAGE-GARBAGE' >"$tty"
		tui_wait 'WALL-MESSAGE-GARBAGE' 3 && return 0
	done
	return 1
}
check "garbage written over the screen" garbage
tui_keys C-l
check "Ctrl-L repaints it away" tui_wait_gone 'WALL-MESSAGE-GARBAGE' 10
like_soon "the VM pane is whole again" '^ Mem ' 10 tui_line 5

# Ctrl-Z suspends (the process stops), SIGCONT brings the screen back.
pid=$(tui_pid)
tui_keys C-z
_i=0
while [ "$_i" -lt 100 ] && [ "$(awk '{print $3}' /proc/"$pid"/stat)" != T ]; do
	sleep 0.1
	_i=$((_i + 1))
done
is "Ctrl-Z stops berth" "$(awk '{print $3}' /proc/"$pid"/stat)" T
tmux -S "$TUI_SOCK" send-keys -R \; clear-history
kill -CONT "$pid"
check "after SIGCONT the screen is repainted" tui_wait '^━ 4 Containers' 10
like_soon "the header is back too" 'berth +profile demo' 10 tui_line 1

# Ctrl-C quits (nothing is running).
tui_keys C-c
tui_is_exit "Ctrl-C quits with status 0" 0
check "terminal sane after Ctrl-C" tui_stty_sane

# SIGTERM, SIGHUP and SIGQUIT: the loop restores the terminal once (the
# alternate screen left, the cursor shown) and exits 128 + the signal. The
# bytes berth writes are recorded (tmux pipe-pane) to see the sequences.
rmcup=$(tput -T screen-256color rmcup)
cnorm=$(tput -T screen-256color cnorm)
for sig in TERM HUP QUIT; do
	tui_start 80 24 -- -p demo
	check "$sig: dashboard up" tui_wait '4 Containers' 10
	tui_record
	sleep 0.3
	kill -"$sig" "$(tui_pid)"
	code=$(tui_wait_exit 30)
	case $sig in
	TERM) is "SIGTERM exits with 143" "$code" 143 ;;
	HUP) is "SIGHUP exits with 129" "$code" 129 ;;
	QUIT) is "SIGQUIT exits with 131" "$code" 131 ;;
	esac
	check "terminal sane after SIG$sig (stty -a)" tui_stty_sane
	check "SIG$sig: the alternate screen is left at the end (rmcup)" \
		tui_raw_tail_has "$rmcup"
	check "SIG$sig: the cursor is shown again at the end (cnorm)" \
		tui_raw_tail_has "$cnorm"
	is "SIG$sig: the terminal is restored once" "$(tui_raw_count "$rmcup")" 1
	check "no sanitizer report after SIG$sig" tui_stderr_clean
done

# A HUP with the mouse on turns mouse reporting off too.
tui_start 80 24 -- -p demo --mouse
check "--mouse HUP: dashboard up" tui_wait '4 Containers' 10
tui_record
sleep 0.3
kill -HUP "$(tui_pid)"
tui_is_exit "--mouse HUP: exit 129" 129
check "--mouse HUP: mouse reporting off at the end" \
	tui_raw_tail_has "$(printf '\033[?1000l')"
check "--mouse HUP: alternate screen left" tui_raw_tail_has "$rmcup"

# A crash (abort(), a segfault) restores the terminal from its handler
# before the default action (here kill sends them; the core is off).
for sig in ABRT SEGV; do
	tui_start 80 24 -- -p demo --mouse
	check "SIG$sig: dashboard up" tui_wait '4 Containers' 10
	tui_record
	sleep 0.3
	kill -"$sig" "$(tui_pid)"
	code=$(tui_wait_exit 30)
	if [ "$sig" = ABRT ]; then
		is "SIGABRT: killed by the signal (134)" "$code" 134
	else
		# a sanitizer's own handler reports and exits 1 instead, or
		# aborts (134) with ASAN_OPTIONS=abort_on_error=1 as ./check sets
		like "SIGSEGV: killed by the signal (139)" "$code" '^(139|134|1)$'
	fi
	check "SIG$sig: the alternate screen is left (rmcup)" \
		tui_raw_tail_has "$rmcup"
	check "SIG$sig: the cursor is shown again (cnorm)" \
		tui_raw_tail_has "$cnorm"
	check "SIG$sig: mouse reporting off" \
		tui_raw_tail_has "$(printf '\033[?1000l')"
	check "terminal sane after SIG$sig (stty -a)" tui_stty_sane
done

# A terminal that cannot address the cursor is refused, pointing at the
# commands. nocup: a terminfo entry made here (in ~/.terminfo, searched
# before the system's) with an alternate screen but no cup.
printf '%s\n' 'nocup|a terminal without cursor addressing,' \
	'	am, cols#80, lines#24, bel=^G, clear=\E[H\E[J, cr=\r,' \
	'	smcup=\E[?1049h, rmcup=\E[?1049l,' >"$T_HOME/nocup.src"
tic -o "$HOME/.terminfo" "$T_HOME/nocup.src"
for t in dumb nocup; do
	tui_start 80 24 TERM=$t -- -p demo
	tui_is_exit "TERM=$t: exit 2" 2
	like "TERM=$t: one line naming the commands" \
		"$(cat "$T_HOME/stderr")" "^berth: the terminal type '$t' cannot move the cursor.*berth --help"
	is "TERM=$t: the message is one line" "$(wc -l <"$T_HOME/stderr" | tr -d ' ')" 1
done

# Mouse: off by default, --mouse turns it on. An X10 click (ESC [ M, then
# button, column and row, each + 32) on row 3, the VM pane.
click=$(printf '\033[M +$\033[M#+$')
focused() {
	tui_cap | grep -oE '^━ [0-9] ' | grep -oE '[0-9]' | head -1
}
tui_start 80 24 -- -p demo
check "mouse off: dashboard up" tui_wait '^━ 4 Containers' 10
tui_keys -l "$click"
sleep 0.5
is "mouse off: a click does not move the focus" "$(focused)" 4
tui_keys q
tui_wait_exit 30 >/dev/null
tui_start 80 24 -- -p demo --mouse
check "--mouse: dashboard up" tui_wait '^━ 4 Containers' 10
tui_keys -l "$click"
check "--mouse: a click on the VM pane focuses it" tui_wait '^━ 1 VM' 10
tui_keys q
tui_is_exit "--mouse: q quits" 0
check "--mouse: terminal sane" tui_stty_sane

# An unknown TERM falls back to a known one and says so.
tui_start 80 24 TERM=xterm-no-such-terminal -- -p demo
check "unknown TERM: dashboard up anyway" tui_wait '4 Containers' 10
check "unknown TERM: notice on the status line" \
	tui_wait "terminal type 'xterm-no-such-terminal' unknown here; using xterm-256color" 10
tui_keys q
tui_wait_exit 30 >/dev/null
check "unknown TERM: terminal sane" tui_stty_sane

# The notice stays although the engine has its own message at once (here
# libvirt cannot connect); after a while the engine's message shows.
tui_profile badconn 's|uri: test:///default|uri: test:///no/such/file.xml|'
# The notice is held 10 s from the start: look 3 s after it (the engine's
# message came at once), or as soon as the dashboard is up if that took
# longer (ASan on a loaded machine), not 2 s after that.
t0=$(date +%s)
tui_start 80 24 TERM=xterm-no-such-terminal -- -p badconn
check "unknown TERM + an engine message: dashboard up" tui_wait '4 Containers' 10
while [ "$(date +%s)" -lt $((t0 + 3)) ]; do sleep 0.1; done
like "unknown TERM: the notice is on the status line 3 s after the start" \
	"$(tui_cap | tail -1)" "terminal type 'xterm-no-such-terminal' unknown here"
check "unknown TERM: then the engine's message shows" \
	tui_wait 'cannot connect to test:///no/such/file.xml' 15
tui_keys q
tui_wait_exit 30 >/dev/null

# --max-iterations: a headless run ends by itself.
tui_start 80 24 -- -p demo --max-iterations 20
is "--max-iterations 20 exits 0 by itself" "$(tui_wait_exit 60)" 0
check "terminal sane after --max-iterations" tui_stty_sane
check "no sanitizer report" tui_stderr_clean

# Not a terminal: a clear error, no curses.
out=$("$BERTH" -p demo </dev/null 2>&1 >/dev/null)
like "without a terminal: clear error" "$out" 'needs a terminal'
done_testing
