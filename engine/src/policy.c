/* zhitong — reading a county's policy (urn:zhitong:policy:1, see policy.h).
 *
 * The document is validated against schema/policy.xsd before a value is
 * read; this file then converts every value exactly (money.h) and checks
 * the rules a schema cannot express (docs/spec/interfaces.md "Policy"). Everything
 * is read into a scratch struct that is copied out only when the whole
 * policy is good, so a refused file leaves the caller's struct alone. */
#include "zhitong/policy.h"

#include <stdlib.h>
#include <string.h>

#include "zhitong/alloc.h"
#include "zhitong/error.h"
#include "zhitong/xml.h"
#include "field_int.h"

const char *const zt_category_names[ZT_CAT_COUNT] = {
	[ZT_CAT_GENERAL] = "general",
	[ZT_CAT_POOR] = "poor",
	[ZT_CAT_LOWINC] = "lowinc",
	[ZT_CAT_DESTITUTE] = "destitute",
};

int zt_category_parse(const char *s, size_t n)
{
	for (int c = 0; c < ZT_CAT_COUNT; c++)
		if (strlen(zt_category_names[c]) == n && memcmp(zt_category_names[c], s, n) == 0)
			return c;
	return -1;
}

const char *zt_category_name(zt_category c)
{
	return (unsigned)c < ZT_CAT_COUNT ? zt_category_names[c] : "?";
}

const char *zt_policy_mode_name(enum zt_policy_mode m)
{
	return m == ZT_MODE_SUPPLEMENTARY ? "supplementary" : "full";
}

int zt_policy_funds(const struct zt_policy *p, const char *codes[3 + ZT_RELIEF_MAX])
{
	int n = 0;
	bool national = p->mode == ZT_MODE_SUPPLEMENTARY;
	codes[n++] = national ? p->national_basic_fund : p->basic_fund;
	codes[n++] = national ? p->national_critical_fund : p->critical_fund;
	codes[n++] = national ? p->national_assistance_fund : p->assistance_fund;
	for (int i = 0; i < p->relief_count && i < ZT_RELIEF_MAX; i++)
		codes[n++] = p->relief[i].fund;
	return n;
}

/* ---- reading ------------------------------------------------------ */

/* Where each fund code was named, so a repeat can point at the first. */
struct fund_use {
	const char *code;
	const xmlNode *node;
};

struct reader {
	const char *file;
	struct zt_policy *p;
	int fund_count;
	struct fund_use funds[3 + ZT_RELIEF_MAX];
};

/* Either version's namespace: the document was validated against the
 * schema of its root's namespace, so its elements are all of one. */
static bool named(const xmlNode *n, const char *name)
{
	return zt_field_is(n, ZT_POLICY_NS, name) || zt_field_is(n, ZT_POLICY_NS_V2, name);
}

static const xmlNode *first_child(const xmlNode *n) { return zt_field_element(n->children); }
static const xmlNode *next_sibling(const xmlNode *n) { return zt_field_element(n->next); }

static int unexpected(const struct reader *r, const xmlNode *n)
{
	return zt_field_fail(ZT_EINVAL, r->file, n, NULL, "element not allowed here");
}

/* The numeric readers leave *out (the default) alone when an optional
 * attribute is absent. */
#define DEFINE_READER(fn, type, parse)                                                     \
	static int fn(type *out, const struct reader *r, const xmlNode *n, const char *attr, \
	              bool required)                                                       \
	{                                                                                  \
		const char *v;                                                             \
		int rc = zt_field_raw(&v, r->file, n, attr, required);                     \
		if (rc || !v)                                                              \
			return rc;                                                         \
		type x;                                                                    \
		rc = parse(&x, v, strlen(v));                                              \
		if (rc)                                                                    \
			return zt_field_wrap(rc, r->file, n, attr);                        \
		*out = x;                                                                  \
		return 0;                                                                  \
	}
DEFINE_READER(read_amount, zt_fen, zt_parse_amount)
DEFINE_READER(read_cap, zt_fen, zt_parse_cap)
DEFINE_READER(read_ratio, zt_bp, zt_parse_ratio)
DEFINE_READER(read_factor, zt_bp, zt_parse_factor)
DEFINE_READER(read_date, zt_date, zt_parse_date)
#undef DEFINE_READER

static int read_flag(bool *out, const struct reader *r, const xmlNode *n, const char *attr)
{
	char v[8];
	if (!zt_xml_attr(n, attr))
		return 0;
	int rc = zt_field_token(v, sizeof v, 5, r->file, n, attr, false);
	if (rc)
		return rc;
	if (strcmp(v, "true") == 0)
		*out = true;
	else if (strcmp(v, "false") == 0)
		*out = false;
	else
		return zt_field_fail(ZT_EINVAL, r->file, n, attr, "'%s' is not true or false", v);
	return 0;
}

static bool has(const xmlNode *n, const char *attr) { return zt_xml_attr(n, attr) != NULL; }

/* "poor lowinc": each category at most once, at least one. */
static int read_categories(bool out[ZT_CAT_COUNT], const struct reader *r, const xmlNode *n,
                           const char *attr)
{
	const char *v;
	int rc = zt_field_raw(&v, r->file, n, attr, true);
	if (rc)
		return rc;
	bool set[ZT_CAT_COUNT] = {false};
	int count = 0;
	for (const char *s = v; *s;) {
		size_t len = strcspn(s, " \t\r\n");
		if (len == 0) {
			s++;
			continue;
		}
		int c = zt_category_parse(s, len);
		if (c < 0)
			return zt_field_fail(ZT_EINVAL, r->file, n, attr,
			                     "unknown category '%.*s' (general, poor, lowinc or destitute)",
			                     (int)(len > 40 ? 40 : len), s);
		if (set[c])
			return zt_field_fail(ZT_EINVAL, r->file, n, attr, "category '%s' is named twice",
			                     zt_category_names[c]);
		set[c] = true;
		count++;
		s += len;
	}
	if (count == 0)
		return zt_field_fail(ZT_EINVAL, r->file, n, attr, "names no category");
	memcpy(out, set, sizeof set);
	return 0;
}

/* A fund code, distinct from every fund named before it in the policy. */
static int read_fund_attr(char out[ZT_FUND_CODE_BYTES], struct reader *r, const xmlNode *n,
                          const char *attr)
{
	int rc = zt_field_digits(out, ZT_FUND_CODE_BYTES - 1, r->file, n, attr);
	if (rc)
		return rc;
	for (int i = 0; i < r->fund_count; i++)
		if (strcmp(r->funds[i].code, out) == 0)
			return zt_field_fail(ZT_EINVAL, r->file, n, attr,
			                     "fund %s is already used by <%s> on line %ld; "
			                     "fund codes must be distinct within a policy",
			                     out, (const char *)r->funds[i].node->name,
			                     zt_field_line(r->funds[i].node));
	if (r->fund_count >= (int)(sizeof r->funds / sizeof *r->funds))
		return zt_field_fail(ZT_EINTERNAL, r->file, n, attr, "too many funds");
	r->funds[r->fund_count++] = (struct fund_use){out, n};
	return 0;
}

static int read_fund(char out[ZT_FUND_CODE_BYTES], struct reader *r, const xmlNode *n)
{
	return read_fund_attr(out, r, n, "fund");
}

/* A supplementary policy's <national-funds basic critical assistance>. */
static int read_national_funds(struct reader *r, const xmlNode *n)
{
	struct zt_policy *p = r->p;
	int rc = read_fund_attr(p->national_basic_fund, r, n, "basic");
	if (!rc)
		rc = read_fund_attr(p->national_critical_fund, r, n, "critical");
	if (!rc)
		rc = read_fund_attr(p->national_assistance_fund, r, n, "assistance");
	return rc;
}

/* The <tier> children of `parent`, in order: `upto` strictly increasing
 * and only the last tier open (docs/spec/split.md §3). `*count` may end 0; the
 * caller decides whether an empty list is allowed. */
static int read_tiers(struct zt_tier tiers[ZT_TIERS_MAX], int *count, const struct reader *r,
                      const xmlNode *parent)
{
	int k = 0;
	const xmlNode *last = NULL;
	char a[ZT_FMT_BYTES], b[ZT_FMT_BYTES];
	for (const xmlNode *n = first_child(parent); n; n = next_sibling(n)) {
		if (!named(n, "tier"))
			continue;
		if (k == ZT_TIERS_MAX)
			return zt_field_fail(ZT_EINVAL, r->file, n, NULL, "more than %d tiers",
			                     ZT_TIERS_MAX);
		/* whole bytes, padding too: a parsed policy compares with memcmp */
		struct zt_tier t;
		memset(&t, 0, sizeof t);
		t.upto_fen = ZT_CAP_NONE;
		int rc = read_amount(&t.upto_fen, r, n, "upto", false);
		if (!rc)
			rc = read_ratio(&t.ratio_bp, r, n, "ratio", true);
		if (rc)
			return rc;
		if (k > 0 && tiers[k - 1].upto_fen == ZT_CAP_NONE)
			return zt_field_fail(ZT_EINVAL, r->file, last, "upto",
			                     "only the last tier may be open, but another <tier> "
			                     "follows on line %ld", zt_field_line(n));
		if (k > 0 && t.upto_fen != ZT_CAP_NONE && t.upto_fen <= tiers[k - 1].upto_fen)
			return zt_field_fail(ZT_EINVAL, r->file, n, "upto",
			                     "tiers must increase (%s after %s)",
			                     zt_format_amount(a, t.upto_fen),
			                     zt_format_amount(b, tiers[k - 1].upto_fen));
		memcpy(&tiers[k++], &t, sizeof t);
		last = n;
	}
	if (k > 0 && tiers[k - 1].upto_fen != ZT_CAP_NONE)
		return zt_field_fail(ZT_EINVAL, r->file, last, "upto",
		                     "the last tier must be open (no upto), so that every amount "
		                     "above %s is covered",
		                     zt_format_amount(a, tiers[k - 1].upto_fen));
	*count = k;
	return 0;
}

/* A category named by one <adjust> (or assistance <category>) of an
 * element may not be named by another. */
static int read_unique_category(zt_category *out, const xmlNode *seen[ZT_CAT_COUNT],
                                const struct reader *r, const xmlNode *n, const char *attr)
{
	int rc = zt_field_category(out, r->file, n, attr);
	if (rc)
		return rc;
	if (seen[*out])
		return zt_field_fail(ZT_EINVAL, r->file, n, attr,
		                     "category '%s' already has a <%s> on line %ld",
		                     zt_category_names[*out], (const char *)seen[*out]->name,
		                     zt_field_line(seen[*out]));
	seen[*out] = n;
	return 0;
}

static int read_items(struct reader *r, const xmlNode *n)
{
	return read_ratio(&r->p->b_selfpay_ratio_bp, r, n, "b-selfpay-ratio", true);
}

static int read_basic(struct reader *r, const xmlNode *basic)
{
	struct zt_policy *p = r->p;
	int rc = read_fund(p->basic_fund, r, basic);
	if (!rc)
		rc = read_cap(&p->basic_annual_cap_fen, r, basic, "annual-cap", false);
	if (rc)
		return rc;
	const xmlNode *level_at[ZT_LEVELS] = {NULL};
	const xmlNode *adjust_at[ZT_CAT_COUNT] = {NULL};
	for (const xmlNode *n = first_child(basic); n; n = next_sibling(n)) {
		if (named(n, "level")) {
			int code;
			rc = zt_field_int(&code, 1, ZT_LEVELS, r->file, n, "code");
			if (rc)
				return rc;
			if (level_at[code - 1])
				return zt_field_fail(ZT_EINVAL, r->file, n, "code",
				                     "level %d appears twice (first on line %ld)", code,
				                     zt_field_line(level_at[code - 1]));
			level_at[code - 1] = n;
			struct zt_level *l = &p->levels[code - 1];
			rc = read_amount(&l->deductible_fen, r, n, "deductible", true);
			if (!rc)
				rc = read_ratio(&l->ratio_bp, r, n, "ratio", true);
		} else if (named(n, "adjust")) {
			zt_category c;
			rc = read_unique_category(&c, adjust_at, r, n, "category");
			if (rc)
				return rc;
			struct zt_basic_adjust *a = &p->basic_adjust[c];
			a->present = true;
			a->deductible_factor_bp = ZT_BP_ONE;
			a->ratio_bonus_bp = 0;
			a->in_county_only = false;
			rc = read_factor(&a->deductible_factor_bp, r, n, "deductible-factor", false);
			if (!rc)
				rc = read_ratio(&a->ratio_bonus_bp, r, n, "ratio-bonus", false);
			if (!rc)
				rc = read_flag(&a->in_county_only, r, n, "in-county-only");
		} else {
			rc = unexpected(r, n);
		}
		if (rc)
			return rc;
	}
	for (int l = 0; l < ZT_LEVELS; l++)
		if (!level_at[l])
			return zt_field_fail(ZT_EINVAL, r->file, basic, NULL,
			                     "level %d is missing (all four levels are required)", l + 1);
	return 0;
}

static int read_critical(struct reader *r, const xmlNode *critical)
{
	struct zt_policy *p = r->p;
	int rc = read_fund(p->critical_fund, r, critical);
	if (!rc)
		rc = read_amount(&p->critical_threshold_fen, r, critical, "threshold", true);
	if (!rc)
		rc = read_cap(&p->critical_annual_cap_fen, r, critical, "annual-cap", false);
	if (!rc)
		rc = read_flag(&p->critical_include_preselfpay, r, critical, "include-preselfpay");
	if (!rc)
		rc = read_tiers(p->tiers, &p->tier_count, r, critical);
	if (rc)
		return rc;
	if (p->tier_count == 0)
		return zt_field_fail(ZT_EINVAL, r->file, critical, NULL, "at least one <tier> is required");
	const xmlNode *adjust_at[ZT_CAT_COUNT] = {NULL};
	for (const xmlNode *n = first_child(critical); n; n = next_sibling(n)) {
		if (named(n, "tier"))
			continue;
		if (!named(n, "adjust"))
			return unexpected(r, n);
		zt_category c;
		rc = read_unique_category(&c, adjust_at, r, n, "category");
		if (rc)
			return rc;
		struct zt_critical_adjust *a = &p->critical_adjust[c];
		a->present = true;
		a->has_threshold = has(n, "threshold");
		a->has_annual_cap = has(n, "annual-cap");
		/* Absent means the policy's own; holding it here too keeps a
		 * reader that forgets has_* from paying on 0. */
		a->threshold_fen = p->critical_threshold_fen;
		a->annual_cap_fen = p->critical_annual_cap_fen;
		rc = read_amount(&a->threshold_fen, r, n, "threshold", false);
		if (!rc)
			rc = read_ratio(&a->ratio_bonus_bp, r, n, "ratio-bonus", false);
		if (!rc)
			rc = read_cap(&a->annual_cap_fen, r, n, "annual-cap", false);
		if (!rc)
			rc = read_flag(&a->in_county_only, r, n, "in-county-only");
		if (!rc)
			rc = read_tiers(a->tiers, &a->tier_count, r, n);
		if (rc)
			return rc;
		for (const xmlNode *t = first_child(n); t; t = next_sibling(t))
			if (!named(t, "tier"))
				return unexpected(r, t);
	}
	return 0;
}

static int read_assistance(struct reader *r, const xmlNode *assistance)
{
	struct zt_policy *p = r->p;
	int rc = read_fund(p->assistance_fund, r, assistance);
	if (!rc)
		rc = read_flag(&p->assistance_include_preselfpay, r, assistance, "include-preselfpay");
	if (rc)
		return rc;
	const xmlNode *seen[ZT_CAT_COUNT] = {NULL};
	for (const xmlNode *n = first_child(assistance); n; n = next_sibling(n)) {
		if (!named(n, "category"))
			return unexpected(r, n);
		zt_category c;
		rc = read_unique_category(&c, seen, r, n, "code");
		if (rc)
			return rc;
		struct zt_assist_category *a = &p->assistance[c];
		a->present = true;
		a->deductible_fen = 0;
		a->annual_cap_fen = ZT_CAP_NONE;
		rc = read_amount(&a->deductible_fen, r, n, "deductible", false);
		if (!rc)
			rc = read_ratio(&a->ratio_bp, r, n, "ratio", true);
		if (!rc)
			rc = read_cap(&a->annual_cap_fen, r, n, "annual-cap", false);
		if (rc)
			return rc;
	}
	return 0;
}

static int read_personal_cap(struct reader *r, const xmlNode *n)
{
	struct zt_policy *p = r->p;
	p->has_cap_in_county = has(n, "in-county");
	p->has_cap_out_of_county = has(n, "out-of-county");
	int rc = read_categories(p->cap_categories, r, n, "categories");
	if (!rc)
		rc = read_ratio(&p->cap_in_county_bp, r, n, "in-county", false);
	if (!rc)
		rc = read_ratio(&p->cap_out_of_county_bp, r, n, "out-of-county", false);
	return rc;
}

static int read_relief(struct reader *r, const xmlNode *n)
{
	struct zt_policy *p = r->p;
	if (p->relief_count == ZT_RELIEF_MAX)
		return zt_field_fail(ZT_EINVAL, r->file, n, NULL, "more than %d relief funds",
		                     ZT_RELIEF_MAX);
	struct zt_relief *f = &p->relief[p->relief_count++];
	f->in_county_only = true;
	f->ratio_bp = ZT_BP_ONE;
	f->annual_cap_fen = ZT_CAP_NONE;
	int rc = read_fund(f->fund, r, n);
	if (!rc)
		rc = zt_field_token(f->name, sizeof f->name, ZT_NAME_CHARS_MAX, r->file, n, "name",
		                    false);
	if (!rc)
		rc = read_categories(f->categories, r, n, "categories");
	if (!rc)
		rc = read_flag(&f->in_county_only, r, n, "in-county-only");
	if (!rc)
		rc = read_ratio(&f->ratio_bp, r, n, "ratio", false);
	if (!rc)
		rc = read_cap(&f->annual_cap_fen, r, n, "annual-cap", false);
	return rc;
}

static int read_remainder(struct reader *r, const xmlNode *n)
{
	char to[16];
	int rc = zt_field_token(to, sizeof to, 8, r->file, n, "to", true);
	if (rc)
		return rc;
	if (strcmp(to, "patient") == 0)
		r->p->remainder = ZT_REMAINDER_PATIENT;
	else if (strcmp(to, "hospital") == 0)
		r->p->remainder = ZT_REMAINDER_HOSPITAL;
	else
		return zt_field_fail(ZT_EINVAL, r->file, n, "to", "'%s' is not patient or hospital", to);
	return 0;
}

static int read_header(struct reader *r, const xmlNode *root)
{
	struct zt_policy *p = r->p;
	const char *f = r->file;
	int rc = zt_field_ident(p->id, sizeof p->id, ZT_NAME_CHARS_MAX, f, root, "id", true);
	if (!rc)
		rc = zt_field_token(p->name, sizeof p->name, ZT_NAME_CHARS_MAX, f, root, "name", true);
	if (!rc)
		rc = zt_field_digits(p->county, ZT_COUNTY_BYTES - 1, f, root, "county");
	if (!rc)
		rc = read_date(&p->effective_from, r, root, "effective-from", true);
	if (!rc)
		rc = read_date(&p->effective_to, r, root, "effective-to", false);
	if (rc)
		return rc;
	if (p->effective_to != 0 && p->effective_to < p->effective_from) {
		char a[ZT_FMT_BYTES], b[ZT_FMT_BYTES];
		return zt_field_fail(ZT_EINVAL, f, root, "effective-to",
		                     "%s is before effective-from %s",
		                     zt_format_date(a, p->effective_to),
		                     zt_format_date(b, p->effective_from));
	}
	return 0;
}

/* v2's mode="full|supplementary" (absent: full). */
static int read_mode(struct reader *r, const xmlNode *root)
{
	char v[16];
	r->p->mode = ZT_MODE_FULL;
	if (!zt_xml_attr(root, "mode"))
		return 0;
	int rc = zt_field_token(v, sizeof v, 13, r->file, root, "mode", false);
	if (rc)
		return rc;
	if (strcmp(v, "supplementary") == 0)
		r->p->mode = ZT_MODE_SUPPLEMENTARY;
	else if (strcmp(v, "full") != 0)
		return zt_field_fail(ZT_EINVAL, r->file, root, "mode", "'%s' is not full or supplementary",
		                     v);
	return 0;
}

/* The funds part after <items>: <basic> <critical> <assistance> in a full
 * policy, <national-funds> in a supplementary one. Returns the element
 * after it in *next. */
static int read_funds_part(struct reader *r, const xmlNode *root, const xmlNode *n,
                           const xmlNode **next)
{
	static const char *const required[] = {"basic", "critical", "assistance"};
	int (*const readers[])(struct reader *, const xmlNode *) = {read_basic, read_critical,
	                                                            read_assistance};
	int rc;
	if (r->p->mode == ZT_MODE_SUPPLEMENTARY) {
		for (size_t i = 0; i < sizeof required / sizeof *required; i++)
			if (named(n, required[i]))
				return zt_field_fail(ZT_EINVAL, r->file, n, NULL,
				                     "a supplementary policy has no <%s>: the national "
				                     "platform settles it (name its fund in <national-funds>)",
				                     required[i]);
		if (!named(n, "national-funds"))
			return zt_field_fail(ZT_EINVAL, r->file, n ? n : root, NULL,
			                     "<national-funds> expected");
		if ((rc = read_national_funds(r, n)))
			return rc;
		*next = next_sibling(n);
		return 0;
	}
	if (named(n, "national-funds"))
		return zt_field_fail(ZT_EINVAL, r->file, n, NULL,
		                     "<national-funds> belongs to a supplementary policy "
		                     "(mode=\"supplementary\"); a full one has <basic>, <critical> and "
		                     "<assistance>");
	for (size_t i = 0; i < sizeof required / sizeof *required; i++, n = next_sibling(n)) {
		if (!named(n, required[i]))
			return zt_field_fail(ZT_EINVAL, r->file, n ? n : root, NULL, "<%s> expected",
			                     required[i]);
		if ((rc = readers[i](r, n)))
			return rc;
	}
	*next = n;
	return 0;
}

static int read_policy(struct reader *r, const xmlNode *root, int version)
{
	struct zt_policy *p = r->p;
	memset(p, 0, sizeof *p);
	p->basic_annual_cap_fen = ZT_CAP_NONE;
	p->critical_annual_cap_fen = ZT_CAP_NONE;
	p->remainder = ZT_REMAINDER_PATIENT;
	p->version = version;

	if (!zt_field_is(root, version == 2 ? ZT_POLICY_NS_V2 : ZT_POLICY_NS, "policy"))
		return zt_field_fail(ZT_EINVAL, r->file, root, NULL,
		                     "the root must be a v1 or v2 <policy>");
	int rc = read_header(r, root);
	if (!rc && version == 2)
		rc = read_mode(r, root);
	if (rc)
		return rc;

	/* The parts every policy has, in this order (the XSD's sequence). */
	const xmlNode *n = first_child(root);
	if (!named(n, "items"))
		return zt_field_fail(ZT_EINVAL, r->file, n ? n : root, NULL, "<items> expected");
	if ((rc = read_items(r, n)) || (rc = read_funds_part(r, root, next_sibling(n), &n)))
		return rc;
	if (named(n, "personal-cap")) {
		rc = read_personal_cap(r, n);
		if (rc)
			return rc;
		n = next_sibling(n);
	}
	for (; named(n, "relief"); n = next_sibling(n)) {
		rc = read_relief(r, n);
		if (rc)
			return rc;
	}
	if (named(n, "remainder")) {
		rc = read_remainder(r, n);
		if (rc)
			return rc;
		n = next_sibling(n);
	}
	if (n)
		return unexpected(r, n);
	return 0;
}

int zt_policy_parse(struct zt_policy *out, const char *xml, size_t len, const char *filename)
{
	xmlDocPtr doc = NULL;
	struct zt_policy *p = NULL;
	if (!filename)
		filename = "(policy)";
	struct reader r = {.file = filename};
	static const char *const ns[] = {ZT_POLICY_NS, ZT_POLICY_NS_V2};
	static const enum zt_schema_id ids[] = {ZT_SCHEMA_POLICY, ZT_SCHEMA_POLICY_V2};
	int which = 0;
	int rc = zt_xml_parse_doc_versions(&doc, &which, xml, len, filename, ns, ids, 2);
	if (rc)
		goto done;
	/* Several kilobytes: kept off the stack of callers that may be deep. */
	p = zt_malloc(sizeof *p);
	if (!p) {
		rc = zt_error_set(ZT_ENOMEM, "%s: out of memory", filename);
		goto done;
	}
	r.p = p;
	rc = read_policy(&r, xmlDocGetRootElement(doc), which + 1);
	if (rc == 0)
		*out = *p;
done:
	free(p);
	xmlFreeDoc(doc);
	return rc;
}

int zt_policy_parse_file(struct zt_policy *out, const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	int rc = zt_read_file(&buf, &len, path, ZT_DOC_BYTES_MAX);
	if (rc)
		goto done;
	rc = zt_policy_parse(out, buf, len, path);
done:
	free(buf);
	return rc;
}
