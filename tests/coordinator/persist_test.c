/* Crash safety, the state directory, and reload. */
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "coordinator_test.h"

static int pid_of(ct_env *e, const char *id)
{
	bpci_node_status *s = ct_status(e, id);
	int pid = s->pid;

	bpci_node_status_free(s);
	return pid;
}

/* The child runs a coordinator with two nodes, reports their pids and
 * waits to be killed. */
static void crash_child(ct_env *e, const char *marker, int wfd)
{
	bpci_coordinator *c;
	bpci_node_spec *spec;
	char args[128], *a = NULL, *b = NULL, line[64];
	bpci_node_state st;
	bpci_node_status *sa, *sb;
	int len;

	snprintf(args, sizeof(args), "ready 30 -1 %s", marker);
	spec = ct_spec(args, "notify");
	if (ct_open(e, &c) < 0 || bpci_coordinator_start_node(&a, c, spec, NULL, NULL) < 0 ||
	    bpci_coordinator_start_node(&b, c, spec, NULL, NULL) < 0 ||
	    bpci_coordinator_wait_node(&st, c, a, BPCI_NODE_STATE_BIT(BPCI_NODE_STATE_RUNNING),
				       5000, NULL) != 0 ||
	    bpci_coordinator_wait_node(&st, c, b, BPCI_NODE_STATE_BIT(BPCI_NODE_STATE_RUNNING),
				       5000, NULL) != 0 ||
	    bpci_coordinator_get_node(&sa, c, a, NULL) < 0 ||
	    bpci_coordinator_get_node(&sb, c, b, NULL) < 0)
		_exit(1);
	len = snprintf(line, sizeof(line), "%d %d\n", sa->pid, sb->pid);
	if (write(wfd, line, (size_t)len) != len)
		_exit(1);
	for (;;)
		bpci_coordinator_step(c, -1);
}

START_TEST(test_coordinator_kill9_adopts)
{
	ct_env e;
	char marker[64], buf[64] = "";
	int fds[2], pa = 0, pb = 0, status;
	pid_t child;
	bpci_node_status_list *l;
	ssize_t n;

	memset(&e, 0, sizeof(e));
	e.dir = bpci_test_mkdtemp();
	ck_assert_int_eq(bpci_diag_new(&e.diag), 0);
	snprintf(marker, sizeof(marker), "adopt-marker-%d", (int)getpid());
	ck_assert_int_eq(pipe(fds), 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		close(fds[0]);
		crash_child(&e, marker, fds[1]);
	}
	close(fds[1]);
	n = read(fds[0], buf, sizeof(buf) - 1);
	close(fds[0]);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(sscanf(buf, "%d %d", &pa, &pb), 2);
	ck_assert_int_eq(kill(child, SIGKILL), 0);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert(ct_alive(pa) && ct_alive(pb));
	ck_assert_int_eq(ct_count_marked(marker), 2);

	/* a new coordinator on the same directory adopts both */
	ck_assert_msg(ct_open(&e, &e.c) == 0, "%s", bpci_diag_last_text(e.diag));
	ck_assert_int_eq(bpci_coordinator_list_nodes(&l, e.c, 0, NULL), 0);
	ck_assert_uint_eq(bpci_node_status_list_count(l), 2);
	ck_assert_int_eq(bpci_node_status_list_get(l, 0)->pid, pa);
	ck_assert_int_eq(bpci_node_status_list_get(l, 1)->pid, pb);
	ck_assert_str_eq(bpci_node_status_list_get(l, 0)->id, "logbook-1");
	ck_assert_int_eq(bpci_node_status_list_get(l, 0)->state, BPCI_NODE_STATE_RUNNING);
	bpci_node_status_list_free(l);
	/* watchdogs reach the new coordinator: still running, no restart */
	ct_run_for(e.c, 500);
	ck_assert_int_eq(pid_of(&e, "logbook-1"), pa);
	ck_assert_int_eq(pid_of(&e, "logbook-2"), pb);
	ck_assert_int_eq(ct_count_marked(marker), 2);
	ck_assert_uint_eq(ct_count(&e.ev, "logbook-1", BPCI_NODE_STATE_STARTING), 0);
	/* an adopted node is stopped like any other */
	ck_assert_int_eq(bpci_coordinator_stop_node(e.c, "logbook-1", e.diag), 0);
	ck_assert(!ct_alive(pa));
	ct_teardown(&e);
	ck_assert_int_eq(ct_count_marked(marker), 0);
}
END_TEST

START_TEST(test_free_keeps_nodes_and_restarts_dead)
{
	ct_env e;
	bpci_node_spec *spec = ct_spec("ready 30", "notify");
	char *id;
	int pid, status;

	ct_setup(&e);
	id = ct_start_wait(&e, spec, BPCI_NODE_STATE_RUNNING);
	pid = pid_of(&e, id);
	bpci_coordinator_free(e.c);
	e.c = NULL;
	ck_assert(ct_alive(pid));
	ck_assert_int_eq(ct_open(&e, &e.c), 0);
	ck_assert_int_eq(pid_of(&e, id), pid);
	/* an adopted process that is still our child is reaped with its
	 * real status when it dies */
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ct_wait(&e, id, BPCI_NODE_STATE_PENDING, 5000);
	{
		bpci_node_status *s = ct_status(&e, id);

		ck_assert_int_eq(s->last_exit_signal, SIGKILL);
		bpci_node_status_free(s);
	}
	ck_assert_int_eq(waitpid(pid, &status, WNOHANG), -1); /* no zombie left */
	ct_wait(&e, id, BPCI_NODE_STATE_RUNNING, 5000);
	pid = pid_of(&e, id);
	/* the node dies while no coordinator watches: restarted on takeover */
	bpci_coordinator_free(e.c);
	e.c = NULL;
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid); /* it is our child here */
	ck_assert_int_eq(ct_open(&e, &e.c), 0);
	ct_wait(&e, id, BPCI_NODE_STATE_RUNNING, 5000);
	ck_assert_int_ne(pid_of(&e, id), pid);
	bpci_free(id);
	bpci_node_spec_free(spec);
	ct_teardown(&e);
}
END_TEST

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

/* The node's output keeps flowing while no coordinator runs (the FIFO has
 * the node itself as a reader: no SIGPIPE), and the next coordinator logs
 * what was written in the gap: no line is lost. */
START_TEST(test_logs_survive_coordinator_gap)
{
	ct_env e;
	bpci_node_spec *spec = ct_spec("count 20", "none");
	char *id, want[32];
	int pid, i, n;
	char *logs;

	ct_setup(&e);
	id = ct_start_wait(&e, spec, BPCI_NODE_STATE_RUNNING);
	pid = pid_of(&e, id);
	bpci_free(wait_line(&e, id, 5));
	bpci_coordinator_free(e.c);
	e.c = NULL;
	usleep(300 * 1000); /* ~15 lines written with nobody reading */
	ck_assert(ct_alive(pid));
	ck_assert_int_eq(ct_open(&e, &e.c), 0);
	logs = wait_line(&e, id, 40);
	ck_assert_int_eq(pid_of(&e, id), pid);
	/* every line from 1 to 40 is there, in order */
	for (i = 1, n = 0; i <= 40; i++) {
		char *at;

		snprintf(want, sizeof(want), "line %d\n", i);
		at = strstr(logs + n, want);
		ck_assert_msg(at != NULL, "missing \"line %d\" in:\n%s", i, logs);
		n = (int)(at - logs);
	}
	bpci_free(logs);
	bpci_free(id);
	bpci_node_spec_free(spec);
	ct_teardown(&e);
}
END_TEST

START_TEST(test_sighup_reloads_config_file)
{
	ct_env e;
	bpci_coordinator_options o = BPCI_COORDINATOR_OPTIONS_INIT;
	char exe[4096], *path, text[8192];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	bpci_node_status_list *l;
	long end;

	memset(&e, 0, sizeof(e));
	e.dir = bpci_test_mkdtemp();
	ck_assert_int_gt(len, 0);
	exe[len] = '\0';
	snprintf(text, sizeof(text),
		 "nodes:\n  - type: logbook\n    name: hup\n    logbook_type: transaction\n"
		 "    command: [\"%s\", --as-node, ready, \"30\"]\n    health.type: notify\n"
		 "    health.interval: 100ms\n    health.timeout: 50ms\n",
		 exe);
	path = bpci_test_write_file(e.dir, "nodes.yaml", text);
	o.state_dir = e.dir;
	o.config_path = path;
	o.handle_signals = 1;
	ck_assert_int_eq(bpci_coordinator_new(&e.c, &o, NULL), 0);
	ck_assert_int_eq(raise(SIGHUP), 0);
	end = ct_now_ms() + 5000;
	for (;;) {
		size_t count;

		ck_assert_int_ge(bpci_coordinator_step(e.c, 50), 0);
		ck_assert_int_eq(bpci_coordinator_list_nodes(&l, e.c, 0, NULL), 0);
		count = bpci_node_status_list_count(l);
		if (count == 1)
			ck_assert_str_eq(bpci_node_status_list_get(l, 0)->name, "hup");
		bpci_node_status_list_free(l);
		if (count == 1)
			break;
		ck_assert_msg(ct_now_ms() < end, "SIGHUP did not load %s", path);
	}
	/* SIGTERM asks run() to return */
	ck_assert_int_eq(raise(SIGTERM), 0);
	ck_assert_int_eq(bpci_coordinator_run(e.c), 0);
	free(path);
	ct_teardown(&e);
}
END_TEST

/* A coordinator killed between a spawn and the state write leaves a
 * process the file does not name: the next one adopts it when its node
 * has no process, and kills it when nobody acknowledged it. */
START_TEST(test_unrecorded_processes)
{
	ct_env e;
	bpci_node_spec *spec;
	char marker[64], args[128], *id, pidtext[32];
	int pid;

	snprintf(marker, sizeof(marker), "orphan-marker-%d", (int)getpid());
	snprintf(args, sizeof(args), "ready 30 -1 %s", marker);
	spec = ct_spec(args, "notify");
	ct_setup(&e);
	id = ct_start_wait(&e, spec, BPCI_NODE_STATE_RUNNING);
	pid = pid_of(&e, id);
	bpci_coordinator_free(e.c);
	e.c = NULL;
	/* the file lost the pid: adopt the process, start no second one */
	snprintf(pidtext, sizeof(pidtext), "\"pid\":%d,", pid);
	ct_edit_state(e.dir, pidtext, "\"pid\":0,");
	ck_assert_int_eq(ct_open(&e, &e.c), 0);
	ck_assert_int_eq(pid_of(&e, id), pid);
	ct_run_for(e.c, 400);
	ck_assert_int_eq(pid_of(&e, id), pid);
	ck_assert_int_eq(ct_count_marked(marker), 1);
	{
		bpci_node_status *s = ct_status(&e, id);

		ck_assert_int_eq(s->state, BPCI_NODE_STATE_RUNNING);
		bpci_node_status_free(s);
	}
	bpci_coordinator_free(e.c);
	e.c = NULL;
	/* the file never knew the node: its process is killed */
	ct_edit_state(e.dir, "\"nodes\":[{", "\"nodes\":[],\"x\":[{");
	ck_assert_int_eq(ct_open(&e, &e.c), 0);
	{
		long end = ct_now_ms() + 3000; /* SIGKILL lands asynchronously */

		while (ct_alive(pid) && ct_now_ms() < end)
			usleep(10 * 1000);
	}
	ck_assert(!ct_alive(pid));
	ck_assert_int_eq(ct_count_marked(marker), 0);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid); /* our child: reap it */
	bpci_free(id);
	bpci_node_spec_free(spec);
	ct_teardown(&e);
}
END_TEST

/* A coordinator killed during a stop or a shutdown: the next one finishes
 * the stop instead of restarting the node. */
START_TEST(test_interrupted_stop_is_finished)
{
	ct_env e;
	bpci_node_spec *spec = ct_spec("ready 30", "notify");
	bpci_node_status_list *l;
	char *id;
	int pid;
	long end;

	ct_setup(&e);
	id = ct_start_wait(&e, spec, BPCI_NODE_STATE_RUNNING);
	pid = pid_of(&e, id);
	bpci_coordinator_free(e.c);
	e.c = NULL;
	ct_edit_state(e.dir, "\"remove_on_exit\":false", "\"remove_on_exit\":true");
	ck_assert_int_eq(ct_open(&e, &e.c), 0);
	end = ct_now_ms() + 5000;
	for (;;) {
		size_t count;

		ck_assert_int_eq(bpci_coordinator_list_nodes(&l, e.c, 0, NULL), 0);
		count = bpci_node_status_list_count(l);
		bpci_node_status_list_free(l);
		if (count == 0)
			break;
		ck_assert_msg(ct_now_ms() < end, "the interrupted stop was not finished");
		ct_run_for(e.c, 20);
	}
	ck_assert(!ct_alive(pid));
	ck_assert_uint_eq(ct_count(&e.ev, id, BPCI_NODE_STATE_STARTING), 1); /* no restart */
	bpci_free(id);
	bpci_node_spec_free(spec);
	ct_teardown(&e);
}
END_TEST

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 4096);

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_lt(fread(buf, 1, 4095, f), 4095);
	fclose(f);
	return buf;
}

START_TEST(test_corrupt_state_refused)
{
	ct_env e;
	bpci_coordinator *c = NULL;
	const char *bad = "{\"version\":1,\"nodes\":[";
	char *path, *after;

	memset(&e, 0, sizeof(e));
	e.dir = bpci_test_mkdtemp();
	ck_assert_int_eq(bpci_diag_new(&e.diag), 0);
	path = bpci_test_write_file(e.dir, "coordinator.json", bad);
	ck_assert_int_eq(ct_open(&e, &c), BPCI_EPARSE);
	ck_assert_ptr_null(c);
	ck_assert_contains(bpci_diag_last_text(e.diag), "coordinator.json");
	ck_assert_contains(bpci_diag_last_text(e.diag), "corrupt state file");
	after = read_text(path);
	ck_assert_str_eq(after, bad);
	free(after);
	free(path);

	path = bpci_test_write_file(e.dir, "coordinator.json",
				    "{\"version\":1,\"nodes\":[{\"id\":\"x\",\"state\":\"running\"}]}");
	ck_assert_int_eq(ct_open(&e, &c), BPCI_EPARSE);
	ck_assert_contains(bpci_diag_last_text(e.diag), "nodes[0].spec");
	free(path);
	path = bpci_test_write_file(e.dir, "coordinator.json", "{\"version\":99,\"nodes\":[]}");
	ck_assert_int_eq(ct_open(&e, &c), BPCI_EUNSUPPORTED);
	ck_assert_contains(bpci_diag_last_text(e.diag), "version 99");
	free(path);
	bpci_diag_free(e.diag);
	bpci_test_rmtree(e.dir);
	free(e.dir);
}
END_TEST

START_TEST(test_second_coordinator_busy)
{
	ct_env e;
	bpci_coordinator *c2 = NULL;
	bpci_coordinator_options o = BPCI_COORDINATOR_OPTIONS_INIT;
	char expect[64];

	ct_setup(&e);
	ck_assert_int_eq(ct_open(&e, &c2), BPCI_EBUSY);
	ck_assert_ptr_null(c2);
	snprintf(expect, sizeof(expect), "is in use by pid %d", (int)getpid());
	ck_assert_contains(bpci_diag_last_text(e.diag), expect);
	ck_assert_contains(bpci_diag_last_text(e.diag), e.dir);
	ck_assert_int_eq(bpci_coordinator_new(&c2, NULL, e.diag), BPCI_EINVAL);
	ck_assert_int_eq(bpci_coordinator_new(&c2, &o, e.diag), BPCI_EINVAL);
	ck_assert_contains(bpci_diag_last_text(e.diag), "state directory");
	o.version = 42;
	o.state_dir = e.dir;
	ck_assert_int_eq(bpci_coordinator_new(&c2, &o, e.diag), BPCI_EINVAL);
	ck_assert_contains(bpci_diag_last_text(e.diag), "42");
	ct_teardown(&e);
}
END_TEST

static bpci_config *config_of(const char *const *names, const char *const *modes, size_t n)
{
	char exe[4096], *text = calloc(1, 16384);
	bpci_config *cfg = NULL;
	bpci_diag *d;
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	size_t i;

	ck_assert_int_gt(len, 0);
	exe[len] = '\0';
	strcpy(text, "nodes:\n");
	for (i = 0; i < n; i++)
		sprintf(text + strlen(text),
			"  - type: logbook\n    name: %s\n    logbook_type: transaction\n"
			"    command: [\"%s\", --as-node, %s]\n    health.type: notify\n"
			"    health.interval: 100ms\n    health.timeout: 50ms\n",
			names[i], exe, modes[i]);
	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_msg(bpci_config_load_string(&cfg, text, strlen(text), "reload.yaml", 0, d) ==
			      0,
		      "%s", bpci_diag_last_text(d));
	bpci_diag_free(d);
	free(text);
	return cfg;
}

static const char *id_named(bpci_coordinator *c, const char *name, char *out, size_t len)
{
	bpci_node_status_list *l;
	size_t i;

	*out = '\0';
	ck_assert_int_eq(bpci_coordinator_list_nodes(&l, c, 0, NULL), 0);
	for (i = 0; i < bpci_node_status_list_count(l); i++)
		if (strcmp(bpci_node_status_list_get(l, i)->name, name) == 0)
			snprintf(out, len, "%s", bpci_node_status_list_get(l, i)->id);
	bpci_node_status_list_free(l);
	return out;
}

/* What the journal last recorded about @id (a new reference), or NULL. */
static json_t *saved_entry(const ct_env *e, const char *id)
{
	return ct_journal_last(e->dir, id, NULL, NULL);
}

/* Each flush journals only the nodes whose fields changed: a restart
 * (new pid, counter, state) must still reach the journal. */
START_TEST(test_state_file_follows_restarts)
{
	ct_env e;
	bpci_node_spec *spec = ct_spec("ready 30", "notify");
	char *id, *other;
	json_t *o;
	int p1, p2 = 0, pother, i, running = 0;

	ct_set(spec, "restart.backoff_initial", "10ms");
	ct_setup(&e);
	id = ct_start_wait(&e, spec, BPCI_NODE_STATE_RUNNING);
	other = ct_start_wait(&e, spec, BPCI_NODE_STATE_RUNNING);
	ct_run_for(e.c, 50); /* the end-of-iteration write */
	p1 = pid_of(&e, id);
	pother = pid_of(&e, other);
	o = saved_entry(&e, id);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(json_string_value(json_object_get(o, "state")), "running");
	ck_assert_int_eq(json_integer_value(json_object_get(o, "pid")), p1);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "restarts")), 0);
	json_decref(o);
	o = ct_journal_last(e.dir, id, "node.started", NULL);
	ck_assert_ptr_nonnull(o);
	ck_assert_uint_gt(json_object_size(json_object_get(o, "spec")), 0);
	json_decref(o);

	ck_assert_int_eq(kill(p1, SIGKILL), 0);
	for (i = 0; i < 250; i++) {
		bpci_node_status *s;

		ct_run_for(e.c, 20);
		s = ct_status(&e, id);
		p2 = s->pid;
		running = s->state == BPCI_NODE_STATE_RUNNING;
		bpci_node_status_free(s);
		if (running && p2 != p1)
			break;
	}
	ct_run_for(e.c, 50);
	ck_assert_int_ne(p2, p1);
	o = saved_entry(&e, id);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(json_string_value(json_object_get(o, "state")), "running");
	ck_assert_int_eq(json_integer_value(json_object_get(o, "pid")), p2);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "restarts")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "last_exit_signal")), SIGKILL);
	json_decref(o);
	/* the untouched node's entry is unchanged */
	o = saved_entry(&e, other);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "pid")), pother);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "restarts")), 0);
	json_decref(o);
	bpci_free(id);
	bpci_free(other);
	bpci_node_spec_free(spec);
	ct_teardown(&e);
}
END_TEST

START_TEST(test_reload_applies_diff)
{
	ct_env e;
	const char *n1[] = {"alpha", "beta"}, *m1[] = {"ready, \"30\"", "ready, \"30\""};
	const char *n2[] = {"alpha", "beta", "gamma"},
		   *m2[] = {"ready, \"30\"", "ready, \"20\"", "ready, \"30\""};
	const char *n3[] = {"gamma"}, *m3[] = {"ready, \"30\""};
	bpci_node_spec *own = ct_spec("ready 30", "notify");
	bpci_config *cfg;
	char *own_id, a[32], b[32], g[32];
	int pa, pb, pg, pown;
	bpci_node_status_list *l;

	ct_setup(&e);
	own_id = ct_start_wait(&e, own, BPCI_NODE_STATE_RUNNING);
	pown = pid_of(&e, own_id);
	cfg = config_of(n1, m1, 2);
	ck_assert_msg(bpci_coordinator_reload(e.c, cfg, e.diag) == 0, "%s",
		      bpci_diag_last_text(e.diag));
	bpci_config_free(cfg);
	ct_wait(&e, id_named(e.c, "alpha", a, sizeof(a)), BPCI_NODE_STATE_RUNNING, 5000);
	ct_wait(&e, id_named(e.c, "beta", b, sizeof(b)), BPCI_NODE_STATE_RUNNING, 5000);
	pa = pid_of(&e, a);
	pb = pid_of(&e, b);

	/* alpha unchanged, beta changed, gamma new */
	cfg = config_of(n2, m2, 3);
	ck_assert_int_eq(bpci_coordinator_reload(e.c, cfg, e.diag), 0);
	bpci_config_free(cfg);
	ct_wait(&e, id_named(e.c, "beta", b, sizeof(b)), BPCI_NODE_STATE_RUNNING, 5000);
	ct_wait(&e, id_named(e.c, "gamma", g, sizeof(g)), BPCI_NODE_STATE_RUNNING, 5000);
	ck_assert_int_eq(pid_of(&e, a), pa);
	ck_assert_int_ne(pid_of(&e, b), pb);
	ck_assert(!ct_alive(pb));
	pg = pid_of(&e, g);

	/* only gamma left: alpha and beta stop; the API's node stays */
	cfg = config_of(n3, m3, 1);
	ck_assert_int_eq(bpci_coordinator_reload(e.c, cfg, e.diag), 0);
	bpci_config_free(cfg);
	ck_assert_int_eq(bpci_coordinator_list_nodes(&l, e.c, 0, NULL), 0);
	ck_assert_uint_eq(bpci_node_status_list_count(l), 2);
	ck_assert_str_eq(bpci_node_status_list_get(l, 0)->id, own_id);
	ck_assert_str_eq(bpci_node_status_list_get(l, 1)->name, "gamma");
	bpci_node_status_list_free(l);
	ck_assert(!ct_alive(pa));
	ck_assert_int_eq(pid_of(&e, g), pg);
	ck_assert_int_eq(pid_of(&e, own_id), pown);
	bpci_free(own_id);
	bpci_node_spec_free(own);
	ct_teardown(&e);
}
END_TEST

void ct_add_persist(Suite *s)
{
	TCase *tc = tcase_create("persist");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_coordinator_kill9_adopts);
	tcase_add_test(tc, test_free_keeps_nodes_and_restarts_dead);
	tcase_add_test(tc, test_logs_survive_coordinator_gap);
	tcase_add_test(tc, test_sighup_reloads_config_file);
	tcase_add_test(tc, test_unrecorded_processes);
	tcase_add_test(tc, test_interrupted_stop_is_finished);
	tcase_add_test(tc, test_corrupt_state_refused);
	tcase_add_test(tc, test_second_coordinator_busy);
	tcase_add_test(tc, test_reload_applies_diff);
	tcase_add_test(tc, test_state_file_follows_restarts);
	suite_add_tcase(s, tc);
}
