#!/bin/sh
# Only the profile's daemon (issue 12): a dashboard that opens while the
# profile's forwarded socket is not up keeps trying that socket and
# switches to it when the forward comes up. Before, it silently used this
# machine's /var/run/docker.sock for its whole life. The "guest" here is
# the private sshd of socket-lib.sh, whose docker.sock is this machine's
# dockerd: a container listed only once the forward is up proves which
# socket the Containers pane reads.
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/integration/socket-lib.sh"
command -v tmux >/dev/null || skip_all "tmux is not installed"
"$BERTH_SRCDIR/tests/env/busybox-image.sh" >/dev/null ||
	skip_all "cannot create the berth-busybox:test image"
socket_setup
"$BERTH_SRCDIR/tests/env/sshd.sh" stop "$SSHD_DIR" # no forward yet
TMUX_SOCK="$T_HOME/tmux.sock"
CT=berth-test-socket-switch-$$
SOCKET_CLEANUP_EXTRA="tmux -S '$TMUX_SOCK' kill-server 2>/dev/null; docker rm -f $CT >/dev/null 2>&1"
unset TMUX
docker run -d --network none --name "$CT" berth-busybox:test sleep 600 >/dev/null
is "a container runs on this machine's dockerd" \
	"$(docker inspect -f '{{.State.Running}}' "$CT" 2>/dev/null)" true

cap() { tmux -S "$TMUX_SOCK" capture-pane -p -t 0 2>/dev/null; }
# screen_has PATTERN SECONDS: until the screen matches grep -E PATTERN
screen_has() {
	_i=0
	while [ "$_i" -lt "$(($2 * 10))" ]; do
		cap | grep -Eq -- "$1" && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

tmux -S "$TMUX_SOCK" -f /dev/null new-session -d -x 160 -y 40 \
	"env TERM=screen-256color LANG=C.UTF-8 '$BERTH' -p test 2>'$T_HOME/dash.err'"
check "dashboard up" screen_has '4 Containers' 10
check "the forward is down" wait_json healthy false 10
# the pane says so once it has tried the socket (not in the first frame
# of a slow start)
check "forward down: the Containers pane says Docker is down" \
	screen_has 'Docker down' 10
sleep 3 # a few refreshes (1 s): still nothing but the profile's socket
scr=$(cap)
case $scr in
*"$CT"*)
	not_ok "forward down: the Containers pane lists no container of another daemon"
	printf '%s\n' "$scr" | sed 's/^/# /'
	;;
*) ok "forward down: the Containers pane lists no container of another daemon" ;;
esac

"$BERTH_SRCDIR/tests/env/sshd.sh" restart "$SSHD_DIR"
check "sshd back: the forward comes up" wait_json healthy true 20
check "the Containers pane switches to the forwarded socket" \
	screen_has "$CT" 10
tmux -S "$TMUX_SOCK" send-keys q
done_testing
