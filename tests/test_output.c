/* zhitong — what zhitong writes: output files that never destroy data
 * (outfile.h), spreadsheet-safe CSV (csv.h), databases for their owner
 * only, read-only commands on databases the reader cannot write, answers
 * that cannot be delivered after a commit, and a help that lists every
 * command. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "zhitong/csv.h"
#include "zhitong/error.h"
#include "zhitong/outfile.h"

#define REGISTRY ZT_TEST_SOURCE_DIR "/rules/registry-510101.xml"
#define POLICY ZT_TEST_SOURCE_DIR "/rules/sample-510101-2017.xml"
#define WORKED_EXAMPLE ZT_TEST_CASES "/claims/worked-example.xml"
#define MIXED ZT_TEST_CASES "/claims/mixed-settled-and-rejected.xml"

/* ---- helpers ------------------------------------------------------------------ */

static bool exists(const char *p)
{
	struct stat st;
	return lstat(p, &st) == 0;
}

static unsigned mode_of(const char *p)
{
	struct stat st;
	cr_assert_eq(stat(p, &st), 0, "stat %s: %s", p, strerror(errno));
	return st.st_mode & 07777;
}

/* Entries of `dir` whose name starts with `prefix`. */
static int count_prefix(const char *dir, const char *prefix)
{
	int n = 0;
	DIR *d = opendir(dir);
	cr_assert(d, "opendir %s", dir);
	for (struct dirent *e; (e = readdir(d));)
		n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
	closedir(d);
	return n;
}

static void expect_in(const char *hay, const char *needle)
{
	cr_expect(hay && strstr(hay, needle), "expected '%s' in:\n%s", needle, hay ? hay : "(null)");
}

static void expect_not_in(const char *hay, const char *needle)
{
	cr_expect(hay && !strstr(hay, needle), "did not expect '%s' in:\n%s", needle,
	          hay ? hay : "(null)");
}

/* zhitong ARGS (testutil.h) */
#define zt(...) zt_test_cmd(__VA_ARGS__)

#define ok(...) zt_test_ok(__VA_ARGS__)

/* A database with the sample registry and policy and the worked example
 * settled (S000000000001). */
static const char *world(void)
{
	static char db[700];
	snprintf(db, sizeof db, "%s/zt.db", zt_test_tmpdir());
	free(ok("--db '%s' init", db));
	free(ok("--db '%s' registry load '%s'", db, REGISTRY));
	free(ok("--db '%s' rules load '%s'", db, POLICY));
	free(ok("--db '%s' claim submit '%s'", db, WORKED_EXAMPLE));
	return db;
}

/* ==== outfile.h ============================================================== */

Test(outfile, a_new_file_appears_whole_with_its_mode)
{
	const char *p = tmp_path("new.txt");
	struct zt_outfile *f;
	cr_assert_eq(zt_outfile_open(&f, p, 0640, 0), 0, "%s", zt_error_last());
	cr_assert_eq(zt_outfile_write(f, "hello ", 6), 0);
	FILE *s = zt_outfile_stream(f);
	cr_assert(s);
	fputs("world\n", s);
	cr_expect(!exists(p), "nothing is visible before the commit");
	cr_expect_eq(count_prefix(zt_test_tmpdir(), ".new.txt."), 1, "a hidden temporary file");
	enum zt_outfile_result res;
	cr_assert_eq(zt_outfile_commit(f, &res), 0, "%s", zt_error_last());
	zt_outfile_free(f);
	cr_expect_eq(res, ZT_OUT_NEW);
	char *got = zt_test_slurp(p);
	cr_expect_str_eq(got, "hello world\n");
	free(got);
	cr_expect_eq(mode_of(p), 0640);
	cr_expect_eq(count_prefix(zt_test_tmpdir(), ".new.txt."), 0, "no temporary file is left");
	/* a relative path: the temporary file is in the current directory */
	cr_assert_eq(chdir(zt_test_tmpdir()), 0);
	cr_assert_eq(zt_outfile_write_all("relative.txt", "x", 1, 0600, 0, &res), 0, "%s",
	             zt_error_last());
	cr_expect_eq(res, ZT_OUT_NEW);
	cr_expect_eq(mode_of(tmp_path("relative.txt")), 0600);
}

Test(outfile, the_same_bytes_leave_the_file_as_it_was)
{
	const char *p = zt_test_write("same.txt", "the same bytes\n");
	struct stat a, b;
	cr_assert_eq(stat(p, &a), 0);
	for (int force = 0; force < 2; force++) {
		enum zt_outfile_result res = ZT_OUT_NEW;
		cr_assert_eq(zt_outfile_write_all(p, "the same bytes\n", 15, 0600,
		                                  force ? ZT_OUT_FORCE : 0, &res),
		             0, "%s", zt_error_last());
		cr_expect_eq(res, ZT_OUT_SAME);
	}
	cr_assert_eq(stat(p, &b), 0);
	cr_expect_eq(a.st_ino, b.st_ino, "not replaced");
	cr_expect_eq(a.st_mtim.tv_nsec, b.st_mtim.tv_nsec, "not written");
	/* an empty file and an empty output are the same too */
	const char *e = zt_test_write("empty.txt", "");
	enum zt_outfile_result res;
	cr_assert_eq(zt_outfile_write_all(e, "", 0, 0600, 0, &res), 0, "%s", zt_error_last());
	cr_expect_eq(res, ZT_OUT_SAME);
	cr_expect_eq(count_prefix(zt_test_tmpdir(), ".same.txt."), 0);
}

Test(outfile, other_bytes_are_refused_unless_forced)
{
	/* longer, shorter, same length with other bytes */
	const char *variants[] = {"the previous file, longer\n", "short\n", "THE PREVIOUS\n"};
	for (size_t i = 0; i < 3; i++) {
		const char *p = zt_test_write("other.txt", "the previous\n");
		size_t n = strlen(variants[i]);
		zt_error_clear();
		cr_expect_eq(zt_outfile_write_all(p, variants[i], n, 0600, 0, NULL), ZT_ECONFLICT, "%zu", i);
		expect_in(zt_error_last(), "exists and holds something else");
		expect_in(zt_error_last(), "--force");
		char *got = zt_test_slurp(p);
		cr_expect_str_eq(got, "the previous\n", "left as it was");
		free(got);
		enum zt_outfile_result res;
		cr_assert_eq(zt_outfile_write_all(p, variants[i], n, 0644, ZT_OUT_FORCE, &res), 0, "%s",
		             zt_error_last());
		cr_expect_eq(res, ZT_OUT_REPLACED);
		got = zt_test_slurp(p);
		cr_expect_str_eq(got, variants[i]);
		free(got);
		cr_expect_eq(mode_of(p), 0644);
	}
	cr_expect_eq(count_prefix(zt_test_tmpdir(), ".other.txt."), 0);
}

Test(outfile, never_through_or_over_a_symbolic_link)
{
	char target[700], link[700];
	snprintf(target, sizeof target, "%s", zt_test_write("target.txt", "the link's target\n"));
	snprintf(link, sizeof link, "%s", tmp_path("link.txt"));
	cr_assert_eq(symlink(target, link), 0);
	for (int force = 0; force < 2; force++) {
		zt_error_clear();
		cr_expect_eq(zt_outfile_write_all(link, "x\n", 2, 0600, force ? ZT_OUT_FORCE : 0, NULL),
		             ZT_EINVAL);
		expect_in(zt_error_last(), "symbolic link");
		/* not even the same bytes go through a link */
		cr_expect_eq(zt_outfile_write_all(link, "the link's target\n", 18, 0600,
		                                  force ? ZT_OUT_FORCE : 0, NULL),
		             ZT_EINVAL);
	}
	char *got = zt_test_slurp(target);
	cr_expect_str_eq(got, "the link's target\n", "the target is untouched");
	free(got);
	struct stat st;
	cr_assert_eq(lstat(link, &st), 0);
	cr_expect(S_ISLNK(st.st_mode), "the link is still a link");
	/* a dangling link: nothing is made where it points */
	const char *nowhere = tmp_path("nowhere.txt"), *dangling = tmp_path("dangling.txt");
	cr_assert_eq(symlink(nowhere, dangling), 0);
	cr_expect_eq(zt_outfile_write_all(dangling, "x\n", 2, 0600, ZT_OUT_FORCE, NULL), ZT_EINVAL);
	cr_expect(!exists(nowhere));
	/* a link to a directory */
	const char *dirlink = tmp_path("dirlink");
	cr_assert_eq(symlink(zt_test_tmpdir(), dirlink), 0);
	cr_expect_eq(zt_outfile_write_all(dirlink, "x\n", 2, 0600, ZT_OUT_FORCE, NULL), ZT_EINVAL);
	cr_expect_eq(count_prefix(zt_test_tmpdir(), ".link.txt."), 0);
	cr_expect_eq(count_prefix(zt_test_tmpdir(), ".dangling.txt."), 0);
}

Test(outfile, a_directory_a_fifo_or_a_missing_directory_is_refused)
{
	const char *dir = tmp_path("adir");
	cr_assert_eq(mkdir(dir, 0700), 0);
	cr_expect_eq(zt_outfile_write_all(dir, "x", 1, 0600, ZT_OUT_FORCE, NULL), ZT_EINVAL);
	expect_in(zt_error_last(), "directory");
	char slash[800];
	snprintf(slash, sizeof slash, "%s/", dir);
	cr_expect_eq(zt_outfile_write_all(slash, "x", 1, 0600, 0, NULL), ZT_EINVAL);
	const char *fifo = tmp_path("afifo");
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	cr_expect_eq(zt_outfile_write_all(fifo, "x", 1, 0600, ZT_OUT_FORCE, NULL), ZT_EINVAL);
	expect_in(zt_error_last(), "not a regular file");
	cr_expect_eq(zt_outfile_write_all("/nonexistent-zt-dir/x.txt", "x", 1, 0600, 0, NULL), ZT_EIO);
	expect_in(zt_error_last(), "does not exist");
	cr_expect_eq(zt_outfile_write_all("", "x", 1, 0600, 0, NULL), ZT_EINVAL);
}

Test(outfile, an_abandoned_or_failed_output_leaves_nothing)
{
	const char *p = tmp_path("abandoned.txt");
	struct zt_outfile *f;
	cr_assert_eq(zt_outfile_open(&f, p, 0600, 0), 0);
	cr_assert_eq(zt_outfile_write(f, "half", 4), 0);
	zt_outfile_free(f);
	cr_expect(!exists(p));
	cr_expect_eq(count_prefix(zt_test_tmpdir(), ".abandoned.txt."), 0);
	/* a write error (the descriptor pulled from under it): reported at
	 * the write and again at finish, and nothing is left */
	const char *q = zt_test_write("failing.txt", "before\n");
	cr_assert_eq(zt_outfile_open(&f, q, 0600, ZT_OUT_FORCE), 0);
	cr_assert_eq(close(zt_outfile_fd(f)), 0);
	cr_expect_eq(zt_outfile_write(f, "x", 1), ZT_EIO);
	expect_in(zt_error_last(), "failing.txt");
	cr_expect_eq(zt_outfile_finish(f, NULL), ZT_EIO);
	zt_outfile_free(f);
	char *got = zt_test_slurp(q);
	cr_expect_str_eq(got, "before\n", "a failed output replaces nothing");
	free(got);
	cr_expect_eq(count_prefix(zt_test_tmpdir(), ".failing.txt."), 0);
	/* a stream write error */
	cr_assert_eq(zt_outfile_open(&f, q, 0600, ZT_OUT_FORCE), 0);
	FILE *s = zt_outfile_stream(f);
	cr_assert(s);
	cr_assert_eq(close(zt_outfile_fd(f)), 0);
	for (int i = 0; i < 20000; i++)
		fputs("0123456789", s);
	cr_expect_eq(zt_outfile_commit(f, NULL), ZT_EIO);
	zt_outfile_free(f);
	got = zt_test_slurp(q);
	cr_expect_str_eq(got, "before\n");
	free(got);
	cr_expect_eq(count_prefix(zt_test_tmpdir(), ".failing.txt."), 0);
}

Test(outfile, a_file_that_appears_meanwhile_is_not_replaced)
{
	const char *p = tmp_path("race.txt");
	struct zt_outfile *f;
	enum zt_outfile_result res;
	cr_assert_eq(zt_outfile_open(&f, p, 0600, 0), 0);
	cr_assert_eq(zt_outfile_write(f, "mine\n", 5), 0);
	cr_assert_eq(zt_outfile_finish(f, &res), 0);
	cr_expect_eq(res, ZT_OUT_NEW);
	zt_test_write("race.txt", "someone else's\n");
	cr_expect_eq(zt_outfile_publish(f), ZT_ECONFLICT);
	expect_in(zt_error_last(), "appeared");
	zt_outfile_free(f);
	char *got = zt_test_slurp(p);
	cr_expect_str_eq(got, "someone else's\n");
	free(got);
	cr_expect_eq(count_prefix(zt_test_tmpdir(), ".race.txt."), 0);
	/* and with --force, a link put there meanwhile is not replaced */
	const char *target = zt_test_write("race-target.txt", "target\n");
	cr_assert_eq(zt_outfile_open(&f, p, 0600, ZT_OUT_FORCE), 0);
	cr_assert_eq(zt_outfile_write(f, "mine\n", 5), 0);
	cr_assert_eq(zt_outfile_finish(f, &res), 0);
	cr_expect_eq(res, ZT_OUT_REPLACED);
	cr_assert_eq(unlink(p), 0);
	cr_assert_eq(symlink(target, p), 0);
	cr_expect_eq(zt_outfile_publish(f), ZT_EINVAL);
	zt_outfile_free(f);
	got = zt_test_slurp(target);
	cr_expect_str_eq(got, "target\n");
	free(got);
}

/* zt_outfile_withdraw: an operation that fails after it published takes
 * back what it published, and only that (the payer file of a failed batch
 * export). */
static struct zt_outfile *published(const char *p, const char *text, int flags,
                                    enum zt_outfile_result want)
{
	struct zt_outfile *f;
	enum zt_outfile_result res;
	cr_assert_eq(zt_outfile_open(&f, p, 0600, flags), 0, "%s", zt_error_last());
	cr_assert_eq(zt_outfile_write(f, text, strlen(text)), 0);
	cr_assert_eq(zt_outfile_commit(f, &res), 0, "%s", zt_error_last());
	cr_expect_eq(res, want);
	return f;
}

Test(outfile, a_withdrawn_new_file_is_gone)
{
	const char *p = tmp_path("w-new.txt");
	struct zt_outfile *f = published(p, "mine\n", 0, ZT_OUT_NEW);
	cr_expect(exists(p));
	cr_assert_eq(zt_outfile_withdraw(f), 0, "%s", zt_error_last());
	cr_expect(!exists(p), "the file this output made is removed");
	cr_expect_eq(zt_outfile_withdraw(f), 0, "a second withdraw does nothing");
	zt_outfile_free(f);
	cr_expect_eq(count_prefix(zt_test_tmpdir(), ".w-new.txt."), 0);
}

Test(outfile, a_withdrawn_output_leaves_the_same_file_that_was_there)
{
	const char *p = zt_test_write("w-same.txt", "the same\n");
	struct stat a, b;
	cr_assert_eq(stat(p, &a), 0);
	for (int flags = 0; flags <= (ZT_OUT_FORCE | ZT_OUT_WITHDRAWABLE); flags++) {
		struct zt_outfile *f = published(p, "the same\n", flags, ZT_OUT_SAME);
		cr_assert_eq(zt_outfile_withdraw(f), 0, "%s", zt_error_last());
		zt_outfile_free(f);
		char *got = zt_test_slurp(p);
		cr_expect_str_eq(got, "the same\n", "flags %d", flags);
		free(got);
	}
	cr_assert_eq(stat(p, &b), 0);
	cr_expect(a.st_ino == b.st_ino, "the very same file");
}

Test(outfile, a_withdrawn_forced_output_puts_back_the_file_it_replaced)
{
	const char *p = zt_test_write("w-forced.txt", "theirs\n");
	struct zt_outfile *f = published(p, "mine\n", ZT_OUT_FORCE | ZT_OUT_WITHDRAWABLE,
	                                 ZT_OUT_REPLACED);
	char *got = zt_test_slurp(p);
	cr_expect_str_eq(got, "mine\n");
	free(got);
	cr_expect_eq(count_prefix(zt_test_tmpdir(), ".w-forced.txt."), 1, "the replaced file kept");
	cr_assert_eq(zt_outfile_withdraw(f), 0, "%s", zt_error_last());
	zt_outfile_free(f);
	got = zt_test_slurp(p);
	cr_expect_str_eq(got, "theirs\n", "the replaced file is back");
	free(got);
	cr_expect_eq(count_prefix(zt_test_tmpdir(), ".w-forced.txt."), 0);
	/* published for good: the kept file goes at free */
	f = published(p, "mine\n", ZT_OUT_FORCE | ZT_OUT_WITHDRAWABLE, ZT_OUT_REPLACED);
	zt_outfile_free(f);
	got = zt_test_slurp(p);
	cr_expect_str_eq(got, "mine\n");
	free(got);
	cr_expect_eq(count_prefix(zt_test_tmpdir(), ".w-forced.txt."), 0);
	/* without ZT_OUT_WITHDRAWABLE nothing was kept: refused, the file stays */
	zt_test_write("w-forced.txt", "theirs\n");
	f = published(p, "mine\n", ZT_OUT_FORCE, ZT_OUT_REPLACED);
	cr_expect_eq(zt_outfile_withdraw(f), ZT_EINTERNAL);
	expect_in(zt_error_last(), "cannot be withdrawn");
	zt_outfile_free(f);
	got = zt_test_slurp(p);
	cr_expect_str_eq(got, "mine\n");
	free(got);
}

Test(outfile, withdrawing_never_removes_a_file_put_there_since)
{
	const char *p = tmp_path("w-since.txt");
	struct zt_outfile *f = published(p, "mine\n", 0, ZT_OUT_NEW);
	cr_assert_eq(rename(zt_test_write("w-other.txt", "someone else's\n"), p), 0);
	cr_assert_eq(zt_outfile_withdraw(f), 0, "%s", zt_error_last());
	zt_outfile_free(f);
	char *got = zt_test_slurp(p);
	cr_expect_str_eq(got, "someone else's\n");
	free(got);
	/* an output not published has nothing to withdraw */
	cr_assert_eq(zt_outfile_open(&f, tmp_path("w-never.txt"), 0600, 0), 0);
	cr_assert_eq(zt_outfile_write(f, "x", 1), 0);
	cr_expect_eq(zt_outfile_withdraw(f), 0);
	zt_outfile_free(f);
	cr_expect(!exists(tmp_path("w-never.txt")));
}

/* ==== csv.h ================================================================== */

static char *csv_of(const char *const *cells, size_t n, bool bom)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct zt_csv w;
	zt_csv_init(&w, f, bom);
	zt_csv_row(&w, cells, n);
	fclose(f);
	return buf;
}

Test(csv, a_cell_a_spreadsheet_would_run_is_written_as_text)
{
	static const struct {
		const char *cell, *want;
	} cases[] = {
		{"=1+2", "\"'=1+2\"\n"},
		{"=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"\n"},
		{"+1", "\"'+1\"\n"},
		{"+86 28 1234", "\"'+86 28 1234\"\n"},
		{"-1+2", "\"'-1+2\"\n"},
		{"-", "\"'-\"\n"},
		{"--1", "\"'--1\"\n"},
		{"-1e3", "\"'-1e3\"\n"},
		{"-12.", "\"'-12.\"\n"},
		{"@SUM(A1:A9)", "\"'@SUM(A1:A9)\"\n"},
		{"\tcmd", "\"'\tcmd\"\n"},
		{"\rcmd", "\"'\rcmd\"\n"},
		{"=cmd|' /C calc'!A0", "\"'=cmd|' /C calc'!A0\"\n"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		cr_expect(zt_csv_needs_neutralising(cases[i].cell), "%s", cases[i].cell);
		char *got = csv_of(&cases[i].cell, 1, false);
		cr_expect_str_eq(got, cases[i].want, "cell %zu", i);
		free(got);
	}
}

Test(csv, numbers_stay_numbers_and_other_text_is_left_alone)
{
	const char *cells[] = {"-12.50", "-0.01", "0.00", "12", "-3", "10500.00", "2017-03-10",
	                       "S000000000001", "a = b", "中文 =x", "", "wrong ward"};
	char *got = csv_of(cells, sizeof cells / sizeof *cells, false);
	cr_expect_str_eq(got, "-12.50,-0.01,0.00,12,-3,10500.00,2017-03-10,S000000000001,a = b,"
	                      "中文 =x,,wrong ward\n");
	free(got);
	for (size_t i = 0; i < 6; i++)
		cr_expect(zt_csv_is_number(cells[i]), "%s", cells[i]);
	cr_expect(!zt_csv_is_number("1.2.3") && !zt_csv_is_number("") && !zt_csv_is_number("1,000"));
}

Test(csv, rfc4180_quoting_and_the_byte_order_mark)
{
	const char *cells[] = {"a,b", "say \"hi\"", "two\nlines", "plain", NULL};
	char *got = csv_of(cells, 5, false);
	cr_expect_str_eq(got, "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",plain,\n");
	free(got);
	const char *one[] = {"x"};
	got = csv_of(one, 1, true);
	cr_expect_str_eq(got, "\xEF\xBB\xBFx\n");
	free(got);
}

/* ==== CSV from every command ================================================== */

/* The first line of the CSV, with a byte order mark or without. */
static void expect_bom(const char *args, const char *header)
{
	struct run r = zt("%s --format csv", args);
	cr_assert_eq(r.code, 0, "%s: %s", args, r.err);
	cr_expect(strncmp(r.out, header, strlen(header)) == 0, "%s: no byte order mark unless asked:\n%s",
	          args, r.out);
	run_free(&r);
	r = zt("%s --format csv --bom", args);
	cr_assert_eq(r.code, 0, "%s: %s", args, r.err);
	cr_expect(strncmp(r.out, "\xEF\xBB\xBF", 3) == 0 && strncmp(r.out + 3, header, strlen(header)) == 0,
	          "%s --bom:\n%s", args, r.out);
	run_free(&r);
	r = zt("%s --bom", args);
	cr_expect_eq(r.code, 2, "%s: --bom without CSV is bad usage", args);
	run_free(&r);
}

Test(csv_out, claim_list_neutralises_text_and_keeps_negative_amounts)
{
	const char *db = world();
	free(ok("--db '%s' claim reverse --hospital H51010101 --claim-no ZY2017-000123 "
	        "--reason '=HYPERLINK(\"http://evil\",\"x\")' --by '@desk'", db));
	char *out = ok("--db '%s' claim list --format csv", db);
	expect_in(out, ",\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\"\n");
	expect_in(out, ",-10500.00,-9450.00,0.00,-1050.00,");
	expect_not_in(out, ",=");
	expect_not_in(out, ",@");
	free(out);
	char args[800];
	snprintf(args, sizeof args, "--db '%s' claim list", db);
	expect_bom(args, "setl_id,kind,reverses,");
}

Test(csv_out, ledger_and_advance_csv_keep_negative_balances_as_numbers)
{
	const char *db = world();
	/* hospital-burden and patient accounts are negative; the hospital has
	 * earned without any advance: its balance is negative */
	char *out = ok("--db '%s' ledger balance --format csv", db);
	expect_in(out, "hospital:H51010101,-9450.00\n");
	expect_in(out, "claims:H51010101,-1050.00\n");
	free(out);
	out = ok("--db '%s' ledger transfers --account hospital:H51010101 --format csv", db);
	expect_in(out, ",-9450.00\n");
	free(out);
	out = ok("--db '%s' advance status --format csv", db);
	expect_in(out, "H51010101,0.00,9450.00,-9450.00,");
	free(out);
	char args[800];
	snprintf(args, sizeof args, "--db '%s' ledger balance", db);
	expect_bom(args, "account,balance\n");
	snprintf(args, sizeof args, "--db '%s' ledger transfers --account hospital:H51010101", db);
	expect_bom(args, "id,at,debit,credit,");
	snprintf(args, sizeof args, "--db '%s' advance status", db);
	expect_bom(args, "hospital,advanced,earned,balance,advancing_since\n");
	snprintf(args, sizeof args, "--db '%s' advance list", db);
	expect_bom(args, "advance_id,hospital,amount,");
	snprintf(args, sizeof args, "--db '%s' batch list", db);
	expect_bom(args, "batch_id,fund,status,");
}

Test(csv_out, advance_csv_neutralises_what_people_typed)
{
	const char *db = world();
	char cfg[1200];
	snprintf(cfg, sizeof cfg, "[pool]\nname = pool\naccount = 6222020200112233445\n"
	                          "[hospital H51010101]\ntarget = 20000.00\naccount = 4402000000000000001\n");
	const char *c = zt_test_write("advance.conf", cfg);
	char *out = ok("--db '%s' --config '%s' advance plan --by '=alice'", db, c);
	char plan[64] = "";
	sscanf(out, "%63s", plan);
	free(out);
	free(ok("--db '%s' advance approve %s --by '+bob'", db, plan));
	char pain[700];
	snprintf(pain, sizeof pain, "%s/-pain.xml", zt_test_tmpdir());
	free(ok("--db '%s' --config '%s' advance issue --plan %s --by '-carol' --out '%s'", db, c, plan,
	        pain));
	out = ok("--db '%s' advance list --format csv", db);
	expect_in(out, "\"'=alice\"");
	expect_in(out, "\"'+bob\"");
	expect_in(out, "\"'-carol\"");
	free(out);
	out = ok("--db '%s' advance show %s --format csv", db, plan);
	expect_in(out, "H51010101,target,");
	expect_in(out, ",-9450.00,29450.00\n");
	free(out);
	char args[800];
	snprintf(args, sizeof args, "--db '%s' advance show %s", db, plan);
	expect_bom(args, "plan_id,hospital,");
}

/* ==== --out of every kind ======================================================= */

Test(out_files, read_only_outputs_refuse_another_file_and_follow_no_link)
{
	const char *db = world();
	const char *cmds[] = {"claim list --format csv", "ledger balance", "advance status",
	                      "batch list", "reconcile exceptions", "reconcile report --format html",
	                      "slip --setl-id S000000000001", "slip --setl-id S000000000001 --format pdf"};
	char target[700], f[700];
	snprintf(target, sizeof target, "%s", zt_test_write("precious.txt", "precious\n"));
	snprintf(f, sizeof f, "%s", tmp_path("answer.out"));
	for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
		unlink(f);
		char *out = ok("--db '%s' %s --out '%s'", db, cmds[i], f);
		cr_expect_str_eq(out, "", "%s: the answer went to the file", cmds[i]);
		free(out);
		cr_expect_eq(mode_of(f), 0600, "%s", cmds[i]);
		/* the same answer again: fine (a slip's PDF is the same bytes too) */
		struct run r = zt("--db '%s' %s --out '%s'", db, cmds[i], f);
		cr_expect_eq(r.code, 0, "%s: %s", cmds[i], r.err);
		run_free(&r);
		/* another file under the name: refused, then forced */
		zt_test_write("answer.out", "another file\n");
		r = zt("--db '%s' %s --out '%s'", db, cmds[i], f);
		cr_expect_eq(r.code, 2, "%s", cmds[i]);
		expect_in(r.err, "--force");
		run_free(&r);
		char *kept = zt_test_slurp(f);
		cr_expect_str_eq(kept, "another file\n", "%s", cmds[i]);
		free(kept);
		free(ok("--db '%s' %s --out '%s' --force", db, cmds[i], f));
		/* a symbolic link: refused, forced or not, its target untouched */
		unlink(f);
		cr_assert_eq(symlink(target, f), 0);
		r = zt("--db '%s' %s --out '%s' --force", db, cmds[i], f);
		cr_expect_eq(r.code, 2, "%s", cmds[i]);
		expect_in(r.err, "symbolic link");
		run_free(&r);
		kept = zt_test_slurp(target);
		cr_expect_str_eq(kept, "precious\n", "%s", cmds[i]);
		free(kept);
		unlink(f);
	}
	cr_expect_eq(count_prefix(zt_test_tmpdir(), ".answer.out."), 0);
}

Test(out_files, gen_writes_the_same_world_again_and_refuses_another)
{
	char dir[700];
	snprintf(dir, sizeof dir, "%s", tmp_path("world"));
	free(ok("gen --claims 20 --seed 7 --out '%s'", dir));
	char claims[800];
	snprintf(claims, sizeof claims, "%s/claims.xml", dir);
	struct stat a, b;
	cr_assert_eq(stat(claims, &a), 0);
	free(ok("gen --claims 20 --seed 7 --out '%s'", dir));
	cr_assert_eq(stat(claims, &b), 0);
	cr_expect_eq(a.st_ino, b.st_ino, "the same seed writes the same files: left as they were");
	struct run r = zt("gen --claims 20 --seed 8 --out '%s'", dir);
	cr_expect_eq(r.code, 2, "another world over this one is refused");
	expect_in(r.err, "--force");
	run_free(&r);
	free(ok("gen --claims 20 --seed 8 --out '%s' --force", dir));
	/* a link among the files is never followed */
	char target[700];
	snprintf(target, sizeof target, "%s", zt_test_write("gen-target.txt", "mine\n"));
	cr_assert_eq(unlink(claims), 0);
	cr_assert_eq(symlink(target, claims), 0);
	r = zt("gen --claims 20 --seed 8 --out '%s' --force", dir);
	cr_expect_eq(r.code, 2);
	expect_in(r.err, "symbolic link");
	run_free(&r);
	char *kept = zt_test_slurp(target);
	cr_expect_str_eq(kept, "mine\n");
	free(kept);
	cr_expect_eq(count_prefix(dir, "."), 2, "only . and .., no temporary file");
}

/* ==== databases ================================================================= */

static void expect_private(const char *db)
{
	char p[800];
	cr_expect_eq(mode_of(db), 0600, "%s", db);
	snprintf(p, sizeof p, "%s-wal", db);
	if (exists(p))
		cr_expect_eq(mode_of(p), 0600, "%s", p);
	snprintf(p, sizeof p, "%s-shm", db);
	if (exists(p))
		cr_expect_eq(mode_of(p), 0600, "%s", p);
}

Test(databases, every_database_file_is_for_its_owner_only)
{
	/* whatever the umask */
	const char *masks[] = {"000", "022", "077"};
	for (int i = 0; i < 3; i++) {
		char db[700];
		snprintf(db, sizeof db, "%s/m%s.db", zt_test_tmpdir(), masks[i]);
		struct run r = sh("umask %s && '%s' --db '%s' init && '%s' --db '%s' registry load '%s'",
		                  masks[i], ZT_TEST_ZHITONG, db, ZT_TEST_ZHITONG, db, REGISTRY);
		cr_assert_eq(r.code, 0, "%s", r.err);
		run_free(&r);
		expect_private(db);
		char p[800];
		snprintf(p, sizeof p, "%s-wal", db);
		cr_expect(exists(p), "the WAL stays for readers who cannot create it");
	}
	/* a database path that is a symbolic link is not created through */
	const char *target = tmp_path("elsewhere.db"), *link = tmp_path("link.db");
	cr_assert_eq(symlink(target, link), 0);
	struct run r = zt("--db '%s' init", link);
	cr_expect_neq(r.code, 0);
	run_free(&r);
	cr_expect(!exists(target), "nothing was created through the link");
}

Test(databases, the_demo_database_is_for_its_owner_only, .timeout = 120)
{
	/* --db given */
	char db[700];
	snprintf(db, sizeof db, "%s/demo.db", zt_test_tmpdir());
	struct run r = sh("umask 000 && '%s' --db '%s' demo --claims 10", ZT_TEST_ZHITONG, db);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	expect_private(db);
	/* its own temporary directory, kept */
	r = sh("umask 000 && '%s' demo --claims 10 --keep", ZT_TEST_ZHITONG);
	cr_assert_eq(r.code, 0, "%s", r.err);
	const char *w = strstr(r.out, "工作目录 ");
	cr_assert(w, "%s", r.out);
	char dir[256] = "";
	sscanf(w + strlen("工作目录 "), "%255[^\n]", dir);
	cr_assert_eq(strncmp(dir, "/tmp/zhitong-demo-", 18), 0, "%s", r.out);
	snprintf(db, sizeof db, "%s/demo.db", dir);
	expect_private(db);
	char conf[800];
	snprintf(conf, sizeof conf, "%s/zhitong.conf", dir);
	cr_expect_eq(mode_of(conf), 0600);
	run_free(&r);
	r = sh("rm -rf '%s'", dir);
	run_free(&r);
}

/* ==== read-only commands on a database the reader cannot write ================== */

/* A directory of its own, owned by the reader: when the tests run as root
 * the reader is 'nobody' (setpriv), since root can write anything. */
static bool as_root(void) { return geteuid() == 0; }

static struct run as_reader(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static struct run as_reader(const char *fmt, ...)
{
	char args[6000];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	return sh("%s'%s' %s", as_root() ? "setpriv --reuid=65534 --regid=65534 --clear-groups " : "",
	          ZT_TEST_ZHITONG, args);
}

static const char *read_commands[] = {
	"status",
	"verify",
	"claim show --hospital H51010101 --claim-no ZY2017-000123",
	"claim show --setl-id S000000000001 --format xml",
	"claim list",
	"claim list --format csv --person P0000001",
	"slip --setl-id S000000000001",
	"slip --hospital H51010101 --claim-no ZY2017-000123 --format html",
	"ledger balance",
	"ledger transfers --account fund:390100",
	"advance status",
	"advance list --format csv",
	"batch list",
	"reconcile exceptions --all --format csv",
	"reconcile report",
	"reconcile report --format csv",
};

static void expect_reads(const char *db, bool writes_refused)
{
	for (size_t i = 0; i < sizeof read_commands / sizeof *read_commands; i++) {
		struct run r = as_reader("--db '%s' %s", db, read_commands[i]);
		cr_expect_eq(r.code, 0, "%s: exit %d: %s", read_commands[i], r.code, r.err);
		cr_expect(r.out && r.out[0], "%s printed nothing", read_commands[i]);
		run_free(&r);
	}
	if (!writes_refused)
		return;
	/* a write is refused, cleanly */
	struct run r = as_reader("--db '%s' claim submit '%s'", db, MIXED);
	cr_expect(r.code == 2 || r.code == 3, "exit %d", r.code);
	expect_in(r.err, "zhitong: ");
	run_free(&r);
}

/* The world's database copied into a directory of the reader's. */
static const char *reader_copy(char dir[600])
{
	const char *src = world();
	snprintf(dir, 600, "%s/reader", zt_test_tmpdir());
	cr_assert_eq(mkdir(dir, 0700), 0);
	static char db[700];
	snprintf(db, sizeof db, "%s/zt.db", dir);
	struct run r = sh("cp -p '%s' '%s' && cp -p '%s-wal' '%s-wal' && cp -p '%s-shm' '%s-shm'", src,
	                  db, src, db, src, db);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	if (as_root()) {
		/* the test's own directory must let the reader through */
		cr_assert_eq(chmod(zt_test_tmpdir(), 0711), 0);
		r = sh("chown -R 65534:65534 '%s'", dir);
		cr_assert_eq(r.code, 0, "%s", r.err);
		run_free(&r);
	}
	return db;
}

Test(read_only, commands_read_a_database_file_the_reader_cannot_write, .timeout = 120)
{
	char dir[600];
	const char *db = reader_copy(dir);
	cr_assert_eq(chmod(db, 0400), 0);
	expect_reads(db, true);
}

Test(read_only, commands_read_in_a_directory_the_reader_cannot_write, .timeout = 120)
{
	char dir[600];
	const char *db = reader_copy(dir);
	/* with the -wal and -shm a writer keeps beside the database */
	cr_assert_eq(chmod(dir, 0500), 0);
	expect_reads(db, false);
	/* and without them (a copy of the database alone, an older zhitong's) */
	char p[800];
	cr_assert_eq(chmod(dir, 0700), 0);
	snprintf(p, sizeof p, "%s-wal", db);
	cr_assert_eq(unlink(p), 0);
	snprintf(p, sizeof p, "%s-shm", db);
	cr_assert_eq(unlink(p), 0);
	cr_assert_eq(chmod(dir, 0500), 0);
	expect_reads(db, true);
	cr_expect_eq(count_prefix(dir, "zt.db-"), 0, "the reader made no file");
	cr_assert_eq(chmod(dir, 0700), 0);
}

/* ==== answers that cannot be delivered ========================================== */

/* Runs zhitong with stdout on a pipe whose reader is already gone: the
 * first write fails with EPIPE (SIGPIPE is ignored by zhitong). */
static struct run closed_pipe(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static struct run closed_pipe(const char *fmt, ...)
{
	char args[6000], cmd[7000], errp[700];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	snprintf(errp, sizeof errp, "%s/.closed-pipe.err", zt_test_tmpdir());
	snprintf(cmd, sizeof cmd, "exec '%s' %s 2>'%s' </dev/null", ZT_TEST_ZHITONG, args, errp);
	int p[2];
	cr_assert_eq(pipe(p), 0);
	close(p[0]);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL); /* as a shell would start it */
		dup2(p[1], 1);
		close(p[1]);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	struct run r = {WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), strdup(""),
	                zt_test_slurp(errp)};
	return r;
}

/* The setl_ids of a <settlements> answer, in order. */
static void setl_ids(char *out, size_t cap, const char *xml)
{
	out[0] = '\0';
	for (const char *p = xml; (p = strstr(p, "setl_id=\"")); p += 9) {
		size_t n = strcspn(p + 9, "\"");
		strncat(out, p + 9, n < cap - strlen(out) - 2 ? n : 0);
		strcat(out, " ");
	}
}

Test(delivery, a_stored_claim_file_whose_answer_is_lost_says_so_and_a_retry_answers_the_same)
{
	const char *db = world();
	for (int k = 0; k < 2; k++) {
		struct run r = k ? closed_pipe("--db '%s' claim submit '%s'", db, MIXED)
		                 : sh("'%s' --db '%s' claim submit '%s' >/dev/full", ZT_TEST_ZHITONG, db,
		                      MIXED);
		cr_expect_eq(r.code, 4, "%s: exit %d: %s", k ? "closed pipe" : "full disk", r.code, r.err);
		expect_in(r.err, "zhitong: not-delivered: ");
		expect_in(r.err, "stored");
		expect_in(r.err, "submit the same file again");
		expect_in(r.err, k ? "Broken pipe" : "No space left on device");
		run_free(&r);
	}
	/* what was stored is there, once, and the retry gives its setl_ids */
	struct run r = zt("--db '%s' claim submit '%s'", db, MIXED);
	cr_expect_eq(r.code, 1, "some claims of the file are rejected: %s", r.err);
	char ids[400];
	setl_ids(ids, sizeof ids, r.out);
	cr_expect_str_eq(ids, "S000000000002 S000000000003 S000000000004 ");
	run_free(&r);
	char *out = ok("--db '%s' verify", db);
	expect_in(out, "OK: 0 violations");
	free(out);
}

Test(delivery, every_command_that_stores_says_what_it_stored)
{
	const char *db = world();
	/* a reversal */
	struct run r = sh("'%s' --db '%s' claim reverse --hospital H51010101 --claim-no ZY2017-000123 "
	                  "--reason test >/dev/full", ZT_TEST_ZHITONG, db);
	cr_expect_eq(r.code, 4, "%s", r.err);
	expect_in(r.err, "reversed by S000000000002");
	expect_in(r.err, "claim show --setl-id S000000000002");
	run_free(&r);
	char *out = ok("--db '%s' claim show --setl-id S000000000002", db);
	expect_in(out, "冲销 S000000000001");
	free(out);
	/* a batch's id */
	r = closed_pipe("--db '%s' batch create --fund 390100 --by alice", db);
	cr_expect_eq(r.code, 4, "%s", r.err);
	expect_in(r.err, "batch 'B390100-000001' was created");
	expect_in(r.err, "batch list");
	run_free(&r);
	out = ok("--db '%s' batch list", db);
	expect_in(out, "B390100-000001");
	free(out);
	r = sh("'%s' --db '%s' batch approve B390100-000001 --by bob >/dev/full", ZT_TEST_ZHITONG, db);
	cr_expect_eq(r.code, 4, "%s", r.err);
	expect_in(r.err, "approved");
	run_free(&r);
	/* a plan */
	r = sh("'%s' --db '%s' advance plan --by alice >/dev/full", ZT_TEST_ZHITONG, db);
	cr_expect_eq(r.code, 4, "%s", r.err);
	expect_in(r.err, "plan 'PLAN-");
	expect_in(r.err, "advance show");
	run_free(&r);
}

Test(delivery, a_command_that_stores_nothing_fails_plainly)
{
	const char *db = world();
	const char *cmds[] = {"claim list", "ledger balance", "verify", "status"};
	for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
		struct run r = sh("'%s' --db '%s' %s >/dev/full", ZT_TEST_ZHITONG, db, cmds[i]);
		cr_expect_eq(r.code, 3, "%s: %s", cmds[i], r.err);
		expect_in(r.err, "cannot write to stdout (No space left on device); nothing was stored");
		run_free(&r);
		r = closed_pipe("--db '%s' %s", db, cmds[i]);
		cr_expect_eq(r.code, 3, "%s: %s", cmds[i], r.err);
		expect_in(r.err, "Broken pipe");
		run_free(&r);
	}
	/* a quote stores nothing either */
	struct run r = sh("'%s' --db '%s' claim quote '%s' >/dev/full", ZT_TEST_ZHITONG, db, MIXED);
	cr_expect_eq(r.code, 3, "%s", r.err);
	expect_in(r.err, "nothing was stored");
	run_free(&r);
	/* everything as before */
	char *out = ok("--db '%s' claim list --format csv", db);
	cr_expect_eq(strstr(out, "S000000000002"), NULL);
	free(out);
}

/* ==== help =================================================================== */

Test(help, lists_every_command_and_subcommand)
{
	char *help = ok("help");
	expect_in(help, "4 stored, but the answer could not be written");
	/* the commands: the first word of each line of the list */
	const char *list = strstr(help, "Commands");
	cr_assert(list);
	list = strchr(list, '\n') + 1;
	char cmds[40][24];
	int ncmd = 0;
	for (const char *l = list; *l == ' ' && ncmd < 40; l = strchr(l, '\n') + 1) {
		char w[24] = "";
		if (sscanf(l, " %23[a-z]", w) == 1 && l[2] != ' ' &&
		    (ncmd == 0 || strcmp(cmds[ncmd - 1], w) != 0))
			snprintf(cmds[ncmd++], sizeof cmds[0], "%s", w);
	}
	cr_assert_geq(ncmd, 15, "%d commands found", ncmd);
	for (int i = 0; i < ncmd; i++) {
		if (strcmp(cmds[i], "help") == 0)
			continue;
		/* each command has its own help, both ways */
		struct run r = zt("%s --help", cmds[i]);
		cr_expect_eq(r.code, 0, "%s --help: %s", cmds[i], r.err);
		cr_expect(strncmp(r.out, "usage: zhitong", 14) == 0, "%s --help:\n%s", cmds[i], r.out);
		struct run h = zt("help %s", cmds[i]);
		cr_expect_eq(h.code, 0, "help %s", cmds[i]);
		cr_expect_str_eq(h.out, r.out);
		run_free(&h);
		/* each subcommand its usage names is in the list, and answers --help */
		char key[40];
		snprintf(key, sizeof key, " %.23s ", cmds[i]);
		for (const char *p = r.out; (p = strstr(p, key)); p += strlen(key)) {
			char sub[32] = "";
			if (sscanf(p + strlen(key), "%31[a-z]", sub) != 1 || !sub[0])
				continue;
			const char *after = p + strlen(key) + strlen(sub);
			if (*after != ' ' && *after != '\n')
				continue; /* "registry|policy|…": a value, not a subcommand */
			/* the line must be a usage line */
			const char *bol = p;
			while (bol > r.out && bol[-1] != '\n')
				bol--;
			if (!strstr(bol, "zhitong") || strstr(bol, "zhitong") > p)
				continue;
			char want[64];
			snprintf(want, sizeof want, "\n  %.23s %.31s ", cmds[i], sub);
			cr_expect(strstr(help, want), "'zhitong help' lacks '%s %s'", cmds[i], sub);
			struct run s = zt("%s %s --help", cmds[i], sub);
			cr_expect_eq(s.code, 0, "%s %s --help", cmds[i], sub);
			run_free(&s);
		}
		run_free(&r);
	}
	/* the other way round: every line of the list works */
	int lines = 0;
	for (const char *l = list; *l == ' '; l = strchr(l, '\n') + 1) {
		if (l[2] == ' ')
			continue; /* a description's second line */
		/* the name column ends at the first two spaces */
		char name[48] = "", a[24] = "", b[24] = "";
		const char *end = strstr(l + 2, "  ");
		cr_assert(end);
		snprintf(name, sizeof name, "%.*s", (int)(end - l - 2), l + 2);
		sscanf(name, "%23s %23s", a, b);
		if (strcmp(a, "help") == 0)
			continue;
		lines++;
		struct run s = b[0] ? zt("%s %s --help", a, b) : zt("%s --help", a);
		cr_expect_eq(s.code, 0, "%s --help", name);
		cr_expect(strncmp(s.out, "usage: zhitong", 14) == 0, "%s --help:\n%s", name, s.out);
		if (b[0]) {
			/* and the command's own help names it */
			char want[64];
			snprintf(want, sizeof want, " %s %s", a, b);
			cr_expect(strstr(s.out, want), "'zhitong %s --help' lacks '%s'", a, want);
		}
		run_free(&s);
	}
	cr_expect_geq(lines, 39, "%d lines", lines);
	char *claim_help = ok("claim --help");
	expect_in(claim_help, "claim list");
	expect_in(claim_help, "--setl-id");
	free(claim_help);
	free(help);
}
