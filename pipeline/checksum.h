/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Incremental Internet checksum updates (RFC 1624): when a header field
 * changes, the checksum is patched from the old and new values instead of
 * summed again over the whole packet.  NAT on the fast path rewrites
 * addresses and ports this way; the simulation uses the same for what it
 * rewrites inside ICMP errors.
 *
 * Words are taken as they are stored, in network order: a one's complement
 * sum is the same whichever byte order every operand is read in (RFC 1071
 * 2.(B)), so no byte swaps are needed.
 */
#ifndef KAIRO_CHECKSUM_H
#define KAIRO_CHECKSUM_H

#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>

/* Where the L4 checksums (and ICMP echo's identifier) sit, from the start of the L4 header. */
#define TCP_CSUM_OFS 16
#define UDP_CSUM_OFS 6
#define ICMP_CSUM_OFS 2
#define ICMP_ID_OFS 4

static inline uint16_t
csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for one 16-bit word m changed to m'. */
static inline uint16_t
csum_replace16(uint16_t check, uint16_t old, uint16_t new_)
{
	return (uint16_t)~csum_fold((uint32_t)(uint16_t)~check + (uint16_t)~old + new_);
}

/* The same for a 32-bit field (an IPv4 address): its two words. */
static inline uint16_t
csum_replace32(uint16_t check, uint32_t old, uint32_t new_)
{
	uint32_t sum = (uint32_t)(uint16_t)~check;

	sum += (uint16_t)~(uint16_t)old + (uint16_t)~(uint16_t)(old >> 16);
	sum += (uint16_t)new_ + (uint16_t)(new_ >> 16);
	return (uint16_t)~csum_fold(sum);
}

/* 16-bit fields at any offset of a packet (L4 headers after IP options need not be aligned). */
static inline uint16_t
csum_load16(const void *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void
csum_store16(void *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

#endif
