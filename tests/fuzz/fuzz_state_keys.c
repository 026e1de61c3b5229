/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer: what Kairo reads back from Redis (nsdb/state_keys.h): a tuple,
 * a connection's or NAT binding's value, a learned MAC's value, an ARP
 * entry's value.  Another host, an older Kairo or an operator with
 * redis-cli may have written anything there.
 *
 * Input: byte 0 picks the reader (mod 4), byte 1 shapes the query (a NAT
 * lookup's kind and which of the value's tuples it asks by; the port
 * buffer's length for a MAC), byte 2 is the query's device; the rest, up to
 * a NUL, is the text Redis returned (hiredis ends a reply with one).
 *
 * Invariants checked: 0 or -EINVAL; what a parse that succeeds fills is as
 * documented (a tuple's kind and device zero, a lookup's answer holding the
 * query, its keys and their kinds, a non-empty port that fits, a MAC that
 * is not zero) and kind and status of an answer untouched; and what parses
 * formats back to text that parses to the same thing.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <rte_ether.h>

#include "fuzz.h"
#include "state_keys.h"

#define HDR_LEN 3
#define HOST "host-a"
/* What the store thread starts an answer with (redis_state.c sets kind and status). */
#define ANSWER_KIND 0x77
#define ANSWER_STATUS 0x66
#define GARBAGE 0xa5

enum reader {
	READ_TUPLE,
	READ_CT,
	READ_MAC,
	READ_ARP,
	READ_COUNT,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
tuple_checked(const char *s)
{
	char text[STATE_KEY_LEN], again_text[STATE_KEY_LEN];
	struct ct_key k, again;
	int ret, len;

	memset(&k, GARBAGE, sizeof(k));
	ret = state_tuple_parse(s, &k);
	FUZZ_CHECK(ret == 0 || ret == -EINVAL);
	if (ret != 0)
		return;
	/* The reverse of state_tuple_format: kind and device zero, padding too (hashed raw). */
	FUZZ_CHECK(k.kind == CT_KIND_CONN && k.device == 0 && k.pad0 == 0 && k.pad1 == 0);
	FUZZ_CHECK(k.proto != 0 && k.v6 <= 1);
	len = state_tuple_format(&k, text, sizeof(text));
	FUZZ_CHECK(len > 0 && (size_t)len == strlen(text));
	memset(&again, GARBAGE, sizeof(again));
	FUZZ_CHECK(state_tuple_parse(text, &again) == 0);
	FUZZ_CHECK(memcmp(&k, &again, sizeof(k)) == 0);
	/* The text a host writes is the one form: formatting it again changes nothing. */
	FUZZ_CHECK(state_tuple_format(&again, again_text, sizeof(again_text)) == len);
	FUZZ_CHECK(strcmp(text, again_text) == 0);
}

static bool
nat_equal(const struct ct_nat *a, const struct ct_nat *b)
{
	return a->orig_addr == b->orig_addr && a->xlat_addr == b->xlat_addr &&
	       a->orig_port == b->orig_port && a->xlat_port == b->xlat_port && a->port == b->port;
}

/* state_value_ct_parse into a fresh answer, kind and status as the store thread sets them. */
static int
ct_parse(const char *value, const struct ct_key *query, struct state_answer *a)
{
	int ret;

	memset(a, GARBAGE, sizeof(*a));
	a->kind = ANSWER_KIND;
	a->status = ANSWER_STATUS;
	ret = state_value_ct_parse(value, query, a);
	FUZZ_CHECK(ret == 0 || ret == -EINVAL);
	FUZZ_CHECK(a->kind == ANSWER_KIND && a->status == ANSWER_STATUS);
	return ret;
}

/*
 * The query: a lookup of one of the value's own tuples when it has them
 * (else a fixed one), of the kind and device the framing says, so that
 * values that hold the key asked for are reached too.
 */
static void
ct_query(const char *value, uint8_t shape, uint8_t device, struct ct_key *q)
{
	json_t *v = json_loads(value, 0, NULL);
	const char *tuple = json_string_value(json_object_get(v, shape & 0x08 ? "rev" : "fwd"));

	if (tuple == NULL || state_tuple_parse(tuple, q) != 0)
		FUZZ_CHECK(state_tuple_parse("udp/10.0.0.1/4000/192.0.2.7/53", q) == 0);
	json_decref(v);
	q->kind = (uint8_t)((shape & 0x07) % (CT_KIND_DNAT_REV + 1));
	q->device = device;
}

static void
ct_checked(const char *value, uint8_t shape, uint8_t device)
{
	struct state_answer a, again;
	struct state_write w;
	struct ct_key q;
	char text[STATE_VALUE_LEN];
	bool snat;

	ct_query(value, shape, device, &q);
	if (ct_parse(value, &q, &a) != 0)
		return;
	FUZZ_CHECK(memcmp(&a.query, &q, sizeof(q)) == 0);
	if (q.kind == CT_KIND_CONN) {
		FUZZ_CHECK(a.n_keys == 1 && memcmp(&a.key[0], &q, sizeof(q)) == 0);
		return;
	}
	/* A binding: both keys, of the query's NAT kind and device, one of them the query's. */
	snat = q.kind == CT_KIND_SNAT_FWD || q.kind == CT_KIND_SNAT_REV;
	FUZZ_CHECK(a.n_keys == 2);
	FUZZ_CHECK(a.key[0].kind == (snat ? CT_KIND_SNAT_FWD : CT_KIND_DNAT_FWD));
	FUZZ_CHECK(a.key[1].kind == (snat ? CT_KIND_SNAT_REV : CT_KIND_DNAT_REV));
	FUZZ_CHECK(a.key[0].device == q.device && a.key[1].device == q.device);
	FUZZ_CHECK(memcmp(&a.key[0], &q, sizeof(q)) == 0 || memcmp(&a.key[1], &q, sizeof(q)) == 0);
	/* Written back as this host writes a binding, it reads the same. */
	memset(&w, 0, sizeof(w));
	w.kind = STATE_WRITE_NAT;
	w.ct.key[0] = a.key[0];
	w.ct.key[1] = a.key[1];
	w.ct.nat = a.nat;
	FUZZ_CHECK(state_value_ct(HOST, &w, text, sizeof(text)) > 0);
	FUZZ_CHECK(ct_parse(text, &q, &again) == 0);
	FUZZ_CHECK(again.n_keys == 2 && memcmp(again.key, a.key, sizeof(a.key)) == 0);
	FUZZ_CHECK(nat_equal(&again.nat, &a.nat));
}

/* No character JSON would need escaped. */
static bool
plain(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < ' ' || *s == '"' || *s == '\\')
			return false;
	return true;
}

static bool
is_json(const char *text)
{
	json_t *v = json_loads(text, 0, NULL);

	json_decref(v);
	return v != NULL;
}

static void
mac_checked(const char *value, uint8_t shape)
{
	/* The port's room from the framing, on the heap: ASan sees a byte written past it. */
	size_t len = 1 + shape % TOPO_ID_LEN;
	char *port = malloc(len), again[TOPO_ID_LEN], text[STATE_VALUE_LEN];
	struct state_write w;
	int ret;

	FUZZ_CHECK(port != NULL);
	ret = state_value_mac_parse(value, port, len);
	FUZZ_CHECK(ret == 0 || ret == -EINVAL);
	if (ret == 0) {
		FUZZ_CHECK(port[0] != '\0' && strlen(port) < len);
		memset(&w, 0, sizeof(w));
		w.kind = STATE_WRITE_MAC;
		memcpy(w.l2.port, port, strlen(port) + 1);
		/*
		 * Written back as this host writes it, it reads the same.  The writer
		 * puts the port id in as it is: one with a quote, a backslash or a
		 * control character would need escaping (ids of the tests and of
		 * midonet-cli have none), and invalid UTF-8 is no JSON at all.
		 */
		FUZZ_CHECK(state_value_l2(HOST, &w, text, sizeof(text)) > 0);
		if (plain(port) && is_json(text)) {
			FUZZ_CHECK(state_value_mac_parse(text, again, sizeof(again)) == 0);
			FUZZ_CHECK(strcmp(again, port) == 0);
		}
	}
	free(port);
}

static void
arp_checked(const char *value)
{
	struct rte_ether_addr mac, again;
	struct state_write w;
	char text[STATE_VALUE_LEN];
	int ret;

	ret = state_value_arp_parse(value, &mac);
	FUZZ_CHECK(ret == 0 || ret == -EINVAL);
	if (ret != 0)
		return;
	FUZZ_CHECK(!rte_is_zero_ether_addr(&mac));
	memset(&w, 0, sizeof(w));
	w.kind = STATE_WRITE_ARP;
	w.l2.mac = mac;
	FUZZ_CHECK(state_value_l2(HOST, &w, text, sizeof(text)) > 0);
	FUZZ_CHECK(state_value_arp_parse(text, &again) == 0);
	FUZZ_CHECK(rte_is_same_ether_addr(&mac, &again));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *value;

	if (size < HDR_LEN)
		return -1;
	/* The reply's text, ended where hiredis ends it for a C reader: at the first NUL. */
	value = strndup((const char *)data + HDR_LEN, size - HDR_LEN);
	FUZZ_CHECK(value != NULL);
	switch (data[0] % READ_COUNT) {
	case READ_TUPLE:
		tuple_checked(value);
		break;
	case READ_CT:
		ct_checked(value, data[1], data[2]);
		break;
	case READ_MAC:
		mac_checked(value, data[1]);
		break;
	default:
		arp_checked(value);
		break;
	}
	free(value);
	return 0;
}
