#!/bin/sh
# Create the test image berth-busybox:test without any registry: a rootfs
# holding busybox-static and its applet links, tarred and `docker import`ed.
# Idempotent: does nothing when the image exists.
# usage: busybox-image.sh [IMAGE]
set -eu
image=${1:-berth-busybox:test}
docker=${DOCKER:-$(command -v docker)}

if "$docker" image inspect "$image" >/dev/null 2>&1; then
	exit 0
fi
bb=
for p in /bin/busybox /usr/bin/busybox; do
	if [ -x "$p" ] && file "$p" 2>/dev/null | grep -q 'statically linked'; then
		bb=$p
		break
	fi
done
[ -n "$bb" ] || {
	echo "busybox-image: no static busybox (install busybox-static)" >&2
	exit 1
}
root=$(mktemp -d "${TMPDIR:-/tmp}/berth-rootfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/proc" "$root/sys" \
	"$root/dev"
cp "$bb" "$root/bin/busybox"
for a in $("$bb" --list); do
	[ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"
done
echo 'root:x:0:0:root:/:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"
tar -C "$root" -cf - . |
	"$docker" import -c 'CMD ["/bin/sh"]' -c 'ENV PATH=/bin' - "$image" >/dev/null
echo "busybox-image: created $image"
