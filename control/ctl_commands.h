/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The commands kairod serves on its control socket, declared in
 * ctl_protocol.h; their context is the struct kairo_dp.
 */
#ifndef KAIRO_CTL_COMMANDS_H
#define KAIRO_CTL_COMMANDS_H

#include "ctl_server.h"
#include "dataplane.h"

/* The handler of each command, indexed by enum ctl_command_id: ctl_server_start() takes it. */
const ctl_handler *ctl_commands(void);

/* The same counters on DPDK's telemetry socket (control/telemetry.c). */
int telemetry_register(struct kairo_dp *dp);

#endif
