#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Interoperability of core/key + core/jose (through jose-tool) with python3-jwcrypto.

Usage: jose-interop.py PATH/TO/jose-tool

Both directions for JWS (EdDSA, ES256, flattened JSON) and JWE (ECDH-ES+A256KW with A256GCM
to X25519 and P-256, one and several recipients; dir), then tampered tokens and wrong keys,
which both sides must refuse. Prints one line per check and ends with "N passed, M failed";
the exit status is non-zero when any check failed, including when jwcrypto cannot be imported.
"""

import base64
import json
import os
import subprocess
import sys
import tempfile

# MeshError codes (core/error.h) that jose-tool exits with.
BAD_SIGNATURE = 7
DECRYPT = 8
UNSUPPORTED = 5

PAYLOAD = b'{"GenericProfile":{"Name":"interop","Data":[1,2,3]}}'


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def flip(text, index=0):
    """The base64url text with bit 0 of byte @index (from the end when negative) flipped."""
    raw = bytearray(unb64u(text))
    raw[index] ^= 1
    return b64u(bytes(raw))


class Checks:
    def __init__(self, tool, workdir):
        self.tool = tool
        self.workdir = workdir
        self.passed = 0
        self.failed = 0
        self.counter = 0

    def result(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print(f"PASS {name}")
        else:
            self.failed += 1
            print(f"FAIL {name}" + (f": {detail}" if detail else ""))

    def check(self, name, fn):
        """Run fn(); it returns (ok, detail) or raises."""
        try:
            ok, detail = fn()
        except Exception as e:  # noqa: BLE001 - any exception is a failed check
            ok, detail = False, f"{type(e).__name__}: {e}"
        self.result(name, ok, detail)

    def file(self, data):
        self.counter += 1
        path = os.path.join(self.workdir, f"f{self.counter}")
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        return path

    def run(self, *args):
        p = subprocess.run([self.tool, *args], capture_output=True, timeout=60)
        return p.returncode, p.stdout, p.stderr.decode(errors="replace").strip()

    def ok(self, *args):
        code, out, err = self.run(*args)
        if code != 0:
            raise RuntimeError(f"jose-tool {args[0]} exited {code}: {err}")
        return out

    def refused(self, expect, *args):
        """jose-tool must refuse (exit non-zero; with the code @expect when not None)."""
        code, out, err = self.run(*args)
        if code == 0:
            return False, f"accepted; printed {out[:60]!r}"
        if expect is not None and code != expect:
            return False, f"exit {code}, expected {expect}: {err}"
        if err.count("\n") != 0 or not err:
            return False, f"error output is not one line: {err!r}"
        return True, ""


def main():
    if len(sys.argv) != 2:
        print("usage: jose-interop.py PATH/TO/jose-tool", file=sys.stderr)
        return 2
    try:
        from jwcrypto import jwe, jwk, jws
        from jwcrypto.common import json_encode
    except ImportError as e:
        print(f"FAIL import jwcrypto: {e} (install python3-jwcrypto)")
        print("0 passed, 1 failed")
        return 1

    with tempfile.TemporaryDirectory(prefix="jose-interop-") as workdir:
        c = Checks(sys.argv[1], workdir)

        # --- Keys: C-generated (private JWK files) and jwcrypto-generated. ---------------
        c_priv = {}
        c_pub = {}
        for alg in ("Ed25519", "X25519", "P-256"):
            text = c.ok("genkey", alg)
            c_priv[alg] = c.file(text)
            c_pub[alg] = c.file(c.ok("pubkey", c_priv[alg]))
        c_p256_enc = c.file(c.ok("genkey", "P-256"))
        c_x_other = c.file(c.ok("genkey", "X25519"))
        py = {
            "Ed25519": jwk.JWK.generate(kty="OKP", crv="Ed25519"),
            "X25519": jwk.JWK.generate(kty="OKP", crv="X25519"),
            "P-256": jwk.JWK.generate(kty="EC", crv="P-256"),
            "P-256b": jwk.JWK.generate(kty="EC", crv="P-256"),
        }
        py_pub = {k: c.file(v.export_public()) for k, v in py.items()}
        py_priv = {k: c.file(v.export_private()) for k, v in py.items()}

        def load(path):
            with open(path) as f:
                return jwk.JWK.from_json(f.read())

        def c_key_check():
            d = json.loads(open(c_priv["P-256"]).read())
            pub = json.loads(open(c_pub["P-256"]).read())
            udf = c.ok("udf", c_priv["P-256"]).decode().strip()
            ok = (set(d) == {"kty", "crv", "x", "y", "d", "kid"} and "d" not in pub
                  and pub["kid"] == udf == d["kid"] and udf.startswith("M"))
            # jwcrypto reads the same key and the same RFC 7638 thumbprint for it.
            ok = ok and load(c_priv["P-256"]).thumbprint() == load(c_pub["P-256"]).thumbprint()
            return ok, f"{d.keys()} {pub}"

        c.check("C private/public JWK read by jwcrypto, kid = UDF", c_key_check)

        # --- JWS: C signs, jwcrypto verifies. --------------------------------------------
        c_jws = {}
        for alg, jalg in (("Ed25519", "EdDSA"), ("P-256", "ES256")):
            def c_signs(alg=alg, jalg=jalg):
                out = c.ok("sign", c_priv[alg], c.file(PAYLOAD), "GenericProfile")
                c_jws[alg] = json.loads(out)
                obj = jws.JWS()
                obj.deserialize(out.decode())
                obj.verify(load(c_pub[alg]))
                hdr = obj.jose_header
                udf = c.ok("udf", c_priv[alg]).decode().strip()
                ok = (obj.payload == PAYLOAD and hdr == {"alg": jalg, "kid": udf,
                                                         "cty": "GenericProfile"}
                      and set(c_jws[alg]) == {"protected", "payload", "signature"})
                return ok, f"header {hdr}"

            c.check(f"C signs {jalg}, jwcrypto verifies", c_signs)

        # --- JWS: jwcrypto signs (flattened JSON), C verifies. --------------------------
        py_jws = {}
        for alg, jalg in (("Ed25519", "EdDSA"), ("P-256", "ES256")):
            def py_signs(alg=alg, jalg=jalg):
                obj = jws.JWS(PAYLOAD)
                obj.add_signature(py[alg], None, json_encode({"alg": jalg, "kid": "py-key",
                                                              "cty": "GenericProfile"}))
                text = obj.serialize()
                py_jws[alg] = json.loads(text)
                if "signatures" in py_jws[alg]:
                    return False, "jwcrypto did not write the flattened form"
                out = c.ok("verify", py_pub[alg], c.file(text))
                return out == PAYLOAD, f"payload {out[:60]!r}"

            c.check(f"jwcrypto signs {jalg} (flattened), C verifies", py_signs)

        # --- JWE: C encrypts to jwcrypto's keys, jwcrypto decrypts. ----------------------
        def jwcrypto_decrypt(text, key):
            obj = jwe.JWE()
            obj.deserialize(text, key=key)
            return obj.payload

        c_jwe = {}
        for name, keys in (("X25519", ["X25519"]), ("P-256", ["P-256"]),
                           ("X25519 + P-256", ["X25519", "P-256"])):
            def c_encrypts(name=name, keys=keys):
                out = c.ok("encrypt", c.file(PAYLOAD), *[py_pub[k] for k in keys])
                c_jwe[name] = json.loads(out)
                hdrs = [r["header"] for r in c_jwe[name]["recipients"]]
                ok = all(h["alg"] == "ECDH-ES+A256KW" and "epk" in h and "kid" in h
                         for h in hdrs)
                ok = ok and json.loads(unb64u(c_jwe[name]["protected"])) == {"enc": "A256GCM"}
                for k in keys:
                    ok = ok and jwcrypto_decrypt(out.decode(), py[k]) == PAYLOAD
                return ok, f"headers {hdrs}"

            c.check(f"C encrypts ECDH-ES+A256KW to {name}, jwcrypto decrypts with each key",
                    c_encrypts)

        # --- JWE: jwcrypto encrypts to C's keys, C decrypts. ----------------------------
        py_jwe = {}
        for name, keys, extra in (("X25519", ["X25519"], {}),
                                  ("P-256", ["P-256"], {}),
                                  ("X25519 + P-256 + P-256", ["X25519", "P-256", "P-256enc"], {}),
                                  ("P-256 with apu/apv", ["P-256"],
                                   {"apu": b64u(b"Alice"), "apv": b64u(b"Bob")})):
            def py_encrypts(name=name, keys=keys, extra=extra):
                paths = {"X25519": c_priv["X25519"], "P-256": c_priv["P-256"],
                         "P-256enc": c_p256_enc}
                pubs = {k: load(c.file(c.ok("pubkey", paths[k]))) for k in keys}
                protected = {"enc": "A256GCM", "cty": "GenericProfile", **extra}
                obj = jwe.JWE(PAYLOAD, protected=json_encode(protected))
                for k in keys:
                    obj.add_recipient(pubs[k], header=json_encode(
                        {"alg": "ECDH-ES+A256KW", "kid": pubs[k].get("kid")}))
                text = obj.serialize()
                py_jwe[name] = json.loads(text)
                ok = True
                for k in keys:
                    ok = ok and c.ok("decrypt", paths[k], c.file(text)) == PAYLOAD
                return ok, ""

            c.check(f"jwcrypto encrypts ECDH-ES+A256KW to {name}, C decrypts with each key",
                    py_encrypts)

        def py_general_single():
            # jwcrypto writes one recipient in the flattened form; the general form of the
            # same JWE must read the same.
            flat = dict(py_jwe["X25519"])
            rec = {"header": flat.pop("header"), "encrypted_key": flat.pop("encrypted_key")}
            general = {**flat, "recipients": [rec]}
            out = c.ok("decrypt", c_priv["X25519"], c.file(json.dumps(general)))
            return out == PAYLOAD and "header" in py_jwe["X25519"], ""

        c.check("jwcrypto single-recipient JWE, flattened and general, C decrypts",
                py_general_single)

        def py_aad():
            pub = load(c_pub["X25519"])
            obj = jwe.JWE(PAYLOAD, protected=json_encode({"enc": "A256GCM"}),
                          aad=b"additional data")
            obj.add_recipient(pub, header=json_encode({"alg": "ECDH-ES+A256KW"}))
            text = obj.serialize()
            out = c.ok("decrypt", c_priv["X25519"], c.file(text))
            tampered = json.loads(text)
            tampered["aad"] = b64u(b"other data")
            bad, detail = c.refused(DECRYPT, "decrypt", c_priv["X25519"],
                                    c.file(json.dumps(tampered)))
            return out == PAYLOAD and "aad" in json.loads(text) and bad, detail

        c.check("jwcrypto JWE with aad, C decrypts; changed aad refused", py_aad)

        # --- dir, both ways. --------------------------------------------------------------
        cek = os.urandom(32)
        oct_key = jwk.JWK(kty="oct", k=b64u(cek))

        def c_dir():
            out = c.ok("encrypt-dir", cek.hex(), c.file(PAYLOAD), "escrow")
            c_jwe["dir"] = json.loads(out)
            return jwcrypto_decrypt(out.decode(), oct_key) == PAYLOAD, ""

        def py_dir():
            obj = jwe.JWE(PAYLOAD, protected=json_encode({"alg": "dir", "enc": "A256GCM"}))
            obj.add_recipient(oct_key)
            text = obj.serialize()
            py_jwe["dir"] = json.loads(text)
            return c.ok("decrypt-dir", cek.hex(), c.file(text)) == PAYLOAD, ""

        c.check("C encrypts dir, jwcrypto decrypts", c_dir)
        c.check("jwcrypto encrypts dir, C decrypts", py_dir)

        # --- Negative: tampered tokens and wrong keys. -----------------------------------
        def jwcrypto_refuses_jws(obj, key):
            try:
                s = jws.JWS()
                s.deserialize(json.dumps(obj))
                s.verify(key)
            except Exception:  # noqa: BLE001 - jwcrypto raises several types
                return True
            return False

        def jwcrypto_refuses_jwe(obj, key):
            try:
                jwcrypto_decrypt(json.dumps(obj), key)
            except Exception:  # noqa: BLE001
                return True
            return False

        def jws_tampers(tok):
            hdr = json.loads(unb64u(tok["protected"]))
            hdr["cty"] = "Other"
            return {
                "signature": {**tok, "signature": flip(tok["signature"], 5)},
                "payload": {**tok, "payload": b64u(b'{"GenericProfile":{}}')},
                "protected header": {**tok, "protected": b64u(json.dumps(hdr).encode())},
            }

        for alg in ("Ed25519", "P-256"):
            for what, bad in jws_tampers(c_jws.get(alg, {"protected": "e30", "payload": "",
                                                          "signature": "AA"})).items():
                def c_made_jws(bad=bad, alg=alg):
                    ok, detail = c.refused(BAD_SIGNATURE, "verify", c_pub[alg],
                                           c.file(json.dumps(bad)))
                    py_ok = jwcrypto_refuses_jws(bad, load(c_pub[alg]))
                    return ok and py_ok, detail or ("" if py_ok else "jwcrypto accepted it")

                c.check(f"C-made {alg} JWS with tampered {what}: C and jwcrypto refuse",
                        c_made_jws)
            for what, bad in jws_tampers(py_jws.get(alg, {"protected": "e30", "payload": "",
                                                           "signature": "AA"})).items():
                c.check(f"jwcrypto-made {alg} JWS with tampered {what}: C refuses",
                        lambda bad=bad, alg=alg: c.refused(BAD_SIGNATURE, "verify", py_pub[alg],
                                                           c.file(json.dumps(bad))))

        def wrong_signer():
            return c.refused(BAD_SIGNATURE, "verify", py_pub["Ed25519"],
                             c.file(json.dumps(c_jws["Ed25519"])))

        def alg_none():
            tok = {"protected": b64u(b'{"alg":"none"}'), "payload": b64u(PAYLOAD),
                   "signature": ""}
            return c.refused(UNSUPPORTED, "verify", c_pub["Ed25519"], c.file(json.dumps(tok)))

        c.check("JWS verified with another Ed25519 key: C refuses", wrong_signer)
        c.check("JWS with alg none: C refuses", alg_none)

        def jwe_tampers(tok):
            hdr = json.loads(unb64u(tok["protected"]))
            hdr["cty"] = "Other"
            out = {
                "tag": {**tok, "tag": flip(tok["tag"], -1)},
                "ciphertext": {**tok, "ciphertext": flip(tok["ciphertext"], 2)},
                "iv": {**tok, "iv": flip(tok["iv"], 0)},
                "protected header": {**tok, "protected": b64u(json.dumps(hdr).encode())},
            }
            if "recipients" in tok:
                recs = [dict(r) for r in tok["recipients"]]
                recs[0]["encrypted_key"] = flip(recs[0]["encrypted_key"], 9)
                out["encrypted_key"] = {**tok, "recipients": recs}
            elif "encrypted_key" in tok:
                out["encrypted_key"] = {**tok, "encrypted_key": flip(tok["encrypted_key"], 9)}
            return out

        for what, bad in jwe_tampers(c_jwe.get("X25519", {})).items():
            def c_made_jwe(bad=bad):
                ok, detail = c.refused(DECRYPT, "decrypt", py_priv["X25519"],
                                       c.file(json.dumps(bad)))
                py_ok = jwcrypto_refuses_jwe(bad, py["X25519"])
                return ok and py_ok, detail or ("" if py_ok else "jwcrypto accepted it")

            c.check(f"C-made X25519 JWE with tampered {what}: C and jwcrypto refuse", c_made_jwe)
        for what, bad in jwe_tampers(py_jwe.get("P-256", {})).items():
            c.check(f"jwcrypto-made P-256 JWE with tampered {what}: C refuses",
                    lambda bad=bad: c.refused(DECRYPT, "decrypt", c_priv["P-256"],
                                              c.file(json.dumps(bad))))
        for what, bad in jwe_tampers(py_jwe.get("dir", {})).items():
            c.check(f"jwcrypto-made dir JWE with tampered {what}: C refuses",
                    lambda bad=bad: c.refused(DECRYPT, "decrypt-dir", cek.hex(),
                                              c.file(json.dumps(bad))))

        def wrong_recipient_c():
            # Another X25519 key: every X25519 entry is tried and none opens.
            return c.refused(DECRYPT, "decrypt", c_x_other, c.file(json.dumps(
                py_jwe["X25519 + P-256 + P-256"])))

        def wrong_recipient_both():
            ok, detail = c.refused(DECRYPT, "decrypt", c_x_other,
                                   c.file(json.dumps(c_jwe["X25519 + P-256"])))
            py_ok = jwcrypto_refuses_jwe(c_jwe["X25519 + P-256"],
                                         load(c_x_other))
            return ok and py_ok, detail or ("" if py_ok else "jwcrypto accepted it")

        def wrong_cek():
            return c.refused(DECRYPT, "decrypt-dir", os.urandom(32).hex(),
                             c.file(json.dumps(py_jwe["dir"])))

        c.check("jwcrypto-made JWE, wrong recipient key: C refuses", wrong_recipient_c)
        c.check("C-made JWE, wrong recipient key: C and jwcrypto refuse", wrong_recipient_both)
        c.check("jwcrypto-made dir JWE, wrong CEK: C refuses", wrong_cek)

        print(f"{c.passed} passed, {c.failed} failed")
        return 0 if c.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
