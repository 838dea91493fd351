/* zhitong — every limit on what comes from outside, each with its reason.
 * (SQLite sqliteLimit.h; TIGER_STYLE "put a limit on everything".)
 *
 * Each limit is enforced where the input is read and tested at its edge
 * (one over is refused, exactly at it is accepted): tests/test_limits.c
 * unless a line below names another test. One size per concept: a
 * buffer that holds a field is ZT_UTF8_BYTES of its limit (or the _BYTES
 * of its concept here), never a number of its own. */
#ifndef ZHITONG_LIMITS_H
#define ZHITONG_LIMITS_H

/* Bytes for a UTF-8 string of N characters, plus NUL. */
#define ZT_UTF8_BYTES(chars) ((chars) * 4 + 1)

/* ---- claims (claim_reader.c, claim_json.c) -------------------------- */

/* docs/spec/interfaces.md: at most 10,000 items in a claim (also
 * claim.xsd's maxOccurs; counted while the claim streams). */
#define ZT_ITEMS_PER_CLAIM_MAX 10000
/* Claim files are streamed, so their size is not limited; a single claim
 * is, while it streams and before it is built for validation: 10,000
 * items of ~600 bytes each, with room to spare. Counted as the input the
 * parser consumes from the claim's start tag, exact to within its
 * read-ahead (a few KiB). */
#define ZT_CLAIM_BYTES_MAX (16u * 1024u * 1024u)
/* Elements of a single claim, counted while it streams: an item has at
 * most ten (itself and its nine fields), a claim v2 at most 22 besides
 * its items. Each element costs some 300 bytes in the tree built for
 * validation, so this bounds that tree (~40 MB) whatever the shape of the
 * input, which bytes alone would not (<a/> is four bytes). */
#define ZT_CLAIM_ELEMENTS_MAX (12 * ZT_ITEMS_PER_CLAIM_MAX + 64)
/* Field lengths (characters) from docs/spec/interfaces.md and
 * claim-v2-national.md §1 (the XSDs say the same). */
#define ZT_CODE_CHARS_MAX 30     /* fixmedins_code, psn_no, feedetl_sn, ipt_no */
#define ZT_CLAIM_NO_CHARS_MAX 40
#define ZT_LIST_CODE_CHARS_MAX 50
#define ZT_DIAG_CHARS_MAX 20
/* A national settlement's setl_id: 1 to 40 printable ASCII characters
 * without spaces. */
#define ZT_NATIONAL_SETL_ID_CHARS_MAX 40

/* ---- documents ------------------------------------------------------ */

/* A document read whole — a policy file (rules check/load), a pain.001
 * read back — is capped: 64 MiB is far beyond any policy and stops a
 * runaway file. Registries, claim files and bank statements are streamed
 * instead (one record, claim or entry at a time). */
#define ZT_DOC_BYTES_MAX (64u * 1024u * 1024u)
/* A payer's answer to a batch (batch answer FILE, the gateways): a reject
 * list of ~100,000 records fits with room to spare. */
#define ZT_PAYER_ACK_BYTES_MAX (16u * 1024u * 1024u)
/* The configuration file (config.c): a county's has a few dozen lines; a
 * line (without its line break) is a setting and its value. */
#define ZT_CONFIG_BYTES_MAX (1024u * 1024u)
#define ZT_CONFIG_LINE_BYTES_MAX 4096
/* A PEM key or certificate (signing keys, sign.c) is a few KiB; anything
 * bigger is not one. */
#define ZT_KEY_FILE_BYTES_MAX (64u * 1024u)
/* A detached signature: Ed25519 is 64 bytes, SM2 at most 72 (DER); the cap
 * only stops a wrong file from being read whole. */
#define ZT_SIGNATURE_BYTES_MAX 1024u
/* The slip verification key (slipcode.c): at least 256 bits (RFC 2104 §3:
 * the hash's output length); no key file is larger than the maximum.
 * Tested in tests/test_slipcode.c. */
#define ZT_SLIPCODE_KEY_BYTES_MIN 32
#define ZT_SLIPCODE_KEY_BYTES_MAX 1024
/* The slip keys a pool holds (slip_keys.c): the signing key and the
 * retired ones kept to check old slips; a yearly rotation keeps eight
 * years. The verify URL printed in the QR code before the code. Tested in
 * tests/test_slip.c. */
#define ZT_SLIP_KEYS_MAX 8
#define ZT_SLIP_VERIFY_URL_BYTES 256
/* A time-zone file of the system's tzdata (date.c), read whole: the
 * largest of tzdata 2025 is under 4 KiB (fat files, transitions listed to
 * 2037); 256 KiB and 4096 transitions bound a corrupt or foreign file. */
#define ZT_TZIF_BYTES_MAX (256u * 1024u)
#define ZT_TZIF_TRANSITIONS_MAX 4096

/* ---- policies (policy.c; tested in tests/test_policy.c) ------------- */

/* Tiers in one critical-illness list; real policies have 3–5. */
#define ZT_TIERS_MAX 16
/* Relief funds in one policy; Sichuan's "three funds" is 3. */
#define ZT_RELIEF_MAX 16

/* ---- rules v2 (catalog.c, registry.c) ------------------------------ */

/* Entries of one catalogue (docs/spec/rules-v2.md §2), all held in memory
 * for lookup by (code, date) at about 100 bytes each: the national lists
 * with every maker's code run to a few hundred thousand; 1,000,000 bounds a
 * runaway file to about 100 MB. */
#define ZT_CATALOG_ENTRIES_MAX 1000000
/* Category periods of one person (docs/spec/rules-v2.md §3): people enter
 * and leave registered poverty a few times in a lifetime, not dozens. */
#define ZT_CATEGORY_PERIODS_MAX 16

/* ---- names, text and ids -------------------------------------------- */

/* Names of hospitals, people, funds and policies (registry, policy). */
#define ZT_NAME_CHARS_MAX 50
/* Who did something (--by, $ZHITONG_USER, $USER, the service's user and
 * X-Operator: every name recorded as maker, approver, issuer, importer …):
 * at most 40 characters after normalisation (zhitong/actor.h). A longer
 * name is refused, never truncated; 40 holds any real name and most
 * e-mail-style logins. */
#define ZT_ACTOR_CHARS_MAX 40
#define ZT_ACTOR_BYTES ZT_UTF8_BYTES(ZT_ACTOR_CHARS_MAX)
/* One line of free text (--reason, --note): at most 120 characters, no
 * tab, no line break, no control or invisible character (zhitong/text.h).
 * It is read back into fixed buffers and folded into audit details and
 * one-line messages, so a reason is a line, not a letter. */
#define ZT_TEXT_CHARS_MAX 120
#define ZT_TEXT_BYTES ZT_UTF8_BYTES(ZT_TEXT_CHARS_MAX)
/* A text input far beyond any limit is refused before it is examined
 * (a name may shrink under normalisation, runs of spaces to one). */
#define ZT_TEXT_BYTES_MAX 4096
/* An id zhitong makes that travels in bank and payer references — a
 * batch (B390100-000001), its repayment (B390100-000001-R1), an advance
 * plan, an advance, a pain.001 MsgId, a reconciliation exception
 * (EXC-000001) — is at most 35 characters (ISO 20022 Max35Text:
 * EndToEndId, MsgId); an id given on the command line is no longer. */
#define ZT_ID_CHARS_MAX 35
#define ZT_ID_BYTES (ZT_ID_CHARS_MAX + 1)
/* Rejection and error messages are one line (a buffer size, not a limit
 * on input: a message quotes at most a bounded part of what it names). */
#define ZT_MESSAGE_BYTES_MAX 512

/* ---- JSON bodies (docs/spec/service.md "Bodies"; json.c,
 *      zt_json_limits_default) ----------------------------------------- */

/* The body itself is capped by the service before it is read (8 MiB for
 * claims); the rest bounds the tree built from it. Our deepest shape is a
 * list of claims holding items holding a trace object (depth 5). */
#define ZT_JSON_BYTES_MAX (8u * 1024u * 1024u)
#define ZT_JSON_DEPTH_MAX 16
/* A claim v2 has about 60 fields; nothing of ours has more than 256. */
#define ZT_JSON_MEMBERS_MAX 256
/* 10,000 items in a claim; a list of claims is bounded by the body size,
 * but no array gets more than 100,000 elements. */
#define ZT_JSON_ELEMENTS_MAX 100000
/* The longest free text we take (a reason, a note) is far below this;
 * each field's own length is checked by whoever reads the field. */
#define ZT_JSON_STRING_CHARS_MAX 4096
/* Values in one document: bounds the tree's memory (about 80 bytes a value)
 * whatever the shape of the body. */
#define ZT_JSON_VALUES_MAX 1000000

/* ---- the HTTP service (docs/spec/service.md "Starting it"; each of the
 *      first ones can be set in [service], docs/service.md; tools/service,
 *      tested in tests/test_service_core.c where named) ---------------- */

/* A body over the limit is refused (413) before it is read: 8 MiB holds a
 * list of several hundred claims. Tested. */
#define ZT_SERVICE_BODY_BYTES_MAX (8u * 1024u * 1024u)
/* A connection silent this long is closed: a desk's HIS reconnects in
 * milliseconds, an idle socket holds a thread. */
#define ZT_SERVICE_IDLE_TIMEOUT_S 30
/* Connections (one thread each) in all, and from one address: a county
 * has some dozens of hospitals with a few desks each. Behind a proxy every
 * connection comes from the proxy: raise the second to its pool. */
#define ZT_SERVICE_CONNECTIONS_MAX 512
#define ZT_SERVICE_CONNECTIONS_PER_ADDRESS_MAX 64
/* Requests a second, and the burst, per user and per client address: a
 * desk settles a claim every few minutes; a HIS sending a day's claims
 * one by one stays well below 50 a second. 0 turns a limit off. */
#define ZT_SERVICE_USER_RATE_PER_S 50
#define ZT_SERVICE_USER_BURST 100
#define ZT_SERVICE_ADDRESS_RATE_PER_S 100
#define ZT_SERVICE_ADDRESS_BURST 200
/* On SIGTERM, how long requests in flight may take to finish. */
#define ZT_SERVICE_STOP_TIMEOUT_S 30
/* A bearer token ("zt_" and at least 128 random bits) is far shorter. */
#define ZT_SERVICE_TOKEN_BYTES 256
/* Query parameters of one request: the widest search takes eight. */
#define ZT_SERVICE_QUERY_PARAMS_MAX 32
/* Media ranges of one Accept header looked at: browsers send under ten. */
#define ZT_SERVICE_ACCEPT_RANGES_MAX 32
/* The TLS certificate and key files: a chain of a few certificates. */
#define ZT_SERVICE_PEM_BYTES_MAX (1u << 20)
/* Users and addresses the rate limiter remembers at once (the oldest are
 * forgotten first): bounds its memory whoever connects. */
#define ZT_SERVICE_RATE_KEYS_MAX 4096


/* ---- users, scopes and the audit trail ---------------------------- */

/* Users of the service (docs/spec/service.md "Users, roles and tokens").
 * The longest grace a replaced token keeps (zhitong/token.h): a hospital
 * changes its systems over within days; a longer overlap only keeps a
 * leaked token alive. */
#define ZT_TOKEN_GRACE_S_MAX (30 * 86400)
/* Hospitals (a desk) or funds (a fund administrator) in one user's scope
 * (zhitong/access.h): a hospital group, or a province's funds, is far
 * below this. */
#define ZT_SCOPE_ENTRIES_MAX 1024
/* The audit trail (zhitong/audit.h): a head file is a few lines, read
 * whole; one field of a record (the detail is the longest) is bounded so
 * that its canonical form cannot be confused with a length marker. */
#define ZT_AUDIT_HEAD_BYTES_MAX 4096
#define ZT_AUDIT_FIELD_BYTES_MAX (1u << 20)


#endif
