/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A bridge's learned MAC -> port table (all bridges in one table).
 *
 * Aging follows MidoNet: an entry is in use while cached flows that learned
 * it exist (flow_refs); its aging clock starts when the last of them goes.
 * So a MAC that keeps sending through the fast path never ages out, although
 * the simulation does not see its packets.
 *
 * Owned by one simulation thread: no locks.
 */
#ifndef KAIRO_MAC_TABLE_H
#define KAIRO_MAC_TABLE_H

#include <stdint.h>

#include <rte_ether.h>

#define MAC_NO_ENTRY UINT32_MAX

enum mac_learn_result {
	MAC_LEARN_SAME = 0,  /* already known on this port */
	MAC_LEARN_NEW = 1,
	MAC_LEARN_MOVED = 2, /* known on another port before */
};

struct mac_table;

struct mac_table *mac_table_create(const char *name, uint32_t capacity, int socket_id);
void mac_table_destroy(struct mac_table *mt);
/* About how many bytes of EAL's heap mac_table_create(capacity) takes (for refusals). */
uint64_t mac_table_memsize(uint32_t capacity);

/* The port a MAC was learned on, or -ENOENT. */
int64_t mac_table_lookup(const struct mac_table *mt, uint32_t bridge, uint16_t vlan,
			 const struct rte_ether_addr *mac);

/*
 * Learn mac on port; returns enum mac_learn_result or -ENOSPC (table full;
 * the frame is still forwarded, the MAC is just not learned).  *entry
 * identifies the entry for mac_table_ref/unref.
 */
int mac_table_learn(struct mac_table *mt, uint32_t bridge, uint16_t vlan,
		    const struct rte_ether_addr *mac, uint32_t port, uint64_t aging_tsc,
		    uint64_t now, uint32_t *entry);

void mac_table_ref(struct mac_table *mt, uint32_t entry);
void mac_table_unref(struct mac_table *mt, uint32_t entry, uint64_t now);

typedef void (*mac_aged_cb)(void *arg, uint32_t bridge, const struct rte_ether_addr *mac);

/* Forget up to budget entries unused past their aging time; calls cb for each. */
unsigned int mac_table_age(struct mac_table *mt, uint64_t now, unsigned int budget, mac_aged_cb cb,
			   void *arg);

uint32_t mac_table_count(const struct mac_table *mt);

/* Entry number entry (as mac_table_lookup returns it): 0, or -ENOENT if out of range. */
int mac_table_entry_read(const struct mac_table *mt, uint32_t entry, uint32_t *bridge,
			 struct rte_ether_addr *mac, uint32_t *port);

/* Forget everything (the topology's indexes changed meaning); no callbacks. */
void mac_table_flush(struct mac_table *mt);

/* Visit entries (for dumps): returns 0 and fills the outputs, or -ENOENT at the end. */
int mac_table_iterate(const struct mac_table *mt, uint32_t *next, uint32_t *bridge,
		      struct rte_ether_addr *mac, uint32_t *port, uint32_t *flow_refs);

/* An entry as a saved image holds it (sim/state_image.h). */
struct mac_saved {
	uint32_t bridge;
	uint16_t vlan;
	struct rte_ether_addr mac;
	uint32_t port;
	uint64_t aging_tsc;
	uint64_t remaining_tsc; /* unused from now on, it ages out after this */
};

/* Visit entries for saving: 0 with *out filled, or -ENOENT at the end. */
int mac_table_iterate_saved(const struct mac_table *mt, uint32_t *next, uint64_t now,
			    struct mac_saved *out);
/* Take in a saved entry (not yet aged out): 0, or -ENOSPC. */
int mac_table_restore(struct mac_table *mt, const struct mac_saved *in, uint64_t now);

#endif
