/* Tests of lib/common: error codes, diagnostics, allocation failure hook. */
#include <string.h>

#include "bpci.h"
#include "common/alloc.h"
#include "common/diag.h"
#include "test.h"

START_TEST(strerror_covers_every_code)
{
	int c;

	for (c = BPCI_EUNSUPPORTED; c <= 0; c++)
		ck_assert_str_ne(bpci_strerror(c), "unknown error");
	ck_assert_str_eq(bpci_strerror(-9999), "unknown error");
	ck_assert_str_eq(bpci_strerror(1), "unknown error");
}
END_TEST

START_TEST(version_matches_headers)
{
	ck_assert_str_eq(bpci_version(), BPCI_VERSION);
	ck_assert_int_eq(bpci_version_number(), BPCI_VERSION_NUMBER);
}
END_TEST

START_TEST(diag_formats_location_and_field)
{
	bpci_diag *d;
	const bpci_diag_entry *e;
	bpci__diag_ctx ctx = {"config.yaml", 14, 7, "node_types.storage"};

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_str_eq(bpci_diag_last_text(d), "");
	bpci__diag_set_ctx(d, ctx);
	ck_assert_int_eq(bpci__diag_add(d, BPCI_SEVERITY_ERROR, BPCI_EINVAL,
					"replication_factor", "must be 1..16, got %d", 0),
			 BPCI_EINVAL);
	e = bpci_diag_get(d, 0);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->text, "config.yaml:14:7: node_types.storage.replication_factor "
				  "must be 1..16, got 0");
	ck_assert_str_eq(e->field, "node_types.storage.replication_factor");
	ck_assert_uint_eq(e->line, 14);
	ck_assert_int_eq(e->code, BPCI_EINVAL);
	ck_assert_ptr_null(bpci_diag_get(d, 1));
	bpci_diag_free(d);
}
END_TEST

static int locate_here(const char *field, unsigned int *line, unsigned int *col, void *p)
{
	(void)p;
	if (strcmp(field, "nodes[1].endpoint") != 0)
		return -1;
	*line = 9;
	*col = 15;
	return 0;
}

START_TEST(diag_locate_and_promote)
{
	bpci_diag *d;
	bpci__diag_ctx ctx = {NULL, 0, 0, "nodes"};

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	bpci__diag_set_ctx(d, ctx);
	bpci__diag_add(d, BPCI_SEVERITY_WARNING, BPCI_EINVAL, "[1].endpoint", "is odd");
	bpci__diag_add(d, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "[2].name", "is missing");
	ck_assert_uint_eq(bpci_diag_error_count(d), 1);
	bpci__diag_locate(d, 0, "c.yaml", locate_here, NULL);
	ck_assert_str_eq(bpci_diag_get(d, 0)->text, "c.yaml:9:15: warning: nodes[1].endpoint is odd");
	ck_assert_str_eq(bpci_diag_get(d, 1)->text, "nodes[2].name is missing");
	ck_assert_str_eq(bpci_diag_last_text(d), "nodes[2].name is missing");
	bpci__diag_promote(d, 0, BPCI_EINVAL);
	ck_assert_uint_eq(bpci_diag_error_count(d), 2);
	ck_assert_str_eq(bpci_diag_get(d, 0)->text, "c.yaml:9:15: nodes[1].endpoint is odd");
	bpci_diag_clear(d);
	ck_assert_uint_eq(bpci_diag_count(d), 0);
	bpci_diag_free(d);
	bpci_diag_free(NULL);
}
END_TEST

START_TEST(diag_survives_allocation_failure)
{
	bpci_diag *d;
	long n;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	for (n = 0; n < 3; n++) {
		bpci__alloc_fail_after(n);
		ck_assert_int_eq(bpci__diag_add(d, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "f", "m"),
				 BPCI_EINVAL);
	}
	bpci__alloc_fail_after(-1);
	ck_assert_uint_le(bpci_diag_count(d), 3);
	bpci_diag_free(d);
	bpci__alloc_fail_after(0);
	ck_assert_int_eq(bpci_diag_new(&d), BPCI_ENOMEM);
	ck_assert_ptr_null(d);
	bpci__alloc_fail_after(-1);
}
END_TEST

Suite *bpci_test_suite(void)
{
	Suite *s = suite_create("common");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, strerror_covers_every_code);
	tcase_add_test(tc, version_matches_headers);
	tcase_add_test(tc, diag_formats_location_and_field);
	tcase_add_test(tc, diag_locate_and_promote);
	tcase_add_test(tc, diag_survives_allocation_failure);
	suite_add_tcase(s, tc);
	return s;
}
