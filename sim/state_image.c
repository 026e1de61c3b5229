/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The state image's format (sim/state_image.h): writing it, and checking an
 * image whole before anything of it is loaded.  No tables and no EAL here:
 * the fuzz harness runs state_image_check on its own.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_common.h>
#include <rte_hash_crc.h>

#include "conntrack.h"
#include "state_image_internal.h"

#define WRITER_FIRST_CAP (64 * 1024)

static const char *const section_names[STATE_IMAGE_SECTION_MAX + 1] = {
	[STATE_IMAGE_CONNS] = "connections",
	[STATE_IMAGE_MACS] = "MACs",
	[STATE_IMAGE_NEIGHBOURS] = "neighbours",
	[STATE_IMAGE_LEASES] = "SNAT blocks",
};

size_t
state_image_record_len(uint16_t type)
{
	switch (type) {
	case STATE_IMAGE_CONNS:
		return sizeof(struct state_image_conn);
	case STATE_IMAGE_MACS:
		return sizeof(struct state_image_mac);
	case STATE_IMAGE_NEIGHBOURS:
		return sizeof(struct state_image_neigh);
	case STATE_IMAGE_LEASES:
		return sizeof(struct state_image_lease);
	default:
		return 0;
	}
}

/*
 * CRC32C, 8 bytes at a time.  Each word is copied out with memcpy:
 * rte_hash_crc reads the buffer through uint64_t pointers, which lets the
 * compiler order it against the stores to the header struct it covers.
 */
uint32_t
state_image_crc(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t crc = 0;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		uint64_t v;

		memcpy(&v, p + i, sizeof(v));
		crc = rte_hash_crc_8byte(v, crc);
	}
	for (; i < len; i++)
		crc = rte_hash_crc_1byte(p[i], crc);
	return crc;
}

uint64_t
state_image_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- writing ---- */

static void
writer_put(struct state_image_writer *w, const void *p, size_t n)
{
	if (w->failed)
		return;
	if (w->len + n > w->cap) {
		size_t cap = w->cap == 0 ? WRITER_FIRST_CAP : w->cap;
		uint8_t *grown;

		while (cap < w->len + n)
			cap *= 2;
		grown = realloc(w->data, cap);
		if (grown == NULL) {
			w->failed = true;
			return;
		}
		w->data = grown;
		w->cap = cap;
	}
	memcpy(w->data + w->len, p, n);
	w->len += n;
}

void
state_image_begin(struct state_image_writer *w)
{
	struct state_image_header h;

	memset(w, 0, sizeof(*w));
	memset(&h, 0, sizeof(h));
	writer_put(w, &h, sizeof(h));
}

static void
section_close(struct state_image_writer *w)
{
	struct state_image_section s;

	if (w->section_at == 0 || w->failed)
		return;
	memcpy(&s, w->data + w->section_at, sizeof(s));
	s.count = (uint32_t)((w->len - w->section_at - sizeof(s)) / s.record_len);
	memcpy(w->data + w->section_at, &s, sizeof(s));
	w->section_at = 0;
}

void
state_image_section(struct state_image_writer *w, enum state_image_section_type type)
{
	struct state_image_section s = {
		.type = type,
		.record_len = (uint16_t)state_image_record_len(type),
	};

	section_close(w);
	w->section_at = w->len;
	writer_put(w, &s, sizeof(s));
	w->n_sections++;
}

void
state_image_record(struct state_image_writer *w, const void *rec)
{
	struct state_image_section s;

	memcpy(&s, w->data + w->section_at, sizeof(s));
	writer_put(w, rec, s.record_len);
}

int
state_image_finish(struct state_image_writer *w, uint64_t saved_ms, void **buf, size_t *len)
{
	struct state_image_header h;

	section_close(w);
	if (w->failed) {
		free(w->data);
		w->data = NULL;
		return -ENOMEM;
	}
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, STATE_IMAGE_MAGIC, sizeof(STATE_IMAGE_MAGIC));
	h.version = STATE_IMAGE_VERSION;
	h.byte_order = STATE_IMAGE_BYTE_ORDER;
	h.header_len = sizeof(h);
	h.n_sections = w->n_sections;
	h.saved_ms = saved_ms;
	h.body_len = w->len - sizeof(h);
	h.body_crc = state_image_crc(w->data + sizeof(h), h.body_len);
	h.header_crc = state_image_crc(&h, sizeof(h));
	memcpy(w->data, &h, sizeof(h));
	*buf = w->data;
	*len = w->len;
	w->data = NULL;
	return 0;
}

/* ---- checking ---- */

static int
refuse(char *err, size_t errlen, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* "state image: byte AT: what"; -EINVAL. */
static int
refuse(char *err, size_t errlen, size_t at, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "state image: byte %zu: %s", at, what);
	return -EINVAL;
}

static bool
id_ok(const char id[TOPO_ID_LEN])
{
	return memchr(id, '\0', TOPO_ID_LEN) != NULL;
}

static bool
tuple_ok(const struct state_image_tuple *t)
{
	return t->v6 <= 1 && t->kind <= CT_KIND_DNAT_REV;
}

/* One connection or binding record; NULL if sound, else what is wrong. */
static const char *
conn_wrong(const struct state_image_conn *c)
{
	if (!id_ok(c->device))
		return "the device id is not terminated";
	if (c->device_type > STATE_IMAGE_DEV_ROUTER)
		return "unknown device type";
	if (!tuple_ok(&c->keys[0]) || !tuple_ok(&c->keys[1]))
		return "a key of unknown kind";
	if (c->n_keys == 1)
		return c->keys[0].kind == CT_KIND_CONN && c->device_type == STATE_IMAGE_DEV_NONE ?
			       NULL : "a connection with a NAT key or device";
	if (c->n_keys != 2)
		return "neither 1 key (a connection) nor 2 (a NAT binding)";
	if (c->device_type == STATE_IMAGE_DEV_NONE || c->device[0] == '\0')
		return "a NAT binding without its device";
	if ((c->keys[0].kind != CT_KIND_SNAT_FWD && c->keys[0].kind != CT_KIND_DNAT_FWD) ||
	    c->keys[1].kind != c->keys[0].kind + 1)
		return "a NAT binding whose keys are not a forward and its reverse";
	return NULL;
}

static const char *
record_wrong(uint16_t type, const void *rec)
{
	const struct state_image_mac *m = rec;
	const struct state_image_neigh *n = rec;
	const struct state_image_lease *l = rec;

	switch (type) {
	case STATE_IMAGE_CONNS:
		return conn_wrong(rec);
	case STATE_IMAGE_MACS:
		return id_ok(m->bridge) && id_ok(m->port) ? NULL : "an id is not terminated";
	case STATE_IMAGE_NEIGHBOURS:
		return id_ok(n->router) && id_ok(n->port) ? NULL : "an id is not terminated";
	default:
		if (!id_ok(l->device))
			return "the device id is not terminated";
		return l->device_type == STATE_IMAGE_DEV_NONE || l->device_type >
			STATE_IMAGE_DEV_ROUTER ? "unknown device type" : NULL;
	}
}

static int
check_header(const uint8_t *p, size_t len, struct state_image_header *h, char *err,
	     size_t errlen)
{
	uint32_t crc;

	if (len < sizeof(*h))
		return refuse(err, errlen, len, "truncated: %zu bytes, the header alone is %zu",
			      len, sizeof(*h));
	memcpy(h, p, sizeof(*h));
	if (memcmp(h->magic, STATE_IMAGE_MAGIC, sizeof(STATE_IMAGE_MAGIC)) != 0)
		return refuse(err, errlen, 0, "not a state image (no \"%s\" magic)",
			      STATE_IMAGE_MAGIC);
	if (h->byte_order != STATE_IMAGE_BYTE_ORDER)
		return refuse(err, errlen, offsetof(struct state_image_header, byte_order),
			      "written by a host of another byte order");
	if (h->version != STATE_IMAGE_VERSION)
		return refuse(err, errlen, offsetof(struct state_image_header, version),
			      "version %" PRIu32 ", this kairod reads version %d", h->version,
			      STATE_IMAGE_VERSION);
	if (h->header_len != sizeof(*h))
		return refuse(err, errlen, offsetof(struct state_image_header, header_len),
			      "a header of %" PRIu32 " bytes, version %d has %zu", h->header_len,
			      STATE_IMAGE_VERSION, sizeof(*h));
	crc = h->header_crc;
	h->header_crc = 0;
	if (state_image_crc(h, sizeof(*h)) != crc)
		return refuse(err, errlen, offsetof(struct state_image_header, header_crc),
			      "the header's checksum does not match: corrupt");
	h->header_crc = crc;
	if (h->body_len != len - sizeof(*h))
		return refuse(err, errlen, len, "%s: the header says %" PRIu64 " bytes of body, "
			      "%zu are there", h->body_len > len - sizeof(*h) ? "truncated" :
			      "bytes past the end", h->body_len, len - sizeof(*h));
	if (state_image_crc(p + sizeof(*h), len - sizeof(*h)) != h->body_crc)
		return refuse(err, errlen, sizeof(*h), "the body's checksum does not match "
			      "the header's: corrupt");
	return 0;
}

int
state_image_check(const void *buf, size_t len, char *err, size_t errlen)
{
	const uint8_t *p = buf;
	struct state_image_header h = {0};
	struct state_image_section s;
	size_t off = sizeof(h), rec_len;
	uint32_t i, r;
	int ret;

	if ((ret = check_header(p, len, &h, err, errlen)) != 0)
		return ret;
	for (i = 0; i < h.n_sections; i++) {
		const char *name, *wrong;

		if (len - off < sizeof(s))
			return refuse(err, errlen, off, "truncated: section %" PRIu32 " of %" PRIu32
				      " has no header", i + 1, h.n_sections);
		memcpy(&s, p + off, sizeof(s));
		rec_len = state_image_record_len(s.type);
		if (rec_len == 0)
			return refuse(err, errlen, off, "section %" PRIu32 ": unknown type %u",
				      i + 1, s.type);
		name = section_names[s.type];
		if (s.record_len != rec_len)
			return refuse(err, errlen, off, "section %" PRIu32 " (%s): records of %u "
				      "bytes, version %d's are %zu", i + 1, name, s.record_len,
				      STATE_IMAGE_VERSION, rec_len);
		off += sizeof(s);
		if ((uint64_t)s.count * rec_len > len - off)
			return refuse(err, errlen, off, "truncated: section %" PRIu32 " (%s) says "
				      "%" PRIu32 " records of %zu bytes, %zu bytes are left", i + 1,
				      name, s.count, rec_len, len - off);
		for (r = 0; r < s.count; r++, off += rec_len) {
			uint8_t rec[sizeof(struct state_image_conn)];

			memcpy(rec, p + off, rec_len); /* aligned for reading */
			wrong = record_wrong(s.type, rec);
			if (wrong != NULL)
				return refuse(err, errlen, off, "section %" PRIu32 " (%s), record %"
					      PRIu32 ": %s", i + 1, name, r + 1, wrong);
		}
	}
	if (off != len)
		return refuse(err, errlen, off, "%zu bytes after the last section", len - off);
	return 0;
}

void
state_image_report_str(const struct state_image_report *rep, char *buf, size_t len)
{
	snprintf(buf, len,
		 "%" PRIu32 " connection(s), %" PRIu32 " NAT binding(s), %" PRIu32 " MAC(s), %"
		 PRIu32 " neighbour(s), %" PRIu32 " SNAT block(s) restored (saved %" PRIu64
		 " ms before); skipped: %" PRIu32 " no longer in the topology, %" PRIu32
		 " expired, %" PRIu32 " no room, %" PRIu32 " blocks without a state store",
		 rep->conns, rep->nat_bindings, rep->macs, rep->neighbours, rep->lease_blocks,
		 rep->saved_ms_ago, rep->skipped_topology, rep->skipped_expired,
		 rep->skipped_full, rep->skipped_no_store);
}
