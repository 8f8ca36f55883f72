#!/bin/sh
# scan.sh: `berth scan` and `berth watch` from the command line, no VM:
# counts of a real folder, --watch reporting changes as they happen,
# ignore globs, clear errors and exit codes for bad input, and the
# profile edit `berth watch MOUNT on|off` makes (comments kept).
. "$(dirname "$0")/../lib.sh"

t_home
W=$(mktemp -d "${TMPDIR:-/tmp}/berth-scan.XXXXXX")
BG=
T_CLEANUP='[ -n "$BG" ] && kill $BG 2>/dev/null; rm -rf "$W"'
trap 'exit 1' INT TERM HUP
mkdir -p "$W/t/a/b" "$W/t/.git/objects" "$W/t/node_modules/.cache"
echo 1 >"$W/t/a/one.js"
echo 2 >"$W/t/a/b/two.js"
echo g >"$W/t/.git/HEAD"
echo c >"$W/t/node_modules/.cache/x"
ln -s /etc "$W/t/link-out"

out=$("$BERTH" scan "$W/t")
is "berth scan exits 0" $? 0
like "counts files, dirs and links (default ignores)" "$out" \
	': 2 files, 3 dirs, 1 links, 0 other in [0-9.]+ s'
out=$("$BERTH" scan --no-default-ignore "$W/t")
like "without default ignores .git and .cache count" "$out" \
	': 4 files, 6 dirs, 1 links'
out=$("$BERTH" scan --ignore '*.js' --ignore b "$W/t")
like "--ignore globs" "$out" ': 0 files, 2 dirs'
out=$("$BERTH" scan --max-files 2 --no-default-ignore "$W/t" 2>&1)
like "file limit warns" "$out" 'warning: stopped at the file limit'

out=$("$BERTH" scan "$W/nope" 2>&1)
is "missing folder exits 1" $? 1
like "missing folder: one clear line" "$out" "^berth: $W/nope: No such file"
"$BERTH" scan >/dev/null 2>&1
is "no PATH is a usage error" $? 2
"$BERTH" scan -i 0ms "$W/t" >/dev/null 2>&1
is "bad interval is a usage error" $? 2
out=$("$BERTH" scan -w --budget 101 "$W/t" 2>&1)
is "a budget over 100 % is a usage error" $? 2
like "--budget: what is wrong" "$out" 'bad --budget: 101 \(0-100\)'

# -v: each pass with the cold period in force and the CPU share.
# (until the summary and one pass are out: 3 s were short for ASan on a
# loaded machine)
"$BERTH" scan -w -v -i 100ms -c 300ms "$W/t" 2>"$W/v.err" >/dev/null &
BG=$!
wait_until 20 sh -c "[ \$(grep -c . '$W/v.err') -ge 2 ]"
kill $BG
wait $BG 2>/dev/null
BG=
like "-v passes name the cold period asked for" "$(sed -n 2p "$W/v.err")" \
	'^pass: [0-9]+ dirs visited, [0-9]+ listed, [0-9]+ stats, [0-9.]+ ms, cold 300 ms, cpu [0-9]+%$'

# --watch: changes pass by pass, with timestamps.
"$BERTH" scan -w -i 100ms "$W/t" >"$W/watch.out" 2>"$W/watch.err" &
BG=$!
# the changes come after the first pass (its summary on stderr), or
# they are part of what it found
wait_until 20 test -s "$W/watch.err"
echo new >"$W/t/a/new.js"
echo more >>"$W/t/a/one.js"
rm "$W/t/a/b/two.js"
i=0
until [ "$(grep -c . "$W/watch.out")" -ge 3 ] || [ $i -ge 150 ]; do
	sleep 0.1
	i=$((i + 1))
done
kill $BG
wait $BG 2>/dev/null
BG=
w=$(cat "$W/watch.out")
like "--watch reports a creation" "$w" '^[0-9]+\.[0-9]{3} created file a/new\.js$'
like "--watch reports a modification" "$w" ' modified file a/one\.js$'
like "--watch reports a deletion" "$w" ' deleted file a/b/two\.js$'

# berth watch: status, errors, the profile edit.
cat >"$BERTH_HOME/config/profiles/w.yaml" <<EOF
# keep this comment
vm:
  uri: test:///default
mounts:
  - host: $W/t   # the project
    guest: /work
EOF
out=$("$BERTH" -p w watch status)
like "watch status lists the mount" "$out" "^1 +off +9p +rw +$W/t -> /work"
like "watch status shows the polling hint" "$out" 'CHOKIDAR_USEPOLLING=true'
like "hint names WATCHFILES_FORCE_POLLING" "$out" 'WATCHFILES_FORCE_POLLING=1'
"$BERTH" -p w watch 7 on >/dev/null 2>"$W/err"
is "unknown mount is a usage error" $? 2
like "unknown mount: says how to list them" "$(cat "$W/err")" 'berth watch status'
"$BERTH" -p w watch 1 sideways >/dev/null 2>&1
is "bad mode is a usage error" $? 2
"$BERTH" -p w watch "$W/t" on 2>/dev/null
is "watch by host path: on" $? 0
p=$(cat "$BERTH_HOME/config/profiles/w.yaml")
like "on is saved as poll" "$p" 'watch: poll'
like "comments are kept" "$p" '# keep this comment'
like "inline comments are kept" "$p" '# the project'
"$BERTH" -p w watch /work native 2>/dev/null
like "watch by guest path: native" \
	"$(cat "$BERTH_HOME/config/profiles/w.yaml")" 'watch: native'
like "status shows the new mode" "$("$BERTH" -p w watch status)" \
	"^1 +native "
done_testing
