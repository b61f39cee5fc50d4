#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Helpers of portal-ops.sh (Python's standard library only).

  portal-ops.py get URL SOURCE [METHOD]   one request from SOURCE: "STATUS BODY"
  portal-ops.py many URL SOURCE N [PATH]  N requests as fast as they go, GET of the health
                                          endpoint (or a Hello POST to URL when PATH is
                                          "hello"): "STATUS:COUNT ..." sorted, then the seconds
  portal-ops.py lock DB SECONDS           hold SQLite's write lock on DB (BEGIN IMMEDIATE) for
                                          SECONDS; prints "locked" once it holds it
  portal-ops.py count DB                  "ACCOUNTS PROFILES INTEGRITY" of a portal database:
                                          accounts, accounts whose profile entry is there, and
                                          PRAGMA integrity_check
"""
import collections
import http.client
import sqlite3
import sys
import time
from urllib.parse import urlparse

HELLO = b'{"HelloRequest": {}}'


def request(url, source, method, path):
    c = http.client.HTTPConnection(url.hostname, url.port, timeout=20,
                                   source_address=(source, 0))
    if method == "POST":
        c.request("POST", url.path, body=HELLO, headers={"Content-Type": "application/json"})
    else:
        c.request(method, path)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body.decode()


def main():
    what = sys.argv[1]
    if what == "get":
        url = urlparse(sys.argv[2])
        method = sys.argv[4] if len(sys.argv) > 4 else "GET"
        status, body = request(url, sys.argv[3], method, url.path)
        print(status, body)
    elif what == "many":
        url = urlparse(sys.argv[2])
        hello = len(sys.argv) > 5 and sys.argv[5] == "hello"
        counts = collections.Counter()
        start = time.monotonic()
        for _ in range(int(sys.argv[4])):
            status, _ = request(url, sys.argv[3], "POST" if hello else "GET",
                                url.path if hello else url.path + "health")
            counts[status] += 1
        elapsed = time.monotonic() - start
        print(" ".join(f"{s}:{n}" for s, n in sorted(counts.items())), f"{elapsed:.2f}")
    elif what == "lock":
        db = sqlite3.connect(sys.argv[2], isolation_level=None)
        db.execute("BEGIN IMMEDIATE")
        print("locked", flush=True)
        time.sleep(float(sys.argv[3]))
        db.execute("ROLLBACK")
        db.close()
    elif what == "count":
        db = sqlite3.connect(sys.argv[2])
        accounts = db.execute("SELECT count(*) FROM accounts").fetchone()[0]
        profiles = db.execute("SELECT count(*) FROM accounts a JOIN entries e ON "
                              "e.identifier = a.identifier").fetchone()[0]
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        print(accounts, profiles, integrity)
    else:
        print(f"unknown command {what}", file=sys.stderr)
        sys.exit(2)


main()
