/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Inside libmeshclient (the files of client/): the connection, how a request is made and how
 * an answer is read. None of this is exported: the library's ABI is the mesh_client_* functions of
 * <mesh/client.h> alone (client/CMakeLists.txt).
 */
#include <mesh/client.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "transport.h"

G_BEGIN_DECLS

struct MeshClient {
	/* NULL once the connection broke: the stream can no longer be trusted */
	MeshTransportConnection *conn;
	char *path; /* the agent's socket */
	gint64 next_id;
	char *last_error;
	/* the last call's change was queued by the agent: the portal it could not reach ("" when
	 * it did not say); NULL otherwise (mesh_client_last_queued) */
	char *last_queued;
	char *portal;    /* mesh_client_set_portal: "Portal" of the session methods that take it */
	char *portal_ca; /* "PortalCA" */
	char *keystore;  /* mesh_client_set_keystore: "KeyStore" of the methods that make keys */
	/* mesh_client_set_passphrase: "Passphrase" of the session methods that make keys; wiped */
	char *passphrase;
};

/* ---- Requests (client/connection.c) -------------------------------------------------------- */

/* One member of a request's Params: a string (@text), an integer or a boolean (@number), or
 * JSON text made by client_string_array() (@text). */
typedef struct {
	const char *name; /* NULL: left out */
	char type;        /* 's', 'i', 'b', 'j' */
	const char *text; /* 'j': JSON text, put in as it is */
	gint64 number;
} Member;

/* The "KeyStore" member of a request that makes keys (left out when not set). */
#define KEYSTORE(c)                                                                                \
	{                                                                                          \
		(c) != NULL && (c)->keystore != NULL ? "KeyStore" : NULL, 's',                     \
		        (c) != NULL ? (c)->keystore : NULL, 0                                      \
	}
/* The "Passphrase" member of a session method that makes keys (left out when not set). */
#define PASSPHRASE(c)                                                                              \
	{                                                                                          \
		(c) != NULL && (c)->passphrase != NULL ? "Passphrase" : NULL, 's',                 \
		        (c) != NULL ? (c)->passphrase : NULL, 0                                    \
	}
/* The portal members of a session request (left out when not set): every method that reaches
 * the portal takes both; for an account the agent holds, Portal must be the one it uses. */
#define PORTAL_URL(c)                                                                              \
	{                                                                                          \
		(c) != NULL && (c)->portal != NULL ? "Portal" : NULL, 's',                         \
		        (c) != NULL ? (c)->portal : NULL, 0                                        \
	}
#define PORTAL_CA(c)                                                                               \
	{                                                                                          \
		(c) != NULL && (c)->portal_ca != NULL ? "PortalCA" : NULL, 's',                    \
		        (c) != NULL ? (c)->portal_ca : NULL, 0                                     \
	}
#define ACCOUNT(a)                                                                                 \
	{                                                                                          \
		(a) != NULL ? "Account" : NULL, 's', (a), 0                                        \
	}

/* client_fail: @fmt as the connection's last error; returns @code. */
MeshError client_fail(MeshClient *client, MeshError code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* client_fail_error: the failure in @error (consumed) as the connection's last error. */
MeshError client_fail_error(MeshClient *client, GError *error);

/* client_call: call @method with the Params @members (NULL: no Params) and read the answer's
 * "Result" object into @ret_result (may be NULL); the request text is wiped. */
MeshError client_call(MeshClient *client, const char *method, const Member *members,
                      gsize n_members, JsonNode **ret_result);

/* client_string_array: @n strings as a JSON array's text (NULL when one is missing or not
 * UTF-8); the caller wipes it with client_wipe_text (shares are secrets). */
char *client_string_array(const char *const *strings, size_t n);

/* client_wipe_text: wipe and free a NUL-terminated @text; accepts NULL. */
void client_wipe_text(char *text);

/* ---- Reading results (client/marshal.c) ---------------------------------------------------- */

/* A copy of the string @member of @obj in *@ret (NULL when absent and !@required). A wrong
 * answer is a protocol failure, reported once per call through *@code: each client_take_*
 * does nothing once *@code is set. */
void client_take_string(MeshClient *client, JsonObject *obj, const char *member, gboolean required,
                        char **ret, MeshError *code);
void client_take_int(MeshClient *client, JsonObject *obj, const char *member, gint64 *ret,
                     MeshError *code);
void client_take_bool(MeshClient *client, JsonObject *obj, const char *member, int *ret,
                      MeshError *code);
JsonObject *client_take_object(MeshClient *client, JsonObject *obj, const char *member,
                               MeshError *code);
JsonArray *client_take_array(MeshClient *client, JsonObject *obj, const char *member,
                             MeshError *code);
/* The strings of the array @member of @obj (a new vector of *@ret_n strings). */
char **client_take_strings(MeshClient *client, JsonObject *obj, const char *member, size_t *ret_n,
                           MeshError *code);
/* The "Applications" array of @obj. */
MeshClientApp *client_take_apps(MeshClient *client, JsonObject *obj, size_t *ret_n,
                                MeshError *code);

/* Reads one object of a list answer into the array element at @element. */
typedef void (*ReadElement)(MeshClient *client, JsonObject *obj, gpointer element, MeshError *code);

/*
 * client_call_list_with: call @method with the Params @params (NULL: none) and read the array
 * @member of its answer, an object per element, into a new zeroed array of elements of @size
 * bytes. The array and its length are written even on failure (so the caller frees what was
 * read), except when the call itself failed. client_call_list: the same, no Params.
 */
MeshError client_call_list_with(MeshClient *client, const char *method, const Member *params,
                                gsize n_params, const char *member, gsize size, ReadElement read,
                                gpointer *ret_array, size_t *ret_n);
MeshError client_call_list(MeshClient *client, const char *method, const char *member, gsize size,
                           ReadElement read, gpointer *ret_array, size_t *ret_n);

/* client_take_list: the array @member of the answer @obj read as client_call_list_with does
 * (a new zeroed array of *@ret_n elements, returned even when *@code says it failed). */
gpointer client_take_list(MeshClient *client, JsonObject *obj, const char *member, gsize size,
                          ReadElement read, size_t *ret_n, MeshError *code);

/* Elements of list answers read in more than one place. */
void client_read_login(MeshClient *client, JsonObject *obj, gpointer element, MeshError *code);
void client_read_profile_device(MeshClient *client, JsonObject *obj, gpointer element,
                                MeshError *code);

G_END_DECLS
