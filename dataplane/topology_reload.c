/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Snapshots of the store's document with the bindings resolved against this
 * host's ports, and the hand-over to the simulation thread.
 *
 * A snapshot is built again whenever what the bindings are resolved against
 * changes, not only the document: the store changed (SIGHUP, a kairoctl edit,
 * a ZooKeeper watch), a port came or went (a binding takes effect or waits
 * again), a link went down or up.  The simulation's diff of the two
 * snapshots (sim/topology_diff.c) removes the flows that depended on what
 * changed.
 *
 * The local bindings of the snapshot in use are kept (dp->bindings) for the
 * views: `kairoctl show ports` lists the waiting ones.  A change is logged in
 * MidoNet's words: "Port BIND <port-id> <interface>" when a binding takes
 * effect, "Port UNBIND <port-id> <interface>" when it goes back to waiting.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane.h"
#include "event_log.h"
#include "topology_json.h"

struct topology *
dp_topology_load_doc(const struct kairo_dp *dp, bool probed, json_t **doc_out, char *err,
		     size_t errlen)
{
	struct local_interface ifs[RTE_MAX_ETHPORTS];
	unsigned int n_ifs = dp_local_interfaces(dp, probed, ifs);
	struct topology *t;
	json_t *doc;

	doc = dp->store->ops->document(dp->store, err, errlen);
	if (doc == NULL)
		return NULL;
	t = topology_json_load(doc, dp->topo_source, ifs, n_ifs, err, errlen);
	if (t != NULL && doc_out != NULL)
		*doc_out = json_incref(doc);
	json_decref(doc);
	return t;
}

struct topology *
dp_topology_load(const struct kairo_dp *dp, bool probed, char *err, size_t errlen)
{
	return dp_topology_load_doc(dp, probed, NULL, err, errlen);
}

/* t's local bindings (bound here, or waiting for an interface of this host); out may be NULL. */
static unsigned int
bindings_of(const struct topology *t, struct dp_binding *out)
{
	unsigned int n = 0;
	uint32_t i;

	for (i = 0; i < t->n_ports; i++) {
		const struct topo_port *p = &t->ports[i];

		if (p->interface[0] == '\0' || p->remote || p->vtep)
			continue;
		if (out != NULL) {
			snprintf(out[n].port_id, sizeof(out[n].port_id), "%s", p->id);
			snprintf(out[n].interface, sizeof(out[n].interface), "%s", p->interface);
			out[n].waiting = topo_port_is_waiting(p);
		}
		n++;
	}
	return n;
}

/*
 * gcc 12 with -fsanitize=undefined sees list[i] on a NULL list (none recorded
 * yet, n 0: the loop never runs) as a read from a zero-sized region and warns
 * of an overread in the strcmp; there is none.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-overread"
static const struct dp_binding *
binding_find(const struct dp_binding *list, unsigned int n, const struct dp_binding *b)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i].port_id, b->port_id) == 0 &&
		    strcmp(list[i].interface, b->interface) == 0)
			return &list[i];
	return NULL;
}
#pragma GCC diagnostic pop

/* In the log and in the event log (util/event_log.h), in the same words. */
static void
binding_event(const char *what, const struct dp_binding *b)
{
	DP_LOG(INFO, "Port %s %s %s", what, b->port_id, b->interface);
	event_log("Port", what, "%s %s", b->port_id, b->interface);
}

void
dp_bindings_record(struct kairo_dp *dp, const struct topology *t)
{
	unsigned int n = bindings_of(t, NULL), i;
	struct dp_binding *now = calloc(n ? n : 1, sizeof(*now));
	const struct dp_binding *was;

	if (now == NULL) {
		DP_LOG(ERR, "out of memory for the list of bindings: not updated");
		return;
	}
	bindings_of(t, now);
	for (i = 0; i < n; i++) {
		was = binding_find(dp->bindings, dp->n_bindings, &now[i]);
		if (!now[i].waiting && (was == NULL || was->waiting))
			binding_event("BIND", &now[i]);
		else if (now[i].waiting && was != NULL && !was->waiting)
			binding_event("UNBIND", &now[i]);
		else if (now[i].waiting && was == NULL)
			DP_LOG(INFO, "port %s waits for interface %s", now[i].port_id,
			       now[i].interface);
	}
	/* A binding deleted from the document while it was in effect is unbound too. */
	for (i = 0; i < dp->n_bindings; i++)
		if (!dp->bindings[i].waiting && binding_find(now, n, &dp->bindings[i]) == NULL)
			binding_event("UNBIND", &dp->bindings[i]);
	free(dp->bindings);
	dp->bindings = now;
	dp->n_bindings = n;
}

int
dp_topology_reload_locked(struct kairo_dp *dp, const char *why)
{
	char err[1024];
	json_t *doc = NULL;
	struct topology *t = dp_topology_load_doc(dp, true, &doc, err, sizeof(err));

	if (t == NULL) {
		DP_LOG(ERR, "topology not reloaded, version %" PRIu64 " stays in use: %s",
		       dp->topo_version, err);
		return -EINVAL;
	}
	t->version = ++dp->topo_version;
	DP_LOG(INFO, "topology version %" PRIu64 " read from %s (%s store), %s", t->version,
	       dp->topo_source, dp->store->ops->name, why);
	/* Objects first, then what their bindings did (MidoNet's order: a port exists, then binds). */
	dp_topology_events(dp->doc, doc);
	json_decref(dp->doc);
	dp->doc = doc;
	dp_bindings_record(dp, t);
	sim_thread_set_topology(dp->sim, t);
	return 0;
}

int
dp_topology_reload(struct kairo_dp *dp, const char *why)
{
	int ret;

	dp_ports_lock(dp);
	ret = dp_topology_reload_locked(dp, why);
	dp_ports_unlock(dp);
	return ret;
}
