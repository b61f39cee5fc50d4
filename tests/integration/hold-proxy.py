#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A loopback HTTP/1.1 proxy in front of servermesh that can hold requests, for
agent-portal-wait.sh: the agent's session methods must wait for a slow portal without the
agent stopping to serve its other clients.

Usage: hold-proxy.py UPSTREAM_PORT DIR

Listens on 127.0.0.1 (a free port, written to DIR/port). Each request is read whole (headers
and Content-Length body); while the file DIR/hold exists, a line is appended to DIR/held and
the request waits until DIR/hold is removed; then it is sent to 127.0.0.1:UPSTREAM_PORT and
the answer relayed back. One request per connection (servermesh answers Connection: close).
"""
import os
import socket
import socketserver
import sys
import threading
import time

import loopback

UPSTREAM = int(sys.argv[1])
DIR = sys.argv[2]
LOCK = threading.Lock()


def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        body += chunk
    return head + b"\r\n\r\n" + body


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        request = read_request(self.request)
        if request is None:
            return
        hold = os.path.join(DIR, "hold")
        if os.path.exists(hold):
            with LOCK, open(os.path.join(DIR, "held"), "a") as f:
                f.write(request.split(b"\r\n", 1)[0].decode() + "\n")
            while os.path.exists(hold):
                time.sleep(0.05)
        with socket.create_connection(("127.0.0.1", UPSTREAM)) as up:
            up.sendall(request)
            while True:
                chunk = up.recv(65536)
                if not chunk:
                    break
                self.request.sendall(chunk)


def main():
    loopback.serve(Handler, DIR)


if __name__ == "__main__":
    main()
