/* Tests of the node service module (bpci/service.h) and of bpci-node. */
#include <curl/curl.h>
#include <ctype.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "service_test.h"

long svc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *svc_write_storage_spec(const char *dir, const char *name, const char *id)
{
	bpci_node_spec *spec;
	char *json, *path;

	ck_assert_int_eq(bpci_node_spec_new(&spec, BPCI_NODE_STORAGE), 0);
	ck_assert_int_eq(bpci_node_spec_set(spec, "storage_type", "distributed", NULL), 0);
	ck_assert_int_eq(bpci_node_spec_set(spec, "capacity_gb", "1000", NULL), 0);
	ck_assert_int_eq(bpci_node_spec_set(spec, "replication_factor", "3", NULL), 0);
	if (id)
		ck_assert_int_eq(bpci_node_spec_set(spec, "id", id, NULL), 0);
	ck_assert_int_eq(bpci_node_spec_validate(spec, 0, NULL), 0);
	ck_assert_int_eq(bpci_node_spec_to_json(&json, spec), 0);
	path = bpci_test_write_file(dir, name, json);
	bpci_free(json);
	bpci_node_spec_free(spec);
	return path;
}

void svc_clear_env(void)
{
	static const char *const vars[] = {
		"BPCI_NODE_ID", "BPCI_NODE_TYPE", "BPCI_NODE_PORT", "BPCI_NODE_CONFIG",
		"BPCI_COORDINATOR_URL", "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"};
	size_t i;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

int svc_loop_until(struct event_base *base, const volatile int *flag, int timeout_ms)
{
	struct timeval tick = {0, 20000};
	struct event *ev = event_new(base, -1, EV_PERSIST, on_tick, base);
	long deadline = svc_now_ms() + timeout_ms;

	ck_assert_ptr_nonnull(ev);
	/* The tick only bounds each pass so the deadline is noticed. */
	event_add(ev, &tick);
	while (!*flag && svc_now_ms() < deadline)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(ev);
	return *flag;
}

typedef struct growbuf {
	char *data;
	size_t len;
} growbuf;

static size_t on_data(char *ptr, size_t size, size_t n, void *arg)
{
	growbuf *b = arg;
	char *p = realloc(b->data, b->len + size * n + 1);

	if (!p)
		return 0;
	memcpy(p + b->len, ptr, size * n);
	b->len += size * n;
	p[b->len] = '\0';
	b->data = p;
	return size * n;
}

static size_t on_header(char *ptr, size_t size, size_t n, void *arg)
{
	char **allow = arg;
	size_t len = size * n;

	if (allow && len > 6 && strncasecmp(ptr, "Allow:", 6) == 0) {
		free(*allow);
		*allow = strndup(ptr + 6, len - 6);
		ck_assert_ptr_nonnull(*allow);
		(*allow)[strcspn(*allow, "\r\n")] = '\0';
		memmove(*allow, *allow + strspn(*allow, " "), strlen(*allow) + 1);
	}
	return len;
}

long svc_http(unsigned int port, const char *method, const char *path, const char *body,
	      const char *header, char **out, char **allow)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hl = NULL;
	growbuf b = {0};
	char url[256];
	long code = -1;

	ck_assert_ptr_nonnull(c);
	if (allow)
		*allow = strdup("");
	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, allow);
	if (method)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	if (header) {
		hl = curl_slist_append(NULL, header);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	}
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	*out = b.data ? b.data : strdup("");
	return code;
}

static int is_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_' || s[0] == ':'))
		return 0;
	for (i = 1; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == ':'))
			return 0;
	return 1;
}

/* {a="x",b="y"}: returns the length consumed or 0. */
static size_t labels_len(const char *s)
{
	const char *p = s + 1;

	if (*s != '{')
		return 0;
	while (*p != '}') {
		size_t n = strcspn(p, "=");

		if (!is_name(p, n) || p[n] != '=' || p[n + 1] != '"')
			return 0;
		p += n + 2;
		while (*p && *p != '"')
			p += *p == '\\' ? 2 : 1;
		if (*p != '"')
			return 0;
		p++;
		if (*p == ',')
			p++;
		else if (*p != '}')
			return 0;
	}
	return (size_t)(p + 1 - s);
}

static void check_sample(const char *line, const char *typed_name, const char *type)
{
	size_t n = strcspn(line, "{ ");
	const char *v;
	char *end;

	ck_assert_msg(is_name(line, n), "bad metric name in '%s'", line);
	ck_assert_msg(typed_name[0] && strncmp(line, typed_name, n) == 0 &&
			      typed_name[n] == '\0',
		      "sample '%s' does not follow its # TYPE line (%s)", line, typed_name);
	v = line + n;
	if (*v == '{') {
		size_t l = labels_len(v);

		ck_assert_msg(l > 0, "bad labels in '%s'", line);
		v += l;
	}
	ck_assert_msg(*v == ' ', "no value in '%s'", line);
	strtod(v + 1, &end);
	ck_assert_msg(end != v + 1 && *end == '\0', "bad value in '%s'", line);
	if (strcmp(type, "counter") == 0)
		ck_assert_msg(n > 6 && strncmp(line + n - 6, "_total", 6) == 0,
			      "counter '%.*s' does not end in _total", (int)n, line);
}

static void own_check(const char *text)
{
	char *copy = strdup(text), *save = NULL, *line;
	char name[128] = "", type[16] = "";
	int samples = 0;

	ck_assert_ptr_nonnull(copy);
	ck_assert_msg(*text && text[strlen(text) - 1] == '\n', "exposition must end in \\n");
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# HELP ", 7) == 0) {
			ck_assert_msg(is_name(line + 7, strcspn(line + 7, " ")), "bad HELP '%s'",
				      line);
		} else if (strncmp(line, "# TYPE ", 7) == 0) {
			ck_assert_int_eq(sscanf(line + 7, "%127s %15s", name, type), 2);
			ck_assert_msg(strcmp(type, "counter") == 0 || strcmp(type, "gauge") == 0,
				      "unexpected type in '%s'", line);
		} else {
			check_sample(line, name, type);
			samples++;
		}
	}
	ck_assert_int_ge(samples, 5);
	free(copy);
}

void svc_check_exposition(const char *text)
{
	own_check(text);
	if (access("/usr/bin/promtool", X_OK) == 0) {
		char *dir = bpci_test_mkdtemp(), *in = bpci_test_write_file(dir, "m.txt", text);
		char *cmd, *outpath, *out;
		FILE *f;
		size_t n;
		int st;

		ck_assert(asprintf(&outpath, "%s/out.txt", dir) > 0);
		ck_assert(asprintf(&cmd, "/usr/bin/promtool check metrics < '%s' > '%s' 2>&1",
				   in, outpath) > 0);
		st = system(cmd);
		out = calloc(1, 4096);
		f = fopen(outpath, "r");
		n = f ? fread(out, 1, 4095, f) : 0;
		if (f)
			fclose(f);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0 && n == 0,
			      "promtool check metrics failed (status %d):\n%s\n--- input:\n%s",
			      st, out, text);
		free(out);
		free(cmd);
		free(outpath);
		free(in);
		bpci_test_rmtree(dir);
		free(dir);
	}
}

Suite *bpci_test_suite(void)
{
	Suite *s = suite_create("service");

	suite_add_tcase(s, svc_test_env());
	suite_add_tcase(s, svc_test_http());
	suite_add_tcase(s, svc_test_node());
	return s;
}
