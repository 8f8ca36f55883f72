#!/bin/sh
# Only the profile's daemon (issue 12): a profile whose socket berth
# forwards from its VM (docker.forward: ssh, the default) talks to that
# socket only. With its VM not created, `berth ps` and the Containers pane
# say "the VM is not running" and never list this machine's own dockerd;
# a docker.forward: none profile (demo) still uses it.
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$BERTH_SRCDIR/tests/tui/lib-tui.sh"

tui_need_docker
tui_setup
unset DOCKER_HOST DOCKER_CONTEXT
# the VM: a domain libvirt's test driver does not have
cat >"$BERTH_HOME/config/profiles/fwd.yaml" <<EOF2
vm:
  uri: test:///default
  domain: berth-absent
docker:
  forward: ssh
refresh: 1s
EOF2
tui_container "$TUI_TAG-host" sleep 600
is "a container runs on this machine's dockerd" \
	"$(docker inspect -f '{{.State.Running}}' "$TUI_TAG-host")" true

out=$("$BERTH" ps -p fwd 2>"$T_HOME/ps.err")
is "berth ps, VM not created: exit 1" "$?" 1
is "berth ps says the VM is not running" "$(cat "$T_HOME/ps.err")" \
	"berth: the VM is not running"
case $out in
*"$TUI_TAG"*) not_ok "berth ps lists no container of the host's dockerd" ;;
*) ok "berth ps lists no container of the host's dockerd" ;;
esac
"$BERTH" ps -p fwd --json >/dev/null 2>&1
is "berth ps --json, VM not created: exit 1" "$?" 1
out=$("$BERTH" ps -p demo 2>&1)
like "a forward: none profile (demo) still lists the host's dockerd" \
	"$out" "$TUI_TAG-host"

tui_start 100 30 -- -p fwd
check "dashboard up" tui_wait 'not created' 10
check "the Containers pane says the VM is not running" \
	tui_wait 'Docker down: the VM is not running' 10
sleep 2.5 # two refreshes: still nothing of the host's
scr=$(tui_cap)
case $scr in
*"$TUI_TAG"*)
	not_ok "the Containers pane lists no container of the host's dockerd"
	printf '%s\n' "$scr" | sed 's/^/# /'
	;;
*) ok "the Containers pane lists no container of the host's dockerd" ;;
esac
tui_keys q
tui_is_exit "the dashboard quits cleanly" 0
check "no sanitizer report" tui_stderr_clean
done_testing
