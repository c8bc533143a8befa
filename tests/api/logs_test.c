/* GET /api/nodes/{id}/logs: tail, follow, and a follower that leaves. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/api/api_internal.h"
#include "api_test.h"

/* Prints five lines, waits for TRIGGER, prints two more, sleeps. */
static char *logger_script(const char *trigger)
{
	char *s = malloc(512);

	snprintf(s, 512,
		 "for i in 1 2 3 4 5; do echo line $i; done; "
		 "while [ ! -e %s ]; do sleep 0.05; done; "
		 "echo after-1; sleep 0.1; echo after-2; exec sleep 30",
		 trigger);
	return s;
}

static void wait_log_has(bpci_client *cl, const char *id, const char *needle)
{
	double t0 = now_s();

	while (now_s() - t0 < 10.0) {
		char *text = NULL;
		int found;

		ck_assert_int_eq(bpci_client_node_logs(&text, cl, id, 100, NULL), 0);
		found = strstr(text, needle) != NULL;
		bpci_free(text);
		if (found)
			return;
		usleep(20000);
	}
	ck_abort_msg("log of %s never showed '%s'", id, needle);
}

typedef struct follow_ctx {
	char buf[4096];
	size_t len;
	const char *trigger;
	int chunks;
} follow_ctx;

static int on_chunk(const char *data, size_t len, void *payload)
{
	follow_ctx *f = payload;

	if (f->len + len < sizeof(f->buf)) {
		memcpy(f->buf + f->len, data, len);
		f->len += len;
		f->buf[f->len] = '\0';
	}
	if (f->chunks++ == 0)
		close(open(f->trigger, O_CREAT | O_WRONLY, 0644)); /* the node goes on */
	return strstr(f->buf, "after-2\n") ? 7 : 0;
}

START_TEST(tail_and_follow)
{
	api_fx fx;
	bpci_client *cl;
	bpci_node_spec *spec;
	char *trigger, *script, *id = NULL, *text = NULL, buf[4096];
	follow_ctx f;
	double t0;

	fx_start(&fx, NULL, 0);
	trigger = malloc(strlen(fx.dir) + 16);
	sprintf(trigger, "%s/go", fx.dir);
	script = logger_script(trigger);
	spec = fx_spec("logger", script);
	cl = fx_client(&fx, NULL);
	ck_assert_int_eq(bpci_client_start_node(&id, cl, spec, NULL, NULL), 0);
	wait_log_has(cl, id, "line 5\n");

	ck_assert_int_eq(bpci_client_node_logs(&text, cl, id, 2, NULL), 0);
	ck_assert_str_eq(text, "line 4\nline 5\n");
	bpci_free(text);
	ck_assert_int_eq(bpci_client_node_logs(&text, cl, id, 0, NULL), 0);
	ck_assert_str_eq(text, "");
	bpci_free(text);
	ck_assert_int_eq(bpci_client_node_logs(&text, cl, "storage-9", 2, NULL), BPCI_ENOTFOUND);
	ck_assert_int_eq(raw_http(fx.port, "GET /api/nodes/storage-1/logs?tail=x HTTP/1.1\r\n"
				  "Host: x\r\nConnection: close\r\n\r\n", buf, sizeof(buf)), 400);
	api_assert_has(raw_body(buf), "\"field\":\"tail\"");

	/* Follow: the tail, then what the node writes after it. */
	memset(&f, 0, sizeof(f));
	f.trigger = trigger;
	t0 = now_s();
	ck_assert_int_eq(bpci_client_follow_logs(cl, id, 1, on_chunk, &f, NULL), 7);
	ck_assert_str_eq(f.buf, "line 5\nafter-1\nafter-2\n");
	ck_assert_int_ge(f.chunks, 2);
	ck_assert_msg(now_s() - t0 < 5.0, "follow took %.1fs", now_s() - t0);

	/* The server noticed that the follower left and ended its stream. */
	t0 = now_s();
	for (;;) {
		int left;

		fx_pause(&fx);
		left = fx.srv->follows == NULL;
		if (left || now_s() - t0 > 5.0)
			break;
		fx_resume(&fx);
		usleep(50000);
	}
	ck_assert_ptr_null(fx.srv->follows);
	bpci_free(id);
	bpci_node_spec_free(spec);
	bpci_client_free(cl);
	free(script);
	free(trigger);
	fx_stop(&fx);
}
END_TEST

typedef struct follower {
	bpci_client *cl;
	const char *id;
	follow_ctx f;
	volatile int got;
	int rc;
} follower;

static int on_piece(const char *data, size_t len, void *payload)
{
	follower *fw = payload;

	if (fw->f.len + len < sizeof(fw->f.buf)) {
		memcpy(fw->f.buf + fw->f.len, data, len);
		fw->f.len += len;
		fw->f.buf[fw->f.len] = '\0';
	}
	__atomic_store_n(&fw->got, 1, __ATOMIC_SEQ_CST);
	return 0;
}

static void *follow_main(void *arg)
{
	follower *fw = arg;

	fw->rc = bpci_client_follow_logs(fw->cl, fw->id, 10, on_piece, fw, NULL);
	return NULL;
}

/* Stopping a node ends the streams that follow its log. */
START_TEST(stop_ends_follow)
{
	api_fx fx;
	bpci_node_spec *spec = fx_spec("short", "echo only line; exec sleep 30");
	bpci_client *cl, *cl2;
	follower fw;
	pthread_t th;
	char *id = NULL;
	double t0;

	fx_start(&fx, NULL, 0);
	cl = fx_client(&fx, NULL);
	cl2 = fx_client(&fx, NULL);
	ck_assert_int_eq(bpci_client_start_node(&id, cl, spec, NULL, NULL), 0);
	wait_log_has(cl, id, "only line\n");
	memset(&fw, 0, sizeof(fw));
	fw.cl = cl2;
	fw.id = id;
	ck_assert_int_eq(pthread_create(&th, NULL, follow_main, &fw), 0);
	t0 = now_s();
	while (!__atomic_load_n(&fw.got, __ATOMIC_SEQ_CST) && now_s() - t0 < 5.0)
		usleep(10000);
	ck_assert_int_eq(bpci_client_stop_node(cl, id, NULL), 0);
	t0 = now_s();
	pthread_join(th, NULL);
	ck_assert_msg(now_s() - t0 < 5.0, "the follow outlived its node by %.1fs", now_s() - t0);
	ck_assert_int_eq(fw.rc, 0);
	ck_assert_str_eq(fw.f.buf, "only line\n");
	bpci_free(id);
	bpci_node_spec_free(spec);
	bpci_client_free(cl2);
	bpci_client_free(cl);
	fx_stop(&fx);
}
END_TEST

typedef struct lines_ctx {
	char *buf;
	size_t len, cap;
	const char *trigger;
	int started;
} lines_ctx;

static int collect(const char *data, size_t len, void *payload)
{
	lines_ctx *lc = payload;

	if (lc->len + len + 1 > lc->cap) {
		lc->cap = (lc->len + len + 1) * 2;
		lc->buf = realloc(lc->buf, lc->cap);
		ck_assert_ptr_nonnull(lc->buf);
	}
	memcpy(lc->buf + lc->len, data, len);
	lc->len += len;
	lc->buf[lc->len] = '\0';
	if (!lc->started++)
		close(open(lc->trigger, O_CREAT | O_WRONLY, 0644));
	return strstr(lc->buf, "rot 200 ") ? 1 : 0;
}

/* The log is rotated under a follower: it reads the old file to its end,
 * then the new one, and loses no line. */
START_TEST(follow_across_rotation)
{
	api_fx fx;
	bpci_client *cl;
	bpci_node_spec *spec;
	lines_ctx lc;
	char script[512], *trigger, *id = NULL, *p, want[64];
	int i;

	fx_start_ex(&fx, NULL, 0, 0, 1024);
	trigger = malloc(strlen(fx.dir) + 16);
	sprintf(trigger, "%s/go", fx.dir);
	snprintf(script, sizeof(script),
		 "echo ready; while [ ! -e %s ]; do sleep 0.05; done; i=1; "
		 "while [ $i -le 200 ]; do echo \"rot $i padding-padding-padding\"; "
		 "[ $((i %% 5)) -eq 0 ] && sleep 0.03; i=$((i+1)); done; exec sleep 30",
		 trigger);
	spec = fx_spec("rotor", script);
	cl = fx_client(&fx, NULL);
	ck_assert_int_eq(bpci_client_start_node(&id, cl, spec, NULL, NULL), 0);
	wait_log_has(cl, id, "ready\n");
	memset(&lc, 0, sizeof(lc));
	lc.trigger = trigger;
	ck_assert_int_eq(bpci_client_follow_logs(cl, id, 1, collect, &lc, NULL), 1);
	p = lc.buf;
	ck_assert_int_eq(strncmp(p, "ready\n", 6), 0);
	for (i = 1; i <= 200; i++) {
		snprintf(want, sizeof(want), "rot %d padding-padding-padding\n", i);
		p = strstr(p, want);
		ck_assert_msg(p != NULL, "line %d missing or out of order", i);
		p += strlen(want);
	}
	/* The file really was rotated under the follower (~7 KiB at 1 KiB). */
	snprintf(script, sizeof(script), "%s/logs/%s.log.2", fx.state, id);
	ck_assert_msg(access(script, F_OK) == 0, "no %s", script);
	free(lc.buf);
	free(trigger);
	bpci_free(id);
	bpci_node_spec_free(spec);
	bpci_client_free(cl);
	fx_stop(&fx);
}
END_TEST

void add_log_tests(Suite *s)
{
	TCase *tc = tcase_create("logs");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, tail_and_follow);
	tcase_add_test(tc, stop_ends_follow);
	tcase_add_test(tc, follow_across_rotation);
	suite_add_tcase(s, tc);
}
