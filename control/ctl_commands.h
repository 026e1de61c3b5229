/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The commands kairod serves on its control socket; their context is the
 * struct kairo_dp.
 */
#ifndef KAIRO_CTL_COMMANDS_H
#define KAIRO_CTL_COMMANDS_H

#include "ctl_server.h"
#include "dataplane.h"

const struct ctl_command *ctl_commands(unsigned int *n);

/* The same counters on DPDK's telemetry socket (control/telemetry.c). */
int telemetry_register(struct kairo_dp *dp);

#endif
