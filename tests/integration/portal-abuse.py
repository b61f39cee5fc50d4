#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Abuse of servermesh over loopback, for tests/integration/portal-flood.sh, portal-queue.sh and
# portal-quota.sh. Standard library only. Each check prints "ok   - ..." or "FAIL - ..." lines
# and exits 1 when one failed.
#
#   portal-abuse.py flood URL PID N ADDR      N idle connections from ADDR (half of them send
#                                             part of a request line); a Hello from 127.0.0.1
#                                             answered within 2 s during the flood and after
#   portal-abuse.py spread URL PID N ADDRS    the same with the N connections spread evenly over
#                                             127.0.0.2 .. 127.0.0.(ADDRS+1)
#   portal-abuse.py timeouts URL PID H I [CA] header timeout H and idle timeout I seconds: what
#                                             sends nothing, or trickles its headers, is closed
#                                             after H; what sent its headers after I of silence
#   portal-abuse.py send URL ADDR FILE        POST each line of FILE (one JSON request a line)
#                                             from ADDR; prints "STATUS CODE" a line
#
# PID is servermesh's: its descriptors are counted in /proc/PID/fd.
import http.client
import json
import os
import resource
import select
import socket
import ssl
import sys
import time
from urllib.parse import urlparse

HELLO = b'{"HelloRequest": {}}'
failed = 0


def report(ok, name):
    global failed
    if not ok:
        failed += 1
    print(("ok   - " if ok else "FAIL - ") + name, flush=True)


def finish():
    sys.exit(1 if failed else 0)


def raise_nofile(n):
    """This process holds the flood's sockets: raise its own descriptor limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = n + 256
    if soft < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(hard, want)))
        except (ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        print(f"FAIL - cannot raise this process's descriptor limit to {want} (hard {hard})")
        sys.exit(1)


def server_sockets(pid):
    """How many sockets servermesh holds (listening socket included)."""
    n = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:"):
                n += 1
        except OSError:
            pass
    return n


def hello(url, source="127.0.0.1", timeout=2.0, cafile=None):
    """POST Hello from @source; (status or None, seconds, error text)."""
    start = time.monotonic()
    try:
        if url.scheme == "https":
            context = ssl.create_default_context(cafile=cafile)
            c = http.client.HTTPSConnection(url.hostname, url.port, timeout=timeout,
                                            context=context, source_address=(source, 0))
        else:
            c = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout,
                                           source_address=(source, 0))
        c.request("POST", url.path, body=HELLO, headers={"Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        c.close()
        return r.status, time.monotonic() - start, ""
    except (OSError, http.client.HTTPException) as e:
        return None, time.monotonic() - start, repr(e)


def check_hello(url, name, **kw):
    status, seconds, why = hello(url, **kw)
    report(status == 200 and seconds < 2.0,
           f"{name}: Hello from {kw.get('source', '127.0.0.1')} answered {status} in "
           f"{seconds:.3f} s{' (' + why + ')' if why else ''}")


def open_flood(url, sources, n):
    socks = []
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((sources[i % len(sources)], 0))
        s.settimeout(5)
        try:
            s.connect((url.hostname, url.port))
            s.setblocking(False)
            if i % 2 == 1:
                # Part of a request line, never finished.
                s.send(b"POST /.well-known/mmm/ HTTP/1.1\r\nHost: x")
        except OSError:
            pass  # the server may refuse it at once: it stays counted as an attempt
        socks.append(s)
    return socks


def closed_by_peer(s):
    """The server closed @s (end of stream or reset), without waiting."""
    try:
        p = select.poll()
        p.register(s, select.POLLIN)
        if not p.poll(0):
            return False
        while True:
            data = s.recv(65536)
            if not data:
                return True
    except (BlockingIOError, InterruptedError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
        return False
    except OSError:
        return True


def flood(url, pid, n, sources, label):
    raise_nofile(n)
    base = server_sockets(pid)
    socks = open_flood(url, sources, n)
    report(len(socks) == n, f"{label}: {n} connections attempted from {len(sources)} address(es)")
    time.sleep(0.5)
    check_hello(url, f"{label}, during the flood")
    held = server_sockets(pid)
    check_hello(url, f"{label}, during the flood (again)")
    gone = sum(1 for s in socks if closed_by_peer(s))
    report(gone > 0, f"{label}: the portal closed {gone} of them at once, holds {held} sockets "
           f"(before: {base})")
    for s in socks:
        s.close()
    time.sleep(0.5)
    check_hello(url, f"{label}, after the flood")
    deadline = time.monotonic() + 10
    while server_sockets(pid) > base + 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    now = server_sockets(pid)
    report(now <= base + 1, f"{label}: after the flood the portal holds {now} sockets "
           f"(before: {base})")
    return held


def wait_closed(s, seconds):
    """Seconds until the server closed @s, or None when it is still open after @seconds."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if closed_by_peer(s):
            return time.monotonic() - start
        time.sleep(0.05)
    return None


def timeouts(url, pid, header, idle, cafile):
    tls = url.scheme == "https"
    base = server_sockets(pid)
    margin = 4.0
    addr = (url.hostname, url.port)

    def tcp():
        s = socket.create_connection(addr, timeout=5)
        s.setblocking(False)
        return s

    def session():
        """A connection ready for HTTP: for TLS, with its handshake done."""
        s = socket.create_connection(addr, timeout=5)
        if tls:
            context = ssl.create_default_context(cafile=cafile)
            s = context.wrap_socket(s, server_hostname=url.hostname)
        s.setblocking(False)
        return s

    # Nothing sent at all (for TLS: not even a ClientHello).
    s = tcp()
    t = wait_closed(s, header + margin)
    report(t is not None and t >= header - 0.6,
           f"a connection that sends nothing is closed after the {header} s header timeout "
           f"({t if t is None else round(t, 2)} s)")
    s.close()

    # Headers trickled a byte at a time, never finished: the deadline is not pushed back.
    s = session()
    start = time.monotonic()
    line = b"POST /.well-known/mmm/ HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 1000
    closed_at = None
    i = 0
    while time.monotonic() - start < header + margin:
        try:
            s.send(line[i % len(line):i % len(line) + 1])
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            pass
        except OSError:
            closed_at = time.monotonic() - start
            break
        if closed_by_peer(s):
            closed_at = time.monotonic() - start
            break
        i += 1
        time.sleep(0.2)
    report(closed_at is not None and header - 0.6 <= closed_at < header + margin,
           f"headers trickled a byte every 0.2 s are cut off by the header timeout "
           f"({closed_at if closed_at is None else round(closed_at, 2)} s)")
    s.close()

    if tls:
        # The handshake done, then nothing.
        s = session()
        t = wait_closed(s, header + margin)
        report(t is not None, f"TLS: a handshake and then nothing is closed after the header "
               f"timeout ({t if t is None else round(t, 2)} s)")
        s.close()
        # Half a ClientHello.
        s = tcp()
        s.send(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
        t = wait_closed(s, header + margin)
        report(t is not None, f"TLS: a handshake never finished is closed after the header "
               f"timeout ({t if t is None else round(t, 2)} s)")
        s.close()
    # Complete headers, a tenth of the body, then silence: the idle timeout, not the header
    # timeout, ends it.
    s = socket.create_connection(addr, timeout=5)
    if tls:
        s = ssl.create_default_context(cafile=cafile).wrap_socket(s, server_hostname=url.hostname)
    s.sendall(b"POST /.well-known/mmm/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: 100\r\n\r\n" + b"{" * 10)
    s.setblocking(False)
    t = wait_closed(s, header + 1.5)
    report(t is None, f"complete headers then silence: still open {header + 1.5} s later, "
           f"past the header timeout")
    t = wait_closed(s, idle + margin)
    report(t is not None, f"... and closed by the {idle} s idle timeout "
           f"({t if t is None else round(t + header + 1.5, 2)} s after the headers)")
    s.close()

    check_hello(url, "after the timeouts", cafile=cafile)
    deadline = time.monotonic() + 10
    while server_sockets(pid) > base and time.monotonic() < deadline:
        time.sleep(0.2)
    now = server_sockets(pid)
    report(now <= base, f"no connection left behind ({now} sockets, {base} before)")


def send(url, source, path):
    """POST each line of @path from @source; print the status and Code of each answer."""
    with open(path, encoding="utf-8") as f:
        lines = [line for line in f.read().split("\n") if line]
    for line in lines:
        c = http.client.HTTPConnection(url.hostname, url.port, timeout=20,
                                       source_address=(source, 0))
        c.request("POST", url.path, body=line.encode(),
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        data = r.read()
        c.close()
        body = json.loads(data)
        inner = next(iter(body.values())) if len(body) == 1 else body
        if not isinstance(inner, dict):
            inner = body
        print(r.status, inner.get("Code", "-"), json.dumps(inner.get("StatusDescription", "")))


def main():
    what = sys.argv[1]
    url = urlparse(sys.argv[2])
    if what == "flood":
        flood(url, int(sys.argv[3]), int(sys.argv[4]), [sys.argv[5]], "flood")
    elif what == "spread":
        n, k = int(sys.argv[4]), int(sys.argv[5])
        flood(url, int(sys.argv[3]), n, [f"127.0.0.{2 + i}" for i in range(k)], "spread flood")
    elif what == "timeouts":
        timeouts(url, int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]),
                 sys.argv[6] if len(sys.argv) > 6 else None)
    elif what == "send":
        send(url, sys.argv[3], sys.argv[4])
        return
    else:
        print(f"unknown check {what}")
        sys.exit(2)
    finish()


main()
