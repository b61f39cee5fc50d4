#!/bin/sh
# SPDX-License-Identifier: MIT
# mesh udf: known answers through the real binary, options, stdin, JSON, errors and exit codes.
set -u
MESH=$1
. "$(dirname "$0")/lib.sh"

printf 'UDF Data Value' >"$TMP/v"
expect_out "known answer, 140 bits" "MDDK-7N6A-727A-JZNO-STRX-XKS7-DJAF" \
	"$MESH" udf --content-type text/plain "$TMP/v"
expect_out "known answer, 100 bits" "MDDK-7N6A-727A-JZNO-STRX" \
	"$MESH" udf --content-type text/plain --bits 100 "$TMP/v"
expect_out "known answer, 260 bits" \
	"MDDK-7N6A-727A-JZNO-STRX-XKS7-DJAF-XI6O-ZSLU-2VOA-TZQ6-JMHP-TSXP" \
	"$MESH" udf --content-type text/plain --bits 260 "$TMP/v"
expect_out "SHA3-512 known answer" "KCFI-NCQG-DRKG-47R7-OVPT-TCHZ-7UXY" \
	"$MESH" udf --alg sha3-512 --content-type text/plain "$TMP/v"
expect_out "stdin with -" "MDDK-7N6A-727A-JZNO-STRX-XKS7-DJAF" \
	sh -c "\"$MESH\" udf --content-type text/plain - <\"$TMP/v\""
expect_out "stdin without FILE" "MDDK-7N6A-727A-JZNO-STRX-XKS7-DJAF" \
	sh -c "\"$MESH\" udf --content-type text/plain <\"$TMP/v\""
printf 'UDF Compressed Document 4187123' >"$TMP/c"
expect_out "compressed known answer" "MGHB-JWIZ-J3LA-EEWD-GCT3-WX6H-C5W2" \
	"$MESH" udf --content-type text/plain "$TMP/c"

# Default content type is application/octet-stream: a different fingerprint from text/plain.
default=$("$MESH" udf "$TMP/v")
explicit=$("$MESH" udf --content-type application/octet-stream "$TMP/v")
check "default content type is application/octet-stream" [ "$default" = "$explicit" ]
check "content type changes the UDF" [ "$default" != "MDDK-7N6A-727A-JZNO-STRX-XKS7-DJAF" ]

# A file larger than the read buffer digests the same as through stdin.
head -c 3000000 /dev/urandom >"$TMP/big"
a=$("$MESH" udf "$TMP/big")
b=$("$MESH" udf - <"$TMP/big")
check "large file: file and stdin agree" sh -c '[ "$1" = "$2" ] && [ -n "$1" ]' _ "$a" "$b"

printf 'Konrad is the traitor' >"$TMP/m"
expect_out "authenticator known answer" "ABGM-G76T-7GPF-FTYH-SB2F-HBDF-SW6B" \
	"$MESH" udf --key NDD7-6CMX-H2FW-ISAL-K4VB-DQ3E-PEDM --content-type text/plain "$TMP/m"
expect_out "authenticator known answer 2" "ADFI-EPKG-VKPP-NHHM-5DCA-QBRW-AVRJ" \
	"$MESH" udf --key NC56-CJPL-HRLU-MGTU-PUEW-S5WU-PYGP --content-type text/plain "$TMP/m"

n1=$("$MESH" udf --nonce)
n2=$("$MESH" udf --nonce --bits 200)
check "nonce: N type, 28 characters + dashes" sh -c "echo '$n1' | grep -Eq '^N[A-Z2-7]{3}(-[A-Z2-7]{4}){6}$'"
check "nonce: 200 bits = 40 characters" [ "$(printf %s "$n2" | tr -d - | wc -c)" = 40 ]
check "nonces differ" [ "$n1" != "$("$MESH" udf --nonce)" ]

json=$("$MESH" --json udf --content-type text/plain "$TMP/v")
check "--json UDF member" sh -c "printf '%s' '$json' | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d[\"UDF\"]==\"MDDK-7N6A-727A-JZNO-STRX-XKS7-DJAF\" and d[\"Bits\"]==140 else 1)'"
json=$("$MESH" udf --json --nonce)
check "--json after the verb" sh -c "printf '%s' '$json' | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d[\"UDF\"].startswith(\"N\") else 1)'"

expect_fail "missing file: NotFound (12)" 12 "cannot open" "$MESH" udf "$TMP/nope"
expect_fail "bits too small: InvalidArgument (3)" 3 "100 to 440" "$MESH" udf --bits 99 "$TMP/v"
expect_fail "bits too large" 3 "100 to 440" "$MESH" udf --bits 441 "$TMP/v"
expect_fail "bits not a number: Usage (2)" 2 "bits" "$MESH" udf --bits many "$TMP/v"
expect_fail "unknown algorithm" 3 "sha512 or sha3-512" "$MESH" udf --alg md5 "$TMP/v"
expect_fail "unknown option: Usage (2)" 2 "Unknown option" "$MESH" udf --frobnicate
expect_fail "two files: Usage" 2 "at most one FILE" "$MESH" udf "$TMP/v" "$TMP/m"
expect_fail "--nonce with a file: Usage" 2 "nonce" "$MESH" udf --nonce "$TMP/v"
expect_fail "--key with sha3: Usage" 2 "SHA-512" "$MESH" udf --alg sha3-512 --key K "$TMP/v"
expect_fail "empty key" 3 "key" "$MESH" udf --key "" "$TMP/v"
expect_fail "unknown command: Usage" 2 "unknown command" "$MESH" frobnicate
expect_fail "unknown global option" 2 "unknown option" "$MESH" --frobnicate udf

err=$("$MESH" --json udf --bits 5 "$TMP/v" 2>/dev/null)
check "--json error object" sh -c "printf '%s' '$err' | /usr/bin/python3 -c 'import json,sys; e=json.load(sys.stdin)[\"Error\"]; sys.exit(0 if e[\"Code\"]==3 and e[\"Name\"]==\"InvalidArgument\" else 1)'"

check "mesh --help lists udf and share" sh -c "\"$MESH\" --help | grep -q '^  udf' && \"$MESH\" --help | grep -q '^  share'"
check "mesh udf --help shows the options" sh -c "\"$MESH\" udf --help | grep -q -- '--content-type'"
check "mesh help udf" sh -c "\"$MESH\" help udf | grep -q -- '--nonce'"
check "mesh --version" sh -c "\"$MESH\" --version | grep -Eq '^mesh \\(meshagent\\) [0-9]+\\.[0-9]+\\.[0-9]+$'"
check "mesh without a command: Usage" sh -c "\"$MESH\" 2>/dev/null; [ \$? = 2 ]"

finish
