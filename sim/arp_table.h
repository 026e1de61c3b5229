/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Routers' neighbour tables: next-hop address -> MAC, per router, with the
 * packets that wait for an answer.  One table serves ARP (IPv4, RFC 826) and
 * neighbour discovery (IPv6, RFC 4861): an address is 16 bytes, an IPv4 one
 * in its IPv4-mapped form (::ffff:a.b.c.d, RFC 4291 2.5.5.2), so the two
 * families share the queue, retry and expiry logic and can never collide.
 *
 * An entry is resolved (it has a MAC, until it expires) or pending (an ARP
 * request or neighbour solicitation is out; packets for that next hop wait in
 * its bounded queue and the request is retried).  Owned by one simulation
 * thread: no locks.
 */
#ifndef KAIRO_ARP_TABLE_H
#define KAIRO_ARP_TABLE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

/* Packets that may wait on one unresolved next hop (Linux keeps 3 by default; bursts need more). */
#define ARP_QUEUE_MAX 32
/* RFC 4861 10 MAX_MULTICAST_SOLICIT is 3 and RETRANS_TIMER 1 s: the same as we use for ARP. */
#define ARP_RETRIES 3
#define ARP_RETRY_MS 1000
#define ARP_EXPIRY_S 3600

#define NEIGH_ADDR_LEN 16

struct arp_entry {
	uint32_t router;
	uint8_t addr[NEIGH_ADDR_LEN]; /* IPv6, or IPv4-mapped (neigh_addr_is_ipv4) */
	struct rte_ether_addr mac;
	bool resolved;
	uint32_t port;         /* router port the next hop is reached through */
	uint64_t expires_tsc;  /* resolved: when the entry is forgotten */
	uint64_t retry_tsc;    /* pending: when the request is sent again */
	uint8_t tries;
	/* Packets waiting for it in the simulation's waiting room (sim/waiting_room.h). */
	uint16_t n_queued;
};

/* ::ffff:0:0/96, the IPv4-mapped prefix. */
static inline bool
neigh_addr_is_ipv4(const uint8_t addr[NEIGH_ADDR_LEN])
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	return memcmp(addr, mapped, sizeof(mapped)) == 0;
}

static inline void
neigh_addr_from_ipv4(uint8_t addr[NEIGH_ADDR_LEN], rte_be32_t ip)
{
	memset(addr, 0, 10);
	addr[10] = 0xff;
	addr[11] = 0xff;
	memcpy(addr + 12, &ip, sizeof(ip));
}

static inline rte_be32_t
neigh_addr_ipv4(const uint8_t addr[NEIGH_ADDR_LEN])
{
	rte_be32_t ip;

	memcpy(&ip, addr + 12, sizeof(ip));
	return ip;
}

struct arp_table;

struct arp_table *arp_table_create(const char *name, uint32_t capacity, int socket_id);
void arp_table_destroy(struct arp_table *at);
/* About how many bytes of EAL's heap arp_table_create(capacity) takes (for refusals). */
uint64_t arp_table_memsize(uint32_t capacity);

/* The entry for (router, addr), or NULL. */
struct arp_entry *arp_table_find(struct arp_table *at, uint32_t router,
				 const uint8_t addr[NEIGH_ADDR_LEN]);

/* Find or create a pending entry; NULL when the table is full. */
struct arp_entry *arp_table_get(struct arp_table *at, uint32_t router,
				const uint8_t addr[NEIGH_ADDR_LEN], uint32_t port);

void arp_table_delete(struct arp_table *at, struct arp_entry *e);

/* Visit every entry (housekeeping, dumps); returns 0 or -ENOENT at the end. */
int arp_table_iterate(struct arp_table *at, uint32_t *next, struct arp_entry **e);

uint32_t arp_table_count(const struct arp_table *at);

/* Forget everything, dropping the packets that waited. */
void arp_table_flush(struct arp_table *at);

#endif
