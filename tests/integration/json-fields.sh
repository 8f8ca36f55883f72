#!/bin/sh
# JSON output (issue 13, item 6): every field a command prints with --json
# is listed in berth(1)'s JSON OUTPUT section, and the same thing has the
# same name everywhere (cpus, memory_bytes, cpu_percent...): no command
# still prints the old per-command spellings.
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
t_home
command -v python3 >/dev/null || skip_all "python3 missing (JSON checks)"

# fields_check DESC JSON: every key (at any depth) is documented, and none
# is an old spelling or breaks the naming rule.
fields_check() {
	_r=$(printf '%s' "$2" | python3 -c '
import json, re, sys
man = open(sys.argv[1]).read()
sec = man[man.index(".SH JSON OUTPUT"):]
sec = sec[:sec.index("\n.SH ", 1)]
documented = set(re.findall(r"[a-z][a-z0-9_]*", re.sub(r"\\f[BIRP]|\\-", " ", sec)))
old = {"vcpus", "vcpus_max", "vcpus_pending", "vcpu_percent", "memory",
       "memory_max", "memory_pending", "memory_used", "memory_available",
       "disk_allocation", "host_memory", "ncpu", "mem_total", "cpu_pct",
       "mem_used", "mem_limit", "mem_pct", "rx_bps", "tx_bps", "rd_bps",
       "wr_bps", "conn"}
keys = set()
def walk(v):
    if isinstance(v, dict):
        for k, x in v.items():
            keys.add(k)
            walk(x)
    elif isinstance(v, list):
        for x in v:
            walk(x)
text = sys.stdin.read()
try:
    walk(json.loads(text))
except ValueError:
    for line in text.splitlines():  # one object per line
        walk(json.loads(line))
bad = sorted(k for k in keys if k not in documented)
bad += sorted("old:" + k for k in keys & old)
bad += sorted("rule:" + k for k in keys if re.search(r"(^|_)(pct|bps|mem)(_|$)", k))
print(" ".join(bad) if bad else "ok" if keys else "no fields")
' "$BERTH_SRCDIR/man/berth.1" 2>&1)
	is "$1: every field documented, one spelling" "$_r" ok
}

# A domain with a disk on libvirt's test driver, as vm-test-driver.sh has.
W=$T_HOME/w
mkdir -p "$W"
truncate -s 1G "$W/disk.raw"
cat >"$W/node.xml" <<EOF
<node>
  <cpu><mhz>2000</mhz><model>x86_64</model><active>4</active><nodes>1</nodes>
    <sockets>1</sockets><cores>4</cores><threads>1</threads></cpu>
  <memory>8388608</memory>
  <domain type="test">
    <name>berth-t</name>
    <memory unit="MiB">1024</memory>
    <vcpu>1</vcpu>
    <os><type>hvm</type></os>
    <devices><disk type="file" device="disk"><source file="$W/disk.raw"/>
      <target dev="vda"/></disk></devices>
  </domain>
</node>
EOF
printf 'vm:\n  uri: test://%s/node.xml\n' "$W" >"$T_HOME/config/profiles/t.yaml"

fields_check "status --json" "$("$BERTH" -p t status --json)"
fields_check "list --json" "$("$BERTH" list --json)"
fields_check "socket --json" "$("$BERTH" -p demo socket --json 2>/dev/null)"

if curl -sf --max-time 5 --unix-socket /var/run/docker.sock http://d/_ping \
	>/dev/null 2>&1; then
	fields_check "docker-info --json" "$(env -u DOCKER_HOST -u DOCKER_CONTEXT \
		-u BERTH_PROFILE "$BERTH" -p demo docker-info --json)"
else
	skip "docker-info --json: every field documented, one spelling" \
		"dockerd is not running"
fi
done_testing
