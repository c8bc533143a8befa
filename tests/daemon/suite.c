/*
 * The daemon tree with real processes: build/bin/bpi-core daemons (build
 * it first) supervising each other over 127.0.0.1.
 */
#include "daemon_test.h"

Suite *bpci_test_suite(void)
{
	Suite *s = suite_create("daemon");

	dt_add_tree_tests(s);
	dt_add_strategy_tests(s);
	dt_add_api_tests(s);
	dt_add_inproc_tests(s);
	dt_add_handover_tests(s);
	return s;
}
