#!/bin/sh
# runtime.sh: the socket and the published ports live with the VM
# (issue 12, items 3 and 5), on the real Docker guest. A profile with
# the default vm.ssh_port: 0 (berth picks the port and keeps it in the
# domain) is created and started by berth, then:
#   - `docker --context berth-PROFILE ps` works after the first start;
#   - `docker run -d -p HOSTPORT:80` a busybox httpd in the guest, and
#     http://127.0.0.1:HOSTPORT/ answers on the host; `berth ports` lists
#     it; a UDP port is listed as not forwarded; a host port already
#     taken is reported (exit 1); the container stopped, the port closes
#     and leaves the list;
#   - `berth socket stop`, then `berth socket start` finds the SSH port
#     in the domain (it used to wait for ever);
#   - with no forward running, a dashboard opens, starts one, and quits:
#     the socket still answers;
#   - `berth stop` ends the forward (socket and ports), and a plain
#     `berth start` brings the socket back with no other command.
# Slow: two boots under TCG (about 3-5 min). Run it under
# flock /tmp/berth-vm.lock.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

tcg_or_skip
for c in ssh docker curl qemu-img tmux python3; do
	command -v $c >/dev/null || skip_all "$c missing (tests/env/install-deps.sh)"
done
if ! docker_guest_paths 2>"${TMPDIR:-/tmp}/berth-rt-build.$$"; then
	rm -f "${TMPDIR:-/tmp}/berth-rt-build.$$"
	curl -sfI --max-time 20 http://deb.debian.org/debian/dists/bookworm/Release >/dev/null ||
		skip_all "mmdebstrap cannot reach the Debian mirror to build the Docker guest"
	not_ok "build the Docker guest"
	done_testing
	exit 1
fi
rm -f "${TMPDIR:-/tmp}/berth-rt-build.$$"

t_home
P=rt$$
DOM=berth-$P
STATE=$T_HOME/state/$P
SOCK=$STATE/docker.sock
TMUX_SOCK=$T_HOME/tmux.sock
export DOCKER_CONFIG=$T_HOME/docker HOME=$T_HOME/h
unset DOCKER_HOST DOCKER_CONTEXT TMUX
mkdir -p "$DOCKER_CONFIG" "$HOME" "$STATE/ssh"
LISTENER=
T_CLEANUP='[ -n "$LISTENER" ] && kill $LISTENER 2>/dev/null; tmux -S "$TMUX_SOCK" kill-server 2>/dev/null; "$BERTH" -p $P socket stop >/dev/null 2>&1; guest_virsh destroy $DOM >/dev/null 2>&1; "$BERTH" -p $P delete --yes --data >/dev/null 2>&1; guest_virsh undefine $DOM >/dev/null 2>&1'
trap 'exit 1' INT TERM HUP
cp "$DOCKER_GUEST_KEY" "$STATE/ssh/id_ed25519"
cp "$DOCKER_GUEST_KEY.pub" "$STATE/ssh/id_ed25519.pub"
chmod 600 "$STATE/ssh/id_ed25519"
chmod 700 "$T_HOME/state" "$STATE" "$STATE/ssh"

cat >"$T_HOME/config/profiles/$P.yaml" <<EOF
vm:
  uri: $GUEST_URI
  image: file://$DOCKER_GUEST_DISK
  kernel: $DOCKER_GUEST_KERNEL
  initrd: $DOCKER_GUEST_INITRD
  cmdline: $DOCKER_GUEST_KARGS
  cpus: 2
  memory: 1GiB
  disk: 4GiB
refresh: 1s
EOF

# A free host port (nothing listens on 127.0.0.1 there).
free_port() { guest_free_port; }
sjson() { # FIELD: from berth socket --json
	"$BERTH" -p "$P" socket --json 2>/dev/null | python3 -c 'import json, sys
v = json.load(sys.stdin).get(sys.argv[1])
print("null" if v is None else (str(v).lower() if isinstance(v, bool) else v))' "$1" 2>/dev/null
}
# port_state PORT [PROTO]: its state in berth ports --json, "gone" if absent.
port_state() {
	"$BERTH" -p "$P" ports --json 2>/dev/null | python3 -c 'import json, sys
for e in json.load(sys.stdin):
    if e["host_port"] == int(sys.argv[1]) and e["proto"] == sys.argv[2]:
        print(e["state"]); break
else:
    print("gone")' "$1" "${2:-tcp}" 2>/dev/null
}
state_is() { [ "$(port_state "$1" "${3:-tcp}")" = "$2" ]; }
page() { curl -s --max-time 5 "http://127.0.0.1:$1/"; }
page_is() { [ "$(page "$1")" = "$2" ]; }
ping_ok() { [ "$(curl -s --max-time 5 --unix-socket "$SOCK" http://d/_ping)" = OK ]; }
closed() { ! curl -s --max-time 3 -o /dev/null "http://127.0.0.1:$1/"; }
owner() { sjson owner_pid; }

out=$(BERTH_CREATE_TIMEOUT_S=400 "$BERTH" -p "$P" start 2>"$T_HOME/start.err")
rc=$?
is "berth start (create and first start)" "$rc:$out" "0:$DOM: running"
if [ $rc -ne 0 ]; then
	sed 's/^/# start: /' "$T_HOME/start.err"
	"$BERTH" -p "$P" console-log -n 30 2>&1 | sed 's/^/# console: /'
	done_testing
	exit 1
fi
like "the profile's ssh port came from the domain" "$(sjson guest)" "^root@127\.0\.0\.1:[0-9]+:"

# The context exists from the first start, not made current.
is "docker --context berth-$P ps works after the first start" \
	"$(docker --context "berth-$P" ps --format x 2>&1; echo "rc=$?")" "rc=0"
check "the context is not made current" test "$(docker context show 2>/dev/null)" != "berth-$P"

export DOCKER_HOST=unix://$SOCK
check "busybox image imported through the socket" \
	"$BERTH_SRCDIR/tests/env/busybox-image.sh" berth-busybox:test

# A busybox httpd publishing HP in the guest answers on the host.
HP=$(free_port)
docker run -d --name web -p "$HP:80" berth-busybox:test \
	sh -c 'mkdir -p /www && echo hello-from-the-guest >/www/index.html && exec httpd -f -p 80 -h /www' >/dev/null
is "docker run -p $HP:80 in the guest" "$?" 0
check "http://127.0.0.1:$HP/ answers on the host" wait_until 60 page_is "$HP" hello-from-the-guest
is "berth ports lists it as forwarded" "$(port_state "$HP")" forwarded
like "berth ports (text) names the container and its port" \
	"$("$BERTH" -p "$P" ports)" "127\.0\.0\.1:$HP/tcp +80 +web +forwarded"

# UDP: listed, said not forwarded.
UP=$(free_port)
docker run -d --name dns -p "$UP:53/udp" berth-busybox:test sleep 600 >/dev/null
check "a UDP port is listed as not forwarded" wait_until 30 state_is "$UP" "udp not forwarded" udp

# A host port already taken: reported, not skipped.
TP=$(free_port)
python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); time.sleep(600)' "$TP" &
LISTENER=$!
sleep 0.5
docker run -d --name clash -p "$TP:80" berth-busybox:test \
	sh -c 'exec httpd -f -p 80 -h /' >/dev/null
check "a host port already in use is reported" wait_until 30 state_is "$TP" error
like "berth ports says why" "$("$BERTH" -p "$P" ports 2>&1)" "$TP.*already in use on the host"
"$BERTH" -p "$P" ports >/dev/null 2>&1
is "berth ports exits 1 while a port could not be forwarded" "$?" 1
is "the forward itself stays healthy" "$(sjson healthy)" true
kill $LISTENER 2>/dev/null
wait $LISTENER 2>/dev/null
LISTENER=
check "the freed port is forwarded on a retry" wait_until 30 state_is "$TP" forwarded
docker rm -f clash dns >/dev/null

# The container stops: its port closes and leaves the list.
docker stop -t 1 web >/dev/null
check "container stopped: the port is gone from berth ports" wait_until 30 state_is "$HP" gone
check "container stopped: the host port is closed" closed "$HP"
docker start web >/dev/null
check "container started again: the port answers again" wait_until 30 page_is "$HP" hello-from-the-guest

# berth socket start finds the SSH port in the domain (vm.ssh_port: 0).
"$BERTH" -p "$P" socket stop >/dev/null 2>&1
check "socket stop: the socket is gone" wait_until 10 sh -c "! curl -s --max-time 2 --unix-socket '$SOCK' http://d/_ping"
out=$("$BERTH" -p "$P" socket start --wait 60 2>&1)
is "berth socket start with vm.ssh_port 0 comes up" "$?" 0
check "berth socket start: /_ping answers" ping_ok
check "berth socket start: the published port is back" wait_until 30 page_is "$HP" hello-from-the-guest

# A dashboard that finds no forward starts one; quitting it keeps it.
"$BERTH" -p "$P" socket stop >/dev/null 2>&1
rm -f "$T_HOME/dash.pid"
tmux -S "$TMUX_SOCK" new-session -d -x 200 -y 50 \
	"sh -c 'echo \$\$ >\"$T_HOME/dash.pid\"; exec env TERM=screen-256color LANG=C.UTF-8 \"$BERTH\" -p $P 2>\"$T_HOME/dash.err\"'"
check "dashboard: the socket answers" wait_until 60 ping_ok
DASH_PID=$(cat "$T_HOME/dash.pid" 2>/dev/null)
check "dashboard: the port answers" wait_until 30 page_is "$HP" hello-from-the-guest
check "dashboard: the Socket pane has a Ports line" wait_until 10 sh -c \
	"tmux -S '$TMUX_SOCK' capture-pane -p -t 0 | grep -Eq 'Ports +$HP→80 web'"
tmux -S "$TMUX_SOCK" send-keys q
check "dashboard: quits" dead "$DASH_PID" 100
sleep 1
check "after the dashboard quit: the socket still answers" ping_ok
check "after the dashboard quit: the port still answers" page_is "$HP" hello-from-the-guest

# berth stop ends the forward; a plain berth start brings it back.
SUP=$(owner)
out=$("$BERTH" -p "$P" stop 2>&1)
like "berth stop" "$?:$out" "^0:$DOM: (stopped|shut off)"
check "berth stop: the supervisor is gone" dead "$SUP" 50
check "berth stop: the socket is gone" sh -c "! curl -s --max-time 2 --unix-socket '$SOCK' http://d/_ping"
check "berth stop: the port is closed" closed "$HP"
out=$("$BERTH" -p "$P" start 2>&1)
is "plain berth start" "$?:$out" "0:$DOM: running"
check "plain berth start: the socket answers again, no other command" wait_until 300 ping_ok
docker start web >/dev/null 2>&1
check "plain berth start: the published port answers again" wait_until 60 page_is "$HP" hello-from-the-guest
check "plain berth start: docker --context still works" \
	docker --context "berth-$P" ps

unset DOCKER_HOST
"$BERTH" -p "$P" stop >/dev/null 2>&1
done_testing
