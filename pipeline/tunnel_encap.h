/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Encapsulation: the TUNNEL_OUTPUT action's work.  The simulation chose the
 * peer (a precomputed outer header, struct tunnel_outer) and the key that
 * names the egress port there; the worker only copies the header in front
 * and fills what differs per packet: lengths, the IPv4 checksum, the VXLAN
 * source port and the key.
 */
#ifndef KAIRO_TUNNEL_ENCAP_H
#define KAIRO_TUNNEL_ENCAP_H

#include <stdint.h>

#include <rte_mbuf.h>

/*
 * Wrap m (an inner Ethernet frame) in outer header slot with key; hash (the
 * inner flow's) picks the VXLAN UDP source port.  Returns 0 with *port the
 * uplink to send it on, or an enum drop_reason (m unchanged, the caller's).
 */
int tunnel_encap(struct rte_mbuf *m, uint16_t slot, uint32_t key, uint32_t hash, uint16_t *port);

#endif
