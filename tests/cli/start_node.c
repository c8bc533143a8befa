/* bpi-core node-coordinator start-node --dry-run: flags, values, refusals. */
#include <stdlib.h>
#include <string.h>

#include "cli_tests.h"

#define SN "node-coordinator", "start-node"

/* ---- the original description's four commands -------------------------- */

START_TEST(original_enc_cluster)
{
	bpci_test_run r;

	cli_run(&r, "bpi-core", SN, "--type", "enc-cluster", "--cluster-id", "enc-001",
		"--encryption-level", "military", "--endpoint", "https://enc.bpci.local:8888",
		"--dry-run", "--output", "json", NULL);
	cli_expect(&r, 0);
	ck_assert_msg(r.out[0] == '{', "not JSON: %s", r.out);
	cli_assert_has(r.out, "\"type\":\"enc-cluster\"");
	cli_assert_has(r.out, "\"cluster_id\":\"enc-001\"");
	cli_assert_has(r.out, "\"encryption_level\":\"military\"");
	cli_assert_has(r.out, "\"endpoint\":\"https://enc.bpci.local:8888\"");
	ck_assert_str_eq(r.err, "");
	bpci_test_run_free(&r);

	/* the same as a table */
	cli_run(&r, "bpi-core", SN, "--type", "enc-cluster", "--cluster-id", "enc-001",
		"--encryption-level", "military", "--endpoint", "https://enc.bpci.local:8888",
		"--dry-run", NULL);
	cli_expect(&r, 0);
	ck_assert_msg(strncmp(r.out, "FIELD ", 6) == 0, "no header: %s", r.out);
	cli_assert_aligned(r.out);
	cli_assert_row(r.out, "FIELD", "VALUE");
	cli_assert_row(r.out, "type", "enc-cluster");
	cli_assert_row(r.out, "cluster_id", "enc-001");
	cli_assert_row(r.out, "encryption_level", "military");
	cli_assert_row(r.out, "endpoint", "https://enc.bpci.local:8888");
	/* common fields show their defaults */
	cli_assert_row(r.out, "restart.policy", "permanent");
	cli_assert_row(r.out, "health.interval", "10s");
	bpci_test_run_free(&r);
}
END_TEST

START_TEST(original_oracle)
{
	bpci_test_run r;

	cli_run(&r, "bpi-core", "--output", "json", SN, "--type", "oracle", "--oracle-type",
		"price-feed", "--chains", "ethereum,polygon,arbitrum", "--frequency", "1000",
		"--dry-run", NULL);
	cli_expect(&r, 0);
	cli_assert_has(r.out, "\"type\":\"oracle\"");
	cli_assert_has(r.out, "\"oracle_type\":\"price-feed\"");
	cli_assert_has(r.out, "\"supported_chains\":[\"ethereum\",\"polygon\",\"arbitrum\"]");
	cli_assert_has(r.out, "\"update_frequency_ms\":1000");
	bpci_test_run_free(&r);
}
END_TEST

START_TEST(original_shadow_registry)
{
	bpci_test_run r;

	cli_run(&r, "bpi-core", SN, "--type", "shadow-registry", "--registry-type",
		"web2-web3-bridge", "--capacity", "1000", "--dry-run", "--output=json", NULL);
	cli_expect(&r, 0);
	cli_assert_has(r.out, "\"registry_type\":\"web2-web3-bridge\"");
	cli_assert_has(r.out, "\"bridge_capacity\":1000");
	bpci_test_run_free(&r);
}
END_TEST

START_TEST(original_pipeline_api)
{
	bpci_test_run r;

	cli_run(&r, "bpi-core", SN, "--type", "pipeline-api", "--pipeline-id", "pipeline-001",
		"--throughput-limit", "10000", "--dry-run", "--output", "json", NULL);
	cli_expect(&r, 0);
	cli_assert_has(r.out, "\"pipeline_id\":\"pipeline-001\"");
	cli_assert_has(r.out, "\"throughput_limit\":10000");
	bpci_test_run_free(&r);
}
END_TEST

/* ---- every type with every flag ----------------------------------------- */

START_TEST(full_enc_cluster_with_common_flags)
{
	bpci_test_run r;

	cli_run(&r, "bpi-core", SN, "--type", "enc_cluster", "--node-id", "enc-node-1",
		"--name", "enc-a", "--cluster-id=enc-001", "--encryption-level",
		"military_grade", "--gateway-endpoint", "https://gw.bpci.local:8443",
		"--mempool-size", "10000", "--endpoint", "https://enc.bpci.local:8888",
		"--cpu-cores", "8", "--memory-gb", "16", "--storage-gb", "500Gi",
		"--network-mbps", "1Gbps", "--label", "region=eu", "--label", "tier=gold",
		"--env", "RUST_LOG=info", "--restart", "transient", "--health-check", "http",
		"--health-path", "/healthz", "--health-interval", "5s", "--dry-run",
		"--output", "json", NULL);
	cli_expect(&r, 0);
	cli_assert_has(r.out, "\"id\":\"enc-node-1\"");
	cli_assert_has(r.out, "\"name\":\"enc-a\"");
	cli_assert_has(r.out, "\"encryption_level\":\"military\"");
	cli_assert_has(r.out, "\"gateway_endpoint\":\"https://gw.bpci.local:8443\"");
	cli_assert_has(r.out, "\"mempool_size\":10000");
	cli_assert_has(r.out, "\"labels\":{\"region\":\"eu\",\"tier\":\"gold\"}");
	cli_assert_has(r.out, "\"environment\":{\"RUST_LOG\":\"info\"}");
	cli_assert_has(r.out, "\"cpu_cores\":8");
	cli_assert_has(r.out, "\"memory_gb\":16");
	cli_assert_has(r.out, "\"storage_gb\":500");
	cli_assert_has(r.out, "\"network_bandwidth_mbps\":1000");
	cli_assert_has(r.out, "\"policy\":\"transient\"");
	cli_assert_has(r.out, "\"interval\":\"5s\"");
	bpci_test_run_free(&r);
}
END_TEST

START_TEST(full_oracle_lists_repeat)
{
	bpci_test_run r;

	cli_run(&r, "bpi-core", SN, "--type", "oracle", "--oracle-type", "price_feed",
		"--chains", "ethereum", "--chains", "polygon,arbitrum", "--frequency", "100",
		"--reliability", "0.98", "--dry-run", "--output", "json", NULL);
	cli_expect(&r, 0);
	cli_assert_has(r.out, "\"oracle_type\":\"price-feed\"");
	cli_assert_has(r.out, "\"supported_chains\":[\"ethereum\",\"polygon\",\"arbitrum\"]");
	cli_assert_has(r.out, "\"update_frequency_ms\":100");
	cli_assert_has(r.out, "\"reliability_score\":0.98,");
	bpci_test_run_free(&r);

	/* the table shows the shortest form that reads back the same */
	cli_run(&r, "bpi-core", SN, "--type", "oracle", "--oracle-type", "data",
		"--chains", "ethereum", "--reliability", "0.98", "--dry-run", NULL);
	cli_expect(&r, 0);
	cli_assert_row(r.out, "reliability_score", "0.98");
	cli_assert_row(r.out, "supported_chains", "ethereum");
	cli_assert_row(r.out, "oracle_type", "data");
	bpci_test_run_free(&r);
}
END_TEST

START_TEST(full_shadow_registry_eip55_warning)
{
	bpci_test_run r;

	/* The original's address has a wrong mixed-case checksum: a warning
	 * on stderr, exit 0; an error under --strict. */
	cli_run(&r, "bpi-core", SN, "--type", "shadow-registry", "--registry-type",
		"web2-web3-bridge", "--web2-endpoints",
		"https://api.example.com,https://api.bank.example.com", "--web3-contracts",
		"0x742d35Cc6634C0532925a3b8D0Ac6Ef4C5c3C8c8", "--capacity", "1000",
		"--dry-run", "--output", "json", NULL);
	cli_expect(&r, 0);
	cli_assert_has(r.out, "\"web2_endpoints\":[\"https://api.example.com\","
				  "\"https://api.bank.example.com\"]");
	cli_assert_has(r.out, "\"web3_contracts\":[\"0x742d35Cc6634C0532925a3b8D0Ac6Ef4C5c3C8c8\"]");
	cli_assert_has(r.err, "warning:");
	cli_assert_has(r.err, "web3_contracts");
	bpci_test_run_free(&r);

	cli_run(&r, "bpi-core", SN, "--type", "shadow-registry", "--registry-type",
		"web2-web3-bridge", "--web3-contracts",
		"0x742d35Cc6634C0532925a3b8D0Ac6Ef4C5c3C8c8", "--capacity", "1000",
		"--dry-run", "--strict", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "web3_contracts");
	ck_assert_str_eq(r.out, "");
	bpci_test_run_free(&r);
}
END_TEST

START_TEST(full_pipeline_api)
{
	bpci_test_run r;

	cli_run(&r, "bpi-core", SN, "--type", "pipeline-api", "--pipeline-id", "pipeline-001",
		"--biso-policies", "biso-a,biso-b", "--traffic-light-rules", "green,amber,red",
		"--throughput-limit", "10000", "--dry-run", "--output", "json", NULL);
	cli_expect(&r, 0);
	cli_assert_has(r.out, "\"biso_policies\":[\"biso-a\",\"biso-b\"]");
	cli_assert_has(r.out, "\"traffic_light_rules\":[\"green\",\"amber\",\"red\"]");
	bpci_test_run_free(&r);
}
END_TEST

START_TEST(full_storage_bool_flags)
{
	bpci_test_run r;

	cli_run(&r, "bpi-core", SN, "--type", "storage", "--storage-type", "distributed",
		"--capacity-gb", "1000", "--replication-factor", "3", "--encryption",
		"--dry-run", "--output", "json", NULL);
	cli_expect(&r, 0);
	cli_assert_has(r.out, "\"storage_type\":\"distributed\"");
	cli_assert_has(r.out, "\"capacity_gb\":1000");
	cli_assert_has(r.out, "\"replication_factor\":3");
	cli_assert_has(r.out, "\"encryption_enabled\":true");
	bpci_test_run_free(&r);

	cli_run(&r, "bpi-core", SN, "--type", "storage", "--storage-type", "archive",
		"--capacity-gb", "2Ti", "--encryption", "--no-encryption", "--dry-run",
		"--output", "json", NULL);
	cli_expect(&r, 0);
	cli_assert_has(r.out, "\"encryption_enabled\":false");
	cli_assert_has(r.out, "\"capacity_gb\":2048");
	bpci_test_run_free(&r);

	/* a switch refuses a value unless it is a boolean field */
	cli_run(&r, "bpi-core", SN, "--type", "storage", "--storage-type", "archive",
		"--capacity-gb", "10", "--encryption=yes", "--dry-run", "--output", "json", NULL);
	cli_expect(&r, 0);
	cli_assert_has(r.out, "\"encryption_enabled\":true");
	bpci_test_run_free(&r);

	cli_run(&r, "bpi-core", SN, "--type", "storage", "--storage-type", "archive",
		"--capacity-gb", "10", "--dry-run=yes", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "--dry-run takes no value (got 'yes')");
	bpci_test_run_free(&r);
}
END_TEST

START_TEST(full_proof_audit_logbook)
{
	bpci_test_run r;

	cli_run(&r, "bpi-core", SN, "--type", "proof", "--proof-type", "compliance",
		"--compliance-level", "government", "--retention-days", "2555",
		"--government-endpoints", "https://gov.example.org/api", "--dry-run",
		"--output", "json", NULL);
	cli_expect(&r, 0);
	cli_assert_has(r.out, "\"proof_type\":\"compliance\"");
	cli_assert_has(r.out, "\"compliance_level\":\"government\"");
	cli_assert_has(r.out, "\"audit_retention_days\":2555");
	cli_assert_has(r.out, "\"government_endpoints\":[\"https://gov.example.org/api\"]");
	bpci_test_run_free(&r);

	cli_run(&r, "bpi-core", SN, "--type", "audit", "--audit-scope", "full-system",
		"--frameworks", "GDPR,SOX", "--frequency-hours", "24", "--reporting-endpoints",
		"https://reports.example.org", "--dry-run", "--output", "json", NULL);
	cli_expect(&r, 0);
	cli_assert_has(r.out, "\"audit_scope\":\"full-system\"");
	cli_assert_has(r.out, "\"compliance_frameworks\":[\"GDPR\",\"SOX\"]");
	cli_assert_has(r.out, "\"audit_frequency_hours\":24");
	bpci_test_run_free(&r);

	cli_run(&r, "bpi-core", SN, "--type", "logbook", "--logbook-type", "transaction",
		"--receipt-sources", "http-cage,docklock,enc-cluster", "--storage-policy",
		"encrypted-at-rest", "--retention-policy", "7y", "--dry-run", "--output",
		"json", NULL);
	cli_expect(&r, 0);
	cli_assert_has(r.out, "\"logbook_type\":\"transaction\"");
	cli_assert_has(r.out, "\"receipt_sources\":[\"http-cage\",\"docklock\","
				  "\"enc-cluster\"]");
	cli_assert_has(r.out, "\"retention_policy\":\"7y\"");
	bpci_test_run_free(&r);

	/* table form shows the duration the way it was written */
	cli_run(&r, "bpi-core", SN, "--type", "logbook", "--logbook-type", "transaction",
		"--retention-policy", "90", "--dry-run", NULL);
	cli_expect(&r, 0);
	cli_assert_row(r.out, "retention_policy", "90d");
	bpci_test_run_free(&r);
}
END_TEST

/* ---- bad values, at and beyond the bounds --------------------------------- */

static void storage_rf(const char *rf, int status, const char *err)
{
	bpci_test_run r;

	cli_run(&r, "bpi-core", SN, "--type", "storage", "--storage-type", "distributed",
		"--capacity-gb", "1000", "--replication-factor", rf, "--dry-run", NULL);
	cli_expect(&r, status);
	if (err) {
		cli_assert_has(r.err, err);
		ck_assert_str_eq(r.out, "");
	}
	bpci_test_run_free(&r);
}

START_TEST(bounds_replication_factor)
{
	storage_rf("0", 2, "bpi-core: replication_factor must be 1..16, got 0");
	storage_rf("1", 0, NULL);
	storage_rf("16", 0, NULL);
	storage_rf("17", 2, "replication_factor must be 1..16, got 17");
	storage_rf("three", 2, "replication_factor");
}
END_TEST

START_TEST(bounds_other_fields)
{
	bpci_test_run r;

	cli_run(&r, "bpi-core", SN, "--type", "oracle", "--oracle-type", "price-feed",
		"--chains", "ethereum", "--frequency", "99", "--dry-run", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "update_frequency_ms");
	cli_assert_has(r.err, "99");
	bpci_test_run_free(&r);

	cli_run(&r, "bpi-core", SN, "--type", "oracle", "--oracle-type", "price-feed",
		"--chains", "ethereum", "--reliability", "1.5", "--dry-run", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "reliability_score");
	cli_assert_has(r.err, "1.5");
	bpci_test_run_free(&r);

	cli_run(&r, "bpi-core", SN, "--type", "enc-cluster", "--cluster-id", "enc-001",
		"--encryption-level", "extreme", "--mempool-size", "10000001", "--dry-run", NULL);
	cli_expect(&r, 2);
	/* both problems reported, one line each */
	cli_assert_has(r.err, "encryption_level");
	cli_assert_has(r.err, "extreme");
	cli_assert_has(r.err, "mempool_size");
	cli_assert_has(r.err, "10000001");
	bpci_test_run_free(&r);

	cli_run(&r, "bpi-core", SN, "--type", "enc-cluster", "--cluster-id", "enc-001",
		"--encryption-level", "standard", "--endpoint", "ftp://x", "--dry-run", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "endpoint");
	cli_assert_has(r.err, "ftp://x");
	bpci_test_run_free(&r);
}
END_TEST

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

START_TEST(one_line_per_problem)
{
	bpci_test_run r;

	/* a refused required value is reported once, not again as missing */
	cli_run(&r, "bpi-core", SN, "--type", "storage", "--storage-type", "distributed",
		"--capacity-gb", "0", "--replication-factor", "-1", "--dry-run", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "bpi-core: capacity_gb must be at least 1Gi, got 0");
	cli_assert_has(r.err, "bpi-core: replication_factor");
	cli_assert_has(r.err, "-1");
	ck_assert_uint_eq(count_lines(r.err), 2);
	bpci_test_run_free(&r);

	/* a rule across fields, from validating the spec as a whole */
	cli_run(&r, "bpi-core", SN, "--type", "storage", "--storage-type", "distributed",
		"--capacity-gb", "1", "--health-interval", "1s", "--health-timeout", "5s",
		"--dry-run", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "health.timeout");
	cli_assert_has(r.err, "5s");
	ck_assert_uint_eq(count_lines(r.err), 1);
	bpci_test_run_free(&r);
}
END_TEST

START_TEST(flag_of_another_type)
{
	bpci_test_run r;

	cli_run(&r, "bpi-core", SN, "--type", "oracle", "--oracle-type", "price-feed",
		"--chains", "ethereum", "--cluster-id", "enc-001", "--dry-run", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "bpi-core: --cluster-id is not a flag of oracle nodes "
				  "(it belongs to enc-cluster)");
	ck_assert_str_eq(r.out, "");
	bpci_test_run_free(&r);
}
END_TEST

START_TEST(missing_required)
{
	bpci_test_run r;

	cli_run(&r, "bpi-core", SN, "--type", "storage", "--storage-type", "distributed",
		"--dry-run", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "capacity_gb");
	ck_assert_str_eq(r.out, "");
	bpci_test_run_free(&r);

	cli_run(&r, "bpi-core", SN, "--cluster-id", "enc-001", "--dry-run", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "start-node needs --type TYPE (one of enc-cluster, oracle, "
				  "shadow-registry, pipeline-api, storage, proof, audit, logbook)");
	cli_assert_has(r.err, "--cluster-id is a flag of enc-cluster nodes; give --type");
	bpci_test_run_free(&r);

	cli_run(&r, "bpi-core", SN, "--type", "oracel", "--dry-run", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "got 'oracel'; did you mean 'oracle'?");
	bpci_test_run_free(&r);

	cli_run(&r, "bpi-core", SN, "--type", "oracle", "--chains", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "--chains needs a value (A,B,...)");
	bpci_test_run_free(&r);
}
END_TEST

/* Without --dry-run the spec goes to the coordinator: none running is exit
 * 3 with how to start one; an invalid spec is still exit 2, checked first. */
START_TEST(without_dry_run_needs_a_coordinator)
{
	bpci_test_run r;
	char *dir = bpci_test_mkdtemp();

	cli_run(&r, "bpi-core", SN, "--type", "storage", "--storage-type", "distributed",
		"--capacity-gb", "1000", "--state-dir", dir, NULL);
	cli_expect(&r, 3);
	cli_assert_has(r.err, "no coordinator is running on state directory");
	cli_assert_has(r.err, "bpi-core node-coordinator start --config FILE");
	ck_assert_str_eq(r.out, "");
	bpci_test_run_free(&r);

	cli_run(&r, "bpi-core", SN, "--type", "storage", "--storage-type", "distributed",
		"--capacity-gb", "0x", "--state-dir", dir, NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "capacity_gb");
	cli_assert_has(r.err, "0x");
	bpci_test_run_free(&r);
	bpci_test_rmtree(dir);
	free(dir);
}
END_TEST

void cli_add_core_tests(Suite *s)
{
	TCase *tc = tcase_create("start-node");

	tcase_add_test(tc, original_enc_cluster);
	tcase_add_test(tc, original_oracle);
	tcase_add_test(tc, original_shadow_registry);
	tcase_add_test(tc, original_pipeline_api);
	tcase_add_test(tc, full_enc_cluster_with_common_flags);
	tcase_add_test(tc, full_oracle_lists_repeat);
	tcase_add_test(tc, full_shadow_registry_eip55_warning);
	tcase_add_test(tc, full_pipeline_api);
	tcase_add_test(tc, full_storage_bool_flags);
	tcase_add_test(tc, full_proof_audit_logbook);
	tcase_add_test(tc, bounds_replication_factor);
	tcase_add_test(tc, bounds_other_fields);
	tcase_add_test(tc, one_line_per_problem);
	tcase_add_test(tc, flag_of_another_type);
	tcase_add_test(tc, missing_required);
	tcase_add_test(tc, without_dry_run_needs_a_coordinator);
	suite_add_tcase(s, tc);
}
