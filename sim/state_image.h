/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A state image: the simulation's learned and connection state, written by
 * one kairod and read by the next (a plain stop and start with
 * restart.state_file, or the hand-over of `kairoctl restart`), so that a
 * restart keeps connections, NAT bindings and their public ports, the SNAT
 * port blocks this host holds, learned MACs and resolved neighbours.
 * Flows are not in it: the next packet of each is simulated again against
 * the restored state.
 *
 * Devices and ports are named by their topology ids, never by indexes: a
 * topology that changed between save and load maps what still exists and
 * skips (and counts) the rest.  Times are what is left to live, in
 * milliseconds (TSC values mean nothing in another process); the time that
 * passed between save and load (wall clock) is taken off.
 *
 * The format, host byte order (the header says which, and another is
 * refused):
 *
 *   header   struct state_image_header: magic, version, sizes, the time of
 *            the save, and CRC32C of the header and of the body
 *   body     sections, each a struct state_image_section (type, record
 *            size, count) and count records of that size
 *
 * A reader checks everything before it changes anything: the header, the
 * checksums, each section's length against the bytes present, each record
 * (strings terminated, kinds known).  A truncated or corrupt image is refused
 * with a message that says what is wrong and at which byte, and nothing of it
 * is loaded.
 *
 * Thread-safety: saving and loading read and write the simulation thread's
 * tables, so they run on that thread (sim_thread_call) or while it is
 * stopped; the calls below see to it.
 */
#ifndef KAIRO_STATE_IMAGE_H
#define KAIRO_STATE_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "topology.h"

#define STATE_IMAGE_MAGIC "KAIROSI"
#define STATE_IMAGE_VERSION 1
#define STATE_IMAGE_BYTE_ORDER 0x01020304u

enum state_image_section_type {
	STATE_IMAGE_CONNS = 1,      /* connections and NAT bindings: struct state_image_conn */
	STATE_IMAGE_MACS = 2,       /* learned MACs: struct state_image_mac */
	STATE_IMAGE_NEIGHBOURS = 3, /* resolved ARP / ND entries: struct state_image_neigh */
	STATE_IMAGE_LEASES = 4,     /* SNAT blocks this host holds: struct state_image_lease */
	STATE_IMAGE_SECTION_MAX = 4,
};

struct state_image_header {
	char magic[8];           /* STATE_IMAGE_MAGIC and a NUL */
	uint32_t version;        /* STATE_IMAGE_VERSION */
	uint32_t byte_order;     /* STATE_IMAGE_BYTE_ORDER as the writer stored it */
	uint32_t header_len;     /* sizeof(struct state_image_header) */
	uint32_t n_sections;
	uint64_t saved_ms;       /* CLOCK_REALTIME at the save */
	uint64_t body_len;       /* bytes after the header */
	uint32_t body_crc;       /* CRC32C of the body */
	uint32_t header_crc;     /* CRC32C of the header with this field 0 */
};

struct state_image_section {
	uint16_t type;           /* enum state_image_section_type */
	uint16_t record_len;     /* the record's size in this version: checked */
	uint32_t count;
};

/* Which device a NAT binding's keys belong to. */
enum state_image_device {
	STATE_IMAGE_DEV_NONE = 0,   /* a connection: no device */
	STATE_IMAGE_DEV_BRIDGE = 1,
	STATE_IMAGE_DEV_ROUTER = 2,
};

/* A 5-tuple as conntrack keys it (sim/conntrack.h), without the device. */
struct state_image_tuple {
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t sport;
	uint16_t dport;
	uint8_t proto;
	uint8_t v6;
	uint8_t kind;            /* enum ct_kind */
	uint8_t pad;
};

struct state_image_conn {
	char device[TOPO_ID_LEN];  /* the translating device's id; "" for a connection */
	uint8_t device_type;       /* enum state_image_device */
	uint8_t n_keys;            /* 1: a connection; 2: a NAT binding (forward, reverse) */
	uint8_t nat_port;          /* the port is translated too */
	uint8_t pad;
	uint32_t remaining_ms;     /* left to live unused */
	struct state_image_tuple keys[2];
	uint32_t orig_addr;        /* network order, as struct ct_nat */
	uint32_t xlat_addr;
	uint16_t orig_port;
	uint16_t xlat_port;
};

struct state_image_mac {
	char bridge[TOPO_ID_LEN];
	char port[TOPO_ID_LEN];    /* the bridge port it was learned on */
	uint8_t mac[6];
	uint16_t vlan;
	uint32_t remaining_ms;
	uint32_t aging_ms;
};

struct state_image_neigh {
	char router[TOPO_ID_LEN];
	char port[TOPO_ID_LEN];    /* the router port the neighbour is reached by */
	uint8_t addr[16];          /* IPv6, or IPv4-mapped (sim/arp_table.h) */
	uint8_t mac[6];
	uint16_t pad;
	uint32_t remaining_ms;
};

struct state_image_lease {
	char device[TOPO_ID_LEN];  /* the translating device's id */
	uint8_t device_type;       /* enum state_image_device */
	uint8_t pad[3];
	uint32_t addr;             /* host order */
	uint16_t block;            /* ports 64 * block .. 64 * block + 63 */
	uint16_t pad2;
};

/* What a load took in, and what it left out and why. */
struct state_image_report {
	uint32_t conns;          /* connections restored */
	uint32_t nat_bindings;   /* NAT bindings restored */
	uint32_t macs;
	uint32_t neighbours;
	uint32_t lease_blocks;   /* SNAT blocks held again */
	uint32_t skipped_topology; /* their device or port is no longer in the topology */
	uint32_t skipped_expired;  /* their time ran out between save and load */
	uint32_t skipped_full;     /* no room (a smaller table), or the key is taken */
	uint32_t skipped_no_store; /* SNAT blocks, but no state store configured now */
	uint64_t saved_ms_ago;     /* how long before the load the image was saved */
};

struct sim_thread;

/*
 * Check an image without loading it (no tables, no EAL): 0, or -EINVAL with
 * err saying what is wrong and at which byte.
 */
int state_image_check(const void *buf, size_t len, char *err, size_t errlen);

/*
 * The thread's state as an image, in a buffer the caller frees with free():
 * 0, or -ENOMEM.  Runs on the simulation thread (sim_thread_call).
 */
int sim_state_image_save(struct sim_thread *st, void **buf, size_t *len);

/*
 * Load an image into the thread's tables (on its thread): what the current
 * topology still has is restored, the rest counted in *rep.  0; or -EINVAL
 * with err (a truncated or corrupt image: nothing is loaded).
 */
int sim_state_image_load(struct sim_thread *st, const void *buf, size_t len,
			 struct state_image_report *rep, char *err, size_t errlen);

/* The checksum of the header and of the body (CRC32C). */
uint32_t state_image_crc(const void *data, size_t len);

/* The report as one line ("12 connections, 3 NAT bindings, ... restored; 1 skipped ..."). */
void state_image_report_str(const struct state_image_report *rep, char *buf, size_t len);

#endif
