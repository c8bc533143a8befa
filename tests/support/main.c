#include "test.h"

#include <stdlib.h>

int main(void)
{
	SRunner *sr = srunner_create(bpci_test_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
