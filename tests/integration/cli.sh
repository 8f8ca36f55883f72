#!/bin/sh
# CLI skeleton: help, version, exit codes.
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
t_home

out=$("$BERTH" --version)
like "--version prints the version" "$out" '^berth [0-9]+\.[0-9]+\.[0-9]+$'
out=$("$BERTH" --help)
like "--help lists the profile command" "$out" 'profile list'
"$BERTH" no-such-command >/dev/null 2>&1
is "unknown command exits 2" "$?" 2
"$BERTH" --no-such-option >/dev/null 2>&1
is "unknown option exits 2" "$?" 2
done_testing
