#!/bin/sh
# SPDX-License-Identifier: MIT
# Terminal injection (issue 11, item 5): a description with CR, ESC [K, U+202E RIGHT-TO-LEFT
# OVERRIDE or more than 64 characters could redraw the administrator's screen with a fake device
# and a fake witness. (a) The agent refuses such a description in 'mesh device create'
# (InvalidArgument, one line, none of those bytes on the terminal), and makes nothing.
# (b) A hostile requester signs its own device profile with one (profile-tool hostile-request)
# and sends ConnectStart straight to servermesh: refused (400, with a Code). (c) A hostile
# portal (portal-double.py, list mode) lists such properly signed requests beside an honest one:
# 'mesh connect pending' (text and --json) and meshclient (through a pseudo-terminal) list the
# honest one only, and no ESC, lone CR, C1 or bidirectional control reaches stdout or stderr.
# Usage: display-text.sh MESH MESHAGENT SERVERMESH MESHCLIENT PROFILE_TOOL
set -u
MESH=$1 AGENT=$2 SERVERMESH=$3 MESHCLIENT=$4 PROFILE_TOOL=$5 DEVICES=2
ACCOUNT=alice@example.com
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/double-lib.sh"

# clean FILE [pty]: FILE holds no ESC, no C1 control, no bidirectional control and no CR (on a
# pty, none but the CR of the terminal's CR LF line ends).
clean() {
	/usr/bin/python3 - "$@" <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read()
if len(sys.argv) > 2:
    data = data.replace(b"\r\n", b"\n")
bad = re.search(rb"[\x1b\r]|\xc2[\x80-\x9f]|\xe2\x80[\x8e\x8f\xaa-\xae]|\xe2\x81[\xa6-\xa9]"
                rb"|\xd8\x9c", data)
if bad:
    sys.exit("raw %r at byte %d of %s" % (bad.group(), bad.start(), sys.argv[1]))
PY
}

# The bad descriptions: printf makes them where they are used.
bad() {
	case $1 in
	1) printf 'laptop\rFAKE-DEVICE  witness AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA' ;;
	2) printf 'laptop\033[K' ;;
	3) printf 'laptop \342\200\256kcatta' ;;
	4) printf '%0100d' 0 ;;
	esac
}
NAMES="CR ESC[K U+202E 100-characters"
name() { echo "$NAMES" | cut -d' ' -f"$1"; }

echo '[]' >"$TMP/double/pending.json"
double_start list

# ---- (a) the agent refuses the descriptions, and makes no device ----
for i in 1 2 3 4; do
	expect_fail "device create --description with $(name "$i"): InvalidArgument (3)" 3 \
		"description" dev 2 device create --description "$(bad "$i")"
	check "... and none of its bytes reach the terminal" clean "$TMP/err"
done
expect_out "... and no device was made" "" dev 2 device list
dev 2 device create --description "Hélène's laptop ノート" >"$TMP/out" 2>"$TMP/err"
check "an honest description with accents and kana is accepted" \
	grep -q "Description: *Hélène's laptop ノート" "$TMP/out"

# ---- (b) servermesh refuses a hostile requester's ConnectStart ----
dev 1 profile create "$ACCOUNT" >/dev/null 2>"$TMP/err"
check "device 1 creates $ACCOUNT" [ $? = 0 ]
published "$TMP/profile.json"
"$PROFILE_TOOL" hostile-request "$TMP/profile.json" "laptop" >"$TMP/honest.json" 2>"$TMP/err"
check "profile-tool makes an honest request" [ -s "$TMP/honest.json" ]
for i in 1 2 3 4; do
	"$PROFILE_TOOL" hostile-request "$TMP/profile.json" "$(bad "$i")" >"$TMP/bad$i.json" \
		2>"$TMP/err"
	check "profile-tool makes a request described with $(name "$i")" [ -s "$TMP/bad$i.json" ]
	got=$(connect_start "$SURL" alice "$TMP/bad$i.json")
	check "servermesh refuses its ConnectStart: 400 Malformed ($got)" \
		[ "$got" = "400 Malformed" ]
done
got=$(connect_start "$SURL" alice "$TMP/honest.json")
check "servermesh accepts the honest one: 201 ($got)" [ "$got" = "201 -" ]

# ---- (c) a portal lists them: shown never, and never raw ----
/usr/bin/python3 - "$TMP/double/pending.json" "$TMP/honest.json" "$TMP"/bad[1234].json <<'PY'
import json, sys, time
expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 600))
entries = []
for path in sys.argv[2:]:
    e = json.load(open(path))
    e["Expires"] = expires
    entries.append(e)
json.dump(entries, open(sys.argv[1], "w"))
PY
HONEST=$(jget 'd["Witness"]' "$TMP/honest.json")
dev 1 connect pending >"$TMP/pending.out" 2>"$TMP/pending.err"
check "connect pending lists the honest request" grep -q "WITNESS: *$HONEST" "$TMP/pending.out"
check "... and it alone" sh -c "[ \$(grep -c 'WITNESS:' '$TMP/pending.out') = 1 ]"
check "... with no raw control on stdout" clean "$TMP/pending.out"
check "... nor on stderr" clean "$TMP/pending.err"
dev 1 --json connect pending >"$TMP/pending.json" 2>"$TMP/pending.err"
check "connect pending --json lists the honest request alone, no raw control in it" \
	/usr/bin/python3 - "$TMP/pending.json" "$HONEST" <<'PY'
import json, sys
raw = open(sys.argv[1], "rb").read()
assert b"\xe2\x80\xae" not in raw and b"\x1b" not in raw and b"\r" not in raw, raw
p = json.loads(raw)["Pending"]
assert [x["Witness"] for x in p] == [sys.argv[2]] and p[0]["Description"] == "laptop", p
PY
denv 1 /usr/bin/python3 "$HERE/wizard-drive.py" --log "$TMP/client" --raw "$TMP/client.raw" \
	-e 'Choice: ' -s 3 -e '1 device is waiting' -e 'Description:  laptop' \
	-l "WITNESS:      $HONEST" -e 'Choice \[3\]: ' -s 3 -e 'Choice: ' -s 8 -x 0 \
	-- "$MESHCLIENT" --hive test
check "meshclient lists the honest request alone" [ $? = 0 ]
check "... and no raw control reaches its terminal" clean "$TMP/client.raw" pty
check "no request was answered" [ ! -e "$TMP/double/completed" ]
finish
