/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Decapsulation: a packet received on the underlay uplink, already parsed
 * (its key is the outer one).  The ingress host simulated the packet: the
 * tunnel key names where it goes here, and it goes there without a lookup.
 */
#ifndef KAIRO_TUNNEL_DECAP_H
#define KAIRO_TUNNEL_DECAP_H

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "flow_action.h"
#include "flow_key.h"
#include "packet_parse.h"

/* tunnel_decap's answer when meta->key is to be looked up in the flow cache. */
#define TUNNEL_DECAP_LOOKUP (-1)

/*
 * Validate m's outer headers against the published receive table, then:
 *  - a key naming a local port (or a bridge's flood here): strip the outer
 *    headers, append (port, mbuf) pairs to emit (copies from pool for a
 *    flood; a copy that fails is counted in drops) and return 0;
 *  - a VTEP's VNI or a router port's key: strip them, parse the inner frame
 *    into meta with key.tun_id/tun_src/tun_dst set, and return
 *    TUNNEL_DECAP_LOOKUP (so is an ARP for the underlay, left as it is);
 *  - anything else: return the enum drop_reason; m is the caller's to free.
 * emit must have room for TUNNEL_FLOOD_PORTS_MAX more pairs.  Worker lcores:
 * no allocation besides the flood copies, no logging, no locks.
 */
int tunnel_decap(struct rte_mbuf *m, struct pkt_meta *meta, const struct parse_config *pc,
		 struct rte_mempool *pool, struct action_emit *emit, uint64_t *drops);

#endif
