#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A loopback TCP forwarder in front of servermesh nodes, as a load balancer is, for
portal-nodes.sh: a device keeps one portal URL while the node behind it changes.

Usage: portal-front.py DIR

Listens on 127.0.0.1 (a free port, written to DIR/port once it listens). Each connection is
forwarded, bytes both ways until either side closes, to 127.0.0.1:PORT where PORT is read from
DIR/target when the connection is accepted: write a new DIR/target (atomically: a file renamed
into place) to send the next connections to another node. A target that refuses the connection
gets the client's connection closed, as a balancer without a healthy node does.
"""
import os
import socket
import socketserver
import sys
import threading

import loopback

DIR = sys.argv[1]


def pump(src, dst):
    try:
        while True:
            chunk = src.recv(65536)
            if not chunk:
                break
            dst.sendall(chunk)
    except OSError:
        pass
    for s in (dst, src):
        try:
            s.shutdown(socket.SHUT_WR if s is dst else socket.SHUT_RD)
        except OSError:
            pass


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        with open(os.path.join(DIR, "target")) as f:
            port = int(f.read().strip())
        try:
            up = socket.create_connection(("127.0.0.1", port), timeout=10)
        except OSError:
            return
        up.settimeout(None)
        with up:
            back = threading.Thread(target=pump, args=(up, self.request), daemon=True)
            back.start()
            pump(self.request, up)
            back.join()


def main():
    loopback.serve(Handler, DIR)


if __name__ == "__main__":
    main()
