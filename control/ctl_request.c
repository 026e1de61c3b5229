/* SPDX-License-Identifier: Apache-2.0 */
/* One request line read as the command server reads it (contract in ctl_request.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl_request.h"

/* ctl_args_check's message: as long as a handler's, which the reply carries the same way. */
#define CTL_ARGS_ERR_LEN 1024

static void
refuse(struct ctl_request *r, const char *msg)
{
	r->kind = CTL_REQUEST_REFUSED;
	snprintf(r->err, sizeof(r->err), "%s", msg);
}

/* A command of a connection that said hello: its words in the table, its arguments declared. */
static void
parse_command(struct ctl_request *r, const char *name, json_t *args)
{
	char err[CTL_ARGS_ERR_LEN];
	int id, ret;

	id = ctl_command_find(name);
	if (id < 0) {
		r->kind = CTL_REQUEST_REFUSED;
		snprintf(r->err, sizeof(r->err), "unknown command \"%.200s\" (\"help\" lists them)",
			 name);
		return;
	}
	err[0] = '\0';
	ret = ctl_args_check(id, args, err, sizeof(err));
	if (ret != 0) {
		refuse(r, err[0] ? err : strerror(-ret));
		return;
	}
	r->kind = CTL_REQUEST_COMMAND;
	r->id = id;
	/* A handler is promised an object: an empty one when the request carries none. */
	r->args = args != NULL ? json_incref(args) : json_object();
}

void
ctl_request_parse(const char *line, size_t len, bool hello_done, struct ctl_request *r)
{
	json_error_t jerr;
	json_t *name, *args;

	memset(r, 0, sizeof(*r));
	r->id = -1;
	r->doc = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (r->doc == NULL) {
		r->kind = CTL_REQUEST_REFUSED;
		snprintf(r->err, sizeof(r->err), "request: not JSON: %s (column %d)", jerr.text,
			 jerr.column);
		return;
	}
	name = json_object_get(r->doc, "command");
	args = json_object_get(r->doc, "args");
	if (!json_is_object(r->doc) || !json_is_string(name)) {
		refuse(r, "request: must be an object with a \"command\" string");
	} else if (args != NULL && !json_is_object(args)) {
		refuse(r, "request: \"args\" must be an object");
	} else if (strcmp(json_string_value(name), CTL_HELLO_COMMAND) == 0) {
		/* Heard before and after the hello alike: a client learns the version either way. */
		r->kind = CTL_REQUEST_HELLO;
		r->args = json_incref(args);
	} else if (!hello_done) {
		r->kind = CTL_REQUEST_REFUSED;
		snprintf(r->err, sizeof(r->err),
			 "request: no hello yet: a connection opens with {\"command\": \"%s\", "
			 "\"args\": {\"%s\": %d}} (control/README.md)",
			 CTL_HELLO_COMMAND, CTL_HELLO_PROTOCOL, CTL_PROTOCOL_VERSION);
	} else {
		parse_command(r, json_string_value(name), args);
	}
}

void
ctl_request_free(struct ctl_request *r)
{
	json_decref(r->args);
	json_decref(r->doc);
	r->args = NULL;
	r->doc = NULL;
}

/*
 * Keys the hello does not know are ignored, so that a client of any version,
 * whatever its hello carries, learns of the mismatch in these words and not
 * as some other refusal.
 */
int
ctl_hello_check(const json_t *args, const char *server_path, char *err, size_t errlen)
{
	const json_t *theirs = json_object_get(args, CTL_HELLO_PROTOCOL);
	const char *who = json_string_value(json_object_get(args, CTL_HELLO_CLIENT));

	if (!json_is_integer(theirs)) {
		snprintf(err, errlen, "args." CTL_HELLO_PROTOCOL ": missing: the version of the "
			 "control protocol the client speaks (an integer)");
		return -EINVAL;
	}
	if (json_integer_value(theirs) != CTL_PROTOCOL_VERSION) {
		snprintf(err, errlen,
			 "%.64s speaks control protocol %" JSON_INTEGER_FORMAT ", kairod at %s "
			 "speaks %d: use the kairoctl of the same build",
			 who != NULL ? who : "the client", json_integer_value(theirs), server_path,
			 CTL_PROTOCOL_VERSION);
		return -EPROTONOSUPPORT;
	}
	return 0;
}
