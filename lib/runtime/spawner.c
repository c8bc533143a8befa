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

typedef struct request {
	bpci__spawner_fn fn;
	const int *fds;
	int nfds;
	void *payload;
	int rc;
	int done;
} request;

/* The one spawner of this process. @call serializes callers for the
 * whole of a call; @m and @cv guard @state and @req in both directions. */
static struct {
	pthread_mutex_t call, m;
	pthread_cond_t cv;
	int state;
	request *req;
} sp = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
	SP_NONE, NULL};

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* A forked child has no spawner thread (fork copies only the caller),
 * and may have copied the locks held: start from scratch. */
static void atfork_child(void)
{
	pthread_mutex_init(&sp.call, NULL);
	pthread_mutex_init(&sp.m, NULL);
	pthread_cond_init(&sp.cv, NULL);
	sp.state = SP_NONE;
	sp.req = NULL;
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
		while (!sp.req)
			pthread_cond_wait(&sp.cv, &sp.m);
		r = sp.req;
		pthread_mutex_unlock(&sp.m);
		serve(r, leader);
		pthread_mutex_lock(&sp.m);
		sp.req = NULL;
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

int bpci__spawner_call(bpci__spawner_fn fn, const int *fds, int nfds, void *payload)
{
	request r;

	if (nfds < 0 || nfds > BPCI__SPAWNER_MAX_FDS || !shares_leader_table())
		return BPCI__SPAWNER_UNAVAILABLE;
	memset(&r, 0, sizeof(r));
	r.fn = fn;
	r.fds = fds;
	r.nfds = nfds;
	r.payload = payload;
	pthread_once(&atfork_once, register_atfork);
	pthread_mutex_lock(&sp.call);
	pthread_mutex_lock(&sp.m);
	if (sp.state == SP_NONE)
		start();
	while (sp.state == SP_STARTING)
		pthread_cond_wait(&sp.cv, &sp.m);
	if (sp.state == SP_READY) {
		sp.req = &r;
		pthread_cond_broadcast(&sp.cv);
		while (!r.done)
			pthread_cond_wait(&sp.cv, &sp.m);
		if (r.rc == BPCI__SPAWNER_UNAVAILABLE) /* pidfd_getfd refused: never again */
			sp.state = SP_BROKEN;
	} else {
		r.rc = BPCI__SPAWNER_UNAVAILABLE;
	}
	pthread_mutex_unlock(&sp.m);
	pthread_mutex_unlock(&sp.call);
	return r.rc;
}
