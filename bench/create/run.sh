#!/bin/sh
# bench/create/run.sh: how long berth takes to make a Docker-ready VM from
# an image, per stage, next to the floor: a plain `virsh create` of the
# same disk (transient domain on an overlay, hand-made XML) timed to the
# same points (sshd answers, dockerd answers, socket forwarded).
#   cold: empty cache; the image (the Docker test guest's 870 MB disk) is
#         downloaded from a loopback HTTP server and checked (SHA-256)
#   warm: the image is cached (file://), so no download
# usage: BERTH=build/berth sh bench/create/run.sh      (root, libvirtd up)
set -u
: "${BERTH_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${BERTH:=$BERTH_SRCDIR/berth}"
. "$BERTH_SRCDIR/tests/lib.sh"
. "$BERTH_SRCDIR/tests/vm/lib.sh"
tcg_or_skip
docker_guest_paths || exit 1
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
W=$(mktemp -d "${TMPDIR:-/tmp}/berth-bench-create.XXXXXX")
SRV=
cleanup() {
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null
	for p in cold warm; do
		BERTH_HOME=$W/$p "$BERTH" -p b$p socket stop >/dev/null 2>&1
		BERTH_HOME=$W/$p "$BERTH" -p b$p delete --yes --data >/dev/null 2>&1
	done
	guest_cleanup
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- baseline: virsh create, then the same waits by hand ---
DOM=berth-bench-virsh-$$
sp=$(guest_free_port)
t0=$(now)
docker_guest_domxml "$DOM" "$W/ov.qcow2" "$sp" >"$W/dom.xml"
guest_start "$DOM" "$W/dom.xml"
b_define=$(since "$t0")
t=$(now)
until docker_guest_ssh "$sp" true </dev/null 2>/dev/null; do sleep 0.5; done
b_boot=$(since "$t")
t=$(now)
until docker_guest_ssh "$sp" docker version --format '{{.Server.Version}}' \
	</dev/null >/dev/null 2>&1; do sleep 1; done
b_docker=$(since "$t")
t=$(now)
docker_guest_forward "$sp" "$W/docker.sock"
until [ "$(curl -s --max-time 5 --unix-socket "$W/docker.sock" http://d/_ping)" = OK ]; do
	sleep 0.3
done
b_sock=$(since "$t")
b_total=$(since "$t0")
guest_cleanup

# --- berth, cold and warm ---
sum=$(sha256sum <"$DOCKER_GUEST_DISK" | cut -c1-64)
mkdir -p "$W/srv"
ln -s "$DOCKER_GUEST_DISK" "$W/srv/disk.qcow2"
(cd "$W/srv" && exec python3 -m http.server --bind 127.0.0.1 0 >"$W/http.log" 2>&1) &
SRV=$!
i=0
while ! grep -q 'port' "$W/http.log" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
port=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$W/http.log" | head -1)

run() { # run cold|warm IMAGE
	H=$W/$1
	mkdir -p "$H/config/profiles" "$H/state/b$1/ssh"
	cp "$DOCKER_GUEST_KEY" "$H/state/b$1/ssh/id_ed25519"
	cp "$DOCKER_GUEST_KEY.pub" "$H/state/b$1/ssh/id_ed25519.pub"
	cat >"$H/config/profiles/b$1.yaml" <<EOF2
vm:
  uri: $GUEST_URI
  image: $2
  image_sha256: $sum
  kernel: $DOCKER_GUEST_KERNEL
  initrd: $DOCKER_GUEST_INITRD
  cmdline: $DOCKER_GUEST_KARGS
  cpus: 2
  memory: 1GiB
  disk: 4GiB
docker:
  context: berth-bench-$1
EOF2
	t=$(now)
	BERTH_HOME=$H DOCKER_CONFIG=$H/docker "$BERTH" -p b$1 start \
		>/dev/null 2>"$W/$1.err" || { cat "$W/$1.err" >&2; exit 1; }
	echo "total $(since "$t")" >"$W/$1.total"
	BERTH_HOME=$H "$BERTH" -p b$1 socket stop >/dev/null 2>&1
	BERTH_HOME=$H "$BERTH" -p b$1 delete --yes --data >/dev/null 2>&1
}
st() { # st cold|warm STAGE
	awk -v s="$2" '/^stage / { n = substr($0, 7, 17); sub(/ +$/, "", n)
		split(substr($0, 25), a, " "); if (n == s) print a[1] }' "$W/$1.err"
}
run cold "http://127.0.0.1:$port/disk.qcow2"
run warm "file://$DOCKER_GUEST_DISK"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'; }
printf '%-18s %10s %10s %12s %14s\n' stage "berth cold" "berth warm" "virsh create" "warm/virsh"
printf '%-18s %10s %10s %12s %14s\n' downloading "$(st cold downloading)" "$(st warm downloading)" - -
printf '%-18s %10s %10s %12s %14s\n' "creating disks" "$(st cold 'creating disks')" "$(st warm 'creating disks')" "$b_define" "$(ratio "$(st warm 'creating disks')" "$b_define")"
printf '%-18s %10s %10s %12s %14s\n' booting "$(st cold booting)" "$(st warm booting)" "$b_boot" "$(ratio "$(st warm booting)" "$b_boot")"
printf '%-18s %10s %10s %12s %14s\n' provisioning "$(st cold provisioning)" "$(st warm provisioning)" - -
printf '%-18s %10s %10s %12s %14s\n' "Docker ready" "$(st cold 'Docker ready')" "$(st warm 'Docker ready')" "$b_docker" "$(ratio "$(st warm 'Docker ready')" "$b_docker")"
printf '%-18s %10s %10s %12s %14s\n' "socket forwarded" "$(st cold 'socket forwarded')" "$(st warm 'socket forwarded')" "$b_sock" "$(ratio "$(st warm 'socket forwarded')" "$b_sock")"
ct=$(cut -d' ' -f2 "$W/cold.total")
wt=$(cut -d' ' -f2 "$W/warm.total")
printf '%-18s %10s %10s %12s %14s\n' total "$ct" "$wt" "$b_total" "$(ratio "$wt" "$b_total")"
echo "(seconds; load average $(cut -d' ' -f1 /proc/loadavg), $(nproc) cores, TCG)"
