# tests/lib.sh: TAP helpers for berth's shell tests. Source it, call the
# helpers, end with done_testing. Every test prints "ok"/"not ok" lines.

T_N=0
T_FAILED=0
: "${BERTH:=${BERTH_BUILDDIR:-.}/berth}"
: "${BERTH_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
export BERTH BERTH_SRCDIR
export BERTH_DATADIR="$BERTH_SRCDIR"

ok() {
	T_N=$((T_N + 1))
	echo "ok $T_N - $*"
}

not_ok() {
	T_N=$((T_N + 1))
	T_FAILED=$((T_FAILED + 1))
	echo "not ok $T_N - $*"
}

# check DESC CMD...: ok when CMD succeeds.
check() {
	_d=$1
	shift
	if "$@"; then ok "$_d"; else not_ok "$_d"; fi
}

# is DESC GOT WANT: ok when the strings are equal, else show both.
is() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		printf '# got:  %s\n# want: %s\n' "$2" "$3" | sed 's/^/#/'
	fi
}

# like DESC TEXT PATTERN: ok when TEXT matches the grep -E PATTERN.
like() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then
		ok "$1"
	else
		not_ok "$1"
		printf '%s\n' "$2" | head -20 | sed 's/^/# got: /'
		echo "# want match: $3"
	fi
}

skip() {
	T_N=$((T_N + 1))
	echo "ok $T_N - $1 # SKIP $2"
}

# skip_all REASON: the whole file cannot run here; says why.
skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

done_testing() {
	echo "1..$T_N"
	[ "$T_FAILED" -eq 0 ]
}

# wait_until SECONDS CMD...: retry CMD (output discarded) every 0.1 s
# until it succeeds; 1 if it never did.
wait_until() {
	_wt=$1
	shift
	_wi=0
	while [ "$_wi" -lt "$((_wt * 10))" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		_wi=$((_wi + 1))
	done
	return 1
}

# is_soon DESC WANT SECONDS CMD... / like_soon DESC PATTERN SECONDS CMD...:
# is and like on CMD's output, run again every 0.1 s until it equals WANT
# (matches PATTERN) or SECONDS have passed by the clock (CMD may be slow:
# a berth run under ASan): for what the product does asynchronously (a
# screen the engine fills, a file a thread writes). The last output is
# what is shown when it never did.
is_soon() {
	_sd=$1 _sw=$2 _se=$(($(date +%s) + $3))
	shift 3
	while :; do
		_sg=$("$@" 2>/dev/null)
		[ "$_sg" = "$_sw" ] || [ "$(date +%s)" -gt "$_se" ] && break
		sleep 0.1
	done
	is "$_sd" "$_sg" "$_sw"
}
like_soon() {
	_sd=$1 _sp=$2 _se=$(($(date +%s) + $3))
	shift 3
	while :; do
		_sg=$("$@" 2>/dev/null)
		printf '%s\n' "$_sg" | grep -Eq -- "$_sp" ||
			[ "$(date +%s)" -gt "$_se" ] && break
		sleep 0.1
	done
	like "$_sd" "$_sg" "$_sp"
}

# file_has FILE PATTERN: FILE has a line matching the grep -E PATTERN.
file_has() { grep -Eq -- "$2" "$1" 2>/dev/null; }

# last_has FILE PATTERN: FILE's last line matches the grep -E PATTERN.
last_has() { tail -n 1 "$1" 2>/dev/null | grep -Eq -- "$2"; }

# t_kill [-SIG] PID...: signal processes named by a number read from a
# file, a JSON status or ps. Only a pid above 1 is signalled: `kill 0` or
# `kill -1` would reach the whole process group (make, ./check) or every
# process, and a status that says "pid":0 while ssh restarts is normal.
# Returns 1 if a pid was refused or could not be signalled.
t_kill() {
	_sig=-TERM
	case ${1:-} in -*) _sig=$1 && shift ;; esac
	_rc=0
	for _k in "$@"; do
		case $_k in
		'' | *[!0-9]* | 0 | 1)
			echo "# t_kill: refusing to signal pid '$_k'"
			_rc=1
			;;
		*) kill "$_sig" "$_k" 2>/dev/null || _rc=1 ;;
		esac
	done
	return $_rc
}

# alive PID / dead PID [TRIES]: whether a process runs (a zombie counts as
# dead: the machine's init may be slow to reap a double-forked process);
# dead waits up to TRIES tenths of a second (default 30) for it to end.
alive() {
	[ -n "$1" ] && [ -r "/proc/$1/status" ] && ! grep -q '^State:.*Z' "/proc/$1/status"
}
dead() {
	_j=0
	while alive "$1" && [ "$_j" -lt "${2:-30}" ]; do
		sleep 0.1
		_j=$((_j + 1))
	done
	! alive "$1"
}

# A private BERTH_HOME for the test, removed at exit.
t_home() {
	T_HOME=$(mktemp -d "${TMPDIR:-/tmp}/berth-test.XXXXXX")
	export BERTH_HOME="$T_HOME"
	mkdir -p "$T_HOME/config/profiles"
	trap 't_cleanup' EXIT
}

# The test's own cleanup runs first: it may need what is in T_HOME
# (tmux sockets, pid files of private daemons).
t_cleanup() {
	[ -n "${T_CLEANUP:-}" ] && eval "$T_CLEANUP"
	[ -n "${T_HOME:-}" ] && rm -rf "$T_HOME"
	return 0
}
