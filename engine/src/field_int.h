/* zhitong — private helpers for reading validated XML documents value by
 * value (policy.c, registry.c).
 *
 * Every error they raise names the file, the line and the field, in the
 * form docs/spec/interfaces.md asks of policy and registry loading:
 *   "rules/x.xml:12: <tier upto>: tiers must increase (50000.00 after 60000.00)"
 * The field is "<element attribute>", or "<element>" when the element as a
 * whole is at fault. */
#ifndef ZHITONG_FIELD_INT_H
#define ZHITONG_FIELD_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

#include "zhitong/policy.h"

/* The element's line as libxml2 recorded it (the end of its start tag). */
long zt_field_line(const xmlNode *n);

/* Sets "FILE:LINE: <elem attr>: message" and returns `code`. */
int zt_field_fail(int code, const char *file, const xmlNode *n, const char *attr,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Puts "FILE:LINE: <elem attr>: " in front of the message a callee (a
 * zt_parse_* function) has just set, and returns `code`. */
int zt_field_wrap(int code, const char *file, const xmlNode *n, const char *attr);

/* True if `n` is an element named `name` in namespace `ns`. */
bool zt_field_is(const xmlNode *n, const char *ns, const char *name);

/* The next element sibling from `n` on (n itself if it is one), or NULL:
 * comments and white space between elements are skipped. */
const xmlNode *zt_field_element(const xmlNode *n);

/* The attribute's value, or NULL when it is absent; an absent `required`
 * attribute is an error. */
int zt_field_raw(const char **out, const char *file, const xmlNode *n, const char *attr,
                 bool required);

/* The attribute as xs:token sees it (ends trimmed, inner runs of white space
 * collapsed to one space) copied into dst. Refuses an empty value, one
 * longer than max_chars characters or dst_bytes−1 bytes, and one holding a
 * control or invisible character (text.h, ZT_TEXT_LINE). When the attribute
 * is absent and not required, dst is left alone (it holds the default). */
int zt_field_token(char *dst, size_t dst_bytes, size_t max_chars, const char *file,
                   const xmlNode *n, const char *attr, bool required);

/* The same for an identifier (docs/spec/interfaces.md "Lexical rules"): no
 * white space inside either, no control or invisible character. */
int zt_field_ident(char *dst, size_t dst_bytes, size_t max_chars, const char *file,
                   const xmlNode *n, const char *attr, bool required);

/* A required attribute of exactly `ndigits` ASCII digits (county, fund
 * code) into dst, which holds ndigits + 1 bytes. */
int zt_field_digits(char *dst, size_t ndigits, const char *file, const xmlNode *n,
                    const char *attr);

/* A required integer attribute of one to nine digits within [min, max]. */
int zt_field_int(int *out, int min, int max, const char *file, const xmlNode *n,
                 const char *attr);

/* A required category attribute ("general", "poor", "lowinc", "destitute"). */
int zt_field_category(zt_category *out, const char *file, const xmlNode *n, const char *attr);

#endif
