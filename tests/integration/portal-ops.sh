#!/bin/sh
# SPDX-License-Identifier: MIT
# What a provider runs a portal with (issue 16, item 5), against the real servermesh on
# loopback. servermesh backup: copies taken while a client creates 1,000 accounts each pass
# SQLite's integrity check, are 0600 and consistent (no account without its profile, counts
# never going back), and a servermesh started on the last one serves the same accounts;
# refusals (an existing PATH without --force, a journal beside PATH, a folder others may write
# to, a missing one, one this user may not write to, the database itself, no database, a
# database that is not a portal's, PostgreSQL) leave nothing behind. The health endpoint: 200
# {"Status":"ok"}, HEAD, 405 for other methods and the portal's own refusals unchanged;
# never rate-limited, for the client that is and for another while others flood; 503
# {"Status":"unavailable"} while another process holds the database's write lock (answered
# from the last check meanwhile, not one wait per request) and after the file is removed,
# with the reason in the log and never in the answer; on PostgreSQL, 503 once the database is
# dropped, and while the one made again has no portal's tables.
# Usage: portal-ops.sh SERVERMESH PORTAL-ABUSE-TOOL
set -u
SERVERMESH=$1 TOOL=$2
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/portal-lib.sh"
OPS="timeout 120 /usr/bin/python3 $(dirname "$0")/portal-ops.py"
N=1000
LIVE="$TMP/live/portal.db"
BK="$TMP/backups"
mkdir -m 700 "$TMP/live" "$BK"
SEND_PID=

# left_behind DIR: the names of temporary files a backup left in DIR (none, when all is well).
left_behind() { ls -A "$1" | grep '\.tmp-' || true; }
# accounts DB: "ACCOUNTS PROFILES INTEGRITY" of a portal database.
accounts() { $OPS count "$1"; }

# ---- Backups while a client publishes ----
check "servermesh starts without rate limits" portal_start "$TMP/log.live" --db "$LIVE" --rate 0 \
	--creations-per-address 0
"$TOOL" creates example.com user $N >"$TMP/creates" 2>"$TMP/err"
check "$N CreateRequests made" [ "$(wc -l <"$TMP/creates")" = $N ]
$PY send "$URL" 127.0.0.1 "$TMP/creates" >"$TMP/created" 2>&1 &
SEND_PID=$!
EXTRA=
taken=0 during=0 previous=0 monotone=yes consistent=yes intact=yes private=yes
for i in $(seq 8); do
	sleep 0.3
	running=no
	kill -0 "$SEND_PID" 2>/dev/null && running=yes
	if timeout 60 "$SERVERMESH" backup --db "$LIVE" "$BK/b$i.db" >"$TMP/out" 2>"$TMP/err"; then
		taken=$((taken + 1))
	else
		EXTRA="$EXTRA; backup $i: $(cat "$TMP/err")"
		continue
	fi
	set -- $(accounts "$BK/b$i.db")
	[ "$running" = yes ] && [ "$1" -gt 0 ] && [ "$1" -lt $N ] && during=$((during + 1))
	[ "$1" -ge "$previous" ] || monotone="no ($previous then $1)"
	[ "$1" = "$2" ] || consistent="no ($1 accounts, $2 with their profile)"
	[ "$3" = ok ] || intact="no ($3)"
	[ "$(stat -c %a "$BK/b$i.db")" = 600 ] || private=no
	previous=$1
done
check "8 backups taken while the client publishes ($taken$EXTRA)" [ "$taken" = 8 ]
check "... of them, taken mid-way (some accounts, not all): $during" [ "$during" -ge 2 ]
check "... each passes PRAGMA integrity_check: $intact" [ "$intact" = yes ]
check "... each is consistent (every account with its profile): $consistent" [ "$consistent" = yes ]
check "... accounts never go back from one to the next: $monotone" [ "$monotone" = yes ]
check "... each 0600: $private" [ "$private" = yes ]
check "backup prints what it copied where" grep -qx "Backed up $LIVE to $BK/b8.db" "$TMP/out"
wait "$SEND_PID"
SEND_PID=
check "the client's $N accounts were all created meanwhile" \
	[ "$(grep -c '^201 ' "$TMP/created")" = $N ]
check "the serving portal still answers its health check" \
	[ "$($OPS get "${URL}health" 127.0.0.1)" = '200 {"Status":"ok"}' ]
check "no temporary file left in the backup folder ($(left_behind "$BK"))" \
	[ -z "$(left_behind "$BK")" ]

expect_fail "a backup over an existing file is refused without --force" 13 "give --force" \
	timeout 60 "$SERVERMESH" backup --db "$LIVE" "$BK/b8.db"
check "... and leaves that file as it was" [ "$(accounts "$BK/b8.db" | cut -d' ' -f1)" = "$previous" ]
timeout 60 "$SERVERMESH" backup --force --db "$LIVE" "$BK/b8.db" >/dev/null 2>"$TMP/err"
check "--force replaces it with a copy that has all $N accounts" \
	[ "$(accounts "$BK/b8.db")" = "$N $N ok" ]
check "the live database holds as many ($(accounts "$LIVE"))" [ "$(accounts "$LIVE")" = "$N $N ok" ]
check "the live portal stops cleanly" portal_stop

# A servermesh on the copy serves the same accounts: each CreateRequest again is 409 Exists,
# and a new account can still be made.
check "servermesh starts on the backup" portal_start "$TMP/log.copy" --db "$BK/b8.db" --rate 0 \
	--creations-per-address 0
sed -n '1p;500p;1000p' "$TMP/creates" >"$TMP/again"
$PY send "$URL" 127.0.0.2 "$TMP/again" >"$TMP/answers" 2>&1
check "accounts 1, 500 and 1000 exist on it: 409 Exists each" \
	[ "$(cut -d' ' -f1,2 "$TMP/answers" | tr '\n' ' ')" = "409 Exists 409 Exists 409 Exists " ]
"$TOOL" creates example.com fresh 1 >"$TMP/fresh" 2>"$TMP/err"
$PY send "$URL" 127.0.0.2 "$TMP/fresh" >"$TMP/answers" 2>&1
check "and a new account is created on it: 201" [ "$(cut -d' ' -f1 "$TMP/answers")" = 201 ]
check "its health check answers 200" \
	[ "$($OPS get "${URL}health" 127.0.0.1)" = '200 {"Status":"ok"}' ]
check "the portal on the copy stops cleanly" portal_stop

# ---- Backups refused ----
: >"$BK/c.db-wal"
expect_fail "a journal beside PATH (a database there in use) is refused" 13 "has a -wal file beside it" \
	timeout 60 "$SERVERMESH" backup --force --db "$LIVE" "$BK/c.db"
rm "$BK/c.db-wal"
mkdir -m 777 "$TMP/open"
expect_fail "a folder others may write to is refused" 11 "writable by group or others" \
	timeout 60 "$SERVERMESH" backup --db "$LIVE" "$TMP/open/x.db"
check "... and nothing is written there" [ -z "$(ls -A "$TMP/open")" ]
expect_fail "a folder that does not exist is refused" 12 "create it first" \
	timeout 60 "$SERVERMESH" backup --db "$LIVE" "$TMP/nonesuch/x.db"
expect_fail "the database itself is refused, even with --force" 3 "the database itself" \
	timeout 60 "$SERVERMESH" backup --force --db "$LIVE" "$LIVE"
expect_fail "no database there: refused" 12 "no portal database" \
	timeout 60 "$SERVERMESH" backup --db "$TMP/live/nonesuch.db" "$BK/n.db"
/usr/bin/python3 -c "import sqlite3, sys; d = sqlite3.connect(sys.argv[1]); \
d.execute('CREATE TABLE t (x)'); d.commit()" "$TMP/live/other.db"
expect_fail "an SQLite database that is not a portal's: refused" 5 "not a portal's" \
	timeout 60 "$SERVERMESH" backup --db "$TMP/live/other.db" "$BK/o.db"
expect_fail "PostgreSQL: use pg_dump, and the URI (its password) is not echoed" 5 "pg_dump" \
	timeout 60 "$SERVERMESH" backup --db "postgresql://portal:s3cret@db.example/mesh" "$BK/p.db"
check "... not echoed" sh -c "! grep -q s3cret '$TMP/err'"
expect_fail "backup without --db or DOMAIN: usage" 2 "backup PATH" \
	timeout 60 "$SERVERMESH" backup "$BK/u.db"
expect_fail "backup without PATH: usage" 2 "backup PATH" timeout 60 "$SERVERMESH" backup
expect_fail "--force when serving: usage" 2 "--force is for 'backup'" \
	timeout 60 "$SERVERMESH" --force example.com
# DOMAIN instead of --db: the default database of that domain.
mkdir -p "$XDG_DATA_HOME/servermesh" && chmod 700 "$XDG_DATA_HOME/servermesh"
cp "$BK/b8.db" "$XDG_DATA_HOME/servermesh/example.com.db"
timeout 60 "$SERVERMESH" backup "$BK/d.db" example.com >"$TMP/out" 2>"$TMP/err"
check "backup PATH DOMAIN copies DOMAIN's default database" \
	[ "$(accounts "$BK/d.db" | cut -d' ' -f1,3)" = "$((N + 1)) ok" ]
# A folder this user may not write to: as nobody, from a database of nobody's, into root's 0755.
chmod 711 "$TMP"
mkdir -m 700 "$TMP/nobody"
mkdir -m 755 "$TMP/roots"
cp "$BK/b8.db" "$TMP/nobody/portal.db"
chown -R nobody "$TMP/nobody"
expect_fail "a folder this user may not write to is refused" 10 "Permission denied" \
	timeout 60 setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$SERVERMESH" backup --db "$TMP/nobody/portal.db" "$TMP/roots/x.db"
check "... and nothing is written there" [ -z "$(ls -A "$TMP/roots")" ]
setpriv --reuid=nobody --regid=nogroup --clear-groups timeout 60 "$SERVERMESH" backup \
	--db "$TMP/nobody/portal.db" "$TMP/nobody/copy.db" >/dev/null 2>"$TMP/err"
check "... while nobody backs up into a folder of its own ($(cat "$TMP/err"))" \
	[ "$(stat -c '%U %a' "$TMP/nobody/copy.db" 2>&1)" = "nobody 600" ]
check "no temporary file left anywhere" [ -z "$(left_behind "$BK")$(left_behind "$TMP/nobody")" ]

# ---- The health endpoint ----
check "servermesh starts with --rate 1 --burst 3" portal_start "$TMP/log.health" \
	--db "$TMP/live/health.db" --rate 1 --burst 3
H="${URL}health"
check "GET health: 200 {\"Status\":\"ok\"}" [ "$($OPS get "$H" 127.0.0.1)" = '200 {"Status":"ok"}' ]
check "HEAD health: 200, no body" [ "$($OPS get "$H" 127.0.0.1 HEAD)" = '200 ' ]
got=$($OPS get "$H" 127.0.0.1 POST)
check "POST health: 405 ($got)" sh -c "echo '$got' | grep -q '^405 '"
curl -s -o /dev/null -D "$TMP/headers" -X DELETE "$H"
check "... DELETE too, with Allow: GET, HEAD" grep -qi '^Allow: GET, HEAD' "$TMP/headers"
got=$($OPS get "$URL" 127.0.0.1)
check "GET of the portal's path is still 405 ($got)" sh -c "echo '$got' | grep -q '^405 '"
curl -s -o /dev/null -D "$TMP/headers" "$URL"
check "... with Allow: POST" grep -qi '^Allow: POST' "$TMP/headers"
got=$($OPS get "${URL}healthz" 127.0.0.1)
check "another path is still 404 ($got)" sh -c "echo '$got' | grep -q '^404 '"
got=$($OPS many "$URL" 127.0.0.1 6 hello)
check "Hello from 127.0.0.1 beyond the burst: 429 ($got)" sh -c "echo '$got' | grep -q '429:'"
got=$($OPS many "$URL" 127.0.0.1 30)
check "... while its 30 health checks all get 200 ($got)" sh -c "echo '$got' | grep -q '^200:30 '"
got=$($OPS many "$URL" 127.0.0.2 200 hello)
check "a flood of 200 requests from another address is rate-limited ($got)" \
	sh -c "echo '$got' | grep -q '429:19[0-9]'"
got=$($OPS many "$URL" 127.0.0.3 20)
check "... and a third address's health checks get 200 ($got)" sh -c "echo '$got' | grep -q '^200:20 '"
check "the health log lines name the check, and no account" \
	grep -q ' GET /.well-known/mmm/health Health 200 0 15 ' "$TMP/log.health"

# Another process holds the write lock: 503 within a second, answered from the last check
# meanwhile, 200 again once it lets go.
$OPS lock "$TMP/live/health.db" 4 >"$TMP/lock" 2>&1 &
LOCK_PID=$!
for _ in $(seq 50); do grep -q locked "$TMP/lock" && break; sleep 0.1; done
sleep 1.1
check "the database is locked by another process ($(cat "$TMP/lock"))" grep -q locked "$TMP/lock"
got=$($OPS many "$URL" 127.0.0.1 10)
check "10 health checks meanwhile: 503 each, in about one wait, not ten ($got)" \
	sh -c "echo '$got' | grep -q '^503:10 [0-2]\.'"
check "503 says {\"Status\":\"unavailable\"} and nothing else" \
	[ "$($OPS get "$H" 127.0.0.1)" = '503 {"Status":"unavailable"}' ]
check "the log says why, once" \
	[ "$(grep -c '^servermesh: health: unavailable: .*database is locked' "$TMP/log.health")" = 1 ]
wait "$LOCK_PID"
sleep 1.1
check "once the lock is let go: 200 again" [ "$($OPS get "$H" 127.0.0.1)" = '200 {"Status":"ok"}' ]
check "... and the log says so" grep -q '^servermesh: health: ok again$' "$TMP/log.health"

# The database file removed under the running portal (a restart would make a new, empty one).
mv "$TMP/live/health.db" "$TMP/live/moved.db"
sleep 1.1
check "the database file removed: 503" \
	[ "$($OPS get "$H" 127.0.0.1)" = '503 {"Status":"unavailable"}' ]
check "... the log says it was removed or replaced" \
	grep -q '^servermesh: health: unavailable: .*removed or replaced' "$TMP/log.health"
check "no database path in any answer" sh -c "! $OPS get '$H' 127.0.0.1 | grep -q live"
check "the portal stops cleanly" portal_stop

# ---- Health on PostgreSQL (ctest's pg fixture: a database of our own on its cluster) ----
PGC="sh $(dirname "$0")/../pg-cluster.sh"
PGDB=ops_$$
if [ -z "${MESH_TEST_PG_DIR:-}" ]; then
	not_ok "MESH_TEST_PG_DIR is not set: run this under ctest (the pg fixture)"
	finish
	exit
fi
check "a PostgreSQL database made" $PGC createdb "$MESH_TEST_PG_DIR" "$PGDB"
PGURI=$($PGC uri "$MESH_TEST_PG_DIR" "$PGDB")
check "servermesh starts on it" portal_start "$TMP/log.pg" --db "$PGURI"
H="${URL}health"
check "health: 200" [ "$($OPS get "$H" 127.0.0.1)" = '200 {"Status":"ok"}' ]
check "the database dropped under it (its connections closed)" \
	$PGC dropdb "$MESH_TEST_PG_DIR" "$PGDB"
sleep 1.1
check "health: 503" [ "$($OPS get "$H" 127.0.0.1)" = '503 {"Status":"unavailable"}' ]
check "... the log says why" grep -q '^servermesh: health: unavailable: ' "$TMP/log.pg"
check "the database made again, empty" $PGC createdb "$MESH_TEST_PG_DIR" "$PGDB"
sleep 1.1
check "health: still 503 (it connects, but this is no portal's database)" \
	[ "$($OPS get "$H" 127.0.0.1)" = '503 {"Status":"unavailable"}' ]
check "the portal stops cleanly" portal_stop
check "servermesh starts on it again (and makes its tables)" portal_start "$TMP/log.pg2" --db "$PGURI"
check "health: 200" [ "$($OPS get "${URL}health" 127.0.0.1)" = '200 {"Status":"ok"}' ]
check "the portal stops cleanly" portal_stop
$PGC dropdb "$MESH_TEST_PG_DIR" "$PGDB" >/dev/null 2>&1
finish
