/*
 * The metrics registry and the exposition text: exact output, escaping,
 * refusals, collected families, and the real promtool's verdict on it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "bpci.h"
#include "common/alloc.h"
#include "metrics_tests.h"
#include "runtime/metric_names.h"
#include "runtime/metrics.h"
#include "test.h"

static char *render(bpci__metrics *reg)
{
	char *text = NULL;
	size_t len = 0;
	int rc = bpci__metrics_render(&text, &len, reg);

	ck_assert_msg(rc == 0, "render: %d %s", rc, bpci__metrics_errmsg(reg));
	ck_assert_uint_eq(strlen(text), len);
	return text;
}

START_TEST(renders_exact_text)
{
	bpci__metrics *reg;
	bpci__metric *get, *post, *again, *temp, *absent, *lat;
	const double bounds[] = {0.125, 0.5, 1};
	char *text;

	ck_assert_int_eq(bpci__metrics_new(&reg), 0);
	/* Registered out of order: output is sorted. */
	ck_assert_int_eq(bpci__metrics_gauge(&temp, reg, "bpci_test_temperature_celsius",
					     "Temperature.", NULL), 0);
	ck_assert_int_eq(bpci__metrics_counter(&post, reg, "bpci_test_requests_total",
					       "Requests served.", "method", "POST", "code",
					       "500", NULL), 0);
	ck_assert_int_eq(bpci__metrics_counter(&get, reg, "bpci_test_requests_total",
					       "Requests served.", "method", "GET", "code",
					       "200", NULL), 0);
	ck_assert_int_eq(bpci__metrics_counter(&again, reg, "bpci_test_requests_total",
					       "Requests served.", "method", "GET", "code",
					       "200", NULL), 0);
	ck_assert_ptr_eq(get, again);
	ck_assert_int_eq(bpci__metrics_gauge(&absent, reg, "bpci_test_unmeasured",
					     "Never set.", NULL), 0);
	ck_assert_int_eq(bpci__metrics_histogram(&lat, reg, "bpci_test_latency_seconds",
						 "Request latency.", bounds, 3, "path", "/a",
						 NULL), 0);
	ck_assert_int_eq(bpci__metric_inc(get), 0);
	ck_assert_int_eq(bpci__metric_add(get, 2), 0);
	ck_assert_int_eq(bpci__metric_set(temp, -21.5), 0);
	ck_assert_int_eq(bpci__metric_observe(lat, 0.0625), 0);
	ck_assert_int_eq(bpci__metric_observe(lat, 0.125), 0); /* le is inclusive */
	ck_assert_int_eq(bpci__metric_observe(lat, 0.75), 0);
	ck_assert_int_eq(bpci__metric_observe(lat, 3), 0);
	ck_assert_uint_eq(bpci__metric_count(lat), 4);

	text = render(reg);
	ck_assert_str_eq(text,
		"# HELP bpci_test_latency_seconds Request latency.\n"
		"# TYPE bpci_test_latency_seconds histogram\n"
		"bpci_test_latency_seconds_bucket{path=\"/a\",le=\"0.125\"} 2\n"
		"bpci_test_latency_seconds_bucket{path=\"/a\",le=\"0.5\"} 2\n"
		"bpci_test_latency_seconds_bucket{path=\"/a\",le=\"1\"} 3\n"
		"bpci_test_latency_seconds_bucket{path=\"/a\",le=\"+Inf\"} 4\n"
		"bpci_test_latency_seconds_sum{path=\"/a\"} 3.9375\n"
		"bpci_test_latency_seconds_count{path=\"/a\"} 4\n"
		"# HELP bpci_test_requests_total Requests served.\n"
		"# TYPE bpci_test_requests_total counter\n"
		"bpci_test_requests_total{method=\"GET\",code=\"200\"} 3\n"
		"bpci_test_requests_total{method=\"POST\",code=\"500\"} 0\n"
		"# HELP bpci_test_temperature_celsius Temperature.\n"
		"# TYPE bpci_test_temperature_celsius gauge\n"
		"bpci_test_temperature_celsius -21.5\n");
	bpci_free(text);

	/* Cleared gauge: its family disappears again. */
	bpci__metric_clear(temp);
	text = render(reg);
	ck_assert_ptr_null(strstr(text, "temperature"));
	bpci_free(text);
	bpci__metrics_free(reg);
	bpci__metrics_free(NULL);
}
END_TEST

START_TEST(escapes_label_values_and_help)
{
	bpci__metrics *reg;
	bpci__metric *m;
	char *text;

	ck_assert_int_eq(bpci__metrics_new(&reg), 0);
	ck_assert_int_eq(bpci__metrics_gauge(&m, reg, "bpci_test_info",
					     "Line one\nline \\two \"quoted\".",
					     "path", "C:\\dir \"x\"\nnext", "utf8", "Zürich ✓",
					     NULL), 0);
	ck_assert_int_eq(bpci__metric_set(m, 1), 0);
	text = render(reg);
	ck_assert_str_eq(text,
		"# HELP bpci_test_info Line one\\nline \\\\two \"quoted\".\n"
		"# TYPE bpci_test_info gauge\n"
		"bpci_test_info{path=\"C:\\\\dir \\\"x\\\"\\nnext\",utf8=\"Zürich ✓\"} 1\n");
	bpci_free(text);
	bpci__metrics_free(reg);
}
END_TEST

START_TEST(formats_numbers_prometheus_parses)
{
	static const struct {
		double v;
		const char *text;
	} cases[] = {
		{0, "0"}, {-0.0, "0"}, {25, "25"}, {-3, "-3"}, {0.999, "0.999"},
		{0.1, "0.1"}, {1e-9, "1e-09"}, {123456789012, "123456789012"},
		{1e17, "1e+17"}, {1.0 / 3, "0.3333333333333333"},
		{0.1 + 0.2, "0.30000000000000004"}, {2.5e-300, "2.5e-300"},
		{NAN, "NaN"}, {INFINITY, "+Inf"}, {-INFINITY, "-Inf"},
	};
	char buf[BPCI__METRICS_NUM_MAX];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bpci__metrics_format_double(buf, cases[i].v);
		ck_assert_msg(strcmp(buf, cases[i].text) == 0, "case %zu: got %s, want %s", i,
			      buf, cases[i].text);
	}
}
END_TEST

static void expect_refused(int rc, bpci__metrics *reg, const char *needle)
{
	ck_assert_int_eq(rc, BPCI_EINVAL);
	ck_assert_contains(bpci__metrics_errmsg(reg), needle);
}

START_TEST(refuses_bad_names_values_and_conflicts)
{
	bpci__metrics *reg;
	bpci__metric *m, *c, *h;
	const double bad_bounds[] = {1, 1};
	const double bounds[] = {1, 2};

	ck_assert_int_eq(bpci__metrics_new(&reg), 0);
	expect_refused(bpci__metrics_counter(&m, reg, "1abc", "h", NULL), reg,
		       "metric name \"1abc\" is not valid");
	ck_assert_ptr_null(m);
	expect_refused(bpci__metrics_counter(&m, reg, "a-b", "h", NULL), reg, "\"a-b\"");
	expect_refused(bpci__metrics_counter(&m, reg, "", "h", NULL), reg, "\"\"");
	expect_refused(bpci__metrics_gauge(&m, reg, "g", "h", "a b", "x", NULL), reg,
		       "label name \"a b\" is not valid");
	expect_refused(bpci__metrics_gauge(&m, reg, "g", "h", "__name", "x", NULL), reg,
		       "\"__name\" is reserved");
	expect_refused(bpci__metrics_gauge(&m, reg, "g", "h", "a:b", "x", NULL), reg,
		       "\"a:b\"");
	expect_refused(bpci__metrics_gauge(&m, reg, "g", "h", "x", "1", "x", "2", NULL), reg,
		       "label \"x\" is given twice");
	expect_refused(bpci__metrics_gauge(&m, reg, "g", "h", "x", "\xff\xfe", NULL), reg,
		       "not valid UTF-8");
	expect_refused(bpci__metrics_gauge(&m, reg, "g", "h", "x", NULL), reg,
		       "label \"x\" has no value");
	expect_refused(bpci__metrics_histogram(&m, reg, "hist", "h", bounds, 2, "le", "1",
					       NULL), reg, "\"le\" is reserved");
	expect_refused(bpci__metrics_histogram(&m, reg, "hist", "h", bad_bounds, 2, NULL), reg,
		       "bucket bound 1");

	/* Conflicts with what is registered. */
	ck_assert_int_eq(bpci__metrics_counter(&c, reg, "x_total", "Xs.", "a", "1", NULL), 0);
	expect_refused(bpci__metrics_gauge(&m, reg, "x_total", "Xs.", "a", "1", NULL), reg,
		       "already registered as a counter");
	expect_refused(bpci__metrics_counter(&m, reg, "x_total", "Other.", "a", "1", NULL), reg,
		       "another help text");
	expect_refused(bpci__metrics_counter(&m, reg, "x_total", "Xs.", "b", "1", NULL), reg,
		       "label 1 is \"a\", got \"b\"");
	ck_assert_int_eq(bpci__metrics_histogram(&h, reg, "lat", "L.", bounds, 2, NULL), 0);
	expect_refused(bpci__metrics_counter(&m, reg, "lat_count", "C.", NULL), reg,
		       "histogram lat");
	ck_assert_int_eq(bpci__metrics_counter(&m, reg, "y_sum", "Y.", NULL), 0);
	expect_refused(bpci__metrics_histogram(&m, reg, "y", "H.", bounds, 2, NULL), reg,
		       "clashes");
	expect_refused(bpci__metrics_histogram(&m, reg, "lat", "L.", bad_bounds, 1, NULL), reg,
		       "other bucket bounds");

	/* Values. */
	ck_assert_int_eq(bpci__metric_add(c, -1), BPCI_EINVAL);
	ck_assert_int_eq(bpci__metric_set(c, NAN), BPCI_EINVAL);
	ck_assert_int_eq(bpci__metric_add(c, INFINITY), BPCI_EINVAL);
	ck_assert_int_eq(bpci__metric_observe(c, 1), BPCI_EINVAL);
	ck_assert_int_eq(bpci__metric_set(h, 1), BPCI_EINVAL);
	ck_assert_int_eq(bpci__metric_observe(h, NAN), BPCI_EINVAL);
	ck_assert_int_eq(bpci__metric_set(c, 7), 0);
	bpci__metrics_free(reg);
}
END_TEST

typedef struct node_rss {
	const char *id;
	double rss;
} node_rss;

static int collect_rss(bpci__metrics_emitter *em, void *payload)
{
	const node_rss *n = payload;
	int rc = 0;

	for (; n->id && rc == 0; n++)
		rc = bpci__metrics_emit(em, n->rss, "node_id", n->id, NULL);
	return rc;
}

static int collect_nothing(bpci__metrics_emitter *em, void *payload)
{
	(void)em;
	(void)payload;
	return 0;
}

static int collect_fails(bpci__metrics_emitter *em, void *payload)
{
	(void)em;
	(void)payload;
	return 7;
}

START_TEST(collected_families)
{
	node_rss nodes[] = {{"storage-2", 2048}, {"audit-1", 1048576}, {NULL, 0}};
	node_rss dup[] = {{"a", 1}, {"a", 2}, {NULL, 0}};
	bpci__metrics_collector cs[2] = {
		{{"bpci_test_node_rss_bytes", "Resident memory.", BPCI__METRIC_GAUGE},
		 collect_rss, nodes},
		{{"bpci_test_empty", "Nothing measured.", BPCI__METRIC_GAUGE},
		 collect_nothing, NULL},
	};
	bpci__metrics_collector bad = {{"bpci_test_fails", "F.", BPCI__METRIC_GAUGE},
				       collect_fails, NULL};
	bpci__metrics *reg;
	bpci__metric *m;
	bpci_diag *diag;
	char *text;
	size_t len;

	ck_assert_int_eq(bpci__metrics_render_collectors(&text, &len, cs, 2, NULL), 0);
	ck_assert_str_eq(text,
		"# HELP bpci_test_node_rss_bytes Resident memory.\n"
		"# TYPE bpci_test_node_rss_bytes gauge\n"
		"bpci_test_node_rss_bytes{node_id=\"audit-1\"} 1048576\n"
		"bpci_test_node_rss_bytes{node_id=\"storage-2\"} 2048\n");
	bpci_free(text);

	/* Collected and owned families interleave by name. */
	ck_assert_int_eq(bpci__metrics_new(&reg), 0);
	ck_assert_int_eq(bpci__metrics_add_collector(reg, &cs[0]), 0);
	expect_refused(bpci__metrics_add_collector(reg, &cs[0]), reg, "already registered");
	expect_refused(bpci__metrics_gauge(&m, reg, "bpci_test_node_rss_bytes", "Resident memory.",
					   NULL), reg, "collected");
	ck_assert_int_eq(bpci__metrics_counter(&m, reg, "bpci_test_a_total", "A.", NULL), 0);
	ck_assert_int_eq(bpci__metrics_counter(&m, reg, "bpci_test_z_total", "Z.", NULL), 0);
	text = render(reg);
	ck_assert_ptr_nonnull(strstr(text, "bpci_test_a_total 0\n# HELP bpci_test_node_rss"));
	ck_assert_ptr_nonnull(strstr(text, "2048\n# HELP bpci_test_z_total Z."));
	bpci_free(text);

	/* A collector's failure fails the rendering, with its code. */
	ck_assert_int_eq(bpci__metrics_add_collector(reg, &bad), 0);
	ck_assert_int_eq(bpci__metrics_render(&text, &len, reg), 7);
	ck_assert_ptr_null(text);
	ck_assert_contains(bpci__metrics_errmsg(reg), "bpci_test_fails");
	bpci__metrics_free(reg);

	cs[0].payload = dup;
	ck_assert_int_eq(bpci_diag_new(&diag), 0);
	ck_assert_int_eq(bpci__metrics_render_collectors(&text, &len, cs, 1, diag), BPCI_EINVAL);
	ck_assert_ptr_null(text);
	ck_assert_contains(bpci_diag_last_text(diag),
			   "bpci_test_node_rss_bytes: the series {node_id=\"a\"} was emitted twice");
	bpci_diag_free(diag);
}
END_TEST

/* Every family of metric_names.h, filled with values. */
static bpci__metrics *registry_of_every_family(void)
{
	const double startup[] = BPCI__METRIC_STARTUP_BUCKETS;
	bpci__metrics *reg;
	bpci__metric *m;
	int i;

	ck_assert_int_eq(bpci__metrics_new(&reg), 0);
	for (i = 0; i < BPCI__MID_COUNT; i++) {
		const bpci__metrics_def *d = bpci__metric_def((bpci__metric_id)i);
		bpci__metrics_label l[2] = {{BPCI__METRIC_LABEL_NODE_ID, "storage-1"},
					    {BPCI__METRIC_LABEL_NODE_TYPE, "storage"}};
		size_t nl = strstr(d->name, "_node_") ? 2 : 0;
		int rc = bpci__metrics_series(&m, reg, d, startup,
					      sizeof(startup) / sizeof(startup[0]), l, nl);

		ck_assert_msg(rc == 0, "%s: %s", d->name, bpci__metrics_errmsg(reg));
		if (d->type == BPCI__METRIC_HISTOGRAM) {
			ck_assert_int_eq(bpci__metric_observe(m, 0.0421), 0);
			ck_assert_int_eq(bpci__metric_observe(m, 25), 0);
		} else {
			ck_assert_int_eq(bpci__metric_set(m, 0.75), 0);
		}
	}
	return reg;
}

START_TEST(metric_name_table)
{
	static const char *const original[] = {
		"node_distribution_total_nodes", "node_distribution_active_nodes",
		"node_distribution_daemon_tree_health",
		"node_distribution_resource_utilization_cpu",
		"node_distribution_resource_utilization_memory",
		"node_distribution_port_utilization", "node_distribution_audit_events_total",
		"node_distribution_agreement_deployments_total",
		"node_distribution_node_startup_time_seconds",
		"node_distribution_heartbeat_success_rate",
	};
	bpci__metrics *reg;
	size_t i;
	int j, k, found;

	ck_assert_ptr_null(bpci__metric_def(BPCI__MID_COUNT));
	for (j = 0; j < BPCI__MID_COUNT; j++) {
		const bpci__metrics_def *d = bpci__metric_def((bpci__metric_id)j);

		ck_assert(bpci__metrics_valid_metric_name(d->name));
		ck_assert_int_eq(strncmp(d->name, "node_distribution_", 18), 0);
		ck_assert_uint_gt(strlen(d->help), 10);
		for (k = 0; k < j; k++)
			ck_assert_str_ne(d->name, bpci__metric_def((bpci__metric_id)k)->name);
	}
	for (i = 0; i < sizeof(original) / sizeof(original[0]); i++) {
		for (found = 0, j = 0; j < BPCI__MID_COUNT; j++)
			found |= strcmp(bpci__metric_def((bpci__metric_id)j)->name, original[i]) == 0;
		ck_assert_msg(found, "%s is missing from metric_names.h", original[i]);
	}
	ck_assert_int_eq(bpci__metric_def(BPCI__MID_NODE_STARTUP_TIME_SECONDS)->type,
			 BPCI__METRIC_HISTOGRAM);
	ck_assert_int_eq(bpci__metric_def(BPCI__MID_AUDIT_EVENTS_TOTAL)->type,
			 BPCI__METRIC_COUNTER);
	reg = registry_of_every_family();
	bpci__metrics_free(reg);
}
END_TEST

/* Runs `promtool check metrics` on @text; returns its exit status and puts
 * its output in @out. */
static int promtool_check(const char *text, char *out, size_t outsz)
{
	char *dir = bpci_test_mkdtemp();
	char *path = bpci_test_write_file(dir, "metrics.txt", text);
	char cmd[4200];
	size_t n;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "promtool check metrics < '%s' 2>&1", path);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	n = fread(out, 1, outsz - 1, p);
	out[n] = '\0';
	st = pclose(p);
	bpci_test_rmtree(dir);
	free(dir);
	free(path);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

START_TEST(promtool_accepts_the_output)
{
	node_rss nodes[] = {{"a\"\\\n", 1}, {"b", 2}, {NULL, 0}};
	bpci__metrics_collector c = {{"bpci_test_collected_bytes", "Collected \\ \"help\"\n.",
				      BPCI__METRIC_GAUGE}, collect_rss, nodes};
	bpci__metrics *reg;
	bpci__metric *m;
	char out[4096], *text;

	ck_assert_msg(system("command -v promtool >/dev/null 2>&1") == 0,
		      "promtool is not installed: run `make deps` (scripts/deps.sh installs the "
		      "Debian package prometheus, which provides /usr/bin/promtool)");
	reg = registry_of_every_family();
	ck_assert_int_eq(bpci__metrics_add_collector(reg, &c), 0);
	ck_assert_int_eq(bpci__metrics_gauge(&m, reg, "bpci_test_extremes_ratio", "Extremes.",
					     "which", "pinf", NULL), 0);
	ck_assert_int_eq(bpci__metric_set(m, INFINITY), 0);
	ck_assert_int_eq(bpci__metrics_gauge(&m, reg, "bpci_test_extremes_ratio", "Extremes.",
					     "which", "ninf", NULL), 0);
	ck_assert_int_eq(bpci__metric_set(m, -INFINITY), 0);
	ck_assert_int_eq(bpci__metrics_gauge(&m, reg, "bpci_test_extremes_ratio", "Extremes.",
					     "which", "tiny", NULL), 0);
	ck_assert_int_eq(bpci__metric_set(m, 1e-300), 0);
	text = render(reg);
	ck_assert_msg(promtool_check(text, out, sizeof(out)) == 0,
		      "promtool check metrics refused:\n%s\n--- text ---\n%s", out, text);
	bpci_free(text);
	bpci__metrics_free(reg);

	/* The check can fail: an unescaped quote is a parse error. */
	ck_assert_int_ne(promtool_check("# TYPE bad_total counter\nbad_total{a=\"x\"y\"} 1\n",
					out, sizeof(out)), 0);
}
END_TEST

START_TEST(registry_survives_allocation_failure)
{
	node_rss nodes[] = {{"x", 1}, {"y", 2}, {NULL, 0}};
	bpci__metrics_collector c = {{"c_bytes", "C.", BPCI__METRIC_GAUGE}, collect_rss, nodes};
	const double bounds[] = {1, 2};
	long n;
	int done = 0;

	for (n = 0; !done && n < 200; n++) {
		bpci__metrics *reg = NULL;
		bpci__metric *m;
		char *text = NULL;
		size_t len;
		int rc;

		bpci__alloc_fail_after(n);
		rc = bpci__metrics_new(&reg);
		if (rc == 0)
			rc = bpci__metrics_counter(&m, reg, "a_total", "A.", "x", "1", NULL);
		if (rc == 0)
			rc = bpci__metrics_histogram(&m, reg, "h_seconds", "H.", bounds, 2,
						     "x", "1", NULL);
		if (rc == 0)
			rc = bpci__metric_observe(m, 1.5);
		if (rc == 0)
			rc = bpci__metrics_add_collector(reg, &c);
		if (rc == 0)
			rc = bpci__metrics_render(&text, &len, reg);
		bpci__alloc_fail_after(-1);
		ck_assert_msg(rc == 0 || rc == BPCI_ENOMEM, "n=%ld rc=%d", n, rc);
		if (rc == 0) {
			ck_assert_contains(text, "h_seconds_bucket{x=\"1\",le=\"2\"} 1\n");
			ck_assert_contains(text, "c_bytes{node_id=\"y\"} 2\n");
			done = 1;
		}
		bpci_free(text);
		bpci__metrics_free(reg);
	}
	ck_assert(done);
}
END_TEST

TCase *bpci_test_exposition_tcase(void)
{
	TCase *tc = tcase_create("exposition");

	tcase_add_test(tc, renders_exact_text);
	tcase_add_test(tc, escapes_label_values_and_help);
	tcase_add_test(tc, formats_numbers_prometheus_parses);
	tcase_add_test(tc, refuses_bad_names_values_and_conflicts);
	tcase_add_test(tc, collected_families);
	tcase_add_test(tc, metric_name_table);
	tcase_add_test(tc, promtool_accepts_the_output);
	tcase_add_test(tc, registry_survives_allocation_failure);
	return tc;
}
