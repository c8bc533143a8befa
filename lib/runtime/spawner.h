/*
 * Internal: threads with a descriptor table of their own, almost empty, to
 * spawn processes from.
 *
 * Why: clone() copies the caller's descriptor table and the child then
 * closes everything above 2 (close_range), so a spawn from a coordinator
 * holding two descriptors per node costs O(nodes): for the 1,000th node,
 * ~2,000 copies and ~2,000 closes, a quarter of the coordinator's own CPU
 * time for 1,000 spawns. The spawner thread unshares its table
 * (unshare(CLONE_FILES)) and closes all of it but 0..2, so its children
 * copy and close a handful.
 *
 * The caller's descriptors reach it through pidfd_getfd() on the thread
 * group leader's pidfd (the process's shared table; same thread group, so
 * no ptrace permission is needed), for the duration of one call. Nothing
 * is added to the caller's table: the spawner costs no descriptor there.
 *
 * One spawner per process, two worker threads serving one queue (each
 * clone with CLONE_VFORK waits for its child's exec, so one worker spawns
 * at the speed of exec; two keep both cores of a small machine busy),
 * started on first use and never stopped: a node's PR_SET_PDEATHSIG fires
 * when the *thread* that spawned it exits, so the spawning threads must
 * live as long as the process. A forked child starts its own on first use. When it cannot run (an old kernel without
 * pidfd_getfd, a seccomp filter, no memory, a leader thread that has
 * exited), calls return BPCI__SPAWNER_UNAVAILABLE and the caller spawns
 * itself as before.
 *
 * Thread-safe: requests from several threads are taken in the order they
 * were submitted and served by whichever worker is free, so they may
 * finish in another order; each caller waits for its own.
 */
#ifndef BPCI_LIB_RUNTIME_SPAWNER_H
#define BPCI_LIB_RUNTIME_SPAWNER_H

#define BPCI__SPAWNER_UNAVAILABLE (-1)
#define BPCI__SPAWNER_MAX_FDS 4

/* Runs on a spawner thread; @fds are the caller's descriptors as copies
 * in the spawner's table (closed after the call); where the caller gave -1
 * at index k, the spawner's own /dev/null, fd k for k < 3. Returns 0 or a positive errno
 * value. */
typedef int (*bpci__spawner_fn)(const int *fds, void *payload);

/* A request, owned by the caller; fill fn, fds, nfds and payload. */
typedef struct bpci__spawner_req {
	bpci__spawner_fn fn;
	int fds[BPCI__SPAWNER_MAX_FDS];
	int nfds;
	void *payload;
	/* private */
	int rc, done;
	struct bpci__spawner_req *next;
} bpci__spawner_req;

/*
 * Queue @r: @fn runs on a spawner worker with copies of the descriptors
 * @r->fds of the calling thread's table, once every request queued before
 * it has been taken. @r, @payload and those descriptors must stay valid until
 * bpci__spawner_wait(@r) returns, which must be called exactly once after
 * a 0 here. Returns 0, or BPCI__SPAWNER_UNAVAILABLE (nothing queued).
 */
int bpci__spawner_submit(bpci__spawner_req *r);

/* Wait for @r. Returns what its fn returned, or BPCI__SPAWNER_UNAVAILABLE
 * (fn did not run: the descriptors could not be fetched). */
int bpci__spawner_wait(bpci__spawner_req *r);

#endif
