/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where the simulation's packets leave it: every packet it decided on (a
 * walked group, a packet resumed from the waiting room, a packet it made:
 * ARP, ND, ICMP, TCP RST, floods) runs its actions here and is handed to a
 * worker through that worker's to_worker ring (the simulation never touches
 * a TX queue), and the admission tokens it took come back here.
 */
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "meter.h"
#include "nat.h"
#include "sim_walk.h"

void
sim_execute_and_send(struct sim_thread *st, const struct flow_actions *acts, struct rte_mbuf *m,
		     uint16_t worker)
{
	struct action_emit emit;
	unsigned int sent, j;

	emit.n = 0;
	/* A list that sends the packet up again would loop; the simulation never builds one. */
	if (flow_actions_execute(acts, m, st->pool, &emit, st->stats.drops) == ACTION_SLOW_PATH) {
		st->stats.drops[DROP_FLOW_ACTION_DROP]++;
		rte_pktmbuf_free(m);
	}
	for (j = 0; j < emit.n; j++)
		pkt_meta(emit.pkt[j])->out_port = emit.port[j];
	sent = rte_ring_mp_enqueue_burst(st->upcall->to_worker[worker], (void **)emit.pkt, emit.n,
					 NULL);
	st->stats.injected += sent;
	for (j = sent; j < emit.n; j++) {
		st->stats.drops[DROP_INJECT_RING_FULL]++;
		rte_pktmbuf_free(emit.pkt[j]);
	}
}

/*
 * Give back what a packet took from the admission buckets (a resumed one or
 * a follower holds nothing), and end its lead (pipeline/upcall.h).
 */
void
sim_release_tokens(struct sim_thread *st, const struct upcall_hold *hold)
{
	upcall_hold_release(st->upcall, hold);
}

/* Run acts on every packet of the group and hand the results to the receiving workers. */
void
sim_send_group(struct sim_thread *st, const struct flow_actions *acts, struct sim_group *g)
{
	uint16_t i;

	for (i = 0; i < g->n; i++) {
		struct rte_mbuf *m = g->pkts[i];
		const struct pkt_meta *meta = pkt_meta(m);
		struct upcall_hold hold = upcall_hold_of(meta);

		sim_execute_and_send(st, acts, m, meta->worker);
		sim_release_tokens(st, &hold);
	}
}

/* Send one walked packet unless the walk kept it, and return its tokens. */
void
sim_send_one(struct sim_thread *st, struct rte_mbuf *m, const struct sim_result *res)
{
	const struct pkt_meta *meta = pkt_meta(m);
	struct upcall_hold hold = upcall_hold_of(meta);

	if (!res->consumed) {
		if (res->icmp_inner_nat) {
			nat_icmp_inner_write(m, res);
			st->stats.nat_icmp_errors++;
		}
		sim_execute_and_send(st, &res->actions, m, hold.worker);
	}
	sim_release_tokens(st, &hold);
}

/* Packets the slow path sends itself: no flow counter sees them, their meters count them now. */
void
sim_meter_group(struct sim_thread *st, const uint16_t *meters, uint8_t n_meters,
		const struct sim_group *g)
{
	uint64_t bytes = 0;
	uint16_t i;

	if (n_meters == 0)
		return;
	for (i = 0; i < g->n; i++)
		bytes += rte_pktmbuf_pkt_len(g->pkts[i]);
	meter_count(&st->meters, meters, n_meters, g->n, bytes);
}

