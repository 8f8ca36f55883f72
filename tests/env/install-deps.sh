#!/bin/sh
# Install what berth needs if it is missing: apt on Debian/Ubuntu (sudo when
# not root), brew on macOS. Idempotent: does nothing when all is there.
# usage: install-deps.sh [build|all]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
what=${1:-all}

if [ "$(uname -s)" = Darwin ]; then
	command -v brew >/dev/null || {
		echo "berth: Homebrew is needed on macOS: https://brew.sh" >&2
		exit 1
	}
	for p in autoconf automake libtool pkg-config ncurses libvirt libyaml \
	    curl jansson libxml2 cmocka qemu tmux clang-format; do
		brew list --formula "$p" >/dev/null 2>&1 || brew install "$p"
	done
	exit 0
fi

command -v apt-get >/dev/null || {
	echo "berth: no apt-get here; install the packages in $here/packages.debian by hand" >&2
	exit 1
}
if [ "$what" = build ]; then
	pkgs=$(sed -n '/^# build/,/^# tests/p' "$here/packages.debian" | grep -v '^#')
else
	pkgs=$(grep -v '^#' "$here/packages.debian")
fi
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "berth: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq $missing >/dev/null
