/* zhitong — the audit trail's hash chain (docs/spec/service.md "Audit
 * trail").
 *
 * Every change of state appends one record; each record carries the hash
 * of the record before it and its own, so that a record altered, removed,
 * inserted or moved behind the engine's back breaks the chain where it
 * happened, and a published head (the last record's sequence number and
 * hash, kept outside the database, optionally signed) pins everything up
 * to it: rewriting any record at or before a published head changes the
 * head's hash, even if every later hash is recomputed.
 *
 * This module is pure: the record's canonical bytes, its hash, the
 * verifier (fed by any store through a callback, in sequence order), and
 * the head's text and file. The store writes records and reads them back;
 * it never computes a hash itself.
 *
 * The canonical form of a record (version 1) is a sequence of fields, each
 * a 4-byte big-endian length followed by that many bytes; an absent field
 * (NULL) is the length 0xFFFFFFFF and no bytes, so absent and empty
 * differ. In this order:
 *
 *     "zhitong-audit-1"            the form's tag and version
 *     seq                          8 bytes, big-endian
 *     time                         UTC, as the store keeps it ("2026-12-02T01:54:37Z")
 *     user                         the user (or the CLI's --by)
 *     operator                     X-Operator, the person at the desk, or absent
 *     token id                     which of the user's tokens (token.h), or absent
 *     client                       the client's address, or absent
 *     action                       "claim.settle", "batch.approve", "user.add" ...
 *     object                       what it was done to ("S510101-000001")
 *     digest                       32 bytes, SHA-256 of what changed, or absent
 *     detail                       one line for people, or absent
 *
 * and a record's hash is SHA-256(previous record's hash || canonical form),
 * the first record's previous hash being 32 zero bytes. Lengths make the
 * form unambiguous (no separator can be smuggled into a field), the tag
 * keeps these bytes from meaning anything else, and the sequence number is
 * inside the hash, so a record cannot be moved to another place.
 *
 * What the chain cannot see alone: anyone who can write the database can
 * also recompute SHA-256, so a rewrite that recomputes every later hash
 * leaves a consistent chain, and removing the last records leaves a
 * shorter one. Two anchors outside the chain catch these: the store's own
 * count of records ever written (`meta` 'audit.last-id', kept by a trigger
 * on insert: removing the last record must also lower it, in another
 * table), and above all a published head — taken regularly (`audit head`,
 * signed with the pool's key), kept where the database's writers cannot
 * reach: `audit verify --head HEAD` proves that nothing at or before it
 * was rewritten or removed. Records written after the newest head are
 * covered by the next. */
#ifndef ZHITONG_AUDIT_H
#define ZHITONG_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "limits.h"

#define ZT_AUDIT_HASH_BYTES 32
#define ZT_AUDIT_HASH_HEX_CHARS 64
/* The store's timestamps ("2026-12-02T01:54:37Z", with a fraction at most
 * "2026-12-02T01:54:37.123456Z"): printable ASCII without space. */
#define ZT_AUDIT_TIME_CHARS_MAX 40

struct zt_audit_record {
	int64_t seq;          /* 1, 2, 3 ... without a gap */
	const char *time;     /* required */
	const char *user;     /* required */
	const char *operator_name; /* or NULL */
	const char *token_id;      /* or NULL (the command line has none) */
	const char *client;        /* or NULL */
	const char *action;   /* required */
	const char *object;   /* required ("" for none) */
	bool has_digest;
	unsigned char digest[ZT_AUDIT_HASH_BYTES];
	const char *detail;   /* or NULL */
	unsigned char prev_hash[ZT_AUDIT_HASH_BYTES];
	unsigned char hash[ZT_AUDIT_HASH_BYTES];
};

/* The canonical form of `r` (above), malloc'd. ZT_EINVAL for a record that
 * cannot be one (seq < 1; time, user or action missing or empty; object
 * missing; a time that is not printable ASCII of at most
 * ZT_AUDIT_TIME_CHARS_MAX; a field over ZT_AUDIT_FIELD_BYTES_MAX),
 * ZT_ENOMEM. */
int zt_audit_canonical(unsigned char **out, size_t *len_out, const struct zt_audit_record *r);
/* SHA-256(r->prev_hash || canonical form of r): what r->hash must be.
 * Errors as for zt_audit_canonical. */
int zt_audit_record_hash(unsigned char out[ZT_AUDIT_HASH_BYTES], const struct zt_audit_record *r);
/* SHA-256 of bytes: the digest of what changed (a record's has_digest and
 * digest), e.g. of a settlement's canonical XML. */
int zt_audit_digest(unsigned char out[ZT_AUDIT_HASH_BYTES], const void *data, size_t len);

/* ---- the head ----------------------------------------------------------- */

/* The last record of a chain: its sequence number and hash, and its time
 * for people. The empty chain is seq 0, a zero hash and no time. */
struct zt_audit_head {
	int64_t seq;
	unsigned char hash[ZT_AUDIT_HASH_BYTES];
	char time[ZT_AUDIT_TIME_CHARS_MAX + 1];
};

/* Appends `r` to the chain whose head is `head`, in the store's write
 * transaction: r->seq = head->seq + 1, r->prev_hash = head->hash, r->hash
 * computed, and `head` becomes r's. The store then inserts r as it is.
 * Errors as for zt_audit_canonical (nothing changed then). */
int zt_audit_append(struct zt_audit_head *head, struct zt_audit_record *r);

/* The head as text, the file `audit head` publishes (and signs):
 *
 *     zhitong audit head 1
 *     sequence 1234
 *     sha256 3b7f...(64 lower-case hex digits)
 *     time 2026-12-02T01:54:37Z
 *
 * (the time line absent for the empty chain), each line ending "\n".
 * ZT_ERANGE if it does not fit in `cap` (256 bytes always do). */
int zt_audit_head_format(char *out, size_t cap, const struct zt_audit_head *h);
/* Reads that text back, exactly: the lines in that order, nothing else.
 * ZT_EINVAL naming the line that is wrong. */
int zt_audit_head_parse(struct zt_audit_head *out, const char *text, size_t len);
/* Writes the head to `path` (mode 0644) through the safe output (outfile.h,
 * `out_flags` ZT_OUT_*), and, with `key_pem_path`, its detached signature
 * to `path`.sig (sign.h: Ed25519 or SM2, the key's type decides), checked
 * by the stock openssl command exactly as a batch file's:
 *
 *     openssl pkeyutl -verify -pubin -inkey PUBKEY.pem -rawin -in HEAD -sigfile HEAD.sig
 *     openssl dgst -sm3 -verify PUBKEY.pem -sigopt distid:1234567812345678 -signature HEAD.sig HEAD
 *
 * The signature is published first, then the head; on failure neither. */
int zt_audit_head_write(const char *path, const struct zt_audit_head *h, const char *key_pem_path,
                        int out_flags);
/* Reads a head file (at most ZT_AUDIT_HEAD_BYTES_MAX). With
 * `pub_pem_path`, `path`.sig must first verify against that public key or
 * certificate (ZT_EINVAL "audit head 'P': its signature does not verify").
 * ZT_ENOTFOUND, ZT_EIO, ZT_EINVAL. */
int zt_audit_head_read(struct zt_audit_head *out, const char *path, const char *pub_pem_path);

/* ---- verifying ------------------------------------------------------------ */

/* Gives the next record, in the store's sequence order (ORDER BY seq): 1
 * with *out filled (its strings valid until the next call), 0 after the
 * last, or a negative ZT_E* code, which the verifier returns as it is. */
typedef int (*zt_audit_next_fn)(void *ctx, struct zt_audit_record *out);

/* What a verifier found first. */
enum zt_audit_fault {
	ZT_AUDIT_INTACT = 0,
	ZT_AUDIT_ALTERED,   /* a record's contents do not match its hash, or
	                     * (its hash recomputed) the next one does not follow it */
	ZT_AUDIT_REMOVED,   /* a sequence gap; a record gone and the rest renumbered;
	                     * the chain ends before the store's count or the head */
	ZT_AUDIT_INSERTED,  /* records that do not belong: a repeated number, records
	                     * between two that follow each other, past the count */
	ZT_AUDIT_REORDERED, /* a record found at another place than it was written for */
	ZT_AUDIT_REWRITTEN, /* the chain holds the head's record with another hash: a
	                     * record at or before it was rewritten and rehashed */
};
/* "intact", "altered", "removed", "inserted", "reordered", "rewritten". */
const char *zt_audit_fault_name(enum zt_audit_fault f);

/* Anchors outside the chain, each optional. */
struct zt_audit_anchors {
	int64_t last_seq;                 /* the store's count of records ever
	                                   * written; 0: not known */
	const struct zt_audit_head *head; /* a published head, or NULL */
};

struct zt_audit_verdict {
	int64_t records;              /* records read */
	struct zt_audit_head last;    /* the last record that verified */
	enum zt_audit_fault fault;
	int64_t seq;                  /* the first record concerned; 0 when intact */
	char message[ZT_MESSAGE_BYTES_MAX]; /* one line; "" when intact */
};

/* Walks the chain from record 1 and stops at the first fault: 0 when the
 * chain is intact (and holds the anchors), ZT_EINVAL when it is not — then
 * out->fault, out->seq and out->message (also zt_error_last()) name the
 * first record concerned ("audit record 17 was altered: its contents do not
 * match its hash") — or the feeder's error code. `anchors` may be NULL.
 * Time is linear in the records read, memory constant: a window of the
 * last 16 hashes is kept to tell a record moved or inserted from one
 * altered, nothing more. */
int zt_audit_verify(struct zt_audit_verdict *out, zt_audit_next_fn next, void *ctx,
                    const struct zt_audit_anchors *anchors);

/* Hashes as 64 lower-case hex digits, and back (ZT_EINVAL). */
void zt_audit_hash_hex(char out[ZT_AUDIT_HASH_HEX_CHARS + 1],
                       const unsigned char hash[ZT_AUDIT_HASH_BYTES]);
int zt_audit_hash_from_hex(unsigned char out[ZT_AUDIT_HASH_BYTES], const char *hex);

#endif
