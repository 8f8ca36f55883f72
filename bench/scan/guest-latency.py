#!/usr/bin/env python3
"""guest-latency.py SHARE [N]: host change -> in-guest replay latency.

berth's replay raises IN_ATTRIB in the guest with a chmod that keeps the
mode; QEMU's 9p server performs it on the host file, so a host-side
inotify watch sees the replay at the moment the guest's own event fires
(the 9p reply is the only gap). For N rounds: append a line to a random
top-level file of SHARE, wait for that file's IN_ATTRIB on the host, and
print the p50/p95 of the delay. Appending raises no IN_ATTRIB by itself.
"""
import ctypes
import os
import random
import select
import statistics
import struct
import sys
import time

IN_ATTRIB = 0x4
libc = ctypes.CDLL("libc.so.6", use_errno=True)
share = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 30
files = sorted(f for f in os.listdir(share)
               if f.startswith("lat") and os.path.isfile(os.path.join(share, f)))
fd = libc.inotify_init1(os.O_NONBLOCK)
if fd < 0 or libc.inotify_add_watch(fd, share.encode(), IN_ATTRIB) < 0:
    sys.exit("inotify failed")
rnd = random.Random(7)
lat, missed = [], 0
for i in range(n):
    name = rnd.choice(files)
    time.sleep(rnd.uniform(0.5, 1.5))
    try:
        while os.read(fd, 65536):
            pass
    except BlockingIOError:
        pass
    t0 = time.monotonic()
    with open(os.path.join(share, name), "a") as f:
        f.write("change %d\n" % i)
    seen = None
    while seen is None and time.monotonic() - t0 < 15:
        r, _, _ = select.select([fd], [], [], 0.5)
        if not r:
            continue
        buf = os.read(fd, 65536)
        off = 0
        while off < len(buf):
            wd, mask, cookie, ln = struct.unpack_from("iIII", buf, off)
            nm = buf[off + 16:off + 16 + ln].rstrip(b"\0").decode()
            off += 16 + ln
            if mask & IN_ATTRIB and nm == name:
                seen = time.monotonic()
    if seen is None:
        missed += 1
    else:
        lat.append(seen - t0)
q = statistics.quantiles(lat, n=20) if len(lat) > 1 else [0] * 19
print("host change -> guest replay (IN_ATTRIB): n=%d p50 %.0f ms p95 %.0f ms "
      "max %.0f ms missed %d" % (len(lat), statistics.median(lat) * 1000,
                                 q[18] * 1000, max(lat) * 1000, missed))
