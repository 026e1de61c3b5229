/* SPDX-License-Identifier: Apache-2.0 */
/* The rings between the simulation and the state store (sim/state_sync.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "state_sync.h"

int
state_sync_create(struct state_sync *s, const char *name, unsigned int ring_size, int socket_id)
{
	char n[RTE_RING_NAMESIZE];

	memset(s, 0, sizeof(*s));
	/* Several producers may write (the simulation and, later, more of its threads); one reader. */
	snprintf(n, sizeof(n), "%s_w", name);
	s->writes = rte_ring_create_elem(n, sizeof(struct state_write), ring_size, socket_id,
					 RING_F_SC_DEQ);
	snprintf(n, sizeof(n), "%s_q", name);
	s->queries = rte_ring_create_elem(n, sizeof(struct state_query), ring_size, socket_id,
					  RING_F_SC_DEQ);
	snprintf(n, sizeof(n), "%s_a", name);
	s->answers = rte_ring_create_elem(n, sizeof(struct state_answer), ring_size, socket_id,
					  RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (s->writes == NULL || s->queries == NULL || s->answers == NULL) {
		state_sync_destroy(s);
		return -ENOMEM;
	}
	return 0;
}

void
state_sync_destroy(struct state_sync *s)
{
	rte_ring_free(s->writes);
	rte_ring_free(s->queries);
	rte_ring_free(s->answers);
	memset(s, 0, sizeof(*s));
}
