/* The fields every node has, their defaults, maps and command lines; the
 * descriptor tables and node type names. */
#include "node_test.h"

START_TEST(type_names_and_aliases)
{
	static const struct {
		const char *name;
		bpci_node_type type;
	} cases[] = {
		{"enc-cluster", BPCI_NODE_ENC_CLUSTER}, {"enc_cluster", BPCI_NODE_ENC_CLUSTER},
		{"EncCluster", BPCI_NODE_ENC_CLUSTER}, {"enc", BPCI_NODE_ENC_CLUSTER},
		{"ENC-CLUSTER", BPCI_NODE_ENC_CLUSTER}, {"oracle", BPCI_NODE_ORACLE},
		{"Oracle", BPCI_NODE_ORACLE}, {"shadow-registry", BPCI_NODE_SHADOW_REGISTRY},
		{"shadow_registry", BPCI_NODE_SHADOW_REGISTRY},
		{"ShadowRegistry", BPCI_NODE_SHADOW_REGISTRY},
		{"pipeline-api", BPCI_NODE_PIPELINE_API}, {"pipeline_api", BPCI_NODE_PIPELINE_API},
		{"PipelineApi", BPCI_NODE_PIPELINE_API}, {"storage", BPCI_NODE_STORAGE},
		{"proof", BPCI_NODE_PROOF}, {"audit", BPCI_NODE_AUDIT},
		{"logbook", BPCI_NODE_LOGBOOK}, {"LogBook", BPCI_NODE_LOGBOOK},
	};
	bpci_node_type t = 0;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t = 0;
		ck_assert_msg(bpci_node_type_parse(&t, cases[i].name) == 0, "%s", cases[i].name);
		ck_assert_int_eq(t, cases[i].type);
	}
	t = BPCI_NODE_AUDIT;
	ck_assert_int_eq(bpci_node_type_parse(&t, "webserver"), BPCI_EINVAL);
	ck_assert_int_eq(bpci_node_type_parse(&t, ""), BPCI_EINVAL);
	ck_assert_int_eq(t, BPCI_NODE_AUDIT);
	ck_assert_str_eq(bpci_node_type_name(BPCI_NODE_ENC_CLUSTER), "enc-cluster");
	ck_assert_str_eq(bpci_node_type_name(BPCI_NODE_SHADOW_REGISTRY), "shadow-registry");
	ck_assert_str_eq(bpci_node_type_name(BPCI_NODE_LOGBOOK), "logbook");
	ck_assert_ptr_null(bpci_node_type_name(0));
	ck_assert_ptr_null(bpci_node_type_name(BPCI_NODE_TYPE_COUNT + 1));
}
END_TEST

static const bpci_field_info *find(const bpci_field_info *f, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(f[i].name, name) == 0)
			return &f[i];
	return NULL;
}

START_TEST(descriptor_tables)
{
	static const char *const flags[BPCI_NODE_TYPE_COUNT][4] = {
		{"cluster-id", "encryption-level", "gateway-endpoint", "mempool-size"},
		{"oracle-type", "chains", "frequency", "reliability"},
		{"registry-type", "web2-endpoints", "web3-contracts", "capacity"},
		{"pipeline-id", "biso-policies", "traffic-light-rules", "throughput-limit"},
		{"storage-type", "capacity-gb", "replication-factor", "encryption"},
		{"proof-type", "compliance-level", "retention-days", "government-endpoints"},
		{"audit-scope", "frameworks", "frequency-hours", "reporting-endpoints"},
		{"logbook-type", "receipt-sources", "storage-policy", "retention-policy"},
	};
	const bpci_field_info *f, *e;
	size_t n, t, i;
	bpci_node_spec *spec;

	for (t = 1; t <= BPCI_NODE_TYPE_COUNT; t++) {
		ck_assert_int_eq(bpci_node_type_fields(&f, &n, (bpci_node_type)t), 0);
		ck_assert_uint_eq(n, 4);
		for (i = 0; i < n; i++) {
			ck_assert_str_eq(f[i].flag, flags[t - 1][i]);
			ck_assert_ptr_nonnull(f[i].help);
		}
		ck_assert_int_eq(f[0].required, 1);
	}
	ck_assert_int_eq(bpci_node_type_fields(&f, &n, 0), BPCI_EINVAL);
	ck_assert_int_eq(bpci_node_type_fields(&f, &n, 9), BPCI_EINVAL);

	ck_assert_int_eq(bpci_node_type_fields(&f, &n, BPCI_NODE_STORAGE), 0);
	e = find(f, n, "replication_factor");
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->kind, BPCI_FIELD_UINT);
	ck_assert(e->min == 1 && e->max == 16);
	e = find(f, n, "capacity_gb");
	ck_assert_int_eq(e->kind, BPCI_FIELD_SIZE);
	ck_assert_str_eq(e->unit, "GiB");
	ck_assert(e->min == (double)GIB);
	ck_assert_int_eq(bpci_node_type_fields(&f, &n, BPCI_NODE_ENC_CLUSTER), 0);
	e = find(f, n, "encryption_level");
	ck_assert_str_eq(e->values[0], "standard");
	ck_assert_str_eq(e->values[2], "quantum");
	ck_assert_ptr_null(e->values[3]);
	ck_assert_int_eq(bpci_node_type_fields(&f, &n, BPCI_NODE_AUDIT), 0);
	e = find(f, n, "compliance_frameworks");
	ck_assert_int_eq(e->kind, BPCI_FIELD_LIST);
	ck_assert_int_eq(e->item_kind, BPCI_FIELD_ENUM);
	ck_assert_str_eq(e->values[10], "MiFID-II");

	ck_assert_int_eq(bpci_node_common_fields(&f, &n), 0);
	ck_assert_uint_eq(n, 29);
	ck_assert_ptr_null(find(f, n, "id")->flag);
	ck_assert_str_eq(find(f, n, "resources.memory_gb")->flag, "memory-gb");
	ck_assert_str_eq(find(f, n, "environment")->flag, "env");
	ck_assert_str_eq(find(f, n, "labels")->flag, "label");
	ck_assert_str_eq(find(f, n, "health.type")->flag, "health-check");
	ck_assert_str_eq(find(f, n, "stop.signal")->values[0], "TERM");

	spec = mk(BPCI_NODE_STORAGE);
	ck_assert_ptr_eq(bpci_node_spec_field(spec, "labels.region"), find(f, n, "labels"));
	ck_assert_ptr_eq(bpci_node_spec_field(spec, "restart.policy"),
			 find(f, n, "restart.policy"));
	ck_assert_str_eq(bpci_node_spec_field(spec, "encryption_enabled")->flag, "encryption");
	ck_assert_ptr_null(bpci_node_spec_field(spec, "mempool_size"));
	ck_assert_ptr_null(bpci_node_spec_field(spec, "labels."));
	ck_assert_ptr_null(bpci_node_spec_field(spec, "resources"));
	ck_assert_int_eq(bpci_node_spec_type(spec), BPCI_NODE_STORAGE);
	bpci_node_spec_free(spec);
}
END_TEST

START_TEST(common_defaults)
{
	bpci_node_spec *s = mk(BPCI_NODE_ORACLE);
	const char *const *items;
	size_t n;

	want_str(s, "restart.policy", "permanent");
	want_uint(s, "restart.max_restarts", 5);
	want_uint(s, "restart.period", 60000);
	want_uint(s, "restart.backoff_initial", 100);
	want_uint(s, "restart.backoff_max", 30000);
	want_uint(s, "restart.reset_after", 60000);
	want_str(s, "health.type", "notify");
	want_str(s, "health.path", "/health");
	want_uint(s, "health.interval", 10000);
	want_uint(s, "health.timeout", 2000);
	want_uint(s, "health.retries", 3);
	want_uint(s, "health.start_timeout", 30000);
	want_uint(s, "stop.timeout", 10000);
	want_str(s, "stop.signal", "TERM");
	ck_assert_int_eq(bpci_node_spec_has(s, "restart.policy"), 1);
	ck_assert_int_eq(bpci_node_spec_has(s, "name"), 0);
	ck_assert_int_eq(bpci_node_spec_has(s, "command"), 0);
	ck_assert_int_eq(bpci_node_spec_has(s, "labels"), 0);
	ck_assert_int_eq(bpci_node_spec_get_list(s, "command", &items, &n), BPCI_ENOTFOUND);

	set_ok(s, "restart.max_restarts", "9");
	want_uint(s, "restart.max_restarts", 9);
	ck_assert_int_eq(bpci_node_spec_unset(s, "restart.max_restarts"), 0);
	want_uint(s, "restart.max_restarts", 5);
	set_ok(s, "stop.signal", "SIGKILL");
	ck_assert_int_eq(bpci_node_spec_unset(s, "stop.signal"), 0);
	want_str(s, "stop.signal", "TERM");
	bpci_node_spec_free(s);
}
END_TEST

START_TEST(common_scalars)
{
	bpci_node_spec *s = mk(BPCI_NODE_PROOF);
	bpci_resources r;

	set_ok(s, "id", "proof-1");
	want_str(s, "id", "proof-1");
	set_fails(s, "id", "proof 1", "'proof 1'");
	set_ok(s, "name", "Proof.Node_1");
	set_ok(s, "endpoint", "https://proof.bpci.local:9006");
	set_fails(s, "endpoint", "proof.local:9006", "'proof.local:9006'");

	set_ok(s, "resources.cpu_cores", "8");
	want_uint(s, "resources.cpu_cores", 8000);
	set_ok(s, "resources.cpu_cores", "500m");
	want_uint(s, "resources.cpu_cores", 500);
	set_ok(s, "resources.cpu_cores", "2 cores");
	want_uint(s, "resources.cpu_cores", 2000);
	set_fails(s, "resources.cpu_cores", "many", "'many'");
	set_ok(s, "resources.memory_gb", "16");
	want_uint(s, "resources.memory_gb", 16 * GIB);
	set_ok(s, "resources.memory_gb", "512Mi");
	want_uint(s, "resources.memory_gb", GIB / 2);
	set_ok(s, "resources.storage_gb", "500G");
	want_uint(s, "resources.storage_gb", 500000000000ULL);
	set_ok(s, "resources.network_bandwidth_mbps", "1Gbps");
	want_uint(s, "resources.network_bandwidth_mbps", 1000);
	set_ok(s, "resources.gpu_units", "2");
	ck_assert_int_eq(bpci_node_spec_get_resources(s, &r), 0);
	ck_assert_uint_eq(r.cpu_millicores, 2000);
	ck_assert_uint_eq(r.memory_bytes, GIB / 2);
	ck_assert_uint_eq(r.storage_bytes, 500000000000ULL);
	ck_assert_uint_eq(r.network_mbps, 1000);
	ck_assert_uint_eq(r.gpu_units, 2);
	ck_assert_int_eq(bpci_node_spec_unset(s, "resources.gpu_units"), 0);
	ck_assert_int_eq(bpci_node_spec_get_resources(s, &r), 0);
	ck_assert_uint_eq(r.gpu_units, 0);

	set_ok(s, "restart.policy", "always");
	want_str(s, "restart.policy", "permanent");
	set_ok(s, "restart.policy", "on-failure");
	want_str(s, "restart.policy", "transient");
	set_ok(s, "restart.policy", "never");
	want_str(s, "restart.policy", "temporary");
	set_fails(s, "restart.policy", "sometimes", "'sometimes'");
	set_ok(s, "restart.max_restarts", "0");
	set_ok(s, "restart.max_restarts", "1000");
	set_fails_exact(s, "restart.max_restarts", "1001", BPCI_EINVAL,
			"restart.max_restarts must be 0..1000, got 1001");
	set_ok(s, "restart.period", "30");
	want_uint(s, "restart.period", 30000);
	set_ok(s, "restart.backoff_initial", "250");
	want_uint(s, "restart.backoff_initial", 250);
	set_ok(s, "restart.backoff_max", "1m");
	want_uint(s, "restart.backoff_max", 60000);
	set_ok(s, "restart.reset_after", "5m");
	want_uint(s, "restart.reset_after", 300000);

	set_ok(s, "health.type", "http");
	set_fails(s, "health.type", "grpc", "'grpc'");
	set_ok(s, "health.path", "/ready");
	set_fails(s, "health.path", "ready", "'ready'");
	set_ok(s, "health.interval", "100ms");
	want_uint(s, "health.interval", 100);
	set_fails_exact(s, "health.interval", "99ms", BPCI_EINVAL,
			"health.interval must be at least 100ms, got 99ms");
	set_ok(s, "health.timeout", "50ms");
	set_ok(s, "health.retries", "1");
	set_ok(s, "health.retries", "100");
	set_fails(s, "health.retries", "0", "got 0");
	set_fails(s, "health.retries", "101", "got 101");
	set_ok(s, "health.start_timeout", "2m");
	set_ok(s, "stop.timeout", "15");
	want_uint(s, "stop.timeout", 15000);
	set_ok(s, "stop.signal", "SIGINT");
	want_str(s, "stop.signal", "INT");
	set_ok(s, "stop.signal", "usr1");
	want_str(s, "stop.signal", "USR1");
	set_fails(s, "stop.signal", "SIGSEGV", "'SIGSEGV'");

	set_ok(s, "working_dir", "/srv/proof");
	set_fails_exact(s, "working_dir", "srv/proof", BPCI_EINVAL,
			"working_dir must be an absolute path, got 'srv/proof'");
	set_ok(s, "user", "bpci");
	set_ok(s, "group", "bpci");
	set_fails(s, "user", "bad\tuser", "control");
	bpci_node_spec_free(s);
}
END_TEST

START_TEST(maps_and_argv)
{
	bpci_node_spec *s = mk(BPCI_NODE_AUDIT);
	const char *v;

	set_ok(s, "labels", "region=eu-west");
	set_ok(s, "labels.tier", "gold");
	set_ok(s, "labels", "app.kubernetes.io/name=audit");
	want_list(s, "labels", (const char *const[]){"app.kubernetes.io/name=audit",
						     "region=eu-west", "tier=gold", NULL});
	want_str(s, "labels.region", "eu-west");
	ck_assert_int_eq(bpci_node_spec_has(s, "labels.tier"), 1);
	set_ok(s, "labels.region", "us-east=1");
	want_str(s, "labels.region", "us-east=1");
	set_ok(s, "labels.tier", "");
	ck_assert_int_eq(bpci_node_spec_has(s, "labels.tier"), 0);
	ck_assert_int_eq(bpci_node_spec_get_string(s, "labels.tier", &v), BPCI_ENOTFOUND);
	set_fails_exact(s, "labels", "Region=x", BPCI_EINVAL,
			"labels key 'Region' must match [a-z0-9][a-z0-9._/-]*");
	set_fails(s, "labels", "novalue", "'novalue'");
	set_fails(s, "labels.Bad", "x", "'Bad'");
	ck_assert_int_eq(bpci_node_spec_unset(s, "labels"), 0);
	ck_assert_int_eq(bpci_node_spec_has(s, "labels"), 0);

	set_ok(s, "environment", "RUST_LOG=debug");
	set_ok(s, "environment._X1", "");   /* removes a missing key: no-op */
	set_ok(s, "environment", "EMPTY=");
	want_list(s, "environment", (const char *const[]){"EMPTY=", "RUST_LOG=debug", NULL});
	set_fails(s, "environment", "1BAD=x", "'1BAD'");
	set_fails(s, "environment", "BAD-KEY=x", "'BAD-KEY'");
	ck_assert_int_eq(bpci_node_spec_set_list(s, "environment",
						 (const char *const[]){"B=2", "A=1", "B=3"}, 3,
						 NULL), 0);
	want_list(s, "environment", (const char *const[]){"A=1", "B=3", NULL});

	set_ok(s, "command", "/usr/bin/my-audit --flag 'two words' \"x y\"");
	want_list(s, "command", (const char *const[]){"/usr/bin/my-audit", "--flag",
						      "two words", "x y", NULL});
	set_fails(s, "command", "unterminated 'quote", "command");
	set_fails(s, "command", "", "command");
	ck_assert_int_eq(bpci_node_spec_set_list(s, "health.command",
						 (const char *const[]){"check", "a,b"}, 2, NULL),
			 0);
	want_list(s, "health.command", (const char *const[]){"check", "a,b", NULL});
	ck_assert_int_eq(bpci_node_spec_set_list(s, "health.command", NULL, 0, NULL),
			 BPCI_EINVAL);
	ck_assert_int_eq(bpci_node_spec_unset(s, "command"), 0);
	ck_assert_int_eq(bpci_node_spec_has(s, "command"), 0);
	bpci_node_spec_free(s);
}
END_TEST

void node_add_common_tests(Suite *s)
{
	TCase *tc = tcase_create("common");

	tcase_add_test(tc, type_names_and_aliases);
	tcase_add_test(tc, descriptor_tables);
	tcase_add_test(tc, common_defaults);
	tcase_add_test(tc, common_scalars);
	tcase_add_test(tc, maps_and_argv);
	suite_add_tcase(s, tc);
}
