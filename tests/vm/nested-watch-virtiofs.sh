#!/bin/sh
# By hand (not in make check): the same as nested-watch-9p.sh over virtiofs
# (/usr/lib/qemu/virtiofsd): nested events fire and content is fresh.
# Usage: BERTH_SRCDIR=$PWD sh tests/vm/nested-watch-virtiofs.sh
: "${BERTH_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. $BERTH_SRCDIR/tests/lib.sh
. $BERTH_SRCDIR/tests/vm/lib.sh
tcg_or_skip
guest_paths
E=/tmp/expvfs; rm -rf $E; mkdir -p $E/a/sub/deep
echo hi > $E/a/top; echo hi > $E/a/sub/deep/f
GUEST_CMDLINE="berth.inw=flat berth.mount=vfs0:/expv"
guest_domxml expvfs > $E/dom0.xml
python3 - $E <<'PY'
import sys
E=sys.argv[1]
s=open(E+'/dom0.xml').read()
s=s.replace("<devices>","""<memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>
  <devices>
    <filesystem type='mount' accessmode='passthrough'><driver type='virtiofs' queue='1024'/><binary path='/usr/lib/qemu/virtiofsd'/><source dir='%s/a'/><target dir='vfs0'/></filesystem>""" % E,1)
open(E+'/dom.xml','w').write(s)
PY
trap guest_cleanup EXIT
guest_start expvfs $E/dom.xml || exit 1
guest_wait_agent expvfs "" 90 || { echo agent timeout; exit 1; }
echo booted
guest_exec expvfs sh -c 'grep expv /proc/mounts'
guest_exec expvfs sh -c "inw -r /expv > /run/wv.log 2>&1 &"
sleep 2
echo edit >> $E/a/sub/deep/f
sleep 0.5
guest_exec expvfs sh -c "chmod -t /expv/sub/deep/f; : >> /expv/sub/deep/f; chmod -t /expv/top"
sleep 1
guest_exec expvfs sh -c "ls -R /expv >/dev/null; chmod -t /expv/sub/deep/f; : >> /expv/sub/deep/f"
sleep 1
guest_exec expvfs cat /run/wv.log | grep -v ISDIR | head -20
echo "content:"; guest_exec expvfs cat /expv/sub/deep/f
echo edit2 >> $E/a/sub/deep/f; sleep 1.5; echo "content after 2nd host edit:"; guest_exec expvfs cat /expv/sub/deep/f
