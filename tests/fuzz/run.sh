#!/bin/sh
# tests/fuzz/run.sh: build every tests/fuzz/fuzz_*.c with libFuzzer and
# ASan+UBSan, and run each for a bounded time (FUZZ_SECONDS, default 20;
# FUZZ_ONLY=fuzz_NAME runs one).
# ./check calls it. A harness names what it needs in comment lines:
#   fuzz-sources: FILES...   sources to compile with it (repeatable)
#   fuzz-libs: FLAGS...      libraries to link
#   fuzz-seeds: DIRS...      folders of seed inputs (*.yaml), from the top
#   fuzz-dict: FILE          a libFuzzer dictionary, from the top
#   fuzz-seconds: N          run at most N seconds (a small harness)
# Without clang (or its libFuzzer runtime) it says why and exits 0.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
secs=${FUZZ_SECONDS:-20}
cc=${FUZZ_CC:-clang}

if ! command -v "$cc" >/dev/null 2>&1; then
	echo "fuzz: $cc is not installed, skipping the fuzzers (apt-get install clang)"
	exit 0
fi
out=$(mktemp -d "${TMPDIR:-/tmp}/berth-fuzz.XXXXXX")
trap 'rm -rf "$out"' EXIT INT TERM

echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' >"$out/probe.c"
if ! "$cc" -fsanitize=fuzzer "$out/probe.c" -o "$out/probe" >/dev/null 2>&1; then
	echo "fuzz: $cc has no libFuzzer runtime, skipping the fuzzers"
	exit 0
fi

# config.h: a configured build's if there is one, else the few macros the
# sources need.
cfg=
for d in "${BERTH_BUILDDIR:-}" "$top/build-werror" "$top/build-asan" "$top"; do
	if [ -n "$d" ] && [ -f "$d/config.h" ]; then
		cfg=$d
		break
	fi
done
if [ -z "$cfg" ]; then
	cfg=$out
	cat >"$cfg/config.h" <<'EOH'
#define _GNU_SOURCE 1
#define PACKAGE "berth"
#define PACKAGE_VERSION "0.0.0-fuzz"
#define PACKAGE_STRING "berth 0.0.0-fuzz"
EOH
fi

field() { # field NAME FILE: the words of every "NAME:" comment line
	sed -n "s/^.*$1:[[:space:]]*//p" "$2" | sed 's/[[:space:]]*\*\/[[:space:]]*$//' | tr '\n' ' '
}

status=0
ran=0
for src in "$here"/fuzz_*.c; do
	[ -f "$src" ] || continue
	name=$(basename "$src" .c)
	[ -n "${FUZZ_ONLY:-}" ] && [ "$name" != "$FUZZ_ONLY" ] && continue
	sources=
	for f in $(field fuzz-sources "$src"); do
		sources="$sources $top/$f"
	done
	libs=$(field fuzz-libs "$src")
	echo "fuzz: building $name"
	# shellcheck disable=SC2086
	if ! "$cc" -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -I"$cfg" -I"$top/backend" \
		-I"$top" -DBERTH_DATADIR="\"$top\"" \
		-DBERTH_SRCDIR="\"$top\"" "$src" $sources $libs -pthread \
		-o "$out/$name" >"$out/$name.build" 2>&1; then
		cat "$out/$name.build"
		echo "fuzz: $name does not build"
		status=1
		continue
	fi
	mkdir -p "$out/$name.corpus"
	for d in $(field fuzz-seeds "$src"); do
		for f in "$top/$d"/*.yaml; do
			[ -f "$f" ] && cp "$f" "$out/$name.corpus/"
		done
	done
	dict=$(field fuzz-dict "$src" | tr -d ' ')
	set --
	[ -n "$dict" ] && set -- -dict="$top/$dict"
	hsecs=$(field fuzz-seconds "$src" | tr -d ' ')
	[ -n "$hsecs" ] && [ "$hsecs" -lt "$secs" ] || hsecs=$secs
	echo "fuzz: running $name for ${hsecs}s"
	if "$out/$name" "$@" -max_total_time="$hsecs" -timeout=10 \
		-rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
		-artifact_prefix="$out/$name-" "$out/$name.corpus" \
		>"$out/$name.log" 2>&1; then
		grep -E '^stat::number_of_executed_units' "$out/$name.log" |
			sed "s/^/fuzz: $name /"
	else
		tail -40 "$out/$name.log"
		for a in "$out/$name"-*; do
			[ -f "$a" ] || continue
			keep="${TMPDIR:-/tmp}/$(basename "$a")"
			cp "$a" "$keep"
			echo "fuzz: $name failed; input saved as $keep"
		done
		status=1
	fi
	ran=$((ran + 1))
done
[ "$ran" -eq 0 ] && [ "$status" -eq 0 ] && echo "fuzz: no harness built"
exit $status
