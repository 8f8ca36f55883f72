#!/bin/sh
# The key table: the help screen lists every action with its keys (checked
# against the table in tui/keys.c), keys are remapped from config.yaml's
# keys: section, and a bad keys: section is refused with file:line:col.
# The help also shows the Mounts pane's table of events (berth(1), Events).
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$BERTH_SRCDIR/tests/tui/lib-tui.sh"

tui_need_docker
tui_setup
conf="$BERTH_HOME/config/config.yaml"

# name|keys for every entry of keys_table[] (keys joined by '/').
table=$(tr '\n' ' ' <"$BERTH_SRCDIR/tui/keys.c" |
	grep -o '{ACT_[A-Z_0-9]*, *"[a-z0-9-]*", *KEY_SCOPE_[A-Z]*, *"[^"]*"' |
	sed -E 's/.*"([a-z0-9-]+)", *KEY_SCOPE_[A-Z]*, *"([^"]*)"/\1|\2/' |
	sed 's/ /\//g')
n=$(printf '%s\n' "$table" | grep -c .)
check "the key table has entries ($n)" test "$n" -gt 30

tui_start 100 48 -- -p demo
check "dashboard up" tui_wait '4 Containers' 10
tui_keys '?'
check "? opens the help" tui_wait 'Help: keys' 10
# Page down to the help's last line, each page once berth has drawn it
# (its position, " 1/61 " on the bottom border, has moved).
help=$(tui_cap)
page=0
while ! printf '%s\n' "$help" | grep -q 'Remap keys in' && [ "$page" -lt 6 ]; do
	pos=$(tui_cap | grep -oE '─ [0-9]+/[0-9]+ ─' | tail -1)
	tui_keys PageDown
	tui_wait_gone "${pos:-NO POSITION}" 10
	tui_settle
	help="$help
$(tui_cap)"
	page=$((page + 1))
done
missing=
for e in $table; do
	name=${e%%|*}
	keys=${e#*|}
	printf '%s\n' "$help" | grep -Fq -- " $keys" || missing="$missing $name($keys)"
	printf '%s\n' "$help" | grep -Eq -- " $(printf '%s' "$keys" |
		sed 's/[].+*?^$()|[]/\\&/g') +$name " || missing="$missing $name"
done
is "help lists every action with its keys" "${missing:-none}" none
for l in 'Polling mode: what a host change raises in the guest' \
	'create file    ATTRIB, OPEN, CLOSE_WRITE on it; no CREATE' \
	'delete file    ATTRIB on its folder; no DELETE' \
	'mkdir          MOVED_FROM, MOVED_TO|ISDIR' \
	'rmdir          CREATE|ISDIR, DELETE|ISDIR'; do
	check "help shows the Mounts pane's events: ${l%% *}" \
		eval 'printf "%s\n" "$help" | grep -Fq -- "$l"'
done
undocumented=
for e in $table; do
	name=${e%%|*}
	grep -Fq "($(printf '%s' "$name" | sed 's/-/\\-/g'))" \
		"$BERTH_SRCDIR/man/berth.1" || undocumented="$undocumented $name"
done
is "berth(1) documents every action" "${undocumented:-none}" none
tui_keys Escape
check "Esc closes the help" tui_wait_gone 'Help: keys' 10
tui_keys q
tui_is_exit "q quits" 0

# Remap: quit on X (x is ct-exec's), ct-logs on L; q no longer quits.
cat >"$conf" <<'YAML'
# my keys
keys:
  quit: X
  ct-logs: [L, F4]
YAML
tui_start 80 24 -- -p demo
check "remapped: dashboard up" tui_wait '4 Containers' 10
check "the key bar shows the remapped quit key" tui_wait 'X Quit' 10
check "the key bar shows the remapped logs key" tui_wait 'L Logs' 10
tui_keys q
check "q is unbound now" tui_wait 'q: no action here' 10
tui_keys '?'
check "help shows the new keys" tui_wait 'X +quit ' 10
tui_keys Escape
tui_wait_gone 'Help: keys' 10
tui_keys X
tui_is_exit "X quits" 0

# Errors: unknown action (with a suggestion), unknown key, a clash.
cat >"$conf" <<'YAML'
keys:
  quitt: x
  ct-logs: Hyper-L
  zoom: q
YAML
out=$("$BERTH" -p demo 2>&1 </dev/null)
code=$?
is "bad keys: exit status 2" "$code" 2
like "unknown action reported at its line:col" "$out" \
	"config.yaml:2:3: keys: unknown action 'quitt' \\(did you mean 'quit'\\?\\)"
like "unknown key reported at its line:col" "$out" \
	"config.yaml:3:12: ct-logs: unknown key 'Hyper-L'"
printf 'keys:\n  zoom: q\n' >"$conf"
out=$("$BERTH" -p demo 2>&1 </dev/null)
like "a key bound twice in one scope is refused" "$out" \
	"'q' is bound to both zoom and quit"
# One document, like profiles and themes: a second is refused, not merged.
printf 'keys:\n  quit: x\n---\nkeys:\n  help: y\n' >"$conf"
out=$("$BERTH" -p demo 2>&1 </dev/null)
like "a second YAML document is refused" "$out" \
	"config.yaml:3:1: a config file holds one YAML document"
printf 'keys: [a, b\n' >"$conf"
out=$("$BERTH" -p demo 2>&1 </dev/null)
like "YAML syntax error has a position" "$out" 'config.yaml:[0-9]+:[0-9]+: '
# A config.yaml that cannot be read is an error, not silently the defaults.
rm -f "$conf"
mkdir "$conf"
out=$("$BERTH" -p demo 2>&1 </dev/null)
like "an unreadable config.yaml is an error" "$out" 'config.yaml: .*[Ii]s a directory'
if printf '%s\n' "$out" | grep -Eq 'config.yaml: .*config.yaml: '; then
	not_ok "the error names the file once"
	printf '# got: %s\n' "$out"
else
	ok "the error names the file once"
fi
rmdir "$conf"
done_testing
