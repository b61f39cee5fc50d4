#!/bin/sh
# SPDX-License-Identifier: MIT
# The session verbs end to end (issue 4, §3): servermesh for example.com on loopback and three
# devices, each with its own HOME, XDG_RUNTIME_DIR, MMM_HOME and agent (started on demand by
# mesh). Alice creates her profile on device 1, escrows it 2-of-4, deletes it and recovers it
# from shares 1 and 3 (too few, corrupt and foreign shares refused first, changing nothing);
# device 2 connects (witness checked on both sides; prefixes refused, accepted by the whole
# witness typed in lower case with spaces) and reads a password added on device 1; servermesh
# restarts and everything is still there; device 3's request is rejected (20).
# Usage: mesh-scenario.sh MESH MESHAGENT SERVERMESH
# With MESH_SCENARIO_TLS=1 the same runs over TLS: servermesh gets a self-signed certificate for
# 127.0.0.1 (openssl) and the devices its CA file (MESH_PORTAL_CA); a device without it is refused
# first (Network, 25) and nothing is created.
# With MESH_SCENARIO_PG=1 servermesh keeps everything in PostgreSQL (--db postgresql://...): a
# new database on the cluster in MESH_TEST_PG_DIR (ctest's pg fixture, tests/pg-cluster.sh); the
# walk-through, the restart included, must pass, and the rows must be there, not in a file.
# With MESH_SCENARIO_STORES=1 (run under dbus-run-session with with-keyring.sh) device 1 keeps
# its keys in a TPM (swtpm, started here) and device 2 in the desktop keyring (gnome-keyring):
# the same scenario must pass, and the keys must be where they were put.
set -u
MESH=$1 AGENT=$2 SERVERMESH=$3
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sshd-lib.sh"
PATH=$(dirname "$AGENT"):$PATH
export PATH
unset MESH_AGENT_SOCK MESH_HIVE XDG_CONFIG_HOME MESH_PORTAL_URL MESH_PORTAL_CA
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}intercept_tls_get_addr=0"
ACCOUNT=alice@example.com
SPID=
URL=
TLS=${MESH_SCENARIO_TLS:-0}
SCHEME=http
CA=
[ "$TLS" = 1 ] && SCHEME=https CA="$TMP/cert.pem"
STORES=${MESH_SCENARIO_STORES:-0}
PG=${MESH_SCENARIO_PG:-0}
PGC="sh $(dirname "$0")/../pg-cluster.sh"
DB="$TMP/portal.db"
if [ "$PG" = 1 ]; then
	if [ -z "${MESH_TEST_PG_DIR:-}" ]; then
		echo "FAIL - MESH_TEST_PG_DIR is not set: run this under ctest (the pg fixture) or start a cluster with tests/pg-cluster.sh"
		exit 1
	fi
	PGDB=scenario_$$
	$PGC createdb "$MESH_TEST_PG_DIR" "$PGDB" || exit 1
	DB=$($PGC uri "$MESH_TEST_PG_DIR" "$PGDB")
fi
if [ "$STORES" = 1 ]; then
	. "$(dirname "$0")/tpm-lib.sh"
	mkdir -p "$TMP/tpm"
	swtpm_start "$TMP/tpm"
fi

# dev N ARGS...: mesh on device N (the portal from $URL), bounded in time.
dev() {
	n=$1
	shift
	if [ -n "$CA" ] && [ "$n" != 4 ]; then
		HOME="$TMP/d$n" XDG_RUNTIME_DIR="$TMP/d$n/run" MMM_HOME="$TMP/d$n/.mmm" \
			MESH_PORTAL_URL="$URL" MESH_PORTAL_CA="$CA" timeout 60 "$MESH" --hive test "$@"
	else
		HOME="$TMP/d$n" XDG_RUNTIME_DIR="$TMP/d$n/run" MMM_HOME="$TMP/d$n/.mmm" \
			MESH_PORTAL_URL="$URL" timeout 60 "$MESH" --hive test "$@"
	fi
}
d1() { dev 1 "$@"; }
d2() { dev 2 "$@"; }
d3() { dev 3 "$@"; }
for n in 1 2 3 4; do
	mkdir -p "$TMP/d$n" && mkdir -m 700 "$TMP/d$n/run"
done

cleanup() {
	for n in 1 2 3 4; do
		pid=$(dev "$n" agent status 2>/dev/null | sed -n 's/.*: pid //p')
		[ -n "$pid" ] && kill "$pid" 2>/dev/null
	done
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null
	sshd_stop "$TMP/sshd"
	[ "$STORES" = 1 ] && swtpm_stop "$TMP/tpm"
	[ "$PG" = 1 ] && $PGC dropdb "$MESH_TEST_PG_DIR" "$PGDB"
	rm -rf "$TMP"
}
trap cleanup EXIT


# start LISTEN: servermesh for example.com with the database in $TMP; sets SPID and URL.
start() {
	: >"$TMP/portal.log"
	if [ "$TLS" = 1 ]; then
		"$SERVERMESH" example.com --listen "$1" --db "$DB" --tls-cert "$CA" \
			--tls-key "$TMP/key.pem" 2>>"$TMP/portal.log" &
	else
		"$SERVERMESH" example.com --listen "$1" --db "$DB" 2>>"$TMP/portal.log" &
	fi
	SPID=$!
	URL=$(portal_url "$TMP/portal.log" "$SPID")
	[ -n "$URL" ] && return 0
	echo "servermesh did not start: $(cat "$TMP/portal.log")"
	return 1
}
stop() {
	kill -TERM "$SPID" && wait "$SPID"
	status=$?
	SPID=
	return $status
}

# The hive of device N as one text (what "nothing changed" compares), but its audit log, which
# records the refusals too.
hive_state() {
	find "$TMP/d$1/.mmm" -type f ! -name '.*' ! -path '*/Audit/*' 2>/dev/null | sort |
		while read -r f; do
			echo "$f"
			cat "$f"
		done
}

if [ "$TLS" = 1 ]; then
	check "a self-signed certificate for 127.0.0.1 and localhost" openssl req -x509 -newkey ec \
		-pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
		-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -days 2 -keyout "$TMP/key.pem" \
		-out "$CA" 2>"$TMP/openssl.err"
fi
check "servermesh starts on loopback" start 127.0.0.1:0
PORT=$(echo "$URL" | sed -n "s#^$SCHEME://127.0.0.1:\\([0-9]*\\)/.*#\\1#p")
check "the portal URL is $SCHEME://127.0.0.1:PORT/.well-known/mmm/ ($URL)" \
	[ "$URL" = "$SCHEME://127.0.0.1:$PORT/.well-known/mmm/" ]

# ---- TLS: a device without the portal's CA file is refused and nothing is created ----
if [ "$TLS" = 1 ]; then
	expect_fail "profile create on a device without the CA file: Network (25)" 25 \
		"127.0.0.1:$PORT/.*TLS certificate" dev 4 profile create "$ACCOUNT"
	# Only the device's own identity (ThisDevice and its three keys) may have been made.
	check "the refused device has no profile, account or master key" sh -c \
		"! find '$TMP/d4/.mmm' -path '*/Accounts/*' -o -path '*/PersonalProfiles/*' \
		-o -path '*/Escrow/*' | grep -q . && [ \$(ls '$TMP/d4/.mmm/CryptoMesh/Keys' | \
		grep -c '\\.pub\$') = 3 ]"
	expect_out "profile list on the refused device is empty" "" dev 4 profile list
fi

# ---- MESH_SCENARIO_STORES: device 1's keys in the TPM, device 2's in the keyring ----
if [ "$STORES" = 1 ]; then
	check "device 1 keeps its new keys in the TPM" d1 hive set-keystore tpm2
	check "device 2 keeps its new keys in the desktop keyring" d2 hive set-keystore secret
fi

# ---- device 1: a profile, its escrow ----
expect_out "account validate: alice is free" "$ACCOUNT: available" d1 account validate "$ACCOUNT"
d1 profile create "$ACCOUNT" >"$TMP/create" 2>"$TMP/err"
check "profile create alice@example.com on device 1" grep -q '^Created profile M' "$TMP/create"
expect_fail "profile create again: Exists (13)" 13 "" d1 profile create "$ACCOUNT"
d1 --json profile show >"$TMP/show1"
check "profile show --json has the documented shape" /usr/bin/python3 - "$TMP/show1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert list(d)[:5] == ["Identifier", "Account", "Serial", "Devices", "Applications"], d
assert d["Account"] == "alice@example.com" and d["Serial"] >= 1 and len(d["Devices"]) == 1, d
PY
PROFILE=$(jget 'd["Identifier"]' "$TMP/show1")
expect_out "profile list" "$ACCOUNT (default)" d1 profile list
d1 account validate "$ACCOUNT" >"$TMP/validate" 2>&1
check "account validate: alice is taken now (exit 3)" [ $? = 3 ]
check "account validate says why" grep -q "not available" "$TMP/validate"

d1 escrow create --quorum 2 --shares 4 >"$TMP/shares" 2>"$TMP/err"
check "escrow create --quorum 2 --shares 4 prints 4 shares" [ "$(grep -c '^S' "$TMP/shares")" = 4 ]
S1=$(sed -n 1p "$TMP/shares") S2=$(sed -n 2p "$TMP/shares")
S3=$(sed -n 3p "$TMP/shares") S4=$(sed -n 4p "$TMP/shares")
expect_out "escrow verify with shares 1 and 3" "The shares recover the escrowed keys" \
	d1 escrow verify "$S1" "$S3"
d1 --json escrow create --quorum 2 --shares 3 >"$TMP/escrow2.json"
check "escrow create --json: {Identifier, Shares}" /usr/bin/python3 - "$TMP/escrow2.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert list(d) == ["Identifier", "Shares"] and len(d["Shares"]) == 3, d
PY

# ---- delete, then recover (refusals first, changing nothing) ----
expect_fail "profile delete without --yes: Usage (2)" 2 "yes" d1 profile delete "$ACCOUNT"
expect_out "profile delete --yes" "Deleted $ACCOUNT on this machine" \
	d1 profile delete "$ACCOUNT" --yes
expect_out "profile list is empty" "" d1 profile list
hive_state 1 >"$TMP/before"
BAD=$(echo "$S2" | sed 's/^\(.....\)./\11/')
FOREIGN=$("$MESH" share split --quorum 2 --shares 2 --random 32 2>/dev/null | head -2 | tr '\n' ' ')
expect_fail "recover from one share: ShareQuorum (15)" 15 "" d1 profile recover "$ACCOUNT" "$S1"
expect_fail "recover with a corrupt share: ShareCorrupt (18)" 18 "" \
	d1 profile recover "$ACCOUNT" "$S1" "$BAD"
# shellcheck disable=SC2086
expect_fail "recover from another escrow's shares: ShareMismatch (16)" 16 "" \
	d1 profile recover "$ACCOUNT" $FOREIGN
hive_state 1 >"$TMP/after"
check "the refused recoveries changed nothing on device 1" cmp -s "$TMP/before" "$TMP/after"
d1 profile recover "$ACCOUNT" "$S1" "$S3" >"$TMP/recover" 2>"$TMP/err"
check "profile recover from shares 1 and 3" grep -q "^Recovered profile $PROFILE" "$TMP/recover"

# ---- device 2 connects ----
d2 --json connect request "$ACCOUNT" --no-wait >"$TMP/request.json" 2>"$TMP/err"
check "connect request --no-wait --json: {ProfileUDF, DeviceUDF, Witness}" \
	/usr/bin/python3 - "$TMP/request.json" "$PROFILE" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert list(d) == ["ProfileUDF", "DeviceUDF", "Witness"] and d["ProfileUDF"] == sys.argv[2], d
PY
WITNESS=$(jget 'd["Witness"]' "$TMP/request.json")
DEVICE2=$(jget 'd["DeviceUDF"]' "$TMP/request.json")
expect_out "connect status on device 2: Pending" "Pending" d2 connect status
d1 --json connect pending >"$TMP/pending.json"
check "connect pending on device 1 shows device 2 with the same witness" \
	/usr/bin/python3 - "$TMP/pending.json" "$DEVICE2" "$WITNESS" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
p = d["Pending"]
assert len(p) == 1 and p[0]["DeviceUDF"] == sys.argv[2] and p[0]["Witness"] == sys.argv[3], d
assert set(p[0]) <= {"DeviceUDF", "Description", "Witness", "Expires"}, d
PY
PREFIX=$(echo "$WITNESS" | tr -d - | cut -c1-8)
expect_fail "connect accept with an 8-character prefix: InvalidArgument (3)" 3 \
	"give the whole witness (28 characters.*type or paste all of it" \
	d1 connect accept "$PREFIX"
expect_fail "connect accept with 27 of the 28 characters: InvalidArgument (3)" 3 \
	"give the whole witness" d1 connect accept "$(echo "$WITNESS" | tr -d - | cut -c1-27)"
expect_fail "connect accept without a witness and no terminal: Usage (2)" 2 \
	"give the whole witness" d1 connect accept </dev/null
# The whole witness, in lower case, as seven words (spaces instead of dashes).
SPACED=$(echo "$WITNESS" | tr 'A-Z-' 'a-z ')
expect_out "connect accept by the whole witness, any case, spaces for dashes" \
	"Accepted the device with witness $SPACED" d1 connect accept $SPACED
expect_out "connect wait on device 2: accepted" \
	"Accepted: this device is connected to the profile" d2 connect wait

# ---- a password from device 1 read on device 2 ----
expect_out "password add on device 1" "Stored the password of alice at example.net" \
	d1 password add example.net alice "correct horse battery"
d2 profile sync >/dev/null 2>"$TMP/err"
check "profile sync on device 2" [ $? = 0 ]
expect_out "password get on device 2 prints it" "correct horse battery" d2 password get example.net
expect_out "password list on device 2" "example.net  alice" d2 password list
d1 app add generic notes >/dev/null 2>"$TMP/err"
check "app add generic notes" [ $? = 0 ]
echo '{"colour": "blue"}' >"$TMP/notes.json"
expect_out "app set notes" "Updated notes" d1 app set notes --json-file "$TMP/notes.json"
d2 profile sync >/dev/null 2>&1
d2 app get notes >"$TMP/notes.out" 2>"$TMP/err"
check "app get notes on device 2 gives the data" grep -q blue "$TMP/notes.out"

# ---- SSH keys: device 1 (administration) and device 2 (connected) each make one ----
d1 ssh create >"$TMP/ssh1" 2>"$TMP/err"
check "ssh create on device 1 prints one public key line" sh -c "[ \$(wc -l <'$TMP/ssh1') = 1 ] &&
	grep -Eq '^(ssh-ed25519|ecdsa-sha2-nistp256) [A-Za-z0-9+/]+=* mesh:$ACCOUNT:' '$TMP/ssh1'"
d2 --json ssh create >"$TMP/ssh2.json" 2>"$TMP/err"
check "ssh create --json on device 2: {UDF, PublicKey}" /usr/bin/python3 - "$TMP/ssh2.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert list(d) == ["UDF", "PublicKey"] and d["PublicKey"].startswith(("ssh-ed25519 ", "ecdsa-sha2-nistp256 ")), d
PY
jget 'd["PublicKey"]' "$TMP/ssh2.json" >"$TMP/ssh2"
expect_fail "ssh create again on device 1: Exists (13)" 13 "SSH key" d1 ssh create
expect_fail "ssh create again on device 2: Exists (13)" 13 "SSH key" d2 ssh create
d2 ssh authorized-keys >"$TMP/ak2-early" 2>"$TMP/err"
check "device 2's key is not listed before an administration device syncs" \
	sh -c "! grep -qF \"\$(cut -d' ' -f2 '$TMP/ssh2')\" '$TMP/ak2-early'"
d1 profile sync >/dev/null 2>"$TMP/err"
check "profile sync on device 1 (folds device 2's key)" [ $? = 0 ]
d2 profile sync >/dev/null 2>"$TMP/err"
check "profile sync on device 2" [ $? = 0 ]
cat "$TMP/ssh1" "$TMP/ssh2" | sort >"$TMP/ssh-both"
for n in 1 2; do
	dev "$n" ssh authorized-keys >"$TMP/ak$n" 2>"$TMP/err"
	check "ssh authorized-keys on device $n prints exactly 2 lines" \
		[ "$(wc -l <"$TMP/ak$n")" = 2 ]
	check "ssh authorized-keys on device $n: the keys both ssh create printed" \
		sh -c "sort '$TMP/ak$n' | cmp -s - '$TMP/ssh-both'"
	check "ssh-keygen -l reads device $n's authorized keys" \
		sh -c "[ \$(ssh-keygen -l -f '$TMP/ak$n' | wc -l) = 2 ]"
done
d1 --json agent status >"$TMP/agent1.json" 2>"$TMP/err"
AGENT_SOCK=$(jget 'd["Socket"]' "$TMP/agent1.json")
for n in 1 2; do
	dev "$n" ssh socket >"$TMP/sshsock$n" 2>"$TMP/err"
	check "ssh socket on device $n prints a socket" [ -S "$(cat "$TMP/sshsock$n")" ]
done
check "device 1's ssh socket is ssh-agent.sock beside its agent's socket" \
	[ "$(cat "$TMP/sshsock1")" = "$(dirname "$AGENT_SOCK")/ssh-agent.sock" ]
# Each agent serves its own hive's Mesh SSH key, and only that one.
for n in 1 2; do
	SSH_AUTH_SOCK=$(cat "$TMP/sshsock$n") timeout 30 ssh-add -L >"$TMP/served$n" 2>"$TMP/err"
	check "ssh-add -L through device $n's socket: exactly its own Mesh SSH key" \
		sh -c "[ \$(wc -l <'$TMP/served$n') = 1 ] && cmp -s '$TMP/served$n' '$TMP/ssh$n'"
done
# A signature by device 2's key, made through its agent, checks out against device 1's list.
echo "a note signed on device 2" >"$TMP/note"
SSH_AUTH_SOCK=$(cat "$TMP/sshsock2") timeout 30 ssh-keygen -q -Y sign -n file \
	-f "$TMP/ssh2" "$TMP/note" >/dev/null 2>"$TMP/err"
sed 's/^/device2 /' "$TMP/ssh2" >"$TMP/allowed"
check "ssh-keygen -Y verify accepts device 2's signature (its key as device 1 lists it)" sh -c \
	"grep -qF \"\$(cut -d' ' -f2 '$TMP/ssh2')\" '$TMP/ak1' && ssh-keygen -Y verify -f '$TMP/allowed' \
	-I device2 -n file -s '$TMP/note.sig' <'$TMP/note' >/dev/null 2>&1"

# ---- ssh logs in to a real sshd with each device's Mesh SSH key (file store; with
# MESH_SCENARIO_STORES device 1's key is in the TPM and device 2's in the keyring) ----
mkdir -p "$TMP/sshd"
cp "$TMP/ak1" "$TMP/sshd/authorized_keys"
check "sshd starts on loopback, authorized_keys from device 1's mesh ssh authorized-keys" \
	sshd_start "$TMP/sshd" "$TMP/sshd/authorized_keys"
for n in 1 2; do
	out=$(ssh_to "$(cat "$TMP/sshsock$n")" echo "hello from device $n" 2>"$TMP/err")
	check "ssh logs in with device $n's Mesh SSH key ($(cut -d' ' -f1 "$TMP/ssh$n"))" \
		[ "$out" = "hello from device $n" ]
done
echo "copied over ssh" >"$TMP/scp-src"
SSHD_OPTS="-F /dev/null -o BatchMode=yes -o UserKnownHostsFile=$TMP/sshd/kh -P $SSHD_PORT"
# shellcheck disable=SC2086
SSH_AUTH_SOCK=$(cat "$TMP/sshsock1") timeout 30 scp -q $SSHD_OPTS "$TMP/scp-src" \
	"$(id -un)@127.0.0.1:$TMP/scp-dst" </dev/null 2>"$TMP/err"
check "scp copies a file with device 1's Mesh SSH key" cmp -s "$TMP/scp-src" "$TMP/scp-dst"
cp "$TMP/ssh2" "$TMP/sshd/authorized_keys"
refused() { ! "$@" >/dev/null 2>&1; }
check "with only device 2's key authorized, device 1's agent cannot log in" \
	refused ssh_to "$(cat "$TMP/sshsock1")" true
check "... and device 2's still can" ssh_to "$(cat "$TMP/sshsock2")" true
sshd_stop "$TMP/sshd"
# ---- servermesh restarts: the account, profile, escrow and applications survived ----
d1 --json profile show >"$TMP/before-restart"
check "servermesh stops" stop
check "servermesh starts again on the same port" start "127.0.0.1:$PORT"
d1 --json profile sync >"$TMP/sync1" 2>"$TMP/err"
check "profile sync on device 1 after the restart" /usr/bin/python3 - "$TMP/before-restart" \
	"$TMP/sync1" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
assert a["Identifier"] == b["Identifier"] and a["Serial"] == b["Serial"], (a, b)
assert a["Applications"] == b["Applications"] and len(b["Devices"]) == 2, (a, b)
PY
d2 --json profile sync >"$TMP/sync2" 2>"$TMP/err"
check "profile sync on device 2 after the restart" /usr/bin/python3 - "$TMP/sync1" \
	"$TMP/sync2" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
assert a == b, (a, b)
PY
expect_out "escrow verify on device 2 (entry fetched from the portal) after the restart" \
	"The shares recover the escrowed keys" d2 escrow verify "$S2" "$S4"
expect_out "password get on device 2 after the restart" "correct horse battery" \
	d2 password get example.net

# ---- device 3 is rejected ----
d3 --json connect request "$ACCOUNT" --no-wait >"$TMP/request3.json" 2>"$TMP/err"
W3=$(jget 'd["Witness"]' "$TMP/request3.json")
expect_out "connect reject on device 1" "Rejected the device with witness $W3" \
	d1 connect reject "$W3"
expect_fail "connect wait on device 3: Rejected (20)" 20 "rejected" d3 connect wait
d1 --json profile show >"$TMP/final"
check "the rejected device is not in the profile" \
	[ "$(jget 'len(d["Devices"])' "$TMP/final")" = 2 ]

if [ "$STORES" = 1 ]; then
	# Device keys and administration keys where they were put; master keys (exportable, for
	# escrow) in a software store.
	d1 --json device show >"$TMP/dev1.json"
	d1 --json key list >"$TMP/keys1.json"
	d2 --json key list >"$TMP/keys2.json"
	check "device 1's device keys are P-256 keys in the TPM" /usr/bin/python3 - \
		"$TMP/dev1.json" "$TMP/keys1.json" <<'PY'
import json, sys
dev, keys = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
stores = {k["UDF"]: (k["Store"], k["Algorithm"]) for k in keys["Keys"]}
for use in ("Signature", "Authentication", "Encryption"):
    assert stores[dev["Keys"][use]] == ("tpm2", "P-256"), (use, stores)
PY
	check "device 1's Mesh SSH key is a P-256 key in the TPM" /usr/bin/python3 - \
		"$TMP/dev1.json" "$TMP/keys1.json" "$TMP/ssh1" <<'PY'
import json, sys
dev, keys = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
line = open(sys.argv[3]).read()
assert line.startswith("ecdsa-sha2-nistp256 "), line
device = set(dev["Keys"].values())
ssh = [k for k in keys["Keys"] if k["Use"] == "Authentication" and k["UDF"] not in device]
assert len(ssh) == 1 and (ssh[0]["Store"], ssh[0]["Algorithm"]) == ("tpm2", "P-256"), ssh
PY
	check "device 2's keys are all in the keyring" /usr/bin/python3 - "$TMP/keys2.json" <<'PY'
import json, sys
keys = json.load(open(sys.argv[1]))["Keys"]
assert keys and all(k["Store"] == "secret" for k in keys), keys
PY
fi
if [ "$PG" = 1 ]; then
	check "PostgreSQL holds the account and its profile (and no SQLite file was made)" sh -c \
		"[ \"\$(psql -X -At -d '$DB' -c 'SELECT count(*) FROM accounts a JOIN entries e ON e.identifier = a.identifier')\" = 1 ] &&
		[ ! -e '$TMP/portal.db' ] && [ ! -e '$TMP/d1/.local/share/servermesh' ]"
	check "the log names no database password or URI" sh -c "! grep -q 'postgresql://' '$TMP/portal.log'"
fi
finish
