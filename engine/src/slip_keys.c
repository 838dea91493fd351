/* zhitong — the pool's slip keys from the configuration (slip.h
 * zt_slip_keys_load, docs/slip.md "The keys"):
 *
 *   [slip]
 *   key = /etc/zhitong/slip-2027.key      # signs the slips printed now
 *   key-id = K2                           # default K1
 *   verify-url = https://pool.example/slip/verify?code=
 *
 *   [slip-key K1]
 *   key = /etc/zhitong/slip-2026.key      # retired: checks the old slips
 */
#include "zhitong/slip.h"

#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include <openssl/crypto.h>

#include "zhitong/config.h"
#include "zhitong/error.h"

/* A key id as the configuration writes it, checked as the code's reader
 * would read it (upper case, Crockford's alphabet). */
static int key_id_of(char out[ZT_SLIPCODE_KEY_ID_CHARS_MAX + 1], const char *id,
                     const char *where)
{
	/* zt_slipcode_canonical checks ids the way codes are made. */
	const struct zt_slipcode_content probe = {.setl_id = "-", .hospital_code = "-",
	                                          .claim_no = "-", .psn_no = "-"};
	unsigned char *bytes = NULL;
	size_t len;
	if (zt_slipcode_canonical(&bytes, &len, id, &probe) != 0) {
		char why[ZT_MESSAGE_BYTES_MAX];
		snprintf(why, sizeof why, "%s", zt_error_last());
		return zt_error_set(ZT_EINVAL, "%s: %s", where, why);
	}
	free(bytes);
	size_t n = strlen(id);
	if (n > ZT_SLIPCODE_KEY_ID_CHARS_MAX) /* the check above refuses it already */
		return zt_error_set(ZT_EINVAL, "%s: key id '%.8s…' is too long", where, id);
	for (size_t i = 0; i <= n; i++)
		out[i] = (char)(id[i] >= 'a' && id[i] <= 'z' ? id[i] - 'a' + 'A' : id[i]);
	return 0;
}

static int add_key(struct zt_slip_keys *k, const char *id, const char *path, const char *where)
{
	char norm[ZT_SLIPCODE_KEY_ID_CHARS_MAX + 1];
	int rc = key_id_of(norm, id, where);
	if (rc)
		return rc;
	if (zt_slip_keys_find(k, norm))
		return zt_error_set(ZT_EINVAL, "%s: slip key id '%s' is given twice", where, norm);
	if (k->count == ZT_SLIP_KEYS_MAX)
		return zt_error_set(ZT_EINVAL, "%s: more than %d slip keys", where, ZT_SLIP_KEYS_MAX);
	if (!path || !path[0])
		return zt_error_set(ZT_EINVAL, "%s: no key file ('key = PATH')", where);
	struct zt_slip_key *key = &k->key[k->count];
	if ((rc = zt_slipcode_key_read(key->bytes, &key->len, path)) != 0)
		return rc;
	memcpy(key->id, norm, sizeof key->id);
	k->count++;
	return 0;
}

struct each {
	struct zt_slip_keys *k;
	const struct zt_config *cfg;
};

static int retired(void *ctx, const char *name)
{
	struct each *e = ctx;
	char section[64], where[96];
	snprintf(section, sizeof section, "slip-key %s", name);
	snprintf(where, sizeof where, "%s: [%s]", zt_config_path(e->cfg), section);
	return add_key(e->k, name, zt_config_get(e->cfg, section, "key"), where);
}

int zt_slip_keys_load(struct zt_slip_keys *out, const struct zt_config *cfg)
{
	memset(out, 0, sizeof *out);
	out->signing = -1;
	if (!cfg)
		return 0;
	char where[96];
	snprintf(where, sizeof where, "%s: [slip]", zt_config_path(cfg));
	const char *path = zt_config_get(cfg, "slip", "key"),
	           *id = zt_config_get(cfg, "slip", "key-id"),
	           *url = zt_config_get(cfg, "slip", "verify-url");
	int rc = 0;
	if (!path && (id || url)) {
		rc = zt_error_set(ZT_EINVAL, "%s: key-id and verify-url need a key ('key = PATH')",
		                  where);
		goto done;
	}
	if (path) {
		if ((rc = add_key(out, id ? id : "K1", path, where)) != 0)
			goto done;
		out->signing = 0;
	}
	if (url) {
		if ((strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0) ||
		    strlen(url) >= sizeof out->verify_url) {
			rc = zt_error_set(ZT_EINVAL, "%s: verify-url '%.80s' is not an http(s) URL of at "
			                  "most %d bytes",
			                  where, url, ZT_SLIP_VERIFY_URL_BYTES - 1);
			goto done;
		}
		snprintf(out->verify_url, sizeof out->verify_url, "%s", url);
	}
	struct each e = {.k = out, .cfg = cfg};
	rc = zt_config_each_section(cfg, "slip-key", retired, &e);
done:
	if (rc)
		zt_slip_keys_wipe(out);
	return rc;
}

const struct zt_slip_key *zt_slip_keys_find(const struct zt_slip_keys *k, const char *id)
{
	for (int i = 0; k && id && i < k->count; i++)
		if (strcasecmp(k->key[i].id, id) == 0)
			return &k->key[i];
	return NULL;
}

void zt_slip_keys_wipe(struct zt_slip_keys *k)
{
	OPENSSL_cleanse(k->key, sizeof k->key);
	k->count = 0;
	k->signing = -1;
}
