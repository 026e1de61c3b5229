/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Printable flow keys for flow dumps: only the fields the key holds, in the
 * order of mm-dpctl --dump-dp (tunnel, in port, Ethernet, L3, L4).
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>

#include "flow_key.h"
#include "flow_key_format.h"

struct fmt_buf {
	char *buf;
	size_t len;
	size_t off;
};

static void __attribute__((format(printf, 2, 3)))
fmt_add(struct fmt_buf *b, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (b->off >= b->len)
		return;
	va_start(ap, fmt);
	w = vsnprintf(b->buf + b->off, b->len - b->off, fmt, ap);
	va_end(ap);
	if (w > 0)
		b->off += (size_t)w;
}

static const char *const frag_names[] = {"no", "first", "later"};

int
flow_key_format(const struct flow_key *k, char *buf, size_t len)
{
	struct fmt_buf b = {.buf = buf, .len = len, .off = 0};
	char a[INET6_ADDRSTRLEN], c[INET6_ADDRSTRLEN];
	char s[RTE_ETHER_ADDR_FMT_SIZE], d[RTE_ETHER_ADDR_FMT_SIZE];
	int af;

	if (len == 0)
		return 0;
	buf[0] = '\0';
	if (k->tun_id != 0 || k->tun_dst != 0) {
		inet_ntop(AF_INET, &k->tun_src, a, sizeof(a));
		inet_ntop(AF_INET, &k->tun_dst, c, sizeof(c));
		fmt_add(&b, "tun_id=%u,tun_src=%s,tun_dst=%s,", k->tun_id, a, c);
	}
	rte_ether_format_addr(s, sizeof(s), &k->eth_src);
	rte_ether_format_addr(d, sizeof(d), &k->eth_dst);
	fmt_add(&b, "in_port=%u,eth_src=%s,eth_dst=%s", k->in_port, s, d);
	if (k->vlan_outer != 0)
		fmt_add(&b, ",vlan=%u", k->vlan_outer & 0xfff);
	if (k->vlan_inner != 0)
		fmt_add(&b, ",vlan_inner=%u", k->vlan_inner & 0xfff);
	fmt_add(&b, ",eth_type=0x%04x", k->ether_type);
	switch (k->l3_kind) {
	case FLOW_L3_ARP:
		inet_ntop(AF_INET, k->nw_src, a, sizeof(a));
		inet_ntop(AF_INET, k->nw_dst, c, sizeof(c));
		fmt_add(&b, ",arp_op=%u,arp_spa=%s,arp_tpa=%s", k->nw_proto, a, c);
		return (int)b.off;
	case FLOW_L3_IPV4:
	case FLOW_L3_IPV6:
		af = k->l3_kind == FLOW_L3_IPV4 ? AF_INET : AF_INET6;
		inet_ntop(af, k->nw_src, a, sizeof(a));
		inet_ntop(af, k->nw_dst, c, sizeof(c));
		fmt_add(&b, ",ip_src=%s,ip_dst=%s,proto=%u,tos=%u,frag=%s", a, c, k->nw_proto,
			k->nw_tos, frag_names[k->nw_frag < 3 ? k->nw_frag : 0]);
		break;
	default:
		return (int)b.off;
	}
	if (k->nw_frag == FLOW_FRAG_LATER)
		return (int)b.off;
	if (flow_icmp_is_echo(k->nw_proto, k->tp_src))
		fmt_add(&b, ",icmp_type=%u,icmp_code=0,icmp_id=%u", k->tp_src, k->tp_dst);
	else if (k->nw_proto == 1 || k->nw_proto == 58)
		fmt_add(&b, ",icmp_type=%u,icmp_code=%u", k->tp_src, k->tp_dst);
	else if (k->tp_src != 0 || k->tp_dst != 0)
		fmt_add(&b, ",tp_src=%u,tp_dst=%u", k->tp_src, k->tp_dst);
	return (int)(b.off < len ? b.off : len - 1);
}
