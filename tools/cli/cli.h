/* zhitong — the command-line program: shared pieces. */
#ifndef ZT_CLI_H
#define ZT_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "zhitong/actor.h"
#include "zhitong/store.h"

/* Exit status (docs/spec/interfaces.md). */
enum {
	EXIT_DONE = 0,     /* all done */
	EXIT_REJECTED = 1, /* some input was rejected; stdout has the full answer */
	EXIT_USAGE = 2,    /* bad usage or an unusable input file */
	EXIT_INTERNAL = 3, /* an internal or storage error */
	EXIT_UNDELIVERED = 4, /* stored, but the answer could not be written to
	                       * stdout: the message on stderr says how to get it */
};

struct zt_outfile;

struct cli {
	const char *db_path;
	const char *config_path;
	const char *prog;
};

/* A parsed command line of one subcommand: --name value / --name=value
 * options, flags, and positional arguments. */
#define CLI_MAX_ARGS 32
struct args {
	int npos;
	const char *pos[CLI_MAX_ARGS];
	int nopt;
	const char *opt_name[CLI_MAX_ARGS];
	const char *opt_value[CLI_MAX_ARGS];
	bool help;
	char actor[ZT_ACTOR_BYTES]; /* normalised (actor.h); "" if --by is not an option */
};
/* `flags` lists the options that take no value, space-separated
 * ("--quiet --force"). Every argument and option value must be valid UTF-8
 * without control or invisible characters (text.h): a refused one is named
 * by its option or position, never echoed. When `valued` lists --by, who
 * does this is resolved (--by, else $ZHITONG_USER, else $USER, else
 * "unknown") and normalised (actor.h) into a->actor: a name that cannot be
 * is refused here, before the command runs. Returns 0 or prints the error
 * and returns 2. */
int args_parse(struct args *a, int argc, char **argv, const char *valued, const char *flags);
const char *args_get(const struct args *a, const char *name); /* NULL if absent */
bool args_flag(const struct args *a, const char *name);

/* "zhitong: CODE: message" on stderr; returns the exit status for rc. */
int cli_fail(int rc, const char *code);
int cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* How a command opens the store: flags of CLI_STORE_*. */
enum { CLI_STORE_READONLY = 1, CLI_STORE_CREATE = 2 };
/* The store's options for `flags` and the environment: the busy timeout is
 * $ZHITONG_BUSY_TIMEOUT_MS (milliseconds), else the store's default. */
void cli_store_options(struct zt_store_options *o, int flags);
/* Opens the store and checks its schema version; for writing, also that
 * the command's actor (--by) may act: once the database holds a user, an
 * enabled user only (users.h zt_users_actor_check). Returns 0 or an exit
 * status. */
int cli_open_store(const struct cli *c, int flags, struct zt_store **out);
/* Who is doing this: --by, else $ZHITONG_USER, else $USER, else "unknown",
 * normalised (actor.h) by args_parse: the name that is compared and
 * recorded, and printed back ("approved by alice"). */
const char *cli_actor(const struct args *a);

int cmd_init(const struct cli *c, int argc, char **argv);
int cmd_registry(const struct cli *c, int argc, char **argv);
int cmd_rules(const struct cli *c, int argc, char **argv);
int cmd_catalog(const struct cli *c, int argc, char **argv);
int cmd_claim(const struct cli *c, int argc, char **argv);
int cmd_verify(const struct cli *c, int argc, char **argv);
int cmd_gen(const struct cli *c, int argc, char **argv); /* cmd_gen.c */
int cmd_demo(const struct cli *c, int argc, char **argv);
int cmd_slip(const struct cli *c, int argc, char **argv);
int cmd_schema(const struct cli *c, int argc, char **argv);
int cmd_status(const struct cli *c, int argc, char **argv);
int cmd_ledger(const struct cli *c, int argc, char **argv);
int cmd_advance(const struct cli *c, int argc, char **argv);
int cmd_batch(const struct cli *c, int argc, char **argv);
int cmd_reconcile(const struct cli *c, int argc, char **argv);
int cmd_serve(const struct cli *c, int argc, char **argv);
int cmd_user(const struct cli *c, int argc, char **argv);  /* cmd_user.c */
int cmd_store(const struct cli *c, int argc, char **argv);
int cmd_audit(const struct cli *c, int argc, char **argv); /* cmd_audit.c */
/* demo_service.c: the demo's last step, the service as a desk meets it. */
int demo_service(const struct cli *c, const char *dir);

/* ---- answers that cannot be lost --------------------------------------
 * A command that has committed something calls cli_stored() before it
 * prints its answer: `what` says what was stored ("batch 'B1' was created"),
 * `how` how to get the answer again ("'zhitong batch list' lists it").
 * When stdout then cannot take the answer (a closed pipe — SIGPIPE is
 * ignored, so the write fails with EPIPE —, a full disk), the program says
 * so on stderr and exits EXIT_UNDELIVERED instead of 0. */
void cli_stored(const char *how, const char *what_fmt, ...) __attribute__((format(printf, 2, 3)));
/* [rules] approval = required in the configuration (docs/spec/rules-v2.md
 * §4): *out. 0, or the configuration's error. */
int cli_approval_required(const struct cli *c, bool *out);
/* Flushes and closes stdout and turns a failure into the right message and
 * exit status (main calls it once, after the command). */
int cli_finish_stdout(int rc);

/* ---- output files -------------------------------------------------------
 * Where a command's answer goes: stdout, or `--out FILE` through the
 * engine's safe output (outfile.h: never over a different file unless
 * --force, never through a symbolic link, all or nothing). */
struct cli_out {
	FILE *f;
	struct zt_outfile *file; /* NULL: stdout */
};
/* Opens --out (with --force) if given, else stdout. `mode` is the file's
 * permissions (0600 for anything with personal data). Returns 0 or an exit
 * status (the error printed). */
int cli_out_open(struct cli_out *o, const struct args *a, unsigned mode);
/* Ends the output: if rc is EXIT_DONE or EXIT_REJECTED, commits --out (a
 * failure is printed and its exit status returned), else discards it.
 * Returns the exit status. */
int cli_out_close(struct cli_out *o, int rc);
/* --bom is for CSV only: returns 0, or a usage error when --bom is given
 * with another format. */
int cli_bom_check(const struct args *a, bool csv);

/* Columns a UTF-8 string takes in a terminal (CJK: two), to align text. */
int cli_display_width(const char *s);

/* A whole number of digits only (no sign); -1 if it is not one. */
int cli_parse_u64(const char *s, uint64_t *out);
/* gen's progress on a terminal (the demo's too). */
void cli_gen_progress(void *ctx, uint64_t done, uint64_t total);

/* Opens a document the user names (a registry, a catalogue) for reading:
 * ZT_ENOTFOUND, message set, if it cannot be opened or is not a regular
 * file. */
int cli_open_doc(FILE **f, const char *path);
/* Shared with the demo: read a file, call the use case (zt_registry_load,
 * zt_rules_load), say what it did on stderr unless quiet. */
int cli_registry_load(struct zt_store *s, const char *path, const char *actor, bool quiet);
int cli_rules_load(struct zt_store *s, const char *path, const char *actor, bool quiet);

#endif
