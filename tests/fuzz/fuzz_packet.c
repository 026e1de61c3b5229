/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer: a received frame through what a worker runs on it before the
 * flow cache, in the worker's order (lcore/worker.c, worker_process_burst):
 * packet_parse, then, for a frame from the underlay uplink, tunnel_decap,
 * which checks the outer headers against a receive table and parses the
 * inner frame.
 *
 * Input: three bytes that say how the frame arrives, then the frame.
 *   byte 0    bit 0: in two segments; bit 1: on the underlay uplink (else on
 *             a VM port); bit 2: the outer IPv4 (and GRE) checksums made
 *             right first, so that mutations get past them to the checks
 *             behind them
 *   bytes 1-2 where a frame of two segments is split (big endian; both
 *             segments keep at least one byte, as a driver fills them)
 *
 * Each segment's data ends its own heap allocation, attached to the mbuf as
 * an external buffer: ASan sees a read past a segment's end, which inside a
 * pool's 2 KiB data room it would not.
 *
 * Invariants checked (pipeline/packet_parse.h, pipeline/tunnel_decap.h,
 * pipeline/flow_key.h): every key byte written (two parses over different
 * garbage give the same bytes), offsets inside the first segment, l3_kind
 * as the ethertype says, zeros where the key says zero; decapsulation
 * returns one of its documented answers, emits nothing when it drops,
 * delivers exactly the inner frame where the table says, and a frame looked
 * up carries the key a parse of the inner frame gives, plus the tunnel's.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#define FUZZ_WITH_EAL
#include "fuzz.h"

#include "drop_reason.h"
#include "flow_action.h"
#include "packet_parse.h"
#include "tunnel.h"
#include "tunnel_decap.h"

#define HDR_LEN 3
#define FLAG_TWO_SEGS 0x01
#define FLAG_UNDERLAY 0x02
#define FLAG_FIX_CKSUM 0x04

/* The frame's whole length must fit an mbuf's 16-bit data_len. */
#define FRAME_MAX UINT16_MAX

#define PORT_UNDERLAY 0
#define PORT_VM 1

/*
 * The receive table: this host 192.168.50.1 (as in tests/pcap/test_overlay_pcap.py),
 * a VXLAN peer .2, a GRE peer .3, a VTEP .9 with VNI 5000.  Keys 1 and 2
 * deliver to ports 1 and 2, key 3 is a router port (simulated), 0x8000
 * floods to ports 1-3 and 0x8001 to port 4.
 */
/* Not DPDK's RTE_IPV4: it shifts an int left by 24, undefined for 128 and up (UBSan says). */
#define IP4(a, b, c, d) RTE_BE32((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))
#define LOCAL_IP IP4(192, 168, 50, 1)
#define VTEP_VNI 5000
#define FLOOD_KEY 0x8000u

static struct rte_mempool *pool;
static uint64_t *drops; /* DROP_REASON_COUNT, on the heap: ASan sees an index past them */

static void
rx_add_peer(struct tunnel_rx_table *rx, rte_be32_t ip, uint8_t type)
{
	unsigned int h = tunnel_peer_hash(ip);

	/* As sim/overlay.c fills it: the slot is the peer's index, linear probing. */
	rx->peers[rx->n_peers] = (struct tunnel_peer_rx){.ip = ip, .type = type,
							 .slot = (uint8_t)rx->n_peers};
	while (rx->peer_hash[h] != 0)
		h = (h + 1) & (TUNNEL_PEER_HASH - 1);
	rx->peer_hash[h] = (uint8_t)(rx->n_peers + 1);
	rx->n_peers++;
}

static void
tunnel_table_publish(void)
{
	struct tunnel_state *ts = tunnel_state_create(NULL, SOCKET_ID_ANY);
	struct tunnel_rx_table *rx;

	FUZZ_CHECK(ts != NULL);
	rx = ts->tables[0];
	rx->local_ip = LOCAL_IP;
	rx->udp_port = KAIRO_VXLAN_DEFAULT_PORT;
	rx_add_peer(rx, IP4(192, 168, 50, 2), TUNNEL_VXLAN);
	rx_add_peer(rx, IP4(192, 168, 50, 3), TUNNEL_GRE);
	rx_add_peer(rx, IP4(192, 168, 50, 9), TUNNEL_VTEP);
	rx->vteps[rx->n_vteps++] = (struct tunnel_vtep_rx){.ip = IP4(192, 168, 50, 9),
							   .vni = VTEP_VNI};
	rx->keys[1] = (struct tunnel_key_entry){.kind = TUNNEL_KEY_PORT, .port = 1};
	rx->keys[2] = (struct tunnel_key_entry){.kind = TUNNEL_KEY_PORT, .port = 2};
	rx->keys[3] = (struct tunnel_key_entry){.kind = TUNNEL_KEY_SIM};
	rx->floods[0] = (struct tunnel_flood){.n = 3, .ports = {1, 2, 3}};
	rx->floods[1] = (struct tunnel_flood){.n = 1, .ports = {4}};
	rx->keys[FLOOD_KEY] = (struct tunnel_key_entry){.kind = TUNNEL_KEY_FLOOD, .port = 0};
	rx->keys[FLOOD_KEY + 1] = (struct tunnel_key_entry){.kind = TUNNEL_KEY_FLOOD, .port = 1};
	ts->rx = rx;
	kairo_tunnel = ts;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	pool = fuzz_eal_start("packet", 1023);
	drops = calloc(DROP_REASON_COUNT, sizeof(*drops));
	FUZZ_CHECK(drops != NULL);
	tunnel_table_publish();
	return 0;
}

/*
 * A segment's data and the shared info DPDK keeps for an external buffer, in
 * one allocation that ends where the data ends: a read past the segment is
 * a read past the allocation, which ASan reports.
 */
struct seg {
	struct rte_mbuf_ext_shared_info shinfo;
	uint8_t data[];
};

static void
seg_free(void *addr, void *opaque)
{
	(void)addr;
	free(opaque);
}

/* One segment holding exactly len bytes of its own heap buffer. */
static struct rte_mbuf *
seg_new(const uint8_t *bytes, uint16_t len)
{
	struct seg *seg = malloc(sizeof(*seg) + len);
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	FUZZ_CHECK(seg != NULL && m != NULL);
	memcpy(seg->data, bytes, len);
	seg->shinfo.free_cb = seg_free;
	seg->shinfo.fcb_opaque = seg;
	rte_mbuf_ext_refcnt_set(&seg->shinfo, 1);
	rte_pktmbuf_attach_extbuf(m, seg->data, RTE_BAD_IOVA, len, &seg->shinfo);
	m->data_len = len;
	m->pkt_len = len;
	return m;
}

/* The frame in one segment, or in two split at split (0 < split < len). */
static struct rte_mbuf *
frame_new(const uint8_t *frame, uint16_t len, uint16_t split)
{
	struct rte_mbuf *m, *tail;

	if (split == 0)
		return seg_new(frame, len);
	m = seg_new(frame, split);
	tail = seg_new(frame + split, len - split);
	FUZZ_CHECK(rte_pktmbuf_chain(m, tail) == 0);
	return m;
}

static uint16_t
be16_at(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The ones' complement checksum of len bytes at p, written at p + at (as rte_ipv4_cksum). */
static void
cksum_fix(uint8_t *p, size_t len, size_t at)
{
	uint16_t sum;

	memset(p + at, 0, sizeof(sum));
	sum = (uint16_t)~rte_raw_cksum(p, len);
	memcpy(p + at, &sum, sizeof(sum));
}

/* Bit 2 of the framing: the outer IPv4 header's checksum, and GRE's when it has one. */
static void
fix_checksums(uint8_t *frame, uint16_t len)
{
	struct rte_mbuf *m = seg_new(frame, len);
	struct pkt_meta *meta = pkt_meta(m);

	if (packet_parse(m, PORT_UNDERLAY, &(struct parse_config){KAIRO_VXLAN_DEFAULT_PORT},
			 meta) == 0 &&
	    meta->key.l3_kind == FLOW_L3_IPV4) {
		uint16_t ip_end = meta->l3_ofs + be16_at(frame + meta->l3_ofs + 2);

		cksum_fix(frame + meta->l3_ofs, meta->l3_len, offsetof(struct rte_ipv4_hdr,
								       hdr_checksum));
		/* RFC 2784 §2.5: GRE's covers its header and the payload; its field follows the type. */
		if (meta->tunnel == PKT_TUNNEL_GRE && (frame[meta->l4_ofs] & 0x80))
			cksum_fix(frame + meta->l4_ofs, ip_end - meta->l4_ofs, 4);
	}
	rte_pktmbuf_free(m);
}

/* What packet_parse promises of meta for the frame whose first segment is seg1_len bytes. */
static void
check_parse(int rc, const struct pkt_meta *meta, uint16_t in_port, uint16_t seg1_len)
{
	static const uint8_t zero[sizeof(meta->key.nw_src)];
	const struct flow_key *k = &meta->key;
	const unsigned int addr_len = k->l3_kind == FLOW_L3_IPV6 ? 16 : 4;

	FUZZ_CHECK(rc >= 0 && rc < DROP_NO_BINDING); /* a parse reason, or 0 */
	FUZZ_CHECK(k->in_port == in_port);
	FUZZ_CHECK(k->tun_id == 0 && k->tun_src == 0 && k->tun_dst == 0);
	FUZZ_CHECK(memcmp(k->reserved, zero, sizeof(k->reserved)) == 0);
	FUZZ_CHECK(k->l3_kind <= FLOW_L3_IPV6 && k->nw_frag <= FLOW_FRAG_LATER);
	/* IPv4 and ARP addresses in the first 4 bytes, the rest zero; none without L3. */
	if (k->l3_kind == FLOW_L3_NONE) {
		FUZZ_CHECK(memcmp(k->nw_src, zero, sizeof(zero)) == 0);
		FUZZ_CHECK(memcmp(k->nw_dst, zero, sizeof(zero)) == 0);
		FUZZ_CHECK(k->nw_proto == 0 && k->tp_src == 0 && k->tp_dst == 0);
	} else {
		FUZZ_CHECK(memcmp(k->nw_src + addr_len, zero, sizeof(zero) - addr_len) == 0);
		FUZZ_CHECK(memcmp(k->nw_dst + addr_len, zero, sizeof(zero) - addr_len) == 0);
	}
	if (rc != 0)
		return;
	/* A well-formed frame: every offset inside the first segment, in header order. */
	FUZZ_CHECK(meta->l2_len == meta->l3_ofs && meta->l3_ofs <= seg1_len);
	FUZZ_CHECK(meta->l3_ofs + meta->l3_len <= seg1_len);
	switch (k->ether_type) {
	case RTE_ETHER_TYPE_ARP:
		FUZZ_CHECK(k->l3_kind == FLOW_L3_ARP);
		break;
	case RTE_ETHER_TYPE_IPV4:
		FUZZ_CHECK(k->l3_kind == FLOW_L3_IPV4);
		break;
	case RTE_ETHER_TYPE_IPV6:
		FUZZ_CHECK(k->l3_kind == FLOW_L3_IPV6);
		break;
	default:
		FUZZ_CHECK(k->l3_kind == FLOW_L3_NONE && meta->l3_len == 0);
	}
	if (meta->l4_ofs != 0)
		FUZZ_CHECK(meta->l4_ofs == meta->l3_ofs + meta->l3_len && meta->l4_ofs <= seg1_len);
	/* A later fragment carries no L4 header: no ports in its key. */
	if (k->nw_frag == FLOW_FRAG_LATER)
		FUZZ_CHECK(meta->l4_ofs == 0 && k->tp_src == 0 && k->tp_dst == 0);
	if (k->l3_kind != FLOW_L3_IPV4 && k->l3_kind != FLOW_L3_IPV6)
		FUZZ_CHECK(k->nw_frag == FLOW_FRAG_NONE && meta->l4_ofs == 0);
	FUZZ_CHECK(meta->tunnel <= PKT_TUNNEL_GRE);
	if (meta->tunnel != PKT_TUNNEL_NONE)
		FUZZ_CHECK(meta->l4_ofs != 0 && meta->tunnel_ofs > meta->l4_ofs &&
			   meta->tunnel_ofs <= seg1_len);
	else
		FUZZ_CHECK(meta->tunnel_ofs == 0 && meta->tunnel_key == 0 && meta->gre_flags == 0);
}

/*
 * packet_parse twice, over meta areas filled with different garbage: the key
 * and the offsets must come out the same, byte for byte (rte_hash compares
 * raw bytes, so every byte of the key must be written).
 */
static int
parse_checked(struct rte_mbuf *m, uint16_t in_port, const struct parse_config *pc)
{
	struct pkt_meta *meta = pkt_meta(m);
	struct pkt_meta again;
	int rc, rc2;

	memset(meta, 0xa5, sizeof(*meta));
	rc = packet_parse(m, in_port, pc, meta);
	memset(&again, 0x5a, sizeof(again));
	rc2 = packet_parse(m, in_port, pc, &again);
	FUZZ_CHECK(rc == rc2);
	FUZZ_CHECK(memcmp(&meta->key, &again.key, sizeof(again.key)) == 0);
	FUZZ_CHECK(meta->l2_len == again.l2_len && meta->l3_len == again.l3_len &&
		   meta->l3_ofs == again.l3_ofs && meta->l4_ofs == again.l4_ofs &&
		   meta->tunnel == again.tunnel && meta->gre_flags == again.gre_flags &&
		   meta->tunnel_ofs == again.tunnel_ofs && meta->tunnel_key == again.tunnel_key);
	check_parse(rc, meta, in_port, rte_pktmbuf_data_len(m));
	return rc;
}

/* m holds exactly want (want_len bytes), over however many segments. */
static bool
holds(const struct rte_mbuf *m, const uint8_t *want, uint32_t want_len)
{
	static uint8_t copy[FRAME_MAX];
	const uint8_t *p;

	if (rte_pktmbuf_pkt_len(m) != want_len)
		return false;
	p = rte_pktmbuf_read(m, 0, want_len, copy);
	return want_len == 0 || (p != NULL && memcmp(p, want, want_len) == 0);
}

/* The ports a delivered key goes to (the table above); 0 for a key that is not delivered. */
static unsigned int
key_ports(uint32_t key, uint16_t *ports)
{
	if (key == 1 || key == 2) {
		ports[0] = (uint16_t)key;
		return 1;
	}
	if (key == FLOOD_KEY) {
		ports[0] = 1;
		ports[1] = 2;
		ports[2] = 3;
		return 3;
	}
	if (key == FLOOD_KEY + 1) {
		ports[0] = 4;
		return 1;
	}
	return 0;
}

/*
 * tunnel_decap on a frame that parsed (outer: its meta then), checked
 * against tunnel_decap.h.  frame/len: the whole frame as received.
 */
static void
decap_checked(struct rte_mbuf *m, const struct pkt_meta *outer, const struct parse_config *pc,
	      const uint8_t *frame, uint16_t len)
{
	struct pkt_meta *meta = pkt_meta(m);
	struct action_emit emit = {.n = 0};
	uint16_t ports[TUNNEL_FLOOD_PORTS_MAX], ip_end = 0;
	uint64_t no_mbuf = drops[DROP_NO_MBUF];
	unsigned int n_ports, i;
	const uint8_t *inner = NULL;
	uint16_t inner_len = 0;
	int rc;

	/* The underlay is IPv4: a tunnel in IPv6 is not ours, whatever it carries. */
	if (outer->tunnel != PKT_TUNNEL_NONE && outer->key.l3_kind == FLOW_L3_IPV4) {
		ip_end = outer->l3_ofs + be16_at(frame + outer->l3_ofs + 2);
		FUZZ_CHECK(ip_end <= len && outer->tunnel_ofs <= ip_end);
		inner = frame + outer->tunnel_ofs;
		inner_len = ip_end - outer->tunnel_ofs;
	}
	rc = tunnel_decap(m, meta, pc, pool, &emit, drops);
	FUZZ_CHECK(rc == 0 || rc == TUNNEL_DECAP_LOOKUP || (rc > 0 && rc < DROP_REASON_COUNT));
	if (rc > 0) {
		/* The caller frees m: nothing may have been emitted, m least of all. */
		FUZZ_CHECK(emit.n == 0);
		rte_pktmbuf_free(m);
		return;
	}
	if (rc == 0) {
		/* Delivered unsimulated: the inner frame, to where its key says, m itself last. */
		FUZZ_CHECK(inner != NULL);
		n_ports = key_ports(outer->tunnel_key, ports);
		FUZZ_CHECK(n_ports != 0 && emit.n >= 1 && emit.n <= n_ports);
		FUZZ_CHECK(emit.n + (drops[DROP_NO_MBUF] - no_mbuf) == n_ports);
		FUZZ_CHECK(emit.pkt[emit.n - 1] == m && emit.port[emit.n - 1] == ports[n_ports - 1]);
		for (i = 0; i < emit.n; i++) {
			FUZZ_CHECK(holds(emit.pkt[i], inner, inner_len));
			rte_pktmbuf_free(emit.pkt[i]);
		}
		return;
	}
	FUZZ_CHECK(emit.n == 0);
	if (outer->tunnel == PKT_TUNNEL_NONE) {
		/* An ARP on the underlay is looked up as it came. */
		FUZZ_CHECK(outer->key.l3_kind == FLOW_L3_ARP);
		FUZZ_CHECK(memcmp(&meta->key, &outer->key, sizeof(meta->key)) == 0);
		FUZZ_CHECK(holds(m, frame, len));
	} else {
		/* The inner frame alone, keyed as its own parse keys it, with the tunnel's fields. */
		struct rte_mbuf *ref;
		struct pkt_meta *want;

		FUZZ_CHECK(inner != NULL);
		ref = seg_new(inner, inner_len);
		want = pkt_meta(ref);
		FUZZ_CHECK(holds(m, inner, inner_len));
		FUZZ_CHECK(packet_parse(ref, PORT_UNDERLAY, pc, want) == 0);
		want->key.tun_id = outer->tunnel_key;
		memcpy(&want->key.tun_src, outer->key.nw_src, sizeof(want->key.tun_src));
		memcpy(&want->key.tun_dst, outer->key.nw_dst, sizeof(want->key.tun_dst));
		FUZZ_CHECK(memcmp(&meta->key, &want->key, sizeof(want->key)) == 0);
		FUZZ_CHECK(meta->l3_ofs == want->l3_ofs && meta->l4_ofs == want->l4_ofs &&
			   meta->tunnel == want->tunnel && meta->tunnel_ofs == want->tunnel_ofs);
		rte_pktmbuf_free(ref);
	}
	rte_pktmbuf_free(m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[FRAME_MAX];
	const struct parse_config pc = {.vxlan_udp_port = KAIRO_VXLAN_DEFAULT_PORT};
	struct pkt_meta outer;
	struct rte_mbuf *m;
	uint16_t len, split = 0, in_port;
	uint8_t flags;

	if (size < HDR_LEN || size - HDR_LEN > FRAME_MAX)
		return -1; /* not an input this harness reads: kept out of the corpus */
	flags = data[0];
	len = (uint16_t)(size - HDR_LEN);
	memcpy(frame, data + HDR_LEN, len);
	if ((flags & FLAG_TWO_SEGS) && len >= 2)
		split = 1 + be16_at(data + 1) % (len - 1);
	in_port = (flags & FLAG_UNDERLAY) ? PORT_UNDERLAY : PORT_VM;
	if (flags & FLAG_FIX_CKSUM)
		fix_checksums(frame, len);

	m = frame_new(frame, len, split);
	if (parse_checked(m, in_port, &pc) != 0 || in_port != PORT_UNDERLAY) {
		/* Dropped by the worker, or on to the flow cache: either way done here. */
		rte_pktmbuf_free(m);
		return 0;
	}
	outer = *pkt_meta(m);
	decap_checked(m, &outer, &pc, frame, len);
	return 0;
}
