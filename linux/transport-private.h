/* SPDX-License-Identifier: MIT */
#pragma once

/* What the two sides of the local transport (transport-connect.c, transport-listen.c) share. */

#include <glib.h>

#include "transport.h"

/* Both ends of a connection are a connected AF_UNIX stream socket. */
struct MeshTransportConnection {
	int fd;
};

/* transport_connection_new: a connection owning @fd. */
MeshTransportConnection *transport_connection_new(int fd);

/* transport_send_all: send all @len bytes of @data on @fd (no SIGPIPE); on failure FALSE with
 * the reason in *@ret_errno (0: the peer took nothing more). */
gboolean transport_send_all(int fd, const guint8 *data, gsize len, int *ret_errno);
