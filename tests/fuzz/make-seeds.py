#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Regenerates the seed corpora of the JOSE fuzz targets (tests/fuzz/corpus/jw{k,s,e}).

Tokens are made both by core (through jose-tool) and by python3-jwcrypto, signed by or
encrypted to the fuzz harness's fixed keys (tests/fuzz/keys.c: raw private bytes 0x41 for
Ed25519, 0x42 for X25519, 0x43 for P-256; the dir CEK is 32 bytes of 0x5a), so that the
fuzzers start from inputs that reach verification and decryption.
Usage: make-seeds.py PATH/TO/jose-tool
"""
import json, os, subprocess, sys, tempfile
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519, ec
from jwcrypto import jwk, jws, jwe
from jwcrypto.common import json_encode, base64url_encode
from cryptography.hazmat.primitives import serialization

RAW = serialization.Encoding.Raw

def okp(crv, priv):
    pub = priv.public_key().public_bytes(RAW, serialization.PublicFormat.Raw)
    d = priv.private_bytes(RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    return jwk.JWK(kty="OKP", crv=crv, x=base64url_encode(pub), d=base64url_encode(d))

tool = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
tmp = tempfile.mkdtemp()

def save(target, name, data):
    d = os.path.join(here, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())

def tmpfile(name, data):
    p = os.path.join(tmp, name)
    with open(p, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    return p

def run(*args):
    return subprocess.run([tool, *args], check=True, capture_output=True).stdout

ed = okp("Ed25519", ed25519.Ed25519PrivateKey.from_private_bytes(b"\x41" * 32))
xk = okp("X25519", x25519.X25519PrivateKey.from_private_bytes(b"\x42" * 32))
pk = jwk.JWK.from_pyca(ec.derive_private_key(int.from_bytes(b"\x43" * 32, "big"), ec.SECP256R1()))
keys = {"ed25519": ed, "x25519": xk, "p256": pk}

for name, k in keys.items():
    save("jwk", name + "-private", k.export_private())
    save("jwk", name + "-public", k.export_public())
    pub_c = run("pubkey", tmpfile(name + ".jwk", k.export_private()))
    save("jwk", name + "-public-core", pub_c)
    udf = run("udf", tmpfile(name + ".pub", pub_c)).decode().strip()
    save("jwk", name + "-key-object",
         json.dumps({"UDF": udf, "PublicParameters": json.loads(pub_c)}))
save("jwk", "bad-crv", '{"kty":"OKP","crv":"Ed448","x":"AAAA"}')
save("jwk", "ec-missing-y", '{"kty":"EC","crv":"P-256","x":"' + json.loads(pk.export_public())["x"] + '"}')

payload = tmpfile("payload", b'{"DeviceProfile":{"Description":"fuzz seed"}}')
for name in ("ed25519", "p256"):
    save("jws", name + "-core", run("sign", tmpfile(name + ".jwk", keys[name].export_private()), payload, "DeviceProfile"))
    s = jws.JWS(b"jwcrypto payload")
    alg = "EdDSA" if name == "ed25519" else "ES256"
    s.add_signature(keys[name], None, json_encode({"alg": alg, "kid": "MDDK-7N6A-727A-JZNO-STRX-XKS7-DJAF"}))
    save("jws", name + "-jwcrypto", s.serialize())
save("jws", "alg-none", '{"protected":"eyJhbGciOiJub25lIn0","payload":"e30","signature":""}')

both = [tmpfile("x.pub", xk.export_public()), tmpfile("p.pub", pk.export_public())]
save("jwe", "core-x25519", run("encrypt", payload, both[0]))
save("jwe", "core-p256", run("encrypt", payload, both[1]))
save("jwe", "core-two", run("encrypt", payload, *both))
save("jwe", "core-dir", run("encrypt-dir", "5A" * 32, payload, "MDDK-7N6A-727A-JZNO-STRX-XKS7-DJAF"))
for name in ("x25519", "p256"):
    e = jwe.JWE(b"jwcrypto plaintext", json_encode({"enc": "A256GCM"}))
    e.add_recipient(keys[name], json_encode({"alg": "ECDH-ES+A256KW", "kid": name}))
    save("jwe", name + "-jwcrypto", e.serialize())
print("seeds written under", os.path.join(here, "corpus"))
