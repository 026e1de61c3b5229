/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nsdb/state_keys.c, as a specification: the text every host writes to and
 * reads from the state store.  Other hosts (and operators with redis-cli)
 * read these keys and values, so each is compared with the exact string
 * written out by hand, not with what the formatter happened to produce.
 *
 *   tuples   format and parse are each other's inverse (TCP, UDP, ICMP
 *            echo, IPv6, a protocol without a name), and parse refuses
 *            what no host writes: exactly five non-empty fields, plain
 *            decimal numbers in range;
 *   keys     a connection's key names no router; a NAT key names the
 *            router by id (its index is local to each host) and the kind;
 *   values   a NAT binding's value, read back for a lookup of either of
 *            its keys, gives both keys and the binding, with the device
 *            of the host that asked; a value that is not ours is refused;
 *   l2       learned MACs and ARP entries; SNAT block keys;
 *   room     every formatter says -ENOSPC rather than write a cut string.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <rte_common.h>

#include "state_keys.h"

#define PREFIX "kairo"
#define HOST "host-a"
#define ROUTER "r1"
#define BRIDGE "bridge1"
/* A router's index differs from host to host: the reading host's is not the writer's. */
#define WRITER_DEVICE 3
#define READER_DEVICE 7
#define GARBAGE 0xa5
#define ANSWER_STATUS_UNTOUCHED 0xee

/* A key as the simulation builds it: zeroed, then the fields (raw-hashed and memcmp'ed). */
static struct ct_key
key4(uint8_t proto, const char *src, uint16_t sport, const char *dst, uint16_t dport)
{
	struct ct_key k;

	memset(&k, 0, sizeof(k));
	k.proto = proto;
	assert_int_equal(inet_pton(AF_INET, src, k.src), 1);
	assert_int_equal(inet_pton(AF_INET, dst, k.dst), 1);
	k.sport = sport;
	k.dport = dport;
	return k;
}

static struct ct_key
key6(uint8_t proto, const char *src, uint16_t sport, const char *dst, uint16_t dport)
{
	struct ct_key k;

	memset(&k, 0, sizeof(k));
	k.proto = proto;
	k.v6 = 1;
	assert_int_equal(inet_pton(AF_INET6, src, k.src), 1);
	assert_int_equal(inet_pton(AF_INET6, dst, k.dst), 1);
	k.sport = sport;
	k.dport = dport;
	return k;
}

static struct ct_key
with_kind(struct ct_key k, uint8_t kind, uint32_t device)
{
	k.kind = kind;
	k.device = device;
	return k;
}

static rte_be32_t
ipv4(const char *s)
{
	rte_be32_t a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static void
assert_keys_equal(const struct ct_key *got, const struct ct_key *want)
{
	assert_memory_equal(got, want, sizeof(*want));
}

/* k is written as text, exactly, and read back as k (kind and device zero). */
static void
assert_tuple_round_trip(const struct ct_key *k, const char *text)
{
	char buf[STATE_KEY_LEN];
	struct ct_key back;

	assert_int_equal(state_tuple_format(k, buf, sizeof(buf)), (int)strlen(text));
	assert_string_equal(buf, text);
	memset(&back, GARBAGE, sizeof(back));
	assert_int_equal(state_tuple_parse(buf, &back), 0);
	assert_keys_equal(&back, k);
}

/* ---- tuples ---- */

static void
test_tcp_and_udp_tuples_are_proto_src_sport_dst_dport(void **state)
{
	struct ct_key tcp = key4(IPPROTO_TCP, "10.0.0.1", 40000, "192.0.2.7", 443);
	struct ct_key udp = key4(IPPROTO_UDP, "10.0.0.1", 4000, "192.0.2.7", 53);
	struct ct_key top = key4(IPPROTO_UDP, "255.255.255.255", 65535, "0.0.0.0", 0);

	assert_tuple_round_trip(&tcp, "tcp/10.0.0.1/40000/192.0.2.7/443");
	assert_tuple_round_trip(&udp, "udp/10.0.0.1/4000/192.0.2.7/53");
	assert_tuple_round_trip(&top, "udp/255.255.255.255/65535/0.0.0.0/0");
}

static void
test_icmp_tuples_carry_the_type_and_the_echo_identifier_or_code(void **state)
{
	/* Echo: the request's type for SPORT, the identifier (0xbeef) for DPORT. */
	struct ct_key echo = key4(IPPROTO_ICMP, "10.0.0.1", 8, "192.0.2.7", 0xbeef);
	/* Destination unreachable, port unreachable: type 3, code 3. */
	struct ct_key unreach = key4(IPPROTO_ICMP, "192.0.2.7", 3, "10.0.0.1", 3);
	struct ct_key echo6 = key6(IPPROTO_ICMPV6, "2001:db8::1", 128, "2001:db8::2", 7);

	assert_tuple_round_trip(&echo, "icmp/10.0.0.1/8/192.0.2.7/48879");
	assert_tuple_round_trip(&unreach, "icmp/192.0.2.7/3/10.0.0.1/3");
	assert_tuple_round_trip(&echo6, "icmp6/2001:db8::1/128/2001:db8::2/7");
}

static void
test_ipv6_tuples_use_the_shortest_address_text(void **state)
{
	struct ct_key tcp6 = key6(IPPROTO_TCP, "2001:db8:0:0:0:0:0:1", 40000,
				  "2001:0DB8:0:0:0:0:a:2", 443);
	struct ct_key mapped = key6(IPPROTO_UDP, "::ffff:10.0.0.1", 4000, "::1", 53);
	struct ct_key parsed;

	assert_tuple_round_trip(&tcp6, "tcp/2001:db8::1/40000/2001:db8::a:2/443");
	/* A v4-mapped address is IPv6: it has a colon. */
	assert_tuple_round_trip(&mapped, "udp/::ffff:10.0.0.1/4000/::1/53");
	/* The long form another writer might use is read as the same key. */
	assert_int_equal(state_tuple_parse("tcp/2001:0db8:0000::0001/40000/2001:db8:0:0:0:0:a:2/443",
					   &parsed), 0);
	assert_keys_equal(&parsed, &tcp6);
}

static void
test_protocols_without_a_name_are_written_as_their_number(void **state)
{
	struct ct_key gre = key4(47, "10.0.0.1", 0, "192.0.2.7", 0);
	struct ct_key top = key4(255, "10.0.0.1", 1, "192.0.2.7", 2);
	struct ct_key sctp = key4(IPPROTO_SCTP, "10.0.0.1", 5000, "192.0.2.7", 5001);
	struct ct_key parsed;

	assert_tuple_round_trip(&gre, "47/10.0.0.1/0/192.0.2.7/0");
	assert_tuple_round_trip(&top, "255/10.0.0.1/1/192.0.2.7/2");
	assert_tuple_round_trip(&sctp, "sctp/10.0.0.1/5000/192.0.2.7/5001");
	/* A named protocol given by number is the same key. */
	assert_int_equal(state_tuple_parse("6/10.0.0.1/40000/192.0.2.7/443", &parsed), 0);
	assert_int_equal(parsed.proto, IPPROTO_TCP);
}

static void
test_parse_zeroes_the_kind_and_the_device(void **state)
{
	struct ct_key k;

	memset(&k, GARBAGE, sizeof(k));
	assert_int_equal(state_tuple_parse("udp/10.0.0.1/4000/192.0.2.7/53", &k), 0);
	assert_int_equal(k.kind, CT_KIND_CONN);
	assert_int_equal(k.device, 0);
	assert_int_equal(k.v6, 0);
	assert_int_equal(k.pad0, 0);
	assert_int_equal(k.pad1, 0);
	/* IPv4 fills the first 4 bytes of each address; the rest is zero, as ct_key_of leaves it. */
	assert_int_equal(k.src[4], 0);
	assert_int_equal(k.dst[15], 0);
}

static void
test_parse_refuses_what_no_host_writes(void **state)
{
	static const char *const refused[] = {
		"",
		"/",
		"udp",
		"udp/10.0.0.1/4000/192.0.2.7",           /* four fields */
		"udp/10.0.0.1/4000/192.0.2.7/53/9",      /* six */
		"udp/10.0.0.256/4000/192.0.2.7/53",      /* not an address */
		"udp/10.0.0.1/4000/192.0.2/53",
		"udp/host.example/4000/192.0.2.7/53",
		"udp/10.0.0.1/4000/2001:db8::1/53",      /* one address of each family */
		"udp/2001:db8::1/4000/10.0.0.1/53",
		"udp/2001:db8::g/4000/2001:db8::1/53",
		"udp/10.0.0.1/65536/192.0.2.7/53",       /* ports are 16 bits */
		"udp/10.0.0.1/4000/192.0.2.7/99999",
		"udp/10.0.0.1/-1/192.0.2.7/53",
		"udp/10.0.0.1/40x/192.0.2.7/53",
		"udp/10.0.0.1/4000/192.0.2.7/",
		"bogus/10.0.0.1/4000/192.0.2.7/53",      /* a name we never write */
		"TCP/10.0.0.1/4000/192.0.2.7/53",
		"0/10.0.0.1/4000/192.0.2.7/53",          /* protocol numbers 1 .. 255 */
		"256/10.0.0.1/4000/192.0.2.7/53",
	};
	struct ct_key k;
	size_t i;

	for (i = 0; i < RTE_DIM(refused); i++) {
		print_message("refused: \"%s\"\n", refused[i]);
		assert_int_equal(state_tuple_parse(refused[i], &k), -EINVAL);
	}
}

/* Separators and numbers exactly as written: what a lenient split or strtoul would let by. */
static void
test_parse_wants_five_non_empty_fields_and_plain_numbers(void **state)
{
	static const char *const refused[] = {
		"udp//10.0.0.1/4000/192.0.2.7/53",       /* an empty field among five others */
		"udp/10.0.0.1//4000/192.0.2.7/53",
		"/udp/10.0.0.1/4000/192.0.2.7/53",       /* a leading separator */
		"udp/10.0.0.1/4000/192.0.2.7/53/",       /* a trailing one */
		"udp/10.0.0.1/4000/192.0.2.7//53",
		"udp//4000/192.0.2.7/53",                /* five fields, one empty */
		"//4000/192.0.2.7/53",
		"////",
		"udp/10.0.0.1/+4000/192.0.2.7/53",       /* a sign */
		"udp/10.0.0.1/4000/192.0.2.7/-0",
		"+6/10.0.0.1/4000/192.0.2.7/53",
		"udp/10.0.0.1/ 4000/192.0.2.7/53",       /* blanks, before or after */
		"udp/10.0.0.1/4000/192.0.2.7/53 ",
		"udp/10.0.0.1/4000/192.0.2.7/53\n",
		"udp/ 10.0.0.1/4000/192.0.2.7/53",
		"udp/10.0.0.1/4000/192.0.2.7/0x35",      /* decimal only */
		"udp/10.0.0.1/4294967296/192.0.2.7/53",  /* past 32 bits, not wrapped */
		"udp/10.0.0.1/18446744073709551617/192.0.2.7/53",
		"6 /10.0.0.1/4000/192.0.2.7/53",
	};
	struct ct_key k;
	size_t i;

	for (i = 0; i < RTE_DIM(refused); i++) {
		print_message("refused: \"%s\"\n", refused[i]);
		assert_int_equal(state_tuple_parse(refused[i], &k), -EINVAL);
	}
	/* The edges of each number are taken. */
	assert_int_equal(state_tuple_parse("255/10.0.0.1/65535/192.0.2.7/0", &k), 0);
	assert_int_equal(k.proto, 255);
	assert_int_equal(k.sport, 65535);
	assert_int_equal(k.dport, 0);
	assert_int_equal(state_tuple_parse("1/10.0.0.1/0/192.0.2.7/65535", &k), 0);
	assert_int_equal(k.proto, 1);
}

static void
test_parse_refuses_a_string_longer_than_a_key(void **state)
{
	char longer[STATE_KEY_LEN + 16];
	struct ct_key k;

	/* Leading zeros make a valid-looking port of any length. */
	memset(longer, '0', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	memcpy(longer, "udp/10.0.0.1/4000/192.0.2.7/", strlen("udp/10.0.0.1/4000/192.0.2.7/"));
	assert_int_equal(state_tuple_parse(longer, &k), -EINVAL);
}

/* ---- keys ---- */

static void
test_a_connection_key_names_no_router(void **state)
{
	struct ct_key conn = key4(IPPROTO_UDP, "10.0.0.1", 4000, "192.0.2.7", 53);
	struct ct_key conn6 = key6(IPPROTO_TCP, "2001:db8::1", 40000, "2001:db8::2", 443);
	char buf[STATE_KEY_LEN];

	assert_int_equal(state_key_ct(PREFIX, "", &conn, buf, sizeof(buf)),
			 (int)strlen("kairo:conn:udp/10.0.0.1/4000/192.0.2.7/53"));
	assert_string_equal(buf, "kairo:conn:udp/10.0.0.1/4000/192.0.2.7/53");
	/* A device given for a connection is not part of its key: every host finds it. */
	state_key_ct(PREFIX, ROUTER, &conn, buf, sizeof(buf));
	assert_string_equal(buf, "kairo:conn:udp/10.0.0.1/4000/192.0.2.7/53");
	state_key_ct("other-cloud", "", &conn6, buf, sizeof(buf));
	assert_string_equal(buf, "other-cloud:conn:tcp/2001:db8::1/40000/2001:db8::2/443");
}

static void
test_a_nat_key_names_the_router_by_id_and_the_kind(void **state)
{
	static const struct {
		uint8_t kind;
		const char *key;
	} kinds[] = {
		{CT_KIND_SNAT_FWD, "kairo:nat:r1:snat_fwd:udp/10.0.0.1/4000/192.0.2.7/53"},
		{CT_KIND_SNAT_REV, "kairo:nat:r1:snat_rev:udp/10.0.0.1/4000/192.0.2.7/53"},
		{CT_KIND_DNAT_FWD, "kairo:nat:r1:dnat_fwd:udp/10.0.0.1/4000/192.0.2.7/53"},
		{CT_KIND_DNAT_REV, "kairo:nat:r1:dnat_rev:udp/10.0.0.1/4000/192.0.2.7/53"},
	};
	struct ct_key tuple = key4(IPPROTO_UDP, "10.0.0.1", 4000, "192.0.2.7", 53);
	char buf[STATE_KEY_LEN], other[STATE_KEY_LEN];
	size_t i;

	for (i = 0; i < RTE_DIM(kinds); i++) {
		struct ct_key k = with_kind(tuple, kinds[i].kind, WRITER_DEVICE);
		struct ct_key elsewhere = with_kind(tuple, kinds[i].kind, READER_DEVICE);

		assert_int_equal(state_key_ct(PREFIX, ROUTER, &k, buf, sizeof(buf)),
				 (int)strlen(kinds[i].key));
		assert_string_equal(buf, kinds[i].key);
		/* The index is this host's: another host, another index, the same key. */
		state_key_ct(PREFIX, ROUTER, &elsewhere, other, sizeof(other));
		assert_string_equal(other, kinds[i].key);
	}
}

static void
test_the_answers_key_of_a_masquerade(void **state)
{
	/* As tests/nsdb/test_redis_state.py reads it: how other hosts find the binding. */
	struct ct_key rev = with_kind(key4(IPPROTO_UDP, "198.51.100.2", 7777, "203.0.113.1", 10017),
				      CT_KIND_SNAT_REV, WRITER_DEVICE);
	char buf[STATE_KEY_LEN];

	state_key_ct(PREFIX, ROUTER, &rev, buf, sizeof(buf));
	assert_string_equal(buf, "kairo:nat:r1:snat_rev:udp/198.51.100.2/7777/203.0.113.1/10017");
}

static void
test_a_key_of_no_known_kind_is_refused(void **state)
{
	struct ct_key k = with_kind(key4(IPPROTO_UDP, "10.0.0.1", 4000, "192.0.2.7", 53),
				    CT_KIND_DNAT_REV + 1, WRITER_DEVICE);
	char buf[STATE_KEY_LEN];

	assert_int_equal(state_key_ct(PREFIX, ROUTER, &k, buf, sizeof(buf)), -ENOSPC);
}

/* ---- values ---- */

/* A masquerade of 10.0.0.1:4000 to 203.0.113.1:10000 towards 192.0.2.7:53, as router r1 writes it. */
static struct state_write
snat_write(bool port)
{
	struct state_write w;

	memset(&w, 0, sizeof(w));
	w.kind = STATE_WRITE_NAT;
	w.ttl_ms = 60000;
	snprintf(w.device, sizeof(w.device), "%s", ROUTER);
	w.ct.key[0] = with_kind(key4(IPPROTO_UDP, "10.0.0.1", 4000, "192.0.2.7", 53),
				CT_KIND_SNAT_FWD, WRITER_DEVICE);
	w.ct.key[1] = with_kind(key4(IPPROTO_UDP, "192.0.2.7", 53, "203.0.113.1", 10000),
				CT_KIND_SNAT_REV, WRITER_DEVICE);
	w.ct.nat.orig_addr = ipv4("10.0.0.1");
	w.ct.nat.orig_port = 4000;
	w.ct.nat.xlat_addr = ipv4("203.0.113.1");
	w.ct.nat.xlat_port = 10000;
	w.ct.nat.port = port;
	return w;
}

#define SNAT_VALUE                                                                                 \
	"{\"host\":\"host-a\",\"fwd\":\"udp/10.0.0.1/4000/192.0.2.7/53\","                          \
	"\"rev\":\"udp/192.0.2.7/53/203.0.113.1/10000\",\"orig\":\"10.0.0.1:4000\","                \
	"\"xlat\":\"203.0.113.1:10000\",\"port\":true}"

static void
test_a_connections_value_names_its_host(void **state)
{
	struct state_write w;
	char buf[STATE_VALUE_LEN];

	memset(&w, 0, sizeof(w));
	w.kind = STATE_WRITE_CONN;
	w.ct.key[0] = key4(IPPROTO_TCP, "10.0.0.1", 40000, "192.0.2.7", 443);
	assert_int_equal(state_value_ct(HOST, &w, buf, sizeof(buf)),
			 (int)strlen("{\"host\":\"host-a\"}"));
	assert_string_equal(buf, "{\"host\":\"host-a\"}");
}

static void
test_a_nat_value_holds_both_tuples_and_the_binding(void **state)
{
	struct state_write w = snat_write(true);
	char buf[STATE_VALUE_LEN];

	assert_int_equal(state_value_ct(HOST, &w, buf, sizeof(buf)), (int)strlen(SNAT_VALUE));
	assert_string_equal(buf, SNAT_VALUE);
	/* An address-only binding says so. */
	w = snat_write(false);
	state_value_ct(HOST, &w, buf, sizeof(buf));
	assert_string_equal(buf,
			    "{\"host\":\"host-a\",\"fwd\":\"udp/10.0.0.1/4000/192.0.2.7/53\","
			    "\"rev\":\"udp/192.0.2.7/53/203.0.113.1/10000\",\"orig\":\"10.0.0.1:4000\","
			    "\"xlat\":\"203.0.113.1:10000\",\"port\":false}");
}

/* An answer as the store thread starts it: kind and status are its own. */
static struct state_answer
fresh_answer(void)
{
	struct state_answer a;

	memset(&a, GARBAGE, sizeof(a));
	a.kind = STATE_ANSWER_LOOKUP;
	a.status = ANSWER_STATUS_UNTOUCHED;
	return a;
}

/* What a host with the router at READER_DEVICE takes in for a lookup of query. */
static void
assert_binding_read_back(const struct state_write *w, const struct ct_key *query,
			 uint8_t fwd_kind, uint8_t rev_kind)
{
	struct ct_key fwd = with_kind(w->ct.key[0], fwd_kind, READER_DEVICE);
	struct ct_key rev = with_kind(w->ct.key[1], rev_kind, READER_DEVICE);
	struct state_answer a = fresh_answer();
	char value[STATE_VALUE_LEN];

	assert_true(state_value_ct(HOST, w, value, sizeof(value)) > 0);
	assert_int_equal(state_value_ct_parse(value, query, &a), 0);
	assert_int_equal(a.kind, STATE_ANSWER_LOOKUP);
	assert_int_equal(a.status, ANSWER_STATUS_UNTOUCHED);
	assert_keys_equal(&a.query, query);
	assert_int_equal(a.n_keys, 2);
	assert_keys_equal(&a.key[0], &fwd);
	assert_keys_equal(&a.key[1], &rev);
	assert_int_equal(a.nat.orig_addr, w->ct.nat.orig_addr);
	assert_int_equal(a.nat.orig_port, w->ct.nat.orig_port);
	assert_int_equal(a.nat.xlat_addr, w->ct.nat.xlat_addr);
	assert_int_equal(a.nat.xlat_port, w->ct.nat.xlat_port);
	assert_int_equal(a.nat.port, w->ct.nat.port);
}

static void
test_a_binding_is_read_back_for_its_reverse_key_with_the_readers_device(void **state)
{
	struct state_write w = snat_write(true);
	struct ct_key query = with_kind(w.ct.key[1], CT_KIND_SNAT_REV, READER_DEVICE);

	assert_binding_read_back(&w, &query, CT_KIND_SNAT_FWD, CT_KIND_SNAT_REV);
}

static void
test_a_binding_is_read_back_for_its_forward_key(void **state)
{
	struct state_write w = snat_write(false);
	struct ct_key query = with_kind(w.ct.key[0], CT_KIND_SNAT_FWD, READER_DEVICE);

	assert_binding_read_back(&w, &query, CT_KIND_SNAT_FWD, CT_KIND_SNAT_REV);
}

static void
test_a_dnat_binding_is_read_back_with_dnat_kinds(void **state)
{
	struct state_write w;
	struct ct_key query;

	/* 198.51.100.2 -> 203.0.113.1:80, forwarded to 10.0.0.5:8080. */
	memset(&w, 0, sizeof(w));
	w.kind = STATE_WRITE_NAT;
	snprintf(w.device, sizeof(w.device), "%s", ROUTER);
	w.ct.key[0] = with_kind(key4(IPPROTO_TCP, "198.51.100.2", 51000, "203.0.113.1", 80),
				CT_KIND_DNAT_FWD, WRITER_DEVICE);
	w.ct.key[1] = with_kind(key4(IPPROTO_TCP, "10.0.0.5", 8080, "198.51.100.2", 51000),
				CT_KIND_DNAT_REV, WRITER_DEVICE);
	w.ct.nat.orig_addr = ipv4("203.0.113.1");
	w.ct.nat.orig_port = 80;
	w.ct.nat.xlat_addr = ipv4("10.0.0.5");
	w.ct.nat.xlat_port = 8080;
	w.ct.nat.port = true;

	query = with_kind(w.ct.key[1], CT_KIND_DNAT_REV, READER_DEVICE);
	assert_binding_read_back(&w, &query, CT_KIND_DNAT_FWD, CT_KIND_DNAT_REV);
	query = with_kind(w.ct.key[0], CT_KIND_DNAT_FWD, READER_DEVICE);
	assert_binding_read_back(&w, &query, CT_KIND_DNAT_FWD, CT_KIND_DNAT_REV);
}

static void
test_an_icmp_echo_binding_is_read_back(void **state)
{
	struct state_write w = snat_write(true);
	struct ct_key query;

	/* Echo identifier 0x1234 masqueraded to 0x4321: the identifier stands for the port. */
	w.ct.key[0] = with_kind(key4(IPPROTO_ICMP, "10.0.0.1", 8, "192.0.2.7", 0x1234),
				CT_KIND_SNAT_FWD, WRITER_DEVICE);
	w.ct.key[1] = with_kind(key4(IPPROTO_ICMP, "192.0.2.7", 8, "203.0.113.1", 0x4321),
				CT_KIND_SNAT_REV, WRITER_DEVICE);
	w.ct.nat.orig_port = 0x1234;
	w.ct.nat.xlat_port = 0x4321;
	query = with_kind(w.ct.key[1], CT_KIND_SNAT_REV, READER_DEVICE);
	assert_binding_read_back(&w, &query, CT_KIND_SNAT_FWD, CT_KIND_SNAT_REV);
}

static void
test_a_connection_is_read_back_as_the_query_alone(void **state)
{
	struct ct_key query = key4(IPPROTO_TCP, "10.0.0.1", 40000, "192.0.2.7", 443);
	struct state_answer a = fresh_answer();
	struct ct_nat none;

	memset(&none, 0, sizeof(none));
	assert_int_equal(state_value_ct_parse("{\"host\":\"host-b\"}", &query, &a), 0);
	assert_int_equal(a.kind, STATE_ANSWER_LOOKUP);
	assert_int_equal(a.status, ANSWER_STATUS_UNTOUCHED);
	assert_int_equal(a.n_keys, 1);
	assert_keys_equal(&a.query, &query);
	assert_keys_equal(&a.key[0], &query);
	assert_memory_equal(&a.nat, &none, sizeof(none));
}

static void
test_a_value_whose_keys_do_not_hold_the_query_is_refused(void **state)
{
	struct state_write w = snat_write(true);
	struct ct_key other_port = with_kind(key4(IPPROTO_UDP, "192.0.2.7", 53, "203.0.113.1", 10001),
					     CT_KIND_SNAT_REV, READER_DEVICE);
	struct state_answer a = fresh_answer();
	char value[STATE_VALUE_LEN];

	state_value_ct(HOST, &w, value, sizeof(value));
	assert_int_equal(state_value_ct_parse(value, &other_port, &a), -EINVAL);
}

static void
test_values_that_are_not_ours_are_refused(void **state)
{
	static const char *const refused[] = {
		"",
		"not json",
		"host-a",                                  /* an SNAT block's value */
		"[\"host-a\"]",
		"{\"fwd\":\"udp/10.0.0.1/4000/192.0.2.7/53\","
		"\"rev\":\"udp/192.0.2.7/53/203.0.113.1/10000\",\"orig\":\"10.0.0.1:4000\","
		"\"xlat\":\"203.0.113.1:10000\",\"port\":true}", /* no host */
		"{\"host\":7,\"fwd\":\"udp/10.0.0.1/4000/192.0.2.7/53\","
		"\"rev\":\"udp/192.0.2.7/53/203.0.113.1/10000\",\"orig\":\"10.0.0.1:4000\","
		"\"xlat\":\"203.0.113.1:10000\",\"port\":true}", /* a host that is not a name */
		"{\"host\":\"host-a\"}",                   /* a connection's value */
		"{\"host\":\"host-a\",\"fwd\":\"udp/10.0.0.1/4000/192.0.2.7/53\","
		"\"orig\":\"10.0.0.1:4000\",\"xlat\":\"203.0.113.1:10000\",\"port\":true}", /* no rev */
		"{\"host\":\"host-a\",\"fwd\":\"udp/10.0.0.1/4000/192.0.2.7/53\","
		"\"rev\":\"udp/192.0.2.7/53/203.0.113.1\",\"orig\":\"10.0.0.1:4000\","
		"\"xlat\":\"203.0.113.1:10000\",\"port\":true}", /* a tuple cut short */
		"{\"host\":\"host-a\",\"fwd\":\"udp/10.0.0.1/4000/192.0.2.7/53\","
		"\"rev\":\"udp/192.0.2.7/53/203.0.113.1/10000\",\"orig\":\"10.0.0.1\","
		"\"xlat\":\"203.0.113.1:10000\",\"port\":true}", /* no original port */
		"{\"host\":\"host-a\",\"fwd\":\"udp/10.0.0.1/4000/192.0.2.7/53\","
		"\"rev\":\"udp/192.0.2.7/53/203.0.113.1/10000\",\"orig\":\"10.0.0.1:4000\","
		"\"xlat\":\"203.0.113.1:70000\",\"port\":true}", /* a port past 16 bits */
		"{\"host\":\"host-a\",\"fwd\":\"udp/10.0.0.1/4000/192.0.2.7/53\","
		"\"rev\":\"udp/192.0.2.7/53/203.0.113.1/10000\",\"orig\":\"10.0.0.1:4000\"}",
	};
	struct state_write w = snat_write(true);
	struct ct_key query = with_kind(w.ct.key[1], CT_KIND_SNAT_REV, READER_DEVICE);
	struct ct_key conn = key4(IPPROTO_TCP, "10.0.0.1", 40000, "192.0.2.7", 443);
	struct state_answer a = fresh_answer();
	size_t i;

	for (i = 0; i < RTE_DIM(refused); i++) {
		print_message("refused: %s\n", refused[i]);
		assert_int_equal(state_value_ct_parse(refused[i], &query, &a), -EINVAL);
	}
	/* A connection needs only its host, but needs that. */
	assert_int_equal(state_value_ct_parse("not json", &conn, &a), -EINVAL);
	assert_int_equal(state_value_ct_parse("{}", &conn, &a), -EINVAL);
	assert_int_equal(state_value_ct_parse("{\"host\":null}", &conn, &a), -EINVAL);
	/* The whole value is ours: the control case. */
	assert_int_equal(state_value_ct_parse(SNAT_VALUE, &query, &a), 0);
}

/* ---- MACs, ARP entries, SNAT blocks ---- */

static struct state_write
l2_write(uint8_t kind, const char *device)
{
	static const struct rte_ether_addr mac = {{0x02, 0x00, 0x00, 0xaa, 0xbb, 0x0c}};
	struct state_write w;

	memset(&w, 0, sizeof(w));
	w.kind = kind;
	snprintf(w.device, sizeof(w.device), "%s", device);
	w.l2.mac = mac;
	return w;
}

static void
test_a_learned_mac_is_filed_by_bridge_and_names_its_port(void **state)
{
	struct state_write w = l2_write(STATE_WRITE_MAC, BRIDGE);
	char key[STATE_KEY_LEN], value[STATE_VALUE_LEN];

	snprintf(w.l2.port, sizeof(w.l2.port), "%s", "b1a");
	assert_int_equal(state_key_l2(PREFIX, &w, key, sizeof(key)),
			 (int)strlen("kairo:mac:bridge1:02:00:00:aa:bb:0c"));
	assert_string_equal(key, "kairo:mac:bridge1:02:00:00:aa:bb:0c");
	assert_int_equal(state_value_l2(HOST, &w, value, sizeof(value)),
			 (int)strlen("{\"host\":\"host-a\",\"port\":\"b1a\"}"));
	assert_string_equal(value, "{\"host\":\"host-a\",\"port\":\"b1a\"}");
}

static void
test_an_arp_entry_is_filed_by_router_and_address_and_names_the_mac(void **state)
{
	struct state_write w = l2_write(STATE_WRITE_ARP, ROUTER);
	char key[STATE_KEY_LEN], value[STATE_VALUE_LEN];

	w.l2.ip = ipv4("192.0.2.7");
	assert_int_equal(state_key_l2(PREFIX, &w, key, sizeof(key)),
			 (int)strlen("kairo:arp:r1:192.0.2.7"));
	assert_string_equal(key, "kairo:arp:r1:192.0.2.7");
	assert_int_equal(state_value_l2(HOST, &w, value, sizeof(value)),
			 (int)strlen("{\"host\":\"host-a\",\"mac\":\"02:00:00:aa:bb:0c\"}"));
	assert_string_equal(value, "{\"host\":\"host-a\",\"mac\":\"02:00:00:aa:bb:0c\"}");
}

static void
test_a_learned_mac_is_read_back_as_its_port(void **state)
{
	struct state_write w = l2_write(STATE_WRITE_MAC, BRIDGE);
	char value[STATE_VALUE_LEN], port[TOPO_ID_LEN], small[3]; /* "b1a" needs 4 */

	snprintf(w.l2.port, sizeof(w.l2.port), "%s", "b1a");
	state_value_l2(HOST, &w, value, sizeof(value));
	assert_int_equal(state_value_mac_parse(value, port, sizeof(port)), 0);
	assert_string_equal(port, "b1a");
	/* No host, no port, an empty port, not JSON, a port longer than the buffer. */
	assert_int_equal(state_value_mac_parse("{\"port\":\"b1a\"}", port, sizeof(port)), -EINVAL);
	assert_int_equal(state_value_mac_parse("{\"host\":\"h\"}", port, sizeof(port)), -EINVAL);
	assert_int_equal(state_value_mac_parse("{\"host\":\"h\",\"port\":\"\"}", port,
					       sizeof(port)), -EINVAL);
	assert_int_equal(state_value_mac_parse("b1a", port, sizeof(port)), -EINVAL);
	assert_int_equal(state_value_mac_parse(value, small, sizeof(small)), -EINVAL);
}

static void
test_an_arp_entry_is_read_back_as_its_mac(void **state)
{
	struct state_write w = l2_write(STATE_WRITE_ARP, ROUTER);
	struct rte_ether_addr mac;
	char value[STATE_VALUE_LEN];

	w.l2.ip = ipv4("192.0.2.7");
	state_value_l2(HOST, &w, value, sizeof(value));
	assert_int_equal(state_value_arp_parse(value, &mac), 0);
	assert_memory_equal(&mac, &w.l2.mac, sizeof(mac));
	/* No host, a MAC that is not one, the zero MAC. */
	assert_int_equal(state_value_arp_parse("{\"mac\":\"02:00:00:aa:bb:0c\"}", &mac), -EINVAL);
	assert_int_equal(state_value_arp_parse("{\"host\":\"h\",\"mac\":\"02:00\"}", &mac),
			 -EINVAL);
	assert_int_equal(state_value_arp_parse("{\"host\":\"h\",\"mac\":\"00:00:00:00:00:00\"}",
					       &mac), -EINVAL);
}

static void
test_an_snat_block_key_names_router_address_and_block(void **state)
{
	char key[STATE_KEY_LEN];

	/* 203.0.113.1 (host order), ports 9984 .. 10047. */
	assert_int_equal(state_key_snat_block(PREFIX, ROUTER, 0xcb007101, 10000 / SNAT_BLOCK_PORTS,
					      key, sizeof(key)),
			 (int)strlen("kairo:snat:r1:203.0.113.1:156"));
	assert_string_equal(key, "kairo:snat:r1:203.0.113.1:156");
	state_key_snat_block(PREFIX, ROUTER, 0x0a000001, 0, key, sizeof(key));
	assert_string_equal(key, "kairo:snat:r1:10.0.0.1:0");
	state_key_snat_block(PREFIX, ROUTER, 0x0a000001, SNAT_BLOCKS - 1, key, sizeof(key));
	assert_string_equal(key, "kairo:snat:r1:10.0.0.1:1023");
}

/* ---- room ---- */

/*
 * Each formatter, given exactly the room for its text (with the NUL), writes
 * it; given one byte less, or none, says -ENOSPC.  fmt formats one fixed
 * thing into buf of len bytes.
 */
struct formatter {
	const char *name;
	int (*fmt)(char *buf, size_t len);
};

static struct state_write room_nat, room_mac, room_arp;
static struct ct_key room_tuple, room_nat_key;

static int
fmt_tuple(char *buf, size_t len)
{
	return state_tuple_format(&room_tuple, buf, len);
}

static int
fmt_key_conn(char *buf, size_t len)
{
	return state_key_ct(PREFIX, "", &room_tuple, buf, len);
}

static int
fmt_key_nat(char *buf, size_t len)
{
	return state_key_ct(PREFIX, ROUTER, &room_nat_key, buf, len);
}

static int
fmt_value_nat(char *buf, size_t len)
{
	return state_value_ct(HOST, &room_nat, buf, len);
}

static int
fmt_key_mac(char *buf, size_t len)
{
	return state_key_l2(PREFIX, &room_mac, buf, len);
}

static int
fmt_value_mac(char *buf, size_t len)
{
	return state_value_l2(HOST, &room_mac, buf, len);
}

static int
fmt_key_arp(char *buf, size_t len)
{
	return state_key_l2(PREFIX, &room_arp, buf, len);
}

static int
fmt_value_arp(char *buf, size_t len)
{
	return state_value_l2(HOST, &room_arp, buf, len);
}

static int
fmt_key_block(char *buf, size_t len)
{
	return state_key_snat_block(PREFIX, ROUTER, 0xcb007101, 156, buf, len);
}

static void
test_every_formatter_says_enospc_rather_than_cut(void **state)
{
	static const struct formatter formatters[] = {
		{"tuple", fmt_tuple},         {"connection key", fmt_key_conn},
		{"NAT key", fmt_key_nat},     {"NAT value", fmt_value_nat},
		{"MAC key", fmt_key_mac},     {"MAC value", fmt_value_mac},
		{"ARP key", fmt_key_arp},     {"ARP value", fmt_value_arp},
		{"SNAT block key", fmt_key_block},
	};
	char full[STATE_VALUE_LEN], buf[STATE_VALUE_LEN];
	size_t i;

	room_tuple = key6(IPPROTO_TCP, "2001:db8::1", 40000, "2001:db8::2", 443);
	room_nat_key = with_kind(room_tuple, CT_KIND_DNAT_REV, WRITER_DEVICE);
	room_nat = snat_write(true);
	room_mac = l2_write(STATE_WRITE_MAC, BRIDGE);
	snprintf(room_mac.l2.port, sizeof(room_mac.l2.port), "%s", "b1a");
	room_arp = l2_write(STATE_WRITE_ARP, ROUTER);
	room_arp.l2.ip = ipv4("192.0.2.7");

	for (i = 0; i < RTE_DIM(formatters); i++) {
		int n = formatters[i].fmt(full, sizeof(full));

		print_message("%s: %d bytes\n", formatters[i].name, n);
		assert_true(n > 0);
		assert_int_equal((size_t)n, strlen(full));
		memset(buf, GARBAGE, sizeof(buf));
		assert_int_equal(formatters[i].fmt(buf, (size_t)n + 1), n);
		assert_string_equal(buf, full);
		assert_int_equal(formatters[i].fmt(buf, (size_t)n), -ENOSPC);
		assert_int_equal(formatters[i].fmt(buf, 1), -ENOSPC);
		assert_int_equal(formatters[i].fmt(buf, 0), -ENOSPC);
	}
}

static void
test_a_connection_value_says_enospc_rather_than_cut(void **state)
{
	struct state_write w;
	char buf[STATE_VALUE_LEN];
	size_t need = strlen("{\"host\":\"host-a\"}");

	memset(&w, 0, sizeof(w));
	w.kind = STATE_WRITE_CONN;
	assert_int_equal(state_value_ct(HOST, &w, buf, need + 1), (int)need);
	assert_int_equal(state_value_ct(HOST, &w, buf, need), -ENOSPC);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_and_udp_tuples_are_proto_src_sport_dst_dport),
		cmocka_unit_test(test_icmp_tuples_carry_the_type_and_the_echo_identifier_or_code),
		cmocka_unit_test(test_ipv6_tuples_use_the_shortest_address_text),
		cmocka_unit_test(test_protocols_without_a_name_are_written_as_their_number),
		cmocka_unit_test(test_parse_zeroes_the_kind_and_the_device),
		cmocka_unit_test(test_parse_refuses_what_no_host_writes),
		cmocka_unit_test(test_parse_wants_five_non_empty_fields_and_plain_numbers),
		cmocka_unit_test(test_parse_refuses_a_string_longer_than_a_key),
		cmocka_unit_test(test_a_connection_key_names_no_router),
		cmocka_unit_test(test_a_nat_key_names_the_router_by_id_and_the_kind),
		cmocka_unit_test(test_the_answers_key_of_a_masquerade),
		cmocka_unit_test(test_a_key_of_no_known_kind_is_refused),
		cmocka_unit_test(test_a_connections_value_names_its_host),
		cmocka_unit_test(test_a_nat_value_holds_both_tuples_and_the_binding),
		cmocka_unit_test(test_a_binding_is_read_back_for_its_reverse_key_with_the_readers_device),
		cmocka_unit_test(test_a_binding_is_read_back_for_its_forward_key),
		cmocka_unit_test(test_a_dnat_binding_is_read_back_with_dnat_kinds),
		cmocka_unit_test(test_an_icmp_echo_binding_is_read_back),
		cmocka_unit_test(test_a_connection_is_read_back_as_the_query_alone),
		cmocka_unit_test(test_a_value_whose_keys_do_not_hold_the_query_is_refused),
		cmocka_unit_test(test_values_that_are_not_ours_are_refused),
		cmocka_unit_test(test_a_learned_mac_is_filed_by_bridge_and_names_its_port),
		cmocka_unit_test(test_an_arp_entry_is_filed_by_router_and_address_and_names_the_mac),
		cmocka_unit_test(test_a_learned_mac_is_read_back_as_its_port),
		cmocka_unit_test(test_an_arp_entry_is_read_back_as_its_mac),
		cmocka_unit_test(test_an_snat_block_key_names_router_address_and_block),
		cmocka_unit_test(test_every_formatter_says_enospc_rather_than_cut),
		cmocka_unit_test(test_a_connection_value_says_enospc_rather_than_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
