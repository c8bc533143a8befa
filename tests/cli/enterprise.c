/* bpci-enterprise: cluster-manager and daemon-tree dry-run checks. */
#include <stdlib.h>
#include <string.h>

#include "cli_tests.h"

#define E "bpci-enterprise"

START_TEST(enterprise_help)
{
	bpci_test_run r;
	char *squashed;

	cli_run(&r, E, "--help", NULL);
	cli_expect(&r, 0);
	cli_assert_has(r.out, "Usage: bpci-enterprise <group> <command>");
	cli_assert_has(r.out, "cluster-manager");
	cli_assert_has(r.out, "daemon-tree");
	bpci_test_run_free(&r);

	cli_run(&r, E, "cluster-manager", "--help", NULL);
	cli_expect(&r, 0);
	cli_assert_has(r.out, "add-replica");
	cli_assert_has(r.out, "register-node");
	cli_assert_has(r.out, "allocate-port");
	cli_assert_has(r.out, "start");
	bpci_test_run_free(&r);

	cli_run(&r, E, "daemon-tree", "-h", NULL);
	cli_expect(&r, 0);
	cli_assert_has(r.out, "add-daemon");
	bpci_test_run_free(&r);

	cli_run(&r, E, "cluster-manager", "add-replica", "--help", NULL);
	cli_expect(&r, 0);
	cli_assert_has(r.out, "--cpu-cores CPU");
	cli_assert_has(r.out, "--memory-gb SIZE");
	cli_assert_has(r.out, "--storage-gb SIZE");
	cli_assert_has(r.out, "--network-mbps MBPS");
	cli_assert_has(r.out, "--dry-run");
	bpci_test_run_free(&r);

	cli_run(&r, E, "cluster-manager", "register-node", "--help", NULL);
	cli_expect(&r, 0);
	squashed = cli_squash(r.out);
	cli_assert_has(squashed, "--type TYPE what the node is: validator auditor compute "
				 "daemon gateway storage oracle (any case) Required.");
	free(squashed);
	cli_assert_has(r.out, "--capabilities A,B,...");
	bpci_test_run_free(&r);

	cli_run(&r, E, "daemon-tree", "add-daemon", "--help", NULL);
	cli_expect(&r, 0);
	cli_assert_has(r.out, "--daemon-id ID");
	cli_assert_has(r.out, "--parent-id ID");
	cli_assert_has(r.out, "health_monitoring");
	cli_assert_has(r.out, "--remote, --no-remote");
	bpci_test_run_free(&r);
}
END_TEST

START_TEST(enterprise_absent_commands)
{
	bpci_test_run r;

	cli_run(&r, E, "cluster-manager", "deploy-agreement", "--cluster-id", "production-cluster",
		NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "unknown command 'deploy-agreement'");
	bpci_test_run_free(&r);

	/* daemon-tree init exists now (a client of the manager): it checks its flags. */
	cli_run(&r, E, "daemon-tree", "init", "--root-daemon", "root-daemon-001", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "init needs --levels");
	bpci_test_run_free(&r);

	cli_run(&r, E, "cluster-manger", "add-replica", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "did you mean 'cluster-manager'?");
	bpci_test_run_free(&r);

	cli_run(&r, E, "cluster-manager", "add-replika", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "did you mean 'add-replica'?");
	bpci_test_run_free(&r);
}
END_TEST

/* ---- add-replica --------------------------------------------------------- */

START_TEST(add_replica_original)
{
	bpci_test_run r;

	cli_run(&r, E, "cluster-manager", "add-replica", "--name", "enc-replica-001",
		"--cpu-cores", "8", "--memory-gb", "16", "--storage-gb", "500", "--dry-run", NULL);
	cli_expect(&r, 0);
	cli_assert_aligned(r.out);
	cli_assert_row(r.out, "name", "enc-replica-001");
	cli_assert_row(r.out, "cpu", "8");
	cli_assert_row(r.out, "memory", "16Gi");
	cli_assert_row(r.out, "storage", "500Gi");
	ck_assert_ptr_null(strstr(r.out, "network"));
	ck_assert_str_eq(r.err, "");
	bpci_test_run_free(&r);

	cli_run(&r, E, "cluster-manager", "add-replica", "--name", "enc-replica-001",
		"--cpu-cores", "8", "--memory-gb", "16", "--storage-gb", "500",
		"--network-mbps", "1Gbps", "--dry-run", "--output", "json", NULL);
	cli_expect(&r, 0);
	ck_assert_str_eq(r.out, "{\"name\":\"enc-replica-001\",\"resources\":{\"cpu\":\"8\","
				"\"memory\":\"16Gi\",\"network\":\"1000\",\"storage\":\"500Gi\"}}\n");
	bpci_test_run_free(&r);

	cli_run(&r, E, "cluster-manager", "add-replica", "--name", "r2", "--cpu-cores", "500m",
		"--memory-gb", "512Mi", "--storage-gb", "0", "--dry-run", "--output", "json",
		NULL);
	cli_expect(&r, 0);
	ck_assert_str_eq(r.out, "{\"name\":\"r2\",\"resources\":{\"cpu\":\"0.5\","
				"\"memory\":\"512Mi\"}}\n");
	bpci_test_run_free(&r);
}
END_TEST

START_TEST(add_replica_refusals)
{
	bpci_test_run r;

	/* a replica must offer some CPU */
	cli_run(&r, E, "cluster-manager", "add-replica", "--name", "enc-replica-001",
		"--cpu-cores", "0", "--memory-gb", "16", "--storage-gb", "500", "--dry-run", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "cpu");
	ck_assert_str_eq(r.out, "");
	bpci_test_run_free(&r);

	cli_run(&r, E, "cluster-manager", "add-replica", "--name", "enc-replica-001",
		"--cpu-cores", "8", "--memory-gb", "16x", "--storage-gb", "500", "--dry-run", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "memory_gb");
	cli_assert_has(r.err, "16x");
	bpci_test_run_free(&r);

	cli_run(&r, E, "cluster-manager", "add-replica", "--name", "bad name",
		"--cpu-cores", "8", "--memory-gb", "16", "--storage-gb", "500", "--dry-run", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "name");
	cli_assert_has(r.err, "bad name");
	bpci_test_run_free(&r);

	cli_run(&r, E, "cluster-manager", "add-replica", "--name", "r", "--cpu-cores",
		"8,memory=1", "--memory-gb", "16", "--storage-gb", "500", "--dry-run", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "--cpu-cores must be one amount, got '8,memory=1'");
	bpci_test_run_free(&r);

	cli_run(&r, E, "cluster-manager", "add-replica", "--name", "r", "--cpu-cores", "8",
		"--memory-gb", "16", "--dry-run", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "add-replica needs --storage-gb");
	bpci_test_run_free(&r);

	cli_run(&r, E, "cluster-manager", "add-replica", "--name", "r", "--cpu-cores", "8",
		"--memory-gb", "16", "--storage-gb", "500", "--state-dir",
		"/nonexistent/bpci-cluster", NULL);
	/* Without --dry-run it goes to the cluster manager: none runs there. */
	cli_expect(&r, 3);
	cli_assert_has(r.err, "no cluster manager found: /nonexistent/bpci-cluster/api.url");
	ck_assert_str_eq(r.out, "");
	bpci_test_run_free(&r);
}
END_TEST

/* ---- register-node ------------------------------------------------------- */

START_TEST(register_node_original)
{
	bpci_test_run r;

	cli_run(&r, E, "cluster-manager", "register-node", "--name", "storage-node-001",
		"--type", "storage", "--capabilities", "distributed_storage,encryption,replication",
		"--dry-run", NULL);
	cli_expect(&r, 0);
	cli_assert_aligned(r.out);
	cli_assert_row(r.out, "NAME              TYPE", "CAPABILITIES");
	cli_assert_row(r.out, "storage-node-001  storage",
		       "distributed_storage,encryption,replication");
	bpci_test_run_free(&r);

	cli_run(&r, E, "--output", "json", "cluster-manager", "register-node", "--name",
		"cluster-node-001", "--type", "Compute", "--capabilities",
		"security,compute,storage,networking,audit,compute", "--dry-run", NULL);
	cli_expect(&r, 0);
	ck_assert_str_eq(r.out, "{\"capabilities\":[\"audit\",\"compute\",\"networking\","
				"\"security\",\"storage\"],\"name\":\"cluster-node-001\","
				"\"type\":\"compute\"}\n");
	bpci_test_run_free(&r);
}
END_TEST

START_TEST(register_node_refusals)
{
	bpci_test_run r;

	cli_run(&r, E, "cluster-manager", "register-node", "--name", "n1", "--type", "storag",
		"--capabilities", "encryption", "--dry-run", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "--type must be one of validator, auditor, compute, daemon, "
				  "gateway, storage, oracle, got 'storag'; did you mean 'storage'?");
	bpci_test_run_free(&r);

	cli_run(&r, E, "cluster-manager", "register-node", "--name", "n1", "--type", "storage",
		"--capabilities", "encryption,Bad-Cap", "--dry-run", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "capabilities");
	cli_assert_has(r.err, "Bad-Cap");
	ck_assert_str_eq(r.out, "");
	bpci_test_run_free(&r);

	cli_run(&r, E, "cluster-manager", "register-node", "--name", "n1", "--type", "storage",
		"--dry-run", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "register-node needs --capabilities");
	bpci_test_run_free(&r);

	cli_run(&r, E, "cluster-manager", "register-node", "--name", "n1", "--type", "storage",
		"--capabilities", "encryption", "--state-dir", "/nonexistent/bpci-cluster", NULL);
	cli_expect(&r, 3);
	cli_assert_has(r.err, "no cluster manager found");
	bpci_test_run_free(&r);
}
END_TEST

/* ---- add-daemon ---------------------------------------------------------- */

START_TEST(add_daemon_original)
{
	bpci_test_run r;

	cli_run(&r, E, "daemon-tree", "add-daemon", "--daemon-id", "daemon-002", "--parent-id",
		"root-daemon-001", "--responsibilities", "resource_management,health_monitoring",
		"--dry-run", NULL);
	cli_expect(&r, 0);
	cli_assert_aligned(r.out);
	cli_assert_row(r.out, "id", "daemon-002");
	cli_assert_row(r.out, "parent", "root-daemon-001");
	cli_assert_row(r.out, "responsibilities", "resource_coordination,health_monitoring");
	cli_assert_row(r.out, "remote", "false");
	bpci_test_run_free(&r);

	cli_run(&r, E, "daemon-tree", "add-daemon", "--daemon-id", "daemon-002", "--parent-id",
		"root-daemon-001", "--responsibilities", "resource_management,health_monitoring",
		"--capacity", "cpu=8,memory=16Gi", "--labels", "region=eu", "--labels",
		"jurisdiction=EU", "--remote", "--dry-run", "--output", "json", NULL);
	cli_expect(&r, 0);
	ck_assert_str_eq(r.out, "{\"capacity\":{\"cpu\":\"8\",\"memory\":\"16Gi\"},"
				"\"id\":\"daemon-002\",\"labels\":{\"jurisdiction\":\"EU\","
				"\"region\":\"eu\"},\"parent\":\"root-daemon-001\","
				"\"remote\":true,\"responsibilities\":[\"resource_coordination\","
				"\"health_monitoring\"]}\n");
	bpci_test_run_free(&r);

	/* every responsibility by default; capacity and labels in the table */
	cli_run(&r, E, "daemon-tree", "add-daemon", "--daemon-id", "d3", "--parent-id", "d2",
		"--capacity", "cpu=4,storage=100Gi", "--labels", "region=us,zone=a", "--dry-run",
		NULL);
	cli_expect(&r, 0);
	cli_assert_row(r.out, "responsibilities", "resource_coordination,node_lifecycle,"
						  "health_monitoring,load_balancing,fault_recovery");
	cli_assert_row(r.out, "capacity.cpu", "4");
	cli_assert_row(r.out, "capacity.storage", "100Gi");
	cli_assert_row(r.out, "labels.region", "us");
	cli_assert_row(r.out, "labels.zone", "a");
	bpci_test_run_free(&r);
}
END_TEST

START_TEST(add_daemon_refusals)
{
	bpci_test_run r;

	cli_run(&r, E, "daemon-tree", "add-daemon", "--daemon-id", "daemon-002", "--parent-id",
		"root-daemon-001", "--responsibilities", "health_monitor", "--dry-run", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "responsibilities");
	cli_assert_has(r.err, "health_monitor");
	cli_assert_has(r.err, "health_monitoring");
	ck_assert_str_eq(r.out, "");
	bpci_test_run_free(&r);

	cli_run(&r, E, "daemon-tree", "add-daemon", "--daemon-id", "daemon-002", "--parent-id",
		"daemon-002", "--dry-run", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "parent");
	bpci_test_run_free(&r);

	cli_run(&r, E, "daemon-tree", "add-daemon", "--daemon-id", "d", "--parent-id", "r",
		"--capacity", "cpu=8,memroy=16Gi", "--dry-run", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "memroy");
	bpci_test_run_free(&r);

	cli_run(&r, E, "daemon-tree", "add-daemon", "--parent-id", "r", "--dry-run", NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "add-daemon needs --daemon-id");
	bpci_test_run_free(&r);

	/* Without --dry-run it goes to the cluster manager; none runs here. */
	cli_run(&r, E, "daemon-tree", "add-daemon", "--daemon-id", "d", "--parent-id", "r",
		"--url", "http://127.0.0.1:1", NULL);
	cli_expect(&r, 3);
	bpci_test_run_free(&r);
}
END_TEST

void cli_add_enterprise_tests(Suite *s)
{
	TCase *tc = tcase_create("enterprise");

	tcase_add_test(tc, enterprise_help);
	tcase_add_test(tc, enterprise_absent_commands);
	tcase_add_test(tc, add_replica_original);
	tcase_add_test(tc, add_replica_refusals);
	tcase_add_test(tc, register_node_original);
	tcase_add_test(tc, register_node_refusals);
	tcase_add_test(tc, add_daemon_original);
	tcase_add_test(tc, add_daemon_refusals);
	suite_add_tcase(s, tc);
}
