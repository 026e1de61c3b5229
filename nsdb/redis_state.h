/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The state store: a thread that holds one Redis connection and serves the
 * simulation's writes, lookups and SNAT block leases (sim/state_sync.h),
 * with the keys of nsdb/state_keys.h.  Writes are pipelined in batches, a
 * batch sent while the replies of the one before are on their way; replies
 * wait at most timeout_ms, after which Redis counts as lost.
 *
 * Lost (refused, reset, silent past the timeout): DISCONNECT is logged,
 * everything asked meanwhile is answered "unavailable" at once (forwarding
 * goes on with local state), and the thread connects again after 0.1, 0.2,
 * 0.4 ... 5 s.  Back: CONNECT is logged, the blocks this host holds are
 * claimed again and the simulation is told to write its live state again.
 */
#ifndef KAIRO_REDIS_STATE_H
#define KAIRO_REDIS_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "state_sync.h"

#define REDIS_HOST_LEN 256
#define REDIS_SECRET_LEN 256
#define REDIS_PREFIX_LEN 64
#define REDIS_SENTINELS_MAX 8
#define REDIS_MASTER_NAME_LEN 64

struct redis_endpoint {
	char host[REDIS_HOST_LEN];
	uint16_t port;
};

struct redis_state_config {
	char host[REDIS_HOST_LEN];
	uint16_t port;
	/*
	 * Redis Sentinel: with sentinels, host and port are unused; the address
	 * of the master named master_name is asked of the sentinels at every
	 * (re)connect, and the server found must say it is a master (ROLE).
	 */
	struct redis_endpoint sentinels[REDIS_SENTINELS_MAX];
	unsigned int n_sentinels;
	char master_name[REDIS_MASTER_NAME_LEN];
	char password[REDIS_SECRET_LEN]; /* AUTH with it when set */
	char prefix[REDIS_PREFIX_LEN];   /* every key starts "PREFIX:" */
	char host_id[TOPO_ID_LEN];       /* the holder named in values and leases */
	uint32_t timeout_ms;             /* connect and reply */
	uint32_t lease_ms;               /* an SNAT block lapses this long after its last refresh */
};

struct redis_state_stats {
	uint64_t connected;       /* 1 while a connection is up */
	uint64_t connects;
	uint64_t disconnects;
	uint64_t writes;          /* SETs that Redis acknowledged */
	uint64_t write_batches;   /* pipelines sent */
	uint64_t write_errors;    /* SETs Redis answered with an error */
	uint64_t writes_dropped;  /* records taken while Redis was away, or in flight when it went */
	uint64_t writes_unformattable; /* records with a key or value too long to write: skipped */
	uint64_t lookups;
	uint64_t found;
	uint64_t bad_values;      /* values that are not ours: taken as not found */
	uint64_t leases_granted;
	uint64_t leases_denied;   /* no block free in the range */
	uint64_t leases_held;
	uint64_t lease_refreshes;
	uint64_t leases_lost;
	uint64_t answers_lost;    /* the answer ring was full */
	uint64_t master_changes;  /* reconnects that found another master (Sentinel failover) */
};

struct redis_state;

/* Start the thread (it connects by itself, now and whenever lost); NULL and err on failure. */
struct redis_state *redis_state_start(const struct redis_state_config *cfg,
				      struct state_sync *sync, char *err, size_t errlen);
void redis_state_stop(struct redis_state *rs);
void redis_state_stats_read(const struct redis_state *rs, struct redis_state_stats *out);
/* "host:port" */
const char *redis_state_address(const struct redis_state *rs);

#endif
