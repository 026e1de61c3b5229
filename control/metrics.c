/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kairod's counters in the Prometheus text exposition format (0.0.4), for
 * the HTTP endpoint (metrics_http.c): ports, lcores, the flow cache, the
 * slow path, flow set-up latency, drops by reason, tunnels per peer, the
 * waiting room, mbuf pools, meters and the NSDB's connections.
 *
 * Everything is read from the datapath view (datapath_view_object), as
 * kairoctl and DPDK telemetry read it, so that a scrape never shows a number
 * the other views do not; only the meters come from their own command,
 * which runs on the simulation thread.
 *
 * Names follow Prometheus's conventions: kairo_ prefix, counters end in
 * _total, units in the name (_bytes, _seconds), one family per meaning with
 * labels for the port, lcore, reason, peer or meter.  A family's samples
 * are written together, after its HELP and TYPE.
 */
#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <rte_common.h>

#include "ctl_meter.h"
#include "drop_reason.h"
#include "kairo_version.h"
#include "metrics.h"
#include "sim_counters.h"

/* Label values are the operator's names: escape what the format reserves. */
static void
label_value(FILE *out, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(out, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", out);
		else
			fputc(*v, out);
	}
}

static void
family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{label="value"} v, or name v without a label. */
static void
sample(FILE *out, const char *name, const char *label, const char *value, uint64_t v)
{
	fputs(name, out);
	if (label != NULL) {
		fprintf(out, "{%s=\"", label);
		label_value(out, value);
		fputs("\"}", out);
	}
	fprintf(out, " %" PRIu64 "\n", v);
}

static uint64_t
u64_of(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_integer(v) ? (uint64_t)json_integer_value(v) : 0;
}

/* A family with one sample per element of arr that has the key, labelled by label_key. */
static void
per_item(FILE *out, const json_t *arr, const char *label, const char *label_key,
	 const char *name, const char *type, const char *key, const char *help)
{
	const json_t *item;
	char value[32];
	size_t i;

	family(out, name, type, help);
	json_array_foreach(arr, i, item) {
		const json_t *lv = json_object_get(item, label_key);

		if (json_object_get(item, key) == NULL)
			continue;
		if (json_is_integer(lv))
			snprintf(value, sizeof(value), "%" JSON_INTEGER_FORMAT, json_integer_value(lv));
		sample(out, name, label, json_is_string(lv) ? json_string_value(lv) : value,
		       u64_of(item, key));
	}
}

static void
totals_write(FILE *out, const json_t *view)
{
	static const struct {
		const char *key, *help;
	} cache[] = {
		{"installed", "Flows installed in the flow cache"},
		{"evicted", "Flows evicted to make room for new ones"},
		{"expired", "Flows removed after their idle or hard timeout"},
		{"invalidated", "Flows removed because what they depended on changed"},
		{"flushed", "Flows removed by a flush"},
		{"not_installed_full", "Flows not installed: the flow cache was full"},
	};
	const json_t *fc = json_object_get(view, "flow_cache");
	char name[96];
	size_t i;

	fputs("# HELP kairo_info This kairod: its host and version\n# TYPE kairo_info gauge\n",
	      out);
	fputs("kairo_info{host=\"", out);
	label_value(out, json_string_value(json_object_get(view, "host")));
	fputs("\",version=\"", out);
	label_value(out, KAIRO_VERSION);
	fputs("\"} 1\n", out);

	family(out, "kairo_flows", "gauge", "Flows in the flow cache now");
	sample(out, "kairo_flows", NULL, NULL, u64_of(view, "flows"));
	family(out, "kairo_flow_cache_capacity", "gauge", "Flows the flow cache can hold");
	sample(out, "kairo_flow_cache_capacity", NULL, NULL, u64_of(fc, "capacity"));
	family(out, "kairo_flow_lookups_total", "counter",
	       "Flow cache lookups by the workers (hit + miss = packets looked up)");
	sample(out, "kairo_flow_lookups_total", "result", "hit", u64_of(view, "hits"));
	sample(out, "kairo_flow_lookups_total", "result", "miss", u64_of(view, "misses"));
	family(out, "kairo_flow_misses_lost_total", "counter",
	       "Misses that never reached the simulation (admission, a full upcall ring)");
	sample(out, "kairo_flow_misses_lost_total", NULL, NULL, u64_of(view, "lost"));
	family(out, "kairo_flow_misses_followers_total", "counter",
	       "Misses that followed their key's first packet up without an admission token");
	sample(out, "kairo_flow_misses_followers_total", NULL, NULL, u64_of(view, "followers"));
	for (i = 0; i < RTE_DIM(cache); i++) {
		snprintf(name, sizeof(name), "kairo_flow_cache_%s_total", cache[i].key);
		family(out, name, "counter", cache[i].help);
		sample(out, name, NULL, NULL, u64_of(fc, cache[i].key));
	}
}

/*
 * The topology's entries of sim_counters.h that are levels, not counts
 * (its comment says which): gauges, in seconds where the view has
 * microseconds.  True when c is one of them and was written.
 */
static bool
sim_level_write(FILE *out, const json_t *sp, const struct sim_counter *c)
{
	uint64_t v = u64_of(sp, c->name);

	if (strcmp(c->name, "topo_version") == 0) {
		family(out, "kairo_sim_topo_version", "gauge", c->help);
		sample(out, "kairo_sim_topo_version", NULL, NULL, v);
	} else if (strcmp(c->name, "topo_last_invalidated") == 0) {
		family(out, "kairo_sim_topo_last_invalidated_flows", "gauge", c->help);
		sample(out, "kairo_sim_topo_last_invalidated_flows", NULL, NULL, v);
	} else if (strcmp(c->name, "topo_last_change_us") == 0) {
		family(out, "kairo_sim_topo_last_change_seconds", "gauge",
		       "From taking the last snapshot to its last stale flow gone");
		fprintf(out, "kairo_sim_topo_last_change_seconds %" PRIu64 ".%06" PRIu64 "\n",
			v / 1000000, v % 1000000);
	} else {
		return false;
	}
	return true;
}

/*
 * The slow path: the table sizes as gauges, every counter of sim_counters.h
 * the views show, with the list's help.
 */
static void
slow_path_write(FILE *out, const json_t *view)
{
	static const struct {
		const char *key, *help;
	} tables[] = {
		{"mac_entries", "MAC addresses the bridges know now"},
		{"arp_entries", "IPv4 neighbours the routers know now"},
		{"ct_entries", "Connections tracked now"},
		{"nat_bindings", "NAT bindings held now"},
	};
	const json_t *sp = json_object_get(view, "slow_path");
	char name[96];
	size_t i;

	for (i = 0; i < RTE_DIM(tables); i++) {
		snprintf(name, sizeof(name), "kairo_sim_%s", tables[i].key);
		family(out, name, "gauge", tables[i].help);
		sample(out, name, NULL, NULL, u64_of(sp, tables[i].key));
	}
	for (i = 0; i < SIM_COUNTER_COUNT; i++) {
		const struct sim_counter *c = &sim_counters[i];

		if (c->topic == SIM_TOPIC_NONE || sim_level_write(out, sp, c))
			continue;
		snprintf(name, sizeof(name), "kairo_sim_%s_total", c->name);
		family(out, name, "counter", c->help);
		sample(out, name, NULL, NULL, u64_of(sp, c->name));
	}
}

/* Flow set-up latency as a Prometheus histogram, in seconds. */
static void
flow_setup_write(FILE *out, const json_t *view)
{
	const json_t *fs = json_object_get(view, "flow_setup");
	const json_t *buckets = json_object_get(fs, "buckets_us");
	const char *le;
	const json_t *v;
	uint64_t sum_ns = u64_of(fs, "sum_ns");

	family(out, "kairo_flow_setup_seconds", "histogram",
	       "From the worker pass that received a missed packet to its flow in the cache");
	json_object_foreach((json_t *)buckets, le, v) {
		if (strcmp(le, "+Inf") == 0)
			fputs("kairo_flow_setup_seconds_bucket{le=\"+Inf\"}", out);
		else
			fprintf(out, "kairo_flow_setup_seconds_bucket{le=\"%g\"}", atof(le) / 1e6);
		fprintf(out, " %" JSON_INTEGER_FORMAT "\n", json_integer_value(v));
	}
	fprintf(out, "kairo_flow_setup_seconds_sum %" PRIu64 ".%09" PRIu64 "\n", sum_ns / 1000000000,
		sum_ns % 1000000000);
	fprintf(out, "kairo_flow_setup_seconds_count %" PRIu64 "\n", u64_of(fs, "count"));
}

static void
ports_write(FILE *out, const json_t *view)
{
	static const struct {
		const char *key, *help;
	} counters[] = {
		{"rx_packets", "Packets received on the port"},
		{"rx_bytes", "Bytes received on the port"},
		{"rx_errors", "Receive errors the port's driver counted"},
		{"rx_dropped", "Packets the port dropped on receive (missed, no mbuf)"},
		{"tx_packets", "Packets sent on the port"},
		{"tx_bytes", "Bytes sent on the port"},
		{"tx_errors", "Transmit errors the port's driver counted"},
		{"tx_dropped", "Packets the workers could not send on the port (queue full)"},
	};
	const json_t *ports = json_object_get(view, "ports"), *p;
	char name[96];
	size_t i, k;

	for (k = 0; k < RTE_DIM(counters); k++) {
		snprintf(name, sizeof(name), "kairo_port_%s_total", counters[k].key);
		per_item(out, ports, "port", "name", name, "counter", counters[k].key,
			 counters[k].help);
	}
	family(out, "kairo_port_link_up", "gauge", "1 when the port's link is up");
	json_array_foreach(ports, i, p) {
		if (json_object_get(p, "link_up") != NULL)
			sample(out, "kairo_port_link_up", "port",
			       json_string_value(json_object_get(p, "name")),
			       json_is_true(json_object_get(p, "link_up")));
	}
}

static void
lcores_write(FILE *out, const json_t *view)
{
	static const struct {
		const char *key, *help;
	} counters[] = {
		{"polls", "Passes of the worker's loop"},
		{"busy_polls", "Passes that found packets"},
		{"busy_cycles", "TSC cycles spent on passes that found packets"},
		{"idle_cycles", "TSC cycles spent on empty passes and asleep"},
		{"rx_packets", "Packets the worker received"},
	};
	const json_t *lcores = json_object_get(view, "lcores"), *l;
	char name[96], id[16];
	size_t i, k;

	for (k = 0; k < RTE_DIM(counters); k++) {
		snprintf(name, sizeof(name), "kairo_lcore_%s_total", counters[k].key);
		per_item(out, lcores, "lcore", "lcore", name, "counter", counters[k].key,
			 counters[k].help);
	}
	/* Since start; rate(busy_cycles) / rate(busy + idle) gives it over a window. */
	family(out, "kairo_lcore_busy_ratio", "gauge",
	       "Share of the worker's cycles spent on passes that found packets, since start");
	json_array_foreach(lcores, i, l) {
		uint64_t busy = u64_of(l, "busy_cycles"), all = busy + u64_of(l, "idle_cycles");

		snprintf(id, sizeof(id), "%" PRIu64, u64_of(l, "lcore"));
		fprintf(out, "kairo_lcore_busy_ratio{lcore=\"%s\"} %.6f\n", id,
			all != 0 ? (double)busy / (double)all : 0.0);
	}
}

static void
drops_write(FILE *out, const json_t *view)
{
	const json_t *drops = json_object_get(view, "drops");
	unsigned int r;

	family(out, "kairo_drops_total", "counter",
	       "Packets dropped, by reason (kairoctl show drops says what each reason means)");
	for (r = 1; r < DROP_REASON_COUNT; r++)
		sample(out, "kairo_drops_total", "reason", drop_reason_name(r),
		       u64_of(drops, drop_reason_name(r)));
}

/* Tunnels per peer: packets, bytes, and receive errors by reason. */
static void
tunnels_write(FILE *out, const json_t *view)
{
	static const struct {
		const char *key, *help;
	} counters[] = {
		{"rx_packets", "Packets received from the tunnel peer"},
		{"rx_bytes", "Bytes received from the tunnel peer"},
		{"tx_packets", "Packets sent to the tunnel peer"},
		{"tx_bytes", "Bytes sent to the tunnel peer"},
	};
	const json_t *peers = json_object_get(json_object_get(view, "tunnels"), "peers"), *p, *v;
	const char *reason;
	char name[96];
	size_t i, k;

	if (peers == NULL)
		return;
	for (k = 0; k < RTE_DIM(counters); k++) {
		snprintf(name, sizeof(name), "kairo_tunnel_%s_total", counters[k].key);
		per_item(out, peers, "peer", "peer", name, "counter", counters[k].key,
			 counters[k].help);
	}
	family(out, "kairo_tunnel_rx_errors_total", "counter",
	       "Packets from the tunnel peer dropped, by reason");
	json_array_foreach(peers, i, p) {
		json_object_foreach(json_object_get(p, "rx_errors"), reason, v) {
			fputs("kairo_tunnel_rx_errors_total{peer=\"", out);
			label_value(out, json_string_value(json_object_get(p, "peer")));
			fprintf(out, "\",reason=\"%s\"} %" JSON_INTEGER_FORMAT "\n", reason,
				json_integer_value(v));
		}
	}
}

/* The waiting room: packets waiting now, and what became of those that waited. */
static void
waiting_room_write(FILE *out, const json_t *view)
{
	static const struct {
		const char *key, *type, *name, *help;
	} parts[] = {
		{"waiting", "gauge", "kairo_waiting_room_packets", "Packets waiting in the slow path now"},
		{"parked", "counter", "kairo_waiting_room_parked_total", "Packets that had to wait"},
		{"resumed", "counter", "kairo_waiting_room_resumed_total",
		 "Waiting packets walked again once answered"},
		{"timed_out", "counter", "kairo_waiting_room_timed_out_total",
		 "Waiting packets dropped: no answer in time"},
		{"refused", "counter", "kairo_waiting_room_refused_total",
		 "Packets that could not wait: the room was full"},
	};
	const json_t *wr = json_object_get(view, "waiting_room"), *k;
	const char *kind;
	size_t i;

	for (i = 0; i < RTE_DIM(parts); i++) {
		family(out, parts[i].name, parts[i].type, parts[i].help);
		json_object_foreach((json_t *)wr, kind, k)
			sample(out, parts[i].name, "kind", kind, u64_of(k, parts[i].key));
	}
}

static void
mbuf_pools_write(FILE *out, const json_t *view)
{
	const json_t *pools = json_object_get(view, "mbuf_pools"), *p;
	const char *key;
	char socket[16];

	family(out, "kairo_mbuf_pool_size", "gauge", "Buffers in the socket's packet pool");
	json_object_foreach((json_t *)pools, key, p) {
		snprintf(socket, sizeof(socket), "%" PRIu64, u64_of(p, "socket"));
		sample(out, "kairo_mbuf_pool_size", "socket", socket, u64_of(p, "size"));
	}
	family(out, "kairo_mbuf_pool_in_use", "gauge",
	       "Buffers of the pool in use now (lcore caches included)");
	json_object_foreach((json_t *)pools, key, p) {
		snprintf(socket, sizeof(socket), "%" PRIu64, u64_of(p, "socket"));
		sample(out, "kairo_mbuf_pool_in_use", "socket", socket, u64_of(p, "in_use"));
	}
}

/*
 * The NSDB: whether the topology store and the state store are reachable,
 * and the state store's counters.  Levels (held leases, parked packets) are
 * gauges; everything else there counts.
 */
static void
nsdb_write(FILE *out, const json_t *view)
{
	static const char *const levels[] = {"leases_held", "parked_now", NULL};
	const json_t *store = json_object_get(view, "topology_store");
	const json_t *state = json_object_get(view, "state");
	const json_t *parts[2] = {state, json_object_get(state, "simulation")};
	const char *key;
	const json_t *v;
	char name[96];
	size_t i, k;

	family(out, "kairo_nsdb_connected", "gauge",
	       "1 when the store can be read and written (topology: file or zookeeper; state: redis)");
	if (store != NULL) {
		fprintf(out, "kairo_nsdb_connected{store=\"topology\",type=\"%s\"} %d\n",
			json_string_value(json_object_get(store, "type")),
			json_is_true(json_object_get(store, "connected")));
	}
	if (state != NULL)
		fprintf(out, "kairo_nsdb_connected{store=\"state\",type=\"redis\"} %d\n",
			json_is_true(json_object_get(state, "connected")));
	for (k = 0; k < RTE_DIM(parts) && state != NULL; k++) {
		json_object_foreach((json_t *)parts[k], key, v) {
			bool level = false;

			if (!json_is_integer(v))
				continue;
			for (i = 0; levels[i] != NULL; i++)
				level |= strcmp(key, levels[i]) == 0;
			snprintf(name, sizeof(name), "kairo_state_%s%s%s", k == 0 ? "redis_" : "sim_",
				 key, level ? "" : "_total");
			family(out, name, level ? "gauge" : "counter",
			       k == 0 ? "The state store's connection (kairoctl show state)"
				      : "The simulation's shared state (kairoctl show state)");
			sample(out, name, NULL, NULL, (uint64_t)json_integer_value(v));
		}
	}
}

/* The meters (mm-meter), on the simulation thread like "meter list". */
static void
meters_write(FILE *out, struct kairo_dp *dp)
{
	const json_t *meters, *m;
	json_t *list = NULL;
	char err[128];
	size_t i;

	if (ctl_meter_list(dp, NULL, &list, err, sizeof(err)) != 0)
		return;
	meters = json_object_get(list, "meters");
	family(out, "kairo_meter_packets_total", "counter",
	       "Packets that went through the meter (kairoctl meter list)");
	json_array_foreach(meters, i, m)
		sample(out, "kairo_meter_packets_total", "meter",
		       json_string_value(json_object_get(m, "name")), u64_of(m, "packets"));
	family(out, "kairo_meter_bytes_total", "counter", "Bytes that went through the meter");
	json_array_foreach(meters, i, m)
		sample(out, "kairo_meter_bytes_total", "meter",
		       json_string_value(json_object_get(m, "name")), u64_of(m, "bytes"));
	json_decref(list);
}

int
metrics_write(struct kairo_dp *dp, FILE *out)
{
	json_t *view = datapath_view_object(dp);

	if (view == NULL)
		return -ENOMEM;
	totals_write(out, view);
	slow_path_write(out, view);
	flow_setup_write(out, view);
	ports_write(out, view);
	lcores_write(out, view);
	drops_write(out, view);
	tunnels_write(out, view);
	waiting_room_write(out, view);
	mbuf_pools_write(out, view);
	nsdb_write(out, view);
	meters_write(out, dp);
	json_decref(view);
	return ferror(out) ? -EIO : 0;
}
