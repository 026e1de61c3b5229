/* SPDX-License-Identifier: Apache-2.0 */
#ifndef KAIRO_FLOW_KEY_FORMAT_H
#define KAIRO_FLOW_KEY_FORMAT_H

#include <stddef.h>

#include "flow_key.h"

/* "in_port=0,eth_src=..,eth_dst=..,eth_type=0x0800,ip_src=..": for dumps, never the hot path. */
int flow_key_format(const struct flow_key *key, char *buf, size_t len);

#endif
