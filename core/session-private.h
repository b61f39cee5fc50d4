/* SPDX-License-Identifier: MIT */
/*
 * What the parts of the session logic share (core/session.c and core/session-*.c); not an
 * interface: nothing outside these files includes it. Code that reads or writes the hive goes
 * through read_json/write_json and the account entry functions here.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "device.h"
#include "error.h"
#include "json.h"
#include "personal.h"
#include "session.h"

G_BEGIN_DECLS

#define JSON_SUFFIX ".json"
#define ACCOUNT_MAX (64 * 1024)
#define AT_ESCAPE   "_AT_"

/* A PIN an administration device made for connecting a device (docs/protocol.md "Connecting by
 * PIN"): Accounts/<name> "Pins". The PIN itself is only in @sealed, a JWE to this device's
 * encryption key. */
typedef struct {
	char *pin_id;
	char *expires; /* RFC 3339 */
	gint64 expires_at; /* the same, in Unix seconds */
	gboolean admin;    /* the device it connects is made an administration device */
	JsonNode *sealed;
	gboolean used;
} AccountPin;

/* Most PINs an account entry keeps. */
#define ACCOUNT_PINS_MAX 32

/* An Accounts/ entry: the account, its profile, this device and what is pending. */
typedef struct {
	char *account;
	char *profile;
	char *device;
	char *portal;
	char *admin_key;
	/* the highest serials of the personal and master profiles stored here (0: not recorded,
	 * an entry older than the record) */
	gint64 serial;
	gint64 master_serial;
	/* this device's SSH key for the account: its UDF in the key store and its line */
	char *ssh_udf;
	char *ssh_public;
	/* a pending connection request */
	char *client_nonce;
	char *server_nonce;
	char *witness;
	/* char *: the escrow entries of the profile's master keys known here; NULL when none */
	GPtrArray *escrows;
	/* AccountPin *: the PINs made here (an administration device); NULL when none */
	GPtrArray *pins;
} Account;

/* A change to queue should the portal not be reached (session-queue.c, docs/protocol.md
 * "Offline changes"). */
typedef struct {
	const char *operation; /* QUEUE_* */
	char *application;     /* the application's name ("Passwords" for the passwords) */
	gint64 base_serial;    /* the serial of the application profile it changed (0: none yet) */
	MeshSecret *change;    /* the JSON sealed into the entry (queue_change) */
} QueueOp;

#define QUEUE_PASSWORD_ADD    "PasswordAdd"
#define QUEUE_PASSWORD_SET    "PasswordSet"
#define QUEUE_PASSWORD_DELETE "PasswordDelete"
#define QUEUE_APP_ADD         "AppAdd"
#define QUEUE_APP_SET         "AppSet"
#define QUEUE_APP_DELETE      "AppDelete"

/* Context of an operation on a stored account (ctx_open). */
typedef struct {
	MeshSession *session;
	Account *account;
	MeshPersonalProfile *personal;
	MeshDeviceProfile *device;
	MeshKey *admin; /* public; NULL unless an administration device */
	char *admin_udf; /* its UDF (account_admin_udf), NULL unless an administration device */
	MeshPortalClient *client;
	/* ctx_open_read: @personal and @device are the session cache's (borrowed, read-only) */
	gboolean borrowed;
	/* the stamp of the personal profile entry as verified: what an application profile's
	 * check depends on (its cache context) */
	char *personal_stamp;
	/* Working offline (session-queue.c). @queue_op: what ctx_publish queues when the portal
	 * cannot be reached (NULL: that is an error); @offline: do not try the portal, queue;
	 * @queued: the change was queued, and is stored here unpublished. @replay: a flush
	 * replays on the portal's profiles (identifier -> signed application profile, and the
	 * personal profile's Identifier -> the signed personal profile once published): what is
	 * published goes there instead of the hive. */
	QueueOp *queue_op;
	gboolean offline;
	gboolean queued;
	GHashTable *replay;
} Ctx;

/* An application profile opened with its plaintext (recovery, accepting a device). */
typedef struct {
	MeshApplicationProfile *app;
	MeshSecret *plaintext;
} RecoveredApp;

/* session.c: small helpers, account entries, the portal, the context */
G_GNUC_INTERNAL char *session_time(MeshSession *session);
G_GNUC_INTERNAL gint64 session_now(MeshSession *session);
G_GNUC_INTERNAL gboolean edwards_store(MeshKeyStore *store);
G_GNUC_INTERNAL char *account_entry(const char *account);
G_GNUC_INTERNAL gboolean read_json(MeshHive *hive, MeshHiveFolder folder, const char *name,
                                   gsize max, JsonNode **ret, GError **error);
G_GNUC_INTERNAL gboolean write_json(MeshHive *hive, MeshHiveFolder folder, const char *name,
                                    JsonNode *node, GError **error);
G_GNUC_INTERNAL char *json_name(const char *udf);
G_GNUC_INTERNAL void account_free(Account *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Account, account_free)
G_GNUC_INTERNAL gboolean account_write(MeshSession *session, const Account *a, GError **error);
G_GNUC_INTERNAL void account_add_escrow(Account *a, const char *id);
G_GNUC_INTERNAL gboolean account_parse(JsonNode *node, Account **ret, GError **error);
G_GNUC_INTERNAL gboolean account_read(MeshSession *session, const char *account, Account **ret,
                                      GError **error);
G_GNUC_INTERNAL gboolean accounts_read_all(MeshSession *session, GPtrArray **ret, GError **error);
G_GNUC_INTERNAL gboolean account_absent(MeshSession *session, const char *account, GError **error);
G_GNUC_INTERNAL void account_note(Account *a, const MeshPersonalProfile *personal);
G_GNUC_INTERNAL const char *account_admin_udf(const Account *a,
                                              const MeshPersonalProfile *personal);
G_GNUC_INTERNAL gboolean store_personal(MeshSession *session, Account *a, JsonNode *node,
                                        const MeshPersonalProfile *personal, GError **error);
G_GNUC_INTERNAL MeshPortalClient *portal_open(MeshSession *session, const char *account,
                                              const char *url, GError **error);
G_GNUC_INTERNAL char *portal_remember(const char *url);
G_GNUC_INTERNAL MeshPortalClient *account_portal_open(MeshSession *session, const Account *a,
                                                      const char *named, GError **error);
G_GNUC_INTERNAL JsonObject *portal_plain(MeshPortalClient *client, const char *tag,
                                         JsonObject *request, GError **error);
G_GNUC_INTERNAL JsonObject *portal_signed(MeshSession *session, MeshPortalClient *client,
                                          const char *tag, JsonObject *request, const char *udf,
                                          GError **error);
G_GNUC_INTERNAL JsonObject *obj_string(const char *member, const char *value);
G_GNUC_INTERNAL JsonNode *portal_get(MeshPortalClient *client, const char *member,
                                     const char *value, GError **error);
G_GNUC_INTERNAL MeshPersonalProfile *portal_get_personal(MeshPortalClient *client,
                                                         const char *account, JsonNode **ret_signed,
                                                         GError **error);
G_GNUC_INTERNAL gboolean load_personal(MeshSession *session, const char *udf,
                                       MeshPersonalProfile **ret, GError **error);
G_GNUC_INTERNAL void ctx_clear(Ctx *ctx);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Ctx, ctx_clear)
G_GNUC_INTERNAL gboolean ctx_open_entry(Ctx *ctx, MeshSession *session, const char *account,
                                        GError **error);
G_GNUC_INTERNAL gboolean ctx_open(Ctx *ctx, MeshSession *session, const char *account,
                                  gboolean admin, gboolean portal, GError **error);
G_GNUC_INTERNAL gboolean ctx_open_read(Ctx *ctx, MeshSession *session, const char *account,
                                       GError **error);
G_GNUC_INTERNAL char *account_portal_url(const Account *a, GError **error);
G_GNUC_INTERNAL gboolean ctx_publish(Ctx *ctx, JsonNode *entry, GError **error);
G_GNUC_INTERNAL gboolean ctx_publish_personal(Ctx *ctx, GError **error);

/* session-connect.c: connecting devices */
G_GNUC_INTERNAL void account_pin_free(AccountPin *pin);
G_GNUC_INTERNAL gboolean account_parse_pins(JsonObject *obj, Account *a, GError **error);
G_GNUC_INTERNAL void account_write_pins(MeshSession *session, const Account *a, JsonObject *obj);
G_GNUC_INTERNAL gboolean account_has_pins(const Account *a);
/*
 * session_accept_pins: on an administration device of @account with live PINs, answer the
 * pending requests that carry a PinId of one of its PINs (docs/protocol.md "Connecting by PIN"):
 * accept those whose PinMac the PIN makes, reject the others and those of used or expired PINs,
 * leave requests of other PINs. One line per thing done or refused is added to @notes (char *;
 * may be NULL). Errors: those of the account, the profile and the portal.
 */
G_GNUC_INTERNAL gboolean session_accept_pins(MeshSession *session, const char *account,
                                             GPtrArray *notes, GError **error);

/* session-apps.c: application profiles and their entries */
G_GNUC_INTERNAL gboolean ctx_load_app(Ctx *ctx, const char *identifier,
                                      MeshApplicationProfile **ret, GError **error);
G_GNUC_INTERNAL gboolean ctx_kept_app(Ctx *ctx, const char *identifier,
                                      const MeshApplicationProfile **ret, GError **error);
G_GNUC_INTERNAL MeshSecret *ctx_open_app(Ctx *ctx, const MeshApplicationProfile *app,
                                         GError **error);
G_GNUC_INTERNAL gboolean ctx_save_app(Ctx *ctx, MeshApplicationProfile *app,
                                      const MeshSecret *plaintext, GError **error);
G_GNUC_INTERNAL gboolean ctx_app_add(Ctx *ctx, MeshApplicationProfile *app,
                                     const MeshSecret *plaintext, char **ret_identifier,
                                     GError **error);
G_GNUC_INTERNAL gboolean ctx_app_create(Ctx *ctx, MeshApplicationType type, const char *friendly,
                                        const MeshSecret *plaintext, char **ret_identifier,
                                        GError **error);
G_GNUC_INTERNAL gboolean ctx_passwords(Ctx *ctx, MeshApplicationProfile **ret_app,
                                       MeshPasswordSet **ret_set, GError **error);
G_GNUC_INTERNAL gboolean ctx_save_passwords(Ctx *ctx, MeshApplicationProfile *app,
                                            const MeshPasswordSet *set, GError **error);
G_GNUC_INTERNAL MeshApplicationEntry *find_app(const MeshPersonalProfile *personal,
                                               MeshApplicationType type, const char *friendly);
G_GNUC_INTERNAL void recovered_app_free(RecoveredApp *r);
G_GNUC_INTERNAL void entries_add_device(MeshPersonalProfile *personal, const char *device);
G_GNUC_INTERNAL GPtrArray *app_infos(const MeshPersonalProfile *personal);
G_GNUC_INTERNAL void password_set_logins(const MeshPasswordSet *set, GPtrArray *logins);

/* session-profile.c: accounts and profiles */
G_GNUC_INTERNAL MeshSessionProfile *profile_info(MeshSession *session, const Account *a,
                                                 const MeshPersonalProfile *personal);
G_GNUC_INTERNAL gboolean may_make_keys(MeshSession *session, GError **error);
G_GNUC_INTERNAL gboolean this_device(MeshSession *session, MeshDeviceProfile **ret,
                                     JsonNode **ret_signed, GError **error);
G_GNUC_INTERNAL gboolean this_device_described(MeshSession *session, const char *description,
                                               MeshDeviceProfile **ret, JsonNode **ret_signed,
                                               GError **error);
G_GNUC_INTERNAL gboolean sync_apps(MeshSession *session, MeshPortalClient *client,
                                   const MeshPersonalProfile *personal, GError **error);
G_GNUC_INTERNAL gboolean check_portal_profile(const Account *a, const MeshPersonalProfile *fresh,
                                              GError **error);
G_GNUC_INTERNAL void drop_apps(MeshSession *session, const MeshPersonalProfile *old,
                               const MeshPersonalProfile *fresh);

/* session-queue.c: working offline */
#define PASSWORDS_APP "Passwords"
G_GNUC_INTERNAL gboolean portal_unreachable(const GError *error);
G_GNUC_INTERNAL QueueOp *queue_op_new(const char *operation, const char *application,
                                      gint64 base_serial, MeshSecret *change);
G_GNUC_INTERNAL void queue_op_free(QueueOp *op);
G_GNUC_INTERNAL MeshSecret *queue_change(const char *site, const char *username,
                                         const MeshSecret *value, const MeshSecret *base);
G_GNUC_INTERNAL gboolean ctx_queue(Ctx *ctx, GError **error);
G_GNUC_INTERNAL gboolean ctx_open_change(Ctx *ctx, MeshSession *session, const char *account,
                                         GError **error);
G_GNUC_INTERNAL char *ctx_queued_portal(Ctx *ctx);
G_GNUC_INTERNAL gboolean session_queue_pending(MeshSession *session, const char *account);
G_GNUC_INTERNAL gboolean session_queue_touches(MeshSession *session, const char *account,
                                               const char *application);
G_GNUC_INTERNAL void session_queue_forget(MeshSession *session, const char *account);
G_GNUC_INTERNAL gboolean session_flush_queue(MeshSession *session, const char *account,
                                             MeshSessionFlush **ret_flush, GError **error);

/* session-devices.c: the devices of a profile */
G_GNUC_INTERNAL gboolean note_added(MeshSession *session, MeshPersonalProfile *personal,
                                    const char *device, const char *admin_key, GError **error);
G_GNUC_INTERNAL MeshSessionDevice *session_device_info(const MeshPersonalProfile *personal,
                                                       const MeshPersonalDevice *d,
                                                       const char *this_device);
G_GNUC_INTERNAL gboolean session_promote(Ctx *ctx, const char *device, GError **error);

/* session-ssh.c: the SSH application */
G_GNUC_INTERNAL gboolean ctx_load_admin(Ctx *ctx, gboolean *ret_admin, GError **error);
G_GNUC_INTERNAL gboolean ctx_fold_ssh(Ctx *ctx, GError **error);

G_END_DECLS
