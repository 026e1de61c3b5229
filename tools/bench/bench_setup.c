/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Flow set-up benchmark (issue 3): how many new flows one simulation thread
 * installs per second, next to what a hit costs, what invalidation and
 * expiry cost, for a bridge-only and a routed topology.
 *
 * Measured, per topology and flow count N, in one run:
 *
 *   set-up      N packets, each a new key, through sim_thread_poll: the walk,
 *               the install (with its tags) and the hand-off of the packet
 *               to the worker ring.  Flows installed per second and TSC
 *               cycles per set-up.  Every flow must be installed.  A first
 *               round touches the tables' pages for the first time (page
 *               faults: EAL runs without hugepages here, kairod would not),
 *               so it is reported apart ("cold"); the figure is the median
 *               of three rounds after it, each into an emptied cache.
 *   hits        flow_cache_lookup_burst over the same N keys in bursts of
 *               32: lookups per second, and set-up rate / hit rate.
 *   invalidate  (one) a MAC tag that covers a single flow among N, 16 times;
 *               (all) the ingress port's tag, which covers every flow;
 *               (topology) sim_topology_changed to a snapshot in which the
 *               ingress port is admin down: from the change to the last
 *               stale flow gone.
 *   expiry      N flows past their idle timeout, swept by flow_cache_expire
 *               in SIM_EXPIRE_BUDGET steps as housekeeping does: flows per
 *               second, the median and worst single step (the sweep must
 *               not stall), and one sweep of the emptied cache: the budget
 *               counts flows, not the empty slots a step walks past.
 *
 * Why in-process, without kairod: a packet that needs a set-up also costs
 * an RX burst, a parse, a miss and an admission on a worker, and a TX on
 * the way back; with ports and a worker lcore in the loop, the figure would
 * be whichever of them is slowest on a 2-core guest, not the simulation's.
 * So this program stands where worker 0 stands, as tests/unit/
 * test_bridge_sim.c does: it builds and parses frames, takes admission
 * tokens, enqueues them on the upcall ring, and times only the
 * sim_thread_poll calls that drain it (rte_rdtsc around each).  Frame
 * building and draining the worker ring are outside the timed part.
 *
 * Topologies (interfaces a = DPDK port 0, b = 1):
 *   bridge  one bridge, p-a on a and p-b on b.  Flows are A -> B with MAC B
 *           learned first, so each is unicast: output:1, 5 tags.
 *   routed  a -- br-left -- r1 (10.0.1.1/24 | 10.0.2.1/24) -- br-right -- b.
 *           B's ARP reply goes through the simulation first, so the next
 *           hop is resolved; each flow is a bridge -> router -> bridge walk
 *           with MAC rewrite and TTL decrement, 9 tags.
 * Keys differ in their UDP ports only.  The first BENCH_PROBE_MACS keys come
 * from MACs of their own (also on a), so that one MAC tag covers one flow.
 *
 * OVS-DPDK sets up about 76 K flows/s on this class of machine; the goal is
 * 1 M/s per simulation thread for a bridge.  Both are printed beside the
 * figures.  A readable table goes to stdout, then one JSON line.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netinet/in.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "flow_tags.h"
#include "sim.h"
#include "topology_json.h"

#include "bench_setup.h"

enum { IF_A, IF_B, N_IFS };
#define WORKER 0

/*
 * Upcall and worker rings hold a whole batch, and the buckets let a whole
 * batch in: admission must never be what limits the rate.
 */
#define BENCH_RING_SIZE 4096
#define BENCH_BATCH 2048
#define BENCH_POOL_SIZE 8191
#define BENCH_POOL_CACHE 256
#define BENCH_LOOKUP_BURST 32
/* Hit passes run until at least this many lookups, so a small N is timed long enough. */
#define BENCH_MIN_LOOKUPS 2000000u
#define BENCH_IDLE_TIMEOUT_MS 1000
#define BENCH_FRAME_PAYLOAD 18 /* 60-byte frames */
#define BENCH_MAX_FLOWS 50000000u

#define IPV4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

const char *const topo_names[BENCH_TOPOS] = {
	"bridge", "routed", "rules1", "rules100", "rules1000", "rules1000-first", "routed-nat",
};

/* Rules a case's chain holds, and where the one that accepts sits (1-based). */
static void
chain_shape(enum bench_topo kind, unsigned int *n, unsigned int *accept_at)
{
	switch (kind) {
	case BENCH_RULES1:
		*n = *accept_at = 1;
		break;
	case BENCH_RULES100:
	case BENCH_ROUTED_NAT:
		*n = *accept_at = 100;
		break;
	case BENCH_RULES1000:
		*n = *accept_at = 1000;
		break;
	case BENCH_RULES1000_FIRST:
		*n = 1000;
		*accept_at = 1;
		break;
	default:
		*n = *accept_at = 0;
	}
}

/*
 * The chain: every rule but the accepting one drops what comes from a source
 * network the flows never use, so each is read and none decides.
 */
static void
write_chain(FILE *f, enum bench_topo kind)
{
	unsigned int n, accept_at, i;

	chain_shape(kind, &n, &accept_at);
	fprintf(f, "  \"chains\": [ { \"id\": \"filter\", \"rules\": [\n");
	for (i = 1; i <= n; i++)
		if (i == accept_at)
			fprintf(f, "    { \"type\": \"accept\", \"proto\": 17 }%s\n", i < n ? "," : "");
		else
			fprintf(f, "    { \"type\": \"drop\", \"src\": \"192.168.%u.0/24\", "
				   "\"proto\": 17 }%s\n", i % 256, i < n ? "," : "");
	fprintf(f, "  ] }");
	if (kind == BENCH_ROUTED_NAT)
		fprintf(f, ",\n    { \"id\": \"masquerade\", \"rules\": [\n"
			   "    { \"type\": \"snat\", \"out-ports\": \"r-right\", "
			   "\"target\": \"10.0.2.10-10.0.2.11:1024-65535\" } ] }");
	/* Two addresses: 65 536 flows to one remote end outnumber one address's 64 512 ports. */
	fprintf(f, " ],\n");
}

static const struct local_interface ifs[N_IFS] = { { "a", IF_A }, { "b", IF_B } };
static const struct rte_ether_addr mac_a = { { 0x02, 0, 0, 0, 0x01, 0x02 } };
static const struct rte_ether_addr mac_b = { { 0x02, 0, 0, 0, 0x02, 0x02 } };
static const struct rte_ether_addr mac_r_left = { { 0x02, 0, 0, 0, 0x01, 0x01 } };
static const struct rte_ether_addr mac_r_right = { { 0x02, 0, 0, 0, 0x02, 0x01 } };
static const struct rte_ether_addr bcast = { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };

static struct rte_mempool *pool;
static struct upcall_channel *uc;
static struct upcall_channel_config uc_cfg = {
	.n_sim = 1,
	.n_workers = 1,
	.ring_size = BENCH_RING_SIZE,
	.global_bucket = BENCH_RING_SIZE,
	.tunnel_bucket = BENCH_RING_SIZE,
	.vport_bucket = BENCH_RING_SIZE,
	.socket_id = SOCKET_ID_ANY,
};
double tsc_hz;

static void __rte_noreturn __rte_format_printf(1, 2)
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("bench_setup: FAILED: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* Topology */

static struct topology *
load_topology(enum bench_topo kind, bool in_up)
{
	char path[] = "/tmp/bench_setup_topo_XXXXXX", err[256];
	const char *up = in_up ? "true" : "false";
	struct topology *t;
	FILE *f;
	int fd;

	fd = mkstemp(path);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL)
		die("topology file: %s", strerror(errno));
	fprintf(f, "{\n");
	if (kind != BENCH_BRIDGE && kind != BENCH_ROUTED)
		write_chain(f, kind);
	if (!bench_topo_routed(kind))
		fprintf(f,
			"  \"bridges\": [ { \"id\": \"br0\", \"ports\": [\n"
			"    { \"id\": \"p-a\", \"admin_state_up\": %s%s }, { \"id\": \"p-b\" } ] } ],\n"
			"  \"bindings\": [ { \"port\": \"p-a\", \"interface\": \"a\" },\n"
			"                { \"port\": \"p-b\", \"interface\": \"b\" } ] }\n",
			up, kind == BENCH_BRIDGE ? "" : ", \"inbound_filter\": \"filter\"");
	else
		fprintf(f,
			"  \"bridges\": [\n"
			"    { \"id\": \"br-left\", \"ports\": [ { \"id\": \"l-vm\", \"admin_state_up\": %s },\n"
			"        { \"id\": \"l-rtr\", \"peer\": \"r-left\" } ] },\n"
			"    { \"id\": \"br-right\", \"ports\": [ { \"id\": \"r-vm\" },\n"
			"        { \"id\": \"r-rtr\", \"peer\": \"r-right\" } ] } ],\n"
			"  \"routers\": [ { \"id\": \"r1\", %s\"ports\": [\n"
			"    { \"id\": \"r-left\", \"address\": \"10.0.1.1\", \"network\": \"10.0.1.0/24\",\n"
			"      \"mac\": \"02:00:00:00:01:01\" },\n"
			"    { \"id\": \"r-right\", \"address\": \"10.0.2.1\", \"network\": \"10.0.2.0/24\",\n"
			"      \"mac\": \"02:00:00:00:02:01\" } ] } ],\n"
			"  \"bindings\": [ { \"port\": \"l-vm\", \"interface\": \"a\" },\n"
			"                { \"port\": \"r-vm\", \"interface\": \"b\" } ] }\n",
			up, kind == BENCH_ROUTED_NAT ? "\"inbound_filter\": \"filter\", "
						       "\"outbound_filter\": \"masquerade\", " : "");
	fclose(f);
	t = topology_file_load(path, ifs, N_IFS, err, sizeof(err));
	unlink(path);
	if (t == NULL)
		die("%s", err);
	return t;
}

/* Frames, as a worker receives them */

static struct rte_ether_hdr *
frame_start(struct rte_mbuf **mp, uint16_t len, const struct rte_ether_addr *dst,
	    const struct rte_ether_addr *src, uint16_t ether_type)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_ether_hdr *eh;

	if (m == NULL)
		die("mbuf pool empty");
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, len);
	eh->dst_addr = *dst;
	eh->src_addr = *src;
	eh->ether_type = rte_cpu_to_be_16(ether_type);
	*mp = m;
	return eh;
}

static struct rte_mbuf *
udp_frame(const struct rte_ether_addr *dst, const struct rte_ether_addr *src, uint32_t ip_src,
	  uint32_t ip_dst, uint16_t sport, uint16_t dport)
{
	const uint16_t l3_len = sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr) +
				BENCH_FRAME_PAYLOAD;
	struct rte_mbuf *m;
	struct rte_ether_hdr *eh = frame_start(&m, sizeof(*eh) + l3_len, dst, src,
					       RTE_ETHER_TYPE_IPV4);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	memset(ip, 0, l3_len);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(l3_len);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(ip_src);
	ip->dst_addr = rte_cpu_to_be_32(ip_dst);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16(sport);
	udp->dst_port = rte_cpu_to_be_16(dport);
	udp->dgram_len = rte_cpu_to_be_16(l3_len - sizeof(*ip));
	return m;
}

/* An ARP reply from mac/ip to the router port (router_mac, router_ip): it resolves mac. */
static struct rte_mbuf *
arp_reply_frame(const struct rte_ether_addr *mac, uint32_t ip,
		const struct rte_ether_addr *router_mac, uint32_t router_ip)
{
	struct rte_mbuf *m;
	struct rte_ether_hdr *eh = frame_start(&m, sizeof(*eh) + sizeof(struct rte_arp_hdr),
					       router_mac, mac, RTE_ETHER_TYPE_ARP);
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eh + 1);

	arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = sizeof(uint32_t);
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	arp->arp_data.arp_sha = *mac;
	arp->arp_data.arp_sip = rte_cpu_to_be_32(ip);
	arp->arp_data.arp_tha = *router_mac;
	arp->arp_data.arp_tip = rte_cpu_to_be_32(router_ip);
	return m;
}

/* MAC of probe key i: a station of its own behind interface a. */
static struct rte_ether_addr
probe_mac(unsigned int i)
{
	struct rte_ether_addr mac = { { 0x02, 0, 0, 0, 0xff, (uint8_t)i } };

	return mac;
}

/* Frame of flow i: UDP ports make the key; probe keys have their own source MAC. */
static struct rte_mbuf *
flow_frame(const struct bench_case *bc, uint32_t i)
{
	struct rte_ether_addr src = i < BENCH_PROBE_MACS ? probe_mac(i) : mac_a;
	/* dport stays far below the VXLAN port for any N this program takes. */
	uint16_t sport = (uint16_t)(i & 0xffff), dport = (uint16_t)(1 + (i >> 16));

	if (!bench_topo_routed(bc->topo_kind))
		return udp_frame(&mac_b, &src, IPV4(10, 0, 1, 2), IPV4(10, 0, 1, 3), sport, dport);
	return udp_frame(&mac_r_left, &src, IPV4(10, 0, 1, 2), IPV4(10, 0, 2, 2), sport, dport);
}

/* What worker 0 does with a miss: parse, hash, take the tokens, hand it up. */
static const struct flow_key *
worker_miss(struct rte_mbuf *m, uint16_t in_port)
{
	static const struct parse_config cfg = { .vxlan_udp_port = KAIRO_VXLAN_DEFAULT_PORT };
	struct pkt_meta *meta = pkt_meta(m);
	unsigned int refused;

	if (packet_parse(m, in_port, &cfg, meta) != 0)
		die("a bench frame does not parse");
	meta->hash = flow_key_hash(&meta->key);
	meta->worker = WORKER;
	meta->upcall_reason = UPCALL_MISS;
	refused = upcall_admit(uc, in_port);
	if (refused != 0)
		die("admission refused (%s): buckets too small for a batch",
		    drop_reason_name(refused));
	if (rte_ring_sp_enqueue(uc->to_sim[0], m) != 0)
		die("upcall ring full: batch larger than the ring");
	return &meta->key;
}

/* Worker 0 drains its injection ring; returns the packets it would send. */
static unsigned int
worker_drain(void)
{
	struct rte_mbuf *pkts[BENCH_LOOKUP_BURST];
	unsigned int n, total = 0;

	while ((n = rte_ring_sc_dequeue_burst(uc->to_worker[WORKER], (void **)pkts,
					      RTE_DIM(pkts), NULL)) != 0) {
		rte_pktmbuf_free_bulk(pkts, n);
		total += n;
	}
	return total;
}

/* Run the simulation until the upcall ring is empty; returns the cycles inside sim_thread_poll. */
static uint64_t
simulate(struct bench_case *bc)
{
	uint64_t cycles = 0, t0;

	while (rte_ring_count(uc->to_sim[0]) != 0) {
		t0 = rte_rdtsc();
		sim_thread_poll(bc->st);
		cycles += rte_rdtsc() - t0;
	}
	return cycles;
}

/* Set-up and hits */

static struct sim_stats
sim_stats_of(const struct bench_case *bc)
{
	struct sim_stats s;

	sim_stats_read(bc->st, &s);
	return s;
}

static void
case_create(struct bench_case *bc, enum bench_topo kind, uint32_t n, unsigned int id)
{
	struct flow_cache_config fcc = {
		.capacity = n,
		.idle_timeout_ms = BENCH_IDLE_TIMEOUT_MS,
		.n_workers = 1, /* registered by no thread: removed flows are reclaimed at once */
		.socket_id = SOCKET_ID_ANY,
	};
	char name[32];

	memset(bc, 0, sizeof(*bc));
	bc->topo_kind = kind;
	bc->n = n;
	bc->topo = load_topology(kind, true);
	bc->topo_down = load_topology(kind, false);
	snprintf(name, sizeof(name), "bfc%u", id);
	bc->cache = flow_cache_create(name, &fcc);
	snprintf(name, sizeof(name), "bmac%u", id);
	bc->macs = mac_table_create(name, 1024, SOCKET_ID_ANY);
	snprintf(name, sizeof(name), "barp%u", id);
	bc->arps = arp_table_create(name, 64, SOCKET_ID_ANY);
	if (kind == BENCH_ROUTED_NAT) {
		/* A binding per flow, and room for the probe and warm-up keys. */
		snprintf(name, sizeof(name), "bct%u", id);
		bc->ct = conntrack_create(name, n + 1024, CT_IDLE_DEFAULT_S, SOCKET_ID_ANY);
		if (bc->ct == NULL)
			die("%s, %u flows: no connection table", topo_names[kind], n);
	}
	bc->keys = calloc(n, sizeof(*bc->keys));
	if (bc->cache == NULL || bc->macs == NULL || bc->arps == NULL || bc->keys == NULL)
		die("%s, %u flows: out of memory (%s)", topo_names[kind], n,
		    rte_strerror(rte_errno));
	bc->st = sim_thread_create(&(struct sim_config){
		.upcall = uc,
		.cache = bc->cache,
		.macs = bc->macs,
		.arps = bc->arps,
		.ct = bc->ct,
		.pool = pool,
		.vxlan_udp_port = KAIRO_VXLAN_DEFAULT_PORT,
		.topo = bc->topo,
	});
	if (bc->st == NULL)
		die("%s, %u flows: no simulation thread (%s)", topo_names[kind], n,
		    rte_strerror(rte_errno));
	bc->in_port = topology_port_of_dpdk(bc->topo, IF_A);
	if (bc->in_port == NULL || bc->in_port->device_type != TOPO_DEVICE_BRIDGE)
		die("interface a is not on a bridge");
	bc->in_bridge = bc->in_port->device;
}

static void
case_destroy(struct bench_case *bc)
{
	sim_thread_destroy(bc->st); /* and bc->topo with it */
	flow_cache_destroy(bc->cache);
	mac_table_destroy(bc->macs);
	arp_table_destroy(bc->arps);
	conntrack_destroy(bc->ct);
	topology_free(bc->topo_down);
	free(bc->keys);
}

/*
 * Before anything is timed: every source MAC is learned where it sits, and
 * the routed topology's next hop is resolved, so that each timed packet is
 * a plain unicast set-up.  The flows these frames made are flushed.
 */
static void
case_warm_up(struct bench_case *bc)
{
	unsigned int i;

	for (i = 0; i < BENCH_PROBE_MACS; i++) {
		struct rte_ether_addr mac = probe_mac(i);

		worker_miss(udp_frame(&bcast, &mac, IPV4(10, 0, 1, 9), IPV4(10, 0, 1, 255), 9, 9),
			    IF_A);
	}
	worker_miss(udp_frame(&bcast, &mac_a, IPV4(10, 0, 1, 2), IPV4(10, 0, 1, 255), 9, 9), IF_A);
	if (!bench_topo_routed(bc->topo_kind))
		worker_miss(udp_frame(&bcast, &mac_b, IPV4(10, 0, 1, 3), IPV4(10, 0, 1, 255), 9, 9),
			    IF_B);
	else
		worker_miss(arp_reply_frame(&mac_b, IPV4(10, 0, 2, 2), &mac_r_right,
					    IPV4(10, 0, 2, 1)),
			    IF_B);
	simulate(bc);
	worker_drain();
	flow_cache_flush(bc->cache);
	if (bench_topo_routed(bc->topo_kind) && sim_stats_of(bc).arp_resolved != 1)
		die("routed: the next hop was not resolved by B's ARP reply");
	if (mac_table_count(bc->macs) != BENCH_PROBE_MACS + 2)
		die("%u MACs learned in the warm-up, expected %u", mac_table_count(bc->macs),
		    BENCH_PROBE_MACS + 2);
}

/*
 * Install N flows, one packet each; returns the cycles spent in the
 * simulation.  Fails unless every packet became exactly one installed flow
 * and went out.
 */
static uint64_t
case_setup(struct bench_case *bc)
{
	struct sim_stats before = sim_stats_of(bc), after;
	struct flow_cache_counters cc0, cc1;
	uint64_t cycles = 0;
	uint32_t base, i, cnt;
	unsigned int sent = 0;

	if (flow_cache_count(bc->cache) != 0)
		die("set-up into a cache that holds %u flows", flow_cache_count(bc->cache));
	flow_cache_counters_read(bc->cache, &cc0);
	for (base = 0; base < bc->n; base += cnt) {
		cnt = RTE_MIN((uint32_t)BENCH_BATCH, bc->n - base);
		for (i = 0; i < cnt; i++)
			bc->keys[base + i] = *worker_miss(flow_frame(bc, base + i), IF_A);
		cycles += simulate(bc);
		sent += worker_drain();
	}
	flow_cache_counters_read(bc->cache, &cc1);
	after = sim_stats_of(bc);
	if (after.installed - before.installed != bc->n ||
	    cc1.installed - cc0.installed != bc->n || flow_cache_count(bc->cache) != bc->n)
		die("%s: %u set-ups, but %" PRIu64 " installed by the simulation, %" PRIu64
		    " by the cache, %u in it (install_failed %" PRIu64 ", full %" PRIu64 ")",
		    topo_names[bc->topo_kind], bc->n, after.installed - before.installed,
		    cc1.installed - cc0.installed, flow_cache_count(bc->cache),
		    after.install_failed - before.install_failed,
		    cc1.not_installed_full - cc0.not_installed_full);
	if (after.simulated - before.simulated != bc->n || sent != bc->n ||
	    cc1.evicted != cc0.evicted || cc1.invalidated != cc0.invalidated)
		die("%s: %" PRIu64 " walks and %u packets out for %u set-ups, %" PRIu64
		    " evicted, %" PRIu64 " invalidated", topo_names[bc->topo_kind],
		    after.simulated - before.simulated, sent, bc->n,
		    cc1.evicted - cc0.evicted, cc1.invalidated - cc0.invalidated);
	if (uc->global.tokens != uc->global.size || uc->port[IF_A].tokens != uc->port[IF_A].size)
		die("admission tokens were not all returned");
	return cycles;
}

/* The flow of the last key did what the topology says: one output, and for a router, its rewrite. */
static void
case_check_flow(struct bench_case *bc)
{
	const struct flow_key *k = &bc->keys[bc->n - 1];
	const struct flow *f = flow_cache_lookup(bc->cache, k, flow_key_hash(k));
	bool ok;

	if (f == NULL)
		die("the last flow is not in the cache");
	flow_actions_format(&f->actions, bc->actions, sizeof(bc->actions));
	bc->n_tags = f->n_tags;
	ok = f->actions.n_outputs == 1 && strstr(bc->actions, "output:1") != NULL;
	if (bench_topo_routed(bc->topo_kind))
		ok = ok && strstr(bc->actions, "dec_ttl:1") != NULL &&
		     strstr(bc->actions, "set_eth_dst:02:00:00:00:02:02") != NULL;
	if (bc->topo_kind == BENCH_ROUTED_NAT)
		ok = ok && strstr(bc->actions, "set_ipv4_src:10.0.2.1") != NULL;
	if (!ok)
		die("%s: unexpected flow actions \"%s\"", topo_names[bc->topo_kind], bc->actions);
}

/* Look every key up, in bursts of 32, as a worker does; every one must hit. */
static void
case_hits(struct bench_case *bc, struct bench_result *r)
{
	const struct flow_key *keys[BENCH_LOOKUP_BURST];
	struct flow *flows[BENCH_LOOKUP_BURST];
	uint32_t hashes[BENCH_LOOKUP_BURST];
	unsigned int passes = (BENCH_MIN_LOOKUPS + bc->n - 1) / bc->n, p;
	uint64_t hits = 0, t0;
	uint32_t base, i, cnt;

	t0 = rte_rdtsc();
	for (p = 0; p < passes; p++) {
		for (base = 0; base < bc->n; base += cnt) {
			cnt = RTE_MIN((uint32_t)BENCH_LOOKUP_BURST, bc->n - base);
			for (i = 0; i < cnt; i++)
				keys[i] = &bc->keys[base + i];
			hits += __builtin_popcountll(flow_cache_lookup_burst(bc->cache, keys, cnt,
									     hashes, flows));
		}
	}
	r->hit_cycles = rte_rdtsc() - t0;
	r->hit_lookups = (uint64_t)passes * bc->n;
	if (hits != r->hit_lookups)
		die("%" PRIu64 " of %" PRIu64 " lookups hit", hits, r->hit_lookups);
}

/* Invalidation */

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* One MAC tag per probe flow: each covers one flow among N. */
static void
case_invalidate_one(struct bench_case *bc, struct bench_result *r)
{
	unsigned int i, n;
	uint64_t t0;

	for (i = 0; i < BENCH_PROBE_MACS; i++) {
		struct rte_ether_addr mac = probe_mac(i);
		uint64_t tag = tag_mac(bc->in_bridge, &mac);

		t0 = rte_rdtsc();
		n = flow_cache_invalidate_tag(bc->cache, tag);
		r->one_cycles[i] = rte_rdtsc() - t0;
		if (n != 1)
			die("a probe MAC's tag removed %u flows, not 1", n);
	}
	qsort(r->one_cycles, BENCH_PROBE_MACS, sizeof(r->one_cycles[0]), cmp_u64);
}

/* The ingress port's tag, carried by every flow left. */
static void
case_invalidate_all(struct bench_case *bc, struct bench_result *r)
{
	uint32_t expect = flow_cache_count(bc->cache);
	uint64_t t0 = rte_rdtsc();

	r->inval_all_flows = flow_cache_invalidate_tag(bc->cache, tag_port(bc->in_port->index));
	r->inval_all_cycles = rte_rdtsc() - t0;
	if (r->inval_all_flows != expect || flow_cache_count(bc->cache) != 0)
		die("the ingress port's tag removed %u of %u flows", r->inval_all_flows, expect);
}

/* A new snapshot with the ingress port down, as the simulation thread takes it; then back. */
static void
case_topology_change(struct bench_case *bc, struct bench_result *r)
{
	bool flushed;
	uint64_t t0 = rte_rdtsc();

	r->topo_flows = sim_topology_changed(bc->st, bc->topo, bc->topo_down, &flushed);
	r->topo_cycles = rte_rdtsc() - t0;
	if (flushed || r->topo_flows != bc->n || flow_cache_count(bc->cache) != 0)
		die("port down: %u of %u flows invalidated%s", r->topo_flows, bc->n,
		    flushed ? " (flushed: indexes moved)" : "");
	if (sim_topology_changed(bc->st, bc->topo_down, bc->topo, &flushed) != 0 || flushed)
		die("port up again removed flows");
}

/* Expiry: every flow past its idle timeout, swept in housekeeping's steps. */
static void
case_expire(struct bench_case *bc, struct bench_result *r)
{
	const uint64_t now = rte_rdtsc() + 2 * (uint64_t)(tsc_hz * BENCH_IDLE_TIMEOUT_MS / 1000);
	/* Twice the table's slots over the budget: more means the sweep misses flows. */
	const unsigned int max_steps = 2 * (4 * bc->n / SIM_EXPIRE_BUDGET + 4);
	uint64_t *steps = calloc(max_steps, sizeof(*steps));
	uint64_t t0, dt;

	if (steps == NULL)
		die("out of memory");
	while (flow_cache_count(bc->cache) != 0) {
		if (r->expire_steps == max_steps)
			die("expiry: %u flows left after %u steps", flow_cache_count(bc->cache),
			    max_steps);
		t0 = rte_rdtsc();
		r->expired += flow_cache_expire(bc->cache, now, SIM_EXPIRE_BUDGET);
		dt = rte_rdtsc() - t0;
		r->expire_cycles += dt;
		if (dt > r->expire_worst_cycles)
			r->expire_worst_cycles = dt;
		steps[r->expire_steps++] = dt;
	}
	if (r->expired != bc->n)
		die("expiry removed %u of %u flows", r->expired, bc->n);
	qsort(steps, r->expire_steps, sizeof(steps[0]), cmp_u64);
	r->expire_median_cycles = steps[r->expire_steps / 2];
	free(steps);
	/* Nothing left to expire: what a housekeeping step costs a big, idle cache. */
	t0 = rte_rdtsc();
	flow_cache_expire(bc->cache, now, SIM_EXPIRE_BUDGET);
	r->expire_empty_cycles = rte_rdtsc() - t0;
}

static void
run_case(enum bench_topo kind, uint32_t n, unsigned int id, struct bench_case *bc,
	 struct bench_result *r)
{
	uint64_t sorted[BENCH_SETUP_ROUNDS];

	memset(r, 0, sizeof(*r));
	case_create(bc, kind, n, id);
	case_warm_up(bc);
	r->cold_cycles = case_setup(bc);
	if (flow_cache_flush(bc->cache) != bc->n)
		die("flush after the cold round");
	r->round_cycles[0] = case_setup(bc);
	case_check_flow(bc);
	case_hits(bc, r);
	case_invalidate_one(bc, r);
	case_invalidate_all(bc, r);
	r->round_cycles[1] = case_setup(bc);
	case_topology_change(bc, r);
	r->round_cycles[2] = case_setup(bc);
	case_expire(bc, r);
	memcpy(sorted, r->round_cycles, sizeof(sorted));
	qsort(sorted, BENCH_SETUP_ROUNDS, sizeof(sorted[0]), cmp_u64);
	r->setup_cycles = sorted[BENCH_SETUP_ROUNDS / 2];
}

/* Start-up */

static void
usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [--flows N[,N...]] [--topologies bridge,routed,...] [--lcore C]\n"
		"  --flows       flow counts, k/m suffixes allowed (default 100k,1m)\n"
		"  --topologies  which topologies (default bridge,routed; also rules1, rules100,\n"
		"                rules1000, rules1000-first, routed-nat)\n"
		"  --lcore       the CPU the simulation runs on (default 1)\n",
		prog);
	exit(2);
}

static uint32_t
parse_count(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (*end == 'k' || *end == 'K')
		v *= 1000, end++;
	else if (*end == 'm' || *end == 'M')
		v *= 1000000, end++;
	if (end == s || *end != '\0' || v < BENCH_PROBE_MACS + 1 || v > BENCH_MAX_FLOWS) {
		fprintf(stderr, "bad flow count \"%s\" (%u..%u)\n", s, BENCH_PROBE_MACS + 1,
			BENCH_MAX_FLOWS);
		exit(2);
	}
	return (uint32_t)v;
}

/* Enough EAL memory for the biggest case: slots of both tables and the flows (2 per flow). */
static unsigned int
eal_memory_mb(uint32_t max_flows)
{
	uint64_t per_flow = 2 * (sizeof(struct flow) + 64 + 64 + 96 + 128 + 32);

	return (unsigned int)(512 + max_flows * per_flow / (1 << 20));
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "flows", required_argument, NULL, 'f' },
		{ "topologies", required_argument, NULL, 't' },
		{ "lcore", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char flows_arg[256] = "100k,1m", topos_arg[256] = "bridge,routed", lcore[16] = "1";
	char prefix[64], mem[16], *tok, *save;
	uint32_t counts[8], max_flows = 0;
	bool topo_on[BENCH_TOPOS] = { false };
	struct bench_case *cases;
	struct bench_result *results;
	struct column *cols;
	unsigned int n_counts = 0, n_cols = 0, i, t;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			snprintf(flows_arg, sizeof(flows_arg), "%s", optarg);
			break;
		case 't':
			snprintf(topos_arg, sizeof(topos_arg), "%s", optarg);
			break;
		case 'l':
			snprintf(lcore, sizeof(lcore), "%s", optarg);
			break;
		default:
			usage(argv[0]);
		}
	}
	for (tok = strtok_r(flows_arg, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (n_counts == RTE_DIM(counts))
			usage(argv[0]);
		counts[n_counts] = parse_count(tok);
		max_flows = RTE_MAX(max_flows, counts[n_counts]);
		n_counts++;
	}
	for (tok = strtok_r(topos_arg, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		for (t = 0; t < BENCH_TOPOS && strcmp(tok, topo_names[t]) != 0; t++)
			;
		if (t == BENCH_TOPOS)
			usage(argv[0]);
		topo_on[t] = true;
	}
	if (n_counts == 0)
		usage(argv[0]);

	snprintf(prefix, sizeof(prefix), "bench_setup_%d", (int)getpid());
	snprintf(mem, sizeof(mem), "%u", eal_memory_mb(max_flows));
	char *eal_argv[] = { argv[0], "--no-huge", "--no-shconf", "--no-pci", "-l", lcore,
			     "-m", mem, "--file-prefix", prefix, "--log-level", "lib.*:error" };
	if (rte_eal_init(RTE_DIM(eal_argv), eal_argv) < 0)
		die("EAL: %s", rte_strerror(rte_errno));
	tsc_hz = (double)rte_get_tsc_hz();
	pool = rte_pktmbuf_pool_create("bench_mbufs", BENCH_POOL_SIZE, BENCH_POOL_CACHE,
				       RTE_ALIGN(sizeof(struct pkt_meta), RTE_MBUF_PRIV_ALIGN),
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	uc = upcall_channel_create(&uc_cfg);
	if (pool == NULL || uc == NULL)
		die("mbuf pool or upcall channel: %s", rte_strerror(rte_errno));

	cases = calloc(n_counts * BENCH_TOPOS, sizeof(*cases));
	results = calloc(n_counts * BENCH_TOPOS, sizeof(*results));
	cols = calloc(n_counts * BENCH_TOPOS, sizeof(*cols));
	if (cases == NULL || results == NULL || cols == NULL)
		die("out of memory");
	printf("kairo flow set-up benchmark: one simulation thread, in-process, lcore %s, "
	       "TSC %.3f GHz, %u MiB EAL memory (--no-huge)\n",
	       lcore, tsc_hz / 1e9, eal_memory_mb(max_flows));
	fflush(stdout);
	for (i = 0; i < n_counts; i++) {
		for (t = 0; t < BENCH_TOPOS; t++) {
			struct column *col = &cols[n_cols];
			char *label = malloc(32);

			if (!topo_on[t])
				continue;
			if (label == NULL)
				die("out of memory");
			snprintf(label, 32, "%s %uk", topo_names[t], counts[i] / 1000);
			col->label = label;
			col->bc = &cases[n_cols];
			col->r = &results[n_cols];
			run_case(t, counts[i], n_cols, &cases[n_cols], &results[n_cols]);
			printf("  %-14s done: %s (%u tags)\n", label, cases[n_cols].actions,
			       cases[n_cols].n_tags);
			fflush(stdout);
			/* Keep only the figures: the next case needs the memory. */
			case_destroy(&cases[n_cols]);
			n_cols++;
		}
	}
	printf("\n");
	bench_print_table(cols, n_cols);
	if (bench_print_json(cols, n_cols) != 0)
		die("JSON: out of memory");

	upcall_channel_destroy(uc);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return 0;
}
