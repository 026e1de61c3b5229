/* SPDX-License-Identifier: Apache-2.0 */
/*
 * util/event_log: lines carry the time, kind, event and what; the ring keeps
 * the last EVENT_LOG_RING and says what was lost; a reader follows by "next";
 * the file gets every line whole, and a path that cannot be opened is refused
 * with the previous file kept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "event_log.h"

struct seen {
	unsigned int n;
	uint64_t first_seq, last_seq;
	char last[EVENT_LOG_LINE + 1];
};

static void
collect(void *arg, uint64_t seq, const char *line)
{
	struct seen *s = arg;

	if (s->n++ == 0)
		s->first_seq = seq;
	s->last_seq = seq;
	snprintf(s->last, sizeof(s->last), "%s", line);
}

static void
lines_have_time_kind_event_and_what(void **state)
{
	struct seen s = {0};
	uint64_t next, first;

	(void)state;
	event_log("topology.Bridge", "CREATE", "%s name=%s", "b1", "left");
	event_log("agent.Service", "EXIT", NULL);
	assert_int_equal(event_log_read(1, 10, collect, &s, &next, &first), 2);
	assert_int_equal(next, 3);
	assert_int_equal(first, 1);
	/* "2026-12-06T13:05:01.123Z ": 24 characters of time, then the words. */
	assert_int_equal(strlen(s.last), 24 + strlen(" agent.Service EXIT"));
	assert_string_equal(s.last + 24, " agent.Service EXIT");
	assert_true(s.last[10] == 'T' && s.last[23] == 'Z' && s.last[19] == '.');
}

static void
the_ring_keeps_the_last_lines_and_a_reader_follows_by_next(void **state)
{
	struct seen s = {0};
	uint64_t next, first, i;

	(void)state;
	for (i = 0; i < EVENT_LOG_RING + 10; i++)
		event_log("Port", "BIND", "p%" PRIu64 " vm", i);
	/* From the start: the oldest ones are gone, the reply says from where it holds them. */
	assert_int_equal(event_log_read(0, EVENT_LOG_RING * 2, collect, &s, &next, &first),
			 EVENT_LOG_RING);
	assert_int_equal(first, next - EVENT_LOG_RING);
	assert_int_equal(s.first_seq, first);
	assert_string_equal(strchr(s.last, ' ') + 1, "Port BIND p1033 vm");
	/* Bounded by max, and next is where the rest begins. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(event_log_read(first, 5, collect, &s, &next, &first), 5);
	assert_int_equal(next, s.last_seq + 1);
	/* Nothing new: nothing read, next unchanged. */
	event_log_read(UINT64_MAX / 2, 5, collect, &s, &next, &first);
	assert_int_equal(s.n, 5);
}

static void
the_file_gets_whole_lines_and_a_bad_path_keeps_the_old_file(void **state)
{
	char path[] = "/tmp/kairo-event-log-XXXXXX", buf[4096];
	int fd = mkstemp(path);
	FILE *f;
	size_t n;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(event_log_open(path), 0);
	event_log("agent.Nsdb", "CONNECT", "zookeeper %s", "127.0.0.1:2181");
	assert_int_equal(event_log_open("/nonexistent-dir/events.log"), -ENOENT);
	event_log("agent.Nsdb", "DISCONNECT", "zookeeper %s", "127.0.0.1:2181");
	assert_int_equal(event_log_open(NULL), 0);
	event_log("agent.Nsdb", "CONNECT", "not in the file");
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	unlink(path);
	assert_non_null(strstr(buf, " agent.Nsdb CONNECT zookeeper 127.0.0.1:2181\n"));
	assert_non_null(strstr(buf, " agent.Nsdb DISCONNECT zookeeper 127.0.0.1:2181\n"));
	assert_null(strstr(buf, "not in the file"));
	assert_int_equal(buf[n - 1], '\n');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lines_have_time_kind_event_and_what),
		cmocka_unit_test(the_ring_keeps_the_last_lines_and_a_reader_follows_by_next),
		cmocka_unit_test(the_file_gets_whole_lines_and_a_bad_path_keeps_the_old_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
