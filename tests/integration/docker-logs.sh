#!/bin/sh
# berth logs --since/--until and --project (a compose project's logs
# merged by time, each line prefixed with its container's name) against
# the real dockerd.
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$BERTH_SRCDIR/tests/integration/docker-lib.sh"
t_home
dk_require
unset DOCKER_HOST DOCKER_CONTEXT

proj="berthlogs$$"
# Two containers of one project whose lines interleave in time (a-1, b-1,
# a-2, b-2, a-3), 2 s apart; stderr for b, to see the streams kept apart.
# Both wait for the same moment (the host's clock is theirs) so a slow
# docker run cannot shift one against the other.
at=$(($(date +%s) + 10))
wait_at="while [ \$(date +%s) -lt $at ]; do sleep 0.1; done"
dk_run a -l "com.docker.compose.project=$proj" "$DK_IMAGE" sh -c \
	"$wait_at; echo a-1; sleep 4; echo a-2; sleep 4; echo a-3; sleep 300" >/dev/null
dk_run b -l "com.docker.compose.project=$proj" "$DK_IMAGE" sh -c \
	"$wait_at; sleep 2; echo b-1 >&2; sleep 4; echo \"b-2 \$(printf '\033[31m')red\"; sleep 300" >/dev/null
dk_run other "$DK_IMAGE" sh -c 'echo not-in-it; sleep 300' >/dev/null
wait_until 20 sh -c "$DOCKER logs $(dk_name a) 2>&1 | grep -q a-3"
a=$(dk_name a)
b=$(dk_name b)

# --- --project ---------------------------------------------------------------
out=$("$BERTH" logs --project "$proj" 2>&1)
is "logs --project exits 0" "$?" 0
want=$(printf '%s | a-1\n%s | b-1\n%s | a-2\n%s | b-2 ^[[31mred\n%s | a-3' \
	"$a" "$b" "$a" "$b" "$a")
is "logs --project: every container, merged by time, names before" "$out" "$want"
case $out in *not-in-it*) not_ok "logs --project: only the project's containers" ;;
*) ok "logs --project: only the project's containers" ;; esac
if has_esc "$out"; then not_ok "logs --project: escape sequences neutralised"; else ok "logs --project: escape sequences neutralised"; fi
err=$("$BERTH" logs -P "$proj" 2>&1 >/dev/null)
is "logs --project: stderr lines stay on stderr" "$err" "$b | b-1"
out=$("$BERTH" logs -P "$proj" -t 2>/dev/null | head -1)
like "logs --project -t: the time after the name" "$out" \
	"^$a \\| [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z a-1\$"
out=$("$BERTH" logs -P "$proj" --tail 1 2>&1)
is "logs --project --tail 1: the last line of each" "$out" \
	"$(printf '%s | b-2 ^[[31mred\n%s | a-3' "$b" "$a")"
# -f: the backlogs of both, merged before what comes next
out=$(timeout 5 "$BERTH" logs -f --project "$proj" 2>&1)
is "logs -f --project: the backlogs merged by time too" "$out" "$want"
err=$("$BERTH" logs --project "nosuch$$" 2>&1)
is "logs --project of an unknown project exits 1" "$?" 1
is "logs --project of an unknown project says so" "$err" \
	"berth: no containers of compose project nosuch$$ (berth ps lists them)"
err=$("$BERTH" logs --project "$proj" "$a" 2>&1)
is "logs --project with a container is a usage error" "$?" 2
like "logs --project with a container: why" "$err" "give --project or a container, not both"

# --project -f: lines that come later arrive, merged, then it ends with
# the containers.
at=$(($(date +%s) + 8))
wait_at="while [ \$(date +%s) -lt $at ]; do sleep 0.1; done"
dk_run fa -l "com.docker.compose.project=${proj}f" "$DK_IMAGE" sh -c \
	"$wait_at; echo fa-1; sleep 4; echo fa-2" >/dev/null
dk_run fb -l "com.docker.compose.project=${proj}f" "$DK_IMAGE" sh -c \
	"$wait_at; sleep 2; echo fb-1; sleep 4; echo fb-2" >/dev/null
out=$(timeout 30 "$BERTH" logs -f --project "${proj}f" 2>&1)
is "logs -f --project ends when its containers stop" "$?" 0
is "logs -f --project: lines in time order" \
	"$(printf '%s\n' "$out" | sed 's/.* | //')" \
	"$(printf 'fa-1\nfb-1\nfa-2\nfb-2')"

# --- --since / --until ------------------------------------------------------
t1=$(dk logs -t "$a" 2>&1 | sed -n 's/^\([^ ]*\) a-2$/\1/p')
t2=$(dk logs -t "$a" 2>&1 | sed -n 's/^\([^ ]*\) a-3$/\1/p')
out=$("$BERTH" logs --since "$t1" "$a" 2>&1)
is "logs --since an RFC 3339 time" "$out" "$(printf 'a-2\na-3')"
# the daemon's until, like its since, takes the line at that very time
out=$("$BERTH" logs "$a" --until "$t1" 2>&1)
is "logs --until an RFC 3339 time" "$out" "$(printf 'a-1\na-2')"
is "logs --until: what docker logs --until prints" "$out" \
	"$(dk logs --until "$t1" "$a" 2>&1)"
out=$("$BERTH" logs "$a" --since "$t1" --until "$t1" 2>&1)
is "logs --since and --until together" "$out" "a-2"
out=$("$BERTH" logs "$a" --since "$t2" 2>&1)
is "logs --since: what docker logs --since prints" "$out" \
	"$(dk logs --since "$t2" "$a" 2>&1)"
out=$("$BERTH" logs "$a" --since 10m 2>&1)
is "logs --since 10m: all of a young container" "$out" "$(printf 'a-1\na-2\na-3')"
out=$("$BERTH" logs "$a" --until 1h 2>&1)
is "logs --until 1h: nothing is that old" "$out" ""
out=$("$BERTH" logs "$a" --since 2099-01-01 2>&1)
is "logs --since a date to come: nothing" "$out" ""
out=$("$BERTH" logs -P "$proj" --since "$t1" 2>&1)
is "logs --project --since" "$out" "$(printf '%s | a-2\n%s | b-2 ^[[31mred\n%s | a-3' "$a" "$b" "$a")"
for bad in soon 10x 2024-05-01T10:00:00 ""; do
	err=$("$BERTH" logs "$a" --since "$bad" 2>&1)
	is "logs --since '$bad' is a usage error" "$?" 2
	like "logs --since '$bad' says why" "$err" "^berth: --since: (bad time '$bad'|an empty time)"
done
err=$("$BERTH" logs "$a" --until nope 2>&1)
is "logs --until nope is a usage error" "$?" 2
like "logs --until nope says why" "$err" "^berth: --until: bad time 'nope'"

# The options are in --help and in berth(1), from the one table.
help=$("$BERTH" logs --help)
for o in --since --until --project --timestamps; do
	like "logs --help lists $o" "$help" "$o"
done
like "berth(1) lists --project" \
	"$("$BERTH" help --man | grep -A1 '^\.B berth logs$' | tail -1)" '\\-\\-project'

done_testing
