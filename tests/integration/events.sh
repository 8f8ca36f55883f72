#!/bin/sh
# berth events [--json] on libvirt's test driver and a fake daemon
# (faultd.py): the first states, a mount's watch mode changed from another
# berth process, the socket dropping and coming back while events keeps
# going, exits 0 on SIGINT/SIGTERM, clear failures when the profile,
# libvirt or the daemon cannot be reached at start; and status --watch
# --json, a JSON object a line.
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
t_home
command -v python3 >/dev/null || skip_all "python3 missing (JSON checks)"
unset DOCKER_HOST DOCKER_CONTEXT
P=$T_HOME/config/profiles

# ---- failures at start ------------------------------------------------------
"$BERTH" -p no-such-profile events >/dev/null 2>"$T_HOME/err"
is "an unknown profile is a usage error" "$?" 2

printf 'vm:\n  uri: test:///default\n  domain: test\ndocker:\n  forward: none\n  socket: %s/nobody.sock\n' \
	"$T_HOME" >"$P/nod.yaml"
timeout 30 "$BERTH" -p nod events --json >"$T_HOME/out" 2>"$T_HOME/err"
is "no daemon at start: exit 1" "$?" 1
like "no daemon at start: says why" "$(cat "$T_HOME/err")" \
	"^berth: profile nod: .*nobody\.sock"
is "no daemon at start: nothing on stdout" "$(cat "$T_HOME/out")" ""

printf 'vm:\n  uri: qemu:///system?socket=%s/no-libvirt.sock\n  domain: x\n' \
	"$T_HOME" >"$P/nolv.yaml"
timeout 30 "$BERTH" -p nolv events >/dev/null 2>"$T_HOME/err"
is "no libvirt at start: exit 1" "$?" 1
like "no libvirt at start: says why" "$(cat "$T_HOME/err")" \
	"^berth: profile nolv: .*libvirt"

# ---- a fake daemon, a mount, the test driver's VM ---------------------------
fsock=$T_HOME/fault.sock
fault() { # (re)start the fake daemon
	rm -f "$fsock" "$fsock.ready"
	python3 "$BERTH_SRCDIR/tests/integration/faultd.py" "$fsock" noversion 2>/dev/null &
	FPID=$!
	wait_until 10 test -e "$fsock.ready"
}
T_CLEANUP='t_kill $FPID $EPID 2>/dev/null; :'
fault
mkdir -p "$T_HOME/src"
cat >"$P/ev.yaml" <<EOF
vm:
  uri: test:///default
  domain: test
docker:
  forward: none
  socket: $fsock
refresh: 500ms
mounts:
  - host: $T_HOME/src
    guest: /src
    watch: off
EOF
out=$T_HOME/ev.out
"$BERTH" -p ev events --json >"$out" 2>"$T_HOME/ev.err" &
EPID=$!

# lines TYPE: "name state previous" of each TYPE event, one a line.
lines() {
	python3 - "$out" "$1" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    for k in ("time", "type", "profile", "name", "detail"):
        assert k in o, (k, line)
    assert o["profile"] == "ev", line
    if o["type"] == sys.argv[2]:
        print(o["name"], o["state"], o["previous"])
PY
}
check "the first states come" wait_until 20 file_has "$out" '"type":"mount"'
is "vm: the state, no previous" "$(lines vm)" "test running None"
is "socket: up, no previous" "$(lines socket)" "$fsock up None"
is "mount: off, no previous" "$(lines mount)" "$T_HOME/src off None"
like "every line is one JSON object with an RFC 3339 time" \
	"$(python3 -c '
import json, re, sys
for l in open(sys.argv[1]):
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", json.loads(l)["time"])
print("ok")' "$out" 2>&1)" '^ok$'

"$BERTH" -p ev watch 1 on >/dev/null 2>&1
check "a watch mode changed by another berth: a mount event" \
	wait_until 20 file_has "$out" '"type":"mount".*"state":"poll"'
is "mount: poll, was off" "$(lines mount | tail -1)" "$T_HOME/src poll off"

t_kill "$FPID"
wait "$FPID" 2>/dev/null
check "the daemon goes: a socket event" \
	wait_until 20 file_has "$out" '"type":"socket".*"state":"down"'
like "socket: down, was up, with why" "$(tail -1 "$out")" \
	'"state":"down","previous":"up","detail":"[^"]+"'
check "events keeps going" alive "$EPID"
fault
check "the daemon is back: up again" \
	wait_until 20 last_has "$out" '"type":"socket".*"state":"up","previous":"down"'

t_kill "$EPID"
wait "$EPID"
is "SIGTERM: exit 0" "$?" 0

# Without --json: a readable line each; SIGINT ends it with 0. (A new
# file each run: the shell truncates it after `&` returns.)
out=$T_HOME/text.out
"$BERTH" -p ev events >"$out" 2>"$T_HOME/ev.err" &
EPID=$!
check "text lines come" wait_until 20 file_has "$out" ' mount '
like "a vm line" "$(grep ' vm ' "$out")" '^[0-9-]+T[0-9:.]+Z vm test running$'
like "a mount line" "$(grep ' mount ' "$out")" "Z mount $T_HOME/src poll\$"
t_kill -INT "$EPID"
wait "$EPID"
is "SIGINT: exit 0" "$?" 0

# ---- status --watch --json: a JSON object a line ----------------------------
out=$T_HOME/status.out
"$BERTH" -p ev status --watch --json >"$out" 2>"$T_HOME/st.err" &
EPID=$!
check "status --watch --json prints" wait_until 20 test -s "$out"
t_kill -INT "$EPID"
wait "$EPID"
is "status --watch --json: SIGINT exits 0" "$?" 0
is "status --watch --json: each line is status --json's object" \
	"$(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    o = json.loads(l)
    print(o["profile"], o["connection"], o["state"])' "$out" 2>&1)" "ev up running"
done_testing
