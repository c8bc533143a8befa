/* Reading the node process contract, in process: every variable, its
 * errors and the options that override it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "service_test.h"

static char *dir, *spec_path;

static void setup(void)
{
	svc_clear_env();
	dir = bpci_test_mkdtemp();
	spec_path = svc_write_storage_spec(dir, "spec.json", "st-7");
}

static void teardown(void)
{
	svc_clear_env();
	bpci_test_rmtree(dir);
	free(dir);
	free(spec_path);
}

static void set_contract(void)
{
	setenv("BPCI_NODE_ID", "node-1", 1);
	setenv("BPCI_NODE_TYPE", "storage", 1);
	setenv("BPCI_NODE_PORT", "18080", 1);
	setenv("BPCI_NODE_CONFIG", spec_path, 1);
}

/* new() must fail with @code, and the diagnostics must mention each of the
 * NULL-terminated @needles. */
static void expect_error(const bpci_service_options *o, int code, const char *const *needles)
{
	bpci_service *svc = (bpci_service *)1;
	bpci_diag *d;
	char all[4096] = "";
	size_t i, n = 0;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci_service_new(&svc, o, d), code);
	ck_assert_ptr_null(svc);
	for (i = 0; i < bpci_diag_count(d); i++)
		n += (size_t)snprintf(all + n, sizeof(all) - n, "%s\n", bpci_diag_get(d, i)->text);
	for (i = 0; needles[i]; i++)
		ck_assert_contains(all, needles[i]);
	bpci_diag_free(d);
}

START_TEST(full_contract_from_environment)
{
	bpci_service *svc;
	bpci_diag *d;

	set_contract();
	setenv("BPCI_COORDINATOR_URL", "http://127.0.0.1:8080", 1);
	setenv("NOTIFY_SOCKET", "@bpci-test-notify", 1);
	setenv("WATCHDOG_USEC", "2000000", 1);
	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci_service_new(&svc, NULL, d), 0);
	ck_assert_uint_eq(bpci_diag_count(d), 0);
	ck_assert_str_eq(bpci_service_id(svc), "node-1");
	ck_assert_int_eq(bpci_service_type(svc), BPCI_NODE_STORAGE);
	ck_assert_uint_eq(bpci_service_port(svc), 18080);
	ck_assert_str_eq(bpci_service_config_path(svc), spec_path);
	ck_assert_str_eq(bpci_service_coordinator_url(svc), "http://127.0.0.1:8080");
	ck_assert_uint_eq(bpci_service_watchdog_usec(svc), 2000000);
	ck_assert_ptr_nonnull(bpci_service_spec(svc));
	ck_assert_int_eq(bpci_node_spec_type(bpci_service_spec(svc)), BPCI_NODE_STORAGE);
	bpci_service_free(svc);
	bpci_service_free(NULL);
	bpci_diag_free(d);
}
END_TEST

START_TEST(optional_values_absent)
{
	bpci_service *svc;

	set_contract();
	ck_assert_int_eq(bpci_service_new(&svc, NULL, NULL), 0);
	ck_assert_ptr_null(bpci_service_coordinator_url(svc));
	ck_assert_uint_eq(bpci_service_watchdog_usec(svc), 0);
	/* Without NOTIFY_SOCKET notifying is a successful no-op. */
	ck_assert_int_eq(bpci_service_ready(svc), 0);
	ck_assert_int_eq(bpci_service_status(svc, "warming %d%%", 50), 0);
	ck_assert_int_eq(bpci_service_notify(svc, ""), BPCI_EINVAL);
	bpci_service_free(svc);
}
END_TEST

START_TEST(id_defaults_to_spec_then_type)
{
	bpci_service *svc;
	char *bare;

	set_contract();
	unsetenv("BPCI_NODE_ID");
	ck_assert_int_eq(bpci_service_new(&svc, NULL, NULL), 0);
	ck_assert_str_eq(bpci_service_id(svc), "st-7");
	bpci_service_free(svc);
	bare = svc_write_storage_spec(dir, "bare.json", NULL);
	setenv("BPCI_NODE_CONFIG", bare, 1);
	ck_assert_int_eq(bpci_service_new(&svc, NULL, NULL), 0);
	ck_assert_str_eq(bpci_service_id(svc), "storage");
	bpci_service_free(svc);
	free(bare);
}
END_TEST

START_TEST(options_override_environment)
{
	bpci_service_options o = BPCI_SERVICE_OPTIONS_INIT;
	bpci_service *svc;

	setenv("BPCI_NODE_TYPE", "nonsense", 1);
	setenv("BPCI_NODE_PORT", "70000", 1);
	setenv("BPCI_NODE_CONFIG", "/nonexistent/spec.json", 1);
	setenv("WATCHDOG_USEC", "garbage", 1);
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	o.type = "Storage"; /* case-insensitive, like every type name */
	o.port = 0;
	o.config_path = spec_path;
	o.id = "by-hand";
	o.watchdog_usec = 0;
	o.notify_socket = "";
	o.coordinator_url = "https://coord.example:9000/api";
	ck_assert_int_eq(bpci_service_new(&svc, &o, NULL), 0);
	ck_assert_str_eq(bpci_service_id(svc), "by-hand");
	ck_assert_uint_eq(bpci_service_port(svc), 0);
	ck_assert_uint_eq(bpci_service_watchdog_usec(svc), 0);
	ck_assert_str_eq(bpci_service_coordinator_url(svc), "https://coord.example:9000/api");
	bpci_service_free(svc);
}
END_TEST

START_TEST(bad_type_names_variable_and_value)
{
	set_contract();
	setenv("BPCI_NODE_TYPE", "nonsense", 1);
	expect_error(NULL, BPCI_EINVAL,
		     (const char *const[]){"BPCI_NODE_TYPE", "'nonsense'", "enc-cluster",
					   NULL});
}
END_TEST

START_TEST(missing_type_and_port)
{
	set_contract();
	unsetenv("BPCI_NODE_TYPE");
	unsetenv("BPCI_NODE_PORT");
	expect_error(NULL, BPCI_EINVAL,
		     (const char *const[]){"BPCI_NODE_TYPE is not set",
					   "BPCI_NODE_PORT is not set", NULL});
}
END_TEST

START_TEST(bad_ports)
{
	static const char *const bad[] = {"70000", "0", "-1", "80x", "65536"};
	bpci_service_options o = BPCI_SERVICE_OPTIONS_INIT;
	char want[64];
	size_t i;

	set_contract();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("BPCI_NODE_PORT", bad[i], 1);
		snprintf(want, sizeof(want), "got '%s'", bad[i]);
		expect_error(NULL, BPCI_EINVAL,
			     (const char *const[]){"BPCI_NODE_PORT must be a port 1..65535",
						   want, NULL});
	}
	setenv("BPCI_NODE_PORT", "65535", 1);
	o.port = 65536;
	expect_error(&o, BPCI_EINVAL, (const char *const[]){"port must be 0..65535",
							     "got 65536", NULL});
}
END_TEST

START_TEST(missing_config_file)
{
	set_contract();
	setenv("BPCI_NODE_CONFIG", "/nonexistent/dir/spec.json", 1);
	expect_error(NULL, BPCI_ENOTFOUND,
		     (const char *const[]){"BPCI_NODE_CONFIG", "/nonexistent/dir/spec.json",
					   "No such file", NULL});
	unsetenv("BPCI_NODE_CONFIG");
	expect_error(NULL, BPCI_EINVAL, (const char *const[]){"BPCI_NODE_CONFIG is not set",
							       NULL});
}
END_TEST

START_TEST(invalid_spec_json)
{
	char *bad = bpci_test_write_file(dir, "bad.json", "{\"type\": \"storage\",\n  \"params\": [");
	char *badval = bpci_test_write_file(
		dir, "badval.json",
		"{\"type\":\"storage\",\"params\":{\"storage_type\":\"floppy\","
		"\"capacity_gb\":10}}");
	char *incomplete = bpci_test_write_file(dir, "inc.json", "{\"type\":\"storage\"}");

	set_contract();
	setenv("BPCI_NODE_CONFIG", bad, 1);
	expect_error(NULL, BPCI_EPARSE,
		     (const char *const[]){"BPCI_NODE_CONFIG", "does not hold a valid node spec",
					   "bad.json:2:", NULL});
	setenv("BPCI_NODE_CONFIG", badval, 1);
	expect_error(NULL, BPCI_EINVAL,
		     (const char *const[]){"BPCI_NODE_CONFIG", "params.storage_type",
					   "'floppy'", NULL});
	setenv("BPCI_NODE_CONFIG", incomplete, 1);
	expect_error(NULL, BPCI_EINVAL,
		     (const char *const[]){"BPCI_NODE_CONFIG", "storage_type", NULL});
	free(bad);
	free(badval);
	free(incomplete);
}
END_TEST

START_TEST(spec_of_another_type)
{
	set_contract();
	setenv("BPCI_NODE_TYPE", "oracle", 1);
	expect_error(NULL, BPCI_EINVAL,
		     (const char *const[]){"BPCI_NODE_TYPE is 'oracle'", "of type 'storage'",
					   NULL});
}
END_TEST

START_TEST(bad_optional_values)
{
	set_contract();
	setenv("BPCI_NODE_ID", "-starts-with-dash", 1);
	setenv("BPCI_COORDINATOR_URL", "ftp://x", 1);
	setenv("NOTIFY_SOCKET", "relative.sock", 1);
	setenv("WATCHDOG_USEC", "0", 1);
	expect_error(NULL, BPCI_EINVAL,
		     (const char *const[]){"BPCI_NODE_ID must be an identifier",
					   "'-starts-with-dash'",
					   "BPCI_COORDINATOR_URL must be an absolute", "'ftp://x'",
					   "NOTIFY_SOCKET must be an absolute socket path",
					   "'relative.sock'", "WATCHDOG_USEC must be a positive",
					   "got '0'", NULL});
}
END_TEST

START_TEST(watchdog_for_another_pid_is_ignored)
{
	bpci_service *svc;
	char pid[32];

	set_contract();
	setenv("WATCHDOG_USEC", "500000", 1);
	setenv("WATCHDOG_PID", "1", 1);
	ck_assert_int_eq(bpci_service_new(&svc, NULL, NULL), 0);
	ck_assert_uint_eq(bpci_service_watchdog_usec(svc), 0);
	bpci_service_free(svc);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	ck_assert_int_eq(bpci_service_new(&svc, NULL, NULL), 0);
	ck_assert_uint_eq(bpci_service_watchdog_usec(svc), 500000);
	bpci_service_free(svc);
}
END_TEST

START_TEST(spec_given_as_option)
{
	bpci_service_options o = BPCI_SERVICE_OPTIONS_INIT;
	bpci_node_spec *spec;
	bpci_service *svc;

	setenv("BPCI_NODE_CONFIG", "/nonexistent/never-read.json", 1);
	ck_assert_int_eq(bpci_node_spec_new(&spec, BPCI_NODE_STORAGE), 0);
	ck_assert_int_eq(bpci_node_spec_set(spec, "storage_type", "archive", NULL), 0);
	ck_assert_int_eq(bpci_node_spec_set(spec, "capacity_gb", "5", NULL), 0);
	o.type = "storage";
	o.port = 0;
	o.spec = spec;
	ck_assert_int_eq(bpci_service_new(&svc, &o, NULL), 0);
	ck_assert_ptr_null(bpci_service_config_path(svc));
	ck_assert_ptr_ne(bpci_service_spec(svc), spec); /* a copy */
	ck_assert(bpci_node_spec_equal(bpci_service_spec(svc), spec));
	ck_assert_str_eq(bpci_service_id(svc), "storage");
	bpci_service_free(svc);

	o.config_path = spec_path;
	expect_error(&o, BPCI_EINVAL, (const char *const[]){"spec and config", NULL});
	o.config_path = NULL;
	ck_assert_int_eq(bpci_node_spec_unset(spec, "capacity_gb"), 0);
	expect_error(&o, BPCI_EINVAL, (const char *const[]){"spec is not a valid node spec",
							     "capacity_gb", NULL});
	o.type = "oracle";
	ck_assert_int_eq(bpci_node_spec_set(spec, "capacity_gb", "5", NULL), 0);
	expect_error(&o, BPCI_EINVAL, (const char *const[]){"type is 'oracle'", "the options",
							     NULL});
	bpci_node_spec_free(spec);
}
END_TEST

START_TEST(options_version_checked)
{
	bpci_service_options o = BPCI_SERVICE_OPTIONS_INIT;

	set_contract();
	o.version = 99;
	expect_error(&o, BPCI_EINVAL, (const char *const[]){"options.version", "got 99", NULL});
}
END_TEST

START_TEST(routes_are_checked)
{
	bpci_service *svc;

	set_contract();
	ck_assert_int_eq(bpci_service_new(&svc, NULL, NULL), 0);
	ck_assert_int_eq(bpci_service_route(svc, "GET", "/health",
					    (bpci_service_route_cb)1, NULL), BPCI_EEXISTS);
	ck_assert_int_eq(bpci_service_route(svc, "get", "/x", (bpci_service_route_cb)1, NULL),
			 BPCI_EINVAL);
	ck_assert_int_eq(bpci_service_route(svc, "GET", "x", (bpci_service_route_cb)1, NULL),
			 BPCI_EINVAL);
	ck_assert_int_eq(bpci_service_route(svc, "GET", "/a b", (bpci_service_route_cb)1,
					    NULL), BPCI_EINVAL);
	ck_assert_int_eq(bpci_service_route(svc, "GET", "/a?b", (bpci_service_route_cb)1,
					    NULL), BPCI_EINVAL);
	ck_assert_int_eq(bpci_service_route(svc, "GET", "/x", NULL, NULL), BPCI_EINVAL);
	{
		static const char *const bad[] = {"/a//b", "/a/", "/x{y}", "/{}", "/{a}b",
						  "/{a", "/a}", "/{a{b}}", "", "//"};
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			ck_assert_msg(bpci_service_route(svc, "GET", bad[i],
							 (bpci_service_route_cb)1, NULL) ==
					      BPCI_EINVAL,
				      "pattern '%s' was accepted", bad[i]);
	}
	ck_assert_int_eq(bpci_service_route(svc, "GET", "/items/{id}/x",
					    (bpci_service_route_cb)1, NULL), 0);
	ck_assert_int_eq(bpci_service_route(svc, "GET", "/", (bpci_service_route_cb)1, NULL), 0);
	ck_assert_int_eq(bpci_service_route(svc, "PUT", "/items/{id}/x",
					    (bpci_service_route_cb)1, NULL), 0);
	ck_assert_int_eq(bpci_service_route(svc, "PUT", "/items/{id}/x",
					    (bpci_service_route_cb)1, NULL), BPCI_EEXISTS);
	ck_assert_int_eq(bpci_service_route(svc, "POST", "/health", (bpci_service_route_cb)1,
					    NULL), 0);
	bpci_service_free(svc);
}
END_TEST

START_TEST(allocation_failures_are_clean)
{
	bpci_service *svc;
	long n;
	int rc;

	set_contract();
	setenv("BPCI_COORDINATOR_URL", "http://127.0.0.1:8080", 1);
	setenv("NOTIFY_SOCKET", "@x", 1);
	for (n = 0;; n++) {
		bpci__alloc_fail_after(n);
		rc = bpci_service_new(&svc, NULL, NULL);
		bpci__alloc_fail_after(-1);
		if (rc == 0)
			break;
		ck_assert_int_eq(rc, BPCI_ENOMEM);
		ck_assert_ptr_null(svc);
	}
	ck_assert_int_gt(n, 5);
	bpci_service_free(svc);
}
END_TEST

TCase *svc_test_env(void)
{
	TCase *tc = tcase_create("env");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, full_contract_from_environment);
	tcase_add_test(tc, optional_values_absent);
	tcase_add_test(tc, id_defaults_to_spec_then_type);
	tcase_add_test(tc, options_override_environment);
	tcase_add_test(tc, bad_type_names_variable_and_value);
	tcase_add_test(tc, missing_type_and_port);
	tcase_add_test(tc, bad_ports);
	tcase_add_test(tc, missing_config_file);
	tcase_add_test(tc, invalid_spec_json);
	tcase_add_test(tc, spec_of_another_type);
	tcase_add_test(tc, bad_optional_values);
	tcase_add_test(tc, watchdog_for_another_pid_is_ignored);
	tcase_add_test(tc, spec_given_as_option);
	tcase_add_test(tc, options_version_checked);
	tcase_add_test(tc, routes_are_checked);
	tcase_add_test(tc, allocation_failures_are_clean);
	return tc;
}
