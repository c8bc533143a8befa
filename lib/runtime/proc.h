/*
 * Internal: one supervised process — spawn, identify, adopt, signal, reap.
 *
 * Spawning uses fork + execve rather than posix_spawn: switching user and
 * group (setgroups/setgid/setuid) and reporting *which* pre-exec step
 * failed both need code in the child, which posix_spawn cannot run. The
 * child runs only async-signal-safe calls between fork and execve (every
 * string, the environment, the resolved path and the group list are built
 * before fork), so spawning from a multi-threaded program is safe.
 *
 * Exec failures are synchronous: a CLOEXEC pipe carries the failing step
 * and its errno back to the parent, which reaps the child (no zombie) and
 * returns BPCI_ENOTFOUND ("executable not found: PATH") or BPCI_EIO.
 *
 * Identity: a pid alone is ambiguous after the process dies (pids are
 * reused); (pid, start time) is not. The start time is field 22 of
 * /proc/PID/stat (clock ticks since boot). A pidfd pins the identity for
 * as long as the handle lives, so signals never reach a stranger.
 *
 * Not thread-safe per handle; different handles may be used from different
 * threads.
 */
#ifndef BPCI_LIB_RUNTIME_PROC_H
#define BPCI_LIB_RUNTIME_PROC_H

#include <stdint.h>
#include <sys/types.h>

#include "bpci/error.h"

typedef struct bpci__proc bpci__proc;

/* Exit status of an adopted process: it is not our child, so the kernel
 * never tells us how it ended. Check for it before the W* macros. */
#define BPCI__PROC_STATUS_UNKNOWN (-1)

typedef struct bpci__proc_opts {
	/* Program and arguments, NULL-terminated; required. argv[0] without a
	 * '/' is looked up in the child's PATH (after @env is applied), before
	 * fork and with our own identity: the first regular file we may
	 * execute wins (a user switch may still make execve fail: BPCI_EIO). */
	const char *const *argv;
	/* "KEY=VALUE" additions, NULL-terminated, or NULL. They are merged
	 * over a clean base holding only PATH, HOME, LANG, TZ and USER from
	 * our environment (HOME and USER of @user when one is given). */
	const char *const *env;
	/* Directory the child starts in; NULL keeps ours. */
	const char *working_dir;
	/* Run as this user / group (name or number); only when we are root.
	 * A user alone also takes the user's primary and supplementary
	 * groups; a group alone keeps the uid. NULL keeps ours. */
	const char *user;
	const char *group;
	/* Descriptors for the child's 0, 1 and 2; -1 means /dev/null. They
	 * stay owned by the caller (close them after spawning). */
	int stdin_fd;
	int stdout_fd;
	int stderr_fd;
} bpci__proc_opts;

#define BPCI__PROC_OPTS_INIT {NULL, NULL, NULL, NULL, NULL, -1, -1, -1}

/*
 * Start a process in its own process group (setpgid(0, 0); no new
 * session). Every descriptor except 0, 1, 2 is closed in the child and the
 * signal mask and dispositions are reset to the defaults.
 *
 * Returns 0 and a handle in *out (free with bpci__proc_free), or
 * BPCI_EINVAL (bad options, user switching when not root, unknown
 * user/group), BPCI_ENOTFOUND ("executable not found: PATH"), BPCI_EIO (a
 * system call failed, here or in the child before exec; message names the
 * step and strerror), BPCI_ENOMEM. On error no child is left behind.
 */
int bpci__proc_spawn(bpci__proc **out, const bpci__proc_opts *opts, bpci_diag *diag);

/*
 * bpci__proc_spawn in two halves, so that the caller can work while the
 * process is created on the spawner thread (spawner.h). _begin checks the
 * options (its errors are _spawn's option errors: nothing to end) and
 * queues the spawn; _end (exactly once after a 0) waits for it and gives
 * what bpci__proc_spawn would. Between the two, everything @opts points
 * to (strings, argv, env) and its descriptors must stay valid and open.
 */
typedef struct bpci__proc_pending bpci__proc_pending;
int bpci__proc_spawn_begin(bpci__proc_pending **out, const bpci__proc_opts *opts,
			   bpci_diag *diag);
int bpci__proc_spawn_end(bpci__proc **out, bpci__proc_pending *pp, bpci_diag *diag);

/*
 * Re-attach to a running process we did not spawn in this incarnation
 * (after a coordinator restart), identified by @pid and its @start_time.
 * The pidfd is opened first and the identity checked after, so the handle
 * can never refer to a recycled pid.
 *
 * The process is not our child: its exit shows as pidfd readability and
 * its exit status is unknown (bpci__proc_reap gives
 * BPCI__PROC_STATUS_UNKNOWN). Signals go to its group only when it leads
 * its own group (pgid == pid) at adoption time.
 *
 * Returns 0, BPCI_ENOTFOUND (no such process, or the pid now belongs to
 * another process), BPCI_EIO, BPCI_ENOMEM.
 */
int bpci__proc_adopt(bpci__proc **out, pid_t pid, uint64_t start_time, bpci_diag *diag);

/* Close the pidfd and free the handle. Neither signals nor reaps: reap a
 * spawned child first, or it stays a zombie. NULL is a no-op. */
void bpci__proc_free(bpci__proc *p);

pid_t bpci__proc_pid(const bpci__proc *p);
/* The pidfd: readable once the process has exited. Borrowed. */
int bpci__proc_fd(const bpci__proc *p);
/* Start time (clock ticks since boot) recorded at spawn or adoption. */
uint64_t bpci__proc_started(const bpci__proc *p);
/* 1 when spawned by us (a real child we can reap), 0 when adopted. */
int bpci__proc_is_child(const bpci__proc *p);

/*
 * Send @sig to the process's whole group when it leads one (kill(-pgid)),
 * otherwise to the process alone through its pidfd. When the group is
 * already empty the process itself is still tried.
 * Returns 0, BPCI_ENOTFOUND (nobody left to signal), BPCI_EIO.
 */
int bpci__proc_signal_group(bpci__proc *p, int sig);

/*
 * Non-blocking: has the process exited? For a child, reaps it with
 * waitid(WEXITED|WNOHANG) and stores a waitpid-style status in *status
 * (WIFEXITED etc. apply); repeated calls after the reap return the same
 * status. For an adopted process, polls the pidfd and gives
 * BPCI__PROC_STATUS_UNKNOWN. A child somebody else already reaped (SIGCHLD
 * set to SIG_IGN, a stray waitpid(-1)) also gives BPCI__PROC_STATUS_UNKNOWN.
 * Returns 1 (exited; *status set), 0 (still running), BPCI_EIO.
 */
int bpci__proc_reap(bpci__proc *p, int *status);

/*
 * Wait up to @timeout_ms (-1: forever) on the pidfd, then reap as above.
 * Returns 1 (exited), 0 (timeout), BPCI_EIO.
 */
int bpci__proc_wait(bpci__proc *p, int timeout_ms, int *status);

/*
 * Start time of @pid from /proc/PID/stat, field 22, parsed past the last
 * ')' so that a command name holding spaces or parentheses cannot shift
 * the fields. Returns 0, BPCI_ENOTFOUND (no such process), BPCI_EPARSE.
 */
int bpci__proc_start_time(pid_t pid, uint64_t *out);

/* 1 when @pid runs and started at @start_time, 0 otherwise (including a
 * zombie-free reuse of the pid by another process). */
int bpci__proc_identify(pid_t pid, uint64_t start_time);

/* Parse field 22 out of the text of a /proc/PID/stat file (exposed for
 * tests). Returns 0 or BPCI_EPARSE. */
int bpci__proc_parse_stat(const char *text, uint64_t *out);

#endif
