#!/bin/sh
# berth ps --watch follows ONE /events stream: create, start, die and
# destroy show up without polling the list.
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$BERTH_SRCDIR/tests/integration/docker-lib.sh"
t_home
dk_require
unset DOCKER_HOST DOCKER_CONTEXT

out=$T_HOME/watch.out
# A long interval: the list can only change through events.
"$BERTH" ps -a --watch --json --interval 60s >"$out" 2>"$T_HOME/watch.err" &
DK_PIDS="$DK_PIDS $!"
wait_until 15 test -s "$out" || { not_ok "ps --watch printed the list"; done_testing; exit 1; }
ok "ps --watch printed the list"

name=$(dk_name ev)
# states NAME: the states NAME went through in the watch output, in order.
states() {
	python3 - "$out" "$1" <<'PY'
import json, sys
seen = []
for line in open(sys.argv[1]):
    try:
        o = json.loads(line)
    except ValueError:
        continue
    st = [c["state"] for c in o["containers"] if c["name"] == sys.argv[2]]
    st = st[0] if st else "absent"
    if not seen or seen[-1] != st:
        seen.append(st)
print(" ".join(seen))
PY
}

dk create --network none --name "$name" "$DK_IMAGE" sh -c 'sleep 1' >/dev/null
wait_until 20 sh -c "grep -q '\"$name\"' '$out'"
like "create arrives" "$(states "$name")" "^absent created$"
dk start "$name" >/dev/null
wait_until 20 sh -c "grep -q '\"$name\".*\"running\"' '$out'"
like "start arrives" "$(states "$name")" "created running"
dk wait "$name" >/dev/null
wait_until 20 sh -c "grep -q '\"$name\".*\"exited\"' '$out'"
like "die arrives (exited)" "$(states "$name")" "running exited"
dk rm "$name" >/dev/null
wait_until 20 sh -c "tail -1 '$out' | grep -vq '\"$name\"'"
is "destroy arrives: absent again" "$(states "$name")" "absent created running exited absent"

# Pause shows as its own state, through the same stream.
id=$(dk_run p "$DK_IMAGE" sleep 300)
dk pause "$id" >/dev/null
wait_until 20 sh -c "grep -q '\"$(dk_name p)\".*\"paused\"' '$out'"
like "pause arrives" "$(states "$(dk_name p)")" "running paused"
is "nothing on stderr" "$(cat "$T_HOME/watch.err")" ""

# berth events --json: the daemon's container events, a JSON object a line,
# each once, even for a container that comes and goes between two
# refreshes (demo: test:///default's VM, this machine's dockerd).
ev=$T_HOME/events.out
"$BERTH" -p demo events --json >"$ev" 2>"$T_HOME/events.err" &
EPID=$!
DK_PIDS="$DK_PIDS $EPID"
check "events: the socket is up" wait_until 20 file_has "$ev" '"type":"socket".*"state":"up"'
like "events: the VM's state first" "$(head -1 "$ev")" \
	'^\{"time":"[^"]+Z","type":"vm","profile":"demo","name":"test","state":"running","previous":null'
short=$(dk_name short)
dk run --network none --name "$short" "$DK_IMAGE" sh -c 'exit 3' >/dev/null
dk rm "$short" >/dev/null
long=$(dk_name long)
dk_run long "$DK_IMAGE" sleep 300 >/dev/null
dk stop -t 1 "$long" >/dev/null
# actions NAME: NAME's actions in the events output, in order.
actions() {
	python3 - "$ev" "$1" <<'PY'
import json, sys
seen = []
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o["type"] == "container" and o["name"] == sys.argv[2]:
        assert o["profile"] == "demo" and len(o["id"]) == 64, line
        a = o["action"]
        if a == "die":
            a += "=%s" % o["exit_code"]
        seen.append(a)
print(" ".join(a for a in seen if a in ("create", "start", "stop", "destroy") or a.startswith("die")))
PY
}
check "events: the stop arrives" wait_until 20 file_has "$ev" "\"$long\".*\"action\":\"stop\""
check "events: the short one's destroy arrives" \
	wait_until 20 file_has "$ev" "\"$short\".*\"action\":\"destroy\""
is "events: a container that came and went: each action once" \
	"$(actions "$short")" "create start die=3 destroy"
like "events: docker stop: start, die, stop" "$(actions "$long")" \
	"^create start die=[0-9]+ stop$"
t_kill -INT "$EPID"
wait "$EPID"
is "events: SIGINT exits 0" "$?" 0
done_testing
