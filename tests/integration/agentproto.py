#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A minimal client of the agent protocol (docs/protocol.md "Agent methods (§9)"), written from
the specification alone so that the agent's tests do not depend on the mesh CLI or libmeshclient.

Usage:
  eval "$(agentproto.py env DIR)"                a private environment for one agent under DIR:
                                                 HOME, XDG_RUNTIME_DIR (0700), MMM_HOME,
                                                 MESH_HIVE=test, no MESH_AGENT_SOCK; sets SOCK
  agentproto.py call SOCK METHOD [PARAMS-JSON]   one request; prints the answer (exit 0 on
                                                 Result, 1 on Error, 3 when the agent closes)
  agentproto.py ok SOCK METHOD [PARAMS-JSON]     as call, silent: exit 0 on a Result
  agentproto.py wait SOCK SECONDS                until Hello is answered (exit 0) or timeout
  agentproto.py refused SOCK                     exit 0 when the agent closes the connection
                                                 without a byte (another user)
  agentproto.py frames SOCK                      bad frames close only their connection
  agentproto.py load SOCK CLIENTS REQUESTS [UDF] concurrent clients, every answer checked
  agentproto.py writer SOCK LOG                  DeviceCreate forever; each acknowledged
                                                 identifier is appended to LOG (fsync'ed)
  agentproto.py check SOCK HIVE-DIR LOG          after a crash: every identifier in LOG is
                                                 listed and loads, every key reads, every entry
                                                 of the hive parses, temp files are not entries
  agentproto.py hold SOCK N READY                holds N connections the agent accepted (each
                                                 answered Hello), then fills its listen backlog;
                                                 writes "N QUEUED" to READY; sleeps until killed
"""
import base64, json, os, shlex, socket, struct, sys, threading, time

FRAME_MAX = 1024 * 1024


def connect(path, timeout=30):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    # With a timeout the socket is non-blocking: a full listen backlog is EAGAIN, not a wait.
    for _ in range(int(timeout * 100)):
        try:
            s.connect(path)
            return s
        except BlockingIOError:
            time.sleep(0.01)
    raise TimeoutError("the agent's listen backlog stayed full")


def send_raw(s, data):
    s.sendall(struct.pack(">I", len(data)) + data)


def send(s, obj):
    send_raw(s, json.dumps(obj).encode())


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def recv(s):
    """The next answer, or None when the agent closed the connection."""
    head = recv_exact(s, 4)
    if head is None:
        return None
    (n,) = struct.unpack(">I", head)
    if n == 0 or n > FRAME_MAX:
        raise ValueError("bad answer length %d" % n)
    body = recv_exact(s, n)
    if body is None:
        raise ValueError("truncated answer")
    return json.loads(body)


def call(s, ident, method, params=None):
    req = {"Id": ident, "Method": method}
    if params is not None:
        req["Params"] = params
    send(s, req)
    ans = recv(s)
    if ans is None:
        raise EOFError("the agent closed the connection")
    if ans.get("Id") != ident:
        raise ValueError("answer for Id %r, expected %r" % (ans.get("Id"), ident))
    return ans


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def closed_without_answer(s):
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True


def cmd_env(base):
    home, run = os.path.join(base, "home"), os.path.join(base, "run")
    os.makedirs(home, exist_ok=True)
    os.makedirs(run, mode=0o700, exist_ok=True)
    values = {"HOME": home, "XDG_RUNTIME_DIR": run, "MMM_HOME": os.path.join(base, "mmm"),
              "MESH_HIVE": "test"}
    sock = os.path.join(run, "mesh", "CryptoMesh", "agent.sock")
    print("export %s; unset MESH_AGENT_SOCK; SOCK=%s"
          % (" ".join("%s=%s" % (k, shlex.quote(v)) for k, v in values.items()),
             shlex.quote(sock)))
    return 0


def cmd_call(path, method, params=None, quiet=False):
    s = connect(path)
    try:
        ans = call(s, 1, method, json.loads(params) if params else None)
    except EOFError:
        return 3
    if not quiet:
        print(json.dumps(ans))
    return 0 if "Result" in ans else 1


def cmd_ok(path, method, params=None):
    return cmd_call(path, method, params, quiet=True)


def cmd_wait(path, seconds):
    end = time.time() + float(seconds)
    while time.time() < end:
        try:
            s = connect(path, timeout=5)
            if "Result" in call(s, 1, "Hello"):
                return 0
        except (OSError, EOFError, ValueError):
            time.sleep(0.05)
    return 1


def cmd_refused(path):
    s = connect(path)
    # Whatever is sent, a refused peer gets no byte back: the agent closed before reading.
    try:
        send(s, {"Id": 1, "Method": "Hello"})
    except (BrokenPipeError, ConnectionResetError):
        return 0
    return 0 if closed_without_answer(s) else 1


def cmd_frames(path):
    """Each bad frame on its own connection; a bystander connection must keep being answered."""
    failures = 0
    bystander = connect(path)
    cases = {
        "oversize length": struct.pack(">I", FRAME_MAX + 1),
        "zero length": struct.pack(">I", 0),
        "garbage": b"\xde\xad\xbe\xef" * 64,
        "not JSON": struct.pack(">I", 5) + b"hello",
        "truncated frame": struct.pack(">I", 100) + b"{\"Id\": 1, ",
    }
    for n, (name, data) in enumerate(cases.items()):
        s = connect(path)
        s.sendall(data)
        if name == "truncated frame":
            s.shutdown(socket.SHUT_WR)
        ok = closed_without_answer(s)
        s.close()
        ans = call(bystander, 100 + n, "Hello")
        ok = ok and "Result" in ans
        print("%s - %s closes only its connection" % ("ok  " if ok else "FAIL", name))
        failures += not ok
    # A frame with a readable Id but the wrong shape: an Error answer, then the close.
    s = connect(path)
    send(s, {"Id": 9, "Method": "Hello", "Bogus": 1})
    ans = recv(s)
    ok = ans is not None and ans.get("Id") == 9 and ans["Error"]["Name"] == "Malformed" \
        and closed_without_answer(s)
    print("%s - unknown request member: Error answer, then closed" % ("ok  " if ok else "FAIL"))
    failures += not ok
    ok = "Result" in call(bystander, 200, "Status")
    print("%s - the bystander is still served" % ("ok  " if ok else "FAIL"))
    failures += not ok
    failures += flood(path, bystander)
    failures += cap(path)  # the bystander is one of the connections
    return 1 if failures else 0


def flood(path, bystander, n=40000):
    """A client that sends without reading fills its answer queue (4 MiB): the agent stops
    reading from it and serves others, and every answer arrives once the client reads."""
    c = connect(path, timeout=120)
    sender = threading.Thread(target=lambda: c.sendall(b"".join(
        struct.pack(">I", len(b)) + b for b in
        (json.dumps({"Id": i, "Method": "Hello"}).encode() for i in range(n)))))
    sender.start()
    time.sleep(1)
    ok = sender.is_alive() and "Result" in call(bystander, 300, "Hello")
    print("%s - a client that does not read is paused; others are served"
          % ("ok  " if ok else "FAIL"))
    got = [recv(c)["Id"] for _ in range(n)]
    sender.join()
    ok2 = got == list(range(n))
    print("%s - then it gets all %d answers, in order" % ("ok  " if ok2 else "FAIL", n))
    c.close()
    return (not ok) + (not ok2)


def cap(path, limit=256, already=1):
    """At most 256 connections are served at once (@already of them are open now); the next
    one waits for a free slot."""
    conns = [connect(path) for _ in range(limit - already)]
    ok = all("Result" in call(c, i, "Hello") for i, c in enumerate(conns))
    extra = connect(path, timeout=1)
    send(extra, {"Id": 1, "Method": "Hello"})
    try:
        ok = ok and extra.recv(1) == b"" and False
    except socket.timeout:
        pass
    conns.pop().close()
    extra.settimeout(10)
    ans = recv(extra)
    ok = ok and ans is not None and "Result" in ans
    print("%s - connection %d waits until one of %d closes" % ("ok  " if ok else "FAIL",
                                                              limit + 1, limit))
    for c in conns + [extra]:
        c.close()
    return not ok


def cmd_load(path, clients, requests, udf=None):
    """CLIENTS threads x REQUESTS requests (Hello, DeviceList, KeySign), pipelined in bursts,
    signing with the device's signature key or with UDF (Ed25519 or P-256, whatever store)."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, utils
    from cryptography.hazmat.primitives import hashes, serialization

    s = connect(path)
    dev = call(s, 1, "DeviceGet").get("Result")  # none: only the UDF given is used
    udf = udf or dev["Keys"]["Signature"]
    pub = call(s, 2, "KeyPublic", {"UDF": udf})["Result"]
    key = serialization.load_der_public_key(unb64u(pub["SPKI"]))
    s.close()

    def verify(signature, data):
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, data)
        else:
            assert isinstance(key, ec.EllipticCurvePublicKey) and len(signature) == 64
            der = utils.encode_dss_signature(int.from_bytes(signature[:32], "big"),
                                             int.from_bytes(signature[32:], "big"))
            key.verify(der, data, ec.ECDSA(hashes.SHA256()))
    errors = []

    def check(ans, want_id, method, data):
        if ans is None or ans.get("Id") != want_id or "Result" not in ans:
            raise ValueError("%s: bad answer %r" % (method, ans))
        r = ans["Result"]
        if method == "Hello":
            assert r["Version"] == {"Major": 1, "Minor": 0} and "KeySign" in r["Methods"]
        elif method == "DeviceList":
            assert dev is None or any(d["Identifier"] == dev["Identifier"]
                                      for d in r["Devices"])
        else:
            verify(unb64u(r["Signature"]), data)

    def client(n):
        try:
            c = connect(path, timeout=120)
            i = 0
            while i < requests:
                # Up to 4 requests in flight, answers must come back in order.
                burst = []
                for _ in range(min(4, requests - i)):
                    method = ("Hello", "DeviceList", "KeySign")[(n + i) % 3]
                    data = os.urandom(1 + (i * 37) % 300)
                    params = {"UDF": udf, "Data": b64u(data)} if method == "KeySign" else None
                    req = {"Id": i, "Method": method}
                    if params:
                        req["Params"] = params
                    send(c, req)
                    burst.append((i, method, data))
                    i += 1
                for want_id, method, data in burst:
                    check(recv(c), want_id, method, data)
            c.close()
        except Exception as e:  # noqa: BLE001 - every failure is reported
            errors.append("client %d: %r" % (n, e))

    clients, requests = int(clients), int(requests)
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in errors[:5]:
        print(e)
    print("%d clients x %d requests answered correctly, %d clients failed"
          % (clients, requests, len(errors)))
    return 1 if errors else 0


def cmd_writer(path, log):
    s = connect(path)
    with open(log, "a") as f:
        i = 0
        while True:
            i += 1
            ans = call(s, i, "DeviceCreate", {"Description": "crash %d" % i})
            if "Result" not in ans:
                print("DeviceCreate failed: %r" % ans, file=sys.stderr)
                return 1
            f.write(ans["Result"]["Identifier"] + "\n")
            f.flush()
            os.fsync(f.fileno())


def cmd_check(path, hive, log):
    failures = []
    s = connect(path)
    acked = [line.strip() for line in open(log) if line.strip()]
    listed = [d["Identifier"] for d in call(s, 1, "DeviceList")["Result"]["Devices"]]
    on_disk = sorted(f[:-5] for f in os.listdir(os.path.join(hive, "ThisDevice"))
                     if f.endswith(".json") and not f.startswith("."))
    if sorted(listed) != on_disk:
        failures.append("DeviceList %d entries, ThisDevice holds %d" % (len(listed), len(on_disk)))
    for udf in acked:
        if udf not in listed:
            failures.append("acknowledged device %s is not listed" % udf)
    for n, udf in enumerate(listed):
        ans = call(s, 100 + n, "DeviceGet", {"Identifier": udf})
        if "Result" not in ans:
            failures.append("device %s does not load: %r" % (udf, ans["Error"]))
    keys = call(s, 2, "KeyList")["Result"]["Keys"]
    for n, k in enumerate(keys):
        ans = call(s, 10000 + n, "KeyPublic", {"UDF": k["UDF"]})
        if "Result" not in ans:
            failures.append("key %s does not read: %r" % (k["UDF"], ans["Error"]))
    temps = 0
    for folder, _, files in os.walk(hive):
        for f in files:
            name = os.path.join(folder, f)
            if f.startswith("."):
                temps += 1
                continue
            data = open(name, "rb").read()
            if not data:
                failures.append("%s is empty" % name)
            elif f.endswith(".json") or f.endswith(".meta"):
                try:
                    json.loads(data)
                except ValueError:
                    failures.append("%s does not parse" % name)
    for f in failures[:10]:
        print(f)
    print("%d acknowledged, %d listed, %d keys, %d temporary files left, %d problems"
          % (len(acked), len(listed), len(keys), temps, len(failures)))
    return 1 if failures or not acked else 0


def cmd_hold(path, count, ready):
    conns = []
    for i in range(int(count)):
        c = connect(path)
        if "Result" not in call(c, i, "Hello"):
            return 1
        conns.append(c)
    # Connections the agent does not accept wait in its backlog until it is full: then a
    # non-blocking connect fails at once (EAGAIN).
    queued = 0
    while queued < 4096:
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.setblocking(False)
        try:
            c.connect(path)
        except BlockingIOError:
            c.close()
            break
        conns.append(c)
        queued += 1
    with open(ready + ".tmp", "w") as f:
        f.write("%d %d\n" % (int(count), queued))
    os.rename(ready + ".tmp", ready)
    while True:
        time.sleep(60)


def main(argv):
    cmds = {"env": cmd_env, "call": cmd_call, "ok": cmd_ok, "wait": cmd_wait, "refused": cmd_refused, "frames": cmd_frames,
            "load": cmd_load, "writer": cmd_writer, "check": cmd_check, "hold": cmd_hold}
    if len(argv) < 3 or argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        return cmds[argv[1]](*argv[2:])
    except (EOFError, BrokenPipeError, ConnectionResetError) as e:
        print("agentproto: %r" % e, file=sys.stderr)
        return 3
    except (OSError, ValueError) as e:
        print("agentproto: %r" % e, file=sys.stderr)
        return 4


if __name__ == "__main__":
    sys.exit(main(sys.argv))
