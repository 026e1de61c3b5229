/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A new topology snapshot replaces the old one: invalidate exactly the flows
 * that depended on what changed, using the tags the walks left on them.
 *
 * A changed rule chain removes the flows that evaluated it (each carries
 * the chain's tag); a changed port group, the flows of the chains whose
 * rules name it.  Chains and port groups are compared index by index: one
 * that moved differs at both indexes, which removes a few flows too many,
 * never too few.
 *
 * A port's binding (the DPDK port behind it, the interface it names) and its
 * link state are part of the port: a binding that takes effect, one that goes
 * back to waiting for its interface (the port removed) and a link that goes
 * down or comes up remove the flows tagged with the port, and with its
 * device (floods carry only the device's tag).  Flows of packets that came
 * in on an interface whose binding changed carry the interface's tag.
 *
 * Learned state (MAC and ARP entries) refers to ports and devices by index.
 * As long as every object keeps its index (objects are changed or added at
 * the end, which is how the stores write), that state stays valid.  If an
 * object moved or disappeared, indexes changed meaning: everything learned
 * and every flow is dropped instead, which is correct, only slower.
 */
#include <stddef.h>
#include <string.h>

#include <rte_cycles.h>

#include "flow_tags.h"
#include "sim_walk.h"
#include "waiting_room.h"

/* The same VLANs: mode, access VLAN and a trunk's set (NULL = all). */
static bool
port_vlans_same(const struct topo_port *a, const struct topo_port *b)
{
	if (a->vlan_mode != b->vlan_mode || a->vlan != b->vlan || a->provider != b->provider)
		return false;
	if (a->trunk_vlans == NULL || b->trunk_vlans == NULL)
		return a->trunk_vlans == b->trunk_vlans;
	return memcmp(a->trunk_vlans, b->trunk_vlans, TOPO_VLAN_IDS / 8) == 0;
}

static bool
port_same(const struct topo_port *a, const struct topo_port *b)
{
	return a->device_type == b->device_type && a->device == b->device &&
	       a->admin_up == b->admin_up && a->dpdk_port == b->dpdk_port && a->peer == b->peer &&
	       a->link_down == b->link_down && strcmp(a->interface, b->interface) == 0 &&
	       a->ip == b->ip && a->net == b->net && a->prefix_len == b->prefix_len &&
	       rte_is_same_ether_addr(&a->mac, &b->mac) && a->mtu == b->mtu &&
	       a->has_ip6 == b->has_ip6 && a->prefix6_len == b->prefix6_len &&
	       memcmp(a->ip6, b->ip6, sizeof(a->ip6)) == 0 &&
	       memcmp(a->net6, b->net6, sizeof(a->net6)) == 0 &&
	       a->inbound_filter == b->inbound_filter && a->outbound_filter == b->outbound_filter &&
	       port_vlans_same(a, b);
}

static bool
ports_same(const uint32_t *a, uint32_t na, const uint32_t *b, uint32_t nb)
{
	return na == nb && (na == 0 || memcmp(a, b, na * sizeof(*a)) == 0);
}

static bool
bridge_same(const struct topo_bridge *a, const struct topo_bridge *b)
{
	return a->admin_up == b->admin_up && a->mac_aging_s == b->mac_aging_s &&
	       a->vlan_aware == b->vlan_aware &&
	       a->inbound_filter == b->inbound_filter && a->outbound_filter == b->outbound_filter &&
	       ports_same(a->ports, a->n_ports, b->ports, b->n_ports);
}

static bool
route_same(const struct topo_route *a, const struct topo_route *b)
{
	return a->type == b->type && a->src == b->src && a->dst == b->dst &&
	       a->src_len == b->src_len && a->dst_len == b->dst_len && a->gateway == b->gateway &&
	       a->port == b->port && a->weight == b->weight && a->ipv6 == b->ipv6 &&
	       memcmp(a->src6, b->src6, sizeof(a->src6)) == 0 &&
	       memcmp(a->dst6, b->dst6, sizeof(a->dst6)) == 0 &&
	       memcmp(a->gateway6, b->gateway6, sizeof(a->gateway6)) == 0;
}

static bool
router_same(const struct topo_router *a, const struct topo_router *b)
{
	uint32_t i;

	if (a->admin_up != b->admin_up || a->n_routes != b->n_routes ||
	    a->inbound_filter != b->inbound_filter || a->outbound_filter != b->outbound_filter ||
	    !ports_same(a->ports, a->n_ports, b->ports, b->n_ports))
		return false;
	for (i = 0; i < a->n_routes; i++)
		if (!route_same(&a->routes[i], &b->routes[i]))
			return false;
	return true;
}

static bool
ids_same(const uint32_t *a, const uint32_t *b, uint32_t n)
{
	return n == 0 || memcmp(a, b, n * sizeof(*a)) == 0;
}

/* Rules are zeroed before they are filled: the bytes before the port lists compare raw. */
static bool
rule_same(const struct topo_rule *a, const struct topo_rule *b)
{
	return memcmp(a, b, offsetof(struct topo_rule, in_ports)) == 0 &&
	       ids_same(a->in_ports, b->in_ports, a->n_in_ports) &&
	       ids_same(a->out_ports, b->out_ports, a->n_out_ports);
}

static bool
chain_same(const struct topo_chain *a, const struct topo_chain *b)
{
	uint32_t i;

	if (strcmp(a->id, b->id) != 0 || a->n_rules != b->n_rules)
		return false;
	for (i = 0; i < a->n_rules; i++)
		if (!rule_same(&a->rules[i], &b->rules[i]))
			return false;
	return true;
}

static bool
port_group_same(const struct topo_port_group *a, const struct topo_port_group *b)
{
	return strcmp(a->id, b->id) == 0 && a->stateful == b->stateful &&
	       ports_same(a->ports, a->n_ports, b->ports, b->n_ports);
}

/* Does a rule of chain ch name port group g? */
static bool
chain_uses_group(const struct topo_chain *ch, uint32_t g)
{
	uint32_t i;

	for (i = 0; i < ch->n_rules; i++)
		if ((ch->rules[i].conds & COND_PORT_GROUP) && ch->rules[i].port_group == g)
			return true;
	return false;
}

/* Does every object of old still stand at the same index in new? */
static bool
indexes_kept(const struct topology *old, const struct topology *new)
{
	uint32_t i;

	if (new->n_ports < old->n_ports || new->n_bridges < old->n_bridges ||
	    new->n_routers < old->n_routers)
		return false;
	for (i = 0; i < old->n_ports; i++)
		if (strcmp(old->ports[i].id, new->ports[i].id) != 0)
			return false;
	for (i = 0; i < old->n_bridges; i++)
		if (strcmp(old->bridges[i].id, new->bridges[i].id) != 0)
			return false;
	for (i = 0; i < old->n_routers; i++)
		if (strcmp(old->routers[i].id, new->routers[i].id) != 0)
			return false;
	return true;
}

static unsigned int
invalidate(struct sim_thread *st, uint64_t tag)
{
	st->stats.invalidations++;
	return flow_cache_invalidate_tag(st->cache, tag);
}

unsigned int
sim_topology_changed(struct sim_thread *st, const struct topology *old, const struct topology *new,
		     bool *flushed)
{
	unsigned int n = 0;
	uint32_t i;

	*flushed = false;
	if (!indexes_kept(old, new)) {
		*flushed = true;
		n = flow_cache_flush(st->cache);
		mac_table_flush(st->macs);
		arp_table_flush(st->arps);
		/* What waited on a next hop named by the old indexes waits for nothing now. */
		waiting_room_forget(st->waiting, WAIT_NEIGHBOUR);
		return n;
	}
	for (i = 0; i < old->n_ports; i++) {
		const struct topo_port *a = &old->ports[i], *b = &new->ports[i];

		if (port_same(a, b))
			continue;
		/* An uplink's frames pick their provider port by tag (sim/walk.c): its flows go. */
		if (a->provider && a->dpdk_port != TOPO_NO_DPDK_PORT)
			n += invalidate(st, tag_interface(a->dpdk_port));
		if (b->provider && b->dpdk_port != TOPO_NO_DPDK_PORT)
			n += invalidate(st, tag_interface(b->dpdk_port));
		/* The port, and its device: floods and interior hops carry only the device's tag. */
		n += invalidate(st, tag_port(i));
		n += invalidate(st, a->device_type == TOPO_DEVICE_BRIDGE ? tag_device(a->device)
									 : tag_router(a->device));
	}
	for (i = 0; i < old->n_bridges; i++)
		if (!bridge_same(&old->bridges[i], &new->bridges[i]))
			n += invalidate(st, tag_device(i));
	for (i = 0; i < old->n_routers; i++)
		if (!router_same(&old->routers[i], &new->routers[i]))
			n += invalidate(st, tag_router(i));
	for (i = 0; i < old->n_chains; i++)
		if (i >= new->n_chains || !chain_same(&old->chains[i], &new->chains[i]))
			n += invalidate(st, tag_chain(i));
	for (i = 0; i < old->n_port_groups; i++) {
		uint32_t j;

		if (i < new->n_port_groups && port_group_same(&old->port_groups[i],
							      &new->port_groups[i]))
			continue;
		for (j = 0; j < old->n_chains; j++)
			if (chain_uses_group(&old->chains[j], i))
				n += invalidate(st, tag_chain(j));
	}
	/* A new provider network on an uplink: the frames of its segment were dropped until now. */
	for (i = old->n_ports; i < new->n_ports; i++)
		if (new->ports[i].provider && new->ports[i].dpdk_port != TOPO_NO_DPDK_PORT)
			n += invalidate(st, tag_interface(new->ports[i].dpdk_port));
	/* Interfaces whose binding changed: the flows that dropped their packets as unbound. */
	for (i = 0; i < RTE_MAX_ETHPORTS; i++)
		if (old->vport_of_dpdk[i] != new->vport_of_dpdk[i])
			n += invalidate(st, tag_interface((uint16_t)i));
	return n;
}
