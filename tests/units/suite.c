/* The "units" suite: scalar parsers and text helpers of lib/model/text.h. */
#include "units_tests.h"

Suite *bpci_test_suite(void)
{
	Suite *s = suite_create("units");

	suite_add_tcase(s, units_scalar_tcase());
	suite_add_tcase(s, units_quantity_tcase());
	suite_add_tcase(s, units_text_tcase());
	suite_add_tcase(s, units_split_tcase());
	suite_add_tcase(s, units_eip55_tcase());
	return s;
}
