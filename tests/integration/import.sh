#!/bin/sh
# berth import colima|lima (issue 16, item 3): sample instance files kept
# in tests/integration/import (written from Colima's and Lima's documented
# formats) become berth profiles; every key is reported as mapped or not.
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
t_home
unset BERTH_PROFILE
users=$T_HOME/config/profiles
samples=$BERTH_SRCDIR/tests/integration/import
export COLIMA_HOME=$samples/colima LIMA_HOME=$samples/lima

# ---- colima ------------------------------------------------------------------
out=$("$BERTH" import colima work 2>&1)
is "import colima work exits 0" "$?" 0
like "it names the file it read" "$out" "^colima work \\($samples/colima/work/colima.yaml\\):\$"
like "cpu is mapped" "$out" '^  mapped      cpu: 6 -> vm.cpus: 6$'
like "memory in GiB is mapped" "$out" '^  mapped      memory: 12 -> vm.memory: 12GiB$'
like "disk in GiB is mapped" "$out" '^  mapped      disk: 100 -> vm.disk: 100GiB$'
like "arch is mapped" "$out" '^  mapped      arch: aarch64 -> vm.arch: aarch64$'
like "mountType is mapped" "$out" '^  mapped      mountType: virtiofs -> mounts\[\].type: virtiofs$'
like "mountInotify is watch mode" "$out" '^  mapped      mountInotify: true -> mounts\[\].watch: native$'
like "a mount with mountPoint" "$out" '^  mapped      mounts\[1\]: /Volumes/data at /data -> mounts\[1\]: host /Volumes/data, read-only$'
like "docker: becomes daemon.json" "$out" \
	'^  mapped      docker: \(daemon.json\) -> provision: writes /etc/docker/daemon.json \{"features":\{"buildkit":true\},"insecure-registries":\["registry.local:5000"\],"log-opts":\{"max-size":"10m"\}\}$'
like "runtime: containerd is not mapped, with why" "$out" "^  not mapped  runtime: berth's VM runs Docker\$"
like "kubernetes is not mapped" "$out" '^  not mapped  kubernetes: berth does not run Kubernetes$'
like "a user-mode provision script is not mapped" "$out" '^  not mapped  provision: item 1 runs in mode user'
like "env is not mapped" "$out" '^  not mapped  env: '
like "the profile is written" "$out" \
	"^profile colima-work: $users/colima-work.yaml \\(domain and context berth-colima-work\\)\$"
"$BERTH" profile validate "$users/colima-work.yaml"
is "the imported profile validates" "$?" 0
show=$("$BERTH" profile show colima-work)
like "vm.cpus" "$show" '^vm.cpus: 6$'
like "vm.memory" "$show" '^vm.memory: 12GiB$'
like "vm.disk" "$show" '^vm.disk: 100GiB$'
like "vm.arch" "$show" '^vm.arch: aarch64$'
like "its own domain" "$show" '^vm.domain: berth-colima-work( |$)'
like "mounts[0] from ~/code" "$show" "^mounts\\[0\\].host: $HOME/code\$"
like "mounts[0] writable" "$show" '^mounts\[0\].writable: true'
like "mounts[0] virtiofs" "$show" '^mounts\[0\].type: virtiofs$'
like "mounts[0] watch native" "$show" '^mounts\[0\].watch: native$'
like "mounts[1] at its mountPoint" "$show" '^mounts\[1\].guest: /data$'
like "mounts[1] read-only (Colima's default)" "$show" '^mounts\[1\].writable: false$'
like "mounts[2] read-only as written" "$show" '^mounts\[2\].writable: false$'
# The provision list, as the loader reads it back: the daemon.json
# command, then the system script (its quote kept).
prov=$(sed -n 's/^provision: //p' <<SHOW
$show
SHOW
)
like "provision writes daemon.json" "$prov" "^\\[mkdir -p /etc/docker && printf '%s\\\\n' '\\{\"features\""
like "and keeps the system script" "$prov" "echo \"it's provisioned\" > /etc/motd\\]\$"
like "the file says where it came from" "$(cat "$users/colima-work.yaml")" \
	'^# Imported from colima instance work$'

out=$("$BERTH" import colima plain 2>&1)
is "import colima plain exits 0" "$?" 0
like "runtime: docker is what berth runs" "$out" "^  mapped      runtime: docker -> berth's VM runs Docker\$"
like "no mounts means the home folder" "$out" \
	'^  mapped      mounts: \[\] \(Colima shares your home folder\) -> mounts\[0\]: host ~, writable$'
is "defaults are not reported (arch: host, docker: {}, mountInotify: false)" \
	"$(printf '%s\n' "$out" | grep -cE '^  [a-z ]+  (arch|docker|mountInotify):')" 0
show=$("$BERTH" profile show colima-plain)
like "the home folder is mounted" "$show" "^mounts\\[0\\].host: $HOME\$"
like "with sshfs" "$show" '^mounts\[0\].type: sshfs$'
like "no provision for an empty docker:" "$show" '^provision: \[\]'

out=$("$BERTH" import colima work 2>&1)
like "importing twice never overwrites (exit 2)" "$?:$out" '^2:.*berth: profile colima-work exists'
out=$("$BERTH" import colima work --as other 2>&1)
is "--as names the profile" "$?:$(printf '%s\n' "$out" | tail -n 1)" \
	"0:profile other: $users/other.yaml (domain and context berth-other)"
out=$("$BERTH" import colima 2>&1)
like "the default instance is 'default'" "$?:$out" \
	"^2:berth: no colima instance default: $samples/colima/default/colima.yaml"
out=$("$BERTH" import colima "$samples/colima/plain/colima.yaml" --as fromfile 2>&1)
like "a FILE is read as it is" "$?:$out" "^0:colima $samples/colima/plain/colima.yaml"
out=$("$BERTH" import colima .hidden 2>&1)
like "an instance name is checked" "$?:$out" "^2:berth: colima instance '.hidden' is not a profile name"
printf 'cpu: [\n' >"$T_HOME/broken.yaml"
out=$("$BERTH" import colima "$T_HOME/broken.yaml" 2>&1)
like "a broken file: file:line:col, exit 2" "$?:$out" "^2:$T_HOME/broken.yaml:[0-9]+:[0-9]+: "
printf 'cpu: lots\nmemory: much\nfuture: 1\n' >"$T_HOME/odd.yaml"
out=$("$BERTH" import colima "$T_HOME/odd.yaml" --as odd 2>&1)
is "odd values are reported, not fatal (exit 0)" "$?" 0
like "a bad cpu" "$out" "^  not mapped  cpu: 'lots' is not a CPU count\$"
like "a bad memory" "$out" "^  not mapped  memory: 'much' is not a size\$"
like "an unknown key" "$out" '^  not mapped  future: berth has no such setting$'
# "\e" is YAML's escape for ESC: the value holds a real escape sequence.
printf 'cpu: 2\nmemory: "\\e[31mred"\n' >"$T_HOME/esc.yaml"
out=$("$BERTH" import colima "$T_HOME/esc.yaml" --as esc 2>&1)
like "a value with an escape sequence is shown visibly" "$out" \
	"^  not mapped  memory: '\\^\\[\\[31mred' is not a size\$"
is "and no ESC byte reaches the terminal" \
	"$(printf '%s' "$out" | tr -d '\n' | grep -c "$(printf '\033')")" 0

# ---- lima --------------------------------------------------------------------
out=$("$BERTH" import lima dev 2>&1)
is "import lima dev exits 0" "$?" 0
like "cpus" "$out" '^  mapped      cpus: 3 -> vm.cpus: 3$'
like "memory as a string with a unit" "$out" '^  mapped      memory: 6GiB -> vm.memory: 6GiB$'
like "disk" "$out" '^  mapped      disk: 80GiB -> vm.disk: 80GiB$'
like "reverse-sshfs is berth's sshfs" "$out" '^  mapped      mountType: reverse-sshfs -> mounts\[\].type: sshfs$'
like "a mount without writable is read-only (Lima's default)" "$out" \
	'^  mapped      mounts\[0\]: ~ -> mounts\[0\]: host ~, read-only$'
like "images are not mapped" "$out" '^  not mapped  images: '
like "portForwards are not mapped" "$out" '^  not mapped  portForwards: '
show=$("$BERTH" profile show lima-dev)
like "lima: vm.memory" "$show" '^vm.memory: 6GiB$'
like "lima: vm.arch" "$show" '^vm.arch: x86_64$'
like "lima: its own context" "$show" '^docker.context: berth-lima-dev( |$)'
like "lima: mounts[1] writable" "$show" '^mounts\[1\].writable: true'
like "lima: the system script" "$show" '^provision: \[#!/bin/sh'
out=$("$BERTH" import lima 2>&1)
is "import lima needs a name (exit 2)" "$?" 2
out=$("$BERTH" import lima nope 2>&1)
like "an unknown instance (exit 2)" "$?:$out" "^2:berth: no lima instance nope: $samples/lima/nope/lima.yaml"
out=$(LIMA_HOME= HOME=$T_HOME "$BERTH" import lima nope 2>&1)
like "without LIMA_HOME, ~/.lima" "$out" "$T_HOME/.lima/nope/lima.yaml"

done_testing
