/* Tests of the cluster manager (root daemon): real replica processes,
 * real sockets, temporary state directories. */
#include "cm_test.h"

Suite *bpci_test_suite(void)
{
	Suite *s = suite_create("cluster_manager");

	cm_add_manager(s);
	cm_add_cli(s);
	cm_add_tree(s);
	cm_add_standby(s);
	cm_add_glue(s);
	cm_add_fence(s);
	cm_add_timing(s);
	cm_add_reparent(s);
	cm_add_resp(s);
	cm_add_migrate(s);
	return s;
}
