#!/bin/sh
# SPDX-License-Identifier: MIT
# mesh share: the known answer of docs/protocol.md §5, round trips, JSON, and every error case with
# its exit code and one-line message.
set -u
MESH=$1
. "$(dirname "$0")/lib.sh"

S1=SAYC-UW4N-56UI-VTTZ-62UN-J6FP-ETD3-O
S2=SAY6-OXXE-SUNL-KUMX-3ZG6-TRDW-UDAK-Y
S3=SAZM-MCDK-AD6B-ICWP-BTJU-QISC-C3RY-6
S4=SAZ4-MWA6-GNGK-N6Q7-QI4P-AEQR-Q4YJ-G
S5=SA2O-QTQB-FQGG-4H4J-HZ7O-DE7E-6GT3-Q
SECRET=8EFE6610A594817555E409BEEBA2F916

expect_out "known answer: shares 1 3 5" $SECRET "$MESH" share combine $S1 $S3 $S5
expect_out "known answer: shares 5 2 4" $SECRET "$MESH" share combine $S5 $S2 $S4
expect_out "known answer: all five" $SECRET "$MESH" share combine $S1 $S2 $S3 $S4 $S5
expect_out "lower case, no dashes" $SECRET "$MESH" share combine \
	"$(echo $S1 | tr -d - | tr A-Z a-z)" $S2 $S3
printf '%s\n\n%s\n%s\n' $S2 $S4 $S5 >"$TMP/lines"
expect_out "shares from stdin" $SECRET sh -c "\"$MESH\" share combine <\"$TMP/lines\""

# Split then combine, through the binary, for several lengths and quorums.
for spec in "2 2 1" "2 3 16" "3 5 32" "5 9 48" "15 15 64" "7 15 7"; do
	set -- $spec
	k=$1 n=$2 len=$3
	secret=$(head -c "$len" /dev/urandom | od -v -An -tx1 | tr -d ' \n' | tr a-f A-F)
	"$MESH" share split --quorum "$k" --shares "$n" --secret "$secret" >"$TMP/s" 2>"$TMP/err"
	check "split $k of $n, $len bytes: $n lines" [ "$(wc -l <"$TMP/s")" = "$n" ]
	# The last k shares, in reverse order
	got=$("$MESH" share combine $(tail -n "$k" "$TMP/s" | sort -r))
	check "combine $k of $n, $len bytes" [ "$got" = "$secret" ]
	if [ "$k" -gt 1 ]; then
		expect_fail "combine $((k - 1)) of $n: ShareQuorum (15)" 15 "need $k" \
			"$MESH" share combine $(head -n $((k - 1)) "$TMP/s")
	fi
done

printf '%s\n' $SECRET | "$MESH" share split -k 2 -n 3 --secret - >"$TMP/s"
check "secret from stdin" [ "$("$MESH" share combine $(head -n 2 "$TMP/s"))" = $SECRET ]

json=$("$MESH" --json share split --quorum 3 --shares 4 --random 20)
echo "$json" >"$TMP/json"
check "--random --json has Secret and 4 Shares that recover it" /usr/bin/python3 - "$MESH" "$TMP/json" <<'PY'
import json, subprocess, sys
d = json.load(open(sys.argv[2]))
assert len(d["Secret"]) == 40 and d["Secret"] == d["Secret"].upper(), d
assert len(d["Shares"]) == 4 and set(d) == {"Secret", "Shares"}
out = subprocess.run([sys.argv[1], "share", "combine"] + d["Shares"][1:], capture_output=True, text=True, check=True)
assert out.stdout.strip() == d["Secret"]
PY
json=$("$MESH" --json share split --quorum 2 --shares 2 --secret 00FF)
check "--secret --json has only Shares" sh -c "printf '%s' '$json' | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if list(d)==[\"Shares\"] and len(d[\"Shares\"])==2 else 1)'"
out=$("$MESH" share split --quorum 2 --shares 3 --random 16)
check "--random without --json prints only the shares" sh -c "[ \$(printf '%s\n' '$out' | grep -c '^S') = 3 ] && [ \$(printf '%s\n' '$out' | wc -l) = 3 ]"
json=$("$MESH" --json share combine $S1 $S2 $S3)
check "combine --json" sh -c "printf '%s' '$json' | /usr/bin/python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)=={\"Secret\": \"$SECRET\"} else 1)'"

# Errors: one line naming the problem, the MeshError code as exit status, nothing on stdout.
expect_fail "too few shares: ShareQuorum (15)" 15 "need 3" "$MESH" share combine $S1 $S2
expect_fail "one share" 15 "need 3" "$MESH" share combine $S4
expect_fail "duplicate: ShareDuplicate (17)" 17 "share 3" "$MESH" share combine $S1 $S2 $S1
BAD=$(echo $S2 | sed 's/^\(.......\)./\10/')
expect_fail "non-Base32 character: ShareCorrupt (18)" 18 "share 2" "$MESH" share combine $S1 "$BAD" $S3
expect_fail "truncated to another length: ShareMismatch" 16 "share 3.*8-byte" \
	"$MESH" share combine $S1 $S2 "$(echo $S3 | cut -c1-20)"
expect_fail "truncated below any share: ShareCorrupt" 18 "share 2" \
	"$MESH" share combine $S1 "$(echo $S2 | cut -c1-4)" $S3
expect_fail "not a share (a nonce UDF)" 18 "share 1" "$MESH" share combine "$("$MESH" udf --nonce)" $S2 $S3
"$MESH" share split -k 2 -n 3 --secret $SECRET >"$TMP/k2"
expect_fail "mixed quorums: ShareMismatch (16)" 16 "share" "$MESH" share combine $S1 $(head -n 2 "$TMP/k2")
"$MESH" share split -k 3 -n 5 --secret 00112233445566778899AABBCCDDEEFF >"$TMP/other"
expect_fail "a share of another split (more than K given)" 16 "share 4" \
	"$MESH" share combine $S1 $S2 $S3 $(sed -n 4p "$TMP/other")
"$MESH" share split -k 3 -n 5 --secret 0011 >"$TMP/short"
expect_fail "shares of different lengths" 16 "share" "$MESH" share combine $S1 $S2 $(sed -n 3p "$TMP/short")
expect_fail "no shares" 15 "no shares" sh -c "\"$MESH\" share combine </dev/null"

expect_fail "quorum above shares" 3 "" "$MESH" share split --quorum 4 --shares 3 --secret 00
expect_fail "quorum 1" 3 "" "$MESH" share split --quorum 1 --shares 3 --secret 00
expect_fail "16 shares" 3 "" "$MESH" share split --quorum 2 --shares 16 --secret 00
expect_fail "65-byte secret" 3 "64" "$MESH" share split -k 2 -n 2 --random 65
expect_fail "65-byte hex secret" 3 "secret" "$MESH" share split -k 2 -n 2 \
	--secret "$(head -c 65 /dev/zero | od -v -An -tx1 | tr -d ' \n')"
expect_fail "bad hex" 4 "hex" "$MESH" share split -k 2 -n 2 --secret 0G
expect_fail "odd hex" 4 "odd" "$MESH" share split -k 2 -n 2 --secret ABC
expect_fail "empty secret" 3 "empty" "$MESH" share split -k 2 -n 2 --secret ""
expect_fail "both --secret and --random" 2 "exactly one" "$MESH" share split -k 2 -n 2 --secret 00 --random 4
expect_fail "neither" 2 "exactly one" "$MESH" share split -k 2 -n 2
expect_fail "no quorum" 2 "quorum" "$MESH" share split --secret 00
expect_fail "unknown subcommand" 2 "split' or 'combine" "$MESH" share mix
check "share --help" sh -c "\"$MESH\" share --help | grep -q 'share split'"
check "share split --help" sh -c "\"$MESH\" share split --help | grep -q -- '--quorum'"

finish
