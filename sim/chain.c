/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rule chains in the walk (sim/chain.h): conditions of table 7.2, types of
 * table 7.1 (the operations guide), and the connection tracking the
 * "flow" condition reads.
 */
#include <netinet/in.h>
#include <string.h>

#include <rte_mbuf.h>

#include "chain.h"
#include "flow_tags.h"
#include "nat.h"
#include "nat_frag.h"
#include "packet_gen.h"
#include "shared_state.h"

#define ICMP_DEST_UNREACH 3
#define ICMP_ADMIN_PROHIBITED 13
#define ICMP6_DEST_UNREACH 1
#define ICMP6_ADMIN_PROHIBITED 1

/* What a chain (and the chains it jumped to) decided. */
enum chain_result {
	CHAIN_END = 0,    /* no rule decided, or a return rule: the caller goes on */
	CHAIN_ACCEPT = 1,
	CHAIN_DROP = 2,
	CHAIN_REJECT = 3,
	CHAIN_LOOP = 4,   /* jumped deeper than CHAIN_JUMP_MAX */
	CHAIN_FAILED = 5, /* a NAT rule could not translate: the walk's drop says why */
};

static const char *const type_names[] = {
	[RULE_ACCEPT] = "accept", [RULE_CONTINUE] = "continue", [RULE_DROP] = "drop",
	[RULE_REJECT] = "reject", [RULE_JUMP] = "jump",	[RULE_RETURN] = "return",
	[RULE_DNAT] = "dnat", [RULE_SNAT] = "snat", [RULE_REV_DNAT] = "rev_dnat",
	[RULE_REV_SNAT] = "rev_snat",
};

const char *
chain_name(const struct topo_chain *ch)
{
	return ch->name[0] != '\0' ? ch->name : ch->id;
}

const char *
chain_rule_type_name(uint8_t type)
{
	return type < RTE_DIM(type_names) && type_names[type] != NULL ? type_names[type] : "?";
}

/* Is the packet a return packet of a known connection? Looked up once per walk. */
static bool
ct_is_return(struct sim_ctx *c)
{
	struct conntrack *ct = c->st->ct;
	struct ct_key rev;

	if (c->ct_state != SIM_CT_UNKNOWN)
		return c->ct_state == SIM_CT_RETURN;
	c->ct_entry = CT_NO_ENTRY;
	if (ct == NULL || !ct_key_of(&c->cur, false, &c->ct_fwd)) {
		c->ct_state = SIM_CT_UNTRACKED;
		return false;
	}
	ct_key_of(&c->cur, true, &rev);
	/*
	 * The answer changes when either connection starts or ends: the flow
	 * carries both tags (its own 5-tuple's, and the reversed one's).
	 */
	sim_tag(c, tag_conntrack(ct_key_hash(&c->ct_fwd)));
	sim_tag(c, tag_conntrack(ct_key_hash(&rev)));
	c->ct_entry = conntrack_lookup(ct, &c->ct_fwd);
	if (c->ct_entry == CT_NO_ENTRY) {
		c->ct_entry = conntrack_lookup(ct, &rev);
		/* Neither: a return packet of a connection another host made?  The store knows. */
		if (c->ct_entry == CT_NO_ENTRY && sim_state_ask(c, &rev)) {
			c->ct_state = SIM_CT_UNKNOWN;
			return false;
		}
		if (c->ct_entry != CT_NO_ENTRY) {
			c->ct_state = SIM_CT_RETURN;
			sim_trace(c, "conntrack: return packet of a known connection");
			return true;
		}
	}
	c->ct_state = SIM_CT_FORWARD;
	sim_trace(c, "conntrack: forward packet (%s connection)",
		  c->ct_entry == CT_NO_ENTRY ? "new" : "known");
	return false;
}

void
chain_conntrack_finish(struct sim_ctx *c, bool forwarded)
{
	struct sim_thread *st = c->st;

	if (!forwarded || (c->ct_state != SIM_CT_FORWARD && c->ct_state != SIM_CT_RETURN))
		return;
	if (c->ct_entry == CT_NO_ENTRY) {
		c->ct_entry = conntrack_add(st->ct, &c->ct_fwd, c->now);
		if (c->ct_entry == CT_NO_ENTRY) {
			st->stats.ct_table_full++;
			return;
		}
		st->stats.ct_created++;
		sim_state_created(c, c->ct_entry);
		/* Flows that found no connection here (return packets dropped before) are wrong now. */
		st->stats.invalidations++;
		flow_cache_invalidate_tag(st->cache, tag_conntrack(ct_key_hash(&c->ct_fwd)));
		sim_trace(c, "conntrack: connection recorded");
	}
	sim_hold(c, c->ct_entry);
}

static bool
mac_masked_eq(const struct rte_ether_addr *a, const struct rte_ether_addr *mask,
	      const struct rte_ether_addr *want)
{
	unsigned int i;

	for (i = 0; i < RTE_ETHER_ADDR_LEN; i++)
		if ((a->addr_bytes[i] & mask->addr_bytes[i]) != want->addr_bytes[i])
			return false;
	return true;
}

static bool
port_listed(const uint32_t *ports, uint32_t n, uint32_t port)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (ports[i] == port)
			return true;
	return false;
}

static bool
cidr_match(const struct flow_key *k, const uint8_t *addr, bool v6, const uint8_t *prefix,
	   uint8_t len)
{
	rte_be32_t a, p;

	if (v6)
		return k->l3_kind == FLOW_L3_IPV6 && ipv6_in_prefix(addr, prefix, len);
	/* IPv4 CIDRs also read an ARP packet's sender and target addresses, as MidoNet does. */
	if (k->l3_kind != FLOW_L3_IPV4 && k->l3_kind != FLOW_L3_ARP)
		return false;
	memcpy(&a, addr, sizeof(a));
	memcpy(&p, prefix, sizeof(p));
	return ipv4_in_prefix(a, p, len);
}

static bool
frag_policy_ok(const struct flow_key *k, uint8_t policy)
{
	uint8_t frag = (k->l3_kind == FLOW_L3_IPV4 || k->l3_kind == FLOW_L3_IPV6) ? k->nw_frag
										    : FLOW_FRAG_NONE;

	switch (policy) {
	case FRAG_POLICY_HEADER:
		return frag != FLOW_FRAG_LATER;
	case FRAG_POLICY_NONHEADER:
		return frag == FLOW_FRAG_LATER;
	case FRAG_POLICY_UNFRAGMENTED:
		return frag == FLOW_FRAG_NONE;
	default:
		return true;
	}
}

static bool
proto_has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP ||
	       proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

/* Does the key carry L4 ports (or an ICMP type and code) for port conditions to read? */
static bool
has_ports(const struct flow_key *k)
{
	if ((k->l3_kind != FLOW_L3_IPV4 && k->l3_kind != FLOW_L3_IPV6) ||
	    k->nw_frag == FLOW_FRAG_LATER)
		return false;
	return proto_has_ports(k->nw_proto);
}

/* A NAT rule that keeps per-connection state: it translates by the ports. */
static bool
rule_nat_stateful(const struct topo_rule *r)
{
	return (r->type == RULE_DNAT || r->type == RULE_SNAT || r->type == RULE_REV_DNAT ||
		r->type == RULE_REV_SNAT) &&
	       !r->nat_static;
}

/* What a rule can read of the walk's L4 ports. */
enum rule_ports {
	RULE_PORTS_NONE = 0,    /* none: port conditions read them as absent */
	RULE_PORTS_READ = 1,    /* the key's, or a later fragment's header's (nat_frag.h) */
	RULE_PORTS_UNKNOWN = 2, /* a later fragment's, its header not seen yet */
};

/*
 * Which ports r reads, or false when its fragment policy excludes the
 * packet.  A stateful NAT rule matches header fragments only (the model's
 * policy), but a later fragment must leave it translated as its header did
 * (nat_frag.h): the rule reads it with its header's ports when they are
 * known, and takes it, to wait for them, when all but the ports match.
 */
static bool
rule_reads_ports(const struct sim_ctx *c, const struct topo_rule *r, enum rule_ports *ports)
{
	const struct flow_key *k = &c->cur;

	*ports = has_ports(k) ? RULE_PORTS_READ : RULE_PORTS_NONE;
	if (frag_policy_ok(k, r->frag_policy))
		return true;
	if (!rule_nat_stateful(r) || k->l3_kind != FLOW_L3_IPV4 || k->nw_frag != FLOW_FRAG_LATER)
		return false;
	if (!c->frag_ports)
		*ports = RULE_PORTS_UNKNOWN;
	else if (proto_has_ports(k->nw_proto))
		*ports = RULE_PORTS_READ;
	return true;
}

/* What a dst-port condition reads: the port, or ICMP's code (echo's is 0). */
static uint16_t
key_dst_port(const struct flow_key *k)
{
	return k->nw_proto == IPPROTO_ICMP || k->nw_proto == IPPROTO_ICMPV6 ? flow_icmp_code(k)
									      : k->tp_dst;
}

/*
 * Every condition the rule has must hold (a negated one must not); the
 * cheap ones first, connection tracking last, since it looks up a table.
 */
static bool
rule_matches(struct sim_ctx *c, const struct topo_rule *r, uint32_t in_port, uint32_t out_port)
{
	const struct flow_key *k = &c->cur;
	bool ip = k->l3_kind == FLOW_L3_IPV4 || k->l3_kind == FLOW_L3_IPV6;
	enum rule_ports ports;
	bool readable;

	/* A condition fails when what it tests equals its negation bit. */
#define COND_FAILS(bit, test) ((r->conds & (bit)) && (bool)(test) == ((r->inv & (bit)) != 0))
	if (!rule_reads_ports(c, r, &ports))
		return false;
	if (COND_FAILS(COND_ETHERTYPE, k->ether_type == r->ethertype) ||
	    COND_FAILS(COND_HW_SRC, mac_masked_eq(&k->eth_src, &r->hw_src_mask, &r->hw_src)) ||
	    COND_FAILS(COND_HW_DST, mac_masked_eq(&k->eth_dst, &r->hw_dst_mask, &r->hw_dst)) ||
	    COND_FAILS(COND_IN_PORTS, port_listed(r->in_ports, r->n_in_ports, in_port)) ||
	    COND_FAILS(COND_OUT_PORTS, port_listed(r->out_ports, r->n_out_ports, out_port)) ||
	    COND_FAILS(COND_PORT_GROUP, in_port != TOPO_NO_INDEX &&
					    topo_port_group_has(&c->t->port_groups[r->port_group],
								in_port)) ||
	    COND_FAILS(COND_PROTO, ip && k->nw_proto == r->proto) ||
	    COND_FAILS(COND_TOS, ip && k->nw_tos == r->tos) ||
	    COND_FAILS(COND_SRC, cidr_match(k, k->nw_src, r->src6, r->src_addr, r->src_len)) ||
	    COND_FAILS(COND_DST, cidr_match(k, k->nw_dst, r->dst6, r->dst_addr, r->dst_len)))
		return false;
	/* All but the ports match: a header fragment's datagram is remembered for the rest. */
	if (rule_nat_stateful(r) && k->nw_frag == FLOW_FRAG_FIRST)
		nat_frag_header_met(c);
	/* The NAT rule makes it wait for its header, and reads it again with the header's ports. */
	if (ports == RULE_PORTS_UNKNOWN)
		return true;
	readable = ports == RULE_PORTS_READ;
	if (COND_FAILS(COND_SRC_PORT, readable && k->tp_src >= r->src_port_lo &&
					  k->tp_src <= r->src_port_hi) ||
	    COND_FAILS(COND_DST_PORT, readable && key_dst_port(k) >= r->dst_port_lo &&
					  key_dst_port(k) <= r->dst_port_hi))
		return false;
#undef COND_FAILS
	if (r->flow != RULE_FLOW_ANY)
		return ct_is_return(c) == (r->flow == RULE_FLOW_RETURN);
	return true;
}

static enum chain_result
chain_run(struct sim_ctx *c, uint32_t ci, uint32_t in_port, uint32_t out_port,
	  unsigned int depth)
{
	const struct topo_chain *ch = &c->t->chains[ci];
	enum chain_result res;
	uint32_t i;

	sim_tag(c, tag_chain(ci));
	c->st->stats.chains_run++;
	for (i = 0; i < ch->n_rules; i++) {
		const struct topo_rule *r = &ch->rules[i];

		/* The walk stopped to ask the state store: nothing it decides now counts. */
		if (unlikely(c->res->need_state))
			return CHAIN_FAILED;
		c->st->stats.rules_run++;
		if (!rule_matches(c, r, in_port, out_port))
			continue;
		explain_note_rule(&c->res->explain, ci, i);
		sim_trace(c, "chain %s: rule %u%s%s (%s) matched", chain_name(ch), r->pos,
			  r->id[0] ? " " : "", r->id, type_names[r->type]);
		/* A rule's meter counts what it lets on (the snapshot is this thread's: r->meter caches). */
		if (r->meter_name[0] != '\0' && r->type != RULE_DROP && r->type != RULE_REJECT)
			meter_note(&c->st->meters, (uint16_t *)(uintptr_t)&r->meter, "user:",
				   r->meter_name, c->res->meters, &c->res->n_meters);
		switch (r->type) {
		case RULE_ACCEPT:
			return CHAIN_ACCEPT;
		case RULE_DROP:
			return CHAIN_DROP;
		case RULE_REJECT:
			return CHAIN_REJECT;
		case RULE_RETURN:
			return CHAIN_END;
		case RULE_DNAT:
		case RULE_SNAT:
		case RULE_REV_DNAT:
		case RULE_REV_SNAT:
			switch (nat_apply(c, r, in_port)) {
			case NAT_NOT_APPLICABLE:
				sim_trace(c, "chain %s: rule %u: nothing to translate", chain_name(ch),
					  r->pos);
				continue;
			case NAT_FAILED:
				return CHAIN_FAILED;
			default:
				break;
			}
			if (r->nat_action == NAT_ACTION_ACCEPT)
				return CHAIN_ACCEPT;
			if (r->nat_action == NAT_ACTION_RETURN)
				return CHAIN_END;
			break;
		case RULE_JUMP:
			if (depth + 1 >= CHAIN_JUMP_MAX) {
				sim_trace(c, "chain %s: jump to %s: deeper than %u chains",
					  chain_name(ch), chain_name(&c->t->chains[r->jump_to]),
					  CHAIN_JUMP_MAX);
				return CHAIN_LOOP;
			}
			res = chain_run(c, r->jump_to, in_port, out_port, depth + 1);
			if (res != CHAIN_END)
				return res;
			sim_trace(c, "chain %s: back from %s", chain_name(ch),
				  chain_name(&c->t->chains[r->jump_to]));
			break;
		default: /* RULE_CONTINUE */
			break;
		}
	}
	return CHAIN_END;
}

/* The answer to a rejected packet: TCP RST for TCP, ICMP unreachable (admin prohibited) else. */
static void
chain_reject(struct sim_ctx *c, uint32_t in_port)
{
	const struct flow_key *k = &c->cur;
	struct sim_thread *st = c->st;
	struct rte_mbuf *m = NULL;
	rte_be32_t src;

	/* Whether an answer goes, and what it says, depends on more than the key. */
	c->res->cacheable = false;
	if (in_port == TOPO_NO_INDEX || rte_is_multicast_ether_addr(&c->in_eth_dst))
		return;
	if (k->l3_kind == FLOW_L3_IPV4) {
		if (k->nw_proto == IPPROTO_TCP && k->nw_frag != FLOW_FRAG_LATER) {
			m = packet_gen_tcp_rst(st->pool, c->m, c->meta->l3_ofs, &c->in_eth_dst,
					       &c->in_eth_src);
		} else {
			memcpy(&src, k->nw_dst, sizeof(src));
			m = packet_gen_icmp_error(st->pool, c->m, c->meta->l3_ofs,
						  ICMP_DEST_UNREACH, ICMP_ADMIN_PROHIBITED, 0,
						  &c->in_eth_dst, src, &c->in_eth_src);
		}
	} else if (k->l3_kind == FLOW_L3_IPV6) {
		m = packet_gen_icmp6_error(st->pool, c->m, c->meta->l3_ofs, ICMP6_DEST_UNREACH,
					   ICMP6_ADMIN_PROHIBITED, 0, &c->in_eth_dst, k->nw_dst,
					   &c->in_eth_src);
	}
	if (m == NULL)
		return;
	st->stats.rejects_sent++;
	sim_emit(c, m, in_port);
}

bool
chain_filter(struct sim_ctx *c, uint32_t chain, uint32_t in_port, uint32_t out_port,
	     const char *kind, const char *name, const char *hook)
{
	enum chain_result res;

	if (chain == TOPO_NO_INDEX)
		return true;
	sim_trace(c, "%s %s %s: chain %s", kind, name, hook, chain_name(&c->t->chains[chain]));
	res = chain_run(c, chain, in_port, out_port, 0);
	if (unlikely(c->res->need_state))
		return false;
	switch (res) {
	case CHAIN_DROP:
		sim_drop(c, DROP_RULE_DROP);
		return false;
	case CHAIN_REJECT:
		chain_reject(c, in_port);
		sim_drop(c, DROP_RULE_REJECT);
		return false;
	case CHAIN_LOOP:
		sim_drop(c, DROP_CHAIN_JUMP_LIMIT);
		return false;
	case CHAIN_FAILED:
		return false;
	case CHAIN_END:
		explain_note(&c->res->explain, EXPLAIN_CHAIN_ACCEPT, chain);
		sim_trace(c, "chain %s: no rule decided: accept", chain_name(&c->t->chains[chain]));
		return true;
	default:
		return true;
	}
}
