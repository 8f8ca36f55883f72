#!/bin/sh
# bench/tui/run.sh: berth's dashboard against htop, side by side, at 80x24
# inside tmux. Each program runs under `script -f` so every byte it writes
# to its terminal lands in a file:
#   - bytes per second over SECONDS (default 60) after a 5 s settle, and
#     the first paint (bytes written in those 5 s);
#   - CPU of the program over the same window (% of one core);
# then, on a pseudo-terminal (pty-probe.py): launch -> first complete
# frame, and keypress -> screen latency while dockerd is frozen (SIGSTOP).
# berth runs the demo profile (libvirt test:///default + the local dockerd)
# with 20 idle containers and its 2 s refresh; htop runs with its defaults.
#
# usage: bench/tui/run.sh [SECONDS]      (BERTH=path/to/berth)
set -u
dur=${1:-60}
top=$(cd "$(dirname "$0")/../.." && pwd)
BERTH=${BERTH:-$top/build-werror/berth}
work=$(mktemp -d "${TMPDIR:-/tmp}/berth-bench-tui.XXXXXX")
sock=$work/tmux.sock
n_ct=20
hz=$(getconf CLK_TCK)
dockerd_pid=$(pidof dockerd | awk '{print $1}')

cleanup() {
	[ -n "$dockerd_pid" ] && kill -CONT "$dockerd_pid" 2>/dev/null
	tmux -S "$sock" kill-server 2>/dev/null
	i=1
	while [ "$i" -le "$n_ct" ]; do
		docker rm -f "berth-bench-tui-$i" >/dev/null 2>&1
		i=$((i + 1))
	done
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

[ -x "$BERTH" ] || { echo "no berth at $BERTH (set BERTH=)" >&2; exit 1; }
command -v htop >/dev/null || { echo "htop missing (apt-get install htop)" >&2; exit 1; }
command -v tmux >/dev/null || { echo "tmux missing" >&2; exit 1; }
[ -n "$dockerd_pid" ] || { echo "dockerd is not running" >&2; exit 1; }
"$top/tests/env/busybox-image.sh" >/dev/null || exit 1

export BERTH_HOME="$work/home" BERTH_DATADIR="$top"
mkdir -p "$BERTH_HOME/config/profiles" "$work/htop-home"
i=1
while [ "$i" -le "$n_ct" ]; do
	docker run -d --network none --name "berth-bench-tui-$i" \
		berth-busybox:test sleep 1000000 >/dev/null || exit 1
	i=$((i + 1))
done

cpu_ticks() { # utime + stime of every thread of PID
	awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0
}

# measure NAME CMD: run CMD in tmux at 80x24 under script -f.
measure() {
	_name=$1
	_cmd=$2
	_ts=$work/$_name.typescript
	tmux -S "$sock" kill-server 2>/dev/null
	sleep 0.3
	tmux -S "$sock" -f /dev/null new-session -d -x 80 -y 24 \
		"script -q -f -c 'sh -c \"echo \\\$\\\$ >$work/$_name.pid; exec $_cmd\"' $_ts" \; \
		set -g status off
	sleep 5
	_pid=$(cat "$work/$_name.pid")
	_s0=$(stat -c %s "$_ts")
	_c0=$(cpu_ticks "$_pid")
	sleep "$dur"
	_s1=$(stat -c %s "$_ts")
	_c1=$(cpu_ticks "$_pid")
	tmux -S "$sock" send-keys q
	sleep 1
	tmux -S "$sock" kill-server 2>/dev/null
	_bps=$(awk "BEGIN { printf \"%.1f\", ($_s1 - $_s0) / $dur }")
	_cpu=$(awk "BEGIN { printf \"%.2f\", ($_c1 - $_c0) * 100 / $hz / $dur }")
	printf '%-6s first 5 s: %6d B   then: %7s B/s   CPU: %5s %% of a core\n' \
		"$_name" "$_s0" "$_bps" "$_cpu"
	eval "bps_$_name=$_bps"
}

echo "== bytes to the terminal and CPU, 80x24 in tmux, ${dur} s each, $n_ct idle containers"
echo "   load average: $(cut -d' ' -f1-3 /proc/loadavg)"
measure berth "env TERM=screen-256color $BERTH -p demo"
measure htop "env HOME=$work/htop-home TERM=screen-256color htop"
echo "   ratio berth/htop: $(awk "BEGIN { printf \"%.3f\", $bps_berth / $bps_htop }") (target <= 0.1)"

echo "== launch and keypress latency (pty, 80x24)"
python3 "$top/bench/tui/pty-probe.py" --launches 9 --keys 20 \
	--freeze-dockerd "$dockerd_pid" --marker berth-bench-tui -- \
	"$BERTH" -p demo
