/*
 * Group commit: threads appending at once all get distinct seqs, every
 * entry is there with its content, and they shared fsyncs.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_test.h"
#include "test.h"

#define THREADS 8
#define PER_THREAD 250

static char *tmp;
static char dir[512];

static void setup(void)
{
	tmp = bpci_test_mkdtemp();
	snprintf(dir, sizeof(dir), "%s/ledger", tmp);
}

static void teardown(void)
{
	bpci_test_rmtree(tmp);
	free(tmp);
}

typedef struct worker {
	bpci_ledger *l;
	int id, failures;
	uint64_t seqs[PER_THREAD];
} worker;

static void *run(void *arg)
{
	worker *w = arg;
	bpci_ledger_event ev = BPCI_LEDGER_EVENT_INIT;
	char subj[32];
	int i;

	ev.type = "api.request";
	ev.details_json = "{\"method\":\"GET\",\"path\":\"/api/v1/nodes\"}";
	for (i = 0; i < PER_THREAD; i++) {
		snprintf(subj, sizeof(subj), "t%d-%d", w->id, i);
		ev.subject = subj;
		if (bpci_ledger_append(&w->seqs[i], w->l, &ev, NULL) != 0)
			w->failures++;
	}
	return NULL;
}

START_TEST(threads_share_fsyncs)
{
	bpci_ledger_options o = lt_options(65536);
	bpci_ledger_stats st = BPCI_LEDGER_STATS_INIT;
	static worker w[THREADS];
	pthread_t th[THREADS];
	uint8_t *seen = calloc(THREADS * PER_THREAD, 1);
	char want[64], *text;
	bpci_ledger *l;
	int i, j;

	o.batch_max_entries = 64;
	o.batch_max_delay_ms = 2;
	l = lt_open(dir, &o);
	for (i = 0; i < THREADS; i++) {
		w[i].l = l;
		w[i].id = i;
		w[i].failures = 0;
		ck_assert_int_eq(pthread_create(&th[i], NULL, run, &w[i]), 0);
	}
	for (i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
	ck_assert_uint_eq(bpci_ledger_size(l), THREADS * PER_THREAD);
	for (i = 0; i < THREADS; i++) {
		ck_assert_int_eq(w[i].failures, 0);
		for (j = 0; j < PER_THREAD; j++) {
			ck_assert_uint_lt(w[i].seqs[j], THREADS * PER_THREAD);
			ck_assert_int_eq(seen[w[i].seqs[j]], 0);
			seen[w[i].seqs[j]] = 1;
			if (j > 0)
				ck_assert_uint_gt(w[i].seqs[j], w[i].seqs[j - 1]);
			if (j % 25 == 0) {
				ck_assert_int_eq(bpci_ledger_get(&text, NULL, l, w[i].seqs[j], NULL),
						 0);
				snprintf(want, sizeof(want), "\"subject\":\"t%d-%d\"", i, j);
				ck_assert_contains(text, want);
				bpci_free(text);
			}
		}
	}
	ck_assert_int_eq(bpci_ledger_stats_get(&st, l), 0);
	ck_assert_uint_eq(st.appended, THREADS * PER_THREAD);
	ck_assert_uint_lt(st.batches, THREADS * PER_THREAD / 2);
	ck_assert_uint_lt(st.fsyncs, THREADS * PER_THREAD / 2);
	ck_assert_uint_ge(st.fsyncs, st.batches);
	fprintf(stderr, "group commit: %d appends in %llu batches, %llu fsyncs\n",
		THREADS * PER_THREAD, (unsigned long long)st.batches,
		(unsigned long long)st.fsyncs);
	bpci_ledger_free(l);
	ck_assert_int_eq(lt_verify(dir, NULL, NULL, 0), 0);
	free(seen);
}
END_TEST

START_TEST(append_many_is_one_batch)
{
	bpci_ledger_options o = lt_options(0);
	bpci_ledger_stats st = BPCI_LEDGER_STATS_INIT;
	bpci_ledger_event *ev = calloc(1000, sizeof(*ev));
	bpci_ledger *l = lt_open(dir, &o);
	bpci_diag *d;
	uint64_t first = 99;
	int i;

	for (i = 0; i < 1000; i++) {
		ev[i].version = BPCI_LEDGER_EVENT_VERSION;
		ev[i].type = "port.allocated";
		ev[i].subject = "p";
	}
	ck_assert_int_eq(bpci_ledger_append_many(&first, l, ev, 1000, NULL), 0);
	ck_assert_uint_eq(first, 0);
	ck_assert_int_eq(bpci_ledger_stats_get(&st, l), 0);
	ck_assert_uint_eq(st.batches, 1);
	ck_assert_uint_eq(st.fsyncs, 1);
	/* One bad event: nothing is appended. */
	ev[500].type = "Bad";
	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci_ledger_append_many(&first, l, ev, 1000, d), BPCI_EINVAL);
	ck_assert_contains(bpci_diag_last_text(d), "of event 500");
	ck_assert_uint_eq(bpci_ledger_size(l), 1000);
	ck_assert_int_eq(bpci_ledger_append_many(NULL, l, ev, 0, NULL), 0);
	bpci_diag_free(d);
	bpci_ledger_free(l);
	free(ev);
}
END_TEST

TCase *ledger_concurrency_tcase(void)
{
	TCase *tc = tcase_create("concurrency");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, threads_share_fsyncs);
	tcase_add_test(tc, append_many_is_one_batch);
	tcase_set_timeout(tc, 60);
	return tc;
}
