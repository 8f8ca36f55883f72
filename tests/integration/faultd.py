#!/usr/bin/env python3
"""faultd.py: a fake Docker daemon on a unix socket that answers with
hostile or broken responses, for berth's fault tests. It is not a Docker
emulation: it knows just enough (/_ping, /version, /info, the container
list, inspect, logs, an action) to reach the code under test, and then
misbehaves in the way MODE says:

  truncated  the container list is cut off mid-JSON (valid HTTP)
  cut        the connection closes before Content-Length bytes arrive
  big        a 50 MB container list
  badutf8    invalid UTF-8 inside the list's strings
  escapes    terminal escape sequences in names, labels, status, logs and
             the daemon's error message
  badframes  a logs stream that is not multiplexed frames
  slow       every answer trickles out at one byte per second
  frozen     accepts connections and never answers
  noversion  a /_ping without API-Version (old daemons)
  lagging    the event stream says "die" 1 s after it opens, and the list
             shows the container running for LAG seconds more (a loaded
             daemon does this); every list request is logged to
             SOCKET.log with its time
  proxy      a socket proxy with EVENTS=0 and INFO=0 (docker-socket-proxy):
             /events and /info answer 403; from the 3rd list on, a second
             container "late" is listed
  eventsend  /events answers 200 and ends at once; "late" as for proxy
             (in the other modes the stream stays open and quiet)
  redirect   actions answer 301 Moved Permanently, with no body
  slowstop   stop answers after DELAY seconds (default 4); inspect says
             the container stopped as soon as the stop arrived
  stuckstop  stop answers after DELAY seconds; the container keeps running
  badstats   the stats answer is cut off mid-JSON

usage: [LAG=SECONDS] [DELAY=SECONDS] faultd.py SOCKET MODE
       (runs until killed; writes SOCKET.ready)
"""

import json
import os
import socket
import socketserver
import sys
import threading
import time

ID = "f" * 12 + "0123456789abcdef" * 3 + "abcd"
ID2 = "e" * 12 + "0123456789abcdef" * 3 + "abcd"
FORBIDDEN = ("<html><body><h1>403 Forbidden</h1>\n"
             "Request forbidden by administrative rules.\n</body></html>\n")
ESC = "\x1b[2J\x1b]0;pwned\x07\x1b[31mred\r"


def container(name, labels=None, status="Up 1 second", cid=ID):
    return {
        "Id": cid, "Names": ["/" + name], "Image": "img" + ESC,
        "Command": "sh", "Created": 1700000000, "State": "running",
        "Status": status, "Ports": [], "Labels": labels or {},
    }


def frame(stream, text):
    data = text.encode("utf-8", "surrogateescape")
    return bytes([stream, 0, 0, 0]) + len(data).to_bytes(4, "big") + data


class Handler(socketserver.StreamRequestHandler):
    def send(self, status, body, ctype="application/json", headers=()):
        mode = self.server.mode
        if isinstance(body, str):
            body = body.encode("utf-8", "surrogateescape")
        head = "HTTP/1.1 %s\r\nContent-Type: %s\r\n" % (status, ctype)
        if not (mode == "noversion" and self.path == "/_ping"):
            head += "Api-Version: 1.41\r\n"
        for h in headers:
            head += h + "\r\n"
        length = len(body)
        if mode == "cut" and b"Names" in body:
            length += 1000
        head += "Content-Length: %d\r\n\r\n" % length
        data = head.encode() + body
        if mode == "slow":
            for i in range(len(data)):
                self.wfile.write(data[i:i + 1])
                self.wfile.flush()
                time.sleep(1)
            return
        self.wfile.write(data)
        self.wfile.flush()
        if mode == "cut" and b"Names" in body:
            self.close_now = True

    def handle(self):
        self.close_now = False
        while not self.close_now:
            line = self.rfile.readline()
            if not line:
                return
            try:
                method, self.path, _ = line.decode().split(" ", 2)
            except ValueError:
                return
            while True:
                h = self.rfile.readline()
                if not h or h in (b"\r\n", b"\n"):
                    break
            if self.server.mode == "frozen":
                time.sleep(3600)
                return
            try:
                self.route(method)
            except (BrokenPipeError, ConnectionResetError):
                return

    def route(self, method):
        mode = self.server.mode
        path = self.path.split("?")[0]
        if path == "/_ping":
            return self.send("200 OK", "OK", "text/plain")
        if path.startswith("/v1."):
            path = path[path.index("/", 1):]
        if path == "/version":
            return self.send("200 OK", json.dumps({
                "Version": "20.10.0-fault" + (ESC if mode == "escapes" else ""),
                "ApiVersion": "1.41", "Os": "linux", "Arch": "amd64",
                "KernelVersion": "6.0"}))
        if path == "/info":
            if mode == "proxy":
                return self.send("403 Forbidden", FORBIDDEN, "text/html")
            return self.send("200 OK", json.dumps({
                "OperatingSystem": "faultd", "CgroupVersion": "2",
                "NCPU": 1, "MemTotal": 1 << 30}))
        if path == "/containers/json":
            return self.list()
        if path == "/events":
            if mode == "lagging":
                return self.lagging_events()
            if mode == "proxy":
                return self.send("403 Forbidden", FORBIDDEN, "text/html")
            if mode == "eventsend":
                return self.send("200 OK", "")
            return self.quiet_events()
        if path.endswith("/json"):
            with self.server.lock:
                stopped = self.server.stop_at is not None
            running = not (mode == "slowstop" and stopped)
            return self.send("200 OK", json.dumps({
                "Id": ID, "Config": {"Tty": False},
                "State": {"Pid": 1 if running else 0, "Running": running,
                          "Paused": False,
                          "StartedAt": "2024-01-02T03:04:05Z"}}))
        if path.endswith("/stats"):
            if mode == "badstats":
                return self.send("200 OK", '{"read": "2024-01-02T03:')
            return self.send("404 Not Found", json.dumps({"message": "no"}))
        if path.endswith("/logs"):
            if mode == "badframes":
                body = b"this is not a multiplexed stream\n" * 10
            else:
                body = (frame(1, "plain line\n") +
                        frame(2, "evil " + ESC + " line\n") +
                        frame(1, "bytes \udcff\udcfe end\n"))
            return self.send("200 OK", body,
                             "application/vnd.docker.raw-stream")
        if method == "POST" and mode == "redirect":
            return self.send("301 Moved Permanently", "", "text/plain",
                             ["Location: /v1.41/elsewhere"])
        if method == "POST" and path.endswith("/stop") and \
                mode in ("slowstop", "stuckstop"):
            with self.server.lock:
                self.server.stop_at = time.time()
            time.sleep(self.server.delay)
            return self.send("204 No Content", "")
        if method == "POST":
            return self.send("409 Conflict", json.dumps({
                "message": "conflict: " + ESC + " is in the way"}))
        return self.send("404 Not Found", json.dumps({"message": "no"}))

    def quiet_events(self):
        """An event stream that stays open and says nothing, as a real
        daemon's does while nothing happens."""
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json"
                         b"\r\nApi-Version: 1.41\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n")
        self.wfile.flush()
        time.sleep(3600)
        self.close_now = True

    def lagging_events(self):
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json"
                         b"\r\nApi-Version: 1.41\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n")
        self.wfile.flush()
        time.sleep(1)
        ev = json.dumps({"Type": "container", "Action": "die",
                         "Actor": {"ID": ID, "Attributes": {}},
                         "timeNano": time.time_ns()}) + "\n"
        with self.server.lock:
            if self.server.died is None:
                self.server.died = time.time()
        data = ev.encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()
        time.sleep(3600)
        self.close_now = True

    def list(self):
        mode = self.server.mode
        if mode == "lagging":
            with self.server.lock:
                died = self.server.died
            c = container("lagger")
            if died is not None and time.time() >= died + self.server.lag:
                c["State"], c["Status"] = "exited", "Exited (0) 1 second ago"
            with open(self.server.path + ".log", "a") as f:
                f.write("%.3f list %s\n" % (time.time(), c["State"]))
            return self.send("200 OK", json.dumps([c]))
        if mode == "truncated":
            body = json.dumps([container("ok")])[:40]
        elif mode == "big":
            one = json.dumps(container("x" * 200)) + ","
            n = 50 * 1024 * 1024 // len(one) + 1
            body = "[" + one * n + json.dumps(container("last")) + "]"
        elif mode == "badutf8":
            body = json.dumps([container("ok"),
                               container("good", cid=ID2)]).replace(
                '"/ok"', '"/bad\udcff\udcfename"')
        elif mode == "escapes":
            body = json.dumps([container(
                "evil" + ESC,
                {"com.docker.compose.project": "p" + ESC,
                 "com.docker.compose.service": "s" + ESC},
                status="Up " + ESC)])
        elif mode in ("proxy", "eventsend"):
            with self.server.lock:
                self.server.lists += 1
                n = self.server.lists
            cts = [container("ok")]
            if n >= 3:
                cts.append(container("late", cid=ID2))
            body = json.dumps(cts)
        else:
            body = json.dumps([container("ok")])
        return self.send("200 OK", body)


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def main():
    path, mode = sys.argv[1], sys.argv[2]
    if os.path.exists(path):
        os.unlink(path)
    srv = Server(path, Handler)
    srv.mode = mode
    srv.path = path
    srv.lock = threading.Lock()
    srv.died = None
    srv.lag = float(os.environ.get("LAG", "3"))
    srv.delay = float(os.environ.get("DELAY", "4"))
    srv.stop_at = None
    srv.lists = 0
    open(path + ".ready", "w").close()
    srv.serve_forever()


if __name__ == "__main__":
    main()
