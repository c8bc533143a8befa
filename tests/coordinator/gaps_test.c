/*
 * The remaining gaps of issue 3: the fast GET /api/nodes renderer gives
 * jansson's bytes, restart_node counts as a restart, STOPPING=1 from a node,
 * start latencies observed into the histogram.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator_test.h"
#include "runtime/backoff.h"
#include "runtime/coordinator_api.h"

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

void ct_add_gaps(Suite *s)
{
	TCase *tc = tcase_create("gaps");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_list_json_fast_path_matches_jansson);
	tcase_add_test(tc, test_intensity_ring_grows_with_restarts);
	suite_add_tcase(s, tc);
}
