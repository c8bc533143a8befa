/*
 * The routes' bad input and removal, against a real root daemon: a bad
 * restart type, an unknown key, a duplicate id, a remote spec, a missing
 * token, removal of an unknown id, a heartbeat from a daemon that never
 * joined, a malformed join; DELETE stops the child's process and forgets
 * it; a coordinator without --daemon-id has no tree.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "bpci.h"
#include "daemon_test.h"

static void expect(const char *method, const char *url, const char *token, const char *body,
		   long status, const char *needle)
{
	char *answer = NULL;
	long st = dt_http(method, url, token, body, &answer);

	ck_assert_msg(st == status, "%s %s %s: %ld, expected %ld: %s", method, url,
		      body ? body : "", st, status, answer);
	ck_assert_msg(strstr(answer, needle) != NULL, "%s %s: no \"%s\" in %s", method, url,
		      needle, answer);
	free(answer);
}

START_TEST(bad_requests_are_refused_with_the_field)
{
	char *tmp = bpci_test_mkdtemp(), dir[1024], u[512];
	dt_daemon root;

	snprintf(dir, sizeof(dir), "%s/root", tmp);
	dt_start(&root, dir, "root", NULL);
	snprintf(u, sizeof(u), "%s/api/daemons", root.url);
	expect("POST", u, root.token, "{\"daemon_id\":\"x\",\"restart\":\"sometimes\"}", 400,
	       "'sometimes'");
	expect("POST", u, root.token, "{\"daemon_id\":\"x\",\"colour\":\"red\"}", 400,
	       "\"field\":\"colour\"");
	expect("POST", u, root.token, "{\"restart\":\"permanent\"}", 400,
	       "\"field\":\"daemon_id\"");
	expect("POST", u, root.token, "{\"daemon_id\":\"x\",\"remote\":true}", 400,
	       "\"field\":\"remote\"");
	expect("POST", u, root.token, "{\"daemon_id\":\"bad id!\"}", 400, "\"field\":\"id\"");
	expect("POST", u, root.token, "{\"daemon_id\":\"root\"}", 409, "already a daemon");
	expect("POST", u, NULL, "{\"daemon_id\":\"x\"}", 401, "unauthorized");
	expect("POST", u, root.token, "[1,2]", 400, "JSON object");
	snprintf(u, sizeof(u), "%s/api/daemons/ghost", root.url);
	expect("DELETE", u, root.token, NULL, 404, "'ghost' is no child daemon of 'root'");
	snprintf(u, sizeof(u), "%s/api/daemon-tree/heartbeat", root.url);
	expect("POST", u, root.token, "{\"daemon_id\":\"ghost\",\"seq\":1}", 404,
	       "has not joined 'root'");
	snprintf(u, sizeof(u), "%s/api/daemon-tree/join", root.url);
	expect("POST", u, root.token, "{\"daemon_id\":\"x\"}", 400, "\"field\":\"url\"");
	expect("POST", u, root.token, "{\"daemon_id\":\"root\",\"url\":\"http://h:1\"}", 400,
	       "own id");
	expect("POST", u, root.token, "not json", 400, "JSON object");
	snprintf(u, sizeof(u), "%s/api/daemon-tree/escalate", root.url);
	expect("POST", u, root.token, "{\"daemon_id\":\"x\",\"child_id\":\"y\",\"reason\":\"r\"}",
	       200, "logged");
	ck_assert_int_eq(dt_stop(&root), 0);
	dt_free(&root);
	bpci_test_rmtree(tmp);
	free(tmp);
}
END_TEST

START_TEST(delete_stops_and_forgets_the_child)
{
	char *tmp = bpci_test_mkdtemp(), dir[1024], u[512], *answer = NULL, *file;
	dt_daemon root;
	long pid;
	double t0;

	snprintf(dir, sizeof(dir), "%s/root", tmp);
	dt_start(&root, dir, "root", "--heartbeat-interval", "300ms", NULL);
	dt_add_child(root.url, root.token, "kid", "permanent");
	pid = dt_wait_state(root.url, "kid", "running", 0, 1, 15000);
	snprintf(u, sizeof(u), "%s/api/daemons", root.url);
	expect("POST", u, root.token, "{\"daemon_id\":\"kid\"}", 409, "already a daemon");
	snprintf(dir, sizeof(dir), "%s/root/daemons.json", tmp);
	file = dt_slurp(dir);
	ck_assert_ptr_nonnull(strstr(file, "\"daemon_id\": \"kid\""));
	free(file);
	snprintf(u, sizeof(u), "%s/api/daemons/kid", root.url);
	expect("DELETE", u, root.token, NULL, 200, "\"state\":\"stopping\"");
	t0 = dt_now();
	while (dt_alive(pid)) {
		ck_assert_msg(dt_now() - t0 < 10, "kid (pid %ld) still runs", pid);
		dt_sleep_ms(50);
	}
	snprintf(u, sizeof(u), "%s/api/daemons", root.url);
	ck_assert_int_eq(dt_http("GET", u, NULL, NULL, &answer), 200);
	ck_assert_str_eq(answer, "{\"daemons\":[]}");
	free(answer);
	file = dt_slurp(dir);
	ck_assert_ptr_null(strstr(file, "kid"));
	free(file);
	ck_assert_int_eq(dt_stop(&root), 0);
	dt_free(&root);
	bpci_test_rmtree(tmp);
	free(tmp);
}
END_TEST

START_TEST(restarted_root_readopts_its_children)
{
	char *tmp = bpci_test_mkdtemp(), dir[1024];
	dt_daemon root;
	long pid, pid2;

	snprintf(dir, sizeof(dir), "%s/root", tmp);
	dt_start(&root, dir, "root", "--heartbeat-interval", "300ms", NULL);
	dt_add_child(root.url, root.token, "kid", "permanent");
	pid = dt_wait_state(root.url, "kid", "running", 0, 1, 15000);
	kill(root.pid, SIGKILL);
	waitpid(root.pid, NULL, 0);
	root.pid = 0;
	dt_free(&root);
	ck_assert(dt_alive(pid)); /* the child outlives its parent */
	dt_start(&root, dir, "root", "--heartbeat-interval", "300ms", NULL);
	/* the same process, joined again to the new parent (new port) */
	pid2 = dt_wait_state(root.url, "kid", "running", 0, 2, 15000);
	ck_assert_int_eq(pid2, pid);
	ck_assert_int_eq(dt_stop(&root), 0);
	ck_assert(!dt_alive(pid));
	dt_free(&root);
	bpci_test_rmtree(tmp);
	free(tmp);
}
END_TEST

void dt_add_api_tests(Suite *s)
{
	TCase *tc = tcase_create("api");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, bad_requests_are_refused_with_the_field);
	tcase_add_test(tc, delete_stops_and_forgets_the_child);
	tcase_add_test(tc, restarted_root_readopts_its_children);
	suite_add_tcase(s, tc);
}
