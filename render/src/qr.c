/* zhitong — QR codes through libqrencode (see qr.h). */
#include "qr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>

#include "zhitong/error.h"

int zt_qr_encode(struct zt_qr *out, const char *text)
{
	/* segments in the densest mode each part allows: the code's upper-case
	 * characters and dashes are alphanumeric */
	QRcode *c = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (!c)
		return errno == ENOMEM ? zt_error_set(ZT_ENOMEM, "qr code: out of memory")
		                       : zt_error_set(ZT_EINVAL, "qr code: '%.40s' does not fit", text);
	size_t n = (size_t)c->width * (size_t)c->width;
	unsigned char *dark = malloc(n);
	if (!dark) {
		QRcode_free(c);
		return zt_error_set(ZT_ENOMEM, "qr code: out of memory");
	}
	for (size_t i = 0; i < n; i++)
		dark[i] = c->data[i] & 1; /* bit 0: dark module (qrencode.h) */
	out->width = c->width;
	out->dark = dark;
	QRcode_free(c);
	return 0;
}

void zt_qr_free(struct zt_qr *q)
{
	free(q->dark);
	q->dark = NULL;
	q->width = 0;
}

int zt_qr_runs(const struct zt_qr *q, int (*run)(void *ctx, int x, int y, int len), void *ctx)
{
	for (int y = 0; y < q->width; y++)
		for (int x = 0; x < q->width;) {
			if (!q->dark[y * q->width + x]) {
				x++;
				continue;
			}
			int start = x;
			while (x < q->width && q->dark[y * q->width + x])
				x++;
			int rc = run(ctx, start + ZT_QR_QUIET, y + ZT_QR_QUIET, x - start);
			if (rc)
				return rc;
		}
	return 0;
}
