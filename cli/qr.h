/* SPDX-License-Identifier: MIT */
#pragma once

#include <glib.h>
#include <stdio.h>

G_BEGIN_DECLS

/*
 * mesh_cli_qr_print: draw @text (NUL-terminated) as a QR code (libqrencode, error correction
 * level M, byte mode) on @out with Unicode half blocks, two modules a character cell, a quiet
 * zone of 4 modules around it. Light modules are drawn as blocks, as qrencode's own UTF8 output
 * does: on a terminal with light text on a dark background the code reads dark on light. The
 * library's copy of the modules is wiped (the text may be a secret). FALSE when the text does
 * not fit a QR code.
 */
gboolean mesh_cli_qr_print(FILE *out, const char *text);

G_END_DECLS
