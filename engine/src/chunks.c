/* zhitong — reading a file in chunks (see chunks.h). */
#include "zhitong/chunks.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zhitong/alloc.h"
#include "zhitong/error.h"

int zt_read_chunks(int fd, const char *path, size_t chunk_bytes, zt_chunk_fn each, void *ctx)
{
	if (chunk_bytes == 0)
		return zt_error_set(ZT_EINVAL, "cannot read '%s' in chunks of 0 bytes", path);
	unsigned char *buf = zt_malloc(chunk_bytes);
	if (!buf)
		return zt_error_set(ZT_ENOMEM, "out of memory reading '%s'", path);
	int rc = 0;
	for (;;) {
		ssize_t r = read(fd, buf, chunk_bytes);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = zt_error_set(ZT_EIO, "cannot read '%s': %s", path, strerror(errno));
			break;
		}
		if (r == 0 || (rc = each(ctx, buf, (size_t)r)) != 0)
			break;
	}
	free(buf);
	return rc;
}
