# SPDX-License-Identifier: MIT
# Shared helpers for the integration scripts: checks that count, and a closing summary line.
# Sourced; the script sets MESH to the binary under test.
passed=0
failed=0
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

ok() { passed=$((passed + 1)); echo "ok   - $*"; }
not_ok() { failed=$((failed + 1)); echo "FAIL - $*"; }

# portal_url LOG [PID]: the URL servermesh announces in LOG ("servermesh: serving example.com on
# URL"), once it does (at most 10 s; sooner when the process PID ends); empty when it does not.
portal_url() {
	for _ in $(seq 100); do
		_url=$(sed -n 's/^servermesh: serving example.com on \(http[^ ]*\)$/\1/p' "$1")
		[ -n "$_url" ] && break
		[ -n "${2:-}" ] && ! kill -0 "$2" 2>/dev/null && break
		sleep 0.1
	done
	echo "$_url"
}

# proxy_url DIR: the portal URL of the loopback stand-in (loopback.py) serving from DIR, once
# it has written DIR/port (at most 10 s); empty when it does not.
proxy_url() {
	for _ in $(seq 100); do
		[ -s "$1/port" ] && break
		sleep 0.1
	done
	[ -s "$1/port" ] && echo "http://127.0.0.1:$(cat "$1/port")/.well-known/mmm/"
}

# jget EXPR [FILE]: print the Python expression EXPR of the JSON document d (FILE or stdin).
jget() {
	/usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[2]) if len(sys.argv) > 2 else sys.stdin)
print(eval(sys.argv[1]))' "$@"
}

# expect_out NAME EXPECTED CMD...: CMD exits 0 and prints exactly EXPECTED on stdout.
expect_out() {
	name=$1 want=$2
	shift 2
	got=$("$@" 2>"$TMP/err") && status=0 || status=$?
	if [ "$status" = 0 ] && [ "$got" = "$want" ]; then
		ok "$name"
	else
		not_ok "$name: exit $status, got '$got', want '$want' ($(cat "$TMP/err"))"
	fi
}

# expect_fail NAME STATUS PATTERN CMD...: CMD exits STATUS, prints nothing on stdout and exactly
# one line on stderr that matches the grep pattern PATTERN.
expect_fail() {
	name=$1 want=$2 pattern=$3
	shift 3
	out=$("$@" 2>"$TMP/err") && status=0 || status=$?
	lines=$(wc -l <"$TMP/err")
	if [ "$status" = "$want" ] && [ -z "$out" ] && [ "$lines" = 1 ] &&
		grep -q -- "$pattern" "$TMP/err"; then
		ok "$name"
	else
		not_ok "$name: exit $status (want $want), stdout '$out', stderr: $(cat "$TMP/err")"
	fi
}

# check NAME CONDITION-CMD...
check() {
	name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

# openssl_verify_left NAME DIR: the signatures keystore-conformance.c left in DIR (<alg>.pem,
# .msg, .sig) verify with openssl, and not for another message.
openssl_verify_left() {
	for pem in "$2"/*.pem; do
		[ -e "$pem" ] || { not_ok "$1: no signature was left for openssl"; break; }
		base=${pem%.pem} alg=$(basename "$base") opts=-rawin
		[ "$alg" = Ed25519 ] || opts="-digest sha256 -rawin"
		check "$1: openssl verifies the $alg signature" openssl pkeyutl -verify -pubin \
			-inkey "$pem" $opts -in "$base.msg" -sigfile "$base.sig"
		printf x >>"$base.msg"
		check "$1: ... and refuses it for another message" sh -c "! openssl pkeyutl \
			-verify -pubin -inkey '$pem' $opts -in '$base.msg' -sigfile '$base.sig' \
			>/dev/null 2>&1"
	done
}

finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
}
