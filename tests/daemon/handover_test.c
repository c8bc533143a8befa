/*
 * Handing a running local child daemon to another parent, real processes:
 * two root daemons A and B; A spawned "kid", which runs a node. A
 * describes kid (GET /api/daemons/kid), B adopts it (POST /api/daemons
 * {"adopt":...}; bad records refused naming the field), A releases it
 * without a signal, kid is told its new parent and heartbeats B; killed,
 * it is restarted by B in the same state directory (through B's link) and
 * re-adopts its node; A, its OS parent, reaped the dead process.
 */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

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

/* {"adopt": @rec with @key set to the JSON @value} (malloc'd). */
static char *adopt_with(json_t *rec, const char *key, const char *value)
{
	json_t *r = json_deep_copy(rec), *b;
	char *text;

	if (key)
		json_object_set_new(r, key, json_loads(value, JSON_DECODE_ANY, NULL));
	b = json_pack("{s:o}", "adopt", r);
	text = json_dumps(b, JSON_COMPACT);
	json_decref(b);
	return text;
}

static int listed(const char *url, const char *token, const char *id)
{
	char u[512], *answer = NULL, needle[128];
	int hit;

	snprintf(u, sizeof(u), "%s/api/daemons", url);
	ck_assert_int_eq(dt_http("GET", u, token, NULL, &answer), 200);
	snprintf(needle, sizeof(needle), "\"daemon_id\":\"%s\"", id);
	hit = strstr(answer, needle) != NULL;
	free(answer);
	return hit;
}

START_TEST(adopt_release_and_restart_elsewhere)
{
	char *tmp = bpci_test_mkdtemp(), adir[1024], bdir[1024], kdir[1100], link[1100];
	char u[512], *answer = NULL, *body, *kurl, *ktoken, real[PATH_MAX];
	dt_daemon a, b;
	json_t *rec;
	long kid, node, kid2;
	double t0;
	struct stat st;

	snprintf(adir, sizeof(adir), "%s/a", tmp);
	snprintf(bdir, sizeof(bdir), "%s/b", tmp);
	dt_start(&a, adir, "A", "--heartbeat-interval", "300ms", NULL);
	dt_start(&b, bdir, "B", "--heartbeat-interval", "300ms", NULL);
	dt_add_child(a.url, a.token, "kid", "permanent");
	kid = dt_wait_state(a.url, "kid", "running", 0, 1, 15000);
	snprintf(kdir, sizeof(kdir), "%s/daemons/kid", adir);
	dt_read_url(kdir, &kurl, &ktoken);
	node = dt_start_node(kurl, ktoken, "sleeper");

	/* The handover record. */
	snprintf(u, sizeof(u), "%s/api/daemons/kid", a.url);
	ck_assert_int_eq(dt_http("GET", u, a.token, NULL, &answer), 200);
	rec = json_loads(answer, 0, NULL);
	free(answer);
	ck_assert_ptr_nonnull(rec);
	ck_assert_int_eq(json_integer_value(json_object_get(rec, "pid")), kid);
	ck_assert_int_gt(json_integer_value(json_object_get(rec, "start_time")), 0);
	ck_assert_ptr_nonnull(realpath(kdir, real));
	ck_assert_str_eq(json_string_value(json_object_get(rec, "state_dir")), real);
	ck_assert_str_eq(json_string_value(json_object_get(rec, "url")), kurl);
	ck_assert_str_eq(json_string_value(json_object_get(rec, "restart")), "permanent");
	snprintf(u, sizeof(u), "%s/api/daemons/ghost", a.url);
	expect("GET", u, a.token, NULL, 404, "'ghost' is no local child daemon of 'A'");

	/* Bad records: the field named, nothing adopted. */
	snprintf(u, sizeof(u), "%s/api/daemons", b.url);
	body = adopt_with(rec, "pid", "0");
	expect("POST", u, b.token, body, 400, "\"field\":\"adopt.pid\"");
	free(body);
	body = adopt_with(rec, "state_dir", "\"relative/dir\"");
	expect("POST", u, b.token, body, 400, "absolute path, got \\\"relative/dir");
	free(body);
	body = adopt_with(rec, "start_time", "1");
	expect("POST", u, b.token, body, 404, "does not run any more");
	free(body);
	expect("POST", u, b.token, "{\"adopt\":{\"daemon_id\":\"kid\"}}", 400,
	       "\"field\":\"adopt\"");
	body = adopt_with(rec, "daemon_id", "\"B\"");
	expect("POST", u, b.token, body, 400, "own id");
	free(body);
	ck_assert(!listed(b.url, b.token, "kid"));

	/* Adopted (twice: the same process again changes nothing). */
	body = adopt_with(rec, NULL, NULL);
	expect("POST", u, b.token, body, 201, "parent_url_file");
	expect("POST", u, b.token, body, 201, bdir);
	free(body);
	body = adopt_with(rec, "pid", "1");
	expect("POST", u, b.token, body, 409, "already a child daemon of 'B'");
	free(body);
	ck_assert(listed(b.url, b.token, "kid") && listed(a.url, a.token, "kid"));
	snprintf(link, sizeof(link), "%s/daemons/kid", bdir);
	ck_assert(lstat(link, &st) == 0 && S_ISLNK(st.st_mode));

	/* Released by A: forgotten there, not signalled. */
	snprintf(u, sizeof(u), "%s/api/daemons/kid?release=1", a.url);
	expect("DELETE", u, a.token, NULL, 200, "released");
	expect("DELETE", u, a.token, NULL, 404, "no child daemon");
	ck_assert(!listed(a.url, a.token, "kid"));
	ck_assert(dt_alive(kid));
	ck_assert_int_eq(dt_node_pid(kurl, "sleeper"), node);

	/* Told its new parent: it heartbeats B. */
	snprintf(u, sizeof(u), "%s/api/daemon-tree/parent", kurl);
	ck_assert(asprintf(&body, "{\"parent_url\":\"%s\",\"join_token\":\"%s\","
			   "\"parent_url_file\":\"%s/api.url\"}", b.url, b.token, bdir) > 0);
	expect("POST", u, ktoken, body, 200, "rejoining");
	free(body);
	ck_assert_int_eq(dt_wait_state(b.url, "kid", "running", 0, 3, 15000), kid);

	/* Killed: B restarts it in the same directory, its node is kept; A
	 * (its OS parent) reaped the dead process. */
	ck_assert_int_eq(kill((pid_t)kid, SIGKILL), 0);
	kid2 = dt_wait_state(b.url, "kid", "running", kid, 0, 20000);
	ck_assert_int_ne(kid2, kid);
	t0 = dt_now();
	while (kill((pid_t)kid, 0) == 0 && dt_now() - t0 < 10)
		dt_sleep_ms(50);
	ck_assert_msg(kill((pid_t)kid, 0) != 0, "the released process %ld was never reaped",
		      kid);
	t0 = dt_now();
	while (dt_node_pid(kurl, "sleeper") != node && dt_now() - t0 < 15)
		dt_sleep_ms(100);
	ck_assert_int_eq(dt_node_pid(kurl, "sleeper"), node);
	ck_assert(!listed(a.url, a.token, "kid"));

	json_decref(rec);
	ck_assert_int_eq(dt_stop(&b), 0);
	ck_assert(!dt_alive(kid2));
	ck_assert(!dt_alive(node));
	ck_assert_int_eq(dt_stop(&a), 0);
	dt_free(&a);
	dt_free(&b);
	free(kurl);
	free(ktoken);
	bpci_test_rmtree(tmp);
	free(tmp);
}
END_TEST

void dt_add_handover_tests(Suite *s)
{
	TCase *tc = tcase_create("handover");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, adopt_release_and_restart_elsewhere);
	suite_add_tcase(s, tc);
}
