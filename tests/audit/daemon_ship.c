/*
 * Daemons shipping their ledger by themselves: a real `bpi-core
 * node-coordinator start --config` whose configuration names a `ledger
 * serve` peer (audit_integration.bpi_ledger_endpoint), and a real
 * `cluster-manager start --ledger-endpoint`. Every wait polls a condition
 * with a generous deadline: the machine may be loaded.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "audit_test.h"
#include "runtime/http_client.h"

#define TOKEN "ship-token-1"
#define DEADLINE_S 30.0

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct daemon_proc {
	pid_t pid;
	char *err;      /* its stderr file */
} daemon_proc;

/* The daemon of the running test, killed by the teardown when an
 * assertion skipped the stop (its nodes must not outlive the test). */
static pid_t live[4];

static void teardown_live(void)
{
	int i, st;

	for (i = 0; i < 4; i++)
		if (live[i] > 0) {
			kill(live[i], SIGTERM);
			waitpid(live[i], &st, 0);
			live[i] = 0;
		}
}

static void remember(pid_t pid)
{
	int i;

	for (i = 0; i < 4; i++)
		if (live[i] <= 0) {
			live[i] = pid;
			return;
		}
}

static void forget(pid_t pid)
{
	int i;

	for (i = 0; i < 4; i++)
		if (live[i] == pid)
			live[i] = 0;
}

/* @program (in the build's bin/) with @argv, stdout and stderr to files in @dir. */
static void spawn(daemon_proc *d, const char *dir, const char *program, const char *const *argv)
{
	char path[4096], out[4200];
	const char *full[32];
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/bin/%s", bpci_test_build_dir(), program);
	full[n++] = path;
	while (argv[n - 1] && n < 31) {
		full[n] = argv[n - 1];
		n++;
	}
	full[n] = NULL;
	snprintf(out, sizeof(out), "%s/%s.out", dir, program);
	ck_assert(asprintf(&d->err, "%s/%s.err", dir, program) > 0);
	d->pid = fork();
	ck_assert_int_ge(d->pid, 0);
	if (d->pid == 0) {
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(d->err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int in = open("/dev/null", O_RDONLY);

		dup2(in, 0);
		dup2(o, 1);
		dup2(e, 2);
		execv(path, (char *const *)full);
		_exit(127);
	}
	remember(d->pid);
}

static char *slurp(const char *path)
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

static void stop_daemon(daemon_proc *d)
{
	double t0 = mono();
	int st = 0;
	pid_t w;

	kill(d->pid, SIGTERM);
	while ((w = waitpid(d->pid, &st, WNOHANG)) == 0 && mono() - t0 < DEADLINE_S)
		usleep(20 * 1000);
	if (w == 0) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, &st, 0);
	}
	forget(d->pid);
	ck_assert_msg(w != 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "daemon exit %d", st);
	free(d->err);
	d->err = NULL;
}

/* The first line of @path, waiting for the file to exist. */
static char *wait_line(const char *path, const daemon_proc *d)
{
	double t0 = mono();
	char *text;

	while (access(path, F_OK) != 0) {
		if (mono() - t0 > DEADLINE_S) {
			char *e = slurp(d->err);

			ck_abort_msg("%s did not appear; daemon stderr:\n%.2000s", path, e);
		}
		usleep(20 * 1000);
	}
	usleep(20 * 1000); /* written atomically, but be safe */
	text = slurp(path);
	text[strcspn(text, "\r\n")] = '\0';
	return text;
}

static int http(const char *method, const char *url, const char *token, const char *body,
		bpci__http_response *resp)
{
	bpci__http_client_opts o = BPCI__HTTP_CLIENT_OPTS_INIT;

	o.token = token;
	o.timeout_ms = 20000;
	memset(resp, 0, sizeof(*resp));
	(void)bpci__http_request(&o, method, url, body, body ? strlen(body) : 0, resp, NULL);
	return (int)resp->status;
}

/* GET @base@path as JSON (status 200 or 503 accepted). */
static json_t *get_json(const char *base, const char *path)
{
	bpci__http_response r;
	char url[512];
	json_t *doc;
	int status;

	snprintf(url, sizeof(url), "%s%s", base, path);
	status = http("GET", url, NULL, NULL, &r);
	ck_assert_msg(status == 200 || status == 503, "GET %s: %d", url, status);
	doc = json_loads(r.body, 0, NULL);
	ck_assert_msg(doc != NULL, "GET %s: %s", url, r.body);
	bpci__http_response_clear(&r);
	return doc;
}

static char *get_text(const char *base, const char *path)
{
	bpci__http_response r;
	char url[512], *out;

	snprintf(url, sizeof(url), "%s%s", base, path);
	ck_assert_int_eq(http("GET", url, NULL, NULL, &r), 200);
	out = strdup(r.body);
	bpci__http_response_clear(&r);
	return out;
}

/* The mirror's size (GET /api/ledger/checkpoint). */
static long long mirror_size(const char *url)
{
	json_t *doc = get_json(url, "/api/ledger/checkpoint");
	long long n = json_integer_value(json_object_get(doc, "size"));

	json_decref(doc);
	return n;
}

static uint64_t local_size(const char *ledger_dir)
{
	bpci_ledger_options o = BPCI_LEDGER_OPTIONS_INIT;
	bpci_ledger *l = NULL;
	uint64_t n;

	o.flags = BPCI_LEDGER_READONLY;
	ck_assert_int_eq(bpci_ledger_open(&l, ledger_dir, &o, NULL), 0);
	n = bpci_ledger_size(l);
	bpci_ledger_free(l);
	return n;
}

/* "shipped" of the daemon's health document, -1 when it has none. */
static json_t *shipping_of(json_t *health)
{
	return json_object_get(health, "ledger_shipping");
}

/* Wait until the daemon's health says everything local is shipped and
 * the mirror holds as many entries; returns that size. */
static long long wait_caught_up(const char *api, const char *health_path, const char *mirror,
				const char *ledger_dir, const daemon_proc *d)
{
	double t0 = mono();

	for (;;) {
		json_t *h = get_json(api, health_path);
		json_t *s = shipping_of(h);
		long long shipped = s ? json_integer_value(json_object_get(s, "shipped")) : -1;
		long long lag = s ? json_integer_value(json_object_get(s, "lag")) : -1;
		uint64_t local = local_size(ledger_dir);

		json_decref(h);
		if (shipped > 0 && lag == 0 && (uint64_t)shipped == local &&
		    mirror_size(mirror) == shipped)
			return shipped;
		if (mono() - t0 > DEADLINE_S) {
			char *e = slurp(d->err);

			ck_abort_msg("not caught up after %.0f s: shipped %lld, lag %lld, local "
				     "%llu, mirror %lld; stderr:\n%.2000s", DEADLINE_S, shipped, lag,
				     (unsigned long long)local, mirror_size(mirror), e);
		}
		usleep(50 * 1000);
	}
}

static const char node_yaml[] =
	"nodes:\n"
	"  - type: storage\n"
	"    name: store-a\n"
	"    storage_type: distributed\n"
	"    capacity_gb: 10\n"
	"    command: [/bin/sh, -c, 'exec sleep 120']\n"
	"    health:\n"
	"      type: none\n";

static char *write_config(const char *dir, const char *endpoint)
{
	char *yaml, *path;

	ck_assert(asprintf(&yaml, "audit_integration:\n  bpi_ledger_endpoint: %s\n%s", endpoint,
			   node_yaml) > 0);
	path = bpci_test_write_file(dir, "config.yaml", yaml);
	free(yaml);
	return path;
}

typedef struct coord {
	daemon_proc d;
	char *state, *ledger, *api, *token;
} coord;

static void coord_start(coord *c, const char *tmp, const char *config, const char *token_file)
{
	const char *argv[] = {"node-coordinator", "start", "--config", config, "--state-dir", NULL,
			      "--listen", "127.0.0.1:0", "--ledger-token-file", token_file, NULL};
	char *p;

	ck_assert(asprintf(&c->state, "%s/state", tmp) > 0);
	ck_assert(asprintf(&c->ledger, "%s/ledger", c->state) > 0);
	argv[5] = c->state;
	spawn(&c->d, tmp, "bpi-core", argv);
	ck_assert(asprintf(&p, "%s/api.url", c->state) > 0);
	c->api = wait_line(p, &c->d);
	free(p);
	ck_assert(asprintf(&p, "%s/api.token", c->state) > 0);
	c->token = wait_line(p, &c->d);
	free(p);
}

static void coord_free(coord *c)
{
	free(c->state);
	free(c->ledger);
	free(c->api);
	free(c->token);
}

/* POST /api/audit through the daemon; returns the seconds it took. */
static double post_audit(const char *api, const char *token, const char *event)
{
	bpci__http_response r;
	char url[512], body[256];
	double t0 = mono();

	snprintf(url, sizeof(url), "%s/api/audit", api);
	snprintf(body, sizeof(body), "{\"event\":\"%s\",\"details\":\"while shipping\"}", event);
	ck_assert_int_eq(http("POST", url, token, body, &r), 201);
	bpci__http_response_clear(&r);
	return mono() - t0;
}

START_TEST(coordinator_ships_by_itself)
{
	char *tmp = bpci_test_mkdtemp(), *token, *mirror, *config, listen[300], *metrics, want[600];
	at_child peer;
	coord c;
	long long n1, n2;
	json_t *h;
	int i;

	token = bpci_test_write_file(tmp, "token", TOKEN "\n");
	ck_assert(asprintf(&mirror, "%s/mirror", tmp) > 0);
	at_serve(&peer, mirror, "127.0.0.1:0", token);
	remember(peer.pid);
	snprintf(listen, sizeof(listen), "%s", peer.url + 7);
	config = write_config(tmp, peer.url);
	coord_start(&c, tmp, config, token);

	/* the configuration's node started and everything reached the peer */
	n1 = wait_caught_up(c.api, "/api/node-coordinator/health", peer.url, c.ledger, &c.d);
	ck_assert_int_ge(n1, 1); /* node.started (health none: running at once) */
	h = get_json(c.api, "/api/node-coordinator/health");
	ck_assert_str_eq(json_string_value(json_object_get(h, "status")), "healthy");
	ck_assert_ptr_null(json_object_get(h, "alarm"));
	ck_assert_str_eq(json_string_value(json_object_get(shipping_of(h), "endpoint")), peer.url);
	ck_assert(json_is_false(json_object_get(shipping_of(h), "diverged")));
	ck_assert_str_eq(json_string_value(json_object_get(shipping_of(h), "last_error")), "");
	json_decref(h);
	metrics = get_text(c.api, "/metrics");
	snprintf(want, sizeof(want), "bpci_ledger_ship_shipped_entries{endpoint=\"%s\"} %lld\n",
		 peer.url, n1);
	ck_assert_contains(metrics, want);
	snprintf(want, sizeof(want), "bpci_ledger_ship_divergence_alarm{endpoint=\"%s\"} 0\n",
		 peer.url);
	ck_assert_contains(metrics, want);
	snprintf(want, sizeof(want), "bpci_ledger_ship_lag_entries{endpoint=\"%s\"} 0\n", peer.url);
	ck_assert_contains(metrics, want);
	free(metrics);

	/* The peer hangs (SIGSTOP: the shipper's request waits for its
	 * timeout): appends through the daemon do not wait for it. */
	kill(peer.pid, SIGSTOP);
	for (i = 0; i < 3; i++) {
		char ev[32];

		snprintf(ev, sizeof(ev), "hung-%d", i);
		ck_assert_double_lt(post_audit(c.api, c.token, ev), 5.0);
	}
	{ /* a node start is journaled, never waiting for the peer */
		bpci__http_response r;
		char nodes[512];
		double t0 = mono();

		snprintf(nodes, sizeof(nodes), "%s/api/nodes", c.api);
		ck_assert_int_eq(http("POST", nodes, c.token,
				      "{\"type\":\"storage\",\"name\":\"while-hung\",\"params\":"
				      "{\"storage_type\":\"distributed\",\"capacity_gb\":5},"
				      "\"command\":[\"/bin/sh\",\"-c\",\"exec sleep 60\"],"
				      "\"health\":{\"type\":\"none\"},\"stop\":{\"timeout\":\"2s\"}}",
				      &r), 201);
		bpci__http_response_clear(&r);
		ck_assert_double_lt(mono() - t0, 5.0);
	}
	kill(peer.pid, SIGCONT);
	/* The peer is down for a while: appends go on, health shows the error. */
	forget(peer.pid);
	ck_assert_int_eq(at_stop(&peer, SIGTERM), 0);
	for (i = 0; i < 5; i++) {
		char ev[32];

		snprintf(ev, sizeof(ev), "down-%d", i);
		ck_assert_double_lt(post_audit(c.api, c.token, ev), 5.0);
	}
	{
		double t0 = mono();
		int seen = 0;

		while (!seen && mono() - t0 < DEADLINE_S) {
			h = get_json(c.api, "/api/node-coordinator/health");
			seen = strcmp(json_string_value(json_object_get(shipping_of(h),
									 "last_error")), "") != 0 &&
			       json_integer_value(json_object_get(shipping_of(h), "lag")) > 0;
			json_decref(h);
			if (!seen)
				usleep(50 * 1000);
		}
		ck_assert_msg(seen, "health never showed the shipping error");
	}
	/* Back on the same address: shipping catches up. */
	at_serve(&peer, mirror, listen, token);
	remember(peer.pid);
	n2 = wait_caught_up(c.api, "/api/node-coordinator/health", peer.url, c.ledger, &c.d);
	ck_assert_int_ge(n2, n1 + 8);
	stop_daemon(&c.d);
	forget(peer.pid);
	ck_assert_int_eq(at_stop(&peer, SIGTERM), 0);
	/* Entries of the shutdown may be after the last shipped one: the
	 * mirror holds a prefix; the first n2 entries are the same bytes. */
	{
		bpci_test_run ra, rb;
		size_t mlen;

		at_run(&ra, "audit", "export", "--ledger", c.ledger, NULL);
		at_run(&rb, "audit", "export", "--ledger", mirror, NULL);
		ck_assert_int_eq(ra.status, 0);
		ck_assert_int_eq(rb.status, 0);
		mlen = strlen(rb.out);
		ck_assert_uint_gt(mlen, 0);
		ck_assert(strncmp(ra.out, rb.out, mlen) == 0);
		ck_assert_contains(rb.out, "\"subject\":\"down-4\"");
		ck_assert_contains(rb.out, "\"subject\":\"hung-0\"");
		ck_assert_contains(rb.out, "\"name\":\"while-hung\"");
		bpci_test_run_free(&ra);
		bpci_test_run_free(&rb);
	}
	coord_free(&c);
	bpci_test_rmtree(tmp);
	free(tmp);
	free(token);
	free(mirror);
	free(config);
}
END_TEST

/* A peer holding another ledger: the alarm (health degraded, /metrics,
 * stderr, an audit.divergence entry); then SIGHUP with a changed endpoint
 * ships to a good peer. */
START_TEST(coordinator_divergence_alarm_and_reload)
{
	char *tmp = bpci_test_mkdtemp(), *token, *bad, *good, *config, *metrics, *err, want[600];
	at_child bad_peer, good_peer;
	bpci_ledger *other;
	coord c;
	json_t *h = NULL;
	double t0;
	long long n;
	int alarmed = 0;

	token = bpci_test_write_file(tmp, "token", TOKEN "\n");
	ck_assert(asprintf(&bad, "%s/bad", tmp) > 0);
	ck_assert(asprintf(&good, "%s/good", tmp) > 0);
	other = at_open(bad);
	at_fill(other, "other-", 40);
	bpci_ledger_free(other);
	at_serve(&bad_peer, bad, "127.0.0.1:0", token);
	remember(bad_peer.pid);
	config = write_config(tmp, bad_peer.url);
	coord_start(&c, tmp, config, token);

	for (t0 = mono(); !alarmed && mono() - t0 < DEADLINE_S;) {
		json_decref(h);
		h = get_json(c.api, "/api/node-coordinator/health");
		alarmed = json_object_get(h, "alarm") != NULL;
		if (!alarmed)
			usleep(50 * 1000);
	}
	ck_assert_msg(alarmed, "no alarm after %.0f s", DEADLINE_S);
	ck_assert_str_eq(json_string_value(json_object_get(h, "status")), "degraded");
	ck_assert_contains(json_string_value(json_object_get(h, "alarm")), bad_peer.url);
	ck_assert_contains(json_string_value(json_object_get(h, "alarm")), "diverged");
	ck_assert(json_is_true(json_object_get(shipping_of(h), "diverged")));
	json_decref(h);
	metrics = get_text(c.api, "/metrics");
	snprintf(want, sizeof(want), "bpci_ledger_ship_divergence_alarm{endpoint=\"%s\"} 1\n",
		 bad_peer.url);
	ck_assert_contains(metrics, want);
	free(metrics);
	/* the daemon logs it within a second or so */
	for (t0 = mono(), err = NULL; mono() - t0 < DEADLINE_S; usleep(50 * 1000)) {
		free(err);
		err = slurp(c.d.err);
		if (strstr(err, "ALARM: the remote ledger diverged"))
			break;
	}
	ck_assert_contains(err, "ALARM: the remote ledger diverged");
	free(err);
	/* the bad peer kept its own 40 entries */
	ck_assert_int_eq(mirror_size(bad_peer.url), 40);

	/* SIGHUP with another endpoint: a new shipper, to the good peer */
	at_serve(&good_peer, good, "127.0.0.1:0", token);
	remember(good_peer.pid);
	free(config);
	config = write_config(tmp, good_peer.url);
	kill(c.d.pid, SIGHUP);
	n = wait_caught_up(c.api, "/api/node-coordinator/health", good_peer.url, c.ledger, &c.d);
	h = get_json(c.api, "/api/node-coordinator/health");
	ck_assert_str_eq(json_string_value(json_object_get(h, "status")), "healthy");
	ck_assert_ptr_null(json_object_get(h, "alarm"));
	ck_assert_str_eq(json_string_value(json_object_get(shipping_of(h), "endpoint")),
			 good_peer.url);
	json_decref(h);
	stop_daemon(&c.d);
	forget(good_peer.pid);
	forget(bad_peer.pid);
	ck_assert_int_eq(at_stop(&good_peer, SIGTERM), 0);
	ck_assert_int_eq(at_stop(&bad_peer, SIGTERM), 0);
	/* the local journal recorded the divergence, and shipped it to the good peer */
	{
		bpci_test_run r;

		at_run(&r, "audit", "export", "--ledger", good, NULL);
		ck_assert_int_eq(r.status, 0);
		ck_assert_contains(r.out, "\"type\":\"audit.divergence\"");
		bpci_test_run_free(&r);
	}
	ck_assert_int_ge(n, 2); /* node.started, audit.divergence */
	coord_free(&c);
	bpci_test_rmtree(tmp);
	free(tmp);
	free(token);
	free(bad);
	free(good);
	free(config);
}
END_TEST

/* cluster-manager start --ledger-endpoint: its ledger (and api.request
 * entries, a 401 among them) reach the peer. */
START_TEST(cluster_manager_ships)
{
	char *tmp = bpci_test_mkdtemp(), *token, *mirror, *state, *ledger, *p, *api, *cm_token;
	const char *argv[] = {"cluster-manager", "start", "--cluster-id", "ship-c", "--state-dir",
			      NULL, "--listen", "127.0.0.1:0", "--ledger-endpoint", NULL,
			      "--ledger-token-file", NULL, NULL};
	bpci__http_response r;
	daemon_proc d;
	at_child peer;
	char url[512], *metrics, want[600];
	long long n;

	token = bpci_test_write_file(tmp, "token", TOKEN "\n");
	ck_assert(asprintf(&mirror, "%s/mirror", tmp) > 0);
	ck_assert(asprintf(&state, "%s/cm", tmp) > 0);
	ck_assert(asprintf(&ledger, "%s/ledger", state) > 0);
	at_serve(&peer, mirror, "127.0.0.1:0", token);
	remember(peer.pid);
	argv[5] = state;
	argv[9] = peer.url;
	argv[11] = token;
	spawn(&d, tmp, "bpci-enterprise", argv);
	ck_assert(asprintf(&p, "%s/api.url", state) > 0);
	api = wait_line(p, &d);
	free(p);
	ck_assert(asprintf(&p, "%s/api.token", state) > 0);
	cm_token = wait_line(p, &d);
	free(p);

	snprintf(url, sizeof(url), "%s/api/audit", api);
	ck_assert_int_eq(http("POST", url, cm_token, "{\"event\":\"cm-deploy\",\"details\":\"v1\"}",
			      &r), 201);
	bpci__http_response_clear(&r);
	ck_assert_int_eq(http("POST", url, "wrong", "{\"event\":\"x\"}", &r), 401);
	bpci__http_response_clear(&r);
	n = wait_caught_up(api, "/api/cluster-manager/health", peer.url, ledger, &d);
	ck_assert_int_ge(n, 3);
	metrics = get_text(api, "/metrics");
	snprintf(want, sizeof(want), "bpci_ledger_ship_divergence_alarm{endpoint=\"%s\"} 0\n",
		 peer.url);
	ck_assert_contains(metrics, want);
	free(metrics);
	stop_daemon(&d);
	forget(peer.pid);
	ck_assert_int_eq(at_stop(&peer, SIGTERM), 0);
	{
		bpci_test_run rm;

		at_run(&rm, "audit", "export", "--ledger", mirror, NULL);
		ck_assert_int_eq(rm.status, 0);
		ck_assert_contains(rm.out, "\"subject\":\"cm-deploy\"");
		ck_assert_contains(rm.out, "\"type\":\"api.request\"");
		ck_assert_contains(rm.out, "\"status\":401");
		ck_assert_contains(rm.out, "\"status\":201");
		ck_assert(strstr(rm.out, cm_token) == NULL);
		bpci_test_run_free(&rm);
	}
	free(api);
	free(cm_token);
	bpci_test_rmtree(tmp);
	free(tmp);
	free(token);
	free(mirror);
	free(state);
	free(ledger);
}
END_TEST

/* ---- a power loss's hole in a daemon's ledger, cut at start ---------- */

/* Offset of entry @seq's record, from the ledger's index. */
static uint64_t record_offset(const char *dir, uint64_t seq)
{
	char path[4200], *idx;
	uint64_t v = 0;
	int i;

	snprintf(path, sizeof(path), "%s/index.offsets", dir);
	idx = slurp(path);
	for (i = 7; i >= 0; i--)
		v = v << 8 | (uint8_t)idx[seq * 8 + (uint64_t)i];
	free(idx);
	return v;
}

/*
 * 20 single appends, then one batch of 10 whose entry 23 lost its page in
 * a power loss while 24..29 reached the disk, and the index and tree cache
 * cover only the first 20: the hole an open cuts (see tests/ledger/hole.c).
 */
static void make_hole(const char *dir)
{
	bpci_ledger *l = at_open(dir);
	bpci_ledger_event ev[10];
	char subj[10][16], path[4200];
	uint64_t off;
	unsigned k;
	int fd, i;

	at_fill(l, "single-", 20);
	for (i = 0; i < 10; i++) {
		bpci_ledger_event e = BPCI_LEDGER_EVENT_INIT;

		snprintf(subj[i], sizeof(subj[i]), "batch-%d", i);
		e.type = "node.started";
		e.actor = "test";
		e.subject = subj[i];
		ev[i] = e;
	}
	ck_assert_int_eq(bpci_ledger_append_many(NULL, l, ev, 10, NULL), 0);
	bpci_ledger_free(l);
	off = record_offset(dir, 23);
	snprintf(path, sizeof(path), "%s/index.offsets", dir);
	ck_assert_int_eq(truncate(path, 20 * 8), 0);
	for (k = 0; k < 8; k++) {
		snprintf(path, sizeof(path), "%s/tree-%02u.hashes", dir, k);
		if (access(path, F_OK) == 0)
			ck_assert_int_eq(truncate(path, (off_t)((20u >> k) * 32)), 0);
	}
	snprintf(path, sizeof(path), "%s/segment-000000.log", dir);
	fd = open(path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	{
		char zeros[30] = {0};

		ck_assert(pwrite(fd, zeros, sizeof(zeros), (off_t)(off + 8 + 10)) == 30);
	}
	close(fd);
}

/* The warnings of the open reach the daemons' stderr. */
START_TEST(hole_warning_on_daemon_stderr)
{
	char *tmp = bpci_test_mkdtemp(), *config, *state, *ledger, *p, *api, *err;
	const char *cm_argv[] = {"cluster-manager", "start", "--cluster-id", "hole-c",
				 "--state-dir", NULL, "--listen", "127.0.0.1:0", NULL};
	daemon_proc d;
	coord c;

	/* the coordinator: its journal, DIR/ledger */
	ck_assert(asprintf(&state, "%s/state", tmp) > 0);
	ck_assert_int_eq(mkdir(state, 0700), 0);
	ck_assert(asprintf(&ledger, "%s/ledger", state) > 0);
	make_hole(ledger);
	config = bpci_test_write_file(tmp, "config.yaml", node_yaml);
	coord_start(&c, tmp, config, "/dev/null");
	err = slurp(c.d.err);
	ck_assert_msg(strstr(err, "cut 7 unacknowledged entries from seq 23 on") != NULL,
		      "stderr:\n%.2000s", err);
	free(err);
	stop_daemon(&c.d);
	coord_free(&c);
	free(state);
	free(ledger);

	/* the cluster manager: DIR/ledger */
	ck_assert(asprintf(&state, "%s/cm", tmp) > 0);
	ck_assert_int_eq(mkdir(state, 0700), 0);
	ck_assert(asprintf(&ledger, "%s/ledger", state) > 0);
	make_hole(ledger);
	cm_argv[5] = state;
	spawn(&d, tmp, "bpci-enterprise", cm_argv);
	ck_assert(asprintf(&p, "%s/api.url", state) > 0);
	api = wait_line(p, &d);
	free(p);
	err = slurp(d.err);
	ck_assert_msg(strstr(err, "cut 7 unacknowledged entries from seq 23 on") != NULL,
		      "stderr:\n%.2000s", err);
	free(err);
	stop_daemon(&d);
	free(api);
	free(state);
	free(ledger);
	free(config);
	bpci_test_rmtree(tmp);
	free(tmp);
}
END_TEST

void audit_add_daemon_ship_tests(Suite *s)
{
	TCase *tc = tcase_create("daemon_ship");

	tcase_add_checked_fixture(tc, NULL, teardown_live);
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, coordinator_ships_by_itself);
	tcase_add_test(tc, coordinator_divergence_alarm_and_reload);
	tcase_add_test(tc, cluster_manager_ships);
	tcase_add_test(tc, hole_warning_on_daemon_stderr);
	suite_add_tcase(s, tc);
}
