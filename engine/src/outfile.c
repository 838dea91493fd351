/* zhitong — output files that never destroy data (see outfile.h). */
#define _GNU_SOURCE
#include "zhitong/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zhitong/alloc.h"
#include "zhitong/error.h"

/* Comparing with an existing file reads both in chunks of this size. */
#define COMPARE_CHUNK_BYTES (64u * 1024u)
/* The temporary name keeps at most this much of the final name, so that
 * ".NAME.XXXXXX.tmp" stays within NAME_MAX (255) however long NAME is. */
#define TMP_NAME_KEEP_BYTES 200

enum state { WRITING, FINISHED, PUBLISHED, WITHDRAWN };

struct zt_outfile {
	char *path;
	char *dir;
	char *tmp; /* "" once renamed or removed */
	int fd;
	FILE *stream;
	unsigned mode;
	int flags;
	int err_no; /* first error of zt_outfile_write */
	enum state state;
	enum zt_outfile_result result;
	struct stat made; /* the file this output published, as it was then:
	                   * zt_outfile_withdraw removes only that one */
	char *backup; /* ZT_OUT_WITHDRAWABLE: the file a forced publish replaced,
	               * kept under a hidden name until free ("" when none) */
};

/* ZT_EINVAL for anything at `path` that is not a regular file. */
static int refuse_kind(const char *path, mode_t m)
{
	if (S_ISLNK(m))
		return zt_error_set(ZT_EINVAL, "'%s' is a symbolic link: an output is never written "
		                    "through a link or over one (name the file itself)", path);
	if (S_ISDIR(m))
		return zt_error_set(ZT_EINVAL, "'%s' is a directory: an output needs a file name",
		                    path);
	return zt_error_set(ZT_EINVAL, "'%s' is not a regular file: an output is only ever "
	                    "written to a regular file", path);
}

/* Whether a regular file is at `path`; refuses anything else there. */
static int look_at_target(const char *path, bool *exists)
{
	struct stat st;
	*exists = false;
	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		return zt_error_set(ZT_EIO, "cannot look at '%s': %s", path, strerror(errno));
	}
	if (!S_ISREG(st.st_mode))
		return refuse_kind(path, st.st_mode);
	*exists = true;
	return 0;
}

int zt_outfile_open(struct zt_outfile **out, const char *path, unsigned mode, int flags)
{
	*out = NULL;
	if (!path || !path[0])
		return zt_error_set(ZT_EINVAL, "no output file named");
	size_t len = strlen(path);
	if (path[len - 1] == '/')
		return zt_error_set(ZT_EINVAL, "'%s' is a directory: an output needs a file name", path);
	if (len >= PATH_MAX)
		return zt_error_set(ZT_EINVAL, "output path '%.64s…' is too long", path);
	bool exists;
	int rc = look_at_target(path, &exists);
	if (rc)
		return rc;
	struct zt_outfile *f = zt_calloc(1, sizeof *f);
	if (!f)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	f->fd = -1;
	f->mode = mode;
	f->flags = flags;
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t dir_len = slash ? (size_t)(slash - path) : 0;
	f->path = zt_strdup(path);
	f->dir = slash ? (dir_len ? zt_strndup(path, dir_len) : zt_strdup("/")) : zt_strdup(".");
	size_t base_keep = strnlen(base, TMP_NAME_KEEP_BYTES);
	size_t tmp_bytes = strlen(f->dir ? f->dir : "") + base_keep + sizeof "/..XXXXXX.tmp";
	f->tmp = zt_malloc(tmp_bytes);
	if (f->tmp)
		f->tmp[0] = '\0'; /* freed below before it is named: nothing to unlink */
	if (!f->path || !f->dir || !f->tmp) {
		zt_outfile_free(f);
		return zt_error_set(ZT_ENOMEM, "out of memory");
	}
	snprintf(f->tmp, tmp_bytes, "%s/.%.*s.XXXXXX.tmp", f->dir, (int)base_keep, base);
	struct stat dst;
	int st_rc = stat(f->dir, &dst);
	if (st_rc != 0 || !S_ISDIR(dst.st_mode)) {
		rc = st_rc != 0 && errno == ENOENT
		         ? zt_error_set(ZT_EIO, "cannot write '%s': directory '%s' does not exist",
		                        path, f->dir)
		         : zt_error_set(ZT_EIO, "cannot write '%s': '%s' is not a usable directory%s%s",
		                        path, f->dir, st_rc ? ": " : "", st_rc ? strerror(errno) : "");
		f->tmp[0] = '\0';
		zt_outfile_free(f);
		return rc;
	}
	f->fd = mkostemps(f->tmp, (int)(sizeof ".tmp" - 1), O_CLOEXEC);
	if (f->fd < 0) {
		rc = zt_error_set(ZT_EIO, "cannot write '%s': cannot create a file in '%s': %s", path,
		                  f->dir, strerror(errno));
		f->tmp[0] = '\0';
		zt_outfile_free(f);
		return rc;
	}
	*out = f;
	return 0;
}

int zt_outfile_fd(const struct zt_outfile *f) { return f->fd; }
const char *zt_outfile_path(const struct zt_outfile *f) { return f->path; }
const char *zt_outfile_tmp_path(const struct zt_outfile *f) { return f->tmp; }

bool zt_outfile_target_exists(const struct zt_outfile *f)
{
	struct stat st;
	return lstat(f->path, &st) == 0;
}

FILE *zt_outfile_stream(struct zt_outfile *f)
{
	if (f->stream)
		return f->stream;
	if (f->state != WRITING || f->fd < 0) {
		zt_error_set(ZT_EINTERNAL, "output '%s' is no longer open for writing", f->path);
		return NULL;
	}
	/* A duplicate descriptor: the stream's fclose must not close the one
	 * finish still syncs and compares through. */
	int d = fcntl(f->fd, F_DUPFD_CLOEXEC, 0);
	if (d < 0 || !(f->stream = fdopen(d, "w"))) {
		zt_error_set(ZT_EIO, "cannot write '%s': %s", f->path, strerror(errno));
		if (d >= 0)
			close(d);
		return NULL;
	}
	return f->stream;
}

int zt_outfile_write(struct zt_outfile *f, const void *data, size_t len)
{
	if (f->state != WRITING || f->fd < 0)
		return zt_error_set(ZT_EINTERNAL, "output '%s' is no longer open for writing", f->path);
	const char *p = data;
	while (len && !f->err_no) {
		ssize_t w = write(f->fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			f->err_no = w < 0 ? errno : EIO;
			break;
		}
		p += w;
		len -= (size_t)w;
	}
	if (f->err_no)
		return zt_error_set(ZT_EIO, "cannot write '%s': %s", f->path, strerror(f->err_no));
	return 0;
}

static int read_full(int fd, off_t off, unsigned char *buf, size_t cap, size_t *got)
{
	size_t n = 0;
	while (n < cap) {
		ssize_t r = off >= 0 ? pread(fd, buf + n, cap - n, off + (off_t)n)
		                     : read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*got = n;
	return 0;
}

/* 1 if the file at f->path holds exactly the temporary file's bytes, 0 if
 * not, or a negative ZT_E*. The path is opened without following a link. */
static int same_as_target(struct zt_outfile *f)
{
	unsigned char *buf = zt_malloc(2 * COMPARE_CHUNK_BYTES);
	int rc = 0, fd = -1;
	if (!buf)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	fd = open(f->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		rc = errno == ELOOP ? refuse_kind(f->path, S_IFLNK)
		                    : zt_error_set(ZT_EIO, "cannot read '%s' to compare it: %s", f->path,
		                                   strerror(errno));
		goto done;
	}
	struct stat a, b;
	if (fstat(fd, &a) != 0 || fstat(f->fd, &b) != 0) {
		rc = zt_error_set(ZT_EIO, "cannot look at '%s': %s", f->path, strerror(errno));
		goto done;
	}
	if (!S_ISREG(a.st_mode)) {
		rc = refuse_kind(f->path, a.st_mode);
		goto done;
	}
	if (a.st_size != b.st_size)
		goto done; /* differs */
	for (off_t off = 0;;) {
		size_t na, nb;
		if (read_full(fd, -1, buf, COMPARE_CHUNK_BYTES, &na) != 0 ||
		    read_full(f->fd, off, buf + COMPARE_CHUNK_BYTES, COMPARE_CHUNK_BYTES, &nb) != 0) {
			rc = zt_error_set(ZT_EIO, "cannot compare '%s' with what would be written: %s",
			                  f->path, strerror(errno));
			goto done;
		}
		if (na != nb || memcmp(buf, buf + COMPARE_CHUNK_BYTES, na) != 0)
			goto done;
		if (na == 0) {
			rc = 1;
			goto done;
		}
		off += (off_t)na;
	}
done:
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

int zt_outfile_finish(struct zt_outfile *f, enum zt_outfile_result *result)
{
	if (f->state != WRITING || f->fd < 0)
		return zt_error_set(ZT_EINTERNAL, "output '%s' is not being written", f->path);
	int err = f->err_no;
	if (f->stream) {
		errno = 0;
		if ((fflush(f->stream) != 0 || ferror(f->stream)) && !err)
			err = errno ? errno : EIO;
		if (fclose(f->stream) != 0 && !err)
			err = errno ? errno : EIO;
		f->stream = NULL;
	}
	if (err)
		return zt_error_set(ZT_EIO, "cannot write '%s': %s", f->path, strerror(err));
	if (fchmod(f->fd, (mode_t)f->mode) != 0 || fsync(f->fd) != 0)
		return zt_error_set(ZT_EIO, "cannot write '%s': %s", f->path, strerror(errno));
	bool exists;
	int rc = look_at_target(f->path, &exists);
	if (rc)
		return rc;
	f->result = ZT_OUT_NEW;
	if (exists) {
		int same = same_as_target(f);
		if (same < 0)
			return same;
		if (same)
			f->result = ZT_OUT_SAME;
		else if (f->flags & ZT_OUT_FORCE)
			f->result = ZT_OUT_REPLACED;
		else
			return zt_error_set(ZT_ECONFLICT, "'%s' exists and holds something else: it is "
			                    "left as it is and nothing was written (--force replaces it)",
			                    f->path);
	}
	int cr = close(f->fd);
	f->fd = -1;
	if (cr != 0)
		return zt_error_set(ZT_EIO, "cannot write '%s': %s", f->path, strerror(errno));
	f->state = FINISHED;
	if (result)
		*result = f->result;
	return 0;
}

static int sync_dir(const char *dir, const char *path)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return zt_error_set(ZT_EIO, "'%s' was written but its directory '%s' cannot be "
		                    "opened to sync it: %s", path, dir, strerror(errno));
	int rc = 0;
	if (fsync(fd) != 0)
		rc = zt_error_set(ZT_EIO, "'%s' was written but its directory '%s' cannot be "
		                  "synced: %s", path, dir, strerror(errno));
	close(fd);
	return rc;
}

/* Renames the temporary file to a path where nothing is: never replaces a
 * file that appeared since finish. */
static int rename_new(struct zt_outfile *f)
{
	if (renameat2(AT_FDCWD, f->tmp, AT_FDCWD, f->path, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP && errno != EEXIST)
		return zt_error_set(ZT_EIO, "cannot write '%s': %s", f->path, strerror(errno));
	/* A file system without RENAME_NOREPLACE: link(2) refuses an existing
	 * name just the same. */
	if (errno != EEXIST && link(f->tmp, f->path) == 0) {
		unlink(f->tmp);
		return 0;
	}
	if (errno == EEXIST)
		return zt_error_set(ZT_ECONFLICT, "'%s' appeared while it was being written: it is "
		                    "left as it is and nothing was written", f->path);
	return zt_error_set(ZT_EIO, "cannot write '%s': %s", f->path, strerror(errno));
}

/* ZT_OUT_WITHDRAWABLE: the file about to be replaced gets a second,
 * hidden name (".NAME.XXXXXX.old", beside the temporary file) so that
 * zt_outfile_withdraw can put it back; free removes that name. */
static int keep_replaced(struct zt_outfile *f)
{
	size_t n = strlen(f->tmp);
	f->backup = zt_strdup(f->tmp);
	if (!f->backup)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	memcpy(f->backup + n - (sizeof ".tmp" - 1), ".old", sizeof ".old" - 1);
	if (link(f->path, f->backup) != 0) {
		int e = errno;
		f->backup[0] = '\0';
		return zt_error_set(ZT_EIO, "cannot keep '%s' aside while it is replaced: %s", f->path,
		                    strerror(e));
	}
	return 0;
}

int zt_outfile_publish(struct zt_outfile *f)
{
	if (f->state != FINISHED)
		return zt_error_set(ZT_EINTERNAL, "output '%s' is not finished", f->path);
	int rc = 0;
	bool exists;
	switch (f->result) {
	case ZT_OUT_SAME:
		unlink(f->tmp);
		f->tmp[0] = '\0';
		f->state = PUBLISHED;
		return 0;
	case ZT_OUT_NEW:
		rc = rename_new(f);
		break;
	case ZT_OUT_REPLACED:
		/* Still a regular file (or gone): never replace a link or a
		 * directory put there since. */
		if ((rc = look_at_target(f->path, &exists)))
			break;
		if (exists && (f->flags & ZT_OUT_WITHDRAWABLE) && (rc = keep_replaced(f)))
			break;
		if (rename(f->tmp, f->path) != 0)
			rc = zt_error_set(ZT_EIO, "cannot write '%s': %s", f->path, strerror(errno));
		break;
	}
	if (rc)
		return rc;
	f->tmp[0] = '\0';
	f->state = PUBLISHED;
	/* What was published, to know it again (inode numbers are reused: the
	 * change time of the rename too). */
	if (lstat(f->path, &f->made) != 0)
		memset(&f->made, 0, sizeof f->made);
	return sync_dir(f->dir, f->path);
}

int zt_outfile_commit(struct zt_outfile *f, enum zt_outfile_result *result)
{
	int rc = zt_outfile_finish(f, result);
	return rc ? rc : zt_outfile_publish(f);
}

int zt_outfile_withdraw(struct zt_outfile *f)
{
	if (f->state != PUBLISHED)
		return 0; /* nothing of it is visible; free removes the temporary file */
	f->state = WITHDRAWN;
	if (f->result == ZT_OUT_SAME)
		return 0; /* the file was there before, with these bytes: it stays */
	struct stat st;
	const struct stat *m = &f->made;
	bool ours = m->st_ino && lstat(f->path, &st) == 0 && S_ISREG(st.st_mode) &&
	            st.st_dev == m->st_dev && st.st_ino == m->st_ino && st.st_size == m->st_size &&
	            st.st_ctim.tv_sec == m->st_ctim.tv_sec && st.st_ctim.tv_nsec == m->st_ctim.tv_nsec;
	if (!ours)
		return 0; /* replaced or removed since by someone else: not ours to touch */
	if (f->result == ZT_OUT_REPLACED) {
		if (!f->backup || !f->backup[0])
			return zt_error_set(ZT_EINTERNAL, "'%s' replaced a file that was not kept "
			                    "(ZT_OUT_WITHDRAWABLE): it cannot be withdrawn", f->path);
		if (rename(f->backup, f->path) != 0)
			return zt_error_set(ZT_EIO, "cannot put back the file '%s' held before: %s",
			                    f->path, strerror(errno));
		f->backup[0] = '\0';
	} else if (unlink(f->path) != 0) {
		return zt_error_set(ZT_EIO, "cannot remove '%s': %s", f->path, strerror(errno));
	}
	return sync_dir(f->dir, f->path);
}

void zt_outfile_free(struct zt_outfile *f)
{
	if (!f)
		return;
	if (f->backup && f->backup[0])
		unlink(f->backup);
	free(f->backup);
	if (f->stream)
		fclose(f->stream);
	if (f->fd >= 0)
		close(f->fd);
	if (f->tmp && f->tmp[0])
		unlink(f->tmp);
	free(f->tmp);
	free(f->dir);
	free(f->path);
	free(f);
}

int zt_outfile_write_all(const char *path, const void *data, size_t len, unsigned mode,
                         int flags, enum zt_outfile_result *result)
{
	struct zt_outfile *f;
	int rc = zt_outfile_open(&f, path, mode, flags);
	if (rc)
		return rc;
	if ((rc = zt_outfile_write(f, data, len)) == 0)
		rc = zt_outfile_commit(f, result);
	zt_outfile_free(f);
	return rc;
}
