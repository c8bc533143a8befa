/* Problems in a configuration: where they are reported and with what words. */
#include <string.h>

#include "config_tests.h"

/* Load @text expecting @code and exactly the diagnostics in @want. */
static void expect(const char *text, int code, const char *const *want, size_t n)
{
	bpci_config *c;
	bpci_diag *d;
	size_t i;

	ck_assert_int_eq(cfg_load(&c, text, 0, &d), code);
	for (i = 0; i < n; i++)
		ck_assert_str_eq(cfg_text(d, i), want[i]);
	ck_assert_msg(bpci_diag_count(d) == n, "want %zu diagnostics, got %zu; last: %s", n,
		      bpci_diag_count(d), bpci_diag_last_text(d));
	bpci_diag_free(d);
}

#define EXPECT(text, code, ...)                                                   \
	do {                                                                      \
		static const char *const want_[] = {__VA_ARGS__};                 \
		expect(text, code, want_, sizeof(want_) / sizeof(want_[0]));      \
	} while (0)

START_TEST(malformed_yaml_positions)
{
	EXPECT("a: 1\nb: [1, 2\n", BPCI_EPARSE,
	       "c.yaml:3:1: did not find expected ',' or ']' (while parsing a flow sequence "
	       "at 2:4)");
	EXPECT("key: \"unterminated\n", BPCI_EPARSE,
	       "c.yaml:2:1: found unexpected end of stream (while scanning a quoted scalar "
	       "at 1:6)");
	EXPECT("cluster:\n\tcluster_id: x\n", BPCI_EPARSE,
	       "c.yaml:2:1: found character that cannot start any token (while scanning for "
	       "the next token at 2:1)");
	EXPECT("cluster:\n    cluster_id: a\n  root: b\n", BPCI_EPARSE,
	       "c.yaml:3:3: did not find expected key (while parsing a block mapping at 1:1)");
	EXPECT("cluster: {cluster_id: a\n", BPCI_EPARSE,
	       "c.yaml:2:1: did not find expected ',' or '}' (while parsing a flow mapping "
	       "at 1:10)");
	EXPECT("a: b: c\n", BPCI_EPARSE,
	       "c.yaml:1:5: mapping values are not allowed in this context");
	EXPECT("ok: 1\nbad: \xc3\x28\n", BPCI_EPARSE,
	       "c.yaml:2:7: invalid trailing UTF-8 octet (byte 0x28)");
}
END_TEST

START_TEST(unknown_keys_suggest)
{
	EXPECT("cluster:\n"
	       "  cluster_id: bpci\n"
	       "  daemon_tree:\n"
	       "    root_daemon: r\n"
	       "    hierachy_levels: 3\n",
	       BPCI_ENOTFOUND,
	       "c.yaml:5:5: cluster.daemon_tree.hierachy_levels unknown key; did you mean "
	       "'hierarchy_levels'?");
	EXPECT("node_typos: {}\naudit_integration:\n  zzz: 1\n", BPCI_ENOTFOUND,
	       "c.yaml:1:1: node_typos unknown key; did you mean 'node_types'?",
	       "c.yaml:3:3: audit_integration.zzz unknown key; allowed keys: "
	       "bpi_ledger_endpoint, audit_frequency_seconds, retention_days");
	EXPECT("node_types:\n  storage:\n    replicaton_factor: 3\n    resources:\n"
	       "      memroy_gb: 4\n",
	       BPCI_ENOTFOUND,
	       "c.yaml:3:5: node_types.storage.replicaton_factor unknown key; did you mean "
	       "'replication_factor'?",
	       "c.yaml:5:7: node_types.storage.resources.memroy_gb unknown key; did you mean "
	       "'memory_gb'?");
	EXPECT("nodes:\n  - type: audit\n    audit_scope: node\n    qqqqqqqqqq: 1\n",
	       BPCI_ENOTFOUND,
	       "c.yaml:4:5: nodes[0].qqqqqqqqqq unknown key; allowed keys: type, audit_scope, "
	       "compliance_frameworks, audit_frequency_hours, reporting_endpoints, id, name, "
	       "endpoint, command, environment, labels, resources, restart, health, stop, "
	       "working_dir, user, group");
	EXPECT("node_types:\n  storag: {}\n", BPCI_EINVAL,
	       "c.yaml:2:3: node_types.storag is not a node type; did you mean 'storage'?");
}
END_TEST

START_TEST(bad_values_are_located)
{
	bpci_config *c;
	bpci_diag *d;
	const bpci_diag_entry *e;

	EXPECT("cluster:\n  daemon_tree:\n    hierarchy_levels: 0\n", BPCI_EINVAL,
	       "c.yaml:3:23: cluster.daemon_tree.hierarchy_levels must be 1..16, got 0");
	EXPECT("cluster:\n  daemon_tree: {load_balancing: random}\n", BPCI_EINVAL,
	       "c.yaml:2:33: cluster.daemon_tree.load_balancing must be one of round_robin, "
	       "weighted_round_robin, least_connections, resource_based, adaptive, got "
	       "'random'");
	EXPECT("cluster:\n  daemon_tree: {fault_tolerance: manual}\n", BPCI_EINVAL,
	       "c.yaml:2:34: cluster.daemon_tree.fault_tolerance must be one of "
	       "automatic_failover, restart_only, none, got 'manual'");
	EXPECT("cluster:\n  cluster_id: \"two words\"\n", BPCI_EINVAL,
	       "c.yaml:2:15: cluster.cluster_id must be an identifier (letters, digits, '.', "
	       "'_', '-'; at most 128 characters, starting with a letter or digit), got "
	       "'two words'");
	EXPECT("audit_integration:\n  bpi_ledger_endpoint: ftp://x\n  retention_days: 0\n",
	       BPCI_EINVAL,
	       "c.yaml:2:24: audit_integration.bpi_ledger_endpoint must be an absolute "
	       "http:// or https:// URL, got 'ftp://x'",
	       "c.yaml:3:19: audit_integration.retention_days must be 1..365000 days, got 0");
	EXPECT("resource_allocation:\n  memory_gb: lots\n", BPCI_EINVAL,
	       "c.yaml:2:14: resource_allocation.memory_gb must be a size (\"16\" GiB, "
	       "\"16Gi\", \"512Mi\"), got 'lots'");
	EXPECT("cluster:\n  cluster_id:\n", BPCI_EINVAL,
	       "c.yaml:2:14: cluster.cluster_id must have a value");
	EXPECT("cluster: [a]\n", BPCI_EINVAL, "c.yaml:1:10: cluster must be a mapping, got a "
					      "sequence");
	EXPECT("nodes: {a: 1}\n", BPCI_EINVAL,
	       "c.yaml:1:8: nodes must be a sequence of nodes, got a mapping");

	/* Messages from the node model get the position and the path. */
	ck_assert_int_eq(cfg_load(&c, "node_types:\n  storage:\n    replication_factor: 0\n", 0,
				  &d),
			 BPCI_EINVAL);
	ck_assert_uint_eq(bpci_diag_count(d), 1);
	e = bpci_diag_get(d, 0);
	ck_assert_str_eq(e->field, "node_types.storage.replication_factor");
	ck_assert_uint_eq(e->line, 3);
	ck_assert_uint_eq(e->column, 25);
	ck_assert_contains(e->text, "c.yaml:3:25: node_types.storage.replication_factor ");
	ck_assert_contains(e->message, "1..16");
	ck_assert_contains(e->message, "got 0");
	bpci_diag_free(d);

	ck_assert_int_eq(cfg_load(&c, "nodes:\n"
				      "  - {type: proof, proof_type: identity}\n"
				      "  - {type: proof, proof_type: identity}\n"
				      "  - type: proof\n"
				      "    proof_type: identity\n"
				      "    endpoint: not-a-url\n",
				  0, &d),
			 BPCI_EINVAL);
	ck_assert_uint_eq(bpci_diag_count(d), 1);
	ck_assert_contains(cfg_text(d, 0), "c.yaml:6:15: nodes[2].endpoint ");
	ck_assert_contains(cfg_text(d, 0), "not-a-url");
	bpci_diag_free(d);

	/* A bad list item is shown at the item. */
	ck_assert_int_eq(cfg_load(&c, "node_types:\n  oracle:\n"
				      "    supported_chains: [ethereum, \"no spaces\"]\n",
				  0, &d),
			 BPCI_EINVAL);
	ck_assert_uint_eq(bpci_diag_count(d), 1);
	ck_assert_contains(cfg_text(d, 0), "c.yaml:3:34: node_types.oracle.supported_chains[1]");
	bpci_diag_free(d);
}
END_TEST

START_TEST(all_problems_reported)
{
	static const char text[] = "cluster:\n"
				   "  cluster_id: ok\n"
				   "  daemon_tree:\n"
				   "    hierarchy_levels: 17\n"
				   "    load_balancing: adaptive\n"
				   "resource_allocation:\n"
				   "  cpu_cores: many\n"
				   "  gpus: 1\n"
				   "audit_integration:\n"
				   "  retention_days: -1\n"
				   "nodes:\n"
				   "  - type: storage\n"
				   "    storage_type: distributed\n"
				   "    capacity_gb: 10\n"
				   "    replication_factor: 99\n"
				   "  - type: nonsense\n"
				   "  - name: untyped\n";
	bpci_config *c;
	bpci_diag *d;

	ck_assert_int_eq(cfg_load(&c, text, 0, &d), BPCI_EINVAL);
	ck_assert_uint_eq(bpci_diag_count(d), 7);
	ck_assert_uint_eq(bpci_diag_error_count(d), 7);
	ck_assert_str_eq(cfg_text(d, 0), "c.yaml:4:23: cluster.daemon_tree.hierarchy_levels "
					 "must be 1..16, got 17");
	ck_assert_contains(cfg_text(d, 1), "c.yaml:7:14: resource_allocation.cpu_cores must be");
	ck_assert_str_eq(cfg_text(d, 2), "c.yaml:8:3: resource_allocation.gpus unknown key; "
					 "allowed keys: cpu_cores, memory_gb, storage_gb, "
					 "network_bandwidth_mbps, gpu_units");
	ck_assert_str_eq(cfg_text(d, 3), "c.yaml:10:19: audit_integration.retention_days must "
					 "be 1..365000 days, got -1");
	ck_assert_contains(cfg_text(d, 4), "c.yaml:15:25: nodes[0].replication_factor ");
	ck_assert_str_eq(cfg_text(d, 5), "c.yaml:16:11: nodes[1].type 'nonsense' is not a node "
					 "type (enc_cluster, oracle, shadow_registry, pipeline_api, "
					 "storage, proof, audit, logbook)");
	ck_assert_str_eq(cfg_text(d, 6), "c.yaml:17:5: nodes[2].type is required (enc-cluster, "
					 "oracle, shadow-registry, pipeline-api, storage, proof, "
					 "audit or logbook)");
	bpci_diag_free(d);
	/* Without a list the first problem's code still comes back. */
	ck_assert_int_eq(bpci_config_load_string(&c, text, strlen(text), NULL, 0, NULL),
			 BPCI_EINVAL);
	ck_assert_ptr_null(c);
}
END_TEST

START_TEST(validation_is_located)
{
	bpci_config *c;
	bpci_diag *d;

	/* A missing required field points at the node; an inherited bad value
	 * at node_types, where it was written. */
	ck_assert_int_eq(cfg_load(&c, "node_types:\n"
				      "  shadow_registry:\n"
				      "    web3_contracts: [\"0x742d35Cc6634C0532925a3b8D0Ac6Ef4C5c3C8c8\"]\n"
				      "nodes:\n"
				      "  - type: storage\n"
				      "    name: s\n"
				      "  - {type: shadow-registry, registry_type: privacy}\n",
				  0, &d),
			 BPCI_EINVAL);
	ck_assert_uint_eq(bpci_diag_error_count(d), 2);
	ck_assert_uint_eq(bpci_diag_count(d), 4);
	ck_assert_contains(cfg_text(d, 0), "c.yaml:3:22: warning: node_types.shadow_registry."
					   "web3_contracts[0] ");
	ck_assert_contains(cfg_text(d, 1), "c.yaml:5:5: nodes[0].storage_type ");
	ck_assert_contains(cfg_text(d, 2), "c.yaml:5:5: nodes[0].capacity_gb ");
	ck_assert_contains(cfg_text(d, 3), "c.yaml:3:22: warning: nodes[1].web3_contracts[0] ");
	bpci_diag_free(d);
}
END_TEST

START_TEST(duplicate_keys)
{
	EXPECT("cluster:\n  cluster_id: a\n  cluster_id: b\n", BPCI_EPARSE,
	       "c.yaml:3:3: duplicate key 'cluster_id' (first at 2:3)");
	EXPECT("nodes:\n  - {type: oracle, b: 1, type: storage, b: 2, c: 3, b: 4}\n", BPCI_EPARSE,
	       "c.yaml:2:26: duplicate key 'type' (first at 2:6)",
	       "c.yaml:2:41: duplicate key 'b' (first at 2:20)",
	       "c.yaml:2:53: duplicate key 'b' (first at 2:20)");
	EXPECT("cluster: {}\ncluster: {}\n", BPCI_EPARSE,
	       "c.yaml:2:1: duplicate key 'cluster' (first at 1:1)");
	/* node_types spellings of one type collide too. */
	EXPECT("node_types:\n  oracle: {update_frequency_ms: 1000}\n  Oracle: {}\n", BPCI_EINVAL,
	       "c.yaml:3:3: node_types.Oracle names the same node type as 'oracle' (first at "
	       "2:3)");
}
END_TEST

START_TEST(duplicate_node_names_and_ids)
{
	EXPECT("nodes:\n"
	       "  - {type: proof, proof_type: identity, name: p, id: one}\n"
	       "  - {type: proof, proof_type: identity, name: q, id: one}\n"
	       "  - type: proof\n"
	       "    proof_type: identity\n"
	       "    name: p\n",
	       BPCI_EINVAL,
	       "c.yaml:3:54: nodes[1].id 'one' is already used by nodes[0]",
	       "c.yaml:6:11: nodes[2].name 'p' is already used by nodes[0]");
	EXPECT("node_types:\n  proof: {name: p}\n", BPCI_EINVAL,
	       "c.yaml:2:11: node_types.proof.name cannot be a per-type default: every node "
	       "needs its own");
}
END_TEST

START_TEST(anchors_aliases_tags_documents)
{
	EXPECT("cluster: &c {cluster_id: a}\nother: *c\n", BPCI_EINVAL,
	       "c.yaml:1:10: anchors are not allowed (&c); write the value out");
	EXPECT("a: *x\n", BPCI_EINVAL, "c.yaml:1:4: aliases are not allowed (*x); write the "
				      "value out");
	EXPECT("cluster:\n  cluster_id: !secret abc\n", BPCI_EINVAL,
	       "c.yaml:2:15: tags are not allowed ('!secret')");
	EXPECT("cluster: {}\n---\ncluster: {}\n", BPCI_EPARSE,
	       "c.yaml:2:1: a configuration is one YAML document; a second one starts here");
	EXPECT("? [a, b]\n: c\n", BPCI_EPARSE, "c.yaml:1:3: mapping keys must be scalars, got a "
					       "sequence");
	EXPECT("- a\n- b\n", BPCI_EINVAL,
	       "c.yaml:1:1: the document must be a mapping of sections (cluster, node_types, "
	       "resource_allocation, audit_integration, nodes), got a sequence");
}
END_TEST

TCase *config_errors_tcase(void)
{
	TCase *tc = tcase_create("errors");

	tcase_add_test(tc, malformed_yaml_positions);
	tcase_add_test(tc, unknown_keys_suggest);
	tcase_add_test(tc, bad_values_are_located);
	tcase_add_test(tc, all_problems_reported);
	tcase_add_test(tc, validation_is_located);
	tcase_add_test(tc, duplicate_keys);
	tcase_add_test(tc, duplicate_node_names_and_ids);
	tcase_add_test(tc, anchors_aliases_tags_documents);
	return tc;
}
