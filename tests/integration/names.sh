#!/bin/sh
# Profile names (issue 13, item 1) and exit codes (item 6): one rule for
# what a name may be, checked before anything touches the disk; a path
# only where a command documents FILE; an unknown profile gives the same
# message and exit code 2 from every command; no escape from a name or a
# file name reaches the terminal.
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
t_home
# BERTH_HOME two levels down, so "../../x" from its state folder stays
# inside T_HOME where the test can look for it.
export BERTH_HOME="$T_HOME/a/b"
users=$BERTH_HOME/config/profiles
mkdir -p "$users"
esc=$(printf '\033')
bel=$(printf '\007')
# has_ctl TEXT: TEXT holds an ESC or a BEL byte.
has_ctl() {
	case $1 in *"$esc"* | *"$bel"*) return 0 ;; esac
	return 1
}

# ---- a name is not a path --------------------------------------------------
out=$("$BERTH" -p ../../somewhere socket key 2>&1)
is "-p ../../somewhere socket key exits 2" "$?" 2
like "-p ../../somewhere: says it is not a name" "$out" \
	"^berth: '\.\./\.\./somewhere' is not a profile name"
check "-p ../../somewhere writes nothing above the state folder" \
	test ! -e "$T_HOME/a/somewhere"
check "-p ../../somewhere makes no state folder at all" \
	test ! -e "$BERTH_HOME/state"

printf 'SECRET_TOKEN_42: 1\nroot:$6$hash:19000:0:99999:7:::\n' >"$T_HOME/secret"
printf 'SECRET_TOKEN_42: 1\n' >"$T_HOME/secret.yaml"
for f in "$T_HOME/secret" "$T_HOME/secret.yaml" secret.yaml; do
	out=$(cd "$T_HOME" && "$BERTH" -p "$f" status 2>&1)
	is "-p $f status exits 2" "$?" 2
	case $out in
	*SECRET_TOKEN*) not_ok "-p $f status does not print the file" ;;
	*) ok "-p $f status does not print the file" ;;
	esac
	out=$(cd "$T_HOME" && "$BERTH" status -p "$f" 2>&1)
	is "status -p $f (after the command) exits 2" "$?" 2
done
out=$(BERTH_PROFILE=../x "$BERTH" status 2>&1)
is "BERTH_PROFILE=../x exits 2" "$?" 2
like "BERTH_PROFILE=../x: says it is not a name" "$out" "is not a profile name"

# 64 bytes is a name (unknown here), 65 is not one.
n64=0123456789012345678901234567890123456789012345678901234567890123
out=$("$BERTH" -p "$n64" status 2>&1)
like "a 64-byte name is a name" "$out" "^berth: no profile '$n64'"
out=$("$BERTH" -p "${n64}4" status 2>&1)
like "a 65-byte name is not" "$out" "is not a profile name: it is longer"

# ---- escapes in a name never reach the terminal -----------------------------
name="x${esc}[31mred${bel}"
for cmd in status "socket key" "socket stop" ps "profile path" "profile show" \
	start; do
	# shellcheck disable=SC2086
	out=$("$BERTH" -p "$name" $cmd 2>&1)
	rc=$?
	is "-p ESC-name $cmd exits 2" "$rc" 2
	if has_ctl "$out"; then
		not_ok "-p ESC-name $cmd: no ESC/BEL in the output"
	else
		ok "-p ESC-name $cmd: no ESC/BEL in the output"
	fi
done
like "the refused name is shown neutralised" "$("$BERTH" -p "$name" status 2>&1)" \
	"'x\^\[\[31mred\^G' is not a profile name"
check "an ESC name makes no state folder" test ! -e "$BERTH_HOME/state"

# A profile FILE whose name holds ESC is left out of every listing, said.
printf 'vm:\n  uri: test:///default\n' >"$users/${esc}[2Jevil.yaml"
printf 'vm:\n  uri: test:///default\n' >"$users/good.yaml"
for cmd in "profile list" list "list --json"; do
	# shellcheck disable=SC2086
	out=$("$BERTH" $cmd 2>&1)
	is "$cmd with an ESC file name exits 0" "$?" 0
	if has_ctl "$out"; then
		not_ok "$cmd: no ESC from a file name"
	else
		ok "$cmd: no ESC from a file name"
	fi
	like "$cmd: the good profile is listed" "$out" "good"
	like "$cmd: the bad file is named, neutralised" "$out" \
		"^berth: left out .*/\^\[\[2Jevil\.yaml: its name is not a profile name"
done
out=$("$BERTH" list --json 2>/dev/null)
case $out in
*evil*) not_ok "list --json leaves the bad file out of the JSON" ;;
*) ok "list --json leaves the bad file out of the JSON" ;;
esac
rm -f "$users/${esc}[2Jevil.yaml"

# ---- an unknown profile: one message, exit 2, from every command -----------
want="berth: no profile 'nosuch' (looked in $users and $BERTH_SRCDIR/profiles; berth profile list shows them)"
for cmd in status start stop restart pause resume "set --cpus 2" create \
	delete console-log "image pull" ps "logs x" "container stop x" \
	"stats --no-stream" docker-info socket "socket start" "socket stop" \
	"socket restart" "socket key" "context activate" "watch status" \
	"profile path" "profile show" "profile set nosuch vm.cpus 2"; do
	# shellcheck disable=SC2086
	out=$(timeout 30 "$BERTH" -p nosuch $cmd </dev/null 2>&1)
	rc=$?
	is "unknown profile: $cmd exits 2" "$rc" 2
	is "unknown profile: $cmd gives the one message" "$out" "$want"
done
out=$(BERTH_PROFILE=nosuch timeout 30 "$BERTH" ps 2>&1)
is "BERTH_PROFILE=nosuch ps exits 2" "$?" 2
is "BERTH_PROFILE=nosuch ps gives the one message" "$out" "$want"
check "no state folder for an unknown profile" test ! -e "$BERTH_HOME/state/nosuch"

# ---- a bad value is a usage error (2), found before libvirt is asked --------
for opt in "--cpus abc" "--cpus 0" "--memory lots" "--disk -1"; do
	# shellcheck disable=SC2086
	out=$("$BERTH" -p demo set $opt 2>&1)
	is "set $opt exits 2" "$?" 2
	like "set $opt shows the usage" "$out" "^usage: berth set "
done

# ---- a FILE argument still takes a path -------------------------------------
printf 'vm:\n  cpus: 3\n' >"$T_HOME/f.yaml"
out=$("$BERTH" profile show "$T_HOME/f.yaml")
is "profile show FILE exits 0" "$?" 0
like "profile show FILE reads it" "$out" '^vm.cpus: 3$'
"$BERTH" profile validate "$T_HOME/f.yaml"
is "profile validate FILE exits 0" "$?" 0
# A FILE argument's own name may hold ESC: shown neutralised.
cp "$T_HOME/f.yaml" "$T_HOME/${esc}]0;pwned${bel}.yaml"
out=$("$BERTH" profile show "$T_HOME/${esc}]0;pwned${bel}.yaml" 2>&1)
is "profile show of an ESC-named FILE exits 0" "$?" 0
if has_ctl "$out"; then
	not_ok "profile show of an ESC-named FILE: no ESC/BEL in the output"
else
	ok "profile show of an ESC-named FILE: no ESC/BEL in the output"
fi
done_testing
