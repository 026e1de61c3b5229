/* SPDX-License-Identifier: Apache-2.0 */
/*
 * packet_gen, as a specification.  Each builder's output is compared byte by
 * byte with a frame written out by hand (or with the test's own frame
 * builder, whose checksum code is independent of DPDK's), then parsed with
 * packet_parse to show the dataplane reads the key we mean.  The ICMP
 * builders are also fed every packet RFC 1812 4.3.2.7 forbids answering and
 * every truncation we could think of: all must give NULL.
 *
 * Before each test every mbuf's private area is filled with garbage, so a
 * builder that forgets to zero pkt_meta shows up; after it the pool must be
 * full again, so a leak shows up too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
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
#include "flow_key.h"
#include "packet_gen.h"
#include "packet_parse.h"

#define IN_PORT 2
#define POOL_SIZE 63
#define FRAME_MAX 2048
#define GARBAGE 0xa5
#define PAD_GARBAGE 0xee /* Ethernet padding of input frames: must never be echoed or quoted */

#define ETH_LEN 14
#define IP_LEN 20
#define ICMP_LEN 8
#define FRAME_MIN 60

#define ETH_IPV4 0x0800
#define ETH_VLAN 0x8100
#define IP4_DF 0x4000
#define IP4_MF 0x2000
#define IP4_RESERVED 0x8000

#define ECHO_ID 0xbeef
#define ECHO_SEQ 7

/* Aligned like struct rte_ether_addr, which mac() makes of them. */
static const uint8_t mac_router[RTE_ETHER_ADDR_LEN] __rte_aligned(2) = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t mac_host[RTE_ETHER_ADDR_LEN] __rte_aligned(2) = { 0x0a, 0x0b, 0x0c, 0x0d,
									0x0e, 0x0f };
static const uint8_t ip_router[4] = { 192, 0, 2, 1 };
static const uint8_t ip_host[4] = { 192, 0, 2, 99 };
static const uint8_t ip_far[4] = { 198, 51, 100, 2 };

static struct rte_mempool *pool;
static const struct parse_config cfg = { .vxlan_udp_port = KAIRO_VXLAN_DEFAULT_PORT };

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
fill(struct frame *f, uint8_t v, uint16_t n)
{
	uint16_t ofs = f->len;

	assert_true(f->len + n <= FRAME_MAX);
	memset(f->b + ofs, v, n);
	f->len += n;
	return ofs;
}

static void
set16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* RFC 1071 one's complement sum, big-endian words, written without DPDK's helpers. */
static uint16_t
ones_sum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static void
put_cksum(uint8_t *start, size_t n, uint8_t *field)
{
	set16(field, 0);
	set16(field, (uint16_t)~ones_sum(start, n));
}

static void
eth(struct frame *f, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	put(f, dst, RTE_ETHER_ADDR_LEN);
	put(f, src, RTE_ETHER_ADDR_LEN);
	put16(f, type);
}

struct ip4_spec {
	uint8_t opt_len; /* bytes of options, a multiple of 4: NOPs ended by EOL */
	uint8_t tos;
	uint16_t id;
	uint16_t frag; /* flags and offset, as in the header */
	uint8_t ttl;
	uint8_t proto;
	const uint8_t *src;
	const uint8_t *dst;
};

/* An IPv4 header; ip4_end() sets the total length (to the end of f) and the checksum. */
static uint16_t
ip4(struct frame *f, const struct ip4_spec *s)
{
	uint16_t ofs = put8(f, 0x45 + s->opt_len / 4);

	put8(f, s->tos);
	put16(f, 0);
	put16(f, s->id);
	put16(f, s->frag);
	put8(f, s->ttl);
	put8(f, s->proto);
	put16(f, 0);
	put(f, s->src, 4);
	put(f, s->dst, 4);
	if (s->opt_len > 0) {
		fill(f, 1, s->opt_len - 1);
		put8(f, 0);
	}
	return ofs;
}

static void
ip4_end(struct frame *f, uint16_t ofs)
{
	set16(f->b + ofs + 2, f->len - ofs);
	put_cksum(f->b + ofs, (f->b[ofs] & 0xf) * 4, f->b + ofs + 10);
}

/* Checksum of the ICMP message from ofs to the end of f. */
static void
icmp_end(struct frame *f, uint16_t ofs)
{
	put_cksum(f->b + ofs, f->len - ofs, f->b + ofs + 2);
}

static void
pad(struct frame *f, uint8_t v)
{
	if (f->len < FRAME_MIN)
		fill(f, v, FRAME_MIN - f->len);
}

static void
payload(struct frame *f, uint16_t n)
{
	uint16_t i;

	for (i = 0; i < n; i++)
		put8(f, (uint8_t)(i * 7 + 1));
}

static rte_be32_t
be32(const uint8_t a[4])
{
	rte_be32_t v;

	memcpy(&v, a, sizeof(v));
	return v;
}

static const struct rte_ether_addr *
mac(const uint8_t *m)
{
	return (const struct rte_ether_addr *)m;
}

/* A copy of f in a new mbuf from the pool. */
static struct rte_mbuf *
mbuf_of(const struct frame *f)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	char *p;

	assert_non_null(m);
	p = rte_pktmbuf_append(m, f->len);
	assert_non_null(p);
	memcpy(p, f->b, f->len);
	return m;
}

/* m is one segment holding exactly the frame in f, and its pkt_meta is zero. */
static void
assert_frame(const struct rte_mbuf *m, const struct frame *f)
{
	static const uint8_t zero[sizeof(struct pkt_meta)];

	assert_non_null(m);
	assert_int_equal(m->nb_segs, 1);
	assert_int_equal(rte_pktmbuf_pkt_len(m), f->len);
	assert_int_equal(rte_pktmbuf_data_len(m), f->len);
	assert_memory_equal(rte_pktmbuf_mtod(m, const uint8_t *), f->b, f->len);
	assert_memory_equal(rte_mbuf_to_priv((struct rte_mbuf *)m), zero, sizeof(zero));
}

/* The IPv4 header (no options) at 14 and the ICMP message after it check out. */
static void
assert_ipv4_icmp_valid(const struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint16_t total = get16(p + ETH_LEN + 2);

	assert_int_equal(get16(p + 12), ETH_IPV4);
	assert_int_equal(p[ETH_LEN], 0x45);
	assert_true(ETH_LEN + total <= rte_pktmbuf_data_len(m));
	assert_int_equal(ones_sum(p + ETH_LEN, IP_LEN), 0xffff);
	assert_int_equal(p[ETH_LEN + 9], IPPROTO_ICMP);
	assert_int_equal(ones_sum(p + ETH_LEN + IP_LEN, total - IP_LEN), 0xffff);
}

/* The key packet_parse gives for m, which must parse cleanly. */
static struct flow_key
parsed_key(const struct rte_mbuf *m)
{
	struct pkt_meta meta;

	memset(&meta, GARBAGE, sizeof(meta));
	assert_int_equal(packet_parse(m, IN_PORT, &cfg, &meta), 0);
	return meta.key;
}

/* The key of an unfragmented Ethernet + IPv4 + ICMP frame. */
static struct flow_key
icmp_key(const uint8_t *eth_dst, const uint8_t *eth_src, const uint8_t *src, const uint8_t *dst,
	 uint8_t tos, uint8_t type, uint16_t code_or_id)
{
	struct flow_key k;

	memset(&k, 0, sizeof(k));
	k.in_port = IN_PORT;
	k.ether_type = ETH_IPV4;
	memcpy(&k.eth_dst, eth_dst, RTE_ETHER_ADDR_LEN);
	memcpy(&k.eth_src, eth_src, RTE_ETHER_ADDR_LEN);
	memcpy(k.nw_src, src, 4);
	memcpy(k.nw_dst, dst, 4);
	k.l3_kind = FLOW_L3_IPV4;
	k.nw_proto = IPPROTO_ICMP;
	k.nw_tos = tos;
	k.nw_frag = FLOW_FRAG_NONE;
	k.tp_src = type;
	k.tp_dst = code_or_id;
	return k;
}

/* ARP */

static void
test_arp_request_bytes(void **state)
{
	static const uint8_t expect[FRAME_MIN] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* broadcast */
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01, /* sender */
		0x08, 0x06,                         /* ARP */
		0x00, 0x01, 0x08, 0x00, 0x06, 0x04, /* Ethernet, IPv4, lengths 6 and 4 */
		0x00, 0x01,                         /* request */
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01, /* sender hardware */
		192,  0,    2,    1,                /* sender protocol */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* target hardware: unknown */
		192,  0,    2,    99,               /* target protocol */
		/* 18 bytes of zero padding */
	};
	struct frame f = { 0 };
	struct rte_mbuf *m;

	(void)state;
	put(&f, expect, sizeof(expect));
	m = packet_gen_arp_request(pool, mac(mac_router), be32(ip_router), be32(ip_host));
	assert_frame(m, &f);
	rte_pktmbuf_free(m);
}

static void
test_arp_reply_bytes(void **state)
{
	static const uint8_t expect[FRAME_MIN] = {
		0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, /* unicast to the target */
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01, /* sender */
		0x08, 0x06,                         /* ARP */
		0x00, 0x01, 0x08, 0x00, 0x06, 0x04, /* Ethernet, IPv4, lengths 6 and 4 */
		0x00, 0x02,                         /* reply */
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01, /* sender hardware: the answer */
		192,  0,    2,    1,                /* sender protocol */
		0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, /* target hardware */
		192,  0,    2,    99,               /* target protocol */
	};
	struct frame f = { 0 };
	struct rte_mbuf *m;

	(void)state;
	put(&f, expect, sizeof(expect));
	m = packet_gen_arp_reply(pool, mac(mac_router), be32(ip_router), mac(mac_host),
				 be32(ip_host));
	assert_frame(m, &f);
	rte_pktmbuf_free(m);
}

static void
test_arp_frames_parse(void **state)
{
	static const uint8_t bcast[RTE_ETHER_ADDR_LEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct rte_mbuf *m;
	struct flow_key k, want;

	(void)state;
	memset(&want, 0, sizeof(want));
	want.in_port = IN_PORT;
	want.ether_type = RTE_ETHER_TYPE_ARP;
	memcpy(&want.eth_dst, bcast, RTE_ETHER_ADDR_LEN);
	memcpy(&want.eth_src, mac_router, RTE_ETHER_ADDR_LEN);
	memcpy(want.nw_src, ip_router, 4);
	memcpy(want.nw_dst, ip_host, 4);
	want.l3_kind = FLOW_L3_ARP;
	want.nw_proto = 1;

	m = packet_gen_arp_request(pool, mac(mac_router), be32(ip_router), be32(ip_host));
	assert_non_null(m);
	k = parsed_key(m);
	assert_memory_equal(&k, &want, sizeof(k));
	rte_pktmbuf_free(m);

	memcpy(&want.eth_dst, mac_host, RTE_ETHER_ADDR_LEN);
	want.nw_proto = 2;
	m = packet_gen_arp_reply(pool, mac(mac_router), be32(ip_router), mac(mac_host),
				 be32(ip_host));
	assert_non_null(m);
	k = parsed_key(m);
	assert_memory_equal(&k, &want, sizeof(k));
	rte_pktmbuf_free(m);
}

/* Echo reply */

struct echo_spec {
	uint16_t vlan;   /* TCI of a tag before the IP header, 0 for none */
	uint8_t opt_len; /* IPv4 options in the request */
	uint8_t tos;
	uint16_t frag;
	uint16_t payload; /* bytes after id and sequence */
	uint8_t pad;      /* fill byte of the Ethernet padding */
};

/* host -> router echo request; returns l3_ofs. */
static uint16_t
echo_request(struct frame *f, const struct echo_spec *s)
{
	struct ip4_spec ip = {
		.opt_len = s->opt_len, .tos = s->tos, .id = 0x1234, .frag = s->frag,
		.ttl = 5, .proto = IPPROTO_ICMP, .src = ip_host, .dst = ip_router,
	};
	uint16_t l3, l4;

	f->len = 0;
	if (s->vlan != 0) {
		eth(f, mac_router, mac_host, ETH_VLAN);
		put16(f, s->vlan);
		put16(f, ETH_IPV4);
	} else {
		eth(f, mac_router, mac_host, ETH_IPV4);
	}
	l3 = ip4(f, &ip);
	l4 = put8(f, 8);
	put8(f, 0);
	put16(f, 0);
	put16(f, ECHO_ID);
	put16(f, ECHO_SEQ);
	payload(f, s->payload);
	icmp_end(f, l4);
	ip4_end(f, l3);
	pad(f, s->pad);
	return l3;
}

/* What the router must answer to echo_request(s): no tag, no options, no padding garbage. */
static void
echo_reply_expected(struct frame *f, const struct echo_spec *s)
{
	struct ip4_spec ip = {
		.tos = s->tos, .frag = s->frag & IP4_DF, .ttl = 64, .proto = IPPROTO_ICMP,
		.src = ip_router, .dst = ip_host,
	};
	uint16_t l3, l4;

	f->len = 0;
	eth(f, mac_host, mac_router, ETH_IPV4);
	l3 = ip4(f, &ip);
	l4 = put8(f, 0);
	put8(f, 0);
	put16(f, 0);
	put16(f, ECHO_ID);
	put16(f, ECHO_SEQ);
	payload(f, s->payload);
	icmp_end(f, l4);
	ip4_end(f, l3);
	pad(f, 0);
}

static void
check_echo(const struct echo_spec *s)
{
	struct frame req = { 0 }, want = { 0 };
	struct rte_mbuf *in, *out;
	uint16_t l3 = echo_request(&req, s);

	echo_reply_expected(&want, s);
	in = mbuf_of(&req);
	out = packet_gen_icmp_echo_reply(pool, in, l3);
	assert_frame(out, &want);
	assert_ipv4_icmp_valid(out);
	rte_pktmbuf_free(in);
	rte_pktmbuf_free(out);
}

static void
test_echo_reply_round_trip(void **state)
{
	/* ping's default 56 bytes of data, DF set as Linux sends it, DSCP AF11 */
	const struct echo_spec s = { .tos = 0x28, .frag = IP4_DF, .payload = 56 };
	struct frame req = { 0 };
	struct rte_mbuf *in, *out;
	const uint8_t *p;
	uint16_t l3 = echo_request(&req, &s);

	(void)state;
	check_echo(&s);

	/* The same, field by field, for the reader. */
	in = mbuf_of(&req);
	out = packet_gen_icmp_echo_reply(pool, in, l3);
	assert_non_null(out);
	p = rte_pktmbuf_mtod(out, const uint8_t *);
	assert_int_equal(rte_pktmbuf_pkt_len(out), ETH_LEN + IP_LEN + ICMP_LEN + 56);
	assert_memory_equal(p, mac_host, 6);
	assert_memory_equal(p + 6, mac_router, 6);
	assert_int_equal(p[ETH_LEN + 1], 0x28);                     /* TOS kept */
	assert_int_equal(get16(p + ETH_LEN + 2), IP_LEN + ICMP_LEN + 56);
	assert_int_equal(get16(p + ETH_LEN + 6), IP4_DF);           /* DF kept */
	assert_int_equal(p[ETH_LEN + 8], 64);                       /* TTL */
	assert_memory_equal(p + ETH_LEN + 12, ip_router, 4);
	assert_memory_equal(p + ETH_LEN + 16, ip_host, 4);
	assert_int_equal(p[ETH_LEN + IP_LEN], 0);                   /* echo reply */
	assert_int_equal(p[ETH_LEN + IP_LEN + 1], 0);
	assert_int_equal(get16(p + ETH_LEN + IP_LEN + 4), ECHO_ID);
	assert_int_equal(get16(p + ETH_LEN + IP_LEN + 6), ECHO_SEQ);
	assert_memory_equal(p + ETH_LEN + IP_LEN + ICMP_LEN, req.b + l3 + IP_LEN + ICMP_LEN, 56);
	assert_ipv4_icmp_valid(out);
	rte_pktmbuf_free(in);
	rte_pktmbuf_free(out);
}

static void
test_echo_reply_odd_payload_is_padded_with_zeros(void **state)
{
	/* 13 bytes of data: an odd-length checksum, and a 55-byte frame padded to 60. */
	const struct echo_spec s = { .payload = 13, .pad = PAD_GARBAGE };

	(void)state;
	check_echo(&s);
}

static void
test_echo_reply_without_data(void **state)
{
	const struct echo_spec s = { .payload = 0, .pad = PAD_GARBAGE };

	(void)state;
	check_echo(&s);
}

static void
test_echo_reply_drops_tag_options_and_reserved_flag(void **state)
{
	/* The reserved flag (RFC 791 3.1) must be zero in what we send, whatever came in. */
	const struct echo_spec s = { .vlan = 5, .opt_len = 8, .frag = IP4_RESERVED | IP4_DF,
				     .payload = 32 };

	(void)state;
	check_echo(&s);
}

static void
test_echo_reply_large(void **state)
{
	const struct echo_spec s = { .payload = 1472 - ICMP_LEN }; /* a 1500-byte IP packet */

	(void)state;
	check_echo(&s);
}

static void
test_echo_reply_parses(void **state)
{
	const struct echo_spec s = { .tos = 0x10, .frag = IP4_DF, .payload = 56 };
	struct frame req = { 0 };
	struct rte_mbuf *in, *out;
	struct flow_key k, want;
	uint16_t l3 = echo_request(&req, &s);

	(void)state;
	in = mbuf_of(&req);
	out = packet_gen_icmp_echo_reply(pool, in, l3);
	assert_non_null(out);
	k = parsed_key(out);
	/* An echo's key carries its identifier where other ICMP keys carry the code. */
	want = icmp_key(mac_host, mac_router, ip_router, ip_host, 0x10, 0, ECHO_ID);
	assert_memory_equal(&k, &want, sizeof(k));
	rte_pktmbuf_free(in);
	rte_pktmbuf_free(out);
}

/* One way to spoil a good echo request each; none may be answered. */
enum echo_bad {
	ECHO_BAD_TYPE_REPLY,
	ECHO_BAD_TYPE_TIMESTAMP,
	ECHO_BAD_PROTO_UDP,
	ECHO_BAD_MF,
	ECHO_BAD_OFFSET,
	ECHO_BAD_IP_CKSUM,
	ECHO_BAD_ICMP_CKSUM,
	ECHO_BAD_ICMP_7_BYTES,
	ECHO_BAD_TOTAL_PAST_FRAME,
	ECHO_BAD_VERSION,
	ECHO_BAD_IHL_4,
	ECHO_BAD_IHL_PAST_FRAME,
	ECHO_BAD_TOTAL_BELOW_IHL,
	ECHO_BAD_L3_OFS_13,
	ECHO_BAD_FRAME_CUT_IN_IP_HEADER,
	ECHO_BAD_SRC_MULTICAST,
	ECHO_BAD_SRC_ZERO,
	ECHO_BAD_SRC_LOOPBACK,
	ECHO_BAD_DST_BROADCAST,
	ECHO_BAD_DST_MULTICAST,
	ECHO_BAD_ETH_SRC_GROUP,
	ECHO_BAD_ETH_DST_BROADCAST,
	ECHO_BAD_COUNT,
};

static void
test_echo_reply_refuses_bad_requests(void **state)
{
	static const uint8_t mcast[4] = { 224, 0, 0, 1 };
	static const uint8_t zero[4] = { 0, 0, 0, 0 };
	static const uint8_t loop[4] = { 127, 0, 0, 1 };
	static const uint8_t bcast[4] = { 255, 255, 255, 255 };
	const struct echo_spec s = { .payload = 24 };
	unsigned int bad;

	(void)state;
	for (bad = 0; bad < ECHO_BAD_COUNT; bad++) {
		struct frame f = { 0 };
		uint16_t l3 = echo_request(&f, &s);
		uint16_t l4 = l3 + IP_LEN;
		uint16_t end = f.len;
		uint16_t trim = 0;
		bool resum = true;
		struct rte_mbuf *in, *out;

		switch (bad) {
		case ECHO_BAD_TYPE_REPLY:
			f.b[l4] = 0;
			break;
		case ECHO_BAD_TYPE_TIMESTAMP:
			f.b[l4] = 13;
			break;
		case ECHO_BAD_PROTO_UDP:
			f.b[l3 + 9] = IPPROTO_UDP;
			break;
		case ECHO_BAD_MF:
			set16(f.b + l3 + 6, IP4_MF);
			break;
		case ECHO_BAD_OFFSET:
			set16(f.b + l3 + 6, 1);
			break;
		case ECHO_BAD_IP_CKSUM:
			f.b[l3 + 10] ^= 1;
			resum = false;
			break;
		case ECHO_BAD_ICMP_CKSUM:
			f.b[l4 + 2] ^= 1;
			resum = false;
			break;
		case ECHO_BAD_ICMP_7_BYTES:
			set16(f.b + l3 + 2, IP_LEN + 7);
			end = l3 + IP_LEN + 7;
			break;
		case ECHO_BAD_TOTAL_PAST_FRAME:
			/* Cut from the mbuf only: the byte is still in its buffer, checksummed. */
			trim = 1;
			break;
		case ECHO_BAD_VERSION:
			f.b[l3] = 0x65;
			break;
		case ECHO_BAD_IHL_4:
			f.b[l3] = 0x44;
			break;
		case ECHO_BAD_IHL_PAST_FRAME:
			f.b[l3] = 0x4f;
			set16(f.b + l3 + 2, 60);
			f.len = l3 + 40;
			resum = false;
			break;
		case ECHO_BAD_TOTAL_BELOW_IHL:
			set16(f.b + l3 + 2, IP_LEN - 1);
			break;
		case ECHO_BAD_L3_OFS_13:
			l3 = 13;
			resum = false;
			break;
		case ECHO_BAD_FRAME_CUT_IN_IP_HEADER:
			f.len = l3 + IP_LEN - 1;
			resum = false;
			break;
		case ECHO_BAD_SRC_MULTICAST:
			memcpy(f.b + l3 + 12, mcast, 4);
			break;
		case ECHO_BAD_SRC_ZERO:
			memcpy(f.b + l3 + 12, zero, 4);
			break;
		case ECHO_BAD_SRC_LOOPBACK:
			memcpy(f.b + l3 + 12, loop, 4);
			break;
		case ECHO_BAD_DST_BROADCAST:
			memcpy(f.b + l3 + 16, bcast, 4);
			break;
		case ECHO_BAD_DST_MULTICAST:
			memcpy(f.b + l3 + 16, mcast, 4);
			break;
		case ECHO_BAD_ETH_SRC_GROUP:
			f.b[6] |= 1;
			break;
		case ECHO_BAD_ETH_DST_BROADCAST:
			memset(f.b, 0xff, 6);
			break;
		}
		/* Checksums stay right unless spoiling them is the point. */
		if (resum) {
			uint16_t ihl = (f.b[l3] & 0xf) * 4;

			if (ihl >= IP_LEN)
				put_cksum(f.b + l3, ihl, f.b + l3 + 10);
			if (end > l4)
				put_cksum(f.b + l4, end - l4, f.b + l4 + 2);
		}
		in = mbuf_of(&f);
		assert_int_equal(rte_pktmbuf_trim(in, trim), 0);
		out = packet_gen_icmp_echo_reply(pool, in, l3);
		if (out != NULL)
			fail_msg("echo request spoilt in way %u was answered", bad);
		rte_pktmbuf_free(in);
	}
}

/* A chained mbuf whose first segment has the first split bytes of f. */
static struct rte_mbuf *
mbuf_chain_of(const struct frame *f, uint16_t split)
{
	struct rte_mbuf *head = rte_pktmbuf_alloc(pool), *tail = rte_pktmbuf_alloc(pool);
	char *p;

	assert_non_null(head);
	assert_non_null(tail);
	p = rte_pktmbuf_append(head, split);
	assert_non_null(p);
	memcpy(p, f->b, split);
	p = rte_pktmbuf_append(tail, f->len - split);
	assert_non_null(p);
	memcpy(p, f->b + split, f->len - split);
	assert_int_equal(rte_pktmbuf_chain(head, tail), 0);
	return head;
}

static void
test_echo_reply_reads_the_first_segment_only(void **state)
{
	const struct echo_spec s = { .payload = 56 };
	struct frame f = { 0 };
	struct rte_mbuf *in;
	uint16_t l3 = echo_request(&f, &s);

	(void)state;
	/* Everything but the last byte in the first segment: the message is not all there. */
	in = mbuf_chain_of(&f, f.len - 1);
	assert_null(packet_gen_icmp_echo_reply(pool, in, l3));
	rte_pktmbuf_free(in);
}

/* ICMP error */

struct orig_spec {
	uint16_t vlan;
	uint8_t opt_len;
	uint16_t frag;
	uint8_t proto;
	uint8_t icmp_type; /* when proto is ICMP */
	uint16_t l4_len;   /* bytes after the IP header, a UDP or ICMP header included */
	const uint8_t *eth_dst;
	const uint8_t *src;
	const uint8_t *dst;
};

/* A packet from the host, through the router, to the far address (by default); returns l3_ofs. */
static uint16_t
orig_packet(struct frame *f, const struct orig_spec *s)
{
	struct ip4_spec ip = {
		.opt_len = s->opt_len, .tos = 0x28, .id = 0x4321, .frag = s->frag, .ttl = 1,
		.proto = s->proto != 0 ? s->proto : IPPROTO_UDP,
		.src = s->src != NULL ? s->src : ip_host,
		.dst = s->dst != NULL ? s->dst : ip_far,
	};
	const uint8_t *eth_dst = s->eth_dst != NULL ? s->eth_dst : mac_router;
	uint16_t l3, l4;

	f->len = 0;
	if (s->vlan != 0) {
		eth(f, eth_dst, mac_host, ETH_VLAN);
		put16(f, s->vlan);
		put16(f, ETH_IPV4);
	} else {
		eth(f, eth_dst, mac_host, ETH_IPV4);
	}
	l3 = ip4(f, &ip);
	l4 = f->len;
	payload(f, s->l4_len);
	if (ip.proto == IPPROTO_ICMP && s->l4_len > 0)
		f->b[l4] = s->icmp_type;
	else if (ip.proto == IPPROTO_UDP && s->l4_len >= 8)
		set16(f->b + l4 + 4, s->l4_len);
	ip4_end(f, l3);
	pad(f, PAD_GARBAGE);
	return l3;
}

static struct rte_mbuf *
error_for(const struct frame *orig, uint16_t l3, uint8_t type, uint8_t code, uint16_t mtu)
{
	struct rte_mbuf *in = mbuf_of(orig), *out;

	out = packet_gen_icmp_error(pool, in, l3, type, code, mtu, mac(mac_router),
				    be32(ip_router), mac(mac_host));
	rte_pktmbuf_free(in);
	return out;
}

/* The error the router must send: quote_len bytes of orig from l3, second word as given. */
static void
error_expected(struct frame *f, uint8_t type, uint8_t code, uint16_t word2_low,
	       const struct frame *orig, uint16_t l3, uint16_t quote_len)
{
	struct ip4_spec ip = {
		.tos = 0xc0, .ttl = 64, .proto = IPPROTO_ICMP, .src = ip_router, .dst = ip_host,
	};
	uint16_t ip_ofs, l4;

	f->len = 0;
	eth(f, mac_host, mac_router, ETH_IPV4);
	ip_ofs = ip4(f, &ip);
	l4 = put8(f, type);
	put8(f, code);
	put16(f, 0);
	put16(f, 0);
	put16(f, word2_low);
	put(f, orig->b + l3, quote_len);
	icmp_end(f, l4);
	ip4_end(f, ip_ofs);
	pad(f, 0);
}

static void
test_error_time_exceeded_quotes_the_whole_packet(void **state)
{
	/* A UDP packet with TTL 1 and DF: the error has DF clear and TTL 64 all the same. */
	const struct orig_spec s = { .frag = IP4_DF, .l4_len = 108 };
	struct frame orig = { 0 }, want = { 0 };
	struct rte_mbuf *m;
	uint16_t l3 = orig_packet(&orig, &s);

	(void)state;
	/* The MTU argument only means something for "fragmentation needed". */
	m = error_for(&orig, l3, 11, 0, 1500);
	error_expected(&want, 11, 0, 0, &orig, l3, IP_LEN + 108);
	assert_frame(m, &want);
	assert_int_equal(want.len, ETH_LEN + IP_LEN + ICMP_LEN + IP_LEN + 108);
	assert_ipv4_icmp_valid(m);
	rte_pktmbuf_free(m);
}

static void
test_error_frag_needed_carries_the_mtu(void **state)
{
	const struct orig_spec s = { .frag = IP4_DF, .l4_len = 1480 }; /* 1500 bytes of IP */
	struct frame orig = { 0 }, want = { 0 };
	struct rte_mbuf *m;
	const uint8_t *p;
	uint16_t l3 = orig_packet(&orig, &s);

	(void)state;
	m = error_for(&orig, l3, 3, 4, 1400);
	error_expected(&want, 3, 4, 1400, &orig, l3, PACKET_GEN_ICMP_QUOTE_MAX);
	assert_frame(m, &want);
	assert_ipv4_icmp_valid(m);
	p = rte_pktmbuf_mtod(m, const uint8_t *);
	/* RFC 1191 4: 16 unused bits, then the next-hop MTU. */
	assert_int_equal(get16(p + ETH_LEN + IP_LEN + 4), 0);
	assert_int_equal(get16(p + ETH_LEN + IP_LEN + 6), 1400);
	rte_pktmbuf_free(m);

	/* Another "destination unreachable" code leaves the word unused. */
	m = error_for(&orig, l3, 3, 3, 1400);
	error_expected(&want, 3, 3, 0, &orig, l3, PACKET_GEN_ICMP_QUOTE_MAX);
	assert_frame(m, &want);
	rte_pktmbuf_free(m);
}

static void
test_error_quote_is_capped_at_576_bytes_of_ip(void **state)
{
	static const uint16_t totals[] = { PACKET_GEN_ICMP_QUOTE_MAX - 1, PACKET_GEN_ICMP_QUOTE_MAX,
					   PACKET_GEN_ICMP_QUOTE_MAX + 1, 1400 };
	unsigned int i;

	(void)state;
	assert_int_equal(IP_LEN + ICMP_LEN + PACKET_GEN_ICMP_QUOTE_MAX, 576);
	for (i = 0; i < RTE_DIM(totals); i++) {
		const struct orig_spec s = { .l4_len = totals[i] - IP_LEN };
		struct frame orig = { 0 }, want = { 0 };
		struct rte_mbuf *m;
		uint16_t l3 = orig_packet(&orig, &s);
		uint16_t quote = RTE_MIN(totals[i], PACKET_GEN_ICMP_QUOTE_MAX);

		m = error_for(&orig, l3, 11, 0, 0);
		error_expected(&want, 11, 0, 0, &orig, l3, quote);
		assert_frame(m, &want);
		assert_int_equal(get16(rte_pktmbuf_mtod(m, const uint8_t *) + ETH_LEN + 2),
				 IP_LEN + ICMP_LEN + quote);
		assert_ipv4_icmp_valid(m);
		rte_pktmbuf_free(m);
	}
}

static void
test_error_does_not_quote_ethernet_padding(void **state)
{
	/* 28 bytes of IP in a 60-byte frame: the 18 bytes of padding are not the packet's. */
	const struct orig_spec s = { .l4_len = 8 };
	struct frame orig = { 0 }, want = { 0 };
	struct rte_mbuf *m;
	uint16_t l3 = orig_packet(&orig, &s);

	(void)state;
	assert_int_equal(orig.len, FRAME_MIN);
	m = error_for(&orig, l3, 3, 1, 0);
	error_expected(&want, 3, 1, 0, &orig, l3, IP_LEN + 8);
	assert_frame(m, &want);
	rte_pktmbuf_free(m);
}

static void
test_error_quotes_ip_options_from_behind_a_tag(void **state)
{
	const struct orig_spec s = { .vlan = 7, .opt_len = 12, .l4_len = 40 };
	struct frame orig = { 0 }, want = { 0 };
	struct rte_mbuf *m;
	uint16_t l3 = orig_packet(&orig, &s);

	(void)state;
	assert_int_equal(l3, ETH_LEN + 4);
	m = error_for(&orig, l3, 12, 0, 0);
	error_expected(&want, 12, 0, 0, &orig, l3, IP_LEN + 12 + 40);
	assert_frame(m, &want);
	assert_ipv4_icmp_valid(m);
	rte_pktmbuf_free(m);
}

static void
test_error_about_icmp_queries_and_first_fragments(void **state)
{
	static const uint8_t query_types[] = { 0, 8, 13, 17 };
	struct frame orig = { 0 }, want = { 0 };
	struct orig_spec s = { .proto = IPPROTO_ICMP, .l4_len = 16 };
	struct rte_mbuf *m;
	unsigned int i;
	uint16_t l3;

	(void)state;
	for (i = 0; i < RTE_DIM(query_types); i++) {
		s.icmp_type = query_types[i];
		l3 = orig_packet(&orig, &s);
		m = error_for(&orig, l3, 11, 0, 0);
		error_expected(&want, 11, 0, 0, &orig, l3, IP_LEN + 16);
		assert_frame(m, &want);
		rte_pktmbuf_free(m);
	}

	/* RFC 1812 4.3.2.7 spares the first fragment only. */
	s = (struct orig_spec){ .frag = IP4_MF, .l4_len = 64 };
	l3 = orig_packet(&orig, &s);
	m = error_for(&orig, l3, 11, 1, 0);
	error_expected(&want, 11, 1, 0, &orig, l3, IP_LEN + 64);
	assert_frame(m, &want);
	rte_pktmbuf_free(m);
}

static void
test_error_parses(void **state)
{
	const struct orig_spec s = { .l4_len = 30 };
	struct frame orig = { 0 };
	struct rte_mbuf *m;
	struct flow_key k, want;
	uint16_t l3 = orig_packet(&orig, &s);

	(void)state;
	m = error_for(&orig, l3, 11, 0, 0);
	assert_non_null(m);
	k = parsed_key(m);
	want = icmp_key(mac_host, mac_router, ip_router, ip_host, 0xc0, 11, 0);
	assert_memory_equal(&k, &want, sizeof(k));
	rte_pktmbuf_free(m);
}

static void
expect_no_error(const struct orig_spec *s, const char *what)
{
	struct frame orig = { 0 };
	struct rte_mbuf *m;
	uint16_t l3 = orig_packet(&orig, s);

	m = error_for(&orig, l3, 3, 1, 0);
	if (m != NULL)
		fail_msg("an ICMP error was built about %s", what);
}

static void
test_error_rfc1812_exclusions(void **state)
{
	static const uint8_t error_types[] = { 3, 4, 5, 11, 12, 19, 40, 255 };
	static const uint8_t eth_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t eth_mcast4[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	static const uint8_t eth_mcast6[6] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 };
	static const uint8_t ip_bcast[4] = { 255, 255, 255, 255 };
	static const uint8_t ip_mcast_low[4] = { 224, 0, 0, 5 };
	static const uint8_t ip_mcast_high[4] = { 239, 255, 255, 250 };
	static const uint8_t ip_zero[4] = { 0, 0, 0, 0 };
	static const uint8_t ip_this_net[4] = { 0, 1, 2, 3 };
	static const uint8_t ip_loop[4] = { 127, 0, 0, 1 };
	static const uint8_t ip_class_e[4] = { 240, 0, 0, 1 };
	unsigned int i;

	(void)state;
	for (i = 0; i < RTE_DIM(error_types); i++) {
		const struct orig_spec s = { .proto = IPPROTO_ICMP, .icmp_type = error_types[i],
					     .l4_len = 36 };

		expect_no_error(&s, "an ICMP error (or unknown type)");
	}
	expect_no_error(&(struct orig_spec){ .frag = 1, .l4_len = 16 }, "a later fragment");
	expect_no_error(&(struct orig_spec){ .frag = IP4_MF | 185, .l4_len = 16 },
			"a middle fragment");
	expect_no_error(&(struct orig_spec){ .dst = ip_bcast, .l4_len = 16 }, "an IP broadcast");
	expect_no_error(&(struct orig_spec){ .dst = ip_mcast_low, .l4_len = 16 }, "224.0.0.5");
	expect_no_error(&(struct orig_spec){ .dst = ip_mcast_high, .l4_len = 16 }, "239/8");
	expect_no_error(&(struct orig_spec){ .eth_dst = eth_bcast, .l4_len = 16 },
			"an Ethernet broadcast");
	expect_no_error(&(struct orig_spec){ .eth_dst = eth_mcast4, .l4_len = 16 },
			"an Ethernet multicast (IPv4 group)");
	expect_no_error(&(struct orig_spec){ .eth_dst = eth_mcast6, .l4_len = 16 },
			"an Ethernet multicast (IPv6 group)");
	expect_no_error(&(struct orig_spec){ .src = ip_zero, .l4_len = 16 }, "source 0.0.0.0");
	expect_no_error(&(struct orig_spec){ .src = ip_this_net, .l4_len = 16 }, "source 0/8");
	expect_no_error(&(struct orig_spec){ .src = ip_loop, .l4_len = 16 }, "a loopback source");
	expect_no_error(&(struct orig_spec){ .src = ip_mcast_low, .l4_len = 16 },
			"a multicast source");
	expect_no_error(&(struct orig_spec){ .src = ip_class_e, .l4_len = 16 },
			"a class E source");
	expect_no_error(&(struct orig_spec){ .src = ip_bcast, .l4_len = 16 },
			"a broadcast source");
}

static void
test_error_refuses_malformed_packets(void **state)
{
	const struct orig_spec good = { .l4_len = 40 };
	struct frame f = { 0 };
	uint16_t l3;

	(void)state;
	l3 = orig_packet(&f, &good);
	assert_null(error_for(&f, 13, 11, 0, 0)); /* no room for the Ethernet header */

	f.len = l3 + IP_LEN - 1;                  /* the IP header is cut */
	assert_null(error_for(&f, l3, 11, 0, 0));

	l3 = orig_packet(&f, &good);
	f.b[l3] = 0x65;                           /* IP version 6 */
	assert_null(error_for(&f, l3, 11, 0, 0));

	l3 = orig_packet(&f, &good);
	f.b[l3] = 0x44;                           /* IHL 4 */
	assert_null(error_for(&f, l3, 11, 0, 0));

	l3 = orig_packet(&f, &good);
	f.b[l3] = 0x4f;                           /* IHL 15: 60 bytes, beyond the frame */
	f.len = l3 + 59;
	set16(f.b + l3 + 2, 60);
	assert_null(error_for(&f, l3, 11, 0, 0));

	l3 = orig_packet(&f, &good);
	set16(f.b + l3 + 2, IP_LEN - 1);          /* total length below the header's */
	assert_null(error_for(&f, l3, 11, 0, 0));

	l3 = orig_packet(&f, &good);
	f.len -= 1;                               /* total length past the frame */
	assert_null(error_for(&f, l3, 11, 0, 0));

	/*
	 * ICMP without a type byte: cannot tell whether it is an error.  The
	 * padding after it looks like an echo request, to catch a builder that
	 * reads the type from there.
	 */
	l3 = orig_packet(&f, &(struct orig_spec){ .proto = IPPROTO_ICMP, .l4_len = 0 });
	memset(f.b + l3 + IP_LEN, 8, f.len - l3 - IP_LEN);
	assert_null(error_for(&f, l3, 11, 0, 0));
}

static void
test_error_reads_the_first_segment_only(void **state)
{
	const struct orig_spec s = { .l4_len = 980 }; /* 1000 bytes of IP */
	struct frame orig = { 0 }, want = { 0 };
	struct rte_mbuf *in, *m;
	uint16_t l3 = orig_packet(&orig, &s);

	(void)state;
	/* The quote is in the first segment: the rest of the packet need not be. */
	in = mbuf_chain_of(&orig, l3 + PACKET_GEN_ICMP_QUOTE_MAX);
	m = packet_gen_icmp_error(pool, in, l3, 3, 4, 576, mac(mac_router), be32(ip_router),
				  mac(mac_host));
	error_expected(&want, 3, 4, 576, &orig, l3, PACKET_GEN_ICMP_QUOTE_MAX);
	assert_frame(m, &want);
	rte_pktmbuf_free(m);
	rte_pktmbuf_free(in);

	/* The quote in the first segment, but the packet shorter than its total length. */
	in = mbuf_chain_of(&orig, l3 + PACKET_GEN_ICMP_QUOTE_MAX);
	assert_int_equal(rte_pktmbuf_trim(in, 1), 0);
	assert_null(packet_gen_icmp_error(pool, in, l3, 3, 4, 576, mac(mac_router),
					  be32(ip_router), mac(mac_host)));
	rte_pktmbuf_free(in);

	/* One byte of the quote in the second segment: refused, not read. */
	in = mbuf_chain_of(&orig, l3 + PACKET_GEN_ICMP_QUOTE_MAX - 1);
	assert_null(packet_gen_icmp_error(pool, in, l3, 3, 4, 576, mac(mac_router),
					  be32(ip_router), mac(mac_host)));
	rte_pktmbuf_free(in);
}

/* Pools */

static void
assert_all_builders_fail(struct rte_mempool *mp, const struct rte_mbuf *req, uint16_t req_l3,
			 const struct rte_mbuf *orig, uint16_t orig_l3)
{
	assert_null(packet_gen_arp_request(mp, mac(mac_router), be32(ip_router), be32(ip_host)));
	assert_null(packet_gen_arp_reply(mp, mac(mac_router), be32(ip_router), mac(mac_host),
					 be32(ip_host)));
	assert_null(packet_gen_icmp_echo_reply(mp, req, req_l3));
	assert_null(packet_gen_icmp_error(mp, orig, orig_l3, 11, 0, 0, mac(mac_router),
					  be32(ip_router), mac(mac_host)));
}

static void
test_empty_pool(void **state)
{
	const struct echo_spec es = { .payload = 8 };
	const struct orig_spec os = { .l4_len = 8 };
	struct frame req = { 0 }, orig = { 0 };
	struct rte_mbuf *req_m, *orig_m, *held[POOL_SIZE];
	uint16_t req_l3 = echo_request(&req, &es), orig_l3 = orig_packet(&orig, &os);
	unsigned int n = 0;

	(void)state;
	req_m = mbuf_of(&req);
	orig_m = mbuf_of(&orig);
	while (n < RTE_DIM(held) && (held[n] = rte_pktmbuf_alloc(pool)) != NULL)
		n++;
	assert_int_equal(rte_mempool_avail_count(pool), 0);
	assert_all_builders_fail(pool, req_m, req_l3, orig_m, orig_l3);
	while (n > 0)
		rte_pktmbuf_free(held[--n]);
	rte_pktmbuf_free(req_m);
	rte_pktmbuf_free(orig_m);
}

static void
test_pool_without_room_for_pkt_meta(void **state)
{
	const struct echo_spec es = { .payload = 8 };
	const struct orig_spec os = { .l4_len = 8 };
	struct frame req = { 0 }, orig = { 0 };
	struct rte_mbuf *req_m, *orig_m;
	struct rte_mempool *small;
	uint16_t req_l3 = echo_request(&req, &es), orig_l3 = orig_packet(&orig, &os);

	(void)state;
	small = rte_pktmbuf_pool_create("ut_pg_small", 15, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					SOCKET_ID_ANY);
	assert_non_null(small);
	req_m = mbuf_of(&req);
	orig_m = mbuf_of(&orig);
	assert_all_builders_fail(small, req_m, req_l3, orig_m, orig_l3);
	assert_int_equal(rte_mempool_avail_count(small), 15);
	rte_pktmbuf_free(req_m);
	rte_pktmbuf_free(orig_m);
	rte_mempool_free(small);
}

/*
 * IPv6: neighbour discovery (RFC 4861), ICMPv6 echo and errors (RFC 4443).
 * The expected frames are written by hand; their checksums come from
 * ones_sum over a pseudo-header laid out here, not from packet_gen's code.
 */

#define ETH_IPV6 0x86dd
#define IP6_LEN 40
#define PROTO_ICMP6 58
#define PROTO_HOPOPTS 0
#define ND_LEN 32 /* message, target and one link-layer address option */
#define ICMP6_ERROR_MAX 1280

static const uint8_t ip6_router[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 0x01 };
static const uint8_t ip6_host[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [13] = 0xab, 0xcd, 0x63 };
static const uint8_t ip6_far[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 9, [15] = 0x02 };
static const uint8_t ip6_all_nodes[16] = { 0xff, 0x02, [15] = 0x01 };
static const uint8_t ip6_unspecified[16];

/* An IPv6 header; ip6_end() sets the payload length to the end of f. */
static uint16_t
ip6(struct frame *f, uint8_t tc, uint8_t next, uint8_t hlim, const uint8_t *src,
    const uint8_t *dst)
{
	uint16_t ofs = put8(f, 0x60 | tc >> 4);

	put8(f, (uint8_t)(tc << 4));
	put16(f, 0);
	put16(f, 0);
	put8(f, next);
	put8(f, hlim);
	put(f, src, 16);
	put(f, dst, 16);
	return ofs;
}

static void
ip6_end(struct frame *f, uint16_t ofs)
{
	set16(f->b + ofs + 4, f->len - ofs - IP6_LEN);
}

/* The ICMPv6 checksum of the message from icmp to the end of f (RFC 8200 8.1 pseudo-header). */
static void
icmp6_end(struct frame *f, uint16_t ip_ofs, uint16_t icmp)
{
	uint8_t pseudo[FRAME_MAX];
	uint16_t n = f->len - icmp;

	memcpy(pseudo, f->b + ip_ofs + 8, 32);
	pseudo[32] = pseudo[33] = 0;
	set16(pseudo + 34, n);
	pseudo[36] = pseudo[37] = pseudo[38] = 0;
	pseudo[39] = PROTO_ICMP6;
	set16(f->b + icmp + 2, 0);
	memcpy(pseudo + 40, f->b + icmp, n);
	set16(f->b + icmp + 2, (uint16_t)~ones_sum(pseudo, 40 + n));
}

static void
nd_expected(struct frame *f, uint8_t type, const uint8_t *eth_dst, const uint8_t *src,
	    const uint8_t *dst, uint32_t flags, const uint8_t *target, uint8_t opt)
{
	uint16_t ip, icmp;

	eth(f, eth_dst, mac_router, ETH_IPV6);
	ip = ip6(f, 0, PROTO_ICMP6, 255, src, dst);
	icmp = put8(f, type);
	put8(f, 0);
	put16(f, 0);
	put16(f, flags >> 16);
	put16(f, flags & 0xffff);
	put(f, target, 16);
	put8(f, opt);
	put8(f, 1);
	put(f, mac_router, RTE_ETHER_ADDR_LEN);
	ip6_end(f, ip);
	icmp6_end(f, ip, icmp);
}

static void
test_nd_solicit_bytes(void **state)
{
	static const uint8_t snm_mac[6] __rte_aligned(2) = { 0x33, 0x33, 0xff, 0xab, 0xcd, 0x63 };
	static const uint8_t snm[16] = { 0xff, 0x02, [11] = 0x01, 0xff, 0xab, 0xcd, 0x63 };
	struct frame want = { .len = 0 };
	struct rte_mbuf *m;

	(void)state;
	nd_expected(&want, 135, snm_mac, ip6_router, snm, 0, ip6_host, 1);
	m = packet_gen_nd_solicit(pool, mac(mac_router), ip6_router, ip6_host);
	assert_frame(m, &want);
	rte_pktmbuf_free(m);
}

static void
test_nd_advert_bytes(void **state)
{
	struct frame want = { .len = 0 };
	struct rte_mbuf *m;
	uint32_t flags = PACKET_GEN_NA_ROUTER | PACKET_GEN_NA_SOLICITED | PACKET_GEN_NA_OVERRIDE;

	(void)state;
	assert_int_equal(flags, 0xe0000000);
	nd_expected(&want, 136, mac_host, ip6_router, ip6_host, flags, ip6_router, 2);
	m = packet_gen_nd_advert(pool, mac(mac_router), ip6_router, mac(mac_host), ip6_host, flags);
	assert_frame(m, &want);
	rte_pktmbuf_free(m);
}

static void
test_nd_frames_parse(void **state)
{
	struct rte_mbuf *ns = packet_gen_nd_solicit(pool, mac(mac_router), ip6_router, ip6_host);
	struct rte_mbuf *na = packet_gen_nd_advert(pool, mac(mac_router), ip6_router,
						   mac(mac_host), ip6_all_nodes,
						   PACKET_GEN_NA_ROUTER);
	struct pkt_meta meta;

	(void)state;
	assert_int_equal(packet_parse(ns, IN_PORT, &cfg, &meta), 0);
	assert_int_equal(meta.key.l3_kind, FLOW_L3_IPV6);
	assert_int_equal(meta.key.nw_proto, PROTO_ICMP6);
	assert_int_equal(meta.key.tp_src, 135);
	assert_memory_equal(meta.key.nw_src, ip6_router, 16);
	assert_true(packet_gen_icmp6_cksum_ok(rte_pktmbuf_mtod_offset(ns, void *, ETH_LEN),
					      rte_pktmbuf_mtod_offset(ns, void *, ETH_LEN + IP6_LEN),
					      ND_LEN));
	assert_int_equal(packet_parse(na, IN_PORT, &cfg, &meta), 0);
	assert_int_equal(meta.key.tp_src, 136);
	assert_memory_equal(meta.key.nw_dst, ip6_all_nodes, 16);
	rte_pktmbuf_free(ns);
	rte_pktmbuf_free(na);
}

/* An echo request (or any ICMPv6 message of type) from host to router, data_len bytes of data. */
static uint16_t
icmp6_frame(struct frame *f, uint8_t type, const uint8_t *src, const uint8_t *dst, uint8_t tc,
	    uint16_t data_len)
{
	uint16_t ip, icmp;

	eth(f, mac_router, mac_host, ETH_IPV6);
	ip = ip6(f, tc, PROTO_ICMP6, 64, src, dst);
	icmp = put8(f, type);
	put8(f, 0);
	put16(f, 0);
	put16(f, ECHO_ID);
	put16(f, ECHO_SEQ);
	payload(f, data_len);
	ip6_end(f, ip);
	icmp6_end(f, ip, icmp);
	return ip;
}

static void
test_icmp6_echo_reply_round_trip(void **state)
{
	struct frame req = { .len = 0 }, want = { .len = 0 };
	struct rte_mbuf *in, *m;
	uint16_t ip, icmp;

	(void)state;
	icmp6_frame(&req, 128, ip6_host, ip6_router, 0x28, 37);
	eth(&want, mac_host, mac_router, ETH_IPV6);
	ip = ip6(&want, 0x28, PROTO_ICMP6, 64, ip6_router, ip6_host);
	icmp = put8(&want, 129);
	put8(&want, 0);
	put16(&want, 0);
	put16(&want, ECHO_ID);
	put16(&want, ECHO_SEQ);
	payload(&want, 37);
	ip6_end(&want, ip);
	icmp6_end(&want, ip, icmp);

	in = mbuf_of(&req);
	m = packet_gen_icmp6_echo_reply(pool, in, ETH_LEN);
	assert_frame(m, &want);
	rte_pktmbuf_free(m);
	rte_pktmbuf_free(in);
}

static void
test_icmp6_echo_reply_refuses_bad_requests(void **state)
{
	static const uint8_t group[16] = { 0xff, 0x02, [15] = 0x01 };
	struct frame f;
	struct rte_mbuf *in;

	(void)state;
	/* Not an echo request. */
	f.len = 0;
	icmp6_frame(&f, 129, ip6_host, ip6_router, 0, 8);
	in = mbuf_of(&f);
	assert_null(packet_gen_icmp6_echo_reply(pool, in, ETH_LEN));
	rte_pktmbuf_free(in);
	/* A corrupted checksum. */
	f.len = 0;
	icmp6_frame(&f, 128, ip6_host, ip6_router, 0, 8);
	f.b[ETH_LEN + IP6_LEN + 2] ^= 0x40;
	in = mbuf_of(&f);
	assert_null(packet_gen_icmp6_echo_reply(pool, in, ETH_LEN));
	rte_pktmbuf_free(in);
	/* To a group: the reply would come from it. */
	f.len = 0;
	icmp6_frame(&f, 128, ip6_host, group, 0, 8);
	in = mbuf_of(&f);
	assert_null(packet_gen_icmp6_echo_reply(pool, in, ETH_LEN));
	rte_pktmbuf_free(in);
	/* A payload length past the frame. */
	f.len = 0;
	icmp6_frame(&f, 128, ip6_host, ip6_router, 0, 8);
	set16(f.b + ETH_LEN + 4, 200);
	in = mbuf_of(&f);
	assert_null(packet_gen_icmp6_echo_reply(pool, in, ETH_LEN));
	rte_pktmbuf_free(in);
}

/* A UDP packet from host to far with data_len bytes of data (checksum left 0: not read). */
static uint16_t
udp6_frame(struct frame *f, const uint8_t *src, const uint8_t *dst, uint16_t data_len)
{
	uint16_t ip;

	eth(f, mac_router, mac_host, ETH_IPV6);
	ip = ip6(f, 0, IPPROTO_UDP, 64, src, dst);
	put16(f, 1000);
	put16(f, 53);
	put16(f, 8 + data_len);
	put16(f, 0);
	payload(f, data_len);
	ip6_end(f, ip);
	return ip;
}

static void
test_icmp6_packet_too_big_carries_the_mtu_and_fits_1280_bytes(void **state)
{
	struct frame orig = { .len = 0 }, want = { .len = 0 };
	struct rte_mbuf *in, *m;
	uint16_t ip, icmp, quote = ICMP6_ERROR_MAX - IP6_LEN - 8;

	(void)state;
	udp6_frame(&orig, ip6_host, ip6_far, 1400);
	eth(&want, mac_host, mac_router, ETH_IPV6);
	ip = ip6(&want, 0, PROTO_ICMP6, 64, ip6_router, ip6_host);
	icmp = put8(&want, 2);
	put8(&want, 0);
	put16(&want, 0);
	put16(&want, 0);
	put16(&want, 1300);
	put(&want, orig.b + ETH_LEN, quote);
	ip6_end(&want, ip);
	icmp6_end(&want, ip, icmp);
	assert_int_equal(want.len - ETH_LEN, ICMP6_ERROR_MAX);

	in = mbuf_of(&orig);
	m = packet_gen_icmp6_error(pool, in, ETH_LEN, 2, 0, 1300, mac(mac_router), ip6_router,
				   mac(mac_host));
	assert_frame(m, &want);
	rte_pktmbuf_free(m);
	rte_pktmbuf_free(in);
}

static void
test_icmp6_error_quotes_a_small_packet_whole(void **state)
{
	struct frame orig = { .len = 0 }, want = { .len = 0 };
	struct rte_mbuf *in, *m;
	uint16_t ip, icmp;

	(void)state;
	udp6_frame(&orig, ip6_host, ip6_far, 10);
	eth(&want, mac_host, mac_router, ETH_IPV6);
	ip = ip6(&want, 0, PROTO_ICMP6, 64, ip6_router, ip6_host);
	icmp = put8(&want, 3);
	put8(&want, 0);
	put16(&want, 0);
	put16(&want, 0);
	put16(&want, 0);
	put(&want, orig.b + ETH_LEN, orig.len - ETH_LEN);
	ip6_end(&want, ip);
	icmp6_end(&want, ip, icmp);

	in = mbuf_of(&orig);
	m = packet_gen_icmp6_error(pool, in, ETH_LEN, 3, 0, 0, mac(mac_router), ip6_router,
				   mac(mac_host));
	assert_frame(m, &want);
	rte_pktmbuf_free(m);
	rte_pktmbuf_free(in);
}

static struct rte_mbuf *
error6_about(const struct frame *f, uint8_t type)
{
	struct rte_mbuf *in = mbuf_of(f);
	struct rte_mbuf *m = packet_gen_icmp6_error(pool, in, ETH_LEN, type, 0, 0, mac(mac_router),
						    ip6_router, mac(mac_host));

	rte_pktmbuf_free(in);
	return m;
}

static void
test_icmp6_error_rfc4443_exclusions(void **state)
{
	static const uint8_t group[16] = { 0xff, 0x0e, [15] = 0x42 };
	struct frame f;
	struct rte_mbuf *m;
	uint16_t ip;

	(void)state;
	/* (a) Never about an ICMPv6 error (type below 128)... */
	f.len = 0;
	icmp6_frame(&f, 1, ip6_host, ip6_far, 0, 8);
	assert_null(error6_about(&f, 3));
	/* ...even behind a hop-by-hop options header. */
	f.len = 0;
	eth(&f, mac_router, mac_host, ETH_IPV6);
	ip = ip6(&f, 0, PROTO_HOPOPTS, 64, ip6_host, ip6_far);
	put8(&f, PROTO_ICMP6);
	put8(&f, 0);
	fill(&f, 1, 6);
	put8(&f, 3);
	put8(&f, 0);
	fill(&f, 0, 6);
	ip6_end(&f, ip);
	assert_null(error6_about(&f, 3));
	/* An informational message is fine to answer. */
	f.len = 0;
	icmp6_frame(&f, 128, ip6_host, ip6_far, 0, 8);
	m = error6_about(&f, 3);
	assert_non_null(m);
	rte_pktmbuf_free(m);
	/* (e.3) To a multicast group: only packet too big may be answered. */
	f.len = 0;
	udp6_frame(&f, ip6_host, group, 8);
	assert_null(error6_about(&f, 3));
	m = error6_about(&f, 2);
	assert_non_null(m);
	rte_pktmbuf_free(m);
	/* (e.6) From no single node: the unspecified address or a group. */
	f.len = 0;
	udp6_frame(&f, ip6_unspecified, ip6_far, 8);
	assert_null(error6_about(&f, 2));
	f.len = 0;
	udp6_frame(&f, group, ip6_far, 8);
	assert_null(error6_about(&f, 2));
	/* Malformed: payload length past the frame, or not version 6. */
	f.len = 0;
	udp6_frame(&f, ip6_host, ip6_far, 8);
	set16(f.b + ETH_LEN + 4, 300);
	assert_null(error6_about(&f, 3));
	f.b[ETH_LEN] = 0x40;
	set16(f.b + ETH_LEN + 4, 16);
	assert_null(error6_about(&f, 3));
}

/* Fixtures */

/* Garbage in every mbuf's private area, so that a pkt_meta left unzeroed is seen. */
static int
dirty_pool(void **state)
{
	struct rte_mbuf *m[POOL_SIZE];
	unsigned int n = 0;

	(void)state;
	while (n < RTE_DIM(m) && (m[n] = rte_pktmbuf_alloc(pool)) != NULL) {
		memset(rte_mbuf_to_priv(m[n]), GARBAGE, rte_pktmbuf_priv_size(pool));
		n++;
	}
	while (n > 0)
		rte_pktmbuf_free(m[--n]);
	return 0;
}

/* Every mbuf back in the pool: neither the builders nor the test leaked one. */
static int
pool_full(void **state)
{
	(void)state;
	return rte_mempool_avail_count(pool) == POOL_SIZE ? 0 : -1;
}

static int
setup(void **state)
{
	(void)state;
	pool = unit_eal_start("ut_packet_gen", "ut_packet_gen", POOL_SIZE);
	return pool == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	unit_eal_stop(pool);
	return 0;
}

#define TEST(t) cmocka_unit_test_setup_teardown(t, dirty_pool, pool_full)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_arp_request_bytes),
		TEST(test_arp_reply_bytes),
		TEST(test_arp_frames_parse),
		TEST(test_echo_reply_round_trip),
		TEST(test_echo_reply_odd_payload_is_padded_with_zeros),
		TEST(test_echo_reply_without_data),
		TEST(test_echo_reply_drops_tag_options_and_reserved_flag),
		TEST(test_echo_reply_large),
		TEST(test_echo_reply_parses),
		TEST(test_echo_reply_refuses_bad_requests),
		TEST(test_echo_reply_reads_the_first_segment_only),
		TEST(test_error_time_exceeded_quotes_the_whole_packet),
		TEST(test_error_frag_needed_carries_the_mtu),
		TEST(test_error_quote_is_capped_at_576_bytes_of_ip),
		TEST(test_error_does_not_quote_ethernet_padding),
		TEST(test_error_quotes_ip_options_from_behind_a_tag),
		TEST(test_error_about_icmp_queries_and_first_fragments),
		TEST(test_error_parses),
		TEST(test_error_rfc1812_exclusions),
		TEST(test_error_refuses_malformed_packets),
		TEST(test_error_reads_the_first_segment_only),
		TEST(test_nd_solicit_bytes),
		TEST(test_nd_advert_bytes),
		TEST(test_nd_frames_parse),
		TEST(test_icmp6_echo_reply_round_trip),
		TEST(test_icmp6_echo_reply_refuses_bad_requests),
		TEST(test_icmp6_packet_too_big_carries_the_mtu_and_fits_1280_bytes),
		TEST(test_icmp6_error_quotes_a_small_packet_whole),
		TEST(test_icmp6_error_rfc4443_exclusions),
		TEST(test_empty_pool),
		TEST(test_pool_without_room_for_pkt_meta),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
