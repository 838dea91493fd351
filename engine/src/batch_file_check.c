/* zhitong — reading a payer file back (batch.h: zt_batch_file_check,
 * `batch verify`): as a stream, against payer-file.xsd, its header and
 * trailer against its records, its digest recomputed. No store. */
#include "zhitong/batch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/xmlreader.h>
#include <openssl/evp.h>

#include "batch_int.h"
#include "xml_int.h"
#include "zhitong/error.h"
#include "zhitong/sign.h"
#include "zhitong/xml.h"

#define X(s) BAD_CAST(s)

/* ---- reading a payer file back ------------------------------------------ */

/* What reading a payer file has found so far. */
struct check {
	const char *path;
	char first_error[400];
	int first_error_line;
	bool has_error;
	EVP_MD_CTX *sha;                /* of the records' digest lines */
	struct zt_batch_file_summary *out;
	int section;                    /* 1 header, 2 records, 3 trailer */
	int64_t h_count, t_count, np_count;
	zt_fen h_total, t_total, np_amount;
	char t_digest[ZT_BATCH_HEX_BYTES];
};

static void on_reader_error(void *data, xmlErrorPtr e)
{
	struct check *c = data;
	if (c->has_error || !e || e->level < XML_ERR_ERROR)
		return;
	c->has_error = true;
	c->first_error_line = e->line;
	snprintf(c->first_error, sizeof c->first_error, "%s", e->message ? e->message : "invalid");
	size_t l = strlen(c->first_error);
	while (l && (c->first_error[l - 1] == '\n' || c->first_error[l - 1] == ' '))
		c->first_error[--l] = '\0';
}

/* An attribute's value (NULL if absent); copied into buf. */
static const char *attr(xmlTextReaderPtr r, const char *name, char *buf, size_t cap)
{
	xmlChar *v = xmlTextReaderGetAttribute(r, X(name));
	if (!v)
		return NULL;
	snprintf(buf, cap, "%s", (const char *)v);
	xmlFree(v);
	return buf;
}

static int parse_amount(zt_fen *out, const char *s)
{
	bool neg = s[0] == '-';
	int rc = zt_parse_amount(out, s + neg, strlen(s + neg));
	if (rc == 0 && neg)
		*out = -*out;
	return rc;
}

/* One <record>: its digest line hashed, its amount summed. */
static int check_record(struct check *c, xmlTextReaderPtr r)
{
	char id[80], setl[40], rev[40], hosp[200], claim[200], psn[200], date[16], kind[16],
		amount[40], payable[8], line[ZT_BATCH_DIGEST_LINE_BYTES];
	zt_fen v = 0;
	if (!attr(r, "id", id, sizeof id) || !attr(r, "setl_id", setl, sizeof setl) ||
	    !attr(r, "fixmedins_code", hosp, sizeof hosp) ||
	    !attr(r, "claim_no", claim, sizeof claim) || !attr(r, "psn_no", psn, sizeof psn) ||
	    !attr(r, "dscg_date", date, sizeof date) || !attr(r, "kind", kind, sizeof kind) ||
	    !attr(r, "amount", amount, sizeof amount))
		return 0; /* the schema reports it */
	if (!attr(r, "reverses", rev, sizeof rev))
		rev[0] = '\0';
	bool pay = !attr(r, "payable", payable, sizeof payable) ||
	           !(strcmp(payable, "false") == 0 || strcmp(payable, "0") == 0);
	if (parse_amount(&v, amount) != 0)
		return zt_error_set(ZT_EINVAL, "%s: record '%s': amount '%s' is not an amount", c->path,
		                    id, amount);
	size_t n = zt_batch_digest_line(line, id, setl, rev, hosp, claim, psn, date, kind, amount,
	                                pay);
	if (EVP_DigestUpdate(c->sha, line, n) != 1)
		return zt_error_set(ZT_EINTERNAL, "SHA-256 failed");
	c->out->count++;
	zt_fen *sum = pay ? &c->out->total : &c->out->info_total;
	if (__builtin_add_overflow(*sum, v, sum))
		return zt_error_set(ZT_ERANGE, "%s: the total overflows", c->path);
	if (!pay)
		c->out->info_count++;
	return 0;
}

/* A value of the header or the trailer. */
static void check_value(struct check *c, xmlTextReaderPtr r, const char *name)
{
	char a1[256], a2[256];
	struct zt_batch_file_summary *out = c->out;
	if (!strcmp(name, "fund") && c->section == 1) {
		if (!attr(r, "code", out->fund_code, sizeof out->fund_code))
			out->fund_code[0] = '\0';
		return;
	}
	if (!strcmp(name, "not-payable")) {
		if (attr(r, "count", a1, sizeof a1) && attr(r, "amount", a2, sizeof a2)) {
			c->np_count = strtoll(a1, NULL, 10);
			if (parse_amount(&c->np_amount, a2) != 0)
				c->np_count = -2;
		}
		return;
	}
	xmlChar *text = xmlTextReaderReadString(r);
	const char *t = text ? (const char *)text : "";
	int64_t *count = c->section == 1 ? &c->h_count : &c->t_count;
	if (!strcmp(name, "batch"))
		snprintf(out->batch_id, sizeof out->batch_id, "%s", t);
	else if (!strcmp(name, "count"))
		*count = strtoll(t, NULL, 10);
	else if (!strcmp(name, "total") && parse_amount(c->section == 1 ? &c->h_total : &c->t_total, t))
		*count = -2;
	else if (!strcmp(name, "digest"))
		snprintf(c->t_digest, sizeof c->t_digest, "%s", t);
	xmlFree(text);
}

/* Reads the file through; 0 once it validated. */
static int check_read(struct check *c, xmlTextReaderPtr r)
{
	int step, rc;
	while ((step = xmlTextReaderRead(r)) == 1) {
		int type = xmlTextReaderNodeType(r);
		if (type == XML_READER_TYPE_DOCUMENT_TYPE)
			return zt_error_set(ZT_EMALFORMED, "%s: a DOCTYPE is not allowed", c->path);
		if (type != XML_READER_TYPE_ELEMENT)
			continue;
		int depth = xmlTextReaderDepth(r);
		const char *name = (const char *)xmlTextReaderConstLocalName(r);
		if (depth == 1)
			c->section = !strcmp(name, "header") ? 1 : !strcmp(name, "records") ? 2 : 3;
		else if (depth == 2 && c->section == 2 && (rc = check_record(c, r)))
			return rc;
		else if (depth == 2 && c->section != 2)
			check_value(c, r, name);
	}
	if (step < 0 || c->has_error || !xmlTextReaderIsValid(r)) {
		if (zt_xml_reader_refused_doctype())
			return zt_error_set(ZT_EMALFORMED, "%s: a DOCTYPE is not allowed", c->path);
		return zt_error_set(ZT_EINVAL, "%s:%d: %s", c->path, c->first_error_line,
		                    c->has_error ? c->first_error : "not a valid payer file");
	}
	return 0;
}

/* The header and the trailer against the records. */
static int check_agree(const struct check *c)
{
	const struct zt_batch_file_summary *out = c->out;
	char x1[ZT_FMT_BYTES], x2[ZT_FMT_BYTES], x3[ZT_FMT_BYTES];
	if (c->h_count != out->count || c->t_count != out->count)
		return zt_error_set(ZT_EINVAL, "%s: header and trailer say %lld and %lld records; the "
		                    "file has %lld", c->path, (long long)c->h_count,
		                    (long long)c->t_count, (long long)out->count);
	if (c->h_total != out->total || c->t_total != out->total)
		return zt_error_set(ZT_EINVAL, "%s: header and trailer say total %s and %s; its payable "
		                    "records sum to %s", c->path, zt_format_amount(x1, c->h_total),
		                    zt_format_amount(x2, c->t_total), zt_format_amount(x3, out->total));
	if (c->np_count != out->info_count || c->np_amount != out->info_total)
		return zt_error_set(ZT_EINVAL, "%s: the trailer says %lld records not payable; the file "
		                    "has %lld, summing to %s", c->path, (long long)c->np_count,
		                    (long long)out->info_count, zt_format_amount(x1, out->info_total));
	if (strcmp(c->t_digest, out->digest) != 0)
		return zt_error_set(ZT_EINVAL, "%s: the trailer's digest is %s; the records give %s",
		                    c->path, c->t_digest, out->digest);
	return 0;
}

int zt_batch_file_check(const char *path, struct zt_batch_file_summary *out)
{
	struct check c = {.path = path, .out = out, .h_count = -1, .t_count = -1, .np_count = -1};
	xmlTextReaderPtr r = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int rc = 0, fd = open(path, O_RDONLY | O_CLOEXEC);
	memset(out, 0, sizeof *out);
	if (fd < 0) {
		rc = zt_error_set(errno == ENOENT ? ZT_ENOTFOUND : ZT_EIO, "cannot open '%s': %s", path,
		                  strerror(errno));
		goto done;
	}
	if (!(c.sha = EVP_MD_CTX_new()) || EVP_DigestInit_ex(c.sha, EVP_sha256(), NULL) != 1) {
		rc = zt_error_set(ZT_ENOMEM, "out of memory");
		goto done;
	}
	/* Either version (payer-file.xsd, payer-file-2.xsd), by the root's
	 * namespace; any other is refused by version 1's schema. */
	char ns[64];
	if (!zt_xml_reader_root_ns(ns, sizeof ns, zt_xml_reader_fd(fd, path)))
		ns[0] = '\0';
	if (lseek(fd, 0, SEEK_SET) != 0) {
		rc = zt_error_set(ZT_EIO, "cannot read '%s': %s", path, strerror(errno));
		goto done;
	}
	bool v2 = strcmp(ns, "urn:zhitong:payer-file:2") == 0;
	out->version = v2 ? 2 : 1;
	xmlSchemaPtr schema = zt_schema(v2 ? ZT_SCHEMA_PAYER_FILE_2 : ZT_SCHEMA_PAYER_FILE);
	if (!schema || !(r = zt_xml_reader_fd(fd, path))) {
		rc = schema ? ZT_ENOMEM : ZT_EINTERNAL;
		goto done;
	}
	xmlTextReaderSetStructuredErrorHandler(r, on_reader_error, &c);
	if (xmlTextReaderSetSchema(r, schema) != 0) {
		rc = zt_error_set(ZT_EINTERNAL, "cannot validate against %s",
		                  v2 ? "payer-file-2.xsd" : "payer-file.xsd");
		goto done;
	}
	if ((rc = check_read(&c, r)))
		goto done;
	if (EVP_DigestFinal_ex(c.sha, md, &mdlen) != 1) {
		rc = zt_error_set(ZT_EINTERNAL, "SHA-256 failed");
		goto done;
	}
	zt_batch_hex(out->digest, md);
	rc = check_agree(&c);
done:
	xmlFreeTextReader(r);
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(c.sha);
	return rc;
}

/* ---- the use case: `batch verify` ------------------------------------------ */

int zt_batch_verify(const struct zt_batch_verify_req *req, struct zt_batch_verify_res *res)
{
	memset(res, 0, sizeof *res);
	int rc = zt_sign_key_type(&res->key_type, req->pubkey);
	if (rc)
		return rc;
	rc = zt_verify_file(req->file, req->sig, req->pubkey);
	if (rc == ZT_EINVAL) {
		res->verdict = ZT_BATCH_FILE_BAD_SIGNATURE; /* the message says why */
		return 0;
	}
	if (rc)
		return rc;
	rc = zt_batch_file_check(req->file, &res->summary);
	if (rc == ZT_EINVAL || rc == ZT_EMALFORMED) {
		res->verdict = ZT_BATCH_FILE_BAD_FILE;
		return 0;
	}
	return rc;
}
