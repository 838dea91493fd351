/* zhitong — one program, with subcommands (docs/spec/interfaces.md "Command line"). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "zhitong/config.h"
#include "zhitong/date.h"
#include "zhitong/error.h"
#include "zhitong/text.h"
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
	"Commands:\n"
	"  init                          create or migrate the database\n"
	"  registry load FILE.xml        load hospitals, people and funds (upsert)\n"
	"  rules load FILE.xml           validate and store a policy version\n"
	"  rules check FILE.xml          validate a policy, no database\n"
	"  claim submit FILE.xml         settle claims; <settlements> on stdout\n"
	"  claim quote FILE.xml          the same answer, nothing stored\n"
	"  claim reverse --hospital H --claim-no N --reason TEXT\n"
	"  claim show --hospital H --claim-no N [--format text|xml]\n"
	"  slip --hospital H --claim-no N [--format text|html]\n"
	"  verify                        re-check every money invariant\n"
	"  ledger balance|transfers      the double-entry ledger\n"
	"  advance plan|issue|status     advances to hospitals (pain.001 for the bank)\n"
	"  batch create|list|show|approve|reject|export|send|verify\n"
	"                                payer batches and signed settlement files\n"
	"  reconcile import|match|resolve|report\n"
	"                                the bank statement against batches and advances\n"
	"  serve [--listen ADDR:PORT]    the HTTP service (see 'zhitong serve --help')\n"
	"  status                        what the database holds\n"
	"  gen --claims N --seed S --out DIR   generate a synthetic world\n"
	"  demo [--claims N]             the whole flow on sample data\n"
	"  schema NAME                   print an XSD (registry policy claim settlement\n"
	"                                payer-file payer-ack)\n"
	"  help [COMMAND]                this text, or a command's help\n"
	"\n"
	"Exit status: 0 all done; 1 some input was rejected (stdout still holds the\n"
	"full answer); 2 bad usage or an unusable input file; 3 an internal or\n"
	"storage error. Errors go to stderr as one line: zhitong: CODE: message.\n";

static const struct {
	const char *name;
	int (*fn)(const struct cli *, int, char **);
} commands[] = {
	{"init", cmd_init},     {"registry", cmd_registry}, {"rules", cmd_rules},
	{"claim", cmd_claim},   {"verify", cmd_verify},     {"gen", cmd_gen},
	{"demo", cmd_demo},     {"slip", cmd_slip},         {"schema", cmd_schema},
	{"status", cmd_status}, {"ledger", cmd_ledger},     {"advance", cmd_advance},
	{"batch", cmd_batch},   {"reconcile", cmd_reconcile}, {"serve", cmd_serve},
};

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
		rc = zt_date_set_pool_zone(zt_config_get(cfg, "pool", "timezone"));
	zt_config_free(cfg);
	return rc ? cli_fail(rc, "config") : 0;
}

int main(int argc, char **argv)
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
		if (i + 1 < argc) {
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

/* --by, else $ZHITONG_USER, else $USER, else "unknown", normalised. */
static int resolve_actor(struct args *a)
{
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
	if (zt_actor_normalize(a->actor, by) == 0)
		return 0;
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

static const char *code_name(int rc)
{
	switch (rc) {
	case ZT_EMALFORMED: return "malformed-xml";
	case ZT_EINVAL: return "invalid";
	case ZT_ERANGE: return "invalid";
	case ZT_ENOTFOUND: return "input";
	case ZT_ECONFLICT: return "conflict";
	case ZT_EIO: return "storage";
	case ZT_EBUSY: return "busy";
	case ZT_ENOMEM: return "out-of-memory";
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
		return EXIT_USAGE;
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

int cli_open_store(const struct cli *c, int flags, struct zt_store **out)
{
	int rc = zt_store_open(out, c->db_path, flags);
	if (rc) {
		fprintf(stderr, "zhitong: database: %s\n", zt_error_last());
		return EXIT_USAGE;
	}
	if ((rc = zt_store_check_version(*out)) != 0) {
		fprintf(stderr, "zhitong: database: %s\n", zt_error_last());
		zt_store_close(*out);
		*out = NULL;
		return EXIT_USAGE;
	}
	return 0;
}

const char *cli_actor(const struct args *a)
{
	return a && a->actor[0] ? a->actor : "unknown";
}
