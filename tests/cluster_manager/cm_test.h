/* Shared helpers of the cluster manager tests (support.c). */
#ifndef BPCI_TEST_CLUSTER_MANAGER_H
#define BPCI_TEST_CLUSTER_MANAGER_H

#include <sys/types.h>

#include <bpci.h>
#include <jansson.h>

#include "test.h"

typedef struct cm_env {
	char *dir;
	bpci_cluster_manager *cm;
	bpci_diag *diag;
	int kinds[64];
	size_t nkinds;
} cm_env;

/* A temporary directory and a manager on it (11 free ports of its own). */
void cm_setup(cm_env *e);
/* Open a manager on e->dir into e->cm with port ranges @ranges (NULL: 11
 * free ports from cm_free_range()); returns rc. */
int cm_open(cm_env *e, const char *ranges);
/* Find @n consecutive ports that bind on 127.0.0.1, write "A-B" into
 * @text and return A. Never fixed ports: tests run beside other tests. */
unsigned int cm_free_range(char *text, size_t size, unsigned int n);
/* Shut down, free, remove the directory. */
void cm_teardown(cm_env *e);
/* Wait until replica @id's node runs; returns its pid. */
int cm_wait_running(cm_env *e, const char *id);
/* Entries of the ledger at DIR/ledger (read-only open) whose text holds
 * "type":"@type"; e->cm must be freed first. */
size_t cm_count_type(const char *dir, const char *type);
uint64_t cm_ledger_size(const char *dir);
int cm_alive(int pid);

/* Real-process helpers (procs.c); they abort the test on a timeout. */
double cm_p_mono(void);
/* Fork+exec build/bin/@prog_name with @args (NULL-terminated), output to @log. */
pid_t cm_p_spawn(const char *prog_name, const char *const *args, const char *log);
/* bpci-enterprise cluster-manager start on @dir, 127.0.0.1:0. */
pid_t cm_p_spawn_manager(const char *dir, const char *log);
/* The same with @extra arguments (NULL-terminated, at most 15). */
pid_t cm_p_spawn_manager_with(const char *dir, const char *log, const char *const *extra);
/* DIR/NAME's first line, waiting for the file; malloc'd. */
char *cm_p_file_line(const char *dir, const char *name);
/* bpci-enterprise @words --state-dir @dir. */
void cm_p_cli(bpci_test_run *r, const char *dir, const char *const *words);
/* GET @url@path as JSON, NULL on failure. */
json_t *cm_p_get_json(const char *url, const char *path);
/* The SUBTREE entry of daemon @id under @e, or NULL (borrowed). */
json_t *cm_p_find(json_t *e, const char *id);
/* Wait until daemon @id is in @state with a pid other than @not_pid. */
long cm_p_wait_daemon(const char *url, const char *id, const char *state, long not_pid);
/* Replica @id's hosting daemon and pid when it runs (0 otherwise). */
long cm_p_replica_on(const char *url, const char *id, char *daemon, size_t size);
/* Add replica-1 and move it onto @daemon; its pid there. */
long cm_p_replica_onto(const char *dir, const char *url, const char *token,
		       const char *daemon);
int cm_p_alive(long pid);
/* SIGTERM and reap our child @pid. */
void cm_p_stop_child(pid_t pid);
/* SIGTERM a daemon that is not our child, wait (SIGKILL after 15 s). */
void cm_p_stop_daemon(long pid);

/* A real manager and its tree (cm_p_start_mid, cm_p_join_remote). */
typedef struct cm_p_env {
	char *dir, *rdir;           /* the manager's / the remote daemon's state */
	char log[4200], rlog[4200]; /* their output */
	char *url, *token;          /* the manager's API */
	pid_t mgr, remote;          /* our children */
	long mid;                   /* the local daemon "mid" (the root's child) */
} cm_p_env;
/* A manager on a new directory and LOCAL daemon "mid" under the root
 * (responsibilities @mid_resp, capacity cpu=500m,memory=1Gi,storage=2Gi),
 * running. */
void cm_p_start_mid(cm_p_env *t, const char *mid_resp);
/* Add REMOTE daemon @id (node_lifecycle, cpu=8,memory=16Gi,storage=100Gi)
 * under @parent ("root" or "mid") and start it (bpi-core on its own state
 * directory, joined to the parent's API); its pid once it runs. */
pid_t cm_p_join_remote(cm_p_env *t, const char *id, const char *parent);
/* Lose remote daemon @pid's host: kill -9 it and its replica's node @rep,
 * then wait (up to 15 s, asserted) until replica @id runs on a daemon
 * other than @dead. Its pid; its daemon in @where; *@took: seconds from
 * the kill. */
long cm_p_fail_host(const char *url, pid_t pid, long rep, const char *id, const char *dead,
		    char *where, size_t size, double *took);
/* Free, remove the directories and logs (the processes are gone). */
void cm_p_env_free(cm_p_env *t);

void cm_add_fence(Suite *s);
void cm_add_timing(Suite *s);
void cm_add_reparent(Suite *s);
void cm_add_migrate(Suite *s);
void cm_add_manager(Suite *s);
void cm_add_cli(Suite *s);
void cm_add_tree(Suite *s);
void cm_add_standby(Suite *s);
void cm_add_glue(Suite *s);
void cm_add_resp(Suite *s);

#endif
