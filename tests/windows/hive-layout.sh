#!/bin/sh
# SPDX-License-Identifier: MIT
# The registry hive's layout, read back with Wine's reg.exe: test-win-hive.exe writes into the
# test hive on a root here an account record (as core/session.c writes it), a personal profile
# and a device profile with their defaults (test-win-hive.c "layout"); this checks that the
# registry holds exactly the seeds' layout (docs/design.md "The hive on Windows"): each
# folder's default value names the default entry, Accounts holds one REG_SZ per account whose
# data is the UDF of the account's profile (the record's "Profile"), PersonalProfiles and
# ThisDevice one REG_SZ per UDF naming the data file; every entry's bytes are in a data file
# not open to others. The key is the
# isolation key of the root (SOFTWARE\CryptoMesh-<8 hex of SHA-256 of the root, case-folded>),
# the user's own SOFTWARE\CryptoMesh is never made, and "cleanup" removes the key again.
# Usage: hive-layout.sh EMULATOR TEST-WIN-HIVE
set -u
EMU=$1 TOOL=$2
HERE=$(dirname "$0")
. "$HERE/../integration/lib.sh"
cd "$TMP" || exit 1

UDF=MB2G-KZ3C-QX5N-7DVA-TTQR-6F4N-QPXY
# The same bytes as test-win-hive.c's layout().
ACCOUNT='{"Account":"alice@example.com","Profile":"'$UDF'","Device":"MCE2-AAAA-BBBB-CCCC",'\
'"Portal":"https://example.com/.well-known/mmm/","Serial":2,'\
'"SSHKey":{"UDF":"MSSH-1111","PublicKey":"ssh-ed25519 AAAAC3NzaC1lZDI1"},'\
'"Connection":{"ClientNonce":"Y2xp","ServerNonce":"c2Vy","Witness":"WXYZ-1234"},'\
'"Escrows":["MESC-1","MESC-2"]}'
PERSONAL='{"PersonalProfile":"'$UDF'"}'
DEVICE='{"DeviceProfile":"MDDD-DEV"}'

# reg_query KEY: reg.exe's listing of KEY, without carriage returns or blank lines.
reg_query() {
	$EMU reg query "HKCU\\$1" 2>/dev/null | tr -d '\r' | sed '/^$/d'
}

# reg_exists KEY: whether KEY exists (reg.exe lists an empty key as nothing at all).
reg_exists() {
	$EMU reg query "HKCU\\$1" >/dev/null 2>&1
}

# The Windows path of a folder here (Wine maps / to Z:).
winpath() {
	printf 'Z:%s' "$1" | tr '/' '\\'
}

if ! $EMU "$TOOL" layout root >layout.out 2>layout.err; then
	not_ok "the layout program failed: $(cat layout.err)"
	finish
	exit 1
fi
key=$(tr -d '\r' <layout.out | sed -n 's/^key=//p')
root=$(winpath "$TMP/root")
digest=$(printf '%s' "$root" | tr 'A-Z' 'a-z' | sha256sum | cut -c1-8)
check "the key of a root is SOFTWARE\\CryptoMesh-<8 hex of its SHA-256> ($key)" \
	test "$key" = "SOFTWARE\\CryptoMesh-$digest"

want="HKEY_CURRENT_USER\\$key\\Accounts
    (Default)    REG_SZ    alice_AT_example.com
    alice_AT_example.com    REG_SZ    $UDF"
got=$(reg_query "$key\\Accounts")
if [ "$got" = "$want" ]; then
	ok "Accounts: the default account as default value, the account as REG_SZ = its profile's UDF"
else
	not_ok "Accounts: got
$got
want
$want"
fi
# The value's data alone, as reg.exe shows it: exactly the UDF, nothing before or after.
data=$($EMU reg query "HKCU\\$key\\Accounts" /v alice_AT_example.com 2>/dev/null | tr -d '\r' |
	sed -n 's/^    alice_AT_example\.com    REG_SZ    //p')
check "Accounts: the value's data is exactly the profile UDF ($data)" test "$data" = "$UDF"
data=$($EMU reg query "HKCU\\$key\\Accounts" /ve 2>/dev/null | tr -d '\r' |
	sed -n 's/^    (Default)    REG_SZ    //p')
check "Accounts: the default value's data is the default account ($data)" \
	test "$data" = alice_AT_example.com
unix="$TMP/root/CryptoMesh/Accounts/alice_AT_example.com"
check "Accounts: the data file holds the account record, byte for byte" \
	sh -c 'printf "%s" "$1" | cmp -s - "$2"' - "$ACCOUNT" "$unix"
mode=$(stat -c %a "$unix" 2>/dev/null)
check "Accounts: the data file is not open to others (Unix mode $mode under Wine)" \
	test -n "$mode" -a "${mode#??}" = 0
check "Accounts: nothing but the data file in the folder" \
	test "$(ls -A "$TMP/root/CryptoMesh/Accounts")" = alice_AT_example.com
check "Accounts: the profile UDF is the PersonalProfiles value of that profile" \
	sh -c "$EMU reg query 'HKCU\\$key\\PersonalProfiles' /v '$UDF' >/dev/null 2>&1"

for folder in PersonalProfiles:$UDF:"$PERSONAL" ThisDevice:MDDD-DEV:"$DEVICE"; do
	fname=${folder%%:*} rest=${folder#*:}
	udf=${rest%%:*} text=${rest#*:}
	file="$root\\CryptoMesh\\$fname\\$udf.json"
	want="HKEY_CURRENT_USER\\$key\\$fname
    (Default)    REG_SZ    $udf
    $udf    REG_SZ    $file"
	got=$(reg_query "$key\\$fname")
	if [ "$got" = "$want" ]; then
		ok "$fname: the default UDF as default value, the UDF as REG_SZ naming its file"
	else
		not_ok "$fname: got
$got
want
$want"
	fi
	unix="$TMP/root/CryptoMesh/$fname/$udf.json"
	check "$fname: the data file the value names holds the profile" \
		test "$(cat "$unix" 2>/dev/null)" = "$text"
	mode=$(stat -c %a "$unix" 2>/dev/null)
	check "$fname: the data file is not open to others (Unix mode $mode under Wine)" \
		test -n "$mode" -a "${mode#??}" = 0
	check "$fname: nothing but the data file in the folder" \
		test "$(ls -A "$TMP/root/CryptoMesh/$fname")" = "$udf.json"
done

for folder in ApplicationProfiles Keys Escrow Outbox; do
	listed=$(reg_query "$key\\$folder")
	if [ -z "$listed" ]; then
		ok "$folder: the key exists and is empty"
	else
		not_ok "$folder: the key exists and is empty: reg query lists '$listed'"
	fi
	check "$folder: ... it exists" reg_exists "$key\\$folder"
done
check "the user's own SOFTWARE\\CryptoMesh was not touched" \
	sh -c "! $EMU reg query 'HKCU\\SOFTWARE\\CryptoMesh' >/dev/null 2>&1"

# The test root's keys go with it.
if $EMU "$TOOL" cleanup root >cleanup.out 2>&1; then
	ok "cleanup ran"
else
	not_ok "cleanup failed: $(cat cleanup.out)"
fi
check "cleanup removed $key" sh -c "! $EMU reg query 'HKCU\\$key' >/dev/null 2>&1"
finish
