/* zhitong — one program, with subcommands (docs/spec/interfaces.md "Command line"). */
#include <errno.h>
#include <pwd.h>
#include <unistd.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "zhitong/config.h"
#include "zhitong/pools.h"
#include "zhitong/date.h"
#include "zhitong/error.h"
#include "zhitong/text.h"
#include "zhitong/users.h"
#include "zhitong/outfile.h"
#include "zhitong/xml.h"

static const char usage_text[] =
	"usage: zhitong [--db PATH] [--config PATH] COMMAND [ARGS]\n"
	"\n"
	"zhitong settles health-poverty-relief inpatient claims in one place: each\n"
	"discharge claim is split across basic insurance, critical-illness insurance,\n"
	"medical assistance and the relief funds, to the fen.\n"
	"\n"
	"Global options (before the command):\n"
	"  --db PATH       the database (default $ZHITONG_DB, else ./zhitong.db)\n"
	"  --config PATH   the configuration file (default $ZHITONG_CONFIG)\n"
	"\n"
	"Commands ('zhitong COMMAND --help' or 'zhitong help COMMAND' explains each):\n"
	"  init                   create or migrate the database (mode 0600)\n"
	"  registry load          load hospitals, people and funds (upsert)\n"
	"  rules load             store a policy version (--replaces ID, --supersedes ID)\n"
	"  rules check            validate a policy (v1 or v2), no database\n"
	"  rules approve          approve a pending policy version (a second person)\n"
	"  rules list             the policy versions, their dates and settlements\n"
	"  rules show             one policy's versions in full\n"
	"  catalog check          validate an insurer's catalogue, no database\n"
	"  catalog load           store a catalogue (--supersedes ID)\n"
	"  catalog approve        approve a pending catalogue (a second person)\n"
	"  catalog show           the entry of an item code on a date\n"
	"  catalog list           the loaded catalogues\n"
	"  claim submit           settle claims; <settlements> on stdout\n"
	"  claim quote            the same answer (XML, or --format text for the desk),\n"
	"                         nothing stored\n"
	"  claim reverse          reverse a settled claim\n"
	"  claim show             a claim's settlements and reversals (--setl-id S)\n"
	"  claim list             settlements and reversals by person, hospital and\n"
	"                         discharge date (--national-reversed: those standing on\n"
	"                         a national settlement the national platform reversed)\n"
	"  claim national-reversed import\n"
	"                         record the national platform's reversed settlements\n"
	"  slip                   the patient's settlement slip (text, html, pdf)\n"
	"  slip verify            check a slip's code: genuine or not, void since\n"
	"  verify                 re-check every money invariant\n"
	"  status                 what the database holds\n"
	"  ledger balance         the balances of the double-entry ledger\n"
	"  ledger transfers       the transfers of one account\n"
	"  advance plan           plan the advances to hospitals\n"
	"  advance show           a stored plan\n"
	"  advance approve        approve a plan (not its maker)\n"
	"  advance issue          pay a plan: ledger and pain.001 for the bank\n"
	"  advance status         advanced, earned, balance per hospital\n"
	"  advance list           every advance issued\n"
	"  batch create           bill a fund: a new draft batch\n"
	"  batch list             every batch\n"
	"  batch show             a batch, its history and hand-overs\n"
	"  batch approve          approve a batch (not its maker)\n"
	"  batch reject           refuse a draft batch, with a reason\n"
	"  batch reopen           make a rejected batch a draft again\n"
	"  batch repay            pay back what a batch owes its fund (pain.001)\n"
	"  batch export           write the signed payer file\n"
	"  batch send             hand the payer file to the fund's gateway\n"
	"  batch poll             read the payer's answer (folder gateway)\n"
	"  batch ack              record a payer's answer received otherwise\n"
	"  batch verify           check a payer file and its signature\n"
	"  reconcile import       read the bank statement (camt.053) and match it\n"
	"  reconcile match        retry what waits, raise what is overdue\n"
	"  reconcile resolve      a person's decision on an exception\n"
	"  reconcile exceptions   the open (or all) exceptions\n"
	"  reconcile report       billed against paid, advances, exceptions (read only)\n"
	"  serve                  the HTTP service (see 'zhitong serve --help')\n"
	"  user add               a user of the service with its role; its token, once\n"
	"  user list              every user, role, scope, token ids (never a token)\n"
	"  user disable           a user's tokens stop working (user enable: again)\n"
	"  user enable            a disabled user works again\n"
	"  user token             issue, roll (with a grace) or revoke a user's token\n"
	"  user password          the web console's password (argon2id; from stdin, never argv)\n"
	"  audit list             the audit trail, by time, user, after a record\n"
	"  audit verify           check the audit trail's hash chain (and a published head)\n"
	"  audit head             the chain's last record to publish, optionally signed\n"
	"  store copy             copy a store into a new, empty one (SQLite to\n"
	"                         PostgreSQL) and prove that nothing changed\n"
	"  store compare          the proof alone: verify, audit verify, every table\n"
	"  gen                    generate a synthetic world (registry, policy, claims)\n"
	"  demo                   the whole flow on sample data\n"
	"  schema                 print an XSD (registry policy claim settlement\n"
	"                         payer-file payer-ack catalog registry-v2 policy-v2)\n"
	"  help [COMMAND]         this text, or a command's help\n"
	"\n"
	"Output files (--out FILE) are never written over a different file unless\n"
	"--force is given, never through a symbolic link, and appear whole or not\n"
	"at all. CSV output (--format csv) is safe to open in a spreadsheet; --bom\n"
	"adds a UTF-8 byte order mark for Excel on Chinese Windows.\n"
	"\n"
	"Exit status: 0 all done; 1 some input was rejected (stdout still holds the\n"
	"full answer); 2 bad usage or an unusable input file; 3 an internal or\n"
	"storage error; 4 stored, but the answer could not be written to stdout (a\n"
	"closed pipe, a full disk): stderr says what was stored and how to get the\n"
	"answer (for claim submit: submit the same file again). Errors go to stderr\n"
	"as one line: zhitong: CODE: message.\n";

static const struct {
	const char *name;
	int (*fn)(const struct cli *, int, char **);
} commands[] = {
	{"init", cmd_init},     {"registry", cmd_registry}, {"rules", cmd_rules},
	{"catalog", cmd_catalog},
	{"claim", cmd_claim},   {"verify", cmd_verify},     {"gen", cmd_gen},
	{"demo", cmd_demo},     {"slip", cmd_slip},         {"schema", cmd_schema},
	{"status", cmd_status}, {"ledger", cmd_ledger},     {"advance", cmd_advance},
	{"batch", cmd_batch},   {"reconcile", cmd_reconcile}, {"serve", cmd_serve},
	{"user", cmd_user},     {"audit", cmd_audit},     {"store", cmd_store},
};

/* Who acts (issue 11): the actor args_parse resolved, where it came from,
 * and whether [cli] actor = os makes it the account running the command. */
static char resolved_actor[ZT_ACTOR_BYTES];
static const char *resolved_source = "--by";
static bool actor_os;

/* The pool's time zone ([pool] timezone, docs/spec/rules-v2.md §5) is set
 * once, before a command runs: "today" and every time shown to people are
 * in it. A configuration that cannot be loaded stops every command (exit
 * 2), not only those that read its other settings. */
static int setup_dates(const struct cli *c)
{
	if (!c->config_path || !c->config_path[0])
		return 0;
	struct zt_config *cfg = NULL;
	int rc = zt_config_load(&cfg, c->config_path);
	if (rc == 0)
		rc = zt_date_set_pool_zone(
			zt_config_pool_get(cfg, zt_config_pool_id(cfg, 0), "timezone")); /* one for all pools */
	const char *actor = rc == 0 ? zt_config_get(cfg, "cli", "actor") : NULL;
	if (actor && strcmp(actor, "os") != 0)
		rc = zt_error_set(ZT_EINVAL, "%s: [cli] actor is 'os' or absent, not '%.40s'",
		                  c->config_path, actor);
	actor_os = rc == 0 && actor != NULL;
	zt_config_free(cfg);
	return rc ? cli_fail(rc, "config") : 0;
}
static int run(int argc, char **argv);

int main(int argc, char **argv)
{
	/* A closed pipe must not kill the program between a commit and the
	 * message that says the answer was not delivered: with SIGPIPE
	 * ignored, the write fails with EPIPE and cli_finish_stdout reports it. */
	signal(SIGPIPE, SIG_IGN);
	/* Likewise a file size limit (ulimit -f): a write error that the
	 * output reports, never a death that leaves a temporary file behind. */
	signal(SIGXFSZ, SIG_IGN);
	return cli_finish_stdout(run(argc, argv));
}

static int run(int argc, char **argv)
{
	struct cli c = {.prog = "zhitong"};
	c.db_path = getenv("ZHITONG_DB");
	if (!c.db_path || !c.db_path[0])
		c.db_path = "./zhitong.db";
	c.config_path = getenv("ZHITONG_CONFIG");
	zt_xml_init();

	int i = 1;
	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		const char *a = argv[i];
		const char *eq = strchr(a, '=');
		const char **dst = NULL;
		if (strncmp(a, "--db", 4) == 0 && (a[4] == '\0' || a[4] == '='))
			dst = &c.db_path;
		else if (strncmp(a, "--config", 8) == 0 && (a[8] == '\0' || a[8] == '='))
			dst = &c.config_path;
		else if (strcmp(a, "--help") == 0) {
			fputs(usage_text, stdout);
			return EXIT_DONE;
		} else if (strcmp(a, "--version") == 0) {
			printf("zhitong 0.1.0 (store schema %d)\n", ZT_STORE_VERSION);
			return EXIT_DONE;
		} else if (zt_text_check("a global option", a, strlen(a), (size_t)-1, ZT_TEXT_LINE))
			return cli_fail(ZT_EINVAL, NULL);
		else
			return cli_usage("unknown global option '%s' (see 'zhitong help')", a);
		if (eq)
			*dst = eq + 1;
		else if (i + 1 < argc)
			*dst = argv[++i];
		else
			return cli_usage("%s needs a value", a);
	}
	/* Paths too are one line of valid UTF-8: they are stored and echoed. */
	if ((c.db_path && zt_text_check("--db", c.db_path, strlen(c.db_path), (size_t)-1,
	                                ZT_TEXT_LINE)) ||
	    (c.config_path && zt_text_check("--config", c.config_path, strlen(c.config_path),
	                                    (size_t)-1, ZT_TEXT_LINE)))
		return cli_fail(ZT_EINVAL, NULL);
	if (i >= argc) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[i];
	/* The command (and help's topic) is echoed when unknown. */
	int echoed = strcmp(cmd, "help") == 0 ? 2 : 1;
	for (int k = i; k < i + echoed && k < argc; k++)
		if (zt_text_check("the command", argv[k], strlen(argv[k]), (size_t)-1, ZT_TEXT_LINE))
			return cli_fail(ZT_EINVAL, NULL);
	if (strcmp(cmd, "help") == 0) {
		if (i + 1 < argc && strcmp(argv[i + 1], "--help") != 0 && strcmp(argv[i + 1], "-h") != 0) {
			for (size_t k = 0; k < sizeof commands / sizeof *commands; k++)
				if (strcmp(commands[k].name, argv[i + 1]) == 0) {
					char *hargv[] = {argv[i + 1], "--help", NULL};
					return commands[k].fn(&c, 2, hargv);
				}
			return cli_usage("unknown command '%s'", argv[i + 1]);
		}
		fputs(usage_text, stdout);
		return EXIT_DONE;
	}
	for (size_t k = 0; k < sizeof commands / sizeof *commands; k++)
		if (strcmp(commands[k].name, cmd) == 0) {
			int rc = setup_dates(&c);
			return rc ? rc : commands[k].fn(&c, argc - i, argv + i);
		}
	return cli_usage("unknown command '%s' (see 'zhitong help')", cmd);
}

/* ---- shared helpers ----------------------------------------------------- */

/* Every argument is one line of valid UTF-8 without control or invisible
 * characters (text.h); the refused one is named, never echoed. */
static int check_arg(const char *what, const char *v)
{
	if (zt_text_check(what, v, strlen(v), (size_t)-1, ZT_TEXT_LINE) == 0)
		return 0;
	return cli_fail(ZT_EINVAL, NULL);
}

/* Whether the space-separated `list` holds the word `w`. */
static bool word_in(const char *list, const char *w)
{
	size_t n = strlen(w);
	for (const char *p = list; p && (p = strstr(p, w)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

/* With [cli] actor = os: the account running the command, normalised; a
 * --by naming someone else is refused. */
static int resolve_os_actor(struct args *a)
{
	struct passwd *pw = getpwuid(geteuid());
	if (!pw || !pw->pw_name)
		return cli_fail(zt_error_set(ZT_EINVAL, "[cli] actor = os: the account running zhitong "
		                             "has no name"), NULL);
	if (zt_actor_normalize(a->actor, pw->pw_name) != 0) {
		char why[ZT_MESSAGE_BYTES_MAX];
		snprintf(why, sizeof why, "%s", zt_error_last());
		return cli_fail(zt_error_set(ZT_EINVAL, "the account running zhitong: %s", why), NULL);
	}
	const char *by = args_get(a, "--by");
	char given[ZT_ACTOR_BYTES];
	if (by && by[0] && (zt_actor_normalize(given, by) != 0 || strcmp(given, a->actor) != 0))
		return cli_fail(zt_error_set(ZT_EINVAL, "--by: with [cli] actor = os, commands act as "
		                             "the account running them ('%s')", a->actor), NULL);
	resolved_source = "the account running zhitong ([cli] actor = os)";
	snprintf(resolved_actor, sizeof resolved_actor, "%s", a->actor);
	return 0;
}

/* --by, else $ZHITONG_USER, else $USER, else "unknown", normalised. */
static int resolve_actor(struct args *a)
{
	if (actor_os)
		return resolve_os_actor(a);
	const char *by = args_get(a, "--by"), *source = "--by";
	if (!by || !by[0]) {
		by = getenv("ZHITONG_USER");
		source = "$ZHITONG_USER";
	}
	if (!by || !by[0]) {
		by = getenv("USER");
		source = "$USER";
	}
	if (!by || !by[0]) {
		by = "unknown";
		source = "the default name";
	}
	if (zt_actor_normalize(a->actor, by) == 0) {
		resolved_source = source;
		snprintf(resolved_actor, sizeof resolved_actor, "%s", a->actor);
		return 0;
	}
	char why[ZT_MESSAGE_BYTES_MAX];
	snprintf(why, sizeof why, "%s", zt_error_last());
	zt_error_set(ZT_EINVAL, "%s: %s", source, why);
	return cli_fail(ZT_EINVAL, NULL);
}

int args_parse(struct args *a, int argc, char **argv, const char *valued, const char *flags)
{
	memset(a, 0, sizeof *a);
	/* argv[0] is the (sub)command itself. */
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
			a->help = true;
			continue;
		}
		if (strncmp(s, "--", 2) != 0 || strcmp(s, "-") == 0) {
			if (a->npos >= CLI_MAX_ARGS)
				return cli_usage("too many arguments");
			char what[48];
			snprintf(what, sizeof what, "argument %d of '%s'", a->npos + 1, argv[0]);
			if (check_arg(what, s))
				return EXIT_USAGE;
			a->pos[a->npos++] = s;
			continue;
		}
		char name[64];
		const char *eq = strchr(s, '=');
		size_t n = eq ? (size_t)(eq - s) : strlen(s);
		if (n >= sizeof name)
			return cli_usage("unknown option '%s'", s);
		memcpy(name, s, n);
		name[n] = '\0';
		if (check_arg("an option's name", name))
			return EXIT_USAGE;
		/* match whole words in the lists */
		char pat[70];
		snprintf(pat, sizeof pat, " %s ", name);
		char vlist[512], flist[512];
		snprintf(vlist, sizeof vlist, " %s ", valued ? valued : "");
		snprintf(flist, sizeof flist, " %s ", flags ? flags : "");
		if (a->nopt >= CLI_MAX_ARGS)
			return cli_usage("too many options");
		if (strstr(flist, pat)) {
			if (eq)
				return cli_usage("%s takes no value", name);
			a->opt_name[a->nopt] = argv[i] ;
			a->opt_value[a->nopt++] = "";
			continue;
		}
		if (!strstr(vlist, pat))
			return cli_usage("unknown option '%s' for '%s' (see 'zhitong %s --help')", name, argv[0],
			                 argv[0]);
		const char *v;
		if (eq)
			v = eq + 1;
		else if (i + 1 < argc)
			v = argv[++i];
		else
			return cli_usage("%s needs a value", name);
		if (check_arg(name, v))
			return EXIT_USAGE;
		a->opt_name[a->nopt] = s;
		a->opt_value[a->nopt++] = v;
	}
	if (!a->help && word_in(valued, "--by") && resolve_actor(a))
		return EXIT_USAGE;
	return 0;
}

static bool opt_is(const char *given, const char *name)
{
	size_t n = strlen(name);
	return strncmp(given, name, n) == 0 && (given[n] == '\0' || given[n] == '=');
}

const char *args_get(const struct args *a, const char *name)
{
	const char *v = NULL;
	for (int i = 0; i < a->nopt; i++)
		if (opt_is(a->opt_name[i], name))
			v = a->opt_value[i]; /* the last one wins */
	return v;
}

bool args_flag(const struct args *a, const char *name) { return args_get(a, name) != NULL; }

/* Columns a UTF-8 string takes in a terminal: CJK ideographs and
 * full-width forms take two. */
int cli_display_width(const char *s)
{
	int w = 0;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		uint32_t cp;
		int n;
		if (*p < 0x80) {
			cp = *p;
			n = 1;
		} else if ((*p & 0xE0) == 0xC0) {
			cp = *p & 0x1F;
			n = 2;
		} else if ((*p & 0xF0) == 0xE0) {
			cp = *p & 0x0F;
			n = 3;
		} else {
			cp = *p & 0x07;
			n = 4;
		}
		for (int i = 1; i < n && p[i]; i++)
			cp = (cp << 6) | (p[i] & 0x3F);
		w += (cp >= 0x1100 && (cp <= 0x115F || (cp >= 0x2E80 && cp <= 0xA4CF) ||
		                       (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
		                       (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0xFFE0 && cp <= 0xFFE6)))
		         ? 2 : 1;
		for (int i = 0; i < n && *p; i++)
			p++;
	}
	return w;
}

/* ---- answers that cannot be lost (see cli.h) ------------------------------ */

static char stored_what[512], stored_how[512];
static bool undelivered_reported;

void cli_stored(const char *how, const char *what_fmt, ...)
{
	va_list ap;
	va_start(ap, what_fmt);
	vsnprintf(stored_what, sizeof stored_what, what_fmt, ap);
	va_end(ap);
	snprintf(stored_how, sizeof stored_how, "%s", how ? how : "");
}

int cli_finish_stdout(int rc)
{
	errno = 0;
	bool bad = fflush(stdout) != 0 || ferror(stdout);
	int err = errno;
	if (fclose(stdout) != 0 && !bad) {
		bad = true;
		err = errno;
	}
	if (!bad || undelivered_reported)
		return rc;
	/* A command that failed has said why already (its answer, if any, was
	 * not the point); one that stored something is told below. */
	if (!stored_what[0] && rc != EXIT_DONE && rc != EXIT_REJECTED)
		return rc;
	const char *why = err ? strerror(err) : "write error";
	if (stored_what[0]) {
		fprintf(stderr, "zhitong: not-delivered: %s and stored, but the answer could not be "
		        "written to stdout (%s)%s%s\n", stored_what, why, stored_how[0] ? "; " : "",
		        stored_how);
		return EXIT_UNDELIVERED;
	}
	fprintf(stderr, "zhitong: output: cannot write to stdout (%s); nothing was stored\n", why);
	return rc == EXIT_DONE || rc == EXIT_REJECTED ? EXIT_INTERNAL : rc;
}

/* ---- output files (see cli.h) ----------------------------------------------- */

int cli_out_open(struct cli_out *o, const struct args *a, unsigned mode)
{
	const char *path = args_get(a, "--out");
	o->f = stdout;
	o->file = NULL;
	if (!path)
		return 0;
	if (!path[0])
		return cli_usage("--out needs a file name");
	int rc = zt_outfile_open(&o->file, path, mode, args_flag(a, "--force") ? ZT_OUT_FORCE : 0);
	if (rc == 0 && !(o->f = zt_outfile_stream(o->file)))
		rc = ZT_EIO;
	if (rc) {
		zt_outfile_free(o->file);
		o->file = NULL;
		o->f = stdout;
		return cli_fail(rc, "output");
	}
	return 0;
}

int cli_out_close(struct cli_out *o, int rc)
{
	if (!o->file)
		return rc;
	if (rc == EXIT_DONE || rc == EXIT_REJECTED) {
		enum zt_outfile_result res;
		int r = zt_outfile_commit(o->file, &res);
		if (r)
			rc = cli_fail(r, "output");
		else if (res == ZT_OUT_SAME)
			fprintf(stderr, "zhitong: %s already holds exactly this: left as it was\n",
			        zt_outfile_path(o->file));
	}
	zt_outfile_free(o->file);
	o->file = NULL;
	o->f = stdout;
	return rc;
}

int cli_bom_check(const struct args *a, bool csv)
{
	if (args_flag(a, "--bom") && !csv)
		return cli_usage("--bom goes with --format csv (a byte order mark for spreadsheets)");
	return 0;
}

static const char *code_name(int rc)
{
	switch (rc) {
	case ZT_EMALFORMED: return "malformed-xml";
	case ZT_EINVAL: return "invalid";
	case ZT_ERANGE: return "invalid";
	case ZT_ENOTFOUND: return "input";
	case ZT_ECONFLICT: return "conflict";
	case ZT_EFOUREYES: return "conflict"; /* a maker-checker refusal */
	case ZT_EIO: return "storage";
	case ZT_EBUSY: return "busy";
	case ZT_EUNAVAILABLE: return "unavailable";
	case ZT_ENOMEM: return "out-of-memory";
	case ZT_ENOTDELIVERED: return "not-delivered";
	default: return "internal";
	}
}

int cli_fail(int rc, const char *code)
{
	const char *msg = zt_error_last();
	fprintf(stderr, "zhitong: %s: %s\n", code ? code : code_name(rc), msg[0] ? msg : "failed");
	switch (rc) {
	case ZT_EMALFORMED:
	case ZT_EINVAL:
	case ZT_ERANGE:
	case ZT_ENOTFOUND:
	case ZT_ECONFLICT:
	case ZT_EFOUREYES:
		return EXIT_USAGE;
	case ZT_ENOTDELIVERED:
		undelivered_reported = true;
		return EXIT_UNDELIVERED;
	default:
		return EXIT_INTERNAL;
	}
}

int cli_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("zhitong: usage: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return EXIT_USAGE;
}

void cli_store_options(struct zt_store_options *o, int flags)
{
	const char *bt = getenv("ZHITONG_BUSY_TIMEOUT_MS");
	long ms = bt ? strtol(bt, NULL, 10) : 0;
	*o = (struct zt_store_options){
		.readonly = flags & CLI_STORE_READONLY,
		.create = flags & CLI_STORE_CREATE,
		.busy_timeout_ms = ms > 0 && ms <= INT_MAX ? (int)ms : 0,
	};
}

int cli_open_store(const struct cli *c, int flags, struct zt_store **out)
{
	struct zt_store_options o;
	cli_store_options(&o, flags);
	int rc = zt_store_open(out, c->db_path, &o);
	if (rc) {
		fprintf(stderr, "zhitong: database: %s\n", zt_error_last());
		return EXIT_USAGE;
	}
	if ((rc = (*out)->ops->check_version(*out)) != 0) {
		fprintf(stderr, "zhitong: database: %s\n", zt_error_last());
		zt_store_close(*out);
		*out = NULL;
		return EXIT_USAGE;
	}
	/* once users exist, only an enabled user acts (README "Users and tokens") */
	if (!(flags & CLI_STORE_READONLY) && resolved_actor[0] &&
	    (rc = zt_users_actor_check(*out, resolved_actor, resolved_source)) != 0) {
		zt_store_close(*out);
		*out = NULL;
		return cli_fail(rc, NULL);
	}
	/* the pools' counties and accounts as the configuration says, for the
	 * commands run without one (pools.h; README "Several pools") */
	if (!(flags & CLI_STORE_READONLY) && c->config_path && c->config_path[0]) {
		struct zt_config *cfg = NULL;
		if ((rc = zt_config_load(&cfg, c->config_path)) == 0)
			rc = zt_pools_record(*out, cfg, NULL);
		zt_config_free(cfg);
		if (rc) {
			zt_store_close(*out);
			*out = NULL;
			return cli_fail(rc, "pools");
		}
	}
	return 0;
}

const char *cli_actor(const struct args *a)
{
	return a && a->actor[0] ? a->actor : "unknown";
}
