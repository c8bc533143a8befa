/* Integers, reals, booleans and durations. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "bpci/error.h"
#include "model/text.h"
#include "units_tests.h"

#define SENTINEL 0xdeadbeefull

static uint64_t u(const char *s)
{
	uint64_t v = SENTINEL;

	ck_assert_msg(bpci__parse_uint(s, &v) == 0, "parse_uint refused \"%s\"", s);
	return v;
}

static void uint_refused(const char *s)
{
	uint64_t v = SENTINEL;

	ck_assert_msg(bpci__parse_uint(s, &v) == BPCI_EINVAL, "parse_uint accepted \"%s\"", s);
	ck_assert_msg(v == SENTINEL, "parse_uint touched *out for \"%s\"", s);
}

START_TEST(uint_accepts_decimal_up_to_max)
{
	ck_assert_uint_eq(u("0"), 0);
	ck_assert_uint_eq(u("42"), 42);
	ck_assert_uint_eq(u("  7\t"), 7);
	ck_assert_uint_eq(u("007"), 7);
	ck_assert_uint_eq(u("18446744073709551615"), UINT64_MAX);
	ck_assert_uint_eq(u("18446744073709551614"), UINT64_MAX - 1);
}
END_TEST

START_TEST(uint_refuses_everything_else)
{
	static const char *const bad[] = {
		"", "   ", "-1", "+1", "-0", "1.0", "1.", ".1", "1e3", "0x10", "10_000",
		"10,000", "1 2", "12a", "a12", "18446744073709551616",
		"99999999999999999999", "１"
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		uint_refused(bad[i]);
	uint_refused(NULL);
}
END_TEST

START_TEST(number_accepts_finite_reals)
{
	double v = -1;

	ck_assert_int_eq(bpci__parse_number("0.95", &v), 0);
	ck_assert(v == 0.95);
	ck_assert_int_eq(bpci__parse_number(" 1e3 ", &v), 0);
	ck_assert(v == 1000.0);
	ck_assert_int_eq(bpci__parse_number("2.5E-1", &v), 0);
	ck_assert(v == 0.25);
	ck_assert_int_eq(bpci__parse_number("0", &v), 0);
	ck_assert(v == 0.0);
	ck_assert_int_eq(bpci__parse_number("5.", &v), 0);
	ck_assert(v == 5.0);
	ck_assert_int_eq(bpci__parse_number(".5", &v), 0);
	ck_assert(v == 0.5);
	ck_assert_int_eq(bpci__parse_number("1.7976931348623157e308", &v), 0);
	ck_assert(isfinite(v) && v > 1e308);
}
END_TEST

START_TEST(number_refuses_nan_inf_negative_and_garbage)
{
	static const char *const bad[] = {
		"", " ", "nan", "NaN", "inf", "-inf", "infinity", "-1", "-0.5", "+1",
		"1e", "1e+", "e3", ".", "0x1p3", "1.0.0", "1,5", "1 5", "1e999", "2e308",
		"0.5x"
	};
	size_t i;
	double v = 123.0;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(bpci__parse_number(bad[i], &v) == BPCI_EINVAL,
			      "parse_number accepted \"%s\"", bad[i]);
	ck_assert(v == 123.0);
}
END_TEST

START_TEST(bool_accepts_the_six_spellings_in_any_case)
{
	static const struct { const char *s; int v; } ok[] = {
		{"true", 1}, {"TRUE", 1}, {"True", 1}, {"yes", 1}, {"On", 1}, {"1", 1},
		{"false", 0}, {"No", 0}, {"OFF", 0}, {"0", 0}, {" yes ", 1}
	};
	static const char *const bad[] = {"", "t", "f", "y", "n", "2", "truee", "yes no", "01"};
	size_t i;
	int v;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = -1;
		ck_assert_msg(bpci__parse_bool(ok[i].s, &v) == 0, "refused %s", ok[i].s);
		ck_assert_int_eq(v, ok[i].v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = -1;
		ck_assert_msg(bpci__parse_bool(bad[i], &v) == BPCI_EINVAL, "accepted %s", bad[i]);
		ck_assert_int_eq(v, -1);
	}
}
END_TEST

static uint64_t dur(const char *s, const char *bare)
{
	uint64_t v = SENTINEL;

	ck_assert_msg(bpci__parse_duration(s, bare, &v) == 0, "duration refused \"%s\"", s);
	return v;
}

START_TEST(duration_units_and_compounds)
{
	ck_assert_uint_eq(dur("1500ms", NULL), 1500);
	ck_assert_uint_eq(dur("30s", NULL), 30000);
	ck_assert_uint_eq(dur("5m", NULL), 300000);
	ck_assert_uint_eq(dur("12h", NULL), 43200000);
	ck_assert_uint_eq(dur("90d", NULL), 90ull * 86400000);
	ck_assert_uint_eq(dur("2w", NULL), 14ull * 86400000);
	ck_assert_uint_eq(dur("7y", NULL), 7ull * 365 * 86400000);
	ck_assert_uint_eq(dur("1h30m", NULL), 5400000);
	ck_assert_uint_eq(dur("1d2h3m4s5ms", NULL), 86400000ull + 7200000 + 180000 + 4000 + 5);
	ck_assert_uint_eq(dur(" 1.5s ", NULL), 1500);
	ck_assert_uint_eq(dur("0.5h", NULL), 1800000);
	ck_assert_uint_eq(dur("0s", NULL), 0);
	ck_assert_uint_eq(dur("30", "s"), 30000);
	ck_assert_uint_eq(dur("30", "ms"), 30);
	ck_assert_uint_eq(dur("2", "h"), 7200000);
	ck_assert_uint_eq(dur("7", "d"), 7ull * 86400000);
	ck_assert_uint_eq(dur("1.5", "s"), 1500);
	/* The largest value: 2^64-1 ms, and one ms more overflows. */
	ck_assert_uint_eq(dur("18446744073709551615ms", NULL), UINT64_MAX);
	ck_assert_uint_eq(dur("584942417y", NULL), 584942417ull * 31536000000ull);
}
END_TEST

START_TEST(duration_refusals)
{
	static const struct { const char *s; const char *bare; } bad[] = {
		{"", "s"}, {"   ", "s"}, {"30", NULL}, {"30", "parsecs"}, {"s", "s"},
		{"-5s", NULL}, {"5 s", NULL}, {"5S", NULL}, {"5sec", NULL}, {"5x", NULL},
		{"1h 30m", NULL}, {"30m1h", NULL}, {"1m1m", NULL}, {"1h30", "m"},
		{"0.5ms", NULL}, {"0.0001s", NULL}, {"1.s", NULL}, {".5s", NULL},
		{"18446744073709551616ms", NULL}, {"584942418y", NULL},
		{"18446744073709551615ms1ms", NULL}, {"99999999999999999999y", NULL},
		{"1h30m5", "s"}
	};
	size_t i;
	uint64_t v = SENTINEL;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(bpci__parse_duration(bad[i].s, bad[i].bare, &v) == BPCI_EINVAL,
			      "duration accepted \"%s\"", bad[i].s);
	ck_assert_uint_eq(v, SENTINEL);
}
END_TEST

static void fmt_dur(uint64_t ms, const char *want)
{
	char buf[32];

	bpci__format_duration(buf, sizeof(buf), ms);
	ck_assert_str_eq(buf, want);
}

START_TEST(duration_formats_largest_exact_unit)
{
	fmt_dur(0, "0s");
	fmt_dur(1, "1ms");
	fmt_dur(1500, "1500ms");
	fmt_dur(1000, "1s");
	fmt_dur(90000, "90s");
	fmt_dur(60000, "1m");
	fmt_dur(43200000, "12h");
	fmt_dur(86400000, "1d");
	fmt_dur(90ull * 86400000, "90d");
	fmt_dur(14ull * 86400000, "2w");
	fmt_dur(7ull * 365 * 86400000, "7y");
	fmt_dur(5400000, "90m");
	fmt_dur(UINT64_MAX, "18446744073709551615ms");
}
END_TEST

/* Deterministic, so that a failure can be reproduced. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *state = x;
}

START_TEST(duration_round_trips)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull, v, back, f;
	char buf[32];
	int i, k;

	for (i = 0; i < 2000; i++) {
		v = next_random(&seed) >> (i % 64);
		bpci__format_duration(buf, sizeof(buf), v);
		ck_assert_int_eq(bpci__parse_duration(buf, NULL, &back), 0);
		ck_assert_uint_eq(back, v);
	}
	for (f = 1; f <= 31536000000ull; f *= 7) {
		for (k = 0; k < 40; k++) {
			v = f * (uint64_t)k;
			bpci__format_duration(buf, sizeof(buf), v);
			ck_assert_int_eq(bpci__parse_duration(buf, "d", &back), 0);
			ck_assert_uint_eq(back, v);
		}
	}
}
END_TEST

TCase *units_scalar_tcase(void)
{
	TCase *tc = tcase_create("scalar");

	tcase_add_test(tc, uint_accepts_decimal_up_to_max);
	tcase_add_test(tc, uint_refuses_everything_else);
	tcase_add_test(tc, number_accepts_finite_reals);
	tcase_add_test(tc, number_refuses_nan_inf_negative_and_garbage);
	tcase_add_test(tc, bool_accepts_the_six_spellings_in_any_case);
	tcase_add_test(tc, duration_units_and_compounds);
	tcase_add_test(tc, duration_refusals);
	tcase_add_test(tc, duration_formats_largest_exact_unit);
	tcase_add_test(tc, duration_round_trips);
	return tc;
}
