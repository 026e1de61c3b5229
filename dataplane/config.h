/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's local configuration (JSON): the ports and their roles, sizes
 * of the cache and the slow path, and where the topology comes from.
 * The format is documented with examples in config/README.md.
 */
#ifndef KAIRO_CONFIG_H
#define KAIRO_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <rte_ethdev.h>

#include "redis_state.h"
#include "underlay_config.h"

#define CONFIG_NAME_LEN 64
/* "physical_networks": as many as topology_physnets_set_local takes. */
#define CONFIG_PHYSNETS_MAX 16
#define CONFIG_DEVARGS_LEN 512
#define CONFIG_PATH_LEN 512
#define CONFIG_ZK_LEN 256
/* ports[].rx_desc and tx_desc unless given, also for ports added at run time. */
#define PORT_DEFAULT_DESC 1024

enum port_role {
	PORT_ROLE_VPORT = 0,  /* attaches a VM (tap, vhost-user, VF): bound to a virtual port */
	PORT_ROLE_UPLINK = 1, /* faces the physical network */
};

struct port_config {
	char name[CONFIG_NAME_LEN];        /* what topology bindings call it */
	char devargs[CONFIG_DEVARGS_LEN];  /* "net_tap0,iface=vm1", "0000:03:00.1", ... */
	enum port_role role;
	uint16_t rx_queues;
	uint16_t rx_desc;
	uint16_t tx_desc;
	uint16_t mtu;                      /* 0: leave the device's */
	bool promiscuous;
};

struct kairo_config {
	char file[CONFIG_PATH_LEN];
	char host[CONFIG_NAME_LEN];
	char host_id[CONFIG_NAME_LEN];       /* the topology's hosts[].id of this host */
	char topology_file[CONFIG_PATH_LEN]; /* relative paths are relative to the config file */
	uint32_t workers;
	uint32_t mbufs;
	uint32_t worker_sleep_max_us;
	uint16_t vxlan_port;
	/* flow cache */
	uint32_t flow_capacity;
	uint32_t flow_idle_timeout_ms;
	uint32_t flow_hard_timeout_ms;
	/* slow path */
	uint32_t sim_threads;
	uint32_t upcall_ring_size;
	uint32_t global_bucket;
	uint32_t tunnel_bucket;
	uint32_t vport_bucket;
	uint32_t mac_table_size;
	uint32_t arp_table_size;
	uint32_t conntrack_size;   /* connections tracked at most */
	uint32_t conntrack_idle_s; /* a connection no flow uses is forgotten after this */
	/* control socket (control/ctl_server.h) */
	char control_socket[CONFIG_PATH_LEN]; /* sun_path holds 108 bytes: checked at bind */
	char control_group[CONFIG_NAME_LEN];  /* may connect besides root; "" = root only */
	/* restart (dataplane/state_file.c, dataplane/handover.c); "" = not kept / not written */
	char state_file[CONFIG_PATH_LEN];     /* the state image across a stop and a start */
	char pid_file[CONFIG_PATH_LEN];       /* the running kairod's pid, for a supervisor */
	/* events (util/event_log.h); "" = the event log only in kairod's ring (kairoctl events) */
	char events_file[CONFIG_PATH_LEN];
	/* metrics (control/metrics_http.c): the Prometheus endpoint; port 0 = not served */
	char metrics_address[CONFIG_NAME_LEN]; /* a numeric IPv4 or IPv6 address */
	uint16_t metrics_port;
	uint16_t n_ports;
	struct port_config ports[RTE_MAX_ETHPORTS];
	/* Provider networks: physical network name -> the port that reaches it (a ports[] name). */
	uint16_t n_physnets;
	struct {
		char name[CONFIG_NAME_LEN];
		char port[CONFIG_NAME_LEN];
	} physnets[CONFIG_PHYSNETS_MAX];
	struct underlay_config underlay;     /* the tunnels' uplink (dataplane/underlay_config.h) */
	/* The NSDB (nsdb/zk_store.h); no zookeeper_hosts: the embedded file store. */
	char zk_hosts[CONFIG_PATH_LEN];       /* "10.0.0.1:2181,10.0.0.2:2181" */
	char zk_root[CONFIG_ZK_LEN];          /* everything of Kairo lives below it */
	char zk_digest[CONFIG_ZK_LEN];        /* "user:password"; "" = no auth, open ACLs */
	uint32_t zk_session_timeout_ms;
	uint32_t zk_start_wait_s;             /* 0: wait for ZooKeeper for ever at start */
	/* Shared state (nsdb/redis_state.h); no redis section: nothing is shared. */
	bool redis_enabled;
	struct redis_state_config redis;
	uint32_t redis_ttl_s;      /* shared connections, bindings, MACs live this long unrefreshed */
	uint32_t redis_wait_ms;    /* a packet waits this long for the store at most */
	uint32_t redis_queue;      /* records each ring between simulation and store holds */
};

/*
 * Read and validate the file.  Returns 0, or -EINVAL with "FILE: FIELD: what"
 * in err; cfg is then not to be used.
 */
int config_load(const char *path, struct kairo_config *cfg, char *err, size_t errlen);

/*
 * The central configuration (the NSDB's default template with this host's
 * overrides merged over it) over the local file: worker_sleep_max_us,
 * vxlan_port, flow_cache and slow_path, with the local file's limits; what it
 * sets wins.  source names it in messages.  0, or -EINVAL with
 * "SOURCE: FIELD: what" in err and cfg untouched.
 */
int config_apply_central(struct kairo_config *cfg, const json_t *central, const char *source,
			 char *err, size_t errlen);

/*
 * Ports another source adds to the configuration's (a hand-over's ports
 * added at run time, dataplane/handover.c), in the ports[] format; a port
 * with the name or the device of one cfg has is left out (the file wins).
 * The number appended, or -EINVAL with "SOURCE: ports[i]...: what" in err
 * and cfg untouched.
 */
int config_ports_append(struct kairo_config *cfg, const json_t *ports, const char *source,
			char *err, size_t errlen);

#endif
