#!/bin/sh
# first-run.sh: the path a new user takes, end to end (issue 12). A look-
# alike of Debian's generic cloud image (tests/vm/build-cloud-image.sh: a
# GRUB-booted disk with cloud-init, sshd and the guest agent, no Docker)
# is served over HTTP with a SHA512SUMS, as cloud.debian.org serves the
# real one. From an empty BERTH_HOME, the shipped default profile with only
# vm.image pointed at it:
#   berth start (download, disks, seed, boot, cloud-init installing
#   Debian's docker.io from the mirror, Docker ready, socket forwarded),
#   timed stage by stage, while berth status answers from another process
#   → a local image is imported through the context berth-default → a
#   busybox httpd container publishes port 18080, its page answers inside
#   the guest → a file in the shared ~/src is visible in the container →
#   with polling on, a host edit wakes a watcher in the container → berth
#   stop → berth start again (the second boot, timed) → berth delete
#   --data --yes leaves no domain, disk, key or context behind.
# Then the same image started with a plain `virsh start` (no seed), timed
# to its ssh banner: the floor. The times are printed as TAP comments
# (bench/README.md keeps a copy). Needs the guest to reach Debian's mirror
# through QEMU's user networking (it does here: DNS and HTTP go out through
# the host). Slow: about 8-10 minutes under TCG on two cores.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

now() { date +%s.%N; }
# within SECONDS CMD...: retry CMD every second until it succeeds or
# SECONDS of wall time have passed (wait_until counts tries, and an ssh
# try at a guest that hangs takes its ConnectTimeout).
within() {
	_end=$(($(date +%s) + $1))
	shift
	while [ "$(date +%s)" -lt "$_end" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 1
	done
	return 1
}
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
TABLE=
row() { TABLE="$TABLE$(printf '%-34s %8s s' "$1" "$2")
"; }

tcg_or_skip
for c in ssh docker curl python3 qemu-img gcc mmdebstrap; do
	command -v $c >/dev/null || skip_all "$c missing (tests/env/install-deps.sh)"
done

t=$(now)
if ! IMG=$("$BERTH_SRCDIR/tests/vm/build-cloud-image.sh" \
	2>"${TMPDIR:-/tmp}/berth-first-run-build.$$"); then
	if ! curl -sfI --max-time 20 http://deb.debian.org/debian/dists/bookworm/Release >/dev/null; then
		rm -f "${TMPDIR:-/tmp}/berth-first-run-build.$$"
		skip_all "mmdebstrap cannot reach the Debian mirror to build the cloud image"
	fi
	not_ok "build the cloud image"
	sed 's/^/# build: /' "${TMPDIR:-/tmp}/berth-first-run-build.$$" | tail -20
	rm -f "${TMPDIR:-/tmp}/berth-first-run-build.$$"
	done_testing
	exit 1
fi
rm -f "${TMPDIR:-/tmp}/berth-first-run-build.$$"
row "cloud image (build/cache)" "$(since "$t")"
NAME=debian-12-generic-amd64.qcow2

DOM=berth-default
if guest_virsh dominfo "$DOM" >/dev/null 2>&1; then
	skip_all "a domain $DOM already exists at $GUEST_URI (not this test's)"
fi

t_home
export HOME="$T_HOME/home" # the shipped profile shares ~/src
SRC=$HOME/src
W=$T_HOME/w
STATE=$T_HOME/state/default
FLOOR=berth-first-run-floor-$$
export DOCKER_CONFIG=$T_HOME/docker
mkdir -p "$SRC" "$W" "$DOCKER_CONFIG"
HTTPD=
BG=
TMUXS=berth-first-run-$$
T_CLEANUP='tmux -L $TMUXS kill-server 2>/dev/null; [ -n "$BG" ] && kill $BG 2>/dev/null; "$BERTH" socket stop >/dev/null 2>&1; "$BERTH" delete --data --yes >/dev/null 2>&1; guest_virsh destroy $DOM >/dev/null 2>&1; guest_virsh undefine $DOM >/dev/null 2>&1; guest_virsh destroy $FLOOR >/dev/null 2>&1; [ -n "$HTTPD" ] && kill $HTTPD 2>/dev/null'
trap 'exit 1' INT TERM HUP

python3 "$BERTH_SRCDIR/tests/integration/image-httpd.py" "$IMG" "$W/port" &
HTTPD=$!
wait_until 10 test -s "$W/port"
URL=http://127.0.0.1:$(cat "$W/port")/ok/$NAME

# The user's one change to the shipped profile.
out=$("$BERTH" profile set default vm.image "$URL" 2>&1)
is "berth profile set default vm.image" "$?" 0
is "the profile is the shipped one plus vm.image" \
	"$(grep -vxF "  image: $URL" "$T_HOME/config/profiles/default.yaml" |
		cmp - "$BERTH_SRCDIR/profiles/default.yaml" && echo same)" same

echo 'hello from the host' >"$SRC/index.html"
gcc -static -O2 -o "$SRC/inw" "$BERTH_SRCDIR/tests/vm/inw.c" || {
	not_ok "build the static inotify watcher"
	done_testing
	exit 1
}

# stage_rows FILE: "stage NAME(17) SECONDS s ..." lines as table rows,
# with the running total (the time since berth start began).
stage_rows() {
	awk '/^stage / { n = substr($0, 7, 17); sub(/ +$/, "", n)
		split(substr($0, 25), a, " ")
		if (n != "total") { c += a[1]; printf "%-34s %8s s  (at %.1f s)\n", "  " n, a[1], c }
		else printf "%-34s %8s s\n", "  " n, a[1] }' "$1"
}
stage_names() { awk '/^stage / { n = substr($0, 7, 17); sub(/ +$/, "", n)
	printf "%s,", n }' "$1"; }
# stage_at FILE NAME: seconds from the start to the end of stage NAME.
stage_at() {
	awk -v want="$2" '/^stage / { n = substr($0, 7, 17); sub(/ +$/, "", n)
		split(substr($0, 25), a, " "); c += a[1]
		if (n == want) { printf "%.1f", c; exit } }' "$1"
}

# --- the first start -------------------------------------------------
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
# A dashboard is open on the same profile the whole time (it takes the
# profile's lock only for its own actions, so the CLI's start goes on).
command -v tmux >/dev/null || skip_all "tmux missing (tests/env/install-deps.sh)"
tmux -L "$TMUXS" -f /dev/null new-session -d -s fr -x 100 -y 30 \
	"$BERTH; echo DASH-EXIT \$? >$W/dash.exit; sleep 600"
dash() { tmux -L "$TMUXS" capture-pane -pt fr; }
dash_has() { dash | grep -Eq -- "$1"; }
check "a dashboard is open on the profile" within 30 dash_has 'press c to create|not created'
t=$(now)
BERTH_CREATE_TIMEOUT_S=900 "$BERTH" start >"$W/start1.out" 2>"$W/start1.err" &
BG=$!
# Another process reads the profile's state while start holds it.
within 300 file_has "$W/start1.err" 'creating disks'
st=$("$BERTH" status --json 2>&1)
is "berth status answers while berth start runs" "$?" 0
like "it sees the new domain" "$st" "\"domain\": \"$DOM\""
wait "$BG"
rc=$?
BG=
FIRST=$(since "$t")
row "first berth start (total)" "$FIRST"
TABLE="$TABLE$(stage_rows "$W/start1.err")
"
if [ $rc -ne 0 ]; then
	not_ok "berth start brings a new VM up to a forwarded Docker socket"
check "the open dashboard shows the VM running" within 30 dash_has 'VM running'
check "and its Socket pane healthy" within 60 dash_has 'healthy'
tmux -L "$TMUXS" send-keys -t fr q
check "the dashboard quits" within 15 test -s "$W/dash.exit"
tmux -L "$TMUXS" kill-server 2>/dev/null
	sed 's/^/# start: /' "$W/start1.err" | tail -40
	"$BERTH" console-log -n 40 2>&1 | sed 's/^/# console: /'
	printf '%s' "$TABLE" | sed 's/^/# /'
	done_testing
	exit 1
fi
ok "berth start brings a new VM up to a forwarded Docker socket"
check "the open dashboard shows the VM running" within 30 dash_has 'VM running'
check "and its Socket pane healthy" within 60 dash_has 'healthy'
tmux -L "$TMUXS" send-keys -t fr q
check "the dashboard quits" within 15 test -s "$W/dash.exit"
tmux -L "$TMUXS" kill-server 2>/dev/null
is "berth start ends running" "$(cat "$W/start1.out")" "$DOM: running"
is "start went through every stage in order" "$(stage_names "$W/start1.err")" \
	"downloading,creating disks,booting,provisioning,Docker ready,socket forwarded,total,"
like "the image came with its SHA512SUMS checked" "$(cat "$W/start1.err")" \
	'stage downloading .*SHA-512 checked'
like "cloud-init ran berth's provisioning to the end" "$(cat "$W/start1.err")" \
	'stage provisioning .*cloud-init done, berth: ready'
like "Docker is Debian's docker.io" "$(cat "$W/start1.err")" \
	'stage Docker ready .*Docker 20\.'
DOCKER_AT=$(stage_at "$W/start1.err" "Docker ready")
SOCKET_AT=$(stage_at "$W/start1.err" "socket forwarded")

SOCK=$STATE/docker.sock
is "the forwarded socket answers (after the dashboard quit)" \
	"$(curl -s --max-time 10 --unix-socket "$SOCK" http://d/_ping)" OK
if docker context inspect berth-default >/dev/null 2>&1; then
	ok "the Docker context berth-default exists"
	export DOCKER_CONTEXT=berth-default
else
	not_ok "the Docker context berth-default exists"
	export DOCKER_HOST=unix://$SOCK
fi

key=$STATE/ssh/id_ed25519
SSHPORT=$("$BERTH" status --json | sed -n 's/.*"ssh": "127\.0\.0\.1:\([0-9]*\)".*/\1/p')
gssh() {
	timeout 60 ssh -q -i "$key" -p "$SSHPORT" -o BatchMode=yes \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o ConnectTimeout=10 -o LogLevel=ERROR root@127.0.0.1 "$@"
}
is "berth's daemon.json is in the guest" \
	"$(gssh "python3 -c 'import json; print(json.load(open(\"/etc/docker/daemon.json\"))[\"log-opts\"][\"max-size\"])'")" 10m
like "the data disk holds /var/lib/docker" "$(gssh findmnt -no SOURCE /var/lib/docker)" '^/dev/vd'

# --- an image, a published port, the shared folder -----------------
t=$(now)
check "busybox image imported through the context" \
	"$BERTH_SRCDIR/tests/env/busybox-image.sh" berth-busybox:test
row "import busybox image" "$(since "$t")"
t=$(now)
C=berth-first-run-web
cid=$(docker run -d --name "$C" -p 18080:80 -v "$SRC:/www" \
	berth-busybox:test httpd -f -p 80 -h /www 2>"$W/run.err")
is "docker run -d -p 18080:80 an httpd" "$?" 0
[ -n "$cid" ] || sed 's/^/# run: /' "$W/run.err"
page() {
	gssh "python3 -c 'import urllib.request; print(urllib.request.urlopen(\"http://127.0.0.1:18080/\", timeout=5).read().decode(), end=\"\")'" 2>/dev/null
}
within 60 page
is "its page answers on the published port inside the guest" "$(page)" \
	'hello from the host'
row "docker run → page answers" "$(since "$t")"
host_page() { curl -s --max-time 5 http://127.0.0.1:18080/; }
host_page_ok() { [ "$(host_page)" = 'hello from the host' ]; }
t=$(now)
check "its page answers on the host's 127.0.0.1:18080 (port forwarded)" \
	within 60 host_page_ok
row "page in the guest → page on the host" "$(since "$t")"
like "berth ports lists it" "$("$BERTH" ports 2>&1)" '18080'
echo "shared $$" >"$SRC/shared.txt"
is "a file in the shared folder is visible in the container" \
	"$(docker exec "$C" cat /www/shared.txt 2>&1)" "shared $$"

# Getting in (issue 16): berth ssh and berth exec on the real guest.
is "berth ssh -- CMD runs in the guest" \
	"$("$BERTH" ssh -- cat /etc/machine-id </dev/null 2>&1)" \
	"$(gssh cat /etc/machine-id)"
is "berth exec CONTAINER CMD runs in the container" \
	"$("$BERTH" exec "$C" cat /www/shared.txt </dev/null 2>&1)" "shared $$"
"$BERTH" ssh-config >"$W/ssh-config"
timeout 60 ssh -F "$W/ssh-config" -o BatchMode=yes -o ConnectTimeout=10 \
	berth-default true </dev/null >/dev/null 2>"$W/ssh-config.err"
is "ssh -F (berth ssh-config) berth-default reaches the guest" "$?" 0

# Polling mode: a host edit wakes an inotify watcher in a container.
W2=berth-first-run-watch
docker run -d --name "$W2" --network none -v "$SRC:/app" \
	berth-busybox:test /app/inw /app >/dev/null 2>"$W/run2.err"
logs_has() { docker logs "$1" 2>&1 | grep -Eq -- "$2"; }
check "the watcher in the container is ready" wait_until 60 logs_has "$W2" '^INW-READY'
"$BERTH" watch -f 1 on >"$W/watch.out" 2>"$W/watch.err" &
BG=$!
wait_until 60 file_has "$W/watch.out" '^ready:'
like "polling watcher took its snapshot" "$(cat "$W/watch.out")" '^ready:'
t=$(now)
echo 'v2' >"$SRC/index.html"
if wait_until 30 logs_has "$W2" '^INW [0-9.]+ /app/index\.html (CLOSE_WRITE|ATTRIB)'; then
	ok "with polling on, a host edit wakes the watcher in the container"
else
	not_ok "with polling on, a host edit wakes the watcher in the container"
	docker logs "$W2" 2>&1 | tail -5 | sed 's/^/# inw: /'
	tail -5 "$W/watch.err" | sed 's/^/# watch: /'
fi
row "host edit → container event" "$(since "$t")"
kill "$BG" 2>/dev/null
wait "$BG" 2>/dev/null
BG=
docker rm -f "$C" "$W2" >/dev/null 2>&1

# --- stop, the second start ------------------------------------------
t=$(now)
out=$("$BERTH" stop 2>&1)
like "berth stop" "$out" "$DOM: (stopped|shut off)"
row "berth stop" "$(since "$t")"
t=$(now)
out=$("$BERTH" start 2>"$W/start2.err")
is "the second berth start" "$?:$out" "0:$DOM: running"
row "second berth start (returns)" "$(since "$t")"
docker_up() { gssh docker info >/dev/null 2>&1; }
check "second boot: Docker answers in the guest" within 300 docker_up
SECOND_DOCKER=$(since "$t")
row "second start → Docker ready" "$SECOND_DOCKER"
ping_ok() { [ "$(curl -s --max-time 5 --unix-socket "$SOCK" http://d/_ping)" = OK ]; }
# A plain berth start brings the forward back by itself.
check "second boot: the socket answers with no other command" within 120 ping_ok
SECOND=$(since "$t") # the time the socket answered, or the wait gave up
row "second start → socket ready" "$SECOND"
like "second boot skipped what was done" \
	"$(gssh "grep berth-provision /var/log/cloud-init-output.log | tail -n 12")" \
	'berth-provision: Docker ready'
is "second boot: no package was installed again" \
	"$(gssh "grep -c 'step: apt-get install' /var/log/cloud-init-output.log")" 1

# --- delete -----------------------------------------------------------
"$BERTH" socket stop >/dev/null 2>&1
out=$("$BERTH" delete --data --yes 2>&1)
is "berth delete --data --yes" "$?" 0
check "no domain is left" sh -c "! virsh -q -c '$GUEST_URI' dominfo $DOM >/dev/null 2>&1"
check "no disk is left" sh -c "! ls '$STATE'/*.qcow2 '$STATE'/*.iso 2>/dev/null | grep -q ."
check "no key is left" test ! -e "$key"
check "no context is left" sh -c "! docker context inspect berth-default >/dev/null 2>&1"

# --- the floor: the same image under a plain virsh start ---------------
base=$(ls "$T_HOME"/cache/images/*"$NAME"* 2>/dev/null | head -n1)
[ -n "$base" ] || base=$IMG/$NAME
FPORT=$(guest_free_port)
qemu-img create -q -f qcow2 -F qcow2 -b "$base" "$W/floor.qcow2"
cat >"$W/floor.xml" <<EOF
<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>$FLOOR</name>
  <memory unit='MiB'>2048</memory>
  <vcpu>2</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <features><acpi/></features>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
      <source file='$W/floor.qcow2'/><target dev='vda' bus='virtio'/></disk>
    <serial type='file'><source path='$W/floor-console.log'/><target port='0'/></serial>
    <controller type='usb' model='none'/>
  </devices>
  <qemu:commandline>
    <qemu:arg value='-netdev'/>
    <qemu:arg value='user,id=fnet0,hostfwd=tcp:127.0.0.1:$FPORT-:22'/>
    <qemu:arg value='-device'/>
    <qemu:arg value='virtio-net-pci,netdev=fnet0,bus=pci.0,addr=0x1e'/>
  </qemu:commandline>
</domain>
EOF
banner() {
	python3 -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 3)
s.settimeout(3)
sys.exit(0 if s.recv(8).startswith(b"SSH-") else 1)' "$FPORT"
}
t=$(now)
guest_virsh create "$W/floor.xml" >/dev/null
# Without a seed cloud-init finds no datasource and may leave sshd without
# host keys: the serial console's login prompt counts as booted too.
floor_up() { banner 2>/dev/null || grep -q 'login:' "$W/floor-console.log" 2>/dev/null; }
if within 300 floor_up; then
	ok "floor: the same image boots under plain virsh"
else
	not_ok "floor: the same image boots under plain virsh"
	tail -n 15 "$W/floor-console.log" | sed 's/\x1b\[[0-9;]*m//g; s/^/# floor console: /'
fi
FLOOR_T=$(since "$t")
row "floor: virsh start → ssh banner or login prompt" "$FLOOR_T"
guest_virsh destroy "$FLOOR" >/dev/null 2>&1

echo "# first start: $FIRST s (Docker ready at $DOCKER_AT s, socket at $SOCKET_AT s)"
echo "# second start: $SECOND s (Docker ready at $SECOND_DOCKER s)"
echo "# floor (plain virsh start to the ssh banner or login prompt): $FLOOR_T s"
# One run of each side, not interleaved: a report, not a benchmark ratio.
BOOT_T=$(awk '/^stage booting / { print $3; exit }' "$W/start1.err")
echo "# booting stage / floor: $(awk -v a="$BOOT_T" -v b="$FLOOR_T" \
	'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else print "n/a" }')"
echo "# load average: $LOAD_START at the first start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
echo "# stage                                  time"
printf '%s' "$TABLE" | sed '/^$/d; s/^/# /'
done_testing
