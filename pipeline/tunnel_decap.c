/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Decapsulation on the worker (contract in tunnel_decap.h).  The checks run
 * cheapest first: the addresses come from the key the parser already built;
 * only then is the outer header read again.  Everything that fails after
 * the peer is known counts against that peer too (kairoctl show tunnels).
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_vxlan.h>

#include "drop_reason.h"
#include "tunnel.h"
#include "tunnel_decap.h"

/*
 * RFC 7348 §5: the I flag (0x08 of the first byte) must be set for the VNI to
 * be valid; every other flag bit and the reserved fields (the rest of the
 * flags word, the VNI word's low byte) are ignored on receipt.
 */
#define VXLAN_FLAG_I 0x08

/* RFC 2784 §2 / RFC 2890: C, K, S may be set; R, strict route, recursion and reserved0 not. */
#define GRE_FLAG_C 0x80
#define GRE_FLAG_K 0x20
#define GRE_FLAG_S 0x10
#define GRE_BYTE0_ALLOWED (GRE_FLAG_C | GRE_FLAG_K | GRE_FLAG_S)
#define GRE_BYTE1_RESERVED 0xf8
#define GRE_PROTO_TEB 0x6558 /* Transparent Ethernet Bridging */
#define GRE_BASE_LEN 4
#define GRE_OPT_LEN 4

/* A correct ones' complement sum over a header with its checksum in place. */
#define CKSUM_OK 0xffff

static int
check_vxlan(const struct rte_mbuf *m, const struct pkt_meta *meta, uint8_t type)
{
	const uint8_t *vx = rte_pktmbuf_mtod_offset(m, const uint8_t *,
						    meta->tunnel_ofs - sizeof(struct rte_vxlan_hdr));

	if (type != TUNNEL_VXLAN && type != TUNNEL_VTEP)
		return DROP_TUNNEL_WRONG_TYPE;
	if ((vx[0] & VXLAN_FLAG_I) == 0)
		return DROP_TUNNEL_BAD_FLAGS;
	return 0;
}

static int
check_gre(const struct rte_mbuf *m, const struct pkt_meta *meta, uint8_t type, uint16_t ip_end)
{
	const uint8_t *gre = rte_pktmbuf_mtod_offset(m, const uint8_t *, meta->l4_ofs);
	uint16_t sum;

	if (type != TUNNEL_GRE)
		return DROP_TUNNEL_WRONG_TYPE;
	if ((gre[0] & ~GRE_BYTE0_ALLOWED) != 0 || (gre[1] & GRE_BYTE1_RESERVED) != 0)
		return DROP_TUNNEL_BAD_FLAGS;
	if (((uint16_t)gre[2] << 8 | gre[3]) != GRE_PROTO_TEB)
		return DROP_TUNNEL_BAD_PROTO;
	if (!(gre[0] & GRE_FLAG_K))
		return DROP_TUNNEL_NO_KEY;
	/*
	 * RFC 2784 §2.5: the checksum covers the GRE header and the payload,
	 * which in a jumbo frame goes on past the first segment.
	 */
	if ((gre[0] & GRE_FLAG_C) &&
	    (rte_raw_cksum_mbuf(m, meta->l4_ofs, ip_end - meta->l4_ofs, &sum) != 0 ||
	     sum != CKSUM_OK))
		return DROP_TUNNEL_BAD_CHECKSUM;
	return 0;
}

/* The outer headers of a tunnel packet from a known peer; 0 when they are right. */
static int
check_outer(const struct rte_mbuf *m, const struct pkt_meta *meta, uint8_t type,
	    uint16_t *ip_end)
{
	const struct rte_ipv4_hdr *ip =
		rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, meta->l3_ofs);
	int rc;

	if (meta->key.nw_frag != FLOW_FRAG_NONE)
		return DROP_TUNNEL_FRAGMENT;
	if (rte_raw_cksum(ip, meta->l3_len) != CKSUM_OK)
		return DROP_TUNNEL_BAD_CHECKSUM;
	*ip_end = meta->l3_ofs + rte_be_to_cpu_16(ip->total_length);
	rc = meta->tunnel == PKT_TUNNEL_VXLAN ? check_vxlan(m, meta, type)
					      : check_gre(m, meta, type, *ip_end);
	if (rc != 0)
		return rc;
	/* The parser bounded tunnel_ofs by the IP payload; the inner frame needs its header. */
	if (*ip_end - meta->tunnel_ofs < RTE_ETHER_HDR_LEN)
		return DROP_TUNNEL_TRUNCATED;
	return 0;
}

/*
 * Strip everything before the inner frame and everything after the outer
 * packet (Ethernet padding, or bytes past its IPv4 total length).  The outer
 * packet may go on past the first segment (a jumbo frame received as a
 * chain): the segment where it ends is cut there and the segments after it
 * are freed.  rte_pktmbuf_trim alone cuts only inside the last segment and
 * refuses, cutting nothing, a longer tail: such a chain was delivered with
 * its padding and the rest of the chain behind the inner frame (found by
 * tests/fuzz/, corpus/packet/crash-decap-chain-tail).  The outer headers are
 * in the first segment (the parser requires it), so the front is one adj.
 */
static void
strip_outer(struct rte_mbuf *m, const struct pkt_meta *meta, uint16_t ip_end)
{
	struct rte_mbuf *seg = m, *prev = NULL;
	uint32_t kept = 0;

	if (rte_pktmbuf_pkt_len(m) > ip_end) {
		/* The segment holding the outer packet's last byte, and how much of it is kept. */
		while (seg != NULL && kept + seg->data_len < ip_end) {
			kept += seg->data_len;
			prev = seg;
			seg = seg->next;
		}
		if (seg != NULL) {
			seg->data_len = (uint16_t)(ip_end - kept);
			if (seg->next != NULL) {
				rte_pktmbuf_free(seg->next);
				seg->next = NULL;
			}
			/* A segment left empty is dropped from the chain, unless it is the first. */
			if (seg->data_len == 0 && prev != NULL) {
				prev->next = NULL;
				rte_pktmbuf_free_seg(seg);
			}
			m->pkt_len = ip_end;
			m->nb_segs = 0;
			for (seg = m; seg != NULL; seg = seg->next)
				m->nb_segs++;
		}
	}
	rte_pktmbuf_adj(m, meta->tunnel_ofs);
}

static int
deliver_flood(const struct tunnel_flood *f, struct rte_mbuf *m, struct rte_mempool *pool,
	      struct action_emit *emit, uint64_t *drops)
{
	uint16_t i;

	if (f->n == 0)
		return DROP_TUNNEL_UNKNOWN_KEY;
	for (i = 0; i + 1 < f->n; i++) {
		struct rte_mbuf *c = rte_pktmbuf_copy(m, pool, 0, UINT32_MAX);

		if (c == NULL) {
			drops[DROP_NO_MBUF]++;
			continue;
		}
		emit->port[emit->n] = f->ports[i];
		emit->pkt[emit->n++] = c;
	}
	emit->port[emit->n] = f->ports[f->n - 1];
	emit->pkt[emit->n++] = m;
	return 0;
}

/* The inner frame goes to the flow cache with the tunnel's fields in its key. */
static int
to_lookup(struct rte_mbuf *m, struct pkt_meta *meta, const struct parse_config *pc,
	  uint32_t key)
{
	uint32_t src, dst;
	uint16_t in_port = meta->key.in_port;
	int rc;

	memcpy(&src, meta->key.nw_src, sizeof(src));
	memcpy(&dst, meta->key.nw_dst, sizeof(dst));
	rc = packet_parse(m, in_port, pc, meta);
	if (rc != 0)
		return rc;
	meta->key.tun_id = key;
	meta->key.tun_src = src;
	meta->key.tun_dst = dst;
	return TUNNEL_DECAP_LOOKUP;
}

static bool
vtep_bound(const struct tunnel_rx_table *rx, rte_be32_t ip, uint32_t vni)
{
	uint16_t i;

	for (i = 0; i < rx->n_vteps; i++)
		if (rx->vteps[i].ip == ip && rx->vteps[i].vni == vni)
			return true;
	return false;
}

int
tunnel_decap(struct rte_mbuf *m, struct pkt_meta *meta, const struct parse_config *pc,
	     struct rte_mempool *pool, struct action_emit *emit, uint64_t *drops)
{
	const struct tunnel_rx_table *rx;
	const struct tunnel_peer_rx *peer;
	struct tunnel_peer_counters *cnt;
	struct tunnel_key_entry e = {0};
	uint32_t src, dst, key = meta->tunnel_key;
	uint16_t ip_end = 0;
	int p, rc;

	if (meta->tunnel == PKT_TUNNEL_NONE)
		return meta->key.l3_kind == FLOW_L3_ARP ? TUNNEL_DECAP_LOOKUP : DROP_UNDERLAY_OTHER;
	rx = __atomic_load_n(&kairo_tunnel->rx, __ATOMIC_ACQUIRE);
	memcpy(&dst, meta->key.nw_dst, sizeof(dst));
	/* An IPv6 underlay is not carried: such a packet is not to our (IPv4) address. */
	if (rx == NULL || meta->key.l3_kind != FLOW_L3_IPV4 || dst != rx->local_ip)
		return DROP_TUNNEL_NOT_OURS;
	memcpy(&src, meta->key.nw_src, sizeof(src));
	p = tunnel_peer_find(rx, src);
	if (p < 0)
		return DROP_TUNNEL_UNKNOWN_PEER;
	peer = &rx->peers[p];
	cnt = &tunnel_counters_here(kairo_tunnel)->peer[peer->slot];

	rc = check_outer(m, meta, peer->type, &ip_end);
	if (rc == 0 && peer->type == TUNNEL_VTEP && !vtep_bound(rx, src, key))
		rc = DROP_TUNNEL_UNKNOWN_KEY;
	if (rc == 0 && peer->type != TUNNEL_VTEP) {
		if (key < TUNNEL_KEYS)
			e = rx->keys[key];
		if (e.kind == TUNNEL_KEY_NONE)
			rc = DROP_TUNNEL_UNKNOWN_KEY;
	}
	if (rc != 0) {
		cnt->rx_errors[rc - TUNNEL_ERR_FIRST]++;
		return rc;
	}
	cnt->rx_packets++;
	cnt->rx_bytes += rte_pktmbuf_pkt_len(m);
	strip_outer(m, meta, ip_end);

	/* A VTEP simulates nothing: what its segment sends enters the bridge here. */
	if (peer->type == TUNNEL_VTEP || e.kind == TUNNEL_KEY_SIM)
		return to_lookup(m, meta, pc, key);
	if (e.kind == TUNNEL_KEY_FLOOD)
		return deliver_flood(&rx->floods[e.port], m, pool, emit, drops);
	emit->port[emit->n] = e.port;
	emit->pkt[emit->n++] = m;
	return 0;
}
