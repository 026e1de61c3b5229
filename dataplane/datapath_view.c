/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The datapath view, as mm-dpctl --show-dp / --dump-dp print it: flow cache
 * totals, per-port and per-lcore counters, drops by reason, and the flows.
 *
 * Hits, misses and lost come from the workers: hits + misses = lookups, and
 * lost is the part of the misses that never reached the simulation.
 * Must run where walking the flow cache is safe: on the simulation thread
 * (sim_thread_request_dump) or after it stopped.
 */
#include <inttypes.h>
#include <string.h>

#include <jansson.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "dataplane.h"
#include "shared_state.h"
#include "flow_key_format.h"
#include "overlay.h"

/*
 * Flows listed at most per dump: the simulation thread writes the dump, and
 * a dump of a full cache would stall new flows for seconds.  Filtering and
 * paging come with the CLI.
 */
#define VIEW_MAX_FLOWS 10000

struct dp_totals {
	struct worker_stats w;     /* summed over workers */
	struct sim_stats sim;
	struct flow_cache_counters fc;
	uint64_t drops[DROP_REASON_COUNT];
	uint64_t port_tx_dropped[RTE_MAX_ETHPORTS];
};

static void
dp_totals_read(struct kairo_dp *dp, struct dp_totals *t)
{
	struct worker_stats ws;
	uint32_t i, r;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < dp->n_workers; i++) {
		worker_stats_read(dp->workers[i], &ws);
		t->w.passes += ws.passes;
		t->w.rx_packets += ws.rx_packets;
		t->w.hits += ws.hits;
		t->w.misses += ws.misses;
		t->w.lost += ws.lost;
		t->w.upcalls += ws.upcalls;
		t->w.injected += ws.injected;
		t->w.tx_packets += ws.tx_packets;
		for (r = 0; r < DROP_REASON_COUNT; r++)
			t->drops[r] += ws.drops[r];
		for (r = 0; r < RTE_MAX_ETHPORTS; r++)
			t->port_tx_dropped[r] += ws.port_tx_dropped[r];
	}
	sim_stats_read(dp->sim, &t->sim);
	for (r = 0; r < DROP_REASON_COUNT; r++)
		t->drops[r] += t->sim.drops[r];
	flow_cache_counters_read(dp->cache, &t->fc);
}

static const char *
role_name(enum port_role r)
{
	return r == PORT_ROLE_UPLINK ? "uplink" : "vport";
}

static double
age_seconds(uint64_t now, uint64_t then)
{
	return now > then ? (double)(now - then) / (double)rte_get_tsc_hz() : 0.0;
}

/* mm-dpctl's per-port-type lines for the tunnels: one line per peer, and its decap errors. */
static void
tunnels_print(const struct overlay *ov, FILE *out)
{
	json_t *v = overlay_view(ov), *peers = json_object_get(v, "peers"), *p, *e;
	const char *name;
	size_t i;

	fprintf(out, "Tunnels: underlay %s on port %" JSON_INTEGER_FORMAT ", MTU %" JSON_INTEGER_FORMAT
		" (virtual ports %" JSON_INTEGER_FORMAT " over VXLAN)\n",
		json_string_value(json_object_get(v, "underlay_address")),
		json_integer_value(json_object_get(v, "uplink_port")),
		json_integer_value(json_object_get(v, "underlay_mtu")),
		json_integer_value(json_object_get(v, "vport_mtu_vxlan")));
	json_array_foreach(peers, i, p) {
		json_t *mac = json_object_get(p, "next_hop_mac");

		fprintf(out, "  %s %s: next hop %s %s  rx %" JSON_INTEGER_FORMAT " pkts %"
			JSON_INTEGER_FORMAT " bytes  tx %" JSON_INTEGER_FORMAT " pkts %"
			JSON_INTEGER_FORMAT " bytes\n",
			json_string_value(json_object_get(p, "type")),
			json_string_value(json_object_get(p, "peer")),
			json_is_string(json_object_get(p, "next_hop")) ?
				json_string_value(json_object_get(p, "next_hop")) : "none",
			json_is_string(mac) ? json_string_value(mac) : "(unresolved)",
			json_integer_value(json_object_get(p, "rx_packets")),
			json_integer_value(json_object_get(p, "rx_bytes")),
			json_integer_value(json_object_get(p, "tx_packets")),
			json_integer_value(json_object_get(p, "tx_bytes")));
		json_object_foreach(json_object_get(p, "rx_errors"), name, e)
			if (json_integer_value(e) != 0)
				fprintf(out, "    %s %" JSON_INTEGER_FORMAT "\n", name,
					json_integer_value(e));
	}
	json_decref(v);
}

void
datapath_view_print(struct kairo_dp *dp, FILE *out, bool with_flows)
{
	struct dp_totals t;
	struct rte_eth_stats es;
	struct rte_eth_link link;
	uint32_t i;

	dp_totals_read(dp, &t);
	fprintf(out, "Datapath kairo (host %s, up %.1fs)\n", dp->cfg.host,
		age_seconds(rte_get_tsc_cycles(), dp->start_tsc));
	fprintf(out, "  flows: %u  hits: %" PRIu64 "  misses: %" PRIu64 "  lost: %" PRIu64 "\n",
		flow_cache_count(dp->cache), t.w.hits, t.w.misses, t.w.lost);
	fprintf(out,
		"  flow cache: capacity %u  installed %" PRIu64 "  evicted %" PRIu64
		"  expired %" PRIu64 "  invalidated %" PRIu64 "  flushed %" PRIu64
		"  not-installed-full %" PRIu64 "\n",
		flow_cache_capacity(dp->cache), t.fc.installed, t.fc.evicted, t.fc.expired,
		t.fc.invalidated, t.fc.flushed, t.fc.not_installed_full);
	fprintf(out,
		"  slow path: upcalls %" PRIu64 "  simulated %" PRIu64 "  queued-behind %" PRIu64
		"  reused %" PRIu64 "  injected %" PRIu64 "  in-flight %d/%d\n",
		t.sim.upcalls, t.sim.simulated, t.sim.queued_behind, t.sim.reused_flow,
		t.sim.injected, dp->upcall->global.size -
		__atomic_load_n(&dp->upcall->global.tokens, __ATOMIC_RELAXED),
		dp->upcall->global.size);
	fprintf(out,
		"  mac table: entries %u  learned %" PRIu64 "  moved %" PRIu64 "  aged %" PRIu64
		"\n",
		mac_table_count(dp->macs), t.sim.mac_learned, t.sim.mac_moved, t.sim.mac_aged);
	fprintf(out,
		"  arp table: entries %u  requests %" PRIu64 "  replies %" PRIu64 "  resolved %" PRIu64
		"  expired %" PRIu64 "  requeued %" PRIu64 "  icmp sent %" PRIu64 "\n",
		arp_table_count(dp->arps), t.sim.arp_requests, t.sim.arp_replies, t.sim.arp_resolved,
		t.sim.arp_expired, t.sim.requeued, t.sim.icmp_sent);
	fprintf(out,
		"  ipv6 neighbours: solicits %" PRIu64 "  adverts %" PRIu64 "  resolved %" PRIu64
		"  expired %" PRIu64 "  icmp6 sent %" PRIu64 "\n",
		t.sim.nd_solicits, t.sim.nd_adverts, t.sim.nd_resolved, t.sim.nd_expired,
		t.sim.icmp6_sent);
	fprintf(out,
		"  conntrack: entries %u  created %" PRIu64 "  expired %" PRIu64 "  table-full %" PRIu64
		"\n",
		conntrack_count(dp->conns), t.sim.ct_created, t.sim.ct_expired, t.sim.ct_table_full);
	fprintf(out,
		"  rule chains: chains run %" PRIu64 "  rules run %" PRIu64 "  rejects sent %" PRIu64
		"\n",
		t.sim.chains_run, t.sim.rules_run, t.sim.rejects_sent);
	fprintf(out,
		"  nat: bindings %u  created %" PRIu64 "  static %" PRIu64 "  reversed %" PRIu64
		"  icmp errors %" PRIu64 "\n",
		conntrack_nat_count(dp->conns), t.sim.nat_created, t.sim.nat_static,
		t.sim.nat_reversed, t.sim.nat_icmp_errors);
	fprintf(out,
		"  topology: version %" PRIu64 "  changes %" PRIu64 "  last change: %" PRIu64
		" flow(s) invalidated in %" PRIu64 " us\n",
		t.sim.topo_version, t.sim.topo_changes, t.sim.topo_last_invalidated,
		t.sim.topo_last_change_us);

	fprintf(out, "Ports:\n");
	for (i = 0; i < dp->n_ports; i++) {
		const struct dp_port *p = &dp->ports[i];

		rte_eth_stats_get(p->id, &es);
		rte_eth_link_get_nowait(p->id, &link);
		fprintf(out, "  port %u: %s (%s, %s) link %s\n", p->id, p->cfg->name,
			role_name(p->cfg->role), p->driver, link.link_status ? "up" : "down");
		fprintf(out,
			"    rx packets %" PRIu64 " bytes %" PRIu64 " errors %" PRIu64
			" dropped %" PRIu64 "\n",
			es.ipackets, es.ibytes, es.ierrors, es.imissed + es.rx_nombuf);
		fprintf(out,
			"    tx packets %" PRIu64 " bytes %" PRIu64 " errors %" PRIu64
			" dropped %" PRIu64 "\n",
			es.opackets, es.obytes, es.oerrors, t.port_tx_dropped[p->id]);
	}
	fprintf(out, "Lcores:\n");
	for (i = 0; i < dp->n_workers; i++) {
		struct worker_stats ws;
		uint64_t cycles;

		worker_stats_read(dp->workers[i], &ws);
		cycles = ws.busy_cycles + ws.idle_cycles;
		fprintf(out,
			"  lcore %u (worker %u): polls %" PRIu64 "  busy %.1f%%  rx %" PRIu64
			"  packets/busy-poll %.1f  busy-cycles %" PRIu64 "  idle-cycles %" PRIu64
			"\n",
			dp->workers[i]->lcore_id, i, ws.passes,
			cycles ? 100.0 * (double)ws.busy_cycles / (double)cycles : 0.0,
			ws.rx_packets,
			ws.busy_passes ? (double)ws.rx_packets / (double)ws.busy_passes : 0.0,
			ws.busy_cycles, ws.idle_cycles);
	}
	fprintf(out, "Drops:\n");
	for (i = 1; i < DROP_REASON_COUNT; i++)
		if (t.drops[i] != 0)
			fprintf(out, "  %-20s %" PRIu64 "  (%s)\n", drop_reason_name(i), t.drops[i],
				drop_reason_help(i));
	if (dp->overlay != NULL)
		tunnels_print(dp->overlay, out);
	if (!with_flows)
		return;

	uint32_t next = 0;
	const struct flow *f;
	uint64_t now = rte_get_tsc_cycles();
	char kbuf[512], abuf[512];

	unsigned int listed = 0;

	fprintf(out, "Flows:\n");
	while (flow_cache_iterate(dp->cache, &next, &f) == 0) {
		struct flow_stats fs;

		if (listed++ == VIEW_MAX_FLOWS) {
			fprintf(out, "  ... %u flows in all, %d listed\n", flow_cache_count(dp->cache),
				VIEW_MAX_FLOWS);
			break;
		}

		flow_stats_sum(f, &fs);
		flow_key_format(&f->key, kbuf, sizeof(kbuf));
		flow_actions_format(&f->actions, abuf, sizeof(abuf));
		fprintf(out,
			"  %s packets:%" PRIu64 " bytes:%" PRIu64 " age:%.1fs used:%.1fs "
			"actions:%s\n",
			kbuf, fs.packets, fs.bytes, age_seconds(now, f->created_tsc),
			age_seconds(now, f->last_used_tsc), abuf);
	}
}

static json_t *
json_u64(uint64_t v)
{
	return json_integer((json_int_t)v);
}

json_t *
datapath_flow_json(const struct flow *f, uint64_t now)
{
	json_t *jf = json_object();
	struct flow_stats fs;
	char kbuf[512], abuf[512];

	flow_stats_sum(f, &fs);
	flow_key_format(&f->key, kbuf, sizeof(kbuf));
	flow_actions_format(&f->actions, abuf, sizeof(abuf));
	json_object_set_new(jf, "match", json_string(kbuf));
	json_object_set_new(jf, "actions", json_string(abuf));
	json_object_set_new(jf, "packets", json_u64(fs.packets));
	json_object_set_new(jf, "bytes", json_u64(fs.bytes));
	json_object_set_new(jf, "age_s", json_real(age_seconds(now, f->created_tsc)));
	json_object_set_new(jf, "used_s", json_real(age_seconds(now, f->last_used_tsc)));
	return jf;
}

/* Counters of a struct of uint64_t, by name. */
struct view_counter {
	const char *name;
	size_t offset;
};

static void
view_counters(json_t *obj, const void *base, const struct view_counter *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t v = __atomic_load_n((const uint64_t *)((const char *)base + c[i].offset),
					     __ATOMIC_RELAXED);

		json_object_set_new(obj, c[i].name, json_u64(v));
	}
}

#define REDIS_COUNTER(f) {#f, offsetof(struct redis_state_stats, f)}
#define SHARED_COUNTER(f) {#f, offsetof(struct state_sync_stats, f)}

/* Shared state: the Redis connection, and what the simulation wrote, asked and imported. */
static json_t *
state_view(struct kairo_dp *dp)
{
	static const struct view_counter redis_counters[] = {
		REDIS_COUNTER(connects), REDIS_COUNTER(disconnects), REDIS_COUNTER(writes),
		REDIS_COUNTER(write_batches), REDIS_COUNTER(write_errors),
		REDIS_COUNTER(writes_dropped), REDIS_COUNTER(writes_unformattable),
		REDIS_COUNTER(lookups), REDIS_COUNTER(found),
		REDIS_COUNTER(bad_values), REDIS_COUNTER(leases_granted),
		REDIS_COUNTER(leases_denied), REDIS_COUNTER(leases_held),
		REDIS_COUNTER(lease_refreshes), REDIS_COUNTER(leases_lost),
		REDIS_COUNTER(answers_lost),
	};
	static const struct view_counter shared_counters[] = {
		SHARED_COUNTER(writes_queued), SHARED_COUNTER(writes_lost),
		SHARED_COUNTER(queries_queued), SHARED_COUNTER(queries_lost),
		SHARED_COUNTER(parked), SHARED_COUNTER(park_full), SHARED_COUNTER(park_timeouts),
		SHARED_COUNTER(imported), SHARED_COUNTER(lookups_missed), SHARED_COUNTER(refreshed),
		SHARED_COUNTER(resyncs), SHARED_COUNTER(macs_imported),
		SHARED_COUNTER(macs_refreshed), SHARED_COUNTER(arps_imported),
	};
	const struct sim_shared *sh = sim_thread_shared(dp->sim);
	struct redis_state_stats rs;
	json_t *o = json_object(), *sim = json_object();

	redis_state_stats_read(dp->redis, &rs);
	json_object_set_new(o, "redis", json_string(redis_state_address(dp->redis)));
	json_object_set_new(o, "prefix", json_string(dp->cfg.redis.prefix));
	json_object_set_new(o, "connected", json_boolean(rs.connected != 0));
	view_counters(o, &rs, redis_counters, RTE_DIM(redis_counters));
	view_counters(sim, &sh->stats, shared_counters, RTE_DIM(shared_counters));
	json_object_set_new(sim, "parked_now", json_u64(__atomic_load_n(&sh->n_parked,
									 __ATOMIC_RELAXED)));
	json_object_set_new(o, "simulation", sim);
	return o;
}

#define SIM_COUNTER(f) {#f, offsetof(struct sim_stats, f)}
#define FLOW_CACHE_COUNTER(f) {#f, offsetof(struct flow_cache_counters, f)}
#define WORKER_COUNTER(f) {#f, offsetof(struct worker_stats, f)}
#define WORKER_COUNTER_AS(name, f) {name, offsetof(struct worker_stats, f)}

/*
 * The flow cache's counters.  Capacity is the table's size, not a counter,
 * and comes first.
 */
static json_t *
flow_cache_view(struct kairo_dp *dp, const struct flow_cache_counters *fc)
{
	static const struct view_counter counters[] = {
		FLOW_CACHE_COUNTER(installed), FLOW_CACHE_COUNTER(evicted),
		FLOW_CACHE_COUNTER(expired), FLOW_CACHE_COUNTER(invalidated),
		FLOW_CACHE_COUNTER(flushed), FLOW_CACHE_COUNTER(not_installed_full),
	};
	json_t *o = json_object();

	json_object_set_new(o, "capacity", json_u64(flow_cache_capacity(dp->cache)));
	view_counters(o, fc, counters, RTE_DIM(counters));
	return o;
}

/*
 * The simulation's counters, by topic.  kairoctl and telemetry print keys in
 * the order they are set, and each table's current size sits just before
 * that table's counters: so the tables are cut where a size goes in.
 */
static json_t *
slow_path_view(struct kairo_dp *dp, const struct sim_stats *s)
{
	static const struct view_counter upcall_counters[] = {
		SIM_COUNTER(upcalls), SIM_COUNTER(simulated), SIM_COUNTER(queued_behind),
		SIM_COUNTER(reused_flow), SIM_COUNTER(injected),
	};
	static const struct view_counter mac_counters[] = {
		SIM_COUNTER(mac_learned), SIM_COUNTER(mac_moved), SIM_COUNTER(mac_aged),
	};
	static const struct view_counter neighbour_counters[] = {
		SIM_COUNTER(arp_requests), SIM_COUNTER(arp_replies), SIM_COUNTER(arp_resolved),
		SIM_COUNTER(arp_expired), SIM_COUNTER(requeued), SIM_COUNTER(icmp_sent),
		SIM_COUNTER(nd_solicits), SIM_COUNTER(nd_adverts), SIM_COUNTER(nd_resolved),
		SIM_COUNTER(nd_expired), SIM_COUNTER(icmp6_sent),
	};
	static const struct view_counter rule_counters[] = {
		SIM_COUNTER(ct_created), SIM_COUNTER(ct_expired), SIM_COUNTER(ct_table_full),
		SIM_COUNTER(chains_run), SIM_COUNTER(rules_run), SIM_COUNTER(rejects_sent),
	};
	static const struct view_counter nat_counters[] = {
		SIM_COUNTER(nat_created), SIM_COUNTER(nat_static), SIM_COUNTER(nat_reversed),
		SIM_COUNTER(nat_icmp_errors),
	};
	static const struct view_counter topology_counters[] = {
		SIM_COUNTER(install_failed), SIM_COUNTER(topo_version), SIM_COUNTER(topo_changes),
		SIM_COUNTER(topo_last_invalidated), SIM_COUNTER(topo_last_change_us),
	};
	json_t *o = json_object();

	view_counters(o, s, upcall_counters, RTE_DIM(upcall_counters));
	/* Sizes read from the tables themselves, not counters of struct sim_stats. */
	json_object_set_new(o, "mac_entries", json_u64(mac_table_count(dp->macs)));
	view_counters(o, s, mac_counters, RTE_DIM(mac_counters));
	json_object_set_new(o, "arp_entries", json_u64(arp_table_count(dp->arps)));
	view_counters(o, s, neighbour_counters, RTE_DIM(neighbour_counters));
	json_object_set_new(o, "ct_entries", json_u64(conntrack_count(dp->conns)));
	view_counters(o, s, rule_counters, RTE_DIM(rule_counters));
	json_object_set_new(o, "nat_bindings", json_u64(conntrack_nat_count(dp->conns)));
	view_counters(o, s, nat_counters, RTE_DIM(nat_counters));
	view_counters(o, s, topology_counters, RTE_DIM(topology_counters));
	return o;
}

json_t *
datapath_view_object(struct kairo_dp *dp)
{
	/* Summed over the workers; hits + misses = lookups. */
	static const struct view_counter lookup_counters[] = {
		WORKER_COUNTER(hits), WORKER_COUNTER(misses), WORKER_COUNTER(lost),
	};
	/* Per lcore: the view's names for the loop's passes. */
	static const struct view_counter lcore_counters[] = {
		WORKER_COUNTER_AS("polls", passes), WORKER_COUNTER_AS("busy_polls", busy_passes),
		WORKER_COUNTER(busy_cycles), WORKER_COUNTER(idle_cycles), WORKER_COUNTER(rx_packets),
	};
	json_t *root = json_object(), *ports = json_array(), *drops = json_object();
	json_t *lcores = json_array();
	struct dp_totals t;
	struct rte_eth_stats es;
	struct rte_eth_link link;
	uint32_t i;

	dp_totals_read(dp, &t);
	json_object_set_new(root, "host", json_string(dp->cfg.host));
	/* Flows in the cache now: read from the cache, not summed from the workers. */
	json_object_set_new(root, "flows", json_u64(flow_cache_count(dp->cache)));
	view_counters(root, &t.w, lookup_counters, RTE_DIM(lookup_counters));
	json_object_set_new(root, "flow_cache", flow_cache_view(dp, &t.fc));
	json_object_set_new(root, "slow_path", slow_path_view(dp, &t.sim));
	for (i = 0; i < dp->n_ports; i++) {
		const struct dp_port *p = &dp->ports[i];
		json_t *jp = json_object();

		rte_eth_stats_get(p->id, &es);
		rte_eth_link_get_nowait(p->id, &link);
		json_object_set_new(jp, "id", json_u64(p->id));
		json_object_set_new(jp, "name", json_string(p->cfg->name));
		json_object_set_new(jp, "role", json_string(role_name(p->cfg->role)));
		json_object_set_new(jp, "driver", json_string(p->driver));
		json_object_set_new(jp, "link_up", json_boolean(link.link_status));
		json_object_set_new(jp, "rx_packets", json_u64(es.ipackets));
		json_object_set_new(jp, "rx_bytes", json_u64(es.ibytes));
		json_object_set_new(jp, "rx_errors", json_u64(es.ierrors));
		json_object_set_new(jp, "rx_dropped", json_u64(es.imissed + es.rx_nombuf));
		json_object_set_new(jp, "tx_packets", json_u64(es.opackets));
		json_object_set_new(jp, "tx_bytes", json_u64(es.obytes));
		json_object_set_new(jp, "tx_errors", json_u64(es.oerrors));
		json_object_set_new(jp, "tx_dropped", json_u64(t.port_tx_dropped[p->id]));
		json_array_append_new(ports, jp);
	}
	json_object_set_new(root, "ports", ports);
	for (i = 0; i < dp->n_workers; i++) {
		struct worker_stats ws;
		json_t *jl = json_object();

		worker_stats_read(dp->workers[i], &ws);
		json_object_set_new(jl, "lcore", json_u64(dp->workers[i]->lcore_id));
		view_counters(jl, &ws, lcore_counters, RTE_DIM(lcore_counters));
		json_array_append_new(lcores, jl);
	}
	json_object_set_new(root, "lcores", lcores);
	for (i = 1; i < DROP_REASON_COUNT; i++)
		json_object_set_new(drops, drop_reason_name(i), json_u64(t.drops[i]));
	json_object_set_new(root, "drops", drops);
	if (dp->overlay != NULL)
		json_object_set_new(root, "tunnels", overlay_view(dp->overlay));
	if (dp->redis != NULL)
		json_object_set_new(root, "state", state_view(dp));
	return root;
}

void
datapath_view_json(struct kairo_dp *dp, FILE *out)
{
	json_t *root = datapath_view_object(dp), *flows = json_array();
	uint64_t now = rte_get_tsc_cycles();
	const struct flow *f;
	uint32_t next = 0;

	while (flow_cache_iterate(dp->cache, &next, &f) == 0) {
		if (json_array_size(flows) == VIEW_MAX_FLOWS) {
			json_object_set_new(root, "flow_list_truncated", json_true());
			break;
		}
		json_array_append_new(flows, datapath_flow_json(f, now));
	}
	json_object_set_new(root, "flow_list", flows);
	json_dumpf(root, out, JSON_INDENT(1) | JSON_SORT_KEYS);
	fputc('\n', out);
	json_decref(root);
}
