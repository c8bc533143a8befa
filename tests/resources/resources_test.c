/* bpci_resources_parse/format/fits and the internal per-key setter. */
#include <string.h>

#include "bpci.h"
#include "common/alloc.h"
#include "model/resources_key.h"
#include "test.h"

#define GIB (1ull << 30)
#define MIB (1ull << 20)

static bpci_resources parse_ok(const char *text)
{
	bpci_resources r;
	bpci_diag *d;

	memset(&r, 0xab, sizeof(r));
	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_msg(bpci_resources_parse(&r, text, d) == 0, "refused [%s]: %s", text,
		      bpci_diag_last_text(d));
	ck_assert_uint_eq(bpci_diag_count(d), 0);
	bpci_diag_free(d);
	return r;
}

START_TEST(parse_short_and_long_keys)
{
	bpci_resources r;

	r = parse_ok("cpu=8,memory=16Gi,storage=500Gi,network=1000,gpu=1");
	ck_assert_uint_eq(r.cpu_millicores, 8000);
	ck_assert_uint_eq(r.memory_bytes, 16 * GIB);
	ck_assert_uint_eq(r.storage_bytes, 500 * GIB);
	ck_assert_uint_eq(r.network_mbps, 1000);
	ck_assert_uint_eq(r.gpu_units, 1);

	r = parse_ok("cpu_cores=8,memory_gb=16,storage_gb=500,network_bandwidth_mbps=1000,gpu_units=2");
	ck_assert_uint_eq(r.cpu_millicores, 8000);
	ck_assert_uint_eq(r.memory_bytes, 16 * GIB);
	ck_assert_uint_eq(r.storage_bytes, 500 * GIB);
	ck_assert_uint_eq(r.network_mbps, 1000);
	ck_assert_uint_eq(r.gpu_units, 2);

	r = parse_ok(" memory = 512Mi , cpu = 8 cores ,network_mbps=1Gbps ");
	ck_assert_uint_eq(r.cpu_millicores, 8000);
	ck_assert_uint_eq(r.memory_bytes, 512 * MIB);
	ck_assert_uint_eq(r.storage_bytes, 0);
	ck_assert_uint_eq(r.network_mbps, 1000);
	ck_assert_uint_eq(r.gpu_units, 0);

	r = parse_ok("cpu=500m,memory=0.5,storage=500G");
	ck_assert_uint_eq(r.cpu_millicores, 500);
	ck_assert_uint_eq(r.memory_bytes, GIB / 2);
	ck_assert_uint_eq(r.storage_bytes, 500000000000ull);

	r = parse_ok("");
	ck_assert_uint_eq(r.cpu_millicores | r.memory_bytes | r.storage_bytes |
			  r.network_mbps | r.gpu_units, 0);
	r = parse_ok("  ");
	ck_assert_uint_eq(r.cpu_millicores | r.gpu_units, 0);
	r = parse_ok("gpu=0");
	ck_assert_uint_eq(r.gpu_units, 0);
}
END_TEST

/* Parse @text, expect EINVAL, @n errors, the first naming @field and containing @needle. */
static void parse_fails(const char *text, size_t n, const char *field, const char *needle)
{
	bpci_resources r, before;
	bpci_diag *d;
	const bpci_diag_entry *e;

	memset(&r, 0x5a, sizeof(r));
	before = r;
	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_msg(bpci_resources_parse(&r, text, d) == BPCI_EINVAL, "accepted [%s]", text);
	ck_assert_msg(bpci_diag_error_count(d) == n, "[%s]: %zu errors, want %zu (last: %s)",
		      text, bpci_diag_error_count(d), n, bpci_diag_last_text(d));
	e = bpci_diag_get(d, 0);
	ck_assert_str_eq(e->field, field);
	ck_assert_contains(e->text, needle);
	ck_assert_int_eq(e->code, BPCI_EINVAL);
	ck_assert(memcmp(&r, &before, sizeof(r)) == 0);
	bpci_diag_free(d);
}

START_TEST(parse_refusals_name_field_and_value)
{
	parse_fails("memroy=16Gi", 1, "memroy", "did you mean \"memory\"");
	parse_fails("cpu_core=8", 1, "cpu_core", "did you mean \"cpu_cores\"");
	parse_fails("disk=1Ti", 1, "disk", "expected cpu, memory, storage, network or gpu");
	parse_fails("cpu=8,cpu=4", 1, "cpu", "more than once");
	parse_fails("cpu=8,cpu_cores=4", 1, "cpu_cores", "more than once (cpu)");
	parse_fails("memory=16Q", 1, "memory", "got \"16Q\"");
	parse_fails("memory=16Q", 1, "memory", "16Gi");
	parse_fails("cpu=-1", 1, "cpu", "got \"-1\"");
	parse_fails("cpu=0.0001", 1, "cpu", "500m");
	parse_fails("network=10Kbps", 1, "network", "got \"10Kbps\"");
	parse_fails("gpu=1.5", 1, "gpu", "got \"1.5\"");
	parse_fails("gpu=", 1, "gpu", "got \"\"");
	parse_fails("storage=99999999999", 1, "storage", "got \"99999999999\"");
	parse_fails("cpu8", 1, "resources", "\"cpu8\" is not key=value");
	parse_fails("=8", 1, "resources", "no key");
	parse_fails("cpu=8,,gpu=1", 1, "resources", "empty item");
	parse_fails("cpu=8,", 1, "resources", "ends with a comma");
	parse_fails("cpu=8, ", 1, "resources", "ends with a comma");
	parse_fails(",cpu=8", 1, "resources", "empty item");
	/* Every problem is reported, not just the first. */
	parse_fails("cpu=x,memroy=1,gpu=1,gpu=2,storage=1Q", 4, "cpu", "got \"x\"");
	ck_assert_int_eq(bpci_resources_parse(&(bpci_resources){0}, NULL, NULL), BPCI_EINVAL);
	ck_assert_int_eq(bpci_resources_parse(&(bpci_resources){0}, "cpu=x", NULL), BPCI_EINVAL);
}
END_TEST

static void format_is(bpci_resources r, const char *want)
{
	char *s = NULL;

	ck_assert_int_eq(bpci_resources_format(&s, &r), 0);
	ck_assert_str_eq(s, want);
	bpci_free(s);
}

START_TEST(format_largest_exact_units)
{
	format_is((bpci_resources){8000, 16 * GIB, 500 * GIB, 1000, 1},
		  "cpu=8,memory=16Gi,storage=500Gi,network=1000,gpu=1");
	format_is((bpci_resources){0}, "");
	format_is((bpci_resources){500, 0, 0, 0, 0}, "cpu=0.5");
	format_is((bpci_resources){0, 1000, 0, 0, 0}, "memory=1000B");
	format_is((bpci_resources){0, 0, 1536 * MIB, 0, 0}, "storage=1536Mi");
	format_is((bpci_resources){0, 0, 0, 0, 4}, "gpu=4");
	format_is((bpci_resources){UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX},
		  "cpu=18446744073709551.615,memory=18446744073709551615B,"
		  "storage=18446744073709551615B,network=18446744073709551615,"
		  "gpu=18446744073709551615");
}
END_TEST

START_TEST(format_parse_round_trip)
{
	static const bpci_resources cases[] = {
		{8000, 16 * GIB, 500 * GIB, 1000, 1}, {1, 1, 1, 1, 1}, {125, 1023, 1024, 7, 0},
		{0, 3 * GIB + 5, 0, 0, 0}, {UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX},
		{0}
	};
	bpci_resources back;
	size_t i;
	char *s;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(bpci_resources_format(&s, &cases[i]), 0);
		ck_assert_msg(bpci_resources_parse(&back, s, NULL) == 0, "refused own [%s]", s);
		ck_assert_msg(memcmp(&back, &cases[i], sizeof(back)) == 0, "[%s] differs", s);
		bpci_free(s);
	}
}
END_TEST

START_TEST(format_allocation_failure)
{
	bpci_resources r = {8000, 0, 0, 0, 0};
	char *s = (char *)"x";

	bpci__alloc_fail_after(0);
	ck_assert_int_eq(bpci_resources_format(&s, &r), BPCI_ENOMEM);
	bpci__alloc_fail_after(-1);
	ck_assert_ptr_null(s);
}
END_TEST

START_TEST(parse_allocation_failures_are_clean)
{
	bpci_resources r;
	long k;
	int rc = -1;

	for (k = 0; k < 50 && rc != 0; k++) {
		memset(&r, 0, sizeof(r));
		bpci__alloc_fail_after(k);
		rc = bpci_resources_parse(&r, "cpu=8,memory=16Gi,gpu=1", NULL);
		bpci__alloc_fail_after(-1);
		ck_assert(rc == 0 || rc == BPCI_ENOMEM);
		if (rc)
			ck_assert_uint_eq(r.cpu_millicores, 0);
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(r.gpu_units, 1);
}
END_TEST

START_TEST(fits_compares_every_amount)
{
	bpci_resources free_ = {8000, 16 * GIB, 500 * GIB, 1000, 1};
	bpci_resources need = free_;

	ck_assert(bpci_resources_fits(&need, &free_));
	ck_assert(bpci_resources_fits(&(bpci_resources){0}, &free_));
	ck_assert(bpci_resources_fits(&(bpci_resources){0}, &(bpci_resources){0}));
	need.cpu_millicores++;
	ck_assert(!bpci_resources_fits(&need, &free_));
	need = free_;
	need.memory_bytes++;
	ck_assert(!bpci_resources_fits(&need, &free_));
	need = free_;
	need.storage_bytes++;
	ck_assert(!bpci_resources_fits(&need, &free_));
	need = free_;
	need.network_mbps++;
	ck_assert(!bpci_resources_fits(&need, &free_));
	need = free_;
	need.gpu_units++;
	ck_assert(!bpci_resources_fits(&need, &free_));
	need = free_;
	need.gpu_units--;
	ck_assert(bpci_resources_fits(&need, &free_));
}
END_TEST

START_TEST(set_key_one_at_a_time)
{
	bpci_resources r = {0};
	unsigned int seen = 0;
	bpci_diag *d;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci__resources_set_key(&r, &seen, "memory_gb", "16", d), 0);
	ck_assert_uint_eq(r.memory_bytes, 16 * GIB);
	ck_assert_int_eq(bpci__resources_set_key(&r, &seen, "memory", "8Gi", d), BPCI_EINVAL);
	ck_assert_uint_eq(r.memory_bytes, 16 * GIB);
	ck_assert_int_eq(bpci__resources_set_key(&r, NULL, "memory", "8Gi", d), 0);
	ck_assert_uint_eq(r.memory_bytes, 8 * GIB);
	ck_assert_int_eq(bpci__resources_set_key(&r, &seen, "gpus", "1", d), BPCI_EINVAL);
	ck_assert_str_eq(bpci_diag_last_text(d), "gpus is not a resource; did you mean \"gpu\"?");
	bpci_diag_free(d);
}
END_TEST

Suite *bpci_test_suite(void)
{
	Suite *s = suite_create("resources");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, parse_short_and_long_keys);
	tcase_add_test(tc, parse_refusals_name_field_and_value);
	tcase_add_test(tc, format_largest_exact_units);
	tcase_add_test(tc, format_parse_round_trip);
	tcase_add_test(tc, format_allocation_failure);
	tcase_add_test(tc, parse_allocation_failures_are_clean);
	tcase_add_test(tc, fits_compares_every_amount);
	tcase_add_test(tc, set_key_one_at_a_time);
	suite_add_tcase(s, tc);
	return s;
}
