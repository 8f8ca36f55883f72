#!/bin/sh
# The forward a running dashboard starts (issue 12: the socket lives with
# the VM, not with a berth process): the dashboard hands it to a detached
# supervisor, the Socket pane says so, a killed ssh is back within two
# refresh intervals, the pane's r restarts it through the supervisor, and
# quitting the dashboard leaves it up until `berth socket stop`. A
# dashboard that finds no forward running starts one again.
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/integration/socket-lib.sh"
command -v tmux >/dev/null || skip_all "tmux is not installed"
socket_setup
TMUX_SOCK="$T_HOME/tmux.sock"
SOCKET_CLEANUP_EXTRA="tmux -S '$TMUX_SOCK' kill-server 2>/dev/null"
unset TMUX

now_ms() { echo $(($(date +%s%N) / 1000000)); }
status_pid() { sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$STATE/forward.json"; }

# dash_start: the dashboard for profile test in a private tmux server.
dash_start() {
	rm -f "$T_HOME/dash.pid"
	tmux -S "$TMUX_SOCK" new-session -d -x 240 -y 45 \
		"sh -c 'echo \$\$ >\"$T_HOME/dash.pid\"; exec env TERM=screen-256color LANG=C.UTF-8 \"$BERTH\" -p test --max-iterations 3000 2>\"$T_HOME/dash.err\"'"
	_i=0
	while [ ! -s "$T_HOME/dash.pid" ] && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	DASH_PID=$(cat "$T_HOME/dash.pid")
}

# dash_quit: press q and wait until berth has exited (30 s: ASan's leak
# check at exit is slow on a loaded machine).
dash_quit() {
	tmux -S "$TMUX_SOCK" send-keys q 2>/dev/null
	_i=0
	while kill -0 "$DASH_PID" 2>/dev/null && [ $_i -lt 300 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	! kill -0 "$DASH_PID" 2>/dev/null
}

dash_start
check "dashboard: the forward comes up" wait_json healthy true 20
owner=$(json owner_pid)
check "dashboard: the forward is not the dashboard's own" test "$owner" != "$DASH_PID"
is "dashboard: a supervisor owns it" "$(json supervisor)" true
# the pane follows at the dashboard's next refresh
pane() { tmux -S "$TMUX_SOCK" capture-pane -p -t 0 2>/dev/null; }
like_soon "Socket pane shows the socket healthy" "docker.sock +\(ssh\) +healthy" \
	10 pane

pid1=$(ssh_pid 10)
check "dashboard: its ssh is killed" t_kill -9 "$pid1"
t0=$(now_ms)
while [ $(($(now_ms) - t0)) -lt 10000 ]; do
	[ "$(status_pid)" != "$pid1" ] &&
		[ "$(curl -s --max-time 1 --unix-socket "$SOCK" http://d/_ping)" = OK ] &&
		break
	sleep 0.02
done
elapsed=$(($(now_ms) - t0))
echo "# dashboard: killed ssh -> healthy again in $elapsed ms (refresh 1000 ms)"
check "dashboard: killed ssh back within two refresh intervals ($elapsed ms)" \
	test "$elapsed" -le 2000
is "dashboard: restart counted" "$(json restarts)" 1

# The Socket pane's keys: 3 focuses it, r restarts the forward, c
# toggles berth's Docker context.
pid2=$(json pid)
tmux -S "$TMUX_SOCK" send-keys 3
sleep 0.3
tmux -S "$TMUX_SOCK" send-keys r
check "pane key r: the forward restarts" wait_json restarts 2 10
check "pane key r: healthy again" wait_json healthy true 10
check "pane key r: a new ssh" test "$(json pid)" != "$pid2"
tmux -S "$TMUX_SOCK" send-keys c
check "pane key c: berth's context becomes current" wait_json context_current true 10
is_soon "pane key c: docker sees it" berth-test 10 docker context show
tmux -S "$TMUX_SOCK" send-keys c
check "pane key c again: deactivated" wait_json context_current false 10

# The guest's sshd goes away: the pane says down, with the reason.
"$BERTH_SRCDIR/tests/env/sshd.sh" stop "$SSHD_DIR"
check "sshd stopped: down" wait_json healthy false 10
like_soon "sshd stopped: the Socket pane says down and why" \
	'docker.sock +\(ssh\) +down: (guest sshd|nothing listens|no socket)' 10 pane
"$BERTH_SRCDIR/tests/env/sshd.sh" restart "$SSHD_DIR"
check "sshd back: healthy again" wait_json healthy true 20
like_soon "sshd back: the Socket pane says healthy" 'docker.sock +\(ssh\) +healthy' \
	10 pane

pid2=$(json pid)
check "dashboard: quits on q" dash_quit
sleep 0.5
check "berth exited: the socket still answers" wait_json healthy true 10
is "berth exited: /_ping through the socket" \
	"$(curl -s --max-time 5 --unix-socket "$SOCK" http://d/_ping)" OK
check "berth exited: the supervisor still runs" alive "$owner"
is "berth exited: the same ssh still serves it" "$(json pid)" "$pid2"
"$BERTH" $P socket stop
is "berth socket stop ends it" "$(json healthy)" false
check "berth socket stop: supervisor gone" dead $owner 100
check "berth socket stop: ssh gone" dead $pid2 100

# A dashboard that finds no forward starts one; docker.activate makes
# the context current once it answers.
sed -i 's/^docker:$/docker:\n  activate: true/' "$T_HOME/config/profiles/test.yaml"
dash_start
check "again: the forward comes up" wait_json healthy true 20
owner=$(json owner_pid)
is "again: a supervisor owns it" "$(json supervisor)" true
check "again: the owner is not the dashboard" test "$owner" != "$DASH_PID"
check "activate: the context is current" wait_json context_current true 10
sshpid=$(json pid)
check "again: dashboard quits" dash_quit
sleep 0.5
check "again: still healthy after berth exited" wait_json healthy true 10
check "again: supervisor still runs" alive "$owner"
is "again: the same ssh still serves it" "$(json pid)" "$sshpid"
"$BERTH" $P socket stop
is "again: berth socket stop ends it" "$(json healthy)" false
check "again: supervisor gone" dead $owner 100

done_testing
