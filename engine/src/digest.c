/* zhitong — SHA-256 fetched once (digest_int.h). */
#include "digest_int.h"

#include <pthread.h>

static EVP_MD *sha256;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void fetch_sha256(void) { sha256 = EVP_MD_fetch(NULL, "SHA256", NULL); }

const EVP_MD *zt_sha256(void)
{
	pthread_once(&sha256_once, fetch_sha256);
	return sha256 ? sha256 : EVP_sha256();
}
