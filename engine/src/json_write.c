/* zhitong — the JSON writer (see json.h), on yajl_gen.
 *
 * yajl_gen escapes strings (quote, backslash, control characters), checks
 * their UTF-8 and that every object member has a key. Numbers of money
 * never reach it as numbers: amounts, prices and ratios are written as
 * strings formatted by money.c, so a reader in any language gets the exact
 * decimal. Only counts and ids are JSON numbers (zt_json_write_int). */
#include "zhitong/json.h"

#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "zhitong/alloc.h"
#include "zhitong/error.h"

struct zt_json_writer {
	yajl_gen g;
	int rc;         /* the first error, sticky */
	unsigned depth; /* open objects and arrays */
};

int zt_json_writer_new(struct zt_json_writer **out, bool pretty)
{
	struct zt_json_writer *w = zt_calloc(1, sizeof *w);
	if (!w || !(w->g = yajl_gen_alloc(NULL))) {
		free(w);
		return zt_error_set(ZT_ENOMEM, "json: out of memory");
	}
	yajl_gen_config(w->g, yajl_gen_validate_utf8, 1);
	if (pretty) {
		yajl_gen_config(w->g, yajl_gen_beautify, 1);
		yajl_gen_config(w->g, yajl_gen_indent_string, "  ");
	}
	*out = w;
	return 0;
}

void zt_json_writer_free(struct zt_json_writer *w)
{
	if (!w)
		return;
	yajl_gen_free(w->g);
	free(w);
}

static int check(struct zt_json_writer *w, yajl_gen_status st, const char *what)
{
	if (st == yajl_gen_status_ok)
		return 0;
	const char *why;
	switch (st) {
	case yajl_gen_keys_must_be_strings: why = "an object member needs a key first"; break;
	case yajl_max_depth_exceeded: why = "nested too deep"; break;
	case yajl_gen_generation_complete: why = "the document is already complete"; break;
	case yajl_gen_invalid_string: why = "the string is not UTF-8"; break;
	default: why = "cannot be written here"; break;
	}
	w->rc = zt_error_set(st == yajl_gen_invalid_string ? ZT_EINVAL : ZT_EINTERNAL,
	                     "json: writing %s: %s", what, why);
	return w->rc;
}

#define STICKY(w)              \
	do {                       \
		if ((w)->rc)           \
			return (w)->rc;    \
	} while (0)

int zt_json_write_object_begin(struct zt_json_writer *w)
{
	STICKY(w);
	int rc = check(w, yajl_gen_map_open(w->g), "an object");
	w->depth += rc == 0;
	return rc;
}

int zt_json_write_object_end(struct zt_json_writer *w)
{
	STICKY(w);
	int rc = check(w, yajl_gen_map_close(w->g), "the end of an object");
	w->depth -= rc == 0;
	return rc;
}

int zt_json_write_array_begin(struct zt_json_writer *w)
{
	STICKY(w);
	int rc = check(w, yajl_gen_array_open(w->g), "an array");
	w->depth += rc == 0;
	return rc;
}

int zt_json_write_array_end(struct zt_json_writer *w)
{
	STICKY(w);
	int rc = check(w, yajl_gen_array_close(w->g), "the end of an array");
	w->depth -= rc == 0;
	return rc;
}

int zt_json_write_stringn(struct zt_json_writer *w, const char *s, size_t n)
{
	STICKY(w);
	/* Strictly: yajl's own check lets overlong forms and surrogates by. */
	if (zt_json_utf8_check(NULL, NULL, s, n) != 0)
		return check(w, yajl_gen_invalid_string, "a string");
	return check(w, yajl_gen_string(w->g, (const unsigned char *)s, n), "a string");
}

int zt_json_write_string(struct zt_json_writer *w, const char *s)
{
	return zt_json_write_stringn(w, s, strlen(s));
}

/* yajl_gen knows a key from a value by its place in the object. */
int zt_json_write_key(struct zt_json_writer *w, const char *key)
{
	return zt_json_write_string(w, key);
}

int zt_json_write_amount(struct zt_json_writer *w, zt_fen v)
{
	char buf[ZT_FMT_BYTES];
	return zt_json_write_string(w, zt_format_amount(buf, v));
}

int zt_json_write_q4(struct zt_json_writer *w, zt_q4 v)
{
	char buf[ZT_FMT_BYTES];
	return zt_json_write_string(w, zt_format_q4(buf, v));
}

int zt_json_write_ratio(struct zt_json_writer *w, zt_bp v)
{
	char buf[ZT_FMT_BYTES];
	return zt_json_write_string(w, zt_format_ratio(buf, v));
}

int zt_json_write_date(struct zt_json_writer *w, zt_date d)
{
	char buf[ZT_FMT_BYTES];
	return zt_json_write_string(w, zt_format_date(buf, d));
}

int zt_json_write_int(struct zt_json_writer *w, int64_t v)
{
	STICKY(w);
	return check(w, yajl_gen_integer(w->g, (long long)v), "a number");
}

int zt_json_write_bool(struct zt_json_writer *w, bool v)
{
	STICKY(w);
	return check(w, yajl_gen_bool(w->g, v), "a boolean");
}

int zt_json_write_null(struct zt_json_writer *w)
{
	STICKY(w);
	return check(w, yajl_gen_null(w->g), "null");
}

int zt_json_writer_result(const struct zt_json_writer *w, const char **text, size_t *len)
{
	if (w->rc)
		return w->rc;
	if (w->depth)
		return zt_error_set(ZT_EINVAL, "json: %u objects or arrays are still open", w->depth);
	const unsigned char *buf = NULL;
	size_t n = 0;
	if (yajl_gen_get_buf(w->g, &buf, &n) != yajl_gen_status_ok || n == 0)
		return zt_error_set(ZT_EINVAL, "json: nothing was written");
	*text = (const char *)buf;
	*len = n;
	return 0;
}
