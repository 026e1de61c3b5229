/* SPDX-License-Identifier: Apache-2.0 */
/* Keys and values of shared state in the state store (nsdb/state_keys.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "state_keys.h"

static const char *const kind_names[] = {
	[CT_KIND_CONN] = "conn",
	[CT_KIND_SNAT_FWD] = "snat_fwd",
	[CT_KIND_SNAT_REV] = "snat_rev",
	[CT_KIND_DNAT_FWD] = "dnat_fwd",
	[CT_KIND_DNAT_REV] = "dnat_rev",
};

static const struct {
	uint8_t proto;
	const char *name;
} proto_names[] = {
	{IPPROTO_TCP, "tcp"}, {IPPROTO_UDP, "udp"}, {IPPROTO_ICMP, "icmp"},
	{IPPROTO_ICMPV6, "icmp6"}, {IPPROTO_SCTP, "sctp"},
};

/*
 * Text appended in place, one pass: the write-behind thread formats two or
 * three of these per record, and printf's format parsing (inet_ntop's IPv4
 * text is a sprintf too) was most of its time.  Cut means the text did not
 * fit: the formatter says -ENOSPC rather than leave a cut string.
 */
struct text {
	char *buf;
	size_t len;  /* buf's size, the NUL included */
	size_t used;
	bool cut;
};

static struct text
text_init(char *buf, size_t len)
{
	return (struct text){.buf = buf, .len = len, .cut = len == 0};
}

static void
put_mem(struct text *t, const char *s, size_t n)
{
	if (t->cut || n >= t->len - t->used) {
		t->cut = true;
		return;
	}
	memcpy(t->buf + t->used, s, n);
	t->used += n;
}

static void
put_str(struct text *t, const char *s)
{
	put_mem(t, s, strlen(s));
}

static void
put_u32(struct text *t, uint32_t v)
{
	char digits[10];
	size_t n = sizeof(digits);

	do {
		digits[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	put_mem(t, digits + n, sizeof(digits) - n);
}

/* As inet_ntop writes it: four decimal octets, no leading zeros. */
static void
put_ipv4(struct text *t, const uint8_t *a)
{
	unsigned int i;

	for (i = 0; i < 4; i++) {
		if (i > 0)
			put_mem(t, ".", 1);
		put_u32(t, a[i]);
	}
}

static void
put_addr(struct text *t, bool v6, const uint8_t *a)
{
	char text[INET6_ADDRSTRLEN];

	if (!v6) {
		put_ipv4(t, a);
		return;
	}
	/* RFC 5952's shortest form is inet_ntop's: keep its, IPv6 state is rare. */
	inet_ntop(AF_INET6, a, text, sizeof(text));
	put_str(t, text);
}

/* The length written, or -ENOSPC when it did not fit. */
static int
text_end(struct text *t)
{
	if (t->cut)
		return -ENOSPC;
	t->buf[t->used] = '\0';
	return (int)t->used;
}

static void
put_tuple(struct text *t, const struct ct_key *k)
{
	const char *proto = NULL;
	size_t i;

	for (i = 0; i < RTE_DIM(proto_names); i++)
		if (proto_names[i].proto == k->proto)
			proto = proto_names[i].name;
	if (proto != NULL)
		put_str(t, proto);
	else
		put_u32(t, k->proto);
	put_mem(t, "/", 1);
	put_addr(t, k->v6, k->src);
	put_mem(t, "/", 1);
	put_u32(t, k->sport);
	put_mem(t, "/", 1);
	put_addr(t, k->v6, k->dst);
	put_mem(t, "/", 1);
	put_u32(t, k->dport);
}

int
state_tuple_format(const struct ct_key *k, char *buf, size_t len)
{
	struct text t = text_init(buf, len);

	put_tuple(&t, k);
	return text_end(&t);
}

/* Decimal digits only (no sign, no space, nothing after), at most max. */
static int
parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -EINVAL;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

static int
parse_port(const char *s, uint16_t *out)
{
	uint32_t v;

	if (parse_u32(s, UINT16_MAX, &v) != 0)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

/*
 * Exactly five fields, none empty: strtok_r would take "udp//10.0.0.1/..."
 * or a leading or trailing '/' as a tuple no host writes.
 */
int
state_tuple_parse(const char *s, struct ct_key *k)
{
	char copy[STATE_KEY_LEN], *f[5], *p;
	unsigned int n;
	size_t i;

	if (strlen(s) >= sizeof(copy))
		return -EINVAL;
	strcpy(copy, s);
	for (n = 0, p = copy; n < RTE_DIM(f); n++) {
		char *slash = strchr(p, '/');

		f[n] = p;
		if (slash == NULL)
			break;
		*slash = '\0';
		p = slash + 1;
	}
	if (n != RTE_DIM(f) - 1)
		return -EINVAL; /* fewer fields, or a sixth */
	for (n = 0; n < RTE_DIM(f); n++)
		if (f[n][0] == '\0')
			return -EINVAL;
	memset(k, 0, sizeof(*k));
	for (i = 0; i < RTE_DIM(proto_names); i++)
		if (strcmp(f[0], proto_names[i].name) == 0)
			k->proto = proto_names[i].proto;
	if (k->proto == 0) {
		uint32_t number;

		if (parse_u32(f[0], UINT8_MAX, &number) != 0 || number == 0)
			return -EINVAL;
		k->proto = (uint8_t)number;
	}
	k->v6 = strchr(f[1], ':') != NULL;
	if (inet_pton(k->v6 ? AF_INET6 : AF_INET, f[1], k->src) != 1 ||
	    inet_pton(k->v6 ? AF_INET6 : AF_INET, f[3], k->dst) != 1 ||
	    parse_port(f[2], &k->sport) != 0 || parse_port(f[4], &k->dport) != 0)
		return -EINVAL;
	return 0;
}

int
state_key_ct(const char *prefix, const char *device, const struct ct_key *k, char *buf,
	     size_t len)
{
	struct text t = text_init(buf, len);

	if (k->kind >= RTE_DIM(kind_names))
		return -ENOSPC;
	put_str(&t, prefix);
	if (k->kind == CT_KIND_CONN) {
		put_str(&t, ":conn:");
	} else {
		put_str(&t, ":nat:");
		put_str(&t, device);
		put_mem(&t, ":", 1);
		put_str(&t, kind_names[k->kind]);
		put_mem(&t, ":", 1);
	}
	put_tuple(&t, k);
	return text_end(&t);
}

static void
put_endpoint(struct text *t, rte_be32_t addr, uint16_t port)
{
	put_ipv4(t, (const uint8_t *)&addr);
	put_mem(t, ":", 1);
	put_u32(t, port);
}

int
state_value_ct(const char *host, const struct state_write *w, char *buf, size_t len)
{
	const struct ct_nat *nat = &w->ct.nat;
	struct text t = text_init(buf, len);

	put_str(&t, "{\"host\":\"");
	put_str(&t, host);
	if (w->kind == STATE_WRITE_CONN) {
		put_str(&t, "\"}");
		return text_end(&t);
	}
	put_str(&t, "\",\"fwd\":\"");
	put_tuple(&t, &w->ct.key[0]);
	put_str(&t, "\",\"rev\":\"");
	put_tuple(&t, &w->ct.key[1]);
	put_str(&t, "\",\"orig\":\"");
	put_endpoint(&t, nat->orig_addr, nat->orig_port);
	put_str(&t, "\",\"xlat\":\"");
	put_endpoint(&t, nat->xlat_addr, nat->xlat_port);
	put_str(&t, nat->port ? "\",\"port\":true}" : "\",\"port\":false}");
	return text_end(&t);
}

/* "10.0.0.1:4000" into a network-order address and a host-order port. */
static int
parse_endpoint(const char *s, rte_be32_t *addr, uint16_t *port)
{
	char copy[INET_ADDRSTRLEN + 8], *colon;

	if (s == NULL || strlen(s) >= sizeof(copy))
		return -EINVAL;
	strcpy(copy, s);
	colon = strchr(copy, ':');
	if (colon == NULL)
		return -EINVAL;
	*colon = '\0';
	if (inet_pton(AF_INET, copy, addr) != 1)
		return -EINVAL;
	return parse_port(colon + 1, port);
}

int
state_value_ct_parse(const char *value, const struct ct_key *query, struct state_answer *a)
{
	bool snat = query->kind == CT_KIND_SNAT_FWD || query->kind == CT_KIND_SNAT_REV;
	json_t *v = json_loads(value, 0, NULL);
	const char *fwd, *rev;
	int ret = -EINVAL;

	if (v == NULL || !json_is_object(v) || !json_is_string(json_object_get(v, "host")))
		goto out;
	a->query = *query;
	memset(&a->nat, 0, sizeof(a->nat));
	if (query->kind == CT_KIND_CONN) {
		a->key[0] = *query;
		a->n_keys = 1;
		ret = 0;
		goto out;
	}
	fwd = json_string_value(json_object_get(v, "fwd"));
	rev = json_string_value(json_object_get(v, "rev"));
	if (fwd == NULL || rev == NULL || state_tuple_parse(fwd, &a->key[0]) != 0 ||
	    state_tuple_parse(rev, &a->key[1]) != 0 ||
	    parse_endpoint(json_string_value(json_object_get(v, "orig")), &a->nat.orig_addr,
			   &a->nat.orig_port) != 0 ||
	    parse_endpoint(json_string_value(json_object_get(v, "xlat")), &a->nat.xlat_addr,
			   &a->nat.xlat_port) != 0)
		goto out;
	a->nat.port = json_is_true(json_object_get(v, "port"));
	a->key[0].kind = snat ? CT_KIND_SNAT_FWD : CT_KIND_DNAT_FWD;
	a->key[1].kind = snat ? CT_KIND_SNAT_REV : CT_KIND_DNAT_REV;
	a->key[0].device = a->key[1].device = query->device;
	a->n_keys = 2;
	/* A value filed under a key it does not hold is not one we wrote. */
	if (memcmp(&a->key[0], query, sizeof(*query)) != 0 &&
	    memcmp(&a->key[1], query, sizeof(*query)) != 0)
		goto out;
	ret = 0;
out:
	json_decref(v);
	return ret;
}

/* "02:00:00:00:00:01": lower-case hex, as "%02x" wrote it. */
static void
put_mac(struct text *t, const struct rte_ether_addr *mac)
{
	static const char hex[] = "0123456789abcdef";
	char text[3 * RTE_ETHER_ADDR_LEN];
	unsigned int i;

	for (i = 0; i < RTE_ETHER_ADDR_LEN; i++) {
		text[3 * i] = hex[mac->addr_bytes[i] >> 4];
		text[3 * i + 1] = hex[mac->addr_bytes[i] & 0xf];
		text[3 * i + 2] = ':';
	}
	put_mem(t, text, sizeof(text) - 1);
}

int
state_key_l2(const char *prefix, const struct state_write *w, char *buf, size_t len)
{
	struct text t = text_init(buf, len);

	put_str(&t, prefix);
	put_str(&t, w->kind == STATE_WRITE_MAC ? ":mac:" : ":arp:");
	put_str(&t, w->device);
	put_mem(&t, ":", 1);
	if (w->kind == STATE_WRITE_MAC)
		put_mac(&t, &w->l2.mac);
	else
		put_ipv4(&t, (const uint8_t *)&w->l2.ip);
	return text_end(&t);
}

int
state_value_l2(const char *host, const struct state_write *w, char *buf, size_t len)
{
	struct text t = text_init(buf, len);

	put_str(&t, "{\"host\":\"");
	put_str(&t, host);
	if (w->kind == STATE_WRITE_MAC) {
		put_str(&t, "\",\"port\":\"");
		put_str(&t, w->l2.port);
	} else {
		put_str(&t, "\",\"mac\":\"");
		put_mac(&t, &w->l2.mac);
	}
	put_str(&t, "\"}");
	return text_end(&t);
}

int
state_key_snat_block(const char *prefix, const char *device, uint32_t addr, uint16_t block,
		     char *buf, size_t len)
{
	rte_be32_t be_addr = htonl(addr);
	struct text t = text_init(buf, len);

	put_str(&t, prefix);
	put_str(&t, ":snat:");
	put_str(&t, device);
	put_mem(&t, ":", 1);
	put_ipv4(&t, (const uint8_t *)&be_addr);
	put_mem(&t, ":", 1);
	put_u32(&t, block);
	return text_end(&t);
}

int
state_value_mac_parse(const char *value, char *port, size_t len)
{
	json_t *v = json_loads(value, 0, NULL);
	const char *p = json_string_value(json_object_get(v, "port"));
	int ret = -EINVAL;

	if (json_is_string(json_object_get(v, "host")) && p != NULL && p[0] != '\0' &&
	    strlen(p) < len) {
		strcpy(port, p);
		ret = 0;
	}
	json_decref(v);
	return ret;
}

int
state_value_arp_parse(const char *value, struct rte_ether_addr *mac)
{
	json_t *v = json_loads(value, 0, NULL);
	const char *m = json_string_value(json_object_get(v, "mac"));
	int ret = -EINVAL;

	if (json_is_string(json_object_get(v, "host")) && m != NULL &&
	    rte_ether_unformat_addr(m, mac) == 0 && !rte_is_zero_ether_addr(mac))
		ret = 0;
	json_decref(v);
	return ret;
}
