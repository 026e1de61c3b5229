/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Start-up of the overlay: the underlay uplink's port and MAC, the fast
 * path's tunnel tables (pipeline/tunnel.h) and the simulation's overlay
 * state (sim/overlay.h), from the config's "underlay" section.
 */
#ifndef KAIRO_UNDERLAY_H
#define KAIRO_UNDERLAY_H

#include <stddef.h>
#include <stdint.h>

#include "dataplane.h"

/* After the ports, the cache and the simulation's snapshot; 0 or -errno with err. */
int dp_underlay_setup(struct kairo_dp *dp, char *err, size_t errlen);
/* The DPDK port tunnels arrive on, UINT16_MAX without an underlay. */
uint16_t dp_underlay_port(const struct kairo_dp *dp);
void dp_underlay_teardown(struct kairo_dp *dp);

#endif
