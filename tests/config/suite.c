/* Tests of the configuration loader (include/bpci/config.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_tests.h"

int cfg_load(bpci_config **out, const char *text, unsigned int flags, bpci_diag **diag)
{
	int rc;

	ck_assert_int_eq(bpci_diag_new(diag), 0);
	*out = (bpci_config *)(uintptr_t)1; /* must be overwritten */
	rc = bpci_config_load_string(out, text, strlen(text), "c.yaml", flags, *diag);
	if (rc != 0)
		ck_assert_ptr_null(*out);
	else
		ck_assert_ptr_nonnull(*out);
	return rc;
}

const char *cfg_text(const bpci_diag *diag, size_t i)
{
	const bpci_diag_entry *e = bpci_diag_get(diag, i);

	ck_assert_msg(e != NULL, "no diagnostic #%zu (count %zu)", i, bpci_diag_count(diag));
	return e->text;
}

char *cfg_read(const char *path, size_t *len)
{
	FILE *f = fopen(bpci_test_src(path), "rb");
	char *buf;
	long n;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

Suite *bpci_test_suite(void)
{
	Suite *s = suite_create("config");

	suite_add_tcase(s, config_load_tcase());
	suite_add_tcase(s, config_errors_tcase());
	suite_add_tcase(s, config_limits_tcase());
	suite_add_tcase(s, config_json_tcase());
	return s;
}
