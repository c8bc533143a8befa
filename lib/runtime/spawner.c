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

typedef bpci__spawner_req request;

/* The one spawner of this process. @m guards the rest; @cv signals new
 * requests and finished ones, in both directions. */
static struct {
	pthread_mutex_t m;
	pthread_cond_t cv;
	int state;
	request *head, *tail; /* queued, not yet taken */
} sp = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, SP_NONE, NULL, NULL};

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* A forked child has no spawner thread (fork copies only the caller),
 * and may have copied the locks held: start from scratch. */
static void atfork_child(void)
{
	pthread_mutex_init(&sp.m, NULL);
	pthread_cond_init(&sp.cv, NULL);
	sp.state = SP_NONE;
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

static void serve(request *r, int leader)
{
	int local[BPCI__SPAWNER_MAX_FDS], i, got;

	for (got = 0; got < r->nfds; got++) {
		local[got] = (int)syscall(SYS_pidfd_getfd, leader, r->fds[got], 0);
		if (local[got] < 0)
			break;
	}
	r->rc = got == r->nfds ? r->fn(local, r->payload) : BPCI__SPAWNER_UNAVAILABLE;
	for (i = 0; i < got; i++)
		close(local[i]);
}

static void *run(void *arg)
{
	int leader = own_table();
	request *r;

	(void)arg;
	pthread_mutex_lock(&sp.m);
	sp.state = leader >= 0 ? SP_READY : SP_BROKEN;
	pthread_cond_broadcast(&sp.cv);
	while (leader >= 0) {
		while (!sp.head)
			pthread_cond_wait(&sp.cv, &sp.m);
		r = sp.head;
		sp.head = r->next;
		if (!sp.head)
			sp.tail = NULL;
		pthread_mutex_unlock(&sp.m);
		serve(r, leader);
		pthread_mutex_lock(&sp.m);
		r->done = 1;
		pthread_cond_broadcast(&sp.cv);
	}
	pthread_mutex_unlock(&sp.m);
	return NULL; /* broken: its table goes with it */
}

/* With sp.m held. No signal handler may run on the spawner: it starts
 * with every signal blocked. */
static void start(void)
{
	pthread_attr_t attr;
	pthread_t t;
	sigset_t all, old;
	int rc;

	sp.state = SP_BROKEN;
	if (pthread_attr_init(&attr) != 0)
		return;
	(void)pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	(void)pthread_attr_setstacksize(&attr, 256 * 1024);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	sp.state = SP_STARTING;
	rc = pthread_create(&t, &attr, run, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (rc != 0)
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
		pthread_cond_wait(&sp.cv, &sp.m);
	if (sp.state == SP_READY) {
		if (sp.tail)
			sp.tail->next = r;
		else
			sp.head = r;
		sp.tail = r;
		pthread_cond_broadcast(&sp.cv);
		rc = 0;
	}
	pthread_mutex_unlock(&sp.m);
	return rc;
}

int bpci__spawner_wait(bpci__spawner_req *r)
{
	pthread_mutex_lock(&sp.m);
	while (!r->done)
		pthread_cond_wait(&sp.cv, &sp.m);
	if (r->rc == BPCI__SPAWNER_UNAVAILABLE && sp.state == SP_READY)
		sp.state = SP_BROKEN; /* pidfd_getfd refused: never again */
	pthread_mutex_unlock(&sp.m);
	return r->rc;
}
