/* The cluster-manager commands of bpci-enterprise (filled in with the CLI). */
#include "cm_test.h"

void cm_add_cli(Suite *s)
{
	(void)s;
}
