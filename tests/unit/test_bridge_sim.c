/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulation of a MidoNet bridge, as a specification.
 *
 * The test stands where worker 0 stands: it parses frames, takes admission
 * tokens and puts misses on the upcall ring; then it runs the simulation
 * thread's poll (no thread is started) and looks at what came back on the
 * ring to worker 0, what the flow cache holds and what the MAC table learned.
 *
 * The topology is one bridge loaded from a topology file:
 *
 *   port      interface (DPDK port)   state
 *   p-a       a (0)                   up
 *   p-b       b (1)                   up
 *   p-c       c (2)                   up
 *   p-down    d (3)                   admin down
 *   p-nobind  -                       up, bound to nothing here
 *   -         e (4)                   an interface with no binding
 *
 * MAC aging is 1 s; aging is driven by calling mac_table_age with an
 * explicit "now" rather than by sleeping.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "unit_eal.h"
#include "flow_tags.h"
#include "sim.h"
#include "topology_json.h"
#include "udp_frame.h"

/* Interfaces (DPDK ports) and the virtual ports bound to them (topology indexes). */
enum { IF_A, IF_B, IF_C, IF_DOWN, IF_UNBOUND, N_IFS };
enum { P_A, P_B, P_C, P_DOWN, P_NOBIND };
#define BRIDGE 0
#define AGING_S 1
#define WORKER 0

#define POOL_SIZE 255
#define RING_SIZE 64
#define GLOBAL_BUCKET 16
#define PORT_BUCKET 8

static const struct local_interface ifs[N_IFS] = {
	{ "a", IF_A }, { "b", IF_B }, { "c", IF_C }, { "d", IF_DOWN }, { "e", IF_UNBOUND },
};

static const struct rte_ether_addr mac_a = { { 0x02, 0, 0, 0, 0, 0x0a } };
static const struct rte_ether_addr mac_b = { { 0x02, 0, 0, 0, 0, 0x0b } };
static const struct rte_ether_addr mac_c = { { 0x02, 0, 0, 0, 0, 0x0c } };
static const struct rte_ether_addr mac_x = { { 0x02, 0, 0, 0, 0, 0x99 } }; /* also behind p-a */
static const struct rte_ether_addr mac_mcast = { { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 } };
static const struct rte_ether_addr bcast = { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };

static struct rte_mempool *pool;

/* Per test. */
static struct upcall_channel_config uc_cfg = {
	.n_sim = 1,
	.n_workers = 1,
	.ring_size = RING_SIZE,
	.global_bucket = GLOBAL_BUCKET,
	.tunnel_bucket = PORT_BUCKET,
	.vport_bucket = PORT_BUCKET,
	.socket_id = SOCKET_ID_ANY,
};
static struct upcall_channel *uc;
static struct flow_cache *cache;
static struct mac_table *macs;
static struct sim_thread *st;
static struct arp_table *arps;

/* The packets the simulation handed to worker 0, by meta->out_port, in ring order. */
struct sent {
	unsigned int n;
	uint16_t port[RING_SIZE];
};

/* Topology */

/* vlan: every port an access port of that VLAN (a VLAN-aware bridge), or 0. */
static struct topology *
load_topology_on(bool b_up, const struct local_interface *interfaces, int vlan)
{
	char v[32] = "";
	char path[] = "/tmp/ut_bridge_sim_XXXXXX", err[256];
	struct topology *t;
	FILE *f;
	int fd;

	if (vlan != 0)
		snprintf(v, sizeof(v), ", \"vlan\": %d", vlan);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fprintf(f,
		"{ \"bridges\": [ { \"id\": \"br0\", \"mac_aging_s\": %d, \"ports\": [\n"
		"    { \"id\": \"p-a\"%s },\n"
		"    { \"id\": \"p-b\", \"admin_state_up\": %s%s },\n"
		"    { \"id\": \"p-c\"%s },\n"
		"    { \"id\": \"p-down\", \"admin_state_up\": false },\n"
		"    { \"id\": \"p-nobind\" } ] } ],\n"
		"  \"bindings\": [\n"
		"    { \"port\": \"p-a\", \"interface\": \"a\" },\n"
		"    { \"port\": \"p-b\", \"interface\": \"b\" },\n"
		"    { \"port\": \"p-c\", \"interface\": \"c\" },\n"
		"    { \"port\": \"p-down\", \"interface\": \"d\" } ] }\n",
		AGING_S, v, b_up ? "true" : "false", v, v);
	fclose(f);
	t = topology_file_load(path, interfaces, N_IFS, err, sizeof(err));
	unlink(path);
	if (t == NULL)
		fail_msg("%s", err);
	return t;
}

static struct topology *
load_topology(bool b_up)
{
	return load_topology_on(b_up, ifs, 0);
}

/* The worker side */

/* Worker 0 received src -> dst on in_port and missed the cache: hand it to the simulation. */
static struct flow_key
miss(uint16_t in_port, const struct rte_ether_addr *src, const struct rte_ether_addr *dst)
{
	struct rte_mbuf *m = udp_frame(pool, dst, src, 1234, 5678);
	struct pkt_meta *meta;

	assert_non_null(m);
	assert_int_equal(udp_frame_receive(m, in_port, WORKER), 0);
	meta = pkt_meta(m);
	assert_int_equal(upcall_admit(uc, in_port), 0);
	assert_int_equal(rte_ring_enqueue(uc->to_sim[upcall_sim_index(uc, meta->hash)], m), 0);
	return meta->key;
}

/* Worker 0 drains its injection ring. */
static struct sent
sent(void)
{
	struct rte_mbuf *pkts[RING_SIZE];
	struct sent s = { 0 };
	unsigned int i;

	s.n = rte_ring_dequeue_burst(uc->to_worker[WORKER], (void **)pkts, RING_SIZE, NULL);
	for (i = 0; i < s.n; i++) {
		s.port[i] = pkt_meta(pkts[i])->out_port;
		assert_int_equal(rte_pktmbuf_pkt_len(pkts[i]), UDP_FRAME_LEN);
		rte_pktmbuf_free(pkts[i]);
	}
	return s;
}

static void
assert_sent(struct sent s, unsigned int n, const uint16_t *ports)
{
	unsigned int i;

	assert_int_equal(s.n, n);
	for (i = 0; i < n; i++)
		assert_int_equal(s.port[i], ports[i]);
}

#define SENT(...)                                                                  \
	do {                                                                       \
		const uint16_t p_[] = { __VA_ARGS__ };                             \
		assert_sent(sent(), RTE_DIM(p_), p_);                              \
	} while (0)
#define SENT_NOTHING() assert_int_equal(sent().n, 0)

/* The simulation side */

static unsigned int
simulate(void)
{
	return sim_thread_poll(st);
}

static const struct flow *
flow_of(const struct flow_key *key)
{
	return flow_cache_lookup(cache, key, flow_key_hash(key));
}

static void
assert_flow(const struct flow_key *key, const char *actions)
{
	const struct flow *f = flow_of(key);
	char buf[256];

	assert_non_null(f);
	flow_actions_format(&f->actions, buf, sizeof(buf));
	assert_string_equal(buf, actions);
}

static bool
has_tag(const struct flow *f, uint64_t tag)
{
	unsigned int i;

	for (i = 0; i < f->n_tags; i++)
		if (f->tags[i].tag == tag)
			return true;
	return false;
}

static int64_t
learned_port(const struct rte_ether_addr *mac)
{
	return mac_table_lookup(macs, BRIDGE, 0, mac);
}

static struct sim_stats
stats(void)
{
	struct sim_stats s;

	sim_stats_read(st, &s);
	return s;
}

static struct flow_cache_counters
cache_counters(void)
{
	struct flow_cache_counters c;

	flow_cache_counters_read(cache, &c);
	return c;
}

/* What the simulation thread does when an entry ages out (sim_thread.c, sim_mac_aged). */
static unsigned int n_aged;

static void
forget_flows_towards(void *arg, uint32_t bridge, const struct rte_ether_addr *mac)
{
	(void)arg;
	n_aged++;
	flow_cache_invalidate_tag(cache, tag_mac(bridge, mac));
}

static bool
all_tokens_returned(void)
{
	unsigned int i;

	if (uc->global.tokens != uc->global.size)
		return false;
	for (i = 0; i < N_IFS; i++)
		if (uc->port[i].tokens != uc->port[i].size)
			return false;
	return true;
}

/* Flooding */

static void
test_unknown_unicast_floods_to_every_other_bound_up_port(void **state)
{
	struct flow_key k;
	const struct flow *f;

	(void)state;
	k = miss(IF_A, &mac_a, &mac_b);
	assert_int_equal(simulate(), 1);

	/* Not back to a, not to the down port, not to the unbound one. */
	SENT(IF_B, IF_C);
	assert_flow(&k, "output:1,output:2");
	f = flow_of(&k);
	assert_int_equal(f->n_tags, 4);
	assert_true(has_tag(f, tag_port(P_A)));
	assert_true(has_tag(f, tag_device(BRIDGE)));
	assert_true(has_tag(f, tag_mac(BRIDGE, &mac_a))); /* learned from it */
	assert_true(has_tag(f, tag_mac(BRIDGE, &mac_b))); /* flooded because unknown */

	assert_int_equal(learned_port(&mac_a), P_A);
	assert_int_equal(learned_port(&mac_b), -ENOENT);
	assert_int_equal(stats().upcalls, 1);
	assert_int_equal(stats().simulated, 1);
	assert_int_equal(stats().installed, 1);
	assert_int_equal(stats().injected, 2);
	assert_int_equal(stats().mac_learned, 1);
}

static void
test_broadcast_floods_to_every_other_bound_up_port(void **state)
{
	struct flow_key k;
	const struct flow *f;

	(void)state;
	k = miss(IF_B, &mac_b, &bcast);
	simulate();

	SENT(IF_A, IF_C);
	assert_flow(&k, "output:0,output:2");
	f = flow_of(&k);
	/* No destination tag: learning cannot change where a broadcast goes. */
	assert_int_equal(f->n_tags, 3);
	assert_true(has_tag(f, tag_port(P_B)));
	assert_true(has_tag(f, tag_device(BRIDGE)));
	assert_true(has_tag(f, tag_mac(BRIDGE, &mac_b)));
	assert_int_equal(learned_port(&mac_b), P_B);
}

/* No station sends from a group or an all-zero address: such a frame is dropped, not learned. */
static void
assert_bad_source_dropped(const struct rte_ether_addr *src, uint64_t n_dropped)
{
	struct flow_key k;

	k = miss(IF_A, src, &mac_b);
	simulate();
	SENT_NOTHING();
	assert_flow(&k, "drop(bridge_bad_src_mac)");
	assert_int_equal(mac_table_count(macs), 0);
	assert_int_equal(stats().mac_learned, 0);
	assert_int_equal(flow_of(&k)->owner_cookie, 0); /* keeps no MAC entry alive */
	assert_int_equal(stats().drops[DROP_BRIDGE_BAD_SRC_MAC], n_dropped);
}

static void
test_a_multicast_source_is_dropped_and_never_learned(void **state)
{
	(void)state;
	assert_bad_source_dropped(&mac_mcast, 1);
}

static void
test_a_broadcast_source_is_dropped_and_never_learned(void **state)
{
	(void)state;
	assert_bad_source_dropped(&bcast, 1);
}

static void
test_an_all_zero_source_is_dropped_and_never_learned(void **state)
{
	static const struct rte_ether_addr zero = { { 0 } };

	(void)state;
	assert_bad_source_dropped(&zero, 1);
}

/* Forwarding to a learned port */

static void
test_a_learned_destination_gets_exactly_one_port(void **state)
{
	struct flow_key k;
	const struct flow *f;

	(void)state;
	miss(IF_B, &mac_b, &bcast);
	simulate();
	sent();

	k = miss(IF_A, &mac_a, &mac_b);
	simulate();
	SENT(IF_B);
	assert_flow(&k, "output:1");
	f = flow_of(&k);
	assert_int_equal(f->n_tags, 5);
	assert_true(has_tag(f, tag_port(P_A)));
	assert_true(has_tag(f, tag_device(BRIDGE)));
	assert_true(has_tag(f, tag_mac(BRIDGE, &mac_a)));
	assert_true(has_tag(f, tag_mac(BRIDGE, &mac_b)));
	assert_true(has_tag(f, tag_port(P_B))); /* the egress port */
}

static void
test_a_destination_on_the_ingress_port_is_a_hairpin_drop(void **state)
{
	struct flow_key k;

	(void)state;
	miss(IF_A, &mac_a, &bcast);
	simulate();
	sent();

	/* X and A sit on the same segment behind p-a: it already has the frame. */
	k = miss(IF_A, &mac_x, &mac_a);
	simulate();
	SENT_NOTHING();
	assert_flow(&k, "drop(bridge_hairpin)");
	assert_int_equal(stats().drops[DROP_BRIDGE_HAIRPIN], 1);
	assert_int_equal(learned_port(&mac_x), P_A);
}

static void
test_a_destination_behind_a_port_now_down_is_dropped(void **state)
{
	struct sim_result res;
	struct rte_mbuf *m;

	(void)state;
	miss(IF_B, &mac_b, &bcast);
	simulate();
	sent();

	/* A new snapshot in which p-b is admin down (taken between bursts); B is still learned there. */
	sim_thread_set_topology(st, load_topology(false));
	assert_int_equal(sim_thread_poll(st), 0);
	m = udp_frame(pool, &mac_b, &mac_a, 1234, 5678);
	assert_int_equal(udp_frame_receive(m, IF_A, WORKER), 0);
	sim_packet(st, m, rte_get_tsc_cycles(), &res);
	rte_pktmbuf_free(m);

	assert_int_equal(res.actions.n, 1);
	assert_int_equal(res.actions.n_outputs, 0);
	assert_int_equal(res.actions.a[0].type, FLOW_ACTION_DROP);
	assert_int_equal(res.actions.a[0].drop_reason, DROP_PORT_DOWN);
	assert_true(res.cacheable);
	assert_int_not_equal(res.mac_entry, MAC_NO_ENTRY); /* A was learned on p-a */
	assert_int_equal(res.tags[res.n_tags - 1], tag_port(P_B));
}

/* B learned behind p-b, then p-b's link down: the next frame from A to B, walked. */
static struct sim_result
walk_to_b_after_link_down(int vlan)
{
	struct local_interface down[N_IFS];
	struct sim_result res;
	struct rte_mbuf *m;

	sim_thread_set_topology(st, load_topology_on(true, ifs, vlan));
	assert_int_equal(sim_thread_poll(st), 0);
	miss(IF_B, &mac_b, &bcast);
	simulate();
	sent();
	memcpy(down, ifs, sizeof(down));
	down[IF_B].link_down = true;
	sim_thread_set_topology(st, load_topology_on(true, down, vlan));
	assert_int_equal(sim_thread_poll(st), 0);
	assert_int_equal(mac_table_lookup(macs, BRIDGE, vlan, &mac_b), P_B);
	m = udp_frame(pool, &mac_b, &mac_a, 1234, 5678);
	assert_int_equal(udp_frame_receive(m, IF_A, WORKER), 0);
	sim_packet(st, m, rte_get_tsc_cycles(), &res);
	rte_pktmbuf_free(m);
	return res;
}

/*
 * An L2 gateway's failover: in a VLAN-aware bridge B may be reachable
 * another way (the other trunk, once the physical switch unblocks it), so a
 * frame to it is flooded, not dropped, until it is learned again.
 */
static void
test_in_a_vlan_aware_bridge_a_destination_behind_a_link_down_port_is_flooded(void **state)
{
	struct sim_result res;

	(void)state;
	res = walk_to_b_after_link_down(10);
	/* Out of c only: not back to a, not to b (no carrier), not to the down port. */
	assert_int_equal(res.actions.n_outputs, 1);
	assert_int_equal(res.actions.n, 1);
	assert_int_equal(res.actions.a[0].type, FLOW_ACTION_OUTPUT);
	assert_int_equal(res.actions.a[0].port, IF_C);
	assert_true(res.cacheable);
}

/* A plain bridge's ports are VMs', nowhere else: the frame is dropped as link_down. */
static void
test_in_a_plain_bridge_a_destination_behind_a_link_down_port_is_dropped(void **state)
{
	struct sim_result res;

	(void)state;
	res = walk_to_b_after_link_down(0);
	assert_int_equal(res.actions.n_outputs, 0);
	assert_int_equal(res.actions.a[0].type, FLOW_ACTION_DROP);
	assert_int_equal(res.actions.a[0].drop_reason, DROP_LINK_DOWN);
}

/* Drops at the ingress */

static void
test_an_admin_down_ingress_port_drops_and_learns_nothing(void **state)
{
	struct flow_key k;
	const struct flow *f;

	(void)state;
	k = miss(IF_DOWN, &mac_c, &mac_a);
	simulate();
	SENT_NOTHING();
	assert_flow(&k, "drop(port_down)");
	f = flow_of(&k);
	assert_int_equal(f->n_tags, 1);
	assert_true(has_tag(f, tag_port(P_DOWN)));
	assert_int_equal(stats().drops[DROP_PORT_DOWN], 1);
	assert_int_equal(mac_table_count(macs), 0);
}

static void
test_an_unbound_interface_drops(void **state)
{
	struct flow_key k;
	const struct flow *f;

	(void)state;
	k = miss(IF_UNBOUND, &mac_c, &mac_a);
	simulate();
	SENT_NOTHING();
	assert_flow(&k, "drop(no_binding)");
	f = flow_of(&k);
	assert_int_equal(f->n_tags, 1);
	assert_true(has_tag(f, tag_interface(IF_UNBOUND)));
	assert_int_equal(stats().drops[DROP_NO_BINDING], 1);
	assert_int_equal(mac_table_count(macs), 0);
}

/* Learning and invalidation */

static void
test_learning_a_mac_invalidates_the_flood_flows_towards_it(void **state)
{
	struct flow_key to_b, to_c;

	(void)state;
	to_b = miss(IF_A, &mac_a, &mac_b);
	to_c = miss(IF_A, &mac_a, &mac_c);
	simulate();
	sent();
	assert_flow(&to_b, "output:1,output:2");
	assert_flow(&to_c, "output:1,output:2");

	/* B speaks: it is learned on p-b, and the flood towards it is wrong now. */
	miss(IF_B, &mac_b, &bcast);
	simulate();
	sent();
	assert_int_equal(learned_port(&mac_b), P_B);
	assert_null(flow_of(&to_b));
	assert_flow(&to_c, "output:1,output:2");
	assert_int_equal(cache_counters().invalidated, 1);

	/* The next A -> B misses, and goes to p-b only. */
	miss(IF_A, &mac_a, &mac_b);
	simulate();
	SENT(IF_B);
	assert_flow(&to_b, "output:1");
}

static void
test_a_moved_mac_invalidates_the_flows_to_its_old_port(void **state)
{
	struct flow_key a_bcast, b_to_a, c_to_b;

	(void)state;
	a_bcast = miss(IF_A, &mac_a, &bcast);
	miss(IF_B, &mac_b, &bcast);
	simulate();
	c_to_b = miss(IF_C, &mac_c, &mac_b);
	b_to_a = miss(IF_B, &mac_b, &mac_a);
	simulate();
	sent();
	assert_flow(&b_to_a, "output:0");

	/* A shows up behind p-c. */
	miss(IF_C, &mac_a, &bcast);
	simulate();
	sent();
	assert_int_equal(learned_port(&mac_a), P_C);
	assert_int_equal(stats().mac_moved, 1);
	assert_null(flow_of(&b_to_a));    /* sent to the old port */
	assert_null(flow_of(&a_bcast));   /* learned A on the old port */
	assert_flow(&c_to_b, "output:1"); /* has nothing to do with A */

	miss(IF_B, &mac_b, &mac_a);
	simulate();
	SENT(IF_C);
	assert_flow(&b_to_a, "output:2");
}

/* Aging */

static void
test_a_mac_ages_only_when_no_cached_flow_uses_it(void **state)
{
	const uint64_t aging = AGING_S * rte_get_tsc_hz();
	struct flow_key a_bcast, b_bcast, b_to_a;
	uint64_t before, after;

	(void)state;
	a_bcast = miss(IF_A, &mac_a, &bcast); /* learns A: this flow keeps A alive */
	b_bcast = miss(IF_B, &mac_b, &bcast); /* learns B */
	simulate();
	b_to_a = miss(IF_B, &mac_b, &mac_a);
	simulate();
	sent();
	assert_flow(&b_to_a, "output:0");

	/* An hour later, both are still in use by cached flows: nothing ages. */
	assert_int_equal(mac_table_age(macs, rte_get_tsc_cycles() + 3600 * rte_get_tsc_hz(), 64,
				       forget_flows_towards, NULL), 0);
	assert_int_equal(learned_port(&mac_a), P_A);
	assert_int_equal(learned_port(&mac_b), P_B);

	/* The last flow that learned A goes (its idle timeout, say). */
	before = rte_get_tsc_cycles();
	flow_cache_remove(cache, (struct flow *)flow_of(&a_bcast), FLOW_REMOVED_IDLE);
	after = rte_get_tsc_cycles();

	/* A's aging time counts from then. */
	assert_int_equal(mac_table_age(macs, before + aging, 64, forget_flows_towards, NULL), 0);
	assert_int_equal(learned_port(&mac_a), P_A);
	assert_int_equal(mac_table_age(macs, after + aging + 1, 64, forget_flows_towards, NULL), 1);
	assert_int_equal(n_aged, 1);
	assert_int_equal(learned_port(&mac_a), -ENOENT);
	assert_null(flow_of(&b_to_a));                 /* it went to A's port */
	assert_flow(&b_bcast, "output:0,output:2");    /* it did not */
	assert_int_equal(learned_port(&mac_b), P_B);   /* still used by that one */

	/* A is unknown again: B -> A floods. */
	miss(IF_B, &mac_b, &mac_a);
	simulate();
	SENT(IF_A, IF_C);
}

/* The upcall contract */

static void
test_misses_of_one_key_in_one_burst_are_simulated_once(void **state)
{
	struct flow_key k;

	(void)state;
	k = miss(IF_A, &mac_a, &mac_b);
	miss(IF_A, &mac_a, &mac_b);
	assert_int_equal(simulate(), 2);

	assert_int_equal(stats().upcalls, 2);
	assert_int_equal(stats().simulated, 1);
	assert_int_equal(stats().queued_behind, 1);
	assert_int_equal(stats().installed, 1);
	/* Both packets are flooded, in arrival order. */
	SENT(IF_B, IF_C, IF_B, IF_C);
	assert_int_equal(stats().injected, 4);
	assert_flow(&k, "output:1,output:2");
	assert_true(all_tokens_returned());
	assert_int_equal(uc->global.tokens, uc->global.size);
}

static void
test_a_key_installed_meanwhile_reuses_the_flow(void **state)
{
	(void)state;
	miss(IF_A, &mac_a, &mac_b);
	simulate();
	sent();

	/* A worker missed before the flow was in: the simulation sends it with the flow. */
	miss(IF_A, &mac_a, &mac_b);
	simulate();
	SENT(IF_B, IF_C);
	assert_int_equal(stats().simulated, 1);
	assert_int_equal(stats().reused_flow, 1);
	assert_int_equal(stats().installed, 1);
}

static void
test_tokens_are_held_while_in_the_slow_path_and_returned_after(void **state)
{
	(void)state;
	miss(IF_A, &mac_a, &mac_b);   /* flooded */
	miss(IF_A, &mac_x, &mac_a);   /* hairpin drop, once A is known */
	miss(IF_DOWN, &mac_c, &mac_a); /* dropped at the ingress */
	miss(IF_UNBOUND, &mac_c, &mac_a);
	assert_int_equal(uc->global.tokens, GLOBAL_BUCKET - 4);
	assert_int_equal(uc->port[IF_A].tokens, PORT_BUCKET - 2);
	assert_int_equal(uc->port[IF_DOWN].tokens, PORT_BUCKET - 1);

	assert_int_equal(simulate(), 4);
	sent();
	assert_true(all_tokens_returned());
}

static void
test_admission_stops_a_port_at_its_bucket_and_all_at_the_global_one(void **state)
{
	unsigned int i;

	(void)state;
	/* A VM port: its own bucket stops it while the global one still has tokens. */
	for (i = 0; i < PORT_BUCKET; i++)
		assert_int_equal(upcall_admit(uc, IF_A), 0);
	assert_int_equal(upcall_admit(uc, IF_A), DROP_ADMISSION_VPORT);

	/* An uplink draws from a tunnel bucket; this empties the global one too. */
	upcall_channel_set_port(uc, IF_C, PORT_BUCKET_TUNNEL, &uc_cfg);
	for (i = 0; i < PORT_BUCKET; i++)
		assert_int_equal(upcall_admit(uc, IF_C), 0);
	assert_int_equal(uc->global.tokens, 0);
	assert_int_equal(upcall_admit(uc, IF_C), DROP_ADMISSION_TUNNEL);

	/* Global bucket empty: refused, and the port's token is given back. */
	assert_int_equal(upcall_admit(uc, IF_B), DROP_ADMISSION_GLOBAL);
	assert_int_equal(uc->port[IF_B].tokens, PORT_BUCKET);

	/* What the simulation gives back can be taken again. */
	upcall_release(uc, IF_A);
	assert_int_equal(upcall_admit(uc, IF_A), 0);

	for (i = 0; i < PORT_BUCKET; i++) {
		upcall_release(uc, IF_A);
		upcall_release(uc, IF_C);
	}
}

/* Fixture */

static int
setup_sim(void **state)
{
	struct flow_cache_config fcc = {
		.capacity = 256,
		.n_workers = 1,
		.socket_id = SOCKET_ID_ANY,
	};

	(void)state;
	cache = flow_cache_create("ut_sim", &fcc);
	macs = mac_table_create("ut_macs", 64, SOCKET_ID_ANY);
	arps = arp_table_create("ut_arps", 64, SOCKET_ID_ANY);
	uc = upcall_channel_create(&uc_cfg);
	if (cache == NULL || macs == NULL || arps == NULL || uc == NULL)
		return -1;
	st = sim_thread_create(&(struct sim_config){
		.upcall = uc,
		.cache = cache,
		.macs = macs,
		.arps = arps,
		.pool = pool,
		.vxlan_udp_port = KAIRO_VXLAN_DEFAULT_PORT,
		.topo = load_topology(true),
	});
	if (st == NULL)
		return -1;
	n_aged = 0;
	return 0;
}

static int
teardown_sim(void **state)
{
	struct rte_mbuf *m;
	bool tokens_back = all_tokens_returned();

	(void)state;
	while (rte_ring_dequeue(uc->to_sim[0], (void **)&m) == 0)
		rte_pktmbuf_free(m);
	while (rte_ring_dequeue(uc->to_worker[WORKER], (void **)&m) == 0)
		rte_pktmbuf_free(m);
	upcall_channel_destroy(uc);
	sim_thread_destroy(st);
	mac_table_destroy(macs);
	arp_table_destroy(arps);
	flow_cache_destroy(cache);
	if (!tokens_back)
		fprintf(stderr, "admission tokens were not all returned\n");
	/* Every mbuf the test took is back: nothing leaked in the slow path. */
	if (rte_mempool_avail_count(pool) != POOL_SIZE) {
		fprintf(stderr, "%u mbufs not returned\n", POOL_SIZE - rte_mempool_avail_count(pool));
		return -1;
	}
	return tokens_back ? 0 : -1;
}

static int
setup(void **state)
{
	(void)state;
	pool = unit_eal_start("ut_bridge_sim", "ut_sim_mbufs", POOL_SIZE);
	if (pool == NULL)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_sim, teardown_sim)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_unknown_unicast_floods_to_every_other_bound_up_port),
		T(test_broadcast_floods_to_every_other_bound_up_port),
		T(test_a_multicast_source_is_dropped_and_never_learned),
		T(test_a_broadcast_source_is_dropped_and_never_learned),
		T(test_an_all_zero_source_is_dropped_and_never_learned),
		T(test_a_learned_destination_gets_exactly_one_port),
		T(test_a_destination_on_the_ingress_port_is_a_hairpin_drop),
		T(test_a_destination_behind_a_port_now_down_is_dropped),
		T(test_in_a_vlan_aware_bridge_a_destination_behind_a_link_down_port_is_flooded),
		T(test_in_a_plain_bridge_a_destination_behind_a_link_down_port_is_dropped),
		T(test_an_admin_down_ingress_port_drops_and_learns_nothing),
		T(test_an_unbound_interface_drops),
		T(test_learning_a_mac_invalidates_the_flood_flows_towards_it),
		T(test_a_moved_mac_invalidates_the_flows_to_its_old_port),
		T(test_a_mac_ages_only_when_no_cached_flow_uses_it),
		T(test_misses_of_one_key_in_one_burst_are_simulated_once),
		T(test_a_key_installed_meanwhile_reuses_the_flow),
		T(test_tokens_are_held_while_in_the_slow_path_and_returned_after),
		T(test_admission_stops_a_port_at_its_bucket_and_all_at_the_global_one),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
