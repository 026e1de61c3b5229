/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The flow cache's worker side: one bulk lookup per burst, lock-free.
 * Everything else a worker does with a flow (its counters, its actions) is
 * the caller's; everything that changes the cache is the writer's
 * (flow_cache_write.c).  See flow_cache.h for the thread-safety rules.
 */
#include <stdint.h>
#include <string.h>

#include <rte_common.h>
#include <rte_hash.h>

#include "flow_cache.h"
#include "flow_cache_private.h"

uint64_t
flow_cache_lookup_burst(const struct flow_cache *fc, const struct flow_key **keys, uint32_t n,
			uint32_t *hashes, struct flow **flows)
{
	struct flow_key_compact ckeys[RTE_HASH_LOOKUP_BULK_MAX];
	const void *cptr[RTE_HASH_LOOKUP_BULK_MAX], *fptr[RTE_HASH_LOOKUP_BULK_MAX];
	uint32_t chash[RTE_HASH_LOOKUP_BULK_MAX], fhash[RTE_HASH_LOOKUP_BULK_MAX];
	uint8_t cpos[RTE_HASH_LOOKUP_BULK_MAX], fpos[RTE_HASH_LOOKUP_BULK_MAX];
	void *data[RTE_HASH_LOOKUP_BULK_MAX];
	uint64_t c[FLOW_KEY_COMPACT_WORDS];
	uint64_t hits = 0, mask;
	uint32_t i, nc = 0, nf = 0;

	/*
	 * Split the burst by table.  A compact key is gathered into registers,
	 * hashed from there and stored once, so nothing reads back what was
	 * just stored in narrower pieces.
	 */
	for (i = 0; i < n; i++) {
		const struct flow_key *key = keys[i];

		if (likely(flow_key_is_compact(key))) {
			flow_key_compact_gather(key, c);
			hashes[i] = flow_key_compact_hash(c);
			memcpy(&ckeys[nc], c, sizeof(c));
			cptr[nc] = &ckeys[nc];
			chash[nc] = hashes[i];
			cpos[nc++] = i;
		} else {
			hashes[i] = flow_key_full_hash(key);
			fptr[nf] = key;
			fhash[nf] = hashes[i];
			fpos[nf++] = i;
		}
	}

	/*
	 * One bulk lookup per table that has keys: it prefetches both buckets
	 * of every key before comparing any.  A burst of one kind needs no
	 * merge: its results are in burst order already.
	 */
	if (nc == n) {
		rte_hash_lookup_with_hash_bulk_data(fc->tables[FLOW_TABLE_COMPACT], cptr,
						    chash, n, &hits, (void **)flows);
		return hits;
	}
	if (nf == n) {
		rte_hash_lookup_with_hash_bulk_data(fc->tables[FLOW_TABLE_FULL], fptr,
						    fhash, n, &hits, (void **)flows);
		return hits;
	}
	rte_hash_lookup_with_hash_bulk_data(fc->tables[FLOW_TABLE_COMPACT], cptr, chash, nc,
					    &mask, data);
	for (; mask != 0; mask &= mask - 1) {
		i = rte_bsf64(mask);
		flows[cpos[i]] = data[i];
		hits |= 1ULL << cpos[i];
	}
	rte_hash_lookup_with_hash_bulk_data(fc->tables[FLOW_TABLE_FULL], fptr, fhash, nf,
					    &mask, data);
	for (; mask != 0; mask &= mask - 1) {
		i = rte_bsf64(mask);
		flows[fpos[i]] = data[i];
		hits |= 1ULL << fpos[i];
	}
	return hits;
}
