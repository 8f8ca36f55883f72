#!/bin/sh
# configure's options (issue 14, item 8): every --enable-* is yes or no,
# anything else stops configure before its compiler tests with the
# option named; and the build under test defines NDEBUG or BERTH_DEBUG
# as its options say (--enable-debug turns assertions on).
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
t_home

# A bad value fails early: about a second each, no compiler run.
for arg in debug=maybe werror=bogus asan=1; do
	opt=${arg%%=*} bad=${arg#*=}
	out=$(cd "$T_HOME" &&
		"$BERTH_SRCDIR/configure" --enable-$opt=$bad 2>&1 >/dev/null)
	rc=$?
	is "--enable-$opt=$bad: configure fails" "$rc" 1
	like "--enable-$opt=$bad: the error names it" "$out" \
		"error: --enable-$opt=$bad: expected yes or no\$"
	case $(cat "$T_HOME/config.log" 2>/dev/null) in
	*"checking for gcc"* | *"checking whether the C compiler"*)
		not_ok "--enable-$opt=$bad: fails before the compiler tests" ;;
	*) ok "--enable-$opt=$bad: fails before the compiler tests" ;;
	esac
	rm -f "$T_HOME/config.log"
done

# The build under test: --enable-debug defines BERTH_DEBUG and not
# NDEBUG; without it NDEBUG is defined (assert() off).
b=${BERTH_BUILDDIR:-}
if [ -z "$b" ] || [ ! -f "$b/config.h" ] || [ ! -x "$b/config.status" ]; then
	skip "the build's config.h follows --enable-debug" "no build directory"
else
	defs=$(grep -E '^#define (NDEBUG|BERTH_DEBUG) ' "$b/config.h" |
		cut -d' ' -f2 | sort | tr '\n' ' ')
	want="NDEBUG " # the last --enable/--disable-debug given wins
	for a in $("$b/config.status" --config | tr -d "'"); do
		case $a in
		--enable-debug | --enable-debug=yes) want="BERTH_DEBUG " ;;
		--disable-debug | --enable-debug=no) want="NDEBUG " ;;
		esac
	done
	is "the build's config.h follows --enable-debug" "$defs" "$want"
fi

done_testing
