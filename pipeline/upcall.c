/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Creation of the upcall channel; the hand-off itself is inline in upcall.h.
 */
#include <errno.h>
#include <stdio.h>

#include <rte_errno.h>
#include <rte_malloc.h>

#include "upcall.h"

struct upcall_channel *
upcall_channel_create(const struct upcall_channel_config *cfg)
{
	struct upcall_channel *uc;
	char name[RTE_RING_NAMESIZE];
	unsigned int i;

	if (cfg->n_sim == 0 || cfg->n_sim > KAIRO_MAX_SIM_THREADS || cfg->n_workers == 0 ||
	    cfg->n_workers > KAIRO_MAX_WORKERS || !rte_is_power_of_2(cfg->ring_size)) {
		rte_errno = EINVAL;
		return NULL;
	}
	uc = rte_zmalloc_socket("upcall", sizeof(*uc), RTE_CACHE_LINE_SIZE, cfg->socket_id);
	if (uc == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	uc->n_sim = cfg->n_sim;
	uc->n_workers = cfg->n_workers;
	uc->global.size = uc->global.tokens = cfg->global_bucket;
	for (i = 0; i < RTE_MAX_ETHPORTS; i++) {
		uc->port[i].size = uc->port[i].tokens = cfg->vport_bucket;
		uc->port_kind[i] = PORT_BUCKET_VPORT;
	}
	/* Workers produce into to_sim concurrently; one simulation thread consumes each. */
	for (i = 0; i < cfg->n_sim; i++) {
		snprintf(name, sizeof(name), "upcall_sim%u", i);
		uc->to_sim[i] = rte_ring_create(name, cfg->ring_size, cfg->socket_id, RING_F_SC_DEQ);
		if (uc->to_sim[i] == NULL)
			goto fail;
	}
	for (i = 0; i < cfg->n_workers; i++) {
		snprintf(name, sizeof(name), "inject_w%u", i);
		uc->to_worker[i] = rte_ring_create(name, cfg->ring_size, cfg->socket_id,
						   RING_F_SC_DEQ);
		if (uc->to_worker[i] == NULL)
			goto fail;
	}
	return uc;
fail:
	upcall_channel_destroy(uc);
	rte_errno = ENOMEM;
	return NULL;
}

uint64_t
upcall_channel_memsize(const struct upcall_channel_config *cfg)
{
	ssize_t ring = rte_ring_get_memsize(cfg->ring_size);

	return sizeof(struct upcall_channel) +
	       (uint64_t)(cfg->n_sim + cfg->n_workers) * (uint64_t)RTE_MAX(ring, (ssize_t)0);
}

void
upcall_channel_destroy(struct upcall_channel *uc)
{
	unsigned int i;

	if (uc == NULL)
		return;
	for (i = 0; i < KAIRO_MAX_SIM_THREADS; i++)
		rte_ring_free(uc->to_sim[i]);
	for (i = 0; i < KAIRO_MAX_WORKERS; i++)
		rte_ring_free(uc->to_worker[i]);
	rte_free(uc);
}

/*
 * A bucket of size from becomes one of size to while packets hold its
 * tokens: the difference is added to the tokens left, so what is out now
 * still comes back to a bucket of the new size.  Shrunk below what is out,
 * tokens go negative and nothing is admitted until enough came back.
 */
static void
bucket_resize(struct token_bucket *b, int32_t to)
{
	int32_t from = __atomic_exchange_n(&b->size, to, __ATOMIC_RELAXED);

	if (to != from)
		__atomic_add_fetch(&b->tokens, to - from, __ATOMIC_RELAXED);
}

void
upcall_channel_resize(struct upcall_channel *uc, struct upcall_channel_config *cfg,
		      int32_t global_bucket, int32_t tunnel_bucket, int32_t vport_bucket)
{
	unsigned int i;

	/* Read by the views on the command server's thread. */
	__atomic_store_n(&cfg->global_bucket, global_bucket, __ATOMIC_RELAXED);
	__atomic_store_n(&cfg->tunnel_bucket, tunnel_bucket, __ATOMIC_RELAXED);
	__atomic_store_n(&cfg->vport_bucket, vport_bucket, __ATOMIC_RELAXED);
	bucket_resize(&uc->global, global_bucket);
	for (i = 0; i < RTE_MAX_ETHPORTS; i++)
		bucket_resize(&uc->port[i], uc->port_kind[i] == PORT_BUCKET_TUNNEL ? tunnel_bucket
										    : vport_bucket);
}

void
upcall_channel_set_port(struct upcall_channel *uc, uint16_t port, enum port_bucket_kind kind,
			const struct upcall_channel_config *cfg)
{
	int32_t size = kind == PORT_BUCKET_TUNNEL ? cfg->tunnel_bucket : cfg->vport_bucket;

	uc->port_kind[port] = kind;
	__atomic_store_n(&uc->port[port].size, size, __ATOMIC_RELAXED);
	__atomic_store_n(&uc->port[port].tokens, size, __ATOMIC_RELAXED);
}
