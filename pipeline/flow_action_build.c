/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Building action lists, on the simulation's side: each helper appends one
 * action, so a walk writes the list in the order the workers will run it
 * (flow_action_execute.c).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>

#include "flow_action.h"

static struct flow_action *
flow_actions_append(struct flow_actions *acts, uint8_t type)
{
	struct flow_action *a;

	if (acts->n >= FLOW_ACTIONS_MAX)
		return NULL;
	a = &acts->a[acts->n++];
	memset(a, 0, sizeof(*a));
	a->type = type;
	return a;
}

int
flow_actions_output(struct flow_actions *acts, uint16_t port)
{
	struct flow_action *a = flow_actions_append(acts, FLOW_ACTION_OUTPUT);

	if (a == NULL)
		return -ENOSPC;
	a->port = port;
	acts->n_outputs++;
	return 0;
}

int
flow_actions_drop(struct flow_actions *acts, uint16_t reason)
{
	struct flow_action *a = flow_actions_append(acts, FLOW_ACTION_DROP);

	if (a == NULL)
		return -ENOSPC;
	a->drop_reason = reason;
	return 0;
}

int
flow_actions_set_eth(struct flow_actions *acts, int dst, const struct rte_ether_addr *mac)
{
	struct flow_action *a =
		flow_actions_append(acts, dst ? FLOW_ACTION_SET_ETH_DST : FLOW_ACTION_SET_ETH_SRC);

	if (a == NULL)
		return -ENOSPC;
	a->mac = *mac;
	return 0;
}

int
flow_actions_push_vlan(struct flow_actions *acts, uint16_t tpid, uint16_t tci)
{
	struct flow_action *a = flow_actions_append(acts, FLOW_ACTION_PUSH_VLAN);

	if (a == NULL)
		return -ENOSPC;
	a->vlan.tpid = tpid;
	a->vlan.tci = tci;
	return 0;
}

int
flow_actions_pop_vlan(struct flow_actions *acts)
{
	return flow_actions_append(acts, FLOW_ACTION_POP_VLAN) == NULL ? -ENOSPC : 0;
}

int
flow_actions_to_slow_path(struct flow_actions *acts)
{
	return flow_actions_append(acts, FLOW_ACTION_TO_SLOW_PATH) == NULL ? -ENOSPC : 0;
}

int
flow_actions_check_ipv4(struct flow_actions *acts, uint8_t ttl_over, uint16_t mtu)
{
	struct flow_action *a = flow_actions_append(acts, FLOW_ACTION_CHECK_IPV4);

	if (a == NULL)
		return -ENOSPC;
	a->check.ttl_over = ttl_over;
	a->check.mtu = mtu;
	return 0;
}

int
flow_actions_dec_ttl(struct flow_actions *acts, uint8_t n)
{
	struct flow_action *a = flow_actions_append(acts, FLOW_ACTION_DEC_TTL);

	if (a == NULL)
		return -ENOSPC;
	a->ttl_dec = n;
	return 0;
}

int
flow_actions_check_ipv6(struct flow_actions *acts, uint8_t hop_limit_over, uint16_t mtu)
{
	struct flow_action *a = flow_actions_append(acts, FLOW_ACTION_CHECK_IPV6);

	if (a == NULL)
		return -ENOSPC;
	a->check.ttl_over = hop_limit_over;
	a->check.mtu = mtu;
	return 0;
}

int
flow_actions_dec_hop_limit(struct flow_actions *acts, uint8_t n)
{
	struct flow_action *a = flow_actions_append(acts, FLOW_ACTION_DEC_HOP_LIMIT);

	if (a == NULL)
		return -ENOSPC;
	a->ttl_dec = n;
	return 0;
}

int
flow_actions_set_ipv4(struct flow_actions *acts, int dst, rte_be32_t addr, rte_be16_t port,
		      bool port_too)
{
	struct flow_action *a =
		flow_actions_append(acts, dst ? FLOW_ACTION_SET_IPV4_DST : FLOW_ACTION_SET_IPV4_SRC);

	if (a == NULL)
		return -ENOSPC;
	a->nat.addr = addr;
	a->nat.port = port_too ? port : 0;
	a->flags = port_too ? FLOW_NAT_PORT : 0;
	return 0;
}

int
flow_actions_tunnel_output(struct flow_actions *acts, uint16_t slot, uint32_t key)
{
	struct flow_action *a = flow_actions_append(acts, FLOW_ACTION_TUNNEL_OUTPUT);

	if (a == NULL)
		return -ENOSPC;
	a->tunnel.slot = slot;
	a->tunnel.key = key;
	acts->n_outputs++;
	return 0;
}
