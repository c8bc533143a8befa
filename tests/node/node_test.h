/* Shared helpers of the node model tests (tests/node/). */
#ifndef BPCI_TESTS_NODE_TEST_H
#define BPCI_TESTS_NODE_TEST_H

#include <stdint.h>
#include <string.h>

#include "bpci.h"
#include "test.h"

#define GIB ((uint64_t)1 << 30)

void node_add_param_tests(Suite *s);
void node_add_common_tests(Suite *s);
void node_add_validate_tests(Suite *s);
void node_add_json_tests(Suite *s);
void node_add_member_tests(Suite *s);

static inline bpci_node_spec *mk(bpci_node_type type)
{
	bpci_node_spec *spec = NULL;

	ck_assert_int_eq(bpci_node_spec_new(&spec, type), 0);
	ck_assert_ptr_nonnull(spec);
	return spec;
}

/* Set and expect success; the diagnostics are printed when it fails. */
static inline void set_ok(bpci_node_spec *spec, const char *field, const char *value)
{
	bpci_diag *d;
	int rc;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	rc = bpci_node_spec_set(spec, field, value, d);
	ck_assert_msg(rc == 0, "set %s=%s: %d (%s)", field, value, rc,
		      bpci_diag_last_text(d));
	ck_assert_uint_eq(bpci_diag_count(d), 0);
	bpci_diag_free(d);
}

/* Set and expect @code with exactly one error whose text is @text. */
static inline void set_fails_exact(bpci_node_spec *spec, const char *field,
				   const char *value, int code, const char *text)
{
	bpci_diag *d;
	int rc;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	rc = bpci_node_spec_set(spec, field, value, d);
	ck_assert_msg(rc == code, "set %s=%s: got %d, want %d", field, value, rc, code);
	ck_assert_uint_eq(bpci_diag_error_count(d), 1);
	ck_assert_str_eq(bpci_diag_last_text(d), text);
	ck_assert_int_eq(bpci_diag_get(d, 0)->code, code);
	bpci_diag_free(d);
}

/* Set and expect BPCI_EINVAL with a message naming the field and @needle
 * (normally the refused value), leaving the field's old value in place. */
static inline void set_fails(bpci_node_spec *spec, const char *field, const char *value,
			     const char *needle)
{
	bpci_node_spec *before;
	bpci_diag *d;
	int rc;

	ck_assert_int_eq(bpci_node_spec_dup(&before, spec), 0);
	ck_assert_int_eq(bpci_diag_new(&d), 0);
	rc = bpci_node_spec_set(spec, field, value, d);
	ck_assert_msg(rc == BPCI_EINVAL, "set %s=%s: got %d, want EINVAL", field, value, rc);
	ck_assert_uint_ge(bpci_diag_error_count(d), 1);
	ck_assert_contains(bpci_diag_last_text(d), field);
	ck_assert_contains(bpci_diag_last_text(d), needle);
	ck_assert_msg(bpci_node_spec_equal(before, spec), "%s changed after a refused set",
		      field);
	bpci_diag_free(d);
	bpci_node_spec_free(before);
}

static inline void want_str(const bpci_node_spec *spec, const char *field, const char *want)
{
	const char *got = NULL;

	ck_assert_int_eq(bpci_node_spec_get_string(spec, field, &got), 0);
	ck_assert_str_eq(got, want);
}

static inline void want_uint(const bpci_node_spec *spec, const char *field, uint64_t want)
{
	uint64_t got = 0;

	ck_assert_int_eq(bpci_node_spec_get_uint(spec, field, &got), 0);
	ck_assert_uint_eq(got, want);
}

/* Compare a list field with a NULL-terminated array of expected items. */
static inline void want_list(const bpci_node_spec *spec, const char *field,
			     const char *const *want)
{
	const char *const *items = NULL;
	size_t n = 0, i;

	ck_assert_int_eq(bpci_node_spec_get_list(spec, field, &items, &n), 0);
	for (i = 0; want[i]; i++) {
		ck_assert_uint_lt(i, n);
		ck_assert_str_eq(items[i], want[i]);
	}
	ck_assert_uint_eq(n, i);
}

#endif
