/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The worker loop.  Read worker_main() top to bottom: take a new poll list if
 * one was published, poll, parse, look up, act, hand misses up, transmit,
 * report a quiescent state, back off if idle.
 */
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "flow_action.h"
#include "tunnel_decap.h"
#include "tunnel_encap.h"
#include "worker.h"

static inline void
worker_tx_flush(struct worker *w, uint16_t port)
{
	struct worker_txq *q = &w->txq[port];
	uint16_t sent, i;

	if (q->n == 0)
		return;
	/* A shared TX queue (a device with fewer queues than workers) is the only lock here. */
	if (q->lock != NULL)
		rte_spinlock_lock(q->lock);
	sent = rte_eth_tx_burst(port, q->queue, q->pkts, q->n);
	if (q->lock != NULL)
		rte_spinlock_unlock(q->lock);
	w->stats.tx_packets += sent;
	for (i = sent; i < q->n; i++)
		rte_pktmbuf_free(q->pkts[i]);
	w->stats.drops[DROP_TX_FULL] += q->n - sent;
	w->stats.port_tx_dropped[port] += q->n - sent;
	q->n = 0;
	w->tx_pending &= ~(1ULL << port);
}

static inline void
worker_tx(struct worker *w, uint16_t port, struct rte_mbuf *m)
{
	struct worker_txq *q = &w->txq[port];

	if (unlikely(!q->enabled)) {
		/*
		 * A port removed at run time: flows and packets on their way to it
		 * (the simulation's, a tunnel's delivery) until its flows are gone.
		 */
		rte_pktmbuf_free(m);
		w->stats.drops[DROP_PORT_GONE]++;
		return;
	}
	if (q->n == 0)
		w->tx_pending |= 1ULL << port;
	q->pkts[q->n++] = m;
	if (q->n == WORKER_TX_BURST)
		worker_tx_flush(w, port);
}

static inline void
worker_tx_emitted(struct worker *w, struct action_emit *emit)
{
	uint16_t i;

	for (i = 0; i < emit->n; i++)
		worker_tx(w, emit->port[i], emit->pkt[i]);
	emit->n = 0;
}

/* Encapsulate and queue for the uplink; a failure is counted under its reason. */
static inline void
worker_tx_tunnel(struct worker *w, const struct flow_action *a, struct rte_mbuf *m, uint32_t hash)
{
	uint16_t out;
	int reason = tunnel_encap(m, a->tunnel.slot, a->tunnel.key, hash, &out);

	if (unlikely(reason != 0)) {
		w->stats.drops[reason]++;
		rte_pktmbuf_free(m);
		return;
	}
	worker_tx(w, out, m);
}

/*
 * Parse a frame received on port, or name why it is dropped.  Over the
 * port's MTU it is too big, whatever its headers say: it is not parsed, so
 * never called malformed.  The MTU bounds the L3 packet and the tags a frame
 * carries do not count against it, so the exact test waits for l2_len.
 */
static inline int
worker_parse(struct worker *w, struct rte_mbuf *m, uint16_t port, uint32_t mtu,
	     struct pkt_meta *meta)
{
	int reason;

	if (unlikely(rte_pktmbuf_pkt_len(m) > mtu + RX_L2_OVERHEAD_MAX))
		return DROP_RX_TOO_BIG;
	reason = packet_parse(m, port, &w->parse, meta);
	if (reason == 0 && unlikely(rte_pktmbuf_pkt_len(m) - meta->l2_len > mtu))
		return DROP_RX_TOO_BIG;
	return reason;
}

/*
 * Hand the burst's misses to the simulation, one ring operation per shard.
 * now (the pass's TSC) is when they arrived, for the simulation's flow
 * set-up latency.
 */
static void
worker_upcall(struct worker *w, struct rte_mbuf **misses, uint16_t n, uint64_t now)
{
	struct upcall_channel *uc = w->upcall;
	struct rte_mbuf *shard[KAIRO_MAX_SIM_THREADS][WORKER_RX_BURST];
	uint16_t count[KAIRO_MAX_SIM_THREADS] = {0};
	unsigned int s, i, done;

	for (i = 0; i < n; i++) {
		struct pkt_meta *meta = pkt_meta(misses[i]);
		unsigned int reason = upcall_admit_packet(uc, &w->leads, meta);

		meta->upcall_tsc = now;
		if (reason != 0) {
			w->stats.drops[reason]++;
			w->stats.lost++;
			rte_pktmbuf_free(misses[i]);
			continue;
		}
		s = upcall_sim_index(uc, meta->hash);
		shard[s][count[s]++] = misses[i];
	}
	for (s = 0; s < uc->n_sim; s++) {
		if (count[s] == 0)
			continue;
		done = rte_ring_mp_enqueue_burst(uc->to_sim[s], (void **)shard[s], count[s], NULL);
		w->stats.upcalls += done;
		for (i = 0; i < done; i++)
			w->stats.followers += pkt_meta(shard[s][i])->upcall_follower;
		for (i = done; i < count[s]; i++) {
			struct upcall_hold hold = upcall_hold_of(pkt_meta(shard[s][i]));

			/* A lead that never got there: its key's next miss needs tokens again. */
			upcall_hold_release(uc, &hold);
			w->stats.drops[DROP_UPCALL_RING_FULL]++;
			w->stats.lost++;
			rte_pktmbuf_free(shard[s][i]);
		}
	}
}

static void
worker_process_burst(struct worker *w, uint16_t port, struct rte_mbuf **pkts, uint16_t n,
		     uint64_t now)
{
	const struct flow_key *keys[WORKER_RX_BURST];
	struct rte_mbuf *parsed[WORKER_RX_BURST];
	struct rte_mbuf *misses[WORKER_RX_BURST];
	struct flow *flows[WORKER_RX_BURST];
	uint32_t hashes[WORKER_RX_BURST];
	struct action_emit emit;
	uint16_t i, k = 0, n_miss = 0;
	uint64_t hit_mask;
	const uint64_t hits_up_before = w->stats.hits_to_slow_path;
	const bool underlay = port == w->underlay_port;
	const uint32_t mtu = w->rx_mtu[port];

	for (i = 0; i < WORKER_PREFETCH_OFFSET && i < n; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct pkt_meta *meta = pkt_meta(m);
		int reason;

		if (i + WORKER_PREFETCH_OFFSET < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + WORKER_PREFETCH_OFFSET], void *));
		reason = worker_parse(w, m, port, mtu, meta);
		if (unlikely(reason != 0)) {
			w->stats.drops[reason]++;
			rte_pktmbuf_free(m);
			continue;
		}
		/* From another host: delivered where its key says, or on to the cache (VTEP, ARP). */
		if (underlay) {
			emit.n = 0;
			reason = tunnel_decap(m, meta, &w->parse, w->pool, &emit, w->stats.drops);
			if (reason != TUNNEL_DECAP_LOOKUP) {
				if (reason > 0) {
					w->stats.drops[reason]++;
					rte_pktmbuf_free(m);
				}
				worker_tx_emitted(w, &emit);
				continue;
			}
		}
		meta->worker = w->index;
		meta->upcall_reason = UPCALL_MISS;
		keys[k] = &meta->key;
		parsed[k++] = m;
	}
	if (k == 0)
		return;
	/*
	 * The cache hashes the keys as it looks them up, in a second pass over
	 * the burst: the parser writes a key in small stores, and reading it
	 * back at once as 8-byte words defeats store forwarding (a stall per
	 * packet).  A burst later, the stores have reached the cache.  Only a
	 * packet that goes up to the simulation needs its hash kept (upcall
	 * sharding, and the simulation's own lookup and insert).
	 */
	hit_mask = flow_cache_lookup_burst(w->cache, keys, k, hashes, flows);

	/*
	 * Start fetching every hit's flow line now, so that with a large table
	 * the cache misses overlap instead of being paid one after another.
	 */
	for (i = 0; i < k; i++)
		if (hit_mask & (1ULL << i))
			rte_prefetch0(flows[i]);

	emit.n = 0;
	for (i = 0; i < k; i++) {
		struct rte_mbuf *m = parsed[i];
		struct flow *f = flows[i];
		struct flow_stats *fs;

		if (!(hit_mask & (1ULL << i))) {
			pkt_meta(m)->hash = hashes[i];
			misses[n_miss++] = m;
			continue;
		}
		w->stats.hits++;
		fs = flow_stats_slot(f, w->index);
		fs->packets++;
		fs->bytes += rte_pktmbuf_pkt_len(m);
		if (now - f->last_used_tsc > w->used_granularity_tsc)
			__atomic_store_n(&f->last_used_tsc, now, __ATOMIC_RELAXED);
		/* Most flows are unicast: one output, nothing to interpret. */
		if (f->actions.n == 1 && f->actions.a[0].type == FLOW_ACTION_OUTPUT) {
			worker_tx(w, f->actions.a[0].port, m);
			continue;
		}
		/* Into one tunnel, as from a VM to another host: the other common case. */
		if (f->actions.n == 1 && f->actions.a[0].type == FLOW_ACTION_TUNNEL_OUTPUT) {
			worker_tx_tunnel(w, &f->actions.a[0], m, hashes[i]);
			continue;
		}
		/* A tunnel's UDP source port comes from the inner flow's hash. */
		pkt_meta(m)->hash = hashes[i];
		if (unlikely(flow_actions_execute(&f->actions, m, w->pool, &emit,
						  w->stats.drops) == ACTION_SLOW_PATH)) {
			/* A hit whose check failed (TTL, MTU): up for its ICMP error, not a miss. */
			pkt_meta(m)->hash = hashes[i];
			pkt_meta(m)->upcall_reason = UPCALL_ACTION;
			w->stats.hits_to_slow_path++;
			misses[n_miss++] = m;
		}
		if (emit.n > ACTION_EMIT_MAX - FLOW_ACTIONS_MAX)
			worker_tx_emitted(w, &emit);
	}
	worker_tx_emitted(w, &emit);
	if (n_miss != 0) {
		w->stats.misses += n_miss - (w->stats.hits_to_slow_path - hits_up_before);
		worker_upcall(w, misses, n_miss, now);
	}
}

/* Packets the simulation made or released: send them where it said. */
static unsigned int
worker_drain_injected(struct worker *w)
{
	struct rte_mbuf *pkts[WORKER_TX_BURST];
	unsigned int n, i;

	n = rte_ring_sc_dequeue_burst(w->upcall->to_worker[w->index], (void **)pkts,
				      WORKER_TX_BURST, NULL);
	for (i = 0; i < n; i++)
		worker_tx(w, pkt_meta(pkts[i])->out_port, pkts[i]);
	w->stats.injected += n;
	return n;
}

/*
 * A new poll list, at the top of a pass: every TX buffer is empty (flushed at
 * the end of the last pass), so a port's queue, lock and MTU can change under
 * no packet.  A port that came (a DPDK port id may be reused) starts clean.
 */
static void
worker_poll_apply(struct worker *w, const struct worker_poll_list *list)
{
	uint16_t p;

	for (p = 0; p < RTE_MAX_ETHPORTS; p++) {
		const struct worker_port *wp = &list->port[p];
		struct worker_txq *q = &w->txq[p];

		q->enabled = wp->enabled;
		q->queue = wp->tx_queue;
		q->lock = wp->tx_lock;
		w->rx_mtu[p] = wp->rx_mtu;
	}
	w->poll_applied = list;
}

const struct worker_poll_list *
worker_poll_publish(struct worker *w, const struct worker_poll_list *list)
{
	return __atomic_exchange_n(&w->poll, list, __ATOMIC_ACQ_REL);
}

static void
worker_sleep(struct worker *w, uint32_t us)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)us * 1000};

	/* Offline while asleep, so flow memory can be reclaimed without waiting for us. */
	rte_rcu_qsbr_thread_offline(w->qsbr, w->index);
	nanosleep(&ts, NULL);
	rte_rcu_qsbr_thread_online(w->qsbr, w->index);
}

/*
 * The test hook of struct worker_control: no passes while it names this
 * worker.  Offline meanwhile, so that a port added or removed (which waits
 * for every worker's quiescent state) does not hang on the test.
 */
static void
worker_stall(struct worker *w)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = 1000000};

	rte_rcu_qsbr_thread_offline(w->qsbr, w->index);
	while (__atomic_load_n(&w->control->stall, __ATOMIC_RELAXED) == w->index + 1 &&
	       !__atomic_load_n(&w->control->quit, __ATOMIC_RELAXED))
		nanosleep(&ts, NULL);
	rte_rcu_qsbr_thread_online(w->qsbr, w->index);
}

int
worker_main(void *arg)
{
	struct worker *w = arg;
	struct rte_mbuf *pkts[WORKER_RX_BURST];
	uint32_t empty_passes = 0, sleep_us = WORKER_SLEEP_MIN_US, sleep_max;
	uint64_t prev = rte_rdtsc();
	uint16_t i, p;

	w->used_granularity_tsc = rte_get_tsc_hz() / 1000000 * FLOW_USED_GRANULARITY_US;
	rte_rcu_qsbr_thread_register(w->qsbr, w->index);
	rte_rcu_qsbr_thread_online(w->qsbr, w->index);

	while (!__atomic_load_n(&w->control->quit, __ATOMIC_RELAXED)) {
		bool rx_enabled = __atomic_load_n(&w->control->rx_enabled, __ATOMIC_RELAXED);
		/* Held until this pass's quiescent report (struct worker_poll_list). */
		const struct worker_poll_list *poll = __atomic_load_n(&w->poll, __ATOMIC_ACQUIRE);
		unsigned int work = 0;
		uint64_t now;

		if (unlikely(poll != w->poll_applied))
			worker_poll_apply(w, poll);
		if (unlikely(__atomic_load_n(&w->control->stall, __ATOMIC_RELAXED) == w->index + 1))
			worker_stall(w);
		for (i = 0; rx_enabled && i < poll->n_rxq; i++) {
			uint16_t port = poll->rxq[i].port;
			uint16_t n = rte_eth_rx_burst(port, poll->rxq[i].queue, pkts, WORKER_RX_BURST);

			if (n == 0)
				continue;
			w->stats.rx_packets += n;
			work += n;
			worker_process_burst(w, port, pkts, n, prev);
		}
		work += worker_drain_injected(w);
		while (w->tx_pending != 0)
			worker_tx_flush(w, (uint16_t)rte_bsf64(w->tx_pending));

		/* Flows this worker looked up are no longer referenced past this point. */
		rte_rcu_qsbr_quiescent(w->qsbr, w->index);

		w->stats.passes++;
		now = rte_rdtsc();
		if (work != 0) {
			w->stats.busy_passes++;
			w->stats.busy_cycles += now - prev;
			empty_passes = 0;
			sleep_us = WORKER_SLEEP_MIN_US;
		} else if (++empty_passes >= WORKER_IDLE_PASSES_BEFORE_SLEEP) {
			/*
			 * Two cores are shared with the simulation and control
			 * threads: a worker that spins on empty queues starves them.
			 * Sleep, doubling up to sleep_max_us while nothing comes.
			 */
			worker_sleep(w, sleep_us);
			sleep_max = __atomic_load_n(&w->sleep_max_us, __ATOMIC_RELAXED);
			if (sleep_us < sleep_max)
				sleep_us = RTE_MIN(sleep_us * 2, sleep_max);
			else if (sleep_us > sleep_max) /* lowered meanwhile */
				sleep_us = RTE_MAX(sleep_max, (uint32_t)WORKER_SLEEP_MIN_US);
			now = rte_rdtsc();
			w->stats.idle_cycles += now - prev;
		} else {
			w->stats.idle_cycles += now - prev;
		}
		prev = now;
	}
	for (p = 0; p < RTE_MAX_ETHPORTS; p++)
		worker_tx_flush(w, p);
	rte_rcu_qsbr_thread_offline(w->qsbr, w->index);
	rte_rcu_qsbr_thread_unregister(w->qsbr, w->index);
	return 0;
}

void
worker_stats_read(const struct worker *w, struct worker_stats *out)
{
	const uint64_t *src = (const uint64_t *)&w->stats;
	uint64_t *dst = (uint64_t *)out;
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < sizeof(w->stats) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}
