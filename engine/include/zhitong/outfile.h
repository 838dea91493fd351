/* zhitong — output files that never destroy data.
 *
 * Every file zhitong writes for people or for other systems — payer files
 * and their signatures, pain.001 payment files, reports, CSV exports,
 * slips, generated worlds — goes through this module, and nothing else
 * opens an output file:
 *
 *   - The bytes go to a temporary file in the target's own directory
 *     (".NAME.XXXXXX.tmp": hidden, mode 0600 while it is written), which is
 *     fsync'd and given its final mode before anything else happens.
 *   - An existing NAME is never silently replaced. If it holds exactly the
 *     bytes that would be written, the output succeeds without touching it
 *     (ZT_OUT_SAME: a retried export succeeds). Otherwise it is refused,
 *     ZT_ECONFLICT, nothing written — unless ZT_OUT_FORCE is given.
 *   - NAME is never followed if it is a symbolic link (O_NOFOLLOW on the
 *     final component) and never replaced when it is one: a symbolic link
 *     (dangling or not), a directory, a device or a FIFO at NAME is refused,
 *     ZT_EINVAL, even with ZT_OUT_FORCE. An output names the file itself;
 *     whoever wants the link's target writes to the target. Links in the
 *     directory part of the path are the directory's business and are
 *     followed as usual.
 *   - Publishing renames the temporary file to NAME — for a new file without
 *     replacing one that appeared in the meantime (RENAME_NOREPLACE) — and
 *     fsyncs the directory, so a reader sees no file or the whole file,
 *     never a part of one, and a crash leaves at most a hidden .tmp file.
 *   - On any failure, or when the handle is freed before it is published,
 *     the temporary file is removed: a failed output leaves nothing.
 *
 * Two outputs that belong together (a payer file and its signature) are
 * finished both (zt_outfile_finish: written, synced, checked against what
 * is there) before either is published, so a refusal or a failure of one
 * leaves neither; the caller then publishes them in the order its readers
 * need (the signature first: whoever sees the file finds its signature). */
#ifndef ZHITONG_OUTFILE_H
#define ZHITONG_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct zt_outfile;

enum zt_outfile_flags {
	ZT_OUT_FORCE = 1, /* replace an existing regular file that differs */
	/* keep a file that a forced publish replaces (under a hidden second
	 * name, until free), so that zt_outfile_withdraw can put it back */
	ZT_OUT_WITHDRAWABLE = 2,
};

/* What publishing did (or will do, after zt_outfile_finish). */
enum zt_outfile_result {
	ZT_OUT_NEW,      /* NAME did not exist: created */
	ZT_OUT_SAME,     /* NAME held the same bytes: left as it was */
	ZT_OUT_REPLACED, /* NAME differed and ZT_OUT_FORCE replaced it */
};

/* Starts an output to `path`, with final permissions `mode` (e.g. 0600 for
 * anything holding personal data or payment instructions, 0644 for a file
 * a payer's transfer job reads). Refuses at once a path whose last
 * component is a symbolic link, a directory or another non-regular file
 * (ZT_EINVAL), and a missing or unwritable directory (ZT_EIO). */
int zt_outfile_open(struct zt_outfile **out, const char *path, unsigned mode, int flags);
/* The descriptor of the temporary file, for writers that write(2)
 * themselves; their write errors are theirs to report. */
int zt_outfile_fd(const struct zt_outfile *f);
/* A stdio stream on the temporary file (made on first call, owned by the
 * handle; do not fclose it). NULL with an error set if it cannot be made.
 * A write error on it is found by zt_outfile_finish. */
FILE *zt_outfile_stream(struct zt_outfile *f);
/* Appends bytes (a short write is an error). */
int zt_outfile_write(struct zt_outfile *f, const void *data, size_t len);
/* The final path, and the temporary file's (valid until publish/free). */
const char *zt_outfile_path(const struct zt_outfile *f);
const char *zt_outfile_tmp_path(const struct zt_outfile *f);
/* Whether something is at `path` now (lstat), for callers that must know
 * before they write (e.g. whether a signature already there verifies). */
bool zt_outfile_target_exists(const struct zt_outfile *f);

/* Ends the writing: flushes and syncs the temporary file, sets its mode,
 * compares it with what is at the path and decides what publishing will do
 * (*result may be NULL). ZT_ECONFLICT if the path holds other bytes and
 * ZT_OUT_FORCE was not given; ZT_EIO on a write or sync error. Nothing is
 * visible at the path yet. */
int zt_outfile_finish(struct zt_outfile *f, enum zt_outfile_result *result);
/* Makes a finished output visible at its path (see the header comment).
 * ZT_ECONFLICT if a file appeared at the path since finish (it is left as
 * it is). After a successful publish the handle only remains to be freed. */
int zt_outfile_publish(struct zt_outfile *f);
/* Undoes a publish, for a caller whose operation failed after it: removes
 * the file this output created (only that one: a file at the path that is
 * not the one published, e.g. put there since, stays), leaves a file that
 * was already there with the same bytes (ZT_OUT_SAME), and puts back the
 * file a forced publish replaced (ZT_OUT_WITHDRAWABLE needed; ZT_EINTERNAL
 * without it). A no-op for an output that is not published. */
int zt_outfile_withdraw(struct zt_outfile *f);
/* finish, then publish. */
int zt_outfile_commit(struct zt_outfile *f, enum zt_outfile_result *result);
/* Releases the handle; an unpublished temporary file is removed. NULL is a
 * no-op. */
void zt_outfile_free(struct zt_outfile *f);

/* The whole output at once: open, write `len` bytes, commit, free. */
int zt_outfile_write_all(const char *path, const void *data, size_t len, unsigned mode,
                         int flags, enum zt_outfile_result *result);

#endif
