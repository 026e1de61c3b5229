/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulation thread: the slow path behind the upcall ring.
 * It runs off the worker lcores (a control thread) and is the flow cache's
 * only writer, so expiry, aging and invalidation run here too.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "flow_tags.h"
#include "nat.h"
#include "nat_frag.h"
#include "overlay.h"
#include "shared_state.h"
#include "sim_walk.h"
#include "topology.h"
#include "waiting_room.h"

RTE_LOG_REGISTER(kairo_logtype_sim, kairo.sim, INFO);
#define SIM_LOG(level, fmt, ...)                                                                   \
	rte_log(RTE_LOG_##level, kairo_logtype_sim, "kairod: sim: " fmt "\n", ##__VA_ARGS__)

void
sim_flow_removed(void *arg, const struct flow *flow, enum flow_remove_reason why)
{
	struct sim_thread *st = arg;

	uint64_t mac = flow->owner_cookie, now = rte_get_tsc_cycles();
	unsigned int i;

	/* Made stale by a topology change: "flow explain" says what and why. */
	if (st->changing_to != 0 &&
	    (why == FLOW_REMOVED_INVALIDATED || why == FLOW_REMOVED_FLUSHED))
		flow_explain_removed(st, flow, why == FLOW_REMOVED_INVALIDATED
							? flow_cache_invalidating_tag(st->cache) : 0);
	/*
	 * The flow kept its learned MAC, its connection and NAT bindings alive;
	 * once no flow does, the entries start to age.
	 */
	if (mac != 0)
		mac_table_unref(st->macs, (uint32_t)(mac - 1), now);
	for (i = 0; i < FLOW_OWNER_STATE && st->ct != NULL; i++)
		if (flow->owner_state[i] != 0)
			conntrack_unref(st->ct, flow->owner_state[i] - 1, now);
	meter_fold_flow(&st->meters, flow);
}

/* The flow's references, as sim_flow_removed reads them: entry + 1, 0 for none. */
static void
sim_flow_hold(struct sim_thread *st, struct flow *f, const struct sim_result *res)
{
	unsigned int i;

	memcpy(f->meters, res->meters, res->n_meters * sizeof(res->meters[0]));
	f->n_meters = res->n_meters;
	if (res->mac_entry != MAC_NO_ENTRY)
		mac_table_ref(st->macs, res->mac_entry);
	for (i = 0; i < res->n_ct_entries && st->ct != NULL; i++) {
		f->owner_state[i] = res->ct_entries[i] + 1;
		conntrack_ref(st->ct, res->ct_entries[i]);
	}
}

static void
sim_ct_expired(void *arg, const struct ct_key *key)
{
	struct sim_thread *st = arg;

	st->stats.ct_expired++;
	st->stats.invalidations++;
	flow_cache_invalidate_tag(st->cache, tag_conntrack(ct_key_hash(key)));
}

static void
sim_mac_aged(void *arg, uint32_t bridge, const struct rte_ether_addr *mac)
{
	struct sim_thread *st = arg;

	st->stats.mac_aged++;
	st->stats.invalidations++;
	flow_cache_invalidate_tag(st->cache, tag_mac(bridge, mac));
}

const uint32_t flow_setup_bounds_us[FLOW_SETUP_BUCKETS] = {FLOW_SETUP_BOUNDS_US};

/* A flow installed for a packet a worker sent up: how long since that worker's pass. */
static void
flow_setup_observe(struct sim_thread *st, const struct pkt_meta *meta)
{
	struct flow_setup_latency *h = &st->setup;
	uint64_t cycles, ns;
	unsigned int b;

	if (meta->upcall_tsc == 0)
		return;
	cycles = rte_rdtsc() - meta->upcall_tsc;
	ns = cycles / st->tsc_hz * 1000000000ull + cycles % st->tsc_hz * 1000000000ull / st->tsc_hz;
	for (b = 0; b < FLOW_SETUP_BUCKETS && ns > flow_setup_bounds_us[b] * 1000ull; b++)
		;
	/* One writer: plain increments, stored whole for the readers (sim_flow_setup_read). */
	__atomic_store_n(&h->bucket[b], h->bucket[b] + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&h->sum_ns, h->sum_ns + ns, __ATOMIC_RELAXED);
}

void
sim_group_handle(struct sim_thread *st, struct sim_group *g, struct flow *f, uint64_t now)
{
	struct rte_mbuf *lead = g->pkts[0];
	const struct pkt_meta *meta = pkt_meta(lead);
	struct sim_result res;
	uint16_t i;

	/*
	 * Installed after the worker missed (an earlier burst): reuse it, simulate
	 * nothing.  Not for a packet a flow's own check sent up: that flow is
	 * exactly what cannot handle it; not for a packet a tracer wants.  f is
	 * the burst's lookup (sim_thread_poll), unless an earlier group of the
	 * burst may have installed the key since.
	 */
	if (meta->upcall_reason != UPCALL_ACTION &&
	    (st->trace.n_tracers == 0 || !trace_wanted(&st->trace, &meta->key))) {
		if (g->key_seen_before)
			f = flow_cache_lookup(st->cache, &meta->key, meta->hash);
		if (f != NULL) {
			st->stats.reused_flow += g->n;
			sim_meter_group(st, f->meters, f->n_meters, g);
			sim_send_group(st, &f->actions, g);
			return;
		}
	}
	st->stats.simulated++;
	st->stats.queued_behind += g->n - 1;
	sim_packet(st, lead, now, &res);
	if (res.need_state) {
		/* Nothing decided: the walk waits for the store's answer (sim/shared_state.h). */
		if (sim_state_after_walk(st, g, &res, now))
			return;
		/* Not parked (no slot free): walked again, the misses standing. */
		st->shared->asks_off = true;
		sim_packet(st, lead, now, &res);
		st->shared->asks_off = false;
	}
	if (res.cacheable && meta->upcall_reason != UPCALL_ACTION) {
		uint64_t mac = res.mac_entry == MAC_NO_ENTRY ? 0 : (uint64_t)res.mac_entry + 1;

		f = flow_cache_insert(st->cache, &meta->key, meta->hash, &res.actions, res.tags,
				      res.n_tags, mac);
		if (f != NULL) {
			st->stats.installed++;
			sim_flow_hold(st, f, &res);
			flow_explain_keep(f, &res.explain, st->topo->version);
			flow_setup_observe(st, meta);
		} else {
			st->stats.install_failed++;
		}
	}
	/* Its new state is written behind; the group may wait until it is stored. */
	if (st->shared != NULL && sim_state_to_write(&res) && sim_state_after_walk(st, g, &res, now))
		return;
	if (res.cacheable) {
		sim_meter_group(st, res.meters, res.n_meters, g);
		sim_send_group(st, &res.actions, g);
		return;
	}
	/*
	 * A result that may not be cached depends on more than the key (TTL,
	 * length, an answer to make, a next hop to wait for): the followers are
	 * walked one by one, each getting its own answer.
	 */
	for (i = 0; i < g->n; i++) {
		if (i > 0) {
			sim_packet(st, g->pkts[i], now, &res);
			if (st->shared != NULL && (res.need_state || sim_state_to_write(&res))) {
				struct sim_group one = {.pkts = {g->pkts[i]}, .n = 1};

				if (sim_state_after_walk(st, &one, &res, now))
					continue;
				if (res.need_state) {
					st->shared->asks_off = true;
					sim_packet(st, g->pkts[i], now, &res);
					st->shared->asks_off = false;
				}
			}
		}
		/* One that waits for a next hop is walked, and counted, again when it goes. */
		if (!res.consumed)
			meter_count(&st->meters, res.meters, res.n_meters, 1,
				    rte_pktmbuf_pkt_len(g->pkts[i]));
		sim_send_one(st, g->pkts[i], &res);
	}
}

static void sim_take_topology(struct sim_thread *st);

unsigned int
sim_thread_poll(struct sim_thread *st)
{
	struct rte_mbuf *pkts[SIM_BURST];
	struct sim_group groups[SIM_BURST];
	const struct flow_key *keys[SIM_BURST];
	struct flow *installed[SIM_BURST];
	uint32_t hashes[SIM_BURST];
	uint16_t n_groups = 0, i, j;
	uint64_t now = rte_get_tsc_cycles(), found;
	unsigned int n, resumed;
	bool seen;

	/* A new snapshot is taken between bursts, so that no walk holds the old one. */
	sim_take_topology(st);
	/* Packets woken by answers go first: they have waited longest. */
	resumed = sim_waiting_room_run(st, now);
	n = rte_ring_sc_dequeue_burst(st->upcall->to_sim[st->index], (void **)pkts, SIM_BURST, NULL);
	st->stats.upcalls += n;
	for (i = 0; i < n; i++) {
		struct pkt_meta *meta = pkt_meta(pkts[i]);

		/*
		 * Same key and reason as an earlier packet of the burst? Queue
		 * behind it, in arrival order.  A packet sent up by a flow's check
		 * is walked on its own: its TTL or length is what differs.
		 */
		seen = false;
		for (j = 0; j < n_groups; j++) {
			const struct pkt_meta *lead = pkt_meta(groups[j].pkts[0]);

			if (lead->hash != meta->hash ||
			    memcmp(&lead->key, &meta->key, sizeof(meta->key)) != 0)
				continue;
			seen = true;
			if (meta->upcall_reason != UPCALL_ACTION &&
			    lead->upcall_reason == meta->upcall_reason)
				break;
		}
		if (j == n_groups) {
			groups[n_groups].n = 0;
			groups[n_groups].key_seen_before = seen;
			n_groups++;
		}
		if (groups[j].n == SIM_MAX_QUEUED_PER_KEY) {
			struct upcall_hold hold = upcall_hold_of(meta);

			st->stats.drops[DROP_UPCALL_QUEUE_FULL]++;
			sim_release_tokens(st, &hold);
			rte_pktmbuf_free(pkts[i]);
			continue;
		}
		groups[j].pkts[groups[j].n++] = pkts[i];
	}
	/*
	 * Whether each key was installed after its worker missed, asked for the
	 * whole burst at once: the bulk lookup prefetches every bucket before it
	 * compares, where one lookup per group waits on a cold bucket each time
	 * (a fifth of the set-up cost, bench_setup).
	 */
	for (j = 0; j < n_groups; j++)
		keys[j] = &pkt_meta(groups[j].pkts[0])->key;
	found = n_groups ? flow_cache_lookup_burst(st->cache, keys, n_groups, hashes, installed) : 0;
	for (j = 0; j < n_groups; j++)
		sim_group_handle(st, &groups[j], (found >> j & 1) ? installed[j] : NULL, now);
	return n + resumed;
}

static void
sim_housekeeping(struct sim_thread *st)
{
	uint64_t now = rte_get_tsc_cycles();

	flow_cache_expire(st->cache, now, SIM_EXPIRE_BUDGET);
	mac_table_age(st->macs, now, SIM_AGE_BUDGET, sim_mac_aged, st);
	sim_arp_housekeeping(st, now);
	overlay_housekeeping(st, now);
	if (st->ct != NULL)
		conntrack_expire(st->ct, now, SIM_AGE_BUDGET, sim_ct_expired, st);
	st->stats.nat_frag_expired += nat_frag_expire(st->frags, now, SIM_AGE_BUDGET);
	if (st->shared != NULL)
		sim_state_housekeeping(st, now);
}

void
sim_thread_set_topology(struct sim_thread *st, struct topology *t)
{
	struct topology *unused = __atomic_exchange_n(&st->next_topo, t, __ATOMIC_ACQ_REL);

	/* A snapshot the thread never took is superseded. */
	topology_free(unused);
}

/* Between bursts, so no walk holds the old snapshot. */
static void
sim_take_topology(struct sim_thread *st)
{
	struct topology *next = __atomic_exchange_n(&st->next_topo, NULL, __ATOMIC_ACQ_REL);
	struct topology *old = st->topo;
	uint64_t start;
	unsigned int n;
	bool flushed;

	if (next == NULL)
		return;
	start = rte_get_tsc_cycles();
	flow_explain_change_begin(st, next->version);
	n = sim_topology_changed(st, old, next, &flushed);
	flow_explain_change_end(st);
	overlay_topology_changed(st, old, next);
	st->topo = next;
	topology_free(old);
	/* Released: sim_thread_wait_topology's reader then sees the flows gone. */
	__atomic_store_n(&st->stats.topo_version, next->version, __ATOMIC_RELEASE);
	st->stats.topo_changes++;
	st->stats.topo_last_invalidated = n;
	st->stats.topo_last_change_us = (rte_get_tsc_cycles() - start) * 1000000 / rte_get_tsc_hz();
	SIM_LOG(INFO, "topology version %" PRIu64 ": %u flow(s) invalidated%s in %" PRIu64 " us",
		next->version, n, flushed ? " (objects moved: all learned state dropped)" : "",
		st->stats.topo_last_change_us);
}

/* A posted call (sim_thread_call): run it, then say it ran. */
static void
sim_serve_call(struct sim_thread *st)
{
	struct sim_call *call = __atomic_exchange_n(&st->call, NULL, __ATOMIC_ACQ_REL);

	if (call == NULL)
		return;
	call->fn(st, call->arg);
	__atomic_store_n(&call->done, true, __ATOMIC_RELEASE);
}

static void *
sim_thread_main(void *arg)
{
	struct sim_thread *st = arg;
	const uint64_t hk_period = rte_get_tsc_hz() / 1000000 * SIM_HOUSEKEEPING_US;
	uint64_t next_hk = rte_get_tsc_cycles() + hk_period;
	struct timespec idle = {.tv_sec = 0, .tv_nsec = SIM_IDLE_SLEEP_US * 1000};

	while (!__atomic_load_n(&st->quit, __ATOMIC_ACQUIRE)) {
		unsigned int n = sim_thread_poll(st);

		if (st->shared != NULL)
			n += sim_state_poll(st, rte_get_tsc_cycles());
		sim_serve_call(st);
		if (rte_get_tsc_cycles() >= next_hk) {
			sim_housekeeping(st);
			next_hk = rte_get_tsc_cycles() + hk_period;
		}
		if (n == 0)
			nanosleep(&idle, NULL);
		/* A plain store: this thread is the only writer, a reader needs no exact count. */
		__atomic_store_n(&st->heartbeat, st->heartbeat + 1, __ATOMIC_RELAXED);
	}
	/* Whatever is still queued gets its answer before the workers stop. */
	while (sim_thread_poll(st) != 0)
		;
	/* A caller that posted before seeing this either gets served here or runs its call itself. */
	__atomic_store_n(&st->running, false, __ATOMIC_RELEASE);
	sim_serve_call(st);
	return NULL;
}

struct sim_thread *
sim_thread_create(const struct sim_config *cfg)
{
	char name[RTE_HASH_NAMESIZE];
	struct sim_thread *st;

	if (cfg->upcall == NULL || cfg->cache == NULL || cfg->macs == NULL || cfg->arps == NULL ||
	    cfg->pool == NULL || cfg->topo == NULL || cfg->index >= cfg->upcall->n_sim) {
		rte_errno = EINVAL;
		return NULL;
	}
	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	st->index = cfg->index;
	st->upcall = cfg->upcall;
	st->cache = cfg->cache;
	st->macs = cfg->macs;
	st->arps = cfg->arps;
	st->ct = cfg->ct;
	st->pool = cfg->pool;
	st->tsc_hz = rte_get_tsc_hz();
	st->parse.vxlan_udp_port = cfg->vxlan_udp_port;
	st->overlay = cfg->overlay;
	st->shared = cfg->shared;
	st->dump_fn = cfg->dump_fn;
	st->dump_arg = cfg->dump_arg;
	snprintf(name, sizeof(name), "natfrag%u", cfg->index);
	st->waiting = waiting_room_create();
	st->frags = nat_frag_table_create(name, NAT_FRAG_TABLE_SIZE, NAT_FRAG_TIMEOUT_S,
					  (int)rte_socket_id());
	if (st->waiting == NULL || st->frags == NULL || flow_explain_init(st) != 0) {
		waiting_room_destroy(st->waiting);
		nat_frag_table_destroy(st->frags);
		flow_explain_free(st);
		free(st);
		rte_errno = ENOMEM;
		return NULL;
	}
	st->topo = cfg->topo;
	st->stats.topo_version = cfg->topo->version;
	pthread_mutex_init(&st->call_lock, NULL);
	/* Flows keep MAC, connection and NAT entries alive; their removal lets them age. */
	flow_cache_set_removed_cb(st->cache, sim_flow_removed, st);
	/* The first snapshot's peers and receive table, before any worker runs. */
	if (st->overlay != NULL)
		overlay_topology_changed(st, NULL, st->topo);
	return st;
}

void
sim_thread_destroy(struct sim_thread *st)
{
	if (st == NULL)
		return;
	flow_cache_set_removed_cb(st->cache, NULL, NULL);
	waiting_room_destroy(st->waiting);
	nat_frag_table_destroy(st->frags);
	sim_shared_destroy(st->shared);
	topology_free(st->topo);
	topology_free(st->next_topo);
	trace_state_free(&st->trace);
	meter_registry_free(&st->meters);
	flow_explain_free(st);
	pthread_mutex_destroy(&st->call_lock);
	free(st);
}

struct trace_state *
sim_thread_trace(struct sim_thread *st)
{
	return &st->trace;
}

struct meter_registry *
sim_thread_meters(struct sim_thread *st)
{
	return &st->meters;
}

struct flow_cache *
sim_thread_cache(struct sim_thread *st)
{
	return st->cache;
}

const struct topology *
sim_thread_topology(const struct sim_thread *st)
{
	return st->topo;
}

uint64_t
sim_thread_heartbeat(const struct sim_thread *st)
{
	return __atomic_load_n(&st->heartbeat, __ATOMIC_RELAXED);
}

void
sim_waiting_stats_read(const struct sim_thread *st, struct waiting_room_stats *out)
{
	const uint64_t *src = (const uint64_t *)&st->waiting->stats;
	uint64_t *dst = (uint64_t *)out;
	size_t i;

	for (i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

const struct sim_shared *
sim_thread_shared(const struct sim_thread *st)
{
	return st->shared;
}

int
sim_thread_start(struct sim_thread *st)
{
	char name[RTE_MAX_THREAD_NAME_LEN];

	int ret;

	snprintf(name, sizeof(name), "kairo-sim%u", st->index);
	__atomic_store_n(&st->running, true, __ATOMIC_RELEASE);
	/* A control thread: it runs on the cores EAL leaves to control work, never on a worker lcore. */
	ret = rte_ctrl_thread_create(&st->thread, name, NULL, sim_thread_main, st);
	if (ret != 0)
		__atomic_store_n(&st->running, false, __ATOMIC_RELEASE);
	return ret;
}

void
sim_thread_stop(struct sim_thread *st)
{
	__atomic_store_n(&st->quit, true, __ATOMIC_RELEASE);
	pthread_join(st->thread, NULL);
}

int
sim_thread_wait_topology(const struct sim_thread *st, uint64_t version, unsigned int timeout_ms)
{
	const struct timespec wait = {.tv_sec = 0, .tv_nsec = 200000};
	unsigned int waited_us = 0;

	/* topo_version is written after the diff's invalidations (sim_take_topology). */
	while (__atomic_load_n(&st->running, __ATOMIC_ACQUIRE) &&
	       __atomic_load_n(&st->stats.topo_version, __ATOMIC_ACQUIRE) < version) {
		if (waited_us >= timeout_ms * 1000u)
			return -ETIMEDOUT;
		nanosleep(&wait, NULL);
		waited_us += 200;
	}
	return 0;
}

void
sim_thread_call(struct sim_thread *st, void (*fn)(struct sim_thread *st, void *arg), void *arg)
{
	struct timespec wait = {.tv_sec = 0, .tv_nsec = 200000};
	struct sim_call call = {.fn = fn, .arg = arg, .done = false};
	struct sim_call *posted = &call;

	if (!__atomic_load_n(&st->running, __ATOMIC_ACQUIRE)) {
		/* No thread (tests) or it has stopped: nobody else walks the cache now. */
		fn(st, arg);
		return;
	}
	pthread_mutex_lock(&st->call_lock);
	__atomic_store_n(&st->call, posted, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&call.done, __ATOMIC_ACQUIRE)) {
		/*
		 * The thread stopped before taking the call: take it back and run
		 * it here.  If the exchange fails the thread took it and will say
		 * when it is done.
		 */
		if (!__atomic_load_n(&st->running, __ATOMIC_ACQUIRE) &&
		    __atomic_compare_exchange_n(&st->call, &posted, NULL, false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE)) {
			fn(st, arg);
			break;
		}
		posted = &call;
		nanosleep(&wait, NULL);
	}
	pthread_mutex_unlock(&st->call_lock);
}

static void
sim_call_dump(struct sim_thread *st, void *arg)
{
	st->dump_fn(st->dump_arg, arg);
}

void
sim_thread_request_dump(struct sim_thread *st, FILE *out)
{
	sim_thread_call(st, sim_call_dump, out);
}

static bool
flow_key_traced(const struct flow_key *key, void *arg)
{
	return trace_spec_match(arg, key);
}

int
sim_trace_add(struct sim_thread *st, const struct trace_spec *spec)
{
	struct trace_spec match = *spec;
	int id = trace_add(&st->trace, spec);

	/* Its packets would otherwise hit their flows and never reach a tracer. */
	if (id > 0)
		flow_cache_remove_matching(st->cache, flow_key_traced, &match,
					   FLOW_REMOVED_INVALIDATED);
	return id;
}

void
sim_flow_setup_read(const struct sim_thread *st, struct flow_setup_latency *out)
{
	const uint64_t *src = (const uint64_t *)&st->setup;
	uint64_t *dst = (uint64_t *)out;
	size_t i;

	for (i = 0; i < sizeof(st->setup) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

void
sim_stats_read(const struct sim_thread *st, struct sim_stats *out)
{
	const uint64_t *src = (const uint64_t *)&st->stats;
	uint64_t *dst = (uint64_t *)out;
	size_t i;

	for (i = 0; i < sizeof(st->stats) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}
