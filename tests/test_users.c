/* zhitong — users, roles and tokens, and the audit trail, from the command
 * line (issue 11 points 2 and 5; docs/spec/service.md "Users, roles and
 * tokens" and "Audit trail"; README "Users and tokens", "Audit trail").
 * The store's side on both stores is tests/test_store_conformance.c
 * (conformance_users, conformance_audit). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <pwd.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "zhitong/actor.h"
#include "zhitong/date.h"
#include "zhitong/error.h"
#include "zhitong/store.h"
#include "zhitong/users.h"

#define REGISTRY ZT_TEST_SOURCE_DIR "/rules/registry-510101.xml"

static bool is_token_line(const char *out)
{
	regex_t re;
	cr_assert_eq(regcomp(&re, "^zt_[0-9a-z]{40}\n$", REG_EXTENDED | REG_NOSUB), 0);
	bool yes = regexec(&re, out, 0, NULL, 0) == 0;
	regfree(&re);
	return yes;
}

/* A database with the registry, loaded by `by` (no users yet). */
static const char *new_db(const char *name)
{
	static char db[8][512];
	static int at;
	char *d = db[at++ % 8];
	snprintf(d, sizeof db[0], "%s", tmp_path(name));
	free(zt_test_db_ok(d, "init"));
	free(zt_test_db_ok(d, "registry load '%s' --by setup", REGISTRY));
	return d;
}

/* `user add ...`: the token printed (caller frees), exit 0 asserted. */
static char *add_user(const char *db, const char *args)
{
	char *out = zt_test_db_ok(db, "user add %s", args);
	cr_assert(is_token_line(out), "user add %s printed '%s', not a token alone", args, out);
	out[strlen(out) - 1] = '\0';
	return out;
}

static void expect_refused(const char *db, int code, const char *want, const char *args)
{
	struct run r = zt_test_db(db, "%s", args);
	cr_expect_eq(r.code, code, "%s: exit %d: %s", args, r.code, r.err);
	cr_expect(strstr(r.err, want), "%s: stderr '%s' lacks '%s'", args, r.err, want);
	cr_expect_str_eq(r.out, "", "%s: nothing on stdout", args);
	run_free(&r);
}

static int authenticate(const char *db, const char *token, int64_t now_s,
                        struct zt_users_principal *p)
{
	struct zt_store *s;
	cr_assert_eq(zt_store_open(&s, db, &(struct zt_store_options){.readonly = true}), 0, "%s",
	             zt_error_last());
	int rc = zt_users_authenticate(s, token, now_s, p);
	zt_store_close(s);
	return rc;
}

static void assert_token_of(const char *db, const char *token, const char *user, unsigned roles)
{
	struct zt_users_principal p;
	int rc = authenticate(db, token, 0, &p);
	cr_assert_eq(rc, 0, "the token of %s: %s", user, zt_error_last());
	cr_assert_str_eq(p.user, user);
	cr_assert_eq(p.roles, roles);
	zt_scope_free(&p.scope);
}

static void assert_refused(const char *db, const char *token, int64_t now_s, const char *why)
{
	struct zt_users_principal p;
	cr_assert_eq(authenticate(db, token, now_s, &p), ZT_ENOTFOUND, "a token that %s", why);
	cr_assert(zt_error_last()[0]);
	cr_assert_null(strstr(zt_error_last(), token), "a message never holds the token");
}

static long long audit_count(const char *db)
{
	return zt_test_sql_int(db, "SELECT count(*) FROM audit");
}

/* ---- users -------------------------------------------------------------------- */

Test(users_cli, a_user_gets_one_token_shown_once_and_stored_hashed)
{
	const char *db = new_db("u1.db");
	char *admin = add_user(db, "Root --role admin --by setup");
	char *desk = add_user(db, "desk-1 --role desk --hospital H51010102 --hospital H51010101 "
	                          "--by root");
	char *fund = add_user(db, "fa --role fund-admin --fund 390100 --by root");
	cr_assert_str_neq(admin, desk);
	/* the desk's token is the desk's, with its scope */
	struct zt_users_principal p;
	cr_assert_eq(authenticate(db, desk, 0, &p), 0, "%s", zt_error_last());
	cr_assert_str_eq(p.user, "desk-1");
	cr_assert_eq(p.roles, ZT_USER_DESK);
	cr_assert_eq(p.scope.hospital_count, 2);
	cr_assert(zt_scope_has_hospital(&p.scope, "H51010101"));
	cr_assert(zt_scope_has_hospital(&p.scope, "H51010102"));
	cr_assert_eq(p.scope.fund_count, 0);
	char id[ZT_TOKEN_ID_CHARS + 1];
	struct zt_token_hash h;
	cr_assert_eq(zt_token_hash(&h, desk), 0);
	zt_token_id(id, &h);
	cr_assert_str_eq(p.token_id, id);
	zt_scope_free(&p.scope);
	assert_token_of(db, admin, "root", ZT_USER_ADMIN);
	assert_token_of(db, fund, "fa", ZT_USER_FUND_ADMIN);
	/* only the hash is stored: not the token, in the database or its log */
	char hex[ZT_TOKEN_HASH_HEX_CHARS + 1];
	zt_token_hash_hex(hex, &h);
	char *stored = zt_test_rows(db, "SELECT token_hash FROM users WHERE name = 'desk-1'");
	cr_assert(strncmp(stored, hex, 64) == 0, "stored %s, hash %s", stored, hex);
	free(stored);
	const char *tokens[] = {admin, desk, fund};
	for (int i = 0; i < 3; i++) {
		struct run r = sh("cat '%s' '%s-wal' 2>/dev/null | grep -c -a -F '%s'", db, db,
		                  tokens[i] + 3);
		cr_assert_str_eq(r.out, "0\n", "token %d is in the database file", i);
		run_free(&r);
	}
	/* the list names users with the ids of their tokens, never a token */
	char *list = zt_test_db_ok(db, "user list");
	cr_assert(strstr(list, "desk-1"), "%s", list);
	cr_assert(strstr(list, "H51010101,H51010102"), "%s", list);
	cr_assert(strstr(list, id), "%s", list);
	for (int i = 0; i < 3; i++)
		cr_assert_null(strstr(list, tokens[i]));
	free(list);
	list = zt_test_db_ok(db, "user list --format csv");
	cr_assert(strncmp(list, "name,role,hospitals,funds,enabled,token_id,", 43) == 0, "%s", list);
	cr_assert(strstr(list, "\nfa,fund-admin,,390100,yes,"), "%s", list);
	free(list);
	/* each addition is an audit record naming the token's id */
	char *trail = zt_test_db_ok(db, "audit list --actor root");
	cr_assert(strstr(trail, "user add desk-1: role desk, hospitals H51010101,H51010102, token"),
	          "%s", trail);
	cr_assert(strstr(trail, id), "%s", trail);
	for (int i = 0; i < 3; i++)
		cr_assert_null(strstr(trail, tokens[i]));
	free(trail);
	free(admin);
	free(desk);
	free(fund);
}

Test(users_cli, who_may_add_whom_and_with_what_scope)
{
	const char *db = new_db("u2.db");
	long long before = audit_count(db);
	expect_refused(db, 2, "the first user must be an administrator",
	               "user add desk-1 --role desk --hospital H51010101 --by setup");
	char *none = zt_test_db_ok(db, "user list");
	cr_assert(strstr(none, "no users"), "%s", none);
	free(none);
	cr_assert_eq(audit_count(db), before, "nothing refused is audited");
	free(add_user(db, "root --role admin --by setup"));
	free(add_user(db, "auditor-1 --role auditor --by root"));
	expect_refused(db, 2, "a desk needs at least one --hospital",
	               "user add d --role desk --by root");
	expect_refused(db, 2, "has no --fund", "user add d --role desk --hospital H51010101 "
	                                       "--fund 390100 --by root");
	expect_refused(db, 2, "has no --hospital", "user add f --role finance --hospital H51010101 "
	                                           "--by root");
	expect_refused(db, 2, "hospital 'H99' is not in the registry",
	               "user add d --role desk --hospital H99 --by root");
	expect_refused(db, 2, "fund '999999' is not in the registry",
	               "user add f --role fund-admin --fund 999999 --by root");
	expect_refused(db, 2, "unknown role 'boss'", "user add b --role boss --by root");
	expect_refused(db, 2, "a user needs a role", "user add b --by root");
	expect_refused(db, 2, "user 'auditor-1' exists", "user add Auditor-1 --role finance --by root");
	expect_refused(db, 2, "user 'auditor-1' is auditor: only an administrator may change users",
	               "user add x --role finance --by auditor-1");
	expect_refused(db, 2, "invisible character", "user add 'ali\xe2\x80\x8b" "ce' --role finance "
	                                             "--by root");
	/* names are normalised as every --by */
	free(add_user(db, "'  Ｂｏｂ ' --role finance --by ROOT"));
	char *list = zt_test_db_ok(db, "user list --format csv");
	cr_assert(strstr(list, "\nbob,finance,"), "%s", list);
	free(list);
	/* an admin cannot shut themself out; another can */
	expect_refused(db, 2, "cannot disable themself", "user disable root --by root");
	expect_refused(db, 2, "no user 'nobody'", "user disable nobody --by root");
	free(zt_test_db_ok(db, "user disable bob --by root"));
	free(zt_test_db_ok(db, "user disable bob --by root")); /* again: nothing to do */
	char *trail = zt_test_db_ok(db, "audit list --format csv");
	cr_assert(strstr(trail, ",user disable,bob,"), "%s", trail);
	cr_assert_null(strstr(strstr(trail, ",user disable,bob,") + 1, ",user disable,bob,"),
	               "disabling a disabled user is not a change");
	free(trail);
	free(zt_test_db_ok(db, "user enable bob --by root"));
}

Test(users_cli, without_users_any_by_acts_as_before)
{
	const char *db = new_db("u3.db");
	/* anyone, from --by, $ZHITONG_USER or $USER */
	free(zt_test_db_ok(db, "registry load '%s' --by whoever", REGISTRY));
	struct run r = sh("ZHITONG_USER=someone-else '%s' --db '%s' registry load '%s'", ZT_TEST_ZHITONG,
	                  db, REGISTRY);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	char *who = zt_test_rows(db, "SELECT actor FROM audit ORDER BY id DESC LIMIT 1");
	cr_assert_str_eq(who, "someone-else\n");
	free(who);
}

Test(users_cli, once_users_exist_by_must_name_an_enabled_user)
{
	const char *db = new_db("u4.db");
	free(add_user(db, "root --role admin --by setup"));
	free(add_user(db, "bob --role finance --by root"));
	long long before = audit_count(db);
	expect_refused(db, 2, "--by: 'stranger' is not a user of this database",
	               "registry load '" REGISTRY "' --by stranger");
	expect_refused(db, 2, "'setup' is not a user", "registry load '" REGISTRY "' --by setup");
	struct run r = sh("ZHITONG_USER=stranger '%s' --db '%s' registry load '%s'", ZT_TEST_ZHITONG, db,
	                  REGISTRY);
	cr_assert_eq(r.code, 2);
	cr_assert(strstr(r.err, "$ZHITONG_USER: 'stranger' is not a user"), "%s", r.err);
	run_free(&r);
	cr_assert_eq(audit_count(db), before, "a refused actor changes nothing");
	free(zt_test_db_ok(db, "registry load '%s' --by Bob", REGISTRY));
	free(zt_test_db_ok(db, "user disable bob --by root"));
	expect_refused(db, 2, "--by: user 'bob' is disabled", "registry load '" REGISTRY "' --by bob");
	/* reading needs no user */
	free(zt_test_db_ok(db, "verify"));
	free(zt_test_db_ok(db, "audit verify"));
	free(zt_test_db_ok(db, "user list"));
}

static const char *os_user(char out[ZT_ACTOR_BYTES])
{
	struct passwd *pw = getpwuid(geteuid());
	cr_assert(pw && pw->pw_name);
	cr_assert_eq(zt_actor_normalize(out, pw->pw_name), 0);
	return out;
}

Test(users_cli, cli_actor_os_is_the_account_running_the_command)
{
	char me[ZT_ACTOR_BYTES];
	os_user(me);
	const char *conf = zt_test_write("os.conf", "[cli]\nactor = os\n");
	const char *db = new_db("u5.db");
	/* no users: the OS account, whatever $ZHITONG_USER says */
	struct run r = sh("ZHITONG_USER=someone '%s' --db '%s' --config '%s' registry load '%s'",
	                  ZT_TEST_ZHITONG, db, conf, REGISTRY);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	char *who = zt_test_rows(db, "SELECT actor FROM audit ORDER BY id DESC LIMIT 1");
	cr_assert(strncmp(who, me, strlen(me)) == 0 && who[strlen(me)] == '\n', "%s", who);
	free(who);
	/* --by naming another is refused */
	struct run bad = zt_test_db(db, "--config '%s' registry load '%s' --by other", conf, REGISTRY);
	cr_assert_eq(bad.code, 2);
	cr_assert(strstr(bad.err, "with [cli] actor = os, commands act as the account running them"),
	          "%s", bad.err);
	run_free(&bad);
	/* the account mapped to a user of the same name */
	char *t = zt_test_db_ok(db, "--config '%s' user add '%s' --role admin", conf, me);
	free(t);
	free(zt_test_db_ok(db, "--config '%s' user add other --role finance", conf));
	free(zt_test_db_ok(db, "--config '%s' registry load '%s' --by '%s'", conf, REGISTRY, me));
	/* without [cli] actor = os, --by must name a user */
	expect_refused(db, 2, "'someone' is not a user", "registry load '" REGISTRY "' --by someone");
	/* the account disabled: it cannot act */
	free(zt_test_db_ok(db, "--config '%s' user add admin2 --role admin", conf));
	free(zt_test_db_ok(db, "user disable '%s' --by admin2", me));
	struct run off = zt_test_db(db, "--config '%s' registry load '%s'", conf, REGISTRY);
	cr_assert_eq(off.code, 2);
	cr_assert(strstr(off.err, "([cli] actor = os): user '"), "%s", off.err);
	cr_assert(strstr(off.err, "' is disabled"), "%s", off.err);
	run_free(&off);
	const char *bogus = zt_test_write("bogus.conf", "[cli]\nactor = root\n");
	struct run b = zt_test_db(db, "--config '%s' user list", bogus);
	cr_assert_eq(b.code, 2);
	cr_assert(strstr(b.err, "[cli] actor is 'os' or absent"), "%s", b.err);
	run_free(&b);
}

Test(users_cli, a_rolled_token_lives_through_its_grace_and_dies_after)
{
	const char *db = new_db("u6.db");
	free(add_user(db, "root --role admin --by setup"));
	char *t1 = add_user(db, "his --role desk --hospital H51010101 --by root");
	int64_t now = zt_date_now();
	/* roll with an hour's grace: both work, the old one until its deadline */
	char *t2 = zt_test_db_ok(db, "user token roll his --grace 1h --by root");
	cr_assert(is_token_line(t2), "%s", t2);
	t2[strlen(t2) - 1] = '\0';
	assert_token_of(db, t2, "his", ZT_USER_DESK);
	struct zt_users_principal p;
	cr_assert_eq(authenticate(db, t1, now + 3500, &p), 0, "%s", zt_error_last());
	cr_assert(p.previous);
	zt_scope_free(&p.scope);
	assert_refused(db, t1, now + 3700, "is past its grace");
	cr_assert_eq(authenticate(db, t2, now + 3700, &p), 0);
	zt_scope_free(&p.scope);
	char *list = zt_test_db_ok(db, "user list");
	cr_assert(strstr(list, "; previous "), "%s", list);
	free(list);
	/* the spec's form, `user token NAME`, rolls too (24h); rolling again
	 * inside the grace ends the older previous token at once */
	char *t3 = zt_test_db_ok(db, "user token his --by root");
	t3[strlen(t3) - 1] = '\0';
	assert_refused(db, t1, 0, "was replaced twice");
	cr_assert_eq(authenticate(db, t2, now + 23 * 3600, &p), 0, "%s", zt_error_last());
	zt_scope_free(&p.scope);
	/* --grace 0s: the old one dies now */
	char *t4 = zt_test_db_ok(db, "user token roll his --grace 0s --by root");
	t4[strlen(t4) - 1] = '\0';
	assert_refused(db, t3, 0, "was rolled without grace");
	assert_refused(db, t2, 0, "was rolled out");
	assert_token_of(db, t4, "his", ZT_USER_DESK);
	expect_refused(db, 2, "--grace '31d' is over the most", "user token roll his --grace 31d --by root");
	expect_refused(db, 2, "--grace", "user token roll his --grace 1 --by root");
	/* issue only for a user without a token; revoke kills every token */
	expect_refused(db, 2, "user 'his' has a token", "user token issue his --by root");
	free(zt_test_db_ok(db, "user token revoke his --by root"));
	assert_refused(db, t4, 0, "was revoked");
	expect_refused(db, 2, "has no token", "user token revoke his --by root");
	char *t5 = zt_test_db_ok(db, "user token issue his --by root");
	cr_assert(is_token_line(t5));
	t5[strlen(t5) - 1] = '\0';
	assert_token_of(db, t5, "his", ZT_USER_DESK);
	/* disabled: no token of it works; enabled: again */
	free(zt_test_db_ok(db, "user disable his --by root"));
	assert_refused(db, t5, 0, "is of a disabled user");
	cr_assert(strstr(zt_error_last(), "disabled"), "%s", zt_error_last());
	free(zt_test_db_ok(db, "user enable his --by root"));
	assert_token_of(db, t5, "his", ZT_USER_DESK);
	/* what is not a token at all */
	assert_refused(db, "zt_0000", 0, "is cut short");
	assert_refused(db, "Bearer nonsense", 0, "is not one");
	char bad[64];
	snprintf(bad, sizeof bad, "%s", t5);
	bad[10] = bad[10] == 'a' ? 'b' : 'a';
	assert_refused(db, bad, 0, "has a character changed");
	/* the trail names every change with token ids, never a token */
	char *trail = zt_test_db_ok(db, "audit list");
	const char *acts[] = {"user token roll his", "user token revoke his", "user token issue his",
	                      "user disable his", "user enable his"};
	for (size_t i = 0; i < sizeof acts / sizeof *acts; i++)
		cr_assert(strstr(trail, acts[i]), "%s: %s", acts[i], trail);
	const char *all[] = {t1, t2, t3, t4, t5};
	for (size_t i = 0; i < 5; i++)
		cr_assert_null(strstr(trail, all[i] + 3));
	free(trail);
	free(t1);
	free(t2);
	free(t3);
	free(t4);
	free(t5);
}

/* ---- zhitong serve takes the users' tokens ------------------------------------- */

static pid_t serve(const char *db, const char *err_path, unsigned *port)
{
	return zt_test_serve(db, NULL, err_path, port);
}

static int status_of(unsigned port, const char *path, const char *token)
{
	char auth[128] = "";
	if (token)
		snprintf(auth, sizeof auth, "-H 'Authorization: Bearer %s'", token);
	struct run r = sh("curl -s -o /dev/null -w '%%{http_code}' %s http://127.0.0.1:%u%s", auth,
	                  port, path);
	int code = atoi(r.out);
	run_free(&r);
	return code;
}

Test(users_cli, zhitong_serve_authenticates_with_the_users_tokens, .timeout = 60)
{
	const char *db = new_db("serve.db");
	char *admin = add_user(db, "root --role admin --by setup");
	char *auditor = add_user(db, "aud --role auditor --by root");
	char *desk = add_user(db, "desk --role desk --hospital H51010101 --by root");
	unsigned port = 0;
	pid_t pid = serve(db, tmp_path("serve.err"), &port);
	cr_expect_eq(status_of(port, "/metrics", auditor), 200, "an auditor reads the metrics");
	cr_expect_eq(status_of(port, "/metrics", admin), 200);
	cr_expect_eq(status_of(port, "/metrics", desk), 403, "a desk may not");
	cr_expect_eq(status_of(port, "/v1/openapi.json", desk), 200);
	cr_expect_eq(status_of(port, "/metrics", NULL), 401, "no token");
	char bad[64];
	snprintf(bad, sizeof bad, "%s", auditor);
	bad[5] = bad[5] == 'a' ? 'b' : 'a';
	cr_expect_eq(status_of(port, "/metrics", bad), 401, "a wrong token");
	/* a change made while it runs counts at once */
	free(zt_test_db_ok(db, "user disable aud --by root"));
	cr_expect_eq(status_of(port, "/metrics", auditor), 401, "a disabled user's token");
	kill(pid, SIGTERM);
	int st = 0;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit status %d", st);
	free(admin);
	free(auditor);
	free(desk);
}

/* ---- the audit trail ----------------------------------------------------------- */

/* A database with users and some history: 6 records. */
static const char *trail_db(const char *name)
{
	const char *db = new_db(name); /* 1: registry load by setup */
	free(add_user(db, "root --role admin --by setup"));                     /* 2 */
	free(add_user(db, "bob --role finance --by root"));                      /* 3 */
	free(zt_test_db_ok(db, "registry load '%s' --by bob", REGISTRY));        /* 4 */
	free(zt_test_db_ok(db, "user token roll bob --grace 0s --by root"));     /* 5 */
	free(zt_test_db_ok(db, "user disable bob --by root"));                   /* 6 */
	return db;
}

static const char *copy_of(const char *db, const char *name)
{
	const char *to = tmp_path(name);
	struct run r = sh("cp '%s' '%s' && (test ! -e '%s-wal' || cp '%s-wal' '%s-wal')", db, to, db, db,
	                  to);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	return to;
}

Test(audit_cli, list_filters_and_formats)
{
	const char *db = trail_db("a1.db");
	char *all = zt_test_db_ok(db, "audit list");
	cr_assert(strstr(all, "     1  "), "%s", all);
	cr_assert(strstr(all, "     6  "), "%s", all);
	cr_assert(strstr(all, "root  user disable bob"), "%s", all);
	free(all);
	char *after = zt_test_db_ok(db, "audit list --after 4");
	cr_assert_null(strstr(after, "     4  "), "%s", after);
	cr_assert(strstr(after, "     5  ") && strstr(after, "     6  "), "%s", after);
	free(after);
	char *bob = zt_test_db_ok(db, "audit list --actor BOB --format csv");
	cr_assert(strncmp(bob, "seq,time,user,operator,token_id,client,action,object,digest,detail,"
	                       "prev_hash,hash\n4,", 82) == 0, "%s", bob);
	int bob_lines = 0;
	for (const char *q = bob; (q = strchr(q, '\n')); q++)
		bob_lines++;
	cr_assert_eq(bob_lines, 2, "the header and bob's one record: %s", bob);
	free(bob);
	char today[ZT_FMT_BYTES];
	zt_timestamp_utc(today, zt_date_now());
	today[10] = '\0';
	char *day = zt_test_db_ok(db, "audit list --from %s --to %s --format csv", today, today);
	int lines = 0;
	for (const char *p = day; (p = strchr(p, '\n')); p++)
		lines++;
	cr_assert_geq(lines, 7, "%s", day); /* the header and six, unless midnight passed */
	free(day);
	char *none = zt_test_db_ok(db, "audit list --from 2999-01-01");
	cr_assert_str_eq(none, "no audit records\n");
	free(none);
	expect_refused(db, 2, "--from '2024-13-01' is not a date", "audit list --from 2024-13-01");
	expect_refused(db, 2, "is after --to", "audit list --from 2025-02-01 --to 2025-01-01");
	expect_refused(db, 2, "--after must be a record's number", "audit list --after -1");
}

Test(audit_cli, verify_names_the_first_record_altered_removed_or_reordered)
{
	const char *db = trail_db("a2.db");
	char *ok = zt_test_db_ok(db, "audit verify");
	cr_assert(strncmp(ok, "intact: 6 audit records, the last 6 (sha256 ", 44) == 0, "%s", ok);
	free(ok);
	static const struct {
		const char *sql, *want;
	} cases[] = {
		{"UPDATE audit SET detail = 'role admin' WHERE id = 3",
		 "altered: audit record 3 was altered: its contents do not match its hash"},
		{"UPDATE audit SET actor = 'mallory' WHERE id = 4", "altered: audit record 4 was altered"},
		{"UPDATE audit SET at = '2020-01-01T00:00:00Z' WHERE id = 1",
		 "altered: audit record 1 was altered"},
		{"DELETE FROM audit WHERE id = 2", "removed: audit record 2 was removed"},
		{"DELETE FROM audit WHERE id = 6", "removed: audit record 6 was removed"},
		{"DELETE FROM audit WHERE id >= 5", "removed: audit records 5 to 6 were removed"},
		{"UPDATE audit SET id = 100 WHERE id = 4; UPDATE audit SET id = 4 WHERE id = 5; "
		 "UPDATE audit SET id = 5 WHERE id = 100",
		 "reordered: audit record 4 is out of place"},
		{"INSERT INTO audit (id, at, actor, action, subject, prev_hash, hash) SELECT 7, at, "
		 "actor, action, subject, prev_hash, hash FROM audit WHERE id = 6",
		 "inserted: audit record 7 was inserted"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const char *t = copy_of(db, "tampered.db");
		zt_test_sql(t, "DROP TRIGGER audit_immutable_u; DROP TRIGGER audit_immutable_d; %s",
		            cases[i].sql);
		struct run r = zt_test_db(t, "audit verify");
		cr_expect_eq(r.code, 1, "%s: exit %d: %s%s", cases[i].sql, r.code, r.out, r.err);
		cr_expect(strncmp(r.out, cases[i].want, strlen(cases[i].want)) == 0,
		          "%s:\n%s\nnot\n%s", cases[i].sql, r.out, cases[i].want);
		/* a broken chain has no head to publish */
		struct run h = zt_test_db(t, "audit head");
		cr_expect_eq(h.code, 2, "%s: audit head: %s", cases[i].sql, h.err);
		run_free(&h);
		run_free(&r);
	}
}

/* Every hash recomputed from record 1, as someone who rewrote a record
 * and knows SHA-256 would. */
struct forger {
	struct zt_audit_head head;
	const char *db;
};

static int forge(void *ctx, const struct zt_audit_record *r)
{
	struct forger *f = ctx;
	struct zt_audit_record c = *r;
	cr_assert_eq(zt_audit_append(&f->head, &c), 0);
	char prev[ZT_AUDIT_HASH_HEX_CHARS + 1], hash[ZT_AUDIT_HASH_HEX_CHARS + 1];
	zt_audit_hash_hex(prev, c.prev_hash);
	zt_audit_hash_hex(hash, c.hash);
	zt_test_sql(f->db, "UPDATE audit SET prev_hash = '%s', hash = '%s' WHERE id = %lld", prev, hash,
	            (long long)c.seq);
	return 0;
}

struct kept_trail {
	struct zt_audit_record recs[16];
	char text[16][6][128];
	int n;
};

static int keep_one(void *ctx, const struct zt_audit_record *r)
{
	struct kept_trail *k = ctx;
	int i = k->n++;
	cr_assert_lt(i, 16);
	k->recs[i] = *r;
	const char **f[] = {&k->recs[i].time, &k->recs[i].user, &k->recs[i].action,
	                    &k->recs[i].object, &k->recs[i].detail, &k->recs[i].token_id};
	for (int j = 0; j < 6; j++)
		if (*f[j]) {
			snprintf(k->text[i][j], sizeof k->text[i][j], "%s", *f[j]);
			*f[j] = k->text[i][j];
		}
	cr_assert_null(r->operator_name); /* the command line has none */
	cr_assert_null(r->client);
	return 0;
}

static void rewrite(const char *db, const char *sql)
{
	zt_test_sql(db, "DROP TRIGGER audit_immutable_u; DROP TRIGGER audit_immutable_d; %s", sql);
	struct zt_store *s;
	cr_assert_eq(zt_store_open(&s, db, NULL), 0);
	/* the records are read first (the forger writes through another
	 * connection) */
	struct kept_trail *k = calloc(1, sizeof *k);
	cr_assert_eq(s->ops->audit.each(s, NULL, keep_one, k), 0);
	zt_store_close(s);
	struct forger f = {.db = db};
	for (int i = 0; i < k->n; i++)
		forge(&f, &k->recs[i]);
	free(k);
}

static void published_head(const char *keytype, bool sm2)
{
	const char *db = trail_db("head.db");
	const char *dir = zt_test_tmpdir();
	struct run g = sh("cd '%s' && openssl genpkey -algorithm %s -out key.pem 2>&1 && "
	                  "openssl pkey -in key.pem -pubout -out pub.pem", dir, keytype);
	cr_assert_eq(g.code, 0, "%s%s", g.out, g.err);
	run_free(&g);
	char key[600], pub[600], head[600];
	snprintf(key, sizeof key, "%s/key.pem", dir);
	snprintf(pub, sizeof pub, "%s/pub.pem", dir);
	snprintf(head, sizeof head, "%s/head-%s.txt", dir, keytype);
	/* unsigned, on stdout */
	char *text = zt_test_db_ok(db, "audit head");
	cr_assert(strncmp(text, "zhitong audit head 1\nsequence 6\nsha256 ", 39) == 0, "%s", text);
	expect_refused(db, 2, "--sign needs --out", "audit head --sign key.pem");
	/* signed, to a file: stock openssl checks it */
	free(zt_test_db_ok(db, "audit head --out '%s' --sign '%s'", head, key));
	char *written = zt_test_slurp(head);
	cr_assert_str_eq(written, text, "the file is what stdout showed");
	free(written);
	free(text);
	/* docs/spec/background-formats.md: the stock openssl 3.0 commands */
	struct run v = sm2 ? sh("openssl dgst -sm3 -verify '%s' -sigopt distid:1234567812345678 "
	                        "-signature '%s.sig' '%s'", pub, head, head)
	                   : sh("openssl pkeyutl -verify -pubin -inkey '%s' -rawin -in '%s' "
	                        "-sigfile '%s.sig'", pub, head, head);
	cr_assert_eq(v.code, 0, "%s%s", v.out, v.err);
	cr_assert(strstr(v.out, "Verified"), "%s", v.out);
	run_free(&v);
	char *ok = zt_test_db_ok(db, "audit verify --head '%s' --pubkey '%s'", head, pub);
	cr_assert(strstr(ok, "; the published head (record 6) holds"), "%s", ok);
	free(ok);
	/* later records are fine */
	free(zt_test_db_ok(db, "user enable bob --by root"));
	free(zt_test_db_ok(db, "audit verify --head '%s'", head));
	/* a record at or before the head rewritten, every hash recomputed: the
	 * chain alone holds, the head catches it */
	for (int at = 2; at <= 6; at += 4) {
		const char *t = copy_of(db, "rewritten.db");
		char sql[160];
		snprintf(sql, sizeof sql, "UPDATE audit SET detail = 'forged' WHERE id = %d", at);
		rewrite(t, sql);
		free(zt_test_db_ok(t, "audit verify"));
		struct run r = zt_test_db(t, "audit verify --head '%s' --pubkey '%s'", head, pub);
		cr_assert_eq(r.code, 1, "record %d: %s%s", at, r.out, r.err);
		cr_assert(strncmp(r.out, "rewritten: audit record 6 is not the published head's", 53) == 0,
		          "%s", r.out);
		run_free(&r);
	}
	/* the records after a head cut off with the count: the head catches it */
	const char *cut = copy_of(db, "cut.db");
	zt_test_sql(cut, "DROP TRIGGER audit_immutable_d; DELETE FROM audit WHERE id >= 5; "
	                 "UPDATE meta SET value = 4 WHERE key = 'audit.last-id'");
	free(zt_test_db_ok(cut, "audit verify"));
	struct run r = zt_test_db(cut, "audit verify --head '%s'", head);
	cr_assert_eq(r.code, 1);
	cr_assert(strstr(r.out, "removed: audit record 5 was removed"), "%s", r.out);
	run_free(&r);
	/* a head changed after it was signed does not verify */
	char forged[700];
	snprintf(forged, sizeof forged, "%s/forged.txt", dir);
	struct run c = sh("sed 's/^sequence 6$/sequence 5/' '%s' > '%s' && cp '%s.sig' '%s.sig'", head,
	                  forged, head, forged);
	cr_assert_eq(c.code, 0);
	run_free(&c);
	r = zt_test_db(db, "audit verify --head '%s' --pubkey '%s'", forged, pub);
	cr_assert_eq(r.code, 2, "%s", r.err);
	cr_assert(strstr(r.err, "its signature does not verify"), "%s", r.err);
	run_free(&r);
}

Test(audit_cli, a_head_signed_with_ed25519_checks_with_stock_openssl, .timeout = 120)
{
	published_head("ed25519", false);
}

Test(audit_cli, a_head_signed_with_sm2_checks_with_stock_openssl, .timeout = 120)
{
	published_head("SM2", true);
}
