/* The fixture (coordinator + server on a loop thread) and raw HTTP helpers. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "api_test.h"

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int pid_alive(int pid)
{
	return pid > 0 && kill(pid, 0) == 0;
}

static void *loop_main(void *arg)
{
	api_fx *fx = arg;

	fx->run_rc = bpci_server_run(fx->srv);
	return NULL;
}

static void start_thread(api_fx *fx)
{
	ck_assert_int_eq(pthread_create(&fx->thread, NULL, loop_main, fx), 0);
	fx->running = 1;
}

void fx_start(api_fx *fx, const char *config_yaml, size_t max_body)
{
	fx_start_timeout(fx, config_yaml, max_body, 0);
}

void fx_start_timeout(api_fx *fx, const char *config_yaml, size_t max_body,
		      unsigned int timeout_ms)
{
	fx_start_ex(fx, config_yaml, max_body, timeout_ms, 0);
}

void fx_start_ex(api_fx *fx, const char *config_yaml, size_t max_body, unsigned int timeout_ms,
		 uint64_t log_max_bytes)
{
	bpci_coordinator_options co = BPCI_COORDINATOR_OPTIONS_INIT;
	bpci_server_options so = BPCI_SERVER_OPTIONS_INIT;
	bpci_diag *diag = NULL;
	bpci_config *cfg = NULL;
	int rc;

	memset(fx, 0, sizeof(*fx));
	fx->dir = bpci_test_mkdtemp();
	fx->state = malloc(strlen(fx->dir) + 8);
	sprintf(fx->state, "%s/state", fx->dir);
	ck_assert_int_eq(bpci_diag_new(&diag), 0);
	co.state_dir = fx->state;
	co.node_program = "/bin/false";
	co.log_max_bytes = log_max_bytes;
	rc = bpci_coordinator_new(&fx->c, &co, diag);
	ck_assert_msg(rc == 0, "coordinator: %s", bpci_diag_last_text(diag));
	so.listen = "127.0.0.1:0";
	so.max_body = max_body;
	so.timeout_ms = timeout_ms;
	if (config_yaml) {
		fx->config = bpci_test_write_file(fx->dir, "config.yaml", config_yaml);
		so.config_path = fx->config;
		rc = bpci_config_load_file(&cfg, fx->config, 0, diag);
		ck_assert_msg(rc == 0, "config: %s", bpci_diag_last_text(diag));
		rc = bpci_coordinator_reload(fx->c, cfg, diag);
		ck_assert_msg(rc == 0, "reload: %s", bpci_diag_last_text(diag));
		bpci_config_free(cfg);
	}
	rc = bpci_coordinator_serve(&fx->srv, fx->c, &so, diag);
	ck_assert_msg(rc == 0, "serve: %s", bpci_diag_last_text(diag));
	bpci_diag_free(diag);
	snprintf(fx->url, sizeof(fx->url), "%s", bpci_server_url(fx->srv));
	snprintf(fx->token, sizeof(fx->token), "%s", bpci_server_token(fx->srv));
	ck_assert_int_eq(sscanf(fx->url, "http://127.0.0.1:%u", &fx->port), 1);
	start_thread(fx);
}

void fx_pause(api_fx *fx)
{
	if (!fx->running)
		return;
	bpci_coordinator_request_stop(fx->c);
	pthread_join(fx->thread, NULL);
	fx->running = 0;
	ck_assert_int_eq(fx->run_rc, 0);
}

void fx_resume(api_fx *fx)
{
	if (!fx->running)
		start_thread(fx);
}

void fx_stop(api_fx *fx)
{
	fx_pause(fx);
	bpci_server_free(fx->srv);
	ck_assert_int_eq(bpci_coordinator_shutdown(fx->c, NULL), 0);
	bpci_coordinator_free(fx->c);
	bpci_test_rmtree(fx->dir);
	free(fx->dir);
	free(fx->state);
	free(fx->config);
	memset(fx, 0, sizeof(*fx));
}

bpci_client *fx_client(const api_fx *fx, const char *token)
{
	bpci_client_options o = BPCI_CLIENT_OPTIONS_INIT;
	bpci_client *cl = NULL;

	o.url = fx->url;
	o.token = token ? token : fx->token;
	o.timeout_ms = 20000;
	ck_assert_int_eq(bpci_client_new(&cl, &o, NULL), 0);
	return cl;
}

bpci_node_spec *fx_spec(const char *name, const char *script)
{
	bpci_node_spec *spec = NULL;
	json_t *doc = json_pack("{s:s, s:s, s:{s:s, s:i}, s:[s, s, s], s:{s:s}, s:{s:s}}",
				"type", "storage", "name", name, "params", "storage_type",
				"distributed", "capacity_gb", 5, "command", "/bin/sh", "-c",
				script, "health", "type", "none", "stop", "timeout", "2s");
	char *text = json_dumps(doc, 0);
	bpci_diag *d = NULL;
	int rc;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	rc = bpci_node_spec_from_json(&spec, text, strlen(text), d);
	ck_assert_msg(rc == 0, "spec: %s", bpci_diag_last_text(d));
	bpci_diag_free(d);
	free(text);
	json_decref(doc);
	return spec;
}

void fx_wait_state(bpci_client *cl, const char *id, bpci_node_state state)
{
	double t0 = now_s();
	bpci_node_state last = (bpci_node_state)0;

	while (now_s() - t0 < 10.0) {
		bpci_node_status *st = NULL;

		ck_assert_int_eq(bpci_client_get_node(&st, cl, id, NULL), 0);
		last = st->state;
		bpci_node_status_free(st);
		if (last == state)
			return;
		usleep(20000);
	}
	ck_abort_msg("node %s stayed %s, expected %s", id, bpci_node_state_name(last),
		     bpci_node_state_name(state));
}

int raw_connect(unsigned int port)
{
	struct sockaddr_in a;
	struct timeval tv = {5, 0};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int raw_http(unsigned int port, const char *req, char *out, size_t cap)
{
	int fd = raw_connect(port), status = 0;
	size_t len = strlen(req), off = 0;
	ssize_t n;

	out[0] = '\0';
	ck_assert_int_ge(fd, 0);
	while (off < len && (n = send(fd, req + off, len - off, MSG_NOSIGNAL)) > 0)
		off += (size_t)n;
	off = 0;
	/* A signal handler anywhere in the process (Check's, glibc's) makes a
	 * recv with SO_RCVTIMEO fail with EINTR even under SA_RESTART. */
	while (off + 1 < cap && ((n = recv(fd, out + off, cap - 1 - off, 0)) > 0 ||
				 (n < 0 && errno == EINTR)))
		off += n > 0 ? (size_t)n : 0;
	out[off] = '\0';
	close(fd);
	if (sscanf(out, "HTTP/1.%*d %d", &status) != 1)
		status = 0;
	return status;
}

const char *raw_body(const char *answer)
{
	const char *b = strstr(answer, "\r\n\r\n");

	return b ? b + 4 : "";
}
