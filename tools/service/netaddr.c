/* zhitong — addresses: trusted proxies as CIDR networks (IPv4 and IPv6),
 * the client's address from X-Forwarded-For, listen addresses (see
 * service_int.h). Pure functions on inet_pton/inet_ntop. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service_int.h"
#include "zhitong/error.h"

#define ADDR_TEXT_MAX 64

static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};

bool zt_addr_parse(uint8_t out[16], bool *v4, const char *text, size_t n)
{
	char buf[ADDR_TEXT_MAX];
	if (n == 0 || n >= sizeof buf)
		return false;
	memcpy(buf, text, n);
	buf[n] = '\0';
	memset(out, 0, 16);
	if (inet_pton(AF_INET, buf, out) == 1) {
		*v4 = true;
		return true;
	}
	uint8_t a6[16];
	if (inet_pton(AF_INET6, buf, a6) != 1)
		return false;
	if (memcmp(a6, v4_mapped, 12) == 0) {
		memcpy(out, a6 + 12, 4);
		*v4 = true;
		return true;
	}
	memcpy(out, a6, 16);
	*v4 = false;
	return true;
}

void zt_addr_format(char *out, size_t cap, const uint8_t addr[16], bool v4)
{
	if (!inet_ntop(v4 ? AF_INET : AF_INET6, addr, out, (socklen_t)cap))
		snprintf(out, cap, "?");
}

bool zt_addr_is_loopback(const uint8_t addr[16], bool v4)
{
	static const uint8_t one[16] = {[15] = 1};
	return v4 ? addr[0] == 127 : memcmp(addr, one, 16) == 0;
}

static bool in_net(const struct zt_cidr *c, const uint8_t a[16], bool v4)
{
	if (c->v4 != v4)
		return false;
	unsigned full = c->bits / 8u, rest = c->bits % 8u;
	if (memcmp(c->addr, a, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xFFu << (8 - rest));
	return (c->addr[full] & mask) == (a[full] & mask);
}

bool zt_cidrs_contain(const struct zt_cidrs *l, const uint8_t addr[16], bool v4)
{
	for (size_t i = 0; l && i < l->n; i++)
		if (in_net(&l->v[i], addr, v4))
			return true;
	return false;
}

int zt_cidrs_parse(struct zt_cidrs *out, const char *list)
{
	out->v = NULL;
	out->n = 0;
	if (!list)
		return 0;
	const char *p = list;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			return 0;
		const char *s = p;
		while (*p && *p != ' ' && *p != '\t' && *p != ',')
			p++;
		size_t n = (size_t)(p - s);
		const char *slash = memchr(s, '/', n);
		struct zt_cidr c = {0};
		size_t an = slash ? (size_t)(slash - s) : n;
		if (!zt_addr_parse(c.addr, &c.v4, s, an))
			goto bad;
		unsigned max = c.v4 ? 32 : 128, bits = max;
		if (slash) {
			const char *b = slash + 1;
			size_t bl = n - an - 1;
			if (bl == 0 || bl > 3)
				goto bad;
			bits = 0;
			for (size_t i = 0; i < bl; i++) {
				if (b[i] < '0' || b[i] > '9')
					goto bad;
				bits = bits * 10 + (unsigned)(b[i] - '0');
			}
			if (bits > max || (bl > 1 && b[0] == '0'))
				goto bad;
		}
		c.bits = (uint8_t)bits;
		/* host bits beyond the prefix: a typo, most likely */
		struct zt_cidr masked = c;
		for (unsigned i = bits; i < max; i++)
			masked.addr[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
		if (memcmp(masked.addr, c.addr, 16) != 0) {
			char net[ADDR_TEXT_MAX];
			zt_addr_format(net, sizeof net, masked.addr, c.v4);
			zt_cidrs_free(out);
			return zt_error_set(ZT_EINVAL, "trusted proxy '%.*s' has bits set past /%u (%s/%u?)",
			                    (int)n, s, bits, net, bits);
		}
		struct zt_cidr *nv = realloc(out->v, (out->n + 1) * sizeof *nv);
		if (!nv) {
			zt_cidrs_free(out);
			return zt_error_set(ZT_ENOMEM, "out of memory");
		}
		out->v = nv;
		out->v[out->n++] = c;
		continue;
	bad:
		zt_cidrs_free(out);
		return zt_error_set(ZT_EINVAL, "trusted proxy '%.*s' is not an address or ADDRESS/BITS",
		                    (int)(n > 60 ? 60 : n), s);
	}
}

void zt_cidrs_free(struct zt_cidrs *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* One X-Forwarded-For entry: "1.2.3.4", "2001:db8::1", "[2001:db8::1]",
 * "[2001:db8::1]:443" or "1.2.3.4:5678" (some proxies add the port). */
static bool xff_entry(uint8_t a[16], bool *v4, const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n && s[0] == '[') {
		const char *close = memchr(s, ']', n);
		if (!close)
			return false;
		size_t after = n - (size_t)(close - s) - 1;
		if (after && close[1] != ':')
			return false;
		return zt_addr_parse(a, v4, s + 1, (size_t)(close - s) - 1) && !*v4;
	}
	if (zt_addr_parse(a, v4, s, n))
		return true;
	const char *colon = memchr(s, ':', n);
	if (colon && !memchr(colon + 1, ':', n - (size_t)(colon - s) - 1))
		return zt_addr_parse(a, v4, s, (size_t)(colon - s)) && *v4;
	return false;
}

void zt_client_address(char *out, size_t cap, const char *peer, const char *xff,
                       const struct zt_cidrs *trusted)
{
	snprintf(out, cap, "%s", peer);
	uint8_t a[16];
	bool v4;
	if (!xff || !zt_addr_parse(a, &v4, peer, strlen(peer)) || !zt_cidrs_contain(trusted, a, v4))
		return;
	/* from the right: each hop a trusted proxy added */
	size_t end = strlen(xff);
	for (;;) {
		size_t start = end;
		while (start > 0 && xff[start - 1] != ',')
			start--;
		const char *s = xff + start;
		size_t n = end - start;
		bool blank = true;
		for (size_t i = 0; i < n; i++)
			blank &= s[i] == ' ' || s[i] == '\t';
		if (!blank) {
			if (!xff_entry(a, &v4, s, n))
				return; /* garbage: keep the nearest trusted hop */
			zt_addr_format(out, cap, a, v4);
			if (!zt_cidrs_contain(trusted, a, v4))
				return; /* the client */
		}
		if (start == 0)
			return; /* all trusted: the leftmost */
		end = start - 1;
	}
}

int zt_listen_parse(uint8_t addr[16], bool *v4, unsigned *port, const char *text)
{
	const char *colon = strrchr(text, ':');
	if (!colon || colon == text)
		goto bad;
	const char *h = text;
	size_t hl = (size_t)(colon - text);
	if (h[0] == '[') {
		if (hl < 3 || h[hl - 1] != ']')
			goto bad;
		h++;
		hl -= 2;
		if (!zt_addr_parse(addr, v4, h, hl))
			goto bad;
	} else if (!zt_addr_parse(addr, v4, h, hl) || !*v4 || memchr(h, ':', hl)) {
		goto bad;
	}
	const char *p = colon + 1;
	unsigned v = 0;
	if (!*p || strlen(p) > 5)
		goto bad;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			goto bad;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (v > 65535)
		goto bad;
	*port = v;
	return 0;
bad:
	return zt_error_set(ZT_EINVAL,
	                    "listen address '%s' is not ADDRESS:PORT (127.0.0.1:8440, [::1]:8440)", text);
}
