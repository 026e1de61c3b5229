/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's state: what start-up builds and shutdown tears down.
 * Control-side only; the hot path sees just its struct worker.
 */
#ifndef KAIRO_DATAPLANE_H
#define KAIRO_DATAPLANE_H

#include <net/if.h>
#include <pthread.h>
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

/* A port's RX queues at most (ports[].rx_queues). */
#define DP_PORT_MAX_RXQ 64

/*
 * A port of this host.  dp->ports[] and dp->cfg.ports[] are slots with the
 * same index: a port added at run time takes the first free one, a removed
 * one frees it.  Slots, the poll lists and the bindings' interface list
 * change under dp->ports_lock (dp_ports_lock()), on the control thread or
 * the command server's.
 */
struct dp_port {
	bool in_use;                 /* the slot holds an open port */
	uint16_t id;                 /* DPDK port id (reused by DPDK once the port is removed) */
	const struct port_config *cfg;
	char driver[32];
	uint16_t mtu;                /* largest L3 packet it takes: ports[].mtu or the device's */
	int socket;                  /* NUMA socket of its device (the main lcore's if none) */
	struct rte_mempool *pool;    /* its RX queues' buffers: the pool of its socket */
	uint16_t n_rxq;
	uint16_t n_txq;
	bool shared_tx;              /* fewer TX queues than workers: workers take tx_lock */
	bool probed;                 /* probed by kairod (not EAL's): removed with the port */
	bool lsc;                    /* link changes come as interrupts (RTE_ETH_EVENT_INTR_LSC) */
	bool link_up;                /* as last seen; the topology's bindings carry it */
	bool link_foreign;           /* its kernel interface left kairod's network namespace */
	uint64_t link_fall_tsc;      /* when its link was first read down, 0 if it reads up */
	unsigned int if_index;       /* its kernel interface (net_tap, af_packet), 0 if none */
	char if_name[IF_NAMESIZE];   /* ... and that interface's name in kairod's namespace */
	uint8_t rxq_worker[DP_PORT_MAX_RXQ]; /* the worker polling each RX queue, for its life */
	uint64_t tx_dropped_base;    /* workers' tx_dropped for this id before the port came */
	rte_spinlock_t tx_lock;
};

/* A local binding of the topology in use: bound to its interface, or waiting for it. */
struct dp_binding {
	char port_id[TOPO_ID_LEN];
	char interface[TOPO_NAME_LEN];
	bool waiting;
};

struct kairo_dp {
	struct kairo_config cfg;
	/* One mbuf pool per NUMA socket in use (mbuf_pools.h); pool: the main lcore's. */
	struct rte_mempool *pools[RTE_MAX_NUMA_NODES];
	struct rte_mempool *pool;
	uint16_t n_ports;            /* slots used so far: ports[i].in_use says which still are */
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
	json_t *doc; /* the document of the snapshot in use, for the event log's diff */
	int store_changed; /* the store's changed flag (__atomic) */
	/* Shared state (cfg.redis_enabled): the rings and the Redis thread behind them. */
	struct state_sync state_sync;
	struct redis_state *redis;
	/* One kairod per control socket (instance_lock.h): held from before EAL to exit. */
	struct instance_lock lock;
	/*
	 * Ports at run time (dataplane/port_runtime.c): the lock over ports[],
	 * cfg.ports[], the poll lists, the bindings and the topology version;
	 * the config file as last read, which SIGHUP compares against.
	 */
	pthread_mutex_t ports_lock;
	uint64_t topo_version;
	unsigned int n_bindings;
	struct dp_binding *bindings;
	struct kairo_config file_cfg; /* the config file as last read (before ZooKeeper's part) */
	/* Link state (dataplane/port_link.c): an LSC interrupt came (__atomic); the last poll. */
	int link_event;
	uint64_t link_poll_tsc;
};

/*
 * dataplane/main.c: the ports as bindings see them, with their link state;
 * before the ports are probed (probed false) their slot stands in for the
 * port.  Under dp->ports_lock once kairod runs.
 */
unsigned int dp_local_interfaces(const struct kairo_dp *dp, bool probed,
				 struct local_interface *ifs);

/*
 * dataplane/port_runtime.c: the ports running that the config file does not
 * list (added with kairoctl), in the config's ports[] format, for a restart
 * to open again (config_ports_append).
 */
json_t *dp_ports_added_json(struct kairo_dp *dp);

/* dp->ports_lock: held by whatever adds, removes or reads ports and bindings at run time. */
void dp_ports_lock(struct kairo_dp *dp);
void dp_ports_unlock(struct kairo_dp *dp);

/*
 * dataplane/topology_reload.c.  A snapshot of the store's document with the
 * bindings resolved against the ports (NULL with err).  dp_topology_reload
 * builds one under dp->ports_lock, hands it to the simulation thread, and
 * logs the bindings that took effect (Port BIND) or went back to waiting
 * (Port UNBIND); why says what asked for it in the log.  0, or -EINVAL with
 * the snapshot in use kept (logged).
 */
struct topology *dp_topology_load(const struct kairo_dp *dp, bool probed, char *err,
				  size_t errlen);
struct topology *dp_topology_load_doc(const struct kairo_dp *dp, bool probed, json_t **doc,
				      char *err, size_t errlen);
int dp_topology_reload(struct kairo_dp *dp, const char *why);
/*
 * dataplane/central_config.c: the central configuration changed in
 * ZooKeeper: read and check it again, apply what is safe to change while
 * kairod runs, log and record (agent.Config) what needs a restart or why
 * it was refused.  Control thread only.
 */
void dp_central_config_reload(struct kairo_dp *dp);
/*
 * dataplane/topology_events.c: what changed between two documents, in the
 * event log (topology.Bridge CREATE ..., Port LINK ...); NULL: nothing said.
 */
void dp_topology_events(const json_t *old_doc, const json_t *new_doc);
/* The same with dp->ports_lock already held. */
int dp_topology_reload_locked(struct kairo_dp *dp, const char *why);
/* Remember t's local bindings, logging BIND for each bound one (start-up, before the thread). */
void dp_bindings_record(struct kairo_dp *dp, const struct topology *t);

/*
 * dataplane/poll_lists.c: give a port's RX queues to workers (the least
 * loaded first; a queue stays with its worker while the port lives), then
 * publish every worker's list built from the ports in use and free the old
 * ones once the workers passed a quiescent state.  Under dp->ports_lock.
 */
int dp_poll_assign(struct kairo_dp *dp, struct dp_port *p, char *err, size_t errlen);
int dp_poll_publish(struct kairo_dp *dp);
void dp_poll_free(struct kairo_dp *dp);

/*
 * dataplane/port_runtime.c.  Add a port (probe, queues, start, hand its
 * queues to the workers, re-resolve the bindings) or remove one (its queues
 * taken back and TX disabled, the bindings re-resolved, the device stopped,
 * closed and removed).  A refusal changes nothing and says why in err
 * (DPDK's text where DPDK refused).  Take dp->ports_lock themselves.
 */
int dp_port_add(struct kairo_dp *dp, const struct port_config *pc, char *err, size_t errlen);
int dp_port_remove(struct kairo_dp *dp, const char *name, char *err, size_t errlen);
/* SIGHUP: the config file's ports read again, the difference added and removed. */
void dp_ports_reread_config(struct kairo_dp *dp);
/* "DETECT": a port opened (at start or added); in the log and the event log. */
void dp_interface_event(const char *what, const struct dp_port *p);
/* The ports as ZooKeeper's host record lists them: [{name, device, role}]. Under the lock. */
json_t *dp_interfaces_json(const struct kairo_dp *dp);
/* The port in use named name, or NULL (under the lock). */
struct dp_port *dp_port_by_name(struct kairo_dp *dp, const char *name);

/*
 * dataplane/port_link.c: link state.  dp_port_link_watch registers the LSC
 * callback where the device has one (before the port starts);
 * dp_ports_link_tick, from the control loop, reads the links an interrupt
 * said changed and polls the others now and then; a change is logged and
 * the bindings re-resolved with it.
 */
void dp_port_link_watch(struct kairo_dp *dp, struct dp_port *p, bool on);
void dp_ports_link_tick(struct kairo_dp *dp);

/*
 * dataplane/tables.c: the mbuf pool, the flow cache, the MAC, ARP and
 * connection tables and the upcall rings, before any port is opened; a size
 * that cannot be had is refused naming its field and the memory it needs.
 */
int dp_tables_create(struct kairo_dp *dp, int socket, char *err, size_t errlen);
/* The refusal of a size that could not be had on socket (field, what, about how much); -ENOMEM. */
int dp_refuse_size(const struct kairo_dp *dp, const char *field, const char *what, uint64_t need,
		   int socket, char *err, size_t errlen);

/*
 * dataplane/port.c: open the port of slot (dp->cfg.ports[slot] is its
 * config): probe unless EAL has it, configure, set up queues, start; a
 * failure undoes what it did (a probe too).  dp_port_close stops and closes
 * it (and removes a device kairod probed); dp_ports_close, every port.
 */
int dp_port_open(struct kairo_dp *dp, uint16_t slot, char *err, size_t errlen);
void dp_port_close(struct kairo_dp *dp, struct dp_port *p, bool remove_device);
/* The ethdev name of a device: its devargs up to the first comma ("net_tap0", "0000:03:00.1"). */
void dp_devargs_name(const char *devargs, char *name, size_t len);
void dp_ports_close(struct kairo_dp *dp);

/*
 * dataplane/state_file.c: the state image across a stop and start
 * (restart.state_file) and the pid file (restart.pid_file).  Load before the
 * workers start; save once the simulation thread stopped.  Neither ever
 * stops kairod: failures are logged.
 */
void dp_state_file_load(struct kairo_dp *dp);
/* Before the ports open: the ports added at run time before the stop join cfg.ports. */
void dp_state_file_ports(struct kairo_dp *dp);
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
/* This process was started by a `kairoctl restart` (the new one of a hand-over). */
bool dp_handover_child(void);
void dp_lock_leave(struct kairo_dp *dp);

/* dataplane/datapath_view.c: the mm-dpctl --show-dp view, as text or JSON. */
/*
 * dataplane/service_notify.c: readiness, status and the watchdog for systemd
 * (sd_notify); nothing without $NOTIFY_SOCKET.  init before EAL (after the
 * instance lock), ready once the workers run, tick from the control loop,
 * stopping at the start of a stop.
 */
void dp_service_init(void);
void dp_service_ready(struct kairo_dp *dp);
void dp_service_tick(struct kairo_dp *dp);
void dp_service_stopping(bool handed_over, const char *why);

void datapath_view_print(struct kairo_dp *dp, FILE *out, bool with_flows);
void datapath_view_json(struct kairo_dp *dp, FILE *out);
/* The view without its flows, as a JSON object (any thread: counters only). */
json_t *datapath_view_object(struct kairo_dp *dp);
/* One flow as the dumps show it (where walking flows is safe). */
json_t *datapath_flow_json(const struct flow *f, uint64_t now);

#endif
