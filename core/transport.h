/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

#include "hive.h"

G_BEGIN_DECLS

/*
 * The local transport between a program and its agent, behind one interface: a Unix socket on
 * Linux and macOS, a named pipe on Windows. One implementation per OS folder (linux/ today).
 * Nothing outside the OS folders knows which it is: no descriptors, no socket addresses, no
 * numeric user ids. The peer check asks one question, "is the peer this user?", because Windows
 * answers it with a SID, not a uid.
 */

/* ==== Connecting (programs: libmeshclient, mesh) ============================================ */

/* (declarations of the connecting side: being written) */

/* ==== Listening (the agent: both of its sockets) ============================================ */

/* (declarations of the listening side: being written) */

G_END_DECLS
