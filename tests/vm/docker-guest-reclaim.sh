#!/bin/sh
# docker-guest-reclaim (issue 16 item 4): memory and disk given back, on
# the real Docker guest (tests/vm/build-docker-guest.sh) under TCG through
# qemu:///system, with the balloon and disk berth defines (free page
# reporting, discard=unmap). berth status on a profile naming the domain
# shows the QEMU process's host RSS and the disk's host size (the
# overlay's allocated blocks, not its highest written offset); the guest
# sees its disk's discard (lsblk -D) and an fstrim after a deleted file
# shrinks the overlay on the host, as status shows; `berth set --disk`
# grows the disk live and the guest's filesystem with it (resize2fs
# through the agent), and status shows the new free space. About 3 min
# warm; run it under the VM lock:
#   flock /tmp/berth-vm.lock sh tests/vm/docker-guest-reclaim.sh
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

tcg_or_skip
command -v ssh >/dev/null || skip_all "ssh missing (apt-get install openssh-client)"
command -v python3 >/dev/null || skip_all "python3 missing (JSON checks)"
docker_guest_paths || {
	not_ok "build the Docker guest (tests/vm/build-docker-guest.sh)"
	done_testing
	exit 1
}

t_home
W=$T_HOME/w
mkdir -p "$W"
DOM=berth-reclaim-t-$$
T_CLEANUP='guest_cleanup'
sp=$(guest_free_port)
cat >"$T_HOME/config/profiles/g.yaml" <<EOF
vm:
  uri: $GUEST_URI
  domain: $DOM
  ssh_port: $sp
  ssh_user: root
EOF

jget() {
	printf '%s' "$1" | python3 -c 'import json,sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[k] if isinstance(v, dict) else None
print("null" if v is None else v)' "$2"
}
status() { "$BERTH" status -p g --json 2>/dev/null; }
g() { docker_guest_ssh "$sp" "$@" </dev/null; }
alloc() { du --block-size=1 "$W/overlay.qcow2" | cut -f1; }
# near A B TOL: |A - B| <= TOL
near() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && b != "" && d <= t) }'; }

GUEST_BALLOON="freePageReporting='on' autodeflate='on'" GUEST_DISCARD=unmap \
	GUEST_CONSOLE=$W/console.log docker_guest_domxml "$DOM" \
	"$W/overlay.qcow2" "$sp" >"$W/dom.xml"
check "virsh create starts the guest" guest_start "$DOM" "$W/dom.xml"
if ! guest_wait_agent "$DOM" "$GUEST_URI" 400 ||
	! docker_guest_wait_ssh "$sp" 300; then
	not_ok "the guest's agent and ssh answer"
	tail -20 "$W/console.log" | sed 's/^/# console: /'
	done_testing
	exit 1
fi
ok "the guest's agent and ssh answer"

# Memory: what QEMU holds on the host, beside what the guest uses.
out=$(status)
rss=$(jget "$out" memory_host_rss_bytes)
vrss=$(($(guest_virsh dommemstat "$DOM" | awk '$1 == "rss" { print $2 }') * 1024))
check "status: the QEMU process's host RSS ($rss), as libvirt's ($vrss)" \
	near "$rss" "$vrss" 67108864
check "status: that RSS is some memory, at most the guest's 2 GiB and QEMU" \
	awk -v r="$rss" 'BEGIN { exit !(r > 33554432 && r < 3221225472) }'
like "status text: memory on the host" "$("$BERTH" status -p g)" \
	'^memory .*[0-9.]+[KMG]iB on the host\)$'

# Disk: discard reaches the guest, and the host size is the file's.
gran=$(g lsblk -D -n -o DISC-GRAN /dev/vda | tr -d ' ')
check "the guest's disk takes discards (lsblk -D DISC-GRAN $gran)" \
	test -n "$gran" -a "$gran" != 0B
out=$(status)
a=$(alloc)
check "status: the disk's host size ($(jget "$out" disk.allocation_bytes)) is the overlay's allocation ($a)" \
	near "$(jget "$out" disk.allocation_bytes)" "$a" 8388608
g 'dd if=/dev/zero of=/root/fill bs=1M count=300 status=none && sync'
a1=$(alloc)
g 'rm /root/fill && sync && fstrim / && sync'
sleep 1
a2=$(alloc)
check "fstrim after a deleted 300 MiB file shrinks the overlay ($a1 -> $a2)" \
	awk -v a="$a1" -v b="$a2" 'BEGIN { exit !(a - b >= 250 * 1048576) }'
out=$(status)
check "status: the host size follows ($(jget "$out" disk.allocation_bytes) vs $a2)" \
	near "$(jget "$out" disk.allocation_bytes)" "$a2" 8388608
like "status text: disk on the host" "$("$BERTH" status -p g)" \
	"^disk +[0-9.]+[KMG]iB \\([0-9.]+[KMG]?i?B on the host"

# set --disk: the disk grows live and the guest's filesystem with it.
cap=$(jget "$out" disk.capacity_bytes)
fs0=$(g df -B1 --output=size / | tail -n 1 | tr -d ' ')
new=$((cap / 1073741824 + 1))
out=$("$BERTH" set -p g --disk "${new}GiB" 2>&1)
like "set --disk ${new}GiB applies live" "$out" "disk ${new}GiB: applied"
like "... and says the guest's filesystem grew" "$out" \
	"grew the guest's filesystem on /: [0-9.]+[KMG]iB free"
fs1=$(g df -B1 --output=size / | tail -n 1 | tr -d ' ')
check "the guest's / grew by about 1 GiB ($fs0 -> $fs1)" \
	awk -v a="$fs0" -v b="$fs1" 'BEGIN { exit !(b - a >= 900 * 1048576) }'
free1=$(g df -B1 --output=avail / | tail -n 1 | tr -d ' ')
# the agent's size leaves out the blocks reserved for root: used + free
usable1=$(g df -B1 --output=used,avail / | awk 'NR == 2 { printf "%.0f", $1 + $2 }')
# the agent's figures are cached for 10 s
i=0
gs=null
while [ $i -lt 30 ]; do
	out=$(status)
	gs=$(jget "$out" disk.guest_size_bytes)
	near "$gs" "$usable1" 67108864 && break
	sleep 1
	i=$((i + 1))
done
check "status: the guest's filesystem size ($gs) is the grown one ($usable1)" \
	near "$gs" "$usable1" 67108864
check "status: its free space ($(jget "$out" disk.guest_free_bytes)) is the guest's ($free1)" \
	near "$(jget "$out" disk.guest_free_bytes)" "$free1" 67108864
like "status text: free in the guest" "$("$BERTH" status -p g)" \
	'free in the guest\), the domain'"'"'s first disk$'
done_testing
