#!/bin/sh
# Build (or find in the cache) a look-alike of Debian 12's "generic" cloud
# image, berth's default, for the first-run test (issue 12): this machine
# cannot reach cloud.debian.org, so the same kind of image is made here
# from Debian's packages. Like the real one it is a partitioned disk (MBR,
# one ext4 root partition from 1 MiB) booted by GRUB from the disk itself
# (no kernel passed from outside), with cloud-init, openssh-server and
# qemu-guest-agent, network by ifupdown + DHCP, no password and no ssh
# key: the guest is usable only through cloud-init. No Docker and nothing
# berth-specific: berth's user-data has to do it all.
#
# The kernel is linux-image-amd64, as in "generic". "genericcloud" differs
# from it only by linux-image-cloud-amd64, which is built without 9p
# (CONFIG_NET_9P is not set in its config-6.1.0-*-cloud-amd64), so berth's
# default 9p shares cannot mount there: that is why berth's default is
# "generic". BERTH_CLOUD_KERNEL=linux-image-cloud-amd64 builds the other.
#
# GRUB goes on without loop devices or grub-install: grub-mkimage (run in
# the rootfs, which has grub-pc-bin as genericcloud has grub-pc) makes a
# core.img with the modules it needs, written to sectors 1.. of the disk,
# and boot.img's first 440 bytes go in the MBR. boot.img loads sector 1 and
# core.img's own first sector loads the rest from sector 2 on: both are the
# images' defaults, which is all grub-bios-setup would patch for a core.img
# in the gap before the first partition. The root filesystem is written at
# its partition's offset by mkfs.ext4 -E offset= -d.
#
# usage: build-cloud-image.sh [-f]      (-f: rebuild even when cached)
# stdout: the directory holding debian-12-generic-amd64.qcow2 and its
# SHA512SUMS (serve both from one URL directory). Progress on stderr.
# Cache: ${BERTH_TEST_CACHE:-/var/cache/berth-test}/cloud-<key>/, keyed on
# this script (which holds the recipe); a second run is instant.
set -eu
cache=${BERTH_TEST_CACHE:-/var/cache/berth-test}
force=
[ "${1:-}" = -f ] && force=1

say() { echo "build-cloud-image: $*" >&2; }
die() {
	say "error: $*"
	exit 1
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

SUITE=bookworm
KERNEL=${BERTH_CLOUD_KERNEL:-linux-image-amd64}
case $KERNEL in
*cloud*) NAME=debian-12-genericcloud-amd64.qcow2 ;;
*) NAME=debian-12-generic-amd64.qcow2 ;;
esac
PKGS=systemd-sysv,udev,dbus,$KERNEL,grub-pc-bin
PKGS=$PKGS,cloud-init,openssh-server,qemu-guest-agent,sudo
PKGS=$PKGS,ifupdown,isc-dhcp-client,iproute2,netbase,ca-certificates
PKGS=$PKGS,e2fsprogs,fdisk,cloud-guest-utils,kmod,less
DISK_MB=2048 # as Debian's genericcloud: 2 GiB
PART_START=2048 # sectors: the first partition at 1 MiB
CMDLINE="root=LABEL=root ro console=tty0 console=ttyS0,115200 consoleblank=0"

t0=$(now)
for c in mmdebstrap mkfs.ext4 qemu-img sha256sum sha512sum flock; do
	command -v "$c" >/dev/null ||
		die "$c is missing: run tests/env/install-deps.sh (packages.debian)"
done
[ "$(id -u)" -eq 0 ] || die "needs root (mmdebstrap's root mode)"
key=$( (cat "$0" && echo "$KERNEL") | sha256sum | cut -c1-16)
out=$cache/cloud-$key
have() { [ -s "$out/$NAME" ] && [ -s "$out/SHA512SUMS" ]; }
if [ -z "$force" ] && have; then
	touch "$out" 2>/dev/null || true
	say "cached $out ($(since "$t0"))"
	echo "$out"
	exit 0
fi

mkdir -p "$cache"
chmod 755 "$cache"
exec 9>"$cache/.lock-cloud"
flock 9
if [ -z "$force" ] && have; then
	say "cached $out (built meanwhile)"
	echo "$out"
	exit 0
fi
tmp=$(mktemp -d "$cache/.tmp-cloud.XXXXXX")
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
say "building cloud image $key ($SUITE: $PKGS)"

# The image's own setup, as Debian's cloud images have it.
cat >"$tmp/customize.sh" <<EOS
set -e
r=\$1
echo localhost >"\$r/etc/hostname"
printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' >"\$r/etc/hosts"
echo 'LABEL=root / ext4 rw,discard,errors=remount-ro 0 1' >"\$r/etc/fstab"
# cloud-init renders the network (eni); until then, DHCP on the first NIC.
mkdir -p "\$r/etc/network/interfaces.d"
printf 'source /etc/network/interfaces.d/*\n\nauto lo\niface lo inet loopback\n' \
	>"\$r/etc/network/interfaces"
# First boot makes these: host keys (cloud-init), machine id (systemd).
rm -f "\$r"/etc/ssh/ssh_host_*
: >"\$r/etc/machine-id"
rm -f "\$r/var/lib/dbus/machine-id"
# Only what a NoCloud/None cloud needs to be probed (genericcloud lists
# more; the others would each be looked for and time out here).
mkdir -p "\$r/etc/cloud/cloud.cfg.d"
echo 'datasource_list: [ NoCloud, ConfigDrive, None ]' \
	>"\$r/etc/cloud/cloud.cfg.d/01_datasources.cfg"
mkdir -p "\$r/boot/grub"
cat >"\$r/boot/grub/grub.cfg" <<'EOG'
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
set timeout=0
search --no-floppy --label --set=root root
linux /vmlinuz $CMDLINE
initrd /initrd.img
boot
EOG
chroot "\$r" grub-mkimage -O i386-pc -o /tmp/core.img \
	-p '(hd0,msdos1)/boot/grub' biosdisk part_msdos ext2 normal linux \
	search search_label configfile serial terminal echo test
mv "\$r/tmp/core.img" "$tmp/core.img"
cp "\$r/usr/lib/grub/i386-pc/boot.img" "$tmp/boot.img"
# mmdebstrap's apt options were for the build only.
rm -f "\$r/etc/apt/apt.conf.d/99mmdebstrap"
rm -rf "\$r/var/lib/apt/lists/"* "\$r/var/cache/apt/"*.bin
EOS

t=$(now)
mmdebstrap --variant=minbase --mode=root \
	--aptopt='Apt::Install-Recommends "false"' \
	--include="$PKGS" \
	--customize-hook="sh $tmp/customize.sh \"\$1\"" \
	"$SUITE" "$tmp/rootfs" >"$tmp/mmdebstrap.log" 2>&1 || {
	tail -20 "$tmp/mmdebstrap.log" >&2
	die "mmdebstrap failed"
}
say "rootfs $(du -sm "$tmp/rootfs" | cut -f1) MB ($(since "$t"))"

t=$(now)
raw=$tmp/disk.raw
truncate -s "${DISK_MB}M" "$raw"
nsect=$((DISK_MB * 2048 - PART_START))
core=$(stat -c %s "$tmp/core.img")
[ "$core" -lt $(((PART_START - 1) * 512)) ] ||
	die "core.img ($core bytes) does not fit before the partition"
# MBR: boot code, one bootable Linux partition, the signature.
le32() {
	printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($1 & 255)) \
		$((($1 >> 8) & 255)) $((($1 >> 16) & 255)) $((($1 >> 24) & 255)))"
}
dd if="$tmp/boot.img" of="$raw" bs=440 count=1 conv=notrunc status=none
{
	printf '\200\376\377\377\203\376\377\377'
	le32 "$PART_START"
	le32 "$nsect"
} | dd of="$raw" bs=1 seek=446 conv=notrunc status=none
printf '\125\252' | dd of="$raw" bs=1 seek=510 conv=notrunc status=none
dd if="$tmp/core.img" of="$raw" bs=512 seek=1 conv=notrunc status=none
mkfs.ext4 -q -F -L root -E offset=$((PART_START * 512)) -d "$tmp/rootfs" \
	"$raw" "$((nsect / 2))k" >&2 || die "mkfs.ext4 -d failed"
rm -rf "$tmp/rootfs"
mkdir -p "$tmp/out"
qemu-img convert -O qcow2 "$raw" "$tmp/out/$NAME" || die "qemu-img convert failed"
rm -f "$raw"
(cd "$tmp/out" && sha512sum "$NAME" >SHA512SUMS)
say "$NAME $(($(du -k "$tmp/out/$NAME" | cut -f1) / 1024)) MB ($(since "$t"))"
echo "$key $SUITE $PKGS built $(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$tmp/out/key"
chmod 755 "$tmp/out"
chmod 644 "$tmp/out/$NAME" "$tmp/out/SHA512SUMS" "$tmp/out/key"
rm -rf "$out"
mv "$tmp/out" "$out"
find "$cache" -mindepth 1 -maxdepth 1 -type d -name 'cloud-*' ! -name "cloud-$key" \
	-mmin +2880 -exec rm -rf {} + 2>/dev/null || true
say "done in $(since "$t0"): $out"
echo "$out"
