/* The node model's suite: parameters of each type, common fields,
 * validation, JSON form. */
#include "node_test.h"

Suite *bpci_test_suite(void)
{
	Suite *s = suite_create("node");

	node_add_param_tests(s);
	node_add_common_tests(s);
	node_add_validate_tests(s);
	node_add_json_tests(s);
	node_add_member_tests(s);
	return s;
}
