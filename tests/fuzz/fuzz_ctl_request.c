/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer: the control protocol's requests as kairod reads them before
 * any handler runs (control/ctl_request.h, control/ctl_protocol.h).
 *
 * The input is what a client writes on the socket: it is cut into lines as
 * the server cuts what it reads (ctl_server.c, client_read: at each newline,
 * empty lines skipped), and each line goes through ctl_request_parse with
 * the connection's state: a hello that ctl_hello_check accepts opens it for
 * commands, one that names another version closes it (no later line is
 * read).  The first line is also taken as a kairoctl command line: its words
 * through ctl_command_match.
 *
 * Invariants checked: each line gets the answer ctl_request.h's order of
 * checks gives it (worked out again here from the document), a command is
 * one of the table's with only declared, non-local arguments and the
 * required ones present, a refusal says why, a hello is accepted exactly
 * when it names this version; a command line is matched by the longest
 * words of the table that begin it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl_protocol.h"
#include "ctl_request.h"
#include "fuzz.h"

#define SERVER_PATH "/run/kairo/kairod.sock"
/* Words of a command line, as many as kairoctl would pass on. */
#define ARGV_MAX 16
/* A command line longer than this is not looked at as one. */
#define LINE_BYTES_MAX 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The declared, sent argument of cmd whose request key is key; NULL if none. */
static const struct ctl_arg *
declared(const struct ctl_command_decl *cmd, const char *key)
{
	const struct ctl_arg *a;
	unsigned int i;

	for (i = 0; (a = ctl_command_arg(cmd, i)) != NULL; i++)
		if (!(a->flags & CTL_ARG_LOCAL) && strcmp(ctl_arg_key(a), key) == 0)
			return a;
	return NULL;
}

/* Does args carry only keys cmd declares, and every required one? */
static bool
args_fit(const struct ctl_command_decl *cmd, const json_t *args)
{
	const struct ctl_arg *a;
	const char *key;
	unsigned int i;
	json_t *v;

	json_object_foreach((json_t *)args, key, v)
		if (declared(cmd, key) == NULL)
			return false;
	for (i = 0; (a = ctl_command_arg(cmd, i)) != NULL; i++)
		if ((a->flags & CTL_ARG_REQUIRED) && json_object_get(args, ctl_arg_key(a)) == NULL)
			return false;
	return true;
}

/* What ctl_request.h says the line is, from its document (NULL: not JSON). */
static enum ctl_request_kind
expected_kind(const json_t *doc, bool hello_done)
{
	const json_t *name = json_object_get(doc, "command");
	const json_t *args = json_object_get(doc, "args");
	int id;

	if (!json_is_object(doc) || !json_is_string(name))
		return CTL_REQUEST_REFUSED;
	if (args != NULL && !json_is_object(args))
		return CTL_REQUEST_REFUSED;
	if (strcmp(json_string_value(name), CTL_HELLO_COMMAND) == 0)
		return CTL_REQUEST_HELLO;
	if (!hello_done)
		return CTL_REQUEST_REFUSED;
	id = ctl_command_find(json_string_value(name));
	if (id < 0 || !args_fit(&ctl_commands_table[id], args))
		return CTL_REQUEST_REFUSED;
	return CTL_REQUEST_COMMAND;
}

/* One line of the connection; false once the connection is to be closed. */
static bool
line_checked(const char *line, size_t len, bool *hello_done)
{
	struct ctl_request r;
	const json_t *theirs;
	char msg[512];
	int ret;

	ctl_request_parse(line, len, *hello_done, &r);
	FUZZ_CHECK(r.kind == expected_kind(r.doc, *hello_done));
	switch (r.kind) {
	case CTL_REQUEST_REFUSED:
		FUZZ_CHECK(r.err[0] != '\0' && memchr(r.err, '\0', sizeof(r.err)) != NULL);
		FUZZ_CHECK(r.args == NULL && r.id == -1);
		break;
	case CTL_REQUEST_HELLO:
		FUZZ_CHECK(r.args == NULL || json_is_object(r.args));
		ret = ctl_hello_check(r.args, SERVER_PATH, msg, sizeof(msg));
		theirs = json_object_get(r.args, CTL_HELLO_PROTOCOL);
		if (!json_is_integer(theirs)) {
			FUZZ_CHECK(ret == -EINVAL);
		} else if (json_integer_value(theirs) == CTL_PROTOCOL_VERSION) {
			FUZZ_CHECK(ret == 0);
			*hello_done = true;
		} else {
			FUZZ_CHECK(ret == -EPROTONOSUPPORT && strstr(msg, SERVER_PATH) != NULL);
			ctl_request_free(&r);
			return false;
		}
		break;
	case CTL_REQUEST_COMMAND:
		FUZZ_CHECK(*hello_done && r.id >= 0 && r.id < CTL_CMD_COUNT);
		FUZZ_CHECK(json_is_object(r.args));
		FUZZ_CHECK(strcmp(ctl_commands_table[r.id].words,
				  json_string_value(json_object_get(r.doc, "command"))) == 0);
		FUZZ_CHECK(args_fit(&ctl_commands_table[r.id], r.args));
		FUZZ_CHECK(ctl_args_check(r.id, r.args, msg, sizeof(msg)) == 0);
		break;
	}
	ctl_request_free(&r);
	return true;
}

/*
 * How many words of argv the command's words take: argv's first words
 * joined by single spaces are its words; 0 when they are not.
 */
static int
words_match(const char *words, int argc, char *const *argv)
{
	char joined[LINE_BYTES_MAX + ARGV_MAX];
	size_t off = 0, n;
	int k = 1, i;

	for (i = 0; words[i] != '\0'; i++)
		k += words[i] == ' ';
	if (k > argc)
		return 0;
	for (i = 0; i < k; i++) {
		n = strlen(argv[i]);
		if (off + n + 2 > sizeof(joined))
			return 0;
		if (i > 0)
			joined[off++] = ' ';
		memcpy(joined + off, argv[i], n);
		off += n;
	}
	joined[off] = '\0';
	return strcmp(joined, words) == 0 ? k : 0;
}

/* The first line as kairoctl's words: the longest command that begins them, or none. */
static void
command_line_checked(const char *line, size_t len)
{
	char copy[LINE_BYTES_MAX], *argv[ARGV_MAX], *save = NULL, *w;
	int argc = 0, used, id, c, best = 0;

	if (len >= sizeof(copy))
		return;
	memcpy(copy, line, len);
	copy[len] = '\0';
	if (strlen(copy) != len)
		return; /* a word with a NUL in it cannot come from a command line */
	for (w = strtok_r(copy, " ", &save); w != NULL && argc < ARGV_MAX;
	     w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	id = ctl_command_match(argc, argv, &used);
	for (c = 0; c < CTL_CMD_COUNT; c++)
		if (words_match(ctl_commands_table[c].words, argc, argv) > best)
			best = words_match(ctl_commands_table[c].words, argc, argv);
	FUZZ_CHECK(used == best);
	if (id < 0) {
		FUZZ_CHECK(id == -ENOENT && used == 0);
		return;
	}
	FUZZ_CHECK(id < CTL_CMD_COUNT && words_match(ctl_commands_table[id].words, argc, argv) ==
					       used);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *nl;
	bool hello_done = false, first = true;

	/* As client_read serves what it has read: every complete line, in order. */
	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		size_t len = (size_t)(nl - p);

		if (first)
			command_line_checked(p, len);
		first = false;
		if (len > 0 && !line_checked(p, len, &hello_done))
			break;
		p = nl + 1;
	}
	return 0;
}
