/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tracers and the trace log (trace.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_log.h>

#include "trace.h"

RTE_LOG_REGISTER(kairo_logtype_trace, kairo.trace, INFO);

void
trace_state_free(struct trace_state *ts)
{
	free(ts->log);
	ts->log = NULL;
	ts->n_tracers = 0;
}

static bool
key_is_ip(const struct flow_key *key)
{
	return key->l3_kind == FLOW_L3_IPV4 || key->l3_kind == FLOW_L3_IPV6;
}

/* L4 ports are in the key only for these, and not in a later fragment. */
static bool
key_has_ports(const struct flow_key *key)
{
	return key_is_ip(key) && key->nw_frag != FLOW_FRAG_LATER &&
	       (key->nw_proto == IPPROTO_TCP || key->nw_proto == IPPROTO_UDP ||
		key->nw_proto == IPPROTO_SCTP);
}

static bool
ip_match(uint8_t kind, const uint8_t *want, const struct flow_key *key, const uint8_t *have)
{
	return key->l3_kind == kind && memcmp(want, have, kind == FLOW_L3_IPV4 ? 4 : 16) == 0;
}

bool
trace_spec_match(const struct trace_spec *s, const struct flow_key *key)
{
	uint32_t f = s->fields;

	if ((f & TRACE_MAC_SRC) && !rte_is_same_ether_addr(&s->mac_src, &key->eth_src))
		return false;
	if ((f & TRACE_MAC_DST) && !rte_is_same_ether_addr(&s->mac_dst, &key->eth_dst))
		return false;
	if ((f & TRACE_ETHERTYPE) && s->ethertype != key->ether_type)
		return false;
	if ((f & TRACE_IP_SRC) && !ip_match(s->ip_src_kind, s->ip_src, key, key->nw_src))
		return false;
	if ((f & TRACE_IP_DST) && !ip_match(s->ip_dst_kind, s->ip_dst, key, key->nw_dst))
		return false;
	if ((f & TRACE_IP_PROTO) && (!key_is_ip(key) || s->ip_proto != key->nw_proto))
		return false;
	if ((f & TRACE_SRC_PORT) && (!key_has_ports(key) || s->src_port != key->tp_src))
		return false;
	if ((f & TRACE_DST_PORT) && (!key_has_ports(key) || s->dst_port != key->tp_dst))
		return false;
	return true;
}

bool
trace_spec_equal(const struct trace_spec *a, const struct trace_spec *b)
{
	char fa[256], fb[256];

	/* Equal as mm-trace prints them: the unset fields' bytes do not count. */
	trace_spec_format(a, fa, sizeof(fa));
	trace_spec_format(b, fb, sizeof(fb));
	return strcmp(fa, fb) == 0;
}

static int
format_ip(uint8_t kind, const uint8_t *addr, char *buf, size_t len)
{
	return inet_ntop(kind == FLOW_L3_IPV4 ? AF_INET : AF_INET6, addr, buf, len) == NULL ? -1 : 0;
}

int
trace_spec_format(const struct trace_spec *s, char *buf, size_t len)
{
	char mac[RTE_ETHER_ADDR_FMT_SIZE], ip[INET6_ADDRSTRLEN];
	size_t off = 0;

#define ADD(...)                                                                                   \
	do {                                                                                       \
		if (off < len)                                                                     \
			off += snprintf(buf + off, len - off, __VA_ARGS__);                       \
	} while (0)

	ADD("%s", s->level == TRACE_LEVEL_TRACE ? "--trace" : "--debug");
	if (s->fields & TRACE_MAC_SRC) {
		rte_ether_format_addr(mac, sizeof(mac), &s->mac_src);
		ADD(" --mac-src %s", mac);
	}
	if (s->fields & TRACE_MAC_DST) {
		rte_ether_format_addr(mac, sizeof(mac), &s->mac_dst);
		ADD(" --mac-dst %s", mac);
	}
	if (s->fields & TRACE_ETHERTYPE)
		ADD(" --ethertype 0x%04x", s->ethertype);
	if ((s->fields & TRACE_IP_SRC) && format_ip(s->ip_src_kind, s->ip_src, ip, sizeof(ip)) == 0)
		ADD(" --ip-src %s", ip);
	if ((s->fields & TRACE_IP_DST) && format_ip(s->ip_dst_kind, s->ip_dst, ip, sizeof(ip)) == 0)
		ADD(" --ip-dst %s", ip);
	if (s->fields & TRACE_IP_PROTO)
		ADD(" --ip-protocol %u", s->ip_proto);
	if (s->fields & TRACE_SRC_PORT)
		ADD(" --src-port %u", s->src_port);
	if (s->fields & TRACE_DST_PORT)
		ADD(" --dst-port %u", s->dst_port);
	if (s->limit != 0)
		ADD(" --limit %" PRIu64, s->limit);
#undef ADD
	return (int)(off < len ? off : len - 1);
}

int
trace_add(struct trace_state *ts, const struct trace_spec *spec)
{
	struct tracer *t;
	uint32_t i;

	for (i = 0; i < ts->n_tracers; i++)
		if (trace_spec_equal(&ts->tracers[i].spec, spec))
			return -EEXIST;
	if (ts->n_tracers == TRACE_MAX_TRACERS)
		return -ENOSPC;
	/* The ring is made for the first tracer: a daemon nobody traces does not carry it. */
	if (ts->log == NULL && (ts->log = calloc(TRACE_LOG_LINES, sizeof(*ts->log))) == NULL)
		return -ENOMEM;
	t = &ts->tracers[ts->n_tracers++];
	t->id = ++ts->last_id;
	t->spec = *spec;
	t->matched = 0;
	return (int)t->id;
}

static void
trace_delete_at(struct trace_state *ts, uint32_t i)
{
	/* Keep the order: the first tracer added is the first to take a packet. */
	memmove(&ts->tracers[i], &ts->tracers[i + 1], (ts->n_tracers - i - 1) * sizeof(ts->tracers[0]));
	ts->n_tracers--;
}

int
trace_remove_id(struct trace_state *ts, uint32_t id)
{
	uint32_t i;

	for (i = 0; i < ts->n_tracers; i++) {
		if (ts->tracers[i].id == id) {
			trace_delete_at(ts, i);
			return 0;
		}
	}
	return -ENOENT;
}

unsigned int
trace_remove_spec(struct trace_state *ts, const struct trace_spec *spec)
{
	unsigned int n = 0;
	uint32_t i = 0;

	while (i < ts->n_tracers) {
		if (trace_spec_equal(&ts->tracers[i].spec, spec)) {
			trace_delete_at(ts, i);
			n++;
		} else {
			i++;
		}
	}
	return n;
}

unsigned int
trace_flush(struct trace_state *ts)
{
	unsigned int n = ts->n_tracers;

	ts->n_tracers = 0;
	return n;
}

bool
trace_wanted(const struct trace_state *ts, const struct flow_key *key)
{
	uint32_t i;

	for (i = 0; i < ts->n_tracers; i++)
		if (trace_spec_match(&ts->tracers[i].spec, key))
			return true;
	return false;
}

uint64_t
trace_begin(struct trace_state *ts, const struct flow_key *key, uint8_t *level, uint32_t *tracer_id)
{
	struct tracer *t;
	uint32_t i;

	for (i = 0; i < ts->n_tracers; i++) {
		t = &ts->tracers[i];
		if (!trace_spec_match(&t->spec, key))
			continue;
		*level = t->spec.level;
		*tracer_id = t->id;
		t->matched++;
		ts->packets_traced++;
		if (t->spec.limit != 0 && t->matched >= t->spec.limit) {
			ts->tracers_expired++;
			trace_delete_at(ts, i);
		}
		return ++ts->last_cookie;
	}
	return 0;
}

void
trace_line(struct trace_state *ts, uint64_t cookie, const char *fmt, ...)
{
	struct trace_line *l = &ts->log[++ts->last_seq % TRACE_LOG_LINES];
	va_list ap;

	l->seq = ts->last_seq;
	l->cookie = cookie;
	va_start(ap, fmt);
	vsnprintf(l->text, sizeof(l->text), fmt, ap);
	va_end(ap);
	/* The cookie prefix is what a grep of the daemon's log picks a packet's lines out by. */
	rte_log(RTE_LOG_INFO, kairo_logtype_trace, "kairod: trace: cookie:0x%" PRIx64 " %s\n",
		cookie, l->text);
}

uint64_t
trace_read(const struct trace_state *ts, uint64_t since, uint64_t cookie, unsigned int max,
	   void (*visit)(void *arg, const struct trace_line *line), void *arg)
{
	uint64_t first = ts->last_seq >= TRACE_LOG_LINES ? ts->last_seq - TRACE_LOG_LINES + 1 : 1;
	uint64_t seq, last = since;
	unsigned int n = 0;

	if (ts->log == NULL)
		return since;
	for (seq = since + 1 > first ? since + 1 : first; seq <= ts->last_seq && n < max; seq++) {
		const struct trace_line *l = &ts->log[seq % TRACE_LOG_LINES];

		last = seq;
		if (cookie != 0 && l->cookie != cookie)
			continue;
		visit(arg, l);
		n++;
	}
	return last;
}
