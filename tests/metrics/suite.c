/* Tests of lib/runtime's measurement (procstat) and exposition (metrics). */
#include "metrics_tests.h"
#include "test.h"

Suite *bpci_test_suite(void)
{
	Suite *s = suite_create("metrics");

	suite_add_tcase(s, bpci_test_procstat_tcase());
	suite_add_tcase(s, bpci_test_exposition_tcase());
	return s;
}
