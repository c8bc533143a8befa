/* The port pool: ranges, reservations, exhaustion, wraparound, leases,
 * JSON round trip, and random sequences against a reference set. */
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "placement_test.h"

static bpci_port_pool *pool_new(const char *ranges, const char *reserved)
{
	bpci_port_pool_options o = BPCI_PORT_POOL_OPTIONS_INIT;
	bpci_port_pool *pool = NULL;
	bpci_diag *d = NULL;

	o.ranges = ranges;
	o.reserved = reserved;
	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_msg(bpci_port_pool_new(&pool, &o, d) == 0, "%s", bpci_diag_last_text(d));
	bpci_diag_free(d);
	return pool;
}

static uint16_t take(bpci_port_pool *pool, uint64_t expires)
{
	uint16_t port = 0;

	ck_assert_int_eq(bpci_port_pool_allocate(&port, pool, expires), 0);
	return port;
}

START_TEST(default_range_and_counts)
{
	bpci_port_pool *pool = NULL;

	ck_assert_int_eq(bpci_port_pool_new(&pool, NULL, NULL), 0);
	ck_assert_uint_eq(bpci_port_pool_capacity(pool), 12001);
	ck_assert_uint_eq(take(pool, 0), 20000);
	ck_assert_uint_eq(take(pool, 0), 20001);
	ck_assert_uint_eq(bpci_port_pool_count(pool), 2);
	ck_assert_double_eq_tol(bpci_port_pool_utilization(pool), 2.0 / 12001, 1e-15);
	ck_assert_int_eq(bpci_port_pool_is_allocated(pool, 20001), 1);
	ck_assert_int_eq(bpci_port_pool_is_allocated(pool, 20002), 0);
	ck_assert_int_eq(bpci_port_pool_is_allocated(pool, 19999), 0);
	ck_assert_int_eq(bpci_port_pool_release(pool, 20000), 0);
	ck_assert_int_eq(bpci_port_pool_release(pool, 20000), BPCI_ENOTFOUND);
	ck_assert_int_eq(bpci_port_pool_release(pool, 80), BPCI_ENOTFOUND);
	/* The cursor moves on: a released port is not reused at once. */
	ck_assert_uint_eq(take(pool, 0), 20002);
	bpci_port_pool_free(pool);
	bpci_port_pool_free(NULL);
}
END_TEST

START_TEST(several_ranges_reserved_exhaustion_and_wraparound)
{
	bpci_port_pool *pool = pool_new("40000-40002, 30000-30001,50000", "30001,40001,22");
	uint16_t port;
	bpci_diag *d = NULL;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_uint_eq(bpci_port_pool_capacity(pool), 4);
	ck_assert_uint_eq(take(pool, 0), 30000);
	ck_assert_uint_eq(take(pool, 0), 40000);
	ck_assert_uint_eq(take(pool, 0), 40002);
	ck_assert_uint_eq(take(pool, 0), 50000);
	ck_assert_int_eq(bpci_port_pool_allocate(&port, pool, 0), BPCI_ELIMIT);
	ck_assert_double_eq(bpci_port_pool_utilization(pool), 1.0);
	/* Wraparound: the cursor is past the end; a freed early port is found. */
	ck_assert_int_eq(bpci_port_pool_release(pool, 40000), 0);
	ck_assert_uint_eq(take(pool, 0), 40000);
	ck_assert_int_eq(bpci_port_pool_release(pool, 30000), 0);
	ck_assert_int_eq(bpci_port_pool_release(pool, 50000), 0);
	ck_assert_uint_eq(take(pool, 0), 50000);   /* cursor was at 40002+1 */
	ck_assert_uint_eq(take(pool, 0), 30000);
	/* Specific ports. */
	ck_assert_int_eq(bpci_port_pool_allocate_port(pool, 30001, 0, d), BPCI_EINVAL);
	ck_assert_str_eq(bpci_diag_last_text(d), "port 30001 is reserved");
	ck_assert_int_eq(bpci_port_pool_allocate_port(pool, 20000, 0, d), BPCI_EINVAL);
	ck_assert_str_eq(bpci_diag_last_text(d), "port 20000 is outside the pool's ranges");
	ck_assert_int_eq(bpci_port_pool_allocate_port(pool, 40002, 0, d), BPCI_EBUSY);
	ck_assert_str_eq(bpci_diag_last_text(d), "port 40002 is already allocated");
	ck_assert_int_eq(bpci_port_pool_release(pool, 40002), 0);
	ck_assert_int_eq(bpci_port_pool_allocate_port(pool, 40002, 5, d), 0);
	ck_assert_int_eq(bpci_port_pool_release(pool, 30001), BPCI_ENOTFOUND);
	bpci_diag_free(d);
	bpci_port_pool_free(pool);
}
END_TEST

START_TEST(bad_lists_are_refused)
{
	bpci_port_pool_options o = BPCI_PORT_POOL_OPTIONS_INIT;
	bpci_port_pool *pool = NULL;
	bpci_diag *d = NULL;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	o.ranges = "20000-19999";
	ck_assert_int_eq(bpci_port_pool_new(&pool, &o, d), BPCI_EINVAL);
	ck_assert_str_eq(bpci_diag_last_text(d), "ranges \"20000-19999\" is not a port or a "
						 "range lo-hi of ports 1..65535");
	o.ranges = "1-10,5-20";
	ck_assert_int_eq(bpci_port_pool_new(&pool, &o, d), BPCI_EINVAL);
	ck_assert_str_eq(bpci_diag_last_text(d), "ranges 5-20 overlaps 1-10");
	o.ranges = "0-10";
	ck_assert_int_eq(bpci_port_pool_new(&pool, &o, d), BPCI_EINVAL);
	o.ranges = "65536";
	ck_assert_int_eq(bpci_port_pool_new(&pool, &o, d), BPCI_EINVAL);
	o.ranges = "";
	ck_assert_int_eq(bpci_port_pool_new(&pool, &o, d), BPCI_EINVAL);
	ck_assert_str_eq(bpci_diag_last_text(d), "ranges must hold at least one port, got \"\"");
	o.ranges = "100-200";
	o.reserved = "150,x";
	ck_assert_int_eq(bpci_port_pool_new(&pool, &o, d), BPCI_EINVAL);
	ck_assert_contains(bpci_diag_last_text(d), "reserved \"x\" is not a port");
	ck_assert_ptr_null(pool);
	o.version = 2;
	ck_assert_int_eq(bpci_port_pool_new(&pool, &o, d), BPCI_EUNSUPPORTED);
	bpci_diag_free(d);
}
END_TEST

START_TEST(leases_expire_and_busy_ports_come_back)
{
	bpci_port_pool *pool = pool_new("100-109", NULL);
	uint16_t *ports = NULL, p;
	size_t n = 99;
	uint64_t t;

	ck_assert_uint_eq(take(pool, 50), 100);
	ck_assert_uint_eq(take(pool, 0), 101);
	ck_assert_uint_eq(take(pool, 30), 102);
	ck_assert_uint_eq(take(pool, 30), 103);
	/* The caller's bind of 103 failed: hold it back until 40. */
	ck_assert_int_eq(bpci_port_pool_mark_busy(pool, 103, 40), 0);
	ck_assert_int_eq(bpci_port_pool_is_allocated(pool, 103), 2);
	ck_assert_int_eq(bpci_port_pool_mark_busy(pool, 103, 40), BPCI_ENOTFOUND);
	ck_assert_int_eq(bpci_port_pool_expiry(pool, 103, &t), BPCI_ENOTFOUND);
	ck_assert_uint_eq(bpci_port_pool_count(pool), 3);
	ck_assert_double_eq_tol(bpci_port_pool_utilization(pool), 0.4, 1e-15);
	ck_assert_int_eq(bpci_port_pool_expire(&ports, &n, pool, 29), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(ports);
	ck_assert_int_eq(bpci_port_pool_renew(pool, 102, 60), 0);
	ck_assert_int_eq(bpci_port_pool_expiry(pool, 102, &t), 0);
	ck_assert_uint_eq(t, 60);
	ck_assert_int_eq(bpci_port_pool_expire(&ports, &n, pool, 50), 0);
	ck_assert_uint_eq(n, 1);   /* 100 at 50; 102 renewed; 103's hold ended silently */
	ck_assert_uint_eq(ports[0], 100);
	bpci_free(ports);
	ck_assert_int_eq(bpci_port_pool_is_allocated(pool, 103), 0);
	ck_assert_int_eq(bpci_port_pool_is_allocated(pool, 100), 0);
	ck_assert_int_eq(bpci_port_pool_is_allocated(pool, 101), 1);
	ck_assert_int_eq(bpci_port_pool_expire(&ports, &n, pool, UINT64_C(1) << 62), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(ports[0], 102);
	bpci_free(ports);
	ck_assert_uint_eq(bpci_port_pool_count(pool), 1);   /* 101 never expires */
	ck_assert_int_eq(bpci_port_pool_allocate(&p, pool, UINT64_MAX), BPCI_EINVAL);
	ck_assert_int_eq(bpci_port_pool_renew(pool, 105, 1), BPCI_ENOTFOUND);
	bpci_port_pool_free(pool);
}
END_TEST

START_TEST(json_round_trip_is_exact)
{
	bpci_port_pool *pool = pool_new("20000-20009,30000", "20005"), *back = NULL;
	char *a = NULL, *b = NULL;
	uint16_t p1, p2;
	bpci_diag *d = NULL;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	take(pool, 0);
	take(pool, 1700000000000ull);
	take(pool, 9);
	ck_assert_int_eq(bpci_port_pool_mark_busy(pool, 20002, 77), 0);
	ck_assert_int_eq(bpci_port_pool_to_json(&a, pool), 0);
	ck_assert_str_eq(a, "{\"busy\":[[20002,77]],\"cursor\":3,\"leases\":[[20000,0],"
			    "[20001,1700000000000]],\"ranges\":\"20000-20009,30000\","
			    "\"reserved\":\"20005\",\"version\":1}");
	ck_assert_int_eq(bpci_port_pool_from_json(&back, a, strlen(a), d), 0);
	ck_assert_int_eq(bpci_port_pool_to_json(&b, back), 0);
	ck_assert_str_eq(a, b);
	/* Same state, same next choices. */
	ck_assert_int_eq(bpci_port_pool_allocate(&p1, pool, 0), 0);
	ck_assert_int_eq(bpci_port_pool_allocate(&p2, back, 0), 0);
	ck_assert_uint_eq(p1, p2);
	bpci_free(b);
	bpci_port_pool_free(back);
	back = NULL;
	/* Errors. */
	ck_assert_int_eq(bpci_port_pool_from_json(&back, "[", 1, d), BPCI_EPARSE);
	ck_assert_int_eq(bpci_port_pool_from_json(&back, "{\"version\":2}", 13, d),
			 BPCI_EUNSUPPORTED);
	b = "{\"busy\":[],\"cursor\":0,\"leases\":[[20005,0]],\"ranges\":\"20000-20009\","
	    "\"reserved\":\"20005\",\"version\":1}";
	ck_assert_int_eq(bpci_port_pool_from_json(&back, b, strlen(b), d), BPCI_EINVAL);
	ck_assert_str_eq(bpci_diag_last_text(d), "port 20005 is reserved");
	b = "{\"busy\":[],\"cursor\":0,\"leases\":[[1,0]],\"ranges\":\"20000-20009\","
	    "\"reserved\":\"\",\"version\":1,\"extra\":1}";
	ck_assert_int_eq(bpci_port_pool_from_json(&back, b, strlen(b), d), BPCI_ENOTFOUND);
	b = "{\"busy\":[],\"cursor\":10,\"leases\":[],\"ranges\":\"20000-20009\","
	    "\"reserved\":\"\",\"version\":1}";
	ck_assert_int_eq(bpci_port_pool_from_json(&back, b, strlen(b), d), BPCI_EINVAL);
	ck_assert_str_eq(bpci_diag_last_text(d), "cursor must be 0..9");
	b = "{\"busy\":[],\"cursor\":1,\"leases\":[[20001,0],[20001,3]],\"ranges\":"
	    "\"20000-20009\",\"reserved\":\"\",\"version\":1}";
	ck_assert_int_eq(bpci_port_pool_from_json(&back, b, strlen(b), d), BPCI_EBUSY);
	ck_assert_ptr_null(back);
	bpci_free(a);
	bpci_diag_free(d);
	bpci_port_pool_free(pool);
}
END_TEST

/* Whether @port is in the pool of the random test and not reserved. */
static int usable(unsigned int port)
{
	return (port >= 1000 && port <= 1063 && (port < 1010 || port > 1019)) ||
	       (port >= 2000 && port <= 2099 && port != 2050) || port == 3000;
}

/*
 * A port pool against a plain array (0 free, else 1 + expiry, or busy),
 * over random allocations, specific allocations, releases, busy marks and
 * expiries with a clock that only moves forward.
 */
START_TEST(random_operations_match_a_reference_set)
{
	bpci_port_pool *pool = pool_new("1000-1063,2000-2099,3000", "1010-1019,2050");
	static uint64_t ref[4000];     /* 0 free; else expiry + 1 */
	static unsigned char busy[4000];
	uint64_t seed = 12345, r, now = 0, exp;
	size_t count = 0, nbusy = 0, cap = 64 + 100 + 1 - 10 - 1, i, n;
	uint16_t port, *gone;
	int rc, step, op, full = 0, expired = 0;

	memset(ref, 0, sizeof(ref));
	memset(busy, 0, sizeof(busy));
	ck_assert_uint_eq(bpci_port_pool_capacity(pool), cap);
	for (step = 0; step < 30000; step++) {
		ck_assert_uint_eq(bpci_port_pool_count(pool), count - nbusy);
		r = seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		r >>= 24;
		op = (int)(r % 10);
		port = (uint16_t)(990 + (r >> 4) % 2020);
		exp = (r >> 16) % 4 == 0 ? 0 : now + 1 + (r >> 20) % 500;
		if (op < 4) {
			rc = bpci_port_pool_allocate(&port, pool, exp);
			if (count == cap) {
				ck_assert_int_eq(rc, BPCI_ELIMIT);
				full++;
				continue;
			}
			ck_assert_int_eq(rc, 0);
			ck_assert_msg(usable(port) && !ref[port], "port %u handed out wrongly", port);
		} else if (op == 4) {
			rc = bpci_port_pool_allocate_port(pool, port, exp, NULL);
			ck_assert_int_eq(rc, !usable(port) ? BPCI_EINVAL : ref[port] ? BPCI_EBUSY : 0);
			if (rc)
				continue;
		} else if (op < 8) {
			rc = bpci_port_pool_release(pool, port);
			ck_assert_int_eq(rc, ref[port] ? 0 : BPCI_ENOTFOUND);
			if (ref[port])
				count--;
			nbusy -= busy[port];
			ref[port] = 0;
			busy[port] = 0;
			continue;
		} else if (op == 8) {
			rc = bpci_port_pool_mark_busy(pool, port, exp);
			ck_assert_int_eq(rc, ref[port] && !busy[port] ? 0 : BPCI_ENOTFOUND);
			if (rc == 0) {
				nbusy++;
				busy[port] = 1;
				ref[port] = exp + 1;
			}
			continue;
		} else {
			now += (r >> 8) % 40;
			ck_assert_int_eq(bpci_port_pool_expire(&gone, &n, pool, now), 0);
			for (i = 0, port = 0; i < 4000; i++) {
				if (!ref[i] || ref[i] == 1 || ref[i] - 1 > now)
					continue;
				if (!busy[i]) {   /* a lease: reported, in ascending order */
					ck_assert_uint_lt(port, n);
					ck_assert_uint_eq(gone[port], i);
					port++;
				}
				nbusy -= busy[i];
				ref[i] = 0;
				busy[i] = 0;
				count--;
			}
			ck_assert_uint_eq(port, n);
			expired += (int)n;
			bpci_free(gone);
			continue;
		}
		ref[port] = exp + 1;
		count++;
	}
	for (i = 1; i < 4000; i++)
		ck_assert_int_eq(bpci_port_pool_is_allocated(pool, (uint16_t)i),
				 !ref[i] ? 0 : busy[i] ? 2 : 1);
	ck_assert_double_eq_tol(bpci_port_pool_utilization(pool), (double)count / (double)cap,
				1e-12);
	/* The sequence must have reached the interesting states. */
	ck_assert_msg(full > 0 && expired > 0, "full %d times, %d expired", full, expired);
	bpci_port_pool_free(pool);
}
END_TEST

static int pool_churn(void)
{
	bpci_port_pool_options o = BPCI_PORT_POOL_OPTIONS_INIT;
	bpci_port_pool *pool = NULL, *back = NULL;
	uint16_t port, *ports = NULL;
	size_t n;
	char *json = NULL;
	int rc;

	o.ranges = "10-20,30-40";
	o.reserved = "15";
	rc = bpci_port_pool_new(&pool, &o, NULL);
	if (rc == 0)
		rc = bpci_port_pool_allocate(&port, pool, 5);
	if (rc == 0)
		rc = bpci_port_pool_allocate(&port, pool, 0);
	if (rc == 0)
		rc = bpci_port_pool_to_json(&json, pool);
	if (rc == 0)
		rc = bpci_port_pool_from_json(&back, json, strlen(json), NULL);
	if (rc == 0)
		rc = bpci_port_pool_expire(&ports, &n, back, 10);
	if (rc == 0 && (n != 1 || ports[0] != 10))
		rc = -100;
	bpci_free(ports);
	bpci_free(json);
	bpci_port_pool_free(pool);
	bpci_port_pool_free(back);
	return rc;
}

START_TEST(pool_allocation_failures_are_clean)
{
	long n;
	int rc, done = 0;

	for (n = 0; !done && n < 1000; n++) {
		bpci__alloc_fail_after(n);
		rc = pool_churn();
		done = bpci__alloc_fail_after(-1) <= n;
		ck_assert_msg(rc == 0 || rc == BPCI_ENOMEM, "n=%ld rc=%d", n, rc);
		if (done)
			ck_assert_int_eq(rc, 0);
	}
	ck_assert(done);
}
END_TEST

void pt_add_port_tests(Suite *s)
{
	TCase *tc = tcase_create("ports");

	tcase_add_test(tc, default_range_and_counts);
	tcase_add_test(tc, several_ranges_reserved_exhaustion_and_wraparound);
	tcase_add_test(tc, bad_lists_are_refused);
	tcase_add_test(tc, leases_expire_and_busy_ports_come_back);
	tcase_add_test(tc, json_round_trip_is_exact);
	tcase_add_test(tc, random_operations_match_a_reference_set);
	tcase_add_test(tc, pool_allocation_failures_are_clean);
	suite_add_tcase(s, tc);
}
