/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The contract between the fast path (worker lcores) and the slow path (the
 * simulation thread).  Everything that crosses between them is here.
 *
 * Worker -> simulation: a packet whose key missed the flow cache.
 *   1. The worker parsed it: pkt_meta(m)->key, ->hash and the offsets are
 *      valid, ->worker names the worker that received it.
 *   2. The worker took one token from the global bucket and one from the
 *      ingress port's bucket (upcall_admit).  A miss that finds either bucket
 *      empty is dropped and counted (DROP_ADMISSION_*), as MidoNet's
 *      hierarchical token bucket does: a flood of new flows from one VM port
 *      cannot starve the slow path for the others.
 *   3. The worker enqueues the mbuf on to_sim[hash % n_sim] (multi-producer).
 *      Sharding by hash keeps every packet of one key on one simulation
 *      thread, in order, so a key is never simulated twice at once.
 *
 * The simulation thread then owns the mbuf.  For each packet it must:
 *   - simulate it, or, if packets with the same key are already queued in the
 *     same burst or the key was installed meanwhile, reuse that result: a
 *     second miss waits behind the first instead of being simulated again;
 *   - install the resulting flow in the flow cache (it is the cache's only
 *     writer) unless the result may not be cached;
 *   - run the actions and hand every packet to send to a worker through
 *     to_worker[meta->worker] with meta->out_port set (the simulation never
 *     touches a TX queue: workers own them);
 *   - return the tokens (upcall_release), whatever happened to the packet.
 *
 * The to_sim rings carry only these worker upcalls.  A packet the simulation
 * holds back (its next hop unresolved, an answer from the state store
 * awaited) waits inside the simulation thread, in its waiting room
 * (sim/waiting_room.h), and is walked again there: it never comes back
 * through a to_sim ring.  Its meta->upcall_reason is then UPCALL_RESUMED
 * when its tokens were already returned.
 *
 * Simulation -> worker: to_worker rings carry ready-to-send packets.  The
 * worker transmits them on meta->out_port without looking them up again.
 * A full ring drops the packet (DROP_INJECT_RING_FULL, counted by the
 * simulation).
 *
 * Tokens are "packets in flight": a bucket's size is the number of packets it
 * lets sit in the slow path at once.  They come back when the simulation is
 * done with the packet, so the refill rate is the simulation's own speed.
 */
#ifndef KAIRO_UPCALL_H
#define KAIRO_UPCALL_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include "drop_reason.h"
#include "flow_cache.h"

#define KAIRO_MAX_SIM_THREADS 4

/* Which bucket a port's misses draw from (MIDONET-MODEL §5, admission control). */
enum port_bucket_kind {
	PORT_BUCKET_VPORT = 0,  /* a VM-facing interface */
	PORT_BUCKET_TUNNEL = 1, /* an uplink / tunnel interface */
};

struct token_bucket {
	int32_t tokens; /* tokens left; taken and returned with atomics */
	int32_t size;
} __rte_cache_aligned;

struct upcall_channel {
	unsigned int n_sim;
	unsigned int n_workers;
	struct rte_ring *to_sim[KAIRO_MAX_SIM_THREADS];
	struct rte_ring *to_worker[KAIRO_MAX_WORKERS];
	struct token_bucket global;
	struct token_bucket port[RTE_MAX_ETHPORTS];
	uint8_t port_kind[RTE_MAX_ETHPORTS]; /* enum port_bucket_kind */
};

struct upcall_channel_config {
	unsigned int n_sim;
	unsigned int n_workers;
	unsigned int ring_size;      /* each to_sim and to_worker ring, a power of two */
	int32_t global_bucket;
	int32_t tunnel_bucket;
	int32_t vport_bucket;
	int socket_id;
};

/* Create the rings; returns NULL with rte_errno set. */
struct upcall_channel *upcall_channel_create(const struct upcall_channel_config *cfg);
void upcall_channel_destroy(struct upcall_channel *uc);
/* About how many bytes of EAL's heap upcall_channel_create(cfg) takes (for refusals). */
uint64_t upcall_channel_memsize(const struct upcall_channel_config *cfg);
/* Say which bucket port draws from, with the configured size for that kind. */
void upcall_channel_set_port(struct upcall_channel *uc, uint16_t port, enum port_bucket_kind kind,
			     const struct upcall_channel_config *cfg);

static inline bool
token_bucket_take(struct token_bucket *b)
{
	if (__atomic_sub_fetch(&b->tokens, 1, __ATOMIC_RELAXED) >= 0)
		return true;
	__atomic_add_fetch(&b->tokens, 1, __ATOMIC_RELAXED);
	return false;
}

static inline void
token_bucket_give(struct token_bucket *b)
{
	__atomic_add_fetch(&b->tokens, 1, __ATOMIC_RELAXED);
}

/*
 * Take the tokens for one miss on port.  Returns 0, or the drop reason that
 * says which bucket was empty.
 */
static inline unsigned int
upcall_admit(struct upcall_channel *uc, uint16_t port)
{
	if (!token_bucket_take(&uc->port[port]))
		return uc->port_kind[port] == PORT_BUCKET_TUNNEL ? DROP_ADMISSION_TUNNEL
								 : DROP_ADMISSION_VPORT;
	if (!token_bucket_take(&uc->global)) {
		token_bucket_give(&uc->port[port]);
		return DROP_ADMISSION_GLOBAL;
	}
	return 0;
}

/* Return the tokens of one admitted miss. */
static inline void
upcall_release(struct upcall_channel *uc, uint16_t port)
{
	token_bucket_give(&uc->global);
	token_bucket_give(&uc->port[port]);
}

static inline unsigned int
upcall_sim_index(const struct upcall_channel *uc, uint32_t hash)
{
	return hash % uc->n_sim;
}

#endif
