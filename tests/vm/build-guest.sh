#!/bin/sh
# Build (or find in the cache) berth's tiny test guest: the uncompressed ELF
# vmlinux of Debian's current linux-image-*-amd64 (QEMU boots it through PVH,
# about 5 s faster under TCG than the bzImage) and an uncompressed cpio
# initramfs with busybox, the virtio/9p modules, qemu-ga with its libraries,
# the static inotify watcher inw and tests/vm/init. Debian packages only.
#
# usage: build-guest.sh [-f]     (-f: rebuild even when cached)
# stdout: the guest directory (holding vmlinux, initrd.cpio, key); progress
# and timings go to stderr. Cache: ${BERTH_TEST_CACHE:-/var/cache/berth-test},
# keyed on the kernel package version, busybox and qemu-ga versions and a
# hash of this script, init and inw.c; a second run is instant.
# Override the kernel with BERTH_GUEST_KERNEL_PKG=linux-image-X-amd64.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cache=${BERTH_TEST_CACHE:-/var/cache/berth-test}
force=
[ "${1:-}" = -f ] && force=1

say() { echo "build-guest: $*" >&2; }
die() {
	say "error: $*"
	exit 1
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

# Modules in load order (each depends only on earlier ones); after
# "optional" come the ones a guest can live without.
MODULES="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev
virtio_pci virtio_console virtio_balloon virtio-rng failover net_failover
virtio_net netfs fscache 9pnet 9pnet_virtio 9p optional fuse virtiofs"

t0=$(now)
for c in apt-get apt-cache dpkg-deb dpkg-query xz cpio gcc file sha256sum \
    flock busybox ldd; do
	command -v "$c" >/dev/null ||
		die "$c is missing: run tests/env/install-deps.sh (packages.debian)"
done
[ -x /usr/sbin/qemu-ga ] ||
	die "/usr/sbin/qemu-ga is missing: apt-get install qemu-guest-agent"
bb=$(command -v busybox)
file -L "$bb" | grep -q 'statically linked' ||
	die "$bb is not static: apt-get install busybox-static"

# The kernel package linux-image-amd64 points at today (no network needed).
kernel_pkg() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n1
}
# apt-cache takes about a second here, so remember its answer until the
# apt lists change.
stamp=$(stat -c '%n %Y %s' /var/lib/apt/lists /var/lib/apt/lists/* \
	2>/dev/null | cksum | cut -d' ' -f1)
memo=$cache/.kernel-pkg
kpkg=${BERTH_GUEST_KERNEL_PKG:-}
kver=
if [ -z "$kpkg" ] && [ -f "$memo" ]; then
	read -r s k v <"$memo" || true
	[ "$s" = "$stamp" ] && kpkg=$k && kver=$v
fi
[ -n "$kpkg" ] || kpkg=$(kernel_pkg)
if [ -z "$kpkg" ]; then
	say "no linux-image-amd64 in the apt lists: running apt-get update"
	apt-get update -qq >&2 || die "apt-get update failed"
	kpkg=$(kernel_pkg)
	[ -n "$kpkg" ] || die "apt knows no linux-image-amd64 (not Debian?)"
fi
[ -n "$kver" ] || kver=$(apt-cache policy "$kpkg" | sed -n 's/^ *Candidate: //p')
[ -n "$kver" ] && [ "$kver" != "(none)" ] || die "no candidate for $kpkg"
if [ -z "${BERTH_GUEST_KERNEL_PKG:-}" ] && mkdir -p "$cache" 2>/dev/null; then
	echo "$stamp $kpkg $kver" >"$memo.$$" && mv "$memo.$$" "$memo"
fi
bbver=$(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null || echo "?")
gaver=$(dpkg-query -W -f='${Version}' qemu-guest-agent 2>/dev/null || echo "?")
key=$({
	echo "$kpkg $kver $bbver $gaver $MODULES"
	cat "$0" "$here/init" "$here/inw.c"
} | sha256sum | cut -c1-16)
out=$cache/guest-$key

if [ -z "$force" ] && [ -s "$out/vmlinux" ] && [ -s "$out/initrd.cpio" ]; then
	touch "$out" 2>/dev/null || true # last use, for the pruning below
	say "cached $out ($(since "$t0"))"
	echo "$out"
	exit 0
fi

mkdir -p "$cache"
chmod 755 "$cache"
# One builder at a time; the loser finds the winner's result.
exec 9>"$cache/.lock-guest"
flock 9
if [ -z "$force" ] && [ -s "$out/vmlinux" ] && [ -s "$out/initrd.cpio" ]; then
	say "cached $out (built meanwhile)"
	echo "$out"
	exit 0
fi

tmp=$(mktemp -d "$cache/.tmp-guest.XXXXXX")
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
say "building guest $key: $kpkg $kver, busybox $bbver, qemu-ga $gaver"

# 1. Kernel: vmlinux and the modules, cached per kernel version.
kdir=$cache/kernel-$kpkg-$kver
if [ ! -s "$kdir/vmlinux" ] || [ ! -f "$kdir/modules.ok" ]; then
	t=$(now)
	rm -rf "$kdir"
	mkdir -p "$tmp/deb" "$tmp/kx"
	chmod 777 "$tmp/deb" # apt's _apt user downloads into it
	(cd "$tmp/deb" && apt-get download "$kpkg=$kver" >&2) ||
		die "apt-get download $kpkg=$kver failed"
	say "downloaded $kpkg ($(since "$t"))"
	t=$(now)
	pats="./boot/vmlinuz-*"
	for m in $MODULES; do
		[ "$m" = optional ] || pats="$pats */$m.ko"
	done
	# shellcheck disable=SC2086
	dpkg-deb --fsys-tarfile "$tmp"/deb/*.deb |
		tar -x -C "$tmp/kx" --wildcards $pats ||
		die "cannot unpack $kpkg"
	vmlinuz=$(ls "$tmp"/kx/boot/vmlinuz-*)
	# The bzImage carries an XZ stream whose content is the ELF vmlinux.
	off=$(LC_ALL=C grep -abo "$(printf '\375')7zXZ" "$vmlinuz" |
		head -n1 | cut -d: -f1)
	[ -n "$off" ] || die "no XZ payload in $vmlinuz"
	tail -c +$((off + 1)) "$vmlinuz" | xz -dc 2>/dev/null >"$tmp/vmlinux" ||
		true # "trailing garbage" after the stream is expected
	file "$tmp/vmlinux" | grep -q 'ELF 64-bit' ||
		die "extracting vmlinux from $vmlinuz failed"
	mkdir -p "$tmp/kmod"
	find "$tmp/kx/lib/modules" -name '*.ko' -exec cp {} "$tmp/kmod/" \;
	mkdir -p "$kdir.new"
	mv "$tmp/vmlinux" "$kdir.new/vmlinux"
	mv "$tmp/kmod" "$kdir.new/modules"
	touch "$kdir.new/modules.ok"
	rm -rf "$kdir" && mv "$kdir.new" "$kdir"
	rm -rf "$tmp/deb" "$tmp/kx"
	say "extracted vmlinux and modules ($(since "$t"))"
fi

# 2. The watcher.
t=$(now)
r=$tmp/root
mkdir -p "$r"
gcc -static -Os -s -o "$tmp/inw" "$here/inw.c" || die "cannot build inw"
say "built inw ($(since "$t"))"

# 3. The initramfs tree.
t=$(now)
cd "$r"
mkdir -p bin sbin usr/bin usr/sbin etc/udhcpc lib/modules dev proc sys run \
	tmp www mnt root var
chmod 1777 tmp
ln -s ../run var/run
cp "$bb" bin/busybox
for a in $(bin/busybox --list-full); do
	[ -e "$a" ] || ln -s /bin/busybox "$a"
done
cp "$tmp/inw" bin/inw
install -m 755 "$here/init" init

# Modules: check each one's depends= against what loads before it.
order=
loaded=" "
for m in $MODULES; do
	order="$order $m"
	if [ "$m" = optional ]; then
		opt=1
		continue
	fi
	ko=$kdir/modules/$m.ko
	if [ ! -f "$ko" ]; then
		[ -n "${opt:-}" ] && continue
		die "$kpkg has no $m.ko"
	fi
	deps=$(strings -a "$ko" 2>/dev/null | sed -n 's/^depends=//p' | tr , ' ')
	for d in $deps; do
		case "$loaded" in
		*" $d "* | *" $(echo "$d" | tr _ -) "* | *" $(echo "$d" | tr - _) "*) ;;
		*) die "$m needs $d, which is not loaded before it" ;;
		esac
	done
	cp "$ko" lib/modules/
	loaded="$loaded$m "
done
echo "$order" | tr ' ' '\n' | grep . >lib/modules/ORDER

# qemu-ga and every library it links, at the same paths.
cp /usr/sbin/qemu-ga usr/sbin/qemu-ga
for lib in $(ldd /usr/sbin/qemu-ga | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p;
    s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p'); do
	mkdir -p ".$(dirname "$lib")"
	cp -L "$lib" ".$lib"
done

cat >etc/udhcpc/default.script <<'EOF'
#!/bin/sh
# udhcpc hook: configure the interface from the lease.
case "$1" in
deconfig)
	ip link set "$interface" up
	ip addr flush dev "$interface"
	;;
bound | renew)
	ip addr replace "$ip/${mask:-24}" dev "$interface"
	[ -n "${router:-}" ] && ip route replace default via "${router%% *}" dev "$interface"
	[ -n "${dns:-}" ] && for d in $dns; do echo "nameserver $d"; done >/etc/resolv.conf
	;;
esac
exit 0
EOF
chmod 755 etc/udhcpc/default.script
rm -f sbin/shutdown
cat >sbin/shutdown <<'EOF'
#!/bin/sh
# qemu-ga's guest-shutdown runs "shutdown -h|-r|-H -P +0 MSG".
sync
case " $* " in
*" -r "*) exec reboot -f ;;
*) exec poweroff -f ;;
esac
EOF
chmod 755 sbin/shutdown
echo 'root:x:0:0:root:/root:/bin/sh' >etc/passwd
echo 'root:x:0:' >etc/group
cat >etc/os-release <<EOF
NAME="berth test guest"
ID=berth-test-guest
PRETTY_NAME="berth test guest ($kpkg, busybox $bbver)"
VERSION_ID=$key
EOF
echo "berth test guest $key" >www/index.html
mknod -m 600 dev/console c 5 1 2>/dev/null || true
mknod -m 666 dev/null c 1 3 2>/dev/null || true
say "initramfs tree ($(since "$t"))"

t=$(now)
find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet >"$tmp/initrd.cpio" ||
	die "cpio failed"
cd /
mkdir -p "$tmp/out"
ln "$kdir/vmlinux" "$tmp/out/vmlinux" 2>/dev/null ||
	cp "$kdir/vmlinux" "$tmp/out/vmlinux"
mv "$tmp/initrd.cpio" "$tmp/out/initrd.cpio"
echo "$key $kpkg $kver busybox=$bbver qemu-ga=$gaver" >"$tmp/out/key"
chmod 755 "$tmp/out"
chmod 644 "$tmp/out/initrd.cpio" "$tmp/out/key" "$kdir/vmlinux"
rm -rf "$out"
mv "$tmp/out" "$out"
say "initrd.cpio $(($(wc -c <"$out/initrd.cpio") / 1024)) KiB ($(since "$t"))"
# Other versions unused for two days go (they are big; a guest in use
# keeps its open files).
find "$cache" -mindepth 1 -maxdepth 1 -type d -name 'guest-*' ! -name "guest-$key" \
	-mmin +2880 -exec rm -rf {} + 2>/dev/null || true
say "done in $(since "$t0"): $out"
echo "$out"
