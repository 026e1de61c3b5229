/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The datapath view, as mm-dpctl --show-dp / --dump-dp print it: flow cache
 * totals, per-port and per-lcore counters, drops by reason, and the flows.
 *
 * Hits, misses and lost come from the workers: hits + misses = lookups, and
 * lost is the part of the misses that never reached the simulation.
 *
 * datapath_view_object builds the view as JSON; kairoctl, telemetry and the
 * --stats-json file show that object, and the text view is rendered from it,
 * so that no view can show a counter, a name or a number the others do not.
 * The simulation's counters come from their one list (sim/sim_counters.h).
 *
 * The dumps (datapath_view_print with its flows, datapath_view_json) must
 * run where walking the flow cache is safe: on the simulation thread
 * (sim_thread_request_dump) or after it stopped.
 */
#include <inttypes.h>
#include <string.h>

#include <jansson.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "dataplane.h"
#include "mbuf_pools.h"
#include "shared_state.h"
#include "flow_key_format.h"
#include "overlay.h"
#include "sim_counters.h"

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
		t->w.followers += ws.followers;
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
		REDIS_COUNTER(answers_lost), REDIS_COUNTER(master_changes),
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
	/* The timeouts new flows get: a central configuration change may set them at run time. */
	json_object_set_new(o, "idle_timeout_ms",
			    json_u64(__atomic_load_n(&dp->cfg.flow_idle_timeout_ms, __ATOMIC_RELAXED)));
	json_object_set_new(o, "hard_timeout_ms",
			    json_u64(__atomic_load_n(&dp->cfg.flow_hard_timeout_ms, __ATOMIC_RELAXED)));
	view_counters(o, fc, counters, RTE_DIM(counters));
	return o;
}

/*
 * Tables the simulation keeps, whose size is shown just before the counters
 * of their topic: read from the table itself, not counted in struct
 * sim_stats.
 */
struct topic_size {
	const char *key;   /* in the JSON view */
	const char *label; /* on the topic's line of the text view */
	uint32_t (*read)(const struct kairo_dp *dp);
};

static uint32_t
mac_entries(const struct kairo_dp *dp)
{
	return mac_table_count(dp->macs);
}

static uint32_t
arp_entries(const struct kairo_dp *dp)
{
	return arp_table_count(dp->arps);
}

static uint32_t
ct_entries(const struct kairo_dp *dp)
{
	return conntrack_count(dp->conns);
}

static uint32_t
nat_bindings(const struct kairo_dp *dp)
{
	return conntrack_nat_count(dp->conns);
}

static const struct topic_size topic_sizes[SIM_TOPIC_COUNT] = {
	[SIM_TOPIC_MAC] = {"mac_entries", "entries", mac_entries},
	[SIM_TOPIC_ARP] = {"arp_entries", "entries", arp_entries},
	[SIM_TOPIC_CT] = {"ct_entries", "entries", ct_entries},
	[SIM_TOPIC_NAT] = {"nat_bindings", "bindings", nat_bindings},
};

/* One entry of the slow path's view: a table's size or a counter, under its topic. */
struct slow_path_entry {
	enum sim_topic topic;
	const char *key;
	const char *label;
	const struct sim_counter *counter; /* NULL: the size of the topic's table */
};

#define SLOW_PATH_ENTRIES_MAX (SIM_TOPIC_COUNT + SIM_COUNTER_COUNT)

/*
 * The slow path's entries in the order every view shows them: topic by
 * topic, the size of its table if it has one, then its counters in the
 * list's order.  kairoctl and telemetry print keys in the order they are
 * set, and the text view gives each topic a line: both follow this walk.
 * Returns the number of entries.
 */
static unsigned int
slow_path_entries(struct slow_path_entry e[SLOW_PATH_ENTRIES_MAX])
{
	unsigned int topic, i, n = 0;

	for (topic = SIM_TOPIC_NONE + 1; topic < SIM_TOPIC_COUNT; topic++) {
		const struct topic_size *size = &topic_sizes[topic];

		if (size->key != NULL)
			e[n++] = (struct slow_path_entry){topic, size->key, size->label, NULL};
		for (i = 0; i < SIM_COUNTER_COUNT; i++) {
			const struct sim_counter *c = &sim_counters[i];

			if (c->topic == topic)
				e[n++] = (struct slow_path_entry){topic, c->name, c->label, c};
		}
	}
	return n;
}

static json_t *
slow_path_view(struct kairo_dp *dp, const struct sim_stats *s)
{
	struct slow_path_entry e[SLOW_PATH_ENTRIES_MAX];
	unsigned int i, n = slow_path_entries(e);
	json_t *o = json_object();
	uint64_t v;

	for (i = 0; i < n; i++) {
		/* s is a copy (sim_stats_read): plain reads. */
		if (e[i].counter != NULL)
			memcpy(&v, (const char *)s + e[i].counter->offset, sizeof(v));
		else
			v = topic_sizes[e[i].topic].read(dp);
		json_object_set_new(o, e[i].key, json_u64(v));
	}
	/* The admission buckets' sizes: a central configuration change may set them at run time. */
	json_object_set_new(o, "global_bucket", json_u64((uint32_t)__atomic_load_n(
				    &dp->upcall_cfg.global_bucket, __ATOMIC_RELAXED)));
	json_object_set_new(o, "tunnel_bucket", json_u64((uint32_t)__atomic_load_n(
				    &dp->upcall_cfg.tunnel_bucket, __ATOMIC_RELAXED)));
	json_object_set_new(o, "vport_bucket", json_u64((uint32_t)__atomic_load_n(
				    &dp->upcall_cfg.vport_bucket, __ATOMIC_RELAXED)));
	return o;
}

/* The binding of the snapshot in use that names this interface, or NULL. */
static const struct dp_binding *
binding_of(const struct kairo_dp *dp, const char *iface)
{
	unsigned int i;

	for (i = 0; i < dp->n_bindings; i++)
		if (strcmp(dp->bindings[i].interface, iface) == 0)
			return &dp->bindings[i];
	return NULL;
}

/*
 * A binding waiting for its interface: a row of its own, with the port it
 * binds and no counters (no device yet).
 */
static json_t *
waiting_row(const struct dp_binding *b)
{
	return json_pack("{s:n, s:s, s:s, s:s, s:n, s:s, s:s}", "id", "name", b->interface,
			 "role", "-", "driver", "-", "link_up", "binding", b->port_id, "state",
			 "waiting");
}

/*
 * Under the ports lock: a port removed meanwhile is not read.  Ports in use,
 * then the bindings that wait for an interface.  link_up is what forwarding
 * goes by (port_link.c); tx_dropped counts from when the port came (its
 * DPDK id may have been another port's before).
 */
static json_t *
ports_view(struct kairo_dp *dp, const struct dp_totals *t)
{
	json_t *ports = json_array();
	const struct dp_binding *b;
	struct rte_eth_stats es;
	uint32_t i;

	dp_ports_lock(dp);
	for (i = 0; i < dp->n_ports; i++) {
		const struct dp_port *p = &dp->ports[i];
		json_t *jp;

		if (!p->in_use)
			continue;
		jp = json_object();
		b = binding_of(dp, p->cfg->name);
		rte_eth_stats_get(p->id, &es);
		json_object_set_new(jp, "id", json_u64(p->id));
		json_object_set_new(jp, "name", json_string(p->cfg->name));
		json_object_set_new(jp, "role", json_string(role_name(p->cfg->role)));
		json_object_set_new(jp, "driver", json_string(p->driver));
		json_object_set_new(jp, "socket", json_integer(p->socket));
		json_object_set_new(jp, "link_up", json_boolean(p->link_up));
		json_object_set_new(jp, "binding", b != NULL ? json_string(b->port_id) : json_null());
		json_object_set_new(jp, "state", json_string(b != NULL ? "bound" : "unbound"));
		json_object_set_new(jp, "rx_packets", json_u64(es.ipackets));
		json_object_set_new(jp, "rx_bytes", json_u64(es.ibytes));
		json_object_set_new(jp, "rx_errors", json_u64(es.ierrors));
		json_object_set_new(jp, "rx_dropped", json_u64(es.imissed + es.rx_nombuf));
		json_object_set_new(jp, "tx_packets", json_u64(es.opackets));
		json_object_set_new(jp, "tx_bytes", json_u64(es.obytes));
		json_object_set_new(jp, "tx_errors", json_u64(es.oerrors));
		json_object_set_new(jp, "tx_dropped",
				    json_u64(t->port_tx_dropped[p->id] - p->tx_dropped_base));
		json_array_append_new(ports, jp);
	}
	for (i = 0; i < dp->n_bindings; i++)
		if (dp->bindings[i].waiting)
			json_array_append_new(ports, waiting_row(&dp->bindings[i]));
	dp_ports_unlock(dp);
	return ports;
}

static json_t *
lcores_view(struct kairo_dp *dp)
{
	/* Per lcore: the view's names for the loop's passes. */
	static const struct view_counter lcore_counters[] = {
		WORKER_COUNTER_AS("polls", passes), WORKER_COUNTER_AS("busy_polls", busy_passes),
		WORKER_COUNTER(busy_cycles), WORKER_COUNTER(idle_cycles),
		WORKER_COUNTER(rx_packets),
	};
	json_t *lcores = json_array();
	struct worker_stats ws;
	uint32_t i;

	for (i = 0; i < dp->n_workers; i++) {
		json_t *jl = json_object();

		worker_stats_read(dp->workers[i], &ws);
		json_object_set_new(jl, "lcore", json_u64(dp->workers[i]->lcore_id));
		view_counters(jl, &ws, lcore_counters, RTE_DIM(lcore_counters));
		json_array_append_new(lcores, jl);
	}
	return lcores;
}

/* The simulation's waiting room, by what its packets wait for (sim/waiting_room.h). */
static json_t *
waiting_room_view(struct kairo_dp *dp)
{
	struct waiting_room_stats w;
	json_t *o = json_object();
	unsigned int k;

	sim_waiting_stats_read(dp->sim, &w);
	for (k = 0; k < WAIT_KIND_COUNT; k++)
		json_object_set_new(o, wait_kind_names[k],
				    json_pack("{s:o, s:o, s:o, s:o, s:o}",
					      "waiting", json_u64(w.waiting[k]),
					      "parked", json_u64(w.parked[k]),
					      "resumed", json_u64(w.resumed[k]),
					      "timed_out", json_u64(w.timed_out[k]),
					      "refused", json_u64(w.refused[k])));
	return o;
}

/*
 * Flow set-up latency (sim.h): {"count", "sum_ns", "buckets_us": {"10": n, ...,
 * "+Inf": count}}, buckets cumulative as Prometheus's le series are.  The
 * count is the buckets' sum, so that "+Inf" and "count" always agree.
 */
static json_t *
flow_setup_view(struct kairo_dp *dp)
{
	struct flow_setup_latency h;
	json_t *o = json_object(), *b = json_object();
	uint64_t cum = 0;
	char le[16];
	unsigned int i;

	sim_flow_setup_read(dp->sim, &h);
	for (i = 0; i < FLOW_SETUP_BUCKETS; i++) {
		cum += h.bucket[i];
		snprintf(le, sizeof(le), "%u", flow_setup_bounds_us[i]);
		json_object_set_new(b, le, json_u64(cum));
	}
	cum += h.bucket[FLOW_SETUP_BUCKETS];
	json_object_set_new(b, "+Inf", json_u64(cum));
	json_object_set_new(o, "count", json_u64(cum));
	json_object_set_new(o, "sum_ns", json_u64(h.sum_ns));
	json_object_set_new(o, "buckets_us", b);
	return o;
}

json_t *
datapath_view_object(struct kairo_dp *dp)
{
	/*
	 * Summed over the workers; hits + misses = lookups.  Lost and followers
	 * are parts of the misses: those that never reached the simulation, and
	 * those that went up behind their key's first without a token.
	 */
	static const struct view_counter lookup_counters[] = {
		WORKER_COUNTER(hits), WORKER_COUNTER(misses), WORKER_COUNTER(lost),
		WORKER_COUNTER(followers),
	};
	json_t *root = json_object(), *drops = json_object();
	struct dp_totals t;
	uint32_t i;

	dp_totals_read(dp, &t);
	json_object_set_new(root, "host", json_string(dp->cfg.host));
	/* Flows in the cache now: read from the cache, not summed from the workers. */
	json_object_set_new(root, "flows", json_u64(flow_cache_count(dp->cache)));
	view_counters(root, &t.w, lookup_counters, RTE_DIM(lookup_counters));
	json_object_set_new(root, "flow_cache", flow_cache_view(dp, &t.fc));
	json_object_set_new(root, "slow_path", slow_path_view(dp, &t.sim));
	json_object_set_new(root, "flow_setup", flow_setup_view(dp));
	json_object_set_new(root, "waiting_room", waiting_room_view(dp));
	json_object_set_new(root, "mbuf_pools", dp_mbuf_pools_view(dp));
	json_object_set_new(root, "ports", ports_view(dp, &t));
	json_object_set_new(root, "lcores", lcores_view(dp));
	for (i = 1; i < DROP_REASON_COUNT; i++)
		json_object_set_new(drops, drop_reason_name(i), json_u64(t.drops[i]));
	json_object_set_new(root, "drops", drops);
	if (dp->overlay != NULL)
		json_object_set_new(root, "tunnels", overlay_view(dp->overlay));
	if (dp->redis != NULL)
		json_object_set_new(root, "state", state_view(dp));
	if (dp->store != NULL)
		json_object_set_new(root, "topology_store",
				    json_pack("{s:s, s:b}", "type", dp->store->ops->name, "connected",
					      dp->store->ops->connected == NULL ||
						      dp->store->ops->connected(dp->store)));
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

/* ---- the text view, rendered from the JSON object ---- */

/* A counter of the view; 0 when the key is missing. */
static uint64_t
view_u64(const json_t *obj, const char *key)
{
	return (uint64_t)json_integer_value(json_object_get(obj, key));
}

/* One "label value" item of a line; the first follows the line's title after one space. */
static void
line_item(FILE *out, bool *first, const char *label, uint64_t value)
{
	fprintf(out, "%s%s %" PRIu64, *first ? " " : "  ", label, value);
	*first = false;
}

static void
totals_print(struct kairo_dp *dp, const json_t *view, FILE *out)
{
	fprintf(out, "Datapath kairo (host %s, up %.1fs)\n",
		json_string_value(json_object_get(view, "host")),
		age_seconds(rte_get_tsc_cycles(), dp->start_tsc));
	fprintf(out, "  flows: %" PRIu64 "  hits: %" PRIu64 "  misses: %" PRIu64 "  lost: %" PRIu64
		"  followers: %" PRIu64 "\n", view_u64(view, "flows"), view_u64(view, "hits"),
		view_u64(view, "misses"), view_u64(view, "lost"), view_u64(view, "followers"));
}

/* Every key of the flow_cache object in its order, "_" printed as "-" ("not-installed-full"). */
static void
flow_cache_print(const json_t *fc, FILE *out)
{
	char label[64];
	const char *key;
	bool first = true;
	json_t *v;
	char *c;

	fprintf(out, "  flow cache:");
	json_object_foreach((json_t *)fc, key, v) {
		snprintf(label, sizeof(label), "%s", key);
		for (c = label; *c != '\0'; c++)
			if (*c == '_')
				*c = '-';
		line_item(out, &first, label, (uint64_t)json_integer_value(v));
	}
	fputc('\n', out);
}

/*
 * Ends a topic's line.  The slow path's line also says how much of the
 * global admission bucket is taken: a level, not a counter, shown in the
 * text only.
 */
static void
slow_path_line_end(struct kairo_dp *dp, enum sim_topic topic, FILE *out)
{
	const struct token_bucket *global = &dp->upcall->global;

	int32_t size = __atomic_load_n(&global->size, __ATOMIC_RELAXED);

	if (topic == SIM_TOPIC_UPCALLS)
		fprintf(out, "  in-flight %d/%d",
			size - __atomic_load_n(&global->tokens, __ATOMIC_RELAXED), size);
	fputc('\n', out);
}

/* The slow_path object, one line per topic, walked as slow_path_view built it. */
static void
slow_path_print(struct kairo_dp *dp, const json_t *sp, FILE *out)
{
	struct slow_path_entry e[SLOW_PATH_ENTRIES_MAX];
	unsigned int i, n = slow_path_entries(e);
	bool first = true;

	for (i = 0; i < n; i++) {
		if (i == 0 || e[i].topic != e[i - 1].topic) {
			if (i > 0)
				slow_path_line_end(dp, e[i - 1].topic, out);
			fprintf(out, "  %s:", sim_topic_title(e[i].topic));
			first = true;
		}
		line_item(out, &first, e[i].label, view_u64(sp, e[i].key));
	}
	if (n > 0)
		slow_path_line_end(dp, e[n - 1].topic, out);
}

/* ", p99 <= 250 us", or past the last bound ", p99 > 1000000 us". */
static void
percentile_print(FILE *out, const char *name, const char *le)
{
	if (strcmp(le, "+Inf") != 0)
		fprintf(out, ", %s <= %s us", name, le);
	else
		fprintf(out, ", %s > %u us", name, flow_setup_bounds_us[FLOW_SETUP_BUCKETS - 1]);
}

/*
 * "flow set-up: 1200 flows, mean 84 us, p50 <= 50 us, p99 <= 1000 us": the
 * bucket bounds the median and the 99th percentile fall under.
 */
static void
flow_setup_print(const json_t *fs, FILE *out)
{
	const json_t *buckets = json_object_get(fs, "buckets_us");
	uint64_t count = view_u64(fs, "count");
	const char *p50 = NULL, *p99 = NULL, *le;
	const json_t *v;

	fprintf(out, "  flow set-up: %" PRIu64 " flows", count);
	if (count == 0) {
		fputc('\n', out);
		return;
	}
	json_object_foreach((json_t *)buckets, le, v) {
		uint64_t cum = (uint64_t)json_integer_value(v);

		if (p50 == NULL && cum * 2 >= count)
			p50 = le;
		if (p99 == NULL && cum * 100 >= count * 99)
			p99 = le;
	}
	fprintf(out, ", mean %" PRIu64 " us", view_u64(fs, "sum_ns") / count / 1000);
	percentile_print(out, "p50", p50);
	percentile_print(out, "p99", p99);
	fputc('\n', out);
}

/* "waiting room: neighbour waiting 0 parked 2 resumed 2 timed-out 0 refused 0; ..." */
static void
waiting_room_print(const json_t *wr, FILE *out)
{
	const char *kind, *key;
	const json_t *k, *v;
	bool first_kind = true;

	fprintf(out, "  waiting room:");
	json_object_foreach((json_t *)wr, kind, k) {
		fprintf(out, "%s %s", first_kind ? "" : ";", kind);
		first_kind = false;
		json_object_foreach((json_t *)k, key, v) {
			char label[32];
			size_t i;

			snprintf(label, sizeof(label), "%s", key);
			for (i = 0; label[i] != '\0'; i++)
				if (label[i] == '_')
					label[i] = '-';
			fprintf(out, " %s %" JSON_INTEGER_FORMAT, label, json_integer_value(v));
		}
	}
	fputc('\n', out);
}

/* "mbuf pools: socket 0 size 16383 in-use 1200": one pool per socket in use. */
static void
mbuf_pools_print(const json_t *pools, FILE *out)
{
	const char *key, *sep = "";
	const json_t *p;

	fprintf(out, "  mbuf pools:");
	json_object_foreach((json_t *)pools, key, p) {
		fprintf(out, "%s socket %" PRIu64 " size %" PRIu64 " in-use %" PRIu64, sep,
			view_u64(p, "socket"), view_u64(p, "size"), view_u64(p, "in_use"));
		sep = ";";
	}
	fputc('\n', out);
}

static void
ports_print(const json_t *ports, FILE *out)
{
	const json_t *p;
	size_t i;

	fprintf(out, "Ports:\n");
	json_array_foreach(ports, i, p) {
		if (json_is_null(json_object_get(p, "id"))) {
			fprintf(out, "  waiting: port %s for interface %s\n",
				json_string_value(json_object_get(p, "binding")),
				json_string_value(json_object_get(p, "name")));
			continue;
		}
		fprintf(out, "  port %" PRIu64 ": %s (%s, %s, socket %" PRIu64 ") link %s\n",
			view_u64(p, "id"), json_string_value(json_object_get(p, "name")),
			json_string_value(json_object_get(p, "role")),
			json_string_value(json_object_get(p, "driver")), view_u64(p, "socket"),
			json_is_true(json_object_get(p, "link_up")) ? "up" : "down");
		fprintf(out,
			"    rx packets %" PRIu64 " bytes %" PRIu64 " errors %" PRIu64
			" dropped %" PRIu64 "\n",
			view_u64(p, "rx_packets"), view_u64(p, "rx_bytes"),
			view_u64(p, "rx_errors"), view_u64(p, "rx_dropped"));
		fprintf(out,
			"    tx packets %" PRIu64 " bytes %" PRIu64 " errors %" PRIu64
			" dropped %" PRIu64 "\n",
			view_u64(p, "tx_packets"), view_u64(p, "tx_bytes"),
			view_u64(p, "tx_errors"), view_u64(p, "tx_dropped"));
	}
}

/* Per worker lcore: its load, from the counters of the lcores array. */
static void
lcores_print(const json_t *lcores, FILE *out)
{
	const json_t *l;
	size_t i;

	fprintf(out, "Lcores:\n");
	json_array_foreach(lcores, i, l) {
		uint64_t busy = view_u64(l, "busy_cycles"), idle = view_u64(l, "idle_cycles");
		uint64_t busy_polls = view_u64(l, "busy_polls"), rx = view_u64(l, "rx_packets");

		fprintf(out,
			"  lcore %" PRIu64 " (worker %zu): polls %" PRIu64 "  busy %.1f%%"
			"  rx %" PRIu64 "  packets/busy-poll %.1f  busy-cycles %" PRIu64
			"  idle-cycles %" PRIu64 "\n",
			view_u64(l, "lcore"), i, view_u64(l, "polls"),
			busy + idle ? 100.0 * (double)busy / (double)(busy + idle) : 0.0, rx,
			busy_polls ? (double)rx / (double)busy_polls : 0.0, busy, idle);
	}
}

/* The reasons that dropped something, with what each means. */
static void
drops_print(const json_t *drops, FILE *out)
{
	uint64_t v;
	unsigned int i;

	fprintf(out, "Drops:\n");
	for (i = 1; i < DROP_REASON_COUNT; i++) {
		v = view_u64(drops, drop_reason_name(i));
		if (v != 0)
			fprintf(out, "  %-20s %" PRIu64 "  (%s)\n", drop_reason_name(i), v,
				drop_reason_help(i));
	}
}

/* mm-dpctl's per-port-type lines for the tunnels: one line per peer, and its decap errors. */
static void
tunnels_print(const json_t *v, FILE *out)
{
	json_t *peers = json_object_get(v, "peers"), *p, *e;
	const char *name;
	size_t i;

	fprintf(out, "Tunnels: underlay %s on port %" JSON_INTEGER_FORMAT
		", MTU %" JSON_INTEGER_FORMAT " (virtual ports %" JSON_INTEGER_FORMAT
		" over VXLAN)\n",
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
}

/* The flows in the cache, at most VIEW_MAX_FLOWS (where walking the cache is safe). */
static void
flows_print(struct kairo_dp *dp, FILE *out)
{
	uint64_t now = rte_get_tsc_cycles();
	unsigned int listed = 0;
	char kbuf[512], abuf[512];
	const struct flow *f;
	struct flow_stats fs;
	uint32_t next = 0;

	fprintf(out, "Flows:\n");
	while (flow_cache_iterate(dp->cache, &next, &f) == 0) {
		if (listed++ == VIEW_MAX_FLOWS) {
			fprintf(out, "  ... %u flows in all, %d listed\n",
				flow_cache_count(dp->cache), VIEW_MAX_FLOWS);
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

void
datapath_view_print(struct kairo_dp *dp, FILE *out, bool with_flows)
{
	json_t *view = datapath_view_object(dp);
	const json_t *tunnels = json_object_get(view, "tunnels");

	totals_print(dp, view, out);
	flow_cache_print(json_object_get(view, "flow_cache"), out);
	slow_path_print(dp, json_object_get(view, "slow_path"), out);
	flow_setup_print(json_object_get(view, "flow_setup"), out);
	waiting_room_print(json_object_get(view, "waiting_room"), out);
	mbuf_pools_print(json_object_get(view, "mbuf_pools"), out);
	ports_print(json_object_get(view, "ports"), out);
	lcores_print(json_object_get(view, "lcores"), out);
	drops_print(json_object_get(view, "drops"), out);
	if (tunnels != NULL)
		tunnels_print(tunnels, out);
	json_decref(view);
	if (with_flows)
		flows_print(dp, out);
}
