/* zhitong — JSON bodies: a strict reader into a small owned tree, exact
 * decimals straight from a number's text, and a writer.
 *
 * docs/spec/service.md "Bodies": amounts, prices, quantities and ratios may
 * be JSON strings in the lexical forms of docs/spec/interfaces.md or JSON
 * numbers without an exponent; either way they are read from their text
 * and never pass through a binary fraction (the reader is built on yajl,
 * whose number callback hands over the number's text as written). `null`
 * means absent; unknown members and duplicate keys are refused; lengths
 * count characters, not bytes; only UTF-8 is taken.
 *
 * Reading:
 *
 *     struct zt_json_doc *doc = NULL;
 *     struct zt_json_limits lim;
 *     zt_json_limits_default(&lim);
 *     if ((rc = zt_json_parse(&doc, body, len, &lim)) != 0)
 *             ...;   // ZT_EMALFORMED or ZT_ERANGE, message "json: at byte N: ..."
 *     const struct zt_json *claim = zt_json_root(doc);
 *     static const char *const allowed[] = {"fixmedins_code", "medfee_sumamt", ..., NULL};
 *     rc = zt_json_check_members(claim, allowed);
 *     zt_fen total;
 *     rc = zt_json_get_amount(&total, NULL, claim, "medfee_sumamt");   // required
 *     zt_json_doc_free(doc);
 *
 * Every value of the tree lives as long as its document. */
#ifndef ZHITONG_JSON_H
#define ZHITONG_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "money.h"

enum zt_json_type {
	ZT_JSON_NULL,
	ZT_JSON_FALSE,
	ZT_JSON_TRUE,
	ZT_JSON_NUMBER, /* `text` is the number exactly as written */
	ZT_JSON_STRING, /* `text` is the decoded string, valid UTF-8, NUL-terminated */
	ZT_JSON_ARRAY,
	ZT_JSON_OBJECT,
};

struct zt_json_member;

/* One value. Strings and numbers keep their text; containers their
 * children in document order. */
struct zt_json {
	enum zt_json_type type;
	size_t offset;                  /* byte offset of the value in the body */
	const char *text;               /* string or number; NULL otherwise */
	size_t bytes;                   /* text's length in bytes */
	size_t chars;                   /* text's length in characters */
	size_t count;                   /* elements of an array, members of an object */
	const struct zt_json *const *items;     /* array */
	const struct zt_json_member *members;   /* object */
};

struct zt_json_member {
	const char *key; /* decoded, valid UTF-8, NUL-terminated */
	size_t key_bytes;
	size_t offset; /* byte offset of the key */
	const struct zt_json *value;
};

/* Limits enforced while parsing (defaults in limits.h, each with its
 * reason). A document over any of them is refused with ZT_ERANGE. */
struct zt_json_limits {
	size_t bytes_max;        /* the whole text */
	unsigned depth_max;      /* objects and arrays nested in each other */
	size_t members_max;      /* members of one object */
	size_t elements_max;     /* elements of one array */
	size_t string_chars_max; /* characters of one string, key or number */
	size_t values_max;       /* values in the whole document */
};
void zt_json_limits_default(struct zt_json_limits *out);

struct zt_json_doc;

/* Parses `n` bytes of `text` (need not be NUL-terminated). The text must
 * be strict UTF-8 (a leading byte-order mark is skipped) holding exactly one
 * JSON value: no comments, no trailing data, no duplicate keys, no U+0000
 * and no unpaired surrogate escape. Returns 0, ZT_EMALFORMED (not JSON, not
 * UTF-8, duplicate key) or ZT_ERANGE (over a limit), with the message
 * "json: at byte N: ...", or ZT_ENOMEM. */
int zt_json_parse(struct zt_json_doc **out, const char *text, size_t n,
                  const struct zt_json_limits *limits);
const struct zt_json *zt_json_root(const struct zt_json_doc *doc);
void zt_json_doc_free(struct zt_json_doc *doc);

/* The name of a type ("object", "string", ...), for messages. */
const char *zt_json_type_name(enum zt_json_type t);

/* The member `key` of object `obj`, NULL if absent (or obj is no object).
 * zt_json_find returns a JSON null as is; zt_json_member treats it as
 * absent. */
const struct zt_json *zt_json_find(const struct zt_json *obj, const char *key);
const struct zt_json *zt_json_member(const struct zt_json *obj, const char *key);

/* Refuses (ZT_EINVAL, "json: at byte N: unknown member 'x'") a member of
 * `obj` whose key is not in the NULL-terminated list `allowed`; ZT_EINVAL
 * too if `obj` is not an object. */
int zt_json_check_members(const struct zt_json *obj, const char *const *allowed);

/* Exact decimals from a value named `name` (for messages). A JSON string
 * must hold the lexical form of docs/spec/interfaces.md exactly (no white
 * space around it); a JSON number must have no sign, no exponent and no
 * more decimals than the form allows, and may have fewer (`8000.5` is the
 * amount 8000.50, `3` the quantity 3.0000). ZT_EINVAL or ZT_ERANGE with
 * "json: at byte N: 'name': ..." otherwise. */
int zt_json_to_amount(zt_fen *out, const struct zt_json *v, const char *name); /* 2 decimals */
int zt_json_to_q4(zt_q4 *out, const struct zt_json *v, const char *name);     /* ≤4 decimals */
int zt_json_to_ratio(zt_bp *out, const struct zt_json *v, const char *name);  /* 0..1, ≤4 */
/* A JSON string holding a real YYYY-MM-DD date. */
int zt_json_to_date(zt_date *out, const struct zt_json *v, const char *name);
/* A JSON string of 1..chars_max characters (0: no limit beyond the
 * parser's). */
int zt_json_to_text(const char **out, const struct zt_json *v, const char *name, size_t chars_max);
/* A JSON number that is an integer (no fraction, no exponent, no `-0`) in
 * min..max. */
int zt_json_to_int(int64_t *out, const struct zt_json *v, const char *name, int64_t min,
                   int64_t max);
int zt_json_to_bool(bool *out, const struct zt_json *v, const char *name);

/* The same on a member of an object. With `present` NULL the member is
 * required (absent or null: ZT_EINVAL "json: at byte N: 'key' is missing",
 * N the object's offset); otherwise *present tells whether it was there
 * and not null, and *out is untouched when it was not. */
int zt_json_get_amount(zt_fen *out, bool *present, const struct zt_json *obj, const char *key);
int zt_json_get_q4(zt_q4 *out, bool *present, const struct zt_json *obj, const char *key);
int zt_json_get_ratio(zt_bp *out, bool *present, const struct zt_json *obj, const char *key);
int zt_json_get_date(zt_date *out, bool *present, const struct zt_json *obj, const char *key);
int zt_json_get_text(const char **out, bool *present, const struct zt_json *obj, const char *key,
                     size_t chars_max);
int zt_json_get_int(int64_t *out, bool *present, const struct zt_json *obj, const char *key,
                    int64_t min, int64_t max);
int zt_json_get_bool(bool *out, bool *present, const struct zt_json *obj, const char *key);
/* A member that must be an object / an array. */
int zt_json_get_object(const struct zt_json **out, bool *present, const struct zt_json *obj,
                       const char *key);
int zt_json_get_array(const struct zt_json **out, bool *present, const struct zt_json *obj,
                      const char *key);

/* Strict UTF-8 (no overlong form, no surrogate, nothing above U+10FFFF):
 * 0 and the number of characters in *chars, or ZT_EINVAL with the offset
 * of the first bad byte in *bad_offset (either pointer may be NULL). */
int zt_json_utf8_check(size_t *chars, size_t *bad_offset, const char *s, size_t n);

/* ---- writing ---------------------------------------------------------
 *
 * Strings are escaped (and must be valid UTF-8), amounts are written as
 * strings with two decimals ("-1234.50" in a reversal), prices and
 * quantities with four, ratios with four. The first failing call is
 * remembered: every later call returns its code and does nothing, so a
 * writer can be driven without checking each call and asked once at the
 * end (zt_json_writer_result). */
struct zt_json_writer;

int zt_json_writer_new(struct zt_json_writer **out, bool pretty);
void zt_json_writer_free(struct zt_json_writer *w);
int zt_json_write_object_begin(struct zt_json_writer *w);
int zt_json_write_object_end(struct zt_json_writer *w);
int zt_json_write_array_begin(struct zt_json_writer *w);
int zt_json_write_array_end(struct zt_json_writer *w);
int zt_json_write_key(struct zt_json_writer *w, const char *key);
int zt_json_write_string(struct zt_json_writer *w, const char *s);
int zt_json_write_stringn(struct zt_json_writer *w, const char *s, size_t n);
int zt_json_write_amount(struct zt_json_writer *w, zt_fen v);
int zt_json_write_q4(struct zt_json_writer *w, zt_q4 v);
int zt_json_write_ratio(struct zt_json_writer *w, zt_bp v);
int zt_json_write_date(struct zt_json_writer *w, zt_date d);
int zt_json_write_int(struct zt_json_writer *w, int64_t v); /* a JSON number: counts, ids */
int zt_json_write_bool(struct zt_json_writer *w, bool v);
int zt_json_write_null(struct zt_json_writer *w);
/* The finished document (valid until the writer is freed), or the first
 * error; ZT_EINVAL if an object or array is still open. */
int zt_json_writer_result(const struct zt_json_writer *w, const char **text, size_t *len);

#endif
