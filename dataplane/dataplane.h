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
	uint16_t n_rxq;
	uint16_t n_txq;
	bool shared_tx;              /* fewer TX queues than workers: workers take tx_lock */
	rte_spinlock_t tx_lock;
};

struct kairo_dp {
	struct kairo_config cfg;
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

/* dataplane/port.c */
int dp_port_open(struct kairo_dp *dp, const struct port_config *pc, char *err, size_t errlen);
void dp_ports_close(struct kairo_dp *dp);

/*
 * dataplane/state_file.c: the state image across a stop and start
 * (restart.state_file) and the pid file (restart.pid_file).  Load before the
 * workers start; save once the simulation thread stopped.  Neither ever
 * stops kairod: failures are logged.
 */
void dp_state_file_load(struct kairo_dp *dp);
void dp_state_file_save(struct kairo_dp *dp);
/* Load an image (source names it in the log): 0, or -errno logged. */
int dp_state_image_apply(struct kairo_dp *dp, const void *buf, size_t len, const char *source);
/* The whole of a file (or memfd) into a malloc'd buffer: 0 or -errno. */
int dp_fd_read_all(int fd, void **buf, size_t *len);
void dp_pid_file_write(const struct kairo_dp *dp);
/* Remove the pid file if it still names this process. */
void dp_pid_file_remove(const struct kairo_dp *dp);

/* dataplane/main.c: no packet inside (slow path, rings to the workers). */
bool dp_drained(const struct kairo_dp *dp);

/*
 * dataplane/handover.c, handover_release.c: `kairoctl restart` (the
 * sequence is at the top of handover.c).  Outside a hand-over each call
 * below does what a plain start or stop does (or nothing).
 *
 * The new process: dp_lock_take takes the instance lock, or adopts the one
 * handed down; dp_handover_error tells the old process why this one does not
 * start; dp_handover_prepared, once the tables exist, says so and waits for
 * the ports; dp_restore_state loads the image handed over (or
 * restart.state_file); dp_handover_take_socket clears the control socket's
 * path; dp_handover_running says the workers run.
 */
int dp_lock_take(struct kairo_dp *dp, char *err, size_t errlen);
void dp_handover_error(const char *err);
int dp_handover_prepared(struct kairo_dp *dp, char *err, size_t errlen);
void dp_restore_state(struct kairo_dp *dp);
void dp_handover_take_socket(struct kairo_dp *dp);
void dp_handover_running(struct kairo_dp *dp);
/*
 * The old process: dp_restart (the command server's thread) asks for a
 * restart and waits for its outcome: 0 with *result {pid, old_pid, gap_ms,
 * binary, notes}, or -errno with err.  dp_handover_serve (the main thread,
 * each tick) runs one that is asked for: true if it ran; *stop when this
 * process must now stop (handed over, or its ports could not be had back).
 * dp_handed_over: exit without saving state; dp_lock_leave then keeps the
 * lock file, the new process's now.
 */
int dp_restart(struct kairo_dp *dp, json_t **result, char *err, size_t errlen);
bool dp_handover_serve(struct kairo_dp *dp, bool *stop);
bool dp_handed_over(void);
void dp_lock_leave(struct kairo_dp *dp);

/* dataplane/datapath_view.c: the mm-dpctl --show-dp view, as text or JSON. */
void datapath_view_print(struct kairo_dp *dp, FILE *out, bool with_flows);
void datapath_view_json(struct kairo_dp *dp, FILE *out);
/* The view without its flows, as a JSON object (any thread: counters only). */
json_t *datapath_view_object(struct kairo_dp *dp);
/* One flow as the dumps show it (where walking flows is safe). */
json_t *datapath_flow_json(const struct flow *f, uint64_t now);

#endif
