/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The contract between the simulation thread and the state store thread
 * (nsdb/redis_state.c): everything that crosses between them is here.
 * The simulation never waits on the store; the store never touches the
 * simulation's tables.  Three rings carry fixed-size records:
 *
 * simulation -> store, writes (write-behind, DESIGN.md): a connection, a
 *   NAT binding, a learned MAC, a resolved ARP entry, each with the time it
 *   may live unrefreshed.  The simulation writes what it creates and
 *   writes again, before the TTL runs out, what cached flows still use.  A
 *   full ring loses the write (counted): the next refresh writes it again.
 *   A write may ask for an answer (sync): the first packet of a connection
 *   that leaves or enters by a stateful port group waits until its state is
 *   stored, so an answer arriving at another host cannot outrun it.
 *
 * simulation -> store, queries:
 *   - lookup: a key the walk missed locally, asked when the packet came in
 *     by a port of a stateful port group (its connection may have been made
 *     on another host).  The packet is parked; the answer brings the entry
 *     (imported into the local table) or says there is none, and the packet
 *     is walked again.  Nothing is asked twice for one packet.
 *   - lookup of a MAC: a unicast destination a bridge that spans hosts has
 *     not learned; another host may have (its VM sits behind a port there).
 *     Found on a port of another host, it is learned here on that port, and
 *     the frame goes to that host alone instead of being flooded.  Since the
 *     host that learns a MAC on such a bridge writes it before the frame that
 *     taught it leaves (sync), an answer to that frame always finds it.
 *   - lookup of a neighbour: an IPv4 next hop a router has not resolved;
 *     found, it is taken as resolved and the packet goes without an ARP
 *     request (the answer to a connection made on another host finds the
 *     VM's address resolved there).
 *   - lease: a block of SNAT_BLOCK_PORTS ports of a NAT address, held by
 *     this host alone, as MidoNet's agents leased 64-port blocks: two hosts
 *     never pick the same address and port.
 *
 * store -> simulation, answers: to a sync write, a lookup or a lease, and
 *   unasked: a lease lost (the store says another host holds the block) and
 *   a resynchronisation (the store came back: live state is written again).
 *
 * An unavailable store answers at once (STATE_UNAVAILABLE): a parked packet
 * goes on with local state only, and forwarding never stops on the store.
 */
#ifndef KAIRO_STATE_SYNC_H
#define KAIRO_STATE_SYNC_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_ring.h>

#include "conntrack.h"
#include "topology.h"

/* Ports in a leased SNAT block; blocks are aligned (block b: ports 64b .. 64b+63). */
#define SNAT_BLOCK_PORTS 64
#define SNAT_BLOCKS (65536 / SNAT_BLOCK_PORTS)

enum state_write_kind {
	STATE_WRITE_CONN = 0, /* a connection: key[0] */
	STATE_WRITE_NAT = 1,  /* a NAT binding: key[0] forward, key[1] reverse, nat */
	STATE_WRITE_MAC = 2,  /* a bridge's MAC learned on a port */
	STATE_WRITE_ARP = 3,  /* a router's IPv4 neighbour */
};

struct state_write {
	uint8_t kind;      /* enum state_write_kind */
	bool sync;         /* answer STATE_WRITTEN (or unavailable) for the parked slot */
	uint16_t slot;     /* the parked packets waiting, when sync */
	uint32_t ttl_ms;
	char device[TOPO_ID_LEN]; /* router (NAT, ARP) or bridge (MAC); "" for a connection */
	union {
		struct {
			struct ct_key key[2];
			struct ct_nat nat;
		} ct;
		struct {
			struct rte_ether_addr mac;
			rte_be32_t ip;            /* ARP: the neighbour's address */
			char port[TOPO_ID_LEN];   /* MAC: the port it was learned on */
		} l2;
	};
};

enum state_query_kind {
	STATE_QUERY_LOOKUP = 0,
	STATE_QUERY_LEASE = 1,
	STATE_QUERY_LOOKUP_MAC = 2,
	STATE_QUERY_LOOKUP_ARP = 3,
	/*
	 * keep: a block this host held before a restart (sim/state_image.h),
	 * port_lo's: refreshed and held on, not leased anew; no answer, unless
	 * another host holds it now (STATE_ANSWER_LEASE_LOST).
	 */
	STATE_QUERY_LEASE_KEEP = 4,
};

struct state_query {
	uint8_t kind;      /* enum state_query_kind */
	uint16_t slot;     /* the parked packets waiting */
	char device[TOPO_ID_LEN]; /* the translating router, for a NAT key or a lease */
	struct ct_key key;        /* lookup: the key missed (device: the local index) */
	/* lease: the target's addresses and ports (host order) */
	uint32_t addr_lo, addr_hi;
	uint16_t port_lo, port_hi;
	uint32_t device_index;    /* lease: the router's index; MAC: the bridge's; echoed back */
	struct rte_ether_addr mac; /* lookup of a MAC (device: the bridge) */
	uint16_t pad;
	rte_be32_t ip;            /* lookup of a neighbour (device: the router) */
	uint32_t port_index;      /* ... out of this router port; echoed back */
};

enum state_answer_kind {
	STATE_ANSWER_WRITTEN = 0,   /* a sync write is stored (status says if it was) */
	STATE_ANSWER_LOOKUP = 1,
	STATE_ANSWER_LEASE = 2,
	STATE_ANSWER_LEASE_LOST = 3,
	STATE_ANSWER_RESYNC = 4,    /* the store is back: write live state again */
	STATE_ANSWER_MAC = 5,       /* a lookup of a MAC */
	STATE_ANSWER_ARP = 6,       /* a lookup of a neighbour */
};

enum state_status {
	STATE_OK = 0,          /* written; found; leased */
	STATE_NOT_FOUND = 1,   /* no such key; no block free */
	STATE_UNAVAILABLE = 2, /* no store now (down, slow, refused) */
};

struct state_answer {
	uint8_t kind;      /* enum state_answer_kind */
	uint8_t status;    /* enum state_status */
	uint16_t slot;
	/* lookup: the query's key; found: the entry's keys (n_keys) and binding */
	struct ct_key query;
	struct ct_key key[2];
	uint8_t n_keys;
	struct ct_nat nat;
	/* lease (and lease lost): the block */
	uint32_t device_index;  /* and a MAC's bridge */
	uint32_t addr;     /* host order */
	uint16_t block;
	/*
	 * a MAC: the bridge's id and the port it was learned on (found);
	 * a neighbour: the router's id, the address, the port, its MAC (found)
	 */
	struct rte_ether_addr mac;
	char device[TOPO_ID_LEN];
	char port[TOPO_ID_LEN];
	rte_be32_t ip;
	uint32_t port_index;
};

struct state_sync_stats {
	uint64_t writes_queued;
	uint64_t writes_lost;     /* the write ring was full */
	uint64_t queries_queued;
	uint64_t queries_lost;    /* the query ring was full: went on as not found */
	uint64_t parked;          /* packets parked for the store */
	uint64_t park_full;       /* packets not parked: no slot (went on with local state) */
	uint64_t park_timeouts;   /* slots woken by their deadline, not an answer */
	uint64_t imported;        /* entries found in the store and taken in */
	uint64_t macs_imported;   /* MACs found learned on another host's port, learned here */
	uint64_t macs_refreshed;  /* learned MACs written again (in use, or after a resync) */
	uint64_t arps_imported;   /* neighbours found resolved by another host, taken in */
	uint64_t lookups_missed;  /* looked up, not in the store either */
	uint64_t refreshed;       /* writes again of entries still in use */
	uint64_t resyncs;
	uint64_t leases_held;     /* blocks held now */
	uint64_t leases_lost;
	uint64_t lease_denied;    /* no block free, or no store */
};

/* The rings (created by the daemon, shared by the two threads). */
struct state_sync {
	struct rte_ring *writes;  /* struct state_write, simulation -> store */
	struct rte_ring *queries; /* struct state_query, simulation -> store */
	struct rte_ring *answers; /* struct state_answer, store -> simulation */
	uint32_t ttl_ms;          /* connections and bindings live this long unrefreshed */
	uint32_t mac_ttl_ms;
	uint32_t wait_ms;         /* a parked packet goes on after this without an answer */
};

/* rte_ring_create_elem's records are whole 4-byte words. */
_Static_assert(sizeof(struct state_write) % 4 == 0, "state_write: a multiple of 4 bytes");
_Static_assert(sizeof(struct state_query) % 4 == 0, "state_query: a multiple of 4 bytes");
_Static_assert(sizeof(struct state_answer) % 4 == 0, "state_answer: a multiple of 4 bytes");

/* Rings of ring_size records each (a power of two); 0 or -ENOMEM. */
int state_sync_create(struct state_sync *s, const char *name, unsigned int ring_size,
		      int socket_id);
void state_sync_destroy(struct state_sync *s);

#endif
