/* bpi-core node-coordinator validate: the example, bad files, missing files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_tests.h"

#define VAL "node-coordinator", "validate"

START_TEST(validate_example_table)
{
	bpci_test_run r;

	cli_run(&r, "bpi-core", VAL, "--config",
		bpci_test_src("examples/node-distribution-config.yaml"), NULL);
	cli_expect(&r, 0);
	cli_assert_aligned(r.out);
	cli_assert_row(r.out, "cluster id", "bpci-production-cluster");
	cli_assert_row(r.out, "root daemon", "root-daemon-001");
	cli_assert_row(r.out, "hierarchy levels", "3");
	cli_assert_row(r.out, "load balancing", "round_robin");
	cli_assert_row(r.out, "fault tolerance", "automatic_failover");
	cli_assert_row(r.out, "resources", "cpu=8,memory=16Gi,storage=500Gi,network=1000");
	cli_assert_row(r.out, "audit ledger", "https://bpi.local:7777");
	cli_assert_row(r.out, "audit frequency", "30s");
	cli_assert_row(r.out, "audit retention", "2555 days");
	cli_assert_has(r.out, "NAME");
	cli_assert_has(r.out, "KEY-PARAMS");
	/* one node of each type */
	cli_assert_has(r.out, "enc-cluster");
	cli_assert_has(r.out, "logbook");
	bpci_test_run_free(&r);
}
END_TEST

START_TEST(validate_example_json)
{
	bpci_test_run r;

	cli_run(&r, "bpi-core", VAL, "--config",
		bpci_test_src("examples/node-distribution-config.yaml"), "--output", "json", NULL);
	cli_expect(&r, 0);
	ck_assert_msg(r.out[0] == '{', "not JSON: %s", r.out);
	ck_assert_msg(strchr(r.out, '\n') == r.out + strlen(r.out) - 1 &&
		      r.out[strlen(r.out) - 2] == '}', "JSON must be one line: %s", r.out);
	cli_assert_has(r.out, "\"bpci-production-cluster\"");
	bpci_test_run_free(&r);
}
END_TEST

START_TEST(validate_strict_promotes_warnings)
{
	bpci_test_run r;

	/* The example keeps the original's web3 address, whose EIP-55
	 * checksum fails: a warning (exit 0), an error with --strict. */
	cli_run(&r, "bpi-core", VAL, "--config",
		bpci_test_src("examples/node-distribution-config.yaml"), NULL);
	cli_expect(&r, 0);
	cli_assert_has(r.err, "node-distribution-config.yaml:");
	cli_assert_has(r.err, ": warning: node_types.shadow_registry.web3_contracts[0]");
	cli_assert_has(r.err, "EIP-55");
	bpci_test_run_free(&r);

	cli_run(&r, "bpi-core", VAL, "--config",
		bpci_test_src("examples/node-distribution-config.yaml"), "--strict", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "node_types.shadow_registry.web3_contracts[0]");
	ck_assert_ptr_null(strstr(r.err, "warning:"));
	ck_assert_str_eq(r.out, "");
	bpci_test_run_free(&r);
}
END_TEST

START_TEST(validate_bad_file_has_location)
{
	char *dir = bpci_test_mkdtemp();
	char *path = bpci_test_write_file(dir, "bad.yaml",
					  "cluster:\n"
					  "  cluster_id: \"c1\"\n"
					  "node_types:\n"
					  "  storage:\n"
					  "    capacity_gb: 1000\n"
					  "    replication_factor: 0\n");
	bpci_test_run r;

	cli_run(&r, "bpi-core", VAL, "--config", path, NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "bad.yaml:6:");
	cli_assert_has(r.err, "node_types.storage.replication_factor must be 1..16, got 0");
	ck_assert_str_eq(r.out, "");
	bpci_test_run_free(&r);
	free(path);

	/* malformed YAML */
	path = bpci_test_write_file(dir, "broken.yaml", "cluster: [\n  cluster_id: x\n");
	cli_run(&r, "bpi-core", VAL, "--config", path, NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "broken.yaml:");
	bpci_test_run_free(&r);
	free(path);

	/* an unknown key gets a suggestion */
	path = bpci_test_write_file(dir, "typo.yaml", "cluster:\n  clusterid: x\n");
	cli_run(&r, "bpi-core", VAL, "--config", path, NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "typo.yaml:2:");
	cli_assert_has(r.err, "cluster_id");
	bpci_test_run_free(&r);
	free(path);

	bpci_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(validate_missing_file_is_failure)
{
	char *dir = bpci_test_mkdtemp();
	char path[512];
	bpci_test_run r;

	snprintf(path, sizeof(path), "%s/absent.yaml", dir);
	cli_run(&r, "bpi-core", VAL, "--config", path, NULL);
	cli_expect(&r, 1);
	cli_assert_has(r.err, "absent.yaml");
	ck_assert_str_eq(r.out, "");
	bpci_test_run_free(&r);

	cli_run(&r, "bpi-core", VAL, NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "validate needs --config FILE");
	bpci_test_run_free(&r);

	bpci_test_rmtree(dir);
	free(dir);
}
END_TEST

void cli_add_config_tests(Suite *s)
{
	TCase *tc = tcase_create("validate");

	tcase_add_test(tc, validate_example_table);
	tcase_add_test(tc, validate_example_json);
	tcase_add_test(tc, validate_strict_promotes_warnings);
	tcase_add_test(tc, validate_bad_file_has_location);
	tcase_add_test(tc, validate_missing_file_is_failure);
	suite_add_tcase(s, tc);
}
