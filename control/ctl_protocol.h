/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The control protocol: the one contract between kairod's command server
 * (ctl_server.c, ctl_commands.c) and its clients (kairoctl.c).  Both are
 * built from this header and ctl_protocol.c, which holds the command table:
 * each command's words, one-line help, whether it changes anything, and its
 * arguments with a line of help each.  kairod dispatches and refuses unknown
 * arguments from it; kairoctl parses its command line and prints its usage
 * and help from it.  No DPDK here: kairoctl links it.
 *
 * On the wire (a UNIX stream socket), one JSON object per line each way:
 *
 *   request  {"command": "dump flows", "args": {"ip-dst": "10.0.1.2", "limit": 10}}
 *   reply    {"ok": true, "result": ...}
 *            {"ok": false, "error": "args.ip-dst: \"10.0.1\" is not an IPv4 or IPv6 address"}
 *
 * A connection opens with a hello that says which version of the protocol
 * the client speaks; the server answers with its own:
 *
 *   request  {"command": "hello", "args": {"protocol": 1, "client": "kairoctl"}}
 *   reply    {"ok": true, "result": {"protocol": 1, "server": "kairod"}}
 *            {"ok": false, "protocol": 2, "error": "kairoctl speaks control protocol 1, ..."}
 *
 * A different version is refused and the connection closed after the reply;
 * a command before an accepted hello is refused (the connection stays).  An
 * argument's key is its long option's name unless .key says otherwise.
 */
#ifndef KAIRO_CTL_PROTOCOL_H
#define KAIRO_CTL_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/*
 * Bump on any breaking change: a command or an argument renamed or removed,
 * a value read differently, a reply reshaped.  Adding a command or an
 * optional argument does not break an older client of the same version.
 */
#define CTL_PROTOCOL_VERSION 1

/* The hello request: its command word and the keys of its args and result. */
#define CTL_HELLO_COMMAND "hello"
#define CTL_HELLO_PROTOCOL "protocol"
#define CTL_HELLO_CLIENT "client"
#define CTL_HELLO_SERVER "server"

/* The commands, indexes into ctl_commands_table (ctl_protocol.c declares each one). */
enum ctl_command_id {
	CTL_CMD_HELP,
	CTL_CMD_SHOW_DATAPATH,
	CTL_CMD_SHOW_PORTS,
	CTL_CMD_SHOW_LCORES,
	CTL_CMD_SHOW_DROPS,
	CTL_CMD_SHOW_TUNNELS,
	CTL_CMD_SHOW_STATE,
	CTL_CMD_DUMP_FLOWS,
	CTL_CMD_FLUSH_FLOWS,
	CTL_CMD_FLOW_EXPLAIN,
	CTL_CMD_TRACE_ADD,
	CTL_CMD_TRACE_REMOVE,
	CTL_CMD_TRACE_LIST,
	CTL_CMD_TRACE_FLUSH,
	CTL_CMD_TRACE_READ,
	CTL_CMD_TOPOLOGY,
	CTL_CMD_METER_LIST,
	CTL_CMD_METER_GET,
	CTL_CMD_PORT_ADD,
	CTL_CMD_PORT_REMOVE,
	CTL_CMD_RESTART,
	CTL_CMD_EVENTS,
	CTL_CMD_DEBUG_STALL_WORKER,
	CTL_CMD_COUNT,
};

/* How an argument is written on kairoctl's command line, and what the request carries. */
enum ctl_arg_kind {
	CTL_ARG_STRING,     /* --name VALUE: the value as written (addresses, MACs, cookies) */
	CTL_ARG_NUMBER,     /* --name N: decimal or 0x hex, sent as an integer */
	CTL_ARG_FLAG,       /* --name alone: sends .key = .value (--debug: "level": "debug") */
	CTL_ARG_POSITIONAL, /* VALUE in its place after the command's words: a string */
	CTL_ARG_WORDS,      /* every word left on the line, as they are: a list of strings */
};

/* Flags of an argument. */
#define CTL_ARG_REQUIRED 0x1 /* the request must carry it */
#define CTL_ARG_LOCAL 0x2    /* kairoctl's own (how to print, how often): never sent */

struct ctl_arg {
	const char *name;          /* the long option, --name; the key unless .key is set */
	char short_name;           /* -l, or 0 */
	enum ctl_arg_kind kind;
	const char *meta;          /* the value in usage text: N, IP, NAME; NULL for a flag */
	const char *help;          /* one line: what it selects or changes */
	const char *key;           /* the request's key when it is not .name (flags) */
	const char *value;         /* CTL_ARG_FLAG: the string sent under .key (NULL: true) */
	unsigned int flags;        /* CTL_ARG_REQUIRED, CTL_ARG_LOCAL */
};

enum ctl_access {
	CTL_READ_ONLY,  /* shows; changes nothing */
	CTL_READ_WRITE, /* may change the datapath, the tracers or the topology */
};

struct ctl_command_decl {
	const char *words;            /* "dump flows" */
	const char *help;             /* one line */
	enum ctl_access access;
	const struct ctl_arg *match;  /* ctl_match_args when it takes the flow match, or NULL */
	const struct ctl_arg *args;   /* its other arguments, ending with {NULL} */
};

/* Every command, indexed by enum ctl_command_id. */
extern const struct ctl_command_decl ctl_commands_table[CTL_CMD_COUNT];

/*
 * The flow match (mm-trace's options): the flow-key fields that dump flows,
 * flush flows and the tracers select by, ending with {NULL}.
 */
extern const struct ctl_arg ctl_match_args[];

/* The command's i-th argument, its match fields first; NULL past the last. */
const struct ctl_arg *ctl_command_arg(const struct ctl_command_decl *cmd, unsigned int i);

/* The argument's key in a request: .key, or its name. */
const char *ctl_arg_key(const struct ctl_arg *arg);

/* The command named by these words ("dump flows"); -ENOENT if none. */
int ctl_command_find(const char *words);

/*
 * The command whose words begin argv; *used says how many of argv they
 * took (the longest match wins).  -ENOENT if none.
 */
int ctl_command_match(int argc, char *const *argv, int *used);

/*
 * Check a request's args against the command's declaration: every key
 * must be one of its arguments' keys (not a kairoctl-only one), and every
 * required argument present.  0, or -EINVAL with err naming the argument
 * as "args.KEY: ...".  The values are the handler's to check.
 */
int ctl_args_check(enum ctl_command_id id, const json_t *args, char *err, size_t errlen);

/*
 * The table as JSON, what the "help" command answers: {"protocol": N,
 * "commands": [{"command", "help", "access", "args": [...]}, ...]}, every
 * command, or only id's when id >= 0.
 */
json_t *ctl_help_json(int id);

#endif
