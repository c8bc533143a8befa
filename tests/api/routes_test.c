/* The read routes, the token and URL files, and errors for what is not there. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api_test.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 4096);

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_gt(fread(buf, 1, 4095, f), 0);
	fclose(f);
	return buf;
}

START_TEST(token_and_url_files)
{
	bpci_coordinator_options co = BPCI_COORDINATOR_OPTIONS_INIT;
	bpci_server_options so = BPCI_SERVER_OPTIONS_INIT;
	bpci_coordinator *c = NULL;
	bpci_server *srv = NULL;
	char *dir = bpci_test_mkdtemp(), path[512], *tok, *url, first[80];
	struct stat st;
	size_t i;

	co.state_dir = dir;
	so.listen = "127.0.0.1:0";
	ck_assert_int_eq(bpci_coordinator_new(&c, &co, NULL), 0);
	ck_assert_int_eq(bpci_coordinator_serve(&srv, c, &so, NULL), 0);
	snprintf(path, sizeof(path), "%s/api.token", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	tok = slurp(path);
	ck_assert_uint_eq(strlen(tok), 65);
	ck_assert_int_eq(tok[64], '\n');
	for (i = 0; i < 64; i++)
		ck_assert_msg(strchr("0123456789abcdef", tok[i]) != NULL, "not hex: %s", tok);
	ck_assert_int_eq(strncmp(tok, bpci_server_token(srv), 64), 0);
	snprintf(first, sizeof(first), "%.64s", tok);
	snprintf(path, sizeof(path), "%s/api.url", dir);
	url = slurp(path);
	ck_assert_int_eq(strncmp(url, "http://127.0.0.1:", 17), 0);
	ck_assert_int_ne(atoi(url + 17), 0);
	ck_assert_int_ne(atoi(url + 17), 8080);
	ck_assert_uint_eq(strlen(url), strlen(bpci_server_url(srv)) + 1);
	ck_assert_int_eq(strncmp(url, bpci_server_url(srv), strlen(url) - 1), 0);
	bpci_server_free(srv);
	ck_assert_int_eq(access(path, F_OK), -1); /* api.url is gone */
	/* A second server reuses the token. */
	ck_assert_int_eq(bpci_coordinator_serve(&srv, c, &so, NULL), 0);
	ck_assert_str_eq(bpci_server_token(srv), first);
	bpci_server_free(srv);
	/* A port in use is refused with BPCI_EBUSY. */
	{
		bpci_server *a = NULL, *b = NULL;
		bpci_diag *d = NULL;
		char addr[64];

		ck_assert_int_eq(bpci_coordinator_serve(&a, c, &so, NULL), 0);
		snprintf(addr, sizeof(addr), "127.0.0.1:%s",
			 strrchr(bpci_server_url(a), ':') + 1);
		so.listen = addr;
		ck_assert_int_eq(bpci_diag_new(&d), 0);
		ck_assert_int_eq(bpci_coordinator_serve(&b, c, &so, d), BPCI_EBUSY);
		ck_assert_ptr_null(b);
		bpci_diag_free(d);
		bpci_server_free(a);
	}
	bpci_coordinator_free(c);
	free(tok);
	free(url);
	bpci_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(read_routes)
{
	api_fx fx;
	bpci_client *cl;
	bpci_node_spec *spec = fx_spec("reader", "echo hi; exec sleep 30");
	bpci_node_status_list *list = NULL;
	bpci_node_status *st = NULL;
	char *id = NULL, *health = NULL, *metrics = NULL, buf[8192], req[256];

	fx_start(&fx, NULL, 0);
	cl = fx_client(&fx, NULL);
	ck_assert_int_eq(raw_http(fx.port, "GET /readyz HTTP/1.1\r\nHost: x\r\n"
				  "Connection: close\r\n\r\n", buf, sizeof(buf)), 200);
	ck_assert_int_eq(bpci_client_start_node(&id, cl, spec, NULL, NULL), 0);
	ck_assert_str_eq(id, "storage-1");
	fx_wait_state(cl, id, BPCI_NODE_STATE_RUNNING);

	ck_assert_int_eq(raw_http(fx.port, "GET /healthz HTTP/1.1\r\nHost: x\r\n"
				  "Connection: close\r\n\r\n", buf, sizeof(buf)), 200);
	ck_assert_str_eq(raw_body(buf), "ok\n");
	ck_assert_int_eq(raw_http(fx.port, "GET /readyz HTTP/1.1\r\nHost: x\r\n"
				  "Connection: close\r\n\r\n", buf, sizeof(buf)), 200);
	ck_assert_str_eq(raw_body(buf), "{\"ready\":true,\"not_ready\":[]}");

	ck_assert_int_eq(bpci_client_health(&health, cl, NULL), 0);
	api_assert_has(health, "\"status\":\"healthy\"");
	api_assert_has(health, "\"nodes\":1");
	api_assert_has(health, "\"running\":1");

	ck_assert_int_eq(bpci_client_list_nodes(&list, cl, (bpci_node_type)0, NULL), 0);
	ck_assert_uint_eq(bpci_node_status_list_count(list), 1);
	ck_assert_str_eq(bpci_node_status_list_get(list, 0)->name, "reader");
	bpci_node_status_list_free(list);
	ck_assert_int_eq(bpci_client_list_nodes(&list, cl, BPCI_NODE_STORAGE, NULL), 0);
	ck_assert_uint_eq(bpci_node_status_list_count(list), 1);
	bpci_node_status_list_free(list);
	ck_assert_int_eq(bpci_client_list_nodes(&list, cl, BPCI_NODE_ORACLE, NULL), 0);
	ck_assert_uint_eq(bpci_node_status_list_count(list), 0);
	bpci_node_status_list_free(list);
	/* The original's path with its filter, raw. */
	ck_assert_int_eq(raw_http(fx.port, "GET /api/nodes/status?type=enc-cluster HTTP/1.1\r\n"
				  "Host: x\r\nConnection: close\r\n\r\n", buf, sizeof(buf)), 200);
	ck_assert_str_eq(raw_body(buf), "{\"nodes\":[]}");
	ck_assert_int_eq(raw_http(fx.port, "GET /api/nodes/status?type=bogus HTTP/1.1\r\n"
				  "Host: x\r\nConnection: close\r\n\r\n", buf, sizeof(buf)), 400);
	api_assert_has(raw_body(buf), "\"field\":\"type\"");
	api_assert_has(raw_body(buf), "got 'bogus'");

	ck_assert_int_eq(bpci_client_get_node(&st, cl, id, NULL), 0);
	ck_assert_str_eq(st->id, "storage-1");
	ck_assert_int_eq(st->type, BPCI_NODE_STORAGE);
	ck_assert_int_eq(st->state, BPCI_NODE_STATE_RUNNING);
	ck_assert_msg(pid_alive(st->pid), "pid %d", st->pid);
	ck_assert_int_eq(strncmp(st->endpoint, "http://127.0.0.1:", 17), 0);
	bpci_node_status_free(st);

	/* Unknown node: 404 JSON, BPCI_ENOTFOUND. */
	ck_assert_int_eq(bpci_client_get_node(&st, cl, "storage-99", NULL), BPCI_ENOTFOUND);
	snprintf(req, sizeof(req), "GET /api/nodes/nope HTTP/1.1\r\nHost: x\r\n"
				   "Connection: close\r\n\r\n");
	ck_assert_int_eq(raw_http(fx.port, req, buf, sizeof(buf)), 404);
	api_assert_has(raw_body(buf), "{\"error\":{\"code\":\"not_found\"");
	api_assert_has(raw_body(buf), "'nope'");
	ck_assert_int_eq(raw_http(fx.port, "GET /api/nothing HTTP/1.1\r\nHost: x\r\n"
				  "Connection: close\r\n\r\n", buf, sizeof(buf)), 404);

	ck_assert_int_eq(bpci_client_metrics(&metrics, cl, NULL), 0);
	api_assert_has(metrics, "# TYPE node_distribution_nodes gauge\n");
	api_assert_has(metrics, "node_distribution_nodes{status=\"running\"} 1\n");
	api_assert_has(metrics, "node_distribution_nodes{status=\"failed\"} 0\n");
	api_assert_has(metrics, "node_distribution_total_nodes 1\n");
	api_assert_has(metrics, "node_distribution_active_nodes 1\n");
	api_assert_has(metrics, "# TYPE node_distribution_node_restarts_total counter\n");
	api_assert_has(metrics, "node_distribution_node_restarts_total{node_id=\"storage-1\","
				"node_type=\"storage\"} 0\n");
	api_assert_has(metrics, "node_distribution_node_uptime_seconds{node_id=\"storage-1\"");
	api_assert_has(metrics, "node_distribution_node_last_startup_time_seconds{node_id="
				"\"storage-1\",node_type=\"storage\"} ");
	/* Prometheus' own linter accepts the text when it is installed. */
	if (access("/usr/bin/promtool", X_OK) == 0) {
		FILE *p = popen("/usr/bin/promtool check metrics >/dev/null 2>&1", "w");

		ck_assert_ptr_nonnull(p);
		fputs(metrics, p);
		ck_assert_int_eq(pclose(p), 0);
	}
	bpci_free(metrics);
	bpci_free(health);
	bpci_free(id);
	bpci_node_spec_free(spec);
	bpci_client_free(cl);
	fx_stop(&fx);
}
END_TEST

void add_route_tests(Suite *s)
{
	TCase *tc = tcase_create("routes");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, token_and_url_files);
	tcase_add_test(tc, read_routes);
	suite_add_tcase(s, tc);
}
