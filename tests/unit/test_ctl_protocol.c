/* SPDX-License-Identifier: Apache-2.0 */
/*
 * control/ctl_protocol.c, the command table both kairod and kairoctl are
 * built from, as a specification:
 *
 *   declared  every command has its words and a line of help that fits the
 *             listing; every argument has a line of help; no two commands
 *             share words, no two arguments of a command share a spelling;
 *   lookup    a command is found by its words, on a command line by the
 *             longest words that begin it;
 *   checked   a request carrying a key no argument declares, or one only
 *             kairoctl keeps, is refused naming the key and what the
 *             command takes; a required argument missing is refused;
 *   read      a request line (control/ctl_request.c) is refused for what
 *             is wrong first: not JSON, not a command, no hello yet, an
 *             unknown command, its arguments; a hello names our version.
 *
 * No EAL: the table is plain C and jansson, as kairoctl is.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ctl_protocol.h"
#include "ctl_request.h"

/* kairoctl help lists "  WORDS(14)  HELP": the help has what is left of 100 columns. */
#define HELP_LINE_MAX (100 - 17)

static void
every_command_and_argument_has_its_help(void **state)
{
	const struct ctl_arg *a;
	unsigned int i;
	int id;

	(void)state;
	for (id = 0; id < CTL_CMD_COUNT; id++) {
		const struct ctl_command_decl *cmd = &ctl_commands_table[id];

		assert_non_null(cmd->words);
		assert_non_null(cmd->args);
		assert_true(strlen(cmd->words) <= 14);
		assert_true(cmd->help != NULL && cmd->help[0] != '\0');
		assert_true(strlen(cmd->help) <= HELP_LINE_MAX);
		for (i = 0; (a = ctl_command_arg(cmd, i)) != NULL; i++) {
			assert_true(a->help != NULL && a->help[0] != '\0');
			assert_true(strlen(a->help) <= HELP_LINE_MAX);
			/* A value is shown by its placeholder; a flag has none. */
			assert_true((a->kind == CTL_ARG_FLAG) == (a->meta == NULL));
			/* What only kairoctl keeps can be nothing the request needs. */
			assert_false((a->flags & CTL_ARG_LOCAL) && (a->flags & CTL_ARG_REQUIRED));
		}
	}
}

static void
no_two_commands_or_arguments_share_a_spelling(void **state)
{
	const struct ctl_arg *a, *b;
	unsigned int i, j;
	int id, other;

	(void)state;
	for (id = 0; id < CTL_CMD_COUNT; id++) {
		const struct ctl_command_decl *cmd = &ctl_commands_table[id];

		for (other = id + 1; other < CTL_CMD_COUNT; other++)
			assert_string_not_equal(cmd->words, ctl_commands_table[other].words);
		for (i = 0; (a = ctl_command_arg(cmd, i)) != NULL; i++) {
			for (j = i + 1; (b = ctl_command_arg(cmd, j)) != NULL; j++) {
				assert_string_not_equal(a->name, b->name);
				assert_false(a->short_name != 0 && a->short_name == b->short_name);
			}
		}
	}
}

static void
the_flow_match_is_one_list_for_the_flows_and_the_tracers(void **state)
{
	static const int takers[] = {CTL_CMD_DUMP_FLOWS, CTL_CMD_FLUSH_FLOWS, CTL_CMD_TRACE_ADD,
				     CTL_CMD_TRACE_REMOVE};
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(takers) / sizeof(takers[0]); i++)
		assert_ptr_equal(ctl_commands_table[takers[i]].match, ctl_match_args);
	assert_string_equal(ctl_command_arg(&ctl_commands_table[CTL_CMD_DUMP_FLOWS], 0)->name,
			    "mac-src");
	assert_string_equal(ctl_command_arg(&ctl_commands_table[CTL_CMD_DUMP_FLOWS], 8)->name,
			    "in-port");
}

static void
a_command_is_found_by_its_words(void **state)
{
	char *line[] = {"trace", "remove", "--id", "2"};
	char *meter[] = {"meter", "get", "udp-in"};
	char *none[] = {"trace", "everything"};
	int used;

	(void)state;
	assert_int_equal(ctl_command_find("dump flows"), CTL_CMD_DUMP_FLOWS);
	assert_int_equal(ctl_command_find("dump"), -ENOENT);
	assert_int_equal(ctl_command_find("dump flows "), -ENOENT);
	assert_int_equal(ctl_command_match(4, line, &used), CTL_CMD_TRACE_REMOVE);
	assert_int_equal(used, 2);
	assert_int_equal(ctl_command_match(3, meter, &used), CTL_CMD_METER_GET);
	assert_int_equal(used, 2);
	assert_int_equal(ctl_command_match(2, none, &used), -ENOENT);
	assert_int_equal(ctl_command_match(1, line, &used), -ENOENT);
}

static int
check(int id, const char *args_text, char *err, size_t errlen)
{
	json_t *args = json_loads(args_text, 0, NULL);
	int ret;

	assert_non_null(args);
	err[0] = '\0';
	ret = ctl_args_check(id, args, err, errlen);
	json_decref(args);
	return ret;
}

static void
undeclared_or_missing_arguments_are_refused_by_name(void **state)
{
	char err[512];

	(void)state;
	assert_int_equal(check(CTL_CMD_TRACE_ADD,
			       "{\"ip-dst\": \"10.0.0.1\", \"limit\": 2, \"level\": \"trace\"}",
			       err, sizeof(err)),
			 0);
	assert_int_equal(check(CTL_CMD_FLUSH_FLOWS, "{\"limit\": 1}", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "args.limit: unknown argument; flush flows takes mac-src, "
				 "mac-dst, ethertype, ip-src, ip-dst, ip-protocol, src-port, "
				 "dst-port, in-port");
	/* "level" once, though --debug and --trace both send it. */
	assert_int_equal(check(CTL_CMD_TRACE_ADD, "{\"id\": 1}", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ", dst-port, limit, level"));
	assert_int_equal(check(CTL_CMD_SHOW_DROPS, "{\"all\": true}", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "args.all: unknown argument; show drops takes none");
	assert_int_equal(check(CTL_CMD_METER_GET, "{\"name\": \"x\", \"delay\": \"1\"}", err,
			       sizeof(err)), -EINVAL);
	assert_int_equal(strncmp(err, "args.delay: unknown argument", 28), 0);
	assert_int_equal(check(CTL_CMD_METER_GET, "{}", err, sizeof(err)), -EINVAL);
	assert_int_equal(strncmp(err, "args.name: missing: meter get needs it", 38), 0);
}

static void
the_help_answer_is_the_whole_table(void **state)
{
	json_t *all = ctl_help_json(-1), *one = ctl_help_json(CTL_CMD_TRACE_ADD);
	json_t *args;

	(void)state;
	assert_int_equal(json_integer_value(json_object_get(all, "protocol")),
			 CTL_PROTOCOL_VERSION);
	assert_int_equal(json_array_size(json_object_get(all, "commands")), CTL_CMD_COUNT);
	assert_int_equal(json_array_size(json_object_get(one, "commands")), 1);
	args = json_object_get(json_array_get(json_object_get(one, "commands"), 0), "args");
	/* The match's 8 fields, then limit, debug, trace. */
	assert_int_equal(json_array_size(args), 11);
	assert_string_equal(json_string_value(json_object_get(json_array_get(args, 10), "key")),
			    "level");
	assert_string_equal(json_string_value(json_object_get(json_array_get(args, 10), "value")),
			    "trace");
	json_decref(all);
	json_decref(one);
}

/* One line read by ctl_request_parse on a connection that has (or not) said hello. */
static enum ctl_request_kind
read_line(const char *line, bool hello_done, struct ctl_request *r)
{
	ctl_request_parse(line, strlen(line), hello_done, r);
	return r->kind;
}

static void
a_request_line_is_read_in_the_servers_order(void **state)
{
	struct ctl_request r;

	(void)state;
	assert_int_equal(read_line("{\"command\": ", true, &r), CTL_REQUEST_REFUSED);
	assert_int_equal(strncmp(r.err, "request: not JSON: ", 19), 0);
	ctl_request_free(&r);
	assert_int_equal(read_line("[\"dump flows\"]", true, &r), CTL_REQUEST_REFUSED);
	assert_string_equal(r.err, "request: must be an object with a \"command\" string");
	ctl_request_free(&r);
	assert_int_equal(read_line("{\"command\": \"hello\", \"args\": 1}", false, &r),
			 CTL_REQUEST_REFUSED);
	assert_string_equal(r.err, "request: \"args\" must be an object");
	ctl_request_free(&r);
	/* The hello is heard before anything else; nothing else is. */
	assert_int_equal(read_line("{\"command\": \"hello\"}", false, &r), CTL_REQUEST_HELLO);
	assert_null(r.args);
	ctl_request_free(&r);
	assert_int_equal(read_line("{\"command\": \"show ports\"}", false, &r),
			 CTL_REQUEST_REFUSED);
	assert_int_equal(strncmp(r.err, "request: no hello yet: ", 23), 0);
	ctl_request_free(&r);
	/* After it: a command of the table, its arguments checked, {} when it has none. */
	assert_int_equal(read_line("{\"command\": \"show ports\"}", true, &r), CTL_REQUEST_COMMAND);
	assert_int_equal(r.id, CTL_CMD_SHOW_PORTS);
	assert_true(json_is_object(r.args) && json_object_size(r.args) == 0);
	ctl_request_free(&r);
	assert_int_equal(read_line("{\"command\": \"dump flows\", \"args\": {\"limit\": 3}}", true,
				   &r), CTL_REQUEST_COMMAND);
	assert_int_equal(json_integer_value(json_object_get(r.args, "limit")), 3);
	ctl_request_free(&r);
	assert_int_equal(read_line("{\"command\": \"dump everything\"}", true, &r),
			 CTL_REQUEST_REFUSED);
	assert_string_equal(r.err, "unknown command \"dump everything\" (\"help\" lists them)");
	ctl_request_free(&r);
	assert_int_equal(read_line("{\"command\": \"meter get\"}", true, &r), CTL_REQUEST_REFUSED);
	assert_int_equal(strncmp(r.err, "args.name: missing: meter get needs it", 38), 0);
	assert_null(r.args);
	ctl_request_free(&r);
}

static void
a_hello_is_taken_in_this_protocols_version_only(void **state)
{
	json_t *ours = json_pack("{s:i}", "protocol", CTL_PROTOCOL_VERSION);
	json_t *next = json_pack("{s:i, s:s}", "protocol", CTL_PROTOCOL_VERSION + 1, "client",
				 "kairoctl");
	json_t *none = json_pack("{s:s}", "protocol", "1");
	char err[512];

	(void)state;
	assert_int_equal(ctl_hello_check(ours, "/run/k.sock", err, sizeof(err)), 0);
	assert_int_equal(ctl_hello_check(next, "/run/k.sock", err, sizeof(err)), -EPROTONOSUPPORT);
	assert_int_equal(strncmp(err, "kairoctl speaks control protocol ", 33), 0);
	assert_non_null(strstr(err, ", kairod at /run/k.sock speaks "));
	assert_int_equal(ctl_hello_check(none, "/run/k.sock", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "args.protocol: missing: the version of the control protocol the "
				 "client speaks (an integer)");
	assert_int_equal(ctl_hello_check(NULL, "/run/k.sock", err, sizeof(err)), -EINVAL);
	json_decref(ours);
	json_decref(next);
	json_decref(none);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_command_and_argument_has_its_help),
		cmocka_unit_test(no_two_commands_or_arguments_share_a_spelling),
		cmocka_unit_test(the_flow_match_is_one_list_for_the_flows_and_the_tracers),
		cmocka_unit_test(a_command_is_found_by_its_words),
		cmocka_unit_test(undeclared_or_missing_arguments_are_refused_by_name),
		cmocka_unit_test(the_help_answer_is_the_whole_table),
		cmocka_unit_test(a_request_line_is_read_in_the_servers_order),
		cmocka_unit_test(a_hello_is_taken_in_this_protocols_version_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
