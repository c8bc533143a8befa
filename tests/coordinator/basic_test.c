/* Starting, watching, stopping: the everyday paths. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "coordinator_test.h"

START_TEST(test_start_notify_ready)
{
	ct_env e;
	bpci_node_spec *spec;
	bpci_node_status *s;
	char *id, *path, expect[64];
	struct stat sb;
	int pid;

	ct_setup(&e);
	spec = ct_spec("ready 30", "notify");
	id = ct_start_wait(&e, spec, BPCI_NODE_STATE_RUNNING);
	ck_assert_str_eq(id, "logbook-1");
	s = ct_status(&e, id);
	ck_assert_str_eq(s->id, "logbook-1");
	ck_assert_str_eq(s->name, "logbook-1");
	ck_assert_int_eq(s->type, BPCI_NODE_LOGBOOK);
	ck_assert_int_eq(s->state, BPCI_NODE_STATE_RUNNING);
	ck_assert_int_gt(s->pid, 0);
	ck_assert(ct_alive(s->pid));
	ck_assert_uint_eq(s->restarts, 0);
	ck_assert_uint_gt(s->port, 1023);
	ck_assert_uint_le(s->port, 65535);
	snprintf(expect, sizeof(expect), "http://127.0.0.1:%u", s->port);
	ck_assert_str_eq(s->endpoint, expect);
	ck_assert_uint_gt(s->start_latency_ms, 0);
	ck_assert_uint_lt(s->start_latency_ms, 5000);
	ck_assert_str_eq(s->status_text, "serving");
	ck_assert_int_gt(s->last_heartbeat_ms, 0);
	ck_assert_str_eq(s->failure_reason, "");
	pid = s->pid;
	/* the node's spec file, named by BPCI_NODE_CONFIG */
	path = malloc(strlen(e.dir) + 64);
	sprintf(path, "%s/run/logbook-1.json", e.dir);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 0777, 0600);
	{
		/* the spec plus the id and endpoint the coordinator chose */
		json_t *doc = json_load_file(path, 0, NULL);

		ck_assert_ptr_nonnull(doc);
		ck_assert_str_eq(json_string_value(json_object_get(doc, "id")), "logbook-1");
		ck_assert_str_eq(json_string_value(json_object_get(doc, "endpoint")), expect);
		ck_assert_str_eq(json_string_value(json_object_get(doc, "type")), "logbook");
		json_decref(doc);
	}
	/* starting -> running reported through the callback */
	ck_assert_uint_eq(ct_count(&e.ev, id, BPCI_NODE_STATE_STARTING), 1);
	ck_assert_uint_eq(ct_count(&e.ev, id, BPCI_NODE_STATE_RUNNING), 1);
	bpci_node_status_free(s);

	ck_assert_int_eq(bpci_coordinator_stop_node(e.c, id, e.diag), 0);
	ck_assert(!ct_alive(pid));
	ck_assert_int_eq(bpci_coordinator_get_node(&s, e.c, id, e.diag), BPCI_ENOTFOUND);
	ck_assert_ptr_null(s);
	ck_assert_contains(bpci_diag_last_text(e.diag), "logbook-1");
	ck_assert_int_ne(stat(path, &sb), 0);
	ck_assert_int_eq(bpci_coordinator_stop_node(e.c, id, NULL), BPCI_ENOTFOUND);
	free(path);
	bpci_free(id);
	bpci_node_spec_free(spec);
	ct_teardown(&e);
}
END_TEST

START_TEST(test_environment_and_logs)
{
	ct_env e;
	bpci_node_spec *spec = ct_spec("print hello-from-node", "notify");
	char *id, *logs = NULL, *path = NULL;
	int i, rc = 1;

	ct_setup(&e);
	ct_set(spec, "id", "printer");
	id = ct_start_wait(&e, spec, BPCI_NODE_STATE_RUNNING);
	ck_assert_str_eq(id, "printer");
	/* the line may still be in flight through the FIFO */
	for (i = 0; i < 50; i++) {
		bpci_free(logs);
		logs = NULL;
		rc = bpci_coordinator_node_logs(&logs, e.c, id, 10, NULL);
		if (rc == 0 && strstr(logs, "hello-from-node"))
			break;
		ct_run_for(e.c, 20);
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(logs, "hello-from-node id=printer\n");
	ck_assert_int_eq(bpci_coordinator_node_log_path(&path, e.c, id, NULL), 0);
	ck_assert(strstr(path, "/logs/printer.log") != NULL);
	bpci_free(logs);
	ck_assert_int_eq(bpci_coordinator_node_logs(&logs, e.c, "nope", 10, e.diag),
			 BPCI_ENOTFOUND);
	ck_assert_ptr_null(logs);
	/* a second node with the same id is refused */
	ck_assert_int_eq(bpci_coordinator_start_node(NULL, e.c, spec, NULL, e.diag),
			 BPCI_EEXISTS);
	ck_assert_contains(bpci_diag_last_text(e.diag), "\"printer\" already exists");
	bpci_free(path);
	bpci_free(id);
	bpci_node_spec_free(spec);
	ct_teardown(&e);
}
END_TEST

START_TEST(test_kill9_restarts)
{
	ct_env e;
	bpci_node_spec *spec = ct_spec("ready 30", "notify");
	bpci_node_status *s;
	char *id;
	int pid;

	ct_setup(&e);
	id = ct_start_wait(&e, spec, BPCI_NODE_STATE_RUNNING);
	s = ct_status(&e, id);
	pid = s->pid;
	bpci_node_status_free(s);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ct_wait(&e, id, BPCI_NODE_STATE_PENDING, 5000);
	ct_wait(&e, id, BPCI_NODE_STATE_RUNNING, 5000);
	s = ct_status(&e, id);
	ck_assert_int_gt(s->pid, 0);
	ck_assert_int_ne(s->pid, pid);
	ck_assert(ct_alive(s->pid));
	ck_assert_uint_eq(s->restarts, 1);
	ck_assert_int_eq(s->last_exit_signal, SIGKILL);
	ck_assert_int_eq(s->last_exit_code, -1);
	ck_assert_int_gt(s->last_exit_ms, 0);
	ck_assert_str_eq(s->failure_reason, ""); /* recovered */
	bpci_node_status_free(s);
	{
		size_t i;
		int seen = 0;

		for (i = 0; i < e.ev.count; i++)
			if (e.ev.to[i] == BPCI_NODE_STATE_PENDING) {
				ck_assert(strncmp(e.ev.reasons[i],
						  "killed by signal 9 (Killed); restarting in ",
						  43) == 0);
				seen++;
			}
		ck_assert_int_eq(seen, 1);
	}
	bpci_free(id);
	bpci_node_spec_free(spec);
	ct_teardown(&e);
}
END_TEST

START_TEST(test_executable_not_found)
{
	ct_env e;
	bpci_node_spec *spec;
	bpci_node_status *s;
	const char *argv[] = {"/nonexistent/bpci-test-prog", "x"};
	char *id = NULL;

	ct_setup(&e);
	ck_assert_int_eq(bpci_node_spec_new(&spec, BPCI_NODE_LOGBOOK), 0);
	ct_set(spec, "logbook_type", "transaction");
	ck_assert_int_eq(bpci_node_spec_set_list(spec, "command", argv, 2, NULL), 0);
	ck_assert_int_eq(bpci_coordinator_start_node(&id, e.c, spec, NULL, e.diag),
			 BPCI_ENOTFOUND);
	ck_assert_str_eq(id, "logbook-1");
	ck_assert_contains(bpci_diag_last_text(e.diag),
			   "executable not found: /nonexistent/bpci-test-prog");
	ct_run_for(e.c, 300);
	s = ct_status(&e, id);
	ck_assert_int_eq(s->state, BPCI_NODE_STATE_FAILED);
	ck_assert_str_eq(s->failure_reason, "executable not found: /nonexistent/bpci-test-prog");
	ck_assert_uint_eq(s->restarts, 0);
	ck_assert_int_eq(s->pid, 0);
	ck_assert_uint_eq(ct_count(&e.ev, id, BPCI_NODE_STATE_PENDING), 0);
	bpci_node_status_free(s);
	bpci_free(id);
	bpci_node_spec_free(spec);
	ct_teardown(&e);
}
END_TEST

START_TEST(test_sigkill_after_stop_timeout)
{
	ct_env e;
	bpci_node_spec *spec = ct_spec("ignore-term", "notify");
	bpci_node_status *s;
	char *id;
	long t0, took;
	int pid;

	ct_setup(&e);
	ct_set(spec, "stop.timeout", "300ms");
	id = ct_start_wait(&e, spec, BPCI_NODE_STATE_RUNNING);
	s = ct_status(&e, id);
	pid = s->pid;
	bpci_node_status_free(s);
	t0 = ct_now_ms();
	ck_assert_int_eq(bpci_coordinator_stop_node(e.c, id, e.diag), 0);
	took = ct_now_ms() - t0;
	ck_assert_int_ge(took, 290);
	ck_assert_int_lt(took, 3000);
	ck_assert(!ct_alive(pid));
	ck_assert_uint_eq(ct_count(&e.ev, id, BPCI_NODE_STATE_STOPPING), 1);
	bpci_free(id);
	bpci_node_spec_free(spec);
	ct_teardown(&e);
}
END_TEST

START_TEST(test_tcp_readiness)
{
	ct_env e;
	bpci_node_spec *spec = ct_spec("listen", "tcp");
	bpci_node_status *s;
	char *id;

	ct_setup(&e);
	id = ct_start_wait(&e, spec, BPCI_NODE_STATE_RUNNING);
	s = ct_status(&e, id);
	ck_assert_uint_gt(s->start_latency_ms, 0);
	ck_assert_int_gt(s->last_heartbeat_ms, 0);
	bpci_node_status_free(s);
	/* probes keep passing: still running after several intervals */
	ct_run_for(e.c, 400);
	s = ct_status(&e, id);
	ck_assert_int_eq(s->state, BPCI_NODE_STATE_RUNNING);
	ck_assert_uint_eq(s->restarts, 0);
	bpci_node_status_free(s);
	bpci_free(id);
	bpci_node_spec_free(spec);
	ct_teardown(&e);
}
END_TEST

START_TEST(test_http_readiness_and_failing_probe)
{
	ct_env e;
	/* 4 good answers, then 500s: ready, then unhealthy and restarted */
	bpci_node_spec *spec = ct_spec("http 4", "http");
	bpci_node_status *s;
	char *id;
	int pid;
	size_t i;
	int seen = 0;

	ct_setup(&e);
	ct_set(spec, "health.retries", "2");
	id = ct_start_wait(&e, spec, BPCI_NODE_STATE_RUNNING);
	pid = (s = ct_status(&e, id))->pid;
	ck_assert_uint_gt(s->start_latency_ms, 0);
	bpci_node_status_free(s);
	ct_wait(&e, id, BPCI_NODE_STATE_UNHEALTHY, 5000);
	ct_wait(&e, id, BPCI_NODE_STATE_RUNNING, 5000);
	s = ct_status(&e, id);
	ck_assert_int_ne(s->pid, pid);
	ck_assert_uint_eq(s->restarts, 1);
	bpci_node_status_free(s);
	for (i = 0; i < e.ev.count; i++)
		if (e.ev.to[i] == BPCI_NODE_STATE_UNHEALTHY) {
			ck_assert_contains(e.ev.reasons[i], "failed its probe 2 times in a row: ");
			ck_assert_contains(e.ev.reasons[i], "500");
			seen = 1;
		}
	ck_assert(seen);
	bpci_free(id);
	bpci_node_spec_free(spec);
	ct_teardown(&e);
}
END_TEST

START_TEST(test_exec_readiness)
{
	ct_env e;
	bpci_node_spec *spec = ct_spec("never-ready", "exec");
	const char *cmd[] = {"/bin/sh", "-c", "exit 0"};
	char *id;

	ct_setup(&e);
	ck_assert_int_eq(bpci_node_spec_set_list(spec, "health.command", cmd, 3, NULL), 0);
	id = ct_start_wait(&e, spec, BPCI_NODE_STATE_RUNNING);
	ct_run_for(e.c, 300);
	{
		bpci_node_status *s = ct_status(&e, id);

		ck_assert_int_eq(s->state, BPCI_NODE_STATE_RUNNING);
		ck_assert_uint_eq(s->restarts, 0);
		bpci_node_status_free(s);
	}
	bpci_free(id);
	bpci_node_spec_free(spec);
	ct_teardown(&e);
}
END_TEST

START_TEST(test_start_timeout)
{
	ct_env e;
	bpci_node_spec *spec = ct_spec("never-ready", "tcp");
	bpci_node_status *s;
	char *id = NULL;

	ct_setup(&e);
	ct_set(spec, "health.start_timeout", "300ms");
	ct_set(spec, "restart.policy", "temporary");
	ck_assert_int_eq(bpci_coordinator_start_node(&id, e.c, spec, NULL, e.diag), 0);
	ct_wait(&e, id, BPCI_NODE_STATE_FAILED, 5000);
	s = ct_status(&e, id);
	/* the node exits 0 on SIGTERM, or dies of it when it came before the
	 * node's handler was in place (a slow start under load) */
	ck_assert_msg(strcmp(s->failure_reason, "not ready after 300ms (exited with status 0)") ==
				      0 ||
			      strcmp(s->failure_reason, "not ready after 300ms (killed by signal 15 "
							"(Terminated))") == 0,
		      "unexpected reason \"%s\"", s->failure_reason);
	ck_assert_uint_eq(s->restarts, 0);
	bpci_node_status_free(s);
	bpci_free(id);
	bpci_node_spec_free(spec);
	ct_teardown(&e);
}
END_TEST

START_TEST(test_restart_node)
{
	ct_env e;
	bpci_node_spec *spec = ct_spec("ready 30", "notify");
	bpci_node_status *s;
	char *id;
	int pid;

	ct_setup(&e);
	id = ct_start_wait(&e, spec, BPCI_NODE_STATE_RUNNING);
	s = ct_status(&e, id);
	pid = s->pid;
	bpci_node_status_free(s);
	ck_assert_int_eq(bpci_coordinator_restart_node(e.c, id, e.diag), 0);
	ck_assert(!ct_alive(pid));
	ct_wait(&e, id, BPCI_NODE_STATE_RUNNING, 5000);
	s = ct_status(&e, id);
	ck_assert_int_ne(s->pid, pid);
	ck_assert_int_eq(s->last_exit_code, 0);
	bpci_node_status_free(s);
	ck_assert_int_eq(bpci_coordinator_restart_node(e.c, "nope", e.diag), BPCI_ENOTFOUND);
	bpci_free(id);
	bpci_node_spec_free(spec);
	ct_teardown(&e);
}
END_TEST

START_TEST(test_invalid_spec_and_retry)
{
	ct_env e;
	bpci_node_spec *spec;
	bpci_node_status_list *l;
	char *id = NULL;
	long t0, took;

	ct_setup(&e);
	ck_assert_int_eq(bpci_node_spec_new(&spec, BPCI_NODE_LOGBOOK), 0);
	/* logbook_type is required */
	ck_assert_int_eq(bpci_coordinator_start_node_with_retry(&id, e.c, spec, NULL, 3, 10,
								e.diag),
			 BPCI_EINVAL);
	ck_assert_ptr_null(id);
	ck_assert_contains(bpci_diag_last_text(e.diag), "logbook_type");
	bpci_node_spec_free(spec);
	/* a spawn that fails in the child (no such working directory) is
	 * retried after 50 and 100 ms, then reported; nothing is left */
	spec = ct_spec("ready", "notify");
	ct_set(spec, "working_dir", "/nonexistent-bpci-dir");
	bpci_diag_clear(e.diag);
	t0 = ct_now_ms();
	ck_assert_int_eq(bpci_coordinator_start_node_with_retry(&id, e.c, spec, NULL, 2, 50,
								e.diag),
			 BPCI_EIO);
	took = ct_now_ms() - t0;
	ck_assert_int_ge(took, 150);
	ck_assert_int_lt(took, 2000);
	ck_assert_contains(bpci_diag_last_text(e.diag), "/nonexistent-bpci-dir");
	ck_assert_int_eq(bpci_coordinator_list_nodes(&l, e.c, 0, NULL), 0);
	ck_assert_uint_eq(bpci_node_status_list_count(l), 0);
	bpci_node_status_list_free(l);
	/* and a good spec starts on the first attempt */
	ck_assert_int_eq(bpci_node_spec_unset(spec, "working_dir"), 0);
	ck_assert_int_eq(bpci_coordinator_start_node_with_retry(&id, e.c, spec,
								"http://127.0.0.1:1/", 2, 50,
								e.diag),
			 0);
	ck_assert_str_eq(id, "logbook-1");
	ct_wait(&e, id, BPCI_NODE_STATE_RUNNING, 5000);
	{
		bpci_node_status *s = ct_status(&e, id);

		ck_assert_str_eq(s->endpoint, "http://127.0.0.1:1/");
		ck_assert_uint_eq(s->port, 1);
		bpci_node_status_free(s);
	}
	ck_assert_int_eq(bpci_coordinator_start_node(NULL, e.c, spec, "ftp://x", e.diag),
			 BPCI_EINVAL);
	ck_assert_contains(bpci_diag_last_text(e.diag), "endpoint");
	bpci_free(id);
	bpci_node_spec_free(spec);
	ct_teardown(&e);
}
END_TEST

START_TEST(test_status_json)
{
	ct_env e;
	bpci_node_spec *spec = ct_spec("ready 30", "notify");
	bpci_node_status_list *l, *l2;
	bpci_node_status *s, *s2;
	char *id, *json, *json2;
	bpci_node_state st;

	ct_setup(&e);
	id = ct_start_wait(&e, spec, BPCI_NODE_STATE_RUNNING);
	s = ct_status(&e, id);
	ck_assert_int_eq(bpci_node_status_to_json(&json, s), 0);
	ck_assert_contains(json, "\"id\":\"logbook-1\"");
	ck_assert_contains(json, "\"state\":\"running\"");
	ck_assert_contains(json, "\"type\":\"logbook\"");
	ck_assert_contains(json, "\"last_exit\":null");
	ck_assert_int_eq(bpci_node_status_from_json(&s2, json, strlen(json), NULL), 0);
	ck_assert_str_eq(s2->id, s->id);
	ck_assert_str_eq(s2->endpoint, s->endpoint);
	ck_assert_int_eq(s2->pid, s->pid);
	ck_assert_uint_eq(s2->port, s->port);
	ck_assert_int_eq(s2->state, BPCI_NODE_STATE_RUNNING);
	ck_assert_int_eq(s2->last_exit_code, -1);
	ck_assert_int_eq(bpci_node_status_to_json(&json2, s2), 0);
	ck_assert_str_eq(json2, json);
	bpci_free(json);
	bpci_free(json2);
	bpci_node_status_free(s2);
	bpci_node_status_free(s);

	ck_assert_int_eq(bpci_coordinator_list_nodes(&l, e.c, BPCI_NODE_LOGBOOK, NULL), 0);
	ck_assert_uint_eq(bpci_node_status_list_count(l), 1);
	ck_assert_str_eq(bpci_node_status_list_get(l, 0)->id, "logbook-1");
	ck_assert_ptr_null(bpci_node_status_list_get(l, 1));
	ck_assert_int_eq(bpci_node_status_list_to_json(&json, l), 0);
	ck_assert(strncmp(json, "{\"nodes\":[{", 11) == 0);
	ck_assert_int_eq(bpci_node_status_list_from_json(&l2, json, strlen(json), NULL), 0);
	ck_assert_uint_eq(bpci_node_status_list_count(l2), 1);
	ck_assert_str_eq(bpci_node_status_list_get(l2, 0)->id, "logbook-1");
	bpci_free(json);
	bpci_node_status_list_free(l);
	bpci_node_status_list_free(l2);
	ck_assert_int_eq(bpci_coordinator_list_nodes(&l, e.c, BPCI_NODE_STORAGE, NULL), 0);
	ck_assert_uint_eq(bpci_node_status_list_count(l), 0);
	bpci_node_status_list_free(l);

	ck_assert_int_eq(bpci_node_status_from_json(&s, "{\"id\":1}", 8, e.diag), BPCI_EINVAL);
	ck_assert_int_eq(bpci_node_status_from_json(&s, "{", 1, e.diag), BPCI_EPARSE);
	json = "{\"id\":\"a\",\"type\":\"logbook\",\"state\":\"dancing\"}";
	ck_assert_int_eq(bpci_node_status_from_json(&s, json, strlen(json), e.diag), BPCI_EINVAL);
	ck_assert_contains(bpci_diag_last_text(e.diag), "\"dancing\"");
	ck_assert_int_eq(bpci_node_state_parse(&st, "unhealthy"), 0);
	ck_assert_int_eq(st, BPCI_NODE_STATE_UNHEALTHY);
	ck_assert_int_eq(bpci_node_state_parse(&st, "bogus"), BPCI_EINVAL);
	ck_assert_str_eq(bpci_node_state_name(BPCI_NODE_STATE_FAILED), "failed");
	ck_assert_ptr_null(bpci_node_state_name((bpci_node_state)0));
	ck_assert_ptr_null(bpci_node_state_name((bpci_node_state)8));
	bpci_free(id);
	bpci_node_spec_free(spec);
	ct_teardown(&e);
}
END_TEST

/*
 * The list is written without jansson (the API's hot path): it must give
 * the very bytes jansson gives for each entry (bpci_node_status_to_json),
 * escapes, UTF-8, a last exit and large numbers included.
 */
START_TEST(test_status_list_json_matches_jansson)
{
	const char *in =
		"{\"nodes\":[{\"id\":\"a\\\"b\\\\c/d\",\"name\":\"n\\u00e9\\u20ac\\ud83d\\ude00\","
		"\"type\":\"logbook\",\"state\":\"failed\",\"endpoint\":\"tcp://h:1\","
		"\"failure_reason\":\"tab\\there\\nnl\\r\\b\\f\\u0001\\u001f\\u007f\","
		"\"status_text\":\"\",\"pid\":-7,\"restarts\":4294967295,\"port\":65535,"
		"\"last_heartbeat_ms\":9007199254740993,\"started_ms\":-1,"
		"\"uptime_ms\":123456789012,\"start_latency_ms\":0,"
		"\"last_exit\":{\"code\":137,\"signal\":9,\"time_ms\":1700000000000}},"
		"{\"id\":\"z\",\"type\":\"storage\",\"state\":\"running\"}]}";
	bpci_node_status_list *l = NULL;
	char *json = NULL, *one = NULL, *two = NULL;
	char want[4096];

	ck_assert_int_eq(bpci_node_status_list_from_json(&l, in, strlen(in), NULL), 0);
	ck_assert_uint_eq(bpci_node_status_list_count(l), 2);
	ck_assert_int_eq(bpci_node_status_list_to_json(&json, l), 0);
	ck_assert_int_eq(bpci_node_status_to_json(&one, bpci_node_status_list_get(l, 0)), 0);
	ck_assert_int_eq(bpci_node_status_to_json(&two, bpci_node_status_list_get(l, 1)), 0);
	ck_assert_int_lt(snprintf(want, sizeof(want), "{\"nodes\":[%s,%s]}", one, two),
			 (int)sizeof(want));
	ck_assert_str_eq(json, want);
	ck_assert_ptr_nonnull(strstr(json, "\"failure_reason\":\"tab\\there\\nnl\\r\\b\\f"
					   "\\u0001\\u001F\x7f\""));
	ck_assert_ptr_nonnull(strstr(json, "\"last_exit\":null"));
	bpci_free(json);
	bpci_free(one);
	bpci_free(two);
	bpci_node_status_list_free(l);

	ck_assert_int_eq(bpci_node_status_list_from_json(&l, "{\"nodes\":[]}", 12, NULL), 0);
	ck_assert_int_eq(bpci_node_status_list_to_json(&json, l), 0);
	ck_assert_str_eq(json, "{\"nodes\":[]}");
	bpci_free(json);
	bpci_node_status_list_free(l);
}
END_TEST

void ct_add_basic(Suite *s)
{
	TCase *tc = tcase_create("basic");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_start_notify_ready);
	tcase_add_test(tc, test_environment_and_logs);
	tcase_add_test(tc, test_kill9_restarts);
	tcase_add_test(tc, test_executable_not_found);
	tcase_add_test(tc, test_sigkill_after_stop_timeout);
	tcase_add_test(tc, test_tcp_readiness);
	tcase_add_test(tc, test_http_readiness_and_failing_probe);
	tcase_add_test(tc, test_exec_readiness);
	tcase_add_test(tc, test_start_timeout);
	tcase_add_test(tc, test_restart_node);
	tcase_add_test(tc, test_invalid_spec_and_retry);
	tcase_add_test(tc, test_status_json);
	tcase_add_test(tc, test_status_list_json_matches_jansson);
	suite_add_tcase(s, tc);
}
