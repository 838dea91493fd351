/* zhitong — every limit on what comes from outside, each with its reason.
 * (SQLite sqliteLimit.h; TIGER_STYLE "put a limit on everything".) */
#ifndef ZHITONG_LIMITS_H
#define ZHITONG_LIMITS_H

/* docs/spec/interfaces.md: at most 10,000 items in a claim. */
#define ZT_ITEMS_PER_CLAIM_MAX 10000
/* A policy file (and any other document read whole) is capped: 64 MiB is
 * far beyond any policy and stops a runaway file. Registries, claim files
 * and bank statements are streamed instead, and need no cap. */
#define ZT_DOC_BYTES_MAX (64u * 1024u * 1024u)
/* Claim files are streamed, so their size is not limited; a single claim's
 * subtree is (10,000 items of ~600 bytes each, with room to spare). */
#define ZT_CLAIM_BYTES_MAX (16u * 1024u * 1024u)
/* Deepest nesting any of our formats needs is 4 (claims/claim/items/item/x);
 * ISO 20022 needs ~15. libxml2's own limit (256) stays in force too. */
#define ZT_XML_DEPTH_MAX 32
/* Tiers in one critical-illness list; real policies have 3–5. */
#define ZT_TIERS_MAX 16
/* Relief funds in one policy; Sichuan's "three funds" is 3. */
#define ZT_RELIEF_MAX 16
/* Entries of one catalogue (docs/spec/rules-v2.md §2), all held in memory
 * for lookup by (code, date) at about 100 bytes each: the national lists
 * with every maker's code run to a few hundred thousand; 1,000,000 bounds a
 * runaway file to about 100 MB. */
#define ZT_CATALOG_ENTRIES_MAX 1000000
/* Category periods of one person (docs/spec/rules-v2.md §3): people enter
 * and leave registered poverty a few times in a lifetime, not dozens. */
#define ZT_CATEGORY_PERIODS_MAX 16
/* Field lengths (characters) from docs/spec/interfaces.md. */
#define ZT_CODE_CHARS_MAX 30     /* fixmedins_code, psn_no, feedetl_sn */
#define ZT_CLAIM_NO_CHARS_MAX 40
#define ZT_LIST_CODE_CHARS_MAX 50
#define ZT_DIAG_CHARS_MAX 20
#define ZT_NAME_CHARS_MAX 50
/* Who did something (--by, $ZHITONG_USER, $USER: every name recorded as
 * maker, approver, issuer, importer …): at most 40 characters after
 * normalisation (zhitong/actor.h). A longer name is refused, never
 * truncated; 40 holds any real name and most e-mail-style logins. */
#define ZT_ACTOR_CHARS_MAX 40
/* One line of free text (--reason, --note): at most 120 characters, no
 * tab, no line break, no control or invisible character (zhitong/text.h).
 * It is read back into fixed buffers and folded into audit details and
 * one-line messages, so a reason is a line, not a letter. */
#define ZT_TEXT_CHARS_MAX 120
/* Bytes for a UTF-8 string of N characters, plus NUL. */
#define ZT_UTF8_BYTES(chars) ((chars) * 4 + 1)
/* A text input far beyond any limit is refused before it is examined
 * (a name may shrink under normalisation, runs of spaces to one). */
#define ZT_TEXT_BYTES_MAX 4096
/* Rejection / error messages are one line. */
#define ZT_MESSAGE_BYTES_MAX 512
/* JSON bodies (docs/spec/service.md "Bodies"; zt_json_limits_default).
 * The body itself is capped by the service before it is read (8 MiB for
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
/* The HTTP service (docs/spec/service.md "Starting it"; each can be set in
 * [service], docs/service.md). A body over the limit is refused (413)
 * before it is read: 8 MiB holds a list of several hundred claims. */
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
/* Claims per write transaction when a file is settled in groups. */
#define ZT_CLAIMS_PER_TXN 2000
/* A time-zone file of the system's tzdata (date.c), read whole: the
 * largest of tzdata 2025 is under 4 KiB (fat files, transitions listed to
 * 2037); 256 KiB and 4096 transitions bound a corrupt or foreign file. */
#define ZT_TZIF_BYTES_MAX (256u * 1024u)
#define ZT_TZIF_TRANSITIONS_MAX 4096

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
