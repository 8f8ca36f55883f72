#!/bin/sh
# The VM pane's R and the `:` line on the real TCG test guest (issue 13):
# R power-cycles like `berth restart`, so a vCPU decrease that waited for a
# restart applies (a guest reboot kept it pending); `:set cpus N` back to
# the running count cancels a pending change and saves the profile (it
# said "unchanged" and left the profile as it was); the resource dialog
# says "applies on restart" for fewer vCPUs (there is no live unplug).
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$BERTH_SRCDIR/tests/vm/lib.sh"
. "$BERTH_SRCDIR/tests/tui/lib-tui.sh"

tcg_or_skip
guest_paths >/dev/null 2>&1 || skip_all "tests/vm/build-guest.sh failed"
tui_setup
P=rg$$
DOM=berth-$P
PROF=$BERTH_HOME/config/profiles/$P.yaml
T_CLEANUP='tui_cleanup; guest_virsh destroy $DOM >/dev/null 2>&1; guest_virsh undefine $DOM >/dev/null 2>&1'
trap 'exit 1' INT TERM HUP
cat >"$PROF" <<EOF2
vm:
  uri: $GUEST_URI
  domain: $DOM
  kernel: $GUEST_KERNEL
  initrd: $GUEST_INITRD
  cmdline: console=ttyS0 quiet
  cpus: 1
  max_cpus: 2
  memory: 256MiB
  disk: 1GiB
  shutdown_timeout: 60s
docker:
  forward: none
EOF2

vcpus_live() { guest_virsh vcpucount "$DOM" --live --active 2>&1; }

is "berth start" "$("$BERTH" start -p "$P" 2>&1)" "$DOM: running"
if ! guest_wait_agent "$DOM" "$GUEST_URI" 120; then
	not_ok "agent answers within 120 s"
	done_testing
	exit 1
fi
is "set --cpus 2 hot-plugs" "$("$BERTH" set -p "$P" --cpus 2 2>&1)" "cpus 2: applied"

tui_start 120 40 -- -p "$P"
check "dashboard up, the guest running" tui_wait '^ running' 20
tui_keys 1
check "1 focuses the VM pane" tui_wait '^━ 1 VM' 10
check "2 vCPUs running" tui_wait 'CPU 2 vCPU' 10

# The dialog: 1 vCPU is fewer than the 2 running.
tui_keys e
check "e opens the resource editor" tui_wait 'VM resources' 10
tui_keys 1
check "dialog: 1 vCPU applies on restart (no live unplug)" \
	tui_wait 'cpus +1 .*applies on restart' 10
tui_keys Escape
check "Esc closes the editor" tui_wait_gone 'VM resources' 10

# :set down, then back to the running count.
tui_keys : set Space cpus Space 1 Enter
check ":set cpus 1: 2 -> 1 pending" tui_wait 'CPU 2→1 vCPU' 20
check ":set cpus 1 saved" wait_until 10 grep -q '^  cpus: 1$' "$PROF"
tui_keys : set Space cpus Space 2 Enter
check ":set cpus 2 (as running): nothing pending" tui_wait 'CPU 2 vCPU' 20
check ":set cpus 2 says applied, not unchanged" tui_wait 'cpus 2: applied' 10
check ":set cpus 2 saved in the profile" wait_until 10 grep -q '^  cpus: 2$' "$PROF"
is "libvirt's next boot has 2 vCPUs" \
	"$(guest_virsh vcpucount "$DOM" --config --active 2>&1)" 2

# R: a power cycle applies the pending decrease.
tui_keys : set Space cpus Space 1 Enter
check ":set cpus 1 again: pending" tui_wait 'CPU 2→1 vCPU' 20
tui_keys R
check "R asks before restarting" tui_wait "Restart the VM $DOM\\?" 10
tui_keys y
check "R: the guest comes back with 1 vCPU, nothing pending" \
	tui_wait 'CPU 1 vCPU' 180
check "R: running again" tui_wait '^ running' 30
is "libvirt: 1 live vCPU after R" "$(vcpus_live)" 1
tui_keys q
tui_is_exit "q quits" 0
check "no sanitizer report" tui_stderr_clean

# The CLI's restart is the same power cycle.
guest_wait_agent "$DOM" "$GUEST_URI" 120 || true
is "set --cpus 2 hot-plugs again" "$("$BERTH" set -p "$P" --cpus 2 2>&1)" "cpus 2: applied"
is "set --cpus 1 waits for a restart" "$("$BERTH" set -p "$P" --cpus 1 2>&1)" \
	"cpus 1: saved; applies on restart"
is "berth restart ends running" "$("$BERTH" restart -p "$P" 2>&1)" "$DOM: running"
is "libvirt: 1 live vCPU after berth restart" "$(vcpus_live)" 1
is "berth stop --force" "$("$BERTH" stop --force -p "$P" 2>&1)" "$DOM: stopped"
done_testing
