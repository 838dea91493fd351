/* zhitong user — the service's users and their tokens (docs/spec/service.md
 * "Users, roles and tokens"; README "Users and tokens"). Parses, calls the
 * use cases of users.h, renders (users_render.h). A new token goes alone
 * on one line to stdout, once; what was done goes to stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "zhitong/config.h"
#include "zhitong/date.h"
#include "zhitong/error.h"
#include "zhitong/users.h"
#include "zhitong/users_render.h"

static const char user_help[] =
	"usage: zhitong --db PATH user add NAME --role ROLE [--hospital H]... [--fund F]...\n"
	"                                   [--pool P]... [--by ADMIN]\n"
	"       zhitong --db PATH user list [--format text|csv] [--bom] [--out FILE [--force]]\n"
	"       zhitong --db PATH user disable NAME [--by ADMIN]\n"
	"       zhitong --db PATH user enable NAME [--by ADMIN]\n"
	"       zhitong --db PATH user token issue NAME [--by ADMIN]\n"
	"       zhitong --db PATH user token roll NAME [--grace 24h] [--by ADMIN]\n"
	"       zhitong --db PATH user token NAME [--grace 24h] [--by ADMIN]   (roll)\n"
	"       zhitong --db PATH user token revoke NAME [--by ADMIN]\n"
	"       zhitong --db PATH user password NAME [--remove] [--by ADMIN]\n"
	"\n"
	"Users of the HTTP service, each with one role: desk (with --hospital, one or\n"
	"more), fund-admin (with --fund, one or more), finance, auditor, admin. The\n"
	"name is normalised as every --by is (NFKC, case folded, white space folded).\n"
	"Any role may name pools (--pool P, one or more, as [pool P] of the configuration):\n"
	"the user then reaches only those pools' batches, advances and statements;\n"
	"without --pool, every pool.\n"
	"\n"
	"add      a new user and its first token. The token is printed alone on one\n"
	"         line on stdout, ONCE: only its hash is stored, nobody can show it\n"
	"         again. The very first user must be an admin; after it, only an\n"
	"         enabled admin (--by) may add, disable or give tokens, and every\n"
	"         command's --by must name an enabled user.\n"
	"list     every user: role, scope, enabled, the id of its token (never the\n"
	"         token) and of a rolled one still in its grace, and its pools (none\n"
	"         shown: every pool). CSV header:\n"
	"         name,role,hospitals,funds,enabled,token_id,token_at,previous_token_id,\n"
	"         previous_until,created_by,created_at,pools\n"
	"disable  the user's tokens stop working at once (enable: again); an admin\n"
	"         cannot disable themself\n"
	"token issue   a token for a user who has none (after revoke)\n"
	"token roll    a new token; the one it replaces works on for --grace (24h by\n"
	"              default, 0s: not at all, at most 30d), so a hospital can change\n"
	"              its systems over without downtime\n"
	"token revoke  every token of the user dies now\n"
	"password the web console's password (argon2id): read from the terminal,\n"
	"         twice, without echo, or as the first line of standard input; never\n"
	"         from the command line. At least 10 characters. An admin sets anyone's,\n"
	"         a user their own (--by NAME). It clears a login locked after 5\n"
	"         failures; --remove: the user can no longer log in to the console.\n"
	"         Tokens are not touched.\n"
	"\n"
	"Every change is an audit record naming the token's id ('zhitong audit list').\n";

static int fail(int rc) { return cli_fail(rc, rc == ZT_ENOTFOUND ? "not-found" : NULL); }

/* Every value of a repeated option, in order. */
static size_t all_of(const struct args *a, const char *name, const char **out, size_t cap)
{
	size_t n = 0, len = strlen(name);
	for (int i = 0; i < a->nopt && n < cap; i++)
		if (strncmp(a->opt_name[i], name, len) == 0 &&
		    (a->opt_name[i][len] == '\0' || a->opt_name[i][len] == '='))
			out[n++] = a->opt_value[i];
	return n;
}

/* The token, alone on its line, then wiped. */
static int show_token(struct zt_users_token_res *res, const char *what)
{
	cli_stored("'zhitong user token roll NAME' gives the user a new one", "%s", what);
	printf("%s\n", res->token.text);
	zt_token_clear(&res->token);
	return EXIT_DONE;
}

static int add(const struct cli *c, const struct args *a)
{
	if (a->npos != 2)
		return cli_usage("zhitong user add NAME --role ROLE [--hospital H]... [--fund F]...");
	const char *hospitals[CLI_MAX_ARGS], *funds[CLI_MAX_ARGS], *pools[CLI_MAX_ARGS];
	struct zt_users_add_req req = {
		.name = a->pos[1],
		.role = args_get(a, "--role"),
		.hospitals = hospitals,
		.hospital_count = all_of(a, "--hospital", hospitals, CLI_MAX_ARGS),
		.funds = funds,
		.fund_count = all_of(a, "--fund", funds, CLI_MAX_ARGS),
		.pools = pools,
		.pool_count = all_of(a, "--pool", pools, CLI_MAX_ARGS),
		.actor = cli_actor(a),
	};
	struct zt_store *s;
	int rc = 0;
	if (req.pool_count && c->config_path && c->config_path[0]) {
		/* a pool the configuration names (a typo would lock the user out) */
		struct zt_config *cfg = NULL;
		if ((rc = zt_config_load(&cfg, c->config_path)) != 0)
			return cli_fail(rc, "config");
		for (size_t i = 0; i < req.pool_count && rc == 0; i++)
			if (!zt_config_pool_section(cfg, pools[i]))
				rc = zt_error_set(ZT_EINVAL, "--pool %.40s: no [pool %.40s] in %s", pools[i],
				                  pools[i], c->config_path);
		zt_config_free(cfg);
		if (rc)
			return cli_usage("%s", zt_error_last());
	}
	rc = cli_open_store(c, 0, &s);
	if (rc)
		return rc;
	struct zt_users_token_res res;
	rc = zt_users_add(s, &req, &res);
	zt_store_close(s);
	if (rc)
		return fail(rc);
	fprintf(stderr, "zhitong: user '%s' added as %s; its token (id %s) follows, shown this "
	        "once\n", res.name, req.role, res.token.id);
	char what[ZT_ACTOR_BYTES + 64];
	snprintf(what, sizeof what, "user '%s' was added", res.name);
	return show_token(&res, what);
}

static int list(const struct cli *c, const struct args *a)
{
	const char *fmt = args_get(a, "--format");
	if (fmt && strcmp(fmt, "text") != 0 && strcmp(fmt, "csv") != 0)
		return cli_usage("--format must be text or csv, not '%s'", fmt);
	bool csv = fmt && strcmp(fmt, "csv") == 0;
	if (a->npos != 1)
		return cli_usage("zhitong user list [--format text|csv] [--bom] [--out FILE [--force]]");
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
	zt_users_render_begin(&uo);
	if ((rc = zt_users_list(s, 0, zt_users_render_row, &uo)) == 0)
		zt_users_render_end(&uo);
	zt_store_close(s);
	return cli_out_close(&o, rc ? fail(rc) : EXIT_DONE);
}

static int change(const struct cli *c, const struct args *a, const char *verb, const char *name)
{
	struct zt_users_change_req req = {.name = name, .actor = cli_actor(a),
	                                  .grace_s = ZT_TOKEN_GRACE_S_DEFAULT};
	const char *grace = args_get(a, "--grace");
	bool roll = strcmp(verb, "roll") == 0;
	if (grace && !roll)
		return cli_usage("--grace goes with 'user token roll'");
	if (grace && zt_duration_parse(&req.grace_s, "--grace", grace, ZT_TOKEN_GRACE_S_MAX) != 0)
		return cli_fail(ZT_EINVAL, NULL);
	struct zt_store *s;
	int rc = cli_open_store(c, 0, &s);
	if (rc)
		return rc;
	struct zt_users_token_res res;
	if (strcmp(verb, "disable") == 0)
		rc = zt_users_disable(s, &req);
	else if (strcmp(verb, "enable") == 0)
		rc = zt_users_enable(s, &req);
	else if (strcmp(verb, "revoke") == 0)
		rc = zt_users_token_revoke(s, &req);
	else if (roll)
		rc = zt_users_token_roll(s, &req, &res);
	else
		rc = zt_users_token_issue(s, &req, &res);
	zt_store_close(s);
	if (rc)
		return fail(rc);
	if (strcmp(verb, "disable") == 0 || strcmp(verb, "enable") == 0 ||
	    strcmp(verb, "revoke") == 0) {
		fprintf(stderr, "zhitong: user '%s': %s\n", name,
		        verb[0] == 'd' ? "disabled" : verb[0] == 'e' ? "enabled"
		                                                      : "every token revoked");
		return EXIT_DONE;
	}
	if (res.had_previous) {
		char until[ZT_FMT_BYTES];
		zt_timestamp_utc(until, res.previous_until_s);
		fprintf(stderr, "zhitong: user '%s': new token (id %s) follows, shown this once; token "
		        "%s works until %s\n", res.name, res.token.id, res.previous_id, until);
	} else
		fprintf(stderr, "zhitong: user '%s': new token (id %s) follows, shown this once\n",
		        res.name, res.token.id);
	char what[ZT_ACTOR_BYTES + 64];
	snprintf(what, sizeof what, "a new token of user '%s' was stored", res.name);
	return show_token(&res, what);
}

/* One line of stdin into buf (without its newline): 0, or ZT_EINVAL. On a
 * terminal, without echo, after a prompt on stderr. */
static int read_secret(char *buf, size_t cap, const char *prompt)
{
	bool tty = isatty(STDIN_FILENO);
	struct termios old, quiet;
	if (tty) {
		fprintf(stderr, "%s", prompt);
		fflush(stderr);
		if (tcgetattr(STDIN_FILENO, &old) == 0) {
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			quiet.c_lflag |= ECHONL;
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
		} else
			tty = false;
	}
	bool got = fgets(buf, (int)cap, stdin) != NULL;
	if (tty)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	if (!got)
		return zt_error_set(ZT_EINVAL, "no password on standard input");
	size_t n = strlen(buf);
	if (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	else if (n + 1 >= cap)
		return zt_error_set(ZT_EINVAL, "the password is longer than %d bytes",
		                    ZT_PASSWORD_BYTES_MAX);
	if (n && buf[n - 1] == '\r')
		buf[--n] = '\0';
	return 0;
}

static int password(const struct cli *c, const struct args *a)
{
	if (a->npos != 2)
		return cli_usage("zhitong user password NAME [--remove] (the password on stdin)");
	struct zt_users_change_req req = {.name = a->pos[1], .actor = cli_actor(a)};
	bool remove = args_flag(a, "--remove");
	char pw[ZT_PASSWORD_BYTES_MAX + 2], again[ZT_PASSWORD_BYTES_MAX + 2];
	int rc = 0;
	if (!remove) {
		rc = read_secret(pw, sizeof pw, "New password: ");
		if (rc == 0 && isatty(STDIN_FILENO)) {
			rc = read_secret(again, sizeof again, "Again: ");
			if (rc == 0 && strcmp(pw, again) != 0)
				rc = zt_error_set(ZT_EINVAL, "the two passwords differ");
			explicit_bzero(again, sizeof again);
		}
		if (rc) {
			explicit_bzero(pw, sizeof pw);
			return cli_fail(rc, NULL);
		}
	}
	struct zt_store *s;
	if ((rc = cli_open_store(c, 0, &s)) == 0) {
		rc = zt_users_password_set(s, &req, remove ? NULL : pw);
		zt_store_close(s);
		if (rc)
			rc = fail(rc);
		else {
			fprintf(stderr, "zhitong: user '%s': console password %s\n", req.name,
			        remove ? "removed" : "set");
			rc = EXIT_DONE;
		}
	}
	explicit_bzero(pw, sizeof pw);
	return rc;
}

int cmd_user(const struct cli *c, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&a, argc, argv, "--role --hospital --fund --pool --by --grace --format --out",
	                    "--force --bom --remove");
	if (rc)
		return rc;
	if (a.help || a.npos == 0) {
		fputs(user_help, a.help ? stdout : stderr);
		return a.help ? EXIT_DONE : EXIT_USAGE;
	}
	const char *cmd = a.pos[0];
	if (strcmp(cmd, "add") == 0)
		return add(c, &a);
	if (strcmp(cmd, "list") == 0)
		return list(c, &a);
	if (strcmp(cmd, "disable") == 0 || strcmp(cmd, "enable") == 0) {
		if (a.npos != 2)
			return cli_usage("zhitong user %s NAME", cmd);
		return change(c, &a, cmd, a.pos[1]);
	}
	if (strcmp(cmd, "password") == 0)
		return password(c, &a);
	if (strcmp(cmd, "token") == 0) {
		if (a.npos == 2) /* docs/spec/service.md: user token NAME */
			return change(c, &a, "roll", a.pos[1]);
		if (a.npos == 3 && (strcmp(a.pos[1], "issue") == 0 || strcmp(a.pos[1], "roll") == 0 ||
		                    strcmp(a.pos[1], "revoke") == 0))
			return change(c, &a, a.pos[1], a.pos[2]);
		return cli_usage("zhitong user token issue|roll|revoke NAME");
	}
	return cli_usage("unknown user command '%s' (add, list, disable, enable, token, password)", cmd);
}
