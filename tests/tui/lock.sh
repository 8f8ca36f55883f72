#!/bin/sh
# Locks per action, not per dashboard (issue 12): with a dashboard open on
# a profile, CLI actions on it go ahead, and after an action of the
# dashboard's own the profile's lock is free again. (Two actions at once,
# the second waiting or naming the holder: tests/integration/vm-test-driver.sh.)
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$BERTH_SRCDIR/tests/tui/lib-tui.sh"

command -v python3 >/dev/null || skip_all "python3 missing (JSON checks)"
tui_setup
tui_profile lk

# locked_by of `berth status --json`, as Python prints it
locked_by() {
	"$BERTH" status -p lk --json |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["locked_by"])'
}

# unlike NAME TEXT PATTERN: TEXT does not match the grep -E PATTERN
unlike() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then
		not_ok "$1"
		echo "# got: $2"
	else
		ok "$1"
	fi
}

tui_start 80 24 -- -p lk
check "dashboard up" tui_wait 'running +accel test' 10
is "an open dashboard holds no lock" "$(locked_by)" None
out=$("$BERTH" set -p lk --memory 1GiB 2>&1)
is "berth set beside a dashboard: exit 0" "$?" 0
like "berth set beside a dashboard is applied" "$out" '^memory 1GiB: '
out=$("$BERTH" start -p lk 2>&1)
is "berth start beside a dashboard: exit 0" "$?" 0
unlike "berth start is not refused" "$out" 'in use|busy'

# the dashboard's own action takes the lock and gives it back
tui_keys 1 F
check "F asks before forcing the VM off" tui_wait 'Force off the VM test\?' 10
tui_keys y
check "the dashboard's action ends: stopped" tui_wait '^ stopped' 10
is_soon "after the dashboard's action the lock is free" None 10 locked_by
out=$("$BERTH" stop -p lk --force 2>&1)
is "berth stop after a dashboard action: exit 0" "$?" 0
tui_keys s
check "the dashboard starts it again" tui_wait '^ running' 10
is_soon "the lock is free again" None 10 locked_by
tui_keys q
tui_is_exit "the dashboard quits cleanly" 0
check "no sanitizer report" tui_stderr_clean
done_testing
