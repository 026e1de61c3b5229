/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The flow cache's tag index, on the writer (simulation) thread only: each
 * tag a flow carries (a device, a port, a learned entry it depended on) is
 * a link in that tag's list, so a change removes exactly the flows that
 * depended on it.  The index is an rte_hash of tag -> first link, read and
 * written by the writer alone, so it is not RW_CONCURRENCY_LF.
 */
#include <stdint.h>

#include <rte_hash.h>

#include "flow_cache.h"
#include "flow_cache_private.h"

static void
tag_link(struct flow_cache *fc, struct flow_tag_link *l)
{
	struct flow_tag_link *head = NULL;

	rte_hash_lookup_data(fc->tag_index, &l->tag, (void **)&head);
	l->next = head;
	l->pprev = NULL;
	if (head != NULL)
		head->pprev = &l->next;
	/* Updating the data of an existing key is in place, so this cannot fail for a known tag. */
	if (rte_hash_add_key_data(fc->tag_index, &l->tag, l) != 0) {
		/* Index full: the flow stays uninvalidatable by this tag; keep the list intact. */
		if (head != NULL)
			head->pprev = NULL;
		l->next = NULL;
		l->flow = NULL;
	}
}

static void
tag_unlink(struct flow_cache *fc, struct flow_tag_link *l)
{
	if (l->flow == NULL)
		return;
	if (l->pprev != NULL) {
		*l->pprev = l->next;
		if (l->next != NULL)
			l->next->pprev = l->pprev;
	} else if (l->next != NULL) {
		/* l was the head: the next link becomes the head. */
		l->next->pprev = NULL;
		rte_hash_add_key_data(fc->tag_index, &l->tag, l->next);
	} else {
		rte_hash_del_key(fc->tag_index, &l->tag);
	}
	l->flow = NULL;
}

void
flow_cache_tags_link(struct flow_cache *fc, struct flow *f, const uint64_t *tags,
		     unsigned int n_tags)
{
	unsigned int i;

	if (n_tags > FLOW_TAGS_MAX)
		n_tags = FLOW_TAGS_MAX;
	for (i = 0; i < n_tags; i++) {
		f->tags[i].tag = tags[i];
		f->tags[i].flow = f;
		tag_link(fc, &f->tags[i]);
	}
	f->n_tags = n_tags;
}

void
flow_cache_tags_unlink(struct flow_cache *fc, struct flow *f)
{
	unsigned int i;

	for (i = 0; i < f->n_tags; i++)
		tag_unlink(fc, &f->tags[i]);
	f->n_tags = 0;
}

unsigned int
flow_cache_invalidate_tag(struct flow_cache *fc, uint64_t tag)
{
	struct flow_tag_link *l;
	unsigned int n = 0;

	/* Each removal unlinks the head, so re-read the head until the tag is gone. */
	fc->invalidating_tag = tag;
	while (rte_hash_lookup_data(fc->tag_index, &tag, (void **)&l) >= 0 && l != NULL) {
		flow_cache_remove(fc, l->flow, FLOW_REMOVED_INVALIDATED);
		n++;
	}
	fc->invalidating_tag = 0;
	return n;
}

uint64_t
flow_cache_invalidating_tag(const struct flow_cache *fc)
{
	return fc->invalidating_tag;
}
