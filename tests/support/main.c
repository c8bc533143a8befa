#include "test.h"

#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	SRunner *sr;
	int failed;

	/* A suite may re-run its own binary as a child process (a node). */
	if (argc > 1 && strcmp(argv[1], "--as-node") == 0)
		return bpci_test_node_main(argc, argv);
	sr = srunner_create(bpci_test_suite());

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
