#!/bin/sh
# SPDX-License-Identifier: MIT
# The portal's HTTP client over WinHTTP under Wine (test-win-http.c) against a Linux servermesh
# on loopback, and a small loopback server here for what servermesh never does (an answer over
# the bound, a redirect). The servermesh comes from the CMake cache variable MESH_HOST_SERVERMESH
# (tools/test-windows.sh sets it): without it this test fails, it never skips.
# Usage: http.sh EMULATOR TEST-WIN-HTTP SERVERMESH
set -u
EMU=$1 TOOL=$2 SERVERMESH=${3:-}
HERE=$(dirname "$0")
. "$HERE/../integration/lib.sh"
SPID= PPID2=
trap '[ -n "$SPID" ] && kill "$SPID" 2>/dev/null; [ -n "$PPID2" ] && kill "$PPID2" 2>/dev/null;
	rm -rf "$TMP"' EXIT
if [ -z "$SERVERMESH" ] || [ ! -x "$SERVERMESH" ]; then
	not_ok "no Linux servermesh: set MESH_HOST_SERVERMESH to its path (tools/test-windows.sh does)"
	finish
	exit 1
fi
export HOME="$TMP/home" XDG_DATA_HOME="$TMP/home/data"
mkdir -p "$HOME"
"$SERVERMESH" example.com --listen 127.0.0.1:0 2>"$TMP/servermesh.log" &
SPID=$!
URL=$(portal_url "$TMP/servermesh.log" "$SPID")
[ -n "$URL" ] || { not_ok "servermesh did not start: $(cat "$TMP/servermesh.log")"; finish; exit 1; }

/usr/bin/python3 -c '
import http.server, sys
MAX = 1024 * 1024
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/redirect":
            body = b"moved"
            self.send_response(302)
            self.send_header("Location", "/big")
        else:
            body = b"x" * (MAX + 1)
            self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print("http://127.0.0.1:%d/" % s.server_address[1], flush=True)
s.serve_forever()' >"$TMP/side.url" 2>"$TMP/side.log" &
PPID2=$!
for _ in $(seq 50); do [ -s "$TMP/side.url" ] && break; sleep 0.1; done
SIDE=$(cat "$TMP/side.url")
[ -n "$SIDE" ] || { not_ok "the side server did not start: $(cat "$TMP/side.log")"; finish; exit 1; }

if $EMU "$TOOL" "$URL" "$SIDE" >"$TMP/http.log" 2>&1; then
	ok "win-http: $(tail -n 1 "$TMP/http.log")"
else
	not_ok "win-http: $(grep FAIL "$TMP/http.log" | head -5) $(tail -n 3 "$TMP/http.log")"
fi
sed 's/^/# /' "$TMP/http.log"
finish
