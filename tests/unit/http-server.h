/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

#include "transactions.h"

/*
 * A minimal HTTP/1.1 server for unit tests, on loopback in its own thread (libsoup: the
 * sync client must not wait on its own thread's server), one request per connection, one
 * connection at a time: the portal @portal at /.well-known/mmm/, an oversize answer at /big/, a
 * redirect at /moved/, and the portal again at /hold/, where each request waits (while the
 * server is holding) until mesh_test_http_release. Plain sockets keep the tests independent of
 * the server binding and of its library's own allocations.
 */
typedef struct MeshTestHttp MeshTestHttp;

MeshTestHttp *mesh_test_http_start(MeshPortal *portal);

/* The URL of @path ("/.well-known/mmm/") on the server; a new string. */
char *mesh_test_http_url(MeshTestHttp *server, const char *path);

/* How many requests to /hold/ have arrived (held or since released). */
guint mesh_test_http_held(MeshTestHttp *server);

/* Let held requests (and later ones) through; mesh_test_http_hold makes /hold/ wait again. */
void mesh_test_http_release(MeshTestHttp *server);
void mesh_test_http_hold(MeshTestHttp *server);

/* Release, stop accepting, join the thread, free. The port stays closed afterwards: a URL made
 * before reaches nobody. */
void mesh_test_http_stop(MeshTestHttp *server);
