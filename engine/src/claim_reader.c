/* zhitong — reading claim files on a thread of their own (see claim_reader.h). */
#define _GNU_SOURCE
#include "claim_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xml_int.h"
#include "zhitong/error.h"
#include "zhitong/text.h"
#include "zhitong/xml.h"

struct zt_claim_stream {
	/* owned by the reader thread */
	const char *path;
	int fd;
	xmlTextReaderPtr reader;
	xmlSchemaValidCtxtPtr vctxt;   /* claim.xsd: decides */
	xmlSchemaValidCtxtPtr ordered; /* its xs:sequence variant: a fast first try */
	struct zt_xml_errors parse_errors; /* the reader's: the file is refused */
	struct zt_xml_errors claim_errors; /* one claim's schema errors: it is rejected */
	const char **sn_sort; /* scratch for the feedetl_sn uniqueness check */
	int sn_cap;

	/* shared, under `lock` */
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct zt_claim_msg *slots;
	unsigned head, count;   /* ring: consumer reads at head */
	bool held;              /* the consumer holds slots[head] */
	bool done;              /* the reader thread has finished */
	bool stop;              /* the consumer asks the reader to stop */
	int status;
	char status_msg[ZT_MESSAGE_BYTES_MAX];
	uint64_t bytes;
};

/* ---- converting one <claim> ------------------------------------------ */

/* The ordered variant's complaints are never shown: claim.xsd decides. */
static void ignore_error(void *data, xmlErrorPtr e)
{
	(void)data;
	(void)e;
}

static bool is_elem(const xmlNode *n) { return n->type == XML_ELEMENT_NODE; }

/* Best effort: the text of a direct child, for the rejection attributes —
 * whole if it fits, and only if it holds no white space, control or
 * invisible character (such a value is what could not be read: it is not
 * passed on to the hospital's system). */
static void peek_child(const xmlNode *claim, const char *name, char *dst, size_t cap)
{
	dst[0] = '\0';
	for (const xmlNode *c = claim->children; c; c = c->next)
		if (is_elem(c) && strcmp((const char *)c->name, name) == 0) {
			size_t len;
			const char *t = zt_xml_text(c, &len);
			if (len < cap && zt_text_check(NULL, t, len, (size_t)-1, ZT_TEXT_IDENT) == 0)
				snprintf(dst, cap, "%.*s", (int)len, t);
			return;
		}
}

/* An identifier (docs/spec/interfaces.md "Lexical rules"): claim.xsd's
 * pattern has refused most of what this refuses; libunistring knows the
 * characters libxml2's older tables do not (U+2066..U+2069, U+061C …).
 * Too long is refused whole, never cut. */
static int copy_ident(char *dst, size_t cap, size_t max_chars, const xmlNode *n)
{
	size_t len;
	const char *t = zt_xml_text(n, &len);
	int rc = zt_text_check(NULL, t, len, max_chars, ZT_TEXT_IDENT);
	if (rc)
		return rc;
	if (len >= cap)
		return zt_error_set(ZT_EINVAL, "is longer than %zu bytes", cap - 1);
	memcpy(dst, t, len);
	dst[len] = '\0';
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int read_item(struct zt_item *it, const xmlNode *item, int index, char *msg)
{
	for (const xmlNode *c = item->children; c; c = c->next) {
		if (!is_elem(c))
			continue;
		const char *name = (const char *)c->name;
		size_t len;
		const char *t = zt_xml_text(c, &len);
		int rc = 0;
		if (strcmp(name, "feedetl_sn") == 0)
			rc = copy_ident(it->feedetl_sn, sizeof it->feedetl_sn, ZT_CODE_CHARS_MAX, c);
		else if (strcmp(name, "med_list_codg") == 0)
			rc = copy_ident(it->med_list_codg, sizeof it->med_list_codg, ZT_LIST_CODE_CHARS_MAX,
			                c);
		else if (strcmp(name, "med_chrgitm_type") == 0)
			rc = copy_ident(it->med_chrgitm_type, sizeof it->med_chrgitm_type, 2, c);
		else if (strcmp(name, "chrgitm_lv") == 0)
			it->chrgitm_lv = len ? t[len - 1] - '0' : 0; /* "01" or "1" (schema-checked) */
		else if (strcmp(name, "pric") == 0)
			rc = zt_parse_q4(&it->pric, t, len);
		else if (strcmp(name, "cnt") == 0)
			rc = zt_parse_q4(&it->cnt, t, len);
		else if (strcmp(name, "det_item_fee_sumamt") == 0)
			rc = zt_parse_amount(&it->det_item_fee_sumamt, t, len);
		else if (strcmp(name, "pric_uplmt_amt") == 0) {
			it->has_pric_uplmt = true;
			rc = zt_parse_q4(&it->pric_uplmt_amt, t, len);
		} else if (strcmp(name, "selfpay_prop") == 0) {
			it->has_selfpay_prop = true;
			rc = zt_parse_ratio(&it->selfpay_prop_bp, t, len);
		}
		if (rc) {
			snprintf(msg, ZT_MESSAGE_BYTES_MAX, "item %d: <%s>: %.400s", index, name,
			         zt_error_last());
			return -1;
		}
	}
	return 0;
}

/* Validates and converts one <claim> into m. */
static void read_claim(struct zt_claim_stream *r, xmlNodePtr node, struct zt_claim_msg *m)
{
	struct zt_claim *c = &m->claim;
	zt_claim_reset(c);
	m->rejected = false;
	m->code = ZT_REJ_NONE;
	char *msg = m->message;
	/* Valid under the ordered variant implies valid under claim.xsd; only a
	 * claim the variant refuses is validated again, by claim.xsd itself. */
	bool valid = xmlSchemaValidateOneElement(r->ordered, node) == 0;
	r->claim_errors.set = false;
	if (!valid && xmlSchemaValidateOneElement(r->vctxt, node) != 0) {
		if (r->claim_errors.set)
			snprintf(msg, ZT_MESSAGE_BYTES_MAX, "line %d: %.400s", r->claim_errors.line,
			         r->claim_errors.msg);
		else
			snprintf(msg, ZT_MESSAGE_BYTES_MAX, "line %ld: the claim does not match the schema",
			         xmlGetLineNo(node));
		goto invalid;
	}
	for (const xmlNode *e = node->children; e; e = e->next) {
		if (!is_elem(e))
			continue;
		const char *name = (const char *)e->name;
		int rc = 0;
		if (strcmp(name, "items") == 0) {
			int index = 0;
			for (const xmlNode *it = e->children; it; it = it->next) {
				if (!is_elem(it))
					continue;
				struct zt_item *item = zt_claim_add_item(c);
				if (!item) {
					snprintf(msg, ZT_MESSAGE_BYTES_MAX, "more than %d items (or out of memory)",
					         ZT_ITEMS_PER_CLAIM_MAX);
					goto invalid;
				}
				if (read_item(item, it, ++index, msg))
					goto invalid;
			}
			continue;
		}
		size_t len;
		const char *t = zt_xml_text(e, &len);
		if (strcmp(name, "fixmedins_code") == 0)
			rc = copy_ident(c->fixmedins_code, sizeof c->fixmedins_code, ZT_CODE_CHARS_MAX, e);
		else if (strcmp(name, "claim_no") == 0)
			rc = copy_ident(c->claim_no, sizeof c->claim_no, ZT_CLAIM_NO_CHARS_MAX, e);
		else if (strcmp(name, "psn_no") == 0)
			rc = copy_ident(c->psn_no, sizeof c->psn_no, ZT_CODE_CHARS_MAX, e);
		else if (strcmp(name, "dscg_maindiag_code") == 0)
			rc = copy_ident(c->dscg_maindiag_code, sizeof c->dscg_maindiag_code,
			                ZT_DIAG_CHARS_MAX, e);
		else if (strcmp(name, "adm_date") == 0)
			rc = zt_parse_date(&c->adm_date, t, len);
		else if (strcmp(name, "dscg_date") == 0)
			rc = zt_parse_date(&c->dscg_date, t, len);
		else if (strcmp(name, "medfee_sumamt") == 0)
			rc = zt_parse_amount(&c->medfee_sumamt, t, len);
		if (rc) {
			snprintf(msg, ZT_MESSAGE_BYTES_MAX, "<%s>: %.400s", name, zt_error_last());
			goto invalid;
		}
	}
	/* feedetl_sn is unique within the claim. */
	if (c->item_count > r->sn_cap) {
		const char **n = realloc(r->sn_sort, (size_t)c->item_count * sizeof *n);
		if (!n) {
			snprintf(msg, ZT_MESSAGE_BYTES_MAX, "out of memory");
			goto invalid;
		}
		r->sn_sort = n;
		r->sn_cap = c->item_count;
	}
	for (int i = 0; i < c->item_count; i++)
		r->sn_sort[i] = c->items[i].feedetl_sn;
	qsort(r->sn_sort, (size_t)c->item_count, sizeof *r->sn_sort, cmp_str);
	for (int i = 1; i < c->item_count; i++)
		if (strcmp(r->sn_sort[i - 1], r->sn_sort[i]) == 0) {
			snprintf(msg, ZT_MESSAGE_BYTES_MAX, "feedetl_sn '%.60s' appears more than once",
			         r->sn_sort[i]);
			goto invalid;
		}
	return;
invalid:
	m->rejected = true;
	m->code = ZT_REJ_SCHEMA_INVALID;
	peek_child(node, "fixmedins_code", m->hospital, sizeof m->hospital);
	peek_child(node, "claim_no", m->claim_no, sizeof m->claim_no);
}

/* ---- the ring ---------------------------------------------------------- */

/* A free slot for the reader to fill, or NULL if the consumer said stop. */
static struct zt_claim_msg *slot_acquire(struct zt_claim_stream *s)
{
	pthread_mutex_lock(&s->lock);
	while (s->count == ZT_READER_SLOTS && !s->stop)
		pthread_cond_wait(&s->changed, &s->lock);
	struct zt_claim_msg *m = s->stop ? NULL : &s->slots[(s->head + s->count) % ZT_READER_SLOTS];
	pthread_mutex_unlock(&s->lock);
	return m;
}

static void slot_publish(struct zt_claim_stream *s)
{
	pthread_mutex_lock(&s->lock);
	s->count++;
	s->bytes = (uint64_t)xmlTextReaderByteConsumed(s->reader);
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&s->lock);
}

static void finish(struct zt_claim_stream *s, int status, const char *msg)
{
	pthread_mutex_lock(&s->lock);
	s->done = true;
	s->status = status;
	snprintf(s->status_msg, sizeof s->status_msg, "%s", msg ? msg : "");
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&s->lock);
}

/* ---- the reader thread -------------------------------------------------- */

static void not_a_claim(struct zt_claim_stream *s, xmlNodePtr node, const char *name)
{
	struct zt_claim_msg *m = slot_acquire(s);
	if (!m)
		return;
	m->rejected = true;
	m->code = ZT_REJ_SCHEMA_INVALID;
	m->hospital[0] = m->claim_no[0] = '\0';
	snprintf(m->message, sizeof m->message, "line %ld: <%.100s> is not allowed in <claims>",
	         xmlGetLineNo(node), name);
	slot_publish(s);
}

static void *reader_main(void *arg)
{
	struct zt_claim_stream *s = arg;
	xmlTextReaderPtr reader = s->reader;
	int r = 1, root_depth = -1, rc = 0;
	bool list = false, seen_root = false, positioned = false;
	/* The root decides the mode: one <claim>, or a <claims> list. After a
	 * claim, xmlTextReaderNext() skips its subtree (freeing it: memory
	 * stays flat) and leaves the reader on the next sibling already. */
	for (;;) {
		if (!positioned && (r = xmlTextReaderRead(reader)) != 1)
			break;
		positioned = false;
		int type = xmlTextReaderNodeType(reader);
		if (type == XML_READER_TYPE_DOCUMENT_TYPE) {
			rc = zt_error_set(ZT_EMALFORMED, "%s: a DOCTYPE is not allowed", s->path);
			goto out;
		}
		if (type != XML_READER_TYPE_ELEMENT)
			continue;
		int depth = xmlTextReaderDepth(reader);
		const char *name = (const char *)xmlTextReaderConstLocalName(reader);
		const char *ns = (const char *)xmlTextReaderConstNamespaceUri(reader);
		bool our_ns = ns && strcmp(ns, ZT_CLAIM_NS) == 0;
		bool is_claim = our_ns && strcmp(name, "claim") == 0;
		if (!seen_root) {
			seen_root = true;
			root_depth = depth;
			if (our_ns && strcmp(name, "claims") == 0) {
				list = true;
				continue;
			}
			if (!is_claim) {
				rc = zt_error_set(ZT_EINVAL, "%s: the root element is <%.100s>%s%.200s, not a v1 "
				                  "<claim> or <claims> in namespace %s", s->path, name,
				                  ns ? " in namespace " : "", ns ? ns : "", ZT_CLAIM_NS);
				goto out;
			}
		} else if (!list || depth != root_depth + 1) {
			continue;
		}
		xmlNodePtr node = xmlTextReaderExpand(reader);
		if (!node) {
			r = -1;
			break;
		}
		if (list && !is_claim) {
			not_a_claim(s, node, name);
		} else {
			struct zt_claim_msg *m = slot_acquire(s);
			if (!m)
				goto out; /* the consumer stopped */
			read_claim(s, node, m);
			slot_publish(s);
		}
		if (!list)
			break;
		if ((r = xmlTextReaderNext(reader)) != 1)
			break;
		positioned = true;
	}
	if (r == 1 && !list) /* the rest of the document must be well-formed too */
		while ((r = xmlTextReaderRead(reader)) == 1)
			;
	if (r != 0) {
		rc = zt_xml_stream_end(s->path, r, &s->parse_errors);
		if (rc == 0)
			rc = zt_error_set(ZT_EMALFORMED, "%s: not well-formed XML", s->path);
	} else if (!seen_root) {
		rc = zt_error_set(ZT_EMALFORMED, "%s: no root element", s->path);
	}
out:
	finish(s, rc, rc ? zt_error_last() : NULL);
	return NULL;
}

/* ---- the consumer's side -------------------------------------------------- */

int zt_claim_stream_open(struct zt_claim_stream **out, const char *path, uint64_t *size_out)
{
	xmlSchemaPtr schema = zt_schema(ZT_SCHEMA_CLAIM);
	xmlSchemaPtr ordered = zt_schema(ZT_SCHEMA_CLAIM_ORDERED);
	if (!schema || !ordered)
		return ZT_EINTERNAL;
	struct zt_claim_stream *s = calloc(1, sizeof *s);
	if (!s)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	s->path = path;
	s->fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->changed, NULL);
	int rc = 0;
	s->slots = calloc(ZT_READER_SLOTS, sizeof *s->slots);
	if (!s->slots) {
		rc = zt_error_set(ZT_ENOMEM, "out of memory");
		goto fail;
	}
	for (int i = 0; i < ZT_READER_SLOTS; i++)
		zt_claim_init(&s->slots[i].claim);
	s->fd = strcmp(path, "-") == 0 ? dup(0) : open(path, O_RDONLY | O_CLOEXEC);
	if (s->fd < 0) {
		rc = zt_error_set(ZT_ENOTFOUND, "cannot open '%s': %s", path, strerror(errno));
		goto fail;
	}
	struct stat sb;
	*size_out = 0;
	if (fstat(s->fd, &sb) == 0) {
		if (S_ISDIR(sb.st_mode)) {
			rc = zt_error_set(ZT_ENOTFOUND, "'%s' is a directory", path);
			goto fail;
		}
		if (S_ISREG(sb.st_mode))
			*size_out = (uint64_t)sb.st_size;
	}
	s->reader = zt_xml_reader_fd(s->fd, path);
	s->vctxt = xmlSchemaNewValidCtxt(schema);
	s->ordered = xmlSchemaNewValidCtxt(ordered);
	if (!s->reader || !s->vctxt || !s->ordered) {
		rc = zt_error_set(ZT_ENOMEM, "out of memory");
		goto fail;
	}
	xmlSchemaSetValidStructuredErrors(s->vctxt, zt_xml_errors_keep, &s->claim_errors);
	xmlSchemaSetValidStructuredErrors(s->ordered, ignore_error, NULL);
	xmlTextReaderSetStructuredErrorHandler(s->reader, zt_xml_errors_keep, &s->parse_errors);
	if (pthread_create(&s->thread, NULL, reader_main, s) != 0) {
		rc = zt_error_set(ZT_ENOMEM, "cannot start the reader thread");
		goto fail;
	}
	s->started = true;
	*out = s;
	return 0;
fail:
	zt_claim_stream_close(s);
	return rc;
}

const struct zt_claim_msg *zt_claim_stream_next(struct zt_claim_stream *s)
{
	pthread_mutex_lock(&s->lock);
	if (s->held) {
		s->held = false;
		s->head = (s->head + 1) % ZT_READER_SLOTS;
		s->count--;
		pthread_cond_broadcast(&s->changed);
	}
	while (s->count == 0 && !s->done)
		pthread_cond_wait(&s->changed, &s->lock);
	/* A refused file hands out nothing more, even claims already read:
	 * the caller discards the whole file. */
	const struct zt_claim_msg *m = NULL;
	if (s->count > 0 && !(s->done && s->status)) {
		m = &s->slots[s->head];
		s->held = true;
	}
	pthread_mutex_unlock(&s->lock);
	return m;
}

int zt_claim_stream_status(struct zt_claim_stream *s)
{
	pthread_mutex_lock(&s->lock);
	int st = s->done ? s->status : 0;
	if (st)
		zt_error_set(st, "%s", s->status_msg);
	pthread_mutex_unlock(&s->lock);
	return st;
}

uint64_t zt_claim_stream_bytes(struct zt_claim_stream *s)
{
	pthread_mutex_lock(&s->lock);
	uint64_t b = s->bytes;
	pthread_mutex_unlock(&s->lock);
	return b;
}

void zt_claim_stream_close(struct zt_claim_stream *s)
{
	if (!s)
		return;
	if (s->started) {
		pthread_mutex_lock(&s->lock);
		s->stop = true;
		pthread_cond_broadcast(&s->changed);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->thread, NULL);
	}
	if (s->vctxt)
		xmlSchemaFreeValidCtxt(s->vctxt);
	if (s->ordered)
		xmlSchemaFreeValidCtxt(s->ordered);
	if (s->reader)
		xmlFreeTextReader(s->reader);
	if (s->fd >= 0)
		close(s->fd);
	if (s->slots)
		for (int i = 0; i < ZT_READER_SLOTS; i++)
			zt_claim_free(&s->slots[i].claim);
	free(s->slots);
	free(s->sn_sort);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->changed);
	free(s);
}
