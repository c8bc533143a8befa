/* Shell-like argument splitting and comma-separated lists. */
#include <string.h>

#include "bpci/error.h"
#include "common/alloc.h"
#include "model/text.h"
#include "units_tests.h"

/* Split @s and compare with the NULL-terminated @want. */
static void argv_is(const char *s, const char *const *want)
{
	char **v = NULL;
	size_t n = 99, i;

	ck_assert_msg(bpci__split_argv(s, &v, &n) == 0, "split_argv refused [%s]", s);
	for (i = 0; want[i]; i++) {
		ck_assert_msg(i < n, "[%s]: only %zu words", s, n);
		ck_assert_str_eq(v[i], want[i]);
	}
	ck_assert_uint_eq(n, i);
	ck_assert_ptr_null(v[n]);
	bpci__free_argv(v);
}

START_TEST(argv_words_quotes_and_escapes)
{
	argv_is("a", (const char *const[]){"a", NULL});
	argv_is("  bpci  deploy\t--name x  ", (const char *const[]){"bpci", "deploy", "--name", "x", NULL});
	argv_is("'a b' c", (const char *const[]){"a b", "c", NULL});
	argv_is("'it\\s' x", (const char *const[]){"it\\s", "x", NULL});
	argv_is("\"a \\\"b\\\" \\\\ \\n\"", (const char *const[]){"a \"b\" \\ \\n", NULL});
	argv_is("a\\ b c\\'d", (const char *const[]){"a b", "c'd", NULL});
	argv_is("pre'mid dle'post\"x y\"", (const char *const[]){"premid dlepostx y", NULL});
	argv_is("'' \"\" x", (const char *const[]){"", "", "x", NULL});
	argv_is("a\\\nb", (const char *const[]){"ab", NULL});
	argv_is("a \\\n b\\\n", (const char *const[]){"a", "b", NULL});
	argv_is("'a\"b' \"c'd\"", (const char *const[]){"a\"b", "c'd", NULL});
	argv_is("--capabilities \"distributed_storage,encryption\" --x=1",
		(const char *const[]){"--capabilities", "distributed_storage,encryption", "--x=1", NULL});
}
END_TEST

START_TEST(argv_refusals)
{
	static const char *const bad[] = {
		"", "   ", "\t\n", "'abc", "a \"b", "\"a\\\"", "a\\", "'", "\""
	};
	char **v = (char **)0x1;
	size_t n = 77, i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(bpci__split_argv(bad[i], &v, &n) == BPCI_EINVAL,
			      "split_argv accepted [%s]", bad[i]);
	ck_assert_int_eq(bpci__split_argv(NULL, &v, &n), BPCI_EINVAL);
	ck_assert_ptr_eq(v, (char **)0x1);
	ck_assert_uint_eq(n, 77);
	bpci__free_argv(NULL);
}
END_TEST

/* Fail each allocation in turn: every failure is ENOMEM and leaks nothing
 * (the sanitizer run checks the latter), until the call needs no more. */
static void split_survives_allocation_failure(int (*split)(const char *, char ***, size_t *),
					      const char *text, size_t want)
{
	char **v;
	size_t n;
	long k;
	int rc;

	for (k = 0; k < 100; k++) {
		v = NULL;
		n = 0;
		bpci__alloc_fail_after(k);
		rc = split(text, &v, &n);
		bpci__alloc_fail_after(-1);
		if (rc == 0)
			break;
		ck_assert_int_eq(rc, BPCI_ENOMEM);
		ck_assert_ptr_null(v);
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_gt(k, 3);
	ck_assert_uint_eq(n, want);
	bpci__free_argv(v);
}

START_TEST(argv_allocation_failures)
{
	split_survives_allocation_failure(bpci__split_argv, "a 'b c' d e f g h i j", 9);
}
END_TEST

static void list_is(const char *s, const char *const *want)
{
	char **v = NULL;
	size_t n = 99, i;

	ck_assert_msg(bpci__split_list(s, &v, &n) == 0, "split_list refused [%s]", s);
	for (i = 0; want[i]; i++) {
		ck_assert_msg(i < n, "[%s]: only %zu items", s, n);
		ck_assert_str_eq(v[i], want[i]);
	}
	ck_assert_uint_eq(n, i);
	ck_assert_ptr_null(v[n]);
	bpci__free_argv(v);
}

START_TEST(list_items_are_trimmed)
{
	list_is("a", (const char *const[]){"a", NULL});
	list_is("distributed_storage,encryption,replication",
		(const char *const[]){"distributed_storage", "encryption", "replication", NULL});
	list_is("  a , b\t,c  ", (const char *const[]){"a", "b", "c", NULL});
	list_is("a b, c", (const char *const[]){"a b", "c", NULL});
	list_is("x,x", (const char *const[]){"x", "x", NULL});
}
END_TEST

START_TEST(list_refuses_empty_items)
{
	static const char *const bad[] = {"", " ", "a,,b", "a,", ",a", "a, ,b", ",", "a,b,"};
	char **v = (char **)0x1;
	size_t n = 77, i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(bpci__split_list(bad[i], &v, &n) == BPCI_EINVAL,
			      "split_list accepted [%s]", bad[i]);
	ck_assert_int_eq(bpci__split_list(NULL, &v, &n), BPCI_EINVAL);
	ck_assert_ptr_eq(v, (char **)0x1);
	ck_assert_uint_eq(n, 77);
}
END_TEST

START_TEST(list_allocation_failures)
{
	split_survives_allocation_failure(bpci__split_list, "a,b,c,d,e,f,g,h,i,j", 10);
}
END_TEST

TCase *units_split_tcase(void)
{
	TCase *tc = tcase_create("split");

	tcase_add_test(tc, argv_words_quotes_and_escapes);
	tcase_add_test(tc, argv_refusals);
	tcase_add_test(tc, argv_allocation_failures);
	tcase_add_test(tc, list_items_are_trimmed);
	tcase_add_test(tc, list_refuses_empty_items);
	tcase_add_test(tc, list_allocation_failures);
	return tc;
}
