/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's state: what start-up builds and shutdown tears down.
 * Control-side only; the hot path sees just its struct worker.
 */
#ifndef KAIRO_DATAPLANE_H
#define KAIRO_DATAPLANE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_mempool.h>
#include <rte_spinlock.h>

#include "config.h"
#include "flow_cache.h"
#include "instance_lock.h"
#include "mac_table.h"
#include "sim.h"
#include "state_sync.h"
#include "redis_state.h"
#include "topology.h"
#include "topology_store.h"
#include "upcall.h"
#include "worker.h"

extern int kairo_logtype_dataplane;
#define DP_LOG(level, fmt, ...)                                                                    \
	rte_log(RTE_LOG_##level, kairo_logtype_dataplane, "kairod: " fmt "\n", ##__VA_ARGS__)

struct dp_port {
	uint16_t id;                 /* DPDK port id */
	const struct port_config *cfg;
	char driver[32];
	uint16_t mtu;                /* largest L3 packet it takes: ports[].mtu or the device's */
	int socket;                  /* NUMA socket of its device (the main lcore's if none) */
	struct rte_mempool *pool;    /* its RX queues' buffers: the pool of its socket */
	uint16_t n_rxq;
	uint16_t n_txq;
	bool shared_tx;              /* fewer TX queues than workers: workers take tx_lock */
	rte_spinlock_t tx_lock;
};

struct kairo_dp {
	struct kairo_config cfg;
	/* One mbuf pool per NUMA socket in use (mbuf_pools.h); pool: the main lcore's. */
	struct rte_mempool *pools[RTE_MAX_NUMA_NODES];
	struct rte_mempool *pool;
	uint16_t n_ports;
	struct dp_port ports[RTE_MAX_ETHPORTS];
	struct topology *topo;
	struct flow_cache *cache;
	struct mac_table *macs;
	struct arp_table *arps;
	struct conntrack *conns;
	struct upcall_channel *upcall;
	struct upcall_channel_config upcall_cfg;
	struct sim_thread *sim;      /* the slow path (sim/sim.h) */
	struct overlay *overlay;     /* tunnels to other hosts; NULL: no underlay */
	struct sim_shared *shared;   /* the simulation's shared-state side, until the thread takes it */
	uint32_t n_workers;
	struct worker *workers[KAIRO_MAX_WORKERS];
	struct worker_control control;
	uint64_t start_tsc;
	const char *stats_json;      /* --stats-json: where the dumps write the JSON view, or NULL */
	/*
	 * Where the topology document lives (nsdb/topology_store.h): read by the
	 * control loop on reload, changed by the command server's topology
	 * editor.  topo_source names the document in messages.
	 */
	struct topology_store *store;
	char topo_source[CONFIG_PATH_LEN];
	int store_changed; /* the store's changed flag (__atomic) */
	/* Shared state (cfg.redis_enabled): the rings and the Redis thread behind them. */
	struct state_sync state_sync;
	struct redis_state *redis;
	/* One kairod per control socket (instance_lock.h): held from before EAL to exit. */
	struct instance_lock lock;
};

/*
 * dataplane/main.c: the config's ports as bindings see them; before the
 * ports are probed (probed false) their config index stands in for the port.
 */
unsigned int dp_local_interfaces(const struct kairo_dp *dp, bool probed,
				 struct local_interface *ifs);

/*
 * dataplane/tables.c: the mbuf pool, the flow cache, the MAC, ARP and
 * connection tables and the upcall rings, before any port is opened; a size
 * that cannot be had is refused naming its field and the memory it needs.
 */
int dp_tables_create(struct kairo_dp *dp, int socket, char *err, size_t errlen);
/* The refusal of a size that could not be had on socket (field, what, about how much); -ENOMEM. */
int dp_refuse_size(const struct kairo_dp *dp, const char *field, const char *what, uint64_t need,
		   int socket, char *err, size_t errlen);

/* dataplane/port.c */
/* The ethdev name of a device: its devargs up to the first comma ("net_tap0", "0000:03:00.1"). */
void dp_devargs_name(const char *devargs, char *name, size_t len);
int dp_port_open(struct kairo_dp *dp, const struct port_config *pc, char *err, size_t errlen);
void dp_ports_close(struct kairo_dp *dp);

/* dataplane/datapath_view.c: the mm-dpctl --show-dp view, as text or JSON. */
void datapath_view_print(struct kairo_dp *dp, FILE *out, bool with_flows);
void datapath_view_json(struct kairo_dp *dp, FILE *out);
/* The view without its flows, as a JSON object (any thread: counters only). */
json_t *datapath_view_object(struct kairo_dp *dp);
/* One flow as the dumps show it (where walking flows is safe). */
json_t *datapath_flow_json(const struct flow *f, uint64_t now);

#endif
