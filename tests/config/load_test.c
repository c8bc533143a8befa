/* Loading valid files: the original's YAML, the shipped example, defaults. */
#include <stdio.h>
#include <string.h>

#include "config_tests.h"

#define GIB ((uint64_t)1 << 30)
#define ORIGINAL "tests/config/data/original.yaml"
#define EXAMPLE "examples/node-distribution-config.yaml"

static void assert_uint(const bpci_node_spec *spec, const char *field, uint64_t want)
{
	uint64_t v = 0;

	ck_assert_ptr_nonnull(spec);
	ck_assert_int_eq(bpci_node_spec_get_uint(spec, field, &v), 0);
	ck_assert_msg(v == want, "%s: want %llu, got %llu", field, (unsigned long long)want,
		      (unsigned long long)v);
}

static void assert_str(const bpci_node_spec *spec, const char *field, const char *want)
{
	const char *v = NULL;

	ck_assert_ptr_nonnull(spec);
	ck_assert_int_eq(bpci_node_spec_get_string(spec, field, &v), 0);
	ck_assert_str_eq(v, want);
}

START_TEST(original_verbatim_loads)
{
	bpci_config *c = NULL;
	bpci_diag *d;
	bpci_cluster_settings cl;
	bpci_audit_settings au;
	bpci_resources r;
	const bpci_diag_entry *e;
	const char *const *items;
	size_t n;
	int on = 0;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci_config_load_file(&c, ORIGINAL, 0, d), 0);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(bpci_diag_error_count(d), 0);
	/* The original's web3 address fails EIP-55: a warning, not an error. */
	ck_assert_uint_eq(bpci_diag_count(d), 1);
	e = bpci_diag_get(d, 0);
	ck_assert_int_eq(e->severity, BPCI_SEVERITY_WARNING);
	ck_assert_str_eq(e->field, "node_types.shadow_registry.web3_contracts[0]");
	ck_assert_uint_eq(e->line, 24);
	ck_assert_uint_eq(e->column, 22);
	ck_assert_contains(e->text, ORIGINAL ":24:22: warning: node_types.shadow_registry");
	ck_assert_contains(e->message, "0x742d35Cc6634C0532925a3b8D0Ac6Ef4C5c3C8c8");

	bpci_config_cluster(c, &cl);
	ck_assert_str_eq(cl.cluster_id, "bpci-production-cluster");
	ck_assert_str_eq(cl.root_daemon, "root-daemon-001");
	ck_assert_uint_eq(cl.hierarchy_levels, 3);
	ck_assert_int_eq(cl.load_balancing, BPCI_LB_ROUND_ROBIN);
	ck_assert_int_eq(cl.fault_tolerance, BPCI_FT_AUTOMATIC_FAILOVER);

	assert_uint(bpci_config_type_defaults(c, BPCI_NODE_STORAGE), "replication_factor", 3);
	assert_uint(bpci_config_type_defaults(c, BPCI_NODE_STORAGE), "capacity_gb", 1000 * GIB);
	ck_assert_int_eq(bpci_node_spec_get_bool(bpci_config_type_defaults(c, BPCI_NODE_STORAGE),
						 "encryption_enabled", &on), 0);
	ck_assert_int_eq(on, 1);
	assert_str(bpci_config_type_defaults(c, BPCI_NODE_ENC_CLUSTER), "encryption_level",
		   "military");
	assert_uint(bpci_config_type_defaults(c, BPCI_NODE_ENC_CLUSTER), "mempool_size", 10000);
	assert_str(bpci_config_type_defaults(c, BPCI_NODE_ENC_CLUSTER), "gateway_endpoint",
		   "https://enc.bpci.local:8888");
	assert_uint(bpci_config_type_defaults(c, BPCI_NODE_ORACLE), "update_frequency_ms", 1000);
	ck_assert_int_eq(bpci_node_spec_get_list(bpci_config_type_defaults(c, BPCI_NODE_ORACLE),
						 "supported_chains", &items, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(items[2], "arbitrum");
	assert_uint(bpci_config_type_defaults(c, BPCI_NODE_SHADOW_REGISTRY), "bridge_capacity",
		    1000);
	ck_assert_ptr_null(bpci_config_type_defaults(c, BPCI_NODE_PROOF));
	ck_assert_ptr_null(bpci_config_type_defaults(c, (bpci_node_type)0));
	ck_assert_ptr_null(bpci_config_type_defaults(c, (bpci_node_type)9));

	bpci_config_resources(c, &r);
	ck_assert_uint_eq(r.cpu_millicores, 8000);
	ck_assert_uint_eq(r.memory_bytes, 16 * GIB);
	ck_assert_uint_eq(r.storage_bytes, 500 * GIB);
	ck_assert_uint_eq(r.network_mbps, 1000);
	ck_assert_uint_eq(r.gpu_units, 0);

	bpci_config_audit(c, &au);
	ck_assert_str_eq(au.ledger_endpoint, "https://bpi.local:7777");
	ck_assert_uint_eq(au.audit_frequency_ms, 30000);
	ck_assert_uint_eq(au.retention_days, 2555);
	ck_assert_uint_eq(bpci_config_node_count(c), 0);
	ck_assert_ptr_null(bpci_config_node(c, 0));
	bpci_config_free(c);
	bpci_diag_free(d);
}
END_TEST

START_TEST(original_strict_refuses_the_checksum)
{
	bpci_config *c = (bpci_config *)(uintptr_t)1;
	bpci_diag *d;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci_config_load_file(&c, ORIGINAL, BPCI_VALIDATE_STRICT, d),
			 BPCI_EINVAL);
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(bpci_diag_error_count(d), 1);
	ck_assert_contains(cfg_text(d, 0), ORIGINAL ":24:22: node_types.shadow_registry."
						    "web3_contracts[0] ");
	bpci_diag_free(d);
	/* Strict mode sees warnings even when the caller passes no list. */
	ck_assert_int_eq(bpci_config_load_file(&c, ORIGINAL, BPCI_VALIDATE_STRICT, NULL),
			 BPCI_EINVAL);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(bpci_config_load_file(&c, ORIGINAL, 0, NULL), 0);
	bpci_config_free(c);
}
END_TEST

START_TEST(example_has_every_type)
{
	static const bpci_node_type types[] = {
		BPCI_NODE_ENC_CLUSTER, BPCI_NODE_ORACLE, BPCI_NODE_SHADOW_REGISTRY,
		BPCI_NODE_PIPELINE_API, BPCI_NODE_STORAGE, BPCI_NODE_PROOF,
		BPCI_NODE_AUDIT, BPCI_NODE_LOGBOOK};
	bpci_config *c = NULL;
	bpci_diag *d;
	const bpci_node_spec *n;
	const char *const *items;
	size_t i, count;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci_config_load_file(&c, EXAMPLE, 0, d), 0);
	ck_assert_uint_eq(bpci_diag_error_count(d), 0);
	ck_assert_uint_eq(bpci_diag_count(d), 1); /* the original's address, once */
	ck_assert_uint_eq(bpci_config_node_count(c), 8);
	for (i = 0; i < 8; i++)
		ck_assert_int_eq(bpci_node_spec_type(bpci_config_node(c, i)), types[i]);
	assert_str(bpci_config_node(c, 0), "name", "enc-node-001");
	assert_str(bpci_config_node(c, 0), "labels.region", "eu-central");
	/* Per-type defaults fill in what a node leaves out. */
	assert_str(bpci_config_node(c, 0), "encryption_level", "military");
	assert_uint(bpci_config_node(c, 0), "mempool_size", 10000);
	assert_uint(bpci_config_node(c, 0), "resources.memory_gb", 16 * GIB);
	n = bpci_config_node(c, 1);
	ck_assert_int_eq(bpci_node_spec_get_list(n, "supported_chains", &items, &count), 0);
	ck_assert_uint_eq(count, 3);
	assert_uint(n, "resources.memory_gb", 8 * GIB);
	assert_uint(n, "resources.cpu_cores", 4000);
	assert_str(n, "health.type", "http");
	/* A node's own list replaces the default one. */
	ck_assert_int_eq(bpci_node_spec_get_list(bpci_config_node(c, 2), "web3_contracts",
						 &items, &count), 0);
	ck_assert_uint_eq(count, 1);
	ck_assert_str_eq(items[0], "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
	assert_uint(bpci_config_node(c, 4), "replication_factor", 3);
	assert_uint(bpci_config_node(c, 4), "capacity_gb", 1000 * GIB);
	assert_str(bpci_config_node(c, 7), "name", "logbook-node-001");
	assert_uint(bpci_config_node(c, 7), "retention_policy", 7ull * 365 * 86400 * 1000);
	assert_uint(bpci_config_node(c, 7), "stop.timeout", 30000);
	ck_assert_ptr_null(bpci_config_node(c, 8));
	bpci_config_free(c);
	bpci_diag_free(d);
}
END_TEST

START_TEST(empty_documents_are_default_configs)
{
	static const char *const texts[] = {"", "# only a comment\n", "---\n", "~\n",
					    "--- null\n...\n", "\n\n"};
	bpci_cluster_settings cl;
	bpci_audit_settings au;
	bpci_resources r;
	bpci_config *c;
	bpci_diag *d;
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		ck_assert_int_eq(cfg_load(&c, texts[i], 0, &d), 0);
		ck_assert_uint_eq(bpci_diag_count(d), 0);
		bpci_config_cluster(c, &cl);
		ck_assert_str_eq(cl.cluster_id, "");
		ck_assert_str_eq(cl.root_daemon, "");
		ck_assert_uint_eq(cl.hierarchy_levels, 3);
		ck_assert_int_eq(cl.load_balancing, BPCI_LB_ROUND_ROBIN);
		ck_assert_int_eq(cl.fault_tolerance, BPCI_FT_AUTOMATIC_FAILOVER);
		bpci_config_audit(c, &au);
		ck_assert_str_eq(au.ledger_endpoint, "");
		ck_assert_uint_eq(au.audit_frequency_ms, 30000);
		ck_assert_uint_eq(au.retention_days, 2555);
		bpci_config_resources(c, &r);
		ck_assert_uint_eq(r.cpu_millicores + r.memory_bytes + r.storage_bytes +
					  r.network_mbps + r.gpu_units, 0);
		ck_assert_uint_eq(bpci_config_node_count(c), 0);
		bpci_config_free(c);
		bpci_diag_free(d);
	}
	/* NULL text with no length is an empty document too. */
	ck_assert_int_eq(bpci_config_load_string(&c, NULL, 0, NULL, 0, NULL), 0);
	bpci_config_free(c);
	bpci_config_free(NULL);
}
END_TEST

START_TEST(enum_spellings_and_units)
{
	bpci_config *c;
	bpci_diag *d;
	bpci_cluster_settings cl;
	bpci_audit_settings au;
	bpci_resources r;

	ck_assert_int_eq(cfg_load(&c,
				  "cluster:\n"
				  "  daemon_tree:\n"
				  "    hierarchy_levels: \"16\"\n"
				  "    load_balancing: Least-Connections\n"
				  "    fault_tolerance: restart-only\n"
				  "resource_allocation:\n"
				  "  cpu_cores: 500m\n"
				  "  memory_gb: 512Mi\n"
				  "  storage_gb: 2Ti\n"
				  "  network_bandwidth_mbps: 1Gbps\n"
				  "  gpu_units: !!str 2\n"
				  "audit_integration:\n"
				  "  audit_frequency_seconds: 5m\n"
				  "  retention_days: 1\n",
				  0, &d),
			 0);
	ck_assert_uint_eq(bpci_diag_count(d), 0);
	bpci_config_cluster(c, &cl);
	ck_assert_uint_eq(cl.hierarchy_levels, 16);
	ck_assert_int_eq(cl.load_balancing, BPCI_LB_LEAST_CONNECTIONS);
	ck_assert_int_eq(cl.fault_tolerance, BPCI_FT_RESTART_ONLY);
	bpci_config_resources(c, &r);
	ck_assert_uint_eq(r.cpu_millicores, 500);
	ck_assert_uint_eq(r.memory_bytes, 512u << 20);
	ck_assert_uint_eq(r.storage_bytes, 2048 * GIB);
	ck_assert_uint_eq(r.network_mbps, 1000);
	ck_assert_uint_eq(r.gpu_units, 2);
	bpci_config_audit(c, &au);
	ck_assert_uint_eq(au.audit_frequency_ms, 300000);
	ck_assert_uint_eq(au.retention_days, 1);
	bpci_config_free(c);
	bpci_diag_free(d);
}
END_TEST

START_TEST(enum_names)
{
	ck_assert_str_eq(bpci_load_balancing_name(BPCI_LB_ROUND_ROBIN), "round_robin");
	ck_assert_str_eq(bpci_load_balancing_name(BPCI_LB_WEIGHTED_ROUND_ROBIN),
			 "weighted_round_robin");
	ck_assert_str_eq(bpci_load_balancing_name(BPCI_LB_LEAST_CONNECTIONS),
			 "least_connections");
	ck_assert_str_eq(bpci_load_balancing_name(BPCI_LB_RESOURCE_BASED), "resource_based");
	ck_assert_str_eq(bpci_load_balancing_name(BPCI_LB_ADAPTIVE), "adaptive");
	ck_assert_ptr_null(bpci_load_balancing_name((bpci_load_balancing)0));
	ck_assert_ptr_null(bpci_load_balancing_name((bpci_load_balancing)6));
	ck_assert_str_eq(bpci_fault_tolerance_name(BPCI_FT_AUTOMATIC_FAILOVER),
			 "automatic_failover");
	ck_assert_str_eq(bpci_fault_tolerance_name(BPCI_FT_RESTART_ONLY), "restart_only");
	ck_assert_str_eq(bpci_fault_tolerance_name(BPCI_FT_NONE), "none");
	ck_assert_ptr_null(bpci_fault_tolerance_name((bpci_fault_tolerance)0));
	ck_assert_ptr_null(bpci_fault_tolerance_name((bpci_fault_tolerance)4));
}
END_TEST

START_TEST(defaults_merge_into_nodes)
{
	bpci_config *c;
	bpci_diag *d;
	const bpci_node_spec *a, *b;
	const char *const *items;
	size_t n;

	ck_assert_int_eq(cfg_load(&c,
				  "node_types:\n"
				  "  storage:\n"
				  "    storage_type: archive\n"
				  "    capacity_gb: 100\n"
				  "    replication_factor: 3\n"
				  "    resources: {memory_gb: 2}\n"
				  "    labels: {tier: cold, region: eu}\n"
				  "nodes:\n"
				  "  - type: storage\n"
				  "    id: s-1\n"
				  "    replication_factor: 5\n"
				  "    labels: {region: us}\n"
				  "  - {type: Storage, id: s-2, storage_type: distributed}\n",
				  0, &d),
			 0);
	ck_assert_uint_eq(bpci_diag_count(d), 0);
	a = bpci_config_node(c, 0);
	b = bpci_config_node(c, 1);
	assert_uint(a, "replication_factor", 5); /* the node's own value wins */
	assert_uint(b, "replication_factor", 3); /* the default fills in */
	assert_uint(a, "capacity_gb", 100 * GIB);
	assert_str(a, "storage_type", "archive");
	assert_str(b, "storage_type", "distributed");
	assert_uint(a, "resources.memory_gb", 2 * GIB); /* common fields too */
	assert_str(a, "labels.tier", "cold");            /* maps combine */
	assert_str(a, "labels.region", "us");
	assert_str(b, "labels.region", "eu");
	ck_assert_int_eq(bpci_node_spec_get_list(a, "labels", &items, &n), 0);
	ck_assert_uint_eq(n, 2);
	/* The defaults themselves are left as written. */
	assert_uint(bpci_config_type_defaults(c, BPCI_NODE_STORAGE), "replication_factor", 3);
	bpci_config_free(c);
	bpci_diag_free(d);
}
END_TEST

START_TEST(field_shapes)
{
	bpci_config *c;
	bpci_diag *d;
	const char *const *items;
	size_t n;

	/* Maps as mappings, as "k=v" lists, or as flat dotted keys; lists as
	 * sequences or comma-separated text; commands as text or sequences. */
	ck_assert_int_eq(cfg_load(&c,
				  "nodes:\n"
				  "  - type: logbook\n"
				  "    logbook_type: auction\n"
				  "    labels: [\"zone=a\", \"rack=r1\"]\n"
				  "    labels.region: eu\n"
				  "    environment: {LOG_LEVEL: debug}\n"
				  "    receipt_sources: \"docklock, http-cage\"\n"
				  "    command: /usr/bin/logbook --verbose \"two words\"\n"
				  "  - type: logbook\n"
				  "    logbook_type: auction\n"
				  "    command: [/usr/bin/logbook, --quiet]\n",
				  0, &d),
			 0);
	ck_assert_uint_eq(bpci_diag_count(d), 0);
	assert_str(bpci_config_node(c, 0), "labels.zone", "a");
	assert_str(bpci_config_node(c, 0), "labels.rack", "r1");
	assert_str(bpci_config_node(c, 0), "labels.region", "eu");
	assert_str(bpci_config_node(c, 0), "environment.LOG_LEVEL", "debug");
	ck_assert_int_eq(bpci_node_spec_get_list(bpci_config_node(c, 0), "receipt_sources",
						 &items, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(items[1], "http-cage");
	ck_assert_int_eq(bpci_node_spec_get_list(bpci_config_node(c, 0), "command", &items,
						 &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(items[2], "two words");
	ck_assert_int_eq(bpci_node_spec_get_list(bpci_config_node(c, 1), "command", &items,
						 &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(items[1], "--quiet");
	bpci_config_free(c);
	bpci_diag_free(d);

	/* Wrong shapes are named. */
	ck_assert_int_eq(cfg_load(&c,
				  "nodes:\n"
				  "  - type: logbook\n"
				  "    logbook_type: [auction]\n"
				  "    resources: 4\n"
				  "    storage_policy: {a: b}\n"
				  "    receipt_sources: [docklock, ~]\n",
				  0, &d),
			 BPCI_EINVAL);
	ck_assert_uint_eq(bpci_diag_count(d), 4);
	ck_assert_str_eq(cfg_text(d, 0), "c.yaml:3:19: nodes[0].logbook_type must be a single "
					 "value, got a sequence");
	ck_assert_str_eq(cfg_text(d, 1), "c.yaml:4:16: nodes[0].resources must be a mapping, "
					 "got a scalar");
	ck_assert_str_eq(cfg_text(d, 2), "c.yaml:5:21: nodes[0].storage_policy must be a single "
					 "value, got a mapping");
	ck_assert_str_eq(cfg_text(d, 3), "c.yaml:6:33: nodes[0].receipt_sources[1] must have a "
					 "value");
	bpci_diag_free(d);
}
END_TEST

START_TEST(reliability_threshold_rule)
{
	bpci_config *c;
	bpci_diag *d;
	const char *types = "node_types:\n"
			    "  oracle:\n"
			    "    supported_chains: [ethereum]\n"
			    "    oracle_type: price-feed\n"
			    "    reliability_threshold: 0.95\n";
	char text[1024];

	/* At and above the threshold: fine. */
	snprintf(text, sizeof(text), "%snodes:\n  - {type: oracle, reliability_score: 0.95}\n"
				     "  - {type: oracle, reliability_score: 1}\n", types);
	ck_assert_int_eq(cfg_load(&c, text, 0, &d), 0);
	ck_assert_uint_eq(bpci_diag_count(d), 0);
	bpci_config_free(c);
	bpci_diag_free(d);

	/* Below: an error naming both values, at the score. */
	snprintf(text, sizeof(text), "%snodes:\n  - type: oracle\n    reliability_score: 0.9\n"
				     "  - {type: oracle}\n", types);
	ck_assert_int_eq(cfg_load(&c, text, 0, &d), BPCI_EINVAL);
	ck_assert_uint_eq(bpci_diag_count(d), 1);
	ck_assert_str_eq(cfg_text(d, 0), "c.yaml:8:24: nodes[0].reliability_score 0.9 is below "
					 "node_types.oracle.reliability_threshold 0.95");
	bpci_diag_free(d);

	/* A score inherited from node_types is checked too, shown where written. */
	snprintf(text, sizeof(text), "%s    reliability_score: 0.5\nnodes:\n  - {type: oracle}\n",
		 types);
	ck_assert_int_eq(cfg_load(&c, text, 0, &d), BPCI_EINVAL);
	ck_assert_uint_eq(bpci_diag_count(d), 1);
	ck_assert_str_eq(cfg_text(d, 0), "c.yaml:6:24: nodes[0].reliability_score 0.5 is below "
					 "node_types.oracle.reliability_threshold 0.95");
	bpci_diag_free(d);

	/* The threshold itself is checked, and belongs to oracle only. */
	ck_assert_int_eq(cfg_load(&c, "node_types:\n  oracle: {reliability_threshold: 1.5}\n"
				      "  storage: {reliability_threshold: 0.5}\n", 0, &d),
			 BPCI_EINVAL);
	ck_assert_uint_eq(bpci_diag_count(d), 2);
	ck_assert_str_eq(cfg_text(d, 0), "c.yaml:2:35: node_types.oracle.reliability_threshold "
					 "must be a number in 0..1, got 1.5");
	ck_assert_contains(cfg_text(d, 1), "c.yaml:3:13: node_types.storage.reliability_threshold");
	ck_assert_int_eq(bpci_diag_get(d, 1)->code, BPCI_ENOTFOUND);
	bpci_diag_free(d);
}
END_TEST

START_TEST(load_file_errors)
{
	bpci_config *c = (bpci_config *)(uintptr_t)1;
	bpci_diag *d;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci_config_load_file(&c, "tests/config/data/no-such.yaml", 0, d),
			 BPCI_EIO);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(cfg_text(d, 0),
			 "tests/config/data/no-such.yaml: cannot read: No such file or directory");
	bpci_diag_clear(d);
	ck_assert_int_eq(bpci_config_load_file(&c, "tests/config/data", 0, d), BPCI_EIO);
	ck_assert_contains(cfg_text(d, 0), "Is a directory");
	ck_assert_int_eq(bpci_config_load_file(NULL, ORIGINAL, 0, d), BPCI_EINVAL);
	ck_assert_int_eq(bpci_config_load_file(&c, NULL, 0, d), BPCI_EINVAL);
	ck_assert_int_eq(bpci_config_load_string(&c, NULL, 5, NULL, 0, d), BPCI_EINVAL);
	bpci_diag_free(d);
}
END_TEST

TCase *config_load_tcase(void)
{
	TCase *tc = tcase_create("load");

	tcase_add_test(tc, original_verbatim_loads);
	tcase_add_test(tc, original_strict_refuses_the_checksum);
	tcase_add_test(tc, example_has_every_type);
	tcase_add_test(tc, empty_documents_are_default_configs);
	tcase_add_test(tc, enum_spellings_and_units);
	tcase_add_test(tc, enum_names);
	tcase_add_test(tc, defaults_merge_into_nodes);
	tcase_add_test(tc, field_shapes);
	tcase_add_test(tc, reliability_threshold_rule);
	tcase_add_test(tc, load_file_errors);
	return tc;
}
