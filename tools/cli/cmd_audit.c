/* zhitong audit — the audit trail: list, verify, head (docs/spec/service.md
 * "Audit trail"; README "Audit trail"). Parses, calls the use cases of
 * audit_trail.h, renders. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "zhitong/audit_trail.h"
#include "zhitong/error.h"
#include "zhitong/outfile.h"
#include "zhitong/users_render.h"

static const char audit_help[] =
	"usage: zhitong --db PATH audit list [--after SEQ] [--from YYYY-MM-DD] [--to YYYY-MM-DD]\n"
	"                                    [--actor NAME] [--format text|csv] [--bom]\n"
	"                                    [--out FILE [--force]]\n"
	"       zhitong --db PATH audit verify [--head HEAD [--pubkey PUBLIC.pem]]\n"
	"       zhitong --db PATH audit head [--out HEAD [--sign PRIVATE.pem] [--force]]\n"
	"\n"
	"Every change of state is one audit record: its number, time (UTC), user,\n"
	"operator, token id, client address, action, object, a digest of what changed,\n"
	"and the SHA-256 of the previous record's hash with this record's canonical form\n"
	"(engine/include/zhitong/audit.h): a chain that a record altered, removed,\n"
	"inserted or moved breaks where it happened.\n"
	"\n"
	"list    the records in order; --after SEQ those after record SEQ, --from/--to\n"
	"        the UTC days of their time, --actor one user's. CSV header:\n"
	"        seq,time,user,operator,token_id,client,action,object,digest,detail,\n"
	"        prev_hash,hash\n"
	"verify  walks the whole chain, against the store's own count of records\n"
	"        written: exit 0 and 'intact', or exit 1 naming the first record\n"
	"        altered, removed, inserted or reordered. --head HEAD also proves that\n"
	"        nothing at or before that published head was rewritten or removed\n"
	"        (with --pubkey, HEAD.sig must first verify).\n"
	"head    the chain's last record (number, hash, time) after verifying the\n"
	"        chain, to publish outside the database; --out HEAD writes it there,\n"
	"        --sign PRIVATE.pem (--key: the same) also its detached signature\n"
	"        HEAD.sig with the pool's key (Ed25519 or SM2), which anyone checks\n"
	"        with stock openssl (docs/service.md \"Audit trail\"):\n"
	"          openssl pkeyutl -verify -pubin -inkey PUB.pem -rawin -in HEAD -sigfile HEAD.sig\n"
	"          openssl dgst -sm3 -verify PUB.pem -sigopt distid:1234567812345678 \\\n"
	"                  -signature HEAD.sig HEAD\n";

static int fail(int rc) { return cli_fail(rc, rc == ZT_ENOTFOUND ? "not-found" : NULL); }

static int list(const struct cli *c, const struct args *a)
{
	const char *fmt = args_get(a, "--format"), *after = args_get(a, "--after");
	if (fmt && strcmp(fmt, "text") != 0 && strcmp(fmt, "csv") != 0)
		return cli_usage("--format must be text or csv, not '%s'", fmt);
	bool csv = fmt && strcmp(fmt, "csv") == 0;
	if (a->npos != 1)
		return cli_usage("zhitong audit list [--after SEQ] [--from D] [--to D] [--actor NAME] "
		                 "[--format text|csv]");
	uint64_t after_seq = 0;
	if (after && (cli_parse_u64(after, &after_seq) < 0 || after_seq > INT64_MAX))
		return cli_usage("--after must be a record's number, not '%s'", after);
	char actor[ZT_ACTOR_BYTES];
	const char *who = args_get(a, "--actor");
	if (who && zt_actor_normalize(actor, who) != 0)
		return cli_fail(ZT_EINVAL, NULL);
	struct zt_audit_filter f = {.after_seq = (int64_t)after_seq, .from = args_get(a, "--from"),
	                            .to = args_get(a, "--to"), .actor = who ? actor : NULL};
	int rc = cli_bom_check(a, csv);
	struct zt_store *s;
	if (rc || (rc = cli_open_store(c, CLI_STORE_READONLY, &s)))
		return rc;
	struct cli_out o;
	if ((rc = cli_out_open(&o, a, 0600))) {
		zt_store_close(s);
		return rc;
	}
	struct zt_users_out uo = {.csv = csv, .bom = args_flag(a, "--bom"), .f = o.f};
	zt_audit_render_begin(&uo);
	if ((rc = zt_audit_trail_list(s, &f, zt_audit_render_row, &uo)) == 0)
		zt_audit_render_end(&uo);
	zt_store_close(s);
	return cli_out_close(&o, rc ? fail(rc) : EXIT_DONE);
}

static int verify(const struct cli *c, const struct args *a)
{
	const char *head_path = args_get(a, "--head"), *pub = args_get(a, "--pubkey");
	if (a->npos != 1 || (pub && !head_path))
		return cli_usage("zhitong audit verify [--head HEAD [--pubkey PUBLIC.pem]]");
	struct zt_audit_head head;
	int rc;
	if (head_path && (rc = zt_audit_head_read(&head, head_path, pub)) != 0)
		return cli_fail(rc, "head");
	struct zt_store *s;
	if ((rc = cli_open_store(c, CLI_STORE_READONLY, &s)))
		return rc;
	struct zt_audit_verdict *v = malloc(sizeof *v);
	if (!v) {
		zt_store_close(s);
		return cli_fail(zt_error_set(ZT_ENOMEM, "out of memory"), NULL);
	}
	rc = zt_audit_trail_verify(s, head_path ? &head : NULL, v);
	zt_store_close(s);
	int status;
	if (rc == 0) {
		char hex[ZT_AUDIT_HASH_HEX_CHARS + 1];
		zt_audit_hash_hex(hex, v->last.hash);
		printf("intact: %" PRId64 " audit records, the last %" PRId64 " (sha256 %s)", v->records,
		       v->last.seq, hex);
		if (head_path)
			printf("; the published head (record %" PRId64 ") holds", head.seq);
		putchar('\n');
		status = EXIT_DONE;
	} else if (rc == ZT_EINVAL && v->fault != ZT_AUDIT_INTACT) {
		printf("%s: %s\n", zt_audit_fault_name(v->fault), v->message);
		status = EXIT_REJECTED;
	} else
		status = fail(rc);
	free(v);
	return status;
}

static int head(const struct cli *c, const struct args *a)
{
	const char *out = args_get(a, "--out"), *key = args_get(a, "--sign");
	if (!key)
		key = args_get(a, "--key");
	if (a->npos != 1)
		return cli_usage("zhitong audit head [--out HEAD [--sign PRIVATE.pem] [--force]]");
	if (key && !out)
		return cli_usage("--sign needs --out HEAD (the signature goes to HEAD.sig)");
	struct zt_store *s;
	int rc;
	if ((rc = cli_open_store(c, CLI_STORE_READONLY, &s)))
		return rc;
	struct zt_audit_head h;
	rc = zt_audit_trail_head(s, &h);
	zt_store_close(s);
	if (rc)
		return fail(rc);
	if (out) {
		if ((rc = zt_audit_head_write(out, &h, key, args_flag(a, "--force") ? ZT_OUT_FORCE : 0)))
			return cli_fail(rc, "output");
		fprintf(stderr, "zhitong: audit head (record %" PRId64 ") written to %s%s\n", h.seq, out,
		        key ? " with its signature .sig" : "");
		return EXIT_DONE;
	}
	char text[256];
	if ((rc = zt_audit_head_format(text, sizeof text, &h)) != 0)
		return fail(rc);
	fputs(text, stdout);
	return EXIT_DONE;
}

int cmd_audit(const struct cli *c, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&a, argc, argv,
	                    "--after --from --to --actor --format --out --head --pubkey --sign --key",
	                    "--force --bom");
	if (rc)
		return rc;
	if (a.help || a.npos == 0) {
		fputs(audit_help, a.help ? stdout : stderr);
		return a.help ? EXIT_DONE : EXIT_USAGE;
	}
	if (strcmp(a.pos[0], "list") == 0)
		return list(c, &a);
	if (strcmp(a.pos[0], "verify") == 0)
		return verify(c, &a);
	if (strcmp(a.pos[0], "head") == 0)
		return head(c, &a);
	return cli_usage("unknown audit command '%s' (list, verify, head)", a.pos[0]);
}
