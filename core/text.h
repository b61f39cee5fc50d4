/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Display text (docs/protocol.md, "Display text"): the strings that come from a device, a
 * requester or the portal and end up on a user's screen — device descriptions and names,
 * application and friendly names, sites, user names, host names.
 *
 * A display string is valid UTF-8 within its length limits and holds none of these code points,
 * which move the cursor, erase or reorder what a terminal shows, or are invisible:
 *
 *   controls           U+0000-U+001F (TAB, LF and CR included), U+007F, U+0080-U+009F
 *   line breaks        U+2028 LINE SEPARATOR, U+2029 PARAGRAPH SEPARATOR
 *   bidirectional      U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069, and the deprecated
 *                      U+206A-U+206F
 *   invisible format   every other character of Unicode 15's category Cf but ZWNJ and ZWJ
 *                      (U+200C, U+200D: some scripts and emoji need them): U+00AD, U+0600-U+0605,
 *                      U+06DD, U+070F, U+0890-U+0891, U+08E2, U+180E, U+200B, U+2060-U+2064,
 *                      U+FEFF, U+FFF9-U+FFFB, U+110BD, U+110CD, U+13430-U+1343F,
 *                      U+1BCA0-U+1BCA3, U+1D173-U+1D17A, U+E0001, U+E0020-U+E007F
 *
 * The table is fixed here rather than taken from the Unicode library at run time, so that the
 * portal and every device decide alike whatever their GLib version.
 */

/* A device description: at most this many characters (and MESH_PROFILE_TEXT_MAX bytes). It is
 * shown on one line beside the device's UDF and witness. */
#define MESH_TEXT_DESCRIPTION_MAX 64

/* mesh_text_char_unsafe: TRUE when a display string may not hold the code point @c. */
gboolean mesh_text_char_unsafe(gunichar c);

/*
 * mesh_text_check_display: TRUE when @text (NULL is fine) is a display string of at most
 * @max_bytes bytes and @max_chars characters. Errors: MESH_ERROR_INVALID_ARGUMENT, one line that
 * names @what and the first thing wrong (a character refused is named as U+XXXX with its
 * position, never quoted).
 */
gboolean mesh_text_check_display(const char *what, const char *text, gsize max_bytes,
				 gsize max_chars, GError **error);

/*
 * mesh_text_escape: @text made safe and unambiguous for a terminal: a backslash becomes "\\";
 * a byte that is not part of valid UTF-8, and a refused ASCII control, "\xNN"; a refused code
 * point above U+007F "\uNNNN" (or "\UNNNNNNNN" above U+FFFF), hex in lower case; every other
 * character is kept. Returns a new string; NULL for NULL.
 */
char *mesh_text_escape(const char *text);

/*
 * mesh_text_check_path_controls: TRUE when the path @text holds no ASCII control character
 * (U+0000-U+001F, U+007F), as what goes into a start-up command line must not. Errors:
 * MESH_ERROR_INVALID_ARGUMENT "<@what> holds a control character: use a plainer path".
 */
gboolean mesh_text_check_path_controls(const char *what, const char *text, GError **error);

G_END_DECLS
