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

# ---- the command table: help and berth(1) come from it -------------------
src=${BERTH_SRCDIR:-$(dirname "$0")/../..}
out=$("$BERTH" create --help)
rc=$?
is "create --help exits 0" "$rc" 0
like "create --help lists -p" "$out" '-p, --profile NAME'
like "create --help lists -h" "$out" '-h, --help'
is "berth help ps is berth ps --help" "$("$BERTH" help ps)" \
	"$("$BERTH" ps --help)"
is "berth help is berth --help" "$("$BERTH" help)" "$("$BERTH" --help)"
"$BERTH" help no-such-command >/dev/null 2>&1
is "help of an unknown command exits 2" "$?" 2
"$BERTH" quit >/dev/null 2>&1
is "a ':' line command is not a CLI command" "$?" 2

# Every option of every command, in its --help (the synopsis lines name
# them all: they are generated from the same table).
"$BERTH" help --man >"$T_HOME/synopsis.roff"
missing=$(awk '
	/^\.B berth / { cmd = substr($0, 10); gsub(/\\-/, "-", cmd); next }
	/^\[/ {
		line = $0
		while (match(line, /\\fB\\-\\-[^\\]*\\fR/)) {
			opt = substr(line, RSTART + 7, RLENGTH - 10)
			gsub(/\\-/, "-", opt)
			print cmd "|--" opt
			line = substr(line, RSTART + RLENGTH)
		}
	}' "$T_HOME/synopsis.roff" | while IFS='|' read -r cmd opt; do
	case $cmd in
	*" "*) "$BERTH" help "${cmd%% *}" ;;
	*) "$BERTH" "$cmd" --help ;;
	esac | grep -q -- "$opt" || echo "$cmd $opt"
done)
is "every command's --help lists its options" "$missing" ""

# No usage line ends in a space (a command without usage words printed
# "usage: berth create ").
trail=
for c in $("$BERTH" help | sed -n '/^Commands:/,/^$/s/^  \([a-z-]*\) .*/\1/p'); do
	"$BERTH" help "$c" 2>&1 | grep -q '^usage:.* $' && trail="$trail $c"
done
is "no command's usage line ends in a space" "$trail" ""

# A subcommand's --help (or -h) prints its usage and options, exit 0.
for sc in "profile new" "profile rm" "import colima" "theme show"; do
	out=$("$BERTH" $sc --help 2>&1)
	is "berth $sc --help exits 0" "$?" 0
	like "berth $sc --help: its usage and options" "$(echo "$out" | tr "\n" " ")" \
		"^usage: berth $sc.*Options:.*-h, --help"
done
like "berth profile new -h lists --from" "$("$BERTH" profile new -h 2>&1)" "--from PROFILE"
for sc in "image pull" "socket start" "container stop"; do
	out=$("$BERTH" $sc --help 2>&1)
	is "berth $sc --help exits 0" "$?" 0
	like "berth $sc --help: the command's usage and options" \
		"$(echo "$out" | tr "\n" " ")" "^usage: berth ${sc% *} .*Options:.*-h, --help"
done

# berth(1)'s synopsis holds `berth help --man` between its COMMANDS markers.
sed -n '/^\.\\" COMMANDS BEGIN/,/^\.\\" COMMANDS END/p' "$src/man/berth.1" |
	sed '1d;$d' >"$T_HOME/man.roff"
if cmp -s "$T_HOME/synopsis.roff" "$T_HOME/man.roff"; then
	ok "man/berth.1 synopsis matches berth help --man"
else
	not_ok "man/berth.1 synopsis matches berth help --man"
	diff "$T_HOME/man.roff" "$T_HOME/synopsis.roff" | head -20 | sed 's/^/# /'
	echo "# regenerate:"
	echo "#   { sed '/COMMANDS BEGIN/q' man/berth.1; BUILD/berth help --man;"
	echo "#     sed -n '/COMMANDS END/,\$p' man/berth.1; } >m.tmp &&"
	echo "#   mv m.tmp man/berth.1"
fi

# Each command has its paragraph under COMMANDS, and each option of the
# table (its long name or its letter) is described there or under OPTIONS.
sed -n '/^\.SH OPTIONS/,/^\.SH JSON/p' "$src/man/berth.1" >"$T_HOME/body.roff"
sed 's/\\-/-/g' "$T_HOME/body.roff" >"$T_HOME/body.txt"
missing=""
for cmd in $(sed -n 's/^\.B berth \([^ ]*\).*/\1/p' "$T_HOME/synopsis.roff" |
	sed 's/\\-/-/g' | uniq); do
	grep -q "^\.B .*\b$cmd\b" "$T_HOME/body.txt" ||
		missing="$missing $cmd"
done
is "every command has a paragraph in berth(1)" "$missing" ""
missing=$(grep '^\[' "$T_HOME/synopsis.roff" | grep -o '\[[^]]*\]' |
	grep '\\fB\\-' | while read -r group; do
	found=0
	for form in $(printf '%s\n' "$group" |
		grep -o '\\fB\\-[^\\]*\(\\-[^\\]*\)*\\fR' | sed 's/\\fR$//;s/^\\fB//'); do
		grep -qF -- "$form" "$T_HOME/body.roff" && found=1
	done
	[ "$found" = 1 ] || printf '%s\n' "$group"
done)
is "every option is described in berth(1)" "$missing" ""
missing=""
for opt in $("$BERTH" --help | sed -n 's/^  \(-., \)\{0,1\} *\(--[a-z-]*\).*/\2/p'); do
	grep -qF -- "$opt" "$T_HOME/body.txt" || missing="$missing $opt"
done
is "berth(1) describes berth's own options" "$missing" ""
done_testing
