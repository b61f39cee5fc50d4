/* SPDX-License-Identifier: MIT */
/* The one use of libqrencode (cli/qr.h): kept apart so that the Windows syntax-only pass
 * compiles it against Debian's qrencode.h (tools/windows-deps.sh). */
#include "qr.h"

#include <openssl/crypto.h>
#include <qrencode.h>

#define QUIET 4

/* Whether the module (@x, @y) of @qr is dark; outside the code (the quiet zone) it is light. */
static gboolean
dark(const QRcode *qr, int x, int y)
{
	if (x < 0 || y < 0 || x >= qr->width || y >= qr->width)
		return FALSE;
	return (qr->data[y * qr->width + x] & 1) != 0;
}

gboolean
mesh_cli_qr_print(FILE *out, const char *text)
{
	QRcode *qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);

	if (qr == NULL)
		return FALSE;
	for (int y = -QUIET; y < qr->width + QUIET; y += 2) {
		for (int x = -QUIET; x < qr->width + QUIET; x++) {
			gboolean top = !dark(qr, x, y), bottom = !dark(qr, x, y + 1);

			/* Light modules are blocks: the upper half, the lower half, both or none. */
			fputs(top && bottom ? "\u2588"
			      : top        ? "\u2580"
			      : bottom     ? "\u2584"
			                   : " ",
			      out);
		}
		fputc('\n', out);
	}
	OPENSSL_cleanse(qr->data, (size_t)qr->width * (size_t)qr->width);
	QRcode_free(qr);
	return TRUE;
}
