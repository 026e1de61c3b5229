/* SPDX-License-Identifier: Apache-2.0 */
/*
 * How shared state is named and written in the state store (nsdb/README.md,
 * "Redis layout"): keys and values are text an operator can read with
 * redis-cli, and every host derives the same key for the same state.
 *
 *   PREFIX:conn:TUPLE                      {"host": H}
 *   PREFIX:nat:ROUTER:KIND:TUPLE           {"host", "fwd", "rev", "orig", "xlat", "port"}
 *   PREFIX:mac:BRIDGE:MAC                  {"host", "port"}
 *   PREFIX:arp:ROUTER:IP                   {"host", "mac"}
 *   PREFIX:snat:ROUTER:IP:BLOCK            H (the block's holder)
 *
 * TUPLE is PROTO/SRC/SPORT/DST/DPORT ("udp/10.0.0.1/4000/192.0.2.7/53";
 * ICMP: the type for SPORT, the echo identifier or code for DPORT).
 */
#ifndef KAIRO_STATE_KEYS_H
#define KAIRO_STATE_KEYS_H

#include <stddef.h>

#include "state_sync.h"

#define STATE_KEY_LEN 512
#define STATE_VALUE_LEN 512

/* "udp/10.0.0.1/4000/192.0.2.7/53"; the length written, or -ENOSPC. */
int state_tuple_format(const struct ct_key *k, char *buf, size_t len);
/* The reverse (kind and device zero); 0 or -EINVAL. */
int state_tuple_parse(const char *s, struct ct_key *k);

/* The key of a connection or NAT key k (device: the router's id); length or -ENOSPC. */
int state_key_ct(const char *prefix, const char *device, const struct ct_key *k, char *buf,
		 size_t len);
/* A connection's or binding's value (w: STATE_WRITE_CONN or _NAT); length or -ENOSPC. */
int state_value_ct(const char *host, const struct state_write *w, char *buf, size_t len);
/*
 * A value read for the lookup of query: the entry's keys and binding, with
 * the query's device, into a (kind, status untouched).  0, or -EINVAL for a
 * value that is not one of ours.
 */
int state_value_ct_parse(const char *value, const struct ct_key *query, struct state_answer *a);

/* The key and value of a learned MAC or an ARP entry; lengths or -ENOSPC. */
int state_key_l2(const char *prefix, const struct state_write *w, char *buf, size_t len);
int state_value_l2(const char *host, const struct state_write *w, char *buf, size_t len);
/* The port a MAC's value names, into port (len bytes); 0, or -EINVAL if it is not one of ours. */
int state_value_mac_parse(const char *value, char *port, size_t len);
/* The MAC an ARP entry's value names; 0, or -EINVAL if it is not one of ours. */
int state_value_arp_parse(const char *value, struct rte_ether_addr *mac);

/* The key of SNAT block `block` of address addr (host order) on router device. */
int state_key_snat_block(const char *prefix, const char *device, uint32_t addr, uint16_t block,
			 char *buf, size_t len);

#endif
