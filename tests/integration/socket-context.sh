#!/bin/sh
# Docker contexts: berth writes its context in Docker's own store format
# (read back by the real docker CLI), activates it, restores the previous
# one, never touches other contexts, and leaves a broken config.json or an
# unwritable Docker config dir alone with a clear message.
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/integration/socket-lib.sh"
command -v docker >/dev/null || skip_all "docker CLI not installed"
command -v sha256sum >/dev/null || skip_all "sha256sum not installed"
socket_setup

"$BERTH" $P socket start --wait 20 >/dev/null 2>&1
check "forward up" wait_json healthy true 10

# Another context the user already had, and made current.
docker context create other --docker host=unix:///var/run/docker.sock >/dev/null 2>&1
docker context use other >/dev/null 2>&1
hash=$(printf %s other | sha256sum | cut -d' ' -f1)
other_meta="$DOCKER_CONFIG/contexts/meta/$hash/meta.json"
other_sum=$(sha256sum "$other_meta")
printf '{\n  "auths": {"example.invalid": {"auth": "dTpw"}},\n  "currentContext": "other"\n}\n' \
	>"$DOCKER_CONFIG/config.json"

out=$("$BERTH" $P context activate 2>&1)
is "context activate exits 0" "$?" 0
like "context activate says so" "$out" 'berth-test is now current'
hash=$(printf %s berth-test | sha256sum | cut -d' ' -f1)
meta="$DOCKER_CONFIG/contexts/meta/$hash/meta.json"
check "meta.json lives under the sha256 of the name" test -f "$meta"
is "docker context show" "$(docker context show)" berth-test
is "docker context inspect: endpoint is berth's socket" \
	"$(docker context inspect berth-test --format '{{.Endpoints.docker.Host}}')" \
	"unix://$SOCK"
like "docker context ls lists it with berth's description" \
	"$(docker context ls --format '{{.Name}} {{.Description}}')" \
	'berth-test berth profile test'
docker --context berth-test ps >/dev/null 2>&1
is "docker --context berth-test ps works" "$?" 0
docker ps >/dev/null 2>&1
is "plain docker ps works through the current context" "$?" 0
is "other context untouched" "$(sha256sum "$other_meta")" "$other_sum"
like "config.json keeps the other keys" "$(cat "$DOCKER_CONFIG/config.json")" \
	'example.invalid'
is "socket --json: context current" "$(json context_current)" true

# Plain docker ps really goes through berth's forward: stop it, it fails.
"$BERTH" $P socket stop
docker ps >/dev/null 2>&1
is "with the forward stopped, plain docker ps fails" "$?" 1

out=$("$BERTH" $P context deactivate 2>&1)
is "context deactivate exits 0" "$?" 0
is "deactivate restores the previous context" "$(docker context show)" other
check "deactivate keeps berth's context in the store" test -f "$meta"
out=$("$BERTH" $P context deactivate 2>&1)
like "deactivate when not current: says so, changes nothing" "$out" \
	'current Docker context is other'
is "still other" "$(docker context show)" other

# No previous context: deactivate removes currentContext.
docker context use default >/dev/null 2>&1
"$BERTH" $P context activate >/dev/null
"$BERTH" $P context deactivate >/dev/null
is "deactivate with no previous context: default" "$(docker context show)" default

# A broken config.json is left untouched.
printf '{"currentContext": "other",' >"$DOCKER_CONFIG/config.json"
before=$(sha256sum "$DOCKER_CONFIG/config.json")
out=$("$BERTH" $P context activate 2>&1)
is "invalid config.json: exit 1" "$?" 1
like "invalid config.json: says so" "$out" 'config.json is not valid JSON .*left it untouched'
is "invalid config.json: untouched" "$(sha256sum "$DOCKER_CONFIG/config.json")" "$before"
rm -f "$DOCKER_CONFIG/config.json"

# A context of that name that berth did not make is not overwritten.
cat >"$T_HOME/config/profiles/clash.yaml" <<EOF
docker:
  context: other
  ssh_port: 1
EOF
out=$("$BERTH" -p clash context activate 2>&1)
is "foreign context of the same name: exit 1" "$?" 1
like "foreign context: says so" "$out" 'exists and was not made by berth'
is "foreign context: untouched" "$(sha256sum "$other_meta")" "$other_sum"

# An unwritable Docker config dir (a path under a regular file).
touch "$T_HOME/afile"
out=$(DOCKER_CONFIG="$T_HOME/afile/docker" "$BERTH" $P context activate 2>&1)
is "unwritable Docker config dir: exit 1" "$?" 1
like "unwritable Docker config dir: says where" "$out" "cannot write the Docker context: $T_HOME/afile"

done_testing
