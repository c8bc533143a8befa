/* Each node type's own parameters: bounds on both sides, every enum value
 * and alias, list items, messages naming the field and the value. */
#include "node_test.h"

/* Every spelling in @in must store @canon. */
static void aliases_map_to(bpci_node_type type, const char *field, const char *canon,
			   const char *const *in)
{
	size_t i;

	for (i = 0; in[i]; i++) {
		bpci_node_spec *spec = mk(type);

		set_ok(spec, field, in[i]);
		want_str(spec, field, canon);
		bpci_node_spec_free(spec);
	}
}

START_TEST(enc_cluster_params)
{
	bpci_node_spec *s = mk(BPCI_NODE_ENC_CLUSTER);

	set_ok(s, "cluster_id", "enc-cluster-001");
	want_str(s, "cluster_id", "enc-cluster-001");
	set_fails(s, "cluster_id", "bad id!", "'bad id!'");
	set_fails(s, "cluster_id", "-leading", "'-leading'");

	aliases_map_to(BPCI_NODE_ENC_CLUSTER, "encryption_level", "standard",
		       (const char *const[]){"standard", "Standard", "STANDARD", NULL});
	aliases_map_to(BPCI_NODE_ENC_CLUSTER, "encryption_level", "military",
		       (const char *const[]){"military", "military_grade", "military-grade",
					     "militarygrade", "Military", NULL});
	aliases_map_to(BPCI_NODE_ENC_CLUSTER, "encryption_level", "quantum",
		       (const char *const[]){"quantum", "quantum_resistant",
					     "quantum-resistant", "post_quantum", NULL});
	set_fails_exact(s, "encryption_level", "ultra", BPCI_EINVAL,
			"encryption_level must be one of standard, military, quantum, got 'ultra'");
	set_fails_exact(s, "encryption_level", "militery", BPCI_EINVAL,
			"encryption_level must be one of standard, military, quantum, got "
			"'militery'; did you mean 'military'?");

	set_ok(s, "gateway_endpoint", "https://enc.bpci.local:8888");
	want_str(s, "gateway_endpoint", "https://enc.bpci.local:8888");
	set_ok(s, "gateway_endpoint", "http://10.0.0.1/gw");
	set_fails_exact(s, "gateway_endpoint", "enc.local", BPCI_EINVAL,
			"gateway_endpoint must be an absolute http(s) URL, got 'enc.local'");
	set_fails(s, "gateway_endpoint", "ftp://enc.local", "'ftp://enc.local'");

	set_ok(s, "mempool_size", "1");
	want_uint(s, "mempool_size", 1);
	set_ok(s, "mempool_size", "10000000");
	want_uint(s, "mempool_size", 10000000);
	set_fails_exact(s, "mempool_size", "0", BPCI_EINVAL,
			"mempool_size must be 1..10000000, got 0");
	set_fails_exact(s, "mempool_size", "10000001", BPCI_EINVAL,
			"mempool_size must be 1..10000000, got 10000001");
	set_fails(s, "mempool_size", "lots", "'lots'");
	set_fails(s, "mempool_size", "-1", "'-1'");
	ck_assert_int_eq(bpci_node_spec_set_uint(s, "mempool_size", 0, NULL), BPCI_EINVAL);
	ck_assert_int_eq(bpci_node_spec_set_uint(s, "mempool_size", 500, NULL), 0);
	want_uint(s, "mempool_size", 500);
	bpci_node_spec_free(s);
}
END_TEST

START_TEST(oracle_params)
{
	bpci_node_spec *s = mk(BPCI_NODE_ORACLE);
	double d = -1;

	aliases_map_to(BPCI_NODE_ORACLE, "oracle_type", "price-feed",
		       (const char *const[]){"price-feed", "price", "price_feed", "PriceFeed",
					     NULL});
	aliases_map_to(BPCI_NODE_ORACLE, "oracle_type", "data",
		       (const char *const[]){"data", "data-feed", "DataFeed", NULL});
	aliases_map_to(BPCI_NODE_ORACLE, "oracle_type", "cross-chain",
		       (const char *const[]){"cross-chain", "cross_chain", "CrossChain", NULL});
	aliases_map_to(BPCI_NODE_ORACLE, "oracle_type", "governance",
		       (const char *const[]){"governance", "Governance", NULL});
	set_fails(s, "oracle_type", "weather", "'weather'");

	set_ok(s, "supported_chains", "ethereum, polygon");
	want_list(s, "supported_chains", (const char *const[]){"ethereum", "polygon", NULL});
	set_fails_exact(s, "supported_chains", "ethereum,polygon,bad chain", BPCI_EINVAL,
			"supported_chains[2] must be an identifier (letters, digits, '.', '_' "
			"or '-', starting with a letter or digit, at most 128 characters), "
			"got 'bad chain'");
	set_fails(s, "supported_chains", "", "list");
	set_fails(s, "supported_chains", "ethereum,,polygon", "ethereum,,polygon");
	ck_assert_int_eq(bpci_node_spec_set_list(s, "supported_chains", NULL, 0, NULL),
			 BPCI_EINVAL);
	ck_assert_int_eq(bpci_node_spec_set_list(s, "supported_chains",
						 (const char *const[]){"a,b"}, 1, NULL),
			 BPCI_EINVAL);
	ck_assert_int_eq(bpci_node_spec_set_list(s, "supported_chains",
						 (const char *const[]){"solana"}, 1, NULL), 0);
	want_list(s, "supported_chains", (const char *const[]){"solana", NULL});

	set_ok(s, "update_frequency_ms", "100");
	want_uint(s, "update_frequency_ms", 100);
	set_ok(s, "update_frequency_ms", "18446744073709551615");
	want_uint(s, "update_frequency_ms", UINT64_MAX);
	set_fails_exact(s, "update_frequency_ms", "99", BPCI_EINVAL,
			"update_frequency_ms must be at least 100, got 99");

	set_ok(s, "reliability_score", "0");
	set_ok(s, "reliability_score", "1");
	ck_assert_int_eq(bpci_node_spec_get_number(s, "reliability_score", &d), 0);
	ck_assert(d == 1.0);
	set_ok(s, "reliability_score", "0.98");
	ck_assert_int_eq(bpci_node_spec_get_number(s, "reliability_score", &d), 0);
	ck_assert(d == 0.98);
	set_fails_exact(s, "reliability_score", "1.0001", BPCI_EINVAL,
			"reliability_score must be 0..1, got 1.0001");
	set_fails(s, "reliability_score", "-0.0001", "-0.0001");
	set_fails(s, "reliability_score", "high", "'high'");
	ck_assert_int_eq(bpci_node_spec_set_number(s, "reliability_score", 1.5, NULL),
			 BPCI_EINVAL);
	ck_assert_int_eq(bpci_node_spec_set_number(s, "reliability_score", 0.25, NULL), 0);
	ck_assert_int_eq(bpci_node_spec_get_number(s, "reliability_score", &d), 0);
	ck_assert(d == 0.25);
	bpci_node_spec_free(s);
}
END_TEST

START_TEST(shadow_registry_params)
{
	bpci_node_spec *s = mk(BPCI_NODE_SHADOW_REGISTRY);

	aliases_map_to(BPCI_NODE_SHADOW_REGISTRY, "registry_type", "web2-web3-bridge",
		       (const char *const[]){"web2-web3-bridge", "web2-bridge",
					     "web2_web3_bridge", "Web2Web3Bridge", "bridge",
					     NULL});
	aliases_map_to(BPCI_NODE_SHADOW_REGISTRY, "registry_type", "privacy",
		       (const char *const[]){"privacy", "Privacy", NULL});
	aliases_map_to(BPCI_NODE_SHADOW_REGISTRY, "registry_type", "compliance",
		       (const char *const[]){"compliance", NULL});
	set_fails(s, "registry_type", "mirror", "'mirror'");

	set_ok(s, "web2_endpoints", "https://api.bank.example.com,http://b.example/x");
	want_list(s, "web2_endpoints", (const char *const[]){"https://api.bank.example.com",
							     "http://b.example/x", NULL});
	set_fails_exact(s, "web2_endpoints", "https://a.example,b.example", BPCI_EINVAL,
			"web2_endpoints[1] must be an absolute http(s) URL, got 'b.example'");

	set_ok(s, "web3_contracts", "0x742d35cc6634c0532925a3b8d0ac6ef4c5c3c8c8,"
				    "0x742D35CC6634C0532925A3B8D0AC6EF4C5C3C8C8");
	/* set accepts a bad checksum: validate() warns about it. */
	set_ok(s, "web3_contracts", "0x742d35Cc6634C0532925a3b8D0Ac6Ef4C5c3C8c8");
	set_fails_exact(s, "web3_contracts", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed,0x123",
			BPCI_EINVAL,
			"web3_contracts[1] must be an address (0x followed by 40 hex digits), "
			"got '0x123'");
	set_fails(s, "web3_contracts", "742d35cc6634c0532925a3b8d0ac6ef4c5c3c8c8",
		  "'742d35cc6634c0532925a3b8d0ac6ef4c5c3c8c8'");
	set_fails(s, "web3_contracts", "0x742d35cc6634c0532925a3b8d0ac6ef4c5c3c8cg",
		  "c8cg'");

	set_ok(s, "bridge_capacity", "1");
	want_uint(s, "bridge_capacity", 1);
	set_fails_exact(s, "bridge_capacity", "0", BPCI_EINVAL,
			"bridge_capacity must be at least 1, got 0");
	bpci_node_spec_free(s);
}
END_TEST

START_TEST(pipeline_api_params)
{
	bpci_node_spec *s = mk(BPCI_NODE_PIPELINE_API);

	set_ok(s, "pipeline_id", "main-pipeline");
	want_str(s, "pipeline_id", "main-pipeline");
	set_fails(s, "pipeline_id", "main pipeline", "'main pipeline'");
	set_ok(s, "biso_policies", "data-sovereignty, pii protection");
	want_list(s, "biso_policies",
		  (const char *const[]){"data-sovereignty", "pii protection", NULL});
	set_ok(s, "traffic_light_rules", "green:allow,red:deny");
	want_list(s, "traffic_light_rules", (const char *const[]){"green:allow", "red:deny",
								  NULL});
	ck_assert_int_eq(bpci_node_spec_set_list(s, "traffic_light_rules",
						 (const char *const[]){"ok", ""}, 2, NULL),
			 BPCI_EINVAL);
	set_ok(s, "throughput_limit", "1");
	want_uint(s, "throughput_limit", 1);
	set_ok(s, "throughput_limit", "10000");
	set_fails_exact(s, "throughput_limit", "0", BPCI_EINVAL,
			"throughput_limit must be at least 1, got 0");
	bpci_node_spec_free(s);
}
END_TEST

START_TEST(storage_params)
{
	bpci_node_spec *s = mk(BPCI_NODE_STORAGE);
	int b = -1;

	aliases_map_to(BPCI_NODE_STORAGE, "storage_type", "distributed",
		       (const char *const[]){"distributed", "Distributed", NULL});
	aliases_map_to(BPCI_NODE_STORAGE, "storage_type", "high-performance",
		       (const char *const[]){"high-performance", "high_performance",
					     "HighPerformance", NULL});
	aliases_map_to(BPCI_NODE_STORAGE, "storage_type", "archive",
		       (const char *const[]){"archive", "Archive", NULL});
	set_fails(s, "storage_type", "tape", "'tape'");

	set_ok(s, "capacity_gb", "1");
	want_uint(s, "capacity_gb", GIB);
	set_ok(s, "capacity_gb", "1000");
	want_uint(s, "capacity_gb", 1000 * GIB);
	set_ok(s, "capacity_gb", "2Ti");
	want_uint(s, "capacity_gb", 2048 * GIB);
	set_ok(s, "capacity_gb", "1.5");
	want_uint(s, "capacity_gb", GIB + GIB / 2);
	set_fails_exact(s, "capacity_gb", "0.5", BPCI_EINVAL,
			"capacity_gb must be at least 1Gi, got 512Mi");
	set_fails(s, "capacity_gb", "0", "got 0");
	set_fails(s, "capacity_gb", "big", "'big'");
	ck_assert_int_eq(bpci_node_spec_set_uint(s, "capacity_gb", GIB - 1, NULL), BPCI_EINVAL);
	ck_assert_int_eq(bpci_node_spec_set_uint(s, "capacity_gb", GIB, NULL), 0);

	set_ok(s, "replication_factor", "1");
	want_uint(s, "replication_factor", 1);
	set_ok(s, "replication_factor", "16");
	want_uint(s, "replication_factor", 16);
	set_fails_exact(s, "replication_factor", "0", BPCI_EINVAL,
			"replication_factor must be 1..16, got 0");
	set_fails_exact(s, "replication_factor", "17", BPCI_EINVAL,
			"replication_factor must be 1..16, got 17");

	set_ok(s, "encryption_enabled", "true");
	ck_assert_int_eq(bpci_node_spec_get_bool(s, "encryption_enabled", &b), 0);
	ck_assert_int_eq(b, 1);
	set_ok(s, "encryption_enabled", "no");
	ck_assert_int_eq(bpci_node_spec_get_bool(s, "encryption_enabled", &b), 0);
	ck_assert_int_eq(b, 0);
	ck_assert_int_eq(bpci_node_spec_set_bool(s, "encryption_enabled", 7, NULL), 0);
	ck_assert_int_eq(bpci_node_spec_get_bool(s, "encryption_enabled", &b), 0);
	ck_assert_int_eq(b, 1);
	set_fails_exact(s, "encryption_enabled", "maybe", BPCI_EINVAL,
			"encryption_enabled must be true or false, got 'maybe'");
	bpci_node_spec_free(s);
}
END_TEST

START_TEST(proof_params)
{
	bpci_node_spec *s = mk(BPCI_NODE_PROOF);

	aliases_map_to(BPCI_NODE_PROOF, "proof_type", "transaction",
		       (const char *const[]){"transaction", "Transaction", NULL});
	aliases_map_to(BPCI_NODE_PROOF, "proof_type", "compliance",
		       (const char *const[]){"compliance", NULL});
	aliases_map_to(BPCI_NODE_PROOF, "proof_type", "identity",
		       (const char *const[]){"identity", NULL});
	set_fails_exact(s, "proof_type", "zk", BPCI_EINVAL,
			"proof_type must be one of transaction, compliance, identity, got 'zk'");
	aliases_map_to(BPCI_NODE_PROOF, "compliance_level", "basic",
		       (const char *const[]){"basic", NULL});
	aliases_map_to(BPCI_NODE_PROOF, "compliance_level", "enhanced",
		       (const char *const[]){"enhanced", NULL});
	aliases_map_to(BPCI_NODE_PROOF, "compliance_level", "government",
		       (const char *const[]){"government", "GOVERNMENT", NULL});
	set_fails(s, "compliance_level", "extreme", "'extreme'");
	set_ok(s, "audit_retention_days", "1");
	want_uint(s, "audit_retention_days", 1);
	set_ok(s, "audit_retention_days", "2555");
	set_fails_exact(s, "audit_retention_days", "0", BPCI_EINVAL,
			"audit_retention_days must be at least 1, got 0");
	set_ok(s, "government_endpoints", "https://gov.example/api");
	want_list(s, "government_endpoints", (const char *const[]){"https://gov.example/api",
								   NULL});
	set_fails(s, "government_endpoints", "https://gov.example/api,gov", "[1]");
	bpci_node_spec_free(s);
}
END_TEST

START_TEST(audit_params)
{
	bpci_node_spec *s = mk(BPCI_NODE_AUDIT);

	aliases_map_to(BPCI_NODE_AUDIT, "audit_scope", "transaction",
		       (const char *const[]){"transaction", NULL});
	aliases_map_to(BPCI_NODE_AUDIT, "audit_scope", "node",
		       (const char *const[]){"node", "Node", NULL});
	aliases_map_to(BPCI_NODE_AUDIT, "audit_scope", "full-system",
		       (const char *const[]){"full-system", "full_system", "FullSystem",
					     "full", NULL});
	set_fails(s, "audit_scope", "partial", "'partial'");

	set_ok(s, "compliance_frameworks", "GDPR,SOX,HIPAA,PCI-DSS,ISO27001,SOC2,CCPA,"
					   "NIST-800-53,FedRAMP,Basel-III,MiFID-II");
	want_list(s, "compliance_frameworks",
		  (const char *const[]){"GDPR", "SOX", "HIPAA", "PCI-DSS", "ISO27001", "SOC2",
					"CCPA", "NIST-800-53", "FedRAMP", "Basel-III",
					"MiFID-II", NULL});
	set_ok(s, "compliance_frameworks", "gdpr,sox,PCI_DSS,PCIDSS,iso-27001,SOC-2,fedramp,"
					   "mifid-ii");
	want_list(s, "compliance_frameworks",
		  (const char *const[]){"GDPR", "SOX", "PCI-DSS", "PCI-DSS", "ISO27001", "SOC2",
					"FedRAMP", "MiFID-II", NULL});
	set_fails(s, "compliance_frameworks", "GDPR,FOO", "compliance_frameworks[1]");
	set_fails(s, "compliance_frameworks", "GDPR,FOO", "'FOO'");

	set_ok(s, "audit_frequency_hours", "1");
	want_uint(s, "audit_frequency_hours", 1);
	set_fails_exact(s, "audit_frequency_hours", "0", BPCI_EINVAL,
			"audit_frequency_hours must be at least 1, got 0");
	set_ok(s, "reporting_endpoints", "https://r.example/a,https://r.example/b");
	set_fails(s, "reporting_endpoints", "mailto:x@example.com", "'mailto:x@example.com'");
	bpci_node_spec_free(s);
}
END_TEST

START_TEST(logbook_params)
{
	bpci_node_spec *s = mk(BPCI_NODE_LOGBOOK);

	aliases_map_to(BPCI_NODE_LOGBOOK, "logbook_type", "auction",
		       (const char *const[]){"auction", NULL});
	aliases_map_to(BPCI_NODE_LOGBOOK, "logbook_type", "transaction",
		       (const char *const[]){"transaction", NULL});
	aliases_map_to(BPCI_NODE_LOGBOOK, "logbook_type", "compliance",
		       (const char *const[]){"compliance", NULL});
	set_fails(s, "logbook_type", "diary", "'diary'");

	set_ok(s, "receipt_sources",
	       "http-cage,http_cage,HttpCage,docklock,DockLock,enc-cluster,enc_cluster,node-7");
	want_list(s, "receipt_sources",
		  (const char *const[]){"http-cage", "http-cage", "http-cage", "docklock",
					"docklock", "enc-cluster", "enc-cluster", "node-7",
					NULL});
	set_fails_exact(s, "receipt_sources", "docklock,bad source", BPCI_EINVAL,
			"receipt_sources[1] must be http-cage, docklock, enc-cluster or a node "
			"id, got 'bad source'");

	set_ok(s, "storage_policy", "immutable-worm");
	want_str(s, "storage_policy", "immutable-worm");
	set_fails(s, "storage_policy", "", "empty");

	set_ok(s, "retention_policy", "7y");
	want_uint(s, "retention_policy", 7ULL * 365 * 86400000);
	set_ok(s, "retention_policy", "90d");
	want_uint(s, "retention_policy", 90ULL * 86400000);
	set_ok(s, "retention_policy", "12h");
	want_uint(s, "retention_policy", 12ULL * 3600000);
	set_ok(s, "retention_policy", "30");
	want_uint(s, "retention_policy", 30ULL * 86400000);
	set_fails(s, "retention_policy", "forever", "'forever'");
	bpci_node_spec_free(s);
}
END_TEST

START_TEST(unknown_field_suggests)
{
	bpci_node_spec *s = mk(BPCI_NODE_STORAGE);

	set_fails_exact(s, "replicaton_factor", "3", BPCI_ENOTFOUND,
			"replicaton_factor unknown field 'replicaton_factor' for storage; "
			"did you mean 'replication_factor'?");
	set_fails_exact(s, "zzzzzz", "3", BPCI_ENOTFOUND,
			"zzzzzz unknown field 'zzzzzz' for storage");
	/* Another type's parameter is unknown here. */
	ck_assert_int_eq(bpci_node_spec_set(s, "mempool_size", "5", NULL), BPCI_ENOTFOUND);
	ck_assert_int_eq(bpci_node_spec_set_uint(s, "nope", 1, NULL), BPCI_ENOTFOUND);
	ck_assert_int_eq(bpci_node_spec_set_number(s, "nope", 1, NULL), BPCI_ENOTFOUND);
	ck_assert_int_eq(bpci_node_spec_set_bool(s, "nope", 1, NULL), BPCI_ENOTFOUND);
	ck_assert_int_eq(bpci_node_spec_set_list(s, "nope", NULL, 0, NULL), BPCI_ENOTFOUND);
	ck_assert_int_eq(bpci_node_spec_unset(s, "nope"), BPCI_ENOTFOUND);
	ck_assert_int_eq(bpci_node_spec_has(s, "nope"), 0);
	bpci_node_spec_free(s);
}
END_TEST

START_TEST(getters_check_kind_and_presence)
{
	bpci_node_spec *s = mk(BPCI_NODE_ENC_CLUSTER);
	const char *str;
	const char *const *items;
	size_t n;
	uint64_t u;
	double d;
	int b;

	ck_assert_int_eq(bpci_node_spec_get_string(s, "gateway_endpoint", &str), BPCI_ENOTFOUND);
	ck_assert_int_eq(bpci_node_spec_has(s, "gateway_endpoint"), 0);
	set_ok(s, "encryption_level", "quantum");
	ck_assert_int_eq(bpci_node_spec_has(s, "encryption_level"), 1);
	ck_assert_int_eq(bpci_node_spec_get_uint(s, "encryption_level", &u), BPCI_EINVAL);
	ck_assert_int_eq(bpci_node_spec_get_number(s, "encryption_level", &d), BPCI_EINVAL);
	ck_assert_int_eq(bpci_node_spec_get_bool(s, "encryption_level", &b), BPCI_EINVAL);
	ck_assert_int_eq(bpci_node_spec_get_list(s, "encryption_level", &items, &n),
			 BPCI_EINVAL);
	set_ok(s, "mempool_size", "42");
	ck_assert_int_eq(bpci_node_spec_get_string(s, "mempool_size", &str), BPCI_EINVAL);
	ck_assert_int_eq(bpci_node_spec_set_number(s, "mempool_size", 3, NULL), BPCI_EINVAL);
	ck_assert_int_eq(bpci_node_spec_set_bool(s, "mempool_size", 1, NULL), BPCI_EINVAL);
	ck_assert_int_eq(bpci_node_spec_set_uint(s, "cluster_id", 1, NULL), BPCI_EINVAL);
	ck_assert_int_eq(bpci_node_spec_set_list(s, "cluster_id", NULL, 0, NULL), BPCI_EINVAL);
	ck_assert_int_eq(bpci_node_spec_get_uint(s, "no_such", &u), BPCI_ENOTFOUND);
	ck_assert_int_eq(bpci_node_spec_unset(s, "mempool_size"), 0);
	ck_assert_int_eq(bpci_node_spec_get_uint(s, "mempool_size", &u), BPCI_ENOTFOUND);
	bpci_node_spec_free(s);
}
END_TEST

void node_add_param_tests(Suite *s)
{
	TCase *tc = tcase_create("params");

	tcase_add_test(tc, enc_cluster_params);
	tcase_add_test(tc, oracle_params);
	tcase_add_test(tc, shadow_registry_params);
	tcase_add_test(tc, pipeline_api_params);
	tcase_add_test(tc, storage_params);
	tcase_add_test(tc, proof_params);
	tcase_add_test(tc, audit_params);
	tcase_add_test(tc, logbook_params);
	tcase_add_test(tc, unknown_field_suggests);
	tcase_add_test(tc, getters_check_kind_and_presence);
	suite_add_tcase(s, tc);
}
