#!/bin/sh
# SPDX-License-Identifier: MIT
# Storage quotas of servermesh over real HTTP (issue 11, item 8): account creations per address
# and hour (429, counted across a restart), entries per account and bytes per account (413, with
# a message; re-publishing an entry replaces it and does not count twice). The requests are
# real signed ones, made in bulk by portal-abuse-tool and sent by portal-abuse.py from chosen
# loopback addresses.
# Usage: portal-quota.sh SERVERMESH PORTAL-ABUSE-TOOL
set -u
SERVERMESH=$1 TOOL=$2
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/portal-lib.sh"
PY="timeout 120 /usr/bin/python3 $(dirname "$0")/portal-abuse.py"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}intercept_tls_get_addr=0"
export HOME="$TMP/home" XDG_DATA_HOME="$TMP/home/data"
mkdir -p "$HOME"
trap 'portal_kill; rm -rf "$TMP"' EXIT

# send ADDR FILE: the answers, "STATUS CODE DESCRIPTION" a line, into $TMP/answers.
send() {
	$PY send "$URL" "$1" "$2" >"$TMP/answers" 2>"$TMP/err" || echo "send failed: $(cat "$TMP/err")"
}
# answer N: the Nth answer's "STATUS CODE".
answer() { sed -n "${1}p" "$TMP/answers" | cut -d' ' -f1,2; }

# ---- Account creations per address and hour: the default, then a flag ----
check "servermesh starts with its defaults" portal_start "$TMP/log.0" --db "$TMP/defaults.db"
"$TOOL" creates example.com spam 11 >"$TMP/spam" 2>"$TMP/err"
send 127.0.0.5 "$TMP/spam"
check "the default: 10 accounts an hour from one address → 201, the 11th → 429 RateLimited" \
	[ "$(grep -c '^201 ' "$TMP/answers")" = 10 ] && [ "$(answer 11)" = "429 RateLimited" ]
check "it stops cleanly" portal_stop
check "servermesh starts with --creations-per-address 3" \
	portal_start "$TMP/log.1" --db "$TMP/portal.db" --creations-per-address 3
"$TOOL" creates example.com user 5 >"$TMP/creates" 2>"$TMP/err"
check "5 CreateRequests made" [ "$(wc -l <"$TMP/creates")" = 5 ]
head -4 "$TMP/creates" >"$TMP/creates.4"
send 127.0.0.2 "$TMP/creates.4"
check "3 accounts created from 127.0.0.2 → 201 each" \
	[ "$(head -3 "$TMP/answers" | cut -d' ' -f1 | tr '\n' ' ')" = "201 201 201 " ]
check "the 4th from 127.0.0.2 → 429 RateLimited ($(answer 4))" [ "$(answer 4)" = "429 RateLimited" ]
check "... saying why and what to do" grep -q 'accounts in the last 60 minutes.*try again later' \
	"$TMP/answers"
sed -n 4p "$TMP/creates" >"$TMP/create.3"
send 127.0.0.1 "$TMP/create.3"
check "the same account from 127.0.0.1 → 201 ($(answer 1))" [ "$(answer 1)" = "201 -" ]
check "servermesh restarts on the same database" portal_stop
check "servermesh starts again" \
	portal_start "$TMP/log.2" --db "$TMP/portal.db" --creations-per-address 3
sed -n 5p "$TMP/creates" >"$TMP/create.4"
send 127.0.0.2 "$TMP/create.4"
check "after the restart, 127.0.0.2 is still over its hour's creations → 429 ($(answer 1))" \
	[ "$(answer 1)" = "429 RateLimited" ]
check "it stops cleanly" portal_stop

# ---- Entries per account ----
mkdir -p "$TMP/e"
check "servermesh starts with --max-entries 4" \
	portal_start "$TMP/log.3" --db "$TMP/entries.db" --max-entries 4
"$TOOL" entries example.com alice 4 "$TMP/e" 2>"$TMP/err"
check "alice and 4 application profiles made" [ "$(wc -l <"$TMP/e/publish.json")" = 4 ]
send 127.0.0.1 "$TMP/e/create.json"
check "alice created → 201" [ "$(answer 1)" = "201 -" ]
send 127.0.0.1 "$TMP/e/publish.json"
check "3 application profiles published → 200 each (4 entries with the profile)" \
	[ "$(head -3 "$TMP/answers" | cut -d' ' -f1 | tr '\n' ' ')" = "200 200 200 " ]
check "the 4th → 413 TooLarge ($(answer 4))" [ "$(answer 4)" = "413 TooLarge" ]
check "... saying why and what to do" grep -q 'holds 4 entries.*delete some' "$TMP/answers"
send 127.0.0.1 "$TMP/e/republish.json"
check "re-publishing the first (Serial 2) replaces it → 200 ($(answer 1))" \
	[ "$(answer 1)" = "200 -" ]
check "it stops cleanly" portal_stop

# ---- Bytes per account: room for the profile and the first two application profiles ----
mkdir -p "$TMP/b"
"$TOOL" entries example.com bob 3 "$TMP/b" 2>"$TMP/err"
limit=$(awk 'NR <= 3 { sum += $2 } END { print sum }' "$TMP/b/sizes.txt")
check "servermesh starts with --max-account-bytes $limit" \
	portal_start "$TMP/log.4" --db "$TMP/bytes.db" --max-account-bytes "$limit"
send 127.0.0.1 "$TMP/b/create.json"
check "bob created → 201" [ "$(answer 1)" = "201 -" ]
send 127.0.0.1 "$TMP/b/publish.json"
check "2 application profiles fit → 200 each" \
	[ "$(head -2 "$TMP/answers" | cut -d' ' -f1 | tr '\n' ' ')" = "200 200 " ]
check "the 3rd is over the quota → 413 TooLarge ($(answer 3))" [ "$(answer 3)" = "413 TooLarge" ]
check "... saying why and what to do" grep -q "quota of $limit.*delete or shrink" "$TMP/answers"
send 127.0.0.1 "$TMP/b/republish.json"
check "re-publishing the first counts at its new size only → 200 ($(answer 1))" \
	[ "$(answer 1)" = "200 -" ]
check "it stops cleanly" portal_stop
finish
