/* zhitong — reading a file in chunks: one loop for whoever digests a file
 * too large to hold (sign.c: an SM2 signature streams the payer file;
 * batch_send.c: the SHA-256 of a payer file before it is sent). Memory is
 * one chunk, whatever the file's size. */
#ifndef ZHITONG_CHUNKS_H
#define ZHITONG_CHUNKS_H

#include <stddef.h>

/* What a chunk goes to: 0 to go on, a negative ZT_E* (with its message
 * set) to stop. */
typedef int (*zt_chunk_fn)(void *ctx, const unsigned char *data, size_t len);

/* Reads the open descriptor `fd` to its end in chunks of at most
 * `chunk_bytes` (one buffer of that size, allocated here) and hands each
 * non-empty chunk to `each`, in order; a read interrupted by a signal is
 * retried, a short read is a chunk like another. `path` names the file in
 * messages. 0 at the end of the file; ZT_EIO on a read error, ZT_ENOMEM,
 * ZT_EINVAL for a chunk size of 0; `each`'s own code, unchanged, when it
 * stops the reading. */
int zt_read_chunks(int fd, const char *path, size_t chunk_bytes, zt_chunk_fn each, void *ctx);

#endif
