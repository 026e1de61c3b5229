/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The state store thread over Redis (nsdb/redis_state.h): write-behind,
 * lookups and SNAT blocks; its connection is redis_connect.c's.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_log.h>

#include "name_hash.h"
#include "redis_state_internal.h"
#include "state_keys.h"

RTE_LOG_REGISTER(kairo_logtype_state, kairo.state, INFO);

/* Take the first free block of KEYS for ARGV[1] (the host), for ARGV[2] ms: its position, or 0. */
static const char lease_script[] =
	"for i, k in ipairs(KEYS) do "
	"if redis.call('SET', k, ARGV[1], 'NX', 'PX', ARGV[2]) then return i end "
	"end return 0";
/* Keep a block held (1), claim it again if it lapsed (2), or say another host has it (0). */
static const char refresh_script[] =
	"local v = redis.call('GET', KEYS[1]) "
	"if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end "
	"if not v and redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 2 end "
	"return 0";

static void
answer(struct redis_state *rs, const struct state_answer *a)
{
	if (rte_ring_sp_enqueue_elem(rs->sync->answers, (void *)(uintptr_t)a, sizeof(*a)) != 0)
		stat_add(&rs->stats.answers_lost, 1); /* the parked packet's deadline wakes it */
}

void
answer_simple(struct redis_state *rs, uint8_t kind, uint8_t status, uint16_t slot)
{
	struct state_answer a;

	memset(&a, 0, sizeof(a));
	a.kind = kind;
	a.status = status;
	a.slot = slot;
	answer(rs, &a);
}

/* Let go of the records Redis acknowledged, oldest first; a sync write's packets go on. */
static void
flight_settle(struct redis_state *rs)
{
	while (rs->flight_head != rs->flight_tail) {
		const struct rs_flight *f = &rs->flight[rs->flight_head & (RS_FLIGHT_RECORDS - 1)];

		if (f->acked_at > rs->sets_acked)
			break;
		if (f->sync)
			answer_simple(rs, STATE_ANSWER_WRITTEN, STATE_OK, f->slot);
		rs->flight_head++;
	}
}

/* The connection is gone with what it carried: every record in flight is dropped at once. */
void
flight_fail(struct redis_state *rs)
{
	stat_add(&rs->stats.writes_dropped, rs->flight_tail - rs->flight_head);
	for (; rs->flight_head != rs->flight_tail; rs->flight_head++) {
		const struct rs_flight *f = &rs->flight[rs->flight_head & (RS_FLIGHT_RECORDS - 1)];

		if (f->sync)
			answer_simple(rs, STATE_ANSWER_WRITTEN, STATE_UNAVAILABLE, f->slot);
	}
	rs->flight_head = rs->flight_tail = 0;
	rs->sets_sent = rs->sets_acked = 0;
}

static void
write_acked(struct redis_state *rs, redisReply *r)
{
	stat_add(r->type == REDIS_REPLY_ERROR ? &rs->stats.write_errors : &rs->stats.writes, 1);
	freeReplyObject(r);
	rs->sets_acked++;
}

/* Read the write replies that have come, without waiting for more. */
static void
writes_poll(struct redis_state *rs)
{
	while (rs->ctx != NULL && rs->sets_acked != rs->sets_sent) {
		void *r = NULL;
		ssize_t got;

		if (redisGetReplyFromReader(rs->ctx, &r) != REDIS_OK) {
			disconnect(rs, rs->ctx->errstr[0] ? rs->ctx->errstr : "protocol error");
			return;
		}
		if (r != NULL) {
			write_acked(rs, r);
			continue;
		}
		/* The socket blocks (for the reply timeout): this read must not. */
		got = recv(rs->ctx->fd, rs->read_buf, sizeof(rs->read_buf), MSG_DONTWAIT);
		if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			break;
		if (got <= 0) {
			disconnect(rs, got == 0 ? "server closed the connection" : strerror(errno));
			return;
		}
		if (redisReaderFeed(rs->ctx->reader, rs->read_buf, (size_t)got) != REDIS_OK) {
			disconnect(rs, "out of memory");
			return;
		}
	}
	flight_settle(rs);
}

/* Wait (each reply at most timeout_ms) until no more than max SETs are unacknowledged. */
static void
writes_wait(struct redis_state *rs, uint64_t max)
{
	while (rs->ctx != NULL && rs->sets_sent - rs->sets_acked > max) {
		redisReply *r = reply_read(rs);

		if (r == NULL)
			return; /* disconnected: the flight is failed */
		write_acked(rs, r);
	}
	flight_settle(rs);
}

/* SET key val PX ttl, its lengths known: hiredis parses no format. */
static void
write_append(struct redis_state *rs, const char *key, int key_len, const char *val,
	     int val_len, uint32_t ttl_ms)
{
	const char *argv[5];
	size_t argl[5];

	if (ttl_ms != rs->ttl_text_ms || rs->ttl_text[0] == '\0') {
		snprintf(rs->ttl_text, sizeof(rs->ttl_text), "%u", ttl_ms);
		rs->ttl_text_ms = ttl_ms;
	}
	argv[0] = "SET";
	argl[0] = 3;
	argv[1] = key;
	argl[1] = (size_t)key_len;
	argv[2] = val;
	argl[2] = (size_t)val_len;
	argv[3] = "PX";
	argl[3] = 2;
	argv[4] = rs->ttl_text;
	argl[4] = strlen(rs->ttl_text);
	redisAppendCommandArgv(rs->ctx, 5, argv, argl);
	rs->sets_sent++;
}

/*
 * Append a record's SETs: a NAT binding is filed under both its keys, as in
 * the local table, with one value (formatted once).  Returns the SETs that
 * did not format (a key or value longer than STATE_KEY_LEN): not written.
 */
static unsigned int
write_record(struct redis_state *rs, const struct state_write *w)
{
	char key[STATE_KEY_LEN], val[STATE_VALUE_LEN];
	unsigned int k, sets = w->kind == STATE_WRITE_NAT ? 2 : 1, unformatted = 0;
	int key_len, val_len;

	if (w->kind == STATE_WRITE_MAC || w->kind == STATE_WRITE_ARP) {
		key_len = state_key_l2(rs->cfg.prefix, w, key, sizeof(key));
		val_len = state_value_l2(rs->cfg.host_id, w, val, sizeof(val));
		if (key_len < 0 || val_len < 0)
			return 1;
		write_append(rs, key, key_len, val, val_len, w->ttl_ms);
		return 0;
	}
	val_len = state_value_ct(rs->cfg.host_id, w, val, sizeof(val));
	if (val_len < 0)
		return sets;
	for (k = 0; k < sets; k++) {
		key_len = state_key_ct(rs->cfg.prefix, w->device, &w->ct.key[k], key, sizeof(key));
		if (key_len < 0) {
			unformatted++;
			continue;
		}
		write_append(rs, key, key_len, val, val_len, w->ttl_ms);
	}
	return unformatted;
}

/*
 * One round: the records the ring holds, as one pipeline sent at once.  Its
 * replies are not waited for here: Redis works through them while the next
 * round is formatted, and a sync write is answered when its own reply is
 * read (flight_settle).  Only past RS_SETS_IN_FLIGHT, or with nothing new to
 * send, does the thread block on replies.
 */
static unsigned int
serve_writes(struct redis_state *rs)
{
	unsigned int n, i, unformattable = 0;
	int done = 0;

	n = rte_ring_sc_dequeue_burst_elem(rs->sync->writes, rs->writes, sizeof(rs->writes[0]),
					   RS_BATCH, NULL);
	if (n == 0) {
		/* Nothing to overlap with: have the last replies, sync writes wait for them. */
		writes_wait(rs, 0);
		return 0;
	}
	writes_poll(rs);
	if (rs->ctx != NULL && RS_FLIGHT_RECORDS - (rs->flight_tail - rs->flight_head) < n)
		writes_wait(rs, 0);
	if (rs->ctx == NULL) {
		stat_add(&rs->stats.writes_dropped, n);
		for (i = 0; i < n; i++)
			if (rs->writes[i].sync)
				answer_simple(rs, STATE_ANSWER_WRITTEN, STATE_UNAVAILABLE,
					      rs->writes[i].slot);
		return n;
	}
	for (i = 0; i < n; i++) {
		const struct state_write *w = &rs->writes[i];
		struct rs_flight *f = &rs->flight[rs->flight_tail++ & (RS_FLIGHT_RECORDS - 1)];

		unformattable += write_record(rs, w) != 0;
		f->acked_at = rs->sets_sent;
		f->slot = w->slot;
		f->sync = w->sync;
	}
	stat_add(&rs->stats.write_batches, 1);
	if (unformattable != 0)
		stat_add(&rs->stats.writes_unformattable, unformattable);
	do {
		if (redisBufferWrite(rs->ctx, &done) != REDIS_OK) {
			disconnect(rs, rs->ctx->errstr[0] ? rs->ctx->errstr : "write failed");
			return n;
		}
	} while (!done);
	writes_poll(rs);
	writes_wait(rs, RS_SETS_IN_FLIGHT);
	return n;
}

/* ---- lookups and leases ---- */

static void
lease_answer(struct redis_state *rs, const struct state_query *q, uint8_t status, uint32_t addr,
	     uint16_t block)
{
	struct state_answer a;

	memset(&a, 0, sizeof(a));
	a.kind = STATE_ANSWER_LEASE;
	a.status = status;
	a.slot = q->slot;
	a.device_index = q->device_index;
	a.addr = addr;
	a.block = block;
	answer(rs, &a);
}

/* One block of the query's range for this host: every address in turn, from one its id picks. */
static void
serve_lease(struct redis_state *rs, const struct state_query *q)
{
	uint32_t b_lo = q->port_lo / SNAT_BLOCK_PORTS, b_hi = q->port_hi / SNAT_BLOCK_PORTS;
	uint32_t nb = b_hi - b_lo + 1, naddr = q->addr_hi - q->addr_lo + 1, ai, i;
	uint32_t start = name_hash(rs->cfg.host_id);
	static char keys[SNAT_BLOCKS][STATE_KEY_LEN];
	const char *argv[SNAT_BLOCKS + 5];
	size_t argl[SNAT_BLOCKS + 5];
	char nkeys[16], ttl[16];
	redisReply *r;

	if (rs->n_leases == RS_LEASES_MAX) {
		stat_add(&rs->stats.leases_denied, 1);
		lease_answer(rs, q, STATE_NOT_FOUND, 0, 0);
		return;
	}
	snprintf(nkeys, sizeof(nkeys), "%u", nb);
	snprintf(ttl, sizeof(ttl), "%u", rs->cfg.lease_ms);
	for (ai = 0; ai < RTE_MIN(naddr, (uint32_t)RS_LEASE_ADDRS) && rs->ctx != NULL; ai++) {
		uint32_t addr = q->addr_lo + (start + ai) % naddr;
		long long got;

		/* From a block this host's id picks: hosts start apart and seldom race. */
		argv[0] = "EVAL";
		argv[1] = lease_script;
		argv[2] = nkeys;
		for (i = 0; i < nb; i++) {
			uint16_t b = (uint16_t)(b_lo + (start / 7 + i) % nb);

			state_key_snat_block(rs->cfg.prefix, q->device, addr, b, keys[i],
					     STATE_KEY_LEN);
			argv[3 + i] = keys[i];
		}
		argv[3 + nb] = rs->cfg.host_id;
		argv[4 + nb] = ttl;
		for (i = 0; i < nb + 5; i++)
			argl[i] = strlen(argv[i]);
		r = redisCommandArgv(rs->ctx, (int)nb + 5, argv, argl);
		if (r == NULL) {
			disconnect(rs, rs->ctx->errstr[0] ? rs->ctx->errstr : "no reply");
			break;
		}
		got = r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
		if (r->type == REDIS_REPLY_ERROR)
			RS_LOG(WARNING, "redis %s: lease: %s", address_of(rs), r->str);
		/* The script answers a position among the keys asked; anything else is not ours. */
		if (got < 0 || got > (long long)nb) {
			RS_LOG(WARNING, "redis %s: lease: the script answered %lld for %u keys: ignored",
			       address_of(rs), (long long)got, nb);
			got = 0;
		}
		freeReplyObject(r);
		if (got > 0) {
			struct rs_lease *l = &rs->leases[rs->n_leases++];
			uint16_t b = (uint16_t)(b_lo + (start / 7 + (uint32_t)got - 1) % nb);

			l->device_index = q->device_index;
			l->addr = addr;
			l->block = b;
			snprintf(l->key, sizeof(l->key), "%s", keys[got - 1]);
			stat_add(&rs->stats.leases_granted, 1);
			__atomic_store_n(&rs->stats.leases_held, rs->n_leases, __ATOMIC_RELAXED);
			lease_answer(rs, q, STATE_OK, addr, b);
			return;
		}
	}
	if (rs->ctx != NULL)
		stat_add(&rs->stats.leases_denied, 1);
	lease_answer(rs, q, rs->ctx != NULL ? STATE_NOT_FOUND : STATE_UNAVAILABLE, 0, 0);
}

/*
 * A block this host held before a restart (STATE_QUERY_LEASE_KEEP): held on
 * under its key, and refreshed at once (refresh_leases), which keeps it,
 * claims it again if it lapsed, or gives it up with a lease-lost answer if
 * another host took it meanwhile.  Nothing is leased anew.
 */
static void
keep_lease(struct redis_state *rs, const struct state_query *q)
{
	uint16_t block = q->port_lo / SNAT_BLOCK_PORTS;
	char key[STATE_KEY_LEN];
	struct state_answer a;
	struct rs_lease *l;
	uint32_t i;

	state_key_snat_block(rs->cfg.prefix, q->device, q->addr_lo, block, key, sizeof(key));
	for (i = 0; i < rs->n_leases; i++)
		if (strcmp(rs->leases[i].key, key) == 0)
			return;
	if (rs->n_leases == RS_LEASES_MAX) {
		memset(&a, 0, sizeof(a));
		a.kind = STATE_ANSWER_LEASE_LOST;
		a.device_index = q->device_index;
		a.addr = q->addr_lo;
		a.block = block;
		answer(rs, &a);
		return;
	}
	l = &rs->leases[rs->n_leases++];
	l->device_index = q->device_index;
	l->addr = q->addr_lo;
	l->block = block;
	snprintf(l->key, sizeof(l->key), "%s", key);
	__atomic_store_n(&rs->stats.leases_held, rs->n_leases, __ATOMIC_RELAXED);
	rs->next_refresh = 0;
}

static bool
is_lease_query(const struct state_query *q)
{
	return q->kind == STATE_QUERY_LEASE || q->kind == STATE_QUERY_LEASE_KEEP;
}

/* The key a lookup reads. */
static int
lookup_key(const struct redis_state *rs, const struct state_query *q, char *key)
{
	struct state_write w;

	if (q->kind == STATE_QUERY_LOOKUP)
		return state_key_ct(rs->cfg.prefix, q->device, &q->key, key, STATE_KEY_LEN);
	memset(&w, 0, sizeof(w));
	w.kind = q->kind == STATE_QUERY_LOOKUP_MAC ? STATE_WRITE_MAC : STATE_WRITE_ARP;
	memcpy(w.device, q->device, sizeof(w.device));
	w.l2.mac = q->mac;
	w.l2.ip = q->ip;
	return state_key_l2(rs->cfg.prefix, &w, key, STATE_KEY_LEN);
}

static int
lookup_parse(const struct state_query *q, const char *value, struct state_answer *a)
{
	switch (q->kind) {
	case STATE_QUERY_LOOKUP:
		return state_value_ct_parse(value, &q->key, a);
	case STATE_QUERY_LOOKUP_MAC:
		return state_value_mac_parse(value, a->port, sizeof(a->port));
	default:
		return state_value_arp_parse(value, &a->mac);
	}
}

static uint8_t
lookup_answer_kind(const struct state_query *q)
{
	switch (q->kind) {
	case STATE_QUERY_LOOKUP:
		return STATE_ANSWER_LOOKUP;
	case STATE_QUERY_LOOKUP_MAC:
		return STATE_ANSWER_MAC;
	default:
		return STATE_ANSWER_ARP;
	}
}

static void
lookup_answer(struct redis_state *rs, const struct state_query *q, const redisReply *r)
{
	struct state_answer a;

	memset(&a, 0, sizeof(a));
	a.kind = lookup_answer_kind(q);
	a.slot = q->slot;
	a.query = q->key;
	a.device_index = q->device_index;
	a.mac = q->mac;
	a.ip = q->ip;
	a.port_index = q->port_index;
	memcpy(a.device, q->device, sizeof(a.device));
	if (r == NULL) {
		a.status = STATE_UNAVAILABLE;
	} else if (r->type != REDIS_REPLY_STRING) {
		a.status = STATE_NOT_FOUND;
	} else if (lookup_parse(q, r->str, &a) != 0) {
		stat_add(&rs->stats.bad_values, 1);
		a.status = STATE_NOT_FOUND;
	} else {
		stat_add(&rs->stats.found, 1);
		a.status = STATE_OK;
	}
	answer(rs, &a);
}

static unsigned int
serve_queries(struct redis_state *rs)
{
	char key[STATE_KEY_LEN];
	unsigned int n, i, sent = 0;

	n = rte_ring_sc_dequeue_burst_elem(rs->sync->queries, rs->queries,
					   sizeof(rs->queries[0]), RS_BATCH, NULL);
	if (n == 0)
		return 0;
	/*
	 * What the simulation wrote before it asked is sent first, and its
	 * replies read (what is read next is the queries' own): a walk that
	 * made state and then asked has it stored before the answer lets its
	 * packet go.
	 */
	while (serve_writes(rs) > 0)
		;
	writes_wait(rs, 0);
	/* Lookups in one pipeline; then the leases, one script each. */
	for (i = 0; i < n && rs->ctx != NULL; i++) {
		const struct state_query *q = &rs->queries[i];

		if (is_lease_query(q))
			continue;
		if (lookup_key(rs, q, key) < 0)
			snprintf(key, sizeof(key), "%s:invalid", rs->cfg.prefix);
		redisAppendCommand(rs->ctx, "GET %s", key);
		sent++;
	}
	stat_add(&rs->stats.lookups, sent);
	for (i = 0; i < n; i++) {
		const struct state_query *q = &rs->queries[i];
		redisReply *r = NULL;

		if (is_lease_query(q)) {
			continue;
		} else if (rs->ctx != NULL && sent > 0) {
			r = reply_read(rs);
			sent--;
		}
		lookup_answer(rs, q, r);
		if (r != NULL)
			freeReplyObject(r);
	}
	for (i = 0; i < n; i++) {
		if (rs->queries[i].kind == STATE_QUERY_LEASE_KEEP)
			keep_lease(rs, &rs->queries[i]);
		else if (rs->queries[i].kind != STATE_QUERY_LEASE)
			continue;
		else if (rs->ctx != NULL)
			serve_lease(rs, &rs->queries[i]);
		else
			lease_answer(rs, &rs->queries[i], STATE_UNAVAILABLE, 0, 0);
	}
	return n;
}

/* Keep every held block; a block another host took meanwhile is given up. */
void
refresh_leases(struct redis_state *rs)
{
	char ttl[16];
	uint32_t i, kept = 0;

	rs->next_refresh = rte_get_tsc_cycles() + ms_tsc(rs->cfg.lease_ms / 3);
	if (rs->ctx == NULL || rs->n_leases == 0)
		return;
	writes_wait(rs, 0);
	if (rs->ctx == NULL)
		return;
	snprintf(ttl, sizeof(ttl), "%u", rs->cfg.lease_ms);
	for (i = 0; i < rs->n_leases; i++)
		redisAppendCommand(rs->ctx, "EVAL %s 1 %s %s %s", refresh_script, rs->leases[i].key,
				   rs->cfg.host_id, ttl);
	for (i = 0; i < rs->n_leases; i++) {
		redisReply *r = rs->ctx != NULL ? reply_read(rs) : NULL;
		struct state_answer a;

		if (r == NULL)
			return; /* claimed again on reconnect */
		if (r->type == REDIS_REPLY_INTEGER && r->integer > 0) {
			rs->leases[kept++] = rs->leases[i];
			stat_add(&rs->stats.lease_refreshes, 1);
			freeReplyObject(r);
			continue;
		}
		freeReplyObject(r);
		RS_LOG(WARNING, "redis %s: block %s is another host's now: given up", address_of(rs),
		       rs->leases[i].key);
		memset(&a, 0, sizeof(a));
		a.kind = STATE_ANSWER_LEASE_LOST;
		a.device_index = rs->leases[i].device_index;
		a.addr = rs->leases[i].addr;
		a.block = rs->leases[i].block;
		answer(rs, &a);
		stat_add(&rs->stats.leases_lost, 1);
	}
	rs->n_leases = kept;
	__atomic_store_n(&rs->stats.leases_held, rs->n_leases, __ATOMIC_RELAXED);
}

static void *
redis_state_main(void *arg)
{
	struct redis_state *rs = arg;

	while (!__atomic_load_n(&rs->quit, __ATOMIC_ACQUIRE)) {
		uint64_t now = rte_get_tsc_cycles();
		unsigned int n;

		if (rs->ctx == NULL && now >= rs->retry_at) {
			try_connect(rs);
			__atomic_store_n(&rs->first_attempt_done, true, __ATOMIC_RELEASE);
		}
		n = serve_writes(rs);
		n += serve_queries(rs);
		if (rs->ctx != NULL && now >= rs->next_refresh)
			refresh_leases(rs);
		if (n == 0) {
			struct timespec idle = {.tv_sec = 0, .tv_nsec = RS_IDLE_US * 1000};

			if (rs->ctx != NULL)
				check_idle_connection(rs, now);

			nanosleep(&idle, NULL);
		}
	}
	return NULL;
}

struct redis_state *
redis_state_start(const struct redis_state_config *cfg, struct state_sync *sync, char *err,
		  size_t errlen)
{
	struct redis_state *rs = calloc(1, sizeof(*rs));
	uint32_t waited;
	int ret;

	if (rs == NULL || (rs->leases = calloc(RS_LEASES_MAX, sizeof(*rs->leases))) == NULL) {
		free(rs);
		snprintf(err, errlen, "redis: out of memory");
		return NULL;
	}
	rs->cfg = *cfg;
	rs->sync = sync;
	rs->backoff_ms = RS_BACKOFF_MIN_MS;
	if (cfg->n_sentinels > 0)
		address_set(rs, "master \"%s\" by Sentinel (%s:%u%s)", cfg->master_name,
			    cfg->sentinels[0].host, cfg->sentinels[0].port,
			    cfg->n_sentinels > 1 ? " and others" : "");
	else
		address_set(rs, "%s:%u", cfg->host, cfg->port);
	/* Off the worker lcores, as the simulation is. */
	ret = rte_ctrl_thread_create(&rs->thread, "kairo-state", NULL, redis_state_main, rs);
	if (ret != 0) {
		snprintf(err, errlen, "redis: cannot start the state thread: %s", strerror(-ret));
		free(rs->leases);
		free(rs);
		return NULL;
	}
	/*
	 * The first packets should find Redis when it is there: wait for the
	 * first attempt (bounded by its timeout).  Away, the start goes on.
	 */
	for (waited = 0; !__atomic_load_n(&rs->first_attempt_done, __ATOMIC_ACQUIRE) &&
			 waited < cfg->timeout_ms * 2 + 100; waited++) {
		struct timespec ms = {.tv_sec = 0, .tv_nsec = 1000000};

		nanosleep(&ms, NULL);
	}
	return rs;
}

void
redis_state_stop(struct redis_state *rs)
{
	if (rs == NULL)
		return;
	__atomic_store_n(&rs->quit, true, __ATOMIC_RELEASE);
	pthread_join(rs->thread, NULL);
	if (rs->ctx != NULL)
		redisFree(rs->ctx);
	free(rs->leases);
	free(rs);
}

void
redis_state_stats_read(const struct redis_state *rs, struct redis_state_stats *out)
{
	const uint64_t *src = (const uint64_t *)&rs->stats;
	uint64_t *dst = (uint64_t *)out;
	size_t i;

	for (i = 0; i < sizeof(rs->stats) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

const char *
redis_state_address(const struct redis_state *rs)
{
	return address_of(rs);
}
