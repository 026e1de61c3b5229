/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Link state of the ports.  A device that raises link-change interrupts
 * (RTE_ETH_DEV_INTR_LSC in its dev_flags; net_tap does, from netlink) has a
 * callback registered before it starts (port.c asks for intr_conf.lsc): it
 * runs on EAL's interrupt thread and only raises a flag.  The others are
 * read every LINK_POLL_MS from the control loop.  Either way the control
 * thread reads the link (rte_eth_link_get_nowait, which never waits for a
 * negotiation), and a change is logged as MidoNet's agent.Interface does
 * ("UPDATE <name> link up|down") and carried into the topology: the bindings
 * are resolved again with it (topology_reload.c), a port whose link is down
 * is left out of floods and output to it is dropped as link_down, and the
 * flows out of it go with the diff (sim/topology_diff.c).
 */
#include <errno.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_pause.h>

#include "dataplane.h"

/* Links without interrupts are read this often: a syscall per port, off the fast path. */
#define LINK_POLL_MS 500

/* EAL's interrupt thread: a flag, read by the control loop's next tick. */
static int
link_event(uint16_t port_id, enum rte_eth_event_type type, void *arg, void *ret_param)
{
	struct kairo_dp *dp = arg;

	RTE_SET_USED(port_id);
	RTE_SET_USED(type);
	RTE_SET_USED(ret_param);
	__atomic_store_n(&dp->link_event, 1, __ATOMIC_RELEASE);
	return 0;
}

void
dp_port_link_watch(struct kairo_dp *dp, struct dp_port *p, bool on)
{
	int ret;

	if (!p->lsc)
		return;
	if (on) {
		ret = rte_eth_dev_callback_register(p->id, RTE_ETH_EVENT_INTR_LSC, link_event, dp);
		if (ret != 0) {
			/* Polled instead. */
			DP_LOG(WARNING, "port %u: no link-change callback (%s): its link is polled",
			       p->id, rte_strerror(-ret));
			p->lsc = false;
		}
		return;
	}
	/* -EAGAIN: the callback runs now; it is short. */
	while (rte_eth_dev_callback_unregister(p->id, RTE_ETH_EVENT_INTR_LSC, link_event, dp) ==
	       -EAGAIN)
		rte_pause();
}

void
dp_ports_link_tick(struct kairo_dp *dp)
{
	bool event = __atomic_exchange_n(&dp->link_event, 0, __ATOMIC_ACQ_REL) != 0;
	uint64_t now = rte_get_tsc_cycles();
	bool poll = now - dp->link_poll_tsc >= rte_get_tsc_hz() / 1000 * LINK_POLL_MS;
	char why[CONFIG_NAME_LEN + 32];
	struct rte_eth_link link;
	unsigned int changed = 0;
	uint16_t i;
	bool up;

	if (!event && !poll)
		return;
	if (poll)
		dp->link_poll_tsc = now;
	dp_ports_lock(dp);
	for (i = 0; i < dp->n_ports; i++) {
		struct dp_port *p = &dp->ports[i];

		if (!p->in_use || !(p->lsc ? event : poll))
			continue;
		if (rte_eth_link_get_nowait(p->id, &link) != 0)
			continue;
		up = link.link_status == RTE_ETH_LINK_UP;
		if (up == p->link_up)
			continue;
		p->link_up = up;
		DP_LOG(INFO, "agent.Interface UPDATE %s link %s", p->cfg->name, up ? "up" : "down");
		snprintf(why, sizeof(why), "link of %s %s", p->cfg->name, up ? "up" : "down");
		changed++;
	}
	if (changed != 0)
		dp_topology_reload_locked(dp, changed == 1 ? why : "links changed");
	dp_ports_unlock(dp);
}
