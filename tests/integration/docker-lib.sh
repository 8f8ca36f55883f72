# tests/integration/docker-lib.sh: helpers for berth's Docker tests.
# Source after tests/lib.sh. Every container a test makes is named
# berth-test-<test>-<n>, and dk_cleanup (run from the EXIT trap) removes
# them, stops a private daemon and fault server, and un-freezes anything
# the test froze.

DOCKER=${DOCKER:-$(command -v docker)}
DK_IMAGE=berth-busybox:test
DK_PREFIX=berth-test-$(basename "$0" .sh)-$$
DK_PIDS=
DK_FROZEN=
DK_PRIV=
# The daemon the test's containers live on, whatever DOCKER_HOST the test
# points at later (a fault server): the cleanup removes them there.
DK_HOST=${DOCKER_HOST-}

# dk_require: skip the whole file when there is no usable dockerd.
dk_require() {
	[ -n "$DOCKER" ] || skip_all "no docker client installed"
	curl -sf --max-time 5 --unix-socket /var/run/docker.sock \
		http://d/_ping >/dev/null 2>&1 ||
		skip_all "dockerd is not running (tests/env/services.sh start)"
	"$BERTH_SRCDIR/tests/env/busybox-image.sh" >/dev/null ||
		skip_all "cannot create the test image $DK_IMAGE"
	T_CLEANUP="dk_cleanup"
	trap 't_cleanup; exit 1' INT TERM HUP
	# The tests talk to this machine's dockerd (or DOCKER_HOST): the
	# default profile forwards its VM's socket and would use only that.
	printf 'docker:\n  forward: none\n' \
		>"$BERTH_HOME/config/profiles/default.yaml"
}

dk() { "$DOCKER" "$@"; }

# dk_run NAME ARGS...: docker run -d with the test's prefix; prints the id.
dk_run() {
	_n=$1
	shift
	dk run -d --network none --name "$DK_PREFIX-$_n" "$@"
}

dk_name() { echo "$DK_PREFIX-$1"; }

dk_cleanup() {
	for _p in $DK_FROZEN; do t_kill -CONT "$_p"; done
	if [ -n "$DK_HOST" ]; then export DOCKER_HOST="$DK_HOST"; else unset DOCKER_HOST; fi
	for _c in $(dk ps -aq --filter "name=^$DK_PREFIX-" 2>/dev/null); do
		dk rm -f "$_c" >/dev/null 2>&1
	done
	for _p in $DK_PIDS; do t_kill "$_p"; done
	[ -n "$DK_PRIV" ] && dk_private_stop
	return 0
}

# dk_private_start: a private dockerd (own socket, data, containerd and
# bridge) the test may freeze and kill without disturbing anyone. Sets
# DK_PRIV_SOCK. (--bridge none would delete the shared docker0.)
dk_private_start() {
	command -v dockerd >/dev/null || skip_all "no dockerd binary"
	DK_PRIV=$(mktemp -d /tmp/berth-dk.XXXXXX)
	DK_PRIV_SOCK=$DK_PRIV/d.sock
	DK_BRIDGE=berthdk$(($$ % 100000))
	ip link add "$DK_BRIDGE" type bridge 2>/dev/null &&
		ip addr add "10.213.$(($$ % 250)).1/24" dev "$DK_BRIDGE" ||
		skip_all "cannot create a bridge for a private dockerd"
	dk_private_dockerd
	wait_until 60 curl -sf --unix-socket "$DK_PRIV_SOCK" http://d/_ping ||
		{ tail -5 "$DK_PRIV/log"; return 1; }
	DOCKER_HOST=unix://$DK_PRIV_SOCK "$BERTH_SRCDIR/tests/env/busybox-image.sh" >/dev/null
}

dk_private_dockerd() {
	setsid dockerd --host "unix://$DK_PRIV_SOCK" --data-root "$DK_PRIV/root" \
		--exec-root "$DK_PRIV/exec" --pidfile "$DK_PRIV/d.pid" \
		--bridge "$DK_BRIDGE" --iptables=false --ip-masq=false \
		--storage-driver vfs >>"$DK_PRIV/log" 2>&1 </dev/null &
}

dk_private_pid() { cat "$DK_PRIV/d.pid" 2>/dev/null; }

# dk_private_restart: kill the private dockerd and start it again.
dk_private_restart() {
	_p=$(dk_private_pid)
	t_kill "$_p" || return 1
	wait_until 30 sh -c "! kill -0 $_p"
	dk_private_dockerd
	wait_until 60 curl -sf --unix-socket "$DK_PRIV_SOCK" http://d/_ping
}

dk_private_stop() {
	_p=$(dk_private_pid)
	if [ -n "$_p" ]; then
		t_kill -CONT "$_p"
		DOCKER_HOST=unix://$DK_PRIV_SOCK dk rm -f \
			$(DOCKER_HOST=unix://$DK_PRIV_SOCK dk ps -aq) >/dev/null 2>&1
		t_kill "$_p"
		wait_until 30 sh -c "! kill -0 $_p"
	fi
	rm -rf "$DK_PRIV"
	ip link del "$DK_BRIDGE" 2>/dev/null
	DK_PRIV=
}

# dk_freeze PID / dk_thaw PID: SIGSTOP/SIGCONT, undone by the trap too.
dk_freeze() {
	DK_FROZEN="$DK_FROZEN $1"
	t_kill -STOP "$1"
}
dk_thaw() { t_kill -CONT "$1"; }

# elapsed START: seconds since START (date +%s.%N), one decimal.
elapsed() { awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }

# has_esc TEXT: true when TEXT holds a raw ESC or BEL byte.
has_esc() { printf '%s' "$1" | grep -q "$(printf '[\033\007]')"; }
