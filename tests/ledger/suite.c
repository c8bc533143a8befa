/* Tests of the audit ledger (lib/ledger/ledger_*.c): the basics here, the
 * rest in the other files of this directory. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "ledger_test.h"
#include "test.h"

static char *tmp;
static char dir[512];

static void setup(void)
{
	tmp = bpci_test_mkdtemp();
	snprintf(dir, sizeof(dir), "%s/ledger", tmp);
}

static void teardown(void)
{
	bpci_test_rmtree(tmp);
	free(tmp);
}

static int exists(const char *name)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

static const char prefix1[] = "{\"actor\":\"test\",\"details\":{\"pid\":42},\"seq\":1,"
			       "\"subject\":\"storage-2\",\"time\":\"";
static const char prefix2[] = "{\"actor\":\"bpci\",\"details\":\"Allocated port 9000 for new "
			       "service\",\"seq\":0,\"subject\":\"port_allocation\",\"time\":\"";

START_TEST(create_append_reopen)
{
	bpci_ledger_options o = lt_options(0);
	bpci_ledger *l = lt_open(dir, &o);
	json_t *e, *again;
	char *text, *canon, path[600], msg[512];
	size_t len;
	struct stat st;

	ck_assert(exists("FORMAT") && exists("key.pem") && exists("key.pub") &&
		  exists("segment-000000.log") && exists("checkpoints"));
	snprintf(path, sizeof(path), "%s/key.pem", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_uint_eq(bpci_ledger_size(l), 0);
	ck_assert_uint_eq(lt_append(l, "storage-1"), 0);
	ck_assert_uint_eq(lt_append(l, "storage-2"), 1);
	ck_assert_uint_eq(lt_append(l, "storage-3"), 2);
	ck_assert_int_eq(bpci_ledger_get(&text, &len, l, 1, NULL), 0);
	ck_assert_uint_eq(strlen(text), len);
	e = json_loads(text, 0, NULL);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(json_object_size(e), 6);
	ck_assert_int_eq(json_integer_value(json_object_get(e, "seq")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(e, "type")), "node.started");
	ck_assert_str_eq(json_string_value(json_object_get(e, "actor")), "test");
	ck_assert_str_eq(json_string_value(json_object_get(e, "subject")), "storage-2");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(e, "details"), "pid")),
			 42);
	/* 2026-11-25T01:02:03.123456789Z */
	ck_assert_uint_eq(strlen(json_string_value(json_object_get(e, "time"))), 30);
	ck_assert_int_eq(json_string_value(json_object_get(e, "time"))[29], 'Z');
	ck_assert_int_eq(json_string_value(json_object_get(e, "time"))[19], '.');
	canon = json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS);
	ck_assert_str_eq(canon, text);
	ck_assert_int_eq(strncmp(text, prefix1, strlen(prefix1)), 0);
	free(canon);
	json_decref(e);
	bpci_free(text);
	ck_assert_int_eq(bpci_ledger_get(&text, NULL, l, 3, NULL), BPCI_ENOTFOUND);
	bpci_ledger_free(l);

	l = lt_open(dir, &o);
	ck_assert_uint_eq(bpci_ledger_size(l), 3);
	ck_assert_int_eq(bpci_ledger_get(&text, &len, l, 2, NULL), 0);
	again = json_loads(text, 0, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(again, "subject")), "storage-3");
	json_decref(again);
	bpci_free(text);
	ck_assert_uint_eq(lt_append(l, "storage-4"), 3);
	bpci_ledger_free(l);
	ck_assert_msg(lt_verify(dir, NULL, msg, sizeof(msg)) == 0, "verify: %s", msg);
	bpci_ledger_free(NULL);
}
END_TEST

static void expect_bad_event(bpci_ledger *l, const bpci_ledger_event *ev, const char *field,
			     const char *needle)
{
	bpci_diag *d;
	const bpci_diag_entry *e;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci_ledger_append(NULL, l, ev, d), BPCI_EINVAL);
	e = bpci_diag_get(d, 0);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->field, field);
	ck_assert_contains(e->message, needle);
	bpci_diag_free(d);
}

START_TEST(event_validation)
{
	static const char *const bad_types[] = {"Node.started", "node", "node..x", ".node",
						"node.", "node.Started", "1node.x", "node.st-x",
						"a.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"};
	bpci_ledger_options o = lt_options(0);
	bpci_ledger *l = lt_open(dir, &o);
	bpci_ledger_event ev = BPCI_LEDGER_EVENT_INIT;
	size_t i;

	for (i = 0; i < sizeof(bad_types) / sizeof(bad_types[0]); i++) {
		ev.type = bad_types[i];
		expect_bad_event(l, &ev, "type", bad_types[i]);
	}
	ev.type = NULL;
	expect_bad_event(l, &ev, "type", "(null)");
	ev.type = "api.request";
	ev.details_json = "[1,2]";
	expect_bad_event(l, &ev, "details_json", "must be a JSON object, got \"[1,2]\"");
	ev.details_json = "{\"a\":";
	expect_bad_event(l, &ev, "details_json", "is not JSON");
	ev.details_json = "{}";
	ev.details_text = "x";
	expect_bad_event(l, &ev, "details", "not both");
	ev.details_json = NULL;
	ev.details_text = NULL;
	ev.subject = "\xff\xfe";
	expect_bad_event(l, &ev, "subject", "UTF-8");
	ev.subject = "ok";
	ev.version = 7;
	expect_bad_event(l, &ev, "version", "got 7");
	ck_assert_uint_eq(bpci_ledger_size(l), 0);
	ev.version = BPCI_LEDGER_EVENT_VERSION;
	ev.type = "port.allocated";
	ck_assert_int_eq(bpci_ledger_append(NULL, l, &ev, NULL), 0);
	ck_assert_uint_eq(bpci_ledger_size(l), 1);
	bpci_ledger_free(l);
}
END_TEST

START_TEST(audit_to_bpi)
{
	bpci_ledger_options o = lt_options(0);
	bpci_ledger *l = lt_open(dir, &o);
	char *text;

	ck_assert_int_eq(bpci_ledger_audit(l, "port_allocation", "Allocated port 9000 for new "
					   "service"), 0);
	ck_assert_int_eq(bpci_ledger_audit(l, "", "x"), BPCI_EINVAL);
	ck_assert_int_eq(bpci_ledger_get(&text, NULL, l, 0, NULL), 0);
	ck_assert_int_eq(strncmp(text, prefix2, strlen(prefix2)), 0);
	ck_assert_contains(text, "\"type\":\"audit.custom\"}");
	bpci_free(text);
	bpci_ledger_free(l);
}
END_TEST

START_TEST(newer_format_refused)
{
	static const char format[] = "bpci-ledger\nversion 2\norigin example.org/log\n";
	bpci_ledger *l = NULL;
	bpci_diag *d;
	char *after;

	ck_assert_int_eq(mkdir(dir, 0700), 0);
	lt_write_bytes(dir, "FORMAT", format, strlen(format));
	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci_ledger_open(&l, dir, NULL, d), BPCI_EUNSUPPORTED);
	ck_assert_ptr_null(l);
	ck_assert_contains(bpci_diag_last_text(d), "FORMAT");
	ck_assert_contains(bpci_diag_last_text(d), "version 2");
	after = lt_read_file(dir, "FORMAT", NULL);
	ck_assert_str_eq(after, format);
	free(after);
	ck_assert(!exists("segment-000000.log") && !exists("key.pem") && !exists("checkpoints"));
	ck_assert_int_eq(lt_verify(dir, NULL, NULL, 0), BPCI_EUNSUPPORTED);
	bpci_diag_free(d);
}
END_TEST

START_TEST(not_a_ledger_and_options)
{
	bpci_ledger_options o = BPCI_LEDGER_OPTIONS_INIT;
	bpci_ledger *l = NULL;
	bpci_diag *d;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	o.flags = BPCI_LEDGER_NO_CREATE;
	ck_assert_int_eq(bpci_ledger_open(&l, dir, &o, d), BPCI_ENOTFOUND);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	ck_assert_int_eq(bpci_ledger_open(&l, dir, &o, d), BPCI_ENOTFOUND);
	lt_write_bytes(dir, "notes.txt", "hello", 5);
	o.flags = 0;
	ck_assert_int_eq(bpci_ledger_open(&l, dir, &o, d), BPCI_EINVAL);
	ck_assert_contains(bpci_diag_last_text(d), "not a ledger");
	o.batch_max_entries = 70000;
	ck_assert_int_eq(bpci_ledger_open(&l, dir, &o, d), BPCI_EINVAL);
	ck_assert_str_eq(bpci_diag_get(d, bpci_diag_count(d) - 1)->field, "batch_max_entries");
	ck_assert_contains(bpci_diag_last_text(d), "got 70000");
	o.batch_max_entries = 0;
	o.origin = "bad origin";
	ck_assert_int_eq(bpci_ledger_open(&l, dir, &o, d), BPCI_EINVAL);
	ck_assert_contains(bpci_diag_last_text(d), "origin must be");
	ck_assert_contains(bpci_diag_last_text(d), "\"bad origin\"");
	o.origin = NULL;
	o.segment_bytes = 100;
	ck_assert_int_eq(bpci_ledger_open(&l, dir, &o, d), BPCI_EINVAL);
	ck_assert_contains(bpci_diag_last_text(d), "segment_bytes must be 4096");
	o.segment_bytes = 0;
	o.version = 9;
	ck_assert_int_eq(bpci_ledger_open(&l, dir, &o, d), BPCI_EINVAL);
	ck_assert_ptr_null(l);
	bpci_diag_free(d);
}
END_TEST

typedef struct seen {
	uint64_t count, stop_at;
} seen;

static int count_cb(uint64_t seq, const char *entry, size_t len, void *payload)
{
	seen *s = payload;

	ck_assert_uint_eq(strlen(entry), len);
	ck_assert_uint_eq(seq, s->count + 2);
	s->count++;
	return seq == s->stop_at ? 77 : 0;
}

START_TEST(lock_readonly_refresh_foreach)
{
	bpci_ledger_options o = lt_options(0), ro = lt_options(0);
	bpci_ledger *l = lt_open(dir, &o), *r = NULL, *second = NULL;
	bpci_ledger_stats st = BPCI_LEDGER_STATS_INIT;
	uint8_t a[H], b[H];
	seen s = {0, UINT64_MAX};
	bpci_diag *d;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci_ledger_open(&second, dir, &o, d), BPCI_EBUSY);
	ck_assert_contains(bpci_diag_last_text(d), "open for writing by another process");
	lt_append(l, "a");
	lt_append(l, "b");
	ro.flags = BPCI_LEDGER_READONLY;
	r = lt_open(dir, &ro);
	ck_assert_uint_eq(bpci_ledger_size(r), 2);
	ck_assert_int_eq(bpci_ledger_append(NULL, r, &(bpci_ledger_event)BPCI_LEDGER_EVENT_INIT,
					    d), BPCI_EINVAL);
	ck_assert_contains(bpci_diag_last_text(d), "read-only");
	for (int i = 0; i < 5; i++)
		lt_append(l, "c");
	ck_assert_uint_eq(bpci_ledger_size(r), 2);
	ck_assert_int_eq(bpci_ledger_refresh(r, NULL), 0);
	ck_assert_uint_eq(bpci_ledger_size(r), 7);
	ck_assert_int_eq(bpci_ledger_root(a, l, 7), 0);
	ck_assert_int_eq(bpci_ledger_root(b, r, 7), 0);
	ck_assert_mem_eq(a, b, H);
	ck_assert_int_eq(bpci_ledger_root(b, r, 8), BPCI_EINVAL);
	ck_assert_int_eq(bpci_ledger_foreach(r, 2, count_cb, &s), 0);
	ck_assert_uint_eq(s.count, 5);
	s.count = 0;
	s.stop_at = 4;
	ck_assert_int_eq(bpci_ledger_foreach(r, 2, count_cb, &s), 77);
	ck_assert_uint_eq(s.count, 3);
	ck_assert_int_eq(bpci_ledger_stats_get(&st, l), 0);
	ck_assert_uint_eq(st.appended, 7);
	ck_assert_uint_eq(st.batches, 7);
	ck_assert_uint_ge(st.fsyncs, 7);
	ck_assert_uint_le(st.fsyncs, 7);
	st.version = 99;
	ck_assert_int_eq(bpci_ledger_stats_get(&st, l), BPCI_EINVAL);
	bpci_ledger_free(r);
	bpci_ledger_free(l);
	bpci_diag_free(d);
}
END_TEST

START_TEST(snapshots)
{
	bpci_ledger_options o = lt_options(0);
	bpci_ledger *l = lt_open(dir, &o);
	void *data;
	size_t len;
	uint64_t ts;
	bpci_diag *d;
	char *raw;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci_ledger_snapshot_read(&data, &len, &ts, l, "state", NULL),
			 BPCI_ENOTFOUND);
	lt_append(l, "x");
	lt_append(l, "y");
	ck_assert_int_eq(bpci_ledger_snapshot_write(l, "state", "first", 5, 1, NULL), 0);
	ck_assert_int_eq(bpci_ledger_snapshot_write(l, "state", "second!", 7, 2, NULL), 0);
	ck_assert_int_eq(bpci_ledger_snapshot_read(&data, &len, &ts, l, "state", NULL), 0);
	ck_assert_uint_eq(len, 7);
	ck_assert_uint_eq(ts, 2);
	ck_assert_str_eq(data, "second!");
	bpci_free(data);
	ck_assert_int_eq(bpci_ledger_snapshot_write(l, "state", "x", 1, 3, d), BPCI_EINVAL);
	ck_assert_contains(bpci_diag_last_text(d), "tree_size 3 is beyond");
	ck_assert_int_eq(bpci_ledger_snapshot_write(l, "../evil", "x", 1, 0, d), BPCI_EINVAL);
	ck_assert_contains(bpci_diag_last_text(d), "\"../evil\"");
	ck_assert_int_eq(bpci_ledger_snapshot_read(&data, NULL, NULL, l, ".hidden", NULL),
			 BPCI_EINVAL);
	/* A damaged snapshot is refused, not returned. */
	raw = lt_read_file(dir, "snapshots/state.snap", &len);
	ck_assert_uint_eq(len, 32 + 7);
	raw[35] ^= 1;
	lt_write_bytes(dir, "snapshots/state.snap", raw, len);
	free(raw);
	ck_assert_int_eq(bpci_ledger_snapshot_read(&data, NULL, NULL, l, "state", d), BPCI_EVERIFY);
	ck_assert_contains(bpci_diag_last_text(d), "damaged");
	ck_assert(!exists("snapshots/.state.tmp"));
	bpci_ledger_free(l);
	bpci_diag_free(d);
}
END_TEST

/* Strings that need escaping and nested, unsorted details: the stored
 * bytes are still exactly jansson's canonical form, and verify accepts
 * them. */
START_TEST(escapes_and_nesting_are_canonical)
{
	bpci_ledger_options o = lt_options(0);
	bpci_ledger *l = lt_open(dir, &o);
	bpci_ledger_event ev = BPCI_LEDGER_EVENT_INIT;
	json_t *parsed;
	char *text, *canon, msg[512];
	uint64_t seq;
	bpci_diag *d;
	int rc;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ev.type = "daemon.added";
	ev.actor = "quote\" back\\ slash / tab\t nl\n ctl\x01 \xc3\xa9\xe2\x82\xac";
	ev.subject = "\xf0\x9f\x94\x92 lock";
	ev.details_json = "{\"z\":[3,{\"y\":null,\"b\":true}],\"a\":{\"d\":-1.5e3,\"c\":\"\\u0001x\"}}";
	rc = bpci_ledger_append(&seq, l, &ev, d);
	ck_assert_msg(rc == 0, "append: %s", bpci_diag_last_text(d));
	ev.details_json = NULL;
	ev.details_text = "plain \"text\" details";
	ck_assert_int_eq(bpci_ledger_append(&seq, l, &ev, NULL), 0);
	ev.details_text = NULL;
	ev.details_json = "{\"c\":\"\\u0000\"}"; /* NUL inside a string: refused */
	ck_assert_int_eq(bpci_ledger_append(&seq, l, &ev, d), BPCI_EINVAL);
	ck_assert_contains(bpci_diag_last_text(d), "details_json of event 0 is not JSON");
	for (seq = 0; seq < 2; seq++) {
		ck_assert_int_eq(bpci_ledger_get(&text, NULL, l, seq, NULL), 0);
		parsed = json_loads(text, JSON_ALLOW_NUL, NULL);
		ck_assert_ptr_nonnull(parsed);
		canon = json_dumps(parsed, JSON_COMPACT | JSON_SORT_KEYS);
		ck_assert_str_eq(text, canon);
		free(canon);
		json_decref(parsed);
		bpci_free(text);
	}
	ck_assert_int_eq(bpci_ledger_get(&text, NULL, l, 0, NULL), 0);
	ck_assert_contains(text, "\"details\":{\"a\":{\"c\":\"\\u0001x\",\"d\":");
	bpci_free(text);
	bpci_ledger_free(l);
	bpci_diag_free(d);
	ck_assert_msg(lt_verify(dir, NULL, msg, sizeof(msg)) == 0, "verify: %s", msg);
}
END_TEST

typedef struct more {
	bpci_ledger *l;
	int failures;
} more;

/* No ck_assert here: a failure must not unwind another thread's test. */
static void *append_more(void *arg)
{
	more *m = arg;
	bpci_ledger_event ev = BPCI_LEDGER_EVENT_INIT;
	int i;

	ev.type = "node.health";
	ev.subject = "live";
	for (i = 0; i < 300; i++)
		if (bpci_ledger_append(NULL, m->l, &ev, NULL) != 0)
			m->failures++;
	return NULL;
}

/* With a writer at work, verify checks the prefix it found; with verify
 * holding its shared lock, a new writer is refused. */
START_TEST(verify_while_writer_appends)
{
	bpci_ledger_options o = lt_options(8192);
	more m = {lt_open(dir, &o), 0};
	char results[5][512];
	int codes[5], i;
	pthread_t th;
	bpci_diag *d;

	for (i = 0; i < 50; i++)
		lt_append(m.l, "before");
	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(pthread_create(&th, NULL, append_more, &m), 0);
	for (i = 0; i < 5; i++) {
		bpci_diag_clear(d);
		codes[i] = bpci_ledger_verify(dir, NULL, d, NULL, NULL);
		snprintf(results[i], sizeof(results[i]), "%s", bpci_diag_last_text(d));
	}
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_int_eq(m.failures, 0);
	for (i = 0; i < 5; i++) {
		ck_assert_msg(codes[i] == 0, "live verify %d: %s", i, results[i]);
		ck_assert_contains(results[i], "a writer has the ledger open");
	}
	bpci_ledger_free(m.l);
	bpci_diag_clear(d);
	ck_assert_int_eq(bpci_ledger_verify(dir, NULL, d, NULL, NULL), 0);
	ck_assert_uint_eq(bpci_diag_count(d), 0);
	bpci_diag_free(d);
}
END_TEST

TCase *ledger_basic_tcase(void)
{
	TCase *tc = tcase_create("basic");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, create_append_reopen);
	tcase_add_test(tc, event_validation);
	tcase_add_test(tc, audit_to_bpi);
	tcase_add_test(tc, newer_format_refused);
	tcase_add_test(tc, not_a_ledger_and_options);
	tcase_add_test(tc, lock_readonly_refresh_foreach);
	tcase_add_test(tc, snapshots);
	tcase_add_test(tc, escapes_and_nesting_are_canonical);
	tcase_add_test(tc, verify_while_writer_appends);
	return tc;
}

Suite *bpci_test_suite(void)
{
	Suite *s = suite_create("ledger");

	suite_add_tcase(s, ledger_basic_tcase());
	suite_add_tcase(s, ledger_roundtrip_tcase());
	suite_add_tcase(s, ledger_checkpoint_tcase());
	suite_add_tcase(s, ledger_tamper_tcase());
	suite_add_tcase(s, ledger_canonical_tcase());
	suite_add_tcase(s, ledger_canon_tcase());
	suite_add_tcase(s, ledger_canon_entries_tcase());
	suite_add_tcase(s, ledger_hole_tcase());
	suite_add_tcase(s, ledger_crash_tcase());
	suite_add_tcase(s, ledger_concurrency_tcase());
	suite_add_tcase(s, ledger_writer_tcase());
	return s;
}
