#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The PIN connection's known answer (docs/protocol.md "Connecting by PIN"), computed here with
hashlib and hmac only, independently of core/: PinId and PinMac from the inputs in
tests/vectors/pin.json must be the outputs recorded there (which the CUnit suite test-connect
checks against core/connect.c). Usage: pin-kat.py [VECTORS.json] (exit 0: they agree)."""
import base64
import hashlib
import hmac
import json
import os
import sys


def present(binary, bits):
    chars = (bits + 4) // 5
    b32 = base64.b32encode(binary).decode().rstrip("=")[:chars]
    return "-".join(b32[i:i + 4] for i in range(0, len(b32), 4))


def compression(tcdv):
    z = 0
    for byte in reversed(tcdv):
        if byte == 0:
            z += 8
            continue
        while byte & 1 == 0:
            z += 1
            byte >>= 1
        break
    for level, limit in enumerate((20, 30, 40, 50)):
        if z < limit:
            return level
    return 4


def content_digest(data, ct, bits):
    cdv = hashlib.sha512(data).digest()
    tcdv = hashlib.sha512(ct.encode() + b":" + cdv).digest()
    return present(bytes([96 + compression(tcdv)]) + tcdv, bits)


def authenticator(key, data, ct, bits):
    prk = hmac.new(b"KeyedUDFMaster", key.encode(), hashlib.sha512).digest()
    # HKDF-Expand with L = 64, one block: T(1) = HMAC(PRK, info || 0x01).
    okm = hmac.new(prk, b"KeyedUDFExpand" + b"\x01", hashlib.sha512).digest()
    mac = hmac.new(okm, ct.encode() + b":" + hashlib.sha512(data).digest(),
                   hashlib.sha512).digest()
    return present(b"\x00" + mac, bits)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "vectors", "pin.json")
    with open(path, encoding="utf-8") as f:
        v = json.load(f)["Pin"]
    pin = v["Pin"].replace("-", "").replace(" ", "").upper()
    assert len(pin) == 28 and pin[0] == "N", "the PIN is not a 140-bit nonce UDF"
    data = "\n".join((v["ParentUDF"], v["DeviceUDF"], v["ClientNonce"], v["Issued"]))
    pin_id = content_digest(pin.encode(), "application/mmm-pin", 140)
    pin_mac = authenticator(pin, data.encode(), "application/mmm-pin-connect", 140)
    failed = False
    for name, got in (("PinId", pin_id), ("PinMac", pin_mac)):
        if got != v[name]:
            print(f"not ok - {name}: computed {got}, the vector says {v[name]}")
            failed = True
        else:
            print(f"ok - {name} {got}")
    # The same check can fail: another PIN, another device give other answers.
    other = authenticator(pin[:-1] + ("A" if pin[-1] != "A" else "B"), data.encode(),
                          "application/mmm-pin-connect", 140)
    if other == v["PinMac"]:
        print("not ok - a PinMac under another PIN is the same")
        failed = True
    else:
        print("ok - another PIN gives another PinMac")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
