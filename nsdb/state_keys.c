/* SPDX-License-Identifier: Apache-2.0 */
/* Keys and values of shared state in the state store (nsdb/state_keys.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
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

/* snprintf's result as this file's: the length, or -ENOSPC when cut. */
static int
fitted(int n, size_t len)
{
	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}

int
state_tuple_format(const struct ct_key *k, char *buf, size_t len)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], num[4];
	const char *proto = NULL;
	int af = k->v6 ? AF_INET6 : AF_INET;
	size_t i;

	for (i = 0; i < RTE_DIM(proto_names); i++)
		if (proto_names[i].proto == k->proto)
			proto = proto_names[i].name;
	if (proto == NULL) {
		snprintf(num, sizeof(num), "%u", k->proto);
		proto = num;
	}
	inet_ntop(af, k->src, src, sizeof(src));
	inet_ntop(af, k->dst, dst, sizeof(dst));
	return fitted(snprintf(buf, len, "%s/%s/%u/%s/%u", proto, src, k->sport, dst, k->dport),
		      len);
}

static int
parse_port(const char *s, uint16_t *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v > 65535)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

int
state_tuple_parse(const char *s, struct ct_key *k)
{
	char copy[STATE_KEY_LEN], *f[5], *save = NULL, *tok;
	unsigned int n = 0;
	size_t i;

	if (strlen(s) >= sizeof(copy))
		return -EINVAL;
	strcpy(copy, s);
	for (tok = strtok_r(copy, "/", &save); tok != NULL; tok = strtok_r(NULL, "/", &save)) {
		if (n == RTE_DIM(f))
			return -EINVAL;
		f[n++] = tok;
	}
	if (n != RTE_DIM(f))
		return -EINVAL;
	memset(k, 0, sizeof(*k));
	for (i = 0; i < RTE_DIM(proto_names); i++)
		if (strcmp(f[0], proto_names[i].name) == 0)
			k->proto = proto_names[i].proto;
	if (k->proto == 0) {
		uint16_t p;

		if (parse_port(f[0], &p) != 0 || p == 0 || p > 255)
			return -EINVAL;
		k->proto = (uint8_t)p;
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
	char tuple[STATE_KEY_LEN];
	int ret = state_tuple_format(k, tuple, sizeof(tuple));

	if (ret < 0 || k->kind >= RTE_DIM(kind_names))
		return -ENOSPC;
	if (k->kind == CT_KIND_CONN)
		return fitted(snprintf(buf, len, "%s:conn:%s", prefix, tuple), len);
	return fitted(snprintf(buf, len, "%s:nat:%s:%s:%s", prefix, device, kind_names[k->kind],
			       tuple), len);
}

static void
ipv4_text(uint32_t be_addr, char *out)
{
	inet_ntop(AF_INET, &be_addr, out, INET_ADDRSTRLEN);
}

int
state_value_ct(const char *host, const struct state_write *w, char *buf, size_t len)
{
	char fwd[STATE_KEY_LEN], rev[STATE_KEY_LEN], orig[INET_ADDRSTRLEN], xlat[INET_ADDRSTRLEN];
	const struct ct_nat *nat = &w->ct.nat;

	if (w->kind == STATE_WRITE_CONN)
		return fitted(snprintf(buf, len, "{\"host\":\"%s\"}", host), len);
	if (state_tuple_format(&w->ct.key[0], fwd, sizeof(fwd)) < 0 ||
	    state_tuple_format(&w->ct.key[1], rev, sizeof(rev)) < 0)
		return -ENOSPC;
	ipv4_text(nat->orig_addr, orig);
	ipv4_text(nat->xlat_addr, xlat);
	return fitted(snprintf(buf, len,
			       "{\"host\":\"%s\",\"fwd\":\"%s\",\"rev\":\"%s\",\"orig\":\"%s:%u\","
			       "\"xlat\":\"%s:%u\",\"port\":%s}",
			       host, fwd, rev, orig, nat->orig_port, xlat, nat->xlat_port,
			       nat->port ? "true" : "false"), len);
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

int
state_key_l2(const char *prefix, const struct state_write *w, char *buf, size_t len)
{
	char ip[INET_ADDRSTRLEN];
	const uint8_t *m = w->l2.mac.addr_bytes;

	if (w->kind == STATE_WRITE_MAC)
		return fitted(snprintf(buf, len, "%s:mac:%s:%02x:%02x:%02x:%02x:%02x:%02x", prefix,
				       w->device, m[0], m[1], m[2], m[3], m[4], m[5]), len);
	ipv4_text(w->l2.ip, ip);
	return fitted(snprintf(buf, len, "%s:arp:%s:%s", prefix, w->device, ip), len);
}

int
state_value_l2(const char *host, const struct state_write *w, char *buf, size_t len)
{
	const uint8_t *m = w->l2.mac.addr_bytes;

	if (w->kind == STATE_WRITE_MAC)
		return fitted(snprintf(buf, len, "{\"host\":\"%s\",\"port\":\"%s\"}", host,
				       w->l2.port), len);
	return fitted(snprintf(buf, len, "{\"host\":\"%s\",\"mac\":\"%02x:%02x:%02x:%02x:%02x:%02x\"}",
			       host, m[0], m[1], m[2], m[3], m[4], m[5]), len);
}

int
state_key_snat_block(const char *prefix, const char *device, uint32_t addr, uint16_t block,
		     char *buf, size_t len)
{
	char ip[INET_ADDRSTRLEN];

	ipv4_text(htonl(addr), ip);
	return fitted(snprintf(buf, len, "%s:snat:%s:%s:%u", prefix, device, ip, block), len);
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
