/* The daemon tree suite's parts (tests/daemon_tree/). */
#ifndef BPCI_TESTS_DAEMON_TREE_DT_TEST_H
#define BPCI_TESTS_DAEMON_TREE_DT_TEST_H

#include "test.h"

/* load_balancing domains and fault_recovery scopes (domain.c). */
void dt_add_domain_tests(Suite *s);
/* Manager-set states and health probes (health.c). */
void dt_add_health_tests(Suite *s);
/* The placement view kept between placements, apply's single view (cache.c). */
void dt_add_cache_tests(Suite *s);

#endif
