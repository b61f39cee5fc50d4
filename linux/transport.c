/* SPDX-License-Identifier: MIT */
/* What the connecting and listening sides of core/transport.h share on Linux. */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "transport-private.h"

MeshTransportConnection *
transport_connection_new(int fd)
{
	MeshTransportConnection *conn = g_new0(MeshTransportConnection, 1);

	conn->fd = fd;
	return conn;
}

gboolean
transport_send_all(int fd, const guint8 *data, gsize len, int *ret_errno)
{
	while (len > 0) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*ret_errno = n < 0 ? errno : 0;
			return FALSE;
		}
		data += n;
		len -= (gsize)n;
	}
	return TRUE;
}

void
mesh_transport_connection_free(MeshTransportConnection *conn)
{
	if (conn == NULL)
		return;
	close(conn->fd);
	g_free(conn);
}
