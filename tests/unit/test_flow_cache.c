/* SPDX-License-Identifier: Apache-2.0 */
/*
 * flow_cache, as a specification.  The test plays both sides of the cache:
 * the simulation thread (the only writer: insert, remove, invalidate, expire,
 * flush) and worker 0 (a lock-free reader that reports quiescent states to
 * the cache's QSBR variable, as lcore/worker.c does).
 *
 * Keys come from real Ethernet/IPv4/UDP frames run through packet_parse;
 * flow n differs from flow m in its UDP ports only.  IPv6 flow n is the
 * same over Ethernet/IPv6/UDP: the cache files it in its other table.
 *
 * Every removal goes through the removed-callback; the test logs each one
 * (the flow's owner cookie and the reason) and checks the log.  Cookies are
 * the flow's number plus one (IPv6: plus IPV6_COOKIE_BASE too), so cookie 0
 * never names a flow.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>

#include "unit_eal.h"
#include "flow_action.h"
#include "flow_cache.h"
#include "udp_frame.h"

#define CACHE_NAME "ut_fc"
#define CACHE_MEM_NAME CACHE_NAME "_mem" /* flow_cache_create.c names its flow pool "<name>_mem" */
#define CAPACITY 64
#define IN_PORT 1
#define WORKER 0
#define POOL_SIZE 63
/* test_flow_memory_is_reclaimed_across_many_insert_remove_cycles logs 2 x 3 pool sizes. */
#define LOG_MAX 16384
#define IPV6_COOKIE_BASE (1u << 20)

/* Tags are opaque to the cache: any 64-bit values. */
#define TAG_A 0xa1
#define TAG_B 0xb2
#define TAG_C 0xc3

static const struct rte_ether_addr mac_dst = { { 0x02, 0, 0, 0, 0, 0x0b } };
static const struct rte_ether_addr mac_src = { { 0x02, 0, 0, 0, 0, 0x0a } };

static const struct flow_cache_config default_cfg = {
	.capacity = CAPACITY,
	.n_workers = 1,
	.socket_id = SOCKET_ID_ANY,
};

static struct rte_mempool *pool; /* mbufs, only to parse frames into keys */
static struct flow_cache *fc;
static struct rte_rcu_qsbr *qsbr;

/* The removed-callback's log. */
static struct {
	uint64_t cookie;
	enum flow_remove_reason why;
} removals[LOG_MAX];
static unsigned int n_removals;

static void
log_removal(void *arg, const struct flow *flow, enum flow_remove_reason why)
{
	assert_ptr_equal(arg, removals);
	assert_true(n_removals < LOG_MAX);
	removals[n_removals].cookie = flow->owner_cookie;
	removals[n_removals].why = why;
	n_removals++;
}

/* How many logged removals had this reason. */
static unsigned int
removals_for(enum flow_remove_reason why)
{
	unsigned int i, n = 0;

	for (i = 0; i < n_removals; i++)
		n += removals[i].why == why;
	return n;
}

static bool
removal_logged(uint64_t cookie, enum flow_remove_reason why)
{
	unsigned int i;

	for (i = 0; i < n_removals; i++)
		if (removals[i].cookie == cookie && removals[i].why == why)
			return true;
	return false;
}

/* The key of flow n, parsed from a real frame. */
static struct flow_key
key_n(uint32_t n)
{
	struct rte_mbuf *m = udp_frame(pool, &mac_dst, &mac_src, 1024 + (n & 0x7fff),
				       2000 + (n >> 15));
	struct flow_key key;

	assert_non_null(m);
	assert_int_equal(udp_frame_receive(m, IN_PORT, WORKER), 0);
	key = pkt_meta(m)->key;
	rte_pktmbuf_free(m);
	return key;
}

static const uint8_t ip6_src[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }; /* 2001:db8::1 */
static const uint8_t ip6_dst[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 }; /* 2001:db8::2 */

/* The key of IPv6 flow n: the frame of flow n with IPv6 (2001:db8::1 -> ::2) for IPv4. */
static struct flow_key
key6_n(uint32_t n)
{
	const size_t len = sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv6_hdr) +
			   sizeof(struct rte_udp_hdr) + UDP_FRAME_PAYLOAD;
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_ether_hdr *eh;
	struct rte_ipv6_hdr *ip;
	struct rte_udp_hdr *udp;
	struct flow_key key;

	assert_non_null(m);
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, len);
	assert_non_null(eh);
	ip = (struct rte_ipv6_hdr *)(eh + 1);
	udp = (struct rte_udp_hdr *)(ip + 1);
	eh->dst_addr = mac_dst;
	eh->src_addr = mac_src;
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	memset(ip, 0, sizeof(*ip));
	ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16(sizeof(*udp) + UDP_FRAME_PAYLOAD);
	ip->proto = IPPROTO_UDP;
	ip->hop_limits = 64;
	memcpy(ip->src_addr, ip6_src, sizeof(ip6_src));
	memcpy(ip->dst_addr, ip6_dst, sizeof(ip6_dst));
	udp->src_port = rte_cpu_to_be_16(1024 + (n & 0x7fff));
	udp->dst_port = rte_cpu_to_be_16(2000 + (n >> 15));
	udp->dgram_len = rte_cpu_to_be_16(sizeof(*udp) + UDP_FRAME_PAYLOAD);
	udp->dgram_cksum = 0;
	memcpy(udp + 1, "kairo-ut", UDP_FRAME_PAYLOAD);

	assert_int_equal(udp_frame_receive(m, IN_PORT, WORKER), 0);
	key = pkt_meta(m)->key;
	rte_pktmbuf_free(m);
	assert_int_equal(key.l3_kind, FLOW_L3_IPV6);
	return key;
}

static struct flow_actions
output_to(uint16_t port)
{
	struct flow_actions acts = { 0 };

	assert_int_equal(flow_actions_output(&acts, port), 0);
	return acts;
}

/* Install flow n (cookie n + 1) with the given tags; asserts it went in. */
static struct flow *
install(uint32_t n, const uint64_t *tags, unsigned int n_tags)
{
	struct flow_key key = key_n(n);
	struct flow_actions acts = output_to(n % 7);
	struct flow *f;

	f = flow_cache_insert(fc, &key, flow_key_hash(&key), &acts, tags, n_tags, n + 1);
	assert_non_null(f);
	return f;
}

static struct flow *
find(uint32_t n)
{
	struct flow_key key = key_n(n);

	return flow_cache_lookup(fc, &key, flow_key_hash(&key));
}

/* Install IPv6 flow n (cookie IPV6_COOKIE_BASE + n + 1); asserts it went in. */
static struct flow *
install6(uint32_t n, const uint64_t *tags, unsigned int n_tags)
{
	struct flow_key key = key6_n(n);
	struct flow_actions acts = output_to(n % 7);
	struct flow *f;

	f = flow_cache_insert(fc, &key, flow_key_hash(&key), &acts, tags, n_tags,
			      IPV6_COOKIE_BASE + n + 1);
	assert_non_null(f);
	return f;
}

static struct flow *
find6(uint32_t n)
{
	struct flow_key key = key6_n(n);

	return flow_cache_lookup(fc, &key, flow_key_hash(&key));
}

static struct flow_cache_counters
counters(void)
{
	struct flow_cache_counters c;

	flow_cache_counters_read(fc, &c);
	return c;
}

/* Worker 0 has finished with every flow it looked up so far. */
static void
worker_quiescent(void)
{
	rte_rcu_qsbr_quiescent(qsbr, WORKER);
}

/* The cache under test, with worker 0 registered and online (it may hold any flow). */
static void
use_cache(const struct flow_cache_config *cfg)
{
	fc = flow_cache_create(CACHE_NAME, cfg);
	assert_non_null(fc);
	flow_cache_set_removed_cb(fc, log_removal, removals);
	qsbr = flow_cache_qsbr(fc);
	assert_int_equal(rte_rcu_qsbr_thread_register(qsbr, WORKER), 0);
	rte_rcu_qsbr_thread_online(qsbr, WORKER);
	n_removals = 0;
}

static void
drop_cache(void)
{
	if (fc == NULL)
		return;
	/* Offline: nothing is held any more, so destroy can reclaim every deferred flow. */
	rte_rcu_qsbr_thread_offline(qsbr, WORKER);
	rte_rcu_qsbr_thread_unregister(qsbr, WORKER);
	flow_cache_destroy(fc);
	fc = NULL;
}

/* A cache with a different configuration than the default one. */
static void
reconfigure(const struct flow_cache_config *cfg)
{
	drop_cache();
	use_cache(cfg);
}

/* Insert and look up */

static void
test_inserted_flow_is_found_with_its_actions_tags_and_cookie(void **state)
{
	const uint64_t tags[] = { TAG_A, TAG_B };
	struct flow_key key = key_n(1);
	struct flow_actions acts = output_to(3);
	struct flow *f;

	(void)state;
	f = flow_cache_insert(fc, &key, flow_key_hash(&key), &acts, tags, 2, 42);
	assert_non_null(f);

	assert_ptr_equal(flow_cache_lookup(fc, &key, flow_key_hash(&key)), f);
	assert_memory_equal(&f->key, &key, sizeof(key));
	assert_int_equal(f->hash, flow_key_hash(&key));
	assert_int_equal(f->actions.n, 1);
	assert_int_equal(f->actions.a[0].type, FLOW_ACTION_OUTPUT);
	assert_int_equal(f->actions.a[0].port, 3);
	assert_int_equal(f->n_tags, 2);
	assert_int_equal(f->tags[0].tag, TAG_A);
	assert_int_equal(f->tags[1].tag, TAG_B);
	assert_int_equal(f->owner_cookie, 42);
	assert_int_equal(f->last_used_tsc, f->created_tsc);

	assert_int_equal(flow_cache_count(fc), 1);
	assert_int_equal(counters().installed, 1);
	assert_null(find(2));
}

static void
test_lookup_burst_reports_hits_in_the_mask(void **state)
{
	const struct flow_key *keys[RTE_HASH_LOOKUP_BULK_MAX];
	struct flow_key k[RTE_HASH_LOOKUP_BULK_MAX];
	uint32_t hashes[RTE_HASH_LOOKUP_BULK_MAX];
	struct flow *installed[RTE_HASH_LOOKUP_BULK_MAX] = { 0 };
	struct flow *flows[RTE_HASH_LOOKUP_BULK_MAX];
	uint64_t expect = 0;
	uint32_t i;

	(void)state;
	/* A worker burst of 32: every third key is installed. */
	for (i = 0; i < 32; i++) {
		k[i] = key_n(i);
		keys[i] = &k[i];
		if (i % 3 == 0) {
			installed[i] = install(i, NULL, 0);
			expect |= 1ULL << i;
		}
	}
	assert_int_equal(flow_cache_lookup_burst(fc, keys, 32, hashes, flows), expect);
	for (i = 0; i < 32; i++) {
		/* Hit or miss, the hash the simulation will look up and insert with. */
		assert_int_equal(hashes[i], flow_key_hash(&k[i]));
		if (installed[i] != NULL)
			assert_ptr_equal(flows[i], installed[i]);
	}

	/* The largest burst the hash takes at once, every key a hit. */
	for (i = 0; i < RTE_HASH_LOOKUP_BULK_MAX; i++) {
		k[i] = key_n(i);
		keys[i] = &k[i];
		if (installed[i] == NULL && i < CAPACITY)
			installed[i] = install(i, NULL, 0);
	}
	assert_int_equal(flow_cache_lookup_burst(fc, keys, RTE_HASH_LOOKUP_BULK_MAX, hashes,
						 flows), UINT64_MAX);
	for (i = 0; i < RTE_HASH_LOOKUP_BULK_MAX; i++) {
		assert_int_equal(hashes[i], flow_key_hash(&k[i]));
		assert_ptr_equal(flows[i], installed[i]);
	}
}

static void
test_duplicate_insert_fails_with_eexist_and_keeps_the_first(void **state)
{
	struct flow_key key = key_n(1);
	struct flow_actions other = output_to(9);
	struct flow *f;

	(void)state;
	f = install(1, NULL, 0);
	rte_errno = 0;
	assert_null(flow_cache_insert(fc, &key, flow_key_hash(&key), &other, NULL, 0, 99));
	assert_int_equal(rte_errno, EEXIST);

	assert_ptr_equal(find(1), f);
	assert_int_equal(f->actions.a[0].port, 1 % 7);
	assert_int_equal(f->owner_cookie, 2);
	assert_int_equal(flow_cache_count(fc), 1);
	assert_int_equal(counters().installed, 1);
	assert_int_equal(counters().not_installed_full, 0);
}

/* Remove */

static void
test_removed_flow_is_gone_and_reported_with_the_given_reason(void **state)
{
	struct flow *f;

	(void)state;
	f = install(1, NULL, 0);
	install(2, NULL, 0);
	flow_cache_remove(fc, f, FLOW_REMOVED_IDLE);

	assert_null(find(1));
	assert_non_null(find(2));
	assert_int_equal(flow_cache_count(fc), 1);
	assert_int_equal(n_removals, 1);
	assert_int_equal(removals[0].cookie, 2);
	assert_int_equal(removals[0].why, FLOW_REMOVED_IDLE);
	assert_int_equal(counters().expired, 1);

	/* The key can be installed again. */
	install(1, NULL, 0);
	assert_int_equal(flow_cache_count(fc), 2);
}

/* Invalidation by tag */

static void
test_invalidating_a_tag_removes_exactly_the_flows_that_carry_it(void **state)
{
	const uint64_t a[] = { TAG_A }, b[] = { TAG_B };

	(void)state;
	install(1, a, 1);
	install(2, a, 1);
	install(3, b, 1);

	assert_int_equal(flow_cache_invalidate_tag(fc, TAG_A), 2);
	assert_null(find(1));
	assert_null(find(2));
	assert_non_null(find(3));
	assert_int_equal(flow_cache_count(fc), 1);
	assert_int_equal(n_removals, 2);
	assert_true(removal_logged(2, FLOW_REMOVED_INVALIDATED));
	assert_true(removal_logged(3, FLOW_REMOVED_INVALIDATED));
	assert_int_equal(counters().invalidated, 2);

	/* Nothing carries A any more, and nothing ever carried C. */
	assert_int_equal(flow_cache_invalidate_tag(fc, TAG_A), 0);
	assert_int_equal(flow_cache_invalidate_tag(fc, TAG_C), 0);
	assert_int_equal(flow_cache_count(fc), 1);
}

static void
test_a_flow_leaves_every_tag_list_when_removed(void **state)
{
	const uint64_t ab[] = { TAG_A, TAG_B };

	(void)state;
	install(1, ab, 2);
	assert_int_equal(flow_cache_invalidate_tag(fc, TAG_A), 1);
	/* Its link in B's list went with it: B names nothing now. */
	assert_int_equal(flow_cache_invalidate_tag(fc, TAG_B), 0);
	assert_int_equal(n_removals, 1);
	assert_int_equal(counters().invalidated, 1);
}

static void
test_removing_head_middle_or_tail_of_a_tag_list_keeps_the_rest(void **state)
{
	const uint64_t abc[] = { TAG_A, TAG_B, TAG_C }, bc[] = { TAG_B, TAG_C }, c[] = { TAG_C };
	struct flow *f1, *f3, *f5;

	(void)state;
	/* C's list, newest first: 5 4 3 2 1. */
	f1 = install(1, abc, 3);
	install(2, bc, 2);
	f3 = install(3, c, 1);
	install(4, c, 1);
	f5 = install(5, bc, 2);

	flow_cache_remove(fc, f3, FLOW_REMOVED_EVICTED); /* middle of C's list */
	flow_cache_remove(fc, f5, FLOW_REMOVED_EVICTED); /* head of B's and C's */
	flow_cache_remove(fc, f1, FLOW_REMOVED_EVICTED); /* tail of B's and C's, alone in A's */
	assert_int_equal(flow_cache_invalidate_tag(fc, TAG_A), 0);
	assert_int_equal(flow_cache_invalidate_tag(fc, TAG_B), 1); /* flow 2 */
	assert_true(removal_logged(3, FLOW_REMOVED_INVALIDATED));
	assert_int_equal(flow_cache_invalidate_tag(fc, TAG_C), 1); /* flow 4 */
	assert_true(removal_logged(5, FLOW_REMOVED_INVALIDATED));
	assert_int_equal(flow_cache_count(fc), 0);
}

static void
test_tags_past_the_maximum_are_ignored(void **state)
{
	uint64_t tags[FLOW_TAGS_MAX + 1];
	struct flow *f;
	unsigned int i;

	(void)state;
	for (i = 0; i < RTE_DIM(tags); i++)
		tags[i] = 0x100 + i;
	f = install(1, tags, RTE_DIM(tags));
	assert_int_equal(f->n_tags, FLOW_TAGS_MAX);
	assert_int_equal(flow_cache_invalidate_tag(fc, tags[FLOW_TAGS_MAX]), 0);
	assert_int_equal(flow_cache_invalidate_tag(fc, tags[FLOW_TAGS_MAX - 1]), 1);
}

/* Expiry */

static void
test_idle_flow_expires_after_its_idle_timeout(void **state)
{
	struct flow_cache_config cfg = default_cfg;
	struct flow *f;
	uint64_t used;

	(void)state;
	cfg.idle_timeout_ms = 1;
	reconfigure(&cfg);
	f = install(1, NULL, 0);
	used = f->last_used_tsc;
	assert_int_equal(f->idle_timeout_tsc, rte_get_tsc_hz() / 1000);
	assert_int_equal(f->hard_timeout_tsc, 0);

	/* Idle for exactly the timeout: not yet. */
	assert_int_equal(flow_cache_expire(fc, used + f->idle_timeout_tsc, 100), 0);
	assert_non_null(find(1));
	/* One cycle more, or far later: gone. */
	assert_int_equal(flow_cache_expire(fc, used + f->idle_timeout_tsc + 1, 100), 1);
	assert_null(find(1));
	assert_true(removal_logged(2, FLOW_REMOVED_IDLE));

	install(2, NULL, 0);
	install(3, NULL, 0);
	assert_int_equal(flow_cache_expire(fc, rte_get_tsc_cycles() + 3600 * rte_get_tsc_hz(),
					   100), 2);
	assert_int_equal(flow_cache_count(fc), 0);
	assert_int_equal(removals_for(FLOW_REMOVED_IDLE), 3);
	assert_int_equal(counters().expired, 3);
}

static void
test_a_flow_in_use_does_not_go_idle(void **state)
{
	struct flow_cache_config cfg = default_cfg;
	struct flow *used, *unused;
	uint64_t now;

	(void)state;
	cfg.idle_timeout_ms = 1000;
	reconfigure(&cfg);
	used = install(1, NULL, 0);
	unused = install(2, NULL, 0);
	now = unused->created_tsc + 2 * rte_get_tsc_hz();
	/* A worker hit flow 1 half a second ago and refreshed its last-used time. */
	__atomic_store_n(&used->last_used_tsc, now - rte_get_tsc_hz() / 2, __ATOMIC_RELAXED);

	assert_int_equal(flow_cache_expire(fc, now, 100), 1);
	assert_non_null(find(1));
	assert_null(find(2));
	assert_true(removal_logged(3, FLOW_REMOVED_IDLE));
}

static void
test_hard_timeout_removes_a_flow_even_in_use(void **state)
{
	struct flow_cache_config cfg = default_cfg;
	uint64_t created, hard, now;
	struct flow *f;

	(void)state;
	cfg.hard_timeout_ms = 1000;
	reconfigure(&cfg);
	f = install(1, NULL, 0);
	created = f->created_tsc;
	hard = f->hard_timeout_tsc;
	assert_int_equal(hard, rte_get_tsc_hz());
	assert_int_equal(f->idle_timeout_tsc, 0);

	now = created + hard;
	__atomic_store_n(&f->last_used_tsc, now, __ATOMIC_RELAXED);
	assert_int_equal(flow_cache_expire(fc, now, 100), 0);
	assert_int_equal(flow_cache_expire(fc, now + 1, 100), 1);
	assert_null(find(1));
	assert_int_equal(n_removals, 1);
	assert_true(removal_logged(2, FLOW_REMOVED_HARD));
	assert_int_equal(counters().expired, 1);
}

static void
test_hard_timeout_wins_when_both_have_passed(void **state)
{
	struct flow_cache_config cfg = default_cfg;
	struct flow *f;

	(void)state;
	cfg.idle_timeout_ms = 1;
	cfg.hard_timeout_ms = 2;
	reconfigure(&cfg);
	f = install(1, NULL, 0);
	assert_int_equal(flow_cache_expire(fc, f->created_tsc + rte_get_tsc_hz(), 100), 1);
	assert_true(removal_logged(2, FLOW_REMOVED_HARD));
}

static void
test_expiry_visits_at_most_budget_flows_per_call_and_resumes(void **state)
{
	struct flow_cache_config cfg = default_cfg;
	uint64_t later = rte_get_tsc_cycles() + 3600 * rte_get_tsc_hz();
	uint32_t i;

	(void)state;
	cfg.idle_timeout_ms = 1;
	reconfigure(&cfg);
	for (i = 0; i < 5; i++)
		install(i, NULL, 0);
	assert_int_equal(flow_cache_expire(fc, later, 2), 2);
	assert_int_equal(flow_cache_count(fc), 3);
	assert_int_equal(flow_cache_expire(fc, later, 2), 2);
	assert_int_equal(flow_cache_expire(fc, later, 2), 1);
	assert_int_equal(flow_cache_count(fc), 0);
}

static void
test_no_timeouts_means_flows_never_expire(void **state)
{
	(void)state;
	install(1, NULL, 0);
	assert_int_equal(flow_cache_expire(fc, UINT64_MAX, 100), 0);
	assert_non_null(find(1));
}

/* Capacity and eviction */

static void
test_a_full_cache_evicts_one_flow_per_insert(void **state)
{
	const uint32_t k = 5;
	uint32_t i;

	(void)state;
	/* Worker 0 is running and reports nothing: every evicted flow is still held. */
	for (i = 0; i < CAPACITY; i++)
		install(i, NULL, 0);
	assert_int_equal(flow_cache_count(fc), CAPACITY);
	assert_int_equal(counters().evicted, 0);

	for (i = CAPACITY; i < CAPACITY + k; i++) {
		install(i, NULL, 0);
		/* The new flow is never its own victim. */
		assert_non_null(find(i));
		assert_int_equal(flow_cache_count(fc), CAPACITY);
	}
	assert_int_equal(counters().evicted, k);
	assert_int_equal(counters().installed, CAPACITY + k);
	assert_int_equal(counters().not_installed_full, 0);
	assert_int_equal(removals_for(FLOW_REMOVED_EVICTED), k);
	assert_int_equal(n_removals, k);
	assert_int_equal(flow_cache_capacity(fc), CAPACITY);
}

static void
test_eviction_picks_the_least_recently_used_flow(void **state)
{
	struct flow_cache_config cfg = default_cfg;
	struct flow *f[8];
	uint64_t now;
	uint32_t i;

	(void)state;
	/* Eight flows: the eviction sample covers the whole cache, so LRU is exact. */
	cfg.capacity = FLOW_CACHE_EVICT_SAMPLES;
	reconfigure(&cfg);
	for (i = 0; i < 8; i++)
		f[i] = install(i, NULL, 0);
	now = rte_get_tsc_cycles();
	for (i = 0; i < 8; i++)
		if (i != 3)
			__atomic_store_n(&f[i]->last_used_tsc, now, __ATOMIC_RELAXED);
	worker_quiescent();

	install(8, NULL, 0);
	assert_null(find(3));
	assert_int_equal(n_removals, 1);
	assert_true(removal_logged(4, FLOW_REMOVED_EVICTED));
}

static void
test_a_removed_flow_frees_its_place_without_evicting(void **state)
{
	uint32_t i;

	(void)state;
	for (i = 0; i < CAPACITY; i++)
		install(i, NULL, 0);
	flow_cache_remove(fc, find(0), FLOW_REMOVED_INVALIDATED);
	worker_quiescent();

	install(CAPACITY, NULL, 0);
	assert_int_equal(counters().evicted, 0);
	assert_int_equal(flow_cache_count(fc), CAPACITY);
	for (i = 1; i <= CAPACITY; i++)
		assert_non_null(find(i));
}

/* Flush */

static void
test_flush_empties_the_cache(void **state)
{
	uint32_t i, next = 0;
	const struct flow *f;

	(void)state;
	for (i = 0; i < 10; i++)
		install(i, NULL, 0);
	assert_int_equal(flow_cache_flush(fc), 10);
	assert_int_equal(flow_cache_count(fc), 0);
	assert_int_equal(flow_cache_iterate(fc, &next, &f), -ENOENT);
	for (i = 0; i < 10; i++)
		assert_null(find(i));
	assert_int_equal(removals_for(FLOW_REMOVED_FLUSHED), 10);
	assert_int_equal(counters().flushed, 10);
	assert_int_equal(flow_cache_flush(fc), 0);
}

static void
test_flush_empties_a_full_cache(void **state)
{
	struct flow_cache_config cfg = default_cfg;
	uint32_t i, next = 0;
	const struct flow *f;

	(void)state;
	/* Full to the last slot: some keys sit in the hash's extendable buckets. */
	cfg.capacity = 1024;
	reconfigure(&cfg);
	for (i = 0; i < cfg.capacity; i++)
		install(i, NULL, 0);
	assert_int_equal(flow_cache_count(fc), cfg.capacity);

	assert_int_equal(flow_cache_flush(fc), cfg.capacity);
	assert_int_equal(flow_cache_count(fc), 0);
	assert_int_equal(flow_cache_iterate(fc, &next, &f), -ENOENT);
	assert_int_equal(counters().flushed, cfg.capacity);
}

/* Counters */

static void
test_counters_add_up(void **state)
{
	struct flow_cache_config cfg = default_cfg;
	const uint64_t a[] = { TAG_A };
	struct flow_cache_counters c;
	uint64_t later;
	struct flow *f;
	uint32_t i;

	(void)state;
	cfg.capacity = 16;
	cfg.idle_timeout_ms = 1000;
	reconfigure(&cfg);
	for (i = 0; i < 16; i++)
		install(i, i < 4 ? a : NULL, i < 4);
	assert_int_equal(flow_cache_invalidate_tag(fc, TAG_A), 4);
	for (i = 16; i < 23; i++)
		install(i, NULL, 0); /* 4 fill the cache again, 3 evict */
	assert_int_equal(flow_cache_count(fc), 16);

	/* Workers keep the two newest flows busy; the other 14 go idle. */
	later = rte_get_tsc_cycles() + 10 * rte_get_tsc_hz();
	for (i = 21; i < 23; i++) {
		f = find(i);
		assert_non_null(f);
		__atomic_store_n(&f->last_used_tsc, later, __ATOMIC_RELAXED);
	}
	assert_int_equal(flow_cache_expire(fc, later, 1000), 14);
	assert_int_equal(flow_cache_flush(fc), 2);

	c = counters();
	assert_int_equal(c.installed, 23);
	assert_int_equal(c.invalidated, 4);
	assert_int_equal(c.evicted, 3);
	assert_int_equal(c.expired, 14);
	assert_int_equal(c.flushed, 2);
	assert_int_equal(c.installed, flow_cache_count(fc) + c.evicted + c.expired +
					  c.invalidated + c.flushed);
	/* Each removal was reported once, under its own reason. */
	assert_int_equal(n_removals, c.evicted + c.expired + c.invalidated + c.flushed);
	assert_int_equal(removals_for(FLOW_REMOVED_INVALIDATED), c.invalidated);
	assert_int_equal(removals_for(FLOW_REMOVED_EVICTED), c.evicted);
	assert_int_equal(removals_for(FLOW_REMOVED_IDLE), c.expired);
	assert_int_equal(removals_for(FLOW_REMOVED_FLUSHED), c.flushed);
}

/* Reclamation through QSBR */

static void
test_removed_flow_memory_returns_only_after_the_worker_is_quiescent(void **state)
{
	struct rte_mempool *mem = rte_mempool_lookup(CACHE_MEM_NAME);
	uint32_t i;

	(void)state;
	assert_non_null(mem);
	for (i = 0; i < 8; i++)
		install(i, NULL, 0);
	for (i = 0; i < 8; i++)
		flow_cache_remove(fc, find(i), FLOW_REMOVED_INVALIDATED);
	assert_int_equal(flow_cache_count(fc), 0);
	/* Worker 0 may still be reading any of the eight. */
	assert_int_equal(rte_mempool_in_use_count(mem), 8);

	/* Meanwhile the cache takes new flows: removed ones wait outside its capacity. */
	for (i = 8; i < 16; i++)
		install(i, NULL, 0);
	assert_int_equal(rte_mempool_in_use_count(mem), 16);

	/* Once it reports, the next removal gives the eight back (and waits itself). */
	worker_quiescent();
	flow_cache_remove(fc, find(8), FLOW_REMOVED_INVALIDATED);
	assert_int_equal(rte_mempool_in_use_count(mem), 8);
}

static void
test_a_worker_that_never_reports_eventually_blocks_inserts(void **state)
{
	struct flow_key key;
	struct flow_actions acts = output_to(1);
	struct flow *f = NULL;
	uint32_t i, refused;

	(void)state;
	/* Ten flows stay installed throughout; the rest come and go. */
	for (i = 0; i < 10; i++)
		install(90000 + i, NULL, 0);
	for (i = 0; i < 100000; i++) {
		key = key_n(i);
		f = flow_cache_insert(fc, &key, flow_key_hash(&key), &acts, NULL, 0, i + 1);
		if (f == NULL)
			break;
		flow_cache_remove(fc, f, FLOW_REMOVED_IDLE);
	}
	/* Every spare slot holds a flow the worker may still read. */
	refused = i;
	assert_null(f);
	assert_int_equal(rte_errno, ENOSPC);
	assert_true(i >= CAPACITY);
	assert_int_equal(counters().not_installed_full, 1);
	/* Refused, but nothing installed was thrown away for it. */
	assert_int_equal(counters().evicted, 0);
	assert_int_equal(flow_cache_count(fc), 10);
	for (i = 0; i < 10; i++)
		assert_non_null(find(90000 + i));

	worker_quiescent();
	install(refused, NULL, 0);
	assert_int_equal(flow_cache_count(fc), 11);
}

static void
test_flow_memory_is_reclaimed_across_many_insert_remove_cycles(void **state)
{
	struct rte_mempool *mem = rte_mempool_lookup(CACHE_MEM_NAME);
	uint32_t cycles, i;

	(void)state;
	assert_non_null(mem);
	/* Three times as many flows as the pool has. */
	cycles = 3 * rte_mempool_avail_count(mem);
	for (i = 0; i < cycles; i++) {
		flow_cache_remove(fc, install(i, NULL, 0), FLOW_REMOVED_IDLE);
		worker_quiescent();
	}
	assert_int_equal(flow_cache_count(fc), 0);
	assert_int_equal(counters().installed, cycles);
	assert_int_equal(counters().not_installed_full, 0);
	/* What is still out waits in the defer queue: a few, not one per cycle. */
	assert_true(rte_mempool_in_use_count(mem) <= CAPACITY);

	/* A worker offline (asleep) holds nothing: no report needed. */
	rte_rcu_qsbr_thread_offline(qsbr, WORKER);
	for (i = 0; i < cycles; i++)
		flow_cache_remove(fc, install(i, NULL, 0), FLOW_REMOVED_IDLE);
	rte_rcu_qsbr_thread_online(qsbr, WORKER);
	assert_true(rte_mempool_in_use_count(mem) <= CAPACITY);
}

/* Colliding keys */

/*
 * The x with L(x) = t, where L is the GF(2)-linear map whose value on bit j
 * is col[j] (Gaussian elimination, one 32-bit word per row).
 */
static uint32_t
gf2_solve(const uint32_t col[32], uint32_t t)
{
	uint32_t basis[32] = { 0 }, comb[32] = { 0 }, x = 0;
	int j, b;

	for (j = 0; j < 32; j++) {
		uint32_t v = col[j], c = 1u << j;

		for (b = 31; b >= 0 && v != 0; b--) {
			if (!(v >> b & 1))
				continue;
			if (basis[b] == 0) {
				basis[b] = v;
				comb[b] = c;
				break;
			}
			v ^= basis[b];
			c ^= comb[b];
		}
	}
	for (b = 31; b >= 0; b--) {
		if (!(t >> b & 1))
			continue;
		assert_int_not_equal(basis[b], 0);
		t ^= basis[b];
		x ^= comb[b];
	}
	return x;
}

/*
 * n keys with one hash, as an attacker would send them: frames that differ
 * in the UDP source port, each with the IPv4 destination that brings the
 * CRC back to the same value.  (CRC is affine in its input bits, so the 32
 * bits of an address can cancel any other change.)
 */
static void
colliding_keys(struct flow_key *keys, unsigned int n)
{
	struct flow_key base = key_n(0), k;
	uint32_t target = flow_key_hash(&base), col[32], zero, x;
	struct rte_mbuf *m;
	unsigned int i, j;

	for (i = 0; i < n; i++) {
		k = base;
		k.tp_src = 40000 + i;
		memset(k.nw_dst, 0, 4);
		zero = flow_key_hash(&k);
		for (j = 0; j < 32; j++) {
			k.nw_dst[j / 8] = 1 << (j % 8);
			col[j] = flow_key_hash(&k) ^ zero;
			k.nw_dst[j / 8] = 0;
		}
		x = gf2_solve(col, target ^ zero);
		m = udp_frame_to(pool, &mac_dst, &mac_src,
				 UDP_FRAME_IPV4(x & 0xff, x >> 8 & 0xff, x >> 16 & 0xff, x >> 24),
				 40000 + i, 2000);
		assert_non_null(m);
		assert_int_equal(udp_frame_receive(m, IN_PORT, WORKER), 0);
		keys[i] = pkt_meta(m)->key;
		rte_pktmbuf_free(m);
		assert_int_equal(flow_key_hash(&keys[i]), target);
	}
}

static void
test_keys_with_one_hash_are_told_apart_and_flushed(void **state)
{
	struct flow_key keys[24];
	struct flow_actions acts;
	struct flow *f[24];
	uint32_t i, next = 0;
	const struct flow *it;

	(void)state;
	/* More than a bucket pair holds: some go to the hash's extendable buckets. */
	colliding_keys(keys, RTE_DIM(keys));
	for (i = 0; i < RTE_DIM(keys); i++) {
		acts = output_to(i);
		f[i] = flow_cache_insert(fc, &keys[i], flow_key_hash(&keys[i]), &acts, NULL, 0, i + 1);
		assert_non_null(f[i]);
	}
	for (i = 0; i < RTE_DIM(keys); i++) {
		assert_ptr_equal(flow_cache_lookup(fc, &keys[i], flow_key_hash(&keys[i])), f[i]);
		assert_int_equal(f[i]->actions.a[0].port, i);
	}

	assert_int_equal(flow_cache_flush(fc), RTE_DIM(keys));
	assert_int_equal(flow_cache_count(fc), 0);
	assert_int_equal(flow_cache_iterate(fc, &next, &it), -ENOENT);
	for (i = 0; i < RTE_DIM(keys); i++)
		assert_null(flow_cache_lookup(fc, &keys[i], flow_key_hash(&keys[i])));
	assert_int_equal(removals_for(FLOW_REMOVED_FLUSHED), RTE_DIM(keys));
}

/* IPv4 and IPv6 side by side */

/*
 * Keys that are not IPv6 live in a compact table, IPv6 keys in a full one;
 * to the simulation and the workers it is one cache.
 */

static void
test_ipv4_and_ipv6_flows_live_side_by_side(void **state)
{
	const struct flow_key *keys[32];
	struct flow_key k[32];
	struct flow *installed[32] = { 0 }, *flows[32], *f4, *f6;
	uint32_t hashes[32];
	uint64_t expect = 0;
	uint32_t i;

	(void)state;
	/* Flows 0-7 of both kinds; IPv6 flow n has IPv4 flow n's ports. */
	for (i = 0; i < 8; i++) {
		installed[2 * i] = install(i, NULL, 0);
		installed[2 * i + 1] = install6(i, NULL, 0);
	}
	assert_int_equal(flow_cache_count(fc), 16);
	assert_int_equal(counters().installed, 16);
	for (i = 0; i < 8; i++) {
		assert_ptr_equal(find(i), installed[2 * i]);
		assert_ptr_equal(find6(i), installed[2 * i + 1]);
		assert_int_equal(find(i)->owner_cookie, i + 1);
		assert_int_equal(find6(i)->owner_cookie, IPV6_COOKIE_BASE + i + 1);
	}
	assert_null(find6(8));

	/* A worker burst with both kinds interleaved: one call, results in burst order. */
	for (i = 0; i < 32; i++) {
		k[i] = i % 2 == 0 ? key_n(i / 2) : key6_n(i / 2);
		keys[i] = &k[i];
		if (i / 2 < 8)
			expect |= 1ULL << i;
	}
	assert_int_equal(flow_cache_lookup_burst(fc, keys, 32, hashes, flows), expect);
	for (i = 0; i < 32; i++) {
		assert_int_equal(hashes[i], flow_key_hash(&k[i]));
		if (i / 2 < 8)
			assert_ptr_equal(flows[i], installed[i]);
	}

	/* A burst of IPv6 keys only. */
	for (i = 0; i < 8; i++) {
		k[i] = key6_n(7 - i);
		keys[i] = &k[i];
	}
	assert_int_equal(flow_cache_lookup_burst(fc, keys, 8, hashes, flows), 0xff);
	for (i = 0; i < 8; i++) {
		assert_ptr_equal(flows[i], installed[2 * (7 - i) + 1]);
		assert_int_equal(hashes[i], flow_key_hash(&k[i]));
	}

	/* Removing one kind leaves its twin of the other kind. */
	f4 = installed[0];
	f6 = installed[3];
	flow_cache_remove(fc, f4, FLOW_REMOVED_IDLE);
	flow_cache_remove(fc, f6, FLOW_REMOVED_IDLE);
	assert_null(find(0));
	assert_non_null(find6(0));
	assert_null(find6(1));
	assert_non_null(find(1));
	assert_int_equal(flow_cache_count(fc), 14);
	assert_true(removal_logged(1, FLOW_REMOVED_IDLE));
	assert_true(removal_logged(IPV6_COOKIE_BASE + 2, FLOW_REMOVED_IDLE));
}

/* Set the 4 bytes at field so that flow_key_hash(k) == target (see colliding_keys). */
static void
force_hash(struct flow_key *k, uint8_t *field, uint32_t target)
{
	uint32_t col[32], zero, x;
	unsigned int j;

	memset(field, 0, 4);
	zero = flow_key_hash(k);
	for (j = 0; j < 32; j++) {
		field[j / 8] = 1 << (j % 8);
		col[j] = flow_key_hash(k) ^ zero;
		field[j / 8] = 0;
	}
	x = gf2_solve(col, target ^ zero);
	for (j = 0; j < 4; j++)
		field[j] = x >> (8 * j) & 0xff;
	assert_int_equal(flow_key_hash(k), target);
}

static void
test_an_ipv6_key_alike_an_ipv4_key_in_48_bytes_and_hash_is_another_flow(void **state)
{
	struct flow_key k4 = key_n(1), k6 = { 0 };
	struct flow_key_compact c4;
	uint64_t c[FLOW_KEY_COMPACT_WORDS];
	const struct flow_key *keys[2] = { &k4, &k6 };
	struct flow *f4, *f6, *flows[2];
	struct flow_actions acts = output_to(5);
	uint32_t hashes[2];

	(void)state;
	/*
	 * An IPv6 key whose first 48 bytes are what the compact table stores
	 * for k4 (its source address holds k4's addresses, kind, ports), and
	 * whose destination address brings its hash to k4's.
	 */
	flow_key_compact_gather(&k4, c);
	memcpy(&c4, c, sizeof(c4));
	memcpy(&k6, &c4, sizeof(c4));
	k6.l3_kind = FLOW_L3_IPV6;
	k6.nw_proto = k4.nw_proto;
	k6.tp_src = k4.tp_src;
	k6.tp_dst = k4.tp_dst;
	force_hash(&k6, k6.nw_dst, flow_key_hash(&k4));
	assert_memory_equal(&k6, &c4, sizeof(c4));
	assert_int_equal(flow_key_hash(&k6), flow_key_hash(&k4));

	f4 = install(1, NULL, 0);
	assert_null(flow_cache_lookup(fc, &k6, flow_key_hash(&k6)));
	f6 = flow_cache_insert(fc, &k6, flow_key_hash(&k6), &acts, NULL, 0, 77);
	assert_non_null(f6);
	assert_ptr_not_equal(f6, f4);
	assert_ptr_equal(flow_cache_lookup(fc, &k4, flow_key_hash(&k4)), f4);
	assert_ptr_equal(flow_cache_lookup(fc, &k6, flow_key_hash(&k6)), f6);
	assert_memory_equal(&f6->key, &k6, sizeof(k6));
	assert_int_equal(flow_cache_lookup_burst(fc, keys, 2, hashes, flows), 0x3);
	assert_ptr_equal(flows[0], f4);
	assert_ptr_equal(flows[1], f6);

	/* Each goes on its own. */
	flow_cache_remove(fc, f4, FLOW_REMOVED_EVICTED);
	assert_null(flow_cache_lookup(fc, &k4, flow_key_hash(&k4)));
	assert_ptr_equal(flow_cache_lookup(fc, &k6, flow_key_hash(&k6)), f6);
	f4 = install(1, NULL, 0);
	flow_cache_remove(fc, f6, FLOW_REMOVED_EVICTED);
	assert_null(flow_cache_lookup(fc, &k6, flow_key_hash(&k6)));
	assert_ptr_equal(flow_cache_lookup(fc, &k4, flow_key_hash(&k4)), f4);
	assert_int_equal(flow_cache_count(fc), 1);
}

static void
test_insert_refuses_a_key_with_bytes_the_compact_table_would_drop(void **state)
{
	struct flow_key k = key_n(1), clean = key_n(1);
	struct flow_actions acts = output_to(1);

	(void)state;
	/* An IPv4 key with an address byte past the first four, or a reserved byte, set. */
	k.nw_dst[4] = 1;
	rte_errno = 0;
	assert_null(flow_cache_insert(fc, &k, flow_key_hash(&k), &acts, NULL, 0, 1));
	assert_int_equal(rte_errno, EINVAL);
	k = clean;
	k.reserved[7] = 1;
	rte_errno = 0;
	assert_null(flow_cache_insert(fc, &k, flow_key_hash(&k), &acts, NULL, 0, 1));
	assert_int_equal(rte_errno, EINVAL);
	assert_int_equal(flow_cache_count(fc), 0);
	assert_int_equal(counters().installed, 0);

	/* The clean key goes in, and the dirty one still does not find it. */
	install(1, NULL, 0);
	k = clean;
	k.nw_src[15] = 1;
	assert_null(flow_cache_insert(fc, &k, flow_key_hash(&k), &acts, NULL, 0, 1));
	assert_int_equal(rte_errno, EINVAL);
	assert_int_equal(flow_cache_count(fc), 1);
}

static void
test_invalidation_removes_flows_of_both_kinds(void **state)
{
	const uint64_t a[] = { TAG_A }, ab[] = { TAG_A, TAG_B }, b[] = { TAG_B };

	(void)state;
	install(1, a, 1);
	install6(1, ab, 2);
	install6(2, b, 1);
	install(2, NULL, 0);

	assert_int_equal(flow_cache_invalidate_tag(fc, TAG_A), 2);
	assert_null(find(1));
	assert_null(find6(1));
	assert_non_null(find6(2));
	assert_non_null(find(2));
	assert_true(removal_logged(2, FLOW_REMOVED_INVALIDATED));
	assert_true(removal_logged(IPV6_COOKIE_BASE + 2, FLOW_REMOVED_INVALIDATED));
	/* IPv6 flow 1 left B's list too. */
	assert_int_equal(flow_cache_invalidate_tag(fc, TAG_B), 1);
	assert_true(removal_logged(IPV6_COOKIE_BASE + 3, FLOW_REMOVED_INVALIDATED));
	assert_int_equal(flow_cache_count(fc), 1);
	assert_int_equal(counters().invalidated, 3);
}

static void
test_expiry_sweeps_both_kinds_within_its_budget(void **state)
{
	struct flow_cache_config cfg = default_cfg;
	uint64_t later = rte_get_tsc_cycles() + 3600 * rte_get_tsc_hz();
	unsigned int r1, r2, r3;
	uint32_t i;

	(void)state;
	cfg.idle_timeout_ms = 1;
	reconfigure(&cfg);
	for (i = 0; i < 3; i++) {
		install(i, NULL, 0);
		install6(i, NULL, 0);
	}
	/* An IPv6 flow in use stays. */
	__atomic_store_n(&find6(1)->last_used_tsc, later, __ATOMIC_RELAXED);

	/*
	 * Two entries a call: the compact table's first, then the sweep goes
	 * on into the IPv6 table.  Six entries, five of them idle.
	 */
	r1 = flow_cache_expire(fc, later, 2);
	r2 = flow_cache_expire(fc, later, 2);
	r3 = flow_cache_expire(fc, later, 2);
	assert_int_equal(r1, 2);
	assert_in_range(r2, 1, 2);
	assert_in_range(r3, 1, 2);
	assert_int_equal(r1 + r2 + r3, 5);
	assert_int_equal(flow_cache_count(fc), 1);
	assert_non_null(find6(1));
	for (i = 0; i < 3; i++) {
		assert_true(removal_logged(i + 1, FLOW_REMOVED_IDLE));
		assert_null(find(i));
	}
	assert_true(removal_logged(IPV6_COOKIE_BASE + 1, FLOW_REMOVED_IDLE));
	assert_true(removal_logged(IPV6_COOKIE_BASE + 3, FLOW_REMOVED_IDLE));

	/* Later still, the sweep comes round to it (the first call may only find the end). */
	later += 3600 * rte_get_tsc_hz();
	r1 = flow_cache_expire(fc, later, 100);
	r1 += flow_cache_expire(fc, later, 100);
	assert_int_equal(r1, 1);
	assert_int_equal(flow_cache_count(fc), 0);
	assert_int_equal(counters().expired, 6);
}

static void
test_eviction_samples_flows_of_both_kinds(void **state)
{
	struct flow_cache_config cfg = default_cfg;
	struct flow *f[8];
	uint64_t now;
	uint32_t i;

	(void)state;
	/* Eight flows, four of each kind: the sample covers the cache, so LRU is exact. */
	cfg.capacity = FLOW_CACHE_EVICT_SAMPLES;
	reconfigure(&cfg);
	for (i = 0; i < 4; i++) {
		f[i] = install(i, NULL, 0);
		f[4 + i] = install6(i, NULL, 0);
	}
	now = rte_get_tsc_cycles();
	for (i = 0; i < 8; i++)
		if (i != 6)
			__atomic_store_n(&f[i]->last_used_tsc, now, __ATOMIC_RELAXED);

	/* An IPv4 flow pushes out the idlest flow, an IPv6 one. */
	install(4, NULL, 0);
	assert_null(find6(2));
	assert_int_equal(n_removals, 1);
	assert_true(removal_logged(IPV6_COOKIE_BASE + 3, FLOW_REMOVED_EVICTED));

	/* And an IPv6 flow pushes out an IPv4 one. */
	now = rte_get_tsc_cycles();
	for (i = 0; i < 8; i++)
		if (i != 1 && i != 6)
			__atomic_store_n(&f[i]->last_used_tsc, now, __ATOMIC_RELAXED);
	__atomic_store_n(&find(4)->last_used_tsc, now, __ATOMIC_RELAXED);
	install6(4, NULL, 0);
	assert_null(find(1));
	assert_int_equal(n_removals, 2);
	assert_true(removal_logged(2, FLOW_REMOVED_EVICTED));
	assert_int_equal(flow_cache_count(fc), FLOW_CACHE_EVICT_SAMPLES);
}

static void
test_iterate_and_flush_cover_both_kinds(void **state)
{
	bool seen4[5] = { false }, seen6[5] = { false };
	const struct flow *f;
	uint32_t i, next = 0, n = 0;

	(void)state;
	for (i = 0; i < 5; i++) {
		install(i, NULL, 0);
		install6(i, NULL, 0);
	}
	/* Every flow once. */
	while (flow_cache_iterate(fc, &next, &f) == 0) {
		n++;
		if (f->owner_cookie > IPV6_COOKIE_BASE) {
			i = f->owner_cookie - IPV6_COOKIE_BASE - 1;
			assert_true(i < 5 && !seen6[i]);
			assert_int_equal(f->key.l3_kind, FLOW_L3_IPV6);
			seen6[i] = true;
		} else {
			i = f->owner_cookie - 1;
			assert_true(i < 5 && !seen4[i]);
			assert_int_equal(f->key.l3_kind, FLOW_L3_IPV4);
			seen4[i] = true;
		}
	}
	assert_int_equal(n, 10);
	/* An iterator at the end stays there. */
	assert_int_equal(flow_cache_iterate(fc, &next, &f), -ENOENT);

	assert_int_equal(flow_cache_flush(fc), 10);
	assert_int_equal(flow_cache_count(fc), 0);
	next = 0;
	assert_int_equal(flow_cache_iterate(fc, &next, &f), -ENOENT);
	for (i = 0; i < 5; i++) {
		assert_null(find(i));
		assert_null(find6(i));
		assert_true(removal_logged(i + 1, FLOW_REMOVED_FLUSHED));
		assert_true(removal_logged(IPV6_COOKIE_BASE + i + 1, FLOW_REMOVED_FLUSHED));
	}
}

/* Insert and remove flows of one kind until the cache refuses one; how many went in. */
static uint32_t
churn_until_refused(bool ipv6, uint32_t first)
{
	struct flow_actions acts = output_to(1);
	struct flow_key key;
	struct flow *f;
	uint32_t i;

	for (i = 0; i < 100000; i++) {
		key = ipv6 ? key6_n(first + i) : key_n(first + i);
		f = flow_cache_insert(fc, &key, flow_key_hash(&key), &acts, NULL, 0, i + 1);
		if (f == NULL)
			return i;
		flow_cache_remove(fc, f, FLOW_REMOVED_IDLE);
	}
	fail_msg("the cache never refused a flow");
	return i;
}

static void
test_flows_removed_from_one_table_are_reclaimed_for_the_other(void **state)
{
	struct rte_mempool *mem = rte_mempool_lookup(CACHE_MEM_NAME);
	struct flow_key key;
	struct flow_actions acts = output_to(1);
	uint32_t i, refused6;

	(void)state;
	assert_non_null(mem);
	for (i = 0; i < 5; i++) {
		install(90000 + i, NULL, 0);
		install6(90000 + i, NULL, 0);
	}
	/*
	 * The worker reports nothing while IPv6 flows come and go: the
	 * removed ones use up the spare flow memory, which both tables share.
	 */
	refused6 = churn_until_refused(true, 0);
	assert_int_equal(rte_errno, ENOSPC);
	assert_true(refused6 >= CAPACITY);
	assert_int_equal(rte_mempool_avail_count(mem), 0);
	key = key_n(0);
	rte_errno = 0;
	assert_null(flow_cache_insert(fc, &key, flow_key_hash(&key), &acts, NULL, 0, 1));
	assert_int_equal(rte_errno, ENOSPC);
	assert_int_equal(counters().not_installed_full, 2);
	assert_int_equal(counters().evicted, 0);
	assert_int_equal(flow_cache_count(fc), 10);

	/*
	 * One report, and an IPv4 flow goes in on memory the IPv6 table
	 * released, though nothing has touched that table since.
	 */
	worker_quiescent();
	install(0, NULL, 0);
	install6(refused6, NULL, 0);
	assert_int_equal(flow_cache_count(fc), 12);
	for (i = 0; i < 5; i++) {
		assert_non_null(find(90000 + i));
		assert_non_null(find6(90000 + i));
	}
	/* And the rest of it comes back as IPv4 flows come and go, the worker reporting. */
	for (i = 1; i < 2 * refused6; i++) {
		flow_cache_remove(fc, install(i, NULL, 0), FLOW_REMOVED_IDLE);
		worker_quiescent();
	}
	assert_true(rte_mempool_in_use_count(mem) <= CAPACITY);
}

/* Creation and per-flow counters */

static void
test_create_refuses_a_bad_configuration(void **state)
{
	struct flow_cache_config cfg = default_cfg;

	(void)state;
	cfg.capacity = 7;
	rte_errno = 0;
	assert_null(flow_cache_create("ut_bad", &cfg));
	assert_int_equal(rte_errno, EINVAL);
	cfg = default_cfg;
	cfg.n_workers = 0;
	assert_null(flow_cache_create("ut_bad", &cfg));
	cfg.n_workers = KAIRO_MAX_WORKERS + 1;
	assert_null(flow_cache_create("ut_bad", &cfg));
	assert_int_equal(rte_errno, EINVAL);
}

static void
test_flow_stats_sum_every_worker_slot(void **state)
{
	struct flow_stats sum;
	struct flow *f;

	(void)state;
	f = install(1, NULL, 0);
	flow_stats_sum(f, &sum);
	assert_int_equal(sum.packets, 0);
	assert_int_equal(sum.bytes, 0);
	flow_stats_slot(f, 0)->packets = 2;
	flow_stats_slot(f, 0)->bytes = 120;
	flow_stats_slot(f, KAIRO_MAX_WORKERS - 1)->packets = 3;
	flow_stats_slot(f, KAIRO_MAX_WORKERS - 1)->bytes = 4500;
	flow_stats_sum(f, &sum);
	assert_int_equal(sum.packets, 5);
	assert_int_equal(sum.bytes, 4620);
}

/* Fixture */

static int
setup_cache(void **state)
{
	(void)state;
	use_cache(&default_cfg);
	return 0;
}

static int
teardown_cache(void **state)
{
	(void)state;
	drop_cache();
	return 0;
}

static int
setup(void **state)
{
	(void)state;
	pool = unit_eal_start("ut_flow_cache", "ut_fc_mbufs", POOL_SIZE);
	return pool == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	unit_eal_stop(pool);
	return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_cache, teardown_cache)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_inserted_flow_is_found_with_its_actions_tags_and_cookie),
		T(test_lookup_burst_reports_hits_in_the_mask),
		T(test_duplicate_insert_fails_with_eexist_and_keeps_the_first),
		T(test_removed_flow_is_gone_and_reported_with_the_given_reason),
		T(test_invalidating_a_tag_removes_exactly_the_flows_that_carry_it),
		T(test_a_flow_leaves_every_tag_list_when_removed),
		T(test_removing_head_middle_or_tail_of_a_tag_list_keeps_the_rest),
		T(test_tags_past_the_maximum_are_ignored),
		T(test_idle_flow_expires_after_its_idle_timeout),
		T(test_a_flow_in_use_does_not_go_idle),
		T(test_hard_timeout_removes_a_flow_even_in_use),
		T(test_hard_timeout_wins_when_both_have_passed),
		T(test_expiry_visits_at_most_budget_flows_per_call_and_resumes),
		T(test_no_timeouts_means_flows_never_expire),
		T(test_a_full_cache_evicts_one_flow_per_insert),
		T(test_eviction_picks_the_least_recently_used_flow),
		T(test_a_removed_flow_frees_its_place_without_evicting),
		T(test_flush_empties_the_cache),
		T(test_flush_empties_a_full_cache),
		T(test_counters_add_up),
		T(test_removed_flow_memory_returns_only_after_the_worker_is_quiescent),
		T(test_a_worker_that_never_reports_eventually_blocks_inserts),
		T(test_flow_memory_is_reclaimed_across_many_insert_remove_cycles),
		T(test_keys_with_one_hash_are_told_apart_and_flushed),
		T(test_ipv4_and_ipv6_flows_live_side_by_side),
		T(test_an_ipv6_key_alike_an_ipv4_key_in_48_bytes_and_hash_is_another_flow),
		T(test_insert_refuses_a_key_with_bytes_the_compact_table_would_drop),
		T(test_invalidation_removes_flows_of_both_kinds),
		T(test_expiry_sweeps_both_kinds_within_its_budget),
		T(test_eviction_samples_flows_of_both_kinds),
		T(test_iterate_and_flush_cover_both_kinds),
		T(test_flows_removed_from_one_table_are_reclaimed_for_the_other),
		T(test_create_refuses_a_bad_configuration),
		T(test_flow_stats_sum_every_worker_slot),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
