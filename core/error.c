/* SPDX-License-Identifier: MIT */
#include "error.h"

#include <string.h>

G_DEFINE_QUARK(mesh-error-quark, mesh_error)

static const struct {
	const char *name;
	const char *str;
} codes[MESH_ERROR_N_CODES] = {
	[MESH_ERROR_OK] = { "Ok", "success" },
	[MESH_ERROR_FAILED] = { "Failed", "internal error" },
	[MESH_ERROR_USAGE] = { "Usage", "bad command-line usage" },
	[MESH_ERROR_INVALID_ARGUMENT] = { "InvalidArgument", "invalid argument" },
	[MESH_ERROR_MALFORMED] = { "Malformed", "malformed input" },
	[MESH_ERROR_UNSUPPORTED] = { "Unsupported", "not supported" },
	[MESH_ERROR_CRYPTO] = { "Crypto", "cryptographic operation failed" },
	[MESH_ERROR_BAD_SIGNATURE] = { "BadSignature", "signature does not verify" },
	[MESH_ERROR_DECRYPT] = { "DecryptFailed", "decryption failed" },
	[MESH_ERROR_TOO_LARGE] = { "TooLarge", "input too large" },
	[MESH_ERROR_IO] = { "Io", "input/output error" },
	[MESH_ERROR_PERMISSION] = { "Permission", "permission denied" },
	[MESH_ERROR_NOT_FOUND] = { "NotFound", "not found" },
	[MESH_ERROR_EXISTS] = { "Exists", "already exists" },
	[MESH_ERROR_LOCKED] = { "Locked", "locked" },
	[MESH_ERROR_SHARE_QUORUM] = { "ShareQuorum", "not enough shares" },
	[MESH_ERROR_SHARE_MISMATCH] = { "ShareMismatch", "shares do not belong together" },
	[MESH_ERROR_SHARE_DUPLICATE] = { "ShareDuplicate", "duplicate share" },
	[MESH_ERROR_SHARE_CORRUPT] = { "ShareCorrupt", "corrupt share" },
	[MESH_ERROR_EXPIRED] = { "Expired", "expired" },
	[MESH_ERROR_REJECTED] = { "Rejected", "rejected" },
	[MESH_ERROR_STALE] = { "Stale", "stale serial" },
	[MESH_ERROR_UNAUTHORIZED] = { "Unauthorized", "not authorised" },
	[MESH_ERROR_RATE_LIMITED] = { "RateLimited", "too many requests" },
	[MESH_ERROR_WITNESS_MISMATCH] = { "WitnessMismatch", "connection witness mismatch" },
	[MESH_ERROR_NETWORK] = { "Network", "network error" },
	[MESH_ERROR_AGENT_UNAVAILABLE] = { "AgentUnavailable", "agent unavailable" },
	[MESH_ERROR_PROTOCOL] = { "Protocol", "protocol error" },
	[MESH_ERROR_CANCELLED] = { "Cancelled", "cancelled" },
	[MESH_ERROR_BAD_PASSPHRASE] = { "BadPassphrase", "wrong passphrase or PIN" },
	[MESH_ERROR_LOCKOUT] = { "Lockout", "locked out after too many wrong PINs" },
	[MESH_ERROR_TIMEOUT] = { "Timeout", "timed out" },
	[MESH_ERROR_REMOVED] = { "Removed", "this device was removed from the profile" },
	[MESH_ERROR_DENIED] = { "Denied", "the policy or the user refused this program the use" },
	[MESH_ERROR_TAMPERED] = { "Tampered",
	                          "a record was changed, removed, reordered or cut" },
};

const char *
mesh_error_name(int code)
{
	if (code < 0 || code >= MESH_ERROR_N_CODES || codes[code].name == NULL)
		return "Unknown";
	return codes[code].name;
}

const char *
mesh_error_str(int code)
{
	if (code < 0 || code >= MESH_ERROR_N_CODES || codes[code].str == NULL)
		return "unknown error";
	return codes[code].str;
}

int
mesh_error_from_name(const char *name)
{
	if (name == NULL)
		return -1;
	for (int i = 0; i < MESH_ERROR_N_CODES; i++) {
		if (codes[i].name != NULL && g_str_equal(codes[i].name, name))
			return i;
	}
	return -1;
}

char *
mesh_error_quote(const char *untrusted)
{
	enum { QUOTE_MAX = 32 };
	g_autofree char *cut = NULL;
	g_autofree char *escaped = NULL;
	gsize n;

	if (untrusted == NULL)
		return g_strdup("(none)");
	n = strnlen(untrusted, QUOTE_MAX + 1);
	cut = g_strndup(untrusted, MIN(n, QUOTE_MAX));
	escaped = g_strescape(cut, NULL);
	return n > QUOTE_MAX ? g_strconcat(escaped, "...", NULL) : g_steal_pointer(&escaped);
}

MeshError
mesh_error_code(const GError *error)
{
	if (error == NULL)
		return MESH_ERROR_OK;
	if (error->domain != MESH_ERROR || error->code <= 0 || error->code >= MESH_ERROR_N_CODES)
		return MESH_ERROR_FAILED;
	return (MeshError)error->code;
}

gboolean
mesh_error_member(GError **error, const char *name, const char *want)
{
	if (want == NULL)
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "missing member \"%s\"", name);
	else
		g_set_error(error, MESH_ERROR, MESH_ERROR_MALFORMED, "member \"%s\" must be %s",
			    name, want);
	return FALSE;
}
