#!/bin/sh
# socket-guest: berth's supervised forward against the real Docker guest
# (tests/vm/build-docker-guest.sh) under TCG: started while the guest is
# still booting, it retries with the stage shown until the guest's sshd
# and dockerd answer; then /_ping and docker through berth's socket, a
# killed ssh heals within two refresh intervals (the default 2 s; ssh to
# a TCG guest is slow), and `berth socket stop`
# ends it. The guest only accepts its own cached key, which the test puts
# where berth keeps the profile's key. Slow (about 1-2 min warm, more
# cold); run it by hand: sh tests/vm/socket-guest.sh
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

tcg_or_skip
command -v ssh >/dev/null || skip_all "ssh missing (apt-get install openssh-client)"
docker_guest_paths || {
	not_ok "build the Docker guest (tests/vm/build-docker-guest.sh)"
	done_testing
	exit 1
}

W=$(mktemp -d "${TMPDIR:-/tmp}/berth-sguest.XXXXXX")
DOM=berth-sguest-$$
export BERTH_HOME="$W/home" HOME="$W/h" DOCKER_CONFIG="$W/docker"
unset DOCKER_HOST DOCKER_CONTEXT
trap '"$BERTH" -p guest socket stop >/dev/null 2>&1; guest_cleanup; rm -rf "$W"' EXIT
trap 'exit 1' INT TERM HUP
mkdir -p "$BERTH_HOME/config/profiles" "$HOME"
sp=$(guest_free_port)
cat >"$BERTH_HOME/config/profiles/guest.yaml" <<EOF
vm:
  ssh_port: $sp
  ssh_user: root
refresh: 2s
EOF
state=$BERTH_HOME/state/guest
mkdir -p "$state/ssh"
chmod 700 "$BERTH_HOME/state" "$state" "$state/ssh"
cp "$DOCKER_GUEST_KEY" "$state/ssh/id_ed25519"
cp "$DOCKER_GUEST_KEY.pub" "$state/ssh/id_ed25519.pub" 2>/dev/null ||
	ssh-keygen -y -f "$DOCKER_GUEST_KEY" >"$state/ssh/id_ed25519.pub"
chmod 600 "$state/ssh/id_ed25519"
sock=$state/docker.sock

json() {
	"$BERTH" -p guest socket --json 2>/dev/null |
		python3 -c 'import json, sys
v = json.load(sys.stdin).get(sys.argv[1])
print("null" if v is None else (str(v).lower() if isinstance(v, bool) else v))' "$1" 2>/dev/null
}

GUEST_CONSOLE=$W/console.log docker_guest_domxml "$DOM" "$W/overlay.qcow2" \
	"$sp" >"$W/dom.xml"
check "virsh create starts the guest" guest_start "$DOM" "$W/dom.xml"
"$BERTH" -p guest socket start --wait 0 >/dev/null 2>&1
is "the supervisor starts while the guest boots" "$?" 0

# While the guest boots: down, with the reason, retrying.
saw_wait=
end=$(($(date +%s) + 400))
while [ "$(date +%s)" -lt "$end" ]; do
	[ "$(json healthy)" = true ] && break
	case $(json error) in
	*"not answering yet"* | *"not answering"*) saw_wait=1 ;;
	esac
	sleep 2
done
check "while booting, the forward said the guest's sshd is not answering yet" \
	test -n "$saw_wait"
is "the forward comes up once the guest's dockerd answers" "$(json healthy)" true
if [ "$(json healthy)" != true ]; then
	tail -20 "$W/console.log" | sed 's/^/# console: /'
	"$BERTH" -p guest socket | sed 's/^/# /'
fi
is "/_ping through berth's socket" \
	"$(curl -s --max-time 10 --unix-socket "$sock" http://d/_ping)" OK
like "the guest's engine version" "$(json engine_version)" '^[0-9]+\.'
if command -v docker >/dev/null; then
	docker -H "unix://$sock" ps >/dev/null 2>&1
	is "docker ps through berth's socket reaches the guest" "$?" 0
	like "it is the guest's daemon" \
		"$(docker -H "unix://$sock" info --format '{{.Name}}' 2>/dev/null)" '.'
fi

pid=$(json pid)
check "the forward's ssh is killed" t_kill -9 "$pid"
t0=$(date +%s%N)
while [ $((($(date +%s%N) - t0) / 1000000)) -lt 10000 ]; do
	[ "$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$state/forward.json")" != "$pid" ] &&
		[ "$(curl -s --max-time 1 --unix-socket "$sock" http://d/_ping)" = OK ] &&
		break
	sleep 0.05
done
ms=$((($(date +%s%N) - t0) / 1000000))
echo "# killed ssh -> answering again in $ms ms"
check "killed ssh: back within two refresh intervals ($ms ms <= 4000)" test "$ms" -le 4000

"$BERTH" -p guest socket stop
is "socket stop" "$?" 0
check "the socket is gone" test ! -e "$sock"
check "agent shutdown" guest_shutdown "$DOM" 60
done_testing
