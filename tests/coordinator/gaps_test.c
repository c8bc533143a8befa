/*
 * The remaining gaps of issue 3: the fast GET /api/nodes renderer gives
 * jansson's bytes, restart_node counts as a restart, STOPPING=1 from a node,
 * start latencies observed into the histogram.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "coordinator_test.h"
#include "runtime/backoff.h"
#include "runtime/coordinator_api.h"
#include "runtime/coordinator_internal.h"

/* "uptime_ms":N -> "uptime_ms":0, so that two renderings a few
 * microseconds apart compare equal. */
static void zero_uptimes(char *s)
{
	static const char key[] = "\"uptime_ms\":";
	char *p = s;

	while ((p = strstr(p, key)) != NULL) {
		char *num = p + sizeof(key) - 1, *end = num;

		while (*end >= '0' && *end <= '9')
			end++;
		ck_assert_ptr_ne(end, num);
		*num = '0';
		memmove(num + 1, end, strlen(end) + 1);
		p = num + 1;
	}
}

/* The slow path of every client: snapshots through jansson. */
static char *jansson_list(bpci_coordinator *c, bpci_node_type type)
{
	bpci_node_status_list *l = NULL;
	char *json = NULL;

	ck_assert_int_eq(bpci_coordinator_list_nodes(&l, c, type, NULL), 0);
	ck_assert_int_eq(bpci_node_status_list_to_json(&json, l), 0);
	bpci_node_status_list_free(l);
	zero_uptimes(json);
	return json;
}

static char *fast_list(bpci_coordinator *c, bpci_node_type type, size_t hint)
{
	char *json = NULL;
	size_t len = 0;

	ck_assert_int_eq(bpci__coordinator_list_json(&json, &len, c, type, hint), 0);
	ck_assert_uint_eq(len, strlen(json));
	zero_uptimes(json);
	return json;
}

START_TEST(test_list_json_fast_path_matches_jansson)
{
	ct_env e;
	bpci_node_spec *ready = ct_spec("ready", "notify");
	bpci_node_spec *crash = ct_spec("exit 3 0", "none");
	bpci_node_spec *missing;
	const char *argv[] = {"/nonexistent/caf\xc3\xa9 \"q\"\t\x01\\", "x"};
	char *id1, *id2, *id3 = NULL, *a, *b;
	bpci_node_status *s;

	ct_setup(&e);
	ct_set(ready, "name", "r-1");
	id1 = ct_start_wait(&e, ready, BPCI_NODE_STATE_RUNNING);
	ct_set(crash, "restart.policy", "temporary");
	id2 = ct_start_wait(&e, crash, BPCI_NODE_STATE_FAILED);
	ck_assert_int_eq(bpci_node_spec_new(&missing, BPCI_NODE_LOGBOOK), 0);
	ct_set(missing, "logbook_type", "transaction");
	ck_assert_int_eq(bpci_node_spec_set_list(missing, "command", argv, 2, NULL), 0);
	ck_assert_int_eq(bpci_coordinator_start_node(&id3, e.c, missing, NULL, NULL),
			 BPCI_ENOTFOUND);
	ct_run_for(e.c, 50);

	/* a running node with a status text, an exited one, a failed spawn
	 * whose reason holds quotes, a tab, a control byte and UTF-8 */
	s = ct_status(&e, id1);
	ck_assert_str_eq(s->status_text, "serving");
	ck_assert_int_gt(s->pid, 0);
	bpci_node_status_free(s);
	a = jansson_list(e.c, (bpci_node_type)0);
	b = fast_list(e.c, (bpci_node_type)0, 0);
	ck_assert_str_eq(b, a);
	ck_assert_ptr_nonnull(strstr(b, "\"last_exit\":{\"code\":3,\"signal\":0,"));
	ck_assert_ptr_nonnull(strstr(b, "caf\xc3\xa9 \\\"q\\\"\\t\\u0001\\\\"));
	ck_assert_ptr_nonnull(strstr(b, "\"name\":\"r-1\""));
	ck_assert_ptr_nonnull(strstr(b, "\"status_text\":\"serving\""));
	bpci_free(b);
	/* a hint larger and smaller than the answer give the same bytes */
	b = fast_list(e.c, (bpci_node_type)0, 1 << 20);
	ck_assert_str_eq(b, a);
	bpci_free(b);
	bpci_free(a);

	a = jansson_list(e.c, BPCI_NODE_LOGBOOK);
	b = fast_list(e.c, BPCI_NODE_LOGBOOK, 0);
	ck_assert_str_eq(b, a);
	ck_assert_ptr_nonnull(strstr(b, "\"id\":\"logbook-3\""));
	bpci_free(a);
	bpci_free(b);
	b = fast_list(e.c, BPCI_NODE_ORACLE, 0);
	ck_assert_str_eq(b, "{\"nodes\":[]}");
	bpci_free(b);

	/* the per-node cache: kept while nothing changes, redone when the pid,
	 * the restarts and the start time change (a restart) */
	{
		bpci__cnode *n1 = bpci__coord_find(e.c, id1), *n3 = bpci__coord_find(e.c, id3);
		const bpci__list_frag *f1 = n1->list_frag, *f3 = n3->list_frag;

		ck_assert_ptr_nonnull(f1);
		ck_assert_ptr_nonnull(f3);
		b = fast_list(e.c, (bpci_node_type)0, 0);
		bpci_free(b);
		ck_assert_ptr_eq(n1->list_frag, f1);
		ck_assert_ptr_eq(n3->list_frag, f3);
		ck_assert_int_eq(bpci_coordinator_restart_node(e.c, id1, e.diag), 0);
		ct_wait(&e, id1, BPCI_NODE_STATE_RUNNING, 5000);
		a = jansson_list(e.c, (bpci_node_type)0);
		b = fast_list(e.c, (bpci_node_type)0, 0);
		ck_assert_str_eq(b, a);
		ck_assert_ptr_nonnull(strstr(b, "\"restarts\":1"));
		ck_assert_ptr_eq(n3->list_frag, f3);
		bpci_free(a);
		bpci_free(b);
		/* a string alone changing (same numbers) is seen too */
		bpci__free(n1->status_text);
		n1->status_text = bpci__strdup("draining");
		a = jansson_list(e.c, (bpci_node_type)0);
		b = fast_list(e.c, (bpci_node_type)0, 0);
		ck_assert_str_eq(b, a);
		ck_assert_ptr_nonnull(strstr(b, "\"status_text\":\"draining\""));
		bpci_free(a);
		bpci_free(b);
	}

	bpci_free(id1);
	bpci_free(id2);
	bpci_free(id3);
	bpci_node_spec_free(ready);
	bpci_node_spec_free(crash);
	bpci_node_spec_free(missing);
	ct_teardown(&e);
}
END_TEST

/* The intensity ring grows with the restarts (a node with max_restarts
 * 1000 that never restarts holds no 8 KB ring) and still gives up exactly
 * at max_restarts + 1 within the period. */
START_TEST(test_intensity_ring_grows_with_restarts)
{
	bpci__intensity w;
	unsigned int i;

	ck_assert_int_eq(bpci__intensity_init(&w, 1000, 60000), 0);
	ck_assert_ptr_null(w.times);
	ck_assert_uint_eq(w.alloc, 0);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(bpci__intensity_record(&w, 100 + i), 0);
	ck_assert_uint_eq(w.alloc, 8);
	ck_assert_uint_eq(bpci__intensity_count(&w, 200), 5);
	for (i = 5; i < 1000; i++)
		ck_assert_int_eq(bpci__intensity_record(&w, 100 + i), 0);
	ck_assert_uint_eq(w.alloc, 1001);
	ck_assert_uint_eq(bpci__intensity_count(&w, 1100), 1000);
	ck_assert_int_eq(bpci__intensity_record(&w, 1100), 1); /* the 1001st */
	/* 100..105 are 60 s old or more at 60105: 1001 - 6 remain */
	ck_assert_uint_eq(bpci__intensity_count(&w, 60105), 995);
	bpci__intensity_release(&w);

	ck_assert_int_eq(bpci__intensity_init(&w, 2, 1000), 0);
	ck_assert_int_eq(bpci__intensity_record(&w, 0), 0);
	ck_assert_int_eq(bpci__intensity_record(&w, 10), 0);
	ck_assert_int_eq(bpci__intensity_record(&w, 20), 1);
	ck_assert_uint_eq(w.alloc, 3);
	ck_assert_int_eq(bpci__intensity_record(&w, 1015), 0); /* 0 and 10 expired */
	bpci__intensity_release(&w);
}
END_TEST

/*
 * STOPPING=1: the node is stopping, not unhealthy. It sends no watchdog
 * for 800 ms (8 heartbeat intervals, retries 2) while it winds down and
 * then exits with status @code: under transient (and temporary) that is a
 * stop, not a failure; under permanent it restarts.
 */
static void stopping_case(const char *policy, int code, int expect_restart)
{
	ct_env e;
	char args[64];
	bpci_node_spec *spec;
	bpci_node_status *s;
	char *id;
	long t0;
	size_t i, stopping_at = 0;

	snprintf(args, sizeof(args), "stopping 200 800 %d", code);
	spec = ct_spec(args, "notify");
	ct_set(spec, "health.retries", "2");
	ct_set(spec, "restart.policy", policy);
	ct_setup(&e);
	id = ct_start_wait(&e, spec, BPCI_NODE_STATE_RUNNING);
	ct_wait(&e, id, BPCI_NODE_STATE_STOPPING, 5000);
	t0 = ct_now_ms();
	/* while it stops: stopping, never unhealthy, the process still there */
	ct_run_for(e.c, 500);
	s = ct_status(&e, id);
	ck_assert_int_eq(s->state, BPCI_NODE_STATE_STOPPING);
	ck_assert_int_gt(s->pid, 0);
	ck_assert(ct_alive(s->pid));
	bpci_node_status_free(s);
	ck_assert_uint_eq(ct_count(&e.ev, id, BPCI_NODE_STATE_UNHEALTHY), 0);
	for (i = 0; i < e.ev.count; i++)
		if (e.ev.to[i] == BPCI_NODE_STATE_STOPPING)
			stopping_at = i;
	ck_assert_str_eq(e.ev.reasons[stopping_at], "the node is stopping (STOPPING=1)");
	if (expect_restart) {
		ct_wait(&e, id, BPCI_NODE_STATE_PENDING, 5000);
		ct_wait(&e, id, BPCI_NODE_STATE_RUNNING, 5000);
		s = ct_status(&e, id);
		ck_assert_uint_eq(s->restarts, 1);
		ck_assert_str_eq(s->failure_reason, "");
	} else {
		ct_wait(&e, id, BPCI_NODE_STATE_STOPPED, 5000);
		ck_assert_int_ge(ct_now_ms() - t0, 250); /* it was not cut short */
		ct_run_for(e.c, 300);
		s = ct_status(&e, id);
		ck_assert_int_eq(s->state, BPCI_NODE_STATE_STOPPED);
		ck_assert_uint_eq(s->restarts, 0);
		ck_assert_str_eq(s->failure_reason, "");
		ck_assert_int_eq(s->last_exit_code, code);
		ck_assert_uint_eq(ct_count(&e.ev, id, BPCI_NODE_STATE_PENDING), 0);
		ck_assert_uint_eq(ct_count(&e.ev, id, BPCI_NODE_STATE_FAILED), 0);
		ck_assert_contains(e.ev.reasons[e.ev.count - 1], "stopped by itself after STOPPING=1");
	}
	bpci_node_status_free(s);
	bpci_free(id);
	bpci_node_spec_free(spec);
	ct_teardown(&e);
}

START_TEST(test_stopping_transient_exit_is_a_stop)
{
	stopping_case("transient", 3, 0);
}
END_TEST

START_TEST(test_stopping_temporary_exit_is_a_stop)
{
	stopping_case("temporary", 0, 0);
}
END_TEST

START_TEST(test_stopping_permanent_restarts)
{
	stopping_case("permanent", 0, 1);
}
END_TEST

/* restart_node is a restart: counted in the node's restarts and in the
 * coordinator's restart requests; each start that reaches readiness is
 * one observation of the start histogram. */
START_TEST(test_restart_node_counted_and_starts_observed)
{
	ct_env e;
	bpci_node_spec *spec = ct_spec("ready", "notify");
	const bpci__coord_stats *st;
	bpci_node_status *s;
	uint64_t in_buckets = 0;
	char *id;
	int pid;
	size_t i;

	ct_setup(&e);
	st = bpci__coordinator_stats(e.c);
	ck_assert_uint_eq(st->start_count, 0);
	id = ct_start_wait(&e, spec, BPCI_NODE_STATE_RUNNING);
	ck_assert_uint_eq(st->start_count, 1);
	s = ct_status(&e, id);
	pid = s->pid;
	ck_assert_uint_eq(s->restarts, 0);
	ck_assert_uint_eq(st->start_sum_ms, s->start_latency_ms);
	bpci_node_status_free(s);

	ck_assert_int_eq(bpci_coordinator_restart_node(e.c, id, e.diag), 0);
	ct_wait(&e, id, BPCI_NODE_STATE_RUNNING, 5000);
	s = ct_status(&e, id);
	ck_assert_int_ne(s->pid, pid);
	ck_assert_uint_eq(s->restarts, 1);
	bpci_node_status_free(s);
	ck_assert_uint_eq(st->restart_requests, 1);
	ck_assert_uint_eq(st->start_count, 2);
	for (i = 0; i <= BPCI__START_NBOUNDS; i++)
		in_buckets += st->start_in[i];
	ck_assert_uint_eq(in_buckets, 2);
	ck_assert_uint_lt(st->start_sum_ms, 10000);

	ck_assert_int_eq(bpci_coordinator_restart_node(e.c, "nope", e.diag), BPCI_ENOTFOUND);
	ck_assert_uint_eq(st->restart_requests, 1);
	bpci_free(id);
	bpci_node_spec_free(spec);
	ct_teardown(&e);
}
END_TEST

/* Bucket edges: 5 ms is in le="0.005", 6 ms in le="0.01", 200 s beyond
 * the last bound (120 s). */
START_TEST(test_start_histogram_buckets)
{
	bpci__coord_stats st;

	memset(&st, 0, sizeof(st));
	bpci__coord_stats_start(&st, 0);
	bpci__coord_stats_start(&st, 5);
	bpci__coord_stats_start(&st, 6);
	bpci__coord_stats_start(&st, 1000);
	bpci__coord_stats_start(&st, 200000);
	ck_assert(bpci__start_bounds[0] == 0.005);
	ck_assert(bpci__start_bounds[BPCI__START_NBOUNDS - 1] == 120);
	ck_assert_uint_eq(st.start_in[0], 2);
	ck_assert_uint_eq(st.start_in[1], 1);
	ck_assert_uint_eq(st.start_in[7], 1); /* le="1" */
	ck_assert_uint_eq(st.start_in[BPCI__START_NBOUNDS], 1);
	ck_assert_uint_eq(st.start_count, 5);
	ck_assert_uint_eq(st.start_sum_ms, 201011);
}
END_TEST

void ct_add_gaps(Suite *s)
{
	TCase *tc = tcase_create("gaps");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_list_json_fast_path_matches_jansson);
	tcase_add_test(tc, test_intensity_ring_grows_with_restarts);
	tcase_add_test(tc, test_stopping_transient_exit_is_a_stop);
	tcase_add_test(tc, test_stopping_temporary_exit_is_a_stop);
	tcase_add_test(tc, test_stopping_permanent_restarts);
	tcase_add_test(tc, test_restart_node_counted_and_starts_observed);
	tcase_add_test(tc, test_start_histogram_buckets);
	suite_add_tcase(s, tc);
}
