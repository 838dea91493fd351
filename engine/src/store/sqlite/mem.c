/* zhitong — SQLite's memory, configured once before its first use (issue 8:
 * the claims path no slower than before the refactor).
 *
 * Each claim is its own savepoint inside a commit shared with others
 * (store.h G2). Under temp_store = MEMORY SQLite keeps the savepoint's
 * journal in 1 KiB chunks, one allocation each: a page first changed in
 * the savepoint costs five (4 + 4,096 bytes), about eighty a claim, all
 * freed at RELEASE. A chunk of that size is past glibc's per-thread cache
 * (1,032 bytes), so each took the slow path of malloc and free. Here the
 * chunks freed are kept on a short list and handed out again; every other
 * size goes to malloc as SQLite's own allocator does (a header of 8 bytes
 * holding the size). Memory statistics are off: SQLite's sqlite3_status
 * and heap limits are not used, and they take a mutex on every allocation. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_int.h"

/* the memory journal's chunk (sqlite3 memjournal.c: MEMJOURNAL_DFLT_FILECHUNKSIZE) */
#define CHUNK_BYTES 1024
/* at most this many kept (512 KiB): a claim's savepoint uses about 80 */
#define KEPT_MAX 512

struct kept {
	struct kept *next;
};

static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kept *kept_head;
static int kept_count;

static int roundup8(int n) { return (n + 7) & ~7; }

static void *mem_malloc(int n)
{
	if (n <= 0)
		return NULL;
	int size = roundup8(n);
	int64_t *p = NULL;
	if (size == CHUNK_BYTES) {
		pthread_mutex_lock(&kept_lock);
		struct kept *k = kept_head;
		if (k) {
			kept_head = k->next;
			kept_count--;
		}
		pthread_mutex_unlock(&kept_lock);
		p = (int64_t *)k;
	}
	if (!p && !(p = malloc((size_t)size + sizeof *p)))
		return NULL;
	p[0] = size;
	return p + 1;
}

static void mem_free(void *v)
{
	if (!v)
		return;
	int64_t *p = (int64_t *)v - 1;
	if (p[0] == CHUNK_BYTES) {
		pthread_mutex_lock(&kept_lock);
		bool keep = kept_count < KEPT_MAX;
		if (keep) {
			struct kept *k = (struct kept *)p;
			k->next = kept_head;
			kept_head = k;
			kept_count++;
		}
		pthread_mutex_unlock(&kept_lock);
		if (keep)
			return;
	}
	free(p);
}

static int mem_size(void *v) { return v ? (int)((int64_t *)v)[-1] : 0; }

static void *mem_realloc(void *v, int n)
{
	if (!v)
		return mem_malloc(n);
	int size = roundup8(n);
	if (n <= 0)
		return NULL;
	if (size == CHUNK_BYTES || mem_size(v) == CHUNK_BYTES) { /* by copy: the list stays exact */
		void *q = mem_malloc(n);
		if (!q)
			return NULL;
		int old = mem_size(v);
		memcpy(q, v, (size_t)(old < size ? old : size));
		mem_free(v);
		return q;
	}
	int64_t *p = realloc((int64_t *)v - 1, (size_t)size + sizeof *p);
	if (!p)
		return NULL;
	p[0] = size;
	return p + 1;
}

static int mem_roundup(int n) { return roundup8(n); }

static int mem_init(void *ctx)
{
	(void)ctx;
	return SQLITE_OK;
}

static void mem_shutdown(void *ctx)
{
	(void)ctx;
	pthread_mutex_lock(&kept_lock);
	while (kept_head) {
		struct kept *k = kept_head;
		kept_head = k->next;
		free(k);
	}
	kept_count = 0;
	pthread_mutex_unlock(&kept_lock);
}

static const sqlite3_mem_methods mem_methods = {
	.xMalloc = mem_malloc,
	.xFree = mem_free,
	.xRealloc = mem_realloc,
	.xSize = mem_size,
	.xRoundup = mem_roundup,
	.xInit = mem_init,
	.xShutdown = mem_shutdown,
};

static void configure(void)
{
	/* SQLITE_MISUSE when SQLite is already initialised (a program that
	 * opened a database of its own first): its defaults then stay */
	if (sqlite3_config(SQLITE_CONFIG_MALLOC, &mem_methods) == SQLITE_OK)
		sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

void sq_configure(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, configure);
}
