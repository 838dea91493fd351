/* zhitong — the web console's sessions, in memory by hashed id (session.h). */
#include "session.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zhitong/error.h"

struct session {
	unsigned char id_sha[SHA256_DIGEST_LENGTH];
	char user[ZT_ACTOR_BYTES];
	char csrf[ZT_SESSION_CSRF_CHARS + 1];
	int64_t created_s, seen_s;
	bool used;
};

struct zt_sessions {
	pthread_mutex_t lock;
	struct session *v;
	size_t n, cap;
};

static void hex(char *out, const unsigned char *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static int random_hex(char *out, size_t bytes)
{
	unsigned char b[64];
	if (bytes > sizeof b || RAND_bytes(b, (int)bytes) != 1)
		return zt_error_set(ZT_EINTERNAL, "no random bytes for a session");
	hex(out, b, bytes);
	OPENSSL_cleanse(b, sizeof b);
	return 0;
}

static bool id_form(const char *id)
{
	if (!id || strlen(id) != ZT_SESSION_ID_CHARS)
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

static bool live(const struct session *e, int64_t now_s)
{
	return e->used && now_s - e->seen_s < ZT_SESSION_IDLE_S &&
	       now_s - e->created_s < ZT_SESSION_MAX_S && now_s >= e->created_s;
}

int zt_sessions_new(struct zt_sessions **out)
{
	struct zt_sessions *t = calloc(1, sizeof *t);
	if (!t)
		return zt_error_set(ZT_ENOMEM, "out of memory");
	pthread_mutex_init(&t->lock, NULL);
	*out = t;
	return 0;
}

void zt_sessions_free(struct zt_sessions *t)
{
	if (!t)
		return;
	if (t->v)
		OPENSSL_cleanse(t->v, t->cap * sizeof *t->v);
	free(t->v);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

int zt_sessions_create(struct zt_sessions *t, const char *user, int64_t now_s,
                       char id[ZT_SESSION_ID_CHARS + 1], char csrf[ZT_SESSION_CSRF_CHARS + 1])
{
	int rc = random_hex(id, ZT_SESSION_ID_CHARS / 2);
	if (rc == 0)
		rc = random_hex(csrf, ZT_SESSION_CSRF_CHARS / 2);
	if (rc)
		return rc;
	pthread_mutex_lock(&t->lock);
	/* a free or dead slot, else the oldest when full, else a new one */
	struct session *slot = NULL, *oldest = NULL;
	for (size_t i = 0; i < t->n; i++) {
		struct session *e = &t->v[i];
		if (!live(e, now_s)) {
			slot = e;
			break;
		}
		if (!oldest || e->seen_s < oldest->seen_s)
			oldest = e;
	}
	if (!slot && t->n >= ZT_SESSIONS_MAX)
		slot = oldest;
	if (!slot) {
		if (t->n == t->cap) {
			size_t ncap = t->cap ? 2 * t->cap : 16;
			struct session *nv = realloc(t->v, ncap * sizeof *nv);
			if (!nv) {
				pthread_mutex_unlock(&t->lock);
				return zt_error_set(ZT_ENOMEM, "out of memory");
			}
			t->v = nv;
			t->cap = ncap;
		}
		slot = &t->v[t->n++];
	}
	memset(slot, 0, sizeof *slot);
	SHA256((const unsigned char *)id, ZT_SESSION_ID_CHARS, slot->id_sha);
	snprintf(slot->user, sizeof slot->user, "%s", user);
	memcpy(slot->csrf, csrf, sizeof slot->csrf);
	slot->created_s = slot->seen_s = now_s;
	slot->used = true;
	pthread_mutex_unlock(&t->lock);
	return 0;
}

static struct session *find(struct zt_sessions *t, const char *id)
{
	unsigned char sha[SHA256_DIGEST_LENGTH];
	SHA256((const unsigned char *)id, ZT_SESSION_ID_CHARS, sha);
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].used && CRYPTO_memcmp(t->v[i].id_sha, sha, sizeof sha) == 0)
			return &t->v[i];
	return NULL;
}

int zt_sessions_lookup(struct zt_sessions *t, const char *id, int64_t now_s,
                       char user[ZT_ACTOR_BYTES], char csrf[ZT_SESSION_CSRF_CHARS + 1])
{
	if (!id_form(id))
		return zt_error_set(ZT_ENOTFOUND, "not a session id");
	pthread_mutex_lock(&t->lock);
	struct session *e = find(t, id);
	int rc = 0;
	if (!e || !live(e, now_s)) {
		if (e)
			memset(e, 0, sizeof *e);
		rc = zt_error_set(ZT_ENOTFOUND, "no such session, or it has ended");
	} else {
		e->seen_s = now_s;
		snprintf(user, ZT_ACTOR_BYTES, "%s", e->user);
		memcpy(csrf, e->csrf, ZT_SESSION_CSRF_CHARS + 1);
	}
	pthread_mutex_unlock(&t->lock);
	return rc;
}

void zt_sessions_end(struct zt_sessions *t, const char *id)
{
	if (!id_form(id))
		return;
	pthread_mutex_lock(&t->lock);
	struct session *e = find(t, id);
	if (e)
		memset(e, 0, sizeof *e);
	pthread_mutex_unlock(&t->lock);
}

bool zt_sessions_csrf_ok(const char *want, const char *given)
{
	return want && given && strlen(want) == ZT_SESSION_CSRF_CHARS &&
	       strlen(given) == ZT_SESSION_CSRF_CHARS &&
	       CRYPTO_memcmp(want, given, ZT_SESSION_CSRF_CHARS) == 0;
}
