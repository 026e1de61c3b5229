/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Prometheus endpoint: kairod's counters in the text exposition format
 * (metrics.c), served over HTTP at /metrics (metrics_http.c) when the
 * configuration's metrics section asks for it.
 */
#ifndef KAIRO_METRICS_H
#define KAIRO_METRICS_H

#include <stddef.h>
#include <stdio.h>

#include "dataplane.h"

/* Every metric, read now, in the text format; 0 or -errno. Any thread but a worker. */
int metrics_write(struct kairo_dp *dp, FILE *out);

struct metrics_server;

/*
 * Listen on dp->cfg.metrics_address:metrics_port and serve /metrics from a
 * thread of its own.  NULL with the reason in err (the address taken, not
 * ours to bind).  SO_REUSEPORT: during a state-keeping restart the new
 * kairod listens while the old one still does (dataplane/handover.c).
 */
struct metrics_server *metrics_server_start(struct kairo_dp *dp, char *err, size_t errlen);
void metrics_server_stop(struct metrics_server *ms);

#endif
