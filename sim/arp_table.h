/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Routers' ARP tables: next-hop IPv4 address -> MAC, per router, with the
 * packets that wait for an answer.
 *
 * An entry is resolved (it has a MAC, until it expires) or pending (an ARP
 * request is out; packets for that next hop wait in its bounded queue and
 * the request is retried).  Owned by one simulation thread: no locks.
 */
#ifndef KAIRO_ARP_TABLE_H
#define KAIRO_ARP_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

/* Packets that may wait on one unresolved next hop (Linux keeps 3 by default; bursts need more). */
#define ARP_QUEUE_MAX 32
#define ARP_RETRIES 3
#define ARP_RETRY_MS 1000
#define ARP_EXPIRY_S 3600

struct arp_entry {
	uint32_t router;
	rte_be32_t ip;
	struct rte_ether_addr mac;
	bool resolved;
	uint32_t port;         /* router port the next hop is reached through */
	uint64_t expires_tsc;  /* resolved: when the entry is forgotten */
	uint64_t retry_tsc;    /* pending: when the request is sent again */
	uint8_t tries;
	uint16_t n_queued;
	struct rte_mbuf *queued[ARP_QUEUE_MAX];
	/* Where each waiting packet entered the router and from which MAC: the way back
	 * for the host-unreachable error if the next hop never answers. */
	uint32_t queued_in[ARP_QUEUE_MAX];
	struct rte_ether_addr queued_from[ARP_QUEUE_MAX];
};

struct arp_table;

struct arp_table *arp_table_create(const char *name, uint32_t capacity, int socket_id);
void arp_table_destroy(struct arp_table *at);

/* The entry for (router, ip), or NULL. */
struct arp_entry *arp_table_find(struct arp_table *at, uint32_t router, rte_be32_t ip);

/* Find or create a pending entry; NULL when the table is full. */
struct arp_entry *arp_table_get(struct arp_table *at, uint32_t router, rte_be32_t ip,
				uint32_t port);

void arp_table_delete(struct arp_table *at, struct arp_entry *e);

/* Visit every entry (housekeeping, dumps); returns 0 or -ENOENT at the end. */
int arp_table_iterate(struct arp_table *at, uint32_t *next, struct arp_entry **e);

uint32_t arp_table_count(const struct arp_table *at);

/* Forget everything, dropping the packets that waited. */
void arp_table_flush(struct arp_table *at);

#endif
