#!/bin/sh
# By hand (not in make check): does a guest inotify watch on a SUBFOLDER of a
# 9p share fire? Boots the small test guest with three 9p shares mounted
# cache=none, cache=mmap and cache=loose, replays like berth (chmod -t, : >>)
# on a nested file and prints each watcher log. Seen on Linux 6.1: only
# loose fires for nested paths, and loose then serves stale content.
# Usage: BERTH_SRCDIR=$PWD sh tests/vm/nested-watch-9p.sh
: "${BERTH_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. $BERTH_SRCDIR/tests/lib.sh
. $BERTH_SRCDIR/tests/vm/lib.sh
tcg_or_skip
guest_paths
E=/tmp/exp9p; rm -rf $E; mkdir -p $E/a/sub/deep $E/b/sub/deep $E/c/sub/deep
for x in a b c; do echo hi > $E/$x/top; echo hi > $E/$x/sub/deep/f; done
GUEST_CMDLINE="berth.inw=flat"
guest_domxml exp9p $E/a=/expa $E/b=/expb $E/c=/expc > $E/dom.xml
trap guest_cleanup EXIT
guest_start exp9p $E/dom.xml
guest_wait_agent exp9p "" 90 || { echo agent timeout; exit 1; }
echo booted
guest_exec exp9p sh -c 'umount /expb; mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=mmap /expb /expb; umount /expc; mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=loose /expc /expc; grep exp /proc/mounts'
for x in a b c; do
  guest_exec exp9p sh -c "inw -r /exp$x > /run/w$x.log 2>&1 &"
done
sleep 2
# host edits, then a guest-side replay (chmod keeps mode, then : >>)
for x in a b c; do echo edit >> $E/$x/sub/deep/f; done
sleep 0.5
for x in a b c; do guest_exec exp9p sh -c "chmod -t /exp$x/sub/deep/f; : >> /exp$x/sub/deep/f; chmod -t /exp$x/top"; done
sleep 1
# second round (after a walk)
for x in a b c; do guest_exec exp9p sh -c "ls -R /exp$x >/dev/null; chmod -t /exp$x/sub/deep/f; : >> /exp$x/sub/deep/f"; done
sleep 1
for x in a b c; do echo "== $x"; guest_exec exp9p cat /run/w$x.log | grep -v ISDIR | head -20; done
guest_exec exp9p cat /expc/sub/deep/f
