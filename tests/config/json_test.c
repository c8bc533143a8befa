/* bpci_config_to_json: canonical, stable, complete. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "config_tests.h"

START_TEST(json_exact_for_sections)
{
	bpci_config *c;
	bpci_diag *d;
	char *json = NULL;

	ck_assert_int_eq(cfg_load(&c,
				  "audit_integration: {audit_frequency_seconds: 1500ms, "
				  "retention_days: 90}\n"
				  "resource_allocation: {cpu_cores: 1.5, memory_gb: 512Mi, "
				  "storage_gb: 2, gpu_units: 1}\n"
				  "cluster: {cluster_id: c1, daemon_tree: {load_balancing: "
				  "weighted-round-robin, fault_tolerance: none, hierarchy_levels: 2}}\n",
				  0, &d),
			 0);
	ck_assert_int_eq(bpci_config_to_json(&json, c), 0);
	ck_assert_str_eq(json,
			 "{\"audit_integration\":{\"audit_frequency_seconds\":1.5,"
			 "\"retention_days\":90},"
			 "\"cluster\":{\"cluster_id\":\"c1\",\"daemon_tree\":{\"fault_tolerance\":"
			 "\"none\",\"hierarchy_levels\":2,\"load_balancing\":"
			 "\"weighted_round_robin\"}},"
			 "\"node_types\":{},\"nodes\":[],"
			 "\"resource_allocation\":{\"cpu_cores\":1.5,\"gpu_units\":1,"
			 "\"memory_gb\":0.5,\"network_bandwidth_mbps\":0,\"storage_gb\":2}}");
	bpci_free(json);
	bpci_config_free(c);
	bpci_diag_free(d);

	/* An empty file serializes its defaults. */
	ck_assert_int_eq(cfg_load(&c, "", 0, &d), 0);
	ck_assert_int_eq(bpci_config_to_json(&json, c), 0);
	ck_assert_str_eq(json,
			 "{\"audit_integration\":{\"audit_frequency_seconds\":30,"
			 "\"retention_days\":2555},\"cluster\":{\"daemon_tree\":{"
			 "\"fault_tolerance\":\"automatic_failover\",\"hierarchy_levels\":3,"
			 "\"load_balancing\":\"round_robin\"}},\"node_types\":{},\"nodes\":[],"
			 "\"resource_allocation\":{\"cpu_cores\":0,\"gpu_units\":0,"
			 "\"memory_gb\":0,\"network_bandwidth_mbps\":0,\"storage_gb\":0}}");
	bpci_free(json);
	bpci_config_free(c);
	bpci_diag_free(d);
}
END_TEST

static char *file_json(const char *path)
{
	bpci_config *c = NULL;
	char *json = NULL;

	ck_assert_int_eq(bpci_config_load_file(&c, path, 0, NULL), 0);
	ck_assert_int_eq(bpci_config_to_json(&json, c), 0);
	bpci_config_free(c);
	return json;
}

START_TEST(json_of_the_example_is_stable_and_complete)
{
	char *a = file_json("examples/node-distribution-config.yaml");
	char *b = file_json("examples/node-distribution-config.yaml");
	char *spec = NULL;
	bpci_config *c = NULL;
	json_error_t err;
	json_t *root, *v;

	ck_assert_str_eq(a, b);
	ck_assert_ptr_null(strchr(a, '\n')); /* compact */
	ck_assert_ptr_null(strstr(a, ": "));
	root = json_loads(a, 0, &err);
	ck_assert_msg(root != NULL, "not JSON: %s", err.text);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(root, "cluster"),
							    "cluster_id")),
			 "bpci-production-cluster");
	v = json_object_get(json_object_get(root, "node_types"), "storage");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(v, "params"),
							     "replication_factor")),
			 3);
	v = json_object_get(json_object_get(root, "node_types"), "oracle");
	ck_assert(json_real_value(json_object_get(v, "reliability_threshold")) == 0.95);
	ck_assert_contains(a, "\"reliability_threshold\":0.95,"); /* as written */
	ck_assert_ptr_nonnull(json_object_get(json_object_get(root, "node_types"), "enc_cluster"));
	ck_assert_uint_eq(json_object_size(json_object_get(root, "node_types")), 4);
	ck_assert_uint_eq(json_array_size(json_object_get(root, "nodes")), 8);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(root, "audit_integration"),
							     "retention_days")),
			 2555);
	/* Each node is embedded exactly as bpci_node_spec_to_json() writes it. */
	ck_assert_int_eq(bpci_config_load_file(&c, "examples/node-distribution-config.yaml", 0,
					       NULL), 0);
	ck_assert_int_eq(bpci_node_spec_to_json(&spec, bpci_config_node(c, 4)), 0);
	v = json_loads(spec, 0, &err);
	ck_assert_ptr_nonnull(v);
	ck_assert(json_equal(v, json_array_get(json_object_get(root, "nodes"), 4)));
	json_decref(v);
	bpci_free(spec);
	bpci_config_free(c);
	json_decref(root);
	bpci_free(a);
	bpci_free(b);
}
END_TEST

/* JSON is YAML: the canonical JSON of a config loads back to the same config
 * (type parameters nested under "params", "type" inside node_types entries). */
START_TEST(json_loads_back_to_an_equal_config)
{
	bpci_config *c, *back;
	bpci_diag *d;
	char *a = NULL, *b = NULL;
	size_t i;

	ck_assert_int_eq(bpci_config_load_file(&c, "examples/node-distribution-config.yaml", 0,
					       NULL), 0);
	ck_assert_int_eq(bpci_config_to_json(&a, c), 0);
	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci_config_load_string(&back, a, strlen(a), "c.json", 0, d), 0);
	ck_assert_uint_eq(bpci_diag_error_count(d), 0);
	ck_assert_uint_eq(bpci_config_node_count(back), bpci_config_node_count(c));
	for (i = 0; i < bpci_config_node_count(c); i++)
		ck_assert(bpci_node_spec_equal(bpci_config_node(c, i), bpci_config_node(back, i)));
	ck_assert_int_eq(bpci_config_to_json(&b, back), 0);
	ck_assert_str_eq(a, b);
	bpci_config_free(back);
	bpci_diag_free(d);

	/* A "type" inside node_types.X must name X; "params" must be a mapping. */
	ck_assert_int_eq(cfg_load(&back, "node_types:\n  storage:\n    type: oracle\n", 0, &d),
			 BPCI_EINVAL);
	ck_assert_contains(cfg_text(d, 0), "c.yaml:3:11: node_types.storage.type names oracle, "
					   "but the entry is the defaults of storage");
	bpci_diag_free(d);
	ck_assert_int_eq(cfg_load(&back, "nodes:\n  - type: storage\n    params: 3\n", 0, &d),
			 BPCI_EINVAL);
	ck_assert_contains(cfg_text(d, 0), "nodes[0].params");
	bpci_diag_free(d);
	ck_assert_int_eq(cfg_load(&back, "node_types:\n  storage:\n    typo: 1\n", 0, &d),
			 BPCI_ENOTFOUND);
	ck_assert_msg(strstr(cfg_text(d, 0), "'type'") == NULL, "%s", cfg_text(d, 0));
	bpci_diag_free(d);
	bpci_config_free(c);
	bpci_free(a);
	bpci_free(b);
}
END_TEST

TCase *config_json_tcase(void)
{
	TCase *tc = tcase_create("json");

	tcase_add_test(tc, json_exact_for_sections);
	tcase_add_test(tc, json_of_the_example_is_stable_and_complete);
	tcase_add_test(tc, json_loads_back_to_an_equal_config);
	return tc;
}
