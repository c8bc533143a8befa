#include "runtime/spawner.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

enum { SP_NONE, SP_STARTING, SP_READY, SP_BROKEN };

/* Spawns in flight at once: with CLONE_VFORK a worker is suspended while
 * its child execs, so one worker spawns serially at the speed of exec;
 * two keep two execs going, one per core of a small machine (the loop
 * thread meanwhile prepares the next nodes). */
#define WORKERS 2

typedef bpci__spawner_req request;

/* The spawner of this process: WORKERS threads serving one queue. @m
 * guards the rest; @work wakes a worker for a new request, @done the
 * callers waiting for theirs. */
static struct {
	pthread_mutex_t m;
	pthread_cond_t work, done;
	int state;
	int starting;         /* workers that have not yet reported */
	int serving;          /* workers with a table of their own */
	request *head, *tail; /* queued, not yet taken */
} sp = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER,
	SP_NONE, 0, 0, NULL, NULL};

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* A forked child has no spawner thread (fork copies only the caller),
 * and may have copied the locks held: start from scratch. */
static void atfork_child(void)
{
	pthread_mutex_init(&sp.m, NULL);
	pthread_cond_init(&sp.work, NULL);
	pthread_cond_init(&sp.done, NULL);
	sp.state = SP_NONE;
	sp.starting = sp.serving = 0;
	sp.head = sp.tail = NULL;
}

static void register_atfork(void)
{
	(void)pthread_atfork(NULL, NULL, atfork_child);
}

/*
 * A table of our own holding /dev/null as 0..2 and the leader's pidfd.
 * The inherited 0..2 are closed too: holding the process's original
 * stdout would keep a pipe open after the process redirected its own
 * (a parent waiting for EOF would wait for ever). Copies fetched later
 * land above 2, where posix_spawn's dup2 order is safe.
 */
static int own_table(void)
{
	int fd, i, leader;

	if (unshare(CLONE_FILES) < 0 || syscall(SYS_close_range, 0U, ~0U, 0U) < 0)
		return -1;
	for (i = 0; i < 3; i++) {
		fd = open("/dev/null", O_RDWR);
		if (fd != i)
			return -1;
	}
	leader = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (leader >= 0)
		(void)fcntl(leader, F_SETFD, FD_CLOEXEC);
	return leader;
}

/*
 * Our copy of the caller's descriptor @k into local[k]; *@mine 1 when it
 * is a copy to close afterwards. -1 is our /dev/null at k itself (0..2 all
 * are; the child's dup2(k, k) then leaves it, whatever the order), and one
 * given twice (stdout and stderr alike) is fetched once. -1 on failure.
 */
static int fetch(const request *r, int *local, int k, int *mine, int leader)
{
	int j;

	*mine = 0;
	if (r->fds[k] < 0)
		return local[k] = k < 3 ? k : 0;
	for (j = 0; j < k; j++)
		if (r->fds[j] == r->fds[k])
			return local[k] = local[j];
	local[k] = (int)syscall(SYS_pidfd_getfd, leader, r->fds[k], 0);
	*mine = local[k] >= 0;
	return local[k];
}

static void serve(request *r, int leader)
{
	int local[BPCI__SPAWNER_MAX_FDS], mine[BPCI__SPAWNER_MAX_FDS], i, got;

	for (got = 0; got < r->nfds; got++)
		if (fetch(r, local, got, &mine[got], leader) < 0)
			break;
	r->rc = got == r->nfds ? r->fn(local, r->payload) : BPCI__SPAWNER_UNAVAILABLE;
	for (i = 0; i < got; i++)
		if (mine[i])
			close(local[i]);
}

/* With sp.m held: a worker has found out whether it can serve. */
static void reported(int serving)
{
	sp.starting--;
	sp.serving += serving;
	if (sp.state == SP_STARTING && (sp.serving || !sp.starting)) {
		sp.state = sp.serving ? SP_READY : SP_BROKEN;
		pthread_cond_broadcast(&sp.done);
	}
}

static void *run(void *arg)
{
	int leader = own_table();
	request *r;

	(void)arg;
	pthread_mutex_lock(&sp.m);
	reported(leader >= 0);
	while (leader >= 0) {
		while (!sp.head)
			pthread_cond_wait(&sp.work, &sp.m);
		r = sp.head;
		sp.head = r->next;
		if (!sp.head)
			sp.tail = NULL;
		pthread_mutex_unlock(&sp.m);
		serve(r, leader);
		pthread_mutex_lock(&sp.m);
		r->done = 1;
		pthread_cond_broadcast(&sp.done);
	}
	pthread_mutex_unlock(&sp.m);
	return NULL; /* broken before serving anything: its table goes with it */
}

/* With sp.m held. No signal handler may run on a worker: it starts with
 * every signal blocked. */
static void start(void)
{
	pthread_attr_t attr;
	pthread_t t;
	sigset_t all, old;
	int i;

	sp.state = SP_BROKEN;
	if (pthread_attr_init(&attr) != 0)
		return;
	(void)pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	(void)pthread_attr_setstacksize(&attr, 256 * 1024);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	sp.state = SP_STARTING;
	for (i = 0; i < WORKERS; i++)
		if (pthread_create(&t, &attr, run, NULL) == 0)
			sp.starting++;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (!sp.starting)
		sp.state = SP_BROKEN;
}

/* The descriptor numbers are read from the leader's table: a caller with
 * a table of its own (a thread that unshared it) must not use them. */
static int shares_leader_table(void)
{
	pid_t pid = getpid(), tid = (pid_t)syscall(SYS_gettid);

	return tid == pid || syscall(SYS_kcmp, pid, tid, 2 /* KCMP_FILES */, 0, 0) == 0;
}

int bpci__spawner_submit(bpci__spawner_req *r)
{
	int rc = BPCI__SPAWNER_UNAVAILABLE;

	if (r->nfds < 0 || r->nfds > BPCI__SPAWNER_MAX_FDS || !shares_leader_table())
		return rc;
	r->rc = 0;
	r->done = 0;
	r->next = NULL;
	pthread_once(&atfork_once, register_atfork);
	pthread_mutex_lock(&sp.m);
	if (sp.state == SP_NONE)
		start();
	while (sp.state == SP_STARTING)
		pthread_cond_wait(&sp.done, &sp.m);
	if (sp.state == SP_READY) {
		if (sp.tail)
			sp.tail->next = r;
		else
			sp.head = r;
		sp.tail = r;
		pthread_cond_signal(&sp.work);
		rc = 0;
	}
	pthread_mutex_unlock(&sp.m);
	return rc;
}

int bpci__spawner_wait(bpci__spawner_req *r)
{
	pthread_mutex_lock(&sp.m);
	while (!r->done)
		pthread_cond_wait(&sp.done, &sp.m);
	if (r->rc == BPCI__SPAWNER_UNAVAILABLE && sp.state == SP_READY)
		sp.state = SP_BROKEN; /* pidfd_getfd refused: never again */
	pthread_mutex_unlock(&sp.m);
	return r->rc;
}
