/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Connection tracking for the rules' "flow forward-flow / return-flow"
 * condition (MIDONET-MODEL §3).  A packet a chain asks about is a return
 * packet when the connection of its reversed 5-tuple was seen forward; if it
 * is not, and the walk lets it through, its own 5-tuple is recorded as a new
 * connection.  A dropped packet opens nothing.
 *
 * ICMP echo is tracked by address pair and identifier: a request (or
 * ICMPv6 128) opens, the reply (0, or 129) with the same identifier is its
 * return.  Other ICMP types are tracked with their type and code in place
 * of ports.
 *
 * Aging follows the MAC table's: an entry is in use while cached flows that
 * depend on it exist (forward and return flows hold a reference); its idle
 * clock starts when the last of them goes, and housekeeping forgets it when
 * the clock runs out.  Each entry has a flow tag (tag_conntrack of its
 * hash): every flow whose walk looked the connection up carries it, so
 * creating or forgetting the entry removes exactly those flows.
 *
 * Owned by one simulation thread: no locks.
 */
#ifndef KAIRO_CONNTRACK_H
#define KAIRO_CONNTRACK_H

#include <stdbool.h>
#include <stdint.h>

#include "flow_key.h"

#define CT_NO_ENTRY UINT32_MAX
#define CT_IDLE_DEFAULT_S 60

/* A connection's forward 5-tuple; zeroed padding, hashed raw. */
struct ct_key {
	uint8_t src[16];  /* IPv4 in the first 4 bytes */
	uint8_t dst[16];
	uint16_t sport;   /* or the ICMP type */
	uint16_t dport;   /* or the ICMP code */
	uint8_t proto;
	uint8_t v6;
	uint8_t pad[2];
} __rte_aligned(8); /* rte_hash_crc reads it in 8-byte words */

struct conntrack;

struct conntrack *conntrack_create(const char *name, uint32_t capacity, uint32_t idle_s,
				   int socket_id);
void conntrack_destroy(struct conntrack *ct);

/*
 * The 5-tuple of the packet with key k (reverse: as its answer would carry
 * it).  False for what is not tracked: neither IPv4 nor IPv6.
 */
bool ct_key_of(const struct flow_key *k, bool reverse, struct ct_key *out);
/* The hash a connection's flow tag is made from. */
uint64_t ct_key_hash(const struct ct_key *key);

/* The entry of a connection, or CT_NO_ENTRY. */
uint32_t conntrack_lookup(const struct conntrack *ct, const struct ct_key *key);
/* Record a connection (idle from now); its entry, or CT_NO_ENTRY when the table is full. */
uint32_t conntrack_add(struct conntrack *ct, const struct ct_key *key, uint64_t now);

/* A cached flow depends on the entry / no longer does. */
void conntrack_ref(struct conntrack *ct, uint32_t entry);
void conntrack_unref(struct conntrack *ct, uint32_t entry, uint64_t now);

typedef void (*ct_expired_cb)(void *arg, const struct ct_key *key);

/* Forget up to budget entries idle past the timeout; calls cb for each. */
unsigned int conntrack_expire(struct conntrack *ct, uint64_t now, unsigned int budget,
			      ct_expired_cb cb, void *arg);

uint32_t conntrack_count(const struct conntrack *ct);
/* Forget everything; no callbacks. */
void conntrack_flush(struct conntrack *ct);

#endif
