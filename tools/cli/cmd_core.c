/* zhitong — init, registry, rules, verify, status, schema. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "cli.h"
#include "zhitong/error.h"
#include "zhitong/policy.h"
#include "zhitong/registry.h"
#include "zhitong/xml.h"

/* ---- init ---------------------------------------------------------------- */

int cmd_init(const struct cli *c, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&a, argc, argv, "", "");
	if (rc)
		return rc;
	if (a.help) {
		puts("usage: zhitong --db PATH init\n\n"
		     "Creates the database if it does not exist (mode 0600: it holds personal\n"
		     "data) and brings its schema to the current version (forward migrations,\n"
		     "each in its own transaction). Safe to run again: an up-to-date database is\n"
		     "left as it is.");
		return EXIT_DONE;
	}
	if (a.npos)
		return cli_usage("init takes no arguments");
	struct zt_store *s;
	/* A new database holds names and identity numbers: the store creates
	 * it for its owner only (0600; SQLite gives its -wal and -shm files the
	 * same mode). Widen it deliberately (a group for the service account)
	 * if needed. */
	struct zt_store_options o;
	cli_store_options(&o, CLI_STORE_CREATE);
	if ((rc = zt_store_open(&s, c->db_path, &o)) != 0)
		return cli_fail(rc, "database");
	int from, to;
	rc = s->ops->migrate(s, &from, &to);
	zt_store_close(s);
	if (rc)
		return cli_fail(rc, "database");
	if (from == to)
		fprintf(stderr, "zhitong: %s is up to date (schema version %d)\n", c->db_path, to);
	else
		fprintf(stderr, "zhitong: %s: schema version %d -> %d\n", c->db_path, from, to);
	return EXIT_DONE;
}

/* ---- registry --------------------------------------------------------------- */

struct reg_load {
	struct zt_store *s;
	long hospitals, people, funds;
};

static int reg_hospital(void *ctx, const struct zt_hospital *h, int line)
{
	(void)line;
	struct reg_load *l = ctx;
	l->hospitals++;
	return l->s->ops->registry.put_hospital(l->s, h);
}

static int reg_person(void *ctx, const struct zt_person *p, int line)
{
	(void)line;
	struct reg_load *l = ctx;
	l->people++;
	return l->s->ops->registry.put_person(l->s, p);
}

static int reg_fund(void *ctx, const struct zt_fund *f, int line)
{
	(void)line;
	struct reg_load *l = ctx;
	l->funds++;
	return l->s->ops->registry.put_fund(l->s, f);
}

/* Loads one registry file in one transaction: all of it or nothing. */
int cli_registry_load(struct zt_store *s, const char *path, const char *actor, bool quiet)
{
	struct reg_load l = {.s = s};
	struct zt_registry_visitor v = {&l, reg_hospital, reg_person, reg_fund};
	int rc = s->ops->begin(s, ZT_TXN_WRITE);
	if (rc)
		return rc;
	rc = zt_registry_parse_file(path, &v);
	if (rc == 0) {
		char detail[160];
		snprintf(detail, sizeof detail, "%ld hospitals, %ld people, %ld funds", l.hospitals,
		         l.people, l.funds);
		rc = s->ops->audit.add(s, actor, "registry load", path, detail);
	}
	if (rc == 0)
		rc = s->ops->commit(s);
	else
		s->ops->rollback(s);
	if (rc == 0 && !quiet)
		fprintf(stderr, "zhitong: %s: loaded %ld hospitals, %ld people, %ld funds\n", path,
		        l.hospitals, l.people, l.funds);
	return rc;
}

int cmd_registry(const struct cli *c, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&a, argc, argv, "--by", "");
	if (rc)
		return rc;
	if (a.help || a.npos == 0) {
		printf("usage: zhitong --db PATH registry load FILE.xml [--by NAME]\n\n"
		       "Loads hospitals, people and funds (urn:zhitong:registry:1), upserting by\n"
		       "code / psn_no, in one transaction: a file with one bad record changes\n"
		       "nothing, and the error names the file, the line and the field. Load the\n"
		       "registry before the policies: every fund a policy names must be registered.\n");
		return a.help ? EXIT_DONE : EXIT_USAGE;
	}
	if (strcmp(a.pos[0], "load") != 0 || a.npos != 2)
		return cli_usage("zhitong registry load FILE.xml");
	struct zt_store *s;
	if ((rc = cli_open_store(c, 0, &s)) != 0)
		return rc;
	rc = cli_registry_load(s, a.pos[1], cli_actor(&a), false);
	zt_store_close(s);
	return rc ? cli_fail(rc, rc == ZT_EINVAL ? "schema-invalid" : NULL) : EXIT_DONE;
}

/* ---- rules ----------------------------------------------------------------- */

int cli_rules_load(struct zt_store *s, const char *path, const char *actor, bool quiet)
{
	char *xml = NULL;
	size_t len = 0;
	struct zt_policy *pol = malloc(sizeof *pol);
	if (!pol)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	int rc = zt_read_file(&xml, &len, path, ZT_DOC_BYTES_MAX);
	if (rc == 0)
		rc = zt_policy_parse(pol, xml, len, path);
	/* Until claims v2 and the supplementary split are wired into
	 * settlement, a supplementary policy would leave its county's claims
	 * without a way to settle: it is checked, not stored. */
	if (rc == 0 && pol->mode == ZT_MODE_SUPPLEMENTARY)
		rc = zt_error_set(ZT_EINVAL, "%s: policy '%s' is supplementary: 'rules check' accepts it, "
		                  "but settling on top of the national platform is not wired in yet, "
		                  "so it cannot be loaded", path, pol->id);
	if (rc)
		goto done;
	if ((rc = s->ops->begin(s, ZT_TXN_WRITE)) != 0)
		goto done;
	const char *codes[3 + ZT_RELIEF_MAX];
	int n = zt_policy_funds(pol, codes);
	for (int i = 0; i < n && rc == 0; i++) {
		struct zt_fund f;
		int r = s->ops->registry.get_fund(s, codes[i], &f);
		if (r == ZT_ENOTFOUND)
			rc = zt_error_set(ZT_EINVAL, "%s: fund '%s' named by the policy is not in the "
			                  "registry (load it with 'registry load' first)", path, codes[i]);
		else
			rc = r;
	}
	int64_t row = 0;
	bool was_new = false;
	if (rc == 0)
		rc = s->ops->policies.put(s, pol, xml, len, actor, &row, &was_new);
	if (rc == 0 && was_new)
		rc = s->ops->audit.add(s, actor, "rules load", path, pol->id);
	if (rc == 0)
		rc = s->ops->commit(s);
	else
		s->ops->rollback(s);
	if (rc == 0 && !quiet) {
		char f[ZT_FMT_BYTES], t[ZT_FMT_BYTES];
		fprintf(stderr, "zhitong: %s: policy '%s' for county %s, %s to %s %s\n", path, pol->id,
		        pol->county, zt_format_date(f, pol->effective_from),
		        pol->effective_to ? zt_format_date(t, pol->effective_to) : "open-ended",
		        was_new ? "loaded" : "was already loaded (identical)");
	}
done:
	free(xml);
	free(pol);
	return rc;
}

int cmd_rules(const struct cli *c, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&a, argc, argv, "--by", "");
	if (rc)
		return rc;
	if (a.help || a.npos == 0) {
		printf("usage: zhitong --db PATH rules load FILE.xml [--by NAME]\n"
		       "       zhitong rules check FILE.xml\n\n"
		       "A policy (urn:zhitong:policy:1, or :2 with mode=\"full|supplementary\") is\n"
		       "one version of a county's rules. 'check' validates it against the schema and\n"
		       "every rule of the format (four levels, tiers strictly increasing with only\n"
		       "the last open, ratios at most 1, each category at most once per element,\n"
		       "distinct fund codes; a supplementary policy names its <national-funds> and\n"
		       "has no <basic>, <critical> or <assistance> …) and needs no database. 'load'\n"
		       "does the same, then checks that every fund it names is registered and that\n"
		       "it overlaps no loaded policy of the same county, and stores it (a\n"
		       "supplementary policy cannot be loaded yet). Errors name the file, the line\n"
		       "and the field.\n");
		return a.help ? EXIT_DONE : EXIT_USAGE;
	}
	if (a.npos != 2 || (strcmp(a.pos[0], "load") != 0 && strcmp(a.pos[0], "check") != 0))
		return cli_usage("zhitong rules load|check FILE.xml");
	if (strcmp(a.pos[0], "check") == 0) {
		char *xml = NULL;
		size_t len = 0;
		struct zt_policy *pol = malloc(sizeof *pol);
		if (!pol)
			return cli_fail(zt_error_set(ZT_ENOMEM, "out of memory"), NULL);
		rc = zt_read_file(&xml, &len, a.pos[1], ZT_DOC_BYTES_MAX);
		if (rc == 0)
			rc = zt_policy_parse(pol, xml, len, a.pos[1]);
		if (rc == 0) {
			char f[ZT_FMT_BYTES], t[ZT_FMT_BYTES];
			printf("%s: policy '%s' for county %s, %s to %s%s: valid\n", a.pos[1], pol->id,
			       pol->county, zt_format_date(f, pol->effective_from),
			       pol->effective_to ? zt_format_date(t, pol->effective_to) : "open-ended",
			       pol->mode == ZT_MODE_SUPPLEMENTARY ? " (supplementary)" : "");
		}
		free(xml);
		free(pol);
		return rc ? cli_fail(rc, rc == ZT_EINVAL || rc == ZT_ERANGE ? "schema-invalid" : NULL)
		          : EXIT_DONE;
	}
	struct zt_store *s;
	if ((rc = cli_open_store(c, 0, &s)) != 0)
		return rc;
	rc = cli_rules_load(s, a.pos[1], cli_actor(&a), false);
	zt_store_close(s);
	return rc ? cli_fail(rc, rc == ZT_EINVAL || rc == ZT_ERANGE ? "schema-invalid" : NULL)
	          : EXIT_DONE;
}

/* ---- verify ------------------------------------------------------------------ */

static void on_violation(void *ctx, const char *check, const char *message)
{
	(void)ctx;
	printf("VIOLATION  %s: %s\n", check, message);
}

static void on_checked(void *ctx, const char *check, int64_t count)
{
	(void)ctx;
	printf("checked    %-48s (%lld rows)\n", check, (long long)count);
}

int cmd_verify(const struct cli *c, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&a, argc, argv, "", "");
	if (rc)
		return rc;
	if (a.help) {
		puts("usage: zhitong --db PATH verify\n\n"
		     "Re-checks, from stored data, every invariant of the money flow: each\n"
		     "settlement conserves money to the fen and its funds sum up; reversals\n"
		     "mirror their settlement; the ledger balances and each account's balance\n"
		     "equals its transfers; every settlement is in the ledger; each person's\n"
		     "yearly accumulators equal the sums of their settlements less reversals; a\n"
		     "claim number has at most one live settlement. It sees everything stored,\n"
		     "trusting none of the schema's guards (foreign keys, triggers, CHECKs may\n"
		     "have been off): each claim against its digest and its items, each\n"
		     "settlement against its claim and the rows it names (hospital, person,\n"
		     "policy, funds), gaps in claims, settlements, transfers and the audit\n"
		     "trail, the audit record of what was done, policy digests, every other\n"
		     "reference, the immutability triggers; and the advances, batches and\n"
		     "reconciliation. Prints what it checked and each violation; exit 1 if\n"
		     "there is any.");
		return EXIT_DONE;
	}
	struct zt_store *s;
	if ((rc = cli_open_store(c, CLI_STORE_READONLY, &s)) != 0)
		return rc;
	struct zt_verify_report r = {NULL, on_violation, on_checked};
	int64_t n = 0;
	rc = zt_verify(s, &r, &n);
	zt_store_close(s);
	if (rc)
		return cli_fail(rc, NULL);
	printf("%s: %lld violation%s\n", n ? "FAILED" : "OK", (long long)n, n == 1 ? "" : "s");
	return n ? EXIT_REJECTED : EXIT_DONE;
}

/* ---- status, schema ----------------------------------------------------------- */

static void print_count(void *ctx, const char *table, int64_t rows)
{
	(void)ctx;
	printf("%-16s %12lld\n", table, (long long)rows);
}

int cmd_status(const struct cli *c, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&a, argc, argv, "", "");
	if (rc)
		return rc;
	if (a.help) {
		puts("usage: zhitong --db PATH status\n\nRow counts of every table of the database.");
		return EXIT_DONE;
	}
	struct zt_store *s;
	if ((rc = cli_open_store(c, CLI_STORE_READONLY, &s)) != 0)
		return rc;
	printf("database %s (schema version %d)\n", c->db_path, ZT_STORE_VERSION);
	rc = s->ops->verify.counts(s, print_count, NULL);
	zt_store_close(s);
	return rc ? cli_fail(rc, NULL) : EXIT_DONE;
}

int cmd_schema(const struct cli *c, int argc, char **argv)
{
	(void)c;
	struct args a;
	int rc = args_parse(&a, argc, argv, "", "");
	if (rc)
		return rc;
	static const struct {
		const char *name;
		enum zt_schema_id id;
	} names[] = {{"registry", ZT_SCHEMA_REGISTRY},
	             {"policy", ZT_SCHEMA_POLICY},
	             {"claim", ZT_SCHEMA_CLAIM},
	             {"claim-v2", ZT_SCHEMA_CLAIM_V2},
	             {"settlement", ZT_SCHEMA_SETTLEMENT},
	             {"settlement-v2", ZT_SCHEMA_SETTLEMENT_V2},
	             {"payer-file", ZT_SCHEMA_PAYER_FILE},
	             {"payer-ack", ZT_SCHEMA_PAYER_ACK},
	             {"catalog", ZT_SCHEMA_CATALOG},
	             {"registry-v2", ZT_SCHEMA_REGISTRY_V2},
	             {"policy-v2", ZT_SCHEMA_POLICY_V2}};
	if (a.help || a.npos != 1) {
		puts("usage: zhitong schema "
		     "registry|policy|claim|claim-v2|settlement|settlement-v2|payer-file|payer-ack|\n"
		     "        catalog|registry-v2|policy-v2\n\n"
		     "Prints the XSD the program validates that format with (the same file as\n"
		     "schema/NAME.xsd in the source tree, compiled in).");
		return a.help ? EXIT_DONE : EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (strcmp(names[i].name, a.pos[0]) == 0) {
			size_t len;
			const char *t = zt_schema_text(names[i].id, &len);
			fwrite(t, 1, len, stdout);
			return EXIT_DONE;
		}
	return cli_usage("unknown schema '%s'", a.pos[0]);
}
