/* Whole-spec validation, merging of per-type defaults, copies and equality. */
#include "node_test.h"

#define BAD_ADDR "0x742d35Cc6634C0532925a3b8D0Ac6Ef4C5c3C8c8"
/* The EIP-55 form of BAD_ADDR (computed independently of libbpci). */
#define GOOD_ADDR "0x742d35Cc6634C0532925a3B8D0Ac6eF4c5c3c8C8"

START_TEST(required_fields)
{
	static const char *const required[BPCI_NODE_TYPE_COUNT][3] = {
		{"cluster_id", "encryption_level", NULL},
		{"oracle_type", "supported_chains", NULL},
		{"registry_type", NULL, NULL},
		{"pipeline_id", NULL, NULL},
		{"storage_type", "capacity_gb", NULL},
		{"proof_type", NULL, NULL},
		{"audit_scope", NULL, NULL},
		{"logbook_type", NULL, NULL},
	};
	size_t t, i;

	for (t = 1; t <= BPCI_NODE_TYPE_COUNT; t++) {
		bpci_node_spec *s = mk((bpci_node_type)t);
		bpci_diag *d;

		ck_assert_int_eq(bpci_diag_new(&d), 0);
		ck_assert_int_eq(bpci_node_spec_validate(s, 0, d), BPCI_EINVAL);
		for (i = 0; required[t - 1][i]; i++) {
			const bpci_diag_entry *e = bpci_diag_get(d, i);

			ck_assert_ptr_nonnull(e);
			ck_assert_str_eq(e->field, required[t - 1][i]);
			ck_assert_contains(e->message, "is required for");
			ck_assert_contains(e->message, bpci_node_type_name((bpci_node_type)t));
		}
		ck_assert_uint_eq(bpci_diag_count(d), i);
		bpci_diag_clear(d);
		ck_assert_int_eq(bpci_node_spec_validate(s, BPCI_VALIDATE_PARTIAL, d), 0);
		ck_assert_uint_eq(bpci_diag_count(d), 0);
		bpci_diag_free(d);
		bpci_node_spec_free(s);
	}
}
END_TEST

START_TEST(required_message_text)
{
	bpci_node_spec *s = mk(BPCI_NODE_STORAGE);
	bpci_diag *d;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	set_ok(s, "storage_type", "archive");
	ck_assert_int_eq(bpci_node_spec_validate(s, 0, d), BPCI_EINVAL);
	ck_assert_str_eq(bpci_diag_last_text(d), "capacity_gb is required for storage "
						 "(--capacity-gb)");
	set_ok(s, "capacity_gb", "10");
	bpci_diag_clear(d);
	ck_assert_int_eq(bpci_node_spec_validate(s, BPCI_VALIDATE_STRICT, d), 0);
	ck_assert_uint_eq(bpci_diag_count(d), 0);
	bpci_diag_free(d);
	bpci_node_spec_free(s);
}
END_TEST

START_TEST(cross_field_rules)
{
	bpci_node_spec *s = mk(BPCI_NODE_PROOF);
	bpci_diag *d;

	set_ok(s, "proof_type", "identity");
	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci_node_spec_validate(s, 0, d), 0);

	set_ok(s, "health.type", "exec");
	ck_assert_int_eq(bpci_node_spec_validate(s, 0, d), BPCI_EINVAL);
	ck_assert_str_eq(bpci_diag_last_text(d),
			 "health.command is required when health.type is exec");
	set_ok(s, "health.command", "/bin/true");
	bpci_diag_clear(d);
	ck_assert_int_eq(bpci_node_spec_validate(s, 0, d), 0);

	set_ok(s, "health.timeout", "10s");
	ck_assert_int_eq(bpci_node_spec_validate(s, 0, d), BPCI_EINVAL);
	ck_assert_str_eq(bpci_diag_last_text(d),
			 "health.timeout must be less than health.interval (10s), got 10s");
	set_ok(s, "health.timeout", "9999ms");
	bpci_diag_clear(d);
	ck_assert_int_eq(bpci_node_spec_validate(s, 0, d), 0);

	set_ok(s, "restart.backoff_initial", "31s");
	ck_assert_int_eq(bpci_node_spec_validate(s, 0, d), BPCI_EINVAL);
	ck_assert_str_eq(bpci_diag_last_text(d),
			 "restart.backoff_initial must be at most restart.backoff_max (30s), "
			 "got 31s");
	set_ok(s, "restart.backoff_initial", "30s");
	bpci_diag_clear(d);
	ck_assert_int_eq(bpci_node_spec_validate(s, 0, d), 0);
	ck_assert_uint_eq(bpci_diag_count(d), 0);
	bpci_diag_free(d);
	bpci_node_spec_free(s);
}
END_TEST

START_TEST(eip55_warning_and_strict)
{
	bpci_node_spec *s = mk(BPCI_NODE_SHADOW_REGISTRY);
	const bpci_diag_entry *e;
	bpci_diag *d;

	set_ok(s, "registry_type", "bridge");
	set_ok(s, "web3_contracts", GOOD_ADDR "," BAD_ADDR);
	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci_node_spec_validate(s, 0, d), 0);
	ck_assert_uint_eq(bpci_diag_count(d), 1);
	ck_assert_uint_eq(bpci_diag_error_count(d), 0);
	e = bpci_diag_get(d, 0);
	ck_assert_int_eq(e->severity, BPCI_SEVERITY_WARNING);
	ck_assert_str_eq(e->field, "web3_contracts[1]");
	ck_assert_str_eq(e->text, "warning: web3_contracts[1] " BAD_ADDR
				  " fails its EIP-55 checksum; did you mean " GOOD_ADDR "?");

	bpci_diag_clear(d);
	ck_assert_int_eq(bpci_node_spec_validate(s, BPCI_VALIDATE_STRICT, d), BPCI_EINVAL);
	ck_assert_uint_eq(bpci_diag_error_count(d), 1);
	e = bpci_diag_get(d, 0);
	ck_assert_int_eq(e->code, BPCI_EINVAL);
	ck_assert_str_eq(e->text, "web3_contracts[1] " BAD_ADDR
				  " fails its EIP-55 checksum; did you mean " GOOD_ADDR "?");
	/* Strict fails even when nobody collects the messages. */
	ck_assert_int_eq(bpci_node_spec_validate(s, BPCI_VALIDATE_STRICT, NULL), BPCI_EINVAL);

	set_ok(s, "web3_contracts", GOOD_ADDR ",0x742d35cc6634c0532925a3b8d0ac6ef4c5c3c8c8");
	bpci_diag_clear(d);
	ck_assert_int_eq(bpci_node_spec_validate(s, BPCI_VALIDATE_STRICT, d), 0);
	ck_assert_uint_eq(bpci_diag_count(d), 0);
	bpci_diag_free(d);
	bpci_node_spec_free(s);
}
END_TEST

START_TEST(merge_fills_unset_params)
{
	bpci_node_spec *dst = mk(BPCI_NODE_STORAGE), *src = mk(BPCI_NODE_STORAGE);
	bpci_node_spec *other = mk(BPCI_NODE_AUDIT);

	set_ok(dst, "replication_factor", "3");
	set_ok(dst, "name", "mine");
	set_ok(src, "replication_factor", "5");
	set_ok(src, "storage_type", "archive");
	set_ok(src, "capacity_gb", "100");
	set_ok(src, "name", "theirs");
	set_ok(src, "restart.max_restarts", "7");
	ck_assert_int_eq(bpci_node_spec_merge(dst, src), 0);
	want_uint(dst, "replication_factor", 3);
	want_str(dst, "storage_type", "archive");
	want_uint(dst, "capacity_gb", 100 * GIB);
	want_str(dst, "name", "mine");
	want_uint(dst, "restart.max_restarts", 5);   /* common fields are not merged */
	/* src is untouched and independent of dst. */
	bpci_node_spec_free(src);
	want_str(dst, "storage_type", "archive");
	ck_assert_int_eq(bpci_node_spec_merge(dst, other), BPCI_EINVAL);
	bpci_node_spec_free(dst);
	bpci_node_spec_free(other);
}
END_TEST

START_TEST(dup_and_equal)
{
	bpci_node_spec *a = mk(BPCI_NODE_ORACLE), *b, *c = mk(BPCI_NODE_AUDIT);

	set_ok(a, "oracle_type", "data");
	set_ok(a, "supported_chains", "ethereum,polygon");
	set_ok(a, "labels", "region=eu");
	set_ok(a, "command", "my-oracle --fast");
	ck_assert_int_eq(bpci_node_spec_dup(&b, a), 0);
	ck_assert(bpci_node_spec_equal(a, b));
	ck_assert(bpci_node_spec_equal(b, a));
	set_ok(b, "supported_chains", "ethereum,polygon,solana");
	ck_assert(!bpci_node_spec_equal(a, b));
	set_ok(b, "supported_chains", "ethereum,polygon");
	ck_assert(bpci_node_spec_equal(a, b));
	set_ok(b, "labels.region", "us");
	ck_assert(!bpci_node_spec_equal(a, b));
	set_ok(b, "labels.region", "eu");
	set_ok(b, "reliability_score", "0.5");
	ck_assert(!bpci_node_spec_equal(a, b));
	ck_assert(!bpci_node_spec_equal(a, c));
	bpci_node_spec_free(a);
	want_list(b, "command", (const char *const[]){"my-oracle", "--fast", NULL});
	bpci_node_spec_free(b);
	bpci_node_spec_free(c);
	bpci_node_spec_free(NULL);
}
END_TEST

void node_add_validate_tests(Suite *s)
{
	TCase *tc = tcase_create("validate");

	tcase_add_test(tc, required_fields);
	tcase_add_test(tc, required_message_text);
	tcase_add_test(tc, cross_field_rules);
	tcase_add_test(tc, eip55_warning_and_strict);
	tcase_add_test(tc, merge_fills_unset_params);
	tcase_add_test(tc, dup_and_equal);
	suite_add_tcase(s, tc);
}
