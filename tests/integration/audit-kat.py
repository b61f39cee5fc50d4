#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The audit log's known answer (docs/protocol.md "Audit log"), recomputed here independently of
core/audit.c: from the records, times and key in tests/vectors/audit.json, the lines (members in
the spec's order, the log's JSON escapes), the chain of Prev (base64url SHA-256 of the line
before), the head's message and its Ed25519 signature, the Signer's UDF and Audit/head must be
what the vector records (which the CUnit suite test-audit checks against the C writer). The
signature needs python3-cryptography; without it that part is left to the C test, and said.
Usage: audit-kat.py [VECTORS.json] (exit 0: they agree)."""
import base64
import datetime
import hashlib
import importlib.util
import json
import os
import sys

ORDER = ("Seq", "Time", "Op", "Key", "App", "Item", "Method", "Program", "Pid", "Decision",
         "Result", "Detail", "Signer", "Signature", "Prev")
SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
         "\t": "\\t"}


def b64u(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def escape(text):
    out = []
    for ch in text:
        if ch in SHORT:
            out.append(SHORT[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    return "".join(out)


def line(members):
    parts = []
    for name in ORDER:
        if name not in members:
            continue
        value = members[name]
        parts.append('"%s":%s' % (name, value if isinstance(value, int) else
                                  '"' + escape(value) + '"'))
    return "{" + ",".join(parts) + "}"


def time_text(ms):
    t = datetime.datetime.fromtimestamp(ms // 1000, tz=datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (ms % 1000)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "vectors", "audit.json")
    with open(path, encoding="utf-8") as f:
        v = json.load(f)["Audit"]
    failed = False

    def check(name, got, want):
        nonlocal failed
        if got != want:
            print(f"not ok - {name}: computed {got!r}, the vector says {want!r}")
            failed = True
        else:
            print(f"ok - {name}")

    prev = b64u(bytes(32))
    lines = []
    for seq, (record, ms) in enumerate(zip(v["Records"], v["Times"]), start=1):
        members = dict(record, Seq=seq, Time=time_text(ms), Prev=prev)
        lines.append(line(members))
        prev = b64u(hashlib.sha256(lines[-1].encode()).digest())
    head_seq = len(lines) + 1
    message = "MeshAuditHead:%d:%s" % (head_seq, prev)
    check("the head's message", message, v["HeadMessage"])
    signature = v["Signature"]
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    except ImportError:
        print("ok - # SKIP python3-cryptography is not installed: the signature and the Signer "
              "are checked by test-audit (C) only")
    else:
        key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(v["PrivateKey"]))
        signature = b64u(key.sign(message.encode()))
        check("the head's Ed25519 signature", signature, v["Signature"])
        key.public_key().verify(base64.urlsafe_b64decode(v["Signature"] + "=="),
                                message.encode())
        spec = importlib.util.spec_from_file_location("pin_kat", os.path.join(here, "pin-kat.py"))
        pin_kat = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(pin_kat)
        der = key.public_key().public_bytes(serialization.Encoding.DER,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
        check("the Signer's UDF", pin_kat.content_digest(der, "application/pkix-keyinfo", 140),
              v["Signer"])
    lines.append(line({"Seq": head_seq, "Time": time_text(v["Times"][head_seq - 1]),
                       "Op": "Head", "Signer": v["Signer"], "Signature": signature,
                       "Prev": prev}))
    check("the number of lines", len(lines), len(v["Lines"]))
    for i, (got, want) in enumerate(zip(lines, v["Lines"]), start=1):
        check(f"line {i}", got, want)
        check(f"line {i}'s SHA-256", hashlib.sha256(got.encode()).hexdigest(), v["SHA256"][i - 1])
    check("Audit/head", lines[-1] + "\n", v["HeadEntry"])
    # The same check can fail: one character changed gives another chain.
    other = line(dict(v["Records"][0], Seq=1, Time=time_text(v["Times"][0]),
                      Prev=b64u(bytes(32)))).replace("ssh", "sSh")
    check("a changed record has another hash",
          hashlib.sha256(other.encode()).hexdigest() != v["SHA256"][0], True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
