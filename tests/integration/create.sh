#!/bin/sh
# create.sh: `berth create` and `berth delete` on the real qemu:///system
# without booting: the system disk is a qcow2 overlay on the cached base
# (the base stays byte-for-byte pristine when the overlay is written), the
# data disk has vm.disk's size and survives delete unless --data, the
# cloud-init seed is a cidata ISO holding the profile's ssh key, the
# domain gets both as serial-named virtio disks, an interrupted create
# (Ctrl-C during the download) leaves nothing defined and the next create
# resumes, delete confirms, a guest without sshd fails at "booting" naming
# the console log, console-log prints a sanitised tail.
. "$(dirname "$0")/../lib.sh"
. "$BERTH_SRCDIR/tests/vm/lib.sh"

tcg_or_skip
command -v qemu-img >/dev/null || skip_all "qemu-img missing (apt-get install qemu-utils)"
command -v qemu-io >/dev/null || skip_all "qemu-io missing (apt-get install qemu-utils)"
t_home
W=$T_HOME/w
mkdir -p "$W/srv"
P=imgt$$
DOM=berth-$P
T_CLEANUP='guest_virsh destroy $DOM >/dev/null 2>&1; guest_virsh undefine $DOM >/dev/null 2>&1; [ -n "${SRV:-}" ] && kill $SRV 2>/dev/null'
STATE=$T_HOME/state/$P

qemu-img create -q -f qcow2 "$W/base.qcow2" 64M
qemu-io -c "write -P 0x5a 0 1M" "$W/base.qcow2" >/dev/null
base_sum=$(sha256sum <"$W/base.qcow2")
cat >"$T_HOME/config/profiles/$P.yaml" <<EOF2
vm:
  uri: qemu:///system
  image: file://$W/base.qcow2
  disk: 1GiB
  memory: 256MiB
EOF2

out=$("$BERTH" -p "$P" create 2>"$W/err")
is "create exits 0" "$?" 0
is "create prints the domain" "$out" "$DOM: created"
like "create reports the stages with times" "$(tr '\n' '|' <"$W/err")" \
	'^stage downloading +[0-9.]+ s\|stage creating disks +[0-9.]+ s'
is "the domain is defined, shut off" "$(guest_virsh domstate "$DOM" 2>&1)" "shut off"
info=$(qemu-img info --output=json "$STATE/disk.qcow2")
like "system disk is a qcow2 overlay on the base" "$info" \
	"\"backing-filename\": \"$W/base.qcow2\""
like "data disk is vm.disk (1 GiB)" "$(qemu-img info --output=json "$STATE/data.qcow2")" \
	'"virtual-size": 1073741824,'
xml=$(guest_virsh dumpxml "$DOM")
like "domain has the data disk as vdb with serial berth-data" "$xml" \
	"data\.qcow2'/>
 *<target dev='vdb' bus='virtio'/>
 *<serial>berth-data</serial>"
if command -v xorriso >/dev/null; then
	like "domain has the seed as a read-only vdc" "$xml" \
		"seed\.iso'/>
 *<target dev='vdc' bus='virtio'/>
 *<readonly/>"
	like "seed ISO is labelled cidata" \
		"$(xorriso -indev "$STATE/seed.iso" -pvd_info 2>/dev/null)" 'Volume Id *: cidata'
	xorriso -osirrox on -indev "$STATE/seed.iso" -extract /user-data "$W/ud" >/dev/null 2>&1
	pub=$(cut -d' ' -f1-2 "$STATE/ssh/id_ed25519.pub")
	check "seed user-data carries the profile's ssh key" grep -qF "$pub" "$W/ud"
	like "seed user-data sets the hostname to the domain" "$(cat "$W/ud")" "^hostname: \"$DOM\""
	like "seed user-data mounts the data disk on /var/lib/docker" "$(cat "$W/ud")" \
		'LABEL=berth-data, /var/lib/docker'
else
	skip "seed ISO" "no xorriso or genisoimage (apt-get install xorriso)"
fi

# Writes to the overlay never reach the base.
qemu-io -c "write -P 0xab 0 2M" "$STATE/disk.qcow2" >/dev/null
is "base image stays pristine after the overlay is written" \
	"$(sha256sum <"$W/base.qcow2")" "$base_sum"
qemu-io -c "write -P 0xcd 0 64k" "$STATE/data.qcow2" >/dev/null

"$BERTH" -p "$P" create >/dev/null 2>"$W/err"
like "a second create refuses: exists" "$?:$(cat "$W/err")" "^1:berth: .*$DOM already exists"

"$BERTH" -p "$P" delete </dev/null >/dev/null 2>"$W/err"
like "delete without a terminal or --yes refuses" "$?:$(cat "$W/err")" '^1:.*add --yes'
is "refused delete leaves the domain" "$(guest_virsh domstate "$DOM" 2>&1)" "shut off"
if command -v script >/dev/null; then
	out=$(printf 'n\n' | script -qec "'$BERTH' -p $P delete" /dev/null 2>&1)
	like "delete asks on a terminal and says the data disk is kept" "$out" \
		"Delete $DOM \(stopped\) and its system disk\? The data disk is kept"
	is "answering no keeps the domain" "$(guest_virsh domstate "$DOM" 2>&1)" "shut off"
fi
out=$("$BERTH" -p "$P" delete --yes 2>&1)
is "delete --yes" "$out" "$DOM: deleted (data disk kept)"
guest_virsh domstate "$DOM" >/dev/null 2>&1
is "the domain is gone" "$?" 1
is "the system overlay is gone" "$(ls "$STATE" | grep -c '^disk\.')" 0
check "the data disk is kept" test -f "$STATE/data.qcow2"
is "the base image is kept" "$(sha256sum <"$W/base.qcow2")" "$base_sum"

"$BERTH" -p "$P" create >/dev/null 2>&1
is "create again after delete" "$(guest_virsh domstate "$DOM" 2>&1)" "shut off"
check "the kept data disk is reused (its data is there)" \
	sh -c "qemu-io -c 'read -P 0xcd 0 64k' '$STATE/data.qcow2' | grep -q 'read 65536/65536'"
out=$("$BERTH" -p "$P" delete --yes --data 2>&1)
is "delete --data" "$out" "$DOM: deleted"
check "--data removes the data disk" test ! -e "$STATE/data.qcow2"

# Ctrl-C during the download: nothing defined, no disk; the next create
# resumes the .part and finishes.
command -v python3 >/dev/null || { done_testing; exit; }
qemu-img create -q -f qcow2 "$W/srv/big.qcow2" 64M
qemu-io -c "write -P 0x11 0 12M" "$W/srv/big.qcow2" >/dev/null
python3 "$BERTH_SRCDIR/tests/integration/image-httpd.py" "$W/srv" "$W/port" &
SRV=$!
i=0
while [ ! -s "$W/port" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
sum=$(sha256sum <"$W/srv/big.qcow2" | cut -c1-64)
sed -i "s|image: .*|image: http://127.0.0.1:$(cat "$W/port")/slow/big.qcow2\n  image_sha256: $sum|" \
	"$T_HOME/config/profiles/$P.yaml"
# (a background job of a script ignores SIGINT: restore it for berth)
python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' "$BERTH" -p "$P" create >/dev/null 2>&1 &
cp=$!
# Ctrl-C once the download has begun (a fixed 2 s could come before it
# under ASan on a loaded machine: then no .part to keep)
has_part() { [ -n "$(find "$T_HOME/cache" -name '*.part' -size +0 2>/dev/null)" ]; }
wait_until 30 has_part
kill -INT "$cp"
wait "$cp"
is "Ctrl-C during the download: create fails" "$?" 130
guest_virsh domstate "$DOM" >/dev/null 2>&1
is "interrupted create defined nothing" "$?" 1
is "interrupted create made no system disk" "$(ls "$STATE" 2>/dev/null | grep -c '^disk\.qcow2')" 0
part=$(ls "$T_HOME"/cache/images/*.part 2>/dev/null)
check "the partial download is kept" test -s "$part"
"$BERTH" -p "$P" create >/dev/null 2>"$W/err"
is "the next create resumes and succeeds" "$?" 0
is "domain defined after the resumed create" "$(guest_virsh domstate "$DOM" 2>&1)" "shut off"

# A first start that libvirt refuses (the system disk is gone): one line
# naming the stage. Before, the cause was freed twice (create_fail, then
# the exit path): "double free or corruption", abort.
mv "$STATE/disk.qcow2" "$W/disk.away"
out=$("$BERTH" -p "$P" start 2>&1)
like "a first start libvirt refuses fails naming the stage, no crash" \
	"$?:$(printf '%s\n' "$out" | tail -1)" \
	"^1:berth: booting failed after [0-9]+ s: libvirt: starting $DOM: .*disk\.qcow2"
mv "$W/disk.away" "$STATE/disk.qcow2"

# A guest that never gets Docker ready: the tiny test guest boots (kernel
# and initramfs from tests/vm/build-guest.sh) but has no sshd, so booting
# times out, naming the stage and the console log.
check "the profile's ssh key exists before delete" test -s "$STATE/ssh/id_ed25519"
export DOCKER_CONFIG=$T_HOME/docker # the test's own Docker contexts
"$BERTH" -p "$P" context activate >/dev/null 2>&1
check "the profile's Docker context exists before delete" \
	docker context inspect "berth-$P"
"$BERTH" -p "$P" delete --yes --data >/dev/null 2>&1
# --data takes everything: before, the key and the context stayed behind
# (first-run.sh).
check "delete --data leaves no ssh key" test ! -e "$STATE/ssh/id_ed25519"
check "delete --data leaves no Docker context" \
	sh -c "! docker context inspect berth-$P >/dev/null 2>&1"
like "and the current context is the default again" \
	"$(docker context show 2>&1)" '^default$'
if guest_paths 2>/dev/null; then
	cat >"$T_HOME/config/profiles/$P.yaml" <<EOF2
vm:
  uri: qemu:///system
  image: file://$W/base.qcow2
  kernel: $GUEST_KERNEL
  initrd: $GUEST_INITRD
  cmdline: console=ttyS0 quiet
  memory: 256MiB
EOF2
	# No xorriso/genisoimage on PATH: the seed is served over HTTP while
	# the guest boots, the SMBIOS serial pointing cloud-init at it.
	mkdir -p "$W/bin"
	for c in qemu-img ssh-keygen ssh; do ln -sf "$(command -v $c)" "$W/bin/$c"; done
	PATH=$W/bin BERTH_CREATE_TIMEOUT_S=15 "$BERTH" -p "$P" start >/dev/null 2>"$W/err" &
	sp=$!
	ud=
	i=0
	while [ $i -lt 300 ]; do
		if [ -s "$STATE/seed-port" ]; then
			ud=$(curl -s --max-time 2 "http://127.0.0.1:$(cat "$STATE/seed-port")/user-data")
			[ -n "$ud" ] && break
		fi
		sleep 0.1
		i=$((i + 1))
	done
	like "no ISO tool: the seed's user-data is served over HTTP during boot" "$ud" '^#cloud-config'
	is "the seed server answers nothing else" "$(curl -s -o /dev/null -w '%{http_code}' \
		--max-time 2 "http://127.0.0.1:$(cat "$STATE/seed-port")/../etc/passwd")" 404
	like "the domain's SMBIOS serial points cloud-init at it" \
		"$(guest_virsh dumpxml "$DOM")" \
		"<entry name='serial'>ds=nocloud;s=http://10\.0\.2\.2:$(cat "$STATE/seed-port")/</entry>"
	check "no seed ISO then" test ! -e "$STATE/seed.iso"
	wait "$sp"
	rc=$?
	like "no sshd: start fails naming the stage and the console log" \
		"$rc:$(tail -1 "$W/err")" \
		"^1:berth: booting failed after 1[5-9] s: no ssh banner on 127\.0\.0\.1:[0-9]+ \(serial console: .*/console\.log; berth console-log -p $P\)$"
	like "console-log shows the guest's boot" "$("$BERTH" -p "$P" console-log -n 200)" 'INIT-DONE'
	guest_virsh destroy "$DOM" >/dev/null 2>&1
else
	skip "a guest without sshd times out" "tests/vm/build-guest.sh failed"
fi

# A domain berth did not make is never deleted.
F=berth-foreign-$$
T_CLEANUP="guest_virsh undefine $F >/dev/null 2>&1; $T_CLEANUP"
printf "<domain type='qemu'><name>%s</name><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os></domain>\n" "$F" >"$W/foreign.xml"
guest_virsh define "$W/foreign.xml" >/dev/null
printf 'vm:\n  uri: qemu:///system\n  domain: %s\n' "$F" >"$T_HOME/config/profiles/foreign.yaml"
"$BERTH" -p foreign delete --yes --data >/dev/null 2>"$W/err"
like "delete refuses a domain berth did not make" "$?:$(cat "$W/err")" \
	"^1:berth: $F was not made by berth"
is "the foreign domain is still defined" "$(guest_virsh domstate "$F" 2>&1)" "shut off"
guest_virsh undefine "$F" >/dev/null 2>&1

# console-log: the tail, escapes removed.
printf 'one\ntwo\n\033[2Jthree\033]0;x\007\n' >"$STATE/console.log"
is "console-log -n 2 prints the last two lines, sanitised" \
	"$("$BERTH" -p "$P" console-log -n 2 | od -c | grep -c '033')" 0
like "console-log -n 2 text" "$("$BERTH" -p "$P" console-log -n 2 | tr '\n' '|')" '^two\|.*three.*\|$'
"$BERTH" -p "$P" console-log -n x >/dev/null 2>&1
is "console-log -n x is a usage error" "$?" 2
"$BERTH" -p "$P" delete --yes --data >/dev/null 2>&1
done_testing
