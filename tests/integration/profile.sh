#!/bin/sh
# berth profile: list, show, validate, keys (and the generated key list of
# berth-profile(5)), path and set, driving the real binary.
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
t_home
unset BERTH_PROFILE
src=$BERTH_SRCDIR
users=$T_HOME/config/profiles

# ---- validate --------------------------------------------------------------
out=$("$BERTH" profile validate "$src"/profiles/*.yaml 2>&1)
rc=$?
is "shipped profiles validate (exit 0)" "$rc" 0
is "a valid profile prints nothing" "$out" ""

bad=$T_HOME/bad.yaml
cat >"$bad" <<'EOF'
vm:
  cpu: 4
  cpus: 0
  memory: lots
  accel: tcg
  cpus: 3
mounts:
  - host: /a
    guest: /x
  - host: /b
    guest: /x
  - guest: /y
refresh: 5
EOF
out=$("$BERTH" profile validate "$bad" 2>&1)
rc=$?
is "broken profile exits 2" "$rc" 2
want="$bad:2:3: unknown key 'vm.cpu' (did you mean 'vm.cpus'?)
$bad:3:9: vm.cpus: 0 is out of range (1..256)
$bad:4:11: vm.memory: 'lots' is not a size (use a number and a unit such as 512MiB, 8GiB or 1.5G)
$bad:5:10: vm.accel: 'tcg' is not one of auto, kvm, hvf, qemu
$bad:6:3: duplicate key 'vm.cpus' (first at line 3)
$bad:12:5: mounts[2]: missing required key 'host'
$bad:11:12: duplicate mount target '/x' (the mount at line 8 uses it too)
$bad:13:10: refresh: '5' needs a unit (ms, s, m or h), for example 5s"
is "every problem as file:line:col: message" "$out" "$want"
out=$("$BERTH" profile validate "$bad" 2>/dev/null)
is "problems go to stderr" "$out" ""

printf 'vm:\n  cpus: 2\n bad: [\n' >"$T_HOME/syntax.yaml"
out=$("$BERTH" profile validate "$T_HOME/syntax.yaml" 2>&1)
is "syntax error exits 2" "$?" 2
like "syntax error has its position" "$out" \
	"^$T_HOME/syntax.yaml:3:2: YAML syntax error: did not find expected key"

out=$("$BERTH" profile validate "$src/profiles/demo.yaml" "$bad" 2>&1)
is "one bad file among good ones exits 2" "$?" 2
is "only the bad file is reported" "$(printf '%s\n' "$out" | grep -vc "^$bad:")" 0

# theme: must name a theme berth can find (issue 13).
printf 'vm:\n  cpus: 2\ntheme: no-such-theme\n' >"$T_HOME/theme.yaml"
out=$("$BERTH" profile validate "$T_HOME/theme.yaml" 2>&1)
is "an unknown theme exits 2" "$?" 2
is "an unknown theme as file:line:col" "$out" \
	"$T_HOME/theme.yaml:3:8: theme: no theme 'no-such-theme' (berth theme list shows them)"
cp "$T_HOME/theme.yaml" "$users/badtheme.yaml"
out=$("$BERTH" profile show badtheme 2>&1)
is "loading it for use fails too (exit 2)" "$?" 2
is "with the same message" "$out" \
	"$users/badtheme.yaml:3:8: theme: no theme 'no-such-theme' (berth theme list shows them)"
rm "$users/badtheme.yaml"
mkdir -p "$T_HOME/config/themes"
cp "$src/themes/mono.yaml" "$T_HOME/config/themes/mine.yaml"
printf 'theme: mine\n' >"$T_HOME/theme.yaml"
"$BERTH" profile validate "$T_HOME/theme.yaml"
is "a user theme validates" "$?" 0
printf 'theme: %s\n' "$src/themes/light.yaml" >"$T_HOME/theme.yaml"
"$BERTH" profile validate "$T_HOME/theme.yaml"
is "a theme file's path validates" "$?" 0
out=$("$BERTH" profile validate "$src/profiles/demo.yaml" 2>&1)
is "a shipped theme validates" "$out" ""

out=$("$BERTH" profile validate "$T_HOME/missing.yaml" 2>&1)
is "missing file exits 2" "$?" 2
is "missing file message" "$out" "$T_HOME/missing.yaml: No such file or directory"

"$BERTH" profile validate >/dev/null 2>&1
is "validate without files is a usage error" "$?" 2

out=$("$BERTH" profile validate /dev/zero 2>&1)
is "a device is refused, not read" "$?" 2
is "a device is named as such" "$out" "/dev/zero: not a regular file"
out=$("$BERTH" profile validate "$T_HOME" 2>&1)
is "a directory is refused" "$out" "$T_HOME: not a regular file"
head -c 1100000 /dev/zero | tr '\0' '#' >"$T_HOME/huge.yaml"
out=$("$BERTH" profile validate "$T_HOME/huge.yaml" 2>&1)
is "a huge file is refused" "$out" \
	"$T_HOME/huge.yaml: 1100000 bytes is too large for a profile (at most 1048576)"

# ---- list / path -----------------------------------------------------------
out=$("$BERTH" profile list)
is "list exits 0" "$?" 0
like "list shows the shipped default, current" "$out" \
	"^\* default +shipped +$src/profiles/default.yaml$"
like "list shows demo" "$out" "^  demo +shipped +$src/profiles/demo.yaml$"
like "list shows example" "$out" "^  example +shipped "

printf 'vm:\n  cpus: 3\n' >"$users/default.yaml"
printf 'theme: mono\n' >"$users/mine.yaml"
out=$("$BERTH" profile list)
like "a user profile replaces the shipped one" "$out" \
	"^\* default +user +$users/default.yaml$"
like "a user-only profile is listed" "$out" "^  mine +user +$users/mine.yaml$"
out=$(BERTH_PROFILE=mine "$BERTH" profile list)
like "BERTH_PROFILE marks the current profile" "$out" "^\* mine "

is "path of a user profile" "$("$BERTH" profile path default)" \
	"$users/default.yaml"
is "path of a shipped profile" "$("$BERTH" profile path demo)" \
	"$src/profiles/demo.yaml"
is "path follows -p" "$("$BERTH" -p demo profile path)" \
	"$src/profiles/demo.yaml"
is "path follows BERTH_PROFILE" "$(BERTH_PROFILE=mine "$BERTH" profile path)" \
	"$users/mine.yaml"
out=$("$BERTH" profile path nope 2>&1)
is "path of an unknown profile exits 2" "$?" 2
like "unknown profile message" "$out" "no profile 'nope'"

# ---- show ------------------------------------------------------------------
out=$("$BERTH" profile show demo)
is "show exits 0" "$?" 0
like "show: a set value" "$out" '^vm.uri: test:///default$'
like "show: a default is marked" "$out" '^vm.cpus: 2  # default$'
like "show: derived default" "$out" '^docker.context: berth-demo  # default$'
like "show: unset value" "$out" '^vm.image: ~  # default$'
out=$("$BERTH" profile show)
like "show without a name shows the current profile" "$out" '^vm.cpus: 3$'
cat >"$users/mounts.yaml" <<'EOF'
mounts:
  - host: ~/src
    watch: poll
    interval: 1500ms
EOF
out=$(HOME=/home/t "$BERTH" profile show mounts)
like "show: mount host expanded" "$out" '^mounts\[0\].host: /home/t/src$'
like "show: mount guest defaults to host" "$out" \
	'^mounts\[0\].guest: /home/t/src  # default$'
like "show: mount watch" "$out" '^mounts\[0\].watch: poll$'
like "show: exact duration" "$out" '^mounts\[0\].interval: 1500ms$'
cp "$bad" "$users/broken.yaml"
out=$("$BERTH" profile show broken 2>&1)
is "show of an invalid profile exits 2" "$?" 2
like "show of an invalid profile lists its problems" "$out" \
	"^$users/broken.yaml:3:9: vm.cpus: 0 is out of range"

# ---- keys ------------------------------------------------------------------
out=$("$BERTH" profile keys)
is "keys exits 0" "$?" 0
like "keys: header" "$out" '^KEY +TYPE +DEFAULT$'
like "keys: vm.cpus" "$out" '^vm.cpus +integer 1\.\.256 +2$'
like "keys: help under the key" "$(printf '%s\n' "$out" | grep -A1 '^vm.cpus ')" \
	'^ +virtual CPUs at boot$'
like "keys: enum choices" "$out" '^mounts\[\].watch +enum off\|poll\|native +off$'
like "keys: required" "$out" '^mounts\[\].host +path +required$'
# An 80-column terminal: no line longer, and the columns line up.
is "keys: no line longer than 80 columns" \
	"$(printf '%s\n' "$out" | awk 'length > 80' | head -3)" ""
hdr=$(printf '%s\n' "$out" | head -1)
tcol=$(printf '%s\n' "$hdr" | awk '{print index($0, "TYPE")}')
dcol=$(printf '%s\n' "$hdr" | awk '{print index($0, "DEFAULT")}')
bad=$(printf '%s\n' "$out" | tail -n +2 | awk -v t="$tcol" -v d="$dcol" '
	/^[^ ]/ { if (substr($0, t - 2, 2) != "  " || substr($0, t, 1) == " " ||
	              substr($0, d - 2, 2) != "  " || substr($0, d, 1) == " ")
	              print }
	/^ / { if (substr($0, 1, t - 1) ~ /[^ ]/ || substr($0, t, 1) == " ")
	           print }' | head -3)
is "keys: type, default and help start in their columns" "$bad" ""
nkeys=$(printf '%s\n' "$out" | tail -n +2 | grep -c '^[^ ]')

# The example profile shows every key.
missing=
for k in $(printf '%s\n' "$out" | tail -n +2 | awk '/^[^ ]/ {print $1}'); do
	leaf=${k##*.}
	grep -Eq "^[ -]*$leaf:" "$src/profiles/example.yaml" || missing="$missing $k"
done
is "profiles/example.yaml has every key" "$missing" ""

# The man page's key list is generated from the same table.
"$BERTH" profile keys --man >"$T_HOME/keys.roff"
sed -n '/^\.\\" BEGIN GENERATED KEYS/,/^\.\\" END GENERATED KEYS/p' \
	"$src/man/berth-profile.5" | sed '1d;$d' >"$T_HOME/man.roff"
if cmp -s "$T_HOME/keys.roff" "$T_HOME/man.roff"; then
	ok "man/berth-profile.5 key list matches berth profile keys --man"
else
	not_ok "man/berth-profile.5 key list matches berth profile keys --man"
	diff "$T_HOME/man.roff" "$T_HOME/keys.roff" | head -20 | sed 's/^/# /'
	echo "# regenerate it (from the top of the tree, with a built berth):"
	echo "#   { sed '/BEGIN GENERATED KEYS/q' man/berth-profile.5;"
	echo "#     BUILD/berth profile keys --man;"
	echo "#     sed -n '/END GENERATED KEYS/,\$p' man/berth-profile.5; } >m.tmp &&"
	echo "#   mv m.tmp man/berth-profile.5"
fi
is "man key list has one entry per key" "$(grep -c '^\.TP' "$T_HOME/keys.roff")" \
	"$nkeys"

# ---- set -------------------------------------------------------------------
cp "$src/profiles/demo.yaml" "$T_HOME/demo.orig"
"$BERTH" profile set demo vm.cpus 4
is "set on a shipped profile exits 0" "$?" 0
check "the shipped file is untouched" cmp -s "$src/profiles/demo.yaml" \
	"$T_HOME/demo.orig"
check "a user copy was written" test -f "$users/demo.yaml"
is "path now names the user copy" "$("$BERTH" profile path demo)" \
	"$users/demo.yaml"
like "show sees the new value" "$("$BERTH" profile show demo)" '^vm.cpus: 4$'
# Only the inserted line differs from the shipped file.
d=$(diff "$T_HOME/demo.orig" "$users/demo.yaml" | grep '^[<>]')
is "the copy differs by the new key only" "$d" ">   cpus: 4"

cp "$users/demo.yaml" "$T_HOME/demo.before"
out=$("$BERTH" profile set demo vm.cpus 0 2>&1)
is "an invalid value exits 2" "$?" 2
like "an invalid value is explained" "$out" \
	"vm.cpus=0 refused: vm.cpus: 0 is out of range \(1\.\.256\)"
check "a refused edit leaves the file" cmp -s "$users/demo.yaml" \
	"$T_HOME/demo.before"
check "a refused edit writes no .bak" test ! -e "$users/demo.yaml.bak"

out=$("$BERTH" profile set demo vm.cpu 2 2>&1)
is "an unknown key exits 2" "$?" 2
like "an unknown key gets a suggestion" "$out" "did you mean 'vm.cpus'"

out=$("$BERTH" profile set demo theme no-such-theme 2>&1)
is "set to an unknown theme exits 2" "$?" 2
is "and says why" "$out" \
	"berth: theme=no-such-theme refused: theme: no theme 'no-such-theme' (berth theme list shows them)"
check "a refused theme leaves the file" cmp -s "$users/demo.yaml" \
	"$T_HOME/demo.before"

"$BERTH" profile set demo docker.forward ssh
is "second set exits 0" "$?" 0
check "the previous version is kept as .bak" cmp -s "$users/demo.yaml.bak" \
	"$T_HOME/demo.before"
d=$(diff "$T_HOME/demo.before" "$users/demo.yaml" | grep '^[<>]')
is "only the edited scalar changed" "$d" "<   forward: none
>   forward: ssh"
d=$(diff "$T_HOME/demo.before" "$users/demo.yaml" | grep -c '^[<>]')
is "one line out, one line in" "$d" 2

"$BERTH" profile set "$users/mounts.yaml" 'mounts[0].watch' native
is "set on a file path" "$("$BERTH" profile show "$users/mounts.yaml" |
	grep '^mounts\[0\].watch')" "mounts[0].watch: native"

out=$("$BERTH" profile set /dev/zero vm.cpus 2 2>&1)
is "set on a device exits 1" "$?" 1
is "set on a device says why" "$out" \
	"berth: /dev/zero: not a regular file of at most 1MiB"
"$BERTH" profile set nope vm.cpus 2 >/dev/null 2>&1
is "set on an unknown profile exits 2" "$?" 2
"$BERTH" profile set demo vm.cpus >/dev/null 2>&1
is "set without a value is a usage error" "$?" 2

# ---- usage -----------------------------------------------------------------
"$BERTH" profile >/dev/null 2>&1
is "profile without a command exits 2" "$?" 2
"$BERTH" profile frobnicate >/dev/null 2>&1
is "unknown profile command exits 2" "$?" 2
"$BERTH" profile keys --nope >/dev/null 2>&1
is "unknown keys option exits 2" "$?" 2
"$BERTH" profile --help >/dev/null 2>&1
is "profile --help exits 0" "$?" 0

done_testing
