/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Flow tags: what a cached flow depended on, so a change removes exactly the
 * flows it affects (DESIGN.md, "tags").  A tag is 64 bits: the kind in the
 * top byte, the object below.  Two objects may share a tag (a MAC tag keeps
 * only 8 bits of the bridge index); that only ever removes a few flows too
 * many, never too few.
 */
#ifndef KAIRO_FLOW_TAGS_H
#define KAIRO_FLOW_TAGS_H

#include <stdint.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_hash_crc.h>

#include "arp_table.h"

enum flow_tag_kind {
	TAG_KIND_PORT = 1,      /* a virtual port: admin state, binding */
	TAG_KIND_DEVICE = 2,    /* a bridge: admin state, its port set */
	TAG_KIND_MAC = 3,       /* a MAC entry of a bridge: learned, moved, aged out */
	TAG_KIND_INTERFACE = 4, /* a local interface with no binding */
	TAG_KIND_ROUTER = 5,    /* a router: admin state, its ports */
	TAG_KIND_ROUTE = 6,     /* one route of a router */
	TAG_KIND_ARP = 7,       /* a router's ARP entry for a next hop */
	TAG_KIND_ND = 8,        /* a router's IPv6 neighbour entry for a next hop */
	TAG_KIND_CHAIN = 9,     /* a rule chain the walk evaluated */
	TAG_KIND_CONNTRACK = 10, /* a connection a flow condition looked up (sim/conntrack.h) */
};

#define TAG_KIND_SHIFT 56

static inline uint64_t
tag_port(uint32_t port)
{
	return (uint64_t)TAG_KIND_PORT << TAG_KIND_SHIFT | port;
}

static inline uint64_t
tag_device(uint32_t device)
{
	return (uint64_t)TAG_KIND_DEVICE << TAG_KIND_SHIFT | device;
}

static inline uint64_t
tag_interface(uint16_t dpdk_port)
{
	return (uint64_t)TAG_KIND_INTERFACE << TAG_KIND_SHIFT | dpdk_port;
}

static inline uint64_t
tag_router(uint32_t router)
{
	return (uint64_t)TAG_KIND_ROUTER << TAG_KIND_SHIFT | router;
}

static inline uint64_t
tag_route(uint32_t route)
{
	return (uint64_t)TAG_KIND_ROUTE << TAG_KIND_SHIFT | route;
}

static inline uint64_t
tag_chain(uint32_t chain)
{
	return (uint64_t)TAG_KIND_CHAIN << TAG_KIND_SHIFT | chain;
}

/* A connection by the hash of its forward 5-tuple (sim/conntrack.c); 56 bits of it. */
static inline uint64_t
tag_conntrack(uint64_t tuple_hash)
{
	return (uint64_t)TAG_KIND_CONNTRACK << TAG_KIND_SHIFT | (tuple_hash & ((1ull << 56) - 1));
}

/* ip in network order; only 24 bits of the router index are kept (see the top comment). */
static inline uint64_t
tag_arp(uint32_t router, uint32_t ip)
{
	return (uint64_t)TAG_KIND_ARP << TAG_KIND_SHIFT | (uint64_t)(router & 0xffffff) << 32 | ip;
}

/*
 * An IPv6 next hop does not fit beside the router index: a CRC of the
 * address stands for it (two addresses sharing one only cost extra removals).
 */
static inline uint64_t
tag_nd(uint32_t router, const uint8_t addr[NEIGH_ADDR_LEN])
{
	uint64_t a[2];

	/* addr may point into a packet at any alignment; the CRC reads 8-byte words. */
	memcpy(a, addr, sizeof(a));
	return (uint64_t)TAG_KIND_ND << TAG_KIND_SHIFT | (uint64_t)(router & 0xffffff) << 32 |
	       rte_hash_crc_8byte(a[1], rte_hash_crc_8byte(a[0], 0));
}

/* The tag of a neighbour table entry, whichever its family. */
static inline uint64_t
tag_neigh(uint32_t router, const uint8_t addr[NEIGH_ADDR_LEN])
{
	return neigh_addr_is_ipv4(addr) ? tag_arp(router, neigh_addr_ipv4(addr))
					: tag_nd(router, addr);
}

static inline uint64_t
tag_mac(uint32_t bridge, const struct rte_ether_addr *mac)
{
	uint64_t m = 0;

	memcpy(&m, mac->addr_bytes, RTE_ETHER_ADDR_LEN);
	return (uint64_t)TAG_KIND_MAC << TAG_KIND_SHIFT | (uint64_t)(bridge & 0xff) << 48 | m;
}

#endif
