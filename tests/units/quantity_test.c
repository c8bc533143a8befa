/* Sizes, CPU amounts and bandwidths. */
#include <stdint.h>
#include <string.h>

#include "bpci/error.h"
#include "model/text.h"
#include "units_tests.h"

#define SENTINEL 0xdeadbeefull
#define KI 1024ull
#define MI (KI * KI)
#define GI (MI * KI)
#define TI (GI * KI)
#define PI_ (TI * KI)
#define EI (PI_ * KI)

static uint64_t size(const char *s, uint64_t bare)
{
	uint64_t v = SENTINEL;

	ck_assert_msg(bpci__parse_size(s, bare, &v) == 0, "size refused \"%s\"", s);
	return v;
}

START_TEST(size_binary_decimal_and_bare)
{
	ck_assert_uint_eq(size("16Gi", 1), 16 * GI);
	ck_assert_uint_eq(size("512Mi", 1), 512 * MI);
	ck_assert_uint_eq(size("1Ki", 1), KI);
	ck_assert_uint_eq(size("2Ti", 1), 2 * TI);
	ck_assert_uint_eq(size("3Pi", 1), 3 * PI_);
	ck_assert_uint_eq(size("15Ei", 1), 15 * EI);
	ck_assert_uint_eq(size("16GiB", 1), 16 * GI);
	ck_assert_uint_eq(size("16gib", 1), 16 * GI);
	ck_assert_uint_eq(size("16GI", 1), 16 * GI);
	ck_assert_uint_eq(size("500G", 1), 500000000000ull);
	ck_assert_uint_eq(size("500GB", 1), 500000000000ull);
	ck_assert_uint_eq(size("500gb", 1), 500000000000ull);
	ck_assert_uint_eq(size("8k", 1), 8000);
	ck_assert_uint_eq(size("8K", 1), 8000);
	ck_assert_uint_eq(size("8kB", 1), 8000);
	ck_assert_uint_eq(size("1M", 1), 1000000);
	ck_assert_uint_eq(size("1T", 1), 1000000000000ull);
	ck_assert_uint_eq(size("1P", 1), 1000000000000000ull);
	ck_assert_uint_eq(size("18E", 1), 18000000000000000000ull);
	ck_assert_uint_eq(size("16 GiB", 1), 16 * GI);
	ck_assert_uint_eq(size(" 512B ", GI), 512);
	ck_assert_uint_eq(size("1024", 1), 1024);
	ck_assert_uint_eq(size("16", GI), 16 * GI);
	ck_assert_uint_eq(size("0.5", GI), GI / 2);
	ck_assert_uint_eq(size("1.5Gi", 1), GI + GI / 2);
	ck_assert_uint_eq(size("1.5Ti", 1), TI + TI / 2);
	ck_assert_uint_eq(size("0", GI), 0);
	ck_assert_uint_eq(size("0Gi", 1), 0);
	/* Rounded to the nearest byte: 0.1Ki = 102.4 -> 102, 0.3Ki = 307.2, 0.7Ki = 716.8 -> 717. */
	ck_assert_uint_eq(size("0.1Ki", 1), 102);
	ck_assert_uint_eq(size("0.7Ki", 1), 717);
	ck_assert_uint_eq(size("0.0005Ki", 1), 1);   /* 0.512 rounds up */
	ck_assert_uint_eq(size("0.0004Ki", 1), 0);   /* 0.4096 rounds down */
	ck_assert_uint_eq(size("0.0005K", 1), 1);    /* a half rounds up */
	ck_assert_uint_eq(size("0.0015K", 1), 2);
	ck_assert_uint_eq(size("1.123456789Gi", 1), 1206302542ull); /* 1206302541.806 */
	/* The top of the range. */
	ck_assert_uint_eq(size("18446744073709551615", 1), UINT64_MAX);
	ck_assert_uint_eq(size("15.999999999Ei", 1), 18446744072556630111ull);
}
END_TEST

START_TEST(size_refusals)
{
	static const char *const bad[] = {
		"", " ", "Gi", "-1Gi", "1.5", "0.5B", "16 G i", "16Gibyte", "16GiBB", "16gi b",
		"16g", "16m", "16b", "16Xi", "16X", "1e3", "1,5Gi", "16Gi16Mi",
		"16Ei", "19E", "18446744073709551616", "0.0000000001Gi", "1..5Gi",
		"1.Gi", ".5Gi", "+1Gi"
	};
	size_t i;
	uint64_t v = SENTINEL;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(bpci__parse_size(bad[i], 1, &v) == BPCI_EINVAL,
			      "size accepted \"%s\"", bad[i]);
	/* "16 " has a trailing blank only: that one is fine, and it is bare. */
	ck_assert_int_eq(bpci__parse_size("16 ", 1, &v), 0);
	ck_assert_uint_eq(v, 16);
	v = SENTINEL;
	ck_assert_int_eq(bpci__parse_size("17179869184", GI, &v), BPCI_EINVAL); /* 2^34 GiB */
	ck_assert_int_eq(bpci__parse_size("1.5", 1, &v), BPCI_EINVAL);
	ck_assert_uint_eq(v, SENTINEL);
}
END_TEST

static void fmt_size(uint64_t bytes, const char *want)
{
	char buf[32];

	bpci__format_size(buf, sizeof(buf), bytes);
	ck_assert_str_eq(buf, want);
}

START_TEST(size_formats_largest_binary_unit)
{
	fmt_size(0, "0");
	fmt_size(512, "512");
	fmt_size(1000, "1000");
	fmt_size(1024, "1Ki");
	fmt_size(1536, "1536");
	fmt_size(100 * MI, "100Mi");
	fmt_size(16 * GI, "16Gi");
	fmt_size(GI + GI / 2, "1536Mi");
	fmt_size(500 * GI, "500Gi");
	fmt_size(3 * TI, "3Ti");
	fmt_size(2 * PI_, "2Pi");
	fmt_size(EI, "1Ei");
	fmt_size(500000000000ull, "488281250Ki");
	fmt_size(UINT64_MAX, "18446744073709551615");
}
END_TEST

static uint64_t next_random(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *state = x;
}

START_TEST(size_round_trips)
{
	uint64_t seed = 0x2545f4914f6cdd1dull, v, back;
	char buf[32];
	int shift, k;

	for (shift = 0; shift < 64; shift++) {
		for (k = 0; k < 3; k++) {
			v = (1ull << shift) * (uint64_t)(2 * k + 1);
			if (shift > 61 && k > 0)
				continue;
			bpci__format_size(buf, sizeof(buf), v);
			ck_assert_int_eq(bpci__parse_size(buf, 1, &back), 0);
			ck_assert_uint_eq(back, v);
			ck_assert_int_eq(bpci__parse_size(buf, GI, &back), 0);
			if (strpbrk(buf, "KMGTPE"))
				ck_assert_uint_eq(back, v);
		}
	}
	for (k = 0; k < 3000; k++) {
		v = next_random(&seed) >> (k % 64);
		bpci__format_size(buf, sizeof(buf), v);
		ck_assert_int_eq(bpci__parse_size(buf, 1, &back), 0);
		ck_assert_uint_eq(back, v);
	}
}
END_TEST

static uint64_t cpu(const char *s)
{
	uint64_t v = SENTINEL;

	ck_assert_msg(bpci__parse_cpu(s, &v) == 0, "cpu refused \"%s\"", s);
	return v;
}

START_TEST(cpu_cores_and_millicores)
{
	ck_assert_uint_eq(cpu("8"), 8000);
	ck_assert_uint_eq(cpu("8 cores"), 8000);
	ck_assert_uint_eq(cpu("8cores"), 8000);
	ck_assert_uint_eq(cpu("1 core"), 1000);
	ck_assert_uint_eq(cpu("4 Cores"), 4000);
	ck_assert_uint_eq(cpu("0.5"), 500);
	ck_assert_uint_eq(cpu("0.125"), 125);
	ck_assert_uint_eq(cpu("0.001"), 1);
	ck_assert_uint_eq(cpu("1.500"), 1500);
	ck_assert_uint_eq(cpu("500m"), 500);
	ck_assert_uint_eq(cpu("500.0m"), 500);
	ck_assert_uint_eq(cpu("0"), 0);
	ck_assert_uint_eq(cpu(" 2.25 cores "), 2250);
	ck_assert_uint_eq(cpu("18446744073709551615m"), UINT64_MAX);
	ck_assert_uint_eq(cpu("18446744073709551.615"), UINT64_MAX);
}
END_TEST

START_TEST(cpu_refusals)
{
	static const char *const bad[] = {
		"", "cores", "-1", "0.0005", "1.5m", "500M", "8 cpus", "8 coresx", "8c",
		"18446744073709552", "18446744073709551616m", "8 cores 2", "1e3", "0.5 m x"
	};
	size_t i;
	uint64_t v = SENTINEL;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(bpci__parse_cpu(bad[i], &v) == BPCI_EINVAL,
			      "cpu accepted \"%s\"", bad[i]);
	ck_assert_uint_eq(v, SENTINEL);
}
END_TEST

START_TEST(cpu_formats_and_round_trips)
{
	static const struct { uint64_t m; const char *s; } cases[] = {
		{0, "0"}, {8000, "8"}, {500, "0.5"}, {125, "0.125"}, {1250, "1.25"},
		{1, "0.001"}, {10, "0.01"}, {2010, "2.01"}, {UINT64_MAX, "18446744073709551.615"}
	};
	uint64_t m, back;
	char buf[32];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bpci__format_cpu(buf, sizeof(buf), cases[i].m);
		ck_assert_str_eq(buf, cases[i].s);
	}
	for (m = 0; m < 5000; m++) {
		bpci__format_cpu(buf, sizeof(buf), m * 7);
		ck_assert_int_eq(bpci__parse_cpu(buf, &back), 0);
		ck_assert_uint_eq(back, m * 7);
	}
}
END_TEST

static uint64_t bw(const char *s)
{
	uint64_t v = SENTINEL;

	ck_assert_msg(bpci__parse_bandwidth(s, &v) == 0, "bandwidth refused \"%s\"", s);
	return v;
}

START_TEST(bandwidth_in_mbps)
{
	ck_assert_uint_eq(bw("1000"), 1000);
	ck_assert_uint_eq(bw("1000Mbps"), 1000);
	ck_assert_uint_eq(bw("1000 Mbps"), 1000);
	ck_assert_uint_eq(bw("1Gbps"), 1000);
	ck_assert_uint_eq(bw("1gbps"), 1000);
	ck_assert_uint_eq(bw("10Gbit/s"), 10000);
	ck_assert_uint_eq(bw("100M"), 100);
	ck_assert_uint_eq(bw("1G"), 1000);
	ck_assert_uint_eq(bw("1.5G"), 1500);
	ck_assert_uint_eq(bw("2Tbps"), 2000000);
	ck_assert_uint_eq(bw("1000Kbps"), 1);
	ck_assert_uint_eq(bw("5000k"), 5);
	ck_assert_uint_eq(bw("0"), 0);
	ck_assert_uint_eq(bw("1.0"), 1);
	ck_assert_uint_eq(bw("18446744073709551615"), UINT64_MAX);
	ck_assert_uint_eq(bw("18446744073709551615Mbps"), UINT64_MAX);
	ck_assert_uint_eq(bw("18446744073709551G"), 18446744073709551000ull);
}
END_TEST

START_TEST(bandwidth_refusals)
{
	static const char *const bad[] = {
		"", "Mbps", "-1", "10Kbps", "1500Kbps", "0.5", "1.0005G", "1Gb", "1GBps",
		"1 Gbps x", "1Xbps", "1bps", "1GBPS", "1Gbit", "18446744073709552G",
		"18446744073709551616", "1e3"
	};
	size_t i;
	uint64_t v = SENTINEL;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(bpci__parse_bandwidth(bad[i], &v) == BPCI_EINVAL,
			      "bandwidth accepted \"%s\"", bad[i]);
	ck_assert_uint_eq(v, SENTINEL);
}
END_TEST

TCase *units_quantity_tcase(void)
{
	TCase *tc = tcase_create("quantity");

	tcase_add_test(tc, size_binary_decimal_and_bare);
	tcase_add_test(tc, size_refusals);
	tcase_add_test(tc, size_formats_largest_binary_unit);
	tcase_add_test(tc, size_round_trips);
	tcase_add_test(tc, cpu_cores_and_millicores);
	tcase_add_test(tc, cpu_refusals);
	tcase_add_test(tc, cpu_formats_and_round_trips);
	tcase_add_test(tc, bandwidth_in_mbps);
	tcase_add_test(tc, bandwidth_refusals);
	return tc;
}
