/*
 * Converging after a clean stop (cluster_converge.h). What is done is
 * remembered per subject (a daemon or a replica) with the pid of the
 * process that hosts it, so each is looked at once per hosting process:
 * a daemon restarted since then (a new pid) is looked at again.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bpci/daemon.h"
#include "common/alloc.h"
#include "common/diag.h"
#include "plan/daemon_tree_internal.h"
#include "runtime/cluster_converge.h"

#define CONVERGE_PERIOD_MS 2000u

typedef struct seen {
	char *key;   /* "d:ID" (a daemon) or "r:ID" (a replica) */
	long pid;    /* the hosting process it was looked at under */
} seen;

struct bpci__cm_converge {
	seen *v;
	size_t n, cap;
	uint64_t last_ms;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

bpci__cm_converge *bpci__cm_converge_new(void)
{
	return bpci__calloc(1, sizeof(bpci__cm_converge));
}

void bpci__cm_converge_free(bpci__cm_converge *cv)
{
	size_t i;

	if (!cv)
		return;
	for (i = 0; i < cv->n; i++)
		bpci__free(cv->v[i].key);
	bpci__free(cv->v);
	bpci__free(cv);
}

/* Non-zero the first time @kind:@id is met under host pid @pid (which is
 * then remembered). */
static int first_time(bpci__cm_converge *cv, char kind, const char *id, long pid)
{
	char *key = bpci__asprintf("%c:%s", kind, id);
	size_t i;

	if (!key)
		return 0;
	for (i = 0; i < cv->n && strcmp(cv->v[i].key, key) != 0; i++)
		;
	if (i < cv->n) {
		bpci__free(key);
		if (cv->v[i].pid == pid)
			return 0;
		cv->v[i].pid = pid;
		return 1;
	}
	if (bpci__grow((void **)&cv->v, &cv->cap, cv->n + 1, sizeof(*cv->v)) != 0) {
		bpci__free(key);
		return 0;
	}
	cv->v[cv->n].key = key;
	cv->v[cv->n++].pid = pid;
	return 1;
}

/* Daemon @id runs, with an API, and has heartbeated twice (so it has
 * relayed its children); its live data in @l. */
static int settled(bpci_daemon_live *l, const bpci_cluster_manager *cm, const char *id)
{
	return bpci_daemon_tree_get_live(l, cm->tree, id) == 0 && l->state &&
	       !strcmp(l->state, "running") && l->pid > 0 && l->url && l->token &&
	       l->heartbeats >= 2;
}

static void daemons(bpci__cm_converge *cv, bpci_cluster_manager *cm)
{
	size_t i;

	for (i = 1; i < cm->tree->nd; i++) {
		const bpci_daemon_spec *s = cm->tree->d[i].spec;
		const char *id = bpci_daemon_spec_id(s), *parent = bpci_daemon_spec_parent(s);
		bpci_daemon_live pl, l;
		int rc;

		/* The root's own children are its coordinator's (spawned again
		 * when the manager starts); remote ones start by hand. */
		if (bpci_daemon_spec_remote(s) || bpci__cm_is_root(cm, parent) ||
		    bpci_daemon_tree_get_live(&l, cm->tree, id) != 0 || l.pid > 0 ||
		    !settled(&pl, cm, parent) || !first_time(cv, 'd', id, pl.pid))
			continue;
		rc = bpci__cm_spawn_local(cm, s, NULL);
		if (rc == 0)
			fprintf(stderr, "cluster manager: local daemon %s spawned again under %s "
				"(its parent runs without it)\n", id, parent);
		else if (rc != BPCI_EEXISTS)
			fprintf(stderr, "cluster manager: cannot spawn local daemon %s under %s "
				"again: %s\n", id, parent, bpci_strerror(rc));
	}
}

static void replicas(bpci__cm_converge *cv, bpci_cluster_manager *cm)
{
	size_t i;

	for (i = 0; i < cm->nreplicas; i++) {
		const bpci__replica *r = &cm->replicas[i];
		bpci_node_status *st = NULL;
		bpci_daemon_live l;
		int rc;

		if (!r->daemon || bpci__cm_is_root(cm, r->daemon) || !settled(&l, cm, r->daemon) ||
		    !first_time(cv, 'r', r->id, l.pid))
			continue;
		rc = bpci__cm_node_status(&st, cm, r->id, r->daemon);
		bpci_node_status_free(st);
		if (rc != BPCI_ENOTFOUND)
			continue;
		rc = bpci__cm_replica_start(cm, r, r->daemon, NULL);
		fprintf(stderr, "cluster manager: replica %s %s on daemon %s (it did not run "
			"there)%s%s\n", r->id, rc == 0 ? "started again" : "cannot start again",
			r->daemon, rc == 0 ? "" : ": ", rc == 0 ? "" : bpci_strerror(rc));
	}
}

void bpci__cm_converge_step(bpci__cm_converge *cv, bpci_cluster_manager *cm)
{
	uint64_t now = mono_ms();

	if (!cv || !cm || !cm->daemon_on || now - cv->last_ms < CONVERGE_PERIOD_MS)
		return;
	cv->last_ms = now;
	daemons(cv, cm);
	replicas(cv, cm);
}
