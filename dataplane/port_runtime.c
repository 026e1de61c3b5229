/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ports that come and go while kairod runs: `kairoctl port add|remove`
 * (control/ctl_ports.c) and the config file's ports read again on SIGHUP.
 *
 * Adding a port: its name and device must be free; the device is probed
 * (rte_dev_probe, vdev or PCI alike), configured and started in a free slot
 * of dp->ports[]; its RX queues are given to workers and every worker gets a
 * new poll list (poll_lists.c) without stopping; the bindings are resolved
 * again, so one that waited for this interface takes effect (Port BIND).
 * A failure on the way undoes what was done, the probe too.
 *
 * Removing a port, in this order:
 *  1. its slot leaves the poll lists and the interface list; the lists are
 *     swapped and the workers pass a quiescent state (rte_rcu_qsbr): from
 *     then on no worker polls it, and a packet still sent to it (a flow not
 *     yet invalidated, a packet the simulation made) is dropped as port_gone;
 *  2. the bindings are resolved again without the interface: its binding
 *     waits again (Port UNBIND) and the simulation's diff removes the flows
 *     tagged with the virtual port (sim/topology_diff.c); the command waits
 *     until the simulation runs that snapshot, so its flows are gone when it
 *     returns;
 *  3. the device is stopped, closed and removed (rte_dev_remove).  DPDK may
 *     give its port id to the next device probed: a port that comes resets
 *     every worker's state for its id (worker_poll_apply) and starts its
 *     tx_dropped from the workers' count at that moment.
 *
 * The interfaces are logged as MidoNet's agent.Interface does: DETECT when a
 * port appears, DELETE when it is removed (UPDATE for links: port_link.c).
 * With ZooKeeper the host record's interfaces are rewritten.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>

#include "dataplane.h"
#include "event_log.h"

/* How long a removal waits for the simulation to run the snapshot without the port. */
#define PORT_REMOVE_SIM_WAIT_MS 2000

void
dp_ports_lock(struct kairo_dp *dp)
{
	pthread_mutex_lock(&dp->ports_lock);
}

void
dp_ports_unlock(struct kairo_dp *dp)
{
	pthread_mutex_unlock(&dp->ports_lock);
}

struct dp_port *
dp_port_by_name(struct kairo_dp *dp, const char *name)
{
	uint16_t i;

	for (i = 0; i < dp->n_ports; i++)
		if (dp->ports[i].in_use && strcmp(dp->cfg.ports[i].name, name) == 0)
			return &dp->ports[i];
	return NULL;
}

json_t *
dp_interfaces_json(const struct kairo_dp *dp)
{
	json_t *ifs = json_array();
	uint16_t i;

	for (i = 0; i < dp->cfg.n_ports; i++) {
		const struct port_config *pc = &dp->cfg.ports[i];

		if (pc->name[0] == '\0')
			continue;
		json_array_append_new(ifs, json_pack("{s:s, s:s, s:s}", "name", pc->name, "device",
						     pc->devargs, "role",
						     pc->role == PORT_ROLE_UPLINK ? "uplink" : "vport"));
	}
	return ifs;
}

/* The store's host record (ZooKeeper) lists the interfaces as they are now. */
static void
interfaces_publish(struct kairo_dp *dp)
{
	json_t *ifs;
	char err[512];

	if (dp->store == NULL || dp->store->ops->set_interfaces == NULL)
		return;
	ifs = dp_interfaces_json(dp);
	if (dp->store->ops->set_interfaces(dp->store, ifs, err, sizeof(err)) != 0)
		DP_LOG(WARNING, "host record not updated (written again at the next session): %s",
		       err);
	json_decref(ifs);
}

/* The ethdev name a devargs string makes: up to its first comma. */
static void
device_name(const char *devargs, char *out, size_t len)
{
	size_t n = strcspn(devargs, ",");

	snprintf(out, len, "%.*s", (int)RTE_MIN(n, len - 1), devargs);
}

/* Refused before anything is touched: the name or the device taken, no slot free. */
static int
port_add_check(struct kairo_dp *dp, const struct port_config *pc, uint16_t *slot, char *err,
	       size_t errlen)
{
	char dev[RTE_ETH_NAME_MAX_LEN], other[RTE_ETH_NAME_MAX_LEN];
	const struct dp_port *p;
	uint16_t i, id;

	if ((p = dp_port_by_name(dp, pc->name)) != NULL) {
		snprintf(err, errlen, "port \"%s\": the name is in use (DPDK port %u, device %s)",
			 pc->name, p->id, p->cfg->devargs);
		return -EEXIST;
	}
	device_name(pc->devargs, dev, sizeof(dev));
	for (i = 0; i < dp->n_ports; i++) {
		if (!dp->ports[i].in_use)
			continue;
		device_name(dp->cfg.ports[i].devargs, other, sizeof(other));
		if (strcmp(dev, other) == 0 ||
		    (rte_eth_dev_get_port_by_name(dev, &id) == 0 && id == dp->ports[i].id)) {
			snprintf(err, errlen, "port \"%s\": device \"%s\" is used by port \"%s\"",
				 pc->name, dev, dp->cfg.ports[i].name);
			return -EBUSY;
		}
	}
	for (i = 0; i < RTE_MAX_ETHPORTS; i++)
		if (!dp->ports[i].in_use && dp->cfg.ports[i].name[0] == '\0')
			break;
	if (i == RTE_MAX_ETHPORTS) {
		snprintf(err, errlen, "port \"%s\": no room for another port (%d at most)", pc->name,
			 RTE_MAX_ETHPORTS);
		return -ENOSPC;
	}
	*slot = i;
	return 0;
}

/* What port ids counted as tx_dropped before this port had the id: its own start at 0. */
static uint64_t
tx_dropped_now(const struct kairo_dp *dp, uint16_t id)
{
	struct worker_stats ws;
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < dp->n_workers; i++) {
		worker_stats_read(dp->workers[i], &ws);
		n += ws.port_tx_dropped[id];
	}
	return n;
}

static int
port_add_locked(struct kairo_dp *dp, const struct port_config *pc, char *err, size_t errlen)
{
	uint16_t slot, n_cfg = dp->cfg.n_ports;
	struct dp_port *p;
	char why[CONFIG_NAME_LEN + 32];
	int ret;

	if ((ret = port_add_check(dp, pc, &slot, err, errlen)) != 0)
		return ret;
	dp->cfg.ports[slot] = *pc;
	if (slot >= dp->cfg.n_ports)
		dp->cfg.n_ports = slot + 1;
	if ((ret = dp_port_open(dp, slot, err, errlen)) != 0)
		goto free_slot;
	p = &dp->ports[slot];
	/* Out of the lists until they are published with it. */
	p->in_use = false;
	if ((ret = dp_poll_assign(dp, p, err, errlen)) != 0)
		goto close;
	p->tx_dropped_base = tx_dropped_now(dp, p->id);
	upcall_channel_set_port(dp->upcall, p->id,
				pc->role == PORT_ROLE_UPLINK ? PORT_BUCKET_TUNNEL : PORT_BUCKET_VPORT,
				&dp->upcall_cfg);
	p->in_use = true;
	if ((ret = dp_poll_publish(dp)) != 0) {
		p->in_use = false;
		snprintf(err, errlen, "port \"%s\": out of memory for the workers' poll lists",
			 pc->name);
		goto close;
	}
	dp_interface_event("DETECT", p);
	interfaces_publish(dp);
	snprintf(why, sizeof(why), "port %s added", pc->name);
	dp_topology_reload_locked(dp, why);
	return 0;
close:
	/* As dp_port_open undoes itself: a device EAL had stays, stopped. */
	if (p->probed) {
		dp_port_close(dp, p, true);
	} else {
		dp_port_link_watch(dp, p, false);
		rte_eth_dev_stop(p->id);
	}
	memset(p, 0, sizeof(*p));
free_slot:
	memset(&dp->cfg.ports[slot], 0, sizeof(dp->cfg.ports[slot]));
	dp->cfg.n_ports = n_cfg;
	return ret;
}

/*
 * An interface appeared or went, as MidoNet's agent.Interface says it: in the
 * log with its DPDK port and device, in the event log (util/event_log.h) by name.
 */
void
dp_interface_event(const char *what, const struct dp_port *p)
{
	DP_LOG(INFO, "agent.Interface %s %s (DPDK port %u, %s, %s)", what, p->cfg->name, p->id,
	       p->cfg->devargs, p->driver);
	event_log("agent.Interface", what, "%s", p->cfg->name);
}

int
dp_port_add(struct kairo_dp *dp, const struct port_config *pc, char *err, size_t errlen)
{
	int ret;

	dp_ports_lock(dp);
	ret = port_add_locked(dp, pc, err, errlen);
	dp_ports_unlock(dp);
	return ret;
}

static int
port_remove_locked(struct kairo_dp *dp, const char *name, uint64_t *version, char *err,
		   size_t errlen)
{
	struct dp_port *p = dp_port_by_name(dp, name);
	char why[CONFIG_NAME_LEN + 32];
	uint16_t slot;

	if (p == NULL) {
		snprintf(err, errlen, "no port \"%s\" (kairoctl show ports lists them)", name);
		return -ENOENT;
	}
	if (dp->cfg.underlay.enabled && strcmp(dp->cfg.underlay.interface, name) == 0) {
		snprintf(err, errlen, "port \"%s\" is the underlay's uplink (underlay.interface): "
			 "the tunnels need it", name);
		return -EBUSY;
	}
	slot = (uint16_t)(p - dp->ports);
	p->in_use = false;
	if (dp_poll_publish(dp) != 0) {
		p->in_use = true;
		snprintf(err, errlen, "port \"%s\": out of memory for the workers' poll lists", name);
		return -ENOMEM;
	}
	/* No worker polls or sends on it now: its binding waits, its flows go. */
	snprintf(why, sizeof(why), "port %s removed", name);
	dp_topology_reload_locked(dp, why);
	*version = dp->topo_version;
	dp_port_close(dp, p, true);
	event_log("agent.Interface", "DELETE", "%s", name);
	DP_LOG(INFO, "agent.Interface DELETE %s (DPDK port %u)", name, p->id);
	memset(p, 0, sizeof(*p));
	memset(&dp->cfg.ports[slot], 0, sizeof(dp->cfg.ports[slot]));
	interfaces_publish(dp);
	return 0;
}

int
dp_port_remove(struct kairo_dp *dp, const char *name, char *err, size_t errlen)
{
	uint64_t version = 0;
	int ret;

	dp_ports_lock(dp);
	ret = port_remove_locked(dp, name, &version, err, errlen);
	dp_ports_unlock(dp);
	/* Outside the lock: the simulation thread's dump reads the ports view under it. */
	if (ret == 0 && sim_thread_wait_topology(dp->sim, version, PORT_REMOVE_SIM_WAIT_MS) != 0)
		DP_LOG(WARNING, "port %s removed; the simulation has not yet dropped its flows "
		       "(they drop their packets as port_gone meanwhile)", name);
	return ret;
}

static const struct port_config *
config_port(const struct kairo_config *cfg, const char *name)
{
	uint16_t i;

	for (i = 0; i < cfg->n_ports; i++)
		if (cfg->ports[i].name[0] != '\0' && strcmp(cfg->ports[i].name, name) == 0)
			return &cfg->ports[i];
	return NULL;
}

json_t *
dp_ports_added_json(struct kairo_dp *dp)
{
	json_t *ports = json_array();
	uint16_t i;

	dp_ports_lock(dp);
	for (i = 0; i < dp->n_ports; i++) {
		const struct port_config *pc = dp->ports[i].cfg;
		json_t *jp;

		if (!dp->ports[i].in_use || config_port(&dp->file_cfg, pc->name) != NULL)
			continue;
		jp = json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:b}", "name", pc->name, "device",
			       pc->devargs, "role", pc->role == PORT_ROLE_UPLINK ? "uplink" : "vport",
			       "rx_queues", pc->rx_queues, "rx_desc", pc->rx_desc, "tx_desc",
			       pc->tx_desc, "promiscuous", pc->promiscuous);
		if (pc->mtu != 0)
			json_object_set_new(jp, "mtu", json_integer(pc->mtu));
		json_array_append_new(ports, jp);
	}
	dp_ports_unlock(dp);
	return ports;
}

/* Fields besides the ports that the file changed: they take effect at restart. */
static void
config_others_changed(const struct kairo_config *was, const struct kairo_config *now)
{
	struct kairo_config *cmp = malloc(sizeof(*cmp));

	if (cmp == NULL)
		return;
	*cmp = *now;
	cmp->n_ports = was->n_ports;
	memcpy(cmp->ports, was->ports, sizeof(cmp->ports));
	if (memcmp(cmp, was, sizeof(*cmp)) != 0)
		DP_LOG(WARNING, "%s: fields other than ports changed: they take effect at restart",
		       now->file);
	free(cmp);
}

/* Whether a port of this name runs now (the command server may be adding or removing one). */
static bool
port_running(struct kairo_dp *dp, const char *name)
{
	bool running;

	dp_ports_lock(dp);
	running = dp_port_by_name(dp, name) != NULL;
	dp_ports_unlock(dp);
	return running;
}

void
dp_ports_reread_config(struct kairo_dp *dp)
{
	struct kairo_config *next = calloc(1, sizeof(*next));
	const struct port_config *old, *pc;
	char err[1024];
	uint16_t i;

	if (next == NULL || config_load(dp->cfg.file, next, err, sizeof(err)) != 0) {
		DP_LOG(ERR, "ports not read again, they stay as they are: %s",
		       next ? err : "out of memory");
		free(next);
		return;
	}
	config_others_changed(&dp->file_cfg, next);
	/* Gone from the file: removed (a port added with kairoctl is not the file's). */
	for (i = 0; i < dp->file_cfg.n_ports; i++) {
		old = &dp->file_cfg.ports[i];
		pc = config_port(next, old->name);
		if (pc == NULL && port_running(dp, old->name) &&
		    dp_port_remove(dp, old->name, err, sizeof(err)) != 0)
			DP_LOG(ERR, "%s: port %s left the file but stays: %s", next->file,
			       old->name, err);
		else if (pc != NULL && memcmp(pc, old, sizeof(*pc)) != 0)
			DP_LOG(WARNING, "%s: port %s changed: it takes effect when the port is "
			       "removed and added again, or at restart", next->file, old->name);
	}
	/* In the file and not running: added (again, if it failed before or was removed). */
	for (i = 0; i < next->n_ports; i++) {
		pc = &next->ports[i];
		if (!port_running(dp, pc->name) && dp_port_add(dp, pc, err, sizeof(err)) != 0)
			DP_LOG(ERR, "%s: ports[%u] \"%s\" not added: %s", next->file, i, pc->name,
			       err);
	}
	dp->file_cfg = *next;
	free(next);
}
