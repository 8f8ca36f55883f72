#!/bin/sh
# berth ps / docker-info / container actions / logs against the real dockerd.
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$BERTH_SRCDIR/tests/integration/docker-lib.sh"
t_home
dk_require
unset DOCKER_HOST DOCKER_CONTEXT

# --- docker-info -----------------------------------------------------------
out=$("$BERTH" docker-info --json)
want=$(dk version --format '{{.Server.Version}}' | sed 's/[.+]/\\&/g')
like "docker-info reports the engine version" "$out" "\"version\": \"$want\""
like "docker-info says where the endpoint came from" "$out" '"source": "default"'
api=$(printf '%s' "$out" | sed -n 's/.*"api_version": "\([0-9.]*\)".*/\1/p')
want=$(dk version --format '{{.Server.APIVersion}}')
is "the API version is negotiated from /_ping" "$api" "$want"

# --- ps and the list --------------------------------------------------------
id=$(dk_run web -l com.docker.compose.project=shop \
	-l com.docker.compose.service=web "$DK_IMAGE" sleep 300)
dk create --network none --name "$(dk_name idle)" "$DK_IMAGE" true >/dev/null
out=$("$BERTH" ps)
like "ps lists the running container" "$out" "^${id%"${id#????????????}"} +$(dk_name web) +$DK_IMAGE +Up "
case $out in *"$(dk_name idle)"*) not_ok "ps hides created containers" ;; *) ok "ps hides created containers" ;; esac
out=$("$BERTH" ps -a)
like "ps -a lists the created one" "$out" "$(dk_name idle) +$DK_IMAGE +Created"
json=$("$BERTH" ps -a --json)
entry=$(printf '%s' "$json" | python3 -c '
import json, sys
for c in json.load(sys.stdin):
    if c["name"] == sys.argv[1]:
        print(c["id"], c["state"], c["project"], c["service"], c["command"], c["created"])
' "$(dk_name web)")
created=$(dk inspect -f '{{.Created}}' "$id" | cut -c1-19)
created=$(date -u -d "$created" +%s)
is "ps --json carries id, state, compose labels, command, created" "$entry" \
	"$id running shop web sleep 300 $created"

# --- actions ----------------------------------------------------------------
state() { dk inspect -f '{{.State.Status}}' "$1"; }
"$BERTH" container pause "$(dk_name web)" >/dev/null
is "container pause" "$(state "$id")" paused
"$BERTH" container unpause "$(dk_name web)" >/dev/null
is "container unpause" "$(state "$id")" running
"$BERTH" container stop -t 1 "$(dk_name web)" >/dev/null
is "container stop -t 1" "$(state "$id")" exited
"$BERTH" container start "$(dk_name web)" >/dev/null
is "container start" "$(state "$id")" running
before=$(dk inspect -f '{{.State.StartedAt}}' "$id")
"$BERTH" container restart -t 1 "$(dk_name web)" >/dev/null
after=$(dk inspect -f '{{.State.StartedAt}}' "$id")
check "container restart starts it again" [ "$(state "$id")" = running ] && [ "$before" != "$after" ]
"$BERTH" container kill "$(dk_name web)" >/dev/null
is "container kill" "$(state "$id")" exited
err=$("$BERTH" container kill "$(dk_name web)" 2>&1)
rc=$?
is "kill of a stopped container fails" "$rc" 1
like "the daemon's own message is shown" "$err" "is not running"
"$BERTH" container start "$(dk_name web)" >/dev/null
err=$("$BERTH" container rm "$(dk_name web)" 2>&1)
like "rm of a running container: the daemon's conflict message" "$err" \
	"cannot remove $(dk_name web): .*(running|Stop the container)"
"$BERTH" container rm -f -v "$(dk_name web)" >/dev/null
check "container rm -f removes it" sh -c "! $DOCKER inspect $id >/dev/null 2>&1"
err=$("$BERTH" container start berth-test-no-such-container 2>&1)
like "an unknown container: No such container" "$err" "No such container"

# --- logs ---------------------------------------------------------------------
# Non-TTY: stdout and stderr as separate frames, with escape sequences.
dk_run log "$DK_IMAGE" sh -c 'i=1; while [ $i -le 5 ]; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); done; printf "\033[2J\033]0;x\007evil\n"; sleep 300' >/dev/null
wait_until 10 sh -c "$DOCKER logs $(dk_name log) 2>&1 | grep -q evil"
o=$("$BERTH" logs "$(dk_name log)" 2>/dev/null)
e=$("$BERTH" logs "$(dk_name log)" 2>&1 >/dev/null)
is "logs: stdout lines on stdout" "$(printf '%s\n' "$o" | grep -c '^out')" 5
is "logs: stderr lines on stderr" "$(printf '%s\n' "$e" | grep -c '^err')" 5
if has_esc "$o"; then not_ok "logs: escape sequences neutralised"; else ok "logs: escape sequences neutralised"; fi
like "logs: shown visibly" "$o" '\^\[\[2J\^\[\]0;x\^Gevil'
o=$("$BERTH" logs --tail 2 "$(dk_name log)" 2>&1)
is "logs --tail 2" "$(printf '%s\n' "$o" | wc -l | tr -d ' ')" 2
o=$("$BERTH" logs "$(dk_name log)" --timestamps 2>/dev/null | head -1)
like "logs --timestamps" "$o" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z out 1$'

# TTY: one raw stream, \r\n endings handled.
dk_run tty -t "$DK_IMAGE" sh -c 'echo "tty out"; echo "tty err" >&2; sleep 300' >/dev/null
wait_until 10 sh -c "$DOCKER logs $(dk_name tty) | grep -q 'tty err'"
o=$("$BERTH" logs "$(dk_name tty)" 2>/dev/null)
is "TTY logs: both streams, raw, on stdout" "$o" "tty out
tty err"

# Many frames: chunk boundaries fall anywhere; every line must be whole.
dk_run many "$DK_IMAGE" sh -c 'i=1; while [ $i -le 3000 ]; do echo "line $i abcdefghijklmnopqrstuvwxyz0123456789"; echo "E$i" >&2; i=$((i+1)); done; sleep 300' >/dev/null
wait_until 20 sh -c "$DOCKER logs $(dk_name many) 2>&1 | grep -q E3000"
o=$("$BERTH" logs "$(dk_name many)" 2>/dev/null)
is "3000 stdout lines, none split or merged" \
	"$(printf '%s\n' "$o" | grep -cE '^line [0-9]+ abcdefghijklmnopqrstuvwxyz0123456789$')" 3000
want=$(dk logs "$(dk_name many)" 2>/dev/null | md5sum)
is "stdout identical to docker logs" "$(printf '%s\n' "$o" | md5sum)" "$want"

# Follow: lines keep coming, and the stream ends when the container stops.
# 4 s between the lines: the check below (at least 1.5 s) holds even if
# this shell gets to the clock late after docker run returned (loaded machine)
dk_run follow "$DK_IMAGE" sh -c 'echo first; sleep 4; echo second; sleep 1' >/dev/null
s=$(date +%s.%N)
o=$(timeout 20 "$BERTH" logs -f "$(dk_name follow)" 2>&1)
rc=$?
is "logs -f ends when the container stops" "$rc" 0
is "logs -f saw the later line" "$o" "first
second"
t=$(elapsed "$s")
check "logs -f waited for it (${t}s)" awk -v t="$t" 'BEGIN { exit !(t >= 1.5) }'

err=$("$BERTH" logs berth-test-no-such-container 2>&1)
rc=$?
is "logs of an unknown container exits 2" "$rc" 2
like "logs of an unknown container says so" "$err" "No such container"
"$BERTH" logs >/dev/null 2>&1
is "logs without a container is a usage error" "$?" 2
done_testing
