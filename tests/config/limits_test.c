/* Hostile inputs: depth, size, node counts, allocation failures. */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "config_tests.h"

/* "a: " followed by @depth nested flow sequences. */
static char *nested(size_t depth)
{
	char *s = malloc(2 * depth + 8);
	size_t i, o = 0;

	ck_assert_ptr_nonnull(s);
	memcpy(s, "a: ", 3);
	o = 3;
	for (i = 0; i < depth; i++)
		s[o++] = '[';
	for (i = 0; i < depth; i++)
		s[o++] = ']';
	s[o++] = '\n';
	s[o] = '\0';
	return s;
}

START_TEST(deep_nesting_refused)
{
	bpci_config *c;
	bpci_diag *d;
	char *s;

	/* The root mapping is level 1: 63 sequences inside it are allowed... */
	s = nested(BPCI_CONFIG_MAX_DEPTH - 1);
	ck_assert_int_eq(cfg_load(&c, s, 0, &d), BPCI_ENOTFOUND); /* "a" is no section */
	free(s);
	bpci_diag_free(d);
	/* ...64 are one too many, and 1000 (or a million) fail the same way. */
	s = nested(BPCI_CONFIG_MAX_DEPTH);
	ck_assert_int_eq(cfg_load(&c, s, 0, &d), BPCI_ELIMIT);
	ck_assert_str_eq(cfg_text(d, 0), "c.yaml:1:67: nesting is deeper than 64 levels");
	ck_assert_uint_eq(bpci_diag_count(d), 1);
	free(s);
	bpci_diag_free(d);
	s = nested(1000);
	ck_assert_int_eq(cfg_load(&c, s, 0, &d), BPCI_ELIMIT);
	ck_assert_str_eq(cfg_text(d, 0), "c.yaml:1:67: nesting is deeper than 64 levels");
	free(s);
	bpci_diag_free(d);
	s = nested(1000000);
	ck_assert_int_eq(cfg_load(&c, s, 0, &d), BPCI_ELIMIT);
	free(s);
	bpci_diag_free(d);
}
END_TEST

START_TEST(oversized_input_refused)
{
	size_t len = BPCI_CONFIG_MAX_BYTES + 1;
	char *s = malloc(len + 1), *dir, *path;
	bpci_config *c = NULL;
	bpci_diag *d;
	FILE *f;

	ck_assert_ptr_nonnull(s);
	memset(s, '#', len);
	s[len] = '\0';
	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci_config_load_string(&c, s, len, "big.yaml", 0, d), BPCI_ELIMIT);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(cfg_text(d, 0), "big.yaml: input is 16777217 bytes; at most 16777216 "
					 "are allowed");
	/* Exactly the limit is accepted (here: one long comment). */
	ck_assert_int_eq(bpci_config_load_string(&c, s, len - 1, "big.yaml", 0, d), 0);
	bpci_config_free(c);
	free(s);
	/* A file is refused without reading more than the limit. */
	dir = bpci_test_mkdtemp();
	path = bpci_test_write_file(dir, "big.yaml", "");
	f = fopen(path, "r+");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(ftruncate(fileno(f), 64 << 20), 0);
	fclose(f);
	bpci_diag_clear(d);
	ck_assert_int_eq(bpci_config_load_file(&c, path, 0, d), BPCI_ELIMIT);
	ck_assert_ptr_null(c);
	ck_assert_contains(cfg_text(d, 0), ": input is 16777217 bytes; at most 16777216 are "
					   "allowed");
	bpci_diag_free(d);
	bpci_test_rmtree(dir);
	free(path);
	free(dir);
}
END_TEST

START_TEST(too_many_yaml_nodes_refused)
{
	size_t n = 1000001, i;
	char *s = malloc(2 * n + 16);
	bpci_config *c;
	bpci_diag *d;

	ck_assert_ptr_nonnull(s);
	memcpy(s, "a: [", 4);
	for (i = 0; i < n; i++)
		memcpy(s + 4 + 2 * i, "0,", 2);
	memcpy(s + 4 + 2 * n - 1, "]\n", 3);
	ck_assert_int_eq(cfg_load(&c, s, 0, &d), BPCI_ELIMIT);
	ck_assert_contains(cfg_text(d, 0), "document has more than 1000000 YAML nodes");
	ck_assert_uint_eq(bpci_diag_count(d), 1);
	free(s);
	bpci_diag_free(d);
}
END_TEST

START_TEST(too_many_config_nodes_refused)
{
	size_t n = BPCI_CONFIG_MAX_NODES + 1, i;
	char *s = malloc(3 * n + 16);
	bpci_config *c;
	bpci_diag *d;

	ck_assert_ptr_nonnull(s);
	memcpy(s, "nodes: [", 8);
	for (i = 0; i < n; i++)
		memcpy(s + 8 + 3 * i, "{},", 3);
	memcpy(s + 8 + 3 * n - 1, "]\n", 3);
	ck_assert_int_eq(cfg_load(&c, s, 0, &d), BPCI_ELIMIT);
	ck_assert_str_eq(cfg_text(d, 0), "c.yaml:1:8: nodes has 100001 entries; at most 100000 "
					 "are allowed");
	ck_assert_uint_eq(bpci_diag_count(d), 1);
	free(s);
	bpci_diag_free(d);
}
END_TEST

START_TEST(problem_reports_are_capped)
{
	char *s = malloc(2000 * 16 + 32);
	bpci_config *c;
	bpci_diag *d;
	size_t i, o;

	ck_assert_ptr_nonnull(s);
	/* 2000 unknown keys: 1000 reports, then one saying the walk stopped. */
	o = (size_t)sprintf(s, "cluster:\n");
	for (i = 0; i < 2000; i++)
		o += (size_t)sprintf(s + o, "  k%zu: 1\n", i);
	ck_assert_int_eq(cfg_load(&c, s, 0, &d), BPCI_ENOTFOUND);
	ck_assert_uint_eq(bpci_diag_count(d), 1001);
	ck_assert_str_eq(cfg_text(d, 1000), "c.yaml: too many problems; stopped after 1000");
	bpci_diag_free(d);
	/* 2000 duplicate keys: 1000 reports. */
	o = (size_t)sprintf(s, "cluster:\n");
	for (i = 0; i < 2001; i++)
		o += (size_t)sprintf(s + o, "  k: 1\n");
	ck_assert_int_eq(cfg_load(&c, s, 0, &d), BPCI_EPARSE);
	ck_assert_uint_eq(bpci_diag_count(d), 1000);
	ck_assert_str_eq(cfg_text(d, 999), "c.yaml:1002:3: duplicate key 'k' (first at 2:3)");
	bpci_diag_free(d);
	free(s);
}
END_TEST

/* Fail each allocation in turn: every run ends in 0 or BPCI_ENOMEM, with
 * no config on failure (and, under ASan, nothing leaked). */
static void alloc_loop(const char *text, size_t len, int with_diag)
{
	bpci_config *c;
	bpci_diag *d = NULL;
	char *json;
	long n;
	int rc = -1;

	for (n = 0; rc != 0; n++) {
		ck_assert_msg(n < 100000, "no success after %ld failures", n);
		if (with_diag)
			ck_assert_int_eq(bpci_diag_new(&d), 0);
		c = (bpci_config *)(uintptr_t)1;
		bpci__alloc_fail_after(n);
		rc = bpci_config_load_string(&c, text, len, "c.yaml", 0, d);
		bpci__alloc_fail_after(-1);
		ck_assert_msg(rc == 0 || rc == BPCI_ENOMEM, "failure %ld gave %d: %s", n, rc,
			      bpci_diag_last_text(d));
		if (rc == 0) {
			ck_assert_uint_eq(bpci_config_node_count(c), 8);
			ck_assert_uint_eq(bpci_diag_error_count(d), 0);
		} else {
			ck_assert_ptr_null(c);
		}
		bpci_diag_free(d);
		d = NULL;
		if (rc == 0) {
			long k;
			int jrc = -1;

			for (k = 0; jrc != 0; k++) {
				bpci__alloc_fail_after(k);
				jrc = bpci_config_to_json(&json, c);
				bpci__alloc_fail_after(-1);
				ck_assert(jrc == 0 || jrc == BPCI_ENOMEM);
				if (jrc == 0)
					bpci_free(json);
				else
					ck_assert_ptr_null(json);
			}
			bpci_config_free(c);
		}
	}
	ck_assert_int_gt(n, 50); /* the loop did exercise many allocations */
}

START_TEST(allocation_failures_are_clean)
{
	size_t len;
	char *text = cfg_read("examples/node-distribution-config.yaml", &len);

	alloc_loop(text, len, 1);
	alloc_loop(text, len, 0);
	free(text);
}
END_TEST

START_TEST(allocation_failures_on_bad_input)
{
	static const char text[] = "cluster:\n  daemon_tree: {hierachy_levels: 0}\n"
				   "nodes:\n  - {type: storage, replication_factor: 0, name: a}\n"
				   "  - {type: storage, name: a}\n";
	bpci_config *c;
	bpci_diag *d;
	long n;
	int rc = 0;

	for (n = 0; rc != BPCI_ENOTFOUND; n++) {
		ck_assert(n < 100000);
		ck_assert_int_eq(bpci_diag_new(&d), 0);
		bpci__alloc_fail_after(n);
		rc = bpci_config_load_string(&c, text, strlen(text), "c.yaml", 0, d);
		bpci__alloc_fail_after(-1);
		ck_assert(rc == BPCI_ENOTFOUND || rc == BPCI_ENOMEM);
		ck_assert_ptr_null(c);
		bpci_diag_free(d);
	}
}
END_TEST

TCase *config_limits_tcase(void)
{
	TCase *tc = tcase_create("limits");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, deep_nesting_refused);
	tcase_add_test(tc, oversized_input_refused);
	tcase_add_test(tc, too_many_yaml_nodes_refused);
	tcase_add_test(tc, too_many_config_nodes_refused);
	tcase_add_test(tc, problem_reports_are_capped);
	tcase_add_test(tc, allocation_failures_are_clean);
	tcase_add_test(tc, allocation_failures_on_bad_input);
	return tc;
}
