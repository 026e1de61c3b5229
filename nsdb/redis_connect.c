/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The state thread's connection to Redis (nsdb/redis_state_internal.h):
 * the server found directly or asked of Sentinel, connected with a timeout,
 * AUTH and keepalive, dropped and retried with back-off, and noticed gone
 * while idle.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_common.h>

#include "event_log.h"
#include "redis_state_internal.h"

const char *
address_of(const struct redis_state *rs)
{
	return rs->address[__atomic_load_n(&rs->address_now, __ATOMIC_ACQUIRE)];
}

void
address_set(struct redis_state *rs, const char *fmt, ...)
{
	unsigned int next = rs->address_now ^ 1;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rs->address[next], sizeof(rs->address[next]), fmt, ap);
	va_end(ap);
	__atomic_store_n(&rs->address_now, next, __ATOMIC_RELEASE);
}

void
disconnect(struct redis_state *rs, const char *why)
{
	if (rs->ctx == NULL)
		return;
	/* Copied first: why is often the context's own errstr. */
	snprintf(rs->last_error, sizeof(rs->last_error), "%s", why);
	redisFree(rs->ctx);
	rs->ctx = NULL;
	flight_fail(rs);
	stat_add(&rs->stats.disconnects, 1);
	__atomic_store_n(&rs->stats.connected, 0, __ATOMIC_RELAXED);
	RS_LOG(WARNING, "redis %s DISCONNECT: %s; forwarding goes on with local state, "
	       "reconnecting", address_of(rs), rs->last_error);
	event_log("agent.Nsdb", "DISCONNECT", "redis %s", address_of(rs));
	rs->backoff_ms = RS_BACKOFF_MIN_MS;
	rs->retry_at = rte_get_tsc_cycles() + ms_tsc(rs->backoff_ms);
}

/* A reply read back, or NULL after a lost connection (disconnected then). */
redisReply *
reply_read(struct redis_state *rs)
{
	void *r = NULL;

	if (redisGetReply(rs->ctx, &r) != REDIS_OK || r == NULL) {
		char why[160];

		snprintf(why, sizeof(why), "%s", rs->ctx->errstr[0] ? rs->ctx->errstr : "no reply");
		disconnect(rs, why);
		return NULL;
	}
	return r;
}


/*
 * The master's address, asked of the sentinels in turn (the one that
 * answered last first): 0, or -EAGAIN with why set.  Each sentinel gets the
 * connect and reply timeout; a sentinel that does not know the master name
 * is as good as one that does not answer.
 */
static int
sentinel_master(struct redis_state *rs, const struct timeval *tv, struct redis_endpoint *out,
		char *why, size_t whylen)
{
	unsigned int k;

	snprintf(why, whylen, "no sentinel answered");
	for (k = 0; k < rs->cfg.n_sentinels; k++) {
		unsigned int i = (rs->sentinel_next + k) % rs->cfg.n_sentinels;
		const struct redis_endpoint *s = &rs->cfg.sentinels[i];
		redisContext *c = redisConnectWithTimeout(s->host, s->port, *tv);
		redisReply *r = NULL;

		if (c != NULL && !c->err && redisSetTimeout(c, *tv) == REDIS_OK)
			r = redisCommand(c, "SENTINEL get-master-addr-by-name %s",
					 rs->cfg.master_name);
		if (r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
		    r->element[0]->type == REDIS_REPLY_STRING &&
		    r->element[1]->type == REDIS_REPLY_STRING && atoi(r->element[1]->str) > 0 &&
		    atoi(r->element[1]->str) <= 65535) {
			snprintf(out->host, sizeof(out->host), "%s", r->element[0]->str);
			out->port = (uint16_t)atoi(r->element[1]->str);
			rs->sentinel_next = i;
			freeReplyObject(r);
			redisFree(c);
			return 0;
		}
		if (r != NULL && r->type == REDIS_REPLY_NIL)
			snprintf(why, whylen, "sentinel %s:%u does not know master \"%s\"", s->host,
				 s->port, rs->cfg.master_name);
		else
			snprintf(why, whylen, "sentinel %s:%u: %s", s->host, s->port,
				 c == NULL ? "out of memory" : c->err ? c->errstr : "no answer");
		if (r != NULL)
			freeReplyObject(r);
		if (c != NULL)
			redisFree(c);
	}
	return -EAGAIN;
}

/* A server the sentinels named must say it is the master: a demoted one comes back a replica. */
static const char *
check_master_role(redisContext *c, char *buf, size_t len)
{
	redisReply *r = redisCommand(c, "ROLE");
	const char *why = NULL;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements == 0 ||
	    r->element[0]->type != REDIS_REPLY_STRING) {
		why = "no answer to ROLE";
	} else if (strcmp(r->element[0]->str, "master") != 0) {
		snprintf(buf, len, "it is a %s, not the master (the sentinels have not switched yet)",
			 r->element[0]->str);
		why = buf;
	}
	if (r != NULL)
		freeReplyObject(r);
	return why;
}

void
try_connect(struct redis_state *rs)
{
	struct timeval tv = {.tv_sec = rs->cfg.timeout_ms / 1000,
			     .tv_usec = (rs->cfg.timeout_ms % 1000) * 1000};
	struct redis_endpoint server = {.port = rs->cfg.port};
	redisContext *c = NULL;
	const char *why = NULL;
	char buf[REDIS_HOST_LEN + 160];

	snprintf(server.host, sizeof(server.host), "%s", rs->cfg.host);
	if (rs->cfg.n_sentinels > 0 && sentinel_master(rs, &tv, &server, buf, sizeof(buf)) != 0)
		why = buf;
	if (why == NULL)
		c = redisConnectWithTimeout(server.host, server.port, tv);
	if (why != NULL) {
		/* The sentinels did not name a master: nothing to connect to yet. */
	} else if (c == NULL || c->err) {
		snprintf(buf, sizeof(buf), "%s:%u: %s", server.host, server.port,
			 c ? c->errstr : "out of memory");
		why = buf;
	} else if (redisSetTimeout(c, tv) != REDIS_OK || redisEnableKeepAlive(c) != REDIS_OK) {
		why = "cannot set the reply timeout or keepalive";
	} else if (rs->cfg.password[0] != '\0') {
		redisReply *r = redisCommand(c, "AUTH %s", rs->cfg.password);

		if (r == NULL || r->type == REDIS_REPLY_ERROR) {
			snprintf(buf, sizeof(buf), "AUTH refused: %s",
				 r ? r->str : (c->errstr[0] ? c->errstr : "no reply"));
			why = buf;
		}
		if (r != NULL)
			freeReplyObject(r);
	}
	if (why == NULL && rs->cfg.n_sentinels > 0)
		why = check_master_role(c, buf, sizeof(buf));
	if (why != NULL) {
		if (c != NULL)
			redisFree(c);
		/* Said once per outage, then at growing intervals: a log line per attempt is noise. */
		if (strcmp(why, rs->last_error) != 0 || rs->backoff_ms >= RS_BACKOFF_MAX_MS)
			RS_LOG(WARNING, "redis %s: %s (next attempt in %u ms)", address_of(rs), why,
			       rs->backoff_ms);
		snprintf(rs->last_error, sizeof(rs->last_error), "%s", why);
		rs->retry_at = rte_get_tsc_cycles() + ms_tsc(rs->backoff_ms);
		rs->backoff_ms = RTE_MIN(rs->backoff_ms * 2, (uint32_t)RS_BACKOFF_MAX_MS);
		return;
	}
	if (rs->cfg.n_sentinels > 0) {
		if (rs->ever_connected && (strcmp(server.host, rs->master.host) != 0 ||
					   server.port != rs->master.port)) {
			stat_add(&rs->stats.master_changes, 1);
			RS_LOG(WARNING, "redis master \"%s\" moved from %s:%u to %s:%u (Sentinel "
			       "failover)", rs->cfg.master_name, rs->master.host, rs->master.port,
			       server.host, server.port);
		}
		rs->master = server;
		address_set(rs, "%s:%u (master \"%s\" by Sentinel)", server.host, server.port,
			    rs->cfg.master_name);
	}
	rs->ctx = c;
	rs->last_error[0] = '\0';
	stat_add(&rs->stats.connects, 1);
	__atomic_store_n(&rs->stats.connected, 1, __ATOMIC_RELAXED);
	event_log("agent.Nsdb", "CONNECT", "redis %s", address_of(rs));
	RS_LOG(INFO, "redis %s CONNECT%s", address_of(rs),
	       rs->ever_connected ? ": resynchronising (blocks claimed again, live state written)"
				  : "");
	rs->ever_connected = true;
	/* What it lost (a restart without persistence) is written again. */
	refresh_leases(rs);
	answer_simple(rs, STATE_ANSWER_RESYNC, STATE_OK, 0);
}

/* ---- writes ---- */

/*
 * An idle connection learns that its server went away only when it next
 * writes, which may be a lease refresh away (tens of seconds): a killed
 * Redis, or a Sentinel failover, would go unnoticed that long, and state
 * made meanwhile would wait for the next write to find out.  A server that
 * closed shows as a readable socket with nothing to read; checked while no
 * reply is due, at most every RS_LIVENESS_MS.  (A server that vanished
 * without closing is found by TCP keepalive, enabled at connect.)
 */
void
check_idle_connection(struct redis_state *rs, uint64_t now)
{
	struct pollfd p = {.fd = rs->ctx->fd, .events = POLLIN};
	char byte;

	if (now < rs->next_liveness || rs->sets_sent != rs->sets_acked)
		return;
	rs->next_liveness = now + ms_tsc(RS_LIVENESS_MS);
	if (poll(&p, 1, 0) <= 0)
		return;
	if ((p.revents & (POLLERR | POLLHUP)) != 0 ||
	    recv(p.fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0)
		disconnect(rs, "server closed the connection");
}

