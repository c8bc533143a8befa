/* A remote daemon whose parent is removed, real processes: it joined a
 * local mid-level daemon; "remove-daemon mid" re-parents it to the root
 * in the model, and the root tells it (POST /api/daemon-tree/parent on
 * its API): it joins the root and heartbeats there, instead of calling
 * the stopped mid-level daemon forever. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "cm_test.h"

static json_t *entry_at(const char *url, const char *id, json_t **tree)
{
	*tree = cm_p_get_json(url, "/api/daemon-tree/status");
	return cm_p_find(*tree, id);
}

START_TEST(remote_child_follows_new_parent)
{
	const char *rm[] = {"daemon-tree", "remove-daemon", "--daemon-id", "mid", NULL};
	char *far_url;
	bpci_test_run r;
	json_t *tree, *e;
	long hb0 = -1, hb1 = -1;
	double t0, took = -1;
	pid_t far;
	cm_p_env t;

	cm_p_start_mid(&t, "node_lifecycle");
	far = cm_p_join_remote(&t, "far", "mid");
	far_url = cm_p_file_line(t.rdir, "api.url");

	/* A bad new parent is refused by the daemon, naming the field. */
	{
		bpci_diag *diag = NULL;
		char *resp = NULL, *far_token = cm_p_file_line(t.rdir, "api.token");

		bpci_diag_new(&diag);
		ck_assert_int_eq(bpci_cluster_request(&resp, far_url, far_token, "POST",
						      "/api/daemon-tree/parent",
						      "{\"parent_url\":\"ftp://x\"}", diag), BPCI_EINVAL);
		ck_assert_ptr_nonnull(strstr(bpci_diag_get(diag, 0)->message, "ftp://x"));
		bpci_diag_free(diag);
		bpci_free(resp);
		/* Without the daemon's token: 401, nothing changes. */
		ck_assert_int_ne(bpci_cluster_request(&resp, far_url, NULL, "POST",
						      "/api/daemon-tree/parent",
						      "{\"parent_url\":\"http://127.0.0.1:1\"}", NULL), 0);
		bpci_free(resp);
		free(far_token);
	}

	cm_p_cli(&r, t.dir, rm);
	ck_assert_msg(r.status == 0, "remove mid: %s", r.err);
	bpci_test_run_free(&r);
	t0 = cm_p_mono();
	while (cm_p_mono() - t0 < 15.0 && cm_p_alive(t.mid))
		usleep(50 * 1000);
	ck_assert(!cm_p_alive(t.mid));
	/* far now heartbeats the root: its link there counts up, and it is
	 * running under the root (not failed for want of its old parent). */
	while (cm_p_mono() - t0 < 15.0) {
		e = entry_at(t.url, "far", &tree);
		if (e && !strcmp(json_string_value(json_object_get(e, "parent_id")), "root") &&
		    !strcmp(json_string_value(json_object_get(e, "state")), "running")) {
			long hb = (long)json_integer_value(json_object_get(
				json_object_get(e, "link"), "heartbeats"));

			if (hb0 < 0 && hb > 0)
				hb0 = hb;
			else if (hb0 > 0 && hb >= hb0 + 3) {
				hb1 = hb;
				took = cm_p_mono() - t0;
			}
		}
		json_decref(tree);
		if (hb1 > 0)
			break;
		usleep(100 * 1000);
	}
	printf("remote daemon follows the root after its parent's removal: %.2f s\n", took);
	ck_assert_msg(hb1 > 0, "far never heartbeated the root (first count %ld)", hb0);
	ck_assert(took > 0 && took < 10.0);
	/* Still running after the old parent's failover timeout: the root is
	 * its parent, and the daemon itself names it. */
	usleep(3500 * 1000);
	ck_assert_int_eq(cm_p_wait_daemon(t.url, "far", "running", 0), far);
	e = entry_at(far_url, "far", &tree);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(json_string_value(json_object_get(e, "parent_id")), "root");
	json_decref(tree);

	cm_p_stop_child(t.mgr);
	ck_assert_uint_eq(cm_count_type(t.dir, "daemon.removed"), 1);
	ck_assert_uint_eq(cm_count_type(t.dir, "daemon.failed"), 0);
	cm_p_stop_child(far);
	free(far_url);
	cm_p_env_free(&t);
}
END_TEST

void cm_add_reparent(Suite *s)
{
	TCase *tc = tcase_create("reparent");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, remote_child_follows_new_parent);
	suite_add_tcase(s, tc);
}
