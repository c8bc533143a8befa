/* The JSON form: exact canonical output, round trips of fully populated
 * specs, input with units, errors with positions, limits, and clean
 * failure when any allocation fails. */
#include <stdio.h>
#include <stdlib.h>

#include "common/alloc.h"
#include "node_test.h"

struct kv {
	const char *field;
	const char *value;
};

/* Every parameter of every type, plus common fields that cover each kind. */
static const struct kv full_params[BPCI_NODE_TYPE_COUNT][5] = {
	{{"cluster_id", "enc-cluster-001"}, {"encryption_level", "military_grade"},
	 {"gateway_endpoint", "https://enc.bpci.local:8888"}, {"mempool_size", "10000"}},
	{{"oracle_type", "price-feed"}, {"supported_chains", "ethereum,polygon,solana"},
	 {"update_frequency_ms", "1000"}, {"reliability_score", "0.98"}},
	{{"registry_type", "web2-web3-bridge"},
	 {"web2_endpoints", "https://api.bank.example.com,https://b.example/v1"},
	 {"web3_contracts", "0x742d35Cc6634C0532925a3b8D0Ac6Ef4C5c3C8c8"},
	 {"bridge_capacity", "1000"}},
	{{"pipeline_id", "main-pipeline"}, {"biso_policies", "data-sovereignty,pii"},
	 {"traffic_light_rules", "green:allow,red:deny"}, {"throughput_limit", "5000"}},
	{{"storage_type", "high_performance"}, {"capacity_gb", "1.5"},
	 {"replication_factor", "3"}, {"encryption_enabled", "true"}},
	{{"proof_type", "compliance"}, {"compliance_level", "government"},
	 {"audit_retention_days", "2555"}, {"government_endpoints", "https://gov.example/r"}},
	{{"audit_scope", "full"}, {"compliance_frameworks", "gdpr,SOX,pci_dss"},
	 {"audit_frequency_hours", "24"}, {"reporting_endpoints", "https://r.example/a"}},
	{{"logbook_type", "auction"}, {"receipt_sources", "HttpCage,docklock,node-7"},
	 {"storage_policy", "worm"}, {"retention_policy", "7y"}},
};

static const struct kv full_common[] = {
	{"id", "node-1"}, {"name", "Node.One"}, {"endpoint", "https://node.bpci.local:9001"},
	{"command", "/usr/bin/node --mode 'fast path'"}, {"environment", "RUST_LOG=debug"},
	{"environment", "EMPTY="}, {"labels", "region=eu-west"}, {"labels.tier", "gold"},
	{"resources.cpu_cores", "1.25"}, {"resources.memory_gb", "0.5"},
	{"resources.storage_gb", "500"}, {"resources.network_bandwidth_mbps", "1Gbps"},
	{"resources.gpu_units", "1"}, {"restart.policy", "on-failure"},
	{"restart.max_restarts", "10"}, {"restart.period", "90d"},
	{"restart.backoff_initial", "1500ms"}, {"restart.backoff_max", "2m"},
	{"restart.reset_after", "12h"}, {"health.type", "exec"}, {"health.path", "/ready"},
	{"health.command", "check --quick"}, {"health.interval", "5s"},
	{"health.timeout", "250ms"}, {"health.retries", "7"}, {"health.start_timeout", "1m"},
	{"stop.timeout", "20s"}, {"stop.signal", "SIGINT"}, {"working_dir", "/srv/node"},
	{"user", "bpci"}, {"group", "bpci"},
};

/* Build a fully populated spec; returns 0 or the first error (no asserts,
 * so the allocation-failure loop can use it). */
static int build_full(bpci_node_spec **out, bpci_node_type type)
{
	bpci_node_spec *s = NULL;
	size_t i;
	int rc = bpci_node_spec_new(&s, type);

	for (i = 0; rc == 0 && i < 5 && full_params[type - 1][i].field; i++)
		rc = bpci_node_spec_set(s, full_params[type - 1][i].field,
					full_params[type - 1][i].value, NULL);
	for (i = 0; rc == 0 && i < sizeof(full_common) / sizeof(full_common[0]); i++)
		rc = bpci_node_spec_set(s, full_common[i].field, full_common[i].value, NULL);
	if (rc < 0) {
		bpci_node_spec_free(s);
		s = NULL;
	}
	*out = s;
	return rc;
}

static bpci_node_spec *parse_ok(const char *json)
{
	bpci_node_spec *s = NULL;
	bpci_diag *d;
	int rc;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	rc = bpci_node_spec_from_json(&s, json, strlen(json), d);
	ck_assert_msg(rc == 0, "from_json: %d (%s) for %s", rc, bpci_diag_last_text(d), json);
	bpci_diag_free(d);
	return s;
}

static void parse_fails(const char *json, size_t len, int code, const char *text)
{
	bpci_node_spec *s = (bpci_node_spec *)1;
	bpci_diag *d;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci_node_spec_from_json(&s, json, len, d), code);
	ck_assert_ptr_null(s);
	ck_assert_contains(bpci_diag_last_text(d), text);
	bpci_diag_free(d);
}

START_TEST(canonical_output)
{
	bpci_node_spec *s = mk(BPCI_NODE_STORAGE);
	char *json = NULL;

	set_ok(s, "storage_type", "distributed");
	set_ok(s, "capacity_gb", "1000");
	set_ok(s, "replication_factor", "3");
	set_ok(s, "encryption_enabled", "true");
	set_ok(s, "endpoint", "https://storage-node.bpci.local:9004");
	ck_assert_int_eq(bpci_node_spec_to_json(&json, s), 0);
	ck_assert_str_eq(json,
		"{\"endpoint\":\"https://storage-node.bpci.local:9004\","
		"\"health\":{\"interval\":\"10s\",\"path\":\"/health\",\"retries\":3,"
		"\"start_timeout\":\"30s\",\"timeout\":\"2s\",\"type\":\"notify\"},"
		"\"params\":{\"capacity_gb\":1000,\"encryption_enabled\":true,"
		"\"replication_factor\":3,\"storage_type\":\"distributed\"},"
		"\"restart\":{\"backoff_initial\":\"100ms\",\"backoff_max\":\"30s\","
		"\"max_restarts\":5,\"period\":\"1m\",\"policy\":\"permanent\","
		"\"reset_after\":\"1m\"},"
		"\"stop\":{\"signal\":\"TERM\",\"timeout\":\"10s\"},\"type\":\"storage\"}");
	bpci_free(json);
	bpci_node_spec_free(s);
}
END_TEST

START_TEST(full_round_trip_every_type)
{
	size_t t;

	for (t = 1; t <= BPCI_NODE_TYPE_COUNT; t++) {
		bpci_node_spec *a = NULL, *b;
		char *j1 = NULL, *j2 = NULL;

		ck_assert_int_eq(build_full(&a, (bpci_node_type)t), 0);
		ck_assert_int_eq(bpci_node_spec_to_json(&j1, a), 0);
		b = parse_ok(j1);
		ck_assert_msg(bpci_node_spec_equal(a, b), "%s", j1);
		ck_assert_int_eq(bpci_node_spec_to_json(&j2, b), 0);
		ck_assert_str_eq(j1, j2);
		bpci_free(j1);
		bpci_free(j2);
		bpci_node_spec_free(a);
		bpci_node_spec_free(b);
	}
}
END_TEST

START_TEST(full_spec_shape)
{
	bpci_node_spec *a = NULL;
	char *j = NULL;

	ck_assert_int_eq(build_full(&a, BPCI_NODE_STORAGE), 0);
	ck_assert_int_eq(bpci_node_spec_to_json(&j, a), 0);
	ck_assert_contains(j, "\"command\":[\"/usr/bin/node\",\"--mode\",\"fast path\"]");
	ck_assert_contains(j, "\"environment\":{\"EMPTY\":\"\",\"RUST_LOG\":\"debug\"}");
	ck_assert_contains(j, "\"labels\":{\"region\":\"eu-west\",\"tier\":\"gold\"}");
	ck_assert_contains(j, "\"resources\":{\"cpu_cores\":1.25,\"gpu_units\":1,"
			      "\"memory_gb\":0.5,\"network_bandwidth_mbps\":1000,"
			      "\"storage_gb\":500}");
	ck_assert_contains(j, "\"period\":\"90d\"");
	ck_assert_contains(j, "\"backoff_initial\":\"1500ms\"");
	ck_assert_contains(j, "\"policy\":\"transient\"");
	ck_assert_contains(j, "\"signal\":\"INT\"");
	ck_assert_contains(j, "\"capacity_gb\":1.5");
	ck_assert_contains(j, "\"storage_type\":\"high-performance\"");
	ck_assert_contains(j, "\"working_dir\":\"/srv/node\"");
	bpci_free(j);
	bpci_node_spec_free(a);
}
END_TEST

/* Reals are written with the fewest digits that read back exactly. */
START_TEST(reals_round_trip_exactly)
{
	static const double scores[] = {0.98, 0.1, 1.0 / 3, 1e-300, 0, 1, 0.5};
	static const uint64_t amounts[] = {1, 3, GIB - 1, GIB + 1, (uint64_t)1 << 52,
					   ((uint64_t)1 << 53) + 1, UINT64_MAX};
	size_t i;

	for (i = 0; i < sizeof(scores) / sizeof(scores[0]); i++) {
		bpci_node_spec *a = mk(BPCI_NODE_ORACLE), *b;
		char *j1 = NULL, *j2 = NULL;
		double d = -1;

		ck_assert_int_eq(bpci_node_spec_set_number(a, "reliability_score", scores[i],
							   NULL), 0);
		ck_assert_int_eq(bpci_node_spec_to_json(&j1, a), 0);
		b = parse_ok(j1);
		ck_assert_int_eq(bpci_node_spec_get_number(b, "reliability_score", &d), 0);
		ck_assert_msg(d == scores[i], "%.17g became %.17g via %s", scores[i], d, j1);
		ck_assert_int_eq(bpci_node_spec_to_json(&j2, b), 0);
		ck_assert_str_eq(j1, j2);
		bpci_free(j1);
		bpci_free(j2);
		bpci_node_spec_free(a);
		bpci_node_spec_free(b);
	}
	for (i = 0; i < sizeof(amounts) / sizeof(amounts[0]); i++) {
		bpci_node_spec *a = mk(BPCI_NODE_ORACLE), *b;
		char *j1 = NULL;

		ck_assert_int_eq(bpci_node_spec_set_uint(a, "resources.memory_gb", amounts[i],
							 NULL), 0);
		ck_assert_int_eq(bpci_node_spec_set_uint(a, "resources.cpu_cores",
							 amounts[i] % 100000, NULL), 0);
		ck_assert_int_eq(bpci_node_spec_to_json(&j1, a), 0);
		b = parse_ok(j1);
		want_uint(b, "resources.memory_gb", amounts[i]);
		want_uint(b, "resources.cpu_cores", amounts[i] % 100000);
		bpci_free(j1);
		bpci_node_spec_free(a);
		bpci_node_spec_free(b);
	}
	{
		bpci_node_spec *a = mk(BPCI_NODE_ORACLE);
		char *j = NULL;

		set_ok(a, "reliability_score", "0.98");
		set_ok(a, "resources.cpu_cores", "1.25");
		ck_assert_int_eq(bpci_node_spec_to_json(&j, a), 0);
		ck_assert_contains(j, "\"reliability_score\":0.98}");
		ck_assert_contains(j, "\"cpu_cores\":1.25}");
		bpci_free(j);
		bpci_node_spec_free(a);
	}
}
END_TEST

START_TEST(input_with_units_and_numbers)
{
	bpci_node_spec *s = parse_ok(
		"{\"type\":\"Storage\",\"resources\":{\"memory_gb\":\"512Mi\","
		"\"cpu_cores\":0.1,\"storage_gb\":2,\"network_bandwidth_mbps\":\"10Gbps\"},"
		"\"restart\":{\"period\":30,\"backoff_initial\":250},\"health\":"
		"{\"interval\":\"1m\"},\"params\":{\"capacity_gb\":\"2Ti\","
		"\"replication_factor\":\"3\",\"encryption_enabled\":\"yes\"}}");

	want_uint(s, "resources.memory_gb", GIB / 2);
	want_uint(s, "resources.cpu_cores", 100);
	want_uint(s, "resources.storage_gb", 2 * GIB);
	want_uint(s, "resources.network_bandwidth_mbps", 10000);
	want_uint(s, "restart.period", 30000);
	want_uint(s, "restart.backoff_initial", 250);
	want_uint(s, "health.interval", 60000);
	want_uint(s, "capacity_gb", 2048 * GIB);
	want_uint(s, "replication_factor", 3);
	bpci_node_spec_free(s);

	s = parse_ok("{\"type\":\"oracle\",\"params\":{\"reliability_score\":1,"
		     "\"supported_chains\":\"a,b\"}}");
	want_list(s, "supported_chains", (const char *const[]){"a", "b", NULL});
	bpci_node_spec_free(s);
}
END_TEST

START_TEST(value_errors)
{
	static const char bad_factor[] =
		"{\"type\":\"storage\",\"params\":{\"replication_factor\":0}}";
	static const char frac_uint[] =
		"{\"type\":\"storage\",\"params\":{\"replication_factor\":2.5}}";
	static const char bad_chain[] =
		"{\"type\":\"oracle\",\"params\":{\"supported_chains\":[\"eth\",7]}}";
	static const char bad_type[] = "{\"type\":\"webserver\"}";
	static const char no_type[] = "{\"params\":{}}";
	static const char neg[] = "{\"type\":\"storage\",\"resources\":{\"gpu_units\":-1}}";
	static const char bad_map[] = "{\"type\":\"storage\",\"labels\":{\"Region\":\"x\"}}";

	parse_fails(bad_factor, sizeof(bad_factor) - 1, BPCI_EINVAL,
		    "params.replication_factor must be 1..16, got 0");
	parse_fails(frac_uint, sizeof(frac_uint) - 1, BPCI_EINVAL,
		    "params.replication_factor must be");
	parse_fails(bad_chain, sizeof(bad_chain) - 1, BPCI_EINVAL,
		    "params.supported_chains[1] must be a string");
	parse_fails(bad_type, sizeof(bad_type) - 1, BPCI_EINVAL, "type must be one of");
	parse_fails(bad_type, sizeof(bad_type) - 1, BPCI_EINVAL, "'webserver'");
	parse_fails(no_type, sizeof(no_type) - 1, BPCI_EINVAL, "type is required");
	parse_fails(neg, sizeof(neg) - 1, BPCI_EINVAL, "resources.gpu_units");
	parse_fails(bad_map, sizeof(bad_map) - 1, BPCI_EINVAL, "'Region'");
	parse_fails("[1]", 3, BPCI_EINVAL, "must be a JSON object");
}
END_TEST

START_TEST(unknown_keys)
{
	static const char top[] = "{\"type\":\"storage\",\"paramz\":{}}";
	static const char param[] =
		"{\"type\":\"storage\",\"params\":{\"replicaton_factor\":3}}";
	static const char group[] = "{\"type\":\"storage\",\"restart\":{\"polcy\":\"never\"}}";
	static const char other[] = "{\"type\":\"storage\",\"params\":{\"mempool_size\":3}}";

	parse_fails(top, sizeof(top) - 1, BPCI_ENOTFOUND,
		    "unknown key 'paramz'; did you mean 'params'?");
	parse_fails(param, sizeof(param) - 1, BPCI_ENOTFOUND,
		    "params.replicaton_factor unknown parameter 'replicaton_factor' for storage; "
		    "did you mean 'replication_factor'?");
	parse_fails(group, sizeof(group) - 1, BPCI_ENOTFOUND,
		    "restart.polcy unknown key 'polcy'; did you mean 'policy'?");
	parse_fails(other, sizeof(other) - 1, BPCI_ENOTFOUND, "'mempool_size'");
}
END_TEST

START_TEST(syntax_errors_have_positions)
{
	static const char bad[] = "{\"type\": \"storage\",\n \"params\": {,}}";
	static const char dup[] = "{\"type\":\"storage\",\"type\":\"audit\"}";
	bpci_node_spec *s = NULL;
	bpci_diag *d;
	const bpci_diag_entry *e;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci_node_spec_from_json(&s, bad, sizeof(bad) - 1, d), BPCI_EPARSE);
	e = bpci_diag_get(d, 0);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->source, "<json>");
	ck_assert_uint_eq(e->line, 2);
	ck_assert_uint_eq(e->column, 13);
	ck_assert_contains(e->text, "<json>:2:13: ");
	ck_assert_int_eq(e->code, BPCI_EPARSE);
	bpci_diag_free(d);
	parse_fails(dup, sizeof(dup) - 1, BPCI_EPARSE, "duplicate");
	parse_fails("{\"type\":\"storage\"", 17, BPCI_EPARSE, "<json>:1:");
	/* The length is honoured: the text need not be NUL-terminated. */
	parse_fails("{\"type\":\"storage\"}garbage", 19, BPCI_EPARSE, "<json>:1:");
	ck_assert_int_eq(bpci_node_spec_from_json(&s, "{\"type\":\"audit\"}garbage", 16,
						  NULL), 0);
	ck_assert_int_eq(bpci_node_spec_type(s), BPCI_NODE_AUDIT);
	bpci_node_spec_free(s);
}
END_TEST

START_TEST(limits)
{
	char deep[256];
	size_t len = 0, i;
	char *big;

	len += (size_t)snprintf(deep, sizeof(deep), "{\"type\":\"storage\",\"labels\":");
	for (i = 0; i < 32; i++)
		deep[len++] = '[';
	for (i = 0; i < 32; i++)
		deep[len++] = ']';
	deep[len++] = '}';
	parse_fails(deep, len, BPCI_ELIMIT, "<json>:1:59: nests deeper than 32 levels");
	/* One level less (32 in all) is within the limit, then refused as a value. */
	memmove(deep + 28, deep + 29, len - 29);
	memmove(deep + 28 + 31, deep + 28 + 32, len - 1 - 28 - 32);
	len -= 2;
	deep[len] = '\0';
	parse_fails(deep, len, BPCI_EINVAL, "labels must be an object of strings");
	len = (size_t)snprintf(deep, sizeof(deep), "{\"type\":\"storage\",\"x\":\"[[[[[\"}");
	parse_fails(deep, len, BPCI_ENOTFOUND, "unknown key 'x'");

	big = malloc((1u << 20) + 2);
	ck_assert_ptr_nonnull(big);
	memset(big, ' ', (1u << 20) + 1);
	memcpy(big, "{\"type\":\"storage\"}", 18);
	parse_fails(big, (1u << 20) + 1, BPCI_ELIMIT, "limit is 1048576 bytes");
	/* Exactly 1 MiB (trailing white space) is accepted. */
	{
		bpci_node_spec *s = NULL;

		ck_assert_int_eq(bpci_node_spec_from_json(&s, big, 1u << 20, NULL), 0);
		bpci_node_spec_free(s);
	}
	free(big);
}
END_TEST

/* Fail every allocation in turn while building, serializing, parsing and
 * copying a full spec: each run must succeed or report BPCI_ENOMEM, and
 * the ASan run checks that nothing leaks. */
START_TEST(allocation_failures)
{
	long n;
	int done = 0;

	for (n = 0; !done && n < 100000; n++) {
		bpci_node_spec *a = NULL, *b = NULL, *c = NULL;
		char *json = NULL;
		int rc;

		bpci__alloc_fail_after(n);
		rc = build_full(&a, BPCI_NODE_SHADOW_REGISTRY);
		if (rc == 0)
			rc = bpci_node_spec_to_json(&json, a);
		if (rc == 0)
			rc = bpci_node_spec_from_json(&b, json, strlen(json), NULL);
		if (rc == 0)
			rc = bpci_node_spec_dup(&c, b);
		if (rc == 0)
			rc = bpci_node_spec_merge(c, a);
		if (rc == 0)
			rc = bpci_node_spec_validate(c, 0, NULL);
		done = bpci__alloc_fail_after(-1) <= n;
		ck_assert_msg(rc == 0 || rc == BPCI_ENOMEM, "n=%ld rc=%d", n, rc);
		if (done) {
			ck_assert_int_eq(rc, 0);
			ck_assert(bpci_node_spec_equal(a, c));
		}
		bpci_free(json);
		bpci_node_spec_free(a);
		bpci_node_spec_free(b);
		bpci_node_spec_free(c);
	}
	ck_assert(done);
	ck_assert_int_gt(n, 50);
}
END_TEST

void node_add_json_tests(Suite *s)
{
	TCase *tc = tcase_create("json");

	tcase_add_test(tc, canonical_output);
	tcase_add_test(tc, full_round_trip_every_type);
	tcase_add_test(tc, full_spec_shape);
	tcase_add_test(tc, reals_round_trip_exactly);
	tcase_add_test(tc, input_with_units_and_numbers);
	tcase_add_test(tc, value_errors);
	tcase_add_test(tc, unknown_keys);
	tcase_add_test(tc, syntax_errors_have_positions);
	tcase_add_test(tc, limits);
	tcase_add_test(tc, allocation_failures);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
}
