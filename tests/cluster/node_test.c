/* Cluster node registrations and ENC replica checks. */
#include <string.h>

#include "cluster_tests.h"
#include "common/alloc.h"

static bpci_capabilities *caps_of(const char *list)
{
	bpci_capabilities *c = NULL;

	ck_assert_int_eq(bpci_capabilities_parse(&c, list, NULL), 0);
	return c;
}

START_TEST(register_storage_node)
{
	bpci_capabilities *c = caps_of("distributed_storage,encryption,replication");
	bpci_cluster_node *n = NULL;
	bpci_diag *d = cluster_test_diag();

	ck_assert_int_eq(bpci_cluster_node_new(&n, "storage-node-001", BPCI_CLUSTER_NODE_STORAGE,
					       c, d), 0);
	bpci_capabilities_free(c);   /* the node holds its own copy */
	ck_assert_str_eq(bpci_cluster_node_name(n), "storage-node-001");
	ck_assert_int_eq(bpci_cluster_node_type_of(n), BPCI_CLUSTER_NODE_STORAGE);
	ck_assert_uint_eq(bpci_capabilities_count(bpci_cluster_node_capabilities(n)), 3);
	ck_assert(bpci_capabilities_has(bpci_cluster_node_capabilities(n), "encryption"));
	bpci_cluster_node_free(n);
	bpci_cluster_node_free(NULL);

	/* No capabilities at all is allowed for a registration. */
	ck_assert_int_eq(bpci_cluster_node_new(&n, "c1", BPCI_CLUSTER_NODE_COMPUTE, NULL, d), 0);
	ck_assert_uint_eq(bpci_capabilities_count(bpci_cluster_node_capabilities(n)), 0);
	bpci_cluster_node_free(n);
	ck_assert_uint_eq(bpci_diag_count(d), 0);
	bpci_diag_free(d);
}
END_TEST

START_TEST(register_refusals)
{
	bpci_cluster_node *n = (bpci_cluster_node *)0x1;
	bpci_diag *d = cluster_test_diag();

	ck_assert_int_eq(bpci_cluster_node_new(&n, "bad name", BPCI_CLUSTER_NODE_COMPUTE, NULL, d),
			 BPCI_EINVAL);
	ck_assert_ptr_null(n);
	cluster_assert_diag(d, 1, "name", "got \"bad name\"");
	bpci_diag_clear(d);
	ck_assert_int_eq(bpci_cluster_node_new(&n, "ok", (bpci_cluster_node_type)0, NULL, d),
			 BPCI_EINVAL);
	cluster_assert_diag(d, 1, "type", "got 0");
	bpci_diag_clear(d);
	ck_assert_int_eq(bpci_cluster_node_new(&n, "", (bpci_cluster_node_type)8, NULL, d),
			 BPCI_EINVAL);
	cluster_assert_diag(d, 2, "name", "got \"\"");
	ck_assert_str_eq(bpci_diag_get(d, 1)->field, "type");
	ck_assert_contains(bpci_diag_get(d, 1)->text, "got 8");
	ck_assert_int_eq(bpci_cluster_node_new(&n, NULL, BPCI_CLUSTER_NODE_ORACLE, NULL, NULL),
			 BPCI_EINVAL);
	bpci_diag_free(d);
}
END_TEST

START_TEST(node_json_round_trip)
{
	bpci_capabilities *c = caps_of("replication,encryption,distributed_storage");
	bpci_cluster_node *n, *back = NULL;
	bpci_diag *d = cluster_test_diag();
	char *json, *again;

	ck_assert_int_eq(bpci_cluster_node_new(&n, "storage-node-001", BPCI_CLUSTER_NODE_STORAGE,
					       c, NULL), 0);
	ck_assert_int_eq(bpci_cluster_node_to_json(&json, n), 0);
	ck_assert_str_eq(json, "{\"capabilities\":[\"distributed_storage\",\"encryption\","
			       "\"replication\"],\"name\":\"storage-node-001\",\"type\":\"storage\"}");
	ck_assert_int_eq(bpci_cluster_node_from_json(&back, json, strlen(json), d), 0);
	ck_assert(bpci_cluster_node_equal(n, back));
	ck_assert_int_eq(bpci_cluster_node_to_json(&again, back), 0);
	ck_assert_str_eq(again, json);
	bpci_free(again);
	bpci_cluster_node_free(back);

	/* Other spellings: type in any case, capabilities as a string or absent. */
	ck_assert_int_eq(bpci_cluster_node_from_json(&back,
		"{\"name\":\"cluster-node-001\",\"type\":\"Compute\",\"capabilities\":"
		"\"compute,storage,networking,security,audit\"}", 103, d), 0);
	ck_assert_int_eq(bpci_cluster_node_type_of(back), BPCI_CLUSTER_NODE_COMPUTE);
	ck_assert_uint_eq(bpci_capabilities_count(bpci_cluster_node_capabilities(back)), 5);
	ck_assert(!bpci_cluster_node_equal(n, back));
	bpci_cluster_node_free(back);
	ck_assert_int_eq(bpci_cluster_node_from_json(&back, "{\"name\":\"g\",\"type\":\"gateway\"}",
						     29, d), 0);
	ck_assert_uint_eq(bpci_capabilities_count(bpci_cluster_node_capabilities(back)), 0);
	bpci_cluster_node_free(back);
	ck_assert_uint_eq(bpci_diag_count(d), 0);

	bpci_free(json);
	bpci_cluster_node_free(n);
	bpci_capabilities_free(c);
	bpci_diag_free(d);
}
END_TEST

static void node_json_fails(const char *json, int code, size_t n, const char *field,
			    const char *needle)
{
	bpci_cluster_node *node = (bpci_cluster_node *)0x1;
	bpci_diag *d = cluster_test_diag();

	ck_assert_int_eq(bpci_cluster_node_from_json(&node, json, strlen(json), d), code);
	ck_assert_ptr_null(node);
	cluster_assert_diag(d, n, field, needle);
	bpci_diag_free(d);
}

START_TEST(node_json_refusals)
{
	node_json_fails("nope", BPCI_EPARSE, 1, "", "is not valid JSON");
	node_json_fails("\"x\"", BPCI_EPARSE, 1, "", "must be an object");
	node_json_fails("{\"type\":\"storage\"}", BPCI_EINVAL, 1, "name", "is required");
	node_json_fails("{\"name\":\"n\"}", BPCI_EINVAL, 1, "type", "is required");
	node_json_fails("{\"name\":\"n\",\"type\":\"storge\"}", BPCI_EINVAL, 1, "type",
			"got storge");
	node_json_fails("{\"name\":\"n\",\"type\":3}", BPCI_EINVAL, 1, "type", "got a number");
	node_json_fails("{\"name\":[],\"type\":\"oracle\"}", BPCI_EINVAL, 1, "name",
			"must be a string, got an array");
	node_json_fails("{\"name\":\"n\",\"type\":\"oracle\",\"capabilities\":[\"OK\",1]}",
			BPCI_EINVAL, 2, "capabilities", "\"OK\" is not a capability name");
	node_json_fails("{\"name\":\"n\",\"type\":\"oracle\",\"capabilities\":{}}", BPCI_EINVAL, 1,
			"capabilities", "got an object");
	node_json_fails("{\"name\":\"n\",\"type\":\"oracle\",\"capability\":[]}", BPCI_ENOTFOUND, 1,
			"capability", "did you mean \"capabilities\"");
}
END_TEST

START_TEST(node_allocation_failures_are_clean)
{
	static const char json[] = "{\"name\":\"n\",\"type\":\"oracle\",\"capabilities\":[\"a\",\"b\"]}";
	bpci_cluster_node *n = NULL;
	char *out = NULL;
	long k;
	int rc = -1;

	for (k = 0; rc != 0 && k < 100; k++) {
		bpci__alloc_fail_after(k);
		rc = bpci_cluster_node_from_json(&n, json, strlen(json), NULL);
		bpci__alloc_fail_after(-1);
		ck_assert(rc == 0 || rc == BPCI_ENOMEM);
		if (rc)
			ck_assert_ptr_null(n);
	}
	for (rc = -1, k = 0; rc != 0 && k < 100; k++) {
		bpci__alloc_fail_after(k);
		rc = bpci_cluster_node_to_json(&out, n);
		bpci__alloc_fail_after(-1);
		ck_assert(rc == 0 || rc == BPCI_ENOMEM);
	}
	ck_assert_str_eq(out, "{\"capabilities\":[\"a\",\"b\"],\"name\":\"n\",\"type\":\"oracle\"}");
	bpci_free(out);
	bpci_cluster_node_free(n);
}
END_TEST

START_TEST(replica_checks)
{
	bpci_resources ok = {8000, 16ull << 30, 500ull << 30, 1000, 0};
	bpci_resources none = {0, 0, 500ull << 30, 1000, 0};
	bpci_resources tiny = {1, 1, 0, 0, 0};
	bpci_diag *d = cluster_test_diag();

	ck_assert_int_eq(bpci_replica_validate("enc-replica-001", &ok, d), 0);
	ck_assert_int_eq(bpci_replica_validate("r", &tiny, d), 0);
	ck_assert_uint_eq(bpci_diag_count(d), 0);
	ck_assert_int_eq(bpci_replica_validate("enc-replica-001", &none, d), BPCI_EINVAL);
	cluster_assert_diag(d, 2, "cpu", "must be more than 0");
	ck_assert_str_eq(bpci_diag_get(d, 1)->field, "memory");
	bpci_diag_clear(d);
	ck_assert_int_eq(bpci_replica_validate("enc replica", &ok, d), BPCI_EINVAL);
	cluster_assert_diag(d, 1, "name", "got \"enc replica\"");
	ck_assert_int_eq(bpci_replica_validate(NULL, &ok, NULL), BPCI_EINVAL);
	ck_assert_int_eq(bpci_replica_validate("r", NULL, NULL), BPCI_EINVAL);
	bpci_diag_free(d);
}
END_TEST

TCase *cluster_node_tcase(void)
{
	TCase *tc = tcase_create("node");

	tcase_add_test(tc, register_storage_node);
	tcase_add_test(tc, register_refusals);
	tcase_add_test(tc, node_json_round_trip);
	tcase_add_test(tc, node_json_refusals);
	tcase_add_test(tc, node_allocation_failures_are_clean);
	tcase_add_test(tc, replica_checks);
	return tc;
}
