/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The waiting room (sim/waiting_room.h): packets that wait for an answer,
 * their deadlines, and their second walk.
 *
 * Waiters live in a fixed array with a free list; the parked ones are also
 * on a list in park order, so that an answer that wakes several (every
 * packet waiting on one next hop) sends them on in the order they came, and
 * a TCP stream behind an ARP request does not leave reordered.  Waking scans
 * that list: answers are rare next to packets, and the list is short.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "nat_frag.h"
#include "overlay.h"
#include "router.h"
#include "shared_state.h"
#include "waiting_room.h"

const char *const wait_kind_names[WAIT_KIND_COUNT] = {
	[WAIT_NEIGHBOUR] = "neighbour",
	[WAIT_UNDERLAY_NEIGHBOUR] = "underlay_neighbour",
	[WAIT_SHARED_STATE] = "shared_state",
	[WAIT_NAT_FRAGMENT] = "nat_fragment",
};

struct waiting_room *
waiting_room_create(void)
{
	struct waiting_room *wr = calloc(1, sizeof(*wr));
	uint32_t i;

	if (wr == NULL)
		return NULL;
	/* Lowest index first: the free list is a stack, popped from its end. */
	for (i = 0; i < WAITING_ROOM_MAX; i++)
		wr->free_list[i] = WAITING_ROOM_MAX - 1 - i;
	wr->n_free = WAITING_ROOM_MAX;
	wr->oldest = wr->newest = WAIT_NONE;
	wr->next_deadline = UINT64_MAX;
	return wr;
}

void
waiting_room_destroy(struct waiting_room *wr)
{
	uint32_t i;

	if (wr == NULL)
		return;
	for (i = 0; i < WAITING_ROOM_MAX; i++)
		if (wr->slots[i].used)
			rte_pktmbuf_free_bulk(wr->slots[i].g.pkts, wr->slots[i].g.n);
	free(wr);
}

static void
gauge_add(struct waiting_room *wr, uint8_t kind, int64_t n)
{
	__atomic_store_n(&wr->stats.waiting[kind], wr->stats.waiting[kind] + (uint64_t)n,
			 __ATOMIC_RELAXED);
}

static void
count(uint64_t *counter, uint64_t n)
{
	__atomic_store_n(counter, *counter + n, __ATOMIC_RELAXED);
}

int
waiting_room_park(struct waiting_room *wr, enum wait_kind kind, uint64_t on,
		  const struct sim_group *g, uint64_t deadline, const union wait_context *ctx)
{
	struct waiter *w;
	uint32_t i;

	if (wr->n_free == 0) {
		count(&wr->stats.refused[kind], g->n);
		return -ENOSPC;
	}
	i = wr->free_list[--wr->n_free];
	w = &wr->slots[i];
	w->g = *g;
	/* An earlier walk may have installed its flow by the time it is walked again. */
	w->g.key_seen_before = true;
	w->kind = (uint8_t)kind;
	w->used = true;
	w->ready = false;
	w->on = on;
	w->deadline = deadline;
	if (ctx != NULL)
		w->ctx = *ctx;
	else
		memset(&w->ctx, 0, sizeof(w->ctx));
	w->next = WAIT_NONE;
	w->prev = wr->newest;
	if (wr->newest != WAIT_NONE)
		wr->slots[wr->newest].next = i;
	else
		wr->oldest = i;
	wr->newest = i;
	if (deadline < wr->next_deadline)
		wr->next_deadline = deadline;
	count(&wr->stats.parked[kind], g->n);
	gauge_add(wr, kind, g->n);
	return (int)i;
}

struct waiter *
waiting_room_get(struct waiting_room *wr, enum wait_kind kind, uint32_t index)
{
	struct waiter *w;

	if (index >= WAITING_ROOM_MAX)
		return NULL;
	w = &wr->slots[index];
	return w->used && !w->ready && w->kind == kind ? w : NULL;
}

/* Off the parked list (woken, or given up on); the slot stays taken. */
static void
unlink_parked(struct waiting_room *wr, struct waiter *w)
{
	if (w->prev != WAIT_NONE)
		wr->slots[w->prev].next = w->next;
	else
		wr->oldest = w->next;
	if (w->next != WAIT_NONE)
		wr->slots[w->next].prev = w->prev;
	else
		wr->newest = w->prev;
	gauge_add(wr, w->kind, -(int64_t)w->g.n);
}

static void
release_slot(struct waiting_room *wr, struct waiter *w)
{
	w->used = false;
	w->ready = false;
	wr->free_list[wr->n_free++] = (uint32_t)(w - wr->slots);
}

unsigned int
waiting_room_wake(struct waiting_room *wr, struct waiter *w)
{
	unlink_parked(wr, w);
	w->ready = true;
	/* Never more ready than slots: the FIFO cannot overflow. */
	wr->ready[(wr->ready_head + wr->n_ready) % WAITING_ROOM_MAX] = (uint32_t)(w - wr->slots);
	wr->n_ready++;
	return w->g.n;
}

unsigned int
waiting_room_wake_if(struct waiting_room *wr, enum wait_kind kind,
		     bool (*wanted)(struct waiter *w, void *arg), void *arg)
{
	unsigned int n = 0;
	uint32_t i, next;

	if (wr->stats.waiting[kind] == 0)
		return 0;
	for (i = wr->oldest; i != WAIT_NONE; i = next) {
		struct waiter *w = &wr->slots[i];

		next = w->next;
		if (w->kind == kind && wanted(w, arg))
			n += waiting_room_wake(wr, w);
	}
	return n;
}

static bool
waits_on(struct waiter *w, void *arg)
{
	return w->on == *(const uint64_t *)arg;
}

unsigned int
waiting_room_wake_on(struct waiting_room *wr, enum wait_kind kind, uint64_t on)
{
	return waiting_room_wake_if(wr, kind, waits_on, &on);
}

void
waiting_room_forget(struct waiting_room *wr, enum wait_kind kind)
{
	uint32_t i, next;

	for (i = wr->oldest; i != WAIT_NONE; i = next) {
		struct waiter *w = &wr->slots[i];

		next = w->next;
		if (w->kind != kind)
			continue;
		unlink_parked(wr, w);
		rte_pktmbuf_free_bulk(w->g.pkts, w->g.n);
		release_slot(wr, w);
	}
}

/* What each kind does with a waiter its answer never came for. */
static void
give_up(struct sim_thread *st, struct waiter *w, uint64_t now)
{
	switch (w->kind) {
	case WAIT_NEIGHBOUR:
		router_wait_expired(st, w, now);
		break;
	case WAIT_UNDERLAY_NEIGHBOUR:
		st->stats.drops[DROP_TUNNEL_UNRESOLVED] += w->g.n;
		rte_pktmbuf_free_bulk(w->g.pkts, w->g.n);
		break;
	case WAIT_SHARED_STATE:
		sim_state_wait_expired(st, w, now);
		break;
	case WAIT_NAT_FRAGMENT:
		nat_frag_wait_expired(st, w);
		break;
	}
}

/*
 * Give up on every waiter past its deadline; the next deadline is the
 * earliest left.  Those due are taken off the list first and handled after:
 * a handler's walk may wake or park others, and must not meet a list being
 * walked.
 */
static unsigned int
expire(struct sim_thread *st, uint64_t now)
{
	struct waiting_room *wr = st->waiting;
	uint64_t next_deadline = UINT64_MAX;
	uint32_t i, next, n_due = 0, k;
	unsigned int n = 0;

	for (i = wr->oldest; i != WAIT_NONE; i = next) {
		struct waiter *w = &wr->slots[i];

		next = w->next;
		if (now < w->deadline) {
			next_deadline = RTE_MIN(next_deadline, w->deadline);
			continue;
		}
		unlink_parked(wr, w);
		wr->due[n_due++] = i;
	}
	wr->next_deadline = next_deadline;
	for (k = 0; k < n_due; k++) {
		struct waiter *w = &wr->slots[wr->due[k]], gone = *w;

		/* Its slot is free first: the handler may park the packets again. */
		release_slot(wr, w);
		count(&wr->stats.timed_out[gone.kind], gone.g.n);
		n += gone.g.n;
		give_up(st, &gone, now);
	}
	return n;
}

unsigned int
sim_waiting_room_run(struct sim_thread *st, uint64_t now)
{
	struct waiting_room *wr = st->waiting;
	unsigned int n = 0, todo;
	uint16_t k;

	if (now >= wr->next_deadline)
		n += expire(st, now);
	/* Those woken by these walks wait for the next pass: each pass is bounded. */
	for (todo = wr->n_ready; todo > 0; todo--) {
		struct waiter *w = &wr->slots[wr->ready[wr->ready_head]], resumed;

		wr->ready_head = (wr->ready_head + 1) % WAITING_ROOM_MAX;
		wr->n_ready--;
		resumed = *w;
		release_slot(wr, w);
		count(&wr->stats.resumed[resumed.kind], resumed.g.n);
		n += resumed.g.n;
		if (resumed.kind == WAIT_SHARED_STATE) {
			/* Its packets held their admission tokens while they waited. */
			sim_state_resume(st, &resumed, now);
			continue;
		}
		/* A next hop's packets gave their tokens back when they were parked (sim_send_one). */
		for (k = 0; k < resumed.g.n; k++)
			pkt_meta(resumed.g.pkts[k])->upcall_reason = UPCALL_RESUMED;
		sim_group_handle(st, &resumed.g, NULL, now);
	}
	return n;
}
