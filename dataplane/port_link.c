/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Link state of the ports.  A device that has link-change interrupts
 * (RTE_ETH_DEV_INTR_LSC in its dev_flags; net_tap does, from netlink) is
 * configured with intr_conf.lsc (port.c): the driver keeps the link in the
 * port's data as the interrupts say, and rte_eth_link_get_nowait only reads
 * it, so the control loop reads those links every tick (a memory read).  A
 * callback is registered for RTE_ETH_EVENT_INTR_LSC as well: a driver that
 * calls it makes the next tick read every link at once.  net_tap in DPDK
 * 22.11 updates its link from netlink without calling the callbacks.
 *
 * A driver sees its kernel interface (net_tap's, af_packet's) only in
 * kairod's own network namespace: net_tap reads the flags by name there, and
 * the interface's move to another namespace (a VM's) reads as down, for ever.
 * Such a port's link is not followed: it is taken as up, as it was before
 * link state existed.  Which namespace the interface is in is looked at
 * every LINK_POLL_MS, and a link that reads down is believed only once it
 * stayed down LINK_FALL_SETTLE_MS with the interface still here: a move
 * takes the interface down on its way out, and that is no fall.
 *
 * A device without interrupts is asked every LINK_POLL_MS (its link_update
 * may be a syscall).  A change is logged as MidoNet's agent.Interface does
 * ("UPDATE <name> link up|down") and carried into the topology: the bindings
 * are resolved again with it (topology_reload.c), a port whose link is down
 * is left out of floods and output to it is dropped as link_down, and the
 * flows out of it go with the diff (sim/topology_diff.c).
 */
#include <errno.h>
#include <net/if.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_pause.h>

#include "dataplane.h"
#include "event_log.h"

/* Links without interrupts are asked this often: maybe a syscall per port, off the fast path. */
#define LINK_POLL_MS 500
/* A link down this long, its interface still in our namespace, is down (not on its way out). */
#define LINK_FALL_SETTLE_MS 100

/* EAL's interrupt thread: a flag; the control loop's next tick reads every link. */
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

/* Is the port's kernel interface gone from kairod's namespace (its index names another)? */
static bool
interface_elsewhere(const struct dp_port *p)
{
	char name[IF_NAMESIZE];

	return p->if_index != 0 &&
	       (if_indextoname(p->if_index, name) == NULL || strcmp(name, p->if_name) != 0);
}

/* The link as this host can know it (see the top): up when the driver cannot see it. */
static int
link_read(struct dp_port *p, bool poll, uint64_t now, bool *up)
{
	const uint64_t settle = rte_get_tsc_hz() / 1000 * LINK_FALL_SETTLE_MS;
	struct rte_eth_link link;
	int ret;

	if ((ret = rte_eth_link_get_nowait(p->id, &link)) != 0)
		return ret;
	*up = link.link_status == RTE_ETH_LINK_UP;
	if (poll)
		p->link_foreign = interface_elsewhere(p);
	if (*up || !p->link_up) {
		p->link_fall_tsc = 0;
	} else if (!p->link_foreign) {
		/* A fall: believed once it lasted, the interface still here. */
		if (p->link_fall_tsc == 0)
			p->link_fall_tsc = now;
		if (now - p->link_fall_tsc < settle)
			*up = true;
		else
			p->link_foreign = interface_elsewhere(p);
	}
	if (p->link_foreign)
		*up = true;
	return 0;
}

void
dp_ports_link_tick(struct kairo_dp *dp)
{
	bool event = __atomic_exchange_n(&dp->link_event, 0, __ATOMIC_ACQ_REL) != 0;
	uint64_t now = rte_get_tsc_cycles();
	bool poll = now - dp->link_poll_tsc >= rte_get_tsc_hz() / 1000 * LINK_POLL_MS;
	char why[CONFIG_NAME_LEN + 32];
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

		if (!p->in_use || !(p->lsc || event || poll))
			continue;
		if (link_read(p, poll, now, &up) != 0 || up == p->link_up)
			continue;
		p->link_up = up;
		DP_LOG(INFO, "agent.Interface UPDATE %s link %s", p->cfg->name, up ? "up" : "down");
		event_log("agent.Interface", "UPDATE", "%s link %s", p->cfg->name,
			  up ? "up" : "down");
		snprintf(why, sizeof(why), "link of %s %s", p->cfg->name, up ? "up" : "down");
		changed++;
	}
	if (changed != 0)
		dp_topology_reload_locked(dp, changed == 1 ? why : "links changed");
	dp_ports_unlock(dp);
}
