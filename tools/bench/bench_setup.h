/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The flow set-up benchmark's cases and figures (bench_setup.c runs the
 * cases, bench_setup_report.c prints them).
 */
#ifndef KAIRO_BENCH_SETUP_H
#define KAIRO_BENCH_SETUP_H

#include <stdbool.h>
#include <stdint.h>

#include "sim.h"

/* The reference values, printed beside the figures. */
#define OVS_DPDK_SETUPS_PER_S 76000.0
#define GOAL_SETUPS_PER_S 1000000.0

/* The first keys come from MACs of their own: each such MAC tag covers one flow. */
#define BENCH_PROBE_MACS 16

/*
 * The bridge and router of the README, then the bridge with a rule chain on
 * the ingress port (every rule reached, or the accept first and the rest
 * never reached), and the router with a 100-rule pre-routing chain and
 * masquerade on the way out (issue 4's set-up figures).
 */
enum bench_topo {
	BENCH_BRIDGE,
	BENCH_ROUTED,
	BENCH_RULES1,
	BENCH_RULES100,
	BENCH_RULES1000,
	BENCH_RULES1000_FIRST,
	BENCH_ROUTED_NAT,
	BENCH_TOPOS
};

/* Topologies whose flows cross the router (next hop resolved in the warm-up). */
static inline bool
bench_topo_routed(enum bench_topo t)
{
	return t == BENCH_ROUTED || t == BENCH_ROUTED_NAT;
}
extern const char *const topo_names[BENCH_TOPOS];
extern double tsc_hz;

/* One topology and flow count: everything the simulation thread owns. */
struct bench_case {
	enum bench_topo topo_kind;
	uint32_t n;
	struct topology *topo;      /* as loaded; the simulation thread's */
	struct topology *topo_down; /* the same with the ingress port admin down */
	struct flow_cache *cache;
	struct mac_table *macs;
	struct arp_table *arps;
	struct conntrack *ct;       /* connections and NAT bindings */
	struct sim_thread *st;
	struct flow_key *keys;      /* key i as the walk saw it */
	const struct topo_port *in_port; /* the virtual port on interface a */
	uint32_t in_bridge;
	char actions[256];          /* of the last key's flow */
	unsigned int n_tags;
};

/* Set-up rounds per case: the first, one after invalidating all, one after the topology change. */
#define BENCH_SETUP_ROUNDS 3

/* What one case measured: cycles are TSC cycles. */
struct bench_result {
	uint64_t cold_cycles;                      /* the first round: page faults included */
	uint64_t round_cycles[BENCH_SETUP_ROUNDS]; /* in the order they ran */
	uint64_t setup_cycles;                     /* their median */
	uint64_t hit_lookups, hit_cycles;
	uint64_t one_cycles[BENCH_PROBE_MACS];
	unsigned int inval_all_flows;
	uint64_t inval_all_cycles;
	unsigned int topo_flows;
	uint64_t topo_cycles;
	unsigned int expired;
	uint64_t expire_cycles, expire_worst_cycles, expire_median_cycles;
	uint64_t expire_empty_cycles; /* one call on the emptied cache */
	unsigned int expire_steps;
};

/* One column of the report: a case and what it measured. */
struct column {
	const char *label;
	const struct bench_case *bc;
	const struct bench_result *r;
};

static inline double
per_s(uint64_t count, uint64_t cycles)
{
	return cycles == 0 ? 0.0 : (double)count * tsc_hz / (double)cycles;
}

static inline double
us_of(uint64_t cycles)
{
	return (double)cycles * 1e6 / tsc_hz;
}

/* The readable table, one column per case. */
void bench_print_table(const struct column *cols, unsigned int n_cols);
/* The JSON line: every case's figures; returns 0 or -ENOMEM. */
int bench_print_json(const struct column *cols, unsigned int n_cols);

#endif
