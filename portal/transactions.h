/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

#include "store.h"

G_BEGIN_DECLS

/*
 * The portal's transaction layer (docs/protocol.md §8): bytes of one tagged request in, bytes of one
 * tagged response out, against a MeshPortalStore. Pure: no sockets, no files of its own, the
 * clock passed in. The HTTP binding (http.h) and the direct client (client-direct.h) call the
 * same function with the same bytes.
 *
 * Transactions: Hello, Validate, Create, Get and ConnectStart are plain requests; Delete,
 * Publish, ConnectPending and ConnectComplete must arrive as a SignedTransaction by an
 * administration key (an OnlineSignatureKey of the account's current master profile),
 * ConnectStatus as one by the signature key of the device whose request it asks about. A signed
 * request carries Issued (within MESH_PORTAL_ISSUED_WINDOW_SECONDS of the portal's clock, either
 * way) and a Nonce the portal has not seen (the store's replay cache). Every failure answers the
 * Status of mesh_portal_status_for_error (core/portal-client.h) and names its MeshError in
 * "Code". docs/protocol.md, "Portal transactions", is the reference for every member.
 *
 * Accounts: a request's account name is folded to lower case; "local@domain" names the account
 * "local" when domain is the portal's domain (any other domain is not served here); the store
 * holds local parts.
 */

/* §7: how long a connection request stays pending unless configured otherwise. */
#define MESH_PORTAL_PENDING_EXPIRY_SECONDS (10 * 60)

/* The portal's protocol version (HelloResponse). */
#define MESH_PORTAL_VERSION_MAJOR 1
#define MESH_PORTAL_VERSION_MINOR 0

/* MeshPortalClock: the current time in Unix seconds. */
typedef gint64 (*MeshPortalClock)(gpointer data);

typedef struct MeshPortal MeshPortal;

/*
 * mesh_portal_new: a portal for @domain (a lower-case DNS name, as account names take it) over
 * @store, which the caller keeps and must close after the portal. The clock is the system's
 * (g_get_real_time) and connection requests expire after MESH_PORTAL_PENDING_EXPIRY_SECONDS.
 * Errors: MESH_ERROR_INVALID_ARGUMENT for a domain that is not a DNS name.
 */
MeshPortal *mesh_portal_new(const char *domain, MeshPortalStore *store, GError **error);

/* mesh_portal_free: accepts NULL; the store stays open. */
void mesh_portal_free(MeshPortal *portal);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeshPortal, mesh_portal_free)

/* mesh_portal_set_clock: read the time from @now (NULL: the system clock) — tests move it. */
void mesh_portal_set_clock(MeshPortal *portal, MeshPortalClock now, gpointer data);

/* mesh_portal_set_pending_expiry: how long new connection requests stay pending (seconds,
 * at least 1; values below are taken as 1). */
void mesh_portal_set_pending_expiry(MeshPortal *portal, gint64 seconds);

/* MeshPortalNotice: one line for the operator's log (no newline), e.g. "store: ...". */
typedef void (*MeshPortalNotice)(gpointer data, const char *message);

/*
 * mesh_portal_set_notice: where the store's failures go (@notice NULL: nowhere, the default).
 * A store error of code MESH_ERROR_NETWORK or MESH_ERROR_IO (a database unreachable, a disk
 * failing) is not the client's business and may name the operator's hosts and paths: the client
 * gets a fixed StatusDescription (503 "the portal's store is unavailable: try again shortly",
 * 500 "the portal's store failed: try again later") with the same Code, and @notice gets
 * "store: <the message>", at most once per MESH_PORTAL_NOTICE_QUIET_SECONDS for the same
 * message (the next line after a quiet spell says how many were left out). @notice may be
 * called from any thread that handles requests, one call at a time.
 */
#define MESH_PORTAL_NOTICE_QUIET_SECONDS 5
void mesh_portal_set_notice(MeshPortal *portal, MeshPortalNotice notice, gpointer data);

const char *mesh_portal_domain(const MeshPortal *portal);

/*
 * mesh_portal_handle: answer the request of @len bytes at @body (not necessarily NUL-terminated;
 * read with the strict JSON reader, at most MESH_PORTAL_MESSAGE_MAX bytes). Sets *@ret_answer to
 * the answer body (UTF-8 JSON, never NULL) and *@ret_http_status to its Status, which the HTTP
 * status mirrors: 200, 201 (Create, ConnectStart), or the error statuses of
 * mesh_portal_status_for_error. Never fails: every failure is an answer.
 */
void mesh_portal_handle(MeshPortal *portal, const guint8 *body, gsize len, GBytes **ret_answer,
			guint *ret_http_status);

/*
 * mesh_portal_handle_from: mesh_portal_handle for the client key @client (http.h), which the
 * per-client limits count (MeshPortalStoreLimits: pending connection requests, account
 * creations). NULL, as mesh_portal_handle passes, is an in-process caller that no per-client
 * limit applies to.
 */
void mesh_portal_handle_from(MeshPortal *portal, const char *client, const guint8 *body, gsize len,
                             GBytes **ret_answer, guint *ret_http_status);

/*
 * mesh_portal_handler: mesh_portal_handle_from as a MeshPortalHandler (http.h), @data the
 * MeshPortal; *@ret_transaction gets the transaction's name ("Get") once the request was read
 * that far.
 */
/*
 * mesh_portal_answers_at_once: whether mesh_portal_handler_now should be tried on the request
 * in @request (a MeshPortalAtOnce, http.h, @data the MeshPortal): an unsigned Hello, Get or
 * Validate, or a SignedTransaction, on a store in this process's own storage (SQLite, memory),
 * whose reads never wait for a commit. A look at the first member's name only: the handler
 * checks everything as for any request.
 */
gboolean mesh_portal_answers_at_once(gpointer data, GBytes *request);

GBytes *mesh_portal_handler(gpointer data, const char *client, GBytes *request,
			    guint *ret_status, const char **ret_transaction);

/*
 * mesh_portal_handler_now: a MeshPortalHandlerNow (http.h), @data the MeshPortal. Answers at
 * once a transaction that only reads (Hello, Get, Validate, ConnectStatus); one signed with a
 * nonce returns NULL and *@ret_later: the answer is made, and goes once mesh_portal_finish has
 * used the nonce (a replay then gets the 401 it would have got). Any other transaction returns
 * NULL and no later, having done nothing: a worker answers it with mesh_portal_handler.
 */
GBytes *mesh_portal_handler_now(gpointer data, const char *client, GBytes *request,
                                guint *ret_status, const char **ret_transaction,
                                gpointer *ret_later);

/*
 * mesh_portal_finish: a MeshPortalFinish (http.h): use the nonces of the @n laters of
 * mesh_portal_handler_now together (one group commit, mesh_portal_store_use_nonces) and give
 * each its answer: the one made at once, a 401 for a replay, or the store's failure. Frees the
 * laters. Waits for the commit: call it in a worker.
 */
void mesh_portal_finish(gpointer data, gpointer *laters, guint n, GBytes **ret_answers,
                        guint *ret_statuses);

G_END_DECLS
