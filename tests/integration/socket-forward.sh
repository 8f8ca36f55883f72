#!/bin/sh
# The Docker socket forward end to end: berth's ssh -L through a private
# sshd to this machine's real dockerd; /_ping and docker ps through the
# host socket; permissions; forward: none; ssh missing; key permissions.
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/integration/socket-lib.sh"
socket_setup

# Nothing runs the forward yet: down, and says why.
"$BERTH" $P socket --json >/dev/null 2>&1
is "socket --json exits 1 while down" "$?" 1
is "no forward: stage" "$(json stage)" "not running"
like "no forward: the reason says how to start it" "$(json error)" \
	"berth socket start"

out=$("$BERTH" $P socket start --wait 20 2>&1)
is "socket start brings the forward up" "$?" 0
like "socket start prints the export line" "$out" "DOCKER_HOST=unix://$SOCK"

check "socket --json: healthy" wait_json healthy true 10
is "socket --json: mode" "$(json mode)" ssh
is "socket --json: path" "$(json path)" "$SOCK"
is "socket --json: stage" "$(json stage)" up
is "socket --json: API version from /_ping" "$(json api_version)" \
	"$(curl -s -D - -o /dev/null --unix-socket /var/run/docker.sock http://d/_ping |
		sed -n 's/^Api-Version: *//Ip' | tr -d '\r')"
like "socket --json: guest" "$(json guest)" "@127.0.0.1:$SSHD_PORT:/var/run/docker.sock"
like "socket --json: latency" "$(json ping_ms)" '^[0-9]+\.[0-9]+$'
pid=$(json pid)
check "socket --json: the ssh pid is alive" alive "$pid"
like "ssh runs with an argv, no shell" "$(tr '\0' ' ' </proc/$pid/cmdline)" \
	"^ssh -F none -T -i $STATE/ssh/id_ed25519 .*BatchMode=yes.*StrictHostKeyChecking=accept-new.* -N .*ExitOnForwardFailure=yes.*ServerAliveInterval=.* -L $SOCK:/var/run/docker.sock -- 127.0.0.1"
check "supervisor runs" alive "$(json owner_pid)"

is "/_ping through the host socket" \
	"$(curl -s --max-time 5 --unix-socket "$SOCK" http://d/_ping)" OK
is "state dir is 0700" "$(stat -c %a "$STATE")" 700
is "socket is 0600" "$(stat -c %a "$SOCK")" 600
is "key is 0600" "$(stat -c %a "$STATE/ssh/id_ed25519")" 600
check "known_hosts is the profile's own, keyed by its alias" \
	grep -q '^berth-test ' "$STATE/ssh/known_hosts"

direct=$(docker -H unix:///var/run/docker.sock info --format '{{.ID}}')
via=$(docker -H "unix://$SOCK" info --format '{{.ID}}')
is "docker info through berth's socket reaches the same daemon" "$via" "$direct"
docker -H "unix://$SOCK" ps >/dev/null 2>&1
is "docker -H unix://HOST_SOCK ps works" "$?" 0
out=$("$BERTH" $P socket)
like "berth socket (text) says up" "$out" 'health +up, /_ping'
like "berth socket (text) shows the owner" "$out" 'owner +supervisor pid'

# A second start finds the running supervisor and does not start another.
owner=$(json owner_pid)
"$BERTH" $P socket start --wait 5 >/dev/null 2>&1
is "second start keeps the supervisor" "$(json owner_pid)" "$owner"

# Stop: ssh ends and the socket goes away.
"$BERTH" $P socket stop
is "socket stop exits 0" "$?" 0
check "socket stop ended ssh" dead $pid 100
check "socket stop removed the socket" test ! -e "$SOCK"
is "after stop: down" "$(json healthy)" false

# Wrong key permissions are fixed (ssh would refuse the key).
chmod 644 "$STATE/ssh/id_ed25519"
err=$("$BERTH" $P socket key 2>&1 >/dev/null)
like "key permissions: berth says it fixed them" "$err" \
	'fixed permissions .* \(was 0644'
is "key permissions: back to 0600" "$(stat -c %a "$STATE/ssh/id_ed25519")" 600

# ssh missing: a clear error, no crash.
mkdir -p "$T_HOME/emptybin"
out=$(PATH="$T_HOME/emptybin" "$BERTH" $P socket start --wait 1 2>&1)
is "ssh missing: start exits 1" "$?" 1
like "ssh missing: says so" "$out" 'ssh not found in PATH'
"$BERTH" $P socket stop >/dev/null 2>&1

# forward: none checks a socket that is already there.
cat >"$T_HOME/config/profiles/host.yaml" <<EOF
docker:
  forward: none
  socket: /var/run/docker.sock
EOF
is "forward: none: healthy" "$("$BERTH" -p host socket --json |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["healthy"])')" True
out=$("$BERTH" -p host socket start 2>&1)
is "forward: none: start is a usage error" "$?" 2
cat >"$T_HOME/config/profiles/nosock.yaml" <<EOF
docker:
  forward: none
  socket: $T_HOME/no-such.sock
EOF
out=$("$BERTH" -p nosock socket --json)
is "forward: none, no socket: exit 1" "$?" 1
like "forward: none, no socket: says why" "$out" '"error": "no socket at'

done_testing
