/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Action lists as text, "output:2,set_eth_dst:...", for flow dumps and
 * traces: never on a worker.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>

#include "drop_reason.h"
#include "flow_action.h"
#include "tunnel.h"

static int
format_mac(char *buf, size_t len, const struct rte_ether_addr *mac)
{
	char s[RTE_ETHER_ADDR_FMT_SIZE];

	rte_ether_format_addr(s, sizeof(s), mac);
	return snprintf(buf, len, "%s", s);
}

int
flow_actions_format(const struct flow_actions *acts, char *buf, size_t len)
{
	size_t off = 0;
	unsigned int i;

	if (len == 0)
		return 0;
	buf[0] = '\0';
	if (acts->n == 0 || acts->n_outputs == 0) {
		/* An empty or output-less list is a drop, as in OVS's "actions:drop". */
		int only_drop = 1;

		for (i = 0; i < acts->n; i++)
			only_drop &= acts->a[i].type == FLOW_ACTION_DROP;
		if (only_drop) {
			uint16_t r = acts->n ? acts->a[acts->n - 1].drop_reason : DROP_FLOW_ACTION_DROP;

			return snprintf(buf, len, "drop(%s)", drop_reason_name(r));
		}
	}
	for (i = 0; i < acts->n && off < len; i++) {
		const struct flow_action *a = &acts->a[i];
		const char *sep = i ? "," : "";
		int w = 0;

		switch (a->type) {
		case FLOW_ACTION_OUTPUT:
			w = snprintf(buf + off, len - off, "%soutput:%u", sep, a->port);
			break;
		case FLOW_ACTION_DROP:
			w = snprintf(buf + off, len - off, "%sdrop(%s)", sep,
				     drop_reason_name(a->drop_reason));
			break;
		case FLOW_ACTION_SET_ETH_SRC:
		case FLOW_ACTION_SET_ETH_DST:
			w = snprintf(buf + off, len - off, "%sset_eth_%s:", sep,
				     a->type == FLOW_ACTION_SET_ETH_SRC ? "src" : "dst");
			if (w > 0 && off + w < len)
			{
				struct rte_ether_addr mac = a->mac;

				w += format_mac(buf + off + w, len - off - w, &mac);
			}
			break;
		case FLOW_ACTION_PUSH_VLAN:
			w = snprintf(buf + off, len - off, "%spush_vlan:0x%04x/%u", sep, a->vlan.tpid,
				     a->vlan.tci);
			break;
		case FLOW_ACTION_POP_VLAN:
			w = snprintf(buf + off, len - off, "%spop_vlan", sep);
			break;
		case FLOW_ACTION_TO_SLOW_PATH:
			w = snprintf(buf + off, len - off, "%sslow_path", sep);
			break;
		case FLOW_ACTION_CHECK_IPV4:
			w = snprintf(buf + off, len - off, "%scheck(ttl>%u,len<=%u)", sep,
				     a->check.ttl_over, a->check.mtu);
			break;
		case FLOW_ACTION_DEC_TTL:
			w = snprintf(buf + off, len - off, "%sdec_ttl:%u", sep, a->ttl_dec);
			break;
		case FLOW_ACTION_CHECK_IPV6:
			w = snprintf(buf + off, len - off, "%scheck6(hlim>%u,len<=%u)", sep,
				     a->check.ttl_over, a->check.mtu);
			break;
		case FLOW_ACTION_DEC_HOP_LIMIT:
			w = snprintf(buf + off, len - off, "%sdec_hop_limit:%u", sep, a->ttl_dec);
			break;
		case FLOW_ACTION_SET_IPV4_SRC:
		case FLOW_ACTION_SET_IPV4_DST: {
			char addr[INET_ADDRSTRLEN];
			rte_be32_t nat_addr = a->nat.addr;

			inet_ntop(AF_INET, &nat_addr, addr, sizeof(addr));
			w = snprintf(buf + off, len - off, "%sset_ipv4_%s:%s", sep,
				     a->type == FLOW_ACTION_SET_IPV4_SRC ? "src" : "dst", addr);
			if (w > 0 && (a->flags & FLOW_NAT_PORT) && off + w < len)
				w += snprintf(buf + off + w, len - off - w, ":%u",
					      rte_be_to_cpu_16(a->nat.port));
			break;
		}
		case FLOW_ACTION_TUNNEL_OUTPUT: {
			/* The peer's address is in its template: the outer IPv4 destination. */
			char addr[INET_ADDRSTRLEN] = "?";
			const struct tunnel_outer *o = kairo_tunnel != NULL ?
				&kairo_tunnel->outer[a->tunnel.slot % (TUNNEL_PEERS_MAX * 2)] : NULL;
			uint32_t key = a->tunnel.key;

			if (o != NULL)
				inet_ntop(AF_INET, o->hdr + RTE_ETHER_HDR_LEN +
					  offsetof(struct rte_ipv4_hdr, dst_addr), addr, sizeof(addr));
			w = snprintf(buf + off, len - off, "%stunnel(%s,%s,key=%u)", sep,
				     o != NULL && o->type == TUNNEL_GRE ? "gre" : "vxlan", addr, key);
			break;
		}
		}
		if (w < 0)
			break;
		off += (size_t)w;
	}
	return (int)(off < len ? off : len - 1);
}
