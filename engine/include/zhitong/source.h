/* zhitong — where an input comes from: bytes through a read callback.
 *
 * The engine's readers never open a path: a front door opens the file, the
 * request body or stdin and hands the reader a source (issue 8, design
 * "Use cases": a request is a buffer or a read callback). Two helpers make a
 * source of an open FILE* or of a buffer in memory; any other producer of
 * bytes (a socket, a decompressor) fills the struct itself.
 *
 *     FILE *f = fopen(path, "rb");
 *     struct zt_source src = zt_source_file(f, path);
 *     rc = zt_claim_stream_open(&cs, &src, ZT_CLAIM_FORMAT_XML);
 *
 *     struct zt_buffer_reader at;
 *     struct zt_source body = zt_source_buffer(&at, data, len, "the request body");
 */
#ifndef ZHITONG_SOURCE_H
#define ZHITONG_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Copies up to `len` bytes into buf: returns how many (1..len), 0 at the
 * end, or a negative ZT_E* code with its message set (zt_error_set). A
 * reader may call it on a thread of its own, one call at a time. */
typedef ssize_t (*zt_read_fn)(void *ctx, char *buf, size_t len);

struct zt_source {
	zt_read_fn read;
	void *ctx;
	uint64_t size_hint;   /* bytes to expect, 0 if unknown: for progress only */
	const char *name;     /* how messages name the input ("claims.xml",
	                       * "stdin", "the request body"); NULL: "input" */
	/* Back to the first byte, for a reader that must read the input twice
	 * (a statement's digest, then its entries); NULL: it reads once. 0 or
	 * a negative ZT_E* code with its message set. */
	int (*rewind)(void *ctx);
};

/* Reads an open stream from where it stands (the caller keeps and closes
 * it). The size hint is the size of a regular file, else 0; a regular
 * file read from its first byte can be rewound. */
struct zt_source zt_source_file(FILE *f, const char *name);

/* Reads `len` bytes of `data` (not copied: they must outlive the source);
 * `at` holds the position and must outlive the source too. */
struct zt_buffer_reader {
	const char *data;
	size_t len, off;
};
struct zt_source zt_source_buffer(struct zt_buffer_reader *at, const void *data, size_t len,
                                  const char *name);

/* The name for messages: src->name, or "input". */
const char *zt_source_name(const struct zt_source *src);

/* Reads the whole source into a malloc'd, NUL-terminated buffer (for the
 * documents read whole). More than `max_bytes` is ZT_ERANGE ("NAME is
 * larger than N bytes"), checked while reading: at most max_bytes + 1 are
 * ever held. */
int zt_source_read_all(char **out, size_t *len_out, const struct zt_source *src,
                       size_t max_bytes);

#endif
