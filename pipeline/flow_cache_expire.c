/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The flow cache's expiry sweep, on the writer (simulation) thread only: a
 * bounded step at a time over the installed flows' own list (the sweep list
 * that flow_cache_write.c keeps on insert and remove), removing the flows
 * whose idle or hard timeout passed.
 */
#include <stdbool.h>
#include <stdint.h>

#include "flow_cache.h"
#include "flow_cache_private.h"

/*
 * A worker may refresh last_used between two reads of it, after now was
 * taken: read it once, or now - used wraps and a busy flow looks idle.
 */
static bool
flow_idle_expired(const struct flow *f, uint64_t now)
{
	uint64_t used = flow_last_used(f);

	return now > used && now - used > f->idle_timeout_tsc;
}

unsigned int
flow_cache_expire(struct flow_cache *fc, uint64_t now, unsigned int budget)
{
	unsigned int removed = 0, visited = 0;
	struct flow *f = fc->sweep_cursor != NULL ? fc->sweep_cursor : fc->sweep_head, *next;

	/*
	 * The installed flows' own list, not the hash tables: a step costs the
	 * flows it visits, never a scan of empty slots in a big, sparse table.
	 * Flows installed since are at the head, met on the next round.
	 */
	for (; f != NULL && visited < budget; f = next) {
		next = f->sweep_next;
		visited++;
		if (f->hard_timeout_tsc != 0 && now - f->created_tsc > f->hard_timeout_tsc) {
			flow_cache_remove(fc, f, FLOW_REMOVED_HARD);
			removed++;
		} else if (f->idle_timeout_tsc != 0 && flow_idle_expired(f, now)) {
			flow_cache_remove(fc, f, FLOW_REMOVED_IDLE);
			removed++;
		}
	}
	fc->sweep_cursor = f;
	return removed;
}
