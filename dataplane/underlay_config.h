/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon config's "underlay": the uplink that carries tunnels between
 * hosts, its address, the next hop beyond its subnet and the MTU tunnelled
 * packets must fit in (format: config/README.md).
 */
#ifndef KAIRO_UNDERLAY_CONFIG_H
#define KAIRO_UNDERLAY_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "json_field.h"

#define UNDERLAY_NAME_LEN 64
#define UNDERLAY_MTU_DEFAULT 1500
#define UNDERLAY_ROUTES_MAX 16
#define UNDERLAY_NEIGHBOURS_MAX 16

/* A route beyond the uplink's subnet: dst/len through gateway (network order). */
struct underlay_route {
	uint32_t dst;
	uint8_t len;
	uint32_t gateway;
};

/* A next hop whose MAC is configured, not asked by ARP (a static ARP entry). */
struct underlay_neighbour {
	uint32_t ip;
	uint8_t mac[6];
};

struct underlay_config {
	bool enabled;                   /* the section is there */
	char interface[UNDERLAY_NAME_LEN]; /* ports[].name of the uplink */
	uint32_t ip;                    /* network order */
	uint8_t prefix_len;
	uint32_t gateway;               /* default next hop, 0 = none (peers must be on-link) */
	uint16_t mtu;                   /* of the underlay: outer IPv4 packets fit in it */
	uint16_t n_routes;
	struct underlay_route routes[UNDERLAY_ROUTES_MAX];
	uint16_t n_neighbours;
	struct underlay_neighbour neighbours[UNDERLAY_NEIGHBOURS_MAX];
};

/*
 * Read root's "underlay" (absent: out->enabled false).  port_names lists the
 * config's ports[].name and uplink says which of them have role uplink.
 * Returns 0 or -EINVAL with "FILE: underlay.FIELD: what" in ctx.
 */
int underlay_config_load(struct json_ctx *ctx, const json_t *root, const char *const *port_names,
			 const bool *uplink, unsigned int n_ports, struct underlay_config *out);

#endif
