#!/bin/sh
# ./quickstart installs what running a VM needs, not only what building
# does (issue 12): its install step, in the dry-run mode that prints the
# packages, covers the commands a VM start runs (libvirtd, virsh, QEMU,
# qemu-img, ssh, ssh-keygen, xorriso), on Debian/Ubuntu and on macOS
# (Homebrew). On this machine each command is checked to come from the
# listed package or one the package depends on, so the table below
# cannot drift from Debian's packaging unnoticed.
. "${BERTH_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

out=$(BERTH_DEPS_DRY_RUN=1 BERTH_DEPS_OS=Linux timeout 120 \
	"$BERTH_SRCDIR/quickstart" </dev/null 2>&1)
is "quickstart's dry run: exit 0" "$?" 0
like "it says what it does about libvirtd" "$out" \
	'^libvirtd: (running|would run: .*libvirtd)'

case $(uname -m) in
aarch64 | arm64) qemu="qemu-system-aarch64 qemu-system-arm" ;;
*) qemu="qemu-system-x86_64 qemu-system-x86" ;;
esac
# command, the package quickstart must install for it
while read -r cmd pkg; do
	if printf '%s\n' "$out" | grep -qx -- "$pkg"; then
		ok "Debian: quickstart installs $pkg ($cmd)"
	else
		not_ok "Debian: quickstart installs $pkg ($cmd)"
		printf '%s\n' "$out" | sed 's/^/# /'
	fi
	path=$(command -v "$cmd" 2>/dev/null) || continue
	command -v dpkg >/dev/null || continue
	from=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | sed 's/:.*//;q')
	[ -n "$from" ] || continue
	deps=$(dpkg-query -W -f='${Depends}' "$pkg" 2>/dev/null |
		tr ',|' '\n\n' | sed 's/^ *//; s/[ :].*//')
	if [ "$from" = "$pkg" ] || printf '%s\n' "$deps" | grep -qx -- "$from"; then
		ok "Debian: $cmd comes with $pkg"
	else
		not_ok "Debian: $cmd comes with $pkg (dpkg says $from)"
	fi
done <<EOF2
libvirtd libvirt-daemon-system
virtlogd libvirt-daemon-system
virsh libvirt-clients
$qemu
qemu-img qemu-utils
ssh openssh-client
ssh-keygen openssh-client
xorriso xorriso
EOF2

out=$(BERTH_DEPS_DRY_RUN=1 BERTH_DEPS_OS=Darwin timeout 120 \
	"$BERTH_SRCDIR/quickstart" </dev/null 2>&1)
is "quickstart's dry run for macOS: exit 0" "$?" 0
like "macOS: it starts Homebrew's libvirt" "$out" \
	'^libvirtd: would run: brew services start libvirt'
like "macOS: pkg-config finds Homebrew's keg-only ncurses and curl" "$out" \
	'^PKG_CONFIG_PATH: .*ncurses curl'
for f in libvirt qemu xorriso cmocka; do
	if printf '%s\n' "$out" | grep -qx -- "$f"; then
		ok "macOS: quickstart installs $f"
	else
		not_ok "macOS: quickstart installs $f"
	fi
done
done_testing
