/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IP fragments through the NAT rules that keep per-connection state (snat
 * and dnat with a binding, rev_snat, rev_dnat).  For the simulation files
 * only.
 *
 * Why.  Such a rule translates by the L4 ports (or an echo's identifier),
 * and only the header fragment carries them (RFC 791 §2.3).  The rule model
 * lets such a rule match header fragments only (MIDONET-MODEL §3), so the
 * later fragments of a masqueraded datagram used to pass the rule untouched
 * and leave with the VM's private source address: the receiver could never
 * reassemble the datagram, and the private address leaked.  Nothing may
 * leave such a rule untranslated: every fragment leaves translated as its
 * header fragment was, in whatever order the fragments come (RFC 4787 §10,
 * REQ-14: a NAT must take fragments out of order), or is dropped, counted.
 *
 * How.  The simulation remembers each datagram's header fragment's ports
 * (RFC 791 §3.2 names a datagram by source, destination, protocol and
 * identification; the key adds where it came in: DPDK port, outer VLAN,
 * tunnel key) and walks each of its later fragments with them.  A later
 * fragment then meets the same rules as its header, finds the same binding
 * and has its address rewritten the same way (the ports themselves are the
 * header's to rewrite).  That is what Linux conntrack gets by reassembling
 * before NAT, without holding the data: each fragment goes on as it came.
 *
 * Not cached.  The flow key has no IP id, and a later fragment's verdict
 * depends on it; a header fragment's walk is not cached either, so that the
 * simulation sees every datagram's header.  Only the fragments whose walk
 * meets such a rule pay for this: other fragmented traffic (static NAT and
 * floating IPs included) keeps its two cached flows, header and non-header.
 * A key with the id in it would cache one flow per datagram and still miss
 * on every datagram, and change the parser for all traffic; reassembly
 * (rte_ip_frag) would hold whole datagrams in the slow path and fragment
 * them again on the way out.
 *
 * Out of order.  A later fragment that meets such a rule before its header
 * went through waits in the waiting room (WAIT_NAT_FRAGMENT) for
 * NAT_FRAG_WAIT_MS and is walked again once its header has been; at the
 * deadline it is dropped (DROP_NAT_FRAG_NO_HEADER).  At most
 * NAT_FRAG_WAIT_MAX wait at once, so fragments whose header never comes
 * cannot take the room from the packets waiting on next hops.
 *
 * Bounds.  NAT_FRAG_TABLE_SIZE datagrams at once.  A datagram is forgotten
 * once all its bytes went through, or NAT_FRAG_TIMEOUT_S after its header
 * came (Linux's ipfrag_time).  A header that finds the table full is
 * dropped (DROP_NAT_FRAG_TABLE_FULL): its later fragments could not follow.
 *
 * Thread-safety: the table is one simulation thread's; no lock.  It sees
 * every fragment of a datagram because there is one simulation thread
 * (slow_path.sim_threads); with more, the workers would have to shard
 * fragments by datagram rather than by flow key.
 */
#ifndef KAIRO_NAT_FRAG_H
#define KAIRO_NAT_FRAG_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_byteorder.h>

#include "sim_walk.h"

/* Datagrams remembered at once. */
#define NAT_FRAG_TABLE_SIZE 8192
/* A datagram not complete by then is forgotten: Linux's net.ipv4.ipfrag_time. */
#define NAT_FRAG_TIMEOUT_S 30
/*
 * How long a later fragment waits for its header.  Fragments of one datagram
 * are reordered by the jitter of their path, milliseconds; a longer wait
 * would only hold the room for fragments whose header is lost.
 */
#define NAT_FRAG_WAIT_MS 1000
/* Later fragments waiting for their headers at once (of WAITING_ROOM_MAX). */
#define NAT_FRAG_WAIT_MAX 256

/* One datagram (RFC 791 §3.2) and where it came in; hashed raw, so pad is zero. */
struct nat_frag_key {
	rte_be32_t src;
	rte_be32_t dst;
	uint32_t tun_id;    /* flow_key.tun_id */
	uint16_t in_port;   /* flow_key.in_port */
	uint16_t vlan;      /* flow_key.vlan_outer */
	rte_be16_t ip_id;
	uint8_t proto;
	uint8_t pad;
};

/* What is known of one datagram. */
struct nat_frag {
	struct nat_frag_key key;
	uint64_t expires;     /* tsc: forgotten then, complete or not */
	uint32_t bytes;       /* IP payload bytes of its fragments that went through */
	uint32_t total;       /* its IP payload length once its last fragment went; 0 before */
	uint16_t tp_src;      /* the header fragment's ports, as its flow key has them */
	uint16_t tp_dst;
	bool used;
	bool ready;           /* the header's walk ended: later fragments may follow it */
	bool header_counted;  /* the header's bytes are in .bytes */
};

struct nat_frag_table;

/* The table (capacity datagrams, timeout_s each at most); NULL with rte_errno set. */
struct nat_frag_table *nat_frag_table_create(const char *name, uint32_t capacity,
					     uint32_t timeout_s, int socket_id);
void nat_frag_table_destroy(struct nat_frag_table *t);
/* The datagram's entry, or NULL. */
struct nat_frag *nat_frag_find(struct nat_frag_table *t, const struct nat_frag_key *key);
/*
 * The entry of the datagram whose header fragment, with these ports, meets a
 * rule: found (and given these ports) or made.  NULL when the table is full
 * even after forgetting what is due.
 */
struct nat_frag *nat_frag_keep(struct nat_frag_table *t, const struct nat_frag_key *key,
			       uint16_t tp_src, uint16_t tp_dst, uint64_t now);
/*
 * A fragment of e went through: payload bytes at byte offset, more fragments
 * after it or not.  True when that completes the datagram: e is forgotten.
 */
bool nat_frag_went(struct nat_frag_table *t, struct nat_frag *e, bool header, uint32_t offset,
		   uint32_t payload, bool more);
/* Forget up to budget entries past their time; returns how many. */
unsigned int nat_frag_expire(struct nat_frag_table *t, uint64_t now, unsigned int budget);
/* Datagrams remembered now. */
uint32_t nat_frag_entries(const struct nat_frag_table *t);
/* What a waiter on the datagram's header waits on. */
uint64_t nat_frag_key_hash(const struct nat_frag_key *key);

/* ---- the walk (sim/walk.c, sim/chain.c, sim/nat.c) ---- */

/*
 * Walk start: a later IPv4 fragment of a datagram whose header went through
 * such a rule takes its header's ports into the walk's headers
 * (sim_ctx.frag_ports); the walk is not cached.
 */
void nat_frag_recall(struct sim_ctx *c);
/*
 * A header fragment met such a rule's conditions, its ports aside (chain.c):
 * its datagram is remembered and the walk is not cached.
 */
void nat_frag_header_met(struct sim_ctx *c);
/*
 * nat_apply, for a fragment at such a rule: true when it can be translated
 * now; false when it waits for its header or is dropped (the drop is set).
 */
bool nat_frag_ready(struct sim_ctx *c);
/* Walk end: the header's later fragments may follow it now; what went through is counted. */
void nat_frag_walk_end(struct sim_ctx *c);

struct waiter;
/* The waiting room gives up on a later fragment whose header never came. */
void nat_frag_wait_expired(struct sim_thread *st, struct waiter *w);

#endif
