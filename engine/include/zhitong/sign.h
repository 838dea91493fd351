/* zhitong — detached signatures of settlement files (docs/spec/money-flow.md
 * "Batches", docs/spec/background-formats.md §3).
 *
 * A payer checks a file with the stock openssl 3 command line and nothing
 * else, so the signature is the raw one that command expects:
 *   - Ed25519: PureEdDSA over the file's bytes, 64 raw bytes;
 *   - SM2: SM2 with SM3 and the GM/T 0009-2012 distinguishing ID
 *     "1234567812345678" (openssl's default ID is empty, which Chinese
 *     counterparties do not expect), DER-encoded.
 * The key's type decides the algorithm. Keys are read from PEM files and
 * never generated here; passphrase-protected keys are refused rather than
 * prompted for; no key material is ever written to an error message. */
#ifndef ZHITONG_SIGN_H
#define ZHITONG_SIGN_H

#include <stddef.h>

enum zt_key_type {
	ZT_KEY_ED25519 = 1,
	ZT_KEY_SM2 = 2,
};

/* The SM2 distinguishing ID every signature uses (the payer must use it too). */
#define ZT_SM2_DISTID "1234567812345678"

/* Signs the bytes of `path` with the private key in `key_pem_path`: the
 * detached signature in *sig_out (malloc'd, the caller frees it).
 * Errors as for zt_sign_file. */
int zt_sign_bytes(unsigned char **sig_out, size_t *len_out, const char *path,
                  const char *key_pem_path);

/* Signs the bytes of `path` with the private key in `key_pem_path` and
 * writes the detached signature to `sig_path` through the safe output
 * (outfile.h: temporary file in the same directory, fsync, rename, fsync
 * of the directory; a symbolic link at sig_path is refused): a reader sees
 * the old signature or the new one, never half of one.
 * Errors: ZT_ENOTFOUND (file or key missing), ZT_EIO (unreadable input,
 * cannot write the signature), ZT_EINVAL (the file is empty: openssl 3.0
 * cannot check an Ed25519 signature of nothing), ZT_EMALFORMED (the key file holds no usable
 * PEM private key, or a key that is neither Ed25519 nor SM2, or an
 * encrypted one). */
int zt_sign_file(const char *path, const char *key_pem_path, const char *sig_path);

/* Checks the detached signature in `sig_path` of the bytes of `path`
 * against the public key (or X.509 certificate) in `pub_pem_path`.
 * 0: the signature is valid. ZT_EINVAL: it does not verify (wrong key,
 * altered file or signature). Other codes as for zt_sign_file, for input
 * that cannot be read at all. */
int zt_verify_file(const char *path, const char *sig_path, const char *pub_pem_path);

/* The same check with any key of the pair: a public key, a certificate,
 * or the private key that signs (its public half): zhitong's own check
 * before it keeps or sends a signature. */
int zt_sign_check(const char *path, const char *sig_path, const char *key_pem_path);

/* The type of the key in a PEM file: private key, public key or
 * certificate. Errors as for zt_sign_file. */
int zt_sign_key_type(enum zt_key_type *out, const char *pem_path);

/* The stock openssl command that verifies a signature made with a key of
 * this type, with the placeholders PUBKEY.pem, FILE and FILE.sig (for help
 * texts and the README); NULL for an unknown type. */
const char *zt_sign_openssl_verify_cmd(enum zt_key_type type);

#endif
