#!/bin/sh
# berth theme list|validate|roles|show against the real binary: exit codes,
# exact file:line:col messages, user themes shadowing shipped ones, and the
# role list of berth-theme(5) matching the binary's table.
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
t_home

FX="$BERTH_SRCDIR/tests/integration/themes"
UT="$T_HOME/config/themes"
mkdir -p "$UT"
OUT="$T_HOME/out"
ERR="$T_HOME/err"

# run CMD...: run berth, stdout in $OUT, stderr in $ERR, exit code in $rc.
run() {
	"$BERTH" "$@" >"$OUT" 2>"$ERR"
	rc=$?
}

# Every shipped theme is valid: silent, exit 0.
for f in "$BERTH_SRCDIR"/themes/*.yaml; do
	run theme validate "$f"
	is "validate $(basename "$f") exits 0" "$rc" 0
	is "validate $(basename "$f") prints nothing" "$(cat "$OUT" "$ERR")" ""
done

# A broken theme: every problem, in order, with its position; exit 2.
run theme validate "$FX/valid.yaml" "$FX/broken.yaml"
is "validate broken.yaml exits 2" "$rc" 2
is "validate prints nothing on stdout" "$(cat "$OUT")" ""
B="$FX/broken.yaml"
want="$B:4:1: unknown role 'heder' (did you mean 'header'?)
$B:5:17: unknown key 'fgg' in role 'border_active' (did you mean 'fg'?)
$B:6:20: fg: unknown colour 'gren' (did you mean 'green'?)
$B:8:7: bg: colour index 300 out of range 0..255
$B:9:12: reverse must be true or false, not 'sure'
$B:10:17: fg: invalid colour '#12gg45' (expected #rrggbb)
$B:12:6: fg has no value (write #rrggbb colours in quotes: \"#rrggbb\")
$B:13:1: duplicate key 'status_ok' (first on line 10)
$B:14:8: role 'match' must be a mapping (fg, bg, bold, ...) or a string like \"bold red on default\", not a list
$B:15:19: role 'key_hint': style 'bold on' needs a colour after 'on'"
is "validate lists each problem as file:line:col" "$(cat "$ERR")" "$want"

run theme validate "$FX/valid.yaml"
is "validate valid.yaml exits 0" "$rc" 0
is "validate valid.yaml is silent" "$(cat "$OUT" "$ERR")" ""

printf 'header: {fg: red\n' >"$T_HOME/syntax.yaml"
run theme validate "$T_HOME/syntax.yaml"
is "syntax error exits 2" "$rc" 2
like "syntax error has its position" "$(cat "$ERR")" \
	"^$T_HOME/syntax.yaml:2:1: YAML syntax error: "

run theme validate "$T_HOME/missing.yaml"
is "missing file exits 2" "$rc" 2
is "missing file says so" "$(cat "$ERR")" \
	"$T_HOME/missing.yaml: No such file or directory"

run theme validate /dev/zero
is "a device is refused, not read" "$rc" 2
is "a device is named as such" "$(cat "$ERR")" "/dev/zero: not a regular file"
run theme validate "$FX"
is "a directory is refused" "$(cat "$ERR")" "$FX: not a regular file"

# Usage errors.
run theme
is "theme without a command exits 2" "$rc" 2
run theme frob
is "unknown theme command exits 2" "$rc" 2
like "unknown theme command is named" "$(cat "$ERR")" "unknown command 'frob'"
run theme validate
is "validate without files exits 2" "$rc" 2
run theme roles --bogus
is "roles with a bad option exits 2" "$rc" 2
run theme --help
is "theme --help exits 0" "$rc" 0

# list: shipped themes, then a user theme that shadows one and a new one.
run theme list
is "list exits 0" "$rc" 0
for n in default mono high-contrast light nord256; do
	like "list shows shipped $n" "$(cat "$OUT")" \
		"^[ *] $n +shipped +$BERTH_SRCDIR/themes/$n.yaml$"
done
like "list marks the current theme" "$(cat "$OUT")" '^\* default '
printf 'description: mine\ninherits: light\nheader: bold red\n' >"$UT/light.yaml"
printf 'inherits: default\n' >"$UT/zz-mine.yaml"
run --theme zz-mine theme list
is "list with user themes exits 0" "$rc" 0
like "a user theme shadows the shipped one" "$(cat "$OUT")" \
	"^  light +user +$UT/light.yaml$"
like "a new user theme is listed" "$(cat "$OUT")" \
	"^\* zz-mine +user +$UT/zz-mine.yaml$"
is "each theme is listed once" "$(grep -c ' light ' "$OUT")" 1

# show: the resolved theme as a complete file that validates and loads
# back to the same roles (here the user light, built on the shipped one).
run theme show light
is "show exits 0" "$rc" 0
like "show resolves the user theme" "$(cat "$OUT")" \
	'^header: +bold red$'
like "show keeps inherited roles" "$(cat "$OUT")" \
	'^status_warn: +"bold #af8700"$'
cp "$OUT" "$T_HOME/shown.yaml"
run theme validate "$T_HOME/shown.yaml"
is "show output validates" "$rc" 0
run theme show "$T_HOME/shown.yaml"
is "show output loads back to the same theme" \
	"$(sed 1d "$OUT")" "$(sed 1d "$T_HOME/shown.yaml")"
is "show lists every role" "$(grep -c '^[a-z_]*: ' "$OUT")" 23
run theme show no-such-theme
is "show of an unknown theme exits 2" "$rc" 2
like "show names the missing theme" "$(cat "$ERR")" "no theme 'no-such-theme'"

# preview: each role in the SGR sequence the terminal gets at a depth.
esc=$(printf '\033')
rm -f "$UT/light.yaml"
run theme preview light --colors 8
is "preview exits 0" "$rc" 0
is "preview names the depth" "$(head -1 "$OUT")" "# theme light at 8 colours"
like "preview: #ffffff on #005f87 is bold white on cyan in 8 colours" \
	"$(grep '^header ' "$OUT")" "${esc}\\[0;1;37;46mThe quick"
run theme preview nord256 --colors=256
like "preview: nord header in 256 colours" "$(grep '^header ' "$OUT")" \
	"${esc}\\[0;1;38;5;237;48;5;110mThe quick"
run theme preview light --colors 16777216
like "preview: direct colour sends #rrggbb as is" "$(grep '^header ' "$OUT")" \
	"${esc}\\[0;1;38;2;255;255;255;48;2;0;95;135mThe quick"
run --no-color theme preview light --colors 256
like "preview: --no-color uses attributes only" "$(grep '^header ' "$OUT")" \
	"${esc}\\[0;1;7mThe quick"
out=$(env NO_COLOR=1 "$BERTH" theme preview default --colors 256 | head -1)
is "preview: NO_COLOR is monochrome" "$out" "# theme default at monochrome"
out=$(env TERM=xterm-256color "$BERTH" theme preview default | head -1)
is "preview: TERM's colours by default" "$out" "# theme default at 256 colours"
out=$(env TERM=dumb "$BERTH" theme preview default | head -1)
is "preview: a terminal without colours is monochrome" "$out" \
	"# theme default at monochrome"
run theme preview
is "preview lists every role" "$(grep -c 'The quick' "$OUT")" 22
run theme preview --colors lots
is "preview with a bad --colors exits 2" "$rc" 2

# A loop through user themes is reported, not followed.
printf 'inherits: loop-b\n' >"$UT/loop-a.yaml"
printf 'inherits: loop-a\n' >"$UT/loop-b.yaml"
run theme validate "$UT/loop-a.yaml"
is "inherits loop exits 2" "$rc" 2
like "inherits loop is explained" "$(cat "$ERR")" \
	"^$UT/loop-a.yaml:1:11: inherits: theme 'loop-b' is invalid: .*inherits from itself \(loop-a -> loop-b -> loop-a\)"

# roles: one line per role; berth-theme(5) holds the same list.
run theme roles
is "roles exits 0" "$rc" 0
is "roles lists 22 roles" "$(sed 1d "$OUT" | wc -l | tr -d ' ')" 22
run theme roles --man
sed -n '/^\.\\" ROLES BEGIN/,/^\.\\" ROLES END/p' \
	"$BERTH_SRCDIR/man/berth-theme.5" | sed '1d;$d' >"$T_HOME/man-roles"
if cmp -s "$OUT" "$T_HOME/man-roles"; then
	ok "berth-theme(5) role list matches berth theme roles --man"
else
	not_ok "berth-theme(5) role list matches berth theme roles --man"
	diff "$T_HOME/man-roles" "$OUT" | sed 's/^/# /' | head -20
fi

done_testing
