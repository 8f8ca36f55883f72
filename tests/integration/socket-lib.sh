# tests/integration/socket-lib.sh: shared set-up for the socket-*.sh
# tests (sourced, not run): a private BERTH_HOME, Docker config and HOME,
# a private sshd (tests/env/sshd.sh) that accepts berth's generated key
# and plays the guest, whose docker.sock is this machine's real dockerd.
# socket-ports.sh publishes ports on this machine's dockerd, and every
# supervisor these tests start forwards every published port of that
# daemon: run beside another socket test, the other's supervisor took
# its ports first ("already in use on the host"), and kept them after
# its own stop. So socket-ports.sh runs alone (SOCKET_LOCK=-x) and the
# others share (-s). flock -o: the test and the daemons it starts do not
# hold the lock; flock does, until the test ends.
if [ -z "${BERTH_SOCKET_LOCKED:-}" ] && command -v flock >/dev/null; then
	BERTH_SOCKET_LOCKED=1
	export BERTH_SOCKET_LOCKED
	exec flock "${SOCKET_LOCK:--s}" -o "${TMPDIR:-/tmp}/berth-socket-tests.lock" \
		sh "$0" "$@"
fi
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

command -v ssh >/dev/null || skip_all "ssh client not installed"
command -v sshd >/dev/null || [ -x /usr/sbin/sshd ] ||
	skip_all "openssh-server not installed (tests/env/install-deps.sh)"
command -v python3 >/dev/null || skip_all "python3 not installed"
curl -sf --unix-socket /var/run/docker.sock http://d/_ping >/dev/null ||
	skip_all "dockerd not answering on /var/run/docker.sock (tests/env/services.sh start)"

t_home
# Stop what the test started before t_cleanup removes BERTH_HOME (the
# supervisor's lock and sshd's pid file live there).
socket_cleanup() {
	[ -n "${SOCKET_CLEANUP_EXTRA:-}" ] && eval "$SOCKET_CLEANUP_EXTRA"
	[ -d "${SSHD_DIR:-}" ] || return 0
	for _p in "$T_HOME"/config/profiles/*.yaml; do
		_n=$(basename "$_p" .yaml)
		"$BERTH" -p "$_n" socket stop >/dev/null 2>&1
	done
	"$BERTH_SRCDIR/tests/env/sshd.sh" stop "$SSHD_DIR"
}
trap 'socket_cleanup; t_cleanup' EXIT
unset DOCKER_HOST DOCKER_CONTEXT
export HOME="$T_HOME/home"
export DOCKER_CONFIG="$T_HOME/docker"
mkdir -p "$HOME" "$DOCKER_CONFIG"
SSHD_DIR="$T_HOME/sshd"
STATE="$T_HOME/state/test"
SOCK="$STATE/docker.sock"
P="-p test"

# json FIELD: one field of `berth socket --json` (python3 reads the JSON).
json() {
	"$BERTH" $P socket --json 2>/dev/null |
		python3 -c 'import json, sys
v = json.load(sys.stdin).get(sys.argv[1])
print("null" if v is None else (str(v).lower() if isinstance(v, bool) else v))' "$1" 2>/dev/null
}

# ssh_pid SECONDS: once the forward is healthy with a running ssh, print
# that ssh's pid (the status says pid 0 while ssh restarts); fails if it
# does not get there in time.
ssh_pid() {
	_i=0
	while [ "$_i" -lt "$(($1 * 10))" ]; do
		if [ "$(json healthy)" = true ]; then
			_sp=$(json pid)
			case $_sp in '' | *[!0-9]* | 0) ;; *)
				echo "$_sp"
				return 0
				;;
			esac
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

# wait_json FIELD VALUE SECONDS: poll until FIELD is VALUE; 0 on success.
wait_json() {
	_i=0
	while [ "$_i" -lt "$(($3 * 10))" ]; do
		[ "$(json "$1")" = "$2" ] && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

# socket_setup: profile "test" pointing the forward at the private sshd.
socket_setup() {
	# socket key wants an existing profile: a placeholder until the
	# sshd's port is known.
	printf 'vm:\n  ssh_user: %s\n' "$(id -un)" >"$T_HOME/config/profiles/test.yaml"
	"$BERTH" $P socket key >"$T_HOME/berth.pub" ||
		{ echo "# berth socket key failed"; exit 1; }
	SSHD_PORT=$("$BERTH_SRCDIR/tests/env/sshd.sh" start "$SSHD_DIR" \
		"$T_HOME/berth.pub") || skip_all "the private sshd did not start"
	cat >"$T_HOME/config/profiles/test.yaml" <<EOF
vm:
  ssh_user: $(id -un)
docker:
  ssh_host: 127.0.0.1
  ssh_port: $SSHD_PORT
  context: berth-test
refresh: 1s
EOF
}
