#!/bin/sh
# Switching profiles inside the dashboard without restarting: the picker
# (p, j, Enter; new… makes a profile) and the command line (:profile NAME
# with Tab completion), plus :set validation and :theme. A second profile lives in a private
# BERTH_HOME.
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$BERTH_SRCDIR/tests/tui/lib-tui.sh"

tui_need_docker
tui_setup
# demo2: the demo profile refreshing every 5 s (the header tells them
# apart) with the mono theme (the dashboard follows a profile's theme).
tui_profile demo2 's/^refresh: .*/refresh: 5s/; s/^theme: .*/theme: mono/'
esc=$(printf '\033')
colours() {
	tui_settle
	tui_cap -e | grep -o "$esc\\[[0-9;]*m" | tr -d "$esc[m" | tr ';' '\n' |
		grep -Ec '^(3[0-8]|4[0-8]|9[0-7]|10[0-7])$' || true
}

tui_start 80 24 -- -p demo
check "dashboard up on demo" tui_wait 'profile demo  .*every 2s' 10
pid=$(tui_pid)

tui_keys p
check "p opens the profile picker" tui_wait 'Profiles' 10
# Each profile's state is asked of the engine on opening ("…" until then).
check "picker lists the shipped demo profile" tui_wait '\* demo +running' 10
check "picker lists the user profile demo2" tui_wait '│ +demo2 ' 10
tui_keys j Enter
check "Enter switches to demo2" tui_wait 'profile demo2  .*every 5s' 10
check "the VM pane follows the new profile" tui_wait 'running +accel' 10
is "same process (no restart)" "$(tui_pid)" "$pid"
is_soon "demo2's mono theme: no colours on screen" 0 10 colours

tui_keys : pro Tab
check "Tab completes the command name" tui_wait '^:profile' 10
tui_keys dem Tab
check "Tab completes to the common prefix and lists the choices" \
	tui_wait 'demo demo2' 10
tui_keys BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace
tui_keys Escape
sleep 0.3
tui_keys : profile Space demo Enter
check ":profile demo switches back" tui_wait 'profile demo  .*every 2s' 10
coloured() { [ "$(colours)" -gt 0 ]; }
check "demo's default theme: colours again" wait_until 10 coloured

tui_keys : set Space cpus Space many Enter
check ":set validates its value" tui_wait "cpus: 'many' is not a number" 10
tui_keys : bogus Enter
check "unknown command is reported" tui_wait ':bogus: unknown command' 10
tui_keys : theme Space light Enter
sleep 0.5
check ":theme light keeps berth running" kill -0 "$pid"
tui_keys : theme Space no-such-theme Enter
check ":theme with a bad name says so" tui_wait 'theme no-such-theme' 10

tui_keys +
check "+ refreshes more often" tui_wait 'every 1s( |$)' 10
tui_keys - -
check "- refreshes less often" tui_wait 'every 5s( |$)' 10

# The picker's "new…" row: a name, then the writer of `berth profile new`.
tui_keys p
check "the picker offers new…" tui_wait '│ \+ new… ' 10
tui_keys G Enter
check "new… asks for a name" tui_wait '\+ name: _' 10
tui_keys . x Enter
check "a bad name is refused with the profile-name rules" \
	tui_wait "'.x' is not a profile name" 10
tui_keys BSpace BSpace f r e s h Enter
check "a good one is written" tui_wait 'profile fresh: .*fresh.yaml' 10
check "and is selected in the list" tui_wait '│ +fresh ' 10
like "the new profile has its own domain" \
	"$("$BERTH" profile show fresh)" '^vm.domain: berth-fresh( |$)'
"$BERTH" profile validate "$BERTH_HOME/config/profiles/fresh.yaml"
is "and validates" "$?" 0
tui_keys n f r e s h Enter
check "the same name again is refused (never overwritten)" \
	tui_wait 'profile fresh exists' 10
tui_keys Escape Escape

tui_keys : quit Enter
tui_is_exit ":quit quits" 0
check "terminal sane" tui_stty_sane
check "no sanitizer report" tui_stderr_clean
done_testing
