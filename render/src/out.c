/* zhitong — write callbacks for the renderers (see render.h). */
#include "zhitong/render.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zhitong/error.h"

int zt_strbuf_write(void *strbuf, const void *data, size_t len)
{
	struct zt_strbuf *b = strbuf;
	if (len >= b->cap - b->len || !b->data) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap - b->len <= len) {
			if (cap > ((size_t)-1) / 2)
				return zt_error_set(ZT_ENOMEM, "render buffer: %zu bytes", len);
			cap *= 2;
		}
		char *p = realloc(b->data, cap);
		if (!p)
			return zt_error_set(ZT_ENOMEM, "render buffer: out of memory");
		b->data = p;
		b->cap = cap;
	}
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

void zt_strbuf_free(struct zt_strbuf *b)
{
	free(b->data);
	*b = (struct zt_strbuf){0};
}

int zt_file_write(void *file, const void *data, size_t len)
{
	if (len && fwrite(data, 1, len, file) != len)
		return zt_error_set(ZT_EIO, "cannot write: %s", strerror(errno));
	return 0;
}
