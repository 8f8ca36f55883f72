#!/bin/sh
# run.sh: the polling-mode benchmark (issues 7 and 18) in one run. From a
# build directory:   BERTH_SRCDIR=/path/to/berth sh $BERTH_SRCDIR/bench/scan/run.sh
# Artifacts (the trees, node_modules for chokidar) live in
# ${BENCH_DIR:-/tmp/berth-bench-scan}, never in the repository.
# Extra arguments go to bench.py (e.g. --rounds 3 --setting 'default=-i 1s').
# SCALE=1 also builds 10,000- and 300,000-file trees and adds the scaling
# table; GUEST=1 adds the TCG guest benchmarks (guest-latency, guest-pins).
set -e
: "${BERTH_SRCDIR:?set BERTH_SRCDIR to the source tree}"
: "${BERTH:=$PWD/berth}"
export BERTH BERTH_SRCDIR
W=${BENCH_DIR:-/tmp/berth-bench-scan}
mkdir -p "$W"
[ -d "$W/tree" ] || perl "$BERTH_SRCDIR/bench/scan/gen-tree.pl" "$W/tree"
command -v fswatch >/dev/null ||
	{ echo "run.sh: fswatch missing (apt-get install fswatch)"; exit 1; }
set --  --berth "$BERTH" --tree "$W/tree" "$@"
if [ -n "$NODE" ]; then
	if [ ! -d "$W/node/node_modules/chokidar" ]; then
		mkdir -p "$W/node"
		(cd "$W/node" && npm init -y >/dev/null &&
			npm install chokidar@3 >/dev/null)
	fi
	set -- "$@" --node-dir "$W/node"
fi
if [ -n "$SCALE" ]; then
	[ -d "$W/tree10k" ] ||
		perl "$BERTH_SRCDIR/bench/scan/gen-tree.pl" "$W/tree10k" 10000 600
	[ -d "$W/tree300k" ] ||
		perl "$BERTH_SRCDIR/bench/scan/gen-tree.pl" "$W/tree300k" 300000 18000
	set -- "$@" --scale "$W/tree10k,$W/tree,$W/tree300k"
fi
python3 "$BERTH_SRCDIR/bench/scan/bench.py" "$@"
[ -n "$GUEST" ] || exit 0
echo
sh "$BERTH_SRCDIR/bench/scan/guest-latency.sh" ||
	echo "(guest latency skipped: the TCG test guest did not run)"
echo
sh "$BERTH_SRCDIR/bench/scan/guest-pins.sh" ||
	echo "(guest pins skipped: the TCG test guest did not run)"
