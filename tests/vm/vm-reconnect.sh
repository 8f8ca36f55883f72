#!/bin/sh
# vm-reconnect: kill and restart libvirtd while a berth process is
# connected (berth status --watch): berth sees the connection close, says
# "libvirt: disconnected (...), retrying in Ns", reconnects with backoff,
# shows the domain's real state again and receives events on the new
# connection (an outside destroy).
#
# The daemon killed here is a PRIVATE session libvirtd run as an
# unprivileged user with its own runtime and state directories, so the
# system libvirtd other tests share is never disturbed. The guest is the
# real test guest under TCG (no KVM for an unprivileged user).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

[ "$(id -u)" = 0 ] || skip_all "needs root to run a private libvirtd as a test user"
tcg_or_skip
command -v setpriv >/dev/null || skip_all "setpriv missing (util-linux)"
guest_paths 2>/dev/null || {
	not_ok "build the guest (tests/vm/build-guest.sh)"
	done_testing
	exit 1
}

U=berthvm
id "$U" >/dev/null 2>&1 ||
	useradd -r -M -d /nonexistent -s /usr/sbin/nologin "$U" 2>/dev/null
id "$U" >/dev/null 2>&1 || skip_all "cannot create the test user $U"
G=$(id -g "$U")

# short paths: libvirt puts agent sockets under $HOME (108-byte limit)
W=$(mktemp -d /tmp/brc.XXXXXX)
chmod 755 "$W"
mkdir -p "$W/run" "$W/h" "$W/bh/config/profiles"
chown -R "$U" "$W/run" "$W/h" "$W/bh"
chmod 700 "$W/run"
BIN=$(cd "$(dirname "$BERTH")" && pwd)/$(basename "$BERTH")
DOM=berth-r$$
DPID=
WPID=

as_user() {
	setpriv --reuid="$U" --regid="$G" --clear-groups \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$W/h" \
		XDG_RUNTIME_DIR="$W/run" BERTH_HOME="$W/bh" \
		BERTH_DATADIR="$BERTH_DATADIR" LANG=C \
		ASAN_OPTIONS="${ASAN_OPTIONS:-}" \
		UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" "$@"
}
# An explicit socket: a plain qemu:///session would autospawn a daemon.
URI="qemu:///session?socket=$W/run/libvirt/libvirt-sock"
uvirsh() { as_user virsh -q -c "$URI" "$@"; }

start_daemon() {
	rm -f "$W/run/daemon.pid"
	as_user sh -c 'echo $$ >"$XDG_RUNTIME_DIR/daemon.pid"; exec libvirtd' \
		>>"$W/libvirtd.log" 2>&1 &
	_i=0
	until uvirsh version >/dev/null 2>&1; do
		_i=$((_i + 1))
		[ $_i -gt 100 ] && return 1
		sleep 0.1
	done
	DPID=$(cat "$W/run/daemon.pid")
}

cleanup() {
	[ -n "$WPID" ] && kill "$WPID" 2>/dev/null
	uvirsh destroy "$DOM" >/dev/null 2>&1
	uvirsh undefine "$DOM" >/dev/null 2>&1
	t_kill "$DPID"
	# a QEMU left behind by a dead daemon
	f=$W/run/libvirt/qemu/run/$DOM.pid
	[ -f "$f" ] && t_kill "$(cat "$f")"
	# the virtlogd the session daemon started (by its pid file)
	for f in "$W"/run/libvirt/virtlogd.pid "$W"/run/virtlogd.pid; do
		[ -f "$f" ] && t_kill "$(cat "$f")"
	done
	sleep 0.2
	rm -rf "$W"
}
trap cleanup EXIT

trap 'exit 1' INT TERM HUP

start_daemon || skip_all "a private session libvirtd does not start here" \
	"($(tail -1 "$W/libvirtd.log"))"
ok "private session libvirtd up (pid $DPID)"

cat >"$W/bh/config/profiles/r.yaml" <<EOF
vm:
  uri: $URI
  domain: $DOM
  kernel: $GUEST_KERNEL
  initrd: $GUEST_INITRD
  cmdline: console=ttyS0 quiet
  cpus: 1
  memory: 256MiB
  disk: 1GiB
EOF
chown "$U" "$W/bh/config/profiles/r.yaml"

out=$(as_user "$BIN" start -p r 2>&1)
is "berth start on the private daemon" "$out" "$DOM: running"

as_user sh -c 'echo $$ >"$XDG_RUNTIME_DIR/watch.pid"; exec "$0" status -p r --watch' \
	"$BIN" >"$W/watch.log" 2>&1 &
_i=0
until [ -s "$W/run/watch.pid" ] || [ $_i -gt 50 ]; do
	sleep 0.1
	_i=$((_i + 1))
done
WPID=$(cat "$W/run/watch.pid")
wait_line() { # wait_line PATTERN TENTHS
	_i=0
	until grep -Eq "$1" "$W/watch.log"; do
		_i=$((_i + 1))
		[ "$_i" -gt "$2" ] && return 1
		sleep 0.1
	done
}
check "watcher shows running" wait_line 'libvirt=up state=running' 100

t=$(now)
t_kill "$DPID"
_i=0
while kill -0 "$DPID" 2>/dev/null && [ $_i -lt 100 ]; do
	sleep 0.1
	_i=$((_i + 1))
done
DPID=
check "watcher sees the connection drop" wait_line 'libvirt=down' 100
echo "# drop seen $(since "$t") s after the kill"
like "it says why and when it retries" "$(cat "$W/watch.log")" \
	'libvirt: disconnected \(libvirtd closed the connection\), retrying in [0-9]+s'
is "the guest kept running without libvirtd" \
	"$(kill -0 "$(cat "$W"/run/libvirt/qemu/run/"$DOM".pid 2>/dev/null)" 2>/dev/null && echo yes)" yes

sleep 1
t=$(now)
start_daemon
check "libvirtd restarted" eval 'uvirsh version >/dev/null'
_i=0
until [ "$(grep -c 'libvirt=up state=running' "$W/watch.log")" -ge 2 ] ||
	[ $_i -gt 300 ]; do
	sleep 0.1
	_i=$((_i + 1))
done
n=$(grep -c 'libvirt=up state=running' "$W/watch.log")
is "watcher reconnects and shows running again" "$n" 2
echo "# reconnect shown $(since "$t") s after the daemon came back"
like "it says it reconnected" "$(cat "$W/watch.log")" 'libvirt: reconnected to qemu:///session'
check "no daemon was autospawned while libvirtd was down" \
	eval '[ "$(pgrep -u "$U" -x libvirtd | wc -l)" -eq 1 ]'

out=$(as_user "$BIN" status -p r --json 2>/dev/null)
up=$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["uptime_s"])')
check "status gives the session guest's uptime ($up s)" [ "${up:-0}" -gt 0 ]

# events flow on the new connection
uvirsh destroy "$DOM" >/dev/null 2>&1
t=$(now)
check "an outside destroy after the reconnect is seen" wait_line 'state=stopped' 20
echo "# destroy seen $(since "$t") s after virsh returned"

kill "$WPID" 2>/dev/null
WPID=
sed 's/^/# watch: /' "$W/watch.log"
done_testing
