/* The in-process cluster manager: replicas, registrations, ports, the
 * journal, restart and metrics. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cm_test.h"

static bpci_resources small(void)
{
	bpci_resources r;

	memset(&r, 0, sizeof(r));
	r.cpu_millicores = 100;
	r.memory_bytes = 64ull << 20;
	r.storage_bytes = 1ull << 20;
	r.network_mbps = 10;
	return r;
}

static int listen_on(uint16_t port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_msg(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0, "bind %u", port);
	ck_assert_int_eq(listen(fd, 4), 0);
	return fd;
}

START_TEST(replica_runs)
{
	cm_env e;
	bpci_resources r = small();
	char *id = NULL, *json = NULL;
	size_t i;
	int pid;

	cm_setup(&e);
	ck_assert_msg(bpci_cluster_manager_add_enc_replica(&id, e.cm, "enc-a", &r, e.diag) == 0,
		      "%s", bpci_diag_last_text(e.diag));
	ck_assert_str_eq(id, "replica-1");
	pid = cm_wait_running(&e, id);
	ck_assert(cm_alive(pid));
	ck_assert_int_eq(e.kinds[0], BPCI_CLUSTER_REPLICA_ADDED);
	for (i = 1; i < e.nkinds && e.kinds[i] != BPCI_CLUSTER_REPLICA_STATUS; i++)
		;
	ck_assert_msg(i < e.nkinds, "no status event");
	ck_assert_int_eq(bpci_cluster_manager_replicas_json(&json, e.cm), 0);
	ck_assert_ptr_nonnull(strstr(json, "\"state\":\"running\""));
	ck_assert_ptr_nonnull(strstr(json, "\"name\":\"enc-a\""));
	bpci_free(json);
	ck_assert_int_eq(bpci_cluster_manager_add_enc_replica(NULL, e.cm, "enc-a", &r, e.diag),
			 BPCI_EEXISTS);
	ck_assert_uint_eq(cm_count_type(e.dir, "replica.added"), 1);
	ck_assert_int_eq(bpci_cluster_manager_remove_replica(e.cm, "enc-a", e.diag), 0);
	ck_assert(!cm_alive(pid));
	ck_assert_int_eq(e.kinds[e.nkinds - 1], BPCI_CLUSTER_REPLICA_REMOVED);
	ck_assert_uint_eq(cm_count_type(e.dir, "replica.removed"), 1);
	ck_assert_int_eq(bpci_cluster_manager_remove_replica(e.cm, id, e.diag), BPCI_ENOTFOUND);
	bpci_free(id);
	cm_teardown(&e);
}
END_TEST

START_TEST(replica_over_ceiling)
{
	cm_env e;
	bpci_resources r = small();
	char *json = NULL, *id = NULL;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t before;
	const bpci_diag_entry *d;

	cm_setup(&e);
	before = cm_ledger_size(e.dir);
	/* 81 % of the host's CPUs: over the 80 % ceiling. */
	r.cpu_millicores = (uint64_t)cpus * 810;
	ck_assert_int_eq(bpci_cluster_manager_add_enc_replica(&id, e.cm, "big", &r, e.diag),
			 BPCI_ELIMIT);
	ck_assert_ptr_null(id);
	d = bpci_diag_get(e.diag, bpci_diag_count(e.diag) - 1);
	ck_assert_str_eq(d->field, "resources");
	ck_assert_ptr_nonnull(strstr(d->message, "80%"));
	ck_assert_msg(strstr(d->message, "cpu") != NULL, "%s", d->message);
	ck_assert_uint_eq(cm_ledger_size(e.dir), before);
	ck_assert_int_eq(bpci_cluster_manager_replicas_json(&json, e.cm), 0);
	ck_assert_str_eq(json, "{\"replicas\":[]}");
	bpci_free(json);
	/* 79 % fits. */
	r.cpu_millicores = (uint64_t)cpus * 790;
	ck_assert_int_eq(bpci_cluster_manager_add_enc_replica(&id, e.cm, "fits", &r, e.diag), 0);
	bpci_free(id);
	ck_assert_uint_eq(cm_ledger_size(e.dir), before + 1);
	cm_teardown(&e);
}
END_TEST

START_TEST(register_nodes)
{
	cm_env e;
	bpci_capabilities *caps = NULL;
	char *id = NULL, *json = NULL;

	cm_setup(&e);
	ck_assert_int_eq(bpci_capabilities_parse(&caps, "encryption,replication", NULL), 0);
	ck_assert_int_eq(bpci_cluster_manager_register_node(&id, e.cm, "storage-node-001",
							    BPCI_CLUSTER_NODE_STORAGE, caps,
							    e.diag), 0);
	ck_assert_str_eq(id, "node-1");
	ck_assert_int_eq(bpci_cluster_manager_register_node(NULL, e.cm, "storage-node-001",
							    BPCI_CLUSTER_NODE_STORAGE, caps,
							    e.diag), BPCI_EEXISTS);
	ck_assert_int_eq(bpci_cluster_manager_register_node(NULL, e.cm, "-bad",
							    BPCI_CLUSTER_NODE_STORAGE, caps,
							    e.diag), BPCI_EINVAL);
	ck_assert_int_eq(bpci_cluster_manager_nodes_json(&json, e.cm), 0);
	ck_assert_str_eq(json, "{\"nodes\":[{\"capabilities\":[\"encryption\",\"replication\"],"
			       "\"id\":\"node-1\",\"name\":\"storage-node-001\",\"type\":"
			       "\"storage\"}]}");
	bpci_free(json);
	ck_assert_uint_eq(cm_count_type(e.dir, "node.registered"), 1);
	ck_assert_int_eq(bpci_cluster_manager_unregister_node(e.cm, id, e.diag), 0);
	ck_assert_int_eq(bpci_cluster_manager_unregister_node(e.cm, id, e.diag), BPCI_ENOTFOUND);
	ck_assert_uint_eq(cm_count_type(e.dir, "node.unregistered"), 1);
	ck_assert_uint_eq(e.nkinds, 2);
	ck_assert_int_eq(e.kinds[0], BPCI_CLUSTER_NODE_REGISTERED);
	ck_assert_int_eq(e.kinds[1], BPCI_CLUSTER_NODE_UNREGISTERED);
	bpci_capabilities_free(caps);
	bpci_free(id);
	cm_teardown(&e);
}
END_TEST

START_TEST(ports_skip_listeners)
{
	cm_env e;
	uint16_t p = 0, got[3];
	size_t n = 0;
	char range[32];
	unsigned int base;
	int fd, i;
	const bpci_diag_entry *d;

	memset(&e, 0, sizeof(e));
	e.dir = bpci_test_mkdtemp();
	ck_assert_int_eq(bpci_diag_new(&e.diag), 0);
	base = cm_free_range(range, sizeof(range), 4);
	ck_assert_int_eq(cm_open(&e, range), 0);
	fd = listen_on((uint16_t)base);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(bpci_cluster_manager_allocate_port(&got[i], e.cm, "svc", 0,
								    e.diag), 0);
	ck_assert_uint_eq(got[0], base + 1);
	ck_assert_uint_eq(got[1], base + 2);
	ck_assert_uint_eq(got[2], base + 3);
	ck_assert_int_eq(bpci_cluster_manager_allocate_port(&p, e.cm, "svc", 0, e.diag),
			 BPCI_ELIMIT);
	d = bpci_diag_get(e.diag, bpci_diag_count(e.diag) - 1);
	ck_assert_str_eq(d->field, "port");
	ck_assert_int_eq(bpci_cluster_manager_release_port(e.cm, (uint16_t)(base + 2), e.diag), 0);
	ck_assert_int_eq(bpci_cluster_manager_release_port(e.cm, (uint16_t)(base + 2), e.diag), BPCI_ENOTFOUND);
	ck_assert_int_eq(bpci_cluster_manager_allocate_port(&p, e.cm, "again", 50, e.diag), 0);
	ck_assert_uint_eq(p, base + 2);
	usleep(120 * 1000);
	ck_assert_int_eq(bpci_cluster_manager_expire_ports(e.cm, &n, e.diag), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(cm_count_type(e.dir, "port.allocated"), 4);
	ck_assert_uint_eq(cm_count_type(e.dir, "port.released"), 2);
	close(fd);
	cm_teardown(&e);
}
END_TEST

START_TEST(restart_restores)
{
	cm_env e;
	bpci_resources r = small();
	bpci_capabilities *caps = NULL;
	char *id = NULL, *reps1 = NULL, *nodes1 = NULL, *ports1 = NULL, *s = NULL;
	uint16_t p;
	int pid;

	cm_setup(&e);
	ck_assert_int_eq(bpci_cluster_manager_add_enc_replica(&id, e.cm, "enc-r", &r, e.diag), 0);
	pid = cm_wait_running(&e, id);
	ck_assert_int_eq(bpci_capabilities_parse(&caps, "consensus", NULL), 0);
	ck_assert_int_eq(bpci_cluster_manager_register_node(NULL, e.cm, "val-1",
							    BPCI_CLUSTER_NODE_VALIDATOR, caps,
							    e.diag), 0);
	ck_assert_int_eq(bpci_cluster_manager_allocate_port(&p, e.cm, "api", 0, e.diag), 0);
	ck_assert_int_eq(bpci_cluster_manager_allocate_port(&p, e.cm, "rpc", 0, e.diag), 0);
	ck_assert_int_eq(bpci_cluster_manager_release_port(e.cm, p, e.diag), 0);
	ck_assert_int_eq(bpci_cluster_manager_audit(e.cm, "port_allocation", "checked", e.diag),
			 0);
	ck_assert_int_eq(bpci_cluster_manager_audit(e.cm, "", "x", e.diag), BPCI_EINVAL);
	ck_assert_int_eq(bpci_cluster_manager_replicas_json(&reps1, e.cm), 0);
	ck_assert_int_eq(bpci_cluster_manager_nodes_json(&nodes1, e.cm), 0);
	ck_assert_int_eq(bpci_cluster_manager_ports_json(&ports1, e.cm), 0);
	bpci_cluster_manager_free(e.cm);
	e.cm = NULL;
	ck_assert(cm_alive(pid));
	ck_assert_uint_eq(cm_count_type(e.dir, "replica.added"), 1);
	ck_assert_uint_eq(cm_count_type(e.dir, "node.registered"), 1);
	ck_assert_uint_eq(cm_count_type(e.dir, "port.allocated"), 2);
	ck_assert_uint_eq(cm_count_type(e.dir, "port.released"), 1);
	ck_assert_uint_eq(cm_count_type(e.dir, "audit.custom"), 1);
	ck_assert_uint_eq(cm_ledger_size(e.dir), 6);
	ck_assert_int_eq(cm_open(&e, NULL), 0);
	ck_assert_int_eq(bpci_cluster_manager_replicas_json(&s, e.cm), 0);
	ck_assert_str_eq(s, reps1);
	bpci_free(s);
	ck_assert_int_eq(bpci_cluster_manager_nodes_json(&s, e.cm), 0);
	ck_assert_str_eq(s, nodes1);
	bpci_free(s);
	ck_assert_int_eq(bpci_cluster_manager_ports_json(&s, e.cm), 0);
	ck_assert_str_eq(s, ports1);
	ck_assert_ptr_nonnull(strstr(s, "\"service\":\"api\""));
	bpci_free(s);
	ck_assert_int_eq(cm_wait_running(&e, id), pid);
	/* Counters continue: the next replica is replica-2. */
	bpci_free(id);
	ck_assert_int_eq(bpci_cluster_manager_add_enc_replica(&id, e.cm, "enc-s", &r, e.diag), 0);
	ck_assert_str_eq(id, "replica-2");
	bpci_free(id);
	bpci_free(reps1);
	bpci_free(nodes1);
	bpci_free(ports1);
	bpci_capabilities_free(caps);
	cm_teardown(&e);
	ck_assert(!cm_alive(pid));
}
END_TEST

START_TEST(restart_after_shutdown)
{
	cm_env e;
	bpci_resources r = small();
	char *id = NULL;
	int pid, pid2;

	cm_setup(&e);
	ck_assert_int_eq(bpci_cluster_manager_add_enc_replica(&id, e.cm, "enc-t", &r, e.diag), 0);
	pid = cm_wait_running(&e, id);
	ck_assert_int_eq(bpci_cluster_manager_shutdown(e.cm, e.diag), 0);
	ck_assert(!cm_alive(pid));
	bpci_cluster_manager_free(e.cm);
	e.cm = NULL;
	ck_assert_int_eq(cm_open(&e, NULL), 0);
	pid2 = cm_wait_running(&e, id);
	ck_assert_int_ne(pid2, pid);
	ck_assert(cm_alive(pid2));
	/* A restart is not a new replica. */
	ck_assert_uint_eq(cm_count_type(e.dir, "replica.added"), 1);
	bpci_free(id);
	cm_teardown(&e);
	ck_assert(!cm_alive(pid2));
}
END_TEST

START_TEST(metrics_measured)
{
	cm_env e;
	bpci_resources r = small();
	bpci_cluster_metrics m;
	char *id = NULL, *json = NULL;
	uint16_t p;

	cm_setup(&e);
	ck_assert_int_eq(bpci_cluster_manager_add_enc_replica(&id, e.cm, "enc-m", &r, e.diag), 0);
	cm_wait_running(&e, id);
	ck_assert_int_eq(bpci_cluster_manager_register_node(NULL, e.cm, "gw", 
							    BPCI_CLUSTER_NODE_GATEWAY, NULL,
							    e.diag), 0);
	ck_assert_int_eq(bpci_cluster_manager_allocate_port(&p, e.cm, NULL, 0, e.diag), 0);
	usleep(200 * 1000); /* the replica's busy loop burns CPU */
	ck_assert_int_eq(bpci_cluster_manager_get_metrics(&m, e.cm), 0);
	ck_assert_uint_eq(m.total_nodes, 2);
	ck_assert_uint_eq(m.active_nodes, 2);
	ck_assert_uint_eq(m.total_replicas, 1);
	ck_assert_uint_eq(m.active_replicas, 1);
	ck_assert_uint_eq(m.registered_nodes, 1);
	ck_assert_int_eq(m.cpu_measured, 1);
	ck_assert(m.cpu_usage_percent > 0.0 && m.cpu_usage_percent <= 100.0);
	ck_assert_int_eq(m.memory_measured, 1);
	ck_assert(m.memory_usage_percent > 0.0 && m.memory_usage_percent < 50.0);
	ck_assert(m.reserved_cpu_percent > 0.0 && m.reserved_cpu_percent < 100.0);
	ck_assert(m.daemon_tree_health == 1.0);
	ck_assert(m.port_utilization > 0.0909 && m.port_utilization < 0.0910);
	ck_assert_uint_eq(m.ports_allocated, 1);
	ck_assert_uint_eq(m.ports_capacity, 11);
	ck_assert_uint_eq(m.ledger_entries, 3);
	ck_assert_int_eq(bpci_cluster_metrics_to_json(&json, &m), 0);
	ck_assert_ptr_nonnull(strstr(json, "\"total_nodes\":2"));
	ck_assert_ptr_nonnull(strstr(json, "\"active_nodes\":2"));
	ck_assert_ptr_nonnull(strstr(json, "\"cpu_usage_percent\":"));
	ck_assert_ptr_nonnull(strstr(json, "\"memory_usage_percent\":"));
	ck_assert_ptr_nonnull(strstr(json, "\"daemon_tree_health\":1.0"));
	ck_assert_ptr_nonnull(strstr(json, "\"port_utilization\":"));
	ck_assert_ptr_nonnull(strstr(json, "\"audit_metrics\":{"));
	ck_assert_int_eq(e.kinds[e.nkinds - 1], BPCI_CLUSTER_METRICS_UPDATED);
	bpci_free(json);
	bpci_free(id);
	cm_teardown(&e);
}
END_TEST

START_TEST(bad_options)
{
	bpci_cluster_manager_options o = BPCI_CLUSTER_MANAGER_OPTIONS_INIT;
	bpci_cluster_manager *cm = NULL;
	bpci_diag *d;
	char *dir = bpci_test_mkdtemp();

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	o.state_dir = dir;
	o.cluster_id = "bad id";
	ck_assert_int_eq(bpci_cluster_manager_new(&cm, &o, d), BPCI_EINVAL);
	ck_assert_str_eq(bpci_diag_get(d, 0)->field, "cluster_id");
	ck_assert_ptr_nonnull(strstr(bpci_diag_get(d, 0)->message, "bad id"));
	o.cluster_id = "c1";
	ck_assert_int_eq(bpci_cluster_manager_new(&cm, &o, d), 0);
	bpci_cluster_manager_free(cm);
	o.cluster_id = "c2";
	ck_assert_int_eq(bpci_cluster_manager_new(&cm, &o, d), BPCI_EINVAL);
	ck_assert_ptr_nonnull(strstr(bpci_diag_last_text(d), "c1"));
	bpci_diag_free(d);
	bpci_test_rmtree(dir);
	free(dir);
}
END_TEST


/* Waits until none of @pids (0-terminated) runs; the first still running
 * after 30 s, else 0. */
static long wait_all_gone(const long *pids)
{
	double t0 = cm_p_mono();
	size_t i;

	for (;;) {
		for (i = 0; pids[i] && !cm_p_alive(pids[i]); i++)
			;
		if (!pids[i] || cm_p_mono() - t0 > 30.0)
			return pids[i];
		usleep(50 * 1000);
	}
}

/* Real processes: a manager with local daemons mid and leaf (under mid),
 * a replica on mid, one more placed by the scheduler, and a remote daemon.
 * kill -9 of the manager stops nothing and the next manager shows the
 * same pids; SIGTERM stops the whole local subtree, not the remote one. */
START_TEST(exit_stops_local_subtree)
{
	const char *add_leaf[] = {"daemon-tree", "add-daemon", "--daemon-id", "leaf",
				  "--parent-id", "mid", "--responsibilities", "node_lifecycle",
				  NULL};
	const char *add_rep[] = {"cluster-manager", "add-replica", "--name", "enc-two",
				 "--cpu-cores", "0.1", "--memory-gb", "0.1", "--storage-gb", "0.1",
				 NULL};
	char where[128] = "", path[4300];
	long leaf, rep1, rep2 = 0, left;
	double t0;
	bpci_test_run r;
	cm_p_env t;
	int status = -1;

	cm_p_start_mid(&t, "node_lifecycle");
	cm_p_cli(&r, t.dir, add_leaf);
	ck_assert_msg(r.status == 0, "add leaf: %s", r.err);
	bpci_test_run_free(&r);
	leaf = cm_p_wait_daemon(t.url, "leaf", "running", 0);
	rep1 = cm_p_replica_onto(t.dir, t.url, t.token, "mid");
	cm_p_cli(&r, t.dir, add_rep);
	ck_assert_msg(r.status == 0, "add-replica: %s", r.err);
	bpci_test_run_free(&r);
	t0 = cm_p_mono();
	while (cm_p_mono() - t0 < 20.0 &&
	       (rep2 = cm_p_replica_on(t.url, "replica-2", where, sizeof(where))) == 0)
		usleep(50 * 1000);
	ck_assert_int_gt(rep2, 0);
	cm_p_join_remote(&t, "far", "root");

	/* kill -9: nothing stops; the next manager re-adopts all of it. */
	ck_assert_int_eq(kill(t.mgr, SIGKILL), 0);
	ck_assert_int_eq(waitpid(t.mgr, &status, 0), t.mgr);
	usleep(300 * 1000);
	ck_assert(cm_p_alive(t.mid) && cm_p_alive(leaf) && cm_p_alive(rep1) &&
		  cm_p_alive(rep2) && cm_p_alive(t.remote));
	snprintf(path, sizeof(path), "%s/api.url", t.dir);
	unlink(path); /* the dead manager's */
	{
		/* The same address: the remote daemon heartbeats it. */
		const char *same[] = {"--listen", strstr(t.url, "://") + 3, NULL};

		t.mgr = cm_p_spawn_manager_with(t.dir, t.log, same);
	}
	free(t.url);
	t.url = cm_p_file_line(t.dir, "api.url");
	ck_assert_int_eq(cm_p_wait_daemon(t.url, "mid", "running", 0), t.mid);
	ck_assert_int_eq(cm_p_wait_daemon(t.url, "leaf", "running", 0), leaf);
	ck_assert_int_eq(cm_p_wait_daemon(t.url, "far", "running", 0), t.remote);
	ck_assert_int_eq(cm_p_replica_on(t.url, "replica-1", where, sizeof(where)), rep1);
	ck_assert_str_eq(where, "mid");
	ck_assert_int_eq(cm_p_replica_on(t.url, "replica-2", where, sizeof(where)), rep2);

	/* SIGTERM: exit 0, and no process of the local tree is left. */
	t0 = cm_p_mono();
	ck_assert_int_eq(kill(t.mgr, SIGTERM), 0);
	ck_assert_int_eq(waitpid(t.mgr, &status, 0), t.mgr);
	printf("manager stopped its local subtree in %.2f s\n", cm_p_mono() - t0);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
	{
		const long pids[] = {t.mid, leaf, rep1, rep2, 0};

		left = wait_all_gone(pids);
		ck_assert_msg(left == 0, "pid %ld still runs after the manager's exit", left);
	}
	/* The remote daemon is another host's: it keeps running. */
	ck_assert(cm_p_alive(t.remote));

	/* The next manager brings the tree back: the root's local child, the
	 * deeper one its parent forgot on its way out, the replicas on them;
	 * the remote daemon joins it again. */
	{
		const char *same[] = {"--listen", strstr(t.url, "://") + 3, NULL};
		long mid2, leaf2, rep1b;

		t.mgr = cm_p_spawn_manager_with(t.dir, t.log, same);
		mid2 = cm_p_wait_daemon(t.url, "mid", "running", t.mid);
		leaf2 = cm_p_wait_daemon(t.url, "leaf", "running", leaf);
		ck_assert_int_eq(cm_p_wait_daemon(t.url, "far", "running", 0), t.remote);
		t0 = cm_p_mono();
		while (cm_p_mono() - t0 < 20.0 &&
		       (rep1b = cm_p_replica_on(t.url, "replica-1", where, sizeof(where))) == 0)
			usleep(50 * 1000);
		ck_assert_str_eq(where, "mid");
		ck_assert(rep1b > 0 && rep1b != rep1);
		t0 = cm_p_mono();
		while (cm_p_mono() - t0 < 20.0 &&
		       cm_p_replica_on(t.url, "replica-2", where, sizeof(where)) == 0)
			usleep(50 * 1000);
		ck_assert_int_gt(cm_p_replica_on(t.url, "replica-2", where, sizeof(where)), 0);
		cm_p_stop_child(t.mgr);
		{
			const long pids[] = {mid2, leaf2, rep1b, 0};

			ck_assert_int_eq(wait_all_gone(pids), 0);
		}
	}
	cm_p_stop_child(t.remote);
	cm_p_env_free(&t);
}
END_TEST

void cm_add_manager(Suite *s)
{
	TCase *tc = tcase_create("manager");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, replica_runs);
	tcase_add_test(tc, replica_over_ceiling);
	tcase_add_test(tc, register_nodes);
	tcase_add_test(tc, ports_skip_listeners);
	tcase_add_test(tc, restart_restores);
	tcase_add_test(tc, restart_after_shutdown);
	tcase_add_test(tc, metrics_measured);
	tcase_add_test(tc, bad_options);
	suite_add_tcase(s, tc);
	tc = tcase_create("manager_exit");
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, exit_stops_local_subtree);
	suite_add_tcase(s, tc);
}
