/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pools and tables the configuration sizes: the mbuf pools (one per
 * socket in use, mbuf_pools.c), the flow cache, the MAC, ARP and connection
 * tables and the upcall rings.  They are made right after EAL starts and
 * before any port is opened, so that a size EAL's memory cannot hold is
 * refused before a device is touched (a probed net_pcap has already created
 * its tx_pcap file, a tap its interface).  The refusal names the field, the
 * size asked, about how much memory that needs and what EAL has: DPDK's own
 * error for a failed allocation says none of it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include <rte_eal.h>
#include <rte_malloc.h>

#include "arp_table.h"
#include "conntrack.h"
#include "dataplane.h"
#include "mbuf_pools.h"
#include "table_memsize.h"
#define MIB (1024.0 * 1024.0)

/* bytes as "12.3 MiB" or "4.5 GiB". */
static const char *
mem_str(char *buf, size_t len, uint64_t bytes)
{
	if (bytes >= 1024 * 1024 * 1024ULL)
		snprintf(buf, len, "%.1f GiB", (double)bytes / (MIB * 1024.0));
	else
		snprintf(buf, len, "%.1f MiB", (double)bytes / MIB);
	return buf;
}

/*
 * What EAL's heap on socket holds, and how to give it more.  Without
 * hugepages it is all -m gave at start; with them, what is mapped so far
 * (it grows while free hugepages last).
 */
static void
eal_memory_str(char *buf, size_t len, int socket)
{
	struct rte_malloc_socket_stats st = {0};
	char total[32], avail[32], largest[32];

	rte_malloc_get_socket_stats(socket, &st);
	mem_str(total, sizeof(total), st.heap_totalsz_bytes);
	mem_str(avail, sizeof(avail), st.heap_freesz_bytes);
	mem_str(largest, sizeof(largest), st.greatest_free_size);
	if (!rte_eal_has_hugepages())
		snprintf(buf, len,
			 "EAL has %s without hugepages, %s of it free (largest block %s): "
			 "give it more with -m", total, avail, largest);
	else
		snprintf(buf, len, "EAL has %s of hugepage memory on socket %d so far, %s of it "
			 "free (largest block %s): reserve more hugepages (or give -m / "
			 "--socket-mem)", total, socket, avail, largest);
}

int
dp_refuse_size(const struct kairo_dp *dp, const char *field, const char *what, uint64_t need,
	       int socket, char *err, size_t errlen)
{
	char needs[32], eal[256];

	eal_memory_str(eal, sizeof(eal), socket);
	snprintf(err, errlen, "%s: %s: cannot create %s: it needs about %s; %s, or lower %s",
		 dp->cfg.file, field, what, mem_str(needs, sizeof(needs), need), eal, field);
	return -ENOMEM;
}

static int
create_flow_cache(struct kairo_dp *dp, int socket, char *err, size_t errlen)
{
	struct flow_cache_config fcc = {
		.capacity = dp->cfg.flow_capacity,
		.idle_timeout_ms = dp->cfg.flow_idle_timeout_ms,
		.hard_timeout_ms = dp->cfg.flow_hard_timeout_ms,
		.n_workers = dp->cfg.workers,
		.socket_id = socket,
	};
	char what[64];

	dp->cache = flow_cache_create("flowcache", &fcc);
	if (dp->cache != NULL)
		return 0;
	snprintf(what, sizeof(what), "a cache of %u flows", fcc.capacity);
	return dp_refuse_size(dp, "flow_cache.capacity", what, flow_cache_memsize(&fcc), socket,
			      err, errlen);
}

/* The simulation's tables: learned MACs, neighbours, connections. */
static int
create_sim_tables(struct kairo_dp *dp, int socket, char *err, size_t errlen)
{
	const struct kairo_config *c = &dp->cfg;
	char what[64];

	dp->macs = mac_table_create("mactable", c->mac_table_size, socket);
	if (dp->macs == NULL) {
		snprintf(what, sizeof(what), "a MAC table of %u entries", c->mac_table_size);
		return dp_refuse_size(dp, "slow_path.mac_table_size", what,
				      mac_table_memsize(c->mac_table_size), socket, err, errlen);
	}
	dp->arps = arp_table_create("arptable", c->arp_table_size, socket);
	if (dp->arps == NULL) {
		snprintf(what, sizeof(what), "an ARP table of %u entries", c->arp_table_size);
		return dp_refuse_size(dp, "slow_path.arp_table_size", what,
				      arp_table_memsize(c->arp_table_size), socket, err, errlen);
	}
	dp->conns = conntrack_create("conntrack", c->conntrack_size, c->conntrack_idle_s, socket);
	if (dp->conns == NULL) {
		snprintf(what, sizeof(what), "a connection table of %u entries", c->conntrack_size);
		return dp_refuse_size(dp, "slow_path.conntrack_size", what,
				      conntrack_memsize(c->conntrack_size), socket, err, errlen);
	}
	return 0;
}

static int
create_upcall_rings(struct kairo_dp *dp, int socket, char *err, size_t errlen)
{
	char what[80];

	dp->upcall_cfg = (struct upcall_channel_config){
		.n_sim = dp->cfg.sim_threads,
		.n_workers = dp->cfg.workers,
		.ring_size = dp->cfg.upcall_ring_size,
		.global_bucket = (int32_t)dp->cfg.global_bucket,
		.tunnel_bucket = (int32_t)dp->cfg.tunnel_bucket,
		.vport_bucket = (int32_t)dp->cfg.vport_bucket,
		.socket_id = socket,
	};
	dp->upcall = upcall_channel_create(&dp->upcall_cfg);
	if (dp->upcall != NULL)
		return 0;
	snprintf(what, sizeof(what), "%u upcall and inject rings of %u packets",
		 dp->cfg.sim_threads + dp->cfg.workers, dp->cfg.upcall_ring_size);
	return dp_refuse_size(dp, "slow_path.upcall_ring_size", what,
			      upcall_channel_memsize(&dp->upcall_cfg), socket, err, errlen);
}

int
dp_tables_create(struct kairo_dp *dp, int socket, char *err, size_t errlen)
{
	int ret;

	if ((ret = dp_mbuf_pools_create(dp, err, errlen)) != 0 ||
	    (ret = create_flow_cache(dp, socket, err, errlen)) != 0 ||
	    (ret = create_sim_tables(dp, socket, err, errlen)) != 0 ||
	    (ret = create_upcall_rings(dp, socket, err, errlen)) != 0)
		return ret;
	return 0;
}
