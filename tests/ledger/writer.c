/*
 * The group-commit writer threads: started by the first append and not
 * before, joined by bpci_ledger_free(), deaf to process-directed signals
 * that the application blocks (it takes them with sigwait or signalfd),
 * and batches that respect batch_max_entries.
 */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

static int thread_count(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void *nothing(void *arg)
{
	return arg;
}

START_TEST(writer_started_by_first_append_and_joined_by_free)
{
	bpci_ledger_options o = lt_options(0);
	bpci_ledger *l, *ro;
	pthread_t warm;
	int before, with;

	/* A sanitizer's runtime may start a helper thread with the first
	 * pthread_create(); let that happen before counting. */
	ck_assert_int_eq(pthread_create(&warm, NULL, nothing, NULL), 0);
	ck_assert_int_eq(pthread_join(warm, NULL), 0);
	before = thread_count();

	l = lt_open(dir, &o);
	ck_assert_int_eq(thread_count(), before);
	ck_assert_uint_eq(lt_append(l, "a"), 0);
	with = thread_count(); /* one or two writer lanes */
	ck_assert_int_ge(with, before + 1);
	ck_assert_int_le(with, before + 2);
	ck_assert_uint_eq(lt_append(l, "b"), 1);
	ck_assert_int_eq(thread_count(), with);
	bpci_ledger_free(l);
	ck_assert_int_eq(thread_count(), before);

	/* A handle that never appends never starts one. */
	o.flags = BPCI_LEDGER_READONLY;
	ck_assert_int_eq(bpci_ledger_open(&ro, dir, &o, NULL), 0);
	ck_assert_int_eq(bpci_ledger_audit(ro, "x", "y"), BPCI_EINVAL);
	ck_assert_uint_eq(bpci_ledger_size(ro), 2);
	ck_assert_int_eq(thread_count(), before);
	bpci_ledger_free(ro);
	ck_assert_int_eq(lt_verify(dir, NULL, NULL, 0), 0);
}
END_TEST

START_TEST(writer_does_not_take_blocked_signals)
{
	bpci_ledger_options o = lt_options(0);
	struct timespec zero = {0, 0};
	sigset_t usr1, old, pending;
	bpci_ledger *l;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	/* The writer starts while this thread takes SIGUSR1; then the
	 * application blocks it in its threads (all one of them). */
	l = lt_open(dir, &o);
	ck_assert_uint_eq(lt_append(l, "a"), 0);
	ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, &usr1, &old), 0);
	/* Process-directed: the kernel hands it to any thread that does not
	 * block it. Were that the writer, SIGUSR1's default action would end
	 * this process. */
	ck_assert_int_eq(kill(getpid(), SIGUSR1), 0);
	ck_assert_uint_eq(lt_append(l, "b"), 1);
	ck_assert_int_eq(sigpending(&pending), 0);
	ck_assert_int_eq(sigismember(&pending, SIGUSR1), 1);
	ck_assert_int_eq(sigtimedwait(&usr1, NULL, &zero), SIGUSR1);
	bpci_ledger_free(l);
	ck_assert_int_eq(pthread_sigmask(SIG_SETMASK, &old, NULL), 0);
}
END_TEST

START_TEST(forked_child_frees_without_the_thread)
{
	bpci_ledger_options o = lt_options(0);
	bpci_ledger *l = lt_open(dir, &o);
	int status;
	pid_t pid;

	ck_assert_uint_eq(lt_append(l, "a"), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		alarm(10); /* a join of the parent's thread would hang here */
		bpci_ledger_free(l);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d",
		      status);
	ck_assert_uint_eq(lt_append(l, "b"), 1); /* the parent's writer still runs */
	bpci_ledger_free(l);
}
END_TEST

/* The entry's "time" as a timespec (the format is fixed: 30 bytes). */
static struct timespec entry_time(bpci_ledger *l, uint64_t seq)
{
	struct timespec ts = {0, 0};
	struct tm tm;
	char *text, *t;
	long ns = 0;
	int i;

	ck_assert_int_eq(bpci_ledger_get(&text, NULL, l, seq, NULL), 0);
	t = strstr(text, "\"time\":\"");
	ck_assert_ptr_nonnull(t);
	t += 8;
	ck_assert_int_eq(t[29], 'Z');
	ck_assert_int_eq(t[19], '.');
	memset(&tm, 0, sizeof(tm));
	ck_assert_int_eq(sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
				&tm.tm_hour, &tm.tm_min, &tm.tm_sec), 6);
	for (i = 20; i < 29; i++) {
		ck_assert(t[i] >= '0' && t[i] <= '9');
		ns = ns * 10 + (t[i] - '0');
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	ts.tv_sec = timegm(&tm);
	ts.tv_nsec = ns;
	bpci_free(text);
	return ts;
}

static int ts_le(struct timespec a, struct timespec b)
{
	return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec <= b.tv_nsec);
}

START_TEST(entry_times_are_the_append_times)
{
	bpci_ledger_options o = lt_options(0);
	bpci_ledger *l = lt_open(dir, &o);
	struct timespec before, after, t, prev = {0, 0};
	uint64_t seq;
	int i;

	/* Several within one second (the calendar part is reused) and across
	 * a second boundary (it is redone). */
	for (i = 0; i < 40; i++) {
		clock_gettime(CLOCK_REALTIME, &before);
		seq = lt_append(l, "timed");
		clock_gettime(CLOCK_REALTIME, &after);
		t = entry_time(l, seq);
		ck_assert_msg(ts_le(before, t) && ts_le(t, after),
			      "entry %llu time %lld.%09ld outside [%lld.%09ld, %lld.%09ld]",
			      (unsigned long long)seq, (long long)t.tv_sec, t.tv_nsec,
			      (long long)before.tv_sec, before.tv_nsec, (long long)after.tv_sec,
			      after.tv_nsec);
		ck_assert(ts_le(prev, t));
		prev = t;
		if (i == 20)
			usleep((useconds_t)(1000000 - after.tv_nsec / 1000 + 1000));
	}
	bpci_ledger_free(l);
}
END_TEST

#define THREADS 16
#define PER_THREAD 40

static void *append_some(void *arg)
{
	bpci_ledger *l = arg;
	intptr_t failures = 0;
	int i;

	for (i = 0; i < PER_THREAD; i++)
		if (bpci_ledger_audit(l, "batch-limit", "entry") != 0)
			failures++;
	return (void *)failures;
}

START_TEST(batches_respect_batch_max_entries)
{
	bpci_ledger_options o = lt_options(0);
	bpci_ledger_stats st = BPCI_LEDGER_STATS_INIT;
	pthread_t th[THREADS];
	bpci_ledger *l;
	void *failures;
	int i;

	o.batch_max_entries = 4;
	l = lt_open(dir, &o);
	for (i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, append_some, l), 0);
	for (i = 0; i < THREADS; i++) {
		ck_assert_int_eq(pthread_join(th[i], &failures), 0);
		ck_assert_ptr_null(failures);
	}
	ck_assert_int_eq(bpci_ledger_stats_get(&st, l), 0);
	ck_assert_uint_eq(st.appended, THREADS * PER_THREAD);
	ck_assert_uint_eq(bpci_ledger_size(l), THREADS * PER_THREAD);
	/* At most 4 entries a batch, so at least a quarter as many batches. */
	ck_assert_uint_ge(st.batches, THREADS * PER_THREAD / 4);
	ck_assert_uint_le(st.batches, THREADS * PER_THREAD);
	ck_assert_uint_eq(st.fsyncs, st.batches);
	bpci_ledger_free(l);
	ck_assert_int_eq(lt_verify(dir, NULL, NULL, 0), 0);
}
END_TEST

TCase *ledger_writer_tcase(void)
{
	TCase *tc = tcase_create("writer");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, writer_started_by_first_append_and_joined_by_free);
	tcase_add_test(tc, writer_does_not_take_blocked_signals);
	tcase_add_test(tc, forked_child_frees_without_the_thread);
	tcase_add_test(tc, batches_respect_batch_max_entries);
	tcase_add_test(tc, entry_times_are_the_append_times);
	tcase_set_timeout(tc, 60);
	return tc;
}
