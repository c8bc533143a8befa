/* The runtime directory: nodes' FIFOs and spec files on tmpfs, DIR/run
 * pointing at it, found again by a coordinator restarted after kill -9. */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "coordinator_test.h"

/* /dev/shm/bpci-UID-HASH for state directory @dir (FNV-1a of its real path). */
static void shm_path(char *out, size_t len, const char *dir)
{
	char real[PATH_MAX];
	unsigned long long h = 1469598103934665603ull;
	const char *p;

	ck_assert_ptr_nonnull(realpath(dir, real));
	for (p = real; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	snprintf(out, len, "/dev/shm/bpci-%lu-%016llx", (unsigned long)geteuid(), h);
}

/* Where DIR/run points (fails the test when it is not a symlink). */
static void run_target(char *out, size_t len, const char *dir)
{
	char link[PATH_MAX];
	struct stat st;
	ssize_t n;

	snprintf(link, sizeof(link), "%s/run", dir);
	ck_assert_int_eq(lstat(link, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	n = readlink(link, out, len - 1);
	ck_assert_int_gt(n, 0);
	out[n] = '\0';
}

static void assert_private_dir(const char *path)
{
	struct stat st;

	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	ck_assert_uint_eq(st.st_uid, geteuid());
}

static int pid_of(ct_env *e, const char *id)
{
	bpci_node_status *s = ct_status(e, id);
	int pid = s->pid;

	bpci_node_status_free(s);
	return pid;
}

/* Run the loop until node @id's log holds "line @k"; returns the log. */
static char *wait_line(ct_env *e, const char *id, int k)
{
	char want[32], *logs = NULL;
	long end = ct_now_ms() + 10000;

	snprintf(want, sizeof(want), "line %d\n", k);
	for (;;) {
		ck_assert_int_eq(bpci_coordinator_node_logs(&logs, e->c, id, 1000, NULL), 0);
		if (strstr(logs, want))
			return logs;
		ck_assert_msg(ct_now_ms() < end, "no \"line %d\" after 10 s in:\n%s", k, logs);
		bpci_free(logs);
		ct_run_for(e->c, 50);
	}
}

/* The child runs a coordinator with one counting node, reports its pid
 * once a few lines are logged, and waits to be killed. */
static _Noreturn void crash_child(ct_env *e, int wfd)
{
	bpci_node_spec *spec = ct_spec("count 20", "none");
	bpci_node_state st;
	bpci_node_status *s;
	char *id = NULL, line[32];
	int len;

	if (ct_open(e, &e->c) < 0 || bpci_coordinator_start_node(&id, e->c, spec, NULL, NULL) < 0 ||
	    bpci_coordinator_wait_node(&st, e->c, id, BPCI_NODE_STATE_BIT(BPCI_NODE_STATE_RUNNING),
				       5000, NULL) != 0 ||
	    bpci_coordinator_get_node(&s, e->c, id, NULL) < 0)
		_exit(1);
	bpci_free(wait_line(e, id, 3));
	len = snprintf(line, sizeof(line), "%d\n", s->pid);
	if (write(wfd, line, (size_t)len) != len)
		_exit(1);
	for (;;)
		bpci_coordinator_step(e->c, -1);
}

START_TEST(test_runtime_dir_on_shm_and_readopted)
{
	char *saved = getenv("XDG_RUNTIME_DIR") ? strdup(getenv("XDG_RUNTIME_DIR")) : NULL;
	char want[PATH_MAX], target[PATH_MAX], path[PATH_MAX + 64], buf[32] = "", *logs;
	int fds[2], pid = 0, status;
	struct stat st;
	pid_t child;
	ct_env e;
	ssize_t n;

	unsetenv("XDG_RUNTIME_DIR");
	memset(&e, 0, sizeof(e));
	e.dir = bpci_test_mkdtemp();
	ck_assert_int_eq(bpci_diag_new(&e.diag), 0);
	ck_assert_int_eq(pipe(fds), 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		close(fds[0]);
		crash_child(&e, fds[1]);
	}
	close(fds[1]);
	n = read(fds[0], buf, sizeof(buf) - 1);
	close(fds[0]);
	ck_assert_int_gt(n, 0);
	pid = atoi(buf);
	ck_assert_int_gt(pid, 0);

	/* created 0700, ours, on /dev/shm, named by DIR/run */
	shm_path(want, sizeof(want), e.dir);
	run_target(target, sizeof(target), e.dir);
	ck_assert_str_eq(target, want);
	assert_private_dir(target);
	snprintf(path, sizeof(path), "%s/logbook-1.output", target);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISFIFO(st.st_mode));
	snprintf(path, sizeof(path), "%s/logbook-1.json", target);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/nodes/logbook-1.output", e.dir);
	ck_assert_int_ne(stat(path, &st), 0); /* nothing per node on the disk */

	/* kill -9 of the coordinator; the next one re-opens the FIFO in the
	 * runtime directory and keeps capturing the node's output */
	ck_assert_int_eq(kill(child, SIGKILL), 0);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert(ct_alive(pid));
	setenv("XDG_RUNTIME_DIR", "/nonexistent-xdg", 1); /* the link wins */
	ck_assert_msg(ct_open(&e, &e.c) == 0, "%s", bpci_diag_last_text(e.diag));
	unsetenv("XDG_RUNTIME_DIR");
	ck_assert_int_eq(pid_of(&e, "logbook-1"), pid);
	logs = wait_line(&e, "logbook-1", 60);
	ck_assert_ptr_nonnull(strstr(logs, "line 59\n"));
	bpci_free(logs);
	ck_assert_int_eq(pid_of(&e, "logbook-1"), pid);

	/* no node left: the directory and the link go */
	ck_assert_int_eq(bpci_coordinator_shutdown(e.c, NULL), 0);
	bpci_coordinator_free(e.c);
	e.c = NULL;
	ck_assert_int_ne(lstat(target, &st), 0);
	snprintf(path, sizeof(path), "%s/run", e.dir);
	ck_assert_int_ne(lstat(path, &st), 0);
	ct_teardown(&e);
	if (saved)
		setenv("XDG_RUNTIME_DIR", saved, 1);
	free(saved);
}
END_TEST

START_TEST(test_runtime_dir_in_xdg_runtime_dir)
{
	char *saved = getenv("XDG_RUNTIME_DIR") ? strdup(getenv("XDG_RUNTIME_DIR")) : NULL;
	char *xdg = bpci_test_mkdtemp(), target[PATH_MAX], want[PATH_MAX];
	bpci_node_spec *spec = ct_spec("ready 30", "notify");
	ct_env e;
	char *id;

	ck_assert_int_eq(chmod(xdg, 0700), 0);
	setenv("XDG_RUNTIME_DIR", xdg, 1);
	ct_setup(&e);
	id = ct_start_wait(&e, spec, BPCI_NODE_STATE_RUNNING);
	run_target(target, sizeof(target), e.dir);
	snprintf(want, sizeof(want), "%s/bpci-", xdg);
	ck_assert_msg(strncmp(target, want, strlen(want)) == 0, "%s", target);
	ck_assert_uint_eq(strlen(target), strlen(want) + 16);
	assert_private_dir(target);
	bpci_free(id);
	bpci_node_spec_free(spec);
	ct_teardown(&e);
	if (saved)
		setenv("XDG_RUNTIME_DIR", saved, 1);
	else
		unsetenv("XDG_RUNTIME_DIR");
	free(saved);
	bpci_test_rmtree(xdg);
	free(xdg);
}
END_TEST

/* A name planted in /dev/shm that is not ours-and-0700 is refused: the
 * node's files stay in DIR/nodes and there is no link. */
START_TEST(test_runtime_dir_planted_name_refused)
{
	char *saved = getenv("XDG_RUNTIME_DIR") ? strdup(getenv("XDG_RUNTIME_DIR")) : NULL;
	char *dir = bpci_test_mkdtemp(), shm[PATH_MAX], path[PATH_MAX + 64];
	bpci_node_spec *spec = ct_spec("ready 30", "notify");
	struct stat st;
	ct_env e;
	char *id;

	unsetenv("XDG_RUNTIME_DIR");
	shm_path(shm, sizeof(shm), dir);
	ck_assert_int_eq(mkdir(shm, 0755), 0);
	ck_assert_int_eq(chmod(shm, 0755), 0);
	memset(&e, 0, sizeof(e));
	e.dir = dir;
	ck_assert_int_eq(bpci_diag_new(&e.diag), 0);
	ck_assert_msg(ct_open(&e, &e.c) == 0, "%s", bpci_diag_last_text(e.diag));
	id = ct_start_wait(&e, spec, BPCI_NODE_STATE_RUNNING);
	snprintf(path, sizeof(path), "%s/run", e.dir);
	ck_assert_int_ne(lstat(path, &st), 0);
	snprintf(path, sizeof(path), "%s/nodes/%s.output", e.dir, id);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISFIFO(st.st_mode));
	snprintf(path, sizeof(path), "%s/%s.output", shm, id);
	ck_assert_int_ne(stat(path, &st), 0);
	bpci_free(id);
	bpci_node_spec_free(spec);
	ct_teardown(&e);
	ck_assert_int_eq(rmdir(shm), 0);
	if (saved)
		setenv("XDG_RUNTIME_DIR", saved, 1);
	free(saved);
}
END_TEST

/* A runtime directory whose state directory is gone is removed when a
 * coordinator makes a fresh one; one whose state directory exists stays. */
START_TEST(test_stale_runtime_dirs_collected)
{
	char *saved = getenv("XDG_RUNTIME_DIR") ? strdup(getenv("XDG_RUNTIME_DIR")) : NULL;
	char stale[128], live[128], path[PATH_MAX + 16], *keep = bpci_test_mkdtemp();
	struct stat st;
	ct_env e;
	FILE *f;

	unsetenv("XDG_RUNTIME_DIR");
	snprintf(stale, sizeof(stale), "/dev/shm/bpci-%lu-00000000deadbeef", (unsigned long)geteuid());
	snprintf(live, sizeof(live), "/dev/shm/bpci-%lu-00000000feedbeef", (unsigned long)geteuid());
	ck_assert_int_eq(mkdir(stale, 0700), 0);
	ck_assert_int_eq(mkdir(live, 0700), 0);
	snprintf(path, sizeof(path), "%s/.state", stale);
	ck_assert_int_eq(symlink("/nonexistent/bpci-state-gone", path), 0);
	snprintf(path, sizeof(path), "%s/logbook-1.json", stale);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fclose(f);
	snprintf(path, sizeof(path), "%s/.state", live);
	ck_assert_int_eq(symlink(keep, path), 0);

	ct_setup(&e);
	ck_assert_int_ne(lstat(stale, &st), 0);
	ck_assert_int_eq(lstat(live, &st), 0);
	/* ours names its state directory */
	{
		char target[PATH_MAX], back[PATH_MAX], real[PATH_MAX];
		ssize_t n;

		run_target(target, sizeof(target), e.dir);
		snprintf(path, sizeof(path), "%s/.state", target);
		n = readlink(path, back, sizeof(back) - 1);
		ck_assert_int_gt(n, 0);
		back[n] = '\0';
		ck_assert_ptr_nonnull(realpath(e.dir, real));
		ck_assert_str_eq(back, real);
	}
	ct_teardown(&e);
	snprintf(path, sizeof(path), "%s/.state", live);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(live), 0);
	bpci_test_rmtree(keep);
	free(keep);
	if (saved)
		setenv("XDG_RUNTIME_DIR", saved, 1);
	free(saved);
}
END_TEST

void ct_add_rundir(Suite *s)
{
	TCase *tc = tcase_create("rundir");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_runtime_dir_on_shm_and_readopted);
	tcase_add_test(tc, test_runtime_dir_in_xdg_runtime_dir);
	tcase_add_test(tc, test_runtime_dir_planted_name_refused);
	tcase_add_test(tc, test_stale_runtime_dirs_collected);
	suite_add_tcase(s, tc);
}
