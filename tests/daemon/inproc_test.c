/*
 * The daemon engine inside the test process (so that the sanitizer build
 * checks it): an in-process root supervising a real bpi-core child, and
 * an in-process remote daemon joining a real bpi-core root, heartbeating
 * from its helper thread, and joining again after the root restarted.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpci.h"
#include "daemon_test.h"

static char events[4096];

static void on_child(const char *child_id, int remote, const char *old_state,
		     const char *new_state, const char *reason, void *payload)
{
	(void)reason;
	(void)payload;
	snprintf(events + strlen(events), sizeof(events) - strlen(events), "%s%s:%s>%s;",
		 remote ? "remote " : "", child_id, old_state, new_state);
}

typedef struct inproc {
	bpci_coordinator *c;
	bpci_server *srv;
	bpci_diag *diag;
} inproc;

static void in_open(inproc *p, const char *dir, const char *id, const char *parent,
		    const char *join_token)
{
	bpci_coordinator_options co = BPCI_COORDINATOR_OPTIONS_INIT;
	bpci_server_options so = BPCI_SERVER_OPTIONS_INIT;
	bpci_daemon_options o = BPCI_DAEMON_OPTIONS_INIT;
	bpci_daemon_spec *spec = NULL;
	char prog[512];

	memset(p, 0, sizeof(*p));
	ck_assert_int_eq(bpci_diag_new(&p->diag), 0);
	snprintf(prog, sizeof(prog), "%s/bin/bpi-core", bpci_test_build_dir());
	co.state_dir = dir;
	co.daemon_program = prog;
	ck_assert_int_eq(bpci_coordinator_new(&p->c, &co, p->diag), 0);
	so.listen = "127.0.0.1:0";
	ck_assert_int_eq(bpci_coordinator_serve(&p->srv, p->c, &so, p->diag), 0);
	ck_assert_int_eq(bpci_daemon_spec_new(&spec), 0);
	ck_assert_int_eq(bpci_daemon_spec_set(spec, "labels", "region=eu", NULL), 0);
	ck_assert_int_eq(bpci_daemon_spec_set(spec, "capacity", "cpu=4", NULL), 0);
	o.daemon_id = id;
	o.url = bpci_server_url(p->srv);
	o.token = bpci_server_token(p->srv);
	o.parent_url = parent;
	o.join_token = join_token;
	o.remote = parent != NULL;
	o.spec = spec;
	o.heartbeat_interval_ms = 200;
	o.failover_timeout_ms = 1000;
	o.on_child = on_child;
	events[0] = '\0';
	ck_assert_msg(bpci_coordinator_daemon_start(p->c, &o, p->diag) == 0, "%s",
		      bpci_diag_last_text(p->diag));
	bpci_daemon_spec_free(spec);
	/* a second start is refused */
	ck_assert_int_eq(bpci_coordinator_daemon_start(p->c, &o, NULL), BPCI_EEXISTS);
}

static void in_close(inproc *p)
{
	ck_assert_int_eq(bpci_coordinator_stop_daemons(p->c, p->diag), 0);
	bpci_server_free(p->srv);
	ck_assert_int_eq(bpci_coordinator_shutdown(p->c, p->diag), 0);
	bpci_coordinator_free(p->c);
	bpci_diag_free(p->diag);
}

/* Run the loop until @needle is in the daemon list (@list) or the tree. */
static char *spin_until(inproc *p, int list, const char *needle, int present, double secs)
{
	double t0 = dt_now();
	char *text = NULL;

	for (;;) {
		ck_assert_int_ge(bpci_server_step(p->srv, 50), 0);
		bpci_free(text);
		text = NULL;
		ck_assert_int_eq(list ? bpci_coordinator_daemons_json(&text, p->c)
				      : bpci_coordinator_daemon_tree_json(&text, p->c), 0);
		if ((strstr(text, needle) != NULL) == present)
			return text;
		ck_assert_msg(dt_now() - t0 < secs, "no%s \"%s\" after %.0f s in %s",
			      present ? "" : " end of", needle, secs, text);
	}
}

static long pid_of(const char *text, const char *id)
{
	json_t *j = json_loads(text, 0, NULL), *e;
	size_t i;
	long pid = 0;

	json_array_foreach(json_object_get(j, "daemons"), i, e)
		if (strcmp(json_string_value(json_object_get(e, "daemon_id")), id) == 0)
			pid = (long)json_integer_value(json_object_get(e, "pid"));
	json_decref(j);
	return pid;
}

START_TEST(inprocess_root_supervises_a_real_child)
{
	char *tmp = bpci_test_mkdtemp(), dir[1024], *text, *reply = NULL, want[128];
	bpci_daemon_spec *spec = NULL;
	inproc p;
	long pid, pid2;
	const char *why = NULL;
	const char *impostor = "{\"daemon_id\":\"kid\",\"url\":\"http://127.0.0.1:9\",\"pid\":1}";
	const char *report = "{\"daemon_id\":\"kid\",\"child_id\":\"x\",\"reason\":\"r\"}";

	snprintf(dir, sizeof(dir), "%s/inroot", tmp);
	in_open(&p, dir, "inroot", NULL, NULL);
	ck_assert_int_eq(bpci_daemon_spec_new(&spec), 0);
	ck_assert_int_eq(bpci_daemon_spec_set(spec, "id", "kid", NULL), 0);
	ck_assert_int_eq(bpci_coordinator_add_daemon(p.c, spec, BPCI_CHILD_TRANSIENT, p.diag), 0);
	ck_assert_int_eq(bpci_coordinator_add_daemon(p.c, spec, BPCI_CHILD_PERMANENT, p.diag),
			 BPCI_EEXISTS);
	ck_assert_int_eq(bpci_coordinator_add_daemon(p.c, spec, (bpci_child_restart)7, NULL),
			 BPCI_EINVAL);
	text = spin_until(&p, 1, "\"state\":\"running\"", 1, 15);
	ck_assert_ptr_nonnull(strstr(text, "\"restart\":\"transient\""));
	pid = pid_of(text, "kid");
	ck_assert_int_gt(pid, 0);
	bpci_free(text);
	bpci_free(spin_until(&p, 0, "\"heartbeats\":2", 1, 10));
	/* the parent side refuses what it must */
	ck_assert_int_eq(bpci_coordinator_daemon_join(&reply, p.c, impostor, strlen(impostor),
						      p.diag), BPCI_EEXISTS);
	ck_assert_ptr_nonnull(strstr(bpci_diag_last_text(p.diag), "is alive at"));
	ck_assert_int_eq(bpci_coordinator_daemon_heartbeat(&reply, p.c, "{}", 2, p.diag),
			 BPCI_EINVAL);
	ck_assert_int_eq(bpci_coordinator_daemon_heartbeat(&reply, p.c, "[", 1, p.diag),
			 BPCI_EPARSE);
	ck_assert_int_eq(bpci_coordinator_daemon_escalation(p.c, report, strlen(report), p.diag),
			 0);
	ck_assert_ptr_null(reply);
	ck_assert_int_eq(bpci_coordinator_daemon_metrics(&text, p.c), 0);
	ck_assert_ptr_nonnull(strstr(text, "bpci_daemon_link_heartbeats_total{daemon_id=\"kid\","
					   "direction=\"child\"} "));
	ck_assert_ptr_nonnull(strstr(text, "bpci_daemon_children{state=\"running\"} 1\n"));
	bpci_free(text);
	ck_assert_int_eq(bpci_coordinator_daemon_escalated(p.c, &why), 0);
	/* a crash (abnormal) restarts a transient child */
	ck_assert_int_eq(kill((pid_t)pid, SIGKILL), 0);
	snprintf(want, sizeof(want), "\"restarts\":1");
	text = spin_until(&p, 1, want, 1, 10);
	bpci_free(text);
	text = spin_until(&p, 1, "\"state\":\"running\"", 1, 15);
	pid2 = pid_of(text, "kid");
	ck_assert_int_ne(pid2, pid);
	ck_assert_ptr_nonnull(strstr(text, "killed by signal 9"));
	bpci_free(text);
	/* removal stops it and forgets it */
	ck_assert_int_eq(bpci_coordinator_remove_daemon(p.c, "ghost", p.diag), BPCI_ENOTFOUND);
	ck_assert_int_eq(bpci_coordinator_remove_daemon(p.c, "kid", p.diag), 0);
	bpci_free(spin_until(&p, 1, "kid", 0, 15));
	ck_assert(!dt_alive(pid2));
	ck_assert_str_eq(events, "kid:new>starting;kid:starting>running;kid:running>restarting;"
				 "kid:restarting>starting;kid:starting>running;kid:running>stopped;");
	bpci_daemon_spec_free(spec);
	in_close(&p);
	bpci_test_rmtree(tmp);
	free(tmp);
}
END_TEST

START_TEST(inprocess_remote_joins_and_rejoins_after_root_restart)
{
	char *tmp = bpci_test_mkdtemp(), dir[1024], rdir[1024], listen[64], *text;
	const char *colon;
	dt_daemon root;
	inproc p;
	json_t *s, *e;

	snprintf(rdir, sizeof(rdir), "%s/root", tmp);
	dt_start(&root, rdir, "root", "--heartbeat-interval", "200ms", NULL);
	colon = strrchr(root.url, ':');
	snprintf(listen, sizeof(listen), "127.0.0.1:%s", colon + 1);
	snprintf(dir, sizeof(dir), "%s/far", tmp);
	in_open(&p, dir, "far", root.url, root.token);
	text = spin_until(&p, 0, "\"parent_id\":\"root\"", 1, 10);
	bpci_free(text);
	/* wait for heartbeats as the root sees them */
	{
		double t0 = dt_now();

		for (;;) {
			ck_assert_int_ge(bpci_server_step(p.srv, 50), 0);
			s = dt_status(root.url, NULL);
			e = dt_find(s, "far");
			if (e && json_integer_value(json_object_get(json_object_get(e, "link"),
								      "heartbeats")) >= 2)
				break;
			json_decref(s);
			ck_assert_msg(dt_now() - t0 < 10, "root never got 2 heartbeats");
		}
		ck_assert(json_is_true(json_object_get(e, "remote")));
		ck_assert_str_eq(json_string_value(json_object_get(e, "state")), "running");
		json_decref(s);
	}
	ck_assert_int_eq(bpci_coordinator_daemon_metrics(&text, p.c), 0);
	ck_assert_ptr_nonnull(strstr(text, "bpci_daemon_link_rtt_seconds{daemon_id=\"far\","
					   "direction=\"parent\"} "));
	bpci_free(text);
	/* the root restarts on the same address and has forgotten us: 404, join again */
	ck_assert_int_eq(dt_stop(&root), 0);
	dt_free(&root);
	for (int i = 0; i < 5; i++)
		ck_assert_int_ge(bpci_server_step(p.srv, 100), 0); /* heartbeats fail meanwhile */
	dt_start(&root, rdir, "root", "--heartbeat-interval", "200ms", "--listen", listen, NULL);
	{
		double t0 = dt_now();

		for (;;) {
			ck_assert_int_ge(bpci_server_step(p.srv, 50), 0);
			s = dt_status(root.url, NULL);
			e = dt_find(s, "far");
			if (e && json_integer_value(json_object_get(json_object_get(e, "link"),
								      "heartbeats")) >= 1)
				break;
			json_decref(s);
			ck_assert_msg(dt_now() - t0 < 10, "far did not join the new root");
		}
		json_decref(s);
	}
	in_close(&p);
	ck_assert_int_eq(dt_stop(&root), 0);
	dt_free(&root);
	bpci_test_rmtree(tmp);
	free(tmp);
}
END_TEST

void dt_add_inproc_tests(Suite *s)
{
	TCase *tc = tcase_create("inproc");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, inprocess_root_supervises_a_real_child);
	tcase_add_test(tc, inprocess_remote_joins_and_rejoins_after_root_restart);
	suite_add_tcase(s, tc);
}
