/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer: the topology document (topology/topology_json.h).  The input is
 * parsed as the file store parses a file (JSON, duplicate keys refused) and
 * the document given to topology_json_load, as every store and the CLI's
 * editor do.  This host is "host-a" at 192.168.50.1, as in the overlay
 * tests, with the local interfaces the tests' bindings name.
 *
 * Invariants checked: NULL with a message that names the source, or a
 * snapshot whose every index points inside its arrays and back (a port's
 * device lists it, peers are mutual, a bound DPDK port maps to its port),
 * prefixes masked, routes in route_lookup's order, rules in pos order,
 * strings that end inside their arrays, and tunnel keys that fit 16 bits
 * when there is an overlay (topology.h).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>
#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ip.h>

#include "fuzz.h"
#include "topology_json.h"

#define ERR_LEN 512
#define SOURCE "fuzz.json"

static const struct local_interface ifs[] = {
	{"up", 0}, {"vm1", 1}, {"vm2", 2}, {"vm3", 3}, {"vm", 4},
	{"a", 5},  {"b", 6},   {"c", 7},   {"ext", 8}, {"int", 9},
};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* 192.168.50.1; not DPDK's RTE_IPV4, whose int shift by 24 is undefined from 128 up. */
	topology_hosts_set_local("host-a", RTE_BE32(0xc0a83201u));
	return 0;
}

#define STR_OK(a) (memchr((a), '\0', sizeof(a)) != NULL)
#define IN(i, n) ((i) < (n))
#define CHAIN_OK(t, c) ((c) == TOPO_NO_INDEX || IN((c), (t)->n_chains))

static bool
v4_masked(rte_be32_t net, uint8_t len)
{
	uint32_t mask = len == 0 ? 0 : ~0u << (32 - len);

	return len <= 32 && (rte_be_to_cpu_32(net) & ~mask) == 0;
}

static bool
v6_masked(const uint8_t *net, uint8_t len)
{
	unsigned int i;

	if (len > 128)
		return false;
	for (i = 0; i < IPV6_ADDR_LEN; i++) {
		unsigned int keep = len >= 8 * (i + 1) ? 8 : len > 8 * i ? len - 8 * i : 0;

		if (net[i] & (uint8_t)(0xff >> keep))
			return false;
	}
	return true;
}

/* A rule's address: IPv4 in the first 4 bytes (network order), or IPv6. */
static bool
cidr_masked(const uint8_t *addr, bool v6, uint8_t len)
{
	rte_be32_t v4;

	if (v6)
		return v6_masked(addr, len);
	memcpy(&v4, addr, sizeof(v4));
	return v4_masked(v4, len);
}

static bool
lists(const uint32_t *a, uint32_t n, uint32_t v)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (a[i] == v)
			return true;
	return false;
}

static void
check_ports(const struct topology *t)
{
	uint32_t i;

	for (i = 0; i < t->n_ports; i++) {
		const struct topo_port *p = &t->ports[i];

		FUZZ_CHECK(p->index == i && STR_OK(p->id) && p->id[0] != '\0');
		FUZZ_CHECK(STR_OK(p->interface));
		if (p->device_type == TOPO_DEVICE_BRIDGE) {
			FUZZ_CHECK(IN(p->device, t->n_bridges));
			FUZZ_CHECK(lists(t->bridges[p->device].ports, t->bridges[p->device].n_ports, i));
		} else {
			FUZZ_CHECK(p->device_type == TOPO_DEVICE_ROUTER && IN(p->device, t->n_routers));
			FUZZ_CHECK(lists(t->routers[p->device].ports, t->routers[p->device].n_ports, i));
			FUZZ_CHECK(v4_masked(p->net, p->prefix_len));
			FUZZ_CHECK(!p->has_ip6 || v6_masked(p->net6, p->prefix6_len));
			FUZZ_CHECK(ipv6_is_link_local(p->ll6));
		}
		/* Interior ports are linked both ways; only exterior ports are bound. */
		if (p->peer != TOPO_NO_INDEX) {
			FUZZ_CHECK(IN(p->peer, t->n_ports) && p->peer != i);
			FUZZ_CHECK(t->ports[p->peer].peer == i);
			FUZZ_CHECK(p->dpdk_port == TOPO_NO_DPDK_PORT && !p->remote && !p->vtep);
		}
		if (p->dpdk_port != TOPO_NO_DPDK_PORT)
			FUZZ_CHECK(IN(p->dpdk_port, RTE_MAX_ETHPORTS) &&
				   t->vport_of_dpdk[p->dpdk_port] == i);
		FUZZ_CHECK(CHAIN_OK(t, p->inbound_filter) && CHAIN_OK(t, p->outbound_filter));
		if (p->remote)
			FUZZ_CHECK(IN(p->host, t->overlay.n_hosts) && p->dpdk_port == TOPO_NO_DPDK_PORT);
		if (p->vtep)
			FUZZ_CHECK(IN(p->vtep_index, t->overlay.n_vteps));
	}
	for (i = 0; i < RTE_MAX_ETHPORTS; i++)
		if (t->vport_of_dpdk[i] != TOPO_NO_INDEX)
			FUZZ_CHECK(IN(t->vport_of_dpdk[i], t->n_ports) &&
				   t->ports[t->vport_of_dpdk[i]].dpdk_port == i);
}

/* A device's port list: ports of that device, each once. */
static void
check_device_ports(const struct topology *t, const uint32_t *ports, uint32_t n, uint8_t type,
		   uint32_t device)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		FUZZ_CHECK(IN(ports[i], t->n_ports));
		FUZZ_CHECK(t->ports[ports[i]].device_type == type &&
			   t->ports[ports[i]].device == device);
		FUZZ_CHECK(!lists(ports, i, ports[i]));
	}
}

static void
check_routers(const struct topology *t)
{
	uint32_t i, j, n_routes = 0;

	for (i = 0; i < t->n_bridges; i++) {
		const struct topo_bridge *b = &t->bridges[i];

		FUZZ_CHECK(b->index == i && STR_OK(b->id) && STR_OK(b->name));
		FUZZ_CHECK(CHAIN_OK(t, b->inbound_filter) && CHAIN_OK(t, b->outbound_filter));
		check_device_ports(t, b->ports, b->n_ports, TOPO_DEVICE_BRIDGE, i);
	}
	for (i = 0; i < t->n_routers; i++) {
		const struct topo_router *r = &t->routers[i];

		FUZZ_CHECK(r->index == i && STR_OK(r->id) && STR_OK(r->name));
		FUZZ_CHECK(CHAIN_OK(t, r->inbound_filter) && CHAIN_OK(t, r->outbound_filter));
		check_device_ports(t, r->ports, r->n_ports, TOPO_DEVICE_ROUTER, i);
		for (j = 0; j < r->n_routes; j++) {
			const struct topo_route *rt = &r->routes[j];

			FUZZ_CHECK(STR_OK(rt->id) && IN(rt->index, t->n_routes));
			FUZZ_CHECK(rt->type <= ROUTE_REJECT);
			if (rt->ipv6)
				FUZZ_CHECK(v6_masked(rt->dst6, rt->dst_len) &&
					   v6_masked(rt->src6, rt->src_len));
			else
				FUZZ_CHECK(v4_masked(rt->dst, rt->dst_len) &&
					   v4_masked(rt->src, rt->src_len));
			if (rt->type == ROUTE_NORMAL)
				FUZZ_CHECK(IN(rt->port, t->n_ports) &&
					   t->ports[rt->port].device_type == TOPO_DEVICE_ROUTER &&
					   t->ports[rt->port].device == i);
			/* route_lookup's order: longest destination first, then highest weight. */
			if (j > 0) {
				const struct topo_route *prev = &r->routes[j - 1];

				FUZZ_CHECK(prev->dst_len >= rt->dst_len);
				FUZZ_CHECK(prev->dst_len != rt->dst_len || prev->weight >= rt->weight);
			}
		}
		n_routes += r->n_routes;
	}
	FUZZ_CHECK(n_routes == t->n_routes);
}

static void
check_rule(const struct topology *t, const struct topo_rule *r)
{
	uint32_t i;

	FUZZ_CHECK(STR_OK(r->id) && STR_OK(r->meter_name));
	FUZZ_CHECK(r->type <= RULE_REV_SNAT && r->frag_policy <= FRAG_POLICY_UNFRAGMENTED);
	FUZZ_CHECK(r->flow <= RULE_FLOW_RETURN && (r->inv & ~r->conds) == 0);
	if (r->type == RULE_JUMP)
		FUZZ_CHECK(IN(r->jump_to, t->n_chains));
	if (r->conds & COND_PORT_GROUP)
		FUZZ_CHECK(IN(r->port_group, t->n_port_groups));
	for (i = 0; i < r->n_in_ports; i++)
		FUZZ_CHECK(IN(r->in_ports[i], t->n_ports));
	for (i = 0; i < r->n_out_ports; i++)
		FUZZ_CHECK(IN(r->out_ports[i], t->n_ports));
	if (r->conds & COND_SRC)
		FUZZ_CHECK(cidr_masked(r->src_addr, r->src6, r->src_len));
	if (r->conds & COND_DST)
		FUZZ_CHECK(cidr_masked(r->dst_addr, r->dst6, r->dst_len));
	if (r->conds & COND_SRC_PORT)
		FUZZ_CHECK(r->src_port_lo <= r->src_port_hi);
	if (r->conds & COND_DST_PORT)
		FUZZ_CHECK(r->dst_port_lo <= r->dst_port_hi);
	if (r->type == RULE_DNAT || r->type == RULE_SNAT) {
		FUZZ_CHECK(r->n_nat_targets >= 1 && r->nat_action <= NAT_ACTION_RETURN);
		for (i = 0; i < r->n_nat_targets; i++)
			FUZZ_CHECK(r->nat_targets[i].addr_lo <= r->nat_targets[i].addr_hi &&
				   r->nat_targets[i].port_lo <= r->nat_targets[i].port_hi);
	}
}

static void
check_chains(const struct topology *t)
{
	uint32_t i, j;

	for (i = 0; i < t->n_chains; i++) {
		const struct topo_chain *c = &t->chains[i];

		FUZZ_CHECK(c->index == i && STR_OK(c->id) && STR_OK(c->name));
		for (j = 0; j < c->n_rules; j++) {
			check_rule(t, &c->rules[j]);
			/* Evaluated in pos order. */
			FUZZ_CHECK(j == 0 || c->rules[j - 1].pos <= c->rules[j].pos);
		}
	}
	for (i = 0; i < t->n_port_groups; i++) {
		const struct topo_port_group *g = &t->port_groups[i];

		FUZZ_CHECK(g->index == i && STR_OK(g->id) && STR_OK(g->name));
		for (j = 0; j < g->n_ports; j++) {
			FUZZ_CHECK(IN(g->ports[j], t->n_ports));
			/* A stateful group's members share their connections (topology.h). */
			FUZZ_CHECK(!g->stateful || t->ports[g->ports[j]].stateful_group);
		}
	}
}

static void
check_overlay(const struct topology *t)
{
	const struct topo_overlay *o = &t->overlay;
	uint32_t i, j;

	for (i = 0; i < o->n_hosts; i++)
		FUZZ_CHECK(o->hosts[i].index == i && STR_OK(o->hosts[i].id));
	for (i = 0; i < o->n_zones; i++) {
		const struct topo_tunnel_zone *z = &o->zones[i];

		FUZZ_CHECK(z->index == i && z->type >= TOPO_TZ_VXLAN && z->type <= TOPO_TZ_VTEP);
		for (j = 0; j < z->n_members; j++)
			FUZZ_CHECK(IN(z->members[j].host, o->n_hosts));
	}
	for (i = 0; i < o->n_vteps; i++) {
		FUZZ_CHECK(IN(o->vteps[i].port, t->n_ports));
		FUZZ_CHECK(o->vteps[i].vni >= 1 && o->vteps[i].vni <= 0xffffff);
	}
	FUZZ_CHECK(o->local_host == TOPO_NO_INDEX || IN(o->local_host, o->n_hosts));
	FUZZ_CHECK(o->local_zone == TOPO_NO_INDEX || IN(o->local_zone, o->n_zones));
	/* Port keys and flood keys share the tunnel key's 16 bits. */
	if (o->n_hosts > 0 || o->n_vteps > 0)
		FUZZ_CHECK(t->n_ports < TOPO_TUNNEL_KEY_FLOOD_BASE &&
			   t->n_bridges < TOPO_TUNNEL_KEY_FLOOD_BASE);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[ERR_LEN];
	struct topology *t;
	json_t *doc;

	doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (doc == NULL)
		return -1; /* not JSON: the loader never sees it, so neither does the corpus */
	err[0] = '\0';
	t = topology_json_load(doc, SOURCE, ifs, RTE_DIM(ifs), err, sizeof(err));
	json_decref(doc);
	if (t == NULL) {
		FUZZ_CHECK(strncmp(err, SOURCE ": ", strlen(SOURCE ": ")) == 0);
		return 0;
	}
	FUZZ_CHECK(t->version == 1);
	check_ports(t);
	check_routers(t);
	check_chains(t);
	check_overlay(t);
	topology_free(t);
	return 0;
}
