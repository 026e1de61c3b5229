/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulation thread: the slow path behind the upcall ring.
 * It runs off the worker lcores (a control thread) and is the flow cache's
 * only writer, so expiry, aging and invalidation run here too.
 */
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "flow_tags.h"
#include "sim.h"

/* Packets of one key in one burst: the first is simulated, the rest wait behind it. */
struct sim_group {
	struct rte_mbuf *pkts[SIM_MAX_QUEUED_PER_KEY];
	uint16_t n;
};

void
sim_flow_removed(void *arg, const struct flow *flow, enum flow_remove_reason why)
{
	struct sim_thread *st = arg;

	RTE_SET_USED(why);
	/* The flow kept its learned MAC alive; once no flow does, the entry starts to age. */
	if (flow->owner_cookie != 0)
		mac_table_unref(st->macs, (uint32_t)(flow->owner_cookie - 1), rte_get_tsc_cycles());
}

static void
sim_mac_aged(void *arg, uint32_t bridge, const struct rte_ether_addr *mac)
{
	struct sim_thread *st = arg;

	st->stats.mac_aged++;
	st->stats.invalidations++;
	flow_cache_invalidate_tag(st->cache, tag_mac(bridge, mac));
}

/* Run acts on every packet of the group and hand the results to the receiving workers. */
static void
sim_send_group(struct sim_thread *st, const struct flow_actions *acts, struct sim_group *g)
{
	struct action_emit emit;
	uint16_t i, j;

	for (i = 0; i < g->n; i++) {
		struct rte_mbuf *m = g->pkts[i];
		struct pkt_meta *meta = pkt_meta(m);
		uint16_t worker = meta->worker;
		uint16_t in_port = meta->key.in_port;
		unsigned int sent;

		emit.n = 0;
		/* A TO_SLOW_PATH-only list here would loop; the simulation never builds one. */
		if (flow_actions_execute(acts, m, st->pool, &emit, st->stats.drops) ==
		    ACTION_SLOW_PATH) {
			st->stats.drops[DROP_FLOW_ACTION_DROP]++;
			rte_pktmbuf_free(m);
		}
		for (j = 0; j < emit.n; j++)
			pkt_meta(emit.pkt[j])->out_port = emit.port[j];
		sent = rte_ring_mp_enqueue_burst(st->upcall->to_worker[worker], (void **)emit.pkt,
						 emit.n, NULL);
		st->stats.injected += sent;
		for (j = sent; j < emit.n; j++) {
			st->stats.drops[DROP_INJECT_RING_FULL]++;
			rte_pktmbuf_free(emit.pkt[j]);
		}
		upcall_release(st->upcall, in_port);
	}
}

static void
sim_handle_group(struct sim_thread *st, struct sim_group *g, uint64_t now)
{
	const struct pkt_meta *meta = pkt_meta(g->pkts[0]);
	struct sim_result res;
	struct flow *f;

	/* Installed after the worker missed (an earlier burst): reuse it, simulate nothing. */
	f = flow_cache_lookup(st->cache, &meta->key, meta->hash);
	if (f != NULL) {
		st->stats.reused_flow += g->n;
		sim_send_group(st, &f->actions, g);
		return;
	}
	st->stats.simulated++;
	st->stats.queued_behind += g->n - 1;
	sim_bridge_packet(st, meta, now, &res);
	if (res.cacheable) {
		uint64_t cookie = res.mac_entry == MAC_NO_ENTRY ? 0 : (uint64_t)res.mac_entry + 1;

		f = flow_cache_insert(st->cache, &meta->key, meta->hash, &res.actions, res.tags,
				      res.n_tags, cookie);
		if (f != NULL) {
			st->stats.installed++;
			if (res.mac_entry != MAC_NO_ENTRY)
				mac_table_ref(st->macs, res.mac_entry);
		} else {
			st->stats.install_failed++;
		}
	}
	sim_send_group(st, &res.actions, g);
}

unsigned int
sim_thread_poll(struct sim_thread *st)
{
	struct rte_mbuf *pkts[SIM_BURST];
	struct sim_group groups[SIM_BURST];
	uint16_t n_groups = 0, i, j;
	uint64_t now = rte_get_tsc_cycles();
	unsigned int n;

	n = rte_ring_sc_dequeue_burst(st->upcall->to_sim[st->index], (void **)pkts, SIM_BURST, NULL);
	st->stats.upcalls += n;
	for (i = 0; i < n; i++) {
		struct pkt_meta *meta = pkt_meta(pkts[i]);

		/* Same key as an earlier packet of the burst? Queue behind it, in arrival order. */
		for (j = 0; j < n_groups; j++) {
			const struct pkt_meta *lead = pkt_meta(groups[j].pkts[0]);

			if (lead->hash == meta->hash &&
			    memcmp(&lead->key, &meta->key, sizeof(meta->key)) == 0)
				break;
		}
		if (j == n_groups) {
			groups[n_groups].n = 0;
			n_groups++;
		}
		if (groups[j].n == SIM_MAX_QUEUED_PER_KEY) {
			st->stats.drops[DROP_UPCALL_QUEUE_FULL]++;
			upcall_release(st->upcall, meta->key.in_port);
			rte_pktmbuf_free(pkts[i]);
			continue;
		}
		groups[j].pkts[groups[j].n++] = pkts[i];
	}
	for (j = 0; j < n_groups; j++)
		sim_handle_group(st, &groups[j], now);
	return n;
}

static void
sim_housekeeping(struct sim_thread *st)
{
	uint64_t now = rte_get_tsc_cycles();

	flow_cache_expire(st->cache, now, SIM_EXPIRE_BUDGET);
	mac_table_age(st->macs, now, SIM_AGE_BUDGET, sim_mac_aged, st);
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
		FILE *dump = __atomic_load_n(&st->dump_request, __ATOMIC_ACQUIRE);

		if (dump != NULL) {
			st->dump_fn(st->dump_arg, dump);
			__atomic_store_n(&st->dump_request, NULL, __ATOMIC_RELEASE);
		}
		if (rte_get_tsc_cycles() >= next_hk) {
			sim_housekeeping(st);
			next_hk = rte_get_tsc_cycles() + hk_period;
		}
		if (n == 0)
			nanosleep(&idle, NULL);
	}
	/* Whatever is still queued gets its answer before the workers stop. */
	while (sim_thread_poll(st) != 0)
		;
	return NULL;
}

int
sim_thread_start(struct sim_thread *st)
{
	char name[RTE_MAX_THREAD_NAME_LEN];

	snprintf(name, sizeof(name), "kairo-sim%u", st->index);
	/* A control thread: it runs on the cores EAL leaves to control work, never on a worker lcore. */
	return rte_ctrl_thread_create(&st->thread, name, NULL, sim_thread_main, st);
}

void
sim_thread_stop(struct sim_thread *st)
{
	__atomic_store_n(&st->quit, true, __ATOMIC_RELEASE);
	pthread_join(st->thread, NULL);
}

void
sim_thread_request_dump(struct sim_thread *st, FILE *out)
{
	struct timespec wait = {.tv_sec = 0, .tv_nsec = 1000000};

	__atomic_store_n(&st->dump_request, out, __ATOMIC_RELEASE);
	while (__atomic_load_n(&st->dump_request, __ATOMIC_ACQUIRE) != NULL)
		nanosleep(&wait, NULL);
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
