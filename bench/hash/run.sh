#!/bin/sh
# bench/hash/run.sh: what checking a downloaded image costs, before and
# after issue 14 took SHA-256/512 from libcrypto (backend/util/hash.c) and
# hashed the download as it arrives instead of reading it again.
#   1. the SHA-256 of a 1 GiB file: the hand-written sha256.c berth had
#      (taken from git at REV) against hash.c;
#   2. `berth image pull` of a 500 MB file (vm.image_sha256 set) from
#      tests/integration/image-httpd.py on loopback: OLD_BERTH (built at
#      REV) against BERTH.
# Each pair runs in turn, A B A B, N rounds after one warm-up; it prints
# every run's CPU (user+sys) and wall seconds, their medians, and the
# ratio new/old of each pair as min/median/max, with the load average at
# start and end.
#
#   OLD_BERTH=/path/to/berth-at-REV BERTH=build/berth BUILD=build \
#       [REV=fd447bb] [N=5] bench/hash/run.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
BUILD=$(cd "${BUILD:-$top/build}" && pwd)
BERTH=${BERTH:-$BUILD/berth}
REV=${REV:-fd447bb}
N=${N:-5}
: "${OLD_BERTH:?set OLD_BERTH to a berth built at $REV}"
w=$(mktemp -d "${TMPDIR:-/tmp}/berth-bench-hash.XXXXXX")
trap '[ -n "${srv:-}" ] && kill "$srv"; rm -rf "$w"' EXIT INT TERM

# run CMD...: "cpu wall" of one run.
run() {
	/usr/bin/time -f '%U %S %e' -o "$w/t" "$@" >/dev/null
	awk '{ printf "%.3f %.3f\n", $1 + $2, $3 }' "$w/t"
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
# pair NAME OLDCMD NEWCMD: interleaved runs and the summary.
pair() {
	name=$1
	old=$2
	new=$3
	$old >/dev/null
	$new >/dev/null
	: >"$w/old"
	: >"$w/new"
	i=0
	while [ $i -lt "$N" ]; do
		run $old >>"$w/old"
		run $new >>"$w/new"
		i=$((i + 1))
	done
	oc=$(cut -d' ' -f1 "$w/old" | median)
	ow=$(cut -d' ' -f2 "$w/old" | median)
	nc=$(cut -d' ' -f1 "$w/new" | median)
	nw=$(cut -d' ' -f2 "$w/new" | median)
	echo "$name: old runs (cpu wall): $(tr '\n' ';' <"$w/old")"
	echo "$name: new runs (cpu wall): $(tr '\n' ';' <"$w/new")"
	echo "$name: median cpu old $oc s new $nc s, wall old $ow s new $nw s"
	# The ratio new/old of each pair (run i of new over run i of old),
	# min/median/max over the pairs.
	for col in 1 2; do
		paste -d' ' "$w/new" "$w/old" |
			awk -v c=$col '{ printf "%.3f\n", $c / $(c + 2) }' | sort -n >"$w/r"
		echo "$name: $( [ $col = 1 ] && echo cpu || echo wall) ratio new/old" \
			"min $(head -1 "$w/r") median $(median <"$w/r") max $(tail -1 "$w/r")"
	done
}

echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# 1. Hashing alone.
git -C "$top" show "$REV:backend/util/sha256.c" >"$w/sha256.c"
cc -O2 -DOLD_SHA256 -I"$BUILD" -I"$top/backend" -I"$top" -pthread \
	"$here/hash-file.c" "$w/sha256.c" "$top/backend/util/util.c" -o "$w/hash-old"
cc -O2 -I"$BUILD" -I"$top/backend" -I"$top" -pthread \
	"$here/hash-file.c" "$top/backend/util/hash.c" "$top/backend/util/util.c" \
	-o "$w/hash-new" $(pkg-config --libs libcrypto)
head -c 1073741824 /dev/urandom >"$w/1g"
[ "$("$w/hash-old" "$w/1g")" = "$("$w/hash-new" "$w/1g")" ] || {
	echo "the two digests differ" >&2
	exit 1
}
pair "sha256 of 1 GiB" "$w/hash-old $w/1g" "$w/hash-new $w/1g"
rm -f "$w/1g"

# 2. A pull with a checksum.
mkdir -p "$w/srv" "$w/home/config/profiles"
head -c 524288000 /dev/urandom >"$w/srv/img.qcow2"
python3 "$top/tests/integration/image-httpd.py" "$w/srv" "$w/port" &
srv=$!
i=0
while [ ! -s "$w/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
printf 'vm:\n  image: http://127.0.0.1:%s/ok/img.qcow2\n  image_sha256: %s\n' \
	"$(cat "$w/port")" "$(sha256sum <"$w/srv/img.qcow2" | cut -c1-64)" \
	>"$w/home/config/profiles/bench.yaml"
export BERTH_HOME="$w/home"
pair "image pull of 500 MB" "$here/pull-once.sh $OLD_BERTH" "$here/pull-once.sh $BERTH"

echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
