/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulation's side of shared state (sim/state_sync.h has the contract
 * with the store): what the walk writes behind, what it asks for, and the
 * packets that wait for an answer.  For the simulation files only.
 *
 * - Written behind: every connection and NAT binding a walk creates, every
 *   MAC a bridge learns or moves, every IPv4 neighbour a router resolves;
 *   connections and bindings again while flows use them (before their TTL
 *   runs out), and all of them once more after the store comes back.
 * - Asked for: a key the walk misses locally when the packet came in by a
 *   port of a stateful port group; a block of SNAT ports when the blocks
 *   this host holds have no free port.  The walk stops there (the result
 *   says need_state), the packets wait in the waiting room (WAIT_SHARED_STATE),
 *   and are walked again when the answer comes or the wait runs out.
 * - Waited for: the first packet of a connection whose state was created
 *   on a walk through a stateful port group is sent once the store holds
 *   the state, so the answer, wherever it arrives, finds it.
 *
 * With no store configured none of this runs: st->shared is NULL.
 */
#ifndef KAIRO_SHARED_STATE_H
#define KAIRO_SHARED_STATE_H

#include "sim_walk.h"
#include "state_sync.h"
#include "waiting_room.h"

/* Keys one packet may ask for (each at most once): the waiting room keeps them. */
#define SIM_ASKED_MAX WAIT_ASKED_MAX
/* (router, address) pairs this host holds SNAT blocks of. */
#define SIM_LEASE_SETS 64
/* Connections and bindings written again per housekeeping round, at most. */
#define SIM_REFRESH_BUDGET 4096

/* The asked key standing for "a block of this lease set" in a slot's asked list. */
#define SIM_ASKED_LEASE(set) (0x4c45415345000000ull | (set))

struct snat_lease_set {
	uint32_t device;          /* the router (nat_device's value) */
	uint32_t addr;            /* host order */
	bool asking;              /* a lease query is out */
	uint32_t n_owned;
	uint64_t owned[SNAT_BLOCKS / 64];
};

struct sim_shared {
	struct state_sync *sync;
	char host_id[TOPO_ID_LEN];
	uint32_t n_parked;        /* groups in the waiting room for the store now (views) */
	/* During a waiting group's new walk: what it asked already. */
	const union wait_context *resume;
	bool asks_off;            /* a walk that could not be parked: misses stand */
	struct snat_lease_set leases[SIM_LEASE_SETS];
	uint32_t n_leases;
	uint64_t resync_since;    /* tsc: entries written before this are written again */
	uint64_t refresh_tsc;     /* write an entry in use again after this long */
	uint64_t wait_tsc;
	/* The pass writing this host's learned MACs again (refresh_macs). */
	uint32_t mac_cursor;
	uint64_t mac_refresh_at;  /* tsc: the next pass begins */
	uint64_t mac_pass_began;
	struct state_sync_stats stats;
};

struct sim_shared *sim_shared_create(struct state_sync *sync, const char *host_id);
void sim_shared_destroy(struct sim_shared *sh);

/*
 * The walk missed key locally: ask the store?  True when asked (the result
 * now says need_state and the walk must stop); false when the miss stands.
 */
bool sim_state_ask(struct sim_ctx *c, const struct ct_key *key);
bool sim_state_ask_mac(struct sim_ctx *c, const struct topo_bridge *b,
		       const struct rte_ether_addr *mac);
bool sim_state_ask_arp(struct sim_ctx *c, const struct topo_router *r, const struct topo_port *out,
		       rte_be32_t ip);
/* The walk created a connection or binding entry: written when the walk is done. */
void sim_state_created(struct sim_ctx *c, uint32_t entry);
/* A bridge learned (or moved) a MAC; a router resolved an IPv4 neighbour. */
void sim_state_mac(struct sim_ctx *c, const struct topo_bridge *b, const struct rte_ether_addr *mac,
		   const struct topo_port *port);
void sim_state_arp(struct sim_ctx *c, const struct topo_router *r, rte_be32_t ip,
		   const struct rte_ether_addr *mac);

/*
 * A port for a dynamic SNAT binding of t to r's targets, from the blocks this
 * host holds: 0 with *addr / *port set, -EAGAIN when a block was asked for
 * (the walk must stop), -ENOSPC when none can be had.  free_fn says whether
 * a candidate is free.
 */
int sim_state_snat_pick(struct sim_ctx *c, const struct topo_rule *r, const struct ct_key *t,
			bool (*free_fn)(struct sim_ctx *c, const struct ct_key *t, rte_be32_t addr,
					uint16_t port),
			rte_be32_t *addr, uint16_t *port);

/*
 * After a walk (sim_thread.c): write what it created; park the group when
 * the walk needs an answer (need_state) or its state must be stored first.
 * True when the group was parked: nothing is to be sent now.
 */
bool sim_state_after_walk(struct sim_thread *st, struct sim_group *g, const struct sim_result *res,
			  uint64_t now);
/* Answers from the store: wake the groups waiting for them (sim/waiting_room.h). */
unsigned int sim_state_poll(struct sim_thread *st, uint64_t now);
/* The waiting room's handlers for WAIT_SHARED_STATE: walk again, after an answer or without. */
void sim_state_resume(struct sim_thread *st, struct waiter *w, uint64_t now);
void sim_state_wait_expired(struct sim_thread *st, struct waiter *w, uint64_t now);

/* Has the walk state to write behind (sim_state_after_walk)? */
static inline bool
sim_state_to_write(const struct sim_result *res)
{
	return res->n_created > 0 || res->mac_shared;
}
/* Write again what flows still use (simulation thread, housekeeping). */
void sim_state_housekeeping(struct sim_thread *st, uint64_t now);

#endif
