/*
 * The shortcut that copies details already in canonical form
 * (lib/ledger/ledger_canon.c). Its one promise: when it says 1, jansson's
 * load and compact, sorted dump give back exactly the same bytes. Every
 * accepted text of the table is checked against jansson itself, and every
 * refused one is checked to be refused for the reason the table gives, so
 * that a wrong expectation fails as surely as a wrong scanner. Then the
 * entries: bytes identical to those jansson alone would make.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "model/json_canon.h"
#include "ledger_test.h"
#include "test.h"

#define CANON (JSON_COMPACT | JSON_SORT_KEYS)

enum verdict {
	YES,  /* canonical: the scanner must say 1 */
	BAD,  /* jansson refuses to load it */
	DIFF, /* jansson loads it and prints other bytes */
	SAFE  /* jansson prints the same bytes, but the scanner declines */
};

typedef struct canon_case {
	const char *text;
	enum verdict v;
} canon_case;

static const canon_case cases[] = {
	{"{}", YES},
	{"{\"a\":1}", YES},
	{"{\"a\":[],\"b\":{}}", YES},
	{"{\"pid\":123,\"spec\":{\"args\":[\"--port\",\"9001\"],\"command\":\"/bin/bpi\"},"
	 "\"state\":\"running\"}", YES},
	{"{\"a\":true,\"b\":false,\"c\":null}", YES},
	{"{\"\":0,\"A\":1,\"_\":2,\"a\":3,\"ab\":4,\"b\":5}", YES},
	{"{\"a b\":1,\"z\":2,\"\xc3\xa9\":3}", YES},
	{"{\"a\":[1,[2,[3,{\"b\":{\"c\":[]}}]]]}", YES},
	{"{\"a\":\"\\\"\\\\\\b\\f\\n\\r\\t\"}", YES},
	{"{\"a\":\"\\u0001\\u000B\\u000E\\u001B\\u001F\"}", YES},
	{"{\"a\":\"/ \x7f \xc2\x80 \xc3\xa9 \xe0\xa0\x80 \xe2\x82\xac \xed\x9f\xbf \xee\x80\x80 "
	 "\xef\xbf\xbf \xf0\x90\x80\x80 \xf0\x9f\x94\x92 \xf4\x8f\xbf\xbf\"}", YES},
	{"{\"a\":9223372036854775807,\"b\":-9223372036854775808,\"c\":0,\"d\":-1,\"e\":10}", YES},
	{"{\"a\":\"\"}", YES},
	{"", BAD},
	{"{", BAD},
	{"{\"a\"", BAD},
	{"{\"a\":", BAD},
	{"{\"a\":\"x", BAD},
	{"{\"a\":1,}", BAD},
	{"{\"a\":1}}", BAD},
	{"{\"a\":1}x", BAD},
	{"{'a':1}", BAD},
	{"{\"a\":[1,2,]}", BAD},
	{"{\"a\":[,1]}", BAD},
	{"{\"a\":1,\"a\":2}", BAD},
	{"{\"b\":{\"x\":1,\"x\":1}}", BAD},
	{"{\"a\":01}", BAD},
	{"{\"a\":-}", BAD},
	{"{\"a\":+1}", BAD},
	{"{\"a\":9223372036854775808}", BAD},
	{"{\"a\":-9223372036854775809}", BAD},
	{"{\"a\":99999999999999999999}", BAD},
	{"{\"a\":tru}", BAD},
	{"{\"a\":True}", BAD},
	{"{\"a\":nul}", BAD},
	{"{\"a\":\"\\u0000\"}", BAD},
	{"{\"a\":\"\\ud83d\"}", BAD},
	{"{\"a\":\"\\x\"}", BAD},
	{"{\"a\":\"\\u12\"}", BAD},
	{"{\"a\":\"\x01\"}", BAD},
	{"{\"a\":\"\t\"}", BAD},
	{"{\"a\":\"\x80\"}", BAD},
	{"{\"a\":\"\xc3\"}", BAD},
	{"{\"a\":\"\xc0\xaf\"}", BAD},
	{"{\"a\":\"\xc1\xbf\"}", BAD},
	{"{\"a\":\"\xe0\x80\xaf\"}", BAD},
	{"{\"a\":\"\xf0\x80\x80\xaf\"}", BAD},
	{"{\"a\":\"\xed\xa0\x80\"}", BAD},
	{"{\"a\":\"\xed\xbf\xbf\"}", BAD},
	{"{\"a\":\"\xf4\x90\x80\x80\"}", BAD},
	{"{\"a\":\"\xf5\x80\x80\x80\"}", BAD},
	{"{\"a\":\"\xff\"}", BAD},
	{"{\"\xc3\":1}", BAD},
	{"{\"b\":1,\"a\":2}", DIFF},
	{"{\"ab\":1,\"a\":2}", DIFF},
	{"{\"\xc3\xa9\":1,\"z\":2}", DIFF},
	{"{\"a\":{\"d\":1,\"c\":2}}", DIFF},
	{"{\"a\":[{\"d\":1,\"c\":2}]}", DIFF},
	{" {\"a\":1}", DIFF},
	{"{ \"a\":1}", DIFF},
	{"{\"a\" :1}", DIFF},
	{"{\"a\": 1}", DIFF},
	{"{\"a\":1 }", DIFF},
	{"{\"a\":1}\n", DIFF},
	{"{\"a\":[1, 2]}", DIFF},
	{"{\"a\":1,\"b\":2 ,\"c\":3}", DIFF},
	{"{\"a\":-0}", DIFF},
	{"{\"a\":1e2}", DIFF},
	{"{\"a\":1E2}", DIFF},
	{"{\"a\":0.10}", DIFF},
	{"{\"a\":\"\\/\"}", DIFF},
	{"{\"a\":\"\\u0041\"}", DIFF},
	{"{\"a\":\"\\u00e9\"}", DIFF},
	{"{\"a\":\"\\u001f\"}", DIFF},
	{"{\"a\":\"\\u000b\"}", DIFF},
	{"{\"a\":\"\\u0008\"}", DIFF},
	{"{\"a\":\"\\u0009\"}", DIFF},
	{"{\"a\":\"\\u000A\"}", DIFF},
	{"{\"a\":\"\\u000C\"}", DIFF},
	{"{\"a\":\"\\u000D\"}", DIFF},
	{"{\"a\":\"\\u0022\"}", DIFF},
	{"{\"a\":\"\\u005C\"}", DIFF},
	{"{\"a\":\"\\ud83d\\udd12\"}", DIFF},
	{"{\"\\u0061\":1}", DIFF},
	{"{\"a\":1.5}", SAFE},
	{"{\"a\":-2.25}", SAFE},
	{"{\"a\\\"b\":1}", SAFE},
	{"{\"a\\\\\":1}", SAFE},
	{"{\"a\\n\":1}", SAFE},
	{"[1]", SAFE},
	{"[]", SAFE},
	{"[{\"a\":1}]", SAFE},
};

/* What jansson makes of @text: BAD, or YES when it prints @text back. */
static enum verdict jansson_verdict(const char *text, size_t len)
{
	json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	char *out;
	enum verdict v;

	if (j == NULL)
		return BAD;
	out = json_dumps(j, CANON);
	ck_assert_ptr_nonnull(out);
	v = strlen(out) == len && memcmp(out, text, len) == 0 ? YES : DIFF;
	free(out);
	json_decref(j);
	return v;
}

START_TEST(table_agrees_with_jansson)
{
	const canon_case *c = &cases[_i];
	size_t len = strlen(c->text);
	int got = bpci__json_canonical_object(c->text, len);
	enum verdict j = jansson_verdict(c->text, len);

	ck_assert_msg(got == (c->v == YES), "case %d \"%s\": scanner says %d", _i, c->text, got);
	ck_assert_msg(j == (c->v == SAFE ? YES : c->v), "case %d \"%s\": jansson says %d, "
		      "table %d", _i, c->text, (int)j, (int)c->v);
}
END_TEST

/* The length given is the text: a NUL inside or a byte past it never
 * counts as part of a canonical object. */
START_TEST(length_is_the_text)
{
	static const char inner_nul[] = "{\"a\":\"x\0y\"}";
	static const char trailing_nul[] = "{\"a\":1}";
	static const char key_nul[] = "{\"a\0\":1}";

	ck_assert_int_eq(bpci__json_canonical_object(inner_nul, sizeof(inner_nul) - 1), 0);
	ck_assert_int_eq(bpci__json_canonical_object(trailing_nul, sizeof(trailing_nul)), 0);
	ck_assert_int_eq(bpci__json_canonical_object(trailing_nul, sizeof(trailing_nul) - 1), 1);
	ck_assert_int_eq(bpci__json_canonical_object(trailing_nul, sizeof(trailing_nul) - 2), 0);
	ck_assert_int_eq(bpci__json_canonical_object(key_nul, sizeof(key_nul) - 1), 0);
	ck_assert_int_eq(bpci__json_canonical_object("{\"a\":12}", 6), 0);
	ck_assert_int_eq(bpci__json_canonical_object("{\"a\":\"\\u001F\"}", 10), 0);
	ck_assert_int_eq(bpci__json_canonical_object(NULL, 0), 0);
}
END_TEST

/* @depth nested arrays in {"a":...}: [[...[1]...]]. */
static char *nested(int depth)
{
	char *t = malloc((size_t)depth * 2 + 16);
	size_t n = 0;
	int i;

	ck_assert_ptr_nonnull(t);
	n += (size_t)sprintf(t, "{\"a\":");
	for (i = 0; i < depth; i++)
		t[n++] = '[';
	t[n++] = '1';
	for (i = 0; i < depth; i++)
		t[n++] = ']';
	t[n++] = '}';
	t[n] = '\0';
	return t;
}

START_TEST(depth_limit)
{
	char *ok = nested(63), *deep = nested(64), *deeper = nested(500);

	ck_assert_int_eq(bpci__json_canonical_object(ok, strlen(ok)), 1);
	ck_assert_int_eq(jansson_verdict(ok, strlen(ok)), YES);
	/* beyond the limit the scanner declines what jansson would accept */
	ck_assert_int_eq(bpci__json_canonical_object(deep, strlen(deep)), 0);
	ck_assert_int_eq(jansson_verdict(deep, strlen(deep)), YES);
	ck_assert_int_eq(bpci__json_canonical_object(deeper, strlen(deeper)), 0);
	free(ok);
	free(deep);
	free(deeper);
}
END_TEST

START_TEST(plain_strings)
{
	static const char *const plain[] = {"", "abc", "a/b c", "\xc3\xa9\xe2\x82\xac",
					    "\x7f", "\xf4\x8f\xbf\xbf", "node.started"};
	static const char *const not_plain[] = {"a\"", "a\\", "\t", "\x01", "\n",
						"\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf8"};
	char want[64];
	size_t i;

	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		json_t *s = json_string(plain[i]);
		char *out = json_dumps(s, CANON | JSON_ENCODE_ANY);

		ck_assert_int_eq(bpci__json_plain_string(plain[i], strlen(plain[i])), 1);
		snprintf(want, sizeof(want), "\"%s\"", plain[i]);
		ck_assert_str_eq(out, want);
		free(out);
		json_decref(s);
	}
	for (i = 0; i < sizeof(not_plain) / sizeof(not_plain[0]); i++)
		ck_assert_msg(bpci__json_plain_string(not_plain[i], strlen(not_plain[i])) == 0,
			      "\"%s\" taken as plain", not_plain[i]);
	ck_assert_int_eq(bpci__json_plain_string("ab\0c", 4), 0);
}
END_TEST

/* Small deterministic generator (xorshift), so that a failure repeats. */
static uint32_t next_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Mutations of canonical texts (byte flips, deletions, insertions of
 * JSON's own characters): whenever the scanner still says 1, jansson must
 * print the mutant back. Also counts that it does say 1 for some. */
START_TEST(mutants_never_fool_it)
{
	static const char alphabet[] = "{}[]\":,\\u0123456789aAbBfFnrt -.eE/\x01\x7f\xc3\xa9\xed\xf4";
	char buf[256];
	uint32_t seed = 0x2545F491;
	size_t c, n, pos;
	int i, accepted = 0;

	for (i = 0; i < 40000; i++) {
		c = next_rand(&seed) % (sizeof(cases) / sizeof(cases[0]));
		n = strlen(cases[c].text);
		if (n == 0 || n + 2 > sizeof(buf))
			continue;
		memcpy(buf, cases[c].text, n);
		pos = next_rand(&seed) % n;
		switch (next_rand(&seed) % 3) {
		case 0:
			buf[pos] = alphabet[next_rand(&seed) % (sizeof(alphabet) - 1)];
			break;
		case 1:
			memmove(buf + pos, buf + pos + 1, n - pos - 1);
			n--;
			break;
		default:
			memmove(buf + pos + 1, buf + pos, n - pos);
			buf[pos] = alphabet[next_rand(&seed) % (sizeof(alphabet) - 1)];
			n++;
		}
		if (bpci__json_canonical_object(buf, n)) {
			accepted++;
			ck_assert_msg(jansson_verdict(buf, n) == YES, "mutant \"%.*s\" accepted",
				      (int)n, buf);
		}
	}
	ck_assert_int_gt(accepted, 100);
	ck_assert_int_lt(accepted, 40000);
}
END_TEST

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

/* The entry jansson alone makes of @ev with @seq and the @time it got. */
static char *reference_entry(const bpci_ledger_event *ev, uint64_t seq, const char *time)
{
	json_t *o = json_object();
	char *text;

	json_object_set_new(o, "actor", json_string(ev->actor ? ev->actor : ""));
	json_object_set_new(o, "subject", json_string(ev->subject ? ev->subject : ""));
	json_object_set_new(o, "type", json_string(ev->type));
	json_object_set_new(o, "seq", json_integer((json_int_t)seq));
	json_object_set_new(o, "time", json_string(time));
	if (ev->details_text)
		json_object_set_new(o, "details", json_string(ev->details_text));
	else if (ev->details_json)
		json_object_set_new(o, "details",
				    json_loads(ev->details_json, JSON_REJECT_DUPLICATES, NULL));
	else
		json_object_set_new(o, "details", json_object());
	text = json_dumps(o, CANON);
	json_decref(o);
	ck_assert_ptr_nonnull(text);
	return text;
}

static const char *const details[] = {
	/* canonical: copied */
	"{\"id\":\"storage-1\",\"pid\":123,\"spec\":{\"args\":[\"-p\",\"9001\"],"
	"\"env\":{\"A\":\"x\\ty\"}},\"state\":\"running\"}",
	/* the same, unsorted and spaced: through jansson */
	"{\"state\": \"running\", \"pid\": 123, \"id\": \"storage-1\", "
	"\"spec\": {\"env\": {\"A\": \"x\\u0009y\"}, \"args\": [\"-p\", \"9001\"]}}",
	/* declined by the scanner, printed the same by jansson */
	"{\"ratio\":0.5,\"w\\\"k\":1}",
	"{\"\xc3\xa9t\xc3\xa9\":\"\xf0\x9f\x94\x92\",\"z\":[true,false,null,-7]}",
	"{}",
	NULL,
};

static void expect_reference(bpci_ledger *l, uint64_t seq, const bpci_ledger_event *ev)
{
	char *text, *ref, *time;
	json_t *parsed;

	ck_assert_int_eq(bpci_ledger_get(&text, NULL, l, seq, NULL), 0);
	parsed = json_loads(text, 0, NULL);
	ck_assert_ptr_nonnull(parsed);
	time = strdup(json_string_value(json_object_get(parsed, "time")));
	ref = reference_entry(ev, seq, time);
	ck_assert_str_eq(text, ref);
	free(ref);
	free(time);
	json_decref(parsed);
	bpci_free(text);
}

START_TEST(entries_as_jansson_makes_them)
{
	bpci_ledger_options o = lt_options(0);
	bpci_ledger *l = lt_open(dir, &o);
	bpci_ledger_event ev[8];
	char *a, *b, msg[512];
	size_t i, n = sizeof(details) / sizeof(details[0]);
	uint64_t first;

	for (i = 0; i < n; i++) {
		ev[i] = (bpci_ledger_event)BPCI_LEDGER_EVENT_INIT;
		ev[i].type = "node.started";
		ev[i].actor = i % 2 ? "co\"ordinator" : "coordinator";
		ev[i].subject = i == 3 ? "n\xc3\xb6\\de" : "storage-1";
		ev[i].details_json = details[i];
	}
	ev[n] = ev[0];
	ev[n].details_json = NULL;
	ev[n].details_text = "plain text / \xe2\x82\xac";
	ck_assert_int_eq(bpci_ledger_append_many(&first, l, ev, n + 1, NULL), 0);
	ck_assert_uint_eq(first, 0);
	for (i = 0; i <= n; i++)
		expect_reference(l, i, &ev[i]);
	/* the canonical and the unsorted text of the same details: same bytes */
	ck_assert_int_eq(bpci_ledger_get(&a, NULL, l, 0, NULL), 0);
	ck_assert_int_eq(bpci_ledger_get(&b, NULL, l, 1, NULL), 0);
	ck_assert_contains(a, details[0]);
	ck_assert_contains(b, details[0]);
	bpci_free(a);
	bpci_free(b);
	bpci_ledger_free(l);
	ck_assert_msg(lt_verify(dir, NULL, msg, sizeof(msg)) == 0, "verify: %s", msg);
}
END_TEST

/* Refusals still come from jansson, with the same words. */
START_TEST(refusals_unchanged)
{
	bpci_ledger_options o = lt_options(0);
	bpci_ledger *l = lt_open(dir, &o);
	bpci_ledger_event ev = BPCI_LEDGER_EVENT_INIT;
	bpci_diag *d;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ev.type = "node.state";
	ev.details_json = "{\"a\":1,\"a\":2}";
	ck_assert_int_eq(bpci_ledger_append(NULL, l, &ev, d), BPCI_EINVAL);
	ck_assert_str_eq(bpci_diag_get(d, 0)->field, "details_json");
	ck_assert_contains(bpci_diag_last_text(d), "is not JSON: duplicate object key");
	ev.details_json = "{\"a\":\"\xc0\xaf\"}";
	ck_assert_int_eq(bpci_ledger_append(NULL, l, &ev, d), BPCI_EINVAL);
	ck_assert_contains(bpci_diag_last_text(d), "is not JSON");
	ev.details_json = "[1]";
	ck_assert_int_eq(bpci_ledger_append(NULL, l, &ev, d), BPCI_EINVAL);
	ck_assert_contains(bpci_diag_last_text(d), "must be a JSON object, got \"[1]\"");
	ev.details_json = NULL;
	ev.actor = "bad \xc3";
	ck_assert_int_eq(bpci_ledger_append(NULL, l, &ev, d), BPCI_EINVAL);
	ck_assert_str_eq(bpci_diag_get(d, bpci_diag_count(d) - 1)->field, "actor");
	ck_assert_uint_eq(bpci_ledger_size(l), 0);
	bpci_ledger_free(l);
	bpci_diag_free(d);
}
END_TEST

TCase *ledger_canon_tcase(void)
{
	TCase *tc = tcase_create("canon");

	tcase_add_loop_test(tc, table_agrees_with_jansson, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, length_is_the_text);
	tcase_add_test(tc, depth_limit);
	tcase_add_test(tc, plain_strings);
	tcase_add_test(tc, mutants_never_fool_it);
	return tc;
}

TCase *ledger_canon_entries_tcase(void)
{
	TCase *tc = tcase_create("canon_entries");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, entries_as_jansson_makes_them);
	tcase_add_test(tc, refusals_unchanged);
	return tc;
}
