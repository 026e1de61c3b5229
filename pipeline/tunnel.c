/* SPDX-License-Identifier: Apache-2.0 */
/* The tunnel tables' memory and the per-peer counters' sums (contract in tunnel.h). */
#include <string.h>

#include <rte_malloc.h>

#include "tunnel.h"

struct tunnel_state *kairo_tunnel;

struct tunnel_state *
tunnel_state_create(struct rte_rcu_qsbr *qsbr, int socket_id)
{
	struct tunnel_state *ts = rte_zmalloc_socket("tunnel_state", sizeof(*ts),
						     RTE_CACHE_LINE_SIZE, socket_id);
	unsigned int i;

	if (ts == NULL)
		return NULL;
	ts->qsbr = qsbr;
	/* One slot per lcore and one for the threads EAL did not launch (tunnel_counters_here). */
	ts->counters = rte_zmalloc_socket("tunnel_counters",
					  (RTE_MAX_LCORE + 1) * sizeof(*ts->counters),
					  RTE_CACHE_LINE_SIZE, socket_id);
	for (i = 0; i < 2; i++)
		ts->tables[i] = rte_zmalloc_socket("tunnel_rx", sizeof(struct tunnel_rx_table),
						   RTE_CACHE_LINE_SIZE, socket_id);
	if (ts->counters == NULL || ts->tables[0] == NULL || ts->tables[1] == NULL) {
		tunnel_state_destroy(ts);
		return NULL;
	}
	return ts;
}

void
tunnel_state_destroy(struct tunnel_state *ts)
{
	if (ts == NULL)
		return;
	rte_free(ts->tables[0]);
	rte_free(ts->tables[1]);
	rte_free(ts->counters);
	rte_free(ts);
}

void
tunnel_counters_read(const struct tunnel_state *ts, unsigned int slot,
		     struct tunnel_peer_counters *out)
{
	unsigned int l, i;

	memset(out, 0, sizeof(*out));
	if (slot >= TUNNEL_PEERS_MAX)
		return;
	for (l = 0; l <= RTE_MAX_LCORE; l++) {
		const uint64_t *src = (const uint64_t *)&ts->counters[l].peer[slot];
		uint64_t *dst = (uint64_t *)out;

		for (i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
			dst[i] += __atomic_load_n(&src[i], __ATOMIC_RELAXED);
	}
}
