#!/bin/sh
# A busy daemon is not a dead forward: when /_ping through a live ssh
# goes unanswered for a while (a docker import on a slow TCG guest kept
# dockerd from answering within the 1 s ping timeout), the supervisor
# keeps its ssh and the transfers in flight; it used to restart ssh
# after two such pings and cut them ("Post .../images/create: EOF").
# The private sshd plays the guest; behind it a small HTTP server on a
# unix socket answers /_ping at once, then (once the test says so) only
# after 3 s: a fault a real dockerd only shows under load.
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/integration/socket-lib.sh"
socket_setup
SLOW=$T_HOME/slow.sock
python3 - "$SLOW" "$T_HOME/slow" <<'PY' &
import os, socketserver, sys, time
class H(socketserver.StreamRequestHandler):
    def handle(self):
        try:
            while True:
                line = self.rfile.readline()
                if not line:
                    return
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                if b"/_ping" in line and os.path.exists(sys.argv[2]):
                    time.sleep(3)
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                                 b"Api-Version: 1.41\r\n\r\nOK")
        except OSError:
            pass
class S(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
S(sys.argv[1], H).serve_forever()
PY
SERVER=$!
SOCKET_CLEANUP_EXTRA='kill $SERVER 2>/dev/null'
wait_until 10 test -S "$SLOW"
sed -i "s|^docker:\$|docker:\n  guest_socket: $SLOW|" "$T_HOME/config/profiles/test.yaml"
"$BERTH" $P socket start --wait 20 >/dev/null
is "the forward comes up while the daemon answers" "$?" 0
pid=$(json pid)
touch "$T_HOME/slow"
# Six refreshes (1 s each) of unanswered pings: before, two were enough
# for a restart. By design ten are (FORWARD_SLOW_PINGS): everything is
# read from one status taken at once, not from three berth runs in a row
# (each a second or two under ASan on a loaded machine, and the third
# came after the tenth ping: "restarts 1", a new ssh pid).
sleep 6
snap=$("$BERTH" $P socket --json 2>/dev/null)
field() {
	printf '%s' "$snap" | python3 -c 'import json, sys
v = json.load(sys.stdin).get(sys.argv[1])
print("null" if v is None else v)' "$1" 2>/dev/null
}
like "the daemon is slow: the stage says so" "$(field stage)" "slow to answer"
is "a slow daemon does not restart ssh" "$(field restarts)" 0
is "the same ssh still runs" "$(field pid)" "$pid"
[ "$(field restarts)" = 0 ] || echo "# stage: $(field stage); error: $(field error)"
"$BERTH" $P socket stop
done_testing
