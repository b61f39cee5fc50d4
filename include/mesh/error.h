/* SPDX-License-Identifier: MIT */
#ifndef MESH_ERROR_CODES_H
#define MESH_ERROR_CODES_H

/* Installed header: plain C, no GLib, usable from any program that talks to the agent. */

/*
 * MeshError: one code for every failure, identical on the agent wire, in the C API and as the
 * exit status of the command-line tools. The values are explicit and must never be renumbered
 * or reused; add new codes at the end.
 */
typedef enum {
	MESH_ERROR_OK = 0,                /* Ok: success */
	MESH_ERROR_FAILED = 1,            /* Failed: internal error, no better code */
	MESH_ERROR_USAGE = 2,             /* Usage: bad command-line usage */
	MESH_ERROR_INVALID_ARGUMENT = 3,  /* InvalidArgument: a parameter is out of range */
	MESH_ERROR_MALFORMED = 4,         /* Malformed: input bytes do not parse */
	MESH_ERROR_UNSUPPORTED = 5,       /* Unsupported: algorithm, type or feature not supported */
	MESH_ERROR_CRYPTO = 6,            /* Crypto: the cryptographic library failed */
	MESH_ERROR_BAD_SIGNATURE = 7,     /* BadSignature: a signature or MAC does not verify */
	MESH_ERROR_DECRYPT = 8,           /* DecryptFailed: no key opens it, or it was tampered with */
	MESH_ERROR_TOO_LARGE = 9,         /* TooLarge: input exceeds a size limit */
	MESH_ERROR_IO = 10,               /* Io: reading or writing a file or socket failed */
	MESH_ERROR_PERMISSION = 11,       /* Permission: unsafe ownership/mode, or access denied */
	MESH_ERROR_NOT_FOUND = 12,        /* NotFound */
	MESH_ERROR_EXISTS = 13,           /* Exists: already exists */
	MESH_ERROR_LOCKED = 14,           /* Locked: the agent or key store is locked */
	MESH_ERROR_SHARE_QUORUM = 15,     /* ShareQuorum: fewer shares than the quorum */
	MESH_ERROR_SHARE_MISMATCH = 16,   /* ShareMismatch: shares from different splits/quorums */
	MESH_ERROR_SHARE_DUPLICATE = 17,  /* ShareDuplicate: the same share index twice */
	MESH_ERROR_SHARE_CORRUPT = 18,    /* ShareCorrupt: not a valid share */
	MESH_ERROR_EXPIRED = 19,          /* Expired */
	MESH_ERROR_REJECTED = 20,         /* Rejected */
	MESH_ERROR_STALE = 21,            /* Stale: serial not above the one held (rollback) */
	MESH_ERROR_UNAUTHORIZED = 22,     /* Unauthorized: request authentication failed */
	MESH_ERROR_RATE_LIMITED = 23,     /* RateLimited: too many requests */
	MESH_ERROR_WITNESS_MISMATCH = 24, /* WitnessMismatch: connection witness differs */
	MESH_ERROR_NETWORK = 25,          /* Network: the portal could not be reached */
	MESH_ERROR_AGENT_UNAVAILABLE = 26, /* AgentUnavailable: no agent answers */
	MESH_ERROR_PROTOCOL = 27,         /* Protocol: the peer broke the protocol */
	MESH_ERROR_CANCELLED = 28,        /* Cancelled: the user cancelled */
	MESH_ERROR_BAD_PASSPHRASE = 29,   /* BadPassphrase: wrong passphrase or PIN */
	MESH_ERROR_LOCKOUT = 30,          /* Lockout: too many wrong PINs; the device is locked out */
	MESH_ERROR_TIMEOUT = 31,          /* Timeout */
	MESH_ERROR_REMOVED = 32,          /* Removed: this device was removed from the profile */
	MESH_ERROR_DENIED = 33,           /* Denied: the policy or the user refused this program */
	MESH_ERROR_TAMPERED = 34,         /* Tampered: a record was changed, removed, reordered or cut */
} MeshError;

/* One past the largest assigned code. */
#define MESH_ERROR_N_CODES 35

#endif /* MESH_ERROR_CODES_H */
