/*
 * Crash safety: a child process appends (single events, batches, and a
 * checkpoint now and then) and reports each acknowledged seq through a
 * pipe; the parent kills it with SIGKILL at a random moment, reopens the
 * ledger (which cuts a torn tail), and requires every acknowledged entry
 * to be there with its own content, and the whole ledger to verify.
 * LEDGER_CRASH_KILLS overrides the number of kills (default 180; 90 under
 * AddressSanitizer, where every child start costs far more).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ledger_test.h"
#include "test.h"

#define PER_DIR 30
#ifdef __SANITIZE_ADDRESS__
#define DEFAULT_KILLS 90
#else
#define DEFAULT_KILLS 180
#endif

typedef struct ack {
	uint64_t seq;
	uint32_t kill, i;
} ack;

static char *tmp;

static void setup(void)
{
	tmp = bpci_test_mkdtemp();
}

static void teardown(void)
{
	bpci_test_rmtree(tmp);
	free(tmp);
}

static void subject(char *out, size_t cap, uint32_t kill, uint32_t i)
{
	snprintf(out, cap, "k%u-%u", kill, i);
}

static void child(const char *dir, int fd, uint32_t kill)
{
	bpci_ledger_options o = lt_options(16384);
	bpci_ledger_event ev[3];
	bpci_ledger *l = NULL;
	char subj[3][32], *note;
	uint64_t first;
	uint32_t i = 0, k, n;
	ack a;

	if (bpci_ledger_open(&l, dir, &o, NULL) != 0)
		_exit(3);
	for (;;) {
		n = i % 5 == 4 ? 3 : 1;
		for (k = 0; k < n; k++) {
			bpci_ledger_event e = BPCI_LEDGER_EVENT_INIT;

			subject(subj[k], sizeof(subj[k]), kill, i + k);
			e.type = "agreement.deployed";
			e.subject = subj[k];
			e.details_text = "crash test entry with a little padding to fill records";
			ev[k] = e;
		}
		if (bpci_ledger_append_many(&first, l, ev, n, NULL) != 0)
			_exit(4);
		for (k = 0; k < n; k++) {
			a.seq = first + k;
			a.kill = kill;
			a.i = i + k;
			if (write(fd, &a, sizeof(a)) != (ssize_t)sizeof(a))
				_exit(5);
		}
		i += n;
		if (i % 16 == 0) {
			if (bpci_ledger_checkpoint(&note, l, NULL) != 0)
				_exit(6);
			bpci_free(note);
		}
	}
}

static size_t push_ack(ack **acks, size_t n, size_t *cap, const ack *a)
{
	if (n == *cap) {
		*cap = *cap ? 2 * *cap : 1024;
		*acks = realloc(*acks, *cap * sizeof(ack));
		ck_assert(*acks != NULL);
	}
	(*acks)[n] = *a;
	return n + 1;
}

/* Waits for the child's first ack (it fails the test if the child dies). */
static size_t read_one_ack(int fd, ack **acks, size_t n, size_t *cap)
{
	ack a;

	ck_assert_int_eq(read(fd, &a, sizeof(a)), (ssize_t)sizeof(a));
	return push_ack(acks, n, cap, &a);
}

/* Reads every ack the dead child wrote. */
static size_t read_acks(int fd, ack **acks, size_t n, size_t *cap)
{
	ack a;
	ssize_t got;

	while ((got = read(fd, &a, sizeof(a))) == (ssize_t)sizeof(a))
		n = push_ack(acks, n, cap, &a);
	ck_assert_msg(got == 0, "partial ack read: %zd", got);
	return n;
}

static void check_after_kill(const char *dir, const ack *acks, size_t n)
{
	bpci_ledger_options o = lt_options(16384);
	bpci_ledger *l = lt_open(dir, &o);
	char want[64], quoted[80], *text, msg[512];
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		ck_assert_uint_lt(acks[i].seq, bpci_ledger_size(l));
		ck_assert_int_eq(bpci_ledger_get(&text, NULL, l, acks[i].seq, NULL), 0);
		subject(want, sizeof(want), acks[i].kill, acks[i].i);
		snprintf(quoted, sizeof(quoted), "\"subject\":\"%s\"", want);
		ck_assert_contains(text, quoted);
		bpci_free(text);
	}
	bpci_ledger_free(l);
	rc = lt_verify(dir, NULL, msg, sizeof(msg));
	ck_assert_msg(rc == 0, "verify after kill: %s", msg);
}

START_TEST(sigkill_during_appends)
{
	const char *env = getenv("LEDGER_CRASH_KILLS");
	uint32_t kills = env ? (uint32_t)atoi(env) : DEFAULT_KILLS, k;
	ack *acks = NULL;
	size_t nacks = 0, cap = 0, dir_start = 0;
	char dir[600];
	int fds[2], status;
	pid_t pid;

	srand((unsigned)time(NULL));
	for (k = 0; k < kills; k++) {
		if (k % PER_DIR == 0) {
			snprintf(dir, sizeof(dir), "%s/l%u", tmp, k / PER_DIR);
			dir_start = nacks; /* a fresh ledger: earlier acks were elsewhere */
		}
		ck_assert_int_eq(pipe(fds), 0);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			close(fds[0]);
			child(dir, fds[1], k);
		}
		close(fds[1]);
		/* Most kills land among appends (after the first ack); every
		 * tenth at a random moment from the start, open included. */
		if (k % 10 != 0)
			nacks = read_one_ack(fds[0], &acks, nacks, &cap);
		usleep((useconds_t)(rand() % (k % 10 ? 6000 : 12000)));
		kill(pid, SIGKILL);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
			      "child ended on its own with status %d", status);
		nacks = read_acks(fds[0], &acks, nacks, &cap);
		close(fds[0]);
		check_after_kill(dir, acks + dir_start, nacks - dir_start);
	}
	ck_assert_uint_gt(nacks, kills); /* the children did get work done */
	free(acks);
}
END_TEST

TCase *ledger_crash_tcase(void)
{
	TCase *tc = tcase_create("crash");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, sigkill_during_appends);
	tcase_set_timeout(tc, 120);
	return tc;
}
