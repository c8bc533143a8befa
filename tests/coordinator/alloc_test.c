/* Every allocation failure path of the coordinator is clean: the call
 * fails, leaves no node, process, descriptor or leak behind, and succeeds
 * once allocations do. */
#include <dirent.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "coordinator_test.h"

#define MAX_STEPS 400

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

START_TEST(test_new_survives_allocation_failures)
{
	ct_env e;
	bpci_coordinator *c = NULL;
	int n, rc = BPCI_ENOMEM, fds;

	memset(&e, 0, sizeof(e));
	e.dir = bpci_test_mkdtemp();
	ck_assert_int_eq(bpci_diag_new(&e.diag), 0);
	fds = count_fds();
	for (n = 0; n < MAX_STEPS && rc < 0; n++) {
		bpci__alloc_fail_after(n);
		rc = ct_open(&e, &c);
		bpci__alloc_fail_after(-1);
		if (rc < 0) {
			ck_assert_int_eq(rc, BPCI_ENOMEM);
			ck_assert_ptr_null(c);
			ck_assert_int_eq(count_fds(), fds);
		}
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_int_gt(n, 5);
	e.c = c;
	ct_teardown(&e);
}
END_TEST

START_TEST(test_start_survives_allocation_failures)
{
	ct_env e;
	bpci_node_spec *spec = ct_spec("ready 30", "notify");
	bpci_node_status_list *l = NULL;
	bpci_node_status *s = NULL;
	char *id = NULL, *json = NULL;
	int n, rc = BPCI_ENOMEM;

	ct_setup(&e);
	for (n = 0; n < MAX_STEPS && rc < 0; n++) {
		bpci__alloc_fail_after(n);
		rc = bpci_coordinator_start_node(&id, e.c, spec, NULL, NULL);
		bpci__alloc_fail_after(-1);
		if (rc < 0) {
			ck_assert_ptr_null(id);
			ck_assert_int_eq(bpci_coordinator_list_nodes(&l, e.c, 0, NULL), 0);
			/* a node that failed to start is gone, or failed for good */
			if (bpci_node_status_list_count(l) == 1) {
				ck_assert_int_eq(bpci_node_status_list_get(l, 0)->pid, 0);
				ck_assert_int_eq(bpci_coordinator_stop_node(
							 e.c, bpci_node_status_list_get(l, 0)->id,
							 NULL),
						 0);
			} else {
				ck_assert_uint_eq(bpci_node_status_list_count(l), 0);
			}
			bpci_node_status_list_free(l);
		}
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_int_gt(n, 10);
	ct_wait(&e, id, BPCI_NODE_STATE_RUNNING, 5000);
	/* snapshots and their JSON */
	for (n = 0, rc = BPCI_ENOMEM; n < MAX_STEPS && rc < 0; n++) {
		bpci__alloc_fail_after(n);
		rc = bpci_coordinator_list_nodes(&l, e.c, 0, NULL);
		if (rc == 0) {
			rc = bpci_node_status_list_to_json(&json, l);
			bpci_node_status_list_free(l);
		}
		if (rc == 0) {
			const char *text = "{\"id\":\"a\",\"type\":\"logbook\",\"state\":\"running\"}";

			rc = bpci_node_status_from_json(&s, text, strlen(text), NULL);
			bpci_node_status_free(s);
		}
		bpci__alloc_fail_after(-1);
		bpci_free(json);
		json = NULL;
		if (rc < 0)
			ck_assert_int_eq(rc, BPCI_ENOMEM);
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_int_gt(n, 3);
	bpci_free(id);
	bpci_node_spec_free(spec);
	ct_teardown(&e);
}
END_TEST

void ct_add_alloc(Suite *s)
{
	TCase *tc = tcase_create("alloc");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_new_survives_allocation_failures);
	tcase_add_test(tc, test_start_survives_allocation_failures);
	suite_add_tcase(s, tc);
}
