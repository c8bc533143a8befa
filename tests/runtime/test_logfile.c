/* Log capture with rotation, and tail. */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpci.h"
#include "runtime/logfile.h"
#include "runtime/proc.h"
#include "runtime_test.h"

static void on_eof(bpci__logfile *lf, void *payload)
{
	(void)lf;
	(*(int *)payload)++;
}

static char *path_n(const char *dir, const char *name, int n)
{
	char *p;

	if (n == 0)
		ck_assert(asprintf(&p, "%s/%s.log", dir, name) > 0);
	else
		ck_assert(asprintf(&p, "%s/%s.log.%d", dir, name, n) > 0);
	return p;
}

/* Concatenate NAME.log.@oldest ... NAME.log.1 NAME.log; checks each file
 * holds at most @max bytes and ends on a line end when @whole_lines. */
static char *concat_rotated(const char *dir, const char *name, int oldest, size_t max)
{
	size_t total = 0, len;
	char *all = calloc(1, 1);
	int i;

	for (i = oldest; i >= 0; i--) {
		char *path = path_n(dir, name, i), *text = rt_slurp(path, &len);

		ck_assert_msg(text != NULL, "missing %s", path);
		ck_assert_msg(len <= max, "%s has %zu bytes > %zu", path, len, max);
		all = realloc(all, total + len + 1);
		memcpy(all + total, text, len + 1);
		total += len;
		free(text);
		free(path);
	}
	return all;
}

/* Run a real process printing @lines numbered lines into a log. */
static void log_lines_from_child(const char *dir, const char *name, uint64_t max,
				 unsigned int keep, int lines)
{
	char script[160];
	const char *argv[] = {"/bin/sh", "-c", script, NULL};
	bpci__logfile_opts lo = {dir, name, max, keep};
	bpci__proc_opts o = BPCI__PROC_OPTS_INIT;
	struct event_base *base = event_base_new();
	bpci__logfile *lf;
	bpci__proc *p;
	int w, eof = 0, st;

	snprintf(script, sizeof(script),
		 "i=1; while [ $i -le %d ]; do printf 'line %%03d\\n' $i; i=$((i+1)); done", lines);
	ck_assert_int_eq(bpci__logfile_open(&lf, base, &lo, NULL), 0);
	bpci__logfile_on_eof(lf, on_eof, &eof);
	ck_assert_int_eq(bpci__logfile_pipe(lf, &w, NULL), 0);
	o.argv = argv;
	o.stdout_fd = w;
	o.stderr_fd = w;
	ck_assert_int_eq(bpci__proc_spawn(&p, &o, NULL), 0);
	close(w);
	ck_assert_int_eq(rt_loop_until(base, &eof, 5000), 1);
	ck_assert_int_eq(eof, 1);
	ck_assert_int_eq(bpci__proc_wait(p, 3000, &st), 1);
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	bpci__proc_free(p);
	bpci__logfile_free(lf);
	event_base_free(base);
}

static char *expected_lines(int from, int to)
{
	char *all = calloc((size_t)(to - from + 1) * 9 + 1, 1);
	int i;

	for (i = from; i <= to; i++)
		sprintf(all + (size_t)(i - from) * 9, "line %03d\n", i);
	return all;
}

START_TEST(rotation_preserves_everything_in_order)
{
	char *dir = bpci_test_mkdtemp(), *all, *want, *p;

	/* 9-byte lines, 100-byte limit: 11 lines (99 bytes) per file; 60 lines
	 * fill files of 11,11,11,11,11 and 5 lines. */
	log_lines_from_child(dir, "n", 100, 10, 60);
	all = concat_rotated(dir, "n", 5, 100);
	want = expected_lines(1, 60);
	ck_assert_str_eq(all, want);
	p = path_n(dir, "n", 6);
	ck_assert_int_ne(access(p, F_OK), 0);
	free(p);
	p = path_n(dir, "n", 1);
	free(all);
	all = rt_slurp(p, NULL);
	free(want);
	want = expected_lines(45, 55);
	ck_assert_str_eq(all, want); /* each rotated file ends on a whole line */
	free(p);
	free(all);
	free(want);
	bpci_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(rotation_keeps_only_n_files)
{
	char *dir = bpci_test_mkdtemp(), *all, *want, *p;

	log_lines_from_child(dir, "n", 100, 2, 60);
	all = concat_rotated(dir, "n", 2, 100);
	want = expected_lines(34, 60); /* the last 11 + 11 + 5 lines */
	ck_assert_str_eq(all, want);
	p = path_n(dir, "n", 3);
	ck_assert_int_ne(access(p, F_OK), 0);
	free(p);
	free(all);
	free(want);
	bpci_test_rmtree(dir);
	free(dir);
}
END_TEST

/* Write @text into a log with the test's own pipe, then drain. */
static void write_through(bpci__logfile *lf, int w, const char *text)
{
	ck_assert_int_eq(write(w, text, strlen(text)), (ssize_t)strlen(text));
	ck_assert_int_eq(bpci__logfile_drain(lf), 0);
}

START_TEST(long_line_is_cut_at_the_limit)
{
	char *dir = bpci_test_mkdtemp(), *all, *p;
	bpci__logfile_opts lo = {NULL, "cut", 10, 5};
	struct event_base *base = event_base_new();
	bpci__logfile *lf;
	int w;

	lo.dir = dir;
	ck_assert_int_eq(bpci__logfile_open(&lf, base, &lo, NULL), 0);
	ck_assert_int_eq(bpci__logfile_pipe(lf, &w, NULL), 0);
	write_through(lf, w, "abcdefghijklmnopqrstuvwxyz\n");
	all = concat_rotated(dir, "cut", 2, 10);
	ck_assert_str_eq(all, "abcdefghijklmnopqrstuvwxyz\n");
	free(all);
	p = path_n(dir, "cut", 2);
	all = rt_slurp(p, NULL);
	ck_assert_str_eq(all, "abcdefghij");
	free(all);
	free(p);
	close(w);
	bpci__logfile_free(lf);
	event_base_free(base);
	bpci_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(two_streams_never_interleave_mid_line)
{
	char *dir = bpci_test_mkdtemp(), *all;
	bpci__logfile_opts lo = {NULL, "two", 0, 0};
	struct event_base *base = event_base_new();
	bpci__logfile *lf;
	int a, b, eof = 0;

	lo.dir = dir;
	ck_assert_int_eq(bpci__logfile_open(&lf, base, &lo, NULL), 0);
	bpci__logfile_on_eof(lf, on_eof, &eof);
	ck_assert_int_eq(bpci__logfile_pipe(lf, &a, NULL), 0);
	ck_assert_int_eq(bpci__logfile_pipe(lf, &b, NULL), 0);
	ck_assert_uint_eq(bpci__logfile_open_pipes(lf), 2);
	ck_assert_int_eq(write(a, "hel", 3), 3);
	event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(write(b, "world\n", 6), 6);
	event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(write(a, "lo\nbye", 6), 6);
	event_base_loop(base, EVLOOP_NONBLOCK);
	all = rt_slurp(bpci__logfile_path(lf), NULL);
	ck_assert_str_eq(all, "world\nhello\n");
	free(all);
	close(a); /* EOF flushes the held-back "bye" */
	close(b);
	ck_assert_int_eq(rt_loop_until(base, &eof, 3000), 1);
	ck_assert_int_eq(eof, 1);
	all = rt_slurp(bpci__logfile_path(lf), NULL);
	ck_assert_str_eq(all, "world\nhello\nbye");
	free(all);
	bpci__logfile_free(lf);
	event_base_free(base);
	bpci_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(drain_loses_nothing_when_the_child_exits)
{
	const char *argv[] = {"/bin/sh", "-c", "head -c 50000 /dev/zero | tr '\\0' a", NULL};
	char *dir = bpci_test_mkdtemp(), *all;
	bpci__logfile_opts lo = {NULL, "big", 0, 0};
	bpci__proc_opts o = BPCI__PROC_OPTS_INIT;
	struct event_base *base = event_base_new();
	bpci__logfile *lf;
	bpci__proc *p;
	size_t len, i;
	int w, st;

	lo.dir = dir;
	ck_assert_int_eq(bpci__logfile_open(&lf, base, &lo, NULL), 0);
	ck_assert_int_eq(bpci__logfile_pipe(lf, &w, NULL), 0);
	o.argv = argv;
	o.stdout_fd = w;
	ck_assert_int_eq(bpci__proc_spawn(&p, &o, NULL), 0);
	close(w);
	/* No event loop ran: everything still sits in the pipe. */
	ck_assert_int_eq(bpci__proc_wait(p, 3000, &st), 1);
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	ck_assert_int_eq(bpci__logfile_drain(lf), 0);
	ck_assert_uint_eq(bpci__logfile_open_pipes(lf), 0);
	all = rt_slurp(bpci__logfile_path(lf), &len);
	ck_assert_uint_eq(len, 50000);
	for (i = 0; i < len; i++)
		ck_assert_int_eq(all[i], 'a');
	free(all);
	bpci__proc_free(p);
	bpci__logfile_free(lf);
	event_base_free(base);
	bpci_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(reopen_appends_and_counts_existing_size)
{
	char *dir = bpci_test_mkdtemp(), *p = bpci_test_write_file(dir, "old.log", "12345678\n");
	bpci__logfile_opts lo = {NULL, "old", 12, 1};
	struct event_base *base = event_base_new();
	bpci__logfile *lf;
	char *text, *p1;
	int w;

	lo.dir = dir;
	ck_assert_int_eq(bpci__logfile_open(&lf, base, &lo, NULL), 0);
	ck_assert_str_eq(bpci__logfile_path(lf), p);
	ck_assert_int_eq(bpci__logfile_pipe(lf, &w, NULL), 0);
	write_through(lf, w, "abcd\n"); /* 9 + 5 > 12: rotates first */
	text = rt_slurp(p, NULL);
	ck_assert_str_eq(text, "abcd\n");
	free(text);
	p1 = path_n(dir, "old", 1);
	text = rt_slurp(p1, NULL);
	ck_assert_str_eq(text, "12345678\n");
	free(text);
	free(p1);
	close(w);
	bpci__logfile_free(lf);
	event_base_free(base);
	bpci_test_rmtree(dir);
	free(dir);
	free(p);
}
END_TEST

START_TEST(vanished_directory_drops_without_hanging)
{
	char *dir = bpci_test_mkdtemp();
	bpci__logfile_opts lo = {NULL, "gone", 10, 1};
	struct event_base *base = event_base_new();
	bpci__logfile *lf;
	int w;

	lo.dir = dir;
	ck_assert_int_eq(bpci__logfile_open(&lf, base, &lo, NULL), 0);
	ck_assert_int_eq(bpci__logfile_pipe(lf, &w, NULL), 0);
	write_through(lf, w, "aaaaaaaa\n");
	ck_assert_uint_eq(bpci__logfile_lost(lf), 0);
	bpci_test_rmtree(dir);
	/* Rotation cannot reopen the file: the data is counted as lost and
	 * the pipe is still emptied. */
	write_through(lf, w, "bbbbbbbb\ncc\n");
	ck_assert_uint_eq(bpci__logfile_lost(lf), 12);
	close(w);
	bpci__logfile_free(lf);
	event_base_free(base);
	free(dir);
}
END_TEST

START_TEST(open_rejects_bad_names_and_dirs)
{
	bpci__logfile_opts lo = {"/nonexistent-bpci-dir", "x", 0, 0};
	struct event_base *base = event_base_new();
	bpci__logfile *lf;
	bpci_diag *d;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci__logfile_open(&lf, base, &lo, d), BPCI_EIO);
	ck_assert_contains(bpci_diag_last_text(d), "/nonexistent-bpci-dir/x.log");
	lo.dir = "/tmp";
	lo.name = "a/b";
	ck_assert_int_eq(bpci__logfile_open(&lf, base, &lo, d), BPCI_EINVAL);
	ck_assert_contains(bpci_diag_last_text(d), "name");
	ck_assert_contains(bpci_diag_last_text(d), "a/b");
	ck_assert_ptr_null(lf);
	bpci_diag_free(d);
	bpci__logfile_free(NULL);
	event_base_free(base);
}
END_TEST

/* tail of a file holding @content. */
static char *tail_of(const char *dir, const char *content, size_t n)
{
	char *path = bpci_test_write_file(dir, "t.log", content), *out = NULL;

	ck_assert_int_eq(bpci__logfile_tail(path, n, &out), 0);
	ck_assert_ptr_nonnull(out);
	free(path);
	return out;
}

#define ASSERT_TAIL(dir, content, n, want) do { \
		char *out_ = tail_of((dir), (content), (n)); \
		ck_assert_str_eq(out_, (want)); \
		bpci_free(out_); \
	} while (0)

START_TEST(tail_returns_exactly_the_last_lines)
{
	char *dir = bpci_test_mkdtemp(), *out, *path;

	ASSERT_TAIL(dir, "a\nb\nc\n", 2, "b\nc\n");
	ASSERT_TAIL(dir, "a\nb\nc\n", 1, "c\n");
	ASSERT_TAIL(dir, "a\nb\nc\n", 3, "a\nb\nc\n");
	ASSERT_TAIL(dir, "a\nb\nc\n", 10, "a\nb\nc\n");
	ASSERT_TAIL(dir, "a\nb\nc", 2, "b\nc");
	ASSERT_TAIL(dir, "a\nb\nc", 1, "c");
	ASSERT_TAIL(dir, "only", 3, "only");
	ASSERT_TAIL(dir, "", 3, "");
	ASSERT_TAIL(dir, "a\nb\n", 0, "");
	ASSERT_TAIL(dir, "\n\n\n", 2, "\n\n");
	ASSERT_TAIL(dir, "\n", 1, "\n");
	path = path_n(dir, "missing", 0);
	ck_assert_int_eq(bpci__logfile_tail(path, 3, &out), BPCI_ENOTFOUND);
	ck_assert_ptr_null(out);
	free(path);
	bpci_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(tail_crosses_block_boundaries)
{
	char *dir = bpci_test_mkdtemp(), *content = malloc(5000 * 16), *want, *out;
	size_t len = 0;
	int i;

	for (i = 0; i < 5000; i++)
		len += (size_t)sprintf(content + len, "line %d\n", i);
	/* The last 1000 lines are lines 4000..4999. */
	want = strstr(content, "line 4000\n");
	ck_assert_ptr_nonnull(want);
	out = tail_of(dir, content, 1000);
	ck_assert_uint_eq(strlen(out), strlen(want));
	ck_assert_str_eq(out, want);
	bpci_free(out);
	out = tail_of(dir, content, 5000);
	ck_assert_str_eq(out, content);
	bpci_free(out);
	free(content);
	bpci_test_rmtree(dir);
	free(dir);
}
END_TEST

TCase *bpci_test_runtime_logfile(void)
{
	TCase *tc = tcase_create("logfile");

	tcase_add_test(tc, rotation_preserves_everything_in_order);
	tcase_add_test(tc, rotation_keeps_only_n_files);
	tcase_add_test(tc, long_line_is_cut_at_the_limit);
	tcase_add_test(tc, two_streams_never_interleave_mid_line);
	tcase_add_test(tc, drain_loses_nothing_when_the_child_exits);
	tcase_add_test(tc, reopen_appends_and_counts_existing_size);
	tcase_add_test(tc, vanished_directory_drops_without_hanging);
	tcase_add_test(tc, open_rejects_bad_names_and_dirs);
	tcase_add_test(tc, tail_returns_exactly_the_last_lines);
	tcase_add_test(tc, tail_crosses_block_boundaries);
	return tc;
}
