/* Helpers of the daemon tree tests: starting daemons, HTTP, waiting. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bpci.h"
#include "daemon_test.h"
#include "runtime/http_client.h"

double dt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void dt_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

char *dt_slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 1 << 20);
	size_t n;

	ck_assert_ptr_nonnull(buf);
	if (f) {
		n = fread(buf, 1, (1 << 20) - 1, f);
		buf[n] = '\0';
		fclose(f);
	}
	return buf;
}

static char *trimmed(const char *path)
{
	char *s = dt_slurp(path);
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
	return s;
}

void dt_read_url(const char *dir, char **url, char **token)
{
	char path[1024];
	double t0 = dt_now();

	snprintf(path, sizeof(path), "%s/api.url", dir);
	while (access(path, R_OK) != 0) {
		ck_assert_msg(dt_now() - t0 < 15, "no %s after 15 s", path);
		dt_sleep_ms(20);
	}
	dt_sleep_ms(20);
	*url = trimmed(path);
	snprintf(path, sizeof(path), "%s/api.token", dir);
	*token = trimmed(path);
}

void dt_start(dt_daemon *d, const char *dir, const char *id, ...)
{
	const char *argv[40];
	char prog[512], err[1024], urlpath[1024];
	size_t n = 0;
	va_list ap;

	memset(d, 0, sizeof(*d));
	snprintf(prog, sizeof(prog), "%s/bin/bpi-core", bpci_test_build_dir());
	argv[n++] = prog;
	argv[n++] = "node-coordinator";
	argv[n++] = "start";
	argv[n++] = "--daemon-id";
	argv[n++] = id;
	argv[n++] = "--state-dir";
	argv[n++] = dir;
	argv[n++] = "--listen";
	argv[n++] = "127.0.0.1:0";
	va_start(ap, id);
	while (n < 38 && (argv[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	mkdir(dir, 0700);
	snprintf(urlpath, sizeof(urlpath), "%s/api.url", dir);
	unlink(urlpath);
	snprintf(err, sizeof(err), "%s.err", dir);
	d->dir = strdup(dir);
	d->err = strdup(err);
	d->pid = fork();
	ck_assert_int_ge(d->pid, 0);
	if (d->pid == 0) {
		int o = open("/dev/null", O_RDWR);
		int e = open(err, O_WRONLY | O_CREAT | O_APPEND, 0644);

		dup2(o, 0);
		dup2(o, 1);
		dup2(e, 2);
		unsetenv("NOTIFY_SOCKET");
		execv(prog, (char *const *)argv);
		_exit(127);
	}
	dt_read_url(dir, &d->url, &d->token);
}

int dt_stop(dt_daemon *d)
{
	int status = 0;
	double t0 = dt_now();

	if (d->pid <= 0)
		return -1;
	kill(d->pid, SIGTERM);
	while (waitpid(d->pid, &status, WNOHANG) == 0) {
		if (dt_now() - t0 > 20) {
			kill(d->pid, SIGKILL);
			waitpid(d->pid, &status, 0);
			break;
		}
		dt_sleep_ms(20);
	}
	d->pid = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void dt_free(dt_daemon *d)
{
	if (d->pid > 0)
		(void)dt_stop(d);
	free(d->dir);
	free(d->url);
	free(d->token);
	free(d->err);
	memset(d, 0, sizeof(*d));
}

long dt_http(const char *method, const char *url, const char *token, const char *body,
	     char **answer)
{
	bpci__http_client_opts o = BPCI__HTTP_CLIENT_OPTS_INIT;
	bpci__http_response r = {0};
	long status;

	o.token = token;
	o.timeout_ms = 10000;
	(void)bpci__http_request(&o, method, url, body, body ? strlen(body) : 0, &r, NULL);
	status = r.status;
	if (answer)
		*answer = strdup(r.body ? r.body : "");
	bpci__http_response_clear(&r);
	return status;
}

json_t *dt_status(const char *url, const char *token)
{
	char u[512], *body = NULL;
	json_t *j;
	long st;

	snprintf(u, sizeof(u), "%s/api/daemon-tree/status", url);
	st = dt_http("GET", u, token, NULL, &body);
	ck_assert_msg(st == 200, "GET %s: %ld %s", u, st, body);
	j = json_loads(body, 0, NULL);
	ck_assert_msg(j != NULL, "status is not JSON: %s", body);
	free(body);
	return j;
}

json_t *dt_find(json_t *tree, const char *id)
{
	json_t *kids, *k, *hit;
	size_t i;

	if (!tree)
		return NULL;
	if (strcmp(json_string_value(json_object_get(tree, "daemon_id")), id) == 0)
		return tree;
	kids = json_object_get(tree, "children");
	json_array_foreach(kids, i, k)
		if ((hit = dt_find(k, id)) != NULL)
			return hit;
	return NULL;
}

void dt_add_child(const char *url, const char *token, const char *id, const char *restart)
{
	char u[512], body[256], *answer = NULL;
	long st;

	snprintf(u, sizeof(u), "%s/api/daemons", url);
	snprintf(body, sizeof(body), "{\"daemon_id\":\"%s\",\"restart\":\"%s\"}", id, restart);
	st = dt_http("POST", u, token, body, &answer);
	ck_assert_msg(st == 201, "POST %s %s: %ld %s", u, body, st, answer);
	free(answer);
}

long dt_node_pid(const char *url, const char *name)
{
	char u[512], *answer = NULL;
	json_t *j;
	long pid = 0;

	snprintf(u, sizeof(u), "%s/api/nodes/%s", url, name);
	if (dt_http("GET", u, NULL, NULL, &answer) == 200 && (j = json_loads(answer, 0, NULL))) {
		pid = (long)json_integer_value(json_object_get(j, "pid"));
		json_decref(j);
	}
	free(answer);
	return pid;
}

long dt_start_node(const char *url, const char *token, const char *name)
{
	char u[512], body[512], *answer = NULL;
	long st, pid = 0;
	double t0 = dt_now();

	snprintf(u, sizeof(u), "%s/api/nodes", url);
	snprintf(body, sizeof(body),
		 "{\"id\":\"%s\",\"type\":\"storage\",\"params\":{\"storage_type\":\"distributed\","
		 "\"capacity_gb\":5},\"command\":[\"/bin/sh\",\"-c\",\"exec sleep 300\"],"
		 "\"health\":{\"type\":\"none\"},\"stop\":{\"timeout\":\"2s\"}}", name);
	st = dt_http("POST", u, token, body, &answer);
	ck_assert_msg(st == 201, "POST %s: %ld %s", u, st, answer);
	free(answer);
	while ((pid = dt_node_pid(url, name)) == 0) {
		ck_assert_msg(dt_now() - t0 < 10, "node %s has no pid", name);
		dt_sleep_ms(50);
	}
	return pid;
}

long dt_wait_state(const char *url, const char *id, const char *state, long not_pid,
		   long min_hb, int timeout_ms)
{
	double t0 = dt_now();
	char last[4096] = "";

	for (;;) {
		json_t *tree = dt_status(url, NULL), *e = dt_find(tree, id);
		long pid = 0;

		if (e) {
			const char *st = json_string_value(json_object_get(e, "state"));
			json_int_t hb = json_integer_value(
				json_object_get(json_object_get(e, "link"), "heartbeats"));
			char *dump = json_dumps(e, JSON_COMPACT);

			pid = (long)json_integer_value(json_object_get(e, "pid"));
			snprintf(last, sizeof(last), "%s", dump);
			free(dump);
			if ((state ? strcmp(st, state) == 0 : pid > 0) &&
			    (!not_pid || (pid != not_pid && pid > 0)) && hb >= min_hb) {
				json_decref(tree);
				return pid;
			}
		}
		json_decref(tree);
		ck_assert_msg((dt_now() - t0) * 1000 < timeout_ms,
			      "%s did not reach %s (pid != %ld, %ld heartbeats) within %d ms; "
			      "last: %s", id, state ? state : "a new pid", not_pid, min_hb, timeout_ms, last);
		dt_sleep_ms(50);
	}
}

int dt_alive(long pid)
{
	char path[64], buf[512], *rp;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	rp = strrchr(buf, ')');
	return rp && rp[1] == ' ' && rp[2] != 'Z' && rp[2] != 'X';
}
