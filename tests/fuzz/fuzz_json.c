/* zhitong — fuzz target: the JSON body reader and its getters (json.h;
 * docs/spec/service.md "Bodies").
 *
 * The input is a request body. Refused: ZT_EMALFORMED or ZT_ERANGE with
 * "json: at byte N: ...", N within the body. Accepted: a tree whose every
 * value sits at the offset it claims, whose strings are strict UTF-8
 * without U+0000 and counted right, whose numbers have JSON's grammar and
 * whose objects have no duplicate key; written out again (escaped by a
 * writer of our own, and by the engine's writer when every number is an
 * integer) it reads back to the same tree. Smaller limits only ever refuse
 * more. Every getter, on every member, answers a value that obeys its
 * lexical form (an amount formats back to its text) or a refusal. */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "zhitong/error.h"
#include "zhitong/json.h"
#include "zhitong/money.h"

/* ---- a growing buffer ------------------------------------------------- */

struct buf {
	char *p;
	size_t n, cap;
};

static void put(struct buf *b, const void *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (b->n + n + 1 > cap)
			cap *= 2;
		char *p = realloc(b->p, cap);
		ZT_FUZZ_CHECK(p != NULL, "out of memory");
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void put_string(struct buf *b, const char *s, size_t n)
{
	put(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			char e[2] = {'\\', (char)c};
			put(b, e, 2);
		} else if (c < 0x20) {
			char e[8];
			snprintf(e, sizeof e, "\\u%04x", c);
			put(b, e, 6);
		} else {
			put(b, &s[i], 1);
		}
	}
	put(b, "\"", 1);
}

/* Our own writer: strings escaped as little as JSON allows, numbers as
 * written. */
static void serialise(struct buf *b, const struct zt_json *v)
{
	switch (v->type) {
	case ZT_JSON_NULL: put(b, "null", 4); break;
	case ZT_JSON_TRUE: put(b, "true", 4); break;
	case ZT_JSON_FALSE: put(b, "false", 5); break;
	case ZT_JSON_NUMBER: put(b, v->text, v->bytes); break;
	case ZT_JSON_STRING: put_string(b, v->text, v->bytes); break;
	case ZT_JSON_ARRAY:
		put(b, "[", 1);
		for (size_t i = 0; i < v->count; i++) {
			if (i)
				put(b, ",", 1);
			serialise(b, v->items[i]);
		}
		put(b, "]", 1);
		break;
	case ZT_JSON_OBJECT:
		put(b, "{", 1);
		for (size_t i = 0; i < v->count; i++) {
			if (i)
				put(b, ",", 1);
			put_string(b, v->members[i].key, v->members[i].key_bytes);
			put(b, ":", 1);
			serialise(b, v->members[i].value);
		}
		put(b, "}", 1);
		break;
	}
}

/* The engine's writer; false if a number is not an integer it can write. */
static bool write_engine(struct zt_json_writer *w, const struct zt_json *v)
{
	int64_t x;
	switch (v->type) {
	case ZT_JSON_NULL: return zt_json_write_null(w) == 0;
	case ZT_JSON_TRUE: return zt_json_write_bool(w, true) == 0;
	case ZT_JSON_FALSE: return zt_json_write_bool(w, false) == 0;
	case ZT_JSON_NUMBER:
		if (zt_json_to_int(&x, v, "n", INT64_MIN, INT64_MAX) != 0)
			return false;
		return zt_json_write_int(w, x) == 0;
	case ZT_JSON_STRING: return zt_json_write_stringn(w, v->text, v->bytes) == 0;
	case ZT_JSON_ARRAY:
		if (zt_json_write_array_begin(w) != 0)
			return false;
		for (size_t i = 0; i < v->count; i++)
			if (!write_engine(w, v->items[i]))
				return false;
		return zt_json_write_array_end(w) == 0;
	case ZT_JSON_OBJECT:
		if (zt_json_write_object_begin(w) != 0)
			return false;
		for (size_t i = 0; i < v->count; i++) {
			ZT_FUZZ_CHECK(zt_json_write_stringn(w, v->members[i].key, v->members[i].key_bytes) ==
			                  0,
			              "the writer refuses key '%s': %s", v->members[i].key, zt_error_last());
			if (!write_engine(w, v->members[i].value))
				return false;
		}
		return zt_json_write_object_end(w) == 0;
	}
	return false;
}

static void same_tree(const struct zt_json *a, const struct zt_json *b, const char *how)
{
	ZT_FUZZ_CHECK(a->type == b->type, "%s: %s became %s", how, zt_json_type_name(a->type),
	              zt_json_type_name(b->type));
	ZT_FUZZ_CHECK(a->count == b->count, "%s: %zu items became %zu", how, a->count, b->count);
	if (a->type == ZT_JSON_STRING || a->type == ZT_JSON_NUMBER)
		ZT_FUZZ_CHECK(a->bytes == b->bytes && memcmp(a->text, b->text, a->bytes) == 0 &&
		                  a->chars == b->chars,
		              "%s: '%s' became '%s'", how, a->text, b->text);
	for (size_t i = 0; a->type == ZT_JSON_ARRAY && i < a->count; i++)
		same_tree(a->items[i], b->items[i], how);
	for (size_t i = 0; a->type == ZT_JSON_OBJECT && i < a->count; i++) {
		const struct zt_json_member *x = &a->members[i], *y = &b->members[i];
		ZT_FUZZ_CHECK(x->key_bytes == y->key_bytes && memcmp(x->key, y->key, x->key_bytes) == 0,
		              "%s: key '%s' became '%s'", how, x->key, y->key);
		same_tree(x->value, y->value, how);
	}
}

/* ---- what an accepted tree must be ------------------------------------ */

static bool digit(char c) { return c >= '0' && c <= '9'; }

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool json_number(const char *s, size_t n)
{
	size_t i = 0;
	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else if (i < n && s[i] >= '1' && s[i] <= '9')
		while (i < n && digit(s[i]))
			i++;
	else
		return false;
	if (i < n && s[i] == '.') {
		size_t k = ++i;
		while (i < n && digit(s[i]))
			i++;
		if (i == k)
			return false;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		size_t k = i;
		while (i < n && digit(s[i]))
			i++;
		if (i == k)
			return false;
	}
	return i == n;
}

static int hex(char c)
{
	return c >= '0' && c <= '9' ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
	                              : -1;
}

static void put_utf8(struct buf *b, uint32_t cp)
{
	char u[4];
	size_t n;
	if (cp < 0x80)
		u[0] = (char)cp, n = 1;
	else if (cp < 0x800)
		u[0] = (char)(0xC0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
	else if (cp < 0x10000)
		u[0] = (char)(0xE0 | cp >> 12), u[1] = (char)(0x80 | (cp >> 6 & 0x3F)),
		u[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
	else
		u[0] = (char)(0xF0 | cp >> 18), u[1] = (char)(0x80 | (cp >> 12 & 0x3F)),
		u[2] = (char)(0x80 | (cp >> 6 & 0x3F)), u[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
	put(b, u, n);
}

/* The string literal at s[0..n) (from its opening quote), decoded by a
 * second reader: what the tree says the string at that offset holds. */
static void decode_literal(struct buf *out, const char *s, size_t n)
{
	ZT_FUZZ_CHECK(n > 0 && s[0] == '"', "no string literal here");
	put(out, "", 0);
	for (size_t i = 1;; i++) {
		ZT_FUZZ_CHECK(i < n, "an unterminated string literal was accepted");
		char c = s[i];
		if (c == '"')
			return;
		if (c != '\\') {
			put(out, &s[i], 1);
			continue;
		}
		ZT_FUZZ_CHECK(i + 1 < n, "a string ends in a backslash");
		c = s[++i];
		static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
		const char *simple = c ? strchr(from, c) : NULL;
		ZT_FUZZ_CHECK(c == 'u' || simple, "escape \\%c accepted", c);
		if (c != 'u') {
			put(out, &to[simple - from], 1);
			continue;
		}
		uint32_t cp = 0;
		for (int k = 0; k < 4; k++) {
			int h = i + 1 + (size_t)k < n ? hex(s[i + 1 + (size_t)k]) : -1;
			ZT_FUZZ_CHECK(h >= 0, "a bad \\u escape accepted");
			cp = cp << 4 | (uint32_t)h;
		}
		i += 4;
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			uint32_t lo = 0;
			ZT_FUZZ_CHECK(i + 6 < n && s[i + 1] == '\\' && s[i + 2] == 'u',
			              "an unpaired surrogate accepted");
			for (int k = 0; k < 4; k++) {
				int h = hex(s[i + 3 + (size_t)k]);
				ZT_FUZZ_CHECK(h >= 0, "a bad \\u escape accepted");
				lo = lo << 4 | (uint32_t)h;
			}
			ZT_FUZZ_CHECK(lo >= 0xDC00 && lo <= 0xDFFF, "an unpaired surrogate accepted");
			cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			i += 6;
		}
		put_utf8(out, cp);
	}
}

static void literal_at(const char *text, size_t size, size_t offset, const char *want,
                       size_t want_bytes, const char *what)
{
	struct buf b = {0};
	decode_literal(&b, text + offset, size - offset);
	ZT_FUZZ_CHECK(b.n == want_bytes && memcmp(b.p, want, want_bytes) == 0,
	              "%s at byte %zu reads '%s', the tree says '%s'", what, offset, b.p, want);
	free(b.p);
}

struct ctx {
	const char *text;
	size_t size;
	const struct zt_json_limits *lim;
	bool integers_only;
};

static void check_text(const char *t, size_t bytes, size_t chars, size_t lim, const char *what)
{
	size_t c = 0;
	ZT_FUZZ_CHECK(zt_json_utf8_check(&c, NULL, t, bytes) == 0, "%s is not UTF-8", what);
	ZT_FUZZ_CHECK(c == chars, "%s: %zu characters counted as %zu", what, c, chars);
	ZT_FUZZ_CHECK(strlen(t) == bytes, "%s holds U+0000", what);
	ZT_FUZZ_CHECK(chars <= lim, "%s of %zu characters is over the limit", what, chars);
}

static void walk(struct ctx *c, const struct zt_json *v, unsigned depth, size_t *values)
{
	(*values)++;
	ZT_FUZZ_CHECK(v->offset < c->size, "offset %zu past the body", v->offset);
	char at = c->text[v->offset];
	switch (v->type) {
	case ZT_JSON_NULL: ZT_FUZZ_CHECK(at == 'n', "null at '%c'", at); break;
	case ZT_JSON_TRUE: ZT_FUZZ_CHECK(at == 't', "true at '%c'", at); break;
	case ZT_JSON_FALSE: ZT_FUZZ_CHECK(at == 'f', "false at '%c'", at); break;
	case ZT_JSON_NUMBER:
		ZT_FUZZ_CHECK(json_number(v->text, v->bytes), "number '%s'", v->text);
		ZT_FUZZ_CHECK(v->bytes <= c->size - v->offset &&
		                  memcmp(c->text + v->offset, v->text, v->bytes) == 0,
		              "number '%s' is not at byte %zu", v->text, v->offset);
		ZT_FUZZ_CHECK(strlen(v->text) == v->bytes && v->chars == v->bytes, "number '%s'", v->text);
		ZT_FUZZ_CHECK(v->bytes <= c->lim->string_chars_max, "number of %zu characters", v->bytes);
		if (c->integers_only) {
			int64_t x;
			c->integers_only = zt_json_to_int(&x, v, "n", INT64_MIN, INT64_MAX) == 0;
		}
		break;
	case ZT_JSON_STRING:
		ZT_FUZZ_CHECK(at == '"', "a string at '%c' (byte %zu)", at, v->offset);
		check_text(v->text, v->bytes, v->chars, c->lim->string_chars_max, "a string");
		literal_at(c->text, c->size, v->offset, v->text, v->bytes, "the string");
		break;
	case ZT_JSON_ARRAY:
		ZT_FUZZ_CHECK(at == '[', "an array at '%c'", at);
		ZT_FUZZ_CHECK(depth < c->lim->depth_max, "nested %u deep", depth + 1);
		ZT_FUZZ_CHECK(v->count <= c->lim->elements_max, "%zu elements", v->count);
		for (size_t i = 0; i < v->count; i++)
			walk(c, v->items[i], depth + 1, values);
		break;
	case ZT_JSON_OBJECT:
		ZT_FUZZ_CHECK(at == '{', "an object at '%c'", at);
		ZT_FUZZ_CHECK(depth < c->lim->depth_max, "nested %u deep", depth + 1);
		ZT_FUZZ_CHECK(v->count <= c->lim->members_max, "%zu members", v->count);
		for (size_t i = 0; i < v->count; i++) {
			const struct zt_json_member *m = &v->members[i];
			ZT_FUZZ_CHECK(m->offset < v->members[i].value->offset && c->text[m->offset] == '"',
			              "key '%s' at byte %zu", m->key, m->offset);
			size_t chars = 0;
			ZT_FUZZ_CHECK(zt_json_utf8_check(&chars, NULL, m->key, m->key_bytes) == 0,
			              "key is not UTF-8");
			check_text(m->key, m->key_bytes, chars, c->lim->string_chars_max, "a key");
			literal_at(c->text, c->size, m->offset, m->key, m->key_bytes, "the key");
			for (size_t k = 0; k < i; k++)
				ZT_FUZZ_CHECK(v->members[k].key_bytes != m->key_bytes ||
				                  memcmp(v->members[k].key, m->key, m->key_bytes) != 0,
				              "duplicate key '%s'", m->key);
			ZT_FUZZ_CHECK(zt_json_find(v, m->key) == m->value, "find '%s'", m->key);
			walk(c, m->value, depth + 1, values);
		}
		break;
	}
}

/* ---- the getters ---------------------------------------------------- */

static void refused(int rc, const char *what)
{
	ZT_FUZZ_CHECK(rc == ZT_EINVAL || rc == ZT_ERANGE, "%s: code %d", what, rc);
	ZT_FUZZ_CHECK(strncmp(zt_error_last(), "json: at byte ", 14) == 0, "%s: message '%s'", what,
	              zt_error_last());
}

/* An exact decimal read from `v`: its text, padded to `scale` decimals,
 * is what the formatter gives back. */
static void same_decimal(const struct zt_json *v, const char *formatted, int scale)
{
	char want[128];
	size_t n = v->bytes < 100 ? v->bytes : 100;
	memcpy(want, v->text, n);
	const char *dot = memchr(want, '.', n);
	size_t have = dot ? n - (size_t)(dot - want) - 1 : 0;
	if (!dot)
		want[n++] = '.';
	while (have++ < (size_t)scale)
		want[n++] = '0';
	want[n] = '\0';
	ZT_FUZZ_CHECK(strcmp(want, formatted) == 0, "'%s' read as %s", v->text, formatted);
}

static void getters(const struct zt_json *obj)
{
	for (size_t i = 0; i < obj->count; i++) {
		const char *k = obj->members[i].key;
		const struct zt_json *v = obj->members[i].value;
		if (strlen(k) != obj->members[i].key_bytes)
			continue;
		bool present = false, absent = v->type == ZT_JSON_NULL;
		char fmt[ZT_FMT_BYTES];
		int rc;

		zt_fen fen = -1;
		rc = zt_json_get_amount(&fen, &present, obj, k);
		ZT_FUZZ_CHECK(present == !absent, "'%s' present %d", k, present);
		if (rc)
			refused(rc, "amount");
		else if (present) {
			ZT_FUZZ_CHECK(fen >= 0 && fen <= ZT_FEN_MAX, "amount %lld", (long long)fen);
			same_decimal(v, zt_format_amount(fmt, fen), 2);
		}
		rc = zt_json_get_amount(&fen, NULL, obj, k);
		ZT_FUZZ_CHECK(!absent || rc == ZT_EINVAL, "a null '%s' is no amount", k);

		zt_q4 q = -1;
		rc = zt_json_get_q4(&q, &present, obj, k);
		if (rc)
			refused(rc, "number");
		else if (present) {
			ZT_FUZZ_CHECK(q >= 0 && q <= ZT_Q4_MAX, "number %lld", (long long)q);
			same_decimal(v, zt_format_q4(fmt, q), 4);
		}

		zt_bp r = -1;
		rc = zt_json_get_ratio(&r, &present, obj, k);
		if (rc)
			refused(rc, "ratio");
		else if (present) {
			ZT_FUZZ_CHECK(r >= 0 && r <= ZT_BP_ONE, "ratio %d", r);
			same_decimal(v, zt_format_ratio(fmt, r), 4);
		}

		zt_date d = 0;
		rc = zt_json_get_date(&d, &present, obj, k);
		if (rc)
			refused(rc, "date");
		else if (present)
			ZT_FUZZ_CHECK(zt_date_valid(d) && strcmp(zt_format_date(fmt, d), v->text) == 0,
			              "date '%s' read as %d", v->text, d);

		const char *t = NULL;
		rc = zt_json_get_text(&t, &present, obj, k, 8);
		if (rc)
			refused(rc, "text");
		else if (present)
			ZT_FUZZ_CHECK(t == v->text && v->chars >= 1 && v->chars <= 8, "text '%s'", t);

		int64_t x = 0;
		rc = zt_json_get_int(&x, &present, obj, k, -1000, 1000);
		if (rc)
			refused(rc, "int");
		else if (present) {
			char want[32];
			snprintf(want, sizeof want, "%lld", (long long)x);
			ZT_FUZZ_CHECK(x >= -1000 && x <= 1000 && strcmp(want, v->text) == 0,
			              "int '%s' read as %lld", v->text, (long long)x);
		}

		bool flag = false;
		rc = zt_json_get_bool(&flag, &present, obj, k);
		if (rc)
			refused(rc, "bool");
		else if (present)
			ZT_FUZZ_CHECK(flag == (v->type == ZT_JSON_TRUE), "bool");

		const struct zt_json *sub = NULL;
		rc = zt_json_get_object(&sub, &present, obj, k);
		ZT_FUZZ_CHECK(rc ? v->type != ZT_JSON_OBJECT && !absent
		                 : absent || (sub == v && v->type == ZT_JSON_OBJECT),
		              "object '%s'", k);
		rc = zt_json_get_array(&sub, &present, obj, k);
		ZT_FUZZ_CHECK(rc ? v->type != ZT_JSON_ARRAY && !absent
		                 : absent || (sub == v && v->type == ZT_JSON_ARRAY),
		              "array '%s'", k);
	}
	/* the members of a claim (docs/spec/service.md "Bodies") */
	static const char *const allowed[] = {"fixmedins_code", "claim_no", "psn_no", "adm_date",
	                                      "dscg_date", "dscg_maindiag_code", "medfee_sumamt",
	                                      "items", NULL};
	int rc = zt_json_check_members(obj, allowed);
	ZT_FUZZ_CHECK(rc == 0 || rc == ZT_EINVAL, "check_members %d", rc);
}

static void each_object(const struct zt_json *v)
{
	if (v->type == ZT_JSON_OBJECT)
		getters(v);
	for (size_t i = 0; v->type == ZT_JSON_ARRAY && i < v->count; i++)
		each_object(v->items[i]);
	for (size_t i = 0; v->type == ZT_JSON_OBJECT && i < v->count; i++)
		each_object(v->members[i].value);
}

/* ---- the target ------------------------------------------------------ */

static const struct zt_json_limits small = {
	.bytes_max = 512, .depth_max = 4, .members_max = 6, .elements_max = 8,
	.string_chars_max = 12, .values_max = 40};

static void refusal(int rc, size_t size)
{
	ZT_FUZZ_CHECK(rc == ZT_EMALFORMED || rc == ZT_ERANGE, "refused with %d", rc);
	size_t at = 0;
	ZT_FUZZ_CHECK(sscanf(zt_error_last(), "json: at byte %zu: ", &at) == 1,
	              "message '%s'", zt_error_last());
	ZT_FUZZ_CHECK(at <= size || rc == ZT_ERANGE, "at byte %zu of %zu", at, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1024 * 1024)
		return 0;
	const char *text = (const char *)data;
	struct zt_json_limits lim;
	zt_json_limits_default(&lim);
	struct zt_json_doc *doc = NULL, *doc_small = NULL, *again = NULL;
	int rc = zt_json_parse(&doc, text, size, &lim);
	if (rc) {
		ZT_FUZZ_CHECK(doc == NULL, "a refused body left a document");
		refusal(rc, size);
	}
	int rc_small = zt_json_parse(&doc_small, text, size, &small);
	if (rc_small) {
		refusal(rc_small, size);
		ZT_FUZZ_CHECK(rc == 0 || rc_small == rc || rc_small == ZT_ERANGE,
		              "limits changed the refusal: %d, %d", rc, rc_small);
	} else {
		ZT_FUZZ_CHECK(rc == 0, "refused (%d) under the larger limits only", rc);
		same_tree(zt_json_root(doc), zt_json_root(doc_small), "smaller limits");
	}
	zt_json_doc_free(doc_small);
	if (rc)
		return 0;

	const struct zt_json *root = zt_json_root(doc);
	struct ctx c = {.text = text, .size = size, .lim = &lim, .integers_only = true};
	size_t values = 0;
	walk(&c, root, 0, &values);
	ZT_FUZZ_CHECK(values <= lim.values_max, "%zu values", values);

	struct buf b = {0};
	serialise(&b, root);
	rc = zt_json_parse(&again, b.p, b.n, &lim);
	ZT_FUZZ_CHECK(rc == 0, "written again, refused: %s\n%s", zt_error_last(), b.p);
	same_tree(root, zt_json_root(again), "written again");
	zt_json_doc_free(again);
	free(b.p);

	if (c.integers_only) {
		for (int pretty = 0; pretty <= 1; pretty++) {
			struct zt_json_writer *w = NULL;
			ZT_FUZZ_CHECK(zt_json_writer_new(&w, pretty) == 0, "writer");
			ZT_FUZZ_CHECK(write_engine(w, root), "the writer refused: %s", zt_error_last());
			const char *out = NULL;
			size_t len = 0;
			ZT_FUZZ_CHECK(zt_json_writer_result(w, &out, &len) == 0, "writer: %s",
			              zt_error_last());
			again = NULL;
			rc = zt_json_parse(&again, out, len, &lim);
			ZT_FUZZ_CHECK(rc == 0, "the writer's text refused: %s\n%.*s", zt_error_last(),
			              (int)len, out);
			same_tree(root, zt_json_root(again), pretty ? "the writer, pretty" : "the writer");
			zt_json_doc_free(again);
			zt_json_writer_free(w);
		}
	}

	each_object(root);
	zt_json_doc_free(doc);
	return 0;
}
