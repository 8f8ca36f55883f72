#!/bin/sh
# run.sh: the polling-mode benchmark (issue 7) in one run. From a build
# directory:   BERTH_SRCDIR=/path/to/berth sh $BERTH_SRCDIR/bench/scan/run.sh
# Artifacts (the 100,000-file tree, node_modules for chokidar) live in
# ${BENCH_DIR:-/tmp/berth-bench-scan}, never in the repository.
# Extra arguments go to bench.py (e.g. --idle 30 --skip chokidar).
set -e
: "${BERTH_SRCDIR:?set BERTH_SRCDIR to the source tree}"
: "${BERTH:=$PWD/berth}"
export BERTH BERTH_SRCDIR
W=${BENCH_DIR:-/tmp/berth-bench-scan}
mkdir -p "$W"
[ -d "$W/tree" ] || perl "$BERTH_SRCDIR/bench/scan/gen-tree.pl" "$W/tree"
command -v fswatch >/dev/null ||
	{ echo "run.sh: fswatch missing (apt-get install fswatch)"; exit 1; }
if [ ! -d "$W/node/node_modules/chokidar" ]; then
	mkdir -p "$W/node"
	(cd "$W/node" && npm init -y >/dev/null && npm install chokidar@3 >/dev/null)
fi
python3 "$BERTH_SRCDIR/bench/scan/bench.py" --berth "$BERTH" \
	--tree "$W/tree" --node-dir "$W/node" "$@"
echo
sh "$BERTH_SRCDIR/bench/scan/guest-latency.sh" ||
	echo "(guest latency skipped: the TCG test guest did not run)"
echo
sh "$BERTH_SRCDIR/bench/scan/guest-pins.sh" ||
	echo "(guest pins skipped: the TCG test guest did not run)"
