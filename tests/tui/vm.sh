#!/bin/sh
# The VM and Mounts panes' actions on libvirt's test driver (each berth
# process has its own test:///default, so nothing leaks between runs):
# stop through the confirm dialog and start again, the resource editor
# (validation, applies on restart, the pending mark in the pane), :set
# (saved, also back to the running value), R applying what was pending,
# and the watch mode of a mount cycling off -> poll -> native -> off.
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$BERTH_SRCDIR/tests/tui/lib-tui.sh"

tui_need_docker
tui_setup
mkdir -p "$T_HOME/src"
tui_profile vmt "\$a\\
mounts:\\
  - host: $T_HOME/src\\
    guest: /src\\
    watch: off"

tui_start 80 24 -- -p vmt
check "dashboard up" tui_wait 'running +accel test' 10
tui_keys 1
check "1 focuses the VM pane" tui_wait '^━ 1 VM' 10

tui_keys S
check "S asks before shutting the VM down" tui_wait 'Shut down the VM test\?' 10
tui_keys n
check "n cancels" tui_wait_gone 'Confirm' 10
like "VM still running" "$(tui_cap | sed -n 3p)" 'running'
tui_keys F
check "F asks before forcing it off" tui_wait 'Force off the VM test\?' 10
tui_keys y
check "y: the VM is off" tui_wait '^ stopped' 10
tui_keys s
check "s starts it again" tui_wait '^ running' 10

tui_keys e
check "e opens the resource editor" tui_wait 'VM resources' 10
check "host limits are shown" tui_wait 'host [0-9]+, max [0-9]+' 10
tui_keys 9 9 9
check "too many vCPUs is refused inline" tui_wait 'the host has [0-9]+ CPUs' 10
tui_keys Enter
check "Enter with a bad value keeps the dialog" tui_wait 'fix the value first' 10
tui_keys BSpace BSpace BSpace 4
check "4 vCPUs: applies on restart (above the live maximum)" \
	tui_wait 'cpus +4 .*applies on restart' 10
tui_keys BSpace 1
check "1 vCPU (fewer than the 2 running): applies on restart, not live" \
	tui_wait 'cpus +1 .*applies on restart' 10
tui_keys BSpace 2
check "2 vCPUs (as running): unchanged" tui_wait 'cpus +2 .*unchanged' 10
tui_keys Tab 1 0 0 M
check "memory validated as you type" tui_wait 'at least 128MiB' 10
tui_keys Escape
check "Esc cancels the editor" tui_wait_gone 'VM resources' 10
like "nothing pending after cancel" "$(tui_cap | sed -n 4p)" 'CPU 2 vCPU'
tui_keys e 4 Enter
check "Enter sends the change: 2 -> 4 vCPUs pending" tui_wait 'CPU 2→4 vCPU' 10
check "the pane says it applies on restart" tui_wait 'applies on restart' 10
tui_keys : set Space cpus Space 3 Enter
check ":set cpus 3 changes the pending value" tui_wait 'CPU 2→3 vCPU' 10
check ":set cpus 3 is saved in the profile" \
	wait_until 10 grep -q 'cpus: 3' "$BERTH_HOME/config/profiles/vmt.yaml"
# Back to the running count: this cancels the pending change, and the
# profile must follow (it said 3); not "unchanged".
tui_keys : set Space cpus Space 2 Enter
check ":set cpus 2 (as running): nothing pending any more" \
	tui_wait 'CPU 2 vCPU' 10
check ":set cpus 2 says it applied" tui_wait 'cpus 2: applied' 10
check ":set cpus 2 is saved in the profile like berth set --cpus 2" \
	wait_until 10 grep -q 'cpus: 2' "$BERTH_HOME/config/profiles/vmt.yaml"
# R power-cycles, as `berth restart` does: what applies on restart applies.
tui_keys : set Space cpus Space 1 Enter
check ":set cpus 1: 2 -> 1 pending (no live unplug)" tui_wait 'CPU 2→1 vCPU' 10
tui_keys R
check "R asks before restarting" tui_wait 'Restart the VM test\?' 10
tui_keys y
check "R: after the restart the pending change applied (1 vCPU)" \
	tui_wait 'CPU 1 vCPU' 15
check "R: the VM runs again" tui_wait '^ running' 10

tui_keys 2
check "2 focuses the Mounts pane" tui_wait '^━ 2 Mounts' 10
check "the mount is listed, watch off" tui_wait "src → /src +9p rw.* watch off" 10
tui_keys w
check "w: watch poll" tui_wait '/src .* watch poll' 10
tui_keys w
check "w: watch native" tui_wait '/src .* watch native' 10
tui_keys w
check "w: watch off again" tui_wait '/src .* watch off' 10

tui_keys p
check "picker opens" tui_wait 'Profiles' 10
tui_keys Escape
tui_keys q
tui_is_exit "q quits" 0
check "terminal sane" tui_stty_sane
check "no sanitizer report" tui_stderr_clean
done_testing
