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
done_testing
