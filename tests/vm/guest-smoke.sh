#!/bin/sh
# guest-smoke: boot berth's tiny test guest under TCG through qemu:///system
# and check what the VM and polling tests rely on: the agent answers,
# guest-exec relays output and exit status, every 9p tag is mounted at the
# path its convention names, a host-side write raises NO inotify event in
# the guest while a guest-side touch does, the port forward reaches the
# guest's httpd, and agent shutdown removes the domain. Prints the timings.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

tcg_or_skip

t=$(now)
guest_paths 2>/dev/null || {
	not_ok "build the guest (tests/vm/build-guest.sh)"
	"$BERTH_SRCDIR/tests/vm/build-guest.sh" 2>&1 | tail -5 | sed 's/^/# /'
	done_testing
	exit 1
}
ok "guest built or cached in $(since "$t") s: $GUEST_DIR"

W=$(mktemp -d "${TMPDIR:-/tmp}/berth-smoke.XXXXXX")
DOM=berth-smoke-$$
trap 'guest_cleanup; rm -rf "$W"' EXIT
trap 'exit 1' INT TERM HUP
mkdir -p "$W/s0" "$W/s1" "$W/s2"
token=tok-$$-$(date +%s%N)
echo "$token" >"$W/s0/host-pre.txt"
port=$(guest_free_port)

GUEST_FWD="tcp:127.0.0.1:$port-:80" GUEST_CONSOLE=$W/console.log \
	GUEST_CMDLINE="berth.mount=cm0:/srv/app" \
	guest_domxml "$DOM" "$W/s0=share0" "$W/s1=/work/proj" "$W/s2=cm0" \
	>"$W/dom.xml"

t=$(now)
check "virsh create starts the transient domain" guest_start "$DOM" "$W/dom.xml"
is "domain state is running" "$(guest_virsh domstate "$DOM" 2>&1)" "running"
if guest_wait_agent "$DOM" "$GUEST_URI" 120; then
	ok "agent answers guest-ping"
	echo "# start -> agent ping: $(since "$t") s"
else
	not_ok "agent answers guest-ping within 120 s"
	sed 's/^/# console: /' "$W/console.log"
	done_testing
	exit 1
fi

out=$(guest_exec "$DOM" sh -c 'echo to-out; echo to-err >&2; exit 3' 2>"$W/err")
rc=$?
is "guest_exec relays stdout" "$out" "to-out"
is "guest_exec relays stderr" "$(cat "$W/err")" "to-err"
is "guest_exec returns the exit status" "$rc" 3

mounts=$(guest_exec "$DOM" cat /run/berth-mounts)
like "plain tag mounted at /mnt/TAG" "$mounts" "^share0 /mnt/share0 9p$"
like "path tag mounted at its own path" "$mounts" "^/work/proj /work/proj 9p$"
like "berth.mount=TAG:/path places a tag" "$mounts" "^cm0 /srv/app 9p$"
is "host file readable through 9p" \
	"$(guest_exec "$DOM" cat /mnt/share0/host-pre.txt)" "$token"

check "watcher is ready" guest_inw_wait "$DOM" '^INW-READY$' 20

# Host-side changes: a write, an append and a create.
echo more >>"$W/s0/host-pre.txt"
echo new >"$W/s0/host-new.txt"
echo new >"$W/s1/host-new.txt"
# A guest-side marker afterwards: once it shows, anything the host changes
# raised would have shown too.
sleep 1
guest_exec "$DOM" touch /mnt/share0/marker
check "guest-side touch (create) is seen by the guest watcher" \
	guest_inw_wait "$DOM" '^INW [0-9.]+ /mnt/share0/marker CREATE$' 20
log=$(guest_inw_log "$DOM")
# (host-pre.txt was read by the guest's cat above: OPEN/ACCESS/CLOSE_NOWRITE.)
bad='host-new\.txt|host-pre\.txt (MODIFY|ATTRIB|CLOSE_WRITE|CREATE|DELETE)'
if printf '%s\n' "$log" | grep -Eq "$bad"; then
	not_ok "host-side writes raise no guest inotify event"
	printf '%s\n' "$log" | grep -E "$bad" | sed 's/^/# /'
else
	ok "host-side writes raise no guest inotify event"
fi
guest_exec "$DOM" touch /mnt/share0/host-pre.txt
check "guest-side touch of an existing file gives ATTRIB" \
	guest_inw_wait "$DOM" '^INW [0-9.]+ /mnt/share0/host-pre.txt ATTRIB$' 20
guest_exec "$DOM" sh -c ': >> /srv/app/appended'
check "guest-side append under berth.mount path gives CLOSE_WRITE" \
	guest_inw_wait "$DOM" '^INW [0-9.]+ /srv/app/appended CLOSE_WRITE$' 20
check "guest-side file appears on the host" test -f "$W/s2/appended"

body=
i=0
while [ $i -lt 100 ]; do
	body=$(curl -s --max-time 2 "http://127.0.0.1:$port/") && break
	sleep 0.2
	i=$((i + 1))
done
is "port forward reaches the guest httpd" "$body" \
	"berth test guest $(cut -d' ' -f1 "$GUEST_DIR/key")"

t=$(now)
check "agent shutdown removes the domain" guest_shutdown "$DOM" 30
echo "# shutdown: $(since "$t") s"
GUEST_STARTED=
done_testing
