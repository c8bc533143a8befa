/* Atomic, durable file replacement. */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpci.h"
#include "runtime/fsutil.h"
#include "runtime_test.h"

/* Number of entries in @dir other than . and .. */
static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

START_TEST(writes_content_and_exact_mode)
{
	char *dir = bpci_test_mkdtemp(), *path, *text;
	struct stat st;
	mode_t old = umask(077);
	size_t len;

	ck_assert(asprintf(&path, "%s/state.json", dir) > 0);
	ck_assert_int_eq(bpci__write_file_atomic(path, "{\"a\":1}\n", 8, 0644, NULL), 0);
	text = rt_slurp(path, &len);
	ck_assert_uint_eq(len, 8);
	ck_assert_str_eq(text, "{\"a\":1}\n");
	free(text);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0644); /* despite the umask */
	/* Replace with other content and a tighter mode. */
	ck_assert_int_eq(bpci__write_file_atomic(path, "x", 1, 0600, NULL), 0);
	text = rt_slurp(path, &len);
	ck_assert_str_eq(text, "x");
	free(text);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(bpci__write_file_atomic(path, "", 0, 0600, NULL), 0);
	text = rt_slurp(path, &len);
	ck_assert_uint_eq(len, 0);
	free(text);
	ck_assert_int_eq(count_entries(dir), 1); /* no temporary file left */
	umask(old);
	bpci_test_rmtree(dir);
	free(path);
	free(dir);
}
END_TEST

START_TEST(missing_directory_is_notfound)
{
	char *dir = bpci_test_mkdtemp(), *path;
	bpci_diag *d;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert(asprintf(&path, "%s/no/such/dir/f", dir) > 0);
	ck_assert_int_eq(bpci__write_file_atomic(path, "x", 1, 0600, d), BPCI_ENOTFOUND);
	ck_assert_contains(bpci_diag_last_text(d), path);
	ck_assert_int_eq(bpci__write_file_atomic("dir/", "x", 1, 0600, d), BPCI_EINVAL);
	ck_assert_int_eq(count_entries(dir), 0);
	bpci_diag_free(d);
	bpci_test_rmtree(dir);
	free(path);
	free(dir);
}
END_TEST

START_TEST(failed_write_keeps_the_old_file)
{
	char *dir = bpci_test_mkdtemp(), *path = bpci_test_write_file(dir, "state", "old\n");
	char *text;
	pid_t pid;
	int st;

	/* As root nothing is unwritable; a file size limit makes the write
	 * fail half-way instead (in a child, so the limit stays there). */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct rlimit rl = {16, 16};
		static char data[4096];

		signal(SIGXFSZ, SIG_IGN);
		memset(data, 'n', sizeof(data));
		if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
			_exit(2);
		_exit(bpci__write_file_atomic(path, data, sizeof(data), 0600, NULL) == BPCI_EIO
		      ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	text = rt_slurp(path, NULL);
	ck_assert_str_eq(text, "old\n");
	free(text);
	ck_assert_int_eq(count_entries(dir), 1); /* the temporary file was removed */
	bpci_test_rmtree(dir);
	free(path);
	free(dir);
}
END_TEST

TCase *bpci_test_runtime_fsutil(void)
{
	TCase *tc = tcase_create("fsutil");

	tcase_add_test(tc, writes_content_and_exact_mode);
	tcase_add_test(tc, missing_directory_is_notfound);
	tcase_add_test(tc, failed_write_keeps_the_old_file);
	return tc;
}
