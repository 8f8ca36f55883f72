#!/bin/sh
# e2e.sh: the whole chain on a real guest (issue 8). The Docker test
# guest's disk (tests/vm/build-docker-guest.sh) enters berth the way a
# user's image does (vm.image: file://…, direct kernel boot); it has no
# cloud-init, so berth finds it already provisioned. Then:
#   berth create → berth start (boot, provisioning, Docker ready, socket
#   forwarded) → import the busybox image through the forwarded socket →
#   a container with a 9p-shared host folder bind-mounted runs an inotify
#   watcher (tests/vm/inw, copied in through the share) → berth ps lists
#   it → with polling on (berth watch), a host edit wakes the watcher in
#   the container → berth stop → berth delete.
# Every stage is timed; the table is printed as TAP comments. Slow: a
# cold guest build takes minutes, boot to Docker 45-160 s under TCG.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
TABLE=
row() { TABLE="$TABLE$(printf '%-28s %8s s' "$1" "$2")
"; }

tcg_or_skip
for c in ssh docker gcc qemu-img; do
	command -v $c >/dev/null || skip_all "$c missing (tests/env/install-deps.sh)"
done

t=$(now)
if ! docker_guest_paths 2>"${TMPDIR:-/tmp}/berth-e2e-build.$$"; then
	if ! curl -sfI --max-time 20 http://deb.debian.org/debian/dists/bookworm/Release >/dev/null; then
		rm -f "${TMPDIR:-/tmp}/berth-e2e-build.$$"
		skip_all "mmdebstrap cannot reach the Debian mirror to build the Docker guest"
	fi
	not_ok "build the Docker guest"
	sed 's/^/# build: /' "${TMPDIR:-/tmp}/berth-e2e-build.$$" | tail -20
	rm -f "${TMPDIR:-/tmp}/berth-e2e-build.$$"
	done_testing
	exit 1
fi
rm -f "${TMPDIR:-/tmp}/berth-e2e-build.$$"
row "guest image (build/cache)" "$(since "$t")"

t_home
P=e2e$$
DOM=berth-$P
W=$T_HOME/w
S=$W/share
STATE=$T_HOME/state/$P
export DOCKER_CONFIG=$T_HOME/docker
mkdir -p "$S" "$DOCKER_CONFIG" "$STATE/ssh"
BG=
T_CLEANUP='[ -n "$BG" ] && kill $BG 2>/dev/null; "$BERTH" -p $P socket stop >/dev/null 2>&1; guest_virsh destroy $DOM >/dev/null 2>&1; "$BERTH" -p $P delete --yes --data >/dev/null 2>&1; guest_virsh undefine $DOM >/dev/null 2>&1'
trap 'exit 1' INT TERM HUP
# The image already trusts its own key: it becomes the profile's key
# (a cloud image would get the profile's key from the seed instead).
cp "$DOCKER_GUEST_KEY" "$STATE/ssh/id_ed25519"
cp "$DOCKER_GUEST_KEY.pub" "$STATE/ssh/id_ed25519.pub"
chmod 600 "$STATE/ssh/id_ed25519"
gcc -static -O2 -o "$S/inw" "$BERTH_SRCDIR/tests/vm/inw.c" || {
	not_ok "build the static inotify watcher"
	done_testing
	exit 1
}
echo 'v1' >"$S/app.js"
mkdir -p "$S/src/deep"
echo 'v1' >"$S/src/deep/view.js"

cat >"$T_HOME/config/profiles/$P.yaml" <<EOF2
vm:
  uri: $GUEST_URI
  image: file://$DOCKER_GUEST_DISK
  kernel: $DOCKER_GUEST_KERNEL
  initrd: $DOCKER_GUEST_INITRD
  cmdline: $DOCKER_GUEST_KARGS
  cpus: 2
  memory: 1GiB
  disk: 4GiB
mounts:
  - host: $S
    guest: /work/app
    writable: true
    watch: off
    interval: 500ms
docker:
  socket: auto
  context: berth-$P
  activate: false
EOF2

stage_rows() { # "stage NAME(17) SECONDS s ..." lines into the table
	awk '/^stage / { n = substr($0, 7, 17); sub(/ +$/, "", n)
		split(substr($0, 25), a, " ")
		printf "%-28s %8s s\n", "  " n, a[1] }' "$1"
}
stage_names() { awk '/^stage / { n = substr($0, 7, 17); sub(/ +$/, "", n)
	printf "%s,", n }' "$1"; }

t=$(now)
out=$("$BERTH" -p "$P" create 2>"$W/create.err")
is "berth create" "$?:$out" "0:$DOM: created"
row "berth create (total)" "$(since "$t")"
TABLE="$TABLE$(stage_rows "$W/create.err")
"
like "create made the overlay on the cached base" \
	"$(qemu-img info --output=json "$STATE/disk.qcow2")" "\"backing-filename\": \"$DOCKER_GUEST_DISK\""

t=$(now)
out=$(BERTH_CREATE_TIMEOUT_S=300 "$BERTH" -p "$P" start 2>"$W/start.err")
rc=$?
row "berth start (total)" "$(since "$t")"
TABLE="$TABLE$(stage_rows "$W/start.err")
"
if [ $rc -ne 0 ]; then
	not_ok "berth start brings the VM up to a forwarded Docker socket"
	sed 's/^/# start: /' "$W/start.err"
	"$BERTH" -p "$P" console-log -n 30 | sed 's/^/# console: /'
	printf '%s' "$TABLE" | sed 's/^/# /'
	done_testing
	exit 1
fi
is "berth start ends running" "$out" "$DOM: running"
stages=$(stage_names "$W/start.err")
is "start went through every stage in order" "$stages" \
	"booting,provisioning,Docker ready,socket forwarded,total,"
like "the image is found already provisioned" "$(cat "$W/start.err")" \
	'stage provisioning .*already provisioned \(no cloud-init in the image\)'

SOCK=$STATE/docker.sock
export DOCKER_HOST=unix://$SOCK
is "guest dockerd answers through the forwarded host socket" \
	"$(curl -s --max-time 10 --unix-socket "$SOCK" http://d/_ping)" OK

t=$(now)
check "busybox image imported through the forwarded socket" \
	"$BERTH_SRCDIR/tests/env/busybox-image.sh" berth-busybox:test
row "import busybox image" "$(since "$t")"

# logs_wait CONTAINER PATTERN [SECONDS]: until its log matches (60 s).
logs_has() { docker logs "$1" 2>&1 | grep -Eq -- "$2"; }
logs_wait() { wait_until "${3:-60}" logs_has "$1" "$2"; }
# logs_more CONTAINER PATTERN N: more than N log lines match.
logs_count() { docker logs "$1" 2>&1 | grep -c -- "$2"; }
logs_more() { [ "$(logs_count "$1" "$2")" -gt "$3" ]; }
# heard DESC CONTAINER PATTERN: the container's watcher logged the event
# within 30 s; if not, show its log and berth's.
heard() {
	if logs_wait "$2" "$3" 30; then
		ok "$1"
	else
		not_ok "$1"
		docker logs "$2" 2>&1 | tail -5 | sed 's/^/# inw: /'
		sed 's/^/# watch: /' "$W/watch.err" | tail -5
	fi
}

t=$(now)
C=berth-e2e-$$
cid=$(docker run -d --name "$C" --network none -v /work/app:/app \
	berth-busybox:test /app/inw -r /app 2>"$W/run.err")
is "container with the 9p share bind-mounted runs" "$?" 0
[ -n "$cid" ] || sed 's/^/# run: /' "$W/run.err"
check "the watcher in the container is ready" logs_wait "$C" '^INW-READY'
row "docker run → watcher ready" "$(since "$t")"

t=$(now)
like "berth ps lists the container" "$("$BERTH" -p "$P" ps 2>&1)" "$C"
row "berth ps" "$(since "$t")"

# Without polling a host edit is invisible in the guest (9p has no
# notifications); with berth watch on it is replayed.
echo 'v2' >"$S/app.js"
sleep 2
if docker logs "$C" 2>&1 | grep -q 'app\.js'; then
	not_ok "watch off: a host edit raises nothing in the container"
else
	ok "watch off: a host edit raises nothing in the container"
fi
"$BERTH" -p "$P" watch -f 1 on >"$W/watch.out" 2>"$W/watch.err" &
BG=$!
wait_until 30 file_has "$W/watch.out" '^ready:'
like "polling watcher took its snapshot" "$(cat "$W/watch.out")" '^ready:'
t=$(now)
echo 'v3' >"$S/app.js"
heard "a host edit wakes the watcher in the container" "$C" \
	'^INW [0-9.]+ /app/app\.js (CLOSE_WRITE|ATTRIB)'
row "host edit → container event" "$(since "$t")"

# A subfolder: berth holds the share's folders open in the guest, so a
# watcher started after that hears edits two folders down.
wait_until 30 last_has "$W/watch.out" ' pinned=2( |$)'
like "berth holds the share's 2 folders in the guest" \
	"$(tail -n 1 "$W/watch.out")" ' pinned=2( |$)'
C2=berth-e2e-nested-$$
docker run -d --name "$C2" --network none -v /work/app:/app \
	berth-busybox:test /app/inw -r /app/src >/dev/null 2>"$W/run2.err"
logs_wait "$C2" '^INW-READY'
t=$(now)
echo 'v2' >"$S/src/deep/view.js"
heard "an edit in a subfolder wakes a watcher in a container" "$C2" \
	'^INW [0-9.]+ /app/src/deep/view\.js CLOSE_WRITE'
row "host edit in a subfolder → container event" "$(since "$t")"
# The guest agent restarts (an upgrade of qemu-guest-agent does that).
# The holders run in scopes of their own, not in the agent's service, so
# they live on and the watcher keeps hearing; berth's check (every 10 s)
# finds every holder alive. Before, they died with the agent, berth held
# new folders, and the watcher's folders stayed deaf.
guest_exec "$DOM" systemd-run --no-block systemctl restart \
	qemu-guest-agent >/dev/null 2>&1
sleep 3
check "the guest agent is back after its restart" guest_wait_agent "$DOM"
ev='/app/src/deep/view\.js CLOSE_WRITE'
n0=$(logs_count "$C2" "$ev")
sleep 11
echo 'v3' >"$S/src/deep/view.js"
check "after the agent restarted, the subfolder watcher still hears" \
	wait_until 30 logs_more "$C2" "$ev" "$n0"
docker rm -f "$C2" >/dev/null 2>&1
kill "$BG" 2>/dev/null
wait "$BG" 2>/dev/null
BG=

# The second transport on the real guest: transport: ssh, to the port
# berth forwarded to the guest's sshd when it defined the VM (the profile
# names none: berth reads it from the domain).
"$BERTH" profile set "$P" 'mounts[0].transport' ssh >/dev/null 2>&1
check "transport: ssh saved" grep -q 'transport: ssh' "$T_HOME/config/profiles/$P.yaml"
"$BERTH" -p "$P" watch -f 1 on >"$W/watch2.out" 2>"$W/watch2.err" &
BG=$!
wait_until 30 last_has "$W/watch2.out" ' pinned=2 via=ssh$'
like "over ssh, the guest's folders are held" "$(tail -n 1 "$W/watch2.out")" \
	' pinned=2 via=ssh$'
ev='/app/app\.js CLOSE_WRITE'
n0=$(logs_count "$C" "$ev")
t=$(now)
echo 'v4' >"$S/app.js"
if wait_until 30 logs_more "$C" "$ev" "$n0"; then
	ok "over ssh, a host edit wakes the watcher in the container"
else
	not_ok "over ssh, a host edit wakes the watcher in the container"
	sed 's/^/# watch: /' "$W/watch2.err" "$W/watch2.out" | tail -5
fi
row "host edit → container event, over ssh" "$(since "$t")"
kill "$BG" 2>/dev/null
wait "$BG" 2>/dev/null
BG=
docker rm -f "$C" >/dev/null 2>&1

t=$(now)
"$BERTH" -p "$P" socket stop >/dev/null 2>&1
out=$("$BERTH" -p "$P" stop 2>&1)
like "berth stop" "$out" "$DOM: (stopped|shut off)"
row "berth stop" "$(since "$t")"
out=$("$BERTH" -p "$P" delete --yes 2>&1)
is "berth delete keeps the data disk" "$out" "$DOM: deleted (data disk kept)"
check "data disk survives delete" test -s "$STATE/data.qcow2"

echo "# stage                            time"
printf '%s' "$TABLE" | sed '/^$/d; s/^/# /'
done_testing
