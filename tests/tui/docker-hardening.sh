#!/bin/sh
# Issue 13 in the dashboard, against the fault server (the real dockerd
# always has /events and answers in time): behind a socket proxy that
# refuses /events (docker-socket-proxy with EVENTS=0) the Containers pane
# lists at each refresh and says so, instead of "connecting" forever; a
# stop whose answer comes after the deadline, but which did stop the
# container, is reported as stopped, not as "Docker is not responding".
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$BERTH_SRCDIR/tests/tui/lib-tui.sh"
command -v python3 >/dev/null || skip_all "python3 is needed for the fault server"

tui_setup
fsock=$T_HOME/fault.sock
fault() { # fault MODE [VAR=VALUE...]: (re)start the fault server
	_m=$1
	shift
	[ -n "${FPID:-}" ] && kill "$FPID" 2>/dev/null && wait "$FPID" 2>/dev/null
	rm -f "$fsock" "$fsock.ready"
	env "$@" python3 "$BERTH_SRCDIR/tests/integration/faultd.py" "$fsock" "$_m" 2>/dev/null &
	FPID=$!
	echo "$FPID" >>"$T_HOME/fpids"
	wait_until 10 test -e "$fsock.ready"
}
T_CLEANUP='tui_cleanup; for p in $(cat "$T_HOME/fpids" 2>/dev/null); do t_kill "$p"; done'

# --- no events behind a proxy (item 5) -----------------------------------------
fault proxy
tui_start 120 30 "DOCKER_HOST=unix://$fsock" -- -p demo
check "proxy: the pane says it lists without events (demo refreshes every 2 s)" \
	tui_wait 'no events: listing every 2 s' 15
check "proxy: a container listed later shows up (listing at each refresh)" \
	tui_wait ' late ' 15
if tui_cap | grep -q 'Docker connecting'; then
	not_ok "proxy: the pane is not stuck on connecting"
	tui_cap | sed 's/^/# /'
else
	ok "proxy: the pane is not stuck on connecting"
fi
tui_keys q

# --- a late stop answer (item 8) ---------------------------------------------------
# The deadline is 1 s plus Docker's 10 s grace; the answer comes after 13 s
# but the container is stopped by then.
fault slowstop DELAY=13
tui_start 120 30 "DOCKER_HOST=unix://$fsock" BERTH_DOCKER_TIMEOUT_MS=1000 -- -p demo
check "slowstop: the container is listed" tui_wait ' ok ' 15
tui_keys 4 g S
check "slowstop: S asks" tui_wait 'Stop container ok\?' 10
tui_keys y
check "slowstop: reported as stopped once re-checked" tui_wait 'stopped ok' 25
if tui_cap | grep -q 'not responding'; then
	not_ok "slowstop: not called 'not responding'"
	tui_cap | sed 's/^/# /'
else
	ok "slowstop: not called 'not responding'"
fi
tui_keys q
done_testing
