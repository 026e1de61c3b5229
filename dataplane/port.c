/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ports: probing a device from its arguments, configuring queues (RSS over
 * several RX queues, one TX queue per worker where the device has enough),
 * the MTU, link-change interrupts, and starting it; closing and removing it.
 * Adding and removing ports while kairod runs is port_runtime.c's.
 *
 * Jumbo frames: buffers stay 2 KiB (one pool for every port; a 9 KiB
 * buffer per mbuf would spend its memory on 64-byte packets).  A frame
 * longer than one buffer arrives as a chain: the port asks for scatter RX
 * when its MTU needs it and the device offers it, and (once any port takes
 * such frames) for multi-segment TX wherever offered.  net_pcap offers
 * neither but chains a long frame itself and writes a chain out whole
 * (drivers/net/pcap, eth_pcap_rx_jumbo).  The parser reads headers from the
 * first segment and lengths from the whole packet (pipeline/packet_parse.c);
 * a frame over the MTU is dropped as rx_too_big by the worker that receives
 * it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_pci.h>

#include "dataplane.h"
#include "mbuf_pools.h"
#include "port_socket.h"

void
dp_devargs_name(const char *devargs, char *name, size_t len)
{
	size_t n = strcspn(devargs, ",");

	if (n >= len)
		n = len - 1;
	memcpy(name, devargs, n);
	name[n] = '\0';
}

static int
port_find_or_probe(const struct port_config *pc, uint16_t *port_id, bool *probed, char *err,
		   size_t errlen)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	int ret;

	*probed = false;
	dp_devargs_name(pc->devargs, name, sizeof(name));
	/* Already there: a PCI device EAL probed, or one given with --vdev. */
	if (rte_eth_dev_get_port_by_name(name, port_id) == 0)
		return 0;
	if ((ret = port_socket_prepare(pc, err, errlen)) != 0)
		return ret;
	ret = rte_dev_probe(pc->devargs);
	if (ret != 0) {
		struct rte_pci_addr pci;
		bool is_pci = rte_pci_addr_parse(name, &pci) == 0;

		/* What is most often wrong with a NIC or a VF (config/README.md, "PCI devices"). */
		snprintf(err, errlen, "port \"%s\": device \"%s\" could not be probed: %s%s",
			 pc->name, pc->devargs, rte_strerror(-ret),
			 is_pci ? " (a PCI device: it must exist, be bound to vfio-pci or its own "
				  "driver, and EAL run without --no-pci)" : "");
		return ret;
	}
	*probed = true;
	if (rte_eth_dev_get_port_by_name(name, port_id) != 0) {
		snprintf(err, errlen, "port \"%s\": device \"%s\" probed but no ethdev named \"%s\"",
			 pc->name, pc->devargs, name);
		return -ENODEV;
	}
	return 0;
}

/* The longest frame any configured port takes: its MTU (1500 if the device's) and L2 around. */
static uint32_t
largest_frame(const struct kairo_dp *dp, uint16_t slot)
{
	uint32_t i, mtu = RTE_ETHER_MTU;

	for (i = 0; i < dp->cfg.n_ports; i++)
		if (dp->ports[i].in_use || i == slot)
			mtu = RTE_MAX(mtu, (uint32_t)dp->cfg.ports[i].mtu);
	return mtu + RX_L2_OVERHEAD_MAX;
}

/*
 * The MTU goes in with the configuration (rxmode.mtu, DPDK 21.11 on): it
 * then holds from the first start, on devices with no MTU operation of
 * their own (net_pcap) too.  Frames longer than one buffer need scatter RX
 * where the device does it.  Once any port takes such frames, every port
 * may have to send the chains they arrive as: MULTI_SEGS wherever offered.
 * Not before, since a multi-segment TX path is a slower one on some NICs.
 */
static void
port_offloads_for_mtu(const struct kairo_dp *dp, const struct dp_port *p, uint16_t slot,
		      const struct rte_eth_dev_info *info, struct rte_eth_conf *conf)
{
	uint32_t frame = (uint32_t)p->mtu + RX_L2_OVERHEAD_MAX;
	uint32_t room = rte_pktmbuf_data_room_size(p->pool) - RTE_PKTMBUF_HEADROOM;

	conf->rxmode.mtu = p->cfg->mtu;
	if (largest_frame(dp, slot) > room && (info->tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS))
		conf->txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	if (frame <= room)
		return;
	if (info->rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER) {
		conf->rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
		DP_LOG(INFO, "port \"%s\": MTU %u needs frames of %u bytes in %u-byte buffers: "
		       "scatter RX", p->cfg->name, p->mtu, frame, room);
	} else {
		DP_LOG(INFO, "port \"%s\": MTU %u needs frames of %u bytes in %u-byte buffers; "
		       "%s has no scatter RX, so those frames come whole only if it chains them "
		       "itself (net_pcap does)", p->cfg->name, p->mtu, frame, room, p->driver);
	}
}

/* The queues: RX from the pool of the port's socket, TX one per worker where the device has enough. */
static int
port_queues_setup(struct kairo_dp *dp, struct dp_port *p, const struct port_config *pc,
		  char *err, size_t errlen)
{
	uint16_t rxd = pc->rx_desc, txd = pc->tx_desc, q;
	int ret;

	rte_eth_dev_adjust_nb_rx_tx_desc(p->id, &rxd, &txd);
	for (q = 0; q < p->n_rxq; q++) {
		ret = rte_eth_rx_queue_setup(p->id, q, rxd, p->socket, NULL, p->pool);
		if (ret != 0) {
			snprintf(err, errlen, "port \"%s\": rx queue %u: %s", pc->name, q,
				 rte_strerror(-ret));
			return ret;
		}
	}
	for (q = 0; q < p->n_txq; q++) {
		ret = rte_eth_tx_queue_setup(p->id, q, txd, p->socket, NULL);
		if (ret != 0) {
			snprintf(err, errlen, "port \"%s\": tx queue %u: %s", pc->name, q,
				 rte_strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* Configure the device: queues, RSS, MTU and offloads, LSC interrupts where it has them. */
static int
port_configure(struct kairo_dp *dp, struct dp_port *p, uint16_t slot,
	       const struct rte_eth_dev_info *info, char *err, size_t errlen)
{
	const struct port_config *pc = p->cfg;
	struct rte_eth_conf conf;
	int ret;

	memset(&conf, 0, sizeof(conf));
	if (p->n_rxq > 1) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) &
			info->flow_type_rss_offloads;
	}
	/* Link changes as interrupts where the device has them; polled otherwise (port_link.c). */
	p->lsc = (*info->dev_flags & RTE_ETH_DEV_INTR_LSC) != 0;
	conf.intr_conf.lsc = p->lsc;
	port_offloads_for_mtu(dp, p, slot, info, &conf);
	ret = rte_eth_dev_configure(p->id, p->n_rxq, p->n_txq, &conf);
	if (ret != 0 && pc->mtu != 0) {
		snprintf(err, errlen, "%s: ports[%u].mtu: %s refuses MTU %u with %u rx / %u tx "
			 "queues: %s", dp->cfg.file, slot, pc->devargs, pc->mtu, p->n_rxq,
			 p->n_txq, rte_strerror(-ret));
		return ret;
	}
	if (ret != 0) {
		snprintf(err, errlen, "port \"%s\" (%s): configure %u rx / %u tx queues: %s",
			 pc->name, pc->devargs, p->n_rxq, p->n_txq, rte_strerror(-ret));
		return ret;
	}
	/* What the device took (0 in the config leaves it its default). */
	rte_eth_dev_get_mtu(p->id, &p->mtu);
	return 0;
}

int
dp_port_open(struct kairo_dp *dp, uint16_t slot, char *err, size_t errlen)
{
	const struct port_config *pc = &dp->cfg.ports[slot];
	struct dp_port *p = &dp->ports[slot];
	struct rte_eth_dev_info info;
	struct rte_eth_link link;
	int ret;

	memset(p, 0, sizeof(*p));
	p->cfg = pc;
	if ((ret = port_find_or_probe(pc, &p->id, &p->probed, err, errlen)) != 0)
		return ret;
	if ((ret = rte_eth_dev_info_get(p->id, &info)) != 0) {
		snprintf(err, errlen, "port \"%s\": no device info: %s", pc->name, rte_strerror(-ret));
		goto undo;
	}
	snprintf(p->driver, sizeof(p->driver), "%s", info.driver_name);
	if ((ret = dp_port_pool_take(dp, p, err, errlen)) != 0)
		goto undo;
	/* Its kernel interface, if it has one: port_link.c sees when it leaves our namespace. */
	p->if_index = info.if_index;
	if (p->if_index != 0 && if_indextoname(p->if_index, p->if_name) == NULL)
		p->if_index = 0;
	p->mtu = pc->mtu != 0 ? pc->mtu : RTE_ETHER_MTU;
	if (pc->rx_queues > info.max_rx_queues) {
		snprintf(err, errlen, "%s: ports[%u].rx_queues: %u, but %s has at most %u", dp->cfg.file,
			 slot, pc->rx_queues, pc->devargs, info.max_rx_queues);
		ret = -EINVAL;
		goto undo;
	}
	p->n_rxq = pc->rx_queues;
	/* One TX queue per worker, so workers never share one; fewer if that is all there is. */
	p->n_txq = RTE_MIN((uint16_t)dp->n_workers, info.max_tx_queues);
	p->shared_tx = p->n_txq < dp->n_workers;
	rte_spinlock_init(&p->tx_lock);

	if ((ret = port_configure(dp, p, slot, &info, err, errlen)) != 0 ||
	    (ret = port_queues_setup(dp, p, pc, err, errlen)) != 0)
		goto undo;
	dp_port_link_watch(dp, p, true);
	if ((ret = rte_eth_dev_start(p->id)) != 0) {
		snprintf(err, errlen, "port \"%s\" (%s): start: %s", pc->name, pc->devargs,
			 rte_strerror(-ret));
		dp_port_link_watch(dp, p, false);
		goto undo;
	}
	if (pc->promiscuous)
		rte_eth_promiscuous_enable(p->id);
	rte_eth_link_get_nowait(p->id, &link);
	p->link_up = link.link_status == RTE_ETH_LINK_UP;
	DP_LOG(INFO, "port %u \"%s\" (%s, %s, socket %d): %u rx queue(s), %u tx queue(s)%s, "
	       "link %s (changes %s)", p->id, pc->name, pc->devargs, p->driver, p->socket,
	       p->n_rxq, p->n_txq,
	       p->shared_tx ? " shared by workers" : "", p->link_up ? "up" : "down",
	       p->lsc ? "as interrupts" : "polled");
	p->in_use = true;
	if (slot >= dp->n_ports)
		dp->n_ports = slot + 1;
	return 0;
undo:
	/* Nothing stays of a refused port kairod probed; one EAL had stays EAL's, stopped. */
	if (p->probed)
		dp_port_close(dp, p, true);
	else
		rte_eth_dev_stop(p->id);
	memset(p, 0, sizeof(*p));
	return ret;
}

void
dp_port_close(struct kairo_dp *dp, struct dp_port *p, bool remove_device)
{
	struct rte_eth_dev_info info;
	struct rte_device *dev = NULL;

	if (rte_eth_dev_info_get(p->id, &info) == 0)
		dev = info.device;
	dp_port_link_watch(dp, p, false);
	rte_eth_dev_stop(p->id);
	/* Closing is what makes net_pcap write out its capture file. */
	rte_eth_dev_close(p->id);
	/* The device goes too, so its name (and a tap's interface) can be taken again. */
	if (remove_device && dev != NULL)
		rte_dev_remove(dev);
}

void
dp_ports_close(struct kairo_dp *dp)
{
	uint16_t i;

	for (i = 0; i < dp->n_ports; i++)
		if (dp->ports[i].in_use)
			dp_port_close(dp, &dp->ports[i], false);
}
