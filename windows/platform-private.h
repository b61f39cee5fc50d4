/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * What windows/ shares among its files and nobody else sees (windows/win-util.c): text between
 * the UTF-8 of the rest of the tree and the UTF-16 of the W functions, errors from GetLastError,
 * this user's SID, and the owner-only security descriptor that every folder, file, registry key,
 * pipe and mutex of the agent is created with.
 */

#include <glib.h>

#include <windows.h>
#include <aclapi.h>

G_BEGIN_DECLS

/* mesh_win_wide: @utf8 as UTF-16 (g_free), or NULL with MESH_ERROR_INVALID_ARGUMENT when it is
 * not valid UTF-8. */
wchar_t *mesh_win_wide(const char *utf8, GError **error);

/* mesh_win_utf8: @wide as UTF-8 (g_free); ill-formed UTF-16 (a lone surrogate) gives NULL. */
char *mesh_win_utf8(const wchar_t *wide);

/* mesh_win_reason: the system's text for @err (a GetLastError or LSTATUS code), one line, no
 * trailing dot or newline (g_free). */
char *mesh_win_reason(DWORD err);

/* mesh_win_error_code: the MeshError for a Win32 error: NOT_FOUND for the file/path/key missing
 * codes, PERMISSION for access denied, EXISTS for already-exists, else @fallback. */
int mesh_win_error_code(DWORD err, int fallback);

/* mesh_win_set_error: set @error to the MeshError of @err (mesh_win_error_code with
 * @fallback) with the message "<printf(@format, ...)>: <reason>". */
void mesh_win_set_error(GError **error, DWORD err, int fallback, const char *format, ...)
	G_GNUC_PRINTF(4, 5);

/*
 * mesh_win_user_sid: the SID of this process's token user, read once and kept for the life of
 * the process (never freed). NULL only when the token cannot be read, which leaves nothing safe
 * to do: callers fail with MESH_ERROR_PERMISSION.
 */
PSID mesh_win_user_sid(void);

/* mesh_win_user_sid_string: mesh_win_user_sid as text ("S-1-5-21-..."), kept likewise. */
const char *mesh_win_user_sid_string(void);

/* mesh_win_token_user: the user of @token (g_free), or NULL with the reason in *@ret_err. */
TOKEN_USER *mesh_win_token_user(HANDLE token, DWORD *ret_err);

/* mesh_win_sid_text: @sid as text ("S-1-5-21-...", g_free), or NULL when it cannot be had. */
char *mesh_win_sid_text(PSID sid);

/*
 * MeshWinPrivate: a security descriptor with this user as owner and a protected DACL of one
 * ACE granting this user full access (@rights: GENERIC_ALL, or FILE_ALL_ACCESS, KEY_ALL_ACCESS
 * ...), inherited by what is made inside when @inherit; and SECURITY_ATTRIBUTES pointing at
 * it, with handles not inherited. mesh_win_private_init fills @p (FALSE with
 * MESH_ERROR_PERMISSION when the SID cannot be had); mesh_win_private_clear frees it.
 */
typedef struct {
	SECURITY_ATTRIBUTES sa;
	PSECURITY_DESCRIPTOR sd;
	PACL dacl;
} MeshWinPrivate;

gboolean mesh_win_private_init(MeshWinPrivate *p, DWORD rights, gboolean inherit,
			       GError **error);
void mesh_win_private_clear(MeshWinPrivate *p);

/*
 * mesh_win_check_owner_only: whether the object @handle (@type: SE_FILE_OBJECT,
 * SE_KERNEL_OBJECT for a pipe, SE_REGISTRY_KEY) belongs to this user and grants nobody else
 * anything: its owner is our SID (for a file or registry key, also the system itself:
 * LocalSystem, or the Administrators group, which can take any object anyway and own what an
 * elevated process makes), and every ACE that allows something names our SID or the system. @what names it in the message. Errors: MESH_ERROR_PERMISSION saying who owns
 * it or who else it lets in and what to do.
 */
gboolean mesh_win_check_owner_only(HANDLE handle, SE_OBJECT_TYPE type, const char *what, GError **error);

/* mesh_win_write_all: WriteFile all of @data to @h, in pieces a DWORD can count (one call for
 * anything below 1 GiB); FALSE with GetLastError() set when it cannot. */
gboolean mesh_win_write_all(HANDLE h, const guint8 *data, gsize len);

G_END_DECLS
