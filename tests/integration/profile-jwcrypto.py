#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The Mesh model (core/master, personal, application, escrow, connect) checked independently.

Usage: profile-jwcrypto.py PATH/TO/profile-tool

profile-tool writes one sample of every object (Ed25519/X25519 and P-256 keys); this script
checks them with python3-jwcrypto, hashlib and its own UDF, HKDF and Shamir code: every JWS
verifies under the key the specification says, every Identifier is the UDF it should be, the
application profile opens with a reader's key and not with another device's, the escrow opens
with two of its shares, the connection witness is the one both sides compute. Then it tampers
with objects and re-signs them with keys of its own, and profile-tool must refuse them with the
right MeshError code. Prints one line per check and ends with "N passed, M failed"; the exit
status is non-zero when any check failed, including when jwcrypto cannot be imported.
"""

import base64
import hashlib
import importlib.util
import json
import os
import sys
import tempfile

# The check harness and base64url helpers of the JOSE interop script, shared.
_spec = importlib.util.spec_from_file_location(
    "jose_interop", os.path.join(os.path.dirname(os.path.abspath(__file__)), "jose-interop.py"))
jose_interop = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(jose_interop)
b64u = jose_interop.b64u
unb64u = jose_interop.unb64u

# MeshError codes (core/error.h) that profile-tool exits with.
MALFORMED = 4
BAD_SIGNATURE = 7
SHARE_MISMATCH = 16
UNAUTHORIZED = 22


def b32(data, chars):
    text = base64.b32encode(data).decode().rstrip("=")[:chars]
    return "-".join(text[i:i + 4] for i in range(0, len(text), 4))


def content_digest(data, ct):
    """The SHA-512 content-digest UDF binary (docs/protocol.md §2)."""
    tcdv = hashlib.sha512(ct.encode() + b":" + hashlib.sha512(data).digest()).digest()
    value = int.from_bytes(tcdv, "big")
    zeros = (value & -value).bit_length() - 1 if value else 512
    c = 0 if zeros < 20 else 1 if zeros < 30 else 2 if zeros < 40 else 3 if zeros < 50 else 4
    return bytes([96 + c]) + tcdv


def spki(key):
    from cryptography.hazmat.primitives import serialization
    pem = key.export_to_pem()
    pub = serialization.load_pem_public_key(pem)
    return pub.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo)


def key_udf_binary(key):
    return content_digest(spki(key), "application/pkix-keyinfo")


def key_udf(key):
    return b32(key_udf_binary(key), 28)


class Checks(jose_interop.Checks):
    """jose-interop.py's checks (result, check, file, run), for profile-tool."""

    def tool_code(self, kind, obj, *extra):
        """profile-tool's exit code verifying @obj as a @kind (the sample master.json beside)."""
        code, _, _ = self.run("verify", kind, self.file(json.dumps(obj)), *extra)
        return code


def main():
    if len(sys.argv) != 2:
        print("usage: profile-jwcrypto.py PATH/TO/profile-tool", file=sys.stderr)
        return 2
    try:
        from jwcrypto import jwe, jwk, jws
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    except ImportError as e:
        print(f"FAIL import jwcrypto: {e} (install python3-jwcrypto)")
        print("0 passed, 1 failed")
        return 1

    def public_key(obj):
        """A docs/protocol.md §3 key object: the JWK, after checking its UDF independently."""
        key = jwk.JWK(**obj["PublicParameters"])
        if key_udf(key) != obj["UDF"]:
            raise ValueError(f"UDF {obj['UDF']} is not the key's ({key_udf(key)})")
        return key

    def verify_jws(token, key, cty):
        """The payload of the flattened JWS @token once jwcrypto verified it under @key."""
        header = json.loads(unb64u(token["protected"]))
        if header.get("cty") != cty or header.get("kid") != key_udf(key):
            raise ValueError(f"header {header} is not a {cty} by {key_udf(key)}")
        obj = jws.JWS()
        obj.deserialize(json.dumps(token))
        obj.verify(key)
        return json.loads(obj.payload)

    def peek(token):
        return json.loads(unb64u(token["payload"]))

    def verify_signed(wrapper, tag, key):
        inner = wrapper["Signed" + tag]
        return verify_jws(inner["SignedData"], key, tag)[tag], inner["Identifier"]

    def verify_master(signed):
        inner = peek(signed["SignedMasterProfile"]["SignedData"])["MasterProfile"]
        key = public_key(inner["MasterSignatureKey"])
        master, ident = verify_signed(signed, "MasterProfile", key)
        if not (ident == master["Identifier"] == key_udf(key)):
            raise ValueError("master Identifier is not the UDF of its key")
        return master, key

    def verify_device(signed):
        inner = peek(signed["SignedDeviceProfile"]["SignedData"])["DeviceProfile"]
        key = public_key(inner["DeviceSignatureKey"])
        device, ident = verify_signed(signed, "DeviceProfile", key)
        if not (ident == device["Identifier"] == key_udf(key)):
            raise ValueError("device Identifier is not the UDF of its key")
        return device, key

    def online_key(master, kid):
        for obj in master["OnlineSignatureKeys"]:
            if obj["UDF"] == kid:
                return public_key(obj)
        raise ValueError(f"{kid} is not an OnlineSignatureKey")

    def header(token):
        return json.loads(unb64u(token["protected"]))

    passed = failed = 0
    for alg in ("Ed25519", "P-256"):
        with tempfile.TemporaryDirectory(prefix="profile-jwcrypto-") as workdir:
            c = Checks(sys.argv[1], workdir)
            code, _, err = c.run("sample", workdir, alg)
            if code != 0:
                c.result(f"{alg}: profile-tool sample", False, err)
                print(f"{passed + c.passed} passed, {failed + c.failed} failed")
                return 1

            def load(name):
                with open(os.path.join(workdir, name)) as f:
                    return json.load(f)

            personal_signed = load("personal.json")
            master_signed = load("master.json")
            state = {}

            def check_master():
                master, key = verify_master(master_signed)
                state["master"], state["master_key"] = master, key
                return master["Serial"] == 1 and len(master["OnlineSignatureKeys"]) == 2, ""

            def check_personal():
                token = personal_signed["SignedPersonalProfile"]["SignedData"]
                payload = peek(token)["PersonalProfile"]
                master, _ = verify_master(payload["SignedMasterProfile"])
                key = online_key(master, header(token)["kid"])
                personal, ident = verify_signed(personal_signed, "PersonalProfile", key)
                for device in personal["Devices"]:
                    verify_device(device)
                ok = (ident == personal["Identifier"] == master["Identifier"] ==
                      state["master"]["Identifier"])
                return ok and personal["Account"] == "alice@example.com" and \
                    len(personal["Devices"]) == 2, ""

            def check_application():
                signed = load("application.json")
                token = signed["SignedApplicationProfile"]["SignedData"]
                key = online_key(state["master"], header(token)["kid"])
                app, ident = verify_signed(signed, "ApplicationProfile", key)
                state["app"] = app
                reader = jwk.JWK.from_json(open(os.path.join(workdir, "reader.jwk")).read())
                obj = jwe.JWE()
                obj.deserialize(json.dumps(app["SharedPrivate"]), key=reader)
                private = json.loads(obj.payload)
                entry = private["PasswordProfile"]["Entries"][0]
                return (ident == app["Identifier"] and entry["Password"] == "correct horse"
                        and entry["Sites"] == ["*.example.com"]), ""

            def check_application_outsider():
                outsider = jwk.JWK.from_json(open(os.path.join(workdir, "outsider.jwk")).read())
                obj = jwe.JWE()
                try:
                    obj.deserialize(json.dumps(state["app"]["SharedPrivate"]), key=outsider)
                except Exception:  # noqa: BLE001 - any failure to decrypt is the point
                    return True, ""
                return False, "a device outside DecryptID decrypted SharedPrivate"

            def check_escrow():
                entry = load("escrow.json")["OfflineEscrowEntry"]
                shares = open(os.path.join(workdir, "shares.txt")).read().split()
                # Shamir (docs/protocol.md §5), L = 32: p = 2^256 + 297; shares 1 and 3.
                p = 2 ** 256 + 297
                points = []
                for text in (shares[0], shares[2]):
                    digits = text.replace("-", "")
                    raw = base64.b32decode(digits + "=" * (-len(digits) % 8))[:34]
                    assert raw[0] == 144 and raw[1] >> 4 == 2
                    points.append(((raw[1] & 15) + 1, int.from_bytes(raw[2:], "big")))
                secret = 0
                for i, (xi, yi) in enumerate(points):
                    num, den = 1, 1
                    for j, (xj, _) in enumerate(points):
                        if i != j:
                            num = num * (-xj) % p
                            den = den * (xi - xj) % p
                    secret = (secret + yi * num * pow(den, -1, p)) % p
                secret = secret.to_bytes(32, "big")
                ident = b32(content_digest(secret, "application/mmm-escrowed"), 28)
                cek = HKDF(algorithm=hashes.SHA512(), length=32, salt=None,
                           info=b"mesh escrow").derive(secret)
                obj = jwe.JWE()
                obj.deserialize(json.dumps(entry["EncryptedData"]),
                                key=jwk.JWK(kty="oct", k=b64u(cek)))
                keys = json.loads(obj.payload)["EscrowedKeySet"]
                sig = jwk.JWK(**keys["MasterSignatureKey"])
                escrow = [jwk.JWK(**k) for k in keys["MasterEscrowKeys"]]
                ok = (ident == entry["Identifier"] and sig.has_private and
                      key_udf(sig) == state["master"]["Identifier"] and
                      [key_udf(k) for k in escrow] ==
                      [k["UDF"] for k in state["master"]["MasterEscrowKeys"]])
                return ok, ""

            def check_connection():
                request_token = load("request.json")
                payload = peek(request_token)["ConnectionRequest"]
                device, dkey = verify_device(payload["Device"])
                request = verify_jws(request_token, dkey, "ConnectionRequest")
                request = request["ConnectionRequest"]
                given = load("witness.json")
                server_nonce = bytes.fromhex(given["ServerNonce"])
                client_nonce = unb64u(request["ClientNonce"])
                pb = key_udf_binary(state["master_key"])
                db = key_udf_binary(dkey)
                w = hashlib.sha512(hashlib.sha512(pb + server_nonce).digest() +
                                   hashlib.sha512(db + client_nonce).digest()).digest()
                witness = b32(w, 28)
                result_token = load("result.json")
                rkey = online_key(state["master"], header(result_token)["kid"])
                result = verify_jws(result_token, rkey, "ConnectionResult")["ConnectionResult"]
                ok = (witness == given["Witness"] == result["Witness"] and
                      len(client_nonce) == 16 and
                      request["ParentUDF"] == state["master"]["Identifier"] and
                      result["DeviceUDF"] == device["Identifier"] and
                      result["Result"] == "Accepted")
                return ok, ""

            c.check(f"{alg}: master profile self-signed, Identifier = UDF", check_master)
            c.check(f"{alg}: personal profile signed by an OnlineSignatureKey", check_personal)
            c.check(f"{alg}: application profile: signed, opens for a reader",
                    check_application)
            c.check(f"{alg}: application profile: not for another device",
                    check_application_outsider)
            c.check(f"{alg}: escrow: 2 shares, HKDF, dir JWE, EscrowedKeySet", check_escrow)
            c.check(f"{alg}: connection request, witness, result", check_connection)

            # --- Objects changed here must be refused by profile-tool. ---------------------
            mine = jwk.JWK.generate(kty="OKP", crv="Ed25519") if alg == "Ed25519" else \
                jwk.JWK.generate(kty="EC", crv="P-256")
            jws_alg = "EdDSA" if alg == "Ed25519" else "ES256"

            def sign(payload, key, cty):
                obj = jws.JWS(json.dumps(payload).encode())
                obj.add_signature(key, alg=jws_alg, protected=json.dumps(
                    {"alg": jws_alg, "kid": key_udf(key), "cty": cty}))
                return json.loads(obj.serialize())

            def expect(kind, obj, want, *extra):
                def fn():
                    code = c.tool_code(kind, obj, *extra)
                    return code == want, f"exit {code}, expected {want}"
                return fn

            token = personal_signed["SignedPersonalProfile"]["SignedData"]
            payload = peek(token)
            ident = personal_signed["SignedPersonalProfile"]["Identifier"]
            c.check(f"{alg}: profile-tool accepts the sample personal profile",
                    expect("personal", personal_signed, 0))
            c.check(f"{alg}: profile-tool accepts the sample application profile",
                    lambda: (c.run("verify", "application",
                                   os.path.join(workdir, "application.json"))[0] == 0, ""))
            tampered = json.loads(json.dumps(personal_signed))
            payload_t = json.loads(json.dumps(payload))
            payload_t["PersonalProfile"]["Account"] = "mallory"
            tampered["SignedPersonalProfile"]["SignedData"]["payload"] = \
                b64u(json.dumps(payload_t).encode())
            c.check(f"{alg}: tampered personal profile refused (BadSignature)",
                    expect("personal", tampered, BAD_SIGNATURE))
            resigned = {"SignedPersonalProfile": {
                "Identifier": ident,
                "SignedData": sign(payload, mine, "PersonalProfile")}}
            c.check(f"{alg}: personal profile by an outside key refused (Unauthorized)",
                    expect("personal", resigned, UNAUTHORIZED))
            dup = {"SignedPersonalProfile": {
                "Identifier": ident,
                "SignedData": sign(payload, mine, "MasterProfile")}}
            c.check(f"{alg}: personal profile under another cty refused (Malformed)",
                    expect("personal", dup, MALFORMED))
            # A self-signed master profile of our own in place of the real one.
            master_payload = peek(master_signed["SignedMasterProfile"]["SignedData"])
            fake = json.loads(json.dumps(master_payload))
            mine_obj = {"UDF": key_udf(mine), "PublicParameters": json.loads(
                mine.export_public())}
            mine_obj["PublicParameters"]["kid"] = key_udf(mine)
            fake["MasterProfile"]["MasterSignatureKey"] = mine_obj
            fake["MasterProfile"]["Identifier"] = key_udf(mine)
            fake_signed = {"SignedMasterProfile": {
                "Identifier": key_udf(mine), "SignedData": sign(fake, mine, "MasterProfile")}}
            c.check(f"{alg}: profile-tool accepts a master profile signed here",
                    expect("master", fake_signed, 0))
            fake_signed["SignedMasterProfile"]["Identifier"] = \
                master_signed["SignedMasterProfile"]["Identifier"]
            c.check(f"{alg}: master profile under another's Identifier refused (Malformed)",
                    expect("master", fake_signed, MALFORMED))
            result = load("result.json")
            c.check(f"{alg}: connection result by an outside key refused (Unauthorized)",
                    expect("result", sign(peek(result), mine, "ConnectionResult"),
                           UNAUTHORIZED))
            request = load("request.json")
            c.check(f"{alg}: connection request by another key refused (BadSignature)",
                    expect("request", sign(peek(request), mine, "ConnectionRequest"),
                           BAD_SIGNATURE))
            shares = open(os.path.join(workdir, "shares.txt")).read().split()
            c.check(f"{alg}: escrow drill with shares 2 and 3",
                    expect("escrow", load("escrow.json"), 0,
                           c.file("\n".join(shares[1:]))))
            with tempfile.TemporaryDirectory(prefix="profile-jwcrypto-other-") as other:
                c.run("sample", other, alg)
                others = open(os.path.join(other, "shares.txt")).read().split()
                c.check(f"{alg}: another escrow's shares refused (ShareMismatch)",
                        expect("escrow", load("escrow.json"), SHARE_MISMATCH,
                               c.file("\n".join(others[:2]))))
            passed += c.passed
            failed += c.failed

    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
