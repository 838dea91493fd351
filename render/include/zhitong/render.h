/* zhitong — where rendered bytes go (render modules: docs/slip.md).
 *
 * The render modules (render/) turn plain data into what people read:
 * text, HTML, PDF. They are pure: data in, bytes out through a write
 * callback, no store, no stdout. The CLI, the HTTP service and the tests
 * pass a FILE, a socket or a growing buffer. */
#ifndef ZHITONG_RENDER_H
#define ZHITONG_RENDER_H

#include <stddef.h>

/* Takes `len` bytes. 0, or a negative ZT_E* code (with its message set),
 * which stops the rendering and is returned by the renderer. */
typedef int (*zt_write_fn)(void *ctx, const void *data, size_t len);

/* A growing buffer: zero-initialise, pass zt_strbuf_write with it, read
 * data[0..len) (NUL-terminated when data is not NULL), free. */
struct zt_strbuf {
	char *data;
	size_t len, cap;
};
int zt_strbuf_write(void *strbuf, const void *data, size_t len);
void zt_strbuf_free(struct zt_strbuf *b);

/* Writes to a FILE * (ZT_EIO on a short write). */
int zt_file_write(void *file, const void *data, size_t len);

#endif
