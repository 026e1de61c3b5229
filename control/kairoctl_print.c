/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kairoctl's printing of a reply's result: readable tables and lines, in
 * the forms mm-dpctl, mm-trace and mm-meter print.  Each printer takes the
 * result (it may change it) and kairoctl's own arguments (--all).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kairoctl_print.h"

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
print_generic(json_t *result, const json_t *local)
{
	if (json_is_object(result))
		print_object(result, 0);
	else if (!json_is_null(result)) {
		print_value(result);
		putchar('\n');
	}
}

static void
print_datapath(json_t *result, const json_t *local)
{
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

/* A table's cell: strings as they are, booleans as up/down, null as "-". */
static void
cell_text(const json_t *v, char *cell, size_t len)
{
	if (json_is_string(v))
		snprintf(cell, len, "%s", json_string_value(v));
	else if (json_is_boolean(v))
		snprintf(cell, len, "%s", json_is_true(v) ? "up" : "down");
	else if (v == NULL || json_is_null(v))
		snprintf(cell, len, "-");
	else
		snprintf(cell, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
}

/* An array of objects as a table, columns in the first object's order; numbers to the right. */
static void
print_table(json_t *result, const json_t *local)
{
	size_t i, c, n_cols = 0;
	const char *key, *cols[32];
	int width[32];
	json_t *row, *v;
	char cell[64];

	if (!json_is_array(result) || json_array_size(result) == 0) {
		print_generic(result, local);
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
			cell_text(json_object_get(row, cols[c]), cell, sizeof(cell));
			if ((int)strlen(cell) > width[c])
				width[c] = (int)strlen(cell);
		}
	}
	for (c = 0; c < n_cols; c++)
		printf("%-*s%s", width[c], cols[c], c + 1 < n_cols ? "  " : "\n");
	json_array_foreach(result, i, row) {
		for (c = 0; c < n_cols; c++) {
			v = json_object_get(row, cols[c]);
			cell_text(v, cell, sizeof(cell));
			printf(json_is_integer(v) ? "%*s" : "%-*s", width[c], cell);
			printf("%s", c + 1 < n_cols ? "  " : "\n");
		}
	}
}

static void
print_drops(json_t *result, const json_t *local)
{
	bool all = json_is_true(json_object_get(local, "all")), any = false;
	const char *reason;
	json_t *v;

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
print_flows(json_t *result, const json_t *local)
{
	json_t *flows = json_object_get(result, "flows"), *f;
	size_t i;

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

/* The strings of an array, one per line after a label, indented. */
static void
print_string_lines(const char *label, const json_t *arr)
{
	const json_t *v;
	size_t i;

	json_array_foreach(arr, i, v)
		printf("  %-11s %s\n", i == 0 ? label : "", json_string_value(v));
}

static void
print_mac(const char *label, const json_t *m)
{
	printf("  %-11s bridge %s: %s on port %s\n", label,
	       json_string_value(json_object_get(m, "bridge")),
	       json_string_value(json_object_get(m, "mac")),
	       json_is_string(json_object_get(m, "port")) ? json_string_value(json_object_get(m, "port"))
							  : "(no longer learned)");
}

static void
print_explained(const json_t *f, bool removed)
{
	const json_t *mac = json_object_get(f, "mac_learned"), *n;
	size_t i;

	printf("%s\n", json_string_value(json_object_get(f, "match")));
	if (removed)
		printf("  removed     at topology version %" JSON_INTEGER_FORMAT
		       ", decided at %" JSON_INTEGER_FORMAT ": %s\n",
		       json_integer_value(json_object_get(f, "removed_at_version")),
		       json_integer_value(json_object_get(f, "decided_at_version")),
		       json_string_value(json_object_get(f, "why")));
	else
		printf("  decided     at topology version %" JSON_INTEGER_FORMAT
		       " (in use: %" JSON_INTEGER_FORMAT "): still valid, %s\n",
		       json_integer_value(json_object_get(f, "decided_at_version")),
		       json_integer_value(json_object_get(f, "version_in_use")),
		       json_string_value(json_object_get(f, "why")));
	print_string_lines("walk", json_object_get(f, "walk"));
	if (json_is_true(json_object_get(f, "walk_truncated")))
		printf("  %-11s (longer than a flow records: the first steps only)\n", "");
	if (removed)
		return;
	printf("  %-11s %s\n", "actions", json_string_value(json_object_get(f, "actions")));
	print_string_lines("nat", json_object_get(f, "nat"));
	json_array_foreach(json_object_get(f, "neighbours"), i, n)
		printf("  %-11s router %s: %s is %s\n", i == 0 ? "neighbours" : "",
		       json_string_value(json_object_get(n, "router")),
		       json_string_value(json_object_get(n, "address")),
		       json_is_string(json_object_get(n, "mac"))
			       ? json_string_value(json_object_get(n, "mac")) : "unresolved");
	json_array_foreach(json_object_get(f, "macs"), i, n)
		print_mac(i == 0 ? "macs" : "", n);
	if (json_is_object(mac))
		print_mac("mac learned", mac);
	print_string_lines("meters", json_object_get(f, "meters"));
}

/* flow explain: each cached flow, then each removed one, as paragraphs. */
static void
print_explain(json_t *result, const json_t *local)
{
	const json_t *flows = json_object_get(result, "flows");
	const json_t *removed = json_object_get(result, "removed"), *f;
	size_t i;

	json_array_foreach(flows, i, f)
		print_explained(f, false);
	json_array_foreach(removed, i, f)
		print_explained(f, true);
	if (json_array_size(flows) == 0 && json_array_size(removed) == 0)
		printf("no flow matched, and no matching flow was removed by a recent change\n");
	else
		printf("%" JSON_INTEGER_FORMAT " cached flow(s) matched, %zu shown; %zu removed "
		       "by a change\n", json_integer_value(json_object_get(result, "matched")),
		       json_array_size(flows), json_array_size(removed));
}

static void
print_tracers(json_t *result, const json_t *local)
{
	json_t *t;
	size_t i;

	/* mm-trace list: each line can be given back to "trace add". */
	json_array_foreach(json_object_get(result, "tracers"), i, t)
		printf("tracer %" JSON_INTEGER_FORMAT ": %s  (matched %" JSON_INTEGER_FORMAT ")\n",
		       json_integer_value(json_object_get(t, "id")),
		       json_string_value(json_object_get(t, "tracer")),
		       json_integer_value(json_object_get(t, "matched")));
}

static void
print_trace_lines(json_t *result, const json_t *local)
{
	json_t *l;
	size_t i;

	/* The log's form: a grep for the cookie picks one packet's lines. */
	json_array_foreach(json_object_get(result, "lines"), i, l)
		printf("cookie:%s %s\n", json_string_value(json_object_get(l, "cookie")),
		       json_string_value(json_object_get(l, "text")));
}

static void
print_lines(json_t *result, const json_t *local)
{
	json_t *l;
	size_t i;

	json_array_foreach(json_object_get(result, "lines"), i, l)
		printf("%s\n", json_string_value(l));
}

static void
print_meters(json_t *result, const json_t *local)
{
	json_t *m;
	size_t i;

	json_array_foreach(json_object_get(result, "meters"), i, m)
		printf("%-52s packets %-10" JSON_INTEGER_FORMAT " bytes %" JSON_INTEGER_FORMAT "\n",
		       json_string_value(json_object_get(m, "name")),
		       json_integer_value(json_object_get(m, "packets")),
		       json_integer_value(json_object_get(m, "bytes")));
}

typedef void (*printer)(json_t *result, const json_t *local);

/* How each command's result reads; print_generic for the ones not named. */
static const printer printers[CTL_CMD_COUNT] = {
	[CTL_CMD_SHOW_DATAPATH] = print_datapath,
	[CTL_CMD_SHOW_PORTS] = print_table,
	[CTL_CMD_SHOW_LCORES] = print_table,
	[CTL_CMD_SHOW_DROPS] = print_drops,
	[CTL_CMD_DUMP_FLOWS] = print_flows,
	[CTL_CMD_FLOW_EXPLAIN] = print_explain,
	[CTL_CMD_TRACE_LIST] = print_tracers,
	[CTL_CMD_TRACE_READ] = print_trace_lines,
	[CTL_CMD_TOPOLOGY] = print_lines,
	[CTL_CMD_METER_LIST] = print_meters,
};

void
kairoctl_print(enum ctl_command_id id, json_t *result, const json_t *local)
{
	(printers[id] != NULL ? printers[id] : print_generic)(result, local);
}
