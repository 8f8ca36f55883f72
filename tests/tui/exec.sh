#!/bin/sh
# x in the Containers pane: the dashboard steps aside for a shell in the
# selected container (docker exec -it through the profile's socket, bash
# else sh), and comes back whole afterwards, its engine still running;
# without the docker CLI, the status line says the same command instead.
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$BERTH_SRCDIR/tests/tui/lib-tui.sh"

tui_need_docker
tui_setup
ct="$TUI_TAG-sh"
TUI_CONTAINERS="$TUI_CONTAINERS $ct $TUI_TAG-late"
docker run -d --network none --hostname berthx --name "$ct" \
	berth-busybox:test sh -c 'trap "exit 0" TERM; while :; do sleep 1; done' >/dev/null

# docker as the dashboard starts it: the signals it ignores, then the real one
mkdir -p "$T_HOME/spy"
cat >"$T_HOME/spy/docker" <<EOF
#!/bin/sh
grep '^SigIgn:' /proc/self/status >"$T_HOME/spy/sigign"
exec $(command -v docker) "\$@"
EOF
chmod +x "$T_HOME/spy/docker"

tui_start 100 30 PATH="$T_HOME/spy:$PATH" -- -p demo
check "dashboard up" tui_wait '4 Containers' 10
tui_keys / "$TUI_TAG" Enter
check "the container is listed" tui_wait "$ct" 15
tui_keys 4 g x
check "x: a shell in the container (no bash in busybox: its sh)" \
	tui_wait 'built-in shell \(ash\)' 15
check "its prompt" tui_wait '^[~/]+ # ?$' 10
# SigIgn is a hex mask; SIGPIPE (13) is bit 12: 0x1000
ign=$(sed -n 's/^SigIgn:[[:space:]]*//p' "$T_HOME/spy/sigign" 2>/dev/null)
check "the shell's docker does not inherit the dashboard's ignored SIGPIPE" \
	test -n "$ign" -a "$(((0x$ign >> 12) & 1))" = 0
tui_keys 'echo in-$HOSTNAME' Enter
check "its output is on the screen" tui_wait '^in-berthx$' 10
tui_keys 'exit' Enter
check "exit: the dashboard is back" tui_wait '4 Containers' 10
check "its panes are all there" tui_wait '─ 1 VM .*─ 3 Socket|─ 3 Socket' 10
check "the VM pane's title too" tui_wait '─ 1 VM ─' 10
check "the Socket pane's title too" tui_wait '─ 3 Socket ─' 10
is "nothing of the shell is left on the screen" \
	"$(tui_cap | grep -c 'in-berthx')" 0
docker run -d --network none --name "$TUI_TAG-late" berth-busybox:test \
	sh -c 'trap "exit 0" TERM; while :; do sleep 1; done' >/dev/null
check "the engine kept running: a new container shows" \
	tui_wait "$TUI_TAG-late" 15
tui_keys q
tui_is_exit "q still quits" 0

# No docker CLI in PATH: the same command in the status line.
mkdir -p "$T_HOME/nodocker"
tui_start 200 30 PATH="$T_HOME/nodocker" -- -p demo
check "dashboard up without docker in PATH" tui_wait '4 Containers' 10
tui_keys / "$TUI_TAG-sh" Enter
check "the container is listed" tui_wait "$ct" 15
tui_keys 4 g x
check "x says there is no docker CLI, and the command" \
	tui_wait "no docker CLI here; the same: docker --host unix:///var/run/docker.sock exec -it $ct sh -c" 10
check "the dashboard stayed" tui_wait '─ 1 VM ─' 10
tui_keys q
tui_is_exit "q quits" 0
done_testing
