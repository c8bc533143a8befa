/* A string member spliced into a spec's canonical JSON text: exactly the
 * text a copy of the spec with that field set prints, for every type. */
#include <jansson.h>
#include <stdlib.h>

#include "common/alloc.h"
#include "model/json_member.h"
#include "node_test.h"

static void insert_is(const char *obj, const char *key, const char *value, const char *want)
{
	char *out = NULL;

	ck_assert_int_eq(bpci__json_insert_string(&out, obj, key, value), 0);
	ck_assert_str_eq(out, want);
	bpci__free(out);
}

static void insert_fails(const char *obj, const char *key, const char *value, int code)
{
	char *out = (char *)"unchanged";

	ck_assert_int_eq(bpci__json_insert_string(&out, obj, key, value), code);
	ck_assert_ptr_null(out);
}

START_TEST(member_goes_where_the_sort_puts_it)
{
	insert_is("{}", "id", "x", "{\"id\":\"x\"}");
	insert_is("{\"b\":1}", "a", "x", "{\"a\":\"x\",\"b\":1}");
	insert_is("{\"b\":1}", "c", "x", "{\"b\":1,\"c\":\"x\"}");
	insert_is("{\"a\":1,\"c\":2}", "b", "x", "{\"a\":1,\"b\":\"x\",\"c\":2}");
	/* strcmp order: a prefix sorts first, upper case before lower */
	insert_is("{\"ab\":1}", "a", "x", "{\"a\":\"x\",\"ab\":1}");
	insert_is("{\"a\":1}", "ab", "x", "{\"a\":1,\"ab\":\"x\"}");
	insert_is("{\"b\":1}", "B", "x", "{\"B\":\"x\",\"b\":1}");
	/* values holding every separator, nested both ways */
	insert_is("{\"a\":\"},\\\"{[\",\"b\":[{\"x\":\"]\"},[]],\"d\":{\"e\":{}}}", "c", "x",
		  "{\"a\":\"},\\\"{[\",\"b\":[{\"x\":\"]\"},[]],\"c\":\"x\",\"d\":{\"e\":{}}}");
	insert_is("{\"a\":true,\"b\":null,\"c\":-1.5e3}", "d", "x",
		  "{\"a\":true,\"b\":null,\"c\":-1.5e3,\"d\":\"x\"}");
}
END_TEST

START_TEST(value_is_escaped_like_jansson)
{
	const char *values[] = {"plain", "q\"uote", "back\\slash", "nl\nt\tcr\r", "\x01\x1f",
				"sl/ash", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", ""};
	size_t i;

	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		json_t *o = json_pack("{s:i, s:s}", "a", 1, "m", values[i]);
		char *want = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS), *out = NULL;

		ck_assert_int_eq(bpci__json_insert_string(&out, "{\"a\":1}", "m", values[i]), 0);
		ck_assert_str_eq(out, want);
		bpci__free(out);
		free(want);
		json_decref(o);
	}
}
END_TEST

START_TEST(other_shapes_are_declined)
{
	insert_fails("{\"a\":1,\"id\":2}", "id", "x", BPCI_EEXISTS);
	insert_fails("[1]", "id", "x", BPCI_EINVAL);
	insert_fails("{\"a\\u0062\":1}", "id", "x", BPCI_EINVAL);  /* escaped key */
	insert_fails("{\"a\":1} ", "id", "x", BPCI_EINVAL);         /* trailing bytes */
	insert_fails("{\"a\":\"open}", "id", "x", BPCI_EINVAL);     /* unterminated */
	insert_fails("{\"a\":[1,2}", "id", "x", BPCI_EINVAL);
	insert_fails("{\"a\" :1}", "id", "x", BPCI_EINVAL);         /* not compact */
	insert_fails("{\"a\":1}", "q\"k", "x", BPCI_EINVAL);        /* key needs escaping */
	insert_fails("{\"a\":1}", "id", "\xff", BPCI_EINVAL);       /* not UTF-8 */
}
END_TEST

/* The coordinator's node file: spec text + id + endpoint, both ways. */
static void same_as_copy_and_set(bpci_node_spec *spec, const char *id, const char *endpoint)
{
	bpci_node_spec *dup = NULL;
	char *text = NULL, *want = NULL, *a = NULL, *b = NULL;

	ck_assert_int_eq(bpci_node_spec_to_json(&text, spec), 0);
	ck_assert_int_eq(bpci_node_spec_dup(&dup, spec), 0);
	ck_assert_int_eq(bpci_node_spec_set(dup, "id", id, NULL), 0);
	ck_assert_int_eq(bpci_node_spec_set(dup, "endpoint", endpoint, NULL), 0);
	ck_assert_int_eq(bpci_node_spec_to_json(&want, dup), 0);
	ck_assert_int_eq(bpci__json_insert_string(&a, text, "id", id), 0);
	ck_assert_int_eq(bpci__json_insert_string(&b, a, "endpoint", endpoint), 0);
	ck_assert_str_eq(b, want);
	bpci__free(a);
	bpci__free(b);
	bpci_free(text);
	bpci_free(want);
	bpci_node_spec_free(dup);
}

START_TEST(node_file_matches_the_spec_copy_for_every_type)
{
	int t;

	for (t = 1; t <= BPCI_NODE_TYPE_COUNT; t++) {
		bpci_node_spec *spec = mk((bpci_node_type)t);

		same_as_copy_and_set(spec, "n-1", "http://127.0.0.1:40123");
		set_ok(spec, "name", "Node.One");
		set_ok(spec, "command", "/usr/bin/node --mode 'fast path'");
		set_ok(spec, "environment", "RUST_LOG=debug");
		set_ok(spec, "labels.tier", "gold");
		set_ok(spec, "health.type", "notify");
		set_ok(spec, "restart.max_restarts", "7");
		same_as_copy_and_set(spec, "enc-cluster-12", "http://127.0.0.1:1");
		bpci_node_spec_free(spec);
	}
}
END_TEST

void node_add_member_tests(Suite *s)
{
	TCase *tc = tcase_create("member");

	tcase_add_test(tc, member_goes_where_the_sort_puts_it);
	tcase_add_test(tc, value_is_escaped_like_jansson);
	tcase_add_test(tc, other_shapes_are_declined);
	tcase_add_test(tc, node_file_matches_the_spec_copy_for_every_type);
	suite_add_tcase(s, tc);
}
