/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The virtual topology as the simulation sees it: an immutable snapshot.
 *
 * A snapshot is built whole by the store (nsdb/: the embedded file store, and
 * ZooKeeper later) and never changed after it is published; a change is a new
 * snapshot.  Simulation threads read the current one without locks.
 *
 * Objects carry the store's string ids (MidoNet uses UUIDs) and a dense index
 * used everywhere inside the dataplane.  Flow tags are built from indexes.
 */
#ifndef KAIRO_TOPOLOGY_H
#define KAIRO_TOPOLOGY_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>

#define TOPO_ID_LEN 64
#define TOPO_NAME_LEN 64
#define TOPO_NO_INDEX UINT32_MAX
#define TOPO_NO_DPDK_PORT UINT16_MAX

enum topo_device_type {
	TOPO_DEVICE_BRIDGE = 1,
};

struct topo_port {
	char id[TOPO_ID_LEN];
	uint32_t index;
	uint32_t device;      /* index of the bridge it belongs to */
	bool admin_up;
	uint16_t dpdk_port;   /* exterior port bound to a local interface, or TOPO_NO_DPDK_PORT */
	char interface[TOPO_NAME_LEN]; /* binding: the local interface name, "" if unbound */
};

struct topo_bridge {
	char id[TOPO_ID_LEN];
	char name[TOPO_NAME_LEN];
	uint32_t index;
	bool admin_up;
	uint32_t mac_aging_s;  /* a learned MAC no flow uses is forgotten after this */
	uint32_t n_ports;
	uint32_t *ports;       /* indexes into topology.ports */
};

struct topology {
	uint64_t version;
	uint32_t n_ports;
	uint32_t n_bridges;
	struct topo_port *ports;
	struct topo_bridge *bridges;
	/* The virtual port bound to each local DPDK port, TOPO_NO_INDEX if none. */
	uint32_t vport_of_dpdk[RTE_MAX_ETHPORTS];
};

void topology_free(struct topology *t);

static inline const struct topo_port *
topology_port_of_dpdk(const struct topology *t, uint16_t dpdk_port)
{
	uint32_t i = dpdk_port < RTE_MAX_ETHPORTS ? t->vport_of_dpdk[dpdk_port] : TOPO_NO_INDEX;

	return i == TOPO_NO_INDEX ? NULL : &t->ports[i];
}

#define BRIDGE_MAC_AGING_DEFAULT_S 300

#endif
