#!/bin/sh
# Getting in (issue 16): `berth ssh` and `berth ssh-config` reach the
# guest with berth's own key and known_hosts (the private sshd plays the
# guest), and `berth exec` runs `docker exec` through the profile's
# forwarded socket to this machine's dockerd; without the docker CLI it
# prints the same through `berth ssh`. Run under flock /tmp/berth-docker.lock.
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/integration/socket-lib.sh"
command -v docker >/dev/null || skip_all "docker CLI not installed"
"$BERTH_SRCDIR/tests/env/busybox-image.sh" berth-busybox:test >/dev/null ||
	skip_all "no berth-busybox:test image (tests/env/busybox-image.sh)"
socket_setup
CT=berth-getin-$$
SOCKET_CLEANUP_EXTRA='docker rm -f "$CT" >/dev/null 2>&1'

# ssh: a command's output and exit status come through.
out=$("$BERTH" $P ssh -- echo hi 2>&1)
is "ssh -- echo hi exits 0" "$?" 0
is "ssh -- echo hi prints hi" "$out" hi
"$BERTH" $P ssh -- exit 3 </dev/null >/dev/null 2>&1
is "ssh -- exit 3 exits 3" "$?" 3
out=$(echo from-stdin | "$BERTH" $P ssh -- cat 2>&1)
is "ssh passes stdin through" "$out" from-stdin
like "the guest's host key went into the profile's known_hosts" \
	"$(cat "$STATE/ssh/known_hosts" 2>/dev/null)" '^berth-test '

# With no command on a terminal: a login shell on a terminal of its own.
if command -v script >/dev/null; then
	out=$(printf 'tty\nexit 4\n' |
		script -qec "\"$BERTH\" $P ssh" /dev/null 2>&1)
	is "ssh with no command: the shell's exit status" "$?" 4
	like "and the shell has a terminal" "$out" '/dev/pts/[0-9]'
else
	skip "ssh with no command: the shell's exit status" "script(1) not installed"
	skip "and the shell has a terminal" "script(1) not installed"
fi

# ssh-config: a block the real ssh uses as it is.
"$BERTH" $P ssh-config >"$T_HOME/ssh-config" 2>"$T_HOME/err"
is "ssh-config exits 0" "$?" 0
like "ssh-config names the host" "$(head -n 1 "$T_HOME/ssh-config")" '^Host berth-test$'
check "ssh-config has the port" file_has "$T_HOME/ssh-config" "^  Port $SSHD_PORT\$"
check "ssh-config has berth's key" file_has "$T_HOME/ssh-config" \
	"^  IdentityFile $STATE/ssh/id_ed25519\$"
out=$(ssh -F "$T_HOME/ssh-config" -o BatchMode=yes berth-test echo via-config 2>&1)
is "ssh -F CONFIG berth-test works" "$?" 0
is "ssh -F CONFIG berth-test runs the command" "$out" via-config

# ssh to a VM that does not run: a clear error, no ssh run.
cat >"$T_HOME/config/profiles/novm.yaml" <<EOT
vm:
  uri: test:///default
  domain: berth-no-such-domain
EOT
out=$("$BERTH" -p novm ssh -- true 2>&1)
is "ssh to a VM that is not there exits 1" "$?" 1
like "and says the VM is not running" "$out" 'the VM is not running'
out=$("$BERTH" -p novm ssh-config 2>&1)
is "ssh-config for it exits 1" "$?" 1
# A running VM with no SSH port forward (the test driver's domain).
cat >"$T_HOME/config/profiles/noport.yaml" <<EOT
vm:
  uri: test:///default
  domain: test
EOT
out=$("$BERTH" -p noport ssh -- true 2>&1)
is "ssh to a VM without an SSH port exits 1" "$?" 1
like "and says it has no SSH port forward" "$out" 'has no SSH port forward'

# exec through the forwarded socket.
"$BERTH" $P socket start --wait 20 >/dev/null 2>&1
check "forward up" wait_json healthy true 10
docker -H "unix:///var/run/docker.sock" run -d --name "$CT" \
	berth-busybox:test sleep 300 >/dev/null
is "test container started" "$?" 0
out=$(DOCKER_HOST=tcp://127.0.0.1:9 "$BERTH" $P exec "$CT" echo hi </dev/null 2>&1)
is "exec CT echo hi exits 0 (DOCKER_HOST ignored)" "$?" 0
is "exec CT echo hi prints hi" "$out" hi
"$BERTH" $P exec "$CT" sh -c 'exit 5' </dev/null >/dev/null 2>&1
is "exec's status is the command's" "$?" 5
out=$(echo 'echo $0' | "$BERTH" $P exec "$CT" 2>&1)
is "exec with no command runs a shell (sh: no bash in busybox)" "$out" sh
if command -v script >/dev/null; then
	out=$(printf 'tty\nexit 6\n' |
		script -qec "\"$BERTH\" $P exec $CT" /dev/null 2>&1)
	is "exec on a terminal: the shell's exit status" "$?" 6
	like "and docker exec -it gave it a terminal" "$out" '/dev/pts/[0-9]'
else
	skip "exec on a terminal: the shell's exit status" "script(1) not installed"
	skip "and docker exec -it gave it a terminal" "script(1) not installed"
fi
out=$("$BERTH" $P exec berth-no-such-ct-$$ true </dev/null 2>&1)
is "exec on a missing container fails" "$?" 1
like "with the daemon's message" "$out" 'No such container'

# Without the docker CLI: the hint, which works as printed.
out=$(PATH=/nonexistent "$BERTH" $P exec "$CT" echo hi there </dev/null 2>"$T_HOME/err")
is "exec without docker exits 1" "$?" 1
like "says docker is missing" "$(cat "$T_HOME/err")" 'docker CLI is not installed'
is "prints the ssh equivalent" "$out" "berth -p test ssh -- docker exec -i $CT echo hi there"
out=$(eval "\"\$BERTH\" ${out#berth }" </dev/null 2>&1)
is "the printed command works" "$out" "hi there"

done_testing
