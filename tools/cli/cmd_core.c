/* zhitong — init, registry, rules, verify, status, schema. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "zhitong/pools.h"
#include "zhitong/error.h"
#include "zhitong/policy.h"
#include "zhitong/registry.h"
#include "zhitong/verify.h"
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
	struct zt_init_res res;
	rc = zt_init(s, &res);
	zt_store_close(s);
	if (rc)
		return cli_fail(rc, "database");
	if (res.from_version == res.to_version)
		fprintf(stderr, "zhitong: %s is up to date (schema version %d)\n", c->db_path,
		        res.to_version);
	else
		fprintf(stderr, "zhitong: %s: schema version %d -> %d\n", c->db_path, res.from_version,
		        res.to_version);
	return EXIT_DONE;
}

/* ---- registry --------------------------------------------------------------- */

int cli_open_doc(FILE **f, const char *path)
{
	struct stat sb;
	if (!(*f = fopen(path, "rb")))
		return zt_error_set(ZT_ENOTFOUND, "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fileno(*f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
		fclose(*f);
		*f = NULL;
		return zt_error_set(ZT_ENOTFOUND, "'%s' is not a regular file", path);
	}
	return 0;
}

/* Loads one registry file (zt_registry_load: all of it or nothing). */
int cli_registry_load(struct zt_store *s, const char *path, const char *actor, bool quiet)
{
	FILE *f;
	struct zt_registry_load_res res;
	int rc = cli_open_doc(&f, path);
	if (rc)
		return rc;
	struct zt_source src = zt_source_file(f, path);
	rc = zt_registry_load(s, &(struct zt_registry_load_req){&src, actor}, &res);
	fclose(f);
	if (rc == 0 && !quiet)
		fprintf(stderr, "zhitong: %s: loaded %lld hospitals, %lld people, %lld funds\n", path,
		        (long long)res.hospitals, (long long)res.people, (long long)res.funds);
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

/* "policy 'ID' for county C, FROM to TO" */
static const char *policy_line(char *buf, size_t cap, const char *path,
                               const struct zt_rules_res *r)
{
	char f[ZT_FMT_BYTES], t[ZT_FMT_BYTES];
	snprintf(buf, cap, "%s: policy '%s' for county %s, %s to %s", path, r->policy_id, r->county,
	         zt_format_date(f, r->effective_from),
	         r->effective_to ? zt_format_date(t, r->effective_to) : "open-ended");
	return buf;
}

/* Reads a policy file and checks (load: and loads) it; *res as the use
 * case returns it. `amend` (may be NULL) brings --replaces / --supersedes
 * and the approval rule. */
static int rules_run(struct zt_store *s, const char *path, const char *actor,
                     const struct zt_rules_req *amend, struct zt_rules_res *res)
{
	char *xml = NULL;
	size_t len = 0;
	memset(res, 0, sizeof *res);
	int rc = zt_read_file(&xml, &len, path, ZT_DOC_BYTES_MAX);
	if (rc)
		return rc;
	struct zt_rules_req req = {.xml = xml, .len = len, .name = path, .actor = actor};
	if (amend) {
		req.replaces = amend->replaces;
		req.supersedes = amend->supersedes;
		req.approval_required = amend->approval_required;
	}
	rc = s ? zt_rules_load(s, &req, res) : zt_rules_check(&req, res);
	free(xml);
	return rc;
}

static void print_amended(FILE *f, const struct zt_rules_res *res)
{
	char d[ZT_FMT_BYTES];
	if (res->superseded[0])
		fprintf(f, "policy '%s' now ends on %s\n", res->superseded,
		        zt_format_date(d, res->superseded_end));
	if (res->replaced[0])
		fprintf(f, "policy '%s' is replaced (kept for the record, never used again)\n",
		        res->replaced);
}

int cli_rules_load(struct zt_store *s, const char *path, const char *actor, bool quiet)
{
	struct zt_rules_res res;
	char line[600];
	int rc = rules_run(s, path, actor, NULL, &res);
	if (rc == 0 && !quiet)
		fprintf(stderr, "zhitong: %s %s\n", policy_line(line, sizeof line, path, &res),
		        res.was_new ? "loaded" : "was already loaded (identical)");
	return rc;
}

static const char rules_help[] =
	"usage: zhitong rules check FILE.xml\n"
	"       zhitong --db PATH rules load FILE.xml [--replaces ID | --supersedes ID] [--by NAME]\n"
	"       zhitong --db PATH rules approve ID --by NAME\n"
	"       zhitong --db PATH rules list\n"
	"       zhitong --db PATH rules show ID\n"
	"\n"
	"A policy (urn:zhitong:policy:1, or :2 with mode=\"full|supplementary\") is\n"
	"one version of a county's rules. 'check' validates it against the schema and\n"
	"every rule of the format (four levels, tiers strictly increasing with only\n"
	"the last open, ratios at most 1, each category at most once per element,\n"
	"distinct fund codes; a supplementary policy names its <national-funds> and\n"
	"has no <basic>, <critical> or <assistance> …) and needs no database. 'load'\n"
	"does the same, then checks that every fund it names is registered and that\n"
	"it overlaps no policy of the same county in use, and stores it. Errors name\n"
	"the file, the line and the field.\n"
	"\n"
	"Amendments (docs/spec/rules-v2.md §4):\n"
	"  --replaces ID    corrects version ID, which no settlement may have used\n"
	"                   (reversed ones do not count); ID is kept for the record,\n"
	"                   marked replaced, and never used again. The correction\n"
	"                   may keep the id.\n"
	"  --supersedes ID  a new version from its effective-from, which must lie\n"
	"                   after ID's effective-from and not after its\n"
	"                   effective-to; ID then ends the day before. Refused while\n"
	"                   settlements of claims discharged from that day on used\n"
	"                   ID (the message says how many: reverse them first). A\n"
	"                   person's yearly totals carry across the versions of a year.\n"
	"With [rules] approval = required in the configuration, a loaded, replacing\n"
	"or superseding version is pending, never used, until 'approve' by someone\n"
	"other than its loader; the checks are made again then.\n"
	"\n"
	"'list' shows every version with its dates, its end now, its status\n"
	"(active, pending, replaced) and how many settlements (not reversed) used\n"
	"it; 'show ID' the same for the versions named ID, with who loaded and\n"
	"approved them, their digest and what they amend.\n"
	"\n"
	"A refusal exits 2 with 'zhitong: conflict: …' (or input, invalid).\n";

static const char *status_name(enum zt_policy_status st)
{
	return st == ZT_POLICY_ACTIVE ? "active" : st == ZT_POLICY_PENDING ? "pending" : "replaced";
}

static int list_one(void *ctx, const struct zt_stored_policy *p, int64_t used)
{
	(void)ctx;
	char d1[ZT_FMT_BYTES], d2[ZT_FMT_BYTES], d3[ZT_FMT_BYTES];
	printf("%-24s %-6s %-10s %-10s %-10s %-8s %11lld\n", p->policy_id, p->county,
	       zt_format_date(d1, p->effective_from),
	       p->effective_to ? zt_format_date(d2, p->effective_to) : "open",
	       p->ends ? zt_format_date(d3, p->ends) : "open", status_name(p->status),
	       (long long)used);
	return 0;
}

/* `rules show`: what each version amends is named by id (a first pass
 * over all versions collects the ids of their rows). */
#define SHOW_ROWS_MAX 256
struct show_ctx {
	int n;
	int known;
	struct {
		int64_t row;
		char id[ZT_UTF8_BYTES(ZT_NAME_CHARS_MAX)];
	} rows[SHOW_ROWS_MAX];
};

static int row_seen(void *ctx, const struct zt_stored_policy *p, int64_t used)
{
	struct show_ctx *x = ctx;
	(void)used;
	if (x->known < SHOW_ROWS_MAX) {
		x->rows[x->known].row = p->row;
		snprintf(x->rows[x->known].id, sizeof x->rows[x->known].id, "%s", p->policy_id);
		x->known++;
	}
	return 0;
}

static void print_amends(const struct show_ctx *x, const char *what, int64_t row)
{
	for (int i = 0; i < x->known; i++)
		if (x->rows[i].row == row) {
			printf("  %-12s %s (#%lld)\n", what, x->rows[i].id, (long long)row);
			return;
		}
	printf("  %-12s #%lld\n", what, (long long)row);
}

static int show_one(void *ctx, const struct zt_stored_policy *p, int64_t used)
{
	struct show_ctx *x = ctx;
	char d1[ZT_FMT_BYTES], d2[ZT_FMT_BYTES], d3[ZT_FMT_BYTES];
	if (x->n++)
		printf("\n");
	printf("policy %s (#%lld), county %s: %s\n", p->policy_id, (long long)p->row, p->county,
	       status_name(p->status));
	printf("  dates        %s to %s; in force to %s\n", zt_format_date(d1, p->effective_from),
	       p->effective_to ? zt_format_date(d2, p->effective_to) : "open-ended",
	       p->status != ZT_POLICY_ACTIVE ? "never (not in use)"
	                                     : p->ends ? zt_format_date(d3, p->ends) : "open-ended");
	printf("  settlements  %lld (not reversed)\n", (long long)used);
	/* times in the pool's time zone (docs/spec/rules-v2.md §5) */
	char t[ZT_FMT_BYTES];
	printf("  loaded       %s by %s\n", zt_timestamp_local(t, p->loaded_at), p->loaded_by);
	if (p->approved_by[0])
		printf("  approved     %s by %s\n", zt_timestamp_local(t, p->approved_at),
		       p->approved_by);
	if (p->replaces)
		print_amends(x, "replaces", p->replaces);
	if (p->supersedes)
		print_amends(x, "supersedes", p->supersedes);
	printf("  sha256       %s\n", p->digest);
	return 0;
}

static int rules_list_show(const struct cli *c, const char *id)
{
	struct zt_store *s;
	int rc = cli_open_store(c, CLI_STORE_READONLY, &s);
	if (rc)
		return rc;
	static struct show_ctx x;
	memset(&x, 0, sizeof x);
	if (id && (rc = zt_rules_each(s, NULL, row_seen, &x)) != 0) {
		zt_store_close(s);
		return cli_fail(rc, NULL);
	}
	if (!id)
		printf("%-24s %-6s %-10s %-10s %-10s %-8s %11s\n", "policy", "county", "from", "to",
		       "ends", "status", "settlements");
	rc = zt_rules_each(s, id, id ? show_one : list_one, &x);
	zt_store_close(s);
	if (rc)
		return cli_fail(rc, NULL);
	if (id && x.n == 0) {
		zt_error_set(ZT_ENOTFOUND, "policy '%s' is not loaded", id);
		return cli_fail(ZT_ENOTFOUND, NULL);
	}
	return EXIT_DONE;
}

int cmd_rules(const struct cli *c, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&a, argc, argv, "--by --replaces --supersedes", "");
	if (rc)
		return rc;
	if (a.help || a.npos == 0) {
		fputs(rules_help, a.help ? stdout : stderr);
		return a.help ? EXIT_DONE : EXIT_USAGE;
	}
	const char *sub = a.pos[0];
	if (strcmp(sub, "list") == 0 && a.npos == 1)
		return rules_list_show(c, NULL);
	if (strcmp(sub, "show") == 0 && a.npos == 2)
		return rules_list_show(c, a.pos[1]);
	if (strcmp(sub, "approve") == 0 && a.npos == 2) {
		struct zt_store *s;
		struct zt_rules_res res;
		if (!args_get(&a, "--by"))
			return cli_usage("rules approve needs --by NAME (who approves)");
		if ((rc = cli_open_store(c, 0, &s)) != 0)
			return rc;
		rc = zt_rules_approve(s, a.pos[1], cli_actor(&a), &res);
		zt_store_close(s);
		if (rc)
			return cli_fail(rc, NULL);
		printf("approved: policy '%s' for county %s\n", res.policy_id, res.county);
		print_amended(stdout, &res);
		return EXIT_DONE;
	}
	if (a.npos != 2 || (strcmp(sub, "load") != 0 && strcmp(sub, "check") != 0))
		return cli_usage("zhitong rules load FILE.xml [--replaces ID | --supersedes ID] | "
		                 "check FILE.xml | approve ID --by NAME | list | show ID");
	if (strcmp(sub, "check") == 0) {
		struct zt_rules_res res;
		char line[600];
		if ((rc = rules_run(NULL, a.pos[1], NULL, NULL, &res)) == 0)
			printf("%s%s: valid\n", policy_line(line, sizeof line, a.pos[1], &res),
			       res.mode == ZT_MODE_SUPPLEMENTARY ? " (supplementary)" : "");
		return rc ? cli_fail(rc, rc == ZT_EINVAL || rc == ZT_ERANGE ? "schema-invalid" : NULL)
		          : EXIT_DONE;
	}
	struct zt_rules_req amend = {.replaces = args_get(&a, "--replaces"),
	                             .supersedes = args_get(&a, "--supersedes")};
	if (amend.replaces && amend.supersedes)
		return cli_usage("--replaces and --supersedes go alone: one or the other");
	if ((rc = cli_approval_required(c, &amend.approval_required)) != 0)
		return cli_fail(rc, "config");
	struct zt_store *s;
	struct zt_rules_res res;
	char line[600];
	if ((rc = cli_open_store(c, 0, &s)) != 0)
		return rc;
	rc = rules_run(s, a.pos[1], cli_actor(&a), &amend, &res);
	zt_store_close(s);
	if (rc)
		/* a document refused is schema-invalid; a refused amendment is not */
		return cli_fail(rc, (rc == ZT_EINVAL || rc == ZT_ERANGE) && !res.policy_id[0]
		                        ? "schema-invalid" : NULL);
	fprintf(stderr, "zhitong: %s %s%s\n", policy_line(line, sizeof line, a.pos[1], &res),
	        res.was_new ? "loaded" : "was already loaded (identical)",
	        res.pending ? ": pending approval ('rules approve ID --by NAME')" : "");
	print_amended(stderr, &res);
	return EXIT_DONE;
}

/* ---- verify ------------------------------------------------------------------ */

static void on_violation(void *ctx, const char *check, const char *message)
{
	(void)ctx;
	printf("VIOLATION  %s: %s\n", check, message);
}

static void on_warning(void *ctx, const char *message)
{
	(void)ctx;
	printf("WARNING    %s\n", message);
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
		     "there is any. Warns (WARNING, exit unchanged) about each live settlement\n"
		     "standing on a national settlement the national platform reversed\n"
		     "('claim national-reversed import'), until it is reversed here too.");
		return EXIT_DONE;
	}
	struct zt_store *s;
	if ((rc = cli_open_store(c, CLI_STORE_READONLY, &s)) != 0)
		return rc;
	struct zt_verify_report r = {NULL, on_violation, on_checked, on_warning};
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

static int print_place(void *ctx, const struct zt_pool_place *p)
{
	++*(int *)ctx;
	printf("资金池 %-12s %s %s\n", p->pool, p->account ? "账户" : "县  ", p->key);
	return 0;
}

int cmd_status(const struct cli *c, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&a, argc, argv, "", "");
	if (rc)
		return rc;
	if (a.help) {
		puts("usage: zhitong --db PATH status\n\nRow counts of every table of the database, "
		     "then the pools'\ncounties and accounts it knows (recorded by the commands run "
		     "with a\nconfiguration; a county of no pool is the pool default's).");
		return EXIT_DONE;
	}
	struct zt_store *s;
	if ((rc = cli_open_store(c, CLI_STORE_READONLY, &s)) != 0)
		return rc;
	struct zt_status_res res;
	printf("database %s (schema version %d)\n", c->db_path, ZT_STORE_VERSION);
	rc = zt_status(s, print_count, NULL, &res);
	int places = 0;
	if (rc == 0 && (rc = zt_pools_each(s, print_place, &places)) == 0 && places == 0)
		puts("资金池 default      （未记录资金池：每个县都属于它）");
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
	             {"payer-file-2", ZT_SCHEMA_PAYER_FILE_2},
	             {"payer-ack", ZT_SCHEMA_PAYER_ACK},
	             {"catalog", ZT_SCHEMA_CATALOG},
	             {"registry-v2", ZT_SCHEMA_REGISTRY_V2},
	             {"policy-v2", ZT_SCHEMA_POLICY_V2}};
	if (a.help || a.npos != 1) {
		puts("usage: zhitong schema "
		     "registry|policy|claim|claim-v2|settlement|settlement-v2|payer-file|payer-file-2|payer-ack|\n"
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
