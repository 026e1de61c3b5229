/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Flow explain (flow_explain.h): a flow's record kept at install, put into
 * words on the simulation thread when an operator asks.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "flow_explain.h"
#include "flow_key_format.h"
#include "flow_tags.h"
#include "overlay.h"
#include "router.h"
#include "sim_walk.h"

/* The words of one removed flow's record, made while the snapshot it was decided by runs. */
#define EXPLAIN_LINE_LEN 256

struct explain_removed {
	struct flow_key key;
	uint64_t version;    /* decided against */
	uint64_t removed_at; /* the version whose change removed it */
	char cause[EXPLAIN_LINE_LEN];
	uint8_t n;
	bool truncated;
	char walk[FLOW_EXPLAIN_MAX][EXPLAIN_LINE_LEN];
};

struct flow_removed_memory {
	struct explain_removed e[FLOW_EXPLAIN_REMOVED];
	uint32_t next;  /* the slot the next removal takes */
	uint32_t n;     /* slots in use */
	uint32_t noted; /* removals noted during the change going on */
};

/* The flow keeps n steps; truncated walks are marked in n_explain's top bit. */
#define EXPLAIN_N_TRUNCATED 0x80

void
flow_explain_keep(struct flow *f, const struct explain_record *r, uint64_t version)
{
	memcpy(f->explain, r->step, r->n * sizeof(r->step[0]));
	f->n_explain = r->n | (r->truncated ? EXPLAIN_N_TRUNCATED : 0);
	f->owner_version = (uint32_t)version;
}

static const char *
device_of(const struct topology *t, const struct topo_port *p, const char **kind)
{
	if (p->device_type == TOPO_DEVICE_BRIDGE) {
		*kind = "bridge";
		return bridge_name(&t->bridges[p->device]);
	}
	*kind = "router";
	return router_name(&t->routers[p->device]);
}

static const struct topo_route *
route_by_index(const struct topology *t, uint32_t index, const struct topo_router **router)
{
	uint32_t r, i;

	for (r = 0; r < t->n_routers; r++)
		for (i = 0; i < t->routers[r].n_routes; i++)
			if (t->routers[r].routes[i].index == index) {
				*router = &t->routers[r];
				return &t->routers[r].routes[i];
			}
	return NULL;
}

/* One step in words, as a trace line would say it; against t, the snapshot it was decided by. */
static void
step_text(const struct topology *t, uint32_t step, char *buf, size_t len)
{
	uint32_t v = step & EXPLAIN_VALUE_MASK, ci = v >> 16, ri = v & 0xffff;
	const struct topo_router *router;
	const struct topo_route *rt;
	const struct topo_chain *ch;
	const char *kind, *name;

	switch (step >> EXPLAIN_KIND_SHIFT) {
	case EXPLAIN_PORT_IN:
		if (v >= t->n_ports)
			break;
		name = device_of(t, &t->ports[v], &kind);
		snprintf(buf, len, "%s %s: in through port %s%s", kind, name, t->ports[v].id,
			 t->ports[v].peer == TOPO_NO_INDEX ? "" : " (interior)");
		return;
	case EXPLAIN_RULE:
		if (ci >= t->n_chains || ri >= t->chains[ci].n_rules)
			break;
		ch = &t->chains[ci];
		snprintf(buf, len, "chain %s: rule %u%s%s (%s) matched", chain_name(ch),
			 ch->rules[ri].pos, ch->rules[ri].id[0] ? " " : "", ch->rules[ri].id,
			 chain_rule_type_name(ch->rules[ri].type));
		return;
	case EXPLAIN_CHAIN_ACCEPT:
		if (v >= t->n_chains)
			break;
		snprintf(buf, len, "chain %s: no rule decided: accept", chain_name(&t->chains[v]));
		return;
	case EXPLAIN_ROUTE:
		rt = route_by_index(t, v, &router);
		if (rt == NULL)
			break;
		router_route_format(t, router, rt, buf, len);
		return;
	default:
		break;
	}
	snprintf(buf, len, "(step %08x: no longer in the topology)", step);
}

static json_t *
walk_json(const struct topology *t, const uint32_t *steps, unsigned int n)
{
	json_t *walk = json_array();
	char line[EXPLAIN_LINE_LEN];
	unsigned int i;

	for (i = 0; i < n; i++) {
		step_text(t, steps[i], line, sizeof(line));
		json_array_append_new(walk, json_string(line));
	}
	return walk;
}

/* What removed a flow, in words, from the tag invalidated (flow_tags.h). */
static void
cause_text(const struct topology *t, uint64_t tag, char *buf, size_t len)
{
	uint64_t v = tag & ((1ull << TAG_KIND_SHIFT) - 1);
	const struct topo_router *router;
	const struct topo_route *rt;
	const char *kind, *name;

	switch (tag >> TAG_KIND_SHIFT) {
	case 0:
		snprintf(buf, len, "the topology's objects were renumbered: every flow went");
		return;
	case TAG_KIND_PORT:
		if (v < t->n_ports) {
			name = device_of(t, &t->ports[v], &kind);
			snprintf(buf, len, "port %s of %s %s changed", t->ports[v].id, kind, name);
			return;
		}
		break;
	case TAG_KIND_DEVICE:
		if (v < t->n_bridges) {
			snprintf(buf, len, "bridge %s changed", bridge_name(&t->bridges[v]));
			return;
		}
		break;
	case TAG_KIND_ROUTER:
		if (v < t->n_routers) {
			snprintf(buf, len, "router %s changed (its ports or routes)",
				 router_name(&t->routers[v]));
			return;
		}
		break;
	case TAG_KIND_ROUTE:
		rt = route_by_index(t, (uint32_t)v, &router);
		if (rt != NULL) {
			snprintf(buf, len, "a route of router %s changed", router_name(router));
			return;
		}
		break;
	case TAG_KIND_CHAIN:
		if (v < t->n_chains) {
			snprintf(buf, len, "chain %s changed", chain_name(&t->chains[v]));
			return;
		}
		break;
	case TAG_KIND_INTERFACE:
		snprintf(buf, len, "the binding of DPDK port %" PRIu64 " changed", v);
		return;
	case TAG_KIND_TUNNEL_PEER:
		snprintf(buf, len, "a tunnel peer changed");
		return;
	default:
		break;
	}
	snprintf(buf, len, "tag %016" PRIx64 " changed", tag);
}

static json_t *
mac_row(const struct topology *t, uint32_t bridge, const struct rte_ether_addr *mac, int64_t port)
{
	char text[RTE_ETHER_ADDR_FMT_SIZE];

	rte_ether_format_addr(text, sizeof(text), mac);
	return json_pack("{s:s, s:s, s:s?}", "bridge", bridge_name(&t->bridges[bridge]), "mac", text,
			 "port", port >= 0 && port < t->n_ports ? t->ports[port].id : NULL);
}

/*
 * The MAC entries it depends on, learned and forwarded by (its MAC tags: the bridge by
 * its low 8 bits, so every bridge that matches is asked), as the tables have
 * them now; a MAC no longer learned shows no port.
 */
static json_t *
macs_json(struct sim_thread *st, const struct flow *f)
{
	const struct topology *t = st->topo;
	json_t *out = json_array();
	struct rte_ether_addr mac;
	unsigned int i;
	uint32_t b;

	for (i = 0; i < f->n_tags; i++) {
		uint64_t tag = f->tags[i].tag;

		if (tag >> TAG_KIND_SHIFT != TAG_KIND_MAC)
			continue;
		memcpy(mac.addr_bytes, &tag, RTE_ETHER_ADDR_LEN);
		for (b = 0; b < t->n_bridges; b++)
			if ((b & 0xff) == ((tag >> 48) & 0xff) && tag == tag_mac(b, &mac))
				json_array_append_new(out, mac_row(t, b, &mac,
								   mac_table_lookup(st->macs, b, 0,
										    &mac)));
	}
	return out;
}

/* The MAC entry the flow learned (its source on the first bridge), which it keeps alive. */
static json_t *
mac_json(struct sim_thread *st, const struct flow *f)
{
	struct rte_ether_addr mac;
	uint32_t bridge, port;

	if (f->owner_cookie == 0 ||
	    mac_table_entry_read(st->macs, (uint32_t)(f->owner_cookie - 1), &bridge, &mac,
				 &port) != 0 ||
	    bridge >= st->topo->n_bridges)
		return json_null();
	return mac_row(st->topo, bridge, &mac, port);
}

/* The neighbour entries the flow's tags name, as the router's table has them now. */
static json_t *
neighbours_json(struct sim_thread *st, const struct flow *f)
{
	json_t *out = json_array();
	char addr[INET6_ADDRSTRLEN], mac[RTE_ETHER_ADDR_FMT_SIZE];
	struct arp_entry *e;
	uint32_t next = 0;
	unsigned int i;

	if (st->arps == NULL)
		return out;
	while (arp_table_iterate(st->arps, &next, &e) == 0) {
		uint64_t tag = tag_neigh(e->router, e->addr);

		for (i = 0; i < f->n_tags; i++) {
			if (f->tags[i].tag != tag || e->router >= st->topo->n_routers)
				continue;
			if (neigh_addr_is_ipv4(e->addr)) {
				rte_be32_t ip = neigh_addr_ipv4(e->addr);

				inet_ntop(AF_INET, &ip, addr, sizeof(addr));
			} else {
				inet_ntop(AF_INET6, e->addr, addr, sizeof(addr));
			}
			rte_ether_format_addr(mac, sizeof(mac), &e->mac);
			json_array_append_new(out, json_pack("{s:s, s:s, s:s?}", "router",
							     router_name(&st->topo->routers[e->router]),
							     "address", addr, "mac",
							     e->resolved ? mac : NULL));
		}
	}
	return out;
}

/* Its connection and NAT bindings: "10.0.0.2:6000 -> 192.0.2.10:40001" for a binding. */
static json_t *
nat_json(struct sim_thread *st, const struct flow *f)
{
	json_t *out = json_array();
	char orig[INET_ADDRSTRLEN], xlat[INET_ADDRSTRLEN], text[96];
	struct ct_key keys[2];
	struct ct_nat nat;
	uint8_t n_keys;
	unsigned int i;

	for (i = 0; i < FLOW_OWNER_STATE && st->ct != NULL; i++) {
		if (f->owner_state[i] == 0)
			continue;
		memset(&nat, 0, sizeof(nat));
		conntrack_entry_read(st->ct, f->owner_state[i] - 1, keys, &n_keys, &nat);
		if (n_keys < 2 || keys[0].kind == CT_KIND_CONN) {
			json_array_append_new(out, json_string("connection tracked"));
			continue;
		}
		inet_ntop(AF_INET, &nat.orig_addr, orig, sizeof(orig));
		inet_ntop(AF_INET, &nat.xlat_addr, xlat, sizeof(xlat));
		if (nat.port)
			snprintf(text, sizeof(text), "%s:%u -> %s:%u", orig, nat.orig_port, xlat,
				 nat.xlat_port);
		else
			snprintf(text, sizeof(text), "%s -> %s", orig, xlat);
		json_array_append_new(out, json_string(text));
	}
	return out;
}

json_t *
flow_explain_json(struct sim_thread *st, const struct flow *f)
{
	const struct topology *t = st->topo;
	char match[512], actions[512];
	json_t *o, *meters = json_array();
	unsigned int i, n = f->n_explain & ~EXPLAIN_N_TRUNCATED;
	bool current = f->owner_version == (uint32_t)t->version;

	flow_key_format(&f->key, match, sizeof(match));
	flow_actions_format(&f->actions, actions, sizeof(actions));
	for (i = 0; i < f->n_meters; i++)
		if (f->meters[i] < st->meters.n)
			json_array_append_new(meters, json_string(st->meters.m[f->meters[i]].name));
	o = json_pack("{s:s, s:s, s:I, s:I, s:b, s:s}", "match", match, "actions", actions,
		      "decided_at_version", (json_int_t)f->owner_version, "version_in_use",
		      (json_int_t)t->version, "still_valid", true, "why",
		      current ? "decided against the topology in use"
			      : "nothing it read changed since: a change to any device, port, route, "
				"chain, MAC or neighbour in its tags would have removed it");
	/* Indexes keep their meaning while the flow stands (sim/topology_diff.c): t names them. */
	json_object_set_new(o, "walk", walk_json(t, f->explain, n));
	json_object_set_new(o, "walk_truncated", json_boolean(f->n_explain & EXPLAIN_N_TRUNCATED));
	json_object_set_new(o, "mac_learned", mac_json(st, f));
	json_object_set_new(o, "macs", macs_json(st, f));
	json_object_set_new(o, "neighbours", neighbours_json(st, f));
	json_object_set_new(o, "nat", nat_json(st, f));
	json_object_set_new(o, "meters", meters);
	return o;
}

void
flow_explain_removed(struct sim_thread *st, const struct flow *f, uint64_t tag)
{
	struct flow_removed_memory *mem = st->removed;
	struct explain_removed *e;
	unsigned int i;

	/* A change that removes a million flows words a few: the rest cost nothing. */
	if (mem == NULL || mem->noted >= FLOW_EXPLAIN_REMOVED)
		return;
	mem->noted++;
	e = &mem->e[mem->next];
	mem->next = (mem->next + 1) % FLOW_EXPLAIN_REMOVED;
	if (mem->n < FLOW_EXPLAIN_REMOVED)
		mem->n++;
	e->key = f->key;
	e->version = f->owner_version;
	e->removed_at = st->changing_to;
	e->n = f->n_explain & ~EXPLAIN_N_TRUNCATED;
	e->truncated = f->n_explain & EXPLAIN_N_TRUNCATED;
	/* Worded now: the snapshot that decided it is still the one in use (sim_take_topology). */
	cause_text(st->topo, tag, e->cause, sizeof(e->cause));
	for (i = 0; i < e->n; i++)
		step_text(st->topo, f->explain[i], e->walk[i], sizeof(e->walk[i]));
}

void
flow_explain_change_begin(struct sim_thread *st, uint64_t version)
{
	st->changing_to = version;
	if (st->removed != NULL)
		st->removed->noted = 0;
}

void
flow_explain_change_end(struct sim_thread *st)
{
	st->changing_to = 0;
}

json_t *
flow_explain_removed_json(struct sim_thread *st,
			  bool (*match)(const struct flow_key *key, const void *arg),
			  const void *arg, unsigned int max)
{
	struct flow_removed_memory *mem = st->removed;
	char text[512];
	json_t *out = json_array();
	unsigned int k, i;

	for (k = 0; mem != NULL && k < mem->n && json_array_size(out) < max; k++) {
		const struct explain_removed *e =
			&mem->e[(mem->next + FLOW_EXPLAIN_REMOVED - 1 - k) % FLOW_EXPLAIN_REMOVED];
		json_t *walk = json_array();

		if (!match(&e->key, arg))
			continue;
		for (i = 0; i < e->n; i++)
			json_array_append_new(walk, json_string(e->walk[i]));
		flow_key_format(&e->key, text, sizeof(text));
		json_array_append_new(out, json_pack("{s:s, s:I, s:I, s:b, s:s, s:o, s:b}", "match",
						     text, "decided_at_version",
						     (json_int_t)e->version, "removed_at_version",
						     (json_int_t)e->removed_at, "still_valid", false,
						     "why", e->cause, "walk", walk, "walk_truncated",
						     e->truncated));
	}
	return out;
}

int
flow_explain_init(struct sim_thread *st)
{
	st->removed = calloc(1, sizeof(*st->removed));
	return st->removed == NULL ? -ENOMEM : 0;
}

void
flow_explain_free(struct sim_thread *st)
{
	free(st->removed);
	st->removed = NULL;
}
