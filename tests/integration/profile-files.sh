#!/bin/sh
# Edits respect the user's profile files (issue 13, item 3): a read-only
# profile is refused (by `profile set` and by `set`, whose VM change still
# applies), also for an ordinary user; a symlinked profile is edited at its
# target and stays a link; parallel edits of one file all land, with no
# "x.yaml.bak: File exists".
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
t_home
unset BERTH_PROFILE
src=$BERTH_SRCDIR
users=$T_HOME/config/profiles

# A profile on libvirt's test driver (no hypervisor): `set` applies there.
cp "$src/profiles/demo.yaml" "$users/ro.yaml"

# ---- a read-only profile ------------------------------------------------------
chmod 444 "$users/ro.yaml"
cp "$users/ro.yaml" "$T_HOME/ro.before"
out=$("$BERTH" profile set ro vm.cpus 3 2>&1)
is "profile set on a read-only file exits 1" "$?" 1
is "profile set says it is read-only and unchanged" "$out" \
	"berth: $users/ro.yaml is read-only (mode 0444), so it was not changed; make it writable (chmod u+w) to let berth save edits"
check "the read-only file is unchanged" cmp -s "$users/ro.yaml" "$T_HOME/ro.before"
check "its mode is unchanged" test "$(stat -c %a "$users/ro.yaml")" = 444
check "no .bak was made" test ! -e "$users/ro.yaml.bak"

out=$("$BERTH" -p ro set --cpus 1 2>&1)
is "set on a read-only profile exits 1" "$?" 1
is "set says it applied, not saved, and why" "$out" \
	"berth: applied, but could not save vm.cpus in $users/ro.yaml: $users/ro.yaml is read-only (mode 0444), so it was not changed; make it writable (chmod u+w) to let berth save edits"
check "set left the read-only file unchanged" cmp -s "$users/ro.yaml" "$T_HOME/ro.before"

chmod 644 "$users/ro.yaml"
"$BERTH" profile set ro vm.cpus 3
is "made writable again, the edit goes through" "$?" 0
like "the new value is in the file" "$(cat "$users/ro.yaml")" '^  cpus: 3$'

# ---- the same as an ordinary user -----------------------------------------
# Root may write any file, so the case above proves the mode bits are read;
# here an unprivileged user, who could still replace the file by renaming
# over it (the folder is theirs), must be refused too.
if [ "$(id -u)" -ne 0 ]; then
	skip "read-only profile as an ordinary user" "this test already runs as one (uid $(id -u)); the cases above cover it"
elif ! command -v setpriv >/dev/null 2>&1 || ! id nobody >/dev/null 2>&1; then
	skip "read-only profile as an ordinary user" "no setpriv or no user nobody"
else
	nh=$T_HOME/nobody
	mkdir -p "$nh/config/profiles"
	cp "$src/profiles/demo.yaml" "$nh/config/profiles/mine.yaml"
	chmod 711 "$T_HOME"
	chown -R nobody "$nh"
	chmod 444 "$nh/config/profiles/mine.yaml"
	cp "$nh/config/profiles/mine.yaml" "$T_HOME/mine.before"
	as_nobody() {
		setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
			env BERTH_HOME="$nh" HOME="$nh" "$@"
	}
	out=$(as_nobody "$BERTH" profile set mine vm.cpus 3 2>&1)
	is "as nobody: profile set on a read-only file exits 1" "$?" 1
	like "as nobody: says read-only" "$out" "mine.yaml is read-only \(mode 0444\), so it was not changed"
	out=$(as_nobody "$BERTH" -p mine set --cpus 1 2>&1)
	is "as nobody: set exits 1" "$?" 1
	like "as nobody: set says applied but not saved" "$out" "^berth: applied, but could not save vm.cpus in .*read-only"
	check "as nobody: the file is unchanged" cmp -s "$nh/config/profiles/mine.yaml" "$T_HOME/mine.before"
	check "as nobody: no .bak" test ! -e "$nh/config/profiles/mine.yaml.bak"
	# A file of someone else's, in the user's folder: not writable.
	chmod 644 "$nh/config/profiles/mine.yaml"
	chown root "$nh/config/profiles/mine.yaml"
	out=$(as_nobody "$BERTH" profile set mine vm.cpus 3 2>&1)
	is "as nobody: another user's file exits 1" "$?" 1
	like "as nobody: another user's file: permission denied" "$out" "mine.yaml: Permission denied, so it was not changed"
	check "as nobody: another user's file is unchanged" cmp -s "$nh/config/profiles/mine.yaml" "$T_HOME/mine.before"
	# A folder its owner cannot list (no read bit, so no lock on it):
	# the edit still goes through, unlocked.
	chown nobody "$nh/config/profiles/mine.yaml"
	chmod 311 "$nh/config/profiles"
	as_nobody "$BERTH" profile set mine vm.cpus 3
	is "as nobody: a folder without read permission still takes edits" "$?" 0
	chmod 755 "$nh/config/profiles"
	like "as nobody: the edit is in the file" \
		"$(cat "$nh/config/profiles/mine.yaml")" '^  cpus: 3$'
fi

# ---- a symlinked profile --------------------------------------------------------
mkdir -p "$T_HOME/dotfiles/berth"
cp "$src/profiles/demo.yaml" "$T_HOME/dotfiles/berth/real.yaml"
ln -s ../../dotfiles/berth/real.yaml "$users/linked.yaml"
"$BERTH" profile set linked vm.cpus 2
is "profile set through a symlink exits 0" "$?" 0
check "the profile is still a symlink" test -L "$users/linked.yaml"
is "the link still points where it did" "$(readlink "$users/linked.yaml")" \
	"../../dotfiles/berth/real.yaml"
like "the target has the new value" "$(cat "$T_HOME/dotfiles/berth/real.yaml")" '^  cpus: 2$'
check "the backup sits next to the target" cmp -s \
	"$T_HOME/dotfiles/berth/real.yaml.bak" "$src/profiles/demo.yaml"
check "no backup next to the link" test ! -e "$users/linked.yaml.bak"
"$BERTH" -p linked set --memory 1GiB >/dev/null
is "set through a symlink exits 0" "$?" 0
check "still a symlink after set" test -L "$users/linked.yaml"
like "set wrote the target" "$(cat "$T_HOME/dotfiles/berth/real.yaml")" '^  memory: 1GiB$'
is "no temporary files left by the edits" \
	"$(ls -A "$users" "$T_HOME/dotfiles/berth" | grep -c '\.tmp\.\|\.bak\.')" 0
# A link to a read-only file is refused like the file.
chmod 444 "$T_HOME/dotfiles/berth/real.yaml"
out=$("$BERTH" profile set linked vm.cpus 3 2>&1)
is "a link to a read-only file exits 1" "$?" 1
like "and names the target" "$out" "dotfiles/berth/real.yaml is read-only"
chmod 644 "$T_HOME/dotfiles/berth/real.yaml"

# ---- parallel edits -------------------------------------------------------------
# wait_fails PID...: wait for each (in this shell: they are its children);
# sets fails to how many exited non-zero.
wait_fails() {
	fails=0
	for _p in "$@"; do
		wait "$_p" || fails=$((fails + 1))
	done
}

# 50 mounts, then 50 parallel edits of different keys of the one file.
{
	echo "# fifty mounts"
	echo "vm:"
	echo "  uri: test:///default"
	echo "mounts:"
	i=0
	while [ $i -lt 50 ]; do
		printf '  - host: /m%d\n    watch: off\n' $i
		i=$((i + 1))
	done
} >"$users/par.yaml"
i=0
pids=
while [ $i -lt 50 ]; do
	"$BERTH" profile set par "mounts[$i].watch" poll \
		>"$T_HOME/par.$i.out" 2>&1 &
	pids="$pids $!"
	i=$((i + 1))
done
wait_fails $pids
is "50 parallel sets all exit 0" "$fails" 0
is "none printed an error" "$(cat "$T_HOME"/par.*.out)" ""
is "every one of the 50 edits landed" \
	"$(grep -c '^    watch: poll$' "$users/par.yaml")" 50
"$BERTH" profile validate "$users/par.yaml"
is "the file is still a valid profile" "$?" 0
check "the comment is kept" grep -q '^# fifty mounts$' "$users/par.yaml"
check "a .bak is there" test -f "$users/par.yaml.bak"
is "no temporary files left" "$(ls -A "$users" | grep -c '\.tmp\.\|\.bak\.')" 0

# The first edits of a shipped profile race to create the user's copy.
keys="vm.cpus=3 vm.memory=3GiB refresh=5s docker.context=par-ctx vm.disk=30GiB vm.accel=qemu"
pids=
for kv in $keys; do
	"$BERTH" profile set demo "${kv%%=*}" "${kv#*=}" >>"$T_HOME/demo.out" 2>&1 &
	pids="$pids $!"
done
wait_fails $pids
is "parallel first edits of a shipped profile exit 0" "$fails" 0
show=$("$BERTH" profile show demo)
lost=
for kv in $keys; do
	printf '%s\n' "$show" | grep -Eq "^${kv%%=*}: ${kv#*=}(  # default)?\$" || lost="$lost ${kv%%=*}"
done
is "none of them was lost" "$lost" ""

done_testing
