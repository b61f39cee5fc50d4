/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* MeshError and its codes are in the installed header <mesh/error.h>. */
#include <mesh/error.h>

#define MESH_ERROR (mesh_error_quark())
GQuark mesh_error_quark(void);

/*
 * mesh_error_name: the stable PascalCase name of a code ("NotFound"), as used on the wire.
 * Returns a static string; "Unknown" for a value that is not a MeshError.
 */
const char *mesh_error_name(int code);

/* mesh_error_str: a short English description of a code. Returns a static string. */
const char *mesh_error_str(int code);

/*
 * mesh_error_from_name: the code whose name is @name, or -1 when @name names none.
 */
int mesh_error_from_name(const char *name);

/*
 * mesh_error_code: the MeshError carried by @error: its code when it is in the MESH_ERROR
 * domain, MESH_ERROR_FAILED for any other domain, MESH_ERROR_OK for NULL.
 */
MeshError mesh_error_code(const GError *error);

/*
 * mesh_error_quote: @untrusted made safe for an error message: at most 32 characters, control
 * and non-ASCII bytes escaped, "..." when cut. For names and values from outside (a JWK "kty",
 * a JSON member name); never pass secret text. Returns a new string.
 */
char *mesh_error_quote(const char *untrusted);

/*
 * mesh_error_member: for the readers of JSON objects (json.h, marker.h): MESH_ERROR_MALFORMED
 * "missing member \"@name\"" when @want is NULL, else "member \"@name\" must be @want" (@name
 * is the reader's own, never text from outside). Returns FALSE.
 */
gboolean mesh_error_member(GError **error, const char *name, const char *want);

G_END_DECLS
