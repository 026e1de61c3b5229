/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Simulating a frame through a virtual bridge: MAC learning, forwarding to a
 * learned port, flooding unknown and multicast destinations.
 */
#include <rte_cycles.h>
#include <rte_ether.h>

#include "flow_tags.h"
#include "sim.h"

static void
sim_tag(struct sim_result *res, uint64_t tag)
{
	if (res->n_tags < FLOW_TAGS_MAX)
		res->tags[res->n_tags++] = tag;
}

static void
sim_drop(struct sim_result *res, enum drop_reason reason)
{
	res->actions.n = 0;
	res->actions.n_outputs = 0;
	flow_actions_drop(&res->actions, reason);
}

/* Every up, locally bound port of the bridge but the ingress one. */
static void
bridge_flood(const struct topology *t, const struct topo_bridge *b, uint32_t in_port,
	     struct sim_result *res)
{
	uint32_t i;

	for (i = 0; i < b->n_ports; i++) {
		const struct topo_port *p = &t->ports[b->ports[i]];

		if (p->index == in_port || !p->admin_up || p->dpdk_port == TOPO_NO_DPDK_PORT)
			continue;
		if (flow_actions_output(&res->actions, p->dpdk_port) != 0) {
			/* More ports than a cached action list holds: forward this packet, cache nothing. */
			res->cacheable = false;
			break;
		}
	}
	if (res->actions.n_outputs == 0)
		sim_drop(res, DROP_NO_FLOOD_TARGET);
}

static void
bridge_learn(struct sim_thread *st, const struct topo_bridge *b, const struct flow_key *key,
	     uint32_t in_port, uint64_t now, struct sim_result *res)
{
	uint32_t entry;
	int r;

	r = mac_table_learn(st->macs, b->index, 0, &key->eth_src, in_port,
			    (uint64_t)b->mac_aging_s * rte_get_tsc_hz(), now, &entry);
	if (r < 0) {
		st->stats.mac_table_full++;
		return;
	}
	if (r != MAC_LEARN_SAME) {
		/*
		 * New: flows that flooded towards this MAC can now go to one port.
		 * Moved: flows that sent to the old port, and flows that learned
		 * it there, are wrong.  Both are tagged with the MAC.
		 */
		st->stats.invalidations++;
		flow_cache_invalidate_tag(st->cache, tag_mac(b->index, &key->eth_src));
		if (r == MAC_LEARN_NEW)
			st->stats.mac_learned++;
		else
			st->stats.mac_moved++;
	}
	res->mac_entry = entry;
	sim_tag(res, tag_mac(b->index, &key->eth_src));
}

void
sim_bridge_packet(struct sim_thread *st, const struct pkt_meta *meta, uint64_t now,
		  struct sim_result *res)
{
	const struct flow_key *key = &meta->key;
	const struct topology *t = st->topo;
	const struct topo_port *in, *out;
	const struct topo_bridge *b;
	int64_t learned;

	res->actions.n = 0;
	res->actions.n_outputs = 0;
	res->n_tags = 0;
	res->mac_entry = MAC_NO_ENTRY;
	res->cacheable = true;

	in = topology_port_of_dpdk(t, key->in_port);
	if (in == NULL) {
		sim_tag(res, tag_interface(key->in_port));
		sim_drop(res, DROP_NO_BINDING);
		return;
	}
	sim_tag(res, tag_port(in->index));
	if (!in->admin_up) {
		sim_drop(res, DROP_PORT_DOWN);
		return;
	}
	b = &t->bridges[in->device];
	sim_tag(res, tag_device(b->index));
	if (!b->admin_up) {
		sim_drop(res, DROP_BRIDGE_DOWN);
		return;
	}

	/* A multicast source is not a station address (IEEE 802.1D 7.8): never learn it. */
	if (!rte_is_multicast_ether_addr(&key->eth_src))
		bridge_learn(st, b, key, in->index, now, res);

	if (rte_is_multicast_ether_addr(&key->eth_dst)) {
		bridge_flood(t, b, in->index, res);
		return;
	}
	/* Unicast: whatever the answer, it changes when this MAC is learned, moves or ages. */
	sim_tag(res, tag_mac(b->index, &key->eth_dst));
	learned = mac_table_lookup(st->macs, b->index, 0, &key->eth_dst);
	if (learned < 0) {
		bridge_flood(t, b, in->index, res);
		return;
	}
	out = &t->ports[learned];
	if (out->index == in->index) {
		/* The destination sits behind the port the frame came from: the segment already has it. */
		sim_drop(res, DROP_BRIDGE_HAIRPIN);
	} else if (!out->admin_up) {
		sim_tag(res, tag_port(out->index));
		sim_drop(res, DROP_PORT_DOWN);
	} else if (out->dpdk_port == TOPO_NO_DPDK_PORT) {
		sim_tag(res, tag_port(out->index));
		sim_drop(res, DROP_NO_BINDING);
	} else {
		sim_tag(res, tag_port(out->index));
		flow_actions_output(&res->actions, out->dpdk_port);
	}
}
