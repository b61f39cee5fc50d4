#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# HTTP checks of servermesh (tests/integration/portal-http.sh): portal-http.py URL CHECK [CAFILE]
# exits 0 when CHECK holds, else prints why and exits 1. Standard library only.
import http.client
import json
import socket
import ssl
import sys
import time
from urllib.parse import urlparse

URL = urlparse(sys.argv[1])
CHECK = sys.argv[2]
CAFILE = sys.argv[3] if len(sys.argv) > 3 else None
HELLO = b'{"HelloRequest": {}}'
HELLO_ANSWER = {"HelloResponse": {"Status": 200, "StatusDescription": "OK",
                                  "Version": {"Major": 1, "Minor": 0},
                                  "Encodings": ["JSON"]}}
MiB = 1024 * 1024


def fail(why):
    print(why)
    sys.exit(1)


def connection(cafile=CAFILE):
    if URL.scheme == "https":
        context = ssl.create_default_context(cafile=cafile)
        return http.client.HTTPSConnection(URL.hostname, URL.port, timeout=20, context=context)
    return http.client.HTTPConnection(URL.hostname, URL.port, timeout=20)


def request(body=HELLO, content_type="application/json", method="POST", path=None,
            headers=None, chunked=False):
    c = connection()
    h = dict(headers or {})
    if content_type:
        h["Content-Type"] = content_type
    c.request(method, path or URL.path, body=body, headers=h, encode_chunked=chunked)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r, data


def expect_status(want, **kw):
    r, data = request(**kw)
    if r.status != want:
        fail(f"HTTP {r.status}, want {want}: {data[:200]!r}")
    if r.getheader("Content-Type", "").split(";")[0] != "application/json":
        fail(f"Content-Type {r.getheader('Content-Type')!r}")
    body = json.loads(data)
    # The Status is at the top of an untagged answer, or inside the one tagged response.
    inner = next(iter(body.values())) if len(body) == 1 and isinstance(next(iter(body.values())), dict) else body
    if inner.get("Status") != want:
        fail(f"body Status differs from HTTP {want}: {body}")
    return r, body


def hello():
    r, body = expect_status(200)
    if body != HELLO_ANSWER:
        fail(f"unexpected answer {body}")


def raw_socket():
    s = socket.create_connection((URL.hostname, URL.port), timeout=20)
    if URL.scheme == "https":
        s = ssl.create_default_context(cafile=CAFILE).wrap_socket(s, server_hostname=URL.hostname)
    return s


def read_status(s):
    data = b""
    while b"\r\n\r\n" not in data:
        piece = s.recv(4096)
        if not piece:
            break
        data += piece
    line = data.split(b"\r\n", 1)[0].decode("latin-1")
    return int(line.split()[1]) if line.startswith("HTTP/") else 0


def check_hello():
    hello()


def check_unknown():
    # An unknown transaction tag: the transaction layer answers 400, untagged.
    expect_status(400, body=b'{"FrobnicateRequest": {}}')


def check_malformed():
    expect_status(400, body=b'{"HelloRequest": {}')


def check_get():
    r, _ = expect_status(405, method="GET", body=None, content_type=None)
    if r.getheader("Allow") != "POST":
        fail(f"Allow: {r.getheader('Allow')!r}")


def check_path():
    expect_status(404, path="/.well-known/other/")


def check_type():
    expect_status(415, content_type="text/plain")
    expect_status(415, content_type=None)
    expect_status(415, content_type="application/json; charset=latin-1")
    expect_status(200, content_type="application/json; charset=utf-8")


def check_big():
    expect_status(413, body=b"x" * (2 * MiB))
    hello()


def check_big_chunked():
    def pieces():
        for _ in range(32):
            yield b"y" * (64 * 1024)
    expect_status(413, body=pieces(), chunked=True)
    hello()


def check_big_continue():
    # With Expect: 100-continue the 413 comes before a byte of the body is sent.
    s = raw_socket()
    s.sendall(b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\nExpect: 100-continue\r\n\r\n" % (URL.path.encode(), 2 * MiB))
    status = read_status(s)
    s.close()
    if status != 413:
        fail(f"HTTP {status}, want 413 before the body")
    hello()


def check_huge():
    # Far beyond the limit: the portal stops reading and closes the connection.
    s = raw_socket()
    s.sendall(b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Transfer-Encoding: chunked\r\n\r\n" % URL.path.encode())
    chunk = b"%x\r\n%s\r\n" % (MiB, b"z" * MiB)
    closed = False
    try:
        for _ in range(64):
            s.sendall(chunk)
    except OSError:
        closed = True
    s.close()
    if not closed:
        fail("the portal read 64 MiB")
    hello()


def check_rate():
    statuses = []
    retry = None
    for _ in range(40):
        r, _ = request()
        statuses.append(r.status)
        if r.status == 429:
            retry = r.getheader("Retry-After")
    if 429 not in statuses or statuses[0] != 200:
        fail(f"statuses {statuses}")
    if retry is None or not retry.isdigit() or int(retry) < 1:
        fail(f"Retry-After {retry!r}")
    expect_status(429)
    time.sleep(int(retry) + 0.2)
    hello()


def check_tls_without_ca():
    try:
        connection(cafile=None)
        c = http.client.HTTPSConnection(URL.hostname, URL.port, timeout=20,
                                        context=ssl.create_default_context())
        c.request("POST", URL.path, body=HELLO, headers={"Content-Type": "application/json"})
        c.getresponse()
    except ssl.SSLCertVerificationError:
        return
    fail("a client without the CA file was not refused")


def check_plain_to_tls():
    try:
        c = http.client.HTTPConnection(URL.hostname, URL.port, timeout=20)
        c.request("POST", URL.path, body=HELLO, headers={"Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
    except (OSError, http.client.HTTPException):
        return
    fail(f"plain HTTP to the TLS port answered {r.status}")


def check_secret():
    expect_status(404, body=b'{"GetRequest": {"Account": "SECRET-MARKER-4711"}}')


def keepalive_requests(c, n):
    for i in range(n):
        c.request("POST", URL.path, body=HELLO, headers={"Content-Type": "application/json"})
        r = c.getresponse()
        body = json.loads(r.read())
        if r.status != 200 or body != HELLO_ANSWER:
            fail(f"request {i + 1} on one connection: HTTP {r.status} {body}")
        if (r.getheader("Connection") or "").lower() == "close" or r.will_close:
            fail(f"the portal closes the connection after request {i + 1}")


def check_keepalive():
    # HTTP/1.1 persistent connections: ten requests on one connection, each answered in full,
    # and the connection still open after a pause shorter than the idle timeout.
    c = connection()
    keepalive_requests(c, 10)
    time.sleep(1.0)
    keepalive_requests(c, 2)
    c.close()


def read_answers(s, n):
    """The first @n answers on socket @s: (status, headers dict, body) each, read by
    Content-Length; then whether the server closed the connection after them."""
    data = b""
    answers = []
    while len(answers) < n:
        while b"\r\n\r\n" not in data:
            piece = s.recv(65536)
            if not piece:
                return answers, True
            data += piece
        head, data = data.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        fields = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
        length = int(fields.get("content-length", "0"))
        while len(data) < length:
            piece = s.recv(65536)
            if not piece:
                return answers, True
            data += piece
        answers.append((int(lines[0].split()[1]), fields, data[:length]))
        data = data[length:]
    s.settimeout(1.0)
    try:
        closed = s.recv(1) == b""
    except socket.timeout:
        closed = False
    return answers, closed


def post(body=HELLO, version=b"HTTP/1.1", extra=b""):
    return (b"POST " + URL.path.encode() + b" " + version + b"\r\nHost: x\r\n"
            b"Content-Type: application/json\r\n" + extra +
            b"Content-Length: %d\r\n\r\n" % len(body) + body)


def exchange(request, n=1):
    s = raw_socket()
    s.sendall(request)
    answers, closed = read_answers(s, n)
    s.close()
    if len(answers) != n:
        fail(f"{len(answers)} answers to {request[:60]!r}, want {n}")
    return answers, closed


def check_protocol():
    # The server's HTTP/1.1 reading: pipelined requests answered in order on one connection; a
    # chunked body; HTTP/1.0 closed after its answer unless it asks to keep the connection;
    # what is not a request it can read answered with the right status, then closed.
    answers, closed = exchange(post() + post(b'{"HelloRequest":{} }'), 2)
    if [a[0] for a in answers] != [200, 200] or closed:
        fail(f"pipelined: {[a[0] for a in answers]}, closed {closed}")
    chunked = (b"POST " + URL.path.encode() + b" HTTP/1.1\r\nHost: x\r\n"
               b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"5\r\n" + HELLO[:5] + b"\r\n%x\r\n" % (len(HELLO) - 5) + HELLO[5:] +
               b"\r\n0\r\n\r\n")
    answers, closed = exchange(chunked)
    if answers[0][0] != 200 or json.loads(answers[0][2]) != HELLO_ANSWER or closed:
        fail(f"chunked: {answers[0][0]} {answers[0][2][:80]!r}, closed {closed}")
    answers, closed = exchange(post(version=b"HTTP/1.0"))
    if answers[0][0] != 200 or not closed:
        fail(f"HTTP/1.0: {answers[0][0]}, closed {closed}")
    answers, closed = exchange(post(version=b"HTTP/1.0", extra=b"Connection: keep-alive\r\n"))
    if answers[0][0] != 200 or closed or answers[0][1].get("connection") != "keep-alive":
        fail(f"HTTP/1.0 keep-alive: {answers[0][0]} {answers[0][1]}, closed {closed}")
    refused = [
        (b"GARBAGE\r\n\r\n", 400),
        (post(extra=b"X-Big: " + b"a" * 20000 + b"\r\n"), 431),
        (post(extra=b"Transfer-Encoding: gzip, chunked\r\n")
         .replace(b"Content-Length: 20\r\n", b""), 501),
        (post(version=b"HTTP/2.0"), 505),
        (post(extra=b"Expect: a-pony\r\n"), 417),
        (post(extra=b"Content-Length: 21\r\n"), 400),
    ]
    for request, want in refused:
        answers, closed = exchange(request)
        if answers[0][0] != want or not closed:
            fail(f"{request[:50]!r}...: {answers[0][0]}, want {want}; closed {closed}")
        if json.loads(answers[0][2]).get("Status") != want:
            fail(f"{want}: body {answers[0][2][:80]!r}")


def check_keepalive_cap():
    # A client holding 4 idle connections (the per-address cap is 4: see portal-http.sh) opens
    # a fifth: its oldest idle one makes room, and the new one is served.
    conns = [connection() for _ in range(4)]
    for c in conns:
        keepalive_requests(c, 1)
    extra = connection()
    keepalive_requests(extra, 3)
    try:
        keepalive_requests(conns[0], 1)
    except (ConnectionError, http.client.HTTPException, OSError):
        pass  # closed to make room, as it should
    else:
        fail("the oldest idle connection was still served: nothing made room")
    keepalive_requests(conns[3], 1)
    for c in conns + [extra]:
        c.close()


def check_keepalive_held():
    # Four connections of this address with a request under way (headers sent, body not):
    # none is idle, so a fifth is refused, not served.
    held = []
    for _ in range(4):
        s = raw_socket()
        s.sendall(b"POST " + URL.path.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n")
        held.append(s)
    time.sleep(0.3)
    s = raw_socket()
    try:
        s.sendall(b"POST " + URL.path.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/json\r\nContent-Length: " +
                  str(len(HELLO)).encode() + b"\r\n\r\n" + HELLO)
        status = read_status(s)
    except OSError:
        status = 0
    for h in held + [s]:
        h.close()
    if status != 0:
        fail(f"a fifth connection was served ({status}) while four held requests")


CHECKS = {name[len("check_"):]: f for name, f in globals().items() if name.startswith("check_")}
if CHECK not in CHECKS:
    fail(f"no check {CHECK}")
try:
    CHECKS[CHECK]()
except Exception as e:  # an exception is a failed check, with its reason
    fail(f"{type(e).__name__}: {e}")
