/* zhitong — who may do what: the five roles, the classes of operation each
 * may perform, what each may see of a claim, and a user's scope
 * (docs/spec/service.md "Users, roles and tokens").
 *
 * Data, not code paths: one table (access.c) says, for every class of
 * operation, which roles may perform it, whether it changes state and
 * whether it moves money; a front door asks zt_access_allows before it
 * looks anything up (403 then), and zt_access_in_scope for the object it
 * found (404 then, the same answer as for an object that does not exist).
 * The table keeps the specification's sentences true by construction, and
 * the tests check them over the table: an auditor changes nothing, an
 * administrator moves no money, finance never sees diagnoses, items or full
 * ID numbers.
 *
 * The service core (tools/service/service.h) has no roles of its own: each
 * route names its zt_op and the core asks zt_access_allows. */
#ifndef ZHITONG_ACCESS_H
#define ZHITONG_ACCESS_H

#include <stdbool.h>
#include <stddef.h>

enum zt_user_role {
	ZT_USER_DESK = 1u << 0,       /* a hospital's desk or its HIS */
	ZT_USER_FUND_ADMIN = 1u << 1, /* a fund's administrator */
	ZT_USER_FINANCE = 1u << 2,
	ZT_USER_AUDITOR = 1u << 3,
	ZT_USER_ADMIN = 1u << 4,
};
#define ZT_USER_ROLES_ALL 0x1Fu
#define ZT_USER_ROLE_COUNT 5

/* "desk", "fund-admin", "finance", "auditor", "admin"; NULL unless `role`
 * is exactly one role. */
const char *zt_user_role_name(unsigned role);
/* One role by its name; ZT_EINVAL "unknown role 'x' (desk, fund-admin,
 * finance, auditor or admin)". */
int zt_user_role_parse(unsigned *out, const char *name);

/* Classes of operation: every endpoint and every command is one. */
enum zt_op {
	ZT_OP_CLAIM_SUBMIT,      /* POST /v1/claims, claim submit */
	ZT_OP_CLAIM_QUOTE,       /* POST /v1/quotes, claim quote: nothing stored */
	ZT_OP_CLAIM_REVERSE,     /* POST .../reversal, claim reverse */
	ZT_OP_CLAIM_READ,        /* claims, settlements, search (what is shown: zt_access_view) */
	ZT_OP_SLIP,              /* a settlement's slip */
	ZT_OP_PERSON_LOOKUP,     /* GET /v1/persons: who is this at the desk */
	ZT_OP_HOSPITAL_REPORT,   /* GET /v1/reports/hospital: a hospital's day */
	ZT_OP_BATCH_READ,        /* batches, their files and signatures */
	ZT_OP_BATCH_WRITE,       /* batch create, approve, reject, reopen, export, send */
	ZT_OP_ADVANCE_READ,      /* advances and advance plans */
	ZT_OP_ADVANCE_WRITE,     /* advance plans: create, approve, issue */
	ZT_OP_RECONCILE_READ,    /* exceptions, the reconciliation report */
	ZT_OP_RECONCILE_WRITE,   /* statement import, exception resolution */
	ZT_OP_FINANCE_REPORT,    /* ledger and money reports */
	ZT_OP_VERIFY,            /* GET /v1/verify, verify */
	ZT_OP_AUDIT_READ,        /* the audit trail: list, verify, head */
	ZT_OP_METRICS,           /* GET /metrics */
	ZT_OP_USER_ADMIN,        /* users: add, disable, tokens */
	ZT_OP_REFERENCE_WRITE,   /* registry, catalogues, policies: load */
	ZT_OP_COUNT
};

struct zt_op_info {
	const char *name;   /* "claim-submit": for messages and the audit trail */
	unsigned roles;     /* ZT_USER_* that may perform it */
	bool changes;       /* it changes stored state */
	bool moves_money;   /* it settles, reverses, pays out or books money */
};

/* NULL for an op outside the enum. */
const struct zt_op_info *zt_op_info(enum zt_op op);
/* The roles that may perform `op` (0 for an op outside the enum). */
unsigned zt_access_roles(enum zt_op op);
/* Whether a user holding `roles` may perform `op`: the 403 decision, taken
 * before any object is looked up. */
bool zt_access_allows(unsigned roles, enum zt_op op);

/* What of a claim a role sees (docs/spec/service.md: finance "sees amounts,
 * never diagnoses, items or full ID numbers"). */
enum zt_view {
	ZT_VIEW_AMOUNTS = 1u << 0,  /* settlements, funds, totals */
	ZT_VIEW_CLINICAL = 1u << 1, /* diagnoses and items */
	ZT_VIEW_IDENTITY = 1u << 2, /* names and full ID numbers */
};
/* The union over the roles held (a role that reads no claim sees nothing). */
unsigned zt_access_view(unsigned roles);

/* ---- scope ------------------------------------------------------------ */

/* Which hospitals a desk serves, which funds a fund administrator keeps.
 * Other roles have none. Codes are identifiers (zt_text_check IDENT) of
 * 1..ZT_CODE_CHARS_MAX characters, at most ZT_SCOPE_ENTRIES_MAX of each,
 * kept sorted and without repetition. */
struct zt_scope {
	char **hospitals;
	size_t hospital_count;
	char **funds;
	size_t fund_count;
	/* The pools whose data the user reaches (config.h; issue 13 §2), any
	 * role; none: every pool. */
	char **pools;
	size_t pool_count;
};

void zt_scope_init(struct zt_scope *s);
/* Releases what the scope holds (it is empty again afterwards). */
void zt_scope_free(struct zt_scope *s);
/* Adds a code (once: adding it again changes nothing). ZT_EINVAL for a
 * code that is not an identifier of the right length, ZT_ERANGE past
 * ZT_SCOPE_ENTRIES_MAX, ZT_ENOMEM. */
int zt_scope_add_hospital(struct zt_scope *s, const char *code);
int zt_scope_add_fund(struct zt_scope *s, const char *code);
bool zt_scope_has_hospital(const struct zt_scope *s, const char *code);
bool zt_scope_has_fund(const struct zt_scope *s, const char *code);
int zt_scope_add_pool(struct zt_scope *s, const char *pool);
/* Whether the scope reaches pool `pool`: it names no pool, or names this
 * one. An object of another pool is the 404 of docs/spec/service.md. */
bool zt_scope_admits_pool(const struct zt_scope *s, const char *pool);

/* Whether a user of `roles` may have this scope (user add): a desk has at
 * least one hospital, a fund administrator at least one fund, and no role
 * has what it does not use (a desk no fund, finance neither). Exactly one
 * role. ZT_EINVAL with the reason ("a desk needs --hospital"). */
int zt_scope_check(unsigned roles, const struct zt_scope *s);

/* Whether an object belongs to the caller: a claim of `hospital` paid by
 * the `fund_count` funds `funds`, or a batch of one fund (hospital NULL).
 * A desk sees what is of one of its hospitals, a fund administrator what
 * one of its funds pays; finance, auditors and administrators are not
 * bound by a scope. Give the caller's roles that allow the operation
 * (roles & zt_access_roles(op)), so that a role the operation does not
 * admit lends no reach. false is the 404 of docs/spec/service.md (the same
 * answer as for an object that does not exist). */
bool zt_access_in_scope(unsigned roles, const struct zt_scope *s, const char *hospital,
                        const char *const *funds, size_t fund_count);

#endif
