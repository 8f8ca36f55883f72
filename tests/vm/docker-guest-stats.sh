#!/bin/sh
# docker-guest-stats: the guest-side stats reader (docker-guest.c)
# against the real Docker guest (tests/vm/build-docker-guest.sh, Debian
# 12, cgroup v2, systemd driver) under TCG: berth's forward up, three
# containers, and `berth stats --no-stream` read from the guest's cgroup
# files (source "guest") agrees with `docker stats --no-stream` through
# the same socket: CPU within 20 points of one CPU, memory within 5 % or
# 2 MiB, PIDs equal, a -m limit is the limit and no limit the guest's
# memory; one reader process in the guest serves a whole run. Slow
# (about 3-4 min warm); run it by hand under the VM lock:
#   flock /tmp/berth-vm.lock sh tests/vm/docker-guest-stats.sh
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

tcg_or_skip
command -v ssh >/dev/null || skip_all "ssh missing (apt-get install openssh-client)"
command -v docker >/dev/null || skip_all "no docker CLI on the host"
command -v python3 >/dev/null || skip_all "python3 not installed"
docker_guest_paths || {
	not_ok "build the Docker guest (tests/vm/build-docker-guest.sh)"
	done_testing
	exit 1
}

W=$(mktemp -d "${TMPDIR:-/tmp}/berth-gstats.XXXXXX")
DOM=berth-gstats-$$
export BERTH_HOME="$W/home" HOME="$W/h" DOCKER_CONFIG="$W/docker"
unset DOCKER_HOST DOCKER_CONTEXT BERTH_DOCKER_STATS
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
ssh-keygen -y -f "$DOCKER_GUEST_KEY" >"$state/ssh/id_ed25519.pub"
chmod 600 "$state/ssh/id_ed25519"
sock=$state/docker.sock
dk() { docker -H "unix://$sock" "$@"; }

GUEST_CONSOLE=$W/console.log docker_guest_domxml "$DOM" "$W/overlay.qcow2" \
	"$sp" >"$W/dom.xml"
check "virsh create starts the guest" guest_start "$DOM" "$W/dom.xml"
"$BERTH" -p guest socket start --wait 400 >/dev/null 2>&1
is "the forward comes up" "$?" 0
end=$(($(date +%s) + 300))
while [ "$(date +%s)" -lt "$end" ]; do
	[ "$(curl -s --max-time 5 --unix-socket "$sock" http://d/_ping)" = OK ] && break
	sleep 1
done
check "the forward's control socket is there" test -S "$state/ctl.sock"
DOCKER_HOST="unix://$sock" "$BERTH_SRCDIR/tests/env/busybox-image.sh" >/dev/null
is "busybox image imported into the guest" "$?" 0

dk run -d --network none --cpus 0.5 --name burn berth-busybox:test sh -c 'while :; do :; done' >/dev/null
dk run -d --network none --name mem berth-busybox:test sh -c 'dd if=/dev/zero of=/dev/shm/fill bs=1M count=48 2>/dev/null; sleep 3000' >/dev/null
dk run -d --name idle -m 64m berth-busybox:test sh -c 'sleep 3000 & sleep 3000 & wait' >/dev/null
is "three containers run in the guest" "$(dk ps -q | wc -l | tr -d ' ')" 3
v=$(docker_guest_ssh "$sp" 'test -f /sys/fs/cgroup/cgroup.controllers && echo 2 || echo 1' </dev/null)
echo "# guest cgroup v$v"
sleep 3

docker_figures() {
	dk stats --no-stream --format '{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDs}}' \
		burn mem idle | python3 -c '
import re, sys
units = {"B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "kB": 1000, "MB": 1000**2, "GB": 1000**3}
for line in sys.stdin:
    f = line.split()
    m = re.match(r"([0-9.]+)([A-Za-z]+)", f[2])
    print(f[0], f[1].rstrip("%"), int(float(m.group(1)) * units[m.group(2)]), f[-1])
'
}
berth_figures() {
	"$BERTH" -p guest stats --no-stream --json burn mem idle 2>"$W/stats.err" |
		python3 -c '
import json, sys
for o in json.load(sys.stdin):
    print(o["name"], "%.2f" % o["cpu_percent"], o["memory_used_bytes"], o["pids"], o["source"], o["memory_limit_bytes"])
'
}
cpu_close() {
	for n in burn mem idle; do
		bc=$(awk -v n="$n" '$1 == n {print $2}' "$W/b")
		dc=$(awk -v n="$n" '$1 == n {print $2}' "$W/d")
		awk -v a="$bc" -v b="$dc" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && b != "" && d <= 20) }' || return 1
	done
}
for attempt in 1 2 3; do
	berth_figures >"$W/b" &
	bp=$!
	docker_figures >"$W/d"
	wait $bp
	cpu_close && break
	echo "# attempt $attempt: CPU figures apart, sampling again"
done
sed 's/^/# berth:  /' "$W/b"
sed 's/^/# docker: /' "$W/d"
sed 's/^/# stderr: /' "$W/stats.err"
is "three containers sampled" "$(wc -l <"$W/b" | tr -d ' ')" 3
is "the figures came from the guest reader" "$(awk '{print $5}' "$W/b" | sort -u)" guest
for n in burn mem idle; do
	bc=$(awk -v n="$n" '$1 == n {print $2}' "$W/b")
	dc=$(awk -v n="$n" '$1 == n {print $2}' "$W/d")
	bm=$(awk -v n="$n" '$1 == n {print $3}' "$W/b")
	dm=$(awk -v n="$n" '$1 == n {print $3}' "$W/d")
	check "$n CPU berth $bc% vs docker $dc% (±20)" \
		awk -v a="$bc" -v b="$dc" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && b != "" && d <= 20) }'
	check "$n memory berth $bm vs docker $dm (5% or 2MiB)" \
		awk -v a="$bm" -v b="$dm" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a > 0 && b > 0 && (d <= 2097152 || d <= b * 0.05)) }'
	is "$n pids" "$(awk -v n="$n" '$1 == n {print $4}' "$W/b")" \
		"$(awk -v n="$n" '$1 == n {print $4}' "$W/d")"
done
bc=$(awk '$1 == "burn" {print $2}' "$W/b")
check "the burner burns (${bc}%)" awk -v a="$bc" 'BEGIN { exit !(a >= 5) }'
mm=$(awk '$1 == "mem" {print $3}' "$W/b")
check "48 MiB in /dev/shm counted ($mm)" awk -v a="$mm" 'BEGIN { exit !(a >= 48 * 1048576) }'
is "-m 64m gives a 64 MiB limit" "$(awk '$1 == "idle" {print $6}' "$W/b")" 67108864
gm=$(docker_guest_ssh "$sp" "awk '/^MemTotal:/ {print \$2}' /proc/meminfo" </dev/null)
is "no limit means the guest's memory" "$(awk '$1 == "burn" {print $6}' "$W/b")" "$((gm * 1024))"

# One reader in the guest for a whole run.
"$BERTH" -p guest stats --json --interval 1s burn >/dev/null 2>&1 &
bg=$!
: >"$W/readers"
for i in 1 2 3 4 5 6 7 8 9 10; do
	docker_guest_ssh "$sp" "pgrep -f 'awk -W interactive'" </dev/null >>"$W/readers" 2>/dev/null
	sleep 1
done
kill $bg
wait $bg 2>/dev/null
is "one reader in the guest served every refresh" "$(sort -u "$W/readers" | grep -c .)" 1

"$BERTH" -p guest socket stop >/dev/null 2>&1
check "agent shutdown" guest_shutdown "$DOM" 60
done_testing
