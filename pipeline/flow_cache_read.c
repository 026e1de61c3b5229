/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the flow cache tells any thread: the flow count, the cache's
 * counters, iteration over the installed flows and a flow's counter sums,
 * for dumps, telemetry and the meters.  Nothing here writes the cache.
 */
#include <stdint.h>

#include "flow_cache.h"
#include "flow_cache_private.h"

/*
 * flow_cache_iterate's cursor: the table in the top bit, the rte_hash_iterate
 * position below it.  Positions stay under 2 * slots rounded up to a power of
 * two (main and extendable buckets), so under 1 << 31 (FLOW_TABLE_SLOTS_MAX,
 * flow_cache_create.c).
 */
#define FLOW_ITER_TABLE_SHIFT 31
#define FLOW_ITER_POS_MASK ((1u << FLOW_ITER_TABLE_SHIFT) - 1)
static_assert(FLOW_TABLES <= 2, "one bit of the cursor names the table");

uint32_t
flow_cache_count(const struct flow_cache *fc)
{
	return __atomic_load_n(&fc->n_flows, __ATOMIC_RELAXED);
}

uint32_t
flow_cache_capacity(const struct flow_cache *fc)
{
	return fc->capacity;
}

void
flow_cache_counters_read(const struct flow_cache *fc, struct flow_cache_counters *out)
{
	*out = fc->counters;
}

int
flow_cache_iterate(const struct flow_cache *fc, uint32_t *next, const struct flow **flow)
{
	struct flow_sweep sweep = {
		.table = *next >> FLOW_ITER_TABLE_SHIFT,
		.next = *next & FLOW_ITER_POS_MASK,
	};
	struct flow *f;
	int ret;

	ret = flow_sweep_next(fc, &sweep, &f);
	*next = sweep.table << FLOW_ITER_TABLE_SHIFT | sweep.next;
	if (ret != 0)
		return ret;
	*flow = f;
	return 0;
}

void
flow_stats_sum(const struct flow *flow, struct flow_stats *sum)
{
	unsigned int i;

	sum->packets = 0;
	sum->bytes = 0;
	for (i = 0; i < KAIRO_MAX_WORKERS; i++) {
		const struct flow_stats *s = flow_stats_slot((struct flow *)(uintptr_t)flow, i);

		sum->packets += __atomic_load_n(&s->packets, __ATOMIC_RELAXED);
		sum->bytes += __atomic_load_n(&s->bytes, __ATOMIC_RELAXED);
	}
}
