#!/bin/sh
# SPDX-License-Identifier: MIT
# The audit log (issue 17) through the real meshagent, on a hive whose device keys are under a
# passphrase, with servermesh for example.com on loopback for the profile, the passwords and the
# applications:
#  - Activity: device create, key generate/import, KeySign by 'mesh key sign' and by agentproto.py
#    (another program), one refused by 'mesh policy deny', Lock, a wrong and a right Unlock;
#    'mesh audit' lists them with program and pid, and --key, --program, --since, --limit and
#    --json select exactly what the whole log holds for them.
#  - Heads: with MESH_AUDIT_ROTATE_BYTES=4096 the log spans at least 3 files, each closed by a
#    signed head; 'mesh agent stop' signs the last one (the head timer, HEAD_INTERVAL_SECONDS = 60
#    in ipc/guard.c, is never waited for); after a restart 'mesh audit verify' says intact and
#    SignedThrough is the last Seq.
#  - Attacks, each on a fresh copy of the log put in place while the agent is stopped, then the
#    agent started and 'mesh audit verify' run: a line deleted, a Program changed by one
#    character, two lines swapped, the tail cut with the last head (Audit/head catches it), a
#    middle file removed: Tampered (34), naming the Seq; the restarted agent changes nothing in
#    the files. Then the cut tail again, the agent used afterwards: it must not launder the cut
#    with a new head.
#  - Documented limits: records after the last signed head (an agent killed before signing)
#    can be cut unseen; so can the tail together with Audit/head put back to an earlier head of
#    the log. verify passes and reports fewer records.
#  - Planted secrets (the hive's passphrase from --passphrase-file, a wrong Unlock passphrase, a
#    password, an application's data, a KeyImport PEM and its private key, signed data from
#    mesh and from agentproto.py) are nowhere in Audit/ nor in the agent's stderr, as text, hex,
#    base64 or base64url; each is found where it belongs (password get, app get, signatures that
#    verify), and the scanner finds planted forms in a control file.
# Usage: audit.sh MESH MESHAGENT SERVERMESH
set -u
MESH=$1 AGENT=$2 SERVERMESH=$3
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
PROTO="/usr/bin/python3 $HERE/agentproto.py"
eval "$($PROTO env "$TMP")"
unset XDG_CONFIG_HOME MESH_PORTAL_URL MESH_PORTAL_CA MESH_SSH_AGENT_SOCK SSH_ASKPASS
export MESH_AUDIT_ROTATE_BYTES=4096
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}intercept_tls_get_addr=0"
PATH=$(dirname "$AGENT"):$PATH
export PATH
APID='' SPID=''
cleanup() {
	for pid in $APID $SPID \
		$(timeout 10 "$MESH" --hive test agent status 2>/dev/null | sed -n 's/.*: pid //p'); do
		kill -9 "$pid" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
for tool in openssl timeout; do
	command -v "$tool" >/dev/null || not_ok "$tool is not installed: this test needs it"
done

mesh() { timeout 60 "$MESH" --hive test "$@"; }
HIVE=$MMM_HOME/CryptoMesh
AUDIT=$HIVE/Audit
LOG=$TMP/agent.log
MESH_PROGRAM=$(readlink -f "$MESH")
PY_PROGRAM=$(readlink -f /usr/bin/python3)
: >"$LOG"

# agent_start: meshagent in the foreground (its stderr appended to $LOG), once it answers;
# fails when it exits first (its exit status in AGENT_EXIT) or does not answer within 20 s.
agent_start() {
	"$AGENT" --hive test --foreground 2>>"$LOG" &
	APID=$!
	AGENT_EXIT=
	for _ in $(seq 100); do
		$PROTO wait "$SOCK" 0.2 && return 0
		if ! kill -0 "$APID" 2>/dev/null; then
			wait "$APID"
			AGENT_EXIT=$?
			APID=
			return 1
		fi
	done
	return 1
}
# agent_stop: 'mesh agent stop' (Shutdown: the agent signs a head if it can), and its exit.
agent_stop() {
	mesh agent stop >/dev/null 2>&1
	[ -n "$APID" ] && wait "$APID"
	APID=
}
# pysign N [DATA-PREFIX]: N KeySign requests with the device key from agentproto.py (python).
pysign() {
	/usr/bin/python3 - "$HERE" "$SOCK" "$SIG" "$1" "${2:-record}" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import agentproto as ap
s = ap.connect(sys.argv[2])
for i in range(int(sys.argv[4])):
    a = ap.call(s, i + 1, "KeySign", {"UDF": sys.argv[3],
                                      "Data": ap.b64u(b"%s %d" % (sys.argv[5].encode(), i))})
    assert "Result" in a, a
PY
}
# last_seq: the Seq of the log's last line.
last_seq() {
	tail -n 1 "$(ls "$AUDIT"/*.log | tail -n 1)" | jget 'd["Seq"]'
}
# verify_json FILE: 'mesh --json audit verify' into FILE; its exit status.
verify_json() {
	mesh --json audit verify >"$1" 2>"$TMP/verify.err"
}

# ---- markers: unique strings planted as secrets, looked for at the end ----
MK=$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')
M_PASS="hive-passphrase-$MK"
M_WRONG="wrong-unlock-$MK"
M_PASSWORD="password-$MK"
M_APP="application-data-$MK"
M_SIGNED="signed-by-mesh-$MK"
M_PYSIGNED="signed-by-python-$MK"
printf '%s\n' "$M_PASS" >"$TMP/pass"
printf '%s' "$M_SIGNED" >"$TMP/signed"

# ---- the portal, the agent, the device (under a passphrase), the profile ----
"$SERVERMESH" example.com --listen 127.0.0.1:0 --db "$TMP/portal.db" 2>"$TMP/portal.log" &
SPID=$!
MESH_PORTAL_URL=$(portal_url "$TMP/portal.log" "$SPID")
export MESH_PORTAL_URL
check "servermesh serves example.com on loopback" [ -n "$MESH_PORTAL_URL" ]
check "the agent starts (MESH_AUDIT_ROTATE_BYTES=4096)" agent_start
check "device create --passphrase-file: the keys under a passphrase" \
	sh -c "timeout 60 '$MESH' --hive test device create --passphrase-file '$TMP/pass' >/dev/null"
SIG=$(mesh key list | awk '$3 == "Signature" && $5 == "Device" { print $1 }')
check "the device's signature key is known" [ -n "$SIG" ]
check "profile create alice@example.com" \
	sh -c "timeout 60 '$MESH' --hive test profile create alice@example.com >/dev/null"

# ---- activity ----
K2=$(mesh key generate --use signature)
openssl genpkey -algorithm ed25519 -out "$TMP/import.pem" 2>/dev/null
openssl pkey -in "$TMP/import.pem" -pubout -out "$TMP/import.pub" 2>/dev/null
IMP=$(mesh key import "$TMP/import.pem" --use signature)
check "key generate and key import answer UDFs" [ -n "$K2" ] && [ -n "$IMP" ]
mesh key sign --key "$SIG" --out "$TMP/signed.sig" "$TMP/signed"
mesh key public --key "$SIG" >"$TMP/sig.pub"
check "positive control: mesh key sign signed the planted data (openssl verifies)" \
	sh -c "openssl pkeyutl -verify -rawin -pubin -inkey '$TMP/sig.pub' -in '$TMP/signed' \
		-sigfile '$TMP/signed.sig' | grep -q Success"
mesh key sign --key "$IMP" --out "$TMP/imp.sig" "$TMP/signed"
check "positive control: the imported key is the PEM's (openssl verifies with its public key)" \
	sh -c "openssl pkeyutl -verify -rawin -pubin -inkey '$TMP/import.pub' -in '$TMP/signed' \
		-sigfile '$TMP/imp.sig' | grep -q Success"
$PROTO call "$SOCK" KeySign "{\"UDF\": \"$SIG\", \"Data\": \"$(printf '%s' "$M_PYSIGNED" |
	basenc --base64url | tr -d '=\n')\"}" >"$TMP/pysig.json"
check "KeySign from agentproto.py (python) signs the planted data" \
	/usr/bin/python3 - "$TMP/pysig.json" "$TMP/sig.pub" "$M_PYSIGNED" <<'PY'
import base64, json, subprocess, sys, tempfile
a = json.load(open(sys.argv[1]))
sig = base64.urlsafe_b64decode(a["Result"]["Signature"] + "==")
with tempfile.NamedTemporaryFile() as d, tempfile.NamedTemporaryFile() as s:
    d.write(sys.argv[3].encode()); d.flush(); s.write(sig); s.flush()
    out = subprocess.run(["openssl", "pkeyutl", "-verify", "-rawin", "-pubin", "-inkey",
                          sys.argv[2], "-in", d.name, "-sigfile", s.name],
                         capture_output=True, text=True).stdout
assert "Success" in out, out
PY
check "policy deny: mesh may not use the key $K2" \
	sh -c "timeout 60 '$MESH' --hive test policy deny --program '$MESH_PROGRAM' --key '$K2' >/dev/null"
expect_fail "mesh key sign with the denied key: Denied (33)" 33 "refuses" \
	mesh key sign --key "$K2" "$TMP/signed"
check "mesh lock" sh -c "timeout 60 '$MESH' --hive test lock >/dev/null"
$PROTO call "$SOCK" Unlock "{\"Passphrase\": \"$M_WRONG\"}" >"$TMP/wrong.json"
check "Unlock with a wrong passphrase (from python): BadPassphrase" \
	[ "$(jget 'd["Error"]["Name"]' "$TMP/wrong.json")" = BadPassphrase ]
check "mesh unlock --passphrase-file" \
	sh -c "timeout 60 '$MESH' --hive test unlock --passphrase-file '$TMP/pass' >/dev/null"
check "password add example.com alice (a planted password)" \
	sh -c "timeout 60 '$MESH' --hive test password add example.com alice '$M_PASSWORD' >/dev/null"
expect_out "positive control: password get returns the planted password" "$M_PASSWORD" \
	mesh password get example.com
printf '{"secret": "%s"}\n' "$M_APP" >"$TMP/app.json"
check "app add generic notes, app set notes (planted data)" \
	sh -c "timeout 60 '$MESH' --hive test app add generic notes >/dev/null &&
		timeout 60 '$MESH' --hive test app set notes --json-file '$TMP/app.json' >/dev/null"
check "positive control: app get returns the planted data" \
	sh -c "timeout 60 '$MESH' --hive test app get notes | grep -q '$M_APP'"

# ---- what mesh audit shows ----
mesh audit >"$TMP/audit.txt" 2>"$TMP/err"
# has_line PATTERN: a line of 'mesh audit' matches the extended regex PATTERN.
has_line() { grep -Eq -- "$1" "$TMP/audit.txt"; }
pid_re='\(pid [1-9][0-9]*\)'
check "mesh audit: KeySign by mesh, with program and pid" \
	has_line "Sign \(KeySign\)  $SIG  $MESH_PROGRAM $pid_re  allow  Ok"
check "mesh audit: KeySign by python (agentproto.py), with program and pid" \
	has_line "Sign \(KeySign\)  $SIG  $PY_PROGRAM $pid_re  allow  Ok"
check "mesh audit: the refused KeySign, deny Denied" \
	has_line "Sign \(KeySign\)  $K2  $MESH_PROGRAM $pid_re  deny  Denied"
check "mesh audit: the policy change (PolicySet) that refused it, and what it set" \
	has_line "Policy \(PolicySet\)  $K2: deny for $MESH_PROGRAM  $MESH_PROGRAM $pid_re  allow  Ok"
check "mesh audit: device create, key generate and key import (Change)" \
	sh -c "grep -q 'Change (DeviceCreate)' '$TMP/audit.txt' &&
		grep -q 'Change (KeyGenerate)' '$TMP/audit.txt' &&
		grep -q 'Change (KeyImport)' '$TMP/audit.txt'"
check "mesh audit: Lock (Change)" has_line "Change \(Lock\)  -  $MESH_PROGRAM $pid_re  allow  Ok"
# Unlock changes what the agent can do with every key (CHANGES in ipc/methods.c), and a wrong
# passphrase is a guess worth seeing: both must be in the log.
check "mesh audit: the right Unlock (Change), by mesh" \
	has_line "Change \(Unlock\)  -  $MESH_PROGRAM $pid_re  allow  Ok"
check "mesh audit: the wrong Unlock (BadPassphrase), by python" \
	has_line "Change \(Unlock\)  -  $PY_PROGRAM $pid_re  .*BadPassphrase"
check "mesh audit: the password read (Read Passwords example.com)" \
	has_line "Read \(PasswordGet\)  Passwords example.com  $MESH_PROGRAM $pid_re  allow  Ok"

mesh --json audit >"$TMP/all.json"
mesh --json audit --key "$K2" >"$TMP/key.json"
mesh --json audit --program "$PY_PROGRAM" >"$TMP/program.json"
mesh --json audit --limit 3 >"$TMP/limit.json"
# --since in whole seconds (AuditList's Since is a UTC time to the second), the middle record's.
SINCE=$(jget 'd[len(d) // 2]["Time"][:19] + "Z"' "$TMP/all.json")
mesh --json audit --since "$SINCE" >"$TMP/since.json"
check "--json, --key, --program, --limit, --since select exactly the records they name" \
	/usr/bin/python3 - "$TMP" "$K2" "$PY_PROGRAM" "$SINCE" "$SIG" <<'PY'
import json, sys
t, k2, py, since, sig = sys.argv[1:]
load = lambda n: json.load(open("%s/%s.json" % (t, n)))
every = load("all")
assert [r["Seq"] for r in every] == list(range(1, len(every) + 1)), "Seq 1.. in order"
for r in every:
    if r["Op"] != "Head":
        assert r["Program"].startswith("/") and r["Pid"] > 0, r
key = load("key")
assert key == [r for r in every if r.get("Key") == k2], key
# the PolicySet that named the key and the refused KeySign, nothing else
assert [(r["Op"], r["Decision"], r["Result"]) for r in key] == \
    [("Policy", "allow", "Ok"), ("Sign", "deny", "Denied")], key
prog = load("program")
assert prog == [r for r in every if r.get("Program") == py], prog
signs = [r for r in prog if r["Op"] == "Sign" and r["Method"] == "KeySign"]
assert len(signs) == 1 and signs[0]["Key"] == sig, prog
assert load("limit") == every[-3:]
since_ = load("since")
assert since_ == [r for r in every if r["Time"][:19] >= since[:19]], (since, since_)
assert 0 < len(since_) < len(every)
PY

# ---- heads: rotation, shutdown, verify ----
pysign 45
NFILES=$(ls "$AUDIT"/*.log | wc -l)
check "MESH_AUDIT_ROTATE_BYTES=4096: the log spans at least 3 files ($NFILES)" [ "$NFILES" -ge 3 ]
check "mesh agent stop: the agent stops cleanly" agent_stop
check "every file ends in a signed head (rotation, then shutdown); Audit/head is the last" \
	/usr/bin/python3 - "$AUDIT" <<'PY'
import json, os, sys
a = sys.argv[1]
files = sorted(f for f in os.listdir(a) if f.endswith(".log"))
for f in files:
    last = json.loads(open(os.path.join(a, f), "rb").read().splitlines()[-1])
    assert last["Op"] == "Head" and last.get("Signature") and last.get("Signer"), (f, last)
assert open(os.path.join(a, "head"), "rb").read() == \
    open(os.path.join(a, files[-1]), "rb").read().splitlines(True)[-1]
PY
LAST=$(last_seq)
check "the agent starts again" agent_start
verify_json "$TMP/v.json"
check "audit verify: intact, every record counted, SignedThrough = the last Seq ($LAST)" \
	/usr/bin/python3 - "$TMP/v.json" "$LAST" "$NFILES" <<'PY'
import json, sys
v, last, n = json.load(open(sys.argv[1])), int(sys.argv[2]), int(sys.argv[3])
assert v["Records"] == last and v["SignedThrough"] == last and v["Unsigned"] == 0, v
assert v["Files"] == n, v
PY
expect_out "audit verify (text) says intact" \
	"The audit log is intact: $LAST records in $NFILES files, signed through Seq $LAST" \
	mesh audit verify
agent_stop
cp -a "$AUDIT" "$TMP/pristine"

# ---- attacks ----
# FILE1 FILE2 ...: the log's files, oldest first, and the Seq each starts with.
set -- "$TMP"/pristine/*.log
F1=$(basename "$1") F2=$(basename "$2") F3=$(basename "$3")
S2=$(expr "$F2" : '0*\([0-9]*\)\.log')
S3=$(expr "$F3" : '0*\([0-9]*\)\.log')
for f in "$TMP"/pristine/*.log; do NEWEST=$(basename "$f"); done

# tampered NAME PATTERN SHELL: a fresh copy of the log, changed by SHELL (run in Audit/), put in
# place while the agent is stopped; the agent started; 'mesh audit verify' must exit Tampered
# (34) with one line matching PATTERN (which names the Seq), and the files must be as SHELL left
# them (the agent repaired nothing). The agent is stopped again. An agent that refuses to start
# on the log (mesh_audit_open: Tampered, exit status 34, core/audit.h) detects it too, provided
# its message matches PATTERN.
tampered() {
	rm -rf "$AUDIT" "$TMP/tampered"
	cp -a "$TMP/pristine" "$AUDIT"
	(cd "$AUDIT" && eval "$3")
	cp -a "$AUDIT" "$TMP/tampered"
	if agent_start; then
		expect_fail "$1: audit verify says Tampered (34), naming the Seq" 34 "$2" \
			mesh audit verify
		agent_stop
	elif [ "$AGENT_EXIT" = 34 ] && tail -n 1 "$LOG" | grep -q -- "$2"; then
		ok "$1: the agent refuses to start on the log: Tampered (34), naming the Seq"
	else
		not_ok "$1: the agent does not start (exit ${AGENT_EXIT:-?}): $(tail -n 1 "$LOG")"
	fi
	check "$1: the restarted agent left the files as they were" \
		diff -r "$TMP/tampered" "$AUDIT"
}
# A line of the first file: Seq 5 (line 5) goes; the next one read is Seq 6.
tampered "a deleted line" "Seq 6 in Audit/$F1 line 5: Seq 5 was expected" "sed -i 5d $F1"
# One character of record Seq 7's Program: record 8's Prev no longer matches.
tampered "an edited Program (one character)" "Seq 8 in Audit/$F1 line 8: Prev does not match" \
	"sed -i '7s/\"Program\":\"\\//\"Program\":\"X/' $F1 && ! cmp -s $F1 '$TMP/pristine/$F1'"
# Lines 2 and 3 of the second file swapped: Seq S2+2 comes where S2+1 was expected.
tampered "a reordered pair of lines" \
	"Seq $((S2 + 2)) in Audit/$F2 line 2: Seq $((S2 + 1)) was expected" \
	"awk 'NR == 2 { h = \$0; next } NR == 3 { print; print h; next } { print }' $F2 >x &&
		cat x >$F2 && rm x"
# The last two lines (the last head among them): Audit/head names a Seq the log no longer has.
tampered "a cut tail, the last head with it" \
	"Audit/head is signed at Seq $LAST but the log ends at Seq $((LAST - 2))" \
	"head -n -2 $NEWEST >x && cat x >$NEWEST && rm x"
# The second file: its Seqs are missing when the third starts.
tampered "a middle file removed" "Seq $S3 in Audit/$F3 line 1: Seq $S2 was expected" "rm $F2"

# The cut tail again, and the agent used afterwards (unlocked, keys used, stopped: a new head).
# The cut was seen once; a new head must not make it disappear: the agent must not go on from
# a log that ends before Audit/head's Seq as though nothing had happened.
# (An agent that refuses to start on a cut log, as for the attacks above, cannot launder it.)
rm -rf "$AUDIT"
cp -a "$TMP/pristine" "$AUDIT"
(cd "$AUDIT" && head -n -2 "$NEWEST" >x && cat x >"$NEWEST" && rm x)
if agent_start; then
	mesh unlock --passphrase-file "$TMP/pass" >/dev/null
	pysign 4 laundering
	agent_stop
	agent_start
	expect_fail "a cut tail stays Tampered (34) after the agent signs a new head over it" 34 \
		"Seq" mesh audit verify
	agent_stop
else
	check "a cut tail: the agent refuses to start on it (Tampered), so no new head hides it" \
		[ "$AGENT_EXIT" = 34 ]
fi

# ---- documented limits ----
# 1. Records written after the last signed head are chained but not signed: whoever can write
#    the Audit folder can cut them off, and nothing tells (docs: a head is signed at rotation,
#    at shutdown and a minute after records were added). An agent killed before it signed a
#    head leaves such records; cutting them passes verify, which only reports fewer records.
rm -rf "$AUDIT"
cp -a "$TMP/pristine" "$AUDIT"
agent_start
mesh unlock --passphrase-file "$TMP/pass" >/dev/null
pysign 3 unsigned
kill -9 "$APID"
wait "$APID" 2>/dev/null
APID=
agent_start
verify_json "$TMP/u1.json"
check "limit: after kill -9 the records since the last head verify, unsigned" \
	/usr/bin/python3 - "$TMP/u1.json" "$LAST" <<'PY'
import json, sys
v, last = json.load(open(sys.argv[1])), int(sys.argv[2])
assert v["SignedThrough"] == last and v["Unsigned"] >= 3, v
assert v["Records"] == last + v["Unsigned"], v
PY
agent_stop # locked since its start: it cannot sign a head, so it writes none
U1=$(jget 'd["Records"]' "$TMP/u1.json")
LOGF=$(ls "$AUDIT"/*.log | tail -n 1)
head -n -2 "$LOGF" >"$TMP/x" && cat "$TMP/x" >"$LOGF"
agent_start
verify_json "$TMP/u2.json"
check "limit (documented): two unsigned records cut pass verify, which reports 2 fewer" \
	/usr/bin/python3 - "$TMP/u2.json" "$U1" "$LAST" <<'PY'
import json, sys
v, before, last = json.load(open(sys.argv[1])), int(sys.argv[2]), int(sys.argv[3])
assert v["Records"] == before - 2 and v["SignedThrough"] == last, v
PY
agent_stop
# 2. Audit/head sits beside the log: put back an earlier head of the log (the one that closed
#    the second-newest file) and cut everything after it, and the log verifies as shorter. Only
#    a copy of the latest head kept out of the attacker's reach (another machine, the portal)
#    would show it.
rm -rf "$AUDIT"
cp -a "$TMP/pristine" "$AUDIT"
PREV=$(ls "$AUDIT"/*.log | tail -n 2 | head -n 1)
tail -n 1 "$PREV" >"$AUDIT/head"
rm "$AUDIT/$NEWEST"
PREV_SEQ=$(jget 'd["Seq"]' "$AUDIT/head")
agent_start
verify_json "$TMP/r.json"
check "limit (documented): the tail cut with Audit/head rolled back to an earlier head passes" \
	[ "$(jget 'd["Records"]' "$TMP/r.json")" = "$PREV_SEQ" ]
agent_stop

# ---- planted secrets: nowhere in the log or the agent's stderr ----
PEM_BODY=$(grep -v '^-----' "$TMP/import.pem" | tr -d '\n')
# The 32-byte Ed25519 private key: the end of the PKCS#8 DER.
PRIV_HEX=$(grep -v '^-----' "$TMP/import.pem" | base64 -d | tail -c 32 | od -An -tx1 | tr -d ' \n')
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
# scan PATH...: lists each planted secret (text, hex, base64, base64url at every alignment)
# found in the files under PATH; exit 0 when none is found. The secrets come as hex in $SECRETS.
scan() {
	/usr/bin/python3 - "$@" <<'PY'
import base64, os, sys
secrets = [(n, bytes.fromhex(h)) for n, h in
           (s.split("=", 1) for s in os.environ["SECRETS"].split())]

def forms(b):
    out = {b, b.hex().encode(), b.hex().upper().encode()}
    for pad in range(3):
        # The base64 characters that only this secret's bytes decide, after 0, 1 or 2 bytes.
        enc = base64.b64encode(b"\0" * pad + b)
        core = enc[(0, 2, 3)[pad]:(pad + len(b)) // 3 * 4]
        out |= {core, core.translate(bytes.maketrans(b"+/", b"-_"))}
    return out

found = 0
for root in sys.argv[1:]:
    paths = [root] if os.path.isfile(root) else \
        [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs]
    for p in paths:
        data = open(p, "rb").read()
        for name, b in secrets:
            if any(f in data for f in forms(b)):
                print("%s found in %s" % (name, p))
                found += 1
sys.exit(1 if found else 0)
PY
}
SECRETS="passphrase-file=$(hex "$M_PASS") wrong-unlock=$(hex "$M_WRONG")
password=$(hex "$M_PASSWORD") app-data=$(hex "$M_APP") signed-by-mesh=$(hex "$M_SIGNED")
signed-by-python=$(hex "$M_PYSIGNED") import-pem-body=$(hex "$PEM_BODY")
import-private-key=$PRIV_HEX"
export SECRETS
# The scanner sees what it looks for: each form planted in a control file is found.
mkdir "$TMP/control"
/usr/bin/python3 -c 'import base64, sys
m = sys.argv[1].encode()
print(m.decode(), base64.b64encode(b"ab" + m).decode(), base64.urlsafe_b64encode(b"c" + m).decode())
print(bytes.fromhex(sys.argv[2]).hex())' "$M_PASSWORD" "$PRIV_HEX" >"$TMP/control/x"
scan "$TMP/control" >"$TMP/control.out"
check "positive control: the scanner finds planted text, base64, base64url and hex" \
	[ "$(grep -c found "$TMP/control.out")" = 2 ]
check "the agent's stderr log is not empty (it is scanned)" [ -s "$LOG" ]
if scan "$AUDIT" "$TMP/pristine" "$LOG" >"$TMP/scan.out"; then
	ok "no planted secret in Audit/ or the agent's stderr (text, hex, base64, base64url)"
else
	not_ok "planted secrets found: $(cat "$TMP/scan.out")"
fi
check "the log did record the uses around them (Read, Sign, Change)" \
	sh -c "grep -q '\"Op\":\"Read\"' '$TMP/pristine'/*.log && grep -q '\"Method\":\"KeyImport\"' '$TMP/pristine'/*.log"
finish
