#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Seeds for fuzz-ssh-agent (tests/fuzz/corpus/ssh-agent/), recorded and hand-made.

An input of fuzz-ssh-agent is what a client writes to the agent's socket: messages, each a 4-byte
big-endian length and the body. Every corpus file is such a stream, named by the SHA-1 of its
content as libFuzzer names its inputs: one file per message, and one per client connection
holding all its messages in order (so that an add and then a sign, or a lock and then an unlock,
reach the agent in the state they need).

  record-ssh-agent.py proxy LISTEN UPSTREAM OUTDIR
      A Unix-socket proxy in front of an agent at UPSTREAM (stock `ssh-agent -D -a UPSTREAM`):
      every client connection to LISTEN is relayed, its messages saved in OUTDIR, the answers
      forwarded unchanged. Runs until SIGTERM or SIGINT.
  record-ssh-agent.py seeds OUTDIR
      The hand-made seeds: requests that no ssh-add sends (unknown constraints and extensions,
      truncated and oversize fields), with the fuzz harness's fixed Ed25519 key (raw private
      bytes 0x41, tests/fuzz/keys.c) so that the output is the same on every run.

To re-record the whole corpus: sh tests/fuzz/record-ssh-agent.sh (it drives ssh-add, ssh-keygen
and ssh through this proxy, then adds the hand-made seeds).
"""
import hashlib
import os
import signal
import socket
import struct
import sys
import threading

MESSAGE_MAX = 256 * 1024  # MESH_SSH_AGENT_MESSAGE_MAX (ipc/ssh-agent.h)


def frame(body):
    return struct.pack(">I", len(body)) + body


def save(outdir, data):
    """Write @data to OUTDIR under the SHA-1 of its content (a second copy changes nothing)."""
    path = os.path.join(outdir, hashlib.sha1(data).hexdigest())
    with open(path, "wb") as f:
        f.write(data)


def relay(src, dst, on_data=None):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if on_data is not None:
                on_data(data)
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve_client(client, upstream_path, outdir):
    upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    upstream.connect(upstream_path)
    pending = bytearray()
    session = bytearray()
    count = [0]

    def on_request(data):
        pending.extend(data)
        while len(pending) >= 4:
            (n,) = struct.unpack(">I", pending[:4])
            if n > MESSAGE_MAX or len(pending) < 4 + n:
                break
            message = bytes(pending[: 4 + n])
            del pending[: 4 + n]
            save(outdir, message)
            session.extend(message)
            count[0] += 1

    answers = threading.Thread(target=relay, args=(upstream, client))
    answers.start()
    relay(client, upstream, on_request)
    answers.join()
    # A connection of one message is already saved as that message.
    if count[0] > 1:
        save(outdir, bytes(session))
    client.close()
    upstream.close()


def proxy(listen_path, upstream_path, outdir):
    os.makedirs(outdir, exist_ok=True)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(listen_path)
    server.listen(16)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while True:
            client, _ = server.accept()
            threading.Thread(target=serve_client, args=(client, upstream_path, outdir),
                             daemon=True).start()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        os.unlink(listen_path)


def string(b):
    if isinstance(b, str):
        b = b.encode()
    return struct.pack(">I", len(b)) + b


def seeds(outdir):
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from cryptography.hazmat.primitives import serialization

    raw = serialization.Encoding.Raw
    seed = b"\x41" * 32
    pub = ed25519.Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(
        raw, serialization.PublicFormat.Raw)
    blob = string("ssh-ed25519") + string(pub)
    key = string("ssh-ed25519") + string(pub) + string(seed + pub) + string("fuzz")
    add = bytes([17]) + key
    sign = bytes([13]) + string(blob) + string(b"\x5a" * 64) + struct.pack(">I", 0)
    lifetime = bytes([1]) + struct.pack(">I", 30)
    os.makedirs(outdir, exist_ok=True)
    bodies = [
        bytes([27]) + string("query"),
        bytes([27]) + string("unknown@example.com") + b"\x00\x01",
        bytes([25]) + key + bytes([99]),
        bytes([25]) + key + bytes([255]) + string("unknown@example.com") + string(b"\x01"),
        bytes([25]) + key + lifetime + lifetime,
        bytes([25]) + key + bytes([1]) + struct.pack(">I", 0xFFFFFFFF),
        add + b"\x00",
        sign[:20],
        bytes([13]) + struct.pack(">I", 0xFFFFFFFF) + blob,
        bytes([17]) + struct.pack(">I", MESSAGE_MAX + 1) + b"ssh-ed25519",
        bytes([18]) + string(blob),
        bytes([200]),
        b"",
    ]
    for body in bodies:
        save(outdir, frame(body))
    # Sessions: add then sign (a signature), lock then sign then unlock, a length too long.
    save(outdir, frame(add) + frame(bytes([11])) + frame(sign) + frame(bytes([18]) + string(blob)))
    save(outdir, frame(add) + frame(bytes([22]) + string("word")) + frame(sign) +
         frame(bytes([23]) + string("other")) + frame(bytes([23]) + string("word")) + frame(sign))
    save(outdir, frame(bytes([11])) + struct.pack(">I", MESSAGE_MAX + 1) + bytes([11]))


def main(argv):
    if len(argv) == 5 and argv[1] == "proxy":
        proxy(argv[2], argv[3], argv[4])
    elif len(argv) == 3 and argv[1] == "seeds":
        seeds(argv[2])
    else:
        sys.exit("Usage: record-ssh-agent.py proxy LISTEN UPSTREAM OUTDIR | seeds OUTDIR")


if __name__ == "__main__":
    main(sys.argv)
