/* Every allocation of the server's and the client's setup may fail: the
 * call then fails cleanly (no leak, nothing half-made; ASan checks). */
#include <stdlib.h>
#include <string.h>

#include "api_test.h"
#include "common/alloc.h"

START_TEST(serve_and_client_survive_allocation_failures)
{
	bpci_coordinator_options co = BPCI_COORDINATOR_OPTIONS_INIT;
	bpci_server_options so = BPCI_SERVER_OPTIONS_INIT;
	bpci_client_options o = BPCI_CLIENT_OPTIONS_INIT;
	bpci_coordinator *c = NULL;
	bpci_server *srv = NULL;
	bpci_client *cl = NULL;
	char *dir = bpci_test_mkdtemp();
	long n;
	int rc;

	co.state_dir = dir;
	so.listen = "127.0.0.1:0";
	so.config_path = "/nonexistent.yaml";
	ck_assert_int_eq(bpci_coordinator_new(&c, &co, NULL), 0);
	for (n = 0; n < 1000; n++) {
		bpci__alloc_fail_after(n);
		rc = bpci_coordinator_serve(&srv, c, &so, NULL);
		bpci__alloc_fail_after(-1);
		if (rc == 0)
			break;
		ck_assert_int_lt(rc, 0);
		ck_assert_ptr_null(srv);
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_int_ge(n, 4); /* the sweep did hit the server's allocations */
	o.state_dir = dir;
	for (n = 0; n < 1000; n++) {
		bpci__alloc_fail_after(n);
		rc = bpci_client_new(&cl, &o, NULL);
		bpci__alloc_fail_after(-1);
		if (rc == 0)
			break;
		ck_assert_int_eq(rc, BPCI_ENOMEM);
		ck_assert_ptr_null(cl);
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_int_ge(n, 3);
	ck_assert_str_eq(bpci_client_url(cl), bpci_server_url(srv));
	bpci_client_free(cl);
	bpci_server_free(srv);
	bpci_coordinator_free(c);
	bpci_test_rmtree(dir);
	free(dir);
}
END_TEST

void add_alloc_tests(Suite *s)
{
	TCase *tc = tcase_create("alloc");

	tcase_add_test(tc, serve_and_client_survive_allocation_failures);
	suite_add_tcase(s, tc);
}
