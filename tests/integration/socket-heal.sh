#!/bin/sh
# Supervision: a killed ssh is back within two refresh intervals (1 s
# each here); a stopped guest sshd shows as down with the reason and
# heals when sshd returns; a stale socket left by a killed berth is
# cleaned; symlinked, foreign-owned, too-long and outside-stale paths are
# refused and left as they are.
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/integration/socket-lib.sh"
socket_setup

now_ms() { echo $(($(date +%s%N) / 1000000)); }

"$BERTH" $P socket start --wait 20 >/dev/null 2>&1
pid1=$(ssh_pid 20)
check "forward up" test -n "$pid1"

# Kill ssh: the supervisor notices at once and restarts it. Polled with
# curl and the owner's status file, which cost less than a berth run.
status_pid() { sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$STATE/forward.json"; }
t_kill -9 "$pid1"
t0=$(now_ms)
while [ $(($(now_ms) - t0)) -lt 10000 ]; do
	[ "$(status_pid)" != "$pid1" ] &&
		[ "$(curl -s --max-time 1 --unix-socket "$SOCK" http://d/_ping)" = OK ] &&
		break
	sleep 0.02
done
t1=$(now_ms)
check "killed ssh: healthy again with a new ssh" wait_json healthy true 10
elapsed=$((t1 - t0))
echo "# killed ssh -> healthy again in $elapsed ms (refresh 1000 ms)"
check "killed ssh: back within two refresh intervals ($elapsed ms <= 2000)" \
	test "$elapsed" -le 2000
is "killed ssh: one restart counted" "$(json restarts)" 1
like "text output says when" "$("$BERTH" $P socket)" 'restarts +1, last .* ago'

# berth socket restart asks the supervisor for a new ssh.
pid2=$(json pid)
"$BERTH" $P socket restart
is "socket restart exits 0" "$?" 0
new_pid() { # new_pid OLD SECONDS: the owner reports another ssh pid
	_k=0
	while [ "$_k" -lt "$(($2 * 10))" ]; do
		_p=$(status_pid)
		[ -n "$_p" ] && [ "$_p" != 0 ] && [ "$_p" != "$1" ] && return 0
		sleep 0.1
		_k=$((_k + 1))
	done
	return 1
}
check "socket restart: a new ssh" new_pid "$pid2" 10
check "socket restart: healthy" wait_json healthy true 10
is "socket restart: two restarts" "$(json restarts)" 2

# The guest's sshd goes away: down, with the reason and the stage.
"$BERTH_SRCDIR/tests/env/sshd.sh" stop "$SSHD_DIR"
check "sshd stopped: the forward reports down" wait_json healthy false 10
# the reason and stage come with the supervisor's next attempt
like_soon "sshd stopped: the reason names the guest sshd" \
	"guest sshd at 127.0.0.1:$SSHD_PORT not answering yet .*Connection refused" \
	10 json error
like_soon "sshd stopped: stage says it retries" 'retry|restarting|connecting' \
	10 json stage
"$BERTH" $P socket >/dev/null
is "sshd stopped: berth socket exits 1" "$?" 1

# sshd comes back: the forward heals by itself (backoff is at most 10 s).
"$BERTH_SRCDIR/tests/env/sshd.sh" restart "$SSHD_DIR"
check "sshd back: the forward heals" wait_json healthy true 20
is "sshd back: /_ping through the socket" \
	"$(curl -s --max-time 5 --unix-socket "$SOCK" http://d/_ping)" OK

# A berth killed hard leaves a stale socket behind: the next start cleans it.
pid=$(ssh_pid 20)
owner=$(json owner_pid)
check "killed berth: its supervisor and ssh are killed" t_kill -9 "$owner" "$pid"
check "killed berth: they are gone" dead "$owner" 100
dead "$pid" 100
check "killed berth: the socket file stays behind" test -S "$SOCK"
is "killed berth: reported down" "$(json healthy)" false
# inode numbers are reused at once after an unlink: compare the change
# time (ns) too
ino1=$(stat -c "%i %z" "$SOCK")
sleep 0.05
out=$("$BERTH" $P socket start --wait 20 2>&1)
is "start after a killed berth: exit 0" "$?" 0
check "start after a killed berth: healthy" wait_json healthy true 10
check "the stale socket was replaced" test "$(stat -c "%i %z" "$SOCK")" != "$ino1"
"$BERTH" $P socket stop

# A symlink at the socket path is refused and left alone.
ln -s /var/run/docker.sock "$SOCK"
out=$("$BERTH" $P socket start --wait 2 2>&1)
is "symlink: start exits 1" "$?" 1
like "symlink: says so" "$out" 'is a symlink; berth refuses'
check "symlink: left in place" test -L "$SOCK"
is "symlink: socket --json stage" "$(json stage)" refused
rm -f "$SOCK"

# A socket owned by another user is refused and left alone.
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$SOCK"
chown nobody "$SOCK"
out=$("$BERTH" $P socket start --wait 2 2>&1)
is "foreign-owned: start exits 1" "$?" 1
like "foreign-owned: says so" "$out" 'is owned by uid [0-9]+, not you'
check "foreign-owned: left in place" test -S "$SOCK"
like "foreign-owned: socket --json says so" "$(json error)" 'owned by uid'
rm -f "$SOCK"

# A stale socket outside berth's state dir is not berth's to remove.
mkdir -p "$T_HOME/elsewhere"
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T_HOME/elsewhere/d.sock"
cat >"$T_HOME/config/profiles/outside.yaml" <<EOF
docker:
  socket: $T_HOME/elsewhere/d.sock
  ssh_host: 127.0.0.1
  ssh_port: $SSHD_PORT
EOF
out=$("$BERTH" -p outside socket start --wait 2 2>&1)
is "stale outside the state dir: exit 1" "$?" 1
like "stale outside the state dir: says so" "$out" 'stale socket outside berth.s state dir'
check "stale outside the state dir: left in place" test -S "$T_HOME/elsewhere/d.sock"

# A BERTH_HOME so long that the socket path exceeds sun_path: refused
# with a hint (an explicit docker.socket that long is already rejected
# by the profile loader).
long=$T_HOME/$(printf '%090d' 0)
mkdir -p "$long/config/profiles"
cp "$T_HOME/config/profiles/test.yaml" "$long/config/profiles/"
out=$(BERTH_HOME=$long "$BERTH" $P socket start --wait 2 2>&1)
is "too-long path: exit 1" "$?" 1
like "too-long path: suggests a shorter BERTH_HOME" "$out" \
	'over this platform.s unix socket limit of 10[37]; set a shorter BERTH_HOME'
like "too-long path: socket --json says so" \
	"$(BERTH_HOME=$long "$BERTH" $P socket --json)" 'shorter BERTH_HOME'
check "too-long path: no supervisor left" test -z "$(BERTH_HOME=$long json owner_pid | grep -v '^0$')"

done_testing
