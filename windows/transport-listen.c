/* SPDX-License-Identifier: MIT */
/*
 * The listening side of core/transport.h on Windows: named pipes with an owner-only DACL, the
 * client's token user checked, and the agent's one-per-hive lock as a named mutex.
 */
#include <string.h>

#include "error.h"
#include "platform.h"
#include "platform-private.h"
#include "transport-private.h"

struct MeshTransportListener {
	char *address;
	wchar_t *name;
	MeshWinPrivate private; /* every instance is made with it */
	HANDLE pending;         /* the instance the next client connects to */
	OVERLAPPED connect;     /* ConnectNamedPipe on @pending */
	gboolean connecting;    /* ... is in flight */
};

gboolean
mesh_transport_activation(MeshTransportListener **ret_agent, MeshTransportListener **ret_ssh,
                          GError **error)
{
	/* Windows has no socket activation: the agent always makes its own pipes. */
	*ret_agent = NULL;
	*ret_ssh = NULL;
	return TRUE;
}

gboolean
mesh_transport_listener_lock(MeshTransportListener *listener, MeshHiveKind kind, GError **error)
{
	/* Never called (no listener is ever passed), and nothing to do: the first instance of a
	 * pipe is its lock, as mesh_transport_listen makes it. */
	return TRUE;
}

const char *
mesh_transport_listener_address(const MeshTransportListener *listener)
{
	return listener->address;
}

/* A new instance of the listener's pipe; with @first, the pipe must not exist yet. */
static HANDLE
new_instance(MeshTransportListener *listener, gboolean first)
{
	return CreateNamedPipeW(listener->name,
	                        PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED |
	                                (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0),
	                        TRANSPORT_PIPE_MODE, PIPE_UNLIMITED_INSTANCES,
	                        TRANSPORT_PIPE_BUFFER, TRANSPORT_PIPE_BUFFER, 0,
	                        &listener->private.sa);
}

/*
 * Whether a pipe of @listener's name exists already, and whose. FILE_FLAG_FIRST_PIPE_INSTANCE
 * makes creating the first instance fail when it does, but Wine does not enforce that flag, so
 * look first (opening it as a client, as any client could); the flag still closes the window
 * between this look and the creation on Windows. A pipe of this user that admits nobody else is
 * taken for a running agent (MESH_ERROR_EXISTS); anything else is a squatter
 * (MESH_ERROR_PERMISSION). Never shared either way.
 */
static gboolean
check_unused(MeshTransportListener *listener, MeshHiveKind kind, const char *what,
             const char *setting, GError **error)
{
	g_autofree char *object = g_strdup_printf("the %s %s", what, listener->address);
	g_autoptr(GError) local = NULL;
	HANDLE pipe = CreateFileW(listener->name, GENERIC_READ, 0, NULL, OPEN_EXISTING,
	                          SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION, NULL);
	ULONG pid = 0;
	DWORD err = pipe == INVALID_HANDLE_VALUE ? GetLastError() : 0;

	if (err == ERROR_FILE_NOT_FOUND)
		return TRUE;
	if (err == ERROR_ACCESS_DENIED) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
		            "%s exists already and this user may not open it: another user made "
		            "it, and the agent will not share it; choose another address with %s",
		            object, setting);
		return FALSE;
	}
	if (err != 0) {
		g_autofree char *reason = mesh_win_reason(err);

		g_set_error(error, MESH_ERROR, MESH_ERROR_EXISTS,
		            "%s is served already (%s): stop what serves it, or choose another "
		            "address with %s",
		            object, reason, setting);
		return FALSE;
	}
	if (!mesh_win_check_owner_only(pipe, SE_KERNEL_OBJECT, object, &local)) {
		CloseHandle(pipe);
		g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
		            "%s exists already and is not this agent's to share (%s); choose "
		            "another address with %s",
		            object, local->message, setting);
		return FALSE;
	}
	if (!GetNamedPipeServerProcessId(pipe, &pid))
		pid = 0;
	CloseHandle(pipe);
	if (pid != 0)
		g_set_error(error, MESH_ERROR, MESH_ERROR_EXISTS,
		            "an agent for the %s hive is already running (pid %lu, pipe %s)",
		            mesh_hive_kind_name(kind), (unsigned long)pid, listener->address);
	else
		g_set_error(error, MESH_ERROR, MESH_ERROR_EXISTS,
		            "an agent for the %s hive is already running (pipe %s)",
		            mesh_hive_kind_name(kind), listener->address);
	return FALSE;
}

MeshTransportListener *
mesh_transport_listen(const char *address, MeshHiveKind kind, const char *name, const char *setting,
                      GError **error)
{
	g_autoptr(MeshTransportListener) listener = g_new0(MeshTransportListener, 1);
	DWORD err;

	listener->pending = INVALID_HANDLE_VALUE;
	listener->address = g_strdup(address);
	listener->name = transport_pipe_name(address, name, setting, error);
	if (listener->name == NULL)
		return NULL;
	listener->connect.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
	if (listener->connect.hEvent == NULL) {
		mesh_win_set_error(error, GetLastError(), MESH_ERROR_IO, "cannot listen on %s",
		                   address);
		return NULL;
	}
	/* Owner: this user; the DACL: this user alone, FILE_CREATE_PIPE_INSTANCE included, so
	 * that nobody else can add an instance of this pipe for our clients to reach. */
	if (!mesh_win_private_init(&listener->private, FILE_ALL_ACCESS, FALSE, error) ||
	    !check_unused(listener, kind, name, setting, error))
		return NULL;
	listener->pending = new_instance(listener, TRUE);
	if (listener->pending == INVALID_HANDLE_VALUE) {
		err = GetLastError();
		if (err == ERROR_ACCESS_DENIED || err == ERROR_PIPE_BUSY ||
		    err == ERROR_ALREADY_EXISTS) {
			g_set_error(
			        error, MESH_ERROR, MESH_ERROR_EXISTS,
			        "the %s %s was made by another process a moment ago: the agent "
			        "will not share it; stop that process, or choose another address "
			        "with %s",
			        name, address, setting);
			return NULL;
		}
		mesh_win_set_error(error, err, MESH_ERROR_IO, "cannot listen on %s", address);
		return NULL;
	}
	return g_steal_pointer(&listener);
}

/* The client on @listener->pending has gone again before it was taken: a fresh instance takes
 * its place (one that is merely disconnected turns clients away as busy until the next
 * ConnectNamedPipe), made before the old one closes so that the name never lapses. */
static void
recycle(MeshTransportListener *listener)
{
	HANDLE fresh = new_instance(listener, FALSE);

	listener->connecting = FALSE;
	if (fresh == INVALID_HANDLE_VALUE) {
		DisconnectNamedPipe(listener->pending); /* the next accept makes it listen */
		return;
	}
	CloseHandle(listener->pending);
	listener->pending = fresh;
}

MeshTransportConnection *
mesh_transport_accept(MeshTransportListener *listener, gint timeout_ms, GCancellable *cancel,
                      GError **error)
{
	MeshTransportConnection *conn;
	HANDLE connected;
	DWORD n = 0, err;

	if (g_cancellable_is_cancelled(cancel))
		return NULL;
	if (listener->pending == INVALID_HANDLE_VALUE) {
		/* The last accept could not make the next instance: try again. */
		listener->pending = new_instance(listener, FALSE);
		if (listener->pending == INVALID_HANDLE_VALUE) {
			mesh_win_set_error(error, GetLastError(), MESH_ERROR_IO,
			                   "cannot accept on %s", listener->address);
			return NULL;
		}
	}
	if (!listener->connecting) {
		ResetEvent(listener->connect.hEvent);
		if (!ConnectNamedPipe(listener->pending, &listener->connect)) {
			err = GetLastError();
			if (err == ERROR_IO_PENDING) {
				listener->connecting = TRUE;
			} else if (err == ERROR_NO_DATA) {
				recycle(listener);
				return NULL;
			} else if (err != ERROR_PIPE_CONNECTED) {
				mesh_win_set_error(error, err, MESH_ERROR_IO, "cannot accept on %s",
				                   listener->address);
				return NULL;
			}
		}
	}
	if (listener->connecting) {
		/* The ConnectNamedPipe stays in flight across calls: a timeout or a cancel only
		 * stops waiting for it, so no client that comes meanwhile is dropped. */
		TransportCancelWatch watch;
		HANDLE waits[2] = {listener->connect.hEvent, NULL};
		DWORD w;

		if (!transport_cancel_watch(&watch, cancel)) {
			mesh_win_set_error(error, GetLastError(), MESH_ERROR_IO,
			                   "cannot accept on %s", listener->address);
			return NULL;
		}
		waits[1] = watch.event;
		w = WaitForMultipleObjects(2, waits, FALSE,
		                           timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms);
		transport_cancel_unwatch(&watch);
		if (w != WAIT_OBJECT_0)
			return NULL;
		listener->connecting = FALSE;
		if (!GetOverlappedResult(listener->pending, &listener->connect, &n, FALSE)) {
			err = GetLastError();
			if (err == ERROR_NO_DATA || err == ERROR_BROKEN_PIPE ||
			    err == ERROR_PIPE_NOT_CONNECTED || err == ERROR_OPERATION_ABORTED) {
				recycle(listener);
				return NULL;
			}
			mesh_win_set_error(error, err, MESH_ERROR_IO, "cannot accept on %s",
			                   listener->address);
			return NULL;
		}
	}
	/* Connected: the next instance is made before this one is handed over, so that clients
	 * keep finding the pipe (and its name never lapses for someone else to take). */
	connected = listener->pending;
	listener->pending = new_instance(listener, FALSE);
	conn = transport_connection_new(connected, TRUE, error);
	if (conn != NULL)
		transport_open_client(conn);
	return conn;
}

void
mesh_transport_listener_free(MeshTransportListener *listener)
{
	if (listener == NULL)
		return;
	if (listener->pending != INVALID_HANDLE_VALUE) {
		if (listener->connecting) {
			DWORD n = 0;

			CancelIoEx(listener->pending, &listener->connect);
			GetOverlappedResult(listener->pending, &listener->connect, &n, TRUE);
		}
		CloseHandle(listener->pending);
	}
	if (listener->connect.hEvent != NULL)
		CloseHandle(listener->connect.hEvent);
	mesh_win_private_clear(&listener->private);
	g_free(listener->name);
	g_free(listener->address);
	g_free(listener);
}

/* ---- The peer ----------------------------------------------------------------------------- */

/* Identification level is all a client of ours allows, and all reading the token user takes. */
gboolean
transport_impersonated_is_user(HANDLE pipe, gboolean *ret_is_user, char **ret_other, DWORD *ret_err)
{
	HANDLE token = NULL;
	gboolean opened, ok;

	if (!ImpersonateNamedPipeClient(pipe)) {
		*ret_err = GetLastError();
		return FALSE;
	}
	/* As ourselves: the access check on the thread's token is against our own token. */
	opened = OpenThreadToken(GetCurrentThread(), TOKEN_QUERY, TRUE, &token);
	*ret_err = opened ? 0 : GetLastError();
	/* Going on as the client would be worse than stopping: this thread would act with
	 * another identity from here on. RevertToSelf cannot fail for a thread that
	 * impersonates, so this is a can't-happen guard, not an error path. */
	if (!RevertToSelf())
		g_error("RevertToSelf failed after impersonating a pipe client: %lu",
		        (unsigned long)GetLastError());
	if (!opened)
		return FALSE;
	ok = transport_token_is_user(token, ret_is_user, ret_other, ret_err);
	CloseHandle(token);
	return ok;
}

gboolean
mesh_transport_peer_is_user(MeshTransportConnection *conn, GError **error)
{
	g_autofree char *other = NULL;
	gboolean is_user = FALSE;
	DWORD err = 0;

	/* The process opened at accept, which mesh_transport_peer_caller names. */
	if (conn->client == NULL ||
	    !transport_process_handle_is_user(conn->client, &is_user, &other, &err)) {
		if (!transport_impersonated_is_user(conn->pipe, &is_user, &other, &err)) {
			g_autofree char *reason = mesh_win_reason(err);

			g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
			            "cannot tell who is at the other end of the connection (%s)",
			            reason);
			return FALSE;
		}
	}
	if (!is_user) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
		            "the process at the other end of the connection runs as %s, not as "
		            "this user",
		            other);
		return FALSE;
	}
	return TRUE;
}

/* ---- One agent per hive ------------------------------------------------------------------- */

/* The note beside the mutex: "PID ADDRESS", what a second agent names in its message (the lock
 * file's content on Linux). */
#define NOTE_SIZE 4096

struct MeshTransportLock {
	HANDLE mutex;
	HANDLE note; /* the named section holding the note */
	char *name;
};

/* The hives this process has locked: a mutex is its owning thread's again and again, so a second
 * lock in this process must be refused here. */
static GHashTable *held_locks;
G_LOCK_DEFINE_STATIC(held_locks);

/* "pid N, pipe P" from the note of the agent holding the lock @name. */
static char *
lock_owner(const char *name)
{
	g_autofree char *note_name = g_strconcat(name, "-note", NULL);
	g_autofree wchar_t *wide = mesh_win_wide(note_name, NULL);
	HANDLE section = wide != NULL ? OpenFileMappingW(FILE_MAP_READ, FALSE, wide) : NULL;
	const char *view =
	        section != NULL ? MapViewOfFile(section, FILE_MAP_READ, 0, 0, NOTE_SIZE) : NULL;
	char text[NOTE_SIZE] = {0};
	char *end = NULL;
	guint64 pid;

	if (view != NULL) {
		memcpy(text, view, NOTE_SIZE - 1);
		UnmapViewOfFile(view);
	}
	if (section != NULL)
		CloseHandle(section);
	pid = g_ascii_strtoull(text, &end, 10);
	if (pid == 0)
		return g_strdup("pid unknown");
	if (end != NULL && *end == ' ' && end[1] != '\0')
		return g_strdup_printf("pid %" G_GUINT64_FORMAT ", pipe %s", pid, end + 1);
	return g_strdup_printf("pid %" G_GUINT64_FORMAT, pid);
}

/* Write "PID @address" into a section named after the lock, kept while the lock is held. */
static HANDLE
write_note(const char *name, const char *address, MeshWinPrivate *private, GError **error)
{
	g_autofree char *note_name = g_strconcat(name, "-note", NULL);
	g_autofree wchar_t *wide = mesh_win_wide(note_name, error);
	g_autofree char *note = NULL;
	HANDLE section;
	char *view;

	if (wide == NULL)
		return NULL;
	section = CreateFileMappingW(INVALID_HANDLE_VALUE, &private->sa, PAGE_READWRITE, 0,
	                             NOTE_SIZE, wide);
	if (section == NULL) {
		mesh_win_set_error(error, GetLastError(), MESH_ERROR_IO,
		                   "cannot note the agent's lock %s", note_name);
		return NULL;
	}
	view = MapViewOfFile(section, FILE_MAP_WRITE, 0, 0, NOTE_SIZE);
	if (view == NULL) {
		mesh_win_set_error(error, GetLastError(), MESH_ERROR_IO,
		                   "cannot note the agent's lock %s", note_name);
		CloseHandle(section);
		return NULL;
	}
	note = g_strdup_printf("%lu %s", (unsigned long)GetCurrentProcessId(), address);
	memset(view, 0, NOTE_SIZE);
	memcpy(view, note, MIN(strlen(note), NOTE_SIZE - 1));
	UnmapViewOfFile(view);
	return section;
}

static void
lock_forget(const char *name)
{
	G_LOCK(held_locks);
	if (held_locks != NULL)
		g_hash_table_remove(held_locks, name);
	G_UNLOCK(held_locks);
}

MeshTransportLock *
mesh_transport_lock_hive(MeshHive *hive, const char *address, GError **error)
{
	g_autofree char *hash =
	        g_compute_checksum_for_string(G_CHECKSUM_SHA256, mesh_hive_location(hive), -1);
	const char *sid = mesh_win_user_sid_string();
	g_autofree char *name = NULL;
	g_autofree wchar_t *wide = NULL;
	g_autofree char *what = NULL;
	MeshWinPrivate private;
	MeshTransportLock *lock = NULL;
	HANDLE mutex, note;
	gboolean fresh;
	DWORD w;

	if (sid == NULL) {
		g_set_error(error, MESH_ERROR, MESH_ERROR_PERMISSION,
		            "cannot read this process's user from its token: the agent's lock "
		            "cannot be made");
		return NULL;
	}
	/* Local\: this logon session's namespace; the SID and the hive's location make it this
	 * user's lock of this hive (8 hex digits of SHA-256: a name, not a secret). */
	hash[8] = '\0';
	name = g_strdup_printf("Local\\meshagent-%s-%s", sid, hash);
	wide = mesh_win_wide(name, error);
	if (wide == NULL)
		return NULL;
	G_LOCK(held_locks);
	if (held_locks == NULL)
		held_locks = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	fresh = g_hash_table_add(held_locks, g_strdup(name));
	G_UNLOCK(held_locks);
	if (!fresh) {
		g_autofree char *owner = lock_owner(name);

		g_set_error(error, MESH_ERROR, MESH_ERROR_EXISTS,
		            "an agent for the %s hive is already running (%s)",
		            mesh_hive_kind_name(hive->kind), owner);
		return NULL;
	}
	if (!mesh_win_private_init(&private, GENERIC_ALL, FALSE, error))
		goto fail;
	mutex = CreateMutexW(&private.sa, FALSE, wide);
	if (mutex == NULL) {
		/* Someone else made it first and shuts us out. */
		mesh_win_set_error(error, GetLastError(), MESH_ERROR_IO,
		                   "cannot take the agent's lock %s", name);
		goto fail_private;
	}
	/* An existing mutex must be this user's alone: another's would be a squatter. */
	what = g_strdup_printf("the agent's lock %s", name);
	if (GetLastError() == ERROR_ALREADY_EXISTS &&
	    !mesh_win_check_owner_only(mutex, SE_KERNEL_OBJECT, what, error)) {
		CloseHandle(mutex);
		goto fail_private;
	}
	w = WaitForSingleObject(mutex, 0);
	if (w == WAIT_TIMEOUT) {
		g_autofree char *owner = lock_owner(name);

		CloseHandle(mutex);
		g_set_error(error, MESH_ERROR, MESH_ERROR_EXISTS,
		            "an agent for the %s hive is already running (%s)",
		            mesh_hive_kind_name(hive->kind), owner);
		goto fail_private;
	}
	if (w != WAIT_OBJECT_0 && w != WAIT_ABANDONED) {
		mesh_win_set_error(error, GetLastError(), MESH_ERROR_IO,
		                   "cannot take the agent's lock %s", name);
		CloseHandle(mutex);
		goto fail_private;
	}
	/* WAIT_ABANDONED: the agent that held it died holding it; it is ours now, as a dead
	 * agent's flock() is on Linux. */
	note = write_note(name, address, &private, error);
	if (note == NULL) {
		ReleaseMutex(mutex);
		CloseHandle(mutex);
		goto fail_private;
	}
	mesh_win_private_clear(&private);
	lock = g_new0(MeshTransportLock, 1);
	lock->mutex = mutex;
	lock->note = note;
	lock->name = g_steal_pointer(&name);
	return lock;
fail_private:
	mesh_win_private_clear(&private);
fail:
	lock_forget(name);
	return NULL;
}

void
mesh_transport_lock_free(MeshTransportLock *lock)
{
	if (lock == NULL)
		return;
	/* A mutex is released by the thread that took it (the agent's main thread takes and
	 * frees it); from another thread ReleaseMutex fails, and closing the last handle ends
	 * the mutex, or leaves it abandoned for the next agent to take. */
	ReleaseMutex(lock->mutex);
	CloseHandle(lock->mutex);
	CloseHandle(lock->note);
	lock_forget(lock->name);
	g_free(lock->name);
	g_free(lock);
}
