#!/usr/bin/env python3
"""bench/tui/pty-probe.py: time berth on a pseudo-terminal of 80x24.

Measures (1) launch -> first complete frame (all four panes, the key bar
and live data from every component: VM state, socket health, containers)
over several launches, and (2) keypress -> screen latency: the time from
writing a key (Tab) to the end of the screen update it causes, optionally
while dockerd is frozen with SIGSTOP (--freeze-dockerd PID).

usage: pty-probe.py [--launches N] [--keys N] [--freeze-dockerd PID]
                    [--marker TEXT] -- BERTH ARGS...
"""

import argparse
import fcntl
import os
import pty
import select
import signal
import statistics
import struct
import sys
import termios
import time

FRAME = [b"1 VM", b"2 Mounts", b"3 Socket", b"4 Containers", b"Quit"]
LIVE = [b"accel", b"healthy"]


def spawn(argv):
    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        os.environ["TERM"] = "xterm-256color"
        os.execvp(argv[0], argv)
    return pid, fd


def read_until(fd, buf, want, deadline):
    """Read into buf until every byte string in want is in it."""
    while time.monotonic() < deadline:
        if all(w in buf for w in want):
            return True
        r, _, _ = select.select([fd], [], [], 0.005)
        if r:
            try:
                data = os.read(fd, 65536)
            except OSError:
                return False
            if not data:
                return False
            buf.extend(data)
    return all(w in buf for w in want)


def drain(fd, quiet, limit):
    """Read until no output for `quiet` s; returns (bytes, t_first, t_last)."""
    n, first, last = 0, None, None
    end = time.monotonic() + limit
    while time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], quiet)
        if not r:
            break
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        now = time.monotonic()
        first = first or now
        last = now
        n += len(data)
    return n, first, last


def stop(pid, fd):
    try:
        os.write(fd, b"q")
    except OSError:
        pass
    end = time.monotonic() + 10
    while time.monotonic() < end:
        drain(fd, 0.05, 0.2)
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            break
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    os.close(fd)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--launches", type=int, default=5)
    ap.add_argument("--keys", type=int, default=20)
    ap.add_argument("--freeze-dockerd", type=int, default=0)
    ap.add_argument("--marker", default="")
    ap.add_argument("argv", nargs="+")
    a = ap.parse_args()
    live = LIVE + ([a.marker.encode()] if a.marker else [])

    base = []
    for _ in range(a.launches):
        t0 = time.monotonic()
        pid = os.fork()
        if pid == 0:
            fd = os.open(os.devnull, os.O_WRONLY)
            os.dup2(fd, 1)
            os.execvp(a.argv[0], [a.argv[0], "--version"])
        os.waitpid(pid, 0)
        base.append((time.monotonic() - t0) * 1000)
    print("baseline: exec of '%s --version' alone: median %.1f ms"
          % (os.path.basename(a.argv[0]), statistics.median(base)))

    paint, full = [], []
    for _ in range(a.launches):
        t0 = time.monotonic()
        pid, fd = spawn(a.argv)
        buf = bytearray()
        ok = read_until(fd, buf, FRAME, t0 + 10)
        t1 = time.monotonic()
        ok2 = ok and read_until(fd, buf, FRAME + live, t0 + 10)
        t2 = time.monotonic()
        if ok:
            paint.append((t1 - t0) * 1000)
        if ok2:
            full.append((t2 - t0) * 1000)
        stop(pid, fd)
    if paint:
        print("first paint (four panes + key bar): median %.1f ms, max %.1f ms"
              % (statistics.median(paint), max(paint)))
    if full:
        print("first complete frame with live data: median %.1f ms, "
              "max %.1f ms (%d launches)"
              % (statistics.median(full), max(full), len(full)))
    else:
        print("first complete frame: not reached")

    pid, fd = spawn(a.argv)
    buf = bytearray()
    read_until(fd, buf, FRAME + live, time.monotonic() + 10)
    drain(fd, 0.5, 3)
    lat = []
    frozen = False
    try:
        if a.freeze_dockerd:
            os.kill(a.freeze_dockerd, signal.SIGSTOP)
            frozen = True
            drain(fd, 0.5, 3)
        for _ in range(a.keys):
            t0 = time.monotonic()
            os.write(fd, b"\t")
            n, first, last = drain(fd, 0.03, 2)
            if last is not None:
                lat.append((last - t0) * 1000)
            time.sleep(0.1)
    finally:
        if frozen:
            os.kill(a.freeze_dockerd, signal.SIGCONT)
    stop(pid, fd)
    what = "dockerd frozen (SIGSTOP)" if frozen else "dockerd running"
    if lat:
        print("keypress -> screen updated, %s: median %.1f ms, max %.1f ms "
              "(%d of %d keys answered)"
              % (what, statistics.median(lat), max(lat), len(lat), a.keys))
    else:
        print("keypress -> screen: no answer (%s)" % what)
    return 0


if __name__ == "__main__":
    sys.exit(main())
