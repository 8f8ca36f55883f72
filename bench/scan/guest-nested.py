#!/usr/bin/env python3
"""guest-nested.py TREE DOM LOG N LABEL: host change -> guest watcher event.

For N rounds: open a random file at depth >= 5 of TREE for append and
close it without writing, then set its mtime to now (a change berth's
scanner sees; the content stays), and wait until the guest watcher's LOG
(inw, read through the guest agent) has CLOSE_WRITE for the file's guest
path under /mnt/share0. Prints p50/p95/max and how many never came (20 s).
"""
import os
import random
import statistics
import subprocess
import sys
import time

tree, dom, log, n, label = sys.argv[1:6]
n = int(n)
deep = []
for d, _, fs in os.walk(tree):
    if d[len(tree):].count("/") >= 5:
        deep += [os.path.join(d, f) for f in fs]
rnd = random.Random(11 + n)
picks = rnd.sample(deep, n)


def guest_log():
    r = subprocess.run(
        ["sh", "-c", '. "$BERTH_SRCDIR/tests/vm/lib.sh"; guest_exec "$1" cat "$2"',
         "x", dom, log], capture_output=True, text=True)
    return r.stdout


lat, missed = [], 0
for i, p in enumerate(picks):
    time.sleep(rnd.uniform(0.3, 0.8))
    g = "/mnt/share0" + p[len(tree):]
    t0 = time.monotonic()
    with open(p, "a"):
        pass
    os.utime(p)
    seen = None
    while time.monotonic() - t0 < 20:
        if (" %s CLOSE_WRITE" % g) in guest_log():
            seen = time.monotonic()
            break
        time.sleep(0.1)
    if seen is None:
        missed += 1
    else:
        lat.append(seen - t0)
if len(lat) > 1:
    q = statistics.quantiles(lat, n=20)
    print("%s: host change at depth >= 5 -> guest watcher CLOSE_WRITE: n=%d "
          "p50 %.0f ms p95 %.0f ms max %.0f ms missed %d of %d"
          % (label, len(lat), statistics.median(lat) * 1000, q[18] * 1000,
             max(lat) * 1000, missed, n))
else:
    print("%s: host change at depth >= 5 -> guest watcher CLOSE_WRITE: "
          "heard %d, missed %d of %d" % (label, len(lat), missed, n))
