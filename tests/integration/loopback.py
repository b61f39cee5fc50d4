# SPDX-License-Identifier: MIT
"""Shared by the loopback stand-ins the integration scripts put in front of servermesh
(hold-proxy.py, portal-double.py, portal-front.py). Standard library only."""
import os
import socketserver


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(handler, directory, server_class=Server):
    """Serve @handler on 127.0.0.1 (a free port) for ever, once the port is written to
    DIRECTORY/port, whole (renamed into place: the script waiting for it never reads half)."""
    with server_class(("127.0.0.1", 0), handler) as server:
        server.daemon_threads = True
        port_file = os.path.join(directory, "port")
        with open(port_file + ".tmp", "w") as f:
            f.write("%d\n" % server.server_address[1])
        os.rename(port_file + ".tmp", port_file)
        server.serve_forever()
