/* SPDX-License-Identifier: MIT */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "platform.h"
#include "secjson.h"
#include "secret.h"
#include "text.h"
#include "verbs.h"

void
mesh_cli_print_json(JsonNode *node)
{
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autofree char *text = NULL;

	json_generator_set_root(gen, node);
	json_generator_set_pretty(gen, TRUE);
	text = json_generator_to_data(gen, NULL);
	printf("%s\n", text);
	json_node_unref(node);
}

gboolean
mesh_cli_write_secret_lines(const char *const *texts, gsize n)
{
	gsize total = 0, at = 0;
	g_autoptr(MeshSecret) out = NULL;
	guint8 *p;

	for (gsize i = 0; i < n; i++)
		total += strlen(texts[i]) + 1;
	out = mesh_secret_new(MAX(total, 1));
	p = mesh_secret_data(out);
	for (gsize i = 0; i < n; i++) {
		gsize len = strlen(texts[i]);

		memcpy(p + at, texts[i], len);
		at += len;
		p[at++] = '\n';
	}
	return mesh_platform_write_stdout(p, total);
}

/* Append @node at @depth to @w as json-glib's pretty generator would (two spaces a level,
 * "name" : value), strings escaped by mesh_secjson_string. */
static void
secret_json_node(MeshSecjson *w, JsonNode *node, guint depth)
{
	g_autofree char *pad = g_strnfill(2 * (depth + 1), ' ');
	g_autofree char *end = g_strnfill(2 * depth, ' ');

	switch (JSON_NODE_TYPE(node)) {
	case JSON_NODE_OBJECT: {
		JsonObject *obj = json_node_get_object(node);
		g_autoptr(GList) names = json_object_get_members(obj);

		mesh_secjson_literal(w, names == NULL ? "{" : "{\n");
		for (GList *l = names; l != NULL; l = l->next) {
			mesh_secjson_literal(w, pad);
			mesh_secjson_string(w, l->data, -1);
			mesh_secjson_literal(w, " : ");
			secret_json_node(w, json_object_get_member(obj, l->data), depth + 1);
			mesh_secjson_literal(w, l->next != NULL ? ",\n" : "\n");
		}
		if (names != NULL)
			mesh_secjson_literal(w, end);
		mesh_secjson_literal(w, "}");
		break;
	}
	case JSON_NODE_ARRAY: {
		JsonArray *array = json_node_get_array(node);
		guint len = json_array_get_length(array);

		mesh_secjson_literal(w, len == 0 ? "[" : "[\n");
		for (guint i = 0; i < len; i++) {
			mesh_secjson_literal(w, pad);
			secret_json_node(w, json_array_get_element(array, i), depth + 1);
			mesh_secjson_literal(w, i + 1 < len ? ",\n" : "\n");
		}
		if (len > 0)
			mesh_secjson_literal(w, end);
		mesh_secjson_literal(w, "]");
		break;
	}
	case JSON_NODE_VALUE:
		if (json_node_get_value_type(node) == G_TYPE_STRING) {
			mesh_secjson_string(w, json_node_get_string(node), -1);
			break;
		}
		/* Numbers and booleans are no secret: json-glib writes them. */
		mesh_secjson_node(w, node);
		break;
	case JSON_NODE_NULL:
		mesh_secjson_literal(w, "null");
		break;
	}
}

void
mesh_cli_print_secret_json(JsonNode *node)
{
	g_autoptr(MeshSecjson) w = mesh_secjson_new();
	g_autoptr(MeshSecret) text = NULL;

	secret_json_node(w, node, 0);
	mesh_secjson_literal(w, "\n");
	text = mesh_secjson_finish(w);
	/* The trailing NUL is not printed. */
	mesh_platform_write_stdout(mesh_secret_get(text), mesh_secret_len(text) - 1);
	mesh_secjson_unref(node);
}

char *
mesh_cli_escrow_warning(gsize n, int quorum, const char *account)
{
	return g_strdup_printf(
		"********************************************************************\n"
		"  WARNING: write these %" G_GSIZE_FORMAT " shares down now and keep them apart.\n"
		"  Any %d of them recover the master keys of %s:\n"
		"  whoever holds %d can take over the profile. They are not stored\n"
		"  anywhere; this is the only time they are shown.\n"
		"********************************************************************\n",
		n, quorum, account, quorum);
}

const char *
mesh_cli_escape(MeshCliEscapes *escapes, const char *text)
{
	char *copy = mesh_text_escape(text);

	if (copy == NULL)
		return NULL;
	if (escapes->copies == NULL)
		escapes->copies = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(escapes->copies, copy);
	return copy;
}

void
mesh_cli_escapes_clear(MeshCliEscapes *escapes)
{
	g_clear_pointer(&escapes->copies, g_ptr_array_unref);
}

int
mesh_cli_print_secret(const MeshCliGlobals *globals, const char *verb, const char *what,
		      const char *text)
{
	if (mesh_platform_is_terminal(MESH_PLATFORM_STDOUT)) {
		if (!g_utf8_validate(text, -1, NULL))
			return mesh_cli_failf(globals, verb, MESH_ERROR_INVALID_ARGUMENT,
					      "the %s is not UTF-8 text: it is printed only to a "
					      "pipe or a file, not to a terminal",
					      what);
		for (const char *p = text; *p != '\0'; p = g_utf8_next_char(p)) {
			gunichar c = g_utf8_get_char(p);

			if (c != '\n' && mesh_text_char_unsafe(c))
				return mesh_cli_failf(globals, verb, MESH_ERROR_INVALID_ARGUMENT,
						      "the %s holds U+%04X, which a terminal would "
						      "act on: it is printed only to a pipe or a "
						      "file, not to a terminal",
						      what, (guint)c);
		}
	}
	if (!mesh_cli_write_secret_lines(&text, 1))
		return mesh_cli_failf(globals, verb, MESH_ERROR_IO,
				      "cannot write the %s to standard output: %s", what,
				      g_strerror(errno));
	return 0;
}

static int
fail(const MeshCliGlobals *globals, const char *verb, MeshError code, const char *message)
{
	g_auto(MeshCliEscapes) esc = { 0 };

	if (code == MESH_ERROR_OK)
		code = MESH_ERROR_FAILED;
	/* The message may carry the portal's words (the agent passes its StatusDescription on). */
	fprintf(stderr, "mesh%s%s: %s\n", verb ? " " : "", verb ? verb : "",
		mesh_cli_escape(&esc, message));
	if (globals != NULL && globals->json) {
		g_autoptr(JsonBuilder) b = json_builder_new();

		json_builder_begin_object(b);
		json_builder_set_member_name(b, "Error");
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "Code");
		json_builder_add_int_value(b, code);
		json_builder_set_member_name(b, "Name");
		json_builder_add_string_value(b, mesh_error_name(code));
		json_builder_set_member_name(b, "Message");
		json_builder_add_string_value(b, message);
		json_builder_end_object(b);
		json_builder_end_object(b);
		mesh_cli_print_json(json_builder_get_root(b));
	}
	return code;
}

int
mesh_cli_fail(const MeshCliGlobals *globals, const char *verb, GError *error)
{
	return fail(globals, verb, mesh_error_code(error), error ? error->message : "failed");
}

int
mesh_cli_failf(const MeshCliGlobals *globals, const char *verb, MeshError code, const char *fmt,
	       ...)
{
	g_autofree char *message = NULL;
	va_list ap;

	va_start(ap, fmt);
	message = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	return fail(globals, verb, code, message);
}

gboolean
mesh_cli_parse(const MeshCliGlobals *globals, const char *verb, const char *params,
	       const char *description, const GOptionEntry *entries, int *argc, char ***argv,
	       int *ret_exit)
{
	g_autoptr(GOptionContext) ctx = g_option_context_new(params);
	g_autoptr(GError) error = NULL;
	g_autofree char *prgname = g_strdup_printf("mesh %s", verb);

	/* --help is handled here rather than by GOption, which would call exit(). */
	for (int i = 1; i < *argc; i++) {
		if (g_str_equal((*argv)[i], "--"))
			break;
		if (g_str_equal((*argv)[i], "--help") || g_str_equal((*argv)[i], "-h")) {
			g_autofree char *help = NULL;

			g_option_context_add_main_entries(ctx, entries, NULL);
			g_option_context_set_description(ctx, description);
			g_set_prgname(prgname);
			help = g_option_context_get_help(ctx, TRUE, NULL);
			fputs(help, stdout);
			*ret_exit = 0;
			return FALSE;
		}
	}
	g_set_prgname(prgname);
	g_option_context_set_help_enabled(ctx, FALSE);
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, argc, argv, &error)) {
		*ret_exit = mesh_cli_failf(globals, verb, MESH_ERROR_USAGE, "%s (see 'mesh %s --help')",
					   error->message, verb);
		return FALSE;
	}
	return TRUE;
}

JsonBuilder *
mesh_cli_call_json(MeshCliCall *call)
{
	if (!call->globals->json)
		return NULL;
	if (call->json == NULL) {
		call->json = json_builder_new();
		json_builder_begin_object(call->json);
	}
	return call->json;
}

void
mesh_cli_report_queued(MeshCliCall *call, FILE *out)
{
	g_auto(MeshCliEscapes) esc = {0};
	const char *portal = mesh_client_last_queued(call->client);
	const char *url;

	if (mesh_cli_call_json(call) != NULL) {
		mesh_cli_json_bool(call->json, "Queued", portal != NULL);
		return;
	}
	if (portal == NULL)
		return;
	url = mesh_cli_escape(&esc, portal);
	if (url == NULL)
		url = "";
	fprintf(out,
	        "queued: the portal%s%s cannot be reached; it is published at the next 'mesh "
	        "profile sync' (or by the agent once it reaches the portal); 'mesh profile status' "
	        "lists what waits\n",
	        *portal != '\0' ? " at " : "", *portal != '\0' ? url : "");
}

/* The strings and string arrays GOption gave @entries. */
static void
free_option_values(const GOptionEntry *entries)
{
	for (const GOptionEntry *e = entries; e->long_name != NULL; e++) {
		if (e->arg == G_OPTION_ARG_STRING || e->arg == G_OPTION_ARG_FILENAME)
			g_clear_pointer((char **)e->arg_data, g_free);
		else if (e->arg == G_OPTION_ARG_STRING_ARRAY ||
		         e->arg == G_OPTION_ARG_FILENAME_ARRAY)
			g_clear_pointer((char ***)e->arg_data, g_strfreev);
	}
}

static int
run_verb(const MeshCliVerbSpec *spec, MeshCliCall *call, const GOptionEntry *entries)
{
	const MeshCliGlobals *globals = call->globals;
	MeshError code;
	int status = 0;

	if (!mesh_cli_parse_verb(globals, spec->name, spec->params, spec->description, entries,
	                         spec->max_args, &call->argc, &call->argv, &status))
		return status;
	if (spec->makes_keys &&
	    !mesh_cli_new_key_passphrase(globals, spec->name, call->protect, call->passphrase_file,
	                                 &call->passphrase, &status))
		return status;
	if (call->argc < spec->min_args + 1)
		return mesh_cli_failf(globals, spec->name, MESH_ERROR_USAGE, "%s",
		                      spec->args_usage);
	if (spec->check != NULL && (status = spec->check(call)) != 0)
		return status;
	status = spec->reach == MESH_CLI_REACH_SESSION
	                 ? mesh_cli_session_connect(globals, spec->name, call->portal,
	                                            call->portal_ca, &call->client)
	                 : mesh_cli_connect(globals, spec->name, call->hive, TRUE, &call->client);
	if (status != 0)
		return status;
	if (spec->makes_keys)
		mesh_client_set_keystore(call->client, call->keystore);
	code = spec->call(call);
	if (code != MESH_ERROR_OK) {
		if (call->status == 0)
			call->status =
			        mesh_cli_client_fail(globals, spec->name, call->client, code);
	} else if (spec->out != MESH_CLI_OUT_OWN && mesh_cli_call_json(call) != NULL) {
		json_builder_end_object(call->json);
		if (spec->out == MESH_CLI_OUT_SECRET_JSON)
			mesh_cli_print_secret_json(json_builder_get_root(call->json));
		else
			mesh_cli_print_json(json_builder_get_root(call->json));
	}
	fflush(stdout);
	return call->status;
}

int
mesh_cli_run(const MeshCliGlobals *globals, const MeshCliVerbSpec *spec, MeshCliCall *call,
             const GOptionEntry *entries, int argc, char **argv)
{
	int status;

	call->globals = globals;
	call->verb = spec->name;
	call->argc = argc;
	call->argv = argv;
	status = run_verb(spec, call, entries);
	g_clear_object(&call->json);
	g_clear_pointer(&call->client, mesh_client_close);
	g_clear_pointer(&call->passphrase, mesh_secret_free);
	free_option_values(entries);
	return status;
}

int
mesh_cli_run_simple(const MeshCliGlobals *globals, const MeshCliVerbSpec *spec, void *data,
                    int argc, char **argv)
{
	MeshCliCall c = {.data = data};
	const GOptionEntry entries[] = {
	        MESH_CLI_ACCOUNT_OPTION(c.account),
	        MESH_CLI_PORTAL_OPTIONS(c.portal, c.portal_ca),
	        G_OPTION_ENTRY_NULL,
	};

	switch (spec->options) {
	case MESH_CLI_OPTIONS_ACCOUNT:
		return mesh_cli_run(globals, spec, &c,
		                    (const GOptionEntry[]){entries[0], G_OPTION_ENTRY_NULL}, argc,
		                    argv);
	case MESH_CLI_OPTIONS_ACCOUNT_PORTAL:
		return mesh_cli_run(globals, spec, &c, entries, argc, argv);
	case MESH_CLI_OPTIONS_NONE:
	default:
		return mesh_cli_run(globals, spec, &c, mesh_cli_no_options, argc, argv);
	}
}
