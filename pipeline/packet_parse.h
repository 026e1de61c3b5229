/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Parsing a received frame into its exact-match key (struct flow_key) and
 * header offsets (struct pkt_meta).
 *
 * The parser never reads past the end of the first segment's data; header
 * lengths that claim more than the packet holds are malformed.  It runs on
 * worker lcores: no allocation, no logging, no locks.
 */
#ifndef KAIRO_PACKET_PARSE_H
#define KAIRO_PACKET_PARSE_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "drop_reason.h"
#include "flow_key.h"

#define KAIRO_VXLAN_DEFAULT_PORT 4789
/* IPv6 extension headers walked before the packet is called malformed. */
#define PACKET_PARSE_MAX_IPV6_EXT 8

struct parse_config {
	uint16_t vxlan_udp_port; /* host order; UDP to this port is VXLAN */
};

/*
 * Fill meta->key and the offsets in meta for the frame in m, received on
 * in_port.  The whole key is zeroed first.
 *
 * Return 0 when the frame is well formed, or the enum drop_reason that names
 * what is wrong with it (meta->key then holds what was parsed so far).
 * Unknown ethertypes and IP protocols are not malformed: their key stops at
 * the last header understood.
 */
int packet_parse(const struct rte_mbuf *m, uint16_t in_port, const struct parse_config *cfg,
		 struct pkt_meta *meta);

#endif
