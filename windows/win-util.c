/* SPDX-License-Identifier: MIT */
#include "platform-private.h"

#include <sddl.h>
#include <string.h>

#include "error.h"

wchar_t *
mesh_win_wide(const char *utf8, GError **error)
{
	gunichar2 *wide = g_utf8_to_utf16(utf8, -1, NULL, NULL, NULL);

	G_STATIC_ASSERT(sizeof(gunichar2) == sizeof(wchar_t));
	if (wide == NULL)
		g_set_error(error, MESH_ERROR, MESH_ERROR_INVALID_ARGUMENT,
			    "a name or path that is not valid UTF-8");
	return (wchar_t *)wide;
}

char *
mesh_win_utf8(const wchar_t *wide)
{
	return g_utf16_to_utf8((const gunichar2 *)wide, -1, NULL, NULL, NULL);
}

char *
mesh_win_reason(DWORD err)
{
	wchar_t *text = NULL;
	char *utf8 = NULL;
	DWORD n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS |
					 FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_MAX_WIDTH_MASK,
				 NULL, err, 0, (LPWSTR)&text, 0, NULL);

	if (n > 0 && text != NULL)
		utf8 = mesh_win_utf8(text);
	LocalFree(text);
	if (utf8 == NULL)
		return g_strdup_printf("Windows error %lu", (unsigned long)err);
	/* One line without the trailing dot and spaces, to go after "what: ". */
	g_strstrip(utf8);
	for (gsize len = strlen(utf8); len > 0 && (utf8[len - 1] == '.' || utf8[len - 1] == ' ');
	     len--)
		utf8[len - 1] = '\0';
	if (utf8[0] != '\0')
		utf8[0] = g_ascii_tolower(utf8[0]);
	return utf8;
}

int
mesh_win_error_code(DWORD err, int fallback)
{
	switch (err) {
	case ERROR_FILE_NOT_FOUND:
	case ERROR_PATH_NOT_FOUND:
	case ERROR_INVALID_DRIVE:
	case ERROR_BAD_NETPATH:
		return MESH_ERROR_NOT_FOUND;
	case ERROR_ACCESS_DENIED:
	case ERROR_PRIVILEGE_NOT_HELD:
		return MESH_ERROR_PERMISSION;
	case ERROR_ALREADY_EXISTS:
	case ERROR_FILE_EXISTS:
		return MESH_ERROR_EXISTS;
	default:
		return fallback;
	}
}

void
mesh_win_set_error(GError **error, DWORD err, int fallback, const char *format, ...)
{
	g_autofree char *what = NULL;
	g_autofree char *reason = mesh_win_reason(err);
	va_list ap;

	va_start(ap, format);
	what = g_strdup_vprintf(format, ap);
	va_end(ap);
	g_set_error(error, MESH_ERROR, mesh_win_error_code(err, fallback), "%s: %s", what, reason);
}

TOKEN_USER *
mesh_win_token_user(HANDLE token, DWORD *ret_err)
{
	TOKEN_USER *user;
	DWORD len = 0;

	GetTokenInformation(token, TokenUser, NULL, 0, &len);
	if (len == 0) {
		*ret_err = GetLastError();
		return NULL;
	}
	user = g_malloc0(len);
	if (!GetTokenInformation(token, TokenUser, user, len, &len) ||
	    !IsValidSid(user->User.Sid)) {
		*ret_err = GetLastError();
		g_free(user);
		return NULL;
	}
	return user;
}

char *
mesh_win_sid_text(PSID sid)
{
	wchar_t *text = NULL;
	char *utf8 = NULL;

	if (sid != NULL && ConvertSidToStringSidW(sid, &text)) {
		utf8 = mesh_win_utf8(text);
		LocalFree(text);
	}
	return utf8;
}

/* The token user's SID, copied once into memory kept for the life of the process. */
static gpointer
user_sid_once(gpointer unused)
{
	HANDLE token = NULL;
	TOKEN_USER *user = NULL;
	PSID sid = NULL;
	DWORD err;

	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token))
		return NULL;
	user = mesh_win_token_user(token, &err);
	if (user != NULL) {
		DWORD sid_len = GetLengthSid(user->User.Sid);

		sid = g_malloc0(sid_len);
		if (!CopySid(sid_len, sid, user->User.Sid))
			g_clear_pointer(&sid, g_free);
		g_free(user);
	}
	CloseHandle(token);
	return sid;
}

PSID
mesh_win_user_sid(void)
{
	static GOnce once = G_ONCE_INIT;

	return g_once(&once, user_sid_once, NULL);
}

static gpointer
user_sid_string_once(gpointer unused)
{
	return mesh_win_sid_text(mesh_win_user_sid());
}

const char *
mesh_win_user_sid_string(void)
{
	static GOnce once = G_ONCE_INIT;

	return g_once(&once, user_sid_string_once, NULL);
}

gboolean
mesh_win_private_init(MeshWinPrivate *p, DWORD rights, gboolean inherit, GError **error)
{
	PSID sid = mesh_win_user_sid();
	DWORD acl_len;

	memset(p, 0, sizeof(*p));
	if (sid == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
			    "cannot read this process's user from its token: refusing to create "
			    "anything whose access cannot be limited to this user");
		return FALSE;
	}
	acl_len = sizeof(ACL) + sizeof(ACCESS_ALLOWED_ACE) - sizeof(DWORD) + GetLengthSid(sid);
	p->dacl = g_malloc0(acl_len);
	p->sd = g_malloc0(SECURITY_DESCRIPTOR_MIN_LENGTH);
	if (!InitializeAcl(p->dacl, acl_len, ACL_REVISION) ||
	    !AddAccessAllowedAceEx(p->dacl, ACL_REVISION,
				   inherit ? (OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE) : 0, rights,
				   sid) ||
	    !InitializeSecurityDescriptor(p->sd, SECURITY_DESCRIPTOR_REVISION) ||
	    !SetSecurityDescriptorOwner(p->sd, sid, FALSE) ||
	    !SetSecurityDescriptorDacl(p->sd, TRUE, p->dacl, FALSE) ||
	    !SetSecurityDescriptorControl(p->sd, SE_DACL_PROTECTED, SE_DACL_PROTECTED)) {
		mesh_win_set_error(error, GetLastError(), MESH_ERROR_FAILED,
				   "cannot build an owner-only security descriptor");
		mesh_win_private_clear(p);
		return FALSE;
	}
	p->sa.nLength = sizeof(p->sa);
	p->sa.lpSecurityDescriptor = p->sd;
	p->sa.bInheritHandle = FALSE;
	return TRUE;
}

void
mesh_win_private_clear(MeshWinPrivate *p)
{
	g_clear_pointer(&p->sd, g_free);
	g_clear_pointer(&p->dacl, g_free);
	memset(&p->sa, 0, sizeof(p->sa));
}

/* A SID as "DOMAIN\name" when it has one, else its text form (g_free). */
static char *
sid_name(PSID sid)
{
	wchar_t name[256], domain[256];
	DWORD name_len = G_N_ELEMENTS(name), domain_len = G_N_ELEMENTS(domain);
	SID_NAME_USE use;
	char *ret;

	if (LookupAccountSidW(NULL, sid, name, &name_len, domain, &domain_len, &use)) {
		g_autofree char *n = mesh_win_utf8(name);
		g_autofree char *d = mesh_win_utf8(domain);

		if (n != NULL)
			return d != NULL && d[0] != '\0' ? g_strdup_printf("%s\\%s", d, n)
							 : g_strdup(n);
	}
	ret = mesh_win_sid_text(sid);
	return ret != NULL ? ret : g_strdup("an unknown account");
}

/* Whether @sid is ours or the system's own: LocalSystem and the Administrators can take any
 * object anyway, so refusing them protects nothing (and an object an elevated process of this
 * user made is the Administrators' by default; Wine, which keeps no descriptor of a registry
 * key across restarts of its server, reports them as its owner too). */
static gboolean
sid_is_user_or_system(PSID sid)
{
	return EqualSid(sid, mesh_win_user_sid()) || IsWellKnownSid(sid, WinLocalSystemSid) ||
	       IsWellKnownSid(sid, WinBuiltinAdministratorsSid);
}

/* Whether an allowing ACE naming @sid keeps the object private: ours or the system's; CREATOR
 * OWNER only on an inherit-only entry, where it stands for whoever creates something inside. */
static gboolean
sid_may_be_granted(PSID sid, BYTE ace_flags)
{
	return sid_is_user_or_system(sid) ||
	       (IsWellKnownSid(sid, WinCreatorOwnerSid) && (ace_flags & INHERIT_ONLY_ACE) != 0);
}

gboolean
mesh_win_check_owner_only(HANDLE handle, SE_OBJECT_TYPE type, const char *what, GError **error)
{
	PSID owner = NULL;
	PACL dacl = NULL;
	PSECURITY_DESCRIPTOR sd = NULL;
	DWORD rc;
	gboolean ok = FALSE;

	if (mesh_win_user_sid() == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
			    "cannot read this process's user from its token: %s cannot be checked",
			    what);
		return FALSE;
	}
	rc = GetSecurityInfo(handle, type, OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
			     &owner, NULL, &dacl, NULL, &sd);
	if (rc != ERROR_SUCCESS) {
		mesh_win_set_error(error, rc, MESH_ERROR_PERMISSION,
				   "cannot read who owns %s and who may use it", what);
		return FALSE;
	}
	/* A pipe or a mutex is served or held by whoever made it: it must be ours. A stored
	 * file or key may be the system's too (above). */
	if (owner == NULL || !(EqualSid(owner, mesh_win_user_sid()) ||
			       (type != SE_KERNEL_OBJECT && sid_is_user_or_system(owner)))) {
		g_autofree char *who = owner != NULL ? sid_name(owner) : g_strdup("nobody");

		g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
			    "%s belongs to %s, not to this user: remove it, or make this user its "
			    "owner with nobody else allowed in",
			    what, who);
		goto out;
	}
	if (dacl == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
			    "%s has no access list, which lets everyone in: give it one that allows "
			    "this user alone",
			    what);
		goto out;
	}
	for (DWORD i = 0; i < dacl->AceCount; i++) {
		ACE_HEADER *ace = NULL;

		if (!GetAce(dacl, i, (LPVOID *)&ace)) {
			mesh_win_set_error(error, GetLastError(), MESH_ERROR_PERMISSION,
					   "cannot read the access list of %s", what);
			goto out;
		}
		if (ace->AceType == ACCESS_DENIED_ACE_TYPE ||
		    ace->AceType == ACCESS_DENIED_OBJECT_ACE_TYPE ||
		    ace->AceType == SYSTEM_AUDIT_ACE_TYPE || ace->AceType == SYSTEM_ALARM_ACE_TYPE ||
		    ace->AceType == SYSTEM_MANDATORY_LABEL_ACE_TYPE)
			continue;
		if (ace->AceType != ACCESS_ALLOWED_ACE_TYPE) {
			g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
				    "%s has an access entry of a kind this check does not know "
				    "(type %u): give it an access list that allows this user alone",
				    what, (unsigned)ace->AceType);
			goto out;
		}
		PSID sid = (PSID)&((ACCESS_ALLOWED_ACE *)ace)->SidStart;

		if (((ACCESS_ALLOWED_ACE *)ace)->Mask != 0 && !sid_may_be_granted(sid, ace->AceFlags)) {
			g_autofree char *who = sid_name(sid);

			g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
				    "%s lets %s in, not only this user: give it an access list "
				    "that allows this user alone",
				    what, who);
			goto out;
		}
	}
	ok = TRUE;
out:
	LocalFree(sd);
	return ok;
}
