/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The flow set-up benchmark's report: one table, a column per case, then
 * the same figures as one JSON line for bench_setup.sh and the README.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include <rte_common.h>

#include "bench_setup.h"

static double
setup_rate(const struct column *c)
{
	return per_s(c->bc->n, c->r->setup_cycles);
}

static double
hit_rate(const struct column *c)
{
	return per_s(c->r->hit_lookups, c->r->hit_cycles);
}

typedef void (*cell_fn)(const struct column *c, char *buf, size_t len);

#define CELL(name, ...)                                                                        \
	static void cell_##name(const struct column *c, char *buf, size_t len)                 \
	{                                                                                      \
		snprintf(buf, len, __VA_ARGS__);                                               \
	}

CELL(setup, "%.0f", setup_rate(c))
CELL(setup_cold, "%.0f", per_s(c->bc->n, c->r->cold_cycles))
CELL(setup_cyc, "%.0f", (double)c->r->setup_cycles / c->bc->n)
CELL(vs_ovs, "x %.1f", setup_rate(c) / OVS_DPDK_SETUPS_PER_S)
CELL(vs_goal, "%.2f", setup_rate(c) / GOAL_SETUPS_PER_S)
CELL(hits, "%.0f", hit_rate(c))
CELL(hit_cyc, "%.1f", (double)c->r->hit_cycles / c->r->hit_lookups)
CELL(ratio, "%.4f", setup_rate(c) / hit_rate(c))
CELL(one_med, "%.2f", us_of(c->r->one_cycles[BENCH_PROBE_MACS / 2]))
CELL(one_max, "%.2f", us_of(c->r->one_cycles[BENCH_PROBE_MACS - 1]))
CELL(all_flows, "%u", c->r->inval_all_flows)
CELL(all_us, "%.0f", us_of(c->r->inval_all_cycles))
CELL(all_rate, "%.0f", per_s(c->r->inval_all_flows, c->r->inval_all_cycles))
CELL(topo_flows, "%u", c->r->topo_flows)
CELL(topo_us, "%.0f", us_of(c->r->topo_cycles))
CELL(topo_rate, "%.0f", per_s(c->r->topo_flows, c->r->topo_cycles))
CELL(exp_rate, "%.0f", per_s(c->r->expired, c->r->expire_cycles))
CELL(exp_worst, "%.0f", us_of(c->r->expire_worst_cycles))
CELL(exp_median, "%.0f", us_of(c->r->expire_median_cycles))
CELL(exp_steps, "%u", c->r->expire_steps)
CELL(exp_empty, "%.0f", us_of(c->r->expire_empty_cycles))

static const struct {
	const char *label;
	cell_fn fn;
} rows[] = {
	{ "set-up: flows installed/s (median)", cell_setup },
	{ "set-up: cold tables (1st), flows/s", cell_setup_cold },
	{ "set-up: cycles per set-up", cell_setup_cyc },
	{ "  vs OVS-DPDK ~76 K/s", cell_vs_ovs },
	{ "  of the 1 M/s goal", cell_vs_goal },
	{ "hits: lookups/s (bursts of 32)", cell_hits },
	{ "hits: cycles per lookup", cell_hit_cyc },
	{ "set-up rate / hit rate", cell_ratio },
	{ "invalidate 1-flow MAC tag: us med", cell_one_med },
	{ "invalidate 1-flow MAC tag: us max", cell_one_max },
	{ "invalidate port tag: flows", cell_all_flows },
	{ "invalidate port tag: us", cell_all_us },
	{ "invalidate port tag: flows/s", cell_all_rate },
	{ "topology change (port down): flows", cell_topo_flows },
	{ "topology change: us to last flow", cell_topo_us },
	{ "topology change: flows/s", cell_topo_rate },
	{ "expiry: flows expired/s", cell_exp_rate },
	{ "expiry: median step (4096) us", cell_exp_median },
	{ "expiry: worst step us", cell_exp_worst },
	{ "expiry: steps", cell_exp_steps },
	{ "expiry: one step, empty cache, us", cell_exp_empty },
};

void
bench_print_table(const struct column *cols, unsigned int n_cols)
{
	char cell[64];
	unsigned int i, j;

	printf("%-36s", "");
	for (j = 0; j < n_cols; j++)
		printf(" %16s", cols[j].label);
	printf("\n");
	for (i = 0; i < RTE_DIM(rows); i++) {
		printf("%-36s", rows[i].label);
		for (j = 0; j < n_cols; j++) {
			rows[i].fn(&cols[j], cell, sizeof(cell));
			printf(" %16s", cell);
		}
		printf("\n");
	}
}

static json_t *
case_json(const struct column *c)
{
	return json_pack("{s:s, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:I, s:f, s:f, s:I,"
			 " s:f, s:f, s:f, s:I, s:s, s:[f, f, f], s:f, s:f, s:f}",
			 "topology", topo_names[c->bc->topo_kind], "flows", (json_int_t)c->bc->n,
			 "tags", (json_int_t)c->bc->n_tags,
			 "setup_per_s", setup_rate(c),
			 "setup_cycles", (double)c->r->setup_cycles / c->bc->n,
			 "hit_per_s", hit_rate(c),
			 "setup_to_hit", setup_rate(c) / hit_rate(c),
			 "inval_one_us", us_of(c->r->one_cycles[BENCH_PROBE_MACS / 2]),
			 "inval_one_max_us", us_of(c->r->one_cycles[BENCH_PROBE_MACS - 1]),
			 "inval_all_us", us_of(c->r->inval_all_cycles),
			 "inval_all_flows", (json_int_t)c->r->inval_all_flows,
			 "inval_all_per_s", per_s(c->r->inval_all_flows, c->r->inval_all_cycles),
			 "topo_change_us", us_of(c->r->topo_cycles),
			 "topo_change_flows", (json_int_t)c->r->topo_flows,
			 "expire_per_s", per_s(c->r->expired, c->r->expire_cycles),
			 "expire_worst_step_us", us_of(c->r->expire_worst_cycles),
			 "expire_total_us", us_of(c->r->expire_cycles),
			 "expire_steps", (json_int_t)c->r->expire_steps,
			 "actions", c->bc->actions,
			 "setup_rounds_per_s", per_s(c->bc->n, c->r->round_cycles[0]),
			 per_s(c->bc->n, c->r->round_cycles[1]), per_s(c->bc->n, c->r->round_cycles[2]),
			 "setup_cold_per_s", per_s(c->bc->n, c->r->cold_cycles),
			 "expire_median_step_us", us_of(c->r->expire_median_cycles),
			 "expire_empty_step_us", us_of(c->r->expire_empty_cycles));
}

int
bench_print_json(const struct column *cols, unsigned int n_cols)
{
	json_t *out, *arr = json_array();
	unsigned int i;
	char *line;

	for (i = 0; i < n_cols; i++)
		json_array_append_new(arr, case_json(&cols[i]));
	out = json_pack("{s:s, s:f, s:f, s:f, s:o}", "bench", "flow_setup", "tsc_ghz",
			tsc_hz / 1e9, "ovs_dpdk_setup_per_s", OVS_DPDK_SETUPS_PER_S,
			"goal_setup_per_s", GOAL_SETUPS_PER_S, "cases", arr);
	line = out == NULL ? NULL
			   : json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER |
						JSON_REAL_PRECISION(6));
	json_decref(out);
	if (line == NULL)
		return -ENOMEM;
	printf("\n%s\n", line);
	free(line);
	return 0;
}
