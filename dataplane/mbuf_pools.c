/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The mbuf pools, one per NUMA socket in use (mbuf_pools.h).  As OVS keeps
 * a mempool per socket for its DPDK ports (netdev-dpdk.c, dpdk_mp_get) and
 * DPDK's examples one per socket of an enabled lcore (l3fwd's init_mem).
 *
 * Every pool has the configuration's `mbufs` buffers: a socket's RX rings,
 * its workers' in-flight packets and copies are all drawn from its own pool,
 * so each must hold what one pool held when there was only one.
 */
#include <errno.h>
#include <stdio.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "dataplane.h"
#include "mbuf_pools.h"
#include "table_memsize.h"

/* Per-lcore cache of each pool (rte_pktmbuf_pool_create's cache_size). */
#define MBUF_CACHE_SIZE 256

int
dp_port_socket(uint16_t port_id)
{
	int socket = rte_eth_dev_socket_id(port_id);

	/* Virtual devices and single-socket machines often say SOCKET_ID_ANY. */
	if (socket < 0 || socket >= RTE_MAX_NUMA_NODES)
		socket = (int)rte_lcore_to_socket_id(rte_get_main_lcore());
	return socket;
}

struct rte_mempool *
dp_mbuf_pool(const struct kairo_dp *dp, int socket)
{
	if (socket < 0 || socket >= RTE_MAX_NUMA_NODES)
		return NULL;
	return dp->pools[socket];
}

static int
pool_create(struct kairo_dp *dp, int socket, char *err, size_t errlen)
{
	uint16_t priv = RTE_ALIGN(sizeof(struct pkt_meta), RTE_MBUF_PRIV_ALIGN);
	uint64_t need = mempool_memsize(dp->cfg.mbufs, sizeof(struct rte_mbuf) + priv +
					RTE_MBUF_DEFAULT_BUF_SIZE);
	char name[RTE_MEMPOOL_NAMESIZE], what[80];

	if (dp->pools[socket] != NULL)
		return 0;
	snprintf(name, sizeof(name), "kairo_mbufs_s%d", socket);
	dp->pools[socket] = rte_pktmbuf_pool_create(name, dp->cfg.mbufs, MBUF_CACHE_SIZE, priv,
						    RTE_MBUF_DEFAULT_BUF_SIZE, socket);
	if (dp->pools[socket] != NULL) {
		DP_LOG(INFO, "mbuf pool of %u buffers on socket %d", dp->cfg.mbufs, socket);
		return 0;
	}
	snprintf(what, sizeof(what), "a pool of %u packet buffers on socket %d", dp->cfg.mbufs,
		 socket);
	return dp_refuse_size(dp, "mbufs", what, need, socket, err, errlen);
}

/* The socket of a configured port whose device EAL probed at start, or -1. */
static int
probed_port_socket(const struct port_config *pc)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	uint16_t port_id;

	dp_devargs_name(pc->devargs, name, sizeof(name));
	if (rte_eth_dev_get_port_by_name(name, &port_id) != 0)
		return -1;
	return dp_port_socket(port_id);
}

int
dp_mbuf_pools_create(struct kairo_dp *dp, char *err, size_t errlen)
{
	int main_socket = (int)rte_lcore_to_socket_id(rte_get_main_lcore());
	unsigned int lcore, n = 0, i;
	int ret, socket;

	/* The main lcore's first: the simulation's, and dp->pool. */
	if ((ret = pool_create(dp, main_socket, err, errlen)) != 0)
		return ret;
	dp->pool = dp->pools[main_socket];
	/* The workers are the first cfg.workers worker lcores, as setup_workers takes them. */
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (n++ == dp->cfg.workers)
			break;
		if ((ret = pool_create(dp, (int)rte_lcore_to_socket_id(lcore), err, errlen)) != 0)
			return ret;
	}
	for (i = 0; i < dp->cfg.n_ports; i++) {
		socket = probed_port_socket(&dp->cfg.ports[i]);
		if (socket >= 0 && (ret = pool_create(dp, socket, err, errlen)) != 0)
			return ret;
	}
	return 0;
}

int
dp_port_pool_take(struct kairo_dp *dp, struct dp_port *p, char *err, size_t errlen)
{
	int ret;

	p->socket = dp_port_socket(p->id);
	if ((ret = pool_create(dp, p->socket, err, errlen)) != 0)
		return ret;
	p->pool = dp->pools[p->socket];
	return 0;
}

json_t *
dp_mbuf_pools_view(const struct kairo_dp *dp)
{
	json_t *pools = json_object();
	char key[32];
	int s;

	for (s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		const struct rte_mempool *mp = dp->pools[s];

		if (mp == NULL)
			continue;
		snprintf(key, sizeof(key), "socket%d", s);
		/* in_use counts the lcore caches too: a level read racily, not a counter. */
		json_object_set_new(pools, key,
				    json_pack("{s:i, s:I, s:I}", "socket", s, "size",
					      (json_int_t)mp->size, "in_use",
					      (json_int_t)rte_mempool_in_use_count(mp)));
	}
	return pools;
}

void
dp_mbuf_pools_free(struct kairo_dp *dp)
{
	int s;

	for (s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		rte_mempool_free(dp->pools[s]);
		dp->pools[s] = NULL;
	}
	dp->pool = NULL;
}
