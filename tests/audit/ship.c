/* ledger serve as a real child process, shipping from other ledgers. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "audit_test.h"
#include "runtime/http_client.h"

#define TOKEN "s3cret-token"

typedef struct fixture {
	char *tmp, *src, *mirror, *token;
	bpci_ledger *l;
	at_child srv;
} fixture;

static void setup(fixture *f, size_t n)
{
	f->tmp = bpci_test_mkdtemp();
	ck_assert(asprintf(&f->src, "%s/src", f->tmp) > 0);
	ck_assert(asprintf(&f->mirror, "%s/mirror", f->tmp) > 0);
	f->token = bpci_test_write_file(f->tmp, "token", TOKEN "\n");
	f->l = at_open(f->src);
	at_fill(f->l, "s", n);
	f->srv.pid = 0;
}

static void teardown(fixture *f)
{
	if (f->srv.pid > 0)
		ck_assert_int_eq(at_stop(&f->srv, SIGTERM), 0);
	bpci_ledger_free(f->l);
	bpci_test_rmtree(f->tmp);
	free(f->tmp);
	free(f->src);
	free(f->mirror);
	free(f->token);
}

static bpci_ledger_shipper *shipper(fixture *f, const char *url, const char *token)
{
	bpci_ledger_shipper_options o = BPCI_LEDGER_SHIPPER_OPTIONS_INIT;
	bpci_ledger_shipper *s = NULL;

	o.endpoint = url;
	o.token = token;
	o.backoff_ms = 20;
	o.retries = 2;
	o.flush_ms = 100;
	ck_assert_int_eq(bpci_ledger_shipper_new(&s, f->l, f->src, &o, NULL), 0);
	return s;
}

static bpci_ledger_ship_stats stats(bpci_ledger_shipper *s)
{
	bpci_ledger_ship_stats st = BPCI_LEDGER_SHIP_STATS_INIT;

	ck_assert_int_eq(bpci_ledger_shipper_stats(&st, s), 0);
	return st;
}

/* After the mirror stopped: same entries, byte for byte, and same root. */
static void assert_mirror_equal(fixture *f, uint64_t n)
{
	bpci_ledger_options o = BPCI_LEDGER_OPTIONS_INIT;
	bpci_ledger *m = NULL;
	uint8_t a[32], b[32];
	uint64_t i;

	o.flags = BPCI_LEDGER_READONLY;
	ck_assert_int_eq(bpci_ledger_open(&m, f->mirror, &o, NULL), 0);
	ck_assert_uint_eq(bpci_ledger_size(m), n);
	for (i = 0; i < n; i++) {
		char *x = NULL, *y = NULL;
		size_t xl, yl;

		ck_assert_int_eq(bpci_ledger_get(&x, &xl, f->l, i, NULL), 0);
		ck_assert_int_eq(bpci_ledger_get(&y, &yl, m, i, NULL), 0);
		ck_assert_uint_eq(xl, yl);
		ck_assert(memcmp(x, y, xl) == 0);
		bpci_free(x);
		bpci_free(y);
	}
	ck_assert_int_eq(bpci_ledger_root(a, f->l, n), 0);
	ck_assert_int_eq(bpci_ledger_root(b, m, n), 0);
	ck_assert(memcmp(a, b, 32) == 0);
	bpci_ledger_free(m);
	ck_assert_int_eq(bpci_ledger_verify(f->mirror, NULL, NULL, NULL, NULL), 0);
}

static char *state_text(fixture *f)
{
	char cmd[600], *out = calloc(1, 512);
	FILE *p;

	snprintf(cmd, sizeof(cmd), "cat %s/ship-*.state", f->src);
	p = popen(cmd, "r");
	ck_assert(p != NULL);
	ck_assert(fread(out, 1, 511, p) > 0);
	pclose(p);
	return out;
}

START_TEST(ship_all)
{
	fixture f;
	bpci_ledger_shipper *s;
	bpci_ledger_ship_stats st;
	char want[400], *state, root[65];
	bpci_test_run r;
	uint8_t h[32];

	setup(&f, 250);
	at_serve(&f.srv, f.mirror, "127.0.0.1:0", f.token);
	s = shipper(&f, f.srv.url, TOKEN);
	ck_assert_int_eq(bpci_ledger_shipper_run_once(s, NULL), 0);
	st = stats(s);
	ck_assert_uint_eq(st.shipped, 250);
	ck_assert_uint_eq(st.local_size, 250);
	ck_assert_uint_eq(st.batches, 3);
	ck_assert_int_eq(st.diverged, 0);
	ck_assert_int_eq(st.last_error, 0);
	state = state_text(&f);
	snprintf(want, sizeof(want), "{\"diverged\":false,\"endpoint\":\"%s\",\"shipped\":250}",
		 f.srv.url);
	ck_assert_str_eq(state, want);
	free(state);
	/* Nothing pending: no batch. */
	ck_assert_int_eq(bpci_ledger_shipper_run_once(s, NULL), 0);
	ck_assert_uint_eq(stats(s).batches, 3);
	bpci_ledger_shipper_free(s);

	/* The mirror's checkpoint over HTTP is the local root. */
	ck_assert_int_eq(bpci_ledger_root(h, f.l, 250), 0);
	at_hex(root, h);
	{
		bpci__http_response resp = {0, NULL, 0, NULL};
		char url[400];

		snprintf(url, sizeof(url), "%s/api/ledger/checkpoint", f.srv.url);
		ck_assert_int_eq(bpci__http_request(NULL, "GET", url, NULL, 0, &resp, NULL), 0);
		snprintf(want, sizeof(want), "\"size\":250,\"root\":\"%s\"", root);
		ck_assert_contains(resp.body, want);
		ck_assert_contains(resp.body, "\"checkpoint\":\"bpci.local/audit\\n250\\n");
		bpci__http_response_clear(&resp);
		/* Appends need the token. */
		snprintf(url, sizeof(url), "%s/api/ledger/entries", f.srv.url);
		ck_assert_int_ne(bpci__http_request(NULL, "POST", url, "{}", 2, &resp, NULL), 0);
		ck_assert_int_eq(resp.status, 401);
		bpci__http_response_clear(&resp);
	}
	/* The CLI ships the rest, to the endpoint the configuration names. */
	at_fill(f.l, "more", 5);
	{
		FILE *in = fopen(bpci_test_src("tests/config/data/original.yaml"), "r");
		char *yaml = calloc(1, 65536), *at, *cfg;
		size_t n;
		ck_assert(in != NULL);
		n = fread(yaml, 1, 65535, in);
		fclose(in);
		yaml[n] = '\0';
		at = strstr(yaml, "https://bpi.local:7777");
		ck_assert(at != NULL);
		ck_assert(asprintf(&cfg, "%.*s%s%s", (int)(at - yaml), yaml, f.srv.url,
				   at + strlen("https://bpi.local:7777")) > 0);
		free(yaml);
		yaml = bpci_test_write_file(f.tmp, "bpci.yaml", cfg);
		free(cfg);
		at_run(&r, "ledger", "ship", "--config", yaml, "--ledger", f.src, "--token-file",
		       f.token, NULL);
		free(yaml);
	}
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "mirror holds 255 of 255 entries (1 batches sent)\n");
	bpci_test_run_free(&r);
	ck_assert_int_eq(at_stop(&f.srv, SIGTERM), 0);
	assert_mirror_equal(&f, 255);
	teardown(&f);
}
END_TEST

START_TEST(peer_down)
{
	fixture f;
	bpci_ledger_shipper *s;
	bpci_ledger_ship_stats st;
	char listen[300], url[300];
	bpci_diag *d;
	int i;

	setup(&f, 30);
	/* Learn a free port, then take the mirror down. */
	at_serve(&f.srv, f.mirror, "127.0.0.1:0", f.token);
	snprintf(url, sizeof(url), "%s", f.srv.url);
	snprintf(listen, sizeof(listen), "%s", f.srv.url + 7);
	ck_assert_int_eq(at_stop(&f.srv, SIGTERM), 0);

	s = shipper(&f, url, TOKEN);
	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci_ledger_shipper_run_once(s, d), BPCI_EUNREACHABLE);
	ck_assert_contains(bpci_diag_last_text(d), url);
	bpci_diag_free(d);
	st = stats(s);
	ck_assert_uint_eq(st.shipped, 0);
	ck_assert_uint_eq(st.failures, 3); /* the request and two retries */
	ck_assert_int_eq(st.last_error, BPCI_EUNREACHABLE);
	/* Local appends go on while the mirror is down. */
	at_fill(f.l, "down", 10);

	/* Background mode: the mirror comes back on the same port. */
	ck_assert_int_eq(bpci_ledger_shipper_start(s, NULL), 0);
	usleep(300 * 1000);
	at_serve(&f.srv, f.mirror, listen, f.token);
	bpci_ledger_shipper_notify(s);
	for (i = 0; i < 200 && stats(s).shipped < 40; i++)
		usleep(50 * 1000);
	ck_assert_uint_eq(stats(s).shipped, 40);
	at_fill(f.l, "live", 3);
	bpci_ledger_shipper_notify(s);
	for (i = 0; i < 200 && stats(s).shipped < 43; i++)
		usleep(50 * 1000);
	ck_assert_uint_eq(stats(s).shipped, 43);
	bpci_ledger_shipper_free(s);

	/* Killed and restarted mirror; a new shipper resumes from its state. */
	ck_assert_int_eq(at_stop(&f.srv, SIGKILL), 128 + SIGKILL);
	at_fill(f.l, "after", 7);
	s = shipper(&f, url, TOKEN);
	ck_assert_uint_eq(stats(s).shipped, 43);
	ck_assert_int_eq(bpci_ledger_shipper_run_once(s, NULL), BPCI_EUNREACHABLE);
	at_serve(&f.srv, f.mirror, listen, f.token);
	ck_assert_int_eq(bpci_ledger_shipper_run_once(s, NULL), 0);
	st = stats(s);
	ck_assert_uint_eq(st.shipped, 50);
	ck_assert_uint_eq(st.batches, 1);
	bpci_ledger_shipper_free(s);
	ck_assert_int_eq(at_stop(&f.srv, SIGTERM), 0);
	assert_mirror_equal(&f, 50);
	teardown(&f);
}
END_TEST

START_TEST(divergent_mirror)
{
	fixture f;
	bpci_ledger_shipper *s;
	bpci_ledger *other;
	char *odir, *e = NULL;
	bpci_diag *d;
	bpci_test_run r;

	setup(&f, 12);
	/* The mirror already holds 4 entries of another ledger. */
	ck_assert(asprintf(&odir, "%s/other", f.tmp) > 0);
	other = at_open(odir);
	at_fill(other, "other", 4);
	at_serve(&f.srv, f.mirror, "127.0.0.1:0", f.token);
	{
		bpci_ledger_shipper_options o = BPCI_LEDGER_SHIPPER_OPTIONS_INIT;

		o.endpoint = f.srv.url;
		o.token = TOKEN;
		ck_assert_int_eq(bpci_ledger_shipper_new(&s, other, odir, &o, NULL), 0);
		ck_assert_int_eq(bpci_ledger_shipper_run_once(s, NULL), 0);
		bpci_ledger_shipper_free(s);
	}
	bpci_ledger_free(other);

	s = shipper(&f, f.srv.url, TOKEN);
	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci_ledger_shipper_run_once(s, d), BPCI_EVERIFY);
	ck_assert_contains(bpci_diag_last_text(d), "diverged from the local ledger");
	ck_assert_contains(bpci_diag_last_text(d), "mirror size 4");
	bpci_diag_free(d);
	ck_assert_int_eq(stats(s).diverged, 1);
	ck_assert_uint_eq(stats(s).batches, 0);
	/* The alarm is journalled locally. */
	ck_assert_uint_eq(bpci_ledger_size(f.l), 13);
	ck_assert_int_eq(bpci_ledger_get(&e, NULL, f.l, 12, NULL), 0);
	ck_assert_contains(e, "\"type\":\"audit.divergence\"");
	ck_assert_contains(e, "\"remote_size\":4");
	bpci_free(e);
	bpci_ledger_free(f.l);
	f.l = NULL;
	/* No further shipping, also from a new shipper (the state remembers). */
	ck_assert_int_eq(at_stop(&f.srv, SIGTERM), 0);
	f.l = at_open(f.src);
	bpci_ledger_shipper_free(s);
	s = shipper(&f, f.srv.url, TOKEN);
	ck_assert_int_eq(stats(s).diverged, 1);
	ck_assert_int_eq(bpci_ledger_shipper_run_once(s, NULL), BPCI_EVERIFY);
	/* A background shipper stays idle and stops when freed. */
	ck_assert_int_eq(bpci_ledger_shipper_start(s, NULL), 0);
	ck_assert_int_eq(bpci_ledger_shipper_start(s, NULL), BPCI_EBUSY);
	bpci_ledger_shipper_notify(s);
	usleep(200 * 1000);
	ck_assert_uint_eq(stats(s).batches, 0);
	bpci_ledger_shipper_free(s);
	bpci_ledger_free(f.l);
	f.l = NULL;
	at_run(&r, "ledger", "ship", "--endpoint", "http://127.0.0.1:1", "--ledger", f.src, NULL);
	ck_assert_int_eq(r.status, 3); /* another endpoint: its own state, unreachable */
	bpci_test_run_free(&r);
	free(odir);
	f.l = at_open(f.src);
	teardown(&f);
}
END_TEST

START_TEST(root_mismatch_refused)
{
	fixture f;
	bpci_ledger_shipper *s;
	bpci_ledger *other;
	char *odir;
	bpci_diag *d;

	/* Same size on both sides but other entries: the mirror appends the
	 * batch, finds another root, and both ends raise the alarm. */
	setup(&f, 6);
	ck_assert(asprintf(&odir, "%s/other", f.tmp) > 0);
	other = at_open(odir);
	at_fill(other, "s", 3);
	at_serve(&f.srv, f.mirror, "127.0.0.1:0", f.token);
	{
		bpci_ledger_shipper_options o = BPCI_LEDGER_SHIPPER_OPTIONS_INIT;

		o.endpoint = f.srv.url;
		o.token = TOKEN;
		ck_assert_int_eq(bpci_ledger_shipper_new(&s, other, odir, &o, NULL), 0);
		ck_assert_int_eq(bpci_ledger_shipper_run_once(s, NULL), 0);
		bpci_ledger_shipper_free(s);
	}
	at_fill(other, "z", 3);
	bpci_ledger_free(other);
	s = shipper(&f, f.srv.url, TOKEN);
	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci_ledger_shipper_run_once(s, d), BPCI_EVERIFY);
	ck_assert_contains(bpci_diag_last_text(d), "its root differs");
	bpci_diag_free(d);
	bpci_ledger_shipper_free(s);
	free(odir);
	teardown(&f);
}
END_TEST

/* A batch body for entries [0, n) of @l with root @root_hex. */
static char *batch_json(bpci_ledger *l, size_t n, const char *root_hex)
{
	json_t *arr = json_array(), *j;
	char *text;
	size_t i;

	for (i = 0; i < n; i++) {
		char *e = NULL;
		size_t len;

		ck_assert_int_eq(bpci_ledger_get(&e, &len, l, i, NULL), 0);
		json_array_append_new(arr, json_stringn(e, len));
		bpci_free(e);
	}
	j = json_pack("{s:s,s:i,s:i,s:s,s:o}", "origin", "bpci.local/audit", "from", 0, "size",
		      (int)n, "root", root_hex, "entries", arr);
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return text;
}

START_TEST(mirror_checks_root_first)
{
	bpci__http_client_opts co = BPCI__HTTP_CLIENT_OPTS_INIT;
	bpci__http_response resp = {0, NULL, 0, NULL};
	fixture f;
	char url[400], root[65], *body;
	uint8_t h[32];

	setup(&f, 4);
	at_serve(&f.srv, f.mirror, "127.0.0.1:0", f.token);
	snprintf(url, sizeof(url), "%s/api/ledger/entries", f.srv.url);
	co.token = TOKEN;
	/* The root of 3 entries offered as the root after 4: refused. */
	ck_assert_int_eq(bpci_ledger_root(h, f.l, 3), 0);
	at_hex(root, h);
	body = batch_json(f.l, 4, root);
	ck_assert_int_eq(bpci__http_request(&co, "POST", url, body, strlen(body), &resp, NULL),
			 BPCI_EEXISTS);
	ck_assert_int_eq(resp.status, 409);
	ck_assert_contains(resp.body, "\"code\":\"root_mismatch\"");
	ck_assert_contains(resp.body, "\"size\":0");
	bpci__http_response_clear(&resp);
	free(body);
	/* The right root: appended, answered with the mirror's checkpoint. */
	ck_assert_int_eq(bpci_ledger_root(h, f.l, 4), 0);
	at_hex(root, h);
	body = batch_json(f.l, 4, root);
	ck_assert_int_eq(bpci__http_request(&co, "POST", url, body, strlen(body), &resp, NULL), 0);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_contains(resp.body, "\"size\":4");
	ck_assert_contains(resp.body, root);
	ck_assert_contains(resp.body, "\"checkpoint\":\"bpci.local/audit\\n4\\n");
	bpci__http_response_clear(&resp);
	/* The same batch again starts at 0, not at the mirror's size. */
	ck_assert_int_eq(bpci__http_request(&co, "POST", url, body, strlen(body), &resp, NULL),
			 BPCI_EEXISTS);
	ck_assert_contains(resp.body, "\"code\":\"out_of_order\"");
	ck_assert_contains(resp.body, "starts at 0 but the mirror holds 4");
	bpci__http_response_clear(&resp);
	free(body);
	ck_assert_int_eq(at_stop(&f.srv, SIGTERM), 0);
	assert_mirror_equal(&f, 4);
	teardown(&f);
}
END_TEST

/* The mirror's size from GET /healthz. */
static long mirror_size(const char *base)
{
	bpci__http_response resp = {0, NULL, 0, NULL};
	char url[400];
	const char *at;
	long n = -1;

	snprintf(url, sizeof(url), "%s/healthz", base);
	if (bpci__http_request(NULL, "GET", url, NULL, 0, &resp, NULL) == 0 &&
	    (at = strstr(resp.body, "\"size\":")) != NULL)
		n = strtol(at + 7, NULL, 10);
	bpci__http_response_clear(&resp);
	return n;
}

START_TEST(cli_ship_follow)
{
	const char *argv[] = {"ledger", "ship", "--follow", "--endpoint", NULL, "--ledger", NULL,
			      "--token-file", NULL, NULL};
	fixture f;
	at_child ship;
	int i;

	/* The test holds the ledger as its writer (a daemon): the shipper
	 * follows it read-only. */
	setup(&f, 20);
	at_serve(&f.srv, f.mirror, "127.0.0.1:0", f.token);
	argv[4] = f.srv.url;
	argv[6] = f.src;
	argv[8] = f.token;
	at_spawn(&ship, argv);
	for (i = 0; i < 200 && mirror_size(f.srv.url) != 20; i++)
		usleep(50 * 1000);
	ck_assert_int_eq(mirror_size(f.srv.url), 20);
	at_fill(f.l, "followed", 15);
	for (i = 0; i < 200 && mirror_size(f.srv.url) != 35; i++)
		usleep(50 * 1000);
	ck_assert_int_eq(mirror_size(f.srv.url), 35);
	ck_assert_int_eq(at_stop(&ship, SIGINT), 0);
	ck_assert_int_eq(at_stop(&f.srv, SIGTERM), 0);
	assert_mirror_equal(&f, 35);
	teardown(&f);
}
END_TEST

START_TEST(bad_token)
{
	fixture f;
	bpci_ledger_shipper *s;
	bpci_diag *d;
	bpci_test_run r;
	char *wrong;

	setup(&f, 5);
	at_serve(&f.srv, f.mirror, "127.0.0.1:0", f.token);
	s = shipper(&f, f.srv.url, "not-the-token");
	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci_ledger_shipper_run_once(s, d), BPCI_EINVAL);
	ck_assert_contains(bpci_diag_last_text(d), "refused the request (HTTP 401)");
	bpci_diag_free(d);
	ck_assert_uint_eq(stats(s).shipped, 0);
	ck_assert_uint_eq(stats(s).failures, 1); /* no retries for a refusal */
	bpci_ledger_shipper_free(s);
	wrong = bpci_test_write_file(f.tmp, "wrong", "nope\n");
	at_run(&r, "ledger", "ship", "--endpoint", f.srv.url, "--ledger", f.src, "--token-file",
	       wrong, NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_contains(r.err, "wrong or missing bearer token");
	bpci_test_run_free(&r);
	at_run(&r, "ledger", "ship", "--endpoint", f.srv.url, "--ledger", f.src, NULL);
	ck_assert_int_eq(r.status, 1);
	bpci_test_run_free(&r);
	free(wrong);
	ck_assert_int_eq(at_stop(&f.srv, SIGTERM), 0);
	{
		bpci_ledger_options o = BPCI_LEDGER_OPTIONS_INIT;
		bpci_ledger *m = NULL;

		o.flags = BPCI_LEDGER_READONLY;
		ck_assert_int_eq(bpci_ledger_open(&m, f.mirror, &o, NULL), 0);
		ck_assert_uint_eq(bpci_ledger_size(m), 0);
		bpci_ledger_free(m);
	}
	teardown(&f);
}
END_TEST

START_TEST(generated_token)
{
	char *tmp = bpci_test_mkdtemp(), *dir, *tok, line[256];
	const char *argv[] = {"ledger", "serve", "--listen", "127.0.0.1:0", "--ledger", NULL, NULL};
	at_child c;
	FILE *f;

	ck_assert(asprintf(&dir, "%s/m", tmp) > 0);
	argv[5] = dir;
	at_spawn(&c, argv);
	ck_assert(at_read_line(&c, line, sizeof(line), 20000));
	ck_assert(strncmp(line, "listening on http://127.0.0.1:", 30) == 0);
	ck_assert(asprintf(&tok, "%s/api-token", dir) > 0);
	f = fopen(tok, "r");
	ck_assert(f != NULL);
	ck_assert(fgets(line, sizeof(line), f) != NULL);
	fclose(f);
	ck_assert_uint_eq(strlen(line), 65); /* 64 hex digits (32 random bytes) and a newline */
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "test \"$(stat -c %%a %s)\" = 600", tok);
		ck_assert_int_eq(system(cmd), 0);
	}
	ck_assert_int_eq(at_stop(&c, SIGTERM), 0);
	free(tok);
	free(dir);
	bpci_test_rmtree(tmp);
	free(tmp);
}
END_TEST

void audit_add_ship_tests(Suite *s)
{
	TCase *tc = tcase_create("ship");

	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, ship_all);
	tcase_add_test(tc, peer_down);
	tcase_add_test(tc, divergent_mirror);
	tcase_add_test(tc, root_mismatch_refused);
	tcase_add_test(tc, mirror_checks_root_first);
	tcase_add_test(tc, cli_ship_follow);
	tcase_add_test(tc, bad_token);
	tcase_add_test(tc, generated_token);
	suite_add_tcase(s, tc);
}
