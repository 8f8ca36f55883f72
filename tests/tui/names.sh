#!/bin/sh
# Profile names in the dashboard (issue 13, item 1): the `:profile` line
# and the picker obey the one rule -p does. A name that is not one is
# refused at once with the reason, an unknown one says so, and a profile
# file whose name holds an escape is never listed (nor drawn).
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$BERTH_SRCDIR/tests/tui/lib-tui.sh"

tui_setup
esc=$(printf '\033')
tui_profile other
tui_profile "${esc}[2Jevil"

# The dashboard itself refuses a bad -p before it takes the terminal.
out=$("$BERTH" -p ../x 2>&1 </dev/null)
is "berth -p ../x (the dashboard) exits 2" "$?" 2
like "berth -p ../x says why" "$out" "'\.\./x' is not a profile name"

tui_start 80 24 -- -p demo
check "dashboard up on demo" tui_wait 'profile demo ' 10
pid=$(tui_pid)

tui_keys : profile Space ../../x Enter
check ":profile ../../x is refused with the reason" \
	tui_wait "'\.\./\.\./x' is not a profile name" 10
check "still on demo" tui_wait 'profile demo ' 2
check "no state folder above BERTH_HOME" test ! -e "$T_HOME/../x"

tui_keys : profile Space nosuch Enter
check ":profile nosuch says there is no such profile" \
	tui_wait "no profile 'nosuch'" 10
check "still on demo after an unknown profile" tui_wait 'profile demo ' 2

tui_keys p
check "p opens the profile picker" tui_wait 'Profiles' 10
check "the picker lists the good user profile" tui_wait '│ +other ' 10
screen=$(tui_cap)
case $screen in
*evil*) not_ok "the picker leaves out the file whose name holds ESC" ;;
*) ok "the picker leaves out the file whose name holds ESC" ;;
esac
tui_keys Escape
check "the picker closes" tui_wait_gone 'Profiles' 10

tui_keys : profile Space other Enter
check ":profile other switches" tui_wait 'profile other ' 10
is "same process (no restart)" "$(tui_pid)" "$pid"

tui_keys : quit Enter
tui_is_exit ":quit quits" 0
check "terminal sane" tui_stty_sane
check "no sanitizer report" tui_stderr_clean
done_testing
