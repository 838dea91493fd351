/* zhitong — the JSON reader (see json.h).
 *
 * yajl does the grammar: it tokenises the text and calls us once per value
 * with the number's text as written (its yajl_number callback, so no binary
 * fraction is ever made). Around it we add what a public-money service
 * needs and yajl does not do: strict UTF-8 (yajl takes overlong forms and
 * encoded surrogates), unpaired surrogate escapes and U+0000 refused, the
 * limits of zt_json_limits checked as each value arrives, duplicate keys
 * refused, and every error with its byte offset. The tree is allocated from
 * one arena that the document owns. */
#include "zhitong/json.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "zhitong/alloc.h"
#include "zhitong/error.h"
#include "zhitong/limits.h"

/* ---- arena --------------------------------------------------------- */

#define ARENA_BLOCK_BYTES (64u * 1024u)
#define ARENA_ALIGN 16u

struct block {
	struct block *next;
	size_t used, cap;
	_Alignas(16) unsigned char data[];
};

struct arena {
	struct block *head;
};

static void *arena_alloc(struct arena *a, size_t n)
{
	n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	struct block *b = a->head;
	if (!b || b->cap - b->used < n) {
		size_t cap = n > ARENA_BLOCK_BYTES ? n : ARENA_BLOCK_BYTES;
		b = zt_malloc(sizeof *b + cap);
		if (!b)
			return NULL;
		b->cap = cap;
		b->used = 0;
		b->next = a->head;
		a->head = b;
	}
	void *p = b->data + b->used;
	b->used += n;
	return p;
}

static void arena_free(struct arena *a)
{
	for (struct block *b = a->head, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	a->head = NULL;
}

/* ---- the tree while it is built ------------------------------------- */

/* A value with the links used while its container is open. */
struct node {
	struct zt_json v;
	struct node *next;     /* next sibling, in document order */
	const char *key;       /* the member's key, if in an object */
	size_t key_bytes, key_offset;
};

struct frame {
	struct node *container;
	struct node *first, *last;
	size_t count;
	const char *pending_key; /* an object's key waiting for its value */
	size_t pending_key_bytes, pending_key_offset;
};

struct zt_json_doc {
	struct arena arena;
	const struct zt_json *root;
};

struct parser {
	struct zt_json_doc *doc;
	const struct zt_json_limits *lim;
	yajl_handle h;
	const char *text; /* the body, for offsets */
	size_t base;      /* bytes skipped before yajl's text (a byte-order mark) */
	size_t end;       /* the text's length */
	bool finishing;   /* in yajl_complete_parse, which parses " " on its own */
	struct frame *stack;
	unsigned depth;
	size_t values;
	struct node *root;
	/* our own error, when a callback cancels the parse */
	int rc;
	const struct zt_json_member **sort_tmp;
	size_t sort_cap;
};

/* Where yajl is in the text. yajl_complete_parse lexes a lone " " to end
 * the last token (a number at the very end of the text): then it is at the
 * end. */
static size_t consumed(const struct parser *p)
{
	return p->finishing ? p->end : p->base + yajl_get_bytes_consumed(p->h);
}

static int fail(struct parser *p, int code, size_t offset, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(struct parser *p, int code, size_t offset, const char *fmt, ...)
{
	char msg[ZT_MESSAGE_BYTES_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	p->rc = zt_error_set(code, "json: at byte %zu: %s", offset, msg);
	return 0; /* cancels the parse */
}

static struct node *new_node(struct parser *p, enum zt_json_type t, size_t offset)
{
	if (++p->values > p->lim->values_max) {
		fail(p, ZT_ERANGE, offset, "more than %zu values in the document", p->lim->values_max);
		return NULL;
	}
	struct node *n = arena_alloc(&p->doc->arena, sizeof *n);
	if (!n) {
		p->rc = zt_error_set(ZT_ENOMEM, "json: out of memory");
		return NULL;
	}
	memset(n, 0, sizeof *n);
	n->v.type = t;
	n->v.offset = offset;
	return n;
}

/* Hangs a finished value on the open container (or makes it the root). */
static int attach(struct parser *p, struct node *n)
{
	if (p->depth == 0) {
		p->root = n;
		return 1;
	}
	struct frame *f = &p->stack[p->depth - 1];
	if (f->container->v.type == ZT_JSON_ARRAY) {
		if (f->count >= p->lim->elements_max)
			return fail(p, ZT_ERANGE, n->v.offset, "an array has more than %zu elements",
			            p->lim->elements_max);
	} else {
		/* yajl guarantees a key before every member value */
		n->key = f->pending_key;
		n->key_bytes = f->pending_key_bytes;
		n->key_offset = f->pending_key_offset;
		f->pending_key = NULL;
	}
	if (f->last)
		f->last->next = n;
	else
		f->first = n;
	f->last = n;
	f->count++;
	return 1;
}

/* Copies text into the arena, NUL-terminated. */
static char *keep(struct parser *p, const void *s, size_t n)
{
	char *c = arena_alloc(&p->doc->arena, n + 1);
	if (!c) {
		p->rc = zt_error_set(ZT_ENOMEM, "json: out of memory");
		return NULL;
	}
	memcpy(c, s, n);
	c[n] = '\0';
	return c;
}

static size_t utf8_chars(const unsigned char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += (s[i] & 0xC0) != 0x80;
	return c;
}

/* The offset where the string token that ends at `end` (just after its
 * closing quote) begins: the nearest quote before it that is not escaped.
 * Inside a string every quote is escaped by an odd run of backslashes. */
static size_t string_start(const struct parser *p, size_t end)
{
	size_t i = end >= 2 ? end - 2 : 0;
	while (i > 0) {
		if (p->text[i] == '"') {
			size_t bs = 0;
			while (i > bs && p->text[i - 1 - bs] == '\\')
				bs++;
			if (bs % 2 == 0)
				return i;
		}
		i--;
	}
	return i;
}

/* ---- yajl callbacks ------------------------------------------------- */

static int scalar(struct parser *p, enum zt_json_type t, size_t len)
{
	struct node *n = new_node(p, t, consumed(p) - len);
	return n ? attach(p, n) : 0;
}

static int on_null(void *ctx) { return scalar(ctx, ZT_JSON_NULL, 4); }

static int on_boolean(void *ctx, int v)
{
	return scalar(ctx, v ? ZT_JSON_TRUE : ZT_JSON_FALSE, v ? 4 : 5);
}

static int on_number(void *ctx, const char *s, size_t len)
{
	struct parser *p = ctx;
	size_t offset = consumed(p) - len;
	if (len > p->lim->string_chars_max)
		return fail(p, ZT_ERANGE, offset, "a number has more than %zu characters",
		            p->lim->string_chars_max);
	struct node *n = new_node(p, ZT_JSON_NUMBER, offset);
	if (!n)
		return 0;
	if (!(n->v.text = keep(p, s, len)))
		return 0;
	n->v.bytes = n->v.chars = len;
	return attach(p, n);
}

/* The text was checked whole before parsing (strict UTF-8, escapes), so
 * yajl's decoded string is strict UTF-8 too. */
static int on_string(void *ctx, const unsigned char *s, size_t len)
{
	struct parser *p = ctx;
	size_t offset = string_start(p, consumed(p));
	size_t chars = utf8_chars(s, len);
	if (chars > p->lim->string_chars_max)
		return fail(p, ZT_ERANGE, offset, "a string has more than %zu characters",
		            p->lim->string_chars_max);
	struct node *n = new_node(p, ZT_JSON_STRING, offset);
	if (!n)
		return 0;
	if (!(n->v.text = keep(p, s, len)))
		return 0;
	n->v.bytes = len;
	n->v.chars = chars;
	return attach(p, n);
}

static int on_map_key(void *ctx, const unsigned char *s, size_t len)
{
	struct parser *p = ctx;
	struct frame *f = &p->stack[p->depth - 1];
	size_t offset = string_start(p, consumed(p));
	if (f->count >= p->lim->members_max)
		return fail(p, ZT_ERANGE, offset, "an object has more than %zu members",
		            p->lim->members_max);
	if (utf8_chars(s, len) > p->lim->string_chars_max)
		return fail(p, ZT_ERANGE, offset, "a key has more than %zu characters",
		            p->lim->string_chars_max);
	if (!(f->pending_key = keep(p, s, len)))
		return 0;
	f->pending_key_bytes = len;
	f->pending_key_offset = offset;
	return 1;
}

static int open_container(struct parser *p, enum zt_json_type t)
{
	size_t offset = consumed(p) - 1;
	if (p->depth >= p->lim->depth_max)
		return fail(p, ZT_ERANGE, offset, "objects and arrays are nested more than %u deep",
		            p->lim->depth_max);
	struct node *n = new_node(p, t, offset);
	if (!n)
		return 0;
	/* Hang it first (its key, the element count), then open it. */
	if (!attach(p, n))
		return 0;
	struct frame *f = &p->stack[p->depth++];
	memset(f, 0, sizeof *f);
	f->container = n;
	return 1;
}

static int on_start_map(void *ctx) { return open_container(ctx, ZT_JSON_OBJECT); }
static int on_start_array(void *ctx) { return open_container(ctx, ZT_JSON_ARRAY); }

static int by_key(const void *a, const void *b)
{
	const struct zt_json_member *x = *(const struct zt_json_member *const *)a;
	const struct zt_json_member *y = *(const struct zt_json_member *const *)b;
	size_t n = x->key_bytes < y->key_bytes ? x->key_bytes : y->key_bytes;
	int c = memcmp(x->key, y->key, n);
	if (c)
		return c;
	if (x->key_bytes != y->key_bytes)
		return x->key_bytes < y->key_bytes ? -1 : 1;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static int close_container(struct parser *p)
{
	struct frame *f = &p->stack[p->depth - 1];
	struct node *c = f->container;
	c->v.count = f->count;
	if (c->v.type == ZT_JSON_ARRAY) {
		const struct zt_json **items = NULL;
		if (f->count) {
			items = arena_alloc(&p->doc->arena, f->count * sizeof *items);
			if (!items) {
				p->rc = zt_error_set(ZT_ENOMEM, "json: out of memory");
				return 0;
			}
			size_t i = 0;
			for (struct node *n = f->first; n; n = n->next)
				items[i++] = &n->v;
		}
		c->v.items = items;
	} else {
		struct zt_json_member *m = NULL;
		if (f->count) {
			m = arena_alloc(&p->doc->arena, f->count * sizeof *m);
			if (!m) {
				p->rc = zt_error_set(ZT_ENOMEM, "json: out of memory");
				return 0;
			}
			size_t i = 0;
			for (struct node *n = f->first; n; n = n->next, i++) {
				m[i].key = n->key;
				m[i].key_bytes = n->key_bytes;
				m[i].offset = n->key_offset;
				m[i].value = &n->v;
			}
			/* Duplicate keys: sort pointers by key, compare neighbours
			 * (n log n, whatever the keys); name the later one. */
			if (f->count > 1) {
				if (f->count > p->sort_cap) {
					const struct zt_json_member **t =
						zt_realloc(p->sort_tmp, f->count * sizeof *t);
					if (!t) {
						p->rc = zt_error_set(ZT_ENOMEM, "json: out of memory");
						return 0;
					}
					p->sort_tmp = t;
					p->sort_cap = f->count;
				}
				for (size_t k = 0; k < f->count; k++)
					p->sort_tmp[k] = &m[k];
				qsort(p->sort_tmp, f->count, sizeof *p->sort_tmp, by_key);
				for (size_t k = 1; k < f->count; k++) {
					const struct zt_json_member *a = p->sort_tmp[k - 1], *b = p->sort_tmp[k];
					if (a->key_bytes == b->key_bytes && memcmp(a->key, b->key, a->key_bytes) == 0)
						return fail(p, ZT_EMALFORMED, b->offset, "duplicate key '%.*s'",
						            (int)(b->key_bytes > 64 ? 64 : b->key_bytes), b->key);
				}
			}
		}
		c->v.members = m;
	}
	p->depth--;
	return 1;
}

static int on_end(void *ctx) { return close_container(ctx); }

/* Positional: null, boolean, integer, (binary fraction), number, string,
 * start_map, map_key, end_map, start_array, end_array. With the number
 * callback set, yajl never calls the two before it. */
static const yajl_callbacks callbacks = {
	on_null, on_boolean, NULL, NULL, on_number, on_string,
	on_start_map, on_map_key, on_end, on_start_array, on_end,
};

/* ---- checks before yajl sees a byte -------------------------------- */

int zt_json_utf8_check(size_t *chars, size_t *bad_offset, const char *text, size_t n)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, c = 0;
	while (i < n) {
		unsigned char b = s[i];
		size_t len;
		uint32_t cp, min;
		if (b < 0x80) {
			i++;
			c++;
			continue;
		} else if ((b & 0xE0) == 0xC0) {
			len = 2, cp = b & 0x1F, min = 0x80;
		} else if ((b & 0xF0) == 0xE0) {
			len = 3, cp = b & 0x0F, min = 0x800;
		} else if ((b & 0xF8) == 0xF0) {
			len = 4, cp = b & 0x07, min = 0x10000;
		} else
			goto bad;
		if (n - i < len)
			goto bad;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				goto bad;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			goto bad;
		i += len;
		c++;
	}
	if (chars)
		*chars = c;
	return 0;
bad:
	if (bad_offset)
		*bad_offset = i;
	return zt_error_set(ZT_EINVAL, "not UTF-8 at byte %zu", i);
}

static int hex4(const char *s, size_t n, size_t i, uint32_t *out)
{
	if (n - i < 4)
		return -1;
	uint32_t v = 0;
	for (size_t k = 0; k < 4; k++) {
		char h = s[i + k];
		v <<= 4;
		if (h >= '0' && h <= '9')
			v |= (uint32_t)(h - '0');
		else if (h >= 'a' && h <= 'f')
			v |= (uint32_t)(h - 'a' + 10);
		else if (h >= 'A' && h <= 'F')
			v |= (uint32_t)(h - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* \u escapes: yajl turns an unpaired high surrogate into '?', passes an
 * unpaired low one through as an invalid sequence, and \u0000 into a NUL
 * inside the string. Refuse all three. A backslash outside a string is a
 * syntax error that yajl reports anyway. */
static int check_escapes(struct parser *p, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\')
			continue;
		if (i + 1 >= n)
			break;
		if (s[i + 1] != 'u') {
			i++; /* \" \\ \/ \b \f \n \r \t: skip the escaped character */
			continue;
		}
		uint32_t cp, lo;
		if (hex4(s, n, i + 2, &cp) != 0) {
			i++; /* malformed: yajl says so */
			continue;
		}
		size_t at = p->base + i;
		if (cp == 0)
			return fail(p, ZT_EMALFORMED, at, "a string holds U+0000");
		if (cp >= 0xDC00 && cp <= 0xDFFF)
			return fail(p, ZT_EMALFORMED, at, "unpaired surrogate \\u%04X", (unsigned)cp);
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			if (n - (i + 6) < 6 || s[i + 6] != '\\' || s[i + 7] != 'u' ||
			    hex4(s, n, i + 8, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF)
				return fail(p, ZT_EMALFORMED, at, "unpaired surrogate \\u%04X", (unsigned)cp);
			i += 11;
			continue;
		}
		i += 5;
	}
	return 1;
}

/* ---- parse --------------------------------------------------------- */

void zt_json_limits_default(struct zt_json_limits *out)
{
	out->bytes_max = ZT_JSON_BYTES_MAX;
	out->depth_max = ZT_JSON_DEPTH_MAX;
	out->members_max = ZT_JSON_MEMBERS_MAX;
	out->elements_max = ZT_JSON_ELEMENTS_MAX;
	out->string_chars_max = ZT_JSON_STRING_CHARS_MAX;
	out->values_max = ZT_JSON_VALUES_MAX;
}

/* yajl's own message without its "parse error: " prefix and newlines. */
static void yajl_message(char *dst, size_t cap, yajl_handle h, const char *text, size_t n)
{
	unsigned char *e = yajl_get_error(h, 0, (const unsigned char *)text, n);
	const char *m = e ? (const char *)e : "not JSON";
	if (strncmp(m, "parse error: ", 13) == 0)
		m += 13;
	snprintf(dst, cap, "%s", m);
	for (char *c = dst; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = '\0';
	if (e)
		yajl_free_error(h, e);
}

int zt_json_parse(struct zt_json_doc **out, const char *text, size_t n,
                  const struct zt_json_limits *limits)
{
	struct zt_json_limits dflt;
	if (!limits) {
		zt_json_limits_default(&dflt);
		limits = &dflt;
	}
	struct parser p = {.lim = limits, .text = text, .end = n};
	int rc = 0;
	*out = NULL;
	if (n > limits->bytes_max)
		return zt_error_set(ZT_ERANGE, "json: at byte %zu: the text is longer than %zu bytes",
		                    limits->bytes_max, limits->bytes_max);
	size_t bad = 0;
	if (zt_json_utf8_check(NULL, &bad, text, n) != 0)
		return zt_error_set(ZT_EMALFORMED, "json: at byte %zu: the text is not UTF-8", bad);
	if (n >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		p.base = 3;
	size_t first = p.base;
	while (first < n && (text[first] == ' ' || text[first] == '\t' || text[first] == '\n' ||
	                     text[first] == '\r'))
		first++;
	if (first == n)
		return zt_error_set(ZT_EMALFORMED, "json: at byte %zu: no value (the text is empty)", n);
	if (!(p.doc = zt_calloc(1, sizeof *p.doc)) ||
	    !(p.stack = zt_calloc((size_t)limits->depth_max + 1, sizeof *p.stack))) {
		rc = zt_error_set(ZT_ENOMEM, "json: out of memory");
		goto done;
	}
	if (!check_escapes(&p, text + p.base, n - p.base)) {
		rc = p.rc;
		goto done;
	}
	p.h = yajl_alloc(&callbacks, NULL, &p);
	if (!p.h) {
		rc = zt_error_set(ZT_ENOMEM, "json: out of memory");
		goto done;
	}
	/* yajl's defaults are the strict ones (no comments, strings checked,
	 * one value, nothing after it); say so rather than rely on it. */
	yajl_config(p.h, yajl_allow_comments, 0);
	yajl_config(p.h, yajl_dont_validate_strings, 0);
	yajl_config(p.h, yajl_allow_trailing_garbage, 0);
	yajl_config(p.h, yajl_allow_multiple_values, 0);
	yajl_config(p.h, yajl_allow_partial_values, 0);
	yajl_status st = yajl_parse(p.h, (const unsigned char *)text + p.base, n - p.base);
	if (st == yajl_status_ok) {
		p.finishing = true;
		st = yajl_complete_parse(p.h);
	}
	if (st == yajl_status_client_canceled) {
		rc = p.rc;
		goto done;
	}
	if (st != yajl_status_ok) {
		/* yajl stops just after the byte it could not take */
		size_t at = consumed(&p);
		if (!p.finishing && at > p.base)
			at--;
		char m[200];
		yajl_message(m, sizeof m, p.h, text + p.base, n - p.base);
		rc = zt_error_set(ZT_EMALFORMED, "json: at byte %zu: %s", at, m);
		goto done;
	}
	assert(p.root); /* yajl ends with one complete value, or an error */
	p.doc->root = &p.root->v;
	*out = p.doc;
	p.doc = NULL;
done:
	if (p.h)
		yajl_free(p.h);
	free(p.stack);
	free(p.sort_tmp);
	zt_json_doc_free(p.doc);
	return rc;
}

const struct zt_json *zt_json_root(const struct zt_json_doc *doc) { return doc ? doc->root : NULL; }

void zt_json_doc_free(struct zt_json_doc *doc)
{
	if (!doc)
		return;
	arena_free(&doc->arena);
	free(doc);
}

/* ---- reading values ------------------------------------------------ */

/* "an object", "a string", ... */
static const char *a_type(enum zt_json_type t)
{
	switch (t) {
	case ZT_JSON_NULL: return "null";
	case ZT_JSON_ARRAY: return "an array";
	case ZT_JSON_OBJECT: return "an object";
	case ZT_JSON_FALSE:
	case ZT_JSON_TRUE: return "a boolean";
	case ZT_JSON_NUMBER: return "a number";
	case ZT_JSON_STRING: return "a string";
	}
	return "a value";
}

const char *zt_json_type_name(enum zt_json_type t)
{
	switch (t) {
	case ZT_JSON_NULL: return "null";
	case ZT_JSON_FALSE:
	case ZT_JSON_TRUE: return "boolean";
	case ZT_JSON_NUMBER: return "number";
	case ZT_JSON_STRING: return "string";
	case ZT_JSON_ARRAY: return "array";
	case ZT_JSON_OBJECT: return "object";
	}
	return "value";
}

const struct zt_json *zt_json_find(const struct zt_json *obj, const char *key)
{
	if (!obj || obj->type != ZT_JSON_OBJECT)
		return NULL;
	size_t kl = strlen(key);
	for (size_t i = 0; i < obj->count; i++)
		if (obj->members[i].key_bytes == kl && memcmp(obj->members[i].key, key, kl) == 0)
			return obj->members[i].value;
	return NULL;
}

const struct zt_json *zt_json_member(const struct zt_json *obj, const char *key)
{
	const struct zt_json *v = zt_json_find(obj, key);
	return v && v->type != ZT_JSON_NULL ? v : NULL;
}

/* Messages quote at most this much of a value. */
#define QUOTE_MAX 40
#define Q(v) (int)((v)->bytes > QUOTE_MAX ? QUOTE_MAX : (v)->bytes), (v)->text

int zt_json_check_members(const struct zt_json *obj, const char *const *allowed)
{
	if (!obj || obj->type != ZT_JSON_OBJECT)
		return zt_error_set(ZT_EINVAL, "json: at byte %zu: expected an object, found %s",
		                    obj ? obj->offset : 0, obj ? a_type(obj->type) : "nothing");
	for (size_t i = 0; i < obj->count; i++) {
		const struct zt_json_member *m = &obj->members[i];
		bool ok = false;
		for (const char *const *a = allowed; *a && !ok; a++)
			ok = strlen(*a) == m->key_bytes && memcmp(*a, m->key, m->key_bytes) == 0;
		if (!ok)
			return zt_error_set(ZT_EINVAL, "json: at byte %zu: unknown member '%.*s'", m->offset,
			                    (int)(m->key_bytes > 64 ? 64 : m->key_bytes), m->key);
	}
	return 0;
}

static int wrong_type(const struct zt_json *v, const char *name, const char *expected)
{
	return zt_error_set(ZT_EINVAL, "json: at byte %zu: '%s' must be %s, not %s", v->offset, name,
	                    expected, a_type(v->type));
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* money.c's message, placed. */
static int refused(int rc, const struct zt_json *v, const char *name)
{
	char m[ZT_MESSAGE_BYTES_MAX];
	snprintf(m, sizeof m, "%s", zt_error_last());
	return zt_error_set(rc, "json: at byte %zu: '%s': %s", v->offset, name, m);
}

/* Calls a lexical parser of money.c on the text of v: a string as is
 * (white space around it refused: money.c would trim it, JSON should not
 * carry it), a number padded to `scale` decimals once its sign, exponent
 * and decimals have been checked. The parser's own message follows the
 * value's place. */
static int decimal(int64_t *out, const struct zt_json *v, const char *name, int scale,
                   const char *what, int (*parse)(int64_t *, const char *, size_t))
{
	if (v->type == ZT_JSON_STRING) {
		if (v->bytes && (is_space(v->text[0]) || is_space(v->text[v->bytes - 1])))
			return zt_error_set(ZT_EINVAL,
			                    "json: at byte %zu: '%s': %s '%.*s' has white space around it",
			                    v->offset, name, what, Q(v));
		int rc = parse(out, v->text, v->bytes);
		return rc ? refused(rc, v, name) : 0;
	}
	if (v->type != ZT_JSON_NUMBER)
		return wrong_type(v, name, "a string or a number");
	const char *t = v->text;
	if (t[0] == '-')
		return zt_error_set(ZT_EINVAL, "json: at byte %zu: '%s': %s %.*s is negative", v->offset,
		                    name, what, Q(v));
	if (strpbrk(t, "eE"))
		return zt_error_set(ZT_EINVAL, "json: at byte %zu: '%s': %s %.*s has an exponent",
		                    v->offset, name, what, Q(v));
	const char *dot = strchr(t, '.');
	size_t decimals = dot ? v->bytes - (size_t)(dot - t) - 1 : 0;
	if (decimals > (size_t)scale)
		return zt_error_set(ZT_EINVAL, "json: at byte %zu: '%s': %s %.*s has more than %d decimals",
		                    v->offset, name, what, Q(v), scale);
	char buf[64];
	if (v->bytes + 1 + (size_t)scale >= sizeof buf)
		return zt_error_set(ZT_ERANGE, "json: at byte %zu: '%s': %s %.*s has too many digits",
		                    v->offset, name, what, Q(v));
	memcpy(buf, t, v->bytes);
	size_t len = v->bytes;
	if (!dot)
		buf[len++] = '.';
	for (size_t k = decimals; k < (size_t)scale; k++)
		buf[len++] = '0';
	int rc = parse(out, buf, len);
	return rc ? refused(rc, v, name) : 0;
}

static int p_amount(int64_t *out, const char *s, size_t n) { return zt_parse_amount(out, s, n); }
static int p_q4(int64_t *out, const char *s, size_t n) { return zt_parse_q4(out, s, n); }
static int p_ratio(int64_t *out, const char *s, size_t n)
{
	zt_bp bp = 0;
	int rc = zt_parse_ratio(&bp, s, n);
	*out = bp;
	return rc;
}

int zt_json_to_amount(zt_fen *out, const struct zt_json *v, const char *name)
{
	int64_t x = 0;
	int rc = decimal(&x, v, name, 2, "amount", p_amount);
	if (rc == 0)
		*out = x;
	return rc;
}

int zt_json_to_q4(zt_q4 *out, const struct zt_json *v, const char *name)
{
	int64_t x = 0;
	int rc = decimal(&x, v, name, 4, "number", p_q4);
	if (rc == 0)
		*out = x;
	return rc;
}

int zt_json_to_ratio(zt_bp *out, const struct zt_json *v, const char *name)
{
	int64_t x = 0;
	int rc = decimal(&x, v, name, 4, "ratio", p_ratio);
	if (rc == 0)
		*out = (zt_bp)x;
	return rc;
}

int zt_json_to_date(zt_date *out, const struct zt_json *v, const char *name)
{
	if (v->type != ZT_JSON_STRING)
		return wrong_type(v, name, "a date string");
	if (v->bytes != 10 || zt_parse_date(out, v->text, v->bytes) != 0)
		return zt_error_set(ZT_EINVAL, "json: at byte %zu: '%s': '%.*s' is not a real YYYY-MM-DD date",
		                    v->offset, name, Q(v));
	return 0;
}

int zt_json_to_text(const char **out, const struct zt_json *v, const char *name, size_t chars_max)
{
	if (v->type != ZT_JSON_STRING)
		return wrong_type(v, name, "a string");
	if (v->chars == 0)
		return zt_error_set(ZT_EINVAL, "json: at byte %zu: '%s' is empty", v->offset, name);
	if (chars_max && v->chars > chars_max)
		return zt_error_set(ZT_EINVAL, "json: at byte %zu: '%s' is longer than %zu characters",
		                    v->offset, name, chars_max);
	*out = v->text;
	return 0;
}

int zt_json_to_int(int64_t *out, const struct zt_json *v, const char *name, int64_t min,
                   int64_t max)
{
	if (v->type != ZT_JSON_NUMBER)
		return wrong_type(v, name, "a number");
	const char *t = v->text;
	bool neg = t[0] == '-';
	const char *d = t + neg;
	if (strpbrk(t, ".eE") || (neg && strcmp(d, "0") == 0))
		goto bad;
	int64_t x = 0;
	for (; *d; d++) {
		int digit = *d - '0';
		if (__builtin_mul_overflow(x, 10, &x) ||
		    __builtin_add_overflow(x, neg ? -digit : digit, &x))
			goto bad;
	}
	if (x < min || x > max)
		goto bad;
	*out = x;
	return 0;
bad:
	return zt_error_set(ZT_EINVAL,
	                    "json: at byte %zu: '%s': %.*s is not a whole number from %lld to %lld",
	                    v->offset, name, Q(v), (long long)min, (long long)max);
}

int zt_json_to_bool(bool *out, const struct zt_json *v, const char *name)
{
	if (v->type != ZT_JSON_TRUE && v->type != ZT_JSON_FALSE)
		return wrong_type(v, name, "true or false");
	*out = v->type == ZT_JSON_TRUE;
	return 0;
}

/* The member, or NULL with *rc set: 0 if optional and absent, ZT_EINVAL if
 * required and absent. */
static const struct zt_json *get(int *rc, bool *present, const struct zt_json *obj,
                                 const char *key)
{
	*rc = 0;
	if (!obj || obj->type != ZT_JSON_OBJECT) {
		*rc = zt_error_set(ZT_EINVAL, "json: at byte %zu: expected an object holding '%s'",
		                   obj ? obj->offset : 0, key);
		return NULL;
	}
	const struct zt_json *v = zt_json_member(obj, key);
	if (present)
		*present = v != NULL;
	else if (!v)
		*rc = zt_error_set(ZT_EINVAL, "json: at byte %zu: '%s' is missing", obj->offset, key);
	return v;
}

#define GETTER(fn, type, to)                                                       \
	int fn(type *out, bool *present, const struct zt_json *obj, const char *key) \
	{                                                                            \
		int rc;                                                                  \
		const struct zt_json *v = get(&rc, present, obj, key);                   \
		return v ? to(out, v, key) : rc;                                         \
	}

GETTER(zt_json_get_amount, zt_fen, zt_json_to_amount)
GETTER(zt_json_get_q4, zt_q4, zt_json_to_q4)
GETTER(zt_json_get_ratio, zt_bp, zt_json_to_ratio)
GETTER(zt_json_get_date, zt_date, zt_json_to_date)
GETTER(zt_json_get_bool, bool, zt_json_to_bool)

int zt_json_get_text(const char **out, bool *present, const struct zt_json *obj, const char *key,
                     size_t chars_max)
{
	int rc;
	const struct zt_json *v = get(&rc, present, obj, key);
	return v ? zt_json_to_text(out, v, key, chars_max) : rc;
}

int zt_json_get_int(int64_t *out, bool *present, const struct zt_json *obj, const char *key,
                    int64_t min, int64_t max)
{
	int rc;
	const struct zt_json *v = get(&rc, present, obj, key);
	return v ? zt_json_to_int(out, v, key, min, max) : rc;
}

static int get_typed(const struct zt_json **out, bool *present, const struct zt_json *obj,
                     const char *key, enum zt_json_type t, const char *expected)
{
	int rc;
	const struct zt_json *v = get(&rc, present, obj, key);
	if (!v)
		return rc;
	if (v->type != t)
		return wrong_type(v, key, expected);
	*out = v;
	return 0;
}

int zt_json_get_object(const struct zt_json **out, bool *present, const struct zt_json *obj,
                       const char *key)
{
	return get_typed(out, present, obj, key, ZT_JSON_OBJECT, "an object");
}

int zt_json_get_array(const struct zt_json **out, bool *present, const struct zt_json *obj,
                      const char *key)
{
	return get_typed(out, present, obj, key, ZT_JSON_ARRAY, "an array");
}
