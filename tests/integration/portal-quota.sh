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
	sh -c '[ "$1" = 10 ] && [ "$2" = "429 RateLimited" ]' _ "$(grep -c '^201 ' "$TMP/answers")" \
	"$(answer 11)"
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

# quota ACCOUNT N WHAT MESSAGE FLAGS...: servermesh with FLAGS; ACCOUNT (made in $TMP/ACCOUNT by
# portal-abuse-tool) publishes N application profiles: the first N - 1 fit, the Nth is over WHAT
# (413 TooLarge, with MESSAGE), and re-publishing the first replaces it, counted once.
quota() {
	account=$1 n=$2 what=$3 message=$4
	shift 4
	check "servermesh starts with $*" portal_start "$TMP/log.$account" \
		--db "$TMP/$account.db" "$@"
	send 127.0.0.1 "$TMP/$account/create.json"
	check "$account created → 201" [ "$(answer 1)" = "201 -" ]
	send 127.0.0.1 "$TMP/$account/publish.json"
	check "$((n - 1)) application profiles published → 200 each" \
		[ "$(head -$((n - 1)) "$TMP/answers" | grep -c '^200 ')" = $((n - 1)) ]
	check "the next is over the $what → 413 TooLarge ($(answer "$n"))" \
		[ "$(answer "$n")" = "413 TooLarge" ]
	check "... saying why and what to do" grep -q "$message" "$TMP/answers"
	send 127.0.0.1 "$TMP/$account/republish.json"
	check "re-publishing the first (Serial 2) replaces it, counted once → 200 ($(answer 1))" \
		[ "$(answer 1)" = "200 -" ]
	check "it stops cleanly" portal_stop
}

# ---- Entries per account: the profile and 3 application profiles ----
mkdir -p "$TMP/alice" "$TMP/bob"
"$TOOL" entries example.com alice 4 "$TMP/alice" 2>"$TMP/err"
check "alice and 4 application profiles made" [ "$(wc -l <"$TMP/alice/publish.json")" = 4 ]
quota alice 4 "entries quota" 'holds 4 entries.*delete some' --max-entries 4

# ---- Bytes per account: room for the profile and the first two application profiles ----
"$TOOL" entries example.com bob 3 "$TMP/bob" 2>"$TMP/err"
limit=$(awk 'NR <= 3 { sum += $2 } END { print sum }' "$TMP/bob/sizes.txt")
quota bob 3 "bytes quota" "quota of $limit.*delete or shrink" --max-account-bytes "$limit"
finish
