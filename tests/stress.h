/* zhitong — the world and the operations that the stress tests sweep
 * faults over (test_faults.c: a failed SQLite write or sync; test_alloc.c:
 * a failed allocation; README "Proof under stress").
 *
 * The world is built through the CLI, as a user would: a database with the
 * sample registry and policy, the worked example settled, a signing key
 * and a configuration with the pool's and the hospital's accounts. Each
 * operation then runs in this process, through the library, so that the
 * test's fault reaches it; each returns the operation's code and leaves
 * the store closed. */
#ifndef ZT_TEST_STRESS_H
#define ZT_TEST_STRESS_H

#include <stdbool.h>

#define ZT_STRESS_B1 "B390100-000001" /* 8160.00, the worked example's basic fund */

struct zt_stress_world {
	char dir[600];
	char db[700];    /* the world, never changed by an operation */
	char cfg[700];   /* zhitong.ini: [signing] key, [pool], [hospital H51010101] */
	char key[700];   /* an Ed25519 private key */
	char today[32];  /* YYYY-MM-DD */
	char today8[16]; /* YYYYMMDD */
};

/* What a world holds beyond the worked example settled. */
enum {
	ZT_STRESS_BATCH_APPROVED = 1, /* B1 created by alice, approved by bob */
	ZT_STRESS_BATCH_ACCEPTED = 2, /* ... exported, and accepted by the payer */
	ZT_STRESS_PLAN_APPROVED = 4,  /* an advance plan of 20000.00 to H51010101, approved */
};

/* Builds the world in this test's directory (the world's database is
 * w->db). The plan's id goes to plan_id (may be NULL). */
void zt_stress_world(struct zt_stress_world *w, int flags, char plan_id[40]);

/* Copies the database `from` (a closed one) to `to`, replacing it. */
void zt_stress_copy(const char *from, const char *to);
/* The whole database as SQL text (sqlite3 .dump; caller frees). */
char *zt_stress_dump(const char *db);
/* The same with every timestamp ('YYYY-MM-DDTHH:MM:SS…' or
 * 'YYYY-MM-DD HH:MM:SS…') written as 'T', and the audit records' hashes
 * (which take in their time) as 'H': what a retry must reproduce. */
char *zt_stress_answer(const char *db);
/* Asserts `zhitong verify` (the ledger, the settlements, the audit chain)
 * passes on db. */
void zt_stress_verify(const char *db, const char *what);

/* ---- the operations (in this process) ---------------------------------- */

/* claim submit: the claim file `claims` into db; the answer printed in
 * *answer (malloc'd; may be NULL). */
int zt_stress_settle(const char *db, const char *claims, char **answer);
/* registry load, in one transaction (as the CLI's). */
int zt_stress_registry_load(const char *db, const char *registry);
/* batch create for `fund` by alice: the id in id (ZT_ID_BYTES). */
int zt_stress_batch_create(const char *db, const char *fund, char *id);
/* batch export of `id` to `out` (and out.sig), signed with w->key, by carol. */
int zt_stress_batch_export(const struct zt_stress_world *w, const char *db, const char *id,
                           const char *out);
/* The same with outfile.h's flags (ZT_OUT_FORCE). */
int zt_stress_batch_export_flags(const struct zt_stress_world *w, const char *db, const char *id,
                                 const char *out, int out_flags);
/* reconcile import of the statement `path` with the world's configuration. */
int zt_stress_recon_import(const struct zt_stress_world *w, const char *db, const char *path);
/* advance issue of `plan_id` by erin, the pain.001 to `out`. */
int zt_stress_advance_issue(const struct zt_stress_world *w, const char *db, const char *plan_id,
                            const char *out);
/* A statement paying B1 in full (8160.00) on the world's day. */
const char *zt_stress_statement(const struct zt_stress_world *w);

/* ---- one operation of a sweep -------------------------------------------- */

/* An operation as test_faults and test_alloc sweep it: on a world, in a
 * copy of its database (db), writing its file (out, out.sig). */
struct zt_stress_op {
	const char *name;
	struct zt_stress_world *w;
	char plan_id[40]; /* advance issue: the world's approved plan */
	char db[800];
	char out[800];
	int out_flags; /* batch export: outfile.h flags (ZT_OUT_FORCE) */
	int variant;   /* the sweeping test's own (e.g. what is at out before) */
	int (*run)(struct zt_stress_op *o);
};

/* The operations, each on o->db: claim submit (a mixed file), registry
 * load (v2), batch create (fund 390100), batch export (B1 to out), reconcile
 * import (zt_stress_statement), advance issue (the plan, to out). */
int zt_stress_run_settle(struct zt_stress_op *o);
int zt_stress_run_registry(struct zt_stress_op *o);
int zt_stress_run_batch_create(struct zt_stress_op *o);
int zt_stress_run_batch_export(struct zt_stress_op *o);
int zt_stress_run_import(struct zt_stress_op *o);
int zt_stress_run_advance(struct zt_stress_op *o);

/* Builds the world (world_flags as for zt_stress_world) and the operation
 * `name` on it: db and out in the world's directory. */
void zt_stress_op_init(struct zt_stress_op *o, struct zt_stress_world *w, int world_flags,
                       const char *name, int (*run)(struct zt_stress_op *o));
/* Removes out and out.sig. */
void zt_stress_op_clear_out(struct zt_stress_op *o);

#endif
