/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The waiting room: the one place where packets wait for an answer the
 * simulation asked for, and where they are walked again.  For the
 * simulation files only.
 *
 * A walk that cannot finish without an answer parks what it holds here:
 *   - WAIT_NEIGHBOUR: a router's next hop is unresolved; an ARP request or
 *     neighbour solicitation is out (sim/router.c).  One packet a waiter.
 *   - WAIT_UNDERLAY_NEIGHBOUR: a tunnel peer's underlay next hop is
 *     unresolved (sim/overlay.c).  One packet a waiter.
 *   - WAIT_SHARED_STATE: the walk asked the state store, or the state it
 *     made must be stored before the first packet leaves
 *     (sim/shared_state.c).  A group of packets of one key a waiter.
 *   - WAIT_NAT_FRAGMENT: a later fragment met a stateful NAT rule before its
 *     header fragment went through (sim/nat_frag.h).  One packet a waiter.
 *
 * One bound: WAITING_ROOM_MAX waiters at once, of every kind together; a
 * waiter the room cannot take is refused and its kind decides (drop, or go
 * on with local state).  The kinds' own per-object bounds (ARP_QUEUE_MAX
 * packets per next hop) stay theirs.
 *
 * One timeout rule: every waiter is parked with a deadline, and a waiter
 * still there at its deadline is handed to its kind's give-up handler
 * (router: ICMP unreachable to each sender; underlay: drop; shared state:
 * walk again with the miss standing; NAT fragment: drop).
 *
 * Resumed inside the simulation thread: an answer marks the waiters it
 * wakes ready, in the order they were parked; sim_thread_poll walks the
 * ready ones again before it takes the next burst of misses from the
 * workers.  Nothing goes back through the workers' upcall ring, and a walk
 * in progress never resumes another (an ARP reply walked now wakes packets
 * walked after it).
 *
 * One counter set, waiting_room_stats, by kind.
 *
 * Thread-safety: the simulation thread's only; views read the counters
 * with relaxed loads.
 */
#ifndef KAIRO_WAITING_ROOM_H
#define KAIRO_WAITING_ROOM_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>

#include "sim_walk.h"

/* Waiters at once, all kinds together (a waiter holds one group of packets). */
#define WAITING_ROOM_MAX 1024
/* Keys a shared-state waiter remembers having asked the store for (each at most once). */
#define WAIT_ASKED_MAX 4
#define WAIT_NONE UINT32_MAX

/* What each kind keeps with its waiter, for when it wakes or gives up. */
union wait_context {
	struct {
		uint32_t in_port;             /* where the packet entered the router */
		struct rte_ether_addr from;   /* and from which MAC: the ICMP error's way back */
		bool ipv4;                    /* ARP (else neighbour discovery) */
	} neighbour;
	struct {
		int16_t lease_set;            /* waiting for a block of this SNAT set, or -1 */
		uint8_t n_asked;
		uint64_t asked[WAIT_ASKED_MAX]; /* what its walks asked already */
	} state;
};

struct waiter {
	struct sim_group g;
	uint8_t kind;                 /* enum wait_kind */
	bool used;
	bool ready;                   /* woken: walked again at the next poll */
	uint64_t on;                  /* what it waits for, as its kind names it */
	uint64_t deadline;            /* tsc */
	uint32_t prev, next;          /* the parked list, oldest first (WAIT_NONE ends it) */
	union wait_context ctx;
};

struct waiting_room {
	struct waiter slots[WAITING_ROOM_MAX];
	uint32_t free_list[WAITING_ROOM_MAX];
	uint32_t n_free;
	uint32_t oldest, newest;      /* the parked list, in park order */
	uint32_t ready[WAITING_ROOM_MAX]; /* woken waiters, in wake order */
	uint32_t ready_head, n_ready;
	uint32_t due[WAITING_ROOM_MAX];   /* scratch: the waiters one expiry pass gives up on */
	uint64_t next_deadline;       /* no waiter's deadline is earlier (tsc) */
	struct waiting_room_stats stats;
};

struct waiting_room *waiting_room_create(void);
/* Free the room and every packet still in it. */
void waiting_room_destroy(struct waiting_room *wr);

/*
 * Park g (its packets are the room's from now on) until an answer names
 * (kind, on) or deadline passes.  Returns the waiter's index (a shared-state
 * query carries it back), or -ENOSPC: the room is full, g is still the
 * caller's and is counted refused.  *ctx, if not NULL, is kept with it.
 */
int waiting_room_park(struct waiting_room *wr, enum wait_kind kind, uint64_t on,
		      const struct sim_group *g, uint64_t deadline, const union wait_context *ctx);
/* The waiter at index, if it is parked there for kind and not yet woken; else NULL. */
struct waiter *waiting_room_get(struct waiting_room *wr, enum wait_kind kind, uint32_t index);
/* Mark one waiter ready, or every waiter on (kind, on), oldest first.  Returns the packets. */
unsigned int waiting_room_wake(struct waiting_room *wr, struct waiter *w);
unsigned int waiting_room_wake_on(struct waiting_room *wr, enum wait_kind kind, uint64_t on);
/* Wake, oldest first, every waiter of kind for which wanted(w, arg) says so. */
unsigned int waiting_room_wake_if(struct waiting_room *wr, enum wait_kind kind,
				  bool (*wanted)(struct waiter *w, void *arg), void *arg);
/* Drop (free, uncounted) every waiter of kind: what it waited on no longer exists. */
void waiting_room_forget(struct waiting_room *wr, enum wait_kind kind);
/* Packets parked for kind now. */
static inline uint64_t
waiting_room_count(const struct waiting_room *wr, enum wait_kind kind)
{
	return wr->stats.waiting[kind];
}

/*
 * Simulation thread: hand every waiter past its deadline to its kind's
 * give-up handler, then walk the ready ones again.  Returns the packets
 * that moved (so the thread knows it did work).
 */
unsigned int sim_waiting_room_run(struct sim_thread *st, uint64_t now);

#endif
