/* Restart policy, backoff, intensity and heartbeats. */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator_test.h"

START_TEST(test_crash_loop_fails)
{
	ct_env e;
	bpci_node_spec *spec = ct_spec("exit 1 0", "notify");
	bpci_node_status *s;
	char *id = NULL;
	long t0, took;

	ct_setup(&e);
	ct_set(spec, "restart.max_restarts", "3");
	ct_set(spec, "restart.period", "60s");
	ct_set(spec, "restart.backoff_initial", "40ms");
	ct_set(spec, "restart.backoff_max", "1s");
	t0 = ct_now_ms();
	ck_assert_int_eq(bpci_coordinator_start_node(&id, e.c, spec, NULL, e.diag), 0);
	ct_wait(&e, id, BPCI_NODE_STATE_FAILED, 10000);
	took = ct_now_ms() - t0;
	/* backoff 40, 80, 160 ms less at most 10 % jitter each */
	ck_assert_int_ge(took, 250);
	ck_assert_int_lt(took, 5000);
	s = ct_status(&e, id);
	ck_assert_str_eq(s->failure_reason, "restart intensity exceeded: 3 restarts in 60s");
	ck_assert_uint_eq(s->restarts, 3);
	ck_assert_int_eq(s->last_exit_code, 1);
	ck_assert_int_eq(s->pid, 0);
	bpci_node_status_free(s);
	ck_assert_uint_eq(ct_count(&e.ev, id, BPCI_NODE_STATE_PENDING), 3);
	ck_assert_uint_eq(ct_count(&e.ev, id, BPCI_NODE_STATE_STARTING), 4);
	/* no retry storm afterwards */
	ct_run_for(e.c, 300);
	s = ct_status(&e, id);
	ck_assert_int_eq(s->state, BPCI_NODE_STATE_FAILED);
	ck_assert_uint_eq(s->restarts, 3);
	bpci_node_status_free(s);
	ck_assert_uint_eq(ct_count(&e.ev, id, BPCI_NODE_STATE_STARTING), 4);
	/* restart_node gives it a fresh budget */
	ck_assert_int_eq(bpci_coordinator_restart_node(e.c, id, e.diag), 0);
	ct_wait(&e, id, BPCI_NODE_STATE_FAILED, 10000);
	ck_assert_uint_eq(ct_count(&e.ev, id, BPCI_NODE_STATE_STARTING), 8);
	bpci_free(id);
	bpci_node_spec_free(spec);
	ct_teardown(&e);
}
END_TEST

START_TEST(test_missed_watchdog_restarts)
{
	ct_env e;
	/* three watchdogs, then silence */
	bpci_node_spec *spec = ct_spec("ready 40 3", "notify");
	bpci_node_status *s;
	char *id;
	int pid;
	size_t i;
	int seen = 0;

	ct_setup(&e);
	ct_set(spec, "health.retries", "2");
	id = ct_start_wait(&e, spec, BPCI_NODE_STATE_RUNNING);
	s = ct_status(&e, id);
	pid = s->pid;
	bpci_node_status_free(s);
	ct_wait(&e, id, BPCI_NODE_STATE_UNHEALTHY, 5000);
	ct_wait(&e, id, BPCI_NODE_STATE_RUNNING, 5000);
	s = ct_status(&e, id);
	ck_assert_int_ne(s->pid, pid);
	ck_assert(!ct_alive(pid));
	ck_assert_uint_eq(s->restarts, 1);
	bpci_node_status_free(s);
	for (i = 0; i < e.ev.count; i++)
		if (e.ev.to[i] == BPCI_NODE_STATE_UNHEALTHY) {
			ck_assert_str_eq(e.ev.reasons[i], "missed its heartbeat 2 times in a row");
			seen = 1;
		}
	ck_assert(seen);
	bpci_free(id);
	bpci_node_spec_free(spec);
	ct_teardown(&e);
}
END_TEST

START_TEST(test_transient_and_temporary)
{
	ct_env e;
	bpci_node_spec *clean = ct_spec("exit 0 50", "none");
	bpci_node_spec *bad = ct_spec("exit 2 50", "none");
	bpci_node_status *s;
	char *a = NULL, *b = NULL, *c = NULL, *d = NULL;

	ct_setup(&e);
	ct_set(clean, "restart.policy", "transient");
	ct_set(bad, "restart.policy", "transient");
	ct_set(bad, "restart.max_restarts", "1");
	ck_assert_int_eq(bpci_coordinator_start_node(&a, e.c, clean, NULL, e.diag), 0);
	ck_assert_int_eq(bpci_coordinator_start_node(&b, e.c, bad, NULL, e.diag), 0);
	ct_set(clean, "restart.policy", "temporary");
	ct_set(bad, "restart.policy", "temporary");
	ck_assert_int_eq(bpci_coordinator_start_node(&c, e.c, clean, NULL, e.diag), 0);
	ck_assert_int_eq(bpci_coordinator_start_node(&d, e.c, bad, NULL, e.diag), 0);
	ck_assert_str_eq(d, "logbook-4");
	/* transient, clean exit: stopped, never restarted */
	ct_wait(&e, a, BPCI_NODE_STATE_STOPPED, 5000);
	/* transient, failing: restarted once, then out of budget */
	ct_wait(&e, b, BPCI_NODE_STATE_FAILED, 5000);
	/* temporary: never restarted either way */
	ct_wait(&e, c, BPCI_NODE_STATE_STOPPED, 5000);
	ct_wait(&e, d, BPCI_NODE_STATE_FAILED, 5000);
	ct_run_for(e.c, 200);
	s = ct_status(&e, a);
	ck_assert_int_eq(s->state, BPCI_NODE_STATE_STOPPED);
	ck_assert_uint_eq(s->restarts, 0);
	ck_assert_int_eq(s->last_exit_code, 0);
	bpci_node_status_free(s);
	s = ct_status(&e, b);
	ck_assert_uint_eq(s->restarts, 1);
	ck_assert_str_eq(s->failure_reason, "restart intensity exceeded: 1 restarts in 60s");
	bpci_node_status_free(s);
	s = ct_status(&e, c);
	ck_assert_int_eq(s->state, BPCI_NODE_STATE_STOPPED);
	ck_assert_uint_eq(s->restarts, 0);
	bpci_node_status_free(s);
	s = ct_status(&e, d);
	ck_assert_int_eq(s->state, BPCI_NODE_STATE_FAILED);
	ck_assert_uint_eq(s->restarts, 0);
	ck_assert_str_eq(s->failure_reason, "exited with status 2");
	bpci_node_status_free(s);
	/* health none: running as soon as spawned */
	ck_assert_uint_eq(ct_count(&e.ev, a, BPCI_NODE_STATE_RUNNING), 1);
	bpci_free(a);
	bpci_free(b);
	bpci_free(c);
	bpci_free(d);
	bpci_node_spec_free(clean);
	bpci_node_spec_free(bad);
	ct_teardown(&e);
}
END_TEST

START_TEST(test_request_stop_and_step)
{
	ct_env e;

	ct_setup(&e);
	ck_assert_int_eq(bpci_coordinator_step(e.c, 0), 0);
	bpci_coordinator_request_stop(e.c);
	ck_assert_int_eq(bpci_coordinator_run(e.c), 0);
	bpci_coordinator_request_stop(e.c);
	ck_assert_int_eq(bpci_coordinator_step(e.c, 1000), 1);
	ck_assert_int_eq(bpci_coordinator_step(e.c, 10), 0);
	ck_assert_str_eq(bpci_coordinator_state_dir(e.c), e.dir);
	ct_teardown(&e);
}
END_TEST

/* Poll the coordinator's descriptor and step until node @id is running
 * with a pid other than @not_pid; returns the pid. Counts the steps. */
static int embed_until_running(ct_env *e, int fd, const char *id, int not_pid, int *steps)
{
	long end = ct_now_ms() + 8000;

	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		bpci_node_status *s;
		int pid = 0, running;

		ck_assert_msg(ct_now_ms() < end, "node %s not running through the fd", id);
		ck_assert_int_ge(poll(&p, 1, 1000), 0);
		if (p.revents & POLLIN) {
			ck_assert_int_eq(bpci_coordinator_step(e->c, 0), 0);
			(*steps)++;
		}
		s = ct_status(e, id);
		running = s->state == BPCI_NODE_STATE_RUNNING;
		pid = s->pid;
		bpci_node_status_free(s);
		if (running && pid != not_pid)
			return pid;
	}
}

START_TEST(test_embed_with_fd)
{
	ct_env e;
	bpci_node_spec *spec = ct_spec("ready 30", "notify");
	char *id = NULL;
	int fd, pid, pid2, steps = 0;
	long end;

	ct_setup(&e);
	fd = bpci_coordinator_fd(e.c);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bpci_coordinator_fd(e.c), fd);
	ck_assert_int_eq(bpci_coordinator_start_node(&id, e.c, spec, NULL, e.diag), 0);
	pid = embed_until_running(&e, fd, id, 0, &steps);
	/* the restart waits on a backoff timer: the descriptor must wake for it */
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	pid2 = embed_until_running(&e, fd, id, pid, &steps);
	ck_assert_int_ne(pid2, pid);
	/* idle but supervised: watchdogs every 30 ms and a 100 ms heartbeat
	 * timer wake it, a busy descriptor would wake it thousands of times */
	steps = 0;
	end = ct_now_ms() + 500;
	while (ct_now_ms() < end) {
		struct pollfd p = {fd, POLLIN, 0};

		if (poll(&p, 1, 50) > 0) {
			ck_assert_int_eq(bpci_coordinator_step(e.c, 0), 0);
			steps++;
		}
	}
	ck_assert_int_ge(steps, 5);
	ck_assert_int_le(steps, 150);
	bpci_free(id);
	bpci_node_spec_free(spec);
	ct_teardown(&e);
}
END_TEST

void ct_add_policy(Suite *s)
{
	TCase *tc = tcase_create("policy");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_crash_loop_fails);
	tcase_add_test(tc, test_missed_watchdog_restarts);
	tcase_add_test(tc, test_transient_and_temporary);
	tcase_add_test(tc, test_request_stop_and_step);
	tcase_add_test(tc, test_embed_with_fd);
	suite_add_tcase(s, tc);
}
