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
wait_until 10 sh -c "grep -q '\"$name\"' '$out'"
like "create arrives" "$(states "$name")" "^absent created$"
dk start "$name" >/dev/null
wait_until 10 sh -c "grep -q '\"$name\".*\"running\"' '$out'"
like "start arrives" "$(states "$name")" "created running"
dk wait "$name" >/dev/null
wait_until 10 sh -c "grep -q '\"$name\".*\"exited\"' '$out'"
like "die arrives (exited)" "$(states "$name")" "running exited"
dk rm "$name" >/dev/null
wait_until 10 sh -c "tail -1 '$out' | grep -vq '\"$name\"'"
is "destroy arrives: absent again" "$(states "$name")" "absent created running exited absent"

# Pause shows as its own state, through the same stream.
id=$(dk_run p "$DK_IMAGE" sleep 300)
dk pause "$id" >/dev/null
wait_until 10 sh -c "grep -q '\"$(dk_name p)\".*\"paused\"' '$out'"
like "pause arrives" "$(states "$(dk_name p)")" "running paused"
is "nothing on stderr" "$(cat "$T_HOME/watch.err")" ""
done_testing
