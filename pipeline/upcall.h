/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The contract between the fast path (worker lcores) and the slow path (the
 * simulation thread).  Everything that crosses between them is here.
 *
 * Worker -> simulation: a packet whose key missed the flow cache.
 *   1. The worker parsed it: pkt_meta(m)->key, ->hash and the offsets are
 *      valid, ->worker names the worker that received it.
 *   2. Admission (upcall_admit_packet): the packet either takes one token
 *      from the global bucket and one from the ingress port's bucket, or
 *      follows its key's first packet up without any (below).  A packet
 *      that needs tokens and finds either bucket empty is dropped and
 *      counted (DROP_ADMISSION_*), as MidoNet's hierarchical token bucket
 *      does: a flood of new flows from one VM port cannot starve the slow
 *      path for the others.
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
 *   - return what admission gave it (upcall_hold_release), whatever happened
 *     to the packet.
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
 * Tokens are "new keys in flight": a bucket's size is the number of packets
 * it lets sit in the slow path at once, not counting those that follow one
 * of them.  They come back when the simulation is done with the packet, so
 * the refill rate is the simulation's own speed.
 *
 * Followers.  A new flow seldom starts with one packet: a burst of a UDP
 * stream, a TCP window, a ping train all miss the cache before the first
 * packet's simulation has installed the flow.  Charging each of them a
 * token let a 20-packet burst from one VM port lose 4 of its packets to a
 * bucket of 16, although the simulation walks only the first (the others
 * queue behind it and reuse its result, as said above).  MidoNet holds such
 * packets in a bounded queue per flow behind the one being simulated; Kairo
 * does the same without a lock or an allocation on the worker:
 *   - The miss that takes the tokens leads its key: the worker writes the
 *     key into its lead table (struct upcall_leads, one slot per low bits
 *     of the hash) with a new number, which the packet carries
 *     (meta->upcall_lead).
 *   - A later miss of the same key on the same worker, while that lead is
 *     in the slow path, follows it: no token (meta->upcall_follower), up to
 *     UPCALL_MAX_FOLLOWERS per lead, so that a lead and its followers fit in
 *     one of the simulation's groups (SIM_MAX_QUEUED_PER_KEY).  Past that,
 *     the next miss takes tokens and leads anew.
 *   - When its tokens come back, the simulation publishes the lead's number
 *     in lead_done[worker][slot]: one relaxed store per lead, on the slow
 *     path.  From then on the key's misses take tokens again: a flow whose
 *     result cannot be cached cannot ride on one token for ever.
 * A follower that reaches the simulation after its lead is done is simply a
 * packet of its own (the installed flow is reused, or it is walked): it
 * still holds nothing.  A new key always needs a token, so a flood of new
 * flows is limited exactly as before; what the bucket no longer limits is a
 * burst of one key, bounded by UPCALL_MAX_FOLLOWERS per token instead.
 */
#ifndef KAIRO_UPCALL_H
#define KAIRO_UPCALL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include "drop_reason.h"
#include "flow_cache.h"

#define KAIRO_MAX_SIM_THREADS 4
/*
 * Keys a worker remembers as leads.  More than the global bucket's default
 * (256 keys in flight): a lead is seldom displaced while its followers are
 * still coming.  A power of two: the slot is the hash's low bits.
 */
#define UPCALL_LEAD_SLOTS 256
/* Packets that may follow one lead without tokens; lead + followers fit one simulation group. */
#define UPCALL_MAX_FOLLOWERS 31

/* Which bucket a port's misses draw from (MIDONET-MODEL §5, admission control). */
enum port_bucket_kind {
	PORT_BUCKET_VPORT = 0,  /* a VM-facing interface */
	PORT_BUCKET_TUNNEL = 1, /* an uplink / tunnel interface */
};

struct token_bucket {
	int32_t tokens; /* tokens left; taken and returned with atomics */
	int32_t size;   /* changed only by upcall_channel_resize/set_port (atomics) */
} __rte_cache_aligned;

struct upcall_channel {
	unsigned int n_sim;
	unsigned int n_workers;
	struct rte_ring *to_sim[KAIRO_MAX_SIM_THREADS];
	struct rte_ring *to_worker[KAIRO_MAX_WORKERS];
	struct token_bucket global;
	struct token_bucket port[RTE_MAX_ETHPORTS];
	uint8_t port_kind[RTE_MAX_ETHPORTS]; /* enum port_bucket_kind */
	/*
	 * The number of the last lead of each worker's slot whose tokens came
	 * back.  Written (relaxed) by whoever returns a lead's tokens, a
	 * simulation thread or the worker itself when the ring was full; read
	 * (relaxed) by the worker that owns the row.  Each row is its own lines.
	 */
	uint32_t lead_done[KAIRO_MAX_WORKERS][UPCALL_LEAD_SLOTS] __rte_cache_aligned;
};

/* One key a worker sent up, and how many packets have followed it without tokens. */
struct upcall_lead {
	struct flow_key key;
	uint32_t hash;
	uint32_t number;    /* this lead's; 0: the slot never had one */
	uint16_t followers;
};

/* A worker's leads: written and read by that worker alone (the done numbers are the channel's). */
struct upcall_leads {
	struct upcall_lead slot[UPCALL_LEAD_SLOTS];
};

/* What a packet in the slow path took at admission, copied out before the packet moves on. */
struct upcall_hold {
	uint32_t lead;     /* meta->upcall_lead */
	uint32_t hash;
	uint16_t in_port;
	uint16_t worker;
	bool tokens;       /* holds one token of in_port's bucket and one of the global */
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
/*
 * New admission bucket sizes while workers run (a central configuration
 * change): every bucket resized in place, cfg updated for ports set later.
 * Control thread only, with upcall_channel_set_port not running at the same
 * time (both under the daemon's ports lock).
 */
void upcall_channel_resize(struct upcall_channel *uc, struct upcall_channel_config *cfg,
			   int32_t global_bucket, int32_t tunnel_bucket, int32_t vport_bucket);
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

static inline uint32_t
upcall_lead_slot(uint32_t hash)
{
	return hash & (UPCALL_LEAD_SLOTS - 1);
}

/*
 * Admit one packet the worker sends up (meta->key, ->hash, ->worker and
 * ->upcall_reason set): a miss of a key whose lead is still in the slow
 * path follows it, anything else takes the tokens, and a miss that does
 * leads its key.  Returns 0, or the drop reason that names the empty bucket.
 */
static inline unsigned int
upcall_admit_packet(struct upcall_channel *uc, struct upcall_leads *leads, struct pkt_meta *meta)
{
	uint32_t slot = upcall_lead_slot(meta->hash);
	struct upcall_lead *l = &leads->slot[slot];
	unsigned int reason;

	meta->upcall_follower = 0;
	meta->upcall_lead = 0;
	/* A packet a flow's check sent up is walked alone: it takes its own tokens. */
	if (meta->upcall_reason != UPCALL_MISS)
		return upcall_admit(uc, meta->key.in_port);
	if (l->number != 0 && l->hash == meta->hash && l->followers < UPCALL_MAX_FOLLOWERS &&
	    __atomic_load_n(&uc->lead_done[meta->worker][slot], __ATOMIC_RELAXED) != l->number &&
	    memcmp(&l->key, &meta->key, sizeof(meta->key)) == 0) {
		l->followers++;
		meta->upcall_follower = 1;
		return 0;
	}
	reason = upcall_admit(uc, meta->key.in_port);
	if (reason != 0)
		return reason;
	/* The slot's previous lead, if still out, loses its followers: the newest key wins. */
	l->key = meta->key;
	l->hash = meta->hash;
	l->followers = 0;
	if (++l->number == 0)
		l->number = 1;
	meta->upcall_lead = l->number;
	return 0;
}

static inline struct upcall_hold
upcall_hold_of(const struct pkt_meta *meta)
{
	return (struct upcall_hold){
		.lead = meta->upcall_lead,
		.hash = meta->hash,
		.in_port = meta->key.in_port,
		.worker = meta->worker,
		/* A resumed packet gave its tokens back when it was parked. */
		.tokens = !meta->upcall_follower && meta->upcall_reason != UPCALL_RESUMED,
	};
}

/* Give back what admission gave a packet; a lead's key then needs tokens again. */
static inline void
upcall_hold_release(struct upcall_channel *uc, const struct upcall_hold *h)
{
	if (!h->tokens)
		return;
	upcall_release(uc, h->in_port);
	if (h->lead != 0 && h->worker < KAIRO_MAX_WORKERS)
		__atomic_store_n(&uc->lead_done[h->worker][upcall_lead_slot(h->hash)], h->lead,
				 __ATOMIC_RELAXED);
}

static inline unsigned int
upcall_sim_index(const struct upcall_channel *uc, uint32_t hash)
{
	return hash % uc->n_sim;
}

#endif
