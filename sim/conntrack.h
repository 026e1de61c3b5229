/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Connection state of the simulation: the connections the rules' "flow
 * forward-flow / return-flow" condition tracks, and the NAT bindings
 * (MIDONET-MODEL §3).  One table holds both, because both live as long as
 * flows use them and both are what a flow's verdict depends on.
 *
 * A connection is recorded by its forward 5-tuple.  A packet a chain asks
 * about is a return packet when the connection of its reversed 5-tuple was
 * seen forward; if it is not, and the walk lets it through, its own 5-tuple
 * is recorded.  A dropped packet opens nothing.
 *
 * A NAT binding is one entry reached by two keys, the way the two
 * directions of the translated connection find it: the forward key (the
 * tuple the NAT rule rewrote, on the device that rewrote it) and the
 * reverse key (the tuple the answer carries, as the rev_snat / rev_dnat
 * rule sees it).  The entry holds the original and the translated address
 * and port.  Keys carry the device (the router's index) so that two routers
 * translating the same tuple never share a binding.
 *
 * ICMP echo is tracked by address pair and identifier: a request (or ICMPv6
 * 128) opens, the reply (0, or 129) with the same identifier is its return.
 * Other ICMP types are tracked with their type and code in place of ports.
 *
 * Aging follows the MAC table's: an entry is in use while cached flows that
 * depend on it exist (each holds a reference); its idle clock starts when the
 * last of them goes, and housekeeping forgets it when the clock runs out.
 * Each key has a flow tag (tag_conntrack of its hash): every flow whose walk
 * looked the key up carries it, so creating or forgetting the entry removes
 * exactly those flows.
 *
 * Owned by one simulation thread: no locks.
 */
#ifndef KAIRO_CONNTRACK_H
#define KAIRO_CONNTRACK_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_byteorder.h>

#include "flow_key.h"

#define CT_NO_ENTRY UINT32_MAX
#define CT_IDLE_DEFAULT_S 60

/* What a key finds. */
enum ct_kind {
	CT_KIND_CONN = 0,     /* a tracked connection, by its forward 5-tuple */
	CT_KIND_SNAT_FWD = 1, /* the tuple a snat rule rewrote */
	CT_KIND_SNAT_REV = 2, /* the answer's tuple, that rev_snat turns back */
	CT_KIND_DNAT_FWD = 3, /* the tuple a dnat rule rewrote */
	CT_KIND_DNAT_REV = 4, /* the answer's tuple, that rev_dnat turns back */
};

/* A 5-tuple (with its kind and device); zeroed padding, hashed raw. */
struct ct_key {
	uint8_t src[16];  /* IPv4 in the first 4 bytes */
	uint8_t dst[16];
	uint16_t sport;   /* or the ICMP type (echo: the request's) */
	uint16_t dport;   /* or the ICMP code, or echo's identifier */
	uint8_t proto;
	uint8_t v6;
	uint8_t kind;     /* enum ct_kind */
	uint8_t pad0;
	uint32_t device;  /* NAT: the router's index; 0 for connections */
	uint32_t pad1;
} __rte_aligned(8); /* rte_hash_crc reads it in 8-byte words */

/* The two sides of a NAT binding (IPv4; ports in host order, as in keys). */
struct ct_nat {
	rte_be32_t orig_addr;
	rte_be32_t xlat_addr;
	uint16_t orig_port;
	uint16_t xlat_port;
	bool port;        /* the port (echo identifier) is translated too */
};

struct conntrack;

/* capacity: entries; the table keeps room for two keys each. */
struct conntrack *conntrack_create(const char *name, uint32_t capacity, uint32_t idle_s,
				   int socket_id);
void conntrack_destroy(struct conntrack *ct);
/* About how many bytes of EAL's heap conntrack_create(capacity) takes (for refusals). */
uint64_t conntrack_memsize(uint32_t capacity);

/*
 * The 5-tuple of the packet with key k (reverse: as its answer would carry
 * it), kind CT_KIND_CONN.  False for what is not tracked: neither IPv4 nor
 * IPv6.
 */
bool ct_key_of(const struct flow_key *k, bool reverse, struct ct_key *out);
/* The reverse of a tuple: addresses and ports swapped (ICMP keeps type and code/identifier). */
void ct_key_reverse(const struct ct_key *key, struct ct_key *out);
/* The hash a key's flow tag is made from. */
uint64_t ct_key_hash(const struct ct_key *key);

/* The entry a key finds, or CT_NO_ENTRY. */
uint32_t conntrack_lookup(const struct conntrack *ct, const struct ct_key *key);
/* Record a connection (idle from now); its entry, or CT_NO_ENTRY when the table is full. */
uint32_t conntrack_add(struct conntrack *ct, const struct ct_key *key, uint64_t now);
/*
 * Record a NAT binding under both keys (idle from now); its entry, or
 * CT_NO_ENTRY when the table is full or either key is taken.
 */
uint32_t conntrack_add_nat(struct conntrack *ct, const struct ct_key *fwd,
			   const struct ct_key *rev, const struct ct_nat *nat, uint64_t now);
/* A binding's addresses and ports (entry from conntrack_lookup of a NAT key). */
const struct ct_nat *conntrack_nat(const struct conntrack *ct, uint32_t entry);

/* A cached flow depends on the entry / no longer does. */
void conntrack_ref(struct conntrack *ct, uint32_t entry);
void conntrack_unref(struct conntrack *ct, uint32_t entry, uint64_t now);
/* A walk used the entry at now: held by no flow, it is idle from now. */
void conntrack_touch(struct conntrack *ct, uint32_t entry, uint64_t now);

/* Called for each key of an entry forgotten. */
typedef void (*ct_expired_cb)(void *arg, const struct ct_key *key);

/* Forget up to budget entries idle past the timeout; calls cb for each of their keys. */
unsigned int conntrack_expire(struct conntrack *ct, uint64_t now, unsigned int budget,
			      ct_expired_cb cb, void *arg);

/* An entry's keys (1 or 2) and, for a NAT binding, its addresses and ports. */
void conntrack_entry_read(const struct conntrack *ct, uint32_t entry, struct ct_key *keys,
			  uint8_t *n_keys, struct ct_nat *nat);
/* The entry was written to the state store, or read from it, at now. */
void conntrack_written(struct conntrack *ct, uint32_t entry, uint64_t now);

/* Write entry again; false when nothing more can be written now (stop the walk). */
typedef bool (*ct_refresh_cb)(void *arg, uint32_t entry);

/*
 * Visit up to budget entries in use (held by flows, or not idle long enough
 * to be forgotten) last written more than interval ago or before since (a
 * resynchronisation); calls cb for each and notes it written.  Returns the
 * entries written.
 */
unsigned int conntrack_refresh(struct conntrack *ct, uint64_t now, uint64_t interval,
			       uint64_t since, unsigned int budget, ct_refresh_cb cb, void *arg);

/*
 * Saving and restoring (sim/state_image.h).  conntrack_next: the next entry
 * in use from *cursor on, or CT_NO_ENTRY at the end.  conntrack_remaining:
 * how long it may still live unused, in TSC cycles from now (the whole idle
 * time while flows hold it: the flows are not saved, so they let go of it
 * now).  conntrack_restore: take in a saved entry that may live remaining
 * more cycles unused; its entry, or CT_NO_ENTRY when the table is full or
 * a key is taken.
 */
uint32_t conntrack_next(const struct conntrack *ct, uint32_t *cursor);
uint64_t conntrack_remaining(const struct conntrack *ct, uint32_t entry, uint64_t now);
uint32_t conntrack_restore(struct conntrack *ct, const struct ct_key *keys, uint8_t n_keys,
			   const struct ct_nat *nat, uint64_t remaining, uint64_t now);

/* Entries recorded: connections, and NAT bindings. */
uint32_t conntrack_count(const struct conntrack *ct);
uint32_t conntrack_nat_count(const struct conntrack *ct);
/* Forget everything; no callbacks. */
void conntrack_flush(struct conntrack *ct);

#endif
