/* The client handle: finding the coordinator, and what no coordinator means. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api_test.h"

START_TEST(client_from_state_dir)
{
	api_fx fx;
	bpci_client_options o = BPCI_CLIENT_OPTIONS_INIT;
	bpci_client *cl = NULL;
	bpci_node_spec *spec = fx_spec("viadir", "exec sleep 30");
	char *id = NULL;

	fx_start(&fx, NULL, 0);
	o.state_dir = fx.state;
	ck_assert_int_eq(bpci_client_new(&cl, &o, NULL), 0);
	ck_assert_str_eq(bpci_client_url(cl), fx.url);
	/* The token came from api.token: a mutation goes through. */
	ck_assert_int_eq(bpci_client_start_node(&id, cl, spec, NULL, NULL), 0);
	ck_assert_str_eq(id, "storage-1");
	bpci_free(id);
	/* An endpoint given with the start (escaped into the query). */
	{
		bpci_node_status *st = NULL;

		ck_assert_int_eq(bpci_client_start_node(&id, cl, spec, "http://127.0.0.1:1/x?y=1&z",
							NULL), 0);
		ck_assert_int_eq(bpci_client_get_node(&st, cl, id, NULL), 0);
		ck_assert_str_eq(st->endpoint, "http://127.0.0.1:1/x?y=1&z");
		ck_assert_uint_eq(st->port, 1);
		bpci_node_status_free(st);
		ck_assert_int_eq(bpci_client_stop_node(cl, id, NULL), 0);
		bpci_free(id);
	}
	bpci_client_free(cl);
	/* An explicit URL with a trailing slash and the state dir's token. */
	{
		char url[160];

		snprintf(url, sizeof(url), "%s/", fx.url);
		o.url = url;
		ck_assert_int_eq(bpci_client_new(&cl, &o, NULL), 0);
		ck_assert_str_eq(bpci_client_url(cl), fx.url);
		ck_assert_int_eq(bpci_client_stop_node(cl, "storage-1", NULL), 0);
		bpci_client_free(cl);
	}
	bpci_node_spec_free(spec);
	fx_stop(&fx);
}
END_TEST

START_TEST(no_coordinator_is_unreachable)
{
	bpci_client_options o = BPCI_CLIENT_OPTIONS_INIT;
	bpci_client *cl = NULL;
	bpci_node_status_list *list = NULL;
	bpci_diag *d = NULL;
	char *dir = bpci_test_mkdtemp();

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	o.state_dir = dir;
	ck_assert_int_eq(bpci_client_new(&cl, &o, d), BPCI_EUNREACHABLE);
	ck_assert_ptr_null(cl);
	api_assert_has(bpci_diag_last_text(d), "api.url does not exist");
	api_assert_has(bpci_diag_last_text(d), "bpi-core node-coordinator start --config FILE");
	bpci_diag_clear(d);
	/* A URL where nothing listens (a stale api.url). */
	bpci_free(bpci_test_write_file(dir, "api.url", "http://127.0.0.1:1\n"));
	ck_assert_int_eq(bpci_client_new(&cl, &o, d), 0);
	ck_assert_str_eq(bpci_client_url(cl), "http://127.0.0.1:1");
	ck_assert_int_eq(bpci_client_list_nodes(&list, cl, (bpci_node_type)0, d),
			 BPCI_EUNREACHABLE);
	ck_assert_ptr_null(list);
	api_assert_has(bpci_diag_last_text(d), "127.0.0.1:1");
	bpci_client_free(cl);
	bpci_diag_clear(d);
	o.state_dir = NULL;
	o.url = "ftp://127.0.0.1/";
	ck_assert_int_eq(bpci_client_new(&cl, &o, d), BPCI_EINVAL);
	ck_assert_str_eq(bpci_diag_get(d, 0)->field, "url");
	o.version = 99;
	ck_assert_int_eq(bpci_client_new(&cl, &o, NULL), BPCI_EINVAL);
	bpci_diag_free(d);
	bpci_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(default_state_dir)
{
	char *saved = getenv("BPCI_STATE_DIR") ? strdup(getenv("BPCI_STATE_DIR")) : NULL;
	char *xdg = getenv("XDG_STATE_HOME") ? strdup(getenv("XDG_STATE_HOME")) : NULL;
	char *out = NULL;

	setenv("BPCI_STATE_DIR", "/srv/bpci-state", 1);
	ck_assert_int_eq(bpci_client_default_state_dir(&out), 0);
	ck_assert_str_eq(out, "/srv/bpci-state");
	bpci_free(out);
	unsetenv("BPCI_STATE_DIR");
	setenv("XDG_STATE_HOME", "/home/u/.st", 1);
	ck_assert_int_eq(bpci_client_default_state_dir(&out), 0);
	ck_assert_str_eq(out, geteuid() == 0 ? "/var/lib/bpci" : "/home/u/.st/bpci");
	bpci_free(out);
	if (saved)
		setenv("BPCI_STATE_DIR", saved, 1);
	if (xdg)
		setenv("XDG_STATE_HOME", xdg, 1);
	else
		unsetenv("XDG_STATE_HOME");
	free(saved);
	free(xdg);
}
END_TEST

void add_client_tests(Suite *s)
{
	TCase *tc = tcase_create("client");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, client_from_state_dir);
	tcase_add_test(tc, no_coordinator_is_unreachable);
	tcase_add_test(tc, default_state_dir);
	suite_add_tcase(s, tc);
}
