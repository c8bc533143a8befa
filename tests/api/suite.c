/* Tests of lib/api: the coordinator's HTTP API server and its client, with
 * a real coordinator, real node processes and real sockets on 127.0.0.1. */
#include "api_test.h"

Suite *bpci_test_suite(void)
{
	Suite *s = suite_create("api");

	add_route_tests(s);
	add_mutation_tests(s);
	add_log_tests(s);
	add_client_tests(s);
	add_stress_tests(s);
	add_alloc_tests(s);
	add_gap_tests(s);
	add_audit_tests(s);
	add_trail_tests(s);
	return s;
}
