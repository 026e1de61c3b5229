/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `kairoctl events`: the event log's ring (util/event_log.h), read by
 * sequence number.  `--follow` is kairoctl's: it asks again from the reply's
 * "next" every EVENTS_FOLLOW_MS, so no connection is held open past the
 * server's deadlines and no reply grows past its bounds (ctl_server.h).
 *
 * `kairoctl debug stall N`: a test hook, so that the service
 * watchdog's reaction to a stuck worker can be tested (tests/daemon/
 * test_service_notify.py).  It is refused unless kairod's environment had
 * KAIRO_TEST_HOOKS=1 at its start: a production kairod (the systemd unit
 * never sets it) cannot be stalled by a typo.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_events.h"
#include "dataplane.h"
#include "event_log.h"
#include "json_field.h"

/* Lines one reply carries unless told otherwise, and at most: 1024 × 320 bytes stays small. */
#define EVENTS_READ_DEFAULT 1000
#define EVENTS_READ_MAX EVENT_LOG_RING

static void
event_json(void *arg, uint64_t seq, const char *line)
{
	json_array_append_new(arg, json_pack("{s:I, s:s}", "seq", (json_int_t)seq, "line", line));
}

int
ctl_events(void *ctx, json_t *args, json_t **result, char *err, size_t errlen)
{
	struct json_ctx jc = {.file = "args", .err = err, .errlen = errlen};
	uint64_t since, max, next, first;
	json_t *lines;
	int ret;

	(void)ctx;
	if ((ret = json_field_uint(&jc, args, "", "since", 0, INT64_MAX, 0, false, &since)) != 0 ||
	    (ret = json_field_uint(&jc, args, "", "max", 1, EVENTS_READ_MAX, EVENTS_READ_DEFAULT,
				   false, &max)) != 0)
		return ret;
	lines = json_array();
	event_log_read(since, (unsigned int)max, event_json, lines, &next, &first);
	*result = json_pack("{s:o, s:I, s:I, s:I}", "events", lines, "next", (json_int_t)next,
			    "first", (json_int_t)first, "lost",
			    (json_int_t)(since != 0 && since < first ? first - since : 0));
	return 0;
}

static int
refuse(char *err, size_t errlen, int ret, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
refuse(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return ret;
}

int
ctl_debug_stall_worker(void *ctx, json_t *args, json_t **result, char *err, size_t errlen)
{
	struct kairo_dp *dp = ctx;
	const char *hooks = getenv("KAIRO_TEST_HOOKS");
	bool resume = json_is_true(json_object_get(args, "resume"));
	const char *w;
	char *end;
	long n;

	if (hooks == NULL || strcmp(hooks, "1") != 0)
		return refuse(err, errlen, -EPERM,
			      "a test hook: kairod was not started with KAIRO_TEST_HOOKS=1 in its "
			      "environment");
	w = json_string_value(json_object_get(args, "worker"));
	n = w != NULL ? strtol(w, &end, 10) : -1;
	if (w == NULL || *w == '\0' || *end != '\0' || n < 0 || n >= (long)dp->n_workers)
		return refuse(err, errlen, -EINVAL, "args.worker: \"%s\": a worker, 0 to %u",
			      w ? w : "", dp->n_workers - 1);
	__atomic_store_n(&dp->control.stall, resume ? 0 : (unsigned int)n + 1, __ATOMIC_RELAXED);
	DP_LOG(WARNING, "test hook: worker %ld %s", n, resume ? "resumes" : "stalled on purpose");
	*result = json_pack("{s:I, s:b}", "worker", (json_int_t)n, "stalled", !resume);
	return 0;
}
