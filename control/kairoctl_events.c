/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kairoctl events [--since SEQ] [--max N] [--follow]: the event log's lines
 * (control/ctl_events.c).  With --follow it asks again from the reply's
 * "next" every EVENTS_FOLLOW_MS until stopped, each time on a connection of
 * its own, as meter get does: kairod closes an idle connection, and one
 * request per poll keeps every reply small.  A kairod that restarted (its ring
 * begins again below where we were) is read from its beginning.
 */
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "kairoctl.h"

#define EVENTS_FOLLOW_MS 250

static void
print_events(const json_t *r, bool as_json)
{
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(r, "events"), i, e) {
		if (as_json) {
			json_dumpf(e, stdout, JSON_COMPACT);
			putchar('\n');
		} else {
			printf("%s\n", json_string_value(json_object_get(e, "line")));
		}
	}
	fflush(stdout);
}

int
kairoctl_events(const char *path, json_t *args, const json_t *local, bool as_json)
{
	const struct ctl_command_decl *cmd = &ctl_commands_table[CTL_CMD_EVENTS];
	const struct timespec pause = {.tv_sec = 0, .tv_nsec = EVENTS_FOLLOW_MS * 1000000L};
	bool follow = json_is_true(json_object_get(local, "follow"));
	json_int_t since = json_integer_value(json_object_get(args, "since")), next, lost;
	int status;
	json_t *r;

	for (;;) {
		json_object_set_new(args, "since", json_integer(since));
		if ((r = request_once(path, cmd, args, &status)) == NULL)
			return status;
		next = json_integer_value(json_object_get(r, "next"));
		lost = json_integer_value(json_object_get(r, "lost"));
		if (lost > 0)
			fprintf(stderr, "kairoctl: events: %lld event(s) before %lld are no longer "
				"kept (the ring holds the last ones only)\n", (long long)lost,
				(long long)json_integer_value(json_object_get(r, "first")));
		if (follow && next < since) {
			/* Another kairod (kairoctl restart): its events from the first. */
			json_decref(r);
			since = 0;
			continue;
		}
		if (as_json && !follow) {
			json_dumpf(r, stdout, JSON_INDENT(2));
			putchar('\n');
		} else {
			print_events(r, as_json);
		}
		json_decref(r);
		if (!follow)
			return EXIT_DONE;
		since = next;
		nanosleep(&pause, NULL);
	}
}
