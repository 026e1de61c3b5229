/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The workers' poll lists (lcore/worker.h, struct worker_poll_list): which
 * RX queues each worker polls and which ports it may send to.  They are
 * built from the ports in use whenever one comes or goes and swapped in
 * while the workers run: no worker stops, and the other ports' queues stay
 * where they were.
 *
 * A queue is given to a worker once, when its port comes, and stays there:
 * while old and new lists are both in use (until every worker passed a
 * quiescent state), a queue that moved would be polled by two workers at
 * once, which a DPDK RX queue does not allow.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "dataplane.h"

int
dp_poll_assign(struct kairo_dp *dp, struct dp_port *p, char *err, size_t errlen)
{
	unsigned int load[KAIRO_MAX_WORKERS] = {0};
	unsigned int i, w, best;
	uint16_t q;

	if (p->n_rxq > DP_PORT_MAX_RXQ) {
		snprintf(err, errlen, "port \"%s\": %u RX queues, at most %d", p->cfg->name,
			 p->n_rxq, DP_PORT_MAX_RXQ);
		return -EINVAL;
	}
	for (i = 0; i < dp->n_ports; i++) {
		const struct dp_port *o = &dp->ports[i];

		if (!o->in_use || o == p)
			continue;
		for (q = 0; q < o->n_rxq; q++)
			load[o->rxq_worker[q]]++;
	}
	/* The least loaded worker first, the lowest index among equals: round robin at start. */
	for (q = 0; q < p->n_rxq; q++) {
		best = 0;
		for (w = 1; w < dp->n_workers; w++)
			if (load[w] < load[best])
				best = w;
		if (load[best] == WORKER_MAX_RXQ) {
			snprintf(err, errlen, "port \"%s\": worker %u would poll more than %d queues",
				 p->cfg->name, best, WORKER_MAX_RXQ);
			return -ENOSPC;
		}
		p->rxq_worker[q] = (uint8_t)best;
		load[best]++;
	}
	return 0;
}

/* Worker i's list: the queues given to it, and every port in use to send to. */
static void
poll_list_fill(const struct kairo_dp *dp, unsigned int i, struct worker_poll_list *l)
{
	uint16_t s, q;

	for (s = 0; s < dp->n_ports; s++) {
		const struct dp_port *p = &dp->ports[s];
		struct worker_port *wp;

		if (!p->in_use)
			continue;
		for (q = 0; q < p->n_rxq; q++)
			if (p->rxq_worker[q] == i)
				l->rxq[l->n_rxq++] = (struct worker_rxq){.port = p->id, .queue = q};
		wp = &l->port[p->id];
		wp->enabled = true;
		wp->rx_mtu = p->mtu;
		wp->tx_queue = p->shared_tx ? (uint16_t)(i % p->n_txq) : (uint16_t)i;
		wp->tx_lock = p->shared_tx ? (rte_spinlock_t *)&p->tx_lock : NULL;
	}
}

int
dp_poll_publish(struct kairo_dp *dp)
{
	struct worker_poll_list *lists[KAIRO_MAX_WORKERS];
	const struct worker_poll_list *old[KAIRO_MAX_WORKERS];
	unsigned int i;

	/* All or none: a worker never runs on a list that disagrees with the others'. */
	for (i = 0; i < dp->n_workers; i++) {
		lists[i] = rte_zmalloc_socket("poll_list", sizeof(*lists[i]), RTE_CACHE_LINE_SIZE,
					      rte_lcore_to_socket_id(dp->workers[i]->lcore_id));
		if (lists[i] == NULL) {
			while (i-- > 0)
				rte_free(lists[i]);
			return -ENOMEM;
		}
		poll_list_fill(dp, i, lists[i]);
	}
	for (i = 0; i < dp->n_workers; i++)
		old[i] = worker_poll_publish(dp->workers[i], lists[i]);
	/*
	 * Every worker passes a quiescent state after the stores (a sleeping
	 * one is offline and loads the new list when it wakes): none holds an
	 * old list, polls a queue that left it, or sends to a port now disabled.
	 */
	rte_rcu_qsbr_synchronize(flow_cache_qsbr(dp->cache), RTE_QSBR_THRID_INVALID);
	for (i = 0; i < dp->n_workers; i++)
		rte_free((void *)(uintptr_t)old[i]);
	return 0;
}

void
dp_poll_free(struct kairo_dp *dp)
{
	unsigned int i;

	for (i = 0; i < dp->n_workers; i++)
		if (dp->workers[i] != NULL)
			rte_free((void *)(uintptr_t)worker_poll_publish(dp->workers[i], NULL));
}
