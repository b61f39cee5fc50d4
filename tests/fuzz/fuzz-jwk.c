/* SPDX-License-Identifier: MIT */
/* JWK import (public and private) and the {"UDF", "PublicParameters"} key object. Whatever
 * imports must export and re-import to the same key with the same UDF. */
#include "fuzz.h"
#include "json.h"
#include "jwk.h"
#include "key.h"
#include "secret.h"

#include <string.h>

static void
check_round_trip(MeshKey *key)
{
	g_autoptr(JsonNode) jwk = mesh_key_to_jwk(key);
	g_autoptr(MeshKey) again = mesh_key_from_jwk(json_node_get_object(jwk), NULL);

	if (again == NULL || !mesh_key_equal_public(key, again) ||
	    strcmp(mesh_key_udf(key), mesh_key_udf(again)) != 0)
		__builtin_trap();
	if (mesh_key_is_private(key)) {
		g_autoptr(MeshSecret) priv = mesh_key_to_jwk_private(key, NULL);
		g_autoptr(MeshKey) back = NULL;

		if (priv == NULL)
			__builtin_trap();
		back = mesh_key_from_jwk_text((const char *)mesh_secret_get(priv),
					      strlen((const char *)mesh_secret_get(priv)), NULL);
		if (back == NULL || !mesh_key_is_private(back) ||
		    !mesh_key_equal_public(key, back))
			__builtin_trap();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(MeshKey) key = mesh_key_from_jwk_text((const char *)data, size, NULL);
	g_autoptr(JsonNode) root = NULL;

	if (key != NULL)
		check_round_trip(key);
	root = mesh_json_parse((const char *)data, size, 65536, NULL);
	if (root != NULL && JSON_NODE_HOLDS_OBJECT(root)) {
		g_autoptr(MeshKey) pub = mesh_key_from_public_object(json_node_get_object(root), NULL);

		if (pub != NULL)
			check_round_trip(pub);
	}
	return 0;
}
