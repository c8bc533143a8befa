/* TCases of the "cluster" suite (include/bpci/cluster.h), one file each. */
#ifndef BPCI_TESTS_CLUSTER_H
#define BPCI_TESTS_CLUSTER_H

#include "bpci.h"
#include "test.h"

TCase *cluster_types_tcase(void);
TCase *cluster_daemon_tcase(void);
TCase *cluster_node_tcase(void);

/* A fresh diagnostics list (aborts the test on ENOMEM). */
bpci_diag *cluster_test_diag(void);

/* Assert that @d holds exactly @n errors and that entry 0 has @field and
 * contains @needle in its text. */
void cluster_assert_diag(const bpci_diag *d, size_t n, const char *field, const char *needle);

#endif
