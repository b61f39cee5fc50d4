/* SPDX-License-Identifier: MIT */
/*
 * The Mesh model's readers on raw bytes: every signed profile parser and verifier (device,
 * master, personal, application), the escrow entry reader, the connection request and result
 * readers, the private JSON of application profiles, typed witnesses, and the display-text check
 * and escape (core/text). Seeds:
 * tests/fuzz/corpus/profile/ (written by tests/integration/profile-tool).
 */
#include "application.h"
#include "connect.h"
#include "escrow.h"
#include "fuzz.h"
#include "json.h"
#include "master.h"
#include "personal.h"
#include "device-profile.h"
#include "ssh-device-key.h"
#include "sshkey.h"
#include "text.h"

/* A fixed master profile for the readers that check signers against one. */
static MeshMasterProfile *
fixed_master(void)
{
	static MeshMasterProfile *master;

	if (master == NULL) {
		MeshKey *escrow = mesh_fuzz_key(MESH_KEY_X25519);
		MeshKey *online = mesh_fuzz_key(MESH_KEY_P256);

		master = mesh_master_profile_new(mesh_fuzz_key(MESH_KEY_ED25519), &escrow, 1,
						 &online, 1, NULL);
		if (master == NULL)
			__builtin_trap();
	}
	return master;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	g_autoptr(MeshDeviceProfile) device = mesh_device_profile_parse(text, size, NULL);
	g_autoptr(MeshMasterProfile) master = mesh_master_profile_parse(text, size, NULL);
	g_autoptr(MeshPersonalProfile) personal = mesh_personal_profile_parse(text, size, NULL);
	g_autoptr(MeshApplicationProfile) app =
		mesh_application_profile_parse(text, size, fixed_master(), NULL);
	g_autoptr(MeshEscrowEntry) entry = mesh_escrow_entry_parse(text, size, NULL);
	g_autoptr(MeshConnectionRequest) request = mesh_connection_request_parse(text, size, NULL);
	g_autoptr(MeshConnectionResult) result = mesh_connection_result_parse(text, size,
									      fixed_master(), NULL);
	/* A device's SSH key entry: read without a signature check (as the fold does to find its
	 * signer), and checked against the harness's fixed keys (the seeds are signed by them). */
	g_autofree char *kid = NULL;
	g_autoptr(JsonNode) ssh_node = mesh_json_parse(text, size, MESH_SSH_DEVICE_KEY_MAX, NULL);
	g_autoptr(MeshSshDeviceKey) ssh_open =
		ssh_node != NULL ? mesh_ssh_device_key_open(ssh_node, &kid, NULL) : NULL;
	g_autoptr(MeshSshDeviceKey) ssh_ed =
		mesh_ssh_device_key_parse(text, size, mesh_fuzz_key(MESH_KEY_ED25519), NULL);
	g_autoptr(MeshSshDeviceKey) ssh_p256 =
		mesh_ssh_device_key_parse(text, size, mesh_fuzz_key(MESH_KEY_P256), NULL);
	g_autoptr(MeshSecret) plaintext = mesh_secret_new_from_data(data, size);
	g_autoptr(MeshPasswordSet) passwords = mesh_password_set_parse(plaintext, NULL);
	g_autofree char *prefix = mesh_fuzz_strndup(data, size);
	const char *const witnesses[] = { "FWRX-36U7-HBEV-L5BV-BQ6F-5KUT-Y6CK" };
	gsize index = 0;

	for (int type = MESH_APPLICATION_PASSWORD; type <= MESH_APPLICATION_GENERIC; type++)
		(void)mesh_application_check_private(type, plaintext, NULL);
	(void)mesh_connect_witness_find(witnesses, 1, prefix, &index, NULL);
	(void)mesh_text_check_display("text", prefix, MESH_PROFILE_TEXT_MAX,
				      MESH_TEXT_DESCRIPTION_MAX, NULL);
	g_free(mesh_text_escape(prefix));
	(void)mesh_personal_check_account(prefix, NULL);
	{
		g_autoptr(MeshKey) line_key = mesh_ssh_public_line_decode(prefix, NULL);

		(void)line_key;
	}
	if (entry != NULL) {
		/* Shares that parse but belong to no escrow here. */
		const char *const shares[] = { "SAYC-UW4N-56UI-VTTZ-62UN-J6FP-ETD3-O",
					       "SAY6-OXXE-SUNL-KUMX-3ZG6-TRDW-UDAK-Y" };
		g_autoptr(MeshEscrowedKeys) keys = mesh_escrow_recover(entry, shares, 2, NULL);

		if (keys != NULL)
			__builtin_trap();
	}
	/* What a reader returns keeps the invariants it checked. */
	if ((device != NULL &&
	     !g_str_equal(device->identifier, mesh_key_udf(device->signature_key))) ||
	    (master != NULL &&
	     !g_str_equal(master->identifier, mesh_key_udf(master->signature_key))) ||
	    (personal != NULL && !g_str_equal(personal->identifier, personal->master->identifier)) ||
	    (request != NULL && request->device == NULL) ||
	    (passwords != NULL && passwords->entries == NULL) ||
	    (ssh_ed != NULL && !g_str_equal(ssh_ed->device_udf,
					    mesh_key_udf(mesh_fuzz_key(MESH_KEY_ED25519)))) ||
	    (ssh_p256 != NULL && !g_str_equal(ssh_p256->device_udf,
					      mesh_key_udf(mesh_fuzz_key(MESH_KEY_P256)))) ||
	    (ssh_open != NULL && ssh_open->public_key == NULL))
		__builtin_trap();
	/* Forging the fixed master's administration key would be a finding. */
	if (result != NULL || app != NULL)
		__builtin_trap();
	return 0;
}
