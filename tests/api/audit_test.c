/* POST /api/audit: the coordinator journals an audit event for programs
 * outside it, and `bpci-enterprise audit append` goes through it while the
 * coordinator holds the ledger. */
#include <stdio.h>
#include <string.h>

#include "api_test.h"

typedef struct found {
	const char *subject;
	const char *details;
	int n;
} found;

static int match(uint64_t seq, const char *entry, size_t len, void *payload)
{
	found *f = payload;
	bpci_ledger_entry_info e;

	(void)seq;
	memset(&e, 0, sizeof(e));
	if (bpci_ledger_entry_parse(&e, entry, len) != 0)
		return 0;
	if (strcmp(e.type, "audit.custom") == 0 && e.subject &&
	    strcmp(e.subject, f->subject) == 0 && strstr(e.details, f->details))
		f->n++;
	bpci_ledger_entry_info_clear(&e);
	return 0;
}

/* Entries audit.custom with @subject whose details hold @details, read
 * beside the running coordinator (a read-only open). */
static int count_audits(const char *state, const char *subject, const char *details)
{
	bpci_ledger_options lo = BPCI_LEDGER_OPTIONS_INIT;
	bpci_ledger *l = NULL;
	found f = {subject, details, 0};
	char path[4096];

	snprintf(path, sizeof(path), "%s/ledger", state);
	lo.flags = BPCI_LEDGER_READONLY;
	ck_assert_int_eq(bpci_ledger_open(&l, path, &lo, NULL), 0);
	ck_assert_int_eq(bpci_ledger_foreach(l, 0, match, &f), 0);
	bpci_ledger_free(l);
	return f.n;
}

static int post_audit(const api_fx *fx, const char *token, const char *body, char *buf,
		      size_t cap)
{
	char req[2048], auth[256] = "";

	if (token)
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s\r\n", token);
	snprintf(req, sizeof(req), "POST /api/audit HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
		 "%sContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s", auth,
		 strlen(body), body);
	return raw_http(fx->port, req, buf, cap);
}

START_TEST(audit_route)
{
	api_fx fx;
	char buf[8192];

	fx_start(&fx, NULL, 0);
	ck_assert_int_eq(post_audit(&fx, fx.token, "{\"event\":\"login\",\"details\":\"alice\"}",
				    buf, sizeof(buf)), 201);
	ck_assert_str_eq(raw_body(buf), "{\"event\":\"login\",\"journaled\":true}");
	ck_assert_int_eq(count_audits(fx.state, "login", "alice"), 1);
	/* A mutation: no token, no entry. */
	ck_assert_int_eq(post_audit(&fx, NULL, "{\"event\":\"login\",\"details\":\"mallory\"}",
				    buf, sizeof(buf)), 401);
	ck_assert_int_eq(count_audits(fx.state, "login", "mallory"), 0);
	ck_assert_int_eq(post_audit(&fx, fx.token, "{\"details\":\"x\"}", buf, sizeof(buf)), 400);
	api_assert_has(raw_body(buf), "\"field\":\"event\"");
	ck_assert_int_eq(post_audit(&fx, fx.token, "{\"event\":\"\"}", buf, sizeof(buf)), 400);
	api_assert_has(raw_body(buf), "\"field\":\"event\"");
	ck_assert_int_eq(post_audit(&fx, fx.token, "{\"event\":\"e\",\"details\":7}", buf,
				    sizeof(buf)), 400);
	api_assert_has(raw_body(buf), "\"field\":\"details\"");
	fx_stop(&fx);
}
END_TEST

START_TEST(audit_append_through_daemon)
{
	api_fx fx;
	bpci_test_run r;
	const char *argv[] = {"audit", "append", "--state-dir", NULL, "--event", "deploy",
			      "--details", "release v2", "--output", "json", NULL};

	fx_start(&fx, NULL, 0);
	argv[3] = fx.state;
	bpci_test_run_program(&r, "bpci-enterprise", argv);
	ck_assert_msg(r.status == 0, "audit append: %s", r.err);
	ck_assert_str_eq(r.out, "{\"event\":\"deploy\",\"journaled\":true}\n");
	bpci_test_run_free(&r);
	ck_assert_int_eq(count_audits(fx.state, "deploy", "release v2"), 1);
	fx_stop(&fx);
}
END_TEST

void add_audit_tests(Suite *s)
{
	TCase *tc = tcase_create("audit");

	tcase_add_test(tc, audit_route);
	tcase_add_test(tc, audit_append_through_daemon);
	suite_add_tcase(s, tc);
}
