/* The "cluster" suite: node types, capabilities, responsibilities, daemon
 * specs, cluster node registrations and replicas. */
#include <string.h>

#include "cluster_tests.h"

bpci_diag *cluster_test_diag(void)
{
	bpci_diag *d = NULL;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	return d;
}

void cluster_assert_diag(const bpci_diag *d, size_t n, const char *field, const char *needle)
{
	const bpci_diag_entry *e = bpci_diag_get(d, 0);

	ck_assert_msg(bpci_diag_error_count(d) == n, "%zu errors, want %zu; last: %s",
		      bpci_diag_error_count(d), n, bpci_diag_last_text(d));
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->field, field);
	ck_assert_contains(e->text, needle);
}

Suite *bpci_test_suite(void)
{
	Suite *s = suite_create("cluster");

	suite_add_tcase(s, cluster_types_tcase());
	suite_add_tcase(s, cluster_daemon_tcase());
	suite_add_tcase(s, cluster_node_tcase());
	return s;
}
