/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The overlay's state on the simulation thread (overlay.h): peers and their
 * outer header templates, the fast path's receive table, the underlay's
 * next hops and ARP.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_log.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "flow_tags.h"
#include "overlay.h"
#include "packet_gen.h"
#include "sim_walk.h"
#include "waiting_room.h"

#define OV_LOG(level, fmt, ...)                                                                    \
	rte_log(RTE_LOG_##level, RTE_LOGTYPE_USER1, "kairod: overlay: " fmt "\n", ##__VA_ARGS__)

#define NO_NEIGH UINT32_MAX
#define IPV4_VERSION_IHL 0x45
#define GRE_FLAGS_KEY RTE_BE16(0x2000)
#define GRE_PROTO_TEB RTE_BE16(0x6558)
#define VXLAN_FLAGS_I RTE_BE32(0x08000000)

static_assert(TUNNEL_KEYS == TOPO_TUNNEL_KEYS, "the fast path's key table covers every key");

struct overlay *
overlay_create(const struct overlay_config *cfg, struct tunnel_state *ts)
{
	struct overlay *ov = calloc(1, sizeof(*ov));
	uint16_t i;

	if (ov == NULL)
		return NULL;
	ov->cfg = *cfg;
	ov->ts = ts;
	/* Static entries: resolved from the start (an ARP answer may still move them). */
	for (i = 0; i < cfg->n_static && i < TUNNEL_PEERS_MAX; i++) {
		ov->neighs[i].ip = cfg->static_ip[i];
		ov->neighs[i].mac = cfg->static_mac[i];
		ov->neighs[i].resolved = true;
		ov->n_neighs++;
	}
	return ov;
}

void
overlay_destroy(struct overlay *ov)
{
	/* Packets waiting on its next hops are the waiting room's, freed with it. */
	free(ov);
}

int
overlay_peer_slot(const struct overlay *ov, rte_be32_t ip)
{
	uint32_t i;

	for (i = 0; i < ov->n_peers; i++)
		if (ov->peers[i].ip == ip)
			return (int)i;
	return -1;
}

uint16_t
overlay_overhead(const struct overlay *ov, uint32_t slot)
{
	return ov->peers[slot].type == TUNNEL_GRE ? TUNNEL_GRE_OVERHEAD : TUNNEL_VXLAN_OVERHEAD;
}

static bool
in_prefix(rte_be32_t ip, rte_be32_t net, uint8_t len)
{
	uint32_t mask = len == 0 ? 0 : ~0u << (32 - len);

	return ((rte_be_to_cpu_32(ip) ^ rte_be_to_cpu_32(net)) & mask) == 0;
}

/* The underlay next hop towards ip: on-link, the longest route, the gateway; 0 if none. */
static rte_be32_t
underlay_next_hop(const struct overlay_config *cfg, rte_be32_t ip)
{
	const struct overlay_route *best = NULL;
	uint16_t i;

	if (in_prefix(ip, cfg->ip, cfg->prefix_len))
		return ip;
	for (i = 0; i < cfg->n_routes; i++)
		if (in_prefix(ip, cfg->routes[i].dst, cfg->routes[i].len) &&
		    (best == NULL || cfg->routes[i].len > best->len))
			best = &cfg->routes[i];
	return best != NULL ? best->gateway : cfg->gateway;
}

static uint32_t
neigh_get(struct overlay *ov, rte_be32_t ip)
{
	uint32_t i;

	for (i = 0; i < ov->n_neighs; i++)
		if (ov->neighs[i].ip == ip)
			return i;
	/* One next hop per peer at most, plus static ones: full only with both at their limits. */
	if (i == TUNNEL_PEERS_MAX)
		return NO_NEIGH;
	memset(&ov->neighs[i], 0, sizeof(ov->neighs[i]));
	ov->neighs[i].ip = ip;
	ov->n_neighs++;
	return i;
}

/* Register ip as a peer of this type (slots are never reused: counters stay with a peer). */
static int
peer_register(struct overlay *ov, rte_be32_t ip, uint8_t type)
{
	int slot = overlay_peer_slot(ov, ip);
	struct overlay_peer *p;
	rte_be32_t nh;

	if (slot >= 0) {
		p = &ov->peers[slot];
	} else {
		if (ov->n_peers == TUNNEL_PEERS_MAX) {
			if (!ov->peers_full_logged) {
				char a[INET_ADDRSTRLEN];

				OV_LOG(ERR, "more than %d tunnel peers: %s and later ones are not "
				       "reached", TUNNEL_PEERS_MAX,
				       inet_ntop(AF_INET, &ip, a, sizeof(a)));
				ov->peers_full_logged = true;
			}
			return -ENOSPC;
		}
		slot = (int)ov->n_peers;
		p = &ov->peers[slot];
		memset(p, 0, sizeof(*p));
		p->ip = ip;
		__atomic_store_n(&ov->n_peers, ov->n_peers + 1, __ATOMIC_RELEASE);
	}
	p->type = type;
	p->in_topology = true;
	nh = underlay_next_hop(&ov->cfg, ip);
	p->neigh = nh != 0 ? neigh_get(ov, nh) : NO_NEIGH;
	return slot;
}

/* Fill template slot * 2 + gen for the peer: Ethernet to its next hop, IPv4, UDP/VXLAN or GRE. */
static void
build_outer(struct overlay *ov, uint32_t slot, uint8_t gen)
{
	const struct overlay_peer *p = &ov->peers[slot];
	struct tunnel_outer *o = &ov->ts->outer[slot * 2 + gen];
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)o->hdr;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(o->hdr + RTE_ETHER_HDR_LEN);
	uint8_t *l4 = o->hdr + RTE_ETHER_HDR_LEN + sizeof(*ip);
	bool gre = p->type == TUNNEL_GRE;

	__atomic_store_n(&o->valid, 0, __ATOMIC_RELEASE);
	memset(o->hdr, 0, sizeof(o->hdr));
	eth->dst_addr = ov->neighs[p->neigh].mac;
	eth->src_addr = ov->cfg.uplink_mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = IPV4_VERSION_IHL;
	/* DF: the underlay must not fragment what the overlay sized (RFC 7348 §4.3). */
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = TUNNEL_TTL;
	ip->next_proto_id = gre ? IPPROTO_GRE : IPPROTO_UDP;
	ip->src_addr = ov->cfg.ip;
	ip->dst_addr = p->ip;
	if (gre) {
		rte_be16_t w[2] = {GRE_FLAGS_KEY, GRE_PROTO_TEB};

		memcpy(l4, w, sizeof(w));
		o->len = TUNNEL_GRE_HDR_LEN;
	} else {
		struct rte_udp_hdr *udp = (struct rte_udp_hdr *)l4;
		rte_be32_t flags = VXLAN_FLAGS_I;

		udp->dst_port = rte_cpu_to_be_16(ov->cfg.udp_port);
		/* RFC 7348 §5: a zero UDP checksum over IPv4; the inner frame has its own. */
		udp->dgram_cksum = 0;
		memcpy(l4 + sizeof(*udp), &flags, sizeof(flags));
		o->len = TUNNEL_VXLAN_HDR_LEN;
	}
	o->ip_sum = rte_raw_cksum(ip, sizeof(*ip));
	o->type = gre ? TUNNEL_GRE : TUNNEL_VXLAN;
	o->slot = (uint8_t)slot;
	o->port = ov->cfg.uplink;
	o->max_inner = (uint16_t)(ov->cfg.mtu + RTE_ETHER_HDR_LEN - o->len);
	__atomic_store_n(&o->valid, 1, __ATOMIC_RELEASE);
}

/*
 * The peer's headers changed (next hop MAC, zone type): the other template
 * generation gets the new ones and the flows that named the old are removed.
 */
static unsigned int
peer_renew(struct sim_thread *st, uint32_t slot)
{
	struct overlay *ov = st->overlay;
	struct overlay_peer *p = &ov->peers[slot];

	if (p->neigh == NO_NEIGH || !ov->neighs[p->neigh].resolved)
		return 0;
	p->gen ^= 1;
	build_outer(ov, slot, p->gen);
	st->stats.invalidations++;
	return flow_cache_invalidate_tag(st->cache, tag_tunnel_peer(slot));
}

/* The packets that waited on next hop ni are walked again (sim/waiting_room.h). */
static void
neigh_release(struct sim_thread *st, uint32_t ni)
{
	struct overlay_neigh *n = &st->overlay->neighs[ni];

	if (n->n_queued > 0)
		st->overlay->stats.released +=
			waiting_room_wake_on(st->waiting, WAIT_UNDERLAY_NEIGHBOUR, ni);
	n->n_queued = 0;
	n->tries = 0;
}

static void
neigh_learn(struct sim_thread *st, uint32_t ni, const struct rte_ether_addr *mac)
{
	struct overlay *ov = st->overlay;
	struct overlay_neigh *n = &ov->neighs[ni];
	uint32_t i;

	if (!n->resolved || !rte_is_same_ether_addr(&n->mac, mac)) {
		n->mac = *mac;
		n->resolved = true;
		ov->stats.resolved++;
		for (i = 0; i < ov->n_peers; i++)
			if (ov->peers[i].neigh == ni)
				peer_renew(st, i);
	}
	neigh_release(st, ni);
}

/* Send a frame the overlay made out of the underlay uplink, through worker. */
static void
underlay_send(struct sim_thread *st, struct rte_mbuf *m, uint16_t worker)
{
	struct flow_actions acts = {0};

	if (m == NULL)
		return;
	flow_actions_output(&acts, st->overlay->cfg.uplink);
	sim_execute_and_send(st, &acts, m, worker);
}

static void
neigh_solicit(struct sim_thread *st, struct overlay_neigh *n, uint16_t worker, uint64_t now)
{
	struct overlay *ov = st->overlay;

	n->tries++;
	n->retry_tsc = now + (uint64_t)ARP_RETRY_MS * rte_get_tsc_hz() / 1000;
	ov->stats.arp_requests++;
	underlay_send(st, packet_gen_arp_request(st->pool, &ov->cfg.uplink_mac, ov->cfg.ip, n->ip),
		      worker);
}

int
overlay_peer_ready(struct sim_thread *st, uint32_t slot, uint16_t worker, uint64_t now,
		   uint16_t *template_slot)
{
	struct overlay *ov = st->overlay;
	struct overlay_peer *p = &ov->peers[slot];
	struct overlay_neigh *n;

	if (p->neigh == NO_NEIGH)
		return -ENOENT;
	n = &ov->neighs[p->neigh];
	if (n->resolved) {
		*template_slot = (uint16_t)(slot * 2 + p->gen);
		return 0;
	}
	if (n->tries == 0)
		neigh_solicit(st, n, worker, now);
	return -EAGAIN;
}

int
overlay_peer_wait(struct sim_thread *st, uint32_t slot, struct rte_mbuf *m)
{
	const uint64_t retry = (uint64_t)ARP_RETRY_MS * rte_get_tsc_hz() / 1000;
	struct overlay *ov = st->overlay;
	uint32_t ni = ov->peers[slot].neigh;
	struct overlay_neigh *n = &ov->neighs[ni];
	struct sim_group one = {.pkts = {m}, .n = 1};

	if (n->n_queued == ARP_QUEUE_MAX)
		return -ENOBUFS;
	/* Until the answer, or until the last retry goes unanswered (overlay_housekeeping). */
	if (waiting_room_park(st->waiting, WAIT_UNDERLAY_NEIGHBOUR, ni, &one,
			      n->retry_tsc + (uint64_t)(ARP_RETRIES - n->tries) * retry, NULL) < 0)
		return -ENOSPC;
	n->n_queued++;
	return 0;
}

void
overlay_underlay_arp(struct sim_ctx *c)
{
	struct sim_thread *st = c->st;
	struct overlay *ov = st->overlay;
	const struct flow_key *k = &c->meta->key;
	rte_be32_t spa, tpa;
	uint32_t i;

	/* Every ARP may teach or ask something: never cached. */
	c->res->cacheable = false;
	memcpy(&spa, k->nw_src, sizeof(spa));
	memcpy(&tpa, k->nw_dst, sizeof(tpa));
	sim_trace(c, "underlay: ARP %s on the uplink", k->nw_proto == 1 ? "request" : "reply");
	/* RFC 826: a sender we wait for, or already know, is learned from any ARP it sends. */
	for (i = 0; i < ov->n_neighs; i++)
		if (ov->neighs[i].ip == spa && spa != 0 &&
		    (tpa == ov->cfg.ip || ov->neighs[i].resolved))
			neigh_learn(st, i, &k->eth_src);
	if (k->nw_proto == 1 && tpa == ov->cfg.ip && spa != 0) {
		ov->stats.arp_replies++;
		underlay_send(st, packet_gen_arp_reply(st->pool, &ov->cfg.uplink_mac, ov->cfg.ip,
						       &k->eth_src, spa),
			      c->meta->worker);
	}
	sim_drop(c, DROP_UNDERLAY_ARP);
}

void
overlay_housekeeping(struct sim_thread *st, uint64_t now)
{
	struct overlay *ov = st->overlay;
	uint32_t i;

	if (ov == NULL)
		return;
	for (i = 0; i < ov->n_neighs; i++) {
		struct overlay_neigh *n = &ov->neighs[i];

		if (n->resolved || n->tries == 0 || now < n->retry_tsc)
			continue;
		if (n->tries < ARP_RETRIES) {
			neigh_solicit(st, n, 0, now);
			continue;
		}
		/*
		 * No answer: the next packet asks again; what waited is dropped by
		 * the waiting room at its deadline (DROP_TUNNEL_UNRESOLVED).
		 */
		n->n_queued = 0;
		n->tries = 0;
	}
}

static void
rx_add_peer(struct tunnel_rx_table *rx, rte_be32_t ip, uint8_t type, uint32_t slot)
{
	unsigned int h = tunnel_peer_hash(ip);

	rx->peers[rx->n_peers] = (struct tunnel_peer_rx){.ip = ip, .type = type,
							 .slot = (uint8_t)slot};
	while (rx->peer_hash[h] != 0)
		h = (h + 1) & (TUNNEL_PEER_HASH - 1);
	rx->peer_hash[h] = (uint8_t)(rx->n_peers + 1);
	rx->n_peers++;
}

/* What each key delivers to here: local ports, floods of bridges with local ports, router ports. */
static void
rx_add_keys(struct tunnel_rx_table *rx, const struct topology *t)
{
	uint16_t n_floods = 0;
	uint32_t i, j;

	for (i = 0; i < t->n_ports; i++) {
		const struct topo_port *p = &t->ports[i];
		struct tunnel_key_entry *e = &rx->keys[topo_port_tunnel_key(p)];

		if (p->device_type == TOPO_DEVICE_ROUTER)
			e->kind = TUNNEL_KEY_SIM;
		else if (p->dpdk_port != TOPO_NO_DPDK_PORT && p->admin_up && !p->link_down)
			*e = (struct tunnel_key_entry){.kind = TUNNEL_KEY_PORT, .port = p->dpdk_port};
	}
	for (i = 0; i < t->n_bridges; i++) {
		const struct topo_bridge *b = &t->bridges[i];
		struct tunnel_flood *f;

		if (n_floods == TUNNEL_FLOODS_MAX || !b->admin_up)
			continue;
		f = &rx->floods[n_floods];
		for (j = 0; j < b->n_ports && f->n < TUNNEL_FLOOD_PORTS_MAX; j++) {
			const struct topo_port *p = &t->ports[b->ports[j]];

			if (p->dpdk_port != TOPO_NO_DPDK_PORT && p->admin_up && !p->link_down)
				f->ports[f->n++] = p->dpdk_port;
		}
		if (f->n == 0)
			continue;
		rx->keys[topo_bridge_flood_key(i)] = (struct tunnel_key_entry){
			.kind = TUNNEL_KEY_FLOOD, .port = n_floods};
		n_floods++;
	}
}

/* Build the receive table for t in the unused buffer and publish it. */
static void
rx_publish(struct overlay *ov, const struct topology *t)
{
	struct tunnel_state *ts = ov->ts;
	struct tunnel_rx_table *rx = ts->tables[ts->rx == ts->tables[0] ? 1 : 0];
	uint32_t i;

	memset(rx, 0, sizeof(*rx));
	rx->local_ip = ov->cfg.ip;
	rx->udp_port = ov->cfg.udp_port;
	for (i = 0; i < ov->n_peers; i++)
		if (ov->peers[i].in_topology)
			rx_add_peer(rx, ov->peers[i].ip, ov->peers[i].type, i);
	for (i = 0; i < t->overlay.n_vteps && rx->n_vteps < TUNNEL_VTEPS_MAX; i++)
		rx->vteps[rx->n_vteps++] = (struct tunnel_vtep_rx){.ip = t->overlay.vteps[i].ip,
								  .vni = t->overlay.vteps[i].vni};
	rx_add_keys(rx, t);
	__atomic_store_n(&ts->rx, rx, __ATOMIC_RELEASE);
	/* Once every worker passed a quiescent state, none reads the old table: it may be reused. */
	rte_rcu_qsbr_synchronize(ts->qsbr, RTE_QSBR_THRID_INVALID);
	ov->stats.table_builds++;
}

static bool
port_overlay_same(const struct topo_port *a, const struct topo_port *b)
{
	return a->remote == b->remote && a->vtep == b->vtep && a->host == b->host &&
	       a->vtep_index == b->vtep_index;
}

void
overlay_topology_changed(struct sim_thread *st, const struct topology *old,
			 const struct topology *new)
{
	struct overlay *ov = st->overlay;
	const struct topo_overlay *o = &new->overlay;
	uint32_t i, k;

	if (ov == NULL)
		return;
	for (i = 0; i < ov->n_peers; i++)
		ov->peers[i].in_topology = false;
	if (o->local_zone != TOPO_NO_INDEX) {
		const struct topo_tunnel_zone *z = &o->zones[o->local_zone];

		for (k = 0; k < z->n_members; k++)
			if (z->members[k].host != o->local_host)
				peer_register(ov, z->members[k].ip, z->type == TOPO_TZ_GRE ?
					      TUNNEL_GRE : TUNNEL_VXLAN);
	}
	for (i = 0; i < o->n_vteps; i++)
		peer_register(ov, o->vteps[i].ip, TUNNEL_VTEP);
	rx_publish(ov, new);
	/*
	 * Zones, addresses or next hops may have changed under any flow that
	 * tunnels: renew every peer's headers (removing the flows that named
	 * the old ones), and remove the flows of ports whose binding moved.
	 */
	for (i = 0; i < ov->n_peers; i++)
		if (old == NULL || ov->peers[i].in_topology)
			peer_renew(st, i);
	/*
	 * Ask for every peer's next hop now rather than when the first packet
	 * needs it: a flood does not wait (overlay_walk.c), its copy to an
	 * unresolved host would be lost.
	 */
	for (i = 0; i < ov->n_peers; i++) {
		const struct overlay_peer *p = &ov->peers[i];

		if (p->in_topology && p->neigh != NO_NEIGH && !ov->neighs[p->neigh].resolved &&
		    ov->neighs[p->neigh].tries == 0)
			neigh_solicit(st, &ov->neighs[p->neigh], 0, rte_get_tsc_cycles());
	}
	if (old == NULL || old->n_ports != new->n_ports)
		return;
	for (i = 0; i < new->n_ports; i++)
		if (!port_overlay_same(&old->ports[i], &new->ports[i]))
			flow_cache_invalidate_tag(st->cache, tag_port(i));
}

static const char *
type_name(uint8_t type)
{
	return type == TUNNEL_GRE ? "gre" : type == TUNNEL_VTEP ? "vtep" : "vxlan";
}

json_t *
overlay_view(const struct overlay *ov)
{
	json_t *root = json_object(), *peers = json_array();
	uint32_t n = __atomic_load_n(&ov->n_peers, __ATOMIC_ACQUIRE), i, e;
	char addr[INET_ADDRSTRLEN], mac[RTE_ETHER_ADDR_FMT_SIZE];

	inet_ntop(AF_INET, &ov->cfg.ip, addr, sizeof(addr));
	json_object_set_new(root, "underlay_address", json_string(addr));
	json_object_set_new(root, "uplink_port", json_integer(ov->cfg.uplink));
	json_object_set_new(root, "underlay_mtu", json_integer(ov->cfg.mtu));
	json_object_set_new(root, "vxlan_port", json_integer(ov->cfg.udp_port));
	/* The MTU a virtual port reaching another host has: the troubleshooting guide's point. */
	json_object_set_new(root, "vport_mtu_vxlan",
			    json_integer(ov->cfg.mtu - TUNNEL_VXLAN_OVERHEAD));
	json_object_set_new(root, "vport_mtu_gre", json_integer(ov->cfg.mtu - TUNNEL_GRE_OVERHEAD));
	json_object_set_new(root, "arp_requests", json_integer((json_int_t)ov->stats.arp_requests));
	json_object_set_new(root, "arp_replies", json_integer((json_int_t)ov->stats.arp_replies));
	json_object_set_new(root, "arp_shared", json_integer((json_int_t)ov->stats.arp_shared));
	json_object_set_new(root, "released", json_integer((json_int_t)ov->stats.released));
	for (i = 0; i < n; i++) {
		const struct overlay_peer *p = &ov->peers[i];
		const struct overlay_neigh *nb = p->neigh != NO_NEIGH ? &ov->neighs[p->neigh] : NULL;
		struct tunnel_peer_counters cnt;
		json_t *jp = json_object(), *errs = json_object();

		tunnel_counters_read(ov->ts, i, &cnt);
		inet_ntop(AF_INET, &p->ip, addr, sizeof(addr));
		json_object_set_new(jp, "peer", json_string(addr));
		json_object_set_new(jp, "type", json_string(type_name(p->type)));
		json_object_set_new(jp, "in_topology", json_boolean(p->in_topology));
		if (nb != NULL) {
			inet_ntop(AF_INET, &nb->ip, addr, sizeof(addr));
			json_object_set_new(jp, "next_hop", json_string(addr));
			rte_ether_format_addr(mac, sizeof(mac), &nb->mac);
			json_object_set_new(jp, "next_hop_mac",
					    nb->resolved ? json_string(mac) : json_null());
			json_object_set_new(jp, "waiting", json_integer(nb->n_queued));
		} else {
			json_object_set_new(jp, "next_hop", json_null());
		}
		json_object_set_new(jp, "rx_packets", json_integer((json_int_t)cnt.rx_packets));
		json_object_set_new(jp, "rx_bytes", json_integer((json_int_t)cnt.rx_bytes));
		json_object_set_new(jp, "tx_packets", json_integer((json_int_t)cnt.tx_packets));
		json_object_set_new(jp, "tx_bytes", json_integer((json_int_t)cnt.tx_bytes));
		for (e = 0; e < TUNNEL_ERR_COUNT; e++)
			json_object_set_new(errs, drop_reason_name(TUNNEL_ERR_FIRST + e),
					    json_integer((json_int_t)cnt.rx_errors[e]));
		json_object_set_new(jp, "rx_errors", errs);
		json_array_append_new(peers, jp);
	}
	json_object_set_new(root, "peers", peers);
	return root;
}
