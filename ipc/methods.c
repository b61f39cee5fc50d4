/* SPDX-License-Identifier: MIT */
/*
 * The one table of the agent's methods (docs/protocol.md "Agent methods (§9)"): each with its
 * handler, the members its Params may have, and how ipc/dispatch.c runs it (ipc/methods.h).
 * Hello lists them in this order.
 */
#include "methods.h"

#define P(...)     ((const char *const[]){__VA_ARGS__, NULL})
#define NO_PARAMS  ((const char *const[]){NULL})
#define REMOTE     MESH_METHOD_REMOTE
#define RESTRICTED MESH_METHOD_RESTRICTED
#define MAKES_KEYS MESH_METHOD_MAKES_KEYS
#define GATED      MESH_METHOD_GATED
#define READS_ONLY MESH_METHOD_READS_ONLY
#define USES_KEY   MESH_METHOD_USES_KEY
#define SECRET     MESH_METHOD_READS_SECRET
#define CHANGES    MESH_METHOD_CHANGES
#define AGENT(name, handler, params, flags)                                                        \
	{                                                                                          \
		name, handler, NULL, params, flags                                                 \
	}
#define SESSION(name, handler, params, flags)                                                      \
	{                                                                                          \
		name, NULL, handler, params, flags                                                 \
	}

static const MeshAgentMethod methods[] = {
        /* The agent's own methods (ipc/methods-agent.c). */
        AGENT("Hello", mesh_method_hello, NO_PARAMS, 0),
        AGENT("Status", mesh_method_status, NO_PARAMS, 0),
        AGENT("DeviceCreate", mesh_method_device_create, P("Description", "Passphrase", "KeyStore"),
              RESTRICTED | CHANGES),
        AGENT("DeviceGet", mesh_method_device_get, P("Identifier"), 0),
        AGENT("DeviceList", mesh_method_device_list, NO_PARAMS, 0),
        AGENT("KeyList", mesh_method_key_list, NO_PARAMS, 0),
        AGENT("KeyPublic", mesh_method_key_public, P("UDF"), 0),
        AGENT("KeySign", mesh_method_key_sign, P("UDF", "Data"), USES_KEY),
        AGENT("KeyGenerate", mesh_method_key_generate,
              P("Use", "Algorithm", "KeyStore", "Passphrase"), RESTRICTED | CHANGES),
        AGENT("KeyImport", mesh_method_key_import,
              P("Key", "Use", "KeyStore", "FilePassphrase", "Passphrase"), RESTRICTED | CHANGES),
        AGENT("KeyMove", mesh_method_key_move, P("UDF", "To", "Passphrase"), RESTRICTED | CHANGES),
        AGENT("KeyRemove", mesh_method_key_remove, P("UDF"), RESTRICTED | CHANGES),
        AGENT("HiveSetKeyStore", mesh_method_hive_set_keystore, P("Store"), RESTRICTED | CHANGES),
        AGENT("HiveMigrate", mesh_method_hive_migrate, P("From", "To", "Force"),
              RESTRICTED | CHANGES),
        AGENT("Lock", mesh_method_lock, NO_PARAMS, CHANGES),
        AGENT("Unlock", mesh_method_unlock, P("Passphrase", "Lifetime"), GATED | CHANGES),
        AGENT("Shutdown", mesh_method_shutdown, NO_PARAMS, RESTRICTED),
        /* Which program may use which key, and the audit log (ipc/methods-policy.c). */
        AGENT("PolicyList", mesh_method_policy_list, NO_PARAMS, 0),
        AGENT("PolicySet", mesh_method_policy_set,
              P("Program", "SHA256", "Key", "App", "Ssh", "Decision", "Expires", "Passphrase"),
              RESTRICTED | CHANGES),
        AGENT("PolicyDefault", mesh_method_policy_default, P("Decision", "Passphrase"),
              RESTRICTED | CHANGES),
        AGENT("PolicyReset", mesh_method_policy_reset, P("Program", "Passphrase"),
              RESTRICTED | CHANGES),
        AGENT("ApproveList", mesh_method_approve_list, NO_PARAMS, 0),
        AGENT("Approve", mesh_method_approve, P("Id", "Always", "Passphrase"),
              RESTRICTED | CHANGES),
        AGENT("Deny", mesh_method_deny, P("Id"), RESTRICTED | CHANGES),
        AGENT("AuditList", mesh_method_audit_list, P("Since", "Key", "Program", "Limit"), 0),
        AGENT("AuditVerify", mesh_method_audit_verify, NO_PARAMS, 0),
        /* The session methods (ipc/methods-session.c): every one builds a MeshSession; a restricted
         * agent (the fuzzer's) runs none of them. */
        SESSION("AccountValidate", mesh_method_account_validate, P("Account", "Portal", "PortalCA"),
                REMOTE | RESTRICTED),
        SESSION("AccountDefault", mesh_method_account_default, P("Account"), RESTRICTED | CHANGES),
        SESSION("ProfileCreate", mesh_method_profile_create,
                P("Account", "Portal", "PortalCA", "KeyStore", "Passphrase"),
                REMOTE | RESTRICTED | MAKES_KEYS | CHANGES),
        SESSION("ProfileGet", mesh_method_profile_get, P("Account"), RESTRICTED),
        SESSION("ProfileList", mesh_method_profile_list, NO_PARAMS, RESTRICTED),
        SESSION("ProfileSync", mesh_method_profile_sync, P("Account", "Portal", "PortalCA"),
                REMOTE | RESTRICTED | CHANGES),
        SESSION("ProfileStatus", mesh_method_profile_status, P("Account"), RESTRICTED),
        SESSION("ProfileSetPortal", mesh_method_profile_set_portal,
                P("Account", "Portal", "PortalCA"), REMOTE | RESTRICTED | CHANGES),
        SESSION("ProfileDelete", mesh_method_profile_delete, P("Account", "Force"),
                RESTRICTED | CHANGES),
        SESSION("EscrowCreate", mesh_method_escrow_create,
                P("Account", "Quorum", "Shares", "Portal", "PortalCA"),
                REMOTE | RESTRICTED | CHANGES),
        SESSION("EscrowVerify", mesh_method_escrow_verify,
                P("Account", "Shares", "Portal", "PortalCA"), REMOTE | RESTRICTED),
        SESSION("EscrowRevoke", mesh_method_escrow_revoke,
                P("Account", "Identifier", "Portal", "PortalCA"), REMOTE | RESTRICTED | CHANGES),
        SESSION("ProfileRecover", mesh_method_profile_recover,
                P("Account", "Shares", "Portal", "PortalCA", "KeyStore", "Passphrase"),
                REMOTE | RESTRICTED | MAKES_KEYS | CHANGES),
        SESSION("ConnectRequest", mesh_method_connect_request,
                P("Account", "Portal", "PortalCA", "KeyStore", "Passphrase", "Pin", "Description"),
                REMOTE | RESTRICTED | MAKES_KEYS | CHANGES),
        SESSION("ConnectStatus", mesh_method_connect_status, P("Account", "Portal", "PortalCA"),
                REMOTE | RESTRICTED),
        SESSION("ConnectPending", mesh_method_connect_pending, P("Account", "Portal", "PortalCA"),
                REMOTE | RESTRICTED),
        SESSION("ConnectAccept", mesh_method_connect_accept,
                P("Account", "Witness", "Portal", "PortalCA"), REMOTE | RESTRICTED | CHANGES),
        SESSION("ConnectReject", mesh_method_connect_reject,
                P("Account", "Witness", "Portal", "PortalCA"), REMOTE | RESTRICTED | CHANGES),
        /* PINs are made, listed and revoked here: no portal. */
        SESSION("ConnectPin", mesh_method_connect_pin, P("Account", "Expire", "Admin"),
                RESTRICTED | CHANGES),
        SESSION("ConnectPinList", mesh_method_connect_pin_list, P("Account"), RESTRICTED),
        SESSION("ConnectPinRevoke", mesh_method_connect_pin_revoke, P("Account", "PinId"),
                RESTRICTED | CHANGES),
        SESSION("AppList", mesh_method_app_list, P("Account"), RESTRICTED | READS_ONLY),
        SESSION("AppAdd", mesh_method_app_add, P("Account", "Type", "Name", "Portal", "PortalCA"),
                REMOTE | RESTRICTED | CHANGES),
        SESSION("AppSet", mesh_method_app_set, P("Account", "Name", "Data", "Portal", "PortalCA"),
                REMOTE | RESTRICTED | CHANGES),
        SESSION("AppGet", mesh_method_app_get, P("Account", "Name"),
                RESTRICTED | READS_ONLY | SECRET),
        SESSION("AppDelete", mesh_method_app_delete, P("Account", "Name", "Portal", "PortalCA"),
                REMOTE | RESTRICTED | CHANGES),
        SESSION("PasswordAdd", mesh_method_password_add,
                P("Account", "Site", "Username", "Password", "Portal", "PortalCA"),
                REMOTE | RESTRICTED | CHANGES),
        SESSION("PasswordSet", mesh_method_password_set,
                P("Account", "Site", "Username", "Password", "Portal", "PortalCA"),
                REMOTE | RESTRICTED | CHANGES),
        SESSION("PasswordGet", mesh_method_password_get, P("Account", "Site", "Username"),
                RESTRICTED | READS_ONLY | SECRET),
        SESSION("PasswordList", mesh_method_password_list, P("Account"), RESTRICTED | READS_ONLY),
        SESSION("PasswordDelete", mesh_method_password_delete,
                P("Account", "Site", "Username", "Portal", "PortalCA"),
                REMOTE | RESTRICTED | CHANGES),
        SESSION("SshCreate", mesh_method_ssh_create,
                P("Account", "KeyStore", "Passphrase", "Portal", "PortalCA"),
                REMOTE | RESTRICTED | MAKES_KEYS | CHANGES),
        SESSION("SshAuthorizedKeys", mesh_method_ssh_authorized_keys, P("Account"), RESTRICTED),
        /* The devices of a profile (ipc/methods-devices.c). */
        SESSION("ProfileDevices", mesh_method_device_profile_list, P("Account"), RESTRICTED),
        SESSION("DeviceRename", mesh_method_device_rename,
                P("Account", "Device", "Description", "Portal", "PortalCA"),
                REMOTE | RESTRICTED | CHANGES),
        SESSION("DevicePromote", mesh_method_device_promote,
                P("Account", "Device", "Portal", "PortalCA"), REMOTE | RESTRICTED | CHANGES),
        SESSION("DeviceDemote", mesh_method_device_demote,
                P("Account", "Device", "Portal", "PortalCA"), REMOTE | RESTRICTED | CHANGES),
        SESSION("DeviceRemove", mesh_method_device_remove,
                P("Account", "Device", "Portal", "PortalCA"), REMOTE | RESTRICTED | CHANGES),
        SESSION("SshRotate", mesh_method_ssh_rotate, P("Account", "Portal", "PortalCA"),
                REMOTE | RESTRICTED | MAKES_KEYS | CHANGES),
};

const MeshAgentMethod *
mesh_agent_method_find(const char *name)
{
	for (gsize i = 0; i < G_N_ELEMENTS(methods); i++) {
		if (g_str_equal(methods[i].name, name))
			return &methods[i];
	}
	return NULL;
}

const MeshAgentMethod *
mesh_agent_method_at(gsize i)
{
	return i < G_N_ELEMENTS(methods) ? &methods[i] : NULL;
}
