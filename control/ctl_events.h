/* SPDX-License-Identifier: Apache-2.0 */
/* The control socket's event log command and its test hook: their context is the struct kairo_dp. */
#ifndef KAIRO_CTL_EVENTS_H
#define KAIRO_CTL_EVENTS_H

#include <stddef.h>

#include <jansson.h>

/*
 * "events" args {"since": SEQ, "max": N}: the event log's lines from SEQ on
 * (util/event_log.h), {"events": [{"seq", "line"}], "next": SEQ, "first": SEQ,
 * "lost": N}; next is where to ask from to follow.
 */
int ctl_events(void *ctx, json_t *args, json_t **result, char *err, size_t errlen);

/*
 * "debug stall" args {"worker": N, "resume": true}: the test hook of
 * struct worker_control (lcore/worker.h), refused unless kairod was started
 * with KAIRO_TEST_HOOKS=1 in its environment.
 */
int ctl_debug_stall_worker(void *ctx, json_t *args, json_t **result, char *err, size_t errlen);

#endif
