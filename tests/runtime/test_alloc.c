/* Every allocation failure path of the runtime layer is clean: the call
 * fails with BPCI_ENOMEM, leaves nothing behind (no child, no fd, no file,
 * no leak under LeakSanitizer), and succeeds once allocations do. */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpci.h"
#include "common/alloc.h"
#include "runtime/backoff.h"
#include "runtime/fsutil.h"
#include "runtime/logfile.h"
#include "runtime/notify.h"
#include "runtime/proc.h"
#include "runtime_test.h"

#define MAX_STEPS 200

static void noop_msg(pid_t pid, const bpci__notify_msg *msg, void *payload)
{
	(void)pid;
	(void)msg;
	(void)payload;
}

START_TEST(spawn_survives_every_allocation_failure)
{
	const char *argv[] = {"true", NULL};
	const char *env[] = {"A=1", "B=2", "A=3", NULL};
	bpci__proc_opts o = BPCI__PROC_OPTS_INIT;
	bpci__proc *p = NULL;
	int n, rc = BPCI_ENOMEM, fds = rt_count_fds(), st;

	o.argv = argv;
	o.env = env;
	o.user = geteuid() == 0 ? "0" : NULL;
	for (n = 0; n < MAX_STEPS && rc == BPCI_ENOMEM; n++) {
		bpci__alloc_fail_after(n);
		rc = bpci__proc_spawn(&p, &o, NULL);
		bpci__alloc_fail_after(-1);
		if (rc == BPCI_ENOMEM) {
			ck_assert_ptr_null(p);
			ck_assert(rt_no_children());
			ck_assert_int_eq(rt_count_fds(), fds);
		}
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_int_gt(n, 3); /* several allocations were really exercised */
	ck_assert_int_eq(bpci__proc_wait(p, 3000, &st), 1);
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	bpci__proc_free(p);
}
END_TEST

START_TEST(logfile_survives_every_allocation_failure)
{
	char *dir = bpci_test_mkdtemp(), *out = NULL, *path;
	bpci__logfile_opts lo = {NULL, "a", 0, 0};
	struct event_base *base = event_base_new();
	bpci__logfile *lf = NULL;
	int n, rc = BPCI_ENOMEM, w1 = -1, w2 = -1, fds;

	lo.dir = dir;
	fds = rt_count_fds();
	for (n = 0; n < MAX_STEPS && rc == BPCI_ENOMEM; n++) {
		bpci__alloc_fail_after(n);
		rc = bpci__logfile_open(&lf, base, &lo, NULL);
		if (rc == 0)
			rc = bpci__logfile_pipe(lf, &w1, NULL);
		if (rc == 0)
			rc = bpci__logfile_pipe(lf, &w2, NULL);
		bpci__alloc_fail_after(-1);
		if (rc == BPCI_ENOMEM) {
			ck_assert_int_eq(w2, -1);
			if (w1 >= 0)
				close(w1);
			w1 = -1;
			bpci__logfile_free(lf);
			lf = NULL;
			ck_assert_int_eq(rt_count_fds(), fds);
		}
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(write(w2, "x\n", 2), 2);
	close(w1);
	close(w2);
	bpci__logfile_free(lf);
	ck_assert_int_eq(rt_count_fds(), fds);
	ck_assert(asprintf(&path, "%s/a.log", dir) > 0);
	bpci__alloc_fail_after(0);
	ck_assert_int_eq(bpci__logfile_tail(path, 1, &out), BPCI_ENOMEM);
	bpci__alloc_fail_after(-1);
	ck_assert_ptr_null(out);
	free(path);
	event_base_free(base);
	bpci_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(notify_and_fsutil_survive_allocation_failure)
{
	char *dir = bpci_test_mkdtemp(), *sock, *file;
	struct event_base *base = event_base_new();
	bpci__notify_server *srv = NULL;
	bpci__intensity w;
	int n, rc = BPCI_ENOMEM;

	ck_assert(asprintf(&sock, "%s/n.sock", dir) > 0);
	ck_assert(asprintf(&file, "%s/f", dir) > 0);
	for (n = 0; n < MAX_STEPS && rc == BPCI_ENOMEM; n++) {
		bpci__alloc_fail_after(n);
		rc = bpci__notify_server_new(&srv, base, sock, noop_msg, NULL, NULL);
		bpci__alloc_fail_after(-1);
	}
	ck_assert_int_eq(rc, 0);
	bpci__notify_server_free(srv);
	rc = BPCI_ENOMEM;
	for (n = 0; n < MAX_STEPS && rc == BPCI_ENOMEM; n++) {
		bpci__alloc_fail_after(n);
		rc = bpci__write_file_atomic(file, "abc", 3, 0600, NULL);
		bpci__alloc_fail_after(-1);
		if (rc == BPCI_ENOMEM)
			ck_assert_int_ne(access(file, F_OK), 0);
	}
	ck_assert_int_eq(rc, 0);
	/* the ring is allocated by the first restart, not by init */
	bpci__alloc_fail_after(0);
	ck_assert_int_eq(bpci__intensity_init(&w, 3, 1000), 0);
	ck_assert_int_eq(bpci__intensity_record(&w, 10), 0);
	ck_assert_uint_eq(bpci__intensity_count(&w, 10), 0);
	bpci__alloc_fail_after(-1);
	ck_assert_int_eq(bpci__intensity_record(&w, 20), 0);
	ck_assert_uint_eq(bpci__intensity_count(&w, 20), 1);
	bpci__intensity_release(&w);
	event_base_free(base);
	bpci_test_rmtree(dir);
	free(sock);
	free(file);
	free(dir);
}
END_TEST

TCase *bpci_test_runtime_alloc(void)
{
	TCase *tc = tcase_create("alloc");

	tcase_add_test(tc, spawn_survives_every_allocation_failure);
	tcase_add_test(tc, logfile_survives_every_allocation_failure);
	tcase_add_test(tc, notify_and_fsutil_survive_allocation_failure);
	return tc;
}
