# tests/tui/lib-tui.sh: helpers for the dashboard tests. Each test runs
# berth in its own tmux server (a private socket under a private
# BERTH_HOME), sends keys, and reads the screen with capture-pane; screens
# are compared with golden files in tests/tui/golden/ after volatile fields
# are masked. GENERATE=1 rewrites the golden files instead.
#
# Source after tests/lib.sh.

TUI_GOLDEN="$BERTH_SRCDIR/tests/tui/golden"

command -v tmux >/dev/null || skip_all "tmux is not installed"

# tui_setup: private homes, a tmux socket, cleanup of what we start.
tui_setup() {
	t_home
	export HOME="$T_HOME/home"
	mkdir -p "$HOME"
	TUI_N=0
	TUI_SOCK="$T_HOME/tmux-0.sock"
	TUI_CONTAINERS=
	# fixed width, so the table's columns do not move between runs
	TUI_TAG="berth-test-tui-$(printf '%07d' $$)"
	T_CLEANUP='tui_cleanup'
	unset TMUX
}

tui_cleanup() {
	for _s in "$T_HOME"/tmux-*.sock; do
		[ -S "$_s" ] && tmux -S "$_s" kill-server 2>/dev/null
	done
	# A berth still there 3 s after its terminal went away is stuck in
	# the sanitizer's exit-time leak check (LSan's tracer can wait forever
	# on a thread a quit left in poll; seen under ASan only): end it and
	# its tracer so nothing keeps spinning after the test.
	for _p in $(cat "$T_HOME/pids" 2>/dev/null); do
		# still berth (pids are reused: the machine forks a lot)
		if ! dead "$_p" 30 &&
			[ "$(cat "/proc/$_p/comm" 2>/dev/null)" = berth ]; then
			echo "# berth (pid $_p) had not exited 3 s after its terminal closed: killed"
			pkill -KILL -P "$_p" 2>/dev/null
			t_kill -KILL "$_p"
		fi
	done
	for _c in $TUI_CONTAINERS; do
		docker rm -f "$_c" >/dev/null 2>&1
	done
	return 0
}

# tui_need_docker: the real dockerd (./check starts it) and the test image.
tui_need_docker() {
	command -v docker >/dev/null || skip_all "docker CLI not installed"
	curl -sf --unix-socket /var/run/docker.sock http://d/_ping >/dev/null ||
		skip_all "dockerd is not running (tests/env/services.sh start)"
	"$BERTH_SRCDIR/tests/env/busybox-image.sh" >/dev/null ||
		skip_all "cannot create the berth-busybox:test image"
	TUI_DOCKER_VERSION=$(docker version -f '{{.Server.Version}}' 2>/dev/null |
		sed 's/[].+*?^$()|[]/\\&/g')
}

# tui_container NAME CMD...: start a container from the test image.
tui_container() {
	_n=$1
	shift
	TUI_CONTAINERS="$TUI_CONTAINERS $_n"
	docker run -d --network none --name "$_n" berth-busybox:test "$@" >/dev/null
}

# tui_start COLS ROWS [VAR=VALUE...] [-- BERTH-ARGS...]: run berth in a new
# tmux server. Its stderr, exit code and `stty -a` afterwards land in
# $T_HOME/{stderr,exit,stty}.
tui_start() {
	_cols=$1
	_rows=$2
	shift 2
	_env=
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		_env="$_env '$1'"
		shift
	done
	[ "${1:-}" = -- ] && shift
	_args=
	for _a in "$@"; do
		_args="$_args '$_a'"
	done
	rm -f "$T_HOME/exit" "$T_HOME/stty" "$T_HOME/stderr" "$T_HOME/pid"
	cat >"$T_HOME/run.sh" <<EOF
#!/bin/sh
# Ctrl-C goes to the whole process group: only berth should act on it.
trap '' INT
sh -c 'echo \$\$ >"$T_HOME/pid"; echo \$\$ >>"$T_HOME/pids"; exec env TERM=screen-256color LANG=C.UTF-8 $_env "$BERTH" $_args 2>"$T_HOME/stderr"'
echo \$? >"$T_HOME/exit.tmp"
stty -a >"$T_HOME/stty" 2>&1
mv "$T_HOME/exit.tmp" "$T_HOME/exit"
exec sleep 600
EOF
	chmod +x "$T_HOME/run.sh"
	# A new server (socket) per run: a dying one must not take the call.
	tmux -S "$TUI_SOCK" kill-server 2>/dev/null
	TUI_N=$((TUI_N + 1))
	TUI_SOCK="$T_HOME/tmux-$TUI_N.sock"
	tmux -S "$TUI_SOCK" -f /dev/null new-session -d -x "$_cols" -y "$_rows" \
		"$T_HOME/run.sh" \; set -g status off \; set -g window-size manual
}

tui_cap() {
	tmux -S "$TUI_SOCK" capture-pane -p "$@" 2>/dev/null
}

# tui_line N [M]: line N (to M) of the screen, for is_soon and like_soon.
tui_line() {
	tui_cap | sed -n "$1,${2:-$1}p"
}

tui_keys() {
	tmux -S "$TUI_SOCK" send-keys "$@"
}

tui_resize() {
	tmux -S "$TUI_SOCK" resize-window -x "$1" -y "$2"
}

tui_pid() {
	cat "$T_HOME/pid" 2>/dev/null
}

# tui_wait PATTERN [SECONDS]: until the screen matches grep -E PATTERN.
tui_wait() {
	_i=0
	_max=$((${2:-10} * 10))
	while [ "$_i" -lt "$_max" ]; do
		tui_cap | grep -Eq -- "$1" && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

# tui_wait_gone PATTERN [SECONDS]: until the screen no longer matches.
tui_wait_gone() {
	_i=0
	_max=$((${2:-10} * 10))
	while [ "$_i" -lt "$_max" ]; do
		tui_cap | grep -Eq -- "$1" || return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

# tui_wait_exit [SECONDS]: until berth has exited; prints its exit code.
tui_wait_exit() {
	_i=0
	_max=$((${1:-10} * 10))
	while [ "$_i" -lt "$_max" ]; do
		if [ -f "$T_HOME/exit" ]; then
			cat "$T_HOME/exit"
			return 0
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
	echo timeout
	return 1
}

# tui_is_exit DESC CODE: berth exits with CODE within 30 s. When it does
# not, the test says what it got, berth's stderr and the last screen.
tui_is_exit() {
	_got=$(tui_wait_exit 30)
	is "$1" "$_got" "$2"
	if [ "$_got" != "$2" ]; then
		sed 's/^/# stderr: /' "$T_HOME/stderr" 2>/dev/null | tail -20
		tui_cap | sed 's/^/# screen: /'
	fi
}

# tui_mask: replace what changes from run to run (versions, timings,
# figures, the test's container names, the status line) with fixed words.
tui_mask() {
	sed -E \
		-e "s/${TUI_DOCKER_VERSION:-NOVERSION}/VERSION/g" \
		-e "s/$TUI_TAG/CT/g" \
		-e 's/API [0-9.]+/API V/' \
		-e 's/ping [0-9.]+ ms( +)?/ping N ms /' \
		-e 's/ [━─=-]+ [0-9]+ running [0-9]+ stopped/ ━ N running N stopped/' \
		-e 's/ up [^ ]+/ up T/' \
		-e 's/ +[0-9]+\.[0-9]%/ N%/' \
		-e 's/(CT-[a-z]+ +[^ ]+ +[a-z]+) .*$/\1 .../' \
		-e 's/ +(\? help)$/ \1/' \
		-e 's/ +$//' |
		sed '$s/.*/<status line>/'
}

# tui_settle: until the screen stops changing (0.3 s the same, at most 5 s).
tui_settle() {
	_prev=$(tui_cap)
	_i=0
	while [ "$_i" -lt 50 ]; do
		sleep 0.3
		_now=$(tui_cap)
		[ "$_now" = "$_prev" ] && return 0
		_prev=$_now
		_i=$((_i + 1))
	done
	return 1
}

# tui_golden NAME: compare the masked screen with golden/NAME.txt.
tui_golden() {
	_g="$TUI_GOLDEN/$1.txt"
	tui_settle
	tui_cap | tui_mask >"$T_HOME/$1.txt"
	if [ "${GENERATE:-0}" = 1 ]; then
		mkdir -p "$TUI_GOLDEN"
		cp "$T_HOME/$1.txt" "$_g"
		ok "golden $1 (regenerated)"
		return 0
	fi
	if [ ! -f "$_g" ]; then
		not_ok "golden $1: $_g missing (make check GENERATE=1)"
		return 1
	fi
	if diff -u "$_g" "$T_HOME/$1.txt" >"$T_HOME/$1.diff"; then
		ok "screen matches golden $1"
	else
		not_ok "screen matches golden $1"
		sed 's/^/# /' "$T_HOME/$1.diff"
		return 1
	fi
}

# tui_stty_sane: the terminal after berth is back in cooked mode.
tui_stty_sane() {
	_s=$(cat "$T_HOME/stty" 2>/dev/null)
	printf '%s\n' "$_s" | grep -Eq '(^| )icanon( |$)' &&
		printf '%s\n' "$_s" | grep -Eq '(^| )echo( |$)' &&
		printf '%s\n' "$_s" | grep -Eq '(^| )isig( |$)' &&
		printf '%s\n' "$_s" | grep -Eq '(^| )icrnl( |$)'
}

# tui_stderr_clean: no sanitizer report and no stray output from berth.
tui_stderr_clean() {
	if grep -Eq 'Sanitizer|runtime error' "$T_HOME/stderr" 2>/dev/null; then
		sed 's/^/# /' "$T_HOME/stderr" | head -40
		return 1
	fi
	return 0
}

# tui_profile NAME [SED-EXPR]: a user profile made from demo in BERTH_HOME.
tui_profile() {
	sed -e "${2:-p;d}" "$BERTH_SRCDIR/profiles/demo.yaml" \
		>"$BERTH_HOME/config/profiles/$1.yaml"
}

# tui_record: from now on, the bytes berth writes to its pane (tmux
# pipe-pane -O) go to $T_HOME/out.raw.
tui_record() {
	rm -f "$T_HOME/out.raw"
	tmux -S "$TUI_SOCK" pipe-pane -O "cat >'$T_HOME/out.raw'"
}

# tui_raw_count STRING: how many times STRING is in what tui_record kept.
tui_raw_count() {
	LC_ALL=C grep -a -F -o -- "$1" "$T_HOME/out.raw" 2>/dev/null | wc -l |
		tr -d ' '
}

# tui_raw_tail_has STRING: STRING is in the last 200 bytes written (tmux
# may pass the last bytes on a moment after berth has exited: up to 10 s
# on a loaded machine).
tui_raw_tail_has() {
	_i=0
	while [ "$_i" -lt 100 ]; do
		tail -c 200 "$T_HOME/out.raw" 2>/dev/null |
			LC_ALL=C grep -aqF -- "$1" && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}
