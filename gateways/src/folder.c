/* zhitong — the drop-folder payer gateway (see gateway.h).
 *
 * A payer's collector takes OUTBOX/BATCH.xml as complete the moment it
 * sees it, so a file only ever gets that name by rename(2) after its bytes
 * are on disk (the engine's safe output, outfile.h); a crash leaves a
 * hidden .BATCH.xml.XXXXXX.tmp, which the collector ignores (the .part
 * files of older versions are removed by the next send). The signature is
 * renamed into place before the file, so whoever sees BATCH.xml finds its
 * signature next to it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gateway_int.h"
#include "zhitong/error.h"
#include "zhitong/limits.h"
#include "zhitong/outfile.h"
#include "zhitong/xml.h"

#define COPY_CHUNK_BYTES (64u * 1024u)

static int check_dir(struct zt_gateway_result *out, const char *what, const char *dir)
{
	struct stat st;
	if (!dir || !dir[0])
		return zt_gw_fail(out, ZT_GW_FAIL_CONFIG, ZT_EINVAL, "folder gateway: no %s configured",
		                  what);
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return zt_gw_fail(out, ZT_GW_FAIL_CONFIG, ZT_EINVAL,
		                  "folder gateway: %s '%s' is not a directory", what, dir);
	return 0;
}

static int full_read(int fd, char *buf, size_t cap, size_t *got)
{
	size_t n = 0;
	while (n < cap) {
		ssize_t r = read(fd, buf + n, cap - n);
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

/* 1 if the two files hold the same bytes, 0 if not, < 0 on error. */
static int same_bytes(struct zt_gateway_result *out, const char *a_path, const char *b_path)
{
	int a = -1, b = -1, rc = 0;
	char *buf = malloc(2 * COPY_CHUNK_BYTES);
	if (!buf)
		return zt_gw_fail(out, ZT_GW_FAIL_LOCAL, ZT_ENOMEM, "out of memory");
	a = open(a_path, O_RDONLY | O_CLOEXEC);
	b = open(b_path, O_RDONLY | O_CLOEXEC);
	if (a < 0 || b < 0) {
		rc = zt_gw_fail(out, ZT_GW_FAIL_LOCAL, ZT_EIO, "cannot open '%s': %s",
		                a < 0 ? a_path : b_path, strerror(errno));
		goto done;
	}
	struct stat sa, sb;
	if (fstat(a, &sa) != 0 || fstat(b, &sb) != 0) {
		rc = zt_gw_fail(out, ZT_GW_FAIL_LOCAL, ZT_EIO, "cannot stat '%s': %s", b_path,
		                strerror(errno));
		goto done;
	}
	if (sa.st_size != sb.st_size)
		goto done; /* rc 0: different */
	for (;;) {
		size_t na, nb;
		if (full_read(a, buf, COPY_CHUNK_BYTES, &na) || full_read(b, buf + COPY_CHUNK_BYTES,
		                                                          COPY_CHUNK_BYTES, &nb)) {
			rc = zt_gw_fail(out, ZT_GW_FAIL_LOCAL, ZT_EIO, "cannot read '%s' or '%s': %s",
			                a_path, b_path, strerror(errno));
			goto done;
		}
		if (na != nb || memcmp(buf, buf + COPY_CHUNK_BYTES, na) != 0)
			goto done;
		if (na == 0) {
			rc = 1;
			goto done;
		}
	}
done:
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
	free(buf);
	return rc;
}

/* Copies src to `dest` through the engine's safe output (outfile.h): a
 * hidden temporary file beside it (".NAME.XXXXXX.tmp", never a name the
 * collector takes), synced, then renamed. The caller has decided that
 * `dest` may be replaced (a signature of the same bytes); a symbolic link
 * or a directory there is still refused. */
static int drop(struct zt_gateway_result *out, const char *src, const char *dest)
{
	int in = -1, rc = 0;
	struct zt_outfile *f = NULL;
	char *buf = malloc(COPY_CHUNK_BYTES);
	if (!buf)
		return zt_gw_fail(out, ZT_GW_FAIL_LOCAL, ZT_ENOMEM, "out of memory");
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		rc = zt_gw_fail(out, ZT_GW_FAIL_LOCAL, ZT_EIO, "cannot open '%s': %s", src,
		                strerror(errno));
		goto done;
	}
	if ((rc = zt_outfile_open(&f, dest, 0644, ZT_OUT_FORCE)))
		goto failed;
	for (;;) {
		size_t n;
		if (full_read(in, buf, COPY_CHUNK_BYTES, &n)) {
			rc = zt_gw_fail(out, ZT_GW_FAIL_LOCAL, ZT_EIO, "cannot read '%s': %s", src,
			                strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		if ((rc = zt_outfile_write(f, buf, n)))
			goto failed;
	}
	if ((rc = zt_outfile_commit(f, NULL)))
		goto failed;
	goto done;
failed: {
	char why[ZT_MESSAGE_BYTES_MAX];
	snprintf(why, sizeof why, "%s", zt_error_last());
	rc = zt_gw_fail(out, ZT_GW_FAIL_LOCAL, rc, "%s", why);
}
done:
	zt_outfile_free(f);
	if (in >= 0)
		close(in);
	free(buf);
	return rc;
}

static int sync_dir(struct zt_gateway_result *out, const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return zt_gw_fail(out, ZT_GW_FAIL_LOCAL, ZT_EIO, "cannot open '%s': %s", dir,
		                  strerror(errno));
	int rc = 0;
	if (fsync(fd) != 0)
		rc = zt_gw_fail(out, ZT_GW_FAIL_LOCAL, ZT_EIO, "cannot sync '%s': %s", dir,
		                strerror(errno));
	close(fd);
	return rc;
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

int zt_gw_folder_send(const struct zt_gateway_config *cfg, const char *batch_id,
                      const char *file_path, const char *sig_path, struct zt_gateway_result *out)
{
	char xml[PATH_MAX], sig[PATH_MAX], xml_part[PATH_MAX], sig_part[PATH_MAX];
	size_t size;
	int rc, same;
	const char *dir = cfg->outbox_dir;
	if ((rc = check_dir(out, "outbox_dir", dir)))
		return rc;
	if ((rc = zt_gw_check_input(out, &size, "batch file", file_path)) ||
	    (rc = zt_gw_check_input(out, &size, "signature", sig_path)))
		return rc;
	/* batch ids are at most 64 characters: only the directory can be long */
	if ((size_t)snprintf(sig_part, sizeof sig_part, "%s/%s.xml.sig.part", dir, batch_id) >=
	    sizeof sig_part)
		return zt_gw_fail(out, ZT_GW_FAIL_CONFIG, ZT_EINVAL, "outbox path '%s' is too long",
		                  dir);
	snprintf(xml, sizeof xml, "%s/%s.xml", dir, batch_id);
	snprintf(sig, sizeof sig, "%s/%s.xml.sig", dir, batch_id);
	snprintf(xml_part, sizeof xml_part, "%s/%s.xml.part", dir, batch_id);
	out->attempts = 1;

	/* The batch id is the idempotency key: the same bytes again are a
	 * no-op, other bytes under a name the payer may already have taken
	 * are refused, never silently swapped. */
	bool xml_there = false, sig_there = false;
	if (exists(xml)) {
		if ((same = same_bytes(out, file_path, xml)) < 0)
			return same;
		if (!same)
			return zt_gw_fail(out, ZT_GW_FAIL_LOCAL, ZT_ECONFLICT,
			                  "batch '%s' is already in the outbox with different content",
			                  batch_id);
		xml_there = true;
	}
	if (exists(sig)) {
		if ((same = same_bytes(out, sig_path, sig)) < 0)
			return same;
		/* a different signature of the same bytes (SM2 signatures are
		 * randomised) replaces the old one atomically: both are valid */
		sig_there = same;
	}
	if (!sig_there && (rc = drop(out, sig_path, sig)))
		return rc;
	if (!xml_there && (rc = drop(out, file_path, xml)))
		return rc;
	/* leftovers of a crash during a send by an older zhitong, which wrote
	 * NAME.part files */
	if (unlink(sig_part) != 0 && errno != ENOENT)
		return zt_gw_fail(out, ZT_GW_FAIL_LOCAL, ZT_EIO, "cannot remove '%s': %s", sig_part,
		                  strerror(errno));
	if (unlink(xml_part) != 0 && errno != ENOENT)
		return zt_gw_fail(out, ZT_GW_FAIL_LOCAL, ZT_EIO, "cannot remove '%s': %s", xml_part,
		                  strerror(errno));
	if ((rc = sync_dir(out, dir)))
		return rc;
	out->status = ZT_GW_PENDING;
	snprintf(out->message, sizeof out->message, "batch '%s' %s the outbox; waiting for the ack",
	         batch_id, xml_there && sig_there ? "was already in" : "dropped into");
	return 0;
}

int zt_gw_folder_poll(const struct zt_gateway_config *cfg, const char *batch_id,
                      struct zt_gateway_result *out)
{
	char ack[PATH_MAX], name[128];
	char *text = NULL;
	size_t len = 0;
	int rc;
	if ((rc = check_dir(out, "inbox_dir", cfg->inbox_dir)))
		return rc;
	if ((size_t)snprintf(ack, sizeof ack, "%s/%s.ack.xml", cfg->inbox_dir, batch_id) >= sizeof ack)
		return zt_gw_fail(out, ZT_GW_FAIL_CONFIG, ZT_EINVAL, "inbox path '%s' is too long",
		                  cfg->inbox_dir);
	if (!exists(ack)) {
		out->status = ZT_GW_PENDING;
		snprintf(out->message, sizeof out->message, "batch '%s': no ack from the payer yet",
		         batch_id);
		return 0;
	}
	if ((rc = zt_read_file(&text, &len, ack, ZT_PAYER_ACK_BYTES_MAX))) {
		out->failure = rc == ZT_EMALFORMED ? ZT_GW_FAIL_ANSWER : ZT_GW_FAIL_LOCAL;
		zt_gw_copy_utf8(out->message, sizeof out->message, zt_error_last());
		return rc;
	}
	out->attempts = 1;
	snprintf(name, sizeof name, "%s.ack.xml", batch_id);
	rc = zt_gateway_parse_ack(out, text, len, name, batch_id);
	free(text);
	return rc;
}
