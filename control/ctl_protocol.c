/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The command table of the control protocol (ctl_protocol.h), compiled into
 * kairod and kairoctl alike: a command or an argument is declared here and
 * nowhere else.  The help lines are what `kairoctl help COMMAND` prints.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl_protocol.h"

/* A command that takes no argument. */
static const struct ctl_arg no_args[] = {{NULL}};

const struct ctl_arg ctl_match_args[] = {
	{"mac-src", 0, CTL_ARG_STRING, "M", "Ethernet source address, 02:00:00:00:00:01"},
	{"mac-dst", 0, CTL_ARG_STRING, "M", "Ethernet destination address"},
	{"ethertype", 0, CTL_ARG_NUMBER, "N", "EtherType, 0x0800 IPv4, 0x86dd IPv6, 0x0806 ARP"},
	{"ip-src", 0, CTL_ARG_STRING, "IP", "IPv4 or IPv6 source address"},
	{"ip-dst", 0, CTL_ARG_STRING, "IP", "IPv4 or IPv6 destination address"},
	{"ip-protocol", 0, CTL_ARG_NUMBER, "N", "IP protocol: 1 ICMP, 6 TCP, 17 UDP, 58 ICMPv6"},
	{"src-port", 0, CTL_ARG_NUMBER, "N", "TCP, UDP or SCTP source port"},
	{"dst-port", 0, CTL_ARG_NUMBER, "N", "TCP, UDP or SCTP destination port"},
	{NULL},
};

/* What a tracer is besides its match: trace add takes them, trace remove names a tracer by them. */
#define TRACER_ARGS                                                                                \
	{"limit", 'l', CTL_ARG_NUMBER, "N",                                                        \
	 "trace N packets, then the tracer goes (default: no end)"},                               \
	{"debug", 'd', CTL_ARG_FLAG, NULL, "debug level: what each device decided (the default)",  \
	 .key = "level", .value = "debug"},                                                        \
	{"trace", 't', CTL_ARG_FLAG, NULL,                                                         \
	 "trace level: also the headers at every device and the flow's tags", .key = "level",      \
	 .value = "trace"}

static const struct ctl_arg help_args[] = {
	{"command", 0, CTL_ARG_WORDS, "COMMAND", "a command's words (dump flows): its arguments"},
	{NULL},
};

static const struct ctl_arg show_drops_args[] = {
	{"all", 'a', CTL_ARG_FLAG, NULL, "list the reasons that dropped nothing too",
	 .flags = CTL_ARG_LOCAL},
	{NULL},
};

static const struct ctl_arg dump_flows_args[] = {
	{"in-port", 0, CTL_ARG_NUMBER, "N", "flows of packets that came in on DPDK port N"},
	{"limit", 'l', CTL_ARG_NUMBER, "N", "list at most N flows (default 1000); all are counted"},
	{NULL},
};

static const struct ctl_arg flow_explain_args[] = {
	{"in-port", 0, CTL_ARG_NUMBER, "N", "flows of packets that came in on DPDK port N"},
	{"limit", 'l', CTL_ARG_NUMBER, "N", "explain at most N flows, and N removed ones (default 10)"},
	{NULL},
};

static const struct ctl_arg flush_flows_args[] = {
	{"in-port", 0, CTL_ARG_NUMBER, "N", "flows of packets that came in on DPDK port N"},
	{NULL},
};

static const struct ctl_arg trace_add_args[] = {
	TRACER_ARGS,
	{NULL},
};

static const struct ctl_arg trace_remove_args[] = {
	TRACER_ARGS,
	{"id", 0, CTL_ARG_NUMBER, "N", "remove tracer N (trace list), instead of by its options"},
	{NULL},
};

static const struct ctl_arg trace_read_args[] = {
	{"since", 0, CTL_ARG_NUMBER, "SEQ", "only lines after SEQ (a reply's \"last\")"},
	{"cookie", 'c', CTL_ARG_STRING, "0xC", "one packet's lines: its cookie as they show it"},
	{"max", 0, CTL_ARG_NUMBER, "N", "at most N lines (default 1000)"},
	{NULL},
};

static const struct ctl_arg topology_args[] = {
	{"words", 0, CTL_ARG_WORDS, "WORDS",
	 "midonet-cli's words as they are: bridge create name br0 (control/README.md)",
	 .flags = CTL_ARG_REQUIRED},
	{NULL},
};

static const struct ctl_arg meter_get_args[] = {
	{"name", 0, CTL_ARG_POSITIONAL, "NAME",
	 "the meter: port:rx:ID, port:tx:ID, device:ID, user:NAME or a rule's meter NAME",
	 .flags = CTL_ARG_REQUIRED},
	{"delay", 0, CTL_ARG_POSITIONAL, "DELAY",
	 "sample again every DELAY seconds (0 to 86400), each line with the growth",
	 .flags = CTL_ARG_LOCAL},
	{"count", 0, CTL_ARG_POSITIONAL, "COUNT",
	 "COUNT samples in all (without it: until stopped)", .flags = CTL_ARG_LOCAL},
	{NULL},
};

static const struct ctl_arg port_add_args[] = {
	{"name", 0, CTL_ARG_POSITIONAL, "NAME",
	 "what bindings call the interface (a topology binding's \"interface\")",
	 .flags = CTL_ARG_REQUIRED},
	{"device", 0, CTL_ARG_POSITIONAL, "DEVARGS",
	 "the device as EAL takes it: net_tap3,iface=vm3 or a PCI address",
	 .flags = CTL_ARG_REQUIRED},
	{"options", 0, CTL_ARG_WORDS, "OPTION",
	 "role vport|uplink (vport), rx-queues N 1-64 (1), mtu N 68-9600 (the device's)"},
	{NULL},
};

static const struct ctl_arg port_remove_args[] = {
	{"name", 0, CTL_ARG_POSITIONAL, "NAME", "the port (kairoctl show ports)",
	 .flags = CTL_ARG_REQUIRED},
	{NULL},
};

static const struct ctl_arg events_args[] = {
	{"since", 0, CTL_ARG_NUMBER, "SEQ", "only events from SEQ on (a reply's \"next\")"},
	{"max", 0, CTL_ARG_NUMBER, "N", "at most N events (default 1000)"},
	{"follow", 'f', CTL_ARG_FLAG, NULL, "then print new events as they come, until stopped",
	 .flags = CTL_ARG_LOCAL},
	{NULL},
};

static const struct ctl_arg stall_worker_args[] = {
	{"worker", 0, CTL_ARG_POSITIONAL, "N", "the worker (kairoctl show lcores)",
	 .flags = CTL_ARG_REQUIRED},
	{"resume", 0, CTL_ARG_FLAG, NULL, "let it run again"},
	{NULL},
};

const struct ctl_command_decl ctl_commands_table[CTL_CMD_COUNT] = {
	[CTL_CMD_HELP] = {"help", "the commands, or one command's arguments", CTL_READ_ONLY, NULL,
			  help_args},
	[CTL_CMD_SHOW_DATAPATH] = {"show datapath",
				   "flows, hits, misses, lost, upcall queue; cache and slow-path "
				   "counters",
				   CTL_READ_ONLY, NULL, no_args},
	[CTL_CMD_SHOW_PORTS] = {"show ports", "per port: link, rx/tx packets, bytes, errors, drops",
				CTL_READ_ONLY, NULL, no_args},
	[CTL_CMD_SHOW_LCORES] = {"show lcores", "per worker lcore: polls, busy and idle cycles",
				 CTL_READ_ONLY, NULL, no_args},
	[CTL_CMD_SHOW_DROPS] = {"show drops", "drops by reason (the non-zero ones unless --all)",
				CTL_READ_ONLY, NULL, show_drops_args},
	[CTL_CMD_SHOW_TUNNELS] = {"show tunnels",
				  "the underlay; per tunnel peer: next hop, rx/tx, decap errors",
				  CTL_READ_ONLY, NULL, no_args},
	[CTL_CMD_SHOW_STATE] = {"show state",
				"shared state in Redis: connection, writes, lookups, SNAT blocks",
				CTL_READ_ONLY, NULL, no_args},
	[CTL_CMD_DUMP_FLOWS] = {"dump flows",
				"installed flows (match, counters, age, actions), how many matched",
				CTL_READ_ONLY, ctl_match_args, dump_flows_args},
	[CTL_CMD_FLUSH_FLOWS] = {"flush flows", "remove the flows MATCH selects (all without one)",
				 CTL_READ_WRITE, ctl_match_args, flush_flows_args},
	[CTL_CMD_FLOW_EXPLAIN] = {"flow explain",
				  "how the cached flows MATCH selects were decided, and those a change removed",
				  CTL_READ_ONLY, ctl_match_args, flow_explain_args},
	[CTL_CMD_TRACE_ADD] = {"trace add",
			       "trace the packets MATCH selects through the simulation (mm-trace)",
			       CTL_READ_WRITE, ctl_match_args, trace_add_args},
	[CTL_CMD_TRACE_REMOVE] = {"trace remove",
				  "remove the tracer added with the same options, or --id N",
				  CTL_READ_WRITE, ctl_match_args, trace_remove_args},
	[CTL_CMD_TRACE_LIST] = {"trace list", "the tracers, as trace add takes them", CTL_READ_ONLY,
				NULL, no_args},
	[CTL_CMD_TRACE_FLUSH] = {"trace flush", "remove every tracer", CTL_READ_WRITE, NULL,
				 no_args},
	[CTL_CMD_TRACE_READ] = {"trace read", "the traced lines, as cookie:0x.. step",
				CTL_READ_ONLY, NULL, trace_read_args},
	[CTL_CMD_TOPOLOGY] = {"topology",
			      "edit or list the virtual topology in midonet-cli's grammar",
			      CTL_READ_WRITE, NULL, topology_args},
	[CTL_CMD_METER_LIST] = {"meter list", "the meters: port:rx:ID, port:tx:ID, device:ID, "
				"user:NAME",
				CTL_READ_ONLY, NULL, no_args},
	[CTL_CMD_METER_GET] = {"meter get", "a meter's packets and bytes, sampled as mm-meter does",
			       CTL_READ_ONLY, NULL, meter_get_args},
	[CTL_CMD_PORT_ADD] = {"port add",
			      "probe a device and forward on it while the workers run",
			      CTL_READ_WRITE, NULL, port_add_args},
	[CTL_CMD_PORT_REMOVE] = {"port remove",
				 "stop a port, remove its device; its flows go, its binding waits",
				 CTL_READ_WRITE, NULL, port_remove_args},
	[CTL_CMD_RESTART] = {"restart",
			     "hand ports and state to a new kairod, then exit: pid, gap",
			     CTL_READ_WRITE, NULL, no_args},
	[CTL_CMD_EVENTS] = {"events",
			    "the event log: topology, Port, agent.Nsdb|Interface|Service|Config "
			    "lines",
			    CTL_READ_ONLY, NULL, events_args},
	[CTL_CMD_DEBUG_STALL_WORKER] = {"debug stall",
					"test hook: stop a worker's loop (needs KAIRO_TEST_HOOKS=1 "
					"in kairod's environment)",
					CTL_READ_WRITE, NULL, stall_worker_args},
};

const struct ctl_arg *
ctl_command_arg(const struct ctl_command_decl *cmd, unsigned int i)
{
	unsigned int n_match = 0;

	while (cmd->match != NULL && cmd->match[n_match].name != NULL)
		n_match++;
	if (i < n_match)
		return &cmd->match[i];
	i -= n_match;
	return cmd->args[i].name != NULL ? &cmd->args[i] : NULL;
}

const char *
ctl_arg_key(const struct ctl_arg *arg)
{
	return arg->key != NULL ? arg->key : arg->name;
}

int
ctl_command_find(const char *words)
{
	int id;

	for (id = 0; id < CTL_CMD_COUNT; id++)
		if (strcmp(ctl_commands_table[id].words, words) == 0)
			return id;
	return -ENOENT;
}

/* How many of argv the words take, one word each; 0 if they are not argv's beginning. */
static int
words_prefix(const char *words, int argc, char *const *argv)
{
	const char *w = words;
	int n = 0;
	size_t len;

	while (*w != '\0') {
		len = strcspn(w, " ");
		if (n == argc || strlen(argv[n]) != len || strncmp(argv[n], w, len) != 0)
			return 0;
		n++;
		w += len + (w[len] == ' ');
	}
	return n;
}

int
ctl_command_match(int argc, char *const *argv, int *used)
{
	int id, n, best = -ENOENT;

	*used = 0;
	for (id = 0; id < CTL_CMD_COUNT; id++) {
		n = words_prefix(ctl_commands_table[id].words, argc, argv);
		if (n > *used) {
			*used = n;
			best = id;
		}
	}
	return best;
}

/* The argument of cmd whose request key is key (kairoctl-only ones have none); NULL if none. */
static const struct ctl_arg *
arg_by_key(const struct ctl_command_decl *cmd, const char *key)
{
	const struct ctl_arg *a;
	unsigned int i;

	for (i = 0; (a = ctl_command_arg(cmd, i)) != NULL; i++)
		if (!(a->flags & CTL_ARG_LOCAL) && strcmp(ctl_arg_key(a), key) == 0)
			return a;
	return NULL;
}

/* "mac-src, mac-dst, ..., level": the keys a request of cmd may carry, each once. */
static void
keys_text(const struct ctl_command_decl *cmd, char *buf, size_t len)
{
	const struct ctl_arg *a;
	unsigned int i;
	size_t off = 0;

	buf[0] = '\0';
	for (i = 0; (a = ctl_command_arg(cmd, i)) != NULL && off < len; i++) {
		if (a->flags & CTL_ARG_LOCAL || arg_by_key(cmd, ctl_arg_key(a)) != a)
			continue;
		off += snprintf(buf + off, len - off, "%s%s", off ? ", " : "", ctl_arg_key(a));
	}
	if (off == 0)
		snprintf(buf, len, "none");
}

int
ctl_args_check(enum ctl_command_id id, const json_t *args, char *err, size_t errlen)
{
	const struct ctl_command_decl *cmd = &ctl_commands_table[id];
	const struct ctl_arg *a;
	const char *key;
	char keys[512];
	unsigned int i;
	json_t *v;

	json_object_foreach((json_t *)args, key, v) {
		if (arg_by_key(cmd, key) != NULL)
			continue;
		keys_text(cmd, keys, sizeof(keys));
		snprintf(err, errlen, "args.%.100s: unknown argument; %s takes %s", key, cmd->words,
			 keys);
		return -EINVAL;
	}
	for (i = 0; (a = ctl_command_arg(cmd, i)) != NULL; i++) {
		if ((a->flags & CTL_ARG_REQUIRED) &&
		    json_object_get(args, ctl_arg_key(a)) == NULL) {
			snprintf(err, errlen, "args.%s: missing: %s needs it (%s)", ctl_arg_key(a),
				 cmd->words, a->help);
			return -EINVAL;
		}
	}
	return 0;
}

static const char *const kind_names[] = {
	[CTL_ARG_STRING] = "string",
	[CTL_ARG_NUMBER] = "number",
	[CTL_ARG_FLAG] = "flag",
	[CTL_ARG_POSITIONAL] = "string",
	[CTL_ARG_WORDS] = "words",
};

static json_t *
arg_json(const struct ctl_arg *a)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:b}", "name", a->name, "takes", kind_names[a->kind],
			      "help", a->help, "required", (a->flags & CTL_ARG_REQUIRED) != 0);

	if (a->short_name != 0)
		json_object_set_new(o, "short", json_sprintf("-%c", a->short_name));
	if (a->meta != NULL)
		json_object_set_new(o, "meta", json_string(a->meta));
	/* kairoctl's own arguments are listed for its help, but a request never carries them. */
	json_object_set_new(o, "key",
			    a->flags & CTL_ARG_LOCAL ? json_null() : json_string(ctl_arg_key(a)));
	if (a->kind == CTL_ARG_FLAG && a->value != NULL)
		json_object_set_new(o, "value", json_string(a->value));
	return o;
}

json_t *
ctl_help_json(int id)
{
	json_t *commands = json_array(), *args;
	const struct ctl_arg *a;
	unsigned int i;
	int c;

	for (c = 0; c < CTL_CMD_COUNT; c++) {
		const struct ctl_command_decl *cmd = &ctl_commands_table[c];

		if (id >= 0 && c != id)
			continue;
		args = json_array();
		for (i = 0; (a = ctl_command_arg(cmd, i)) != NULL; i++)
			json_array_append_new(args, arg_json(a));
		json_array_append_new(commands,
				      json_pack("{s:s, s:s, s:s, s:o}", "command", cmd->words,
						"help", cmd->help, "access",
						cmd->access == CTL_READ_ONLY ? "read-only"
									     : "read-write",
						"args", args));
	}
	return json_pack("{s:i, s:o}", "protocol", CTL_PROTOCOL_VERSION, "commands", commands);
}
