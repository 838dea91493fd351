/* zhitong — a QR code as a matrix of modules, for the HTML (SVG) and PDF
 * (Cairo paths) renderers. Private to render/. */
#ifndef ZT_QR_H
#define ZT_QR_H

/* Modules of quiet zone around the code (ISO/IEC 18004: 4). */
#define ZT_QR_QUIET 4

struct zt_qr {
	int width;               /* modules per side, without the quiet zone */
	unsigned char *dark;     /* width × width, row-major, 1 = dark */
};

/* Encodes `text` (8-bit and alphanumeric segments, error correction M: a
 * slip may be creased or stained), the smallest version that holds it. ZT_EINVAL if it does
 * not fit in any version, ZT_ENOMEM. */
int zt_qr_encode(struct zt_qr *out, const char *text);
void zt_qr_free(struct zt_qr *q);

/* Calls `run` for each horizontal run of dark modules (x, y, length), in
 * module coordinates with the quiet zone included; a non-zero return stops
 * and is returned. */
int zt_qr_runs(const struct zt_qr *q, int (*run)(void *ctx, int x, int y, int len), void *ctx);

#endif
