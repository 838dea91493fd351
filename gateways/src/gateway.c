/* zhitong — the gateway interface, batch ids and the payer's ack (see
 * gateway.h). */
#define _GNU_SOURCE
#include "zhitong/gateway.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/tree.h>

#include "gateway_int.h"
#include "zhitong/error.h"
#include "zhitong/limits.h"
#include "zhitong/text.h"
#include "zhitong/xml.h"

void zt_gw_copy_utf8(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);
	if (n >= cap) {
		n = cap - 1;
		/* back off continuation bytes so no character is cut in half */
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

int zt_gw_fail(struct zt_gateway_result *out, enum zt_gateway_failure failure, int code,
               const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	zt_error_setv(code, fmt, ap);
	va_end(ap);
	out->failure = failure;
	zt_gw_copy_utf8(out->message, sizeof out->message, zt_error_last());
	return code;
}

int zt_gw_check_input(struct zt_gateway_result *out, size_t *size, const char *what,
                      const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return zt_gw_fail(out, ZT_GW_FAIL_LOCAL, errno == ENOENT ? ZT_ENOTFOUND : ZT_EIO,
		                  "cannot open %s '%s': %s", what, path, strerror(errno));
	struct stat st;
	int rc = 0;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		rc = zt_gw_fail(out, ZT_GW_FAIL_LOCAL, ZT_EIO, "%s '%s' is not a regular file", what,
		                path);
	else
		*size = (size_t)st.st_size;
	close(fd);
	return rc;
}

/* Batch ids become file names in a drop folder and an HTTP header value:
 * no separators, no leading dot, no white space or control characters. */
static bool batch_id_ok(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return false;
	}
	return true;
}

static int start(const struct zt_gateway_config *cfg, const char *batch_id,
                 struct zt_gateway_result *out)
{
	memset(out, 0, sizeof *out);
	out->status = ZT_GW_PENDING;
	zt_error_clear();
	if (!cfg || !cfg->kind)
		return zt_gw_fail(out, ZT_GW_FAIL_CONFIG, ZT_EINVAL, "gateway: no kind configured");
	if (!batch_id_ok(batch_id))
		return zt_gw_fail(out, ZT_GW_FAIL_CONFIG, ZT_EINVAL,
		                  "batch id '%.80s' is not 1-64 letters, digits, '.', '_' or '-'",
		                  batch_id ? batch_id : "");
	return 0;
}

int zt_gateway_send(const struct zt_gateway_config *cfg, const char *batch_id,
                    const char *file_path, const char *sig_path, struct zt_gateway_result *out)
{
	int rc = start(cfg, batch_id, out);
	if (rc)
		return rc;
	if (strcmp(cfg->kind, "http") == 0)
		return zt_gw_http_send(cfg, batch_id, file_path, sig_path, out);
	if (strcmp(cfg->kind, "folder") == 0)
		return zt_gw_folder_send(cfg, batch_id, file_path, sig_path, out);
	return zt_gw_fail(out, ZT_GW_FAIL_CONFIG, ZT_EINVAL,
	                  "gateway kind '%.40s' is neither 'http' nor 'folder'", cfg->kind);
}

int zt_gateway_poll(const struct zt_gateway_config *cfg, const char *batch_id,
                    struct zt_gateway_result *out)
{
	int rc = start(cfg, batch_id, out);
	if (rc)
		return rc;
	if (strcmp(cfg->kind, "folder") == 0)
		return zt_gw_folder_poll(cfg, batch_id, out);
	if (strcmp(cfg->kind, "http") == 0)
		return zt_gw_fail(out, ZT_GW_FAIL_CONFIG, ZT_EINVAL,
		                  "an http gateway answers when the batch is sent: nothing to poll");
	return zt_gw_fail(out, ZT_GW_FAIL_CONFIG, ZT_EINVAL,
	                  "gateway kind '%.40s' is neither 'http' nor 'folder'", cfg->kind);
}

void zt_gateway_result_free(struct zt_gateway_result *r)
{
	if (!r)
		return;
	free(r->rejects);
	r->rejects = NULL;
	r->reject_count = 0;
}

/* ---- the ack ------------------------------------------------------- */

static bool is_reject(const xmlNode *n)
{
	return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, "reject") == 0;
}

/* A payer's reason is text from outside, stored with the batch and shown
 * to people: one line of visible text (text.h), like every other. The
 * schema lets any character through (a reference such as &#10; or
 * &#x202E; survives the normalisation of attribute values); an answer
 * holding one is refused, never cleaned. Receipts and record ids are
 * printable ASCII by the schema. */
static int check_reason(struct zt_gateway_result *out, const char *name, const char *what,
                        const char *reason)
{
	if (!reason || zt_text_check(what, reason, strlen(reason), (size_t)-1, ZT_TEXT_LINE) == 0)
		return 0;
	char why[ZT_MESSAGE_BYTES_MAX];
	snprintf(why, sizeof why, "%s", zt_error_last());
	return zt_gw_fail(out, ZT_GW_FAIL_ANSWER, ZT_EINVAL, "%s: %s", name, why);
}

int zt_gateway_parse_ack(struct zt_gateway_result *out, const char *xml, size_t len,
                         const char *name, const char *batch_id)
{
	xmlDocPtr doc = NULL;
	/* a previous parse into the same result must not leak */
	zt_gateway_result_free(out);
	out->receipt_id[0] = '\0';
	int rc = zt_xml_parse_doc(&doc, xml, len, name, ZT_SCHEMA_PAYER_ACK);
	if (rc) {
		out->failure = ZT_GW_FAIL_ANSWER;
		zt_gw_copy_utf8(out->message, sizeof out->message, zt_error_last());
		goto done;
	}
	/* the schema guarantees the root, its required attributes and types */
	const xmlNode *root = xmlDocGetRootElement(doc);
	const char *batch = zt_xml_attr(root, "batch");
	const char *status = zt_xml_attr(root, "status");
	const char *receipt = zt_xml_attr(root, "receipt");
	const char *reason = zt_xml_attr(root, "reason");
	if (strcmp(batch, batch_id) != 0) {
		rc = zt_gw_fail(out, ZT_GW_FAIL_ANSWER, ZT_ECONFLICT,
		                "%s: the ack is for batch '%s', not '%s'", name, batch, batch_id);
		goto done;
	}
	if ((rc = check_reason(out, name, "the reason", reason)) != 0)
		goto done;
	size_t count = 0;
	for (const xmlNode *c = root->children; c; c = c->next) {
		if (!is_reject(c))
			continue;
		char what[128];
		snprintf(what, sizeof what, "the reason of record '%s'", zt_xml_attr(c, "record"));
		if ((rc = check_reason(out, name, what, zt_xml_attr(c, "reason"))) != 0)
			goto done;
		count++;
	}
	bool accepted = strcmp(status, "accepted") == 0;
	if (accepted && count > 0) {
		rc = zt_gw_fail(out, ZT_GW_FAIL_ANSWER, ZT_EINVAL,
		                "%s: batch '%s' is 'accepted' yet lists %zu rejected records", name,
		                batch_id, count);
		goto done;
	}
	if ((accepted || count > 0) && !receipt) {
		rc = zt_gw_fail(out, ZT_GW_FAIL_ANSWER, ZT_EINVAL,
		                "%s: batch '%s' accepts records but the ack has no receipt", name,
		                batch_id);
		goto done;
	}
	if (count > 0) {
		out->rejects = calloc(count, sizeof *out->rejects);
		if (!out->rejects) {
			rc = zt_gw_fail(out, ZT_GW_FAIL_ANSWER, ZT_ENOMEM, "out of memory");
			goto done;
		}
		for (const xmlNode *c = root->children; c; c = c->next) {
			if (!is_reject(c))
				continue;
			struct zt_gateway_reject *r = &out->rejects[out->reject_count++];
			zt_gw_copy_utf8(r->record_id, sizeof r->record_id, zt_xml_attr(c, "record"));
			zt_gw_copy_utf8(r->reason, sizeof r->reason, zt_xml_attr(c, "reason"));
		}
	}
	if (receipt)
		zt_gw_copy_utf8(out->receipt_id, sizeof out->receipt_id, receipt);
	out->failure = ZT_GW_FAIL_NONE;
	if (accepted) {
		out->status = ZT_GW_ACCEPTED;
		snprintf(out->message, sizeof out->message, "batch '%s' accepted, receipt '%.127s'",
		         batch_id, receipt);
	} else if (count > 0) {
		out->status = ZT_GW_REJECTED;
		snprintf(out->message, sizeof out->message,
		         "batch '%s': %zu records rejected, the rest accepted (receipt '%.127s')",
		         batch_id, count, receipt);
	} else {
		out->status = ZT_GW_REJECTED;
		char line[1200]; /* a reason is at most 255 characters */
		snprintf(line, sizeof line, "batch '%s' rejected: %s", batch_id,
		         reason ? reason : "no reason given");
		zt_gw_copy_utf8(out->message, sizeof out->message, line);
	}
done:
	if (rc)
		zt_gateway_result_free(out);
	xmlFreeDoc(doc);
	return rc;
}
