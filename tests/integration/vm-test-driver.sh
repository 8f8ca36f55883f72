#!/bin/sh
# The VM commands on libvirt's test driver (a node XML of our own, loaded
# fresh by every process): status and JSON fields, lifecycle, adopt vs
# define, resources with validation and profile persistence, the profile
# lock, and bad input (unknown URI, dead socket, missing domain) giving one
# clear line and changing nothing.
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
t_home
command -v python3 >/dev/null || skip_all "python3 missing (JSON checks)"

W=$T_HOME/w
mkdir -p "$W"
truncate -s 2G "$W/disk.raw"
# An image VM's disks: a system disk first, the data disk (data.qcow2,
# the one vm.disk sizes) second; plain sparse files, the test driver
# reads only their sizes.
mkdir -p "$W/dd"
truncate -s 3G "$W/dd/system.qcow2"
truncate -s 5G "$W/dd/data.qcow2"
# A stopped VM on a qcow2 disk: berth grows it with qemu-img resize.
truncate -s 1G "$W/q.qcow2"
P=$T_HOME/config/profiles

cat >"$W/node.xml" <<EOF
<node>
  <cpu><mhz>2000</mhz><model>x86_64</model><active>4</active><nodes>1</nodes>
    <sockets>1</sockets><cores>4</cores><threads>1</threads></cpu>
  <memory>8388608</memory>
  <domain type="test" xmlns:test="http://libvirt.org/schemas/domain/test/1.0">
    <name>berth-t</name>
    <metadata><berth:berth xmlns:berth="https://github.com/berth-dev/berth/xmlns/domain/1"><berth:profile>t</berth:profile></berth:berth></metadata>
    <memory unit="MiB">2048</memory>
    <currentMemory unit="MiB">1024</currentMemory>
    <vcpu current="1">2</vcpu>
    <os><type>hvm</type></os>
    <devices><disk type="file" device="disk"><source file="$W/disk.raw"/>
      <target dev="vda"/></disk></devices>
    <test:runstate>5</test:runstate>
  </domain>
  <domain type="test">
    <name>berth-dd</name>
    <memory unit="MiB">512</memory>
    <vcpu>1</vcpu>
    <os><type>hvm</type></os>
    <devices><disk type="file" device="disk"><source file="$W/dd/system.qcow2"/>
      <target dev="vda"/></disk>
      <disk type="file" device="disk"><source file="$W/dd/data.qcow2"/>
      <target dev="vdb"/></disk></devices>
  </domain>
  <domain type="test" xmlns:test="http://libvirt.org/schemas/domain/test/1.0">
    <name>berth-q</name>
    <memory unit="MiB">512</memory>
    <vcpu>1</vcpu>
    <os><type>hvm</type></os>
    <devices><disk type="file" device="disk"><driver name="qemu" type="qcow2"/>
      <source file="$W/q.qcow2"/><target dev="vda"/></disk></devices>
    <test:runstate>5</test:runstate>
  </domain>
  <domain type="test">
    <name>foreign</name>
    <memory unit="MiB">512</memory>
    <vcpu>1</vcpu>
    <os><type>hvm</type></os>
  </domain>
</node>
EOF
URI="test://$W/node.xml"

cat >"$P/t.yaml" <<EOF
# test profile: keep this comment
vm:
  uri: $URI
  cpus: 1    # boot vCPUs
  memory: 1GiB
  disk: 2GiB
EOF
cat >"$P/f.yaml" <<EOF
vm:
  uri: $URI
  domain: foreign
EOF
cat >"$P/d.yaml" <<EOF
vm:
  uri: $URI
  kernel: $W/vmlinux
  cmdline: console=ttyS0
  cpus: 1
  memory: 256MiB
  disk: 1GiB
mounts:
  - host: $W
    type: 9p
EOF
cat >"$P/dd.yaml" <<EOF
vm:
  uri: $URI
EOF
cat >"$P/q.yaml" <<EOF
vm:
  uri: $URI
EOF
cat >"$P/nodom.yaml" <<EOF
vm:
  uri: $URI
  domain: nope
EOF
cat >"$P/badscheme.yaml" <<EOF
vm:
  uri: bogus:///nowhere
EOF
cat >"$P/deadsock.yaml" <<EOF
vm:
  uri: qemu:///system?socket=$W/no-such.sock
EOF

# jget JSON KEY: one field of a JSON object, as Python prints it.
jget() {
	printf '%s' "$1" | python3 -c 'import json,sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[int(k)] if isinstance(v, list) else v[k]
print("null" if v is None else str(v).lower() if isinstance(v, bool) else v)' "$2"
}

# --- status ----------------------------------------------------------
out=$("$BERTH" status -p t --json)
is "status --json exits 0" "$?" 0
is "state of a shut-off domain" "$(jget "$out" state)" "stopped"
is "connection up" "$(jget "$out" connection)" "up"
is "domain name from berth-<profile>" "$(jget "$out" domain)" "berth-t"
is "berth-made domain is not adopted" "$(jget "$out" adopted)" "false"
is "cpus from the XML" "$(jget "$out" cpus)" 1
is "cpus_max above current" "$(jget "$out" cpus_max)" 2
is "memory in bytes" "$(jget "$out" memory_bytes)" 1073741824
is "memory_max in bytes" "$(jget "$out" memory_max_bytes)" 2147483648
is "disk size from the disk file" "$(jget "$out" disk.capacity_bytes)" 2147483648
is "the disk is the domain's first (no data disk)" "$(jget "$out" disk.kind)" first
is "a sparse disk's allocation is 0 as the text says, not null" \
	"$(jget "$out" disk.allocation_bytes)" 0
out=$("$BERTH" status -p dd --json)
is "an image VM's disk is its data disk" "$(jget "$out" disk.kind)" data
is "the data disk's size, not the system disk's" \
	"$(jget "$out" disk.capacity_bytes)" 5368709120
out=$("$BERTH" status -p dd)
like "text status names the data disk too" "$out" \
	'^disk +5GiB \(0B on the host\), the data disk \(/var/lib/docker\)$'
out=$("$BERTH" status -p t --json)
is "host CPUs from the node" "$(jget "$out" host_cpus)" 4
is "host memory from the node" "$(jget "$out" host_memory_bytes)" 8589934592
is "accel of a test domain" "$(jget "$out" accel)" "test"

out=$("$BERTH" status -p f --json)
is "foreign domain is adopted" "$(jget "$out" adopted)" "true"
is "foreign domain is running" "$(jget "$out" state)" "running"
out=$("$BERTH" status -p t)
like "text status shows the state" "$out" '^state +stopped'
like "text status shows vcpus" "$out" '^vcpus +1 \(max 2\)'
like "text status: the same disk as the JSON" "$out" \
	"^disk +2GiB \\(0B on the host\\), the domain's first disk$"

# --- lifecycle (each process loads the node afresh) -------------------
out=$("$BERTH" start -p t 2>&1)
is "start ends running" "$out" "berth-t: running"
out=$("$BERTH" stop -p f 2>&1)
is "stop ends stopped" "$out" "foreign: stopped"
out=$("$BERTH" stop --force -p f 2>&1)
is "stop --force ends stopped" "$out" "foreign: stopped"
out=$("$BERTH" stop -p t 2>&1)
is "stop on a stopped VM is a no-op" "$out" "berth-t: stopped"
out=$("$BERTH" pause -p f 2>&1)
is "pause ends paused" "$out" "foreign: paused"
out=$("$BERTH" resume -p f 2>&1)
is "resume of a running VM says running" "$out" "foreign: running"
out=$("$BERTH" restart -p f 2>&1)
is "restart ends running" "$out" "foreign: running"
out=$("$BERTH" start -p t 2>&1 | cat)
is "piped start prints only the result" "$out" "berth-t: running"

# define from the profile (kernel boot, one 9p share) then start
out=$("$BERTH" start -p d 2>&1)
is "start defines the domain from the profile" "$out" "berth-d: running"
sz=$(stat -c %s "$T_HOME/state/d/disk.raw" 2>/dev/null)
is "defined domain got a sparse disk of vm.disk" "$sz" 1073741824

# --- resources -------------------------------------------------------
cp "$P/t.yaml" "$W/t.before"
out=$("$BERTH" set -p t --cpus 9 2>&1)
rc=$?
is "out-of-range vCPUs exits 1" "$rc" 1
is "out-of-range vCPUs: one line with the limit" "$out" \
	"berth: 9 vCPUs is out of range: this host allows 1-4"
check "refused change leaves the profile as it was" cmp -s "$P/t.yaml" "$W/t.before"
out=$("$BERTH" set -p t --memory 64GiB 2>&1)
like "too much memory names the limit" "$out" \
	'^berth: memory 64GiB is out of range: this host allows 128MiB-7.5GiB \(8GiB total'
is "too much memory: one line" "$(printf '%s\n' "$out" | wc -l)" 1
out=$("$BERTH" set -p t --disk 1GiB 2>&1)
rc=$?
is "disk shrink exits 1" "$rc" 1
like "disk shrink is refused clearly" "$out" '^berth: disks only grow: .*2GiB.*1GiB'
is "disk file untouched by a refused shrink" "$(stat -c %s "$W/disk.raw")" 2147483648
check "shrink leaves the profile as it was" cmp -s "$P/t.yaml" "$W/t.before"
out=$("$BERTH" set -p t --memory lots 2>&1)
is "bad size is a usage error (2)" "$?" 2
check "bad size leaves the profile as it was" cmp -s "$P/t.yaml" "$W/t.before"

out=$("$BERTH" set -p t --cpus 2 2>&1)
is "vCPUs of a stopped VM change" "$out" "cpus 2: applied"
like "the profile says cpus: 2" "$(cat "$P/t.yaml")" '^  cpus: 2'
like "the profile kept its comment" "$(cat "$P/t.yaml")" '^# test profile: keep this comment'
out=$("$BERTH" set -p t --disk 3GiB 2>&1)
is "disk grows" "$out" "disk 3GiB: applied"
is "disk file grew" "$(stat -c %s "$W/disk.raw")" 3221225472
like "the profile says disk: 3GiB" "$(cat "$P/t.yaml")" '^  disk: 3GiB'

# Growing a stopped VM's qcow2 disk runs qemu-img resize. What qemu-img
# prints must not reach berth's terminal (in the dashboard it wrote over
# the screen); its error is the cause, in one line.
mkdir -p "$W/fakebin"
cat >"$W/fakebin/qemu-img" <<'EOF'
#!/bin/sh
echo "FAKE-STDOUT: resizing"
echo "qemu-img: Could not resize: fake failure" >&2
exit 1
EOF
chmod +x "$W/fakebin/qemu-img"
cp "$P/q.yaml" "$W/q.before"
out=$(PATH="$W/fakebin:$PATH" "$BERTH" set -p q --disk 2GiB 2>&1)
is "a failing qemu-img resize exits 1" "$?" 1
is "qemu-img's output stays off the terminal; its error is the cause" \
	"$out" "berth: qemu-img exited with 1: qemu-img: Could not resize: fake failure"
is "the disk did not grow" "$(stat -c %s "$W/q.qcow2")" 1073741824
check "a failed resize leaves the profile as it was" cmp -s "$P/q.yaml" "$W/q.before"

# live changes on the running foreign domain (vCPU max 1, memory max 512)
out=$("$BERTH" set -p f --memory 256MiB 2>&1)
is "memory below the maximum applies live" "$out" "memory 256MiB: applied"
out=$("$BERTH" set -p f --cpus 2 2>&1)
is "vCPUs above the live maximum apply on restart" "$out" \
	"cpus 2: saved; applies on restart"
like "adopted domain's profile records the change" "$(cat "$P/f.yaml")" 'cpus: 2'

# --- the lock: one action at a time, held only while it runs ------------
# hold FILE SECONDS: flock FILE for a while in one process (flock(1)
# leaves the lock with its child, which a kill of flock does not end);
# returns once it is held (python can take seconds to start here)
hold() {
	rm -f "$W/held"
	python3 -c 'import fcntl, sys, time
f = open(sys.argv[1], "a")
fcntl.flock(f, fcntl.LOCK_EX)
open(sys.argv[3], "w").close()
time.sleep(float(sys.argv[2]))' "$1" "$2" "$W/held" &
	lockpid=$!
	T_CLEANUP="kill $lockpid 2>/dev/null"
	wait_until 30 test -e "$W/held"
}
mkdir -p "$T_HOME/state/t"
# another berth in the middle of an action for longer than the wait
echo "4242 start" >"$T_HOME/state/t/lock"
hold "$T_HOME/state/t/lock" 30
cp "$P/t.yaml" "$W/t.before"
out=$("$BERTH" start -p t 2>&1)
is "a second action waits, then gives up: exit 1" "$?" 1
is "a second action names the holder and its action" "$out" \
	"berth: profile t is busy (berth pid 4242: start); try again when it ends"
out=$("$BERTH" set -p t --cpus 1 2>&1)
like "set waits its turn too" "$out" 'busy .berth pid 4242: start.'
check "refused set leaves the profile" cmp -s "$P/t.yaml" "$W/t.before"
out=$("$BERTH" status -p t --json)
is "status still reads while locked" "$(jget "$out" state)" "stopped"
is "status names the lock holder" "$(jget "$out" locked_by)" 4242
kill $lockpid 2>/dev/null
wait $lockpid 2>/dev/null
# an action that ends within the wait: the second one goes ahead
hold "$T_HOME/state/t/lock" 1
out=$("$BERTH" set -p t --memory 1GiB 2>&1)
is "a second action waits for the first to end" "$out" \
	"memory 1GiB: applied"
wait $lockpid 2>/dev/null
out=$("$BERTH" status -p t --json)
is "the lock is free after an action" "$(jget "$out" locked_by)" null

# --- bad input -------------------------------------------------------
out=$("$BERTH" start -p nodom 2>&1)
is "missing domain without a guest: exit 1" "$?" 1
is "missing domain: one clear line" "$out" \
	"berth: domain nope does not exist on $URI, and profile nodom has no vm.image or vm.kernel to define it from"
out=$("$BERTH" status -p nodom --json)
is "status of a missing domain" "$(jget "$out" state)" "not created"
out=$("$BERTH" status -p badscheme 2>&1 >/dev/null)
is "unknown URI scheme exits 1" "$?" 1
like "unknown URI scheme names the fix" "$out" '^berth: libvirt: cannot connect to bogus:///nowhere: .*check vm.uri'
is "unknown URI: one line" "$(printf '%s\n' "$out" | wc -l)" 1
out=$("$BERTH" start -p deadsock 2>&1)
is "dead libvirtd socket exits 1" "$?" 1
like "dead libvirtd socket says how to start it" "$out" \
	'^berth: libvirt: cannot connect to qemu:///system.*start libvirtd'
is "dead socket: one line" "$(printf '%s\n' "$out" | wc -l)" 1
out=$("$BERTH" status -p deadsock --json 2>/dev/null)
is "status --json still prints the connection state" "$(jget "$out" connection)" "down"
"$BERTH" set -p t >/dev/null 2>&1
is "set without a resource is a usage error" "$?" 2
"$BERTH" stop -p t extra >/dev/null 2>&1
is "extra argument is a usage error" "$?" 2

# default URI: qemu:///session, or qemu:///system for root without a
# session daemon (no socket under XDG_RUNTIME_DIR or ~/.cache)
printf 'vm:\n  domain: nope\n' >"$P/defuri.yaml"
mkdir -p "$T_HOME/rt"
out=$(HOME=$T_HOME XDG_RUNTIME_DIR=$T_HOME/rt "$BERTH" status -p defuri --json 2>/dev/null)
if [ "$(id -u)" = 0 ]; then want=qemu:///system; else want=qemu:///session; fi
is "default URI without a session daemon" "$(jget "$out" uri)" "$want"
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$T_HOME/rt/libvirt"
	python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' \
		"$T_HOME/rt/libvirt/libvirt-sock"
	out=$(HOME=$T_HOME XDG_RUNTIME_DIR=$T_HOME/rt "$BERTH" status -p defuri --json 2>/dev/null)
	is "root with a session daemon socket keeps qemu:///session" \
		"$(jget "$out" uri)" "qemu:///session"
fi

# --- list ------------------------------------------------------------
out=$("$BERTH" list --json)
is "list --json: t is stopped" \
	"$(printf '%s' "$out" | python3 -c 'import json,sys
print([p["state"] for p in json.load(sys.stdin) if p["profile"]=="t"][0])')" "stopped"
is "list --json: f is running" \
	"$(printf '%s' "$out" | python3 -c 'import json,sys
print([p["state"] for p in json.load(sys.stdin) if p["profile"]=="f"][0])')" "running"
out=$("$BERTH" list)
like "list has a header" "$out" '^PROFILE +STATE +CPUS +MEMORY +DISK +URI'
like "list shows the foreign domain's profile" "$out" '^f +running'

done_testing
