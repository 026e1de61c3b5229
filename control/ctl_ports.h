/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The control socket's port commands: ports added and removed while kairod
 * runs (dataplane/port_runtime.c does the work).  Context: struct kairo_dp.
 */
#ifndef KAIRO_CTL_PORTS_H
#define KAIRO_CTL_PORTS_H

#include <stddef.h>

#include <jansson.h>

/*
 * "port add" args {"name", "device", "options": ["role", "uplink", "rx-queues", "2",
 * "mtu", "9000"]}: the new port {"name", "id", "driver", "device", "link_up"}.
 */
int ctl_port_add(void *ctx, json_t *args, json_t **result, char *err, size_t errlen);
/* "port remove" args {"name"}: {"name", "removed": true}. */
int ctl_port_remove(void *ctx, json_t *args, json_t **result, char *err, size_t errlen);

#endif
