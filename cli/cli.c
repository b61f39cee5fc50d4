/* SPDX-License-Identifier: MIT */
#include "cli.h"

#include <stdio.h>
#include <unistd.h>

#include "text.h"

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
	if (isatty(STDOUT_FILENO)) {
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
	printf("%s\n", text);
	fflush(stdout);
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
