/* SPDX-License-Identifier: MIT */
/*
 * core/platform.h on Windows: hardening, the boot-time clock, the process id. What Linux does
 * with RLIMIT_CORE, PR_SET_DUMPABLE and umask, and which Windows counterpart stands for each:
 *
 *   no core dump     SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX) (no fault
 *                    dialog that waits with the process's memory intact), an unhandled-exception
 *                    filter that ends the process at once (Windows Error Reporting, which writes
 *                    the dumps, never runs), and WerAddExcludedApplication for this program
 *                    (per user) for what passes the filter by (fail-fast exceptions).
 *   not dumpable     a protected DACL on the process itself that grants only this user, and
 *                    only SYNCHRONIZE, PROCESS_TERMINATE, PROCESS_QUERY_LIMITED_INFORMATION and
 *                    READ_CONTROL: no other user's process, and none of this user's, may open it
 *                    to read or write its memory (PROCESS_VM_READ), inject a thread or duplicate
 *                    its handles (debuggers and dump writers need those).
 *   mitigations      SetProcessMitigationPolicy: strict handle checks (a stale handle is a crash,
 *                    not a use of whatever object took its value), extension points disabled
 *                    (AppInit DLLs, window hooks, IMEs and Winsock LSPs load nothing into us),
 *                    image loads from remote shares and of low-mandatory-label files refused,
 *                    DEP (always on and permanent for 64-bit processes; set for 32-bit ones).
 *                    Not dynamic-code prohibition: GLib's closures go through libffi, which
 *                    writes trampolines. Not PreferSystem32Images: a stray DLL of the same name
 *                    in System32 (an old libcrypto from some installer) would shadow ours.
 *   umask 077        nothing: windows/ creates every file, folder, key and pipe with an explicit
 *                    owner-only security descriptor (platform-private.h).
 */
#include "platform.h"
#include "platform-private.h"

#include <windows.h>

#include "error.h"

/* Ends the process with the exception's code before Windows Error Reporting sees it. */
static LONG WINAPI
end_without_dump(EXCEPTION_POINTERS *info)
{
	TerminateProcess(GetCurrentProcess(), info != NULL && info->ExceptionRecord != NULL
	                                              ? info->ExceptionRecord->ExceptionCode
	                                              : (UINT)MESH_ERROR_FAILED);
	return EXCEPTION_EXECUTE_HANDLER;
}

typedef HRESULT(WINAPI *WerAddExcludedFunc)(PCWSTR, BOOL);

/* WerAddExcludedApplication for this program, for this user (wer.dll, loaded from System32
 * only). Returns the HRESULT, or HRESULT_FROM_WIN32 of the failure to find it. */
static HRESULT
wer_exclude(void)
{
	wchar_t exe[MAX_PATH * 4];
	DWORD n = GetModuleFileNameW(NULL, exe, G_N_ELEMENTS(exe));
	HMODULE wer;
	WerAddExcludedFunc add;
	HRESULT hr;

	if (n == 0 || n >= G_N_ELEMENTS(exe))
		return HRESULT_FROM_WIN32(n == 0 ? GetLastError() : ERROR_INSUFFICIENT_BUFFER);
	wer = LoadLibraryExW(L"wer.dll", NULL, LOAD_LIBRARY_SEARCH_SYSTEM32);
	if (wer == NULL)
		return HRESULT_FROM_WIN32(GetLastError());
	add = (WerAddExcludedFunc)(void (*)(void))GetProcAddress(wer, "WerAddExcludedApplication");
	hr = add != NULL ? add(exe, FALSE) : HRESULT_FROM_WIN32(GetLastError());
	/* wer.dll stays loaded: cheap, and nothing else unloads it under a caller. */
	return hr;
}

/* The dump part of mesh_platform_harden, shared with mesh_platform_no_core_dumps. */
static HRESULT
no_dumps(void)
{
	SetErrorMode(GetErrorMode() | SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
	SetUnhandledExceptionFilter(end_without_dump);
	return wer_exclude();
}

void
mesh_platform_no_core_dumps(void)
{
	/* The filter alone covers every ordinary crash; the WER exclusion is extra. */
	(void)no_dumps();
}

/* The rights this user keeps on its own process: enough to wait for it, stop it and see its
 * name (Task Manager, mesh_transport's peer checks), not to read it. */
#define PROCESS_OWNER_RIGHTS                                                                       \
	(SYNCHRONIZE | PROCESS_TERMINATE | PROCESS_QUERY_LIMITED_INFORMATION | READ_CONTROL)

static gboolean
protect_process(GError **error)
{
	MeshWinPrivate p = {0};
	DWORD err;

	if (!mesh_win_private_init(&p, PROCESS_OWNER_RIGHTS, FALSE, error)) {
		g_prefix_error(error, "cannot make the process unreadable by other processes: ");
		return FALSE;
	}
	err = SetSecurityInfo(GetCurrentProcess(), SE_KERNEL_OBJECT,
	                      DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION, NULL,
	                      NULL, p.dacl, NULL);
	mesh_win_private_clear(&p);
	if (err != ERROR_SUCCESS) {
		g_autofree char *reason = mesh_win_reason(err);

		g_set_error(
		        error, MESH_ERROR, MESH_ERROR_FAILED,
		        "cannot make the process unreadable by other processes (SetSecurityInfo "
		        "on its DACL): %s; keys are not loaded into a process others could read",
		        reason);
		return FALSE;
	}
	return TRUE;
}

static gboolean
mitigate(PROCESS_MITIGATION_POLICY policy, void *value, gsize size, const char *what,
         GError **error)
{
	g_autofree char *reason = NULL;

	if (SetProcessMitigationPolicy(policy, value, size))
		return TRUE;
	reason = mesh_win_reason(GetLastError());
	g_set_error(error, MESH_ERROR, MESH_ERROR_FAILED,
	            "cannot turn on the %s mitigation (SetProcessMitigationPolicy): %s; keys are "
	            "not loaded into a process without it",
	            what, reason);
	return FALSE;
}

gboolean
mesh_platform_harden(GError **error)
{
	PROCESS_MITIGATION_STRICT_HANDLE_CHECK_POLICY handles = {0};
	PROCESS_MITIGATION_EXTENSION_POINT_DISABLE_POLICY extensions = {0};
	PROCESS_MITIGATION_IMAGE_LOAD_POLICY images = {0};
	HRESULT hr = no_dumps();

	if (FAILED(hr)) {
		g_autofree char *reason = mesh_win_reason((DWORD)hr);

		g_set_error(error, MESH_ERROR, MESH_ERROR_FAILED,
		            "cannot exclude the program from Windows Error Reporting "
		            "(WerAddExcludedApplication): %s; keys are not loaded into a process "
		            "whose crash could be written to disk",
		            reason);
		return FALSE;
	}
	handles.RaiseExceptionOnInvalidHandleReference = 1;
	handles.HandleExceptionsPermanentlyEnabled = 1;
	extensions.DisableExtensionPoints = 1;
	images.NoRemoteImages = 1;
	images.NoLowMandatoryLabelImages = 1;
	if (!mitigate(ProcessStrictHandleCheckPolicy, &handles, sizeof handles,
	              "strict handle check", error) ||
	    !mitigate(ProcessExtensionPointDisablePolicy, &extensions, sizeof extensions,
	              "extension point", error) ||
	    !mitigate(ProcessImageLoadPolicy, &images, sizeof images, "image load", error))
		return FALSE;
#ifndef _WIN64
	{
		PROCESS_MITIGATION_DEP_POLICY dep = {0};

		dep.Enable = 1;
		dep.Permanent = 1;
		if (!mitigate(ProcessDEPPolicy, &dep, sizeof dep, "DEP", error))
			return FALSE;
	}
#endif
	return protect_process(error);
}

gint64
mesh_platform_boottime(void)
{
	/* GetTickCount64 goes on counting while the machine sleeps or hibernates (its
	 * documentation points to QueryUnbiasedInterruptTime for the count without them), never
	 * goes back and needs nothing to fail. Its resolution is the system tick (10-16 ms): ample
	 * for lifetimes counted in seconds. */
	return (gint64)GetTickCount64() * 1000;
}

guint64
mesh_platform_pid(void)
{
	return (guint64)GetCurrentProcessId();
}
