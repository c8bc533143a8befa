/* The audit commands of bpci-enterprise and remote ledgers (serve, ship). */
#include "audit_test.h"

Suite *bpci_test_suite(void)
{
	Suite *s = suite_create("audit");

	audit_add_cli_tests(s);
	audit_add_ship_tests(s);
	audit_add_daemon_ship_tests(s);
	return s;
}
