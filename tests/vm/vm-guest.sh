#!/bin/sh
# vm-guest: berth's VM commands on the real test guest under TCG through
# qemu:///system. berth defines the domain from a profile (kernel boot, a
# 9p share, agent channel, balloon with free page reporting, a disk with
# discard, vCPU maximum above current) and then:
# start -> running -> agent answers -> memory changed live (balloon) ->
# a vCPU hot-plugged and onlined -> the 9p share visible in the guest ->
# an outside `virsh destroy` seen through events within 1 s -> stop
# through the agent. Prints the timings as # lines.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

tcg_or_skip
command -v python3 >/dev/null || skip_all "python3 missing (JSON checks)"
guest_paths 2>/dev/null || {
	not_ok "build the guest (tests/vm/build-guest.sh)"
	done_testing
	exit 1
}

t_home
DOM=berth-vmt-$$
W=$T_HOME/w
mkdir -p "$W/share"
chmod 755 "$T_HOME" "$W" "$W/share"
WATCH_PID=
T_CLEANUP='[ -n "$WATCH_PID" ] && kill $WATCH_PID 2>/dev/null;
	guest_virsh destroy "$DOM" >/dev/null 2>&1;
	guest_virsh undefine "$DOM" >/dev/null 2>&1'
trap 't_cleanup' EXIT
trap 'exit 1' INT TERM HUP

cat >"$T_HOME/config/profiles/g.yaml" <<EOF
# real guest test profile
vm:
  uri: $GUEST_URI
  domain: $DOM
  kernel: $GUEST_KERNEL
  initrd: $GUEST_INITRD
  cmdline: console=ttyS0 quiet
  cpus: 1
  max_cpus: 2
  memory: 512MiB
  max_memory: 1GiB
  disk: 1GiB
  shutdown_timeout: 30s
mounts:
  - host: $W/share
    type: 9p
    writable: true
  # not made beforehand: berth makes it (QEMU refused to start without it,
  # as it did for a new user's missing ~/src in the shipped profile)
  # and a guest path longer than QEMU's 31-byte mount tag: tagged shareN,
  # placed by berth.mount= on the kernel command line
  - host: $W/not-yet/src
    guest: /srv/a-guest-path-over-31-bytes-long
    type: 9p
    writable: true
EOF

jget() {
	printf '%s' "$1" | python3 -c 'import json,sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):  # disk.kind: a field of an object
    v = v[k] if isinstance(v, dict) else None
print("null" if v is None else str(v).lower() if isinstance(v, bool) else v)' "$2"
}
status() { "$BERTH" status -p g --json 2>/dev/null; }
domstat() { guest_virsh domstats --balloon --vcpu "$DOM" 2>/dev/null; }

t=$(now)
out=$("$BERTH" start -p g 2>&1)
is "berth start defines and starts the domain" "$out" "$DOM: running"
check "a share folder that did not exist was made" test -d "$W/not-yet/src"
echo "# berth start: $(since "$t") s"
is "libvirt says running" "$(guest_virsh domstate "$DOM" 2>&1)" "running"
xml=$(guest_virsh dumpxml "$DOM" 2>/dev/null)
like "domain type is TCG here (nested KVM is not picked)" "$xml" "<domain type='qemu'"
like "the slirp NIC is pinned to pci.0 slot 0x1e" "$xml" 'bus=pci\.0,addr=0x1e'
like "serial log under the profile's state dir" "$xml" "$T_HOME/state/g/console.log"
# memory and disk given back: this libvirt and QEMU take free page
# reporting, and the disk passes the guest's TRIM to the host file
like "the balloon reports free pages (libvirt 9.0, QEMU 7.2)" "$xml" \
	"<memballoon model='virtio'[^>]* freePageReporting='on'"
like "... and deflates when the guest runs out" "$xml" \
	"<memballoon model='virtio'[^>]* autodeflate='on'"
like "the disk passes discards to the host file" "$xml" \
	"<driver name='qemu' type='raw' discard='unmap'/>"

if guest_wait_agent "$DOM" "$GUEST_URI" 120; then
	ok "agent answers guest-ping ($(since "$t") s after start)"
else
	not_ok "agent answers guest-ping within 120 s"
	sed 's/^/# console: /' "$T_HOME/state/g/console.log" | tail -20
	done_testing
	exit 1
fi

out=$(status)
is "status: running" "$(jget "$out" state)" "running"
is "status: accel tcg" "$(jget "$out" accel)" "tcg"
is "status: berth defined it (not adopted)" "$(jget "$out" adopted)" "false"
is "status: vcpus 1 of max 2" "$(jget "$out" cpus)/$(jget "$out" cpus_max)" "1/2"
is "status: disk 1GiB" "$(jget "$out" disk.capacity_bytes)" 1073741824
# a kernel-booted VM has one disk (disk.qcow2), not an image's data.qcow2
is "status: that disk is the first (and only) one" "$(jget "$out" disk.kind)" first
check "status: uptime counts ($(jget "$out" uptime_s) s)" [ "$(jget "$out" uptime_s)" -gt 0 ]
like "status: ssh forward" "$(jget "$out" ssh)" '^127\.0\.0\.1:[0-9]+$'
i=0
while [ "$(jget "$out" agent)" != true ] && [ $i -lt 20 ]; do
	sleep 0.5
	out=$(status)
	i=$((i + 1))
done
is "status: agent true" "$(jget "$out" agent)" "true"
i=0
while [ "$(jget "$out" ip)" = null ] && [ $i -lt 20 ]; do
	sleep 0.5
	out=$(status)
	i=$((i + 1))
done
is "status: guest IP from the agent" "$(jget "$out" ip)" "10.0.2.15"
check "status: the QEMU process's host RSS ($(jget "$out" memory_host_rss_bytes))" \
	[ "$(jget "$out" memory_host_rss_bytes)" -gt 1048576 ]
like "status: hostname from the agent" "$(jget "$out" hostname)" '.'

# memory live through the balloon (current 512MiB, maximum 1GiB)
t=$(now)
out=$("$BERTH" set -p g --memory 768MiB 2>&1)
is "set --memory within the maximum applies live" "$out" "memory 768MiB: applied"
# the guest's balloon driver follows within a few seconds
i=0
while [ "$(domstat | sed -n 's/^ *balloon.current=//p')" != 786432 ] &&
	[ $i -lt 50 ]; do
	sleep 0.2
	i=$((i + 1))
done
is "the guest's balloon reaches 768MiB" \
	"$(domstat | sed -n 's/^ *balloon.current=//p')" 786432
like "the profile now says 768MiB" "$(cat "$T_HOME/config/profiles/g.yaml")" 'memory: 768MiB'
echo "# live memory change: $(since "$t") s"
out=$("$BERTH" set -p g --memory 2GiB 2>&1)
is "memory above the maximum applies on restart" "$out" "memory 2GiB: saved; applies on restart"
out=$(status)
is "status shows the pending memory" "$(jget "$out" memory_pending_bytes)" 2147483648
is "status keeps the live memory" "$(jget "$out" memory_bytes)" 805306368

# vCPU hot-plug, onlined through the agent
out=$("$BERTH" set -p g --cpus 2 2>&1)
is "set --cpus 2 hot-plugs live" "$out" "cpus 2: applied"
is "libvirt counts 2 live vCPUs" "$(guest_virsh vcpucount "$DOM" --live --active 2>&1)" 2
online=
i=0
while [ $i -lt 20 ]; do
	online=$(guest_exec "$DOM" cat /sys/devices/system/cpu/online 2>/dev/null)
	[ "$online" = "0-1" ] && break
	sleep 0.5
	i=$((i + 1))
done
is "the new vCPU is online in the guest" "$online" "0-1"
out=$("$BERTH" set -p g --cpus 1 2>&1)
is "vCPU unplug is not done live" "$out" "cpus 1: saved; applies on restart"
out=$(status)
is "status: 2 vCPUs now, 1 on restart" "$(jget "$out" cpus)/$(jget "$out" cpus_pending)" "2/1"
out=$("$BERTH" set -p g --cpus 3 2>&1)
like "more vCPUs than the host has is refused" "$out" '^berth: 3 vCPUs is out of range: this host allows 1-'
out=$("$BERTH" set -p g --disk 512MiB 2>&1)
like "disk shrink refused" "$out" '^berth: disks only grow'
out=$("$BERTH" set -p g --disk 2GiB 2>&1)
is "disk grows while running (block resize)" "$out" "disk 2GiB: applied"
is "the disk file grew" "$(stat -c %s "$T_HOME/state/g/disk.raw")" 2147483648

# the 9p share
echo "hello-$$" >"$W/share/hello.txt"
out=$(guest_exec "$DOM" cat "$W/share/hello.txt" 2>&1)
is "9p share visible in the guest at the same path" "$out" "hello-$$"
echo "long-$$" >"$W/not-yet/src/long.txt"
out=$(guest_exec "$DOM" cat /srv/a-guest-path-over-31-bytes-long/long.txt 2>&1)
is "a share whose guest path is over 31 bytes is there too" "$out" "long-$$"

# an outside destroy reaches a connected berth through events
"$BERTH" status -p g --watch >"$W/watch.log" 2>&1 &
WATCH_PID=$!
i=0
until grep -q 'state=running' "$W/watch.log" || [ $i -gt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
t0=$(now)
guest_virsh destroy "$DOM" >/dev/null 2>&1
t=$(now) # libvirt has emitted the event by the time virsh returns
i=0
until grep -q 'state=stopped' "$W/watch.log" || [ $i -gt 100 ]; do
	sleep 0.02
	i=$((i + 1))
done
dt=$(since "$t")
echo "# virsh destroy took $(awk -v a="$t0" -v b="$t" 'BEGIN { printf "%.2f", b - a }') s; berth saw it $dt s after"
check "watcher saw the outside destroy" grep -q 'state=stopped' "$W/watch.log"
check "... within 1 s of virsh returning (took $dt s)" \
	awk -v d="$dt" 'BEGIN { exit !(d < 1.0) }'
kill $WATCH_PID 2>/dev/null
wait $WATCH_PID 2>/dev/null
WATCH_PID=

# start again (pending values now apply) and stop through the agent
out=$("$BERTH" start -p g 2>&1)
is "start again" "$out" "$DOM: running"
out=$(status)
is "pending memory applied at boot" "$(jget "$out" memory_bytes)" 2147483648
is "pending vCPUs applied at boot" "$(jget "$out" cpus)" 1
guest_wait_agent "$DOM" "$GUEST_URI" 120 || true
t=$(now)
out=$("$BERTH" stop -p g 2>&1)
is "stop through the agent ends stopped" "$out" "$DOM: stopped"
echo "# berth stop: $(since "$t") s"
is "libvirt says shut off" "$(guest_virsh domstate "$DOM" 2>&1)" "shut off"
out=$("$BERTH" stop -p g 2>&1)
is "stop again is a no-op" "$out" "$DOM: stopped"

# a guest that ignores the shutdown request (ACPI, before its agent is
# up; the guest has no acpid): berth gives up after vm.shutdown_timeout
# and says to use --force, which works
sed 's/shutdown_timeout: 30s/shutdown_timeout: 1s/' \
	"$T_HOME/config/profiles/g.yaml" >"$T_HOME/config/profiles/g1.yaml"
out=$("$BERTH" start -p g1 2>&1)
is "start (profile with a 1 s shutdown timeout)" "$out" "$DOM: running"
out=$("$BERTH" stop -p g1 2>&1)
is "an ignored shutdown exits 1" "$?" 1
is "an ignored shutdown says to use --force" "$out" \
	"berth: $DOM did not stop within 1s (the guest ignored the shutdown request); use \`berth stop --force\`"
is "the VM is still running" "$(guest_virsh domstate "$DOM" 2>&1)" "running"
out=$("$BERTH" stop --force -p g1 2>&1)
is "stop --force ends stopped" "$out" "$DOM: stopped"

done_testing
