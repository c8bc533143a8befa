/* api.request: every mutating request that was accepted or refused for
 * its token is journaled (method, path, status, remote address; never the
 * token or the body); reads and requests refused for their content are
 * not. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "api_test.h"

typedef struct trail {
	char lines[16][512];  /* "SUBJECT DETAILS" of each api.request */
	int n;
	int leaked;           /* an entry holds the token or a body's text */
	const char *token;
} trail;

static int collect(uint64_t seq, const char *entry, size_t len, void *payload)
{
	trail *t = payload;
	bpci_ledger_entry_info e;

	(void)seq;
	memset(&e, 0, sizeof(e));
	if (bpci_ledger_entry_parse(&e, entry, len) != 0)
		return 0;
	if (strcmp(e.type, "api.request") == 0) {
		if (t->n < 16)
			snprintf(t->lines[t->n], sizeof(t->lines[0]), "%s %s", e.subject,
				 e.details);
		t->n++;
		if (strstr(entry, t->token) || strstr(entry, "trail-secret-body"))
			t->leaked = 1;
	}
	bpci_ledger_entry_info_clear(&e);
	return 0;
}

static void read_trail(trail *t, const char *state)
{
	bpci_ledger_options lo = BPCI_LEDGER_OPTIONS_INIT;
	bpci_ledger *l = NULL;
	char path[4096];
	const char *token = t->token;

	memset(t, 0, sizeof(*t));
	t->token = token;
	snprintf(path, sizeof(path), "%s/ledger", state);
	lo.flags = BPCI_LEDGER_READONLY;
	ck_assert_int_eq(bpci_ledger_open(&l, path, &lo, NULL), 0);
	ck_assert_int_eq(bpci_ledger_foreach(l, 0, collect, t), 0);
	bpci_ledger_free(l);
}

/* Poll until @want entries are there (group commit: milliseconds; the
 * machine may be loaded, hence the generous deadline). */
static void wait_trail(trail *t, const char *state, int want)
{
	double until = now_s() + 15.0;

	do {
		read_trail(t, state);
		if (t->n >= want)
			return;
		usleep(20 * 1000);
	} while (now_s() < until);
	ck_assert_msg(0, "%d api.request entries after 15 s, wanted %d", t->n, want);
}

static int request(const api_fx *fx, const char *method, const char *path, const char *token,
		   const char *body, char *buf, size_t cap)
{
	char req[2048], auth[256] = "";

	if (token)
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s\r\n", token);
	snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
		 "%sContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s", method,
		 path, auth, strlen(body), body);
	return raw_http(fx->port, req, buf, cap);
}

/* "SUBJECT {details}" of entry @i, checked field by field. */
static void assert_entry(const trail *t, int i, const char *method, const char *path,
			 int status)
{
	const char *sp = strchr(t->lines[i], ' ');
	json_t *d;

	ck_assert_ptr_nonnull(sp);
	ck_assert_int_eq((int)(sp - t->lines[i]), (int)strlen(path));
	ck_assert(strncmp(t->lines[i], path, strlen(path)) == 0);
	d = json_loads(sp + 1, 0, NULL);
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(json_string_value(json_object_get(d, "method")), method);
	ck_assert_str_eq(json_string_value(json_object_get(d, "path")), path);
	ck_assert_int_eq(json_integer_value(json_object_get(d, "status")), status);
	ck_assert_msg(strncmp(json_string_value(json_object_get(d, "remote")), "127.0.0.1:", 10)
		      == 0, "remote %s", json_string_value(json_object_get(d, "remote")));
	ck_assert_int_gt(atoi(json_string_value(json_object_get(d, "remote")) + 10), 0);
	ck_assert_int_eq((int)json_object_size(d), 4);
	json_decref(d);
}

START_TEST(mutations_are_journaled)
{
	api_fx fx;
	trail t;
	bpci_client *cl;
	bpci_node_spec *spec = fx_spec("trail", "exec sleep 30");
	char buf[8192], path[128], *id = NULL;

	fx_start(&fx, NULL, 0);
	t.token = fx.token;
	cl = fx_client(&fx, NULL);
	ck_assert_int_eq(bpci_client_start_node(&id, cl, spec, NULL, NULL), 0);
	snprintf(path, sizeof(path), "/api/nodes/%s", id);
	/* reads: never journaled */
	ck_assert_int_eq(request(&fx, "GET", "/api/nodes", NULL, "", buf, sizeof(buf)), 200);
	ck_assert_int_eq(request(&fx, "GET", "/metrics", NULL, "", buf, sizeof(buf)), 200);
	/* refused for the token: journaled, without the token or the body */
	ck_assert_int_eq(request(&fx, "DELETE", path, "wrong-token",
				 "{\"x\":\"trail-secret-body\"}", buf, sizeof(buf)), 401);
	/* refused for its content: not journaled */
	ck_assert_int_eq(request(&fx, "POST", "/api/nodes", fx.token, "{", buf, sizeof(buf)), 400);
	ck_assert_int_eq(request(&fx, "DELETE", path, fx.token, "", buf, sizeof(buf)), 200);
	wait_trail(&t, fx.state, 3);
	usleep(100 * 1000); /* nothing else comes */
	read_trail(&t, fx.state);
	ck_assert_int_eq(t.n, 3);
	assert_entry(&t, 0, "POST", "/api/nodes", 201);
	assert_entry(&t, 1, "DELETE", path, 401);
	assert_entry(&t, 2, "DELETE", path, 200);
	ck_assert_int_eq(t.leaked, 0);
	bpci_free(id);
	bpci_client_free(cl);
	bpci_node_spec_free(spec);
	fx_stop(&fx);
}
END_TEST

void add_trail_tests(Suite *s)
{
	TCase *tc = tcase_create("trail");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, mutations_are_journaled);
	suite_add_tcase(s, tc);
}
