#!/bin/sh
# bench/socket/run.sh: 100 concurrent GET /_ping and 100 concurrent
# GET /containers/json through berth's forwarded socket (ssh -L through a
# private loopback sshd, tests/env/sshd.sh) and directly on the daemon's
# socket, in the same run, alternating which goes first. Reports lost
# requests and the ratio of median latencies (forwarded / direct).
#
# usage: BERTH=/path/to/berth bench/socket/run.sh [ROUNDS=11] [N=100]
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
rounds=${1:-11}
n=${2:-100}
: "${BERTH:?set BERTH to a built berth binary}"
direct=/var/run/docker.sock
curl -sf --unix-socket "$direct" http://d/_ping >/dev/null ||
	{ echo "dockerd is not answering on $direct" >&2; exit 1; }

work=$(mktemp -d /tmp/berth-bench-socket.XXXXXX)
export BERTH_HOME="$work/home" HOME="$work/h" DOCKER_CONFIG="$work/docker"
export BERTH_DATADIR="$top"
mkdir -p "$BERTH_HOME/config/profiles" "$HOME"
cleanup() {
	"$BERTH" -p bench socket stop >/dev/null 2>&1
	"$top/tests/env/sshd.sh" stop "$work/sshd"
	rm -rf "$work"
}
trap cleanup EXIT

cc -O2 -o "$work/bench-socket" "$top/bench/socket/bench-socket.c" \
	$(pkg-config --cflags --libs libcurl) || exit 1
# socket key wants an existing profile: a placeholder until the port is known.
printf 'vm:\n  ssh_user: %s\n' "$(id -un)" >"$BERTH_HOME/config/profiles/bench.yaml"
"$BERTH" -p bench socket key >"$work/berth.pub" || exit 1
port=$("$top/tests/env/sshd.sh" start "$work/sshd" "$work/berth.pub") || exit 1
cat >"$BERTH_HOME/config/profiles/bench.yaml" <<EOF
vm:
  ssh_user: $(id -un)
docker:
  ssh_host: 127.0.0.1
  ssh_port: $port
EOF
"$BERTH" -p bench socket start --wait 20 >/dev/null || exit 1
fwd=$BERTH_HOME/state/bench/docker.sock

# One line per (round, target, endpoint) into $work/results.
for r in $(seq 1 "$rounds"); do
	if [ $((r % 2)) -eq 1 ]; then order="direct forwarded"; else order="forwarded direct"; fi
	for ep in /_ping /containers/json; do
		for t in $order; do
			[ "$t" = direct ] && s=$direct || s=$fwd
			line=$("$work/bench-socket" "$s" "$ep" "$n")
			echo "$t $ep $line" >>"$work/results"
		done
	done
done

echo "berth socket bench: $rounds rounds x $n concurrent requests per endpoint"
echo "host: $(nproc) CPUs, $(uname -sr), $(ssh -V 2>&1 | cut -d, -f1)"
python3 - "$work/results" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    t, ep, *kv = line.split()
    d = dict(x.split("=") for x in kv)
    rows.setdefault((ep, t), []).append(d)
print("| endpoint | socket | requests | lost | median ms | p95 ms | ratio (median) |")
print("|---|---|---|---|---|---|---|")
for ep in ("/_ping", "/containers/json"):
    med = {}
    for t in ("direct", "forwarded"):
        rs = rows[(ep, t)]
        ok = sum(int(r["ok"]) for r in rs)
        lost = sum(int(r["lost"]) for r in rs)
        med[t] = statistics.median(float(r["median_ms"]) for r in rs)
        p95 = statistics.median(float(r["p95_ms"]) for r in rs)
        ratio = "" if t == "direct" else "%.2fx" % (med[t] / med["direct"])
        print("| %s | %s | %d | %d | %.2f | %.2f | %s |" % (ep, t, ok + lost, lost, med[t], p95, ratio))
EOF
lost=$(awk '{ for (i = 3; i <= NF; i++) if ($i ~ /^lost=/) { split($i, a, "="); s += a[2] } } END { print s + 0 }' "$work/results")
[ "$lost" -eq 0 ]
