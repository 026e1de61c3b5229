/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The commands kairod serves on its control socket (ctl_server.h): the
 * datapath views of mm-dpctl / ovs-appctl dpctl, the flow dump and flush
 * with filters, and the mm-trace tracers and their lines.  What each one is
 * called and which arguments it takes is declared in ctl_protocol.c; the
 * server has refused any other argument before a handler here runs.
 *
 * Counters are read from any thread.  Whatever walks the flow cache or
 * touches the tracers runs on the simulation thread (sim_thread_call), the
 * only one allowed to.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ring.h>

#include "ctl_commands.h"
#include "ctl_events.h"
#include "ctl_meter.h"
#include "ctl_ports.h"
#include "ctl_topology.h"
#include "json_field.h"
#include "trace.h"

/* Flows a dump returns unless told otherwise, and at most. */
#define DUMP_FLOWS_DEFAULT 1000
#define DUMP_FLOWS_MAX 1000000
#define TRACE_READ_DEFAULT 1000

static int
fail(char *err, size_t errlen, int ret, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return ret;
}

static int
parse_ip(const json_t *args, const char *key, uint8_t *kind, uint8_t addr[16], char *err,
	 size_t errlen)
{
	const json_t *v = json_object_get(args, key);
	const char *s = json_string_value(v);

	memset(addr, 0, 16);
	if (s != NULL && inet_pton(AF_INET, s, addr) == 1) {
		*kind = FLOW_L3_IPV4;
		return 0;
	}
	if (s != NULL && inet_pton(AF_INET6, s, addr) == 1) {
		*kind = FLOW_L3_IPV6;
		return 0;
	}
	return fail(err, errlen, -EINVAL, "args.%s: %s%s%s is not an IPv4 or IPv6 address", key,
		    s ? "\"" : "", s ? s : "a non-string", s ? "\"" : "");
}

/*
 * The flow match (ctl_match_args), shared by the tracers and the flow
 * filters; with_trace adds the tracer's limit and level.
 */
static int
parse_spec(json_t *args, bool with_trace, struct trace_spec *spec, char *err, size_t errlen)
{
	struct json_ctx ctx = {.file = "args", .err = err, .errlen = errlen};
	const char *level;
	bool present;
	uint64_t v;
	int ret;

	memset(spec, 0, sizeof(*spec));
	if ((ret = json_field_mac(&ctx, args, "", "mac-src", spec->mac_src.addr_bytes, &present)) != 0)
		return ret;
	spec->fields |= present ? TRACE_MAC_SRC : 0;
	if ((ret = json_field_mac(&ctx, args, "", "mac-dst", spec->mac_dst.addr_bytes, &present)) != 0)
		return ret;
	spec->fields |= present ? TRACE_MAC_DST : 0;
	if (json_object_get(args, "ethertype") != NULL) {
		if ((ret = json_field_uint(&ctx, args, "", "ethertype", 0, 0xffff, 0, true, &v)) != 0)
			return ret;
		spec->ethertype = (uint16_t)v;
		spec->fields |= TRACE_ETHERTYPE;
	}
	if (json_object_get(args, "ip-src") != NULL) {
		if ((ret = parse_ip(args, "ip-src", &spec->ip_src_kind, spec->ip_src, err, errlen)) != 0)
			return ret;
		spec->fields |= TRACE_IP_SRC;
	}
	if (json_object_get(args, "ip-dst") != NULL) {
		if ((ret = parse_ip(args, "ip-dst", &spec->ip_dst_kind, spec->ip_dst, err, errlen)) != 0)
			return ret;
		spec->fields |= TRACE_IP_DST;
	}
	if (json_object_get(args, "ip-protocol") != NULL) {
		if ((ret = json_field_uint(&ctx, args, "", "ip-protocol", 0, 255, 0, true, &v)) != 0)
			return ret;
		spec->ip_proto = (uint8_t)v;
		spec->fields |= TRACE_IP_PROTO;
	}
	if (json_object_get(args, "src-port") != NULL) {
		if ((ret = json_field_uint(&ctx, args, "", "src-port", 0, 65535, 0, true, &v)) != 0)
			return ret;
		spec->src_port = (uint16_t)v;
		spec->fields |= TRACE_SRC_PORT;
	}
	if (json_object_get(args, "dst-port") != NULL) {
		if ((ret = json_field_uint(&ctx, args, "", "dst-port", 0, 65535, 0, true, &v)) != 0)
			return ret;
		spec->dst_port = (uint16_t)v;
		spec->fields |= TRACE_DST_PORT;
	}
	if (!with_trace)
		return 0;
	if ((ret = json_field_uint(&ctx, args, "", "limit", 1, UINT64_MAX >> 1, 0, false, &v)) != 0)
		return ret;
	spec->limit = v;
	level = json_string_value(json_object_get(args, "level"));
	if (json_object_get(args, "level") != NULL &&
	    (level == NULL || (strcmp(level, "debug") != 0 && strcmp(level, "trace") != 0)))
		return fail(err, errlen, -EINVAL, "args.level: must be \"debug\" or \"trace\"");
	spec->level = level != NULL && strcmp(level, "trace") == 0 ? TRACE_LEVEL_TRACE
								    : TRACE_LEVEL_DEBUG;
	return 0;
}

/* ---- datapath views ---- */

/* Misses waiting for the simulation now. */
static unsigned int
upcall_queue_depth(const struct kairo_dp *dp)
{
	unsigned int i, n = 0;

	for (i = 0; i < dp->upcall->n_sim; i++)
		n += rte_ring_count(dp->upcall->to_sim[i]);
	return n;
}

static int
cmd_show_datapath(void *arg, json_t *args, json_t **result, char *err, size_t errlen)
{
	struct kairo_dp *dp = arg;
	json_t *view;

	view = datapath_view_object(dp);
	/* mm-dpctl --show-dp: the totals; ports, lcores and drops have their own commands. */
	json_object_del(view, "ports");
	json_object_del(view, "lcores");
	json_object_del(view, "drops");
	json_object_del(view, "tunnels");
	json_object_del(view, "state");
	json_object_set_new(view, "upcall_queue", json_integer(upcall_queue_depth(dp)));
	*result = view;
	return 0;
}

static int
view_part(struct kairo_dp *dp, const char *part, json_t **result)
{
	json_t *view;

	view = datapath_view_object(dp);
	*result = json_incref(json_object_get(view, part));
	json_decref(view);
	return 0;
}

static int
cmd_show_ports(void *arg, json_t *args, json_t **result, char *err, size_t errlen)
{
	return view_part(arg, "ports", result);
}

static int
cmd_show_lcores(void *arg, json_t *args, json_t **result, char *err, size_t errlen)
{
	return view_part(arg, "lcores", result);
}

static int
cmd_show_drops(void *arg, json_t *args, json_t **result, char *err, size_t errlen)
{
	return view_part(arg, "drops", result);
}

/* The overlay: this host's underlay, and per tunnel peer its next hop and counters. */
static int
cmd_show_tunnels(void *arg, json_t *args, json_t **result, char *err, size_t errlen)
{
	struct kairo_dp *dp = arg;

	if (dp->overlay == NULL)
		return fail(err, errlen, -ENOENT, "no tunnels: the daemon config has no \"underlay\"");
	return view_part(arg, "tunnels", result);
}

/* Shared state: the Redis connection, writes behind, lookups, SNAT blocks. */
static int
cmd_show_state(void *arg, json_t *args, json_t **result, char *err, size_t errlen)
{
	struct kairo_dp *dp = arg;

	if (dp->redis == NULL)
		return fail(err, errlen, -ENOENT, "no shared state: the daemon config has no \"redis\"");
	return view_part(arg, "state", result);
}

/* ---- flows ---- */

struct flow_filter {
	struct trace_spec spec;
	bool has_in_port;
	uint16_t in_port;
};

static bool
flow_filter_match(const struct flow_key *key, void *arg)
{
	const struct flow_filter *f = arg;

	return (!f->has_in_port || key->in_port == f->in_port) && trace_spec_match(&f->spec, key);
}

static int
parse_flow_filter(json_t *args, struct flow_filter *f, char *err, size_t errlen)
{
	struct json_ctx ctx = {.file = "args", .err = err, .errlen = errlen};
	uint64_t v;
	int ret;

	if ((ret = parse_spec(args, false, &f->spec, err, errlen)) != 0)
		return ret;
	f->has_in_port = json_object_get(args, "in-port") != NULL;
	if (f->has_in_port) {
		if ((ret = json_field_uint(&ctx, args, "", "in-port", 0, RTE_MAX_ETHPORTS - 1, 0,
					   true, &v)) != 0)
			return ret;
		f->in_port = (uint16_t)v;
	}
	return 0;
}

struct dump_call {
	struct kairo_dp *dp;
	struct flow_filter filter;
	uint64_t limit;
	json_t *flows;
	uint64_t matched;
};

static void
dump_flows_on_sim(struct sim_thread *st, void *arg)
{
	struct dump_call *d = arg;
	uint64_t now = rte_get_tsc_cycles();
	const struct flow *f;
	uint32_t next = 0;

	while (flow_cache_iterate(sim_thread_cache(st), &next, &f) == 0) {
		if (!flow_filter_match(&f->key, &d->filter))
			continue;
		/* Count them all, list the first limit: the operator learns how many there are. */
		if (d->matched++ < d->limit)
			json_array_append_new(d->flows, datapath_flow_json(f, now));
	}
}

static int
cmd_dump_flows(void *arg, json_t *args, json_t **result, char *err, size_t errlen)
{
	struct json_ctx ctx = {.file = "args", .err = err, .errlen = errlen};
	struct dump_call d = {.dp = arg};
	int ret;

	if ((ret = parse_flow_filter(args, &d.filter, err, errlen)) != 0)
		return ret;
	if ((ret = json_field_uint(&ctx, args, "", "limit", 0, DUMP_FLOWS_MAX, DUMP_FLOWS_DEFAULT,
				   false, &d.limit)) != 0)
		return ret;
	d.flows = json_array();
	sim_thread_call(d.dp->sim, dump_flows_on_sim, &d);
	*result = json_pack("{s:o, s:I, s:b}", "flows", d.flows, "matched", (json_int_t)d.matched,
			    "truncated", d.matched > d.limit);
	return 0;
}

#define EXPLAIN_DEFAULT 10
#define EXPLAIN_MAX 1000

struct explain_call {
	struct flow_filter filter;
	uint64_t limit;
	json_t *flows;   /* cached: still valid */
	json_t *removed; /* removed by a topology change */
	uint64_t matched;
};

static bool
flow_filter_match_const(const struct flow_key *key, const void *arg)
{
	return flow_filter_match(key, (void *)(uintptr_t)arg);
}

static void
explain_on_sim(struct sim_thread *st, void *arg)
{
	struct explain_call *e = arg;
	const struct flow *f;
	uint32_t next = 0;

	while (flow_cache_iterate(sim_thread_cache(st), &next, &f) == 0) {
		if (!flow_filter_match(&f->key, &e->filter))
			continue;
		if (e->matched++ < e->limit)
			json_array_append_new(e->flows, flow_explain_json(st, f));
	}
	e->removed = flow_explain_removed_json(st, flow_filter_match_const, &e->filter,
					      (unsigned int)e->limit);
}

/*
 * "flow explain MATCH": how each matching cached flow was decided (the walk
 * recorded at install, the entries it uses, the version), and the matching
 * flows a topology change removed, with what removed them.
 */
static int
cmd_flow_explain(void *arg, json_t *args, json_t **result, char *err, size_t errlen)
{
	struct json_ctx ctx = {.file = "args", .err = err, .errlen = errlen};
	struct kairo_dp *dp = arg;
	struct explain_call e = {0};
	int ret;

	if ((ret = parse_flow_filter(args, &e.filter, err, errlen)) != 0)
		return ret;
	if ((ret = json_field_uint(&ctx, args, "", "limit", 1, EXPLAIN_MAX, EXPLAIN_DEFAULT,
				   false, &e.limit)) != 0)
		return ret;
	e.flows = json_array();
	sim_thread_call(dp->sim, explain_on_sim, &e);
	*result = json_pack("{s:o, s:I, s:o}", "flows", e.flows, "matched", (json_int_t)e.matched,
			    "removed", e.removed != NULL ? e.removed : json_array());
	return 0;
}

struct flush_call {
	struct flow_filter filter;
	bool all;
	unsigned int removed;
};

static void
flush_flows_on_sim(struct sim_thread *st, void *arg)
{
	struct flush_call *fl = arg;

	if (fl->all)
		fl->removed = flow_cache_flush(sim_thread_cache(st));
	else
		fl->removed = flow_cache_remove_matching(sim_thread_cache(st), flow_filter_match, &fl->filter,
							 FLOW_REMOVED_FLUSHED);
}

static int
cmd_flush_flows(void *arg, json_t *args, json_t **result, char *err, size_t errlen)
{
	struct kairo_dp *dp = arg;
	struct flush_call fl = {0};
	int ret;

	if ((ret = parse_flow_filter(args, &fl.filter, err, errlen)) != 0)
		return ret;
	fl.all = json_object_size(args) == 0;
	sim_thread_call(dp->sim, flush_flows_on_sim, &fl);
	*result = json_pack("{s:i}", "removed", fl.removed);
	return 0;
}

/* ---- tracers ---- */

struct trace_call {
	struct trace_spec spec;
	uint32_t id;
	bool by_id;
	int ret;
	json_t *out;
	uint64_t since, cookie;
	unsigned int max;
	uint64_t packets_traced, tracers_expired;
};

static void
trace_add_on_sim(struct sim_thread *st, void *arg)
{
	struct trace_call *tc = arg;

	tc->ret = sim_trace_add(st, &tc->spec);
}

static int
cmd_trace_add(void *arg, json_t *args, json_t **result, char *err, size_t errlen)
{
	struct kairo_dp *dp = arg;
	struct trace_call tc;
	char text[256];
	int ret;

	memset(&tc, 0, sizeof(tc));
	if ((ret = parse_spec(args, true, &tc.spec, err, errlen)) != 0)
		return ret;
	sim_thread_call(dp->sim, trace_add_on_sim, &tc);
	trace_spec_format(&tc.spec, text, sizeof(text));
	if (tc.ret == -EEXIST)
		return fail(err, errlen, tc.ret, "a tracer \"%s\" is already there", text);
	if (tc.ret == -ENOSPC)
		return fail(err, errlen, tc.ret, "already %d tracers: remove one first",
			    TRACE_MAX_TRACERS);
	if (tc.ret < 0)
		return fail(err, errlen, tc.ret, "tracer not added: %s", strerror(-tc.ret));
	*result = json_pack("{s:i, s:s}", "id", tc.ret, "tracer", text);
	return 0;
}

static void
trace_remove_on_sim(struct sim_thread *st, void *arg)
{
	struct trace_call *tc = arg;

	if (tc->by_id)
		tc->ret = trace_remove_id(sim_thread_trace(st), tc->id) == 0 ? 1 : 0;
	else
		tc->ret = (int)trace_remove_spec(sim_thread_trace(st), &tc->spec);
}

static int
cmd_trace_remove(void *arg, json_t *args, json_t **result, char *err, size_t errlen)
{
	struct json_ctx ctx = {.file = "args", .err = err, .errlen = errlen};
	struct kairo_dp *dp = arg;
	struct trace_call tc;
	uint64_t id;
	int ret;

	memset(&tc, 0, sizeof(tc));
	if ((ret = parse_spec(args, true, &tc.spec, err, errlen)) != 0)
		return ret;
	if (json_object_get(args, "id") != NULL) {
		if (json_object_size(args) != 1)
			return fail(err, errlen, -EINVAL,
				    "args.id: remove by id or by the tracer's options, not both");
		if ((ret = json_field_uint(&ctx, args, "", "id", 1, UINT32_MAX, 0, true, &id)) != 0)
			return ret;
		tc.by_id = true;
		tc.id = (uint32_t)id;
	}
	sim_thread_call(dp->sim, trace_remove_on_sim, &tc);
	*result = json_pack("{s:i}", "removed", tc.ret);
	return 0;
}

static void
trace_list_on_sim(struct sim_thread *st, void *arg)
{
	const struct trace_state *ts = sim_thread_trace(st);
	struct trace_call *tc = arg;
	char text[256];
	uint32_t i;

	for (i = 0; i < ts->n_tracers; i++) {
		const struct tracer *t = &ts->tracers[i];

		trace_spec_format(&t->spec, text, sizeof(text));
		json_array_append_new(tc->out, json_pack("{s:i, s:s, s:I}", "id", t->id, "tracer",
							 text, "matched", (json_int_t)t->matched));
	}
	tc->packets_traced = ts->packets_traced;
	tc->tracers_expired = ts->tracers_expired;
}

static int
cmd_trace_list(void *arg, json_t *args, json_t **result, char *err, size_t errlen)
{
	struct kairo_dp *dp = arg;
	struct trace_call tc;

	memset(&tc, 0, sizeof(tc));
	tc.out = json_array();
	sim_thread_call(dp->sim, trace_list_on_sim, &tc);
	*result = json_pack("{s:o, s:I, s:I}", "tracers", tc.out, "packets_traced",
			    (json_int_t)tc.packets_traced, "tracers_expired",
			    (json_int_t)tc.tracers_expired);
	return 0;
}

static void
trace_flush_on_sim(struct sim_thread *st, void *arg)
{
	struct trace_call *tc = arg;

	tc->ret = (int)trace_flush(sim_thread_trace(st));
}

static int
cmd_trace_flush(void *arg, json_t *args, json_t **result, char *err, size_t errlen)
{
	struct kairo_dp *dp = arg;
	struct trace_call tc;

	memset(&tc, 0, sizeof(tc));
	sim_thread_call(dp->sim, trace_flush_on_sim, &tc);
	*result = json_pack("{s:i}", "removed", tc.ret);
	return 0;
}

static void
trace_line_json(void *arg, const struct trace_line *l)
{
	char cookie[32];

	snprintf(cookie, sizeof(cookie), "0x%" PRIx64, l->cookie);
	json_array_append_new(arg, json_pack("{s:I, s:s, s:s}", "seq", (json_int_t)l->seq,
					     "cookie", cookie, "text", l->text));
}

static void
trace_read_on_sim(struct sim_thread *st, void *arg)
{
	struct trace_call *tc = arg;

	tc->since = trace_read(sim_thread_trace(st), tc->since, tc->cookie, tc->max, trace_line_json,
			       tc->out);
}

static int
cmd_trace_read(void *arg, json_t *args, json_t **result, char *err, size_t errlen)
{
	struct json_ctx ctx = {.file = "args", .err = err, .errlen = errlen};
	struct kairo_dp *dp = arg;
	struct trace_call tc;
	const char *cookie;
	uint64_t v;
	char *end;
	int ret;

	memset(&tc, 0, sizeof(tc));
	if ((ret = json_field_uint(&ctx, args, "", "since", 0, INT64_MAX, 0, false,
				   &tc.since)) != 0 ||
	    (ret = json_field_uint(&ctx, args, "", "max", 1, TRACE_LOG_LINES, TRACE_READ_DEFAULT,
				   false, &v)) != 0)
		return ret;
	tc.max = (unsigned int)v;
	if (json_object_get(args, "cookie") != NULL) {
		/* As the lines print it: "0x1f" (or "cookie:0x1f"). */
		cookie = json_string_value(json_object_get(args, "cookie"));
		if (cookie != NULL && strncmp(cookie, "cookie:", 7) == 0)
			cookie += 7;
		errno = 0;
		tc.cookie = cookie ? strtoull(cookie, &end, 16) : 0;
		if (cookie == NULL || *cookie == '\0' || *end != '\0' || errno != 0 || tc.cookie == 0)
			return fail(err, errlen, -EINVAL,
				    "args.cookie: must be a cookie as the lines show it (\"0x1f\")");
	}
	tc.out = json_array();
	sim_thread_call(dp->sim, trace_read_on_sim, &tc);
	*result = json_pack("{s:o, s:I}", "lines", tc.out, "last", (json_int_t)tc.since);
	return 0;
}

/*
 * The command table itself (ctl_help_json), every command or the one named
 * by args.command: its words, as a string or as a list of words.
 */
static int
cmd_help(void *arg, json_t *args, json_t **result, char *err, size_t errlen)
{
	const json_t *named = json_object_get(args, "command");
	char words[256] = "";
	size_t i, off = 0;
	json_t *w;
	int id = -1;

	RTE_SET_USED(arg);
	if (json_is_string(named)) {
		snprintf(words, sizeof(words), "%s", json_string_value(named));
	} else if (json_is_array(named)) {
		json_array_foreach(named, i, w) {
			if (!json_is_string(w))
				return fail(err, errlen, -EINVAL,
					    "args.command[%zu]: must be a word", i);
			if (off < sizeof(words))
				off += snprintf(words + off, sizeof(words) - off, "%s%s",
						i ? " " : "", json_string_value(w));
		}
	} else if (named != NULL) {
		return fail(err, errlen, -EINVAL, "args.command: must be a command's words");
	}
	if (named != NULL && (id = ctl_command_find(words)) < 0)
		return fail(err, errlen, -ENOENT, "args.command: no command \"%s\"", words);
	*result = ctl_help_json(id);
	return 0;
}

/* The hand-over runs on kairod's main thread (dataplane/handover_release.c): this waits for it. */
static int
cmd_restart(void *arg, json_t *args, json_t **result, char *err, size_t errlen)
{
	RTE_SET_USED(args);
	return dp_restart(arg, result, err, errlen);
}

/* Each command of the table and the function that serves it. */
static const ctl_handler handlers[CTL_CMD_COUNT] = {
	[CTL_CMD_HELP] = cmd_help,
	[CTL_CMD_SHOW_DATAPATH] = cmd_show_datapath,
	[CTL_CMD_SHOW_PORTS] = cmd_show_ports,
	[CTL_CMD_SHOW_LCORES] = cmd_show_lcores,
	[CTL_CMD_SHOW_DROPS] = cmd_show_drops,
	[CTL_CMD_SHOW_TUNNELS] = cmd_show_tunnels,
	[CTL_CMD_SHOW_STATE] = cmd_show_state,
	[CTL_CMD_DUMP_FLOWS] = cmd_dump_flows,
	[CTL_CMD_FLUSH_FLOWS] = cmd_flush_flows,
	[CTL_CMD_FLOW_EXPLAIN] = cmd_flow_explain,
	[CTL_CMD_TRACE_ADD] = cmd_trace_add,
	[CTL_CMD_TRACE_REMOVE] = cmd_trace_remove,
	[CTL_CMD_TRACE_LIST] = cmd_trace_list,
	[CTL_CMD_TRACE_FLUSH] = cmd_trace_flush,
	[CTL_CMD_TRACE_READ] = cmd_trace_read,
	[CTL_CMD_TOPOLOGY] = ctl_topology_command,
	[CTL_CMD_METER_LIST] = ctl_meter_list,
	[CTL_CMD_METER_GET] = ctl_meter_get,
	[CTL_CMD_PORT_ADD] = ctl_port_add,
	[CTL_CMD_PORT_REMOVE] = ctl_port_remove,
	[CTL_CMD_RESTART] = cmd_restart,
	[CTL_CMD_EVENTS] = ctl_events,
	[CTL_CMD_DEBUG_STALL_WORKER] = ctl_debug_stall_worker,
};

const ctl_handler *
ctl_commands(void)
{
	return handlers;
}
