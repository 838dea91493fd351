/* zhitong — the engine's SHA-256 for OpenSSL's EVP digests, fetched from
 * the default provider once per process and kept: EVP_sha256() makes
 * every EVP_DigestInit_ex look the algorithm up again (OpenSSL 3), about
 * 8,000 instructions, more than hashing a claim's audit record. */
#ifndef ZHITONG_DIGEST_INT_H
#define ZHITONG_DIGEST_INT_H

#include <openssl/evp.h>

/* never NULL: EVP_sha256() if the fetch failed (it then fails where used) */
const EVP_MD *zt_sha256(void);

#endif
