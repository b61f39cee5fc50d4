#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A raw client of the OpenSSH agent protocol (RFC 9987), written from the specification alone,
for the requests ssh-add cannot send. Every subcommand exits 0 when the agent behaves as the
protocol and docs/protocol.md "ssh-agent" say, 1 otherwise (with a line on stderr saying why).

Usage:
  sshproto.py query SOCK                   the "query" extension: EXTENSION_RESPONSE (29), the
                                           name "query", then the names answered (printed)
  sshproto.py extension SOCK NAME          another extension: FAILURE (5)
  sshproto.py add-constrained SOCK KIND    a fresh Ed25519 key with a constraint the agent does
                                           not know (KIND: byte99 | ext | ext-restrict |
                                           lifetime0 | lifetime-twice): FAILURE, and not listed
  sshproto.py raw SOCK HEX [TYPE]          one message body; prints the answer's type (and
                                           exits 0 only if it is TYPE, when given)
  sshproto.py oversize SOCK                lengths 256 KiB + 1 and 0 close the connection
                                           without an answer; a new connection is answered
  sshproto.py trailing SOCK                a byte after each kind of request: FAILURE each
  sshproto.py truncated SOCK               ADD_IDENTITY and SIGN_REQUEST cut at every length:
                                           FAILURE each, nothing added
  sshproto.py sign-flags SOCK              flags 0, 2, 4, 6 sign (checked with cryptography);
                                           any other bit: FAILURE
  sshproto.py sign-unknown SOCK            a key blob the agent does not hold: FAILURE
  sshproto.py locked SOCK                  (agent locked) everything but UNLOCK fails, and the
                                           identity list is empty
  sshproto.py refused SOCK                 the agent closes without a byte (another user)
  sshproto.py sign SOCK KEY.pub [TYPE]     SIGN_REQUEST for the key of an OpenSSH public key
                                           line (ssh-ed25519); prints the answer's type, and
                                           a SIGN_RESPONSE must verify; exit 0 only if it is
                                           TYPE, when given
  sshproto.py listed SOCK KEY.pub          REQUEST_IDENTITIES: prints yes when the key of the
                                           public key line is listed, no when it is not
"""
import base64, os, socket, struct, sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

MESSAGE_MAX = 256 * 1024
FAILURE, SUCCESS, IDENTITIES_ANSWER, SIGN_RESPONSE, EXTENSION_RESPONSE = 5, 6, 12, 14, 29
REQUEST_IDENTITIES, SIGN_REQUEST, ADD_IDENTITY, REMOVE_IDENTITY = 11, 13, 17, 18
REMOVE_ALL, LOCK, UNLOCK, ADD_ID_CONSTRAINED, EXTENSION = 19, 22, 23, 25, 27
CONSTRAIN_LIFETIME, CONSTRAIN_CONFIRM, CONSTRAIN_EXTENSION = 1, 2, 255


class Closed(Exception):
    pass


def string(data):
    if isinstance(data, str):
        data = data.encode()
    return struct.pack(">I", len(data)) + data


def u32(value):
    return struct.pack(">I", value)


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(path)
    return s


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        try:
            chunk = s.recv(n - len(buf))
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            raise Closed("the agent closed the connection")
        buf += chunk
    return buf


def request(s, body):
    """Send one message body; return the answer body."""
    s.sendall(u32(len(body)) + body)
    (n,) = struct.unpack(">I", recv_exact(s, 4))
    if n == 0 or n > MESSAGE_MAX:
        raise ValueError("an answer of %d bytes" % n)
    return recv_exact(s, n)


def closed_without_answer(s):
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, n):
        if self.pos + n > len(self.data):
            raise ValueError("the answer is truncated")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def u32(self):
        return struct.unpack(">I", self.take(4))[0]

    def string(self):
        return self.take(self.u32())

    def end(self):
        if self.pos != len(self.data):
            raise ValueError("%d bytes after the answer" % (len(self.data) - self.pos))


def new_key():
    key = ed25519.Ed25519PrivateKey.generate()
    pub = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    seed = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption())
    return key, pub, seed


def key_blob(pub):
    return string("ssh-ed25519") + string(pub)


def add_body(pub, seed, comment="sshproto", constraints=b""):
    kind = ADD_ID_CONSTRAINED if constraints else ADD_IDENTITY
    return (bytes([kind]) + string("ssh-ed25519") + string(pub) + string(seed + pub) +
            string(comment) + constraints)


def sign_body(blob, data, flags=0):
    return bytes([SIGN_REQUEST]) + string(blob) + string(data) + u32(flags)


def identities(s):
    """The key blobs the agent lists."""
    r = Reader(request(s, bytes([REQUEST_IDENTITIES])))
    if r.take(1)[0] != IDENTITIES_ANSWER:
        raise ValueError("REQUEST_IDENTITIES was not answered with IDENTITIES_ANSWER")
    blobs = []
    for _ in range(r.u32()):
        blobs.append(r.string())
        r.string()
    r.end()
    return blobs


def answer_type(answer):
    return answer[0] if answer else None


class Checks:
    def __init__(self):
        self.failed = 0

    def expect(self, name, got, want):
        if got != want:
            print("%s: answered %r, expected %r" % (name, got, want), file=sys.stderr)
            self.failed += 1

    def true(self, name, cond):
        if not cond:
            print("%s: not so" % name, file=sys.stderr)
            self.failed += 1

    def status(self):
        return 1 if self.failed else 0


def expect_failure(checks, s, name, body):
    checks.expect(name, answer_type(request(s, body)), FAILURE)


def cmd_query(path):
    r = Reader(request(connect(path), bytes([EXTENSION]) + string("query")))
    kind = r.take(1)[0]
    if kind != EXTENSION_RESPONSE:
        print("query: answered %d, expected %d" % (kind, EXTENSION_RESPONSE), file=sys.stderr)
        return 1
    if r.string() != b"query":
        print("query: the answer does not start with the name 'query'", file=sys.stderr)
        return 1
    names = []
    while r.pos < len(r.data):
        names.append(r.string().decode())
    print(" ".join(names))
    return 0 if "query" in names else 1


def cmd_extension(path, name):
    checks = Checks()
    expect_failure(checks, connect(path), "extension " + name, bytes([EXTENSION]) + string(name))
    return checks.status()


CONSTRAINTS = {
    "byte99": bytes([99]),
    "ext": bytes([CONSTRAIN_EXTENSION]) + string("unknown@example.com") + string(b""),
    # What ssh-add -h sends (OpenSSH 8.9+), with an empty destination list.
    "ext-restrict": bytes([CONSTRAIN_EXTENSION]) + string("restrict-destination-v00@openssh.com")
    + string(b""),
    "lifetime0": bytes([CONSTRAIN_LIFETIME]) + u32(0),
    "lifetime-twice": bytes([CONSTRAIN_LIFETIME]) + u32(60) + bytes([CONSTRAIN_LIFETIME]) + u32(60),
    "truncated-lifetime": bytes([CONSTRAIN_LIFETIME]) + b"\0\0",
}


def cmd_add_constrained(path, kind):
    if kind not in CONSTRAINTS:
        print("unknown KIND %s: one of %s" % (kind, ", ".join(CONSTRAINTS)), file=sys.stderr)
        return 2
    checks = Checks()
    s = connect(path)
    _, pub, seed = new_key()
    expect_failure(checks, s, "add with constraint " + kind, add_body(pub, seed,
                                                                     constraints=CONSTRAINTS[kind]))
    checks.true("the key refused with constraint %s is not listed" % kind,
                key_blob(pub) not in identities(s))
    return checks.status()


def cmd_raw(path, hexbody, want=None):
    answer = request(connect(path), bytes.fromhex(hexbody))
    print(answer_type(answer))
    return 0 if want is None or answer_type(answer) == int(want) else 1


def cmd_oversize(path):
    checks = Checks()
    for name, head in (("length 256 KiB + 1", u32(MESSAGE_MAX + 1)), ("length 0", u32(0)),
                       ("length 2^32 - 1", u32(0xFFFFFFFF))):
        s = connect(path)
        try:
            s.sendall(head + b"\x0b" * 64)
        except (BrokenPipeError, ConnectionResetError):
            pass
        checks.true(name + " closes the connection without an answer", closed_without_answer(s))
    # The largest message accepted is read in full (and refused, as it is no valid request).
    s = connect(path)
    expect_failure(checks, s, "a message of exactly 256 KiB",
                   bytes([REQUEST_IDENTITIES]) + b"\0" * (MESSAGE_MAX - 1))
    checks.true("a new connection is answered", isinstance(identities(connect(path)), list))
    return checks.status()


def cmd_trailing(path):
    checks = Checks()
    s = connect(path)
    _, pub, seed = new_key()
    blob = key_blob(pub)
    cases = {
        "REQUEST_IDENTITIES": bytes([REQUEST_IDENTITIES]),
        "ADD_IDENTITY": add_body(pub, seed),
        "SIGN_REQUEST": sign_body(blob, b"data"),
        "REMOVE_IDENTITY": bytes([REMOVE_IDENTITY]) + string(blob),
        "REMOVE_ALL_IDENTITIES": bytes([REMOVE_ALL]),
        "LOCK": bytes([LOCK]) + string("pass"),
        "UNLOCK": bytes([UNLOCK]) + string("pass"),
        "EXTENSION query": bytes([EXTENSION]) + string("query"),
    }
    for name, body in cases.items():
        expect_failure(checks, s, name + " with a trailing byte", body + b"\0")
    checks.true("the key sent with a trailing byte is not listed", blob not in identities(s))
    return checks.status()


def cmd_truncated(path):
    checks = Checks()
    s = connect(path)
    _, pub, seed = new_key()
    blob = key_blob(pub)
    add = add_body(pub, seed)
    lifetime = add_body(pub, seed, constraints=bytes([CONSTRAIN_LIFETIME]) + u32(60))
    sign = sign_body(blob, b"data")
    for name, body in (("ADD_IDENTITY", add), ("ADD_ID_CONSTRAINED", lifetime),
                       ("SIGN_REQUEST", sign)):
        for n in range(1, len(body)):
            if name == "ADD_ID_CONSTRAINED" and n == len(add):
                continue  # a constrained add with no constraint at all is a valid request
            expect_failure(checks, s, "%s cut to %d bytes" % (name, n), body[:n])
    checks.true("no truncated ADD_IDENTITY was kept", blob not in identities(s))
    return checks.status()


def cmd_sign_flags(path):
    checks = Checks()
    s = connect(path)
    key, pub, seed = new_key()
    blob = key_blob(pub)
    # A lifetime keeps the key in memory only: nothing of it is left in the hive.
    checks.expect("add a key for 60 s", answer_type(request(
        s, add_body(pub, seed, constraints=bytes([CONSTRAIN_LIFETIME]) + u32(60)))), SUCCESS)
    for flags in (0, 2, 4, 6):
        data = os.urandom(32)
        r = Reader(request(s, sign_body(blob, data, flags)))
        kind = r.take(1)[0]
        checks.expect("sign with flags %d" % flags, kind, SIGN_RESPONSE)
        if kind != SIGN_RESPONSE:
            continue
        sig = Reader(r.string())
        r.end()
        checks.expect("the signature's type", sig.string(), b"ssh-ed25519")
        raw = sig.string()
        sig.end()
        try:
            key.public_key().verify(raw, data)
        except InvalidSignature:
            checks.true("the signature with flags %d verifies" % flags, False)
    for flags in (1, 8, 0x10, 0x80000000, 0xFFFFFFFF):
        expect_failure(checks, s, "sign with flags 0x%x" % flags, sign_body(blob, b"x", flags))
    checks.expect("remove the key", answer_type(request(s, bytes([REMOVE_IDENTITY]) +
                                                        string(blob))), SUCCESS)
    return checks.status()


def cmd_sign_unknown(path):
    checks = Checks()
    s = connect(path)
    _, pub, _ = new_key()
    expect_failure(checks, s, "sign with a key the agent does not hold",
                   sign_body(key_blob(pub), b"data"))
    expect_failure(checks, s, "sign with a blob that is no key", sign_body(b"garbage", b"data"))
    expect_failure(checks, s, "remove a key the agent does not hold",
                   bytes([REMOVE_IDENTITY]) + string(key_blob(pub)))
    return checks.status()


def cmd_locked(path):
    checks = Checks()
    s = connect(path)
    _, pub, seed = new_key()
    checks.expect("the identity list of a locked agent", identities(s), [])
    for name, body in (("ADD_IDENTITY", add_body(pub, seed)),
                       ("SIGN_REQUEST", sign_body(key_blob(pub), b"data")),
                       ("REMOVE_ALL_IDENTITIES", bytes([REMOVE_ALL])),
                       ("LOCK", bytes([LOCK]) + string("again")),
                       ("EXTENSION query", bytes([EXTENSION]) + string("query"))):
        expect_failure(checks, s, name + " while locked", body)
    return checks.status()


def cmd_refused(path):
    s = connect(path)
    # Whatever is sent, a refused peer gets no byte back: the agent closed before reading.
    try:
        s.sendall(u32(1) + bytes([REQUEST_IDENTITIES]))
    except (BrokenPipeError, ConnectionResetError):
        return 0
    return 0 if closed_without_answer(s) else 1


def pub_blob(path):
    """The key blob of an OpenSSH public key line (TYPE BASE64 [COMMENT])."""
    return base64.b64decode(open(path).read().split()[1])


def cmd_sign(path, pubfile, want=None):
    blob = pub_blob(pubfile)
    data = os.urandom(32)
    r = Reader(request(connect(path), sign_body(blob, data)))
    kind = r.take(1)[0]
    if kind == SIGN_RESPONSE:
        sig = Reader(r.string())
        r.end()
        if sig.string() != b"ssh-ed25519":
            raise ValueError("not an ssh-ed25519 signature")
        raw = sig.string()
        sig.end()
        k = Reader(blob)
        if k.string() != b"ssh-ed25519":
            raise ValueError("KEY.pub is not an ssh-ed25519 key")
        try:
            ed25519.Ed25519PublicKey.from_public_bytes(k.string()).verify(raw, data)
        except InvalidSignature:
            raise ValueError("the signature does not verify")
    print(kind)
    return 0 if want is None or kind == int(want) else 1


def cmd_listed(path, pubfile):
    print("yes" if pub_blob(pubfile) in identities(connect(path)) else "no")
    return 0


def main(argv):
    cmds = {"query": (cmd_query, 1), "extension": (cmd_extension, 2),
            "add-constrained": (cmd_add_constrained, 2), "raw": (cmd_raw, 2),
            "oversize": (cmd_oversize, 1), "trailing": (cmd_trailing, 1),
            "truncated": (cmd_truncated, 1), "sign-flags": (cmd_sign_flags, 1),
            "sign-unknown": (cmd_sign_unknown, 1), "locked": (cmd_locked, 1),
            "refused": (cmd_refused, 1), "sign": (cmd_sign, 2), "listed": (cmd_listed, 2)}
    if len(argv) < 3 or argv[1] not in cmds or len(argv) - 2 < cmds[argv[1]][1]:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        return cmds[argv[1]][0](*argv[2:])
    except (Closed, ValueError, OSError) as e:
        print("%s: %s" % (argv[1], e), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
