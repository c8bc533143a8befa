/* States the manager sets (with the reason) and health probes: kept,
 * shown in the status document and the text, replaced by a report. */
#include <stdlib.h>
#include <string.h>

#include <bpci.h>
#include <bpci/daemon_tree.h>

#include "dt_test.h"

static bpci_daemon_tree *two(void)
{
	bpci_daemon_spec *s = NULL;
	bpci_daemon_tree *t = NULL;

	ck_assert_int_eq(bpci_daemon_spec_new(&s), 0);
	ck_assert_int_eq(bpci_daemon_spec_set(s, "id", "root", NULL), 0);
	ck_assert_int_eq(bpci_daemon_tree_new(&t, s, 3, NULL, NULL), 0);
	bpci_daemon_spec_free(s);
	ck_assert_int_eq(bpci_daemon_spec_new(&s), 0);
	ck_assert_int_eq(bpci_daemon_spec_set(s, "id", "kid", NULL), 0);
	ck_assert_int_eq(bpci_daemon_spec_set(s, "parent", "root", NULL), 0);
	ck_assert_int_eq(bpci_daemon_spec_set(s, "remote", "true", NULL), 0);
	ck_assert_int_eq(bpci_daemon_tree_add(t, s, NULL), 0);
	bpci_daemon_spec_free(s);
	return t;
}

static char *rendered(const bpci_daemon_tree *t)
{
	char *j = NULL, *text = NULL;

	ck_assert_int_eq(bpci_daemon_tree_status_json(&j, t), 0);
	ck_assert_int_eq(bpci_daemon_tree_render(&text, j, strlen(j), NULL), 0);
	bpci_free(j);
	return text;
}

START_TEST(set_state_keeps_live_data_until_a_report)
{
	bpci_daemon_tree *t = two(), *c = NULL;
	bpci_daemon_live l = BPCI_DAEMON_LIVE_INIT, got;
	bpci_diag *d = NULL;
	char *j = NULL, *text;

	l.state = "running";
	l.url = "http://127.0.0.1:9";
	l.pid = 77;
	ck_assert_int_eq(bpci_daemon_tree_set_live(t, "kid", &l, NULL), 0);
	ck_assert_int_eq(bpci_daemon_tree_set_state(t, "kid", "unknown",
						    "its parent mid is failed", NULL), 0);
	ck_assert_int_eq(bpci_daemon_tree_get_live(&got, t, "kid"), 0);
	ck_assert_str_eq(got.state, "unknown");
	ck_assert_str_eq(got.url, "http://127.0.0.1:9");
	ck_assert_int_eq(got.pid, 77);
	ck_assert_str_eq(bpci_daemon_tree_state_reason(t, "kid"), "its parent mid is failed");
	ck_assert_int_eq(bpci_daemon_tree_status_json(&j, t), 0);
	ck_assert_ptr_nonnull(strstr(j, "\"state\":\"unknown\",\"state_reason\":"
					"\"its parent mid is failed\""));
	bpci_free(j);
	text = rendered(t);
	ck_assert_ptr_nonnull(strstr(text, "`-- kid [unknown (its parent mid is failed), remote] "
					   "pid 77"));
	bpci_free(text);
	/* A copy keeps it; a report replaces state and reason. */
	ck_assert_int_eq(bpci_daemon_tree_dup(&c, t), 0);
	ck_assert_str_eq(bpci_daemon_tree_state_reason(c, "kid"), "its parent mid is failed");
	ck_assert_int_eq(bpci_daemon_tree_set_live(t, "kid", &l, NULL), 0);
	ck_assert_ptr_null(bpci_daemon_tree_state_reason(t, "kid"));
	ck_assert_int_eq(bpci_daemon_tree_get_live(&got, t, "kid"), 0);
	ck_assert_str_eq(got.state, "running");
	/* Refusals. */
	bpci_diag_new(&d);
	ck_assert_int_eq(bpci_daemon_tree_set_state(t, "kid", "sleepy", NULL, d), BPCI_EINVAL);
	ck_assert_ptr_nonnull(strstr(bpci_diag_get(d, 0)->message, "\"sleepy\""));
	ck_assert_int_eq(bpci_daemon_tree_set_state(t, "ghost", "unknown", NULL, d),
			 BPCI_ENOTFOUND);
	ck_assert_int_eq(bpci_daemon_tree_get_live(&got, t, "kid"), 0);
	ck_assert_str_eq(got.state, "running");
	bpci_diag_free(d);
	bpci_daemon_tree_free(c);
	bpci_daemon_tree_free(t);
}
END_TEST

START_TEST(probe_shown_and_kept_across_reports)
{
	bpci_daemon_tree *t = two();
	bpci_daemon_probe p = BPCI_DAEMON_PROBE_INIT, got;
	bpci_daemon_live l = BPCI_DAEMON_LIVE_INIT;
	char *j = NULL, *text;

	ck_assert_int_eq(bpci_daemon_tree_get_probe(&got, t, "kid"), BPCI_ENOTFOUND);
	p.ok = 1;
	p.latency_ms = 1.25;
	ck_assert_int_eq(bpci_daemon_tree_set_probe(t, "kid", &p), 0);
	text = rendered(t);
	ck_assert_ptr_nonnull(strstr(text, "errors, probe ok 1.25 ms\n"));
	bpci_free(text);
	p.ok = 0;
	p.latency_ms = -1;
	p.failures = 3;
	p.unhealthy = 1;
	p.error = "connection refused";
	ck_assert_int_eq(bpci_daemon_tree_set_probe(t, "kid", &p), 0);
	l.state = "running";
	ck_assert_int_eq(bpci_daemon_tree_set_live(t, "kid", &l, NULL), 0);
	ck_assert_int_eq(bpci_daemon_tree_get_probe(&got, t, "kid"), 0);
	ck_assert_uint_eq(got.failures, 3);
	ck_assert_int_eq(got.unhealthy, 1);
	ck_assert_str_eq(got.error, "connection refused");
	ck_assert_int_eq(bpci_daemon_tree_status_json(&j, t), 0);
	ck_assert_ptr_nonnull(strstr(j, "\"probe\":{\"error\":\"connection refused\","
					"\"failures\":3,\"latency_ms\":-1.0,\"ok\":false,"
					"\"unhealthy\":true}"));
	bpci_free(j);
	text = rendered(t);
	ck_assert_ptr_nonnull(strstr(text, ", probe failed 3x (unhealthy): connection refused\n"));
	bpci_free(text);
	ck_assert_int_eq(bpci_daemon_tree_set_probe(t, "kid", NULL), 0);
	ck_assert_int_eq(bpci_daemon_tree_get_probe(&got, t, "kid"), BPCI_ENOTFOUND);
	ck_assert_int_eq(bpci_daemon_tree_set_probe(t, "ghost", &p), BPCI_ENOTFOUND);
	p.version = 99;
	ck_assert_int_eq(bpci_daemon_tree_set_probe(t, "kid", &p), BPCI_EUNSUPPORTED);
	bpci_daemon_tree_free(t);
}
END_TEST

void dt_add_health_tests(Suite *s)
{
	TCase *tc = tcase_create("health");

	tcase_add_test(tc, set_state_keeps_live_data_until_a_report);
	tcase_add_test(tc, probe_shown_and_kept_across_reports);
	suite_add_tcase(s, tc);
}
