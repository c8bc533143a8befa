/* Daemon specs: setters, getters, validation, JSON round trip. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_tests.h"
#include "common/alloc.h"

#define GIB (1ull << 30)

static bpci_daemon_spec *new_spec(void)
{
	bpci_daemon_spec *s = NULL;

	ck_assert_int_eq(bpci_daemon_spec_new(&s), 0);
	return s;
}

static void set_ok(bpci_daemon_spec *s, const char *field, const char *text)
{
	bpci_diag *d = cluster_test_diag();

	ck_assert_msg(bpci_daemon_spec_set(s, field, text, d) == 0, "%s=%s refused: %s", field,
		      text, bpci_diag_last_text(d));
	bpci_diag_free(d);
}

/* The example of the original description: daemon-002 under root-daemon-001. */
static bpci_daemon_spec *example_spec(void)
{
	bpci_daemon_spec *s = new_spec();

	set_ok(s, "id", "daemon-002");
	set_ok(s, "parent", "root-daemon-001");
	set_ok(s, "responsibilities", "resource_management,health_monitoring");
	set_ok(s, "capacity", "cpu=8,memory=16Gi,storage=500Gi,network=1000");
	set_ok(s, "labels", "region=eu-west,jurisdiction=gdpr");
	set_ok(s, "labels.tier", "gold, with commas");
	set_ok(s, "remote", "yes");
	return s;
}

START_TEST(new_spec_defaults)
{
	bpci_daemon_spec *s = new_spec();
	const bpci_resources *c = bpci_daemon_spec_capacity(s);
	bpci_diag *d = cluster_test_diag();

	ck_assert_ptr_null(bpci_daemon_spec_id(s));
	ck_assert_ptr_null(bpci_daemon_spec_parent(s));
	ck_assert_uint_eq(bpci_daemon_spec_responsibilities(s), BPCI_RESPONSIBILITY_ALL);
	ck_assert_uint_eq(c->cpu_millicores | c->memory_bytes | c->gpu_units, 0);
	ck_assert_int_eq(bpci_daemon_spec_remote(s), 0);
	ck_assert_uint_eq(bpci_daemon_spec_label_count(s), 0);
	/* Without an id it is not a valid daemon. */
	ck_assert_int_eq(bpci_daemon_spec_validate(s, d), BPCI_EINVAL);
	cluster_assert_diag(d, 1, "id", "is required");
	bpci_daemon_spec_free(s);
	bpci_daemon_spec_free(NULL);
	bpci_diag_free(d);
}
END_TEST

START_TEST(setters_and_getters)
{
	bpci_daemon_spec *s = example_spec();
	const bpci_resources *c = bpci_daemon_spec_capacity(s);
	const char *k, *v;

	ck_assert_str_eq(bpci_daemon_spec_id(s), "daemon-002");
	ck_assert_str_eq(bpci_daemon_spec_parent(s), "root-daemon-001");
	ck_assert_uint_eq(bpci_daemon_spec_responsibilities(s),
			  BPCI_RESPONSIBILITY_RESOURCE_COORDINATION |
			  BPCI_RESPONSIBILITY_HEALTH_MONITORING);
	ck_assert_uint_eq(c->cpu_millicores, 8000);
	ck_assert_uint_eq(c->memory_bytes, 16 * GIB);
	ck_assert_uint_eq(c->storage_bytes, 500 * GIB);
	ck_assert_uint_eq(c->network_mbps, 1000);
	ck_assert_int_eq(bpci_daemon_spec_remote(s), 1);
	ck_assert_uint_eq(bpci_daemon_spec_label_count(s), 3);
	ck_assert_int_eq(bpci_daemon_spec_label_at(s, 0, &k, &v), 0);
	ck_assert_str_eq(k, "jurisdiction");
	ck_assert_str_eq(v, "gdpr");
	ck_assert_int_eq(bpci_daemon_spec_label_at(s, 2, &k, NULL), 0);
	ck_assert_str_eq(k, "tier");
	ck_assert_int_eq(bpci_daemon_spec_label_at(s, 3, &k, &v), BPCI_ENOTFOUND);
	ck_assert_str_eq(bpci_daemon_spec_label(s, "region"), "eu-west");
	ck_assert_str_eq(bpci_daemon_spec_label(s, "tier"), "gold, with commas");
	ck_assert_ptr_null(bpci_daemon_spec_label(s, "zone"));
	ck_assert_ptr_null(bpci_daemon_spec_label(s, NULL));
	ck_assert_int_eq(bpci_daemon_spec_validate(s, NULL), 0);

	/* Labels are replaced by key; parent "" makes a root; remote off again. */
	set_ok(s, "labels", "region=us-east");
	ck_assert_str_eq(bpci_daemon_spec_label(s, "region"), "us-east");
	ck_assert_uint_eq(bpci_daemon_spec_label_count(s), 3);
	set_ok(s, "parent", "");
	ck_assert_ptr_null(bpci_daemon_spec_parent(s));
	set_ok(s, "remote", "off");
	ck_assert_int_eq(bpci_daemon_spec_remote(s), 0);
	set_ok(s, "capacity", "gpu=2");
	ck_assert_uint_eq(bpci_daemon_spec_capacity(s)->cpu_millicores, 0);
	ck_assert_uint_eq(bpci_daemon_spec_capacity(s)->gpu_units, 2);
	set_ok(s, "labels.empty", "");
	ck_assert_str_eq(bpci_daemon_spec_label(s, "empty"), "");

	bpci_daemon_spec_set_capacity(s, &(bpci_resources){1000, GIB, 0, 0, 0});
	ck_assert_uint_eq(bpci_daemon_spec_capacity(s)->memory_bytes, GIB);
	ck_assert_int_eq(bpci_daemon_spec_set_responsibilities(s, BPCI_RESPONSIBILITY_LOAD_BALANCING,
							       NULL), 0);
	ck_assert_uint_eq(bpci_daemon_spec_responsibilities(s), BPCI_RESPONSIBILITY_LOAD_BALANCING);
	ck_assert_int_eq(bpci_daemon_spec_set_responsibilities(s, 0, NULL), BPCI_EINVAL);
	ck_assert_int_eq(bpci_daemon_spec_set_responsibilities(s, 0x3f, NULL), BPCI_EINVAL);
	ck_assert_uint_eq(bpci_daemon_spec_responsibilities(s), BPCI_RESPONSIBILITY_LOAD_BALANCING);
	bpci_daemon_spec_free(s);
}
END_TEST

/* Setting @field to @text fails with @code, names @want_field and contains
 * @needle, and leaves the spec as it was. */
static void set_fails(const char *field, const char *text, int code, const char *want_field,
		      const char *needle)
{
	bpci_daemon_spec *s = example_spec(), *before;
	bpci_diag *d = cluster_test_diag();

	ck_assert_int_eq(bpci_daemon_spec_dup(&before, s), 0);
	ck_assert_msg(bpci_daemon_spec_set(s, field, text, d) == code, "%s=%s not refused",
		      field, text);
	ck_assert_uint_ge(bpci_diag_error_count(d), 1);
	ck_assert_str_eq(bpci_diag_get(d, 0)->field, want_field);
	ck_assert_contains(bpci_diag_get(d, 0)->text, needle);
	ck_assert_msg(bpci_daemon_spec_equal(s, before), "%s=%s changed the spec", field, text);
	bpci_daemon_spec_free(before);
	bpci_daemon_spec_free(s);
	bpci_diag_free(d);
}

START_TEST(setter_refusals_name_field_and_value)
{
	char long_id[140];

	set_fails("id", "", BPCI_EINVAL, "id", "got \"\"");
	set_fails("id", "-daemon", BPCI_EINVAL, "id", "got \"-daemon\"");
	set_fails("id", "daemon 2", BPCI_EINVAL, "id", "got \"daemon 2\"");
	memset(long_id, 'd', 129);
	long_id[129] = '\0';
	set_fails("id", long_id, BPCI_EINVAL, "id", "1 to 128");
	set_fails("parent", "root/1", BPCI_EINVAL, "parent", "got \"root/1\"");
	set_fails("responsibilities", "health_monitor", BPCI_EINVAL, "responsibilities",
		  "did you mean \"health_monitoring\"");
	set_fails("responsibilities", "", BPCI_EINVAL, "responsibilities", "is empty");
	set_fails("capacity", "cpu=8,memroy=1Gi", BPCI_EINVAL, "capacity.memroy",
		  "did you mean \"memory\"");
	set_fails("capacity", "cpu=lots", BPCI_EINVAL, "capacity.cpu", "got \"lots\"");
	set_fails("labels", "Region=eu", BPCI_EINVAL, "labels", "key \"Region\"");
	set_fails("labels", "zone=a,region", BPCI_EINVAL, "labels", "\"region\" is not key=value");
	set_fails("labels", "zone=a,,b=c", BPCI_EINVAL, "labels", "without empty items");
	set_fails("labels", "zone=a\tb", BPCI_EINVAL, "labels.zone", "control characters");
	set_fails("labels. bad", "x", BPCI_EINVAL, "labels", "key \" bad\"");
	set_fails("remote", "maybe", BPCI_EINVAL, "remote", "got \"maybe\"");
	set_fails("parnet", "x", BPCI_ENOTFOUND, "parnet", "did you mean \"parent\"");
	set_fails("colour", "x", BPCI_ENOTFOUND, "colour", "expected id, parent");
}
END_TEST

START_TEST(label_bounds)
{
	bpci_daemon_spec *s = new_spec();
	char key[140], value[300];

	memset(key, 'k', 128);
	key[128] = '\0';
	memset(value, 'v', 256);
	value[256] = '\0';
	ck_assert_int_eq(bpci_daemon_spec_set(s, "labels.a/b.c-d_e", "1", NULL), 0);
	{
		char field[200];

		snprintf(field, sizeof(field), "labels.%s", key);
		ck_assert_int_eq(bpci_daemon_spec_set(s, field, value, NULL), 0);
		key[128] = 'k';
		key[129] = '\0';
		snprintf(field, sizeof(field), "labels.%s", key);
		ck_assert_int_eq(bpci_daemon_spec_set(s, field, "x", NULL), BPCI_EINVAL);
		value[256] = 'v';
		value[257] = '\0';
		ck_assert_int_eq(bpci_daemon_spec_set(s, "labels.z", value, NULL), BPCI_EINVAL);
	}
	ck_assert_int_eq(bpci_daemon_spec_set(s, "labels.", "x", NULL), BPCI_EINVAL);
	ck_assert_uint_eq(bpci_daemon_spec_label_count(s), 2);
	bpci_daemon_spec_free(s);
}
END_TEST

START_TEST(validate_reports_every_problem)
{
	bpci_daemon_spec *s = new_spec();
	bpci_diag *d = cluster_test_diag();

	set_ok(s, "id", "d1");
	set_ok(s, "parent", "d1");
	ck_assert_int_eq(bpci_daemon_spec_validate(s, d), BPCI_EINVAL);
	cluster_assert_diag(d, 1, "parent", "\"d1\" is the daemon itself");
	set_ok(s, "parent", "d0");
	ck_assert_int_eq(bpci_daemon_spec_validate(s, NULL), 0);
	bpci_daemon_spec_free(s);
	bpci_diag_free(d);
}
END_TEST

START_TEST(json_canonical_form)
{
	bpci_daemon_spec *s = example_spec(), *empty = new_spec();
	char *json;

	ck_assert_int_eq(bpci_daemon_spec_to_json(&json, s), 0);
	ck_assert_str_eq(json,
			 "{\"capacity\":{\"cpu\":\"8\",\"memory\":\"16Gi\",\"network\":\"1000\","
			 "\"storage\":\"500Gi\"},\"id\":\"daemon-002\",\"labels\":{\"jurisdiction\":"
			 "\"gdpr\",\"region\":\"eu-west\",\"tier\":\"gold, with commas\"},"
			 "\"parent\":\"root-daemon-001\",\"remote\":true,\"responsibilities\":"
			 "[\"resource_coordination\",\"health_monitoring\"]}");
	bpci_free(json);
	ck_assert_int_eq(bpci_daemon_spec_to_json(&json, empty), 0);
	ck_assert_str_eq(json, "{\"remote\":false,\"responsibilities\":[\"resource_coordination\","
			       "\"node_lifecycle\",\"health_monitoring\",\"load_balancing\","
			       "\"fault_recovery\"]}");
	bpci_free(json);
	bpci_daemon_spec_free(empty);
	bpci_daemon_spec_free(s);
}
END_TEST

static void round_trip(const bpci_daemon_spec *s)
{
	bpci_daemon_spec *back = NULL;
	bpci_diag *d = cluster_test_diag();
	char *json, *again;

	ck_assert_int_eq(bpci_daemon_spec_to_json(&json, s), 0);
	ck_assert_msg(bpci_daemon_spec_from_json(&back, json, strlen(json), d) == 0,
		      "own JSON refused: %s\n%s", bpci_diag_last_text(d), json);
	ck_assert(bpci_daemon_spec_equal(s, back));
	ck_assert_int_eq(bpci_daemon_spec_to_json(&again, back), 0);
	ck_assert_str_eq(again, json);
	bpci_free(json);
	bpci_free(again);
	bpci_daemon_spec_free(back);
	bpci_diag_free(d);
}

START_TEST(json_round_trips)
{
	bpci_daemon_spec *s = example_spec(), *t = new_spec();

	round_trip(s);
	round_trip(t);
	bpci_daemon_spec_set_capacity(s, &(bpci_resources){UINT64_MAX, UINT64_MAX, 1023, 1, 7});
	round_trip(s);
	set_ok(t, "id", "x");
	set_ok(t, "responsibilities", "fault_recovery");
	round_trip(t);
	bpci_daemon_spec_free(s);
	bpci_daemon_spec_free(t);
}
END_TEST

START_TEST(json_accepts_alternative_forms)
{
	static const char json[] =
		"{\"id\":\"d2\",\"parent\":null,\"responsibilities\":\"HealthMonitoring,"
		"resource_management\",\"capacity\":{\"cpu_cores\":8,\"memory_gb\":0.5,"
		"\"network\":\"1Gbps\"},\"labels\":{},\"remote\":false}";
	bpci_daemon_spec *s = NULL, *t = NULL;
	bpci_diag *d = cluster_test_diag();

	ck_assert_int_eq(bpci_daemon_spec_from_json(&s, json, strlen(json), d), 0);
	ck_assert_str_eq(bpci_daemon_spec_id(s), "d2");
	ck_assert_ptr_null(bpci_daemon_spec_parent(s));
	ck_assert_uint_eq(bpci_daemon_spec_responsibilities(s),
			  BPCI_RESPONSIBILITY_HEALTH_MONITORING |
			  BPCI_RESPONSIBILITY_RESOURCE_COORDINATION);
	ck_assert_uint_eq(bpci_daemon_spec_capacity(s)->cpu_millicores, 8000);
	ck_assert_uint_eq(bpci_daemon_spec_capacity(s)->memory_bytes, GIB / 2);
	ck_assert_uint_eq(bpci_daemon_spec_capacity(s)->network_mbps, 1000);
	bpci_daemon_spec_free(s);
	ck_assert_int_eq(bpci_daemon_spec_from_json(&t, "{\"capacity\":\"cpu=2\"}", 20, d), 0);
	ck_assert_uint_eq(bpci_daemon_spec_capacity(t)->cpu_millicores, 2000);
	bpci_daemon_spec_free(t);
	/* @len counts: the text need not end with a NUL. */
	ck_assert_int_eq(bpci_daemon_spec_from_json(&t, "{\"id\":\"a\"}garbage", 10, d), 0);
	ck_assert_str_eq(bpci_daemon_spec_id(t), "a");
	bpci_daemon_spec_free(t);
	bpci_diag_free(d);
}
END_TEST

/* from_json of @json fails with @code; the first entry has @field and @needle. */
static void json_fails(const char *json, int code, size_t n, const char *field,
		       const char *needle)
{
	bpci_daemon_spec *s = (bpci_daemon_spec *)0x1;
	bpci_diag *d = cluster_test_diag();

	ck_assert_int_eq(bpci_daemon_spec_from_json(&s, json, strlen(json), d), code);
	ck_assert_ptr_null(s);
	cluster_assert_diag(d, n, field, needle);
	bpci_diag_free(d);
}

START_TEST(json_refusals)
{
	char *big;

	json_fails("{\"id\":", BPCI_EPARSE, 1, "", "is not valid JSON");
	json_fails("{\n  \"id\": \"a\",\n  \"id\": \"b\"\n}", BPCI_EPARSE, 1, "", "<string>:3:");
	json_fails("[1]", BPCI_EPARSE, 1, "", "must be an object");
	json_fails("{\"idd\":\"a\"}", BPCI_ENOTFOUND, 1, "idd", "did you mean \"id\"");
	json_fails("{\"id\":7}", BPCI_EINVAL, 1, "id", "must be a string, got a number");
	json_fails("{\"id\":\"a b\"}", BPCI_EINVAL, 1, "id", "got \"a b\"");
	json_fails("{\"parent\":false}", BPCI_EINVAL, 1, "parent", "got a boolean");
	json_fails("{\"remote\":\"yes\"}", BPCI_EINVAL, 1, "remote", "must be true or false");
	json_fails("{\"responsibilities\":[]}", BPCI_EINVAL, 1, "responsibilities", "got []");
	json_fails("{\"responsibilities\":[\"x_y\",3]}", BPCI_EINVAL, 2, "responsibilities",
		   "\"x_y\" is not a responsibility");
	json_fails("{\"capacity\":{\"cpu\":true}}", BPCI_EINVAL, 1, "capacity.cpu", "got a boolean");
	json_fails("{\"capacity\":{\"cpu\":-1}}", BPCI_EINVAL, 1, "capacity.cpu", "got \"-1\"");
	json_fails("{\"capacity\":{\"cpus\":1}}", BPCI_EINVAL, 1, "capacity.cpus",
		   "did you mean \"cpu\"");
	json_fails("{\"capacity\":{\"cpu\":1,\"cpu_cores\":2}}", BPCI_EINVAL, 1,
		   "capacity.cpu_cores", "more than once");
	json_fails("{\"capacity\":[1]}", BPCI_EINVAL, 1, "capacity", "got an array");
	json_fails("{\"labels\":{\"a\":1}}", BPCI_EINVAL, 1, "labels.a", "got a number");
	json_fails("{\"labels\":{\"A\":\"x\"}}", BPCI_EINVAL, 1, "labels", "key \"A\"");
	json_fails("{\"labels\":\"a=b\"}", BPCI_EINVAL, 1, "labels", "object of strings");
	/* Several problems at once: each one reported, the unknown key first. */
	json_fails("{\"colour\":1,\"id\":\"-\",\"remote\":1}", BPCI_ENOTFOUND, 3, "colour",
		   "is not a known key");

	big = malloc((1u << 20) + 2);
	memset(big, ' ', (1u << 20) + 1);
	big[0] = '{';
	big[(1u << 20)] = '}';
	big[(1u << 20) + 1] = '\0';
	json_fails(big, BPCI_ELIMIT, 1, "", "larger than");
	big[(1u << 20)] = '\0';
	big[(1u << 20) - 1] = '}';
	{
		bpci_daemon_spec *s;

		ck_assert_int_eq(bpci_daemon_spec_from_json(&s, big, strlen(big), NULL), 0);
		bpci_daemon_spec_free(s);
	}
	free(big);
}
END_TEST

START_TEST(allocation_failures_are_clean)
{
	bpci_daemon_spec *s = example_spec(), *copy, *back;
	char *json = NULL;
	long k;
	int rc = -1;

	for (k = 0; rc != 0 && k < 200; k++) {
		bpci__alloc_fail_after(k);
		rc = bpci_daemon_spec_dup(&copy, s);
		bpci__alloc_fail_after(-1);
		ck_assert(rc == 0 || rc == BPCI_ENOMEM);
	}
	ck_assert(bpci_daemon_spec_equal(s, copy));
	bpci_daemon_spec_free(copy);
	for (rc = -1, k = 0; rc != 0 && k < 200; k++) {
		bpci__alloc_fail_after(k);
		rc = bpci_daemon_spec_set(s, "labels", "a=1,b=2,c=3,region=x", NULL);
		bpci__alloc_fail_after(-1);
		ck_assert(rc == 0 || rc == BPCI_ENOMEM);
		if (rc)
			ck_assert_str_eq(bpci_daemon_spec_label(s, "region"), "eu-west");
	}
	ck_assert_str_eq(bpci_daemon_spec_label(s, "region"), "x");
	for (rc = -1, k = 0; rc != 0 && k < 200; k++) {
		bpci__alloc_fail_after(k);
		rc = bpci_daemon_spec_to_json(&json, s);
		bpci__alloc_fail_after(-1);
		ck_assert(rc == 0 || rc == BPCI_ENOMEM);
	}
	for (rc = -1, k = 0; rc != 0 && k < 200; k++) {
		bpci__alloc_fail_after(k);
		rc = bpci_daemon_spec_from_json(&back, json, strlen(json), NULL);
		bpci__alloc_fail_after(-1);
		ck_assert(rc == 0 || rc == BPCI_ENOMEM);
		if (rc)
			ck_assert_ptr_null(back);
	}
	ck_assert(bpci_daemon_spec_equal(s, back));
	bpci_daemon_spec_free(back);
	bpci_free(json);
	bpci_daemon_spec_free(s);
}
END_TEST

TCase *cluster_daemon_tcase(void)
{
	TCase *tc = tcase_create("daemon");

	tcase_add_test(tc, new_spec_defaults);
	tcase_add_test(tc, setters_and_getters);
	tcase_add_test(tc, setter_refusals_name_field_and_value);
	tcase_add_test(tc, label_bounds);
	tcase_add_test(tc, validate_reports_every_problem);
	tcase_add_test(tc, json_canonical_form);
	tcase_add_test(tc, json_round_trips);
	tcase_add_test(tc, json_accepts_alternative_forms);
	tcase_add_test(tc, json_refusals);
	tcase_add_test(tc, allocation_failures_are_clean);
	return tc;
}
