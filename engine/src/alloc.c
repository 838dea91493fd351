/* zhitong — the engine's allocator with a failure a test can arm (alloc.h). */
#define _GNU_SOURCE
#include "zhitong/alloc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_ulong fail_at;    /* 0: never */
static atomic_ulong counted;
static atomic_uint counting;    /* scopes counted; 0: none (the fast path) */
static atomic_bool has_failed;

void zt_alloc_fail_nth(unsigned long n, unsigned scopes)
{
	atomic_store(&counting, 0u);
	atomic_store(&counted, 0ul);
	atomic_store(&has_failed, false);
	atomic_store(&fail_at, n);
	atomic_store(&counting, scopes);
}

unsigned long zt_alloc_count(void) { return atomic_load(&counted); }

bool zt_alloc_failed(void) { return atomic_load(&has_failed); }

/* Whether this allocation of `scope` is the one to fail. */
static bool fail_now(unsigned scope)
{
	if (!(atomic_load_explicit(&counting, memory_order_relaxed) & scope))
		return false;
	unsigned long k = atomic_fetch_add(&counted, 1ul) + 1;
	unsigned long at = atomic_load(&fail_at);
	if (at == 0 || k != at)
		return false;
	atomic_store(&has_failed, true);
	return true;
}

void *zt_malloc(size_t n) { return fail_now(ZT_ALLOC_ENGINE) ? NULL : malloc(n); }

void *zt_calloc(size_t count, size_t size)
{
	return fail_now(ZT_ALLOC_ENGINE) ? NULL : calloc(count, size);
}

void *zt_realloc(void *p, size_t n) { return fail_now(ZT_ALLOC_ENGINE) ? NULL : realloc(p, n); }

char *zt_strdup(const char *s) { return fail_now(ZT_ALLOC_ENGINE) ? NULL : strdup(s); }

char *zt_strndup(const char *s, size_t n)
{
	return fail_now(ZT_ALLOC_ENGINE) ? NULL : strndup(s, n);
}

/* libxml2's, for xmlMemSetup (xml.c). */
void *zt_alloc_xml_malloc(size_t n);
void *zt_alloc_xml_realloc(void *p, size_t n);
char *zt_alloc_xml_strdup(const char *s);

void *zt_alloc_xml_malloc(size_t n) { return fail_now(ZT_ALLOC_LIBXML2) ? NULL : malloc(n); }

void *zt_alloc_xml_realloc(void *p, size_t n)
{
	return fail_now(ZT_ALLOC_LIBXML2) ? NULL : realloc(p, n);
}

char *zt_alloc_xml_strdup(const char *s) { return fail_now(ZT_ALLOC_LIBXML2) ? NULL : strdup(s); }
