/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The exact-match flow cache: flow_key -> struct flow.
 *
 * Thread-safety
 * -------------
 * Readers are the worker lcores: flow_cache_lookup_burst() is lock-free
 * (rte_hash with RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF) and may run at any
 * time.  A worker that found a flow may use it until its next quiescent-state
 * report to the cache's QSBR variable.
 *
 * There is exactly one writer: the simulation thread.  Every function below
 * that is not a lookup or a stats read (insert, remove, invalidate, expire,
 * flush, iterate) must be called from that thread only.  This is what lets the
 * tag index, the eviction clock and the expiry sweep live without locks.
 * The code is split the same way, one file per side (flow_cache_lookup.c for
 * the workers, flow_cache_write.c and its neighbours for the writer), and
 * flow_cache_private.h says which thread may touch which field.
 *
 * Two tables, one cache
 * ---------------------
 * A key that is not IPv6 holds at most 48 bytes of information (struct
 * flow_key_compact), and rte_hash files a 48-byte key in one 64-byte slot:
 * a key compare reads one cache line instead of the two of an 80-byte key.
 * So the cache keeps two rte_hash tables, compact keys for everything but
 * IPv6 and full keys for IPv6, both read lock-free as described above.
 * Which table a key lives in depends on the key alone (flow_key_is_compact),
 * so the two never hold the same key and a lookup asks one of them.
 * Capacity, the flow pool, the flow count, the counters, expiry, eviction,
 * flush and iteration span both.
 *
 * A removed flow is unlinked from its table at once (new lookups miss) but
 * its key slot and its memory return only after every worker has reported
 * a quiescent state.  The writer keeps one defer queue for both tables
 * (QSBR tokens, rte_rcu_qsbr_start/check) and drains it, oldest first, a
 * little on every removal and as far as needed when an insert finds no
 * spare flow or slot.
 *
 * Counters
 * --------
 * The cache's own counters (installed, evicted, expired, invalidated, full)
 * are written by the writer thread only.  Hits and misses are counted by the
 * workers in their per-lcore stats: hits + misses = lookups.
 */
#ifndef KAIRO_FLOW_CACHE_H
#define KAIRO_FLOW_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_hash_crc.h>
#include <rte_rcu_qsbr.h>

#include "flow_action.h"
#include "flow_key.h"

/* Flows keep per-worker counter slots so that no two lcores write one line. */
#define KAIRO_MAX_WORKERS 8
/*
 * Tags a flow can carry: the devices, ports and learned entries it depends
 * on.  A VM's datagram masqueraded on its way bridge -> router -> bridge ->
 * exterior port reads 13 (two ports, two bridges and the MACs each forwarded
 * by, the router, its route, two chains, two NAT keys, the next hop): with
 * 12 such flows were never cached.  16 leaves room for a VLAN or a tunnel.
 */
#define FLOW_TAGS_MAX 16
/* Entries sampled to pick an eviction victim when the cache is full (Redis-style approximate LRU). */
#define FLOW_CACHE_EVICT_SAMPLES 8

struct flow;

/* Why a flow left the cache; passed to the removal callback. */
enum flow_remove_reason {
	FLOW_REMOVED_INVALIDATED, /* a tag it carries was invalidated */
	FLOW_REMOVED_IDLE,        /* idle timeout */
	FLOW_REMOVED_HARD,        /* hard timeout */
	FLOW_REMOVED_EVICTED,     /* pushed out by a new flow while the cache was full */
	FLOW_REMOVED_FLUSHED,     /* flow_cache_flush */
};

struct flow_tag_link {
	uint64_t tag;
	struct flow *flow;
	struct flow_tag_link *next; /* other flows with the same tag */
	struct flow_tag_link **pprev;
};

/* Per-worker counters of one flow; only that worker writes its slot. */
struct flow_stats {
	uint64_t packets;
	uint64_t bytes;
};

/* Entries of the owner's state tables a flow keeps alive (a connection and NAT bindings). */
#define FLOW_OWNER_STATE 3
/*
 * Meters a flow counts for (sim/meter.h): its ingress and egress ports, the
 * devices it crossed, the rules that admitted it.  A walk that meets more
 * counts the rest under the registry's overflow counter.
 */
#define FLOW_METERS_MAX 8
/*
 * The owner's compact record of how it decided (sim/flow_explain.h): steps
 * of 32 bits, opaque to the cache, read back by "flow explain".  12 steps
 * hold a VM -> bridge -> router -> bridge walk with a chain on each device.
 */
#define FLOW_EXPLAIN_MAX 12

struct flow {
	/*
	 * The first cache line is all a hit on worker 0 touches: when it was
	 * last used, that worker's counters, the action count and the first
	 * actions (a unicast flow has one).  At 128 K flows, every extra line a
	 * hit reads is a cache miss per packet.
	 */
	uint64_t last_used_tsc; /* coarse: refreshed at most every FLOW_USED_GRANULARITY */
	struct flow_stats stats0; /* worker 0's counters; see flow_stats_slot() */
	struct flow_actions actions; /* immutable once installed */
	/* Counters of workers 1.., one slot each, so no two lcores write one slot. */
	struct flow_stats stats_more[KAIRO_MAX_WORKERS - 1];
	/* Owned by the writer thread. */
	struct flow_key key;
	uint32_t hash;
	uint8_t n_tags;
	uint64_t created_tsc;
	uint64_t idle_timeout_tsc; /* 0: none */
	uint64_t hard_timeout_tsc; /* 0: none */
	uint64_t owner_cookie;     /* the simulation's own reference, passed back on removal */
	/* More of the owner's references, set by it after insert (0 = none); never read here. */
	uint32_t owner_state[FLOW_OWNER_STATE];
	/* The owner's meter indexes (sim/meter.h), folded into the meters when the flow goes. */
	uint16_t meters[FLOW_METERS_MAX];
	uint8_t n_meters;
	/* The owner's record (FLOW_EXPLAIN_MAX above) and the version it decided against. */
	uint8_t n_explain;
	uint32_t owner_version;
	uint32_t explain[FLOW_EXPLAIN_MAX];
	/* Every installed flow, for the expiry sweep: bounded work per step, however sparse. */
	struct flow *sweep_next;
	struct flow *sweep_prev;
	struct flow_tag_link tags[FLOW_TAGS_MAX];
} __rte_cache_aligned;

struct flow_cache_config {
	uint32_t capacity;        /* flows installed at most (the table also has room for removed
				   * flows that wait for the workers' quiescent states) */
	uint32_t idle_timeout_ms; /* default idle timeout of a flow, 0 = none */
	uint32_t hard_timeout_ms; /* default hard timeout, 0 = none */
	uint32_t n_workers;       /* QSBR threads: one per worker lcore */
	int socket_id;
};

struct flow_cache_counters {
	uint64_t installed;
	uint64_t evicted;
	uint64_t expired;      /* idle + hard timeouts */
	uint64_t invalidated;  /* removed by a tag */
	uint64_t flushed;
	uint64_t not_installed_full; /* full and no victim could be evicted */
};

typedef void (*flow_removed_cb)(void *arg, const struct flow *flow, enum flow_remove_reason why);

struct flow_cache;

struct flow_cache *flow_cache_create(const char *name, const struct flow_cache_config *cfg);
void flow_cache_destroy(struct flow_cache *fc);
/* About how many bytes of EAL's heap flow_cache_create(cfg) takes (for refusals). */
uint64_t flow_cache_memsize(const struct flow_cache_config *cfg);

/* The QSBR variable workers report quiescent states to (thread id = worker index). */
struct rte_rcu_qsbr *flow_cache_qsbr(struct flow_cache *fc);

/* Called on every removal, on the writer thread, before the flow is queued for reclamation. */
void flow_cache_set_removed_cb(struct flow_cache *fc, flow_removed_cb cb, void *arg);
/*
 * In a removed callback for FLOW_REMOVED_INVALIDATED: the tag being
 * invalidated, which says why the flow goes ("flow explain"); 0 elsewhere.
 */
uint64_t flow_cache_invalidating_tag(const struct flow_cache *fc);

#define FLOW_KEY_HASH_SEED_A 0x6b616972u
#define FLOW_KEY_HASH_SEED_B 0x6f666c77u

/*
 * What the compact table files a key that is not IPv6 under: struct
 * flow_key minus what such a key leaves zero (bytes 4..15 of the addresses,
 * the reserved tail).  Fields keep their flow_key order, so it is a gather
 * of six words: flow_key words 0-3 as they are, the two IPv4 addresses, and
 * word 8 (l3_kind .. tp_dst).  48 bytes is a 64-byte rte_hash slot, one
 * cache line; aligned to 16 so that no 16-byte load of the compare splits a
 * line on the lookup side either.
 */
struct flow_key_compact {
	uint32_t tun_id;
	uint32_t tun_src;
	uint32_t tun_dst;
	uint16_t in_port;
	uint16_t vlan_outer;
	uint16_t vlan_inner;
	uint16_t ether_type;
	struct rte_ether_addr eth_dst;
	struct rte_ether_addr eth_src;
	uint8_t nw_src[4];
	uint8_t nw_dst[4];
	uint8_t l3_kind;
	uint8_t nw_proto;
	uint8_t nw_tos;
	uint8_t nw_frag;
	uint16_t tp_src;
	uint16_t tp_dst;
} __rte_aligned(16);

#define FLOW_KEY_WORDS (sizeof(struct flow_key) / sizeof(uint64_t))
#define FLOW_KEY_COMPACT_WORDS (sizeof(struct flow_key_compact) / sizeof(uint64_t))

static_assert(sizeof(struct flow_key_compact) == 48, "a 48-byte key fills one 64-byte slot");
static_assert(offsetof(struct flow_key_compact, nw_src) == offsetof(struct flow_key, nw_src) &&
	      offsetof(struct flow_key, nw_src) == 4 * sizeof(uint64_t),
	      "words 0-3 of both keys hold the same fields");
static_assert(offsetof(struct flow_key, nw_dst) == 6 * sizeof(uint64_t),
	      "the IPv4 destination opens flow_key word 6");
static_assert(offsetof(struct flow_key_compact, l3_kind) == 5 * sizeof(uint64_t) &&
	      offsetof(struct flow_key, l3_kind) == 8 * sizeof(uint64_t) &&
	      offsetof(struct flow_key, reserved) == 9 * sizeof(uint64_t),
	      "l3_kind .. tp_dst are word 5 of the compact key and word 8 of flow_key");

/*
 * Whether a key lives in the compact table.  Only IPv6 needs the 16-byte
 * addresses; every other key (IPv4, ARP, plain L2) has them zero past the
 * first 4 bytes, as packet_parse writes them (flow_key.h).
 */
static inline bool
flow_key_is_compact(const struct flow_key *key)
{
	return key->l3_kind != FLOW_L3_IPV6;
}

/* The compact key's words, gathered from a key that flow_key_is_compact. */
static inline void
flow_key_compact_gather(const struct flow_key *key, uint64_t c[FLOW_KEY_COMPACT_WORDS])
{
	const uint64_t *w = (const uint64_t *)key;
	uint32_t src, dst;

	memcpy(&src, key->nw_src, sizeof(src));
	memcpy(&dst, key->nw_dst, sizeof(dst));
	c[0] = w[0];
	c[1] = w[1];
	c[2] = w[2];
	c[3] = w[3];
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	c[4] = (uint64_t)dst << 32 | src; /* memory order: nw_src[0..3], nw_dst[0..3] */
#else
	c[4] = (uint64_t)src << 32 | dst;
#endif
	c[5] = w[8];
}

/*
 * The signature of a compact key, from its words.  Two CRC32 chains of
 * three words run side by side (each crc32 waits on its own chain only),
 * then fold.
 */
static inline uint32_t
flow_key_compact_hash(const uint64_t c[FLOW_KEY_COMPACT_WORDS])
{
	uint32_t a = FLOW_KEY_HASH_SEED_A, b = FLOW_KEY_HASH_SEED_B;

	static_assert(FLOW_KEY_COMPACT_WORDS == 6, "two lanes of three words");
	a = rte_hash_crc_8byte(c[0], a);
	b = rte_hash_crc_8byte(c[3], b);
	a = rte_hash_crc_8byte(c[1], a);
	b = rte_hash_crc_8byte(c[4], b);
	a = rte_hash_crc_8byte(c[2], a);
	b = rte_hash_crc_8byte(c[5], b);
	return rte_hash_crc_4byte(b, a);
}

/* The signature of a full (IPv6) key: two chains over the two halves of the key. */
static inline uint32_t
flow_key_full_hash(const struct flow_key *key)
{
	const uint64_t *w = (const uint64_t *)key;
	uint32_t a = FLOW_KEY_HASH_SEED_A, b = FLOW_KEY_HASH_SEED_B;

	static_assert(FLOW_KEY_WORDS == 10, "two lanes of five words");
	a = rte_hash_crc_8byte(w[0], a);
	b = rte_hash_crc_8byte(w[5], b);
	a = rte_hash_crc_8byte(w[1], a);
	b = rte_hash_crc_8byte(w[6], b);
	a = rte_hash_crc_8byte(w[2], a);
	b = rte_hash_crc_8byte(w[7], b);
	a = rte_hash_crc_8byte(w[3], a);
	b = rte_hash_crc_8byte(w[8], b);
	a = rte_hash_crc_8byte(w[4], a);
	b = rte_hash_crc_8byte(w[9], b);
	return rte_hash_crc_4byte(b, a);
}

/*
 * The signature the cache files a key under: the one flow_cache_lookup_burst
 * reports and flow_cache_lookup/insert take.  Writer side and tests; the
 * workers get it from the burst lookup.
 */
static inline uint32_t
flow_key_hash(const struct flow_key *key)
{
	uint64_t c[FLOW_KEY_COMPACT_WORDS];

	if (!flow_key_is_compact(key))
		return flow_key_full_hash(key);
	flow_key_compact_gather(key, c);
	return flow_key_compact_hash(c);
}

/*
 * Look up n keys (n <= RTE_HASH_LOOKUP_BULK_MAX), in one call whatever
 * their kinds.  Sets hashes[i] to flow_key_hash(keys[i]), which the caller
 * keeps for flow_cache_lookup/insert (pkt_meta.hash), and flows[i] for
 * hits; bit i of the returned mask says hit.  The keys are read as 8-byte
 * words: call it a while after they were written in small stores, not right
 * after (store forwarding fails on the wide loads).  Worker lcores only.
 */
uint64_t flow_cache_lookup_burst(const struct flow_cache *fc, const struct flow_key **keys,
				 uint32_t n, uint32_t *hashes, struct flow **flows);

/* One key; writer or tests. Returns the flow or NULL. */
struct flow *flow_cache_lookup(const struct flow_cache *fc, const struct flow_key *key, uint32_t hash);

/*
 * Install a flow (writer thread).  Tags are copied (at most FLOW_TAGS_MAX).
 * When the cache is full, the least recently used of FLOW_CACHE_EVICT_SAMPLES
 * sampled flows is evicted first.
 * Returns the flow, or NULL with rte_errno = EEXIST (already installed),
 * ENOSPC (full and nothing evictable, or every spare flow, or every spare
 * slot of the key's table, still holds a removed flow that a worker may
 * read until its next quiescent state) or EINVAL (a key that is not IPv6
 * with non-zero bytes where flow_key.h says zero: the compact table would
 * drop them, and the flow would answer for other keys).
 */
struct flow *flow_cache_insert(struct flow_cache *fc, const struct flow_key *key, uint32_t hash,
			       const struct flow_actions *actions, const uint64_t *tags,
			       unsigned int n_tags, uint64_t owner_cookie);

/* Remove one flow (writer thread). */
void flow_cache_remove(struct flow_cache *fc, struct flow *flow, enum flow_remove_reason why);

/* Remove every flow that carries tag; returns how many. */
unsigned int flow_cache_invalidate_tag(struct flow_cache *fc, uint64_t tag);

/*
 * Visit up to budget installed flows, continuing where the last call
 * stopped (over again from the newest once past the oldest), and remove
 * those whose idle or hard timeout passed.  The work is the flows visited,
 * whatever the table's size, so the writer thread never stalls on it.
 * Returns the number of flows removed.
 */
unsigned int flow_cache_expire(struct flow_cache *fc, uint64_t now_tsc, unsigned int budget);

unsigned int flow_cache_flush(struct flow_cache *fc);

/*
 * Remove every flow whose key match() accepts (writer thread): a tracer's
 * packets must reach the simulation, an operator's filtered flush.  A walk
 * of the whole cache; not for anything per packet.  Returns how many.
 */
unsigned int flow_cache_remove_matching(struct flow_cache *fc,
					bool (*match)(const struct flow_key *key, void *arg),
					void *arg, enum flow_remove_reason why);

/* Flows installed now. Any thread. */
uint32_t flow_cache_count(const struct flow_cache *fc);
uint32_t flow_cache_capacity(const struct flow_cache *fc);
/*
 * The default timeouts of flows installed from now on (0 = none); flows
 * already installed keep theirs.  Any thread (the control thread applying a
 * central configuration change): the writer reads them with relaxed atomics.
 */
void flow_cache_set_timeouts(struct flow_cache *fc, uint32_t idle_timeout_ms,
			     uint32_t hard_timeout_ms);
void flow_cache_counters_read(const struct flow_cache *fc, struct flow_cache_counters *out);

/*
 * Iterate installed flows of both tables (writer thread, or any thread while
 * workers and writer are stopped).  *next starts at 0 and is opaque; returns
 * -ENOENT once every flow has been visited.
 */
int flow_cache_iterate(const struct flow_cache *fc, uint32_t *next, const struct flow **flow);

static_assert(offsetof(struct flow, actions.a[4]) <= RTE_CACHE_LINE_SIZE,
	      "a hit's counters and first actions share the flow's first cache line");

/* The counters one worker writes on a hit. */
static inline struct flow_stats *
flow_stats_slot(struct flow *f, unsigned int worker)
{
	return worker == 0 ? &f->stats0 : &f->stats_more[worker - 1];
}

/* Sum of a flow's per-worker counters. */
void flow_stats_sum(const struct flow *flow, struct flow_stats *sum);

#endif
