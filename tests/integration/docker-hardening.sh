#!/bin/sh
# Issue 13, the Docker side: answers from the daemon are untrusted and
# scripts can trust berth's exit codes and JSON. Against the real dockerd:
# a name that is no container (../x: dockerd answers 301) is refused with
# exit 2 and touches nothing, unknown names exit 2, --json carries the real
# strings, stats --json with nothing to show is [], a stop that waits for
# the container's own grace is not "not responding". The fault server only
# for what dockerd will not do: redirects for valid names, a socket proxy
# that refuses /events and /info, invalid UTF-8, broken stats, late stop
# answers.
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$BERTH_SRCDIR/tests/integration/docker-lib.sh"
t_home
dk_require
unset DOCKER_HOST DOCKER_CONTEXT
command -v python3 >/dev/null || skip_all "python3 is needed"

# run ARGS...: run berth, keep stdout in $out, stderr in $err, exit in $rc;
# run_env VAR=VALUE... -- ARGS...: the same with those in its environment.
run() { run_env -- "$@"; }
run_env() {
	_e=
	while [ "$1" != -- ]; do
		_e="$_e $1"
		shift
	done
	shift
	# shellcheck disable=SC2086
	env $_e "$BERTH" "$@" >"$T_HOME/out" 2>"$T_HOME/err"
	rc=$?
	out=$(cat "$T_HOME/out")
	err=$(cat "$T_HOME/err")
}

# --- names that are no container (item 2) -------------------------------------
web=$(dk_name web)
dk_run web "$DK_IMAGE" sleep 300 >/dev/null
for a in stop kill rm; do
	run container "$a" "../$web"
	is "container $a ../NAME: exit 2 (dockerd answers 301)" "$rc" 2
	like "container $a ../NAME: says there is no such container" "$err" \
		"cannot [a-z]+ \.\./$web: no such container"
	case $out in *stopped* | *killed* | *removed*) not_ok "container $a ../NAME claims success" ;;
	*) ok "container $a ../NAME claims no success" ;; esac
done
is "../NAME touched nothing: the container still runs" \
	"$(dk inspect -f '{{.State.Status}}' "$web")" running
run container stop ..
is "container stop ..: exit 2" "$rc" 2
run container stop berth-test-no-such-container
is "an unknown container: exit 2" "$rc" 2
like "an unknown container: the daemon's words" "$err" "No such container: berth-test-no-such-container"
run logs berth-test-no-such-container
is "logs of an unknown container: exit 2" "$rc" 2
run stats --no-stream berth-test-no-such-container
is "stats of an unknown container: exit 2" "$rc" 2
run container start "$web"
is "start of a running container (304): a success" "$rc" 0

# --- JSON carries the real string (item 6) ------------------------------------
esc=$(printf '\033')
dk_run esc -l "com.docker.compose.project=p${esc}[31m" "$DK_IMAGE" \
	sh -c "sleep 300 # ${esc}[31mred" >/dev/null
run ps --json
is "ps --json: exit 0" "$rc" 0
cmd=$(printf '%s' "$out" | python3 -c '
import json, sys
for c in json.load(sys.stdin):
    if c["name"] == sys.argv[1]:
        print(repr(c["command"]), repr(c["project"]))' "$(dk_name esc)")
is "ps --json: command and project as the daemon has them" "$cmd" \
	"\"sh -c 'sleep 300 # \\x1b[31mred'\" 'p\\x1b[31m'"
like "ps --json: ESC written as \\u001b by jansson" "$out" '\\u001[bB]\[31mred'
case $out in *'^['*) not_ok "ps --json: no ^[ in JSON" ;; *) ok "ps --json: no ^[ in JSON" ;; esac
if has_esc "$out"; then not_ok "ps --json: no raw ESC"; else ok "ps --json: no raw ESC"; fi

# --- stats --json with nothing to show (item 6) --------------------------------
dk create --network none --name "$(dk_name idle)" "$DK_IMAGE" true >/dev/null
run stats --no-stream --json "$(dk_name idle)"
is "stats --json of a stopped container: [] and exit 0" "$rc $out" "0 []"

# --- stop waits for the container's own grace (item 8) -------------------------
# PID 1 ignores SIGTERM: the daemon answers the stop only after the
# container's stop timeout (14 s), longer than berth's usual 2 s plus
# Docker's default 10 s grace.
dk_run slow --stop-timeout 14 "$DK_IMAGE" sleep 300 >/dev/null
s=$(date +%s.%N)
run_env BERTH_DOCKER_TIMEOUT_MS=2000 -- container stop "$(dk_name slow)"
t=$(elapsed "$s")
is "stop with a 14 s grace: exit 0 (${t}s)" "$rc" 0
like "stop with a 14 s grace: stopped, not 'not responding'" "$out" "^stopped $(dk_name slow)$"
is "stop with a 14 s grace: the container did stop" \
	"$(dk inspect -f '{{.State.Status}}' "$(dk_name slow)")" exited

# --- the fault server ------------------------------------------------------------
fsock=$T_HOME/fault.sock
fault() { # fault MODE: (re)start the fault server in MODE
	[ -n "${FPID:-}" ] && kill "$FPID" 2>/dev/null && wait "$FPID" 2>/dev/null
	rm -f "$fsock" "$fsock.ready"
	python3 "$BERTH_SRCDIR/tests/integration/faultd.py" "$fsock" "$1" 2>/dev/null &
	FPID=$!
	DK_PIDS="$DK_PIDS $FPID"
	wait_until 10 test -e "$fsock.ready"
}
export DOCKER_HOST=unix://$fsock

# A redirect for a valid name: dockerd only redirects names berth refuses.
fault redirect
run container stop ok
is "a 301 answer: exit 1" "$rc" 1
like "a 301 answer: said, not followed" "$err" "cannot stop ok: Docker answered HTTP 301"
is "a 301 answer: nothing claimed" "$out" ""

# A socket proxy with EVENTS=0 INFO=0 (item 5, item 6).
for m in proxy eventsend; do
	fault $m
	"$BERTH" ps -a --watch --json --interval 300ms >"$T_HOME/w.out" 2>"$T_HOME/w.err" &
	wp=$!
	DK_PIDS="$DK_PIDS $wp"
	check "$m: the watch lists again without events (a later container shows)" \
		wait_until 10 file_has "$T_HOME/w.out" '"name":"late"'
	t_kill "$wp"
	if grep -q '"connection":"up"' "$T_HOME/w.out" && ! grep -q '"connection":"down"' "$T_HOME/w.out"; then
		ok "$m: the watch never goes down"
	else
		not_ok "$m: the watch never goes down"
		head -5 "$T_HOME/w.out" | sed 's/^/# /'
	fi
	like "$m: says it lists without events" "$(cat "$T_HOME/w.err")" "no Docker events"
done
fault proxy
run docker-info
is "docker-info when /info is refused: exit 1" "$rc" 1
like "docker-info when /info is refused: the proxy's words, on one line" "$err" \
	"info: 403 Forbidden Request forbidden by administrative rules\.$"
run ps
is "ps through the proxy: exit 0" "$rc" 0

# logs need no list: a broken list does not fail them (item 6).
fault truncated
run logs x
is "logs with a broken list: exit 0" "$rc" 0
like "logs with a broken list: the lines" "$out" "plain line"
run ps
is "ps with a broken list: exit 1" "$rc" 1

# One name with invalid UTF-8: shown with U+FFFD, the others kept.
fault badutf8
run ps
is "invalid UTF-8 in one name: exit 0" "$rc" 0
like "invalid UTF-8: shown as U+FFFD" "$out" "bad$(printf '\357\277\275\357\277\275')name"
like "invalid UTF-8: the other container kept" "$out" " good "
run ps --json
like "invalid UTF-8: --json carries U+FFFD" "$out" '"bad\\u[fF]{3}[dD]\\u[fF]{3}[dD]name"'

# Hostile strings: JSON has them escaped, tables neutralised.
fault escapes
run ps -a --json
like "escapes: ps --json carries the real name" "$out" '"evil\\u001[bB]\[2J\\u001[bB]\]0;pwned\\u0007'
run docker-info --json
like "escapes: docker-info --json carries the real version" "$out" '20\.10\.0-fault\\u001[bB]\[2J'
run docker-info
if has_esc "$out$err"; then not_ok "escapes: docker-info text has no ESC"; else ok "escapes: docker-info text has no ESC"; fi
like "escapes: docker-info text shows it visibly" "$out" 'fault\^\[\[2J'

# Broken stats answers: stats says so and fails (item 6).
fault badstats
run_env BERTH_DOCKER_STATS=api -- stats --no-stream
is "broken stats: exit 1" "$rc" 1
like "broken stats: says what is wrong" "$err" "no stats: Docker sent a broken stats"
run_env BERTH_DOCKER_STATS=api -- stats --no-stream --json
is "broken stats --json: exit 1" "$rc" 1

# A stop whose answer is late (item 8): re-checked against the state.
fault slowstop
run_env BERTH_DOCKER_TIMEOUT_MS=1000 DELAY=4 -- container stop -t 1 ok
is "late stop answer, container stopped: exit 0" "$rc" 0
is "late stop answer, container stopped: stopped" "$out" "stopped ok"
fault stuckstop
run_env BERTH_DOCKER_TIMEOUT_MS=1000 DELAY=4 -- container stop -t 1 ok
is "late stop answer, container still running: exit 1" "$rc" 1
like "late stop answer, container still running: not responding, within 2 s" "$err" \
	"cannot stop ok: Docker is not responding .*within 2 s"
done_testing
