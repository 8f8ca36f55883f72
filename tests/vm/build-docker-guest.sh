#!/bin/sh
# Build (or find in the cache) berth's Docker-ready test guest (issue 8):
# a Debian bookworm root filesystem made with mmdebstrap from Debian
# packages (systemd, the stock kernel, docker.io, qemu-guest-agent,
# openssh-server), turned into an ext4 qcow2 disk, plus the kernel and a
# small initrd for direct kernel boot and an ssh key for root. Recipe and
# timings: /work/shared/notes/docker-vm.md and tests/vm/README.md.
#
# usage: build-docker-guest.sh [-f]      (-f: rebuild even when cached)
# stdout: the guest directory, holding disk.qcow2 (the base: give each boot
# its own overlay), vmlinux (PVH ELF, when it could be extracted), vmlinuz,
# initrd.img, cmdline (kernel arguments), id_ed25519(.pub) for root, key.
# Progress and timings go to stderr. Cache:
# ${BERTH_TEST_CACHE:-/var/cache/berth-test}/docker-<key>/, keyed on this
# script (which holds the package list); a second run is instant.
set -eu
cache=${BERTH_TEST_CACHE:-/var/cache/berth-test}
force=
[ "${1:-}" = -f ] && force=1

say() { echo "build-docker-guest: $*" >&2; }
die() {
	say "error: $*"
	exit 1
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

SUITE=bookworm
PKGS=systemd-sysv,udev,dbus,linux-image-amd64,docker.io,qemu-guest-agent
PKGS=$PKGS,openssh-server,iproute2,ca-certificates,iptables,kmod
DISK_SIZE=8G
CMDLINE="root=/dev/vda rw console=ttyS0 apparmor=0 quiet"

t0=$(now)
for c in mmdebstrap mkfs.ext4 qemu-img ssh-keygen flock sha256sum xz file; do
	command -v "$c" >/dev/null ||
		die "$c is missing: run tests/env/install-deps.sh (packages.debian)"
done
[ "$(id -u)" -eq 0 ] || die "needs root (mmdebstrap's root mode)"
key=$(sha256sum <"$0" | cut -c1-16)
out=$cache/docker-$key
have() {
	for f in disk.qcow2 vmlinuz initrd.img id_ed25519 cmdline; do
		[ -s "$out/$f" ] || return 1
	done
}
if [ -z "$force" ] && have; then
	touch "$out" 2>/dev/null || true # last use, for the pruning below
	say "cached $out ($(since "$t0"))"
	echo "$out"
	exit 0
fi

mkdir -p "$cache"
chmod 755 "$cache"
exec 9>"$cache/.lock-docker"
flock 9
if [ -z "$force" ] && have; then
	say "cached $out (built meanwhile)"
	echo "$out"
	exit 0
fi
tmp=$(mktemp -d "$cache/.tmp-docker.XXXXXX")
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
say "building Docker guest $key ($SUITE: $PKGS)"

ssh-keygen -q -t ed25519 -N '' -C berth-test-docker-guest -f "$tmp/id_ed25519"

# Before the kernel is installed: a small initrd with just what a virtio
# disk boot needs (35 MB -> 6 MB, about 7 s faster under TCG).
cat >"$tmp/essential.sh" <<'EOF'
set -e
r=$1
mkdir -p "$r/etc/initramfs-tools/conf.d" "$r/usr/share/initramfs-tools/modules.d"
printf 'MODULES=list\nCOMPRESS=gzip\n' >"$r/etc/initramfs-tools/conf.d/berth"
printf 'virtio_pci\nvirtio_blk\next4\ncrc32c_generic\n' \
	>"$r/usr/share/initramfs-tools/modules.d/berth"
EOF

# The guest's own setup: network, ssh key, CPU onlining, shares, services.
cat >"$tmp/customize.sh" <<'EOF'
set -e
r=$1
keyfile=$2
echo berth-docker >"$r/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 berth-docker\n::1 localhost\n' >"$r/etc/hosts"
echo '/dev/vda / ext4 rw,errors=remount-ro 0 1' >"$r/etc/fstab"
mkdir -p "$r/root/.ssh"
chmod 700 "$r/root/.ssh"
cp "$keyfile" "$r/root/.ssh/authorized_keys"
chmod 600 "$r/root/.ssh/authorized_keys"
chroot "$r" passwd -d root >/dev/null   # console login for debugging only
mkdir -p "$r/etc/systemd/network"
printf '[Match]\nName=en* eth*\n\n[Network]\nDHCP=ipv4\n' \
	>"$r/etc/systemd/network/10-dhcp.network"
rm -f "$r/etc/resolv.conf"
echo 'nameserver 10.0.2.3' >"$r/etc/resolv.conf"
# Hot-plugged vCPUs come up offline unless something onlines them.
echo 'SUBSYSTEM=="cpu", ACTION=="add", TEST=="online", ATTR{online}=="0", ATTR{online}="1"' \
	>"$r/etc/udev/rules.d/80-berth-cpu-online.rules"
mkdir -p "$r/etc/sysctl.d"
echo 'fs.inotify.max_user_watches = 524288' >"$r/etc/sysctl.d/90-berth.conf"
# 9p shares: the same convention as the small guest (tests/vm/README.md).
cat >"$r/usr/local/sbin/berth-mounts" <<'EOS'
#!/bin/sh
# Mount every 9p tag: berth.mount=TAG:/path on the kernel command line, a
# tag that is an absolute path at that path, any other at /mnt/TAG.
modprobe 9pnet_virtio 2>/dev/null
modprobe 9p 2>/dev/null
: >/run/berth-mounts
cmdline=$(cat /proc/cmdline)
place() {
	for w in $cmdline; do
		case $w in berth.mount="$1":*) echo "${w#berth.mount=$1:}"; return ;; esac
	done
	case $1 in /*) echo "$1" ;; *) echo "/mnt/$1" ;; esac
}
for f in /sys/bus/virtio/drivers/9pnet_virtio/*/mount_tag; do
	[ -e "$f" ] || continue
	tag=$(tr -d '\000\n' <"$f")
	p=$(place "$tag")
	mkdir -p "$p"
	mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 "$tag" "$p" &&
		echo "$tag $p 9p" >>/run/berth-mounts
done
exit 0
EOS
chmod 755 "$r/usr/local/sbin/berth-mounts"
cat >"$r/etc/systemd/system/berth-mounts.service" <<'EOS'
[Unit]
Description=Mount berth's 9p shares
DefaultDependencies=no
After=local-fs.target
Before=docker.service containerd.service
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/berth-mounts
[Install]
WantedBy=multi-user.target
EOS
chroot "$r" systemctl enable systemd-networkd ssh docker containerd \
	berth-mounts.service
rm -rf "$r/var/lib/apt/lists/"* "$r/var/cache/apt/"*.bin
EOF

t=$(now)
mmdebstrap --variant=minbase --mode=root \
	--aptopt='Apt::Install-Recommends "false"' \
	--dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/doc/*' \
	--dpkgopt='path-include=/usr/share/doc/*/copyright' \
	--dpkgopt='path-exclude=/usr/share/locale/*' \
	--include="$PKGS" \
	--essential-hook="sh $tmp/essential.sh \"\$1\"" \
	--customize-hook="sh $tmp/customize.sh \"\$1\" $tmp/id_ed25519.pub" \
	"$SUITE" "$tmp/rootfs" >"$tmp/mmdebstrap.log" 2>&1 || {
	tail -20 "$tmp/mmdebstrap.log" >&2
	die "mmdebstrap failed"
}
say "rootfs $(du -sm "$tmp/rootfs" | cut -f1) MB ($(since "$t"))"

mkdir -p "$tmp/out"
cp -L "$tmp/rootfs/vmlinuz" "$tmp/out/vmlinuz" || die "no /vmlinuz in the rootfs"
cp -L "$tmp/rootfs/initrd.img" "$tmp/out/initrd.img" ||
	die "no /initrd.img in the rootfs"
# The ELF inside the bzImage boots through PVH, skipping the in-guest XZ
# decompression (as for the small guest); vmlinuz stays as the fallback.
off=$(LC_ALL=C grep -abo "$(printf '\375')7zXZ" "$tmp/out/vmlinuz" |
	head -n1 | cut -d: -f1)
if [ -n "$off" ]; then
	tail -c +$((off + 1)) "$tmp/out/vmlinuz" | xz -dc 2>/dev/null \
		>"$tmp/out/vmlinux" || true
	file "$tmp/out/vmlinux" | grep -q 'ELF 64-bit' || rm -f "$tmp/out/vmlinux"
fi
[ -s "$tmp/out/vmlinux" ] && chmod 644 "$tmp/out/vmlinux"

t=$(now)
mkfs.ext4 -q -F -L berth-root -d "$tmp/rootfs" "$tmp/disk.raw" "$DISK_SIZE" >&2 ||
	die "mkfs.ext4 -d failed"
rm -rf "$tmp/rootfs"
qemu-img convert -O qcow2 "$tmp/disk.raw" "$tmp/out/disk.qcow2" ||
	die "qemu-img convert failed"
rm -f "$tmp/disk.raw"
say "disk.qcow2 $(($(du -k "$tmp/out/disk.qcow2" | cut -f1) / 1024)) MB ($(since "$t"))"

mv "$tmp/id_ed25519" "$tmp/id_ed25519.pub" "$tmp/out/"
echo "$CMDLINE" >"$tmp/out/cmdline"
echo "$key $SUITE $PKGS built $(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$tmp/out/key"
chmod 755 "$tmp/out"
chmod 644 "$tmp/out/disk.qcow2" "$tmp/out/vmlinuz" "$tmp/out/initrd.img" \
	"$tmp/out/cmdline" "$tmp/out/key" "$tmp/out/id_ed25519.pub"
chmod 600 "$tmp/out/id_ed25519"
rm -rf "$out"
mv "$tmp/out" "$out"
# Other versions unused for two days go (they are big; a guest in use
# keeps its open files).
find "$cache" -mindepth 1 -maxdepth 1 -type d -name 'docker-*' ! -name "docker-$key" \
	-mmin +2880 -exec rm -rf {} + 2>/dev/null || true
say "done in $(since "$t0"): $out"
echo "$out"
