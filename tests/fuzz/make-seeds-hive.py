#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Regenerates the seed corpora of fuzz-audit and fuzz-policy (tests/fuzz/corpus/{audit,policy}/).

Audit seeds are logs as core/audit.c writes them (docs/protocol.md "Audit log"): the known answer
of tests/vectors/audit.json, and logs made here with the same line format and chain, their heads
signed with the fuzz harness's signature (64 bytes of 0x01, which fuzz-audit.c's verify_sig
accepts), so that the fuzzer starts from logs that verify, and broken variants of them. One input
is up to four files and a head, split at SEP (see fuzz-audit.c). Policy seeds are Policy/rules.json
entries (docs/protocol.md "Policy and approval"), good and malformed. Standard library only.
Usage: make-seeds-hive.py   (files are replaced; files of the fuzzer's own stay)
"""
import base64, hashlib, json, os

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))
SEP = b"\n--file--\n"
FUZZ_SIG = b"\x01" * 64
SIGNER = "MCF2-2NZ4-KL4B-2AND-AJRD-4ACA-KSKZ"
KEY1 = "MDXV-4B2Q-TNBQ-6V2G-YRTX-GR2A-4MBZ"


def save(target, name, data):
    d = os.path.join(here, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def esc(s):
    out = []
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch in "\b\f\n\r\t":
            out.append({"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}[ch])
        elif o < 0x20 or o == 0x7F:
            out.append("\\u%04x" % o)
        else:
            out.append(ch)
    return "".join(out)


ORDER = ["Time", "Op", "Key", "App", "Item", "Method", "Program", "Pid", "Decision", "Result",
         "Detail", "Signer", "Signature", "Prev"]


def fmt(seq, rec):
    s = '{"Seq":%d' % seq
    for m in ORDER:
        if m not in rec:
            continue
        if m == "Pid":
            s += ',"Pid":%d' % rec[m]
        else:
            s += ',"%s":"%s"' % (m, esc(rec[m]))
    return (s + "}").encode()


class Log:
    """A log as the writer makes it: lines chained, files and heads."""

    def __init__(self):
        self.seq = 1
        self.prev = b64u(bytes(32))
        self.files = []  # [first_seq, bytearray]
        self.head = None
        self.ms = 1796689862123  # 2026-12-08T00:31:02.123Z

    def time(self):
        t = self.ms
        self.ms += 1000
        import datetime
        d = datetime.datetime.fromtimestamp(t // 1000, datetime.timezone.utc)
        return d.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (t % 1000)

    def new_file(self):
        self.files.append([self.seq, bytearray()])

    def add(self, rec, **kw):
        if not self.files:
            self.new_file()
        r = {"Time": self.time()}
        r.update(rec)
        r["Prev"] = self.prev
        line = fmt(self.seq, r)
        self.files[-1][1] += line + b"\n"
        self.prev = b64u(hashlib.sha256(line).digest())
        self.seq += 1
        return line

    def sign_head(self, sig=FUZZ_SIG):
        line = self.add({"Op": "Head", "Signer": SIGNER, "Signature": b64u(sig)})
        self.head = line + b"\n"
        return line

    def torn(self, fragment):
        self.files[-1][1] += fragment

    def recover(self):
        """The writer reopening after a torn line: a new file starting with Recovered."""
        first, data = self.files[-1]
        nl = data.rfind(b"\n")
        frag = bytes(data[nl + 1:])
        name = "%012d.log" % first
        detail = "torn line at the end of Audit/%s: %d bytes, SHA-256 %s" % (
            name, len(frag), b64u(hashlib.sha256(frag).digest()))
        self.new_file()
        self.add({"Op": "Recovered", "Detail": detail})

    def input(self, head=True, files=None):
        parts = [bytes(d) for _, d in (files if files is not None else self.files)]
        if head and self.head is not None:
            parts.append(b"head:" + self.head)
        return SEP.join(parts)


SIGN = {"Op": "Sign", "Key": KEY1, "Method": "KeySign", "Program": "/usr/bin/ssh", "Pid": 1234,
        "Decision": "allow", "Result": "Ok"}
READ = {"Op": "Read", "App": "Passwords", "Item": "example.com", "Method": "PasswordGet",
        "Program": "/opt/Café \"beta\"/bin/app", "Pid": 77, "Decision": "ask-once",
        "Result": "Ok", "Detail": "line one\nline two\ttab"}
POLICY = {"Op": "Policy", "Method": "PolicySet", "Program": "/usr/bin/mesh", "Pid": 9,
          "Result": "Ok", "Detail": "Program=/usr/bin/git Key=%s Decision=deny" % KEY1}
DENIED = {"Op": "Sign", "Key": KEY1, "Method": "KeySign", "Program": "/usr/bin/git", "Pid": 5,
          "Decision": "deny", "Result": "Denied"}


def audit_seeds():
    # The known answer, as it is (its head is a real Ed25519 signature, which the harness
    # refuses), and the same lines without the head.
    kat = json.load(open(os.path.join(root, "tests", "vectors", "audit.json")))["Audit"]
    lines = [l.encode() for l in kat["Lines"]]
    save("audit", "kat", b"\n".join(lines) + b"\n" + SEP + b"head:" + kat["HeadEntry"].encode())
    save("audit", "kat-two-records", b"\n".join(lines[:2]) + b"\n")

    # The known answer's records with the harness's head: verifies.
    log = Log()
    log.add(SIGN)
    log.add(READ)
    log.sign_head()
    save("audit", "signed-head", log.input())
    save("audit", "head-missing", log.input(head=False))
    save("audit", "head-forged", log.input().replace(b64u(FUZZ_SIG).encode(),
                                                   b64u(b"\x02" * 64).encode()))
    save("audit", "empty", b"")
    save("audit", "empty-file-then-head", SEP + b"head:" + log.head)

    # A rotated log of three files, each closed by a head, Audit/head the last.
    log = Log()
    log.add(SIGN)
    log.add(READ)
    log.sign_head()
    log.new_file()
    log.add(POLICY)
    log.add(DENIED)
    log.sign_head()
    log.new_file()
    log.add(SIGN)
    log.add({"Op": "Approval", "Key": KEY1, "Program": "/usr/bin/ssh", "Pid": 1234,
             "Decision": "ask-always", "Result": "Ok"})
    rotated = log
    save("audit", "rotated-three", log.input())
    save("audit", "rotated-file-removed", log.input(files=[log.files[0], log.files[2]]))
    f = log.files
    save("audit", "rotated-reordered", SEP.join([bytes(f[1][1]), bytes(f[0][1]), bytes(f[2][1])]))
    save("audit", "rotated-head-ahead", rotated.input(files=rotated.files[:1]))

    # Rotation while the key was locked: an unsigned head says why.
    log = Log()
    log.add(SIGN)
    log.add({"Op": "Head", "Result": "Locked", "Detail": "the device key is locked"})
    log.new_file()
    log.add(READ)
    save("audit", "unsigned-head", log.input())

    # A torn line and the Recovered record that names it: verifies.
    log = Log()
    log.add(SIGN)
    log.add(READ)
    log.torn(b'{"Seq":3,"Time":"2026-12-08T00:31:04.123Z","Op":"Si')
    before = log.input()
    log.recover()
    log.add(DENIED)
    save("audit", "torn-recovered", log.input())
    save("audit", "torn-unrecovered", before)
    # Recovered names other bytes.
    save("audit", "torn-recovered-wrong", log.input().replace(b'"Op":"Si\n', b'"Op":"Sx\n', 1))
    # A newest file that holds nothing but a torn line (killed as it was started).
    log = Log()
    log.add(SIGN)
    log.add(READ)
    log.new_file()
    log.torn(b'{"Seq":3,"Time":"2026-')
    save("audit", "torn-only-newest", log.input())
    log2 = Log()
    log2.add(SIGN)
    save("audit", "torn-only-newest-misnamed",
         bytes(log2.files[0][1]) + SEP + b'{"Seq":9,"Ti')
    save("audit", "torn-first-line-next", bytes(log2.files[0][1]) + SEP + b'{"Seq":2')
    # An empty newest file, named for the next Seq.
    save("audit", "empty-newest", bytes(log2.files[0][1]) + SEP)

    # Broken variants of a good log.
    log = Log()
    log.add(SIGN)
    log.add(READ)
    log.add(POLICY)
    good = log.input()
    save("audit", "three-records", good)
    lines = good.split(b"\n")
    save("audit", "edited-record", good.replace(b'"Pid":77', b'"Pid":78'))
    save("audit", "removed-record", b"\n".join([lines[0], lines[2]]) + b"\n")
    save("audit", "reordered", b"\n".join([lines[1], lines[0], lines[2]]) + b"\n")
    save("audit", "repeated", b"\n".join([lines[0], lines[0], lines[1]]) + b"\n")
    save("audit", "spaces", good.replace(b'"Seq":1,', b'"Seq": 1, ', 1))
    save("audit", "member-order", good.replace(b'"Op":"Sign","Key":"%s"' % KEY1.encode(),
                                               b'"Key":"%s","Op":"Sign"' % KEY1.encode(), 1))
    save("audit", "unknown-member", good.replace(b'"Result":"Ok"', b'"Result":"Ok","X":"y"', 1))
    save("audit", "duplicate-member", good.replace(b'"Result":"Ok"', b'"Result":"Ok","Result":"Ok"', 1))
    save("audit", "bad-time", good.replace(b"00:31:02.123Z", b"00:31:02Z", 1))
    save("audit", "bad-time-feb30", good.replace(b"2026-12-08T00:31:02.123Z", b"2026-02-30T00:31:02.123Z", 1))
    save("audit", "seq-zero", good.replace(b'"Seq":1,', b'"Seq":0,', 1))
    save("audit", "seq-max", lines[0] + b"\n" + lines[1] + b"\n" +
         lines[2].replace(b'"Seq":3,', b'"Seq":9223372036854775807,') + b"\n")
    save("audit", "seq-overflow", good.replace(b'"Seq":3,', b'"Seq":18446744073709551616,', 1))
    save("audit", "seq-float", good.replace(b'"Seq":3,', b'"Seq":3.0,', 1))
    save("audit", "pid-string", good.replace(b'"Pid":77', b'"Pid":"77"', 1))
    save("audit", "crlf", good.replace(b"\n", b"\r\n"))
    save("audit", "no-final-newline", good[:-1])
    save("audit", "nul-in-line", good.replace(b"example.com", b"exa\x00ple.com", 1))
    save("audit", "not-utf8", good.replace(b"Caf\xc3\xa9", b"Caf\xe9", 1))
    save("audit", "escaped-upper-hex", good.replace(b"line one\\n", b"line one\\u000A", 1))
    save("audit", "misnamed-file", bytes(log.files[0][1]) + SEP + b'{"Seq":7' + SEP + good)
    save("audit", "head-signer-no-signature",
         good + fmt(4, {"Time": "2026-12-08T00:31:06.123Z", "Op": "Head",
                                       "Signer": SIGNER, "Prev": "x"}) + b"\n")
    save("audit", "signature-on-record",
         good.replace(b'"Result":"Ok",', b'"Result":"Ok","Signer":"A","Signature":"AQ",', 1))
    # Control characters and DEL as the writer escapes them.
    log = Log()
    log.add({"Op": "Change", "App": "Passwords", "Item": "a\x01b\x1fc\x7fd\"e\\f", "Result": "Ok",
             "Detail": "é ☃ \U0001F600 \b\f\r"})
    save("audit", "escapes", log.input())


def policy_seeds():
    def rules(default="allow", *rs):
        return json.dumps({"Default": default, "Rules": list(rs)})

    def rule(program="/usr/bin/ssh", decision="allow", **kw):
        r = {"Program": program}
        r.update(kw)
        r["Decision"] = decision
        return r

    pin = "11" * 32
    save("policy", "empty", b"")
    save("policy", "default-allow", rules())
    save("policy", "default-ask", rules("ask"))
    save("policy", "default-deny", rules("deny"))
    save("policy", "as-written",
         '{"Default":"ask","Rules":[{"Program":"/usr/bin/ssh","SHA256":"%s","Key":"%s",'
         '"Decision":"allow"}]}' % (pin, KEY1))
    save("policy", "pretty", json.dumps(json.loads(rules("deny", rule(Key=KEY1))), indent=2))
    save("policy", "key", rules("deny", rule(Key=KEY1)))
    save("policy", "app", rules("deny", rule("/opt/Café \"beta\"/bin/app", App="Passwords")))
    save("policy", "ssh", rules("ask", rule(Ssh=True), rule("/usr/bin/git", "deny", Ssh=True)))
    save("policy", "pinned", rules("deny", rule(SHA256=pin, Key=KEY1),
                                   rule("/usr/bin/git", SHA256=pin, Key=KEY1)))
    save("policy", "pinned-other", rules("allow", rule(decision="deny", SHA256="ab" * 32, Ssh=True)))
    save("policy", "expiring", rules("deny", rule(Key=KEY1, Expires="2099-01-01T00:00:00Z"),
                                     rule(App="Café", Expires="2020-01-01T00:00:00Z")))
    save("policy", "expires-epoch", rules("deny", rule(Key=KEY1, Expires="1970-01-01T00:00:00Z")))
    save("policy", "expires-year-1", rules("deny", rule(Key=KEY1, Expires="0001-01-01T00:00:00Z")))
    save("policy", "mixed", rules("ask", rule(Key=KEY1, decision="deny"), rule(Ssh=True),
                                  rule("/usr/bin/git", App="Passwords", decision="ask"),
                                  rule(App="Passwords", SHA256=pin, Expires="2099-12-31T23:59:59Z")))
    save("policy", "duplicate-rules", rules("allow", rule(Key=KEY1, decision="deny"),
                                            rule(Key=KEY1, decision="allow")))
    # Malformed entries: each must deny everything.
    save("policy", "not-json", b"{\"Default\":\"allow\",")
    save("policy", "array", b"[]")
    save("policy", "no-default", json.dumps({"Rules": []}))
    save("policy", "no-rules", json.dumps({"Default": "allow"}))
    save("policy", "bad-default", rules("maybe"))
    save("policy", "unknown-member", json.dumps({"Default": "allow", "Rules": [], "X": 1}))
    save("policy", "duplicate-member", b'{"Default":"deny","Default":"allow","Rules":[]}')
    save("policy", "rule-not-object", json.dumps({"Default": "allow", "Rules": ["x"]}))
    save("policy", "key-and-app", rules("allow", rule(Key=KEY1, App="Passwords")))
    save("policy", "no-target", rules("allow", rule()))
    save("policy", "ssh-false", rules("allow", rule(Ssh=False)))
    save("policy", "relative-program", rules("allow", rule("ssh", Key=KEY1)))
    save("policy", "control-program", rules("allow", rule("/usr/bin/ss\x1bh", Key=KEY1)))
    save("policy", "sha-upper", rules("allow", rule(SHA256=pin.upper().replace("1", "A"), Key=KEY1)))
    save("policy", "sha-short", rules("allow", rule(SHA256="11", Key=KEY1)))
    save("policy", "expires-offset", rules("allow", rule(Key=KEY1, Expires="2099-01-01T00:00:00+01:00")))
    save("policy", "expires-number", rules("allow", rule(Key=KEY1, Expires=4102444800)))
    save("policy", "decision-case", rules("allow", rule(Key=KEY1, decision="Deny")))
    save("policy", "app-control", rules("allow", rule(App="Pass\nwords")))
    save("policy", "nul-escape", b'{"Default":"allow","Rules":[{"Program":"/usr/bin/ssh\\u0000x",'
                                 b'"Key":"K","Decision":"deny"}]}')
    save("policy", "deep", b'{"Default":"allow","Rules":' + b"[" * 200 + b"]" * 200 + b"}")
    save("policy", "not-utf8", b'{"Default":"allow","Rules":[{"Program":"/usr/bin/\xff",'
                               b'"Key":"K","Decision":"deny"}]}')


audit_seeds()
policy_seeds()
print("seeds written under", os.path.join(here, "corpus"))
