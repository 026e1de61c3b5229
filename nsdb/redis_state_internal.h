/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the state thread over Redis (nsdb/redis_state.h), for its two
 * files only: redis_state.c (the thread, writes, queries, SNAT blocks) and
 * redis_connect.c (finding the server, directly or through Sentinel,
 * connecting, noticing it gone).  Every field is the state thread's own,
 * except the counters and the address, which views read (relaxed loads; the
 * address through address_of).
 */
#ifndef KAIRO_REDIS_STATE_INTERNAL_H
#define KAIRO_REDIS_STATE_INTERNAL_H

#include <stdint.h>

#include <hiredis/hiredis.h>
#include <rte_cycles.h>
#include <rte_log.h>

#include "redis_state.h"
#include "state_keys.h"

extern int kairo_logtype_state;
#define RS_LOG(level, fmt, ...)                                                                    \
	rte_log(RTE_LOG_##level, kairo_logtype_state, "kairod: state: " fmt "\n", ##__VA_ARGS__)

/* Records taken from a ring per round: one pipeline. */
#define RS_BATCH 256
/* SETs of one round, at most: a NAT binding is filed under two keys. */
#define RS_BATCH_SETS (2 * RS_BATCH)
/*
 * SETs sent and not yet acknowledged past which the thread waits for
 * replies: Redis works through one round while the next is formatted and
 * sent, and the thread never runs more than two rounds ahead of it.
 */
#define RS_SETS_IN_FLIGHT (2 * RS_BATCH_SETS)
/*
 * Records sent and not yet acknowledged, in order (a power of two): a round
 * waits for replies first when fewer than RS_BATCH places are free.
 */
#define RS_FLIGHT_RECORDS 4096
/* Replies read without blocking, per recv. */
#define RS_READ_BUF 16384

_Static_assert((RS_FLIGHT_RECORDS & (RS_FLIGHT_RECORDS - 1)) == 0 &&
		       RS_FLIGHT_RECORDS >= RS_BATCH,
	       "RS_FLIGHT_RECORDS: a power of two that holds a round");
/* Blocks this host may hold at once. */
#define RS_LEASES_MAX 4096
/* Addresses of one target range tried for a block, at most. */
#define RS_LEASE_ADDRS 16
#define RS_IDLE_US 200
/* How often an idle connection is checked for a server that went away (check_idle_connection). */
#define RS_LIVENESS_MS 50
#define RS_BACKOFF_MIN_MS 100
#define RS_BACKOFF_MAX_MS 5000

struct rs_lease {
	uint32_t device_index;
	uint32_t addr;
	uint16_t block;
	char key[STATE_KEY_LEN];
};

/* A record sent: answered (if sync) and let go once Redis acknowledged its last SET. */
struct rs_flight {
	uint64_t acked_at; /* the acknowledged SET count that covers it */
	uint16_t slot;
	bool sync;
};

struct redis_state {
	struct redis_state_config cfg;
	struct state_sync *sync;
	/*
	 * The server's address as views show it.  Other threads read it while
	 * a Sentinel failover may change it: written into the buffer not in
	 * use, then published by flipping address_now (release/acquire).
	 */
	char address[2][REDIS_HOST_LEN + REDIS_MASTER_NAME_LEN + 48];
	unsigned int address_now;
	struct redis_endpoint master;  /* the master last connected to, with sentinels */
	unsigned int sentinel_next;    /* the sentinel asked first: the last one that answered */
	redisContext *ctx;         /* NULL while away */
	uint64_t retry_at;         /* tsc of the next attempt */
	uint32_t backoff_ms;
	bool ever_connected;
	char last_error[REDIS_HOST_LEN + 160];
	uint64_t next_refresh;     /* tsc of the next lease refresh */
	uint64_t next_liveness;    /* tsc of the next idle-connection check */
	struct rs_lease *leases;
	uint32_t n_leases;
	pthread_t thread;
	bool quit;
	bool first_attempt_done;
	struct redis_state_stats stats;
	/*
	 * Writes in flight on the connection (zero while away): SETs sent and
	 * replies read since the connect, and the records sent in order,
	 * flight[flight_head .. flight_tail) (free-running indexes).  Only this
	 * thread touches them.
	 */
	uint64_t sets_sent;
	uint64_t sets_acked;
	uint32_t flight_head;
	uint32_t flight_tail;
	struct rs_flight flight[RS_FLIGHT_RECORDS];
	char ttl_text[16];         /* PX of the last TTL seen, as text */
	uint32_t ttl_text_ms;
	char read_buf[RS_READ_BUF];
	/* Per round, kept off the stack. */
	struct state_write writes[RS_BATCH];
	struct state_query queries[RS_BATCH];
};


static inline uint64_t
ms_tsc(uint64_t ms)
{
	return ms * rte_get_tsc_hz() / 1000;
}

static inline void
stat_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, *c + n, __ATOMIC_RELAXED);
}

/* redis_state.c */
void answer_simple(struct redis_state *rs, uint8_t kind, uint8_t status, uint16_t slot);
/* Everything in flight is answered "unavailable": the connection it was on is gone. */
void flight_fail(struct redis_state *rs);
/* Keep every held block; claim them again after a reconnect. */
void refresh_leases(struct redis_state *rs);

/* redis_connect.c */
/* The server's address as views show it ("host:port", or the master by Sentinel). */
const char *address_of(const struct redis_state *rs);
void address_set(struct redis_state *rs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Connect (through the sentinels when configured); on failure, the next attempt backs off. */
void try_connect(struct redis_state *rs);
/* Drop the connection: logged once, in-flight writes answered, the next attempt scheduled. */
void disconnect(struct redis_state *rs, const char *why);
/* A reply read back, or NULL after a lost connection (disconnected then). */
redisReply *reply_read(struct redis_state *rs);
void check_idle_connection(struct redis_state *rs, uint64_t now);

#endif
