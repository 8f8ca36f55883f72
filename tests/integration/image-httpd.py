#!/usr/bin/env python3
"""image-httpd.py: a loopback HTTP server for berth's image download tests.
It serves the files of DIR and misbehaves by path prefix, to reach the
download code's fault handling:

  /ok/NAME      the file, with Range support (206)
  /cut/NAME     the first request is cut off halfway (the connection
                closes before Content-Length bytes); later ones are whole
  /slow/NAME    the file in 64 KiB pieces every 50 ms
  /stall/NAME   the first request sends a third and then nothing (a
                stalled server); later ones are whole
  /norange/NAME always 200 with the whole file (ignores Range)
  /sums/...     like /ok, and SHA256SUMS there lists DIR/SHA256SUMS
  anything else 404

usage: image-httpd.py DIR PORTFILE   (runs until killed; writes the port)
"""

import http.server
import os
import re
import sys
import threading
import time

ROOT = sys.argv[1]
seen = set()
lock = threading.Lock()


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        m = re.match(r"^/(ok|cut|slow|stall|norange|sums)/([A-Za-z0-9._-]+)$",
                     self.path)
        path = m and os.path.join(ROOT, m.group(2))
        if not m or not os.path.isfile(path):
            body = b"not found\n"
            self.send_response(404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        mode = m.group(1)
        data = open(path, "rb").read()
        start = 0
        rng = self.headers.get("Range")
        with lock:
            first = self.path not in seen
            seen.add(self.path)
        if rng and mode != "norange":
            start = int(re.match(r"bytes=(\d+)-", rng).group(1))
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", "bytes */%d" % len(data))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" %
                             (start, len(data) - 1, len(data)))
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if mode == "cut" and first:
            self.wfile.write(body[:len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if mode == "stall" and first:
            self.wfile.write(body[:len(body) // 3])
            self.wfile.flush()
            time.sleep(30)
            self.close_connection = True
            return
        if mode == "slow":
            for i in range(0, len(body), 65536):
                self.wfile.write(body[i:i + 65536])
                self.wfile.flush()
                time.sleep(0.05)
            return
        self.wfile.write(body)


class Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # clients hang up on purpose here (stall, cut)


srv = Server(("127.0.0.1", 0), H)
srv.daemon_threads = True
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
srv.serve_forever()
