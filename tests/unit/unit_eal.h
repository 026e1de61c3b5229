/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EAL for a unit-test binary: no hugepages, no shared config, no PCI, and a
 * file prefix of its own so the binaries can run side by side.  The pool's
 * mbufs carry struct pkt_meta in their private area, as the daemon's do.
 */
#ifndef KAIRO_UNIT_EAL_H
#define KAIRO_UNIT_EAL_H

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_mbuf.h>

#include "flow_key.h"

static inline struct rte_mempool *
unit_eal_start(const char *prefix, const char *pool_name, unsigned int n_mbufs)
{
	char *argv[] = {"test", "--no-huge", "--no-shconf", "--no-pci", "-m", "64",
			"--file-prefix", (char *)prefix, "--log-level", "lib.*:error"};

	if (rte_eal_init(RTE_DIM(argv), argv) < 0)
		return NULL;
	return rte_pktmbuf_pool_create(pool_name, n_mbufs, 0,
				       RTE_ALIGN(sizeof(struct pkt_meta), RTE_MBUF_PRIV_ALIGN),
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
}

static inline void
unit_eal_stop(struct rte_mempool *pool)
{
	rte_mempool_free(pool);
	rte_eal_cleanup();
}

#endif
