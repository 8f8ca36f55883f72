#!/bin/sh
# Profiles without a text editor (issue 16, item 3): a bare number for a
# size is GiB, `berth profile new`, `profile rm` and `profile edit`,
# driving the real binary in a private BERTH_HOME. The VMs are libvirt's
# test driver (test:///default), which every run starts afresh.
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
t_home
unset BERTH_PROFILE VISUAL EDITOR
users=$T_HOME/config/profiles

# ---- a bare number is GiB, as in Colima ------------------------------------
cat >"$users/sz.yaml" <<'YAML'
vm:
  uri: test:///default
  domain: test
  memory: 1
  disk: 30
docker:
  forward: none
YAML
out=$("$BERTH" profile show sz)
like "memory: 1 in a profile is 1GiB" "$out" '^vm.memory: 1GiB$'
like "disk: 30 in a profile is 30GiB" "$out" '^vm.disk: 30GiB$'
printf 'vm:\n  memory: 2147483648\n' >"$T_HOME/bytes.yaml"
out=$("$BERTH" profile validate "$T_HOME/bytes.yaml" 2>&1)
is "an old byte count is refused (exit 2)" "$?" 2
like "and the message says a bare number is GiB" "$out" \
	'vm.memory: 2147483648 is out of range \(128MiB..16TiB\); a number without a unit is GiB$'
out=$("$BERTH" profile set sz vm.memory 0.5 2>&1)
is "profile set vm.memory 0.5 exits 0" "$?" 0
like "and reads back as 512MiB" "$("$BERTH" profile show sz)" '^vm.memory: 512MiB$'
out=$("$BERTH" -p sz set --memory 2 2>&1)
is "set --memory 2 applies" "$out" "memory 2: applied"
like "as 2GiB in the profile" "$(cat "$users/sz.yaml")" '^  memory: 2GiB$'
out=$("$BERTH" -p sz set --memory 1.5 2>&1)
is "set --memory 1.5 applies" "$out" "memory 1.5: applied"
like "as 1536MiB in the profile" "$(cat "$users/sz.yaml")" '^  memory: 1536MiB$'
out=$("$BERTH" -p sz set --memory 4B 2>&1)
is "bytes are still there with B, and 4B is refused (exit 1)" "$?" 1

# ---- profile new -------------------------------------------------------------
out=$("$BERTH" profile new dev --cpus 3 --memory 4 --disk 60 --mount /srv/a \
	--mount '~/src' 2>&1)
is "profile new exits 0 and says where" "$?:$out" \
	"0:profile dev: $users/dev.yaml (domain and context berth-dev)"
"$BERTH" profile validate "$users/dev.yaml"
is "the new profile validates" "$?" 0
out=$("$BERTH" profile show dev)
like "it has its own domain" "$out" '^vm.domain: berth-dev'
like "and its own context" "$out" '^docker.context: berth-dev'
like "--cpus 3" "$out" '^vm.cpus: 3$'
like "--memory 4 is 4GiB" "$out" '^vm.memory: 4GiB$'
like "--disk 60 is 60GiB" "$out" '^vm.disk: 60GiB$'
like "the first --mount" "$out" '^mounts\[0\].host: /srv/a$'
like "the second --mount, ~ kept for the loader" "$out" "^mounts\\[1\\].host: $HOME/src\$"
like "the file is commented" "$(cat "$users/dev.yaml")" '^  # guest memory$'
like "sizes are written with their unit" "$(cat "$users/dev.yaml")" '^  memory: 4GiB$'
(cd "$T_HOME" && mkdir -p proj && "$BERTH" profile new rel --mount proj >/dev/null)
like "a relative --mount is made absolute" "$("$BERTH" profile show rel)" \
	"^mounts\\[0\\].host: $T_HOME/proj\$"

# Copies of one profile: each gets names of its own (all were berth-example).
"$BERTH" profile new ex1 --from example >/dev/null
"$BERTH" profile new ex2 --from example --memory 1 >/dev/null
like "a copy of example has domain berth-ex1" "$("$BERTH" profile show ex1)" '^vm.domain: berth-ex1( |$)'
like "another copy has berth-ex2" "$("$BERTH" profile show ex2)" '^vm.domain: berth-ex2( |$)'
like "and context berth-ex2" "$("$BERTH" profile show ex2)" '^docker.context: berth-ex2( |$)'
like "the copy keeps example's comments" "$(cat "$users/ex2.yaml")" \
	'^# example: every profile key, each with a comment'
like "--from with --memory 1" "$("$BERTH" profile show ex2)" '^vm.memory: 1GiB'
"$BERTH" profile new ex3 --from "$users/dev.yaml" --mount /srv/b >/dev/null
out=$("$BERTH" profile show ex3)
like "--from FILE keeps its mounts" "$out" '^mounts\[0\].host: /srv/a$'
like "and --mount adds one" "$out" '^mounts\[2\].host: /srv/b$'
like "--from FILE: its own domain" "$out" '^vm.domain: berth-ex3( |$)'

cp "$users/dev.yaml" "$T_HOME/dev.before"
out=$("$BERTH" profile new dev --cpus 1 2>&1)
is "an existing profile is never overwritten (exit 2)" "$?" 2
like "and the message says so" "$out" "^berth: profile dev exists \\($users/dev.yaml\\)"
check "the existing file is untouched" cmp -s "$users/dev.yaml" "$T_HOME/dev.before"
out=$("$BERTH" profile new default 2>&1)
like "a shipped profile's name is taken too" "$?:$out" '^2:berth: profile default exists'
check "and no user copy was made" test ! -e "$users/default.yaml"
out=$("$BERTH" profile new ../evil 2>&1)
like "a bad name is refused by the profile-name rules" "$?:$out" \
	"^2:berth: '../evil' is not a profile name"
out=$("$BERTH" profile new x.yaml 2>&1)
like "a name ending in .yaml is refused (commands read it as a file)" \
	"$?:$out" "^2:berth: 'x.yaml' ends in .yaml"
out=$("$BERTH" profile new bad --cpus 0 2>&1)
like "a bad value is refused (exit 2)" "$?:$out" '^2:berth: vm.cpus=0 refused: vm.cpus: 0 is out of range'
out=$("$BERTH" profile new bad --memory lots 2>&1)
like "a bad size is refused" "$?:$out" "^2:berth: vm.memory=lots refused"
check "a refused profile leaves no file" test ! -e "$users/bad.yaml"
out=$("$BERTH" profile new nofrom --from nope 2>&1)
like "--from an unknown profile (exit 2)" "$?:$out" "^2:berth: no profile 'nope'"
is "no temporary files are left in the folder" \
	"$(ls -a "$users" | grep -c 'tmp')" 0
out=$("$BERTH" profile new 2>&1)
is "profile new without a name is a usage error" "$?" 2

# ---- profile rm --------------------------------------------------------------
# A test-driver node with one domain berth made (its metadata names the
# profile vmx): rm refuses while it exists.
cat >"$T_HOME/node.xml" <<XML
<node>
  <domain type="test">
    <name>berth-vmx</name>
    <metadata><berth:berth xmlns:berth="https://github.com/berth-dev/berth/xmlns/domain/1"><berth:profile>vmx</berth:profile></berth:berth></metadata>
    <memory unit="MiB">512</memory>
    <vcpu>1</vcpu>
    <os><type>hvm</type></os>
  </domain>
</node>
XML
printf 'vm:\n  uri: test://%s/node.xml\n' "$T_HOME" >"$users/vmx.yaml"
printf 'vm:\n  uri: test://%s/node.xml\n' "$T_HOME" >"$users/novm.yaml"

out=$("$BERTH" profile rm novm </dev/null 2>&1)
like "rm without a terminal or --yes refuses (exit 1)" "$?:$out" '^1:berth: profile rm novm: add --yes'
check "and keeps the profile" test -f "$users/novm.yaml"
if command -v script >/dev/null 2>&1; then
	out=$(printf 'n\n' | script -qec "'$BERTH' profile rm novm" /dev/null 2>&1)
	like "rm asks on a terminal" "$out" "Remove profile novm \\($users/novm.yaml\\)\\? \\[y/N\\]"
	check "and 'n' keeps the profile" test -f "$users/novm.yaml"
	out=$(printf 'y\n' | script -qec "'$BERTH' profile rm novm" /dev/null 2>&1)
	check "and 'y' removes it" test ! -e "$users/novm.yaml"
else
	skip "rm asks on a terminal" "no script(1) to give it one"
	"$BERTH" profile rm novm --yes >/dev/null
fi
out=$("$BERTH" profile rm dev --yes 2>&1)
is "rm --yes of a profile without a VM" "$?:$out" "0:profile dev: removed $users/dev.yaml"
check "the file is gone" test ! -e "$users/dev.yaml"
like "and the list does not show it" "$("$BERTH" profile list)" '^[^d]*$|^ +[^d]'
out=$("$BERTH" profile list | grep -c ' dev ')
is "profile list has no dev" "$out" 0

cp "$users/vmx.yaml" "$T_HOME/vmx.before"
out=$("$BERTH" profile rm vmx --yes 2>&1)
is "rm refuses while the VM exists (exit 1)" "$?:$out" \
	"1:berth: profile vmx has a VM, berth-vmx (running); delete it first (berth -p vmx delete), or add --with-vm"
check "and keeps the profile" cmp -s "$users/vmx.yaml" "$T_HOME/vmx.before"
out=$("$BERTH" profile rm vmx --with-vm --yes 2>&1)
is "rm --with-vm deletes the VM as delete does, then the profile" "$?:$out" \
	"0:berth-vmx: deleted
profile vmx: removed $users/vmx.yaml"

out=$("$BERTH" profile rm default --yes 2>&1)
like "a shipped profile is refused (exit 2)" "$?:$out" '^2:berth: profile default is shipped with berth'
# A shipped folder whose path starts with the user's folder's is still
# the shipped one (a prefix is not a parent).
mkdir -p "$users"X/profiles
printf 'vm:\n  uri: test:///default\n' >"$users"X/profiles/ship.yaml
out=$(BERTH_DATADIR="$users"X "$BERTH" profile rm ship --yes 2>&1)
like "a shipped profile under a look-alike folder is refused (exit 2)" \
	"$?:$out" '^2:berth: profile ship is shipped with berth'
check "and stays" test -f "$users"X/profiles/ship.yaml
out=$("$BERTH" profile rm nope --yes 2>&1)
like "an unknown profile (exit 2)" "$?:$out" "^2:berth: no profile 'nope'"
"$BERTH" profile new ro >/dev/null
chmod a-w "$users/ro.yaml"
out=$("$BERTH" profile rm ro --yes 2>&1)
like "a read-only profile is not removed (exit 1)" "$?:$out" '^1:berth: .*ro.yaml is read-only'
check "and stays" test -f "$users/ro.yaml"
chmod u+w "$users/ro.yaml"
printf 'vm:\n  cpus: 0\n' >"$users/broken.yaml"
out=$("$BERTH" profile rm broken --yes 2>&1)
like "a profile with errors: its VM cannot be told (exit 1)" "$?:$out" \
	'^1:berth: profile broken has errors'

# ---- profile edit ------------------------------------------------------------
# A scripted editor: each run copies what it was shown, then applies the
# edit for that round (ed.N), or leaves the file alone when there is none.
cat >"$T_HOME/ed.sh" <<'SH'
#!/bin/sh
n=$(($(cat "$ED_DIR/count" 2>/dev/null || echo 0) + 1))
echo "$n" >"$ED_DIR/count"
cp "$1" "$ED_DIR/shown.$n"
[ -f "$ED_DIR/ed.$n" ] && . "$ED_DIR/ed.$n"
exit 0
SH
export ED_DIR=$T_HOME/ed
ed_reset() { rm -rf "$ED_DIR" && mkdir -p "$ED_DIR"; }

"$BERTH" profile new ed >/dev/null
cp "$users/ed.yaml" "$T_HOME/ed.before"
ed_reset
echo 'sed -i "s/^  cpus: .*/  cpus: 0/" "$1"' >"$ED_DIR/ed.1"
echo 'sed -i "s/^  cpus: .*/  cpus: 3/" "$1"' >"$ED_DIR/ed.2"
out=$(EDITOR="sh $T_HOME/ed.sh" "$BERTH" profile edit ed 2>&1)
is "edit: an error, then a fix: saved (exit 0)" "$?:$out" "0:profile ed: saved $users/ed.yaml"
is "the editor ran twice" "$(cat "$ED_DIR/count")" 2
check "the first round showed the profile as it was" cmp -s "$ED_DIR/shown.1" "$T_HOME/ed.before"
like "the second round showed the error as a comment, file:line:col" \
	"$(cat "$ED_DIR/shown.2")" '^# berth: .*/berth-ed-.{6}\.yaml:[0-9]+:9: vm\.cpus: 0 is out of range \(1\.\.256\)$'
ln=$(sed -n 's/^# berth: .*\.yaml:\([0-9]*\):9: vm.cpus.*/\1/p' "$ED_DIR/shown.2")
is "the error's line is the cpus line as shown" "$(sed -n "${ln}p" "$ED_DIR/shown.2")" "  cpus: 0"
like "the saved file has the fix" "$(cat "$users/ed.yaml")" '^  cpus: 3$'
is "and none of berth's note" "$(grep -c '^# berth:' "$users/ed.yaml")" 0
check "the old file is kept as .bak" cmp -s "$users/ed.yaml.bak" "$T_HOME/ed.before"

# An error, then quitting without a change: the old file stays.
cp "$users/ed.yaml" "$T_HOME/ed.before"
ed_reset
echo 'printf "vm: [\n" >"$1"' >"$ED_DIR/ed.1"
out=$(EDITOR="sh $T_HOME/ed.sh" "$BERTH" profile edit ed 2>&1)
like "edit: quit on errors exits 1" "$?:$out" "^1:berth: the edit still has errors; $users/ed.yaml is unchanged"
like "the syntax error was shown" "$(cat "$ED_DIR/shown.2")" '^# berth: .*YAML syntax error'
check "the profile is untouched" cmp -s "$users/ed.yaml" "$T_HOME/ed.before"

# No change at all.
ed_reset
out=$(VISUAL="sh $T_HOME/ed.sh" EDITOR=false "$BERTH" profile edit ed 2>&1)
is "edit without a change: exit 0 (VISUAL before EDITOR)" "$?:$out" "0:profile ed: no changes"
# An editor that fails.
out=$(EDITOR=false "$BERTH" profile edit ed 2>&1)
like "a failing editor: exit 1, nothing changed" "$?:$out" '^1:berth: the editor exited with an error'
check "the profile is untouched" cmp -s "$users/ed.yaml" "$T_HOME/ed.before"
# A shipped profile: the edit becomes the user's own copy.
ed_reset
echo 'sed -i "s/^refresh: .*/refresh: 5s/" "$1"' >"$ED_DIR/ed.1"
out=$(EDITOR="sh $T_HOME/ed.sh" "$BERTH" profile edit demo 2>&1)
is "editing a shipped profile saves a copy (exit 0)" "$?:$out" "0:profile demo: saved as your own profile"
like "the user's demo has the change" "$(cat "$users/demo.yaml")" '^refresh: 5s$'
like "the shipped one does not" "$(cat "$BERTH_SRCDIR/profiles/demo.yaml")" '^refresh: 2s$'
out=$(EDITOR="sh $T_HOME/ed.sh" "$BERTH" profile edit nope 2>&1)
like "edit of an unknown profile (exit 2)" "$?:$out" "^2:berth: no profile 'nope'"
is "no temporary file is left behind" "$(ls "${TMPDIR:-/tmp}" | grep -c '^berth-ed-')" 0

done_testing
