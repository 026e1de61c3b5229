/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kairoctl: the operator's client for kairod's control socket.
 *
 *   kairoctl [--socket PATH] [--json] COMMAND [OPTIONS]
 *
 * It turns the command line into one JSON request (ctl_server.h), waits for
 * the reply and prints it: readable tables by default, the reply's result
 * as JSON with --json.  Exit status: 0 done, 1 the daemon refused the
 * command (its message on stderr), 2 bad usage, 3 no daemon to talk to.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#define DEFAULT_SOCKET "/run/kairo/kairod.sock"
#define REPLY_TIMEOUT_MS 30000

enum exit_code {
	EXIT_DONE = 0,
	EXIT_REFUSED = 1,
	EXIT_USAGE = 2,
	EXIT_NO_DAEMON = 3,
};

/* How an option's value goes into the request. */
enum opt_kind {
	OPT_STRING,  /* as written: addresses, MACs, cookies */
	OPT_NUMBER,  /* decimal or 0x hex */
	OPT_FLAG,    /* no value */
};

struct cli_option {
	const char *name;  /* long option, also the request's key */
	enum opt_kind kind;
	char short_name;
};

/* The mm-trace match options (dump and flush flows take them too). */
#define MATCH_OPTIONS                                                                              \
	{"mac-src", OPT_STRING, 0}, {"mac-dst", OPT_STRING, 0}, {"ethertype", OPT_NUMBER, 0},      \
	{"ip-src", OPT_STRING, 0}, {"ip-dst", OPT_STRING, 0}, {"ip-protocol", OPT_NUMBER, 0},  \
	{"src-port", OPT_NUMBER, 0}, {"dst-port", OPT_NUMBER, 0}

struct cli_command {
	const char *words;       /* "dump flows" */
	const char *help;
	struct cli_option opts[16];
	void (*print)(json_t *result, bool all);
};

static void print_generic(json_t *result, bool all);
static void print_datapath(json_t *result, bool all);
static void print_table(json_t *result, bool all);
static void print_drops(json_t *result, bool all);
static void print_flows(json_t *result, bool all);
static void print_tracers(json_t *result, bool all);
static void print_trace_lines(json_t *result, bool all);
static void print_help(json_t *result, bool all);
static void print_meters(json_t *result, bool all);

static const struct cli_command commands[] = {
	{"help", "the commands the daemon serves", {{0}}, print_help},
	{"show datapath", "flows, hits, misses, lost; cache and slow-path counters", {{0}},
	 print_datapath},
	{"show ports", "per port: link, rx/tx packets, bytes, errors, drops", {{0}}, print_table},
	{"show lcores", "per worker lcore: polls, busy and idle cycles", {{0}}, print_table},
	{"show drops", "drops by reason (--all: the zero ones too)", {{"all", OPT_FLAG, 'a'}},
	 print_drops},
	{"show tunnels", "the underlay; per tunnel peer: next hop, rx/tx, decap errors", {{0}},
	 print_generic},
	{"show state", "shared state in Redis: connection, writes, lookups, SNAT blocks", {{0}},
	 print_generic},
	{"dump flows", "installed flows, filtered by MATCH and --in-port; --limit N (1000)",
	 {MATCH_OPTIONS, {"in-port", OPT_NUMBER, 0}, {"limit", OPT_NUMBER, 'l'}}, print_flows},
	{"flush flows", "remove the flows MATCH selects (all without one)",
	 {MATCH_OPTIONS, {"in-port", OPT_NUMBER, 0}}, print_generic},
	{"trace add", "trace packets matching MATCH; -l/--limit N packets; -d debug, -t trace",
	 {MATCH_OPTIONS, {"limit", OPT_NUMBER, 'l'}, {"debug", OPT_FLAG, 'd'},
	  {"trace", OPT_FLAG, 't'}},
	 print_generic},
	{"trace remove", "remove the tracers added with the same options, or --id N",
	 {MATCH_OPTIONS, {"limit", OPT_NUMBER, 'l'}, {"debug", OPT_FLAG, 'd'},
	  {"trace", OPT_FLAG, 't'}, {"id", OPT_NUMBER, 0}},
	 print_generic},
	{"trace list", "the tracers, as mm-trace add takes them", {{0}}, print_tracers},
	{"trace flush", "remove every tracer", {{0}}, print_generic},
	{"trace read", "traced simulation lines: --since SEQ, --cookie 0xC, --max N",
	 {{"since", OPT_NUMBER, 0}, {"cookie", OPT_STRING, 'c'}, {"max", OPT_NUMBER, 0}},
	 print_trace_lines},
	{"meter list", "the meters: port:rx:ID, port:tx:ID, device:ID, user:NAME", {{0}},
	 print_meters},
};

static void
usage(FILE *out)
{
	unsigned int i;

	fprintf(out, "usage: kairoctl [--socket PATH] [--json] COMMAND [OPTIONS]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-14s %s\n", commands[i].words, commands[i].help);
	fprintf(out, "\nMATCH: --mac-src M --mac-dst M --ethertype N --ip-src IP --ip-dst IP\n"
		     "       --ip-protocol N --src-port N --dst-port N\n"
		     "meter get NAME [DELAY] [COUNT]: samples of a meter, DELAY seconds apart\n"
		     "topology (midonet-cli words, control/README.md): list bridge,\n"
		     "       bridge create name br0, bridge bridge0 add port, router ..., chain ...,\n"
		     "       port-group ..., tunnel-zone ..., host host0 add binding ..., show KIND X\n"
		     "socket: %s unless --socket or KAIROCTL_SOCKET says otherwise\n",
		DEFAULT_SOCKET);
}

/* The command named by the first one or two words; *used says how many. */
static const struct cli_command *
find_command(int argc, char **argv, int *used)
{
	char words[64];
	unsigned int i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (argc >= 1 && strcmp(commands[i].words, argv[0]) == 0) {
			*used = 1;
			return &commands[i];
		}
		if (argc >= 2) {
			snprintf(words, sizeof(words), "%s %s", argv[0], argv[1]);
			if (strcmp(commands[i].words, words) == 0) {
				*used = 2;
				return &commands[i];
			}
		}
	}
	return NULL;
}

static const struct cli_option *
find_option(const struct cli_command *cmd, const char *arg)
{
	const struct cli_option *o;

	for (o = cmd->opts; o->name != NULL; o++) {
		if (arg[0] == '-' && arg[1] == '-' && strcmp(arg + 2, o->name) == 0)
			return o;
		if (o->short_name && arg[0] == '-' && arg[1] == o->short_name && arg[2] == '\0')
			return o;
	}
	return NULL;
}

/* The options after the command words, as the request's "args". */
static json_t *
build_args(const struct cli_command *cmd, int argc, char **argv, bool *all)
{
	json_t *args = json_object();
	int i;

	for (i = 0; i < argc; i++) {
		const struct cli_option *o = find_option(cmd, argv[i]);
		char *end;
		unsigned long long v;

		if (o == NULL) {
			fprintf(stderr, "kairoctl: %s: unknown option \"%s\"\n", cmd->words, argv[i]);
			goto bad;
		}
		if (o->kind == OPT_FLAG) {
			if (strcmp(o->name, "all") == 0)
				*all = true;
			else if (strcmp(o->name, "debug") == 0 || strcmp(o->name, "trace") == 0)
				json_object_set_new(args, "level", json_string(o->name));
			continue;
		}
		if (i + 1 == argc) {
			fprintf(stderr, "kairoctl: %s: option --%s needs a value\n", cmd->words,
				o->name);
			goto bad;
		}
		i++;
		if (o->kind == OPT_STRING) {
			json_object_set_new(args, o->name, json_string(argv[i]));
			continue;
		}
		errno = 0;
		v = strtoull(argv[i], &end, 0);
		if (argv[i][0] == '\0' || argv[i][0] == '-' || *end != '\0' || errno != 0 ||
		    v > INT64_MAX) {
			fprintf(stderr, "kairoctl: %s: --%s: \"%s\" is not a number\n", cmd->words,
				o->name, argv[i]);
			goto bad;
		}
		json_object_set_new(args, o->name, json_integer((json_int_t)v));
	}
	return args;
bad:
	json_decref(args);
	return NULL;
}

static int
connect_to(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "kairoctl: socket path \"%s\" is too long\n", path);
		return -1;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		int e = errno;

		fprintf(stderr, "kairoctl: cannot connect to %s: %s%s\n", path, strerror(e),
			e == EACCES ? " (root or the daemon's control group only)"
			: e == ENOENT || e == ECONNREFUSED ? " (is kairod running?)" : "");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Send the request, read one reply line. */
static json_t *
exchange(int fd, json_t *req)
{
	char *text = json_dumps(req, JSON_COMPACT);
	size_t len, off = 0, cap = 65536, have = 0;
	char *buf = malloc(cap), *nl = NULL;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	json_error_t jerr;
	json_t *reply = NULL;
	ssize_t r;

	if (text == NULL || buf == NULL)
		goto out;
	len = strlen(text);
	text[len] = '\n'; /* replaces the NUL: the request is one line */
	while (off < len + 1) {
		r = send(fd, text + off, len + 1 - off, MSG_NOSIGNAL);
		if (r < 0) {
			fprintf(stderr, "kairoctl: sending the request: %s\n", strerror(errno));
			goto out;
		}
		off += (size_t)r;
	}
	while (nl == NULL) {
		if (have == cap) {
			char *grown = realloc(buf, cap * 2);

			if (grown == NULL)
				goto out;
			buf = grown;
			cap *= 2;
		}
		if (poll(&pfd, 1, REPLY_TIMEOUT_MS) <= 0) {
			fprintf(stderr, "kairoctl: no reply from kairod within %d s\n",
				REPLY_TIMEOUT_MS / 1000);
			goto out;
		}
		r = read(fd, buf + have, cap - have);
		if (r <= 0) {
			fprintf(stderr, "kairoctl: kairod closed the connection without a reply\n");
			goto out;
		}
		nl = memchr(buf + have, '\n', (size_t)r);
		have += (size_t)r;
	}
	reply = json_loadb(buf, (size_t)(nl - buf), 0, &jerr);
	if (reply == NULL)
		fprintf(stderr, "kairoctl: the reply is not JSON: %s\n", jerr.text);
out:
	free(text);
	free(buf);
	return reply;
}

/* ---- printing ---- */

static void
print_value(const json_t *v)
{
	if (json_is_string(v))
		printf("%s", json_string_value(v));
	else if (json_is_integer(v))
		printf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		printf("%.1f", json_real_value(v));
	else if (json_is_boolean(v))
		printf("%s", json_is_true(v) ? "yes" : "no");
	else if (json_is_null(v))
		printf("-");
	else {
		char *t = json_dumps(v, JSON_COMPACT);

		printf("%s", t ? t : "?");
		free(t);
	}
}

static void
print_object(const json_t *obj, int indent)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v) {
		if (json_is_object(v)) {
			printf("%*s%s:\n", indent, "", key);
			print_object(v, indent + 2);
			continue;
		}
		printf("%*s%-24s ", indent, "", key);
		print_value(v);
		putchar('\n');
	}
}

static void
print_generic(json_t *result, bool all)
{
	(void)all;
	if (json_is_object(result))
		print_object(result, 0);
	else if (!json_is_null(result)) {
		print_value(result);
		putchar('\n');
	}
}

static void
print_datapath(json_t *result, bool all)
{
	(void)all;
	/* The three numbers mm-dpctl --show-dp leads with, then the rest. */
	printf("Datapath %s: flows %" JSON_INTEGER_FORMAT "  hits %" JSON_INTEGER_FORMAT
	       "  misses %" JSON_INTEGER_FORMAT "  lost %" JSON_INTEGER_FORMAT
	       "  upcall queue %" JSON_INTEGER_FORMAT "\n",
	       json_string_value(json_object_get(result, "host")),
	       json_integer_value(json_object_get(result, "flows")),
	       json_integer_value(json_object_get(result, "hits")),
	       json_integer_value(json_object_get(result, "misses")),
	       json_integer_value(json_object_get(result, "lost")),
	       json_integer_value(json_object_get(result, "upcall_queue")));
	json_object_del(result, "host");
	json_object_del(result, "flows");
	json_object_del(result, "hits");
	json_object_del(result, "misses");
	json_object_del(result, "lost");
	json_object_del(result, "upcall_queue");
	print_object(result, 0);
}

/* An array of objects as a table, columns in the first object's order. */
static void
print_table(json_t *result, bool all)
{
	size_t i, c, n_cols = 0;
	const char *key, *cols[32];
	int width[32];
	json_t *row, *v;
	char cell[64];

	(void)all;
	if (!json_is_array(result) || json_array_size(result) == 0) {
		print_generic(result, all);
		return;
	}
	json_object_foreach(json_array_get(result, 0), key, v) {
		if (n_cols == 32)
			break;
		cols[n_cols] = key;
		width[n_cols++] = (int)strlen(key);
	}
	json_array_foreach(result, i, row) {
		for (c = 0; c < n_cols; c++) {
			v = json_object_get(row, cols[c]);
			if (json_is_string(v))
				snprintf(cell, sizeof(cell), "%s", json_string_value(v));
			else if (json_is_boolean(v))
				snprintf(cell, sizeof(cell), "%s", json_is_true(v) ? "up" : "down");
			else
				snprintf(cell, sizeof(cell), "%" JSON_INTEGER_FORMAT,
					 json_integer_value(v));
			if ((int)strlen(cell) > width[c])
				width[c] = (int)strlen(cell);
		}
	}
	for (c = 0; c < n_cols; c++)
		printf("%-*s%s", width[c], cols[c], c + 1 < n_cols ? "  " : "\n");
	json_array_foreach(result, i, row) {
		for (c = 0; c < n_cols; c++) {
			v = json_object_get(row, cols[c]);
			if (json_is_string(v))
				printf("%-*s", width[c], json_string_value(v));
			else if (json_is_boolean(v))
				printf("%-*s", width[c], json_is_true(v) ? "up" : "down");
			else
				printf("%*" JSON_INTEGER_FORMAT, width[c], json_integer_value(v));
			printf("%s", c + 1 < n_cols ? "  " : "\n");
		}
	}
}

static void
print_drops(json_t *result, bool all)
{
	const char *reason;
	json_t *v;
	bool any = false;

	json_object_foreach(result, reason, v) {
		if (!all && json_integer_value(v) == 0)
			continue;
		printf("%-24s %" JSON_INTEGER_FORMAT "\n", reason, json_integer_value(v));
		any = true;
	}
	if (!any)
		printf("no drops\n");
}

static void
print_flows(json_t *result, bool all)
{
	json_t *flows = json_object_get(result, "flows"), *f;
	size_t i;

	(void)all;
	/* As mm-dpctl --dump-dp: one flow per line, match then counters then actions. */
	json_array_foreach(flows, i, f)
		printf("%s packets:%" JSON_INTEGER_FORMAT " bytes:%" JSON_INTEGER_FORMAT
		       " age:%.1fs used:%.1fs actions:%s\n",
		       json_string_value(json_object_get(f, "match")),
		       json_integer_value(json_object_get(f, "packets")),
		       json_integer_value(json_object_get(f, "bytes")),
		       json_real_value(json_object_get(f, "age_s")),
		       json_real_value(json_object_get(f, "used_s")),
		       json_string_value(json_object_get(f, "actions")));
	printf("%" JSON_INTEGER_FORMAT " flow(s) matched%s\n",
	       json_integer_value(json_object_get(result, "matched")),
	       json_is_true(json_object_get(result, "truncated")) ? " (list truncated: --limit)"
								   : "");
}

static void
print_tracers(json_t *result, bool all)
{
	json_t *t;
	size_t i;

	(void)all;
	/* mm-trace list: each line can be given back to "trace add". */
	json_array_foreach(json_object_get(result, "tracers"), i, t)
		printf("tracer %" JSON_INTEGER_FORMAT ": %s  (matched %" JSON_INTEGER_FORMAT ")\n",
		       json_integer_value(json_object_get(t, "id")),
		       json_string_value(json_object_get(t, "tracer")),
		       json_integer_value(json_object_get(t, "matched")));
}

static void
print_trace_lines(json_t *result, bool all)
{
	json_t *l;
	size_t i;

	(void)all;
	/* The log's form: a grep for the cookie picks one packet's lines. */
	json_array_foreach(json_object_get(result, "lines"), i, l)
		printf("cookie:%s %s\n", json_string_value(json_object_get(l, "cookie")),
		       json_string_value(json_object_get(l, "text")));
}

static void
print_help(json_t *result, bool all)
{
	(void)result;
	(void)all;
	usage(stdout);
}

/*
 * The daemon names a bad argument as it arrived, "args.ip-dst" (or "args:
 * ip-dst"); on this side of the socket it was the option --ip-dst.
 */
/* A topology command's reply: its midonet-cli lines. */
static void
print_lines(json_t *result, bool all)
{
	json_t *l;
	size_t i;

	(void)all;
	json_array_foreach(json_object_get(result, "lines"), i, l)
		printf("%s\n", json_string_value(l));
}

static void
print_meters(json_t *result, bool all)
{
	json_t *m;
	size_t i;

	(void)all;
	json_array_foreach(json_object_get(result, "meters"), i, m)
		printf("%-52s packets %-10" JSON_INTEGER_FORMAT " bytes %" JSON_INTEGER_FORMAT "\n",
		       json_string_value(json_object_get(m, "name")),
		       json_integer_value(json_object_get(m, "packets")),
		       json_integer_value(json_object_get(m, "bytes")));
}

/*
 * mm-meter get NAME [DELAY] [COUNT]: COUNT samples DELAY seconds apart
 * (one, or every DELAY seconds until stopped without COUNT), each with how
 * much the meter grew since the one before.
 */
static int
meter_get(const char *path, int argc, char **argv, bool as_json)
{
	long delay = 0, count = 1, n;
	int64_t last_p = 0, last_b = 0;
	json_t *req, *reply, *r, *samples = json_array();
	char *end;
	int fd, ret = EXIT_DONE;

	if (argc < 1 || argc > 3) {
		fprintf(stderr, "usage: kairoctl meter get NAME [DELAY] [COUNT]\n");
		return EXIT_USAGE;
	}
	if (argc >= 2) {
		delay = strtol(argv[1], &end, 10);
		if (*end != '\0' || delay < 0 || delay > 86400) {
			fprintf(stderr, "kairoctl: meter get: DELAY \"%s\": seconds, 0 to 86400\n",
				argv[1]);
			return EXIT_USAGE;
		}
		count = -1; /* mm-meter: a delay without a count samples until stopped */
	}
	if (argc == 3) {
		count = strtol(argv[2], &end, 10);
		if (*end != '\0' || count < 1) {
			fprintf(stderr, "kairoctl: meter get: COUNT \"%s\": a number above 0\n",
				argv[2]);
			return EXIT_USAGE;
		}
	}
	for (n = 0; count < 0 || n < count; n++) {
		if (n > 0)
			sleep((unsigned int)delay);
		fd = connect_to(path);
		if (fd < 0) {
			ret = EXIT_NO_DAEMON;
			break;
		}
		req = json_pack("{s:s, s:{s:s}}", "command", "meter get", "args", "name", argv[0]);
		reply = exchange(fd, req);
		close(fd);
		json_decref(req);
		if (reply == NULL) {
			ret = EXIT_NO_DAEMON;
			break;
		}
		if (!json_is_true(json_object_get(reply, "ok"))) {
			fprintf(stderr, "kairoctl: meter get: %s\n",
				json_string_value(json_object_get(reply, "error")));
			json_decref(reply);
			ret = EXIT_REFUSED;
			break;
		}
		r = json_object_get(reply, "result");
		if (as_json) {
			json_array_append(samples, r);
		} else {
			int64_t p = json_integer_value(json_object_get(r, "packets"));
			int64_t b = json_integer_value(json_object_get(r, "bytes"));

			if (n == 0)
				printf("%s packets %" PRId64 " bytes %" PRId64 "\n",
				       json_string_value(json_object_get(r, "name")), p, b);
			else
				printf("%s packets %" PRId64 " bytes %" PRId64 " delta packets %" PRId64
				       " bytes %" PRId64 "\n",
				       json_string_value(json_object_get(r, "name")), p, b, p - last_p,
				       b - last_b);
			fflush(stdout);
			last_p = p;
			last_b = b;
		}
		json_decref(reply);
	}
	if (as_json && ret == EXIT_DONE) {
		json_dumpf(samples, stdout, JSON_INDENT(2));
		putchar('\n');
	}
	json_decref(samples);
	return ret;
}

/*
 * The midonet-cli words of topology editing (control/README.md): "bridge
 * create name br0", "list router", "show bridge bridge0", or any of them
 * after "topo".  They go to the daemon as they are.
 */
static bool
is_topology_command(int argc, char **argv)
{
	static const char *const kinds[] = {"bridge", "router", "chain", "port-group",
					    "tunnel-zone", "host", NULL};
	unsigned int i;

	if (strcmp(argv[0], "topo") == 0 || strcmp(argv[0], "list") == 0)
		return true;
	for (i = 0; kinds[i] != NULL; i++)
		if (strcmp(argv[0], kinds[i]) == 0 ||
		    (strcmp(argv[0], "show") == 0 && argc > 1 && strcmp(argv[1], kinds[i]) == 0))
			return true;
	return false;
}

static const struct cli_command topology_command = {"topology", "", {{0}}, print_lines};

static void
print_error(const char *e)
{
	const char *key = NULL;

	if (strncmp(e, "args.", 5) == 0)
		key = e + 5;
	else if (strncmp(e, "args: ", 6) == 0)
		key = e + 6;
	fprintf(stderr, "%s%s\n", key ? "--" : "", key ? key : e);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *path = getenv("KAIROCTL_SOCKET");
	const struct cli_command *cmd;
	bool as_json = false, all = false;
	json_t *args, *req, *reply;
	int c, used, fd, ret;

	/* "+": options end at the command; the rest belong to it. */
	while ((c = getopt_long(argc, argv, "+s:jh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case 'j':
			as_json = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_DONE;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (path == NULL)
		path = DEFAULT_SOCKET;
	if (optind == argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (argc - optind >= 2 && strcmp(argv[optind], "meter") == 0 &&
	    strcmp(argv[optind + 1], "get") == 0)
		return meter_get(path, argc - optind - 2, argv + optind + 2, as_json);
	cmd = find_command(argc - optind, argv + optind, &used);
	if (cmd == NULL && is_topology_command(argc - optind, argv + optind)) {
		int first = strcmp(argv[optind], "topo") == 0 ? optind + 1 : optind;

		cmd = &topology_command;
		args = json_pack("{s:[]}", "words");
		for (c = first; c < argc; c++)
			json_array_append_new(json_object_get(args, "words"), json_string(argv[c]));
		goto send;
	}
	if (cmd == NULL) {
		fprintf(stderr, "kairoctl: unknown command \"%s%s%s\" (kairoctl --help lists them)\n",
			argv[optind], optind + 1 < argc ? " " : "",
			optind + 1 < argc ? argv[optind + 1] : "");
		return EXIT_USAGE;
	}
	args = build_args(cmd, argc - optind - used, argv + optind + used, &all);
	if (args == NULL)
		return EXIT_USAGE;
send:
	fd = connect_to(path);
	if (fd < 0) {
		json_decref(args);
		return EXIT_NO_DAEMON;
	}
	req = json_pack("{s:s, s:o}", "command", cmd->words, "args", args);
	reply = exchange(fd, req);
	close(fd);
	json_decref(req);
	if (reply == NULL)
		return EXIT_NO_DAEMON;
	if (!json_is_true(json_object_get(reply, "ok"))) {
		const char *e = json_string_value(json_object_get(reply, "error"));

		fprintf(stderr, "kairoctl: %s: ", cmd->words);
		if (cmd == &topology_command)
			fprintf(stderr, "%s\n", e ? e : "refused");
		else
			print_error(e ? e : "refused");
		ret = EXIT_REFUSED;
	} else if (as_json) {
		json_dumpf(json_object_get(reply, "result"), stdout, JSON_INDENT(2));
		putchar('\n');
		ret = EXIT_DONE;
	} else {
		cmd->print(json_object_get(reply, "result"), all);
		ret = EXIT_DONE;
	}
	json_decref(reply);
	return ret;
}
