/* zhitong — the engine's own allocations, behind one swappable allocator.
 *
 * Every malloc, calloc, realloc, strdup and strndup of engine/src (outside
 * the store implementations, whose memory is SQLite's) goes through these
 * wrappers; libxml2's allocations too once zt_xml_init() has run (it
 * points libxml2 at them with xmlMemSetup). They behave exactly as the C
 * library's (what they return is released with free()), unless a test has
 * armed a failure: issue 15 point 2, "a swappable allocator that fails the
 * Nth allocation", swept over representative operations by
 * tests/test_alloc.c (README "Proof under stress"). */
#ifndef ZHITONG_ALLOC_H
#define ZHITONG_ALLOC_H

#include <stdbool.h>
#include <stddef.h>

/* (declared as the C library's are, so the compiler reasons alike) */
void *zt_malloc(size_t n) __attribute__((malloc, alloc_size(1)));
void *zt_calloc(size_t count, size_t size) __attribute__((malloc, alloc_size(1, 2)));
void *zt_realloc(void *p, size_t n) __attribute__((alloc_size(2)));
char *zt_strdup(const char *s) __attribute__((malloc, nonnull));
char *zt_strndup(const char *s, size_t n) __attribute__((malloc, nonnull));

/* ---- test hooks ------------------------------------------------------- */

/* Which allocations count (and can fail). */
enum zt_alloc_scope {
	ZT_ALLOC_ENGINE = 1,  /* the engine's own calls of the wrappers above */
	ZT_ALLOC_LIBXML2 = 2, /* libxml2's, through xmlMemSetup */
};

/* Arms the allocator: from now, counting only allocations in `scopes`
 * (ZT_ALLOC_ENGINE | ZT_ALLOC_LIBXML2), the n-th one (1-based) returns
 * NULL, once; 0 disarms it and only counts. Also resets the count. Safe to
 * use while other threads allocate (atomic counters). */
void zt_alloc_fail_nth(unsigned long n, unsigned scopes);
/* Allocations counted since the last zt_alloc_fail_nth. */
unsigned long zt_alloc_count(void);
/* Whether the armed failure has happened. */
bool zt_alloc_failed(void);

#endif
