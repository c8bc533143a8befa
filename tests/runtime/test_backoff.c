/* Restart delays and restart intensity: exact sequences. */
#include <stdint.h>

#include "bpci.h"
#include "runtime/backoff.h"
#include "runtime_test.h"

START_TEST(splitmix_known_vector)
{
	uint64_t s = 0;

	ck_assert_uint_eq(bpci__rand_splitmix64(&s), UINT64_C(0xe220a8397b1dcdaf));
	ck_assert_uint_eq(s, UINT64_C(0x9E3779B97F4A7C15));
}
END_TEST

START_TEST(exponential_without_jitter_hits_the_cap)
{
	bpci__backoff_policy p = {100, 1000, 2, 0, 5000};
	const uint64_t want[] = {100, 200, 400, 800, 1000, 1000, 1000};
	bpci__backoff b;
	uint64_t t = 0;
	size_t i;

	bpci__backoff_init(&b);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		bpci__backoff_started(&b, t);
		t += 10; /* crashes right away */
		ck_assert_uint_eq(bpci__backoff_next(&b, &p, t, NULL, NULL), want[i]);
	}
	ck_assert_uint_eq(b.attempt, 7);
}
END_TEST

START_TEST(stable_run_resets_the_sequence)
{
	bpci__backoff_policy p = {100, 1000, 2, 0, 5000};
	bpci__backoff b;

	bpci__backoff_init(&b);
	bpci__backoff_started(&b, 0);
	ck_assert_uint_eq(bpci__backoff_next(&b, &p, 10, NULL, NULL), 100);
	bpci__backoff_started(&b, 110);
	ck_assert_uint_eq(bpci__backoff_next(&b, &p, 120, NULL, NULL), 200);
	bpci__backoff_started(&b, 320);
	/* 4999 ms is not yet stable ... */
	ck_assert_uint_eq(bpci__backoff_next(&b, &p, 320 + 4999, NULL, NULL), 400);
	bpci__backoff_started(&b, 10000);
	/* ... 5000 ms is. */
	ck_assert_uint_eq(bpci__backoff_next(&b, &p, 15000, NULL, NULL), 100);
	bpci__backoff_started(&b, 15100);
	ck_assert_uint_eq(bpci__backoff_next(&b, &p, 15110, NULL, NULL), 200);
	/* reset_after 0 never resets. */
	p.reset_after_ms = 0;
	bpci__backoff_started(&b, 20000);
	ck_assert_uint_eq(bpci__backoff_next(&b, &p, 900000, NULL, NULL), 400);
}
END_TEST

START_TEST(jitter_sequence_is_deterministic)
{
	bpci__backoff_policy p = {100, 1000, 2, 25, 0};
	const uint64_t want[] = {91, 190, 357, 734, 758, 935};
	bpci__backoff b;
	uint64_t seed = 42;
	size_t i;

	bpci__backoff_init(&b);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ck_assert_uint_eq(bpci__backoff_next(&b, &p, 0, bpci__rand_splitmix64, &seed),
				  want[i]);
}
END_TEST

START_TEST(jitter_stays_within_bounds)
{
	bpci__backoff_policy p = {1000, 30000, 3, 40, 0};
	uint64_t seed = 7, lo_seen = UINT64_MAX, hi_seen = 0;
	unsigned int a, k;

	for (a = 0; a < 6; a++) {
		uint64_t base = bpci__backoff_delay(&p, a, 0);

		for (k = 0; k < 500; k++) {
			uint64_t d = bpci__backoff_delay(&p, a, bpci__rand_splitmix64(&seed));

			ck_assert_uint_le(d, base);
			ck_assert_uint_ge(d, base - base * 40 / 100);
			if (a == 5) {
				lo_seen = d < lo_seen ? d : lo_seen;
				hi_seen = d > hi_seen ? d : hi_seen;
			}
		}
	}
	ck_assert_uint_eq(bpci__backoff_delay(&p, 5, 0), 30000); /* capped */
	ck_assert_uint_eq(bpci__backoff_delay(&p, 2, 0), 9000);
	/* The draws really spread over the range. */
	ck_assert_uint_lt(lo_seen, 19000);
	ck_assert_uint_gt(hi_seen, 29000);
}
END_TEST

START_TEST(delay_edges_do_not_overflow)
{
	bpci__backoff_policy huge = {1, UINT64_MAX, 10, 100, 0};
	bpci__backoff_policy flat = {500, 400, 1, 0, 0};
	bpci__backoff_policy zero_factor = {50, 400, 0, 0, 0};

	ck_assert_uint_eq(bpci__backoff_delay(&huge, 200, 0), UINT64_MAX);
	ck_assert_uint_eq(bpci__backoff_delay(&huge, 200, 5), UINT64_MAX - 5);
	ck_assert_uint_eq(bpci__backoff_delay(&huge, 3, 0), 1000);
	ck_assert_uint_eq(bpci__backoff_delay(&flat, 0, 0), 400); /* initial above cap */
	ck_assert_uint_eq(bpci__backoff_delay(&flat, 9, 0), 400);
	ck_assert_uint_eq(bpci__backoff_delay(&zero_factor, 9, 0), 50);
}
END_TEST

START_TEST(intensity_gives_up_past_max_in_period)
{
	bpci__intensity w;

	ck_assert_int_eq(bpci__intensity_init(&w, 3, 1000), 0);
	ck_assert_int_eq(bpci__intensity_record(&w, 0), 0);
	ck_assert_int_eq(bpci__intensity_record(&w, 100), 0);
	ck_assert_int_eq(bpci__intensity_record(&w, 200), 0);
	ck_assert_uint_eq(bpci__intensity_count(&w, 200), 3);
	ck_assert_int_eq(bpci__intensity_record(&w, 300), 1); /* 4 within 1 s */
	bpci__intensity_release(&w);

	/* A restart exactly one period old no longer counts (sliding window). */
	ck_assert_int_eq(bpci__intensity_init(&w, 3, 1000), 0);
	ck_assert_int_eq(bpci__intensity_record(&w, 0), 0);
	ck_assert_int_eq(bpci__intensity_record(&w, 100), 0);
	ck_assert_int_eq(bpci__intensity_record(&w, 200), 0);
	ck_assert_int_eq(bpci__intensity_record(&w, 1000), 0);
	ck_assert_uint_eq(bpci__intensity_count(&w, 1000), 3);
	ck_assert_int_eq(bpci__intensity_record(&w, 1050), 1);
	ck_assert_uint_eq(bpci__intensity_count(&w, 5000), 0);
	ck_assert_int_eq(bpci__intensity_record(&w, 5000), 0);
	bpci__intensity_release(&w);

	/* Zero restarts allowed: the first one gives up. */
	ck_assert_int_eq(bpci__intensity_init(&w, 0, 1000), 0);
	ck_assert_int_eq(bpci__intensity_record(&w, 7), 1);
	bpci__intensity_release(&w);
	ck_assert_int_eq(bpci__intensity_init(&w, 1, 0), BPCI_EINVAL);
	bpci__intensity_release(&w);
}
END_TEST

TCase *bpci_test_runtime_backoff(void)
{
	TCase *tc = tcase_create("backoff");

	tcase_add_test(tc, splitmix_known_vector);
	tcase_add_test(tc, exponential_without_jitter_hits_the_cap);
	tcase_add_test(tc, stable_run_resets_the_sequence);
	tcase_add_test(tc, jitter_sequence_is_deterministic);
	tcase_add_test(tc, jitter_stays_within_bounds);
	tcase_add_test(tc, delay_edges_do_not_overflow);
	tcase_add_test(tc, intensity_gives_up_past_max_in_period);
	return tc;
}
