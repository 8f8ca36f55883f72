#!/bin/sh
# The VM pane creates a VM from an image on a background job: a profile
# whose VM does not exist says "press c to create"; c runs the stages
# (downloading, creating disks) with each one on the pane's first line, and
# goes on to boot it through the same stages as `berth start` (one
# create-and-start routine, issue 12), while the dashboard keeps answering
# keys (the job has its own thread and libvirt connection). The tiny test
# guest has no sshd, so booting ends in an error naming the console log.
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$BERTH_SRCDIR/tests/tui/lib-tui.sh"
. "$BERTH_SRCDIR/tests/vm/lib.sh"

tcg_or_skip
command -v qemu-img >/dev/null || skip_all "qemu-img missing (apt-get install qemu-utils)"
guest_paths >/dev/null 2>&1 || skip_all "tests/vm/build-guest.sh failed"
tui_setup
P=tuic$$
DOM=berth-$P
T_CLEANUP='tui_cleanup; guest_virsh destroy $DOM >/dev/null 2>&1; guest_virsh undefine $DOM >/dev/null 2>&1'
# A base with 192 MiB of data and its checksum: verifying it keeps the
# first stage on the screen long enough to be seen even on a busy machine
# (an empty base passed between two screen captures).
head -c 192M /dev/urandom >"$T_HOME/base.raw"
qemu-img convert -q -f raw -O qcow2 "$T_HOME/base.raw" "$T_HOME/base.qcow2"
rm -f "$T_HOME/base.raw"
SUM=$(sha256sum "$T_HOME/base.qcow2" | cut -d' ' -f1)
cat >"$T_HOME/config/profiles/$P.yaml" <<EOF2
vm:
  uri: qemu:///system
  image: file://$T_HOME/base.qcow2
  image_sha256: $SUM
  kernel: $GUEST_KERNEL
  initrd: $GUEST_INITRD
  cmdline: console=ttyS0 quiet
  memory: 256MiB
  disk: 1GiB
docker:
  forward: none
EOF2

# A slow qemu-img (a busy host disk): the "creating disks" stage blocks in
# it with nothing to report, and its seconds must count on meanwhile (they
# stayed at "(0 s)" until the stage ended).
mkdir -p "$T_HOME/slowbin"
cat >"$T_HOME/slowbin/qemu-img" <<EOF2
#!/bin/sh
sleep 3
exec $(command -v qemu-img) "\$@"
EOF2
chmod +x "$T_HOME/slowbin/qemu-img"

tui_start 240 40 BERTH_CREATE_TIMEOUT_S=12 PATH="$T_HOME/slowbin:$PATH" -- -p "$P"
check "a VM that does not exist says how to create it" \
	tui_wait 'not created +accel .*press c to create' 15
tui_keys 1 c
check "c: the stages show on the pane's first line" \
	tui_wait '(downloading|creating disks)' 15
check "c: a stage's seconds count while it runs (creating disks … (2 s))" \
	tui_wait 'creating disks … \(([2-9]|[1-9][0-9]) s\)' 20
check "c: goes on to boot it, as berth start does" tui_wait 'booting' 60
tui_keys '?'
check "the dashboard answers keys while the job runs" tui_wait 'Help: keys' 10
tui_keys Escape
check "the help closes" tui_wait_gone 'Help: keys' 10
# the job must still be running then (booting ends after 12 s or more):
# a dashboard blocked by the job would have answered only after it.
if tui_cap | grep -q 'booting failed'; then
	not_ok "the help came and went while the job ran"
	tui_cap | sed 's/^/# /'
else
	ok "the help came and went while the job ran"
fi
check "booting fails naming the console log" \
	tui_wait 'booting failed after .*console\.log' 60
like "the domain is defined and ran (the job started it)" \
	"$(guest_virsh domstate "$DOM" 2>&1)" 'running|shut off'
tui_keys q
done_testing
