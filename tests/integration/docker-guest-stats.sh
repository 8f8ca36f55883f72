#!/bin/sh
# The guest-side stats reader (docker-guest.c), with the private sshd
# playing the guest: its docker.sock is this machine's dockerd, so the
# "guest's" cgroup files are this machine's and berth's figures, read
# over ssh, can be compared with docker stats --no-stream. Tolerances as
# in docker-stats.sh: CPU within 20 points, memory within 5 % or 2 MiB.
# Also: one reader for a whole `berth stats` run (not one a refresh), a
# killed reader replaced at once, and the API when the guest cannot be
# read; and the Containers pane saying which of the two it uses.
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/integration/socket-lib.sh"
. "$BERTH_SRCDIR/tests/integration/docker-lib.sh"
dk_require
socket_setup
"$BERTH" $P socket start --wait 20 >/dev/null 2>&1 ||
	{ echo "# berth socket start failed"; exit 1; }
check "the forward is up" wait_json healthy true 10
check "its control socket is there" test -S "$STATE/ctl.sock"

# The stats readers under our private sshd only: the dashboards of
# socket-dashboard.sh and socket-switch.sh, run beside this test under
# make -j2, have theirs under their own sshd (counted as ours, and one
# killed, before).
our_readers() {
	_q=$(cat "$SSHD_DIR/sshd.pid")
	_all=$_q
	while _q=$(pgrep -d, -P "$_q") && [ -n "$_q" ]; do
		_all=$_all,$_q
	done
	pgrep -f '^awk ' -P "$_all"
}

burn=$(dk_name burn)
mem=$(dk_name mem)
idle=$(dk_name idle)
# Half a CPU at most: on a loaded machine an uncapped burner's share
# swings more between the two tools' windows.
dk_run burn --cpus 0.5 "$DK_IMAGE" sh -c 'while :; do :; done' >/dev/null
dk_run mem "$DK_IMAGE" sh -c 'dd if=/dev/zero of=/dev/shm/fill bs=1M count=48 2>/dev/null; touch /filled; sleep 300' >/dev/null
dk_run idle -m 64m "$DK_IMAGE" sh -c 'sleep 300 & sleep 300 & wait' >/dev/null
# the 48 MiB are all there before anything is measured (2 s were not
# always enough for dd on a loaded machine)
wait_until 30 dk exec "$mem" test -e /filled
sleep 2

docker_figures() {
	dk stats --no-stream --format '{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDs}}' \
		"$burn" "$mem" "$idle" | python3 -c '
import re, sys
units = {"B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "kB": 1000, "MB": 1000**2, "GB": 1000**3}
for line in sys.stdin:
    f = line.split()
    m = re.match(r"([0-9.]+)([A-Za-z]+)", f[2])
    print(f[0], f[1].rstrip("%"), int(float(m.group(1)) * units[m.group(2)]), f[-1])
'
}

berth_figures() {
	"$BERTH" $P stats --no-stream --json "$burn" "$mem" "$idle" 2>"$T_HOME/stats.err" |
		python3 -c '
import json, sys
for o in json.load(sys.stdin):
    print(o["name"], "%.2f" % o["cpu_percent"], o["memory_used_bytes"], o["pids"], o["source"], o["memory_limit_bytes"])
'
}

cpu_close() {
	for n in "$burn" "$mem" "$idle"; do
		bc=$(awk -v n="$n" '$1 == n {print $2}' "$T_HOME/b")
		dc=$(awk -v n="$n" '$1 == n {print $2}' "$T_HOME/d")
		awk -v a="$bc" -v b="$dc" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && b != "" && d <= 20) }' || return 1
	done
}

"$BERTH" $P stats --no-stream --json "$burn" >/dev/null 2>&1 # warm
for attempt in 1 2 3; do
	berth_figures >"$T_HOME/b" &
	bp=$!
	docker_figures >"$T_HOME/d"
	wait $bp
	cpu_close && break
	echo "# attempt $attempt: CPU figures apart, sampling again"
done
sed 's/^/# berth:  /' "$T_HOME/b"
sed 's/^/# docker: /' "$T_HOME/d"
is "three containers sampled" "$(wc -l <"$T_HOME/b" | tr -d ' ')" 3
is "the figures came from the guest reader" \
	"$(awk '{print $5}' "$T_HOME/b" | sort -u)" guest
for n in "$burn" "$mem" "$idle"; do
	bc=$(awk -v n="$n" '$1 == n {print $2}' "$T_HOME/b")
	dc=$(awk -v n="$n" '$1 == n {print $2}' "$T_HOME/d")
	bm=$(awk -v n="$n" '$1 == n {print $3}' "$T_HOME/b")
	dm=$(awk -v n="$n" '$1 == n {print $3}' "$T_HOME/d")
	check "$n CPU berth $bc% vs docker $dc% (±20)" \
		awk -v a="$bc" -v b="$dc" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && b != "" && d <= 20) }'
	check "$n memory berth $bm vs docker $dm (5% or 2MiB)" \
		awk -v a="$bm" -v b="$dm" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a > 0 && b > 0 && (d <= 2097152 || d <= b * 0.05)) }'
	is "$n pids" "$(awk -v n="$n" '$1 == n {print $4}' "$T_HOME/b")" \
		"$(awk -v n="$n" '$1 == n {print $4}' "$T_HOME/d")"
done
bc=$(awk -v n="$burn" '$1 == n {print $2}' "$T_HOME/b")
check "the burner burns (${bc}%)" awk -v a="$bc" 'BEGIN { exit !(a >= 5) }'
mm=$(awk -v n="$mem" '$1 == n {print $3}' "$T_HOME/b")
check "48 MiB in /dev/shm counted ($mm)" awk -v a="$mm" 'BEGIN { exit !(a >= 48 * 1048576) }'
is "-m 64m gives a 64 MiB limit" \
	"$(awk -v n="$idle" '$1 == n {print $6}' "$T_HOME/b")" 67108864
lim=$(awk -v n="$burn" '$1 == n {print $6}' "$T_HOME/b")
host=$(($(awk '/^MemTotal:/ {print $2}' /proc/meminfo) * 1024))
is "no limit means the guest's memory" "$lim" "$host"

# One reader for a whole run, started over the forward's connection:
# the same awk answers every refresh.
"$BERTH" $P stats --json --interval 300ms "$burn" >/dev/null 2>&1 &
sp=$!
: >"$T_HOME/readers"
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
	our_readers >>"$T_HOME/readers" 2>/dev/null
	sleep 0.2
done
kill $sp
wait $sp 2>/dev/null
is "one reader served every refresh" "$(sort -u "$T_HOME/readers" | grep -c .)" 1
# (sshd ends it once berth's session is gone: a moment later, polled)
no_readers() { [ -z "$(our_readers)" ]; }
check "the reader went with berth" wait_until 10 no_readers

# A reader that ends (killed in the guest, or its session gone with a
# restarted forward) is replaced at the next refresh, not after the
# 30 s pause a failing guest gets.
"$BERTH" $P stats --json --interval 500ms "$burn" >"$T_HOME/stream" 2>/dev/null &
sp=$!
reader() { our_readers; }
# the run's reader, once it has one (a fixed 2 s was short under ASan)
wait_until 20 reader
old=$(reader)
[ -n "$old" ] && kill $old
# polled up to 10 s: well before the 30 s pause a failing guest gets
replaced() { _n=$(reader) && [ -n "$_n" ] && [ "$_n" != "$old" ]; }
wait_until 10 replaced
new=$(reader)
# two more lines (the second written whole) after the new reader came
n=$(grep -c . "$T_HOME/stream")
wait_until 10 sh -c "[ \$(grep -c . '$T_HOME/stream') -ge $((n + 2)) ]"
kill $sp
wait $sp 2>/dev/null
check "a new reader replaced the killed one ($old -> $new)" \
	test -n "$old" -a -n "$new" -a "$old" != "$new"
is "after it, the figures are the guest's again" \
	"$(sed -n "$((n + 2))p" "$T_HOME/stream" | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["source"])')" guest

# The guest cannot be read (no ssh connection to join): the API serves,
# and says so.
mv "$STATE/ctl.sock" "$STATE/ctl.sock.away"
berth_figures >"$T_HOME/b.api"
mv "$STATE/ctl.sock.away" "$STATE/ctl.sock"
is "without the guest: three containers sampled" "$(wc -l <"$T_HOME/b.api" | tr -d ' ')" 3
is "without the guest: the API" "$(awk '{print $5}' "$T_HOME/b.api" | sort -u)" api
# Forced: BERTH_DOCKER_STATS=api never asks the guest.
BERTH_DOCKER_STATS=api berth_figures >"$T_HOME/b.forced"
is "BERTH_DOCKER_STATS=api: the API" "$(awk '{print $5}' "$T_HOME/b.forced" | sort -u)" api

# The Containers pane says where its figures come from, at 80x24: the
# guest reader while it answers, the API when it cannot (each reader
# stopped, SIGSTOP: a request gets no answer and times out after 10 s),
# the guest again once it can (after the 30 s pause a second failure in
# a row gives it). A reader killed while idle is replaced at the next
# refresh without a failure (above), so stopping is the fault here.
command -v tmux >/dev/null || {
	echo "# tmux is not installed: the Containers pane's label is not tested"
	done_testing
	exit 0
}
# A tmux server per dashboard: the first one's server exits with its
# last session, and a session asked of it then was lost with it.
SOCKET_CLEANUP_EXTRA="for s in '$T_HOME'/tmux-*.sock; do tmux -S \"\$s\" kill-server 2>/dev/null; done; [ -z \"\${KL:-}\" ] || kill \$KL 2>/dev/null; xargs -r kill -CONT <'$T_HOME/stopped' 2>/dev/null"
unset TMUX
: >"$T_HOME/stopped"
dash() { # dash NAME [ENV=VALUE]...: a dashboard at 80x24 in tmux window NAME
	_w=$1
	shift
	TMUX_SOCK=$T_HOME/tmux-$_w.sock
	tmux -S "$TMUX_SOCK" new-session -d -s "$_w" -x 80 -y 24 \
		"env $* TERM=screen-256color LANG=C.UTF-8 '$BERTH' -p test 2>>'$T_HOME/dash.err'"
	DASH=$_w
}
screen() { tmux -S "$TMUX_SOCK" capture-pane -p -t "$DASH" 2>/dev/null; }
title() { screen | grep '4 Containers'; }
shown_wait() { # shown_wait CMD PATTERN SECONDS: CMD's output matches
	_i=0
	while [ $_i -lt $(($3 * 5)) ]; do
		"$1" | grep -Eq "$2" && return 0
		sleep 0.2
		_i=$((_i + 1))
	done
	screen | sed 's/^/# screen: /'
	return 1
}
title_wait() { shown_wait title "$1" "$2"; }
dash one
check "pane: stats: guest in the Containers title" title_wait 'stats: guest' 20
: >"$T_HOME/labels"
for i in 1 2 3 4 5 6 7 8 9 10; do
	title | grep -o 'stats: [a-z]*' >>"$T_HOME/labels"
	sleep 0.5
done
is "pane: the guest's figures for 5 s, no fallback while it answers" \
	"$(sort -u "$T_HOME/labels" | tr '\n' ' ')" "stats: guest "
(while :; do
	for r in $(our_readers); do
		kill -STOP "$r" 2>/dev/null && echo "$r" >>"$T_HOME/stopped"
	done
	sleep 0.1
done) &
KL=$!
check "pane: stats: api when the reader does not answer" title_wait 'stats: api' 30
kill $KL
wait $KL 2>/dev/null
KL=
xargs -r kill -CONT <"$T_HOME/stopped" 2>/dev/null
check "pane: the guest again once the reader answers (pause 30 s)" \
	title_wait 'stats: guest' 50
# The rows need only CPU and memory used, and the reader is asked for
# those files alone; the details view asks for every figure of its
# container: -m 64m's limit and the PIDs come with a refresh (2 s) or
# two, and the rates with the next (until then they read "—").
screen_wait() { shown_wait screen "$1" "$2"; }
tmux -S "$TMUX_SOCK" send-keys -t one 4 / "$idle" Enter
# rows: "running", CPU% and memory (the title has "3 running 0 stopped")
one_row() { [ "$(screen | grep -Ec 'running +[0-9.]+ +[0-9.]+[BKMG]')" = 1 ]; }
check "pane: the filter leaves the 64m container" wait_until 10 one_row
tmux -S "$TMUX_SOCK" send-keys -t one Enter
check "details: open" screen_wait 'Details' 10
check "details: its limit, read in the guest" screen_wait 'memory +[0-9.]+[KMG]?i?B of 64MiB' 20
check "details: its 3 PIDs" screen_wait 'pids +3 *$' 20
check "details: the rates (a second full sample)" screen_wait 'network +rx [0-9]+ B/s' 20
tmux -S "$TMUX_SOCK" send-keys -t one q
check "details: closed" screen_wait '4 Containers' 10
tmux -S "$TMUX_SOCK" send-keys -t one q
one_sock=$TMUX_SOCK
dash two BERTH_DOCKER_STATS=api
check "pane: BERTH_DOCKER_STATS=api says stats: api" title_wait 'stats: api' 20
sleep 3
like "pane: and keeps saying it" "$(title)" 'stats: api'
tmux -S "$TMUX_SOCK" send-keys -t two q
# both dashboards have exited (their sanitizer reports are written by then)
gone() { ! tmux -S "$1" has-session -t "$2" 2>/dev/null; }
wait_until 30 gone "$one_sock" one
wait_until 30 gone "$TMUX_SOCK" two
check "no sanitizer report from the dashboards" \
	sh -c "! grep -Eq 'Sanitizer|runtime error' '$T_HOME/dash.err'"
done_testing
