/* Real-process helpers shared by the glue and fence tests: spawning the
 * manager and bpi-core daemons, the CLI, the tree's and replicas' state
 * over HTTP. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cm_test.h"

#define WAIT_S 20.0

double cm_p_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

pid_t cm_p_spawn(const char *prog_name, const char *const *args, const char *log)
{
	char prog[4096];
	const char *argv[32];
	size_t n = 0;
	pid_t pid;

	snprintf(prog, sizeof(prog), "%s/bin/%s", bpci_test_build_dir(), prog_name);
	argv[n++] = prog;
	for (; *args; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int in = open("/dev/null", O_RDWR);
		int out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		dup2(in, 0);
		dup2(out, 1);
		dup2(out, 2);
		execv(prog, (char *const *)argv);
		_exit(127);
	}
	return pid;
}

pid_t cm_p_spawn_manager(const char *dir, const char *log)
{
	return cm_p_spawn_manager_with(dir, log, NULL);
}

pid_t cm_p_spawn_manager_with(const char *dir, const char *log, const char *const *extra)
{
	const char *args[24] = {"cluster-manager", "start", "--cluster-id", "glue", "--state-dir",
				dir, "--listen", "127.0.0.1:0"};
	size_t n = 8;

	for (; extra && *extra && n < 23; extra++)
		args[n++] = *extra;
	args[n] = NULL;
	return cm_p_spawn("bpci-enterprise", args, log);
}

/* DIR/NAME's first line, waiting for the file; malloc'd. */
char *cm_p_file_line(const char *dir, const char *name)
{
	char path[4200], buf[512];
	double t0 = cm_p_mono();
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	while (access(path, F_OK) != 0 && cm_p_mono() - t0 < WAIT_S)
		usleep(20 * 1000);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "no %s", path);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return strdup(buf);
}

void cm_p_cli(bpci_test_run *r, const char *dir, const char *const *words)
{
	const char *argv[32];
	size_t n = 0;

	for (; words[n]; n++)
		argv[n] = words[n];
	argv[n++] = "--state-dir";
	argv[n++] = dir;
	argv[n] = NULL;
	bpci_test_run_program(r, "bpci-enterprise", argv);
}

json_t *cm_p_get_json(const char *url, const char *path)
{
	char *resp = NULL;
	json_t *j = NULL;

	if (bpci_cluster_request(&resp, url, NULL, "GET", path, NULL, NULL) == 0 && resp)
		j = json_loads(resp, 0, NULL);
	bpci_free(resp);
	return j;
}

/* The SUBTREE entry of daemon @id under @e, or NULL (borrowed). */
json_t *cm_p_find(json_t *e, const char *id)
{
	json_t *k, *hit;
	size_t i;

	if (!e)
		return NULL;
	if (json_is_string(json_object_get(e, "daemon_id")) &&
	    !strcmp(json_string_value(json_object_get(e, "daemon_id")), id))
		return e;
	json_array_foreach(json_object_get(e, "children"), i, k)
		if ((hit = cm_p_find(k, id)) != NULL)
			return hit;
	return NULL;
}

/* Wait until daemon @id is in @state with a pid other than @not_pid;
 * returns its pid. */
long cm_p_wait_daemon(const char *url, const char *id, const char *state, long not_pid)
{
	double t0 = cm_p_mono();
	long pid = 0;

	while (cm_p_mono() - t0 < WAIT_S) {
		json_t *tree = cm_p_get_json(url, "/api/daemon-tree/status"), *e = cm_p_find(tree, id);

		if (e && !strcmp(json_string_value(json_object_get(e, "state")), state) &&
		    json_integer_value(json_object_get(e, "pid")) != not_pid)
			pid = (long)json_integer_value(json_object_get(e, "pid"));
		json_decref(tree);
		if (pid > 0)
			return pid;
		usleep(100 * 1000);
	}
	ck_abort_msg("daemon %s never became %s", id, state);
	return 0;
}

/* Replica @id's hosting daemon and pid when it runs (0 otherwise). */
long cm_p_replica_on(const char *url, const char *id, char *daemon, size_t size)
{
	json_t *j = cm_p_get_json(url, "/api/replicas"), *r;
	long pid = 0;
	size_t i;

	json_array_foreach(json_object_get(j, "replicas"), i, r) {
		if (strcmp(json_string_value(json_object_get(r, "id")), id) != 0 ||
		    strcmp(json_string_value(json_object_get(r, "state")), "running") != 0)
			continue;
		snprintf(daemon, size, "%s", json_string_value(json_object_get(r, "daemon")));
		pid = (long)json_integer_value(json_object_get(r, "pid"));
	}
	json_decref(j);
	return pid;
}

/* Add a replica and move it onto @daemon; returns its pid there. */
long cm_p_replica_onto(const char *dir, const char *url, const char *token,
			 const char *daemon)
{
	const char *add[] = {"cluster-manager", "add-replica", "--name", "enc-glue",
			     "--cpu-cores", "0.25", "--memory-gb", "0.5", "--storage-gb", "1", NULL};
	char body[256], where[128] = "", *resp = NULL;
	double t0 = cm_p_mono();
	bpci_diag *diag = NULL;
	bpci_test_run r;
	long pid = 0;
	int rc;

	cm_p_cli(&r, dir, add);
	ck_assert_msg(r.status == 0, "add-replica: %s", r.err);
	bpci_test_run_free(&r);
	snprintf(body, sizeof(body), "{\"steps\":[{\"action\":\"move_node\",\"node\":"
		 "\"replica-1\",\"from\":\"root\",\"to\":\"%s\"}]}", daemon);
	bpci_diag_new(&diag);
	rc = bpci_cluster_request(&resp, url, token, "POST", "/api/daemon-tree/rebalance", body,
				  diag);
	ck_assert_msg(rc == 0, "move to %s: %s", daemon,
		      bpci_diag_count(diag) ? bpci_diag_get(diag, 0)->message : "?");
	bpci_diag_free(diag);
	bpci_free(resp);
	while (cm_p_mono() - t0 < WAIT_S &&
	       ((pid = cm_p_replica_on(url, "replica-1", where, sizeof(where))) == 0 ||
		strcmp(where, daemon) != 0))
		usleep(100 * 1000);
	ck_assert_str_eq(where, daemon);
	ck_assert_int_gt(pid, 0);
	return pid;
}

int cm_p_alive(long pid)
{
	return pid > 0 && kill((pid_t)pid, 0) == 0;
}

void cm_p_stop_child(pid_t pid)
{
	int status;

	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
}

/* SIGTERM a daemon that is not our child and wait for it to go (it stops
 * its own nodes and children first). */
void cm_p_stop_daemon(long pid)
{
	double t0 = cm_p_mono();

	if (pid <= 0)
		return;
	kill((pid_t)pid, SIGTERM);
	while (cm_p_alive(pid) && cm_p_mono() - t0 < 15.0)
		usleep(50 * 1000);
	if (cm_p_alive(pid))
		kill((pid_t)pid, SIGKILL);
}

