#!/bin/sh
# berth stats agrees with docker stats --no-stream, from the cgroup reader
# and from the API. Tolerances: CPU within 20 points of one CPU (the two
# tools sample different 1-second windows of a busy 2-core machine),
# memory within 5 % or 2 MiB.
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$BERTH_SRCDIR/tests/integration/docker-lib.sh"
t_home
dk_require
unset DOCKER_HOST DOCKER_CONTEXT

burn=$(dk_name burn)
mem=$(dk_name mem)
idle=$(dk_name idle)
dk_run burn "$DK_IMAGE" sh -c 'while :; do :; done' >/dev/null
dk_run mem "$DK_IMAGE" sh -c 'dd if=/dev/zero of=/dev/shm/fill bs=1M count=48 2>/dev/null; touch /filled; sleep 300' >/dev/null
dk_run idle "$DK_IMAGE" sleep 300 >/dev/null
# the 48 MiB are all there before anything is measured (2 s were not
# always enough for dd on a loaded machine)
wait_until 30 dk exec "$mem" test -e /filled
sleep 2

# docker stats --no-stream as NAME CPU MEMBYTES
docker_figures() {
	dk stats --no-stream --format '{{.Name}} {{.CPUPerc}} {{.MemUsage}}' \
		"$burn" "$mem" "$idle" | python3 -c '
import re, sys
units = {"B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "kB": 1000, "MB": 1000**2, "GB": 1000**3}
for line in sys.stdin:
    name, cpu, used = line.split()[:3]
    m = re.match(r"([0-9.]+)([A-Za-z]+)", used)
    print(name, cpu.rstrip("%"), int(float(m.group(1)) * units[m.group(2)]))
'
}

berth_figures() {
	BERTH_DOCKER_STATS=$1 "$BERTH" stats --no-stream --json "$burn" "$mem" "$idle" |
		python3 -c '
import json, sys
for o in json.load(sys.stdin):
    print(o["name"], "%.2f" % o["cpu_percent"], o["memory_used_bytes"], o["source"], o["memory_limit_bytes"], o["pids"])
'
}

# cpu_close SOURCE: every container's CPU figure within 20 points.
cpu_close() {
	for n in "$burn" "$mem" "$idle"; do
		bc=$(awk -v n="$n" '$1 == n {print $2}' "$T_HOME/b.$1")
		dc=$(awk -v n="$n" '$1 == n {print $2}' "$T_HOME/d.$1")
		awk -v a="$bc" -v b="$dc" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && b != "" && d <= 20) }' || return 1
	done
}

for source in cgroup api; do
	"$BERTH" stats --no-stream --json "$burn" >/dev/null 2>&1 # warm
	# Both tools sample the busy container in their own 1-second window;
	# under a loaded scheduler one window can starve it. Sample again (at
	# most three times) before comparing: a systematic error still fails.
	for attempt in 1 2 3; do
		berth_figures $source >"$T_HOME/b.$source" &
		bp=$!
		docker_figures >"$T_HOME/d.$source"
		wait $bp
		cpu_close $source && break
		echo "# $source: attempt $attempt: CPU figures apart, sampling again"
	done
	if [ "$source" = cgroup ] && [ ! -s "$T_HOME/b.$source" ]; then
		skip "cgroup reader" "the containers' cgroups are not readable here (daemon not local?)"
		continue
	fi
	is "$source: three containers sampled" "$(wc -l <"$T_HOME/b.$source" | tr -d ' ')" 3
	is "$source: the figures came from $source" \
		"$(awk '{print $4}' "$T_HOME/b.$source" | sort -u)" "$source"
	for n in "$burn" "$mem" "$idle"; do
		b=$(awk -v n="$n" '$1 == n' "$T_HOME/b.$source")
		d=$(awk -v n="$n" '$1 == n' "$T_HOME/d.$source")
		bc=$(echo "$b" | awk '{print $2}')
		dc=$(echo "$d" | awk '{print $2}')
		bm=$(echo "$b" | awk '{print $3}')
		dm=$(echo "$d" | awk '{print $3}')
		check "$source: $n CPU berth $bc% vs docker $dc% (±20)" \
			awk -v a="$bc" -v b="$dc" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && b != "" && d <= 20) }'
		check "$source: $n memory berth $bm vs docker $dm (5% or 2MiB)" \
			awk -v a="$bm" -v b="$dm" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a > 0 && b > 0 && (d <= 2097152 || d <= b * 0.05)) }'
	done
	bc=$(awk -v n="$burn" '$1 == n {print $2}' "$T_HOME/b.$source")
	# The machine is shared: the burner gets what the scheduler gives it.
	check "$source: the burner burns (${bc}%)" awk -v a="$bc" 'BEGIN { exit !(a >= 5) }'
	ic=$(awk -v n="$idle" '$1 == n {print $2}' "$T_HOME/b.$source")
	check "$source: the idle one idles (${ic}%)" awk -v a="$ic" 'BEGIN { exit !(a < 5) }'
	mm=$(awk -v n="$mem" '$1 == n {print $3}' "$T_HOME/b.$source")
	check "$source: 48 MiB in /dev/shm counted ($mm)" awk -v a="$mm" 'BEGIN { exit !(a >= 48 * 1048576) }'
	lim=$(awk -v n="$mem" '$1 == n {print $5}' "$T_HOME/b.$source")
	dl=$(dk stats --no-stream --format '{{.MemUsage}}' "$mem" | sed 's/.*\/ *//')
	like "$source: no limit means the host's memory ($lim vs $dl)" "$lim" '^[0-9]{9,}$'
done

# A memory limit is the limit.
dk_run lim -m 64m "$DK_IMAGE" sleep 300 >/dev/null
sleep 1
lim=$(BERTH_DOCKER_STATS=cgroup "$BERTH" stats --no-stream --json "$(dk_name lim)" | sed -n 's/.*"memory_limit_bytes":\([0-9]*\).*/\1/p')
is "cgroup: -m 64m gives a 64 MiB limit" "$lim" 67108864
lim=$(BERTH_DOCKER_STATS=api "$BERTH" stats --no-stream --json "$(dk_name lim)" | sed -n 's/.*"memory_limit_bytes":\([0-9]*\).*/\1/p')
is "api: -m 64m gives a 64 MiB limit" "$lim" 67108864
err=$("$BERTH" stats --no-stream berth-test-no-such-container 2>&1)
like "stats of an unknown container says so" "$err" "no such container"
done_testing
