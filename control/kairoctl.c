/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kairoctl: the operator's client for kairod's control socket.
 *
 *   kairoctl [--socket PATH] [--json] COMMAND [ARGUMENTS]
 *   kairoctl help [COMMAND]
 *
 * The commands and their arguments are the control protocol's table
 * (ctl_protocol.h), which kairod serves from too: this file turns a command
 * line into one request by it, says hello on the connection first (the
 * protocol versions must agree), sends the request and prints the reply:
 * readable text by default (kairoctl_print.c), the reply's result as JSON
 * with --json.  Exit status: 0 done, 1 the daemon refused the command or
 * the connection (busy, or closed it: its reason on stderr) or speaks another
 * protocol, 2 bad usage, 3 no daemon to talk to.
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
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "ctl_protocol.h"
#include "kairoctl.h"
#include "kairoctl_print.h"

#define DEFAULT_SOCKET "/run/kairo/kairod.sock"
#define REPLY_TIMEOUT_MS 30000
/* Usage lines wrap here, as the rest of the tree's text does. */
#define USAGE_COLUMNS 100

/*
 * The protocol version this kairoctl says it speaks: the table's, except in
 * the test build that checks that kairod refuses another one
 * (tests/meson.build).
 */
#ifndef KAIROCTL_PROTOCOL_VERSION
#define KAIROCTL_PROTOCOL_VERSION CTL_PROTOCOL_VERSION
#endif


/* ---- usage and help, from the table ---- */

static void
usage(FILE *out)
{
	int id;

	fprintf(out, "usage: kairoctl [--socket PATH] [--json] COMMAND [ARGUMENTS]\n\ncommands:\n");
	for (id = 0; id < CTL_CMD_COUNT; id++)
		fprintf(out, "  %-14s %s\n", ctl_commands_table[id].words,
			ctl_commands_table[id].help);
	fprintf(out, "\nkairoctl help COMMAND: its arguments, with what each one does\n"
		     "topology: the word may be left out: bridge create name br0, list router,\n"
		     "       show bridge bridge0, chain chain0 add rule ... (control/README.md)\n"
		     "socket: %s unless --socket or KAIROCTL_SOCKET says otherwise\n"
		     "exit status: 0 done, 1 refused by kairod, 2 bad usage, 3 no kairod\n",
		DEFAULT_SOCKET);
}

/*
 * An argument as usage writes it: "--in-port N", "NAME", "WORDS...", and with
 * its short form before short_sep: "-l|--limit N" in a synopsis, "-l, --limit
 * N" in help.
 */
static void
arg_spelling(const struct ctl_arg *a, const char *short_sep, char *buf, size_t len)
{
	char shrt[8] = "";

	if (a->kind == CTL_ARG_POSITIONAL) {
		snprintf(buf, len, "%s", a->meta);
		return;
	}
	if (a->kind == CTL_ARG_WORDS) {
		snprintf(buf, len, "%s...", a->meta);
		return;
	}
	if (a->short_name != 0)
		snprintf(shrt, sizeof(shrt), "-%c%s", a->short_name, short_sep);
	snprintf(buf, len, "%s--%s%s%s", shrt, a->name, a->meta ? " " : "", a->meta ? a->meta : "");
}

/* "usage: kairoctl dump flows [MATCH] [--in-port N] [-l|--limit N]", wrapped. */
static void
print_synopsis(FILE *out, const struct ctl_command_decl *cmd)
{
	const struct ctl_arg *a;
	int col, indent;
	char word[128], spelled[96];

	col = indent = fprintf(out, "usage: kairoctl %s", cmd->words);
	if (cmd->match != NULL)
		col += fprintf(out, " [MATCH]");
	for (a = cmd->args; a->name != NULL; a++) {
		arg_spelling(a, "|", spelled, sizeof(spelled));
		snprintf(word, sizeof(word), a->flags & CTL_ARG_REQUIRED ? "%s" : "[%s]", spelled);
		if (col + 1 + (int)strlen(word) > USAGE_COLUMNS)
			col = fprintf(out, "\n%*s", indent, "") - 1;
		col += fprintf(out, " %s", word);
	}
	fputc('\n', out);
}

/* "  -l, --limit N     list at most N flows": one line per argument, their help aligned. */
static void
print_arg_lines(const struct ctl_arg *args, int width)
{
	const struct ctl_arg *a;
	char spelled[96];

	for (a = args; a->name != NULL; a++) {
		arg_spelling(a, ", ", spelled, sizeof(spelled));
		printf("  %-*s  %s\n", width, spelled, a->help);
	}
}

/* kairoctl help COMMAND: its usage, what it does, and each argument with its help. */
static void
print_command_help(const struct ctl_command_decl *cmd)
{
	char spelled[96];
	const struct ctl_arg *a;
	unsigned int i;
	int width = 0;

	for (i = 0; (a = ctl_command_arg(cmd, i)) != NULL; i++) {
		arg_spelling(a, ", ", spelled, sizeof(spelled));
		if ((int)strlen(spelled) > width)
			width = (int)strlen(spelled);
	}
	print_synopsis(stdout, cmd);
	printf("\n%s\n%s\n", cmd->help,
	       cmd->access == CTL_READ_ONLY ? "read-only: it changes nothing"
					    : "read-write: it may change what kairod runs");
	if (cmd->match != NULL) {
		printf("\nMATCH, the flow's fields: any of them, each one given must match\n");
		print_arg_lines(cmd->match, width);
	}
	if (cmd->args[0].name != NULL) {
		printf("\narguments:\n");
		print_arg_lines(cmd->args, width);
	}
}

/* ---- the command line into a request ---- */

/* The option of cmd spelled arg ("--limit", "-l"), or NULL. */
static const struct ctl_arg *
find_option(const struct ctl_command_decl *cmd, const char *arg)
{
	const struct ctl_arg *a;
	unsigned int i;

	for (i = 0; (a = ctl_command_arg(cmd, i)) != NULL; i++) {
		if (a->kind == CTL_ARG_POSITIONAL || a->kind == CTL_ARG_WORDS)
			continue;
		if (arg[0] == '-' && arg[1] == '-' && strcmp(arg + 2, a->name) == 0)
			return a;
		if (a->short_name && arg[0] == '-' && arg[1] == a->short_name && arg[2] == '\0')
			return a;
	}
	return NULL;
}

/* The next positional argument (or the words) of cmd after *pos of them taken; NULL if none. */
static const struct ctl_arg *
next_positional(const struct ctl_command_decl *cmd, unsigned int *pos)
{
	const struct ctl_arg *a;
	unsigned int i, n = 0;

	for (i = 0; (a = ctl_command_arg(cmd, i)) != NULL; i++)
		if ((a->kind == CTL_ARG_POSITIONAL || a->kind == CTL_ARG_WORDS) && n++ == *pos) {
			(*pos)++;
			return a;
		}
	return NULL;
}

static int
usage_error(const struct ctl_command_decl *cmd)
{
	print_synopsis(stderr, cmd);
	fprintf(stderr, "(kairoctl help %s says what each argument does)\n", cmd->words);
	return EXIT_USAGE;
}

/* An option's value, argv[*i + 1], into the request; *i moves past it. */
static int
option_value(const struct ctl_command_decl *cmd, const struct ctl_arg *a, int argc, char **argv,
	     int *i, json_t *into)
{
	unsigned long long v;
	const char *s;
	char *end;

	if (*i + 1 == argc) {
		fprintf(stderr, "kairoctl: %s: option --%s needs a value\n", cmd->words, a->name);
		return usage_error(cmd);
	}
	s = argv[++*i];
	if (a->kind == CTL_ARG_STRING) {
		json_object_set_new(into, ctl_arg_key(a), json_string(s));
		return EXIT_DONE;
	}
	errno = 0;
	v = strtoull(s, &end, 0);
	if (s[0] == '\0' || s[0] == '-' || *end != '\0' || errno != 0 || v > INT64_MAX) {
		fprintf(stderr, "kairoctl: %s: --%s: \"%s\" is not a number\n", cmd->words, a->name,
			s);
		return usage_error(cmd);
	}
	json_object_set_new(into, ctl_arg_key(a), json_integer((json_int_t)v));
	return EXIT_DONE;
}

/*
 * The arguments after the command's words: the request's into args,
 * kairoctl's own (CTL_ARG_LOCAL) into local.  An option is looked for
 * first, so a positional value may still begin with "-".
 */
static int
parse_args(const struct ctl_command_decl *cmd, int argc, char **argv, json_t *args, json_t *local)
{
	const struct ctl_arg *a;
	unsigned int pos = 0, i;
	json_t *into, *words;
	int n, ret;

	for (n = 0; n < argc; n++) {
		a = argv[n][0] == '-' ? find_option(cmd, argv[n]) : NULL;
		if (a == NULL)
			a = next_positional(cmd, &pos);
		if (a == NULL) {
			fprintf(stderr, "kairoctl: %s: unknown option \"%s\"\n", cmd->words,
				argv[n]);
			return usage_error(cmd);
		}
		into = a->flags & CTL_ARG_LOCAL ? local : args;
		if (a->kind == CTL_ARG_WORDS) {
			words = json_array();
			for (; n < argc; n++)
				json_array_append_new(words, json_string(argv[n]));
			json_object_set_new(into, ctl_arg_key(a), words);
		} else if (a->kind == CTL_ARG_POSITIONAL) {
			json_object_set_new(into, ctl_arg_key(a), json_string(argv[n]));
		} else if (a->kind == CTL_ARG_FLAG) {
			json_object_set_new(into, ctl_arg_key(a),
					    a->value ? json_string(a->value) : json_true());
		} else if ((ret = option_value(cmd, a, argc, argv, &n, into)) != EXIT_DONE) {
			return ret;
		}
	}
	for (i = 0; (a = ctl_command_arg(cmd, i)) != NULL; i++) {
		into = a->flags & CTL_ARG_LOCAL ? local : args;
		if ((a->flags & CTL_ARG_REQUIRED) &&
		    json_object_get(into, ctl_arg_key(a)) == NULL) {
			fprintf(stderr, "kairoctl: %s: %s is needed\n", cmd->words, a->meta);
			return usage_error(cmd);
		}
	}
	return EXIT_DONE;
}

/* A connection to kairod: its socket, and what was read past the last reply line. */
struct session {
	int fd;
	char *buf;
	size_t have;
	size_t cap;
};

static int
connect_to(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	/* connect() waits while kairod's queue of new connections is full: not for ever. */
	struct timeval tv = {.tv_sec = REPLY_TIMEOUT_MS / 1000};
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "kairoctl: socket path \"%s\" is too long\n", path);
		return -1;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		int e = errno;

		fprintf(stderr, "kairoctl: cannot connect to %s: %s%s\n", path, strerror(e),
			e == EACCES ? " (root or the daemon's control group only)"
			: e == ENOENT || e == ECONNREFUSED ? " (is kairod running?)"
			: e == EAGAIN ? " (kairod took no new connection for 30 s)" : "");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* The next reply line (a new reference), or NULL with why on stderr. */
static json_t *
read_reply(struct session *s)
{
	struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
	size_t scanned = 0; /* bytes of buf known to hold no newline */
	json_error_t jerr;
	json_t *reply;
	char *nl;
	ssize_t r;

	while ((nl = memchr(s->buf + scanned, '\n', s->have - scanned)) == NULL) {
		scanned = s->have;
		if (s->have == s->cap) {
			char *grown = realloc(s->buf, s->cap * 2);

			if (grown == NULL) {
				fprintf(stderr, "kairoctl: out of memory for the reply\n");
				return NULL;
			}
			s->buf = grown;
			s->cap *= 2;
		}
		if (poll(&pfd, 1, REPLY_TIMEOUT_MS) <= 0) {
			fprintf(stderr, "kairoctl: no reply from kairod within %d s\n",
				REPLY_TIMEOUT_MS / 1000);
			return NULL;
		}
		r = read(s->fd, s->buf + s->have, s->cap - s->have);
		if (r <= 0) {
			fprintf(stderr, "kairoctl: kairod closed the connection without a reply\n");
			return NULL;
		}
		s->have += (size_t)r;
	}
	reply = json_loadb(s->buf, (size_t)(nl - s->buf), 0, &jerr);
	if (reply == NULL)
		fprintf(stderr, "kairoctl: the reply is not JSON: %s\n", jerr.text);
	/* What came after the line is the next reply's beginning: kept. */
	s->have -= (size_t)(nl + 1 - s->buf);
	memmove(s->buf, nl + 1, s->have);
	return reply;
}

/*
 * Send the request, read one reply line.  A connection kairod has closed
 * (busy, another client took its place, a deadline) refuses the request
 * with EPIPE: the reason kairod wrote before closing is still there to be
 * read, and it is the reply.
 */
static json_t *
exchange(struct session *s, json_t *req)
{
	char *text = json_dumps(req, JSON_COMPACT);
	size_t len, off = 0;
	json_t *reply = NULL;
	ssize_t r;

	if (text == NULL)
		return NULL;
	len = strlen(text);
	text[len] = '\n'; /* replaces the NUL: the request is one line */
	while (off < len + 1) {
		r = send(s->fd, text + off, len + 1 - off, MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EPIPE || errno == ECONNRESET))
			break;
		if (r < 0) {
			fprintf(stderr, "kairoctl: sending the request: %s\n", strerror(errno));
			goto out;
		}
		off += (size_t)r;
	}
	reply = read_reply(s);
out:
	free(text);
	return reply;
}

static void
session_close(struct session *s)
{
	close(s->fd);
	free(s->buf);
	s->fd = -1;
	s->buf = NULL;
}

/* ---- a session: connected, and the hello answered with our protocol version ---- */

/* The hello's reply: EXIT_DONE if kairod speaks our version, else why not (on stderr). */
static int
hello_answered(const json_t *reply, const char *path)
{
	bool ok = json_is_true(json_object_get(reply, "ok"));
	const json_t *theirs =
		json_object_get(ok ? json_object_get(reply, "result") : reply, CTL_HELLO_PROTOCOL);
	const char *e = json_string_value(json_object_get(reply, "error"));
	static const char unknown[] = "unknown command \"" CTL_HELLO_COMMAND "\"";

	if (ok && json_is_integer(theirs) &&
	    json_integer_value(theirs) == KAIROCTL_PROTOCOL_VERSION)
		return EXIT_DONE;
	if (json_is_integer(theirs))
		fprintf(stderr, "kairoctl: kairoctl speaks control protocol %d, kairod at %s "
			"speaks %" JSON_INTEGER_FORMAT ": use the kairoctl of the same build\n",
			KAIROCTL_PROTOCOL_VERSION, path, json_integer_value(theirs));
	else if (e != NULL && strncmp(e, unknown, sizeof(unknown) - 1) == 0)
		/* A kairod from before the hello: its commands may not read ours the same way. */
		fprintf(stderr, "kairoctl: kairoctl speaks control protocol %d, kairod at %s "
			"speaks an older one (it knows no hello): use the kairoctl of the same "
			"build\n",
			KAIROCTL_PROTOCOL_VERSION, path);
	else
		fprintf(stderr, "kairoctl: kairod at %s: %s\n", path,
			e != NULL ? e : "the hello's reply says no protocol version");
	return EXIT_REFUSED;
}

/* Connect to path and say hello; *s is the session when it returns EXIT_DONE. */
static int
session_open(const char *path, struct session *s)
{
	json_t *req, *reply;
	int ret;

	*s = (struct session){.fd = connect_to(path), .cap = 65536};
	if (s->fd < 0)
		return EXIT_NO_DAEMON;
	s->buf = malloc(s->cap);
	if (s->buf == NULL) {
		fprintf(stderr, "kairoctl: out of memory\n");
		session_close(s);
		return EXIT_NO_DAEMON;
	}
	req = json_pack("{s:s, s:{s:i, s:s}}", "command", CTL_HELLO_COMMAND, "args",
			CTL_HELLO_PROTOCOL, KAIROCTL_PROTOCOL_VERSION, CTL_HELLO_CLIENT,
			"kairoctl");
	reply = exchange(s, req);
	json_decref(req);
	ret = reply != NULL ? hello_answered(reply, path) : EXIT_NO_DAEMON;
	json_decref(reply);
	if (ret != EXIT_DONE)
		session_close(s);
	return ret;
}

/*
 * The daemon names a bad argument as the request carried it, "args.ip-dst:"
 * (or "args: ip-dst:"); on this side of the socket it was written --ip-dst,
 * or NAME for a positional one.  Other refusals (the topology's) go as they are.
 */
static void
print_refusal(const struct ctl_command_decl *cmd, const char *e)
{
	static const char key_chars[] = "abcdefghijklmnopqrstuvwxyz0123456789-";
	const struct ctl_arg *a;
	const char *rest;
	unsigned int i;
	size_t len;

	rest = strncmp(e, "args.", 5) == 0 ? e + 5 : strncmp(e, "args: ", 6) == 0 ? e + 6 : NULL;
	len = rest != NULL ? strspn(rest, key_chars) : 0;
	for (i = 0; len > 0 && (a = ctl_command_arg(cmd, i)) != NULL; i++) {
		if (a->flags & CTL_ARG_LOCAL || a->kind == CTL_ARG_WORDS ||
		    strlen(ctl_arg_key(a)) != len || strncmp(ctl_arg_key(a), rest, len) != 0)
			continue;
		if (a->kind == CTL_ARG_POSITIONAL)
			fprintf(stderr, "%s%s\n", a->meta, rest + len);
		else
			fprintf(stderr, "--%s\n", rest);
		return;
	}
	fprintf(stderr, "%s\n", e);
}

/* One request on the session; the reply's result (a new reference), NULL if refused or lost. */
static json_t *
request(struct session *s, const struct ctl_command_decl *cmd, json_t *args, int *status)
{
	json_t *req = json_pack("{s:s, s:O}", "command", cmd->words, "args", args);
	json_t *reply = exchange(s, req), *result = NULL;
	const char *e;

	json_decref(req);
	if (reply == NULL) {
		*status = EXIT_NO_DAEMON;
		return NULL;
	}
	if (json_is_true(json_object_get(reply, "ok"))) {
		result = json_object_get(reply, "result");
		result = result != NULL ? json_incref(result) : json_null();
		*status = EXIT_DONE;
	} else {
		e = json_string_value(json_object_get(reply, "error"));
		fprintf(stderr, "kairoctl: %s: ", cmd->words);
		print_refusal(cmd, e != NULL ? e : "refused");
		*status = EXIT_REFUSED;
	}
	json_decref(reply);
	return result;
}

/* ---- commands with more to them than one request ---- */

/*
 * One request on a session of its own.  meter get samples DELAY seconds
 * apart, and kairod closes a connection idle for CTL_IDLE_MS: each sample
 * connects anew rather than hold one open in between.
 */
json_t *
request_once(const char *path, const struct ctl_command_decl *cmd, json_t *args, int *status)
{
	struct session s;
	json_t *result;

	if ((*status = session_open(path, &s)) != EXIT_DONE)
		return NULL;
	result = request(&s, cmd, args, status);
	session_close(&s);
	return result;
}

/*
 * mm-meter get NAME [DELAY] [COUNT]: COUNT samples DELAY seconds apart
 * (one, or every DELAY seconds until stopped without COUNT), each with how
 * much the meter grew since the one before.
 */
static int
meter_get(const char *path, json_t *args, const json_t *local, bool as_json)
{
	const char *delay_s = json_string_value(json_object_get(local, "delay"));
	const char *count_s = json_string_value(json_object_get(local, "count"));
	const struct ctl_command_decl *cmd = &ctl_commands_table[CTL_CMD_METER_GET];
	long delay = 0, count = 1, n;
	int64_t p, b, last_p = 0, last_b = 0;
	json_t *r, *samples = json_array();
	int ret = EXIT_DONE;
	char *end;

	if (delay_s != NULL) {
		delay = strtol(delay_s, &end, 10);
		if (*delay_s == '\0' || *end != '\0' || delay < 0 || delay > 86400) {
			fprintf(stderr, "kairoctl: meter get: DELAY \"%s\": seconds, 0 to 86400\n",
				delay_s);
			return EXIT_USAGE;
		}
		count = -1; /* mm-meter: a delay without a count samples until stopped */
	}
	if (count_s != NULL) {
		count = strtol(count_s, &end, 10);
		if (*count_s == '\0' || *end != '\0' || count < 1) {
			fprintf(stderr, "kairoctl: meter get: COUNT \"%s\": a number above 0\n",
				count_s);
			return EXIT_USAGE;
		}
	}
	for (n = 0; count < 0 || n < count; n++) {
		if (n > 0)
			sleep((unsigned int)delay);
		if ((r = request_once(path, cmd, args, &ret)) == NULL)
			break;
		p = json_integer_value(json_object_get(r, "packets"));
		b = json_integer_value(json_object_get(r, "bytes"));
		if (as_json)
			json_array_append(samples, r);
		else if (n == 0)
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
		json_decref(r);
	}
	if (as_json && ret == EXIT_DONE) {
		json_dumpf(samples, stdout, JSON_INDENT(2));
		putchar('\n');
	}
	json_decref(samples);
	return ret;
}

/*
 * kairoctl help [COMMAND]: from this kairoctl's own table, the one its
 * requests are made by; with --json, what kairod's "help" answers.
 */
static int
help(const json_t *args, bool as_json)
{
	const json_t *words = json_object_get(args, "command");
	char *argv[8];
	int argc = 0, id = -1, used;
	size_t i;
	json_t *w;

	json_array_foreach(words, i, w)
		if (argc < 8)
			argv[argc++] = (char *)json_string_value(w);
	if (argc > 0) {
		id = ctl_command_match(argc, argv, &used);
		if (id < 0 || used != argc) {
			fprintf(stderr, "kairoctl: help: no command \"%s%s\" "
				"(kairoctl help lists them)\n", argv[0], argc > 1 ? " ..." : "");
			return EXIT_USAGE;
		}
	}
	if (as_json) {
		w = ctl_help_json(id);
		json_dumpf(w, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(w);
	} else if (id < 0) {
		usage(stdout);
	} else {
		print_command_help(&ctl_commands_table[id]);
	}
	return EXIT_DONE;
}

/*
 * The midonet-cli words of topology editing (control/README.md) may go
 * without "topology": "bridge create name br0", "list router", "show bridge
 * bridge0", or any of them after "topo".  They go to the daemon as they are.
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

/*
 * The command argv names, its request's args and kairoctl's own arguments;
 * EXIT_DONE, or the status to exit with (the reason is on stderr).
 */
static int
command_line(int argc, char **argv, int *id, json_t *args, json_t *local)
{
	json_t *words;
	int used, n;

	*id = ctl_command_match(argc, argv, &used);
	if (*id >= 0)
		return parse_args(&ctl_commands_table[*id], argc - used, argv + used, args, local);
	if (is_topology_command(argc, argv)) {
		*id = CTL_CMD_TOPOLOGY;
		words = json_array();
		for (n = strcmp(argv[0], "topo") == 0 ? 1 : 0; n < argc; n++)
			json_array_append_new(words, json_string(argv[n]));
		json_object_set_new(args, "words", words);
		return EXIT_DONE;
	}
	fprintf(stderr, "kairoctl: unknown command \"%s%s%s\" (kairoctl help lists them)\n",
		argv[0], argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
	return EXIT_USAGE;
}

/* Say hello, send the one request, print its result. */
static int
run(const char *path, int id, json_t *args, const json_t *local, bool as_json)
{
	json_t *result;
	int ret;

	result = request_once(path, &ctl_commands_table[id], args, &ret);
	if (result == NULL)
		return ret;
	if (as_json) {
		json_dumpf(result, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		kairoctl_print(id, result, local);
	}
	json_decref(result);
	return EXIT_DONE;
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
	json_t *args = json_object(), *local = json_object();
	bool as_json = false;
	int c, id, ret;

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
	ret = command_line(argc - optind, argv + optind, &id, args, local);
	if (ret == EXIT_DONE && id == CTL_CMD_HELP)
		ret = help(args, as_json);
	else if (ret == EXIT_DONE && id == CTL_CMD_METER_GET)
		ret = meter_get(path, args, local, as_json);
	else if (ret == EXIT_DONE && id == CTL_CMD_EVENTS)
		ret = kairoctl_events(path, args, local, as_json);
	else if (ret == EXIT_DONE)
		ret = run(path, id, args, local, as_json);
	json_decref(args);
	json_decref(local);
	return ret;
}
