/* zhitong — input sources (see source.h). */
#include "zhitong/source.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "zhitong/alloc.h"
#include "zhitong/error.h"

static ssize_t file_read(void *ctx, char *buf, size_t len)
{
	FILE *f = ctx;
	size_t n = fread(buf, 1, len, f);
	if (n == 0 && ferror(f))
		return zt_error_set(ZT_ENOTFOUND, "cannot read: %s", strerror(errno ? errno : EIO));
	return (ssize_t)n;
}

static int file_rewind(void *ctx)
{
	if (fseeko(ctx, 0, SEEK_SET) != 0)
		return zt_error_set(ZT_EIO, "cannot read again: %s", strerror(errno));
	return 0;
}

struct zt_source zt_source_file(FILE *f, const char *name)
{
	struct zt_source s = {.read = file_read, .ctx = f, .name = name};
	struct stat sb;
	if (fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode)) {
		s.size_hint = (uint64_t)sb.st_size;
		if (ftello(f) == 0)
			s.rewind = file_rewind;
	}
	return s;
}

static ssize_t buffer_read(void *ctx, char *buf, size_t len)
{
	struct zt_buffer_reader *at = ctx;
	size_t n = at->len - at->off;
	if (n > len)
		n = len;
	memcpy(buf, at->data + at->off, n);
	at->off += n;
	return (ssize_t)n;
}

static int buffer_rewind(void *ctx)
{
	((struct zt_buffer_reader *)ctx)->off = 0;
	return 0;
}

struct zt_source zt_source_buffer(struct zt_buffer_reader *at, const void *data, size_t len,
                                  const char *name)
{
	*at = (struct zt_buffer_reader){.data = data, .len = len};
	return (struct zt_source){.read = buffer_read, .ctx = at, .size_hint = len, .name = name,
	                          .rewind = buffer_rewind};
}

const char *zt_source_name(const struct zt_source *src)
{
	return src->name && src->name[0] ? src->name : "input";
}

int zt_source_read_all(char **out, size_t *len_out, const struct zt_source *src, size_t max_bytes)
{
	size_t cap = src->size_hint && src->size_hint <= max_bytes ? (size_t)src->size_hint + 1 : 65536;
	if (cap > max_bytes + 1)
		cap = max_bytes + 1;
	size_t len = 0;
	char *buf = zt_malloc(cap + 1);
	if (!buf)
		return zt_error_set(ZT_ENOMEM, "out of memory reading %s", zt_source_name(src));
	for (;;) {
		if (len == cap) {
			if (cap > max_bytes) {
				free(buf);
				return zt_error_set(ZT_ERANGE, "%s is larger than %zu bytes", zt_source_name(src),
				                    max_bytes);
			}
			size_t ncap = cap * 2 > max_bytes + 1 ? max_bytes + 1 : cap * 2;
			char *nb = zt_realloc(buf, ncap + 1);
			if (!nb) {
				free(buf);
				return zt_error_set(ZT_ENOMEM, "out of memory reading %s", zt_source_name(src));
			}
			buf = nb;
			cap = ncap;
		}
		ssize_t r = src->read(src->ctx, buf + len, cap - len);
		if (r < 0) {
			free(buf);
			return (int)r;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len > max_bytes) {
		free(buf);
		return zt_error_set(ZT_ERANGE, "%s is larger than %zu bytes", zt_source_name(src), max_bytes);
	}
	buf[len] = '\0';
	*out = buf;
	*len_out = len;
	return 0;
}
