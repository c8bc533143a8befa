/* Tests of the node coordinator: real processes (this binary run as a
 * node, see node_main.c), real sockets, temporary state directories. */
#include "coordinator_test.h"

Suite *bpci_test_suite(void)
{
	Suite *s = suite_create("coordinator");

	ct_add_basic(s);
	ct_add_policy(s);
	ct_add_persist(s);
	ct_add_alloc(s);
	ct_add_journal(s);
	ct_add_gaps(s);
	ct_add_rundir(s);
	ct_add_health_journal(s);
	ct_add_batch(s);
	return s;
}
