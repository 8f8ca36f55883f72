#!/usr/bin/env python3
"""bench.py: berth's polling scanner against fswatch's poll monitor, in one run.

1. One full pass: `berth scan TREE` (snapshot) and `berth scan --full`
   re-check vs `find TREE -printf '%T@ %s %p\\n'`, alternating, medians
   of CPU (user+sys) and wall time (skip with --skip full).
2. Polling TREE at 1 s, INTERLEAVED: each round runs fswatch
   (`fswatch -m poll_monitor -l 1 -r`) and every berth setting one after
   the other (the order rotates from round to round), and each run
   measures CPU over IDLE seconds with nothing changing, then the
   detection latency of TOUCHES `touch`es (utime to now) of random files
   at depth >= 5: the time from the utime to the line naming the file.
   All tools of a round touch the same files at the same spacing. The
   summary gives, per setting, the median figures and the min/median/max
   of the berth/fswatch RATIO of the same round, with the load average
   (1 min) at the start of each run beside them.
3. --scale TREE,TREE,...: ROUNDS interleaved runs of berth's first setting
   (with -v, for the cold period its CPU budget settles on) and fswatch on
   each tree (how the cost grows with the tree); --skip rounds leaves out
   part 2.

Usage: bench.py --berth PATH --tree DIR [--setting 'NAME=ARGS']...
                [--rounds 2] [--idle 20] [--touches 30] [--passes 3]
                [--skip full,chokidar] [--node-dir DIR] [--scale T1,T2]
ARGS are `berth scan -w` options (default setting: 'default=-i 1s'); a
setting whose ARGS start with '@PATH ' runs the berth binary at PATH
(to compare with a build of main in the same run). Needs fswatch
(Debian package); for a chokidar row, NODE_DIR with
node_modules/chokidar (npm install chokidar@3).
"""

import argparse
import re
import os
import random
import statistics
import subprocess
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


def load1():
    return os.getloadavg()[0]


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
    # A re-check pass with the snapshot in memory: --full -w, 2 passes.
    for _ in range(n):
        p = subprocess.Popen([berth, "scan", "--no-default-ignore", "--full",
                              "-w", "-v", "-i", "1s", tree],
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        got = []
        for line in p.stderr:
            if line.startswith("pass:"):
                got.append(float(re.search(r"stats, ([\d.]+) ms",
                                           line).group(1)) / 1000)
                if len(got) == 2:
                    break
        p.terminate()
        p.wait()
        rows["full"].append((min(got), None))
    return {k: (statistics.median(w for w, _ in v),
                statistics.median(c for _, c in v) if v[0][1] is not None
                else None) for k, v in rows.items()}


class Tool:
    """A watcher subprocess whose output lines are timestamped."""

    def __init__(self, cmd, ready_pred, path_of, cwd=None):
        self.lines = []
        self.colds = []  # (time, ms) of berth -v's "cold N ms"
        self.lock = threading.Lock()
        self.ready = threading.Event()
        self.ready_pred = ready_pred
        self.path_of = path_of
        self.p = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True,
                                  cwd=cwd, bufsize=1)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            now = time.monotonic()
            if self.ready_pred(line):
                self.ready.set()
            if line.startswith("pass:"):
                m = re.search(r"cold (\d+) ms", line)
                if m:
                    with self.lock:
                        self.colds.append((now, int(m.group(1))))
            path = self.path_of(line)
            if path:
                with self.lock:
                    self.lines.append((now, path))

    def colds_since(self, t0):
        with self.lock:
            return [c for t, c in self.colds if t >= t0]

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
        dirs.sort()
        if root.count("/") - base >= min_depth - 1:
            out.extend(os.path.join(root, f) for f in sorted(files))
    return out


def start_tool(kind, arg, tree, node_dir):
    """A started Tool for a setting: ('berth', (binary, args)),
    ('fswatch', None) or ('chokidar', None)."""
    if kind == "berth":
        binary, args = arg
        return Tool([binary, "scan", "--no-default-ignore", "-w"] + args +
                    [tree], lambda l: l.startswith(tree + ":"),
                    lambda l: l.split(" ", 3)[3].strip()
                    if l[:1].isdigit() and len(l.split(" ", 3)) == 4
                    else None)
    if kind == "fswatch":
        t = Tool(["fswatch", "-m", "poll_monitor", "-l", "1", "-r", tree],
                 lambda l: True, lambda l: l.strip())
        t.ready.set()  # it prints nothing when ready: settle() waits
        return t
    js = ("const c=require('chokidar');"
          "const w=c.watch(process.argv[1],{usePolling:true,"
          "interval:1000,binaryInterval:1000,ignoreInitial:true});"
          "w.on('ready',()=>console.log('READY'));"
          "w.on('all',(e,p)=>console.log(e+' '+p));")
    return Tool(["node", "-e", js, tree], lambda l: l.startswith("READY"),
                lambda l: l.split(" ", 1)[1].strip()
                if l.startswith("change ") else None, cwd=node_dir)


def one_run(kind, arg, tree, node_dir, idle, touches, cands, seed, nfiles):
    load = load1()
    t_ready0 = time.monotonic()
    tool = start_tool(kind, arg, tree, node_dir)
    if not tool.ready.wait(300):
        tool.stop()
        return None
    startup = time.monotonic() - t_ready0
    # fswatch's first scan is silent: give it about what find needs.
    time.sleep(3 + (max(2, nfiles / 25000) if kind == "fswatch" else 0))
    c0, w0 = cpu_of(tool.p.pid), time.monotonic()
    t_measure = w0
    time.sleep(idle)
    c1, w1 = cpu_of(tool.p.pid), time.monotonic()
    rss = rss_mb(tool.p.pid)
    lat = []
    missed = 0
    rnd = random.Random(seed)
    for _ in range(touches):
        path = rnd.choice(cands)
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
    colds = tool.colds_since(t_measure)
    tool.stop()
    lat.sort()
    q = (statistics.quantiles(lat, n=20, method="inclusive")
         if len(lat) > 1 else [0] * 19)
    return {"cpu": (c1 - c0) / (w1 - w0) * 100, "rss": rss,
            "startup": startup, "p50": statistics.median(lat) if lat else 0,
            "p95": q[18], "max": lat[-1] if lat else 0, "missed": missed,
            "load": load, "load_end": load1(),
            "cold": (min(colds), max(colds)) if colds else None}


def tree_size(tree):
    nf = nd = 0
    for _, d, f in os.walk(tree):
        nf += len(f)
        nd += len(d)
    return nf, nd


def mmm(v, fmt):
    """min / median / max of v."""
    if not v:
        return "-"
    return "/".join(fmt % x for x in (min(v), statistics.median(v), max(v)))


def parse_setting(s, default_berth):
    name, _, args = s.partition("=")
    args = args.split()
    binary = default_berth
    if args and args[0].startswith("@"):
        binary = args.pop(0)[1:]
    return name.strip(), (binary, args)


def rounds_bench(a, tree, settings, nfiles):
    tools = [("fswatch -m poll_monitor -l 1", "fswatch", None)]
    tools += [(f"berth {n}", "berth", arg) for n, arg in settings]
    if "chokidar" not in a.skip and a.node_dir:
        tools.append(("chokidar 3 usePolling 1 s", "chokidar", None))
    cands = deep_files(tree)
    res = {name: [] for name, _, _ in tools}
    print(f"| round | tool | load | CPU | p50 | p95 | max | missed |")
    print("|---|---|---|---|---|---|---|---|")
    for r in range(a.rounds):
        k = r % len(tools)
        for name, kind, arg in tools[k:] + tools[:k]:
            x = one_run(kind, arg, tree, a.node_dir, a.idle, a.touches,
                        cands, 1000 + r, nfiles)
            res[name].append(x)
            if x is None:
                print(f"| {r + 1} | {name} | not ready | | | | | |",
                      flush=True)
                continue
            print(f"| {r + 1} | {name} | {x['load']:.2f}-"
                  f"{x['load_end']:.2f} | {x['cpu']:.1f} % | "
                  f"{x['p50'] * 1000:.0f} ms | {x['p95'] * 1000:.0f} ms | "
                  f"{x['max'] * 1000:.0f} ms | {x['missed']} |", flush=True)
    base = res[tools[0][0]]
    print(f"\n{a.rounds} rounds, {a.idle} s idle + {a.touches} touches per "
          "run; medians over rounds; ratios to fswatch of the same round "
          "as min/median/max:\n")
    print("| setting | CPU | p50 | p95 | max | missed | CPU ratio | "
          "p50 ratio | p95 ratio | load |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, _, _ in tools:
        ok = [(x, b) for x, b in zip(res[name], base) if x and b]
        if not ok:
            print(f"| {name} | no run became ready | | | | | | | | |")
            continue
        xs = [x for x, _ in ok]
        med = {k: statistics.median(x[k] for x in xs)
               for k in ("cpu", "p50", "p95")}
        loads = [x["load"] for x in xs] + [x["load_end"] for x in xs]
        rat = {k: [x[k] / b[k] for x, b in ok if b[k] > 0]
               for k in ("cpu", "p50", "p95")}
        print(f"| {name} | {med['cpu']:.1f} % | {med['p50'] * 1000:.0f} ms"
              f" | {med['p95'] * 1000:.0f} ms | "
              f"{max(x['max'] for x in xs) * 1000:.0f} ms | "
              f"{sum(x['missed'] for x in xs)} | "
              f"{mmm(rat['cpu'], '%.2f')} | {mmm(rat['p50'], '%.2f')} | "
              f"{mmm(rat['p95'], '%.2f')} | "
              f"{min(loads):.1f}-{max(loads):.1f} |", flush=True)


def scale_bench(a, trees, setting):
    """Per tree, ROUNDS interleaved runs of berth's setting and fswatch
    (berth first in odd rounds, fswatch first in even ones). berth runs
    with -v so its pass lines say the cold period its CPU budget settled
    on (stderr lines, a few per second: nothing beside a pass's cost)."""
    binary, args = setting
    setting = (binary, args + ["-v"])
    print("| files | round | tool | load | CPU | p50 | p95 | max | missed "
          "| cold period |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    summary = []
    for tree in trees:
        tree = os.path.realpath(tree)
        nf, _ = tree_size(tree)
        cands = deep_files(tree)
        snap, _ = timed([binary, "scan", "--no-default-ignore", tree])
        pairs = []
        for r in range(a.rounds):
            order = ["berth", "fswatch"] if r % 2 == 0 else \
                ["fswatch", "berth"]
            got = {}
            for kind in order:
                x = one_run(kind, setting if kind == "berth" else None,
                            tree, None, a.idle, a.touches, cands, 7 + r, nf)
                got[kind] = x
                if x is None:
                    print(f"| {nf:,} | {r + 1} | {kind} | not ready | | | "
                          "| | | |", flush=True)
                    continue
                cold = (f"{x['cold'][0]}-{x['cold'][1]} ms"
                        if x["cold"] and x["cold"][0] != x["cold"][1]
                        else f"{x['cold'][0]} ms" if x["cold"] else "")
                print(f"| {nf:,} | {r + 1} | {kind} | {x['load']:.2f}-"
                      f"{x['load_end']:.2f} | {x['cpu']:.1f} % | "
                      f"{x['p50'] * 1000:.0f} ms | {x['p95'] * 1000:.0f} ms"
                      f" | {x['max'] * 1000:.0f} ms | {x['missed']} | "
                      f"{cold} |", flush=True)
            if got["berth"] and got["fswatch"]:
                pairs.append((got["berth"], got["fswatch"]))
        summary.append((nf, snap, pairs))
    print(f"\n{a.rounds} interleaved rounds per tree, {a.idle} s idle + "
          f"{a.touches} touches per run; medians over rounds; ratios "
          "berth/fswatch of the same round as min/median/max:\n")
    print("| files | berth CPU | fswatch CPU | CPU ratio | berth p50 / p95 "
          "| fswatch p50 / p95 | p50 ratio | p95 ratio | berth cold period "
          "| berth snapshot | load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for nf, snap, pairs in summary:
        if not pairs:
            print(f"| {nf:,} | not ready | | | | | | | | | |")
            continue
        med = {(w, k): statistics.median(p[i][k] for p in pairs)
               for i, w in enumerate(("b", "f"))
               for k in ("cpu", "p50", "p95")}
        rat = {k: [b[k] / f[k] for b, f in pairs if f[k] > 0]
               for k in ("cpu", "p50", "p95")}
        colds = [c for b, _ in pairs if b["cold"] for c in b["cold"]]
        cold = (f"{min(colds)}-{max(colds)} ms" if colds and
                min(colds) != max(colds) else
                f"{colds[0]} ms" if colds else "-")
        loads = [x[k] for p in pairs for x in p for k in ("load", "load_end")]
        print(f"| {nf:,} | {med['b', 'cpu']:.1f} % | {med['f', 'cpu']:.1f} %"
              f" | {mmm(rat['cpu'], '%.2f')} | {med['b', 'p50'] * 1000:.0f}"
              f" / {med['b', 'p95'] * 1000:.0f} ms | "
              f"{med['f', 'p50'] * 1000:.0f} / {med['f', 'p95'] * 1000:.0f}"
              f" ms | {mmm(rat['p50'], '%.2f')} | {mmm(rat['p95'], '%.2f')}"
              f" | {cold} | {snap:.2f} s | {min(loads):.1f}-"
              f"{max(loads):.1f} |", flush=True)


STAT_EVENTS = ",".join("syscalls:sys_enter_" + n for n in
                       ("newfstatat", "newlstat", "newstat", "statx"))


def stat_cost(cmd, secs):
    """(CPU us per stat call, stat calls per s) of a running poller, from
    its utime+stime and perf's count of its stat system calls."""
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    time.sleep(5)  # past the snapshot
    c0 = cpu_of(p.pid)
    r = subprocess.run(["perf", "stat", "-x,", "-e", STAT_EVENTS, "-p",
                        str(p.pid), "--", "sleep", str(secs)],
                       capture_output=True, text=True)
    c1 = cpu_of(p.pid)
    p.terminate()
    p.wait()
    n = sum(int(l.split(",")[0]) for l in r.stderr.splitlines()
            if l and l.split(",")[0].isdigit())
    return ((c1 - c0) * 1e6 / n if n else 0, n / secs)


def per_stat(a, tree, setting):
    """Interleaved: what one stat costs each tool, in CPU of the whole
    process (the kernel's lookup and getattr are the same for both; the
    rest is what each does around them). Needs perf and root."""
    binary, args = setting
    berth = [binary, "scan", "--no-default-ignore", "-w"] + args + [tree]
    fsw = ["fswatch", "-m", "poll_monitor", "-l", "1", "-r", tree]
    rows = []
    print("| round | berth us/stat | fswatch us/stat | ratio | "
          "berth stats/s | fswatch stats/s | load |")
    print("|---|---|---|---|---|---|---|")
    for r in range(a.rounds):
        l0 = load1()
        pair = [("b", berth), ("f", fsw)]
        if r % 2:
            pair.reverse()
        got = {k: stat_cost(c, 10) for k, c in pair}
        (bc, br), (fc, fr) = got["b"], got["f"]
        if not bc or not fc:
            print("| - | perf counted no stat calls (perf missing, or "
                  "not root?) | | | | | |")
            return
        rows.append(bc / fc)
        print(f"| {r + 1} | {bc:.2f} | {fc:.2f} | {bc / fc:.2f} | "
              f"{br:,.0f} | {fr:,.0f} | {l0:.1f}-{load1():.1f} |",
              flush=True)
    print(f"\nper-stat CPU ratio berth/fswatch (min/median/max): "
          f"{mmm(rows, '%.2f')}\n")

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--berth", required=True)
    ap.add_argument("--tree", required=True)
    ap.add_argument("--node-dir")
    ap.add_argument("--setting", action="append", default=[])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--idle", type=int, default=20)
    ap.add_argument("--touches", type=int, default=30)
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--scale", help="comma list of trees")
    ap.add_argument("--skip", default="", help="comma list: full,chokidar,"
                    "rounds")
    ap.add_argument("--per-stat", action="store_true",
                    help="also what a stat call costs each tool (perf)")
    a = ap.parse_args()
    a.skip = set(a.skip.split(","))
    settings = [parse_setting(s, a.berth)
                for s in (a.setting or ["default=-i 1s"])]
    tree = os.path.realpath(a.tree)
    nf, nd = tree_size(tree)
    print(f"tree: {tree}, {nf} files in {nd} directories; "
          f"{os.cpu_count()} CPUs; load {load1():.2f}\n")

    if "full" not in a.skip:
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
    if a.per_stat:
        per_stat(a, tree, settings[0][1])
    if "rounds" not in a.skip:
        rounds_bench(a, tree, settings, nf)
    if a.scale:
        print(f"\nscaling, berth `{settings[0][0]}` beside fswatch:\n")
        scale_bench(a, a.scale.split(","), settings[0][1])
    print(f"\nload at the end: {load1():.2f}")


if __name__ == "__main__":
    main()
