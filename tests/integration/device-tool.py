#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Independent checks of a device's removal, with python3-jwcrypto and python3-cryptography.

  device-tool.py open APPFILE KEYFILE
      Decrypt the SharedPrivate JWE of the SignedApplicationProfile in APPFILE with the X25519
      (or P-256) private key in KEYFILE (PKCS#8 PEM, as a hive's Keys/<udf> holds it); print
      the plaintext; exit 1 when the key opens none of its recipients.
  device-tool.py send URL KEYFILE KID TAG JSON
      Send the request {TAG: JSON + Issued + Nonce} to the portal at URL as a SignedTransaction
      (flattened JWS, EdDSA) signed with the Ed25519 key in KEYFILE (an OpenSSH private key
      file, as a hive's Keys/<udf> holds it) under the kid KID; print "STATUS CODE" (the HTTP
      status and the answer's Code, "-" when it has none).
"""

import base64
import datetime
import json
import os
import sys
import urllib.error
import urllib.request

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import x25519
from jwcrypto import jwe, jwk, jws


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def private_jwk(private):
    """A JWK of a pyca private key; X25519 built from its raw bytes (jwcrypto 1.1 cannot)."""
    if isinstance(private, x25519.X25519PrivateKey):
        raw = serialization.Encoding.Raw
        d = private.private_bytes(raw, serialization.PrivateFormat.Raw,
                                  serialization.NoEncryption())
        x = private.public_key().public_bytes(raw, serialization.PublicFormat.Raw)
        return jwk.JWK(kty="OKP", crv="X25519", d=b64u(d), x=b64u(x))
    return jwk.JWK.from_pyca(private)


def open_app(app_file, key_file):
    with open(app_file) as f:
        signed = json.load(f)["SignedApplicationProfile"]["SignedData"]
    payload = json.loads(unb64u(signed["payload"]))["ApplicationProfile"]
    with open(key_file, "rb") as f:
        key = private_jwk(serialization.load_pem_private_key(f.read(), password=None))
    token = jwe.JWE()
    token.deserialize(json.dumps(payload["SharedPrivate"]))
    try:
        token.decrypt(key)
    except Exception as e:  # jwcrypto raises its own errors for every failure
        print("does not open: %s" % type(e).__name__)
        return 1
    sys.stdout.write(token.payload.decode())
    return 0


def send(url, key_file, kid, tag, request):
    with open(key_file, "rb") as f:
        private = serialization.load_ssh_private_key(f.read(), password=None)
    key = jwk.JWK.from_pyca(private)
    body = json.loads(request)
    body["Issued"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    body["Nonce"] = b64u(os.urandom(16))
    token = jws.JWS(json.dumps({tag: body}).encode())
    token.add_signature(key, alg="EdDSA",
                        protected=json.dumps({"alg": "EdDSA", "kid": kid, "cty": tag}))
    envelope = {"SignedTransaction": json.loads(token.serialize())}
    req = urllib.request.Request(url, data=json.dumps(envelope).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        answer = urllib.request.urlopen(req, timeout=20)
        status, text = answer.status, answer.read()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read()
    inner = next(iter(json.loads(text).values()))
    print(status, inner.get("Code", "-"))
    return 0


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "open":
        return open_app(sys.argv[2], sys.argv[3])
    if len(sys.argv) == 7 and sys.argv[1] == "send":
        return send(*sys.argv[2:])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
