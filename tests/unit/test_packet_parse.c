/* SPDX-License-Identifier: Apache-2.0 */
/*
 * packet_parse, as a specification.  Each test builds one frame byte by
 * byte, parses it from a real mbuf and states the whole result: every key
 * field, every offset, or the drop reason.
 *
 * The metadata is filled with garbage before each parse, so a field the
 * parser forgets to set shows up as 0xa5 bytes, and the fields it must not
 * touch (out_port, worker, hash) must still hold that garbage afterwards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <netinet/in.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "unit_eal.h"
#include "drop_reason.h"
#include "packet_parse.h"

#define IN_PORT 3
#define POOL_SIZE 63
#define FRAME_MAX 512
#define GARBAGE 0xa5

#define ETH_IPV4 RTE_ETHER_TYPE_IPV4
#define ETH_IPV6 RTE_ETHER_TYPE_IPV6
#define ETH_ARP RTE_ETHER_TYPE_ARP
#define ETH_VLAN RTE_ETHER_TYPE_VLAN
#define ETH_QINQ RTE_ETHER_TYPE_QINQ
#define ETH_TEB 0x6558 /* transparent Ethernet bridging: GRE carrying Ethernet */

#define IP4_TOS 0xb8 /* DSCP EF */
#define IP6_TC 0x28  /* DSCP AF11 */
#define IP4_MF 0x2000

static const uint8_t mac_dst[RTE_ETHER_ADDR_LEN] = { 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f };
static const uint8_t mac_src[RTE_ETHER_ADDR_LEN] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
static const uint8_t ip4_src[4] = { 192, 0, 2, 1 };
static const uint8_t ip4_dst[4] = { 198, 51, 100, 2 };
static const uint8_t ip6_src[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t ip6_dst[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

static struct rte_mempool *pool;
static struct parse_config cfg = { .vxlan_udp_port = KAIRO_VXLAN_DEFAULT_PORT };

/* Frame builder: each put* appends in network order and returns where it wrote. */

struct frame {
	uint8_t b[FRAME_MAX];
	uint16_t len;
};

static uint16_t
put(struct frame *f, const void *p, uint16_t n)
{
	uint16_t ofs = f->len;

	assert_true(f->len + n <= FRAME_MAX);
	memcpy(f->b + ofs, p, n);
	f->len += n;
	return ofs;
}

static uint16_t
put8(struct frame *f, uint8_t v)
{
	return put(f, &v, 1);
}

static uint16_t
put16(struct frame *f, uint16_t v)
{
	uint8_t b[2] = { v >> 8, v & 0xff };

	return put(f, b, sizeof(b));
}

static uint16_t
put32(struct frame *f, uint32_t v)
{
	uint16_t ofs = put16(f, v >> 16);

	put16(f, v & 0xffff);
	return ofs;
}

static uint16_t
zeros(struct frame *f, uint16_t n)
{
	static const uint8_t z[FRAME_MAX];

	return put(f, z, n);
}

static void
set16(struct frame *f, uint16_t ofs, uint16_t v)
{
	f->b[ofs] = v >> 8;
	f->b[ofs + 1] = v & 0xff;
}

/* Ethernet header; a VLAN tag's TPID is this type, then vlan() adds TCI and the next type. */
static void
eth(struct frame *f, uint16_t type)
{
	put(f, mac_dst, sizeof(mac_dst));
	put(f, mac_src, sizeof(mac_src));
	put16(f, type);
}

static void
vlan(struct frame *f, uint16_t tci, uint16_t next_type)
{
	put16(f, tci);
	put16(f, next_type);
}

/* IPv4 without options; ip4_end() sets the total length once the payload is in. */
static uint16_t
ip4(struct frame *f, uint8_t proto)
{
	uint16_t ip = put8(f, 0x45);

	put8(f, IP4_TOS);
	put16(f, 0);      /* total length */
	put16(f, 0x1234); /* id */
	put16(f, 0);      /* flags, fragment offset */
	put8(f, 64);      /* TTL */
	put8(f, proto);
	put16(f, 0);      /* checksum: not the parser's business */
	put(f, ip4_src, sizeof(ip4_src));
	put(f, ip4_dst, sizeof(ip4_dst));
	return ip;
}

static void
ip4_end(struct frame *f, uint16_t ip)
{
	set16(f, ip + 2, f->len - ip);
}

static uint16_t
ip6(struct frame *f, uint8_t next)
{
	uint16_t ip = put32(f, 6u << 28 | IP6_TC << 20 | 0x12345);

	put16(f, 0); /* payload length */
	put8(f, next);
	put8(f, 64); /* hop limit */
	put(f, ip6_src, sizeof(ip6_src));
	put(f, ip6_dst, sizeof(ip6_dst));
	return ip;
}

static void
ip6_end(struct frame *f, uint16_t ip)
{
	set16(f, ip + 4, f->len - ip - 40);
}

/* Hop-by-hop, routing or destination options header of (len8 + 1) * 8 bytes. */
static uint16_t
ext6(struct frame *f, uint8_t next, uint8_t len8)
{
	uint16_t ofs = put8(f, next);

	put8(f, len8);
	zeros(f, 6 + len8 * 8);
	return ofs;
}

static uint16_t
frag6(struct frame *f, uint8_t next, uint16_t offset8, int more)
{
	uint16_t ofs = put8(f, next);

	put8(f, 0);
	put16(f, offset8 << 3 | (more ? 1 : 0));
	put32(f, 0xcafe); /* identification */
	return ofs;
}

static uint16_t
tcp(struct frame *f, uint16_t sport, uint16_t dport)
{
	uint16_t ofs = put16(f, sport);

	put16(f, dport);
	put32(f, 1000); /* seq */
	put32(f, 0);    /* ack */
	put8(f, 0x50);  /* data offset 5 */
	put8(f, 0x02);  /* SYN */
	put16(f, 65535);
	put16(f, 0);
	put16(f, 0);
	return ofs;
}

/* UDP header; udp_end() sets the length once the payload is in. */
static uint16_t
udp(struct frame *f, uint16_t sport, uint16_t dport)
{
	uint16_t ofs = put16(f, sport);

	put16(f, dport);
	put16(f, 0);
	put16(f, 0);
	return ofs;
}

static void
udp_end(struct frame *f, uint16_t u)
{
	set16(f, u + 4, f->len - u);
}

static uint16_t
icmp(struct frame *f, uint8_t type, uint8_t code)
{
	uint16_t ofs = put8(f, type);

	put8(f, code);
	put16(f, 0);      /* checksum */
	put32(f, 0x10001); /* echo id and sequence */
	return ofs;
}

static uint16_t
vxlan(struct frame *f, uint32_t vni)
{
	uint16_t ofs = put8(f, 0x08); /* I flag */

	zeros(f, 3);
	put32(f, vni << 8);
	return ofs;
}

static uint16_t
arp(struct frame *f, uint16_t op, const uint8_t *spa, const uint8_t *tpa)
{
	uint16_t ofs = put16(f, 1); /* Ethernet */

	put16(f, ETH_IPV4);
	put8(f, 6);
	put8(f, 4);
	put16(f, op);
	put(f, mac_src, 6);
	put(f, spa, 4);
	zeros(f, 6);
	put(f, tpa, 4);
	return ofs;
}

/* Building the expected result. */

/* The L2 part every frame here shares; l3_ofs always equals l2_len. */
static struct pkt_meta
expect_l2(uint16_t ether_type, uint16_t l2_len)
{
	struct pkt_meta e;

	memset(&e, 0, sizeof(e));
	e.key.in_port = IN_PORT;
	memcpy(e.key.eth_dst.addr_bytes, mac_dst, sizeof(mac_dst));
	memcpy(e.key.eth_src.addr_bytes, mac_src, sizeof(mac_src));
	e.key.ether_type = ether_type;
	e.l2_len = l2_len;
	e.l3_ofs = l2_len;
	/* Not the parser's: must keep what was there. */
	memset(&e.out_port, GARBAGE, sizeof(e.out_port));
	memset(&e.worker, GARBAGE, sizeof(e.worker));
	memset(&e.hash, GARBAGE, sizeof(e.hash));
	return e;
}

static void
expect_ip4(struct pkt_meta *e, uint8_t proto, uint16_t l3_len, uint16_t l4_ofs)
{
	e->key.l3_kind = FLOW_L3_IPV4;
	memcpy(e->key.nw_src, ip4_src, sizeof(ip4_src));
	memcpy(e->key.nw_dst, ip4_dst, sizeof(ip4_dst));
	e->key.nw_tos = IP4_TOS;
	e->key.nw_proto = proto;
	e->l3_len = l3_len;
	e->l4_ofs = l4_ofs;
}

static void
expect_ip6(struct pkt_meta *e, uint8_t proto, uint16_t l3_len, uint16_t l4_ofs)
{
	e->key.l3_kind = FLOW_L3_IPV6;
	memcpy(e->key.nw_src, ip6_src, sizeof(ip6_src));
	memcpy(e->key.nw_dst, ip6_dst, sizeof(ip6_dst));
	e->key.nw_tos = IP6_TC;
	e->key.nw_proto = proto;
	e->l3_len = l3_len;
	e->l4_ofs = l4_ofs;
}

/* Parsing and checking. */

static struct rte_mbuf *
mbuf_from(const uint8_t *bytes, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	char *p;

	assert_non_null(m);
	/* Bytes past the frame are garbage, as a reused buffer's would be. */
	memset(rte_pktmbuf_mtod(m, char *), GARBAGE, rte_pktmbuf_tailroom(m));
	p = rte_pktmbuf_append(m, len);
	assert_non_null(p);
	memcpy(p, bytes, len);
	return m;
}

/* Parse f from an mbuf whose metadata was filled with fill; the result lands in out. */
static int
parse(const struct frame *f, uint8_t fill, struct pkt_meta *out)
{
	struct rte_mbuf *m = mbuf_from(f->b, f->len);
	struct pkt_meta *meta = pkt_meta(m);
	int rc;

	memset(meta, fill, sizeof(*meta));
	rc = packet_parse(m, IN_PORT, &cfg, meta);
	*out = *meta;
	rte_pktmbuf_free(m);
	return rc;
}

static void
assert_reason(int got, int want)
{
	/* Names first: "ipv4_bad_ihl" != "ipv4_truncated" says more than 8 != 7. */
	assert_string_equal(drop_reason_name((unsigned int)got), drop_reason_name(want));
	assert_int_equal(got, want);
}

static void
assert_meta(const struct pkt_meta *got, const struct pkt_meta *want)
{
	const struct flow_key *g = &got->key, *w = &want->key;

	assert_int_equal(g->tun_id, w->tun_id);
	assert_int_equal(g->tun_src, w->tun_src);
	assert_int_equal(g->tun_dst, w->tun_dst);
	assert_int_equal(g->in_port, w->in_port);
	assert_int_equal(g->vlan_outer, w->vlan_outer);
	assert_int_equal(g->vlan_inner, w->vlan_inner);
	assert_int_equal(g->ether_type, w->ether_type);
	assert_memory_equal(&g->eth_dst, &w->eth_dst, sizeof(g->eth_dst));
	assert_memory_equal(&g->eth_src, &w->eth_src, sizeof(g->eth_src));
	assert_memory_equal(g->nw_src, w->nw_src, sizeof(g->nw_src));
	assert_memory_equal(g->nw_dst, w->nw_dst, sizeof(g->nw_dst));
	assert_int_equal(g->l3_kind, w->l3_kind);
	assert_int_equal(g->nw_proto, w->nw_proto);
	assert_int_equal(g->nw_tos, w->nw_tos);
	assert_int_equal(g->nw_frag, w->nw_frag);
	assert_int_equal(g->tp_src, w->tp_src);
	assert_int_equal(g->tp_dst, w->tp_dst);
	/* rte_hash compares raw bytes: reserved bytes and any padding too. */
	assert_memory_equal(g, w, sizeof(*g));

	assert_int_equal(got->l2_len, want->l2_len);
	assert_int_equal(got->l3_ofs, want->l3_ofs);
	assert_int_equal(got->l3_len, want->l3_len);
	assert_int_equal(got->l4_ofs, want->l4_ofs);
	assert_int_equal(got->tunnel, want->tunnel);
	assert_int_equal(got->gre_flags, want->gre_flags);
	assert_int_equal(got->tunnel_ofs, want->tunnel_ofs);
	assert_int_equal(got->tunnel_key, want->tunnel_key);
	assert_int_equal(got->out_port, want->out_port);
	assert_int_equal(got->worker, want->worker);
	assert_int_equal(got->hash, want->hash);
}

static void
expect_ok(const struct frame *f, const struct pkt_meta *want)
{
	struct pkt_meta got;

	assert_reason(parse(f, GARBAGE, &got), DROP_NONE);
	assert_meta(&got, want);
}

static void
expect_drop(const struct frame *f, enum drop_reason want)
{
	struct pkt_meta got;

	assert_reason(parse(f, GARBAGE, &got), want);
}

/* Well-formed IPv4 */

static void
test_ipv4_tcp(void **state)
{
	struct frame f = { 0 };
	struct pkt_meta e;
	uint16_t ip;

	(void)state;
	eth(&f, ETH_IPV4);
	ip = ip4(&f, IPPROTO_TCP);
	tcp(&f, 49152, 80);
	ip4_end(&f, ip);

	e = expect_l2(ETH_IPV4, 14);
	expect_ip4(&e, IPPROTO_TCP, 20, 34);
	e.key.tp_src = 49152;
	e.key.tp_dst = 80;
	expect_ok(&f, &e);
}

static void
test_ipv4_udp(void **state)
{
	struct frame f = { 0 };
	struct pkt_meta e;
	uint16_t ip, u;

	(void)state;
	eth(&f, ETH_IPV4);
	ip = ip4(&f, IPPROTO_UDP);
	u = udp(&f, 5353, 53);
	put32(&f, 0xdeadbeef);
	udp_end(&f, u);
	ip4_end(&f, ip);

	e = expect_l2(ETH_IPV4, 14);
	expect_ip4(&e, IPPROTO_UDP, 20, 34);
	e.key.tp_src = 5353;
	e.key.tp_dst = 53;
	expect_ok(&f, &e);
}

static void
test_ipv4_icmp_echo_type_and_identifier_take_the_ports(void **state)
{
	struct frame f = { 0 };
	struct pkt_meta e;
	uint16_t ip;

	(void)state;
	eth(&f, ETH_IPV4);
	ip = ip4(&f, IPPROTO_ICMP);
	icmp(&f, 8, 0);
	ip4_end(&f, ip);

	e = expect_l2(ETH_IPV4, 14);
	expect_ip4(&e, IPPROTO_ICMP, 20, 34);
	e.key.tp_src = 8; /* echo request */
	e.key.tp_dst = 1; /* its identifier (icmp() writes id 1, sequence 1); the code is 0 */
	expect_ok(&f, &e);
}

static void
test_ipv4_icmp_error_type_and_code_take_the_ports(void **state)
{
	struct frame f = { 0 };
	struct pkt_meta e;
	uint16_t ip;

	(void)state;
	eth(&f, ETH_IPV4);
	ip = ip4(&f, IPPROTO_ICMP);
	icmp(&f, 3, 3); /* port unreachable */
	ip4_end(&f, ip);

	e = expect_l2(ETH_IPV4, 14);
	expect_ip4(&e, IPPROTO_ICMP, 20, 34);
	e.key.tp_src = 3;
	e.key.tp_dst = 3;
	expect_ok(&f, &e);
}

static void
test_icmp_echo_without_identifier_is_truncated(void **state)
{
	struct frame f = { 0 };
	uint16_t ip;

	(void)state;
	eth(&f, ETH_IPV4);
	ip = ip4(&f, IPPROTO_ICMP);
	put8(&f, 8);
	put8(&f, 0);
	put16(&f, 0); /* checksum, then nothing: no identifier to key on */
	ip4_end(&f, ip);
	expect_drop(&f, DROP_L4_TRUNCATED);
}

static void
test_ipv4_options_move_l4(void **state)
{
	struct frame f = { 0 };
	struct pkt_meta e;
	uint16_t ip;

	(void)state;
	eth(&f, ETH_IPV4);
	ip = ip4(&f, IPPROTO_TCP);
	put32(&f, 0x01010101); /* 8 bytes of NOP options */
	put32(&f, 0x01010101);
	f.b[ip] = 0x47;        /* IHL 7 */
	tcp(&f, 1234, 22);
	ip4_end(&f, ip);

	e = expect_l2(ETH_IPV4, 14);
	expect_ip4(&e, IPPROTO_TCP, 28, 42);
	e.key.tp_src = 1234;
	e.key.tp_dst = 22;
	expect_ok(&f, &e);
}

static void
test_ipv4_ethernet_padding_is_ignored(void **state)
{
	struct frame f = { 0 };
	struct pkt_meta e;
	uint16_t ip, u;

	(void)state;
	eth(&f, ETH_IPV4);
	ip = ip4(&f, IPPROTO_UDP);
	u = udp(&f, 1000, 2000);
	udp_end(&f, u);
	ip4_end(&f, ip);
	zeros(&f, 60 - f.len); /* minimum frame */

	e = expect_l2(ETH_IPV4, 14);
	expect_ip4(&e, IPPROTO_UDP, 20, 34);
	e.key.tp_src = 1000;
	e.key.tp_dst = 2000;
	expect_ok(&f, &e);
}

static void
test_ipv4_unknown_protocol_stops_at_nw_proto(void **state)
{
	struct frame f = { 0 };
	struct pkt_meta e;
	uint16_t ip;

	(void)state;
	eth(&f, ETH_IPV4);
	ip = ip4(&f, 89); /* OSPF */
	put32(&f, 0x02010000);
	ip4_end(&f, ip);

	e = expect_l2(ETH_IPV4, 14);
	expect_ip4(&e, 89, 20, 34);
	expect_ok(&f, &e);
}

static void
test_ipv4_sctp_ports(void **state)
{
	struct frame f = { 0 };
	struct pkt_meta e;
	uint16_t ip;

	(void)state;
	eth(&f, ETH_IPV4);
	ip = ip4(&f, IPPROTO_SCTP);
	put16(&f, 2905);
	put16(&f, 3868);
	put32(&f, 0x11223344); /* verification tag */
	put32(&f, 0);          /* checksum */
	ip4_end(&f, ip);

	e = expect_l2(ETH_IPV4, 14);
	expect_ip4(&e, IPPROTO_SCTP, 20, 34);
	e.key.tp_src = 2905;
	e.key.tp_dst = 3868;
	expect_ok(&f, &e);
}

/* IPv4 fragments */

static void
test_ipv4_first_fragment_has_ports(void **state)
{
	struct frame f = { 0 };
	struct pkt_meta e;
	uint16_t ip, u;

	(void)state;
	eth(&f, ETH_IPV4);
	ip = ip4(&f, IPPROTO_UDP);
	set16(&f, ip + 6, IP4_MF);
	u = udp(&f, 4000, 5000);
	zeros(&f, 16);
	/* The UDP length is the whole datagram's, longer than this fragment. */
	set16(&f, u + 4, 3000);
	ip4_end(&f, ip);

	e = expect_l2(ETH_IPV4, 14);
	expect_ip4(&e, IPPROTO_UDP, 20, 34);
	e.key.nw_frag = FLOW_FRAG_FIRST;
	e.key.tp_src = 4000;
	e.key.tp_dst = 5000;
	expect_ok(&f, &e);
}

static void
test_ipv4_later_fragment_has_no_l4(void **state)
{
	struct frame f = { 0 };
	struct pkt_meta e;
	uint16_t ip;

	(void)state;
	eth(&f, ETH_IPV4);
	ip = ip4(&f, IPPROTO_UDP);
	set16(&f, ip + 6, 185); /* offset 1480, last fragment */
	put32(&f, 0x12345678);  /* data that must not be read as ports */
	zeros(&f, 12);
	ip4_end(&f, ip);

	e = expect_l2(ETH_IPV4, 14);
	expect_ip4(&e, IPPROTO_UDP, 20, 0);
	e.key.nw_frag = FLOW_FRAG_LATER;
	expect_ok(&f, &e);
}

static void
test_ipv4_fragment_ending_at_64k_is_fine(void **state)
{
	struct frame f = { 0 };
	struct pkt_meta e;
	uint16_t ip;

	(void)state;
	eth(&f, ETH_IPV4);
	ip = ip4(&f, IPPROTO_UDP);
	set16(&f, ip + 6, 8190); /* 65520 + 8 bytes of data = 65528 */
	zeros(&f, 8);
	ip4_end(&f, ip);

	e = expect_l2(ETH_IPV4, 14);
	expect_ip4(&e, IPPROTO_UDP, 20, 0);
	e.key.nw_frag = FLOW_FRAG_LATER;
	expect_ok(&f, &e);
}

/* VLAN */

static void
test_vlan_8021q(void **state)
{
	struct frame f = { 0 };
	struct pkt_meta e;
	uint16_t ip, u;

	(void)state;
	eth(&f, ETH_VLAN);
	vlan(&f, 0x2064, ETH_IPV4); /* PCP 1, VID 100 */
	ip = ip4(&f, IPPROTO_UDP);
	u = udp(&f, 68, 67);
	udp_end(&f, u);
	ip4_end(&f, ip);

	e = expect_l2(ETH_IPV4, 18);
	e.key.vlan_outer = 0x2064;
	expect_ip4(&e, IPPROTO_UDP, 20, 38);
	e.key.tp_src = 68;
	e.key.tp_dst = 67;
	expect_ok(&f, &e);
}

static void
test_vlan_qinq(void **state)
{
	struct frame f = { 0 };
	struct pkt_meta e;
	uint16_t ip;

	(void)state;
	eth(&f, ETH_QINQ);
	vlan(&f, 0x00c8, ETH_VLAN); /* S-tag VID 200 */
	vlan(&f, 0xa00a, ETH_IPV4); /* C-tag PCP 5, VID 10 */
	ip = ip4(&f, IPPROTO_TCP);
	tcp(&f, 33000, 443);
	ip4_end(&f, ip);

	e = expect_l2(ETH_IPV4, 22);
	e.key.vlan_outer = 0x00c8;
	e.key.vlan_inner = 0xa00a;
	expect_ip4(&e, IPPROTO_TCP, 20, 42);
	e.key.tp_src = 33000;
	e.key.tp_dst = 443;
	expect_ok(&f, &e);
}

static void
test_vlan_third_tag_dropped(void **state)
{
	struct frame f = { 0 };
	uint16_t ip;

	(void)state;
	eth(&f, ETH_QINQ);
	vlan(&f, 1, ETH_VLAN);
	vlan(&f, 2, ETH_VLAN);
	vlan(&f, 3, ETH_IPV4);
	ip = ip4(&f, IPPROTO_TCP);
	tcp(&f, 1, 2);
	ip4_end(&f, ip);
	expect_drop(&f, DROP_VLAN_TOO_MANY);
}

static void
test_unknown_ethertype_keeps_l2_only(void **state)
{
	struct frame f = { 0 };
	struct pkt_meta e;

	(void)state;
	eth(&f, 0x88cc); /* LLDP */
	zeros(&f, 46);

	e = expect_l2(0x88cc, 14);
	expect_ok(&f, &e);
}

/* ARP */

static void
test_arp_request(void **state)
{
	struct frame f = { 0 };
	struct pkt_meta e;

	(void)state;
	eth(&f, ETH_ARP);
	arp(&f, 1, ip4_src, ip4_dst);
	zeros(&f, 18); /* padding to 60 bytes */

	e = expect_l2(ETH_ARP, 14);
	e.key.l3_kind = FLOW_L3_ARP;
	memcpy(e.key.nw_src, ip4_src, 4);
	memcpy(e.key.nw_dst, ip4_dst, 4);
	e.key.nw_proto = 1;
	e.l3_len = 28;
	expect_ok(&f, &e);
}

static void
test_arp_reply_on_vlan(void **state)
{
	struct frame f = { 0 };
	struct pkt_meta e;

	(void)state;
	eth(&f, ETH_VLAN);
	vlan(&f, 7, ETH_ARP);
	arp(&f, 2, ip4_dst, ip4_src);

	e = expect_l2(ETH_ARP, 18);
	e.key.vlan_outer = 7;
	e.key.l3_kind = FLOW_L3_ARP;
	memcpy(e.key.nw_src, ip4_dst, 4);
	memcpy(e.key.nw_dst, ip4_src, 4);
	e.key.nw_proto = 2;
	e.l3_len = 28;
	expect_ok(&f, &e);
}

static void
test_arp_not_ethernet_ipv4_dropped(void **state)
{
	struct frame f = { 0 };
	uint16_t a;

	(void)state;
	eth(&f, ETH_ARP);
	a = arp(&f, 1, ip4_src, ip4_dst);
	f.b[a + 5] = 16; /* protocol address length of IPv6 */
	expect_drop(&f, DROP_ARP_BAD_FORMAT);

	f.b[a + 5] = 4;
	set16(&f, a, 6); /* IEEE 802 hardware */
	expect_drop(&f, DROP_ARP_BAD_FORMAT);
}

static void
test_arp_truncated(void **state)
{
	struct frame f = { 0 };

	(void)state;
	eth(&f, ETH_ARP);
	arp(&f, 1, ip4_src, ip4_dst);
	f.len -= 1;
	expect_drop(&f, DROP_ARP_TRUNCATED);
}

/* IPv6 */

static void
test_ipv6_tcp(void **state)
{
	struct frame f = { 0 };
	struct pkt_meta e;
	uint16_t ip;

	(void)state;
	eth(&f, ETH_IPV6);
	ip = ip6(&f, IPPROTO_TCP);
	tcp(&f, 40000, 8080);
	ip6_end(&f, ip);

	e = expect_l2(ETH_IPV6, 14);
	expect_ip6(&e, IPPROTO_TCP, 40, 54);
	e.key.tp_src = 40000;
	e.key.tp_dst = 8080;
	expect_ok(&f, &e);
}

static void
test_ipv6_hop_by_hop_and_dest_options_are_skipped(void **state)
{
	struct frame f = { 0 };
	struct pkt_meta e;
	uint16_t ip, u;

	(void)state;
	eth(&f, ETH_IPV6);
	ip = ip6(&f, IPPROTO_HOPOPTS);
	ext6(&f, IPPROTO_DSTOPTS, 0); /* 8 bytes */
	ext6(&f, IPPROTO_UDP, 1);     /* 16 bytes */
	u = udp(&f, 546, 547);
	udp_end(&f, u);
	ip6_end(&f, ip);

	e = expect_l2(ETH_IPV6, 14);
	expect_ip6(&e, IPPROTO_UDP, 40 + 8 + 16, 14 + 64);
	e.key.tp_src = 546;
	e.key.tp_dst = 547;
	expect_ok(&f, &e);
}

static void
test_ipv6_ah_length_counts_4_byte_units(void **state)
{
	struct frame f = { 0 };
	struct pkt_meta e;
	uint16_t ip;

	(void)state;
	eth(&f, ETH_IPV6);
	ip = ip6(&f, IPPROTO_AH);
	put8(&f, IPPROTO_TCP);
	put8(&f, 4);  /* (4 + 2) * 4 = 24 bytes */
	zeros(&f, 22);
	tcp(&f, 179, 50000);
	ip6_end(&f, ip);

	e = expect_l2(ETH_IPV6, 14);
	expect_ip6(&e, IPPROTO_TCP, 40 + 24, 14 + 64);
	e.key.tp_src = 179;
	e.key.tp_dst = 50000;
	expect_ok(&f, &e);
}

static void
test_ipv6_eight_extension_headers_are_walked(void **state)
{
	struct frame f = { 0 };
	struct pkt_meta e;
	uint16_t ip;
	int i;

	(void)state;
	eth(&f, ETH_IPV6);
	ip = ip6(&f, IPPROTO_DSTOPTS);
	for (i = 1; i < PACKET_PARSE_MAX_IPV6_EXT; i++)
		ext6(&f, IPPROTO_DSTOPTS, 0);
	ext6(&f, IPPROTO_ICMPV6, 0);
	icmp(&f, 129, 0);
	ip6_end(&f, ip);

	e = expect_l2(ETH_IPV6, 14);
	expect_ip6(&e, IPPROTO_ICMPV6, 40 + 8 * PACKET_PARSE_MAX_IPV6_EXT,
		   14 + 40 + 8 * PACKET_PARSE_MAX_IPV6_EXT);
	e.key.tp_src = 129; /* echo reply, identifier 1 */
	e.key.tp_dst = 1;
	expect_ok(&f, &e);
}

static void
test_ipv6_icmpv6(void **state)
{
	struct frame f = { 0 };
	struct pkt_meta e;
	uint16_t ip;

	(void)state;
	eth(&f, ETH_IPV6);
	ip = ip6(&f, IPPROTO_ICMPV6);
	icmp(&f, 135, 0); /* neighbor solicitation */
	zeros(&f, 16);
	ip6_end(&f, ip);

	e = expect_l2(ETH_IPV6, 14);
	expect_ip6(&e, IPPROTO_ICMPV6, 40, 54);
	e.key.tp_src = 135;
	e.key.tp_dst = 0;
	expect_ok(&f, &e);
}

static void
test_ipv6_first_fragment_has_ports(void **state)
{
	struct frame f = { 0 };
	struct pkt_meta e;
	uint16_t ip;

	(void)state;
	eth(&f, ETH_IPV6);
	ip = ip6(&f, IPPROTO_FRAGMENT);
	frag6(&f, IPPROTO_TCP, 0, 1);
	tcp(&f, 40001, 443);
	ip6_end(&f, ip);

	e = expect_l2(ETH_IPV6, 14);
	expect_ip6(&e, IPPROTO_TCP, 48, 62);
	e.key.nw_frag = FLOW_FRAG_FIRST;
	e.key.tp_src = 40001;
	e.key.tp_dst = 443;
	expect_ok(&f, &e);
}

static void
test_ipv6_later_fragment_has_no_l4(void **state)
{
	struct frame f = { 0 };
	struct pkt_meta e;
	uint16_t ip;

	(void)state;
	eth(&f, ETH_IPV6);
	ip = ip6(&f, IPPROTO_HOPOPTS);
	ext6(&f, IPPROTO_FRAGMENT, 0);
	frag6(&f, IPPROTO_TCP, 185, 1);
	put32(&f, 0x12345678); /* data that must not be read as ports */
	zeros(&f, 12);
	ip6_end(&f, ip);

	e = expect_l2(ETH_IPV6, 14);
	expect_ip6(&e, IPPROTO_TCP, 40 + 8 + 8, 0);
	e.key.nw_frag = FLOW_FRAG_LATER;
	expect_ok(&f, &e);
}

static void
test_ipv6_atomic_fragment_is_not_fragmented(void **state)
{
	struct frame f = { 0 };
	struct pkt_meta e;
	uint16_t ip, u;

	(void)state;
	eth(&f, ETH_IPV6);
	ip = ip6(&f, IPPROTO_FRAGMENT);
	frag6(&f, IPPROTO_UDP, 0, 0); /* RFC 6946 */
	u = udp(&f, 7, 9);
	udp_end(&f, u);
	ip6_end(&f, ip);

	e = expect_l2(ETH_IPV6, 14);
	expect_ip6(&e, IPPROTO_UDP, 48, 62);
	e.key.tp_src = 7;
	e.key.tp_dst = 9;
	expect_ok(&f, &e);
}

/* Tunnels: recognised, not decapsulated; the key is the outer headers. */

static void
test_vxlan_recognised(void **state)
{
	struct frame f = { 0 };
	struct pkt_meta e;
	uint16_t ip, u;

	(void)state;
	eth(&f, ETH_IPV4);
	ip = ip4(&f, IPPROTO_UDP);
	u = udp(&f, 51000, KAIRO_VXLAN_DEFAULT_PORT);
	vxlan(&f, 0x123456);
	eth(&f, ETH_IPV4); /* inner frame */
	udp_end(&f, u);
	ip4_end(&f, ip);

	e = expect_l2(ETH_IPV4, 14);
	expect_ip4(&e, IPPROTO_UDP, 20, 34);
	e.key.tp_src = 51000;
	e.key.tp_dst = KAIRO_VXLAN_DEFAULT_PORT;
	e.tunnel = PKT_TUNNEL_VXLAN;
	e.tunnel_key = 0x123456;
	e.tunnel_ofs = 14 + 20 + 8 + 8;
	expect_ok(&f, &e);
}

static void
test_vxlan_port_comes_from_config(void **state)
{
	struct frame f = { 0 };
	struct pkt_meta e;
	uint16_t ip, u;

	(void)state;
	eth(&f, ETH_IPV4);
	ip = ip4(&f, IPPROTO_UDP);
	u = udp(&f, 51000, KAIRO_VXLAN_DEFAULT_PORT);
	vxlan(&f, 5);
	udp_end(&f, u);
	ip4_end(&f, ip);

	e = expect_l2(ETH_IPV4, 14);
	expect_ip4(&e, IPPROTO_UDP, 20, 34);
	e.key.tp_src = 51000;
	e.key.tp_dst = KAIRO_VXLAN_DEFAULT_PORT;
	cfg.vxlan_udp_port = 6677; /* MidoNet's default */
	expect_ok(&f, &e);
	cfg.vxlan_udp_port = KAIRO_VXLAN_DEFAULT_PORT;
}

/* gre_flags: C, K, S as bits 3, 1, 0 (flow_key.h: byte 0 >> 4 & 0xb). */
#define GRE_META_C 0x8
#define GRE_META_K 0x2
#define GRE_META_S 0x1

static void
test_gre_with_checksum_key_and_sequence(void **state)
{
	struct frame f = { 0 };
	struct pkt_meta e;
	uint16_t ip;

	(void)state;
	eth(&f, ETH_IPV4);
	ip = ip4(&f, IPPROTO_GRE);
	put8(&f, 0xb0); /* C, K, S */
	put8(&f, 0x00); /* version 0 */
	put16(&f, ETH_TEB);
	put32(&f, 0xffff0000); /* checksum, reserved1 */
	put32(&f, 0xdeadbeef); /* key */
	put32(&f, 7);          /* sequence */
	eth(&f, ETH_IPV4);
	ip4_end(&f, ip);

	e = expect_l2(ETH_IPV4, 14);
	expect_ip4(&e, IPPROTO_GRE, 20, 34);
	e.tunnel = PKT_TUNNEL_GRE;
	e.gre_flags = GRE_META_C | GRE_META_K | GRE_META_S;
	e.tunnel_key = 0xdeadbeef;
	e.tunnel_ofs = 14 + 20 + 16;
	expect_ok(&f, &e);
}

static void
test_gre_without_key(void **state)
{
	struct frame f = { 0 };
	struct pkt_meta e;
	uint16_t ip;

	(void)state;
	eth(&f, ETH_IPV4);
	ip = ip4(&f, IPPROTO_GRE);
	put16(&f, 0x0000);
	put16(&f, ETH_IPV4);
	zeros(&f, 20); /* inner IPv4 header */
	ip4_end(&f, ip);

	e = expect_l2(ETH_IPV4, 14);
	expect_ip4(&e, IPPROTO_GRE, 20, 34);
	e.tunnel = PKT_TUNNEL_GRE;
	e.tunnel_ofs = 14 + 20 + 4;
	expect_ok(&f, &e);
}

static void
test_gre_over_ipv6_key_only(void **state)
{
	struct frame f = { 0 };
	struct pkt_meta e;
	uint16_t ip;

	(void)state;
	eth(&f, ETH_IPV6);
	ip = ip6(&f, IPPROTO_GRE);
	put16(&f, 0x2000); /* K */
	put16(&f, ETH_TEB);
	put32(&f, 42);
	eth(&f, ETH_ARP);
	ip6_end(&f, ip);

	e = expect_l2(ETH_IPV6, 14);
	expect_ip6(&e, IPPROTO_GRE, 40, 54);
	e.tunnel = PKT_TUNNEL_GRE;
	e.gre_flags = GRE_META_K;
	e.tunnel_key = 42;
	e.tunnel_ofs = 14 + 40 + 8;
	expect_ok(&f, &e);
}

static void
test_gre_version_1_dropped(void **state)
{
	struct frame f = { 0 };
	uint16_t ip;

	(void)state;
	eth(&f, ETH_IPV4);
	ip = ip4(&f, IPPROTO_GRE);
	put16(&f, 0x3081); /* PPTP: K, S, A, version 1 */
	put16(&f, 0x880b);
	put32(&f, 0);
	put32(&f, 0);
	ip4_end(&f, ip);
	expect_drop(&f, DROP_GRE_BAD_VERSION);
}

/* Key bytes depend only on the frame. */

static void
test_key_bytes_do_not_depend_on_previous_metadata(void **state)
{
	struct frame f = { 0 };
	struct pkt_meta zero_filled, one_filled;
	uint16_t ip, u;

	(void)state;
	eth(&f, ETH_QINQ);
	vlan(&f, 10, ETH_VLAN);
	vlan(&f, 20, ETH_IPV4);
	ip = ip4(&f, IPPROTO_UDP);
	u = udp(&f, 1, KAIRO_VXLAN_DEFAULT_PORT);
	vxlan(&f, 99);
	udp_end(&f, u);
	ip4_end(&f, ip);

	assert_reason(parse(&f, 0x00, &zero_filled), DROP_NONE);
	assert_reason(parse(&f, 0xff, &one_filled), DROP_NONE);
	assert_memory_equal(&zero_filled.key, &one_filled.key, sizeof(struct flow_key));
	assert_memory_equal(zero_filled.key.reserved, (uint8_t[8]){ 0 }, 8);
}

static void
test_headers_are_read_from_the_first_segment_only(void **state)
{
	struct frame f = { 0 };
	struct rte_mbuf *head, *tail;
	struct pkt_meta meta;
	uint16_t ip;

	(void)state;
	eth(&f, ETH_IPV4);
	ip = ip4(&f, IPPROTO_TCP);
	tcp(&f, 1, 2);
	ip4_end(&f, ip);

	/*
	 * The first segment ends inside the IPv4 header: the packet holds it,
	 * but not in one piece.  Not truncated, not linearized: a named drop.
	 */
	head = mbuf_from(f.b, 30);
	tail = mbuf_from(f.b + 30, f.len - 30);
	assert_int_equal(rte_pktmbuf_chain(head, tail), 0);
	assert_reason(packet_parse(head, IN_PORT, &cfg, &meta), DROP_HEADERS_SPLIT);
	rte_pktmbuf_free(head);

	/* The same for an L4 header: the first segment ends inside TCP's. */
	head = mbuf_from(f.b, 14 + 20 + 10);
	tail = mbuf_from(f.b + 14 + 20 + 10, f.len - (14 + 20 + 10));
	assert_int_equal(rte_pktmbuf_chain(head, tail), 0);
	assert_reason(packet_parse(head, IN_PORT, &cfg, &meta), DROP_HEADERS_SPLIT);
	rte_pktmbuf_free(head);
}

/* Chained (jumbo) frames: lengths are checked against the whole packet. */

/*
 * What a driver with scatter RX (or net_pcap) hands over for a frame of
 * total bytes: f's bytes and then zeros, in segments of at most seg bytes.
 */
static struct rte_mbuf *
chain_from(const struct frame *f, uint32_t total, uint16_t seg)
{
	struct rte_mbuf *head = NULL;
	uint32_t done = 0;

	assert_true(f->len <= total);
	while (done < total) {
		uint16_t n = (uint16_t)RTE_MIN((uint32_t)seg, total - done);
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		uint8_t *p;

		assert_non_null(m);
		p = (uint8_t *)rte_pktmbuf_append(m, n);
		assert_non_null(p);
		memset(p, 0, n);
		if (done < f->len)
			memcpy(p, f->b + done, RTE_MIN((uint32_t)n, (uint32_t)f->len - done));
		if (head == NULL)
			head = m;
		else
			assert_int_equal(rte_pktmbuf_chain(head, m), 0);
		done += n;
	}
	return head;
}

static int
parse_chain(const struct frame *f, uint32_t total, uint16_t seg, struct pkt_meta *out)
{
	struct rte_mbuf *m = chain_from(f, total, seg);
	struct pkt_meta *meta = pkt_meta(m);
	int rc;

	memset(meta, GARBAGE, sizeof(*meta));
	rc = packet_parse(m, IN_PORT, &cfg, meta);
	*out = *meta;
	rte_pktmbuf_free(m);
	return rc;
}

/* The data room of a default mbuf: how drivers split a jumbo frame. */
#define SEG_LEN (RTE_MBUF_DEFAULT_BUF_SIZE - RTE_PKTMBUF_HEADROOM)

static void
test_jumbo_ipv4_udp_in_a_chain_is_well_formed(void **state)
{
	static const uint32_t sizes[] = { 2100, 3000, 9000, 9014 };
	struct pkt_meta e, got;
	unsigned int i;

	(void)state;
	for (i = 0; i < RTE_DIM(sizes); i++) {
		struct frame f = { 0 };
		uint16_t ip, u;

		eth(&f, ETH_IPV4);
		ip = ip4(&f, IPPROTO_UDP);
		u = udp(&f, 4000, 5000);
		/* Headers in the first segment; the lengths count the whole frame. */
		set16(&f, ip + 2, (uint16_t)(sizes[i] - 14));
		set16(&f, u + 4, (uint16_t)(sizes[i] - 14 - 20));

		e = expect_l2(ETH_IPV4, 14);
		expect_ip4(&e, IPPROTO_UDP, 20, 34);
		e.key.tp_src = 4000;
		e.key.tp_dst = 5000;
		assert_reason(parse_chain(&f, sizes[i], SEG_LEN, &got), DROP_NONE);
		assert_meta(&got, &e);
	}
}

static void
test_jumbo_ipv6_tcp_in_a_chain_is_well_formed(void **state)
{
	struct frame f = { 0 };
	struct pkt_meta e, got;
	uint16_t ip;

	(void)state;
	eth(&f, ETH_IPV6);
	ip = ip6(&f, IPPROTO_TCP);
	tcp(&f, 40000, 22);
	set16(&f, ip + 4, 9000 - 14 - 40);

	e = expect_l2(ETH_IPV6, 14);
	expect_ip6(&e, IPPROTO_TCP, 40, 54);
	e.key.tp_src = 40000;
	e.key.tp_dst = 22;
	assert_reason(parse_chain(&f, 9000, SEG_LEN, &got), DROP_NONE);
	assert_meta(&got, &e);
}

static void
test_jumbo_chain_shorter_than_its_lengths_is_malformed(void **state)
{
	struct frame f = { 0 };
	struct pkt_meta got;
	uint16_t ip, u;

	(void)state;
	eth(&f, ETH_IPV4);
	ip = ip4(&f, IPPROTO_UDP);
	u = udp(&f, 4000, 5000);
	set16(&f, ip + 2, 3100 - 14); /* 100 bytes more than the chain holds */
	set16(&f, u + 4, 3100 - 14 - 20);
	assert_reason(parse_chain(&f, 3000, SEG_LEN, &got), DROP_IPV4_BAD_TOTAL_LEN);

	set16(&f, ip + 2, 3000 - 14);
	assert_reason(parse_chain(&f, 3000, SEG_LEN, &got), DROP_UDP_BAD_LEN);
}

/* Malformed: Ethernet, VLAN */

static void
test_eth_truncated(void **state)
{
	struct frame f = { 0 };

	(void)state;
	eth(&f, ETH_IPV4);
	f.len = 13;
	expect_drop(&f, DROP_ETH_TRUNCATED);
	f.len = 0;
	expect_drop(&f, DROP_ETH_TRUNCATED);
}

static void
test_vlan_truncated(void **state)
{
	struct frame f = { 0 };

	(void)state;
	eth(&f, ETH_VLAN);
	put16(&f, 100); /* TCI, then the frame ends */
	expect_drop(&f, DROP_VLAN_TRUNCATED);
}

/* Malformed: IPv4 (RFC 1812 §5.2.2) */

/* A valid Ethernet/IPv4/UDP frame for the malformed cases to break; returns the IP offset. */
static uint16_t
ipv4_udp_frame(struct frame *f)
{
	uint16_t ip, u;

	eth(f, ETH_IPV4);
	ip = ip4(f, IPPROTO_UDP);
	u = udp(f, 1, 2);
	put32(f, 0);
	udp_end(f, u);
	ip4_end(f, ip);
	return ip;
}

static void
test_ipv4_truncated(void **state)
{
	struct frame f = { 0 };

	(void)state;
	ipv4_udp_frame(&f);
	f.len = 14 + 19;
	expect_drop(&f, DROP_IPV4_TRUNCATED);
}

static void
test_ipv4_bad_version(void **state)
{
	struct frame f = { 0 };
	uint16_t ip = ipv4_udp_frame(&f);

	(void)state;
	f.b[ip] = 0x65;
	expect_drop(&f, DROP_IPV4_BAD_VERSION);
}

static void
test_ipv4_ihl_below_5(void **state)
{
	struct frame f = { 0 };
	uint16_t ip = ipv4_udp_frame(&f);

	(void)state;
	f.b[ip] = 0x44;
	expect_drop(&f, DROP_IPV4_BAD_IHL);
}

static void
test_ipv4_ihl_past_frame(void **state)
{
	struct frame f = { 0 };
	uint16_t ip = ipv4_udp_frame(&f);

	(void)state;
	f.b[ip] = 0x4f; /* 60 bytes; the frame holds 32 after Ethernet */
	expect_drop(&f, DROP_IPV4_BAD_IHL);
}

static void
test_ipv4_total_len_past_frame(void **state)
{
	struct frame f = { 0 };
	uint16_t ip = ipv4_udp_frame(&f);

	(void)state;
	set16(&f, ip + 2, f.len - ip + 1);
	expect_drop(&f, DROP_IPV4_BAD_TOTAL_LEN);
}

static void
test_ipv4_total_len_below_ihl(void **state)
{
	struct frame f = { 0 };
	uint16_t ip = ipv4_udp_frame(&f);

	(void)state;
	set16(&f, ip + 2, 19);
	expect_drop(&f, DROP_IPV4_BAD_TOTAL_LEN);
}

static void
test_ipv4_fragment_past_64k(void **state)
{
	struct frame f = { 0 };
	uint16_t ip;

	(void)state;
	eth(&f, ETH_IPV4);
	ip = ip4(&f, IPPROTO_UDP);
	set16(&f, ip + 6, 8191); /* 65528 + 8 bytes of data = 65536 */
	zeros(&f, 8);
	ip4_end(&f, ip);
	expect_drop(&f, DROP_IPV4_BAD_FRAGMENT);
}

/* Malformed: L4 */

static void
test_tcp_truncated(void **state)
{
	struct frame f = { 0 };
	uint16_t ip;

	(void)state;
	eth(&f, ETH_IPV4);
	ip = ip4(&f, IPPROTO_TCP);
	tcp(&f, 1, 2);
	f.len -= 1;
	ip4_end(&f, ip);
	expect_drop(&f, DROP_L4_TRUNCATED);
}

static void
test_tcp_truncated_first_fragment(void **state)
{
	struct frame f = { 0 };
	uint16_t ip;

	(void)state;
	eth(&f, ETH_IPV4);
	ip = ip4(&f, IPPROTO_TCP);
	set16(&f, ip + 6, IP4_MF);
	tcp(&f, 1, 2);
	f.len -= 12; /* 8 bytes: ports and sequence, the tiny-fragment attack */
	ip4_end(&f, ip);
	expect_drop(&f, DROP_L4_TRUNCATED);
}

static void
test_tcp_fragment_at_offset_1_is_dropped(void **state)
{
	struct frame f = { 0 };
	struct pkt_meta e;
	uint16_t ip;

	(void)state;
	eth(&f, ETH_IPV4);
	ip = ip4(&f, IPPROTO_TCP);
	set16(&f, ip + 6, 1); /* 8 bytes in: it lands on the flags of the first's TCP header */
	zeros(&f, 16);
	ip4_end(&f, ip);
	expect_drop(&f, DROP_TCP_FRAGMENT_OVERLAP);

	/* RFC 1858 4 names TCP at offset 1 only: offset 2 is an ordinary later fragment... */
	set16(&f, ip + 6, 2);
	e = expect_l2(ETH_IPV4, 14);
	expect_ip4(&e, IPPROTO_TCP, 20, 0);
	e.key.nw_frag = FLOW_FRAG_LATER;
	expect_ok(&f, &e);

	/* ... and so is another protocol at offset 1. */
	f.b[ip + 9] = IPPROTO_UDP;
	set16(&f, ip + 6, 1);
	expect_ip4(&e, IPPROTO_UDP, 20, 0);
	expect_ok(&f, &e);
}

static void
test_tcp_bad_data_offset(void **state)
{
	struct frame f = { 0 };
	uint16_t ip, t;

	(void)state;
	eth(&f, ETH_IPV4);
	ip = ip4(&f, IPPROTO_TCP);
	t = tcp(&f, 1, 2);
	ip4_end(&f, ip);

	f.b[t + 12] = 0x40; /* 16 bytes: shorter than the fixed header */
	expect_drop(&f, DROP_TCP_BAD_OFFSET);
	f.b[t + 12] = 0x60; /* 24 bytes: options the packet does not have */
	expect_drop(&f, DROP_TCP_BAD_OFFSET);
}

static void
test_udp_bad_length(void **state)
{
	struct frame f = { 0 };
	uint16_t ip = ipv4_udp_frame(&f);
	uint16_t u = ip + 20;

	(void)state;
	set16(&f, u + 4, 7);
	expect_drop(&f, DROP_UDP_BAD_LEN);
	set16(&f, u + 4, f.len - u + 1);
	expect_drop(&f, DROP_UDP_BAD_LEN);
}

static void
test_udp_truncated(void **state)
{
	struct frame f = { 0 };
	uint16_t ip;

	(void)state;
	eth(&f, ETH_IPV4);
	ip = ip4(&f, IPPROTO_UDP);
	put32(&f, 0x00010002); /* ports only */
	ip4_end(&f, ip);
	zeros(&f, 60 - f.len); /* padding must not complete the header */
	expect_drop(&f, DROP_L4_TRUNCATED);
}

static void
test_icmp_truncated(void **state)
{
	struct frame f = { 0 };
	uint16_t ip;

	(void)state;
	eth(&f, ETH_IPV4);
	ip = ip4(&f, IPPROTO_ICMP);
	put8(&f, 8);
	put16(&f, 0);
	ip4_end(&f, ip);
	expect_drop(&f, DROP_L4_TRUNCATED);
}

/* Malformed: tunnels */

static void
test_vxlan_truncated(void **state)
{
	struct frame f = { 0 };
	uint16_t ip, u;

	(void)state;
	eth(&f, ETH_IPV4);
	ip = ip4(&f, IPPROTO_UDP);
	u = udp(&f, 1, KAIRO_VXLAN_DEFAULT_PORT);
	vxlan(&f, 1);
	f.len -= 1;
	udp_end(&f, u);
	ip4_end(&f, ip);
	expect_drop(&f, DROP_VXLAN_TRUNCATED);

	/* The UDP datagram ends inside the header, though the IP payload goes on. */
	vxlan(&f, 1);
	ip4_end(&f, ip);
	expect_drop(&f, DROP_VXLAN_TRUNCATED);
}

static void
test_gre_truncated(void **state)
{
	struct frame f = { 0 };
	uint16_t ip;

	(void)state;
	eth(&f, ETH_IPV4);
	ip = ip4(&f, IPPROTO_GRE);
	put16(&f, 0xb000);     /* C, K, S: 16 bytes */
	put16(&f, ETH_TEB);
	put32(&f, 0);
	put32(&f, 1);          /* the sequence number is missing */
	ip4_end(&f, ip);
	expect_drop(&f, DROP_GRE_TRUNCATED);

	f.len = ip + 20 + 3;   /* not even the base header */
	ip4_end(&f, ip);
	expect_drop(&f, DROP_GRE_TRUNCATED);
}

/* Malformed: IPv6 */

static void
test_ipv6_truncated(void **state)
{
	struct frame f = { 0 };

	(void)state;
	eth(&f, ETH_IPV6);
	ip6(&f, IPPROTO_NONE);
	f.len -= 1;
	expect_drop(&f, DROP_IPV6_TRUNCATED);
}

static void
test_ipv6_bad_version(void **state)
{
	struct frame f = { 0 };
	uint16_t ip;

	(void)state;
	eth(&f, ETH_IPV6);
	ip = ip6(&f, IPPROTO_NONE);
	f.b[ip] = 0x40 | (f.b[ip] & 0x0f);
	expect_drop(&f, DROP_IPV6_BAD_VERSION);
}

static void
test_ipv6_payload_len_past_frame(void **state)
{
	struct frame f = { 0 };
	uint16_t ip;

	(void)state;
	eth(&f, ETH_IPV6);
	ip = ip6(&f, IPPROTO_TCP);
	tcp(&f, 1, 2);
	ip6_end(&f, ip);
	set16(&f, ip + 4, 21);
	expect_drop(&f, DROP_IPV6_BAD_PAYLOAD_LEN);
}

static void
test_ipv6_ext_header_truncated(void **state)
{
	struct frame f = { 0 };
	uint16_t ip;

	(void)state;
	eth(&f, ETH_IPV6);
	ip = ip6(&f, IPPROTO_DSTOPTS);
	ext6(&f, IPPROTO_TCP, 1);
	f.len -= 8; /* the header says 16 bytes, 8 are there */
	ip6_end(&f, ip);
	expect_drop(&f, DROP_IPV6_BAD_EXT_HDR);

	f.len = ip + 40 + 1; /* not even the length byte */
	ip6_end(&f, ip);
	expect_drop(&f, DROP_IPV6_BAD_EXT_HDR);
}

static void
test_ipv6_too_many_ext_headers(void **state)
{
	struct frame f = { 0 };
	uint16_t ip;
	int i;

	(void)state;
	eth(&f, ETH_IPV6);
	ip = ip6(&f, IPPROTO_DSTOPTS);
	for (i = 0; i < PACKET_PARSE_MAX_IPV6_EXT; i++)
		ext6(&f, IPPROTO_DSTOPTS, 0);
	ext6(&f, IPPROTO_NONE, 0);
	ip6_end(&f, ip);
	expect_drop(&f, DROP_IPV6_BAD_EXT_HDR);
}

static void
test_ipv6_hop_by_hop_after_another_header_is_dropped(void **state)
{
	struct frame f = { 0 };
	uint16_t ip;

	(void)state;
	/* After a fragment header, in a first fragment: the walk reaches it. */
	eth(&f, ETH_IPV6);
	ip = ip6(&f, IPPROTO_FRAGMENT);
	frag6(&f, IPPROTO_HOPOPTS, 0, 1);
	ext6(&f, IPPROTO_TCP, 0);
	tcp(&f, 1, 2);
	ip6_end(&f, ip);
	expect_drop(&f, DROP_IPV6_HOPOPTS_NOT_FIRST);

	/* In a later fragment, whose walk stops at the fragment header. */
	f.len = 0;
	eth(&f, ETH_IPV6);
	ip = ip6(&f, IPPROTO_FRAGMENT);
	frag6(&f, IPPROTO_HOPOPTS, 185, 0);
	zeros(&f, 16);
	ip6_end(&f, ip);
	expect_drop(&f, DROP_IPV6_HOPOPTS_NOT_FIRST);

	/* After destination options. */
	f.len = 0;
	eth(&f, ETH_IPV6);
	ip = ip6(&f, IPPROTO_DSTOPTS);
	ext6(&f, IPPROTO_HOPOPTS, 0);
	ext6(&f, IPPROTO_UDP, 0);
	udp_end(&f, udp(&f, 1, 2));
	ip6_end(&f, ip);
	expect_drop(&f, DROP_IPV6_HOPOPTS_NOT_FIRST);

	/* Twice: the second follows the first. */
	f.len = 0;
	eth(&f, ETH_IPV6);
	ip = ip6(&f, IPPROTO_HOPOPTS);
	ext6(&f, IPPROTO_HOPOPTS, 0);
	ext6(&f, IPPROTO_UDP, 0);
	udp_end(&f, udp(&f, 1, 2));
	ip6_end(&f, ip);
	expect_drop(&f, DROP_IPV6_HOPOPTS_NOT_FIRST);
}

static void
test_ipv6_fragment_past_64k(void **state)
{
	struct frame f = { 0 };
	uint16_t ip;

	(void)state;
	eth(&f, ETH_IPV6);
	ip = ip6(&f, IPPROTO_FRAGMENT);
	frag6(&f, IPPROTO_UDP, 8191, 0);
	zeros(&f, 8);
	ip6_end(&f, ip);
	expect_drop(&f, DROP_IPV6_BAD_FRAGMENT);
}

static void
test_ipv6_tcp_truncated(void **state)
{
	struct frame f = { 0 };
	uint16_t ip;

	(void)state;
	eth(&f, ETH_IPV6);
	ip = ip6(&f, IPPROTO_TCP);
	tcp(&f, 1, 2);
	f.len -= 1;
	ip6_end(&f, ip);
	expect_drop(&f, DROP_L4_TRUNCATED);
}

/* Drop reason names */

static void
test_drop_reason_names(void **state)
{
	unsigned int r;

	(void)state;
	assert_int_equal(DROP_NONE, 0); /* so that 0 means "parsed" */
	assert_string_equal(drop_reason_name(DROP_IPV4_BAD_IHL), "ipv4_bad_ihl");
	assert_string_equal(drop_reason_help(DROP_VLAN_TOO_MANY), "more than two VLAN tags");
	assert_string_equal(drop_reason_name(DROP_REASON_COUNT), "unknown");
	assert_string_equal(drop_reason_help(-1u), "unknown");
	for (r = 0; r < DROP_REASON_COUNT; r++) {
		assert_non_null(drop_reason_name(r));
		assert_true(strlen(drop_reason_help(r)) > 0);
	}
}

/* Fixture */

static int
setup(void **state)
{
	(void)state;
	pool = unit_eal_start("ut_parse", "ut_parse", POOL_SIZE);
	return pool == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	unit_eal_stop(pool);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_tcp),
		cmocka_unit_test(test_ipv4_udp),
		cmocka_unit_test(test_ipv4_icmp_echo_type_and_identifier_take_the_ports),
		cmocka_unit_test(test_ipv4_icmp_error_type_and_code_take_the_ports),
		cmocka_unit_test(test_icmp_echo_without_identifier_is_truncated),
		cmocka_unit_test(test_ipv4_options_move_l4),
		cmocka_unit_test(test_ipv4_ethernet_padding_is_ignored),
		cmocka_unit_test(test_ipv4_unknown_protocol_stops_at_nw_proto),
		cmocka_unit_test(test_ipv4_sctp_ports),
		cmocka_unit_test(test_ipv4_first_fragment_has_ports),
		cmocka_unit_test(test_ipv4_later_fragment_has_no_l4),
		cmocka_unit_test(test_ipv4_fragment_ending_at_64k_is_fine),
		cmocka_unit_test(test_vlan_8021q),
		cmocka_unit_test(test_vlan_qinq),
		cmocka_unit_test(test_vlan_third_tag_dropped),
		cmocka_unit_test(test_unknown_ethertype_keeps_l2_only),
		cmocka_unit_test(test_arp_request),
		cmocka_unit_test(test_arp_reply_on_vlan),
		cmocka_unit_test(test_arp_not_ethernet_ipv4_dropped),
		cmocka_unit_test(test_arp_truncated),
		cmocka_unit_test(test_ipv6_tcp),
		cmocka_unit_test(test_ipv6_hop_by_hop_and_dest_options_are_skipped),
		cmocka_unit_test(test_ipv6_ah_length_counts_4_byte_units),
		cmocka_unit_test(test_ipv6_eight_extension_headers_are_walked),
		cmocka_unit_test(test_ipv6_icmpv6),
		cmocka_unit_test(test_ipv6_first_fragment_has_ports),
		cmocka_unit_test(test_ipv6_later_fragment_has_no_l4),
		cmocka_unit_test(test_ipv6_atomic_fragment_is_not_fragmented),
		cmocka_unit_test(test_vxlan_recognised),
		cmocka_unit_test(test_vxlan_port_comes_from_config),
		cmocka_unit_test(test_gre_with_checksum_key_and_sequence),
		cmocka_unit_test(test_gre_without_key),
		cmocka_unit_test(test_gre_over_ipv6_key_only),
		cmocka_unit_test(test_gre_version_1_dropped),
		cmocka_unit_test(test_key_bytes_do_not_depend_on_previous_metadata),
		cmocka_unit_test(test_headers_are_read_from_the_first_segment_only),
		cmocka_unit_test(test_jumbo_ipv4_udp_in_a_chain_is_well_formed),
		cmocka_unit_test(test_jumbo_ipv6_tcp_in_a_chain_is_well_formed),
		cmocka_unit_test(test_jumbo_chain_shorter_than_its_lengths_is_malformed),
		cmocka_unit_test(test_eth_truncated),
		cmocka_unit_test(test_vlan_truncated),
		cmocka_unit_test(test_ipv4_truncated),
		cmocka_unit_test(test_ipv4_bad_version),
		cmocka_unit_test(test_ipv4_ihl_below_5),
		cmocka_unit_test(test_ipv4_ihl_past_frame),
		cmocka_unit_test(test_ipv4_total_len_past_frame),
		cmocka_unit_test(test_ipv4_total_len_below_ihl),
		cmocka_unit_test(test_ipv4_fragment_past_64k),
		cmocka_unit_test(test_tcp_truncated),
		cmocka_unit_test(test_tcp_truncated_first_fragment),
		cmocka_unit_test(test_tcp_fragment_at_offset_1_is_dropped),
		cmocka_unit_test(test_tcp_bad_data_offset),
		cmocka_unit_test(test_udp_bad_length),
		cmocka_unit_test(test_udp_truncated),
		cmocka_unit_test(test_icmp_truncated),
		cmocka_unit_test(test_vxlan_truncated),
		cmocka_unit_test(test_gre_truncated),
		cmocka_unit_test(test_ipv6_truncated),
		cmocka_unit_test(test_ipv6_bad_version),
		cmocka_unit_test(test_ipv6_payload_len_past_frame),
		cmocka_unit_test(test_ipv6_ext_header_truncated),
		cmocka_unit_test(test_ipv6_too_many_ext_headers),
		cmocka_unit_test(test_ipv6_hop_by_hop_after_another_header_is_dropped),
		cmocka_unit_test(test_ipv6_fragment_past_64k),
		cmocka_unit_test(test_ipv6_tcp_truncated),
		cmocka_unit_test(test_drop_reason_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
