/* SPDX-License-Identifier: Apache-2.0 */
/*
 * flow_actions, as a specification: building lists with the append helpers,
 * running them on real mbufs, and printing them.
 *
 * Every test runs a list on one Ethernet/IPv4/UDP frame and states what was
 * emitted (ports, which mbuf, the exact bytes), what was counted as a drop
 * and what went back to the pool.  The pool has no per-lcore cache, so its
 * available count tells exactly which mbufs were freed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_udp.h>

#include "unit_eal.h"
#include "drop_reason.h"
#include "flow_action.h"
#include "udp_frame.h"

#define POOL_SIZE 63
#define VLAN_TCI 0x2064  /* priority 1, VLAN 100 */
#define OUTER_TCI 0x0123 /* VLAN 291 */

static const struct rte_ether_addr mac_dst = { { 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f } };
static const struct rte_ether_addr mac_src = { { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 } };
static const struct rte_ether_addr mac_new = { { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee } };

static struct rte_mempool *pool;

/* Fresh per test. */
static struct action_emit emit;
static uint64_t drops[DROP_REASON_COUNT];
static unsigned int pool_before; /* available mbufs before the test's frame */

/* The frame every test starts from, and a copy of its bytes. */
static struct rte_mbuf *
frame(uint8_t *copy)
{
	struct rte_mbuf *m = udp_frame(pool, &mac_dst, &mac_src, 1234, 5678);

	assert_non_null(m);
	assert_int_equal(rte_pktmbuf_data_len(m), UDP_FRAME_LEN);
	if (copy != NULL)
		memcpy(copy, rte_pktmbuf_mtod(m, uint8_t *), UDP_FRAME_LEN);
	return m;
}

static const uint8_t *
bytes(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod(m, const uint8_t *);
}

static uint64_t
total_drops(void)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < DROP_REASON_COUNT; i++)
		n += drops[i];
	return n;
}

/* Free what was emitted; the pool must then be as it was before the test. */
static void
free_emitted_and_check_pool(void)
{
	uint16_t i;

	for (i = 0; i < emit.n; i++)
		rte_pktmbuf_free(emit.pkt[i]);
	emit.n = 0;
	assert_int_equal(rte_mempool_avail_count(pool), pool_before);
}

static void
assert_formats_as(const struct flow_actions *acts, const char *expect)
{
	char buf[256];
	int n = flow_actions_format(acts, buf, sizeof(buf));

	assert_string_equal(buf, expect);
	assert_int_equal(n, strlen(expect));
}

/* Output */

static void
test_single_output_emits_the_packet_itself(void **state)
{
	struct flow_actions acts = { 0 };
	uint8_t orig[UDP_FRAME_LEN];
	struct rte_mbuf *m = frame(orig);

	(void)state;
	assert_int_equal(flow_actions_output(&acts, 5), 0);
	assert_int_equal(flow_actions_execute(&acts, m, pool, &emit, drops), ACTION_DONE);

	assert_int_equal(emit.n, 1);
	assert_int_equal(emit.port[0], 5);
	assert_ptr_equal(emit.pkt[0], m);
	assert_memory_equal(bytes(m), orig, UDP_FRAME_LEN);
	assert_int_equal(total_drops(), 0);
	free_emitted_and_check_pool();
}

static void
test_outputs_append_after_what_emit_already_holds(void **state)
{
	struct flow_actions acts = { 0 };
	struct rte_mbuf *m = frame(NULL);

	(void)state;
	emit.n = 2; /* a worker's burst so far */
	emit.pkt[0] = emit.pkt[1] = NULL;
	flow_actions_output(&acts, 7);
	flow_actions_execute(&acts, m, pool, &emit, drops);
	assert_int_equal(emit.n, 3);
	assert_int_equal(emit.port[2], 7);
	assert_ptr_equal(emit.pkt[2], m);
	free_emitted_and_check_pool();
}

static void
test_flood_copies_the_packet_for_all_but_the_last_port(void **state)
{
	struct flow_actions acts = { 0 };
	uint8_t orig[UDP_FRAME_LEN];
	struct rte_mbuf *m = frame(orig);
	uint16_t i;

	(void)state;
	flow_actions_output(&acts, 1);
	flow_actions_output(&acts, 2);
	flow_actions_output(&acts, 3);
	assert_int_equal(acts.n_outputs, 3);
	assert_int_equal(flow_actions_execute(&acts, m, pool, &emit, drops), ACTION_DONE);

	assert_int_equal(emit.n, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(emit.port[i], i + 1);
		assert_int_equal(rte_pktmbuf_pkt_len(emit.pkt[i]), UDP_FRAME_LEN);
		assert_memory_equal(bytes(emit.pkt[i]), orig, UDP_FRAME_LEN);
	}
	assert_ptr_not_equal(emit.pkt[0], m);
	assert_ptr_not_equal(emit.pkt[1], m);
	assert_ptr_not_equal(emit.pkt[0], emit.pkt[1]);
	assert_ptr_equal(emit.pkt[2], m);
	assert_int_equal(rte_mempool_avail_count(pool), pool_before - 3);
	assert_int_equal(total_drops(), 0);
	free_emitted_and_check_pool();
}

static void
test_a_flood_without_buffers_still_sends_the_original(void **state)
{
	struct rte_mbuf *rest[POOL_SIZE];
	struct flow_actions acts = { 0 };
	struct rte_mbuf *m = frame(NULL);
	unsigned int n_rest = 0;

	(void)state;
	while ((rest[n_rest] = rte_pktmbuf_alloc(pool)) != NULL)
		n_rest++;
	flow_actions_output(&acts, 1);
	flow_actions_output(&acts, 2);
	flow_actions_output(&acts, 3);
	assert_int_equal(flow_actions_execute(&acts, m, pool, &emit, drops), ACTION_DONE);

	assert_int_equal(emit.n, 1);
	assert_int_equal(emit.port[0], 3);
	assert_ptr_equal(emit.pkt[0], m);
	assert_int_equal(drops[DROP_NO_MBUF], 2);
	assert_int_equal(total_drops(), 2);
	rte_pktmbuf_free_bulk(rest, n_rest);
	free_emitted_and_check_pool();
}

static void
test_an_output_sends_the_packet_as_it_is_at_that_point(void **state)
{
	struct flow_actions acts = { 0 };
	uint8_t orig[UDP_FRAME_LEN];
	struct rte_mbuf *m = frame(orig);

	(void)state;
	flow_actions_output(&acts, 1);
	flow_actions_set_eth(&acts, 1, &mac_new);
	flow_actions_output(&acts, 2);
	flow_actions_execute(&acts, m, pool, &emit, drops);

	assert_int_equal(emit.n, 2);
	assert_memory_equal(bytes(emit.pkt[0]), orig, UDP_FRAME_LEN);
	assert_memory_equal(bytes(emit.pkt[1]), mac_new.addr_bytes, RTE_ETHER_ADDR_LEN);
	assert_memory_equal(bytes(emit.pkt[1]) + 6, orig + 6, UDP_FRAME_LEN - 6);
	free_emitted_and_check_pool();
}

/* Rewrites */

static void
test_set_eth_src_and_dst_rewrite_the_addresses_only(void **state)
{
	static const struct rte_ether_addr other = { { 0x02, 0, 0, 0, 0, 0x99 } };
	struct flow_actions acts = { 0 };
	uint8_t orig[UDP_FRAME_LEN];
	struct rte_mbuf *m = frame(orig);

	(void)state;
	flow_actions_set_eth(&acts, 0, &mac_new);
	flow_actions_set_eth(&acts, 1, &other);
	flow_actions_output(&acts, 1);
	flow_actions_execute(&acts, m, pool, &emit, drops);

	assert_int_equal(emit.n, 1);
	assert_memory_equal(bytes(m), other.addr_bytes, 6);
	assert_memory_equal(bytes(m) + 6, mac_new.addr_bytes, 6);
	assert_memory_equal(bytes(m) + 12, orig + 12, UDP_FRAME_LEN - 12);
	assert_int_equal(rte_pktmbuf_data_len(m), UDP_FRAME_LEN);
	free_emitted_and_check_pool();
}

static void
test_push_vlan_inserts_tpid_and_tci_after_the_addresses(void **state)
{
	struct flow_actions acts = { 0 };
	uint8_t orig[UDP_FRAME_LEN];
	struct rte_mbuf *m = frame(orig);
	const uint8_t tag[4] = { 0x81, 0x00, VLAN_TCI >> 8, VLAN_TCI & 0xff };

	(void)state;
	flow_actions_push_vlan(&acts, RTE_ETHER_TYPE_VLAN, VLAN_TCI);
	flow_actions_output(&acts, 1);
	flow_actions_execute(&acts, m, pool, &emit, drops);

	assert_int_equal(emit.n, 1);
	assert_int_equal(rte_pktmbuf_data_len(m), UDP_FRAME_LEN + 4);
	assert_int_equal(rte_pktmbuf_pkt_len(m), UDP_FRAME_LEN + 4);
	assert_memory_equal(bytes(m), orig, 12);          /* dst, src */
	assert_memory_equal(bytes(m) + 12, tag, 4);       /* 81 00 20 64 */
	assert_memory_equal(bytes(m) + 16, orig + 12, 2); /* 08 00: the old ethertype */
	assert_memory_equal(bytes(m) + 18, orig + 14, UDP_FRAME_LEN - 14);
	free_emitted_and_check_pool();
}

static void
test_push_two_tags_makes_qinq_outer_first(void **state)
{
	struct flow_actions acts = { 0 };
	uint8_t orig[UDP_FRAME_LEN];
	struct rte_mbuf *m = frame(orig);
	const uint8_t tags[8] = { 0x88, 0xa8, OUTER_TCI >> 8, OUTER_TCI & 0xff,
				  0x81, 0x00, VLAN_TCI >> 8,  VLAN_TCI & 0xff };

	(void)state;
	/* Each push goes right after the addresses: the last one pushed is outermost. */
	flow_actions_push_vlan(&acts, RTE_ETHER_TYPE_VLAN, VLAN_TCI);
	flow_actions_push_vlan(&acts, RTE_ETHER_TYPE_QINQ, OUTER_TCI);
	flow_actions_output(&acts, 1);
	flow_actions_execute(&acts, m, pool, &emit, drops);

	assert_int_equal(rte_pktmbuf_data_len(m), UDP_FRAME_LEN + 8);
	assert_memory_equal(bytes(m), orig, 12);
	assert_memory_equal(bytes(m) + 12, tags, 8);
	assert_memory_equal(bytes(m) + 20, orig + 12, UDP_FRAME_LEN - 12);
	free_emitted_and_check_pool();
}

static void
test_pop_vlan_undoes_push_vlan(void **state)
{
	struct flow_actions push = { 0 }, pop = { 0 };
	uint8_t orig[UDP_FRAME_LEN];
	struct rte_mbuf *m = frame(orig);

	(void)state;
	flow_actions_push_vlan(&push, RTE_ETHER_TYPE_VLAN, VLAN_TCI);
	flow_actions_output(&push, 1);
	flow_actions_pop_vlan(&pop);
	flow_actions_output(&pop, 2);

	flow_actions_execute(&push, m, pool, &emit, drops);
	emit.n = 0;
	flow_actions_execute(&pop, m, pool, &emit, drops);

	assert_int_equal(emit.n, 1);
	assert_int_equal(emit.port[0], 2);
	assert_int_equal(rte_pktmbuf_data_len(m), UDP_FRAME_LEN);
	assert_memory_equal(bytes(m), orig, UDP_FRAME_LEN);
	free_emitted_and_check_pool();
}

static void
test_pop_vlan_on_an_untagged_frame_changes_nothing(void **state)
{
	struct flow_actions acts = { 0 };
	uint8_t orig[UDP_FRAME_LEN];
	struct rte_mbuf *m = frame(orig);

	(void)state;
	flow_actions_pop_vlan(&acts);
	flow_actions_output(&acts, 1);
	flow_actions_execute(&acts, m, pool, &emit, drops);

	assert_int_equal(emit.n, 1);
	assert_int_equal(rte_pktmbuf_data_len(m), UDP_FRAME_LEN);
	assert_memory_equal(bytes(m), orig, UDP_FRAME_LEN);
	free_emitted_and_check_pool();
}

static void
test_push_vlan_without_headroom_drops_the_packet(void **state)
{
	struct flow_actions acts = { 0 };
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t orig[UDP_FRAME_LEN];
	struct rte_mbuf *f = frame(orig);

	(void)state;
	/* The same frame at the very start of the buffer. */
	assert_non_null(m);
	m->data_off = 0;
	memcpy(rte_pktmbuf_append(m, UDP_FRAME_LEN), orig, UDP_FRAME_LEN);
	rte_pktmbuf_free(f);
	assert_int_equal(rte_pktmbuf_headroom(m), 0);

	flow_actions_push_vlan(&acts, RTE_ETHER_TYPE_VLAN, VLAN_TCI);
	flow_actions_output(&acts, 1);
	assert_int_equal(flow_actions_execute(&acts, m, pool, &emit, drops), ACTION_DONE);

	assert_int_equal(emit.n, 0);
	assert_int_equal(drops[DROP_VLAN_PUSH_FAILED], 1);
	assert_int_equal(total_drops(), 1);
	free_emitted_and_check_pool();
}

/* Drops and the slow path */

static void
test_drop_counts_its_reason_and_frees_the_packet(void **state)
{
	struct flow_actions acts = { 0 };
	struct rte_mbuf *m = frame(NULL);

	(void)state;
	assert_int_equal(flow_actions_drop(&acts, DROP_BRIDGE_HAIRPIN), 0);
	assert_int_equal(flow_actions_execute(&acts, m, pool, &emit, drops), ACTION_DONE);

	assert_int_equal(emit.n, 0);
	assert_int_equal(drops[DROP_BRIDGE_HAIRPIN], 1);
	assert_int_equal(total_drops(), 1);
	free_emitted_and_check_pool();
}

static void
test_an_empty_list_is_a_flow_drop(void **state)
{
	struct flow_actions acts = { 0 };
	struct rte_mbuf *m = frame(NULL);

	(void)state;
	assert_int_equal(flow_actions_execute(&acts, m, pool, &emit, drops), ACTION_DONE);
	assert_int_equal(emit.n, 0);
	assert_int_equal(drops[DROP_FLOW_ACTION_DROP], 1);
	assert_int_equal(total_drops(), 1);
	free_emitted_and_check_pool();
}

static void
test_a_list_without_output_drops_after_its_rewrites(void **state)
{
	struct flow_actions acts = { 0 };
	struct rte_mbuf *m = frame(NULL);

	(void)state;
	flow_actions_set_eth(&acts, 1, &mac_new);
	flow_actions_execute(&acts, m, pool, &emit, drops);
	assert_int_equal(emit.n, 0);
	assert_int_equal(drops[DROP_FLOW_ACTION_DROP], 1);
	free_emitted_and_check_pool();
}

static void
test_an_unknown_drop_reason_is_counted_as_a_flow_drop(void **state)
{
	struct flow_actions acts = { 0 };
	struct rte_mbuf *m = frame(NULL);

	(void)state;
	flow_actions_drop(&acts, DROP_REASON_COUNT + 5);
	flow_actions_execute(&acts, m, pool, &emit, drops);
	assert_int_equal(drops[DROP_FLOW_ACTION_DROP], 1);
	assert_int_equal(total_drops(), 1);
	free_emitted_and_check_pool();
}

static void
test_to_slow_path_hands_the_packet_back_untouched(void **state)
{
	struct flow_actions acts = { 0 };
	uint8_t orig[UDP_FRAME_LEN];
	struct rte_mbuf *m = frame(orig);

	(void)state;
	assert_int_equal(flow_actions_to_slow_path(&acts), 0);
	assert_int_equal(flow_actions_execute(&acts, m, pool, &emit, drops), ACTION_SLOW_PATH);

	assert_int_equal(emit.n, 0);
	assert_int_equal(total_drops(), 0);
	/* Still the caller's: not freed, not changed. */
	assert_int_equal(rte_mempool_avail_count(pool), pool_before - 1);
	assert_int_equal(rte_pktmbuf_data_len(m), UDP_FRAME_LEN);
	assert_memory_equal(bytes(m), orig, UDP_FRAME_LEN);
	rte_pktmbuf_free(m);
	free_emitted_and_check_pool();
}

/* NAT: addresses and ports rewritten, checksums patched in place */

#define NAT_IP_OFS RTE_ETHER_HDR_LEN
#define NAT_UDP_OFS (RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr))

/* The UDP frame, parsed as a worker would, with a real UDP checksum unless zero_sum. */
static struct rte_mbuf *
nat_frame(bool zero_sum)
{
	struct rte_mbuf *m = frame(NULL);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, NAT_IP_OFS);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	if (!zero_sum)
		udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	assert_int_equal(udp_frame_receive(m, 0, 0), 0);
	return m;
}

/* The patched IPv4 header and UDP checksums equal the ones summed from scratch. */
static void
assert_checksums_hold(struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, NAT_IP_OFS);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	uint16_t patched = udp->dgram_cksum;

	/* Summed over a header that holds its checksum: 0 when it is right. */
	assert_int_equal(rte_ipv4_cksum(ip), 0);
	udp->dgram_cksum = 0;
	assert_int_equal(rte_ipv4_udptcp_cksum(ip, udp), patched);
	udp->dgram_cksum = patched;
}

/*
 * Run "set_ipv4_(src|dst):addr[:port],output:1" on m, the list printing as
 * formatted (unless NULL); the packet's IPv4 header afterwards.
 */
static const struct rte_ipv4_hdr *
nat_run(struct rte_mbuf *m, int dst, rte_be32_t addr, uint16_t port, bool port_too,
	const char *formatted)
{
	struct flow_actions acts = { 0 };

	assert_int_equal(flow_actions_set_ipv4(&acts, dst, addr, rte_cpu_to_be_16(port), port_too),
			 0);
	assert_int_equal(flow_actions_output(&acts, 1), 0);
	if (formatted != NULL)
		assert_formats_as(&acts, formatted);
	assert_int_equal(flow_actions_execute(&acts, m, pool, &emit, drops), ACTION_DONE);
	return rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, NAT_IP_OFS);
}

static void
test_set_ipv4_src_rewrites_address_and_port_and_both_checksums(void **state)
{
	struct rte_mbuf *m = nat_frame(false);
	const rte_be32_t addr = rte_cpu_to_be_32(UDP_FRAME_IPV4(203, 0, 113, 7));
	const struct rte_ipv4_hdr *ip;
	const struct rte_udp_hdr *udp;

	(void)state;
	ip = nat_run(m, 0, addr, 40000, true, "set_ipv4_src:203.0.113.7:40000,output:1");
	udp = (const struct rte_udp_hdr *)(ip + 1);
	assert_int_equal(ip->src_addr, addr);
	assert_int_equal(ip->dst_addr, rte_cpu_to_be_32(UDP_FRAME_IP_DST));
	assert_int_equal(rte_be_to_cpu_16(udp->src_port), 40000);
	assert_int_equal(rte_be_to_cpu_16(udp->dst_port), 5678);
	assert_checksums_hold(m);
	free_emitted_and_check_pool();
}

/*
 * A tag pushed before the rewrite (a VLAN bridge's trunk after a router's
 * NAT) moves the headers 4 bytes on: the rewrite finds them there, and a pop
 * brings them back where the header's own offsets say.
 */
static void
test_set_ipv4_after_push_vlan_rewrites_the_moved_header(void **state)
{
	struct rte_mbuf *m = nat_frame(false);
	const rte_be32_t addr = rte_cpu_to_be_32(UDP_FRAME_IPV4(203, 0, 113, 9));
	struct flow_actions acts = { 0 };
	struct rte_ipv4_hdr *ip;

	(void)state;
	flow_actions_push_vlan(&acts, RTE_ETHER_TYPE_VLAN, VLAN_TCI);
	flow_actions_set_ipv4(&acts, 0, addr, 0, false);
	flow_actions_pop_vlan(&acts);
	flow_actions_set_ipv4(&acts, 1, addr, 0, false);
	flow_actions_output(&acts, 1);
	assert_int_equal(flow_actions_execute(&acts, m, pool, &emit, drops), ACTION_DONE);
	assert_int_equal(rte_pktmbuf_data_len(m), UDP_FRAME_LEN);
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, NAT_IP_OFS);
	assert_int_equal(ip->version_ihl, 0x45);
	assert_int_equal(ip->src_addr, addr);
	assert_int_equal(ip->dst_addr, addr);
	assert_int_equal(pkt_meta(m)->l3_ofs, NAT_IP_OFS);
	assert_checksums_hold(m);
	free_emitted_and_check_pool();
}

static void
test_set_ipv4_dst_without_port_keeps_the_port(void **state)
{
	struct rte_mbuf *m = nat_frame(false);
	const rte_be32_t addr = rte_cpu_to_be_32(UDP_FRAME_IPV4(10, 0, 0, 5));
	const struct rte_ipv4_hdr *ip;
	const struct rte_udp_hdr *udp;

	(void)state;
	ip = nat_run(m, 1, addr, 99, false, "set_ipv4_dst:10.0.0.5,output:1");
	udp = (const struct rte_udp_hdr *)(ip + 1);
	assert_int_equal(ip->dst_addr, addr);
	assert_int_equal(rte_be_to_cpu_16(udp->dst_port), 5678);
	assert_checksums_hold(m);
	free_emitted_and_check_pool();
}

static void
test_set_ipv4_leaves_a_zero_udp_checksum_zero(void **state)
{
	struct rte_mbuf *m = nat_frame(true);
	const struct rte_ipv4_hdr *ip;
	const struct rte_udp_hdr *udp;

	(void)state;
	ip = nat_run(m, 1, rte_cpu_to_be_32(UDP_FRAME_IPV4(10, 9, 8, 7)), 53, true, NULL);
	udp = (const struct rte_udp_hdr *)(ip + 1);
	/* No checksum was sent (RFC 768): none is made up, the header one still holds. */
	assert_int_equal(udp->dgram_cksum, 0);
	assert_int_equal(rte_be_to_cpu_16(udp->dst_port), 53);
	/* Summed over a header that holds its checksum: 0 when it is right. */
	assert_int_equal(rte_ipv4_cksum(ip), 0);
	free_emitted_and_check_pool();
}

static void
test_set_ipv4_on_a_later_fragment_rewrites_the_address_only(void **state)
{
	struct rte_mbuf *m = nat_frame(false);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, NAT_IP_OFS);
	uint8_t after_ip[UDP_FRAME_LEN - NAT_UDP_OFS];

	(void)state;
	/* Offset 8 bytes, no more fragments: what follows the header is data, not UDP. */
	ip->fragment_offset = rte_cpu_to_be_16(1);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	assert_int_equal(udp_frame_receive(m, 0, 0), 0);
	assert_int_equal(pkt_meta(m)->key.nw_frag, FLOW_FRAG_LATER);
	memcpy(after_ip, bytes(m) + NAT_UDP_OFS, sizeof(after_ip));

	nat_run(m, 0, rte_cpu_to_be_32(UDP_FRAME_IPV4(10, 1, 1, 1)), 1, true, NULL);
	assert_int_equal(ip->src_addr, rte_cpu_to_be_32(UDP_FRAME_IPV4(10, 1, 1, 1)));
	/* Summed over a header that holds its checksum: 0 when it is right. */
	assert_int_equal(rte_ipv4_cksum(ip), 0);
	assert_memory_equal(bytes(m) + NAT_UDP_OFS, after_ip, sizeof(after_ip));
	free_emitted_and_check_pool();
}

/* Routed IPv6: the hop limit and the length are checked by the actions, not the key */

#define IP6_FRAME_HDRS (RTE_ETHER_HDR_LEN + 40)
#define IP6_HLIM_OFS (RTE_ETHER_HDR_LEN + 7)

/* An Ethernet + IPv6 frame with payload_len bytes of payload and the given hop limit. */
static struct rte_mbuf *
ipv6_frame(uint16_t payload_len, uint8_t hop_limit)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_ether_hdr *eh;
	struct rte_ipv6_hdr *ip;
	uint8_t *p;

	assert_non_null(m);
	p = (uint8_t *)rte_pktmbuf_append(m, IP6_FRAME_HDRS + payload_len);
	assert_non_null(p);
	memset(p, 0x5a, IP6_FRAME_HDRS + payload_len);
	eh = (struct rte_ether_hdr *)p;
	eh->dst_addr = mac_dst;
	eh->src_addr = mac_src;
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	ip = (struct rte_ipv6_hdr *)(eh + 1);
	ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16(payload_len);
	ip->proto = IPPROTO_UDP;
	ip->hop_limits = hop_limit;
	pkt_meta(m)->l3_ofs = RTE_ETHER_HDR_LEN;
	return m;
}

/* CHECK_IPV6(over, mtu), DEC_HOP_LIMIT(n), a rewrite and an output: a routed flow. */
static void
routed6_actions(struct flow_actions *acts, uint8_t over, uint16_t mtu)
{
	memset(acts, 0, sizeof(*acts));
	assert_int_equal(flow_actions_check_ipv6(acts, over, mtu), 0);
	assert_int_equal(flow_actions_dec_hop_limit(acts, over), 0);
	assert_int_equal(flow_actions_set_eth(acts, 1, &mac_new), 0);
	assert_int_equal(flow_actions_output(acts, 4), 0);
}

static void
test_check_ipv6_passes_and_dec_hop_limit_lowers_it_by_the_routers_crossed(void **state)
{
	struct flow_actions acts;
	struct rte_mbuf *m = ipv6_frame(100, 64);
	uint8_t orig[IP6_FRAME_HDRS + 100];

	(void)state;
	memcpy(orig, bytes(m), sizeof(orig));
	routed6_actions(&acts, 2, 140);     /* exactly the MTU: 40 + 100 */
	assert_int_equal(flow_actions_execute(&acts, m, pool, &emit, drops), ACTION_DONE);

	assert_int_equal(emit.n, 1);
	assert_ptr_equal(emit.pkt[0], m);
	assert_int_equal(bytes(m)[IP6_HLIM_OFS], 62);
	/* Nothing else in the IPv6 header changes: there is no checksum to patch. */
	orig[IP6_HLIM_OFS] = 62;
	memcpy(orig, &mac_new, RTE_ETHER_ADDR_LEN);
	assert_memory_equal(bytes(m), orig, sizeof(orig));
	assert_int_equal(total_drops(), 0);
	free_emitted_and_check_pool();
}

static void
test_check_ipv6_sends_a_hop_limit_that_would_expire_up_untouched(void **state)
{
	struct flow_actions acts;
	struct rte_mbuf *m = ipv6_frame(20, 2);
	uint8_t orig[IP6_FRAME_HDRS + 20];

	(void)state;
	memcpy(orig, bytes(m), sizeof(orig));
	routed6_actions(&acts, 2, 1500);    /* two routers: a hop limit of 2 would reach 0 */
	assert_int_equal(flow_actions_execute(&acts, m, pool, &emit, drops), ACTION_SLOW_PATH);
	assert_int_equal(emit.n, 0);
	assert_memory_equal(bytes(m), orig, sizeof(orig));
	rte_pktmbuf_free(m);
	assert_int_equal(total_drops(), 0);
	free_emitted_and_check_pool();
}

static void
test_check_ipv6_sends_a_packet_over_the_mtu_up_untouched(void **state)
{
	struct flow_actions acts;
	struct rte_mbuf *m = ipv6_frame(101, 64);
	uint8_t orig[IP6_FRAME_HDRS + 101];

	(void)state;
	memcpy(orig, bytes(m), sizeof(orig));
	routed6_actions(&acts, 1, 140);     /* 141 bytes of IPv6: one too many */
	assert_int_equal(flow_actions_execute(&acts, m, pool, &emit, drops), ACTION_SLOW_PATH);
	assert_int_equal(emit.n, 0);
	assert_memory_equal(bytes(m), orig, sizeof(orig));
	rte_pktmbuf_free(m);
	assert_int_equal(total_drops(), 0);
	free_emitted_and_check_pool();
}

static void
test_routed_ipv6_actions_format(void **state)
{
	struct flow_actions acts;

	(void)state;
	routed6_actions(&acts, 1, 1280);
	assert_formats_as(&acts, "check6(hlim>1,len<=1280),dec_hop_limit:1,"
				 "set_eth_dst:02:AA:BB:CC:DD:EE,output:4");
}

/* Building lists */

static void
test_append_helpers_refuse_past_the_maximum(void **state)
{
	struct flow_actions acts = { 0 };
	unsigned int i;

	(void)state;
	for (i = 0; i < FLOW_ACTIONS_MAX; i++)
		assert_int_equal(flow_actions_output(&acts, i), 0);
	assert_int_equal(flow_actions_output(&acts, 99), -ENOSPC);
	assert_int_equal(flow_actions_drop(&acts, DROP_PORT_DOWN), -ENOSPC);
	assert_int_equal(flow_actions_set_eth(&acts, 0, &mac_new), -ENOSPC);
	assert_int_equal(flow_actions_set_eth(&acts, 1, &mac_new), -ENOSPC);
	assert_int_equal(flow_actions_push_vlan(&acts, RTE_ETHER_TYPE_VLAN, 1), -ENOSPC);
	assert_int_equal(flow_actions_pop_vlan(&acts), -ENOSPC);
	assert_int_equal(flow_actions_to_slow_path(&acts), -ENOSPC);

	/* A refused append leaves the list as it was. */
	assert_int_equal(acts.n, FLOW_ACTIONS_MAX);
	assert_int_equal(acts.n_outputs, FLOW_ACTIONS_MAX);
	for (i = 0; i < FLOW_ACTIONS_MAX; i++) {
		assert_int_equal(acts.a[i].type, FLOW_ACTION_OUTPUT);
		assert_int_equal(acts.a[i].port, i);
	}
}

static void
test_append_helpers_fill_in_each_action(void **state)
{
	struct flow_actions acts = { 0 };

	(void)state;
	flow_actions_drop(&acts, DROP_PORT_DOWN);
	flow_actions_set_eth(&acts, 0, &mac_new);
	flow_actions_set_eth(&acts, 1, &mac_dst);
	flow_actions_push_vlan(&acts, RTE_ETHER_TYPE_QINQ, OUTER_TCI);
	flow_actions_pop_vlan(&acts);
	flow_actions_to_slow_path(&acts);
	flow_actions_output(&acts, 4);

	assert_int_equal(acts.n, 7);
	assert_int_equal(acts.n_outputs, 1);
	assert_int_equal(acts.a[0].type, FLOW_ACTION_DROP);
	assert_int_equal(acts.a[0].drop_reason, DROP_PORT_DOWN);
	assert_int_equal(acts.a[1].type, FLOW_ACTION_SET_ETH_SRC);
	assert_memory_equal(&acts.a[1].mac, &mac_new, sizeof(mac_new));
	assert_int_equal(acts.a[2].type, FLOW_ACTION_SET_ETH_DST);
	assert_memory_equal(&acts.a[2].mac, &mac_dst, sizeof(mac_dst));
	assert_int_equal(acts.a[3].type, FLOW_ACTION_PUSH_VLAN);
	assert_int_equal(acts.a[3].vlan.tpid, RTE_ETHER_TYPE_QINQ);
	assert_int_equal(acts.a[3].vlan.tci, OUTER_TCI);
	assert_int_equal(acts.a[4].type, FLOW_ACTION_POP_VLAN);
	assert_int_equal(acts.a[5].type, FLOW_ACTION_TO_SLOW_PATH);
	assert_int_equal(acts.a[6].type, FLOW_ACTION_OUTPUT);
	assert_int_equal(acts.a[6].port, 4);
}

/* Printing */

static void
test_format(void **state)
{
	struct flow_actions acts = { 0 };

	(void)state;
	assert_formats_as(&acts, "drop(flow_drop)");

	flow_actions_output(&acts, 1);
	flow_actions_output(&acts, 2);
	assert_formats_as(&acts, "output:1,output:2");

	memset(&acts, 0, sizeof(acts));
	flow_actions_drop(&acts, DROP_BRIDGE_HAIRPIN);
	assert_formats_as(&acts, "drop(bridge_hairpin)");

	memset(&acts, 0, sizeof(acts));
	flow_actions_set_eth(&acts, 1, &mac_dst);
	flow_actions_set_eth(&acts, 0, &mac_new);
	flow_actions_output(&acts, 3);
	assert_formats_as(&acts, "set_eth_dst:0A:0B:0C:0D:0E:0F,set_eth_src:02:AA:BB:CC:DD:EE,"
				 "output:3");

	memset(&acts, 0, sizeof(acts));
	flow_actions_push_vlan(&acts, RTE_ETHER_TYPE_VLAN, 100);
	flow_actions_output(&acts, 0);
	flow_actions_pop_vlan(&acts);
	flow_actions_output(&acts, 7);
	assert_formats_as(&acts, "push_vlan:0x8100/100,output:0,pop_vlan,output:7");

	memset(&acts, 0, sizeof(acts));
	flow_actions_to_slow_path(&acts);
	assert_formats_as(&acts, "slow_path");
}

static void
test_format_truncates_to_the_buffer(void **state)
{
	struct flow_actions acts = { 0 };
	char buf[8];

	(void)state;
	flow_actions_output(&acts, 1);
	flow_actions_output(&acts, 2);
	assert_int_equal(flow_actions_format(&acts, buf, sizeof(buf)), 7);
	assert_string_equal(buf, "output:");
	assert_int_equal(flow_actions_format(&acts, buf, 0), 0);
}

/* Fixture */

static int
setup_test(void **state)
{
	(void)state;
	memset(&emit, 0, sizeof(emit));
	memset(drops, 0, sizeof(drops));
	pool_before = rte_mempool_avail_count(pool);
	return 0;
}

static int
setup(void **state)
{
	(void)state;
	pool = unit_eal_start("ut_flow_action", "ut_action", POOL_SIZE);
	return pool == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	unit_eal_stop(pool);
	return 0;
}

#define T(f) cmocka_unit_test_setup(f, setup_test)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_single_output_emits_the_packet_itself),
		T(test_outputs_append_after_what_emit_already_holds),
		T(test_flood_copies_the_packet_for_all_but_the_last_port),
		T(test_a_flood_without_buffers_still_sends_the_original),
		T(test_an_output_sends_the_packet_as_it_is_at_that_point),
		T(test_set_eth_src_and_dst_rewrite_the_addresses_only),
		T(test_push_vlan_inserts_tpid_and_tci_after_the_addresses),
		T(test_push_two_tags_makes_qinq_outer_first),
		T(test_pop_vlan_undoes_push_vlan),
		T(test_pop_vlan_on_an_untagged_frame_changes_nothing),
		T(test_push_vlan_without_headroom_drops_the_packet),
		T(test_drop_counts_its_reason_and_frees_the_packet),
		T(test_an_empty_list_is_a_flow_drop),
		T(test_a_list_without_output_drops_after_its_rewrites),
		T(test_an_unknown_drop_reason_is_counted_as_a_flow_drop),
		T(test_to_slow_path_hands_the_packet_back_untouched),
		T(test_set_ipv4_src_rewrites_address_and_port_and_both_checksums),
		T(test_set_ipv4_dst_without_port_keeps_the_port),
		T(test_set_ipv4_after_push_vlan_rewrites_the_moved_header),
		T(test_set_ipv4_leaves_a_zero_udp_checksum_zero),
		T(test_set_ipv4_on_a_later_fragment_rewrites_the_address_only),
		T(test_check_ipv6_passes_and_dec_hop_limit_lowers_it_by_the_routers_crossed),
		T(test_check_ipv6_sends_a_hop_limit_that_would_expire_up_untouched),
		T(test_check_ipv6_sends_a_packet_over_the_mtu_up_untouched),
		T(test_routed_ipv6_actions_format),
		T(test_append_helpers_refuse_past_the_maximum),
		T(test_append_helpers_fill_in_each_action),
		T(test_format),
		T(test_format_truncates_to_the_buffer),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
