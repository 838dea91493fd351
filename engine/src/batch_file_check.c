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

struct check {
	const char *path;
	char first_error[400];
	int first_error_line;
	bool has_error;
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

int zt_batch_file_check(const char *path, struct zt_batch_file_summary *out)
{
	struct check c = {.path = path};
	xmlTextReaderPtr r = NULL;
	EVP_MD_CTX *sha = EVP_MD_CTX_new();
	int rc = 0, fd = open(path, O_RDONLY | O_CLOEXEC), step;
	int section = 0; /* 1 header, 2 records, 3 trailer */
	int64_t h_count = -1, t_count = -1, np_count = -1;
	zt_fen h_total = 0, t_total = 0, np_amount = 0;
	char t_digest[ZT_BATCH_HEX_BYTES] = "";
	memset(out, 0, sizeof *out);
	if (fd < 0) {
		rc = zt_error_set(errno == ENOENT ? ZT_ENOTFOUND : ZT_EIO, "cannot open '%s': %s", path,
		                  strerror(errno));
		goto done;
	}
	if (!sha || EVP_DigestInit_ex(sha, EVP_sha256(), NULL) != 1) {
		rc = zt_error_set(ZT_ENOMEM, "out of memory");
		goto done;
	}
	xmlSchemaPtr schema = zt_schema(ZT_SCHEMA_PAYER_FILE);
	if (!schema) {
		rc = ZT_EINTERNAL;
		goto done;
	}
	if (!(r = zt_xml_reader_fd(fd, path))) {
		rc = ZT_ENOMEM;
		goto done;
	}
	xmlTextReaderSetStructuredErrorHandler(r, on_reader_error, &c);
	if (xmlTextReaderSetSchema(r, schema) != 0) {
		rc = zt_error_set(ZT_EINTERNAL, "cannot validate against payer-file.xsd");
		goto done;
	}
	while ((step = xmlTextReaderRead(r)) == 1) {
		int type = xmlTextReaderNodeType(r);
		if (type == XML_READER_TYPE_DOCUMENT_TYPE) {
			rc = zt_error_set(ZT_EMALFORMED, "%s: a DOCTYPE is not allowed", path);
			goto done;
		}
		if (type != XML_READER_TYPE_ELEMENT)
			continue;
		int depth = xmlTextReaderDepth(r);
		const char *name = (const char *)xmlTextReaderConstLocalName(r);
		if (depth == 1) {
			section = !strcmp(name, "header") ? 1 : !strcmp(name, "records") ? 2 : 3;
			continue;
		}
		if (depth != 2)
			continue; /* traces */
		char a1[256], a2[256];
		if (section == 2) {
			char id[80], setl[40], rev[40], hosp[200], claim[200], psn[200], date[16], kind[16],
				amount[40], payable[8], line[ZT_BATCH_DIGEST_LINE_BYTES];
			zt_fen v = 0;
			if (!attr(r, "id", id, sizeof id) || !attr(r, "setl_id", setl, sizeof setl) ||
			    !attr(r, "fixmedins_code", hosp, sizeof hosp) ||
			    !attr(r, "claim_no", claim, sizeof claim) || !attr(r, "psn_no", psn, sizeof psn) ||
			    !attr(r, "dscg_date", date, sizeof date) || !attr(r, "kind", kind, sizeof kind) ||
			    !attr(r, "amount", amount, sizeof amount))
				continue; /* the schema reports it */
			if (!attr(r, "reverses", rev, sizeof rev))
				rev[0] = '\0';
			bool pay = !attr(r, "payable", payable, sizeof payable) ||
			           !(strcmp(payable, "false") == 0 || strcmp(payable, "0") == 0);
			if (parse_amount(&v, amount) != 0) {
				rc = zt_error_set(ZT_EINVAL, "%s: record '%s': amount '%s' is not an amount", path,
				                  id, amount);
				goto done;
			}
			size_t n = zt_batch_digest_line(line, id, setl, rev, hosp, claim, psn, date, kind, amount, pay);
			if (EVP_DigestUpdate(sha, line, n) != 1) {
				rc = zt_error_set(ZT_EINTERNAL, "SHA-256 failed");
				goto done;
			}
			out->count++;
			zt_fen *sum = pay ? &out->total : &out->info_total;
			if (__builtin_add_overflow(*sum, v, sum)) {
				rc = zt_error_set(ZT_ERANGE, "%s: the total overflows", path);
				goto done;
			}
			if (!pay)
				out->info_count++;
			continue;
		}
		/* header and trailer values */
		if (!strcmp(name, "fund") && section == 1) {
			if (!attr(r, "code", out->fund_code, sizeof out->fund_code))
				out->fund_code[0] = '\0';
			continue;
		}
		if (!strcmp(name, "not-payable")) {
			if (attr(r, "count", a1, sizeof a1) && attr(r, "amount", a2, sizeof a2)) {
				np_count = strtoll(a1, NULL, 10);
				if (parse_amount(&np_amount, a2) != 0)
					np_count = -2;
			}
			continue;
		}
		xmlChar *text = xmlTextReaderReadString(r);
		const char *t = text ? (const char *)text : "";
		if (!strcmp(name, "batch"))
			snprintf(out->batch_id, sizeof out->batch_id, "%s", t);
		else if (!strcmp(name, "count"))
			*(section == 1 ? &h_count : &t_count) = strtoll(t, NULL, 10);
		else if (!strcmp(name, "total") && parse_amount(section == 1 ? &h_total : &t_total, t))
			*(section == 1 ? &h_count : &t_count) = -2;
		else if (!strcmp(name, "digest"))
			snprintf(t_digest, sizeof t_digest, "%s", t);
		xmlFree(text);
	}
	if (step < 0 || c.has_error || !xmlTextReaderIsValid(r)) {
		if (zt_xml_reader_refused_doctype())
			rc = zt_error_set(ZT_EMALFORMED, "%s: a DOCTYPE is not allowed", path);
		else
			rc = zt_error_set(ZT_EINVAL, "%s:%d: %s", path, c.first_error_line,
			                  c.has_error ? c.first_error : "not a valid payer file");
		goto done;
	}
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (EVP_DigestFinal_ex(sha, md, &mdlen) != 1) {
		rc = zt_error_set(ZT_EINTERNAL, "SHA-256 failed");
		goto done;
	}
	zt_batch_hex(out->digest, md);
	char x1[ZT_FMT_BYTES], x2[ZT_FMT_BYTES];
	if (h_count != out->count || t_count != out->count)
		rc = zt_error_set(ZT_EINVAL, "%s: header and trailer say %lld and %lld records; the "
		                  "file has %lld", path, (long long)h_count, (long long)t_count,
		                  (long long)out->count);
	else if (h_total != out->total || t_total != out->total)
		rc = zt_error_set(ZT_EINVAL, "%s: header and trailer say total %s and %s; its payable "
		                  "records sum to %s", path, zt_format_amount(x1, h_total),
		                  zt_format_amount(x2, t_total), zt_format_amount(x1, out->total));
	else if (np_count != out->info_count || np_amount != out->info_total)
		rc = zt_error_set(ZT_EINVAL, "%s: the trailer says %lld records not payable; the file "
		                  "has %lld, summing to %s", path, (long long)np_count,
		                  (long long)out->info_count, zt_format_amount(x1, out->info_total));
	else if (strcmp(t_digest, out->digest) != 0)
		rc = zt_error_set(ZT_EINVAL, "%s: the trailer's digest is %s; the records give %s", path,
		                  t_digest, out->digest);
done:
	xmlFreeTextReader(r);
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(sha);
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
