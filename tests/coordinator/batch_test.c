/* bpci_coordinator_start_nodes: a batch starts every node or none, with
 * one durable write, and a coordinator opened afterwards finds them all. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coordinator_test.h"

#define BATCH 40

/* @count ready-by-notify specs; ids n00..n39 when @named. */
static bpci_node_spec **specs_new(size_t count, int named)
{
	bpci_node_spec **s = calloc(count, sizeof(*s));
	char id[16];
	size_t i;

	ck_assert_ptr_nonnull(s);
	for (i = 0; i < count; i++) {
		s[i] = ct_spec("ready 30", "notify");
		if (named) {
			snprintf(id, sizeof(id), "n%02zu", i);
			ct_set(s[i], "id", id);
		}
	}
	return s;
}

static void specs_free(bpci_node_spec **s, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		bpci_node_spec_free(s[i]);
	free(s);
}

static void ids_free(char **ids)
{
	size_t i;

	for (i = 0; ids && ids[i]; i++)
		bpci_free(ids[i]);
	bpci_free(ids);
}

static size_t node_count(bpci_coordinator *c)
{
	bpci_node_status_list *l;
	size_t n;

	ck_assert_int_eq(bpci_coordinator_list_nodes(&l, c, 0, NULL), 0);
	n = bpci_node_status_list_count(l);
	bpci_node_status_list_free(l);
	return n;
}

START_TEST(test_batch_starts_all_and_persists)
{
	bpci_node_spec **specs = specs_new(BATCH, 0);
	int pids[BATCH];
	char **ids = NULL;
	ct_env e;
	size_t i, j;

	ct_setup(&e);
	ck_assert_msg(bpci_coordinator_start_nodes(&ids, e.c, (const bpci_node_spec *const *)specs,
						   BATCH, e.diag) == 0,
		      "%s", bpci_diag_last_text(e.diag));
	ck_assert_ptr_nonnull(ids);
	ck_assert_ptr_null(ids[BATCH]);
	for (i = 0; i < BATCH; i++) {
		char want[32];
		bpci_node_status *s;

		snprintf(want, sizeof(want), "logbook-%zu", i + 1);
		ck_assert_str_eq(ids[i], want);
		ct_wait(&e, ids[i], BPCI_NODE_STATE_RUNNING, 10000);
		s = ct_status(&e, ids[i]);
		pids[i] = s->pid;
		ck_assert(ct_alive(pids[i]));
		ck_assert_uint_eq(s->restarts, 0);
		bpci_node_status_free(s);
		for (j = 0; j < i; j++)
			ck_assert_int_ne(pids[j], pids[i]);
	}
	/* durable: a coordinator opened after this one adopts every node */
	bpci_coordinator_free(e.c);
	ck_assert_int_eq(ct_open(&e, &e.c), 0);
	ck_assert_uint_eq(node_count(e.c), BATCH);
	for (i = 0; i < BATCH; i++) {
		bpci_node_status *s = ct_status(&e, ids[i]);

		ck_assert_int_eq(s->pid, pids[i]);
		bpci_node_status_free(s);
	}
	ids_free(ids);
	specs_free(specs, BATCH);
	ct_teardown(&e);
}
END_TEST

START_TEST(test_batch_bad_spec_starts_nothing)
{
	bpci_node_spec **specs = specs_new(5, 1);
	char **ids = (char **)specs; /* must be reset */
	ct_env e;

	ct_setup(&e);
	/* a storage node without its required parameters, and no spec at all */
	bpci_node_spec_free(specs[3]);
	ck_assert_int_eq(bpci_node_spec_new(&specs[3], BPCI_NODE_STORAGE), 0);
	bpci_node_spec_free(specs[4]);
	specs[4] = NULL;
	ck_assert_int_eq(bpci_coordinator_start_nodes(&ids, e.c,
						   (const bpci_node_spec *const *)specs, 5,
						   e.diag),
			 BPCI_EINVAL);
	ck_assert_ptr_null(ids);
	ck_assert_uint_ge(bpci_diag_error_count(e.diag), 2);
	ck_assert_contains(bpci_diag_get(e.diag, 0)->text, "nodes[3].");
	ck_assert_contains(bpci_diag_last_text(e.diag), "nodes[4]");
	ck_assert_contains(bpci_diag_last_text(e.diag), "no spec given");
	ck_assert_uint_eq(node_count(e.c), 0);
	specs_free(specs, 5);
	ct_teardown(&e);
}
END_TEST

START_TEST(test_batch_ids_taken_or_repeated_start_nothing)
{
	bpci_node_spec **specs = specs_new(4, 1);
	char **ids = NULL, *id;
	ct_env e;

	ct_setup(&e);
	/* given twice in the batch */
	ct_set(specs[2], "id", "n00");
	ck_assert_int_eq(bpci_coordinator_start_nodes(&ids, e.c,
						   (const bpci_node_spec *const *)specs, 4,
						   e.diag),
			 BPCI_EEXISTS);
	ck_assert_contains(bpci_diag_last_text(e.diag), "nodes[2].id");
	ck_assert_contains(bpci_diag_last_text(e.diag), "nodes[0]");
	ck_assert_uint_eq(node_count(e.c), 0);
	/* taken by a running node */
	ct_set(specs[2], "id", "n02");
	id = ct_start_wait(&e, specs[1], BPCI_NODE_STATE_RUNNING);
	ck_assert_str_eq(id, "n01");
	bpci_diag_clear(e.diag);
	ck_assert_int_eq(bpci_coordinator_start_nodes(&ids, e.c,
						   (const bpci_node_spec *const *)specs, 4,
						   e.diag),
			 BPCI_EEXISTS);
	ck_assert_contains(bpci_diag_last_text(e.diag), "nodes[1].id");
	ck_assert_contains(bpci_diag_last_text(e.diag), "\"n01\" already exists");
	ck_assert_uint_eq(node_count(e.c), 1);
	bpci_free(id);
	specs_free(specs, 4);
	ct_teardown(&e);
}
END_TEST

START_TEST(test_batch_missing_program_fails_only_that_node)
{
	bpci_node_spec **specs = specs_new(3, 1);
	const char *argv[] = {"/nonexistent/bpci-batch-node"};
	bpci_node_status *s;
	char **ids = NULL;
	ct_env e;

	ct_setup(&e);
	ck_assert_int_eq(bpci_node_spec_set_list(specs[1], "command", argv, 1, NULL), 0);
	ck_assert_int_eq(bpci_coordinator_start_nodes(&ids, e.c,
						   (const bpci_node_spec *const *)specs, 3,
						   e.diag),
			 BPCI_ENOTFOUND);
	ck_assert_ptr_nonnull(ids);
	ck_assert_str_eq(ids[1], "n01");
	ct_wait(&e, "n00", BPCI_NODE_STATE_RUNNING, 10000);
	ct_wait(&e, "n02", BPCI_NODE_STATE_RUNNING, 10000);
	s = ct_status(&e, "n01");
	ck_assert_int_eq(s->state, BPCI_NODE_STATE_FAILED);
	ck_assert_contains(s->failure_reason, "executable not found");
	ck_assert_contains(s->failure_reason, "/nonexistent/bpci-batch-node");
	bpci_node_status_free(s);
	ids_free(ids);
	specs_free(specs, 3);
	ct_teardown(&e);
}
END_TEST

/* A spawn that fails in the child (no such working directory) undoes the
 * whole batch: the nodes spawned before it are stopped and forgotten, in
 * memory and in the journal. */
START_TEST(test_batch_failed_spawn_leaves_nothing)
{
	bpci_node_spec **specs = calloc(6, sizeof(*specs));
	bpci_node_status_list *l;
	char **ids = (char **)specs; /* must be reset */
	char marker[64], args[96], id[16];
	ct_env e;
	size_t i;

	ct_setup(&e);
	snprintf(marker, sizeof(marker), "batch-undo-marker-%d", (int)getpid());
	snprintf(args, sizeof(args), "ready 30 -1 %s", marker);
	for (i = 0; i < 6; i++) {
		specs[i] = ct_spec(args, "notify");
		snprintf(id, sizeof(id), "n%02zu", i);
		ct_set(specs[i], "id", id);
	}
	ct_set(specs[4], "working_dir", "/nonexistent-bpci-batch-dir");
	ck_assert_int_eq(bpci_coordinator_start_nodes(&ids, e.c,
						   (const bpci_node_spec *const *)specs, 6,
						   e.diag),
			 BPCI_EIO);
	ck_assert_ptr_null(ids);
	ck_assert_contains(bpci_diag_last_text(e.diag), "/nonexistent-bpci-batch-dir");
	ck_assert_uint_eq(node_count(e.c), 0);
	/* the nodes before it were spawned, and their processes are gone */
	for (i = 0; i < 4; i++) {
		snprintf(id, sizeof(id), "n%02zu", i);
		ck_assert_uint_ge(ct_count(&e.ev, id, BPCI_NODE_STATE_STARTING), 1);
	}
	ck_assert_int_eq(ct_count_marked(marker), 0);
	/* durable: a coordinator opened afterwards has no node either */
	bpci_coordinator_free(e.c);
	ck_assert_int_eq(ct_open(&e, &e.c), 0);
	ck_assert_int_eq(bpci_coordinator_list_nodes(&l, e.c, 0, NULL), 0);
	ck_assert_uint_eq(bpci_node_status_list_count(l), 0);
	bpci_node_status_list_free(l);
	specs_free(specs, 6);
	ct_teardown(&e);
}
END_TEST

void ct_add_batch(Suite *s)
{
	TCase *tc = tcase_create("batch");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_batch_starts_all_and_persists);
	tcase_add_test(tc, test_batch_bad_spec_starts_nothing);
	tcase_add_test(tc, test_batch_ids_taken_or_repeated_start_nothing);
	tcase_add_test(tc, test_batch_missing_program_fails_only_that_node);
	tcase_add_test(tc, test_batch_failed_spawn_leaves_nothing);
	suite_add_tcase(s, tc);
}
