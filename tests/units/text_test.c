/* URLs, identifiers, edit distance and suggestions. */
#include <stdlib.h>
#include <string.h>

#include "model/text.h"
#include "units_tests.h"

START_TEST(url_accepts_http_and_https_with_a_host)
{
	static const char *const ok[] = {
		"http://localhost", "https://example.com", "http://127.0.0.1:8080/",
		"https://bpi.example.org:443/api/v1?x=1#frag", "HTTP://Example.com",
		"http://user:pw@host:1/path", "http://[::1]:9000/", "http://[fe80::1]",
		"http://h:65535", "http://h?q", "http://h#f"
	};
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		ck_assert_msg(bpci__is_url(ok[i]), "refused %s", ok[i]);
}
END_TEST

START_TEST(url_refusals)
{
	static const char *const bad[] = {
		"", "localhost", "ftp://host", "http:/host", "http://", "http:///path",
		"http://:80", "http://host:", "http://host:0", "http://host:65536",
		"http://host:80x", "http://ho st", "http://host/a b", " http://host",
		"http://host\n", "http://user@", "http://[]:80", "http://[::1", "http://[::1]x",
		"http://[zz]", "https//host", "http://host:123456"
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!bpci__is_url(bad[i]), "accepted \"%s\"", bad[i]);
	ck_assert(!bpci__is_url(NULL));
}
END_TEST

START_TEST(ident_bounds)
{
	char buf[200];

	ck_assert(bpci__is_ident("a"));
	ck_assert(bpci__is_ident("0"));
	ck_assert(bpci__is_ident("node-1.eu_west"));
	ck_assert(bpci__is_ident("Validator9"));
	ck_assert(!bpci__is_ident(""));
	ck_assert(!bpci__is_ident(NULL));
	ck_assert(!bpci__is_ident("-a"));
	ck_assert(!bpci__is_ident(".a"));
	ck_assert(!bpci__is_ident("_a"));
	ck_assert(!bpci__is_ident("a b"));
	ck_assert(!bpci__is_ident("a/b"));
	ck_assert(!bpci__is_ident("a:b"));
	ck_assert(!bpci__is_ident("caf\xc3\xa9"));
	memset(buf, 'x', 128);
	buf[128] = '\0';
	ck_assert(bpci__is_ident(buf));
	buf[128] = 'x';
	buf[129] = '\0';
	ck_assert(!bpci__is_ident(buf));
}
END_TEST

START_TEST(edit_distance_values)
{
	char *a, *b;

	ck_assert_uint_eq(bpci__edit_distance("", ""), 0);
	ck_assert_uint_eq(bpci__edit_distance("abc", ""), 3);
	ck_assert_uint_eq(bpci__edit_distance("", "abcd"), 4);
	ck_assert_uint_eq(bpci__edit_distance("kitten", "sitting"), 3);
	ck_assert_uint_eq(bpci__edit_distance("flaw", "lawn"), 2);
	ck_assert_uint_eq(bpci__edit_distance("Memory", "memory"), 0);
	ck_assert_uint_eq(bpci__edit_distance("memroy", "memory"), 2);
	ck_assert_uint_eq(bpci__edit_distance("cpu", "gpu"), 1);
	/* Longer than the stack row: the heap path gives the same answers. */
	a = malloc(301);
	b = malloc(301);
	memset(a, 'a', 300);
	memset(b, 'a', 300);
	a[300] = b[300] = '\0';
	b[150] = 'b';
	ck_assert_uint_eq(bpci__edit_distance(a, b), 1);
	b[299] = '\0';
	ck_assert_uint_eq(bpci__edit_distance(a, b), 2);
	ck_assert_uint_eq(bpci__edit_distance(a, ""), 300);
	ck_assert_uint_eq(bpci__edit_distance("", a), 300);
	free(a);
	free(b);
}
END_TEST

START_TEST(suggest_nearest_within_a_third)
{
	static const char *const keys[] = {
		"cpu", "memory", "storage", "network", "gpu", "cpu_cores", "memory_gb"
	};
	static const char *const tie[] = {"abd", "abe"};
	size_t n = sizeof(keys) / sizeof(keys[0]);

	ck_assert_str_eq(bpci__suggest("memroy", keys, n), "memory");
	ck_assert_str_eq(bpci__suggest("MEMORY", keys, n), "memory");
	ck_assert_str_eq(bpci__suggest("storag", keys, n), "storage");
	ck_assert_str_eq(bpci__suggest("netwrk", keys, n), "network");
	ck_assert_str_eq(bpci__suggest("cpu_core", keys, n), "cpu_cores");
	/* "cpx": distance 1 from both cpu and gpu? No: gpu is 2 away, cpu 1. */
	ck_assert_str_eq(bpci__suggest("cpx", keys, n), "cpu");
	/* Ties go to the first candidate. */
	ck_assert_str_eq(bpci__suggest("abc", tie, 2), "abd");
	/* Limit max(1, len/3): "memxxy" is 2 away from memory, 6/3 = 2: accepted;
	 * "mexxxy" is 3 away: refused. */
	ck_assert_str_eq(bpci__suggest("memxxy", keys, n), "memory");
	ck_assert_ptr_null(bpci__suggest("mexxxy", keys, n));
	ck_assert_ptr_null(bpci__suggest("disk", keys, n));
	ck_assert_ptr_null(bpci__suggest("xy", keys, n));
	ck_assert_ptr_null(bpci__suggest("cpu", keys, 0));
	ck_assert_ptr_null(bpci__suggest(NULL, keys, n));
	ck_assert_str_eq(bpci__suggest("gp", keys, n), "gpu");
}
END_TEST

TCase *units_text_tcase(void)
{
	TCase *tc = tcase_create("text");

	tcase_add_test(tc, url_accepts_http_and_https_with_a_host);
	tcase_add_test(tc, url_refusals);
	tcase_add_test(tc, ident_bounds);
	tcase_add_test(tc, edit_distance_values);
	tcase_add_test(tc, suggest_nearest_within_a_third);
	return tc;
}
