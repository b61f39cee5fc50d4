#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A hostile portal: a loopback HTTP double in front of a real servermesh that forwards every
transaction but the connection ones it chooses to answer itself (witness-grind.sh,
display-text.sh). Standard library only.

Usage: portal-double.py UPSTREAM_PORT DIR MODE [GRIND_TOOL]

Listens on 127.0.0.1 (a free port, written to DIR/port) and relays each POST to
127.0.0.1:UPSTREAM_PORT, except:

  MODE grind   The first ConnectStart (the portal's own device E) is relayed. The second (the
               real new device B) is hidden from servermesh: the double fetches the account's
               profile, runs GRIND_TOOL grind on it and the two SignedRequests (server nonces
               for B and E whose witnesses share their first 8 characters, DIR/grind.json), and
               answers B with its nonce and witness. ConnectPending then lists E alone, with its
               ground nonce; ConnectComplete is answered 200 and its body kept in DIR/completed.
  MODE list    ConnectPending lists the entries of DIR/pending.json (a JSON array of {
               "SignedRequest", "ServerNonce", "Witness", "Expires"}); ConnectComplete as above.
  MODE serve   A GetRequest by Account is answered with the entry in DIR/serve.json (a
               SignedPersonalProfile: an older one, another master key's ...) while that file
               exists, and relayed when it does not (profile-repair.sh).

Each transaction seen is appended to DIR/log as one line: its tag and "relayed" or "answered".
"""
import base64
import http.client
import http.server
import json
import os
import subprocess
import sys
import threading
import time

import loopback

UPSTREAM = int(sys.argv[1])
DIR = sys.argv[2]
MODE = sys.argv[3]
TOOL = sys.argv[4] if len(sys.argv) > 4 else None
LOCK = threading.Lock()
STARTS = []  # the ConnectStart requests seen, in order
STATE = {}


def b64u_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def tag_of(body):
    """The request's tag, looking inside a SignedTransaction's JWS payload."""
    if list(body) == ["SignedTransaction"]:
        body = json.loads(b64u_decode(body["SignedTransaction"]["payload"]))
    return next(iter(body)), body[next(iter(body))]


def upstream(body):
    c = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=60)
    c.request("POST", "/.well-known/mmm/", body=body,
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def log(line):
    with open(os.path.join(DIR, "log"), "a") as f:
        f.write(line + "\n")


def expires():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 600))


def grind(account, b_request):
    """Nonces for B and for E (the first ConnectStart) with colliding 8-character prefixes."""
    status, data = upstream(json.dumps({"GetRequest": {"Account": account}}).encode())
    if status != 200:
        raise RuntimeError("GetRequest: %d %r" % (status, data[:200]))
    profile = json.loads(data)["GetResponse"]["Entries"][0]
    paths = {}
    for name, value in (("profile", profile), ("request-b", b_request),
                        ("request-e", STARTS[0]["SignedRequest"])):
        paths[name] = os.path.join(DIR, name + ".json")
        with open(paths[name], "w") as f:
            json.dump(value, f)
    out = subprocess.run([TOOL, "grind", paths["profile"], paths["request-b"],
                          paths["request-e"]], capture_output=True, timeout=120, check=True)
    with open(os.path.join(DIR, "grind.json.tmp"), "wb") as f:
        f.write(out.stdout)
    os.rename(os.path.join(DIR, "grind.json.tmp"), os.path.join(DIR, "grind.json"))
    return json.loads(out.stdout)


def answer(tag, status, members):
    inner = dict(members)
    inner["Status"] = status
    inner["StatusDescription"] = "OK" if status < 300 else "refused"
    return status, json.dumps({tag.replace("Request", "Response"): inner}).encode()


def handle(tag, request):
    """(status, body) when the double answers itself, else None (relay it)."""
    if tag == "GetRequest" and MODE == "serve" and "Account" in request:
        path = os.path.join(DIR, "serve.json")
        if os.path.exists(path):
            with open(path) as f:
                return answer(tag, 200, {"Entries": [json.load(f)]})
        return None
    if tag == "ConnectStartRequest" and MODE == "grind":
        with LOCK:
            STARTS.append(request)
            if len(STARTS) == 1:
                return None
            found = grind(request["AccountID"], request["SignedRequest"])
            STATE["pending"] = [{"SignedRequest": STARTS[0]["SignedRequest"],
                                 "ServerNonce": found["ServerNonceE"],
                                 "Witness": found["WitnessE"], "Expires": expires()}]
        return answer(tag, 201, {"ServerNonce": found["ServerNonceB"],
                                 "Witness": found["WitnessB"]})
    if tag == "ConnectPendingRequest":
        if MODE == "list":
            with open(os.path.join(DIR, "pending.json")) as f:
                return answer(tag, 200, {"Pending": json.load(f)})
        with LOCK:
            if "pending" in STATE:
                return answer(tag, 200, {"Pending": STATE["pending"]})
        return None
    if tag == "ConnectCompleteRequest":
        with open(os.path.join(DIR, "completed"), "a") as f:
            f.write(json.dumps(request) + "\n")
        return answer(tag, 200, {})
    return None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        try:
            tag, request = tag_of(json.loads(raw))
            mine = handle(tag, request)
        except Exception as e:  # a broken double must show, not hang the test
            log("error %r" % e)
            mine = (500, b'{"Status": 500, "StatusDescription": "double failed"}')
            tag = "?"
        if mine is None:
            log(tag + " relayed")
            status, data = upstream(raw)
        else:
            log(tag + " answered")
            status, data = mine
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True


def main():
    loopback.serve(Handler, DIR, http.server.ThreadingHTTPServer)


if __name__ == "__main__":
    main()
