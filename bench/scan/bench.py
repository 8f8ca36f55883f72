#!/usr/bin/env python3
"""bench.py: berth's polling scanner against its baselines, in one run.

1. One full pass: `berth scan TREE` (snapshot) and `berth scan --full`
   re-check vs `find TREE -printf '%T@ %s %p\\n'`, alternating, medians
   of CPU (user+sys) and wall time.
2. Polling TREE at 1 s: berth (`berth scan -w -i 1s`), fswatch's poll
   monitor (`fswatch -m poll_monitor -l 1 -r`) and chokidar 3
   (usePolling, interval 1000) one after another: CPU over IDLE seconds
   with nothing changing, then detection latency for `touch` (utime to
   now) of random deep files, p50/p95.

Usage: bench.py --berth PATH --tree DIR [--node-dir DIR] [--idle 60]
                [--touches 20] [--passes 5]
Prints a Markdown table. Needs fswatch (Debian package) and, for the
chokidar row, NODE_DIR with node_modules/chokidar (npm install chokidar@3).
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import threading
import time

HZ = os.sysconf("SC_CLK_TCK")


def cpu_of(pid):
    """user+sys seconds of pid and its children that were waited for."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12]) + int(fields[13]) +
            int(fields[14])) / HZ


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0


def timed(cmd):
    """(wall s, cpu s) of one run of cmd, output discarded."""
    t0 = time.monotonic()
    r0 = os.times()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=True)
    r1 = os.times()
    wall = time.monotonic() - t0
    cpu = (r1.children_user - r0.children_user +
           r1.children_system - r0.children_system)
    return wall, cpu


def full_pass(berth, tree, n):
    rows = {"find": [], "snap": [], "full": []}
    for _ in range(n):
        rows["find"].append(timed(["find", tree, "-printf", "%T@ %s %p\\n"]))
        rows["snap"].append(timed([berth, "scan", "--no-default-ignore",
                                   tree]))
    # A re-check pass with the snapshot in memory: --full -w for 3 passes.
    for _ in range(n):
        p = subprocess.Popen([berth, "scan", "--no-default-ignore", "--full",
                              "-w", "-v", "-i", "1s", tree],
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        got = []
        for line in p.stderr:
            if line.startswith("pass:"):
                got.append(float(line.split()[-2]) / 1000)
                if len(got) == 2:
                    break
        p.terminate()
        p.wait()
        rows["full"].append((min(got), None))
    med = {k: (statistics.median(w for w, _ in v),
               statistics.median(c for _, c in v) if v[0][1] is not None
               else None) for k, v in rows.items()}
    return med


class Tool:
    """A watcher subprocess whose output lines are timestamped."""

    def __init__(self, name, cmd, ready_pred, path_of, cwd=None, env=None):
        self.name = name
        self.lines = []
        self.lock = threading.Lock()
        self.ready = threading.Event()
        self.ready_pred = ready_pred
        self.path_of = path_of
        self.t_start = time.monotonic()
        self.p = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True,
                                  cwd=cwd, env=env, bufsize=1)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            now = time.monotonic()
            if self.ready_pred(line):
                self.ready.set()
            path = self.path_of(line)
            if path:
                with self.lock:
                    self.lines.append((now, path))

    def seen_since(self, path, t0):
        with self.lock:
            for t, p in self.lines:
                if t >= t0 and p.endswith(path):
                    return t
        return None

    def stop(self):
        self.p.terminate()
        try:
            self.p.wait(5)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


def deep_files(tree, min_depth=5):
    out = []
    base = tree.rstrip("/").count("/")
    for root, dirs, files in os.walk(tree):
        if root.count("/") - base >= min_depth - 1:
            out.extend(os.path.join(root, f) for f in files)
    return out


def watch_bench(tool, tree, idle, touches, candidates, startup_limit):
    t_ready0 = time.monotonic()
    if not tool.ready.wait(startup_limit):
        tool.stop()
        return None
    startup = time.monotonic() - t_ready0
    time.sleep(3)  # let the first passes settle
    c0, w0 = cpu_of(tool.p.pid), time.monotonic()
    time.sleep(idle)
    c1, w1 = cpu_of(tool.p.pid), time.monotonic()
    rss = rss_mb(tool.p.pid)
    lat = []
    missed = 0
    rnd = random.Random(7)
    for _ in range(touches):
        path = rnd.choice(candidates)
        time.sleep(rnd.uniform(0.3, 1.3))
        t0 = time.monotonic()
        os.utime(path)
        seen = None
        while time.monotonic() - t0 < 10:
            seen = tool.seen_since(os.path.relpath(path, tree), t0)
            if seen:
                break
            time.sleep(0.005)
        if seen:
            lat.append(seen - t0)
        else:
            missed += 1
    tool.stop()
    lat.sort()
    q = statistics.quantiles(lat, n=20) if len(lat) > 1 else [0] * 19
    return {"cpu": (c1 - c0) / (w1 - w0) * 100, "rss": rss,
            "startup": startup, "p50": statistics.median(lat) if lat else 0,
            "p95": q[18], "missed": missed, "n": len(lat)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--berth", required=True)
    ap.add_argument("--tree", required=True)
    ap.add_argument("--node-dir")
    ap.add_argument("--idle", type=int, default=60)
    ap.add_argument("--touches", type=int, default=20)
    ap.add_argument("--passes", type=int, default=5)
    ap.add_argument("--skip", default="", help="comma list: berth,fswatch,"
                    "chokidar,full")
    a = ap.parse_args()
    tree = os.path.realpath(a.tree)
    skip = set(a.skip.split(","))
    nf = sum(len(f) for _, _, f in os.walk(tree))
    nd = sum(len(d) for _, d, _ in os.walk(tree))
    print(f"tree: {tree}, {nf} files in {nd} directories; "
          f"{os.cpu_count()} CPUs; load {os.getloadavg()[0]:.2f}\n")

    if "full" not in skip:
        m = full_pass(a.berth, tree, a.passes)
        print("| one full pass (median of %d) | wall | CPU | ratio to find |"
              % a.passes)
        print("|---|---|---|---|")
        fw, fc = m["find"]
        print(f"| `find -printf '%T@ %s %p\\n'` | {fw*1000:.0f} ms | "
              f"{fc*1000:.0f} ms | 1.00 |")
        sw, sc = m["snap"]
        print(f"| `berth scan` (snapshot, process incl.) | {sw*1000:.0f} ms"
              f" | {sc*1000:.0f} ms | wall {sw/fw:.2f}, CPU {sc/fc:.2f} |")
        uw, _ = m["full"]
        print(f"| berth re-check pass, everything (`--full`) | "
              f"{uw*1000:.0f} ms | - | wall {uw/fw:.2f} |")
        print()

    cands = deep_files(tree)
    rows = []
    berth_ready = lambda l: l.startswith(tree + ":")
    if "berth" not in skip:
        t = Tool("berth (1 s, tiered)",
                 [a.berth, "scan", "--no-default-ignore", "-w", "-i", "1s",
                  tree], berth_ready,
                 lambda l: l.split(" ", 3)[3].strip()
                 if l[:1].isdigit() and len(l.split(" ", 3)) == 4 else None)
        rows.append((t.name, watch_bench(t, tree, a.idle, a.touches, cands,
                                         120)))
    if "fswatch" not in skip:
        t = Tool("fswatch -m poll_monitor -l 1",
                 ["fswatch", "-m", "poll_monitor", "-l", "1", "-r", tree],
                 lambda l: True, lambda l: l.strip())
        # fswatch prints nothing when ready; its first scan ~= find's.
        t.ready.set()
        time.sleep(5)
        rows.append((t.name, watch_bench(t, tree, a.idle, a.touches, cands,
                                         10)))
    if "chokidar" not in skip and a.node_dir:
        js = ("const c=require('chokidar');"
              "const w=c.watch(process.argv[1],{usePolling:true,"
              "interval:1000,binaryInterval:1000,ignoreInitial:true});"
              "w.on('ready',()=>console.log('READY'));"
              "w.on('all',(e,p)=>console.log(e+' '+p));")
        t = Tool("chokidar 3 usePolling 1 s",
                 ["node", "-e", js, tree], lambda l: l.startswith("READY"),
                 lambda l: l.split(" ", 1)[1].strip()
                 if l.startswith("change ") else None, cwd=a.node_dir)
        rows.append((t.name, watch_bench(t, tree, a.idle, a.touches, cands,
                                         300)))
    print(f"| polling at 1 s, {a.idle} s idle, {a.touches} touches | CPU "
          "(% of a core) | RSS | ready after | latency p50 | p95 | missed |")
    print("|---|---|---|---|---|---|---|")
    base = None
    for name, r in rows:
        if r is None:
            print(f"| {name} | did not become ready | | | | | |")
            continue
        if name.startswith("fswatch"):
            base = r
        print(f"| {name} | {r['cpu']:.1f} % | {r['rss']:.0f} MB | "
              f"{r['startup']:.1f} s | {r['p50']*1000:.0f} ms | "
              f"{r['p95']*1000:.0f} ms | {r['missed']} |")
    if base and rows[0][1] and rows[0][0].startswith("berth"):
        b = rows[0][1]
        print(f"\nberth / fswatch: CPU {b['cpu']/base['cpu']:.2f}x, "
              f"p50 {b['p50']/base['p50']:.2f}x, "
              f"p95 {b['p95']/base['p95']:.2f}x")


if __name__ == "__main__":
    main()
