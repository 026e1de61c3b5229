/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One mbuf pool per NUMA socket in use: a port's RX queues fill their rings
 * from the pool of the port's socket, a worker copies flood and decap
 * copies from the pool of its own socket, and the simulation makes its
 * packets from the main lcore's.  A buffer then lives in memory local to
 * the device that writes it (DMA into remote memory crosses the socket
 * interconnect on every packet) or to the core that fills it.
 *
 * Control-side only: the workers and the simulation are handed their pool
 * pointer at set-up and never look here.
 */
#ifndef KAIRO_MBUF_POOLS_H
#define KAIRO_MBUF_POOLS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <rte_mempool.h>

struct kairo_dp;
struct dp_port;

/*
 * After EAL, before any port is opened: a pool of cfg.mbufs buffers on the
 * main lcore's socket, on each worker lcore's, and on the socket of each
 * configured port EAL has already probed (PCI devices and VFs; a virtual
 * device comes into being only when its port is opened).  dp->pool is the
 * main lcore's.  0, or -ENOMEM with err naming the field and the memory.
 */
int dp_mbuf_pools_create(struct kairo_dp *dp, char *err, size_t errlen);

/* The socket whose memory serves a port: its device's, or the main lcore's if it has none. */
int dp_port_socket(uint16_t port_id);

/* The pool of a socket, NULL if none was made for it. */
struct rte_mempool *dp_mbuf_pool(const struct kairo_dp *dp, int socket);

/*
 * Sets p->socket and p->pool for a probed port, creating the pool of its
 * socket if no lcore or earlier port needed one (a virtual device asked for
 * on another socket).  0, or -ENOMEM with err.
 */
int dp_port_pool_take(struct kairo_dp *dp, struct dp_port *p, char *err, size_t errlen);

/* For "show datapath": {"socket0": {"socket": 0, "size": N, "in_use": M}, ...}. */
json_t *dp_mbuf_pools_view(const struct kairo_dp *dp);

/* At teardown, after the ports are closed and the threads stopped. */
void dp_mbuf_pools_free(struct kairo_dp *dp);

#endif
