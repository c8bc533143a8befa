/* Process spawning, identity, adoption, signals and reaping. */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpci.h"
#include "runtime/logfile.h"
#include "runtime/proc.h"
#include "runtime_test.h"

/* Spawn @argv with stdout (and stderr) on a pipe; returns the read end. */
static bpci__proc *spawn_piped(const char *const *argv, const char *const *env,
			       const char *wd, int *read_fd)
{
	bpci__proc_opts o = BPCI__PROC_OPTS_INIT;
	bpci__proc *p;
	bpci_diag *d;
	int fds[2], rc;

	ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
	ck_assert_int_eq(bpci_diag_new(&d), 0);
	o.argv = argv;
	o.env = env;
	o.working_dir = wd;
	o.stdout_fd = fds[1];
	o.stderr_fd = fds[1];
	rc = bpci__proc_spawn(&p, &o, d);
	ck_assert_msg(rc == 0, "spawn: %d %s", rc, bpci_diag_last_text(d));
	close(fds[1]);
	bpci_diag_free(d);
	*read_fd = fds[0];
	return p;
}

/* Run @argv to completion and return its output; *status gets the status. */
static char *run_capture(const char *const *argv, const char *const *env, const char *wd,
			 int *status)
{
	int fd;
	bpci__proc *p = spawn_piped(argv, env, wd, &fd);
	char *out = rt_read_all(fd, 3000);

	close(fd);
	ck_assert_int_eq(bpci__proc_wait(p, 3000, status), 1);
	bpci__proc_free(p);
	return out;
}

static void on_log_eof(bpci__logfile *lf, void *payload)
{
	(void)lf;
	*(int *)payload = 1;
}

START_TEST(spawn_status_and_both_streams_logged)
{
	const char *argv[] = {"/bin/sh", "-c", "echo out; echo err >&2; exit 3", NULL};
	bpci__logfile_opts lo = {NULL, "node-1", 0, 0};
	bpci__proc_opts o = BPCI__PROC_OPTS_INIT;
	struct event_base *base = event_base_new();
	bpci__logfile *lf;
	bpci__proc *p;
	int wout, werr, st = -1, eof = 0;
	char *dir = bpci_test_mkdtemp(), *text;
	size_t len;

	lo.dir = dir;
	ck_assert_int_eq(bpci__logfile_open(&lf, base, &lo, NULL), 0);
	bpci__logfile_on_eof(lf, on_log_eof, &eof);
	ck_assert_int_eq(bpci__logfile_pipe(lf, &wout, NULL), 0);
	ck_assert_int_eq(bpci__logfile_pipe(lf, &werr, NULL), 0);
	o.argv = argv;
	o.stdout_fd = wout;
	o.stderr_fd = werr;
	ck_assert_int_eq(bpci__proc_spawn(&p, &o, NULL), 0);
	close(wout);
	close(werr);
	ck_assert_int_eq(bpci__proc_wait(p, 3000, &st), 1);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 3);
	ck_assert_int_eq(rt_loop_until(base, &eof, 3000), 1);
	ck_assert_uint_eq(bpci__logfile_open_pipes(lf), 0);
	text = rt_slurp(bpci__logfile_path(lf), &len);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(len, 8);
	ck_assert_contains(text, "out\n");
	ck_assert_contains(text, "err\n");
	free(text);
	/* The status stays available after the reap. */
	ck_assert_int_eq(bpci__proc_reap(p, &st), 1);
	ck_assert_int_eq(WEXITSTATUS(st), 3);
	bpci__proc_free(p);
	bpci__logfile_free(lf);
	event_base_free(base);
	ck_assert(rt_no_children());
	bpci_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(spawn_missing_program_reports_synchronously)
{
	const char *abs[] = {"/nonexistent/bpci-prog", "x", NULL};
	const char *rel[] = {"bpci-no-such-program-zz", NULL};
	bpci__proc_opts o = BPCI__PROC_OPTS_INIT;
	bpci__proc *p = (bpci__proc *)&o;
	bpci_diag *d;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	o.argv = abs;
	ck_assert_int_eq(bpci__proc_spawn(&p, &o, d), BPCI_ENOTFOUND);
	ck_assert_ptr_null(p);
	ck_assert_contains(bpci_diag_last_text(d), "executable not found: /nonexistent/bpci-prog");
	ck_assert(rt_no_children()); /* the failed child was reaped */
	bpci_diag_clear(d);
	o.argv = rel;
	ck_assert_int_eq(bpci__proc_spawn(&p, &o, d), BPCI_ENOTFOUND);
	ck_assert_contains(bpci_diag_last_text(d), "executable not found: bpci-no-such-program-zz");
	ck_assert(rt_no_children());
	bpci_diag_free(d);
}
END_TEST

START_TEST(spawn_unexecutable_file_is_eio)
{
	char *dir = bpci_test_mkdtemp();
	char *path = bpci_test_write_file(dir, "script", "#!/bin/sh\nexit 0\n");
	const char *argv[] = {path, NULL};
	const char *bad_wd[] = {"/bin/true", NULL};
	bpci__proc_opts o = BPCI__PROC_OPTS_INIT;
	bpci__proc *p;
	bpci_diag *d;
	char *nowhere;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(chmod(path, 0644), 0);
	o.argv = argv;
	ck_assert_int_eq(bpci__proc_spawn(&p, &o, d), BPCI_EIO);
	ck_assert_contains(bpci_diag_last_text(d), "cannot execute");
	ck_assert_contains(bpci_diag_last_text(d), "Permission denied");
	ck_assert(rt_no_children());
	/* A working directory that does not exist fails before exec. */
	ck_assert(asprintf(&nowhere, "%s/missing", dir) > 0);
	o.argv = bad_wd;
	o.working_dir = nowhere;
	ck_assert_int_eq(bpci__proc_spawn(&p, &o, d), BPCI_EIO);
	ck_assert_contains(bpci_diag_last_text(d), "working_dir");
	ck_assert_contains(bpci_diag_last_text(d), nowhere);
	ck_assert(rt_no_children());
	free(nowhere);
	bpci_diag_free(d);
	bpci_test_rmtree(dir);
	free(path);
	free(dir);
}
END_TEST

START_TEST(spawn_clean_environment_with_additions)
{
	const char *argv[] = {"sh", "-c",
			      "printf '%s|%s|%s|%s|%s' \"$FOO\" \"$BAR\" \"${BPCI_SECRET-unset}\" "
			      "\"$HOME\" \"${PATH:+path}\"", NULL};
	const char *env[] = {"FOO=1", "BAR=x=y", "HOME=/nowhere", NULL};
	const char *bad_env[] = {"NOEQUALS", NULL};
	bpci__proc_opts o = BPCI__PROC_OPTS_INIT;
	bpci__proc *p;
	bpci_diag *d;
	char *out;
	int st;

	setenv("BPCI_SECRET", "leak", 1);
	out = run_capture(argv, env, NULL, &st);
	unsetenv("BPCI_SECRET");
	ck_assert_str_eq(out, "1|x=y|unset|/nowhere|path");
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	free(out);
	ck_assert_int_eq(bpci_diag_new(&d), 0);
	o.argv = argv;
	o.env = bad_env;
	ck_assert_int_eq(bpci__proc_spawn(&p, &o, d), BPCI_EINVAL);
	ck_assert_contains(bpci_diag_last_text(d), "env[0]");
	ck_assert_contains(bpci_diag_last_text(d), "NOEQUALS");
	bpci_diag_free(d);
}
END_TEST

START_TEST(spawn_honours_working_dir)
{
	char *dir = bpci_test_mkdtemp(), real[PATH_MAX], *out;
	const char *argv[] = {"pwd", "-P", NULL};
	int st;

	ck_assert_ptr_nonnull(realpath(dir, real));
	out = run_capture(argv, NULL, dir, &st);
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	ck_assert_uint_gt(strlen(out), 0);
	out[strlen(out) - 1] = '\0';
	ck_assert_str_eq(out, real);
	free(out);
	bpci_test_rmtree(dir);
	free(dir);
}
END_TEST

/*
 * The SigIgn mask of a /proc/<pid>/status text, without glibc's reserved
 * real-time signals 32 and 33: glibc's sigaction() cannot change them, so
 * they stay as the test runner inherited them (some launchers ignore them),
 * and glibc re-installs its own handlers before it uses them.
 */
static unsigned long long ignored_signals(const char *status)
{
	const char *p = strstr(status, "SigIgn:\t");

	ck_assert_ptr_nonnull(p);
	return strtoull(p + 8, NULL, 16) & ~((1ull << 31) | (1ull << 32));
}

START_TEST(spawn_closes_fds_and_resets_signals)
{
	const char *argv[] = {"/bin/cat", "/proc/self/status", NULL};
	char check[128], *out;
	const char *sh[] = {"/bin/sh", "-c", check, NULL};
	int leak = open("/dev/null", O_RDONLY), st;
	sigset_t usr2, old;
	struct sigaction ign, prev;

	ck_assert_int_ge(leak, 3);
	snprintf(check, sizeof(check), "[ -e /proc/$$/fd/%d ] && echo open || echo closed", leak);
	out = run_capture(sh, NULL, NULL, &st);
	ck_assert_str_eq(out, "closed\n");
	free(out);
	close(leak);

	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	ck_assert_int_eq(sigaction(SIGUSR1, &ign, &prev), 0);
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, &usr2, &old), 0);
	out = run_capture(argv, NULL, NULL, &st);
	sigprocmask(SIG_SETMASK, &old, NULL);
	sigaction(SIGUSR1, &prev, NULL);
	ck_assert_contains(out, "SigBlk:\t0000000000000000\n");
	ck_assert_uint_eq(ignored_signals(out), 0);
	free(out);
}
END_TEST

/* A thread with a descriptor table of its own (unshare(CLONE_FILES)): the
 * spawner, which reads descriptor numbers from the process's shared
 * table, must not be used for it; its child still gets its own pipe. */
static void *spawn_in_own_table(void *arg)
{
	const char *argv[] = {"/bin/echo", "own table", NULL};
	char **out = arg;
	int st;

	if (unshare(CLONE_FILES) != 0)
		return NULL;
	*out = run_capture(argv, NULL, NULL, &st);
	return NULL;
}

START_TEST(spawn_from_a_thread_with_its_own_fd_table)
{
	char *out = NULL;
	pthread_t t;

	ck_assert_int_eq(pthread_create(&t, NULL, spawn_in_own_table, &out), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_ptr_nonnull(out);
	ck_assert_str_eq(out, "own table\n");
	free(out);
}
END_TEST

/* Spawns from two threads at once are served one at a time, each child
 * with the caller's own descriptors. */
static void *spawn_twenty(void *arg)
{
	const char *tag = arg;
	const char *argv[] = {"/bin/echo", tag, NULL};
	char want[32];
	int i, st;

	snprintf(want, sizeof(want), "%s\n", tag);
	for (i = 0; i < 20; i++) {
		char *out = run_capture(argv, NULL, NULL, &st);

		if (strcmp(out, want) != 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			free(out);
			return (void *)1;
		}
		free(out);
	}
	return NULL;
}

START_TEST(spawn_from_two_threads_at_once)
{
	pthread_t a, b;
	void *ra = (void *)2, *rb = (void *)2;

	ck_assert_int_eq(pthread_create(&a, NULL, spawn_twenty, "thread-a"), 0);
	ck_assert_int_eq(pthread_create(&b, NULL, spawn_twenty, "thread-b"), 0);
	ck_assert_int_eq(pthread_join(a, &ra), 0);
	ck_assert_int_eq(pthread_join(b, &rb), 0);
	ck_assert_ptr_null(ra);
	ck_assert_ptr_null(rb);
}
END_TEST

START_TEST(spawn_own_process_group)
{
	const char *argv[] = {"sleep", "5", NULL};
	bpci__proc_opts o = BPCI__PROC_OPTS_INIT;
	bpci__proc *p;
	int st;

	o.argv = argv;
	ck_assert_int_eq(bpci__proc_spawn(&p, &o, NULL), 0);
	ck_assert_int_eq(getpgid(bpci__proc_pid(p)), bpci__proc_pid(p));
	ck_assert_int_ne(getpgid(bpci__proc_pid(p)), getpgrp());
	ck_assert_int_eq(bpci__proc_is_child(p), 1);
	ck_assert_int_eq(bpci__proc_reap(p, &st), 0);
	ck_assert_int_eq(bpci__proc_signal_group(p, SIGKILL), 0);
	ck_assert_int_eq(bpci__proc_wait(p, 3000, &st), 1);
	ck_assert(WIFSIGNALED(st));
	ck_assert_int_eq(WTERMSIG(st), SIGKILL);
	/* Nobody is left to signal. */
	ck_assert_int_eq(bpci__proc_signal_group(p, SIGTERM), BPCI_ENOTFOUND);
	bpci__proc_free(p);
}
END_TEST

START_TEST(signal_group_kills_the_tree)
{
	const char *argv[] = {"/bin/sh", "-c", "sleep 100 & echo $!; sleep 100", NULL};
	struct pollfd pfd;
	bpci__proc *p;
	char line[32];
	ssize_t n;
	int fd, gfd, st;
	pid_t grandchild;

	p = spawn_piped(argv, NULL, NULL, &fd);
	pfd.fd = fd;
	pfd.events = POLLIN;
	ck_assert_int_eq(poll(&pfd, 1, 3000), 1);
	n = read(fd, line, sizeof(line) - 1);
	ck_assert_int_gt(n, 0);
	line[n] = '\0';
	grandchild = (pid_t)atoi(line);
	ck_assert_int_gt(grandchild, 1);
	ck_assert_int_eq(getpgid(grandchild), bpci__proc_pid(p));
	gfd = (int)syscall(SYS_pidfd_open, grandchild, 0);
	ck_assert_int_ge(gfd, 0);
	ck_assert_int_eq(bpci__proc_signal_group(p, SIGTERM), 0);
	ck_assert_int_eq(bpci__proc_wait(p, 3000, &st), 1);
	ck_assert(WIFSIGNALED(st));
	ck_assert_int_eq(WTERMSIG(st), SIGTERM);
	pfd.fd = gfd;
	ck_assert_int_eq(poll(&pfd, 1, 3000), 1); /* the grandchild is gone too */
	close(gfd);
	close(fd);
	bpci__proc_free(p);
}
END_TEST

static void on_pidfd(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(int *)arg = 1;
}

START_TEST(pidfd_readable_in_event_loop)
{
	const char *argv[] = {"/bin/sh", "-c", "exit 7", NULL};
	bpci__proc_opts o = BPCI__PROC_OPTS_INIT;
	struct event_base *base = event_base_new();
	struct event *ev;
	bpci__proc *p;
	int fired = 0, st;

	o.argv = argv;
	ck_assert_int_eq(bpci__proc_spawn(&p, &o, NULL), 0);
	ev = event_new(base, bpci__proc_fd(p), EV_READ, on_pidfd, &fired);
	event_add(ev, NULL);
	ck_assert_int_eq(rt_loop_until(base, &fired, 3000), 1);
	ck_assert_int_eq(bpci__proc_reap(p, &st), 1);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 7);
	event_free(ev);
	event_base_free(base);
	bpci__proc_free(p);
}
END_TEST

START_TEST(start_time_identifies_the_process)
{
	const char *argv[] = {"sleep", "5", NULL};
	const char *quick[] = {"/bin/true", NULL};
	bpci__proc_opts o = BPCI__PROC_OPTS_INIT;
	bpci__proc *p;
	uint64_t st, init_st;
	int status;
	pid_t pid;

	o.argv = argv;
	ck_assert_int_eq(bpci__proc_spawn(&p, &o, NULL), 0);
	pid = bpci__proc_pid(p);
	ck_assert_int_eq(bpci__proc_start_time(pid, &st), 0);
	ck_assert_uint_eq(st, bpci__proc_started(p));
	ck_assert_uint_gt(st, 0);
	ck_assert_int_eq(bpci__proc_identify(pid, st), 1);
	ck_assert_int_eq(bpci__proc_identify(pid, st + 1), 0);
	ck_assert_int_eq(bpci__proc_start_time(1, &init_st), 0);
	ck_assert_uint_lt(init_st, st);
	ck_assert_int_eq(bpci__proc_identify(1, st), 0);
	ck_assert_int_eq(bpci__proc_identify(-5, st), 0);
	ck_assert_int_eq(bpci__proc_start_time(-5, &st), BPCI_ENOTFOUND);
	ck_assert_int_eq(bpci__proc_signal_group(p, SIGKILL), 0);
	ck_assert_int_eq(bpci__proc_wait(p, 3000, &status), 1);
	ck_assert_int_eq(bpci__proc_identify(pid, bpci__proc_started(p)), 0);
	bpci__proc_free(p);

	/* A zombie (exited, not reaped) no longer counts as running. */
	o.argv = quick;
	ck_assert_int_eq(bpci__proc_spawn(&p, &o, NULL), 0);
	{
		struct pollfd pfd = {bpci__proc_fd(p), POLLIN, 0};

		ck_assert_int_eq(poll(&pfd, 1, 3000), 1);
	}
	ck_assert_int_eq(bpci__proc_start_time(bpci__proc_pid(p), &st), 0);
	ck_assert_int_eq(bpci__proc_identify(bpci__proc_pid(p), st), 0);
	ck_assert_int_eq(bpci__proc_wait(p, 3000, &status), 1);
	bpci__proc_free(p);
}
END_TEST

START_TEST(reap_after_a_stray_waitpid)
{
	const char *argv[] = {"/bin/true", NULL};
	bpci__proc_opts o = BPCI__PROC_OPTS_INIT;
	bpci__proc *p;
	int st = 0;

	o.argv = argv;
	ck_assert_int_eq(bpci__proc_spawn(&p, &o, NULL), 0);
	ck_assert_int_eq(waitpid(bpci__proc_pid(p), &st, 0), bpci__proc_pid(p));
	ck_assert_int_eq(bpci__proc_reap(p, &st), 1);
	ck_assert_int_eq(st, BPCI__PROC_STATUS_UNKNOWN);
	bpci__proc_free(p);
}
END_TEST

START_TEST(parse_stat_is_robust)
{
	uint64_t v = 0;

	ck_assert_int_eq(bpci__proc_parse_stat("42 (we ird) 7 8) R 1 2 3 4 5 6 7 8 9 10 11 12 "
					       "13 14 15 16 17 18 987654 19 20\n", &v), 0);
	ck_assert_uint_eq(v, 987654);
	ck_assert_int_eq(bpci__proc_parse_stat("42 (x) R 1 2 3", &v), BPCI_EPARSE);
	ck_assert_int_eq(bpci__proc_parse_stat("42 x R 1 2 3", &v), BPCI_EPARSE);
	ck_assert_int_eq(bpci__proc_parse_stat("42 (x) R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 "
					       "16 17 18 -5 19", &v), BPCI_EPARSE);
	ck_assert_uint_eq(v, 987654);
}
END_TEST

START_TEST(adopt_an_unrelated_process)
{
	int gate[2], st;
	pid_t pid;
	uint64_t start;
	bpci__proc *p;
	bpci_diag *d;
	char c;

	ck_assert_int_eq(pipe(gate), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(gate[1]);
		_exit(read(gate[0], &c, 1) == 0 ? 0 : 1); /* exits when the gate closes */
	}
	close(gate[0]);
	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci__proc_start_time(pid, &start), 0);
	ck_assert_int_eq(bpci__proc_adopt(&p, pid, start + 1, d), BPCI_ENOTFOUND);
	ck_assert_contains(bpci_diag_last_text(d), "is gone");
	ck_assert_int_eq(bpci__proc_adopt(&p, pid, start, d), 0);
	ck_assert_int_eq(bpci__proc_is_child(p), 0);
	ck_assert_int_eq(bpci__proc_pid(p), pid);
	ck_assert_int_eq(bpci__proc_reap(p, &st), 0);
	close(gate[1]);
	ck_assert_int_eq(bpci__proc_wait(p, 3000, &st), 1);
	ck_assert_int_eq(st, BPCI__PROC_STATUS_UNKNOWN);
	bpci__proc_free(p);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	ck_assert_int_eq(bpci__proc_adopt(&p, pid, start, d), BPCI_ENOTFOUND);
	bpci_diag_free(d);
}
END_TEST

START_TEST(adopted_non_leader_gets_signal_alone)
{
	bpci__proc *p;
	uint64_t start;
	pid_t pid;
	int st, ready[2];
	char c;

	ck_assert_int_eq(pipe(ready), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		signal(SIGTERM, SIG_DFL); /* Check's handler would kill our group */
		if (write(ready[1], "r", 1) != 1)
			_exit(3);
		pause();
		_exit(0);
	}
	close(ready[1]);
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	close(ready[0]);
	ck_assert_int_eq(bpci__proc_start_time(pid, &start), 0);
	ck_assert_int_eq(bpci__proc_adopt(&p, pid, start, NULL), 0);
	/* It shares our group: a group signal would hit the test itself. */
	ck_assert_int_eq(bpci__proc_signal_group(p, SIGTERM), 0);
	ck_assert_int_eq(bpci__proc_wait(p, 3000, &st), 1);
	bpci__proc_free(p);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFSIGNALED(st));
	ck_assert_int_eq(WTERMSIG(st), SIGTERM);
}
END_TEST

/* Output of `id -u; id -g; id -G; $USER` run as @user / @group. */
static char *ids_as(const char *user, const char *group)
{
	const char *argv[] = {"/bin/sh", "-c",
			      "printf '%s %s [%s] %s' \"$(id -u)\" \"$(id -g)\" \"$(id -G)\" \"$USER\"",
			      NULL};
	bpci__proc_opts o = BPCI__PROC_OPTS_INIT;
	bpci__proc *p;
	bpci_diag *d;
	char *out;
	int fds[2], st, rc;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
	o.argv = argv;
	o.user = user;
	o.group = group;
	o.stdout_fd = fds[1];
	rc = bpci__proc_spawn(&p, &o, d);
	ck_assert_msg(rc == 0, "spawn: %s", bpci_diag_last_text(d));
	close(fds[1]);
	out = rt_read_all(fds[0], 3000);
	close(fds[0]);
	ck_assert_int_eq(bpci__proc_wait(p, 3000, &st), 1);
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	bpci__proc_free(p);
	bpci_diag_free(d);
	return out;
}

START_TEST(spawn_as_another_user)
{
	const char *argv[] = {"/bin/true", NULL};
	bpci__proc_opts o = BPCI__PROC_OPTS_INIT;
	struct passwd *pw = getpwnam("nobody");
	bpci__proc *p;
	bpci_diag *d;
	char expect[96], *out;

	if (geteuid() != 0 || !pw || !getgrnam("daemon"))
		return; /* needs root, a "nobody" user and a "daemon" group */
	snprintf(expect, sizeof(expect), "%u %u [%u] nobody", (unsigned)pw->pw_uid,
		 (unsigned)pw->pw_gid, (unsigned)pw->pw_gid);
	out = ids_as("nobody", NULL);
	ck_assert_str_eq(out, expect);
	free(out);
	snprintf(expect, sizeof(expect), "%u %u [%u] nobody", (unsigned)pw->pw_uid,
		 (unsigned)getgrnam("daemon")->gr_gid, (unsigned)getgrnam("daemon")->gr_gid);
	out = ids_as("nobody", "daemon");
	ck_assert_str_eq(out, expect);
	free(out);
	out = ids_as(NULL, "daemon"); /* group alone keeps uid 0 */
	snprintf(expect, sizeof(expect), "0 %u [%u] ", (unsigned)getgrnam("daemon")->gr_gid,
		 (unsigned)getgrnam("daemon")->gr_gid);
	ck_assert_msg(strncmp(out, expect, strlen(expect)) == 0, "got %s", out);
	free(out);

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	o.argv = argv;
	o.user = "bpci-no-such-user";
	ck_assert_int_eq(bpci__proc_spawn(&p, &o, d), BPCI_EINVAL);
	ck_assert_contains(bpci_diag_last_text(d), "user");
	ck_assert_contains(bpci_diag_last_text(d), "bpci-no-such-user");
	o.user = NULL;
	o.group = "bpci-no-such-group";
	ck_assert_int_eq(bpci__proc_spawn(&p, &o, d), BPCI_EINVAL);
	ck_assert_contains(bpci_diag_last_text(d), "group");
	ck_assert_contains(bpci_diag_last_text(d), "bpci-no-such-group");
	ck_assert(rt_no_children());
	bpci_diag_free(d);
}
END_TEST

START_TEST(spawn_rejects_empty_argv)
{
	const char *none[] = {NULL};
	bpci__proc_opts o = BPCI__PROC_OPTS_INIT;
	bpci__proc *p;
	bpci_diag *d;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci__proc_spawn(&p, &o, d), BPCI_EINVAL);
	o.argv = none;
	ck_assert_int_eq(bpci__proc_spawn(&p, &o, d), BPCI_EINVAL);
	ck_assert_contains(bpci_diag_last_text(d), "argv");
	bpci_diag_free(d);
	bpci__proc_free(NULL);
}
END_TEST

TCase *bpci_test_runtime_proc(void)
{
	TCase *tc = tcase_create("proc");

	tcase_add_test(tc, spawn_status_and_both_streams_logged);
	tcase_add_test(tc, spawn_missing_program_reports_synchronously);
	tcase_add_test(tc, spawn_unexecutable_file_is_eio);
	tcase_add_test(tc, spawn_clean_environment_with_additions);
	tcase_add_test(tc, spawn_honours_working_dir);
	tcase_add_test(tc, spawn_closes_fds_and_resets_signals);
	tcase_add_test(tc, spawn_from_a_thread_with_its_own_fd_table);
	tcase_add_test(tc, spawn_from_two_threads_at_once);
	tcase_add_test(tc, spawn_own_process_group);
	tcase_add_test(tc, signal_group_kills_the_tree);
	tcase_add_test(tc, pidfd_readable_in_event_loop);
	tcase_add_test(tc, start_time_identifies_the_process);
	tcase_add_test(tc, reap_after_a_stray_waitpid);
	tcase_add_test(tc, parse_stat_is_robust);
	tcase_add_test(tc, adopt_an_unrelated_process);
	tcase_add_test(tc, adopted_non_leader_gets_signal_alone);
	tcase_add_test(tc, spawn_as_another_user);
	tcase_add_test(tc, spawn_rejects_empty_argv);
	return tc;
}
