#!/bin/sh
# docker-guest-smoke: boot the Docker-ready test guest (issue 8) under TCG
# on a fresh overlay and check that the agent answers, root logs in over
# ssh, a 9p share is mounted by the guest's berth-mounts unit, the guest's
# dockerd answers _ping and /version through an ssh-forwarded docker.sock,
# a registry-free busybox image imports and a container reads the share
# through a bind mount, and an agent shutdown removes the domain. Slow: about 1 min warm, 2-3 min
# cold (mmdebstrap); run it by hand: sh tests/vm/docker-guest-smoke.sh
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

tcg_or_skip
command -v ssh >/dev/null || skip_all "ssh missing (apt-get install openssh-client)"

t=$(now)
docker_guest_paths || {
	not_ok "build the Docker guest (tests/vm/build-docker-guest.sh)"
	done_testing
	exit 1
}
ok "Docker guest built or cached in $(since "$t") s: $DOCKER_GUEST_DIR"

W=$(mktemp -d "${TMPDIR:-/tmp}/berth-dsmoke.XXXXXX")
DOM=berth-dsmoke-$$
trap 'guest_cleanup; rm -rf "$W"' EXIT
trap 'exit 1' INT TERM HUP
mkdir -p "$W/share"
token=tok-$$-$(date +%s%N)
echo "$token" >"$W/share/host.txt"
sp=$(guest_free_port)

GUEST_CONSOLE=$W/console.log docker_guest_domxml "$DOM" "$W/overlay.qcow2" \
	"$sp" "$W/share=/work/app" >"$W/dom.xml"

t=$(now)
check "virsh create starts the transient domain" guest_start "$DOM" "$W/dom.xml"
failed_boot() {
	not_ok "$1"
	tail -30 "$W/console.log" | sed 's/^/# console: /'
	done_testing
	exit 1
}
guest_wait_agent "$DOM" "$GUEST_URI" 300 || failed_boot "agent answers within 300 s"
ok "agent answers guest-ping"
echo "# start -> agent ping: $(since "$t") s"
docker_guest_wait_ssh "$sp" 300 || failed_boot "root ssh login within 300 s"
ok "root logs in over ssh with the cached key"
echo "# start -> ssh: $(since "$t") s"

is "9p share mounted at its path tag" \
	"$(docker_guest_ssh "$sp" cat /work/app/host.txt </dev/null)" "$token"

check "docker.sock forwarded over ssh" docker_guest_forward "$sp" "$W/docker.sock"
ping=
end=$(($(date +%s) + 300))
while [ "$(date +%s)" -lt "$end" ]; do
	ping=$(curl -s --max-time 5 --unix-socket "$W/docker.sock" http://d/_ping) &&
		[ "$ping" = OK ] && break
	sleep 1
done
is "guest dockerd answers _ping through the forwarded socket" "$ping" OK
echo "# start -> docker _ping: $(since "$t") s"
like "guest dockerd reports its API version" \
	"$(curl -s --max-time 10 --unix-socket "$W/docker.sock" http://d/version)" \
	'"ApiVersion":"1\.[0-9]+"'

# No registry: import a busybox-static image through the socket, then run a
# container that reads the 9p share through a bind mount (host folder ->
# guest path -> container), as berth users will.
if command -v docker >/dev/null; then
	t=$(now)
	check "busybox image imported through the forwarded socket" \
		env DOCKER_HOST="unix://$W/docker.sock" \
		"$BERTH_SRCDIR/tests/env/busybox-image.sh" berth-busybox:test
	out=$(DOCKER_HOST="unix://$W/docker.sock" docker run --rm \
		-v /work/app:/app berth-busybox:test cat /app/host.txt 2>&1)
	is "container reads the host folder through 9p and a bind mount" \
		"$out" "$token"
	echo "# import + docker run: $(since "$t") s"
else
	skip "docker run in the guest" "no docker CLI on the host"
fi

t=$(now)
check "agent shutdown removes the domain" guest_shutdown "$DOM" 120
echo "# shutdown: $(since "$t") s"
GUEST_STARTED=
done_testing
