/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What creating a table asks of EAL's heap, for the message that says why a
 * configured size cannot be had (dataplane/tables.c): each table's *_memsize()
 * adds its own elements to the rte_hash estimate here.  Estimates from the
 * element sizes and DPDK 22.11's layouts (lib/hash/rte_cuckoo_hash.c); nothing
 * allocates by them.
 */
#ifndef KAIRO_TABLE_MEMSIZE_H
#define KAIRO_TABLE_MEMSIZE_H

#include <stdbool.h>
#include <stdint.h>

#include <unistd.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_memory.h>
#include <rte_mempool.h>

/* rte_cuckoo_hash.h: a bucket holds 8 entries on one cache line; key slots are 16-byte aligned. */
#define HASH_MEMSIZE_BUCKET_ENTRIES 8
#define HASH_MEMSIZE_BUCKET_BYTES 64
#define HASH_MEMSIZE_KEY_ALIGN 16

/*
 * rte_hash_create(entries, key_len): buckets for entries rounded up to a
 * power of two (as many again for extendable buckets), a key store of
 * entries + 1 slots each holding the key and its 8-byte data, the ring of free
 * slots, and with extendable buckets their ring and the lock-free variant's
 * list of buckets to free (counted always: an upper bound).
 */
static inline uint64_t
hash_memsize(uint64_t entries, uint32_t key_len, bool ext_table)
{
	uint64_t buckets = rte_align64pow2(entries) / HASH_MEMSIZE_BUCKET_ENTRIES;
	uint64_t size = buckets * HASH_MEMSIZE_BUCKET_BYTES * (ext_table ? 2 : 1);

	size += (entries + 1) * RTE_ALIGN(key_len + sizeof(void *), HASH_MEMSIZE_KEY_ALIGN);
	size += rte_align64pow2(entries + 1) * sizeof(uint32_t);
	if (ext_table)
		size += rte_align64pow2(buckets + 1) * sizeof(uint32_t) +
			(entries + 1) * sizeof(uint32_t);
	return size;
}

/*
 * rte_mempool_create(n, elt_size): each object with its header
 * (rte_mempool_calc_obj_size), packed into pages that no object straddles, and
 * the ring of free objects.  The pages are 4 KiB without hugepages, where a
 * 2.4 KiB mbuf takes a page of its own; with hugepages (2 MiB or more) packing
 * loses next to nothing.
 */
static inline uint64_t
mempool_memsize(uint64_t n, uint32_t elt_size)
{
	uint64_t obj = rte_mempool_calc_obj_size(elt_size, 0, NULL);
	uint64_t page = rte_eal_has_hugepages() ? RTE_PGSIZE_2M : (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t per_page = obj <= page ? page / obj : 0;
	uint64_t size = per_page != 0 ? (n + per_page - 1) / per_page * page : n * obj;

	return size + rte_align64pow2(n + 1) * sizeof(void *);
}

#endif
