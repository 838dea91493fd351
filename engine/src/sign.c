/* zhitong — detached Ed25519 / SM2 signatures (see sign.h). */
#define _GNU_SOURCE
#include "zhitong/sign.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "zhitong/alloc.h"
#include "zhitong/chunks.h"
#include "zhitong/error.h"
#include "zhitong/limits.h"
#include "zhitong/outfile.h"

/* Read size for streaming SM2 digests. */
#define CHUNK_BYTES (64u * 1024u)

/* One line from the OpenSSL error queue (reason only: never data), and the
 * queue emptied so that the next failure does not report a stale reason. */
static const char *ossl_reason(void)
{
	static _Thread_local char buf[160];
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;
	snprintf(buf, sizeof buf, "%s", r ? r : "unknown reason");
	ERR_clear_error();
	return buf;
}

static int open_errno(const char *what, const char *path, int err)
{
	if (err == ENOENT)
		return zt_error_set(ZT_ENOTFOUND, "%s '%s' does not exist", what, path);
	return zt_error_set(ZT_EIO, "cannot open %s '%s': %s", what, path, strerror(err));
}

/* Opens a regular file for reading; its size in *size. */
static int open_regular(int *fd_out, size_t *size, const char *what, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return open_errno(what, path, errno);
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return zt_error_set(ZT_EIO, "%s '%s' is not a regular file", what, path);
	}
	*fd_out = fd;
	*size = (size_t)st.st_size;
	return 0;
}

/* Reads a small file whole (key, certificate, signature). */
static int read_small(unsigned char **out, size_t *len_out, const char *what, const char *path,
                      size_t max_bytes)
{
	int fd = -1, rc = 0;
	size_t size = 0, len = 0;
	unsigned char *buf = NULL;
	if ((rc = open_regular(&fd, &size, what, path)))
		goto done;
	if (size > max_bytes) {
		rc = zt_error_set(ZT_EMALFORMED, "%s '%s' is larger than %zu bytes", what, path,
		                  max_bytes);
		goto done;
	}
	buf = zt_malloc(size + 1);
	if (!buf) {
		rc = zt_error_set(ZT_ENOMEM, "out of memory reading %s '%s'", what, path);
		goto done;
	}
	while (len < size) {
		ssize_t r = read(fd, buf + len, size - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = zt_error_set(ZT_EIO, "cannot read %s '%s': %s", what, path, strerror(errno));
			goto done;
		}
		if (r == 0)
			break; /* shrank under us: use what is there */
		len += (size_t)r;
	}
	*out = buf;
	*len_out = len;
	buf = NULL;
done:
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* ---- keys ---------------------------------------------------------- */

/* Never prompt on a terminal for a passphrase: note that one was wanted. */
static int refuse_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	*(bool *)u = true;
	return -1;
}

static int key_type_of(enum zt_key_type *out, EVP_PKEY *pkey, const char *path)
{
	if (EVP_PKEY_is_a(pkey, "ED25519")) {
		*out = ZT_KEY_ED25519;
		return 0;
	}
	/* An EC key on the SM2 curve that did not load as SM2 would sign
	 * ECDSA-with-SM3, which no SM2 verifier accepts: only the SM2 type
	 * will do. */
	if (EVP_PKEY_is_a(pkey, "SM2")) {
		*out = ZT_KEY_SM2;
		return 0;
	}
	const char *name = EVP_PKEY_get0_type_name(pkey);
	return zt_error_set(ZT_EMALFORMED,
	                    "key '%s' is %s: settlement files use Ed25519 or SM2 keys only",
	                    path, name ? name : "of an unknown type");
}

enum key_kind { KEY_PRIVATE = 1, KEY_PUBLIC = 2, KEY_ANY = 3 };

/* Loads a PEM key: a private key (KEY_PRIVATE), a public key or a
 * certificate's key (KEY_PUBLIC), or any of them. */
static int load_key(EVP_PKEY **out, enum zt_key_type *type, const char *path, enum key_kind kind)
{
	unsigned char *pem = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	EVP_PKEY *pkey = NULL;
	X509 *cert = NULL;
	bool wanted_passphrase = false;
	int rc = read_small(&pem, &len, "key file", path, ZT_KEY_FILE_BYTES_MAX);
	if (rc)
		goto done;
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio) {
		rc = zt_error_set(ZT_ENOMEM, "out of memory reading key '%s'", path);
		goto done;
	}
	if (kind & KEY_PRIVATE) {
		pkey = PEM_read_bio_PrivateKey_ex(bio, NULL, refuse_passphrase, &wanted_passphrase,
		                                  NULL, NULL);
		if (!pkey && wanted_passphrase) {
			ERR_clear_error();
			rc = zt_error_set(ZT_EMALFORMED,
			                  "key '%s' is protected by a passphrase, which is not supported",
			                  path);
			goto done;
		}
	}
	if (!pkey && (kind & KEY_PUBLIC)) {
		BIO_reset(bio);
		pkey = PEM_read_bio_PUBKEY_ex(bio, NULL, refuse_passphrase, &wanted_passphrase, NULL,
		                              NULL);
		if (!pkey) {
			BIO_reset(bio);
			cert = PEM_read_bio_X509(bio, NULL, refuse_passphrase, &wanted_passphrase);
			if (cert)
				pkey = X509_get_pubkey(cert);
		}
	}
	if (!pkey) {
		const char *reason = ossl_reason();
		rc = zt_error_set(ZT_EMALFORMED, "'%s' holds no PEM %s (%s)", path,
		                  kind == KEY_PRIVATE ? "private key"
		                  : kind == KEY_PUBLIC ? "public key or certificate"
		                                       : "key or certificate",
		                  reason);
		goto done;
	}
	if ((rc = key_type_of(type, pkey, path)))
		goto done;
	*out = pkey;
	pkey = NULL;
done:
	ERR_clear_error();
	EVP_PKEY_free(pkey);
	X509_free(cert);
	BIO_free(bio);
	if (pem) {
		OPENSSL_cleanse(pem, len); /* may be a private key */
		free(pem);
	}
	return rc;
}

int zt_sign_key_type(enum zt_key_type *out, const char *pem_path)
{
	EVP_PKEY *pkey = NULL;
	int rc = load_key(&pkey, out, pem_path, KEY_ANY);
	EVP_PKEY_free(pkey);
	return rc;
}

const char *zt_sign_openssl_verify_cmd(enum zt_key_type type)
{
	switch (type) {
	case ZT_KEY_ED25519:
		/* `openssl dgst` cannot do EdDSA in 3.0; pkeyutl -rawin can. */
		return "openssl pkeyutl -verify -pubin -inkey PUBKEY.pem -rawin -in FILE -sigfile FILE.sig";
	case ZT_KEY_SM2:
		return "openssl dgst -sm3 -verify PUBKEY.pem -sigopt distid:" ZT_SM2_DISTID
		       " -signature FILE.sig FILE";
	}
	return NULL;
}

/* ---- the message --------------------------------------------------- */

/* The whole file mapped read-only: Ed25519 is one-shot over the message
 * (hashed twice), and the page cache, not the heap, holds a file of
 * hundreds of MB. */
struct mapped {
	const unsigned char *p;
	size_t n;
	void *map;
};

static int map_file(struct mapped *m, int fd, size_t size, const char *path)
{
	static const unsigned char empty[1];
	m->map = NULL;
	m->n = size;
	m->p = empty;
	if (size == 0)
		return 0; /* mmap refuses length 0; the empty message is fine */
	void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return zt_error_set(ZT_EIO, "cannot map '%s': %s", path, strerror(errno));
	(void)madvise(p, size, MADV_SEQUENTIAL);
	m->map = p;
	m->p = p;
	return 0;
}

static void unmap_file(struct mapped *m)
{
	if (m->map)
		munmap(m->map, m->n);
	m->map = NULL;
}

/* Starts a sign or verify operation with the algorithm the key implies. */
static int digest_init(EVP_MD_CTX *md, EVP_PKEY *pkey, enum zt_key_type type, bool sign)
{
	EVP_PKEY_CTX *pctx = NULL;
	const char *mdname = type == ZT_KEY_SM2 ? "SM3" : NULL; /* PureEdDSA: no digest */
	int ok = sign ? EVP_DigestSignInit_ex(md, &pctx, mdname, NULL, NULL, pkey, NULL)
	              : EVP_DigestVerifyInit_ex(md, &pctx, mdname, NULL, NULL, pkey, NULL);
	if (ok != 1)
		return zt_error_set(ZT_EINTERNAL, "cannot start %s: %s", sign ? "signing" : "verifying",
		                    ossl_reason());
	/* Before the first update: SM2 hashes the ID into Z, the message prefix. */
	if (type == ZT_KEY_SM2 &&
	    EVP_PKEY_CTX_set1_id(pctx, ZT_SM2_DISTID, sizeof ZT_SM2_DISTID - 1) != 1)
		return zt_error_set(ZT_EINTERNAL, "cannot set the SM2 distinguishing ID: %s",
		                    ossl_reason());
	return 0;
}

/* Feeds the file to an SM2 operation in chunks (chunks.h). */
struct sm2_feed {
	EVP_MD_CTX *md;
	const char *path;
	bool sign;
};

static int sm2_update(void *ctx, const unsigned char *data, size_t len)
{
	struct sm2_feed *f = ctx;
	int ok = f->sign ? EVP_DigestSignUpdate(f->md, data, len)
	                 : EVP_DigestVerifyUpdate(f->md, data, len);
	if (ok != 1)
		return zt_error_set(ZT_EINTERNAL, "cannot digest '%s': %s", f->path, ossl_reason());
	return 0;
}

static int stream_file(EVP_MD_CTX *md, int fd, const char *path, bool sign)
{
	struct sm2_feed f = {.md = md, .path = path, .sign = sign};
	return zt_read_chunks(fd, path, CHUNK_BYTES, sm2_update, &f);
}

/* ---- sign / verify ------------------------------------------------- */

int zt_sign_bytes(unsigned char **sig_out, size_t *len_out, const char *path,
                  const char *key_pem_path)
{
	EVP_PKEY *pkey = NULL;
	EVP_MD_CTX *md = NULL;
	enum zt_key_type type;
	struct mapped m = {0};
	unsigned char *sig = NULL;
	size_t sig_len = 0, size = 0;
	int fd = -1;
	int rc = load_key(&pkey, &type, key_pem_path, KEY_PRIVATE);
	if (rc)
		goto done;
	if ((rc = open_regular(&fd, &size, "file", path)))
		goto done;
	/* No settlement file is empty, and openssl 3.0's pkeyutl cannot
	 * check an Ed25519 signature of zero bytes: refuse rather than hand
	 * the payer a signature its tools reject. */
	if (size == 0) {
		rc = zt_error_set(ZT_EINVAL, "'%s' is empty: nothing to sign", path);
		goto done;
	}
	md = EVP_MD_CTX_new();
	if (!md) {
		rc = zt_error_set(ZT_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = digest_init(md, pkey, type, true)))
		goto done;
	if (type == ZT_KEY_ED25519) {
		/* EdDSA has no Update/Final (EVP_SIGNATURE-ED25519(7)). */
		if ((rc = map_file(&m, fd, size, path)))
			goto done;
		if (EVP_DigestSign(md, NULL, &sig_len, m.p, m.n) != 1) {
			rc = zt_error_set(ZT_EINTERNAL, "cannot sign '%s': %s", path, ossl_reason());
			goto done;
		}
		if (!(sig = zt_malloc(sig_len))) {
			rc = zt_error_set(ZT_ENOMEM, "out of memory");
			goto done;
		}
		if (EVP_DigestSign(md, sig, &sig_len, m.p, m.n) != 1) {
			rc = zt_error_set(ZT_EINTERNAL, "cannot sign '%s': %s", path, ossl_reason());
			goto done;
		}
	} else {
		if ((rc = stream_file(md, fd, path, true)))
			goto done;
		if (EVP_DigestSignFinal(md, NULL, &sig_len) != 1) {
			rc = zt_error_set(ZT_EINTERNAL, "cannot sign '%s': %s", path, ossl_reason());
			goto done;
		}
		if (!(sig = zt_malloc(sig_len))) {
			rc = zt_error_set(ZT_ENOMEM, "out of memory");
			goto done;
		}
		if (EVP_DigestSignFinal(md, sig, &sig_len) != 1) {
			rc = zt_error_set(ZT_EINTERNAL, "cannot sign '%s': %s", path, ossl_reason());
			goto done;
		}
	}
	*sig_out = sig;
	*len_out = sig_len;
	sig = NULL;
done:
	free(sig);
	unmap_file(&m);
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pkey);
	ERR_clear_error();
	return rc;
}

int zt_sign_file(const char *path, const char *key_pem_path, const char *sig_path)
{
	unsigned char *sig = NULL;
	size_t len = 0;
	int rc = zt_sign_bytes(&sig, &len, path, key_pem_path);
	/* A signature is public, and the payer's transfer job may run as
	 * another user: 0644. It replaces an older signature (SM2 signatures
	 * of the same bytes differ from one signing to the next). */
	if (rc == 0)
		rc = zt_outfile_write_all(sig_path, sig, len, 0644, ZT_OUT_FORCE, NULL);
	free(sig);
	return rc;
}

static int verify_with(const char *path, const char *sig_path, const char *pub_pem_path,
                       enum key_kind kind)
{
	EVP_PKEY *pkey = NULL;
	EVP_MD_CTX *md = NULL;
	enum zt_key_type type;
	struct mapped m = {0};
	unsigned char *sig = NULL;
	size_t sig_len = 0, size = 0;
	int fd = -1, ok;
	int rc = load_key(&pkey, &type, pub_pem_path, kind);
	if (rc)
		goto done;
	if ((rc = read_small(&sig, &sig_len, "signature", sig_path, ZT_SIGNATURE_BYTES_MAX)))
		goto done;
	if ((rc = open_regular(&fd, &size, "file", path)))
		goto done;
	md = EVP_MD_CTX_new();
	if (!md) {
		rc = zt_error_set(ZT_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = digest_init(md, pkey, type, false)))
		goto done;
	if (type == ZT_KEY_ED25519) {
		if ((rc = map_file(&m, fd, size, path)))
			goto done;
		ok = EVP_DigestVerify(md, sig, sig_len, m.p, m.n);
	} else {
		if ((rc = stream_file(md, fd, path, false)))
			goto done;
		ok = EVP_DigestVerifyFinal(md, sig, sig_len);
	}
	/* 0 is "bad signature", below 0 mostly "not even a signature" (bad
	 * DER, wrong length): to the caller both mean it does not verify. */
	if (ok != 1)
		rc = zt_error_set(ZT_EINVAL, "signature '%s' of '%s' does not verify with key '%s'",
		                  sig_path, path, pub_pem_path);
done:
	free(sig);
	unmap_file(&m);
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pkey);
	ERR_clear_error();
	return rc;
}

int zt_verify_file(const char *path, const char *sig_path, const char *pub_pem_path)
{
	return verify_with(path, sig_path, pub_pem_path, KEY_PUBLIC);
}

int zt_sign_check(const char *path, const char *sig_path, const char *key_pem_path)
{
	return verify_with(path, sig_path, key_pem_path, KEY_ANY);
}
