/* Tests of lib/runtime's HTTP server, HTTP client and health probes. */
#include <curl/curl.h>

#include "http_test.h"

Suite *bpci_test_suite(void)
{
	Suite *s = suite_create("http");

	add_server_tests(s);
	add_client_tests(s);
	add_probe_tests(s);
	return s;
}
