/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ports: probing a device from its arguments, configuring queues (RSS over
 * several RX queues, one TX queue per worker where the device has enough)
 * and starting it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>

#include "dataplane.h"

/* The ethdev name of a device is its devargs up to the first comma ("net_tap0", "0000:03:00.1"). */
static void
devargs_name(const char *devargs, char *name, size_t len)
{
	size_t n = strcspn(devargs, ",");

	if (n >= len)
		n = len - 1;
	memcpy(name, devargs, n);
	name[n] = '\0';
}

static int
port_find_or_probe(const struct port_config *pc, uint16_t *port_id, char *err, size_t errlen)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	int ret;

	devargs_name(pc->devargs, name, sizeof(name));
	/* Already there: a PCI device EAL probed, or one given with --vdev. */
	if (rte_eth_dev_get_port_by_name(name, port_id) == 0)
		return 0;
	ret = rte_dev_probe(pc->devargs);
	if (ret != 0) {
		snprintf(err, errlen, "port \"%s\": device \"%s\" could not be probed: %s", pc->name,
			 pc->devargs, rte_strerror(-ret));
		return ret;
	}
	if (rte_eth_dev_get_port_by_name(name, port_id) != 0) {
		snprintf(err, errlen, "port \"%s\": device \"%s\" probed but no ethdev named \"%s\"",
			 pc->name, pc->devargs, name);
		return -ENODEV;
	}
	return 0;
}

int
dp_port_open(struct kairo_dp *dp, const struct port_config *pc, char *err, size_t errlen)
{
	struct dp_port *p = &dp->ports[dp->n_ports];
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	struct rte_eth_link link;
	uint16_t q;
	int ret;

	memset(p, 0, sizeof(*p));
	p->cfg = pc;
	if ((ret = port_find_or_probe(pc, &p->id, err, errlen)) != 0)
		return ret;
	if ((ret = rte_eth_dev_info_get(p->id, &info)) != 0) {
		snprintf(err, errlen, "port \"%s\": no device info: %s", pc->name, rte_strerror(-ret));
		return ret;
	}
	snprintf(p->driver, sizeof(p->driver), "%s", info.driver_name);
	if (pc->rx_queues > info.max_rx_queues) {
		snprintf(err, errlen, "%s: ports[%u].rx_queues: %u, but %s has at most %u", dp->cfg.file,
			 dp->n_ports, pc->rx_queues, pc->devargs, info.max_rx_queues);
		return -EINVAL;
	}
	p->n_rxq = pc->rx_queues;
	/* One TX queue per worker, so workers never share one; fewer if that is all there is. */
	p->n_txq = RTE_MIN((uint16_t)dp->n_workers, info.max_tx_queues);
	p->shared_tx = p->n_txq < dp->n_workers;
	rte_spinlock_init(&p->tx_lock);

	memset(&conf, 0, sizeof(conf));
	if (p->n_rxq > 1) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) &
			info.flow_type_rss_offloads;
	}
	ret = rte_eth_dev_configure(p->id, p->n_rxq, p->n_txq, &conf);
	if (ret != 0) {
		snprintf(err, errlen, "port \"%s\" (%s): configure %u rx / %u tx queues: %s",
			 pc->name, pc->devargs, p->n_rxq, p->n_txq, rte_strerror(-ret));
		return ret;
	}
	if (pc->mtu != 0 && (ret = rte_eth_dev_set_mtu(p->id, pc->mtu)) != 0) {
		snprintf(err, errlen, "%s: ports[%u].mtu: %s refuses MTU %u: %s", dp->cfg.file,
			 dp->n_ports, pc->devargs, pc->mtu, rte_strerror(-ret));
		return ret;
	}
	uint16_t rxd = pc->rx_desc, txd = pc->tx_desc;

	rte_eth_dev_adjust_nb_rx_tx_desc(p->id, &rxd, &txd);
	for (q = 0; q < p->n_rxq; q++) {
		ret = rte_eth_rx_queue_setup(p->id, q, rxd, rte_eth_dev_socket_id(p->id), NULL,
					     dp->pool);
		if (ret != 0) {
			snprintf(err, errlen, "port \"%s\": rx queue %u: %s", pc->name, q,
				 rte_strerror(-ret));
			return ret;
		}
	}
	for (q = 0; q < p->n_txq; q++) {
		ret = rte_eth_tx_queue_setup(p->id, q, txd, rte_eth_dev_socket_id(p->id), NULL);
		if (ret != 0) {
			snprintf(err, errlen, "port \"%s\": tx queue %u: %s", pc->name, q,
				 rte_strerror(-ret));
			return ret;
		}
	}
	if ((ret = rte_eth_dev_start(p->id)) != 0) {
		snprintf(err, errlen, "port \"%s\" (%s): start: %s", pc->name, pc->devargs,
			 rte_strerror(-ret));
		return ret;
	}
	if (pc->promiscuous)
		rte_eth_promiscuous_enable(p->id);
	rte_eth_link_get_nowait(p->id, &link);
	DP_LOG(INFO, "port %u \"%s\" (%s, %s): %u rx queue(s), %u tx queue(s)%s, link %s",
	       p->id, pc->name, pc->devargs, p->driver, p->n_rxq, p->n_txq,
	       p->shared_tx ? " shared by workers" : "", link.link_status ? "up" : "down");
	dp->n_ports++;
	return 0;
}

void
dp_ports_close(struct kairo_dp *dp)
{
	uint16_t i;

	for (i = 0; i < dp->n_ports; i++) {
		rte_eth_dev_stop(dp->ports[i].id);
		/* Closing is what makes net_pcap write out its capture file. */
		rte_eth_dev_close(dp->ports[i].id);
	}
}
