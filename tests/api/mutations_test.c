/* Starting, stopping, restarting and reloading over HTTP; bad specs; auth. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api_test.h"

static size_t node_count(bpci_client *cl)
{
	bpci_node_status_list *list = NULL;
	size_t n;

	ck_assert_int_eq(bpci_client_list_nodes(&list, cl, (bpci_node_type)0, NULL), 0);
	n = bpci_node_status_list_count(list);
	bpci_node_status_list_free(list);
	return n;
}

static int node_pid(bpci_client *cl, const char *id)
{
	bpci_node_status *st = NULL;
	int pid;

	ck_assert_int_eq(bpci_client_get_node(&st, cl, id, NULL), 0);
	pid = st->pid;
	bpci_node_status_free(st);
	return pid;
}

static void wait_dead(int pid)
{
	double t0 = now_s();

	while (pid_alive(pid) && now_s() - t0 < 5.0)
		usleep(10000);
	ck_assert_msg(!pid_alive(pid), "pid %d still alive", pid);
}

START_TEST(start_restart_stop)
{
	api_fx fx;
	bpci_client *cl;
	bpci_node_spec *spec = fx_spec("worker", "exec sleep 30");
	char *id = NULL;
	int pid1, pid2;

	fx_start(&fx, NULL, 0);
	cl = fx_client(&fx, NULL);
	ck_assert_int_eq(bpci_client_start_node(&id, cl, spec, NULL, NULL), 0);
	fx_wait_state(cl, id, BPCI_NODE_STATE_RUNNING);
	pid1 = node_pid(cl, id);
	ck_assert(pid_alive(pid1));
	/* The same name again is a second node with the next id. */
	{
		char *id2 = NULL;

		ck_assert_int_eq(bpci_client_start_node(&id2, cl, spec, NULL, NULL), 0);
		ck_assert_str_eq(id2, "storage-2");
		ck_assert_int_eq(bpci_client_stop_node(cl, id2, NULL), 0);
		bpci_free(id2);
	}
	ck_assert_int_eq(bpci_client_restart_node(cl, id, NULL), 0);
	fx_wait_state(cl, id, BPCI_NODE_STATE_RUNNING);
	pid2 = node_pid(cl, id);
	ck_assert_int_ne(pid1, pid2);
	ck_assert(pid_alive(pid2));
	wait_dead(pid1);
	/* DELETE answers once the process has exited. */
	ck_assert_int_eq(bpci_client_stop_node(cl, id, NULL), 0);
	ck_assert(!pid_alive(pid2));
	ck_assert_uint_eq(node_count(cl), 0);
	ck_assert_int_eq(bpci_client_stop_node(cl, id, NULL), BPCI_ENOTFOUND);
	ck_assert_int_eq(bpci_client_restart_node(cl, "storage-7", NULL), BPCI_ENOTFOUND);
	bpci_free(id);
	bpci_node_spec_free(spec);
	bpci_client_free(cl);
	fx_stop(&fx);
}
END_TEST

START_TEST(missing_executable_is_failed_not_retried)
{
	api_fx fx;
	bpci_client *cl;
	bpci_node_spec *spec = fx_spec("ghost", "true");
	bpci_node_status *st = NULL;
	char *id = NULL;

	ck_assert_int_eq(bpci_node_spec_set(spec, "command", "/nonexistent/bpci-ghost --x", NULL),
			 0);
	fx_start(&fx, NULL, 0);
	cl = fx_client(&fx, NULL);
	ck_assert_int_eq(bpci_client_start_node(&id, cl, spec, NULL, NULL), 0);
	ck_assert_ptr_nonnull(id);
	usleep(300000);
	ck_assert_int_eq(bpci_client_get_node(&st, cl, id, NULL), 0);
	ck_assert_int_eq(st->state, BPCI_NODE_STATE_FAILED);
	api_assert_has(st->failure_reason, "executable not found: /nonexistent/bpci-ghost");
	ck_assert_uint_eq(st->restarts, 0);
	bpci_node_status_free(st);
	bpci_free(id);
	bpci_node_spec_free(spec);
	bpci_client_free(cl);
	fx_stop(&fx);
}
END_TEST

static const char bad_spec[] =
	"{\"type\":\"storage\",\"params\":{\"capacity_gb\":-5,\"replication_factor\":99,"
	"\"storage_type\":\"nope\"},\"restart\":{\"policy\":\"sometimes\"}}";

START_TEST(invalid_spec_names_every_field)
{
	api_fx fx;
	bpci_client *cl;
	bpci_node_spec *spec = NULL;
	bpci_diag *d = NULL;
	char req[1024], buf[8192];
	const char *fields[] = {"params.capacity_gb", "params.replication_factor",
				"params.storage_type", "restart.policy"};
	size_t i;

	fx_start(&fx, NULL, 0);
	cl = fx_client(&fx, NULL);
	snprintf(req, sizeof(req), "POST /api/nodes HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
		 "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
		 "Content-Length: %zu\r\n\r\n%s", fx.token, strlen(bad_spec), bad_spec);
	ck_assert_int_eq(raw_http(fx.port, req, buf, sizeof(buf)), 400);
	api_assert_has(raw_body(buf), "{\"error\":{\"code\":\"invalid\"");
	api_assert_has(raw_body(buf), "\"errors\":[");
	for (i = 0; i < 4; i++) {
		char f[96];

		snprintf(f, sizeof(f), "\"field\":\"%s\"", fields[i]);
		api_assert_has(raw_body(buf), f);
	}
	api_assert_has(raw_body(buf), "got -5");
	api_assert_has(raw_body(buf), "got 99");
	api_assert_has(raw_body(buf), "got 'nope'");
	api_assert_has(raw_body(buf), "got 'sometimes'");
	/* Not JSON: 400 parse with the position. */
	snprintf(req, sizeof(req), "POST /api/nodes HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
		 "Authorization: Bearer %s\r\nContent-Length: 18\r\n\r\n{\"type\":\"storage\",",
		 fx.token);
	ck_assert_int_eq(raw_http(fx.port, req, buf, sizeof(buf)), 400);
	api_assert_has(raw_body(buf), "\"code\":\"parse\"");
	api_assert_has(raw_body(buf), "1:18");
	/* Whole-spec validation through the client: both required fields. */
	ck_assert_int_eq(bpci_node_spec_new(&spec, BPCI_NODE_STORAGE), 0);
	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci_client_start_node(NULL, cl, spec, NULL, d), BPCI_EINVAL);
	ck_assert_uint_ge(bpci_diag_error_count(d), 2);
	{
		int cap = 0, type = 0;

		for (i = 0; i < bpci_diag_count(d); i++) {
			const bpci_diag_entry *e = bpci_diag_get(d, i);

			cap |= strstr(e->field, "capacity_gb") != NULL;
			type |= strstr(e->field, "storage_type") != NULL;
			ck_assert_int_eq(e->code, BPCI_EINVAL);
		}
		ck_assert_msg(cap && type, "fields missing: %s", bpci_diag_last_text(d));
	}
	/* Nothing was started. */
	ck_assert_uint_eq(node_count(cl), 0);
	bpci_diag_free(d);
	bpci_node_spec_free(spec);
	bpci_client_free(cl);
	fx_stop(&fx);
}
END_TEST

START_TEST(mutations_need_the_token)
{
	api_fx fx;
	bpci_client *cl, *bad;
	bpci_node_spec *spec = fx_spec("guarded", "exec sleep 30");
	bpci_diag *d = NULL;
	char req[1024], buf[4096];
	const char *body = "{\"type\":\"storage\"}";

	fx_start(&fx, NULL, 0);
	cl = fx_client(&fx, NULL);
	bad = fx_client(&fx, "wrong-token");
	snprintf(req, sizeof(req), "POST /api/nodes HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
		 "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
	ck_assert_int_eq(raw_http(fx.port, req, buf, sizeof(buf)), 401);
	api_assert_has(buf, "WWW-Authenticate: Bearer");
	api_assert_has(raw_body(buf), "\"code\":\"unauthorized\"");
	snprintf(req, sizeof(req), "DELETE /api/nodes/storage-1 HTTP/1.1\r\nHost: x\r\n"
		 "Connection: close\r\nAuthorization: Bearer nope\r\n\r\n");
	ck_assert_int_eq(raw_http(fx.port, req, buf, sizeof(buf)), 401);
	ck_assert_int_eq(raw_http(fx.port, "POST /api/reload HTTP/1.1\r\nHost: x\r\n"
				  "Connection: close\r\nContent-Length: 0\r\n\r\n", buf,
				  sizeof(buf)), 401);
	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci_client_start_node(NULL, bad, spec, NULL, d), BPCI_EINVAL);
	ck_assert_str_eq(bpci_diag_get(d, 0)->field, "token");
	api_assert_has(bpci_diag_get(d, 0)->message, "wrong token");
	ck_assert_uint_eq(node_count(bad), 0); /* reads need no token */
	/* The right token works. */
	ck_assert_int_eq(bpci_client_start_node(NULL, cl, spec, NULL, NULL), 0);
	ck_assert_int_eq(bpci_client_stop_node(bad, "storage-1", NULL), BPCI_EINVAL);
	ck_assert_uint_eq(node_count(cl), 1);
	bpci_diag_free(d);
	bpci_node_spec_free(spec);
	bpci_client_free(bad);
	bpci_client_free(cl);
	fx_stop(&fx);
}
END_TEST

static const char config_one[] =
	"nodes:\n"
	"  - type: storage\n"
	"    name: first\n"
	"    storage_type: distributed\n"
	"    capacity_gb: 10\n"
	"    command: [/bin/sh, -c, 'exec sleep 30']\n"
	"    health:\n"
	"      type: none\n";

static const char config_two[] =
	"  - type: audit\n"
	"    name: second\n"
	"    audit_scope: full\n"
	"    command: [/bin/sh, -c, 'exec sleep 30']\n"
	"    health:\n"
	"      type: none\n";

START_TEST(reload_applies_the_file)
{
	api_fx fx;
	bpci_client *cl;
	bpci_diag *d = NULL;
	bpci_node_status_list *list = NULL;
	char *both = malloc(strlen(config_one) + strlen(config_two) + 1), *path;

	fx_start(&fx, config_one, 0);
	cl = fx_client(&fx, NULL);
	ck_assert_uint_eq(node_count(cl), 1);
	sprintf(both, "%s%s", config_one, config_two);
	path = bpci_test_write_file(fx.dir, "config.yaml", both);
	ck_assert_int_eq(bpci_client_reload(cl, NULL), 0);
	ck_assert_int_eq(bpci_client_list_nodes(&list, cl, (bpci_node_type)0, NULL), 0);
	ck_assert_uint_eq(bpci_node_status_list_count(list), 2);
	ck_assert_str_eq(bpci_node_status_list_get(list, 1)->name, "second");
	bpci_node_status_list_free(list);
	/* A broken file changes nothing and says why. */
	free(path);
	path = bpci_test_write_file(fx.dir, "config.yaml",
				    "nodes:\n  - type: storage\n    capacity_gb: -1\n");
	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci_client_reload(cl, d), BPCI_EINVAL);
	ck_assert_uint_ge(bpci_diag_error_count(d), 2); /* every problem, not the first */
	api_assert_has(bpci_diag_get(d, 0)->text, "capacity_gb");
	api_assert_has(bpci_diag_get(d, 0)->text, "got '-1'");
	api_assert_has(bpci_diag_last_text(d), "storage_type is required");
	ck_assert_uint_eq(node_count(cl), 2);
	/* Back to one node: the other is stopped. */
	free(path);
	path = bpci_test_write_file(fx.dir, "config.yaml", config_one);
	ck_assert_int_eq(bpci_client_reload(cl, NULL), 0);
	ck_assert_uint_eq(node_count(cl), 1);
	free(path);
	free(both);
	bpci_diag_free(d);
	bpci_client_free(cl);
	fx_stop(&fx);

	/* Without a configuration file there is nothing to reload: 409. */
	fx_start(&fx, NULL, 0);
	cl = fx_client(&fx, NULL);
	ck_assert_int_eq(bpci_client_reload(cl, NULL), BPCI_EEXISTS);
	bpci_client_free(cl);
	fx_stop(&fx);
}
END_TEST

void add_mutation_tests(Suite *s)
{
	TCase *tc = tcase_create("mutations");

	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, start_restart_stop);
	tcase_add_test(tc, missing_executable_is_failed_not_retried);
	tcase_add_test(tc, invalid_spec_names_every_field);
	tcase_add_test(tc, mutations_need_the_token);
	tcase_add_test(tc, reload_applies_the_file);
	suite_add_tcase(s, tc);
}
