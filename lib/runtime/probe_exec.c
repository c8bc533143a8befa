/*
 * Exec probe: a command in its own process group whose exit arrives as a
 * readable pidfd, so no SIGCHLD handler is needed (the coordinator owns
 * SIGCHLD) and the child is reaped by pid with waitid, never by "any
 * child". posix_spawn (fork+exec done by libc with CLONE_VFORK) reports a
 * failed exec synchronously and is safe in a threaded program.
 *
 * The whole group is killed when the leader exits or times out, while the
 * unreaped leader still pins the group id, so a SIGKILL can never reach a
 * recycled group.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/diag.h"
#include "runtime/probe_internal.h"

extern char **environ;

/* Reaps the child; 1 when it was reaped, 0 when it has not exited yet. */
static int reap(bpci__probe *p, int blocking)
{
	siginfo_t si;

	if (!p->pid)
		return 1;
	memset(&si, 0, sizeof(si));
	while (waitid(P_PID, (id_t)p->pid, &si, WEXITED | (blocking ? 0 : WNOHANG)) < 0) {
		if (errno != EINTR) {
			p->pid = 0; /* someone else reaped it: nothing left to wait for */
			return 1;
		}
	}
	if (si.si_pid == 0)
		return 0;
	p->result.exit_status = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
	p->pid = 0;
	return 1;
}

static void close_watch(bpci__probe *p)
{
	if (p->exit_ev) {
		event_free(p->exit_ev);
		p->exit_ev = NULL;
	}
	if (p->deadline) {
		event_free(p->deadline);
		p->deadline = NULL;
	}
	if (p->pidfd >= 0) {
		close(p->pidfd);
		p->pidfd = -1;
	}
}

int bpci__probe_exec_stop(bpci__probe *p, int blocking)
{
	if (p->pid) {
		kill(-p->pid, SIGKILL);
		if (!reap(p, blocking)) {
			if (p->deadline) {
				event_free(p->deadline);
				p->deadline = NULL;
			}
			return 1; /* the pidfd event reaps and frees it */
		}
	}
	close_watch(p);
	return 0;
}

static void on_exit_ready(evutil_socket_t fd, short what, void *arg)
{
	bpci__probe *p = arg;

	(void)fd;
	(void)what;
	if (p->pid)
		kill(-p->pid, SIGKILL); /* leftovers of the group, if any */
	if (!reap(p, 0))
		return;
	if (p->cancelled) {
		close_watch(p);
		bpci__probe_free(p);
		return;
	}
	if (p->timed_out)
		bpci__probe_set(p, 0, "timeout after %u ms", p->timeout_ms);
	else if (p->result.exit_status == 0)
		bpci__probe_set(p, 1, "exit 0");
	else if (p->result.exit_status > 128)
		bpci__probe_set(p, 0, "killed by signal %d", p->result.exit_status - 128);
	else
		bpci__probe_set(p, 0, "exit status %d", p->result.exit_status);
	bpci__probe_finish(p);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	bpci__probe *p = arg;

	(void)fd;
	(void)what;
	p->timed_out = 1;
	if (p->pid)
		kill(-p->pid, SIGKILL); /* the result follows once it is reaped */
}

static int spawn(bpci__probe *p, const char *const *argv)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dfl;
	int rc;

	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGTERM);
	sigaddset(&dfl, SIGHUP);
	sigaddset(&dfl, SIGQUIT);
	sigaddset(&dfl, SIGCHLD);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dfl);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
				 POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawnp(&p->pid, argv[0], &fa, &at, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc != 0)
		p->pid = 0;
	return rc;
}

static int watch(bpci__probe *p, bpci_diag *diag)
{
	struct timeval tv;

	p->pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
	if (p->pidfd < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "",
				      "pidfd_open failed: %s", strerror(errno));
	p->exit_ev = event_new(p->ctx->base, p->pidfd, EV_READ | EV_PERSIST, on_exit_ready, p);
	p->deadline = evtimer_new(p->ctx->base, on_deadline, p);
	tv.tv_sec = p->timeout_ms / 1000;
	tv.tv_usec = (suseconds_t)(p->timeout_ms % 1000) * 1000;
	if (!p->exit_ev || !p->deadline || event_add(p->exit_ev, NULL) < 0 ||
	    evtimer_add(p->deadline, &tv) < 0)
		return BPCI_ENOMEM;
	return 0;
}

int bpci__probe_exec(bpci__probe **out, bpci__probe_ctx *ctx, const char *const *argv,
		     unsigned int timeout_ms, bpci__probe_cb cb, void *payload,
		     bpci_diag *diag)
{
	bpci__probe *p;
	int rc;

	*out = NULL;
	if (!argv || !argv[0] || !argv[0][0])
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "command",
				      "must name a program to run");
	p = bpci__probe_new(ctx, BPCI__PROBE_EXEC, timeout_ms, cb, payload);
	if (!p)
		return BPCI_ENOMEM;
	rc = spawn(p, argv);
	if (rc != 0) {
		bpci__probe_set(p, 0, "cannot run %s: %s", argv[0], strerror(rc));
		rc = bpci__probe_finish_later(p);
	} else {
		rc = watch(p, diag);
	}
	if (rc < 0) {
		bpci__probe_exec_stop(p, 1);
		bpci__probe_cancel(p);
		return rc;
	}
	*out = p;
	return 0;
}
